//! The self-contained HTML report (`trialdose report`): provenance, Table 1, the responder table
//! with absolute and relative effects (CONSORT item 17b), the trend test, checkpoint decisions,
//! safety, the charts (inline SVG), a methods paragraph written from the settings used, and
//! limitations drawn from the data.
//!
//! Self-contained: CSS is inline, charts are inline SVG, nothing is fetched (no script, font or
//! image URL). Printable: a print stylesheet keeps tables whole and starts each section on a new
//! page. Small cells: the page prints only what the [`model::ReportModel`] lets through, after
//! the disclosure control of [`disclosure`] (the rule is stated there). Participant ids appear
//! only with `show_ids`, in a list of the participants who need attention. The cohort folder
//! is named by its last component unless the caller asks for the full path.

use std::fmt::Write as _;

pub mod disclosure;
pub mod model;

use crate::analysis::Analysis;
use crate::analysis::baseline::{BaselineArm, MeanSd};
use crate::cohort::{Cohort, CohortFile, FileReport};
use crate::derive::{Derived, EVIDENCE_AGE_MAX, EVIDENCE_AGE_MIN, Flags};

use disclosure::{Cell, CellId};
use model::{ArmCells, DECISIONS, Outcome, ReportModel, SUPPRESSED};

/// What the report is made of besides the analysis.
pub struct ReportInput<'a> {
    /// Title.
    pub title: &'a str,
    /// The counts after suppression (`--min-cell`).
    pub model: &'a ReportModel,
    /// How the cohort folder is named (its name, or its full path with `--full-paths`).
    pub cohort_label: &'a str,
    /// List the participants who need attention by id (`--show-ids`).
    pub show_ids: bool,
    /// Charts as (heading, SVG document).
    pub charts: Vec<(String, String)>,
    /// Why some charts are left out (small-cell suppression), if they are.
    pub chart_note: Option<String>,
}

/// Escapes text for HTML. Control characters other than tab, line feed and carriage return
/// (an escape sequence in a `--title` or an id, say), which HTML and XML forbid, become the
/// replacement character U+FFFD, so the page stays well formed and shows that something was
/// there.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Builds the report's HTML from the model (`input.model`): every count, rate and effect it
/// prints is one the model lets through.
#[must_use]
pub fn html(
    cohort: &Cohort,
    derived: &[Derived],
    analysis: &Analysis,
    input: &ReportInput<'_>,
) -> String {
    let m = input.model;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        escape(input.title),
        escape(input.title)
    );
    provenance(&mut s, cohort, analysis, m, input.cohort_label);
    table_one(&mut s, m);
    responders(&mut s, analysis, m);
    trend(&mut s, analysis, m);
    adjusted(&mut s, analysis, m);
    sensitivity(&mut s, analysis, m);
    decisions(&mut s, m);
    safety(&mut s, m);
    if input.show_ids {
        attention(&mut s, cohort, derived);
    }
    charts_with_note(&mut s, &input.charts, input.chart_note.as_deref());
    methods(&mut s, cohort, analysis, m);
    limitations(&mut s, cohort, m);
    s.push_str("</body></html>\n");
    s
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

use crate::render::format::{points as pp, ratio};
use crate::render::report::disclosure::Disclosed as _;

/// A p-value as [`crate::render::format::p_value`] writes it, escaped for HTML.
pub(crate) fn p_value(p: Option<f64>) -> String {
    escape(&crate::render::format::p_value(p))
}

