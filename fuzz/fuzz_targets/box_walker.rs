//! The ISO-BMFF/QuickTime box walker and everything under `moov`: keys, ilst, udta, mebx keys,
//! still-image-time, track tables.
#![no_main]
use libfuzzer_sys::fuzz_target;
use livephoto::meta::{isobmff, quicktime};

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

fuzz_target!(|data: &[u8]| {
    walk(data, 0);
    let _ = quicktime::read_moov(data);
});
