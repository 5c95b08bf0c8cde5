//! Thin binary: parse arguments, run, map the outcome to an exit code
//! (0 all done, 1 some files failed, 2 usage or fatal error, 130 interrupted).
//!
//! `scan` runs here. `convert` and `stills` run in the sibling binary `livephoto-media`, which
//! links FFmpeg and libheif: loading those ~170 shared libraries costs ~50 ms per start, more
//! than scanning a thousand files, so the scanner does not link them (scripts/bench; the
//! `NEEDED` list is pinned by tests/layers.rs).

use clap::Parser;

use livephoto::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    cli::install_panic_hook();
    let cli = Cli::parse(); // clap exits with 2 on usage errors
    let result = cli::run_light(&cli).unwrap_or_else(cli::exec_media);
    ExitCode::from(cli::exit_code(result))
}
