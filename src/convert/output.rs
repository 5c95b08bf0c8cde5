//! Where outputs go and how they appear: each output is written to a hidden temporary file in its
//! final folder and renamed into place only when complete, never over an existing file unless
//! asked, never over an input. Ctrl-C sets [`CANCELLED`]; jobs stop and their temporaries are
//! removed when dropped.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use tempfile::NamedTempFile;

/// Set by the Ctrl-C handler; every job checks it between packets/frames.
pub static CANCELLED: AtomicBool = AtomicBool::new(false);

pub fn cancelled() -> bool {
    CANCELLED.load(Ordering::Relaxed)
}

/// Installs the Ctrl-C handler once (a second call is a no-op).
pub fn install_ctrlc() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| CANCELLED.store(true, Ordering::SeqCst));
    });
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("interrupted")]
    Cancelled,
    #[error("{0}")]
    Failed(String),
}

impl From<io::Error> for JobError {
    fn from(e: io::Error) -> Self {
        JobError::Failed(io_words(&e))
    }
}

impl From<ffmpeg_next::Error> for JobError {
    fn from(e: ffmpeg_next::Error) -> Self {
        JobError::Failed(format!("FFmpeg: {e}"))
    }
}

/// An I/O error in words, with the one users meet most spelled out.
pub fn io_words(e: &io::Error) -> String {
    if e.raw_os_error() == Some(28) || e.kind() == io::ErrorKind::StorageFull {
        "the disk is full (no space left on device)".into()
    } else {
        e.to_string()
    }
}

/// `DIR/<folder of source relative to root>/<name>`.
pub fn plan(out_dir: &Path, root: &Path, source: &Path, name: &str) -> PathBuf {
    let rel_dir = source.parent().and_then(|p| p.strip_prefix(root).ok()).unwrap_or(Path::new(""));
    out_dir.join(rel_dir).join(name)
}

/// A temporary file beside `dest` that becomes `dest` on [`Pending::commit`].
pub struct Pending {
    tmp: NamedTempFile,
    dest: PathBuf,
}

impl Pending {
    pub fn new(dest: &Path) -> Result<Self, JobError> {
        let dir = dest.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(|e| JobError::Failed(format!("cannot create {}: {}", dir.display(), io_words(&e))))?;
        let ext = dest.extension().and_then(|e| e.to_str()).unwrap_or("tmp");
        let mut builder = tempfile::Builder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // an ordinary file's permissions (tempfile's default 0600 would hide exports from other users)
            builder.permissions(fs::Permissions::from_mode(0o644));
        }
        let tmp = builder
            .prefix(".livephoto-")
            .suffix(&format!(".part.{ext}"))
            .tempfile_in(dir)
            .map_err(|e| JobError::Failed(format!("cannot create a file in {}: {}", dir.display(), io_words(&e))))?;
        Ok(Pending { tmp, dest: dest.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn file(&mut self) -> &mut fs::File {
        self.tmp.as_file_mut()
    }

    /// Flushes to disk, sets the modification time, and renames into place. With `overwrite`
    /// false an existing destination is kept and this fails.
    pub fn commit(self, overwrite: bool, mtime: Option<std::time::SystemTime>) -> Result<(), JobError> {
        if crate::convert::output::cancelled() {
            return Err(JobError::Cancelled);
        }
        let f = self.tmp.as_file();
        f.sync_all()?;
        if let Some(t) = mtime {
            let _ = f.set_modified(t);
        }
        let result = if overwrite { self.tmp.persist(&self.dest).map(|_| ()) } else { self.tmp.persist_noclobber(&self.dest).map(|_| ()) };
        result.map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                JobError::Failed(format!("{} appeared while converting; kept it", self.dest.display()))
            } else {
                JobError::Failed(format!("cannot rename into {}: {}", self.dest.display(), io_words(&e.error)))
            }
        })
    }
}

/// Seconds since 1970 to a SystemTime (for output mtimes).
pub fn system_time(unix: i64) -> Option<std::time::SystemTime> {
    let d = std::time::Duration::from_secs(u64::try_from(unix).ok()?);
    std::time::UNIX_EPOCH.checked_add(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_mirrors_the_layout_below_the_root() {
        let p = plan(Path::new("/out"), Path::new("/lib"), Path::new("/lib/2021/trip/IMG_1.HEIC"), "IMG_1.mp4");
        assert_eq!(p, PathBuf::from("/out/2021/trip/IMG_1.mp4"));
        let p = plan(Path::new("out"), Path::new("/x"), Path::new("/elsewhere/IMG_2.JPG"), "IMG_2.gif");
        assert_eq!(p, PathBuf::from("out/IMG_2.gif"));
    }

    #[test]
    fn commit_never_clobbers_unless_asked_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.mp4");
        fs::write(&dest, b"old").unwrap();
        let mut p = Pending::new(&dest).unwrap();
        io::Write::write_all(p.file(), b"new").unwrap();
        assert!(p.commit(false, None).is_err());
        assert_eq!(fs::read(&dest).unwrap(), b"old");
        let mut p = Pending::new(&dest).unwrap();
        io::Write::write_all(p.file(), b"new").unwrap();
        p.commit(true, None).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary left behind");
    }
}
