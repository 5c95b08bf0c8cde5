//! Where outputs go, decided before any work:
//!
//! - `-o DIR` must be a folder (or not exist yet), and neither a scanned folder nor one that
//!   holds a scanned folder: those are usage errors (exit 2), found before anything is written.
//! - Each target is `DIR/<still's folder below its root>/<name>`; a name that is taken in this
//!   run, or that is one of the scanned files (by device + inode, however `-o` is spelled,
//!   through `..` or links), gets a `-2`, `-3`… suffix. A scanned file is never a target.
//! - DIR carries [`EXPORT_MARKER`]: a walk from above never reads a folder holding it, so a second run
//!   does not read the first run's outputs back. The marker is also a manifest, one line per
//!   output (the size and modification time of its sources, then the output's path below DIR),
//!   so a re-run tells outputs that are already there from those whose source changed since.

use super::error::ExportError;
use crate::walk::{FileId, EXPORT_MARKER};
use base64::Engine;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const MARKER_HEADER: &str = "# livephoto export folder: a livephoto scan of a folder above skips the folder holding this file.\n\
# One line per output: size:mtime_ns of each source, a tab, the output's path below this folder (base64).\n";

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
pub fn free_names(dest: PathBuf, companion: Option<&str>, taken: &HashSet<PathBuf>, inputs: &HashSet<FileId>) -> (PathBuf, Option<PathBuf>) {
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

/// The size and modification time of each source: what "the source changed" means.
pub fn fingerprint(sources: &[&Path]) -> String {
    let one = |p: &&Path| match fs::metadata(p) {
        Ok(m) => {
            let ns = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
            format!("{}:{ns}", m.len())
        }
        Err(_) => "?".into(),
    };
    sources.iter().map(one).collect::<Vec<_>>().join(",")
}

/// What a re-run finds at a target that already exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// Exported by livephoto from the same sources with other settings (these, in words).
    OtherSettings(String),
    /// Exported by livephoto from the same version of its sources.
    Current,
    /// Exported by livephoto, but a source changed since (size or modification time).
    Stale,
    /// Not in the manifest: someone else's file, or an export from before the manifest.
    Foreign,
}

/// The export marker and manifest of one output folder.
pub struct Marker {
    dir: PathBuf,
    known: HashMap<PathBuf, String>,
    file: Option<Mutex<File>>,
    /// This run made the output folder (it was not there): it takes it away again if it writes
    /// nothing into it ([`Marker::tidy`]).
    created: bool,
}

