//! `livephoto scan` on the bundled fixtures and, with LIVEPHOTO_SAMPLES, on real phone files.

mod common;
use common::*;
use serde_json::Value;

fn s(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[test]
fn fixtures_pair_exactly_the_live_photos() {
    let (code, doc) = scan_json(&[&fixtures()], &[]);
    assert_eq!(code, 1, "the broken/ fixtures must make the run exit 1");
    assert_eq!(
        pairs(&doc),
        vec![
            s("20240501_100002.jpg", "20240501_100002.jpg", "embedded"),
            s("20240501_100003.heic", "20240501_100003.heic", "embedded"),
            s("20240501_100004.heic", "20240501_100004.heic", "embedded"),
            s("IMG20240501180000.jpg", "IMG20240501180000.jpg", "embedded"),
            s("IMG20240501180001.jpg", "IMG20240501180001.jpg", "embedded"),
            s("IMG_0001.HEIC", "IMG_0001.MOV", "content_id"),
            s("IMG_0002.JPG", "IMG_0002.MOV", "content_id"),
            s("IMG_0003.HEIC", "IMG_0003.MOV", "content_id"),
            s("IMG_0005.HEIC", "IMG_0005(1).HEIC", "content_id"),
            s("IMG_0009.JPG", "IMG_0009_HEVC.MOV", "name_and_time"),
            s("IMG_0013.HEIC", "IMG_0013.MOV", "content_id"),
            s("IMG_0014.HEIC", "IMG_0014.MOV", "content_id"),
            s("IMG_0016.HEIC", "IMG_0016.MOV", "content_id"),
            s("IMG_0017.JPG", "IMG_0017.MOV", "content_id"),
            s("IMG_0018.HEIC", "IMG_0018.MOV", "content_id"),
            s("IMG_0019.JPG", "IMG_0019.MOV", "content_id"),
            s("IMG_0021.JPG", "IMG_0021.MOV", "content_id"),
            s("IMG_0030.livp", "IMG_0030.livp", "content_id"),
            s("IMG_0031.livp", "IMG_0031.livp", "content_id"),
            s("IMG_0032.livp", "IMG_0032.livp", "content_id"),
            s("IMG_20240501_180005.jpg", "IMG_20240501_180005.jpg", "embedded"),
            s("IMG_20240501_180006.jpg", "IMG_20240501_180006.jpg", "embedded"),
            s("IMG_20240501_180007.heic", "IMG_20240501_180007.heic", "embedded"),
            s("IMG_20240501_180009.jpg", "IMG_20240501_180009.mp4", "content_id"),
            s("IMG_5002.HEIC", "IMG_5002.MOV", "content_id"),
            s("IMG_E0016.HEIC", "IMG_E0016.MOV", "content_id"),
            s("MVIMG_20240501_100001.jpg", "MVIMG_20240501_100001.jpg", "embedded"),
            s("MVIMG_20240501_180003.jpg", "MVIMG_20240501_180003.jpg", "embedded"),
            s("MVIMG_20240501_180004.jpg", "MVIMG_20240501_180004.jpg", "embedded"),
            s("PXL_20240501_100000000.MP.jpg", "PXL_20240501_100000000.MP.jpg", "embedded"),
            s("holiday.jpg", "clip-0042.mov", "content_id"),
            s("live_0015.png", "live_0015.mov", "content_id"),
        ]
    );
    let names = |k: &str| -> Vec<(String, Value)> {
        doc[k].as_array().unwrap().iter().map(|x| (name(&x["path"]), x["content_id"].clone())).collect()
    };
    assert_eq!(
        names("unpaired_stills"),
        vec![
            ("MVIMG_lying.jpg".into(), Value::Null),
            ("PXL_ultrahdr.jpg".into(), Value::Null),
            ("IMG_E0017.JPG".into(), Value::from("1B7A3F2C-0D4E-4C5B-9A8F-000000000017")),
            ("IMG_0006.HEIC".into(), Value::from("1B7A3F2C-0D4E-4C5B-9A8F-000000000006")),
            ("IMG_0008.JPG".into(), Value::Null),
            ("IMG_0010.JPG".into(), Value::Null),
            ("PXL_trailing.jpg".into(), Value::Null),
            ("IMG20240501180002.jpg".into(), Value::Null),
            ("IMG_20240501_180008.jpg".into(), Value::Null),
            ("IMG_20240501_180010.jpg".into(), Value::from("1714557610000a1b2c3d00000000")),
            ("IMG_20240501_180011.jpg".into(), Value::Null),
        ]
    );
    assert_eq!(
        names("unpaired_clips"),
        vec![
            ("IMG_0007.MOV".into(), Value::from("1B7A3F2C-0D4E-4C5B-9A8F-000000000007")),
            ("IMG_0010.MOV".into(), Value::Null),
            ("IMG_20240501_180010.mp4".into(), Value::from("1714557699999ffffffff0000000"))
        ]
    );
    assert_eq!(doc["skipped"], 2, "README.txt and holiday.zip are not media");
}

/// App-made Live Photos keep their key photo as PNG: behind a `.HEIC` name with EXIF in an
/// `eXIf` chunk, or as `.png` with EXIF hex-encoded in a compressed text chunk.
#[test]
fn png_stills_are_read_by_their_bytes_whatever_their_name() {
    let (code, doc) = scan_json(&[&fixtures().join("png_app")], &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(pairs(&doc), vec![s("IMG_0014.HEIC", "IMG_0014.MOV", "content_id"), s("live_0015.png", "live_0015.mov", "content_id")]);
    let lp = &doc["live_photos"];
    assert_eq!(lp[0]["content_id"], "1B7A3F2C-0D4E-4C5B-9A8F-000000000014");
    assert_eq!(lp[0]["captured_at"], "2023-05-05T10:00:00+02:00");
    assert_eq!(lp[1]["content_id"], "1B7A3F2C-0D4E-4C5B-9A8F-000000000015");
    assert_eq!(lp[1]["captured_at"], "2023-05-06T10:00:00+02:00");
}

/// An edit (`IMG_E0016`) keeps its original's identifier: it is its own Live Photo, with its own
/// trimmed clip, linked to its original; an edited still without a clip takes the original's
/// clip only when asked.
#[test]
fn edited_versions_are_their_own_live_photos_linked_to_their_originals() {
    let dir = fixtures().join("edited");
    let (code, doc) = scan_json(&[&dir], &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        pairs(&doc),
        vec![
            s("IMG_0016.HEIC", "IMG_0016.MOV", "content_id"),
            s("IMG_0017.JPG", "IMG_0017.MOV", "content_id"),
            s("IMG_E0016.HEIC", "IMG_E0016.MOV", "content_id"),
        ]
    );
    let lp = &doc["live_photos"];
    let (orig, edit) = (&lp[0], &lp[2]);
    assert_eq!((orig["edited"].clone(), edit["edited"].clone()), (Value::Bool(false), Value::Bool(true)));
    assert_eq!(name(&edit["edit_of"]), "IMG_0016.HEIC");
    assert_eq!(name(&orig["edited_versions"][0]["still"]), "IMG_E0016.HEIC");
    assert_eq!((orig["frames"].as_u64(), edit["frames"].as_u64()), (Some(23), Some(15)), "each with its own clip");
    assert_eq!(edit["content_id"], orig["content_id"]);
    assert_eq!(doc["unpaired_stills"][0]["edited"], true);

    let (_, doc) = scan_json(&[&dir], &["--edits-only", "--edit-uses-original-clip"]);
    assert_eq!(pairs(&doc), vec![s("IMG_E0016.HEIC", "IMG_E0016.MOV", "content_id"), s("IMG_E0017.JPG", "IMG_0017.MOV", "original_clip")]);
    assert_eq!(name(&doc["live_photos"][1]["edit_of"]), "IMG_0017.JPG");
    assert_eq!(doc["unpaired_stills"], Value::Array(vec![]));

    let (_, doc) = scan_json(&[&dir], &["--originals-only"]);
    assert_eq!(pairs(&doc), vec![s("IMG_0016.HEIC", "IMG_0016.MOV", "content_id"), s("IMG_0017.JPG", "IMG_0017.MOV", "content_id")]);
    let r = bin().args(["scan", "--originals-only", "--edits-only"]).arg(&dir).output().unwrap();
    assert_eq!(r.status.code(), Some(2), "the two exclude each other");
}

/// `--since`/`--until` take calendar dates (the capture's local date, inclusive) or instants;
/// filters combine with AND, and the summary says what each left out.
#[test]
fn filters_combine_and_say_what_they_left_out() {
    let stills = |doc: &Value| -> Vec<String> { doc["live_photos"].as_array().unwrap().iter().map(|lp| name(&lp["still"])).collect() };
    let (_, doc) = scan_json(&[&fixtures()], &["--since", "2022-07-01", "--until", "2023-06-30"]);
    assert_eq!(stills(&doc), vec!["IMG_0003.HEIC", "IMG_0013.HEIC", "IMG_0002.JPG", "IMG_0014.HEIC", "live_0015.png"], "in path order");
    assert_eq!(doc["left_out"], serde_json::json!({"--since": 4, "--until": 23}));
    // IMG_0002 was taken at 18:30:05-04:00, that is 22:30:05Z
    let (_, doc) = scan_json(&[&fixtures().join("jpeg_mov")], &["--since", "2022-07-01T22:30:05Z"]);
    assert_eq!(stills(&doc), vec!["IMG_0002.JPG"]);
    let (_, doc) = scan_json(&[&fixtures().join("jpeg_mov")], &["--since", "2022-07-02T00:30:06+02:00"]);
    assert_eq!(stills(&doc), Vec::<String>::new(), "one second later, in another zone");
    let (_, doc) = scan_json(&[&fixtures()], &["--camera", "iphone 8", "--since", "2022-01-01"]);
    assert_eq!(stills(&doc), vec!["IMG_0002.JPG"]);
    let r = bin().args(["scan", "--camera", "iPhone 8", "--since", "2022-01-01"]).arg(fixtures()).output().unwrap();
    let text = String::from_utf8_lossy(&r.stderr);
    assert!(text.contains("left out by filters: 31 (--camera)"), "{text}");
    let r = bin().args(["scan", "--until", "last week"]).arg(fixtures()).output().unwrap();
    assert_eq!(r.status.code(), Some(2), "a date that is not one is a usage error");
}

#[test]
fn broken_files_are_per_file_errors_that_say_what_is_wrong() {
    let (code, doc) = scan_json(&[&fixtures().join("broken")], &[]);
    assert_eq!(code, 1);
    let errors: Vec<(String, String)> =
        doc["errors"].as_array().unwrap().iter().map(|e| (name(&e["path"]), e["error"].as_str().unwrap().to_string())).collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].0 == "corrupt.HEIC" && errors[0].1.contains("neither JPEG, HEIF, PNG, QuickTime"), "{errors:?}");
    assert!(errors[1].0 == "truncated.JPG" && errors[1].1.contains("end-of-image"), "{errors:?}");
    assert!(errors[2].0 == "truncated.MOV" && errors[2].1.contains("'mdat'") && errors[2].1.contains("file ends after"), "{errors:?}");
}

