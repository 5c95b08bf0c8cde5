//! `--max-size`: the largest GIF settings that fit a byte limit, found in a few trial encodes
//! (a size model estimates, each encode corrects it).

use super::clip::to_gif;
use super::quality::{GifOptions, GifQuality};
use crate::export::control::Ticker;
use crate::export::error::JobError;
use crate::export::pipeline::{ClipSource, Trim};
use crate::export::writer::GifFit;
use std::io::Write;

/// Width, frame rate and quality of one trial encode.
type Settings = (u32, f64, GifQuality);

/// Trial encodes at most, the asked settings included.
const FIT_PASSES: u32 = 5;
/// Aim this far under the limit, so a correction lands under it.
const FIT_AIM: f64 = 0.92;
/// A fitting GIF this close to the limit is kept without trying a larger one.
const FIT_CLOSE: f64 = 0.8;
/// The least `--max-size` goes down to (or what was asked, when less).
pub const FIT_MIN_WIDTH: u32 = 240;
pub const FIT_MIN_FPS: f64 = 8.0;
const FIT_MID_QUALITY: u8 = 70;
pub const FIT_MIN_QUALITY: u8 = 40;

/// Settings along the ladder `--max-size` walks down, `t` from 1 (as asked) to 0 (the least):
/// quality to 70, then width to 240 px, then frame rate to 8 fps, then quality to 40.
fn ladder(asked: &GifOptions, t: f64) -> Settings {
    let lerp = |a: f64, b: f64, f: f64| a + (b - a) * f.clamp(0.0, 1.0);
    let q0 = f64::from(asked.quality.get());
    let q_mid = q0.min(f64::from(FIT_MID_QUALITY));
    let q_min = q0.min(f64::from(FIT_MIN_QUALITY));
    let w_min = f64::from(asked.width.min(FIT_MIN_WIDTH));
    let fps_min = asked.fps.min(FIT_MIN_FPS);
    let down = 1.0 - t.clamp(0.0, 1.0); // 0 as asked .. 1 the least, in four equal steps
    let q = if down < 0.25 { lerp(q0, q_mid, down * 4.0) } else { lerp(q_mid, q_min, down * 4.0 - 3.0) };
    let w = lerp(f64::from(asked.width), w_min, down * 4.0 - 1.0);
    let fps = lerp(asked.fps, fps_min, down * 4.0 - 2.0);
    let quality = GifQuality::new(q.round().clamp(1.0, 100.0) as u8).unwrap_or(asked.quality);
    // even widths, as the scaler makes them
    let fps = if fps > fps_min { fps.round().max(fps_min) } else { fps_min };
    ((w.round() as u32).max(16) & !1, fps, quality)
}

/// Relative bytes at these settings: width squared, frame rate to the 0.85 (frame
/// differencing makes more frames cheaper), and quality by a curve measured on two real clips
/// (bytes relative to quality 90: 100 1.47, 80 0.58, 70 0.43, 60 0.33, 50 0.27, 40 0.21).
fn model_bytes((w, fps, q): Settings) -> f64 {
    const CURVE: [(f64, f64); 8] =
        [(1.0, 0.12), (40.0, 0.21), (50.0, 0.27), (60.0, 0.33), (70.0, 0.43), (80.0, 0.58), (90.0, 1.0), (100.0, 1.47)];
    let q = f64::from(q.get());
    let i = CURVE.iter().position(|&(cq, _)| cq >= q).unwrap_or(CURVE.len() - 1).max(1);
    let ((q0, b0), (q1, b1)) = (CURVE[i - 1], CURVE[i]);
    let rel_q = b0 * (b1 / b0).powf(((q - q0) / (q1 - q0)).clamp(0.0, 1.0));
    f64::from(w).powi(2) * fps.powf(0.85) * rel_q
}

