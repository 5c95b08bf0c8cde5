//! Android motion photos: a still with its video inside (docs/formats.md "Android motion photos"
//! and "Other phones' live photos"). Where the video starts comes from one of these places, each
//! confirmed by the bytes (an `ftyp` box where the metadata says), never by a flag alone:
//! - Google Motion Photo 1.0: XMP `Camera:MotionPhoto` and a `Container:Directory` whose
//!   `MotionPhoto` item is the last `Item:Length` bytes (before any later items); OPPO, OnePlus
//!   and realme write it with an `OpCamera:VideoLength` (the MP4 alone: their Length also
//!   covers a trailer after it);
//! - the legacy `GCamera:MicroVideo` with `MicroVideoOffset` (bytes from the end of the file),
//!   as Xiaomi's `MVIMG_` files have it, in whichever of the file's XMP packets says it;
//! - Samsung's JPEG trailer: a `SEFH` directory closed by `SEFT`, whose `MotionPhoto_Data`
//!   entry holds the MP4;
//! - Samsung HEIC: a top-level `mpvd` box.
//!
//! Where it ends is the MP4's own: its top-level boxes are walked from the start up to what the
//! metadata gives as its end (and `VideoLength`, when said), so a vendor's bytes after the MP4
//! are never taken for video.

use super::bytes::Source;
use super::isobmff::TopBox;
use super::xmp::{CAMERA, OPLUS};
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
    /// A Google directory whose video item also covers OPPO's trailer, with `OpCamera:VideoLength`
    /// the MP4 alone (OPPO, OnePlus, realme).
    OplusMotionPhoto,
    /// A Huawei or Honor live photo: image, MP4, tags ending `LIVE_<N>`.
    HuaweiMovingPhoto,
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
    /// The still's moment as a frame index into the video, where that is all the file says.
    pub key_frame: Option<u64>,
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
    /// `OpCamera:VideoLength`: the MP4's own length, where the directory's covers more.
    oplus_video_len: Option<u64>,
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
        key_time_us: number("MotionPhotoPresentationTimestampUs")
            .or_else(|| number("MicroVideoPresentationTimestampUs"))
            .or_else(|| x.get(OPLUS, "MotionPhotoPrimaryPresentationTimestampUs").and_then(|v| v.parse().ok())),
        items,
        oplus_video_len: x.get(OPLUS, "VideoLength").and_then(|v| v.parse::<u64>().ok()).filter(|&n| n > 0),
    }
}

/// The motion facts of the first of a file's XMP packets that announces a video (a Xiaomi may
/// write them in a second packet), else of the first packet.
fn first_claim(packets: &[Vec<u8>]) -> XmpMotion {
    let mut first = None;
    for p in packets {
        let x = xmp_motion(p);
        if x.claims {
            return x;
        }
        first.get_or_insert(x);
    }
    first.unwrap_or_default()
}

/// The key photo's time in a motion photo's XMP, microseconds into its video.
pub fn key_time_us(xmp: &[u8]) -> Option<u64> {
    xmp_motion(xmp).key_time_us.and_then(|t| u64::try_from(t).ok())
}

/// Whether an MP4 starts at `offset`: its first box is `ftyp`.
fn is_mp4(src: &Source, offset: u64) -> bool {
    src.read_upto(offset, 8, "embedded video header").is_ok_and(|h| h.len() == 8 && &h[4..8] == b"ftyp")
}

/// Most top-level boxes looked at in an embedded MP4 (a phone's has 3 to 6).
const MAX_MP4_BOXES: usize = 64;

/// Where the MP4 that starts at `offset` ends: past its last top-level box, walking box headers
/// no further than `limit` (the end the metadata gives). A header that is no box (a size below 8
/// or past `limit`, a type that is not four printable characters) is where a vendor's own bytes
/// begin, and ends the walk. `None` when not even the `ftyp` box fits.
pub fn mp4_end(src: &Source, offset: u64, limit: u64) -> Option<u64> {
    let mut at = offset;
    for _ in 0..MAX_MP4_BOXES {
        let Some(left) = limit.checked_sub(at).filter(|&l| l >= 8) else { break };
        let Ok(h) = src.read_upto(at, 16.min(left), "embedded video box header") else { break };
        let kind_ok = h.get(4..8).is_some_and(|k| k.iter().all(|&b| (0x20..0x7F).contains(&b) || b == 0xA9));
        let size = match u32::from_be_bytes([h[0], h[1], h[2], h[3]]) {
            0 => left, // to the end: as far as the metadata says
            1 => h.get(8..16).map_or(0, |b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8]))),
            n => u64::from(n),
        };
        // a second `ftyp` starts another file (a newer OPPO appends a second video)
        if !kind_ok || size < 8 || size > left || (at > offset && &h[4..8] == b"ftyp") {
            break;
        }
        at += size;
    }
    (at > offset + 8).then_some(at)
}

/// How far from where the metadata puts an embedded MP4 it is looked for when it is not exactly
/// there: OPPO's directory lengths have been seen 131 bytes off (docs/formats.md "Other phones' live photos").
const NEAR: u64 = 64 * 1024;

