//! `--to mp4`: the writer, and how its video is made (copied, or re-encoded to H.264 by
//! [`super::video`]).

use super::control::Ticker;
use super::error::{JobError, OptionError};
use super::made::{Clip, Made, Writer};
use super::video::to_mp4;
use std::fs::File;

/// How an MP4's video is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mp4Codec {
    /// An MP4 that plays everywhere: copy H.264, re-encode anything else (or a trimmed clip) to
    /// 8-bit H.264.
    Auto,
    /// Copy the video stream untouched.
    Copy,
    /// Re-encode to H.264 (for players without HEVC).
    H264,
}

impl Mp4Codec {
    /// `auto`, `copy`, `h264`.
    pub fn word(self) -> &'static str {
        match self {
            Mp4Codec::Auto => "auto",
            Mp4Codec::Copy => "copy",
            Mp4Codec::H264 => "h264",
        }
    }

    /// A copy cannot cut exactly nor play an effect.
    pub fn check(self, trimmed: bool, effect: bool) -> Result<(), OptionError> {
        match (self, trimmed, effect) {
            (Mp4Codec::Copy, true, _) => Err(OptionError::CopyCannotTrim),
            (Mp4Codec::Copy, _, true) => Err(OptionError::CopyCannotApplyEffect),
            _ => Ok(()),
        }
    }
}

/// `--to mp4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp4 {
    pub codec: Mp4Codec,
}

impl Writer for Mp4 {
    fn name(&self) -> (&'static str, &'static str) {
        ("", "mp4")
    }

    fn settings(&self) -> String {
        format!("mp4: codec {}", self.codec.word())
    }

    fn check(&self, trimmed: bool, effect: bool) -> Result<(), OptionError> {
        self.codec.check(trimmed, effect)
    }

    fn write(&self, clip: &Clip<'_>, out: &mut File, ticker: &Ticker<'_>) -> Result<Made, JobError> {
        let (frames, reencoded) = to_mp4((&*clip.lp.clip).into(), out, clip.meta, self.codec, clip.trim, clip.effect, ticker)?;
        Ok(Made { frames, reencoded, ..Made::default() })
    }
}

