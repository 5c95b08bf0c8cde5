//! A messy library built from the real train.jpg/train.mov: each "shot" gets its own content
//! identifier and capture time (same-length byte replacement, so the files keep their real
//! structure), then is renamed, moved, duplicated, mis-named and stripped the ways real exports
//! do (docs/formats.md). Every pair must be found, and nothing else linked.

mod common;
use common::*;
use std::fs;
use std::path::Path;

const ID: &[u8] = b"E905E6C6-C747-4805-942F-9904A0281F02";
const STILL_DATE: &[u8] = b"2021:04:10 11:44:00";
const CLIP_DATE: &[u8] = b"2021-04-10T11:43:59+0100";

struct Shot {
    jpg: Vec<u8>,
    mov: Vec<u8>,
}

/// A new shot: identifier `n` (or stripped), still taken at `day` 11:44:00, clip one second earlier.
fn shot(samples: &Path, n: Option<u32>, day: &str) -> Shot {
    let mut jpg = fs::read(samples.join("apple/train.jpg")).unwrap();
    let mut mov = fs::read(samples.join("apple/train.mov")).unwrap();
    let id = match n {
        Some(n) => format!("E905E6C6-C747-4805-942F-{n:012}"),
        None => "X".repeat(36), // what a stripped identifier looks like to us: absent
    };
    assert_eq!(replace_all(&mut jpg, ID, id.as_bytes()), 1);
    assert_eq!(replace_all(&mut mov, ID, id.as_bytes()), 1);
    let sd = format!("{}:{}:{} 11:44:00", &day[0..4], &day[5..7], &day[8..10]);
    let cd = format!("{day}T11:43:59+0100");
    assert!(replace_all(&mut jpg, STILL_DATE, sd.as_bytes()) >= 1);
    assert_eq!(replace_all(&mut mov, CLIP_DATE, cd.as_bytes()), 1);
    Shot { jpg, mov }
}

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

#[test]
fn messy_library_is_paired_fully_with_zero_false_links() {
    let Some(samples) = samples() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let with_id = |n: u32, day: &str| shot(&samples, Some(n), day);
    let stripped = |day: &str| shot(&samples, None, day);

    let a = with_id(1, "2021-05-01");
    put(r, "plain/IMG_0001.JPG", &a.jpg);
    put(r, "plain/IMG_0001.MOV", &a.mov);
    let b = with_id(2, "2021-05-02");
    put(r, "photos/beach.jpg", &b.jpg);
    put(r, "videos/2021/v-0002.mov", &b.mov);
    let c = with_id(3, "2021-05-03");
    put(r, "takeout/IMG_0003.JPG", &c.jpg);
    put(r, "takeout/IMG_0003(1).HEIC", &c.mov); // a MOV behind a HEIC name
    let d = with_id(4, "2021-05-04");
    put(r, "icloud/IMG_0004.JPG", &d.jpg);
    put(r, "icloud/IMG_0004_HEVC.MOV", &d.mov);
    let e = with_id(5, "2021-05-05");
    for copy in ["copy1", "copy2"] {
        put(r, &format!("{copy}/IMG_0005.JPG"), &e.jpg);
        put(r, &format!("{copy}/IMG_0005.MOV"), &e.mov);
    }
    let f = stripped("2021-05-06");
    put(r, "stripped/IMG_0006.JPG", &f.jpg);
    put(r, "stripped/IMG_0006.MOV", &f.mov);
    let (g_old, g_new) = (stripped("2019-01-07"), stripped("2023-01-07"));
    put(r, "reused/IMG_0007.JPG", &g_old.jpg);
    put(r, "reused/IMG_0007.MOV", &g_new.mov);
    let h = with_id(8, "2021-05-08");
    let h_edited = stripped("2021-05-08");
    put(r, "edited/IMG_0008.JPG", &h_edited.jpg); // the edit lost its MakerNote
    put(r, "edited/IMG_0008.MOV", &h.mov);
    let i = with_id(9, "2021-05-09");
    let j = with_id(10, "2021-05-09");
    put(r, "clash/IMG_0009.JPG", &i.jpg); // same name and minute, different shots
    put(r, "clash/IMG_0009.MOV", &j.mov);
    put(r, "notes/todo.txt", b"not media");

    let before = checksums(r);
    let (code, doc) = scan_json(&[r], &[]);
    assert_eq!(code, 0, "{doc:#}");
    let got: Vec<(String, String, String)> = doc["live_photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lp| {
            let rel = |v: &serde_json::Value| Path::new(v.as_str().unwrap()).strip_prefix(r).unwrap().display().to_string();
            (rel(&lp["still"]), rel(&lp["clip"]), lp["matched_by"].as_str().unwrap().to_string())
        })
        .collect();
    let want: Vec<(String, String, String)> = [
        ("copy1/IMG_0005.JPG", "copy1/IMG_0005.MOV", "content_id"),
        ("copy2/IMG_0005.JPG", "copy2/IMG_0005.MOV", "content_id"),
        ("edited/IMG_0008.JPG", "edited/IMG_0008.MOV", "name_and_time"),
        ("icloud/IMG_0004.JPG", "icloud/IMG_0004_HEVC.MOV", "content_id"),
        ("photos/beach.jpg", "videos/2021/v-0002.mov", "content_id"),
        ("plain/IMG_0001.JPG", "plain/IMG_0001.MOV", "content_id"),
        ("stripped/IMG_0006.JPG", "stripped/IMG_0006.MOV", "name_and_time"),
        ("takeout/IMG_0003.JPG", "takeout/IMG_0003(1).HEIC", "content_id"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
    let left = |k: &str| doc[k].as_array().unwrap().iter().map(|x| name(&x["path"])).collect::<Vec<_>>();
    assert_eq!(left("unpaired_stills"), vec!["IMG_0009.JPG", "IMG_0007.JPG"]);
    assert_eq!(left("unpaired_clips"), vec!["IMG_0009.MOV", "IMG_0007.MOV"]);
    assert_eq!(doc["skipped"], 1);
    assert_eq!(checksums(r), before, "scan must not modify any input");
}
