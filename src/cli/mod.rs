//! The edge: the command line (clap) and the run of each command. It turns flags into the
//! library's plain options, calls `scan` or `export`, hands their results to `report`, and maps
//! the outcome to an exit code. Nothing below it imports it. `anyhow` lives here only.

mod args;
mod helper;

pub use args::{CommonOut, ConvertArgs, FilterArgs, ReportArgs, ScanArgs, StillsArgs};
pub use helper::{exec_media, helper_candidates};

use crate::report;
use crate::scan;
use args::ColorArg;
use clap::{Parser, Subcommand};
use std::io;

#[derive(Parser, Debug)]
#[command(name = "livephoto", version, about = "Find, pair and convert Apple Live Photos scattered across exports")]
pub struct Cli {
    /// Colour in progress bars: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, global = true, default_value = "auto", value_name = "WHEN")]
    pub color: ColorArg,
    #[command(subcommand)]
    pub command: Command,
}

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
    /// Convert each Live Photo (or Android motion photo) to MP4, GIF or a Google Motion Photo.
    #[command(after_help = format!("Examples:\n  livephoto convert ~/Exports --to mp4 -o ~/Shared/live\n  \
livephoto convert ~/Exports --facetime --to gif --width 360 -o ~/Shared/facetime\n  \
livephoto convert ~/Exports --to motion-photo -o ~/ForAndroid   (writes <name>.MP.jpg)\n  \
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
    /// Print the manual page (roff).
    #[command(after_help = "Example:\n  livephoto man > ~/.local/share/man/man1/livephoto.1")]
    Man,
}

/// The exit code of a run that ended in `result`: a closed stdout is a quiet success (the
/// reader has gone, as with `| head`), any other error a usage-level failure (2), said on stderr.
pub fn exit_code(result: anyhow::Result<u8>) -> u8 {
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            report::stderr_line(&format!("livephoto: {e:#}"));
            2
        }
    }
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

/// `livephoto man`: the manual page for livephoto and its commands, in roff, on stdout.
fn run_man() -> anyhow::Result<u8> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    for sub in cmd.get_subcommands().filter(|s| !matches!(s.get_name(), "completions" | "man" | "help")) {
        let name = format!("livephoto-{}", sub.get_name());
        clap_mangen::Man::new(sub.clone().display_name(name).version(env!("CARGO_PKG_VERSION"))).render(&mut buf)?;
    }
    report::stdout(&String::from_utf8_lossy(&buf))?;
    Ok(0)
}

/// Runs the commands that need no media libraries; `None` for `convert`, `stills` and `report`.
pub fn run_light(cli: &Cli) -> Option<anyhow::Result<u8>> {
    match &cli.command {
        Command::Scan(a) => Some(run_scan(a, cli.color)),
        Command::Completions { shell } => Some(run_completions(*shell)),
        Command::Man => Some(run_man()),
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
    let bar = report::progress::FileBar::new(args.quiet, color.into());
    let mut lib = scan::scan_with_progress(&args.paths, args.filter.pairing(), &|n| bar.found(n), &|| bar.read());
    drop(bar);
    lib.apply(&args.filter.filter());
    if args.json {
        report::stdout_json(&report::json::scan(&lib))?;
    } else {
        report::stdout_with(|out| report::table::scan(&lib, out))?;
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
        Ok((cancel, report::progress::for_export(common.quiet || common.json, cli.color.into())))
    };
    // each arm drops its progress bars before the outcome is printed
    let (outcome, common, verb) = match &cli.command {
        Command::Convert(a) => {
            let (cancel, progress) = start(&a.out)?;
            (export::convert(&a.paths, &a.options(), &a.out.options(), &cancel, progress.as_ref())?, &a.out, "converted")
        }
        Command::Stills(a) => {
            let (cancel, progress) = start(&a.out)?;
            (export::stills(&a.paths, a.still_out(), &a.out.options(), &cancel, progress.as_ref())?, &a.out, "copied")
        }
        Command::Report(a) => return run_report(a, cli.color),
        _ => return run_light(cli).unwrap_or(Ok(2)),
    };
    report::export::print(&outcome, common.json, verb)?;
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
