//! What a careful user trips on, each pinned: bounds on `--jobs`, refusals that write nothing,
//! a photo given alone, exports checked with the tool itself, one word per idea, results on
//! stdout and the rest on stderr, overlapping roots, a table that fits the terminal, copies of
//! a paired half called copies.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn stderr(r: &std::process::Output) -> String {
    String::from_utf8_lossy(&r.stderr).into_owned()
}

fn stdout(r: &std::process::Output) -> String {
    String::from_utf8_lossy(&r.stdout).into_owned()
}

#[test]
fn jobs_take_one_to_256_and_say_so() {
    for n in ["0", "257", "100000", "99999999999", "many"] {
        for cmd in ["convert", "stills", "report"] {
            let mut args = vec![cmd, "-j", n];
            if cmd == "convert" {
                args.extend(["--to", "mp4"]);
            }
            let r = bin().args(&args).arg(fixtures().join("jpeg_mov")).args(["-o", "/tmp/livephoto-never-written"]).output().unwrap();
            assert_eq!(r.status.code(), Some(2), "{cmd} -j {n}: {}", stderr(&r));
            assert!(stderr(&r).contains("1 to 256"), "{cmd} -j {n}: {}", stderr(&r));
        }
    }
    assert!(!Path::new("/tmp/livephoto-never-written").exists());
}

/// `scan` prints its results alone on stdout, as rg and fd do: the table and the halves; errors,
/// notes and the summary go to stderr (notes as `note:`), the read statistics only when asked.
#[test]
fn results_on_stdout_the_rest_on_stderr() {
    let r = bin().args(["scan", "--quiet"]).arg(fixtures().join("broken")).arg(fixtures().join("shapes")).output().unwrap();
    let (out, err) = (stdout(&r), stderr(&r));
    assert_eq!(r.status.code(), Some(1));
    assert!(out.starts_with("STILL") && out.contains("IMG_0018.HEIC"), "{out}");
    for gone in ["could not be read", "truncated", "Live Photo(s)", "KiB", "note"] {
        assert!(!out.contains(gone), "stdout holds {gone:?}: {out}");
    }
    assert!(err.contains("livephoto: ") && err.contains("truncated.JPG: JPEG ends"), "{err}");
    assert!(err.lines().any(|l| l.starts_with("note: ") && l.contains("PXL_trailing.jpg")), "{err}");
    assert!(err.contains("4 Live Photo(s)") && !err.contains("KiB"), "{err}");
    let r = bin().args(["scan", "--quiet", "--stats"]).arg(fixtures().join("shapes")).output().unwrap();
    assert!(stderr(&r).contains("KiB of headers per media file"), "{}", stderr(&r));
}

/// The table says how a Live Photo was matched in the words `--json` uses, and unknown values
/// the same way in every column.
#[test]
fn one_word_per_idea() {
    let r = bin().args(["scan", "--quiet"]).arg(fixtures().join("stripped")).arg(fixtures().join("android")).output().unwrap();
    let out = stdout(&r);
    assert!(out.contains("name_and_time") && !out.contains("name+time"), "{out}");
    assert!(out.contains("embedded") && !out.contains('?'), "{out}");
    let (_, doc) = scan_json(&[&fixtures().join("orphans")], &[]);
    assert_eq!(doc["unpaired_clips"][0]["hdr"], Value::Null, "present, null, for a clip too: {doc}");
    assert!(doc["unpaired_clips"][0].as_object().unwrap().contains_key("hdr"));
}

/// Two roots where one holds the other, or the same folder spelled twice: read once, one note
/// each, not one per file.
#[test]
fn overlapping_roots_are_read_once_with_one_note() {
    let dir = fixtures().join("edited");
    let dotted = fixtures().join(".").join("edited");
    let (code, doc) = scan_json(&[&dir, &dotted, &dir.join("IMG_0016.HEIC")], &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(pairs(&doc).len(), 3, "{doc}");
    let notes: Vec<&str> = doc["notes"].as_array().unwrap().iter().map(|n| n["note"].as_str().unwrap()).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes.iter().any(|n| n.starts_with("given twice")) && notes.iter().any(|n| n.starts_with("inside ")), "{notes:?}");
}

