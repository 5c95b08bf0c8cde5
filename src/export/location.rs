//! Location where players read it (docs/formats.md "Location in MP4s"). FFmpeg's MP4 muxer writes
//! a place only as a 3GPP `loci` box, which neither Android's media scanner nor Apple reads. After
//! the muxer is done, the `moov` box gains:
//! - `udta/©xyz`: the ISO 6709 string, as Android's `MediaMetadataRetriever`
//!   (`METADATA_KEY_LOCATION`), Google Photos and exiftool's `UserData:GPSCoordinates` read it;
//! - a `meta` box with an `mdta` handler, `keys` and `ilst` holding
//!   `com.apple.quicktime.location.ISO6709`, as iPhones write it (exiftool's `Keys:GPSCoordinates`).
//!
//! When `moov` comes before `mdat` (`+faststart`), every chunk offset (`stco`, `co64`) moves by
//! what `moov` grew.

use super::error::JobError;
use crate::meta::bytes::Source;
use crate::meta::isobmff::{self, boxed};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

/// QuickTime's language code for the `©xyz` string, as iPhones write it.
const LANGUAGE: u16 = 0x15C7;

/// Adds the location (an ISO 6709 string such as `+35.7143+139.7964+007.400/`) to the MP4 in
/// `file`, rewriting it in place.
pub fn add_to_file(file: &mut File, iso6709: &str) -> Result<(), JobError> {
    let mut mp4 = Vec::new();
    file.rewind()?;
    file.read_to_end(&mut mp4).map_err(JobError::io("cannot read back the MP4"))?;
    let out = with_location(&mp4, iso6709)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&out)?;
    file.set_len(out.len() as u64)?;
    file.flush()?;
    Ok(())
}

/// `mp4` with the location boxes in its `moov` (see the module's doc).
pub fn with_location(mp4: &[u8], iso6709: &str) -> Result<Vec<u8>, JobError> {
    let bad = |e: crate::meta::MetaError| JobError::Media(format!("cannot add the location to the MP4: {e}"));
    let top = isobmff::top_level(&Source::from_bytes(mp4)).map_err(bad)?;
    let moov = top.iter().find(|b| &b.kind == b"moov").ok_or_else(|| JobError::Media("the MP4 has no 'moov' box".into()))?;
    let mdat_after = top.iter().any(|b| &b.kind == b"mdat" && b.offset > moov.offset);
    let (start, body_at, end) = (moov.offset as usize, moov.body_offset as usize, (moov.body_offset + moov.body_len) as usize);
    let mut body = mp4[body_at..end].to_vec();
    let xyz = boxed(b"\xA9xyz", &[&(iso6709.len() as u16).to_be_bytes()[..], &LANGUAGE.to_be_bytes(), iso6709.as_bytes()].concat());
    let keys_meta = mdta_meta(&[(mdta_key("com.apple.quicktime.location.ISO6709"), utf8_value(iso6709))]);
    let has_udta = isobmff::find(&body, b"udta").map_err(bad)?.is_some();
    let grown = xyz.len() + keys_meta.len() + if has_udta { 0 } else { 8 };
    // a 64-bit moov header keeps its size; a 32-bit one must still fit
    let new_len = (end - start) + grown;
    if new_len > u32::MAX as usize {
        return Err(JobError::Media("the MP4's 'moov' box is too large to add a location".into()));
    }
    if mdat_after {
        shift_chunk_offsets(&mut body, grown as u64).map_err(bad)?;
    }
    let mut children = Vec::with_capacity(body.len() + grown);
    let mut placed = false;
    for b in isobmff::boxes(&body) {
        let b = b.map_err(bad)?;
        if &b.kind == b"udta" && !placed {
            children.extend_from_slice(&boxed(b"udta", &[b.body, &xyz].concat()));
            placed = true;
        } else {
            children.extend_from_slice(&boxed(&b.kind, b.body));
        }
    }
    if !placed {
        children.extend_from_slice(&boxed(b"udta", &xyz));
    }
    children.extend_from_slice(&keys_meta);
    let mut out = Vec::with_capacity(mp4.len() + grown);
    out.extend_from_slice(&mp4[..start]);
    out.extend_from_slice(&boxed(b"moov", &children));
    out.extend_from_slice(&mp4[end..]);
    Ok(out)
}

/// A `meta` box with an `mdta` handler, `keys` and `ilst` (QTFF "Metadata atoms and types"):
/// each key (its namespace and name, [`mdta_key`]) with its `ilst` item's body ([`utf8_value`]).
pub(super) fn mdta_meta(items: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let hdlr = boxed(b"hdlr", &[&[0u8; 8][..], b"mdta", &[0; 12], &[0]].concat());
    let mut keys = vec![0, 0, 0, 0];
    keys.extend_from_slice(&(items.len() as u32).to_be_bytes());
    let mut ilst = Vec::new();
    for (i, (key, value)) in items.iter().enumerate() {
        keys.extend_from_slice(&((key.len() + 4) as u32).to_be_bytes());
        keys.extend_from_slice(key);
        ilst.extend_from_slice(&boxed(&(i as u32 + 1).to_be_bytes(), value));
    }
    // QuickTime's `meta` is a plain container (no version and flags), as iPhones write it in `moov`
    boxed(b"meta", &[hdlr, boxed(b"keys", &keys), boxed(b"ilst", &ilst)].concat())
}

