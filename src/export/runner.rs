//! The one job runner behind `convert`, `stills` and `report`: checks `-o` and scans (before any
//! work), plans one output per Live Photo and writer (with a companion file of the same stem,
//! when the writer has one), runs the jobs in parallel, each writer handed its [`Input`] and its
//! output written into temporary files that are renamed when all are complete, and returns what
//! became of each as an [`Outcome`]. It knows no format: what differs is the writer's.

use super::control::{Cancel, Progress, Ticker};
use super::destination::{self as dest};
use super::error::{ExportError, JobError};
use super::manifest::{Existing, Marker};
use super::memory::release_memory;
use super::output::{self, Pending};
use super::run_options::{ClipOptions, OutputOptions};
use super::writer::{ExportMeta, Identifier, Input, Made, Writer};
use crate::scan::{self, Library, LivePhoto};
use crate::walk::FileId;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What became of one Live Photo.
#[derive(Debug)]
pub enum Status {
    /// Would be written (a dry run), with the identifier it would get (`--to live-photo`).
    Planned {
        identifier: Option<Identifier>,
    },
    /// Written: what the writer made and reported, the bytes in and out with it.
    Written(Made),
    /// Exported before from the same sources: left as it is.
    AlreadyThere,
    /// A file livephoto did not write is at the target: kept (`--overwrite` replaces it).
    Exists,
    /// Exported before, but a source changed since: redone only with `--overwrite`.
    OutOfDate,
    /// Exported before from the same sources with other settings (these): redone only with
    /// `--overwrite`.
    OtherSettings(String),
    Failed(JobError),
    /// Stopped part-way by Ctrl-C: its temporary files removed.
    Interrupted,
    /// Never started: Ctrl-C came first.
    NotStarted,
}

/// One Live Photo's export.
#[derive(Debug)]
pub struct Item {
    pub still: PathBuf,
    pub clip: PathBuf,
    pub output: PathBuf,
    /// A second output written with the first under the same stem (a Live Photo's still).
    pub companion: Option<PathBuf>,
    /// The source the output is made from (the clip of a video, the still of a picture).
    pub from: PathBuf,
    pub status: Status,
}

impl Item {
    /// The content identifier written, or that a dry run would write (`--to live-photo`).
    pub fn identifier(&self) -> Option<&Identifier> {
        match &self.status {
            Status::Planned { identifier } => identifier.as_ref(),
            Status::Written(made) => made.identifier.as_ref(),
            _ => None,
        }
    }

    /// The file a failure is about: the one its error names, else the source it was made from.
    pub fn at_fault(&self) -> &Path {
        match &self.status {
            Status::Failed(e) => e.file().unwrap_or(&self.from),
            _ => &self.from,
        }
    }
}

/// A whole run: the scan it worked from (its unreadable files and notes) and every item.
#[derive(Debug)]
pub struct Outcome {
    pub library: Library,
    pub items: Vec<Item>,
    pub dry_run: bool,
    /// The run was cancelled (Ctrl-C) before every item was done.
    pub cancelled: bool,
}

impl Outcome {
    pub fn count(&self, f: impl Fn(&Status) -> bool) -> usize {
        self.items.iter().filter(|i| f(&i.status)).count()
    }
}

/// One planned output.
pub(super) struct Job<'a> {
    pub lp: &'a LivePhoto,
    pub writer: &'a dyn Writer,
    pub dest: PathBuf,
    /// Written with `dest`, under the same stem.
    pub companion: Option<PathBuf>,
    /// Size and modification time of the sources, and the settings, as the manifest records them.
    fingerprint: String,
    /// The last of the sources: the one a failure is about unless its error names another.
    from: PathBuf,
    /// Bytes of what the output is made from (see [`super::writer::MadeOf::bytes`]).
    bytes_in: u64,
}

/// Checks `-o` (before any work), scans, checks that the output folder holds none of the
/// scanned files, then opens its marker (created unless this is a dry run).
pub(super) fn prepare(paths: &[PathBuf], out: &OutputOptions, progress: &dyn Progress) -> Result<(Library, Marker), ExportError> {
    let lib = scan_for(paths, out)?;
    let marker = open_marker(out, progress)?;
    Ok((lib, marker))
}

/// [`prepare`]'s checks and scan, writing nothing: a caller with checks of its own makes them
/// before [`open_marker`] creates anything (a refusal writes nothing, anywhere).
pub(super) fn scan_for(paths: &[PathBuf], out: &OutputOptions) -> Result<Library, ExportError> {
    if let Some(p) = scan::missing_root(paths) {
        return Err(ExportError::NoSuchPath(p.clone()));
    }
    dest::check_out_dir(&out.dir, paths)?;
    let mut lib = scan::scan(paths, out.pairing);
    lib.apply(&out.filter);
    dest::check_out_dir_contents(&out.dir, &lib.inputs)?;
    Ok(lib)
}