pub(crate) const CSS: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.7em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:right}\
th:first-child,td:first-child{text-align:left}thead th{background:#eef4fa}caption{text-align:left;font-weight:bold;margin-bottom:.4em}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.9em;color:#444}\
.note{font-size:.9em;color:#444}.list td,.list th,td.t{text-align:left}code{font-size:.95em}\
@media print{body{max-width:none;margin:0}section{page-break-before:always}section:first-of-type{page-break-before:avoid}table,figure{page-break-inside:avoid}h2{border-color:#000}}";

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

fn provenance(s: &mut String, cohort: &Cohort, analysis: &Analysis, m: &ReportModel, label: &str) {
    let _ = write!(
        s,
        "<section id=\"provenance\"><h2>Data provenance</h2><p>Cohort folder <code>{}</code>, analysed by trialdose {}.</p>",
        escape(label),
        env!("CARGO_PKG_VERSION")
    );
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
    files_table(s, cohort, &participants);
    let o = &analysis.options;
    let _ = write!(
        s,
        "<p>Settings: population {}, missing outcomes {}, {}% intervals, risk-difference interval {}, multiplicity {}, small cells {}.</p></section>",
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
}

/// The input files' table: name, SHA-256, size and row counts. `counts` may replace a file's
/// rows, accepted, rejected and duplicate counts by the texts a suppressed page prints.
pub(crate) fn files_table(
    s: &mut String,
    cohort: &Cohort,
    counts: &dyn Fn(&FileReport) -> Option<[String; 4]>,
) {
    s.push_str("<table><caption>Input files</caption><thead><tr><th>file</th><th>SHA-256</th><th>bytes</th><th>rows</th><th>accepted</th><th>rejected</th><th>ignored duplicates</th></tr></thead><tbody>");
    for f in &cohort.files {
        let c = f.counts;
        let [rows, accepted, rejected, dups] = counts(f).unwrap_or_else(|| {
            [c.rows, c.accepted, c.rejected, c.ignored_duplicates].map(|v| v.to_string())
        });
        let _ = write!(
            s,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{rows}</td><td>{accepted}</td><td>{rejected}</td><td>{dups}</td></tr>",
            f.file.name(),
            f.sha256.as_deref().unwrap_or("-"),
            f.bytes,
        );
    }
    s.push_str("</tbody></table>");
}

fn table_one(s: &mut String, m: &ReportModel) {
    s.push_str("<section id=\"table1\"><h2>Table 1: baseline characteristics by arm</h2><table><thead><tr><th>characteristic</th>");
    for a in &m.arms {
        let _ = write!(s, "<th>{}</th>", escape(&a.id));
    }
    s.push_str("</tr></thead><tbody>");
    let row = |s: &mut String, label: &str, cells_of: &dyn Fn(&ArmCells) -> String| {
        let _ = write!(s, "<tr><td>{label}</td>");
        for a in &m.arms {
            let _ = write!(s, "<td>{}</td>", cells_of(a));
        }
        s.push_str("</tr>");
    };
    // A mean over an arm whose size is hidden is hidden with it.
    let mean = |a: &ArmCells, of: fn(&BaselineArm) -> &MeanSd| {
        if m.known(&[a.n]) {
            mean_sd(of(&a.baseline))
        } else {
            SUPPRESSED.to_owned()
        }
    };
    row(s, "n", &|a| count(m, a.n));
    row(s, "age, years: mean (SD)", &|a| mean(a, |b| &b.age));
    row(s, "female: n (%)", &|a| with_pct(m, a.female, a.n));
    row(s, "pain at baseline (0-10): mean (SD)", &|a| {
        mean(a, |b| &b.pain)
    });
    row(s, "NDI at baseline (0-50): mean (SD)", &|a| {
        mean(a, |b| &b.ndi)
    });
    s.push_str("</tbody></table></section>\n");
}

fn responder_rows(s: &mut String, analysis: &Analysis, outcome: Outcome, m: &ReportModel) {
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
        let effects = match c {
            Some(c) if m.comparison_shown(c) => {
                format!(
                    "<td>{} [{} to {}]</td><td>{} [{} to {}]</td><td>{}</td>",
                    pp(c.risk_difference),
                    pp(c.rd_low),
                    pp(c.rd_high),
                    ratio(c.risk_ratio),
                    ratio(c.rr_low),
                    ratio(c.rr_high),
                    if p_known {
                        p_value(c.p_adjusted)
                    } else {
                        SUPPRESSED.to_owned()
                    }
                )
            }
            Some(_) => {
                format!("<td colspan=\"3\">{SUPPRESSED} (computed from a suppressed count)</td>")
            }
            None => "<td colspan=\"3\">(control)</td>".to_owned(),
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{rate}</td>{effects}</tr>",
            escape(&a.arm)
        );
    }
}

fn responders(s: &mut String, analysis: &Analysis, m: &ReportModel) {
    s.push_str("<section id=\"responders\"><h2>Responders: absolute and relative effects</h2>");
    for (outcome, title) in [
        (Outcome::Pain, "Pain responders (at least 30% reduction)"),
        (
            Outcome::Ndi,
            "NDI responders (at least 5-point improvement)",
        ),
    ] {
        let _ = write!(
            s,
            "<table><caption>{title}</caption><thead><tr><th>arm</th><th>responders/n (% [95% CI])</th><th>risk difference, points [95% CI]</th><th>risk ratio [95% CI]</th><th>p</th></tr></thead><tbody>"
        );
        responder_rows(s, analysis, outcome, m);
        s.push_str("</tbody></table>");
    }
    s.push_str("<p class=\"note\">Rates with Wilson score intervals; differences with the interval named in the provenance settings; risk ratios with Katz log intervals (0.5 added to every cell when one is zero); p from Fisher's exact test (adjusted when a multiplicity method is named).</p></section>\n");
}

fn trend(s: &mut String, analysis: &Analysis, m: &ReportModel) {
    s.push_str("<section id=\"trend\"><h2>Dose-response trend</h2><table><thead><tr><th>outcome</th><th>z</th><th>p (two-sided)</th><th>p (one-sided, rising)</th><th>scores (minutes per week)</th></tr></thead><tbody>");
    for t in &analysis.trend {
        if !m.outcome_shown(t.outcome) {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{SUPPRESSED}</td><td>{SUPPRESSED}</td><td>{SUPPRESSED}</td><td>{}</td></tr>",
                escape(&t.label),
                escape(&t.scores)
            );
            continue;
        }
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t.label),
            t.z.map_or_else(|| "-".to_owned(), |z| format!("{z:.2}")),
            p_value(t.p_two_sided),
            p_value(t.p_one_sided),
            escape(&t.scores)
        );
    }
    s.push_str("</tbody></table><p class=\"note\">Cochran-Armitage test, variance with divisor N (as SAS PROC FREQ).</p></section>\n");
}

fn adjusted(s: &mut String, analysis: &Analysis, m: &ReportModel) {
    let Some(covariates) = analysis.options.adjust else {
        return;
    };
    let _ = write!(
        s,
        "<section id=\"adjusted\"><h2>Adjusted relative risks</h2><table><caption>Each arm against control, adjusted for {}</caption><thead><tr><th>arm</th><th>outcome</th><th>model</th><th>estimate [95% CI]</th><th>p</th><th>n</th></tr></thead><tbody>",
        escape(covariates.as_str())
    );
    let sizes_known = m.arms.iter().all(|a| m.known(&[a.n]));
    for r in &analysis.adjusted {
        let model = if r.model == crate::stats::glm::Model::ModifiedPoisson {
            "risk ratio (modified Poisson)"
        } else {
            "odds ratio (logistic)"
        };
        if !(m.outcome_shown(r.outcome) && sizes_known) {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{model}</td><td>{SUPPRESSED}</td><td>{SUPPRESSED}</td><td>{SUPPRESSED}</td></tr>",
                escape(&r.arm),
                escape(&r.label),
            );
            continue;
        }
        let value = match (r.estimate, r.low, r.high) {
            (Some(e), Some(l), Some(h)) => format!("{e:.2} [{l:.2} to {h:.2}]"),
            _ => escape(&r.note),
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{model}</td><td>{value}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.arm),
            escape(&r.label),
            p_value(r.p_value),
            r.n
        );
    }
    s.push_str("</tbody></table><p class=\"note\">Modified Poisson regression with robust (HC0) errors (Zou 2004) and logistic regression, on arm indicators and the covariates named.</p></section>\n");
}

