//! `report`'s job: the analysis, the report model with small-cell suppression applied once,
//! every chart drawn from that model into `charts/`, the report as one document built from
//! the model, and that document written as the self-contained `report.html`, `report.md`
//! (Markdown for Quarto, pointing at the charts) and `report.docx` (Word).

use std::path::{Path, PathBuf};

use super::{
    ChartFiles, Charts, Documents, PipelineError, Prepared, remove_if_present, write_documents,
};
use crate::analysis::{self, AnalysisOptions};
use crate::domain::PrimaryOutcome;
use crate::render::charts::simulation::{PowerChart, PredictiveChart, SimFileError};
use crate::render::charts::{
    adherence::AdherenceChart, consort::ConsortChart, dose::DoseChart, forest::ForestChart,
    rates::RatesChart, slopes::SlopeChart, waterfall::WaterfallChart,
};
use crate::render::report::disclosure::Disclosed as _;
use crate::render::report::model::ReportModel;
use crate::render::report::{self, Front, ReportInput};
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
    /// The documents written.
    pub documents: Documents,
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
    /// The documents written (HTML, Markdown, Word, as asked).
    pub documents: Vec<PathBuf>,
    /// What the reader of the console should know (a chart that could not be drawn, and why).
    pub notes: Vec<String>,
}

/// The charts of individual participants: each shows every participant's value, so counting
/// them gives any count of the tables; under suppression they are not drawn.
const INDIVIDUAL: [&str; 3] = ["waterfall", "slopes", "adherence"];

/// Writes the documents asked for (`out/report.html`, `out/report.md`, `out/report.docx`)
/// and `out/charts/` from a prepared cohort.
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
    // The Word document embeds the charts as PNG drawn for print, whichever chart files are
    // written.
    let draw = Charts {
        dir: d,
        relative: "charts/",
        files: f,
        print: settings.documents.word,
    };
    let mut charts = vec![
        draw.figure(
            "rates",
            "Responder rates per arm with 95% Wilson intervals",
            &RatesChart::new(&result).with_model(&model),
        )?,
        draw.figure(
            "forest",
            "Risk difference and risk ratio versus control",
            &ForestChart::new(&result).with_model(&model),
        )?,
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
        charts.push(draw.figure(
            "waterfall",
            "Percent change in pain per participant, sorted",
            &WaterfallChart::new(cohort, derived),
        )?);
        charts.push(draw.figure(
            "slopes",
            "Baseline to checkpoint per participant, with arm means",
            &SlopeChart::new(cohort, derived),
        )?);
        charts.push(draw.figure(
            "adherence",
            "Sessions attended per participant",
            &AdherenceChart::new(cohort, derived, &result),
        )?);
        None
    };
    charts.push(draw.figure(
        "consort",
        "CONSORT 2010 flow diagram",
        &ConsortChart::new(cohort, derived).with_model(&model),
    )?);
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
                charts.push(draw.figure(name, title, &chart)?);
            }
        }
        Err(e) => notes.push(format!("no dose-response chart: {e}")),
    }
    for (index, r) in settings.sims.iter().enumerate() {
        let bad = |source| PipelineError::SimChart { index, source };
        let figure = match r {
            SimResult::Clinic(_) => {
                let c = PredictiveChart::from_result(r).map_err(bad)?;
                let name = format!("sim{}_predictive", index + 1);
                let title = "Predictive distribution of responders (simulation)";
                draw.figure(&name, title, &c)?
            }
            SimResult::SampleSize(_) => {
                let c = PowerChart::from_result(r).map_err(bad)?;
                let name = format!("sim{}_power", index + 1);
                let title = "Power against participants per arm (simulation)";
                draw.figure(&name, title, &c)?
            }
            SimResult::Trial(_) => {
                return Err(bad(SimFileError(
                    "a trial run; the report charts clinic and sample-size runs".to_owned(),
                )));
            }
        };
        charts.push(figure);
    }
    let label = report::folder_label(&cohort.dir, settings.full_paths);
    let document = report::document(
        cohort,
        derived,
        &result,
        ReportInput {
            front: Front {
                title: settings.title,
                model: &model,
                cohort_label: &label,
                show_ids: settings.show_ids,
            },
            charts,
            chart_note,
        },
    );
    let documents = write_documents(out, "report", &document, settings.documents, f)?;
    Ok(Reported { documents, notes })
}
