//! Where outputs go, decided before any work:
//!
//! - `-o DIR` must be a folder (or not exist yet), and neither a scanned folder nor one that
//!   holds a scanned folder: those are usage errors (exit 2), found before anything is written.
//! - Each output is `DIR/<still's folder below its root>/<name>`; a name that is taken in this
//!   run, or that is one of the scanned files (by device + inode, however `-o` is spelled,
//!   through `..` or links), gets a `-2`, `-3`… suffix. A scanned file is never an output.
//! - DIR carries the export marker and manifest ([`super::manifest`]).

use super::error::ExportError;
use crate::walk::{FileId, EXPORT_MARKER};
use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Usage problems with `-o`, found before any work.
pub fn check_out_dir(out: &Path, roots: &[PathBuf]) -> Result<(), ExportError> {
    match fs::metadata(out) {
        Ok(m) if !m.is_dir() => return Err(ExportError::OutputNotFolder(out.to_path_buf())),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()), // created when needed
        Err(source) => return Err(ExportError::OutputUnreadable { path: out.to_path_buf(), source }),
    }
    let out_id = FileId::follow(out);
    let Ok(out_canon) = fs::canonicalize(out) else { return Ok(()) };
    for root in roots {
        let root_canon = fs::canonicalize(root).unwrap_or_else(|_| root.clone());
        let same = out_id.is_some() && FileId::follow(root) == out_id;
        if same || root_canon.starts_with(&out_canon) {
            return Err(ExportError::OutputHoldsRoot { out: out.to_path_buf(), root: root.clone() });
        }
    }
    Ok(())
}

/// After the scan: an existing output folder that holds scanned files is refused too, since
/// its marker would hide them from every later scan (and exports would mix with them).
pub fn check_out_dir_contents(out: &Path, inputs: &HashSet<FileId>) -> Result<(), ExportError> {
    if out.join(EXPORT_MARKER).exists() || !out.is_dir() {
        return Ok(()); // ours from an earlier run (never scanned), or not there yet
    }
    let walker = walkdir::WalkDir::new(out).follow_links(true).into_iter().filter_map(|e| e.ok());
    for e in walker.filter(|e| e.file_type().is_file()) {
        if FileId::follow(e.path()).is_some_and(|id| inputs.contains(&id)) {
            return Err(ExportError::OutputHoldsInputs { out: out.to_path_buf(), example: e.into_path() });
        }
    }
    Ok(())
}

/// `<stem of source><suffix>.<ext>`, byte for byte (names need not be UTF-8). A motion photo's
/// `.MP` (Google's `PXL_….MP.jpg`) is not part of its stem.
pub fn name_with(source: &Path, suffix: &str, ext: &str) -> OsString {
    let stem = source.file_stem().unwrap_or_else(|| OsStr::new("output"));
    let stem = match Path::new(stem).extension() {
        Some(e) if e.eq_ignore_ascii_case("MP") => Path::new(stem).file_stem().unwrap_or(stem),
        _ => stem,
    };
    let mut s = stem.to_os_string();
    s.push(suffix);
    s.push(".");
    s.push(ext);
    s
}

/// The name a still is written under: its own, but with an extension that says what the bytes
/// are (a JPEG that Takeout named `IMG_5002.HEIC` becomes `IMG_5002.jpg`; a right extension keeps
/// its case) and, for a motion photo's still written without its video, no `.MP`.
pub fn still_name(source: &Path, written: crate::meta::StillFormat, motion_photo: bool) -> OsString {
    use crate::meta::StillFormat;
    let (fitting, canonical): (&[&str], &str) = match written {
        StillFormat::Jpeg => (&["jpg", "jpeg", "jpe"], "jpg"),
        StillFormat::Heif => (&["heic", "heif", "hif"], "heic"),
        StillFormat::Png => (&["png"], "png"),
    };
    let own = source.extension().filter(|e| fitting.iter().any(|f| e.eq_ignore_ascii_case(f)));
    match (own, motion_photo) {
        (Some(_), false) => source.file_name().map(OsStr::to_os_string).unwrap_or_else(|| OsString::from("output")),
        (Some(e), true) => name_with(source, "", &e.to_string_lossy()),
        (None, _) => name_with(source, "", canonical),
    }
}

/// `DIR/<folder of source relative to root>/<name>`.
pub fn mirrored(out_dir: &Path, root: &Path, source: &Path, name: &OsStr) -> PathBuf {
    let rel_dir = source.parent().and_then(|p| p.strip_prefix(root).ok()).unwrap_or(Path::new(""));
    out_dir.join(rel_dir).join(name)
}

