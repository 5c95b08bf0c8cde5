//! A Live Photo's clip as an iPhone writes it (docs/formats.md "Writing a Live Photo"), made from
//! any QuickTime or MP4 clip without re-encoding:
//! - `ftyp` `qt  `, `wide`, one `mdat` holding the source's media data as it was (every `mdat`
//!   body copied whole, so each sample's bytes are the source's), then `moov`;
//! - the first video and audio tracks and the `mebx` timed-metadata tracks copied box for box
//!   (timing, edit lists, sample descriptions, the rotation matrix), only their chunk offsets
//!   moved (and HEVC tagged `hev1` renamed `hvc1`, [`super::hvc1`]); other tracks (a second video, timecode, hint, camera motion) are left out;
//! - a still-image-time track ([`still_time_track`]) unless the source has one (Apple's own is
//!   kept);
//! - `moov/meta` (`keys`/`ilst`, QTFF "Metadata atoms and types") with the source's keys kept
//!   and `com.apple.quicktime.content.identifier` set, plus the capture time, location, make and
//!   model when the source lacks them; `mvhd` gets the capture instant.

use crate::export::error::JobError;
use crate::export::location::{chunk_offsets, mdta_key, mdta_meta, utf8_value};
use crate::meta::isobmff::{self, boxed, BoxRef};
use crate::meta::quicktime::keys_and_values;
use crate::meta::MetaError;
use std::io::Write;

pub const KEY_CONTENT_ID: &str = "com.apple.quicktime.content.identifier";
const KEY_STILL_TIME: &[u8] = b"com.apple.quicktime.still-image-time";
/// Seconds from 1904-01-01 (QuickTime's epoch) to 1970-01-01.
const EPOCH_1904: i64 = 2_082_844_800;

/// What the new clip says besides its media.
#[derive(Debug, Clone, Default)]
pub struct MovMeta {
    pub content_id: String,
    /// The key photo's moment, seconds into the movie; used when the source has no
    /// still-image-time track.
    pub key_time_s: f64,
    /// `com.apple.quicktime.*` values added when the source has none: `creationdate` (local
    /// time with its offset, `2025-01-01T11:06:46+0900`), `location.ISO6709`, `make`, `model`.
    pub keys: Vec<(&'static str, String)>,
    /// The capture instant, seconds since 1970 (UTC), for `mvhd`.
    pub capture_unix: Option<i64>,
}

/// What was written: the video's frames, and whether the still-image-time track was the source's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub frames: u64,
    pub key_track_kept: bool,
}

/// One source track that is kept.
struct Track<'a> {
    body: &'a [u8],
    id: u32,
    handler: [u8; 4],
    still_time: bool,
    frames: u64,
}

