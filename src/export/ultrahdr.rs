//! Ultra HDR JPEGs from iPhone stills (docs/formats.md "HDR stills: gain maps" and "Writing an
//! Ultra HDR JPEG"): the SDR primary as `stills --format jpeg` makes it, then Apple's gain map
//! converted to Ultra HDR's encoding and written as a second, greyscale JPEG, tied together by an
//! MPF index and described both as `hdrgm` XMP and as ISO 21496-1 metadata, as Android 14+,
//! Google Photos and Chrome read them.
//!
//! The container is written here rather than through a crate: the one C++ library (libultrahdr)
//! fetches its JPEG library at build time, and the pure-Rust crates' metadata code is moving under
//! a copyleft licence (docs/hdr-plan.md); what is written is a few fixed segments.

use super::error::JobError;
use super::jpeg::{app_segments, is_mpf, merged_packet, without_segments, xmp_packet, xmp_without_motion, Segment};
use crate::meta::xmp::XMP_SIGNATURE;

pub use crate::meta::hdr::APPLE_GAIN_MAP;
use crate::meta::hdr::{APPLE_HDR_NS, HDRGM_NS as HDRGM, ISO_SIGNATURE};
/// The gain map's JPEG quality: it is smooth and small, and its errors scale brightness only.
const GAIN_MAP_QUALITY: u8 = 90;

/// How a gain map's bytes are read (ISO 21496-1, one channel in the base colour space; the
/// `hdrgm` XMP fields): log2 gains from `min` to `max`, `gamma`, offsets added to the SDR and HDR
/// renditions, applied fully from a display headroom of `capacity_max` stops (log2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GainMapMeta {
    pub min: f64,
    pub max: f64,
    pub gamma: f64,
    pub offset_sdr: f64,
    pub offset_hdr: f64,
    pub capacity_min: f64,
    pub capacity_max: f64,
}

impl GainMapMeta {
    /// Gains from 1 to `headroom` (linear), gamma 1, no offsets, applied fully at that headroom.
    pub fn up_to(headroom: f64) -> Self {
        let max = headroom.log2();
        GainMapMeta { min: 0.0, max, gamma: 1.0, offset_sdr: 0.0, offset_hdr: 0.0, capacity_min: 0.0, capacity_max: max }
    }

    /// ISO 21496-1 metadata (the binary form, after a HEIF `tmap` item's version byte): one
    /// channel in the base colour space, the base rendition SDR; anything else is refused with
    /// the reason (XMP cannot say it, and Ultra HDR readers take the base as SDR).
    pub fn from_iso(b: &[u8]) -> Result<Self, String> {
        let mut r = IsoReader { b, at: 0 };
        let (min_version, _writer) = (r.u16()?, r.u16()?);
        if min_version != 0 {
            return Err(format!("version {min_version} of the metadata, which this livephoto does not know"));
        }
        let flags = r.u8()?;
        if flags & 0x80 != 0 {
            return Err("a gain map per colour channel".into());
        }
        if flags & 0x40 == 0 {
            return Err("a gain map in another colour space than the photo's".into());
        }
        if flags & 0x04 != 0 {
            return Err("an HDR base image".into());
        }
        let common = flags & 0x08 != 0;
        let (base, alt, min, max, gamma, off_base, off_alt) = if common {
            let d = f64::from(r.u32()?);
            let d = if d == 0.0 { return Err("a zero denominator".into()) } else { d };
            let (base, alt) = (f64::from(r.u32()?) / d, f64::from(r.u32()?) / d);
            (
                base,
                alt,
                f64::from(r.i32()?) / d,
                f64::from(r.i32()?) / d,
                f64::from(r.u32()?) / d,
                f64::from(r.i32()?) / d,
                f64::from(r.i32()?) / d,
            )
        } else {
            (r.ufrac()?, r.ufrac()?, r.ifrac()?, r.ifrac()?, r.ufrac()?, r.ifrac()?, r.ifrac()?)
        };
        if !(max > min && gamma > 0.0 && alt > base) {
            return Err("gains or headrooms out of order".into());
        }
        Ok(GainMapMeta { min, max, gamma, offset_sdr: off_base, offset_hdr: off_alt, capacity_min: base, capacity_max: alt })
    }
}

/// Big-endian fields of ISO 21496-1 metadata.
struct IsoReader<'a> {
    b: &'a [u8],
    at: usize,
}

