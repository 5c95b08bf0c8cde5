//! The conventions of a Unix tool: shell completions, a manual page, examples and exit codes in
//! `--help`, and a versioned `--json` schema.

mod common;
use common::*;

#[test]
fn completions_for_every_shell_name_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = bin().args(["completions", shell]).output().unwrap();
        assert_eq!(r.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&r.stdout);
        for word in ["livephoto", "convert", "stills", "facetime", "overwrite"] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    assert_eq!(bin().args(["completions", "tcsh"]).output().unwrap().status.code(), Some(2), "unknown shell: usage error");
}

/// `livephoto man` prints one page; `--dir` writes livephoto.1 and a page per command, whose
/// cross-references all exist, with EXAMPLES, EXIT STATUS and ENVIRONMENT, no -V on a command's
/// page, and which groff renders without a warning.
#[test]
fn man_pages_are_a_real_set() {
    let r = bin().arg("man").output().unwrap();
    assert_eq!(r.status.code(), Some(0));
    let roff = String::from_utf8_lossy(&r.stdout);
    assert_eq!(roff.matches(".TH ").count(), 1, "one page on stdout");
    let dir = tempfile::tempdir().unwrap();
    let r = bin().args(["man", "--dir"]).arg(dir.path()).output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let mut pages: Vec<String> = walk(dir.path()).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    pages.sort();
    let expected = ["completions", "convert", "man", "report", "scan", "stills"].map(|c| format!("livephoto-{c}.1"));
    assert_eq!(pages, [&expected[..], &["livephoto.1".to_string()]].concat());
    for page in &pages {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        for r in text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '(' || c == ')'))
            .filter(|w| w.starts_with("livephoto") && w.ends_with("(1)"))
        {
            let target = format!("{}.1", r.trim_end_matches("(1)"));
            assert!(pages.contains(&target), "{page} refers to {r}, which does not exist");
        }
        if !page.ends_with("completions.1") && !page.ends_with("man.1") {
            assert!(text.contains(".SH EXAMPLES") && text.contains(".SH \"EXIT STATUS\"") && text.contains(".SH ENVIRONMENT"), "{page}");
        }
        assert!(!text.contains("EXTRA"), "{page}: no EXTRA heading");
        if page != "livephoto.1" {
            assert!(!text.contains("\\-V"), "{page} lists -V, which a command rejects");
        }
        let groff = std::process::Command::new("groff").args(["-ww", "-man", "-Tutf8"]).arg(dir.path().join(page)).output();
        let groff = groff.expect("groff (groff-base, installed by scripts/setup) renders the pages");
        assert!(groff.status.success() && groff.stderr.is_empty(), "{page}: {}", String::from_utf8_lossy(&groff.stderr));
    }
    let convert = std::fs::read_to_string(dir.path().join("livephoto-convert.1")).unwrap();
    assert!(convert.contains("around\\-key"), "options are in the page");
}

/// `--help` fits an 80-column terminal, with options grouped and examples.
#[test]
fn help_fits_80_columns() {
    for args in [&["--help"][..], &["convert", "-h"], &["convert", "--help"], &["scan", "-h"], &["stills", "-h"], &["report", "-h"]] {
        let r = bin().args(args).env("COLUMNS", "80").output().unwrap();
        let text = String::from_utf8_lossy(&r.stdout);
        let long: Vec<&str> = text.lines().filter(|l| l.chars().count() > 80).collect();
        assert!(long.is_empty(), "{args:?}: lines over 80 columns: {long:#?}");
    }
    let top = String::from_utf8_lossy(&bin().arg("--help").output().unwrap().stdout).into_owned();
    assert!(top.contains("Start with a scan") && top.contains("livephoto convert ~/Exports --to mp4"), "{top}");
    let convert = String::from_utf8_lossy(&bin().args(["convert", "-h"]).output().unwrap().stdout).into_owned();
    for heading in ["GIF, WebP and AVIF:", "MP4 and motion photo:", "Clip:", "Output:", "Filters"] {
        assert!(convert.contains(heading), "convert -h has a {heading} group: {convert}");
    }
}

#[test]
fn help_has_examples_and_exit_codes() {
    for cmd in ["scan", "convert", "stills"] {
        let r = bin().args([cmd, "--help"]).output().unwrap();
        let text = String::from_utf8_lossy(&r.stdout);
        assert!(text.contains("Examples:") && text.contains(&format!("livephoto {cmd} ")), "{cmd}: {text}");
        assert!(text.contains("Exit codes: 0"), "{cmd}");
    }
}

#[test]
fn json_documents_carry_a_schema_version() {
    let (_, doc) = scan_json(&[&fixtures().join("heic_mov")], &[]);
    assert_eq!(doc["schema_version"], 4);
    if cfg!(not(feature = "media")) {
        return; // no convert/stills in this build
    }
    let out = tempfile::tempdir().unwrap();
    let r = bin().args(["stills", "--json", "--dry-run"]).arg(fixtures().join("heic_mov")).arg("-o").arg(out.path()).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["schema_version"], 4);
    // stills say what they did: copied, without a video's frames or re-encode reasons
    let r = bin().args(["stills", "--json"]).arg(fixtures().join("heic_mov")).arg("-o").arg(out.path()).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!((doc["copied"].as_u64(), doc["converted"].is_null()), (Some(1), true), "{doc}");
    let item = &doc["results"][0];
    assert_eq!((item["status"].as_str(), item.get("frames"), item.get("reencoded")), (Some("copied"), None, None), "{item}");
}

