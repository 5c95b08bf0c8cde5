//! Stills: a byte-identical copy, or HEIC or PNG decoded upright and written as a
//! full-resolution JPEG that keeps the original EXIF block (capture date, GPS, camera, the
//! MakerNote) with its Orientation reset to 1, and the original's colour profile. A HEIC's 8-bit
//! 4:2:0 image is decoded by FFmpeg into YCbCr planes that go to the JPEG encoder as they are
//! ([`super::heic`], [`super::jpeg_encode`]); any other HEIC through libheif, to RGB.

use super::error::JobError;
use super::frames::packed;
use super::heic::Planes;
use super::jpeg_encode::{self, Carried};
use crate::meta::bytes::Endian;
use crate::meta::motion::Embedded;
use crate::meta::StillFormat;
use crate::scan::StillFile;
use libheif_rs::{ColorProfile, ColorSpace, HeifContext, ItemId, LibHeif, RgbChroma};
use std::fs::File;
use std::io::{self, Read, Seek, Write};

/// Copies the still into `out` byte for byte (an Android motion photo's without its video, a
/// `.livp`'s photo out of its archive).
pub fn copy(still: &StillFile, out: &mut File) -> Result<u64, JobError> {
    let n = if still.info.extra_at().is_some() {
        let bytes = read(still)?;
        out.write_all(&bytes)?;
        bytes.len() as u64
    } else {
        io::copy(&mut open_span(&still.path, still.embedded.as_ref(), "the still")?, out)?
    };
    out.flush()?;
    Ok(n)
}

/// The still's bytes, an Android motion photo's without its video. Decoders read from memory:
/// any file name works, and the file's real size is what is held.
pub(super) fn read(still: &StillFile) -> Result<Vec<u8>, JobError> {
    let mut data = Vec::new();
    open_span(&still.path, still.embedded.as_ref(), "the still")?.read_to_end(&mut data).map_err(JobError::io("cannot read the still"))?;
    match still.info.extra_at() {
        Some(from) => super::without_video::without_video(&data, still.format, from),
        None => Ok(data),
    }
}

/// A file opened read-only, or the span of it that `inside` names (a `.livp` entry), as a reader.
/// `what` names it in errors ("the still").
pub(super) fn open_span(path: &std::path::Path, inside: Option<&Embedded>, what: &str) -> Result<io::Take<File>, JobError> {
    let mut file = File::open(path).map_err(JobError::io(format!("cannot open {what}")))?;
    let (start, len) = match inside {
        Some(e) => (e.offset, e.len),
        None => (0, file.metadata().map_err(JobError::io(format!("cannot read {what}")))?.len()),
    };
    file.seek(io::SeekFrom::Start(start)).map_err(JobError::io(format!("cannot read {what}")))?;
    Ok(file.take(len))
}

/// Whether [`to_jpeg`] changes the still: a JPEG is copied, unless (with `hdr`) it is an iPhone's
/// HDR JPEG, whose gain map Android does not read, which becomes an Ultra HDR JPEG.
pub fn converts_to_jpeg(still: &StillFile, hdr: bool) -> bool {
    still.format != StillFormat::Jpeg || (hdr && still.info.hdr == Some(crate::meta::hdr::Hdr::AppleGainMap))
}

/// How a JPEG is made of a still: its quality (1..=100) and the threads its decoding may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub quality: u8,
    pub threads: usize,
}

impl Default for Encoding {
    fn default() -> Self {
        Encoding { quality: jpeg_encode::QUALITY, threads: 1 }
    }
}

/// Writes the still as JPEG (see [`jpeg`]): with `hdr`, a HEIC with a gain map becomes an Ultra
/// HDR JPEG. Returns a note on a gain map that could not be kept.
pub fn to_jpeg(still: &StillFile, out: &mut File, hdr: bool, how: Encoding) -> Result<Option<String>, JobError> {
    if !converts_to_jpeg(still, hdr) {
        return copy(still, out).map(|_| None);
    }
    let made = jpeg(still, hdr, how)?;
    let bytes = match &made.gain_map {
        Some(gm) => {
            super::ultrahdr::assemble(&made.bytes, &super::ultrahdr::gain_map_block(gm)?, None).map_err(|e| e.in_file(&still.path))?
        }
        None => made.bytes,
    };
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(made.note)
}