impl IsoReader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let v = self.b.get(self.at..self.at + N).and_then(|s| s.try_into().ok()).ok_or("metadata cut short")?;
        self.at += N;
        Ok(v)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_be_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.take()?))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_be_bytes(self.take()?))
    }
    fn frac(&mut self, num: f64) -> Result<f64, String> {
        match self.u32()? {
            0 => Err("a zero denominator".into()),
            d => Ok(num / f64::from(d)),
        }
    }
    fn ufrac(&mut self) -> Result<f64, String> {
        let n = f64::from(self.u32()?);
        self.frac(n)
    }
    fn ifrac(&mut self) -> Result<f64, String> {
        let n = f64::from(self.i32()?);
        self.frac(n)
    }
}

/// A gain map ready to write: greyscale, `width` x `height`, its bytes read as `meta` says.
#[derive(Debug, Clone, PartialEq)]
pub struct GainMap {
    pub width: u32,
    pub height: u32,
    pub luma: Vec<u8>,
    pub meta: GainMapMeta,
}

impl GainMap {
    /// Apple's gain map (each byte the sRGB encoding of a fraction `f`, the gain being
    /// `1 + (headroom - 1) f` in linear light) re-encoded for Ultra HDR: the same gains, as
    /// `log2(gain) / log2(headroom)` in 8 bits. `None` when there is no headroom to show.
    pub fn from_apple(width: u32, height: u32, apple: &[u8], headroom: f64) -> Option<GainMap> {
        if !(headroom.is_finite() && headroom > 1.0) || apple.len() != width as usize * height as usize {
            return None;
        }
        let lut: Vec<u8> = (0..=255u8)
            .map(|v| {
                let gain = 1.0 + (headroom - 1.0) * super::icc::srgb_to_linear(f64::from(v) / 255.0);
                (255.0 * gain.log2() / headroom.log2()).round().clamp(0.0, 255.0) as u8
            })
            .collect();
        Some(GainMap { width, height, luma: apple.iter().map(|&v| lut[usize::from(v)]).collect(), meta: GainMapMeta::up_to(headroom) })
    }
}

/// Apple's HDR headroom (linear): the XMP's `HDRGainMap:HDRGainMapHeadroom` (iOS 17 and later),
/// else computed from MakerNote tags 33 and 48 as Apple documents ("Applying Apple HDR effect to
/// your photos"); a missing tag 48 counts as 0.
pub fn apple_headroom(xmp: Option<&[u8]>, makernote_tag: impl Fn(u16) -> Option<f64>) -> Option<f64> {
    let from_xmp =
        xmp.map(crate::meta::xmp::parse).and_then(|x| x.get(APPLE_HDR_NS, "HDRGainMapHeadroom").and_then(|v| v.parse::<f64>().ok()));
    if let Some(h) = from_xmp.filter(|h| h.is_finite() && *h > 0.0) {
        return Some(h);
    }
    let m33 = makernote_tag(33)?;
    let m48 = makernote_tag(48).unwrap_or(0.0);
    let stops = match (m33 < 1.0, m48 <= 0.01) {
        (true, true) => -20.0 * m48 + 1.8,
        (true, false) => -0.101 * m48 + 1.601,
        (false, true) => -70.0 * m48 + 3.0,
        (false, false) => -0.303 * m48 + 2.303,
    };
    Some(2f64.powf(stops.max(0.0)))
}

/// The gain map as the second image of an Ultra HDR JPEG: SOI, its `hdrgm` XMP, its ISO 21496-1
/// metadata, then its own JPEG from after SOI.
pub fn gain_map_block(gm: &GainMap) -> Result<Vec<u8>, JobError> {
    let jpeg = super::jpeg_encode::from_grey(&gm.luma, gm.width, gm.height, GAIN_MAP_QUALITY)?;
    let m = gm.meta;
    let xmp = format!(
        concat!(
            r#"<rdf:Description rdf:about="" xmlns:hdrgm="{ns}" hdrgm:Version="1.0" hdrgm:GainMapMin="{min:.6}" hdrgm:GainMapMax="{max:.6}""#,
            r#" hdrgm:Gamma="{gamma:.6}" hdrgm:OffsetSDR="{osdr:.6}" hdrgm:OffsetHDR="{ohdr:.6}" hdrgm:HDRCapacityMin="{cmin:.6}""#,
            r#" hdrgm:HDRCapacityMax="{cmax:.6}" hdrgm:BaseRenditionIsHDR="False"/>"#
        ),
        ns = HDRGM,
        min = m.min,
        max = m.max,
        gamma = m.gamma,
        osdr = m.offset_sdr,
        ohdr = m.offset_hdr,
        cmin = m.capacity_min,
        cmax = m.capacity_max
    );
    let mut out = vec![0xFF, 0xD8];
    out.extend_from_slice(&segment(0xE1, &[XMP_SIGNATURE, xmp_packet(&xmp).as_bytes()])?);
    out.extend_from_slice(&segment(0xE2, &[ISO_SIGNATURE, &iso_metadata(&m)])?);
    out.extend_from_slice(jpeg.get(2..).unwrap_or(&[]));
    Ok(out)
}