/// A key in the `mdta` namespace, as `keys` holds it.
pub(super) fn mdta_key(name: &str) -> Vec<u8> {
    [&b"mdta"[..], name.as_bytes()].concat()
}

/// An `ilst` item's body holding one UTF-8 value (well-known type 1, locale 0).
pub(super) fn utf8_value(v: &str) -> Vec<u8> {
    boxed(b"data", &[&1u32.to_be_bytes()[..], &[0; 4], v.as_bytes()].concat())
}

/// Adds `by` to every chunk offset of every track in a `moov` body, in place.
fn shift_chunk_offsets(moov_body: &mut [u8], by: u64) -> Result<(), crate::meta::MetaError> {
    let mut tables = Vec::new();
    for trak in isobmff::boxes(moov_body) {
        let trak = trak?;
        if &trak.kind != b"trak" {
            continue;
        }
        let Some(stbl) = isobmff::find_path(trak.body, &[b"mdia", b"minf", b"stbl"])? else { continue };
        for b in isobmff::boxes(stbl.body) {
            let b = b?;
            if matches!(&b.kind, b"stco" | b"co64") {
                let at = b.body.as_ptr() as usize - moov_body.as_ptr() as usize;
                tables.push((at, b.body.len(), &b.kind == b"co64"));
            }
        }
    }
    let overflow = || crate::meta::MetaError::corrupt("a chunk offset overflows when moved");
    for (at, len, wide) in tables {
        let table = &mut moov_body[at..at + len];
        let offsets = chunk_offsets(table, wide)?;
        let width = if wide { 8 } else { 4 };
        for (e, old) in table[8..].chunks_exact_mut(width).zip(offsets) {
            let v = old.checked_add(by).ok_or_else(overflow)?;
            match wide {
                true => e.copy_from_slice(&v.to_be_bytes()),
                false => e.copy_from_slice(&u32::try_from(v).map_err(|_| overflow())?.to_be_bytes()),
            }
        }
    }
    Ok(())
}

/// The entries of a chunk offset table (the body of an `stco` box, or of a `co64` one when
/// `wide`; ISO/IEC 14496-12 §8.7.5), checked against the box's bytes.
pub(super) fn chunk_offsets(body: &[u8], wide: bool) -> Result<Vec<u64>, crate::meta::MetaError> {
    let count = body.get(4..8).map_or(0, |c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])) as usize;
    let width = if wide { 8 } else { 4 };
    let table = body.get(8..).unwrap_or(&[]);
    if count.saturating_mul(width) > table.len() {
        return Err(crate::meta::MetaError::corrupt("a chunk offset table claims more entries than it holds"));
    }
    Ok(table[..count * width]
        .chunks_exact(width)
        .map(|e| {
            if wide {
                u64::from_be_bytes(e.try_into().unwrap_or([0; 8]))
            } else {
                u64::from(u32::from_be_bytes(e.try_into().unwrap_or([0; 4])))
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ftyp, moov (one track whose stco points at the mdat's two samples), mdat.
    fn mp4() -> Vec<u8> {
        let ftyp = boxed(b"ftyp", b"isom\0\0\0\0isom");
        let moov_for = |a: u32, b: u32| {
            let stco = boxed(b"stco", &[&[0u8; 4][..], &2u32.to_be_bytes(), &a.to_be_bytes(), &b.to_be_bytes()].concat());
            let trak = boxed(b"trak", &boxed(b"mdia", &boxed(b"minf", &boxed(b"stbl", &stco))));
            boxed(b"moov", &[boxed(b"mvhd", &[0; 100]), trak, boxed(b"udta", &boxed(b"loci", b"x"))].concat())
        };
        let head = ftyp.len() + moov_for(0, 0).len() + 8;
        let mdat = boxed(b"mdat", b"AAAABBBB");
        [ftyp, moov_for(head as u32, head as u32 + 4), mdat].concat()
    }

    fn samples(file: &[u8]) -> Vec<Vec<u8>> {
        let moov = isobmff::find(file, b"moov").unwrap().unwrap();
        let stco = isobmff::find_path(moov.body, &[b"trak", b"mdia", b"minf", b"stbl", b"stco"]).unwrap().unwrap();
        stco.body[8..].chunks(4).map(|c| u32::from_be_bytes(c.try_into().unwrap()) as usize).map(|o| file[o..o + 4].to_vec()).collect()
    }

    #[test]
    fn the_location_goes_in_udta_and_keys_and_the_samples_stay_found() {
        let before = mp4();
        assert_eq!(samples(&before), [b"AAAA".to_vec(), b"BBBB".to_vec()]);
        let after = with_location(&before, "+35.7143+139.7964+007.400/").unwrap();
        assert_eq!(samples(&after), [b"AAAA".to_vec(), b"BBBB".to_vec()], "chunk offsets follow the moved mdat");
        let moov = isobmff::find(&after, b"moov").unwrap().unwrap();
        let xyz = isobmff::find_path(moov.body, &[b"udta", b"\xA9xyz"]).unwrap().unwrap();
        assert_eq!(&xyz.body[4..], b"+35.7143+139.7964+007.400/");
        assert!(isobmff::find_path(moov.body, &[b"udta", b"loci"]).unwrap().is_some(), "what was there stays");
        let meta = isobmff::find(moov.body, b"meta").unwrap().unwrap();
        let keys = isobmff::find(meta.body, b"keys").unwrap().unwrap();
        assert!(keys.body.ends_with(b"mdtacom.apple.quicktime.location.ISO6709"));
    }
}
