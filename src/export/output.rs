//! How outputs appear: each output is written to a hidden temporary file in its final folder and
//! renamed into place only when complete, never over an existing file unless asked, never over
//! a scanned file (checked by identity just before the rename). A job that stops (an error,
//! Ctrl-C) drops its [`Pending`], which removes the temporary. Where outputs go is [`super::target`].

use super::error::JobError;
use crate::display::show;
use crate::walk::FileId;
use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// A temporary file beside `dest` that becomes `dest` on [`Pending::commit`].
pub struct Pending {
    tmp: NamedTempFile,
    dest: PathBuf,
}

impl Pending {
    pub fn new(dest: &Path) -> Result<Self, JobError> {
        let dir = dest.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(JobError::io(format!("cannot create {}", show(dir))))?;
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
            // tempfile's errors name the hidden temporary file: people are told the folder only
            .map_err(|e| JobError::io(format!("cannot create a file in {}", show(dir)))(without_path(e)))?;
        Ok(Pending { tmp, dest: dest.to_path_buf() })
    }

    pub fn file(&mut self) -> &mut fs::File {
        self.tmp.as_file_mut()
    }

    /// Flushes to disk, sets the modification time, and renames into place. With `overwrite`
    /// false an existing destination is kept and this fails; a destination that is one of the
    /// scanned files (`inputs`, by identity, however it is reached) is never replaced.
    pub fn commit(self, overwrite: bool, mtime: Option<std::time::SystemTime>, inputs: &HashSet<FileId>) -> Result<(), JobError> {
        let f = self.tmp.as_file();
        f.sync_all()?;
        if let Some(t) = mtime {
            let _ = f.set_modified(t);
        }
        if crate::walk::is_one_of(&self.dest, inputs) {
            return Err(JobError::WouldReplaceInput(self.dest));
        }
        let result = if overwrite { self.tmp.persist(&self.dest).map(|_| ()) } else { self.tmp.persist_noclobber(&self.dest).map(|_| ()) };
        result.map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                JobError::AppearedMeanwhile(self.dest.clone())
            } else {
                JobError::Io { doing: format!("cannot rename into {}", show(&self.dest)), source: e.error }
            }
        })
    }
}

/// The same error without the path tempfile adds to its message.
fn without_path(e: io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::from(e.kind()),
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
    fn commit_never_clobbers_unless_asked_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.mp4");
        fs::write(&dest, b"old").unwrap();
        let mut p = Pending::new(&dest).unwrap();
        io::Write::write_all(p.file(), b"new").unwrap();
        let none = HashSet::new();
        assert!(matches!(p.commit(false, None, &none), Err(JobError::AppearedMeanwhile(_))));
        assert_eq!(fs::read(&dest).unwrap(), b"old");
        let mut p = Pending::new(&dest).unwrap();
        io::Write::write_all(p.file(), b"new").unwrap();
        p.commit(true, None, &none).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        let scanned: HashSet<FileId> = FileId::follow(&dest).into_iter().collect();
        let mut p = Pending::new(&dest).unwrap();
        io::Write::write_all(p.file(), b"newer").unwrap();
        let got = p.commit(true, None, &scanned);
        assert!(matches!(got, Err(JobError::WouldReplaceInput(_))), "a scanned file is never replaced, even with overwrite: {got:?}");
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary left behind");
    }
}
