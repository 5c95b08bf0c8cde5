//! `--to live-photo`: every Live Photo written back as the pair an iPhone writes, `<stem>.HEIC`
//! (or `.JPG`) and `<stem>.MOV` with one content identifier (docs/formats.md "Writing a Live
//! Photo"). For people moving from Android to iPhone (a motion photo becomes a pair Photos
//! shows as Live), and for pairs an export split (renamed halves, stripped identifiers) that
//! photo apps then show as two items.
//!
//! - The identifier is the pair's own (either half's) when it has one, else a UUID derived from
//!   the still's bytes (a re-run writes the same).
//! - A half that already says it is copied byte for byte; the other is rewritten: the still's
//!   EXIF ([`super::still_exif`]), the clip remuxed as QuickTime with the key photo's track ([`mov`]).
//!   Video and audio are never re-encoded.

mod hvc1;
mod key_time;
mod mov;

use super::control::Ticker;
use super::error::{JobError, OptionError};
use super::still;
use super::still_exif::{heif_with_id, jpeg_with_id};
use super::writer::{Identifier, Input, Made, MadeOf, Settings, Spec, Writer};
use crate::meta::{IdKind, StillFormat};
use crate::scan::LivePhoto;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};

/// `--to live-photo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LivePhotoOut;

/// What the command line knows of `--to live-photo`: it takes no option.
pub const SPEC: Spec = Spec {
    word: "live-photo",
    help: "An Apple Live Photo for iPhone and Photos: <stem>.HEIC (or .JPG) and <stem>.MOV with one content \
           identifier (the pair's own, else a new one), the key photo's moment marked; video and audio copied, never \
           re-encoded. For Android motion photos and for pairs an export split",
    takes: &[],
    refuses: "its still and clip are copied as they are",
};

/// The writer `--to live-photo` makes.
pub fn make(_: &Settings) -> Box<dyn Writer> {
    Box::new(LivePhotoOut)
}

impl Writer for LivePhotoOut {
    fn name(&self) -> (&'static str, &'static str) {
        ("", "MOV")
    }

    fn settings(&self) -> String {
        "live-photo".into()
    }

    fn check(&self, trimmed: bool, effect: bool) -> Result<(), OptionError> {
        match trimmed || effect {
            true => Err(OptionError::LivePhotoCopies),
            false => Ok(()),
        }
    }

    fn companion(&self, lp: &LivePhoto) -> Option<&'static str> {
        Some(match lp.still.format {
            StillFormat::Heif => "HEIC",
            StillFormat::Jpeg | StillFormat::Png => "JPG",
        })
    }

    fn identifier(&self, lp: &LivePhoto) -> Option<Identifier> {
        identifier(lp).ok()
    }

    fn made_of(&self) -> MadeOf {
        MadeOf::Both
    }

    fn write(&self, input: &Input<'_>, out: &mut File, ticker: &Ticker<'_>) -> Result<Made, JobError> {
        let lp = input.lp;
        let id = found(input).map_err(|e| e.in_file(&lp.still.path))?;
        ticker.check()?;
        let frames = write_clip(lp, &id.value, out).map_err(|e| e.in_file(&lp.clip.path))?;
        ticker.frames(frames);
        Ok(Made { frames: Some(frames), identifier: Some(id), ..Made::default() })
    }

    fn write_companion(&self, input: &Input<'_>, out: &mut File) -> Result<(), JobError> {
        let lp = input.lp;
        found(input).and_then(|id| write_still(lp, &id.value, out)).map_err(|e| e.in_file(&lp.still.path))
    }
}

/// The identifier found for the job, or (when it could not be) why.
fn found(input: &Input<'_>) -> Result<Identifier, JobError> {
    input.identifier.clone().map_or_else(|| identifier(input.lp), Ok)
}

/// The identifier `lp` is written with: its own Apple identifier (the still's, else the clip's),
/// else one made from what ties its halves (a vivo live photo's id) or from the still's bytes: a
/// name-based UUID (RFC 9562 version 5), so the same Live Photo always gets the same one.
pub fn identifier(lp: &LivePhoto) -> Result<Identifier, JobError> {
    let made = |from: &[u8]| uuid::Uuid::new_v5(&NAMESPACE, from).hyphenated().to_string().to_ascii_uppercase();
    let vivo = [&lp.still.info.shot, &lp.clip.info.shot].iter().any(|s| s.id_kind == IdKind::Vivo && s.content_id.is_some());
    match lp.content_id() {
        Some(own) if !vivo => Ok(Identifier { value: own.to_string(), kept: true }),
        Some(vivo_id) => Ok(Identifier { value: made(vivo_id.as_bytes()), kept: false }),
        None => Ok(Identifier { value: made(&still::read(&lp.still)?), kept: false }),
    }
}

