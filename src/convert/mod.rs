//! `convert` and `stills`: one job per Live Photo, one output file per job, run in parallel,
//! each written to a temporary name and renamed when complete.

pub mod gif;
pub mod output;
pub mod pipeline;
pub mod still;
pub mod target;
pub mod video;

use crate::cli::{check_paths, FilterArgs};
use crate::meta::{CaptureTime, StillFormat};
use crate::report::paths::{escape, show};
use crate::report::progress::{self, Reporter};
use crate::report;
use crate::scan::{self, Library, LivePhoto};
use crate::walk::FileId;
use clap::{Args, ValueEnum};
use output::{JobError, Pending};
use pipeline::Trim;
use rayon::prelude::*;
use serde_json::json;
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use target::{Existing, Marker};
pub use video::Mp4Codec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Mp4,
    Gif,
}

#[derive(Args, Debug)]
pub struct CommonOut {
    /// Output folder; the layout below each scanned folder is kept. It must not be a scanned
    /// folder, above one, or hold scanned files; it gets a `.livephoto-export` marker, so it is
    /// never scanned as input.
    #[arg(short, long, value_name = "DIR", default_value = "livephoto-export")]
    pub output: PathBuf,
    /// Parallel jobs (default: number of cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Replace existing outputs (otherwise they are skipped: "already there", or "out of date"
    /// when their source changed since). A scanned file is never replaced.
    #[arg(long)]
    pub overwrite: bool,
    /// Print what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// No progress bar (the final summary line is still printed).
    #[arg(short, long)]
    pub quiet: bool,
    /// Print a JSON result per Live Photo on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Files or folders to scan, recursively. Symbolic links are followed (each file is read once;
    /// loops and dangling links are listed as notes); folders livephoto exported to are skipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// What to make of each Live Photo.
    #[arg(long, value_enum)]
    pub to: Target,
    /// MP4 video: copy the stream (auto, copy) or re-encode to H.264 (h264). `auto` re-encodes
    /// only when trimming needs exact cuts.
    #[arg(long, value_enum, default_value = "auto")]
    pub codec: Mp4Codec,
    /// GIF frames per second.
    #[arg(long, default_value_t = 15.0)]
    pub fps: f64,
    /// GIF width in pixels (height follows the aspect ratio).
    #[arg(long, default_value_t = 480)]
    pub width: u32,
    /// Start at this many seconds into the clip.
    #[arg(long, value_name = "S", conflicts_with = "around_key")]
    pub start: Option<f64>,
    /// End at this many seconds into the clip.
    #[arg(long, value_name = "S", conflicts_with = "around_key")]
    pub end: Option<f64>,
    /// Keep S seconds either side of the key photo (the moment the still was taken).
    #[arg(long, value_name = "S")]
    pub around_key: Option<f64>,
    #[command(flatten)]
    pub out: CommonOut,
}

#[derive(Args, Debug)]
pub struct StillsArgs {
    /// Files or folders to scan, recursively. Symbolic links are followed (each file is read once;
    /// loops and dangling links are listed as notes); folders livephoto exported to are skipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// `original` copies byte for byte; `jpeg` converts HEIC stills to JPEG (JPEGs are copied).
    #[arg(long, value_enum, default_value = "original")]
    pub format: StillOut,
    #[command(flatten)]
    pub out: CommonOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StillOut {
    Original,
    Jpeg,
}

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

/// The capture instant in UTC: the still's when its offset is known, else the clip's (whose
/// `creationdate` has an offset and whose `mvhd` is UTC), else the still's local time as UTC.
fn utc_capture(lp: &LivePhoto) -> Option<f64> {
    let s = lp.still.info.shot.captured_at;
    let c = lp.clip.info.shot.captured_at;
    s.and_then(|t| t.utc()).or_else(|| c.and_then(|t| t.utc())).or_else(|| s.or(c).map(|t| t.local))
}

#[derive(Debug, Clone, PartialEq)]
enum Status {
    Planned,
    Converted { frames: Option<u64> },
    /// Already there (exported from the same sources), or someone else's file.
    Skipped(String),
    /// Exported before, but its source changed since: redone only with `--overwrite`.
    Stale(String),
    Failed(String),
    Interrupted,
}

struct Job<'a> {
    lp: &'a LivePhoto,
    dest: PathBuf,
    /// Size and modification time of the sources, as the manifest records them.
    fingerprint: String,
}

struct Done<'a> {
    job: Job<'a>,
    status: Status,
}

