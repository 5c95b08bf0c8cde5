//! Clips: QuickTime / MP4 metadata from the `moov` box alone (docs/formats.md "The identifier in the
//! clip"): `mvhd`, `mdta` keys/ilst and classic `udta` strings here; tracks in [`super::tracks`].

use super::bytes::{Reader, Source};
use super::error::{human_bytes, MetaError, Result};
use super::info::{ClipInfo, GeoLocation, IdKind};
use super::isobmff::{self, fourcc_str, meta_children, BoxRef, TopBox};
use super::makernote::normalize_content_id;
use super::time::CaptureTime;
use super::tracks::{apply_track, own_tracks, track_tables};
use std::collections::BTreeMap;

const KEY_CONTENT_ID: &str = "com.apple.quicktime.content.identifier";
/// A vivo live photo's id, as older vivo videos keep it among their keys.
const KEY_VIVO_ID: &str = "com.android.camera.livephoto";

/// Reads a clip's metadata: finds `moov` by box headers, loads it, and decodes it.
pub fn read_clip(src: &Source, top: &[TopBox]) -> Result<ClipInfo> {
    let moov_box = top.iter().find(|b| &b.kind == b"moov").ok_or_else(|| {
        let kinds: Vec<String> = top.iter().map(|b| fourcc_str(&b.kind)).collect();
        MetaError::corrupt(format!(
            "QuickTime: no 'moov' box (the movie header) among the top-level boxes [{}]: the file is incomplete",
            kinds.join(", ")
        ))
    })?;
    let moov = src.read_at(moov_box.body_offset, moov_box.body_len, "QuickTime 'moov' box")?;
    let ftyp = match top.iter().find(|b| &b.kind == b"ftyp") {
        Some(f) => Some(src.read_at(f.body_offset, f.body_len.min(256), "QuickTime 'ftyp' box")?),
        None => None,
    };
    let mut info = parse_moov(src, ftyp.as_deref(), &moov)?;
    vivo(src, top, &mut info);
    let end = top.last().map_or(0, |b| b.body_offset + b.body_len);
    if src.len() - end >= 8 {
        info.note = Some(format!(
            "{} after the movie's last box (byte {end}) that is no box: ignored, the movie is whole without it",
            human_bytes(src.len() - end)
        ));
    }
    Ok(info)
}

/// A vivo MP4's live photo id and key frame, from the `uuid` box that ends it (docs/formats.md
/// "vivo"), read only when the clip has no Apple identifier.
fn vivo(src: &Source, top: &[TopBox], info: &mut ClipInfo) {
    if info.shot.content_id.is_some() {
        return;
    }
    let found = top.iter().rev().filter(|b| &b.kind == b"uuid").find_map(|b| super::trailer::vivo_box(src, b.body_offset, b.body_len));
    let Some(v) = found else { return };
    if let Some(id) = v.live_id {
        info.shot.content_id = Some(id);
        info.shot.id_kind = IdKind::Vivo;
    }
    // the key frame's index, as a time in the video (never past its end)
    let fps = info.video.as_ref().map_or(0.0, |t| t.fps);
    if let Some(frame) = v.key_frame.filter(|_| fps > 0.0 && info.key_time_s.is_none()) {
        info.key_time_s = Some((frame as f64 / fps).min(info.duration_s));
    }
}

/// Decodes a `moov` body on its own (sample data reads fail cleanly): for fuzzing.
pub fn read_moov(moov: &[u8]) -> Result<ClipInfo> {
    parse_moov(&Source::from_bytes(&[]), None, moov)
}

fn parse_moov(src: &Source, ftyp: Option<&[u8]>, moov: &[u8]) -> Result<ClipInfo> {
    let mut info = ClipInfo::default();
    let (created, movie_ts, movie_dur) = mvhd(moov)?;
    let tags = metadata_tags(moov)?;
    info.shot.content_id = tags.get(KEY_CONTENT_ID).and_then(|s| normalize_content_id(s));
    if let Some(id) = tags.get(KEY_VIVO_ID).map(|s| s.trim()).filter(|s| !s.is_empty() && info.shot.content_id.is_none()) {
        // older vivo videos say it as a key too (docs/formats.md "Other phones' live photos")
        info.shot.content_id = Some(id.to_string());
        info.shot.id_kind = IdKind::Vivo;
    }
    info.shot.captured_at = tags
        .get("com.apple.quicktime.creationdate")
        .and_then(|s| CaptureTime::from_iso(s))
        .or_else(|| tags.get("udta:©day").and_then(|s| CaptureTime::from_iso(s)))
        .or_else(|| CaptureTime::from_mvhd(created));
    let get = |k: &str, classic: &str| tags.get(k).or_else(|| tags.get(classic)).cloned();
    info.shot.make = get("com.apple.quicktime.make", "udta:©mak");
    info.shot.model = get("com.apple.quicktime.model", "udta:©mod");
    info.shot.software = get("com.apple.quicktime.software", "udta:©swr");
    info.shot.lens = tags.get("com.apple.quicktime.camera.lens_model").cloned();
    info.shot.location = get("com.apple.quicktime.location.ISO6709", "udta:©xyz").and_then(|s| parse_iso6709(&s));
    if movie_ts > 0 {
        info.duration_s = movie_dur as f64 / movie_ts as f64;
    }
    let traks = own_tracks(moov)?;
    let ctx = track_tables(ftyp, moov)?;
    for (own, t) in traks.iter().zip(ctx.tracks.iter()) {
        apply_track(src, &mut info, own, t, movie_ts)?;
    }
    Ok(info)
}

