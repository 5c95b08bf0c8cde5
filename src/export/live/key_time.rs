//! Where a written clip's still-image-time sample goes (docs/formats.md "Writing a Live Photo"):
//! on one of the video's own frames, never past its last one. A source's key time can lie past
//! the video (a Galaxy's `MotionPhotoPresentationTimestampUs` was seen 24 ms past a movie's end,
//! and Apple's frameworks refuse such a time), or between two frames: it is clamped to the video
//! and snapped to the nearest frame's presentation time.
//!
//! A frame's presentation time is worked out from the video track's own tables: its decode time
//! (`stts`, in the media's timescale) plus its composition offset (`ctts`, B-frames) less the
//! first edit's media time, after the movie's empty edits (`elst`). Counts and durations come
//! from the file: they are read run by run, sample by sample up to a cap, never expanded into a
//! table.

use crate::meta::bytes::Reader;
use crate::meta::isobmff;

/// Most `stts`/`elst` entries looked at (a Live Photo's clip has a handful).
const MAX_ENTRIES: u32 = 1 << 16;

/// `key_s` on the nearest of the video's frames (the track's `trak` body), in seconds into the
/// movie whose timescale is `movie_ts`; `key_s` clamped at 0 when the track's tables cannot be read.
pub fn on_a_frame(video_trak: &[u8], movie_ts: u32, key_s: f64) -> f64 {
    frame_near(video_trak, movie_ts, key_s).unwrap_or(key_s.max(0.0))
}

fn frame_near(trak: &[u8], movie_ts: u32, key_s: f64) -> Option<f64> {
    let mdhd = isobmff::find_path(trak, &[b"mdia", b"mdhd"]).ok()??;
    let (version, body) = isobmff::full_box(mdhd.body).ok()?;
    let ts_at = if version == 1 { 16 } else { 8 };
    let media_ts = f64::from(u32::from_be_bytes(body.get(ts_at..ts_at + 4)?.try_into().ok()?)).max(1.0);
    let (empty_s, media_start) = first_edit(trak, movie_ts);
    let table = |kind: &[u8; 4]| isobmff::find_path(trak, &[b"mdia", b"minf", b"stbl", kind]).ok().flatten();
    let mut stts = Runs::new(table(b"stts")?.body)?;
    // composition offsets (B-frames): a frame is shown at its decode time plus its offset
    let mut ctts = table(b"ctts").and_then(|b| Runs::new(b.body));
    let (mut dts, mut best, mut last) = (0i64, None::<f64>, None::<f64>);
    for _ in 0..MAX_SAMPLES {
        let Some(delta) = stts.next() else { break };
        let offset = ctts.as_mut().and_then(Runs::next).map_or(0, |o| i64::from(o as i32));
        let pts = dts + offset - media_start as i64;
        dts += i64::from(delta);
        if pts < 0 {
            continue; // before the edit's start: not shown
        }
        let shown = empty_s + pts as f64 / media_ts;
        if best.is_none_or(|b| (shown - key_s).abs() < (b - key_s).abs()) {
            best = Some(shown);
        }
        last = Some(last.map_or(shown, |l: f64| l.max(shown)));
    }
    Some(best?.clamp(0.0, last?))
}

/// Most samples looked at (a Live Photo's clip has about a hundred).
const MAX_SAMPLES: u32 = 1 << 20;

/// An `stts` or `ctts` table read sample by sample: (count, value) runs, never expanded.
struct Runs<'a> {
    r: Reader<'a>,
    entries: u32,
    left: u32,
    value: u32,
}

impl<'a> Runs<'a> {
    fn new(body: &'a [u8]) -> Option<Self> {
        let mut r = Reader::new(body, "sample table");
        r.skip(4).ok()?;
        let entries = r.u32().ok()?.min(MAX_ENTRIES);
        Some(Runs { r, entries, left: 0, value: 0 })
    }
}

impl Iterator for Runs<'_> {
    type Item = u32;

    /// The next sample's value.
    fn next(&mut self) -> Option<u32> {
        while self.left == 0 {
            if self.entries == 0 {
                return None;
            }
            self.entries -= 1;
            self.left = self.r.u32().ok()?;
            self.value = self.r.u32().ok()?;
        }
        self.left -= 1;
        Some(self.value)
    }
}

