//! The one job runner behind `convert` and `stills`: checks `-o` and scans (before any work),
//! plans one output per Live Photo (with a companion file of the same stem, when the format has
//! one), runs the jobs in parallel, each into temporary files that are renamed when all are
//! complete, and returns what became of each as an [`Outcome`].

use super::control::{Cancel, Progress, Ticker};
use super::error::{ExportError, JobError};
use super::made::{GifFit, Identifier, MadeOf, Reencoded};
use super::options::OutputOptions;
use super::output::{self, Pending};
use super::target::{self, Existing, Marker};
use crate::scan::{self, Library, LivePhoto};
use crate::walk::FileId;
use rayon::prelude::*;
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What became of one Live Photo.
#[derive(Debug)]
pub enum Status {
    /// Would be written (a dry run).
    Planned,
    /// Written; with the video frames written, when counted, and why an MP4's video was
    /// re-encoded rather than copied.
    Written {
        frames: Option<u64>,
        reencoded: Option<Reencoded>,
        /// What `--max-size` chose.
        fitted: Option<GifFit>,
        /// Bytes of what the output was made from (the clip, or a motion photo's video; the
        /// still for stills) and of the output.
        bytes: (u64, u64),
        /// What the output could not keep (a gain map that could not be used).
        note: Option<String>,
    },
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
    /// The content identifier written, or that a dry run would write.
    pub identifier: Option<Identifier>,
    /// The source the output is made from (the clip of a video, the still of a picture).
    pub from: PathBuf,
    pub status: Status,
}

impl Item {
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
    pub dest: PathBuf,
    /// Written with `dest`, under the same stem.
    pub companion: Option<PathBuf>,
    /// Size and modification time of the sources, as the manifest records them.
    fingerprint: String,
    /// The last of the sources: the one a failure is about unless its error names another.
    from: PathBuf,
    /// Bytes of what the output is made from (see [`MadeOf::bytes`]).
    bytes_in: u64,
}

/// What one job wrote: the video frames, when counted, and why its video was re-encoded.
#[derive(Debug, Default)]
pub(super) struct Done {
    pub frames: Option<u64>,
    pub reencoded: Option<Reencoded>,
    pub fitted: Option<GifFit>,
    pub identifier: Option<Identifier>,
    pub note: Option<String>,
}

/// One job's work: write the output into the pending file (and its companion into the second).
pub(super) type Work<'a, 'w> = dyn Fn(&Job<'a>, &mut Pending, Option<&mut Pending>, &Ticker<'_>) -> Result<Done, JobError> + Sync + 'w;
/// The modification time an output gets, seconds since 1970.
pub(super) type MtimeOf<'a, 'w> = dyn Fn(&Job<'a>) -> Option<i64> + Sync + 'w;

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
    target::check_out_dir(&out.dir, paths)?;
    let mut lib = scan::scan(paths, out.pairing);
    lib.apply(&out.filter);
    target::check_out_dir_contents(&out.dir, &lib.inputs)?;
    Ok(lib)
}

/// The output folder's marker, created (with the folder) unless this is a dry run.
pub(super) fn open_marker(out: &OutputOptions, progress: &dyn Progress) -> Result<Marker, ExportError> {
    let waiting = || progress.waiting(&out.dir);
    Marker::open(&out.dir, !out.dry_run, &waiting).map_err(|source| ExportError::Marker { path: out.dir.clone(), source })
}

/// Plans one output per Live Photo (see [`target`]): unique names, never a scanned file. With
/// `companion` (an extension), a second output of the same stem goes with each: the two names
/// are chosen together.
pub(super) fn plan<'a>(
    lib: &'a Library,
    out_dir: &Path,
    name_of: impl Fn(&LivePhoto) -> OsString,
    companion: impl Fn(&LivePhoto) -> Option<&'static str>,
    sources: impl Fn(&LivePhoto) -> Vec<&Path>,
    made_of: MadeOf,
    settings: &str,
) -> Vec<Job<'a>> {
    let mut taken = HashSet::new();
    let mut jobs = Vec::new();
    for lp in &lib.live_photos {
        let first = target::mirrored(out_dir, &lp.still.root, &lp.still.path, &name_of(lp));
        let (dest, companion) = target::free_names(first, companion(lp), &taken, &lib.inputs);
        taken.insert(dest.clone());
        taken.extend(companion.clone());
        let sources = sources(lp);
        let from = sources.last().map_or_else(|| lp.clip.path.clone(), |p| p.to_path_buf());
        let bytes_in = made_of.bytes(lp);
        jobs.push(Job { lp, dest, companion, fingerprint: format!("{}#{settings}", target::fingerprint(&sources)), from, bytes_in });
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
    /// The identifier a Live Photo gets, for a dry run to list (`None` for other outputs).
    pub describe: &'r (dyn Fn(&LivePhoto) -> Option<Identifier> + Sync),
}

