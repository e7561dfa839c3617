//! The files `analyze` and `validate` write, one function per file, with the contract's
//! column order: `arms.csv`, `comparisons.csv`, `trend.csv`, `adjusted.csv`,
//! `stratified.csv`, `sensitivity.csv`, `table1.csv`, `participants.csv`, `rejections.csv` and
//! `summary.json`. Each table's rows are handed as typed cells to a [`RowSink`], which the CSV
//! writers here and the workbook of `render::xlsx` both use.

use std::io::{self, Write};

use serde::Serialize;

use crate::analysis::adjusted::AdjustedRow;
use crate::analysis::baseline::{BaselineArm, MeanSd};
use crate::analysis::{Analysis, AnalysisOptions, ArmSummary, Comparison, TrendRow};
use crate::cohort::{Cohort, FileReport, Rejection, SourceReport};
use crate::derive::{Derived, Flags, OutcomeValues};
use crate::render::output::{Cell, FloatMemo, push_header, push_row, push_row_with};
use crate::stats::Multiplicity;

/// Columns of `arms.csv`.
pub const ARMS_COLUMNS: [&str; 23] = [
    "arm",
    "is_control",
    "minutes",
    "per_week",
    "weeks",
    "randomized",
    "adherent",
    "adherence_rate",
    "pain_responders",
    "pain_n",
    "pain_rate",
    "pain_rate_low",
    "pain_rate_high",
    "ndi_responders",
    "ndi_n",
    "ndi_rate",
    "ndi_rate_low",
    "ndi_rate_high",
    "pain_improvement_mean",
    "pain_improvement_sd",
    "ndi_improvement_mean",
    "ndi_improvement_sd",
    "adverse_event_participants",
];

/// Columns of `comparisons.csv`.
pub const COMPARISONS_COLUMNS: [&str; 22] = [
    "arm",
    "outcome",
    "responders",
    "n",
    "rate",
    "control_responders",
    "control_n",
    "control_rate",
    "risk_difference",
    "rd_low",
    "rd_high",
    "risk_ratio",
    "rr_low",
    "rr_high",
    "odds_ratio",
    "or_low",
    "or_high",
    "nnt",
    "p_value",
    "improvement_difference",
    "improvement_difference_low",
    "improvement_difference_high",
];

/// Columns of `participants.csv` (marker columns follow when markers are declared).
pub const PARTICIPANTS_COLUMNS: [&str; 20] = [
    "participant_id",
    "arm",
    "site",
    "age",
    "sessions_planned",
    "sessions_attended",
    "adherence",
    "adherent",
    "minutes_delivered",
    "pain_baseline",
    "pain_checkpoint",
    "pain_improvement",
    "pain_improvement_pct",
    "pain_responder",
    "ndi_baseline",
    "ndi_checkpoint",
    "ndi_improvement",
    "ndi_responder",
    "decision",
    "flags",
];

/// Columns of `rejections.csv`.
pub const REJECTIONS_COLUMNS: [&str; 5] = ["file", "line", "column", "value", "reason"];

fn int(v: u64) -> Cell<'static> {
    Cell::Int(Some(v))
}
fn opt_int(v: Option<u32>) -> Cell<'static> {
    Cell::Int(v.map(u64::from))
}

/// Receives the typed cells of one row at a time: a CSV buffer, or a worksheet
/// (`render::xlsx`). Every table below hands its rows to a sink, so the CSV files and the
/// workbook are drawn from the same cells.
pub type RowSink<'s> = dyn FnMut(&[Cell<'_>]) + 's;

