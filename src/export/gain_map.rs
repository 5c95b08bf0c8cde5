//! The gain map of a HEIC (docs/formats.md "HDR stills: gain maps"), ready for
//! [`super::ultrahdr`]: Apple's auxiliary image `urn:com:apple:photo:2020:aux:hdrgainmap` (iOS
//! 14.1 and later) with the headroom Apple's metadata gives; else an ISO 21496-1 tone map (a `tmap`
//! item, which libheif does not interpret: its metadata is read here and its gain map image
//! decoded by item id). iOS 18 files carry both, over the same image; Apple's form is used, as
//! for older iPhones, and the tone map when Apple's headroom is gone (an export that stripped
//! the EXIF).

use super::ultrahdr::{apple_headroom, GainMap, GainMapMeta, APPLE_GAIN_MAP};
use libheif_rs::{AuxiliaryImagesFilter, ColorSpace, HeifContext, ImageHandle, ItemId, LibHeif};

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

/// The gain map of `primary` (whose decoded, upright size is `size`) in the HEIF `file` (read as
/// `ctx`), with `exif` (the still's TIFF block, for the MakerNote's headroom tags).
pub fn of_heif(ctx: &HeifContext, file: &[u8], primary: &ImageHandle, exif: Option<&[u8]>, size: (u32, u32)) -> Found {
    let aux = primary.auxiliary_images(AuxiliaryImagesFilter::new());
    let Some(map) = aux.iter().find(|a| a.auxiliary_type().is_ok_and(|t| t == APPLE_GAIN_MAP)) else { return of_tone_map(ctx, file, size) };
    let makernote = exif.and_then(crate::meta::exif::makernote);
    let tag = |t: u16| makernote.as_deref().and_then(|mn| crate::meta::exif::apple_number(mn, t));
    let Some(headroom) = apple_headroom(xmp(primary).as_deref(), tag) else {
        // an export that stripped the EXIF took the MakerNote's headroom with it: an ISO 21496-1
        // tone map over the same image (iOS 18) carries its own
        return match of_tone_map(ctx, file, size) {
            Found::Map(gm) => Found::Map(gm),
            _ => Found::Unusable("its HDR gain map has no headroom in its metadata (XMP HDRGainMapHeadroom or MakerNote tag 33): written as SDR".into()),
        };
    };
    let (w, h, luma) = match grey(map, size) {
        Ok(g) => g,
        Err(why) => return Found::Unusable(why),
    };
    match GainMap::from_apple(w, h, &luma, headroom) {
        Some(gm) => Found::Map(gm),
        None => Found::Unusable(format!("its HDR headroom ({headroom:.2}) adds no brightness: written as SDR")),
    }
}

/// An ISO 21496-1 gain map: the `tmap` item's metadata (after its version byte, 0) and its gain
/// map image, whose bytes are already in the form the metadata describes.
fn of_tone_map(ctx: &HeifContext, file: &[u8], size: (u32, u32)) -> Found {
    let (payload, id) = match crate::meta::heif::tone_map(file) {
        Ok(Some(t)) => t,
        Ok(None) => return Found::None,
        Err(e) => return Found::Unusable(format!("its ISO 21496-1 gain map cannot be read ({e}): written as SDR")),
    };
    let meta = match payload.split_first() {
        Some((0, rest)) => GainMapMeta::from_iso(rest),
        Some((v, _)) => Err(format!("version {v} of the 'tmap' item, which this livephoto does not know")),
        None => Err("an empty 'tmap' item".into()),
    };
    let meta = match meta {
        Ok(m) => m,
        Err(why) => return Found::Unusable(format!("its ISO 21496-1 gain map is not one Ultra HDR can carry ({why}): written as SDR")),
    };
    let handle = match ctx.image_handle(id) {
        Ok(h) => h,
        Err(e) => return Found::Unusable(format!("libheif cannot open its ISO 21496-1 gain map image ({e}): written as SDR")),
    };
    match grey(&handle, size) {
        Ok((width, height, luma)) => Found::Map(GainMap { width, height, luma, meta }),
        Err(why) => Found::Unusable(why),
    }
}

