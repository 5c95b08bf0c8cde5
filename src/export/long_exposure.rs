//! Long Exposure, the Photos app's third Live Photo effect: the clip's frames aligned to its first
//! and averaged in linear light into one still (silky water, light trails), as a JPEG with the
//! still's EXIF (capture time, GPS, camera; Orientation reset: the frames are upright).
//!
//! Alignment is a translation per frame, estimated on luma by phase correlation (the peak of the
//! inverse FFT of the normalised cross-power spectrum, with a Hann window against edge effects):
//! first on the whole frame scaled down to at most 256 px, then at full resolution on a 256 px
//! window at the centre, moved by the coarse estimate. Each frame is added to a linear-light
//! accumulator at its offset; pixels a shaken frame does not cover are averaged over the frames
//! that do. Memory: the accumulator (12 bytes a pixel) and one decoded frame, whatever the
//! clip's length.

use super::control::Ticker;
use super::error::JobError;
use super::frames::Rgb;
use super::jpeg_encode::{self, Carried};
use super::pipeline::Trim;
use super::writer::{Input, Made, Writer};
use crate::scan::LivePhoto;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::fs::File;
use std::io::Write;
use std::sync::Arc;

/// Side of the square correlation windows (a power of two).
const N: usize = 256;

/// `stills --effect long-exposure`: a picture of its own (`<stem>-long-exposure.jpg`, never the
/// still's name: `stills` into the same folder keeps both), made of the clip's frames (a failure
/// it meets is the clip's) and the still's EXIF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongExposureOut;

impl Writer for LongExposureOut {
    fn name(&self) -> (&'static str, &'static str) {
        ("-long-exposure", "jpg")
    }

    fn settings(&self) -> String {
        "stills: effect long-exposure".into()
    }

    fn write(&self, input: &Input<'_>, out: &mut File, ticker: &Ticker<'_>) -> Result<Made, JobError> {
        write(input.lp, out, ticker).map(Made::frames)
    }

    fn verb(&self) -> &'static str {
        "made"
    }
}

/// Writes `lp`'s Long Exposure into `out`; returns the frames averaged.
pub fn write(lp: &LivePhoto, out: &mut File, ticker: &Ticker<'_>) -> Result<u64, JobError> {
    let rotation = lp.clip.info.video.as_ref().map_or(0, |v| v.rotation);
    let mut stack: Option<Stack> = None;
    let (w, h, n) = super::frames::rgb_frames((&*lp.clip).into(), rotation, Trim::default(), "null", None, ticker, &mut |f: Rgb| {
        match stack.as_mut() {
            Some(s) => s.add(&f.data),
            None => stack = Some(Stack::new(f.data, f.w as usize, f.h as usize)),
        }
        Ok(())
    })?;
    let Some(stack) = stack else { return Err(JobError::NoFrames) };
    let rgb = stack.finish();
    let tiff = super::still::exif_of(&lp.still).map(|mut tiff| {
        super::still::reset_orientation(&mut tiff);
        super::still::set_srgb(&mut tiff); // not the still's colour space: these pixels are sRGB
        tiff
    });
    // the frames are BT.709 video, shown with the sRGB curve: say so, whatever the still's profile
    let icc = super::icc::srgb();
    let carried = Carried { exif: tiff.as_deref(), icc: Some(&icc) };
    out.write_all(&jpeg_encode::from_rgb(&rgb, w, h, jpeg_encode::QUALITY, carried)?)?;
    out.flush()?;
    Ok(n)
}

/// sRGB-coded 8-bit value to linear light.
fn linear(v: u8) -> f32 {
    super::icc::srgb_to_linear(f64::from(v) / 255.0) as f32
}

/// Linear light to an sRGB-coded 8-bit value.
fn encoded(l: f32) -> u8 {
    let c = if l <= 0.003_130_8 { l * 12.92 } else { 1.055 * l.max(0.0).powf(1.0 / 2.4) - 0.055 };
    (c * 255.0).round().clamp(0.0, 255.0) as u8
}

/// The frames added so far, aligned to the first.
struct Stack {
    first: Vec<u8>,
    w: usize,
    h: usize,
    acc: Vec<f32>,
    count: Vec<u16>,
    lut: Vec<f32>,
    align: Aligner,
}

impl Stack {
    fn new(first: Vec<u8>, w: usize, h: usize) -> Self {
        let align = Aligner::new(&first, w, h);
        let lut = (0..=255u8).map(linear).collect();
        let mut s = Stack { first: Vec::new(), w, h, acc: vec![0.0; w * h * 3], count: vec![0; w * h], lut, align };
        s.stack_at(&first, (0, 0));
        s.first = first;
        s
    }