/// A still as JPEG, and (when asked for) its gain map, or a note on one it has that cannot be used.
pub struct Jpeg {
    pub bytes: Vec<u8>,
    pub gain_map: Option<super::ultrahdr::GainMap>,
    pub note: Option<String>,
}

/// The still as JPEG (SDR; see [`jpeg`]).
pub fn jpeg_bytes(still: &StillFile) -> Result<Vec<u8>, JobError> {
    jpeg(still, false, Encoding::default()).map(|j| j.bytes)
}

/// The still as JPEG: a JPEG as it is; HEIF and PNG stills decoded (upright) and encoded at
/// `how.quality` with their EXIF (Orientation reset to 1) and their ICC colour profile, so the
/// JPEG shows the colours the original does (Display P3 stays P3). With `hdr`, a HEIF's Apple
/// gain map comes too ([`super::gain_map`]).
pub fn jpeg(still: &StillFile, hdr: bool, how: Encoding) -> Result<Jpeg, JobError> {
    encode_jpeg(still, hdr, how).map_err(|e| e.in_file(&still.path))
}

fn encode_jpeg(still: &StillFile, hdr: bool, how: Encoding) -> Result<Jpeg, JobError> {
    let (format, bytes) = (still.format, read(still)?);
    let (decoded, found) = match format {
        StillFormat::Jpeg => return Ok(jpeg_as_it_is(bytes, hdr)),
        StillFormat::Png => (decode_png(&bytes)?, super::gain_map::Found::None),
        StillFormat::Heif => decode_heif(&bytes, hdr, how.threads)?,
    };
    let (gain_map, note) = match found {
        super::gain_map::Found::Map(gm) => (Some(gm), None),
        super::gain_map::Found::Unusable(why) => (None, Some(why)),
        super::gain_map::Found::None => (None, None),
    };
    let mut exif = decoded.exif;
    if let Some(tiff) = exif.as_mut() {
        reset_orientation(tiff);
    }
    let carried = Carried { exif: exif.as_deref(), icc: decoded.icc.as_deref() };
    let jpeg = match &decoded.rgb {
        Pixels::Planes(p) => jpeg_encode::from_planes(p, how.quality, carried)?,
        rgb => jpeg_encode::from_rgb(rgb.rgb(), decoded.width, decoded.height, how.quality, carried)?,
    };
    Ok(Jpeg { bytes: jpeg, gain_map, note })
}

/// A JPEG still as it is, but with `hdr` an iPhone's HDR JPEG: its primary image (the rest is its
/// gain map, and whatever else its MPF index lists) and Apple's gain map, for Ultra HDR.
fn jpeg_as_it_is(bytes: Vec<u8>, hdr: bool) -> Jpeg {
    match hdr.then(|| super::gain_map::of_jpeg(&bytes)) {
        Some(Ok(Some((gm, end)))) => Jpeg { bytes: bytes[..end].to_vec(), gain_map: Some(gm), note: None },
        Some(Err(why)) => Jpeg { bytes, gain_map: None, note: Some(why) },
        None | Some(Ok(None)) => Jpeg { bytes, gain_map: None, note: None },
    }
}

/// A thumbnail's JPEG quality: small files for a page of hundreds.
const THUMBNAIL_QUALITY: u8 = 82;

