//! JPEG segments as the writers edit them (ITU-T T.81 Annex B; CIPA DC-007 for MPF): the APPn
//! segments after SOI, the XMP packet among them, and where a JPEG's images end (its primary
//! image's end-of-image marker, or past the last image its MPF index lists, as an Ultra HDR
//! gain map follows the primary).

use crate::meta::xmp::XMP_SIGNATURE;

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
    format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{descriptions}</rdf:RDF></x:xmpmeta>"#
    )
}

/// A JPEG's (first) `Exif` APP1 segment among its `segments`.
pub fn exif_segment<'s>(jpeg: &[u8], segments: &'s [Segment]) -> Option<&'s Segment> {
    segments.iter().find(|s| s.marker == 0xE1 && jpeg.get(s.body.0..s.body.1).is_some_and(|b| b.starts_with(EXIF_SIGNATURE)))
}

/// A JPEG's EXIF block (the TIFF structure after `Exif\0\0`) among its `segments`.
pub fn exif_block<'j>(jpeg: &'j [u8], segments: &[Segment]) -> Option<&'j [u8]> {
    let seg = exif_segment(jpeg, segments)?;
    jpeg.get(seg.body.0 + EXIF_SIGNATURE.len()..seg.body.1)
}

/// A JPEG's XMP packet (after the XMP signature) among its `segments`.
pub fn xmp_of<'j>(jpeg: &'j [u8], segments: &[Segment]) -> Option<&'j [u8]> {
    let seg = segments.iter().find(|s| s.xmp)?;
    jpeg.get(seg.body.0 + XMP_SIGNATURE.len()..seg.body.1)
}

/// A JPEG's XMP packet without what it said of an earlier video (an Android still's motion
/// tags and directory item), the rest kept: the packet a writer adds its own description to.
pub fn xmp_without_motion(jpeg: &[u8], segments: &[Segment]) -> Option<Vec<u8>> {
    xmp_of(jpeg, segments).map(|p| crate::meta::xmp::without_motion(p).unwrap_or_else(|| p.to_vec()))
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

/// The end of the last image an MPF (APP2 `MPF\0`) index lists.
fn mpf_end(jpeg: &[u8]) -> Option<usize> {
    mpf_images(jpeg).iter().map(|&(at, len)| at + len).max()
}

/// The images a JPEG's MPF index lists after the primary, as byte ranges (start, length) that
/// lie within `jpeg`.
pub fn mpf_images(jpeg: &[u8]) -> Vec<(usize, usize)> {
    let Some(seg) = app_segments(jpeg).and_then(|s| s.into_iter().find(|s| is_mpf(jpeg, s))) else { return Vec::new() };
    let images = crate::meta::mpf::secondary_images(&jpeg[seg.body.0..seg.body.1], seg.body.0 as u64);
    images.iter().filter(|i| i.offset + i.len <= jpeg.len() as u64).map(|i| (i.offset as usize, i.len as usize)).collect()
}

/// Whether `seg` is an MPF index (APP2 `MPF\0`).
pub fn is_mpf(jpeg: &[u8], seg: &Segment) -> bool {
    seg.marker == 0xE2 && jpeg[seg.body.0..seg.body.1].starts_with(crate::meta::mpf::SIGNATURE)
}

/// `jpeg` without the APPn segments `drop` picks.
pub fn without_segments(jpeg: &[u8], drop: impl Fn(&Segment) -> bool) -> Vec<u8> {
    let Some(segments) = app_segments(jpeg) else { return jpeg.to_vec() };
    let mut out = Vec::with_capacity(jpeg.len());
    let mut from = 0;
    for s in segments.iter().filter(|s| drop(s)) {
        out.extend_from_slice(&jpeg[from..s.body.0 - 4]);
        from = s.body.1;
    }
    out.extend_from_slice(&jpeg[from..]);
    out
}

/// The XMP packet of `own` (a JPEG's, if it has one) with `description` added as one more
/// `rdf:Description`, its other properties kept; a new packet when there is none to add to.
pub fn merged_packet(own: Option<&[u8]>, description: &str) -> String {
    match own.map(String::from_utf8_lossy) {
        Some(p) if p.contains("</rdf:RDF>") => p.trim_end().replacen("</rdf:RDF>", &format!("{description}</rdf:RDF>"), 1),
        _ => xmp_packet(description),
    }
}

/// `jpeg` with each XMP packet's body edited by `edit` (a packet it returns must be no longer:
/// the segment keeps its length, padded with spaces, so no offset after it moves, an MPF index's
/// included). Every packet, not only the first: a Xiaomi may announce its video in a second.
/// Whether any packet changed.
pub fn replace_xmp(jpeg: &mut [u8], edit: impl Fn(&[u8]) -> Option<Vec<u8>>) -> bool {
    let Some(segments) = app_segments(jpeg) else { return false };
    let mut changed = false;
    for seg in segments.iter().filter(|s| s.xmp) {
        let at = seg.body.0 + XMP_SIGNATURE.len();
        let old = &jpeg[at..seg.body.1];
        if let Some(new) = edit(old).and_then(|new| padded(new, old.len())) {
            jpeg[at..seg.body.1].copy_from_slice(&new);
            changed = true;
        }
    }
    changed
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
