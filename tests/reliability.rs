//! The guarantees people need before pointing livephoto at the only copy of their photos:
//! no panic or hang on any bytes, inputs never written, nothing half-written after Ctrl-C or a full
//! disk, unreadable files reported and passed over.

mod common;
use common::alloc::peak_live;
#[cfg(feature = "media")]
use common::probe::probe;
use common::*;
#[cfg(feature = "media")]
use std::path::{Path, PathBuf};
#[cfg(feature = "media")]
use std::process::{Command, Stdio};
#[cfg(feature = "media")]
use std::time::Duration;
use std::time::Instant;

#[global_allocator]
static GLOBAL: common::alloc::Watch = common::alloc::Watch;

/// What one file's read may hold at its peak: a few times its length plus a fixed allowance
/// (decoders' tables, kamadak-exif's field list). A size field cannot raise it.
fn allowed(len: usize) -> usize {
    4 * len + (2 << 20)
}

/// Every fixture (and, with LIVEPHOTO_SAMPLES, every real sample), as (name, bytes).
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files = walk(&fixtures());
    if let Some(s) = samples() {
        files.extend(walk(&s).into_iter().filter(|p| p.extension().is_some_and(|e| e != "md")));
    }
    files.sort();
    files.into_iter().map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())).collect()
}

/// Offsets spread over the file plus every byte of its first KiB region in steps.
fn offsets(len: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..len.min(1024)).step_by(3).collect();
    v.extend((0..=64).map(|i| len * i / 64));
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn truncated_and_bit_flipped_files_give_a_result_or_an_error_never_a_panic() {
    let start = Instant::now();
    let mut variants = 0;
    let mut worst = (0usize, 0usize, String::new());
    let mut read = |data: &[u8], name: &str| {
        let (_, peak) = peak_live(|| livephoto::meta::read_media_bytes(data, name));
        assert!(peak <= allowed(data.len()), "{name} ({} bytes, corrupted): a read held {peak} bytes at once", data.len());
        if peak > worst.0 {
            worst = (peak, data.len(), name.to_string());
        }
    };
    for (name, data) in corpus() {
        for cut in offsets(data.len()) {
            read(&data[..cut], &name);
            variants += 1;
        }
        let mut d = data.clone();
        // Flip bytes where the structure lives: the first 4 KiB, and around every box header and
        // JPEG marker we can find, then spread over the rest.
        let mut spots: Vec<usize> = (0..data.len().min(4096)).step_by(5).collect();
        spots.extend((0..200).map(|i| data.len() * i / 200));
        for at in spots.into_iter().filter(|&a| a < data.len()) {
            for flip in [0xFFu8, 0x80, 0x01] {
                d[at] ^= flip;
                read(&d, &name);
                d[at] ^= flip;
                variants += 1;
            }
        }
    }
    eprintln!(
        "{variants} corrupted variants read in {:?}; highest peak of live bytes {} for a {}-byte {}",
        start.elapsed(),
        worst.0,
        worst.1,
        worst.2
    );
    assert!(variants > 10_000);
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    [&((body.len() + 8) as u32).to_be_bytes()[..], kind, body].concat()
}

fn heif(meta_children: &[u8]) -> Vec<u8> {
    let meta = [vec![0, 0, 0, 0], boxed(b"hdlr", &[0; 24]), meta_children.to_vec()].concat();
    [boxed(b"ftyp", b"heic\0\0\0\0mif1heic"), boxed(b"meta", &meta)].concat()
}

/// Reads `file` under the watch; fails if it held more than `limit` bytes at once (what a
/// claim could make it build is what would also make it slow).
fn held_little(file: &[u8], name: &str, limit: usize) -> Result<Option<livephoto::meta::MediaInfo>, livephoto::MetaError> {
    let (r, peak) = peak_live(|| livephoto::meta::read_media_bytes(file, name));
    assert!(peak < limit, "{name}: a {}-byte file held {peak} bytes at once", file.len());
    r
}