    fn add(&mut self, frame: &[u8]) {
        if frame.len() == self.w * self.h * 3 {
            let shift = self.align.shift(frame);
            self.stack_at(frame, shift);
        }
    }

    /// Adds `frame` so that its pixel (x + dx, y + dy) lands on (x, y).
    fn stack_at(&mut self, frame: &[u8], (dx, dy): (i64, i64)) {
        let (w, h) = (self.w as i64, self.h as i64);
        for y in 0..h {
            let sy = y + dy;
            if !(0..h).contains(&sy) {
                continue;
            }
            let x0 = (-dx).max(0);
            let x1 = (w - dx).min(w);
            for x in x0..x1 {
                let (o, i) = ((y * w + x) as usize, ((sy * w + x + dx) * 3) as usize);
                for c in 0..3 {
                    self.acc[o * 3 + c] += self.lut[usize::from(frame[i + c])];
                }
                self.count[o] = self.count[o].saturating_add(1);
            }
        }
    }

    fn finish(self) -> Vec<u8> {
        let mut out = vec![0u8; self.w * self.h * 3];
        for (o, &n) in self.count.iter().enumerate() {
            for c in 0..3 {
                out[o * 3 + c] = if n == 0 { self.first[o * 3 + c] } else { encoded(self.acc[o * 3 + c] / f32::from(n)) };
            }
        }
        out
    }
}

/// Estimates each frame's translation from the first by phase correlation.
struct Aligner {
    w: usize,
    h: usize,
    /// Scale-down factor of the coarse pass.
    factor: usize,
    fft: Arc<dyn Fft<f32>>,
    ifft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    /// The first frame's spectra: scaled down whole, and its full-resolution centre.
    coarse: Vec<Complex<f32>>,
    fine: Vec<Complex<f32>>,
}

/// Rec. 709 luma of pixel `i` (an index into packed RGB).
fn luma(rgb: &[u8], i: usize) -> f32 {
    0.2126 * f32::from(rgb[i]) + 0.7152 * f32::from(rgb[i + 1]) + 0.0722 * f32::from(rgb[i + 2])
}

