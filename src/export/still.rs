//! Stills: a byte-identical copy, or HEIC decoded by libheif (transformations applied, so the
//! pixels are upright) and written as a full-resolution JPEG that keeps the original EXIF block
//! (capture date, GPS, camera) with its Orientation reset to 1.

use super::error::JobError;
use crate::meta::bytes::Endian;
use crate::meta::StillFormat;
use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;
use libheif_rs::{ColorSpace, HeifContext, ItemId, RgbChroma};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Copies `src` into `out` byte for byte.
pub fn copy(src: &Path, out: &mut File) -> Result<u64, JobError> {
    let mut input = File::open(src).map_err(JobError::io("cannot open the still"))?;
    let n = io::copy(&mut input, out)?;
    out.flush()?;
    Ok(n)
}

/// Writes the still as JPEG: JPEGs are copied as they are, HEIFs converted.
pub fn to_jpeg(src: &Path, format: StillFormat, out: &mut File) -> Result<(u32, u32), JobError> {
    if format == StillFormat::Jpeg {
        copy(src, out)?;
        return Ok((0, 0));
    }
    // libheif reads from memory: any file name works, and the file's real size is what is held
    let bytes = std::fs::read(src).map_err(JobError::io("cannot read the still"))?;
    let heif = |e: libheif_rs::HeifError| JobError::Media(format!("libheif cannot decode this HEIC: {e}"));
    let ctx = HeifContext::read_from_bytes(&bytes).map_err(heif)?;
    let handle = ctx.primary_image_handle().map_err(heif)?;
    let image = handle.decode(ColorSpace::Rgb(RgbChroma::Rgb), None).map_err(heif)?;
    let plane = image.planes().interleaved.ok_or_else(|| JobError::Media("libheif returned no RGB plane".into()))?;
    let (w, h) = (plane.width, plane.height);
    let row = w as usize * 3;
    let mut rgb = Vec::with_capacity(row * h as usize);
    for y in 0..h as usize {
        let line = plane.data.get(y * plane.stride..y * plane.stride + row).ok_or_else(|| JobError::Media("short image row".into()))?;
        rgb.extend_from_slice(line);
    }
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode(&rgb, w, h, ExtendedColorType::Rgb8)
        .map_err(|e| JobError::Media(format!("cannot encode JPEG: {e}")))?;
    let exif = exif_tiff(&handle).map(|mut t| {
        reset_orientation(&mut t);
        t
    });
    write_with_exif(out, &jpeg, exif.as_deref())?;
    Ok((w, h))
}

/// The EXIF TIFF block of a HEIF image (payload starts with a 4-byte offset to the TIFF header).
fn exif_tiff(handle: &libheif_rs::ImageHandle) -> Option<Vec<u8>> {
    let mut ids: [ItemId; 4] = [0; 4];
    let n = handle.metadata_block_ids(&mut ids, b"Exif");
    let payload = handle.metadata(*ids.get(..n)?.first()?).ok()?;
    let skip = u32::from_be_bytes(payload.get(..4)?.try_into().ok()?) as usize;
    payload.get(4usize.checked_add(skip)?..).map(<[u8]>::to_vec)
}

/// Writes SOI, an APP1 `Exif\0\0` segment (when it fits), then the rest of the JPEG.
fn write_with_exif(out: &mut File, jpeg: &[u8], tiff: Option<&[u8]>) -> Result<(), JobError> {
    let (soi, rest) = jpeg.split_at(2.min(jpeg.len()));
    out.write_all(soi)?;
    if let Some(t) = tiff.filter(|t| t.len() + 8 <= 65_535) {
        out.write_all(&[0xFF, 0xE1])?;
        out.write_all(&((t.len() + 8) as u16).to_be_bytes())?;
        out.write_all(b"Exif\0\0")?;
        out.write_all(t)?;
    }
    out.write_all(rest)?;
    out.flush()?;
    Ok(())
}

/// Sets IFD0's Orientation (0x0112) to 1 in place: the decoded pixels are already upright.
pub fn reset_orientation(tiff: &mut [u8]) {
    let order = Endian { big: tiff.starts_with(b"MM") };
    let Some(ifd) = order.u32_at(tiff, 4).map(|o| o as usize) else { return };
    let Some(count) = order.u16_at(tiff, ifd) else { return };
    for i in 0..usize::from(count) {
        let e = ifd + 2 + i * 12;
        if order.u16_at(tiff, e) == Some(0x0112) && order.u16_at(tiff, e + 2) == Some(3) {
            let one = order.u16_bytes(1);
            if let Some(v) = tiff.get_mut(e + 8..e + 10) {
                v.copy_from_slice(&one);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_is_reset_in_both_byte_orders() {
        // MM, IFD at 8, one entry: 0x0112 SHORT 1 value 6
        let mut mm = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0".to_vec();
        reset_orientation(&mut mm);
        assert_eq!(&mm[18..20], &[0, 1]);
        let mut ii = b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0".to_vec();
        reset_orientation(&mut ii);
        assert_eq!(&ii[18..20], &[1, 0]);
        let mut junk = b"MM\0\x2a\xff\xff\xff\xff".to_vec();
        reset_orientation(&mut junk);
    }
}
