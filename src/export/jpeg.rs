//! JPEG segments as the writers edit them (ITU-T T.81 Annex B; CIPA DC-007 for MPF): the APPn
//! segments after SOI, the XMP packet among them, and where a JPEG's images end (its primary
//! image's end-of-image marker, or past the last image its MPF index lists, as an Ultra HDR
//! gain map follows the primary).

use crate::meta::bytes::Endian;
use crate::meta::exif::XMP_SIGNATURE;

/// The largest body a JPEG APPn segment holds.
pub const MAX_SEGMENT: usize = 65_533;
/// What an APP1 segment holding an EXIF block starts with.
pub const EXIF_SIGNATURE: &[u8] = b"Exif\0\0";

/// An APPn segment (marker, length) around `parts`, one after another; `None` when they are too
/// large for one segment.
pub fn segment(marker: u8, parts: &[&[u8]]) -> Option<Vec<u8>> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if len > MAX_SEGMENT {
        return None;
    }
    let mut out = Vec::with_capacity(len + 4);
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((len + 2) as u16).to_be_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    Some(out)
}

/// An XMP packet: `descriptions` (`rdf:Description` elements) in the `x:xmpmeta` and `rdf:RDF`
/// elements that wrap them.
pub fn xmp_packet(descriptions: &str) -> String {
    format!(r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{descriptions}</rdf:RDF></x:xmpmeta>"#)
}

/// A JPEG's (first) `Exif` APP1 segment among its `segments`.
pub fn exif_segment<'s>(jpeg: &[u8], segments: &'s [Segment]) -> Option<&'s Segment> {
    segments.iter().find(|s| s.marker == 0xE1 && jpeg.get(s.body.0..s.body.1).is_some_and(|b| b.starts_with(EXIF_SIGNATURE)))
}

/// One APPn segment: its marker, whether it is the XMP packet, and its body's byte range.
pub struct Segment {
    pub marker: u8,
    pub xmp: bool,
    pub body: (usize, usize),
}

/// The APPn segments after SOI, up to the first other marker; `None` if this is not a JPEG.
pub fn app_segments(jpeg: &[u8]) -> Option<Vec<Segment>> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = Vec::new();
    let mut p = 2;
    while let [0xFF, marker @ 0xE0..=0xEF, hi, lo, ..] = *jpeg.get(p..)? {
        let end = p + 2 + usize::from(u16::from_be_bytes([hi, lo]));
        let body = (p + 4, end.min(jpeg.len()));
        out.push(Segment { marker, xmp: jpeg.get(body.0..body.1)?.starts_with(XMP_SIGNATURE), body });
        p = end;
    }
    Some(out)
}

/// Where the primary image ends: just past the end-of-image marker that closes its
/// entropy-coded data (the scan's own walk, [`crate::meta::exif::primary_end`]); `None` if no
/// EOI comes before `limit`.
pub fn primary_end(jpeg: &[u8], limit: usize) -> Option<usize> {
    let src = crate::meta::bytes::Source::from_bytes(jpeg);
    crate::meta::exif::primary_end(&src, 2, limit as u64).ok().flatten().map(|e| e as usize)
}

/// Where a JPEG's images end before `limit`: past the last image its MPF index lists (an
/// Ultra HDR gain map, a depth map) when those lie within `limit`, else its primary's EOI.
pub fn images_end(jpeg: &[u8], limit: usize) -> Option<usize> {
    let primary = primary_end(jpeg, limit)?;
    let mpf = mpf_end(jpeg).filter(|&e| e > primary && e <= limit.min(jpeg.len()));
    Some(mpf.unwrap_or(primary))
}

