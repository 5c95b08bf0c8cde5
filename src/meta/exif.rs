//! Stills: find the EXIF block (JPEG APP1 `Exif\0\0`; HEIF's `Exif` item is found by
//! [`super::heif`]), decode it with kamadak-exif, and read the Apple MakerNote IFD by hand for the content
//! identifier (tag 0x0011), which no maintained crate exposes (docs/formats.md "The identifier in the
//! still").

use super::bytes::{Endian, Source};
use super::error::{MetaError, Result};
use super::info::{GeoLocation, StillInfo};
use super::makernote::apple_content_id;
use super::time::CaptureTime;
use exif::{In, Tag, Value};

/// Largest JPEG APPn segment is 64 KiB by construction; we stop at the first non-APPn marker.
const MAX_JPEG_SEGMENTS: usize = 64;
/// XMP packets read at most (a camera writes one, Xiaomi's sometimes two).
const MAX_XMP_PACKETS: usize = 4;

/// Reads a JPEG still's metadata from its APP segments only.
pub fn read_jpeg(src: &Source) -> Result<StillInfo> {
    let mut info = StillInfo::default();
    let mut offset = 2u64;
    let (mut xmps, mut app2) = (Vec::new(), Vec::new());
    // the end first, while it is one read: the trailer and end-of-image checks are served from it
    let end = src.read_upto(src.len().saturating_sub(JPEG_SHORT_TAIL), JPEG_SHORT_TAIL, "JPEG end")?;
    for _ in 0..MAX_JPEG_SEGMENTS {
        // the marker, the length and what an APP1 segment starts with, in one read
        let head = src.read_upto(offset, 10, "JPEG segment header")?;
        if head.len() < 4 {
            return Err(MetaError::Truncated { what: "JPEG segment header".into(), offset, claimed: 4, file_len: src.len() });
        }
        if head[0] != 0xFF {
            return Err(MetaError::corrupt(format!(
                "JPEG: expected a marker (FF xx) at offset {offset}, found {:02X} {:02X}",
                head[0], head[1]
            )));
        }
        let marker = head[1];
        let seg_len = u64::from(u16::from_be_bytes([head[2], head[3]]));
        if !(0xE0..=0xEF).contains(&marker) || seg_len < 2 {
            break; // past the APPn segments: metadata is done
        }
        let body_len = seg_len - 2;
        if marker == 0xE1 && body_len > 6 && head.get(4..10) == Some(b"Exif\0\0") {
            apply_tiff(&mut info, read_tiff_prefix(src, offset + 10, body_len - 6)?)?;
        } else if marker == 0xE2 {
            app2.push((offset + 4, body_len)); // ICC profile, MPF index, ISO 21496-1: for the HDR check
        } else if marker == 0xE1 && xmps.len() < MAX_XMP_PACKETS {
            let body = src.read_at(offset + 4, body_len, "JPEG APP segment")?;
            if body.starts_with(super::xmp::XMP_SIGNATURE) {
                xmps.push(body); // a Xiaomi may announce its video in a second packet
            }
        }
        offset += 2 + seg_len;
    }
    info.motion = super::motion::appended(src, &xmps);
    info.hdr = super::hdr::of_jpeg(src, xmps.first().map(Vec::as_slice), &app2, info.shot.make.as_deref());
    let trailer = super::trailer::read(src, &end, &mut info);
    let image_end = info.motion.video.map(|v| v.offset).or(info.trailer_at).unwrap_or(src.len());
    // a video found where the file's end says is proof enough that the file is whole: what lies
    // between the image and the video (a gain map, a Huawei's camera data) is the camera's
    if info.motion.video.is_none() && !ends_near(src, offset, image_end)? {
        // data after the image that is not a video livephoto reads: complete if its entropy-coded
        // data ends in EOI somewhere (phones append their own data), truncated otherwise
        let end = primary_end(src, offset, image_end)?.ok_or_else(|| {
            MetaError::corrupt(format!(
                "JPEG ends without its end-of-image marker (FF D9) after {} bytes: the file looks truncated",
                src.len()
            ))
        })?;
        info.note = Some(after_image_note(src, &app2, end, image_end));
    }
    if let Some(what) = trailer {
        info.note = Some(what); // a vendor's trailer, named: what the bytes after the image are
    }
    Ok(info)
}