/// A CSV file of `header` and the rows `rows` hands to its sink.
fn csv_of(header: &[&str], rows: impl FnOnce(&mut RowSink<'_>)) -> String {
    let mut out = String::new();
    push_header(&mut out, header);
    rows(&mut |cells: &[Cell<'_>]| push_row(&mut out, cells));
    out
}

fn arm_row(sink: &mut RowSink<'_>, a: &ArmSummary) {
    sink(&[
        Cell::Text(&a.arm),
        Cell::Bool(Some(a.is_control)),
        opt_int(a.minutes),
        opt_int(a.per_week),
        opt_int(a.weeks),
        int(a.randomized),
        Cell::Int(a.adherent),
        Cell::Float(a.adherence_rate),
        int(a.pain.responders),
        int(a.pain.n),
        Cell::Float(a.pain.rate),
        Cell::Float(a.pain.low),
        Cell::Float(a.pain.high),
        int(a.ndi.responders),
        int(a.ndi.n),
        Cell::Float(a.ndi.rate),
        Cell::Float(a.ndi.low),
        Cell::Float(a.ndi.high),
        Cell::Float(a.pain_improvement_mean),
        Cell::Float(a.pain_improvement_sd),
        Cell::Float(a.ndi_improvement_mean),
        Cell::Float(a.ndi_improvement_sd),
        int(a.adverse_event_participants),
    ]);
}

/// The rows of `arms.csv` (columns in [`ARMS_COLUMNS`]).
pub fn arms_rows(analysis: &Analysis, sink: &mut RowSink<'_>) {
    for a in &analysis.arms {
        arm_row(sink, a);
    }
}

/// `arms.csv`.
pub fn arms_csv(analysis: &Analysis) -> String {
    csv_of(&ARMS_COLUMNS, |sink| arms_rows(analysis, sink))
}

fn comparison_row(
    sink: &mut RowSink<'_>,
    c: &Comparison,
    adjusted: bool,
    margin: bool,
    reference: Option<&str>,
) {
    let mut cells = vec![
        Cell::Text(&c.arm),
        Cell::Text(&c.label),
        int(c.responders),
        int(c.n),
        Cell::Float(c.rate),
        int(c.control_responders),
        int(c.control_n),
        Cell::Float(c.control_rate),
        Cell::Float(c.risk_difference),
        Cell::Float(c.rd_low),
        Cell::Float(c.rd_high),
        Cell::Float(c.risk_ratio),
        Cell::Float(c.rr_low),
        Cell::Float(c.rr_high),
        Cell::Float(c.odds_ratio),
        Cell::Float(c.or_low),
        Cell::Float(c.or_high),
        Cell::Float(c.nnt),
        Cell::Float(c.p_value),
        Cell::Float(c.improvement_difference),
        Cell::Float(c.improvement_difference_low),
        Cell::Float(c.improvement_difference_high),
    ];
    if adjusted {
        cells.push(Cell::Float(c.p_adjusted));
    }
    if margin {
        let t = c.margin_test;
        cells.extend([
            Cell::Float(t.map(|t| t.z)),
            Cell::Float(t.map(|t| t.p_value)),
            Cell::Bool(t.map(|t| t.rejected)),
        ]);
    }
    if let Some(r) = reference {
        cells.push(Cell::Text(r));
    }
    sink(&cells);
}

/// `comparisons.csv`; with a `--multiplicity` adjustment, a column `p_adjusted`; with a
/// margin, the test's `margin_z`, `margin_p` and `margin_rejected` (true: non-inferior,
/// superior or equivalent, as the hypothesis says; the hypothesis and margin are in
/// summary.json's settings); with `--reference`, a last column `reference` naming the arm the
/// `control_*` columns then describe.
pub fn comparisons_csv(analysis: &Analysis) -> String {
    csv_of(&comparisons_header(analysis), |sink| {
        comparisons_rows(analysis, sink);
    })
}

/// The optional columns of `comparisons.csv` this analysis has: `p_adjusted`, the margin
/// test's, `reference`.
struct ComparisonExtras<'a> {
    adjusted: bool,
    margin: bool,
    reference: Option<&'a str>,
}

impl<'a> ComparisonExtras<'a> {
    fn of(analysis: &'a Analysis) -> Self {
        ComparisonExtras {
            adjusted: analysis.options.multiplicity != Multiplicity::None,
            margin: analysis.options.margin.is_some(),
            reference: analysis
                .options
                .reference
                .map(|r| analysis.arms[r].arm.as_str()),
        }
    }
}

/// The header of `comparisons.csv`: [`COMPARISONS_COLUMNS`] and the optional columns the
/// options ask for (see [`comparisons_csv`]).
#[must_use]
pub fn comparisons_header(analysis: &Analysis) -> Vec<&'static str> {
    let extras = ComparisonExtras::of(analysis);
    let mut header = COMPARISONS_COLUMNS.to_vec();
    if extras.adjusted {
        header.push("p_adjusted");
    }
    if extras.margin {
        header.extend(["margin_z", "margin_p", "margin_rejected"]);
    }
    if extras.reference.is_some() {
        header.push("reference");
    }
    header
}

/// The rows of `comparisons.csv` (columns in [`comparisons_header`]).
pub fn comparisons_rows(analysis: &Analysis, sink: &mut RowSink<'_>) {
    let e = ComparisonExtras::of(analysis);
    for c in &analysis.comparisons {
        comparison_row(sink, c, e.adjusted, e.margin, e.reference);
    }
}

/// Columns of `trend.csv`.
pub const TREND_COLUMNS: [&str; 5] = ["outcome", "z", "p_two_sided", "p_one_sided", "scores"];

/// `trend.csv`: one Cochran-Armitage test per outcome.
pub fn trend_csv(trend: &[TrendRow]) -> String {
    csv_of(&TREND_COLUMNS, |sink| trend_rows(trend, sink))
}

/// The rows of `trend.csv` (columns in [`TREND_COLUMNS`]).
pub fn trend_rows(trend: &[TrendRow], sink: &mut RowSink<'_>) {
    for t in trend {
        sink(&[
            Cell::Text(&t.label),
            Cell::Float(t.z),
            Cell::Float(t.p_two_sided),
            Cell::Float(t.p_one_sided),
            Cell::Text(&t.scores),
        ]);
    }
}

/// Columns of `adjusted.csv` (the eight, then the exclusions and the reason for a
/// missing estimate).
pub const ADJUSTED_COLUMNS: [&str; 10] = [
    "arm", "outcome", "model", "estimate", "low", "high", "p_value", "n", "excluded", "note",
];

/// `adjusted.csv`: adjusted risk ratios (modified Poisson) and odds ratios (logistic).
pub fn adjusted_csv(rows: &[AdjustedRow]) -> String {
    csv_of(&ADJUSTED_COLUMNS, |sink| adjusted_rows(rows, sink))
}

/// The rows of `adjusted.csv` (columns in [`ADJUSTED_COLUMNS`]).
pub fn adjusted_rows(rows: &[AdjustedRow], sink: &mut RowSink<'_>) {
    for r in rows {
        sink(&[
            Cell::Text(&r.arm),
            Cell::Text(&r.label),
            Cell::Text(r.model.as_str()),
            Cell::Float(r.estimate),
            Cell::Float(r.low),
            Cell::Float(r.high),
            Cell::Float(r.p_value),
            int(r.n),
            int(r.excluded),
            Cell::Text(&r.note),
        ]);
    }
}

/// Columns of `stratified.csv`: per treatment arm and outcome, one row per stratum (its
/// counts and whether it is used) and a last `mantel-haenszel` row with the pooled estimates
/// and the tests.
pub const STRATIFIED_COLUMNS: [&str; 28] = [
    "arm",
    "outcome",
    "stratified_by",
    "row",
    "stratum",
    "treatment_responders",
    "treatment_n",
    "control_responders",
    "control_n",
    "used",
    "strata_used",
    "mh_risk_difference",
    "mh_risk_difference_low",
    "mh_risk_difference_high",
    "mn_risk_difference_low",
    "mn_risk_difference_high",
    "mh_risk_ratio",
    "mh_risk_ratio_low",
    "mh_risk_ratio_high",
    "mh_odds_ratio",
    "mh_odds_ratio_low",
    "mh_odds_ratio_high",
    "cmh_chi2",
    "cmh_p",
    "breslow_day_tarone_chi2",
    "breslow_day_df",
    "breslow_day_tarone_p",
    "participants_without_value",
];

/// `stratified.csv` (columns in [`STRATIFIED_COLUMNS`]).
#[must_use]
pub fn stratified_csv(s: &crate::analysis::stratified::StratifiedAnalysis) -> String {
    csv_of(&STRATIFIED_COLUMNS, |sink| stratified_rows(s, sink))
}

/// The rows of `stratified.csv` (columns in [`STRATIFIED_COLUMNS`]).
pub fn stratified_rows(
    s: &crate::analysis::stratified::StratifiedAnalysis,
    sink: &mut RowSink<'_>,
) {
    let by = s.by.as_str();
    let none = || Cell::Float(None);
    for c in &s.comparisons {
        for (name, stratum) in &c.strata {
            let (t, k) = (stratum.treatment, stratum.control);
            let mut cells = vec![
                Cell::Text(&c.arm),
                Cell::Text(&c.outcome),
                Cell::Text(by),
                Cell::Text("stratum"),
                Cell::Text(name),
                int(t.successes()),
                int(t.trials()),
                int(k.successes()),
                int(k.trials()),
                Cell::Bool(Some(stratum.compares())),
                Cell::Int(None),
            ];
            cells.extend(std::iter::repeat_with(none).take(16));
            cells.push(Cell::Int(None));
            sink(&cells);
        }
        let r = &c.result;
        let est = |p: Option<crate::stats::stratified::Pooled>| {
            [
                Cell::Float(p.map(|p| p.estimate)),
                Cell::Float(p.map(|p| p.interval.low)),
                Cell::Float(p.map(|p| p.interval.high)),
            ]
        };
        let sum = |f: fn(&crate::stats::Stratum) -> u64| {
            c.strata
                .iter()
                .filter(|(_, s)| s.compares())
                .map(|(_, s)| f(s))
                .sum::<u64>()
        };
        let mut cells = vec![
            Cell::Text(&c.arm),
            Cell::Text(&c.outcome),
            Cell::Text(by),
            Cell::Text("mantel-haenszel"),
            Cell::Text(""),
            int(sum(|s| s.treatment.successes())),
            int(sum(|s| s.treatment.trials())),
            int(sum(|s| s.control.successes())),
            int(sum(|s| s.control.trials())),
            Cell::Bool(None),
            int(r.strata_used as u64),
        ];
        cells.extend(est(r.risk_difference));
        cells.push(Cell::Float(r.risk_difference_mn.map(|i| i.low)));
        cells.push(Cell::Float(r.risk_difference_mn.map(|i| i.high)));
        cells.extend(est(r.risk_ratio));
        cells.extend(est(r.odds_ratio));
        cells.push(Cell::Float(r.cmh.map(|t| t.statistic)));
        cells.push(Cell::Float(r.cmh.map(|t| t.p_value)));
        let bd = r.breslow_day.map(|b| b.tarone);
        cells.push(Cell::Float(bd.map(|t| t.statistic)));
        cells.push(Cell::Int(bd.map(|t| t.df)));
        cells.push(Cell::Float(bd.map(|t| t.p_value)));
        cells.push(int(s.without_value));
        sink(&cells);
    }
}

/// Columns of `sensitivity.csv`: per treatment arm, outcome and estimand.
pub const SENSITIVITY_COLUMNS: [&str; 17] = [
    "arm",
    "outcome",
    "estimand",
    "population",
    "strategy",
    "responders",
    "n",
    "control_responders",
    "control_n",
    "risk_difference",
    "rd_low",
    "rd_high",
    "p_value",
    "treatment_missing",
    "control_missing",
    "tipping_point",
    "robust",
];

/// `sensitivity.csv` (columns in [`SENSITIVITY_COLUMNS`]).
#[must_use]
pub fn sensitivity_csv(rows: &[crate::analysis::sensitivity::SensitivityRow]) -> String {
    csv_of(&SENSITIVITY_COLUMNS, |sink| sensitivity_rows(rows, sink))
}

/// The rows of `sensitivity.csv` (columns in [`SENSITIVITY_COLUMNS`]).
pub fn sensitivity_rows(
    rows: &[crate::analysis::sensitivity::SensitivityRow],
    sink: &mut RowSink<'_>,
) {
    for r in rows {
        sink(&[
            Cell::Text(&r.arm),
            Cell::Text(&r.outcome),
            Cell::Text(r.estimand),
            Cell::Text(r.population),
            Cell::Text(r.strategy),
            int(r.treatment.successes()),
            int(r.treatment.trials()),
            int(r.control.successes()),
            int(r.control.trials()),
            Cell::Float(r.risk_difference),
            Cell::Float(r.interval.map(|i| i.low)),
            Cell::Float(r.interval.map(|i| i.high)),
            Cell::Float(r.p_value),
            int(r.treatment_missing),
            int(r.control_missing),
            Cell::Int(r.tipping_point),
            Cell::Bool(r.robust),
        ]);
    }
}

/// Columns of `table1.csv`: the baseline characteristics of each randomized arm
/// ([`crate::analysis::baseline`]).
pub const TABLE1_COLUMNS: [&str; 14] = [
    "arm",
    "is_control",
    "randomized",
    "age_n",
    "age_mean",
    "age_sd",
    "female",
    "female_share",
    "pain_baseline_n",
    "pain_baseline_mean",
    "pain_baseline_sd",
    "ndi_baseline_n",
    "ndi_baseline_mean",
    "ndi_baseline_sd",
];

/// The rows of `table1.csv` (columns in [`TABLE1_COLUMNS`]).
pub fn table1_rows(table: &[BaselineArm], sink: &mut RowSink<'_>) {
    let mean_sd = |m: &MeanSd| [int(m.n), Cell::Float(m.mean), Cell::Float(m.sd)];
    for a in table {
        let mut cells = vec![
            Cell::Text(&a.arm),
            Cell::Bool(Some(a.is_control)),
            int(a.randomized),
        ];
        cells.extend(mean_sd(&a.age));
        cells.extend([int(a.female), Cell::Float(a.female_share())]);
        cells.extend(mean_sd(&a.pain));
        cells.extend(mean_sd(&a.ndi));
        sink(&cells);
    }
}

/// `table1.csv`: one row per arm in trial order.
#[must_use]
pub fn table1_csv(table: &[BaselineArm]) -> String {
    csv_of(&TABLE1_COLUMNS, |sink| table1_rows(table, sink))
}

/// The header of `participants.csv`: [`PARTICIPANTS_COLUMNS`], then four columns per
/// declared marker.
#[must_use]
pub fn participants_header(cohort: &Cohort) -> Vec<String> {
    let mut header: Vec<String> = PARTICIPANTS_COLUMNS
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for m in cohort.protocol.markers() {
        for suffix in ["baseline", "checkpoint", "improvement", "responder"] {
            header.push(format!("{}_{suffix}", m.column()));
        }
    }
    header
}

/// The rows of `participants.csv`, one participant at a time by index.
pub struct ParticipantRows<'a> {
    cohort: &'a Cohort,
    derived: &'a [Derived],
    /// Every combination of the five flags, formatted once.
    flag_fields: Vec<String>,
}

