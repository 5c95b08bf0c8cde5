//! Thin binary: parse arguments, run, map the outcome to an exit code
//! (0 all done, 1 some files failed, 2 usage or fatal error).

use clap::Parser;
use livephoto::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse(); // clap exits with 2 on usage errors
    let result = match &cli.command {
        Command::Scan(a) => livephoto::cli::run_scan(a),
        Command::Convert(a) => livephoto::convert::run_convert(a),
        Command::Stills(a) => livephoto::convert::run_stills(a),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("livephoto: {e:#}");
            ExitCode::from(2)
        }
    }
}
