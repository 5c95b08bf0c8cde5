//! Every phone's live photos (docs/formats.md "Other phones' live photos"): OPPO/OnePlus, Xiaomi,
//! Huawei/Honor, vivo and `.livp` archives, each found by its own markers with its key time, the
//! traps each layout sets kept apart, and every command working on them.

mod common;
use common::*;
use serde_json::Value;

/// The fixtures' MP4, which every vendor file here carries: 1.0 s, 15 frames.
const MP4_LEN: u64 = 14_859;

fn vendors() -> std::path::PathBuf {
    fixtures().join("vendors")
}

/// (still name, kind, container, key time, frames, video length) of a Live Photo.
type Found = (String, String, String, Option<f64>, u64, Option<u64>);

fn found(doc: &Value) -> Vec<Found> {
    doc["live_photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lp| {
            (
                name(&lp["still"]),
                lp["kind"].as_str().unwrap().to_string(),
                lp["embedded_video"]["container"].as_str().unwrap_or("").to_string(),
                lp["key_time_s"].as_f64(),
                lp["frames"].as_u64().unwrap(),
                lp["embedded_video"]["length"].as_u64(),
            )
        })
        .collect()
}

fn notes(doc: &Value) -> Vec<(String, String)> {
    doc["notes"].as_array().unwrap().iter().map(|n| (name(&n["path"]), n["note"].as_str().unwrap().to_string())).collect()
}

#[test]
fn every_layout_is_found_by_its_markers_with_its_key_time() {
    let (code, doc) = scan_json(&[&vendors()], &[]);
    assert_eq!(code, 1, "the broken .livp files are errors: {doc}");
    let e = |n: &str, kind: &str, c: &str, key: f64, len: Option<u64>| (n.to_string(), kind.to_string(), c.to_string(), Some(key), 15, len);
    assert_eq!(
        found(&doc),
        vec![
            // OPPO: the directory's Length covers the MP4 and the trailer; VideoLength the MP4
            e("IMG20240501180000.jpg", "motion_photo", "oplus_motion_photo", 0.4, Some(MP4_LEN)),
            // the same without VideoLength: the MP4 still ends where its boxes end
            e("IMG20240501180001.jpg", "motion_photo", "google_motion_photo", 0.3, Some(MP4_LEN)),
            e("IMG_0030.livp", "livp", "livp", 0.5, Some(15_878)),
            e("IMG_0031.livp", "livp", "livp", 0.5, Some(15_878)),
            e("IMG_0032.livp", "livp", "livp", 0.5, Some(15_878)),
            // Huawei: the play tag's cover time; Honor: its uuid box is part of the MP4, the
            // cinemagraph data after it is not
            e("IMG_20240501_180005.jpg", "motion_photo", "huawei_moving_photo", 0.8, Some(MP4_LEN)),
            e("IMG_20240501_180006.jpg", "motion_photo", "huawei_moving_photo", 0.6, Some(MP4_LEN + 58)),
            e("IMG_20240501_180007.heic", "motion_photo", "huawei_moving_photo", 0.5, Some(MP4_LEN)),
            // vivo: two files; the key frame's index (10) at 15 fps
            ("IMG_20240501_180009.jpg".into(), "live_photo".into(), "".into(), Some(0.667), 15, None),
            // Xiaomi: the MicroVideo tags in the second XMP packet; HyperOS's directory with a gain map
            e("MVIMG_20240501_180003.jpg", "motion_photo", "micro_video", 0.5, Some(MP4_LEN)),
            e("MVIMG_20240501_180004.jpg", "motion_photo", "google_motion_photo", 0.6, Some(MP4_LEN)),
        ]
    );
    let lps = doc["live_photos"].as_array().unwrap();
    let vivo = lps.iter().find(|lp| lp["kind"] == "live_photo").unwrap();
    assert_eq!((name(&vivo["clip"]).as_str(), vivo["matched_by"].as_str()), ("IMG_20240501_180009.mp4", Some("content_id")));
    assert_eq!(vivo["content_id"], "1714557609000a1b2c3d00000000");
    let livp = lps.iter().find(|lp| name(&lp["still"]) == "IMG_0030.livp").unwrap();
    assert_eq!(
        (livp["content_id"].as_str(), livp["matched_by"].as_str()),
        (Some("1B7A3F2C-0D4E-4C5B-9A8F-000000000030"), Some("content_id"))
    );
    assert_eq!(livp["embedded_still"]["container"], "livp");
    assert_eq!(doc["skipped"], 1, "holiday.zip, a ZIP holding a photo and a clip but no .livp, is not media: {doc}");
}