/// Only `report` writes to stdout or stderr: everything else returns values, so output is
/// decided in one place (and a closed pipe is handled once). Clippy's print lints deny the
/// macros; this also catches direct handles. Unit-test modules (after `#[cfg(test)]`) may
/// print what they checked, as a test skipped for want of samples must.
#[test]
fn only_report_writes_to_stdout_or_stderr() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<_> = walk(&src).into_iter().filter(|p| p.extension().is_some_and(|x| x == "rs")).collect();
    assert!(files.len() > 20);
    for f in files.iter().filter(|f| !f.starts_with(src.join("report"))) {
        let text = std::fs::read_to_string(f).unwrap();
        // a unit test module may say what it checked (cargo captures it); the tool may not
        let text = match text.find("mod tests {") {
            Some(at) if text[..at].rfind("#[cfg(test)]").is_some_and(|cfg| at - cfg < 200) => &text[..at],
            _ => &text[..],
        };
        for needle in ["stdout()", "stderr()", "println!", "print!(", "eprintln!", "eprint!(", "dbg!("] {
            assert!(!text.contains(needle), "{} writes to the terminal ({needle}); go through report", f.display());
        }
    }
}

/// `--color` is checked, and offered only where progress bars are drawn; off a terminal
/// nothing is drawn whatever it says.
#[test]
fn color_is_checked_where_it_acts_and_pipes_get_no_escape_codes() {
    for when in ["auto", "always", "never", "NEVER"] {
        let r = bin().args(["scan", "--color", when]).arg(fixtures().join("heic_mov")).env("NO_COLOR", "1").output().unwrap();
        assert_eq!(r.status.code(), Some(0), "--color {when}: {}", String::from_utf8_lossy(&r.stderr));
        assert!(!r.stdout.contains(&0x1b) && !r.stderr.contains(&0x1b), "--color {when}: escape codes in a pipe");
    }
    let r = bin().args(["scan", "--color", "sometimes"]).arg(fixtures().join("heic_mov")).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("never"), "the choices are listed");
    for args in [&["man", "--color", "never"][..], &["completions", "bash", "--color", "never"]] {
        assert_eq!(bin().args(args).output().unwrap().status.code(), Some(2), "{args:?}: --color does nothing there");
    }
}

/// The scan table shows paths people can use: relative to the current folder (as rg and fd
/// print them), never cut when piped; the sections below use the same form.
#[test]
fn a_piped_table_shows_whole_relative_paths() {
    let top = tempfile::tempdir().unwrap();
    let deep = top.path().join("leichty/0A1B2C3D-E4F5-457B-AC57-4DE59087D805-a-long-folder-name");
    copy_dir(&fixtures().join("heic_mov"), &deep);
    std::fs::copy(fixtures().join("orphans/IMG_0006.HEIC"), deep.join("IMG_0006.HEIC")).unwrap();
    for root in [std::path::PathBuf::from("leichty"), top.path().join("leichty")] {
        let r = bin().arg("scan").arg(&root).current_dir(top.path()).env("COLUMNS", "80").output().unwrap();
        let text = String::from_utf8_lossy(&r.stdout);
        let rel = "leichty/0A1B2C3D-E4F5-457B-AC57-4DE59087D805-a-long-folder-name";
        assert!(text.contains(&format!("{rel}/IMG_0001.HEIC  {rel}/IMG_0001.MOV")), "{root:?}: {text}");
        assert!(text.contains(&format!("  {rel}/IMG_0006.HEIC  (")), "the unpaired section too: {text}");
        assert!(!text.contains('…'), "nothing cut on a pipe: {text}");
    }
}