/// Plans one output per Live Photo (see [`target`]): unique names, never a scanned file.
fn plan<'a>(lib: &'a Library, out_dir: &Path, name_of: impl Fn(&LivePhoto) -> OsString, sources: impl Fn(&LivePhoto) -> Vec<&Path>) -> Vec<Job<'a>> {
    let mut taken = HashSet::new();
    let mut jobs = Vec::new();
    for lp in &lib.live_photos {
        let first = target::mirrored(out_dir, &lp.still.root, &lp.still.path, &name_of(lp));
        let dest = target::free_name(first, &taken, &lib.inputs);
        taken.insert(dest.clone());
        jobs.push(Job { lp, dest, fingerprint: target::fingerprint(&sources(lp)) });
    }
    jobs
}

/// One job's work: write the output into the pending file, report frames; frames written if counted.
type Work<'a, 'w> = dyn Fn(&Job<'a>, &mut Pending, &dyn Fn(u64)) -> Result<Option<u64>, JobError> + Sync + 'w;
/// The modification time an output gets, seconds since 1970.
type MtimeOf<'a, 'w> = dyn Fn(&Job<'a>) -> Option<i64> + Sync + 'w;

/// What every job of one run shares.
struct Run<'r> {
    common: &'r CommonOut,
    marker: &'r Marker,
    inputs: &'r HashSet<FileId>,
}

/// Checks `-o` and the Ctrl-C handler (usage errors, before any work), scans, checks that the
/// output folder holds none of the scanned files, then opens its marker (created unless this
/// is a dry run).
fn prepare(common: &CommonOut, paths: &[PathBuf]) -> anyhow::Result<(Library, Marker)> {
    check_paths(paths)?;
    target::check_out_dir(&common.output, paths).map_err(|e| anyhow::anyhow!(e))?;
    let mut lib = scan::scan(paths);
    lib.apply(&common.filter.filter());
    target::check_out_dir_contents(&common.output, &lib.inputs).map_err(|e| anyhow::anyhow!(e))?;
    if !common.dry_run {
        output::install_ctrlc().map_err(|e| {
            anyhow::anyhow!("cannot install the Ctrl-C handler ({e}); not starting, as an interrupted export would leave temporary files")
        })?;
    }
    let marker = Marker::open(&common.output, !common.dry_run)
        .map_err(|e| anyhow::anyhow!("cannot prepare the output folder {}: {}", show(&common.output), output::io_words(&e)))?;
    Ok((lib, marker))
}

/// Runs `work` for each job on `jobs` threads, reporting progress; never more than one output per job.
fn run_all<'a>(jobs: Vec<Job<'a>>, run: &Run<'_>, work: &Work<'a, '_>, mtime_of: &MtimeOf<'a, '_>) -> Vec<Done<'a>> {
    let reporter = progress::reporter(jobs.len() as u64, run.common.quiet || run.common.json);
    let threads = run.common.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
    let one = |(i, job): (usize, Job<'a>)| {
        let status = run_one(i, &job, run, work, mtime_of, reporter.as_ref());
        if let Status::Failed(e) = &status {
            reporter.println(&format!("livephoto: {}: {}", show(&job.lp.clip.path), escape(e)));
        }
        Done { job, status }
    };
    let indexed: Vec<(usize, Job<'a>)> = jobs.into_iter().enumerate().collect();
    match pool {
        Ok(pool) => pool.install(|| indexed.into_par_iter().map(one).collect()),
        Err(_) => indexed.into_iter().map(one).collect(),
    }
}

/// Why an existing target is left alone (no `--overwrite`).
fn kept(run: &Run<'_>, job: &Job<'_>) -> Status {
    match run.marker.existing(&job.dest, &job.fingerprint) {
        Existing::Current => Status::Skipped("already there".into()),
        Existing::Stale => Status::Stale("out of date: its source changed since it was exported (--overwrite redoes it)".into()),
        Existing::Foreign => Status::Skipped("exists (use --overwrite to replace it)".into()),
    }
}

fn run_one<'a>(i: usize, job: &Job<'a>, run: &Run<'_>, work: &Work<'a, '_>, mtime_of: &MtimeOf<'a, '_>, reporter: &dyn Reporter) -> Status {
    if output::cancelled() {
        return Status::Interrupted;
    }
    let exists = std::fs::symlink_metadata(&job.dest).is_ok();
    if exists && !run.common.overwrite {
        reporter.finished(i);
        return kept(run, job);
    }
    if run.common.dry_run {
        return Status::Planned;
    }
    reporter.started(i, &show(Path::new(job.dest.file_name().unwrap_or_default())));
    let tick = |n: u64| reporter.frames(i, n);
    let result = Pending::new(&job.dest).and_then(|mut pending| {
        let frames = work(job, &mut pending, &tick)?;
        pending.commit(run.common.overwrite, mtime_of(job).and_then(output::system_time), run.inputs)?;
        Ok(frames)
    });
    reporter.finished(i);
    match result {
        Ok(frames) => match run.marker.record(&job.dest, &job.fingerprint) {
            Ok(()) => Status::Converted { frames },
            Err(e) => Status::Failed(format!("written, but the export manifest could not be updated: {}", output::io_words(&e))),
        },
        Err(JobError::Cancelled) => Status::Interrupted,
        Err(JobError::Failed(e)) => Status::Failed(e),
    }
}

/// Prints results (JSON or lines), the summary, and returns the exit code. A closed stdout
/// comes back as an error (main exits quietly).
fn finish(done: &[Done<'_>], lib: &Library, common: &CommonOut, verb: &str) -> std::io::Result<u8> {
    for e in &lib.errors {
        report::stderr_line(&format!("livephoto: {}: {}", show(&e.path), escape(&e.error)));
    }
    for n in &lib.notes {
        report::stderr_line(&format!("livephoto: {}: {}", show(&n.path), n.note));
    }
    let count = |f: fn(&Status) -> bool| done.iter().filter(|d| f(&d.status)).count();
    let converted = count(|s| matches!(s, Status::Converted { .. }));
    let skipped = count(|s| matches!(s, Status::Skipped(_)));
    let stale = count(|s| matches!(s, Status::Stale(_)));
    let failed = count(|s| matches!(s, Status::Failed(_)));
    let interrupted = count(|s| matches!(s, Status::Interrupted));
    if common.json {
        let results: Vec<_> = done.iter().map(result_json).collect();
        let doc = json!({"schema_version": report::json::SCHEMA_VERSION, "results": results, "converted": converted, "skipped": skipped, "out_of_date": stale, "failed": failed,
                          "interrupted": interrupted, "scan_errors": lib.errors.iter().map(crate::report::json::error).collect::<Vec<_>>()});
        report::stdout_json(&doc)?;
    } else if common.dry_run {
        let mut lines = String::new();
        for d in done.iter().filter(|d| d.status == Status::Planned) {
            lines.push_str(&format!("{} -> {}\n", show(&d.job.lp.clip.path), show(&d.job.dest)));
        }
        report::stdout(&lines)?;
    }
    let mut line = format!("{verb} {converted}, skipped {skipped} (already there), failed {failed}");
    if common.dry_run {
        line = format!("would write {}, skipped {skipped} (already there)", count(|s| *s == Status::Planned));
    }
    if stale > 0 {
        line.push_str(&format!(", out of date {stale} (their source changed; --overwrite redoes them)"));
    }
    if interrupted > 0 {
        line.push_str(&format!(", interrupted {interrupted} (temporary files removed)"));
    }
    if !lib.errors.is_empty() {
        line.push_str(&format!("; {} file(s) could not be read", lib.errors.len()));
    }
    report::stderr_line(&line);
    Ok(if interrupted > 0 || output::cancelled() {
        130
    } else if failed > 0 || !lib.errors.is_empty() {
        1
    } else {
        0
    })
}

fn result_json(d: &Done<'_>) -> serde_json::Value {
    let (status, frames, error) = match &d.status {
        Status::Planned => ("planned", None, None),
        Status::Converted { frames } => ("converted", *frames, None),
        Status::Skipped(why) => ("skipped", None, Some(why.clone())),
        Status::Stale(why) => ("out_of_date", None, Some(why.clone())),
        Status::Failed(e) => ("failed", None, Some(e.clone())),
        Status::Interrupted => ("interrupted", None, None),
    };
    let v = json!({"status": status, "frames": frames, "error": error});
    report::json::with_paths(v, &[("still", &d.job.lp.still.path), ("clip", &d.job.lp.clip.path), ("output", &d.job.dest)])
}

impl ConvertArgs {
    /// Flags that make no sense together are usage errors (exit 2), found before any work.
    fn validate(&self) -> anyhow::Result<()> {
        let trims = self.start.is_some() || self.end.is_some() || self.around_key.is_some();
        if self.to == Target::Mp4 && self.codec == Mp4Codec::Copy && trims {
            anyhow::bail!("--codec copy cannot cut exactly; use --codec auto or h264 to trim");
        }
        if !(self.fps > 0.0 && self.fps <= 60.0) {
            anyhow::bail!("--fps must be above 0 and at most 60");
        }
        if !(16..=4096).contains(&self.width) {
            anyhow::bail!("--width must be between 16 and 4096");
        }
        for v in [self.start, self.end, self.around_key].into_iter().flatten() {
            if !(v.is_finite() && v >= 0.0) {
                anyhow::bail!("times must be zero or more seconds");
            }
        }
        if let (Some(s), Some(e)) = (self.start, self.end) {
            if e <= s {
                anyhow::bail!("--end must be after --start");
            }
        }
        Ok(())
    }

    fn trim_for(&self, lp: &LivePhoto) -> Trim {
        match self.around_key {
            Some(s) => {
                let key = lp.clip.info.key_time_s.unwrap_or(lp.clip.info.duration_s / 2.0);
                Trim { start: Some((key - s).max(0.0)), end: Some(key + s) }
            }
            None => Trim { start: self.start, end: self.end },
        }
    }
}

pub fn run_convert(args: &ConvertArgs) -> anyhow::Result<u8> {
    args.validate()?;
    let (lib, marker) = prepare(&args.out, &args.paths)?;
    let ext = match args.to {
        Target::Mp4 => "mp4",
        Target::Gif => "gif",
    };
    let jobs = plan(&lib, &args.out.output, |lp| target::name_with(&lp.still.path, "", ext), |lp| vec![&lp.still.path, &lp.clip.path]);
    let gif_opts = gif::GifOptions::new(args.fps, args.width);
    let work = |job: &Job<'_>, pending: &mut Pending, tick: &dyn Fn(u64)| -> Result<Option<u64>, JobError> {
        let meta = ExportMeta::of(job.lp);
        let trim = args.trim_for(job.lp);
        trim.check(job.lp.clip.info.duration_s)?;
        let frames = match args.to {
            Target::Mp4 => video::to_mp4(&job.lp.clip.path, pending.file(), &meta, args.codec, trim, tick)?,
            Target::Gif => gif::to_gif(&job.lp.clip.path, pending.file(), meta.rotation, trim, &gif_opts, tick)?,
        };
        if frames == 0 {
            return Err(JobError::Failed(trim.selects_nothing(job.lp.clip.info.duration_s)));
        }
        Ok(Some(frames))
    };
    let mtime = |job: &Job<'_>| ExportMeta::of(job.lp).mtime;
    let run = Run { common: &args.out, marker: &marker, inputs: &lib.inputs };
    let done = run_all(jobs, &run, &work, &mtime);
    Ok(finish(&done, &lib, &args.out, "converted")?)
}

pub fn run_stills(args: &StillsArgs) -> anyhow::Result<u8> {
    let (lib, marker) = prepare(&args.out, &args.paths)?;
    let format = args.format;
    let name = |lp: &LivePhoto| match (format, lp.still.format) {
        (StillOut::Jpeg, StillFormat::Heif) => target::name_with(&lp.still.path, "", "jpg"),
        _ => lp.still.path.file_name().map(|n| n.to_os_string()).unwrap_or_default(),
    };
    let jobs = plan(&lib, &args.out.output, name, |lp| vec![&lp.still.path]);
    let work = |job: &Job<'_>, pending: &mut Pending, _tick: &dyn Fn(u64)| -> Result<Option<u64>, JobError> {
        match format {
            StillOut::Original => still::copy(&job.lp.still.path, pending.file()).map(|_| None),
            StillOut::Jpeg => still::to_jpeg(&job.lp.still.path, job.lp.still.format, pending.file()).map(|_| None),
        }
    };
    // A byte-identical copy keeps the original's modification time; a conversion gets the capture time.
    let mtime = |job: &Job<'_>| match (format, job.lp.still.format) {
        (StillOut::Jpeg, StillFormat::Heif) => ExportMeta::of(job.lp).mtime,
        _ => file_mtime(&job.lp.still.path),
    };
    let run = Run { common: &args.out, marker: &marker, inputs: &lib.inputs };
    let done = run_all(jobs, &run, &work, &mtime);
    Ok(finish(&done, &lib, &args.out, "copied")?)
}

fn file_mtime(p: &Path) -> Option<i64> {
    let t = std::fs::metadata(p).ok()?.modified().ok()?;
    t.duration_since(std::time::UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_secs()).ok())
}
