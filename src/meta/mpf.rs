//! The MPF index (CIPA DC-007 "Multi-Picture Format") a JPEG's APP2 `MPF\0` segment holds: where
//! the images after the primary lie, such as an Ultra HDR or iPhone gain map or a depth map
//! (docs/formats.md "HDR stills: gain maps"). Read by the scan (is the still HDR?) and by the
//! writers (where a JPEG's images end, which image is the gain map).

use super::bytes::Endian;

/// What an APP2 segment holding an MPF index starts with.
pub const SIGNATURE: &[u8] = b"MPF\0";

/// Images an index is read for at most (a camera lists two or three).
const MAX_IMAGES: usize = 16;

/// One image the index lists after the primary: its first byte in the file and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image {
    pub offset: u64,
    pub len: u64,
}

/// The images after the primary that an MPF segment lists: `body` is the segment's body (from
/// `MPF\0`), found at byte `body_at` of the file. Offsets in the index count from the TIFF header
/// that follows the signature; the primary's entry (offset 0) is left out, and so is an entry
/// that does not fit in a file. Empty when the index cannot be read.
pub fn secondary_images(body: &[u8], body_at: u64) -> Vec<Image> {
    let Some(t) = body.strip_prefix(SIGNATURE) else { return Vec::new() };
    let Some(tiff_at) = body_at.checked_add(SIGNATURE.len() as u64) else { return Vec::new() };
    let e = Endian { big: t.starts_with(b"MM") };
    let read = || -> Option<Vec<Image>> {
        let ifd = e.u32_at(t, 4)? as usize;
        let count = usize::from(e.u16_at(t, ifd)?);
        let entry = (0..count.min(64)).map(|i| ifd + 2 + 12 * i).find(|&p| e.u16_at(t, p) == Some(0xB002))?;
        let (n, at) = (e.u32_at(t, entry + 4)? as usize / 16, e.u32_at(t, entry + 8)? as usize);
        let mut out = Vec::new();
        for i in 0..n.min(MAX_IMAGES) {
            let p = at.checked_add(16 * i)?;
            let (len, offset) = (e.u32_at(t, p + 4)?, e.u32_at(t, p + 8)?);
            let end = tiff_at.checked_add(u64::from(offset))?.checked_add(u64::from(len));
            if offset > 0 && len > 0 && end.is_some() {
                out.push(Image { offset: tiff_at + u64::from(offset), len: u64::from(len) });
            }
        }
        Some(out)
    };
    read().unwrap_or_default()
}

#[cfg(test)]
/// An MPF body (big-endian) of one IFD whose entries are `(size, offset)`, for tests.
pub(crate) fn index(entries: &[(u32, u32)]) -> Vec<u8> {
    let mut b = b"MPF\0MM\0\x2A\0\0\0\x08\0\x01".to_vec();
    b.extend_from_slice(&[0xB0, 0x02, 0, 7]);
    b.extend_from_slice(&(16 * entries.len() as u32).to_be_bytes());
    b.extend_from_slice(&26u32.to_be_bytes()); // entries right after the IFD (8 + 2 + 12 + 4)
    b.extend_from_slice(&[0; 4]);
    for (size, offset) in entries {
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&size.to_be_bytes());
        b.extend_from_slice(&offset.to_be_bytes());
        b.extend_from_slice(&[0; 4]);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_from_the_tiff_header_and_the_primary_is_left_out() {
        let images = secondary_images(&index(&[(5000, 0), (700, 4900)]), 100);
        assert_eq!(images, [Image { offset: 104 + 4900, len: 700 }]);
    }

    #[test]
    fn a_broken_index_lists_nothing() {
        let b = index(&[(5000, 0), (700, 4900)]);
        assert!(secondary_images(&b[..40], 0).is_empty(), "cut inside the entries");
        assert!(secondary_images(b"APP2", 0).is_empty());
        let huge = index(&[(u32::MAX, u32::MAX); 3]);
        assert_eq!(secondary_images(&huge, u64::MAX - 10).len(), 0, "no offset past what a file can hold");
    }
}
