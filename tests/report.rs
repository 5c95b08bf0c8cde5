//! `livephoto report`: the page names every Live Photo's still and clip, every picture it links
//! loads in headless Chromium (and each preview is an animation of its clip), the search box
//! filters, re-runs keep the pictures, and no spelling of `-o` replaces anything unasked.
#![cfg(feature = "media")]

mod common;
use common::chromium::{self, Chromium};
use common::probe::probe;
use common::*;
use serde_json::Value;
use std::path::Path;

fn report(paths: &[&Path], page: &Path, extra: &[&str]) -> std::process::Output {
    bin().arg("report").args(paths).arg("-o").arg(page).args(extra).output().unwrap()
}

#[test]
fn the_report_shows_every_live_photo_and_every_picture_loads() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let before = checksums(&fixtures());
    let r = report(&[&fixtures()], &page, &["--quiet"]);
    let said = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "the broken fixtures are unreadable: exit 1\n{said}");
    assert!(said.contains("truncated.MOV"), "unreadable files are said: {said}");
    assert_eq!(checksums(&fixtures()), before, "inputs unchanged");

    let (_, doc) = scan_json(&[&fixtures()], &[]);
    let lps = doc["live_photos"].as_array().unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "offline: nothing fetched from the network");
    let assets = dir.path().join("report_files");
    assert!(assets.join(MARKER).is_file(), "the pictures' folder is marked, so no scan reads it back");

    // every picture is what it claims: a thumbnail per Live Photo, a preview with every frame of its clip
    for lp in lps {
        let still = Path::new(lp["still"].as_str().unwrap());
        // named after the still, as convert names outputs (a motion photo's `.MP` is not part of it)
        let rel = still.strip_prefix(fixtures()).unwrap().with_extension("");
        let rel = rel.to_str().unwrap().trim_end_matches(".MP");
        let gif = probe(&assets.join(format!("{rel}.gif")));
        let want = (lp["duration_s"].as_f64().unwrap() * 10.0).round() as u64;
        assert!(gif.frames + 2 >= want && gif.frames <= want + 2, "{rel}: {} preview frames for {want}", gif.frames);
        let thumb = probe(&assets.join(format!("{rel}.jpg")));
        assert!(thumb.width.max(thumb.height) <= 480 && thumb.width > 0, "{rel}: {}x{}", thumb.width, thumb.height);
    }

    let Some(browser) = chromium::find() else { return };
    let mut c = Chromium::open(&browser, &chromium::file_url(&page));
    let cards = c.eval("[...document.querySelectorAll('.card')].map(c => [...c.querySelectorAll('dd')].map(d => d.textContent))");
    let cards = cards.as_array().unwrap();
    assert_eq!(cards.len(), lps.len(), "one card per Live Photo");
    for lp in lps {
        let (still, clip) = (lp["still"].as_str().unwrap(), lp["clip"].as_str().unwrap());
        let card = cards.iter().find(|c| c[0] == still).unwrap_or_else(|| panic!("no card names {still}"));
        let shown = card[1].as_str().unwrap();
        match lp["kind"].as_str().unwrap() {
            "motion_photo" => assert!(shown.starts_with("inside the still"), "{still}: {shown}"),
            "livp" => assert!(shown.starts_with("inside the archive"), "{still}: {shown}"),
            _ => assert_eq!(shown, clip, "{still}'s card names its clip"),
        }
    }
    let seen = c.eval(&chromium::media_check_js(20_000));
    let seen = seen.as_object().unwrap();
    assert_eq!(seen.len(), 2 * lps.len(), "a thumbnail and a preview per Live Photo");
    for (src, got) in seen {
        assert_eq!(got["state"], "load", "{src} does not load: {got}");
        assert!(got["w"].as_u64().unwrap() > 0, "{src}: {got}");
    }
    // the halves missing their partner and the unreadable files are listed with their reasons
    let text = c.eval("document.body.innerText");
    let text = text.as_str().unwrap();
    for lone in doc["unpaired_stills"].as_array().unwrap().iter().chain(doc["unpaired_clips"].as_array().unwrap()) {
        if !lone["content_id"].is_null() {
            assert!(text.contains(lone["path"].as_str().unwrap()), "{} is not listed", lone["path"]);
        }
    }
    for e in doc["errors"].as_array().unwrap() {
        assert!(text.contains(e["path"].as_str().unwrap()) && text.contains(e["error"].as_str().unwrap()), "{e}");
    }
    // the search box filters the cards
    let shown = c.eval("q.value = 'facetime'; q.dispatchEvent(new Event('input')); cards.filter(c => !c.hidden).length");
    assert_eq!(shown, Value::from(1), "one FaceTime Live Photo among the fixtures");
    let shown = c.eval("q.value = 'heic_mov IMG_0001'; q.dispatchEvent(new Event('input')); cards.filter(c => !c.hidden).length");
    assert_eq!(shown, Value::from(1));
}

