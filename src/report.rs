//! The self-contained HTML report (`trialdose report`): provenance, Table 1, the responder table
//! with absolute and relative effects (CONSORT item 17b), the trend test, checkpoint decisions,
//! safety, the charts (inline SVG), a methods paragraph written from the settings used, and
//! limitations drawn from the data.
//!
//! Self-contained: CSS is inline, charts are inline SVG, nothing is fetched (no script, font or
//! image URL). Printable: a print stylesheet keeps tables whole and starts each section on a new
//! page. Small cells: with `min_cell = K > 1`, counts from 1 to K − 1 are shown as `<K`, and
//! the percentages and complements that would reveal them are hidden. Participant ids appear
//! only with `show_ids`, in a list of the participants who need attention.

use std::fmt::Write as _;

use crate::analysis::Analysis;
use crate::cohort::Cohort;
use crate::derive::{Decision, Derived, EVIDENCE_AGE_MAX, EVIDENCE_AGE_MIN, Flags};
use crate::stats;

/// What the report is made of besides the analysis.
pub struct ReportInput<'a> {
    /// Title.
    pub title: &'a str,
    /// Small-cell threshold (1: no suppression).
    pub min_cell: u64,
    /// List the participants who need attention by id (`--show-ids`).
    pub show_ids: bool,
    /// Charts as (heading, SVG document).
    pub charts: Vec<(String, String)>,
}

/// Escapes text for HTML.
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
            c => out.push(c),
        }
    }
    out
}

/// Small-cell rules for one report.
#[derive(Clone, Copy)]
pub(crate) struct Cells {
    pub(crate) k: u64,
}

impl Cells {
    pub(crate) fn hidden(self, count: u64) -> bool {
        self.k > 1 && count >= 1 && count < self.k
    }

    /// A count, or `<K`.
    pub(crate) fn count(self, count: u64) -> String {
        if self.hidden(count) {
            format!("&lt;{}", self.k)
        } else {
            count.to_string()
        }
    }

    /// `x (p%)` of `n`, hiding the percentage when `x` or `n − x` is a small cell.
    pub(crate) fn with_pct(self, x: u64, n: u64) -> String {
        let shown = self.count(x);
        if n == 0 || self.hidden(x) || self.hidden(n - x) {
            return shown;
        }
        format!("{shown} ({:.1}%)", 100.0 * x as f64 / n as f64)
    }

    /// `x/n (rate% [lo–hi])`, hidden as a whole when a cell is small: then `x of n` with `x`
    /// shown as `<K` when `x` or `n − x` is small (so `n − x` cannot be recovered from them).
    pub(crate) fn rate(self, x: u64, n: u64, low: Option<f64>, high: Option<f64>) -> String {
        if self.hidden(x) || self.hidden(n - x) || self.hidden(n) {
            if self.hidden(n - x) && !self.hidden(x) {
                return format!("all but &lt;{} of {}", self.k, self.count(n));
            }
            return format!("{} of {}", self.count(x), self.count(n));
        }
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
}

fn mean_sd(values: &[f64]) -> String {
    match (stats::mean(values), stats::sd(values)) {
        (Some(m), Some(s)) => format!("{m:.1} ({s:.1})"),
        (Some(m), None) => format!("{m:.1}"),
        _ => "-".to_owned(),
    }
}

fn pp(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{:+.1}", 100.0 * x))
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"))
}

pub(crate) fn p_value(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 0.001 => "&lt;0.001".to_owned(),
        Some(p) => format!("{p:.3}"),
        None => "-".to_owned(),
    }
}

