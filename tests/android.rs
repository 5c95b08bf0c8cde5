//! Android motion photos (a still with its video inside) in, and Google Motion Photos out:
//! every container kind, found or not by its bytes, exported frame for frame, and a round trip
//! Apple pair → motion photo → scan → MP4.

mod common;
use common::*;
use serde_json::Value;

/// (name, container, frames, key time) of each motion photo found.
fn motion_photos(doc: &Value) -> Vec<(String, String, u64, Option<f64>)> {
    let lps = doc["live_photos"].as_array().unwrap();
    lps.iter()
        .filter(|lp| lp["kind"] == "motion_photo")
        .map(|lp| {
            assert_eq!(lp["still"], lp["clip"], "one file holds both");
            let container = lp["embedded_video"]["container"].as_str().unwrap().to_string();
            (name(&lp["still"]), container, lp["frames"].as_u64().unwrap(), lp["key_time_s"].as_f64())
        })
        .collect()
}

fn stills_and_notes(doc: &Value) -> (Vec<String>, Vec<String>) {
    let stills = doc["unpaired_stills"].as_array().unwrap().iter().map(|s| name(&s["path"])).collect();
    let notes = doc["notes"].as_array().unwrap().iter().map(|n| name(&n["path"])).collect();
    (stills, notes)
}

#[test]
fn every_container_kind_is_found_by_its_bytes_and_a_lying_flag_is_a_still() {
    let (code, doc) = scan_json(&[&fixtures().join("android")], &[]);
    assert_eq!(code, 0, "{doc}");
    let s = |n: &str, c: &str, k: Option<f64>| (n.to_string(), c.to_string(), 23, k);
    assert_eq!(
        motion_photos(&doc),
        vec![
            s("20240501_100002.jpg", "samsung_trailer", None),
            s("20240501_100003.heic", "samsung_mpvd", None),
            s("MVIMG_20240501_100001.jpg", "micro_video", Some(0.6)),
            s("PXL_20240501_100000000.MP.jpg", "google_motion_photo", Some(0.7)),
        ]
    );
    let lp = &doc["live_photos"][3];
    assert_eq!((lp["captured_at"].as_str(), lp["model"].as_str()), (Some("2024-05-01T12:00:00+02:00"), Some("Pixel 8")));
    assert_eq!((lp["video_codec"].as_str(), lp["audio_codec"].as_str()), (Some("h264"), Some("aac")));
    let (stills, notes) = stills_and_notes(&doc);
    assert_eq!(stills, vec!["MVIMG_lying.jpg", "PXL_ultrahdr.jpg"], "neither holds a video");
    assert_eq!(notes, vec!["MVIMG_lying.jpg"], "the lie is noted; a gain map claims no video");
    let (_, doc) = scan_json(&[&fixtures().join("android")], &["--lens", "Pixel 8"]);
    assert_eq!(motion_photos(&doc).len(), 3, "filters work on motion photos: the Samsung HEIC is another model");
}

#[test]
fn real_android_files() {
    let Some(samples) = samples() else { return };
    let (code, doc) = scan_json(&[&samples.join("android")], &[]);
    assert_eq!(code, 0, "{doc}");
    let m = |n: &str, c: &str, f, k| (n.to_string(), c.to_string(), f, Some(k));
    assert_eq!(
        motion_photos(&doc),
        vec![m("motion_photo.jpeg", "google_motion_photo", 186, 0.5), m("samsung-one-ui-6.heic", "samsung_mpvd", 42, 3.0)]
    );
    let samsung = &doc["live_photos"][1];
    assert_eq!(
        (samsung["embedded_video"]["offset"].as_u64(), samsung["embedded_video"]["length"].as_u64()),
        (Some(452_284), Some(3_226_469))
    );
    assert_eq!((samsung["video_codec"].as_str(), samsung["rotation"].as_u64()), (Some("hevc"), Some(90)));
    let (stills, notes) = stills_and_notes(&doc);
    assert_eq!(stills, vec!["google_motion_photo_broken.jpg", "pixel_8.jpg", "sewing-threads.heic"]);
    assert_eq!(notes, vec!["google_motion_photo_broken.jpg"]);
}

#[cfg(feature = "media")]
mod media {
    use super::*;
    use common::probe::probe;

    fn run_ok(args: &[&dyn AsRef<std::ffi::OsStr>]) {
        let r = run(args);
        assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    }

