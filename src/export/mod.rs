//! `convert`, `stills` and `report`'s pictures: one output per Live Photo and [`Writer`] (a pair
//! of files, one stem, for `--to live-photo`), never over an input. This layer sits on `scan`
//! and below `report`; it takes plain options ([`OutputOptions`], [`ClipOptions`], a writer), a
//! [`Cancel`] flag and a [`Progress`] observer, and returns an [`Outcome`]: it never prints and
//! knows nothing of the CLI.
//!
//! The shape (docs/conventions.md "Where new work goes"): [`writer`] is the seam at the bottom,
//! what every output is given and returns; each output is a writer in a file of its own; the
//! [`runner`] runs any writer with the same rules (temporary names, the manifest, never over a
//! scanned file). This file only lists the `convert` formats ([`FORMATS`], the one place a new
//! format is named) and starts runs; no file below imports it.

mod animated;
mod apng;
mod control;
mod destination;
mod error;
mod filters;
mod frames;
mod gain_map;
mod gif;
mod heic;
mod icc;
mod jpeg;
mod jpeg_encode;
mod live;
mod location;
mod long_exposure;
mod lzw;
mod manifest;
mod memory;
mod motion;
mod mp4;
mod output;
mod palette;
mod pipeline;
mod run_options;
mod runner;
mod still;
mod still_exif;
mod still_writers;
mod ultrahdr;
mod video;
mod without_video;
mod writer;

pub use control::{Cancel, NoProgress, Progress, Ticker};
pub use error::{io_words, size_words, ExportError, JobError, OptionError};
pub use filters::Effect;
pub use gif::PreviewOut;
pub use jpeg_encode::QUALITY as JPEG_QUALITY;
pub use long_exposure::LongExposureOut;
pub use memory::tune_allocator;
pub use run_options::{ClipOptions, OutputOptions};
pub use runner::{Item, Outcome, Status, MAX_JOBS};
pub use still_writers::{JpegOut, OriginalOut, ThumbnailOut};
pub use writer::{ExportMeta, GifFit, Identifier, Input, Made, MadeOf, Mp4Codec, Opt, Reencoded, Settings, Spec, Writer};

use crate::scan::Library;
use output::Pending;
use runner::Run;
use std::path::{Path, PathBuf};

/// Lists the `convert` formats: each one's [`Spec`] (plain data, what the command line shows and
/// checks) with the function that makes its writer from the options given.
macro_rules! formats {
    ($($spec:path => $make:path),* $(,)?) => {
        /// Every `convert` format, in the order `--help` lists them.
        pub static FORMATS: &[&Spec] = &[$(&$spec),*];

        /// The writer of the format whose `--to` word is `word`, made with `settings` (its own
        /// defaults for the options not given); `None` for a word no format has.
        pub fn writer_for(word: &str, settings: &Settings) -> Option<Box<dyn Writer>> {
            $(if word == $spec.word {
                return Some($make(settings));
            })*
            None
        }
    };
}

formats! {
    mp4::SPEC => mp4::make,
    gif::SPEC => gif::make,
    motion::SPEC => motion::make,
    animated::WEBP => animated::make_webp,
    animated::AVIF => animated::make_avif,
    live::SPEC => live::make,
    apng::SPEC => apng::make,
}

/// Scans `paths` and writes each Live Photo as `writer` makes it under `out.dir`, the part of
/// its clip `clip` says played as it says.
pub fn convert(
    paths: &[PathBuf],
    writer: &dyn Writer,
    clip: &ClipOptions,
    out: &OutputOptions,
    cancel: &Cancel,
    progress: &dyn Progress,
) -> Result<Outcome, ExportError> {
    clip.validate(writer)?;
    run(paths, writer, clip.settings(writer), Some(clip), out, cancel, progress)
}

/// Scans `paths` and writes each Live Photo's still as `writer` makes it ([`OriginalOut`],
/// [`JpegOut`], [`LongExposureOut`]) under `out.dir`.
pub fn stills(
    paths: &[PathBuf],
    writer: &dyn Writer,
    out: &OutputOptions,
    cancel: &Cancel,
    progress: &dyn Progress,
) -> Result<Outcome, ExportError> {
    writer.check(false, false)?;
    run(paths, writer, writer.settings(), None, out, cancel, progress)
}

