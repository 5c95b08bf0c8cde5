//! The Apple MakerNote IFD reader and identifier normalisation.
#![no_main]
use libfuzzer_sys::fuzz_target;
use livephoto::meta::exif;

fuzz_target!(|data: &[u8]| {
    let _ = exif::apple_content_id(data);
    let _ = exif::normalize_content_id(&String::from_utf8_lossy(data));
});