#[test]
fn crafted_heif_items_cannot_claim_memory() {
    // 1.8 KiB: an iloc (v1) whose offset/length/base/index fields are all 0 bytes wide, so each
    // 8-byte item entry claims 65,535 extents (it drove a scan to 300 MB)
    let mut iloc = vec![1, 0, 0, 0, 0x00, 0x00];
    let items = 220u16;
    iloc.extend_from_slice(&items.to_be_bytes());
    for id in 1..=items {
        iloc.extend_from_slice(&id.to_be_bytes());
        iloc.extend_from_slice(&[0, 0, 0, 0, 0xFF, 0xFF]); // method, data_reference_index, extent_count
    }
    let zero_width = heif(&boxed(b"iloc", &iloc));
    assert!((1700..2000).contains(&zero_width.len()), "{}", zero_width.len());
    let e = held_little(&zero_width, "zero-width.heic", 64 << 10).unwrap_err().to_string();
    assert!(e.contains("implied"), "{e}");

    // an 'Exif' item in idat claiming 60 MB (it was allocated before any bounds check)
    let infe = boxed(b"infe", &[2, 0, 0, 0, 0, 1, 0, 0, b'E', b'x', b'i', b'f', 0]);
    let iinf = boxed(b"iinf", &[vec![0, 0, 0, 0, 0, 1], infe].concat());
    let mut iloc = vec![1, 0, 0, 0, 0x44, 0x00, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1];
    iloc.extend_from_slice(&0u32.to_be_bytes());
    iloc.extend_from_slice(&60_000_000u32.to_be_bytes());
    let idat = heif(&[iinf, boxed(b"iloc", &iloc), boxed(b"idat", &[0; 64])].concat());
    let e = held_little(&idat, "idat-60mb.heic", 64 << 10).unwrap_err().to_string();
    assert!(e.contains("'idat'"), "{e}");
}

#[test]
fn huge_size_fields_are_refused_not_allocated() {
    // A moov claiming 2^63 bytes
    let mut moov_big = 1u32.to_be_bytes().to_vec();
    moov_big.extend_from_slice(b"moov");
    moov_big.extend_from_slice(&(1u64 << 63).to_be_bytes());
    let file = [b"\0\0\0\x14ftypqt  \0\0\0\0qt  ".to_vec(), moov_big].concat();
    assert!(held_little(&file, "a.mov", 64 << 10).is_err());

    // A keys box claiming 4 billion entries, behind a real mvhd so the parse reaches it; its one
    // real entry is the content identifier, which must still be read.
    let mut keys = vec![0u8, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
    let name = b"com.apple.quicktime.content.identifier";
    keys.extend_from_slice(&((name.len() + 8) as u32).to_be_bytes());
    keys.extend_from_slice(b"mdta");
    keys.extend_from_slice(name);
    let data = [&[0u8, 0, 0, 1, 0, 0, 0, 0][..], b"E905E6C6-C747-4805-942F-9904A0281F02"].concat();
    let ilst = boxed(&1u32.to_be_bytes(), &boxed(b"data", &data));
    let meta = [boxed(b"hdlr", &[0; 24]), boxed(b"keys", &keys), boxed(b"ilst", &ilst)].concat();
    let mut mvhd = vec![0u8; 100];
    mvhd[15] = 1; // time scale 1
    let moov = [boxed(b"mvhd", &mvhd), boxed(b"meta", &meta)].concat();
    let file = [b"\0\0\0\x14ftypqt  \0\0\0\0qt  ".to_vec(), boxed(b"moov", &moov)].concat();
    let got = held_little(&file, "keys.mov", 64 << 10).expect("a clip whose keys count lies still reads");
    let Some(livephoto::meta::MediaInfo::Clip(clip)) = got else { panic!("{got:?}") };
    assert_eq!(clip.shot.content_id.as_deref(), Some("E905E6C6-C747-4805-942F-9904A0281F02"), "the keys box was reached");

    // An iinf claiming a billion items, with one real 'infe'
    let infe = boxed(b"infe", &[2, 0, 0, 0, 0, 1, 0, 0, b'E', b'x', b'i', b'f', 0]);
    let iinf = boxed(b"iinf", &[vec![1, 0, 0, 0, 0x3B, 0x9A, 0xCA, 0x00], infe].concat());
    let got = held_little(&heif(&iinf), "iinf.heic", 64 << 10);
    assert!(matches!(got, Ok(Some(livephoto::meta::MediaInfo::Still(..)))), "{got:?}");
}

#[cfg(feature = "media")] // needs the media feature (convert/stills)
#[test]
fn inputs_are_never_written_by_any_command_even_failing_ones() {
    let lib = fixture_copy(&["heic_mov", "jpeg_mov", "broken", "facetime", "takeout"]);
    let before = checksums(lib.path());
    let out = tempfile::tempdir().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["scan", "--json"],
        vec!["convert", "--to", "mp4"],
        vec!["convert", "--to", "gif", "--width", "64"],
        vec!["convert", "--to", "mp4", "--codec", "h264"],
        vec!["stills"],
        vec!["stills", "--format", "jpeg"],
    ];
    for args in runs {
        let r = bin()
            .args(&args)
            .arg(lib.path())
            .args(if args[0] == "scan" { vec![] } else { vec!["-o".as_ref(), out.path().as_os_str()] })
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(1), "{args:?}: the broken files make it fail: {}", String::from_utf8_lossy(&r.stderr));
        assert_eq!(checksums(lib.path()), before, "{args:?} changed an input");
    }
}

