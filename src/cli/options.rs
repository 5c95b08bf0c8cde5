//! The command line's arguments as the library's plain option values (`export`'s
//! `ConvertOptions`, `OutputOptions`, `StillOut`, `ReportOptions`): the only place the two meet.

use super::args::*;
use crate::export::{ConvertOptions, Mp4Codec, OutputOptions, StillOut, Target};

impl CommonOut {
    pub fn options(&self) -> OutputOptions {
        OutputOptions {
            dir: self.output.clone(),
            jobs: self.jobs,
            overwrite: self.overwrite,
            dry_run: self.dry_run,
            pairing: self.filter.pairing(),
            filter: self.filter.filter(),
        }
    }
}

impl ConvertArgs {
    pub fn options(&self) -> ConvertOptions {
        use crate::export::{Animated, AnimatedOut, GifOut, LivePhotoOut, MotionPhoto, Mp4};
        let codec = match self.codec.unwrap_or(CodecArg::Auto) {
            CodecArg::Auto => Mp4Codec::Auto,
            CodecArg::Copy => Mp4Codec::Copy,
            CodecArg::H264 => Mp4Codec::H264,
        };
        let (fps, width, quality) = (self.fps.unwrap_or(15.0), self.width.unwrap_or(480), self.quality);
        let animated = |kind| Target::Animated(AnimatedOut { kind, fps, width, quality });
        let to = match self.to {
            TargetArg::Mp4 => Target::Mp4(Mp4 { codec }),
            TargetArg::MotionPhoto => Target::MotionPhoto(MotionPhoto { codec, hdr: !self.sdr }),
            TargetArg::Gif => Target::Gif(GifOut { fps, width, quality, max_size: self.max_size }),
            TargetArg::Webp => animated(Animated::WebP),
            TargetArg::Avif => animated(Animated::Avif),
            TargetArg::LivePhoto => Target::LivePhoto(LivePhotoOut),
        };
        let effect = self.effect.map(|e| match e {
            EffectArg::Bounce => crate::export::Effect::Bounce,
            EffectArg::Loop => crate::export::Effect::Loop,
        });
        ConvertOptions { to, effect, start: self.start, end: self.end, around_key: self.around_key }
    }
}

impl ReportArgs {
    /// The page, its pictures' folder as the output folder, and what to make.
    pub fn options(&self) -> (crate::export::ReportOptions, OutputOptions) {
        let page = crate::report::html::report_page(&self.output);
        let out = OutputOptions {
            dir: crate::report::html::report_assets(&page),
            jobs: self.jobs,
            overwrite: self.overwrite,
            dry_run: false,
            pairing: self.filter.pairing(),
            filter: self.filter.filter(),
        };
        let preview = (!self.no_previews).then_some((self.preview_fps, self.preview_width));
        let page_is_ours = crate::report::html::is_report_page(&page);
        (crate::export::ReportOptions { page, page_is_ours, thumb_px: 480, preview }, out)
    }
}

impl StillsArgs {
    /// `--sdr` is for JPEGs made here; the filters' own checks.
    pub fn check(&self) -> Result<(), String> {
        if self.sdr && !matches!(self.still_out(), StillOut::Jpeg { .. }) {
            return Err("--sdr applies to --format jpeg: an original is copied as it is, a Long Exposure is SDR".into());
        }
        self.out.filter.check()
    }

    pub fn still_out(&self) -> StillOut {
        match (self.effect, self.format) {
            (Some(StillEffectArg::LongExposure), _) => StillOut::LongExposure,
            (None, StillOutArg::Original) => StillOut::Original,
            (None, StillOutArg::Jpeg) => StillOut::Jpeg { hdr: !self.sdr },
        }
    }
}
