//! `livephoto report`: one HTML page, readable offline, to check by eye what a scan found. A
//! grid of cards (the still's thumbnail; hovering or tapping plays the clip's preview), each
//! with its paths, how it was matched, capture time, camera and badges; then the halves whose
//! partner is missing, the files that could not be read, and the notes. No server, no network:
//! pictures are relative links into the folder beside the page, styles and the search box's
//! few lines of script are inline.

use super::paths::{bytes, show};
use crate::export::{Outcome, Status};
use crate::pair::MatchedBy;
use crate::scan::{LivePhoto, TimeSource};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The page for `outcome` (from [`crate::export::report`]), to be saved at `page`; `roots` are
/// the scanned paths as given.
pub fn page(outcome: &Outcome, page: &Path, roots: &[std::path::PathBuf]) -> String {
    let lib = &outcome.library;
    let n = lib.live_photos.len();
    let base = page.parent().unwrap_or(Path::new(""));
    let mut h = String::with_capacity(4096 + n * 1500);
    h.push_str(REPORT_SIGNATURE);
    h.push_str("\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"generator\" content=\"livephoto report\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>{n} Live Photos · livephoto report</title>\n<style>{STYLE}</style></head><body>");

    let count = |f: &dyn Fn(&LivePhoto) -> bool| lib.live_photos.iter().filter(|lp| f(lp)).count();
    let by_name = count(&|lp| matches!(lp.matched_by, MatchedBy::NameAndTime | MatchedBy::OriginalClip));
    let _ = write!(
        h,
        "<header><h1>{n} Live Photo{}</h1><p class=\"summary\">{} by content identifier, <b>{by_name} by name and time</b> \
         (check these first), {} motion photo(s), {} .livp; {} FaceTime, {} edited, {} HDR. {} unpaired still(s) and {} unpaired clip(s) (their other half not found), \
         {} copies of halves already paired; {} file(s) could not be read.",
        if n == 1 { "" } else { "s" },
        count(&|lp| lp.matched_by == MatchedBy::ContentId),
        count(&|lp| lp.is_motion_photo()),
        count(&|lp| lp.is_livp()),
        count(&|lp| lp.is_facetime()),
        count(&|lp| lp.edited),
        count(&|lp| lp.still.info.hdr.is_some()),
        lib.lone_stills().count(),
        lib.lone_clips().count(),
        lib.copies.len(),
        lib.errors.len(),
    );
    if let Some(line) = super::table::left_out_line(lib) {
        let _ = write!(h, " {}.", esc(&line));
    }
    let scanned: Vec<String> = roots.iter().map(|r| format!("<code>{}</code>", esc(&show(r)))).collect();
    let _ = writeln!(h, " Scanned: {}.</p>", scanned.join(", "));
    h.push_str(
        "<input id=\"q\" type=\"search\" placeholder=\"Filter by name, folder, camera, date or badge\" autocomplete=\"off\"> \
         <span id=\"shown\"></span></header>\n<main id=\"grid\">\n",
    );
    for (i, lp) in lib.live_photos.iter().enumerate() {
        let thumb = outcome.items.get(i).filter(|it| it.still == lp.still.path);
        let preview = outcome.items.get(n + i).filter(|it| it.still == lp.still.path);
        card(&mut h, lp, thumb, preview, base);
    }
    h.push_str("</main>\n");

    let halves: Vec<(&Path, &str, Option<&str>)> = lib
        .lone_stills()
        .map(|s| (s.path.as_path(), "still", s.info.shot.content_id.as_deref()))
        .chain(lib.lone_clips().map(|c| (c.path.as_path(), "clip", c.info.shot.content_id.as_deref())))
        .collect();
    let _ = writeln!(
        h,
        "<section><h2>Halves whose partner is missing ({})</h2><p>Each carries a Live Photo's content identifier, but no \
         file with the same identifier was found.</p>",
        halves.len()
    );
    table(
        &mut h,
        &["file", "kind", "content identifier"],
        halves.iter().map(|(p, kind, id)| vec![link(p), esc(kind), esc(id.unwrap_or(""))]),
    );
    let (plain_stills, plain_clips) = lib.plain_files();
    let _ = writeln!(
        h,
        "<p>{} other photo(s) and video(s) are not Live Photo halves (no identifier, no partner by name and time).</p></section>",
        plain_stills + plain_clips
    );
    if !lib.copies.is_empty() {
        let _ = writeln!(
            h,
            "<section><h2>Copies of halves already paired ({})</h2><p>The same shot's still or clip again (the same \
             identifier): its Live Photo is above, made of the other copy.</p>",
            lib.copies.len()
        );
        let mut copies: Vec<_> = lib.copies.iter().collect();
        copies.sort();
        table(&mut h, &["file", "a copy of"], copies.iter().map(|(copy, of)| vec![link(copy), link(of)]));
        h.push_str("</section>\n");
    }

    let _ = writeln!(h, "<section id=\"errors\"><h2>Files that could not be read ({})</h2>", lib.errors.len());
    table(&mut h, &["file", "what was wrong"], lib.errors.iter().map(|e| vec![link(&e.path), esc(&e.error)]));
    h.push_str("</section>\n");
    let failed: Vec<_> = outcome
        .items
        .iter()
        .filter_map(|it| match &it.status {
            Status::Failed(e) => Some((it, e)),
            _ => None,
        })
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(h, "<section><h2>Pictures that could not be made ({})</h2>", failed.len());
        table(&mut h, &["from", "what was wrong"], failed.iter().map(|(it, e)| vec![link(it.at_fault()), esc(&e.to_string())]));
        h.push_str("</section>\n");
    }
    if !lib.notes.is_empty() {
        let _ = writeln!(h, "<section><h2>Notes ({})</h2>", lib.notes.len());
        table(&mut h, &["path", "note"], lib.notes.iter().map(|nt| vec![esc(&show(&nt.path)), esc(&nt.note)]));
        h.push_str("</section>\n");
    }
    let _ = writeln!(h, "<footer>Made by livephoto {}.</footer>\n<script>{SCRIPT}</script>\n</body></html>", env!("CARGO_PKG_VERSION"));
    h
}

