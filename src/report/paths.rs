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

/// A path as rg and fd print it: relative to `cwd` when it lies below it (after making it
/// absolute and dropping `.` components), as it is otherwise (absolute when the user gave it so).
pub fn relative_to(p: &Path, cwd: Option<&Path>) -> std::path::PathBuf {
    use std::path::Component;
    let Some(cwd) = cwd else { return p.to_path_buf() };
    let abs = if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
    let clean: std::path::PathBuf = abs.components().filter(|c| !matches!(c, Component::CurDir)).collect();
    let has_parent_dirs = clean.components().any(|c| matches!(c, Component::ParentDir));
    match clean.strip_prefix(cwd) {
        Ok(rel) if !has_parent_dirs && !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ if has_parent_dirs => p.to_path_buf(),
        _ => clean,
    }
}

/// `shown` (an escaped path) fitted in `max` characters by eliding the middle of its folder,
/// never its file name: `photos/2021/…/trip/IMG_0001.HEIC`.
pub fn elide_folder(shown: &str, max: usize) -> String {
    let len = shown.chars().count();
    if len <= max {
        return shown.to_string();
    }
    let Some(slash) = shown.rfind('/') else { return shown.to_string() };
    let (folder, name) = (&shown[..slash], &shown[slash + 1..]);
    let keep = max.saturating_sub(name.chars().count() + 2); // "…/"
    if keep < 4 {
        return format!("…/{name}");
    }
    let head: String = folder.chars().take(keep / 2).collect();
    let tail: String = folder.chars().rev().take(keep - keep / 2).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{head}…{tail}/{name}")
}

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

    #[test]
    fn paths_below_the_current_folder_are_relative_others_absolute() {
        let cwd = Path::new("/home/me/photos");
        assert_eq!(relative_to(Path::new("/home/me/photos/2021/a.HEIC"), Some(cwd)), Path::new("2021/a.HEIC"));
        assert_eq!(relative_to(Path::new("./2021/a.HEIC"), Some(cwd)), Path::new("2021/a.HEIC"));
        assert_eq!(relative_to(Path::new("/mnt/nas/a.HEIC"), Some(cwd)), Path::new("/mnt/nas/a.HEIC"));
        assert_eq!(relative_to(Path::new("../other/a.HEIC"), Some(cwd)), Path::new("../other/a.HEIC"));
    }

    #[test]
    fn eliding_keeps_the_name_whole() {
        let p = "leichty/0A1B2C3D-E4F5-457B-AC57-4DE59087D805/IMG_5651.HEIC";
        let e = elide_folder(p, 40);
        assert!(e.ends_with("/IMG_5651.HEIC") && e.starts_with("leich") && e.contains('…'), "{e}");
        assert_eq!(e.chars().count(), 40, "{e}");
        assert_eq!(elide_folder("a/b.HEIC", 40), "a/b.HEIC");
        assert_eq!(elide_folder("a/very-long-name-of-a-photo.HEIC", 10), "…/very-long-name-of-a-photo.HEIC");
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
