//! `trialdose init SOURCE... [--out DIR] [--force]`: a starter trial.toml whose `[source]` is
//! filled in from the headers of CSV files, the sheets of an xlsx workbook, the schemas of
//! Parquet files, or a REDCap data dictionary (and its export, when given).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use trialdose::cohort::source::starter::{Kind, starter};
use trialdose::render::output::write_atomic;

use super::UsageError;

/// Arguments of `init`.
#[derive(clap::Args)]
pub struct Args {
    /// The data: up to three CSV or Parquet files (one per table), one xlsx workbook, or a
    /// REDCap data dictionary (optionally with the records export).
    #[arg(required = true, value_name = "SOURCE")]
    sources: Vec<PathBuf>,
    /// The cohort folder to write trial.toml into (default: the folder of the first SOURCE);
    /// every SOURCE must be inside it.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Overwrite an existing trial.toml.
    #[arg(long)]
    force: bool,
}

/// The name of `file` inside `dir`, when it is inside.
fn inside(file: &Path, dir: &Path) -> Option<String> {
    let file = std::fs::canonicalize(file).ok()?;
    let dir = std::fs::canonicalize(dir).ok()?;
    let rel = file.strip_prefix(&dir).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// Runs `init`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = match &args.out {
        Some(d) => d.clone(),
        None => args.sources[0]
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_owned(),
    };
    let target = dir.join("trial.toml");
    if !args.force && std::fs::symlink_metadata(&target).is_ok() {
        return Err(UsageError(format!(
            "{} exists; edit it, or add --force to replace it with a starter",
            target.display()
        ))
        .into());
    }
    let mut names = Vec::with_capacity(args.sources.len());
    for s in &args.sources {
        if !s.is_file() {
            return Err(trialdose::cohort::CohortError::Input {
                path: s.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            }
            .into());
        }
        let name = inside(s, &dir).ok_or_else(|| {
            UsageError(format!(
                "{} is not inside the cohort folder {}; [source] names files inside it: copy the file there, or give --out its folder",
                s.display(),
                dir.display()
            ))
        })?;
        names.push(name);
    }
    let kind = Kind::of(&args.sources)?;
    let text = starter(&kind, &names)?;
    write_atomic(&target, text.as_bytes())?;
    println!(
        "wrote {}: check the mappings, then run `trialdose validate {}`",
        target.display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
