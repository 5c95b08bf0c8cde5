//! The content identifier written into a still's EXIF block (docs/formats.md "The identifier in
//! the still", "Writing a Live Photo"): Apple MakerNote tag `0x0011`, set by adding to the TIFF
//! structure, never by moving what is there. Every offset in the block stays valid, whatever
//! the makers' notes inside hold, because:
//! - the new MakerNote is appended at the end and the Exif IFD's `0x927C` entry is pointed at it;
//! - an IFD that needs a new entry (no MakerNote yet, no Exif IFD yet) is copied to the end with
//!   the entry added, and the one pointer to it is changed.
//!
//! An Apple MakerNote that is there is rebuilt with its entries and values (its offsets count
//! from its own first byte, so it can move); any other maker's note is replaced.

use crate::meta::bytes::Endian;

const MAKERNOTE: u16 = 0x927C;
const EXIF_IFD: u16 = 0x8769;
const CONTENT_ID: u16 = 0x0011;
const ASCII: u16 = 2;
const LONG: u16 = 4;
const UNDEFINED: u16 = 7;
/// The header of an Apple MakerNote before its IFD: `Apple iOS\0`, version `00 01`, byte order.
const APPLE_HEADER: &[u8; 14] = b"Apple iOS\0\0\x01MM";
/// Entries read from one IFD at most (real ones have a few dozen).
const MAX_ENTRIES: usize = 1024;

/// One IFD entry: tag, type, count and its 4-byte value field as stored.
#[derive(Clone, Copy)]
struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    field: [u8; 4],
}

/// `tiff` (a TIFF header and its IFDs, as in a JPEG's `Exif` segment or a HEIF `Exif` item) with
/// its Apple MakerNote's content identifier set to `id`; a fresh block holding only that when
/// there is none (or it cannot be read). Errors say why the block cannot be edited.
pub fn with_content_id(tiff: Option<&[u8]>, id: &str) -> Result<Vec<u8>, String> {
    let tiff = tiff.filter(|t| t.starts_with(b"MM\0*") || t.starts_with(b"II*\0"));
    let old_note = tiff.and_then(|t| {
        let e = Endian { big: t.starts_with(b"MM") };
        let (_, exif) = exif_ifd(t, e)?;
        let (_, entries) = exif?;
        let note = entries.iter().find(|x| x.tag == MAKERNOTE).and_then(|x| value(t, x, e, 0))?;
        note.starts_with(b"Apple iOS\0").then(|| note.to_vec())
    });
    let note = makernote(old_note.as_deref(), id);
    with_exif_entries(tiff, &[(MAKERNOTE, UNDEFINED, note)])
}

/// The capture time a still's EXIF lacks: `DateTimeOriginal` (0x9003) and, with an offset,
/// `OffsetTimeOriginal` (0x9011) in the Exif IFD, added to `tiff` (or a fresh block).
pub fn with_capture_time(tiff: Option<&[u8]>, t: crate::meta::CaptureTime) -> Result<Vec<u8>, String> {
    let iso = t.to_rfc3339();
    let local = iso.get(..19).ok_or("a capture time too short to write")?.replacen('-', ":", 2).replacen('T', " ", 1);
    let mut added = vec![(0x9003, ASCII, [local.as_bytes(), b"\0"].concat())];
    if let Some(o) = t.offset_s {
        let a = o.unsigned_abs();
        let offset = format!("{}{:02}:{:02}\0", if o < 0 { '-' } else { '+' }, a / 3600, a / 60 % 60);
        added.push((0x9011, ASCII, offset.into_bytes()));
    }
    with_exif_entries(tiff.filter(|t| t.starts_with(b"MM\0*") || t.starts_with(b"II*\0")), &added)
}

/// IFD0's offset, and the Exif IFD's (offset, entries) when IFD0 points at a readable one.
type ExifIfd = (usize, Option<(usize, Vec<Entry>)>);

fn exif_ifd(tiff: &[u8], e: Endian) -> Option<ExifIfd> {
    let ifd0 = e.u32_at(tiff, 4)? as usize;
    let entries = read_ifd(tiff, ifd0, e)?;
    let at = entries.iter().find(|x| x.tag == EXIF_IFD).map(|x| e.u32_at(&x.field, 0).unwrap_or(0) as usize);
    Some((ifd0, at.and_then(|at| Some((at, read_ifd(tiff, at, e)?)))))
}

