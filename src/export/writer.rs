//! The seam between what runs an export and its outputs. Every output, a `convert` format, a
//! `stills` picture or a report's, is one [`Writer`]: it is given one Live Photo ([`Input`],
//! with what it carries over, [`ExportMeta`]) and returns what it made ([`Made`], the one report
//! carried from the writer through the runner to the summary and `--json`). A `convert` format
//! also declares itself to the command line ([`Spec`]: its `--to` word and help line, the options
//! it takes with their defaults, and in its own words why it takes no other). The runner, the
//! naming and the manifest know no format.
//!
//! Writers import this file and what lies below it, never `export/mod.rs` (docs/conventions.md
//! "The shape").

use super::control::Ticker;
use super::destination::name_with;
use super::error::{JobError, OptionError};
use super::filters::{Effect, Trim};
use crate::meta::CaptureTime;
use crate::scan::LivePhoto;
use std::ffi::OsString;
use std::fs::File;
use std::path::Path;

/// What an output carries over from the Live Photo.
#[derive(Debug, Clone, Default)]
pub struct ExportMeta {
    /// MP4 `creation_time`: UTC, "2021-04-10T10:44:00.000000Z".
    pub creation_time: Option<String>,
    pub mtime: Option<i64>,
    pub location: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub rotation: u16,
}

impl ExportMeta {
    pub fn of(lp: &LivePhoto) -> Self {
        let utc = utc_capture(lp);
        ExportMeta {
            creation_time: utc.map(|u| {
                let t = CaptureTime { local: u, offset_s: Some(0) }.to_rfc3339();
                format!("{}.000000Z", t.trim_end_matches('Z'))
            }),
            mtime: utc.map(|u| u.floor() as i64),
            location: lp.location().map(|g| g.to_iso6709()),
            make: lp.make().map(String::from),
            model: lp.model().map(String::from),
            rotation: lp.clip.info.video.as_ref().map_or(0, |v| v.rotation),
        }
    }
}

/// The capture instant in UTC: the Live Photo's time when its offset is known (the still's own,
/// or the clip's offset on the still's local time), else the clip's instant (its `creationdate`
/// has an offset, its `mvhd` is UTC), else the still's local time as UTC.
fn utc_capture(lp: &LivePhoto) -> Option<f64> {
    let (s, c) = (lp.still.info.shot.captured_at, lp.clip.info.shot.captured_at);
    lp.captured_at().and_then(|t| t.utc()).or_else(|| c.and_then(|t| t.utc())).or_else(|| s.or(c).map(|t| t.local))
}

/// What a writer is handed for one Live Photo.
pub struct Input<'a> {
    pub lp: &'a LivePhoto,
    pub meta: &'a ExportMeta,
    /// The part of the clip to keep, and the effect with the kept part's length in seconds.
    pub trim: Trim,
    pub effect: Option<(Effect, f64)>,
    /// The content identifier the writer gave for this Live Photo ([`Writer::identifier`]),
    /// found once for the whole job.
    pub identifier: Option<Identifier>,
}

/// What a writer made, and what the runner adds (the bytes in and out): one report from the
/// writer to the summary and `--json`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Made {
    /// Video frames written (`None` for a picture that is not made of frames).
    pub frames: Option<u64>,
    pub reencoded: Option<Reencoded>,
    pub fitted: Option<GifFit>,
    /// The content identifier written (`--to live-photo`).
    pub identifier: Option<Identifier>,
    /// What the output could not keep (a gain map that could not be used), for the user.
    pub note: Option<String>,
    /// Bytes of what the output is made from ([`MadeOf`]) and of the output: the runner's.
    pub bytes: (u64, u64),
}

impl Made {
    /// `frames` video frames, nothing else to say.
    pub fn frames(frames: u64) -> Self {
        Made { frames: Some(frames), ..Made::default() }
    }
}

/// The content identifier a Live Photo is written with: its own (`kept`), or a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub value: String,
    pub kept: bool,
}

