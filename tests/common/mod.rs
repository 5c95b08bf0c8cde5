//! Helpers shared by the integration tests: run the binary, find fixtures and real samples.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_livephoto"))
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The real samples (`LIVEPHOTO_SAMPLES`). Unset: the test is skipped with a note. Set but
/// missing: the test fails, so CI cannot silently skip them.
pub fn samples() -> Option<PathBuf> {
    match std::env::var_os("LIVEPHOTO_SAMPLES") {
        None => {
            eprintln!("note: LIVEPHOTO_SAMPLES is not set; skipping the real-sample part of this test");
            None
        }
        Some(dir) => {
            let dir = PathBuf::from(dir);
            assert!(dir.join("apple/train.mov").is_file(), "LIVEPHOTO_SAMPLES={} has no apple/train.mov", dir.display());
            Some(dir)
        }
    }
}

pub fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = bin();
    for a in args {
        c.arg(a);
    }
    c.output().expect("run livephoto")
}

/// Runs `livephoto scan --json PATHS...`; returns (exit code, document).
pub fn scan_json(paths: &[&Path], extra: &[&str]) -> (i32, Value) {
    let out = bin().arg("scan").arg("--json").args(extra).args(paths).output().expect("run livephoto");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), doc)
}

/// File name of a JSON path value.
pub fn name(v: &Value) -> String {
    Path::new(v.as_str().expect("path string")).file_name().unwrap().to_string_lossy().into_owned()
}

/// (still name, clip name, matched_by) of every Live Photo, sorted.
pub fn pairs(doc: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = doc["live_photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lp| (name(&lp["still"]), name(&lp["clip"]), lp["matched_by"].as_str().unwrap().to_string()))
        .collect();
    v.sort();
    v
}

pub fn sha256(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).unwrap();
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// Every regular file under `dir` with its sha256, for "inputs never change" checks.
pub fn checksums(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| {
            let h = sha256(&p);
            (p, h)
        })
        .collect();
    out.sort();
    out
}

/// The marker livephoto leaves in every output folder (and its manifest).
pub const MARKER: &str = ".livephoto-export";

/// True for a temporary output (`.livephoto-XXXX.part.ext`): never left after a run.
pub fn is_temporary(p: &Path) -> bool {
    let n = p.file_name().unwrap().to_string_lossy();
    n.starts_with(".livephoto-") && n.contains(".part.")
}

/// Every file under `dir` but livephoto's export marker.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().is_some_and(|n| n == MARKER) {
            continue;
        }
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Replaces every occurrence of `from` with `to` (same length) in `data`.
pub fn replace_all(data: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= data.len() {
        if &data[i..i + from.len()] == from {
            data[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

pub mod alloc;
#[cfg(target_os = "linux")]
pub mod chromium;
#[cfg(feature = "media")]
pub mod probe;

/// A private copy of some fixture folders (tests that write never share a folder).
pub fn fixture_copy(folders: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in folders {
        copy_dir(&fixtures().join(f), &dir.path().join(f));
    }
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// Whether the tests run as root (who reads anything: a test of what another user cannot read
/// runs livephoto as nobody).
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

/// A command that runs livephoto as nobody (uid 65534) with `setpriv`, from copies of both
/// programs in a folder nobody can enter: the checkout may lie where nobody cannot (a private
/// temporary folder, /root). The folder goes with the returned guard. `None`, with the reason
/// printed, when that cannot be set up here.
pub fn as_nobody() -> Option<(Command, tempfile::TempDir)> {
    use std::os::unix::fs::PermissionsExt;
    let skip = |why: String| {
        eprintln!("note: cannot run livephoto as nobody here ({why}); skipping that part of the test");
        None
    };
    let dir = match tempfile::Builder::new().prefix("livephoto-nobody").tempdir_in("/tmp") {
        Ok(d) => d,
        Err(e) => return skip(format!("no folder in /tmp: {e}")),
    };
    let programs = [env!("CARGO_BIN_EXE_livephoto")].into_iter().chain(option_env!("CARGO_BIN_EXE_livephoto-media"));
    for p in programs {
        let to = dir.path().join(Path::new(p).file_name().unwrap());
        if let Err(e) = std::fs::copy(p, &to).and_then(|_| std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755))) {
            return skip(format!("cannot copy {p}: {e}"));
        }
    }
    if let Err(e) = std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)) {
        return skip(format!("{e}"));
    }
    let check = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(dir.path().join("livephoto"))
        .arg("--version")
        .output();
    match check {
        Ok(o) if o.status.success() => {}
        Ok(o) => return skip(format!("nobody cannot run it: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => return skip(format!("no setpriv: {e}")),
    }
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(dir.path().join("livephoto"));
    Some((cmd, dir))
}

/// Modification time, seconds since 1970.
pub fn mtime(p: &Path) -> i64 {
    let t = std::fs::metadata(p).unwrap().modified().unwrap();
    t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
