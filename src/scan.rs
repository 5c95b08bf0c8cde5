//! Walk the roots, read every file's metadata in parallel, pair stills with clips.

use crate::meta::{self, MediaInfo, ShotInfo};
use crate::pair::{self, Half, MatchedBy, PairOptions};
use crate::walk::{self, FileId};
pub use crate::walk::{FileError, Note};

mod filter;
mod live_photo;
pub use filter::{DateBound, Filter, Versions};
pub use live_photo::{ClipFile, LivePhoto, StillFile, TimeSource};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything a scan found.
#[derive(Debug, Default)]
pub struct Library {
    pub live_photos: Vec<LivePhoto>,
    pub unpaired_stills: Vec<StillFile>,
    pub unpaired_clips: Vec<ClipFile>,
    pub errors: Vec<FileError>,
    /// Files that are neither photos nor videos.
    pub skipped: usize,
    /// Media files read (stills + clips).
    pub media_files: usize,
    /// Bytes read from all files: the scan reads headers only.
    pub bytes_read: u64,
    /// Paths not read, with the reason.
    pub notes: Vec<Note>,
    /// Live Photos the filters left out, by the first filter that left each out.
    pub left_out: Vec<(&'static str, usize)>,
    /// Every file and link found under the roots, media or not, by identity: outputs must
    /// never land on one.
    pub inputs: HashSet<FileId>,
    /// Unpaired stills and clips that are another copy of a Live Photo's half (the same
    /// identifier, both originals or both edits: an export copied twice), by path: the path of
    /// that half. Their partner was found, by the other copy.
    pub copies: HashMap<PathBuf, PathBuf>,
}

impl Library {
    /// Unpaired stills with an identifier that are no copy: a Live Photo's still whose clip
    /// was not found.
    pub fn lone_stills(&self) -> impl Iterator<Item = &StillFile> {
        self.unpaired_stills.iter().filter(|s| s.info.shot.content_id.is_some() && !self.copies.contains_key(&s.path))
    }

    /// Unpaired clips with an identifier that are no copy: a Live Photo's clip whose still was
    /// not found.
    pub fn lone_clips(&self) -> impl Iterator<Item = &ClipFile> {
        self.unpaired_clips.iter().filter(|c| c.info.shot.content_id.is_some() && !self.copies.contains_key(&c.path))
    }

    /// Stills and clips that are no Live Photo's: no identifier, no partner by name and time.
    pub fn plain_files(&self) -> (usize, usize) {
        let plain_s = self.unpaired_stills.iter().filter(|s| s.info.shot.content_id.is_none()).count();
        let plain_c = self.unpaired_clips.iter().filter(|c| c.info.shot.content_id.is_none()).count();
        (plain_s, plain_c)
    }

