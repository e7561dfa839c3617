//! `trialdose plot KIND COHORT --out FILE`: one chart, as PNG or SVG (by the file's extension).

use std::path::PathBuf;
use std::process::ExitCode;

use trialdose::analysis::{self, AnalysisOptions};
use trialdose::cohort::LoadOptions;
use trialdose::domain::PrimaryOutcome;

use trialdose::render::charts::{
    self, Chart,
    adherence::AdherenceChart,
    consort::ConsortChart,
    dose::DoseChart,
    forest::ForestChart,
    rates::RatesChart,
    simulation::{PowerChart, PredictiveChart, SimFileError},
    slopes::SlopeChart,
    waterfall::WaterfallChart,
};
use trialdose::render::output::write_atomic;
use trialdose::sim::cohort_evidence::fitted;

use super::{DataError, UsageError, load, threads};

/// The charts `plot` can draw.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Kind {
    /// Responder rates per arm (pain and NDI) with Wilson 95% intervals, control set apart.
    Rates,
    /// Forest plot: risk difference and risk ratio (log axis) of each arm versus control.
    Forest,
    /// Share of planned sessions attended per participant, by arm, with the 75% line.
    Adherence,
    /// Each participant's percent change in pain, sorted, per arm, with the -30% line.
    Waterfall,
    /// Baseline-to-checkpoint lines per participant with the arm mean (pain and NDI).
    Slopes,
    /// CONSORT 2010 flow diagram drawn from the data.
    Consort,
    /// Pain responders against planned minutes per week, with the fitted dose-response curve.
    Dose,
    /// The same for NDI responders.
    DoseNdi,
    /// Predictive distribution of responders, from `simulate clinic --out FILE` (needs --sim).
    Predictive,
    /// Power against participants per arm, from `simulate sample-size --out FILE` (needs --sim).
    Power,
}

/// Arguments of `plot`.
#[derive(clap::Args)]
pub struct Args {
    /// Which chart.
    #[arg(value_enum)]
    kind: Kind,
    /// The cohort folder (not for predictive and power, which draw a simulation).
    cohort: Option<PathBuf>,
    /// A simulation's JSON file (for predictive and power).
    #[arg(long, value_name = "FILE.json")]
    sim: Option<PathBuf>,
    /// Output file: .png or .svg.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Draw from the accepted rows even when some rows are rejected.
    #[arg(long)]
    skip_invalid: bool,
    /// Most threads working at once, over every pool (results never depend on it; default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

/// Runs `plot`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let threads = threads(args.threads)?;
    let svg = match args.out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("svg") => true,
        Some(e) if e.eq_ignore_ascii_case("png") => false,
        _ => {
            return Err(UsageError(format!(
                "--out {}: the file must end in .png or .svg",
                args.out.display()
            ))
            .into());
        }
    };
    if matches!(args.kind, Kind::Predictive | Kind::Power) {
        let path = args.sim.as_ref().ok_or_else(|| {
            UsageError("this chart draws a simulation: give --sim FILE.json (from simulate ... --out FILE.json)".into())
        })?;
        let r = super::simulate::read_result(path)?;
        let bad = |e: SimFileError| UsageError(format!("--sim {}: {e}", path.display()));
        if matches!(args.kind, Kind::Predictive) {
            render(
                &PredictiveChart::from_result(&r).map_err(bad)?,
                &args.out,
                svg,
            )?;
        } else {
            render(&PowerChart::from_result(&r).map_err(bad)?, &args.out, svg)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let cohort_dir = args.cohort.clone().ok_or_else(|| {
        UsageError(
            "give the cohort folder, e.g. trialdose plot rates data/dream-like --out rates.png"
                .into(),
        )
    })?;
    let prepared = load(
        &cohort_dir,
        LoadOptions {
            threads,
            digests: false,
        },
        args.skip_invalid,
    )?;
    let (cohort, derived) = (&prepared.cohort, &prepared.derived);
    let options = AnalysisOptions::default();
    let result = analysis::analyze(cohort, derived, options)?;
    match args.kind {
        Kind::Rates => render(&RatesChart::new(&result), &args.out, svg)?,
        Kind::Forest => render(&ForestChart::new(&result), &args.out, svg)?,
        Kind::Waterfall => render(&WaterfallChart::new(cohort, derived), &args.out, svg)?,
        Kind::Slopes => render(&SlopeChart::new(cohort, derived), &args.out, svg)?,
        Kind::Consort => render(&ConsortChart::new(cohort, derived), &args.out, svg)?,
        // Drawn from --sim above, before the cohort is read.
        Kind::Predictive | Kind::Power => {}
        Kind::Dose | Kind::DoseNdi => {
            let evidence = fitted(cohort, derived, &result, &cohort_dir)
                .map_err(|e| DataError(e.to_string()))?;
            let outcome = if matches!(args.kind, Kind::Dose) {
                PrimaryOutcome::Pain
            } else {
                PrimaryOutcome::Ndi
            };
            render(&DoseChart::new(&result, &evidence, outcome), &args.out, svg)?;
        }
        Kind::Adherence => render(
            &AdherenceChart::new(cohort, derived, &result),
            &args.out,
            svg,
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes one chart as SVG or PNG, atomically.
fn render<C: Chart>(chart: &C, out: &std::path::Path, svg: bool) -> anyhow::Result<()> {
    if svg {
        write_atomic(out, charts::svg(chart)?.as_bytes())?;
    } else {
        write_atomic(out, &charts::png(chart)?)?;
    }
    Ok(())
}