/// The output folder's marker, created (with the folder) unless this is a dry run.
pub(super) fn open_marker(out: &OutputOptions, progress: &dyn Progress) -> Result<Marker, ExportError> {
    let waiting = || progress.waiting(&out.dir);
    Marker::open(&out.dir, !out.dry_run, &waiting).map_err(|source| ExportError::Marker { path: out.dir.clone(), source })
}

/// Plans one output per Live Photo for each of `writers` (with the settings the manifest records
/// for it), in that order (see [`dest`]): unique names, never a scanned file. A writer's
/// companion (a second file of the same stem) is named with its output: both names together.
pub(super) fn plan<'a>(lib: &'a Library, out_dir: &Path, writers: &[(&'a dyn Writer, String)]) -> Vec<Job<'a>> {
    let mut taken = HashSet::new();
    let mut jobs = Vec::new();
    for (writer, settings) in writers {
        for lp in &lib.live_photos {
            let first = dest::mirrored(out_dir, &lp.still.root, &lp.still.path, &writer.file_name(lp));
            let (dest, companion) = dest::free_names(first, writer.companion(lp), &taken, &lib.inputs);
            taken.insert(dest.clone());
            taken.extend(companion.clone());
            let sources = writer.sources(lp);
            let from = sources.last().map_or_else(|| lp.clip.path.clone(), |p| p.to_path_buf());
            let fingerprint = format!("{}#{settings}", super::manifest::fingerprint(&sources));
            let bytes_in = writer.made_of().bytes(lp);
            jobs.push(Job { lp, writer: *writer, dest, companion, fingerprint, from, bytes_in });
        }
    }
    jobs
}

/// What every job of one run shares.
pub(super) struct Run<'r> {
    pub out: &'r OutputOptions,
    pub marker: &'r Marker,
    pub inputs: &'r HashSet<FileId>,
    pub cancel: &'r Cancel,
    pub progress: &'r dyn Progress,
    /// What part of each clip plays how (`convert`'s; `None`: the whole clip, as it is).
    pub clip: Option<&'r ClipOptions>,
}

/// Runs each job's writer on `jobs` threads; never more than one output (and its companion) per job.
pub(super) fn run_all(jobs: Vec<Job<'_>>, run: &Run<'_>) -> Vec<Item> {
    run.progress.planned(jobs.len());
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (threads, share) = workers(run.out.jobs, cores, jobs.len());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
    let one = |(i, job): (usize, Job<'_>)| {
        let status = run_one(i, &job, run, share);
        let (still, clip) = (job.lp.still.path.clone(), job.lp.clip.path.clone());
        let item = Item { still, clip, output: job.dest, companion: job.companion, from: job.from, status };
        if let Status::Failed(e) = &item.status {
            run.progress.failed(i, item.at_fault(), e);
        }
        item
    };
    let indexed: Vec<(usize, Job<'_>)> = jobs.into_iter().enumerate().collect();
    let items: Vec<Item> = match pool {
        Ok(pool) => pool.install(|| indexed.into_par_iter().map(one).collect()),
        Err(_) => indexed.into_iter().map(one).collect(),
    };
    // a run that made nothing (every item failed, Ctrl-C, nothing found) leaves no empty folder
    let unwritten = items.iter().filter(|i| matches!(i.status, Status::Failed(_) | Status::Interrupted | Status::NotStarted));
    run.marker.tidy(unwritten.flat_map(|i| std::iter::once(i.output.as_path()).chain(i.companion.as_deref())));
    items
}

/// The most jobs a run starts at once, whatever it is asked (`--jobs` refuses more).
pub const MAX_JOBS: usize = 256;

/// How many jobs run at once (`asked`, else one per core; never more than [`MAX_JOBS`] nor
/// than there are outputs to make), and how many threads each job's codecs may use. Live Photo
/// clips are short (40–90 frames): one job per core encodes them best, each codec
/// single-threaded (frame threads buy little on so few frames and each holds frames of its
/// own); with fewer clips than cores, each job gets its share of the rest.
fn workers(asked: Option<usize>, cores: usize, outputs: usize) -> (usize, usize) {
    let threads = asked.unwrap_or(cores).clamp(1, MAX_JOBS).min(outputs.max(1));
    (threads, (cores / threads).max(1))
}

/// Why an existing output (`dest`, or its companion) is left alone (no `--overwrite`).
fn kept(run: &Run<'_>, job: &Job<'_>, dest: &Path) -> Status {
    match run.marker.existing(dest, &job.fingerprint) {
        Existing::Current => Status::AlreadyThere,
        Existing::Stale => Status::OutOfDate,
        Existing::Foreign => Status::Exists,
        Existing::OtherSettings(was) => Status::OtherSettings(was),
    }
}

fn run_one(i: usize, job: &Job<'_>, run: &Run<'_>, threads: usize) -> Status {
    if run.cancel.is_cancelled() {
        return Status::NotStarted;
    }
    let exists = std::iter::once(&job.dest).chain(&job.companion).find(|d| std::fs::symlink_metadata(d).is_ok());
    if let Some(dest) = exists.filter(|_| !run.out.overwrite) {
        run.progress.finished(i);
        return kept(run, job, dest);
    }
    if run.out.dry_run {
        return Status::Planned { identifier: job.writer.identifier(job.lp) };
    }
    run.progress.started(i, Path::new(job.dest.file_name().unwrap_or_default()));
    let tick = |n: u64| run.progress.frames(i, n);
    let ticker = Ticker::new(run.cancel, &tick).with_threads(threads);
    let result = Pending::new(&job.dest).and_then(|mut pending| {
        let mut second = job.companion.as_deref().map(Pending::new).transpose()?;
        // a bug met on one file fails that file, not the run (its temporaries go as for any failure)
        let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(job, run.clip, &mut pending, second.as_mut(), &ticker)));
        let made = made.unwrap_or_else(|panic| Err(JobError::Internal(panic_words(panic.as_ref()))))?;
        run.cancel.check()?;
        let mtime = job.writer.mtime(job.lp).and_then(output::system_time);
        // both complete: the companion (a still) first, so a clip never stands without it
        if let Some(second) = second {
            second.commit(run.out.overwrite, mtime, run.inputs)?;
        }
        pending.commit(run.out.overwrite, mtime, run.inputs)?;
        Ok(made)
    });
    run.progress.finished(i);
    release_memory();
    let record = |made: Made| -> Result<Made, JobError> {
        for dest in std::iter::once(&job.dest).chain(&job.companion) {
            run.marker.record(dest, &job.fingerprint).map_err(JobError::Manifest)?;
        }
        Ok(made)
    };
    match result.and_then(record) {
        Ok(made) => {
            let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
            let out = size(&job.dest) + job.companion.as_deref().map_or(0, size);
            Status::Written(Made { bytes: (job.bytes_in, out), ..made })
        }
        Err(JobError::Cancelled) => Status::Interrupted,
        Err(e) => Status::Failed(e),
    }
}

