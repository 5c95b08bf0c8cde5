//! Tracks: what each `trak` holds (handler, sample-entry fourcc and size, display matrix, `mebx`
//! keys) read by our own walker, and timing (durations, frame counts, edit lists, the
//! still-image-time sample) from mp4parse, which is handed only flat, size-checked tables
//! (docs/formats.md "The key photo's time").

use super::bytes::Source;
use super::error::{MetaError, Result};
use super::info::{ClipInfo, VideoTrack};
use super::isobmff::{self, fourcc_str};

const KEY_STILL_TIME: &str = "com.apple.quicktime.still-image-time";
/// Most `mebx` samples we read looking for the still-image-time value (Apple writes one).
const MAX_MEBX_SAMPLES: usize = 64;

/// What we read ourselves from each `trak`.
#[derive(Debug, Default)]
pub(super) struct OwnTrack {
    handler: [u8; 4],
    entry: [u8; 4],
    /// Local key id of still-image-time in a `mebx` sample entry.
    still_key: Option<u32>,
    matrix: Option<[i32; 4]>,
    /// Coded size from the visual sample entry (ISO 14496-12 §12.1.3).
    size: Option<(u32, u32)>,
}

pub(super) fn own_tracks(moov: &[u8]) -> Result<Vec<OwnTrack>> {
    let mut out = Vec::new();
    for b in isobmff::boxes(moov) {
        let b = b?;
        if &b.kind != b"trak" {
            continue;
        }
        let mut t = OwnTrack::default();
        if let Some(h) = isobmff::find_path(b.body, &[b"mdia", b"hdlr"])? {
            t.handler = h.body.get(8..12).and_then(|s| s.try_into().ok()).unwrap_or_default();
        }
        if let Some(tkhd) = isobmff::find(b.body, b"tkhd")? {
            t.matrix = tkhd_matrix(tkhd.body);
        }
        if let Some(stsd) = isobmff::find_path(b.body, &[b"mdia", b"minf", b"stbl", b"stsd"])? {
            let entries = stsd.body.get(8..).unwrap_or(&[]);
            if let Some(entry) = isobmff::boxes(entries).next().transpose()? {
                t.entry = entry.kind;
                if let Some(wh) = entry.body.get(24..28) {
                    t.size = Some((u32::from(u16::from_be_bytes([wh[0], wh[1]])), u32::from(u16::from_be_bytes([wh[2], wh[3]]))));
                }
                if &entry.kind == b"mebx" {
                    t.still_key = mebx_key(entry.body.get(8..).unwrap_or(&[]), KEY_STILL_TIME)?;
                }
            }
        }
        out.push(t);
    }
    Ok(out)
}

/// The display matrix's a, b, c, d (16.16) from `tkhd` (QTFF "Track header atom").
fn tkhd_matrix(body: &[u8]) -> Option<[i32; 4]> {
    let at = if *body.first()? == 1 { 4 + 32 + 8 + 8 } else { 4 + 20 + 8 + 8 };
    let m = body.get(at..at + 20)?;
    let i = |k: usize| i32::from_be_bytes([m[k], m[k + 1], m[k + 2], m[k + 3]]);
    Some([i(0), i(4), i(12), i(16)])
}

/// In a `mebx` sample entry, `keys` holds boxes typed by local key id, each with a `keyd`
/// ('mdta' + key name). Returns the local id of `name`.
fn mebx_key(entry: &[u8], name: &str) -> Result<Option<u32>> {
    let Some(keys) = isobmff::find(entry, b"keys")? else { return Ok(None) };
    for k in isobmff::boxes(keys.body) {
        let k = k?;
        if let Some(keyd) = isobmff::find(k.body, b"keyd")? {
            if keyd.body.get(4..) == Some(name.as_bytes()) {
                return Ok(Some(u32::from_be_bytes(k.kind)));
            }
        }
    }
    Ok(None)
}

/// Runs mp4parse over `ftyp` + a `moov` reduced to `mvhd` and the timing tables of each `trak`
/// (see [`minimal`]): QuickTime `meta`/`udta` forms vary too much for a strict ISO reader, sample
/// descriptions we read ourselves, and what mp4parse reads is checked first.
pub(super) fn track_tables(ftyp: Option<&[u8]>, moov: &[u8]) -> Result<mp4parse::MediaContext> {
    // built in one buffer: each container's size is written once its children are in
    let mut file = Vec::with_capacity(moov.len() + 64);
    push_box(&mut file, b"ftyp", ftyp.unwrap_or(b"qt  \0\0\0\0qt  "));
    let moov_at = open_box(&mut file, b"moov");
    for b in isobmff::boxes(moov) {
        let b = b?;
        if &b.kind == b"trak" {
            let at = open_box(&mut file, b"trak");
            minimal(b.body, 0, &mut file)?;
            close_box(&mut file, at)?;
        } else if &b.kind == b"mvhd" {
            push_box(&mut file, &b.kind, b.body);
        }
    }
    close_box(&mut file, moov_at)?;
    mp4parse::read_mp4(&mut std::io::Cursor::new(file))
        .map_err(|e| MetaError::corrupt(format!("QuickTime: the track tables in 'moov' are unreadable ({e:?})")))
}

