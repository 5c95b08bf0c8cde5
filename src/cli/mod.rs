//! The edge: the command line (clap) and the run of each command. It turns flags into the
//! library's plain options, calls `scan` or `export`, hands their results to `report`, and maps
//! the outcome to an exit code. Nothing below it imports it. `anyhow` lives here only.

mod args;
mod helper;
#[cfg(feature = "media")]
mod to_library;

pub use args::{CommonOut, ConvertArgs, FilterArgs, ReportArgs, ScanArgs, StillsArgs};
pub use helper::{exec_media, helper_candidates};

use crate::report;
use crate::scan;
use args::ColorArg;
use clap::{Parser, Subcommand};
use std::io;

#[derive(Parser, Debug)]
#[command(
    name = "livephoto",
    version,
    about = "Find, pair and convert Apple Live Photos scattered across exports",
    long_about = "Find every Apple Live Photo (a still and its clip, tied by a content identifier) and every \
Android motion photo in folders of exports, backups and downloads, pair the halves however exports \
renamed or moved them, and make MP4s, GIFs, Google Motion Photos or JPEG stills of them. \
Inputs are never written.",
    after_help = TOP_EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level help's end: where to start.
const TOP_EXAMPLES: &str = "Start with a scan, to see what is there; then export:
  livephoto scan ~/Exports                      what was found, as a table
  livephoto convert ~/Exports --to mp4 -o ~/Shared/live
  livephoto convert ~/Exports --facetime --to gif -o ~/Shared/facetime
  livephoto convert ~/Exports --to motion-photo -o ~/ForAndroid
  livephoto convert ~/FromAndroid --to live-photo -o ~/ForiPhone
  livephoto stills ~/Exports --format jpeg -o ~/Stills
  livephoto report ~/Exports -o ~/report.html   check the pairs by eye

`livephoto COMMAND --help` tells more; `livephoto man --dir DIR` writes the manual pages.";

const EXIT_CODES: &str = "Exit codes: 0 every file was read (and every output written), 1 some file failed \
(each is listed with its path and the reason; the run goes on), 2 usage error, 130 interrupted.";

const PAIRING: &str = "Pairing: by content identifier first; among files sharing one, the same folder wins, \
then the same name, then the nearest capture time, then names without a copy suffix (wave.jpg over wave-2-2.jpg, \
IMG_1234.HEIC over IMG_1234(1).HEIC), then the oldest file. Without identifiers: same folder, same name stem \
and capture times within 3 s. Two different identifiers, or disagreeing times, are never linked. \
Edited versions (IMG_E1234, IMG_1234_edited, FullSizeRender) keep their original's identifier: they pair \
with edits only, and are linked to their original.";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Find every Live Photo (still + clip) under PATHs, list leftovers and unreadable files.
    #[command(after_help = format!("Examples:\n  livephoto scan ~/Exports\n  livephoto scan ~/Exports --json > found.json\n  \
livephoto scan ~/Exports --facetime\n\n{PAIRING}\n\n{EXIT_CODES}"))]
    Scan(ScanArgs),
    /// Convert each Live Photo (or Android motion photo) to a video, an animated image, a Google
    /// Motion Photo or an Apple Live Photo pair (--to lists them).
    #[command(after_help = format!("Examples:\n  livephoto convert ~/Exports --to mp4 -o ~/Shared/live\n  \
livephoto convert ~/Exports --facetime --to gif --width 360 -o ~/Shared/facetime\n  \
livephoto convert ~/Exports --to motion-photo -o ~/ForAndroid   (writes <name>.MP.jpg)\n  \
livephoto convert ~/FromAndroid --to live-photo -o ~/ForiPhone   (writes <name>.HEIC/.JPG + <name>.MOV)\n  \
livephoto convert ~/Takeout --to live-photo --dry-run   (lists each pair and its identifier)\n  \
livephoto convert ~/Exports --to mp4 --around-key 0.5 --dry-run\n\n{EXIT_CODES}"))]
    Convert(ConvertArgs),
    /// Copy the still of every Live Photo (byte-identical, or converted to JPEG).
    #[command(after_help = format!("Examples:\n  livephoto stills ~/Exports -o ~/Stills\n  \
livephoto stills ~/Exports --format jpeg -o ~/ForAndroid\n\n{EXIT_CODES}"))]
    Stills(StillsArgs),
    /// Write an HTML page, readable offline, to check by eye what a scan found: every Live Photo
    /// with its still's thumbnail and its clip's animated preview, how it was matched, then the
    /// halves missing their partner and the files that could not be read.
    #[command(after_help = format!("Examples:\n  livephoto report ~/Exports -o ~/report.html\n  \
