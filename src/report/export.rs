//! What `convert` and `stills` say when done: unreadable files and notes on stderr, then either
//! the `--json` document or (dry run) one planned line per output on stdout, then a summary line.

use super::json::{ErrorDoc, PathFields};
use super::paths::show;
use crate::export::{Made, Outcome, Status};
use serde::Serialize;
use std::io;

/// One Live Photo's export in `--json`.
#[derive(Serialize)]
struct ItemDoc<'a> {
    status: &'static str,
    /// Video frames written (clips only).
    #[serde(skip_serializing_if = "Option::is_none")]
    frames: Option<u64>,
    /// Why an MP4's video was re-encoded (`hevc`, `trimmed`, `effect`, `asked`); absent when copied.
    #[serde(skip_serializing_if = "Option::is_none")]
    reencoded: Option<String>,
    /// With `--max-size`: the GIF's settings and bytes, and whether they were lowered to fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    fitted: Option<FitDoc>,
    /// Why it was left alone (skipped, out of date).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    error: Option<String>,
    /// Bytes of what the output was made from (the clip, a motion photo's video; the still for
    /// stills) and of the output, when written.
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_out: Option<u64>,
    /// `--to live-photo`: the content identifier written (or, in a dry run, to be written), and
    /// whether it is the Live Photo's own (`true`) or a new one.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_id_kept: Option<bool>,
    /// What the output could not keep from the still (a gain map that could not be used).
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    /// `still`, `clip`, `output`, and `output_still` beside a Live Photo's clip (and their
    /// `_bytes` twins when not UTF-8).
    #[serde(flatten)]
    paths: PathFields<'a>,
}

#[derive(Serialize)]
struct FitDoc {
    width: u32,
    fps: f64,
    quality: u8,
    bytes: u64,
    lowered: bool,
    encodes: u32,
}

/// The `--json` document of a run.
#[derive(Serialize)]
struct RunDoc<'a> {
    schema_version: u32,
    results: Vec<ItemDoc<'a>>,
    /// `converted` (convert) or `copied` (stills): how many were written.
    #[serde(flatten)]
    written: serde_json::Map<String, serde_json::Value>,
    /// Bytes in and out of what was written this run.
    bytes_in: u64,
    bytes_out: u64,
    /// Re-encoded MP4 videos by reason.
    reencoded: serde_json::Map<String, serde_json::Value>,
    skipped: usize,
    /// Outputs an earlier run made from the same sources with other settings (kept).
    other_settings: usize,
    out_of_date: usize,
    failed: usize,
    /// Jobs stopped part-way by Ctrl-C (their temporary files removed), and those never started.
    interrupted: usize,
    not_started: usize,
    scan_errors: Vec<ErrorDoc<'a>>,
    /// What the scan said of files it did not read, or read otherwise than their name says.
    notes: Vec<super::json::NoteDoc<'a>>,
    left_out: serde_json::Map<String, serde_json::Value>,
}

/// The JSON `status`, and why an item was left alone (`reason`) or failed (`error`): a skip is
/// never an error.
fn status_words(s: &Status, verb: &'static str) -> (&'static str, Option<String>, Option<String>) {
    match s {
        Status::Planned { .. } => ("planned", None, None),
        Status::Written(_) => (verb, None, None),
        Status::AlreadyThere => ("skipped", Some("already there".into()), None),
        Status::Exists => ("skipped", Some("exists (use --overwrite to replace it)".into()), None),
        Status::OutOfDate => {
            ("out_of_date", Some("out of date: its source changed since it was exported (--overwrite redoes it)".into()), None)
        }
        Status::OtherSettings(was) => ("skipped", Some(format!("made with other settings ({was}); --overwrite remakes it")), None),
        Status::Failed(e) => ("failed", None, Some(e.to_string())),
        Status::Interrupted => ("interrupted", None, None),
        Status::NotStarted => ("not_started", None, None),
    }
}

fn item<'a>(i: &'a crate::export::Item, verb: &'static str) -> ItemDoc<'a> {
    let (status, reason, error) = status_words(&i.status, verb);
    let (frames, reencoded, fitted, bytes, note) = match &i.status {
        Status::Written(made) => (
            made.frames,
            made.reencoded.as_ref().map(|r| r.word().to_string()),
            made.fitted.as_ref(),
            Some(made.bytes),
            made.note.as_deref(),
        ),
        _ => (None, None, None, None, None),
    };
    let fitted =
        fitted.map(|f| FitDoc { width: f.width, fps: f.fps, quality: f.quality, bytes: f.bytes, lowered: f.lowered, encodes: f.passes });
    let mut paths = vec![("still", i.still.as_path()), ("clip", &i.clip), ("output", &i.output)];
    paths.extend(i.companion.as_deref().map(|c| ("output_still", c)));
    let (content_id, content_id_kept) = (i.identifier().map(|d| d.value.as_str()), i.identifier().map(|d| d.kept));
    let (bytes_in, bytes_out) = (bytes.map(|b| b.0), bytes.map(|b| b.1));
    let paths = PathFields::of(&paths);
    ItemDoc { status, frames, reencoded, fitted, reason, error, bytes_in, bytes_out, content_id, content_id_kept, note, paths }
}

/// How many MP4 videos were re-encoded for each reason, in the order first met.
fn reencoded(outcome: &Outcome) -> Vec<(&str, usize)> {
    let mut by: Vec<(&str, usize)> = Vec::new();
    for i in &outcome.items {
        if let Status::Written(Made { reencoded: Some(r), .. }) = &i.status {
            match by.iter_mut().find(|(w, _)| *w == r.word()) {
                Some((_, n)) => *n += 1,
                None => by.push((r.word(), 1)),
            }
        }
    }
    by
}