/// `tiff` with `added` (tag, type, value) set in its Exif IFD, by adding to the structure, never
/// by moving what is there: each value is appended and its entry pointed at it, in place when the
/// tag is there, else in a copy of the IFD (appended, and IFD0's one pointer to it changed). A
/// fresh block when there is none.
pub fn with_exif_entries(tiff: Option<&[u8]>, added: &[(u16, u16, Vec<u8>)]) -> Result<Vec<u8>, String> {
    let Some(tiff) = tiff else { return Ok(fresh(added)) };
    let e = Endian { big: tiff.starts_with(b"MM") };
    let mut out = tiff.to_vec();
    let (ifd0, exif) = exif_ifd(tiff, e).ok_or("the EXIF block's first IFD lies outside it")?;
    let ifd0_entries = read_ifd(tiff, ifd0, e).ok_or("the EXIF block's first IFD lies outside it")?;
    let ifd0_next = e.u32_at(tiff, ifd0 + 2 + 12 * ifd0_entries.len()).unwrap_or(0);
    let mut entries = Vec::new();
    for (tag, typ, v) in added {
        let field = match v.len() {
            0..=4 => {
                let mut f = [0; 4];
                f[..v.len()].copy_from_slice(v);
                f
            }
            _ => e.u32_bytes(append(&mut out, v)? as u32),
        };
        entries.push(Entry { tag: *tag, typ: *typ, count: count_of(*typ, v.len()), field });
    }
    match exif {
        Some((at, old)) if entries.iter().all(|x| old.iter().any(|o| o.tag == x.tag)) => {
            // every entry is there: pointed at the new values in place
            for x in entries {
                let i = old.iter().position(|o| o.tag == x.tag).unwrap_or(0);
                write_entry(&mut out, at + 2 + 12 * i, x, e);
            }
        }
        Some((at, old)) => {
            let next = e.u32_at(tiff, at + 2 + 12 * old.len()).unwrap_or(0);
            let merged = entries.into_iter().fold(old, with_entry);
            let new_exif = append(&mut out, &ifd_bytes(&merged, next, e))?;
            let i = ifd0_entries.iter().position(|x| x.tag == EXIF_IFD).unwrap_or(0);
            write_entry(&mut out, ifd0 + 2 + 12 * i, Entry { field: e.u32_bytes(new_exif as u32), ..ifd0_entries[i] }, e);
        }
        None => {
            // no (readable) Exif IFD: a new one, and a copy of IFD0 that points at it
            let new_exif = append(&mut out, &ifd_bytes(&entries, 0, e))?;
            let pointer = Entry { tag: EXIF_IFD, typ: LONG, count: 1, field: e.u32_bytes(new_exif as u32) };
            let kept: Vec<Entry> = ifd0_entries.into_iter().filter(|x| x.tag != EXIF_IFD).collect();
            let new_ifd0 = append(&mut out, &ifd_bytes(&with_entry(kept, pointer), ifd0_next, e))?;
            out[4..8].copy_from_slice(&e.u32_bytes(new_ifd0 as u32));
        }
    }
    Ok(out)
}

/// An entry's count: its value's length in units of its type.
fn count_of(typ: u16, len: usize) -> u32 {
    let unit = match typ {
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => 1,
    };
    (len / unit) as u32
}

