//! HEIF stills: the top-level `meta` box, its item types (`iinf`) and locations (`iloc`), and
//! the `Exif` item they point to (ISO/IEC 23008-12 §9.2; ISO/IEC 14496-12 §8.11).
//!
//! What an `iloc` claims is checked against the bytes that hold it before anything is built, as
//! mp4parse's `read_iloc` does: field sizes are 0, 4 or 8; an implied offset or length (a field
//! of width 0) is only allowed with one extent; every item must fit in the box's remaining
//! bytes; items and extents are charged to the file's budget; an item's bytes are checked
//! against the file or `idat` before its buffer is allocated.

use super::bytes::{Reader, Source, MAX_READ};
use super::error::{MetaError, Result};
use super::exif::apply_tiff;
use super::info::StillInfo;
use super::isobmff::{self, fourcc_str, meta_children_at};

/// Bytes an item entry takes at least: id (2), data_reference_index (2), extent_count (2).
const MIN_ITEM_BYTES: usize = 6;
/// What one parsed extent costs in memory (charged to the file's budget).
const EXTENT_COST: u64 = 16;

/// What a scan reads of a HEIF `meta`: item types, their locations, and the data some items keep
/// inside the box.
const META_PARTS: [&isobmff::FourCC; 3] = [b"iinf", b"iloc", b"idat"];
/// A `meta` box up to this size is read whole, in one read (an iPhone's 12 MP HEIC: 3.4 KB; its
/// properties are a third of it); a larger one by the parts a scan needs.
const WHOLE_META: u64 = 8 * 1024;

/// Reads a HEIF still's metadata: the top-level `meta` box and the `Exif` item it points to.
pub fn read_heif(src: &Source) -> Result<StillInfo> {
    let (mut meta, mut meta_box, mut whole) = (None, None, false);
    // the first `meta` is read as its header is found, so its last read takes the next header too:
    // whole when it is small (one read, its properties with it), else the parts a scan needs
    let top = isobmff::top_level_with(src, |b| {
        if &b.kind == b"meta" && meta.is_none() {
            let probe = src.read_upto(b.body_offset, 12.min(b.body_len), "HEIF 'meta' box")?;
            let skip = meta_children_at(&probe) as u64;
            whole = b.body_len <= WHOLE_META;
            meta = Some(match whole {
                true => src.read_upto(b.body_offset + skip, b.body_len.saturating_sub(skip), "HEIF 'meta' box")?,
                false => isobmff::read_children(src, b, skip, &META_PARTS, "HEIF 'meta' box")?,
            });
            meta_box = Some((*b, skip));
        }
        Ok(())
    })?;
    let children = &meta.ok_or_else(|| MetaError::corrupt("HEIF: no 'meta' box, so no image items"))?[..];
    let items = item_types(children)?;
    let xmp_id = items.iter().find(|i| &i.1 == b"xmp ").map(|i| i.0);
    let exif_id = items.iter().find(|i| &i.1 == b"Exif").map(|i| i.0);
    // every item is checked against the file's end (a cut file loses its image tiles); only the
    // metadata items' locations are kept
    let (locations, past_end) = item_locations(src, children, |id| Some(id) == exif_id || Some(id) == xmp_id)?;
    if let Some((id, offset, claimed)) = past_end {
        let kind = items.iter().find(|i| i.0 == id).map_or("?".into(), |i| fourcc_str(&i.1));
        return Err(MetaError::Truncated { what: format!("HEIF item {id} ('{kind}')"), offset, claimed, file_len: src.len() });
    }
    let mut info = StillInfo { motion: super::motion::mpvd(src, &top), ..Default::default() };
    if let Some((b, skip)) = meta_box {
        // a hint: a property list it cannot read leaves the still as it is, not failed
        let has_tmap = items.iter().any(|i| &i.1 == b"tmap");
        info.hdr = match whole {
            true => super::hdr::of_heif_children(children, has_tmap).ok().flatten(),
            false => super::hdr::of_heif(src, &b, skip, has_tmap).ok().flatten(),
        };
    }
    if let Some(loc) = xmp_id.filter(|_| info.motion.video.is_some()).and_then(|id| locations.iter().find(|l| l.id == id)) {
        info.motion.key_time_us = super::motion::key_time_us(&read_item(src, children, loc)?);
    }
    if let Some(loc) = exif_id.and_then(|id| locations.iter().find(|l| l.id == id)) {
        let payload = read_item(src, children, loc)?;
        let mut r = Reader::new(&payload, "HEIF Exif item");
        let skip = r.u32()? as usize;
        r.skip(skip)?;
        apply_tiff(&mut info, r.rest().to_vec())?;
    }
    Ok(info)
}

