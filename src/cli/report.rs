//! `trialdose report COHORT --out DIR`: `DIR/report.html` (self-contained) and every chart as
//! PNG and/or SVG in `DIR/charts/`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use trialdose::analysis::{self, AnalysisOptions};
use trialdose::cohort::{Cohort, LoadOptions};
use trialdose::derive;
use trialdose::domain::PrimaryOutcome;
use trialdose::render::charts::simulation::{PowerChart, PredictiveChart, SimFileError};
use trialdose::render::charts::{
    adherence::AdherenceChart, consort::ConsortChart, dose::DoseChart, forest::ForestChart,
    rates::RatesChart, slopes::SlopeChart, waterfall::WaterfallChart,
};
use trialdose::render::output::{OutputError, ensure_subdir, ensure_writable_dir, write_atomic};
use trialdose::render::report::model::ReportModel;
use trialdose::render::report::{self, ReportInput};
use trialdose::sim::cohort_evidence::fitted;
use trialdose::sim::result::SimResult;

use super::{
    ChartFormat, UsageError, print_notices, refuse_output_in_cohort, refuse_rejected, threads,
    write_chart as chart,
};

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
    /// Chart files to write (the report itself always embeds SVG).
    #[arg(long, value_enum, default_value = "both")]
    format: ChartFormat,
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
    let charts_dir = args.out.join("charts");
    ensure_subdir(&charts_dir)?;
    let cohort = Cohort::load(&args.cohort, LoadOptions { threads })?;
    print_notices(&cohort);
    refuse_rejected(&cohort, &args.cohort, args.skip_invalid)?;
    let derived = derive::derive(&cohort, threads);
    let options = AnalysisOptions {
        adjust: args
            .adjust
            .as_deref()
            .map(super::analyze::covariates)
            .transpose()?,
        ..AnalysisOptions::default()
    };
    let result = analysis::analyze(&cohort, &derived, options)?;
    // Suppression is applied once, here; the page and every chart draw from this model.
    let model = ReportModel::new(&cohort, &derived, &result, args.min_cell);
    let f = args.format;
    let d = &charts_dir;
    let mut charts = vec![
        (
            "Responder rates per arm with 95% Wilson intervals".to_owned(),
            chart(d, "rates", &RatesChart::new(&result).with_model(&model), f)?,
        ),
        (
            "Risk difference and risk ratio versus control".to_owned(),
            chart(
                d,
                "forest",
                &ForestChart::new(&result).with_model(&model),
                f,
            )?,
        ),
    ];
    // Charts of individual participants show every participant's value: counting them gives
    // any count of the tables. Under --min-cell they are not drawn, and earlier copies go.
    let individual = ["waterfall", "slopes", "adherence"];
    let chart_note = if model.suppressing() {
        for name in individual {
            for ext in ["png", "svg"] {
                let path = d.join(format!("{name}.{ext}"));
                if path.exists() {
                    std::fs::remove_file(&path).map_err(|source| OutputError { path, source })?;
                }
            }
        }
        Some(format!(
            "The waterfall, slope and adherence charts are left out: they show each participant's values, from which the counts suppressed under --min-cell {} could be counted.",
            args.min_cell
        ))
    } else {
        charts.push((
            "Percent change in pain per participant, sorted".to_owned(),
            chart(d, "waterfall", &WaterfallChart::new(&cohort, &derived), f)?,
        ));
        charts.push((
            "Baseline to checkpoint per participant, with arm means".to_owned(),
            chart(d, "slopes", &SlopeChart::new(&cohort, &derived), f)?,
        ));
        charts.push((
            "Sessions attended per participant".to_owned(),
            chart(
                d,
                "adherence",
                &AdherenceChart::new(&cohort, &derived, &result),
                f,
            )?,
        ));
        None
    };
    charts.push((
        "CONSORT 2010 flow diagram".to_owned(),
        chart(
            d,
            "consort",
            &ConsortChart::new(&cohort, &derived).with_model(&model),
            f,
        )?,
    ));
    // The dose-response curves need a fit; a cohort that cannot give one says why instead.
    match fitted(&cohort, &derived, &result, &args.cohort) {
        Ok(evidence) => {
            for (outcome, name, title) in [
                (
                    PrimaryOutcome::Pain,
                    "dose_pain",
                    "Pain responders against dose, with the fitted dose-response curve",
                ),
                (
                    PrimaryOutcome::Ndi,
                    "dose_ndi",
                    "NDI responders against dose, with the fitted dose-response curve",
                ),
            ] {
                charts.push((
                    title.to_owned(),
                    chart(
                        d,
                        name,
                        &DoseChart::new(&result, &evidence, outcome).with_model(&model),
                        f,
                    )?,
                ));
            }
        }
        Err(e) => eprintln!(
            "trialdose: note: no dose-response chart: {}",
            super::term::safe(&e.to_string())
        ),
    }
    for (i, (path, r)) in args.sim.iter().zip(&sims).enumerate() {
        let bad = |e: SimFileError| UsageError(format!("--sim {}: {e}", path.display()));
        match r {
            SimResult::Clinic(_) => {
                let c = PredictiveChart::from_result(r).map_err(bad)?;
                charts.push((
                    "Predictive distribution of responders (simulation)".to_owned(),
                    chart(d, &format!("sim{}_predictive", i + 1), &c, f)?,
                ));
            }
            SimResult::SampleSize(_) => {
                let c = PowerChart::from_result(r).map_err(bad)?;
                charts.push((
                    "Power against participants per arm (simulation)".to_owned(),
                    chart(d, &format!("sim{}_power", i + 1), &c, f)?,
                ));
            }
            SimResult::Trial(_) => {
                return Err(UsageError(format!(
                    "--sim {}: a trial run; the report charts clinic and sample-size runs",
                    path.display(),
                ))
                .into());
            }
        }
    }
    let label = report::folder_label(&cohort.dir, args.full_paths);
    let html = report::html(
        &cohort,
        &derived,
        &result,
        &ReportInput {
            title: &args.title,
            model: &model,
            cohort_label: &label,
            show_ids: args.show_ids,
            charts,
            chart_note,
        },
    );
    let path = args.out.join("report.html");
    write_atomic(&path, html.as_bytes())?;
    // With `?`, so a closed pipe ends the run quietly.
    writeln!(std::io::stdout().lock(), "report: {}", path.display())?;
    Ok(ExitCode::SUCCESS)
}
