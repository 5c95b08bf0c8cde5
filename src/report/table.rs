//! The readable scan report. On stdout, the results alone (as rg and fd print theirs): a table of
//! Live Photos, then the halves whose partner is missing and the copies of halves already
//! paired. On stderr, what is about the run: unreadable files, notes, the summary.

use super::paths::{escape, show};
use crate::pair::MatchedBy;
use crate::scan::{Library, LivePhoto};
use std::io::{self, Write};
use std::path::Path;
use unicode_width::UnicodeWidthStr;

/// How the table is laid out: paths relative to the current folder (when they lie below it), and
/// the terminal's width when stdout is one (the table is then fitted to it: paths elided in the
/// middle of a folder first, columns dropped from the right when even that cannot fit); piped or
/// redirected, nothing is ever cut.
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

/// How a Live Photo was matched, in the words `--json` uses (`matched_by`): one word per idea.
pub fn matched_word(m: MatchedBy) -> &'static str {
    match m {
        MatchedBy::ContentId => "content_id",
        MatchedBy::NameAndTime => "name_and_time",
        MatchedBy::OriginalClip => "original_clip",
        MatchedBy::Embedded => "embedded",
        MatchedBy::Archive => "archive",
    }
}

/// What a value no file states is shown as, in every column.
const UNKNOWN: &str = "-";
/// The columns after the two paths, in the order they are dropped when the terminal is narrow
/// (the last first): MATCHED BY, CAPTURED, LENGTH, KEY, CAMERA.
const HEADERS: [&str; 5] = ["MATCHED BY", "CAPTURED", "LENGTH", "KEY", "CAMERA"];
/// Two spaces between columns.
const GAP: usize = 2;

/// What the CLIP column shows: the clip's path, or where it lies when one file holds both.
fn clip_cell(lp: &LivePhoto, layout: &Layout) -> String {
    match (lp.is_livp(), lp.is_motion_photo()) {
        (true, _) => "(inside the archive)".into(),
        (false, true) => "(inside the still)".into(),
        (false, false) => layout.path(&lp.clip.path),
    }
}

/// A path's file name's width, with the `…/` an elided folder leaves before it.
fn name_width(shown: &str) -> usize {
    width(shown.rsplit('/').next().unwrap_or(shown)) + if shown.contains('/') { 2 } else { 0 }
}

/// The cells after the paths, for one Live Photo.
fn cells(lp: &LivePhoto) -> [String; 5] {
    let camera = escape(lp.model().unwrap_or(UNKNOWN))
        + if lp.is_facetime() { " [FaceTime]" } else { "" }
        + if lp.edited { " [edited]" } else { "" };
    [
        matched_word(lp.matched_by).to_string(),
        lp.captured_at().map_or(UNKNOWN.into(), |t| t.to_rfc3339()),
        format!("{:.2}s", lp.clip.info.duration_s),
        lp.clip.info.key_time_s.map_or(UNKNOWN.into(), |k| format!("{k:.2}s")),
        camera,
    ]
}

fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// The widths the table uses: the two path columns, then as many of the others as fit.
struct Widths {
    still: usize,
    clip: usize,
    others: Vec<usize>,
}

/// Measures every column (one pass over the Live Photos: at 100,000 files the rows are never held
/// whole) and fits them to `layout.width`.
fn widths(lib: &Library, layout: &Layout) -> Widths {
    let (mut still, mut clip) = (width("STILL"), width("CLIP"));
    // what each path column needs at the least: its names whole
    let (mut still_names, mut clip_names) = (still, clip);
    let mut others: Vec<usize> = HEADERS.iter().map(|h| width(h)).collect();
    for lp in &lib.live_photos {
        let (s, c) = (layout.path(&lp.still.path), clip_cell(lp, layout));
        (still, clip) = (still.max(width(&s)), clip.max(width(&c)));
        (still_names, clip_names) = (still_names.max(name_width(&s)), clip_names.max(name_width(&c)));
        for (w, c) in others.iter_mut().zip(cells(lp)) {
            *w = (*w).max(width(&c));
        }
    }
    let Some(room) = layout.width else { return Widths { still, clip, others } };
    // drop columns from the right while the paths could not show their names whole
    let paths_need = still.min(still_names) + clip.min(clip_names);
    while !others.is_empty() && others.iter().map(|w| w + GAP).sum::<usize>() + GAP + paths_need > room {
        others.pop();
    }
    let left = room.saturating_sub(others.iter().map(|w| w + GAP).sum::<usize>() + GAP).max(2 * 8);
    if still + clip > left {
        // each keeps its names whole when it can, then the rest is shared out evenly
        let (base_s, base_c) = (still.min(still_names), clip.min(clip_names));
        let (base_s, base_c) = if base_s + base_c > left { (left / 2, left - left / 2) } else { (base_s, base_c) };
        let spare = left - base_s - base_c;
        let more_s = (still - base_s).min(spare / 2).max(spare.saturating_sub(clip - base_c));
        let more_s = more_s.min(still - base_s);
        (still, clip) = (base_s + more_s, base_c + (spare - more_s).min(clip - base_c));
    }
    Widths { still, clip, others }
}