impl<'a> ParticipantRows<'a> {
    /// The rows of the cohort's accepted participants and their `derived` rows (same order).
    #[must_use]
    pub fn new(cohort: &'a Cohort, derived: &'a [Derived]) -> Self {
        ParticipantRows {
            cohort,
            derived,
            flag_fields: (0u8..32).map(|b| Flags::from_bits(b).to_field()).collect(),
        }
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.derived.len()
    }

    /// True without participants.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.derived.is_empty()
    }

    /// Replaces `cells` by the cells of row `i` (columns in [`participants_header`]).
    #[inline]
    pub fn cells<'s>(&'s self, i: usize, cells: &mut Vec<Cell<'s>>) {
        let (p, d) = (&self.cohort.participants[i], &self.derived[i]);
        cells.clear();
        cells.extend([
            Cell::Text(&p.id),
            Cell::Text(self.cohort.protocol.arms()[p.arm].id()),
            Cell::Text(p.site.as_deref().unwrap_or("")),
            Cell::Int(p.age.and_then(|a| u64::try_from(a).ok())),
            opt_int(d.sessions_planned),
            int(u64::from(d.sessions_attended)),
            Cell::Float(d.adherence),
            Cell::Bool(d.adherent),
            Cell::Dec(Some(d.minutes_delivered)),
        ]);
        push_outcome(cells, &d.pain, true);
        push_outcome(cells, &d.ndi, false);
        cells.push(Cell::Text(d.decision.as_str()));
        cells.push(Cell::Text(&self.flag_fields[usize::from(d.flags.bits())]));
        for m in &d.markers {
            push_outcome(cells, m, false);
        }
    }
}

