//! Walking the roots: every regular file once, whatever links lead to it.
//!
//! - Symbolic links to files and folders are followed; a link that loops back to a folder above
//!   it, and a link whose target is gone, are listed as notes with the reason, never dropped.
//! - A file reached twice (a link and its target, hard links) is listed once, under the first
//!   path in sorted order ([`first_of_each`]); the others are noted.
//! - A folder holding [`EXPORT_MARKER`] was written by livephoto and is not read when a walk
//!   from above meets it, so re-running an export in place does not read its own outputs back;
//!   named as a root itself, it is read (to check an export with livephoto itself).
//!
//! The walk itself makes no system call per file where the directory listing tells files from
//! folders (ext4, XFS, Btrfs, APFS...): who each file is (device + inode) is learnt when it is
//! opened to be read, from the open file, and [`first_of_each`] then drops the second paths to
//! one file. Those identities, with every link's own, are what an export compares its targets
//! with, never how a path is spelled (docs/conventions.md habit 14).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file livephoto puts in every output folder it writes (see `export::manifest::Marker`).
pub const EXPORT_MARKER: &str = ".livephoto-export";

/// A file that could not be read, and why, in words.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileError {
    pub path: PathBuf,
    pub error: String,
}

/// A path the walk did not read, and why (a link loop, a dangling link, an export folder):
/// not an error, but never dropped without a word.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    pub path: PathBuf,
    pub note: String,
}

/// Who a file is, independently of its name: device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    #[cfg(unix)]
    pub fn of(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        FileId { dev: m.dev(), ino: m.ino() }
    }

    /// Without inodes, the canonical path stands in (hashed).
    #[cfg(not(unix))]
    pub fn of_path(p: &Path) -> Option<Self> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::fs::canonicalize(p).ok()?.hash(&mut h);
        Some(FileId { dev: 0, ino: h.finish() })
    }

    /// Who a file just opened is: its metadata's identity (the canonical path without inodes).
    pub fn of_open(_m: &std::fs::Metadata, _p: &Path) -> Option<Self> {
        #[cfg(unix)]
        return Some(Self::of(_m));
        #[cfg(not(unix))]
        return Self::of_path(_p);
    }

    /// The identity of what `p` names (following links), if it exists.
    pub fn follow(p: &Path) -> Option<Self> {
        #[cfg(unix)]
        return std::fs::metadata(p).ok().map(|m| Self::of(&m));
        #[cfg(not(unix))]
        return Self::of_path(p);
    }

    /// The identity of `p` itself (a link, not its target), if it exists.
    pub fn here(p: &Path) -> Option<Self> {
        #[cfg(unix)]
        return std::fs::symlink_metadata(p).ok().map(|m| Self::of(&m));
        #[cfg(not(unix))]
        return Self::of_path(p);
    }
}

