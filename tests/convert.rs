//! `livephoto convert` and `livephoto stills`: outputs probed with ffmpeg-next for what a person
//! checks (every frame, the duration, audio, capture time, location, rotation, bytes unchanged).
#![cfg(feature = "media")]

mod common;
use common::probe::probe;
use common::*;
use std::path::Path;

fn convert(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    bin().arg("convert").arg(input).arg("-o").arg(out).args(extra).output().unwrap()
}

#[test]
fn mp4_keeps_every_frame_the_duration_rotation_audio_time_and_place() {
    let input = fixture_copy(&["heic_mov", "jpeg_mov"]);
    let out = tempfile::tempdir().unwrap();
    let before = checksums(input.path());
    let r = convert(input.path(), out.path(), &["--to", "mp4", "--codec", "copy"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));

    let hevc = out.path().join("heic_mov/IMG_0001.mp4");
    let (src, got) = (probe(&input.path().join("heic_mov/IMG_0001.MOV")), probe(&hevc));
    assert_eq!(got.frames, src.frames);
    assert_eq!(got.frames, 23);
    assert!((got.duration - src.duration).abs() < 0.05, "{} vs {}", got.duration, src.duration);
    assert_eq!((got.video_codec.as_str(), got.codec_tag.as_str()), ("hevc", "hvc1"));
    assert_eq!(got.rotation, Some(-90.0), "display matrix kept (portrait clip)");
    assert_eq!(got.audio_codec, None);
    assert_eq!(got.data_streams, 0, "timed-metadata tracks dropped");
    assert_eq!(got.creation_time.as_deref(), Some("2021-04-10T10:44:00.000000Z"), "11:44:00+01:00 in UTC");
    assert!(got.location.as_deref().unwrap_or("").starts_with("+48.8584+002.2945"), "{:?}", got.location);
    assert_eq!(mtime(&hevc), 1_618_051_440, "file time = capture time");

    let h264 = probe(&out.path().join("jpeg_mov/IMG_0002.mp4"));
    let src = probe(&input.path().join("jpeg_mov/IMG_0002.MOV"));
    assert_eq!(h264.frames, src.frames);
    assert_eq!(h264.audio_codec.as_deref(), Some("aac"), "camera PCM becomes AAC");
    assert_eq!(h264.creation_time.as_deref(), Some("2022-07-01T22:30:05.000000Z"));
    assert_eq!(checksums(input.path()), before, "inputs unchanged");
    assert_no_temporaries(out.path());
}