/// Writes `src` (a whole QuickTime or MP4 file) as a Live Photo clip into `out`.
pub fn write_mov(src: &[u8], meta: &MovMeta, out: &mut dyn Write) -> Result<Written, JobError> {
    let bad = |e: MetaError| JobError::Media(format!("cannot read the clip's structure: {e}"));
    let top: Vec<BoxRef<'_>> = isobmff::boxes(src).collect::<Result<_, _>>().map_err(bad)?;
    let moov = top.iter().find(|b| &b.kind == b"moov").ok_or_else(|| JobError::Media("the clip has no 'moov' box".into()))?;
    let mdats: Vec<&BoxRef<'_>> = top.iter().filter(|b| &b.kind == b"mdat").collect();
    let (mut mvhd, mut udta, mut keys, mut tracks) = (None, None, None, Vec::new());
    for b in isobmff::boxes(moov.body) {
        let b = b.map_err(bad)?;
        match &b.kind {
            b"mvhd" => mvhd = Some(b.body),
            b"udta" => udta = Some(b.body),
            b"meta" => keys = Some(b.body),
            // one video and one audio track, as iPhones write (a phone's second video, such as a
            // low-resolution preview, is left out), and every timed-metadata track
            b"trak" => match read_track(b.body).map_err(bad)? {
                Some(t) if matches!(&t.handler, b"vide" | b"soun") && tracks.iter().any(|k: &Track<'_>| k.handler == t.handler) => {}
                Some(t) => tracks.push(t),
                None => {}
            },
            _ => {}
        }
    }
    let mvhd = mvhd.ok_or_else(|| JobError::Media("the clip has no 'mvhd' box".into()))?;
    let video = tracks.iter().find(|t| &t.handler == b"vide").ok_or_else(|| JobError::Media("the clip has no video track".into()))?;
    let frames = video.frames;
    // the new mdat: every source mdat body in order, then the still-image-time sample
    let ftyp = boxed(b"ftyp", b"qt  \0\0\0\0qt  ");
    let media_len: u64 = mdats.iter().map(|m| m.body.len() as u64).sum();
    let key_track_kept = tracks.iter().any(|t| t.still_time);
    let sample: &[u8] = if key_track_kept { &[] } else { &[0, 0, 0, 9, 0, 0, 0, 1, 0xFF] };
    let mdat_len = media_len + sample.len() as u64;
    let wide = mdat_len + 8 > u64::from(u32::MAX);
    let mdat_body_at = ftyp.len() as u64 + 16; // `wide` and an 8-byte header, or a 16-byte header
    let mut bases = Vec::new(); // (source body start, source body end, new start)
    let mut at = mdat_body_at;
    for m in &mdats {
        let start = m.body.as_ptr() as usize - src.as_ptr() as usize;
        bases.push((start as u64, (start + m.body.len()) as u64, at));
        at += m.body.len() as u64;
    }
    let sample_at = at;
    let movie_ts = mvhd_timescale(mvhd).ok_or_else(|| JobError::Media("the clip's 'mvhd' box is too short".into()))?;
    // the key photo on one of the video's frames, never past its last: the track it adds then
    // ends within the movie (which is made to last that long, whatever its header said)
    let key_units = (!key_track_kept)
        .then(|| (super::key_time::on_a_frame(video.body, movie_ts, meta.key_time_s) * f64::from(movie_ts)).round() as u64);
    let mut children = vec![patched_mvhd(mvhd, &tracks, meta.capture_unix, key_units.map(|k| k + 1))];
    for t in &tracks {
        children.push(boxed(b"trak", &moved_chunks(t.body, &bases).map_err(bad)?));
    }
    if let Some(key_units) = key_units {
        let next_id = tracks.iter().map(|t| t.id).max().unwrap_or(0) + 1;
        children.push(still_time_track(next_id, movie_ts, key_units, sample_at));
    }
    if let Some(u) = udta {
        children.push(boxed(b"udta", u));
    }
    children.push(keys_meta(keys, meta).map_err(bad)?);
    // write: ftyp, wide (or a 64-bit mdat header), mdat, moov
    out.write_all(&ftyp)?;
    if wide {
        out.write_all(&[0, 0, 0, 1])?;
        out.write_all(b"mdat")?;
        out.write_all(&(mdat_len + 16).to_be_bytes())?;
    } else {
        out.write_all(&boxed(b"wide", &[]))?;
        out.write_all(&((mdat_len + 8) as u32).to_be_bytes())?;
        out.write_all(b"mdat")?;
    }
    for m in &mdats {
        out.write_all(m.body)?;
    }
    out.write_all(sample)?;
    out.write_all(&boxed(b"moov", &children.concat()))?;
    out.flush()?;
    Ok(Written { frames, key_track_kept })
}

/// A `trak` worth keeping: video, audio, or QuickTime timed metadata (`mebx`).
fn read_track(body: &[u8]) -> Result<Option<Track<'_>>, MetaError> {
    let Some(hdlr) = isobmff::find_path(body, &[b"mdia", b"hdlr"])? else { return Ok(None) };
    let Some(handler) = hdlr.body.get(8..12).and_then(|h| <[u8; 4]>::try_from(h).ok()) else { return Ok(None) };
    let stsd = isobmff::find_path(body, &[b"mdia", b"minf", b"stbl", b"stsd"])?;
    let entry = stsd.and_then(|s| s.body.get(12..16));
    let keep = match &handler {
        b"vide" | b"soun" => true,
        b"meta" => entry == Some(b"mebx"),
        _ => false,
    };
    let tkhd = isobmff::find(body, b"tkhd")?;
    if !keep || tkhd.is_none() {
        return Ok(None);
    }
    let tkhd = tkhd.map_or(&[][..], |t| t.body);
    let id_at = if tkhd.first() == Some(&1) { 20 } else { 12 };
    let id = tkhd.get(id_at..id_at + 4).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let still_time = handler == *b"meta" && stsd.is_some_and(|s| s.body.windows(KEY_STILL_TIME.len()).any(|w| w == KEY_STILL_TIME));
    let stsz = isobmff::find_path(body, &[b"mdia", b"minf", b"stbl", b"stsz"])?;
    let frames = stsz.and_then(|s| s.body.get(8..12)).map_or(0, |c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])));
    Ok(Some(Track { body, id, handler, still_time, frames }))
}