pub(crate) const CSS: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.7em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:right}\
th:first-child,td:first-child{text-align:left}thead th{background:#eef4fa}caption{text-align:left;font-weight:bold;margin-bottom:.4em}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.9em;color:#444}\
.note{font-size:.9em;color:#444}.list td,.list th{text-align:left}code{font-size:.95em}\
@media print{body{max-width:none;margin:0}section{page-break-before:always}section:first-of-type{page-break-before:avoid}table,figure{page-break-inside:avoid}h2{border-color:#000}}";

/// Builds the report's HTML.
#[must_use]
pub fn html(
    cohort: &Cohort,
    derived: &[Derived],
    analysis: &Analysis,
    input: &ReportInput<'_>,
) -> String {
    let cells = Cells {
        k: input.min_cell.max(1),
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        escape(input.title),
        escape(input.title)
    );
    provenance(&mut s, cohort, analysis, cells);
    table_one(&mut s, cohort, derived, cells);
    responders(&mut s, analysis, cells);
    trend(&mut s, analysis);
    adjusted(&mut s, analysis);
    decisions(&mut s, cohort, derived, cells);
    safety(&mut s, cohort, derived, cells);
    if input.show_ids {
        attention(&mut s, cohort, derived);
    }
    charts(&mut s, &input.charts);
    methods(&mut s, cohort, analysis, cells);
    limitations(&mut s, cohort, derived);
    s.push_str("</body></html>\n");
    s
}

fn provenance(s: &mut String, cohort: &Cohort, analysis: &Analysis, cells: Cells) {
    let _ = write!(
        s,
        "<section id=\"provenance\"><h2>Data provenance</h2><p>Cohort folder <code>{}</code>, analysed by trialdose {}.</p>",
        escape(&cohort.dir.display().to_string()),
        env!("CARGO_PKG_VERSION")
    );
    files_table(s, cohort);
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
        if cells.k > 1 {
            format!("below {} suppressed", cells.k)
        } else {
            "shown".to_owned()
        }
    );
}

/// The input files' table: name, SHA-256, size and row counts.
pub(crate) fn files_table(s: &mut String, cohort: &Cohort) {
    s.push_str("<table><caption>Input files</caption><thead><tr><th>file</th><th>SHA-256</th><th>bytes</th><th>rows</th><th>accepted</th><th>rejected</th><th>ignored duplicates</th></tr></thead><tbody>");
    for f in &cohort.files {
        let c = f.counts;
        let _ = write!(
            s,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.file.name(),
            f.sha256,
            f.bytes,
            c.rows,
            c.accepted,
            c.rejected,
            c.ignored_duplicates
        );
    }
    s.push_str("</tbody></table>");
}

fn is_female(sex: Option<&str>) -> bool {
    sex.is_some_and(|x| {
        matches!(
            x.trim().to_ascii_lowercase().as_str(),
            "f" | "female" | "woman" | "w"
        )
    })
}

fn table_one(s: &mut String, cohort: &Cohort, derived: &[Derived], cells: Cells) {
    let arms = cohort.protocol.arms();
    s.push_str("<section id=\"table1\"><h2>Table 1: baseline characteristics by arm</h2><table><thead><tr><th>characteristic</th>");
    for a in arms {
        let _ = write!(s, "<th>{}</th>", escape(a.id()));
    }
    s.push_str("</tr></thead><tbody>");
    let mut n = vec![0u64; arms.len()];
    let mut female = vec![0u64; arms.len()];
    let mut age: Vec<Vec<f64>> = vec![Vec::new(); arms.len()];
    let mut pain: Vec<Vec<f64>> = vec![Vec::new(); arms.len()];
    let mut ndi: Vec<Vec<f64>> = vec![Vec::new(); arms.len()];
    for (p, d) in cohort.participants.iter().zip(derived) {
        n[p.arm] += 1;
        female[p.arm] += u64::from(is_female(p.sex.as_deref()));
        if let Some(a) = p.age {
            age[p.arm].push(a as f64);
        }
        if let Some(b) = d.pain.baseline {
            pain[p.arm].push(b.to_f64());
        }
        if let Some(b) = d.ndi.baseline {
            ndi[p.arm].push(b.to_f64());
        }
    }
    let row = |s: &mut String, label: &str, cells_of: &dyn Fn(usize) -> String| {
        let _ = write!(s, "<tr><td>{label}</td>");
        for i in 0..arms.len() {
            let _ = write!(s, "<td>{}</td>", cells_of(i));
        }
        s.push_str("</tr>");
    };
    row(s, "n", &|i| cells.count(n[i]));
    row(s, "age, years: mean (SD)", &|i| mean_sd(&age[i]));
    row(s, "female: n (%)", &|i| cells.with_pct(female[i], n[i]));
    row(s, "pain at baseline (0-10): mean (SD)", &|i| {
        mean_sd(&pain[i])
    });
    row(s, "NDI at baseline (0-50): mean (SD)", &|i| {
        mean_sd(&ndi[i])
    });
    s.push_str("</tbody></table></section>\n");
}

fn responder_rows(s: &mut String, analysis: &Analysis, outcome: &str, cells: Cells) {
    for a in &analysis.arms {
        let r = if outcome == "pain" { &a.pain } else { &a.ndi };
        let rate = cells.rate(r.responders, r.n, r.low, r.high);
        let c = analysis
            .comparisons
            .iter()
            .find(|c| c.arm == a.arm && c.outcome == outcome);
        let effects = match c {
            Some(c) if !(cells.hidden(c.responders) || cells.hidden(c.control_responders)) => {
                format!(
                    "<td>{} [{} to {}]</td><td>{} [{} to {}]</td><td>{}</td>",
                    pp(c.risk_difference),
                    pp(c.rd_low),
                    pp(c.rd_high),
                    ratio(c.risk_ratio),
                    ratio(c.rr_low),
                    ratio(c.rr_high),
                    p_value(c.p_adjusted)
                )
            }
            Some(_) => "<td colspan=\"3\">hidden (small cell)</td>".to_owned(),
            None => "<td colspan=\"3\">(control)</td>".to_owned(),
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{rate}</td>{effects}</tr>",
            escape(&a.arm)
        );
    }
}

fn responders(s: &mut String, analysis: &Analysis, cells: Cells) {
    s.push_str("<section id=\"responders\"><h2>Responders: absolute and relative effects</h2>");
    for (outcome, title) in [
        ("pain", "Pain responders (at least 30% reduction)"),
        ("ndi", "NDI responders (at least 5-point improvement)"),
    ] {
        let _ = write!(
            s,
            "<table><caption>{title}</caption><thead><tr><th>arm</th><th>responders/n (% [95% CI])</th><th>risk difference, points [95% CI]</th><th>risk ratio [95% CI]</th><th>p</th></tr></thead><tbody>"
        );
        responder_rows(s, analysis, outcome, cells);
        s.push_str("</tbody></table>");
    }
    s.push_str("<p class=\"note\">Rates with Wilson score intervals; differences with the interval named in the provenance settings; risk ratios with Katz log intervals (0.5 added to every cell when one is zero); p from Fisher's exact test (adjusted when a multiplicity method is named).</p></section>\n");
}

fn trend(s: &mut String, analysis: &Analysis) {
    s.push_str("<section id=\"trend\"><h2>Dose-response trend</h2><table><thead><tr><th>outcome</th><th>z</th><th>p (two-sided)</th><th>p (one-sided, rising)</th><th>scores (minutes per week)</th></tr></thead><tbody>");
    for t in &analysis.trend {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t.outcome),
            t.z.map_or_else(|| "-".to_owned(), |z| format!("{z:.2}")),
            p_value(t.p_two_sided),
            p_value(t.p_one_sided),
            escape(&t.scores)
        );
    }
    s.push_str("</tbody></table><p class=\"note\">Cochran-Armitage test, variance with divisor N (as SAS PROC FREQ).</p></section>\n");
}

fn adjusted(s: &mut String, analysis: &Analysis) {
    let Some(covariates) = analysis.options.adjust else {
        return;
    };
    let _ = write!(
        s,
        "<section id=\"adjusted\"><h2>Adjusted relative risks</h2><table><caption>Each arm against control, adjusted for {}</caption><thead><tr><th>arm</th><th>outcome</th><th>model</th><th>estimate [95% CI]</th><th>p</th><th>n</th></tr></thead><tbody>",
        escape(covariates.as_str())
    );
    for r in &analysis.adjusted {
        let value = match (r.estimate, r.low, r.high) {
            (Some(e), Some(l), Some(h)) => format!("{e:.2} [{l:.2} to {h:.2}]"),
            _ => escape(&r.note),
        };
        let model = if r.model == "modified_poisson" {
            "risk ratio (modified Poisson)"
        } else {
            "odds ratio (logistic)"
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{model}</td><td>{value}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.arm),
            escape(&r.outcome),
            p_value(r.p_value),
            r.n
        );
    }
    s.push_str("</tbody></table><p class=\"note\">Modified Poisson regression with robust (HC0) errors (Zou 2004) and logistic regression, on arm indicators and the covariates named.</p></section>\n");
}