/// What to say of the bytes from `end` (the primary's end) to `image_end` that are no video:
/// the images the primary's MPF index lists there (a gain map, a preview) are named as such, so
/// that only what no index explains (a camera's own data) is called unread. Read only for such a
/// file, never on a scan's common path.
fn after_image_note(src: &Source, app2: &[(u64, u64)], end: u64, image_end: u64) -> String {
    use super::error::human_bytes;
    let index = app2.iter().find_map(|&(at, len)| {
        let body = src.read_at(at, len.min(4096), "JPEG APP2 segment").ok()?;
        body.starts_with(super::mpf::SIGNATURE).then(|| super::mpf::secondary_images(&body, at))
    });
    let listed: Vec<_> = index.unwrap_or_default().into_iter().filter(|i| i.offset >= end && i.offset + i.len <= image_end).collect();
    let listed_end = listed.iter().map(|i| i.offset + i.len).max().unwrap_or(end);
    let rest = image_end - listed_end;
    match listed.len() {
        0 => format!("{} after the image's end (byte {end}) that is not a video livephoto reads: kept as it is, not read", human_bytes(image_end - end)),
        n if rest == 0 => format!(
            "{} after the image's end (byte {end}): {n} more image(s) its MPF index lists (a gain map or a preview): kept as they are",
            human_bytes(image_end - end)
        ),
        n => format!(
            "{} after the image's end (byte {end}): {n} more image(s) its MPF index lists (a gain map or a preview), then {} that is not a video livephoto reads: kept as it is, not read",
            human_bytes(image_end - end),
            human_bytes(rest)
        ),
    }
}

/// Bytes of a JPEG's EXIF block read first: an iPhone's directories, MakerNote and GPS fit.
pub(super) const EXIF_FIRST_READ: u64 = 2560;
/// Where a camera JPEG's EXIF block starts: after SOI, the APP1 marker and length, `Exif\0\0`.
pub(super) const JPEG_EXIF_AT: u64 = 12;

/// The part of a TIFF-structured EXIF block (`len` bytes at `at`) that holds its directories
/// and their values, without the embedded thumbnail that usually makes up most of it (an
/// iPhone JPEG: 2.3 of 12 KB). Read as a growing prefix: what the directories read so far
/// point at is read next, until nothing new is pointed at.
fn read_tiff_prefix(src: &Source, at: u64, len: u64) -> Result<Vec<u8>> {
    let mut buf = src.read_at(at, len.min(EXIF_FIRST_READ), "JPEG EXIF block")?;
    for _ in 0..8 {
        let want = (tiff_extent(&buf) as u64).min(len);
        if want <= buf.len() as u64 {
            return Ok(buf);
        }
        let more = src.read_at(at + buf.len() as u64, want - buf.len() as u64, "JPEG EXIF block")?;
        buf.extend_from_slice(&more);
    }
    // directories scattered beyond reason: the rest of the block, in one read
    let rest = src.read_at(at + buf.len() as u64, len - buf.len() as u64, "JPEG EXIF block")?;
    buf.extend_from_slice(&rest);
    Ok(buf)
}