fn sensitivity(s: &mut String, analysis: &Analysis, m: &ReportModel) {
    if analysis.sensitivity.is_empty() {
        return;
    }
    s.push_str("<section id=\"sensitivity\"><h2>Sensitivity of the conclusions to missing outcomes</h2><table><caption>Each arm against control under the estimands of ICH E9(R1): who is analysed and what a missing checkpoint outcome counts as</caption><thead><tr><th>arm</th><th>outcome</th><th>estimand</th><th>treatment</th><th>control</th><th>risk difference, points [95% CI]</th><th>p</th><th>tipping point</th></tr></thead><tbody>");
    for r in &analysis.sensitivity {
        let lead = format!(
            "<tr><td>{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td>",
            escape(&r.arm),
            escape(&r.outcome),
            escape(r.strategy)
        );
        if !m.sensitivity_shown(analysis, r) {
            let _ = write!(
                s,
                "{lead}<td colspan=\"5\">{SUPPRESSED} (would reveal a small count)</td></tr>"
            );
            continue;
        }
        let tipping = match (r.tipping_point, r.robust) {
            (Some(0), _) => "0: the missing controls alone".to_owned(),
            (Some(k), _) => format!("{k} of {} missing", r.treatment_missing),
            (None, Some(true)) => "none: robust".to_owned(),
            _ => String::new(),
        };
        let _ = write!(
            s,
            "{lead}<td>{}/{}</td><td>{}/{}</td><td>{} [{} to {}]</td><td>{}</td><td>{}</td></tr>",
            r.treatment.successes(),
            r.treatment.trials(),
            r.control.successes(),
            r.control.trials(),
            pp(r.risk_difference),
            pp(r.interval.map(|i| i.low)),
            pp(r.interval.map(|i| i.high)),
            p_value(r.p_value),
            escape(&tipping)
        );
    }
    s.push_str("</tbody></table><p class=\"note\">The first row of each comparison is the primary analysis. Best and worst case impute every missing outcome in the treatment's favour and against it; the tipping point is the fewest missing treated outcomes that, turned toward no effect with every missing control outcome, bring the interval to 0. With <code>--min-cell</code>, the per-protocol rows and any row that would reveal a small number of missing outcomes are suppressed.</p></section>\n");
}