#[test]
fn clip_details_come_from_the_headers() {
    let (code, doc) = scan_json(&[&fixtures().join("heic_mov"), &fixtures().join("jpeg_mov")], &[]);
    assert_eq!(code, 0);
    let lp = &doc["live_photos"][0];
    assert_eq!(lp["content_id"], "1B7A3F2C-0D4E-4C5B-9A8F-000000000001");
    assert_eq!(lp["captured_at"], "2021-04-10T11:44:00+01:00");
    assert_eq!(lp["key_time_s"], 0.8);
    assert_eq!(lp["frames"], 23);
    assert_eq!(lp["video_codec"], "hevc");
    assert!((lp["duration_s"].as_f64().unwrap() - 1.533).abs() < 0.01);
    let lp = &doc["live_photos"][1];
    assert_eq!(lp["content_id"], "1B7A3F2C-0D4E-4C5B-9A8F-000000000002", "lower-case clip identifier normalised");
    assert_eq!(lp["captured_at"], "2022-07-01T18:30:05-04:00");
    assert_eq!(lp["key_time_s"], 0.6);
    assert_eq!(lp["audio_codec"], "pcm");
    assert_eq!(lp["model"], "iPhone 8");
}

#[test]
fn facetime_and_lens_filters() {
    let (_, doc) = scan_json(&[&fixtures()], &["--facetime"]);
    assert_eq!(pairs(&doc), vec![s("IMG_0003.HEIC", "IMG_0003.MOV", "content_id")]);
    assert_eq!(doc["live_photos"][0]["facetime"], true);
    let (_, doc) = scan_json(&[&fixtures()], &["--lens", "facetime"]);
    assert_eq!(pairs(&doc), vec![s("IMG_0003.HEIC", "IMG_0003.MOV", "content_id")]);
    let (_, doc) = scan_json(&[&fixtures()], &["--lens", "IPHONE 8"]);
    assert_eq!(pairs(&doc), vec![s("IMG_0002.JPG", "IMG_0002.MOV", "content_id")]);
}

