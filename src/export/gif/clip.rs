//! A clip made a GIF: its frames come out of libavfilter upright, tone-mapped, at the asked rate
//! and width; one palette is learnt for the whole clip (NeuQuant, from an evenly spread sample of
//! its pixels), then the frames go through the [`super::stream`] writer.
//!
//! Memory does not grow with the clip: frames are held only up to
//! [`HOLD_BYTES`](super::quality::HOLD_BYTES) while the palette is learnt; a clip that does not
//! fit is decoded a second time and streamed through the ditherer frame by frame.

use super::quality::GifOptions;
use super::stream::GifStream;
use crate::export::control::Ticker;
use crate::export::error::JobError;
use crate::export::frames::{rgb_frames, Rgb};
use crate::export::palette::{even_sample, learn_palette, Sampler, LEARN_PIXELS};
use crate::export::pipeline::{animated_scale, ClipSource, Trim};
use std::io::Write;

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
    let mut gif = GifStream::new(out, w, h, &palette, opts, ticker.cancel())?;
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
    let scale = animated_scale(opts.fps, opts.width);
    let (w, h, n) = rgb_frames(clip, rotation, trim, &scale, opts.effect, ticker, sink)?;
    let small = |v: u32| u16::try_from(v).map_err(|_| JobError::Unsupported("GIF frames cannot be larger than 65535 pixels".into()));
    Ok((small(w)?, small(h)?, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::control::Cancel;
    use crate::export::gif::quality::HOLD_BYTES;
    use std::fs::File;

    /// Decoded frames of a GIF file, as RGBA.
    fn gif_frames(path: &std::path::Path) -> Vec<Vec<u8>> {
        crate::export::gif::stream::tests::gif_frames_of(File::open(path).unwrap())
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
