//! HDR kept: iPhone HEICs with Apple's gain map (iOS 17 and iOS 18.2, real samples) become Ultra
//! HDR JPEGs and Ultra HDR motion photos. Checked as Android and Chrome read them: exiftool (an
//! oracle) finds the MPF index of two images and the `hdrgm` metadata; the gain map is a JPEG of
//! the size Apple's is; decoded as the Ultra HDR spec says at full headroom, a pixel is brighter
//! than the SDR primary by the gain Apple's map gives it (libheif decodes Apple's, as an oracle
//! of what the HEIC holds), so highlights are brighter and where Apple's map is zero nothing
//! changes; the primary is the SDR JPEG `--sdr` writes.
#![cfg(feature = "media")]

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const IOS17: &str = "230708_TessSug_Demo-LA_BD_iV190163.HEIC";
const IOS17_ID: &[u8] = b"465042F4-775C-430C-8AB1-AA783FD3FC3F";

/// A library of the two HDR Live Photos: the iOS 18.2 pair, and the iOS 17 still (whose clip is
/// missing) with a copy of another iPhone clip given its identifier. With `edit`, each HEIC is
/// changed first.
fn library(samples: &Path, edit: impl Fn(&mut Vec<u8>)) -> tempfile::TempDir {
    let lib = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("apple-ios18/IMG_3853.HEIC", "IMG_3853.HEIC"),
        ("apple-ios18/IMG_3853.MOV", "IMG_3853.MOV"),
        (&format!("apple/{IOS17}")[..], IOS17),
    ] {
        let mut bytes = std::fs::read(samples.join(from)).unwrap();
        if to.ends_with(".HEIC") {
            edit(&mut bytes);
        }
        std::fs::write(lib.path().join(to), bytes).unwrap();
    }
    let mut clip = std::fs::read(samples.join("apple/train.mov")).unwrap();
    assert!(replace_all(&mut clip, b"E905E6C6-C747-4805-942F-9904A0281F02", IOS17_ID) >= 1);
    std::fs::write(lib.path().join("230708_TessSug_Demo-LA_BD_iV190163.MOV"), clip).unwrap();
    lib
}