    /// Keeps the Live Photos `filter` keeps, counting the others in [`Library::left_out`].
    pub fn apply(&mut self, filter: &Filter) {
        let mut left_out: Vec<(&'static str, usize)> = Vec::new();
        self.live_photos.retain(|lp| match filter.left_out_by(lp) {
            None => true,
            Some(why) => {
                match left_out.iter_mut().find(|(w, _)| *w == why) {
                    Some((_, n)) => *n += 1,
                    None => left_out.push((why, 1)),
                }
                false
            }
        });
        self.left_out = left_out;
    }
}

/// One file's read. Boxed, so the list of every file's outcome is a list of pointers: the
/// records themselves move on into the stills and clips without a second copy of the whole.
enum Outcome {
    Still(Box<StillFile>),
    Clip(Box<ClipFile>),
    Motion(Box<LivePhoto>),
    Skipped,
    Failed(FileError),
}

/// The first of `roots` that does not exist (a usage error for the caller), if any.
pub fn missing_root(roots: &[PathBuf]) -> Option<&PathBuf> {
    roots.iter().find(|p| std::fs::symlink_metadata(p).is_err())
}

/// Scans `roots` (files or folders, recursively, following links: see [`crate::walk`]).
/// Results are sorted, so they do not depend on the thread count.
pub fn scan(roots: &[PathBuf], opts: PairOptions) -> Library {
    scan_with_progress(roots, opts, &|_| {}, &|| {})
}

/// [`scan`], telling `found(n)` how many files the walk found, then `read()` after each file:
/// on a NAS with a cold cache a large library takes minutes, and people want to see it move.
pub fn scan_with_progress(roots: &[PathBuf], opts: PairOptions, found: &dyn Fn(usize), read: &(dyn Fn() + Sync)) -> Library {
    let walk::Walked { mut files, mut errors, mut notes, mut ids } = walk::walk(roots);
    // a photo (or clip) given alone brings the files beside it, to find its other half: only
    // the Live Photo it belongs to is kept of them
    let beside = walk::beside_given_files(roots, &files);
    let extra: HashSet<PathBuf> = beside.iter().map(|(p, _)| p.clone()).collect();
    if !beside.is_empty() {
        files.extend(beside);
        files.sort(); // pairing's ties go to the first path: it needs them in order
    }
    found(files.len());
    let sidecars = takeout_sidecars(&files);
    let read_all = || -> Vec<(Outcome, u64, Option<FileId>)> {
        files
            .par_iter()
            .map(|(path, root)| {
                let r = read_one(path, root);
                read();
                r
            })
            .collect()
    };
    let outcomes = match readers() {
        Some(pool) => pool.install(read_all),
        None => read_all(),
    };
    let file_ids: Vec<Option<FileId>> = outcomes.iter().map(|o| o.2).collect();
    let (keep, twice) = walk::first_of_each(files.iter().map(|(p, _)| p.as_path()), &file_ids);
    let is_extra: Vec<bool> = files.iter().map(|(p, _)| !extra.is_empty() && extra.contains(p)).collect();
    drop(files); // the paths live on in the records
    ids.extend(file_ids.into_iter().flatten());
    notes.extend(twice.into_iter().filter(|n| !extra.contains(&n.path)));
    let mut lib = Library { notes, inputs: ids, ..Library::default() };
    let outcomes: Vec<(Outcome, u64, bool)> =
        outcomes.into_iter().zip(is_extra).zip(keep).filter(|(_, k)| *k).map(|(((o, n, _), x), _)| (o, n, x)).collect();
    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|(o, ..)| f(o)).count();
    let mut stills = Vec::with_capacity(count(|o| matches!(o, Outcome::Still(_))));
    let mut clips = Vec::with_capacity(count(|o| matches!(o, Outcome::Clip(_))));
    let mut motion = Vec::new();
    for (o, bytes, beside) in outcomes {
        lib.bytes_read += bytes;
        match o {
            Outcome::Still(s) => stills.push(s),
            Outcome::Clip(c) => clips.push(c),
            // what was read beside a given file only to find its other half is not reported on its own
            Outcome::Motion(_) | Outcome::Skipped | Outcome::Failed(_) if beside => {}
            Outcome::Motion(lp) => motion.push(*lp),
            Outcome::Skipped => lib.skipped += 1,
            Outcome::Failed(e) => errors.push(e),
        }
    }
    lib.media_files = stills.len() + clips.len() + motion.len();
    for s in stills.iter().map(|s| &**s).chain(motion.iter().map(|lp| &*lp.still)) {
        for why in [&s.info.motion.claim_unconfirmed, &s.info.note].into_iter().flatten() {
            lib.notes.push(Note { path: s.path.clone(), note: why.clone() });
        }
    }
    for c in &clips {
        if let Some(why) = &c.info.note {
            lib.notes.push(Note { path: c.path.clone(), note: why.clone() });
        }
    }
    lib.notes.sort();
    if !sidecars.is_empty() {
        stills.iter_mut().for_each(|s| fill_from_sidecar(&mut s.info.shot, &s.path, &sidecars));
        clips.iter_mut().for_each(|c| fill_from_sidecar(&mut c.info.shot, &c.path, &sidecars));
    }
    errors.sort();
    lib.errors = errors;
    link(&mut lib, stills, clips, opts);
    if !extra.is_empty() {
        let asked = |p: &Path| !extra.contains(p);
        lib.live_photos.retain(|lp| asked(&lp.still.path) || asked(&lp.clip.path));
        lib.unpaired_stills.retain(|s| asked(&s.path));
        lib.unpaired_clips.retain(|c| asked(&c.path));
        lib.notes.retain(|n| asked(&n.path));
        lib.media_files = lib.live_photos.len() * 2 + lib.unpaired_stills.len() + lib.unpaired_clips.len() + motion.len();
    }
    lib.live_photos.extend(motion);
    lib.live_photos.sort_by(|a, b| (&a.still.path, &a.clip.path).cmp(&(&b.still.path, &b.clip.path)));
    lib.copies = copies(&lib);
    lib
}

/// The unpaired halves whose identifier (and edit-ness) a Live Photo has: another copy of its
/// still or clip, mapped to it.
fn copies(lib: &Library) -> HashMap<PathBuf, PathBuf> {
    let mut out = HashMap::new();
    if lib.unpaired_stills.iter().all(|s| s.info.shot.content_id.is_none())
        && lib.unpaired_clips.iter().all(|c| c.info.shot.content_id.is_none())
    {
        return out;
    }
    let paired: HashMap<(&str, bool), &LivePhoto> =
        lib.live_photos.iter().filter_map(|lp| Some(((lp.content_id()?, lp.edited), lp))).collect();
    let edited = |p: &Path| pair::edits::is_edit(p);
    for s in &lib.unpaired_stills {
        if let Some(lp) = s.info.shot.content_id.as_deref().and_then(|id| paired.get(&(id, edited(&s.path)))) {
            out.insert(s.path.clone(), lp.still.path.clone());
        }
    }
    for c in &lib.unpaired_clips {
        if let Some(lp) = c.info.shot.content_id.as_deref().and_then(|id| paired.get(&(id, edited(&c.path)))) {
            out.insert(c.path.clone(), lp.clip.path.clone());
        }
    }
    out
}

/// The threads that read files, unless `RAYON_NUM_THREADS` says how many: two per core. A
/// file's read is short work between waits on the disk (a NAS, a cache gone cold), so readers
/// beyond the core count keep the cores busy while others wait.
fn readers() -> Option<rayon::ThreadPool> {
    if std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return None;
    }
    let n = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    rayon::ThreadPoolBuilder::new().num_threads(n).build().ok()
}