/// Like [`to_gif`], but no larger than `max` bytes: the asked settings first, then lower ones
/// along [`ladder`], each chosen by the size model calibrated on the last encode (estimate,
/// then correct), in at most [`FIT_PASSES`] encodes. Returns the frames and what was chosen;
/// a GIF that cannot fit even at the least settings is an error and nothing is written.
#[allow(clippy::too_many_arguments)]
pub fn to_gif_within(
    clip: ClipSource<'_>,
    out: &mut dyn Write,
    rotation: u16,
    trim: Trim,
    opts: &GifOptions,
    max: u64,
    ticker: &Ticker<'_>,
) -> Result<(u64, GifFit), JobError> {
    // the width to lower from: the asked one, or what the clip shows when that is less (a small
    // clip is never blown up: lowering a width it never reached would change nothing)
    let mut asked = GifOptions { ..*opts };
    let encode = |asked: &GifOptions, t: f64| -> Result<(u64, Vec<u8>, Settings), JobError> {
        let (width, fps, quality) = ladder(asked, t);
        let o = GifOptions { width, fps, quality, hold_bytes: opts.hold_bytes, effect: opts.effect };
        let mut buf = Vec::new();
        let n = to_gif(clip, &mut buf, rotation, trim, &o, ticker)?;
        Ok((n, buf, (width, fps, quality)))
    };
    // (t, bytes) of the smallest t known too big and the best fit so far
    let mut too_big: Option<(f64, u64)> = None;
    let mut best: Option<(f64, u64, Vec<u8>, Settings)> = None;
    let mut t = 1.0;
    let mut passes = 0;
    let mut frames = 0;
    while passes < FIT_PASSES {
        let (n, buf, mut settings) = encode(&asked, t)?;
        passes += 1;
        if n == 0 {
            return Ok((0, GifFit { width: settings.0, fps: settings.1, quality: settings.2.get(), bytes: 0, passes, lowered: false }));
        }
        let made = buf.get(6..8).map_or(settings.0, |w| u32::from(u16::from_le_bytes([w[0], w[1]])));
        if passes == 1 && made < asked.width {
            asked.width = made;
            settings.0 = made;
        }
        frames = n;
        let bytes = buf.len() as u64;
        if bytes <= max {
            let close = bytes as f64 >= FIT_CLOSE * max as f64 || t >= 1.0;
            if best.as_ref().is_none_or(|b| t > b.0) {
                best = Some((t, bytes, buf, settings));
            }
            if close {
                break;
            }
        } else {
            too_big = Some((t, bytes));
            if t <= 0.0 {
                break;
            }
        }
        // the model, calibrated on this encode, picks the next t: the largest it expects to fit
        let scale = bytes as f64 / model_bytes(settings);
        let want = FIT_AIM * max as f64;
        let lo = best.as_ref().map_or(0.0, |b| b.0);
        let hi = too_big.map_or(1.0, |b| b.0);
        let next = if best.is_none() && passes + 1 == FIT_PASSES {
            0.0 // the last pass: the least settings, so a GIF that can fit does
        } else if scale * model_bytes(ladder(&asked, lo)) > want {
            lo
        } else {
            let (mut a, mut b) = (lo, hi);
            for _ in 0..30 {
                let m = (a + b) / 2.0;
                if scale * model_bytes(ladder(&asked, m)) <= want {
                    a = m
                } else {
                    b = m
                }
            }
            a
        };
        if ladder(&asked, next) == settings || (best.is_some() && ladder(&asked, next) == ladder(&asked, lo)) {
            break; // nothing new to try
        }
        t = next;
    }
    match best {
        Some((t, bytes, buf, (width, fps, quality))) => {
            out.write_all(&buf)?;
            Ok((frames, GifFit { width, fps, quality: quality.get(), bytes, passes, lowered: t < 1.0 }))
        }
        None => {
            let (width, fps, quality) = ladder(&asked, 0.0);
            let smallest = too_big.map_or(0, |b| b.1);
            Err(JobError::TooLarge { max, smallest, width, fps, quality: quality.get() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_size_settings_walk_down_to_the_least_and_the_model_agrees() {
        let asked = GifOptions::new(15.0, 480);
        assert_eq!(ladder(&asked, 1.0), (480, 15.0, GifQuality::DEFAULT));
        assert_eq!(ladder(&asked, 0.0), (FIT_MIN_WIDTH, FIT_MIN_FPS, GifQuality::new(FIT_MIN_QUALITY).unwrap()));
        assert_eq!(ladder(&asked, 0.75), (480, 15.0, GifQuality::new(70).unwrap()), "quality first");
        assert_eq!(ladder(&asked, 0.5), (240, 15.0, GifQuality::new(70).unwrap()), "then width");
        // asked below the least: never raised
        let small = GifOptions { quality: GifQuality::new(30).unwrap(), ..GifOptions::new(5.0, 200) };
        assert_eq!(ladder(&small, 0.0), (200, 5.0, GifQuality::new(30).unwrap()));
        let mut last = f64::MAX;
        for i in (0..=100).rev() {
            let b = model_bytes(ladder(&asked, f64::from(i) / 100.0));
            assert!(b <= last, "the model shrinks as t falls ({i})");
            last = b;
        }
    }
}