fn stills(lib: &Path, out: &Path, extra: &[&str]) -> Value {
    let o = bin().args(["stills", "--format", "jpeg", "--json", "-q", "-o"]).arg(out).args(extra).arg(lib).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn exiftool(args: &[&str], file: &Path) -> Value {
    let o = Command::new("exiftool").args(["-j", "-G1", "-a"]).args(args).arg(file).output().expect("exiftool (a test oracle)");
    serde_json::from_slice::<Value>(&o.stdout).unwrap()[0].clone()
}

/// The second image an MPF index lists (exiftool extracts it).
fn gain_map_of(jpeg: &Path) -> Vec<u8> {
    let o = Command::new("exiftool").args(["-b", "-MPImage2"]).arg(jpeg).output().unwrap();
    assert!(o.stdout.starts_with(&[0xFF, 0xD8]), "no second image in {}", jpeg.display());
    o.stdout
}

/// Apple's gain map in the HEIC, decoded by libheif: (width, height, bytes).
fn apples_map(heic: &Path) -> (u32, u32, Vec<u8>) {
    use libheif_rs::{AuxiliaryImagesFilter, ColorSpace, HeifContext, LibHeif};
    let ctx = HeifContext::read_from_file(heic.to_str().unwrap()).unwrap();
    let primary = ctx.primary_image_handle().unwrap();
    let aux = primary.auxiliary_images(AuxiliaryImagesFilter::new());
    let map = aux.iter().find(|a| a.auxiliary_type().unwrap() == "urn:com:apple:photo:2020:aux:hdrgainmap").expect("Apple's gain map");
    let img = LibHeif::new().decode(map, ColorSpace::Monochrome, None).unwrap();
    let y = img.planes().y.unwrap();
    let bytes = (0..y.height as usize).flat_map(|r| y.data[r * y.stride..r * y.stride + y.width as usize].to_vec()).collect();
    (y.width, y.height, bytes)
}

fn srgb_to_linear(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// Checks one Ultra HDR JPEG made from `heic` whose headroom is `headroom` (and whose Apple map
/// has at least `zeros_at_least` bytes of 8 or less: no gain).
fn check_ultra_hdr(jpeg: &Path, heic: &Path, headroom: f64, zeros_at_least: usize) {
    check_gains(jpeg, apples_map(heic), headroom, zeros_at_least);
}

/// [`check_ultra_hdr`] against Apple's map `(w, h, bytes)` wherever it came from.
fn check_gains(jpeg: &Path, (w, h, apple): (u32, u32, Vec<u8>), headroom: f64, zeros_at_least: usize) {
    let meta = exiftool(&["-MPF:NumberOfImages", "-XMP-hdrgm:Version"], jpeg);
    // exiftool gives the version as a number
    assert_eq!(
        (meta["MPF0:NumberOfImages"].as_i64(), meta["XMP-hdrgm:Version"].to_string()),
        (Some(2), "1.0".into()),
        "{}: {meta}",
        jpeg.display()
    );
    let gm_bytes = gain_map_of(jpeg);
    let gm_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(gm_file.path(), &gm_bytes).unwrap();
    let gm_meta = exiftool(&["-XMP-hdrgm:all"], gm_file.path());
    let max = gm_meta["XMP-hdrgm:GainMapMax"].as_f64().unwrap();
    assert!((max - headroom.log2()).abs() < 0.001, "GainMapMax {max} against log2 of Apple's headroom {headroom}");
    assert_eq!(gm_meta["XMP-hdrgm:HDRCapacityMax"].as_f64(), Some(max));
    let ours = image::load_from_memory(&gm_bytes).unwrap().to_luma8();
    assert_eq!(ours.dimensions(), (w, h), "the gain map has Apple's size");
    // the HDR rendition at full headroom, as the spec decodes it (offsets 0, gamma 1): the SDR
    // pixel times 2^(GainMapMax * byte / 255); Apple's: times 1 + (H - 1) * linear(byte)
    let (mut zero, mut bright, mut err) = (Vec::new(), Vec::new(), 0.0);
    for (a, b) in apple.iter().zip(ours.as_raw()) {
        let gain = 2f64.powf(max * f64::from(*b) / 255.0);
        let apples = 1.0 + (headroom - 1.0) * srgb_to_linear(f64::from(*a) / 255.0);
        err += (gain.log2() - apples.log2()).abs();
        if *a <= 8 {
            zero.push(gain); // Apple's gain at most 1.015: nothing to add
        } else if apples >= 2.0 {
            bright.push((gain, apples));
        }
    }
    let mean_err = err / apple.len() as f64;
    assert!(mean_err < 0.03, "{}: gains differ from Apple's by {mean_err:.4} stops on average", jpeg.display());
    assert!(zero.len() >= zeros_at_least, "{} pixels where Apple's map is (near) zero", zero.len());
    // per pixel the gain map JPEG's own error (q90, sharp edges) can reach a few levels: averages
    let dark = zero.iter().sum::<f64>() / zero.len().max(1) as f64;
    assert!(dark < 1.03, "where Apple's map is zero the HDR pixel equals the SDR one (mean gain {dark:.3})");
    assert!(!bright.is_empty(), "the photo has highlights");
    let ratio = bright.iter().map(|(g, a)| g / a).sum::<f64>() / bright.len() as f64;
    let least = bright.iter().map(|(g, _)| *g).fold(f64::MAX, f64::min);
    assert!((ratio - 1.0).abs() < 0.03, "highlights are as much brighter than SDR as Apple's map says (mean ratio {ratio:.3})");
    assert!(least > 1.5, "every highlight is brighter than SDR (least gain {least:.2})");
}

#[test]
fn iphone_hdr_stills_become_ultra_hdr_jpegs_with_apples_gains() {
    let Some(samples) = samples() else { return };
    let lib = library(&samples, |_| ());
    let (out, sdr) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let doc = stills(lib.path(), out.path(), &[]);
    assert_eq!(doc["converted"], 2, "{doc:#}");
    assert!(doc["results"].as_array().unwrap().iter().all(|r| r.get("note").is_none()), "{doc:#}");
    check_ultra_hdr(&out.path().join("IMG_3853.jpg"), &lib.path().join("IMG_3853.HEIC"), 6.902454, 50);
    check_ultra_hdr(&out.path().join("230708_TessSug_Demo-LA_BD_iV190163.jpg"), &lib.path().join(IOS17), 6.905872, 0);
    // --sdr: plain JPEGs, whose pixels are the Ultra HDR JPEGs' primaries
    stills(lib.path(), sdr.path(), &["--sdr"]);
    for name in ["IMG_3853.jpg", "230708_TessSug_Demo-LA_BD_iV190163.jpg"] {
        let plain = sdr.path().join(name);
        assert!(exiftool(&["-MPF:NumberOfImages"], &plain).get("MPF0:NumberOfImages").is_none(), "--sdr writes no gain map");
        let (a, b) = (image::open(&plain).unwrap().to_rgb8(), image::open(out.path().join(name)).unwrap().to_rgb8());
        assert!(a.as_raw() == b.as_raw(), "{name}: the primary is the SDR JPEG");
    }
    // the scan tells them apart
    let (_, scanned) = scan_json(&[lib.path()], &[]);
    let hdr: Vec<&str> = scanned["live_photos"].as_array().unwrap().iter().map(|lp| lp["hdr"].as_str().unwrap_or("none")).collect();
    assert_eq!(hdr, ["apple_gain_map", "apple_gain_map"], "{scanned:#}");
}

#[test]
fn the_makernote_gives_the_headroom_the_iso_tone_map_stands_in_and_no_map_is_sdr() {
    let Some(samples) = samples() else { return };
    // the XMP's headroom renamed: Apple's MakerNote tags 33 and 48 give it (2^2.787 for both files)
    let lib = library(&samples, |b| assert_eq!(replace_all(b, b"HDRGainMapHeadroom", b"HDRGainMapHeadroon"), 2));
    let out = tempfile::tempdir().unwrap();
    stills(lib.path(), out.path(), &[]);
    let makernote = |heic: &Path| {
        let m = exiftool(&["-Apple:HDRHeadroom", "-Apple:HDRGain"], heic);
        let (m33, m48) = (m["Apple:HDRHeadroom"].as_f64().unwrap(), m["Apple:HDRGain"].as_f64().unwrap());
        assert!(m33 >= 1.0 && m48 <= 0.01, "the branch of Apple's formula this checks");
        2f64.powf(-70.0 * m48 + 3.0)
    };
    let heic = lib.path().join("IMG_3853.HEIC");
    check_ultra_hdr(&out.path().join("IMG_3853.jpg"), &heic, makernote(&heic), 50);
    // Apple's gain map's type renamed: the ISO 21496-1 tone map (iOS 18) carries the same image,
    // with its own metadata, copied as it is
    let lib = library(&samples, |b| assert_eq!(replace_all(b, b"aux:hdrgainmap", b"aux:hdrgainmaq"), 1));
    let out = tempfile::tempdir().unwrap();
    stills(lib.path(), out.path(), &[]);
    let jpeg = out.path().join("IMG_3853.jpg");
    assert_eq!(exiftool(&["-MPF:NumberOfImages"], &jpeg)["MPF0:NumberOfImages"].as_i64(), Some(2));
    let gm_file = tempfile::NamedTempFile::new().unwrap();
    let gm_bytes = gain_map_of(&jpeg);
    std::fs::write(gm_file.path(), &gm_bytes).unwrap();
    let m = exiftool(&["-XMP-hdrgm:all"], gm_file.path());
    let (max, gamma) = (m["XMP-hdrgm:GainMapMax"].as_f64().unwrap(), m["XMP-hdrgm:Gamma"].as_f64().unwrap());
    assert!(
        (max - 2.787109).abs() < 1e-6 && (gamma - 0.896973).abs() < 1e-6,
        "the tmap's metadata (max 2787109/1000000, gamma 896973/1000000): {m}"
    );
    let ours = image::load_from_memory(&gm_bytes).unwrap().to_luma8();
    let (w, h, apple) = apples_map(&samples.join("apple-ios18/IMG_3853.HEIC"));
    assert_eq!(ours.dimensions(), (w, h));
    let diff = ours.as_raw().iter().zip(&apple).map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs()).sum::<f64>() / apple.len() as f64;
    assert!(diff < 1.5, "the ISO gain map's bytes are the HEIC's (mean difference {diff:.2} levels)");
    // a tone map of a version this livephoto does not know: a plain JPEG, and a note that says so
    let tmap: &[u8] = &[0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0x0F, 0x42, 0x40, 0, 0x2A, 0x87, 0x25];
    let lib = library(&samples, |b| {
        replace_all(b, b"aux:hdrgainmap", b"aux:hdrgainmaq");
        replace_all(b, tmap, &[&[1][..], &tmap[1..]].concat()); // the iOS 18.2 tmap item (the iOS 17 file has none)
    });
    let out = tempfile::tempdir().unwrap();
    let doc = stills(lib.path(), out.path(), &[]);
    assert!(exiftool(&["-MPF:NumberOfImages"], &out.path().join("IMG_3853.jpg")).get("MPF0:NumberOfImages").is_none());
    let notes: Vec<&str> = doc["results"].as_array().unwrap().iter().filter_map(|r| r["note"].as_str()).collect();
    assert_eq!(notes.len(), 1, "{doc:#}");
    assert!(notes[0].contains("version 1") && notes[0].contains("written as SDR"), "{}", notes[0]);
    // Apple's map, but its headroom gone (the XMP's renamed, the MakerNote unreadable, as after
    // an export that stripped the EXIF): the tone map's metadata stands in
    let lib = library(&samples, |b| {
        assert_eq!(replace_all(b, b"HDRGainMapHeadroom", b"HDRGainMapHeadroon") + replace_all(b, b"Apple iOS\0", b"Apple iOX\0"), 3);
    });
    let out = tempfile::tempdir().unwrap();
    stills(lib.path(), out.path(), &[]);
    let gm = gain_map_of(&out.path().join("IMG_3853.jpg"));
    std::fs::write(gm_file.path(), &gm).unwrap();
    assert_eq!(exiftool(&["-XMP-hdrgm:GainMapMax"], gm_file.path())["XMP-hdrgm:GainMapMax"].as_f64(), Some(2.787109), "the tmap's");
    // neither form: a plain JPEG
    let lib = library(&samples, |b| {
        replace_all(b, b"aux:hdrgainmap", b"aux:hdrgainmaq");
        replace_all(b, b"tmap", b"tmaq");
    });
    let out = tempfile::tempdir().unwrap();
    stills(lib.path(), out.path(), &[]);
    assert!(exiftool(&["-MPF:NumberOfImages"], &out.path().join("IMG_3853.jpg")).get("MPF0:NumberOfImages").is_none());
}

/// `convert --to motion-photo` of `lib` into `out`; returns the motion photo `<stem>.MP.jpg` and
/// the items its container directory lists, as exiftool (an oracle) reads them.
fn motion_photo(lib: &Path, out: &Path, stem: &str) -> (PathBuf, Vec<String>) {
    let o = bin().args(["convert", "--to", "motion-photo", "-q", "-o"]).arg(out).arg(lib).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let made = out.join(format!("{stem}.MP.jpg"));
    let o = Command::new("exiftool").args(["-j", "-struct", "-XMP-Container:Directory"]).arg(&made).output().unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let items = doc[0]["Directory"]
        .as_array()
        .map_or(vec![], |d| d.iter().map(|i| i["Item"]["Semantic"].as_str().unwrap_or("").to_string()).collect());
    (made, items)
}

#[test]
fn an_hdr_live_photo_becomes_an_ultra_hdr_motion_photo() {
    let Some(samples) = samples() else { return };
    let lib = tempfile::tempdir().unwrap();
    for n in ["IMG_3853.HEIC", "IMG_3853.MOV"] {
        std::fs::copy(samples.join("apple-ios18").join(n), lib.path().join(n)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let (made, items) = motion_photo(lib.path(), out.path(), "IMG_3853");
    assert_eq!(items, ["Primary", "GainMap", "MotionPhoto"], "one directory, in file order");
    check_ultra_hdr(&made, &lib.path().join("IMG_3853.HEIC"), 6.902454, 50);
    // livephoto reads it back as a motion photo with every frame, and as Ultra HDR
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(&made, copy.path().join("IMG_3853.MP.jpg")).unwrap();
    let (code, doc) = scan_json(&[copy.path()], &[]);
    assert_eq!(code, 0, "{doc:#}");
    let lp = &doc["live_photos"][0];
    assert_eq!(
        (lp["kind"].as_str(), lp["frames"].as_u64(), lp["hdr"].as_str()),
        (Some("motion_photo"), Some(42), Some("ultra_hdr")),
        "{doc:#}"
    );
    assert!((lp["key_time_s"].as_f64().unwrap() - 0.9).abs() < 0.04, "{doc:#}");
    // made again from itself (an Ultra HDR motion photo, as Pixels take them): the video joins
    // the gain map's directory, so one directory still lists all three, in file order
    let again = tempfile::tempdir().unwrap();
    let (remade, items) = motion_photo(copy.path(), again.path(), "IMG_3853");
    assert_eq!(items, ["Primary", "GainMap", "MotionPhoto"]);
    std::fs::copy(&remade, copy.path().join("IMG_3853.MP.jpg")).unwrap();
    let (_, doc) = scan_json(&[copy.path()], &[]);
    let lp = &doc["live_photos"][0];
    assert_eq!(
        (lp["kind"].as_str(), lp["frames"].as_u64(), lp["hdr"].as_str()),
        (Some("motion_photo"), Some(42), Some("ultra_hdr")),
        "{doc:#}"
    );
}

#[test]
fn sdr_is_refused_where_no_jpeg_is_made() {
    let f = fixtures().join("heic_mov");
    for args in [
        &["convert", "--to", "mp4", "--sdr"][..],
        &["convert", "--to", "live-photo", "--sdr"],
        &["stills", "--sdr"],
        &["stills", "--effect", "long-exposure", "--sdr"],
    ] {
        let o = bin().args(args).args(["-o", "/nonexistent/x"]).arg(&f).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("--sdr"), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    // an SDR HEIC (no gain map) is a plain JPEG with no note, HDR asked or not
    let out = tempfile::tempdir().unwrap();
    let doc = stills(&f, out.path(), &[]);
    assert_eq!(doc["converted"], 1, "{doc:#}");
    assert!(doc["results"][0].get("note").is_none(), "{doc:#}");
    assert!(exiftool(&["-MPF:NumberOfImages"], &out.path().join("IMG_0001.jpg")).get("MPF0:NumberOfImages").is_none());
}

/// The Ultra HDR reader and renderer of the `ultrahdr-rs` crate (an independent implementation
/// of the spec) finds the gain map and its metadata in what livephoto wrote, and its HDR
/// rendition at the photo's headroom brightens each part of the photo by what Apple's map says.
#[test]
fn an_independent_ultra_hdr_decoder_renders_apples_brightness() {
    let Some(samples) = samples() else { return };
    use ultrahdr_rs::{
        gainmap::apply::apply_gainmap, ColorGamut, ColorTransfer, GainMap, HdrOutputFormat, PixelFormat, RawImage, Unstoppable,
    };
    let lib = library(&samples, |_| ());
    let out = tempfile::tempdir().unwrap();
    stills(lib.path(), out.path(), &[]);
    let bytes = std::fs::read(out.path().join("230708_TessSug_Demo-LA_BD_iV190163.jpg")).unwrap();
    let decoder = ultrahdr_rs::Decoder::new(&bytes).unwrap();
    assert!(decoder.is_ultrahdr());
    let m = decoder.metadata().unwrap().clone();
    let headroom = 6.905872f64;
    assert!((m.gain_map_max[0] - headroom.log2()).abs() < 1e-4 && (m.alternate_hdr_headroom - headroom.log2()).abs() < 1e-4, "{m:?}");
    assert!(m.use_base_color_space && !m.backward_direction, "{m:?}");
    let sdr = image::load_from_memory(decoder.primary_jpeg().unwrap()).unwrap().to_rgb8();
    let gm = image::load_from_memory(decoder.gainmap_jpeg().unwrap()).unwrap().to_luma8();
    assert_eq!((gm.width() * 2, gm.height() * 2), sdr.dimensions());
    // a 512-pixel square around the brightest part of Apple's map (even corners: the half-size
    // map lines up with it), rendered at the photo's full headroom
    let (aw, _, apple) = apples_map(&lib.path().join(IOS17));
    let brightest = apple.iter().enumerate().max_by_key(|(_, v)| **v).unwrap().0;
    let (bx, by) = ((brightest as u32 % aw) * 2, (brightest as u32 / aw) * 2);
    let (x0, y0) = ((bx.saturating_sub(256).min(sdr.width() - 512)) & !1, (by.saturating_sub(256).min(sdr.height() - 512)) & !1);
    let crop = image::imageops::crop_imm(&sdr, x0, y0, 512, 512).to_image();
    let gcrop = image::imageops::crop_imm(&gm, x0 / 2, y0 / 2, 256, 256).to_image();
    let sdr_raw = RawImage::from_data(512, 512, PixelFormat::Rgb8, ColorGamut::DisplayP3, ColorTransfer::Srgb, crop.into_raw()).unwrap();
    let gm_raw = GainMap { width: 256, height: 256, channels: 1, data: gcrop.into_raw() };
    let hdr = apply_gainmap(&sdr_raw, &gm_raw, &m, headroom as f32, HdrOutputFormat::LinearFloat, Unstoppable).unwrap();
    let px: Vec<f32> = hdr.data.chunks_exact(4).map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]])).collect();
    let (mut err, mut n, mut bright, mut dark) = (0.0, 0, Vec::new(), Vec::new());
    for y in 0..512u32 {
        for x in 0..512u32 {
            let s = sdr.get_pixel(x0 + x, y0 + y)[1];
            let s_lin = srgb_to_linear(f64::from(s) / 255.0);
            if s_lin < 0.02 {
                continue; // too dark for a ratio
            }
            let h = f64::from(px[((y * 512 + x) * 4 + 1) as usize]);
            let a = apple[(((y0 + y) / 2) * aw + (x0 + x) / 2) as usize];
            let apples = 1.0 + (headroom - 1.0) * srgb_to_linear(f64::from(a) / 255.0);
            err += ((h / s_lin).log2() - apples.log2()).abs();
            n += 1;
            if apples >= 2.5 {
                bright.push(h / s_lin);
            } else if a <= 8 {
                dark.push(h / s_lin);
            }
        }
    }
    assert!(n > 10_000, "enough lit pixels ({n})");
    assert!(err / (n as f64) < 0.03, "the renderer's brightening is Apple's within {:.3} stops on average", err / n as f64);
    assert!(!bright.is_empty() && bright.iter().sum::<f64>() / bright.len() as f64 > 2.3, "highlights at least 2.3x brighter than SDR");
    if !dark.is_empty() {
        assert!(dark.iter().sum::<f64>() / (dark.len() as f64) < 1.1, "no brightening where Apple's map is zero");
    }
}