fn decisions(s: &mut String, m: &ReportModel) {
    s.push_str("<section id=\"decisions\"><h2>Checkpoint decisions by arm</h2><table><thead><tr><th>arm</th>");
    for (_, label) in DECISIONS {
        let _ = write!(s, "<th>{label}</th>");
    }
    s.push_str("</tr></thead><tbody>");
    for a in &m.arms {
        let Some(cells) = a.decisions else {
            continue;
        };
        let _ = write!(s, "<tr><td>{}</td>", escape(&a.id));
        for c in cells {
            let _ = write!(s, "<td>{}</td>", with_pct(m, c, a.n));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></section>\n");
}

fn safety(s: &mut String, m: &ReportModel) {
    s.push_str("<section id=\"safety\"><h2>Safety</h2><table><thead><tr><th>arm</th><th>participants</th><th>with an adverse event: n (%)</th><th>worst: mild</th><th>moderate</th><th>severe</th></tr></thead><tbody>");
    for a in &m.arms {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&a.id),
            count(m, a.n),
            with_pct(m, a.adverse, a.n),
            count(m, a.worst[0]),
            count(m, a.worst[1]),
            count(m, a.worst[2])
        );
    }
    s.push_str("</tbody></table><p class=\"note\">Participants with any accepted session row carrying an adverse event other than none, by their worst event (the DREAM trial reported about 5% of participants, mostly mild or moderate).</p></section>\n");
}

fn attention(s: &mut String, cohort: &Cohort, derived: &[Derived]) {
    s.push_str("<section id=\"attention\"><h2>Participants needing attention</h2><table><thead><tr><th>participant</th><th>arm</th><th>flags</th><th>decision</th></tr></thead><tbody>");
    let arms = cohort.protocol.arms();
    let mut listed = 0;
    for (p, d) in cohort.participants.iter().zip(derived) {
        if d.flags.contains(Flags::NEEDS_CLEARANCE) || d.flags.contains(Flags::ADVERSE_EVENT) {
            listed += 1;
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&p.id),
                escape(arms[p.arm].id()),
                escape(&d.flags.to_field()),
                d.decision.as_str()
            );
        }
    }
    if listed == 0 {
        s.push_str("<tr><td colspan=\"4\">none</td></tr>");
    }
    s.push_str("</tbody></table><p class=\"note\">Shown because --show-ids was given: a contraindication without medical clearance, or an adverse event. Safety flags first would be the audit's worklist order; here they are in file order.</p></section>\n");
}

