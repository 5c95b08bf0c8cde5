//! Today's phones: every command works on an iOS 18 Live Photo (a HEIC with an ISO 21496-1 gain
//! map, which Debian's libheif 1.15 refuses), and on the shapes real files take
//! (fixtures/shapes): clips at NTSC and variable frame rates, a JPEG named `.HEIC`, camera data
//! after a JPEG's end, a Samsung `mpvd` box before the image data. Each output keeps what its
//! source held, and each failure names the file at fault.
#![cfg(feature = "media")]

mod common;
use common::probe::probe;
use common::*;
use std::path::{Path, PathBuf};

fn ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let r = run(args);
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert_eq!(r.status.code(), Some(0), "{args:?}: {err}", args = args.iter().map(|a| a.as_ref().to_string_lossy()).collect::<Vec<_>>());
    err
}

/// A folder holding copies of the named fixture files.
fn lib_of(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        std::fs::copy(fixtures().join(f), dir.path().join(Path::new(f).file_name().unwrap())).unwrap();
    }
    dir
}

fn exif_of(jpeg: &Path) -> exif::Exif {
    let bytes = std::fs::read(jpeg).unwrap();
    exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&bytes)).expect("EXIF kept")
}

fn icc_description(jpeg: &Path) -> String {
    use image::ImageDecoder;
    let mut dec = image::codecs::jpeg::JpegDecoder::new(std::io::BufReader::new(std::fs::File::open(jpeg).unwrap())).unwrap();
    let icc = dec.icc_profile().unwrap().expect("a colour profile");
    String::from_utf16_lossy(&icc.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect::<Vec<_>>())
}

#[test]
fn an_ios18_live_photo_goes_through_every_command() {
    let Some(samples) = samples() else { return };
    let lib = samples.join("apple-ios18");
    let (code, doc) = scan_json(&[&lib], &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(pairs(&doc), vec![("IMG_3853.HEIC".into(), "IMG_3853.MOV".into(), "content_id".into())]);

    let out = tempfile::tempdir().unwrap();
    for (to, effect, name, frames) in [
        ("mp4", None, "IMG_3853.mp4", 42),
        ("mp4", Some("bounce"), "IMG_3853.mp4", 83),
        ("mp4", Some("loop"), "IMG_3853.mp4", 32),
        ("gif", None, "IMG_3853.gif", 21),
    ] {
        let dir = out.path().join(format!("{to}-{}", effect.unwrap_or("plain")));
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"convert", &lib, &"--to", &to, &"-o", &dir];
        if let Some(e) = &effect {
            args.extend([&"--effect" as &dyn AsRef<std::ffi::OsStr>, e]);
        }
        ok(&args);
        let got = probe(&dir.join(name));
        assert_eq!(got.frames, frames, "{to} {effect:?}");
    }

    // a motion photo for Android: its still decoded from the HEIC, read back with every frame
    let mp = out.path().join("mp");
    ok(&[&"convert", &lib, &"--to", &"motion-photo", &"-o", &mp]);
    let moved = tempfile::tempdir().unwrap();
    std::fs::copy(mp.join("IMG_3853.MP.jpg"), moved.path().join("IMG_3853.MP.jpg")).unwrap();
    let (_, doc) = scan_json(&[moved.path()], &[]);
    assert_eq!(doc["live_photos"][0]["kind"], "motion_photo", "{doc}");
    assert_eq!(doc["live_photos"][0]["frames"], 42, "{doc}");
    assert_eq!(doc["live_photos"][0]["content_id"], "71DCA213-5710-4A6C-BC6D-CE6306AEB8D8", "{doc}");

    // the JPEG still: the HEIC's size as shown, its capture date, GPS and colour profile
    let jpeg = out.path().join("jpeg");
    ok(&[&"stills", &"--format", &"jpeg", &lib, &"-o", &jpeg]);
    let still = jpeg.join("IMG_3853.jpg");
    assert_eq!(image::image_dimensions(&still).unwrap(), (5712, 4284));
    let exif = exif_of(&still);
    let field = |t: exif::Tag| exif.get_field(t, exif::In::PRIMARY).map(|f| f.display_value().to_string());
    assert_eq!(field(exif::Tag::DateTimeOriginal).as_deref(), Some("2025-01-01 11:06:47"));
    assert_eq!(field(exif::Tag::OffsetTimeOriginal).as_deref(), Some("\"+09:00\""));
    assert!(field(exif::Tag::GPSLatitude).is_some_and(|l| l.starts_with("35 deg 42 min")), "{:?}", field(exif::Tag::GPSLatitude));
    assert!(icc_description(&still).contains("Display P3"));

    // the report: a thumbnail and a preview, no failure
    let page = out.path().join("report.html");
    ok(&[&"report", &lib, &"-o", &page]);
    let pictures: Vec<PathBuf> = walk(&out.path().join("report_files")).into_iter().filter(|p| !is_temporary(p)).collect();
    assert!(pictures.iter().any(|p| p.extension().is_some_and(|e| e == "jpg")), "{pictures:?}");
    assert!(pictures.iter().any(|p| p.extension().is_some_and(|e| e == "gif")), "{pictures:?}");
}