#[cfg(feature = "media")]
/// A library of `n` renamed copies of one fixture pair, big enough that converting takes a while.
fn many_pairs(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let still = std::fs::read(fixtures().join("jpeg_mov/IMG_0002.JPG")).unwrap();
    let clip = std::fs::read(fixtures().join("jpeg_mov/IMG_0002.MOV")).unwrap();
    for i in 0..n {
        // distinct identifiers keep the pairs distinct: last 3 digits of the UUID
        let id = format!("1B7A3F2C-0D4E-4C5B-9A8F-000000000{i:03}");
        let mut s = still.clone();
        let mut c = clip.clone();
        replace_all(&mut s, b"1B7A3F2C-0D4E-4C5B-9A8F-000000000002", id.as_bytes());
        replace_all(&mut c, b"1b7a3f2c-0d4e-4c5b-9a8f-000000000002", id.to_lowercase().as_bytes());
        std::fs::write(dir.path().join(format!("IMG_{i:04}.JPG")), s).unwrap();
        std::fs::write(dir.path().join(format!("IMG_{i:04}.MOV")), c).unwrap();
    }
    dir
}

#[cfg(feature = "media")]
fn outputs(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let all = if dir.exists() { walk(dir) } else { vec![] };
    all.into_iter().partition(|p| !is_temporary(p))
}

