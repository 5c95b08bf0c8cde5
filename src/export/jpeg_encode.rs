//! JPEGs encoded by libjpeg-turbo (SIMD DCT, quantisation and Huffman coding, one pass): from
//! YCbCr 4:2:0 planes as a HEIC decodes to ([`super::heic::Planes`], no colour
//! conversion at all), from RGB rows (4:2:0 too, as cameras write), or greyscale (a gain map).
//! The still's EXIF block and colour profile go in after the start of image: APP1 `Exif`, then
//! APP2 `ICC_PROFILE` chunks (ICC.1:2010 Annex B.4).

use super::error::JobError;
use super::heic::Planes;
use super::jpeg::segment;
use turbojpeg::{Compressor, Image, PixelFormat, Subsamp, YuvPlanesImage};

/// `--quality` of `stills --format jpeg` when not given, and of every JPEG made of a still (a
/// motion photo's, a Live Photo's from a PNG). Chosen on the bench's 12 MP iPhone HEIC
/// (scripts/bench): the bytes `heif-convert -q 95` makes (within 0.1 %), at an SSIM of 0.991
/// against heif-convert's lossless decode (its own JPEG: 0.987); 94 falls below 0.99.
pub const QUALITY: u8 = 95;

/// What goes in beside the pixels.
#[derive(Debug, Clone, Copy, Default)]
pub struct Carried<'a> {
    /// The TIFF block (from `II`/`MM`), Orientation already as it should be.
    pub exif: Option<&'a [u8]>,
    pub icc: Option<&'a [u8]>,
}

fn compressor(quality: u8, subsamp: Subsamp) -> Result<Compressor, JobError> {
    let bad = |e: turbojpeg::Error| JobError::Media(format!("libjpeg-turbo cannot start: {e}"));
    let mut c = Compressor::new().map_err(bad)?;
    c.set_quality(i32::from(quality.clamp(1, 100))).map_err(bad)?;
    c.set_subsamp(subsamp).map_err(bad)?;
    // optimised Huffman tables save 1 % at quality 95 but need a second pass over a whole-image
    // buffer of coefficients: a fifth more time and 70 MB more for 12 MP (scripts/bench)
    c.set_optimize(false).map_err(bad)?;
    Ok(c)
}

fn failed(e: turbojpeg::Error) -> JobError {
    JobError::Media(format!("cannot encode JPEG: {e}"))
}

/// A JPEG of 4:2:0 `planes`, as they are.
pub fn from_planes(planes: &Planes, quality: u8, carried: Carried<'_>) -> Result<Vec<u8>, JobError> {
    let (cw, ch) = planes.chroma_size();
    let (w, h) = (planes.width, planes.height);
    if w == 0 || h == 0 || planes.y.len() < w * h || planes.cb.len() < cw * ch || planes.cr.len() < cw * ch {
        return Err(JobError::Media("the decoded planes are shorter than the image".into()));
    }
    // libjpeg-turbo reads the luma of whole 2 x 2 blocks: an odd size is padded with its edge
    let (pw, ph) = (w.next_multiple_of(2), h.next_multiple_of(2));
    let luma: std::borrow::Cow<'_, [u8]> = match (pw, ph) == (w, h) {
        true => std::borrow::Cow::Borrowed(&planes.y[..w * h]),
        false => std::borrow::Cow::Owned(padded(&planes.y, (w, h), (pw, ph))),
    };
    let image = YuvPlanesImage {
        y_plane: &luma[..],
        u_plane: &planes.cb[..],
        v_plane: &planes.cr[..],
        width: w,
        height: h,
        y_stride: pw,
        u_stride: cw,
        v_stride: cw,
        subsamp: Subsamp::Sub2x2,
    };
    let jpeg = compressor(quality, Subsamp::Sub2x2)?.compress_yuv_planes_to_vec(&image).map_err(failed)?;
    with_carried(jpeg, carried)
}

/// A `w` x `h` plane in a `pw` x `ph` one, its last column and row repeated into the padding.
fn padded(plane: &[u8], (w, h): (usize, usize), (pw, ph): (usize, usize)) -> Vec<u8> {
    let mut out = Vec::with_capacity(pw * ph);
    for y in 0..ph {
        let row = &plane[y.min(h - 1) * w..][..w];
        out.extend_from_slice(row);
        out.extend(std::iter::repeat_n(row[w - 1], pw - w));
    }
    out
}

