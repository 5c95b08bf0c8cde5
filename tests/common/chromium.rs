//! Headless Chromium as a test oracle: opens a page and evaluates JavaScript in it through the
//! DevTools protocol over `--remote-debugging-pipe` (JSON messages ended by NUL on fds 3 and 4),
//! so a test can wait for videos to end and images to load, then read what the browser saw.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::io::FromRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

extern "C" {
    fn pipe2(fds: *mut i32, flags: i32) -> i32;
    fn fcntl(fd: i32, cmd: i32, arg: i32) -> i32;
    fn dup2(old: i32, new: i32) -> i32;
}
const O_CLOEXEC: i32 = 0o2000000;
const F_DUPFD: i32 = 0;

/// The Chromium on PATH, or `None` with a note (the test is skipped): `scripts/setup` installs it.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("note: no chromium on PATH (scripts/setup installs it); skipping the browser part of this test");
    }
    found
}

pub struct Chromium {
    child: Child,
    to: File,
    from: BufReader<File>,
    next: u64,
    session: String,
    _profile: tempfile::TempDir,
}

fn pipe() -> (File, File) {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills two descriptors we then own.
    unsafe {
        assert_eq!(pipe2(fds.as_mut_ptr(), O_CLOEXEC), 0, "pipe2");
        (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1]))
    }
}

impl Chromium {
    /// Starts `browser` headless on `url` and waits until the page has loaded.
    pub fn open(browser: &Path, url: &str) -> Chromium {
        use std::os::unix::io::AsRawFd;
        let (their_in, to) = pipe();
        let (from, their_out) = pipe();
        let (r, w) = (their_in.as_raw_fd(), their_out.as_raw_fd());
        let profile = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(browser);
        cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--mute-audio", "--remote-debugging-pipe"])
            // no connections out: on a machine with a closed network each one is refused or times out
            .args(["--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"])
            .arg("--autoplay-policy=no-user-gesture-required")
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls between fork and exec: the pipe ends are moved to
        // high numbers first, so placing them at 3 and 4 cannot clobber one with the other.
        unsafe {
            cmd.pre_exec(move || {
                let (a, b) = (fcntl(r, F_DUPFD, 10), fcntl(w, F_DUPFD, 10));
                if a < 0 || b < 0 || dup2(a, 3) < 0 || dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start chromium");
        drop((their_in, their_out));
        let mut c = Chromium { child, to, from: BufReader::new(from), next: 0, session: String::new(), _profile: profile };
        let target = c.call("Target.createTarget", json!({"url": url}), false)["targetId"].clone();
        c.session =
            c.call("Target.attachToTarget", json!({"targetId": target, "flatten": true}), false)["sessionId"].as_str().unwrap().to_string();
        for _ in 0..600 {
            // one evaluation for both: asked apart, about:blank's "complete" and the report's URL
            // (while its document is still being parsed) can both be seen
            let js = "[document.readyState, location.href]";
            let ready = c.call("Runtime.evaluate", json!({"expression": js, "returnByValue": true}), true);
            if ready["result"]["value"] == json!(["complete", url]) {
                return c;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("chromium did not load {url} within 30 s");
    }

    fn call(&mut self, method: &str, params: Value, in_page: bool) -> Value {
        self.next += 1;
        let mut msg = json!({"id": self.next, "method": method, "params": params});
        if in_page {
            msg["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        loop {
            let mut buf = Vec::new();
            let n = self.from.read_until(0, &mut buf).expect("read from chromium");
            assert!(n > 0, "chromium closed the pipe (it exited: {:?})", self.child.try_wait());
            buf.pop();
            let reply: Value = serde_json::from_slice(&buf).expect("a JSON message");
            if reply["id"] == json!(self.next) {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// Evaluates `js` in the page (a promise is awaited) and returns its value as JSON.
    pub fn eval(&mut self, js: &str) -> Value {
        let r = self.call("Runtime.evaluate", json!({"expression": js, "awaitPromise": true, "returnByValue": true}), true);
        assert!(r.get("exceptionDetails").is_none(), "{js}\n threw: {}", r["exceptionDetails"]);
        r["result"]["value"].clone()
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.to.write_all(b"{\"id\":999999,\"method\":\"Browser.close\"}\0");
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `file://` URL for an absolute path (every byte that is not plainly safe percent-encoded).
pub fn file_url(p: &Path) -> String {
    let abs = std::fs::canonicalize(p).unwrap();
    let mut s = String::from("file://");
    for &c in std::os::unix::ffi::OsStrExt::as_bytes(abs.as_os_str()) {
        if c.is_ascii_alphanumeric() || b"-._~/".contains(&c) {
            s.push(c as char);
        } else {
            s.push_str(&format!("%{c:02X}"));
        }
    }
    s
}

/// JavaScript: waits (at most `ms`) for every `<img>` (forced to load now, not lazily) and
/// every `<video>` (played muted to its end), then returns what the browser saw of each by its
/// `src` attribute: `{state: "load"|"ended"|"error"|"timeout", w, h}` (and a video's
/// duration `d` and where it stopped, `t`, in seconds).
pub fn media_check_js(ms: u32) -> String {
    format!(
        r#"(async () => {{
  const one = el => new Promise(done => {{
    const key = el.getAttribute('src');
    const give = state => done([key, {{state, w: el.naturalWidth ?? el.videoWidth, h: el.naturalHeight ?? el.videoHeight, d: el.duration ?? null, t: el.currentTime ?? null}}]);
    setTimeout(() => give('timeout'), {ms});
    if (el.tagName === 'IMG') {{
      el.loading = 'eager';
      if (el.complete) {{ give(el.naturalWidth > 0 ? 'load' : 'error'); return; }}
      el.addEventListener('load', () => give('load'));
      el.addEventListener('error', () => give('error'));
    }} else {{
      el.muted = true;
      el.addEventListener('ended', () => give('ended'));
      el.addEventListener('error', () => give('error'));
      el.play().catch(() => give('error'));
    }}
  }});
  return Object.fromEntries(await Promise.all([...document.querySelectorAll('img, video')].map(one)));
}})()"#
    )
}
