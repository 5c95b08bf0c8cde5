//! An `Exif` item added to a HEIF that has none (docs/formats.md "Writing a Live Photo"): an
//! `infe` entry in `iinf`, an `iloc` entry, and a `cdsc` reference from it to the primary image in
//! `iref` (ISO/IEC 23008-12 §6.4.4 and §A.2.1; ISO/IEC 14496-12 §8.11). The payload goes in an
//! `mdat` box appended at the end. The `meta` box grows, so every item stored after it moves by
//! as much: its `iloc` offset fields are rewritten in place, at their widths. Image data keeps its
//! bytes.

use crate::meta::heif::Field;
use crate::meta::heif_edit::{meta_layout, moved_offsets};
use crate::meta::isobmff::{self, boxed};

/// `file` with an `Exif` item holding `tiff` (a TIFF block), described by the primary image.
pub fn add_exif(file: &[u8], tiff: &[u8]) -> Result<Vec<u8>, String> {
    let meta = meta_layout(file).map_err(|e| e.to_string())?.ok_or("it has no 'meta' box")?;
    let (start, end, children) = (meta.start, meta.end, meta.children);
    let find = |kind: &[u8; 4]| isobmff::find(children, kind).map_err(|e| e.to_string());
    let iinf = find(b"iinf")?.ok_or("it has no 'iinf' box")?;
    let iloc = find(b"iloc")?.ok_or("it has no 'iloc' box")?;
    let iref = find(b"iref")?;
    let pitm = find(b"pitm")?.ok_or("it has no primary image ('pitm')")?;
    let primary = match pitm.body.first() {
        Some(0) => pitm.body.get(4..6).map(|b| u32::from(u16::from_be_bytes([b[0], b[1]]))),
        _ => pitm.body.get(4..8).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
    };
    let primary = primary.ok_or("its 'pitm' box is cut short")?;
    let fields = &meta.iloc.as_ref().ok_or("it has no 'iloc' box")?.1;
    let id = fields.iter().map(|f| f.id).max().unwrap_or(0) + 1;
    let (iloc_version, widths) = (iloc.body[0], iloc.body.get(4..6).ok_or("its 'iloc' box is cut short")?);
    let (off_w, len_w, base_w) = (widths[0] >> 4, widths[0] & 15, widths[1] >> 4);
    let index_w = if iloc_version >= 1 { widths[1] & 15 } else { 0 };
    if len_w == 0 || (off_w == 0 && base_w == 0) || (iloc_version < 2 && id > 0xFFFF) {
        return Err("its 'iloc' box cannot hold another item's place".into());
    }
    let iinf_new = with_infe(iinf.body, id)?;
    let iref_new = with_cdsc(iref.map(|r| r.body), id, primary)?;
    // the new iloc entry; its offset is known once the meta box's growth is
    let entry_len = if iloc_version < 2 { 2 } else { 4 }
        + if iloc_version >= 1 { 2 } else { 0 }
        + 2
        + usize::from(base_w)
        + 2
        + usize::from(index_w + off_w + len_w);
    let grown = (iinf_new.len() - (iinf.body.len() + 8)) + (iref_new.len() - iref.map_or(0, |r| r.body.len() + 8)) + entry_len;
    let payload = [&6u32.to_be_bytes()[..], b"Exif\0\0", tiff].concat();
    let payload_at = (file.len() + grown + 8) as u64;
    // every item stored after the meta box moves by what it grew
    let mut iloc_body = iloc.body.to_vec();
    let writes = moved_offsets(fields, end as u64, grown as i64).ok_or("an item after its 'meta' box lies at an implied offset")?;
    // the item count, after version, flags and the field widths
    let count = Field { at: 6, width: if iloc_version < 2 { 2 } else { 4 }, value: fields.len() as u64 };
    for (field, value) in writes.into_iter().chain([(count, count.value + 1)]) {
        if !field.write(&mut iloc_body, value) {
            return Err("an offset no longer fits its 'iloc' field".into());
        }
    }
    let mut entry = Vec::with_capacity(entry_len);
    push(&mut entry, u64::from(id), if iloc_version < 2 { 2 } else { 4 });
    if iloc_version >= 1 {
        push(&mut entry, 0, 2); // construction method 0: in the file
    }
    push(&mut entry, 0, 2); // data reference: this file
    let (base, off) = if off_w > 0 { (0, payload_at) } else { (payload_at, 0) };
    push(&mut entry, base, base_w);
    push(&mut entry, 1, 2);
    push(&mut entry, 0, index_w);
    push(&mut entry, off, off_w);
    push(&mut entry, payload.len() as u64, len_w);
    iloc_body.extend_from_slice(&entry);
    // the meta box rebuilt: its children in order, three of them changed
    let mut new_children = Vec::with_capacity(children.len() + grown);
    for b in isobmff::boxes(children) {
        let b = b.map_err(|e| e.to_string())?;
        match &b.kind {
            b"iinf" => new_children.extend_from_slice(&iinf_new),
            b"iloc" => new_children.extend_from_slice(&boxed(b"iloc", &iloc_body)),
            b"iref" => new_children.extend_from_slice(&iref_new),
            _ => new_children.extend_from_slice(&boxed(&b.kind, b.body)),
        }
    }
    if iref.is_none() {
        new_children.extend_from_slice(&iref_new);
    }
    let new_meta = boxed(b"meta", &[&file[meta.body_at..meta.children_at], &new_children].concat());
    if new_meta.len() != (end - start) + grown {
        return Err("its 'meta' box has a 64-bit header or bytes between its children".into());
    }
    Ok([&file[..start], &new_meta, &file[end..], &boxed(b"mdat", &payload)].concat())
}

