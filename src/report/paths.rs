//! Paths at the output edge. A path from the disk is bytes, not text (docs/conventions.md habit 13):
//! people read it lossily with control characters escaped, so a newline or an escape sequence
//! in a name cannot break a table or a terminal; `--json` carries it losslessly.
//!
//! JSON convention (ripgrep's `jsont.rs` spirit, kept compatible with string fields): every path
//! field `F` is a string, exact when the name is valid UTF-8; when it is not, `F` holds the name
//! with U+FFFD in place of the bad bytes and a sibling field `F_bytes` holds the exact bytes in
//! standard base64. A consumer that needs the file itself decodes `F_bytes` when present.

pub use crate::display::{bytes, escape, show};
use base64::Engine;
use serde::ser::SerializeMap;
use std::path::Path;

/// Writes `key` (and `key_bytes` when the name is not UTF-8) into a JSON object as it is
/// serialized.
pub fn put<M: SerializeMap>(map: &mut M, key: &str, p: &Path) -> Result<(), M::Error> {
    match p.to_str() {
        Some(s) => map.serialize_entry(key, s),
        None => {
            map.serialize_entry(key, &p.to_string_lossy())?;
            map.serialize_entry(&format!("{key}_bytes"), &base64::engine::general_purpose::STANDARD.encode(bytes(p)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One path field, as the documents write it.
    struct One<'a>(&'a str, &'a Path);

    impl serde::Serialize for One<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(None)?;
            put(&mut map, self.0, self.1)?;
            map.end()
        }
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_keep_their_bytes_in_json() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"dir/caf\xe9.HEIC"));
        let m = serde_json::to_value(One("still", p)).unwrap();
        assert_eq!(m["still"], "dir/caf\u{fffd}.HEIC");
        let bytes = base64::engine::general_purpose::STANDARD.decode(m["still_bytes"].as_str().unwrap()).unwrap();
        assert_eq!(bytes, b"dir/caf\xe9.HEIC");
        let m = serde_json::to_value(One("still", Path::new("ok.HEIC"))).unwrap();
        assert_eq!(m.as_object().unwrap().len(), 1, "no bytes field for a UTF-8 name");
    }
}
