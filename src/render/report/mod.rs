//! The report (`trialdose report`): provenance, Table 1, the responder table with absolute and
//! relative effects (CONSORT item 17b), the trend test, checkpoint decisions, safety, the
//! charts, a methods paragraph written from the settings used, and limitations drawn from the
//! data.
//!
//! The report is built once as a format-neutral [`Document`] ([`document`]) from the
//! [`model::ReportModel`], where small cells have already been suppressed by the disclosure
//! control of [`disclosure`] (the rule is stated there); the HTML page, the Word document and
//! the Markdown file are renderings of that document ([`crate::render::document`]), so they
//! print the same cells. Participant ids appear only with `show_ids`, in a list of the
//! participants who need attention. The cohort folder is named by its last component unless
//! the caller asks for the full path.
//!
//! The HTML page is self-contained: CSS is inline, charts are inline SVG, nothing is fetched
//! ([`crate::render::document::html`]).

pub mod disclosure;
pub mod model;

use crate::analysis::Analysis;
use crate::analysis::baseline::{BaselineArm, MeanSd};
use crate::cohort::{Cohort, CohortFile, FileReport};
use crate::derive::{Derived, EVIDENCE_AGE_MAX, EVIDENCE_AGE_MIN, Flags};
use crate::render::document::{
    Block, Cell as TableCell, CellKind, Document, Figure, Section, Table, Text,
};

use disclosure::{Cell, CellId};
use model::{ArmCells, DECISIONS, Outcome, ReportModel, SUPPRESSED};

/// What a document about a cohort is made of besides its results: the report's and the
/// audit's.
pub struct Front<'a, M> {
    /// Title.
    pub title: &'a str,
    /// The counts after suppression (`--min-cell`).
    pub model: &'a M,
    /// How the cohort folder is named (its name, or its full path with `--full-paths`).
    pub cohort_label: &'a str,
    /// List the participants who need attention by id (`--show-ids`).
    pub show_ids: bool,
}

/// What the report is made of besides the analysis.
pub struct ReportInput<'a> {
    /// Title, model, folder name and ids.
    pub front: Front<'a, ReportModel>,
    /// The charts, in order (captions and SVG; PNG for the Word document).
    pub charts: Vec<Figure>,
    /// Why some charts are left out (small-cell suppression), if they are.
    pub chart_note: Option<String>,
}

/// Builds the report as a document from the model (`input.model`): every count, rate and
/// effect it holds is one the model lets through.
#[must_use]
pub fn document(
    cohort: &Cohort,
    derived: &[Derived],
    analysis: &Analysis,
    input: ReportInput<'_>,
) -> Document {
    let m = input.front.model;
    let mut sections = vec![
        provenance(cohort, analysis, m, input.front.cohort_label),
        table_one(m),
        responders(analysis, m),
        trend(analysis, m),
    ];
    sections.extend(adjusted(analysis, m));
    sections.extend(sensitivity(analysis, m));
    sections.push(decisions(m));
    sections.push(safety(m));
    if input.front.show_ids {
        sections.push(attention(cohort, derived));
    }
    sections.push(charts_section(input.charts, input.chart_note));
    sections.push(methods(cohort, analysis, m));
    sections.push(limitations(cohort, m));
    Document::new(input.front.title.to_owned(), sections)
}

/// A count of the model as text.
fn count(m: &ReportModel, id: CellId) -> String {
    m.cell(id).text()
}

/// `x (p%)` of `n`: the percentage only when `x` and `n` are both known.
fn with_pct(m: &ReportModel, x: CellId, n: CellId) -> String {
    match (m.cell(x), m.cell(n)) {
        (Cell::Shown(xv), Cell::Shown(nv)) if nv > 0 && m.known(&[x, n]) => {
            format!("{xv} ({:.1}%)", 100.0 * xv as f64 / nv as f64)
        }
        (c, _) => c.text(),
    }
}

/// `x/n (rate% [lo–hi])` when both counts are printed, else `x of n` with the suppressed one
/// marked.
fn rate(m: &ReportModel, x: CellId, n: CellId, low: Option<f64>, high: Option<f64>) -> String {
    rate_text(m.cell(x), m.cell(n), low, high)
}

