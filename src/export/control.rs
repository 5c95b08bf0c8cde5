//! What the caller hands an export to steer and watch it: a [`Cancel`] flag (Ctrl-C sets it at
//! the edge; jobs check it between packets and frames and stop, removing their temporaries) and
//! a [`Progress`] observer (bars, or nothing). The export never prints; its observer may.

use super::error::JobError;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag shared by the caller and every job: once set, jobs stop at their next check.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every job to stop (safe from a signal handler's thread).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once cancelled: `cancel.check()?` between units of work.
    pub fn check(&self) -> Result<(), JobError> {
        if self.is_cancelled() {
            Err(JobError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// What the jobs tell the outside world while they run; implementations must be thread-safe.
pub trait Progress: Sync {
    /// The run will write (or skip) `total` outputs.
    fn planned(&self, total: usize);
    /// Job `job` (its output's file name) started writing.
    fn started(&self, job: usize, name: &Path);
    fn frames(&self, job: usize, frames: u64);
    /// Job `job` is over, whatever its outcome.
    fn finished(&self, job: usize);
    /// Job `job` failed because of `file` (the source at fault): said as it happens.
    fn failed(&self, job: usize, file: &Path, error: &JobError);
    /// Another livephoto run is writing into the output folder `dir`: this one waits for it.
    fn waiting(&self, dir: &Path) {
        let _ = dir;
    }
}

/// Observes nothing (a library caller that only wants the [`super::Outcome`]).
pub struct NoProgress;

impl Progress for NoProgress {
    fn planned(&self, _: usize) {}
    fn started(&self, _: usize, _: &Path) {}
    fn frames(&self, _: usize, _: u64) {}
    fn finished(&self, _: usize) {}
    fn failed(&self, _: usize, _: &Path, _: &JobError) {}
}

/// What one running job gets: its progress line, the cancel flag, and its share of the cores
/// (the threads its decoder and encoder may use, so jobs × threads fits the machine).
pub struct Ticker<'a> {
    pub(super) cancel: &'a Cancel,
    pub(super) tick: &'a dyn Fn(u64),
    pub(super) threads: usize,
}

impl<'a> Ticker<'a> {
    pub fn new(cancel: &'a Cancel, tick: &'a dyn Fn(u64)) -> Self {
        Ticker { cancel, tick, threads: 1 }
    }

    /// The same, allowed `threads` threads of its own.
    pub fn with_threads(self, threads: usize) -> Self {
        Ticker { threads: threads.max(1), ..self }
    }

    /// Threads this job's decoder and encoder may use.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// `n` frames written so far.
    pub fn frames(&self, n: u64) {
        (self.tick)(n)
    }

    pub fn check(&self) -> Result<(), JobError> {
        self.cancel.check()
    }

    pub fn cancel(&self) -> &Cancel {
        self.cancel
    }
}
