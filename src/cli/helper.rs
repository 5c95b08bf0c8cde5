//! Finding and starting `livephoto-media`, the half of livephoto that links FFmpeg and libheif,
//! as git finds its own helpers: beside this executable, in `../libexec/livephoto/`, on `PATH`.

use crate::display::show;
use std::path::{Path, PathBuf};

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
            "convert, stills and report need the {HELPER} helper (it links FFmpeg and libheif), which is neither beside {}, \
             in ../libexec/livephoto/, nor on PATH. `cargo install livephoto` installs both programs; a build \
             without the default `media` feature has no helper",
            show(&exe)
        );
    };
    let mut cmd = std::process::Command::new(media);
    cmd.args(std::env::args_os().skip(1));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = cmd.exec();
        anyhow::bail!("cannot start {}: {err}", show(media));
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().map_err(|e| anyhow::anyhow!("cannot start {}: {e}", show(media)))?;
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
