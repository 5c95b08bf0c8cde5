//! `convert --to live-photo`: motion photos of every container kind, a pair matched by name and
//! time, a Takeout pair, split halves and an edit written back as iPhone pairs, then checked as
//! a user (and immich, and Photos) would: the scan pairs each by identifier, with the source's
//! frames and key photo; exiftool reads one identifier in both halves; the still's pixels and the
//! clip's video packets are the source's (FFmpeg's framemd5, an oracle); nothing is re-encoded.
#![cfg(feature = "media")]

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the scan says of one source Live Photo, by its still's file name.
#[derive(Debug, Clone)]
struct Source {
    still: PathBuf,
    clip: PathBuf,
    embedded: Option<(u64, u64)>,
    content_id: Option<String>,
    frames: u64,
    fps: f64,
    key_s: f64,
}

fn sources(doc: &Value) -> BTreeMap<String, Source> {
    let lps = doc["live_photos"].as_array().unwrap();
    lps.iter()
        .map(|lp| {
            let embedded = lp["embedded_video"]["offset"].as_u64().map(|o| (o, lp["embedded_video"]["length"].as_u64().unwrap()));
            let key_s = lp["key_time_s"].as_f64().unwrap_or(lp["duration_s"].as_f64().unwrap() / 2.0);
            let s = Source {
                still: PathBuf::from(lp["still"].as_str().unwrap()),
                clip: PathBuf::from(lp["clip"].as_str().unwrap()),
                embedded,
                content_id: lp["content_id"].as_str().map(String::from),
                frames: lp["frames"].as_u64().unwrap(),
                fps: lp["fps"].as_f64().unwrap(),
                key_s,
            };
            (name(&lp["still"]), s)
        })
        .collect()
}

/// Runs `convert --to live-photo` into `out`; returns (exit code, JSON document).
fn convert(paths: &[&Path], out: &Path, extra: &[&str]) -> (i32, Value) {
    let o = bin().args(["convert", "--to", "live-photo", "-q", "--json", "-o"]).arg(out).args(extra).args(paths).output().unwrap();
    let doc = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code().unwrap(), doc)
}

/// The outputs, copied out of the export folder (whose marker keeps scans out) to scan them.
fn scannable(out: &Path) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy_dir(out, d.path());
    std::fs::remove_file(d.path().join(".livephoto-export")).unwrap();
    d
}

/// FFmpeg's per-packet digest of a file's first video stream, copied (timestamps, sizes, MD5 of the bytes).
fn video_packets(path: &Path, span: Option<(u64, u64)>) -> Vec<String> {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let input = match span {
        Some((offset, len)) => {
            let bytes = std::fs::read(path).unwrap();
            std::fs::write(tmp.path(), &bytes[offset as usize..(offset + len) as usize]).unwrap();
            tmp.path().to_path_buf()
        }
        None => path.to_path_buf(),
    };
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&input)
        .args(["-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"])
        .output();
    let o = o.expect("ffmpeg (a test oracle, installed by scripts/setup)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<String> = String::from_utf8(o.stdout).unwrap().lines().filter(|l| !l.starts_with('#')).map(String::from).collect();
    assert!(!lines.is_empty(), "no video packets in {}", input.display());
    lines
}

/// exiftool's view of a pair: the still's Apple MakerNote identifier, the clip's `Keys`
/// identifier, and whether the clip holds a StillImageTime sample (`-ee`).
fn exiftool_ids(still: &Path, clip: &Path) -> (Option<String>, Option<String>, bool) {
    let o = Command::new("exiftool")
        .args(["-j", "-G1", "-a", "-ee", "-Apple:ContentIdentifier", "-Apple:MediaGroupUUID", "-Keys:ContentIdentifier", "-StillImageTime"])
        .arg(still)
        .arg(clip)
        .output();
    let o = o.expect("exiftool (a test oracle, installed by scripts/setup)");
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &doc[0];
    let still_id = s["Apple:ContentIdentifier"].as_str().or(s["Apple:MediaGroupUUID"].as_str()).map(String::from);
    let c = doc[1].as_object().unwrap();
    let clip_id = c.get("Keys:ContentIdentifier").and_then(|v| v.as_str()).map(String::from);
    let key = c.iter().any(|(k, v)| k.ends_with(":StillImageTime") && v.as_i64() == Some(-1));
    (still_id, clip_id, key)
}