/// The movie timescale from an `mvhd` body.
fn mvhd_timescale(mvhd: &[u8]) -> Option<u32> {
    let at = if mvhd.first() == Some(&1) { 20 } else { 12 };
    mvhd.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).filter(|&t| t > 0)
}

/// `mvhd` with the capture instant as its creation and modification times, the next track id
/// past every track (and the one added, when a track lasting `added` movie units is), and a
/// duration at least as long as that track.
fn patched_mvhd(mvhd: &[u8], tracks: &[Track<'_>], capture_unix: Option<i64>, added: Option<u64>) -> Vec<u8> {
    let adding = added.is_some();
    let mut body = mvhd.to_vec();
    let v1 = body.first() == Some(&1);
    let (dur_at, dur_len) = if v1 { (24, 8) } else { (16, 4) };
    if let (Some(need), Some(field)) = (added, body.get_mut(dur_at..dur_at + dur_len)) {
        let have = field.iter().fold(0u64, |v, &b| v << 8 | u64::from(b));
        if need > have {
            let bytes = need.to_be_bytes();
            field.copy_from_slice(&bytes[8 - dur_len..]);
        }
    }
    if let Some(t) = capture_unix.map(|u| u + EPOCH_1904).filter(|&t| t > 0) {
        if v1 && body.len() >= 20 {
            body[4..12].copy_from_slice(&(t as u64).to_be_bytes());
            body[12..20].copy_from_slice(&(t as u64).to_be_bytes());
        } else if !v1 && body.len() >= 12 {
            let t = u32::try_from(t).unwrap_or(u32::MAX).to_be_bytes();
            body[4..8].copy_from_slice(&t);
            body[8..12].copy_from_slice(&t);
        }
    }
    let next_at = body.len().saturating_sub(4);
    let next = tracks.iter().map(|t| t.id).max().unwrap_or(0) + 1 + u32::from(adding);
    if body.len() >= 100 {
        body[next_at..].copy_from_slice(&next.to_be_bytes());
    }
    boxed(b"mvhd", &body)
}

/// A `trak` body with every chunk offset moved from the source's `mdat` bodies (`bases`: start,
/// end, new start) to the new one (a 32-bit table that no longer fits becomes `co64`), and an
/// HEVC `hev1` sample entry renamed `hvc1` ([`super::hvc1`]).
fn moved_chunks(trak: &[u8], bases: &[(u64, u64, u64)]) -> Result<Vec<u8>, MetaError> {
    rebuild(trak, &[b"mdia", b"minf", b"stbl"], &|b: &BoxRef<'_>| {
        if &b.kind == b"stsd" {
            return Ok(super::hvc1::renamed(b.body).map(|s| boxed(b"stsd", &s)));
        }
        if !matches!(&b.kind, b"stco" | b"co64") {
            return Ok(None);
        }
        let offsets = chunk_offsets(b.body, &b.kind == b"co64")?;
        let count = offsets.len();
        let mut moved = Vec::with_capacity(count);
        for old in offsets {
            let (start, _, new) = bases
                .iter()
                .find(|(s, end, _)| old >= *s && old < *end)
                .ok_or_else(|| MetaError::corrupt(format!("a chunk at byte {old} lies outside the clip's media data")))?;
            moved.push(new + (old - start));
        }
        let as64 = moved.iter().any(|&o| o > u64::from(u32::MAX));
        let mut out = vec![0, 0, 0, 0];
        out.extend_from_slice(&(count as u32).to_be_bytes());
        for o in moved {
            if as64 {
                out.extend_from_slice(&o.to_be_bytes());
            } else {
                out.extend_from_slice(&(o as u32).to_be_bytes());
            }
        }
        Ok(Some(boxed(if as64 { b"co64" } else { b"stco" }, &out)))
    })
}

