//! The Google Motion Photo writer (`convert --to motion-photo`): a JPEG, an XMP packet that points
//! at the video, the MP4 appended (docs/formats.md "Android motion photos").

use super::control::Ticker;
use super::error::{JobError, OptionError};
use super::filters::Effect;
use super::jpeg::{app_segments, merged_packet, segment, xmp_packet};
use super::memory::release_memory;
use super::pipeline::Trim;
use super::ultrahdr::{self, MotionItem};
use super::writer::{ExportMeta, Input, Made, MadeOf, Mp4Codec, Opt, Reencoded, Settings, Spec, Writer};
use super::{still, video};
use crate::meta::xmp;
use crate::meta::xmp::XMP_SIGNATURE;
use crate::scan::LivePhoto;
use std::fs::File;
use std::io::{self, Seek, Write};

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// `--to motion-photo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MotionPhotoOut {
    pub codec: Mp4Codec,
    /// A still with a gain map makes an Ultra HDR motion photo (`false`: `--sdr`).
    pub hdr: bool,
}

/// What the command line knows of `--to motion-photo`.
pub const SPEC: Spec = Spec {
    word: "motion-photo",
    help: "A Google Motion Photo for Android and Google Photos: <still stem>.MP.jpg, the still as JPEG (EXIF, GPS, \
           colour profile kept; Ultra HDR from an iPhone HDR photo unless --sdr) with the clip as an MP4 inside",
    takes: &[(Opt::Codec, Some("auto")), (Opt::Sdr, None), (Opt::Trim, None), (Opt::Effect, None)],
    refuses: "its video keeps the clip's size and frame rate",
};

/// The writer `--to motion-photo` makes of what the command line gave.
pub fn make(s: &Settings) -> Box<dyn Writer> {
    Box::new(MotionPhotoOut { codec: s.codec.unwrap_or_default(), hdr: s.hdr })
}

impl Writer for MotionPhotoOut {
    fn name(&self) -> (&'static str, &'static str) {
        (".MP", "jpg")
    }

    fn settings(&self) -> String {
        // an SDR motion photo is what earlier versions made: the same words
        let hdr = if self.hdr { ", ultra hdr" } else { "" };
        format!("motion-photo: codec {}{hdr}", self.codec.word())
    }

    fn check(&self, trimmed: bool, effect: bool) -> Result<(), OptionError> {
        self.codec.check(trimmed, effect)
    }

    fn made_of(&self) -> MadeOf {
        MadeOf::Both
    }

    fn write(&self, input: &Input<'_>, out: &mut File, ticker: &Ticker<'_>) -> Result<Made, JobError> {
        let (frames, reencoded, note) = write(input.lp, out, input.meta, (self.codec, self.hdr), (input.trim, input.effect), ticker)?;
        Ok(Made { frames: Some(frames), reencoded, note, ..Made::default() })
    }
}