/// The movie's empty edits before the first real one (seconds), and that edit's media time
/// (media timescale); (0, 0) without an edit list.
fn first_edit(trak: &[u8], movie_ts: u32) -> (f64, u64) {
    let Ok(Some(elst)) = isobmff::find_path(trak, &[b"edts", b"elst"]) else { return (0.0, 0) };
    let Ok((version, body)) = isobmff::full_box(elst.body) else { return (0.0, 0) };
    let mut r = Reader::new(body, "elst");
    let Ok(n) = r.u32() else { return (0.0, 0) };
    let mut empty = 0u64;
    for _ in 0..n.min(MAX_ENTRIES) {
        let entry = if version == 1 {
            (r.u64(), r.u64().map(|m| m as i64))
        } else {
            (r.u32().map(u64::from), r.u32().map(|m| i64::from(m as i32)))
        };
        let (Ok(duration), Ok(media_time), Ok(_rate)) = (entry.0, entry.1, r.u32()) else { break };
        if media_time < 0 {
            empty = empty.saturating_add(duration);
            continue;
        }
        return (empty as f64 / f64::from(movie_ts.max(1)), media_time as u64);
    }
    (empty as f64 / f64::from(movie_ts.max(1)), 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::isobmff::boxed;

    /// A video `trak` at 600 per second: `frames` frames of `delta` units, with an empty edit of
    /// `empty` movie units (600 per second) and a first edit starting at `media` units.
    fn trak(frames: u32, delta: u32, empty: u32, media: u32) -> Vec<u8> {
        let mdhd = boxed(b"mdhd", &[&[0u8; 12][..], &600u32.to_be_bytes(), &(frames * delta).to_be_bytes(), &[0; 4]].concat());
        let stts = boxed(b"stts", &[&[0u8; 4][..], &1u32.to_be_bytes(), &frames.to_be_bytes(), &delta.to_be_bytes()].concat());
        let minf = boxed(b"minf", &boxed(b"stbl", &stts));
        let mut edits = vec![];
        if empty > 0 {
            edits.extend([empty, u32::MAX, 0x10000]);
        }
        edits.extend([frames * delta, media, 0x10000]);
        let elst = boxed(
            b"elst",
            &[&[0u8; 4][..], &((edits.len() / 3) as u32).to_be_bytes(), &edits.iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<_>>()]
                .concat(),
        );
        [boxed(b"edts", &elst), boxed(b"mdia", &[mdhd, minf].concat())].concat()
    }

    #[test]
    fn a_key_time_past_the_video_is_its_last_frame_and_between_frames_the_nearest() {
        // 30 frames at 30 fps (20 units of 600): the last frame starts at 0.9667 s
        let t = trak(30, 20, 0, 0);
        assert!((on_a_frame(&t, 600, 1.268) - 29.0 / 30.0).abs() < 1e-9, "clamped to the last frame");
        assert!((on_a_frame(&t, 600, 0.51) - 0.5).abs() < 1e-9, "snapped to the frame at 0.5 s");
        assert_eq!(on_a_frame(&t, 600, -3.0), 0.0);
        // an empty edit of 0.1 s moves every frame later; an edit starting 2 frames in hides them
        let t = trak(30, 20, 60, 40);
        assert!((on_a_frame(&t, 600, 0.0) - 0.1).abs() < 1e-9, "the first frame shown: {}", on_a_frame(&t, 600, 0.0));
        assert!((on_a_frame(&t, 600, 2.0) - (0.1 + 27.0 / 30.0)).abs() < 1e-9, "{}", on_a_frame(&t, 600, 2.0));
    }

    #[test]
    fn unreadable_tables_leave_the_time_as_it_is() {
        assert_eq!(on_a_frame(b"junk", 600, 0.7), 0.7);
        let t = trak(30, 20, 0, 0);
        for cut in 0..t.len() {
            let _ = on_a_frame(&t[..cut], 600, 0.7);
        }
    }
}
