//! Writing the GIF: each frame dithered where it changed (frame differencing), its changed
//! rectangle LZW-encoded (lossily below quality 100), and its duration set once the next
//! frame's start is known.

use super::quality::GifOptions;
use crate::export::control::Cancel;
use crate::export::error::JobError;
use crate::export::frames::Rgb;
use crate::export::lzw::{Lzw, Tolerance};
use crate::export::palette::{dither_changes, Nearest, Shown, TRANSPARENT};
use std::borrow::Cow;
use std::io::{BufWriter, Write};

/// Dithers frames as they come and writes each changed rectangle once the next frame's start
/// (so its own duration) is known; identical frames extend the previous one.
pub(super) struct GifStream<'p, W: Write> {
    enc: gif::Encoder<BufWriter<W>>,
    nearest: Nearest<'p>,
    size: (usize, usize),
    fps: f64,
    shown: Shown,
    still_limit: u32,
    lzw: Lzw,
    /// Lossy LZW's palette distances and texture factor.
    lossy: Option<(Tolerance, f64)>,
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

impl<'p, W: Write> GifStream<'p, W> {
    pub(super) fn new(out: W, w: u16, h: u16, palette: &'p [[u8; 3]], opts: &GifOptions, cancel: &Cancel) -> Result<Self, JobError> {
        let mut flat: Vec<u8> = palette.iter().flatten().copied().collect();
        flat.resize(256 * 3, 0);
        let mut enc = gif::Encoder::new(BufWriter::new(out), w, h, &flat).map_err(gif_err)?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(gif_err)?;
        let size = (usize::from(w), usize::from(h));
        Ok(GifStream {
            enc,
            nearest: Nearest::new(palette),
            size,
            fps: opts.fps,
            shown: Shown::new(),
            still_limit: opts.quality.still_limit(),
            lzw: Lzw::new(),
            lossy: opts.quality.lossy().map(|(k, cap)| (Tolerance::new(palette, cap), k)),
            pending: None,
            last_start: 0,
            cancel: cancel.clone(),
        })
    }

    pub(super) fn push(&mut self, f: &Rgb) -> Result<(), JobError> {
        self.cancel.check()?;
        let (w, h) = self.size;
        let start = (f.t * 100.0).round() as i64;
        let first = self.shown.idx.is_empty();
        let idx = dither_changes(&f.data, w, h, &mut self.nearest, &mut self.shown, self.still_limit);
        if let Some(rect) = changed_rect(first, &idx, w, h) {
            self.flush_pending(start)?;
            let mut frame = sub_frame(first, &idx, w, rect);
            let mut buf = frame.buffer.into_owned();
            let under = (!first).then(|| crop(&self.shown.idx, w, rect));
            let limits = self.lossy.as_ref().map(|(_, k)| crop(&texture_limits(&f.data, w, h, *k), w, rect));
            let lossy = self.lossy.as_ref().map(|(t, _)| t).zip(limits.as_deref());
            let data = self.lzw.encode(&mut buf, under.as_deref(), lossy);
            let (x0, y0, x1, _) = rect;
            for (k, &p) in buf.iter().enumerate() {
                if p != TRANSPARENT {
                    self.shown.idx[(y0 + k / (x1 - x0)) * w + x0 + k % (x1 - x0)] = p;
                }
            }
            frame.buffer = Cow::Owned(data);
            self.pending = Some((frame, start));
        }
        self.last_start = start;
        Ok(())
    }