/// Runs `work` for each job on `jobs` threads; never more than one output (and its companion) per job.
pub(super) fn run_all<'a>(jobs: Vec<Job<'a>>, run: &Run<'_>, work: &Work<'a, '_>, mtime_of: &MtimeOf<'a, '_>) -> Vec<Item> {
    run.progress.planned(jobs.len());
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (threads, share) = workers(run.out.jobs, cores, jobs.len());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
    let one = |(i, job): (usize, Job<'a>)| {
        let (status, identifier) = run_one(i, &job, run, work, mtime_of, share);
        let (still, clip) = (job.lp.still.path.clone(), job.lp.clip.path.clone());
        let item = Item { still, clip, output: job.dest, companion: job.companion, identifier, from: job.from, status };
        if let Status::Failed(e) = &item.status {
            run.progress.failed(i, item.at_fault(), e);
        }
        item
    };
    let indexed: Vec<(usize, Job<'a>)> = jobs.into_iter().enumerate().collect();
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

/// Why an existing target (`dest`, or its companion) is left alone (no `--overwrite`).
fn kept(run: &Run<'_>, job: &Job<'_>, dest: &Path) -> Status {
    match run.marker.existing(dest, &job.fingerprint) {
        Existing::Current => Status::AlreadyThere,
        Existing::Stale => Status::OutOfDate,
        Existing::Foreign => Status::Exists,
        Existing::OtherSettings(was) => Status::OtherSettings(was),
    }
}

fn run_one<'a>(
    i: usize,
    job: &Job<'a>,
    run: &Run<'_>,
    work: &Work<'a, '_>,
    mtime_of: &MtimeOf<'a, '_>,
    threads: usize,
) -> (Status, Option<Identifier>) {
    if run.cancel.is_cancelled() {
        return (Status::NotStarted, None);
    }
    let exists = std::iter::once(&job.dest).chain(&job.companion).find(|d| std::fs::symlink_metadata(d).is_ok());
    if let Some(dest) = exists.filter(|_| !run.out.overwrite) {
        run.progress.finished(i);
        return (kept(run, job, dest), None);
    }
    if run.out.dry_run {
        return (Status::Planned, (run.describe)(job.lp));
    }
    run.progress.started(i, Path::new(job.dest.file_name().unwrap_or_default()));
    let tick = |n: u64| run.progress.frames(i, n);
    let ticker = Ticker::new(run.cancel, &tick).with_threads(threads);
    let result = Pending::new(&job.dest).and_then(|mut pending| {
        let mut second = job.companion.as_deref().map(Pending::new).transpose()?;
        // a bug met on one file fails that file, not the run (its temporaries go as for any failure)
        let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(job, &mut pending, second.as_mut(), &ticker)));
        let done = made.unwrap_or_else(|panic| Err(JobError::Internal(panic_words(panic.as_ref()))))?;
        run.cancel.check()?;
        let mtime = mtime_of(job).and_then(output::system_time);
        // both complete: the companion (a still) first, so a clip never stands without it
        if let Some(second) = second {
            second.commit(run.out.overwrite, mtime, run.inputs)?;
        }
        pending.commit(run.out.overwrite, mtime, run.inputs)?;
        Ok(done)
    });
    run.progress.finished(i);
    release_memory();
    let record = |done: Done| -> Result<Done, JobError> {
        for dest in std::iter::once(&job.dest).chain(&job.companion) {
            run.marker.record(dest, &job.fingerprint).map_err(JobError::Manifest)?;
        }
        Ok(done)
    };
    match result.and_then(record) {
        Ok(Done { frames, reencoded, fitted, identifier, note }) => {
            let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
            let out = size(&job.dest) + job.companion.as_deref().map_or(0, size);
            (Status::Written { frames, reencoded, fitted, bytes: (job.bytes_in, out), note }, identifier)
        }
        Err(JobError::Cancelled) => (Status::Interrupted, None),
        Err(e) => (Status::Failed(e), None),
    }
}

/// Makes the system allocator give large buffers (decoded frames, a photo's pixels) back to the
/// system when they are freed. glibc's default raises its mmap threshold as large blocks are
/// freed, after which they come from its heaps and stay: a motion photo's job, a 24 MP still
/// then an HEVC clip, peaked at 400 MB alone (290 MB with this) and 550 MB at two jobs (408 MB).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter, before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// What a panic said, in words.
fn panic_words(panic: &(dyn std::any::Any + Send)) -> String {
    panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_else(|| "no message".into())
}

/// Gives what a finished job freed back to the system. glibc keeps freed memory in per-thread
/// arenas, so without this a run's resident memory creeps up job by job (20 iOS 18 clips at
/// 2 jobs: 415 MB against 387 MB for 4).
pub(super) fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system; it touches no live data.
    unsafe {
        libc::malloc_trim(0);
    }
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
