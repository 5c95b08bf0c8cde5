//! The command line's arguments as the library's plain values (`export`'s writers and options):
//! the only place the two meet. What a `convert` format takes, its defaults and its words come
//! from the format itself ([`crate::export::FORMATS`]); nothing here names a format.

use super::args::*;
use crate::export::{self, ClipOptions, Effect, JpegOut, LongExposureOut, Mp4Codec, Opt, OriginalOut, OutputOptions, Settings, Writer};

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
    /// The `--to` word as the formats spell it (the command line takes any case).
    fn word(&self) -> String {
        self.to.to_ascii_lowercase()
    }

    /// The options given that a format may take or not, each with the flag as it was typed.
    fn given(&self) -> Vec<(Opt, &'static str)> {
        let trim = [("--start", self.start.is_some()), ("--end", self.end.is_some()), ("--around-key", self.around_key.is_some())];
        let mut given = vec![
            (Opt::Codec, self.codec.is_some().then_some("--codec")),
            (Opt::Sdr, self.sdr.then_some("--sdr")),
            (Opt::Fps, self.fps.is_some().then_some("--fps")),
            (Opt::Width, self.width.is_some().then_some("--width")),
            (Opt::Quality, self.quality.is_some().then_some("--quality")),
            (Opt::MaxSize, self.max_size.is_some().then_some("--max-size")),
            (Opt::Effect, self.effect.is_some().then_some("--effect")),
        ];
        given.extend(trim.into_iter().map(|(flag, g)| (Opt::Trim, g.then_some(flag))));
        given.into_iter().filter_map(|(opt, flag)| flag.map(|f| (opt, f))).collect()
    }

    /// Every option given applies to the format, or it is a usage error in the format's own
    /// words (which formats take it, and why this one does not).
    pub fn check(&self) -> Result<(), String> {
        let word = self.word();
        let spec = export::FORMATS.iter().find(|s| s.word == word).ok_or_else(|| format!("--to {word}: no such format"))?;
        if let Some((opt, flag)) = self.given().into_iter().find(|(opt, _)| !spec.takes(*opt)) {
            let takers: Vec<&str> = export::FORMATS.iter().filter(|s| s.takes(opt)).map(|s| s.word).collect();
            return Err(format!("{flag} applies to --to {}, not --to {word}: {}", or_list(&takers), spec.refuses));
        }
        self.out.filter.check()
    }

    /// The format's writer, made with the options given (its own defaults for the others).
    pub fn writer(&self) -> Option<Box<dyn Writer>> {
        let codec = self.codec.map(|c| match c {
            CodecArg::Auto => Mp4Codec::Auto,
            CodecArg::Copy => Mp4Codec::Copy,
            CodecArg::H264 => Mp4Codec::H264,
        });
        let settings = Settings { codec, hdr: !self.sdr, fps: self.fps, width: self.width, quality: self.quality, max_size: self.max_size };
        export::writer_for(&self.word(), &settings)
    }

    /// What part of each clip plays, and how.
    pub fn clip(&self) -> ClipOptions {
        let effect = self.effect.map(|e| match e {
            EffectArg::Bounce => Effect::Bounce,
            EffectArg::Loop => Effect::Loop,
        });
        ClipOptions { effect, start: self.start, end: self.end, around_key: self.around_key }
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

impl ReportArgs {
    /// The page, its pictures' folder as the output folder, and what to make.
    pub fn options(&self) -> (export::ReportOptions, OutputOptions) {
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
        (export::ReportOptions { page, page_is_ours, thumb_px: 480, preview }, out)
    }
}

impl StillsArgs {
    /// `--sdr` is for JPEGs made here; the filters' own checks.
    pub fn check(&self) -> Result<(), String> {
        let jpeg = self.effect.is_none() && self.format == StillOutArg::Jpeg;
        if self.sdr && !jpeg {
            return Err("--sdr applies to --format jpeg: an original is copied as it is, a Long Exposure is SDR".into());
        }
        if self.quality.is_some() && !jpeg {
            return Err("--quality applies to --format jpeg: an original is copied as it is, byte for byte".into());
        }
        self.out.filter.check()
    }

    /// The writer of each still.
    pub fn writer(&self) -> Box<dyn Writer> {
        match (self.effect, self.format) {
            (Some(StillEffectArg::LongExposure), _) => Box::new(LongExposureOut),
            (None, StillOutArg::Original) => Box::new(OriginalOut),
            (None, StillOutArg::Jpeg) => Box::new(JpegOut { hdr: !self.sdr, quality: self.quality.unwrap_or(export::JPEG_QUALITY) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::or_list;

    #[test]
    fn words_are_listed_as_people_list_them() {
        assert_eq!(or_list(&["mp4"]), "mp4");
        assert_eq!(or_list(&["mp4", "motion-photo"]), "mp4 or motion-photo");
        assert_eq!(or_list(&["gif", "webp", "avif"]), "gif, webp or avif");
    }
}
