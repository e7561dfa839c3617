//! `report`'s job: the analysis, the report model with small-cell suppression applied once,
//! every chart drawn from that model into `charts/`, and the self-contained `report.html`.

use std::path::{Path, PathBuf};

use super::{ChartFiles, PipelineError, Prepared, remove_if_present, write_chart};
use crate::analysis::{self, AnalysisOptions};
use crate::domain::PrimaryOutcome;
use crate::files::write_atomic;
use crate::render::charts::simulation::{PowerChart, PredictiveChart, SimFileError};
use crate::render::charts::{
    adherence::AdherenceChart, consort::ConsortChart, dose::DoseChart, forest::ForestChart,
    rates::RatesChart, slopes::SlopeChart, waterfall::WaterfallChart,
};
use crate::render::report::disclosure::Disclosed as _;
use crate::render::report::model::ReportModel;
use crate::render::report::{self, ReportInput};
use crate::sim::cohort_evidence::fitted;
use crate::sim::result::SimResult;

/// What the report shows and how.
pub struct ReportSettings<'a> {
    /// Title of the page.
    pub title: &'a str,
    /// Smallest count shown (1: no suppression).
    pub min_cell: u64,
    /// Name the cohort folder by its full path instead of its name.
    pub full_paths: bool,
    /// Chart files written beside the page.
    pub files: ChartFiles,
    /// List the participants who need attention by id.
    pub show_ids: bool,
    /// The analysis (its covariates add the adjusted ratios).
    pub options: AnalysisOptions,
    /// Clinic and sample-size simulation results to chart, in the order given (a trial run
    /// is refused with [`PipelineError::SimChart`]).
    pub sims: &'a [SimResult],
}

/// What `report` wrote.
pub struct Reported {
    /// The page.
    pub page: PathBuf,
    /// What the reader of the console should know (a chart that could not be drawn, and why).
    pub notes: Vec<String>,
}

/// The charts of individual participants: each shows every participant's value, so counting
/// them gives any count of the tables; under suppression they are not drawn.
const INDIVIDUAL: [&str; 3] = ["waterfall", "slopes", "adherence"];

/// Writes `out/report.html` and `out/charts/` from a prepared cohort.
///
/// # Errors
/// [`PipelineError`] when the analysis fails, a chart cannot be drawn or a file written.
pub fn report_into(
    prepared: &Prepared,
    out: &Path,
    settings: &ReportSettings<'_>,
) -> Result<Reported, PipelineError> {
    let (cohort, derived) = (&prepared.cohort, &prepared.derived);
    let result = analysis::analyze(cohort, derived, settings.options)?;
    let charts_dir = out.join("charts");
    let d = charts_dir.as_path();
    let f = settings.files;
    let mut notes = Vec::new();
    // Suppression is applied once, here; the page and every chart draw from this model.
    let model = ReportModel::new(cohort, derived, &result, settings.min_cell);
    let mut charts = vec![
        (
            "Responder rates per arm with 95% Wilson intervals".to_owned(),
            write_chart(d, "rates", &RatesChart::new(&result).with_model(&model), f)?,
        ),
        (
            "Risk difference and risk ratio versus control".to_owned(),
            write_chart(
                d,
                "forest",
                &ForestChart::new(&result).with_model(&model),
                f,
            )?,
        ),
    ];
    let chart_note = if model.suppressing() {
        // Earlier copies go too.
        for name in INDIVIDUAL {
            for ext in ["png", "svg"] {
                remove_if_present(&d.join(format!("{name}.{ext}")))?;
            }
        }
        Some(format!(
            "The waterfall, slope and adherence charts are left out: they show each participant's values, from which the counts suppressed under --min-cell {} could be counted.",
            settings.min_cell
        ))
    } else {
        charts.push((
            "Percent change in pain per participant, sorted".to_owned(),
            write_chart(d, "waterfall", &WaterfallChart::new(cohort, derived), f)?,
        ));
        charts.push((
            "Baseline to checkpoint per participant, with arm means".to_owned(),
            write_chart(d, "slopes", &SlopeChart::new(cohort, derived), f)?,
        ));
        charts.push((
            "Sessions attended per participant".to_owned(),
            write_chart(
                d,
                "adherence",
                &AdherenceChart::new(cohort, derived, &result),
                f,
            )?,
        ));
        None
    };
    charts.push((
        "CONSORT 2010 flow diagram".to_owned(),
        write_chart(
            d,
            "consort",
            &ConsortChart::new(cohort, derived).with_model(&model),
            f,
        )?,
    ));
    // The dose-response curves need a fit; a cohort that cannot give one says why instead.
    match fitted(cohort, derived, &result, &cohort.dir) {
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
                let chart = DoseChart::new(&result, &evidence, outcome).with_model(&model);
                charts.push((title.to_owned(), write_chart(d, name, &chart, f)?));
            }
        }
        Err(e) => notes.push(format!("no dose-response chart: {e}")),
    }
    for (index, r) in settings.sims.iter().enumerate() {
        let bad = |source| PipelineError::SimChart { index, source };
        let (title, svg) = match r {
            SimResult::Clinic(_) => {
                let c = PredictiveChart::from_result(r).map_err(bad)?;
                let name = format!("sim{}_predictive", index + 1);
                let title = "Predictive distribution of responders (simulation)";
                (title, write_chart(d, &name, &c, f)?)
            }
            SimResult::SampleSize(_) => {
                let c = PowerChart::from_result(r).map_err(bad)?;
                let name = format!("sim{}_power", index + 1);
                let title = "Power against participants per arm (simulation)";
                (title, write_chart(d, &name, &c, f)?)
            }
            SimResult::Trial(_) => {
                return Err(bad(SimFileError(
                    "a trial run; the report charts clinic and sample-size runs".to_owned(),
                )));
            }
        };
        charts.push((title.to_owned(), svg));
    }
    let label = report::folder_label(&cohort.dir, settings.full_paths);
    let html = report::html(
        cohort,
        derived,
        &result,
        &ReportInput {
            title: settings.title,
            model: &model,
            cohort_label: &label,
            show_ids: settings.show_ids,
            charts,
            chart_note,
        },
    );
    let page = out.join("report.html");
    write_atomic(&page, html.as_bytes())?;
    Ok(Reported { page, notes })
}