/// ISO 21496-1 metadata for one channel in the base colour space: `m` as big-endian fractions
/// over 1,000,000.
fn iso_metadata(m: &GainMapMeta) -> Vec<u8> {
    const D: u32 = 1_000_000;
    let n = |v: f64| (v * f64::from(D)).round() as i64;
    let mut out = vec![0, 0, 0, 0, 0x40]; // minimum and writer version 0; flags: base colour space
    let mut frac = |num: i64, signed: bool| {
        if signed {
            out.extend_from_slice(&(num.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32).to_be_bytes());
        } else {
            out.extend_from_slice(&(num.clamp(0, i64::from(u32::MAX)) as u32).to_be_bytes());
        }
        out.extend_from_slice(&D.to_be_bytes());
    };
    frac(n(m.capacity_min), false); // base HDR headroom
    frac(n(m.capacity_max), false); // alternate HDR headroom
    frac(n(m.min), true);
    frac(n(m.max), true);
    frac(n(m.gamma), false);
    frac(n(m.offset_sdr), true); // base offset
    frac(n(m.offset_hdr), true); // alternate offset
    out
}

/// A motion photo's video, for the primary's XMP: its length and the key photo's moment (µs,
/// -1: unknown).
#[derive(Debug, Clone, Copy)]
pub struct MotionItem {
    pub video_len: u64,
    pub key_time_us: i64,
}

/// An Ultra HDR JPEG: `primary` (one JPEG image) gains its XMP (the `hdrgm` version and a
/// container directory listing the gain map, and with `motion` the motion photo's tags and its
/// video last; added to the primary's own packet, whose other properties are kept), the ISO
/// 21496-1 version, and an MPF index, after its other APPn segments (an index or ISO version it
/// had is replaced); `gain_map` (from [`gain_map_block`]) follows it. A motion photo's video is
/// appended by the caller.
pub fn assemble(primary: &[u8], gain_map: &[u8], motion: Option<MotionItem>) -> Result<Vec<u8>, JobError> {
    let not_jpeg = || JobError::Media("the primary image is not a JPEG".into());
    let segments = app_segments(primary).ok_or_else(not_jpeg)?;
    let own = xmp_without_motion(primary, &segments);
    let is_iso = |s: &Segment| s.marker == 0xE2 && primary[s.body.0..s.body.1].starts_with(ISO_SIGNATURE);
    let primary = &without_segments(primary, |s| s.xmp || is_mpf(primary, s) || is_iso(s));
    let segments = app_segments(primary).ok_or_else(not_jpeg)?;
    let at = segments.last().map_or(2, |s| s.body.1);
    let motion_attrs = motion.map_or(String::new(), |m| {
        format!(
            concat!(
                r#" xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1""#,
                r#" GCamera:MotionPhotoPresentationTimestampUs="{key}" GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1""#,
                r#" GCamera:MicroVideoOffset="{len}" GCamera:MicroVideoPresentationTimestampUs="{key}""#
            ),
            key = m.key_time_us,
            len = m.video_len
        )
    });
    let motion_item = motion.map_or(String::new(), |m| {
        format!(
            r#"<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="{}" Item:Padding="0"/></rdf:li>"#,
            m.video_len
        )
    });
    let xmp = format!(
        concat!(
            r#"<rdf:Description rdf:about="" xmlns:Container="http://ns.google.com/photos/1.0/container/""#,
            r#" xmlns:Item="http://ns.google.com/photos/1.0/container/item/" xmlns:hdrgm="{ns}" hdrgm:Version="1.0"{motion}>"#,
            r#"<Container:Directory><rdf:Seq>"#,
            r#"<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="Primary" Item:Mime="image/jpeg"/></rdf:li>"#,
            r#"<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="GainMap" Item:Mime="image/jpeg" Item:Length="{len}"/></rdf:li>"#,
            r#"{video}</rdf:Seq></Container:Directory></rdf:Description>"#
        ),
        ns = HDRGM,
        motion = motion_attrs,
        len = gain_map.len(),
        video = motion_item
    );
    let xmp = segment(0xE1, &[XMP_SIGNATURE, merged_packet(own.as_deref(), &xmp).as_bytes()])?;
    let iso = segment(0xE2, &[ISO_SIGNATURE, &[0, 0, 0, 0]])?;
    // the MPF segment has a fixed size: the primary's length is known before it is written
    let mpf_at = at + xmp.len() + iso.len();
    let primary_len = primary.len() + xmp.len() + iso.len() + MPF_LEN;
    let mpf = mpf_segment(primary_len, gain_map.len(), primary_len - (mpf_at + 8))?;
    let mut out = Vec::with_capacity(primary_len + gain_map.len());
    out.extend_from_slice(&primary[..at]);
    out.extend_from_slice(&xmp);
    out.extend_from_slice(&iso);
    out.extend_from_slice(&mpf);
    out.extend_from_slice(&primary[at..]);
    out.extend_from_slice(gain_map);
    Ok(out)
}