/// Loop and Bounce on clips timed as iPhones time them: 15000/1001 fps at 600 ticks a second
/// (frames of 40 and 41 ticks), and a variable rate (frames of 20 and 60 ticks).
#[test]
fn effects_work_on_ntsc_and_variable_rate_clips() {
    let lib = lib_of(&["shapes/IMG_0018.HEIC", "shapes/IMG_0018.MOV", "shapes/IMG_0019.JPG", "shapes/IMG_0019.MOV"]);
    let (_, doc) = scan_json(&[lib.path()], &[]);
    let source: Vec<(u64, f64, f64)> = doc["live_photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lp| (lp["frames"].as_u64().unwrap(), lp["fps"].as_f64().unwrap(), lp["duration_s"].as_f64().unwrap()))
        .collect();
    assert_eq!(source.iter().map(|s| s.0).collect::<Vec<_>>(), [30, 40], "{doc}");
    for effect in ["loop", "bounce"] {
        let out = tempfile::tempdir().unwrap();
        ok(&[&"convert", &lib.path(), &"--to", &"mp4", &"--effect", &effect, &"-o", &out.path()]);
        for ((frames, fps, len), name) in source.iter().zip(["IMG_0018.mp4", "IMG_0019.mp4"]) {
            let got = probe(&out.path().join(name));
            let want = match effect {
                // the last 0.4 s fade into the first, at the clip's average rate: len - 0.4 s
                "loop" => ((len - 0.4) * fps).round() as u64,
                _ => 2 * frames - 1,
            };
            assert!(got.frames.abs_diff(want) <= 1, "{effect} {name}: {} frames, expected {want}", got.frames);
            let per_frame = got.duration / got.frames as f64;
            assert!(per_frame < 0.2, "{effect} {name}: no frame lasts for ages ({:.3} s for {} frames)", got.duration, got.frames);
        }
    }
    let gif = tempfile::tempdir().unwrap();
    ok(&[&"convert", &lib.path(), &"--to", &"gif", &"--effect", &"loop", &"-o", &gif.path()]);
}

/// A Samsung HEIC whose `mpvd` box comes before its image data: the still is written without it
/// (the image's offsets moved back), decodes, and reads back as a plain still.
#[test]
fn an_mpvd_before_the_image_data_is_taken_out() {
    let lib = lib_of(&["shapes/20240501_100004.heic"]);
    let (_, doc) = scan_json(&[lib.path()], &[]);
    assert_eq!(doc["live_photos"][0]["embedded_video"]["container"], "samsung_mpvd", "{doc}");
    let out = tempfile::tempdir().unwrap();
    ok(&[&"stills", &lib.path(), &"-o", &out.path().join("orig")]);
    let still = out.path().join("orig/20240501_100004.heic");
    let bytes = std::fs::read(&still).unwrap();
    let source = std::fs::read(lib.path().join("20240501_100004.heic")).unwrap();
    assert!(!bytes.windows(4).any(|w| w == b"mpvd") && bytes.len() < source.len() - 30_000, "the video is gone");
    let moved = tempfile::tempdir().unwrap();
    std::fs::copy(&still, moved.path().join("s.heic")).unwrap();
    let (code, doc) = scan_json(&[moved.path()], &[]);
    assert_eq!((code, doc["unpaired_stills"].as_array().unwrap().len(), doc["notes"].clone()), (0, 1, serde_json::json!([])), "{doc}");
    // the image is whole: it decodes, as a JPEG of the fixture's size
    ok(&[&"stills", &"--format", &"jpeg", &lib.path(), &"-o", &out.path().join("jpeg")]);
    assert_eq!(image::image_dimensions(out.path().join("jpeg/20240501_100004.jpg")).unwrap(), (320, 240));
    let rc = std::process::Command::new("heif-convert").arg(&still).arg(out.path().join("ref.jpg")).output().unwrap();
    assert!(rc.status.success(), "the reference decoder reads the edited HEIF: {}", String::from_utf8_lossy(&rc.stderr));
}

/// Phones append their own data after a JPEG's end-of-image: that is a complete photo (a note
/// says what follows it), not a truncated one.
#[test]
fn data_after_a_jpegs_end_is_not_truncation() {
    let lib = lib_of(&["shapes/PXL_trailing.jpg", "broken/truncated.JPG"]);
    let (code, doc) = scan_json(&[lib.path()], &[]);
    let errors: Vec<String> = doc["errors"].as_array().unwrap().iter().map(|e| name(&e["path"])).collect();
    assert_eq!((code, errors), (1, vec!["truncated.JPG".to_string()]), "a cut JPEG is still an error: {doc}");
    assert_eq!(doc["unpaired_stills"][0]["path"].as_str().map(|p| p.ends_with("PXL_trailing.jpg")), Some(true), "{doc}");
    let note = doc["notes"][0]["note"].as_str().unwrap_or_default();
    assert!(note.contains("16.0 KB after the image's end"), "{doc}");
}

/// Outputs are named for the bytes written: a JPEG that Takeout named `.HEIC` comes out `.jpg`.
#[test]
fn names_follow_the_bytes_written() {
    let lib = lib_of(&["shapes/IMG_5002.HEIC", "shapes/IMG_5002.MOV"]);
    for format in ["original", "jpeg"] {
        let out = tempfile::tempdir().unwrap();
        ok(&[&"stills", &"--format", &format, &lib.path(), &"-o", &out.path()]);
        let files: Vec<String> = walk(out.path()).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(files, ["IMG_5002.jpg"], "{format}");
        assert_eq!(sha256(&out.path().join("IMG_5002.jpg")), sha256(&lib.path().join("IMG_5002.HEIC")), "{format}: copied as it is");
    }
}

/// The place where Android (`©xyz`, exiftool's UserData:GPSCoordinates) and Apple (the ISO 6709
/// key, Keys:GPSCoordinates) read it, in MP4s and in the MP4 inside a motion photo.
#[test]
fn mp4s_carry_their_location_where_players_read_it() {
    let lib = fixture_copy(&["heic_mov"]);
    let out = tempfile::tempdir().unwrap();
    ok(&[&"convert", &lib.path(), &"--to", &"mp4", &"-o", &out.path().join("mp4")]);
    ok(&[&"convert", &lib.path(), &"--to", &"motion-photo", &"-o", &out.path().join("mp")]);
    let mp = std::fs::read(out.path().join("mp/heic_mov/IMG_0001.MP.jpg")).unwrap();
    let at = mp.windows(8).position(|w| &w[4..] == b"ftyp").expect("the MP4 inside");
    std::fs::write(out.path().join("inside.mp4"), &mp[at..]).unwrap();
    for mp4 in [out.path().join("mp4/heic_mov/IMG_0001.mp4"), out.path().join("inside.mp4")] {
        let r =
            std::process::Command::new("exiftool").args(["-a", "-G1", "-s", "-n", "-GPSCoordinates"]).arg(&mp4).output().expect("exiftool");
        let text = String::from_utf8_lossy(&r.stdout);
        for group in ["[UserData]", "[Keys]"] {
            let line = text
                .lines()
                .find(|l| l.starts_with(group))
                .unwrap_or_else(|| panic!("{}: no {group} GPSCoordinates in {text}", mp4.display()));
            assert!(line.contains("48.8584 2.2945"), "{line}");
        }
        assert_eq!(probe(&mp4).frames, 23, "the samples are still found after the moov grew");
    }
}

/// A HEIC that does not decode is reported under its own path, by `stills`, `convert --to
/// motion-photo` and `report`; never under its clip's or an output's.
#[test]
fn a_failure_names_the_file_at_fault() {
    let lib = fixture_copy(&["heic_mov"]);
    let heic = lib.path().join("heic_mov/IMG_0001.HEIC");
    let mut bytes = std::fs::read(&heic).unwrap();
    // the decoder's parameter sets (the hvcC NAL units) zeroed: the metadata whole, the image lost
    let at = bytes.windows(4).position(|w| w == b"hvcC").unwrap();
    let len = u32::from_be_bytes(bytes[at - 4..at].try_into().unwrap()) as usize;
    bytes[at + 4 + 23..at - 4 + len].iter_mut().for_each(|b| *b = 0);
    std::fs::write(&heic, bytes).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (root, s, m, r) = (lib.path(), out.path().join("s"), out.path().join("m"), out.path().join("r.html"));
    let runs: [Vec<&dyn AsRef<std::ffi::OsStr>>; 3] = [
        vec![&"stills", &"--format", &"jpeg", &root, &"-o", &s],
        vec![&"convert", &root, &"--to", &"motion-photo", &"-o", &m],
        vec![&"report", &root, &"--no-previews", &"-o", &r],
    ];
    for args in &runs {
        let r = run(args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{err}");
        let line = err.lines().find(|l| l.contains("libheif")).unwrap_or_else(|| panic!("no libheif line: {err}"));
        assert!(line.starts_with(&format!("livephoto: {}: ", heic.display())), "names the still: {line}");
    }
}

/// Peak resident memory (KiB) of one run of livephoto, as the kernel counted it.
#[cfg(target_os = "linux")]
fn peak_kib(args: &[&dyn AsRef<std::ffi::OsStr>]) -> i64 {
    let mut cmd = bin();
    for a in args {
        cmd.arg(a);
    }
    #[allow(clippy::zombie_processes)] // reaped by wait4 below, which also reads its peak memory
    let child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: waits for our own child and fills the two values it is handed
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert!(pid > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{status}");
    usage.ru_maxrss
}

/// A motion photo's job holds no more than an MP4's: the still and the video are made one after
/// the other, and what the first held is given back before the second (24 MP iOS 18 Live
/// Photos at 2 jobs peaked 1.5 times the MP4 path's memory).
#[cfg(target_os = "linux")]
#[test]
fn a_motion_photos_memory_is_the_mp4_paths() {
    let Some(samples) = samples() else { return };
    let lib = tempfile::tempdir().unwrap();
    for i in 0..4 {
        copy_dir(&samples.join("apple-ios18"), &lib.path().join(format!("d{i}")));
    }
    let out = tempfile::tempdir().unwrap();
    let mp4 = peak_kib(&[&"convert", &lib.path(), &"--to", &"mp4", &"-j", &"2", &"-o", &out.path().join("mp4")]);
    let motion = peak_kib(&[&"convert", &lib.path(), &"--to", &"motion-photo", &"-j", &"2", &"-o", &out.path().join("mp")]);
    println!("peak memory: MP4 {} MB, motion photo {} MB", mp4 / 1024, motion / 1024);
    assert!(motion <= mp4 * 11 / 10, "motion photo {motion} KiB, MP4 {mp4} KiB");
}