/// How much of a TIFF block its directories (IFD0, IFD1, EXIF, GPS, interoperability) and their
/// out-of-line values need, as far as `t` shows: a directory beyond `t` counts up to its entry
/// count, so reading that far and asking again finds the rest. Thumbnail data (pointed at by
/// an inline offset) is not counted.
fn tiff_extent(t: &[u8]) -> usize {
    const SUB_IFDS: [u16; 3] = [0x8769, 0x8825, 0xA005];
    if t.len() < 8 {
        return 8;
    }
    let e = Endian { big: t[0] == b'M' };
    let Some(ifd0) = e.u32_at(t, 4) else { return t.len() };
    let mut end = 8usize;
    let mut todo = vec![(ifd0 as usize, true)];
    let mut seen = 0;
    while let Some((off, first)) = todo.pop() {
        seen += 1;
        if seen > 16 || off < 8 {
            continue;
        }
        let Some(n) = e.u16_at(t, off) else {
            end = end.max(off.saturating_add(2));
            continue;
        };
        let dir_end = off + 2 + 12 * usize::from(n) + 4;
        end = end.max(dir_end);
        if dir_end > t.len() {
            continue;
        }
        for k in 0..usize::from(n) {
            let p = off + 2 + 12 * k;
            let (Some(tag), Some(typ), Some(count)) = (e.u16_at(t, p), e.u16_at(t, p + 2), e.u32_at(t, p + 4)) else { continue };
            let unit: u64 = match typ {
                1 | 2 | 6 | 7 => 1,
                3 | 8 => 2,
                4 | 9 | 11 | 13 => 4,
                5 | 10 | 12 => 8,
                _ => 0,
            };
            let value = e.u32_at(t, p + 8).unwrap_or(0) as usize;
            let size = unit * u64::from(count);
            if size > 4 {
                end = end.max(value.saturating_add(usize::try_from(size).unwrap_or(usize::MAX)));
            }
            if SUB_IFDS.contains(&tag) {
                todo.push((value, false));
            }
        }
        if first {
            // IFD1 (the thumbnail's directory): its entries, not the thumbnail
            if let Some(next) = e.u32_at(t, dir_end - 4).filter(|&n| n != 0) {
                todo.push((next as usize, false));
            }
        }
    }
    end
}

/// How far from the end an end-of-image marker may sit (trailing padding or junk after it).
const JPEG_TAIL: u64 = 4096;
/// The end read first: a complete file almost always ends with FF D9 right there.
const JPEG_SHORT_TAIL: u64 = 32;

/// Whether the image ends close to `image_end`: FF D9 cannot occur inside entropy-coded data
/// (an FF there is stuffed as FF 00), so an FF D9 in the last few KiB, past the header segments,
/// means the image is complete, whatever padding follows; a Samsung `SEFT` trailer also counts.
/// `image_end` is where the image's bytes end (a motion photo's video follows them). This is
/// the cheap check; [`primary_end`] decides when it fails.
fn ends_near(src: &Source, header_end: u64, image_end: u64) -> Result<bool> {
    for span in [JPEG_SHORT_TAIL, JPEG_TAIL] {
        let start = image_end.saturating_sub(span).max(header_end.min(image_end));
        let tail = src.read_at(start, image_end - start, "JPEG end")?;
        if tail.windows(2).any(|w| w == [0xFF, 0xD9]) || tail.ends_with(b"SEFT") {
            return Ok(true);
        }
        if start <= header_end {
            break; // nothing more to look at
        }
    }
    Ok(false)
}

/// Bytes of entropy-coded data looked at per read while looking for its end.
const SCAN_CHUNK: u64 = 64 << 10;

/// Where a JPEG's primary image ends (just past its EOI), walking its markers from `from` (a
/// marker) to the first scan and through each scan's entropy-coded data, where only stuffed
/// `FF 00`, fill bytes and restart markers `FF D0`–`D7` occur (ITU-T T.81 §B.1.1.5, §F.1.2.3);
/// a progressive JPEG's scans follow one another with their tables between. `None`: no EOI
/// before `limit` (a truncated file). Reads in 64 KiB chunks, so memory stays small.
pub fn primary_end(src: &Source, from: u64, limit: u64) -> Result<Option<u64>> {
    let limit = limit.min(src.len());
    let mut p = from;
    while p + 2 <= limit {
        let head = src.read_upto(p, 4, "JPEG marker")?;
        let (Some(&0xFF), Some(&marker)) = (head.first(), head.get(1)) else { return Ok(None) };
        match marker {
            0xD9 => return Ok(Some(p + 2)),
            0xFF => p += 1,
            0x01 | 0xD0..=0xD8 => p += 2,
            _ => {
                let [_, _, hi, lo] = head[..] else { return Ok(None) };
                p += 2 + u64::from(u16::from_be_bytes([hi, lo]));
                if marker == 0xDA {
                    match entropy_end(src, p, limit)? {
                        Some(end) => p = end,
                        None => return Ok(None),
                    }
                }
            }
        }
    }
    Ok(None)
}

