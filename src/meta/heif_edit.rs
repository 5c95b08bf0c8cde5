//! What the writers need to edit a HEIF in place (docs/formats.md "Writing a Live Photo", "Android
//! motion photos"): where its `meta` box and `iloc` lie in the whole file, writing an `iloc` field
//! at its width, and the writes that move every item stored past a point (when a box before them
//! grows or goes). One mechanism for the still without its video, the identifier's EXIF item and
//! the EXIF item added to a HEIF that had none; and what they read of a whole file in memory
//! (the ISO 21496-1 tone map the Ultra HDR writer carries over).

use super::bytes::{Reader, Source};
use super::error::{MetaError, Result};
use super::heif::{self, item_fields, Field, ItemFields};
use super::isobmff;

/// A HEIF's top-level `meta` box within the whole file.
pub struct MetaLayout<'a> {
    /// Where the box (its header) starts and where it ends.
    pub start: usize,
    pub end: usize,
    /// Where its body starts, and its children after a full box's version and flags when it has them.
    pub body_at: usize,
    pub children_at: usize,
    pub children: &'a [u8],
    /// Its `iloc` box: where the body starts in the file, and every item's fields.
    pub iloc: Option<(usize, Vec<ItemFields>)>,
}

/// The first top-level `meta` box of `file`, or `None` when it has none.
pub fn meta_layout(file: &[u8]) -> Result<Option<MetaLayout<'_>>> {
    let top = isobmff::top_level(&Source::from_bytes(file))?;
    let Some(meta) = top.iter().find(|b| &b.kind == b"meta") else { return Ok(None) };
    let (start, body_at) = (meta.offset as usize, meta.body_offset as usize);
    // the top-level walk checked every box against the file's length
    let end = usize::try_from(meta.body_offset + meta.body_len).map_err(|_| MetaError::corrupt("HEIF 'meta' box too large"))?;
    let body = file.get(body_at..end).ok_or_else(|| MetaError::corrupt("HEIF 'meta' box runs past the end of the file"))?;
    let children_at = body_at + isobmff::meta_children_at(body);
    let children = &file[children_at..end];
    let iloc = match isobmff::find(children, b"iloc")? {
        Some(b) => Some((children_at + (b.body.as_ptr() as usize - children.as_ptr() as usize), item_fields(b.body)?)),
        None => None,
    };
    Ok(Some(MetaLayout { start, end, body_at, children_at, children, iloc }))
}

impl Field {
    /// Writes `value` into this field of an `iloc` body (`body` starts where the box's body does,
    /// as [`Field::at`] counts), big-endian at its width; false (nothing written) when the field is
    /// implied, lies outside `body`, or the value does not fit.
    pub fn write(&self, body: &mut [u8], value: u64) -> bool {
        let w = usize::from(self.width);
        let fits = w > 0 && w <= 8 && (w == 8 || value >> (w * 8) == 0);
        match body.get_mut(self.at..self.at + w).filter(|_| fits) {
            Some(to) => {
                to.copy_from_slice(&value.to_be_bytes()[8 - w..]);
                true
            }
            None => false,
        }
    }
}

/// The `iloc` writes that move by `by` bytes every item stored in the file (construction method
/// 0) at or after `from`: an item's base offset when all its extents move and it has one, else
/// the offset of each extent that moves. `None` when one cannot move: an implied offset, or a
/// value that would pass below zero.
pub fn moved_offsets(items: &[ItemFields], from: u64, by: i64) -> Option<Vec<(Field, u64)>> {
    let mut writes = Vec::new();
    for item in items.iter().filter(|i| i.method == 0) {
        let after: Vec<bool> = item.extents.iter().map(|(off, _)| item.base.value.saturating_add(off.value) >= from).collect();
        if !after.iter().any(|&a| a) {
            continue;
        }
        if after.iter().all(|&a| a) && item.base.width > 0 {
            if let Some(v) = item.base.value.checked_add_signed(by) {
                writes.push((item.base, v));
                continue;
            }
        }
        for ((off, _), moves) in item.extents.iter().zip(after) {
            if moves {
                if off.width == 0 {
                    return None;
                }
                writes.push((*off, off.value.checked_add_signed(by)?));
            }
        }
    }
    Some(writes)
}

