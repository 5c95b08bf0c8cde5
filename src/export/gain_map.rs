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

/// What a note on a HEIC's gain map that cannot be used ends with.
const SDR: &str = "written as SDR";
/// What a note on an iPhone JPEG's gain map that cannot be converted ends with.
const KEPT: &str = "kept in Apple's form, which Android does not read";

/// The gain map of `primary` (whose decoded, upright size is `size`) in the HEIF `file` (read as
/// `ctx`), with `exif` (the still's TIFF block, for the MakerNote's headroom tags).
/// Its image is decoded with `threads` threads.
pub fn of_heif(ctx: &HeifContext, file: &[u8], primary: &ImageHandle, exif: Option<&[u8]>, size: (u32, u32), threads: usize) -> Found {
    let grey = |map: &ImageHandle, size| grey(file, map, size, threads);
    let aux = primary.auxiliary_images(AuxiliaryImagesFilter::new());
    let found = match aux.iter().find(|a| a.auxiliary_type().is_ok_and(|t| t == APPLE_GAIN_MAP)) {
        None => of_tone_map(ctx, file, size, &grey),
        Some(map) => match apple_headroom(xmp(primary).as_deref(), makernote_number(exif)) {
            // an export that stripped the EXIF took the MakerNote's headroom with it: an ISO
            // 21496-1 tone map over the same image (iOS 18) carries its own
            None => of_tone_map(ctx, file, size, &grey).ok().flatten().ok_or_else(no_headroom).map(Some),
            headroom => grey(map, size).and_then(|(w, h, luma)| from_apple(w, h, &luma, headroom)).map(Some),
        },
    };
    match found {
        Ok(Some(gm)) => Found::Map(gm),
        Ok(None) => Found::None,
        Err(why) => Found::Unusable(format!("{why}: {SDR}")),
    }
}

/// An ISO 21496-1 gain map, if the HEIF has one: the `tmap` item's metadata (after its version
/// byte, 0) and its gain map image, whose bytes are already in the form the metadata describes.
fn of_tone_map(ctx: &HeifContext, file: &[u8], size: (u32, u32), grey: &Grey<'_>) -> Result<Option<GainMap>, String> {
    let Some((payload, id)) =
        crate::meta::heif_edit::tone_map(file).map_err(|e| format!("its ISO 21496-1 gain map cannot be read ({e})"))?
    else {
        return Ok(None);
    };
    let meta = match payload.split_first() {
        Some((0, rest)) => GainMapMeta::from_iso(rest),
        Some((v, _)) => Err(format!("version {v} of the 'tmap' item, which this livephoto does not know")),
        None => Err("an empty 'tmap' item".into()),
    };
    let meta = meta.map_err(|why| format!("its ISO 21496-1 gain map is not one Ultra HDR can carry ({why})"))?;
    let handle = ctx
        .image_handle(id)
        .map_err(|e| format!("libheif cannot open its ISO 21496-1 gain map image ({})", super::error::heif_words(&e)))?;
    let (width, height, luma) = grey(&handle, size)?;
    Ok(Some(GainMap { width, height, luma, meta }))
}

/// Apple's gain map, `width` x `height` bytes `luma`, re-encoded for Ultra HDR at `headroom`.
fn from_apple(width: u32, height: u32, luma: &[u8], headroom: Option<f64>) -> Result<GainMap, String> {
    let headroom = headroom.ok_or_else(no_headroom)?;
    GainMap::from_apple(width, height, luma, headroom).ok_or_else(|| format!("its HDR headroom ({headroom:.2}) adds no brightness"))
}

fn no_headroom() -> String {
    "its HDR gain map has no headroom in its metadata (XMP HDRGainMapHeadroom or MakerNote tag 33)".into()
}

/// A number the Apple MakerNote of the TIFF block `exif` gives for a tag.
fn makernote_number(exif: Option<&[u8]>) -> impl Fn(u16) -> Option<f64> {
    let makernote = exif.and_then(crate::meta::exif::makernote);
    move |t| makernote.as_deref().and_then(|mn| crate::meta::makernote::apple_number(mn, t))
}

/// A gain map image decoded to 8-bit greyscale rows: width, height, rows.
type Grey<'a> = dyn Fn(&ImageHandle, (u32, u32)) -> Result<(u32, u32, Vec<u8>), String> + 'a;