/// The start of the MP4 nearest `offset`, within [`NEAR`] bytes either way: an `ftyp` box header
/// whose size fits one (16 to 256 bytes, whole brands) and whose major brand is printable.
fn ftyp_near(src: &Source, offset: u64) -> Option<u64> {
    let from = offset.saturating_sub(NEAR);
    let to = offset.saturating_add(NEAR).min(src.len());
    let window = src.read_at(from, to.checked_sub(from)?, "embedded video search").ok()?;
    let is_ftyp = |p: usize| {
        let size = window.get(p.checked_sub(4)?..p).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))?;
        let brand = window.get(p + 4..p + 8)?;
        ((16..=256).contains(&size) && size % 4 == 0 && brand.iter().all(|b| b.is_ascii_graphic() || *b == b' ')).then_some(p as u64 - 4)
    };
    let starts = window.windows(4).enumerate().filter(|(_, w)| *w == b"ftyp").filter_map(|(p, _)| is_ftyp(p));
    starts.map(|p| from + p).min_by_key(|&at| at.abs_diff(offset))
}

/// The MP4 the metadata says lies at `offset`, `claimed` bytes long (`cap`: its own length, when
/// the metadata also says that): exactly there, else the nearest found ([`ftyp_near`]); ending
/// where its boxes end.
fn locate(src: &Source, offset: u64, claimed: u64, cap: Option<u64>, container: Container) -> Option<Embedded> {
    if claimed == 0 {
        return None;
    }
    let exact = offset.checked_add(claimed).filter(|&e| e <= src.len()).filter(|_| is_mp4(src, offset));
    let (start, limit) = match exact {
        Some(end) => (offset, end),
        None => (ftyp_near(src, offset)?, src.len()),
    };
    let limit = cap.map_or(limit, |c| limit.min(start.saturating_add(c)));
    let end = mp4_end(src, start, limit)?;
    Some(Embedded { offset: start, len: end - start, container })
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

/// Finds a JPEG's (or PNG's) appended video from its XMP packets (in file order), or Samsung's
/// trailer.
pub fn appended(src: &Source, xmps: &[Vec<u8>]) -> Motion {
    let x = first_claim(xmps);
    let len = src.len();
    let key_time_us = x.key_time_us.and_then(|t| u64::try_from(t).ok());
    // Samsung's own directory is exact (a Google directory written by Samsung may count its trailer in)
    let samsung = samsung_trailer(src).and_then(|(o, l)| locate(src, o, l, None, Container::SamsungTrailer));
    let google = x.items.iter().position(|i| i.0 == "MotionPhoto").and_then(|at| {
        let from_end: u64 = x.items[at..].iter().map(|i| i.1.saturating_add(i.2)).fold(0, u64::saturating_add);
        let offset = len.checked_sub(from_end)?;
        let container = if x.oplus_video_len.is_some() { Container::OplusMotionPhoto } else { Container::GoogleMotionPhoto };
        locate(src, offset, x.items[at].1, x.oplus_video_len, container)
    });
    let micro = x.micro_offset.and_then(|back| locate(src, len.checked_sub(back)?, back, None, Container::MicroVideo));
    let video = samsung.or(google).or(micro);
    let claim_unconfirmed = (x.claims && video.is_none())
        .then(|| "its XMP announces a motion photo video, but no MP4 is where it says: read as an ordinary still".to_string());
    Motion { video, key_time_us, key_frame: None, claim_unconfirmed }
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
        let hdr =
            xmp_motion(br#"<x><Container:Item Item:Semantic="Primary"/><Container:Item Item:Semantic="GainMap" Item:Length="9"/></x>"#);
        assert!(!hdr.claims, "an Ultra HDR gain map is not a video");
    }

    /// A still, then an MP4 of 16 bytes (an `ftyp` box): found only where the metadata says.
    #[test]
    fn the_video_is_confirmed_by_its_bytes() {
        let mut file = b"\xFF\xD8still\xFF\xD9".to_vec();
        file.extend_from_slice(b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00");
        let src = Source::from_bytes(&file);
        let m = appended(&src, &[GOOGLE.as_bytes().to_vec()]);
        assert_eq!(m.video, Some(Embedded { offset: 9, len: 16, container: Container::GoogleMotionPhoto }));
        assert_eq!(m.key_time_us, Some(500_000));
        // a length a few bytes off (as OPPO's have been) finds the MP4 nearby, whole
        let off = GOOGLE.replace("Item:Length=\"16\"", "Item:Length=\"12\"");
        let m = appended(&src, &[off.into_bytes()]);
        assert_eq!(m.video, Some(Embedded { offset: 9, len: 16, container: Container::GoogleMotionPhoto }));
        // no MP4 anywhere near where it says: no video, and a note
        let zeros = [&file[..9], &[0u8; 16]].concat();
        let m = appended(&Source::from_bytes(&zeros), &[GOOGLE.as_bytes().to_vec()]);
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
        let m = appended(&Source::from_bytes(&file), &[]);
        assert_eq!(m.video, Some(Embedded { offset: block + 24, len: 16, container: Container::SamsungTrailer }));
    }
}