/// A JPEG of packed RGB rows, chroma at half resolution (4:2:0).
pub fn from_rgb(rgb: &[u8], width: u32, height: u32, quality: u8, carried: Carried<'_>) -> Result<Vec<u8>, JobError> {
    let (w, h) = (width as usize, height as usize);
    if rgb.len() < w * h * 3 {
        return Err(JobError::Media("the decoder returned fewer pixels than its size".into()));
    }
    let image = Image { pixels: &rgb[..w * h * 3], width: w, pitch: w * 3, height: h, format: PixelFormat::RGB };
    let jpeg = compressor(quality, Subsamp::Sub2x2)?.compress_to_vec(image).map_err(failed)?;
    with_carried(jpeg, carried)
}

/// A greyscale JPEG of `luma` rows (a gain map).
pub fn from_grey(luma: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, JobError> {
    let (w, h) = (width as usize, height as usize);
    if luma.len() < w * h {
        return Err(JobError::Media("a greyscale image shorter than its size".into()));
    }
    let image = Image { pixels: &luma[..w * h], width: w, pitch: w, height: h, format: PixelFormat::GRAY };
    compressor(quality, Subsamp::Gray)?.compress_to_vec(image).map_err(failed)
}

/// `jpeg` with the EXIF block and colour profile after its start of image (and its JFIF
/// segment, when it has one).
fn with_carried(jpeg: Vec<u8>, carried: Carried<'_>) -> Result<Vec<u8>, JobError> {
    let mut head = Vec::new();
    if let Some(tiff) = carried.exif.filter(|t| t.len() + 8 <= 65_535) {
        head.extend(segment(0xE1, &[b"Exif\0\0", tiff]).ok_or_else(|| JobError::Media("the EXIF block is too large for JPEG".into()))?);
    }
    if let Some(icc) = carried.icc.filter(|p| !p.is_empty()) {
        const CHUNK: usize = 65_519; // 65535 - 2 (length) - 12 ("ICC_PROFILE\0") - 2 (sequence, count)
        let chunks: Vec<&[u8]> = icc.chunks(CHUNK).collect();
        let count = u8::try_from(chunks.len()).map_err(|_| JobError::Media("the colour profile is too large for JPEG".into()))?;
        for (i, c) in chunks.iter().enumerate() {
            head.extend(segment(0xE2, &[b"ICC_PROFILE\0", &[i as u8 + 1, count], c]).unwrap_or_default());
        }
    }
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(JobError::Media("libjpeg-turbo made no JPEG".into()));
    }
    // after SOI, and after a JFIF APP0 when there is one
    let at = match jpeg.get(2..4) {
        Some([0xFF, 0xE0]) => jpeg.get(4..6).map_or(2, |l| 4 + usize::from(u16::from_be_bytes([l[0], l[1]]))),
        _ => 2,
    };
    let at = at.min(jpeg.len());
    Ok([&jpeg[..at], &head, &jpeg[at..]].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(jpeg: &[u8]) -> Vec<u8> {
        super::super::jpeg::app_segments(jpeg).unwrap().iter().map(|s| s.marker).collect()
    }

    #[test]
    fn planes_rgb_and_grey_make_jpegs_that_carry_the_exif_and_profile() {
        let (w, h) = (33, 17); // odd: the chroma planes round up
        let planes = Planes { width: w, height: h, y: vec![120; w * h], cb: vec![100; 17 * 9], cr: vec![150; 17 * 9] };
        let tiff = b"MM\0\x2a\0\0\0\x08\0\0\0\0\0\0";
        let icc = vec![7u8; 70_000]; // two chunks
        let carried = Carried { exif: Some(tiff), icc: Some(&icc) };
        let a = from_planes(&planes, 90, carried).unwrap();
        assert_eq!(segments(&a), [0xE0, 0xE1, 0xE2, 0xE2], "JFIF, then EXIF, then the profile in two chunks");
        let decoded = image::load_from_memory(&a).unwrap().to_rgb8();
        assert_eq!(decoded.dimensions(), (w as u32, h as u32));
        let b = from_rgb(&vec![200u8; w * h * 3], w as u32, h as u32, 90, Carried::default()).unwrap();
        assert_eq!(image::load_from_memory(&b).unwrap().to_rgb8().get_pixel(5, 5).0.map(|v| v.abs_diff(200) <= 2), [true; 3]);
        let g = from_grey(&vec![60u8; w * h], w as u32, h as u32, 90).unwrap();
        assert_eq!(image::load_from_memory(&g).unwrap().color(), image::ColorType::L8);
        assert!(from_rgb(&[0; 10], 10, 10, 90, Carried::default()).is_err(), "too few pixels is an error, not a read past the end");
    }
}
