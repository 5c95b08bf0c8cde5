//! The ISO-BMFF/QuickTime box walker and everything under `moov`: keys, ilst, udta, mebx keys,
//! still-image-time, track tables.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| livephoto::fuzzing::box_walker(data));