/// The default MP4 plays everywhere: HEVC becomes H.264, upright, index first (`+faststart`);
/// an H.264 clip is copied.
#[test]
fn the_default_mp4_is_h264_upright_with_its_index_first() {
    let out = tempfile::tempdir().unwrap();
    let r = convert(&fixtures().join("heic_mov"), out.path(), &["--to", "mp4"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let path = out.path().join("IMG_0001.mp4");
    let got = probe(&path);
    assert_eq!((got.video_codec.as_str(), got.codec_tag.as_str(), got.width, got.height), ("h264", "avc1", 120, 160));
    assert_eq!(got.rotation, None);
    assert_eq!(got.frames, 23);
    assert!((got.duration - 1.533).abs() < 0.05, "{}", got.duration);
    let bytes = std::fs::read(&path).unwrap();
    let at = |k: &[u8]| bytes.windows(4).position(|w| w == k).unwrap();
    assert!(at(b"moov") < at(b"mdat"), "moov before mdat");
    let said = String::from_utf8_lossy(&r.stderr);
    assert!(said.contains("converted 1 (1 re-encoded to H.264: 1 HEVC (plays on Apple devices only"), "the summary says why: {said}");

    // an H.264 clip is copied, and --json says which were re-encoded and why
    let r = convert(&fixtures().join("jpeg_mov"), out.path(), &["--to", "mp4", "--json"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let (src, got) = (probe(&fixtures().join("jpeg_mov/IMG_0002.MOV")), probe(&out.path().join("IMG_0002.mp4")));
    assert_eq!((got.video_codec.as_str(), got.frames), ("h264", src.frames));
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["results"][0].get("reencoded"), None, "copied: {doc}");
    assert_eq!(doc["reencoded"], serde_json::json!({}));
    let r = convert(&fixtures().join("jpeg_mov"), out.path(), &["--to", "mp4", "--json", "--overwrite", "--start", "0.1"]);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!((&doc["results"][0]["reencoded"], &doc["reencoded"]), (&serde_json::json!("trimmed"), &serde_json::json!({"trimmed": 1})));
}

#[test]
fn trimming_around_the_key_photo() {
    let out = tempfile::tempdir().unwrap();
    let r = convert(&fixtures().join("jpeg_mov"), out.path(), &["--to", "mp4", "--around-key", "0.3"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let got = probe(&out.path().join("IMG_0002.mp4"));
    // key photo at 0.6 s: keep 0.3..0.9 s of a 15 fps clip
    assert!((got.duration - 0.6).abs() < 0.1, "{}", got.duration);
    assert!((8..=10).contains(&got.frames), "{}", got.frames);
    let r = convert(&fixtures().join("jpeg_mov"), out.path(), &["--to", "mp4", "--codec", "copy", "--start", "0.2"]);
    assert_eq!(r.status.code(), Some(2), "copy cannot cut exactly: usage error");
}

#[test]
fn gif_has_the_asked_width_rate_and_loops_forever() {
    let out = tempfile::tempdir().unwrap();
    let r = convert(&fixtures().join("heic_mov"), out.path(), &["--to", "gif"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let path = out.path().join("IMG_0001.gif");
    let got = probe(&path);
    assert_eq!((got.width, got.height), (120, 160), "upright portrait, never wider than the clip (160x120, turned)");
    let narrow = out.path().join("narrow");
    let r = convert(&fixtures().join("heic_mov"), &narrow, &["--to", "gif", "--width", "64"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let small = probe(&narrow.join("IMG_0001.gif"));
    assert_eq!((small.width, small.height), (64, 84), "the asked width, the height by aspect (even)");
    assert!((22..=24).contains(&got.frames), "1.53 s at 15 fps: {}", got.frames);
    let bytes = std::fs::read(&path).unwrap();
    let netscape = bytes.windows(11).position(|w| w == b"NETSCAPE2.0").expect("loop extension");
    assert_eq!(&bytes[netscape + 13..netscape + 15], &[0, 0], "loop count 0 = forever");

    let r = convert(&fixtures().join("jpeg_mov"), out.path(), &["--to", "gif", "--fps", "10", "--width", "100"]);
    assert_eq!(r.status.code(), Some(0));
    let got = probe(&out.path().join("IMG_0002.gif"));
    assert_eq!((got.width, got.height), (100, 74));
    assert!((14..=16).contains(&got.frames), "1.53 s at 10 fps: {}", got.frames);
}

/// `--max-size`: the GIF is lowered until it fits and says what was chosen; one that cannot fit
/// fails and nothing is written. (The Long Exposure fixture's clip, 320x240: a width to lower.)
#[test]
fn max_size_gifs_fit_and_say_what_was_chosen() {
    let out = tempfile::tempdir().unwrap();
    let r = convert(&fixtures().join("long_exposure"), &out.path().join("full"), &["--to", "gif"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let full = std::fs::metadata(out.path().join("full/IMG_0021.gif")).unwrap().len();

    // room for the asked settings: one encode, byte-identical to the plain run
    let r = convert(&fixtures().join("long_exposure"), &out.path().join("roomy"), &["--to", "gif", "--max-size", "50MB", "--json"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["results"][0]["fitted"]["lowered"], false, "{doc}");
    assert_eq!(doc["results"][0]["fitted"]["encodes"], 1, "{doc}");
    assert_eq!(std::fs::read(out.path().join("roomy/IMG_0021.gif")).unwrap(), std::fs::read(out.path().join("full/IMG_0021.gif")).unwrap());

    for share in [0.6, 0.4] {
        let max = (full as f64 * share) as u64;
        let dir = out.path().join(format!("fit-{share}"));
        let r = convert(&fixtures().join("long_exposure"), &dir, &["--to", "gif", "--max-size", &max.to_string(), "--json"]);
        assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
        let path = dir.join("IMG_0021.gif");
        let bytes = std::fs::metadata(&path).unwrap().len();
        assert!(bytes <= max, "{bytes} bytes over the {max} asked ({full} unbounded)");
        let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        let fit = &doc["results"][0]["fitted"];
        assert_eq!((fit["lowered"].as_bool(), fit["bytes"].as_u64()), (Some(true), Some(bytes)), "{doc}");
        assert!(fit["encodes"].as_u64().unwrap() <= 5, "a few trial encodes: {fit}");
        let got = probe(&path);
        assert_eq!(u64::from(got.width), fit["width"].as_u64().unwrap(), "the GIF is as reported: {fit}");
        assert!(got.width >= 240 && fit["fps"].as_f64().unwrap() >= 8.0, "never below the least settings: {fit}");
        assert!(got.frames > 0);
        // the text output says it too
        let r = convert(&fixtures().join("long_exposure"), &dir, &["--to", "gif", "--max-size", &max.to_string(), "--overwrite"]);
        let said = String::from_utf8_lossy(&r.stderr);
        assert!(said.contains("lowered to fit --max-size") && said.contains(&format!("{} px", fit["width"])), "{said}");
    }

    let dir = out.path().join("tiny");
    let r = convert(&fixtures().join("long_exposure"), &dir, &["--to", "gif", "--max-size", "2KB"]);
    assert_eq!(r.status.code(), Some(1), "a GIF that cannot fit is a failure");
    let said = String::from_utf8_lossy(&r.stderr);
    assert!(said.contains("IMG_0021.MOV: cannot fit in 2 KB even at 240 px, 8 fps, quality 40"), "{said}");
    assert!(!dir.exists(), "nothing written, and no folder left: {:?}", dir.exists().then(|| walk(&dir)));

    let r = convert(&fixtures().join("long_exposure"), &out.path().join("mp4"), &["--to", "mp4", "--max-size", "8MB"]);
    assert_eq!(r.status.code(), Some(2), "--max-size is for GIFs");
    let r = convert(&fixtures().join("long_exposure"), &out.path().join("bad"), &["--to", "gif", "--max-size", "8 parsecs"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("unknown size unit"));
}

/// Bounce: forward then backward, the turn's frame once (2n-1 frames), no sound. Loop: the end
/// cross-fades into the start, so the last frame leads into the first.
#[test]
fn bounce_and_loop_play_as_in_photos() {
    use common::probe::{mean_difference, rgb_frames};
    let out = tempfile::tempdir().unwrap();
    let src = probe(&fixtures().join("jpeg_mov/IMG_0002.MOV"));
    for to in ["mp4", "gif"] {
        let r = convert(&fixtures().join("jpeg_mov"), &out.path().join(format!("b-{to}")), &["--to", to, "--effect", "bounce"]);
        assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
        let got = probe(&out.path().join(format!("b-{to}/IMG_0002.{to}")));
        assert_eq!(got.frames, 2 * src.frames - 1, "{to}");
        assert!((got.duration / src.duration - 2.0).abs() < 0.1, "{to}: {} s from {} s", got.duration, src.duration);
        assert_eq!(got.audio_codec, None, "{to}: no sound");
    }
    let bounce = rgb_frames(&out.path().join("b-mp4/IMG_0002.mp4"));
    let n = src.frames as usize;
    assert!(mean_difference(&bounce[n - 2], &bounce[n]) < 3.0, "frame n-2 plays again right after the turn");

    let plain = rgb_frames(&fixtures().join("jpeg_mov/IMG_0002.MOV"));
    let jump = mean_difference(&plain[0], plain.last().unwrap());
    let r = convert(&fixtures().join("jpeg_mov"), &out.path().join("loop"), &["--to", "mp4", "--effect", "loop"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let looped = rgb_frames(&out.path().join("loop/IMG_0002.mp4"));
    let seam = mean_difference(&looped[0], looped.last().unwrap());
    let step = mean_difference(&plain[5], &plain[6]);
    println!("loop seam {seam:.2}/255, one frame step {step:.2}, plain clip's wrap {jump:.2}");
    assert!(seam <= step * 1.5 + 1.0 && seam < jump / 2.0, "seam {seam:.2}, step {step:.2}, wrap {jump:.2}");
    assert!((looped.len() as i64 - (n as i64 - 6)).abs() <= 1, "0.4 s shorter: {} frames from {n}", looped.len());
}

#[test]
fn hdr_clips_are_tone_mapped_not_washed_out() {
    // hdr/IMG_0013.MOV is the SDR test pattern converted to 10-bit HLG BT.2020; shown as if it
    // were BT.709 its mean saturation drops from 0.98 to about 0.59.
    let out = tempfile::tempdir().unwrap();
    for to in ["gif", "mp4"] {
        let extra: &[&str] = &["--to", to]; // the default MP4 of a 10-bit HLG clip is tone-mapped H.264
        let r = convert(&fixtures().join("hdr"), &out.path().join(to), extra);
        assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
        let sat = common::probe::first_frame_saturation(&out.path().join(to).join(format!("IMG_0013.{to}")));
        assert!(sat > 0.8, "{to}: mean saturation {sat:.3}: washed out");
    }
}

#[test]
fn a_corrupt_clip_fails_alone_with_its_path_and_the_rest_convert() {
    let lib = fixture_copy(&["heic_mov", "jpeg_mov"]);
    // Keep the headers, destroy the coded video: the clip pairs, but does not decode.
    let clip = lib.path().join("jpeg_mov/IMG_0002.MOV");
    let mut data = std::fs::read(&clip).unwrap();
    let mdat = data.windows(4).position(|w| w == b"mdat").unwrap() + 4;
    for b in &mut data[mdat..mdat + 8000] {
        *b = 0xA5;
    }
    std::fs::write(&clip, data).unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = convert(lib.path(), out.path(), &["--to", "gif", "--width", "64"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert!(err.contains("IMG_0002.MOV: "), "{err}");
    assert!(err.contains("converted 1, skipped 0 (already there), failed 1"), "{err}");
    assert!(out.path().join("heic_mov/IMG_0001.gif").exists());
    assert!(!out.path().join("jpeg_mov/IMG_0002.gif").exists());
    assert_no_temporaries(out.path());
}

#[test]
fn facetime_only_export() {
    let out = tempfile::tempdir().unwrap();
    let r = convert(&fixtures(), out.path(), &["--to", "gif", "--facetime", "--width", "64"]);
    assert_eq!(r.status.code(), Some(1), "the broken fixtures are reported");
    let files: Vec<_> = walk(out.path()).iter().map(|p| p.strip_prefix(out.path()).unwrap().display().to_string()).collect();
    assert_eq!(files, vec!["facetime/IMG_0003.gif"]);
}

#[test]
fn edits_export_alone_each_with_its_clip_or_asked_its_originals() {
    let out = tempfile::tempdir().unwrap();
    let r = convert(&fixtures().join("edited"), out.path(), &["--to", "mp4", "--edits-only", "--edit-uses-original-clip"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let mut files: Vec<_> = walk(out.path()).iter().map(|p| p.strip_prefix(out.path()).unwrap().display().to_string()).collect();
    files.sort();
    assert_eq!(files, vec!["IMG_E0016.mp4", "IMG_E0017.mp4"]);
    assert_eq!(probe(&out.path().join("IMG_E0016.mp4")).frames, 15, "the edit's own trimmed clip");
    assert_eq!(probe(&out.path().join("IMG_E0017.mp4")).frames, 23, "the original's clip");
}

#[test]
fn existing_outputs_are_skipped_unless_overwrite() {
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("IMG_0001.mp4");
    std::fs::write(&dest, b"mine").unwrap();
    let r = convert(&fixtures().join("heic_mov"), out.path(), &["--to", "mp4"]);
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(std::fs::read(&dest).unwrap(), b"mine");
    assert!(String::from_utf8_lossy(&r.stderr).contains("skipped 1"));
    let r = convert(&fixtures().join("heic_mov"), out.path(), &["--to", "mp4", "--overwrite"]);
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(probe(&dest).frames, 23);
}

#[test]
fn dry_run_writes_nothing_and_json_reports_each_live_photo() {
    let out = tempfile::tempdir().unwrap();
    let r = convert(&fixtures().join("jpeg_mov"), &out.path().join("x"), &["--to", "mp4", "--dry-run"]);
    assert_eq!(r.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&r.stdout).contains("IMG_0002.mp4"));
    assert!(!out.path().join("x").exists());
    let r = convert(&fixtures().join("jpeg_mov"), out.path(), &["--to", "mp4", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["converted"], 1);
    assert_eq!(doc["results"][0]["status"], "converted");
    assert_eq!(doc["results"][0]["frames"], 23);
    assert!(doc["results"][0]["output"].as_str().unwrap().ends_with("IMG_0002.mp4"));
}

#[test]
fn piped_progress_has_no_escape_codes_and_a_summary() {
    let out = tempfile::tempdir().unwrap();
    let r = convert(&fixtures().join("heic_mov"), out.path(), &["--to", "gif", "--width", "64"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!err.contains('\x1b'), "escape codes on a pipe: {err:?}");
    assert!(err.contains("converted 1, skipped 0"), "{err}");
}

#[test]
fn stills_are_byte_identical_and_only_live_photos() {
    let out = tempfile::tempdir().unwrap();
    let r = bin().arg("stills").arg(fixtures()).arg("-o").arg(out.path()).output().unwrap();
    assert_eq!(r.status.code(), Some(1), "broken fixtures reported");
    let mut files: Vec<_> = walk(out.path()).iter().map(|p| p.strip_prefix(out.path()).unwrap().display().to_string()).collect();
    files.sort();
    assert_eq!(
        files,
        vec![
            "android/20240501_100002.jpg",
            "android/20240501_100003.heic",
            "android/MVIMG_20240501_100001.jpg",
            "android/PXL_20240501_100000000.jpg",
            "edited/IMG_0016.HEIC",
            "edited/IMG_0017.JPG",
            "edited/IMG_E0016.HEIC",
            "facetime/IMG_0003.HEIC",
            "hdr/IMG_0013.HEIC",
            "heic_mov/IMG_0001.HEIC",
            "jpeg_mov/IMG_0002.JPG",
            "long_exposure/IMG_0021.JPG",
            "png_app/IMG_0014.png",
            "png_app/live_0015.png",
            "renamed/photos/holiday.jpg",
            "shapes/20240501_100004.heic",
            "shapes/IMG_0018.HEIC",
            "shapes/IMG_0019.JPG",
            "shapes/IMG_5002.jpg",
            "stripped/IMG_0009.JPG",
            "takeout/IMG_0005.HEIC",
            "vendors/IMG20240501180000.jpg",
            "vendors/IMG20240501180001.jpg",
            "vendors/IMG_0030.heic",
            "vendors/IMG_0031.jpg",
            "vendors/IMG_0032.jpg",
            "vendors/IMG_20240501_180005.jpg",
            "vendors/IMG_20240501_180006.jpg",
            "vendors/IMG_20240501_180007.heic",
            "vendors/IMG_20240501_180009.jpg",
            "vendors/MVIMG_20240501_180003.jpg",
            "vendors/MVIMG_20240501_180004.jpg"
        ]
    );
    // (motion photos' and vendors' stills lose their video and trailers: tests/android.rs,
    // tests/vendors.rs, tests/today.rs); a name says
    // what the bytes are (a PNG or JPEG behind a .HEIC name)
    fn source(f: &str) -> &str {
        match f {
            "png_app/IMG_0014.png" => "png_app/IMG_0014.HEIC",
            "shapes/IMG_5002.jpg" => "shapes/IMG_5002.HEIC",
            f => f,
        }
    }
    for f in files.iter().filter(|f| !f.starts_with("android/") && !f.starts_with("vendors/") && !f.ends_with("100004.heic")) {
        assert_eq!(sha256(&out.path().join(f)), sha256(&fixtures().join(source(f))), "{f}");
    }
}

#[test]
fn heic_stills_become_full_size_upright_jpegs_with_their_exif() {
    let out = tempfile::tempdir().unwrap();
    let r = bin()
        .arg("stills")
        .arg(fixtures().join("heic_mov"))
        .arg(fixtures().join("jpeg_mov"))
        .args(["--format", "jpeg", "-o"])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let jpg = out.path().join("IMG_0001.jpg");
    let bytes = std::fs::read(&jpg).unwrap();
    let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&bytes)).expect("EXIF kept");
    let field = |t: exif::Tag| exif.get_field(t, exif::In::PRIMARY).map(|f| f.display_value().to_string());
    assert_eq!(field(exif::Tag::DateTimeOriginal).as_deref(), Some("2021-04-10 11:44:00"));
    assert!(field(exif::Tag::GPSLatitude).is_some());
    assert_eq!(field(exif::Tag::Orientation).as_deref(), Some("row 0 at top and column 0 at left"));
    let img = image::load_from_memory(&bytes).unwrap();
    let heic = libheif_rs::HeifContext::read_from_file(fixtures().join("heic_mov/IMG_0001.HEIC").to_str().unwrap()).unwrap();
    let h = heic.primary_image_handle().unwrap();
    assert_eq!((img.width(), img.height()), (h.width(), h.height()));
    assert_eq!(sha256(&out.path().join("IMG_0002.JPG")), sha256(&fixtures().join("jpeg_mov/IMG_0002.JPG")), "JPEG copied as is");
}

#[test]
fn an_output_never_replaces_an_input() {
    // -o a scanned folder is refused before any work (it used to write IMG_0001-2.* beside the
    // inputs); the other spellings of it are in tests/safety.rs
    let lib = fixture_copy(&["heic_mov"]);
    let before = checksums(lib.path());
    let mine = lib.path().join("heic_mov/IMG_0001.mp4");
    std::fs::write(&mine, b"someone's video").unwrap();
    for args in [&["stills", "--overwrite"][..], &["convert", "--to", "mp4", "--overwrite"]] {
        let r = bin().args(args).arg(lib.path()).arg("-o").arg(lib.path()).output().unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        assert!(err.contains("is the scanned folder"), "{err}");
    }
    assert_eq!(std::fs::read(&mine).unwrap(), b"someone's video");
    for (p, h) in &before {
        assert_eq!(&sha256(p), h);
    }
    assert!(!lib.path().join(MARKER).exists(), "nothing written, not even the marker");
}

#[test]
fn real_train_pair_converts_completely() {
    let Some(samples) = samples() else { return };
    let out = tempfile::tempdir().unwrap();
    let apple = samples.join("apple");
    let r = convert(&apple, &out.path().join("mp4"), &["--to", "mp4"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let got = probe(&out.path().join("mp4/train.mp4"));
    let src = probe(&apple.join("train.mov"));
    assert_eq!((got.frames, src.frames), (22, 22));
    assert!((got.duration - 1.233).abs() < 0.05, "{}", got.duration);
    assert_eq!(got.audio_codec.as_deref(), Some("aac"));
    assert_eq!(got.creation_time.as_deref(), Some("2021-04-10T10:44:00.000000Z"));
    assert!(got.location.is_some());
    let r = convert(&apple, &out.path().join("gif"), &["--to", "gif"]);
    assert_eq!(r.status.code(), Some(0));
    let gif = probe(&out.path().join("gif/train.gif"));
    assert_eq!(gif.width, 480);
    assert!((18..=19).contains(&gif.frames), "{}", gif.frames);
    let r = bin().arg("stills").arg(&apple).arg("-o").arg(out.path().join("stills")).output().unwrap();
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(sha256(&out.path().join("stills/train.jpg")), sha256(&apple.join("train.jpg")));
}

fn assert_no_temporaries(dir: &Path) {
    let tmp: Vec<_> = walk(dir).into_iter().filter(|p| is_temporary(p)).collect();
    assert!(tmp.is_empty(), "{tmp:?}");
}