/// `mvhd`: (creation time since 1904, timescale, duration) — QTFF "Movie header atom".
fn mvhd(moov: &[u8]) -> Result<(u64, u64, u64)> {
    let b = isobmff::find(moov, b"mvhd")?.ok_or_else(|| MetaError::corrupt("QuickTime: 'moov' has no 'mvhd' (movie header)"))?;
    let (version, body) = isobmff::full_box(b.body)?;
    let mut r = Reader::new(body, "QuickTime 'mvhd' box");
    if version == 1 {
        let created = r.u64()?;
        r.skip(8)?;
        let ts = u64::from(r.u32()?);
        Ok((created, ts, r.u64()?))
    } else {
        let created = u64::from(r.u32()?);
        r.skip(4)?;
        let ts = u64::from(r.u32()?);
        Ok((created, ts, u64::from(r.u32()?)))
    }
}

/// All `mdta` key/value pairs from `moov/meta` and `moov/udta/meta`, plus classic `udta` strings
/// (as "udta:©xyz").
fn metadata_tags(moov: &[u8]) -> Result<BTreeMap<String, String>> {
    let mut tags = BTreeMap::new();
    if let Some(meta) = isobmff::find(moov, b"meta")? {
        read_keys_ilst(meta_children(meta.body), &mut tags)?;
    }
    if let Some(udta) = isobmff::find(moov, b"udta")? {
        for b in isobmff::boxes(udta.body) {
            let b = b?;
            if &b.kind == b"meta" {
                read_keys_ilst(meta_children(b.body), &mut tags)?;
            } else if b.kind[0] == 0xA9 {
                if let Some(v) = classic_udta_string(b.body) {
                    let name = format!("udta:©{}", String::from_utf8_lossy(&b.kind[1..]));
                    tags.entry(name).or_insert(v);
                }
            }
        }
    }
    Ok(tags)
}

fn read_keys_ilst(children: &[u8], tags: &mut BTreeMap<String, String>) -> Result<()> {
    for (key, value) in keys_and_values(children)? {
        let name = String::from_utf8_lossy(key.get(4..).unwrap_or(&[]));
        if let Some(value) = isobmff::find(value, b"data")?.and_then(data_value) {
            tags.insert(name.into_owned(), value);
        }
    }
    Ok(())
}

/// The keys of a QuickTime `meta` box's children (`keys` + `ilst`, QTFF "Metadata atoms": keys
/// numbered from 1; each `ilst` child's type is the key index and holds `data` boxes), each as its
/// namespace and name (`mdtacom.apple.quicktime.make`) with its `ilst` item's body, in `ilst`
/// order; keys without a value are left out.
pub fn keys_and_values(children: &[u8]) -> Result<Vec<(&[u8], &[u8])>> {
    let Some(keys) = isobmff::find(children, b"keys")? else { return Ok(Vec::new()) };
    let mut r = Reader::new(keys.body, "QuickTime 'keys' box");
    r.skip(4)?;
    let count = r.u32()?;
    let mut names = Vec::new();
    for _ in 0..count {
        if r.remaining() == 0 {
            break;
        }
        let size = r.u32()? as usize;
        names.push(r.take(size.checked_sub(4).ok_or_else(|| MetaError::corrupt("QuickTime 'keys': entry size below 8"))?)?);
    }
    let Some(ilst) = isobmff::find(children, b"ilst")? else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for item in isobmff::boxes(ilst.body) {
        let item = item?;
        let index = u32::from_be_bytes(item.kind) as usize;
        if let Some(name) = index.checked_sub(1).and_then(|i| names.get(i)) {
            out.push((*name, item.body));
        }
    }
    Ok(out)
}

