//! What a file is, told from its first bytes (never from its name: Google Takeout writes clips
//! behind `.HEIC` names, docs/formats.md "Where exports break pairs").

use super::png;

/// A ZIP's first bytes (a local file header): a `.livp` archive starts with them.
pub const ZIP_SIGNATURE: [u8; 4] = *b"PK\x03\x04";

/// What the first bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Jpeg,
    Heif,
    Png,
    Movie,
    /// macOS "._" resource-fork companions: never media, whatever their name.
    AppleDouble,
    /// A ZIP archive: a `.livp` Live Photo, or not media at all.
    Zip,
    Other,
}

const HEIF_BRANDS: [&[u8; 4]; 10] = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"];
const MOVIE_BRANDS: [&[u8; 4]; 8] = [b"qt  ", b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"M4V ", b"3gp4"];

/// Decides a file's kind from its first bytes.
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Jpeg;
    }
    if head.starts_with(&png::SIGNATURE) {
        return Sniffed::Png;
    }
    if head.starts_with(&[0x00, 0x05, 0x16, 0x07]) {
        return Sniffed::AppleDouble;
    }
    if head.starts_with(&ZIP_SIGNATURE) {
        return Sniffed::Zip;
    }
    if head.len() < 12 {
        return Sniffed::Other;
    }
    let kind = &head[4..8];
    if kind == b"ftyp" {
        let size = (u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize).min(head.len());
        let major: &[u8] = &head[8..12];
        let compat = head.get(16..size).unwrap_or(&[]);
        let has = |set: &[&[u8; 4]], b: &[u8]| set.iter().any(|x| &x[..] == b);
        if has(&HEIF_BRANDS, major) {
            return Sniffed::Heif;
        }
        if has(&MOVIE_BRANDS, major) {
            return Sniffed::Movie;
        }
        if compat.chunks_exact(4).any(|c| has(&HEIF_BRANDS, c)) {
            return Sniffed::Heif;
        }
        return Sniffed::Movie;
    }
    if [&b"wide"[..], b"mdat", b"moov", b"free", b"skip", b"pnot"].contains(&kind) {
        return Sniffed::Movie;
    }
    Sniffed::Other
}