/// (item id, item type) from `iinf`/`infe` (ISO 23008-12 §9.2; ISO 14496-12 §8.11.6).
pub(super) fn item_types(meta: &[u8]) -> Result<Vec<(u32, [u8; 4])>> {
    let Some(iinf) = isobmff::find(meta, b"iinf")? else { return Ok(Vec::new()) };
    let (version, body) = isobmff::full_box(iinf.body)?;
    let skip = if version == 0 { 2 } else { 4 };
    let mut out = Vec::new();
    for b in isobmff::boxes(body.get(skip..).unwrap_or(&[])) {
        let b = b?;
        if &b.kind != b"infe" {
            continue;
        }
        let (v, e) = isobmff::full_box(b.body)?;
        let mut r = Reader::new(e, "HEIF 'infe' box");
        let id = if v >= 3 { r.u32()? } else { u32::from(r.u16()?) };
        if v >= 2 {
            r.skip(2)?;
            let kind = r.fourcc()?;
            // an XMP packet is a 'mime' item of type application/rdf+xml: called 'xmp ' here
            let mut strings = r.rest().split(|&b| b == 0).skip(1);
            let xmp = &kind == b"mime" && strings.next() == Some(b"application/rdf+xml");
            out.push((id, if xmp { *b"xmp " } else { kind }));
        }
    }
    Ok(out)
}

#[derive(Debug)]
pub(super) struct ItemLocation {
    id: u32,
    /// 0: in the file; 1: in `idat`.
    method: u8,
    /// (offset, length); a length of `None` means "to the end of the source" (implied).
    extents: Vec<(u64, u64)>,
    implied_len: bool,
}

impl ItemLocation {
    #[cfg(feature = "media")] // heif_image.rs
    pub(super) fn id(&self) -> u32 {
        self.id
    }
}

/// The field widths an `iloc` declares.
struct Widths {
    off: u8,
    len: u8,
    base: u8,
    index: u8,
}

fn width(n: u8, what: &str) -> Result<u8> {
    match n {
        0 | 4 | 8 => Ok(n),
        _ => Err(MetaError::corrupt(format!("HEIF 'iloc': {what} field size {n} (allowed: 0, 4, 8)"))),
    }
}

/// An item's extent that runs past the end of the file: (item id, offset, length).
type PastEnd = Option<(u32, u64, u64)>;

/// Item locations from `iloc` (ISO 14496-12 §8.11.3), of the items `keep` wants, and the first
/// extent in the file (construction method 0) of any item that runs past the file's end.
pub(super) fn item_locations(src: &Source, meta: &[u8], keep: impl Fn(u32) -> bool) -> Result<(Vec<ItemLocation>, PastEnd)> {
    let Some(iloc) = isobmff::find(meta, b"iloc")? else { return Ok((Vec::new(), None)) };
    let (version, w, count, mut r) = iloc_header(iloc.body)?;
    let mut out = Vec::new();
    let mut past_end = None;
    for _ in 0..count {
        let (loc, beyond) = item_location(src, &mut r, version, &w, &keep)?;
        out.extend(loc);
        past_end = past_end.or(beyond);
    }
    Ok((out, past_end))
}

/// An `iloc` box's version, field widths and item count, checked against its size, and a reader
/// at its first item.
fn iloc_header(iloc_body: &[u8]) -> Result<(u8, Widths, usize, Reader<'_>)> {
    let (version, body) = isobmff::full_box(iloc_body)?;
    let mut r = Reader::new(body, "HEIF 'iloc' box");
    let (a, b) = (r.u8()?, r.u8()?);
    let w = Widths {
        off: width(a >> 4, "offset")?,
        len: width(a & 15, "length")?,
        base: width(b >> 4, "base offset")?,
        index: if version >= 1 { width(b & 15, "index")? } else { 0 },
    };
    let count = if version < 2 { u32::from(r.u16()?) } else { r.u32()? } as usize;
    if count > r.remaining() / MIN_ITEM_BYTES {
        return Err(MetaError::corrupt(format!("HEIF 'iloc' claims {count} items but holds {} bytes", r.remaining())));
    }
    Ok((version, w, count, r))
}

/// A number field of an `iloc` entry: where it sits in the box's body (after version and
/// flags), its width in bytes (0: absent) and its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    pub at: usize,
    pub width: u8,
    pub value: u64,
}

/// One item's location fields, for editing a file in place (a motion photo's still without its
/// `mpvd` box: the offsets of what follows the box move back).
#[derive(Debug)]
pub struct ItemFields {
    pub id: u32,
    /// 0: in the file; 1: in `idat`; 2: in another item.
    pub method: u8,
    pub base: Field,
    /// Each extent's offset field (relative to `base`) and length (0: to the end).
    pub extents: Vec<(Field, u64)>,
    /// Each extent's length field (to move an item elsewhere).
    pub lengths: Vec<Field>,
}