fn decisions(s: &mut String, cohort: &Cohort, derived: &[Derived], cells: Cells) {
    let arms = cohort.protocol.arms();
    let kinds = [
        (Decision::Continue, "continue"),
        (Decision::Adjust, "adjust"),
        (Decision::IncompleteDose, "incomplete dose"),
        (Decision::NoCheckpoint, "no checkpoint"),
    ];
    let mut counts = vec![[0u64; 4]; arms.len()];
    let mut n = vec![0u64; arms.len()];
    for (p, d) in cohort.participants.iter().zip(derived) {
        n[p.arm] += 1;
        if let Some(k) = kinds.iter().position(|(dec, _)| *dec == d.decision) {
            counts[p.arm][k] += 1;
        }
    }
    s.push_str("<section id=\"decisions\"><h2>Checkpoint decisions by arm</h2><table><thead><tr><th>arm</th>");
    for (_, label) in kinds {
        let _ = write!(s, "<th>{label}</th>");
    }
    s.push_str("</tr></thead><tbody>");
    for (i, a) in arms.iter().enumerate() {
        if a.is_control() {
            continue;
        }
        let _ = write!(s, "<tr><td>{}</td>", escape(a.id()));
        for c in counts[i] {
            let _ = write!(s, "<td>{}</td>", cells.with_pct(c, n[i]));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></section>\n");
}

fn safety(s: &mut String, cohort: &Cohort, derived: &[Derived], cells: Cells) {
    use crate::cohort::AdverseEvent;
    let arms = cohort.protocol.arms();
    // Each participant's worst adverse event over their accepted session rows.
    let mut worst = vec![0u8; cohort.participants.len()];
    for session in cohort.sessions.iter() {
        let level = match session.adverse_event() {
            AdverseEvent::None => 0,
            AdverseEvent::Mild => 1,
            AdverseEvent::Moderate => 2,
            AdverseEvent::Severe => 3,
        };
        if let Some(w) = worst.get_mut(session.participant as usize) {
            *w = (*w).max(level);
        }
    }
    let mut n = vec![0u64; arms.len()];
    let mut ae = vec![0u64; arms.len()];
    let mut by_level = vec![[0u64; 3]; arms.len()];
    for ((p, d), &w) in cohort.participants.iter().zip(derived).zip(&worst) {
        n[p.arm] += 1;
        ae[p.arm] += u64::from(d.flags.contains(Flags::ADVERSE_EVENT));
        if w > 0 {
            by_level[p.arm][usize::from(w - 1)] += 1;
        }
    }
    s.push_str("<section id=\"safety\"><h2>Safety</h2><table><thead><tr><th>arm</th><th>participants</th><th>with an adverse event: n (%)</th><th>worst: mild</th><th>moderate</th><th>severe</th></tr></thead><tbody>");
    for (i, a) in arms.iter().enumerate() {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(a.id()),
            cells.count(n[i]),
            cells.with_pct(ae[i], n[i]),
            cells.count(by_level[i][0]),
            cells.count(by_level[i][1]),
            cells.count(by_level[i][2])
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
    s.push_str("</section>\n");
}

fn methods(s: &mut String, cohort: &Cohort, analysis: &Analysis, cells: Cells) {
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
        if cells.k > 1 {
            format!(
                "Counts from 1 to {} are shown as &lt;{} and the percentages that would reveal them are hidden. ",
                cells.k - 1,
                cells.k
            )
        } else {
            String::new()
        },
        env!("CARGO_PKG_VERSION")
    );
}

fn limitations(s: &mut String, cohort: &Cohort, derived: &[Derived]) {
    let mut items = Vec::new();
    let outside = cohort
        .participants
        .iter()
        .filter(|p| {
            p.age
                .is_some_and(|a| !(EVIDENCE_AGE_MIN..=EVIDENCE_AGE_MAX).contains(&a))
        })
        .count();
    if outside > 0 {
        items.push(format!(
            "{outside} participant(s) are aged outside {EVIDENCE_AGE_MIN}-{EVIDENCE_AGE_MAX}, the ages the DREAM trial studied; its evidence may not apply to them."
        ));
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
    let mut n = vec![0u64; cohort.protocol.arms().len()];
    for p in &cohort.participants {
        n[p.arm] += 1;
    }
    for (a, &k) in cohort.protocol.arms().iter().zip(&n) {
        if k < 30 {
            items.push(format!(
                "Arm {} has {k} participants: its intervals are wide and Fisher's test has little power.",
                escape(a.id())
            ));
        }
    }
    let missing = derived
        .iter()
        .filter(|d| d.pain.checkpoint.is_none())
        .count();
    if missing > 0 {
        items.push(format!(
            "{missing} participant(s) have no pain score at the checkpoint; how they are counted follows the missing-outcome rule under Methods."
        ));
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