/// `text` in `w` columns: padded, or (a path too long for it) elided in the middle of its folder,
/// then of its name, never past `w`.
fn fit(text: &str, w: usize) -> String {
    let mut s = super::paths::elide_folder(text, w);
    if width(&s) > w {
        s = elide_middle(&s, w);
    }
    let pad = w.saturating_sub(width(&s));
    s + &" ".repeat(pad)
}

/// `s` cut to `w` columns with `…` in the middle, keeping its end (a name's extension).
fn elide_middle(s: &str, w: usize) -> String {
    if w <= 1 {
        return "…".chars().take(w).collect();
    }
    let chars: Vec<char> = s.chars().collect();
    let (mut head, mut tail) = (String::new(), String::new());
    let (mut hw, mut tw) = (0, 0);
    let (mut i, mut j) = (0, chars.len());
    // take from the end and the start in turn, the end first
    let mut from_end = true;
    loop {
        let next = if from_end { j.checked_sub(1).filter(|&k| k >= i) } else { (i < j).then_some(i) };
        let Some(k) = next else { break };
        let cw = UnicodeWidthStr::width(chars[k].encode_utf8(&mut [0; 4]) as &str);
        if hw + tw + cw + 1 > w {
            break;
        }
        if from_end {
            tail.insert(0, chars[k]);
            tw += cw;
            j = k;
        } else {
            head.push(chars[k]);
            hw += cw;
            i = k + 1;
        }
        from_end = !from_end;
    }
    format!("{head}…{tail}")
}

/// One row: the paths, then the other columns that fit; the last column unpadded.
fn row(still: &str, clip: &str, others: &[String], w: &Widths) -> String {
    let mut line = format!("{}{}{}", fit(still, w.still), " ".repeat(GAP), fit(clip, w.clip));
    for (i, (cell, cw)) in others.iter().zip(&w.others).enumerate() {
        line.push_str(&" ".repeat(GAP));
        let last = i + 1 == w.others.len();
        // right-aligned numbers; a narrow terminal may cut the last column's text (a camera)
        match i {
            2 | 3 => line.push_str(&format!("{cell:>cw$}")),
            _ if last => line.push_str(&elide_middle_if(cell, *cw)),
            _ => line.push_str(&fit(cell, *cw)),
        }
    }
    line.trim_end().to_string()
}

fn elide_middle_if(s: &str, w: usize) -> String {
    if width(s) <= w {
        s.to_string()
    } else {
        elide_middle(s, w)
    }
}

