//! A still's EXIF edited: the content identifier or the capture time written in (the TIFF
//! block's edits are [`tiff`]'s). In a JPEG the `Exif` APP1 segment is replaced (or added after
//! SOI and JFIF); in a HEIF the `Exif` item's new payload goes in an `mdat` box appended to the
//! file and the item's `iloc` entry points at it, fields of the same widths rewritten in place. Nothing else moves, so the image data, ICC
//! profile, gain map and other metadata stay byte for byte, and a JPEG's MPF offsets (which count
//! from the MPF segment itself) stay right (docs/formats.md "Writing a Live Photo").

mod heif_item;
mod tiff;

use crate::export::error::JobError;
use crate::export::jpeg::{app_segments, exif_block, exif_segment, segment, EXIF_SIGNATURE};
use crate::meta::heif;
use crate::meta::heif_edit::meta_layout;
use crate::meta::isobmff::boxed;
use tiff::{with_capture_time, with_content_id};

/// `jpeg` with `id` in its Apple MakerNote.
pub fn jpeg_with_id(jpeg: &[u8], id: &str) -> Result<Vec<u8>, JobError> {
    jpeg_with_exif(jpeg, |tiff| with_content_id(tiff, id), "the identifier")
}

/// `jpeg` with the capture time `t` in its EXIF (`DateTimeOriginal`, `OffsetTimeOriginal`): for a
/// still that has none, whose Live Photo's time (and offset) came from its clip.
pub fn jpeg_with_capture_time(jpeg: &[u8], t: crate::meta::CaptureTime) -> Result<Vec<u8>, JobError> {
    jpeg_with_exif(jpeg, |tiff| with_capture_time(tiff, t), "the capture time")
}

/// `jpeg` with its EXIF block (or none) edited by `edit`; `what` names what is written, in errors.
fn jpeg_with_exif(jpeg: &[u8], edit: impl FnOnce(Option<&[u8]>) -> Result<Vec<u8>, String>, what: &str) -> Result<Vec<u8>, JobError> {
    let segments = app_segments(jpeg).ok_or_else(|| JobError::Media("the still is not a JPEG".into()))?;
    let own = exif_segment(jpeg, &segments);
    let tiff = exif_block(jpeg, &segments);
    let tiff = edit(tiff).map_err(|e| JobError::Media(format!("cannot write {what} into the still's EXIF: {e}")))?;
    let segment = segment(0xE1, &[EXIF_SIGNATURE, &tiff])
        .ok_or_else(|| JobError::Media(format!("the still's EXIF block would outgrow its JPEG segment (64 KB) with {what}")))?;
    // replaces the segment in place, or goes after SOI and a JFIF APP0 (where EXIF belongs)
    let (from, to) = match own {
        Some(s) => (s.body.0 - 4, s.body.1),
        None => {
            let at = segments.first().filter(|s| s.marker == 0xE0).map_or(2, |s| s.body.1);
            (at, at)
        }
    };
    Ok([&jpeg[..from], &segment, &jpeg[to..]].concat())
}