/// The MPF segment's size: marker, length, `MPF\0`, TIFF header, an IFD of three entries, two
/// 16-byte image entries (CIPA DC-007).
pub(super) const MPF_LEN: usize = 2 + 2 + 4 + 8 + 2 + 3 * 12 + 4 + 2 * 16;

/// An MPF index of two images: the primary (`primary_len` bytes from its SOI) and the gain map
/// (`gain_len` bytes, `gain_offset` from the MPF's TIFF header).
pub(super) fn mpf_segment(primary_len: usize, gain_len: usize, gain_offset: usize) -> Result<Vec<u8>, JobError> {
    let u32_of = |v: usize| u32::try_from(v).map_err(|_| JobError::Media("the Ultra HDR JPEG would pass 4 GB".into()));
    let mut body = b"MPF\0MM\0\x2A\0\0\0\x08".to_vec();
    body.extend_from_slice(&3u16.to_be_bytes());
    body.extend_from_slice(&[0xB0, 0x00, 0, 7, 0, 0, 0, 4, b'0', b'1', b'0', b'0']); // MPFVersion
    body.extend_from_slice(&[0xB0, 0x01, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2]); // NumberOfImages
    body.extend_from_slice(&[0xB0, 0x02, 0, 7, 0, 0, 0, 32, 0, 0, 0, 50]); // MPEntry, at 50
    body.extend_from_slice(&[0; 4]); // no next IFD
    for (attr, size, offset) in [(0x0003_0000u32, primary_len, 0), (0, gain_len, gain_offset)] {
        body.extend_from_slice(&attr.to_be_bytes());
        body.extend_from_slice(&u32_of(size)?.to_be_bytes());
        body.extend_from_slice(&u32_of(offset)?.to_be_bytes());
        body.extend_from_slice(&[0; 4]);
    }
    let seg = segment(0xE2, &[&body])?;
    debug_assert_eq!(seg.len(), MPF_LEN);
    Ok(seg)
}