type Replace<'f> = dyn Fn(&BoxRef<'_>) -> Result<Option<Vec<u8>>, MetaError> + 'f;

/// A container's body rebuilt: the boxes along `path` rebuilt in turn, at the end of the path
/// each child handed to `replace` (its new bytes, or `None` to keep it).
fn rebuild(body: &[u8], path: &[&[u8; 4]], replace: &Replace<'_>) -> Result<Vec<u8>, MetaError> {
    let mut out = Vec::with_capacity(body.len() + 64);
    for b in isobmff::boxes(body) {
        let b = b?;
        match path.split_first() {
            Some((first, rest)) if &b.kind == *first => out.extend_from_slice(&boxed(&b.kind, &rebuild(b.body, rest, replace)?)),
            None => match replace(&b)? {
                Some(new) => out.extend_from_slice(&new),
                None => out.extend_from_slice(&boxed(&b.kind, b.body)),
            },
            _ => out.extend_from_slice(&boxed(&b.kind, b.body)),
        }
    }
    Ok(out)
}

/// The still-image-time track as iPhones write it (docs/formats.md "The key photo's time"): a
/// `mebx` track whose one sample (value -1, at `sample_at`) is presented `key_units` (movie
/// timescale) into the movie, through an empty edit then one unit of media; at 0, through the
/// one unit alone (a zero-length empty edit is no edit, as AVAssetWriter writes it).
pub fn still_time_track(id: u32, movie_ts: u32, key_units: u64, sample_at: u64) -> Vec<u8> {
    let key_units = u32::try_from(key_units).unwrap_or(u32::MAX - 1);
    let be = |v: u32| v.to_be_bytes();
    let matrix: Vec<u8> = [0x10000u32, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000].iter().flat_map(|v| v.to_be_bytes()).collect();
    let tkhd =
        boxed(b"tkhd", &[&[0, 0, 0, 0x0F][..], &[0; 8], &be(id), &[0; 4], &be(key_units + 1), &[0; 8], &[0; 8], &matrix, &[0; 8]].concat());
    let elst = match key_units {
        0 => boxed(b"elst", &[&[0u8; 4][..], &be(1), &be(1), &be(0), &be(0x10000)].concat()),
        _ => boxed(b"elst", &[&[0u8; 4][..], &be(2), &be(key_units), &be(u32::MAX), &be(0x10000), &be(1), &be(0), &be(0x10000)].concat()),
    };
    let mdhd = boxed(b"mdhd", &[&[0u8; 12][..], &be(movie_ts), &be(1), &[0x55, 0xC4, 0, 0]].concat());
    let hdlr = boxed(b"hdlr", &[&[0u8; 4][..], b"mhlr", b"meta", &[0; 12], &[0]].concat());
    let gmhd = boxed(b"gmhd", &boxed(b"gmin", &[&[0u8; 4][..], &[0, 0x40, 0x80, 0, 0x80, 0, 0x80, 0, 0, 0, 0, 0]].concat()));
    // the data reference as iPhones write it: an alias to this file (flag 1: self-contained)
    let dhlr = boxed(b"hdlr", &[&[0u8; 4][..], b"dhlr", b"alis", &[0; 12], &[0]].concat());
    let dinf = boxed(b"dinf", &boxed(b"dref", &[&[0u8; 4][..], &be(1), &boxed(b"alis", &[0, 0, 0, 1])].concat()));
    // the sample entry's key table: local key 1 is still-image-time, a signed 8-bit integer (type 65)
    let keyd = boxed(b"keyd", &[&b"mdta"[..], KEY_STILL_TIME].concat());
    let dtyp = boxed(b"dtyp", &[&be(0)[..], &be(65)].concat());
    let keys = boxed(b"keys", &boxed(&be(1), &[keyd, dtyp].concat()));
    let mebx = boxed(b"mebx", &[&[0u8; 6][..], &[0, 1], &keys].concat());
    let stsd = boxed(b"stsd", &[&[0u8; 4][..], &be(1), &mebx].concat());
    let stts = boxed(b"stts", &[&[0u8; 4][..], &be(1), &be(1), &be(1)].concat());
    let stsc = boxed(b"stsc", &[&[0u8; 4][..], &be(1), &be(1), &be(1), &be(1)].concat());
    let stsz = boxed(b"stsz", &[&[0u8; 4][..], &be(9), &be(1)].concat());
    let chunk = match u32::try_from(sample_at) {
        Ok(o) => boxed(b"stco", &[&[0u8; 4][..], &be(1), &be(o)].concat()),
        Err(_) => boxed(b"co64", &[&[0u8; 4][..], &be(1), &sample_at.to_be_bytes()].concat()),
    };
    let stbl = boxed(b"stbl", &[stsd, stts, stsc, stsz, chunk].concat());
    let minf = boxed(b"minf", &[gmhd, dhlr, dinf, stbl].concat());
    let mdia = boxed(b"mdia", &[mdhd, hdlr, minf].concat());
    boxed(b"trak", &[tkhd, boxed(b"edts", &elst), mdia].concat())
}