#[cfg(feature = "media")] // needs the media feature (convert/stills)
#[test]
fn ctrl_c_stops_quickly_removes_temporaries_and_a_rerun_finishes_the_rest() {
    let lib = many_pairs(24);
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("gifs");
    // Large GIFs so each job takes a noticeable time.
    let args = ["convert", "--to", "gif", "--width", "640", "--jobs", "1", "-q"];
    let mut child = bin().args(args).arg(lib.path()).arg("-o").arg(&dest).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while outputs(&dest).0.len() < 2 {
        assert!(Instant::now() < deadline, "no output appeared");
        assert!(child.try_wait().unwrap().is_none(), "finished before it could be interrupted");
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = outputs(&dest).0.len();
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    // what was stopped and what never started, each said: at most the one job running was stopped
    let said = String::from_utf8_lossy(&out.stderr);
    let stopped = said.split("interrupted ").nth(1).and_then(|s| s.split(' ').next()).map_or(Some(0), |n| n.parse::<usize>().ok());
    assert!(stopped.is_some_and(|n| n <= 1) && said.contains(", not started "), "{said}");
    let (done, temps) = outputs(&dest);
    assert!(temps.is_empty(), "temporaries left: {temps:?}");
    // the work a Ctrl-C leaves to do, not how long it takes: the one job running stops (at most
    // finishing its rename), none starts
    assert!(done.len() <= before + 1, "{} outputs at the signal, {} after", before, done.len());
    for f in &done {
        assert!(probe(f).frames >= 20, "{} is not a complete GIF", f.display());
    }
    let finished = done.len();
    let r = bin().args(args).arg(lib.path()).arg("-o").arg(&dest).output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let summary = String::from_utf8_lossy(&r.stderr);
    assert!(summary.contains(&format!("converted {}, skipped {finished}", 24 - finished)), "{summary}");
    assert_eq!(outputs(&dest).0.len(), 24);
}

#[cfg(feature = "media")] // needs the media feature (convert/stills)
#[test]
fn a_full_disk_is_named_and_leaves_no_partial_file() {
    let mnt = tempfile::tempdir().unwrap();
    let mounted =
        Command::new("mount").args(["-t", "tmpfs", "-o", "size=96k", "tmpfs"]).arg(mnt.path()).status().is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("note: cannot mount a small tmpfs here (needs root); skipping the full-disk test");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.path().to_path_buf());
    let r = bin()
        .args(["convert", "--to", "gif", "--width", "800"])
        .arg(fixtures().join("heic_mov"))
        .arg("-o")
        .arg(mnt.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert!(err.contains("IMG_0001.MOV") && err.contains("the disk is full"), "{err}");
    assert!(walk(mnt.path()).is_empty(), "partial files: {:?}", walk(mnt.path()));
}

#[test]
fn unreadable_files_are_reported_and_the_run_goes_on() {
    let lib = fixture_copy(&["heic_mov", "jpeg_mov"]);
    let secret = lib.path().join("heic_mov/IMG_0001.HEIC");
    let mut perms = std::fs::metadata(&secret).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o000);
    std::fs::set_permissions(&secret, perms).unwrap();
    // root reads anything: run as nobody, who cannot read a mode-000 file
    let (mut cmd, _programs) = match is_root() {
        false => (bin(), None),
        true => {
            let Some((cmd, dir)) = as_nobody() else { return };
            for d in [lib.path(), &lib.path().join("heic_mov"), &lib.path().join("jpeg_mov")] {
                let mut p = std::fs::metadata(d).unwrap().permissions();
                std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o755);
                std::fs::set_permissions(d, p).unwrap();
            }
            (cmd, Some(dir))
        }
    };
    let r = cmd.args(["scan", "--json"]).arg(lib.path()).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(doc["errors"][0]["path"].as_str().unwrap(), secret.to_str().unwrap());
    assert!(doc["errors"][0]["error"].as_str().unwrap().contains("Permission denied"));
    assert_eq!(pairs(&doc).len(), 1, "the readable pair is still found");
}

/// An output that cannot be written is said once, under the file it was made from, naming the
/// folder: never the hidden temporary file, never the OS error twice.
#[cfg(feature = "media")]
#[test]
fn an_unwritable_output_folder_is_said_once_without_temporary_names() {
    if !is_root() {
        eprintln!("note: not root; the folder below is made unwritable for nobody only when run as root");
        return;
    }
    let Some((mut nobody, _programs)) = as_nobody() else { return };
    let lib = fixture_copy(&["jpeg_mov"]);
    let out = tempfile::tempdir().unwrap();
    let mode = |p: &std::path::Path, m: u32| {
        let mut perms = std::fs::metadata(p).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, m);
        std::fs::set_permissions(p, perms).unwrap();
    };
    for d in [lib.path(), &lib.path().join("jpeg_mov"), out.path()] {
        mode(d, 0o755);
    }
    // the marker is nobody's to write, the folder is not: the temporary file cannot be made
    let dest = out.path().join("stills");
    std::fs::create_dir_all(dest.join("jpeg_mov")).unwrap();
    std::fs::write(dest.join(".livephoto-export"), "").unwrap();
    mode(&dest.join(".livephoto-export"), 0o666);
    mode(&dest, 0o755);
    let r = nobody.arg("stills").arg(lib.path()).arg("-o").arg(&dest).output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    let line = err.lines().find(|l| l.contains("cannot create a file in")).unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains("IMG_0002.JPG:") && !line.contains(".livephoto-") && !line.contains(".part"), "{line}");
    assert!(line.to_lowercase().matches("permission denied").count() == 1, "{line}");
}