/// Streams `participants.csv` to `w`. Rows are formatted on up to `threads` threads in
/// contiguous blocks and written in order, so the bytes never depend on the thread count.
pub fn write_participants(
    w: &mut dyn Write,
    cohort: &Cohort,
    derived: &[Derived],
    threads: usize,
) -> io::Result<()> {
    let header = participants_header(cohort);
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut out = String::new();
    push_header(&mut out, &names);
    w.write_all(out.as_bytes())?;
    let rows = ParticipantRows::new(cohort, derived);
    const BLOCK: usize = 1 << 15;
    let format_block = |block: usize, out: &mut String| {
        let range = block * BLOCK..((block + 1) * BLOCK).min(derived.len());
        let mut floats = FloatMemo::default();
        let mut cells: Vec<Cell<'_>> = Vec::with_capacity(32);
        for i in range {
            rows.cells(i, &mut cells);
            push_row_with(out, &cells, Some(&mut floats));
        }
    };
    crate::render::output::write_blocks(w, derived.len().div_ceil(BLOCK), threads, format_block)
}

fn push_outcome(cells: &mut Vec<Cell<'_>>, o: &OutcomeValues, with_pct: bool) {
    cells.extend([
        Cell::Dec(o.baseline),
        Cell::Dec(o.checkpoint),
        Cell::Dec(o.improvement),
    ]);
    if with_pct {
        cells.push(Cell::Float(o.improvement_pct));
    }
    cells.push(Cell::Bool(o.responder));
}

