//! What a scan finds: a still, a clip, and the Live Photo they make (an Apple pair or an
//! Android motion photo), with what either half says about the shot; and the filters that pick
//! Live Photos by what people look for.

use crate::meta::motion::Embedded;
use crate::meta::{CaptureTime, ClipInfo, GeoLocation, ShotInfo, StillFormat, StillInfo};
use crate::pair::MatchedBy;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub struct StillFile {
    pub path: PathBuf,
    /// The root it was found under (outputs mirror the layout below it), shared by its files.
    pub root: Arc<Path>,
    pub format: StillFormat,
    pub info: StillInfo,
    /// A `.livp`'s photo: where it lies inside `path` (the archive).
    pub embedded: Option<Embedded>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClipFile {
    pub path: PathBuf,
    pub root: Arc<Path>,
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

/// A still and its clip. Both are boxed: the scan reads each file into a box, and pairing moves
/// the boxes here rather than copying every record into a new list (memory at 100,000 files).
#[derive(Debug, Clone, PartialEq)]
pub struct LivePhoto {
    pub still: Box<StillFile>,
    pub clip: Box<ClipFile>,
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
        self.clip.embedded.is_some() && self.still.embedded.is_none()
    }

    /// A `.livp` archive: both halves inside one ZIP.
    pub fn is_livp(&self) -> bool {
        self.still.embedded.is_some()
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

    /// docs/formats.md "FaceTime Live Photos": the still's LensModel names FaceTime; lacking a lens,
    /// its Model or Software; or the clip's lens model, model or software.
    pub fn is_facetime(&self) -> bool {
        let ft = |s: Option<&str>| s.is_some_and(|s| s.as_bytes().windows(8).any(|w| w.eq_ignore_ascii_case(b"facetime")));
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
        contains(self.lens(), text) || contains(self.model(), text)
    }

    /// `--camera TEXT`: the make or model contains TEXT, case-insensitively.
    pub fn camera_matches(&self, text: &str) -> bool {
        contains(self.make(), text) || contains(self.model(), text)
    }
}

/// `field` contains `text`, case-insensitively.
fn contains(field: Option<&str>, text: &str) -> bool {
    field.is_some_and(|s| s.to_lowercase().contains(&text.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(still: Option<&str>, clip: Option<&str>) -> LivePhoto {
        let mut lp = LivePhoto {
            still: Box::new(StillFile {
                path: "a.jpg".into(),
                root: Path::new(".").into(),
                format: StillFormat::Jpeg,
                info: StillInfo::default(),
                embedded: None,
            }),
            clip: Box::new(ClipFile { path: "a.mov".into(), root: Path::new(".").into(), info: ClipInfo::default(), embedded: None }),
            matched_by: MatchedBy::ContentId,
            edited: false,
            edit_of: None,
            edited_versions: Vec::new(),
        };
        lp.still.info.shot.captured_at = still.and_then(CaptureTime::from_iso);
        lp.clip.info.shot.captured_at = clip.and_then(CaptureTime::from_iso);
        lp
    }

    /// A date filter leaves out a Live Photo whose time is unknown, and says so.
    #[test]
    fn date_filters_leave_out_unknown_times_under_their_own_name() {
        use crate::scan::{DateBound, Filter};
        let f = Filter { since: DateBound::parse("2016-01-01"), ..Default::default() };
        assert_eq!(f.left_out_by(&live(None, None)), Some("no capture time (date filters)"));
        assert_eq!(f.left_out_by(&live(Some("2016-12-07T11:42:14"), None)), None);
        assert_eq!(f.left_out_by(&live(Some("2015-12-31T23:59:59"), None)), Some("--since"));
        assert_eq!(Filter::default().left_out_by(&live(None, None)), None, "no date filter, no time needed");
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
            still: Box::new(StillFile {
                path: "a.heic".into(),
                root: Path::new(".").into(),
                format: StillFormat::Heif,
                info: StillInfo { shot: still, ..Default::default() },
                embedded: None,
            }),
            clip: Box::new(ClipFile {
                path: "a.mov".into(),
                root: Path::new(".").into(),
                info: ClipInfo { shot: clip, ..Default::default() },
                embedded: None,
            }),
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

    /// docs/formats.md "FaceTime Live Photos": lens first; lacking a lens, model/software; or the clip's.
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
        let f = crate::scan::Filter { facetime_only: true, ..Default::default() };
        assert!(!f.keeps(&x));
    }
}