/// The page `-o` names: the path itself, or `index.html` in it when it is a folder (one that
/// exists, or a path ending in a slash, made for it).
pub fn report_page(output: &Path) -> PathBuf {
    // a folder, there or to be made (a trailing slash says so): the page is its index
    let folder = output.is_dir() || output.as_os_str().as_encoded_bytes().last().is_some_and(|&b| std::path::is_separator(b as char));
    match folder {
        true => output.join("index.html"),
        false => output.to_path_buf(),
    }
}

/// The folder beside the page that holds its pictures: `<page name without extension>_files`,
/// as browsers name a saved page's folder. It carries the export marker.
pub fn report_assets(page: &Path) -> PathBuf {
    let mut name = page.file_stem().unwrap_or_else(|| std::ffi::OsStr::new("livephoto-report")).to_os_string();
    name.push("_files");
    page.with_file_name(name)
}

/// How livephoto's own report pages start: a page that does not is never replaced unasked.
pub const REPORT_SIGNATURE: &str = "<!doctype html>\n<!-- livephoto report -->";

/// True when `page` is a report livephoto wrote (it starts with [`REPORT_SIGNATURE`]).
pub fn is_report_page(page: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; REPORT_SIGNATURE.len()];
    std::fs::File::open(page).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head == REPORT_SIGNATURE.as_bytes()
}

/// Says on stderr what the page holds: unreadable files and failed pictures (with paths and
/// reasons), then one summary line naming the page.
pub fn print_summary(outcome: &Outcome, page: &Path, failed: usize) {
    let lib = &outcome.library;
    super::scan_errors(lib);
    for it in &outcome.items {
        if let Status::Failed(e) = &it.status {
            super::stderr_line(&format!("livephoto: {}: {}", show(it.at_fault()), e));
        }
    }
    let made = outcome.count(|s| matches!(s, Status::Written { .. }));
    let kept = outcome.count(|s| matches!(s, Status::AlreadyThere | Status::Exists | Status::OutOfDate | Status::OtherSettings(_)));
    super::stderr_line(&format!("wrote {}: pictures made {made}, kept from an earlier report {kept}, failed {failed}", show(page)));
    super::stderr_line(&super::table::summary_line(lib));
    if let Some(line) = super::table::left_out_line(lib) {
        super::stderr_line(&line);
    }
}

