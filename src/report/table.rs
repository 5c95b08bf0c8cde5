//! The readable scan report: a table of Live Photos, then what is left over, then errors.

use super::paths::{escape, show};
use crate::scan::Library;
use std::io::{self, Write};
use std::path::Path;

/// Writes the table to `out` row by row (at 100,000 files it is never held whole).
pub fn scan(lib: &Library, out: &mut impl Write) -> io::Result<()> {
    if !lib.live_photos.is_empty() {
        writeln!(out, "{:<40} {:<40} {:<13} {:<25} {:>6} {:>5}  CAMERA", "STILL", "CLIP", "MATCHED BY", "CAPTURED", "LENGTH", "KEY")?;
    }
    for lp in &lib.live_photos {
        let matched = match lp.matched_by {
            crate::pair::MatchedBy::ContentId => "identifier",
            crate::pair::MatchedBy::NameAndTime => "name+time",
            crate::pair::MatchedBy::OriginalClip => "orig. clip",
            crate::pair::MatchedBy::Embedded => "embedded",
        };
        let camera = escape(lp.model().unwrap_or("?"))
            + if lp.is_facetime() { " [FaceTime]" } else { "" }
            + if lp.edited { " [edited]" } else { "" };
        writeln!(
            out,
            "{:<40} {:<40} {:<13} {:<25} {:>5.2}s {:>5}  {}",
            short(&lp.still.path),
            short(&lp.clip.path),
            matched,
            lp.captured_at().map_or("-".into(), |t| t.to_rfc3339()),
            lp.clip.info.duration_s,
            lp.clip.info.key_time_s.map_or("-".into(), |k| format!("{k:.2}s")),
            camera
        )?;
    }
    let orphans: Vec<_> = lib.unpaired_stills.iter().filter(|s| s.info.shot.content_id.is_some()).collect();
    let plain_stills = lib.unpaired_stills.len() - orphans.len();
    let lone_clips: Vec<_> = lib.unpaired_clips.iter().filter(|c| c.info.shot.content_id.is_some()).collect();
    let plain_clips = lib.unpaired_clips.len() - lone_clips.len();
    if !orphans.is_empty() {
        writeln!(out, "\nStills whose clip was not found:")?;
        for s in orphans.iter() {
            writeln!(out, "  {}  ({})", show(&s.path), s.info.shot.content_id.as_deref().unwrap_or(""))?;
        }
    }
    if !lone_clips.is_empty() {
        writeln!(out, "\nClips whose still was not found:")?;
        for c in lone_clips.iter() {
            writeln!(out, "  {}  ({})", show(&c.path), c.info.shot.content_id.as_deref().unwrap_or(""))?;
        }
    }
    if !lib.errors.is_empty() {
        writeln!(out, "\nFiles that could not be read:")?;
        for e in lib.errors.iter() {
            writeln!(out, "  {}: {}", show(&e.path), escape(&e.error))?;
        }
    }
    if !lib.notes.is_empty() {
        writeln!(out, "\nNotes:")?;
        for n in lib.notes.iter() {
            writeln!(out, "  {}: {}", show(&n.path), n.note)?;
        }
    }
    let facetime = lib.live_photos.iter().filter(|lp| lp.is_facetime()).count();
    let edited = lib.live_photos.iter().filter(|lp| lp.edited).count();
    writeln!(
        out,
        "\n{} Live Photo(s) ({} FaceTime, {} edited); {} still(s) and {} clip(s) missing their other half; \
         {} still(s) and {} clip(s) that are not Live Photos; {} other file(s) skipped; {} error(s)",
        lib.live_photos.len(),
        facetime,
        edited,
        orphans.len(),
        lone_clips.len(),
        plain_stills,
        plain_clips,
        lib.skipped,
        lib.errors.len()
    )?;
    if let Some(line) = left_out_line(lib) {
        writeln!(out, "{line}")?;
    }
    if lib.media_files > 0 {
        let per_file = lib.bytes_read as f64 / lib.media_files as f64 / 1024.0;
        writeln!(out, "(read {per_file:.1} KiB of headers per media file)")?;
    }
    Ok(())
}

/// The last two path components, so the table stays readable; full paths are in `--json`.
fn short(p: &Path) -> String {
    let comps: Vec<_> = p.components().rev().take(2).collect();
    let s: std::path::PathBuf = comps.into_iter().rev().collect();
    let s = show(&s);
    if s.chars().count() > 40 {
        let tail: String = s.chars().rev().take(39).collect::<Vec<_>>().into_iter().rev().collect();
        format!("…{tail}")
    } else {
        s
    }
}

/// "left out by filters: 3 (--since), 1 (no capture time (date filters))", when any were.
pub fn left_out_line(lib: &Library) -> Option<String> {
    let parts: Vec<String> = lib.left_out.iter().map(|(why, n)| format!("{n} ({why})")).collect();
    (!parts.is_empty()).then(|| format!("left out by filters: {}", parts.join(", ")))
}