/// A HEIF's ISO 21496-1 tone map (a `tmap` item; docs/formats.md "HDR stills: gain maps"): its
/// payload and the id of its gain map image, the second of its `dimg` references (the first is
/// the base image). `data` is the whole file.
pub fn tone_map(data: &[u8]) -> Result<Option<(Vec<u8>, u32)>> {
    let Some(meta) = meta_layout(data)? else { return Ok(None) };
    let (src, children) = (Source::from_bytes(data), meta.children);
    let Some(id) = heif::item_types(children)?.into_iter().find(|i| &i.1 == b"tmap").map(|i| i.0) else { return Ok(None) };
    let (locations, _) = heif::item_locations(&src, children, |i| i == id)?;
    let Some(loc) = locations.first() else { return Ok(None) };
    let payload = heif::read_item(&src, children, loc)?;
    Ok(derived_from(children, id)?.and_then(|to| to.get(1).copied()).map(|gain_map| (payload, gain_map)))
}

/// The items a derived item is made from (its `dimg` references in `iref`, in order).
pub(super) fn derived_from(children: &[u8], from: u32) -> Result<Option<Vec<u32>>> {
    let Some(iref) = isobmff::find(children, b"iref")? else { return Ok(None) };
    let (version, body) = isobmff::full_box(iref.body)?;
    for b in isobmff::boxes(body) {
        let b = b?;
        if &b.kind != b"dimg" {
            continue;
        }
        let mut r = Reader::new(b.body, "HEIF 'iref' entry");
        let id = |r: &mut Reader<'_>| if version == 0 { r.u16().map(u32::from) } else { r.u32() };
        let (f, n) = (id(&mut r)?, r.u16()?);
        let to = (0..n).map(|_| id(&mut r)).collect::<Result<Vec<u32>>>()?;
        if f == from {
            return Ok(Some(to));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_written_at_their_width_or_not_at_all() {
        let mut body = [0u8; 8];
        assert!(Field { at: 2, width: 4, value: 0 }.write(&mut body, 0x0102_0304));
        assert_eq!(body, [0, 0, 1, 2, 3, 4, 0, 0]);
        assert!(!Field { at: 2, width: 4, value: 0 }.write(&mut body, 1 << 32), "too large for 4 bytes");
        assert!(!Field { at: 6, width: 4, value: 0 }.write(&mut body, 1), "outside the body");
        assert!(!Field { at: 0, width: 0, value: 0 }.write(&mut body, 1), "implied");
        assert_eq!(body, [0, 0, 1, 2, 3, 4, 0, 0]);
    }

    #[test]
    fn items_past_a_point_move_by_their_base_or_their_extents() {
        let f = |at, width, value| Field { at, width, value };
        let items = [
            // base 100, one extent at +0: the base moves
            ItemFields { id: 1, method: 0, base: f(0, 4, 100), extents: vec![(f(4, 4, 0), 10)], lengths: vec![f(8, 4, 10)] },
            // no base, extents at 10 (before) and 200 (after): only the second moves
            ItemFields { id: 2, method: 0, base: f(12, 0, 0), extents: vec![(f(12, 4, 10), 5), (f(16, 4, 200), 5)], lengths: vec![] },
            // in idat: never moves
            ItemFields { id: 3, method: 1, base: f(20, 0, 0), extents: vec![(f(20, 4, 500), 5)], lengths: vec![] },
        ];
        assert_eq!(moved_offsets(&items, 50, 8), Some(vec![(f(0, 4, 100), 108), (f(16, 4, 200), 208)]));
        assert_eq!(moved_offsets(&items, 50, -60), Some(vec![(f(0, 4, 100), 40), (f(16, 4, 200), 140)]));
        assert_eq!(moved_offsets(&items, 50, -150), None, "an offset would pass below zero");
        let implied = [ItemFields { id: 4, method: 0, base: f(0, 0, 0), extents: vec![(f(0, 0, 300), 5)], lengths: vec![] }];
        assert_eq!(moved_offsets(&implied, 50, 8), None);
    }
}
