//! The house's structure, pinned: each layer of the library imports only the layers below it
//! (so nothing under the library imports the CLI), and the `livephoto` scanner does not link
//! FFmpeg or libheif (only its helper `livephoto-media` does).

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// The library's layers, bottom first (see src/lib.rs).
const LAYERS: [&str; 9] = ["display", "walk", "meta", "pair", "scan", "export", "report", "fuzzing", "cli"];

/// The layer a source file belongs to: its first path component below src/, without `.rs`.
fn layer_of(src: &Path, file: &Path) -> Option<usize> {
    let first = file.strip_prefix(src).ok()?.components().next()?.as_os_str().to_str()?;
    LAYERS.iter().position(|l| *l == first.trim_end_matches(".rs"))
}

/// The crate modules `text` names in code (`crate::scan::…`), comments left out.
fn crate_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            out.push(name);
        }
    }
    out
}

fn sources() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<_> = walk(&src).into_iter().filter(|p| p.extension().is_some_and(|x| x == "rs")).collect();
    assert!(files.len() > 20, "sources not found under {}", src.display());
    (src, files)
}

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    let (src, files) = sources();
    let mut checked = 0;
    for f in &files {
        let Some(mine) = layer_of(&src, f) else { continue }; // lib.rs, main.rs, bin/: the crate's roots
        let text = std::fs::read_to_string(f).unwrap();
        for m in crate_modules(&text) {
            let Some(theirs) = LAYERS.iter().position(|l| *l == m) else { continue }; // a re-export at the root
            assert!(
                theirs <= mine,
                "{} ({}) imports crate::{m}, a layer above it: the library's layers read top-down",
                f.display(),
                LAYERS[mine]
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} imports seen: is the scan of src/ broken?");
}

#[test]
fn nothing_under_the_library_imports_the_cli() {
    let (src, files) = sources();
    for f in files.iter().filter(|f| !f.starts_with(src.join("cli")) && !f.starts_with(src.join("bin")) && !f.ends_with("main.rs")) {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!crate_modules(&text).iter().any(|m| m == "cli"), "{} imports the CLI", f.display());
        assert!(!text.contains("clap::"), "{} uses clap: flags belong to src/cli", f.display());
    }
}

/// The shared libraries an executable asks the dynamic loader for (ELF `NEEDED` entries).
#[cfg(target_os = "linux")]
fn needed(exe: &Path) -> Vec<String> {
    let out = std::process::Command::new("readelf")
        .arg("-d")
        .arg(exe)
        .output()
        .expect("readelf (binutils, installed with the C toolchain) is needed to read the executable's NEEDED list");
    assert!(out.status.success(), "readelf -d {}: {}", exe.display(), String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let libs: Vec<String> =
        text.lines().filter(|l| l.contains("(NEEDED)")).filter_map(|l| Some(l.split('[').nth(1)?.split(']').next()?.to_string())).collect();
    assert!(libs.iter().any(|l| l.starts_with("libc.so")), "no libc in {libs:?}: is this readelf's format?");
    libs
}

#[cfg(target_os = "linux")]
fn media_libraries(libs: &[String]) -> Vec<&String> {
    // libheif is linked statically (built from libheif-sys's vendored 1.23): its HEVC decoder
    // libde265 is what shows in the dynamic section
    let media = ["libav", "libsw", "libpostproc", "libheif", "libde265"];
    libs.iter().filter(|l| media.iter().any(|m| l.starts_with(m))).collect()
}

#[cfg(target_os = "linux")]
#[test]
fn the_scanner_links_neither_ffmpeg_nor_libheif() {
    let libs = needed(Path::new(env!("CARGO_BIN_EXE_livephoto")));
    // An unoptimised build keeps the static libheif's objects (their C++ static initialisers hold
    // them) and so its HEVC decoder's libde265; the optimised build users install links none of
    // them (`readelf -d target/release/livephoto`: libm, libgcc_s, libc). FFmpeg and libheif
    // themselves never.
    let media: Vec<&String> =
        media_libraries(&libs).into_iter().filter(|l| !(cfg!(debug_assertions) && l.starts_with("libde265"))).collect();
    assert_eq!(media, Vec::<&String>::new(), "livephoto must start without the media libraries: {libs:?}");
    if cfg!(feature = "media") {
        // the check can see them: the helper has them
        let helper = Path::new(env!("CARGO_BIN_EXE_livephoto")).with_file_name("livephoto-media");
        let libs = needed(&helper);
        let media = media_libraries(&libs);
        assert!(media.iter().any(|l| l.starts_with("libavformat")) && media.iter().any(|l| l.starts_with("libde265")), "{libs:?}");
    }
}

/// Every source file says in its first comment what it owns, and stays small enough to read.
#[test]
fn every_module_says_what_it_owns_and_stays_short() {
    let (_, files) = sources();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.starts_with("//!"), "{} does not open with a //! comment saying what it owns", f.display());
        let lines = text.lines().count();
        assert!(lines <= 450, "{} has {lines} lines: split it by what it owns", f.display());
    }
}
