//! `convert` and `stills`: one output per Live Photo (a pair of files, one stem, for
//! `--to live-photo`), never over an input. This layer sits on
//! `scan` and below `report`; it takes plain [`options`], a [`Cancel`] flag and a [`Progress`]
//! observer, and returns an [`Outcome`]: it never prints and knows nothing of the CLI.
//!
//! Where things go: a new output format is a [`Writer`] in a file of its own (its name,
//! settings, checks and `write`; a second file of the same stem through `companion`), a
//! [`Target`] variant with its arm in [`Target::writer`], and the CLI's value; the runner, naming,
//! manifest and safety rules come with it.

mod animated;
mod control;
mod error;
mod filters;
mod frames;
mod gain_map;
mod gif;
mod icc;
mod jpeg;
mod live;
mod location;
mod made;
mod long_exposure;
mod lzw;
mod motion;
mod mp4;
mod options;
mod output;
mod palette;
mod pipeline;
mod runner;
mod still;
mod ultrahdr;
mod target;
mod video;
mod without_video;

pub use control::{Cancel, NoProgress, Progress, Ticker};
pub use error::size_words;
pub use error::{io_words, ExportError, JobError, OptionError};
pub use gif::{GifOptions, GifQuality};
pub use made::{GifFit, Identifier, Reencoded};
pub use options::{
    Animated, AnimatedOut, ConvertOptions, Effect, GifOut, LivePhotoOut, MotionPhoto, Mp4, Mp4Codec, OutputOptions, StillOut, Target, Writer,
};
pub use runner::{tune_allocator, Item, Outcome, Status, MAX_JOBS};

use crate::meta::{CaptureTime, StillFormat};
use crate::scan::LivePhoto;
use output::Pending;
use runner::{Done, Job, Run};
use std::path::{Path, PathBuf};

/// What an output carries over from the Live Photo.
#[derive(Debug, Clone, Default)]
pub struct ExportMeta {
    /// MP4 `creation_time`: UTC, "2021-04-10T10:44:00.000000Z".
    pub creation_time: Option<String>,
    pub mtime: Option<i64>,
    pub location: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub rotation: u16,
}

impl ExportMeta {
    pub fn of(lp: &LivePhoto) -> Self {
        let utc = utc_capture(lp);
        ExportMeta {
            creation_time: utc.map(|u| {
                let t = CaptureTime { local: u, offset_s: Some(0) }.to_rfc3339();
                format!("{}.000000Z", t.trim_end_matches('Z'))
            }),
            mtime: utc.map(|u| u.floor() as i64),
            location: lp.location().map(|g| g.to_iso6709()),
            make: lp.make().map(String::from),
            model: lp.model().map(String::from),
            rotation: lp.clip.info.video.as_ref().map_or(0, |v| v.rotation),
        }
    }
}

/// The capture instant in UTC: the Live Photo's time when its offset is known (the still's own,
/// or the clip's offset on the still's local time), else the clip's instant (its `creationdate`
/// has an offset, its `mvhd` is UTC), else the still's local time as UTC.
fn utc_capture(lp: &LivePhoto) -> Option<f64> {
    let (s, c) = (lp.still.info.shot.captured_at, lp.clip.info.shot.captured_at);
    lp.captured_at().and_then(|t| t.utc()).or_else(|| c.and_then(|t| t.utc())).or_else(|| s.or(c).map(|t| t.local))
}