/// Every item's location fields in an `iloc` box's body (ISO 14496-12 §8.11.3). Counts are
/// checked against the box's bytes as [`item_locations`] checks them.
pub fn item_fields(iloc_body: &[u8]) -> Result<Vec<ItemFields>> {
    let (version, w, count, mut r) = iloc_header(iloc_body)?;
    let at = |r: &Reader<'_>| iloc_body.len() - r.remaining();
    let field = |r: &mut Reader<'_>, width: u8| -> Result<Field> { Ok(Field { at: at(r), width, value: r.uint(width)? }) };
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let id = if version < 2 { u32::from(r.u16()?) } else { r.u32()? };
        let method = if version >= 1 { (r.u16()? & 15) as u8 } else { 0 };
        r.skip(2)?; // data_reference_index
        let base = field(&mut r, w.base)?;
        let n = usize::from(r.u16()?);
        if n.saturating_mul(usize::from(w.index + w.off + w.len)) > r.remaining() {
            return Err(MetaError::corrupt(format!(
                "HEIF 'iloc': item {id} claims {n} extents but the box has {} bytes left",
                r.remaining()
            )));
        }
        let (mut extents, mut lengths) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            r.uint(w.index)?;
            let off = field(&mut r, w.off)?;
            let len = field(&mut r, w.len)?;
            extents.push((off, len.value));
            lengths.push(len);
        }
        out.push(ItemFields { id, method, base, extents, lengths });
    }
    Ok(out)
}

/// The id of a HEIF's XMP item (a `mime` item of type `application/rdf+xml`), from the
/// children of its `meta` box.
pub fn xmp_item(meta_children: &[u8]) -> Result<Option<u32>> {
    Ok(item_types(meta_children)?.into_iter().find(|i| &i.1 == b"xmp ").map(|i| i.0))
}

/// The id of a HEIF's EXIF item (type `Exif`), from the children of its `meta` box.
pub fn exif_item(meta_children: &[u8]) -> Result<Option<u32>> {
    Ok(item_types(meta_children)?.into_iter().find(|i| &i.1 == b"Exif").map(|i| i.0))
}

/// One `iloc` entry: its location when `keep` wants it, and its first extent past the file's end.
fn item_location(
    src: &Source,
    r: &mut Reader<'_>,
    version: u8,
    w: &Widths,
    keep: impl Fn(u32) -> bool,
) -> Result<(Option<ItemLocation>, PastEnd)> {
    let id = if version < 2 { u32::from(r.u16()?) } else { r.u32()? };
    let method = if version >= 1 { (r.u16()? & 15) as u8 } else { 0 };
    r.skip(2)?; // data_reference_index
    let base = r.uint(w.base)?;
    let n = usize::from(r.u16()?);
    let per_extent = usize::from(w.index + w.off + w.len);
    if n == 0 {
        return Err(MetaError::corrupt(format!("HEIF 'iloc': item {id} has no extent")));
    }
    if n > 1 && (w.off == 0 || w.len == 0) {
        return Err(MetaError::corrupt(format!(
            "HEIF 'iloc': item {id} has {n} extents with implied offsets or lengths (only one allowed)"
        )));
    }
    if n.saturating_mul(per_extent) > r.remaining() {
        return Err(MetaError::corrupt(format!("HEIF 'iloc': item {id} claims {n} extents but the box has {} bytes left", r.remaining())));
    }
    let kept = keep(id);
    let mut extents = Vec::new();
    if kept {
        src.charge((n as u64).saturating_mul(EXTENT_COST), "HEIF 'iloc' extents")?;
        extents.reserve_exact(n);
    }
    let mut past_end = None;
    for _ in 0..n {
        r.uint(w.index)?;
        let off =
            base.checked_add(r.uint(w.off)?).ok_or_else(|| MetaError::corrupt(format!("HEIF 'iloc': item {id}'s offset overflows")))?;
        let len = r.uint(w.len)?;
        if method == 0 && past_end.is_none() && off.saturating_add(len) > src.len() {
            past_end = Some((id, off, len));
        }
        if kept {
            extents.push((off, len));
        }
    }
    Ok((kept.then_some(ItemLocation { id, method, extents, implied_len: w.len == 0 }), past_end))
}

