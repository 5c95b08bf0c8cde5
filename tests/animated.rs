//! Animated WebP, AVIF and PNG (`convert --to webp|avif|apng`): headless Chromium decodes each
//! with its own image decoder (WebCodecs `ImageDecoder`), finds it animated, looping forever, with
//! the frames livephoto wrote, and shows it upright at the width asked; WebP and AVIF are a
//! fraction of the GIF's bytes, the APNG is lossless (the `image` crate's decoder reads its frames).
#![cfg(feature = "media")]

mod common;
use base64::Engine;
use common::chromium::{self, Chromium};
use common::*;

#[test]
fn webp_avif_and_apng_play_in_chromium_animated_with_every_frame() {
    let lib = fixtures().join("heic_mov"); // a 1.5 s clip at 15 fps, rotated 90° (160x120 stored)
    let out = tempfile::tempdir().unwrap();
    let mut made = Vec::new();
    for to in ["webp", "avif", "apng", "gif"] {
        let dir = out.path().join(to);
        let r = run(&[&"convert", &lib, &"--to", &to, &"--width", &"96", &"--json", &"-o", &dir]);
        assert_eq!(r.status.code(), Some(0), "{to}: {}", String::from_utf8_lossy(&r.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        let frames = doc["results"][0]["frames"].as_u64().unwrap();
        assert!((22..=24).contains(&frames), "{to}: {frames} frames for 1.5 s at 15 fps");
        let file = dir.join(format!("IMG_0001.{}", if to == "apng" { "png" } else { to }));
        made.push((to, file.clone(), frames, std::fs::metadata(&file).unwrap().len()));
    }
    let gif_bytes = made[3].3;
    for (to, _, _, bytes) in &made[..2] {
        // smaller than the GIF (on real clips a quarter and a twentieth of it: scripts/bench)
        assert!(*bytes < gif_bytes, "{to}: {bytes} bytes, the GIF {gif_bytes}");
    }
    // the APNG: every frame full colour at the size asked, looping forever (acTL num_plays 0)
    let (_, apng, apng_frames, _) = &made[2];
    let decoder = image::codecs::png::PngDecoder::new(std::io::BufReader::new(std::fs::File::open(apng).unwrap())).unwrap();
    assert!(decoder.is_apng().unwrap(), "an animated PNG");
    let frames: Vec<image::Frame> = image::AnimationDecoder::into_frames(decoder.apng().unwrap()).collect::<Result<_, _>>().unwrap();
    assert_eq!(frames.len() as u64, *apng_frames, "every frame written is there");
    assert_eq!(frames[0].buffer().dimensions(), (96, 128), "upright (the clip is turned 90°), 96 px wide");
    let png = std::fs::read(apng).unwrap();
    let actl = png.windows(4).position(|w| w == b"acTL").expect("an acTL chunk");
    assert_eq!(&png[actl + 8..actl + 12], &[0, 0, 0, 0], "num_plays 0: it loops forever");
    let Some(browser) = chromium::find() else { return };
    let page = out.path().join("blank.html");
    std::fs::write(&page, "<!doctype html><title>decode</title>").unwrap();
    let mut c = Chromium::open(&browser, &chromium::file_url(&page));
    assert_eq!(c.eval("typeof ImageDecoder + ' ' + isSecureContext"), "function true", "WebCodecs' ImageDecoder is there");
    for (to, file, frames, _) in &made[..3] {
        let data = base64::engine::general_purpose::STANDARD.encode(std::fs::read(file).unwrap());
        let to = if *to == "apng" { "png" } else { to };
        let js = format!(
            r#"(async () => {{
  const bytes = Uint8Array.from(atob("{data}"), c => c.charCodeAt(0));
  const d = new ImageDecoder({{data: bytes, type: "image/{to}"}});
  await d.tracks.ready;
  const t = d.tracks.selectedTrack;
  const f = (await d.decode({{frameIndex: 0}})).image;
  return {{animated: t.animated, frames: t.frameCount, loops: String(t.repetitionCount), w: f.displayWidth, h: f.displayHeight}};
}})()"#
        );
        let got = c.eval(&js);
        assert_eq!(got["animated"], true, "{to}: {got}");
        assert_eq!(got["frames"].as_u64(), Some(*frames), "{to}: every frame written is there: {got}");
        assert_eq!(got["loops"], "Infinity", "{to} loops forever: {got}");
        assert_eq!(
            (got["w"].as_u64(), got["h"].as_u64()),
            (Some(96), Some(128)),
            "{to}: upright (the clip is turned 90°), 96 px wide: {got}"
        );
    }
}