/// A small upright JPEG of the still (the longer side at most `max_side` pixels), with the
/// still's colour profile, for the report. A HEIC's own thumbnail is used when it is large
/// enough and lies the same way as the photo (iPhones store a 320x240 one); anything else is
/// decoded in full.
pub fn thumbnail(still: &StillFile, max_side: u32, out: &mut File) -> Result<(), JobError> {
    let bytes = read(still)?;
    let decoded = match still.format {
        StillFormat::Jpeg => decode_jpeg(&bytes, still.info.orientation)?,
        StillFormat::Png => decode_png(&bytes)?,
        StillFormat::Heif => decode_heif_small(&bytes, max_side)?,
    };
    let img = image::RgbImage::from_raw(decoded.width, decoded.height, decoded.rgb.into_vec())
        .ok_or_else(|| JobError::Media("the decoder returned fewer pixels than its size".into()))?;
    let scale = f64::from(max_side) / f64::from(decoded.width.max(decoded.height));
    let img = match scale < 1.0 {
        true => {
            let w = ((f64::from(decoded.width) * scale).round() as u32).max(1);
            let h = ((f64::from(decoded.height) * scale).round() as u32).max(1);
            image::imageops::thumbnail(&img, w, h)
        }
        false => img,
    };
    let carried = Carried { exif: None, icc: decoded.icc.as_deref() };
    let jpeg = jpeg_encode::from_rgb(img.as_raw(), img.width(), img.height(), THUMBNAIL_QUALITY, carried)?;
    out.write_all(&jpeg)?;
    out.flush()?;
    Ok(())
}

/// A JPEG decoded and turned upright by its EXIF orientation; its ICC profile kept.
fn decode_jpeg(bytes: &[u8], orientation: Option<u16>) -> Result<Decoded, JobError> {
    use image::ImageDecoder;
    let bad = |e: image::ImageError| JobError::Media(format!("cannot decode this JPEG: {e}"));
    let mut dec = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(bytes)).map_err(bad)?;
    let icc = dec.icc_profile().ok().flatten();
    let mut img = image::DynamicImage::from_decoder(dec).map_err(bad)?;
    let o = orientation.and_then(|o| u8::try_from(o).ok()).and_then(image::metadata::Orientation::from_exif);
    img.apply_orientation(o.unwrap_or(image::metadata::Orientation::NoTransforms));
    let rgb = img.into_rgb8();
    let (width, height) = rgb.dimensions();
    Ok(Decoded { rgb: Pixels::Owned(rgb.into_raw()), width, height, exif: None, icc })
}

fn libheif_error(e: libheif_rs::HeifError) -> JobError {
    JobError::Media(format!("libheif cannot decode this HEIC: {}", super::error::heif_words(&e)))
}

/// A HEIF's primary image, or its own thumbnail when that is at least `min_side` on its longer
/// side and has the photo's shape (landscape or portrait) after both are turned upright.
fn decode_heif_small(bytes: &[u8], min_side: u32) -> Result<Decoded, JobError> {
    let ctx = HeifContext::read_from_bytes(bytes).map_err(libheif_error)?;
    let primary = ctx.primary_image_handle().map_err(libheif_error)?;
    let mut ids: [ItemId; 4] = [0; 4];
    let n = primary.thumbnail_ids(&mut ids);
    let landscape = |h: &libheif_rs::ImageHandle| h.width() >= h.height();
    let small = ids[..n.min(ids.len())]
        .iter()
        .filter_map(|&id| primary.thumbnail(id).ok())
        .find(|t| t.width().max(t.height()) >= min_side && landscape(t) == landscape(&primary));
    let handle = small.as_ref().unwrap_or(&primary);
    super::heic::check_claimed_size(handle.width(), handle.height(), bytes.len())?;
    let mut decoded = decode_handle(handle)?;
    decoded.icc = profile(&primary);
    Ok(decoded)
}

/// A decoded still: upright RGB pixels, and what the JPEG carries over.
struct Decoded {
    rgb: Pixels,
    width: u32,
    height: u32,
    /// The EXIF TIFF block (from `II`/`MM`).
    exif: Option<Vec<u8>>,
    icc: Option<Vec<u8>>,
}

