//! Safe on any real disk: any file name, any pipe, any spelling of `-o`, any re-run, any trim.
//! Each test builds its own library from the fixtures.

mod common;
#[cfg(feature = "media")]
use base64::Engine;
#[cfg(feature = "media")]
use common::probe::probe;
use common::*;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn os(b: &[u8]) -> &OsStr {
    OsStr::from_bytes(b)
}

/// The heic_mov pair copied under `name` (bytes) into `dir`.
fn pair_named(dir: &Path, name: &[u8]) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let still = dir.join(os(&[name, b".HEIC"].concat()));
    let clip = dir.join(os(&[name, b".MOV"].concat()));
    std::fs::copy(fixtures().join("heic_mov/IMG_0001.HEIC"), &still).unwrap();
    std::fs::copy(fixtures().join("heic_mov/IMG_0001.MOV"), &clip).unwrap();
    (still, clip)
}

#[cfg(feature = "media")]
fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[cfg(feature = "media")] // needs the media feature (convert/stills)
#[test]
fn any_file_name_works_in_every_command() {
    let d = tempfile::tempdir().unwrap();
    let lib = d.path().join("lib");
    let (still, clip) = pair_named(&lib.join(os(b"caf\xe9 folder")), b"caf\xe9\xff");
    pair_named(&lib, b"line\nbreak");
    pair_named(&lib, b"-dash");

    let (code, doc) = scan_json(&[&lib], &[]);
    assert_eq!(code, 0);
    let lps = doc["live_photos"].as_array().unwrap();
    assert_eq!(lps.len(), 3, "{doc:#}");
    let odd = lps.iter().find(|lp| lp.get("still_bytes").is_some()).expect("a non-UTF-8 path has its bytes");
    assert_eq!(b64(odd["still_bytes"].as_str().unwrap()), still.as_os_str().as_bytes());
    assert_eq!(b64(odd["clip_bytes"].as_str().unwrap()), clip.as_os_str().as_bytes());
    assert!(lps.iter().any(|lp| lp["still"].as_str().unwrap().ends_with("line\nbreak.HEIC")), "UTF-8 names are exact");

    let table = bin().arg("scan").arg(&lib).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("line\\nbreak.HEIC"), "the newline is escaped in the table: {text}");
    assert_eq!(text.lines().filter(|l| l.contains("break")).count(), 1);

    let out = d.path().join(os(b"out \xe9"));
    for (args, ext) in [(&["convert", "--to", "mp4"][..], "mp4"), (&["convert", "--to", "gif", "--width", "64"], "gif")] {
        let r = bin().args(args).arg(&lib).arg("-o").arg(&out).output().unwrap();
        assert_eq!(r.status.code(), Some(0), "{args:?}: {}", stderr(&r));
        let made = out.join(os(b"caf\xe9 folder")).join(os(&[&b"caf\xe9\xff."[..], ext.as_bytes()].concat()));
        assert!(probe(&made).frames > 0, "{}", made.display());
        assert!(out.join(format!("line\nbreak.{ext}")).exists() && out.join(format!("-dash.{ext}")).exists());
    }
    for format in ["original", "jpeg"] {
        let dest = d.path().join(format);
        let r = bin().args(["stills", "--format", format]).arg(&lib).arg("-o").arg(&dest).output().unwrap();
        assert_eq!(r.status.code(), Some(0), "{format}: {}", stderr(&r));
        let ext: &[u8] = if format == "jpeg" { b".jpg" } else { b".HEIC" };
        assert!(dest.join(os(b"caf\xe9 folder")).join(os(&[&b"caf\xe9\xff"[..], ext].concat())).is_file());
    }
    // a root whose own name starts with '-' (after `--`)
    let dash_root = d.path().join("-lib");
    pair_named(&dash_root, b"IMG_1");
    let r = Command::new(env!("CARGO_BIN_EXE_livephoto")).current_dir(d.path()).args(["scan", "--json", "--", "-lib"]).output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let d = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixtures().join("plain/IMG_0008.JPG")).unwrap();
    for i in 0..1500 {
        std::fs::write(d.path().join(format!("DSC_{i:05}.JPG")), &plain).unwrap();
    }
    for args in [&["scan", "--json"][..], &["scan"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_livephoto"))
            .args(args)
            .arg(d.path())
            .arg(fixtures().join("orphans"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 64];
        child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap(); // `| head -c 64`
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

#[cfg(feature = "media")]
/// A library whose `IMG_0001.mp4` is an unrelated video that sits where an export would go.
fn library_with_bystander() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let lib = d.path().join("lib");
    pair_named(&lib, b"IMG_0001");
    std::fs::create_dir(lib.join("sub")).unwrap();
    let bystander = lib.join("IMG_0001.mp4");
    std::fs::write(&bystander, b"someone's video").unwrap();
    (d, lib, bystander)
}

#[cfg(feature = "media")] // needs the media feature (convert/stills)
#[test]
fn no_spelling_of_o_replaces_a_scanned_file() {
    let (d, lib, bystander) = library_with_bystander();
    symlink(&lib, d.path().join("link-to-lib")).unwrap();
    let elsewhere = d.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    symlink(&lib, elsewhere.join("inside")).unwrap(); // an -o folder that reaches into the library
    let spellings: Vec<PathBuf> = vec![lib.join("sub/.."), d.path().join("link-to-lib"), elsewhere.clone(), d.path().to_path_buf()];
    for o in &spellings {
        for cmd in [&["convert", "--to", "mp4", "--overwrite"][..], &["stills", "--overwrite"]] {
            let r = bin().args(cmd).arg(&lib).arg("-o").arg(o).output().unwrap();
            assert_eq!(r.status.code(), Some(2), "-o {}: {}", o.display(), stderr(&r));
            assert!(stderr(&r).contains("-o "), "{}", stderr(&r));
        }
    }
    assert_eq!(std::fs::read(&bystander).unwrap(), b"someone's video");
    assert_eq!(walk(&lib).len(), 3, "nothing written into the library: {:?}", walk(&lib));
    assert!(walk(&elsewhere).iter().all(|p| !p.to_string_lossy().ends_with(".mp4") || p == &elsewhere.join("inside/IMG_0001.mp4")));
}

#[cfg(feature = "media")] // needs the media feature (convert/stills)
#[test]
fn o_naming_a_file_is_a_usage_error_before_any_work() {
    let (_d, lib, bystander) = library_with_bystander();
    let r = bin().args(["convert", "--to", "mp4"]).arg(&lib).arg("-o").arg(&bystander).output().unwrap();
    let err = stderr(&r);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("exists and is not a folder"), "{err}");
    assert_eq!(err.lines().count(), 1, "one usage error, not one per Live Photo: {err}");
}

#[cfg(feature = "media")]
/// Every file under `dir` with its modification time, to tell "nothing written" exactly.
fn state(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime, u64)> {
    let mut v: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| {
            let m = std::fs::metadata(&p).unwrap();
            (p, m.modified().unwrap(), m.len())
        })
        .collect();
    v.sort();
    v
}