/// A TIFF block holding only an Exif IFD with `added` (for a still without EXIF).
fn fresh(added: &[(u16, u16, Vec<u8>)]) -> Vec<u8> {
    let e = Endian { big: true };
    let mut out = b"MM\0*\0\0\0\x08".to_vec();
    // IFD0 at 8 (one entry: the Exif IFD at 26), the Exif IFD, then the values that do not fit
    out.extend_from_slice(&ifd_bytes(&[Entry { tag: EXIF_IFD, typ: LONG, count: 1, field: e.u32_bytes(26) }], 0, e));
    let mut sorted: Vec<&(u16, u16, Vec<u8>)> = added.iter().collect();
    sorted.sort_by_key(|a| a.0);
    let data_start = 26 + 2 + 12 * sorted.len() + 4;
    let mut data = Vec::new();
    let mut entries = Vec::new();
    for (tag, typ, v) in sorted {
        let field = if v.len() <= 4 {
            let mut f = [0; 4];
            f[..v.len()].copy_from_slice(v);
            f
        } else {
            let f = e.u32_bytes((data_start + data.len()) as u32);
            data.extend_from_slice(v);
            if v.len() % 2 == 1 {
                data.push(0);
            }
            f
        };
        entries.push(Entry { tag: *tag, typ: *typ, count: count_of(*typ, v.len()), field });
    }
    out.extend_from_slice(&ifd_bytes(&entries, 0, e));
    out.extend_from_slice(&data);
    out
}

/// An Apple MakerNote with tag `0x0011` = `id`: `old`'s entries and values kept (in its byte
/// order), or a new note holding the identifier only.
pub fn makernote(old: Option<&[u8]>, id: &str) -> Vec<u8> {
    let (header, e, mut entries) = match old.and_then(apple_entries) {
        Some((e, entries)) => (old.map_or(*APPLE_HEADER, |o| o[..14].try_into().unwrap_or(*APPLE_HEADER)), e, entries),
        None => (*APPLE_HEADER, Endian { big: true }, Vec::new()),
    };
    let mut text = id.as_bytes().to_vec();
    text.push(0);
    entries.retain(|(x, _)| x.tag != CONTENT_ID);
    let at = entries.partition_point(|(x, _)| x.tag < CONTENT_ID);
    entries.insert(at, (Entry { tag: CONTENT_ID, typ: ASCII, count: text.len() as u32, field: [0; 4] }, text));
    // header, the IFD (count, entries, next = 0), then the values that do not fit in 4 bytes
    let mut out = header.to_vec();
    let mut data_at = 14 + 2 + 12 * entries.len() + 4;
    let mut data = Vec::new();
    out.extend_from_slice(&e.u16_bytes(entries.len() as u16));
    for (x, v) in &entries {
        let field = if v.len() <= 4 {
            let mut f = [0; 4];
            f[..v.len()].copy_from_slice(v);
            f
        } else {
            let f = e.u32_bytes(data_at as u32);
            data.extend_from_slice(v);
            if v.len() % 2 == 1 {
                data.push(0);
            }
            data_at = 14 + 2 + 12 * entries.len() + 4 + data.len();
            f
        };
        out.extend_from_slice(&e.u16_bytes(x.tag));
        out.extend_from_slice(&e.u16_bytes(x.typ));
        out.extend_from_slice(&e.u32_bytes(x.count));
        out.extend_from_slice(&field);
    }
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&data);
    out
}

/// Entries with their values.
type Valued = Vec<(Entry, Vec<u8>)>;

/// An Apple MakerNote's entries with their values (offsets count from the note's first byte);
/// entries whose values lie outside it are left out.
fn apple_entries(note: &[u8]) -> Option<(Endian, Valued)> {
    let e = crate::meta::makernote::apple_order(note)?;
    let entries = read_ifd(note, 14, e)?;
    Some((e, entries.iter().filter_map(|x| Some((*x, value(note, x, e, 0)?.to_vec()))).collect()))
}

/// The IFD at `at`: its entries, or `None` when it does not fit in `data`.
fn read_ifd(data: &[u8], at: usize, e: Endian) -> Option<Vec<Entry>> {
    let n = usize::from(e.u16_at(data, at)?);
    if n > MAX_ENTRIES || at + 2 + 12 * n + 4 > data.len() {
        return None;
    }
    let entry = |p: usize| Entry {
        tag: e.u16_at(data, p).unwrap_or(0),
        typ: e.u16_at(data, p + 2).unwrap_or(0),
        count: e.u32_at(data, p + 4).unwrap_or(0),
        field: data[p + 8..p + 12].try_into().unwrap_or([0; 4]),
    };
    Some((0..n).map(|i| entry(at + 2 + 12 * i)).collect())
}

