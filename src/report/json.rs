//! The `--json` documents of `scan` (and the pieces `export`'s reuses), as typed `Serialize`
//! structs: the only thing written to stdout in that mode. Paths follow the convention in
//! [`super::paths`]: a string, plus `<field>_bytes` (base64) when not UTF-8.

use super::paths;
use crate::scan::{ClipFile, FileError, Library, LivePhoto, Note, StillFile, TimeSource};
use crate::MatchedBy;
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::Path;

/// Version of the `--json` documents' layout: raised when a field changes meaning or goes away
/// (new fields may appear without it).
pub const SCHEMA_VERSION: u32 = 4;

/// Path fields, flattened into the document that holds them; written as they are serialized
/// (see [`paths::put`]).
pub struct PathFields<'a>(Vec<(&'a str, &'a Path)>);

impl<'a> PathFields<'a> {
    pub fn of(fields: &[(&'a str, &'a Path)]) -> Self {
        PathFields(fields.to_vec())
    }
}

impl Serialize for PathFields<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (k, p) in &self.0 {
            paths::put(&mut map, k, p)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
pub struct LivePhotoDoc<'a> {
    /// `"live_photo"`: an Apple still + clip pair; `"motion_photo"`: an Android still with its
    /// video inside (`still` and `clip` name the same file); `"livp"`: a `.livp` archive holding
    /// both halves (`still` and `clip` name the archive).
    kind: &'static str,
    /// A motion photo's (or a `.livp`'s) video: `offset`, `length` and `container` (where it was found).
    #[serde(skip_serializing_if = "Option::is_none")]
    embedded_video: Option<crate::meta::motion::Embedded>,
    /// A `.livp`'s photo: `offset`, `length` and `container` (`livp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    embedded_still: Option<crate::meta::motion::Embedded>,
    /// `still`, `clip` first, as people read them.
    #[serde(flatten)]
    paths: PathFields<'a>,
    content_id: Option<&'a str>,
    matched_by: MatchedBy,
    /// An edited version (`IMG_E1234`, `IMG_1234_edited`, `FullSizeRender`).
    edited: bool,
    /// An edit's original (`edit_of`: its still), when found.
    #[serde(flatten)]
    edit_of: PathFields<'a>,
    /// An original's edited versions (`{"still": …}` each).
    edited_versions: Vec<PathFields<'a>>,
    facetime: bool,
    /// The still's gain map: `apple_gain_map`, `iso_21496`, `ultra_hdr`, or null (SDR).
    hdr: Option<crate::meta::hdr::Hdr>,
    captured_at: Option<String>,
    captured_at_source: Option<TimeSource>,
    key_time_s: Option<f64>,
    duration_s: f64,
    make: Option<&'a str>,
    model: Option<&'a str>,
    lens: Option<&'a str>,
    frames: Option<u64>,
    fps: Option<f64>,
    width: Option<u32>,
    height: Option<u32>,
    rotation: Option<u16>,
    video_codec: Option<&'a str>,
    audio_codec: Option<&'a str>,
}

pub fn live_photo(lp: &LivePhoto) -> LivePhotoDoc<'_> {
    let video = lp.clip.info.video.as_ref();
    LivePhotoDoc {
        kind: match (lp.is_livp(), lp.is_motion_photo()) {
            (true, _) => "livp",
            (false, true) => "motion_photo",
            (false, false) => "live_photo",
        },
        embedded_video: lp.clip.embedded,
        embedded_still: lp.still.embedded,
        paths: PathFields::of(&[("still", &lp.still.path), ("clip", &lp.clip.path)]),
        content_id: lp.content_id(),
        matched_by: lp.matched_by,
        edited: lp.edited,
        edit_of: PathFields::of(&lp.edit_of.iter().map(|p| ("edit_of", p.as_path())).collect::<Vec<_>>()),
        edited_versions: lp.edited_versions.iter().map(|p| PathFields::of(&[("still", p)])).collect(),
        facetime: lp.is_facetime(),
        hdr: lp.still.info.hdr,
        captured_at: lp.captured_at().map(|t| t.to_rfc3339()),
        captured_at_source: lp.captured_at_with_source().map(|(_, from)| from),
        key_time_s: lp.clip.info.key_time_s.map(round3),
        duration_s: round3(lp.clip.info.duration_s),
        make: lp.make(),
        model: lp.model(),
        lens: lp.lens(),
        frames: video.map(|v| v.frames),
        fps: video.map(|v| round3(v.fps)),
        width: video.map(|v| v.width),
        height: video.map(|v| v.height),
        rotation: video.map(|v| v.rotation),
        video_codec: video.map(|v| v.codec.as_str()),
        audio_codec: lp.clip.info.audio_codec.as_deref(),
    }
}