/// An iPhone HDR JPEG ("Most Compatible"), laid out as iPhones write it (docs/formats.md "HDR
/// stills: gain maps") from the iOS 17 capture: the SDR JPEG `--sdr` makes of it (its EXIF and
/// MakerNote, with the content identifier and headroom tags 33 and 48), an MPF index after its
/// APPn segments, then `map` (Apple's gain map bytes, `w` x `h`) as a second JPEG whose XMP names
/// Apple's auxiliary type and gives no headroom. Returns the JPEG, alone with its clip in `lib`.
fn iphone_hdr_jpeg(samples: &Path, (w, h, map): (u32, u32, &[u8])) -> (tempfile::TempDir, Vec<u8>) {
    let lib = library(samples, |_| ());
    let sdr = tempfile::tempdir().unwrap();
    stills(lib.path(), sdr.path(), &["--sdr"]);
    let primary = std::fs::read(sdr.path().join("230708_TessSug_Demo-LA_BD_iV190163.jpg")).unwrap();
    let app = |marker: u8, body: &[u8]| [&[0xFF, marker][..], &(body.len() as u16 + 2).to_be_bytes(), body].concat();
    let mut gm = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut gm, 95).encode(map, w, h, image::ExtendedColorType::L8).unwrap();
    let xmp = concat!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="""#,
        r#" xmlns:HDRGainMap="http://ns.apple.com/HDRGainMap/1.0/" xmlns:apdi="http://ns.apple.com/pixeldatainfo/1.0/" HDRGainMap:HDRGainMapVersion="65536""#,
        r#" apdi:AuxiliaryImageType="urn:com:apple:photo:2020:aux:hdrgainmap" apdi:NativeFormat="1278226488"/></rdf:RDF></x:xmpmeta>"#
    );
    let gm = [&gm[..2], &app(0xE1, &[&b"http://ns.adobe.com/xap/1.0/\0"[..], xmp.as_bytes()].concat()), &gm[2..]].concat();
    let mut at = 2; // past the primary's APPn segments
    while (0xE0..=0xEF).contains(&primary[at + 1]) {
        at += 2 + usize::from(u16::from_be_bytes([primary[at + 2], primary[at + 3]]));
    }
    // MPF: signature, big-endian TIFF header, an IFD of version, image count and entries, two entries
    let mpf_len = 4 + 4 + 8 + 2 + 3 * 12 + 4 + 32;
    let primary_len = (primary.len() + mpf_len) as u32;
    let mut body = b"MPF\0MM\0\x2A\0\0\0\x08\0\x03\xB0\x00\0\x07\0\0\0\x040100\xB0\x01\0\x04\0\0\0\x01\0\0\0\x02\xB0\x02\0\x07\0\0\0\x20\0\0\0\x32\0\0\0\0".to_vec();
    for (attr, size, offset) in [(0x0003_0000u32, primary_len, 0), (0, gm.len() as u32, primary_len - (at as u32 + 8))] {
        body.extend([attr.to_be_bytes(), size.to_be_bytes(), offset.to_be_bytes(), [0; 4]].concat());
    }
    let jpeg = [&primary[..at], &app(0xE2, &body), &primary[at..], &gm].concat();
    for f in [IOS17, "IMG_3853.HEIC", "IMG_3853.MOV"] {
        std::fs::remove_file(lib.path().join(f)).unwrap();
    }
    std::fs::write(lib.path().join("230708_TessSug_Demo-LA_BD_iV190163.JPG"), &jpeg).unwrap();
    (lib, jpeg)
}

#[test]
fn an_iphone_hdr_jpeg_becomes_ultra_hdr_with_its_primary_untouched() {
    let Some(samples) = samples() else { return };
    let heic = samples.join("apple").join(IOS17);
    let (w, h, apple) = apples_map(&heic);
    let (lib, source) = iphone_hdr_jpeg(&samples, (w, h, &apple));
    let src = lib.path().join("230708_TessSug_Demo-LA_BD_iV190163.JPG");
    let oracle = exiftool(&["-MPF:NumberOfImages", "-Apple:HDRHeadroom"], &src);
    assert_eq!(oracle["MPF0:NumberOfImages"].as_i64(), Some(2), "the test's input is a well-formed MPF JPEG: {oracle}");
    let (_, scanned) = scan_json(&[lib.path()], &[]);
    assert_eq!(scanned["live_photos"][0]["hdr"], "apple_gain_map", "{scanned:#}");

    let out = tempfile::tempdir().unwrap();
    let doc = stills(lib.path(), out.path(), &[]);
    assert!(doc["results"][0].get("note").is_none(), "{doc:#}");
    let made = out.path().join("230708_TessSug_Demo-LA_BD_iV190163.JPG");
    check_ultra_hdr(&made, &heic, 6.905872, 0);
    let (a, b) = (image::load_from_memory(&source).unwrap().to_rgb8(), image::open(&made).unwrap().to_rgb8());
    assert!(a.as_raw() == b.as_raw(), "the primary's pixels are the source's: its image data is copied, not re-encoded");
    let id = exiftool(&["-Apple:ContentIdentifier", "-Apple:MediaGroupUUID"], &made);
    let id = id.get("Apple:ContentIdentifier").or(id.get("Apple:MediaGroupUUID"));
    assert_eq!(id.and_then(Value::as_str).map(str::as_bytes), Some(IOS17_ID), "the MakerNote is kept");
    // --sdr: the JPEG as it was
    let sdr = tempfile::tempdir().unwrap();
    stills(lib.path(), sdr.path(), &["--sdr"]);
    assert!(std::fs::read(sdr.path().join("230708_TessSug_Demo-LA_BD_iV190163.JPG")).unwrap() == source);
    // a motion photo: one directory of the three items, Ultra HDR
    let (mp, items) = motion_photo(lib.path(), out.path(), "230708_TessSug_Demo-LA_BD_iV190163");
    assert_eq!(items, ["Primary", "GainMap", "MotionPhoto"]);
    check_ultra_hdr(&mp, &heic, 6.905872, 0);

    // a gain map that does not cover the photo: the JPEG copied as it is, with a note
    let half: Vec<u8> = apple[..apple.len() / 2].to_vec();
    let (lib, source) = iphone_hdr_jpeg(&samples, (w, h / 2, &half));
    let out = tempfile::tempdir().unwrap();
    let doc = stills(lib.path(), out.path(), &[]);
    let note = doc["results"][0]["note"].as_str().unwrap_or_default();
    assert!(note.contains("proportions") && note.contains("Apple's form"), "{doc:#}");
    assert!(std::fs::read(out.path().join("230708_TessSug_Demo-LA_BD_iV190163.JPG")).unwrap() == source);
}

/// Real iPhone HDR JPEGs (tests/data/iphone-hdr-jpeg, from libavif's test data; no samples
/// needed), each paired by name and time with a clip: `--format jpeg` makes Ultra HDR JPEGs
/// whose primary is the source's own and whose gain map is Apple's, re-encoded at the headroom
/// the MakerNote (the older file) or the gain map's XMP (the newer) gives.
#[test]
fn real_iphone_hdr_jpegs_become_ultra_hdr() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/iphone-hdr-jpeg");
    let lib = tempfile::tempdir().unwrap();
    let mut clip = std::fs::read(fixtures().join("stripped/IMG_0009_HEVC.MOV")).unwrap();
    assert_eq!(replace_all(&mut clip, b"2020-02-02T13:15:15", b"2026-01-07T14:20:14"), 1);
    assert_eq!(replace_all(&mut clip, b"2020-02-02T14:15:15+0100", b"2026-01-07T15:20:14+0100"), 1, "the photos' capture time");
    let files = [("IMG_7001", "apple_gainmap_old.jpg", 3.0), ("IMG_7002", "apple_gainmap_new.jpg", 4.532783f64.log2())];
    for (stem, file, _) in files {
        std::fs::copy(data.join(file), lib.path().join(format!("{stem}.JPG"))).unwrap();
        std::fs::write(lib.path().join(format!("{stem}_HEVC.MOV")), &clip).unwrap();
    }
    let (_, scanned) = scan_json(&[lib.path()], &[]);
    let hdr: Vec<&str> = scanned["live_photos"].as_array().unwrap().iter().map(|lp| lp["hdr"].as_str().unwrap_or("none")).collect();
    assert_eq!(hdr, ["apple_gain_map", "apple_gain_map"], "{scanned:#}");
    let out = tempfile::tempdir().unwrap();
    stills(lib.path(), out.path(), &[]);
    for (stem, file, stops) in files {
        let (source, made) = (data.join(file), out.path().join(format!("{stem}.JPG")));
        let apple = image::load_from_memory(&gain_map_of(&source)).unwrap().to_luma8();
        check_gains(&made, (apple.width(), apple.height(), apple.into_raw()), 2f64.powf(stops), 0);
        let (a, b) = (image::open(&source).unwrap().to_rgb8(), image::open(&made).unwrap().to_rgb8());
        assert!(a.as_raw() == b.as_raw(), "{file}: the primary is the source's, not re-encoded");
        let kept = ["-ICC_Profile:ProfileDescription", "-Apple:HDRHeadroom", "-IFD0:Model"];
        let (was, is) = (exiftool(&kept, &source), exiftool(&kept, &made));
        for k in ["ICC_Profile:ProfileDescription", "Apple:HDRHeadroom", "IFD0:Model"] {
            assert!(was.get(k).is_some() && was.get(k) == is.get(k), "{file}: {k} kept: {was} {is}");
        }
    }
}