/// An entry's value bytes: in its field when they fit, else at its offset (from `base`).
fn value<'a>(data: &'a [u8], x: &'a Entry, e: Endian, base: usize) -> Option<&'a [u8]> {
    let size = match x.typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => return Some(&x.field), // an unknown type: its field, as it is
    };
    let len = (x.count as usize).checked_mul(size)?;
    if len <= 4 {
        return x.field.get(..len);
    }
    let at = base.checked_add(e.u32_at(&x.field, 0)? as usize)?;
    data.get(at..at.checked_add(len)?)
}

/// `entries` with `new` added in tag order.
fn with_entry(mut entries: Vec<Entry>, new: Entry) -> Vec<Entry> {
    entries.retain(|x| x.tag != new.tag);
    let at = entries.partition_point(|x| x.tag < new.tag);
    entries.insert(at, new);
    entries
}

/// An IFD (count, entries, next-IFD offset); the entries' fields as they are.
fn ifd_bytes(entries: &[Entry], next: u32, e: Endian) -> Vec<u8> {
    let mut out = e.u16_bytes(entries.len() as u16).to_vec();
    for x in entries {
        out.extend_from_slice(&e.u16_bytes(x.tag));
        out.extend_from_slice(&e.u16_bytes(x.typ));
        out.extend_from_slice(&e.u32_bytes(x.count));
        out.extend_from_slice(&x.field);
    }
    out.extend_from_slice(&e.u32_bytes(next));
    out
}

fn write_entry(out: &mut [u8], at: usize, x: Entry, e: Endian) {
    let bytes = ifd_bytes(&[x], 0, e);
    out[at..at + 12].copy_from_slice(&bytes[2..14]);
}

