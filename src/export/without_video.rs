//! An Android motion photo's still without its video, saying only what it holds
//! (docs/formats.md "Android motion photos"): the video is removed, and so is what announces
//! it, so no gallery (nor livephoto's own scan) looks for a video that is not there.
//!
//! - JPEG: cut where its images end (the primary, and an Ultra HDR gain map or other image its
//!   MPF index lists), dropping the video and any Samsung trailer; the XMP packet loses its
//!   `MotionPhoto*`/`MicroVideo*` properties and the directory's video item, in place (the
//!   segment keeps its length, so no offset moves).
//! - HEIF: the top-level `mpvd` box removed, the `iloc` offsets of whatever followed it moved
//!   back by its size; the XMP item edited in place as for JPEG. When no offset can be moved
//!   (an item inside the box, or an implied offset), the box becomes a `free` box instead:
//!   readers skip it, the still is whole, and nothing announces a video.
//! - PNG: cut where the video starts.

use super::error::JobError;
use super::jpeg;
use crate::meta::bytes::Source;
use crate::meta::heif::{self, ItemFields};
use crate::meta::heif_edit::{meta_layout, moved_offsets};
use crate::meta::{isobmff, xmp, MetaError, StillFormat};

/// The still of a motion photo (or of a vendor's live photo), without what follows the photo
/// from byte `from` on (its video, a vendor's trailer) and without what announces it.
pub fn without_video(data: &[u8], format: StillFormat, from: u64) -> Result<Vec<u8>, JobError> {
    let start = usize::try_from(from).ok().filter(|&o| o <= data.len()).ok_or(JobError::NoVideo)?;
    match format {
        // Samsung's `mpvd` box may lie anywhere: removed as a box; anything else is appended
        StillFormat::Heif if has_mpvd(data) => heif_without_mpvd(data),
        StillFormat::Heif => heif_without_mpvd(&data[..start]),
        StillFormat::Jpeg => {
            // the images a Google directory lists before the video (a gain map) are the photo's;
            // otherwise the photo's images end where its MPF index or primary ends (a Samsung
            // block's header precedes its video)
            let end = match lists_images_before_the_video(data) {
                true => start,
                false => jpeg::images_end(data, start).unwrap_or(start),
            };
            let mut out = data[..end].to_vec();
            jpeg::replace_xmp(&mut out, xmp::without_motion);
            Ok(out)
        }
        StillFormat::Png => Ok(data[..start].to_vec()),
    }
}

/// Whether one of the JPEG's XMP packets has a directory that lists an image besides the primary
/// (a gain map) before its video.
fn lists_images_before_the_video(data: &[u8]) -> bool {
    let Some(segments) = jpeg::app_segments(data) else { return false };
    segments.iter().filter(|s| s.xmp).any(|s| {
        let items = xmp::parse(&data[s.body.0..s.body.1]).items;
        let video = items.iter().position(|i| i.semantic.as_deref() == Some("MotionPhoto"));
        video.is_some_and(|v| items[..v].iter().any(|i| i.semantic.as_deref() != Some("Primary") && i.length.is_some_and(|l| l > 0)))
    })
}

fn has_mpvd(data: &[u8]) -> bool {
    isobmff::top_level(&Source::from_bytes(data)).is_ok_and(|top| top.iter().any(|b| &b.kind == b"mpvd"))
}

/// A HEIF without its top-level `mpvd` box (see the module's doc).
fn heif_without_mpvd(data: &[u8]) -> Result<Vec<u8>, JobError> {
    let bad = |e: MetaError| JobError::Media(format!("cannot read this HEIF's boxes: {e}"));
    let top = isobmff::top_level(&Source::from_bytes(data)).map_err(bad)?;
    let mut out = data.to_vec();
    // the item locations, parsed once for both edits
    let meta = meta_layout(data).map_err(bad)?;
    let iloc = meta.as_ref().and_then(|m| m.iloc.as_ref());
    if let (Some(m), Some((_, items))) = (&meta, iloc) {
        edit_xmp_item(&mut out, m.children_at, m.children, items).map_err(bad)?;
    }
    let Some(mpvd) = top.iter().find(|b| &b.kind == b"mpvd") else { return Ok(out) };
    let (from, to) = (mpvd.offset as usize, (mpvd.body_offset + mpvd.body_len) as usize);
    let moved = match iloc {
        Some((body_at, items)) => move_offsets_back(&mut out[*body_at..], items, from, to),
        None => true,
    };
    if moved {
        out.drain(from..to);
    } else {
        out[from + 4..from + 8].copy_from_slice(b"free");
    }
    Ok(out)
}

