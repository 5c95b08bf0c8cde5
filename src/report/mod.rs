//! Output at the edge, the top layer: it renders what `scan` and `export` return, and it is the
//! only place that prints (clippy's print lints are denied everywhere else). Everything meant for stdout goes through
//! [`stdout`], whose only failure a caller meets is an `io::Error` (a closed pipe included, which
//! `main` turns into a quiet exit, as ripgrep does); lines for people go through [`stderr_line`],
//! which never fails the run.

#[cfg(feature = "media")]
pub mod export;
#[cfg(feature = "media")]
pub mod html;
pub mod json;
pub mod paths;
pub mod progress;
pub mod table;

use std::io::{self, Write};

/// Writes `s` to stdout and flushes it.
pub fn stdout(s: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()
}

/// Hands a buffered stdout to `write`, then flushes it.
pub fn stdout_with(write: impl FnOnce(&mut io::BufWriter<io::StdoutLock<'static>>) -> io::Result<()>) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    write(&mut out)?;
    out.flush()
}

/// Writes a JSON document (pretty, newline-terminated) to stdout as it is serialised.
pub fn stdout_json(doc: &impl serde::Serialize) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, doc)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes one line to stderr; a closed or broken stderr only loses the line.
pub fn stderr_line(s: &str) {
    let _ = writeln!(io::stderr().lock(), "{s}");
}

/// Says each file the scan could not read on stderr, with its path and what was wrong.
pub fn scan_errors(lib: &crate::scan::Library) {
    for e in &lib.errors {
        stderr_line(&format!("livephoto: {}: {}", paths::show(&e.path), paths::escape(&e.error)));
    }
}

/// What to say when a run found no Live Photo: the likely fix when a still (or clip) was given
/// alone while its other half lies beside it ("pass the folder"), or that filters left all out.
pub fn nothing_found_hint(lib: &crate::scan::Library, roots: &[std::path::PathBuf]) -> Option<String> {
    if !lib.live_photos.is_empty() {
        return None;
    }
    if lib.left_out.iter().map(|(_, n)| n).sum::<usize>() > 0 {
        return Some("no Live Photo left: the filters left every one out (see the line above)".into());
    }
    for root in roots.iter().filter(|r| r.is_file()) {
        let (Some(folder), Some(stem)) = (root.parent(), root.file_stem()) else { continue };
        let folder = if folder.as_os_str().is_empty() { std::path::Path::new(".") } else { folder };
        let Ok(entries) = std::fs::read_dir(folder) else { continue };
        let beside =
            entries.flatten().map(|e| e.path()).find(|p| p != root && p.file_stem() == Some(stem) && !roots.contains(p) && p.is_file());
        if let Some(other) = beside {
            return Some(format!(
                "no Live Photo found: {} was given alone, and {} lies beside it; pass the folder ({}) or both files",
                paths::show(root),
                paths::show(&other),
                paths::show(folder)
            ));
        }
    }
    Some("no Live Photo found (a still and its clip, or an Android motion photo)".into())
}
