//! Whether a still is an HDR photo, and in which form (docs/formats.md "HDR stills: gain maps"),
//! read from headers only: `scan --json`'s `hdr` and the report's badge.
//! - HEIF: Apple's gain map is an auxiliary image whose `auxC` property names
//!   `urn:com:apple:photo:2020:aux:hdrgainmap`; found by reading only the `auxC` boxes of
//!   `iprp/ipco` (the rest of `iprp`, colour profiles and codec set-ups, is jumped over). An ISO
//!   21496-1 gain map is a `tmap` item.
//! - JPEG: an Ultra HDR JPEG's XMP lists a `GainMap` item (or says `hdrgm:Version`). An iPhone
//!   JPEG ("Most Compatible") says nothing in its own XMP: its MPF index lists a second image
//!   whose XMP names Apple's auxiliary type (or says `HDRGainMap:HDRGainMapVersion`). A JPEG
//!   with an ISO 21496-1 gain map has an APP2 `urn:iso:std:iso:ts:21496:-1` segment in its
//!   primary (ISO 21496-1 Annex; Ultra HDR 1.1).

use super::bytes::Source;
use super::error::Result;
use super::isobmff::{self, TopBox};
use serde::Serialize;

/// The form of a still's gain map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hdr {
    /// Apple's gain map (iOS 14.1 and later; iOS 18 files carry an ISO 21496-1 one beside it).
    AppleGainMap,
    /// An ISO 21496-1 gain map (`tmap`) only.
    #[serde(rename = "iso_21496")] // as documented (snake_case alone gives `iso21496`)
    Iso21496,
    /// An Ultra HDR JPEG (Android 14+, Pixel): a gain map image after the primary.
    UltraHdr,
}

/// The auxiliary image type of Apple's gain map (iOS 14.1 and later).
pub const APPLE_GAIN_MAP: &str = "urn:com:apple:photo:2020:aux:hdrgainmap";
/// Apple's HDR gain map XMP namespace (`HDRGainMapVersion`, `HDRGainMapHeadroom`).
pub const APPLE_HDR_NS: &str = "http://ns.apple.com/HDRGainMap/1.0/";
/// Apple's pixel data XMP namespace, which names an auxiliary image's type in a JPEG.
const APPLE_PIXEL_NS: &str = "http://ns.apple.com/pixeldatainfo/1.0/";
/// The Ultra HDR (Adobe gain map) XMP namespace.
pub const HDRGM_NS: &str = "http://ns.adobe.com/hdr-gain-map/1.0/";
/// What an APP2 segment holding ISO 21496-1 gain map metadata starts with.
pub const ISO_SIGNATURE: &[u8] = b"urn:iso:std:iso:ts:21496:-1\0";

/// A HEIF's gain map form: `meta` is its `meta` box (children from `skip` bytes into its body),
/// `has_tmap` whether its items include a `tmap`.
pub fn of_heif(src: &Source, meta: &TopBox, skip: u64, has_tmap: bool) -> Result<Option<Hdr>> {
    let apple = match isobmff::child(src, meta, skip, b"iprp")? {
        Some(iprp) => match isobmff::child(src, &iprp, 0, b"ipco")? {
            Some(ipco) => {
                let aux = isobmff::read_children(src, &ipco, 0, &[b"auxC"], "HEIF 'auxC' property")?;
                isobmff::boxes(&aux).filter_map(|b| b.ok()).any(|b| is_apple_aux(b.body))
            }
            None => false,
        },
        None => false,
    };
    Ok(form(apple, has_tmap))
}

/// [`of_heif`] of a `meta` box's children in memory.
pub fn of_heif_children(children: &[u8], has_tmap: bool) -> Result<Option<Hdr>> {
    let ipco = match isobmff::find(children, b"iprp")? {
        Some(iprp) => isobmff::find(iprp.body, b"ipco")?,
        None => None,
    };
    let apple = ipco
        .is_some_and(|ipco| isobmff::boxes(ipco.body).filter_map(|b| b.ok()).filter(|b| &b.kind == b"auxC").any(|b| is_apple_aux(b.body)));
    Ok(form(apple, has_tmap))
}

/// Whether an `auxC` property's body names Apple's gain map.
fn is_apple_aux(body: &[u8]) -> bool {
    body.get(4..).is_some_and(|t| t.split(|&c| c == 0).next() == Some(APPLE_GAIN_MAP.as_bytes()))
}

fn form(apple: bool, has_tmap: bool) -> Option<Hdr> {
    match (apple, has_tmap) {
        (true, _) => Some(Hdr::AppleGainMap),
        (false, true) => Some(Hdr::Iso21496),
        (false, false) => None,
    }
}