#[test]
fn the_traps_stay_apart_each_named() {
    let (_, doc) = scan_json(&[&vendors()], &[]);
    // two same-name vivo files whose ids differ: two shots, each a lone half with its id
    let lone = |key: &str| -> Vec<(String, Value)> {
        doc[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| !s["content_id"].is_null())
            .map(|s| (name(&s["path"]), s["content_id"].clone()))
            .collect()
    };
    assert_eq!(lone("unpaired_stills"), vec![("IMG_20240501_180010.jpg".to_string(), Value::from("1714557610000a1b2c3d00000000"))]);
    assert_eq!(lone("unpaired_clips"), vec![("IMG_20240501_180010.mp4".to_string(), Value::from("1714557699999ffffffff0000000"))]);
    let notes = notes(&doc);
    let said = |file: &str, words: &[&str]| {
        let n = notes.iter().find(|(f, _)| f == file).unwrap_or_else(|| panic!("no note on {file}: {notes:?}"));
        assert!(words.iter().all(|w| n.1.contains(w)), "{file}: {}", n.1);
    };
    said("IMG20240501180002.jpg", &["OnePlus camera trailer", "jxrs", "no video"]);
    said("IMG_0032.livp", &["comment", "does not match", "read by its ZIP directory"]);
    said("IMG_20240501_180008.jpg", &["LIVE_114878", "does not fit", "ordinary still"]);
    said("IMG_20240501_180011.jpg", &["vivo camera trailer", "no live photo id"]);
    assert_eq!(notes.len(), 4, "{notes:?}");
    let errors: Vec<(String, String)> =
        doc["errors"].as_array().unwrap().iter().map(|e| (name(&e["path"]), e["error"].as_str().unwrap().to_string())).collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].0 == "deflated.livp" && errors[0].1.contains("compressed"), "{errors:?}");
    assert!(errors[1].0 == "two_photos.livp" && errors[1].1.contains("2 photo(s) and 0 movie(s)"), "{errors:?}");
    assert!(errors[2].0 == "two_shots.livp" && errors[2].1.contains("different content identifiers"), "{errors:?}");
}

/// The real `.livp` and vendor files a user points `LIVEPHOTO_VENDOR_FILES` at (none ship with
/// the project): each is found as a Live Photo. Skipped, with a note, when unset.
#[test]
fn real_vendor_files_when_given() {
    let Some(dir) = std::env::var_os("LIVEPHOTO_VENDOR_FILES") else {
        eprintln!("note: LIVEPHOTO_VENDOR_FILES is not set; skipping the real vendor files");
        return;
    };
    let (code, doc) = scan_json(&[std::path::Path::new(&dir)], &[]);
    assert_eq!(code, 0, "{doc}");
    assert!(!doc["live_photos"].as_array().unwrap().is_empty(), "{doc}");
}

#[cfg(feature = "media")]
mod media {
    use super::*;
    use common::probe::probe;

    fn run_ok(args: &[&dyn AsRef<std::ffi::OsStr>]) {
        let r = run(args);
        assert_eq!(r.status.code(), Some(1), "the broken .livp files fail, the rest is made: {}", String::from_utf8_lossy(&r.stderr));
        assert!(String::from_utf8_lossy(&r.stderr).contains("failed 0"), "{}", String::from_utf8_lossy(&r.stderr));
    }

    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut v: Vec<String> = walk(dir).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn every_vendors_video_exports_frame_for_frame() {
        let out = tempfile::tempdir().unwrap();
        run_ok(&[&"convert", &vendors(), &"--to", &"mp4", &"-o", &out.path()]);
        let made = names(out.path());
        assert_eq!(made.len(), 11, "{made:?}");
        for f in walk(out.path()) {
            let p = probe(&f);
            assert_eq!((p.frames, p.video_codec.as_str()), (15, "h264"), "{}", f.display());
        }
    }