livephoto report ~/Exports --no-previews -o ~/report.html   (thumbnails only, faster)\n  \
livephoto report ~/Exports --since 2023-07-01 --facetime -o facetime.html\n\n{EXIT_CODES}"))]
    Report(ReportArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = "Examples:\n  livephoto completions bash > ~/.local/share/bash-completion/completions/livephoto\n  \
livephoto completions zsh > ~/.zfunc/_livephoto")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write every page into a folder.
    #[command(after_help = "Examples:\n  livephoto man --dir ~/.local/share/man/man1   (then: man livephoto-scan)\n  \
livephoto man | man -l -")]
    Man {
        /// Write livephoto.1 and one page per command (livephoto-scan.1 and so on) into DIR, created if
        /// needed, instead of printing livephoto.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

/// A bug (a panic) is said in one line, as livephoto's own, not as a backtrace: inside a job it
/// then fails that one file (the runner catches it); anywhere else the run ends with exit 101.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what =
            info.payload().downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| info.payload().downcast_ref::<String>().cloned());
        let at = info.location().map(|l| format!(" ({}:{})", l.file(), l.line())).unwrap_or_default();
        report::stderr_line(&format!("livephoto: internal error, please report it: {}{at}", what.unwrap_or_else(|| "no message".into())));
    }));
}

/// The exit code of a run that ended in `result`: a closed stdout is a quiet success (the
/// reader has gone, as with `| head`), any other error a usage-level failure (2), said on stderr.
pub fn exit_code(result: anyhow::Result<u8>) -> u8 {
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            report::stderr_line(&format!("livephoto: {}", once_each(&e)));
            2
        }
    }
}

/// The error and its causes, each said once: a message that already quotes its cause (as
/// "-o DIR: Permission denied (os error 13)" does) is not followed by it again.
fn once_each(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1).map(|c| c.to_string()) {
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// True when `e` comes from writing to a pipe whose reader has gone (`livephoto scan | head`).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}

/// `livephoto completions SHELL`: the script on stdout.
fn run_completions(shell: clap_complete::Shell) -> anyhow::Result<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "livephoto", &mut buf);
    report::stdout(&String::from_utf8_lossy(&buf))?;
    Ok(0)
}

/// `livephoto man`: livephoto.1 on stdout, or with `--dir` every page written into a folder.
fn run_man(dir: Option<&std::path::Path>) -> anyhow::Result<u8> {
    let pages = man_pages()?;
    match dir {
        None => report::stdout(&String::from_utf8_lossy(&pages[0].1))?,
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {}", crate::display::show(dir), e.kind()))?;
            for (name, page) in &pages {
                // complete or not at all: a temporary name beside it, renamed when written
                let (path, part) = (dir.join(name), dir.join(format!(".{name}.part")));
                let cannot = |e: io::Error| anyhow::anyhow!("cannot write {}: {}", crate::display::show(&path), e.kind());
                std::fs::write(&part, page).and_then(|()| std::fs::rename(&part, &path)).map_err(|e| {
                    let _ = std::fs::remove_file(&part);
                    cannot(e)
                })?;
                report::stderr_line(&format!("wrote {}", crate::display::show(&path)));
            }
        }
    }
    Ok(0)
}

/// (file name, roff) of livephoto.1 and of each command's page, with sections a man page has:
/// NAME, SYNOPSIS, DESCRIPTION, OPTIONS, COMMANDS (on livephoto.1), EXAMPLES, EXIT STATUS,
/// ENVIRONMENT, SEE ALSO; only the main page lists -V.
fn man_pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build();
    let subs: Vec<clap::Command> = cmd.get_subcommands().cloned().collect();
    let names: Vec<String> = subs.iter().map(|s| format!("livephoto-{}", s.get_name())).collect();
    let mut pages = vec![("livephoto.1".to_string(), man_page(&cmd, "livephoto", &names)?)];
    for (sub, name) in subs.into_iter().zip(&names) {
        let sub = sub.display_name(name).disable_version_flag(true);
        let others: Vec<String> = std::iter::once("livephoto".to_string()).chain(names.iter().filter(|n| *n != name).cloned()).collect();
        pages.push((format!("{name}.1"), man_page(&sub, name, &others)?));
    }
    Ok(pages)
}