/// An item's bytes: from the file (method 0) or from `idat` (method 1), extents concatenated.
/// Every extent is checked against its source before the buffer is allocated.
pub(super) fn read_item(src: &Source, meta: &[u8], loc: &ItemLocation) -> Result<Vec<u8>> {
    let idat = match loc.method {
        0 => None,
        1 => Some(isobmff::find(meta, b"idat")?.ok_or_else(|| MetaError::corrupt("HEIF: item in 'idat' but no 'idat' box"))?.body),
        m => return Err(MetaError::corrupt(format!("HEIF: unsupported item construction method {m}"))),
    };
    let source_len = idat.map_or(src.len(), |d| d.len() as u64);
    let mut spans = Vec::with_capacity(loc.extents.len());
    let mut total = 0u64;
    for &(off, len) in &loc.extents {
        let len = if loc.implied_len { source_len.saturating_sub(off) } else { len };
        let end = off.checked_add(len).filter(|&e| e <= source_len).ok_or_else(|| {
            let place = if idat.is_some() { "the 'idat' box" } else { "the file" };
            MetaError::corrupt(format!(
                "HEIF item {}: {len} bytes at offset {off} run past the end of {place} ({source_len} bytes)",
                loc.id
            ))
        })?;
        total = total.saturating_add(len);
        spans.push((off, end));
    }
    if total > MAX_READ.min(source_len) {
        return Err(MetaError::TooLarge { what: format!("HEIF item {}", loc.id), size: total, limit: MAX_READ.min(source_len) });
    }
    let mut out = Vec::with_capacity(total as usize);
    for (off, end) in spans {
        match idat {
            Some(d) => out.extend_from_slice(&d[off as usize..end as usize]),
            None => out.extend(src.read_at(off, end - off, "HEIF metadata item")?),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::meta::isobmff::boxed;

    fn heif_with(meta_children: &[u8]) -> Vec<u8> {
        let ftyp = boxed(b"ftyp", b"heic\0\0\0\0mif1heic");
        let meta = [vec![0, 0, 0, 0], boxed(b"hdlr", &[0; 24]), meta_children.to_vec()].concat();
        [ftyp, boxed(b"meta", &meta)].concat()
    }

    fn err(file: &[u8]) -> String {
        crate::meta::read_media_bytes(file, "a.heic").unwrap_err().to_string()
    }

    #[test]
    fn implied_offsets_allow_one_extent_only() {
        // iloc v1, all widths 0, one item with 65,535 extents: 6 bytes claiming 65,535 extents
        let mut iloc = vec![1, 0, 0, 0, 0x00, 0x00, 0, 1, 0, 1, 0, 0, 0, 0, 0xFF, 0xFF];
        iloc.extend_from_slice(&[0; 8]);
        let e = err(&heif_with(&boxed(b"iloc", &iloc)));
        assert!(e.contains("implied offsets") && e.contains("65535 extents"), "{e}");
    }

    #[test]
    fn item_counts_beyond_the_box_are_refused() {
        let iloc = vec![2, 0, 0, 0, 0x44, 0x00, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(err(&heif_with(&boxed(b"iloc", &iloc))).contains("claims 4294967295 items"));
    }

    #[test]
    fn idat_items_are_checked_before_allocating() {
        // iinf: item 1 is 'Exif'; iloc v1: item 1 in idat (method 1) at 0, claiming 60 MB
        let infe = boxed(b"infe", &[2, 0, 0, 0, 0, 1, 0, 0, b'E', b'x', b'i', b'f', 0]);
        let iinf = boxed(b"iinf", &[vec![0, 0, 0, 0, 0, 1], infe].concat());
        let mut iloc = vec![1, 0, 0, 0, 0x44, 0x00, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1];
        iloc.extend_from_slice(&0u32.to_be_bytes());
        iloc.extend_from_slice(&60_000_000u32.to_be_bytes());
        let idat = boxed(b"idat", &[0; 16]);
        let e = err(&heif_with(&[iinf, boxed(b"iloc", &iloc), idat].concat()));
        assert!(e.contains("run past the end of the 'idat' box (16 bytes)"), "{e}");
    }

    #[test]
    fn an_exif_item_in_idat_is_read() {
        let infe = boxed(b"infe", &[2, 0, 0, 0, 0, 1, 0, 0, b'E', b'x', b'i', b'f', 0]);
        let iinf = boxed(b"iinf", &[vec![0, 0, 0, 0, 0, 1], infe].concat());
        // Exif payload: 4-byte offset 0, then a TIFF header with Make = "Apple"
        let tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x0f\0\x02\0\0\0\x06\0\0\0\x1a\0\0\0\0Apple\0".to_vec();
        let payload = [vec![0, 0, 0, 0], tiff].concat();
        let mut iloc = vec![1, 0, 0, 0, 0x44, 0x00, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1];
        iloc.extend_from_slice(&0u32.to_be_bytes());
        iloc.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        let file = heif_with(&[iinf, boxed(b"iloc", &iloc), boxed(b"idat", &payload)].concat());
        let info = crate::meta::read_media_bytes(&file, "a.heic").unwrap();
        let Some(crate::meta::MediaInfo::Still(_, still)) = info else { panic!("{info:?}") };
        assert_eq!(still.shot.make.as_deref(), Some("Apple"));
    }
}