#[cfg(feature = "media")] // needs the media feature (convert/stills)
#[test]
fn a_second_identical_run_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let lib = d.path().join("lib");
    pair_named(&lib, b"wave");
    pair_named(&lib.join("2021"), b"IMG_0002");
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_livephoto")).current_dir(&lib).args(args).output().unwrap();
    for args in [&["convert", "--to", "mp4", "."][..], &["stills", ".", "-o", "./export"]] {
        let first = run(args);
        assert_eq!(first.status.code(), Some(0), "{args:?}: {}", stderr(&first));
        let verb = if args[0] == "convert" { "converted" } else { "copied" };
        assert!(stderr(&first).contains(&format!("{verb} 2")) && stderr(&first).contains(", skipped 0"), "{}", stderr(&first));
        let before = state(&lib);
        let second = run(args);
        assert_eq!(second.status.code(), Some(0), "{args:?}: {}", stderr(&second));
        assert!(stderr(&second).contains("0, skipped 2 (already there), failed 0"), "{args:?}: {}", stderr(&second));
        assert_eq!(state(&lib), before, "{args:?}: the second run changed files");
    }
    let names: Vec<_> = walk(&lib).iter().map(|p| p.strip_prefix(&lib).unwrap().to_path_buf()).collect();
    assert!(!names.iter().any(|n| n.to_string_lossy().contains("-2")), "no duplicates: {names:?}");
    assert!(lib.join("livephoto-export").join(MARKER).is_file() && lib.join("export").join(MARKER).is_file());

    // a changed source is reported, and redone only with --overwrite
    let still = lib.join("wave.HEIC");
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::File::options().append(true).open(&still).unwrap().set_modified(later).unwrap();
    let out = lib.join("export/wave.HEIC");
    let old = std::fs::read(&out).unwrap();
    let r = run(&["stills", ".", "-o", "./export"]);
    assert!(stderr(&r).contains("out of date 1"), "{}", stderr(&r));
    assert_eq!(std::fs::read(&out).unwrap(), old);
    let r = run(&["stills", ".", "-o", "./export", "--overwrite"]);
    assert!(stderr(&r).contains("copied 2"), "{}", stderr(&r));
    let r = run(&["stills", ".", "-o", "./export"]);
    assert!(stderr(&r).contains("copied 0, skipped 2 (already there)"), "{}", stderr(&r));
}

