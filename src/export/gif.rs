//! Animated GIF export: frames come out of libavfilter upright, tone-mapped, at the asked rate
//! and width; one palette is learnt for the whole clip (NeuQuant, from an evenly spread sample
//! of its pixels), every frame is Floyd–Steinberg dithered against it, and pixels that did not
//! change become transparent so only the changed rectangle of each frame is stored (what
//! ffmpeg's palettegen/paletteuse + GIF encoder do).
//!
//! Memory does not grow with the clip: frames are held only up to [`HOLD_BYTES`] while the
//! palette is learnt; a clip that does not fit is decoded a second time and streamed through
//! the ditherer frame by frame.

use super::control::{Cancel, Ticker};
use super::error::JobError;
use super::options::Effect;
use super::palette::{dither, even_sample, learn_palette, Nearest, Sampler, LEARN_PIXELS, TRANSPARENT};
use super::pipeline::{next_packet, open_input, ClipSource, Trim, VideoPipeline};
use ffmpeg_next as ff;
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};

/// Decoded RGB frames held while the palette is learnt, at most; beyond, a second pass.
/// A 3 s Live Photo at 480 px and 15 fps is ~40 MB and takes one pass.
const HOLD_BYTES: usize = 64 << 20;
pub struct GifOptions {
    pub fps: f64,
    pub width: u32,
    /// Decoded frames held while the palette is learnt, at most ([`HOLD_BYTES`]; tests force
    /// the two-pass path with 0).
    pub hold_bytes: usize,
    /// Bounce or Loop, with the trimmed clip's length in seconds.
    pub effect: Option<(Effect, f64)>,
}

impl GifOptions {
    pub fn new(fps: f64, width: u32) -> Self {
        GifOptions { fps, width, hold_bytes: HOLD_BYTES, effect: None }
    }
}

/// An RGB frame (rows packed) and when it starts, in seconds.
struct Rgb {
    data: Vec<u8>,
    t: f64,
}

/// Writes `clip` as an animated GIF into `out`. Returns the frames written (0: none in range,
/// nothing worth keeping was written).
pub fn to_gif(
    clip: ClipSource<'_>,
    out: &mut File,
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
    let mut gif = GifWriter::new(out, w, h, &palette, opts.fps, ticker.cancel())?;
    match held {
        Some(frames) => frames.iter().try_for_each(|f| gif.push(f))?,
        None => {
            decode(clip, rotation, trim, opts, ticker, &mut |f: Rgb| gif.push(&f))?;
        }
    }
    gif.finish()?;
    Ok(n)
}