    /// Writes the pending frame, lasting until `until` (centiseconds).
    fn flush_pending(&mut self, until: i64) -> Result<(), JobError> {
        if let Some((mut p, start)) = self.pending.take() {
            p.delay = u16::try_from((until - start).max(2)).unwrap_or(u16::MAX);
            self.enc.write_lzw_pre_encoded_frame(&p).map_err(gif_err)?;
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<(), JobError> {
        let end = self.last_start + (100.0 / self.fps).round() as i64;
        self.flush_pending(end)?;
        let w = self.enc.into_inner().map_err(|e| JobError::from(std::io::Error::other(e.to_string())))?;
        w.into_inner().map_err(|e| JobError::from(e.into_error()))?;
        Ok(())
    }
}

/// Bounding box (inclusive-exclusive) of the pixels a frame changes (not [`TRANSPARENT`]);
/// the whole frame for the first.
fn changed_rect(first: bool, cur: &[u8], w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    if first {
        return Some((0, 0, w, h));
    }
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for (y, row) in cur.chunks_exact(w).enumerate() {
        let Some(first) = row.iter().position(|&p| p != TRANSPARENT) else { continue };
        let last = row.iter().rposition(|&p| p != TRANSPARENT).unwrap_or(first);
        x0 = x0.min(first);
        x1 = x1.max(last + 1);
        y0 = y0.min(y);
        y1 = y + 1;
    }
    (x1 > x0).then_some((x0, y0, x1, y1))
}

/// Per pixel, how far lossy LZW may move it (squared RGB distance): in proportion to the
/// texture of its 8x8 block (mean luma step between neighbours), so flat areas and gradients,
/// where any error shows, stay exact and busy areas, which hide it, give up the most.
fn texture_limits(rgb: &[u8], w: usize, h: usize, k: f64) -> Vec<u16> {
    const B: usize = 8;
    let luma = |i: usize| (2 * u32::from(rgb[i * 3]) + 5 * u32::from(rgb[i * 3 + 1]) + u32::from(rgb[i * 3 + 2])) as i32 / 8;
    let (bw, bh) = (w.div_ceil(B), h.div_ceil(B));
    let mut act = vec![(0u32, 0u32); bw * bh];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let mut d = 0;
            if x + 1 < w {
                d += (luma(i) - luma(i + 1)).unsigned_abs();
            }
            if y + 1 < h {
                d += (luma(i) - luma(i + w)).unsigned_abs();
            }
            let b = &mut act[(y / B) * bw + x / B];
            b.0 += d;
            b.1 += 2;
        }
    }
    let per_block: Vec<u16> = act
        .iter()
        .map(|&(d, n)| {
            let step = k * f64::from(d) / f64::from(n.max(1));
            (3.0 * step * step).min(f64::from(u16::MAX)) as u16
        })
        .collect();
    let mut out = vec![0u16; w * h];
    for y in 0..h {
        for x in 0..w {
            out[y * w + x] = per_block[(y / B) * bw + x / B];
        }
    }
    out
}

/// The pixels of `rect` in a `w`-wide frame, rows packed.
fn crop<T: Copy>(all: &[T], w: usize, r: (usize, usize, usize, usize)) -> Vec<T> {
    let (x0, y0, x1, y1) = r;
    (y0..y1).flat_map(|y| all[y * w + x0..y * w + x1].iter().copied()).collect()
}

