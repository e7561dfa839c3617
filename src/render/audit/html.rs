//! `audit.html`: the audit as a self-contained page, on the report's machinery (the same
//! stylesheet, disclosure control and inline SVG charts; nothing is fetched). Every count it
//! prints comes from the [`AuditModel`], where `--min-cell` suppression has been applied once.
//! Participant ids (or their pseudonyms) appear only when `show_ids` is set, in the list of who
//! needs attention.

use std::fmt::Write as _;

use super::export::worklist_counts;
use super::model::AuditModel;
use crate::audit::{Audit, Overdispersion};
use crate::cohort::value::format_date;
use crate::cohort::{Cohort, CohortFile, FileReport};
use crate::derive::Flags;
use crate::render::report::disclosure::{Cell, SUPPRESSED};
use crate::render::report::{CSS, charts, escape, files_table, p_value, rate_text};

/// What the page is made of besides the audit.
pub struct AuditPage<'a> {
    /// Title.
    pub title: &'a str,
    /// The counts after suppression (`--min-cell`).
    pub model: &'a AuditModel,
    /// How the cohort folder is named (its name, or its full path with `--full-paths`).
    pub cohort_label: &'a str,
    /// List the participants needing attention by id.
    pub show_ids: bool,
    /// Ids to show, per participant (raw or pseudonyms).
    pub ids: &'a [&'a str],
    /// The funnel plot's SVG.
    pub funnel_svg: String,
    /// The monitoring's charts (`--over-time`): the run chart, then each unit's CUSUM and
    /// VLAD, with the unit's name.
    pub monitoring_svgs: Vec<(String, String)>,
}

use crate::render::format::percent_sign as pct;
use crate::render::report::disclosure::Disclosed as _;

/// Builds the page.
#[must_use]
pub fn html(cohort: &Cohort, audit: &Audit, page: &AuditPage<'_>) -> String {
    let m = page.model;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        escape(page.title),
        escape(page.title)
    );
    provenance(&mut s, cohort, audit, m, page.cohort_label);
    units(&mut s, audit, m);
    let caption = if audit.casemix.is_some() {
        "Funnel plot, case-mix adjusted: each unit's observed over expected responders against its number of patients; the whiskers are the unit's own exact 95% (thick) and 99.8% (thin) limits, the dashed curves those of a unit of average case mix"
    } else {
        "Funnel plot: each unit's responder rate against its number of patients, with the benchmark and its 95% and 99.8% limits"
    };
    charts(&mut s, &[(caption.to_owned(), page.funnel_svg.clone())]);
    casemix(&mut s, audit, m);
    monitoring(&mut s, audit, m, &page.monitoring_svgs);
    dispersion(&mut s, audit, m);
    safety(&mut s, audit, m);
    worklist(&mut s, audit, m);
    if page.show_ids {
        attention(&mut s, cohort, audit, page.ids);
    }
    methods(&mut s, cohort, audit, m);
    notes(&mut s, audit, m);
    s.push_str("</body></html>\n");
    s
}

fn provenance(s: &mut String, cohort: &Cohort, audit: &Audit, m: &AuditModel, label: &str) {
    let o = &audit.options;
    let _ = write!(
        s,
        "<section id=\"provenance\"><h2>Data provenance</h2><p>Cohort folder <code>{}</code>, audited by trialdose {} as of {}.</p>",
        escape(label),
        env!("CARGO_PKG_VERSION"),
        format_date(audit.as_of)
    );
    let participants = |f: &FileReport| -> Option<[String; 4]> {
        let cells = m.participant_rows?;
        (f.file == CohortFile::Participants).then(|| cells.map(|c| m.cell(c).text()))
    };
    files_table(s, cohort, &participants);
    let _ = writeln!(
        s,
        "<p>Settings: units by {}, benchmark {}{}, outcome {}, missing outcomes {}, overdispersion {}, small cells {}. {} treated participants audited; {} control participants left out.</p></section>",
        o.by.as_str(),
        escape(&o.benchmark.label()),
        {
            let mut extra = String::new();
            if let Some(c) = o.casemix {
                let _ = write!(
                    extra,
                    ", case-mix adjusted for arm, {}",
                    c.label().replace(',', ", ")
                );
            }
            if let Some(m) = o.over_time {
                let _ = write!(extra, ", monitored by {}", m.period.as_str());
            }
            extra
        },
        o.outcome.as_str(),
        match o.missing {
            crate::analysis::Missing::Nonresponder => "nonresponder",
            crate::analysis::Missing::Exclude => "exclude",
        },
        match o.overdispersion {
            None => "none",
            Some(Overdispersion::Multiplicative) => "multiplicative",
            Some(Overdispersion::Additive) => "additive",
        },
        if m.suppressing() {
            format!("below {} suppressed", m.min_cell())
        } else {
            "shown".to_owned()
        },
        m.cell(m.treated).text(),
        m.cell(m.control).text()
    );
}

