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

#[test]
fn man_page_documents_every_command_and_option() {
    let r = bin().arg("man").output().unwrap();
    assert_eq!(r.status.code(), Some(0));
    let roff = String::from_utf8_lossy(&r.stdout);
    for page in ["livephoto 1", "livephoto-scan 1", "livephoto-convert 1", "livephoto-stills 1"] {
        assert!(roff.contains(&format!(".TH {page}")), "no page {page}");
    }
    assert!(roff.contains("around\\-key") && roff.contains("Exit codes"), "options and exit codes are in the page");
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
    assert_eq!(doc["schema_version"], 2);
    if cfg!(not(feature = "media")) {
        return; // no convert/stills in this build
    }
    let out = tempfile::tempdir().unwrap();
    let r = bin().args(["stills", "--json", "--dry-run"]).arg(fixtures().join("heic_mov")).arg("-o").arg(out.path()).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["schema_version"], 2);
}

/// Only `report` writes to stdout or stderr: everything else returns values, so output is
/// decided in one place (and a closed pipe is handled once). Clippy's print lints deny the
/// macros; this also catches direct handles.
#[test]
fn only_report_writes_to_stdout_or_stderr() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<_> = walk(&src).into_iter().filter(|p| p.extension().is_some_and(|x| x == "rs")).collect();
    assert!(files.len() > 20);
    for f in files.iter().filter(|f| !f.starts_with(src.join("report"))) {
        let text = std::fs::read_to_string(f).unwrap();
        for needle in ["stdout()", "stderr()", "println!", "print!(", "eprintln!", "eprint!(", "dbg!("] {
            assert!(!text.contains(needle), "{} writes to the terminal ({needle}); go through report", f.display());
        }
    }
}

/// `--color` is global and checked; off a terminal nothing is drawn whatever it says.
#[test]
fn color_is_a_checked_global_flag_and_pipes_get_no_escape_codes() {
    for when in ["auto", "always", "never"] {
        let r = bin().args(["scan", "--color", when]).arg(fixtures().join("heic_mov")).env("NO_COLOR", "1").output().unwrap();
        assert_eq!(r.status.code(), Some(0), "--color {when}: {}", String::from_utf8_lossy(&r.stderr));
        assert!(!r.stdout.contains(&0x1b) && !r.stderr.contains(&0x1b), "--color {when}: escape codes in a pipe");
    }
    let r = bin().args(["--color", "sometimes", "scan"]).arg(fixtures().join("heic_mov")).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("never"), "the choices are listed");
}