/// A gain map image of the HEIF `file` decoded to 8-bit greyscale rows (its luma, full range as
/// libheif gives it), checked against the photo's proportions: by its tiles with FFmpeg when they
/// are 8-bit, else by libheif.
fn grey(file: &[u8], map: &ImageHandle, size: (u32, u32), threads: usize) -> Result<(u32, u32, Vec<u8>), String> {
    super::heic::check_claimed_size(map.width(), map.height(), file.len()).map_err(|e| e.to_string())?;
    let tiles = crate::meta::heif_image::item(file, map.item_id()).ok().flatten();
    if let Some(planes) = tiles.and_then(|coded| super::heic::decode(&coded, threads).ok().flatten()) {
        let (w, h) = (planes.width as u32, planes.height as u32);
        same_proportions((w, h), size)?;
        return Ok((w, h, planes.y));
    }
    let image = LibHeif::new()
        .decode(map, ColorSpace::Monochrome, None)
        .map_err(|e| format!("libheif cannot decode its HDR gain map ({})", super::error::heif_words(&e)))?;
    let plane = image.planes().y.filter(|p| p.storage_bits_per_pixel == 8 && p.width > 0 && p.height > 0);
    let plane = plane.ok_or("its HDR gain map is not an 8-bit greyscale image")?;
    let (w, h) = (plane.width, plane.height);
    // the map covers the photo as it is shown: the same proportions as the upright primary
    same_proportions((w, h), size)?;
    let luma = super::frames::packed(plane.data, plane.stride, w as usize, h as usize).ok_or("libheif returned a short gain map")?;
    Ok((w, h, luma))
}

/// Checks that a gain map of size `map` covers a photo of size `photo` (each as stored, or each
/// upright): the same proportions, within the rounding of a map made at a fraction of the size.
fn same_proportions(map: (u32, u32), photo: (u32, u32)) -> Result<(), String> {
    let ratio = |(w, h): (u32, u32)| f64::from(w) / f64::from(h.max(1));
    if map.0 == 0 || map.1 == 0 || (ratio(map) / ratio(photo) - 1.0).abs() > 0.02 {
        return Err(format!("its HDR gain map ({}x{}) does not match the photo's proportions ({}x{})", map.0, map.1, photo.0, photo.1));
    }
    Ok(())
}

/// An iPhone JPEG's gain map ("Most Compatible" captures, iOS 14.1 and later; docs/formats.md
/// "HDR stills: gain maps"): the image its MPF index lists whose XMP names Apple's auxiliary type,
/// a greyscale JPEG at the primary's stored orientation, with the headroom that XMP gives, else
/// the primary's MakerNote tags 33 and 48 (the primary has no XMP of its own). Returns the gain
/// map and where the primary image ends (what follows is its MPF images), `None` when the JPEG
/// has no Apple gain map, or a note on one that cannot be used.
pub fn of_jpeg(jpeg: &[u8]) -> Result<Option<(GainMap, usize)>, String> {
    use super::jpeg::{app_segments, exif_block, xmp_of};
    let apple = super::jpeg::mpf_images(jpeg).into_iter().find_map(|(at, len)| {
        let image = &jpeg[at..at + len];
        let xmp = xmp_of(image, &app_segments(image)?)?;
        crate::meta::hdr::is_apple_gain_map(xmp).then_some((image, xmp))
    });
    let Some((map, map_xmp)) = apple else { return Ok(None) };
    let made = || -> Result<(GainMap, usize), String> {
        let exif = app_segments(jpeg).and_then(|segments| exif_block(jpeg, &segments).map(<[u8]>::to_vec));
        let headroom = apple_headroom(Some(map_xmp), makernote_number(exif.as_deref())).ok_or_else(no_headroom)?;
        let luma = image::load_from_memory_with_format(map, image::ImageFormat::Jpeg)
            .map_err(|e| format!("its HDR gain map cannot be decoded ({e})"))?;
        let luma = luma.to_luma8();
        let decoder = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(jpeg));
        let photo = decoder.map(|d| image::ImageDecoder::dimensions(&d)).map_err(|e| format!("its primary image cannot be read ({e})"))?;
        same_proportions(luma.dimensions(), photo)?;
        let gm = from_apple(luma.width(), luma.height(), luma.as_raw(), Some(headroom))?;
        let end = super::jpeg::primary_end(jpeg, jpeg.len()).ok_or("its primary image's end is not found")?;
        Ok((gm, end))
    };
    made().map(Some).map_err(|why| format!("{why}: {KEPT}"))
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
        // the index right after SOI: its TIFF header 10 bytes into the file
        let primary_len = primary.len() + super::super::ultrahdr::MPF_LEN;
        let mpf = super::super::ultrahdr::mpf_segment(primary_len, map.len(), primary_len - 10).unwrap();
        [&primary[..2], &mpf, &primary[2..], &map].concat()
    }

    #[test]
    fn an_iphone_jpegs_gain_map_is_found_with_its_headroom() {
        let Ok(Some((gm, _))) = of_jpeg(&iphone_hdr_jpeg()) else { panic!("no gain map found") };
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
                Ok(Some((gm, end))) => {
                    seen[0] += 1;
                    let block = super::super::ultrahdr::gain_map_block(&gm).unwrap();
                    let _ = super::super::ultrahdr::assemble(&bad[..end], &block, None);
                }
                Err(_) => seen[1] += 1,
                Ok(None) => seen[2] += 1,
            }
        }
        assert!(seen.iter().all(|&n| n >= 20), "the damage reaches every outcome: {seen:?}");
    }
}
