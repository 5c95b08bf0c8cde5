//! `livephoto stills --format jpeg` keeps what a person sees: the colour profile (a Display P3
//! HEIC stays P3, checked against heif-convert, the reference decoder), the pixels, the
//! identifier; and PNG stills (app-made Live Photos) are exported like any other.
#![cfg(feature = "media")]

mod common;
use common::*;
use image::ImageDecoder;
use std::path::Path;

/// The ICC profile and RGB pixels of a JPEG.
fn icc_and_pixels(p: &Path) -> (Option<Vec<u8>>, image::RgbImage) {
    let mut dec = image::codecs::jpeg::JpegDecoder::new(std::io::BufReader::new(std::fs::File::open(p).unwrap())).unwrap();
    let icc = dec.icc_profile().unwrap();
    (icc, image::DynamicImage::from_decoder(dec).unwrap().into_rgb8())
}

/// A Live Photo made of a real HEIC still and a fixture clip given the still's identifier.
fn real_heic_pair(samples: &Path, dir: &Path) {
    std::fs::copy(samples.join("apple/230708_TessSug_Demo-LA_BD_iV190163.HEIC"), dir.join("A.HEIC")).unwrap();
    let mut clip = std::fs::read(fixtures().join("heic_mov/IMG_0001.MOV")).unwrap();
    assert_eq!(replace_all(&mut clip, b"1B7A3F2C-0D4E-4C5B-9A8F-000000000001", b"465042F4-775C-430C-8AB1-AA783FD3FC3F"), 1);
    std::fs::write(dir.join("A.MOV"), clip).unwrap();
}

#[test]
fn heic_to_jpeg_keeps_the_display_p3_profile_and_the_pixels_of_the_reference_decoder() {
    let Some(samples) = samples() else { return };
    let lib = tempfile::tempdir().unwrap();
    real_heic_pair(&samples, lib.path());
    let out = tempfile::tempdir().unwrap();
    let r = bin().args(["stills", "--format", "jpeg"]).arg(lib.path()).arg("-o").arg(out.path()).output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let ours = out.path().join("A.jpg");

    let reference = out.path().join("reference.jpg");
    let rc = std::process::Command::new("heif-convert")
        .args(["-q", "100"])
        .arg(lib.path().join("A.HEIC"))
        .arg(&reference)
        .output()
        .expect("heif-convert (libheif-examples, installed by scripts/setup) is the reference decoder");
    assert!(rc.status.success(), "{}", String::from_utf8_lossy(&rc.stderr));

    let (icc, px) = icc_and_pixels(&ours);
    let (ref_icc, ref_px) = icc_and_pixels(&reference);
    let icc = icc.expect("the JPEG carries a colour profile");
    assert_eq!(Some(&icc), ref_icc.as_ref(), "the same profile as the reference decoder writes");
    assert!(
        String::from_utf16_lossy(&icc.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect::<Vec<_>>()).contains("Display P3")
    );
    assert_eq!(px.dimensions(), ref_px.dimensions());
    let diff: f64 = px.as_raw().iter().zip(ref_px.as_raw()).map(|(a, b)| f64::from(a.abs_diff(*b))).sum::<f64>() / px.as_raw().len() as f64;
    println!("mean difference from heif-convert: {diff:.3}/255");
    assert!(diff <= 1.0, "mean difference from the reference decoder: {diff:.3}/255");
    let exif = std::fs::read(&ours).unwrap();
    assert!(exif.windows(36).any(|w| w == b"465042F4-775C-430C-8AB1-AA783FD3FC3F"), "the identifier travels with the JPEG");
}

#[test]
fn png_stills_are_copied_or_converted_with_their_identifier() {
    let out = tempfile::tempdir().unwrap();
    let lib = fixtures().join("png_app");
    let r = bin().arg("stills").arg(&lib).arg("-o").arg(out.path().join("orig")).output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    // byte for byte, each named for what it is: a PNG behind a .HEIC name comes out .png
    for (f, from) in [("IMG_0014.png", "IMG_0014.HEIC"), ("live_0015.png", "live_0015.png")] {
        assert_eq!(sha256(&out.path().join("orig").join(f)), sha256(&lib.join(from)), "{f} byte for byte");
    }
    let r = bin().args(["stills", "--format", "jpeg"]).arg(&lib).arg("-o").arg(out.path().join("jpeg")).output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    for (f, id) in [("IMG_0014.jpg", "1B7A3F2C-0D4E-4C5B-9A8F-000000000014"), ("live_0015.jpg", "1B7A3F2C-0D4E-4C5B-9A8F-000000000015")] {
        let path = out.path().join("jpeg").join(f);
        let (_, px) = icc_and_pixels(&path);
        assert_eq!(px.dimensions(), (320, 240), "{f}");
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.windows(id.len()).any(|w| w == id.as_bytes()), "{f} keeps the identifier in its EXIF");
        // and livephoto reads it back as the same Live Photo's still
        let (_, doc) = scan_json(&[&path], &[]);
        assert_eq!(doc["unpaired_stills"][0]["content_id"], id, "{doc}");
    }
}
