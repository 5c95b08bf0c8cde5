//! What an export is asked to do, as plain values the library owns: the CLI (or any other
//! caller) fills these in; [`ConvertOptions::validate`] says which combinations make no sense.

use super::error::OptionError;
pub use super::filters::Effect;
use super::filters::Trim;
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

/// What `convert` makes of each Live Photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Mp4,
    Gif,
    /// A Google Motion Photo: a JPEG with the MP4 appended (`<stem>.MP.jpg`).
    MotionPhoto,
    /// An animated WebP.
    WebP,
    /// An animated AVIF.
    Avif,
}

impl Target {
    /// Animated images: frames at a rate and width of their own (GIF, WebP, AVIF).
    pub fn is_animated_image(self) -> bool {
        matches!(self, Target::Gif | Target::WebP | Target::Avif)
    }
}

/// How an MP4's video is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mp4Codec {
    /// An MP4 that plays everywhere: copy H.264, re-encode anything else (or a trimmed clip) to
    /// 8-bit H.264.
    Auto,
    /// Copy the video stream untouched.
    Copy,
    /// Re-encode to H.264 (for players without HEVC).
    H264,
}

#[derive(Debug, Clone)]
pub struct ConvertOptions {
    pub to: Target,
    /// Bounce or Loop (`None`: the clip as it is).
    pub effect: Option<Effect>,
    pub codec: Mp4Codec,
    /// GIF frames per second.
    pub fps: f64,
    /// GIF width in pixels (height follows the aspect ratio).
    pub width: u32,
    /// Quality, 1..=100, when asked: for GIF how far frames may stray from the dithered source
    /// to save bytes; for WebP libwebp's quality; for AVIF a CRF from 63 down to 0.
    pub quality: Option<u8>,
    /// The largest a GIF may be, in bytes: quality, width and frame rate are lowered to fit.
    pub max_size: Option<u64>,
    /// Seconds into the clip to start and end at.
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// Seconds either side of the key photo to keep (instead of start/end).
    pub around_key: Option<f64>,
}

impl ConvertOptions {
    /// A plain GIF at 15 fps and 480 px, as `convert --to gif` makes by default.
    pub fn gif() -> Self {
        ConvertOptions {
            to: Target::Gif,
            effect: None,
            codec: Mp4Codec::Auto,
            fps: 15.0,
            width: 480,
            quality: None,
            max_size: None,
            start: None,
            end: None,
            around_key: None,
        }
    }

    /// Options that make no sense, alone or together, found before any work.
    pub fn validate(&self) -> Result<(), OptionError> {
        let trims = self.start.is_some() || self.end.is_some() || self.around_key.is_some();
        let video = matches!(self.to, Target::Mp4 | Target::MotionPhoto);
        if video && self.codec == Mp4Codec::Copy && trims {
            return Err(OptionError::CopyCannotTrim);
        }
        if video && self.codec == Mp4Codec::Copy && self.effect.is_some() {
            return Err(OptionError::CopyCannotApplyEffect);
        }
        if self.to != Target::Gif && self.max_size.is_some() {
            return Err(OptionError::MaxSizeNotGif);
        }
        if !self.to.is_animated_image() && self.quality.is_some() {
            return Err(OptionError::QualityNotGif);
        }
        if self.quality.is_some_and(|q| !(1..=100).contains(&q)) {
            return Err(OptionError::Quality);
        }
        if !(self.fps > 0.0 && self.fps <= 60.0) {
            return Err(OptionError::Fps);
        }
        if !(16..=4096).contains(&self.width) {
            return Err(OptionError::Width);
        }
        if [self.start, self.end, self.around_key].into_iter().flatten().any(|v| !(v.is_finite() && v >= 0.0)) {
            return Err(OptionError::NegativeTime);
        }
        match (self.start, self.end) {
            (Some(s), Some(e)) if e <= s => Err(OptionError::EndBeforeStart),
            _ => Ok(()),
        }
    }

