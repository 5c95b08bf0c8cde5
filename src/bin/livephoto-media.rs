//! The media half of `livephoto`: `convert` and `stills`, which need FFmpeg and libheif.
//! Started by `livephoto convert|stills` with the same arguments; usable on its own too.

use clap::Parser;
use livephoto::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Convert(a) => livephoto::convert::run_convert(a),
        Command::Stills(a) => livephoto::convert::run_stills(a),
        _ => livephoto::cli::run_light(&cli).unwrap_or(Ok(2)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // the reader of our output has gone (`| head`): nothing left to say, as ripgrep does
        Err(e) if livephoto::report::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            livephoto::report::stderr_line(&format!("livephoto: {e:#}"));
            ExitCode::from(2)
        }
    }
}