fn man_page(cmd: &clap::Command, name: &str, see_also: &[String]) -> anyhow::Result<Vec<u8>> {
    use clap_mangen::roff::{bold, roman, Roff};
    let man =
        clap_mangen::Man::new(cmd.clone()).title(name.to_uppercase()).date("").source(format!("livephoto {}", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    let mut roff = Roff::default();
    // a section of terms, each with what it means
    let section = |roff: &mut Roff, heading: &str, terms: &[(&str, &str)]| {
        roff.control("SH", [heading]);
        for (term, what) in terms {
            roff.control("TP", []).text([bold(*term)]).text([roman(*what)]);
        }
    };
    let examples = examples_of(cmd);
    if !examples.is_empty() {
        let terms: Vec<(&str, &str)> = examples.iter().map(|(run, what)| (run.as_str(), what.as_str())).collect();
        section(&mut roff, "EXAMPLES", &terms);
    }
    if !matches!(cmd.get_name(), "completions" | "man") {
        section(&mut roff, "EXIT STATUS", &[
            ("0", "Every file was read and every output written."),
            ("1", "Some file could not be read or some output could not be made; each is listed on standard error with its path and the reason, and the run went on."),
            ("2", "Usage error (an unknown option, a path that does not exist, an -o that would mix outputs with inputs)."),
            ("130", "Interrupted (Ctrl-C); no partial file is left."),
        ]);
        section(
            &mut roff,
            "ENVIRONMENT",
            &[
                ("NO_COLOR", "When set, progress bars are drawn without colour (as --color never)."),
                ("COLUMNS", "The width the scan table fits on a terminal."),
                ("LIVEPHOTO_FFMPEG_LOG", "When set, FFmpeg's own warnings are shown, to diagnose a clip that fails."),
                ("RAYON_NUM_THREADS", "How many files a scan reads at once (default: two per core)."),
            ],
        );
    }
    roff.control("SH", ["SEE ALSO"]);
    let refs: Vec<String> = see_also.iter().map(|n| format!("{n}(1)")).collect();
    roff.text([roman(refs.join(", "))]);
    roff.to_writer(&mut out)?;
    Ok(out)
}

/// A command's examples, from its help's "Examples:" lines: (command, what it does).
fn examples_of(cmd: &clap::Command) -> Vec<(String, String)> {
    let help = cmd.get_after_help().map(|h| h.to_string()).unwrap_or_default();
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line.starts_with("Example") || line.starts_with("Start with") {
            inside = true;
            continue;
        }
        if !inside || line.trim().is_empty() {
            inside = inside && !line.trim().is_empty();
            continue;
        }
        if let Some(cmdline) = line.strip_prefix("  ") {
            let (run, what) = match cmdline.split_once("   ") {
                Some((r, w)) => (r.trim(), w.trim().trim_start_matches('(').trim_end_matches(')')),
                None => (cmdline.trim(), ""),
            };
            out.push((run.to_string(), what.to_string()));
        }
    }
    out
}

/// Runs the commands that need no media libraries; `None` for `convert`, `stills` and `report`.
pub fn run_light(cli: &Cli) -> Option<anyhow::Result<u8>> {
    match &cli.command {
        Command::Scan(a) => Some(run_scan(a, a.color.color)),
        Command::Completions { shell } => Some(run_completions(*shell)),
        Command::Man { dir } => Some(run_man(dir.as_deref())),
        Command::Convert(_) | Command::Stills(_) | Command::Report(_) => None,
    }
}

/// A path that does not exist is a usage error (exit 2), not a per-file one.
fn check_paths(paths: &[std::path::PathBuf]) -> anyhow::Result<()> {
    match scan::missing_root(paths) {
        Some(p) => anyhow::bail!("{}: no such file or folder", crate::display::show(p)),
        None => Ok(()),
    }
}

/// Runs `scan`; returns the exit code (0 all read, 1 some file failed).
fn run_scan(args: &ScanArgs, color: ColorArg) -> anyhow::Result<u8> {
    check_paths(&args.paths)?;
    args.filter.check().map_err(anyhow::Error::msg)?;
    let bar = report::progress::FileBar::new(args.quiet, color.into());
    let mut lib = scan::scan_with_progress(&args.paths, args.filter.pairing(), &|n| bar.found(n), &|| bar.read());
    drop(bar);
    lib.apply(&args.filter.filter());
    let layout = report::table::Layout::here();
    if args.json {
        report::stdout_json(&report::json::scan(&lib))?;
    } else {
        report::stdout_with(|out| report::table::scan(&lib, &layout, out))?;
    }
    // the results alone on stdout; what is about the run on stderr (with --json, in the document)
    if !args.json {
        report::table::scan_summary(&lib, &layout, args.stats).iter().for_each(|l| report::stderr_line(l));
    }
    if let Some(hint) = report::nothing_found_hint(&lib, &args.paths) {
        report::stderr_line(&format!("livephoto: {hint}"));
    }
    let code = if lib.errors.is_empty() { 0 } else { 1 };
    // the process ends here and the system takes its memory back at once: freeing a large
    // library's records one by one would only add to the run's time
    std::mem::forget(lib);
    Ok(code)
}

/// Runs `convert` or `stills` in this process (the `livephoto-media` helper's job).
#[cfg(feature = "media")]
pub fn run_media(cli: &Cli) -> anyhow::Result<u8> {
    use crate::export::{self, Cancel, Status};
    let start = |common: &CommonOut| -> anyhow::Result<(Cancel, Box<dyn export::Progress>)> {
        let cancel = Cancel::new();
        if !common.dry_run {
            install_ctrlc(&cancel)?;
        }
        Ok((cancel, report::progress::for_export(common.quiet || common.json, common.color.color.into())))
    };
    // each arm drops its progress bars before the outcome is printed
    let (outcome, common, verb, roots) = match &cli.command {
        Command::Convert(a) => {
            a.check().map_err(anyhow::Error::msg)?;
            let writer = a.writer().ok_or_else(|| anyhow::anyhow!("--to {}: no such format", a.to))?;
            let (cancel, progress) = start(&a.out)?;
            let outcome = export::convert(&a.paths, writer.as_ref(), &a.clip(), &a.out.options(), &cancel, progress.as_ref())?;
            (outcome, &a.out, writer.verb(), &a.paths)
        }
        Command::Stills(a) => {
            a.check().map_err(anyhow::Error::msg)?;
            let writer = a.writer();
            let (cancel, progress) = start(&a.out)?;
            (export::stills(&a.paths, writer.as_ref(), &a.out.options(), &cancel, progress.as_ref())?, &a.out, writer.verb(), &a.paths)
        }
        Command::Report(a) => return run_report(a, a.color.color),
        _ => return run_light(cli).unwrap_or(Ok(2)),
    };
    report::export::print(&outcome, common.json, verb)?;
    if let Some(hint) = report::nothing_found_hint(&outcome.library, roots) {
        report::stderr_line(&format!("livephoto: {hint}"));
    }
    Ok(if outcome.cancelled || outcome.count(|s| matches!(s, Status::Interrupted)) > 0 {
        130
    } else if outcome.count(|s| matches!(s, Status::Failed(_))) > 0 || !outcome.library.errors.is_empty() {
        1
    } else {
        0
    })
}

/// Runs `report`: the pictures in parallel, then the page, then a summary on stderr.
#[cfg(feature = "media")]
fn run_report(args: &ReportArgs, color: ColorArg) -> anyhow::Result<u8> {
    use crate::export::{self, Cancel, Status};
    args.filter.check().map_err(anyhow::Error::msg)?;
    let cancel = Cancel::new();
    install_ctrlc(&cancel)?;
    let (opts, out) = args.options();
    let progress = report::progress::for_export(args.quiet, color.into());
    let outcome = export::report(&args.paths, &opts, &out, &cancel, progress.as_ref())?;
    drop(progress);
    if outcome.cancelled {
        report::stderr_line("interrupted: no page written (temporary files removed)");
        return Ok(130);
    }
    let html = report::html::page(&outcome, &opts.page, &args.paths);
    export::save_page(&opts.page, &html, &outcome.library.inputs)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", crate::display::show(&opts.page)))?;
    let failed = outcome.count(|s| matches!(s, Status::Failed(_)));
    report::html::print_summary(&outcome, &opts.page, failed);
    Ok(if failed > 0 || !outcome.library.errors.is_empty() { 1 } else { 0 })
}

/// Ctrl-C cancels the export: jobs stop and remove their temporary files. Without the handler
/// an interrupted export would leave them behind, so a failure here stops before any work.
#[cfg(feature = "media")]
fn install_ctrlc(cancel: &crate::export::Cancel) -> anyhow::Result<()> {
    let on_signal = cancel.clone();
    ctrlc::set_handler(move || on_signal.cancel()).map_err(|e| {
        anyhow::anyhow!("cannot install the Ctrl-C handler ({e}); not starting, as an interrupted export would leave temporary files")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_os_error_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("-o out: {source}")]
        struct Quoting {
            source: io::Error,
        }
        let e = anyhow::Error::new(Quoting { source: io::Error::from_raw_os_error(13) });
        assert_eq!(once_each(&e).matches("os error 13").count(), 1, "{}", once_each(&e));
        let e = anyhow::Error::new(io::Error::from_raw_os_error(2)).context("cannot open x");
        assert!(once_each(&e).starts_with("cannot open x: ") && once_each(&e).contains("os error 2"));
    }
}
