//! The whole per-file metadata read (sniff, JPEG/HEIF EXIF, QuickTime), as `scan` runs it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| livephoto::fuzzing::read_media(data, "fuzz.heic"));
