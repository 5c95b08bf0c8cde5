//! `--to mp4`: the writer, and how its video is made (copied, or re-encoded to H.264 by
//! [`super::video`]).

use super::control::Ticker;
use super::error::{JobError, OptionError};
use super::video::to_mp4;
use super::writer::{Input, Made, Mp4Codec, Opt, Settings, Spec, Writer};
use std::fs::File;

/// `--to mp4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp4Out {
    pub codec: Mp4Codec,
}

/// What the command line knows of `--to mp4`.
pub const SPEC: Spec = Spec {
    word: "mp4",
    help: "An MP4 of the clip: H.264 copied, HEVC and HDR made 8-bit H.264 that plays everywhere (--codec)",
    takes: &[(Opt::Codec, Some("auto")), (Opt::Trim, None), (Opt::Effect, None)],
    refuses: "its video keeps the clip's size and frame rate",
};

/// The writer `--to mp4` makes of what the command line gave.
pub fn make(s: &Settings) -> Box<dyn Writer> {
    Box::new(Mp4Out { codec: s.codec.unwrap_or_default() })
}

impl Writer for Mp4Out {
    fn name(&self) -> (&'static str, &'static str) {
        ("", "mp4")
    }

    fn settings(&self) -> String {
        format!("mp4: codec {}", self.codec.word())
    }

    fn check(&self, trimmed: bool, effect: bool) -> Result<(), OptionError> {
        self.codec.check(trimmed, effect)
    }

    fn write(&self, input: &Input<'_>, out: &mut File, ticker: &Ticker<'_>) -> Result<Made, JobError> {
        let (frames, reencoded) = to_mp4((&*input.lp.clip).into(), out, input.meta, self.codec, input.trim, input.effect, ticker)?;
        Ok(Made { frames: Some(frames), reencoded, ..Made::default() })
    }
}
