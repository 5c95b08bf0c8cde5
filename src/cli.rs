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

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Find every Live Photo (still + clip) under PATHs, list leftovers and unreadable files.
    Scan(ScanArgs),
    /// Convert each Live Photo's clip to MP4 or GIF.
    Convert(crate::convert::ConvertArgs),
    /// Copy the still of every Live Photo (byte-identical, or converted to JPEG).
    Stills(crate::convert::StillsArgs),
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
