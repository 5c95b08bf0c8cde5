//! Every input cargo fuzz ever crashed on (fuzz/regressions/<target>/) stays a test: each must now
//! give a result or an error, with no panic and no allocation driven by a size field (the largest
//! single allocation is watched by a counting allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Watch;
static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only recording sizes.
unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Watch = Watch;

/// Far more than any input here (each is under 64 KiB) could need, far less than a size field can claim.
const LIMIT: usize = 16 * 1024 * 1024;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return vec![] };
    entries.map(|e| e.unwrap().path()).map(|p| (p.display().to_string(), std::fs::read(&p).unwrap())).collect()
}

#[test]
fn fuzz_findings_stay_fixed() {
    let walker = inputs("box_walker");
    assert!(walker.len() >= 2, "regression inputs are missing");
    for (name, data) in walker {
        LARGEST.store(0, Ordering::Relaxed);
        for b in livephoto::meta::isobmff::boxes(&data).flatten() {
            if &b.kind == b"moov" {
                let _ = livephoto::meta::quicktime::read_moov(b.body);
            }
        }
        let _ = livephoto::meta::quicktime::read_moov(&data);
        let _ = livephoto::meta::read_media_bytes(&data, "x.mov");
        let largest = LARGEST.load(Ordering::Relaxed);
        assert!(largest < LIMIT, "{name}: allocated {largest} bytes at once");
    }
    for (name, data) in inputs("read_media") {
        LARGEST.store(0, Ordering::Relaxed);
        let _ = livephoto::meta::read_media_bytes(&data, "x.heic");
        assert!(LARGEST.load(Ordering::Relaxed) < LIMIT, "{name}");
    }
}