/// The cells of one row of `rejections.csv` (columns in [`REJECTIONS_COLUMNS`]).
#[must_use]
pub fn rejection_cells(r: &Rejection) -> [Cell<'_>; 5] {
    [
        Cell::Text(r.file_name()),
        int(r.line),
        Cell::Text(&r.column),
        Cell::Text(&r.value),
        Cell::Text(&r.reason),
    ]
}

/// Streams `rejections.csv` to `w` (header only when nothing was rejected).
pub fn write_rejections(w: &mut dyn Write, rejections: &[Rejection]) -> io::Result<()> {
    let mut out = String::with_capacity(1 << 16);
    push_header(&mut out, &REJECTIONS_COLUMNS);
    for r in rejections {
        push_row(&mut out, &rejection_cells(r));
        if out.len() > 1 << 20 {
            w.write_all(out.as_bytes())?;
            out.clear();
        }
    }
    w.write_all(out.as_bytes())
}

/// The protocol as recorded in `summary.json`.
#[derive(Serialize)]
struct ProtocolSummary<'a> {
    name: &'a str,
    checkpoint_week: u32,
    adherence_threshold: String,
    pain_max: String,
    pain_responder_min_reduction_pct: String,
    ndi_max: String,
    ndi_responder_min_improvement: String,
    markers: Vec<&'a str>,
    arms: Vec<&'a str>,
    control: &'a str,
}