impl Aligner {
    fn new(first: &[u8], w: usize, h: usize) -> Self {
        let mut planner = FftPlanner::new();
        let (fft, ifft) = (planner.plan_fft_forward(N), planner.plan_fft_inverse(N));
        let hann = |i: usize| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / (N - 1) as f32).cos();
        let window = (0..N * N).map(|i| hann(i % N) * hann(i / N)).collect();
        let factor = w.max(h).div_ceil(N).max(1);
        let mut a = Aligner { w, h, factor, fft, ifft, window, coarse: Vec::new(), fine: Vec::new() };
        a.coarse = a.spectrum(&a.scaled(first));
        a.fine = a.spectrum(&a.centre(first, (0, 0)));
        a
    }

    /// The frame's luma scaled down by `factor` (box average), in an N x N square.
    fn scaled(&self, rgb: &[u8]) -> Vec<f32> {
        let f = self.factor;
        let mut out = vec![0.0; N * N];
        for y in 0..(self.h / f).min(N) {
            for x in 0..(self.w / f).min(N) {
                let mut sum = 0.0;
                for yy in 0..f {
                    for xx in 0..f {
                        sum += luma(rgb, ((y * f + yy) * self.w + x * f + xx) * 3);
                    }
                }
                out[y * N + x] = sum / (f * f) as f32;
            }
        }
        out
    }

    /// The N x N full-resolution luma window at the frame's centre, moved by `at` (clamped).
    fn centre(&self, rgb: &[u8], at: (i64, i64)) -> Vec<f32> {
        let x0 = (self.w as i64 - N as i64) / 2 + at.0;
        let y0 = (self.h as i64 - N as i64) / 2 + at.1;
        let mut out = vec![0.0; N * N];
        for y in 0..N as i64 {
            for x in 0..N as i64 {
                let (sx, sy) = ((x0 + x).clamp(0, self.w as i64 - 1), (y0 + y).clamp(0, self.h as i64 - 1));
                out[(y as usize) * N + x as usize] = luma(rgb, (sy as usize * self.w + sx as usize) * 3);
            }
        }
        out
    }

    /// The 2-D spectrum of a windowed N x N image (mean removed).
    fn spectrum(&self, img: &[f32]) -> Vec<Complex<f32>> {
        let mean = img.iter().sum::<f32>() / img.len() as f32;
        let mut data: Vec<Complex<f32>> = img.iter().zip(&self.window).map(|(v, w)| Complex::new((v - mean) * w, 0.0)).collect();
        fft2(&mut data, &self.fft);
        data
    }

    /// Where the cross-power spectrum of `reference` and `spec` peaks: the shift (dx, dy) such
    /// that the frame's pixel (x + dx, y + dy) shows what the first frame's (x, y) does.
    fn peak(&self, reference: &[Complex<f32>], spec: &[Complex<f32>]) -> (f32, f32) {
        let mut r: Vec<Complex<f32>> = spec
            .iter()
            .zip(reference)
            .map(|(a, b)| {
                let c = a * b.conj();
                let m = c.norm();
                if m > 1e-12 {
                    c / m
                } else {
                    Complex::new(0.0, 0.0)
                }
            })
            .collect();
        fft2(&mut r, &self.ifft);
        let (mut best, mut at) = (f32::MIN, 0);
        for (i, v) in r.iter().enumerate() {
            if v.re > best {
                (best, at) = (v.re, i);
            }
        }
        let (px, py) = (at % N, at / N);
        let val = |x: usize, y: usize| r[(y % N) * N + x % N].re;
        // a parabola through the peak and its neighbours places it between pixels
        let sub = |l: f32, c: f32, r: f32| {
            let d = l - 2.0 * c + r;
            if d.abs() > 1e-9 {
                0.5 * (l - r) / d
            } else {
                0.0
            }
        };
        let fx = px as f32 + sub(val(px + N - 1, py), best, val(px + 1, py));
        let fy = py as f32 + sub(val(px, py + N - 1), best, val(px, py + 1));
        let signed = |v: f32| if v > (N / 2) as f32 { v - N as f32 } else { v };
        (signed(fx), signed(fy))
    }

    /// The frame's shift from the first, in whole pixels.
    fn shift(&self, rgb: &[u8]) -> (i64, i64) {
        let (cx, cy) = self.peak(&self.coarse, &self.spectrum(&self.scaled(rgb)));
        let coarse = ((cx * self.factor as f32).round() as i64, (cy * self.factor as f32).round() as i64);
        let (fx, fy) = self.peak(&self.fine, &self.spectrum(&self.centre(rgb, coarse)));
        (coarse.0 + fx.round() as i64, coarse.1 + fy.round() as i64)
    }
}

/// In-place 2-D FFT of an N x N image: rows, then columns.
fn fft2(data: &mut [Complex<f32>], fft: &Arc<dyn Fft<f32>>) {
    for row in data.chunks_exact_mut(N) {
        fft.process(row);
    }
    let mut col = vec![Complex::new(0.0, 0.0); N];
    for x in 0..N {
        for y in 0..N {
            col[y] = data[y * N + x];
        }
        fft.process(&mut col);
        for y in 0..N {
            data[y * N + x] = col[y];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured image, and the same moved by (dx, dy): the shift is found to the pixel.
    #[test]
    fn phase_correlation_finds_a_known_shift() {
        let (w, h) = (640usize, 480usize);
        // blocks of pseudo-random grey: texture at every scale, repeating nowhere
        let scene = |x: i64, y: i64| -> u8 {
            let (bx, by) = (x.div_euclid(4) as u64, y.div_euclid(4) as u64);
            let mut v = bx.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ by.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
            v ^= v >> 29;
            (v.wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 56) as u8
        };
        let frame = |dx: i64, dy: i64| -> Vec<u8> {
            let mut v = Vec::with_capacity(w * h * 3);
            for y in 0..h as i64 {
                for x in 0..w as i64 {
                    let s = scene(x - dx, y - dy);
                    v.extend_from_slice(&[s, s, s]);
                }
            }
            v
        };
        let a = Aligner::new(&frame(0, 0), w, h);
        for (dx, dy) in [(0, 0), (5, -3), (-11, 7), (23, 17)] {
            assert_eq!(a.shift(&frame(dx, dy)), (dx, dy), "shaken by ({dx}, {dy})");
        }
    }

    #[test]
    fn light_is_averaged_linearly() {
        assert_eq!(encoded(linear(200)), 200);
        // black and white average to mid-grey light, which sRGB codes as 188, not 128
        assert_eq!(encoded((linear(0) + linear(255)) / 2.0), 188);
    }
}