/// A HEIF's primary image decoded (by its tiles with `threads` threads when they are 8-bit
/// 4:2:0, else by libheif), with its profile and EXIF; with `hdr`, its gain map.
fn decode_heif(bytes: &[u8], hdr: bool, threads: usize) -> Result<(Decoded, super::gain_map::Found), JobError> {
    let ctx = HeifContext::read_from_bytes(bytes).map_err(libheif_error)?;
    let handle = ctx.primary_image_handle().map_err(libheif_error)?;
    super::heic::check_claimed_size(handle.width(), handle.height(), bytes.len())?;
    let tiles = crate::meta::heif_image::primary(bytes).ok().flatten();
    // a tile FFmpeg cannot decode is libheif's to try (its error is the one said)
    let planes = tiles.and_then(|coded| super::heic::decode(&coded, threads).ok().flatten());
    let mut decoded = match planes {
        Some(p) => Decoded { width: p.width as u32, height: p.height as u32, rgb: Pixels::Planes(p), exif: None, icc: None },
        None => decode_handle(&handle)?,
    };
    decoded.icc = profile(&handle);
    decoded.exif = exif_tiff(&handle);
    let found = match hdr {
        true => super::gain_map::of_heif(&ctx, bytes, &handle, decoded.exif.as_deref(), (decoded.width, decoded.height), threads),
        false => super::gain_map::Found::None,
    };
    Ok((decoded, found))
}

/// Packed RGB rows (our own, or libheif's decoded image when its rows are packed already: a
/// 48 MP photo's pixels are 145 MB, they are not copied), or a HEIC's YCbCr planes.
enum Pixels {
    Owned(Vec<u8>),
    /// The image and how many bytes of its plane are the pixels.
    Heif(libheif_rs::Image, usize),
    Planes(Planes),
}

impl Pixels {
    /// The RGB rows (none for planes, which are encoded as they are).
    fn rgb(&self) -> &[u8] {
        match self {
            Pixels::Owned(v) => v,
            Pixels::Heif(image, len) => image.planes().interleaved.and_then(|p| p.data.get(..*len)).unwrap_or(&[]),
            Pixels::Planes(_) => &[],
        }
    }

    fn into_vec(self) -> Vec<u8> {
        match self {
            Pixels::Owned(v) => v,
            Pixels::Planes(p) => p.to_rgb(),
            Pixels::Heif(..) => self.rgb().to_vec(),
        }
    }
}

/// One HEIF image decoded upright to packed RGB (no profile or EXIF yet).
fn decode_handle(handle: &libheif_rs::ImageHandle) -> Result<Decoded, JobError> {
    let image = LibHeif::new().decode(handle, ColorSpace::Rgb(RgbChroma::Rgb), None).map_err(libheif_error)?;
    let plane = image.planes().interleaved.ok_or_else(|| JobError::Media("libheif returned no RGB plane".into()))?;
    let (w, h) = (plane.width, plane.height);
    let row = w as usize * 3;
    if plane.stride == row && plane.data.len() >= row * h as usize {
        return Ok(Decoded { rgb: Pixels::Heif(image, row * h as usize), width: w, height: h, exif: None, icc: None });
    }
    let rgb = packed(plane.data, plane.stride, row, h as usize).ok_or_else(|| JobError::Media("short image row".into()))?;
    Ok(Decoded { rgb: Pixels::Owned(rgb), width: w, height: h, exif: None, icc: None })
}

/// A HEIF image's ICC profile, or one built from its `nclx` primaries and transfer.
fn profile(handle: &libheif_rs::ImageHandle) -> Option<Vec<u8>> {
    let icc = handle.color_profile_raw().filter(|p| matches!(&p.profile_type().0, b"prof" | b"rICC")).map(|p| p.data);
    icc.or_else(|| {
        handle.color_profile_nclx().and_then(|n| super::icc::from_nclx(n.color_primaries() as u16, n.transfer_characteristics() as u16))
    })
}