/// The first marker after entropy-coded data that starts at `from`.
fn entropy_end(src: &Source, from: u64, limit: u64) -> Result<Option<u64>> {
    let mut at = from;
    while at < limit {
        // one byte of overlap, so an FF at a chunk's end is judged with what follows it
        let chunk = src.read_at(at, SCAN_CHUNK.min(limit - at), "JPEG image data")?;
        let mut i = 0;
        while let Some(j) = chunk.get(i..).and_then(|c| c.iter().position(|&b| b == 0xFF)) {
            let k = i + j;
            match chunk.get(k + 1) {
                None => break,
                Some(0x00 | 0xD0..=0xD7 | 0xFF) => i = k + 1,
                Some(_) => return Ok(Some(at + k as u64)),
            }
        }
        let consumed = (chunk.len() as u64).saturating_sub(1).max(1);
        at += consumed;
    }
    Ok(None)
}

/// Decodes a TIFF-structured EXIF block into `info`. A block kamadak-exif cannot read at all is
/// treated as "no metadata" rather than a failed file: editing apps leave such debris behind.
pub(super) fn apply_tiff(info: &mut StillInfo, tiff: Vec<u8>) -> Result<()> {
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    let Ok(exif) = reader.read_raw(tiff).or_else(|e| e.distill_partial_result(|_| {})) else {
        return Ok(());
    };
    let text = |tag: Tag| exif.get_field(tag, In::PRIMARY).and_then(|f| ascii(&f.value));
    info.shot.make = text(Tag::Make);
    info.shot.model = text(Tag::Model);
    info.shot.software = text(Tag::Software);
    info.shot.lens = text(Tag::LensModel);
    let dto = text(Tag::DateTimeOriginal).or_else(|| text(Tag::DateTime));
    info.shot.captured_at =
        dto.and_then(|d| CaptureTime::from_exif(&d, text(Tag::SubSecTimeOriginal).as_deref(), text(Tag::OffsetTimeOriginal).as_deref()));
    info.orientation = exif.get_field(Tag::Orientation, In::PRIMARY).and_then(|f| f.value.get_uint(0)).map(|o| o as u16);
    info.shot.location = gps(&exif);
    info.shot.content_id = makernotes(&exif).find_map(apple_content_id);
    Ok(())
}

/// The EXIF block's MakerNotes: one on most cameras, several on a Huawei (its Exif IFD repeats the
/// tag, and a Live Photo written from it adds Apple's to them).
fn makernotes(exif: &exif::Exif) -> impl Iterator<Item = &[u8]> {
    exif.fields().filter(|f| f.tag == Tag::MakerNote && f.ifd_num == In::PRIMARY).filter_map(|f| match &f.value {
        Value::Undefined(mn, _) => Some(mn.as_slice()),
        _ => None,
    })
}

fn ascii(v: &Value) -> Option<String> {
    match v {
        Value::Ascii(parts) => {
            let s = String::from_utf8_lossy(parts.first()?).trim().trim_end_matches('\0').to_string();
            (!s.is_empty()).then_some(s)
        }
        _ => None,
    }
}

