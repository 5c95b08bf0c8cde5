//! The `--json` documents: the only thing written to stdout in that mode. Paths follow the
//! convention in [`super::paths`]: a string, plus `<field>_bytes` (base64) when not UTF-8.

use super::paths;
use crate::scan::{ClipFile, FileError, Library, LivePhoto, Note, StillFile};
use serde_json::{json, Map, Value};
use std::path::Path;

/// Adds path fields to a `json!` object.
pub fn with_paths(mut v: Value, fields: &[(&str, &Path)]) -> Value {
    if let Value::Object(m) = &mut v {
        for (k, p) in fields {
            paths::put(m, k, p);
        }
    }
    v
}

pub fn live_photo(lp: &LivePhoto) -> Value {
    let v = json!({
        "content_id": lp.content_id(),
        "matched_by": lp.matched_by,
        "facetime": lp.is_facetime(),
        "captured_at": lp.captured_at().map(|t| t.to_rfc3339()),
        "key_time_s": lp.clip.info.key_time_s.map(round3),
        "duration_s": round3(lp.clip.info.duration_s),
        "make": lp.make(),
        "model": lp.model(),
        "lens": lp.lens(),
        "frames": lp.clip.info.video.as_ref().map(|v| v.frames),
        "fps": lp.clip.info.video.as_ref().map(|v| round3(v.fps)),
        "width": lp.clip.info.video.as_ref().map(|v| v.width),
        "height": lp.clip.info.video.as_ref().map(|v| v.height),
        "rotation": lp.clip.info.video.as_ref().map(|v| v.rotation),
        "video_codec": lp.clip.info.video.as_ref().map(|v| v.codec.clone()),
        "audio_codec": lp.clip.info.audio_codec,
    });
    // still and clip first, as people read them
    let mut m = Map::new();
    paths::put(&mut m, "still", &lp.still.path);
    paths::put(&mut m, "clip", &lp.clip.path);
    if let Value::Object(rest) = v {
        m.extend(rest);
    }
    Value::Object(m)
}

fn still(s: &StillFile) -> Value {
    with_paths(json!({ "content_id": s.info.shot.content_id }), &[("path", &s.path)])
}

fn clip(c: &ClipFile) -> Value {
    with_paths(json!({ "content_id": c.info.shot.content_id }), &[("path", &c.path)])
}

pub fn error(e: &FileError) -> Value {
    with_paths(json!({ "error": e.error }), &[("path", &e.path)])
}

fn note(n: &Note) -> Value {
    with_paths(json!({ "note": n.note }), &[("path", &n.path)])
}

/// Version of the `--json` documents' layout: raised when a field changes meaning or goes away
/// (new fields may appear without it).
pub const SCHEMA_VERSION: u32 = 2;

pub fn scan(lib: &Library) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "live_photos": lib.live_photos.iter().map(live_photo).collect::<Vec<_>>(),
        "unpaired_stills": lib.unpaired_stills.iter().map(still).collect::<Vec<_>>(),
        "unpaired_clips": lib.unpaired_clips.iter().map(clip).collect::<Vec<_>>(),
        "errors": lib.errors.iter().map(error).collect::<Vec<_>>(),
        "skipped": lib.skipped,
        "notes": lib.notes.iter().map(note).collect::<Vec<_>>(),
        "stats": {"media_files": lib.media_files, "bytes_read": lib.bytes_read},
    })
}

/// Seconds to the millisecond: what a person (or a test) compares.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
