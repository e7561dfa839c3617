//! The `trialdose` binary: parse the command line, run, and turn any error into the
//! documented exit code. Everything else lives in the library and in `cli/`.

mod cli;

use std::process::ExitCode;

/// mimalloc keeps freed pages for reuse instead of returning large blocks to the system at
/// once (why: Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The error and its causes, each cause added only when the message does not already say it
/// (errors that carry an I/O error print it themselves, and `{:#}` would repeat it).
fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.is_empty() {
            text = part;
        } else if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    text
}

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            if cli::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("trialdose: error: {}", cli::safe_text(&message(&err)));
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