pub(crate) fn charts(s: &mut String, charts: &[(String, String)]) {
    charts_with_note(s, charts, None);
}

/// The charts section, with a note (why charts are left out) after the figures.
pub(crate) fn charts_with_note(s: &mut String, charts: &[(String, String)], note: Option<&str>) {
    s.push_str("<section id=\"charts\"><h2>Charts</h2>");
    for (title, svg) in charts {
        // The SVG document's XML prolog, if any, is not allowed inside HTML.
        let body = svg.trim_start_matches(|c| c != '<');
        let body = if body.starts_with("<?xml") {
            body.split_once("?>").map_or(body, |(_, rest)| rest)
        } else {
            body
        };
        // Inline SVG in HTML needs no namespace declaration: leave out the only URL it holds.
        let body = body
            .replace(" xmlns=\"http://www.w3.org/2000/svg\"", "")
            .replace(" xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "");
        let _ = write!(
            s,
            "<figure>{body}<figcaption>{}</figcaption></figure>",
            escape(title)
        );
    }
    if let Some(note) = note {
        let _ = write!(s, "<p class=\"note\">{}</p>", escape(note));
    }
    s.push_str("</section>\n");
}

fn methods(s: &mut String, cohort: &Cohort, analysis: &Analysis, m: &ReportModel) {
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
    let _ = write!(
        s,
        "<section id=\"methods\"><h2>Methods</h2><p>Participants were analysed in the arm they were randomized to; the analysis population was {population}. \
A participant was a pain responder when pain fell by at least {}% of its baseline value from week 0 to week {}, and an NDI responder when the Neck Disability Index improved by at least {} points; thresholds were decided in exact decimal arithmetic. \
Adherence was attending at least {}% of the planned sessions. Responder rates are given with {}% Wilson score intervals; each dose arm is compared with control by the risk difference ({}), the risk ratio (Katz log interval) and Fisher's exact test{}. \
A dose-response trend across arms, scored by planned minutes per week, was tested with the Cochran-Armitage test. {}All figures were produced by trialdose {} from the files listed under provenance.</p></section>",
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
}

fn limitations(s: &mut String, cohort: &Cohort, m: &ReportModel) {
    let mut items = Vec::new();
    match m.cell(m.age_outside) {
        Cell::Shown(0) => {}
        c => items.push(format!(
            "{} participant(s) are aged outside {EVIDENCE_AGE_MIN}-{EVIDENCE_AGE_MAX}, the ages the DREAM trial studied; its evidence may not apply to them.",
            c.text()
        )),
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
        items.push(format!(
            "No published responder rates exist for {} (DREAM published rates only for control, 60x2 and 60x3).",
            escape(&untested.join(", "))
        ));
    }
    for a in &m.arms {
        let small = match m.cell(a.n) {
            Cell::Shown(k) => k < 30,
            Cell::Suppressed => true,
        };
        if small {
            items.push(format!(
                "Arm {} has {} participants: its intervals are wide and Fisher's test has little power.",
                escape(&a.id),
                count(m, a.n)
            ));
        }
    }
    match m.cell(m.no_checkpoint) {
        Cell::Shown(0) => {}
        c => items.push(format!(
            "{} participant(s) have no pain score at the checkpoint; how they are counted follows the missing-outcome rule under Methods.",
            c.text()
        )),
    }
    s.push_str("<section id=\"limitations\"><h2>Limitations</h2><ul>");
    if items.is_empty() {
        s.push_str("<li>None detected in the data.</li>");
    }
    for i in items {
        let _ = write!(s, "<li>{i}</li>");
    }
    s.push_str("</ul></section>\n");
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_makes_markup_and_control_characters_harmless() {
        assert_eq!(
            escape("<b>\"a&b'</b>\t\n"),
            "&lt;b&gt;&quot;a&amp;b&#39;&lt;/b&gt;\t\n"
        );
        assert_eq!(
            escape("\u{1b}[31mred\u{7f}\u{85}"),
            "\u{fffd}[31mred\u{fffd}\u{fffd}"
        );
    }
}