#[cfg(feature = "media")] // needs the media feature (convert/stills)
#[test]
fn trims_outside_the_clip_or_without_a_frame_write_nothing() {
    let out = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 3] = [
        &["--to", "mp4", "--start", "10"],
        &["--to", "mp4", "--start", "1.515", "--end", "1.525"], // between frames: audio only
        &["--to", "gif", "--start", "1.515", "--end", "1.525"],
    ];
    for args in cases {
        let r = bin().arg("convert").arg(fixtures().join("jpeg_mov")).arg("-o").arg(out.path()).args(args).output().unwrap();
        let err = stderr(&r);
        assert_eq!(r.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("IMG_0002.MOV") && err.contains("s clip; nothing written"), "{args:?}: {err}");
        assert!(err.contains("1.53 s clip"), "names the clip's length: {err}");
        assert!(err.contains("converted 0, skipped 0 (already there), failed 1"), "{err}");
        assert!(walk(out.path()).is_empty(), "{args:?}: {:?}", walk(out.path()));
    }
}

#[test]
fn linked_files_and_folders_are_followed_once_and_loops_noted() {
    let d = tempfile::tempdir().unwrap();
    let lib = d.path().join("lib");
    let photos = d.path().join("photos");
    let (still, _) = pair_named(&photos, b"IMG_0001");
    std::fs::create_dir(&lib).unwrap();
    symlink(&photos, lib.join("linked")).unwrap();
    symlink(&still, lib.join("again.HEIC")).unwrap();
    symlink(&lib, lib.join("loop")).unwrap();
    let (code, doc) = scan_json(&[&lib], &[]);
    assert_eq!(code, 0, "{doc:#}");
    // the still is reached twice (linked/IMG_0001.HEIC, again.HEIC): listed once, under the first
    // path in sorted order
    assert_eq!(pairs(&doc), vec![("again.HEIC".into(), "IMG_0001.MOV".into(), "content_id".into())]);
    assert_eq!(doc["unpaired_stills"].as_array().unwrap().len(), 0, "the link to the still is the same file: listed once");
    let notes: Vec<(String, String)> =
        doc["notes"].as_array().unwrap().iter().map(|n| (name(&n["path"]), n["note"].as_str().unwrap().to_string())).collect();
    assert!(notes.iter().any(|(p, n)| p == "loop" && n.contains("loop")), "{notes:?}");
    assert!(notes.iter().any(|(p, n)| p.ends_with(".HEIC") && n.contains("same file")), "{notes:?}");
}