fn units(s: &mut String, audit: &Audit, m: &AuditModel) {
    let _ = write!(
        s,
        "<section id=\"units\"><h2>Responder rates by {}</h2><table><thead><tr><th>unit</th><th>patients</th><th>adherent</th><th>responders/n (% [95% CI])</th><th>expected</th><th>risk-adjusted</th><th>z</th><th>verdict</th></tr></thead><tbody>",
        audit.options.by.as_str()
    );
    for (i, (u, c)) in audit.units.iter().zip(&m.units).enumerate() {
        let shown = m.unit_shown(audit, i);
        let rate = if shown {
            rate_text(
                m.cell(c.responders),
                m.cell(c.n),
                u.ci.map(|c| c.low),
                u.ci.map(|c| c.high),
            )
        } else {
            match (m.cell(c.responders), m.cell(c.n)) {
                // Both printed but a figure from them would reveal phi: counts only.
                (Cell::Shown(x), Cell::Shown(n)) => format!("{x} of {n}"),
                (x, n) => format!("{} of {}", x.text(), n.text()),
            }
        };
        let patients = m.cell(c.patients).text();
        // Share adherent among the judged.
        let judged = u.n + u.not_benchmarked;
        let adherent = if judged == 0 {
            "-".to_owned()
        } else if m.adherent_shown(i) {
            format!("{:.0}%", 100.0 * u.adherent as f64 / judged as f64)
        } else {
            SUPPRESSED.to_owned()
        };
        let verdict = u.verdict.map_or_else(
            || "not assessed".to_owned(),
            |v| match v.direction {
                Some(d) => format!("<strong>{} ({})</strong>", v.band.as_str(), d.as_str()),
                None => v.band.as_str().to_owned(),
            },
        );
        // The expected rate reflects the unit's mix of schedules: hidden with the rest.
        let (expected, adjusted, z, verdict) = if shown {
            (
                pct(u.expected),
                pct(u.adjusted),
                u.z.map_or_else(|| "-".to_owned(), |z| format!("{z:+.2}")),
                verdict,
            )
        } else {
            let c = || SUPPRESSED.to_owned();
            (c(), c(), c(), c())
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{patients}</td><td>{adherent}</td><td>{rate}</td><td>{expected}</td><td>{adjusted}</td><td>{z}</td><td>{verdict}</td></tr>",
            escape(&u.name),
        );
    }
    let target = pct(audit.target);
    let _ = writeln!(
        s,
        "</tbody></table><p class=\"note\">Benchmark rate (the funnel's centre line) {target}. Adherent: share of the judged participants who attended at least the protocol's share of their planned sessions. n: participants judged at the checkpoint (their checkpoint has passed and they were scored, or two weeks have gone by since) and benchmarked. Rates with exact (Clopper-Pearson) 95% intervals; expected: {}; risk-adjusted: observed over expected, times the benchmark rate (the point on the funnel). Alert: outside the 95% limits; alarm: outside the 99.8% limits. z uses the overdispersed standard error when an adjustment is applied.</p></section>",
        if audit.casemix.is_some() {
            "the mean of the unit's patients' expected probabilities under the case-mix model (their arm, and the covariates in the case-mix section); the limits are each unit's own exact (Poisson-binomial) limits"
        } else {
            "the benchmark's rate for the unit's mix of schedules"
        }
    );
}

