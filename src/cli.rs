//! Command-line flags (clap derive), their help text, and the run of each command.

use crate::report;
use crate::scan::{self, Filter};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(name = "livephoto", version, about = "Find, pair and convert Apple Live Photos scattered across exports")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 every file was read (and every output written), 1 some file failed \
(each is listed with its path and the reason; the run goes on), 2 usage error, 130 interrupted.";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Find every Live Photo (still + clip) under PATHs, list leftovers and unreadable files.
    #[command(after_help = format!("Examples:\n  livephoto scan ~/Exports\n  livephoto scan ~/Exports --json > found.json\n  \
livephoto scan ~/Exports --facetime\n\n{EXIT_CODES}"))]
    Scan(ScanArgs),
    /// Convert each Live Photo's clip to MP4 or GIF.
    #[command(after_help = format!("Examples:\n  livephoto convert ~/Exports --to mp4 -o ~/Shared/live\n  \
livephoto convert ~/Exports --facetime --to gif --width 360 -o ~/Shared/facetime\n  \
livephoto convert ~/Exports --to mp4 --around-key 0.5 --dry-run\n\n{EXIT_CODES}"))]
    Convert(crate::convert::ConvertArgs),
    /// Copy the still of every Live Photo (byte-identical, or converted to JPEG).
    #[command(after_help = format!("Examples:\n  livephoto stills ~/Exports -o ~/Stills\n  \
livephoto stills ~/Exports --format jpeg -o ~/ForAndroid\n\n{EXIT_CODES}"))]
    Stills(crate::convert::StillsArgs),
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

/// `livephoto completions SHELL`: the script on stdout.
pub fn run_completions(shell: clap_complete::Shell) -> anyhow::Result<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "livephoto", &mut buf);
    report::stdout(&String::from_utf8_lossy(&buf))?;
    Ok(0)
}

/// `livephoto man`: the manual page for livephoto and its commands, in roff, on stdout.
pub fn run_man() -> anyhow::Result<u8> {
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

/// Runs the commands that need no media libraries; `None` for `convert`/`stills`.
pub fn run_light(cli: &Cli) -> Option<anyhow::Result<u8>> {
    match &cli.command {
        Command::Scan(a) => Some(run_scan(a)),
        Command::Completions { shell } => Some(run_completions(*shell)),
        Command::Man => Some(run_man()),
        Command::Convert(_) | Command::Stills(_) => None,
    }
}

#[derive(Args, Debug, Clone)]
pub struct FilterArgs {
    /// Keep only FaceTime Live Photos (the Photos rule "Lens includes FaceTime").
    #[arg(long)]
    pub facetime: bool,
    /// Keep only Live Photos whose lens (or camera model) contains TEXT, case-insensitively.
    #[arg(long, value_name = "TEXT")]
    pub lens: Option<String>,
}

impl FilterArgs {
    pub fn filter(&self) -> Filter {
        Filter { facetime_only: self.facetime, lens: self.lens.clone() }
    }
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files or folders to scan, recursively. Symbolic links are followed (each file is read once;
    /// loops and dangling links are listed as notes); folders livephoto exported to are skipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print one JSON document on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress bar while reading (there is none when stderr is not a terminal).
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// Runs `scan`; returns the exit code (0 all read, 1 some file failed).
pub fn run_scan(args: &ScanArgs) -> anyhow::Result<u8> {
    check_paths(&args.paths)?;
    let bar = report::progress::FileBar::new(args.quiet);
    let mut lib = scan::scan_with_progress(&args.paths, &|n| bar.found(n), &|| bar.read());
    drop(bar);
    lib.apply(&args.filter.filter());
    if args.json {
        report::stdout_json(&report::json::scan(&lib))?;
    } else {
        report::stdout(&report::table::scan(&lib))?;
    }
    Ok(if lib.errors.is_empty() { 0 } else { 1 })
}

/// A path that does not exist is a usage error (exit 2), not a per-file one.
pub fn check_paths(paths: &[PathBuf]) -> anyhow::Result<()> {
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            anyhow::bail!("{}: no such file or folder", report::paths::show(p));
        }
    }
    Ok(())
}

const HELPER: &str = "livephoto-media";

/// Where `livephoto-media` is looked for, in order, as git finds its own helpers: beside this
/// executable, in `../libexec/livephoto/` from its folder, then on `PATH`.
pub fn helper_candidates(exe: &Path, path_var: Option<&std::ffi::OsStr>) -> Vec<PathBuf> {
    let name = format!("{HELPER}{}", std::env::consts::EXE_SUFFIX);
    let mut out = Vec::new();
    if let Some(dir) = exe.parent() {
        out.push(dir.join(&name));
        if let Some(prefix) = dir.parent() {
            out.push(prefix.join("libexec").join("livephoto").join(&name));
        }
    }
    if let Some(p) = path_var {
        out.extend(std::env::split_paths(p).filter(|d| !d.as_os_str().is_empty()).map(|d| d.join(&name)));
    }
    out
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Replaces this process with `livephoto-media` and the same arguments, so signals,
/// stdout/stderr and the exit code are its own. Returns only on failure: a missing helper is
/// a usage-level error (exit 2) that says how to get it.
pub fn exec_media() -> anyhow::Result<u8> {
    let exe = std::env::current_exe()?;
    let candidates = helper_candidates(&exe, std::env::var_os("PATH").as_deref());
    let Some(media) = candidates.iter().find(|p| is_executable(p)) else {
        anyhow::bail!(
            "convert and stills need the {HELPER} helper (it links FFmpeg and libheif), which is neither beside {}, \
             in ../libexec/livephoto/, nor on PATH. `cargo install livephoto` installs both programs; a build \
             without the default `media` feature has no helper",
            report::paths::show(&exe)
        );
    };
    let mut cmd = std::process::Command::new(media);
    cmd.args(std::env::args_os().skip(1));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = cmd.exec();
        anyhow::bail!("cannot start {}: {err}", report::paths::show(media));
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().map_err(|e| anyhow::anyhow!("cannot start {}: {e}", report::paths::show(media)))?;
        Ok(status.code().unwrap_or(1) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helper_is_looked_for_beside_then_libexec_then_path() {
        let got = helper_candidates(Path::new("/opt/lp/bin/livephoto"), Some(std::ffi::OsStr::new("/usr/bin::/home/me/bin")));
        let want: Vec<PathBuf> = ["/opt/lp/bin/", "/opt/lp/libexec/livephoto/", "/usr/bin/", "/home/me/bin/"]
            .iter()
            .map(|d| PathBuf::from(format!("{d}livephoto-media{}", std::env::consts::EXE_SUFFIX)))
            .collect();
        assert_eq!(got, want);
    }
}
