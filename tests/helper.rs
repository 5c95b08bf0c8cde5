//! `livephoto` runs `convert`/`stills` in its helper `livephoto-media`, found as git finds its
//! own: beside the executable, in `../libexec/livephoto/`, then on `PATH`; missing, it says how
//! to get it and exits 2.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// A folder on the build's own file system, so `livephoto` can be hard-linked into it.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// `livephoto` alone in `dir/bin`. A hard link, not a copy: a copy is a file this process
/// has open for writing, and a child another test forks meanwhile inherits that descriptor
/// until its own exec, which makes running the copy fail with "Text file busy" (ETXTBSY).
fn lone_livephoto(dir: &Path) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = bin.join("livephoto");
    std::fs::hard_link(env!("CARGO_BIN_EXE_livephoto"), &exe).unwrap();
    exe
}

#[cfg(feature = "media")]
fn media() -> std::path::PathBuf {
    Path::new(env!("CARGO_BIN_EXE_livephoto")).with_file_name("livephoto-media")
}

fn stills(exe: &Path, path: &str, out: &Path) -> std::process::Output {
    Command::new(exe).env("PATH", path).arg("stills").arg(fixtures().join("heic_mov")).arg("-o").arg(out).output().unwrap()
}

#[test]
fn a_missing_helper_is_named_with_how_to_get_it() {
    let d = scratch();
    let exe = lone_livephoto(d.path());
    let r = stills(&exe, "/nonexistent", &d.path().join("o1"));
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("livephoto-media") && err.contains("cargo install"), "{err}");
    assert!(!d.path().join("o1").exists());
}

#[cfg(feature = "media")] // the helper is built with the media feature only
#[test]
fn the_helper_is_found_beside_in_libexec_or_on_path() {
    let d = scratch();
    let exe = lone_livephoto(d.path());

    let on_path = d.path().join("tools");
    std::fs::create_dir(&on_path).unwrap();
    std::os::unix::fs::symlink(media(), on_path.join("livephoto-media")).unwrap();
    let r = stills(&exe, &format!("/nonexistent:{}", on_path.display()), &d.path().join("o2"));
    assert_eq!(r.status.code(), Some(0), "on PATH: {}", String::from_utf8_lossy(&r.stderr));
    assert!(d.path().join("o2/IMG_0001.HEIC").is_file());

    let libexec = d.path().join("libexec/livephoto");
    std::fs::create_dir_all(&libexec).unwrap();
    std::os::unix::fs::symlink(media(), libexec.join("livephoto-media")).unwrap();
    let r = stills(&exe, "/nonexistent", &d.path().join("o3"));
    assert_eq!(r.status.code(), Some(0), "in libexec: {}", String::from_utf8_lossy(&r.stderr));

    std::os::unix::fs::symlink(media(), d.path().join("bin/livephoto-media")).unwrap();
    let r = stills(&exe, "/nonexistent", &d.path().join("o4"));
    assert_eq!(r.status.code(), Some(0), "beside: {}", String::from_utf8_lossy(&r.stderr));
}