/// A gain map image decoded to 8-bit greyscale rows, checked against the photo's proportions.
fn grey(map: &ImageHandle, size: (u32, u32)) -> Result<(u32, u32, Vec<u8>), String> {
    let image = LibHeif::new().decode(map, ColorSpace::Monochrome, None).map_err(|e| format!("libheif cannot decode its HDR gain map ({e}): written as SDR"))?;
    let plane = image.planes().y.filter(|p| p.storage_bits_per_pixel == 8 && p.width > 0 && p.height > 0);
    let plane = plane.ok_or("its HDR gain map is not an 8-bit greyscale image: written as SDR")?;
    let (w, h) = (plane.width, plane.height);
    // the map covers the photo as it is shown: the same proportions as the upright primary
    same_proportions((w, h), size)?;
    let luma = super::still::packed(plane.data, plane.stride, w as usize, h as usize).ok_or("libheif returned a short gain map: written as SDR")?;
    Ok((w, h, luma))
}

/// Checks that a gain map of size `map` covers a photo of size `photo` (each as stored, or each
/// upright): the same proportions, within the rounding of a map made at a fraction of the size.
fn same_proportions(map: (u32, u32), photo: (u32, u32)) -> Result<(), String> {
    let ratio = |(w, h): (u32, u32)| f64::from(w) / f64::from(h.max(1));
    if map.0 == 0 || map.1 == 0 || (ratio(map) / ratio(photo) - 1.0).abs() > 0.02 {
        return Err(format!(
            "its HDR gain map ({}x{}) does not match the photo's proportions ({}x{}): written as SDR",
            map.0, map.1, photo.0, photo.1
        ));
    }
    Ok(())
}

/// What a note on an iPhone JPEG's gain map that cannot be converted ends with.
pub const KEPT: &str = "kept in Apple's form, which Android does not read";

/// An iPhone JPEG's gain map ("Most Compatible" captures, iOS 14.1 and later; docs/formats.md
/// "HDR stills: gain maps"): the image its MPF index lists whose XMP names Apple's auxiliary type,
/// a greyscale JPEG at the primary's stored orientation, with the headroom that XMP gives, else
/// the primary's MakerNote tags 33 and 48. The primary has no XMP of its own.
pub fn of_jpeg(jpeg: &[u8]) -> Found {
    use super::jpeg::{app_segments, exif_block, xmp_of};
    let apple = super::jpeg::mpf_images(jpeg).into_iter().find_map(|(at, len)| {
        let image = &jpeg[at..at + len];
        let xmp = xmp_of(image, &app_segments(image)?)?;
        crate::meta::hdr::is_apple_gain_map(xmp).then_some((image, xmp))
    });
    let Some((map, map_xmp)) = apple else { return Found::None };
    let makernote = app_segments(jpeg).and_then(|segments| exif_block(jpeg, &segments).and_then(crate::meta::exif::makernote));
    let tag = |t: u16| makernote.as_deref().and_then(|mn| crate::meta::exif::apple_number(mn, t));
    let Some(headroom) = apple_headroom(Some(map_xmp), tag) else {
        return Found::Unusable(format!("its HDR gain map has no headroom in its metadata (XMP HDRGainMapHeadroom or MakerNote tag 33): {KEPT}"));
    };
    let size = |j: &[u8]| image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(j)).map(|d| image::ImageDecoder::dimensions(&d));
    let decoded = image::load_from_memory_with_format(map, image::ImageFormat::Jpeg);
    let (photo, luma) = match (size(jpeg), decoded) {
        (Ok(photo), Ok(map)) => (photo, map.to_luma8()),
        (_, Err(e)) => return Found::Unusable(format!("its HDR gain map cannot be decoded ({e}): {KEPT}")),
        (Err(e), _) => return Found::Unusable(format!("its primary image cannot be read ({e}): {KEPT}")),
    };
    let (w, h) = luma.dimensions();
    if let Err(why) = same_proportions((w, h), photo) {
        return Found::Unusable(why.replace("written as SDR", KEPT));
    }
    match GainMap::from_apple(w, h, luma.as_raw(), headroom) {
        Some(gm) => Found::Map(gm),
        None => Found::Unusable(format!("its HDR headroom ({headroom:.2}) adds no brightness: {KEPT}")),
    }
}