/// livephoto's namespace for identifiers made from stills (a fixed random UUID).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5d1c_6a0e_8f3b_4c27_9a41_2e7d_b0c9_f316);

/// Writes the still: copied when it already carries `id` and nothing else must change; else
/// (a motion photo's without its video, a PNG as JPEG) with `id` written into its EXIF.
fn write_still(lp: &LivePhoto, id: &str, out: &mut File) -> Result<(), JobError> {
    let half = &lp.still;
    let carries = half.info.shot.content_id.as_deref() == Some(id);
    if carries && half.info.extra_at().is_none() && half.format != StillFormat::Png {
        io::copy(&mut still::open_span(&half.path, half.embedded.as_ref(), "the still")?, out)?;
        return Ok(out.flush()?);
    }
    let bytes = match half.format {
        StillFormat::Png => still::jpeg_bytes(half)?,
        _ => still::read(half)?,
    };
    let written = match half.format {
        StillFormat::Heif => heif_with_id(&bytes, id)?,
        StillFormat::Jpeg | StillFormat::Png => jpeg_with_id(&bytes, id)?,
    };
    out.write_all(&written)?;
    Ok(out.flush()?)
}

/// Writes the clip: copied when it already carries `id` and a key photo's track; else remuxed
/// (see [`mov`]). Returns the video frames.
fn write_clip(lp: &LivePhoto, id: &str, out: &mut File) -> Result<u64, JobError> {
    let clip = &lp.clip;
    let frames = clip.info.video.as_ref().map_or(0, |v| v.frames);
    let mut input = still::open_span(&clip.path, clip.embedded.as_ref(), "the clip")?;
    // a motion photo's video is an MP4 that Photos does not take as it is; a .livp's is the iPhone's own
    let as_it_is = !lp.is_motion_photo() && clip.info.shot.content_id.as_deref() == Some(id);
    if as_it_is && clip.info.key_time_s.is_some() {
        io::copy(&mut input, out)?;
        out.flush()?;
        return Ok(frames);
    }
    let mut src = Vec::new();
    input.read_to_end(&mut src).map_err(JobError::io("cannot read the clip"))?;
    let meta = mov::MovMeta {
        content_id: id.to_string(),
        key_time_s: clip.info.key_time_s.unwrap_or(clip.info.duration_s / 2.0),
        keys: clip_keys(lp),
        capture_unix: lp.captured_at().and_then(|t| t.utc()).map(|u| u.floor() as i64),
    };
    let mut w = BufWriter::new(out);
    let written = mov::write_mov(&src, &meta, &mut w)?;
    w.flush()?;
    Ok(written.frames)
}

/// The `com.apple.quicktime.*` keys a remuxed clip gets when its source has none.
fn clip_keys(lp: &LivePhoto) -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    if let Some(t) = lp.captured_at().filter(|t| t.offset_s.is_some()) {
        keys.push(("com.apple.quicktime.creationdate", creationdate(t)));
    }
    if let Some(g) = lp.location() {
        keys.push(("com.apple.quicktime.location.ISO6709", g.to_iso6709()));
    }
    if let Some(m) = lp.make() {
        keys.push(("com.apple.quicktime.make", m.to_string()));
    }
    if let Some(m) = lp.model() {
        keys.push(("com.apple.quicktime.model", m.to_string()));
    }
    keys
}

/// A capture time as iPhones write `creationdate`: local time with the offset, no colon in it
/// (`2025-01-01T11:06:46+0900`).
fn creationdate(t: crate::meta::CaptureTime) -> String {
    let s = t.to_rfc3339();
    let base = s.get(..19).unwrap_or(&s);
    let o = t.offset_s.unwrap_or(0);
    let a = o.unsigned_abs();
    format!("{base}{}{:02}{:02}", if o < 0 { '-' } else { '+' }, a / 3600, a / 60 % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creationdate_has_the_offset_without_a_colon() {
        let t = crate::meta::CaptureTime { local: 1_735_729_606.0, offset_s: Some(9 * 3600) };
        assert_eq!(creationdate(t), "2025-01-01T11:06:46+0900");
        let t = crate::meta::CaptureTime { local: 1_735_729_606.0, offset_s: Some(-(5 * 3600 + 1800)) };
        assert_eq!(creationdate(t), "2025-01-01T11:06:46-0530");
        let t = crate::meta::CaptureTime { local: 1_735_729_606.0, offset_s: Some(0) };
        assert_eq!(creationdate(t), "2025-01-01T11:06:46+0000");
    }
}
