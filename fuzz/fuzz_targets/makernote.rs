//! The Apple MakerNote IFD reader and identifier normalisation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| livephoto::fuzzing::makernote(data));
