//! The filter chain's words: the part of a clip to keep ([`Trim`]), and the libavfilter
//! filters that turn it upright, tone-map HDR to SDR and play it as the Photos app's effects.

use super::error::JobError;
use ff::Rational;
use ffmpeg_next as ff;

/// How the clip plays, as the Photos app's Live Photo effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Forward, then backward (the turn's frame not repeated); audio dropped.
    Bounce,
    /// A seamless loop: the clip's end cross-fades into its start; audio dropped.
    Loop,
}

/// Seconds of the clip to keep.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Trim {
    pub start: Option<f64>,
    pub end: Option<f64>,
}

impl Trim {
    pub fn is_set(&self) -> bool {
        self.start.is_some() || self.end.is_some()
    }

    /// "1.00–2.00 s", or "from 5.00 s to the end", for messages.
    fn range(&self) -> String {
        let start = self.start.unwrap_or(0.0);
        match self.end {
            Some(e) => format!("{start:.2}–{e:.2} s"),
            None => format!("from {start:.2} s to the end"),
        }
    }

    /// A range that starts at or past the clip's end is an error before any work.
    pub fn check(&self, clip_duration_s: f64) -> Result<(), JobError> {
        match self.start {
            Some(s) if clip_duration_s > 0.0 && s >= clip_duration_s => {
                Err(JobError::OutsideClip { range: self.range(), clip_s: clip_duration_s })
            }
            _ => Ok(()),
        }
    }

    /// The error for a range that turned out to hold no video frame.
    pub fn selects_nothing(&self, clip_duration_s: f64) -> JobError {
        if self.is_set() {
            JobError::NothingInRange { range: self.range(), clip_s: clip_duration_s }
        } else {
            JobError::NoFrames
        }
    }

    /// `trim=…,setpts=…` (or the audio twins), empty when not trimming.
    pub(super) fn filter(&self, audio: bool) -> String {
        if !self.is_set() {
            return String::new();
        }
        let mut args = Vec::new();
        if let Some(s) = self.start {
            args.push(format!("start={s:.6}"));
        }
        if let Some(e) = self.end {
            args.push(format!("end={e:.6}"));
        }
        let (t, p) = if audio { ("atrim", "asetpts") } else { ("trim", "setpts") };
        format!("{t}={},{p}=PTS-STARTPTS,", args.join(":"))
    }
}

/// The filters that play the clip as Photos' effects do (before the caller's pixel format):
/// - Bounce: forward, then reversed without the turn's frame (2n-1 frames, about twice as long).
/// - Loop: the last `d` seconds cross-fade into the first `d` (d = 0.4 s, at most a quarter of
///   the clip), so the loop's last frame leads into its first: the output starts at `d` and ends
///   on the frame at `d` (`len - d` seconds). A constant frame rate first: the fade needs one.
///   Frame `n` is then at n / rate, rounded: unrounded, 123/60 s in a 1/60 time base comes out
///   as 122.99… and truncates onto the frame before it (two frames at one time, which no muxer
///   takes), as it does at NTSC's 30000/1001.
pub(super) fn effect_filter(effect: Option<(Effect, f64)>, rate: Rational) -> Result<String, JobError> {
    match effect {
        None => Ok(String::new()),
        Some((Effect::Bounce, _)) => {
            Ok("split[fw][bw];[bw]reverse,trim=start_frame=1,setpts=PTS-STARTPTS[rv];[fw][rv]concat=n=2:v=1:a=0,".into())
        }
        Some((Effect::Loop, len)) => {
            let d = (len / 4.0).min(0.4);
            if d < 0.1 {
                return Err(JobError::Media(format!("a {len:.2} s clip is too short to loop")));
            }
            let fps = if rate.numerator() > 0 && rate.denominator() > 0 {
                format!("{}/{}", rate.numerator(), rate.denominator())
            } else {
                "30".into()
            };
            Ok(format!(
                "fps={fps},split[x][y];[x]trim=start={d:.3},setpts=PTS-STARTPTS[a];[y]trim=end={d:.3},setpts=PTS-STARTPTS[b];\
                 [a][b]xfade=transition=fade:duration={d:.3}:offset={:.3},setpts=round(N/FRAME_RATE/TB),",
                len - 2.0 * d
            ))
        }
    }
}

/// The filter that makes a clip upright: QuickTime display matrices rotate clockwise.
pub(super) fn rotation_filter(rotation: u16) -> &'static str {
    match rotation {
        90 => "transpose=clock,",
        180 => "hflip,vflip,",
        270 => "transpose=cclock,",
        _ => "",
    }
}

/// HLG and PQ (10-bit iPhone clips) tone-mapped to SDR BT.709, so they are not washed out.
pub(super) fn hdr_filter(trc: ff::color::TransferCharacteristic) -> &'static str {
    use ff::color::TransferCharacteristic as T;
    match trc {
        T::ARIB_STD_B67 | T::SMPTE2084 => {
            "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_outside_the_clip_or_without_a_frame_are_named() {
        let past = Trim { start: Some(3.0), end: None };
        assert!(matches!(past.check(2.5), Err(JobError::OutsideClip { clip_s, .. }) if clip_s == 2.5));
        assert!(Trim { start: Some(1.0), end: Some(1.01) }.check(2.5).is_ok(), "inside: decided by the frames");
        assert!(matches!(Trim { start: Some(1.0), end: Some(1.01) }.selects_nothing(2.5), JobError::NothingInRange { .. }));
        assert!(matches!(Trim::default().selects_nothing(2.5), JobError::NoFrames));
        assert_eq!(past.filter(false), "trim=start=3.000000,setpts=PTS-STARTPTS,");
    }
}