/// `summary.json`: settings, tool version, inputs with digests and counts, and the results.
#[derive(Serialize)]
pub struct Summary<'a> {
    tool: &'static str,
    version: &'static str,
    cohort: String,
    settings: Settings<'a>,
    protocol: ProtocolSummary<'a>,
    files: &'a [FileReport],
    /// The source files of a `[source]` and their balance (absent for the contract's files).
    #[serde(skip_serializing_if = "<[SourceReport]>::is_empty")]
    sources: &'a [SourceReport],
    rejections: usize,
    participants_analysed: usize,
    arms: &'a [ArmSummary],
    comparisons: &'a [Comparison],
    trend: &'a [TrendRow],
    #[serde(skip_serializing_if = "<[AdjustedRow]>::is_empty")]
    adjusted: &'a [AdjustedRow],
}

#[derive(Serialize)]
struct Settings<'a> {
    #[serde(flatten)]
    analysis: &'a AnalysisOptions,
    skip_invalid: bool,
    rd_method: String,
    trend_test: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    adjusted_models: Option<String>,
    rr_method: &'static str,
    or_method: &'static str,
    zero_cell_correction: &'static str,
    p_value: &'static str,
    improvement_difference: &'static str,
    rate_interval: &'static str,
}

/// Builds the summary.
pub fn summary<'a>(cohort: &'a Cohort, analysis: &'a Analysis, skip_invalid: bool) -> Summary<'a> {
    let p = &cohort.protocol;
    Summary {
        tool: "trialdose",
        version: env!("CARGO_PKG_VERSION"),
        cohort: cohort.dir.display().to_string(),
        settings: Settings {
            analysis: &analysis.options,
            skip_invalid,
            rd_method: format!(
                "{} ({})",
                analysis.options.rd_method.as_str(),
                analysis.options.rd_method.description()
            ),
            trend_test: "cochran-armitage (scores: planned minutes per week, control 0; variance with divisor N)",
            adjusted_models: analysis.options.adjust.map(|c| {
                format!(
                    "modified Poisson (log link, robust HC0 errors) and logistic regression on arm indicators and {}",
                    c.as_str()
                )
            }),
            rr_method: "katz-log",
            or_method: "woolf-logit",
            zero_cell_correction: "0.5 added to every cell when any cell of the 2x2 table is 0",
            p_value: "fisher-exact-two-sided (tables no more probable than observed, relative tolerance 1e-7)",
            improvement_difference: "welch (arm minus control)",
            rate_interval: "wilson-score",
        },
        protocol: ProtocolSummary {
            name: p.name(),
            checkpoint_week: p.checkpoint_week(),
            adherence_threshold: p.adherence_threshold().to_string(),
            pain_max: p.pain_max().to_string(),
            pain_responder_min_reduction_pct: p.pain_min_reduction_pct().to_string(),
            ndi_max: p.ndi_max().to_string(),
            ndi_responder_min_improvement: p.ndi_min_improvement().to_string(),
            markers: p.markers().iter().map(|m| m.column()).collect(),
            arms: p.arms().iter().map(|a| a.id()).collect(),
            control: p.arms()[p.control_index()].id(),
        },
        files: &cohort.files,
        sources: &cohort.sources,
        rejections: cohort.ledger.rejections().len(),
        participants_analysed: cohort.participants.len(),
        arms: &analysis.arms,
        comparisons: &analysis.comparisons,
        trend: &analysis.trend,
        adjusted: &analysis.adjusted,
    }
}