/// Every option applies to the chosen target, or it is a usage error naming the target; values
/// are case-insensitive; ranges are told as they are; impossible filters are refused.
#[test]
fn no_silent_options_and_messages_that_say_what_to_do() {
    let lib = fixtures().join("heic_mov");
    let usage = |args: &[&str], says: &[&str]| {
        let extra: &[&str] = if args[0] == "scan" { &[] } else { &["--dry-run", "-o", "/tmp/livephoto-never-written"] };
        let r = bin().args(args).arg(&lib).args(extra).output().unwrap();
        let err = String::from_utf8_lossy(&r.stderr).into_owned();
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        for w in says {
            assert!(err.contains(w), "{args:?} should say {w:?}: {err}");
        }
        assert_eq!(err.matches("os error").count(), 0, "{err}");
    };
    if cfg!(feature = "media") {
        // each refusal names the formats that take the flag, and says in the format's own words why it does not
        usage(&["convert", "--to", "mp4", "--width", "100"], &["--width applies to --to gif, webp", "not --to mp4: its video keeps"]);
        usage(&["convert", "--to", "motion-photo", "--fps", "5"], &["--fps applies to --to gif, webp", "not --to motion-photo"]);
        usage(
            &["convert", "--to", "webp", "--max-size", "1MB"],
            &["--max-size applies to --to gif, not --to webp", "lower --quality or --width"],
        );
        usage(&["convert", "--to", "gif", "--codec", "copy"], &["--codec applies to --to mp4 or motion-photo, not --to gif"]);
        usage(
            &["convert", "--to", "Live-Photo", "--around-key", "1"],
            &["--around-key applies to --to mp4, gif, motion-photo", "not --to live-photo: its still and clip are copied"],
        );
        usage(&["convert", "--to", "png"], &["invalid value 'png' for '--to <FORMAT>'", "mp4, gif, motion-photo, webp, avif, live-photo"]);
        usage(&["convert", "--to", "mp4", "--since", "2024-01-01", "--until", "2023-01-01"], &["--since is later than --until"]);
        let r = bin()
            .args(["convert", "--to", "GIF", "--effect", "Loop", "--dry-run", "-o", "/tmp/livephoto-never-written"])
            .arg(&lib)
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(0), "values are case-insensitive: {}", String::from_utf8_lossy(&r.stderr));
    }
    usage(&["scan", "--since", "2024-01-01", "--until", "2023-12-31"], &["--since is later than --until"]);
    let r = bin().args(["convert", "--to", "gif", "--width=-5"]).arg(&lib).output().unwrap();
    assert!(String::from_utf8_lossy(&r.stderr).contains("16..=4096"), "the real range");
}

/// A photo (or clip) given alone is the Live Photo it belongs to: its other half is found in its
/// folder, and only that Live Photo is listed and made (the folder holds others).
#[test]
fn a_half_given_alone_brings_its_other_half() {
    for given in ["edited/IMG_0017.JPG", "edited/IMG_0017.MOV"] {
        let (code, doc) = scan_json(&[&fixtures().join(given)], &[]);
        assert_eq!(code, 0, "{doc}");
        assert_eq!(pairs(&doc), vec![("IMG_0017.JPG".into(), "IMG_0017.MOV".into(), "content_id".into())], "{given}");
        assert_eq!(doc["unpaired_stills"], serde_json::json!([]), "the edit beside it was not asked for: {doc}");
    }
    if cfg!(feature = "media") {
        let out = tempfile::tempdir().unwrap();
        let r = bin().args(["convert", "--to", "mp4", "-o"]).arg(out.path()).arg(fixtures().join("edited/IMG_0017.JPG")).output().unwrap();
        assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
        assert_eq!(walk(out.path()).iter().map(|p| p.file_name().unwrap().to_owned()).collect::<Vec<_>>(), ["IMG_0017.mp4"]);
    }
}

/// A still given alone whose clip is nowhere: the run says so; exit 0, and no empty output
/// folder is left behind.
#[test]
fn nothing_found_says_what_to_do() {
    let still = fixtures().join("orphans/IMG_0006.HEIC");
    let r = bin().arg("scan").arg(&still).output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(0));
    assert!(err.contains("no Live Photo found"), "{err}");
    if cfg!(feature = "media") {
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("gifs");
        let r = bin().args(["convert", "--to", "gif", "-o"]).arg(&dest).arg(&still).output().unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(0), "{err}");
        assert!(err.contains("no Live Photo found"), "{err}");
        assert!(!dest.exists(), "no empty output folder left behind");
    }
}

/// Settings are part of an output's identity: a re-run with other settings does not call the
/// first run's outputs "already there", says what made them and how to remake them, and a skip
/// is never an error in `--json`.
#[cfg(feature = "media")]
#[test]
fn reruns_with_other_settings_say_so() {
    let lib = fixtures().join("jpeg_mov");
    let out = tempfile::tempdir().unwrap();
    let gif =
        |extra: &[&str]| bin().args(["convert", "--to", "gif", "--json", "-o"]).arg(out.path()).args(extra).arg(&lib).output().unwrap();
    assert_eq!(gif(&[]).status.code(), Some(0));
    let r = gif(&["--width", "200"]);
    assert_eq!(r.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let item = &doc["results"][0];
    assert_eq!((item["status"].as_str(), item["error"].is_null()), (Some("skipped"), true), "{item}");
    let reason = item["reason"].as_str().unwrap();
    assert!(reason.contains("made with other settings (gif: fps 15, width 480") && reason.contains("--overwrite"), "{reason}");
    assert_eq!(doc["other_settings"], 1);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("1 made with other settings (kept; --overwrite remakes them)"), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&gif(&[]).stdout).unwrap();
    assert_eq!(doc["results"][0]["reason"], "already there", "the same settings again: already there");
    let doc: serde_json::Value = serde_json::from_slice(&gif(&["--width", "200", "--overwrite"]).stdout).unwrap();
    assert_eq!(doc["converted"], 1, "--overwrite remakes it");
}
