//! The `trialdose` binary: parse the command line, run, and turn any error into the
//! documented exit code. Everything else lives in the library and in `cli/`.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            if cli::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("trialdose: error: {err:#}");
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