fn casemix(s: &mut String, audit: &Audit, m: &AuditModel) {
    let Some(c) = &audit.casemix else {
        return;
    };
    let _ = write!(
        s,
        "<section id=\"casemix\"><h2>Case-mix model</h2><p>Each judged patient's expected probability of responding comes from a logistic regression of response on their arm and {}, fitted on {}{}. A unit is compared on observed over expected responders, with exact limits for a sum of patients' own probabilities (Poisson-binomial). Adherence is not adjusted for: it is a process measure the clinic controls.</p><table><thead><tr><th>term</th><th>log odds</th><th>odds ratio</th></tr></thead><tbody>",
        escape(&c.model.covariates.label().replace(',', ", ")),
        escape(
            c.reference
                .as_deref()
                .unwrap_or("this cohort's units in control")
        ),
        if m.suppressing() {
            String::new()
        } else {
            format!(" ({} participants)", c.model.rows)
        }
    );
    for (name, b) in &c.model.coefficients {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{b:+.4}</td><td>{}</td></tr>",
            escape(name),
            if name == "intercept" {
                "-".to_owned()
            } else {
                format!("{:.3}", b.exp())
            }
        );
    }
    s.push_str("</tbody></table><p class=\"note\">Baseline: per point of the outcome's week-0 score; age: per year; arm and sex: against the first arm by id and the most frequent sex value.</p></section>\n");
}

fn monitoring(s: &mut String, audit: &Audit, m: &AuditModel, svgs: &[(String, String)]) {
    let Some(mon) = &audit.monitoring else {
        return;
    };
    let t = &mon.threshold;
    let signals = super::monitor::signal_sentences(audit, mon, |u| m.unit_shown(audit, u));
    let _ = write!(
        s,
        "<section id=\"over-time\"><h2>Monitoring over time</h2><p>{}</p><p>The risk-adjusted CUSUM adds up, patient by patient in the order they reached the checkpoint, the evidence that a unit's odds of non-response are {} times what its patients' expected probabilities predict; it signals at h = {:.2}, chosen by simulation so that a unit performing as expected signals falsely about once in {:.0} patients (estimated {:.0}, Monte Carlo SE {:.0}). A unit whose odds of non-response are {} times the expected signals on average within {:.0} patients (SE {:.1}). After a signal the chart starts again from 0. The VLAD is the running total of observed minus expected responders: a line going down means fewer responders than expected.</p>",
        if signals.is_empty() {
            "No unit's CUSUM has signalled.".to_owned()
        } else {
            format!("Signals: {}.", escape(&signals.join("; ")))
        },
        mon.options.odds_ratio,
        t.threshold,
        t.target_arl0,
        t.arl0.arl.estimate,
        t.arl0.arl.mcse,
        mon.options.odds_ratio,
        t.arl1.arl.estimate,
        t.arl1.arl.mcse,
    );
    let mut figures: Vec<(String, String)> = Vec::new();
    for (k, (name, svg)) in svgs.iter().enumerate() {
        let caption = if k == 0 {
            format!(
                "Run chart: each unit's risk-adjusted responder rate by {} of the checkpoint (periods.csv has the counts, limits and verdicts)",
                mon.options.period.as_str()
            )
        } else {
            format!("{name}: CUSUM with its threshold and signals (above), VLAD (below)")
        };
        figures.push((caption, svg.clone()));
    }
    s.push_str("</section>\n");
    charts(s, &figures);
    if m.suppressing() {
        s.push_str("<p class=\"note\">The per-unit CUSUM and VLAD charts are not drawn under --min-cell: they show each patient's outcome one step at a time. cusum.csv, which stays in the clinic like worklist.csv, has them.</p>\n");
    }
}

