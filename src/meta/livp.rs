//! `.livp` archives (docs/formats.md "Other phones' live photos"): what Baidu Netdisk and 一刻相册 hand out
//! for an iPhone Live Photo, a ZIP whose two entries, stored (not compressed), are the photo and
//! its `.mov`, with an archive comment that indexes them and ends in the hex of `1000LIVP`.
//!
//! Read in place: the end record is found and checked here (its sizes against the file's), the
//! central directory is read through the `zip` crate, and each entry's bytes are then a window of
//! the file, read by the still and clip readers as any other file's. Nothing is unpacked.
//!
//! What makes a ZIP a `.livp` is its comment's marker, or (for a hand-made one) its name; its
//! content decides the rest: exactly one photo and one QuickTime movie, both stored. Any other ZIP
//! is not media (skipped, as a scan skips documents). A `.livp` whose comment disagrees with its
//! directory is read by its directory, with a note; one whose entries are compressed, or whose
//! halves carry two different content identifiers, is an error: never a false Live Photo.

use super::bytes::Source;
use super::error::{human_bytes, MetaError, Result};
use super::info::{ClipInfo, StillFormat, StillInfo};
use super::motion::{Container, Embedded};
use super::sniff::{sniff, Sniffed};
use super::{exif, heif, isobmff, png, quicktime};
use std::io::{self, Read, Seek, SeekFrom};

/// The end-of-central-directory record's signature (APPNOTE.TXT §4.3.16).
const END_RECORD: [u8; 4] = *b"PK\x05\x06";
/// The end record without its comment.
const END_LEN: u64 = 22;
/// A `.livp` comment: six fixed-width hex fields and the marker, 56 ASCII characters.
const COMMENT_LEN: u64 = 56;
/// The hex of ASCII `1000LIVP` that ends a `.livp` comment.
const MARKER: &[u8] = b"313030304C495650";
/// Entries a `.livp` may hold: its two, and what a Mac adds when one is re-zipped (`__MACOSX/`).
const MAX_ENTRIES: u64 = 16;
/// The most central directory a `.livp` needs (16 entries with long names).
const MAX_DIRECTORY: u64 = 64 * 1024;

/// A `.livp`'s Live Photo: the still and the clip, each a window of the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct Livp {
    pub still_format: StillFormat,
    pub still: StillInfo,
    pub still_at: Embedded,
    pub clip: ClipInfo,
    pub clip_at: Embedded,
    /// The comment's index disagrees with the directory (a hand-made or re-zipped archive).
    pub note: Option<String>,
}

/// Reads a ZIP as a `.livp`: `Ok(None)` for a ZIP that is not one (no marker, not named `.livp`).
pub fn read(src: &Source, named_livp: bool) -> Result<Option<Livp>> {
    let Some(end) = end_record(src)? else {
        return match named_livp {
            true => Err(MetaError::corrupt(
                "named .livp and starts like a ZIP, but has no ZIP end record where a .livp has it (its last 22 or 78 bytes)",
            )),
            false => Ok(None),
        };
    };
    let marked = end.comment.len() as u64 == COMMENT_LEN && end.comment.to_ascii_uppercase().ends_with(MARKER);
    if !marked && !named_livp {
        return Ok(None); // an ordinary ZIP: not a photo or video
    }
    end.check(src.len())?;
    let entries = entries(src, &end)?;
    let (still, clip) = halves(src, &entries)?;
    let note = marked.then(|| comment_note(&end.comment, &still, &clip)).flatten();
    build(src, still, clip, note).map(Some)
}

/// The end record's fields that matter here.
struct EndRecord {
    at: u64,
    entries: u64,
    directory_len: u64,
    directory_at: u64,
    comment: Vec<u8>,
}

