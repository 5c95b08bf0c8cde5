//! Animated GIF export (`--to gif`, and the report's previews): the writers, and what they are
//! made of. [`clip`] turns a clip's frames into a GIF with one palette; [`stream`] dithers each
//! frame only where its source moved (frame differencing with temporally stable dithering: still
//! areas stay transparent, never redrawn) and LZW-encodes its changed rectangle, lossily in busy
//! areas below quality 100 ([`GifQuality`]); [`fit`] finds the settings that fit `--max-size`.

mod clip;
mod fit;
mod quality;
mod stream;

pub use clip::to_gif;
pub use fit::to_gif_within;
pub use quality::{GifOptions, GifQuality};

use super::control::Ticker;
use super::error::{JobError, OptionError};
use super::writer::{Input, Made, MadeOf, Opt, Settings, Spec, Writer};
use crate::scan::LivePhoto;
use std::path::Path;

/// `--to gif`: the frame rate and width, the quality when asked, and the size to fit in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GifOut {
    pub fps: f64,
    pub width: u32,
    /// 1..=100 (`None`: 90).
    pub quality: Option<u8>,
    pub max_size: Option<u64>,
}

/// An animated image's frame rate and width when not given (`--fps`, `--width`): what chat apps
/// and pages show at a glance, in a few megabytes.
pub const FPS: f64 = 15.0;
pub const WIDTH: u32 = 480;

/// What the command line knows of `--to gif`.
pub const SPEC: Spec = Spec {
    word: "gif",
    help: "An animated GIF (plays everywhere; --max-size fits it to a limit)",
    takes: &[
        (Opt::Fps, Some("15")),
        (Opt::Width, Some("480")),
        (Opt::Quality, Some("90")),
        (Opt::MaxSize, None),
        (Opt::Trim, None),
        (Opt::Effect, None),
    ],
    refuses: "a GIF is always encoded, from the clip's frames in SDR",
};

/// The writer `--to gif` makes of what the command line gave.
pub fn make(s: &Settings) -> Box<dyn Writer> {
    Box::new(GifOut { fps: s.fps.unwrap_or(FPS), width: s.width.unwrap_or(WIDTH), quality: s.quality, max_size: s.max_size })
}

/// The checks every animated image's rate and width pass.
pub fn check_frames(fps: f64, width: u32, quality: Option<u8>) -> Result<(), OptionError> {
    if !(fps > 0.0 && fps <= 60.0) {
        return Err(OptionError::Fps);
    }
    if !(16..=4096).contains(&width) {
        return Err(OptionError::Width);
    }
    match quality {
        Some(q) if !(1..=100).contains(&q) => Err(OptionError::Quality),
        _ => Ok(()),
    }
}

impl Writer for GifOut {
    fn name(&self) -> (&'static str, &'static str) {
        ("", "gif")
    }

    fn settings(&self) -> String {
        let quality = self.quality.unwrap_or(GifQuality::DEFAULT.get());
        let max = self.max_size.map_or("-".into(), |m| m.to_string());
        format!("gif: fps {}, width {}, quality {quality}, max-size {max}", self.fps, self.width)
    }

    fn check(&self, _: bool, _: bool) -> Result<(), OptionError> {
        check_frames(self.fps, self.width, self.quality)
    }

    fn write(&self, input: &Input<'_>, out: &mut std::fs::File, ticker: &Ticker<'_>) -> Result<Made, JobError> {
        let quality = self.quality.and_then(GifQuality::new).unwrap_or(GifQuality::DEFAULT);
        let opts = GifOptions { effect: input.effect, quality, ..GifOptions::new(self.fps, self.width) };
        let (source, rotation) = ((&*input.lp.clip).into(), input.meta.rotation);
        match self.max_size {
            Some(max) => {
                let (frames, fit) = to_gif_within(source, out, rotation, input.trim, &opts, max, ticker)?;
                Ok(Made { frames: Some(frames), fitted: Some(fit), ..Made::default() })
            }
            None => to_gif(source, out, rotation, input.trim, &opts, ticker).map(Made::frames),
        }
    }
}

/// The report's animated preview of each clip: a GIF made as `--to gif` makes one, at the
/// report's rate and width, named after the still (`<stem>.gif`), remade when the clip changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PreviewOut {
    pub gif: GifOut,
}

impl PreviewOut {
    pub fn new(fps: f64, width: u32) -> Self {
        PreviewOut { gif: GifOut { fps, width, quality: None, max_size: None } }
    }
}

impl Writer for PreviewOut {
    fn name(&self) -> (&'static str, &'static str) {
        ("", "gif")
    }

    /// None: a report's pictures are remade when their sources change, whatever the settings were.
    fn settings(&self) -> String {
        String::new()
    }

    fn check(&self, trimmed: bool, effect: bool) -> Result<(), OptionError> {
        self.gif.check(trimmed, effect)
    }

    fn write(&self, input: &Input<'_>, out: &mut std::fs::File, ticker: &Ticker<'_>) -> Result<Made, JobError> {
        self.gif.write(input, out, ticker)
    }

    fn sources<'a>(&self, lp: &'a LivePhoto) -> Vec<&'a Path> {
        vec![&lp.clip.path]
    }

    fn made_of(&self) -> MadeOf {
        MadeOf::Clip
    }

    fn mtime(&self, _: &LivePhoto) -> Option<i64> {
        None
    }

    fn verb(&self) -> &'static str {
        "made"
    }
}