/// PNG through the image crate, its orientation applied; its `iCCP` profile and EXIF kept.
fn decode_png(bytes: &[u8]) -> Result<Decoded, JobError> {
    use image::ImageDecoder;
    let bad = |e: image::ImageError| JobError::Media(format!("cannot decode this PNG: {e}"));
    let mut dec = image::codecs::png::PngDecoder::new(std::io::Cursor::new(bytes)).map_err(bad)?;
    let icc = dec.icc_profile().ok().flatten();
    let exif = crate::meta::png::exif_block(bytes); // eXIf, or the raw-profile text chunk older tools write
    let from_exif = exif.as_deref().and_then(orientation_of).and_then(image::metadata::Orientation::from_exif);
    let orientation = from_exif.unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = image::DynamicImage::from_decoder(dec).map_err(bad)?;
    img.apply_orientation(orientation);
    let rgb = img.into_rgb8();
    let (width, height) = rgb.dimensions();
    Ok(Decoded { rgb: Pixels::Owned(rgb.into_raw()), width, height, exif, icc })
}

/// The still's EXIF TIFF block (capture time, GPS, camera, MakerNote), read without decoding its
/// pixels: a JPEG's APP1 `Exif` segment, a HEIF's `Exif` item, a PNG's `eXIf` or text chunk.
pub fn exif_of(still: &StillFile) -> Option<Vec<u8>> {
    let bytes = read(still).ok()?;
    match still.format {
        StillFormat::Jpeg => {
            let segments = super::jpeg::app_segments(&bytes)?;
            super::jpeg::exif_block(&bytes, &segments).map(<[u8]>::to_vec)
        }
        StillFormat::Png => crate::meta::png::exif_block(&bytes),
        StillFormat::Heif => {
            let ctx = HeifContext::read_from_bytes(&bytes).ok()?;
            exif_tiff(&ctx.primary_image_handle().ok()?)
        }
    }
}

/// The EXIF TIFF block of a HEIF image (payload starts with a 4-byte offset to the TIFF header).
fn exif_tiff(handle: &libheif_rs::ImageHandle) -> Option<Vec<u8>> {
    let mut ids: [ItemId; 4] = [0; 4];
    let n = handle.metadata_block_ids(&mut ids, b"Exif");
    let payload = handle.metadata(*ids.get(..n)?.first()?).ok()?;
    let skip = u32::from_be_bytes(payload.get(..4)?.try_into().ok()?) as usize;
    payload.get(4usize.checked_add(skip)?..).map(<[u8]>::to_vec)
}

/// Where IFD0's Orientation (0x0112, SHORT) value sits in `tiff`, and the byte order.
fn orientation_at(tiff: &[u8]) -> Option<(usize, Endian)> {
    let order = Endian { big: tiff.starts_with(b"MM") };
    let ifd = order.u32_at(tiff, 4)? as usize;
    short_in(tiff, ifd, 0x0112, order).map(|at| (at, order))
}

/// Where the value of the SHORT entry `tag` of the IFD at `ifd` lies, if it has one.
fn short_in(tiff: &[u8], ifd: usize, tag: u16, order: Endian) -> Option<usize> {
    let count = order.u16_at(tiff, ifd)?;
    (0..usize::from(count))
        .map(|i| ifd + 2 + i * 12)
        .find(|&e| order.u16_at(tiff, e) == Some(tag) && order.u16_at(tiff, e + 2) == Some(3))
        .map(|e| e + 8)
}

/// Sets the Exif IFD's ColorSpace (0xA001) to 1, sRGB, in place, where it says otherwise (an
/// iPhone's says 65535, "uncalibrated", as its pixels are Display P3): for pixels made in sRGB.
pub fn set_srgb(tiff: &mut [u8]) {
    let order = Endian { big: tiff.starts_with(b"MM") };
    let Some(ifd0) = order.u32_at(tiff, 4).map(|v| v as usize) else { return };
    let exif = order.u16_at(tiff, ifd0).and_then(|n| {
        (0..usize::from(n))
            .map(|i| ifd0 + 2 + i * 12)
            .find(|&e| order.u16_at(tiff, e) == Some(0x8769))
            .and_then(|e| order.u32_at(tiff, e + 8))
    });
    if let Some(at) = exif.and_then(|ifd| short_in(tiff, ifd as usize, 0xA001, order)) {
        if let Some(v) = tiff.get_mut(at..at + 2) {
            v.copy_from_slice(&order.u16_bytes(1));
        }
    }
}