/// Whether `p` is one of `ids`, either itself (a link) or what it leads to.
#[cfg(feature = "media")] // export checks its targets
pub fn is_one_of(p: &Path, ids: &HashSet<FileId>) -> bool {
    [FileId::here(p), FileId::follow(p)].iter().flatten().any(|id| ids.contains(id))
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Walked {
    /// (file, the root folder it was found under), sorted by path. One file reached by two
    /// paths is here twice: see [`first_of_each`].
    pub files: Vec<(PathBuf, Arc<Path>)>,
    pub errors: Vec<FileError>,
    pub notes: Vec<Note>,
    /// Every link found, by identity (the files' own are learnt as they are opened): outputs
    /// must never land on one.
    pub ids: HashSet<FileId>,
}

/// Lists the regular files under each root.
pub fn walk(roots: &[PathBuf]) -> Walked {
    let mut w = Walked::default();
    let (roots, overlapping) = distinct_roots(roots);
    w.notes.extend(overlapping);
    for root in roots.iter().copied() {
        let base: Arc<Path> = if root.is_dir() { root.as_path().into() } else { root.parent().unwrap_or(Path::new("")).into() };
        let mut skipped_exports = Vec::new();
        let entries = walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name().into_iter().filter_entry(|e| {
            // an export folder named on the command line is read: asked for, as a check of it
            let export = e.depth() > 0 && e.file_type().is_dir() && e.path().join(EXPORT_MARKER).exists();
            if export {
                skipped_exports.push(e.path().to_path_buf());
            }
            !export
        });
        for entry in entries {
            match entry {
                Ok(e) => visit(&mut w, e, &base),
                Err(err) => w.errors.extend(walk_error(&mut w.notes, err, root)),
            }
        }
        w.notes.extend(
            skipped_exports
                .into_iter()
                .map(|path| Note { path, note: format!("written by livephoto (it holds {EXPORT_MARKER}): not scanned") }),
        );
    }
    if roots.len() > 1 {
        // one root's files come in path order already: each folder is listed sorted by name
        w.files.sort();
    }
    w.errors.sort();
    w.notes.sort();
    w
}

/// The roots to walk: each once, however it is spelled (`lib` and `./lib`), and none inside
/// another one given (whose walk reads it); one note for each left out, not one per file.
fn distinct_roots(roots: &[PathBuf]) -> (Vec<&PathBuf>, Vec<Note>) {
    let canon: Vec<PathBuf> = roots.iter().map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.clone())).collect();
    let mut keep = Vec::new();
    let mut notes = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        // the same as an earlier root, or inside another (a folder: a file is only ever inside)
        let covering = canon
            .iter()
            .enumerate()
            .find(|&(j, other)| j != i && (if *other == canon[i] { j < i } else { canon[i].starts_with(other) && roots[j].is_dir() }));
        match covering {
            Some((j, other)) if *other == canon[i] => {
                let note = format!("given twice (also as {}): read once", crate::display::show(root));
                notes.push(Note { path: roots[j].clone(), note });
            }
            Some((j, _)) => {
                let note = format!("inside {}, also given: read once", crate::display::show(&roots[j]));
                notes.push(Note { path: root.clone(), note });
            }
            None => keep.push(root),
        }
    }
    (keep, notes)
}

/// The regular files beside each file given as a root (in its folder, not below), that the walk
/// did not list: where a photo given alone finds its clip, and a clip its photo.
pub fn beside_given_files(roots: &[PathBuf], listed: &[(PathBuf, Arc<Path>)]) -> Vec<(PathBuf, Arc<Path>)> {
    let known: HashSet<&Path> = listed.iter().map(|(p, _)| p.as_path()).collect();
    let mut out: Vec<(PathBuf, Arc<Path>)> = Vec::new();
    for root in roots.iter().filter(|r| r.is_file()) {
        let folder = root.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let Ok(entries) = std::fs::read_dir(folder) else { continue };
        let base: Arc<Path> = root.parent().unwrap_or(Path::new("")).into();
        for e in entries.flatten() {
            // spelled as the given file is (no "./" added), so its results read alike
            let path = root.with_file_name(e.file_name());
            let is_file = e.file_type().is_ok_and(|t| t.is_file() || (t.is_symlink() && path.is_file()));
            if is_file && !known.contains(path.as_path()) && !out.iter().any(|(p, _)| *p == path) {
                out.push((path, Arc::clone(&base)));
            }
        }
    }
    out.sort();
    out
}

fn visit(w: &mut Walked, e: walkdir::DirEntry, base: &Arc<Path>) {
    if e.path_is_symlink() {
        w.ids.extend(FileId::here(e.path()));
    }
    if e.file_type().is_file() && e.file_name() != EXPORT_MARKER {
        w.files.push((e.into_path(), Arc::clone(base)));
    }
}

/// Of several paths to one file (`ids[i]` is who `paths[i]` is, in sorted order), keeps the
/// first: returns whether each is kept, and a note for each one dropped.
pub fn first_of_each<'p>(paths: impl Iterator<Item = &'p Path>, ids: &[Option<FileId>]) -> (Vec<bool>, Vec<Note>) {
    let mut first: HashMap<FileId, &Path> = HashMap::with_capacity(ids.len());
    let mut notes = Vec::new();
    let keep = paths
        .zip(ids)
        .map(|(path, id)| {
            let Some(id) = id else { return true };
            match first.get(id) {
                Some(f) => {
                    // the same path twice is a root given twice (or overlapping roots); another
                    // path to the same file is a link (symbolic or hard)
                    let how = if *f == path { "given twice (overlapping paths)" } else { "a link or a hard link" };
                    let note = format!("the same file as {} ({how}): listed once", crate::display::show(f));
                    notes.push(Note { path: path.to_path_buf(), note });
                    false
                }
                None => {
                    first.insert(*id, path);
                    true
                }
            }
        })
        .collect();
    (keep, notes)
}

