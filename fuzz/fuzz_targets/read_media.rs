//! The whole per-file metadata read (sniff, JPEG/HEIF EXIF, QuickTime), as `scan` runs it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = livephoto::meta::read_media_bytes(data, "fuzz.heic");
});
