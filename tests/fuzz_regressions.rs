//! Every input cargo fuzz ever crashed on (fuzz/regressions/<target>/) stays a test: each must now
//! give a result or an error, with no panic and no memory driven by a size field (the peak of
//! live heap bytes per read is watched by a counting allocator).

mod common;
use common::alloc::peak_live;
use std::path::Path;

#[global_allocator]
static GLOBAL: common::alloc::Watch = common::alloc::Watch;

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
        let ((), peak) = peak_live(|| {
            livephoto::fuzzing::box_walker(&data);
            livephoto::fuzzing::read_media(&data, "x.mov");
        });
        assert!(peak < LIMIT, "{name}: held {peak} bytes at once");
    }
    for (name, data) in inputs("read_media") {
        let (_, peak) = peak_live(|| livephoto::meta::read_media_bytes(&data, "x.heic"));
        assert!(peak < LIMIT, "{name}: held {peak} bytes at once");
    }
}
