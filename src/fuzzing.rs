//! The parsers the fuzz targets (fuzz/) and the robustness tests drive directly, each as one
//! call on untrusted bytes whose result is thrown away: they must return, never panic, and hold
//! memory in proportion to the input. Not an API for anything else.

use crate::meta::{isobmff, makernote, quicktime};

/// The whole per-file metadata read, as `scan` runs it on a file named `name`.
pub fn read_media(data: &[u8], name: &str) {
    let _ = crate::meta::read_media_bytes(data, name);
}

/// The file-kind sniffer.
pub fn sniff(data: &[u8]) {
    let _ = crate::meta::sniff(data);
}

/// The ISO-BMFF/QuickTime box walker and everything under `moov` (keys, ilst, udta, mebx keys,
/// still-image-time, track tables), on every `moov` found and on the bytes as a `moov` body.
pub fn box_walker(data: &[u8]) {
    fn walk(data: &[u8], depth: u32) {
        if depth > 8 {
            return;
        }
        for b in isobmff::boxes(data).flatten() {
            if &b.kind == b"moov" {
                let _ = quicktime::read_moov(b.body);
            }
            walk(isobmff::meta_children(b.body), depth + 1);
        }
    }
    walk(data, 0);
    let _ = quicktime::read_moov(data);
}

/// The Apple MakerNote IFD reader and identifier normalisation.
pub fn makernote(data: &[u8]) {
    let _ = makernote::apple_content_id(data);
    let _ = makernote::normalize_content_id(&String::from_utf8_lossy(data));
}