/// `iinf` with an `infe` (version 2) for item `id` of type `Exif`.
fn with_infe(iinf: &[u8], id: u32) -> Result<Vec<u8>, String> {
    let count_width = match iinf.first() {
        Some(0) => 2,
        Some(_) => 4,
        None => return Err("its 'iinf' box is empty".into()),
    };
    let count = iinf.get(4..4 + count_width).ok_or("its 'iinf' box is cut short")?;
    let count = count.iter().fold(0u64, |n, b| n << 8 | u64::from(*b)) + 1;
    let infe = if id <= 0xFFFF {
        boxed(b"infe", &[&[2, 0, 0, 0][..], &(id as u16).to_be_bytes(), &[0, 0], b"Exif", &[0]].concat())
    } else {
        boxed(b"infe", &[&[3, 0, 0, 0][..], &id.to_be_bytes(), &[0, 0], b"Exif", &[0]].concat())
    };
    let mut body = iinf[..4].to_vec();
    push(&mut body, count, count_width as u8);
    body.extend_from_slice(&iinf[4 + count_width..]);
    body.extend_from_slice(&infe);
    Ok(boxed(b"iinf", &body))
}

/// `iref` (or a new one) with a `cdsc` reference from item `from` to item `to`.
fn with_cdsc(iref: Option<&[u8]>, from: u32, to: u32) -> Result<Vec<u8>, String> {
    let body = iref.unwrap_or(&[0, 0, 0, 0]);
    let wide = body.first().is_some_and(|&v| v >= 1);
    if !wide && (from > 0xFFFF || to > 0xFFFF) {
        return Err("its 'iref' box holds 16-bit item ids".into());
    }
    let w = if wide { 4 } else { 2 };
    let mut r = Vec::new();
    push(&mut r, u64::from(from), w);
    push(&mut r, 1, 2);
    push(&mut r, u64::from(to), w);
    Ok(boxed(b"iref", &[body, &boxed(b"cdsc", &r)].concat()))
}

fn push(out: &mut Vec<u8>, value: u64, width: u8) {
    out.extend_from_slice(&value.to_be_bytes()[8 - usize::from(width)..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0B3A4D6E-1C2F-4A5B-9C8D-7E6F5A4B3C2D";

    fn read(bytes: &[u8]) -> crate::meta::StillInfo {
        match crate::meta::read_media_bytes(bytes, "x.heic") {
            Ok(Some(crate::meta::MediaInfo::Still(_, info))) => info,
            other => panic!("not read as a still: {other:?}"),
        }
    }

    fn pixels(bytes: &[u8]) -> Vec<u8> {
        use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};
        let ctx = HeifContext::read_from_bytes(bytes).unwrap();
        let img = LibHeif::new().decode(&ctx.primary_image_handle().unwrap(), ColorSpace::Rgb(RgbChroma::Rgb), None).unwrap();
        img.planes().interleaved.unwrap().data.to_vec()
    }

    #[test]
    fn a_heif_without_exif_gains_an_item_and_keeps_its_pixels() {
        let mut heic = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/heic_mov/IMG_0001.HEIC")).unwrap();
        // its EXIF item's type renamed: a HEIF with no EXIF item, as apps that strip metadata leave it
        let at = heic.windows(4).position(|w| w == b"Exif").unwrap();
        heic[at..at + 4].copy_from_slice(b"Exix");
        assert_eq!(read(&heic).shot.content_id, None);
        assert!(read(&heic).shot.captured_at.is_none(), "no EXIF is read");
        let out = super::super::heif_with_id(&heic, ID).unwrap();
        assert_eq!(read(&out).shot.content_id.as_deref(), Some(ID));
        assert_eq!(pixels(&out), pixels(&heic), "the image data moved with the grown 'meta' box");
        for cut in (0..heic.len()).step_by(11) {
            let _ = add_exif(&heic[..cut], b"MM\0*\0\0\0\x08");
        }
    }
}