/// `moov/meta`: the source's `mdta` keys and values kept, the content identifier set, and the
/// other keys of `meta` added where the source has none.
fn keys_meta(source: Option<&[u8]>, meta: &MovMeta) -> Result<Vec<u8>, MetaError> {
    let mut items: Vec<(Vec<u8>, Vec<u8>)> = match source {
        Some(body) => keys_and_values(isobmff::meta_children(body))?.into_iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect(),
        None => Vec::new(),
    };
    let id = mdta_key(KEY_CONTENT_ID);
    items.retain(|(k, _)| *k != id);
    items.push((id, utf8_value(&meta.content_id)));
    for (k, v) in &meta.keys {
        let k = mdta_key(k);
        if !items.iter().any(|(have, _)| *have == k) {
            items.push((k, utf8_value(v)));
        }
    }
    Ok(mdta_meta(&items))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An MP4 as phones write it: ftyp, mdat (two video samples, one audio), moov (video, audio,
    /// a hint track) with chunk offsets into the mdat.
    fn mp4() -> Vec<u8> {
        let ftyp = boxed(b"ftyp", b"isom\0\0\0\0isom");
        let trak = |id: u32, handler: &[u8; 4], entry: &[u8; 4], chunks: &[u32]| {
            let tkhd = boxed(b"tkhd", &[&[0u8; 12][..], &id.to_be_bytes(), &[0; 64]].concat());
            let hdlr = boxed(b"hdlr", &[&[0u8; 8][..], handler, &[0; 13]].concat());
            let stsd = boxed(b"stsd", &[&[0u8; 4][..], &1u32.to_be_bytes(), &boxed(entry, &[0; 8])].concat());
            let stsz = boxed(b"stsz", &[&[0u8; 4][..], &4u32.to_be_bytes(), &(chunks.len() as u32).to_be_bytes()].concat());
            let offsets: Vec<u8> = chunks.iter().flat_map(|c| c.to_be_bytes()).collect();
            let stco = boxed(b"stco", &[&[0u8; 4][..], &(chunks.len() as u32).to_be_bytes(), &offsets].concat());
            let stbl = boxed(b"stbl", &[stsd, stsz, stco].concat());
            boxed(b"trak", &[tkhd, boxed(b"mdia", &[hdlr, boxed(b"minf", &stbl)].concat())].concat())
        };
        let mvhd = boxed(b"mvhd", &[&[0u8; 12][..], &600u32.to_be_bytes(), &[0; 84]].concat());
        let at = ftyp.len() as u32 + 8;
        let moov = boxed(
            b"moov",
            &[
                mvhd,
                trak(1, b"vide", b"avc1", &[at, at + 4]),
                trak(2, b"soun", b"mp4a", &[at + 8]),
                trak(3, b"hint", b"rtp ", &[at]),
                trak(5, b"vide", b"hvc1", &[at]),
            ]
            .concat(),
        );
        [ftyp, boxed(b"mdat", b"VVV1VVV2AAAA"), moov].concat()
    }

    fn samples(file: &[u8], track: usize) -> Vec<Vec<u8>> {
        let moov = isobmff::find(file, b"moov").unwrap().unwrap();
        let trak = isobmff::boxes(moov.body).filter_map(Result::ok).filter(|b| &b.kind == b"trak").nth(track).unwrap();
        let stco = isobmff::find_path(trak.body, &[b"mdia", b"minf", b"stbl", b"stco"]).unwrap().unwrap();
        stco.body[8..].chunks(4).map(|c| u32::from_be_bytes(c.try_into().unwrap()) as usize).map(|o| file[o..o + 4].to_vec()).collect()
    }

    fn meta() -> MovMeta {
        MovMeta {
            content_id: "0B3A4D6E-1C2F-4A5B-9C8D-7E6F5A4B3C2D".into(),
            key_time_s: 0.5,
            keys: vec![("com.apple.quicktime.make", "Google".into())],
            capture_unix: Some(1_714_557_600),
        }
    }

    #[test]
    fn samples_stay_found_and_the_key_photo_track_is_added() {
        let mut out = Vec::new();
        let w = write_mov(&mp4(), &meta(), &mut out).unwrap();
        assert_eq!(w, Written { frames: 2, key_track_kept: false });
        assert!(out.starts_with(&boxed(b"ftyp", b"qt  \0\0\0\0qt  ")));
        assert_eq!(samples(&out, 0), [b"VVV1".to_vec(), b"VVV2".to_vec()]);
        assert_eq!(samples(&out, 1), [b"AAAA".to_vec()]);
        let moov = isobmff::find(&out, b"moov").unwrap().unwrap();
        let traks: Vec<_> = isobmff::boxes(moov.body).filter_map(Result::ok).filter(|b| &b.kind == b"trak").collect();
        assert_eq!(traks.len(), 3, "video, audio, still-image-time; the hint track and the second video left out");
        let still = read_track(traks[2].body).unwrap().unwrap();
        assert!(still.still_time && still.id == 3, "the id after the kept tracks'");
        let elst = isobmff::find_path(traks[2].body, &[b"edts", b"elst"]).unwrap().unwrap();
        assert_eq!(&elst.body[8..12], &300u32.to_be_bytes(), "an empty edit of 0.5 s at 600 per second");
        let stco = isobmff::find_path(traks[2].body, &[b"mdia", b"minf", b"stbl", b"stco"]).unwrap().unwrap();
        let at = u32::from_be_bytes(stco.body[8..12].try_into().unwrap()) as usize;
        assert_eq!(&out[at..at + 9], &[0, 0, 0, 9, 0, 0, 0, 1, 0xFF]);
        let keys = keys_and_values(isobmff::meta_children(isobmff::find(moov.body, b"meta").unwrap().unwrap().body)).unwrap();
        let names: Vec<String> = keys.iter().map(|(k, _)| String::from_utf8_lossy(&k[4..]).into_owned()).collect();
        assert_eq!(names, [KEY_CONTENT_ID, "com.apple.quicktime.make"]);
        let mvhd = isobmff::find(moov.body, b"mvhd").unwrap().unwrap();
        assert_eq!(&mvhd.body[4..8], &((1_714_557_600 + EPOCH_1904) as u32).to_be_bytes());
        assert_eq!(&mvhd.body[96..100], &4u32.to_be_bytes(), "next track id");
        // written again from its own output: its key photo's track is kept, not doubled
        let mut again = Vec::new();
        assert_eq!(write_mov(&out, &meta(), &mut again).unwrap(), Written { frames: 2, key_track_kept: true });
    }

    #[test]
    fn hostile_clips_are_errors_not_panics() {
        let good = mp4();
        for cut in 0..good.len() {
            let _ = write_mov(&good[..cut], &meta(), &mut Vec::new());
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xFF;
            let _ = write_mov(&bad, &meta(), &mut Vec::new());
        }
        let e = write_mov(&boxed(b"mdat", b"x"), &meta(), &mut Vec::new()).unwrap_err().to_string();
        assert!(e.contains("no 'moov'"), "{e}");
    }
}