/// One APPn segment around `parts`.
fn segment(marker: u8, parts: &[&[u8]]) -> Result<Vec<u8>, JobError> {
    super::jpeg::segment(marker, parts).ok_or_else(|| JobError::Media("an Ultra HDR segment would pass 64 KB".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn primary() -> Vec<u8> {
        let mut jpeg = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90);
        image::ImageEncoder::write_image(enc, &[128u8; 16 * 8 * 3], 16, 8, image::ExtendedColorType::Rgb8).unwrap();
        jpeg
    }

    #[test]
    fn apples_gains_are_kept_in_ultra_hdrs_encoding() {
        let h = 4.0;
        let apple: Vec<u8> = (0..=255).collect();
        let gm = GainMap::from_apple(16, 16, &apple, h).unwrap();
        assert_eq!((gm.luma[0], gm.luma[255]), (0, 255), "no gain and the full headroom stay at the ends");
        for v in [32usize, 128, 200] {
            // Ultra HDR's gain for the byte (no offsets, gamma 1) against Apple's for its source
            let ours = h.powf(f64::from(gm.luma[v]) / 255.0);
            let apples = 1.0 + (h - 1.0) * super::super::icc::srgb_to_linear(v as f64 / 255.0);
            assert!((ours.log2() - apples.log2()).abs() < 0.01, "byte {v}: {ours} against {apples}");
        }
        assert_eq!(GainMap::from_apple(16, 16, &apple, 1.0), None, "no headroom, no map");
        assert_eq!(GainMap::from_apple(16, 15, &apple, 4.0), None, "a map of the wrong size");
    }

    #[test]
    fn headroom_comes_from_the_xmp_else_from_the_makernote() {
        let xmp = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:HDRGainMap="http://ns.apple.com/HDRGainMap/1.0/"><HDRGainMap:HDRGainMapVersion>131072</HDRGainMap:HDRGainMapVersion><HDRGainMap:HDRGainMapHeadroom>6.902454</HDRGainMap:HDRGainMapHeadroom></rdf:Description></rdf:RDF></x:xmpmeta>"#;
        assert_eq!(apple_headroom(Some(xmp), |_| None), Some(6.902454));
        // Apple's formula: tag 33 >= 1, tag 48 > 0.01: stops = -0.303 * m48 + 2.303
        let h = apple_headroom(None, |t| match t {
            33 => Some(1.0),
            48 => Some(0.5),
            _ => None,
        })
        .unwrap();
        assert!((h.log2() - (2.303 - 0.303 * 0.5)).abs() < 1e-9, "{h}");
        assert_eq!(apple_headroom(None, |t| (t == 33).then_some(0.5)), Some(2f64.powf(1.8)), "no tag 48 counts as 0");
        assert_eq!(apple_headroom(None, |_| None), None);
    }

    #[test]
    fn the_mpf_index_finds_the_gain_map_and_the_directory_lists_it() {
        let gm = GainMap::from_apple(8, 4, &[200; 32], 4.0).unwrap();
        let block = gain_map_block(&gm).unwrap();
        let primary = primary();
        for motion in [None, Some(MotionItem { video_len: 1234, key_time_us: 500_000 })] {
            let out = assemble(&primary, &block, motion).unwrap();
            assert!(out.ends_with(&block));
            let primary_len = out.len() - block.len();
            assert_eq!(super::super::jpeg::images_end(&out, out.len()), Some(out.len()), "the MPF index reaches past the gain map");
            assert_eq!(super::super::jpeg::primary_end(&out, out.len()), Some(primary_len));
            assert_eq!(image::load_from_memory(&out[primary_len..]).unwrap().to_luma8().dimensions(), (8, 4));
            let segs = app_segments(&out).unwrap();
            let xmp = segs.iter().find(|s| s.xmp).unwrap();
            let x = crate::meta::xmp::parse(&out[xmp.body.0 + XMP_SIGNATURE.len()..xmp.body.1]);
            assert_eq!(x.get(HDRGM, "Version"), Some("1.0"));
            let semantics: Vec<_> = x.items.iter().map(|i| i.semantic.clone().unwrap_or_default()).collect();
            let want: &[&str] = if motion.is_some() { &["Primary", "GainMap", "MotionPhoto"] } else { &["Primary", "GainMap"] };
            assert_eq!(semantics, want);
            assert_eq!(x.items[1].length, Some(block.len() as u64));
            assert_eq!(image::load_from_memory(&out).unwrap().to_rgb8().dimensions(), (16, 8), "the primary still decodes");
        }
        let iso = iso_metadata(&GainMapMeta::up_to(4.0));
        assert_eq!(iso.len(), 61, "one channel, full form");
        assert_eq!(GainMapMeta::from_iso(&iso), Ok(GainMapMeta::up_to(4.0)), "read back as written");
        // an iPhone's tmap item (iOS 18.2); the metadata follows its version byte
        let apple =
            "00000000004000000000000f4240002a8725000f424000000000000f4240002a8725000f4240000dafcd000f42400000000a000f42400000000a000f4240";
        let item: Vec<u8> = (0..apple.len()).step_by(2).map(|i| u8::from_str_radix(&apple[i..i + 2], 16).unwrap()).collect();
        assert_eq!(item.len(), 62);
        let bytes = &item[1..];
        let m = GainMapMeta::from_iso(bytes).unwrap();
        assert!((m.max - 2.787109).abs() < 1e-6 && (m.gamma - 0.896973).abs() < 1e-6 && m.min == 0.0 && m.capacity_max == m.max, "{m:?}");
        for cut in 0..bytes.len() {
            assert!(GainMapMeta::from_iso(&bytes[..cut]).is_err());
        }
        let mut multi = bytes.to_vec();
        multi[4] |= 0x80;
        assert_eq!(GainMapMeta::from_iso(&multi), Err("a gain map per colour channel".into()));
    }
}
