//! Every kind of export plays in a browser: MP4 from an H.264 clip and from a 10-bit HEVC HLG
//! clip, Bounce, Loop, a motion photo's embedded video and a GIF, each in headless Chromium (a
//! page of `<video>`/`<img>` that records `ended`/`load` and the decoded size). `--codec copy`
//! of an HEVC clip is the control: Chromium on Linux cannot play it, and the test says so.
#![cfg(feature = "media")]

mod common;
use common::chromium::{self, Chromium};
use common::probe::probe;
use common::*;
use std::path::{Path, PathBuf};

fn convert(input: &Path, out: &Path, extra: &[&str]) {
    let r = bin().arg("convert").arg(input).arg("-o").arg(out).args(extra).output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{extra:?}: {}", String::from_utf8_lossy(&r.stderr));
}

#[test]
fn every_kind_of_export_plays_in_chromium() {
    let out = tempfile::tempdir().unwrap();
    let o = |name: &str| out.path().join(name);
    convert(&fixtures().join("jpeg_mov"), &o("h264"), &["--to", "mp4"]);
    convert(&fixtures().join("hdr"), &o("hlg"), &["--to", "mp4"]);
    convert(&fixtures().join("heic_mov"), &o("bounce"), &["--to", "mp4", "--effect", "bounce"]);
    convert(&fixtures().join("heic_mov"), &o("loop"), &["--to", "mp4", "--effect", "loop"]);
    convert(&fixtures().join("heic_mov"), &o("gif"), &["--to", "gif", "--width", "120"]);
    convert(&fixtures().join("hdr"), &o("copy"), &["--to", "mp4", "--codec", "copy"]);
    convert(&fixtures().join("heic_mov"), &o("motion"), &["--to", "motion-photo"]);
    // the motion photo's video, as a gallery finds it: the bytes its XMP points at
    let (_, doc) = scan_json(&[&o("motion/IMG_0001.MP.jpg")], &[]);
    let v = &doc["live_photos"][0]["embedded_video"];
    let (at, len) = (v["offset"].as_u64().unwrap() as usize, v["length"].as_u64().unwrap() as usize);
    let bytes = std::fs::read(o("motion/IMG_0001.MP.jpg")).unwrap();
    std::fs::write(o("motion/embedded.mp4"), &bytes[at..at + len]).unwrap();

    let videos: Vec<PathBuf> = ["h264/IMG_0002.mp4", "hlg/IMG_0013.mp4", "bounce/IMG_0001.mp4", "loop/IMG_0001.mp4", "motion/embedded.mp4"]
        .iter()
        .map(|n| o(n))
        .collect();
    let (gif, hevc) = (o("gif/IMG_0001.gif"), o("copy/IMG_0013.mp4"));
    assert_eq!(probe(&hevc).video_codec, "hevc", "the control is HEVC");
    let mut page = String::from("<!doctype html><meta charset=utf-8><body>\n");
    for v in videos.iter().chain([&hevc]) {
        page.push_str(&format!(
            "<video src=\"{}\" muted playsinline preload=auto></video>\n",
            v.strip_prefix(out.path()).unwrap().display()
        ));
    }
    page.push_str(&format!("<img src=\"{}\">\n", gif.strip_prefix(out.path()).unwrap().display()));
    std::fs::write(o("play.html"), page).unwrap();

    let Some(browser) = chromium::find() else { return };
    let mut c = Chromium::open(&browser, &chromium::file_url(&o("play.html")));
    let seen = c.eval(&chromium::media_check_js(30_000));
    for v in &videos {
        let p = probe(v);
        let key = v.strip_prefix(out.path()).unwrap().to_str().unwrap();
        let got = &seen[key];
        assert_eq!(got["state"], "ended", "{key} does not play to its end in Chromium: {got}");
        assert_eq!((got["w"].as_u64(), got["h"].as_u64()), (Some(u64::from(p.width)), Some(u64::from(p.height))), "{key}: {got}");
        assert_eq!(p.rotation, None, "{key}: upright pixels, no player-dependent rotation");
        let d = got["d"].as_f64().unwrap();
        assert!((d - p.duration).abs() < 0.1, "{key}: Chromium plays {d} s of a {} s file", p.duration);
    }
    let key = gif.strip_prefix(out.path()).unwrap().to_str().unwrap();
    let g = probe(&gif);
    assert_eq!(seen[key]["state"], "load", "{key}: {}", seen[key]);
    assert_eq!((seen[key]["w"].as_u64(), seen[key]["h"].as_u64()), (Some(u64::from(g.width)), Some(u64::from(g.height))));
    let key = hevc.strip_prefix(out.path()).unwrap().to_str().unwrap();
    assert_eq!(seen[key]["state"], "error", "the control: Chromium on Linux does not play HEVC ({})", seen[key]);
}
