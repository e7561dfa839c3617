//! `trialdose generate OUTDIR --participants N --seed S [--profile dream]`: a synthetic cohort
//! in the data contract's format, calibrated to published figures. Same seed, same bytes.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use trialdose::generate::{GenerateOptions, Profile, write_cohort};
use trialdose::output::{AtomicFile, OutputError, ensure_writable_dir};

use super::UsageError;

/// Arguments of `generate`.
#[derive(clap::Args)]
pub struct Args {
    /// Folder to write participants.csv, sessions.csv and scores.csv into.
    outdir: PathBuf,
    /// Number of participants (1 to 10,000,000).
    #[arg(long)]
    participants: u64,
    /// Seed of the generator's random stream (ChaCha8).
    #[arg(long)]
    seed: u64,
    /// Calibration profile.
    #[arg(long, default_value = "dream")]
    profile: String,
    /// Make one site (e.g. "Site D") an outlier whose patients respond a quarter as often as
    /// elsewhere; for testing audits.
    #[arg(long, value_name = "SITE")]
    outlier_site: Option<String>,
}

/// Runs `generate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let profile: Profile = args
        .profile
        .parse()
        .map_err(|e| UsageError(format!("--profile {}: {e}", args.profile)))?;
    let mut options = GenerateOptions::new(args.participants, args.seed, profile)
        .map_err(|e| UsageError(format!("{e}")))?;
    if let Some(site) = &args.outlier_site {
        options = options
            .with_outlier_site(site)
            .map_err(|e| UsageError(format!("{e}")))?;
    }
    ensure_writable_dir(&args.outdir)?;
    let mut files = [
        AtomicFile::create(&args.outdir.join("participants.csv"))?,
        AtomicFile::create(&args.outdir.join("sessions.csv"))?,
        AtomicFile::create(&args.outdir.join("scores.csv"))?,
    ];
    let [p, s, sc] = &mut files;
    let counts = write_cohort(&options, p, s, sc).map_err(|source| OutputError {
        path: args.outdir.clone(),
        source,
    })?;
    for f in files {
        f.commit()?;
    }
    // With `?`, so a closed pipe ends the run quietly.
    writeln!(
        std::io::stdout().lock(),
        "wrote {}: {} participants, {} session rows, {} score rows",
        args.outdir.display(),
        counts.participants,
        counts.sessions,
        counts.scores
    )?;
    Ok(ExitCode::SUCCESS)
}
