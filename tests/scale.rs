//! Memory that follows the answer, not the library: a generated 20,000-file library (Live Photo
//! pairs with distinct identifiers, a fifth of the clips moved and renamed, plain photos and
//! videos) is scanned, every pair is found, and the scan's peak resident memory stays within a
//! fixed base plus 1.2 KB per file (the floor of 120 MB at 100,000 files; measured today: about
//! 1.05 KB per file). Alone in its test binary: the peak is read with getrusage(RUSAGE_CHILDREN),
//! which no other test's child may share.
#![cfg(target_os = "linux")]

mod common;
use common::*;
use std::path::Path;

#[repr(C)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    maxrss_kb: i64,
    rest: [i64; 14],
}
extern "C" {
    fn getrusage(who: i32, usage: *mut Rusage) -> i32;
}
const RUSAGE_CHILDREN: i32 = -1;

/// The largest peak resident set (KiB) of any child this process has waited for.
fn children_peak_kb() -> i64 {
    let mut r = Rusage { utime: [0; 2], stime: [0; 2], maxrss_kb: 0, rest: [0; 14] };
    // SAFETY: getrusage fills the struct it is given (Linux layout: two timevals, then longs).
    assert_eq!(unsafe { getrusage(RUSAGE_CHILDREN, &mut r) }, 0);
    r.maxrss_kb
}

fn generate(lib: &Path, pairs: usize) -> usize {
    let old_id = b"1B7A3F2C-0D4E-4C5B-9A8F-000000000001";
    let still = std::fs::read(fixtures().join("heic_mov/IMG_0001.HEIC")).unwrap();
    let clip = std::fs::read(fixtures().join("heic_mov/IMG_0001.MOV")).unwrap();
    let plain_still = std::fs::read(fixtures().join("plain/IMG_0008.JPG")).unwrap();
    let plain_clip = std::fs::read(fixtures().join("reused/IMG_0010.MOV")).unwrap();
    let mut files = 0;
    let mut put = |dir: &Path, name: String, bytes: &[u8]| {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
        files += 1;
    };
    for i in 0..pairs {
        let id = format!("1B7A3F2C-0D4E-4C5B-9A8F-{i:012}");
        let (mut s, mut c) = (still.clone(), clip.clone());
        assert_eq!(replace_all(&mut s, old_id, id.as_bytes()) + replace_all(&mut c, old_id, id.as_bytes()), 2);
        let day = lib.join(format!("2021-{:02}/d{:03}", i % 12 + 1, i / 500));
        put(&day, format!("IMG_{i:05}.HEIC"), &s);
        match i % 5 {
            0 => put(&lib.join(format!("moved/d{:03}", i / 500)), format!("video-{i:05}.mov"), &c),
            _ => put(&day, format!("IMG_{i:05}.MOV"), &c),
        }
    }
    for i in 0..pairs / 2 {
        put(&lib.join(format!("other/s{:03}", i / 1000)), format!("DSC_{i:05}.JPG"), &plain_still);
    }
    for i in 0..pairs / 10 {
        put(&lib.join(format!("other/v{:03}", i / 1000)), format!("MVI_{i:05}.MOV"), &plain_clip);
    }
    files
}

#[test]
fn scan_memory_per_file_stays_small_at_twenty_thousand_files() {
    let lib = tempfile::tempdir().unwrap();
    let pairs = 7_700;
    let files = generate(lib.path(), pairs);
    assert!(files >= 20_000, "{files}");
    let base_kb = 8 * 1024;
    let per_file_kb = 1.2;
    let limit = base_kb + (per_file_kb * files as f64) as i64;
    // Outputs go to files and are read only after both runs: a child spawned from this process
    // starts in its memory (vfork), so its peak includes this process's own; keep that small.
    let outs = tempfile::tempdir().unwrap();
    for (mode, out) in [(&["--json"][..], "scan.json"), (&[], "scan.txt")] {
        let stdout = std::fs::File::create(outs.path().join(out)).unwrap();
        let r = bin().arg("scan").args(mode).arg("--quiet").arg(lib.path()).stdout(stdout).output().unwrap();
        assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
        let peak = children_peak_kb();
        eprintln!("scan {mode:?} of {files} files: peak {peak} KiB (limit {limit} KiB)");
        assert!(peak <= limit, "scan {mode:?}: peak {peak} KiB for {files} files, over {limit} KiB");
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(outs.path().join("scan.json")).unwrap()).unwrap();
    assert_eq!(doc["live_photos"].as_array().unwrap().len(), pairs, "every pair found");
    assert!(doc["live_photos"].as_array().unwrap().iter().all(|lp| lp["matched_by"] == "content_id"));
    assert_eq!(doc["unpaired_stills"].as_array().unwrap().len(), pairs / 2);
    let table = std::fs::read_to_string(outs.path().join("scan.txt")).unwrap();
    assert_eq!(table.lines().filter(|l| l.ends_with("iPhone 12")).count(), pairs, "{}", &table[table.len().saturating_sub(400)..]);
}