/// A byte-identical copy of a paired still is a copy, not a half whose partner is missing.
#[test]
fn copies_of_a_paired_half_are_called_copies() {
    let lib = fixture_copy(&["shapes"]);
    let dir = lib.path().join("shapes");
    std::fs::copy(dir.join("IMG_5002.HEIC"), dir.join("IMG_5002(1).HEIC")).unwrap();
    let (_, doc) = scan_json(&[&dir], &[]);
    let copy = doc["unpaired_stills"].as_array().unwrap().iter().find(|s| name(&s["path"]) == "IMG_5002(1).HEIC").unwrap();
    assert_eq!(name(&copy["copy_of"]), "IMG_5002.HEIC", "{copy}");
    let r = bin().args(["scan", "--quiet"]).arg(&dir).output().unwrap();
    assert!(!stdout(&r).contains("Unpaired stills"), "{}", stdout(&r));
    assert!(stdout(&r).contains("Copies of halves already paired") && stdout(&r).contains("(a copy of "), "{}", stdout(&r));
    assert!(stderr(&r).contains("0 unpaired still(s)") && stderr(&r).contains("1 copies"), "{}", stderr(&r));
}

/// The table at the widths people's terminals have: no line runs past it, the header lines up
/// with the rows, and a file name is cut only when even dropped columns leave too little room.
#[test]
fn the_table_fits_the_terminal() {
    for cols in [60usize, 80, 140, 200] {
        let r = bin().args(["scan", "--quiet"]).arg(fixtures()).env("COLUMNS", cols.to_string()).output().unwrap();
        // not a terminal: nothing is cut (the lines are whole, for grep and files)
        assert!(stdout(&r).lines().any(|l| l.chars().count() > cols.min(100)), "{cols}");
        let table = script(cols);
        let lines: Vec<&str> = table.lines().take_while(|l| !l.is_empty()).collect();
        assert!(lines.len() > 10, "{table}");
        for l in &lines {
            assert!(l.chars().count() <= cols, "{cols} columns: {} chars: {l}", l.chars().count());
        }
        // every column starts where its heading does
        let head = lines[0];
        for heading in ["CLIP", "MATCHED BY", "CAPTURED", "CAMERA"] {
            let Some(at) = head.find(heading) else { continue };
            let at = head[..at].chars().count();
            for l in &lines[1..] {
                let before: String = l.chars().take(at).collect();
                assert!(before.ends_with("  "), "{cols}: {heading} misaligned in {l:?}");
            }
        }
        if cols >= 140 {
            assert!(
                lines.iter().skip(1).all(|l| !l.contains("…/…") && l.split_whitespace().next().is_some_and(|p| !p.ends_with('…'))),
                "{table}"
            );
        }
    }
}

/// The table as a terminal of `cols` columns shows it (a pseudo-terminal, by `script`).
fn script(cols: usize) -> String {
    let cmd =
        format!("stty cols {cols}; COLUMNS={cols} {} scan --quiet {} 2>/dev/null", env!("CARGO_BIN_EXE_livephoto"), fixtures().display());
    let r = std::process::Command::new("script").args(["-qc", &cmd, "/dev/null"]).output().expect("script (util-linux)");
    String::from_utf8_lossy(&r.stdout).replace('\r', "")
}

#[cfg(feature = "media")]
mod media {
    use super::*;