/// A loop or a dangling link is a note; anything else that stops a listing is an error.
fn walk_error(notes: &mut Vec<Note>, err: walkdir::Error, root: &Path) -> Option<FileError> {
    let path = err.path().map(Path::to_path_buf).unwrap_or_else(|| root.to_path_buf());
    if let Some(ancestor) = err.loop_ancestor() {
        let note = format!("a symbolic link back to {}: not followed again (a loop)", crate::display::show(ancestor));
        notes.push(Note { path, note });
        return None;
    }
    let dangling = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) && std::fs::metadata(&path).is_err();
    if dangling {
        notes.push(Note { path, note: "a symbolic link whose target does not exist: skipped".into() });
        return None;
    }
    let why = err.io_error().map_or_else(|| err.to_string(), |io| io.to_string());
    Some(FileError { path, error: format!("cannot list: {why}") })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_are_followed_once_loops_and_dangling_links_are_noted() {
        let d = tempfile::tempdir().unwrap();
        let lib = d.path().join("lib");
        std::fs::create_dir_all(lib.join("a")).unwrap();
        std::fs::write(lib.join("a/x.jpg"), b"x").unwrap();
        let outside = d.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("y.mov"), b"y").unwrap();
        symlink(&outside, lib.join("linked-folder")).unwrap();
        symlink(lib.join("a/x.jpg"), lib.join("x-again.jpg")).unwrap();
        std::fs::hard_link(lib.join("a/x.jpg"), lib.join("b-hard.jpg")).unwrap();
        symlink(&lib, lib.join("a/loop")).unwrap();
        symlink(lib.join("gone"), lib.join("dangling.jpg")).unwrap();
        std::fs::create_dir(lib.join("export")).unwrap();
        std::fs::write(lib.join("export").join(EXPORT_MARKER), b"").unwrap();
        std::fs::write(lib.join("export/x.mp4"), b"z").unwrap();

        let w = walk(std::slice::from_ref(&lib));
        let names: Vec<_> = w.files.iter().map(|(p, _)| p.strip_prefix(&lib).unwrap().to_path_buf()).collect();
        let listed = ["a/x.jpg", "b-hard.jpg", "linked-folder/y.mov", "x-again.jpg"].map(PathBuf::from);
        assert_eq!(names, listed, "every path to a file is listed, links included");
        let ids: Vec<_> = w.files.iter().map(|(p, _)| FileId::follow(p)).collect();
        let (keep, notes) = first_of_each(w.files.iter().map(|(p, _)| p.as_path()), &ids);
        assert_eq!(keep, [true, false, true, false], "a hard link and a symbolic link to a/x.jpg: kept once, under the first path");
        let dropped: Vec<_> =
            notes.iter().filter(|n| n.note.contains("same file as")).map(|n| n.path.strip_prefix(&lib).unwrap()).collect();
        assert_eq!(dropped, [Path::new("b-hard.jpg"), Path::new("x-again.jpg")], "{notes:?}");
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        let notes: Vec<_> = w.notes.iter().map(|n| (n.path.strip_prefix(&lib).unwrap().to_path_buf(), n.note.clone())).collect();
        let has = |p: &str, words: &str| notes.iter().any(|(q, n)| q == Path::new(p) && n.contains(words));
        assert!(has("a/loop", "loop"), "{notes:?}");
        assert!(has("dangling.jpg", "does not exist"), "{notes:?}");
        assert!(has("export", "written by livephoto"), "{notes:?}");
        assert!(w.ids.contains(&FileId::here(&lib.join("x-again.jpg")).unwrap()), "the link itself is an input too");
        assert!(!w.ids.contains(&FileId::follow(&lib.join("export/x.mp4")).unwrap()), "an export folder is not an input");
    }
}