fn dispersion(s: &mut String, audit: &Audit, m: &AuditModel) {
    s.push_str("<section id=\"overdispersion\"><h2>Overdispersion</h2>");
    match audit.dispersion {
        Some(_) if !m.dispersion_shown => s.push_str(
            "<p>Not shown: phi and tau-squared are computed from every unit's counts, and some of them are suppressed (--min-cell).</p>",
        ),
        Some(d) => {
            let applied = match audit.applied {
                Some(Overdispersion::Multiplicative) => {
                    "The limits are widened by the square root of phi (multiplicative adjustment)."
                }
                Some(Overdispersion::Additive) => {
                    "The limits include the between-unit variance tau-squared (additive random-effects adjustment)."
                }
                None => "No adjustment is applied: the limits are the exact binomial ones.",
            };
            let _ = write!(
                s,
                "<p>Over {} units, phi = {:.3} (10% winsorised z-scores), tau-squared = {:.5}; the test of more spread between units than chance gives p {} (chi-square of I times phi on I - 1 degrees of freedom). {applied}</p>",
                d.units,
                d.phi,
                d.tau2,
                match p_value(Some(d.p_value)) {
                    p if p.starts_with('&') => p,
                    p => format!("= {p}"),
                }
            );
        }
        None => s.push_str("<p>Not estimated: fewer than two units with data.</p>"),
    }
    s.push_str("</section>\n");
}

fn safety(s: &mut String, audit: &Audit, m: &AuditModel) {
    s.push_str("<section id=\"safety\"><h2>Safety: adverse events against about 5%</h2><table><thead><tr><th>unit</th><th>treated</th><th>with an adverse event (% [95% CI])</th><th>p (exact, vs 5%)</th></tr></thead><tbody>");
    for (i, (r, c)) in audit.safety.iter().zip(&m.safety).enumerate() {
        let (events, p) = if m.safety_shown(i) {
            (
                rate_text(
                    m.cell(c.events),
                    m.cell(c.treated),
                    r.ci.map(|c| c.low),
                    r.ci.map(|c| c.high),
                ),
                p_value(r.p_value),
            )
        } else {
            (
                format!(
                    "{} of {}",
                    m.cell(c.events).text(),
                    m.cell(c.treated).text()
                ),
                SUPPRESSED.to_owned(),
            )
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{events}</td><td>{p}</td></tr>",
            escape(&r.name),
            m.cell(c.treated).text(),
        );
    }
    s.push_str("</tbody></table><p class=\"note\">Participants who attended at least one session, or had an adverse event, up to the audit date; any accepted session row with an adverse event other than none counts. DREAM reported adverse events possibly related to massage in about 5% of participants. Exact two-sided binomial test (as R's binom.test), not adjusted for the number of units.</p></section>\n");
}

fn worklist(s: &mut String, audit: &Audit, m: &AuditModel) {
    let (statuses, flags) = worklist_counts(audit);
    s.push_str("<section id=\"worklist\"><h2>Worklist summary</h2><table><caption>Checkpoint status</caption><thead><tr><th>status</th><th>participants</th></tr></thead><tbody>");
    for ((status, _), &c) in statuses.iter().zip(&m.statuses) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td></tr>",
            status.as_str().replace('_', " "),
            m.cell(c).text()
        );
    }
    s.push_str("</tbody></table><table><caption>Safety flags</caption><thead><tr><th>flag</th><th>participants</th></tr></thead><tbody>");
    for ((_, name, _), &c) in flags.iter().zip(&m.flags) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td></tr>",
            name.replace('_', " "),
            m.cell(c).text()
        );
    }
    s.push_str("</tbody></table><p class=\"note\">Counts only: worklist.csv lists every participant, safety flags first. A participant needing clearance has a contraindication without medical clearance and should not be treated until a doctor clears them.</p></section>\n");
}

fn attention(s: &mut String, cohort: &Cohort, audit: &Audit, ids: &[&str]) {
    s.push_str("<section id=\"attention\"><h2>Participants needing attention</h2><table class=\"list\"><thead><tr><th>participant</th><th>unit</th><th>arm</th><th>status</th><th>action</th></tr></thead><tbody>");
    let arms = cohort.protocol.arms();
    let mut listed = 0;
    for item in &audit.worklist {
        let urgent = item.flags.contains(Flags::NEEDS_CLEARANCE)
            || item.flags.contains(Flags::ADVERSE_EVENT)
            || item.status == crate::audit::worklist::Status::Due;
        if !urgent {
            continue;
        }
        listed += 1;
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(ids[item.participant]),
            escape(&audit.units[item.unit].name),
            escape(arms[cohort.participants[item.participant].arm].id()),
            item.status.as_str(),
            escape(&{
                let mut action = String::new();
                item.push_action(&mut action, cohort);
                action
            })
        );
    }
    if listed == 0 {
        s.push_str("<tr><td colspan=\"5\">none</td></tr>");
    }
    s.push_str("</tbody></table><p class=\"note\">Shown because --show-ids was given: participants needing medical clearance, with an adverse event, or at their checkpoint, in worklist order.</p></section>\n");
}

