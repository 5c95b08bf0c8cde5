//! The names pairing compares: a file's name in upper case, and the stem a still and its clip
//! share once exports' decorations (extensions, `_HEVC`, copy counters) are removed.

use std::path::Path;

/// A file's name in upper case: pairing compares names case-insensitively.
pub(super) fn upper_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().to_uppercase()).unwrap_or_default()
}

/// The name without extensions and the iCloud `_HEVC` marker, copy counters kept: among
/// duplicates, `IMG_1 2.HEIC` belongs with `IMG_1 2.MOV` before `IMG_1.MOV`. Takes and gives
/// an upper-case name.
pub(super) fn plain_stem(name: &str) -> &str {
    let mut s = name;
    while let Some(dot) = s.rfind('.').filter(|&d| d > 0) {
        s = &s[..dot];
    }
    s.strip_suffix("_HEVC").unwrap_or(s)
}

/// The name a still and its clip share once exports' decorations are removed:
/// `IMG_1234.HEIC`, `IMG_1234_HEVC.MOV`, `IMG_1234(1).HEIC`, `IMG_1234 2.mov`, `IMG_1234-2.JPG`,
/// `IMG_1234.HEIC.MOV` all give `IMG_1234`. Case-insensitive.
pub fn stem_key(path: &Path) -> String {
    stem_of(&upper_name(path)).to_string()
}

/// [`stem_key`] of an upper-case name.
pub(super) fn stem_of(name: &str) -> &str {
    let mut s = name;
    loop {
        let before = s;
        for ext in [".JPG", ".JPEG", ".HEIC", ".HEIF", ".MOV", ".MP4", ".QT"] {
            s = s.strip_suffix(ext).unwrap_or(s);
        }
        s = s.strip_suffix("_HEVC").unwrap_or(s);
        s = s.strip_suffix(" COPY").unwrap_or(s);
        s = strip_counter(s);
        s = s.trim_end();
        if s == before || s.is_empty() {
            return if s.is_empty() { before } else { s };
        }
    }
}

/// Removes one "(N)", "-N" or " N" copy counter (N of one or two digits).
fn strip_counter(s: &str) -> &str {
    if let Some(inner) = s.strip_suffix(')') {
        if let Some(open) = inner.rfind('(') {
            let n = &inner[open + 1..];
            if !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()) {
                return &s[..open];
            }
        }
        return s;
    }
    let digits = s.bytes().rev().take_while(|b| b.is_ascii_digit()).count();
    if (1..=2).contains(&digits) && s.len() > digits + 1 {
        let head = &s[..s.len() - digits];
        if let Some(h) = head.strip_suffix('-').or_else(|| head.strip_suffix(' ')) {
            return h;
        }
    }
    s
}
