//! Per-file metadata: sniff the kind from the bytes, then read only headers and metadata boxes.

pub(crate) mod bytes;
mod error;
pub(crate) mod exif;
pub mod hdr;
pub mod heif;
#[cfg(feature = "media")] // the writers' in-place HEIF edits
pub mod heif_edit;
#[cfg(feature = "media")] // HEIC stills decoded by their tiles (export/heic.rs)
pub mod heif_image;
mod info;
pub(crate) mod isobmff;
pub mod livp;
pub(crate) mod makernote;
pub mod motion;
pub(crate) mod mpf;
pub(crate) mod png;
pub(crate) mod quicktime;
mod sniff;
pub(crate) mod takeout;
mod time;
mod tracks;
pub(crate) mod trailer;
pub mod xmp;

use crate::walk::FileId;
use bytes::Source;
pub use error::MetaError;
use error::Result;
pub use info::{ClipInfo, GeoLocation, IdKind, ShotInfo, StillFormat, StillInfo, VideoTrack};
pub use sniff::{sniff, Sniffed};
use std::path::Path;
pub use time::CaptureTime;

#[derive(Debug, Clone, PartialEq)]
pub enum MediaInfo {
    Still(StillFormat, StillInfo),
    Clip(ClipInfo),
    /// An Android motion photo: a still whose video is inside it.
    MotionPhoto(StillFormat, StillInfo, Box<ClipInfo>),
    /// A `.livp` archive: a Live Photo's still and clip, both inside it.
    Archive(Box<livp::Livp>),
}

/// File names that promise media: an unrecognisable file with such a name is reported, not skipped.
pub fn has_media_extension(path: &Path) -> bool {
    matches!(extension(path).as_str(), "jpg" | "jpeg" | "heic" | "heif" | "hif" | "png" | "mov" | "mp4" | "m4v" | "qt" | "livp")
}

/// A name's extension in lower case ("" without one).
fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

/// One file's read.
pub struct FileRead {
    /// What the file holds; `Ok(None)` means "not a photo or video" (skipped).
    pub info: Result<Option<MediaInfo>>,
    pub bytes_read: u64,
    /// Who the file is (device + inode), from the open file, or from its path when it could not
    /// be opened: a scanned file must never be an output, readable or not.
    pub id: Option<FileId>,
}

/// Reads one file's metadata.
pub fn read_media(path: &Path) -> FileRead {
    let (src, id) = match Source::open(path) {
        Ok((src, meta)) => (src, FileId::of_open(&meta, path)),
        Err(e) => return FileRead { info: Err(e), bytes_read: 0, id: FileId::follow(path) },
    };
    let info = read_source(&src, path);
    FileRead { info, bytes_read: src.bytes_read(), id }
}

/// [`read_media`] over bytes in memory (`name` stands in for the path, e.g. its extension).
pub fn read_media_bytes(data: &[u8], name: &str) -> Result<Option<MediaInfo>> {
    read_source(&Source::from_bytes(data), Path::new(name))
}

/// The first read of a file: enough to tell its kind (a JPEG's APP1 header, a PNG's first chunk,
/// an `ftyp` and the next box header), and little past what a clip whose `moov` is at its end
/// needs before it.
const HEAD: u64 = 64;
/// The first read of a file named as a HEIF: its `meta` starts after the `ftyp`, and its first
/// children (`hdlr`, `dinf`, `pitm`, the `iinf` header) come with the same read.
const HEAD_HEIF: u64 = 320;
/// The most of a long `ftyp` read to sniff its brands.
const MAX_FTYP: u64 = 4096;

/// How much the first read takes: what the name promises is read with it when it follows on
/// (a JPEG's EXIF directories, a HEIF's first `meta` children). The bytes decide what the file
/// is; a wrong name only means a first read of another size.
fn first_read(path: &Path) -> u64 {
    match extension(path).as_str() {
        "jpg" | "jpeg" => exif::JPEG_EXIF_AT + exif::EXIF_FIRST_READ,
        "heic" | "heif" | "hif" | "avif" => HEAD_HEIF,
        _ => HEAD,
    }
}