/// A `data` box's value as text: u32 type, u32 locale, payload (QTFF "Well-known types").
fn data_value(data: BoxRef<'_>) -> Option<String> {
    let typ = u32::from_be_bytes(data.body.get(..4)?.try_into().ok()?) & 0x00FF_FFFF;
    let v = data.body.get(8..)?;
    let int = |signed: bool| -> Option<String> {
        let mut buf = [0u8; 8];
        let n = v.len();
        if n == 0 || n > 8 {
            return None;
        }
        let fill = if signed && v[0] & 0x80 != 0 { 0xFF } else { 0 };
        buf[..8 - n].fill(fill);
        buf[8 - n..].copy_from_slice(v);
        Some(if signed { i64::from_be_bytes(buf).to_string() } else { u64::from_be_bytes(buf).to_string() })
    };
    match typ {
        1 => Some(String::from_utf8_lossy(v).trim_end_matches('\0').to_string()),
        23 => Some(f32::from_be_bytes(v.get(..4)?.try_into().ok()?).to_string()),
        24 => Some(f64::from_be_bytes(v.get(..8)?.try_into().ok()?).to_string()),
        21 | 65..=67 => int(true),
        22 | 75..=78 => int(false),
        _ => None,
    }
}

/// Classic `udta` text: u16 length, u16 language, text.
fn classic_udta_string(body: &[u8]) -> Option<String> {
    let len = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    let text = body.get(4..4 + len)?;
    let s = String::from_utf8_lossy(text).trim_end_matches('\0').to_string();
    (!s.is_empty()).then_some(s)
}

/// ISO 6709 "+52.2097-000.8955+103.640/" (latitude, longitude, optional altitude).
pub fn parse_iso6709(s: &str) -> Option<GeoLocation> {
    let s = s.trim().trim_end_matches('/');
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices().skip(1) {
        if c == '+' || c == '-' {
            parts.push(&s[start..i]);
            start = i;
        }
    }
    parts.push(&s[start..]);
    let nums: Vec<f64> = parts.iter().map_while(|p| p.parse::<f64>().ok()).collect();
    let (lat, lon) = (*nums.first()?, *nums.get(1)?);
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    Some(GeoLocation { lat, lon, alt: nums.get(2).copied() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso6709_with_and_without_altitude() {
        let g = parse_iso6709("+52.2097-000.8955+103.640/").unwrap();
        assert_eq!((g.lat, g.lon, g.alt), (52.2097, -0.8955, Some(103.64)));
        let g = parse_iso6709("-33.8688+151.2093/").unwrap();
        assert_eq!((g.lat, g.lon, g.alt), (-33.8688, 151.2093, None));
        assert!(parse_iso6709("garbage").is_none());
        assert!(parse_iso6709("+95.0+10.0/").is_none());
    }

    use crate::meta::isobmff::boxed;

    #[test]
    fn keys_and_ilst_give_named_values() {
        let mut keys_body = vec![0, 0, 0, 0, 0, 0, 0, 2];
        for name in [KEY_CONTENT_ID, "com.apple.quicktime.make"] {
            keys_body.extend_from_slice(&((name.len() + 8) as u32).to_be_bytes());
            keys_body.extend_from_slice(b"mdta");
            keys_body.extend_from_slice(name.as_bytes());
        }
        let data = |s: &str| {
            let mut d = vec![0, 0, 0, 1, 0, 0, 0, 0];
            d.extend_from_slice(s.as_bytes());
            boxed(b"data", &d)
        };
        let mut ilst = boxed(&2u32.to_be_bytes(), &data("Apple"));
        ilst.extend(boxed(&1u32.to_be_bytes(), &data("e905e6c6-c747-4805-942f-9904a0281f02")));
        ilst.extend(boxed(&9u32.to_be_bytes(), &data("no such key")));
        let mut children = boxed(b"hdlr", &[0; 24]);
        children.extend(boxed(b"keys", &keys_body));
        children.extend(boxed(b"ilst", &ilst));
        for meta_body in [children.clone(), [vec![0, 0, 0, 0], children.clone()].concat()] {
            let mut tags = BTreeMap::new();
            read_keys_ilst(meta_children(&meta_body), &mut tags).unwrap();
            assert_eq!(tags.get("com.apple.quicktime.make").map(String::as_str), Some("Apple"));
            assert_eq!(tags.len(), 2);
        }
    }

    #[test]
    fn truncated_keys_is_an_error_not_a_panic() {
        let body = [0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2];
        let mut t = BTreeMap::new();
        let children = [boxed(b"keys", &body), boxed(b"ilst", &[])].concat();
        assert!(read_keys_ilst(&children, &mut t).is_err());
    }
}
