//! Walk the roots, read every file's metadata in parallel, pair stills with clips.

use crate::meta::motion::Embedded;
use crate::meta::{self, CaptureTime, ClipInfo, GeoLocation, MediaInfo, ShotInfo, StillFormat, StillInfo};
use crate::pair::{self, Half, MatchedBy, PairOptions};
use crate::walk::{self, FileId};
pub use crate::walk::{FileError, Note};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct StillFile {
    pub path: PathBuf,
    /// The root it was found under (outputs mirror the layout below it).
    pub root: PathBuf,
    pub format: StillFormat,
    pub info: StillInfo,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClipFile {
    pub path: PathBuf,
    pub root: PathBuf,
    pub info: ClipInfo,
    /// A motion photo's video: where it lies inside `path` (the still's own file).
    pub embedded: Option<Embedded>,
}

/// Where a Live Photo's capture time came from (`captured_at_source` in `--json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The still's EXIF time, with its own offset or none known.
    Still,
    /// The still's local time with the clip's UTC offset (the still had none).
    StillWithClipOffset,
    /// The clip's (the still has no time).
    Clip,
    /// The still's Google Takeout sidecar (`photoTakenTime`, UTC): its own metadata had none.
    StillSidecar,
    /// The clip's Takeout sidecar (the still has no time of its own).
    ClipSidecar,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LivePhoto {
    pub still: StillFile,
    pub clip: ClipFile,
    pub matched_by: MatchedBy,
    /// An edited version (`IMG_E1234`, `IMG_1234_edited`, `FullSizeRender`): see [`pair::edits`].
    pub edited: bool,
    /// For an edit: its original's still, when the original was found as a Live Photo.
    pub edit_of: Option<PathBuf>,
    /// For an original: the stills of its edited versions found as Live Photos.
    pub edited_versions: Vec<PathBuf>,
}

impl LivePhoto {
    /// A field from the still, else from the clip.
    fn either<'a, T: ?Sized>(&'a self, f: impl Fn(&'a ShotInfo) -> Option<&'a T>) -> Option<&'a T> {
        f(&self.still.info.shot).or_else(|| f(&self.clip.info.shot))
    }

    /// An Android motion photo (one file, the video inside), not an Apple pair.
    pub fn is_motion_photo(&self) -> bool {
        self.clip.embedded.is_some()
    }

    pub fn content_id(&self) -> Option<&str> {
        self.either(|s| s.content_id.as_deref())
    }

    /// The still's time (the shutter moment), else the clip's.
    /// The capture instant, and where it came from: the still's time (the shutter moment) with
    /// its own UTC offset; else the still's local time with the clip's offset, when the clip's
    /// local time agrees with it within the pairing tolerance; else the still's local time; else
    /// the clip's.
    pub fn captured_at_with_source(&self) -> Option<(CaptureTime, TimeSource)> {
        let (s, c) = (self.still.info.shot.captured_at, self.clip.info.shot.captured_at);
        let sidecar = |from| match from {
            TimeSource::Still if self.still.info.shot.time_from_sidecar => TimeSource::StillSidecar,
            TimeSource::Clip if self.clip.info.shot.time_from_sidecar => TimeSource::ClipSidecar,
            other => other,
        };
        let found = match (s, c) {
            (Some(s), _) if s.offset_s.is_some() => Some((s, TimeSource::Still)),
            (Some(s), Some(c)) if c.offset_s.is_some() && (s.local - c.local).abs() <= crate::pair::TIME_TOLERANCE_S => {
                Some((CaptureTime { local: s.local, offset_s: c.offset_s }, TimeSource::StillWithClipOffset))
            }
            (Some(s), _) => Some((s, TimeSource::Still)),
            (None, Some(c)) => Some((c, TimeSource::Clip)),
            (None, None) => None,
        };
        found.map(|(t, from)| (t, sidecar(from)))
    }

    pub fn captured_at(&self) -> Option<CaptureTime> {
        self.captured_at_with_source().map(|(t, _)| t)
    }

    pub fn make(&self) -> Option<&str> {
        self.either(|s| s.make.as_deref())
    }

    pub fn model(&self) -> Option<&str> {
        self.either(|s| s.model.as_deref())
    }

    pub fn lens(&self) -> Option<&str> {
        self.either(|s| s.lens.as_deref())
    }

    pub fn location(&self) -> Option<GeoLocation> {
        self.either(|s| s.location.as_ref()).copied()
    }

    /// FORMATS.md "FaceTime Live Photos": the still's LensModel names FaceTime; lacking a lens,
    /// its Model or Software; or the clip's lens model, model or software.
    pub fn is_facetime(&self) -> bool {
        let ft = |s: Option<&str>| s.is_some_and(|s| s.to_ascii_lowercase().contains("facetime"));
        let s = &self.still.info.shot;
        let still_says = match &s.lens {
            Some(lens) => ft(Some(lens)),
            None => ft(s.model.as_deref()) || ft(s.software.as_deref()),
        };
        let c = &self.clip.info.shot;
        still_says || ft(c.lens.as_deref()) || ft(c.model.as_deref()) || ft(c.software.as_deref())
    }

    /// `--lens TEXT`: the lens (or, lacking one, the model) contains TEXT, case-insensitively.
    pub fn lens_matches(&self, text: &str) -> bool {
        let text = text.to_lowercase();
        let has = |s: Option<&str>| s.is_some_and(|s| s.to_lowercase().contains(&text));
        has(self.lens()) || has(self.model())
    }
}

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
    /// Every file and link found under the roots, media or not, by identity: outputs must
    /// never land on one.
    pub inputs: HashSet<FileId>,
}

