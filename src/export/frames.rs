//! The shared frame source: a clip decoded through the filter chain (trim, rotation, the
//! caller's scale, HDR tone mapping, an effect) into packed RGB frames, handed one at a time to
//! whoever makes something of them (the GIF writer, Long Exposure); and a decoded plane's rows
//! packed together.

use super::control::Ticker;
use super::error::JobError;
use super::filters::Effect;
use super::pipeline::{open_input, ClipSource, Trim, VideoPipeline};
use ffmpeg_next as ff;

/// An RGB frame (rows packed), its size, and when it starts, in seconds.
pub struct Rgb {
    pub data: Vec<u8>,
    pub w: u32,
    pub h: u32,
    pub t: f64,
}

/// Decodes `clip` through the filter chain (`scale`: the caller's rate and size filters, or
/// `null`), handing each RGB frame to `sink`. Returns the frame size and count. Every frame has
/// the first one's size.
pub fn rgb_frames(
    clip: ClipSource<'_>,
    rotation: u16,
    trim: Trim,
    scale: &str,
    effect: Option<(Effect, f64)>,
    ticker: &Ticker<'_>,
    sink: &mut dyn FnMut(Rgb) -> Result<(), JobError>,
) -> Result<(u32, u32, u64), JobError> {
    let mut ictx = open_input(clip)?;
    let mut pipe = VideoPipeline::new(&ictx, ticker, rotation, trim, scale, "format=rgb24", effect)?;
    let tb = pipe.out_time_base();
    let mut count = 0u64;
    let mut size = (0u32, 0u32);
    let mut emit = |f: &ff::frame::Video| -> Result<(), JobError> {
        let (w, h) = (f.width(), f.height());
        if size == (0, 0) {
            size = (w, h);
        }
        if (w, h) != size {
            return Err(JobError::Media(format!("the video changes size mid-clip ({}x{} to {w}x{h})", size.0, size.1)));
        }
        let stride = f.stride(0);
        let row = w as usize * 3;
        let src = f.data(0);
        let mut data = Vec::with_capacity(row * h as usize);
        for y in 0..h as usize {
            data.extend_from_slice(src.get(y * stride..y * stride + row).ok_or_else(|| JobError::Media("short frame".into()))?);
        }
        let t = f.pts().map_or(0.0, |p| p as f64 * f64::from(tb));
        count += 1;
        ticker.frames(count);
        sink(Rgb { data, w, h, t })
    };
    pipe.run(&mut ictx, ticker, &mut emit)?;
    Ok((size.0, size.1, count))
}

/// `rows` rows of `row` bytes, each `stride` bytes after the last in `data`, packed together;
/// `None` when `data` is too short for them.
pub(super) fn packed(data: &[u8], stride: usize, row: usize, rows: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(row * rows);
    for y in 0..rows {
        out.extend_from_slice(data.get(y * stride..y * stride + row)?);
    }
    Some(out)
}
