//! Animated GIF export: frames come out of libavfilter upright, tone-mapped, at the asked rate
//! and width; one palette is learnt for the whole clip (NeuQuant), every frame is Floyd–Steinberg
//! dithered against it, and pixels that did not change become transparent so only the changed
//! rectangle of each frame is stored (what ffmpeg's palettegen/paletteuse + GIF encoder do).

use super::output::{cancelled, JobError};
use super::pipeline::{open_input, Trim, VideoPipeline};
use ffmpeg_next as ff;
use std::borrow::Cow;
use std::fs::File;
use std::io::BufWriter;

/// Index reserved for "unchanged since the previous frame".
const TRANSPARENT: u8 = 255;
const PALETTE_SIZE: usize = 255;
/// Pixels NeuQuant learns from, at most (it samples the rest).
const LEARN_PIXELS: usize = 400_000;
/// Share of the quantisation error diffused, in 256ths of the Floyd–Steinberg total (16ths × 16).
/// 62.5 % keeps gradients smooth without the speckle that full diffusion adds to camera noise;
/// measured against ffmpeg's palettegen/paletteuse: train.mov SSIM 0.921 vs 0.913 at 1.00× the
/// bytes, the fixture clip 0.842 vs 0.822 at 0.81× (scripts/bench).
const DITHER_STRENGTH: i32 = 10;

pub struct GifOptions {
    pub fps: f64,
    pub width: u32,
}

/// An RGB frame and when it starts, in seconds.
struct Rgb {
    data: Vec<u8>,
    t: f64,
}

/// Writes `clip` as an animated GIF into `out`. Returns the frames written.
pub fn to_gif(
    clip: &std::path::Path,
    out: &mut File,
    rotation: u16,
    trim: Trim,
    opts: &GifOptions,
    tick: &dyn Fn(u64),
) -> Result<u64, JobError> {
    let (frames, w, h) = decode(clip, rotation, trim, opts, tick)?;
    if frames.is_empty() {
        return Err(JobError::Failed("the clip has no frames in the chosen range".into()));
    }
    let palette = learn_palette(&frames);
    write_gif(out, &frames, w, h, &palette, opts.fps)?;
    Ok(frames.len() as u64)
}

fn decode(
    clip: &std::path::Path,
    rotation: u16,
    trim: Trim,
    opts: &GifOptions,
    tick: &dyn Fn(u64),
) -> Result<(Vec<Rgb>, u16, u16), JobError> {
    let mut ictx = open_input(clip)?;
    let scale = format!("fps={},scale={}:-2:flags=lanczos", opts.fps, opts.width);
    let mut pipe = VideoPipeline::new(&ictx, rotation, trim, &scale, "format=rgb24")?;
    let tb = pipe.out_time_base();
    let mut frames: Vec<Rgb> = Vec::new();
    let mut size = (0u32, 0u32);
    let mut emit = |f: &ff::frame::Video| -> Result<(), JobError> {
        let (w, h) = (f.width(), f.height());
        if size == (0, 0) {
            size = (w, h);
        }
        if (w, h) != size {
            return Err(JobError::Failed(format!("the video changes size mid-clip ({}x{} to {w}x{h})", size.0, size.1)));
        }
        let stride = f.stride(0);
        let row = w as usize * 3;
        let src = f.data(0);
        let mut data = Vec::with_capacity(row * h as usize);
        for y in 0..h as usize {
            data.extend_from_slice(src.get(y * stride..y * stride + row).ok_or_else(|| JobError::Failed("short frame".into()))?);
        }
        let t = f.pts().map_or(0.0, |p| p as f64 * f64::from(tb));
        frames.push(Rgb { data, t });
        tick(frames.len() as u64);
        Ok(())
    };
    let stream = pipe.stream;
    for (s, packet) in ictx.packets() {
        if cancelled() {
            return Err(JobError::Cancelled);
        }
        if s.index() == stream {
            pipe.push(&packet, &mut emit)?;
        }
    }
    pipe.finish(&mut emit)?;
    let (w, h) = (u16::try_from(size.0), u16::try_from(size.1));
    match (w, h) {
        (Ok(w), Ok(h)) => Ok((frames, w, h)),
        _ => Err(JobError::Failed("GIF frames cannot be larger than 65535 pixels".into())),
    }
}

/// One palette for the clip, learnt from a sample of all frames.
fn learn_palette(frames: &[Rgb]) -> Vec<[u8; 3]> {
    let total: usize = frames.iter().map(|f| f.data.len() / 3).sum();
    let step = (total / LEARN_PIXELS).max(1);
    let mut rgba = Vec::with_capacity(total / step * 4 + 4);
    let mut i = 0usize;
    for f in frames {
        for px in f.data.chunks_exact(3) {
            if i % step == 0 {
                rgba.extend_from_slice(&[px[0], px[1], px[2], 255]);
            }
            i += 1;
        }
    }
    // sample factor 1: learn from every pixel of the (already subsampled) set
    let nq = color_quant::NeuQuant::new(1, PALETTE_SIZE, &rgba);
    nq.color_map_rgb().chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// Nearest palette entry, cached per 7-bit-per-channel cell (2 MiB, filled lazily).
struct Nearest<'a> {
    palette: &'a [[u8; 3]],
    cache: Vec<u8>,
}

impl<'a> Nearest<'a> {
    fn new(palette: &'a [[u8; 3]]) -> Self {
        Nearest { palette, cache: vec![TRANSPARENT; 1 << 21] }
    }

