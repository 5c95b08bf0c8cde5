//! Whether a still is an HDR photo, and in which form (docs/formats.md "HDR stills: gain maps"),
//! read from headers only: `scan --json`'s `hdr` and the report's badge.
//! - HEIF: Apple's gain map is an auxiliary image whose `auxC` property names
//!   `urn:com:apple:photo:2020:aux:hdrgainmap`; found by reading only the `auxC` boxes of
//!   `iprp/ipco` (the rest of `iprp`, colour profiles and codec set-ups, is jumped over). An ISO
//!   21496-1 gain map is a `tmap` item.
//! - JPEG: an Ultra HDR JPEG's XMP lists a `GainMap` item (or says `hdrgm:Version`); an iPhone
//!   JPEG's says `HDRGainMap:HDRGainMapVersion`.

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
    Iso21496,
    /// An Ultra HDR JPEG (Android 14+, Pixel): a gain map image after the primary.
    UltraHdr,
}

const APPLE_GAIN_MAP: &[u8] = b"urn:com:apple:photo:2020:aux:hdrgainmap";
const APPLE_HDR_NS: &str = "http://ns.apple.com/HDRGainMap/1.0/";
const HDRGM_NS: &str = "http://ns.adobe.com/hdr-gain-map/1.0/";

/// A HEIF's gain map form: `meta` is its `meta` box (children from `skip` bytes into its body),
/// `has_tmap` whether its items include a `tmap`.
pub fn of_heif(src: &Source, meta: &TopBox, skip: u64, has_tmap: bool) -> Result<Option<Hdr>> {
    let apple = match isobmff::child(src, meta, skip, b"iprp")? {
        Some(iprp) => match isobmff::child(src, &iprp, 0, b"ipco")? {
            Some(ipco) => {
                let aux = isobmff::read_children(src, &ipco, 0, &[b"auxC"], "HEIF 'auxC' property")?;
                isobmff::boxes(&aux).filter_map(|b| b.ok()).any(|b| b.body.get(4..).is_some_and(|t| t.split(|&c| c == 0).next() == Some(APPLE_GAIN_MAP)))
            }
            None => false,
        },
        None => false,
    };
    Ok(match (apple, has_tmap) {
        (true, _) => Some(Hdr::AppleGainMap),
        (false, true) => Some(Hdr::Iso21496),
        (false, false) => None,
    })
}

/// A JPEG's gain map form, from its XMP packet.
pub fn of_jpeg_xmp(xmp: &[u8]) -> Option<Hdr> {
    let x = super::xmp::parse(xmp);
    if x.items.iter().any(|i| i.semantic.as_deref() == Some("GainMap")) || x.get(HDRGM_NS, "Version").is_some() {
        Some(Hdr::UltraHdr)
    } else if x.get(APPLE_HDR_NS, "HDRGainMapVersion").is_some() {
        Some(Hdr::AppleGainMap)
    } else {
        None
    }
}
