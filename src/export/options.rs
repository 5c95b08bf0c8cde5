//! What an export is asked to do, as plain values the library owns: the CLI (or any other
//! caller) fills these in; [`ConvertOptions::validate`] says which combinations make no sense.

use super::error::OptionError;
pub use super::animated::{Animated, AnimatedOut};
pub use super::filters::Effect;
use super::filters::Trim;
pub use super::gif::GifOut;
pub use super::made::Writer;
pub use super::live::LivePhotoOut;
pub use super::motion::MotionPhoto;
pub use super::mp4::{Mp4, Mp4Codec};
use crate::pair::PairOptions;
use crate::scan::{Filter, LivePhoto};
use std::path::PathBuf;

/// Where outputs go and how a run behaves; shared by `convert` and `stills`.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// Output folder; the layout below each scanned folder is kept.
    pub dir: PathBuf,
    /// Parallel jobs (`None`: one per core).
    pub jobs: Option<usize>,
    /// Replace existing outputs (a scanned file is never replaced).
    pub overwrite: bool,
    /// Plan only: write nothing.
    pub dry_run: bool,
    /// How stills and clips are paired.
    pub pairing: PairOptions,
    /// Which Live Photos to export.
    pub filter: Filter,
}

/// What `convert` makes of each Live Photo: a format and its own options. Each variant's
/// payload is that format's [`Writer`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    Mp4(Mp4),
    /// A Google Motion Photo: a JPEG with the MP4 appended (`<stem>.MP.jpg`).
    MotionPhoto(MotionPhoto),
    Gif(GifOut),
    /// An animated WebP or AVIF.
    Animated(AnimatedOut),
    /// An Apple Live Photo: `<stem>.HEIC` or `.JPG` and `<stem>.MOV` with one content identifier.
    LivePhoto(LivePhotoOut),
}

impl Target {
    /// The format's writer.
    pub fn writer(&self) -> &dyn Writer {
        match self {
            Target::Mp4(w) => w,
            Target::MotionPhoto(w) => w,
            Target::Gif(w) => w,
            Target::Animated(w) => w,
            Target::LivePhoto(w) => w,
        }
    }
}

/// What `convert` is asked to do: the format, and what part of the clip plays how.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    pub to: Target,
    /// Bounce or Loop (`None`: the clip as it is).
    pub effect: Option<Effect>,
    /// Seconds into the clip to start and end at.
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// Seconds either side of the key photo to keep (instead of start/end).
    pub around_key: Option<f64>,
}

impl ConvertOptions {
    /// `to`, the whole clip as it is.
    pub fn new(to: Target) -> Self {
        ConvertOptions { to, effect: None, start: None, end: None, around_key: None }
    }

    /// Options that make no sense, alone or together, found before any work.
    pub fn validate(&self) -> Result<(), OptionError> {
        let trims = self.start.is_some() || self.end.is_some() || self.around_key.is_some();
        self.to.writer().check(trims, self.effect.is_some())?;
        if [self.start, self.end, self.around_key].into_iter().flatten().any(|v| !(v.is_finite() && v >= 0.0)) {
            return Err(OptionError::NegativeTime);
        }
        match (self.start, self.end) {
            (Some(s), Some(e)) if e <= s => Err(OptionError::EndBeforeStart),
            _ => Ok(()),
        }
    }

    /// What made an output, as the manifest records it: the format's words, then the clip's.
    pub fn settings(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
        let effect = match self.effect {
            None => "-",
            Some(Effect::Bounce) => "bounce",
            Some(Effect::Loop) => "loop",
        };
        let clip = format!("effect {effect}, start {}, end {}, around-key {}", opt(self.start), opt(self.end), opt(self.around_key));
        format!("{}, {clip}", self.to.writer().settings())
    }

    /// The part of `lp`'s clip to keep.
    pub(super) fn trim_for(&self, lp: &LivePhoto) -> Trim {
        match self.around_key {
            Some(s) => {
                let key = lp.clip.info.key_time_s.unwrap_or(lp.clip.info.duration_s / 2.0);
                Trim { start: Some((key - s).max(0.0)), end: Some(key + s) }
            }
            None => Trim { start: self.start, end: self.end },
        }
    }
}

/// What `stills` writes for each Live Photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StillOut {
    /// The still, byte for byte.
    Original,
    /// HEIC stills converted to JPEG (JPEGs copied); with `hdr`, one with a gain map becomes an
    /// Ultra HDR JPEG.
    Jpeg { hdr: bool },
    /// Photos' Long Exposure: the clip's frames aligned and averaged into one JPEG.
    LongExposure,
}

impl StillOut {
    /// What made an output, as the manifest records it (see [`ConvertOptions::settings`]).
    pub fn settings(self) -> String {
        match self {
            StillOut::Original => "stills: format original".into(),
            // an SDR JPEG is what earlier versions made: the same words
            StillOut::Jpeg { hdr: false } => "stills: format jpeg".into(),
            StillOut::Jpeg { hdr: true } => "stills: format jpeg, ultra hdr".into(),
            StillOut::LongExposure => "stills: effect long-exposure".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4(codec: Mp4Codec) -> ConvertOptions {
        ConvertOptions::new(Target::Mp4(Mp4 { codec }))
    }

    fn gif(fps: f64, width: u32, quality: Option<u8>) -> ConvertOptions {
        ConvertOptions::new(Target::Gif(GifOut { fps, width, quality, max_size: None }))
    }

    #[test]
    fn nonsense_options_are_named() {
        assert_eq!(mp4(Mp4Codec::Auto).validate(), Ok(()));
        assert_eq!(ConvertOptions { start: Some(1.0), ..mp4(Mp4Codec::Copy) }.validate(), Err(OptionError::CopyCannotTrim));
        assert_eq!(ConvertOptions { effect: Some(Effect::Loop), ..mp4(Mp4Codec::Copy) }.validate(), Err(OptionError::CopyCannotApplyEffect));
        let motion = ConvertOptions::new(Target::MotionPhoto(MotionPhoto { codec: Mp4Codec::Copy, hdr: true }));
        assert_eq!(ConvertOptions { effect: Some(Effect::Bounce), ..motion }.validate(), Err(OptionError::CopyCannotApplyEffect));
        assert_eq!(ConvertOptions { effect: Some(Effect::Loop), ..gif(15.0, 480, None) }.validate(), Ok(()));
        assert_eq!(gif(0.0, 480, None).validate(), Err(OptionError::Fps));
        assert_eq!(gif(15.0, 8, None).validate(), Err(OptionError::Width));
        assert_eq!(gif(15.0, 480, Some(0)).validate(), Err(OptionError::Quality));
        let avif = AnimatedOut { kind: Animated::Avif, fps: 15.0, width: 5000, quality: None };
        assert_eq!(ConvertOptions::new(Target::Animated(avif)).validate(), Err(OptionError::Width));
        assert_eq!(ConvertOptions { around_key: Some(f64::NAN), ..mp4(Mp4Codec::Auto) }.validate(), Err(OptionError::NegativeTime));
        assert_eq!(ConvertOptions { start: Some(2.0), end: Some(1.0), ..mp4(Mp4Codec::Auto) }.validate(), Err(OptionError::EndBeforeStart));
    }

    #[test]
    fn settings_name_the_format_and_the_clip() {
        assert_eq!(gif(15.0, 480, None).settings(), "gif: fps 15, width 480, quality 90, max-size -, effect -, start -, end -, around-key -");
        assert_eq!(ConvertOptions { start: Some(0.5), ..mp4(Mp4Codec::Copy) }.settings(), "mp4: codec copy, effect -, start 0.5, end -, around-key -");
    }
}
