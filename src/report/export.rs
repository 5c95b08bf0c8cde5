//! What `convert` and `stills` say when done: unreadable files and notes on stderr, then either
//! the `--json` document or (dry run) one planned line per output on stdout, then a summary line.

use super::json::{ErrorDoc, PathFields};
use super::paths::{escape, show};
use crate::export::{Outcome, Status};
use serde::Serialize;
use std::io;

/// One Live Photo's export in `--json`.
#[derive(Serialize)]
struct ItemDoc {
    status: &'static str,
    frames: Option<u64>,
    error: Option<String>,
    /// `still`, `clip`, `output` (and their `_bytes` twins when not UTF-8).
    #[serde(flatten)]
    paths: PathFields,
}

/// The `--json` document of a run.
#[derive(Serialize)]
struct RunDoc<'a> {
    schema_version: u32,
    results: Vec<ItemDoc>,
    converted: usize,
    skipped: usize,
    out_of_date: usize,
    failed: usize,
    interrupted: usize,
    scan_errors: Vec<ErrorDoc<'a>>,
    left_out: serde_json::Map<String, serde_json::Value>,
}

/// The JSON `status` and, for items left alone or failed, why.
fn status_words(s: &Status) -> (&'static str, Option<String>) {
    match s {
        Status::Planned => ("planned", None),
        Status::Written { .. } => ("converted", None),
        Status::AlreadyThere => ("skipped", Some("already there".into())),
        Status::Exists => ("skipped", Some("exists (use --overwrite to replace it)".into())),
        Status::OutOfDate => ("out_of_date", Some("out of date: its source changed since it was exported (--overwrite redoes it)".into())),
        Status::Failed(e) => ("failed", Some(e.to_string())),
        Status::Interrupted => ("interrupted", None),
    }
}

fn item(i: &crate::export::Item) -> ItemDoc {
    let (status, error) = status_words(&i.status);
    let frames = match i.status {
        Status::Written { frames } => frames,
        _ => None,
    };
    let paths = PathFields::of(&[("still", &i.still), ("clip", &i.clip), ("output", &i.output)]);
    ItemDoc { status, frames, error, paths }
}

/// Prints the outcome; `verb` names what was done ("converted", "copied"). A closed stdout
/// comes back as an error (main exits quietly).
pub fn print(outcome: &Outcome, json: bool, verb: &str) -> io::Result<()> {
    let lib = &outcome.library;
    for e in &lib.errors {
        super::stderr_line(&format!("livephoto: {}: {}", show(&e.path), escape(&e.error)));
    }
    for n in &lib.notes {
        super::stderr_line(&format!("livephoto: {}: {}", show(&n.path), n.note));
    }
    let converted = outcome.count(|s| matches!(s, Status::Written { .. }));
    let skipped = outcome.count(|s| matches!(s, Status::AlreadyThere | Status::Exists));
    let stale = outcome.count(|s| matches!(s, Status::OutOfDate));
    let failed = outcome.count(|s| matches!(s, Status::Failed(_)));
    let interrupted = outcome.count(|s| matches!(s, Status::Interrupted));
    if json {
        let doc = RunDoc {
            schema_version: super::json::SCHEMA_VERSION,
            results: outcome.items.iter().map(item).collect(),
            converted,
            skipped,
            out_of_date: stale,
            failed,
            interrupted,
            scan_errors: lib.errors.iter().map(super::json::error).collect(),
            left_out: super::json::left_out(lib),
        };
        super::stdout_json(&doc)?;
    } else if outcome.dry_run {
        let mut lines = String::new();
        for i in outcome.items.iter().filter(|i| matches!(i.status, Status::Planned)) {
            lines.push_str(&format!("{} -> {}\n", show(&i.clip), show(&i.output)));
        }
        super::stdout(&lines)?;
    }
    let mut line = format!("{verb} {converted}, skipped {skipped} (already there), failed {failed}");
    if outcome.dry_run {
        line = format!("would write {}, skipped {skipped} (already there)", outcome.count(|s| matches!(s, Status::Planned)));
    }
    if stale > 0 {
        line.push_str(&format!(", out of date {stale} (their source changed; --overwrite redoes them)"));
    }
    if interrupted > 0 {
        line.push_str(&format!(", interrupted {interrupted} (temporary files removed)"));
    }
    if !lib.errors.is_empty() {
        line.push_str(&format!("; {} file(s) could not be read", lib.errors.len()));
    }
    super::stderr_line(&line);
    if let Some(left_out) = super::table::left_out_line(lib) {
        super::stderr_line(&left_out);
    }
    Ok(())
}