/// One Live Photo's card.
fn card(h: &mut String, lp: &LivePhoto, thumb: Option<&crate::export::Item>, preview: Option<&crate::export::Item>, base: &Path) {
    let mut badges: Vec<(&str, &str)> = Vec::new();
    match lp.matched_by {
        MatchedBy::ContentId => badges.push(("identifier", "id")),
        MatchedBy::NameAndTime => badges.push(("name + time", "check")),
        MatchedBy::OriginalClip => badges.push(("original's clip", "check")),
        MatchedBy::Embedded | MatchedBy::Archive => {}
    }
    if lp.is_motion_photo() {
        badges.push(("motion photo", "motion"));
    }
    if lp.is_livp() {
        badges.push((".livp", "motion"));
    }
    if lp.is_facetime() {
        badges.push(("FaceTime", "facetime"));
    }
    if lp.edited {
        badges.push(("edited", "edited"));
    }
    if lp.still.info.hdr.is_some() {
        badges.push(("HDR", "hdr"));
    }
    let name = lp.still.path.file_name().map(|n| show(Path::new(n))).unwrap_or_default();
    let captured = lp.captured_at_with_source().map(|(t, from)| (t.to_rfc3339(), from));
    let camera: Vec<&str> = [lp.make(), lp.model()].into_iter().flatten().collect();
    let camera = camera.join(" ");
    let search = [
        show(&lp.still.path),
        show(&lp.clip.path),
        camera.clone(),
        lp.lens().unwrap_or("").to_string(),
        captured.as_ref().map(|(t, _)| t.clone()).unwrap_or_default(),
        badges.iter().map(|(b, _)| *b).collect::<Vec<_>>().join(" "),
    ]
    .join(" ")
    .to_lowercase();
    let _ = write!(h, "<figure class=\"card\" data-search=\"{}\"><div class=\"media\">", esc(&search));
    match thumb.map(|t| (&t.status, &t.output)) {
        Some((Status::Failed(e), _)) => {
            let _ = write!(h, "<div class=\"nothumb\">no thumbnail: {}</div>", esc(&e.to_string()));
        }
        Some((_, out)) => {
            let _ = write!(h, "<img class=\"thumb\" src=\"{}\" alt=\"still {}\" loading=\"lazy\">", url(out, base), esc(&name));
        }
        None => h.push_str("<div class=\"nothumb\">no thumbnail</div>"),
    }
    let mut preview_error = None;
    match preview.map(|p| (&p.status, &p.output)) {
        Some((Status::Failed(e), _)) => preview_error = Some(e.to_string()),
        Some((_, out)) => {
            let _ = write!(h, "<img class=\"preview\" src=\"{}\" alt=\"clip {}\" loading=\"lazy\">", url(out, base), esc(&name));
            h.push_str("<span class=\"play\" title=\"hover or tap to play\">▶</span>");
        }
        None => {}
    }
    let _ = write!(h, "</div><figcaption><div class=\"name\">{}</div><div class=\"badges\">", esc(&name));
    for (text, class) in &badges {
        let _ = write!(h, "<span class=\"badge {class}\">{}</span>", esc(text));
    }
    h.push_str("</div><dl>");
    let mut row = |k: &str, v: String| {
        let _ = write!(h, "<dt>{k}</dt><dd>{v}</dd>");
    };
    row("still", link(&lp.still.path));
    match (&lp.still.embedded, &lp.clip.embedded) {
        (Some(s), Some(c)) => {
            row("photo", format!("inside the archive: {} bytes at {}", s.len, s.offset));
            row("clip", format!("inside the archive: {} bytes at {}", c.len, c.offset));
        }
        (None, Some(e)) => row("clip", format!("inside the still: {} bytes at {}", e.len, e.offset)),
        (_, None) => row("clip", link(&lp.clip.path)),
    }
    if let Some(id) = lp.content_id() {
        row("identifier", format!("<code>{}</code>", esc(id)));
    }
    if let Some((t, from)) = &captured {
        let from = match from {
            TimeSource::Still => "",
            TimeSource::StillWithClipOffset => " (offset from the clip)",
            TimeSource::Clip => " (from the clip)",
            TimeSource::StillSidecar | TimeSource::ClipSidecar => " (from the Takeout sidecar)",
        };
        row("captured", format!("{}{from}", esc(t)));
    }
    if !camera.is_empty() {
        row("camera", esc(&camera));
    }
    if let Some(lens) = lp.lens() {
        row("lens", esc(lens));
    }
    let info = &lp.clip.info;
    let mut clip = format!("{:.2} s", info.duration_s);
    if let Some(v) = &info.video {
        let _ = write!(clip, ", {} frames, {}x{} {}", v.frames, v.width, v.height, esc(&v.codec));
    }
    if let Some(k) = info.key_time_s {
        let _ = write!(clip, ", key photo at {k:.2} s");
    }
    row("video", clip);
    if let Some(of) = &lp.edit_of {
        row("edit of", link(of));
    }
    if let Some(e) = preview_error {
        row("preview", format!("<span class=\"err\">{}</span>", esc(&e)));
    }
    h.push_str("</dl></figcaption></figure>\n");
}

fn table(h: &mut String, head: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    let mut body = String::new();
    for r in rows {
        let _ = writeln!(body, "<tr>{}</tr>", r.iter().map(|c| format!("<td>{c}</td>")).collect::<String>());
    }
    if body.is_empty() {
        h.push_str("<p class=\"none\">None.</p>\n");
        return;
    }
    let _ = write!(
        h,
        "<table><thead><tr>{}</tr></thead><tbody>\n{body}</tbody></table>\n",
        head.iter().map(|c| format!("<th>{c}</th>")).collect::<String>()
    );
}