    /// What made an output, as the manifest records it: a re-run with other settings is told
    /// from one with the same (its outputs are "made with other settings", not "already there").
    pub fn settings(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
        let effect = match self.effect {
            None => "-",
            Some(Effect::Bounce) => "bounce",
            Some(Effect::Loop) => "loop",
        };
        let clip = format!("effect {effect}, start {}, end {}, around-key {}", opt(self.start), opt(self.end), opt(self.around_key));
        let codec = match self.codec {
            Mp4Codec::Auto => "auto",
            Mp4Codec::Copy => "copy",
            Mp4Codec::H264 => "h264",
        };
        match self.to {
            Target::Gif => format!(
                "gif: fps {}, width {}, quality {}, max-size {}, {clip}",
                self.fps,
                self.width,
                self.quality.unwrap_or(super::gif::GifQuality::DEFAULT.get()),
                self.max_size.map_or("-".into(), |m| m.to_string())
            ),
            Target::WebP | Target::Avif => {
                let kind = if self.to == Target::WebP { super::animated::Animated::WebP } else { super::animated::Animated::Avif };
                let q = self.quality.unwrap_or(kind.default_quality());
                format!("{}: fps {}, width {}, quality {q}, {clip}", kind.ext(), self.fps, self.width)
            }
            Target::Mp4 => format!("mp4: codec {codec}, {clip}"),
            Target::MotionPhoto => format!("motion-photo: codec {codec}, {clip}"),
        }
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
    /// HEIC stills converted to JPEG (JPEGs copied).
    Jpeg,
    /// Photos' Long Exposure: the clip's frames aligned and averaged into one JPEG.
    LongExposure,
}

impl StillOut {
    /// What made an output, as the manifest records it (see [`ConvertOptions::settings`]).
    pub fn settings(self) -> String {
        match self {
            StillOut::Original => "stills: format original".into(),
            StillOut::Jpeg => "stills: format jpeg".into(),
            StillOut::LongExposure => "stills: effect long-exposure".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ConvertOptions {
        ConvertOptions { to: Target::Mp4, ..ConvertOptions::gif() }
    }

    #[test]
    fn nonsense_options_are_named() {
        assert_eq!(opts().validate(), Ok(()));
        assert_eq!(ConvertOptions { codec: Mp4Codec::Copy, start: Some(1.0), ..opts() }.validate(), Err(OptionError::CopyCannotTrim));
        assert_eq!(
            ConvertOptions { codec: Mp4Codec::Copy, effect: Some(Effect::Loop), ..opts() }.validate(),
            Err(OptionError::CopyCannotApplyEffect)
        );
        assert_eq!(ConvertOptions { to: Target::Gif, codec: Mp4Codec::Copy, effect: Some(Effect::Loop), ..opts() }.validate(), Ok(()));
        assert_eq!(ConvertOptions { fps: 0.0, ..opts() }.validate(), Err(OptionError::Fps));
        assert_eq!(ConvertOptions { max_size: Some(8 << 20), ..opts() }.validate(), Err(OptionError::MaxSizeNotGif));
        assert_eq!(ConvertOptions { max_size: Some(8 << 20), ..ConvertOptions::gif() }.validate(), Ok(()));
        assert_eq!(ConvertOptions { quality: Some(50), ..opts() }.validate(), Err(OptionError::QualityNotGif));
        assert_eq!(ConvertOptions { quality: Some(0), ..ConvertOptions::gif() }.validate(), Err(OptionError::Quality));
        assert_eq!(ConvertOptions { width: 8, ..opts() }.validate(), Err(OptionError::Width));
        assert_eq!(ConvertOptions { around_key: Some(f64::NAN), ..opts() }.validate(), Err(OptionError::NegativeTime));
        assert_eq!(ConvertOptions { start: Some(2.0), end: Some(1.0), ..opts() }.validate(), Err(OptionError::EndBeforeStart));
    }
}