/// Writes `lp` as a Google Motion Photo into `out`: the still as JPEG (see [`still::jpeg`]) with
/// the motion-photo XMP, then the clip as an MP4 made as `--to mp4` makes it: H.264 unless asked
/// otherwise (HEVC inside a motion photo does not play in several Android galleries); an H.264
/// clip is copied. With `hdr`, a still with a gain map makes an Ultra HDR motion photo: the gain
/// map follows the primary, and one directory lists `Primary`, `GainMap`, `MotionPhoto` in file
/// order. Returns the video frames written, why the video was re-encoded, and a note on a gain
/// map that could not be kept.
pub fn write(
    lp: &LivePhoto,
    out: &mut File,
    meta: &ExportMeta,
    (codec, hdr): (Mp4Codec, bool),
    (trim, effect): (Trim, Option<(Effect, f64)>),
    ticker: &Ticker<'_>,
) -> Result<(u64, Option<Reencoded>, Option<String>), JobError> {
    // the MP4 first (its length goes into the XMP), in a file with no name to leave behind; the
    // still's bytes are made after it, so the job never holds them while it makes the video
    let mut mp4 = tempfile::tempfile().map_err(JobError::io("cannot create a temporary file for the video"))?;
    let (frames, reencoded) = video::to_mp4((&*lp.clip).into(), &mut mp4, meta, codec, trim, effect, ticker)?;
    let len = mp4.seek(io::SeekFrom::End(0))?;
    // what the video's frames and codecs held goes back before the still is decoded (with
    // `tune_allocator`, 24 MP iOS 18 stills at 2 jobs peak at the MP4 path's 380 MB, not 580)
    release_memory();
    // the key photo's moment in the new video (with an effect, the still is no moment of it)
    let key_us = lp.clip.info.key_time_s.filter(|_| effect.is_none());
    let key_us = key_us.map(|k| ((k - trim.start.unwrap_or(0.0)) * 1e6).round() as i64).filter(|&k| k >= 0);
    let mut still = still::jpeg(&lp.still, hdr, still::Encoding { threads: ticker.threads(), ..still::Encoding::default() })?;
    // a still without a time of its own takes its Live Photo's (from the clip, with its offset):
    // the motion photo's MP4 keeps only UTC, and galleries date a photo by its EXIF
    if let Some(t) = lp.captured_at().filter(|t| lp.still.info.shot.captured_at.is_none() && t.offset_s.is_some()) {
        still.bytes = super::still_exif::jpeg_with_capture_time(&still.bytes, t).map_err(|e| e.in_file(&lp.still.path))?;
    }
    let jpeg = match &still.gain_map {
        Some(gm) => {
            let motion = MotionItem { video_len: len, key_time_us: key_us.unwrap_or(-1) };
            ultrahdr::assemble(&still.bytes, &ultrahdr::gain_map_block(gm)?, Some(motion)).map_err(|e| e.in_file(&lp.still.path))?
        }
        None => with_xmp(&still.bytes, len, key_us.unwrap_or(-1))?,
    };
    out.write_all(&jpeg)?;
    mp4.rewind()?;
    io::copy(&mut mp4, out)?;
    out.flush()?;
    Ok((frames, reencoded, still.note))
}

/// The XMP description of a Google Motion Photo 1.0 whose video is `video_len` bytes at the end,
/// with the key photo `key_time_us` into it (-1: unknown), and the legacy MicroVideo tags older
/// galleries read: the camera tags and a directory of the primary image and the video.
pub fn xmp(video_len: u64, key_time_us: i64) -> String {
    format!(
        concat!(
            r#"<rdf:Description rdf:about="" xmlns:Container="{container}" xmlns:Item="{item}" {tags}>"#,
            r#"<Container:Directory><rdf:Seq>"#,
            r#"<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>"#,
            r#"{video}</rdf:Seq></Container:Directory></rdf:Description>"#
        ),
        container = xmp::CONTAINER,
        item = xmp::ITEM,
        tags = camera_tags(video_len, key_time_us),
        video = video_item(video_len, "")
    )
}

/// The camera namespace's motion-photo attributes (see [`xmp`]).
fn camera_tags(video_len: u64, key: i64) -> String {
    format!(
        concat!(
            r#"xmlns:GCamera="{ns}" GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1" GCamera:MotionPhotoPresentationTimestampUs="{key}""#,
            r#" GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset="{len}" GCamera:MicroVideoPresentationTimestampUs="{key}""#
        ),
        ns = xmp::CAMERA,
        key = key,
        len = video_len
    )
}

/// The directory's video item; `declare` is put on its `rdf:li` (namespace declarations, for an
/// item added to a packet whose prefixes are not known).
fn video_item(video_len: u64, declare: &str) -> String {
    format!(
        r#"<rdf:li{declare} rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="{video_len}" Item:Padding="0"/></rdf:li>"#
    )
}

