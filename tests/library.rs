//! The main job at library scale: memory that follows the clips' size, not their number;
//! bytes in and out told truly; two runs into one folder that neither redo nor fail each
//! other's work.
#![cfg(feature = "media")]

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs livephoto to the end; returns its exit code and its peak resident memory in bytes.
/// `convert` execs the media helper in the same process, so the helper's peak is the one read.
fn peak_rss(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, u64) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livephoto"));
    for a in args {
        cmd.arg(a);
    }
    #[allow(clippy::zombie_processes)] // reaped by wait4 below, which also gives its peak memory
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("run livephoto");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    (code, usage.ru_maxrss as u64 * 1024) // Linux reports KiB
}

/// `n` Live Photos made from the iOS 18 pair (1920x1440 HEVC), identifiers patched apart.
fn ios18_library(samples: &Path, n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let still = std::fs::read(samples.join("apple-ios18/IMG_3853.HEIC")).unwrap();
    let clip = std::fs::read(samples.join("apple-ios18/IMG_3853.MOV")).unwrap();
    let id = b"71DCA213-5710-4A6C-BC6D-CE6306AEB8D8";
    for i in 0..n {
        let new = format!("71DCA213-5710-4A6C-BC6D-CE6306AEB8{i:02}");
        for (data, ext) in [(&still, "HEIC"), (&clip, "MOV")] {
            let mut d = data.clone();
            assert_eq!(replace_all(&mut d, id, new.as_bytes()), 1);
            std::fs::write(dir.path().join(format!("IMG_{i:04}.{ext}")), d).unwrap();
        }
    }
    dir
}

#[cfg(target_os = "linux")]
#[test]
fn memory_follows_the_clips_size_not_their_number() {
    let Some(samples) = samples() else { return };
    let mut peaks = Vec::new();
    for n in [2, 6] {
        let lib = ios18_library(&samples, n);
        let out = tempfile::tempdir().unwrap();
        let (code, peak) = peak_rss(&[&"convert", &lib.path(), &"--to", &"mp4", &"--jobs", &"2", &"-o", &out.path()]);
        assert_eq!(code, 0);
        assert_eq!(walk(out.path()).len(), n, "every clip converted");
        println!("{n} Live Photos, --jobs 2: peak {:.0} MB", peak as f64 / 1e6);
        peaks.push(peak);
    }
    // two jobs at a time of 1920x1440 HEVC → H.264: 387 MB on the bench's 20 clips (README);
    // the floor is 400 MB, and this guards it with a little room for the allocator
    assert!(peaks[1] < 420_000_000, "peak {} MB", peaks[1] / 1_000_000);
    assert!(peaks[1] < peaks[0] + peaks[0] / 5, "three times the clips, not more memory: {peaks:?}");
}

#[test]
fn bytes_in_and_out_are_told() {
    let lib = fixture_copy(&["heic_mov", "jpeg_mov"]);
    let out = tempfile::tempdir().unwrap();
    let r = run(&[&"convert", &lib.path(), &"--to", &"mp4", &"--json", &"-o", &out.path()]);
    assert_eq!(r.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&r.stdout).unwrap();
    let (mut total_in, mut total_out) = (0, 0);
    for item in doc["results"].as_array().unwrap() {
        let clip = std::fs::metadata(item["clip"].as_str().unwrap()).unwrap().len();
        let output = std::fs::metadata(item["output"].as_str().unwrap()).unwrap().len();
        assert_eq!((item["bytes_in"].as_u64(), item["bytes_out"].as_u64()), (Some(clip), Some(output)), "{item}");
        total_in += clip;
        total_out += output;
    }
    assert_eq!((doc["bytes_in"].as_u64(), doc["bytes_out"].as_u64()), (Some(total_in), Some(total_out)));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains(" in, ") && err.contains(" out ("), "the summary says it: {err}");
}

/// Two runs into one folder at once: the second waits for the first (and says so) and finds its
/// outputs there; nothing is made twice, nothing is called a failure.
#[test]
fn two_runs_into_one_folder_neither_redo_nor_fail() {
    let lib = fixture_copy(&["heic_mov", "jpeg_mov", "hdr"]);
    let out = tempfile::tempdir().unwrap();
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_livephoto"))
            .args(["convert", "--json", "--to", "mp4", "-o"])
            .arg(out.path())
            .arg(lib.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(), start());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut converted = 0;
    for r in [&a, &b] {
        assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
        let doc: Value = serde_json::from_slice(&r.stdout).unwrap();
        assert_eq!(doc["failed"], 0, "{doc}");
        converted += doc["converted"].as_u64().unwrap();
    }
    assert_eq!(converted, 3, "each Live Photo converted once between the two runs");
    let said = [&a, &b].iter().any(|r| String::from_utf8_lossy(&r.stderr).contains("waiting for it to finish"));
    println!("the second run waited: {said}");
}

/// A HEIC whose size fields claim 60000x60000 pixels in 4.7 KB is refused before anything is
/// allocated for it (it took 1.8 GB before libheif said no): each command that decodes stills
/// fails that one file with its path and the claim, in the memory a small file deserves.
#[test]
fn a_heic_claiming_billions_of_pixels_costs_no_memory() {
    let lib = fixture_copy(&["heic_mov"]);
    let still = lib.path().join("heic_mov/IMG_0001.HEIC");
    let mut data = std::fs::read(&still).unwrap();
    let at = data.windows(4).position(|w| w == b"ispe").expect("the fixture has an ispe box") + 8;
    data[at..at + 8].copy_from_slice(&[60_000u32.to_be_bytes(), 60_000u32.to_be_bytes()].concat());
    std::fs::write(&still, &data).unwrap();
    let out = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 3] = [&["stills", "--format", "jpeg"], &["convert", "--to", "motion-photo"], &["report"]];
    for (i, args) in runs.iter().enumerate() {
        let dest = out.path().join(format!("out{i}"));
        let r = bin().args(*args).arg(lib.path()).arg("-o").arg(&dest).output().unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("IMG_0001.HEIC: this HEIC claims 60000x60000 pixels"), "{args:?}: {err}");
        let dest = out.path().join(format!("peak{i}"));
        let root = lib.path();
        let mut whole: Vec<&dyn AsRef<std::ffi::OsStr>> = args.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>).collect();
        whole.extend([&root as &dyn AsRef<std::ffi::OsStr>, &"-o", &dest]);
        let (code, peak) = peak_rss(&whole);
        assert_eq!(code, 1, "{args:?}");
        assert!(peak < 200 << 20, "{args:?}: peak {} MB", peak >> 20);
    }
}