    /// A refused `report -o` writes nothing, anywhere; a trailing slash names a folder.
    #[test]
    fn a_refused_report_writes_nothing() {
        let lib = fixture_copy(&["heic_mov"]);
        let dir = lib.path().join("heic_mov");
        let before = checksums(lib.path());
        for extra in [&[][..], &["--overwrite"][..]] {
            let r = bin().arg("report").arg(&dir).arg("-o").arg(dir.join("IMG_0001.HEIC")).args(extra).output().unwrap();
            assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
            assert_eq!(checksums(lib.path()), before, "{extra:?}: nothing written inside the input");
            assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2, "{extra:?}: no folder of pictures left");
        }
        let out = tempfile::tempdir().unwrap();
        let page = out.path().join("rdir");
        let r = bin().arg("report").arg(&dir).arg("-o").arg(format!("{}/", page.display())).output().unwrap();
        assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
        assert!(page.join("index.html").is_file() && page.join("index_files").is_dir());
        assert!(!out.path().join("rdir_files").exists());
        let r = bin().arg("report").arg(&dir).arg("-o").arg(page.join("index.html").join("x.html")).output().unwrap();
        assert_eq!(r.status.code(), Some(2), "a page inside a file: {}", stderr(&r));
        assert!(!page.join("index.html").join("x_files").exists());
    }

    /// An export folder named on the command line is read: a user checks an export with the tool.
    #[test]
    fn an_export_folder_named_itself_is_scanned() {
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("lp");
        let r = bin().args(["convert", "--to", "live-photo", "-o"]).arg(&dest).arg(fixtures().join("android")).output().unwrap();
        assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
        let (code, doc) = scan_json(&[&dest], &[]);
        assert_eq!((code, pairs(&doc).len()), (0, 4), "{doc}");
        let (_, doc) = scan_json(&[out.path()], &[]);
        assert_eq!(pairs(&doc).len(), 0, "from above, an export folder is skipped: {doc}");
    }

    /// `stills --dry-run` names the still each output is made from; a summary counts the bytes
    /// of the stills, not of the videos beside them.
    #[test]
    fn stills_name_and_count_their_stills() {
        let android = fixtures().join("android");
        let r = bin().args(["stills", "--dry-run", "-o", "/tmp/livephoto-never-written"]).arg(&android).output().unwrap();
        for line in stdout(&r).lines() {
            let from = line.split(" -> ").next().unwrap();
            assert!(from.ends_with(".jpg") || from.ends_with(".heic"), "{line}");
        }
        let out = tempfile::tempdir().unwrap();
        let r = bin().args(["stills", "--json", "-o"]).arg(out.path()).arg(&android).output().unwrap();
        let doc: Value = serde_json::from_slice(&r.stdout).unwrap();
        let written: u64 = walk(out.path()).iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
        let bytes_in = doc["bytes_in"].as_u64().unwrap();
        assert!(bytes_in < written * 11 / 10 && bytes_in > written * 9 / 10, "in {bytes_in}, the stills {written}");
        assert!(doc["notes"].is_array(), "{doc}");
    }

    /// A run whose every item fails (a start past the clips' end) leaves no folder behind, nor
    /// any folder of a mirrored layout.
    #[test]
    fn a_run_that_makes_nothing_leaves_nothing() {
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("none");
        let r = bin()
            .args(["convert", "--to", "mp4", "--start", "5", "-o"])
            .arg(&dest)
            .arg(fixtures().join("heic_mov"))
            .arg(fixtures().join("jpeg_mov"))
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
        assert!(!dest.exists(), "{:?}", std::fs::read_dir(&dest).map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>()));
    }

    /// A clip whose pixels are not square (an 80x60 clip shown 9:16) makes animated images in its
    /// shown shape, never wider than it shows.
    #[test]
    fn animated_images_keep_the_shown_shape_and_never_grow() {
        let lib = tempfile::tempdir().unwrap();
        std::fs::copy(fixtures().join("jpeg_mov/IMG_0002.JPG"), lib.path().join("IMG_0002.JPG")).unwrap();
        let made = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(fixtures().join("jpeg_mov/IMG_0002.MOV"))
            .args([
                "-map",
                "0:v",
                "-c",
                "copy",
                "-bsf:v",
                "h264_metadata=sample_aspect_ratio=27/64",
                "-movflags",
                "use_metadata_tags",
                "-map_metadata",
                "0",
                "-f",
                "mov",
            ])
            .arg(lib.path().join("IMG_0002.MOV"))
            .status()
            .expect("the ffmpeg CLI (a test tool)");
        assert!(made.success());
        for to in ["gif", "avif"] {
            let out = tempfile::tempdir().unwrap();
            let r = bin().args(["convert", "--to", to, "-o"]).arg(out.path()).arg(lib.path()).output().unwrap();
            assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
            let p = common::probe::probe(&out.path().join(format!("IMG_0002.{to}")));
            let (w, h) = (p.width, p.height);
            // 160x120 pixels of 27:64 show as 67.5x120: at most that wide, that shape
            assert!(w <= 68 && (f64::from(w) / f64::from(h) - 67.5 / 120.0).abs() < 0.03, "{to}: {w}x{h}");
        }
    }
}