#[test]
fn table_output_and_exit_codes() {
    let out = run(&[&"scan", &fixtures().join("heic_mov")]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("IMG_0001.HEIC") && !text.contains("Live Photo(s)"), "the table on stdout: {text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 Live Photo(s)"), "the summary on stderr");
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\x1b'), "no progress bar off a terminal");
    let out = run(&[&"scan", &"/no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/folder"));
    let out = run(&[&"scan", &"--no-such-flag", &fixtures()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let one = bin().env("RAYON_NUM_THREADS", "1").args(["scan", "--json"]).arg(fixtures()).output().unwrap();
    let many = bin().env("RAYON_NUM_THREADS", "8").args(["scan", "--json"]).arg(fixtures()).output().unwrap();
    assert_eq!(one.stdout, many.stdout);
}

#[test]
fn real_apple_samples_give_the_manifest_result() {
    let Some(samples) = samples() else { return };
    let (code, doc) = scan_json(&[&samples.join("apple")], &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(pairs(&doc), vec![s("train.jpg", "train.mov", "content_id")]);
    let lp = &doc["live_photos"][0];
    assert_eq!(lp["content_id"], "E905E6C6-C747-4805-942F-9904A0281F02");
    assert_eq!(lp["captured_at"], "2021-04-10T11:44:00+01:00");
    assert_eq!(lp["frames"], 22);
    assert_eq!(lp["key_time_s"], 0.48);
    assert!((lp["duration_s"].as_f64().unwrap() - 1.233).abs() < 0.001);
    assert_eq!(lp["facetime"], false);
    let stills: Vec<(String, Value)> =
        doc["unpaired_stills"].as_array().unwrap().iter().map(|x| (name(&x["path"]), x["content_id"].clone())).collect();
    assert_eq!(
        stills,
        vec![
            ("230708_TessSug_Demo-LA_BD_iV190163.HEIC".into(), Value::from("465042F4-775C-430C-8AB1-AA783FD3FC3F")),
            ("IMG_2682.heic".into(), Value::Null),
            ("classic-car.heic".into(), Value::Null),
        ]
    );
    let clips: Vec<(String, Value)> =
        doc["unpaired_clips"].as_array().unwrap().iter().map(|x| (name(&x["path"]), x["content_id"].clone())).collect();
    assert_eq!(clips, vec![("meta.mov".into(), Value::Null)]);
    assert_eq!(doc["errors"], Value::Array(vec![]));
}

/// A clip's length is its video track's as played (`tkhd`, edits applied): the movie may run
/// longer (audio, metadata tracks), and a Live Photo's frames and duration are the video's.
#[test]
fn duration_and_frames_are_the_video_tracks_not_the_movies() {
    let dir = tempfile::tempdir().unwrap();
    let mut clip = std::fs::read(fixtures().join("heic_mov/IMG_0001.MOV")).unwrap();
    let at = clip.windows(4).position(|w| w == b"mvhd").unwrap() + 4; // version/flags, then v0 fields
    let field = |c: &[u8], o: usize| u32::from_be_bytes(c[at + o..at + o + 4].try_into().unwrap());
    let (timescale, duration) = (field(&clip, 12), field(&clip, 16));
    clip[at + 16..at + 20].copy_from_slice(&(duration * 3).to_be_bytes()); // the movie now claims 3x
    std::fs::write(dir.path().join("IMG_0001.MOV"), &clip).unwrap();
    std::fs::copy(fixtures().join("heic_mov/IMG_0001.HEIC"), dir.path().join("IMG_0001.HEIC")).unwrap();
    let (_, doc) = scan_json(&[dir.path()], &[]);
    let lp = &doc["live_photos"][0];
    assert!(f64::from(duration * 3) / f64::from(timescale) > 4.0, "the movie claims over 4 s");
    assert_eq!(lp["duration_s"], 1.534, "{lp}");
    assert_eq!(lp["frames"], 23);
}

/// Same-identifier copies in one folder: the name without a copy suffix wins, whatever order
/// the names sort in (`wave-2-2.jpg` sorts first); the rule is in `scan --help`.
#[test]
fn among_copies_the_name_without_a_copy_suffix_is_the_still() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["wave-2-2.jpg", "wave.jpg"] {
        std::fs::copy(fixtures().join("jpeg_mov/IMG_0002.JPG"), dir.path().join(name)).unwrap();
    }
    std::fs::copy(fixtures().join("jpeg_mov/IMG_0002.MOV"), dir.path().join("clip.mov")).unwrap();
    let (_, doc) = scan_json(&[dir.path()], &[]);
    assert_eq!(pairs(&doc), vec![s("wave.jpg", "clip.mov", "content_id")]);
    assert_eq!(name(&doc["unpaired_stills"][0]["path"]), "wave-2-2.jpg");
    let help = bin().args(["scan", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("wave.jpg over wave-2-2.jpg"));
}

/// Google Takeout strips a clip's dates (and writes it as `.MP4`, QuickTime inside); its JSON
/// sidecar keeps `photoTakenTime`, so name + time pairing still works.
#[test]
fn takeout_sidecars_give_a_dateless_clip_its_time() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("stripped/IMG_0009.JPG"), dir.path().join("IMG_0009.JPG")).unwrap();
    let mut clip = std::fs::read(fixtures().join("stripped/IMG_0009_HEVC.MOV")).unwrap();
    assert_eq!(replace_all(&mut clip, b"com.apple.quicktime.creationdate", b"com.apple.quicktime.creationdat_"), 1);
    let at = clip.windows(4).position(|w| w == b"mvhd").unwrap() + 4;
    clip[at + 4..at + 12].fill(0); // no creation or modification time in the movie header
    std::fs::write(dir.path().join("IMG_0009.MP4"), &clip).unwrap();

    let (_, doc) = scan_json(&[dir.path()], &[]);
    assert_eq!(pairs(&doc), vec![], "a clip without a time is never linked by name alone");

    // 2020-02-02T13:15:16Z is the still's 14:15:16+01:00
    let sidecar = r#"{"title": "IMG_0009.MP4", "photoTakenTime": {"timestamp": "1580649316", "formatted": "Feb 2, 2020"},
                      "geoData": {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0}}"#;
    std::fs::write(dir.path().join("IMG_0009.MP4.supplemental-metadata.json"), sidecar).unwrap();
    let (code, doc) = scan_json(&[dir.path()], &[]);
    assert_eq!(code, 0);
    assert_eq!(pairs(&doc), vec![s("IMG_0009.JPG", "IMG_0009.MP4", "name_and_time")]);
    assert_eq!(doc["live_photos"][0]["captured_at_source"], "still");

    // a sidecar for another file, or a dated clip, changes nothing
    std::fs::rename(dir.path().join("IMG_0009.MP4.supplemental-metadata.json"), dir.path().join("IMG_0019.MP4.json")).unwrap();
    let (_, doc) = scan_json(&[dir.path()], &[]);
    assert_eq!(pairs(&doc), vec![]);
}

