//! Long Exposure (`stills --effect long-exposure`): a clip of a fixed scene shaken by known
//! offsets, with a red square crossing it (fixtures/long_exposure), averaged after alignment
//! keeps the scene as sharp as one frame, where a plain average blurs it, and smears the square.
#![cfg(feature = "media")]

mod common;
use common::probe::rgb_frames;
use common::*;

/// Mean SSIM of the luma of `a` and `b` (w x h packed RGB) over 8x8 blocks that `keep` accepts.
fn ssim(a: &[u8], b: &[u8], w: usize, h: usize, keep: impl Fn(usize, usize) -> bool) -> f64 {
    let luma = |p: &[u8], i: usize| 0.2126 * f64::from(p[i]) + 0.7152 * f64::from(p[i + 1]) + 0.0722 * f64::from(p[i + 2]);
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let (mut sum, mut n) = (0.0, 0);
    for by in (0..h - 8).step_by(8) {
        for bx in (0..w - 8).step_by(8) {
            if !keep(bx, by) || !keep(bx + 7, by + 7) {
                continue;
            }
            let px: Vec<(f64, f64)> = (0..64).map(|k| ((by + k / 8) * w + bx + k % 8) * 3).map(|i| (luma(a, i), luma(b, i))).collect();
            let (ma, mb) = (px.iter().map(|p| p.0).sum::<f64>() / 64.0, px.iter().map(|p| p.1).sum::<f64>() / 64.0);
            let va = px.iter().map(|p| (p.0 - ma).powi(2)).sum::<f64>() / 63.0;
            let vb = px.iter().map(|p| (p.1 - mb).powi(2)).sum::<f64>() / 63.0;
            let cov = px.iter().map(|p| (p.0 - ma) * (p.1 - mb)).sum::<f64>() / 63.0;
            sum += ((2.0 * ma * mb + c1) * (2.0 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            n += 1;
        }
    }
    sum / f64::from(n)
}

#[test]
fn aligned_frames_keep_the_scene_sharp_and_smear_what_moves() {
    let lib = fixtures().join("long_exposure");
    let out = tempfile::tempdir().unwrap();
    let r = run(&[&"stills", &"--effect", &"long-exposure", &lib, &"-o", &out.path()]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("made 1,"), "computed, not copied: {}", String::from_utf8_lossy(&r.stderr));
    let made = out.path().join("IMG_0021-long-exposure.jpg");
    let ours = image::open(&made).unwrap().into_rgb8();
    let (w, h) = (ours.width() as usize, ours.height() as usize);
    let frames = rgb_frames(&lib.join("IMG_0021.MOV"));
    assert_eq!((frames.len(), w, h), (30, 320, 240), "every frame, at the clip's size");
    // the first frame is where the others are aligned to; a plain average is what no alignment gives
    let first = &frames[0];
    let plain: Vec<u8> =
        (0..w * h * 3).map(|i| (frames.iter().map(|f| u32::from(f[i])).sum::<u32>() / frames.len() as u32) as u8).collect();
    // where nothing moves: away from the square's path (rows 100–124, shaken by up to 7 px) and the edges
    let still_area = |x: usize, y: usize| x >= 16 && x < w - 16 && y >= 16 && y < h - 16 && !(84..=140).contains(&y);
    let aligned = ssim(ours.as_raw(), first, w, h, still_area);
    let unaligned = ssim(&plain, first, w, h, still_area);
    println!("SSIM against the unshaken scene: aligned {aligned:.3}, plain average {unaligned:.3}");
    assert!(aligned >= 0.95, "the scene stays sharp: SSIM {aligned:.3}");
    assert!(unaligned < aligned - 0.1, "a plain average is visibly blurred: {unaligned:.3} vs {aligned:.3}");
    // the square leaves a red trail along its path: redder than the first frame over a long span
    let red = |p: &[u8], x: usize, y: usize| {
        let i = (y * w + x) * 3;
        f64::from(p[i]) - (f64::from(p[i + 1]) + f64::from(p[i + 2])) / 2.0
    };
    let trail = (0..w).filter(|&x| (104..120).map(|y| red(ours.as_raw(), x, y) - red(first, x, y)).sum::<f64>() / 16.0 > 4.0).count();
    assert!(trail > 120, "the moving square is smeared along its path ({trail} columns)");
    // the still's EXIF travels: its capture time
    let bytes = std::fs::read(&made).unwrap();
    let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&bytes)).expect("the still's EXIF");
    let when = exif.get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY).map(|f| f.display_value().to_string());
    assert_eq!(when.as_deref(), Some("2025-02-01 10:00:00"));
    // its pixels are sRGB, and it says so: a profile, and the EXIF's colour space
    let space = exif.get_field(exif::Tag::ColorSpace, exif::In::PRIMARY).and_then(|f| f.value.get_uint(0));
    assert!(matches!(space, Some(1) | None), "ColorSpace {space:?}");
    let icc = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&bytes))
        .ok()
        .and_then(|mut d| image::ImageDecoder::icc_profile(&mut d).ok().flatten());
    let icc = icc.expect("an ICC profile");
    assert!(String::from_utf16_lossy(&icc.chunks(2).filter_map(|c| c.try_into().ok().map(u16::from_be_bytes)).collect::<Vec<u16>>())
        .contains("sRGB"));
    // the still itself, exported into the same folder, is another file: neither is out of date
    let r = run(&[&"stills", &lib, &"-o", &out.path()]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("copied 1,") && !err.contains("out of date"), "{err}");
    assert!(out.path().join("IMG_0021.JPG").is_file() && made.is_file());
}