/// Picks the first free spelling of `dest` (not `taken` in this run, not a scanned file) and,
/// with `companion` (an extension), of the file of the same stem beside it: both get the same
/// suffix, so a pair keeps one stem.
pub fn free_names(
    dest: PathBuf,
    companion: Option<&str>,
    taken: &HashSet<PathBuf>,
    inputs: &HashSet<FileId>,
) -> (PathBuf, Option<PathBuf>) {
    let ext = dest.extension().map(OsStr::to_os_string).unwrap_or_default();
    let ext = ext.to_string_lossy();
    let free = |p: &PathBuf| !taken.contains(p) && !crate::walk::is_one_of(p, inputs);
    let mut n = 1;
    loop {
        let suffix = if n == 1 { String::new() } else { format!("-{n}") };
        let main = if n == 1 { dest.clone() } else { dest.with_file_name(numbered(&dest, &suffix, &ext)) };
        let second = companion.map(|c| dest.with_file_name(name_with(&dest, &suffix, c)));
        if free(&main) && second.as_ref().is_none_or(free) {
            return (main, second);
        }
        n += 1;
    }
}

/// `dest`'s name with `suffix` before its extension `ext`, and before a motion photo's `.MP`
/// (`PXL_1.MP.jpg` becomes `PXL_1-2.MP.jpg`: galleries that go by the name still see a motion photo).
fn numbered(dest: &Path, suffix: &str, ext: &str) -> OsString {
    match dest.file_stem().map(Path::new).and_then(Path::extension).filter(|e| e.eq_ignore_ascii_case("MP")) {
        Some(mp) => name_with(dest, suffix, &format!("{}.{ext}", mp.to_string_lossy())), // ASCII: as spelled
        None => name_with(dest, suffix, ext),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrored_keeps_the_layout_below_the_root() {
        let p = mirrored(Path::new("/out"), Path::new("/lib"), Path::new("/lib/2021/trip/IMG_1.HEIC"), OsStr::new("IMG_1.mp4"));
        assert_eq!(p, PathBuf::from("/out/2021/trip/IMG_1.mp4"));
        let p = mirrored(Path::new("out"), Path::new("/x"), Path::new("/elsewhere/IMG_2.JPG"), OsStr::new("IMG_2.gif"));
        assert_eq!(p, PathBuf::from("out/IMG_2.gif"));
    }

    #[test]
    fn a_pair_keeps_one_stem_when_either_name_is_taken() {
        let taken: HashSet<PathBuf> = [PathBuf::from("/out/IMG_1.JPG")].into_iter().collect();
        let (main, second) = free_names(PathBuf::from("/out/IMG_1.MOV"), Some("JPG"), &taken, &HashSet::new());
        assert_eq!((main, second), (PathBuf::from("/out/IMG_1-2.MOV"), Some(PathBuf::from("/out/IMG_1-2.JPG"))));
        let (main, second) = free_names(PathBuf::from("/out/IMG_2.MOV"), Some("HEIC"), &taken, &HashSet::new());
        assert_eq!((main, second), (PathBuf::from("/out/IMG_2.MOV"), Some(PathBuf::from("/out/IMG_2.HEIC"))));
        assert_eq!(free_names(PathBuf::from("/out/IMG_1.JPG"), None, &taken, &HashSet::new()).0, PathBuf::from("/out/IMG_1-2.JPG"));
        let taken: HashSet<PathBuf> = [PathBuf::from("/out/PXL_1.MP.jpg")].into();
        assert_eq!(
            free_names(PathBuf::from("/out/PXL_1.MP.jpg"), None, &taken, &HashSet::new()).0,
            PathBuf::from("/out/PXL_1-2.MP.jpg"),
            "a motion photo keeps its .MP"
        );
    }

    #[test]
    fn out_dir_must_be_a_folder_outside_the_scanned_ones() {
        let d = tempfile::tempdir().unwrap();
        let lib = d.path().join("lib");
        fs::create_dir_all(lib.join("sub")).unwrap();
        fs::write(lib.join("f.jpg"), b"x").unwrap();
        let roots = [lib.clone()];
        assert!(matches!(check_out_dir(&lib.join("f.jpg"), &roots), Err(ExportError::OutputNotFolder(_))));
        assert!(matches!(check_out_dir(&lib.join("sub/.."), &roots), Err(ExportError::OutputHoldsRoot { .. })), "the library itself");
        assert!(matches!(check_out_dir(d.path(), &roots), Err(ExportError::OutputHoldsRoot { .. })), "holds the library");
        assert!(check_out_dir(&lib.join("sub"), &roots).is_ok(), "a subfolder is fine");
        assert!(check_out_dir(&d.path().join("new"), &roots).is_ok());
    }
}