/// Prints the outcome; `verb` names what was done ("converted", "copied"). A closed stdout
/// comes back as an error (main exits quietly).
pub fn print(outcome: &Outcome, json: bool, verb: &'static str) -> io::Result<()> {
    let lib = &outcome.library;
    super::scan_errors(lib);
    for n in &lib.notes {
        super::stderr_line(&format!("note: {}: {}", show(&n.path), super::paths::escape(&n.note)));
    }
    let converted = outcome.count(|s| matches!(s, Status::Written(_)));
    let skipped = outcome.count(|s| matches!(s, Status::AlreadyThere | Status::Exists));
    let other = outcome.count(|s| matches!(s, Status::OtherSettings(_)));
    let stale = outcome.count(|s| matches!(s, Status::OutOfDate));
    let failed = outcome.count(|s| matches!(s, Status::Failed(_)));
    let interrupted = outcome.count(|s| matches!(s, Status::Interrupted));
    let not_started = outcome.count(|s| matches!(s, Status::NotStarted));
    let (bytes_in, bytes_out) = outcome.items.iter().fold((0, 0), |(i, o), it| match &it.status {
        Status::Written(made) => (i + made.bytes.0, o + made.bytes.1),
        _ => (i, o),
    });
    if json {
        let doc = RunDoc {
            schema_version: super::json::SCHEMA_VERSION,
            results: outcome.items.iter().map(|i| item(i, verb)).collect(),
            written: [(verb.to_string(), converted.into())].into_iter().collect(),
            bytes_in,
            bytes_out,
            reencoded: reencoded(outcome).into_iter().map(|(w, n)| (w.to_string(), n.into())).collect(),
            skipped,
            other_settings: other,
            out_of_date: stale,
            failed,
            interrupted,
            not_started,
            scan_errors: lib.errors.iter().map(super::json::error).collect(),
            notes: lib.notes.iter().map(super::json::note).collect(),
            left_out: super::json::left_out(lib),
        };
        super::stdout_json(&doc)?;
    } else if outcome.dry_run {
        let mut lines = String::new();
        for i in outcome.items.iter().filter(|i| matches!(i.status, Status::Planned { .. })) {
            lines.push_str(&planned_line(i));
        }
        super::stdout(&lines)?;
    }
    let mut lowered = 0;
    for i in &outcome.items {
        // what a written output could not keep from its still (a gain map), said of the still
        if let (Status::Written(Made { note: Some(note), .. }), false) = (&i.status, json) {
            super::stderr_line(&format!("note: {}: {note}", show(&i.still)));
        }
        if let Status::Written(Made { fitted: Some(f), .. }) = &i.status {
            if f.lowered && !json {
                super::stderr_line(&format!(
                    "note: {}: lowered to fit --max-size: {} px, {} fps, quality {}, {} ({} encodes)",
                    show(&i.output),
                    f.width,
                    f.fps,
                    f.quality,
                    crate::export::size_words(f.bytes),
                    f.passes
                ));
            }
            lowered += usize::from(f.lowered);
        }
    }
    let mut line = format!("{verb} {converted}");
    if lowered > 0 {
        line.push_str(&format!(" ({lowered} lowered to fit --max-size)"));
    }
    let why = reencoded(outcome);
    if !why.is_empty() {
        let total: usize = why.iter().map(|(_, n)| n).sum();
        let parts: Vec<String> = why.iter().map(|(w, n)| format!("{n} {}", reason_words(w))).collect();
        line.push_str(&format!(" ({total} re-encoded to H.264: {})", parts.join(", ")));
    }
    line.push_str(&format!(", skipped {skipped} (already there), failed {failed}"));
    if other > 0 {
        line.push_str(&format!(", {other} made with other settings (kept; --overwrite remakes them)"));
    }
    if converted > 0 && bytes_in > 0 && !outcome.dry_run {
        let ratio = bytes_out as f64 / bytes_in as f64;
        let (i, o) = (crate::export::size_words(bytes_in), crate::export::size_words(bytes_out));
        line.push_str(&format!("; {i} in, {o} out ({ratio:.2}x)"));
    }
    if outcome.dry_run {
        line = format!("would write {}, skipped {skipped} (already there)", outcome.count(|s| matches!(s, Status::Planned { .. })));
    }
    if stale > 0 {
        line.push_str(&format!(", out of date {stale} (their source changed; --overwrite redoes them)"));
    }
    if interrupted > 0 {
        line.push_str(&format!(", interrupted {interrupted} (temporary files removed)"));
    }
    if not_started > 0 {
        line.push_str(&format!(", not started {not_started}"));
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

/// One planned output: `clip -> output`; a Live Photo pair `still + clip -> still + clip`, with
/// the identifier it gets.
fn planned_line(i: &crate::export::Item) -> String {
    let Some(companion) = &i.companion else { return format!("{} -> {}\n", show(&i.from), show(&i.output)) };
    let from = match i.still == i.clip {
        true => show(&i.still),
        false => format!("{} + {}", show(&i.still), show(&i.clip)),
    };
    let id = match i.identifier() {
        Some(d) => format!("  (identifier {}, {})", d.value, if d.kept { "kept" } else { "new" }),
        None => String::new(),
    };
    format!("{from} -> {} + {}{id}\n", show(companion), show(&i.output))
}

/// A re-encode reason for people: the codec that does not play everywhere, or what asked for it.
fn reason_words(word: &str) -> String {
    match word {
        "trimmed" => "trimmed (a copy cannot cut exactly)".into(),
        "effect" => "with an effect".into(),
        "asked" => "asked (--codec h264)".into(),
        codec => format!("{} (plays on Apple devices only; --codec copy keeps it)", codec.to_uppercase()),
    }
}