/// IFD0's Orientation (1–8), if the block has one.
fn orientation_of(tiff: &[u8]) -> Option<u8> {
    let (at, order) = orientation_at(tiff)?;
    order.u16_at(tiff, at).and_then(|v| u8::try_from(v).ok())
}

/// Sets IFD0's Orientation (0x0112) to 1 in place: the decoded pixels are already upright.
pub fn reset_orientation(tiff: &mut [u8]) {
    if let Some((at, order)) = orientation_at(tiff) {
        if let Some(v) = tiff.get_mut(at..at + 2) {
            v.copy_from_slice(&order.u16_bytes(1));
        }
    }
}

#[cfg(test)]
#[allow(clippy::print_stdout)] // the tests say what they checked
mod tests {
    use super::*;

    #[test]
    fn orientation_is_reset_in_both_byte_orders() {
        // MM, IFD at 8, one entry: 0x0112 SHORT 1 value 6
        let mut mm = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0".to_vec();
        reset_orientation(&mut mm);
        assert_eq!(&mm[18..20], &[0, 1]);
        let mut ii = b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0".to_vec();
        assert_eq!(orientation_of(&ii), Some(6));
        reset_orientation(&mut ii);
        assert_eq!(&ii[18..20], &[1, 0]);
        assert_eq!(orientation_of(&ii), Some(1));
        let mut junk = b"MM\0\x2a\xff\xff\xff\xff".to_vec();
        reset_orientation(&mut junk);
        set_srgb(&mut junk);
    }

    #[test]
    fn colour_space_is_set_to_srgb_in_the_exif_ifd() {
        // MM, IFD0 at 8 (one entry: the Exif IFD at 26), the Exif IFD (ColorSpace SHORT 65535)
        let mut t = b"MM\0\x2a\0\0\0\x08\0\x01\x87\x69\0\x04\0\0\0\x01\0\0\0\x1a\0\0\0\0\0\x01\xa0\x01\0\x03\0\0\0\x01\xff\xff\0\0\0\0\0\0"
            .to_vec();
        set_srgb(&mut t);
        assert_eq!(&t[36..38], &[0, 1]);
    }

    /// Real HEICs from elsewhere (LIVEPHOTO_MORE_HEICS: a folder of them) made JPEGs and Ultra HDR
    /// JPEGs: each decodes, is upright at the HEIC's size, and a gain map it has is kept or named.
    #[test]
    fn more_real_heics_become_jpegs() {
        let Some(dir) = std::env::var_os("LIVEPHOTO_MORE_HEICS") else { return };
        let lib = crate::scan::scan(&[std::path::PathBuf::from(dir)], crate::PairOptions::default());
        assert!(!lib.unpaired_stills.is_empty());
        for still in &lib.unpaired_stills {
            let t = std::time::Instant::now();
            let made = jpeg(still, true, Encoding { quality: 90, threads: 2 }).unwrap_or_else(|e| panic!("{}: {e}", still.path.display()));
            let size =
                image::ImageReader::with_format(std::io::Cursor::new(&made.bytes), image::ImageFormat::Jpeg).into_dimensions().unwrap();
            let bytes = read(still).unwrap();
            let ctx = HeifContext::read_from_bytes(&bytes).unwrap();
            let h = ctx.primary_image_handle().unwrap();
            assert_eq!(size, (h.width(), h.height()), "{}: upright at its size", still.path.display());
            let map = made.gain_map.as_ref().map(|g| (g.width, g.height));
            println!("{}: {:?} ms, gain map {map:?}, note {:?}", still.path.display(), t.elapsed().as_millis(), made.note);
        }
    }
}