fn read_source(src: &Source, path: &Path) -> Result<Option<MediaInfo>> {
    let mut head = src.read_upto(0, first_read(path), "file header")?;
    if head.get(4..8) == Some(b"ftyp") {
        // the brands that tell a HEIF from a movie may run past the first read
        let ftyp_len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        if ftyp_len > head.len() as u64 {
            head = src.read_upto(0, ftyp_len.min(MAX_FTYP), "file header")?;
        }
    }
    let sniffed = sniff(&head);
    let info = match sniffed {
        Sniffed::Jpeg => Some(MediaInfo::Still(StillFormat::Jpeg, exif::read_jpeg(src)?)),
        Sniffed::Png => Some(MediaInfo::Still(StillFormat::Png, png::read_png(src)?)),
        Sniffed::Heif => Some(MediaInfo::Still(StillFormat::Heif, heif_still(src)?)),
        Sniffed::Movie => {
            let top = isobmff::movie_top_level(src)?;
            Some(MediaInfo::Clip(quicktime::read_clip(src, &top)?))
        }
        Sniffed::Zip => livp::read(src, extension(path) == "livp")?.map(|l| MediaInfo::Archive(Box::new(l))),
        Sniffed::AppleDouble => None,
        Sniffed::Other if has_media_extension(path) => return Err(unrecognised(&head)),
        Sniffed::Other => None,
    };
    let info = match info {
        Some(MediaInfo::Still(format, still)) if still.motion.video.is_some() => Some(motion_photo(src, format, still)),
        other => other,
    };
    Ok(info)
}

/// A HEIF still. One that a Huawei or Honor live photo's video and tail follow (their writer
/// appends them to any image) fails the box walk, whose last "box" is the tail: it is then read
/// up to its video, which it keeps as a motion photo's.
fn heif_still(src: &Source) -> Result<StillInfo> {
    let err = match heif::read_heif(src) {
        Ok(info) => return Ok(info),
        Err(e) => e,
    };
    let end = src.read_upto(src.len().saturating_sub(20), 20, "file end")?;
    let Ok(Some(h)) = trailer::huawei(src, &end) else { return Err(err) };
    let mut info = heif::read_heif(&src.window(0, h.video.offset)?)?;
    info.motion = motion::Motion { video: Some(h.video), key_time_us: h.key_time_us, key_frame: h.key_frame, claim_unconfirmed: None };
    Ok(info)
}

/// A still with a confirmed embedded video: the video's headers read like any clip's. One
/// whose video cannot be read stays a still, with the reason in its `claim_unconfirmed`.
fn motion_photo(src: &Source, format: StillFormat, mut still: StillInfo) -> MediaInfo {
    let Some(video) = still.motion.video else { return MediaInfo::Still(format, still) };
    let clip = src.window(video.offset, video.len).and_then(|w| {
        let top = isobmff::top_level(&w)?;
        quicktime::read_clip(&w, &top)
    });
    match clip {
        Ok(mut clip) => {
            let fps = clip.video.as_ref().map_or(0.0, |v| v.fps);
            let from_frame = still.motion.key_frame.filter(|_| fps > 0.0).map(|f| (f as f64 / fps).min(clip.duration_s));
            if let Some(t) = still.motion.key_time_us.map(|us| us as f64 / 1e6).or(from_frame) {
                clip.key_time_s = Some(t);
            }
            MediaInfo::MotionPhoto(format, still, Box::new(clip))
        }
        Err(e) => {
            still.motion.video = None;
            still.motion.claim_unconfirmed = Some(format!("its embedded video cannot be read ({e}): read as an ordinary still"));
            MediaInfo::Still(format, still)
        }
    }
}