/// Decodes the clip through the filter chain, handing each RGB frame to `sink`. Returns the
/// frame size and count.
fn decode(
    clip: ClipSource<'_>,
    rotation: u16,
    trim: Trim,
    opts: &GifOptions,
    ticker: &Ticker<'_>,
    sink: &mut dyn FnMut(Rgb) -> Result<(), JobError>,
) -> Result<(u16, u16, u64), JobError> {
    let mut ictx = open_input(clip)?;
    let scale = format!("fps={},scale={}:-2:flags=lanczos", opts.fps, opts.width);
    let mut pipe = VideoPipeline::new(&ictx, ticker.cancel(), rotation, trim, &scale, "format=rgb24", opts.effect)?;
    let tb = pipe.out_time_base();
    let mut count = 0u64;
    let mut size = (0u32, 0u32);
    let mut emit = |f: &ff::frame::Video| -> Result<(), JobError> {
        let (w, h) = (f.width(), f.height());
        if size == (0, 0) {
            size = (w, h);
            if u16::try_from(w).is_err() || u16::try_from(h).is_err() {
                return Err(JobError::Unsupported("GIF frames cannot be larger than 65535 pixels".into()));
            }
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
        sink(Rgb { data, t })
    };
    let stream = pipe.stream;
    while let Some(packet) = next_packet(&mut ictx)? {
        ticker.check()?;
        if packet.stream() == stream {
            pipe.push(&packet, &mut emit)?;
        }
    }
    pipe.finish(&mut emit)?;
    Ok((size.0 as u16, size.1 as u16, count))
}

/// Dithers frames as they come and writes each changed rectangle once the next frame's start
/// (so its own duration) is known; identical frames extend the previous one.
struct GifWriter<'p, W: Write> {
    enc: gif::Encoder<BufWriter<W>>,
    nearest: Nearest<'p>,
    size: (usize, usize),
    fps: f64,
    prev: Option<Vec<u8>>,
    /// The last changed frame, not yet written, and its start in centiseconds.
    pending: Option<(gif::Frame<'static>, i64)>,
    last_start: i64,
    cancel: Cancel,
}

fn gif_err(e: gif::EncodingError) -> JobError {
    match e {
        gif::EncodingError::Io(io) => JobError::from(io),
        other => JobError::Media(format!("cannot write the GIF: {other}")),
    }
}

impl<'p, W: Write> GifWriter<'p, W> {
    fn new(out: W, w: u16, h: u16, palette: &'p [[u8; 3]], fps: f64, cancel: &Cancel) -> Result<Self, JobError> {
        let mut flat: Vec<u8> = palette.iter().flatten().copied().collect();
        flat.resize(256 * 3, 0);
        let mut enc = gif::Encoder::new(BufWriter::new(out), w, h, &flat).map_err(gif_err)?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(gif_err)?;
        let size = (usize::from(w), usize::from(h));
        Ok(GifWriter { enc, nearest: Nearest::new(palette), size, fps, prev: None, pending: None, last_start: 0, cancel: cancel.clone() })
    }

    fn push(&mut self, f: &Rgb) -> Result<(), JobError> {
        self.cancel.check()?;
        let (w, h) = self.size;
        let start = (f.t * 100.0).round() as i64;
        let idx = dither(&f.data, w, h, &mut self.nearest);
        if let Some(rect) = changed_rect(self.prev.as_deref(), &idx, w, h) {
            self.flush_pending(start)?;
            self.pending = Some((sub_frame(self.prev.as_deref(), &idx, w, rect, 0), start));
        }
        self.prev = Some(idx);
        self.last_start = start;
        Ok(())
    }

    /// Writes the pending frame, lasting until `until` (centiseconds).
    fn flush_pending(&mut self, until: i64) -> Result<(), JobError> {
        if let Some((mut p, start)) = self.pending.take() {
            p.delay = u16::try_from((until - start).max(2)).unwrap_or(u16::MAX);
            self.enc.write_frame(&p).map_err(gif_err)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), JobError> {
        let end = self.last_start + (100.0 / self.fps).round() as i64;
        self.flush_pending(end)?;
        let w = self.enc.into_inner().map_err(|e| JobError::from(std::io::Error::other(e.to_string())))?;
        w.into_inner().map_err(|e| JobError::from(e.into_error()))?;
        Ok(())
    }
}

/// Bounding box (inclusive-exclusive) of pixels that differ from the previous frame.
fn changed_rect(prev: Option<&[u8]>, cur: &[u8], w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    let Some(prev) = prev else { return Some((0, 0, w, h)) };
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        let (a, b) = (&prev[y * w..(y + 1) * w], &cur[y * w..(y + 1) * w]);
        if a == b {
            continue;
        }
        let first = a.iter().zip(b).position(|(p, q)| p != q).unwrap_or(0);
        let last = a.iter().zip(b).rposition(|(p, q)| p != q).unwrap_or(w - 1);
        x0 = x0.min(first);
        x1 = x1.max(last + 1);
        y0 = y0.min(y);
        y1 = y + 1;
    }
    (x1 > x0).then_some((x0, y0, x1, y1))
}

fn sub_frame(prev: Option<&[u8]>, cur: &[u8], w: usize, r: (usize, usize, usize, usize), delay: u16) -> gif::Frame<'static> {
    let (x0, y0, x1, y1) = r;
    let mut buf = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        for x in x0..x1 {
            let c = cur[y * w + x];
            let same = prev.is_some_and(|p| p[y * w + x] == c);
            buf.push(if same { TRANSPARENT } else { c });
        }
    }
    gif::Frame {
        left: x0 as u16,
        top: y0 as u16,
        width: (x1 - x0) as u16,
        height: (y1 - y0) as u16,
        delay,
        dispose: gif::DisposalMethod::Keep,
        transparent: prev.map(|_| TRANSPARENT),
        buffer: Cow::Owned(buf),
        ..gif::Frame::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decoded frames of a GIF file, as RGBA.
    fn gif_frames(path: &std::path::Path) -> Vec<Vec<u8>> {
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::RGBA);
        let mut d = opts.read_info(File::open(path).unwrap()).unwrap();
        let (w, h) = (usize::from(d.width()), usize::from(d.height()));
        let mut canvas = vec![0u8; w * h * 4];
        let mut out = Vec::new();
        while let Some(f) = d.read_next_frame().unwrap() {
            for y in 0..usize::from(f.height) {
                for x in 0..usize::from(f.width) {
                    let s = (y * usize::from(f.width) + x) * 4;
                    if f.buffer[s + 3] != 0 {
                        let t = ((usize::from(f.top) + y) * w + usize::from(f.left) + x) * 4;
                        canvas[t..t + 4].copy_from_slice(&f.buffer[s..s + 4]);
                    }
                }
            }
            out.push(canvas.clone());
        }
        out
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

    #[test]
    fn unchanged_frames_have_no_rectangle() {
        let a = vec![1u8; 16];
        let mut b = a.clone();
        assert_eq!(changed_rect(Some(&a), &b, 4, 4), None);
        b[6] = 2; // x=2, y=1
        assert_eq!(changed_rect(Some(&a), &b, 4, 4), Some((2, 1, 3, 2)));
        assert_eq!(changed_rect(None, &b, 4, 4), Some((0, 0, 4, 4)));
    }
}