    /// `stills`: the photo alone, nothing that announces the vendor's video left in it; a
    /// `.livp`'s photo byte for byte, named by its bytes.
    #[test]
    fn stills_hold_only_the_photo() {
        let out = tempfile::tempdir().unwrap();
        run_ok(&[&"stills", &vendors(), &"-o", &out.path()]);
        assert_eq!(
            names(out.path()),
            [
                "IMG20240501180000.jpg",
                "IMG20240501180001.jpg",
                "IMG_0030.heic",
                "IMG_0031.jpg",
                "IMG_0032.jpg",
                "IMG_20240501_180005.jpg",
                "IMG_20240501_180006.jpg",
                "IMG_20240501_180007.heic",
                "IMG_20240501_180009.jpg",
                "MVIMG_20240501_180003.jpg",
                "MVIMG_20240501_180004.jpg"
            ]
        );
        let says = |b: &[u8], w: &[u8]| b.windows(w.len()).any(|x| x == w);
        for f in walk(out.path()) {
            let b = std::fs::read(&f).unwrap();
            for w in [&b"ftyp"[..], b"LIVE_", b"cameralbum", b"jxrs", b"MotionPhoto", b"MicroVideo", b"VideoLength"] {
                assert!(
                    !says(&b, w) || f.extension().is_some_and(|e| e == "heic") && w == b"ftyp",
                    "{}: still says {}",
                    f.display(),
                    String::from_utf8_lossy(w)
                );
            }
        }
        // the HyperOS still keeps its gain map (the directory lists it before the video)
        let hyper = std::fs::read(out.path().join("MVIMG_20240501_180004.jpg")).unwrap();
        assert_eq!(hyper.windows(3).filter(|w| w == &[0xFF, 0xD8, 0xFF]).count(), 2, "primary and gain map");
        // the .livp's photo, byte for byte
        let (_, doc) = scan_json(&[&vendors().join("IMG_0030.livp")], &[]);
        let at = &doc["live_photos"][0]["embedded_still"];
        let (o, l) = (at["offset"].as_u64().unwrap() as usize, at["length"].as_u64().unwrap() as usize);
        let archive = std::fs::read(vendors().join("IMG_0030.livp")).unwrap();
        assert_eq!(std::fs::read(out.path().join("IMG_0030.heic")).unwrap(), &archive[o..o + l]);
        // read back: plain stills, none claiming a video
        let moved = tempfile::tempdir().unwrap();
        for f in walk(out.path()) {
            std::fs::copy(&f, moved.path().join(f.file_name().unwrap())).unwrap();
        }
        let (code, doc) = scan_json(&[moved.path()], &[]);
        assert_eq!((code, doc["live_photos"].as_array().unwrap().len()), (0, 0), "{doc}");
        assert_eq!(doc["notes"], serde_json::json!([]), "{doc}");
    }

    /// `--to live-photo`: every vendor's live photo becomes a pair an iPhone imports, tied by an
    /// Apple identifier (a vivo id is no UUID: one is made from it); a `.livp`'s halves are the
    /// iPhone's own, copied.
    #[test]
    fn every_vendors_live_photo_becomes_an_iphone_pair() {
        let out = tempfile::tempdir().unwrap();
        run_ok(&[&"convert", &vendors(), &"--to", &"live-photo", &"-o", &out.path()]);
        assert_eq!(names(out.path()).len(), 22);
        let moved = tempfile::tempdir().unwrap();
        for f in walk(out.path()) {
            std::fs::copy(&f, moved.path().join(f.file_name().unwrap())).unwrap();
        }
        let (code, doc) = scan_json(&[moved.path()], &[]);
        assert_eq!(code, 0, "{doc}");
        let lps = doc["live_photos"].as_array().unwrap();
        assert_eq!(lps.len(), 11, "{doc}");
        for lp in lps {
            assert_eq!((lp["kind"].as_str(), lp["matched_by"].as_str()), (Some("live_photo"), Some("content_id")), "{lp}");
            let id = lp["content_id"].as_str().unwrap();
            assert!(id.len() == 36 && id.matches('-').count() == 4, "an Apple identifier: {id}");
            assert_eq!(lp["frames"], 15, "{lp}");
        }
        let huawei = lps.iter().find(|lp| name(&lp["still"]) == "IMG_20240501_180005.JPG").unwrap();
        assert!((huawei["key_time_s"].as_f64().unwrap() - 0.8).abs() < 0.07, "the key photo's time kept: {huawei}");
        let archive = std::fs::read(vendors().join("IMG_0031.livp")).unwrap();
        let mov = std::fs::read(out.path().join("IMG_0031.MOV")).unwrap();
        assert!(archive.windows(mov.len()).any(|w| w == mov.as_slice()), "the .livp's clip copied as it is");
    }

    #[test]
    fn motion_photos_and_a_report_from_every_vendor() {
        let out = tempfile::tempdir().unwrap();
        run_ok(&[&"convert", &vendors(), &"--to", &"motion-photo", &"-o", &out.path()]);
        let moved = tempfile::tempdir().unwrap();
        for f in walk(out.path()) {
            std::fs::copy(&f, moved.path().join(f.file_name().unwrap())).unwrap();
        }
        let (_, doc) = scan_json(&[moved.path()], &[]);
        let got: Vec<(String, u64)> = found(&doc).into_iter().map(|f| (f.2, f.4)).collect();
        assert_eq!(got, vec![("google_motion_photo".to_string(), 15); 11], "{doc}");
        let report = tempfile::tempdir().unwrap();
        let r = run(&[&"report", &vendors(), &"-o", &report.path().join("r.html")]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("11 Live Photo(s)") && err.contains("pictures made 22") && err.contains("failed 0"), "{err}");
    }
}
