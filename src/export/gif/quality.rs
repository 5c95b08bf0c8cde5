//! What one GIF encode is asked: its frame rate and width, its quality ([`GifQuality`]: how far
//! it may stray from the dithered frames to save bytes), the effect, and how many decoded frames
//! it may hold while its palette is learnt.

use crate::export::filters::Effect;

/// Decoded RGB frames held while the palette is learnt, at most; beyond, a second pass.
/// A 3 s Live Photo at 480 px and 15 fps is ~40 MB and takes one pass.
pub(super) const HOLD_BYTES: usize = 64 << 20;
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
    pub(super) fn still_limit(self) -> u32 {
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
    pub(super) fn lossy(self) -> Option<(f64, u32)> {
        let s = self.slack();
        (s > 0.0).then(|| (s, (108.0 * s * s).round() as u32))
    }
}

/// One encode's settings.
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
