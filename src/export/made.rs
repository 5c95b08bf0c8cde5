//! The seam between `convert` and its output formats. Each format is one [`Writer`]: its file
//! name, the words the manifest records for its settings, its checks, and `write` (the clip in,
//! an open pending file out). What a writer reports besides its frames (why an MP4's video was
//! re-encoded, what `--max-size` chose for a GIF) is declared here, so the runner and the
//! reports carry it without knowing the writers that fill it in.

use super::control::Ticker;
use super::error::{JobError, OptionError};
use super::filters::{Effect, Trim};
use super::ExportMeta;
use crate::scan::LivePhoto;
use std::fs::File;

/// What a writer is handed for one Live Photo.
pub struct Clip<'a> {
    pub lp: &'a LivePhoto,
    pub meta: &'a ExportMeta,
    /// The part of the clip to keep, and the effect with the kept part's length in seconds.
    pub trim: Trim,
    pub effect: Option<(Effect, f64)>,
    /// The content identifier the writer gave for this Live Photo ([`Writer::identifier`]),
    /// found once for the whole job.
    pub identifier: Option<Identifier>,
}

/// What a writer made: the video frames written (0: none in range), and its report.
#[derive(Debug, Default)]
pub struct Made {
    pub frames: u64,
    pub reencoded: Option<Reencoded>,
    pub fitted: Option<GifFit>,
    /// The content identifier written (`--to live-photo`).
    pub identifier: Option<Identifier>,
    /// What the output could not keep (a gain map that could not be used), for the user.
    pub note: Option<String>,
}

/// The content identifier a Live Photo is written with: its own (`kept`), or a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub value: String,
    pub kept: bool,
}

impl Made {
    pub fn frames(frames: u64) -> Self {
        Made { frames, ..Made::default() }
    }
}

/// One output format.
pub trait Writer: Sync {
    /// What goes after the still's stem: a suffix (`.MP`) and the extension.
    fn name(&self) -> (&'static str, &'static str);
    /// What made an output, in words the manifest records (a re-run with other settings is told
    /// apart by them).
    fn settings(&self) -> String;
    /// Options that make no sense for this format, found before any work; `trimmed` and `effect`
    /// say whether a trim or an effect was asked.
    fn check(&self, trimmed: bool, effect: bool) -> Result<(), OptionError>;
    /// Writes the Live Photo into `out`.
    fn write(&self, clip: &Clip<'_>, out: &mut File, ticker: &Ticker<'_>) -> Result<Made, JobError>;
    /// A second file written beside the first under the same stem (a Live Photo's still): its
    /// extension. Both are renamed into place together, once both are complete.
    fn companion(&self, _lp: &LivePhoto) -> Option<&'static str> {
        None
    }
    /// Writes the companion file into `out`.
    fn write_companion(&self, _clip: &Clip<'_>, _out: &mut File) -> Result<(), JobError> {
        Ok(())
    }
    /// The content identifier `lp` would be written with (a dry run lists it).
    fn identifier(&self, _lp: &LivePhoto) -> Option<Identifier> {
        None
    }
    /// What the output is made from, for the bytes in the summary: the clip, unless the format
    /// carries the still too.
    fn made_of(&self) -> MadeOf {
        MadeOf::Clip
    }
}

/// What an output is made from: the bytes a summary counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MadeOf {
    Still,
    Clip,
    Both,
}

impl MadeOf {
    /// Bytes of that part of `lp`: a `.livp`'s or motion photo's video by its span, a motion
    /// photo's still up to its video, a file by its size.
    pub fn bytes(self, lp: &LivePhoto) -> u64 {
        let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let still = || match (&lp.still.embedded, lp.still.info.extra_at()) {
            (Some(e), _) => e.len,
            (None, Some(end)) => end,
            (None, None) => size(&lp.still.path),
        };
        let clip = || lp.clip.embedded.map_or_else(|| size(&lp.clip.path), |e| e.len);
        match self {
            MadeOf::Still => still(),
            MadeOf::Clip => clip(),
            MadeOf::Both => still() + clip(),
        }
    }
}

/// Why an MP4's video was re-encoded rather than copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reencoded {
    /// The clip's codec (HEVC, lowercase as FFmpeg names it) does not play everywhere.
    Codec(String),
    /// A trim: a stream copy cannot cut exactly.
    Trimmed,
    /// Bounce or Loop.
    Effect,
    /// `--codec h264`.
    Asked,
}

impl Reencoded {
    /// One word for the summary and `--json`: `hevc`, `trimmed`, `effect`, `asked`.
    pub fn word(&self) -> &str {
        match self {
            Reencoded::Codec(c) => c,
            Reencoded::Trimmed => "trimmed",
            Reencoded::Effect => "effect",
            Reencoded::Asked => "asked",
        }
    }
}

/// What `--max-size` chose for one GIF.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GifFit {
    pub width: u32,
    pub fps: f64,
    /// 1..=100.
    pub quality: u8,
    pub bytes: u64,
    /// Encodes it took (1: the asked settings fitted).
    pub passes: u32,
    /// Whether anything was lowered from what was asked.
    pub lowered: bool,
}