/// The still's decoded pixels: JPEGs by the image crate, HEIFs by heif-convert (an oracle).
fn pixels(path: &Path) -> Vec<u8> {
    let head = std::fs::read(path).unwrap();
    if head.starts_with(&[0xFF, 0xD8]) {
        return image::load_from_memory(&head).unwrap().into_rgb8().into_raw();
    }
    let d = tempfile::tempdir().unwrap();
    let png = d.path().join("out.png");
    let o = Command::new("heif-convert").arg(path).arg(&png).output().expect("heif-convert (a test oracle)");
    assert!(o.status.success(), "heif-convert {}: {}", path.display(), String::from_utf8_lossy(&o.stderr));
    image::open(&png).unwrap().into_rgb8().into_raw()
}

/// Converts `paths`, scans the outputs, and checks every written pair against its source.
/// Returns the output folder and the results by source still name.
fn round_trip(paths: &[&Path]) -> (tempfile::TempDir, BTreeMap<String, Value>) {
    let (_, before) = scan_json(paths, &[]);
    let src = sources(&before);
    assert!(!src.is_empty());
    let out = tempfile::tempdir().unwrap();
    let (code, doc) = convert(paths, out.path(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    let results: BTreeMap<String, Value> = doc["results"].as_array().unwrap().iter().map(|r| (name(&r["still"]), r.clone())).collect();
    assert_eq!(results.len(), src.len(), "one pair per Live Photo");
    let copy = scannable(out.path());
    let (code, after) = scan_json(&[copy.path()], &[]);
    assert_eq!(code, 0, "{after:#}");
    let written = sources(&after);
    assert_eq!(written.len(), src.len(), "every pair found again: {after:#}");
    assert!(after["live_photos"].as_array().unwrap().iter().all(|lp| lp["matched_by"] == "content_id"), "{after:#}");
    for (still_name, r) in &results {
        let s = &src[still_name];
        assert_eq!(r["status"], "converted", "{r:#}");
        let id = r["content_id"].as_str().unwrap();
        assert_eq!(r["content_id_kept"].as_bool(), Some(s.content_id.is_some()), "{r:#}");
        if let Some(own) = &s.content_id {
            assert_eq!(id, own, "the pair's own identifier is kept");
        }
        let (out_still, out_clip) = (Path::new(r["output_still"].as_str().unwrap()), Path::new(r["output"].as_str().unwrap()));
        assert_eq!(out_still.file_stem(), out_clip.file_stem(), "one stem: {r:#}");
        assert_eq!(out_clip.extension().unwrap(), "MOV");
        let back = &written[&out_still.file_name().unwrap().to_string_lossy().to_string()];
        assert_eq!(back.content_id.as_deref(), Some(id));
        assert_eq!(back.frames, s.frames, "{still_name}: the same frames");
        assert!(
            (back.key_s - s.key_s).abs() <= 1.0 / s.fps + 1e-6,
            "{still_name}: key photo at {} s, the source's at {} s",
            back.key_s,
            s.key_s
        );
        let (still_id, clip_id, key) = exiftool_ids(out_still, out_clip);
        assert_eq!((still_id.as_deref(), clip_id.as_deref(), key), (Some(id), Some(id), true), "exiftool on {still_name}");
        assert_eq!(video_packets(out_clip, None), video_packets(&s.clip, s.embedded), "{still_name}: the video packets are the source's");
        let png = s.still.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) || still_name == "IMG_0014.HEIC";
        if !png {
            assert_eq!(pixels(out_still), pixels(&s.still), "{still_name}: the still's pixels are the source's");
        }
    }
    (out, results)
}

#[test]
fn motion_photos_and_split_pairs_come_back_as_iphone_pairs() {
    let f = fixtures();
    let folders = ["android", "renamed", "stripped", "takeout", "edited"].map(|d| f.join(d));
    let paths: Vec<&Path> = folders.iter().map(PathBuf::as_path).collect();
    let (_out, results) = round_trip(&paths);
    let kept = |n: &str| results[n]["content_id_kept"].as_bool().unwrap();
    // motion photos of every container kind, and the name+time pair, had none: new identifiers
    for n in ["20240501_100002.jpg", "20240501_100003.heic", "MVIMG_20240501_100001.jpg", "PXL_20240501_100000000.MP.jpg", "IMG_0009.JPG"] {
        assert!(!kept(n), "{n}");
    }
    for n in ["holiday.jpg", "IMG_0005.HEIC", "IMG_0016.HEIC", "IMG_E0016.HEIC", "IMG_0017.JPG"] {
        assert!(kept(n), "{n}");
    }
    let out_name = |n: &str| name(&results[n]["output_still"]);
    assert_eq!(out_name("PXL_20240501_100000000.MP.jpg"), "PXL_20240501_100000000.JPG", "no .MP: the still holds no video");
    assert_eq!(out_name("20240501_100003.heic"), "20240501_100003.HEIC");
    assert_eq!(name(&results["IMG_0005.HEIC"]["output"]), "IMG_0005.MOV", "Takeout's IMG_0005(1).HEIC clip is a .MOV of the still's stem");
}

#[test]
fn a_rerun_keeps_what_is_there_and_new_identifiers_are_stable() {
    let f = fixtures();
    let (android, stripped) = (f.join("android"), f.join("stripped"));
    let out = tempfile::tempdir().unwrap();
    let (code, first) = convert(&[&android, &stripped], out.path(), &[]);
    assert_eq!(code, 0);
    let sums = checksums(out.path());
    let (code, again) = convert(&[&android, &stripped], out.path(), &[]);
    assert_eq!(code, 0);
    assert!(again["results"].as_array().unwrap().iter().all(|r| r["status"] == "skipped"), "{again:#}");
    assert_eq!(checksums(out.path()), sums, "nothing rewritten");
    // a dry run elsewhere names the same identifiers, and writes nothing
    let other = tempfile::tempdir().unwrap();
    let planned = bin()
        .args(["convert", "--to", "live-photo", "--dry-run", "-o"])
        .arg(other.path().join("x"))
        .arg(&android)
        .arg(&stripped)
        .output()
        .unwrap();
    assert_eq!(planned.status.code(), Some(0));
    let text = String::from_utf8(planned.stdout).unwrap();
    for r in first["results"].as_array().unwrap() {
        let line = text.lines().find(|l| l.contains(&name(&r["output_still"]))).unwrap_or_else(|| panic!("{text}"));
        assert!(line.contains(r["content_id"].as_str().unwrap()) && line.ends_with("new)"), "{line}");
    }
    assert!(!other.path().join("x").exists(), "a dry run writes nothing");
}

#[test]
fn options_that_would_touch_the_clip_are_refused() {
    let f = fixtures().join("android");
    for extra in [&["--effect", "bounce"][..], &["--around-key", "0.5"], &["--codec", "copy"], &["--width", "320"]] {
        let o = bin().args(["convert", "--to", "live-photo", "-o", "/nonexistent/x"]).args(extra).arg(&f).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("live-photo"), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn real_pairs_are_copied_and_real_motion_photos_come_back_as_pairs() {
    let Some(samples) = samples() else { return };
    // whole iPhone pairs: both halves copied byte for byte under one stem
    let out = tempfile::tempdir().unwrap();
    let (ios18, apple) = (samples.join("apple-ios18"), samples.join("apple"));
    let (code, doc) = convert(&[&ios18, &apple], out.path(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{doc:#}");
    for r in results {
        assert_eq!(r["content_id_kept"], true);
        for (from, to) in [("still", "output_still"), ("clip", "output")] {
            assert_eq!(sha256(Path::new(r[from].as_str().unwrap())), sha256(Path::new(r[to].as_str().unwrap())), "{from} copied as it is");
        }
    }
    // Samsung's HEIC motion photo and Google's reference JPEG
    let android = tempfile::tempdir().unwrap();
    for n in ["samsung-one-ui-6.heic", "motion_photo.jpeg"] {
        std::fs::copy(samples.join("android").join(n), android.path().join(n)).unwrap();
    }
    let (_out, results) = round_trip(&[android.path()]);
    assert_eq!(results.len(), 2);
}

#[test]
fn an_iphone_clip_that_lost_its_identifier_keeps_its_own_key_photo_track() {
    let Some(samples) = samples() else { return };
    let lib = tempfile::tempdir().unwrap();
    std::fs::copy(samples.join("apple/train.jpg"), lib.path().join("train.jpg")).unwrap();
    // the clip's identifier key renamed: an app that kept the metadata tracks but not the key
    let mut clip = std::fs::read(samples.join("apple/train.mov")).unwrap();
    assert_eq!(replace_all(&mut clip, b"com.apple.quicktime.content.identifier", b"com.apple.quicktime.content.identifiez"), 1);
    std::fs::write(lib.path().join("train.mov"), &clip).unwrap();
    let (_, before) = scan_json(&[lib.path()], &[]);
    assert_eq!(pairs(&before), vec![("train.jpg".into(), "train.mov".into(), "name_and_time".into())], "{before:#}");
    let (_out, results) = round_trip(&[lib.path()]);
    let r = &results["train.jpg"];
    assert_eq!(r["content_id"], "E905E6C6-C747-4805-942F-9904A0281F02", "the still's identifier goes into the clip");
    assert_eq!(sha256(Path::new(r["output_still"].as_str().unwrap())), sha256(&lib.path().join("train.jpg")), "the still already says it");
    let mebx = |p: &Path| {
        let o = Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "stream=codec_tag_string", "-of", "csv=p=0"])
            .arg(p)
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap().lines().filter(|l| *l == "mebx").count()
    };
    assert_eq!(
        mebx(Path::new(r["output"].as_str().unwrap())),
        mebx(&lib.path().join("train.mov")),
        "Apple's metadata tracks kept, none added"
    );
}

#[test]
fn a_pair_is_written_whole_or_not_at_all_and_never_over_someone_elses_file() {
    let stripped = fixtures().join("stripped");
    let out = tempfile::tempdir().unwrap();
    // someone else's file where the still would go: the pair is left alone, its clip not written
    std::fs::write(out.path().join("IMG_0009.JPG"), b"mine").unwrap();
    let (code, doc) = convert(&[&stripped], out.path(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["results"][0]["status"], "skipped", "{doc:#}");
    assert_eq!(std::fs::read(out.path().join("IMG_0009.JPG")).unwrap(), b"mine");
    assert!(!out.path().join("IMG_0009.MOV").exists(), "no clip without its still");
    // with --overwrite both halves are written, and no temporary is left
    let (code, doc) = convert(&[&stripped], out.path(), &["--overwrite"]);
    assert_eq!(code, 0, "{doc:#}");
    let names: Vec<String> = walk(out.path()).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names.iter().filter(|n| !n.starts_with('.')).count(), 2, "{names:?}");
    assert!(walk(out.path()).iter().all(|p| !is_temporary(p)), "{names:?}");
    // a still whose EXIF segment is full fails alone, with the file and the reason; the run goes on
    let lib = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("android"), lib.path());
    copy_dir(&stripped, lib.path());
    let jpeg = std::fs::read(lib.path().join("IMG_0009.JPG")).unwrap();
    assert_eq!(&jpeg[2..4], &[0xFF, 0xE1], "the EXIF segment comes first");
    let len = usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    let mut full = jpeg[..4 + len].to_vec();
    full.resize(4 + 65_535, 0); // its TIFF block padded out to the largest segment (readers ignore the rest)
    full[4..6].copy_from_slice(&65_535u16.to_be_bytes());
    full.extend_from_slice(&jpeg[4 + len..]);
    std::fs::write(lib.path().join("IMG_0009.JPG"), &full).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, doc) = convert(&[lib.path()], out.path(), &[]);
    assert_eq!(code, 1, "{doc:#}");
    let failed: Vec<&Value> = doc["results"].as_array().unwrap().iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{doc:#}");
    assert!(failed[0]["error"].as_str().unwrap().contains("outgrow its JPEG segment"), "{doc:#}");
    assert!(name(&failed[0]["still"]) == "IMG_0009.JPG", "{doc:#}");
    assert_eq!(doc["converted"], 4, "the motion photos are written");
    assert!(!out.path().join("IMG_0009.MOV").exists() && !out.path().join("IMG_0009.JPG").exists(), "neither half");
}

#[test]
fn a_heic_without_exif_gains_an_exif_item_with_the_identifier() {
    let lib = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("android"), lib.path());
    let mut heic = std::fs::read(lib.path().join("20240501_100003.heic")).unwrap();
    assert_eq!(replace_all(&mut heic, b"Exif", b"Exix"), 1, "the EXIF item's type, renamed: an app stripped it");
    std::fs::write(lib.path().join("20240501_100003.heic"), &heic).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, doc) = convert(&[lib.path()], out.path(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    let r = doc["results"].as_array().unwrap().iter().find(|r| name(&r["still"]) == "20240501_100003.heic").unwrap();
    let still = Path::new(r["output_still"].as_str().unwrap());
    let (still_id, clip_id, key) = exiftool_ids(still, Path::new(r["output"].as_str().unwrap()));
    assert_eq!((still_id.as_deref(), clip_id.as_deref(), key), (r["content_id"].as_str(), r["content_id"].as_str(), true));
    assert_eq!(pixels(still), pixels(&lib.path().join("20240501_100003.heic")), "the image data moved with the grown 'meta' box");
}

/// A motion photo whose HEVC video is tagged `hev1` (FFmpeg's default for MP4, so tools built on
/// it write it; Photos and QuickTime play only `hvc1`): the clip comes out `hvc1` (ffprobe, an
/// oracle, says so) with the source's packets, and pairs by identifier.
#[test]
fn an_hev1_video_comes_out_hvc1_with_the_same_packets() {
    let (lib, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mp4 = work.path().join("v.mp4");
    let o = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=30",
            "-t",
            "1",
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=none",
        ])
        .args(["-pix_fmt", "yuv420p", "-tag:v", "hev1"])
        .arg(&mp4)
        .output()
        .expect("ffmpeg (a test oracle, installed by scripts/setup)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tag = |p: &Path| {
        let o = Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_tag_string", "-of", "csv=p=0"])
            .arg(p)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    assert_eq!(tag(&mp4), "hev1", "the source is what this test is about");
    let video = std::fs::read(&mp4).unwrap();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg).encode(&vec![128u8; 320 * 240 * 3], 320, 240, image::ExtendedColorType::Rgb8).unwrap();
    let xmp = format!(
        concat!(
            "http://ns.adobe.com/xap/1.0/\0",
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="""#,
            r#" xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1""#,
            r#" GCamera:MicroVideoOffset="{}" GCamera:MicroVideoPresentationTimestampUs="500000"/></rdf:RDF></x:xmpmeta>"#
        ),
        video.len()
    );
    let app1 = [&[0xFF, 0xE1][..], &(xmp.len() as u16 + 2).to_be_bytes(), xmp.as_bytes()].concat();
    std::fs::write(lib.path().join("MVIMG_hev1.jpg"), [&jpeg[..2], &app1, &jpeg[2..], &video].concat()).unwrap();

    let out = tempfile::tempdir().unwrap();
    let (code, doc) = convert(&[lib.path()], out.path(), &[]);
    assert_eq!(code, 0, "{doc:#}");
    let mov = out.path().join("MVIMG_hev1.MOV");
    assert_eq!(tag(&mov), "hvc1");
    assert_eq!(video_packets(&mov, None), video_packets(&mp4, None), "the same packets, not re-encoded");
    let (_, scanned) = scan_json(&[scannable(out.path()).path()], &[]);
    let lp = &scanned["live_photos"][0];
    assert_eq!((lp["matched_by"].as_str(), lp["frames"].as_u64()), (Some("content_id"), Some(30)), "{scanned:#}");
}

/// A motion photo whose XMP puts the key photo at `key_us`: the fixture Pixel motion photo with
/// its presentation timestamp rewritten (its XMP segment rebuilt; the video, found from the
/// file's end, does not move).
fn pixel_with_key_time(dir: &Path, key_us: u64) -> PathBuf {
    let mut data = std::fs::read(fixtures().join("android/PXL_20240501_100000000.MP.jpg")).unwrap();
    let sig = b"http://ns.adobe.com/xap/1.0/\0";
    let body = data.windows(sig.len()).position(|w| w == sig).unwrap();
    let seg = body - 4;
    let len = usize::from(u16::from_be_bytes([data[seg + 2], data[seg + 3]]));
    let packet = String::from_utf8_lossy(&data[body..seg + 2 + len])
        .replace("PresentationTimestampUs=\"700000\"", &format!("PresentationTimestampUs=\"{key_us}\""));
    let mut new = vec![0xFF, 0xE1];
    new.extend_from_slice(&((packet.len() + 2) as u16).to_be_bytes());
    new.extend_from_slice(packet.as_bytes());
    data.splice(seg..seg + 2 + len, new);
    let path = dir.join(format!("PXL_{key_us}.MP.jpg"));
    std::fs::write(&path, data).unwrap();
    path
}

/// The entries of the last `elst` in a file: the still-image-time track's, which comes last.
fn last_edit_list(mov: &[u8]) -> Vec<(u32, i32)> {
    let at = mov.windows(4).rposition(|w| w == b"elst").unwrap();
    let be = |p: usize| u32::from_be_bytes(mov[p..p + 4].try_into().unwrap());
    (0..be(at + 8) as usize).map(|i| (be(at + 12 + 12 * i), be(at + 16 + 12 * i) as i32)).collect()
}

/// A key time past the video (a Galaxy's was seen 24 ms past its movie's end) goes on the last
/// frame, the movie lasting as long as its every track; a key time of 0 is one edit, with no
/// empty edit of no length before it.
#[test]
fn the_key_photo_lies_on_a_frame_of_the_movie() {
    let dir = tempfile::tempdir().unwrap();
    let past = pixel_with_key_time(dir.path(), 5_000_000);
    let zero = pixel_with_key_time(dir.path(), 0);
    let out = tempfile::tempdir().unwrap();
    let (code, doc) = convert(&[dir.path()], out.path(), &[]);
    assert_eq!(code, 0, "{doc}");
    let back = scannable(out.path());
    let (_, scanned) = scan_json(&[back.path()], &[]);
    let lps = scanned["live_photos"].as_array().unwrap();
    let key = |stem: &str| lps.iter().find(|lp| name(&lp["clip"]).starts_with(stem)).unwrap()["key_time_s"].as_f64().unwrap();
    // 23 frames at 15 fps: the last is shown at 22/15 s
    assert!((key("PXL_5000000") - 22.0 / 15.0).abs() < 0.002, "{}", key("PXL_5000000"));
    assert_eq!(key("PXL_0"), 0.0);
    for (stem, path) in [("PXL_5000000", &past), ("PXL_0", &zero)] {
        let mov = back.path().join(format!("{stem}.MOV"));
        let p = common::probe::probe(&mov);
        assert!(p.duration >= 22.0 / 15.0, "{}: the movie lasts {}", path.display(), p.duration);
        let edits = last_edit_list(&std::fs::read(&mov).unwrap());
        match stem {
            "PXL_0" => assert_eq!(edits, vec![(1, 0)], "one edit at 0"),
            _ => assert_eq!(edits.len(), 2, "an empty edit, then the sample: {edits:?}"),
        }
    }
}