/// A copy of a `trak` with only what mp4parse needs for timing: `tkhd`, `edts/elst`,
/// `mdia/{mdhd,hdlr}`, `minf/stbl/{stts,ctts,stsc,stsz,stco,co64,stss}`. Every kept box is flat or
/// walked here, so no nested size goes unchecked into mp4parse (which reserves a box's claimed
/// size before reading it: found by fuzzing, an `avcC` claiming 2 GB inside a 200-byte entry),
/// and every kept table's entry count is checked against its box ([`check_count`]).
fn minimal(body: &[u8], depth: u32, out: &mut Vec<u8>) -> Result<()> {
    for b in isobmff::boxes(body) {
        let b = b?;
        match &b.kind {
            b"edts" | b"mdia" | b"minf" | b"stbl" if depth < 4 => {
                let at = open_box(out, &b.kind);
                minimal(b.body, depth + 1, out)?;
                close_box(out, at)?;
            }
            b"tkhd" | b"elst" | b"mdhd" | b"hdlr" | b"stts" | b"ctts" | b"stsc" | b"stsz" | b"stco" | b"co64" | b"stss" => {
                check_count(&b.kind, b.body)?;
                push_box(out, &b.kind, b.body)
            }
            _ => {}
        }
    }
    Ok(())
}

/// Starts a box in `out` with its size left blank; returns where it starts, for [`close_box`].
fn open_box(out: &mut Vec<u8>, kind: &[u8; 4]) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(kind);
    at
}

