//! `trialdose report COHORT --out DIR`: `DIR/report.html` (self-contained), `DIR/report.md`
//! (Markdown for Quarto), `DIR/report.docx` (Word) and every chart as PNG and/or SVG in
//! `DIR/charts/`. `--documents` chooses fewer documents; `--format` chooses the chart files.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use trialdose::analysis::AnalysisOptions;
use trialdose::cohort::LoadOptions;
use trialdose::pipeline::{self, PipelineError, ReportSettings};
use trialdose::render::output::{ensure_subdir, ensure_writable_dir};
use trialdose::sim::result::SimResult;

use super::{ChartFormat, DocumentsArg, UsageError, load, refuse_output_in_cohort, threads};

/// Arguments of `report`.
#[derive(clap::Args)]
pub struct Args {
    /// The cohort folder.
    cohort: PathBuf,
    /// Folder for report.html and charts/.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Title of the report.
    #[arg(long, default_value = "Dosing trial report")]
    title: String,
    /// Suppress counts from 1 to K-1 and whatever would reveal them (complements, totals,
    /// rates, effects, charts of individuals); see the README (1: no suppression).
    #[arg(long, value_name = "K", default_value_t = 1)]
    min_cell: u64,
    /// Print the cohort folder's full path in the report (default: its name only).
    #[arg(long)]
    full_paths: bool,
    /// Simulation results to chart (from `simulate clinic|sample-size --out FILE.json`;
    /// repeatable).
    #[arg(long, value_name = "FILE.json")]
    sim: Vec<PathBuf>,
    /// Chart files to write (the HTML page always embeds SVG, the Word document PNG).
    #[arg(long, value_enum, default_value = "both")]
    format: ChartFormat,
    #[command(flatten)]
    documents: DocumentsArg,
    /// Add baseline-adjusted relative risks: `baseline` or `baseline,age`.
    #[arg(long, value_name = "baseline[,age]")]
    adjust: Option<String>,
    /// Add a list of the participants who need attention (a contraindication without medical
    /// clearance, or an adverse event), by id. Without it no participant id appears anywhere.
    #[arg(long)]
    show_ids: bool,
    /// Report from the accepted rows even when some rows are rejected.
    #[arg(long)]
    skip_invalid: bool,
    /// Most threads working at once, over every pool (results never depend on it; default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

/// Runs `report`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let threads = threads(args.threads)?;
    if args.min_cell == 0 {
        return Err(UsageError(
            "--min-cell 0: give 1 (no suppression) or more, e.g. --min-cell 5".into(),
        )
        .into());
    }
    refuse_output_in_cohort(&args.out, &args.cohort)?;
    // Every --sim document is read (and refused if edited or of another version) before
    // anything is written into --out, so a bad one leaves no half-made report behind.
    let sims: Vec<SimResult> = args
        .sim
        .iter()
        .map(|path| super::simulate::read_result(path))
        .collect::<anyhow::Result<_>>()?;
    if let Some((path, _)) = args
        .sim
        .iter()
        .zip(&sims)
        .find(|(_, r)| matches!(r, SimResult::Trial(_)))
    {
        return Err(UsageError(format!(
            "--sim {}: a trial run; the report charts clinic and sample-size runs",
            path.display(),
        ))
        .into());
    }
    ensure_writable_dir(&args.out)?;
    ensure_subdir(&args.out.join("charts"))?;
    let options = AnalysisOptions {
        adjust: args
            .adjust
            .as_deref()
            .map(super::analyze::covariates)
            .transpose()?,
        // The report always has its sensitivity section.
        sensitivity: true,
        ..AnalysisOptions::default()
    };
    let prepared = load(
        &args.cohort,
        LoadOptions {
            threads,
            digests: true,
        },
        args.skip_invalid,
    )?;
    let settings = ReportSettings {
        title: &args.title,
        min_cell: args.min_cell,
        full_paths: args.full_paths,
        files: args.format.into(),
        documents: args.documents.chosen(),
        show_ids: args.show_ids,
        options,
        sims: &sims,
    };
    let reported = pipeline::report_into(&prepared, &args.out, &settings).map_err(|e| match e {
        PipelineError::SimChart { index, source } => {
            UsageError(format!("--sim {}: {source}", args.sim[index].display())).into()
        }
        e => anyhow::Error::from(e),
    })?;
    for note in &reported.notes {
        eprintln!("trialdose: note: {}", super::term::safe(note));
    }
    // With `?`, so a closed pipe ends the run quietly.
    let mut out = std::io::stdout().lock();
    for path in &reported.documents {
        writeln!(out, "report: {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}