fn methods(s: &mut String, cohort: &Cohort, audit: &Audit, m: &AuditModel) {
    let o = &audit.options;
    let benchmark = match o.benchmark {
        _ if audit.casemix.is_some() => {
            "each participant's expected probability of responding from the case-mix model (see the case-mix section)".to_owned()
        }
        crate::audit::Benchmark::Dream => {
            "the responder rate DREAM published for each participant's schedule".to_owned()
        }
        crate::audit::Benchmark::Cohort
            if audit.benchmark_left_out.iter().any(|&u| m.unit_shown(audit, u)) =>
        {
            "the responder rate in each participant's arm over the units in control (the units far off, named in the notes, were left out of that rate one at a time, farthest first, while they were beyond the 99.8% limits and more than half of the units stayed in)".to_owned()
        }
        crate::audit::Benchmark::Cohort | crate::audit::Benchmark::CohortPlain => {
            "the cohort's own responder rate in each participant's arm".to_owned()
        }
        crate::audit::Benchmark::Rate(r) => format!("a fixed rate of {:.1}%", 100.0 * r),
    };
    let _ = writeln!(
        s,
        "<section id=\"methods\"><h2>Methods</h2><p>Treated participants were grouped by {}. A participant was judged once their week-{} checkpoint had passed; the outcome was a {} responder. Each unit's expected responders are the sum over its judged participants of {benchmark} (indirect standardisation); the funnel is centred on the overall expected rate, with each unit at its observed-over-expected ratio times that rate. Control limits are exact {} limits with Spiegelhalter's interpolation (Statistics in Medicine 2005;24:1185-1202) at 95% and 99.8%{}. Rates carry exact Clopper-Pearson intervals. Adverse events are compared with 5% by the exact binomial test. Produced by trialdose {}.</p></section>",
        o.by.as_str(),
        cohort.protocol.checkpoint_week(),
        match o.outcome {
            crate::domain::PrimaryOutcome::Pain => "pain (at least 30% reduction)",
            crate::domain::PrimaryOutcome::Ndi => "NDI (at least 5-point improvement)",
        },
        if audit.casemix.is_some() {
            "Poisson-binomial (the distribution of a sum of the unit's patients' own probabilities)"
        } else {
            "binomial"
        },
        match audit.applied {
            Some(Overdispersion::Multiplicative) => {
                ", widened for overdispersion by the square root of phi from 10% winsorised z-scores"
            }
            Some(Overdispersion::Additive) => {
                ", widened for overdispersion by a random-effects variance tau-squared"
            }
            None => "",
        },
        env!("CARGO_PKG_VERSION")
    );
}

fn notes(s: &mut String, audit: &Audit, m: &AuditModel) {
    s.push_str("<section id=\"notes\"><h2>Notes and limitations</h2><ul>");
    let benchmark_notes = audit.benchmark_notes(|u| m.unit_shown(audit, u));
    for n in audit.notes.iter().chain(&benchmark_notes) {
        let _ = write!(s, "<li>{}</li>", escape(n));
    }
    if m.suppressing() {
        let _ = write!(
            s,
            "<li>Small cells are suppressed ({SUPPRESSED}): every count from 1 to {} and every count from which, with those shown, one of them could be worked out; rates, intervals, z-scores, verdicts, p-values and funnel points computed from a suppressed count are not shown. worklist.csv lists participants and is not suppressed: it stays in the clinic.</li>",
            m.min_cell() - 1
        );
    }
    s.push_str("<li>A unit outside its limits is a signal to look closer (case mix, recording, care), not a verdict on its quality. With many units, about 1 in 20 falls outside the 95% limits by chance.</li></ul></section>\n");
}