/// One line of the run's description: a section (`run`, `settings`, `protocol`, `files`),
/// a name and its value as `summary.json` has it.
pub type SettingRow = (&'static str, String, serde_json::Value);

impl Summary<'_> {
    /// The run as `summary.json` records it, without the results: tool, version, cohort and
    /// counts, then every setting, the protocol and the input files, nested keys joined by
    /// `.` (an array of plain values becomes one text joined by `, `).
    #[must_use]
    pub fn setting_rows(&self) -> Vec<SettingRow> {
        use serde_json::Value;
        fn flatten(section: &'static str, prefix: &str, v: Value, out: &mut Vec<SettingRow>) {
            let join = |k: &str| {
                if prefix.is_empty() {
                    k.to_owned()
                } else {
                    format!("{prefix}.{k}")
                }
            };
            match v {
                Value::Object(map) => {
                    for (k, v) in map {
                        flatten(section, &join(&k), v, out);
                    }
                }
                Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
                    let text: Vec<String> = items
                        .iter()
                        .map(|i| match i {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect();
                    out.push((section, prefix.to_owned(), Value::String(text.join(", "))));
                }
                Value::Array(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        flatten(section, &format!("{prefix}[{i}]"), item, out);
                    }
                }
                other => out.push((section, prefix.to_owned(), other)),
            }
        }
        let mut out = vec![
            ("run", "tool".to_owned(), Value::from(self.tool)),
            ("run", "version".to_owned(), Value::from(self.version)),
            ("run", "cohort".to_owned(), Value::from(self.cohort.clone())),
            ("run", "rejections".to_owned(), Value::from(self.rejections)),
            (
                "run",
                "participants_analysed".to_owned(),
                Value::from(self.participants_analysed),
            ),
        ];
        // Serialising these plain structs cannot fail; a failure would leave the section out.
        if let Ok(v) = serde_json::to_value(&self.settings) {
            flatten("settings", "", v, &mut out);
        }
        if let Ok(v) = serde_json::to_value(&self.protocol) {
            flatten("protocol", "", v, &mut out);
        }
        if let Ok(v) = serde_json::to_value(self.files) {
            flatten("files", "", v, &mut out);
        }
        out
    }
}

