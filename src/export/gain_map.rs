//! The gain map of an iPhone HEIC (docs/formats.md "HDR stills: gain maps"): Apple's auxiliary
//! image `urn:com:apple:photo:2020:aux:hdrgainmap` (iOS 14.1 and later; iOS 18 files also carry
//! the same map as an ISO 21496-1 `tmap`, which libheif does not expose), decoded by libheif, with
//! the headroom Apple's metadata gives, ready for [`super::ultrahdr`].

use super::ultrahdr::{apple_headroom, GainMap, APPLE_GAIN_MAP};
use libheif_rs::{AuxiliaryImagesFilter, ColorSpace, ImageHandle, ItemId, LibHeif};

/// What became of a still's gain map.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// The still has none: an SDR photo.
    None,
    /// Ready to write.
    Map(GainMap),
    /// The still has one that cannot be used, and why (it is written as SDR, with this note).
    Unusable(String),
}

/// The gain map of `primary` (whose decoded, upright size is `size`), with `exif` (the still's
/// TIFF block, for the MakerNote's headroom tags).
pub fn of_heif(primary: &ImageHandle, exif: Option<&[u8]>, size: (u32, u32)) -> Found {
    let aux = primary.auxiliary_images(AuxiliaryImagesFilter::new());
    let Some(map) = aux.iter().find(|a| a.auxiliary_type().is_ok_and(|t| t == APPLE_GAIN_MAP)) else { return Found::None };
    let makernote = exif.and_then(crate::meta::exif::makernote);
    let tag = |t: u16| makernote.as_deref().and_then(|mn| crate::meta::exif::apple_number(mn, t));
    let Some(headroom) = apple_headroom(xmp(primary).as_deref(), tag) else {
        return Found::Unusable("its HDR gain map has no headroom in its metadata (XMP HDRGainMapHeadroom or MakerNote tag 33): written as SDR".into());
    };
    let image = match LibHeif::new().decode(map, ColorSpace::Monochrome, None) {
        Ok(i) => i,
        Err(e) => return Found::Unusable(format!("libheif cannot decode its HDR gain map ({e}): written as SDR")),
    };
    let Some(plane) = image.planes().y.filter(|p| p.storage_bits_per_pixel == 8 && p.width > 0 && p.height > 0) else {
        return Found::Unusable("its HDR gain map is not an 8-bit greyscale image: written as SDR".into());
    };
    let (w, h) = (plane.width, plane.height);
    // the map covers the photo as it is shown: the same proportions as the upright primary
    let (pw, ph) = (f64::from(size.0), f64::from(size.1));
    if ((f64::from(w) / f64::from(h)) / (pw / ph) - 1.0).abs() > 0.02 {
        return Found::Unusable(format!("its HDR gain map ({w}x{h}) does not match the photo's proportions ({}x{}): written as SDR", size.0, size.1));
    }
    let mut luma = Vec::with_capacity(w as usize * h as usize);
    for y in 0..h as usize {
        match plane.data.get(y * plane.stride..y * plane.stride + w as usize) {
            Some(row) => luma.extend_from_slice(row),
            None => return Found::Unusable("libheif returned a short gain map: written as SDR".into()),
        }
    }
    match GainMap::from_apple(w, h, &luma, headroom) {
        Some(gm) => Found::Map(gm),
        None => Found::Unusable(format!("its HDR headroom ({headroom:.2}) adds no brightness: written as SDR")),
    }
}

/// The primary image's XMP packet (a `mime` item of type `application/rdf+xml`).
fn xmp(primary: &ImageHandle) -> Option<Vec<u8>> {
    let mut ids: [ItemId; 8] = [0; 8];
    let n = primary.metadata_block_ids(&mut ids, b"mime");
    let id = ids.get(..n)?.iter().copied().find(|&id| primary.metadata_content_type(id) == Some("application/rdf+xml"))?;
    primary.metadata(id).ok()
}