    fn index(&mut self, r: u8, g: u8, b: u8) -> u8 {
        let key = (usize::from(r >> 1) << 14) | (usize::from(g >> 1) << 7) | usize::from(b >> 1);
        let hit = self.cache[key];
        if hit != TRANSPARENT {
            return hit;
        }
        let (cr, cg, cb) = (i32::from(r), i32::from(g), i32::from(b));
        let mut best = (i32::MAX, 0u8);
        for (i, p) in self.palette.iter().enumerate() {
            let d = (i32::from(p[0]) - cr).pow(2) + (i32::from(p[1]) - cg).pow(2) + (i32::from(p[2]) - cb).pow(2);
            if d < best.0 {
                best = (d, i as u8);
            }
        }
        self.cache[key] = best.1;
        best.1
    }
}

/// Floyd–Steinberg error diffusion onto palette indices, at [`DITHER_STRENGTH`].
fn dither(frame: &[u8], w: usize, h: usize, nearest: &mut Nearest<'_>) -> Vec<u8> {
    let mut out = vec![0u8; w * h];
    let mut err_cur = vec![[0i32; 3]; w + 2];
    let mut err_next = vec![[0i32; 3]; w + 2];
    for y in 0..h {
        for x in 0..w {
            let p = &frame[(y * w + x) * 3..(y * w + x) * 3 + 3];
            let e = err_cur[x + 1];
            let want = [0, 1, 2].map(|c| (i32::from(p[c]) + e[c] * DITHER_STRENGTH / 256).clamp(0, 255));
            let idx = nearest.index(want[0] as u8, want[1] as u8, want[2] as u8);
            out[y * w + x] = idx;
            let got = nearest.palette[usize::from(idx)];
            for c in 0..3 {
                let q = want[c] - i32::from(got[c]);
                err_cur[x + 2][c] += q * 7;
                err_next[x][c] += q * 3;
                err_next[x + 1][c] += q * 5;
                err_next[x + 2][c] += q;
            }
        }
        std::mem::swap(&mut err_cur, &mut err_next);
        err_next.iter_mut().for_each(|e| *e = [0; 3]);
    }
    out
}

fn write_gif(out: &mut File, frames: &[Rgb], w: u16, h: u16, palette: &[[u8; 3]], fps: f64) -> Result<(), JobError> {
    let mut flat: Vec<u8> = palette.iter().flatten().copied().collect();
    flat.resize(256 * 3, 0);
    let gif_err = |e: gif::EncodingError| match e {
        gif::EncodingError::Io(io) => JobError::from(io),
        other => JobError::Failed(format!("cannot write the GIF: {other}")),
    };
    let mut enc = gif::Encoder::new(BufWriter::new(out), w, h, &flat).map_err(gif_err)?;
    enc.set_repeat(gif::Repeat::Infinite).map_err(gif_err)?;
    let mut nearest = Nearest::new(palette);
    let (wu, hu) = (usize::from(w), usize::from(h));
    let starts: Vec<i64> = frames.iter().map(|f| (f.t * 100.0).round() as i64).collect();
    let mut prev: Option<Vec<u8>> = None;
    let mut pending: Option<gif::Frame<'static>> = None;
    for (i, f) in frames.iter().enumerate() {
        if cancelled() {
            return Err(JobError::Cancelled);
        }
        let idx = dither(&f.data, wu, hu, &mut nearest);
        let next_start = starts.get(i + 1).copied().unwrap_or(starts[i] + (100.0 / fps).round() as i64);
        let delay = u16::try_from((next_start - starts[i]).max(2)).unwrap_or(u16::MAX);
        match changed_rect(prev.as_deref(), &idx, wu, hu) {
            None => {
                if let Some(p) = pending.as_mut() {
                    p.delay = p.delay.saturating_add(delay); // identical frame: hold the previous one longer
                }
            }
            Some((x0, y0, x1, y1)) => {
                if let Some(p) = pending.take() {
                    enc.write_frame(&p).map_err(gif_err)?;
                }
                pending = Some(sub_frame(prev.as_deref(), &idx, wu, (x0, y0, x1, y1), delay));
            }
        }
        prev = Some(idx);
    }
    if let Some(p) = pending.take() {
        enc.write_frame(&p).map_err(gif_err)?;
    }
    let w = enc.into_inner().map_err(|e| JobError::from(std::io::Error::other(e.to_string())))?;
    w.into_inner().map_err(|e| JobError::from(e.into_error()))?;
    Ok(())
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

    #[test]
    fn dithering_a_gradient_uses_the_palette_and_keeps_the_mean() {
        let (w, h) = (64usize, 8usize);
        let frame: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let v = ((i % w) * 4) as u8;
                [v, v, v]
            })
            .collect();
        let palette = vec![[0, 0, 0], [255, 255, 255]];
        let idx = dither(&frame, w, h, &mut Nearest::new(&palette));
        let mean_in: f64 = frame.iter().map(|&v| f64::from(v)).sum::<f64>() / frame.len() as f64;
        let mean_out: f64 = idx.iter().map(|&i| f64::from(palette[usize::from(i)][0])).sum::<f64>() / idx.len() as f64;
        assert!((mean_in - mean_out).abs() < 4.0, "{mean_in} vs {mean_out}");
        assert!(idx.iter().all(|&i| i < 2));
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