fn sub_frame(first: bool, cur: &[u8], w: usize, r: (usize, usize, usize, usize)) -> gif::Frame<'static> {
    let (x0, y0, x1, y1) = r;
    let buf = crop(cur, w, r);
    gif::Frame {
        left: x0 as u16,
        top: y0 as u16,
        width: (x1 - x0) as u16,
        height: (y1 - y0) as u16,
        dispose: gif::DisposalMethod::Keep,
        transparent: (!first).then_some(TRANSPARENT),
        buffer: Cow::Owned(buf),
        ..gif::Frame::default()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::export::gif::quality::GifQuality;
    use crate::export::palette::{even_sample, learn_palette};

    /// Decoded frames of a GIF, as RGBA.
    pub(in crate::export) fn gif_frames_of(file: impl std::io::Read) -> Vec<Vec<u8>> {
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::RGBA);
        let mut d = opts.read_info(file).unwrap();
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

    /// 12 frames of 96×64: a grey gradient on the left, fine texture on the right, both with
    /// ±1 noise in every frame (a camera's), and a red square moving 4 px a frame along the top.
    fn moving_square() -> Vec<Rgb> {
        let (w, h) = (96usize, 64usize);
        let mut state = 99u32;
        (0..12)
            .map(|f| {
                let mut data = Vec::with_capacity(w * h * 3);
                for y in 0..h {
                    for x in 0..w {
                        let base = if x < 48 { 40 + (x * 3 + y) as i32 } else { 120 + 60 * (((x / 2) + (y / 2)) % 2) as i32 };
                        let in_square = y < 14 && (4 + f * 4..16 + f * 4).contains(&x);
                        for c in 0..3 {
                            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                            let noise = (state >> 16) as i32 % 3 - 1;
                            let v = if in_square { [220, 30, 30][c] } else { base + c as i32 * 10 };
                            data.push((v + noise).clamp(0, 255) as u8);
                        }
                    }
                }
                Rgb { data, w: 0, h: 0, t: f as f64 / 15.0 }
            })
            .collect()
    }

    fn encode(frames: &[Rgb], quality: GifQuality) -> Vec<u8> {
        let sample = even_sample(frames.iter().map(|f| f.data.as_slice()));
        let palette = learn_palette(sample);
        let opts = GifOptions { quality, ..GifOptions::new(15.0, 96) };
        let mut out = Vec::new();
        let mut gif = GifStream::new(&mut out, 96, 64, &palette, &opts, &Cancel::new()).unwrap();
        frames.iter().for_each(|f| gif.push(f).unwrap());
        gif.finish().unwrap();
        out
    }

    /// Frame differencing: still areas are never redrawn (identical pixels in every frame, no
    /// crawling dither), and every frame as shown stays within the quality's tolerance of its
    /// source, block by block, where the square moves too.
    #[test]
    fn frame_differencing_keeps_still_areas_identical_and_every_frame_within_tolerance() {
        let src = moving_square();
        let (w, h) = (96usize, 64usize);
        let mut sizes = Vec::new();
        for q in [100, 90, 60] {
            let quality = GifQuality::new(q).unwrap();
            let bytes = encode(&src, quality);
            sizes.push(bytes.len());
            let shown = gif_frames_of(bytes.as_slice());
            assert_eq!(shown.len(), src.len(), "q{q}: one frame per source frame");
            let tol = quality.block_tolerance();
            let mut worst = 0.0f64;
            for (f, (got, want)) in shown.iter().zip(&src).enumerate() {
                for by in 0..h / 8 {
                    for bx in 0..w / 8 {
                        for c in 0..3 {
                            let mean = |px: &[u8], stride: usize| {
                                let mut sum = 0u32;
                                for y in by * 8..by * 8 + 8 {
                                    for x in bx * 8..bx * 8 + 8 {
                                        sum += u32::from(px[(y * w + x) * stride + c]);
                                    }
                                }
                                f64::from(sum) / 64.0
                            };
                            let d = (mean(got, 4) - mean(&want.data, 3)).abs();
                            worst = worst.max(d);
                            assert!(d <= tol, "q{q} frame {f} block ({bx},{by}) channel {c}: {d:.1} levels off (tolerance {tol:.1})");
                        }
                    }
                }
            }
            assert!(worst < tol, "q{q}: worst block {worst:.1} levels (tolerance {tol:.1})");
            if q < 100 {
                // below the square's path (rows 16 and down) nothing moves but noise: never redrawn
                for (f, frame) in shown.iter().enumerate().skip(1) {
                    let same = (16 * w * 4..h * w * 4).all(|i| frame[i] == shown[0][i]);
                    assert!(same, "q{q}: still area redrawn in frame {f}");
                }
            }
        }
        assert!(sizes[1] < sizes[0] && sizes[2] < sizes[1], "lower quality, fewer bytes: {sizes:?}");
    }

    #[test]
    fn unchanged_frames_have_no_rectangle() {
        let mut b = vec![TRANSPARENT; 16];
        assert_eq!(changed_rect(false, &b, 4, 4), None);
        b[6] = 2; // x=2, y=1
        assert_eq!(changed_rect(false, &b, 4, 4), Some((2, 1, 3, 2)));
        assert_eq!(changed_rect(true, &b, 4, 4), Some((0, 0, 4, 4)));
    }
}