    #[test]
    fn embedded_videos_export_frame_for_frame() {
        let out = tempfile::tempdir().unwrap();
        run_ok(&[&"convert", &fixtures().join("android"), &"--to", &"mp4", &"-o", &out.path()]);
        let mut made: Vec<(String, u64)> =
            walk(out.path()).iter().map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), probe(p).frames)).collect();
        made.sort();
        let want = ["20240501_100002.mp4", "20240501_100003.mp4", "MVIMG_20240501_100001.mp4", "PXL_20240501_100000000.mp4"];
        assert_eq!(made, want.iter().map(|n| (n.to_string(), 23)).collect::<Vec<_>>());
        let Some(samples) = samples() else { return };
        let out = tempfile::tempdir().unwrap();
        run_ok(&[&"convert", &samples.join("android/samsung-one-ui-6.heic"), &"--to", &"mp4", &"--codec", &"copy", &"-o", &out.path()]);
        let got = probe(&out.path().join("samsung-one-ui-6.mp4"));
        assert_eq!((got.frames, got.video_codec.as_str()), (42, "hevc"), "stream-copied, every frame");
        let h264 = tempfile::tempdir().unwrap();
        run_ok(&[&"convert", &samples.join("android/samsung-one-ui-6.heic"), &"--to", &"mp4", &"-o", &h264.path()]);
        let got = probe(&h264.path().join("samsung-one-ui-6.mp4"));
        assert_eq!((got.frames, got.video_codec.as_str(), got.width, got.height), (42, "h264", 1080, 1440), "by default: H.264, upright");
    }

    /// `stills` writes the photo alone, saying only what it holds: a JPEG up to its
    /// end-of-image with the motion XMP gone (the segment keeps its length) and no `.MP` in its
    /// name, a HEIF without `mpvd`; livephoto's own scan reads each as a plain still, no note.
    #[test]
    fn stills_come_without_their_video() {
        let input = fixtures().join("android");
        let out = tempfile::tempdir().unwrap();
        run_ok(&[&"stills", &input, &"-o", &out.path()]);
        let says = |b: &[u8], w: &str| b.windows(w.len()).any(|x| x == w.as_bytes());
        for (name, written) in [
            ("20240501_100002.jpg", "20240501_100002.jpg"),
            ("MVIMG_20240501_100001.jpg", "MVIMG_20240501_100001.jpg"),
            ("PXL_20240501_100000000.MP.jpg", "PXL_20240501_100000000.jpg"),
        ] {
            let (got, orig) = (std::fs::read(out.path().join(written)).unwrap(), std::fs::read(input.join(name)).unwrap());
            assert!(got.ends_with(&[0xFF, 0xD9]) && got.len() < orig.len() - 30_000, "{name}: up to its end-of-image, the video gone");
            let differing = got.iter().zip(&orig).filter(|(a, b)| a != b).count();
            assert!(differing < 1000, "{name}: the original's bytes but the XMP packet ({differing} differ)");
            assert!(!says(&got, "MotionPhoto") && !says(&got, "MicroVideo"), "{name}: nothing announces a video");
        }
        let heic = std::fs::read(out.path().join("20240501_100003.heic")).unwrap();
        assert!(!heic.windows(4).any(|w| w == b"mpvd") && !heic.windows(4).any(|w| w == b"ftypisom"), "no mpvd box, no MP4");
        assert!(!says(&heic, "MotionPhoto"), "the HEIF's XMP announces no video");
        let moved = tempfile::tempdir().unwrap(); // the export folder itself is never scanned
        for f in walk(out.path()) {
            std::fs::copy(&f, moved.path().join(f.file_name().unwrap())).unwrap();
        }
        let (code, doc) = scan_json(&[moved.path()], &["--quiet"]);
        assert_eq!(code, 0, "{doc}");
        assert_eq!(doc["unpaired_stills"].as_array().unwrap().len(), 4, "all four read back as plain stills: {doc}");
        assert_eq!(doc["notes"], serde_json::json!([]), "no still claims a video it lacks: {doc}");
        let jpeg = tempfile::tempdir().unwrap();
        run_ok(&[&"stills", &input, &"--format", &"jpeg", &"-o", &jpeg.path()]);
        let decoded = image::open(jpeg.path().join("20240501_100003.jpg")).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 240));
    }

    /// A still without a time of its own (a messaging app stripped it) whose clip has one with its
    /// offset: the motion photo carries that time and offset, not only the MP4's UTC.
    #[test]
    fn a_motion_photo_keeps_the_time_offset_a_still_lacked() {
        let lib = fixture_copy(&["jpeg_mov"]);
        let still = lib.path().join("jpeg_mov/IMG_0002.JPG");
        let stripped = std::process::Command::new("exiftool")
            .args([
                "-q",
                "-overwrite_original",
                "-DateTimeOriginal=",
                "-CreateDate=",
                "-ModifyDate=",
                "-OffsetTimeOriginal=",
                "-OffsetTime=",
            ])
            .arg(&still)
            .status()
            .expect("exiftool (a test tool, installed by scripts/setup)");
        assert!(stripped.success());
        let (_, doc) = scan_json(&[lib.path()], &[]);
        assert_eq!(doc["live_photos"][0]["captured_at_source"], "clip", "{doc}");
        let out = tempfile::tempdir().unwrap();
        run_ok(&[&"convert", &lib.path(), &"--to", &"motion-photo", &"-o", &out.path()]);
        let moved = tempfile::tempdir().unwrap();
        std::fs::copy(out.path().join("jpeg_mov/IMG_0002.MP.jpg"), moved.path().join("IMG_0002.MP.jpg")).unwrap();
        let (_, back) = scan_json(&[moved.path()], &[]);
        assert_eq!(back["live_photos"][0]["captured_at"], "2022-07-01T18:30:04-04:00", "{back}");
        assert_eq!(back["live_photos"][0]["captured_at_source"], "still", "{back}");
    }

    /// Apple pairs → Google Motion Photos → scanned back as motion photos with every frame and
    /// the key photo's time → MP4s with every frame; exiftool reads the container directory.
    #[test]
    fn apple_pairs_round_trip_through_google_motion_photos() {
        let out = tempfile::tempdir().unwrap();
        run_ok(&[&"convert", &fixtures().join("heic_mov"), &fixtures().join("jpeg_mov"), &"--to", &"motion-photo", &"-o", &out.path()]);
        let moved = tempfile::tempdir().unwrap(); // as a user would copy them to a phone
        for f in ["IMG_0001.MP.jpg", "IMG_0002.MP.jpg"] {
            std::fs::copy(out.path().join(f), moved.path().join(f)).unwrap();
        }
        let (code, doc) = scan_json(&[moved.path()], &[]);
        assert_eq!(code, 0, "{doc}");
        let found = motion_photos(&doc);
        assert_eq!(found.len(), 2, "{doc}");
        for ((name, container, frames, key), want_key) in found.iter().zip([0.8, 0.6]) {
            assert_eq!((container.as_str(), *frames), ("google_motion_photo", 23), "{name}");
            assert!((key.unwrap() - want_key).abs() <= 1.0 / 15.0, "{name}: key photo within one frame");
        }
        let lp = &doc["live_photos"][0];
        assert_eq!(lp["content_id"], "1B7A3F2C-0D4E-4C5B-9A8F-000000000001", "the EXIF and MakerNote travel along");
        assert_eq!((lp["video_codec"].as_str(), lp["rotation"].as_u64()), (Some("h264"), Some(0)), "HEVC made H.264, upright");
        assert_eq!((lp["width"].as_u64(), lp["height"].as_u64()), (Some(120), Some(160)), "the portrait clip turned upright");
        assert!(lp["captured_at"].as_str().unwrap().starts_with("2021-04-10T11:44:00"));

        let back = tempfile::tempdir().unwrap();
        run_ok(&[&"convert", &moved.path(), &"--to", &"mp4", &"-o", &back.path()]);
        assert_eq!(probe(&back.path().join("IMG_0001.mp4")).frames, 23);

        let exif = std::process::Command::new("exiftool")
            .args(["-a", "-s", "-s", "-s", "-XMP-Container:DirectoryItemSemantic", "-XMP-Container:DirectoryItemLength", "-MotionPhoto"])
            .arg(moved.path().join("IMG_0002.MP.jpg"))
            .output()
            .expect("exiftool (libimage-exiftool-perl, installed by scripts/setup) reads the XMP we write");
        let text = String::from_utf8_lossy(&exif.stdout).to_string();
        let len = doc["live_photos"][1]["embedded_video"]["length"].as_u64().unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines, vec!["Primary", "MotionPhoto", "0", len.to_string().as_str(), "1"], "{text}");
    }
}