/// The end of the last image an MPF (APP2 `MPF\0`) index lists: offsets count from the MPF
/// segment's TIFF header; the first entry (the primary) has offset 0.
fn mpf_end(jpeg: &[u8]) -> Option<usize> {
    let seg = app_segments(jpeg)?.into_iter().find(|s| s.marker == 0xE2 && jpeg[s.body.0..s.body.1].starts_with(b"MPF\0"))?;
    let tiff_at = seg.body.0 + 4;
    let t = jpeg.get(tiff_at..seg.body.1)?;
    let e = Endian { big: t.starts_with(b"MM") };
    let ifd = e.u32_at(t, 4)? as usize;
    let count = usize::from(e.u16_at(t, ifd)?);
    let entry = (0..count.min(64)).map(|i| ifd + 2 + 12 * i).find(|&p| e.u16_at(t, p) == Some(0xB002))?;
    let (n, at) = (e.u32_at(t, entry + 4)? as usize / 16, e.u32_at(t, entry + 8)? as usize);
    let mut end = None;
    for i in 0..n.min(64) {
        let (size, offset) = (e.u32_at(t, at + 16 * i + 4)? as usize, e.u32_at(t, at + 16 * i + 8)? as usize);
        if offset > 0 {
            end = end.max(tiff_at.checked_add(offset)?.checked_add(size));
        }
    }
    end
}

/// `jpeg` with its XMP packet's body replaced by `packet` (which must be no longer: the segment
/// keeps its length, padded with spaces, so no offset after it moves, an MPF index's included).
pub fn replace_xmp(jpeg: &mut [u8], edit: impl Fn(&[u8]) -> Option<Vec<u8>>) -> bool {
    let Some(seg) = app_segments(jpeg).and_then(|s| s.into_iter().find(|s| s.xmp)) else { return false };
    let at = seg.body.0 + XMP_SIGNATURE.len();
    let old = &jpeg[at..seg.body.1];
    match edit(old).and_then(|new| padded(new, old.len())) {
        Some(new) => {
            jpeg[at..seg.body.1].copy_from_slice(&new);
            true
        }
        None => false,
    }
}

/// `packet` padded with spaces to `len` bytes (XML allows white space after the root element
/// and the packet trailer); `None` if it is longer.
pub fn padded(mut packet: Vec<u8>, len: usize) -> Option<Vec<u8>> {
    (packet.len() <= len).then(|| {
        packet.resize(len, b' ');
        packet
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(segments: &[(u8, &[u8])], scan: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        for (m, body) in segments {
            out.extend_from_slice(&[0xFF, *m]);
            out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(body);
        }
        out.extend_from_slice(&[0xFF, 0xDA, 0, 2]);
        out.extend_from_slice(scan);
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    #[test]
    fn the_primary_ends_at_its_own_eoi_whatever_follows() {
        // stuffed FF 00 and a restart marker inside the scan; trailing data with FF D9 in it
        let mut file = jpeg(&[(0xE1, b"Exif\0\0MM")], &[1, 0xFF, 0x00, 2, 0xFF, 0xD3, 3]);
        let end = file.len();
        file.extend_from_slice(b"camera trailer \xFF\xD9 more");
        assert_eq!(primary_end(&file, file.len()), Some(end));
        assert_eq!(primary_end(&file[..end - 1], end - 1), None, "a cut file has no end");
        // progressive: two scans with a table between them
        let mut prog = jpeg(&[], &[1, 2]);
        prog.truncate(prog.len() - 2);
        prog.extend_from_slice(&[0xFF, 0xC4, 0, 3, 9, 0xFF, 0xDA, 0, 2, 5, 6, 0xFF, 0xD9]);
        assert_eq!(primary_end(&prog, prog.len()), Some(prog.len()));
    }

    #[test]
    fn the_xmp_keeps_its_segment_length() {
        let mut body = XMP_SIGNATURE.to_vec();
        body.extend_from_slice(b"<a>long packet</a>");
        let mut file = jpeg(&[(0xE1, &body), (0xE2, b"MPF\0")], &[1]);
        let before = file.len();
        assert!(replace_xmp(&mut file, |_| Some(b"<a/>".to_vec())));
        assert_eq!(file.len(), before);
        let seg = app_segments(&file).unwrap().into_iter().find(|s| s.xmp).unwrap();
        assert!(file[seg.body.0..seg.body.1].ends_with(b"<a/>              "));
        assert!(!replace_xmp(&mut file, |_| Some(vec![b'x'; 100])), "a longer packet is refused");
    }
}