/// One output: how it is named, what it is made from, and how it is written.
pub trait Writer: Sync {
    /// What goes after the still's stem: a suffix (`.MP`) and the extension.
    fn name(&self) -> (&'static str, &'static str);
    /// The output's file name for `lp` (by default the still's stem, [`Writer::name`]'s suffix
    /// and extension).
    fn file_name(&self, lp: &LivePhoto) -> OsString {
        let (suffix, ext) = self.name();
        name_with(&lp.still.path, suffix, ext)
    }
    /// What made an output, in words the manifest records (a re-run with other settings is told
    /// apart by them).
    fn settings(&self) -> String;
    /// Options that make no sense for this output, found before any work; `trimmed` and
    /// `effect` say whether a trim or an effect was asked.
    fn check(&self, _trimmed: bool, _effect: bool) -> Result<(), OptionError> {
        Ok(())
    }
    /// Writes the Live Photo into `out`.
    fn write(&self, input: &Input<'_>, out: &mut File, ticker: &Ticker<'_>) -> Result<Made, JobError>;
    /// A second file written beside the first under the same stem (a Live Photo's still): its
    /// extension. Both are renamed into place together, once both are complete.
    fn companion(&self, _lp: &LivePhoto) -> Option<&'static str> {
        None
    }
    /// Writes the companion file into `out`.
    fn write_companion(&self, _input: &Input<'_>, _out: &mut File) -> Result<(), JobError> {
        Ok(())
    }
    /// The content identifier `lp` would be written with (a dry run lists it).
    fn identifier(&self, _lp: &LivePhoto) -> Option<Identifier> {
        None
    }
    /// What the output is made from, for the bytes in the summary: the clip, unless the output
    /// carries the still too, or is the still.
    fn made_of(&self) -> MadeOf {
        MadeOf::Clip
    }
    /// The files whose size and time the manifest records: the output is out of date when one
    /// of them changes. The last is the one a failure is about unless its error names another.
    fn sources<'a>(&self, lp: &'a LivePhoto) -> Vec<&'a Path> {
        vec![&lp.still.path, &lp.clip.path]
    }
    /// The output's modification time, seconds since 1970: by default the capture time.
    fn mtime(&self, lp: &LivePhoto) -> Option<i64> {
        ExportMeta::of(lp).mtime
    }
    /// What the summary says was done to each output (`converted 3`).
    fn verb(&self) -> &'static str {
        "converted"
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
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
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

/// An option of `convert` that a format may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    Codec,
    Sdr,
    Fps,
    Width,
    Quality,
    MaxSize,
    /// `--start`, `--end`, `--around-key`.
    Trim,
    Effect,
}

impl Opt {
    /// The flag as people type it.
    pub fn flag(self) -> &'static str {
        match self {
            Opt::Codec => "--codec",
            Opt::Sdr => "--sdr",
            Opt::Fps => "--fps",
            Opt::Width => "--width",
            Opt::Quality => "--quality",
            Opt::MaxSize => "--max-size",
            Opt::Trim => "--start, --end or --around-key",
            Opt::Effect => "--effect",
        }
    }
}

/// How a format's MP4 video is made (`--codec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mp4Codec {
    /// An MP4 that plays everywhere: copy H.264, re-encode anything else (or a trimmed clip) to
    /// 8-bit H.264.
    #[default]
    Auto,
    /// Copy the video stream untouched.
    Copy,
    /// Re-encode to H.264 (for players without HEVC).
    H264,
}

impl Mp4Codec {
    /// `auto`, `copy`, `h264`.
    pub fn word(self) -> &'static str {
        match self {
            Mp4Codec::Auto => "auto",
            Mp4Codec::Copy => "copy",
            Mp4Codec::H264 => "h264",
        }
    }

    /// A copy cannot cut exactly nor play an effect.
    pub fn check(self, trimmed: bool, effect: bool) -> Result<(), OptionError> {
        match (self, trimmed, effect) {
            (Mp4Codec::Copy, true, _) => Err(OptionError::CopyCannotTrim),
            (Mp4Codec::Copy, _, true) => Err(OptionError::CopyCannotApplyEffect),
            _ => Ok(()),
        }
    }
}

/// What the command line gave for a format to take: each format reads the options it takes
/// ([`Spec::takes`]) and puts its own defaults in for those not given.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Settings {
    pub codec: Option<Mp4Codec>,
    /// `false` with `--sdr`.
    pub hdr: bool,
    pub fps: Option<f64>,
    pub width: Option<u32>,
    pub quality: Option<u8>,
    pub max_size: Option<u64>,
}

/// A `convert` format as the command line knows it: plain data, so naming a format links none
/// of its code (the scanner's binary lists formats without FFmpeg). Its writer is made by the
/// `make` function beside it, which `export`'s list of formats pairs with it.
#[derive(Debug)]
pub struct Spec {
    /// Its `--to` word.
    pub word: &'static str,
    /// One line for `--to`'s help.
    pub help: &'static str,
    /// The options it takes, with its default where it has one (shown in `--help`).
    pub takes: &'static [(Opt, Option<&'static str>)],
    /// Why it takes no other option: said when one is given anyway.
    pub refuses: &'static str,
}

impl Spec {
    /// Whether this format takes `opt`.
    pub fn takes(&self, opt: Opt) -> bool {
        self.takes.iter().any(|(o, _)| *o == opt)
    }

    /// This format's default for `opt`, when it takes it and has one.
    pub fn default_of(&self, opt: Opt) -> Option<&'static str> {
        self.takes.iter().find(|(o, _)| *o == opt).and_then(|(_, d)| *d)
    }
}