/// A scan reads headers only, and of those only what it uses: an iPhone 15 HEIC's `meta` (3.4 KB,
/// read whole in one read: parts of it would take three more, src/meta/heif.rs) and its EXIF
/// item, a JPEG's EXIF directories without their thumbnail, a clip's `moov`. Each file's identifier still comes out right, and the HEIC's gain map is seen.
#[test]
fn real_files_are_read_a_few_kib_each() {
    let Some(samples) = samples() else { return };
    let apple = samples.join("apple");
    for (name, id, most) in [
        ("230708_TessSug_Demo-LA_BD_iV190163.HEIC", "465042F4-775C-430C-8AB1-AA783FD3FC3F", 6_600),
        ("train.jpg", "E905E6C6-C747-4805-942F-9904A0281F02", 3_000),
        ("train.mov", "E905E6C6-C747-4805-942F-9904A0281F02", 6_500),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(apple.join(name), dir.path().join(name)).unwrap();
        let (code, doc) = scan_json(&[dir.path()], &[]);
        assert_eq!(code, 0, "{doc:#}");
        let file = doc["unpaired_stills"].as_array().unwrap().iter().chain(doc["unpaired_clips"].as_array().unwrap()).next().cloned();
        assert_eq!(file.as_ref().map(|f| f["content_id"].clone()), Some(id.into()), "{name}: {doc:#}");
        let hdr = if name.ends_with(".HEIC") { "apple_gain_map".into() } else { Value::Null };
        assert_eq!(file.as_ref().map(|f| f.get("hdr").cloned().unwrap_or(Value::Null)), Some(hdr), "{name}: {doc:#}");
        let read = doc["stats"]["bytes_read"].as_u64().unwrap();
        let size = std::fs::metadata(apple.join(name)).unwrap().len();
        assert!(read <= most, "{name}: {read} bytes read of {size} (at most {most})");
    }
}