/// A JPEG's gain map form, from its XMP packet, its APP2 segments (`app2`: where each body lies
/// and its length) and its camera's make. The primary's XMP names an Ultra HDR gain map (or
/// Apple's); an iPhone's JPEG says nothing there, so for an Apple camera the images its MPF index
/// lists are looked at (a few small reads at another part of the file, which other cameras'
/// JPEGs, whose MPF lists previews, are spared); else an ISO 21496-1 segment in the primary (the
/// version alone) says the file has an ISO gain map.
pub fn of_jpeg(src: &Source, xmp: Option<&[u8]>, app2: &[(u64, u64)], make: Option<&str>) -> Option<Hdr> {
    if let Some(hdr) = xmp.and_then(of_jpeg_xmp) {
        return Some(hdr);
    }
    // each segment's signature, one read each; a side fact: a segment that cannot be read says
    // nothing, and fails nothing
    let head =
        |&(at, len): &(u64, u64)| src.read_upto(at, len.min(ISO_SIGNATURE.len() as u64), "JPEG APP2 segment").ok().map(|h| (at, len, h));
    let heads: Vec<(u64, u64, Vec<u8>)> = app2.iter().filter_map(head).collect();
    if make.is_some_and(|m| m.trim().eq_ignore_ascii_case("Apple")) {
        let index = heads.iter().find(|(_, _, h)| h.starts_with(super::mpf::SIGNATURE));
        let body = index.and_then(|&(at, len, _)| Some((at, src.read_at(at, len, "JPEG MPF index").ok()?)));
        if let Some(hdr) = body.and_then(|(at, body)| of_jpeg_mpf(src, &body, at)) {
            return Some(hdr);
        }
    }
    heads.iter().any(|(_, _, h)| h.starts_with(ISO_SIGNATURE)).then_some(Hdr::Iso21496)
}

/// A JPEG's gain map form, from its XMP packet.
fn of_jpeg_xmp(xmp: &[u8]) -> Option<Hdr> {
    let x = super::xmp::parse(xmp);
    if x.items.iter().any(|i| i.semantic.as_deref() == Some("GainMap")) || x.get(HDRGM_NS, "Version").is_some() {
        Some(Hdr::UltraHdr)
    } else if x.get(APPLE_HDR_NS, "HDRGainMapVersion").is_some() {
        Some(Hdr::AppleGainMap)
    } else {
        None
    }
}

/// APPn segments of an image after the primary looked at for its metadata, at most.
const MAX_SECONDARY_SEGMENTS: usize = 16;

/// The gain map form of a JPEG whose own XMP says nothing of one, from the images its MPF index
/// (`body`, at byte `at`) lists after the primary: each one's APPn segments are read (a few small
/// reads; a file cut short or an index pointing nowhere gives `None`, never an error).
pub fn of_jpeg_mpf(src: &Source, body: &[u8], at: u64) -> Option<Hdr> {
    super::mpf::secondary_images(body, at).iter().take(4).find_map(|image| {
        let mut p = image.offset.checked_add(2)?;
        if src.read_upto(image.offset, 2, "JPEG image").ok()? != [0xFF, 0xD8] {
            return None;
        }
        let (mut xmp, mut iso) = (None, false);
        for _ in 0..MAX_SECONDARY_SEGMENTS {
            let head = src.read_upto(p, 4, "JPEG segment header").ok()?;
            let [0xFF, marker @ 0xE0..=0xEF, hi, lo] = head[..] else { break };
            let body_len = u64::from(u16::from_be_bytes([hi, lo])).saturating_sub(2);
            let sig = |s: &[u8]| src.read_upto(p + 4, s.len() as u64, "JPEG segment").is_ok_and(|b| b == s);
            if marker == 0xE1 && xmp.is_none() && sig(super::xmp::XMP_SIGNATURE) {
                let body = src.read_at(p + 4, body_len, "JPEG XMP").ok()?;
                xmp = body.get(super::xmp::XMP_SIGNATURE.len()..).map(<[u8]>::to_vec);
            } else if marker == 0xE2 && sig(ISO_SIGNATURE) {
                iso = true;
            }
            p += 2 + 2 + body_len;
        }
        of_secondary_jpeg(xmp.as_deref(), iso)
    })
}

/// The gain map form of an image an iPhone or Ultra HDR JPEG's MPF index lists after the primary,
/// from its XMP packet and whether it carries ISO 21496-1 metadata.
fn of_secondary_jpeg(xmp: Option<&[u8]>, iso: bool) -> Option<Hdr> {
    match xmp {
        Some(x) if is_apple_gain_map(x) => Some(Hdr::AppleGainMap),
        Some(x) if super::xmp::parse(x).get(HDRGM_NS, "Version").is_some() => Some(Hdr::UltraHdr),
        _ => iso.then_some(Hdr::Iso21496),
    }
}

