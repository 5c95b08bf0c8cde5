//! The file-kind sniffer.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| livephoto::fuzzing::sniff(data));