/// The primary image's XMP packet (a `mime` item of type `application/rdf+xml`).
fn xmp(primary: &ImageHandle) -> Option<Vec<u8>> {
    let mut ids: [ItemId; 8] = [0; 8];
    let n = primary.metadata_block_ids(&mut ids, b"mime");
    let id = ids.get(..n)?.iter().copied().find(|&id| primary.metadata_content_type(id) == Some("application/rdf+xml"))?;
    primary.metadata(id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageEncoder;

    fn encoded(pixels: &[u8], w: u32, h: u32, kind: image::ExtendedColorType) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).write_image(pixels, w, h, kind).unwrap();
        out
    }

    /// A small JPEG laid out as an iPhone's HDR JPEG: the primary, an MPF index after its APPn
    /// segments, then the gain map with Apple's XMP (headroom 4).
    fn iphone_hdr_jpeg() -> Vec<u8> {
        let app = |m: u8, body: &[u8]| [&[0xFF, m][..], &(body.len() as u16 + 2).to_be_bytes(), body].concat();
        let primary = encoded(&vec![90; 64 * 48 * 3], 64, 48, image::ExtendedColorType::Rgb8);
        let ramp: Vec<u8> = (0..32 * 24).map(|i| (i % 256) as u8).collect();
        let map = encoded(&ramp, 32, 24, image::ExtendedColorType::L8);
        let xmp = concat!(
            "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">",
            "<rdf:Description xmlns:apdi=\"http://ns.apple.com/pixeldatainfo/1.0/\" xmlns:HDRGainMap=\"http://ns.apple.com/HDRGainMap/1.0/\"",
            " apdi:AuxiliaryImageType=\"urn:com:apple:photo:2020:aux:hdrgainmap\" HDRGainMap:HDRGainMapVersion=\"131072\" HDRGainMap:HDRGainMapHeadroom=\"4\"/>",
            "</rdf:RDF></x:xmpmeta>"
        );
        let map = [&map[..2], &app(0xE1, xmp.as_bytes()), &map[2..]].concat();
        let mpf_len = 4 + 4 + 8 + 2 + 3 * 12 + 4 + 32;
        let primary_len = (primary.len() + mpf_len) as u32;
        let mut body = b"MPF\0MM\0\x2A\0\0\0\x08\0\x03\xB0\x00\0\x07\0\0\0\x040100\xB0\x01\0\x04\0\0\0\x01\0\0\0\x02\xB0\x02\0\x07\0\0\0\x20\0\0\0\x32\0\0\0\0".to_vec();
        for (attr, size, offset) in [(0x0003_0000u32, primary_len, 0), (0, map.len() as u32, primary_len - 10)] {
            body.extend([attr.to_be_bytes(), size.to_be_bytes(), offset.to_be_bytes(), [0; 4]].concat());
        }
        [&primary[..2], &app(0xE2, &body), &primary[2..], &map].concat()
    }

    #[test]
    fn an_iphone_jpegs_gain_map_is_found_with_its_headroom() {
        let Found::Map(gm) = of_jpeg(&iphone_hdr_jpeg()) else { panic!("no gain map found") };
        assert_eq!((gm.width, gm.height), (32, 24));
        assert!((gm.meta.max - 2.0).abs() < 1e-9, "log2 of the XMP's headroom 4: {:?}", gm.meta);
    }

    /// Damaged copies (bytes changed in the index, the segments and the images) give a gain map,
    /// a note or nothing, and what is written from them is no panic.
    #[test]
    fn damaged_iphone_jpegs_do_not_panic() {
        let good = iphone_hdr_jpeg();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut seen = [0; 3]; // a gain map, a note, nothing
        for round in 0..1500 {
            let mut bad = good.clone();
            for _ in 0..1 + round % 4 {
                let at = next(bad.len());
                bad[at] = match next(4) {
                    0 => 0xFF,
                    1 => 0,
                    _ => next(256) as u8,
                };
            }
            if round % 7 == 0 {
                bad.truncate(next(bad.len()));
            }
            match of_jpeg(&bad) {
                Found::Map(gm) => {
                    seen[0] += 1;
                    let end = super::super::jpeg::primary_end(&bad, bad.len()).unwrap_or(bad.len());
                    let block = super::super::ultrahdr::gain_map_block(&gm).unwrap();
                    let _ = super::super::ultrahdr::assemble(&bad[..end], &block, None);
                }
                Found::Unusable(_) => seen[1] += 1,
                Found::None => seen[2] += 1,
            }
        }
        assert!(seen.iter().all(|&n| n >= 20), "the damage reaches every outcome: {seen:?}");
    }
}