/// Originals, edited versions, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Versions {
    #[default]
    All,
    OriginalsOnly,
    EditsOnly,
}

/// Which Live Photos to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub facetime_only: bool,
    pub lens: Option<String>,
    pub versions: Versions,
}

impl Filter {
    pub fn keeps(&self, lp: &LivePhoto) -> bool {
        let version = match self.versions {
            Versions::All => true,
            Versions::OriginalsOnly => !lp.edited,
            Versions::EditsOnly => lp.edited,
        };
        version && (!self.facetime_only || lp.is_facetime()) && self.lens.as_deref().is_none_or(|t| lp.lens_matches(t))
    }
}

impl Library {
    pub fn apply(&mut self, filter: &Filter) {
        self.live_photos.retain(|lp| filter.keeps(lp));
    }
}

enum Outcome {
    Still(StillFile),
    Clip(ClipFile),
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
    let walk::Walked { files, mut errors, notes, ids } = walk::walk(roots);
    found(files.len());
    let outcomes: Vec<(Outcome, u64)> = files
        .par_iter()
        .map(|(path, root)| {
            let r = read_one(path, root);
            read();
            r
        })
        .collect();
    let mut lib = Library { notes, inputs: ids, ..Library::default() };
    let (mut stills, mut clips, mut motion) = (Vec::new(), Vec::new(), Vec::new());
    for (o, bytes) in outcomes {
        lib.bytes_read += bytes;
        match o {
            Outcome::Still(s) => stills.push(s),
            Outcome::Clip(c) => clips.push(c),
            Outcome::Motion(lp) => motion.push(*lp),
            Outcome::Skipped => lib.skipped += 1,
            Outcome::Failed(e) => errors.push(e),
        }
    }
    lib.media_files = stills.len() + clips.len() + motion.len();
    for s in &stills {
        if let Some(why) = &s.info.motion.claim_unconfirmed {
            lib.notes.push(Note { path: s.path.clone(), note: why.clone() });
        }
    }
    lib.notes.sort();
    let sidecars = takeout_sidecars(&files);
    if !sidecars.is_empty() {
        stills.iter_mut().for_each(|s| fill_from_sidecar(&mut s.info.shot, &s.path, &sidecars));
        clips.iter_mut().for_each(|c| fill_from_sidecar(&mut c.info.shot, &c.path, &sidecars));
    }
    errors.sort();
    lib.errors = errors;
    link(&mut lib, stills, clips, opts);
    lib.live_photos.extend(motion);
    lib.live_photos.sort_by(|a, b| (&a.still.path, &a.clip.path).cmp(&(&b.still.path, &b.clip.path)));
    lib
}

/// The JSON files found, by folder: Google Takeout's sidecars among them.
fn takeout_sidecars(files: &[(PathBuf, PathBuf)]) -> HashMap<&Path, Vec<&Path>> {
    let mut by_dir: HashMap<&Path, Vec<&Path>> = HashMap::new();
    for (f, _) in files {
        if f.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            by_dir.entry(f.parent().unwrap_or(Path::new(""))).or_default().push(f);
        }
    }
    by_dir
}