/// A path as text, linked to the file itself (`file://`, absolute) when it can be resolved.
fn link(p: &Path) -> String {
    match std::fs::canonicalize(p) {
        Ok(abs) => format!("<a href=\"file://{}\">{}</a>", percent(&bytes(&abs)), esc(&show(p))),
        Err(_) => esc(&show(p)),
    }
}

/// `target` as a URL relative to the page's folder `base`, byte for byte (percent-encoded, so
/// any name, UTF-8 or not, reaches the same file).
fn url(target: &Path, base: &Path) -> String {
    let rel = target.strip_prefix(base).unwrap_or(target);
    percent(&bytes(rel))
}

fn percent(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        if c.is_ascii_alphanumeric() || b"-._~/".contains(&c) {
            s.push(c as char);
        } else {
            let _ = write!(s, "%{c:02X}");
        }
    }
    s
}

/// Text for HTML, in element content and in quoted attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root{color-scheme:light dark;--bg:#f6f6f4;--card:#fff;--ink:#1d1d1f;--soft:#6e6e73;--line:#e3e3e0}
@media (prefers-color-scheme:dark){:root{--bg:#161617;--card:#222224;--ink:#f2f2f2;--soft:#a1a1a6;--line:#38383a}}
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;background:var(--bg);color:var(--ink)}
header,section,footer{padding:16px 24px}h1{margin:0 0 4px;font-size:22px}h2{font-size:17px;margin:8px 0}
.summary{color:var(--soft);margin:0 0 12px;max-width:70em}
#q{font:inherit;padding:7px 10px;width:min(28em,100%);border:1px solid var(--line);border-radius:8px;background:var(--card);color:var(--ink)}
#shown{color:var(--soft);margin-left:8px}
#grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:14px;padding:0 24px 16px}
.card{margin:0;background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden}
.media{position:relative;aspect-ratio:1;background:#0003;display:flex;align-items:center;justify-content:center;cursor:pointer}
.media img{max-width:100%;max-height:100%;object-fit:contain}
.media .preview{position:absolute;inset:0;width:100%;height:100%;opacity:0;transition:opacity .15s}
.card:hover .preview,.card.playing .preview{opacity:1}
.play{position:absolute;left:8px;bottom:8px;background:#000a;color:#fff;border-radius:50%;width:26px;height:26px;
display:flex;align-items:center;justify-content:center;font-size:12px}
.card:hover .play,.card.playing .play{display:none}
.nothumb{padding:12px;color:var(--soft);text-align:center}
figcaption{padding:8px 10px 10px}.name{font-weight:600;word-break:break-all}
.badges{margin:4px 0}.badge{display:inline-block;font-size:11px;padding:1px 7px;border-radius:9px;margin:0 4px 2px 0;background:#8882}
.badge.check{background:#f5a62333;color:#a05a00}.badge.facetime{background:#34c75933;color:#1b7f3a}
.badge.edited{background:#af52de33;color:#7d2fa6}.badge.hdr{background:#ffd60a44;color:#7a5c00}.badge.motion{background:#0a84ff33;color:#0060c0}
dl{display:grid;grid-template-columns:auto 1fr;gap:1px 8px;margin:6px 0 0;font-size:12px}
dt{color:var(--soft)}dd{margin:0;word-break:break-all}a{color:inherit}.err{color:#d70015}
table{border-collapse:collapse;font-size:13px;width:100%;max-width:80em}
td,th{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;word-break:break-all}.none{color:var(--soft)}
footer{color:var(--soft);font-size:12px}
";

const SCRIPT: &str = "
const cards=[...document.querySelectorAll('.card')],q=document.getElementById('q'),shown=document.getElementById('shown');
function filter(){const w=q.value.toLowerCase().trim().split(/\\s+/).filter(Boolean);let n=0;
for(const c of cards){const ok=w.every(x=>c.dataset.search.includes(x));c.hidden=!ok;if(ok)n++}
shown.textContent=w.length?n+' of '+cards.length+' shown':''}
q.addEventListener('input',filter);
for(const c of cards){c.querySelector('.media').addEventListener('click',()=>c.classList.toggle('playing'))}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_urls_cannot_break_the_page() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(url(Path::new("out/r_files/a b/caf\u{e9}#1.jpg"), Path::new("out")), "r_files/a%20b/caf%C3%A9%231.jpg");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let p = Path::new(std::ffi::OsStr::from_bytes(b"r_files/x\xff\n.jpg"));
            assert_eq!(url(p, Path::new("")), "r_files/x%FF%0A.jpg");
        }
    }
}
