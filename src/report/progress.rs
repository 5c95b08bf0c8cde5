//! Progress on stderr with indicatif: one overall bar (done/total, elapsed, ETA) and one line per
//! running job (file name, frames). Only on a terminal and without `--quiet`; otherwise nothing
//! is drawn and no escape code is written. This is the only file that knows indicatif.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// What the jobs tell the outside world; implementations must be thread-safe.
pub trait Reporter: Sync {
    fn started(&self, job: usize, name: &str);
    fn frames(&self, job: usize, frames: u64);
    fn finished(&self, job: usize);
    /// A line that must not be torn by the bars (e.g. a per-file error).
    fn println(&self, line: &str);
}

/// Says nothing while working; per-file lines still go to stderr.
pub struct Silent;

impl Reporter for Silent {
    fn started(&self, _: usize, _: &str) {}
    fn frames(&self, _: usize, _: u64) {}
    fn finished(&self, _: usize) {}
    fn println(&self, line: &str) {
        super::stderr_line(line);
    }
}

pub struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    jobs: Mutex<Vec<(usize, ProgressBar)>>,
}

impl Bars {
    fn new(total: u64) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        let overall = multi.add(ProgressBar::new(total));
        overall.set_style(
            ProgressStyle::with_template("{bar:40.cyan/blue} {pos}/{len} Live Photos  {elapsed_precise} elapsed, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        overall.enable_steady_tick(Duration::from_millis(200));
        Bars { multi, overall, jobs: Mutex::new(Vec::new()) }
    }
}

impl Reporter for Bars {
    fn started(&self, job: usize, name: &str) {
        let pb = self.multi.add(ProgressBar::new_spinner());
        pb.set_style(ProgressStyle::with_template("  {spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
        pb.set_message(format!("{name}: starting"));
        pb.set_prefix(name.to_string());
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.push((job, pb));
        }
    }

    fn frames(&self, job: usize, frames: u64) {
        if let Ok(jobs) = self.jobs.lock() {
            if let Some((_, pb)) = jobs.iter().find(|(j, _)| *j == job) {
                pb.set_message(format!("{}: {frames} frames", pb.prefix()));
                pb.tick();
            }
        }
    }

    fn finished(&self, job: usize) {
        if let Ok(mut jobs) = self.jobs.lock() {
            if let Some(pos) = jobs.iter().position(|(j, _)| *j == job) {
                let (_, pb) = jobs.remove(pos);
                pb.finish_and_clear();
                self.multi.remove(&pb);
            }
        }
        self.overall.inc(1);
    }

    fn println(&self, line: &str) {
        let _ = self.multi.println(line);
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}

/// The scan's one bar (files read of files found), on a terminal only; cleared when dropped.
pub struct FileBar(Option<ProgressBar>);

impl FileBar {
    pub fn new(quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return FileBar(None);
        }
        let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
        pb.set_style(
            ProgressStyle::with_template("reading {bar:40.cyan/blue} {pos}/{len} files  {elapsed_precise} elapsed, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        FileBar(Some(pb))
    }

    pub fn found(&self, n: usize) {
        if let Some(pb) = &self.0 {
            pb.set_length(n as u64);
        }
    }

    pub fn read(&self) {
        if let Some(pb) = &self.0 {
            pb.inc(1);
        }
    }
}

impl Drop for FileBar {
    fn drop(&mut self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

/// Bars when stderr is a terminal and the user did not ask for quiet; otherwise silence.
pub fn reporter(total: u64, quiet: bool) -> Box<dyn Reporter> {
    if !quiet && std::io::stderr().is_terminal() {
        Box::new(Bars::new(total))
    } else {
        Box::new(Silent)
    }
}