/// One job's writing: the writer handed its Live Photo, with the part of the clip to play
/// (`clip`'s, checked against the clip's length) and the identifier it gives it; its companion
/// first. A clip that turns out to hold no frame in range is a failure, nothing written.
fn write(
    job: &Job<'_>,
    clip: Option<&ClipOptions>,
    pending: &mut Pending,
    second: Option<&mut Pending>,
    ticker: &Ticker<'_>,
) -> Result<Made, JobError> {
    let (lp, writer) = (job.lp, job.writer);
    let meta = ExportMeta::of(lp);
    let trim = clip.map(|c| c.trim_for(lp)).unwrap_or_default();
    let clip_s = lp.clip.info.duration_s;
    trim.check(clip_s)?;
    let kept_s = trim.end.unwrap_or(clip_s).min(clip_s) - trim.start.unwrap_or(0.0);
    let effect = clip.and_then(|c| c.effect).map(|e| (e, kept_s));
    let input = Input { lp, meta: &meta, trim, effect, identifier: writer.identifier(lp) };
    if let Some(second) = second {
        writer.write_companion(&input, second.file())?;
    }
    let made = writer.write(&input, pending.file(), ticker)?;
    match made.frames {
        Some(0) => Err(trim.selects_nothing(clip_s)),
        _ => Ok(made),
    }
}

/// What a panic said, in words.
fn panic_words(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_workers_than_outputs_or_the_cap() {
        assert_eq!(workers(None, 8, 100), (8, 1), "one job per core");
        assert_eq!(workers(None, 8, 2), (2, 4), "two clips: each gets half the cores");
        assert_eq!(workers(Some(100_000), 2, 1), (1, 2), "one Live Photo: one worker, whatever was asked");
        assert_eq!(workers(Some(100_000), 2, 10_000), (MAX_JOBS, 1));
        assert_eq!(workers(Some(0), 2, 5), (1, 2), "a library caller's 0 is one");
        assert_eq!(workers(Some(3), 2, 0), (1, 2), "nothing to do: one idle worker");
    }
}
