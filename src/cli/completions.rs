//! `trialdose completions SHELL`: the shell's completion script, generated from the same clap
//! definitions the binary parses with (clap_complete), so completions never drift from the
//! flags. Printed to standard output; the README says where each shell looks for it.

use std::process::ExitCode;

use clap::CommandFactory;

/// Arguments of `completions`.
#[derive(clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the completion script for `shell`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut command = super::Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "trialdose", &mut out);
    Ok(ExitCode::SUCCESS)
}
