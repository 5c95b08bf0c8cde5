//! The media half of `livephoto`: `convert` and `stills`, which need FFmpeg and libheif.
//! Started by `livephoto convert|stills` with the same arguments; usable on its own too.
//! Built only with the `media` feature (the default).

use clap::Parser;
use livephoto::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    cli::install_panic_hook();
    livephoto::export::tune_allocator();
    let cli = Cli::parse();
    ExitCode::from(cli::exit_code(cli::run_media(&cli)))
}