/// Scans `paths` and writes each Live Photo's clip as an MP4 or GIF under `out.dir`.
pub fn convert(
    paths: &[PathBuf],
    opts: &ConvertOptions,
    out: &OutputOptions,
    cancel: &Cancel,
    progress: &dyn Progress,
) -> Result<Outcome, ExportError> {
    opts.validate()?;
    let (lib, marker) = runner::prepare(paths, out, progress)?;
    let writer = opts.to.writer();
    let (suffix, ext) = writer.name();
    let settings = opts.settings();
    let name = |lp: &LivePhoto| target::name_with(&lp.still.path, suffix, ext);
    let jobs = runner::plan(&lib, &out.dir, name, |lp| writer.companion(lp), |lp| vec![&lp.still.path, &lp.clip.path], writer.made_of(), &settings);
    let work = |job: &Job<'_>, pending: &mut Pending, second: Option<&mut Pending>, ticker: &Ticker<'_>| -> Result<Done, JobError> {
        let meta = ExportMeta::of(job.lp);
        let trim = opts.trim_for(job.lp);
        let clip_s = job.lp.clip.info.duration_s;
        trim.check(clip_s)?;
        let kept_s = trim.end.unwrap_or(clip_s).min(clip_s) - trim.start.unwrap_or(0.0);
        let effect = opts.effect.map(|e| (e, kept_s));
        let clip = made::Clip { lp: job.lp, meta: &meta, trim, effect, identifier: writer.identifier(job.lp) };
        if let Some(second) = second {
            writer.write_companion(&clip, second.file())?;
        }
        let made = writer.write(&clip, pending.file(), ticker)?;
        if made.frames == 0 {
            return Err(trim.selects_nothing(clip_s));
        }
        Ok(Done { frames: Some(made.frames), reencoded: made.reencoded, fitted: made.fitted, identifier: made.identifier, note: made.note })
    };
    let mtime = |job: &Job<'_>| ExportMeta::of(job.lp).mtime;
    let describe = |lp: &LivePhoto| writer.identifier(lp);
    let run = Run { out, marker: &marker, inputs: &lib.inputs, cancel, progress, describe: &describe };
    let items = runner::run_all(jobs, &run, &work, &mtime);
    Ok(Outcome { library: lib, items, dry_run: out.dry_run, cancelled: cancel.is_cancelled() })
}

/// Scans `paths` and writes each Live Photo's still under `out.dir`: byte for byte, or HEIC
/// converted to JPEG.
pub fn stills(
    paths: &[PathBuf],
    format: StillOut,
    out: &OutputOptions,
    cancel: &Cancel,
    progress: &dyn Progress,
) -> Result<Outcome, ExportError> {
    let (lib, marker) = runner::prepare(paths, out, progress)?;
    let converts = |lp: &LivePhoto| match format {
        StillOut::Original => false,
        StillOut::Jpeg { hdr } => still::converts_to_jpeg(&lp.still, hdr),
        StillOut::LongExposure => true,
    };
    let name = |lp: &LivePhoto| {
        if format == StillOut::LongExposure {
            // a picture of its own, never the still's name: `stills` into the same folder keeps both
            return target::name_with(&lp.still.path, "-long-exposure", "jpg");
        }
        let written = if converts(lp) { StillFormat::Jpeg } else { lp.still.format };
        target::still_name(&lp.still.path, written, lp.still.info.extra_at().is_some())
    };
    // a Long Exposure is made of the clip (the failure it meets is the clip's) and the still's EXIF
    fn sources(format: StillOut, lp: &LivePhoto) -> Vec<&Path> {
        match format {
            StillOut::LongExposure => vec![lp.still.path.as_path(), lp.clip.path.as_path()],
            StillOut::Original | StillOut::Jpeg { .. } => vec![lp.still.path.as_path()],
        }
    }
    let made_of = if format == StillOut::LongExposure { made::MadeOf::Clip } else { made::MadeOf::Still };
    let jobs = runner::plan(&lib, &out.dir, name, |_| None, |lp| sources(format, lp), made_of, &format.settings());
    let work = |job: &Job<'_>, pending: &mut Pending, _: Option<&mut Pending>, ticker: &Ticker<'_>| -> Result<Done, JobError> {
        match format {
            StillOut::Original => still::copy(&job.lp.still, pending.file()).map(|_| Done::default()),
            StillOut::Jpeg { hdr } => still::to_jpeg(&job.lp.still, pending.file(), hdr).map(|note| Done { note, ..Done::default() }),
            StillOut::LongExposure => {
                long_exposure::write(job.lp, pending.file(), ticker).map(|n| Done { frames: Some(n), ..Done::default() })
            }
        }
    };
    // A byte-identical copy keeps the original's modification time; a conversion gets the capture time.
    let mtime = |job: &Job<'_>| match converts(job.lp) {
        true => ExportMeta::of(job.lp).mtime,
        false => file_mtime(&job.lp.still.path),
    };
    let run = Run { out, marker: &marker, inputs: &lib.inputs, cancel, progress, describe: &|_| None };
    let items = runner::run_all(jobs, &run, &work, &mtime);
    Ok(Outcome { library: lib, items, dry_run: out.dry_run, cancelled: cancel.is_cancelled() })
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