fn gps(exif: &exif::Exif) -> Option<GeoLocation> {
    let coord = |tag: Tag, reff: Tag, neg: u8| -> Option<f64> {
        let Value::Rational(r) = &exif.get_field(tag, In::PRIMARY)?.value else { return None };
        let v: f64 = r.iter().take(3).zip([1.0, 60.0, 3600.0]).map(|(x, d)| x.to_f64() / d).sum();
        let sign = match exif.get_field(reff, In::PRIMARY).map(|f| &f.value) {
            Some(Value::Ascii(a)) if a.first().and_then(|s| s.first()) == Some(&neg) => -1.0,
            _ => 1.0,
        };
        v.is_finite().then_some(sign * v)
    };
    let lat = coord(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?;
    let lon = coord(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?;
    let alt = exif.get_field(Tag::GPSAltitude, In::PRIMARY).and_then(|f| match &f.value {
        Value::Rational(r) => r.first().map(|x| x.to_f64()).filter(|a| a.is_finite()),
        _ => None,
    });
    let below = matches!(exif.get_field(Tag::GPSAltitudeRef, In::PRIMARY).and_then(|f| f.value.get_uint(0)), Some(1));
    Some(GeoLocation { lat, lon, alt: alt.map(|a| if below { -a } else { a }) })
}

/// The MakerNote of an EXIF TIFF block, if it has one: Apple's, when there are several.
#[cfg(feature = "media")]
pub fn makernote(tiff: &[u8]) -> Option<Vec<u8>> {
    let exif = exif::Reader::new().read_raw(tiff.to_vec()).ok()?;
    let notes: Vec<&[u8]> = makernotes(&exif).collect();
    notes.iter().find(|n| n.starts_with(b"Apple iOS\0")).or(notes.first()).map(|n| n.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Huawei's Exif IFD repeats the MakerNote tag; a Live Photo written from it adds Apple's
    /// among them: the identifier is found whichever comes first.
    use super::super::makernote::tests::{makernote, ID};

    /// Bytes after a JPEG's image: the images its MPF index lists there are named as such, and
    /// only the rest is called unread (a Huawei's gain map, then its camera data).
    #[test]
    fn what_follows_the_image_is_named_by_its_mpf_index() {
        let app2 = |body: &[u8]| [&[0xFF, 0xE2][..], &(body.len() as u16 + 2).to_be_bytes(), body].concat();
        let second = [&[0xFF, 0xD8][..], &app2(b"ISO\0"), &[0xFF, 0xD9]].concat();
        let primary_len = 2 + 4 + 4 + 8 + 2 + 12 + 4 + 32 + 2;
        let mpf = super::super::mpf::index(&[(primary_len, 0), (second.len() as u32, primary_len - 10)]);
        let primary = [&[0xFF, 0xD8][..], &app2(&mpf), &[0xFF, 0xD9]].concat();
        assert_eq!(primary.len(), primary_len as usize);
        for (camera_data, want) in [
            (vec![0x55; 10_240], "1 more image(s) its MPF index lists (a gain map or a preview), then 10.0 KB that is not a video"),
            (vec![], ""),
        ] {
            let jpeg = [&primary[..], &second, &camera_data].concat();
            let info = match crate::meta::read_media_bytes(&jpeg, "x.jpg").unwrap() {
                Some(crate::meta::MediaInfo::Still(_, info)) => info,
                other => panic!("{other:?}"),
            };
            let note = info.note.unwrap_or_default();
            assert!(note.contains(want), "{note}");
            assert_eq!(note.is_empty(), want.is_empty(), "{note}");
        }
        // no index: what follows is unread data, as before
        let jpeg = [&[0xFF, 0xD8, 0xFF, 0xD9][..], &[0x55; 10_240]].concat();
        let Ok(Some(crate::meta::MediaInfo::Still(_, info))) = crate::meta::read_media_bytes(&jpeg, "x.jpg") else { panic!() };
        assert!(info.note.unwrap_or_default().starts_with("10.0 KB after the image's end (byte 4) that is not a video"));
    }

    #[test]
    fn apples_makernote_among_several() {
        let apple = makernote(true, &[(0x0011, 2, ID)]);
        for notes in [[b"HUAWEI\0\0MM".to_vec(), apple.clone()], [apple.clone(), b"##**N4021".to_vec()]] {
            // big-endian TIFF: IFD0 (one entry: the Exif IFD at 26), the Exif IFD with two 0x927C entries
            let mut t = b"MM\0\x2a\0\0\0\x08\0\x01\x87\x69\0\x04\0\0\0\x01\0\0\0\x1a\0\0\0\0".to_vec();
            let values_at = 26 + 2 + 2 * 12 + 4;
            t.extend_from_slice(&2u16.to_be_bytes());
            let mut at = values_at;
            for n in &notes {
                t.extend_from_slice(&[0x92, 0x7C, 0, 7]);
                t.extend_from_slice(&(n.len() as u32).to_be_bytes());
                t.extend_from_slice(&(at as u32).to_be_bytes());
                at += n.len();
            }
            t.extend_from_slice(&[0; 4]);
            notes.iter().for_each(|n| t.extend_from_slice(n));
            let mut info = StillInfo::default();
            apply_tiff(&mut info, t).unwrap();
            assert_eq!(info.shot.content_id.as_deref(), Some("E905E6C6-C747-4805-942F-9904A0281F02"));
        }
    }
}
