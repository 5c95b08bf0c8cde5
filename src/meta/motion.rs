//! Android motion photos: a still with its video inside (docs/formats.md "Android motion photos").
//! Where the video lies comes from one of four places, each confirmed by the bytes (an `ftyp`
//! box where the metadata says), never by a flag alone:
//! - Google Motion Photo 1.0: XMP `Camera:MotionPhoto` and a `Container:Directory` whose
//!   `MotionPhoto` item is the last `Item:Length` bytes (before any later items);
//! - the legacy `GCamera:MicroVideo` with `MicroVideoOffset` (bytes from the end of the file);
//! - Samsung's JPEG trailer: a `SEFH` directory closed by `SEFT`, whose `MotionPhoto_Data`
//!   entry holds the MP4;
//! - Samsung HEIC: a top-level `mpvd` box.

use super::bytes::Source;
use super::isobmff::TopBox;
use super::xmp::CAMERA;
use serde::Serialize;

/// Where a motion photo's video was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// XMP `Container:Directory` (Google Motion Photo 1.0).
    GoogleMotionPhoto,
    /// XMP `GCamera:MicroVideoOffset` (Google's legacy format).
    MicroVideo,
    /// A `SEFT` trailer's `MotionPhoto_Data` (Samsung JPEG).
    SamsungTrailer,
    /// A top-level `mpvd` box (Samsung HEIC).
    SamsungMpvd,
    /// A stored entry of a `.livp` archive (its still, or its clip).
    Livp,
}

/// A motion photo's embedded video: `len` bytes at `offset`, an MP4 by its `ftyp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Embedded {
    pub offset: u64,
    #[serde(rename = "length")]
    pub len: u64,
    pub container: Container,
}

/// What the still says and what its bytes confirm.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Motion {
    pub video: Option<Embedded>,
    /// Microseconds into the video of the still's moment (`MotionPhotoPresentationTimestampUs`).
    pub key_time_us: Option<u64>,
    /// The metadata announces a video the bytes do not hold.
    pub claim_unconfirmed: Option<String>,
}

/// The motion-photo facts of an XMP packet (read as XML by [`super::xmp`]: Google's Camera
/// namespace whatever its prefix; Google writes `GCamera:`, the spec `Camera:`).
#[derive(Debug, Default, PartialEq)]
struct XmpMotion {
    claims: bool,
    micro_offset: Option<u64>,
    key_time_us: Option<i64>,
    /// `Container:Directory` items: (semantic, length, padding), in order.
    items: Vec<(String, u64, u64)>,
}

fn xmp_motion(xmp: &[u8]) -> XmpMotion {
    let x = super::xmp::parse(xmp);
    let flag = |name| x.get(CAMERA, name) == Some("1");
    let number = |name| x.get(CAMERA, name).and_then(|v| v.parse::<i64>().ok());
    let items: Vec<(String, u64, u64)> =
        x.items.iter().map(|i| (i.semantic.clone().unwrap_or_default(), i.length.unwrap_or(0), i.padding.unwrap_or(0))).collect();
    let has_video_item = items.iter().any(|i| i.0 == "MotionPhoto");
    XmpMotion {
        claims: flag("MotionPhoto") || flag("MicroVideo") || has_video_item,
        micro_offset: number("MicroVideoOffset").and_then(|n| u64::try_from(n).ok()),
        key_time_us: number("MotionPhotoPresentationTimestampUs").or_else(|| number("MicroVideoPresentationTimestampUs")),
        items,
    }
}

/// The key photo's time in a motion photo's XMP, microseconds into its video.
pub fn key_time_us(xmp: &[u8]) -> Option<u64> {
    xmp_motion(xmp).key_time_us.and_then(|t| u64::try_from(t).ok())
}

/// Whether an MP4 starts at `offset`: its first box is `ftyp`.
fn is_mp4(src: &Source, offset: u64) -> bool {
    src.read_upto(offset, 8, "embedded video header").is_ok_and(|h| h.len() == 8 && &h[4..8] == b"ftyp")
}

/// Samsung's JPEG trailer: the `MotionPhoto_Data` entry's data span, if any.
fn samsung_trailer(src: &Source) -> Option<(u64, u64)> {
    let len = src.len();
    let tail = src.read_at(len.checked_sub(8)?, 8, "Samsung trailer").ok()?;
    if &tail[4..] != b"SEFT" {
        return None;
    }
    let dir_len = u64::from(u32::from_le_bytes(tail[..4].try_into().ok()?));
    let dir_at = len.checked_sub(8)?.checked_sub(dir_len)?;
    let dir = src.read_at(dir_at, dir_len, "Samsung trailer directory").ok()?;
    if !dir.starts_with(b"SEFH") {
        return None;
    }
    let le = |p: usize| dir.get(p..p + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes).map(u64::from);
    let count = le(8)?;
    for i in 0..count.min(dir_len / 12) as usize {
        let (back, size) = (le(12 + 12 * i + 4)?, le(12 + 12 * i + 8)?);
        let Some(block) = dir_at.checked_sub(back) else { continue };
        let Ok(head) = src.read_upto(block, 8 + 32, "Samsung trailer entry") else { continue };
        let name_len = head.get(4..8).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes).map(u64::from)?;
        if head.get(8..8 + 16) == Some(&b"MotionPhoto_Data"[..]) && name_len == 16 {
            let data = block + 8 + name_len;
            return Some((data, size.checked_sub(8 + name_len)?));
        }
    }
    None
}

