//! Animated GIF export: frames come out of libavfilter upright, tone-mapped, at the asked rate
//! and width; one palette is learnt for the whole clip (NeuQuant, from an evenly spread sample
//! of its pixels). Then ([`writer`]) each frame is dithered against it only where its source
//! moved (frame differencing with temporally stable dithering: still areas stay transparent,
//! never redrawn), and its changed rectangle is LZW-encoded, lossily in busy areas below
//! quality 100 ([`GifQuality`]). [`fit`] finds the settings that fit `--max-size`.
//!
//! Memory does not grow with the clip: frames are held only up to [`HOLD_BYTES`] while the
//! palette is learnt; a clip that does not fit is decoded a second time and streamed through
//! the ditherer frame by frame.

mod fit;
mod writer;

pub use fit::to_gif_within;

use super::control::Ticker;
use super::error::{JobError, OptionError};
use super::filters::Effect;
use super::frames::Rgb;
use super::palette::{even_sample, learn_palette, Sampler, LEARN_PIXELS};
use super::pipeline::{ClipSource, Trim};
use super::writer::{Input, Made, MadeOf, Opt, Settings, Spec, Writer};
use crate::scan::LivePhoto;
use std::io::Write;
use std::path::Path;
use writer::GifWriter;

/// Decoded RGB frames held while the palette is learnt, at most; beyond, a second pass.
/// A 3 s Live Photo at 480 px and 15 fps is ~40 MB and takes one pass.
const HOLD_BYTES: usize = 64 << 20;
/// `--quality 1..100`: how far the GIF may stray from the dithered frames to save bytes.
/// 100 re-dithers every change and writes exact LZW; below, with the slack `s = (100 − q) / 10`:
/// - an 8×8 block keeps what is shown while its source moved less than √(2·s²) levels per
///   channel (root mean square) since it was drawn;
/// - lossy LZW may replace a pixel by a palette colour up to `s` × its block's texture away (mean
///   luma step between neighbours), at most 6·s levels per channel: flat areas and gradients,
///   where any error shows, stay exact.
///
/// The default, 90, was chosen by measurement (`scripts/bench`): on train.mov and a Samsung clip
/// at 15 fps and 480 px it is 0.69x and 0.60x the bytes of ffmpeg's palettegen/paletteuse
/// recipe at a higher SSIM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GifQuality(u8);

impl GifQuality {
    pub const DEFAULT: GifQuality = GifQuality(90);