/// `heif` with `id` in the Apple MakerNote of its `Exif` item; a HEIF without one gains one
/// ([`heif_item`]). One whose item lies in `idat` or in pieces is refused with the reason.
pub fn heif_with_id(heif: &[u8], id: &str) -> Result<Vec<u8>, JobError> {
    let bad = |e: crate::meta::MetaError| JobError::Media(format!("cannot read the HEIF's structure: {e}"));
    let refuse = |why: &str| JobError::Unsupported(format!("cannot write the identifier into this HEIF: {why}"));
    let meta = meta_layout(heif).map_err(bad)?.ok_or_else(|| refuse("it has no 'meta' box"))?;
    let Some(item) = heif::exif_item(meta.children).map_err(bad)? else {
        let tiff = with_content_id(None, id).map_err(|e| refuse(&e))?;
        return heif_item::add_exif(heif, &tiff).map_err(|e| refuse(&format!("it has no EXIF item, and one cannot be added: {e}")));
    };
    let (iloc_at, fields) = meta.iloc.as_ref().ok_or_else(|| refuse("it has no 'iloc' box"))?;
    let f = fields.iter().find(|f| f.id == item).ok_or_else(|| refuse("its EXIF item has no location"))?;
    if f.method != 0 || f.extents.len() != 1 {
        return Err(refuse("its EXIF item is not one run of bytes in the file"));
    }
    let ((off, len), len_field) = (f.extents[0], f.lengths[0]);
    let start = usize::try_from(f.base.value.saturating_add(off.value)).unwrap_or(usize::MAX);
    let payload = start.checked_add(len as usize).and_then(|end| heif.get(start..end)).filter(|_| len >= 4);
    let payload = payload.ok_or_else(|| refuse("its EXIF item lies outside the file"))?;
    // the payload: a 4-byte offset to the TIFF header, what comes before it (often `Exif\0\0`), the TIFF
    let skip = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) as usize;
    let tiff_at = 4usize.checked_add(skip).filter(|&t| t <= payload.len()).ok_or_else(|| refuse("its EXIF item's header is wrong"))?;
    let tiff = with_content_id(Some(&payload[tiff_at..]), id).map_err(|e| refuse(&e))?;
    let new_payload = [&payload[..tiff_at], &tiff[..]].concat();
    let new_at = heif.len() + 8;
    let mut writes = vec![(len_field, new_payload.len() as u64)];
    match (off.width, f.base.width) {
        (w, _) if w > 0 => {
            writes.push((
                off,
                (new_at as u64).checked_sub(f.base.value).ok_or_else(|| refuse("its EXIF item's base offset lies past the file"))?,
            ));
        }
        (_, b) if b > 0 => writes.push((f.base, new_at as u64)),
        _ => return Err(refuse("its EXIF item's offset is implied")),
    }
    let mut out = Vec::with_capacity(heif.len() + new_payload.len() + 8);
    out.extend_from_slice(heif);
    for (field, value) in writes {
        if !field.write(&mut out[*iloc_at..], value) {
            return Err(refuse("the file is too large for its 'iloc' fields"));
        }
    }
    out.extend_from_slice(&boxed(b"mdat", &new_payload));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0B3A4D6E-1C2F-4A5B-9C8D-7E6F5A4B3C2D";

    #[test]
    fn a_jpeg_gains_an_exif_segment_and_keeps_the_rest() {
        let jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0, 0, 4, b'J', b'F'][..], &[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]].concat();
        let out = jpeg_with_id(&jpeg, ID).unwrap();
        assert_eq!(&out[..8], &jpeg[..8], "JFIF first");
        assert!(out.ends_with(&jpeg[8..]), "the image data untouched");
        let segs = app_segments(&out).unwrap();
        assert_eq!(segs.iter().map(|s| s.marker).collect::<Vec<_>>(), [0xE0, 0xE1]);
        assert!(jpeg_with_id(b"not a jpeg", ID).is_err());
    }

    fn still_id(bytes: &[u8]) -> Option<String> {
        match crate::meta::read_media_bytes(bytes, "x.heic") {
            Ok(Some(crate::meta::MediaInfo::Still(_, info))) => info.shot.content_id,
            other => panic!("not read as a still: {other:?}"),
        }
    }

    #[test]
    fn a_heif_gets_the_identifier_and_hostile_ones_are_errors() {
        let heic = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/heic_mov/IMG_0001.HEIC")).unwrap();
        assert_ne!(still_id(&heic).as_deref(), Some(ID));
        let out = heif_with_id(&heic, ID).unwrap();
        assert_eq!(still_id(&out).as_deref(), Some(ID));
        let changed = heic.iter().zip(&out).filter(|(a, b)| a != b).count();
        assert!(changed <= 8, "only the EXIF item's iloc fields change in place ({changed} bytes)");
        for cut in (0..heic.len()).step_by(7) {
            let _ = heif_with_id(&heic[..cut], ID);
        }
        for i in 0..heic.len().min(2000) {
            let mut bad = heic.clone();
            bad[i] ^= 0xFF;
            let _ = heif_with_id(&bad, ID);
        }
    }
}
