//! `trialdose generate OUTDIR --participants N --seed S [--profile dream]`: a synthetic cohort
//! in the data contract's format, calibrated to published figures. Same seed, same bytes.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use trialdose::generate::{GenerateOptions, Layout, LayoutFile, Profile, write_cohort};
use trialdose::render::output::{AtomicFile, OutputError, ensure_writable_dir};

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
    /// Factor on the outlier site's response probabilities (default 0.25; above 1, e.g. 2.5,
    /// makes an excellent site, probabilities capped at 1).
    #[arg(long, value_name = "F", requires = "outlier_site")]
    outlier_factor: Option<f64>,
    /// How the files are laid out: `grouped` (the contract's own: rows grouped by
    /// participant, contract column order, no quotes, LF), or a comma-separated list of
    /// `chronological` (sessions by date) or `shuffled` (sessions in random order), `columns`
    /// (every file's columns reversed), `excel` (text cells quoted, CRLF, a byte-order mark),
    /// `unpadded` (ids without zero padding), `markers` (a `walk_minutes` marker column and
    /// the trial.toml declaring it); `all` is all but `shuffled`. The values are the same in
    /// every layout.
    #[arg(long, default_value = "grouped", value_name = "LAYOUT")]
    layout: String,
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
            .map_err(|e| UsageError(format!("--outlier-site {e}")))?;
    }
    if let Some(factor) = args.outlier_factor {
        options = options
            .with_outlier_factor(factor)
            .map_err(|e| UsageError(format!("--outlier-factor {e}")))?;
    }
    let layout: Layout = args
        .layout
        .parse()
        .map_err(|e| UsageError(format!("--layout: {e}")))?;
    ensure_writable_dir(&args.outdir)?;
    let mut files = [
        AtomicFile::create(&args.outdir.join("participants.csv"))?,
        AtomicFile::create(&args.outdir.join("sessions.csv"))?,
        AtomicFile::create(&args.outdir.join("scores.csv"))?,
    ];
    let write_error = |source| OutputError {
        path: args.outdir.clone(),
        source,
    };
    let counts = if layout.is_contract() {
        let [p, s, sc] = &mut files;
        write_cohort(&options, p, s, sc).map_err(write_error)?
    } else {
        // Another layout: the cohort is written in memory, then rewritten file by file.
        let mut bytes = [Vec::new(), Vec::new(), Vec::new()];
        let [p, s, sc] = &mut bytes;
        let counts = write_cohort(&options, p, s, sc).map_err(write_error)?;
        let kinds = [
            LayoutFile::Participants,
            LayoutFile::Sessions,
            LayoutFile::Scores,
        ];
        for ((file, kind), data) in files.iter_mut().zip(kinds).zip(bytes) {
            let rewritten = layout.apply(kind, &data, args.seed);
            drop(data);
            file.write_all(&rewritten).map_err(write_error)?;
        }
        counts
    };
    if let Some(toml) = layout.trial_toml() {
        let mut f = AtomicFile::create(&args.outdir.join("trial.toml"))?;
        f.write_all(toml.as_bytes()).map_err(write_error)?;
        f.commit()?;
    }
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