/// The JSON files found, by folder: Google Takeout's sidecars among them.
fn takeout_sidecars(files: &[(PathBuf, Arc<Path>)]) -> HashMap<PathBuf, Vec<PathBuf>> {
    let mut by_dir: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
    for (f, _) in files {
        if f.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            by_dir.entry(f.parent().unwrap_or(Path::new("")).to_path_buf()).or_default().push(f.clone());
        }
    }
    by_dir
}

/// A half without a capture time or place takes them from its Takeout sidecar, if it has one.
fn fill_from_sidecar(shot: &mut ShotInfo, path: &Path, sidecars: &HashMap<PathBuf, Vec<PathBuf>>) {
    if shot.captured_at.is_some() && shot.location.is_some() {
        return;
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else { return };
    let Some(candidates) = sidecars.get(dir) else { return };
    let describes = |j: &&PathBuf| j.file_name().and_then(|n| n.to_str()).is_some_and(|j| meta::takeout::describes(j, name));
    let Some(sidecar) = candidates.iter().find(describes).and_then(|j| meta::takeout::read(j)) else { return };
    if shot.captured_at.is_none() && sidecar.captured_at.is_some() {
        shot.captured_at = sidecar.captured_at;
        shot.time_from_sidecar = true;
    }
    shot.location = shot.location.or(sidecar.location);
}

/// One file's read: what it is, the bytes read, and who the file is.
fn read_one(path: &Path, root: &Arc<Path>) -> (Outcome, u64, Option<FileId>) {
    let meta::FileRead { info, bytes_read, id } = meta::read_media(path);
    let outcome = match info {
        Ok(Some(MediaInfo::Still(format, info))) => {
            Outcome::Still(Box::new(StillFile { path: path.into(), root: Arc::clone(root), format, info, embedded: None }))
        }
        Ok(Some(MediaInfo::Clip(info))) => {
            Outcome::Clip(Box::new(ClipFile { path: path.into(), root: Arc::clone(root), info, embedded: None }))
        }
        Ok(Some(MediaInfo::MotionPhoto(format, still, clip))) => {
            let embedded = still.motion.video;
            let clip = ClipFile { path: path.into(), root: Arc::clone(root), info: *clip, embedded };
            let still = StillFile { path: path.into(), root: Arc::clone(root), format, info: still, embedded: None };
            Outcome::Motion(Box::new(one_file(path, still, clip, MatchedBy::Embedded)))
        }
        Ok(Some(MediaInfo::Archive(a))) => {
            let meta::livp::Livp { still_format, still, still_at, clip, clip_at, note } = *a;
            let matched_by = match (&still.shot.content_id, &clip.shot.content_id) {
                (Some(_), Some(_)) => MatchedBy::ContentId, // the reader refuses two different ones
                _ => MatchedBy::Archive,
            };
            let mut still =
                StillFile { path: path.into(), root: Arc::clone(root), format: still_format, info: still, embedded: Some(still_at) };
            still.info.note = note.or(still.info.note);
            let clip = ClipFile { path: path.into(), root: Arc::clone(root), info: clip, embedded: Some(clip_at) };
            Outcome::Motion(Box::new(one_file(path, still, clip, matched_by)))
        }
        Ok(None) => Outcome::Skipped,
        Err(e) => Outcome::Failed(FileError { path: path.into(), error: e.to_string() }),
    };
    (outcome, bytes_read, id)
}

/// A Live Photo that is one file: a motion photo, or a `.livp` archive.
fn one_file(path: &Path, still: StillFile, clip: ClipFile, matched_by: MatchedBy) -> LivePhoto {
    let edited = pair::edits::is_edit(path);
    LivePhoto { still: Box::new(still), clip: Box::new(clip), matched_by, edited, edit_of: None, edited_versions: Vec::new() }
}

// Boxed records move into their Live Photos as they are: no second copy of every record.
#[allow(clippy::vec_box)]
// `stills` and `clips` come in path order, as the walk listed them: pairing's ties go to the
// first path.
fn link(lib: &mut Library, stills: Vec<Box<StillFile>>, clips: Vec<Box<ClipFile>>, opts: PairOptions) {
    debug_assert!(stills.is_sorted_by(|a, b| a.path <= b.path) && clips.is_sorted_by(|a, b| a.path <= b.path));
    // modification times break ties between copies: only files whose identifier is shared need one
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(stills.len() + clips.len());
    for id in stills.iter().map(|s| &s.info.shot.content_id).chain(clips.iter().map(|c| &c.info.shot.content_id)).flatten() {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    let copied = |id: &Option<String>| id.as_deref().is_some_and(|i| seen.get(i).is_some_and(|&n| n > 2));
    let sh: Vec<Half> = stills.iter().map(|s| half(&s.path, &s.info.shot, copied(&s.info.shot.content_id))).collect();
    let ch: Vec<Half> = clips.iter().map(|c| half(&c.path, &c.info.shot, copied(&c.info.shot.content_id))).collect();
    let p = pair::pair(&sh, &ch, opts);
    drop((sh, ch));
    // An original's clip that an edit borrows serves two Live Photos: copy it before the move.
    let borrowed: HashMap<usize, Box<ClipFile>> =
        p.pairs.iter().filter(|pr| pr.matched_by == MatchedBy::OriginalClip).map(|pr| (pr.clip, clips[pr.clip].clone())).collect();
    // Otherwise pairing uses each file once: move the files out rather than copy them.
    let mut stills: Vec<Option<Box<StillFile>>> = stills.into_iter().map(Some).collect();
    let mut clips: Vec<Option<Box<ClipFile>>> = clips.into_iter().map(Some).collect();
    // Live Photos are built straight into the library's list; `at[e]` is where pair `e` went
    let mut at: Vec<Option<usize>> = Vec::with_capacity(p.pairs.len());
    lib.live_photos = Vec::with_capacity(p.pairs.len());
    for pr in &p.pairs {
        let clip = if pr.matched_by == MatchedBy::OriginalClip { borrowed.get(&pr.clip).cloned() } else { clips[pr.clip].take() };
        let edited = p.edited_stills[pr.still];
        let made = stills[pr.still].take().zip(clip).map(|(still, clip)| LivePhoto {
            still,
            clip,
            matched_by: pr.matched_by,
            edited,
            edit_of: None,
            edited_versions: Vec::new(),
        });
        at.push(made.map(|lp| {
            lib.live_photos.push(lp);
            lib.live_photos.len() - 1
        }));
    }
    for (e, o) in p.pairs.iter().enumerate().filter_map(|(e, pr)| Some((at[e]?, at[pr.edit_of?]?))) {
        let (edit_still, orig_still) = (lib.live_photos[e].still.path.clone(), lib.live_photos[o].still.path.clone());
        lib.live_photos[e].edit_of = Some(orig_still);
        lib.live_photos[o].edited_versions.push(edit_still);
    }
    lib.unpaired_stills = p.unpaired_stills.iter().filter_map(|&i| stills[i].take().map(|b| *b)).collect();
    lib.unpaired_clips = p.unpaired_clips.iter().filter_map(|&i| clips[i].take().map(|b| *b)).collect();
}

fn half<'a>(path: &'a Path, shot: &'a ShotInfo, copied: bool) -> Half<'a> {
    let modified = if copied { std::fs::metadata(path).and_then(|m| m.modified()).ok() } else { None };
    let id_only = shot.id_kind == meta::IdKind::Vivo;
    Half { path, content_id: shot.content_id.as_deref(), captured_at: shot.captured_at, modified, id_only }
}