/// Moves back by the box's size every file offset (`iloc` construction method 0) that points
/// past the `mpvd` box at `from..to` (`iloc` is the `iloc` box's body). False, and nothing
/// changed, when some cannot be: an item overlapping the box, or one whose offset is implied.
fn move_offsets_back(iloc: &mut [u8], items: &[ItemFields], from: usize, to: usize) -> bool {
    for item in items.iter().filter(|i| i.method == 0) {
        for (off, len) in &item.extents {
            let start = item.base.value.saturating_add(off.value);
            let end = start.saturating_add(*len);
            if start < to as u64 && (end > from as u64 || *len == 0) && start >= from as u64 {
                return false; // inside the box
            }
        }
    }
    let Some(writes) = moved_offsets(items, to as u64, -((to - from) as i64)) else { return false };
    let mut edited = iloc.to_vec();
    if !writes.iter().all(|(field, value)| field.write(&mut edited, *value)) {
        return false;
    }
    iloc.copy_from_slice(&edited);
    true
}

/// Edits the HEIF's XMP item in place (see [`xmp::without_motion`]), in the file or in `idat`,
/// its extents keeping their lengths.
fn edit_xmp_item(file: &mut [u8], children_at: usize, children: &[u8], items: &[ItemFields]) -> Result<(), MetaError> {
    let Some(id) = heif::xmp_item(children)? else { return Ok(()) };
    let Some(item) = items.iter().find(|i| i.id == id) else { return Ok(()) };
    let base_at = match item.method {
        0 => 0,
        1 => match isobmff::find(children, b"idat")? {
            Some(idat) => children_at + (idat.body.as_ptr() as usize - children.as_ptr() as usize),
            None => return Ok(()),
        },
        _ => return Ok(()),
    };
    let mut spans = Vec::new();
    for (off, len) in &item.extents {
        let start = usize::try_from(item.base.value.saturating_add(off.value)).unwrap_or(usize::MAX).saturating_add(base_at);
        let end = start.saturating_add(usize::try_from(*len).unwrap_or(usize::MAX));
        if *len == 0 || end > file.len() {
            return Ok(()); // implied or impossible lengths: left as they are
        }
        spans.push((start, end));
    }
    let packet: Vec<u8> = spans.iter().flat_map(|&(s, e)| file[s..e].iter().copied()).collect();
    let Some(new) = xmp::without_motion(&packet).and_then(|p| jpeg::padded(p, packet.len())) else { return Ok(()) };
    let mut from = 0;
    for (s, e) in spans {
        file[s..e].copy_from_slice(&new[from..from + (e - s)]);
        from += e - s;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::isobmff::boxed;

    /// Where item 1's offset field sits: past `iloc`'s type, version and flags, field sizes and
    /// item count (8), and the item's id, method, data reference and extent count (8).
    fn item1_offset_field(file: &[u8]) -> usize {
        file.windows(4).position(|w| w == b"iloc").unwrap() + 4 + 8 + 8
    }

    /// A HEIF whose `iloc` (v1, 4-byte offsets and lengths, no base) places item 1 (6 bytes) in
    /// `mdat` and item 2, its XMP, in `idat`; its `mpvd` before or after the `mdat`.
    fn heif(mpvd_first: bool) -> (Vec<u8>, Vec<u8>) {
        let ftyp = boxed(b"ftyp", b"heic\0\0\0\0mif1heic");
        let packet = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MotionPhoto="1" GCamera:MotionPhotoPresentationTimestampUs="5"/></rdf:RDF></x:xmpmeta>"#;
        let infe = |id: u8, kind: &[u8; 4], extra: &[u8]| boxed(b"infe", &[&[2, 0, 0, 0, 0, id, 0, 0][..], kind, &[0], extra].concat());
        let iinf = boxed(b"iinf", &[vec![0, 0, 0, 0, 0, 2], infe(1, b"hvc1", b""), infe(2, b"mime", b"application/rdf+xml\0")].concat());
        let mut iloc = vec![1, 0, 0, 0, 0x44, 0x00, 0, 2];
        iloc.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 6]);
        iloc.extend_from_slice(&[0, 2, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
        iloc.extend_from_slice(&(packet.len() as u32).to_be_bytes());
        let meta =
            boxed(b"meta", &[vec![0, 0, 0, 0], boxed(b"hdlr", &[0; 24]), iinf, boxed(b"iloc", &iloc), boxed(b"idat", packet)].concat());
        let (mpvd, mdat) = (boxed(b"mpvd", b"\0\0\0\x10ftypisom\0\0\0\0"), boxed(b"mdat", b"PIXELS"));
        let mut file = match mpvd_first {
            true => [ftyp, meta, mpvd, mdat].concat(),
            false => [ftyp, meta, mdat, mpvd].concat(),
        };
        let pixels_at = file.windows(6).position(|w| w == b"PIXELS").unwrap() as u32;
        let at = item1_offset_field(&file);
        file[at..at + 4].copy_from_slice(&pixels_at.to_be_bytes());
        (file, b"PIXELS".to_vec())
    }

    /// The bytes item 1 points at, and whether the file still holds an `mpvd` or a claim.
    fn read_back(file: &[u8]) -> (Vec<u8>, bool, bool) {
        let top = isobmff::top_level(&Source::from_bytes(file)).unwrap();
        let m = top.iter().find(|b| &b.kind == b"meta").unwrap();
        let body = &file[m.body_offset as usize..(m.body_offset + m.body_len) as usize];
        let children = isobmff::meta_children(body);
        let items = heif::item_fields(isobmff::find(children, b"iloc").unwrap().unwrap().body).unwrap();
        let (off, len) = items[0].extents[0];
        let pixels = file[off.value as usize..(off.value + len) as usize].to_vec();
        let text = String::from_utf8_lossy(file);
        (pixels, top.iter().any(|b| &b.kind == b"mpvd"), text.contains("MotionPhoto"))
    }

    #[test]
    fn an_mpvd_before_the_image_data_is_removed_and_the_offsets_follow() {
        for mpvd_first in [true, false] {
            let (file, pixels) = heif(mpvd_first);
            assert_eq!(read_back(&file), (pixels.clone(), true, true));
            let out = without_video(&file, StillFormat::Heif, 0).unwrap();
            assert_eq!(out.len(), file.len() - 24, "the box is gone, mpvd first: {mpvd_first}");
            assert_eq!(read_back(&out), (pixels, false, false), "mpvd first: {mpvd_first}");
            let info = crate::meta::read_media_bytes(&out, "a.heic").unwrap();
            assert!(matches!(info, Some(crate::meta::MediaInfo::Still(..))), "{info:?}");
        }
    }

    #[test]
    fn an_item_inside_the_box_turns_it_into_free_space() {
        let (mut file, _) = heif(true);
        // point item 1 into the mpvd box's body
        let top = isobmff::top_level(&Source::from_bytes(&file)).unwrap();
        let mpvd = top.iter().find(|b| &b.kind == b"mpvd").unwrap().body_offset as u32;
        let at = item1_offset_field(&file);
        file[at..at + 4].copy_from_slice(&mpvd.to_be_bytes());
        let out = without_video(&file, StillFormat::Heif, 0).unwrap();
        assert_eq!(out.len(), file.len());
        let top = isobmff::top_level(&Source::from_bytes(&out)).unwrap();
        assert!(top.iter().any(|b| &b.kind == b"free") && !top.iter().any(|b| &b.kind == b"mpvd"));
    }
}