/// A half without a capture time or place takes them from its Takeout sidecar, if it has one.
fn fill_from_sidecar(shot: &mut ShotInfo, path: &Path, sidecars: &HashMap<&Path, Vec<&Path>>) {
    if shot.captured_at.is_some() && shot.location.is_some() {
        return;
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else { return };
    let Some(candidates) = sidecars.get(dir) else { return };
    let describes = |j: &&&Path| j.file_name().and_then(|n| n.to_str()).is_some_and(|j| meta::takeout::describes(j, name));
    let Some(sidecar) = candidates.iter().find(describes).and_then(|j| meta::takeout::read(j)) else { return };
    if shot.captured_at.is_none() && sidecar.captured_at.is_some() {
        shot.captured_at = sidecar.captured_at;
        shot.time_from_sidecar = true;
    }
    shot.location = shot.location.or(sidecar.location);
}

fn read_one(path: &Path, root: &Path) -> (Outcome, u64) {
    match meta::read_media(path) {
        Ok((Some(MediaInfo::Still(format, info)), n)) => {
            (Outcome::Still(StillFile { path: path.into(), root: root.into(), format, info }), n)
        }
        Ok((Some(MediaInfo::Clip(info)), n)) => (Outcome::Clip(ClipFile { path: path.into(), root: root.into(), info, embedded: None }), n),
        Ok((Some(MediaInfo::MotionPhoto(format, still, clip)), n)) => {
            let embedded = still.motion.video;
            let clip = ClipFile { path: path.into(), root: root.into(), info: clip, embedded };
            let still = StillFile { path: path.into(), root: root.into(), format, info: still };
            let edited = pair::edits::is_edit(path);
            let lp = LivePhoto { still, clip, matched_by: MatchedBy::Embedded, edited, edit_of: None, edited_versions: Vec::new() };
            (Outcome::Motion(Box::new(lp)), n)
        }
        Ok((None, n)) => (Outcome::Skipped, n),
        Err(e) => (Outcome::Failed(FileError { path: path.into(), error: e.to_string() }), 0),
    }
}

fn link(lib: &mut Library, mut stills: Vec<StillFile>, mut clips: Vec<ClipFile>, opts: PairOptions) {
    stills.sort_by(|a, b| a.path.cmp(&b.path));
    clips.sort_by(|a, b| a.path.cmp(&b.path));
    // modification times break ties between copies: only files whose identifier is shared need one
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for id in stills.iter().map(|s| &s.info.shot.content_id).chain(clips.iter().map(|c| &c.info.shot.content_id)).flatten() {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    let copied = |id: &Option<String>| id.as_deref().is_some_and(|i| seen.get(i).is_some_and(|&n| n > 2));
    let sh: Vec<Half> =
        stills.iter().map(|s| half(&s.path, &s.info.shot.content_id, s.info.shot.captured_at, copied(&s.info.shot.content_id))).collect();
    let ch: Vec<Half> =
        clips.iter().map(|c| half(&c.path, &c.info.shot.content_id, c.info.shot.captured_at, copied(&c.info.shot.content_id))).collect();
    let p = pair::pair(&sh, &ch, opts);
    // An original's clip that an edit borrows serves two Live Photos: copy it before the move.
    let borrowed: HashMap<usize, ClipFile> =
        p.pairs.iter().filter(|pr| pr.matched_by == MatchedBy::OriginalClip).map(|pr| (pr.clip, clips[pr.clip].clone())).collect();
    // Otherwise pairing uses each file once: move the files out rather than copy them.
    let mut stills: Vec<Option<StillFile>> = stills.into_iter().map(Some).collect();
    let mut clips: Vec<Option<ClipFile>> = clips.into_iter().map(Some).collect();
    let mut made: Vec<Option<LivePhoto>> = p
        .pairs
        .iter()
        .map(|pr| {
            let clip = if pr.matched_by == MatchedBy::OriginalClip { borrowed.get(&pr.clip).cloned() } else { clips[pr.clip].take() };
            let (still, clip) = (stills[pr.still].take()?, clip?);
            let edited = pair::edits::is_edit(&still.path);
            Some(LivePhoto { still, clip, matched_by: pr.matched_by, edited, edit_of: None, edited_versions: Vec::new() })
        })
        .collect();
    for (e, o) in p.pairs.iter().enumerate().filter_map(|(e, pr)| Some((e, pr.edit_of?))) {
        let (Some(edit), Some(orig)) = (&made[e], &made[o]) else { continue };
        let (edit_still, orig_still) = (edit.still.path.clone(), orig.still.path.clone());
        if let Some(lp) = made[e].as_mut() {
            lp.edit_of = Some(orig_still);
        }
        if let Some(lp) = made[o].as_mut() {
            lp.edited_versions.push(edit_still);
        }
    }
    lib.live_photos = made.into_iter().flatten().collect();
    lib.live_photos.sort_by(|a, b| (&a.still.path, &a.clip.path).cmp(&(&b.still.path, &b.clip.path)));
    lib.unpaired_stills = p.unpaired_stills.iter().filter_map(|&i| stills[i].take()).collect();
    lib.unpaired_clips = p.unpaired_clips.iter().filter_map(|&i| clips[i].take()).collect();
}

fn half(path: &Path, id: &Option<String>, t: Option<CaptureTime>, copied: bool) -> Half {
    let modified = if copied { std::fs::metadata(path).and_then(|m| m.modified()).ok() } else { None };
    Half { path: path.to_path_buf(), content_id: id.clone(), captured_at: t, modified }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(still: Option<&str>, clip: Option<&str>) -> LivePhoto {
        let mut lp = LivePhoto {
            still: StillFile { path: "a.jpg".into(), root: ".".into(), format: StillFormat::Jpeg, info: StillInfo::default() },
            clip: ClipFile { path: "a.mov".into(), root: ".".into(), info: ClipInfo::default(), embedded: None },
            matched_by: MatchedBy::ContentId,
            edited: false,
            edit_of: None,
            edited_versions: Vec::new(),
        };
        lp.still.info.shot.captured_at = still.and_then(CaptureTime::from_iso);
        lp.clip.info.shot.captured_at = clip.and_then(CaptureTime::from_iso);
        lp
    }

    #[test]
    fn capture_time_takes_the_clips_offset_when_the_still_has_none_and_they_agree() {
        let got = |s, c| live(s, c).captured_at_with_source().map(|(t, from)| (t.to_rfc3339(), from));
        let with = |t: &str, from| Some((t.to_string(), from));
        // a JPEG without OffsetTimeOriginal, its clip's creationdate one second earlier with -06:00
        assert_eq!(
            got(Some("2016-12-07T11:42:14"), Some("2016-12-07T11:42:13-06:00")),
            with("2016-12-07T11:42:14-06:00", TimeSource::StillWithClipOffset)
        );
        assert_eq!(
            got(Some("2016-12-07T11:42:14+01:00"), Some("2016-12-07T11:42:13-06:00")),
            with("2016-12-07T11:42:14+01:00", TimeSource::Still)
        );
        assert_eq!(
            got(Some("2016-12-07T11:42:14"), Some("2016-12-07T17:42:13-06:00")),
            with("2016-12-07T11:42:14", TimeSource::Still),
            "disagreeing: no offset borrowed"
        );
        assert_eq!(got(None, Some("2016-12-07T11:42:13-06:00")), with("2016-12-07T11:42:13-06:00", TimeSource::Clip));
        assert_eq!(got(None, None), None);
    }

    fn lp(still: ShotInfo, clip: ShotInfo) -> LivePhoto {
        LivePhoto {
            still: StillFile {
                path: "a.heic".into(),
                root: ".".into(),
                format: StillFormat::Heif,
                info: StillInfo { shot: still, ..Default::default() },
            },
            clip: ClipFile { path: "a.mov".into(), root: ".".into(), info: ClipInfo { shot: clip, ..Default::default() }, embedded: None },
            matched_by: MatchedBy::ContentId,
            edited: false,
            edit_of: None,
            edited_versions: Vec::new(),
        }
    }

    fn shot(lens: Option<&str>, model: Option<&str>, software: Option<&str>) -> ShotInfo {
        ShotInfo {
            lens: lens.map(String::from),
            model: model.map(String::from),
            software: software.map(String::from),
            ..Default::default()
        }
    }

    /// FORMATS.md "FaceTime Live Photos": lens first; lacking a lens, model/software; or the clip's.
    #[test]
    fn facetime_rule() {
        let none = ShotInfo::default();
        assert!(lp(shot(Some("FaceTime HD Camera"), Some("iPhone 13"), None), none.clone()).is_facetime());
        assert!(lp(shot(None, Some("facetime"), None), none.clone()).is_facetime());
        assert!(lp(shot(None, None, Some("FaceTime 5.0")), none.clone()).is_facetime());
        assert!(
            !lp(shot(Some("iPhone 13 back camera"), Some("FaceTime"), None), none.clone()).is_facetime(),
            "a lens that is not FaceTime wins over the model"
        );
        assert!(lp(shot(None, None, None), shot(Some("FaceTime HD Camera"), None, None)).is_facetime());
        assert!(
            !lp(shot(Some("iPhone 12 back camera"), Some("iPhone 12"), Some("17.1")), shot(None, Some("iPhone 12"), None)).is_facetime()
        );
    }

    #[test]
    fn lens_filter_uses_lens_or_model_case_insensitively() {
        let x = lp(shot(Some("iPhone 8 back camera 3.99mm f/1.8"), Some("iPhone 8"), None), ShotInfo::default());
        assert!(x.lens_matches("BACK CAMERA"));
        assert!(x.lens_matches("iphone 8"));
        assert!(!x.lens_matches("front"));
        let f = Filter { facetime_only: true, ..Filter::default() };
        assert!(!f.keeps(&x));
    }
}