/// A file left over (a still or clip without its other half, or another copy of a paired one).
#[derive(Serialize)]
pub struct LoneDoc<'a> {
    #[serde(flatten)]
    paths: PathFields<'a>,
    content_id: Option<&'a str>,
    /// Named as an edited version.
    edited: bool,
    /// A still's gain map form, as for Live Photos (null for clips and SDR stills).
    hdr: Option<crate::meta::hdr::Hdr>,
    /// Another copy of a Live Photo's half (the same identifier): `copy_of` names that half.
    #[serde(flatten)]
    copy_of: PathFields<'a>,
}

#[derive(Serialize)]
pub struct ErrorDoc<'a> {
    #[serde(flatten)]
    paths: PathFields<'a>,
    error: &'a str,
}

pub fn error(e: &FileError) -> ErrorDoc<'_> {
    ErrorDoc { paths: PathFields::of(&[("path", &e.path)]), error: &e.error }
}

#[derive(Serialize)]
pub struct NoteDoc<'a> {
    #[serde(flatten)]
    paths: PathFields<'a>,
    note: &'a str,
}

pub fn note(n: &Note) -> NoteDoc<'_> {
    NoteDoc { paths: PathFields::of(&[("path", &n.path)]), note: &n.note }
}

#[derive(Serialize)]
pub struct Stats {
    media_files: usize,
    bytes_read: u64,
}

/// A list written as it is produced, one item at a time: at 100,000 files the document is never
/// held whole, only the library it describes.
pub struct Each<'a, T, D>(&'a [T], Box<dyn Fn(&'a T) -> D + 'a>);

impl<'a, T, D: Serialize> Serialize for Each<'a, T, D> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(&self.1))
    }
}

/// `livephoto scan --json`.
#[derive(Serialize)]
pub struct ScanDoc<'a> {
    schema_version: u32,
    live_photos: Each<'a, LivePhoto, LivePhotoDoc<'a>>,
    unpaired_stills: Each<'a, StillFile, LoneDoc<'a>>,
    unpaired_clips: Each<'a, ClipFile, LoneDoc<'a>>,
    errors: Each<'a, FileError, ErrorDoc<'a>>,
    skipped: usize,
    notes: Each<'a, Note, NoteDoc<'a>>,
    /// Live Photos the filters left out, by the first filter that left each out.
    left_out: Map<String, Value>,
    stats: Stats,
}

pub fn left_out(lib: &Library) -> Map<String, Value> {
    lib.left_out.iter().map(|(why, n)| (why.to_string(), Value::from(*n))).collect()
}

fn lone<'a>(lib: &'a Library, path: &'a Path, content_id: Option<&'a str>, hdr: Option<crate::meta::hdr::Hdr>) -> LoneDoc<'a> {
    let copy_of = PathFields::of(&lib.copies.get(path).map(|of| vec![("copy_of", of.as_path())]).unwrap_or_default());
    LoneDoc { paths: PathFields::of(&[("path", path)]), content_id, edited: crate::pair::edits::is_edit(path), hdr, copy_of }
}

pub fn scan(lib: &Library) -> ScanDoc<'_> {
    ScanDoc {
        schema_version: SCHEMA_VERSION,
        live_photos: Each(&lib.live_photos, Box::new(live_photo)),
        unpaired_stills: Each(&lib.unpaired_stills, Box::new(|s| lone(lib, &s.path, s.info.shot.content_id.as_deref(), s.info.hdr))),
        unpaired_clips: Each(&lib.unpaired_clips, Box::new(|c| lone(lib, &c.path, c.info.shot.content_id.as_deref(), None))),
        errors: Each(&lib.errors, Box::new(error)),
        skipped: lib.skipped,
        notes: Each(&lib.notes, Box::new(note)),
        left_out: left_out(lib),
        stats: Stats { media_files: lib.media_files, bytes_read: lib.bytes_read },
    }
}

/// Seconds to the millisecond: what a person (or a test) compares.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
