//! Paths at the output edge. A path from the disk is bytes, not text (STYLE.md habit 13):
//! people read it lossily with control characters escaped, so a newline or an escape sequence
//! in a name cannot break a table or a terminal; `--json` carries it losslessly.
//!
//! JSON convention (ripgrep's `jsont.rs` spirit, kept compatible with string fields): every path
//! field `F` is a string, exact when the name is valid UTF-8; when it is not, `F` holds the name
//! with U+FFFD in place of the bad bytes and a sibling field `F_bytes` holds the exact bytes in
//! standard base64. A consumer that needs the file itself decodes `F_bytes` when present.

pub use crate::display::{bytes, escape, show};
use base64::Engine;
use serde_json::{Map, Value};
use std::path::Path;

/// Sets `key` (and `key_bytes` when the name is not UTF-8) in a JSON object.
pub fn put(map: &mut Map<String, Value>, key: &str, p: &Path) {
    match p.to_str() {
        Some(s) => {
            map.insert(key.into(), Value::String(s.into()));
        }
        None => {
            map.insert(key.into(), Value::String(p.to_string_lossy().into_owned()));
            map.insert(format!("{key}_bytes"), Value::String(base64::engine::general_purpose::STANDARD.encode(bytes(p))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_keep_their_bytes_in_json() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"dir/caf\xe9.HEIC"));
        let mut m = Map::new();
        put(&mut m, "still", p);
        assert_eq!(m["still"], "dir/caf\u{fffd}.HEIC");
        let bytes = base64::engine::general_purpose::STANDARD.decode(m["still_bytes"].as_str().unwrap()).unwrap();
        assert_eq!(bytes, b"dir/caf\xe9.HEIC");
        let mut m = Map::new();
        put(&mut m, "still", Path::new("ok.HEIC"));
        assert_eq!(m.len(), 1, "no bytes field for a UTF-8 name");
    }
}