/// Writes the size of the box started at `at`, now that its children are in.
fn close_box(out: &mut [u8], at: usize) -> Result<()> {
    let size = u32::try_from(out.len() - at).map_err(|_| MetaError::corrupt("QuickTime: a track's tables exceed 4 GB"))?;
    out[at..at + 4].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

/// Refuses a table whose entry count needs more bytes than its box holds, before mp4parse
/// reserves memory for that count (found by fuzzing: an `elst` claiming 4 billion edits).
fn check_count(kind: &[u8; 4], body: &[u8]) -> Result<()> {
    let entry: u64 = match kind {
        b"elst" if body.first() == Some(&1) => 20,
        b"elst" | b"stsc" => 12,
        b"stts" | b"ctts" | b"co64" => 8,
        b"stco" | b"stss" => 4,
        // stsz: a table only when the fixed sample size is 0
        b"stsz" if body.get(4..8) == Some(&[0, 0, 0, 0]) => 4,
        _ => return Ok(()),
    };
    let count_at = if kind == b"stsz" { 8 } else { 4 };
    let Some(c) = body.get(count_at..count_at + 4) else {
        return Err(MetaError::corrupt(format!("QuickTime '{}' box is cut short", fourcc_str(kind))));
    };
    let count = u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
    let room = (body.len() - count_at - 4) as u64 / entry;
    if count > room {
        return Err(MetaError::corrupt(format!(
            "QuickTime '{}' table claims {count} entries but its box holds room for {room}",
            fourcc_str(kind)
        )));
    }
    Ok(())
}

fn push_box(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
    let size = body.len() as u64 + 8;
    if size > u64::from(u32::MAX) {
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(&(size + 8).to_be_bytes());
    } else {
        out.extend_from_slice(&(size as u32).to_be_bytes());
        out.extend_from_slice(kind);
    }
    out.extend_from_slice(body);
}

pub(super) fn apply_track(src: &Source, info: &mut ClipInfo, own: &OwnTrack, t: &mp4parse::Track, movie_ts: u64) -> Result<()> {
    let ts = t.timescale.map(|s| s.0).filter(|&s| s > 0);
    let media_s = match (t.duration, ts) {
        (Some(d), Some(ts)) => d.0 as f64 / ts as f64,
        _ => 0.0,
    };
    match &own.handler {
        b"vide" if info.video.is_none() => {
            let frames: u64 = t.stts.as_ref().map_or(0, |s| s.samples.iter().map(|x| u64::from(x.sample_count)).sum());
            let (w, h) = own.size.or_else(|| t.tkhd.as_ref().map(|k| (k.width >> 16, k.height >> 16))).unwrap_or((0, 0));
            info.video = Some(VideoTrack {
                codec: codec_name(&own.entry),
                width: w,
                height: h,
                frames,
                fps: if media_s > 0.0 { frames as f64 / media_s } else { 0.0 },
                rotation: own.matrix.map_or(0, rotation_of),
            });
            // what a viewer plays is the video track as presented (its `tkhd` duration, edits
            // applied), not the movie, whose audio or metadata may run longer
            let presented = t.tkhd.as_ref().map(|k| k.duration).filter(|&d| d > 0 && movie_ts > 0).map(|d| d as f64 / movie_ts as f64);
            if let Some(s) = presented.or((media_s > 0.0).then_some(media_s)) {
                info.duration_s = s;
            }
        }
        b"soun" if info.audio_codec.is_none() => info.audio_codec = Some(codec_name(&own.entry)),
        b"meta" => {
            if let (Some(key), Some(ts)) = (own.still_key, ts) {
                if let Some(pts) = still_sample_time(src, t, key)? {
                    let empty = t.empty_duration.map_or(0.0, |d| d.0 as f64 / movie_ts.max(1) as f64);
                    let media_time = t.media_time.map_or(0, |m| m.0) as f64;
                    info.key_time_s = Some((empty + (pts as f64 - media_time) / ts as f64).max(0.0));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Clockwise rotation in degrees a player applies, from the display matrix.
fn rotation_of(m: [i32; 4]) -> u16 {
    match (m[0].signum(), m[1].signum(), m[2].signum(), m[3].signum()) {
        (0, 1, -1, 0) => 90,
        (-1, 0, 0, -1) => 180,
        (0, -1, 1, 0) => 270,
        _ => 0,
    }
}

fn codec_name(fourcc: &[u8; 4]) -> String {
    match fourcc {
        b"avc1" | b"avc3" => "h264".into(),
        b"hvc1" | b"hev1" => "hevc".into(),
        b"mp4a" => "aac".into(),
        b"lpcm" | b"sowt" | b"twos" | b"in24" | b"in32" | b"fl32" => "pcm".into(),
        b"alac" => "alac".into(),
        b"av01" => "av1".into(),
        other => fourcc_str(other).trim().to_string(),
    }
}

/// Most samples a timed-metadata track may claim before we stop looking for the key photo: Apple
/// writes one; the sample table mp4parse builds grows with the claimed count, so bound it first.
const MAX_META_SAMPLES: u64 = 100_000;

/// Samples the `stsc`/`stco` tables describe, or None past [`MAX_META_SAMPLES`].
fn bounded_sample_count(t: &mp4parse::Track) -> Option<u64> {
    let (stsc, stco) = (t.stsc.as_ref()?, t.stco.as_ref()?);
    let chunks = stco.offsets.len() as u64;
    let mut total = 0u64;
    for (i, e) in stsc.samples.iter().enumerate() {
        let first = u64::from(e.first_chunk).max(1);
        let next = stsc.samples.get(i + 1).map_or(chunks + 1, |n| u64::from(n.first_chunk)).min(chunks + 1);
        total = total.saturating_add(next.saturating_sub(first).saturating_mul(u64::from(e.samples_per_chunk)));
        if total > MAX_META_SAMPLES {
            return None;
        }
    }
    Some(total)
}

/// Media-time presentation of the sample carrying the still-image-time key. One sample: that
/// one. Several: read each (they are a few bytes) and look for the key's box.
fn still_sample_time(src: &Source, t: &mp4parse::Track, key: u32) -> Result<Option<i64>> {
    bounded_sample_count(t)
        .ok_or_else(|| MetaError::corrupt("QuickTime: the still-image-time track claims an absurd number of samples"))?;
    let Some(table) = mp4parse::unstable::create_sample_table(t, 0.into()) else { return Ok(None) };
    if table.len() == 1 {
        return Ok(Some(table[0].start_composition.0));
    }
    for s in table.iter().take(MAX_MEBX_SAMPLES) {
        let (start, end) = (s.start_offset.0, s.end_offset.0);
        let len = end.saturating_sub(start);
        if len == 0 || len > 4096 {
            continue;
        }
        let data = src.read_at(start, len, "still-image-time sample")?;
        let has_key = isobmff::boxes(&data).filter_map(|b| b.ok()).any(|b| u32::from_be_bytes(b.kind) == key);
        if has_key {
            return Ok(Some(s.start_composition.0));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::isobmff::boxed;
    use crate::meta::quicktime::read_moov;

    #[test]
    fn table_counts_beyond_their_box_are_refused() {
        // found by cargo fuzz (box_walker): an 'elst' claiming 0xFFFFFFFF edits
        let elst = boxed(b"elst", &[0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1]);
        let edts = boxed(b"edts", &elst);
        let e = minimal(&edts, 0, &mut Vec::new()).unwrap_err().to_string();
        assert!(e.contains("'elst' table claims 4294967295 entries but its box holds room for 0"), "{e}");
        let moov = [boxed(b"mvhd", &[0; 100]), boxed(b"trak", &edts)].concat();
        assert!(read_moov(&moov).is_err());
        let ok = boxed(b"stco", &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9]);
        let mut kept = Vec::new();
        minimal(&boxed(b"mdia", &boxed(b"minf", &boxed(b"stbl", &[ok.clone(), boxed(b"sdtp", &[0; 9])].concat()))), 0, &mut kept).unwrap();
        assert_eq!(kept, boxed(b"mdia", &boxed(b"minf", &boxed(b"stbl", &ok))), "containers sized around what they keep");
    }

    #[test]
    fn display_matrix_rotation() {
        let one = 0x10000;
        assert_eq!(rotation_of([one, 0, 0, one]), 0);
        assert_eq!(rotation_of([0, one, -one, 0]), 90);
        assert_eq!(rotation_of([-one, 0, 0, -one]), 180);
        assert_eq!(rotation_of([0, -one, one, 0]), 270);
    }
}