    /// `None` outside 1..=100.
    pub fn new(q: u8) -> Option<Self> {
        (1..=100).contains(&q).then_some(GifQuality(q))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    fn slack(self) -> f64 {
        f64::from(100 - self.0) / 10.0
    }

    /// Mean squared RGB distance per pixel a block's source may move and keep what is shown.
    fn still_limit(self) -> u32 {
        (6.0 * self.slack().powi(2)).round() as u32
    }

    /// How far (levels per channel) the mean of any 8×8 block of a frame as shown may be from
    /// the same block of the source: what the palette and dithering miss (4), plus the motion a
    /// kept block may hide and the most lossy LZW may move a pixel.
    #[cfg(test)]
    pub fn block_tolerance(self) -> f64 {
        4.0 + (f64::from(self.still_limit()) / 3.0).sqrt() + self.lossy().map_or(0.0, |(_, cap)| (f64::from(cap) / 3.0).sqrt())
    }

    /// Lossy LZW's texture factor and its cap (squared RGB distance); `None` at 100.
    fn lossy(self) -> Option<(f64, u32)> {
        let s = self.slack();
        (s > 0.0).then(|| (s, (108.0 * s * s).round() as u32))
    }
}

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

pub struct GifOptions {
    pub fps: f64,
    pub width: u32,
    pub quality: GifQuality,
    /// Decoded frames held while the palette is learnt, at most ([`HOLD_BYTES`]; tests force
    /// the two-pass path with 0).
    pub hold_bytes: usize,
    /// Bounce or Loop, with the trimmed clip's length in seconds.
    pub effect: Option<(Effect, f64)>,
}

impl GifOptions {
    pub fn new(fps: f64, width: u32) -> Self {
        GifOptions { fps, width, quality: GifQuality::DEFAULT, hold_bytes: HOLD_BYTES, effect: None }
    }
}

/// Writes `clip` as an animated GIF into `out`. Returns the frames written (0: none in range,
/// nothing worth keeping was written).
pub fn to_gif(
    clip: ClipSource<'_>,
    out: &mut dyn Write,
    rotation: u16,
    trim: Trim,
    opts: &GifOptions,
    ticker: &Ticker<'_>,
) -> Result<u64, JobError> {
    let mut sampler = Sampler::new(LEARN_PIXELS);
    let mut held = Some(Vec::new());
    let mut held_bytes = 0usize;
    let (w, h, n) = decode(clip, rotation, trim, opts, ticker, &mut |f: Rgb| {
        held_bytes += f.data.len();
        match held.as_mut() {
            Some(v) if held_bytes <= opts.hold_bytes => v.push(f),
            _ => {
                // too long to hold: sample what was held, then stream it in a second pass
                for h in held.take().unwrap_or_default() {
                    sampler.add(&h.data);
                }
                sampler.add(&f.data);
            }
        }
        Ok(())
    })?;
    if n == 0 {
        return Ok(0);
    }
    let sample = match &held {
        Some(frames) => even_sample(frames.iter().map(|f| f.data.as_slice())),
        None => sampler.finish(),
    };
    let palette = learn_palette(sample);
    let mut gif = GifWriter::new(out, w, h, &palette, opts, ticker.cancel())?;
    match held {
        Some(frames) => frames.iter().try_for_each(|f| gif.push(f))?,
        None => {
            decode(clip, rotation, trim, opts, ticker, &mut |f: Rgb| gif.push(&f))?;
        }
    }
    gif.finish()?;
    Ok(n)
}

/// The clip's frames as GIF wants them: at its rate and width, through the shared frame source.
fn decode(
    clip: ClipSource<'_>,
    rotation: u16,
    trim: Trim,
    opts: &GifOptions,
    ticker: &Ticker<'_>,
    sink: &mut dyn FnMut(Rgb) -> Result<(), JobError>,
) -> Result<(u16, u16, u64), JobError> {
    let scale = super::pipeline::animated_scale(opts.fps, opts.width);
    let (w, h, n) = super::frames::rgb_frames(clip, rotation, trim, &scale, opts.effect, ticker, sink)?;
    let small = |v: u32| u16::try_from(v).map_err(|_| JobError::Unsupported("GIF frames cannot be larger than 65535 pixels".into()));
    Ok((small(w)?, small(h)?, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::control::Cancel;
    use std::fs::File;

    /// Decoded frames of a GIF file, as RGBA.
    fn gif_frames(path: &std::path::Path) -> Vec<Vec<u8>> {
        writer::tests::gif_frames_of(File::open(path).unwrap())
    }

    #[test]
    fn a_clip_too_long_to_hold_streams_in_two_passes_with_the_same_frames() {
        let clip = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/heic_mov/IMG_0001.MOV");
        let dir = tempfile::tempdir().unwrap();
        let mut made = Vec::new();
        for hold in [HOLD_BYTES, 0] {
            let opts = GifOptions { hold_bytes: hold, ..GifOptions::new(15.0, 120) };
            let path = dir.path().join(format!("{hold}.gif"));
            let (cancel, tick) = (Cancel::new(), |_| {});
            let ticker = Ticker::new(&cancel, &tick);
            let n = to_gif(clip.as_path().into(), &mut File::create(&path).unwrap(), 90, Trim::default(), &opts, &ticker).unwrap();
            made.push((n, gif_frames(&path)));
        }
        let ((n1, held), (n2, streamed)) = (&made[0], &made[1]);
        assert_eq!(n1, n2, "the second pass sees every frame");
        assert_eq!(held.len(), streamed.len(), "same frames written");
        let diff: f64 = held.iter().flatten().zip(streamed.iter().flatten()).map(|(a, b)| f64::from(a.abs_diff(*b))).sum::<f64>()
            / held.iter().map(Vec::len).sum::<usize>() as f64;
        assert!(diff < 4.0, "the streamed GIF looks like the held one: mean difference {diff:.2}/255");
    }
}