/// Finds a JPEG's (or PNG's) appended video from its XMP packet, or Samsung's trailer.
pub fn appended(src: &Source, xmp: Option<&[u8]>) -> Motion {
    let x = xmp.map(xmp_motion).unwrap_or_default();
    let len = src.len();
    let key_time_us = x.key_time_us.and_then(|t| u64::try_from(t).ok());
    let found = |offset: u64, vlen: u64, container| {
        (vlen > 0 && offset.checked_add(vlen).is_some_and(|e| e <= len) && is_mp4(src, offset)).then_some(Embedded {
            offset,
            len: vlen,
            container,
        })
    };
    // Samsung's own directory is exact (a Google directory written by Samsung may count its trailer in)
    let samsung = samsung_trailer(src).and_then(|(o, l)| found(o, l, Container::SamsungTrailer));
    let google = x.items.iter().position(|i| i.0 == "MotionPhoto").and_then(|at| {
        let from_end: u64 = x.items[at..].iter().map(|i| i.1 + i.2).sum();
        let offset = len.checked_sub(from_end)?;
        found(offset, x.items[at].1, Container::GoogleMotionPhoto)
    });
    let micro = x.micro_offset.and_then(|back| found(len.checked_sub(back)?, back, Container::MicroVideo));
    let video = samsung.or(google).or(micro);
    let claim_unconfirmed = (x.claims && video.is_none())
        .then(|| "its XMP announces a motion photo video, but no MP4 is where it says: read as an ordinary still".to_string());
    Motion { video, key_time_us, claim_unconfirmed }
}

/// A Samsung HEIC's `mpvd` box, when it holds an MP4.
pub fn mpvd(src: &Source, top: &[TopBox]) -> Motion {
    let Some(b) = top.iter().find(|b| &b.kind == b"mpvd") else { return Motion::default() };
    if is_mp4(src, b.body_offset) {
        let video = Embedded { offset: b.body_offset, len: b.body_len, container: Container::SamsungMpvd };
        return Motion { video: Some(video), ..Motion::default() };
    }
    Motion { claim_unconfirmed: Some("its 'mpvd' box holds no MP4: read as an ordinary still".into()), ..Motion::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOGLE: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description
        GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1" GCamera:MotionPhotoPresentationTimestampUs="500000">
        <Container:Directory><rdf:Seq>
        <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>
        <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="16"/></rdf:li>
        </rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>"#;

    #[test]
    fn xmp_properties_in_attributes_or_elements() {
        let x = xmp_motion(GOOGLE.as_bytes());
        assert!(x.claims);
        assert_eq!(x.key_time_us, Some(500_000));
        assert_eq!(x.items, vec![("Primary".into(), 0, 0), ("MotionPhoto".into(), 16, 0)]);
        let legacy = xmp_motion(
            b"<rdf:Description><GCamera:MicroVideo>1</GCamera:MicroVideo><GCamera:MicroVideoOffset>16</GCamera:MicroVideoOffset>",
        );
        assert!(legacy.claims);
        assert_eq!(legacy.micro_offset, Some(16));
        let hdr = xmp_motion(br#"<x><Container:Item Item:Semantic="Primary"/><Container:Item Item:Semantic="GainMap" Item:Length="9"/></x>"#);
        assert!(!hdr.claims, "an Ultra HDR gain map is not a video");
    }

    /// A still, then an MP4 of 16 bytes (an `ftyp` box): found only where the metadata says.
    #[test]
    fn the_video_is_confirmed_by_its_bytes() {
        let mut file = b"\xFF\xD8still\xFF\xD9".to_vec();
        file.extend_from_slice(b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00");
        let src = Source::from_bytes(&file);
        let m = appended(&src, Some(GOOGLE.as_bytes()));
        assert_eq!(m.video, Some(Embedded { offset: 9, len: 16, container: Container::GoogleMotionPhoto }));
        assert_eq!(m.key_time_us, Some(500_000));
        let lying = GOOGLE.replace("Item:Length=\"16\"", "Item:Length=\"12\"");
        let m = appended(&src, Some(lying.as_bytes()));
        assert_eq!(m.video, None);
        assert!(m.claim_unconfirmed.is_some());
    }

    #[test]
    fn samsung_trailer_entry() {
        let mut file = b"\xFF\xD8still\xFF\xD9".to_vec();
        let block = file.len() as u64;
        file.extend_from_slice(&[0, 0, 0x30, 0x0A]);
        file.extend_from_slice(&16u32.to_le_bytes());
        file.extend_from_slice(b"MotionPhoto_Data");
        file.extend_from_slice(b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00");
        let dir_at = file.len() as u64;
        let mut dir = b"SEFH".to_vec();
        dir.extend_from_slice(&107u32.to_le_bytes());
        dir.extend_from_slice(&1u32.to_le_bytes());
        dir.extend_from_slice(&[0, 0, 0x30, 0x0A]);
        dir.extend_from_slice(&((dir_at - block) as u32).to_le_bytes());
        dir.extend_from_slice(&(8 + 16 + 16u32).to_le_bytes());
        file.extend_from_slice(&dir);
        file.extend_from_slice(&(dir.len() as u32).to_le_bytes());
        file.extend_from_slice(b"SEFT");
        let m = appended(&Source::from_bytes(&file), None);
        assert_eq!(m.video, Some(Embedded { offset: block + 24, len: 16, container: Container::SamsungTrailer }));
    }
}