/// `jpeg` with the motion-photo XMP (see [`xmp`]) for a video of `video_len` bytes, the key photo
/// `key_time_us` into it: added to the JPEG's own packet when it has one (its other properties
/// kept; a directory it has, such as a Pixel's of its gain map, gains the video as its last item,
/// so one directory lists every item in file order), else as a new packet; in either case in an
/// APP1 segment right after SOI and the EXIF segment, before any MPF (APP2) segment whose offsets
/// must not move.
pub fn with_xmp(jpeg: &[u8], video_len: u64, key_time_us: i64) -> Result<Vec<u8>, JobError> {
    let segments = app_segments(jpeg).ok_or_else(|| JobError::Media("the still is not a JPEG that can carry XMP".into()))?;
    let description = xmp(video_len, key_time_us);
    let fresh = || xmp_packet(&description);
    let own = super::jpeg::xmp_without_motion(jpeg, &segments);
    let declare = format!(r#" xmlns:rdf="{RDF}" xmlns:Container="{}" xmlns:Item="{}""#, xmp::CONTAINER, xmp::ITEM);
    let joined = own.as_deref().and_then(|p| xmp::with_directory_item(p, &video_item(video_len, &declare)));
    let packet = match joined {
        Some(p) => merged_packet(Some(&p), &format!(r#"<rdf:Description rdf:about="" {}/>"#, camera_tags(video_len, key_time_us))),
        None => merged_packet(own.as_deref(), &description),
    };
    let xmp = segment(0xE1, &[XMP_SIGNATURE, packet.as_bytes()]).or_else(|| segment(0xE1, &[XMP_SIGNATURE, fresh().as_bytes()]));
    let xmp = xmp.ok_or_else(|| JobError::Media("the motion photo's XMP does not fit in a JPEG segment".into()))?;
    let at = segments.iter().take_while(|s| s.marker == 0xE0 || (s.marker == 0xE1 && !s.xmp)).last().map_or(2, |s| s.body.1);
    let mut out = Vec::with_capacity(jpeg.len() + xmp.len());
    out.extend_from_slice(&jpeg[..at]);
    out.extend_from_slice(&xmp);
    let mut from = at;
    if let Some(old) = segments.iter().find(|s| s.xmp) {
        if old.body.0 >= at {
            out.extend_from_slice(&jpeg[from..old.body.0 - 4]);
            from = old.body.1;
        }
    }
    out.extend_from_slice(&jpeg[from..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(segments: &[(u8, &[u8])]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        for (m, body) in segments {
            out.extend_from_slice(&[0xFF, *m]);
            out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(body);
        }
        out.extend_from_slice(&[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]);
        out
    }

    #[test]
    fn xmp_goes_after_exif_and_before_mpf_and_merges_with_the_jpegs_own() {
        let plain = jpeg(&[(0xE1, b"Exif\0\0MM"), (0xE2, b"MPF\0")]);
        let out = with_xmp(&plain, 16, -1).unwrap();
        let segs = app_segments(&out).unwrap();
        assert_eq!(segs.iter().map(|s| (s.marker, s.xmp)).collect::<Vec<_>>(), vec![(0xE1, false), (0xE1, true), (0xE2, false)]);
        assert!(out.ends_with(&[0xFF, 0xD9]));

        let mut own = XMP_SIGNATURE.to_vec();
        own.extend_from_slice(b"<x:xmpmeta><rdf:RDF><rdf:Description apple:x=\"1\"/></rdf:RDF></x:xmpmeta>");
        let out = with_xmp(&jpeg(&[(0xE1, b"Exif\0\0MM"), (0xE1, &own)]), 16, -1).unwrap();
        let segs = app_segments(&out).unwrap();
        assert_eq!(segs.len(), 2, "one XMP packet, not two");
        let text = String::from_utf8_lossy(&out[segs[1].body.0..segs[1].body.1]).to_string();
        assert!(text.contains("apple:x=\"1\"") && text.contains("MicroVideoOffset=\"16\""), "{text}");
    }
}