impl Marker {
    /// Reads the manifest of `dir` if it has one; with `create`, makes the folder and the marker
    /// and holds the folder for this run: a second run into the same folder waits (`waiting` is
    /// called first) until this one is done, then finds its outputs in the manifest as already
    /// there, instead of meeting them half-made. The lock is the marker's own (`flock`), released
    /// when the run ends however it ends.
    pub fn open(dir: &Path, create: bool, waiting: &dyn Fn()) -> io::Result<Self> {
        let path = dir.join(EXPORT_MARKER);
        let created = create && !dir.exists();
        let file = if create {
            fs::create_dir_all(dir)?;
            let f = OpenOptions::new().create(true).append(true).open(&path)?;
            match f.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    waiting();
                    f.lock()?;
                }
                Err(fs::TryLockError::Error(e)) => return Err(e),
            }
            Some(f)
        } else {
            None
        };
        // read under the lock: what an earlier or concurrent run wrote is known
        let known = fs::read(&path).map(|b| parse_manifest(&b)).unwrap_or_default();
        let file = match file {
            Some(mut f) => {
                if f.metadata()?.len() == 0 {
                    f.write_all(MARKER_HEADER.as_bytes())?;
                }
                Some(Mutex::new(f))
            }
            None => None,
        };
        Ok(Marker { dir: dir.to_path_buf(), known, file, created })
    }

    /// Takes away the folders this run made and left empty: below the output folder, those of
    /// `unwritten` outputs (failed, stopped by Ctrl-C), up to the output folder; and the output
    /// folder itself when this run made it and wrote nothing into it but this marker. A folder
    /// that holds anything stays.
    pub fn tidy<'p>(&self, unwritten: impl Iterator<Item = &'p Path>) {
        for out in unwritten {
            let mut dir = out.parent();
            while let Some(d) = dir.filter(|d| d.starts_with(&self.dir) && *d != self.dir) {
                if fs::remove_dir(d).is_err() {
                    break; // not empty (or not ours to remove): the folders above hold it
                }
                dir = d.parent();
            }
        }
        let only_marker = fs::read_dir(&self.dir).is_ok_and(|mut e| e.all(|e| e.is_ok_and(|e| e.file_name() == EXPORT_MARKER)));
        let nothing_recorded = self.file.is_some() && fs::read(self.dir.join(EXPORT_MARKER)).is_ok_and(|b| parse_manifest(&b).is_empty());
        if self.created && only_marker && nothing_recorded {
            let _ = fs::remove_file(self.dir.join(EXPORT_MARKER));
            let _ = fs::remove_dir(&self.dir);
        }
    }

    /// What is at `dest` (which exists), against what this run would make of its sources:
    /// `fingerprint` is the sources' sizes and times, then `#` and the settings' words. A
    /// manifest line without settings (an earlier livephoto) is judged by its sources alone.
    pub fn existing(&self, dest: &Path, fingerprint: &str) -> Existing {
        let Some(known) = dest.strip_prefix(&self.dir).ok().and_then(|rel| self.known.get(rel)) else { return Existing::Foreign };
        let (sources, settings) = fingerprint.split_once('#').unwrap_or((fingerprint, ""));
        let (was_sources, was_settings) = match known.split_once('#') {
            Some((s, w)) => (s, Some(w)),
            None => (known.as_str(), None),
        };
        match (was_sources == sources, was_settings) {
            (false, _) => Existing::Stale,
            (true, Some(w)) if w != settings => Existing::OtherSettings(w.to_string()),
            _ => Existing::Current,
        }
    }

    /// Adds a finished output to the manifest (one line, appended under a lock).
    pub fn record(&self, dest: &Path, fingerprint: &str) -> io::Result<()> {
        let (Some(file), Ok(rel)) = (&self.file, dest.strip_prefix(&self.dir)) else { return Ok(()) };
        let line = format!("{fingerprint}\t{}\n", base64::engine::general_purpose::STANDARD.encode(crate::display::bytes(rel)));
        let mut f = file.lock().map_err(|_| io::Error::other("manifest lock poisoned"))?;
        f.write_all(line.as_bytes())
    }
}

fn parse_manifest(bytes: &[u8]) -> HashMap<PathBuf, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut known = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((fp, rel)) = line.split_once('\t') else { continue };
        if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(rel.trim()) {
            known.insert(path_from_bytes(raw), fp.to_string()); // later lines win
        }
    }
    known
}

#[cfg(unix)]
fn path_from_bytes(b: Vec<u8>) -> PathBuf {
    PathBuf::from(<OsString as std::os::unix::ffi::OsStringExt>::from_vec(b))
}

#[cfg(not(unix))]
fn path_from_bytes(b: Vec<u8>) -> PathBuf {
    String::from_utf8_lossy(&b).into_owned().into()
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
        assert_eq!(free_names(PathBuf::from("/out/PXL_1.MP.jpg"), None, &taken, &HashSet::new()).0, PathBuf::from("/out/PXL_1-2.MP.jpg"), "a motion photo keeps its .MP");
    }

    #[test]
    fn manifest_tells_current_from_stale_and_foreign() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        let src = d.path().join("a.MOV");
        fs::write(&src, b"clip").unwrap();
        let fp = fingerprint(&[&src]);
        let m = Marker::open(&out, true, &|| ()).unwrap();
        m.record(&out.join("sub/a.mp4"), &fp).unwrap();
        drop(m);
        let m = Marker::open(&out, false, &|| ()).unwrap();
        assert_eq!(m.existing(&out.join("sub/a.mp4"), &fp), Existing::Current);
        fs::write(&src, b"clip, edited").unwrap();
        assert_eq!(m.existing(&out.join("sub/a.mp4"), &fingerprint(&[&src])), Existing::Stale);
        assert_eq!(m.existing(&out.join("b.mp4"), &fp), Existing::Foreign);
        assert!(fs::read_to_string(out.join(EXPORT_MARKER)).unwrap().starts_with("# livephoto export folder"));
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