/// Scans `paths` and makes each Live Photo's thumbnail (`.jpg`) and, unless asked not to, its
/// animated preview (`.gif`) in the output folder beside the page, in parallel, with the runner's rules
/// (temporary files, manifest, never over a scanned file). For `n` Live Photos, `items[i]` is
/// the thumbnail of `library.live_photos[i]` and `items[n + i]` its preview. The page itself is
/// written by [`save_page`] once rendered.
pub fn report(
    paths: &[PathBuf],
    opts: &ReportOptions,
    out: &OutputOptions,
    cancel: &Cancel,
    progress: &dyn Progress,
) -> Result<Outcome, ExportError> {
    if let Some((fps, width)) = opts.preview {
        gif::check_frames(fps, width, None)?;
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
    // a report's pictures are remade when their sources change, whatever the settings were
    let thumb = |lp: &LivePhoto| target::name_with(&lp.still.path, "", "jpg");
    let mut jobs = runner::plan(&lib, &out.dir, thumb, |_| None, |lp| vec![&lp.still.path], made::MadeOf::Still, "");
    if opts.preview.is_some() {
        let preview = |lp: &LivePhoto| target::name_with(&lp.still.path, "", "gif");
        jobs.extend(runner::plan(&lib, &out.dir, preview, |_| None, |lp| vec![&lp.clip.path], made::MadeOf::Clip, ""));
    }
    let work = |job: &Job<'_>, pending: &mut Pending, _: Option<&mut Pending>, ticker: &Ticker<'_>| -> Result<Done, JobError> {
        match (opts.preview, job.dest.extension().is_some_and(|e| e == "gif")) {
            (Some((fps, width)), true) => {
                let rotation = job.lp.clip.info.video.as_ref().map_or(0, |v| v.rotation);
                // never wider than the clip shows (the scale filter's own rule: no upscaled bytes)
                let gif_opts = GifOptions::new(fps, width);
                let frames = gif::to_gif((&*job.lp.clip).into(), pending.file(), rotation, pipeline::Trim::default(), &gif_opts, ticker)?;
                match frames {
                    0 => Err(JobError::NoFrames),
                    n => Ok(Done { frames: Some(n), ..Done::default() }),
                }
            }
            _ => still::thumbnail(&job.lp.still, opts.thumb_px, pending.file()).map(|()| Done::default()),
        }
    };
    let run = Run { out, marker: &marker, inputs: &lib.inputs, cancel, progress, describe: &|_| None };
    let items = runner::run_all(jobs, &run, &work, &|_| None);
    Ok(Outcome { library: lib, items, dry_run: false, cancelled: cancel.is_cancelled() })
}

/// Writes the rendered page: to a temporary file beside it, renamed over the previous report
/// when complete; never over a scanned file.
pub fn save_page(page: &Path, html: &str, inputs: &std::collections::HashSet<crate::walk::FileId>) -> Result<(), JobError> {
    use std::io::Write;
    let mut pending = Pending::new(page)?;
    pending.file().write_all(html.as_bytes())?;
    pending.commit(true, None, inputs)
}

fn file_mtime(p: &Path) -> Option<i64> {
    let t = std::fs::metadata(p).ok()?.modified().ok()?;
    t.duration_since(std::time::UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_secs()).ok())
}
