//! The readable scan report: a table of Live Photos, then what is left over, then errors.

use super::paths::{escape, show};
use crate::scan::Library;
use std::io::{self, Write};
use std::path::Path;

/// How the table is laid out: paths relative to the current folder (when they lie below it), and
/// the terminal's width when stdout is one (the path columns are then fitted by eliding the
/// middle of a folder, never a name); piped or redirected, nothing is ever cut.
pub struct Layout {
    pub cwd: Option<std::path::PathBuf>,
    pub width: Option<usize>,
}

impl Layout {
    /// The current folder, and the width of stdout when it is a terminal (`COLUMNS` first).
    pub fn here() -> Self {
        use std::io::IsTerminal;
        let width = io::stdout().is_terminal().then(|| {
            let cols = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<usize>().ok());
            cols.or_else(|| console::Term::stdout().size_checked().map(|(_, w)| usize::from(w))).unwrap_or(80)
        });
        Layout { cwd: std::env::current_dir().ok(), width }
    }

    /// A path as every section shows it.
    pub fn path(&self, p: &Path) -> String {
        show(&super::paths::relative_to(p, self.cwd.as_deref()))
    }
}

/// The other columns' widths and separators (MATCHED BY, CAPTURED, LENGTH, KEY, CAMERA ~ 12).
const FIXED: usize = 2 + 11 + 1 + 25 + 1 + 6 + 1 + 5 + 2 + 12;

/// Writes the table to `out` row by row (at 100,000 files it is never held whole: a first pass
/// measures the path columns).
pub fn scan(lib: &Library, layout: &Layout, out: &mut impl Write) -> io::Result<()> {
    let longest = |f: &dyn Fn(&crate::scan::LivePhoto) -> &Path| {
        lib.live_photos.iter().map(|lp| layout.path(f(lp)).chars().count()).max().unwrap_or(0).max(5)
    };
    let (mut still_w, mut clip_w) = (longest(&|lp| &lp.still.path), longest(&|lp| &lp.clip.path));
    if let Some(width) = layout.width {
        let room = width.saturating_sub(FIXED).max(24);
        if still_w + clip_w > room {
            // share the room, the shorter column keeping what it needs up to half
            let half = room / 2;
            (still_w, clip_w) = match (still_w <= half, clip_w <= half) {
                (true, _) => (still_w, room - still_w),
                (_, true) => (room - clip_w, clip_w),
                _ => (half, room - half),
            };
        }
    }
    let cell = |p: &Path, w: usize| super::paths::elide_folder(&layout.path(p), w);
    if !lib.live_photos.is_empty() {
        writeln!(out, "{:<still_w$}  {:<clip_w$}  {:<11} {:<25} {:>6} {:>5}  CAMERA", "STILL", "CLIP", "MATCHED BY", "CAPTURED", "LENGTH", "KEY")?;
    }
    for lp in &lib.live_photos {
        let matched = match lp.matched_by {
            crate::pair::MatchedBy::ContentId => "identifier",
            crate::pair::MatchedBy::NameAndTime => "name+time",
            crate::pair::MatchedBy::OriginalClip => "orig. clip",
            crate::pair::MatchedBy::Embedded => "embedded",
            crate::pair::MatchedBy::Archive => "archive",
        };
        let camera = escape(lp.model().unwrap_or("?"))
            + if lp.is_facetime() { " [FaceTime]" } else { "" }
            + if lp.edited { " [edited]" } else { "" };
        // a name longer than its column is shown whole: the row runs longer rather than lose it
        writeln!(
            out,
            "{:<still_w$}  {:<clip_w$}  {:<11} {:<25} {:>5.2}s {:>5}  {}",
            cell(&lp.still.path, still_w),
            cell(&lp.clip.path, clip_w),
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
        writeln!(out, "\nUnpaired stills (a Live Photo's still whose clip was not found):")?;
        for s in orphans.iter() {
            writeln!(out, "  {}  ({})", layout.path(&s.path), s.info.shot.content_id.as_deref().unwrap_or(""))?;
        }
    }
    if !lone_clips.is_empty() {
        writeln!(out, "\nUnpaired clips (a Live Photo's clip whose still was not found):")?;
        for c in lone_clips.iter() {
            writeln!(out, "  {}  ({})", layout.path(&c.path), c.info.shot.content_id.as_deref().unwrap_or(""))?;
        }
    }
    if !lib.errors.is_empty() {
        writeln!(out, "\nFiles that could not be read:")?;
        for e in lib.errors.iter() {
            writeln!(out, "  {}: {}", layout.path(&e.path), escape(&e.error))?;
        }
    }
    if !lib.notes.is_empty() {
        writeln!(out, "\nNotes:")?;
        for n in lib.notes.iter() {
            writeln!(out, "  {}: {}", layout.path(&n.path), n.note)?;
        }
    }
    let facetime = lib.live_photos.iter().filter(|lp| lp.is_facetime()).count();
    let edited = lib.live_photos.iter().filter(|lp| lp.edited).count();
    writeln!(
        out,
        "\n{} Live Photo(s) ({} FaceTime, {} edited); {} unpaired still(s) and {} unpaired clip(s) (their other half \
         not found); {} still(s) and {} clip(s) that are not Live Photos; {} other file(s) skipped; {} error(s)",
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

/// "left out by filters: 3 (--since), 1 (no capture time (date filters))", when any were.
pub fn left_out_line(lib: &Library) -> Option<String> {
    let parts: Vec<String> = lib.left_out.iter().map(|(why, n)| format!("{n} ({why})")).collect();
    (!parts.is_empty()).then(|| format!("left out by filters: {}", parts.join(", ")))
}
