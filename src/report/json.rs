//! The `--json` documents: the only thing written to stdout in that mode.

use crate::scan::{ClipFile, FileError, Library, LivePhoto, StillFile};
use serde_json::{json, Value};

pub fn live_photo(lp: &LivePhoto) -> Value {
    json!({
        "still": lp.still.path,
        "clip": lp.clip.path,
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
    })
}

fn still(s: &StillFile) -> Value {
    json!({ "path": s.path, "content_id": s.info.shot.content_id })
}

fn clip(c: &ClipFile) -> Value {
    json!({ "path": c.path, "content_id": c.info.shot.content_id })
}

pub fn error(e: &FileError) -> Value {
    json!({ "path": e.path, "error": e.error })
}

pub fn scan(lib: &Library) -> Value {
    json!({
        "live_photos": lib.live_photos.iter().map(live_photo).collect::<Vec<_>>(),
        "unpaired_stills": lib.unpaired_stills.iter().map(still).collect::<Vec<_>>(),
        "unpaired_clips": lib.unpaired_clips.iter().map(clip).collect::<Vec<_>>(),
        "errors": lib.errors.iter().map(error).collect::<Vec<_>>(),
        "skipped": lib.skipped,
        "stats": {"media_files": lib.media_files, "bytes_read": lib.bytes_read},
    })
}

/// Seconds to the millisecond: what a person (or a test) compares.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