/// Serialises the summary as pretty JSON with a final newline.
pub fn summary_json(s: &Summary<'_>) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(s)
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}").into_bytes());
    v.push(b'\n');
    v
}

/// Everything the workbook and the Parquet files show.
pub struct Results<'a> {
    /// The cohort analysed (participants, rejections).
    pub cohort: &'a Cohort,
    /// Its derived rows.
    pub derived: &'a [Derived],
    /// The analysis.
    pub analysis: &'a Analysis,
    /// Table 1.
    pub table1: &'a [BaselineArm],
    /// The run's record (the workbook's `about` sheet).
    pub summary: &'a Summary<'a>,
}

/// The rows of one result table, handed to a sink.
pub type Rows<'r> = &'r dyn Fn(&mut RowSink<'_>);

/// Receives each result table: its name, header and rows (see [`each_summary_table`] and
/// [`each_row_table`]).
pub type TableVisitor<'v, E> = dyn FnMut(&str, &[&str], Rows<'_>) -> Result<(), E> + 'v;

/// Hands the per-participant and per-rejection tables, `participants` and `rejections`, to
/// `table` as their name (the CSV file's stem), header and rows. They need only the cohort and
/// its derivation, so they can be written while the analysis runs. With
/// [`each_summary_table`], the one list the workbook and the Parquet files are written from
/// (the workbook shows the summary tables first).
///
/// # Errors
/// The first error `table` returns.
pub fn each_row_table<E>(
    cohort: &Cohort,
    derived: &[Derived],
    table: &mut TableVisitor<'_, E>,
) -> Result<(), E> {
    let header = participants_header(cohort);
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = ParticipantRows::new(cohort, derived);
    table("participants", &names, &|s| {
        let mut cells = Vec::with_capacity(names.len());
        for i in 0..rows.len() {
            rows.cells(i, &mut cells);
            s(&cells);
        }
    })?;
    table("rejections", &REJECTIONS_COLUMNS, &|s| {
        for rejection in cohort.ledger.rejections() {
            s(&rejection_cells(rejection));
        }
    })
}

/// The tables of a run other than the per-participant and per-rejection ones: `arms`,
/// `comparisons`, `trend`, `adjusted` (with covariates), `stratified` (with `--stratify`),
/// `sensitivity` (with `--sensitivity`), `table1`; see [`each_row_table`] for the others.
///
/// # Errors
/// The first error `table` returns.
pub fn each_summary_table<E>(r: &Results<'_>, table: &mut TableVisitor<'_, E>) -> Result<(), E> {
    let a = r.analysis;
    table("arms", &ARMS_COLUMNS, &|s| arms_rows(a, s))?;
    table("comparisons", &comparisons_header(a), &|s| {
        comparisons_rows(a, s);
    })?;
    table("trend", &TREND_COLUMNS, &|s| trend_rows(&a.trend, s))?;
    if a.options.adjust.is_some() {
        table("adjusted", &ADJUSTED_COLUMNS, &|s| {
            adjusted_rows(&a.adjusted, s);
        })?;
    }
    if let Some(st) = &a.stratified {
        table("stratified", &STRATIFIED_COLUMNS, &|s| {
            stratified_rows(st, s);
        })?;
    }
    if a.options.sensitivity {
        table("sensitivity", &SENSITIVITY_COLUMNS, &|s| {
            sensitivity_rows(&a.sensitivity, s);
        })?;
    }
    table("table1", &TABLE1_COLUMNS, &|s| table1_rows(r.table1, s))
}
