//! The export marker and manifest of an output folder ([`EXPORT_MARKER`]): a walk from above
//! never reads a folder holding it, so a second run does not read the first run's outputs back;
//! and it lists each output with the size and modification time of its sources (and the
//! settings that made it), so a re-run tells outputs that are already there from those whose
//! source changed since. Two runs into one folder take turns (the marker is locked).

use crate::walk::EXPORT_MARKER;
use base64::Engine;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const MARKER_HEADER: &str = "# livephoto export folder: a livephoto scan of a folder above skips the folder holding this file.\n\
# One line per output: size:mtime_ns of each source, a tab, the output's path below this folder (base64).\n";

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
}