/// Appends `bytes` at an even offset; returns where they start.
fn append(out: &mut Vec<u8>, bytes: &[u8]) -> Result<usize, String> {
    if out.len() % 2 == 1 {
        out.push(0);
    }
    let at = out.len();
    if at + bytes.len() > u32::MAX as usize {
        return Err("the EXIF block is too large".into());
    }
    out.extend_from_slice(bytes);
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::makernote::apple_content_id;

    const ID: &str = "0B3A4D6E-1C2F-4A5B-9C8D-7E6F5A4B3C2D";

    /// The content identifier as the scanner reads it from a TIFF block (kamadak-exif finds the
    /// MakerNote, the scanner's own reader finds tag 0x0011).
    fn read_id(tiff: &[u8]) -> Option<String> {
        let exif = exif::Reader::new().read_raw(tiff.to_vec()).ok()?;
        let note = exif.get_field(exif::Tag::MakerNote, exif::In::PRIMARY)?;
        match &note.value {
            exif::Value::Undefined(b, _) => apple_content_id(b),
            _ => None,
        }
    }

    fn tiff(big: bool, exif_entries: &[(u16, u16, u32, [u8; 4])], extra: &[u8]) -> Vec<u8> {
        let e = Endian { big };
        let mut t = if big { b"MM\0*".to_vec() } else { b"II*\0".to_vec() };
        t.extend_from_slice(&e.u32_bytes(8));
        // IFD0: Make (ASCII "Apple", out of line at 38) and the Exif IFD pointer (at 44)
        let ifd0 = [
            Entry { tag: 0x010F, typ: ASCII, count: 6, field: e.u32_bytes(38) },
            Entry { tag: EXIF_IFD, typ: LONG, count: 1, field: e.u32_bytes(44) },
        ];
        t.extend_from_slice(&ifd_bytes(&ifd0, 0, e));
        t.extend_from_slice(b"Apple\0");
        let entries: Vec<Entry> = exif_entries.iter().map(|&(tag, typ, count, field)| Entry { tag, typ, count, field }).collect();
        t.extend_from_slice(&ifd_bytes(&entries, 0, e));
        t.extend_from_slice(extra);
        t
    }

    #[test]
    fn an_apple_note_keeps_its_entries_and_gains_the_identifier() {
        for big in [true, false] {
            let e = Endian { big };
            // MakerNote with tag 0x0008 (3 rationals, out of line) and an old identifier
            let mut note = APPLE_HEADER.to_vec();
            note[12..14].copy_from_slice(if big { b"MM" } else { b"II" });
            let old_id = b"11111111-2222-3333-4444-555555555555\0";
            let entries = [
                Entry { tag: 0x0008, typ: 10, count: 3, field: e.u32_bytes(14 + 2 + 24 + 4) },
                Entry { tag: CONTENT_ID, typ: ASCII, count: old_id.len() as u32, field: e.u32_bytes(14 + 2 + 24 + 4 + 24) },
            ];
            note.extend_from_slice(&ifd_bytes(&entries, 0, e));
            note.extend_from_slice(&(1..=6u32).flat_map(|v| e.u32_bytes(v)).collect::<Vec<_>>());
            note.extend_from_slice(old_id);
            let exif_ifd_len = 2 + 12 + 4;
            let t = tiff(big, &[(MAKERNOTE, UNDEFINED, note.len() as u32, e.u32_bytes((44 + exif_ifd_len) as u32))], &note);
            assert_eq!(read_id(&t).as_deref(), Some("11111111-2222-3333-4444-555555555555"));
            let out = with_content_id(Some(&t), ID).unwrap();
            assert_eq!(read_id(&out).as_deref(), Some(ID));
            // the MakerNote entry (at 44 + 2) changes its count and offset only
            let (entry, end) = (44 + 2, t.len() - note.len());
            assert_eq!(
                (&out[..entry + 4], &out[entry + 12..end]),
                (&t[..entry + 4], &t[entry + 12..end]),
                "only the MakerNote entry changes"
            );
            assert_eq!(e.u32_at(&out, entry + 8), Some((t.len() + t.len() % 2) as u32), "it points past the old block, at an even offset");
            let (_, kept) = apple_entries(&out[t.len() + t.len() % 2..]).unwrap();
            assert_eq!(kept[0].1, (1..=6u32).flat_map(|v| e.u32_bytes(v)).collect::<Vec<_>>(), "tag 8 kept");
        }
    }

    #[test]
    fn an_exif_ifd_without_a_note_is_copied_with_one() {
        let t = tiff(true, &[(0x9003, ASCII, 4, *b"abc\0")], &[]);
        let out = with_content_id(Some(&t), ID).unwrap();
        assert_eq!(read_id(&out).as_deref(), Some(ID));
        let exif = exif::Reader::new().read_raw(out.clone()).unwrap();
        assert_eq!(exif.get_field(exif::Tag::Make, exif::In::PRIMARY).unwrap().display_value().to_string(), "\"Apple\"");
        assert!(exif.get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY).is_some(), "the Exif IFD's own entries stay");
        assert_eq!(&out[..22], &t[..22], "the header and IFD0's other entry are untouched");
        assert_eq!(&out[..t.len()][34..], &t[34..], "only the Exif IFD pointer changes");
    }

    #[test]
    fn no_exif_ifd_or_no_exif_at_all_gets_one() {
        let e = Endian { big: false };
        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&e.u32_bytes(8));
        t.extend_from_slice(&ifd_bytes(&[Entry { tag: 0x010F, typ: ASCII, count: 4, field: *b"LG \0" }], 0, e));
        let out = with_content_id(Some(&t), ID).unwrap();
        assert_eq!(read_id(&out).as_deref(), Some(ID));
        let exif = exif::Reader::new().read_raw(out).unwrap();
        assert!(exif.get_field(exif::Tag::Make, exif::In::PRIMARY).is_some());
        assert_eq!(read_id(&with_content_id(None, ID).unwrap()).as_deref(), Some(ID));
        assert_eq!(read_id(&with_content_id(Some(b"junk"), ID).unwrap()).as_deref(), Some(ID));
    }

    #[test]
    fn hostile_blocks_do_not_panic() {
        for n in 0..64usize {
            let mut t = tiff(true, &[(MAKERNOTE, UNDEFINED, 0xFFFF_FFF0, [0, 0, 0, 50])], b"Apple iOS\0\0\x01MM\xFF\xFF");
            t.truncate(t.len().saturating_sub(n));
            let _ = with_content_id(Some(&t), ID);
        }
        let _ = makernote(Some(b"Apple iOS\0\0\x01MM\0\x05"), ID);
    }
}
