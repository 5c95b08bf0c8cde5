//! Progress on stderr with indicatif: one overall bar (done/total, elapsed, ETA) and one line per
//! running job (file name, frames). Only on a terminal and without `--quiet`; otherwise nothing
//! is drawn and no escape code is written. The bars are coloured only when [`Color`] allows
//! (`--color`, `NO_COLOR`). This is the only file that knows indicatif.

#[cfg(feature = "media")]
use indicatif::MultiProgress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
#[cfg(feature = "media")]
use std::path::Path;
#[cfg(feature = "media")]
use std::sync::Mutex;
#[cfg(feature = "media")]
use std::time::Duration;

/// Whether bars are coloured: `Auto` colours on a terminal unless `NO_COLOR` is set (no-color.org).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

impl Color {
    /// Resolved for stderr: `Auto` is on for a terminal without a non-empty `NO_COLOR`.
    pub fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal(),
        }
    }

    /// The bar's template part, as wide as the line has room for: `{wide_bar:.cyan/blue}` or
    /// plain `{wide_bar}`.
    fn bar(self) -> &'static str {
        if self.enabled() {
            "{wide_bar:.cyan/blue}"
        } else {
            "{wide_bar}"
        }
    }
}

/// The line for a failed item: the path of the file at fault and why, escaped for a terminal.
#[cfg(feature = "media")]
fn failure_line(file: &Path, error: &crate::export::JobError) -> String {
    format!("livephoto: {}: {}", super::paths::show(file), super::paths::escape(&error.to_string()))
}

/// Said when another run holds the output folder (before any bar is drawn).
#[cfg(feature = "media")]
fn waiting_line(dir: &Path) -> String {
    format!("livephoto: another livephoto run is writing into {}: waiting for it to finish", super::paths::show(dir))
}

/// Draws nothing while working; failures still go to stderr as they happen.
#[cfg(feature = "media")]
pub struct Silent;

#[cfg(feature = "media")]
impl crate::export::Progress for Silent {
    fn planned(&self, _: usize) {}
    fn started(&self, _: usize, _: &Path) {}
    fn frames(&self, _: usize, _: u64) {}
    fn finished(&self, _: usize) {}
    fn failed(&self, _: usize, clip: &Path, error: &crate::export::JobError) {
        super::stderr_line(&failure_line(clip, error));
    }
    fn waiting(&self, dir: &Path) {
        super::stderr_line(&waiting_line(dir));
    }
}

#[cfg(feature = "media")]
pub struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    jobs: Mutex<Vec<(usize, ProgressBar)>>,
}

#[cfg(feature = "media")]
impl Bars {
    /// Drawn from [`crate::export::Progress::planned`] on: nothing shows while the scan runs.
    fn new(color: Color) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        let overall = multi.add(ProgressBar::new(0));
        overall.set_style(
            // {wide_bar} takes what the terminal has left: the line never wraps, at 80 columns or 40
            ProgressStyle::with_template(&format!("{{pos}}/{{len}} Live Photos, {{elapsed}}, ETA {{eta}} {}", color.bar()))
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bars { multi, overall, jobs: Mutex::new(Vec::new()) }
    }
}

#[cfg(feature = "media")]
impl crate::export::Progress for Bars {
    fn planned(&self, total: usize) {
        self.overall.set_length(total as u64);
        self.multi.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        self.overall.enable_steady_tick(Duration::from_millis(200));
    }

    fn started(&self, job: usize, name: &Path) {
        let name = super::paths::show(name);
        let pb = self.multi.add(ProgressBar::new_spinner());
        // {wide_msg} is cut to the terminal's width; the spinner turns on its own while a job
        // decodes and encodes, and the message counts its frames as they are written
        pb.set_style(
            ProgressStyle::with_template("  {spinner} {elapsed:>3} {wide_msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.set_message(format!("{name}: starting"));
        pb.set_prefix(name.to_string());
        pb.enable_steady_tick(Duration::from_millis(150));
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

    fn failed(&self, _: usize, clip: &Path, error: &crate::export::JobError) {
        if self.multi.println(failure_line(clip, error)).is_err() {
            super::stderr_line(&failure_line(clip, error));
        }
    }
    fn waiting(&self, dir: &Path) {
        super::stderr_line(&waiting_line(dir));
    }
}

#[cfg(feature = "media")]
impl Drop for Bars {
    fn drop(&mut self) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}

/// The scan's one bar (files read of files found), on a terminal only; cleared when dropped.
pub struct FileBar(Option<ProgressBar>);

impl FileBar {
    pub fn new(quiet: bool, color: Color) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return FileBar(None);
        }
        let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
        pb.set_style(
            ProgressStyle::with_template(&format!("reading {{pos}}/{{len}} files, {{elapsed}}, ETA {{eta}} {}", color.bar()))
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
#[cfg(feature = "media")]
pub fn for_export(quiet: bool, color: Color) -> Box<dyn crate::export::Progress> {
    if !quiet && std::io::stderr().is_terminal() {
        Box::new(Bars::new(color))
    } else {
        Box::new(Silent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_asked_for_or_left_out() {
        assert!(Color::Always.enabled() && Color::Always.bar().contains("cyan"));
        assert!(!Color::Never.enabled() && !Color::Never.bar().contains('.'), "no colour in {}", Color::Never.bar());
    }
}