fn run(
    paths: &[PathBuf],
    writer: &dyn Writer,
    settings: String,
    clip: Option<&ClipOptions>,
    out: &OutputOptions,
    cancel: &Cancel,
    progress: &dyn Progress,
) -> Result<Outcome, ExportError> {
    let (lib, marker) = runner::prepare(paths, out, progress)?;
    let jobs = runner::plan(&lib, &out.dir, &[(writer, settings)]);
    let items = runner::run_all(jobs, &Run { out, marker: &marker, inputs: &lib.inputs, cancel, progress, clip });
    Ok(outcome(lib, items, out.dry_run, cancel))
}

fn outcome(library: Library, items: Vec<Item>, dry_run: bool, cancel: &Cancel) -> Outcome {
    Outcome { library, items, dry_run, cancelled: cancel.is_cancelled() }
}

/// What `report` makes for each Live Photo, beside its page.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The page (named by the report layer, `report::html::report_page`); its pictures go in
    /// the output folder beside it.
    pub page: PathBuf,
    /// The page is one livephoto wrote before (the report layer knows its signature): a re-run
    /// replaces it, even inside a scanned folder.
    pub page_is_ours: bool,
    /// Thumbnails' longer side, in pixels.
    pub thumb_px: u32,
    /// Animated GIF previews of the clips (rate and width), made as `convert --to gif` makes
    /// GIFs; `None` for thumbnails only.
    pub preview: Option<(f64, u32)>,
}

/// Scans `paths` and makes each Live Photo's thumbnail ([`ThumbnailOut`]) and, unless asked not
/// to, its animated preview ([`PreviewOut`]) in the output folder beside the page, with the
/// runner's rules (temporary files, manifest, never over a scanned file). For `n` Live Photos,
/// `items[i]` is the thumbnail of `library.live_photos[i]` and `items[n + i]` its preview. The
/// page itself is written by [`save_page`] once rendered.
pub fn report(
    paths: &[PathBuf],
    opts: &ReportOptions,
    out: &OutputOptions,
    cancel: &Cancel,
    progress: &dyn Progress,
) -> Result<Outcome, ExportError> {
    let thumb = ThumbnailOut { px: opts.thumb_px };
    let preview = opts.preview.map(|(fps, width)| PreviewOut::new(fps, width));
    let mut writers: Vec<(&dyn Writer, String)> = vec![(&thumb, thumb.settings())];
    if let Some(p) = &preview {
        writers.push((p, p.settings()));
    }
    for (w, _) in &writers {
        w.check(false, false)?;
    }
    let ours = opts.page_is_ours;
    if !out.overwrite && !ours && std::fs::symlink_metadata(&opts.page).is_ok() {
        return Err(ExportError::PageExists(opts.page.clone()));
    }
    // every check before anything is created: a refused page leaves no folder of pictures behind
    let mut lib = runner::scan_for(paths, out)?;
    if ours {
        // an earlier report inside a scanned folder was walked (and skipped: it is no photo),
        // but it is livephoto's own page, which a re-run replaces
        for id in [crate::walk::FileId::here(&opts.page), crate::walk::FileId::follow(&opts.page)].into_iter().flatten() {
            lib.inputs.remove(&id);
        }
    } else if crate::walk::is_one_of(&opts.page, &lib.inputs) {
        return Err(ExportError::PageIsInput(opts.page.clone()));
    }
    if let Some(parent) = opts.page.parent().filter(|p| !p.as_os_str().is_empty()) {
        if std::fs::metadata(parent).is_ok_and(|m| !m.is_dir()) {
            return Err(ExportError::OutputNotFolder(parent.to_path_buf()));
        }
    }
    let marker = runner::open_marker(out, progress)?;
    let jobs = runner::plan(&lib, &out.dir, &writers);
    let items = runner::run_all(jobs, &Run { out, marker: &marker, inputs: &lib.inputs, cancel, progress, clip: None });
    Ok(outcome(lib, items, false, cancel))
}