/// The end record, where a `.livp` has it: the file's last 22 bytes (no comment) or last 78 (a
/// `.livp` comment). Looked for nowhere else: a ZIP with another comment is no `.livp`.
fn end_record(src: &Source) -> Result<Option<EndRecord>> {
    let tail_len = src.len().min(END_LEN + COMMENT_LEN);
    let tail = src.read_at(src.len() - tail_len, tail_len, "ZIP end record")?;
    for comment_len in [COMMENT_LEN, 0] {
        let Some(at) = tail.len().checked_sub((END_LEN + comment_len) as usize) else { continue };
        let r = &tail[at..];
        let u16_at = |p: usize| u64::from(u16::from_le_bytes([r[p], r[p + 1]]));
        let u32_at = |p: usize| u64::from(u32::from_le_bytes([r[p], r[p + 1], r[p + 2], r[p + 3]]));
        if r[..4] == END_RECORD && u16_at(20) == comment_len {
            let at = src.len() - tail_len + at as u64;
            let comment = r[END_LEN as usize..].to_vec();
            return Ok(Some(EndRecord { at, entries: u16_at(10), directory_len: u32_at(12), directory_at: u32_at(16), comment }));
        }
    }
    Ok(None)
}

impl EndRecord {
    /// The record's claims against the file, before the `zip` crate is handed the archive: a
    /// handful of entries, and a central directory that lies before the record.
    fn check(&self, file_len: u64) -> Result<()> {
        if self.entries == 0xFFFF || self.directory_at == 0xFFFF_FFFF {
            return Err(MetaError::corrupt("a .livp archive in ZIP64 form: a .livp holds one photo and one clip, never that much"));
        }
        if self.entries > MAX_ENTRIES {
            return Err(MetaError::corrupt(format!(
                "a .livp archive listing {} entries: a .livp holds a photo and its clip",
                self.entries
            )));
        }
        let ends = self.directory_at.checked_add(self.directory_len);
        if self.directory_len > MAX_DIRECTORY || ends.is_none_or(|e| e > self.at) {
            return Err(MetaError::corrupt(format!(
                "a .livp archive whose central directory ({} at offset {}) does not fit before its end record at {} in a {} file",
                human_bytes(self.directory_len),
                self.directory_at,
                self.at,
                human_bytes(file_len)
            )));
        }
        Ok(())
    }
}

/// One entry: its name, and where its bytes lie when they are stored.
struct Entry {
    name: String,
    stored: bool,
    data_at: u64,
    len: u64,
}

/// The archive's file entries (folders and a Mac's `__MACOSX/` and `._` companions left out).
fn entries(src: &Source, end: &EndRecord) -> Result<Vec<Entry>> {
    // the directory and the end record in one read: the zip crate's small reads are served from it
    src.read_at(end.directory_at, src.len() - end.directory_at, "ZIP central directory")?;
    let bad = |e: zip::result::ZipError| MetaError::corrupt(format!("a .livp archive whose ZIP directory cannot be read: {e}"));
    let mut zip = zip::ZipArchive::new(ZipSource { src, pos: 0 }).map_err(bad)?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(bad)?;
        let name = String::from_utf8_lossy(f.name_raw()).into_owned();
        let base = name.rsplit('/').next().unwrap_or("");
        if f.is_dir() || name.starts_with("__MACOSX/") || base.starts_with("._") {
            continue;
        }
        let stored = f.compression() == zip::CompressionMethod::Stored && f.size() == f.compressed_size();
        let data_at = f.data_start().ok_or_else(|| MetaError::corrupt(format!("a .livp entry '{name}' whose data cannot be found")))?;
        out.push(Entry { name, stored, data_at, len: f.compressed_size() });
    }
    Ok(out)
}

/// A `Read + Seek` view of a [`Source`] for the `zip` crate: every read bounded and counted.
struct ZipSource<'a> {
    src: &'a Source<'a>,
    pos: u64,
}

impl Read for ZipSource<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let data = self.src.read_upto(self.pos, buf.len() as u64, "ZIP archive").map_err(io::Error::other)?;
        buf[..data.len()].copy_from_slice(&data);
        self.pos += data.len() as u64;
        Ok(data.len())
    }
}

impl Seek for ZipSource<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.src.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the archive"))?;
        Ok(self.pos)
    }
}

/// An entry found to be the photo or the clip.
struct Half<'e> {
    entry: &'e Entry,
    kind: Sniffed,
}