/// Writes the results to `out` (stdout): the table, then the halves whose partner is missing and
/// the copies of halves already paired.
pub fn scan(lib: &Library, layout: &Layout, out: &mut impl Write) -> io::Result<()> {
    let w = widths(lib, layout);
    if !lib.live_photos.is_empty() {
        let heads: Vec<String> = HEADERS.iter().take(w.others.len()).map(|h| h.to_string()).collect();
        writeln!(out, "{}", row("STILL", "CLIP", &heads, &w))?;
    }
    for lp in &lib.live_photos {
        let mut c = cells(lp).to_vec();
        c.truncate(w.others.len());
        writeln!(out, "{}", row(&layout.path(&lp.still.path), &clip_cell(lp, layout), &c, &w))?;
    }
    // a listed path gives way to what follows it on its line, on a terminal
    let listed = |p: &Path, after: &str| {
        let shown = layout.path(p);
        match layout.width {
            Some(room) => fit(&shown, room.saturating_sub(4 + width(after)).max(12)).trim_end().to_string(),
            None => shown,
        }
    };
    let halves = |title: &str, list: Vec<(&Path, Option<&str>)>, out: &mut dyn Write| -> io::Result<()> {
        if !list.is_empty() {
            writeln!(out, "\n{title}")?;
            for (p, id) in list {
                let after = format!("({})", id.unwrap_or(UNKNOWN));
                writeln!(out, "  {}  {after}", listed(p, &after))?;
            }
        }
        Ok(())
    };
    let stills: Vec<_> = lib.lone_stills().map(|s| (s.path.as_path(), s.info.shot.content_id.as_deref())).collect();
    halves("Unpaired stills (their clip was not found):", stills, out)?;
    let clips: Vec<_> = lib.lone_clips().map(|c| (c.path.as_path(), c.info.shot.content_id.as_deref())).collect();
    halves("Unpaired clips (their still was not found):", clips, out)?;
    if !lib.copies.is_empty() {
        writeln!(out, "\nCopies of halves already paired (above):")?;
        let mut copies: Vec<_> = lib.copies.iter().collect();
        copies.sort();
        for (copy, of) in copies {
            let after = format!("(a copy of {})", layout.path(of));
            writeln!(out, "  {}  {after}", listed(copy, &after))?;
        }
    }
    Ok(())
}

/// What a scan says about the run, for stderr: the files it could not read, its notes, the
/// summary, what the filters left out, and (with `stats`) how much it read.
pub fn scan_summary(lib: &Library, layout: &Layout, stats: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for e in &lib.errors {
        lines.push(format!("livephoto: {}: {}", layout.path(&e.path), escape(&e.error)));
    }
    for n in &lib.notes {
        lines.push(format!("note: {}: {}", layout.path(&n.path), escape(&n.note)));
    }
    lines.push(summary_line(lib));
    lines.extend(left_out_line(lib));
    if stats && lib.media_files > 0 {
        let per_file = lib.bytes_read as f64 / lib.media_files as f64 / 1024.0;
        lines.push(format!("read {per_file:.1} KiB of headers per media file ({} media files, {} bytes)", lib.media_files, lib.bytes_read));
    }
    lines
}

/// The counts every summary gives, in the same words.
pub fn summary_line(lib: &Library) -> String {
    let facetime = lib.live_photos.iter().filter(|lp| lp.is_facetime()).count();
    let edited = lib.live_photos.iter().filter(|lp| lp.edited).count();
    let (plain_stills, plain_clips) = lib.plain_files();
    let copies = if lib.copies.is_empty() { String::new() } else { format!(", {} copies of halves already paired", lib.copies.len()) };
    format!(
        "{} Live Photo(s) ({facetime} FaceTime, {edited} edited); {} unpaired still(s) and {} unpaired clip(s) (their other half \
         not found){copies}; {plain_stills} still(s) and {plain_clips} clip(s) that are not Live Photos; {} other file(s) skipped; {} error(s)",
        lib.live_photos.len(),
        lib.lone_stills().count(),
        lib.lone_clips().count(),
        lib.skipped,
        lib.errors.len()
    )
}

/// "left out by filters: 3 (--since), 1 (no capture time (date filters))", when any were.
pub fn left_out_line(lib: &Library) -> Option<String> {
    let parts: Vec<String> = lib.left_out.iter().map(|(why, n)| format!("{n} ({why})")).collect();
    (!parts.is_empty()).then(|| format!("left out by filters: {}", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_never_runs_past_its_column() {
        assert_eq!(fit("a/b.HEIC", 12), "a/b.HEIC    ");
        let long = "photos/2021/trip/a-very-long-name-of-a-photo.HEIC";
        for w in [4, 10, 20, 30] {
            let got = fit(long, w);
            assert_eq!(width(&got), w, "{got}");
            assert!(got.contains('…'), "{got}");
        }
        assert!(fit(long, 30).trim_end().ends_with(".HEIC"), "the extension is kept");
        assert_eq!(width(&fit("写真/夏休み/IMG_0001.HEIC", 16)), 16, "wide characters count twice");
    }
}
