//! `trialdose man [--out DIR]`: manual pages in roff, generated from the clap definitions
//! (clap_mangen): `trialdose.1` for the command and one page per subcommand
//! (`trialdose-analyze.1`, `trialdose-simulate-clinic.1`, ...), as `git` ships them. Without
//! `--out`, `trialdose.1` goes to standard output (`trialdose man | man -l -`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::CommandFactory;
use trialdose::render::output::{ensure_writable_dir, write_with};

/// Arguments of `man`.
#[derive(clap::Args)]
pub struct Args {
    /// Write trialdose.1 and a page per subcommand into DIR (each file written atomically).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// `command`'s page and, under `prefix-NAME`, those of its subcommands, depth first.
fn pages(command: &clap::Command, prefix: &str, into: &mut Vec<(String, clap::Command)>) {
    into.push((prefix.to_owned(), command.clone().name(prefix.to_owned())));
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        pages(sub, &format!("{prefix}-{}", sub.get_name()), into);
    }
}

/// Renders the pages and writes or prints them.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut command = super::Cli::command();
    command.build();
    let Some(dir) = args.out else {
        let mut out = std::io::stdout().lock();
        clap_mangen::Man::new(command).render(&mut out)?;
        return Ok(ExitCode::SUCCESS);
    };
    ensure_writable_dir(&dir)?;
    let mut all = Vec::new();
    pages(&command, "trialdose", &mut all);
    for (name, page) in &all {
        let path = dir.join(format!("{name}.1"));
        write_with(&path, |w| clap_mangen::Man::new(page.clone()).render(w))?;
    }
    eprintln!("wrote {} manual pages to {}", all.len(), dir.display());
    Ok(ExitCode::SUCCESS)
}