/// The photo and the clip among the entries, each known by its first bytes: exactly one of each,
/// both stored (a compressed entry cannot be read in place).
fn halves<'e>(src: &Source, entries: &'e [Entry]) -> Result<(Half<'e>, Half<'e>)> {
    let (mut stills, mut clips) = (Vec::new(), Vec::new());
    for e in entries {
        if !e.stored {
            return Err(MetaError::corrupt(format!(
                "a .livp whose entry '{}' is compressed: livephoto reads a .livp's photo and clip in place, as Baidu Netdisk \
                 writes them (stored); unzip it and scan the folder",
                e.name
            )));
        }
        let head = src.read_upto(e.data_at, 64.min(e.len), "a .livp entry's first bytes")?;
        match sniff(&head) {
            k @ (Sniffed::Jpeg | Sniffed::Heif | Sniffed::Png) => stills.push(Half { entry: e, kind: k }),
            k @ Sniffed::Movie => clips.push(Half { entry: e, kind: k }),
            _ => {}
        }
    }
    if stills.len() != 1 || clips.len() != 1 {
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        return Err(MetaError::corrupt(format!(
            "a .livp holds one photo and its clip; this one holds {} photo(s) and {} movie(s) (entries: {})",
            stills.len(),
            clips.len(),
            if names.is_empty() { "none".to_string() } else { names.join(", ") }
        )));
    }
    Ok((stills.remove(0), clips.remove(0)))
}

/// Reads both halves' headers and ties them: by content identifier when both have one (two
/// different identifiers are two shots, an error), else by the archive.
fn build(src: &Source, still: Half<'_>, clip: Half<'_>, note: Option<String>) -> Result<Livp> {
    let in_entry = |e: &Entry, err: MetaError| MetaError::corrupt(format!("its entry '{}': {err}", e.name));
    let w = src.window(still.entry.data_at, still.entry.len)?;
    let (still_format, info) = match still.kind {
        Sniffed::Jpeg => (StillFormat::Jpeg, exif::read_jpeg(&w)),
        Sniffed::Heif => (StillFormat::Heif, heif::read_heif(&w)),
        _ => (StillFormat::Png, png::read_png(&w)),
    };
    let mut info = info.map_err(|e| in_entry(still.entry, e))?;
    // a motion photo's video inside an archive's photo is not how a .livp carries its clip
    info.motion = super::motion::Motion::default();
    let w = src.window(clip.entry.data_at, clip.entry.len)?;
    let clip_info = isobmff::top_level(&w).and_then(|top| quicktime::read_clip(&w, &top)).map_err(|e| in_entry(clip.entry, e))?;
    if let (Some(a), Some(b)) = (&info.shot.content_id, &clip_info.shot.content_id) {
        if a != b {
            return Err(MetaError::corrupt(format!(
                "its photo '{}' and clip '{}' carry different content identifiers ({a} and {b}): two shots, not one Live Photo",
                still.entry.name, clip.entry.name
            )));
        }
    }
    let at = |e: &Entry| Embedded { offset: e.data_at, len: e.len, container: Container::Livp };
    Ok(Livp { still_format, still: info, still_at: at(still.entry), clip: clip_info, clip_at: at(clip.entry), note })
}

/// The comment's index (photo type, offset, length; clip type, offset, length), checked against
/// the directory: `Some` note when they disagree, the directory being what is believed.
fn comment_note(comment: &[u8], still: &Half<'_>, clip: &Half<'_>) -> Option<String> {
    let text = std::str::from_utf8(comment).ok()?;
    let field = |from: usize, len: usize| text.get(from..from + len).and_then(|h| u64::from_str_radix(h, 16).ok());
    let said = [field(4, 8), field(12, 8), field(24, 8), field(32, 8)];
    let found = [still.entry.data_at, still.entry.len, clip.entry.data_at, clip.entry.len].map(Some);
    let kind_ok = match (field(0, 4), still.kind) {
        (Some(2), Sniffed::Heif) | (Some(5), Sniffed::Jpeg) => true,
        (Some(2 | 5), _) | (None, _) => false,
        (Some(_), _) => true, // a type this reader does not know: not a contradiction
    };
    if said == found && kind_ok {
        return None;
    }
    let n = |v: Option<u64>| v.map_or_else(|| "?".to_string(), |v| v.to_string());
    Some(format!(
        "its comment (the .livp index: photo at {}, {} bytes; clip at {}, {} bytes) does not match its entries \
         (photo at {}, {} bytes; clip at {}, {} bytes): read by its ZIP directory",
        n(said[0]),
        n(said[1]),
        n(said[2]),
        n(said[3]),
        n(found[0]),
        n(found[1]),
        n(found[2]),
        n(found[3])
    ))
}