/// `x/n (rate% [lo–hi])` of two printed counts; `x of n` when either is suppressed (no rate).
pub(crate) fn rate_text(x: Cell, n: Cell, low: Option<f64>, high: Option<f64>) -> String {
    let (Cell::Shown(x), Cell::Shown(n)) = (x, n) else {
        return format!("{} of {}", x.text(), n.text());
    };
    match (n, low, high) {
        (0, _, _) => "-".to_owned(),
        (_, Some(l), Some(h)) => format!(
            "{x}/{n} ({:.1}% [{:.1} to {:.1}])",
            100.0 * x as f64 / n as f64,
            100.0 * l,
            100.0 * h
        ),
        _ => format!("{x}/{n}"),
    }
}

fn mean_sd(v: &MeanSd) -> String {
    match (v.mean, v.sd) {
        (Some(m), Some(s)) => format!("{m:.1} ({s:.1})"),
        (Some(m), None) => format!("{m:.1}"),
        _ => "-".to_owned(),
    }
}

use crate::render::format::{p_value as p_text, points as pp, ratio};
use crate::render::report::disclosure::Disclosed as _;

/// The name a page gives the cohort folder: its last component only (a user's home folder and
/// project names do not travel with a shared page), or the whole path when asked for.
#[must_use]
pub fn folder_label(dir: &std::path::Path, full_path: bool) -> String {
    if full_path {
        return dir.display().to_string();
    }
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    absolute
        .file_name()
        .map_or_else(|| ".".to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Column headings.
pub(crate) fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

fn provenance(cohort: &Cohort, analysis: &Analysis, m: &ReportModel, label: &str) -> Section {
    let participants = |f: &FileReport| -> Option<[String; 4]> {
        let (rows, rejected, dups) = m.participant_rows?;
        (f.file == CohortFile::Participants).then(|| {
            [
                count(m, rows),
                count(m, m.total),
                count(m, rejected),
                count(m, dups),
            ]
        })
    };
    let o = &analysis.options;
    let settings = format!(
        "Settings: population {}, missing outcomes {}, {}% intervals, risk-difference interval {}, multiplicity {}, small cells {}.",
        match o.population {
            crate::analysis::Population::Itt => "itt",
            crate::analysis::Population::PerProtocol => "per-protocol",
        },
        match o.missing {
            crate::analysis::Missing::Nonresponder => "nonresponder",
            crate::analysis::Missing::Exclude => "exclude",
        },
        100.0 * o.level.value(),
        o.rd_method.as_str(),
        o.multiplicity.as_str(),
        if m.suppressing() {
            format!("below {} suppressed", m.min_cell())
        } else {
            "shown".to_owned()
        }
    );
    Section::new("provenance", "Data provenance")
        .with(Block::Paragraph(
            Text::prose("Cohort folder ").and_code(label).and(format!(
                ", analysed by trialdose {}.",
                env!("CARGO_PKG_VERSION")
            )),
        ))
        .with(Block::Table(files(cohort, &participants)))
        .with(Block::Paragraph(Text::prose(settings)))
}

/// The input files' table: name, SHA-256, size and row counts. `counts` may replace a file's
/// rows, accepted, rejected and duplicate counts by the texts a suppressed page prints.
pub(crate) fn files(cohort: &Cohort, counts: &dyn Fn(&FileReport) -> Option<[String; 4]>) -> Table {
    let mut t = Table::new(
        "Input files",
        header(&[
            "file",
            "SHA-256",
            "bytes",
            "rows",
            "accepted",
            "rejected",
            "ignored duplicates",
        ]),
    );
    t.numbered = false;
    for f in &cohort.files {
        let c = f.counts;
        let [rows, accepted, rejected, dups] = counts(f).unwrap_or_else(|| {
            [c.rows, c.accepted, c.rejected, c.ignored_duplicates].map(|v| v.to_string())
        });
        t.rows.push(vec![
            f.name().into(),
            TableCell::new(f.sha256.as_deref().unwrap_or("-")).kind(CellKind::Code),
            f.bytes.to_string().into(),
            rows.into(),
            accepted.into(),
            rejected.into(),
            dups.into(),
        ]);
    }
    t
}

fn table_one(m: &ReportModel) -> Section {
    let mut head = vec!["characteristic".to_owned()];
    head.extend(m.arms.iter().map(|a| a.id.clone()));
    let mut t = Table::new("Baseline characteristics by arm", head);
    // The section heading names it.
    t.caption_in_html = false;
    let row = |t: &mut Table, label: &str, cells_of: &dyn Fn(&ArmCells) -> String| {
        let mut r: Vec<TableCell> = vec![label.into()];
        r.extend(m.arms.iter().map(|a| TableCell::new(cells_of(a))));
        t.rows.push(r);
    };
    // A mean over an arm whose size is hidden is hidden with it.
    let mean = |a: &ArmCells, of: fn(&BaselineArm) -> &MeanSd| {
        if m.known(&[a.n]) {
            mean_sd(of(&a.baseline))
        } else {
            SUPPRESSED.to_owned()
        }
    };
    row(&mut t, "n", &|a| count(m, a.n));
    row(&mut t, "age, years: mean (SD)", &|a| mean(a, |b| &b.age));
    row(&mut t, "female: n (%)", &|a| with_pct(m, a.female, a.n));
    row(&mut t, "pain at baseline (0-10): mean (SD)", &|a| {
        mean(a, |b| &b.pain)
    });
    row(&mut t, "NDI at baseline (0-50): mean (SD)", &|a| {
        mean(a, |b| &b.ndi)
    });
    Section::new("table1", "Table 1: baseline characteristics by arm").with(Block::Table(t))
}

fn responder_rows(t: &mut Table, analysis: &Analysis, outcome: Outcome, m: &ReportModel) {
    // Adjusted p-values depend on every comparison of the outcome.
    let p_known = analysis.options.multiplicity == crate::stats::Multiplicity::None
        || m.outcome_shown(outcome);
    for a in &analysis.arms {
        let r = if outcome == Outcome::Pain {
            &a.pain
        } else {
            &a.ndi
        };
        let rate = match m.arm(&a.arm) {
            Some(cells) => {
                let (x, n) = m.responders(cells, outcome);
                self::rate(m, x, n, r.low, r.high)
            }
            None => SUPPRESSED.to_owned(),
        };
        let c = analysis
            .comparisons
            .iter()
            .find(|c| c.arm == a.arm && c.outcome == outcome);
        let mut row: Vec<TableCell> = vec![a.arm.as_str().into(), rate.into()];
        match c {
            Some(c) if m.comparison_shown(c) => {
                row.push(
                    format!(
                        "{} [{} to {}]",
                        pp(c.risk_difference),
                        pp(c.rd_low),
                        pp(c.rd_high)
                    )
                    .into(),
                );
                row.push(
                    format!(
                        "{} [{} to {}]",
                        ratio(c.risk_ratio),
                        ratio(c.rr_low),
                        ratio(c.rr_high)
                    )
                    .into(),
                );
                row.push(if p_known {
                    p_text(c.p_adjusted).into()
                } else {
                    SUPPRESSED.into()
                });
            }
            Some(_) => row.push(
                TableCell::new(format!("{SUPPRESSED} (computed from a suppressed count)"))
                    .spanning(3),
            ),
            None => row.push(TableCell::new("(control)").spanning(3)),
        }
        t.rows.push(row);
    }
}

fn responders(analysis: &Analysis, m: &ReportModel) -> Section {
    let mut s = Section::new("responders", "Responders: absolute and relative effects");
    for (outcome, title) in [
        (Outcome::Pain, "Pain responders (at least 30% reduction)"),
        (
            Outcome::Ndi,
            "NDI responders (at least 5-point improvement)",
        ),
    ] {
        let mut t = Table::new(
            title,
            header(&[
                "arm",
                "responders/n (% [95% CI])",
                "risk difference, points [95% CI]",
                "risk ratio [95% CI]",
                "p",
            ]),
        );
        responder_rows(&mut t, analysis, outcome, m);
        s = s.with(Block::Table(t));
    }
    s.with(Block::Note(Text::prose("Rates with Wilson score intervals; differences with the interval named in the provenance settings; risk ratios with Katz log intervals (0.5 added to every cell when one is zero); p from Fisher's exact test (adjusted when a multiplicity method is named).")))
}

fn trend(analysis: &Analysis, m: &ReportModel) -> Section {
    let mut t = Table::new(
        "Dose-response trend across arms (Cochran-Armitage test)",
        header(&[
            "outcome",
            "z",
            "p (two-sided)",
            "p (one-sided, rising)",
            "scores (minutes per week)",
        ]),
    );
    t.caption_in_html = false;
    for tr in &analysis.trend {
        let row: Vec<TableCell> = if m.outcome_shown(tr.outcome) {
            vec![
                tr.label.as_str().into(),
                tr.z.map_or_else(|| "-".to_owned(), |z| format!("{z:.2}"))
                    .into(),
                p_text(tr.p_two_sided).into(),
                p_text(tr.p_one_sided).into(),
                tr.scores.as_str().into(),
            ]
        } else {
            vec![
                tr.label.as_str().into(),
                SUPPRESSED.into(),
                SUPPRESSED.into(),
                SUPPRESSED.into(),
                tr.scores.as_str().into(),
            ]
        };
        t.rows.push(row);
    }
    Section::new("trend", "Dose-response trend")
        .with(Block::Table(t))
        .with(Block::Note(Text::prose(
            "Cochran-Armitage test, variance with divisor N (as SAS PROC FREQ).",
        )))
}

fn adjusted(analysis: &Analysis, m: &ReportModel) -> Option<Section> {
    let covariates = analysis.options.adjust?;
    let mut t = Table::new(
        format!(
            "Each arm against control, adjusted for {}",
            covariates.as_str()
        ),
        header(&["arm", "outcome", "model", "estimate [95% CI]", "p", "n"]),
    );
    let sizes_known = m.arms.iter().all(|a| m.known(&[a.n]));
    for r in &analysis.adjusted {
        let model = if r.model == crate::stats::glm::Model::ModifiedPoisson {
            "risk ratio (modified Poisson)"
        } else {
            "odds ratio (logistic)"
        };
        let row: Vec<TableCell> = if m.outcome_shown(r.outcome) && sizes_known {
            let value = match (r.estimate, r.low, r.high) {
                (Some(e), Some(l), Some(h)) => format!("{e:.2} [{l:.2} to {h:.2}]"),
                _ => r.note.clone(),
            };
            vec![
                r.arm.as_str().into(),
                r.label.as_str().into(),
                model.into(),
                value.into(),
                p_text(r.p_value).into(),
                r.n.to_string().into(),
            ]
        } else {
            vec![
                r.arm.as_str().into(),
                r.label.as_str().into(),
                model.into(),
                SUPPRESSED.into(),
                SUPPRESSED.into(),
                SUPPRESSED.into(),
            ]
        };
        t.rows.push(row);
    }
    Some(
        Section::new("adjusted", "Adjusted relative risks")
            .with(Block::Table(t))
            .with(Block::Note(Text::prose("Modified Poisson regression with robust (HC0) errors (Zou 2004) and logistic regression, on arm indicators and the covariates named."))),
    )
}

fn sensitivity(analysis: &Analysis, m: &ReportModel) -> Option<Section> {
    if analysis.sensitivity.is_empty() {
        return None;
    }
    let mut t = Table::new(
        "Each arm against control under the estimands of ICH E9(R1): who is analysed and what a missing checkpoint outcome counts as",
        header(&[
            "arm",
            "outcome",
            "estimand",
            "treatment",
            "control",
            "risk difference, points [95% CI]",
            "p",
            "tipping point",
        ]),
    );
    for r in &analysis.sensitivity {
        let mut row: Vec<TableCell> = vec![
            r.arm.as_str().into(),
            TableCell::new(r.outcome.as_str()).kind(CellKind::Words),
            TableCell::new(r.strategy).kind(CellKind::Words),
        ];
        if !m.sensitivity_shown(analysis, r) {
            row.push(
                TableCell::new(format!("{SUPPRESSED} (would reveal a small count)")).spanning(5),
            );
            t.rows.push(row);
            continue;
        }
        let tipping = match (r.tipping_point, r.robust) {
            (Some(0), _) => "0: the missing controls alone".to_owned(),
            (Some(k), _) => format!("{k} of {} missing", r.treatment_missing),
            (None, Some(true)) => "none: robust".to_owned(),
            _ => String::new(),
        };
        row.extend([
            TableCell::new(format!(
                "{}/{}",
                r.treatment.successes(),
                r.treatment.trials()
            )),
            TableCell::new(format!("{}/{}", r.control.successes(), r.control.trials())),
            TableCell::new(format!(
                "{} [{} to {}]",
                pp(r.risk_difference),
                pp(r.interval.map(|i| i.low)),
                pp(r.interval.map(|i| i.high))
            )),
            TableCell::new(p_text(r.p_value)),
            TableCell::new(tipping),
        ]);
        t.rows.push(row);
    }
    Some(
        Section::new(
            "sensitivity",
            "Sensitivity of the conclusions to missing outcomes",
        )
        .with(Block::Table(t))
        .with(Block::Note(
            Text::prose("The first row of each comparison is the primary analysis. Best and worst case impute every missing outcome in the treatment's favour and against it; the tipping point is the fewest missing treated outcomes that, turned toward no effect with every missing control outcome, bring the interval to 0. With ")
                .and_code("--min-cell")
                .and(", the per-protocol rows and any row that would reveal a small number of missing outcomes are suppressed."),
        )),
    )
}

fn decisions(m: &ReportModel) -> Section {
    let mut head = vec!["arm".to_owned()];
    head.extend(DECISIONS.iter().map(|(_, label)| (*label).to_owned()));
    let mut t = Table::new("Checkpoint decisions by arm: n (%)", head);
    t.caption_in_html = false;
    for a in &m.arms {
        let Some(cells) = a.decisions else {
            continue;
        };
        let mut row: Vec<TableCell> = vec![a.id.as_str().into()];
        row.extend(cells.iter().map(|&c| TableCell::new(with_pct(m, c, a.n))));
        t.rows.push(row);
    }
    Section::new("decisions", "Checkpoint decisions by arm").with(Block::Table(t))
}

fn safety(m: &ReportModel) -> Section {
    let mut t = Table::new(
        "Participants with an adverse event by arm and worst event",
        header(&[
            "arm",
            "participants",
            "with an adverse event: n (%)",
            "worst: mild",
            "moderate",
            "severe",
        ]),
    );
    t.caption_in_html = false;
    for a in &m.arms {
        t.rows.push(vec![
            a.id.as_str().into(),
            count(m, a.n).into(),
            with_pct(m, a.adverse, a.n).into(),
            count(m, a.worst[0]).into(),
            count(m, a.worst[1]).into(),
            count(m, a.worst[2]).into(),
        ]);
    }
    Section::new("safety", "Safety")
        .with(Block::Table(t))
        .with(Block::Note(Text::prose("Participants with any accepted session row carrying an adverse event other than none, by their worst event (the DREAM trial reported about 5% of participants, mostly mild or moderate).")))
}

fn attention(cohort: &Cohort, derived: &[Derived]) -> Section {
    let mut t = Table::new(
        "Participants needing attention",
        header(&["participant", "arm", "flags", "decision"]),
    );
    t.caption_in_html = false;
    let arms = cohort.protocol.arms();
    for (p, d) in cohort.participants.iter().zip(derived) {
        if d.flags.contains(Flags::NEEDS_CLEARANCE) || d.flags.contains(Flags::ADVERSE_EVENT) {
            t.rows.push(vec![
                p.id.as_str().into(),
                arms[p.arm].id().into(),
                d.flags.to_field().into(),
                d.decision.as_str().into(),
            ]);
        }
    }
    if t.rows.is_empty() {
        t.rows.push(vec![TableCell::new("none").spanning(4)]);
    }
    Section::new("attention", "Participants needing attention")
        .with(Block::Table(t))
        .with(Block::Note(Text::prose("Shown because --show-ids was given: a contraindication without medical clearance, or an adverse event. Safety flags first would be the audit's worklist order; here they are in file order.")))
}

/// The charts section of figures, then a note (why charts are left out), if any.
fn charts_section(figures: Vec<Figure>, note: Option<String>) -> Section {
    let mut s = Section::new("charts", "Charts");
    s.blocks.extend(figures.into_iter().map(Block::Figure));
    if let Some(note) = note {
        s.blocks.push(Block::Note(Text::data(note)));
    }
    s
}

fn methods(cohort: &Cohort, analysis: &Analysis, m: &ReportModel) -> Section {
    let p = &cohort.protocol;
    let o = &analysis.options;
    let population = match (o.population, o.missing) {
        (crate::analysis::Population::Itt, crate::analysis::Missing::Nonresponder) => {
            "all randomized participants (intention to treat), counting a missing outcome as a non-response"
        }
        (crate::analysis::Population::Itt, crate::analysis::Missing::Exclude) => {
            "all randomized participants with the outcome (intention to treat, missing outcomes excluded)"
        }
        _ => "adherent treatment-arm participants and all control participants (per protocol)",
    };
    let text = format!(
        "Participants were analysed in the arm they were randomized to; the analysis population was {population}. \
A participant was a pain responder when pain fell by at least {}% of its baseline value from week 0 to week {}, and an NDI responder when the Neck Disability Index improved by at least {} points; thresholds were decided in exact decimal arithmetic. \
Adherence was attending at least {}% of the planned sessions. Responder rates are given with {}% Wilson score intervals; each dose arm is compared with control by the risk difference ({}), the risk ratio (Katz log interval) and Fisher's exact test{}. \
A dose-response trend across arms, scored by planned minutes per week, was tested with the Cochran-Armitage test. {}All figures were produced by trialdose {} from the files listed under provenance.",
        p.pain_min_reduction_pct(),
        p.checkpoint_week(),
        p.ndi_min_improvement(),
        100.0 * p.adherence_threshold().to_f64(),
        100.0 * o.level.value(),
        o.rd_method.description(),
        match o.multiplicity {
            crate::stats::Multiplicity::None => String::new(),
            m => format!(
                ", with {} adjustment over the arms of each outcome",
                m.as_str()
            ),
        },
        if m.suppressing() {
            format!(
                "Small cells were suppressed before anything was drawn: every count from 1 to {} is shown as {SUPPRESSED} (primary suppression; zeros are shown), and so is every count from which, with the counts shown, one of them could be worked out (complementary suppression: the rest of its total, a second cell of a sum). Rates, intervals, effects, p-values, the trend test and the fitted dose-response curves computed from a suppressed count are not shown, and charts of individual participants are left out. ",
                m.min_cell() - 1,
            )
        } else {
            String::new()
        },
        env!("CARGO_PKG_VERSION")
    );
    Section::new("methods", "Methods").with(Block::Paragraph(Text::prose(text)))
}

fn limitations(cohort: &Cohort, m: &ReportModel) -> Section {
    let mut items = Vec::new();
    match m.cell(m.age_outside) {
        Cell::Shown(0) => {}
        c => items.push(Text::prose(format!(
            "{} participant(s) are aged outside {EVIDENCE_AGE_MIN}-{EVIDENCE_AGE_MAX}, the ages the DREAM trial studied; its evidence may not apply to them.",
            c.text()
        ))),
    }
    let evidence_tested = ["control", "60x2", "60x3"];
    let untested: Vec<&str> = cohort
        .protocol
        .arms()
        .iter()
        .map(|a| a.id())
        .filter(|id| !evidence_tested.contains(id))
        .collect();
    if !untested.is_empty() {
        items.push(
            Text::prose("No published responder rates exist for ")
                .and_data(untested.join(", "))
                .and(" (DREAM published rates only for control, 60x2 and 60x3)."),
        );
    }
    for a in &m.arms {
        let small = match m.cell(a.n) {
            Cell::Shown(k) => k < 30,
            Cell::Suppressed => true,
        };
        if small {
            items.push(Text::prose("Arm ").and_data(a.id.as_str()).and(format!(
                " has {} participants: its intervals are wide and Fisher's test has little power.",
                count(m, a.n)
            )));
        }
    }
    match m.cell(m.no_checkpoint) {
        Cell::Shown(0) => {}
        c => items.push(Text::prose(format!(
            "{} participant(s) have no pain score at the checkpoint; how they are counted follows the missing-outcome rule under Methods.",
            c.text()
        ))),
    }
    if items.is_empty() {
        items.push(Text::prose("None detected in the data."));
    }
    Section::new("limitations", "Limitations").with(Block::List(items))
}