/// A clip whose movie is whole (`mdat` and `moov`) followed by bytes that are no box, as a
/// splitter leaves a Huawei's tail tag after its MP4, is read, paired and noted; a movie cut
/// inside its `moov` is still an error naming the box.
#[test]
fn bytes_after_a_whole_movie_are_a_note_a_cut_movie_an_error() {
    let dir = fixture_copy(&["heic_mov"]);
    let clip = dir.path().join("heic_mov/IMG_0001.MOV");
    let whole = std::fs::read(&clip).unwrap();
    let mut tailed = whole.clone();
    tailed.extend_from_slice(b"v3_f36              ");
    std::fs::write(&clip, &tailed).unwrap();
    let (code, doc) = scan_json(&[dir.path()], &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(pairs(&doc).len(), 1, "{doc:#}");
    assert_eq!(doc["live_photos"][0]["content_id"], "1B7A3F2C-0D4E-4C5B-9A8F-000000000001", "{doc:#}");
    let notes = doc["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n["note"].as_str().unwrap().starts_with("20 bytes after the movie's last box")), "{doc:#}");
    // cut inside the moov (its last 100 bytes gone): an error, not a clip
    std::fs::write(&clip, &whole[..whole.len() - 117]).unwrap();
    let (code, doc) = scan_json(&[dir.path()], &[]);
    assert_eq!(code, 1, "{doc:#}");
    let errors = doc["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e.to_string().contains("'moov'") && e.to_string().contains("truncated")), "{doc:#}");
}