/// Whether an image's XMP packet makes it Apple's gain map: its auxiliary type says so, or it
/// says the gain map's version.
pub fn is_apple_gain_map(xmp: &[u8]) -> bool {
    let x = super::xmp::parse(xmp);
    x.get(APPLE_PIXEL_NS, "AuxiliaryImageType") == Some(APPLE_GAIN_MAP) || x.get(APPLE_HDR_NS, "HDRGainMapVersion").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG whose MPF index lists `second` (a JPEG) after a primary of nothing but SOI, the
    /// index and EOI.
    fn with_second_image(second: &[u8]) -> Vec<u8> {
        let app = |m: u8, body: &[u8]| [&[0xFF, m][..], &(body.len() as u16 + 2).to_be_bytes(), body].concat();
        let primary_len = 2 + 4 + 4 + 8 + 2 + 12 + 4 + 32 + 2;
        let mpf = super::super::mpf::index(&[(primary_len, 0), (second.len() as u32, primary_len - 10)]);
        [&[0xFF, 0xD8][..], &app(0xE2, &mpf), &[0xFF, 0xD9], second].concat()
    }

    #[test]
    fn the_images_an_mpf_index_lists_say_which_gain_map_it_is() {
        let app = |m: u8, parts: &[&[u8]]| [&[0xFF, m][..], &(parts.concat().len() as u16 + 2).to_be_bytes(), &parts.concat()].concat();
        let xmp = |attrs: &str| {
            let packet = format!(
                r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description {attrs}/></rdf:RDF></x:xmpmeta>"#
            );
            app(0xE1, &[super::super::xmp::XMP_SIGNATURE, packet.as_bytes()])
        };
        let apple =
            xmp(r#"xmlns:apdi="http://ns.apple.com/pixeldatainfo/1.0/" apdi:AuxiliaryImageType="urn:com:apple:photo:2020:aux:hdrgainmap""#);
        let ultra = xmp(r#"xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0""#);
        let iso = app(0xE2, &[ISO_SIGNATURE, &[0; 8]]);
        let cases: [(&[&[u8]], Option<Hdr>); 5] = [
            (&[&apple], Some(Hdr::AppleGainMap)),
            (&[&app(0xE0, &[b"JFIF\0"]), &iso, &ultra], Some(Hdr::UltraHdr)),
            (&[&iso], Some(Hdr::Iso21496)),
            (&[&xmp("a=\"1\"")], None),
            (&[], None),
        ];
        for (segments, want) in cases {
            let jpeg = with_second_image(&[&[0xFF, 0xD8][..], &segments.concat(), &[0xFF, 0xD9]].concat());
            let src = Source::from_bytes(&jpeg);
            let seg_len = usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]])) - 2;
            assert_eq!(of_jpeg_mpf(&src, &jpeg[6..6 + seg_len], 6), want, "{want:?}");
            for cut in 0..jpeg.len() {
                let _ = of_jpeg_mpf(&Source::from_bytes(&jpeg[..cut]), &jpeg[6..6 + seg_len], 6);
                // no panic, whatever is missing
            }
        }
    }

    #[test]
    fn only_an_apple_cameras_mpf_images_are_read_and_an_iso_segment_is_enough() {
        let xmp = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:HDRGainMap="http://ns.apple.com/HDRGainMap/1.0/" HDRGainMap:HDRGainMapVersion="65536"/></rdf:RDF></x:xmpmeta>"#;
        let body = [super::super::xmp::XMP_SIGNATURE, &xmp[..]].concat();
        let second = [&[0xFF, 0xD8, 0xFF, 0xE1][..], &(body.len() as u16 + 2).to_be_bytes(), &body, &[0xFF, 0xD9]].concat();
        let jpeg = with_second_image(&second);
        let (src, app2) = (Source::from_bytes(&jpeg), [(6, u64::from(u16::from_be_bytes([jpeg[4], jpeg[5]])) - 2)]);
        assert_eq!(of_jpeg(&src, None, &app2, Some("Apple")), Some(Hdr::AppleGainMap));
        assert_eq!(of_jpeg(&src, None, &app2, Some("Canon")), None, "another camera's MPF lists previews: not read");
        let iso = [&[0xFF, 0xD8, 0xFF, 0xE2, 0, 34][..], ISO_SIGNATURE, &[0, 0, 0, 0, 0xFF, 0xD9]].concat();
        assert_eq!(of_jpeg(&Source::from_bytes(&iso), None, &[(6, 32)], None), Some(Hdr::Iso21496));
        assert_eq!(of_jpeg(&Source::from_bytes(&iso[..20]), None, &[(6, 32)], None), None, "cut short: no answer, no error");
    }

    #[test]
    fn json_names_are_the_documented_ones() {
        let names = [Hdr::AppleGainMap, Hdr::Iso21496, Hdr::UltraHdr].map(|h| serde_json::to_string(&h).unwrap());
        assert_eq!(names, ["\"apple_gain_map\"", "\"iso_21496\"", "\"ultra_hdr\""]);
    }
}