/// Writes the rendered page: to a temporary file beside it, renamed over the previous report
/// when complete; never over a scanned file.
pub fn save_page(page: &Path, html: &str, inputs: &std::collections::HashSet<crate::walk::FileId>) -> Result<(), JobError> {
    use std::io::Write;
    let mut pending = Pending::new(page)?;
    pending.file().write_all(html.as_bytes())?;
    pending.commit(true, None, inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4(codec: Mp4Codec) -> Box<dyn Writer> {
        writer_for("mp4", &Settings { codec: Some(codec), ..Settings::default() }).unwrap()
    }

    fn gif(fps: f64, width: u32, quality: Option<u8>) -> Box<dyn Writer> {
        writer_for("gif", &Settings { fps: Some(fps), width: Some(width), quality, ..Settings::default() }).unwrap()
    }

    #[test]
    fn nonsense_options_are_named() {
        let plain = ClipOptions::default();
        assert_eq!(plain.validate(&*mp4(Mp4Codec::Auto)), Ok(()));
        assert_eq!(ClipOptions { start: Some(1.0), ..plain }.validate(&*mp4(Mp4Codec::Copy)), Err(OptionError::CopyCannotTrim));
        let loop_ = ClipOptions { effect: Some(Effect::Loop), ..plain };
        assert_eq!(loop_.validate(&*mp4(Mp4Codec::Copy)), Err(OptionError::CopyCannotApplyEffect));
        let motion = writer_for("motion-photo", &Settings { codec: Some(Mp4Codec::Copy), hdr: true, ..Settings::default() }).unwrap();
        assert_eq!(ClipOptions { effect: Some(Effect::Bounce), ..plain }.validate(&*motion), Err(OptionError::CopyCannotApplyEffect));
        assert_eq!(loop_.validate(&*gif(15.0, 480, None)), Ok(()));
        assert_eq!(plain.validate(&*gif(0.0, 480, None)), Err(OptionError::Fps));
        assert_eq!(plain.validate(&*gif(15.0, 8, None)), Err(OptionError::Width));
        assert_eq!(plain.validate(&*gif(15.0, 480, Some(0))), Err(OptionError::Quality));
        let avif = writer_for("avif", &Settings { width: Some(5000), ..Settings::default() }).unwrap();
        assert_eq!(plain.validate(&*avif), Err(OptionError::Width));
        let live = writer_for("live-photo", &Settings::default()).unwrap();
        assert_eq!(ClipOptions { around_key: Some(0.5), ..plain }.validate(&*live), Err(OptionError::LivePhotoCopies));
        assert_eq!(ClipOptions { around_key: Some(f64::NAN), ..plain }.validate(&*mp4(Mp4Codec::Auto)), Err(OptionError::NegativeTime));
        assert_eq!(
            ClipOptions { start: Some(2.0), end: Some(1.0), ..plain }.validate(&*mp4(Mp4Codec::Auto)),
            Err(OptionError::EndBeforeStart)
        );
    }

    #[test]
    fn settings_name_the_format_and_the_clip() {
        let plain = ClipOptions::default();
        assert_eq!(
            plain.settings(&*gif(15.0, 480, None)),
            "gif: fps 15, width 480, quality 90, max-size -, effect -, start -, end -, around-key -"
        );
        assert_eq!(
            ClipOptions { start: Some(0.5), ..plain }.settings(&*mp4(Mp4Codec::Copy)),
            "mp4: codec copy, effect -, start 0.5, end -, around-key -"
        );
    }

    /// What `--help` says a format's defaults are is what its writer makes when the option is not
    /// given (the manifest's words name each setting: `fps 15`, `codec auto`).
    #[test]
    fn every_format_is_made_and_its_shown_defaults_are_its_own() {
        let mut words = std::collections::HashSet::new();
        for spec in FORMATS {
            assert!(words.insert(spec.word), "{} listed twice", spec.word);
            let writer = writer_for(spec.word, &Settings { hdr: true, ..Settings::default() })
                .unwrap_or_else(|| panic!("{} has no writer", spec.word));
            let settings = writer.settings();
            assert!(settings.starts_with(spec.word), "{settings}");
            for (opt, default) in spec.takes {
                if let Some(d) = default {
                    let word = opt.flag().trim_start_matches("--");
                    assert!(
                        settings.contains(&format!("{word} {d}")),
                        "{}: --help says {word} {d}, the writer makes {settings}",
                        spec.word
                    );
                }
            }
            assert!(!spec.refuses.is_empty() && !spec.help.is_empty());
        }
        assert!(writer_for("png", &Settings::default()).is_none());
    }
}