fn unrecognised(head: &[u8]) -> MetaError {
    if head.is_empty() {
        return MetaError::corrupt("the file is empty (0 bytes)");
    }
    let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02X}")).collect();
    MetaError::corrupt(format!(
        "named like a photo or video, but its content is neither JPEG, HEIF, PNG, QuickTime/MP4 nor a .livp archive (starts with {})",
        hex.join(" ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compat: &[&[u8; 4]]) -> Vec<u8> {
        let mut v = ((16 + 4 * compat.len()) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(b"ftyp");
        v.extend_from_slice(major);
        v.extend_from_slice(&[0; 4]);
        compat.iter().for_each(|c| v.extend_from_slice(*c));
        v
    }

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE1, 0, 0]), Sniffed::Jpeg);
        assert_eq!(sniff(&ftyp(b"heic", &[b"mif1", b"heic"])), Sniffed::Heif);
        assert_eq!(sniff(&ftyp(b"mif1", &[b"heic"])), Sniffed::Heif);
        assert_eq!(sniff(&ftyp(b"qt  ", &[b"qt  "])), Sniffed::Movie);
        assert_eq!(sniff(&ftyp(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"])), Sniffed::Movie);
        assert_eq!(sniff(b"\0\0\0\x08wide\0\0\0\x10mdat"), Sniffed::Movie);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Sniffed::Png);
        assert_eq!(sniff(&[0, 5, 22, 7, 0, 2, 0, 0, 0, 0, 0, 0]), Sniffed::AppleDouble);
        assert_eq!(sniff(b""), Sniffed::Other);
        // found by the corruption test: an ftyp shorter than its own brands panicked
        assert_eq!(sniff(b"\0\0\0\x0cftypheic"), Sniffed::Heif);
        assert_eq!(sniff(b"\0\0\0\x0cftypabcd"), Sniffed::Movie);
    }

    fn err(data: &[u8], name: &str) -> String {
        read_media_bytes(data, name).unwrap_err().to_string()
    }

    use isobmff::boxed;

    /// One test per error a user can meet: each names the structure, the expectation and what was found.
    #[test]
    fn every_error_kind_says_what_was_expected_and_found() {
        let ftyp_qt = ftyp(b"qt  ", &[b"qt  "]);
        let no_moov = [ftyp_qt.clone(), boxed(b"mdat", &[0; 64])].concat();
        assert!(err(&no_moov, "a.mov").contains("no 'moov' box (the movie header) among the top-level boxes [ftyp, mdat]"));
        let mut overrun = [ftyp_qt.clone(), boxed(b"mdat", &[0; 64])].concat();
        overrun[ftyp_qt.len()..ftyp_qt.len() + 4].copy_from_slice(&4_000_000_000u32.to_be_bytes());
        let e = err(&overrun, "a.mov");
        assert!(e.contains("'mdat'") && e.contains("claims 3.7 GB") && e.contains("file ends after"), "{e}");
        let mut tiny = [ftyp_qt.clone(), boxed(b"moov", &[])].concat();
        tiny[ftyp_qt.len() + 3] = 3;
        assert!(err(&tiny, "a.mov").contains("impossible size 3"));
        let no_mvhd = [ftyp_qt.clone(), boxed(b"moov", &boxed(b"free", &[]))].concat();
        assert!(err(&no_mvhd, "a.mov").contains("no 'mvhd'"));
        let heif = [ftyp(b"heic", &[b"mif1"]), boxed(b"mdat", &[])].concat();
        assert!(err(&heif, "a.heic").contains("HEIF: no 'meta' box"));
        assert!(err(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x40, 1, 2], "a.jpg").contains("JPEG APP segment"));
        let e = err(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0x12, 0x34, 0, 0], "a.jpg");
        assert!(e.contains("expected a marker (FF xx) at offset 8, found 12 34"), "{e}");
        assert!(err(&[0xFF, 0xD8, 0xFF, 0xDB, 0, 4, 0, 0], "a.jpg").contains("end-of-image marker"));
        assert_eq!(err(b"", "a.MOV"), "the file is empty (0 bytes)");
        assert!(err(b"GIF89a....", "IMG_1.HEIC").contains("starts with 47 49 46 38"));
        assert!(read_media_bytes(b"hello", "notes.txt").unwrap().is_none(), "not media: skipped");
    }

    #[test]
    fn a_complete_jpeg_may_carry_trailing_bytes() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xDB, 0, 4, 0, 0, 0xFF, 0xDA, 0, 2, 0x12, 0x34, 0xFF, 0xD9];
        assert!(read_media_bytes(&jpeg, "a.jpg").is_ok());
        jpeg.extend_from_slice(b"trailing junk some editors append");
        assert!(read_media_bytes(&jpeg, "a.jpg").is_ok());
        jpeg.truncate(13);
        assert!(read_media_bytes(&jpeg, "a.jpg").is_err(), "cut inside the scan data");
    }

    #[test]
    fn heif_items_beyond_the_end_are_truncation() {
        // iloc v0, offset/length 4 bytes, one item (id 1) at offset 1000, length 500
        let mut iloc = vec![0, 0, 0, 0, 0x44, 0x00, 0, 1, 0, 1, 0, 0, 0, 1];
        iloc.extend_from_slice(&1000u32.to_be_bytes());
        iloc.extend_from_slice(&500u32.to_be_bytes());
        let meta = [vec![0, 0, 0, 0], boxed(b"hdlr", &[0; 24]), boxed(b"iloc", &iloc)].concat();
        let file = [ftyp(b"heic", &[b"mif1"]), boxed(b"meta", &meta)].concat();
        let e = err(&file, "a.heic");
        assert!(e.contains("HEIF item 1") && e.contains("truncated"), "{e}");
    }

    #[test]
    fn iso6709_round_trip() {
        let g = GeoLocation { lat: 52.2097, lon: -0.8955, alt: Some(103.64) };
        assert_eq!(g.to_iso6709(), "+52.2097-000.8955+103.640/");
        assert_eq!(quicktime::parse_iso6709(&g.to_iso6709()), Some(g));
    }
}
