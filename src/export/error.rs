//! What can go wrong in an export, as values: [`ExportError`] stops the command before any
//! work (a usage problem: exit 2), [`JobError`] fails one Live Photo and the run goes on.
//! Messages say which file, what was wrong, and what to do; tests match the variants.

use crate::display::show;
use std::io;
use std::path::PathBuf;

/// Why `convert`, `stills` or `report` did not start.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{}: no such file or folder", show(.0))]
    NoSuchPath(PathBuf),
    #[error(transparent)]
    Options(#[from] OptionError),
    #[error("-o {}: exists and is not a folder", show(.0))]
    OutputNotFolder(PathBuf),
    #[error("-o {}: {source}", show(path))]
    OutputUnreadable { path: PathBuf, source: io::Error },
    #[error(
        "-o {} is the scanned folder {} or holds it: its outputs would mix with the inputs. \
         Choose another folder (a new subfolder is fine: livephoto never scans its own exports)",
        show(out),
        show(root)
    )]
    OutputHoldsRoot { out: PathBuf, root: PathBuf },
    #[error(
        "-o {} holds files that were scanned as inputs (such as {}): choose a new folder, or one outside the scanned folders",
        show(out),
        show(example)
    )]
    OutputHoldsInputs { out: PathBuf, example: PathBuf },
    #[error("-o {}: exists and is not a livephoto report; --overwrite replaces it", show(.0))]
    PageExists(PathBuf),
    #[error("-o {} is one of the scanned files; choose another name for the report", show(.0))]
    PageIsInput(PathBuf),
    #[error("cannot prepare the output folder {}: {}", show(path), io_words(source))]
    Marker { path: PathBuf, source: io::Error },
}

/// Options that make no sense, alone or together.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionError {
    #[error("--codec copy cannot cut exactly; use --codec auto or h264 to trim")]
    CopyCannotTrim,
    #[error("--codec copy cannot apply an effect; use --codec auto or h264 with --effect")]
    CopyCannotApplyEffect,
    #[error("--quality must be between 1 and 100")]
    Quality,
    #[error("--fps must be above 0 and at most 60")]
    Fps,
    #[error("--width must be between 16 and 4096")]
    Width,
    #[error("times must be zero or more seconds")]
    NegativeTime,
    #[error("--end must be after --start")]
    EndBeforeStart,
    #[error("--to live-photo copies the clip as it is: it cannot trim or apply an effect")]
    LivePhotoCopies,
}

/// Why one Live Photo was not exported.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("interrupted")]
    Cancelled,
    /// Reading or writing failed; `doing` says what ("cannot open the clip").
    #[error("{doing}: {}", io_words(source))]
    Io { doing: String, source: io::Error },
    #[error("{doing}: {source}")]
    Ffmpeg { doing: String, source: ffmpeg_next::Error },
    #[error("the clip has no video stream")]
    NoVideo,
    #[error("the range {range} is outside this {clip_s:.2} s clip; nothing written")]
    OutsideClip { range: String, clip_s: f64 },
    #[error("the range {range} selects no video frame of this {clip_s:.2} s clip; nothing written")]
    NothingInRange { range: String, clip_s: f64 },
    #[error("the clip has no video frame; nothing written")]
    NoFrames,
    #[error("{} is one of the scanned files; not replaced", show(.0))]
    WouldReplaceInput(PathBuf),
    #[error("{} appeared while converting; kept it", show(.0))]
    AppearedMeanwhile(PathBuf),
    #[error("written, but the export manifest could not be updated: {}", io_words(.0))]
    Manifest(io::Error),
    /// What this FFmpeg or libheif lacks ("this FFmpeg has no libx264 encoder").
    #[error("{0}")]
    Unsupported(String),
    /// `--max-size` could not be met even at the least settings; nothing was written.
    #[error(
        "cannot fit in {} even at {width} px, {fps} fps, quality {quality} (that makes {}); nothing written. \
         Trim the clip (--around-key 1) or allow more (--max-size)",
        size_words(*.max), size_words(*.smallest)
    )]
    TooLarge { max: u64, smallest: u64, width: u32, fps: f64, quality: u8 },
    /// What a decoder or encoder found wrong with this file, in its words.
    #[error("{0}")]
    Media(String),
    /// A bug livephoto met on this file (a panic), caught so the run goes on.
    #[error("livephoto failed on this file (an internal error: {0}); please report it")]
    Internal(String),
    /// What went wrong lies in this one of the job's sources (a motion photo's still, when the
    /// job is mostly its clip's), which the failure names.
    #[error("{source}")]
    InFile { path: PathBuf, source: Box<JobError> },
}

/// Bytes for people: "8 MB", "512 KB", "1.25 MB" (powers of 1000, as `--max-size` takes them).
pub fn size_words(bytes: u64) -> String {
    let b = bytes as f64;
    let (v, unit) = if b >= 1e9 {
        (b / 1e9, "GB")
    } else if b >= 1e6 {
        (b / 1e6, "MB")
    } else if b >= 1e3 {
        (b / 1e3, "KB")
    } else {
        (b, "bytes")
    };
    let mut n = format!("{v:.2}");
    while n.contains('.') && (n.ends_with('0') || n.ends_with('.')) {
        n.pop();
    }
    format!("{n} {unit}")
}

/// What libheif said, in its own words (its `Display` adds the error codes' Rust names and
/// keeps the message's trailing line break).
pub fn heif_words(e: &libheif_rs::HeifError) -> String {
    match e.message.trim() {
        "" => format!("{:?}", e.code),
        words => words.to_string(),
    }
}

impl JobError {
    /// This error, as one of the source file at `path`.
    pub fn in_file(self, path: &std::path::Path) -> JobError {
        match self {
            JobError::Cancelled | JobError::InFile { .. } => self,
            e => JobError::InFile { path: path.to_path_buf(), source: Box::new(e) },
        }
    }

    /// The source file this error is about, when the error says.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            JobError::InFile { path, .. } => Some(path),
            _ => None,
        }
    }

    pub fn io(doing: impl Into<String>) -> impl FnOnce(io::Error) -> JobError {
        let doing = doing.into();
        move |source| JobError::Io { doing, source }
    }

    pub fn ffmpeg(doing: impl Into<String>) -> impl FnOnce(ffmpeg_next::Error) -> JobError {
        let doing = doing.into();
        move |source| JobError::Ffmpeg { doing, source }
    }
}

impl From<io::Error> for JobError {
    fn from(source: io::Error) -> Self {
        JobError::Io { doing: "cannot write the output".into(), source }
    }
}

impl From<ffmpeg_next::Error> for JobError {
    fn from(source: ffmpeg_next::Error) -> Self {
        match source {
            ffmpeg_next::Error::Other { errno: 28 } => {
                JobError::Io { doing: "cannot write the output".into(), source: io::Error::from_raw_os_error(28) }
            }
            source => JobError::Ffmpeg { doing: "FFmpeg".into(), source },
        }
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