#[test]
fn re_runs_keep_the_pictures_and_nothing_is_replaced_unasked() {
    let lib = fixture_copy(&["jpeg_mov", "heic_mov"]);
    let page = lib.path().join("report.html");
    let before = checksums(lib.path());
    let r = report(&[lib.path()], &page, &[]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("2 Live Photo(s)"));
    // the page and its pictures sit inside the scanned folder: a second run does not read them
    let r = report(&[lib.path()], &page, &[]);
    let said = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{said}");
    assert!(said.contains("2 Live Photo(s) (0 FaceTime, 0 edited); 0 unpaired still(s) and 0 unpaired clip(s)"), "{said}");
    assert!(said.contains("pictures made 0, kept from an earlier report 4"), "{said}");
    let (_, doc) = scan_json(&[lib.path()], &[]);
    assert_eq!(doc["live_photos"].as_array().unwrap().len(), 2);
    assert_eq!(doc["unpaired_stills"].as_array().unwrap().len(), 0, "our thumbnails are never scanned");

    // someone else's file at -o is kept unless asked; a scanned file never, even asked
    let elsewhere = tempfile::tempdir().unwrap();
    let theirs = elsewhere.path().join("notes.html");
    std::fs::write(&theirs, b"my notes").unwrap();
    let r = report(&[lib.path()], &theirs, &[]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("not a livephoto report"));
    assert_eq!(std::fs::read(&theirs).unwrap(), b"my notes");
    let scanned_html = lib.path().join("notes.html");
    std::fs::write(&scanned_html, b"my notes").unwrap();
    let r = report(&[lib.path()], &scanned_html, &["--overwrite"]);
    assert_eq!(r.status.code(), Some(2), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(std::fs::read(&scanned_html).unwrap(), b"my notes", "a file under a scanned folder is an input");
    let r = report(&[lib.path()], &lib.path().join("jpeg_mov/../jpeg_mov/IMG_0002.JPG"), &["--overwrite"]);
    assert_eq!(r.status.code(), Some(2), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("one of the scanned files"));
    let after: Vec<_> = checksums(lib.path()).into_iter().filter(|(p, _)| before.iter().any(|(q, _)| q == p)).collect();
    assert_eq!(after, before, "inputs unchanged");
    let r = report(&[lib.path()], &theirs, &["--overwrite", "--no-previews"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let html = std::fs::read_to_string(&theirs).unwrap();
    assert!(html.contains("IMG_0002.jpg") && !html.contains(".gif"), "thumbnails only");
    assert!(walk(lib.path()).iter().chain(&walk(elsewhere.path())).all(|p| !is_temporary(p)), "no temporary file left");
}

#[test]
fn any_file_name_reaches_its_pictures() {
    use std::os::unix::ffi::OsStrExt;
    let lib = tempfile::tempdir().unwrap();
    let name = |ext: &str| std::ffi::OsStr::from_bytes(&[b"caf\xe9 #1 <b>?".as_slice(), ext.as_bytes()].concat()).to_os_string();
    std::fs::copy(fixtures().join("jpeg_mov/IMG_0002.JPG"), lib.path().join(name(".JPG"))).unwrap();
    std::fs::copy(fixtures().join("jpeg_mov/IMG_0002.MOV"), lib.path().join(name(".MOV"))).unwrap();
    let out = tempfile::tempdir().unwrap();
    let page = out.path().join("r.html");
    let r = report(&[lib.path()], &page, &[]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("caf\u{fffd} #1 &lt;b&gt;?.JPG"), "the name is shown escaped, never as markup");
    let Some(browser) = chromium::find() else { return };
    let mut c = Chromium::open(&browser, &chromium::file_url(&page));
    let seen = c.eval(&chromium::media_check_js(20_000));
    let seen = seen.as_object().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen.values().all(|v| v["state"] == "load"), "{seen:?}");
}
