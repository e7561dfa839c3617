//! The audit as a format-neutral [`Document`]: provenance, the units' rates and funnel verdicts,
//! the funnel plot, the case-mix model, the monitoring over time, overdispersion, safety, the
//! worklist's counts, the participants needing attention (only with `show_ids`), methods and
//! notes. `audit.html`, `audit.md` and `audit.docx` are renderings of this one document
//! ([`crate::render::document`]), so they print the same cells.
//!
//! Every count comes from the [`AuditModel`], where `--min-cell` suppression has been applied
//! once; a figure computed from a count is printed only where the model lets it through.
//! Participant ids (or their pseudonyms) appear only when `show_ids` is set, in the list of
//! who needs attention.

use super::export::worklist_counts;
use super::model::AuditModel;
use crate::audit::monitor::Monitoring;
use crate::audit::{Audit, Overdispersion};
use crate::cohort::value::format_date;
use crate::cohort::{Cohort, CohortFile, FileReport};
use crate::derive::Flags;
use crate::render::document::{
    Block, Cell as TableCell, CellKind, Document, Figure, Section, Table, Text,
};
use crate::render::format::{p_value, percent_sign as pct};
use crate::render::report::disclosure::Disclosed as _;
use crate::render::report::disclosure::SUPPRESSED;
use crate::render::report::{Front, files, header, rate_text};

/// What the audit's document is made of besides the audit.
pub struct AuditInput<'a> {
    /// Title, model, folder name and whether ids are listed.
    pub front: Front<'a, AuditModel>,
    /// Ids to show, per participant (raw or pseudonyms).
    pub ids: &'a [&'a str],
    /// The funnel plot (caption from [`funnel_caption`]).
    pub funnel: Figure,
    /// The monitoring's charts (`--over-time`): the run chart, then each unit's CUSUM and
    /// VLAD (captions from [`monitoring_caption`]).
    pub monitoring: Vec<Figure>,
}

/// Builds the audit's document.
#[must_use]
pub fn document(cohort: &Cohort, audit: &Audit, input: AuditInput<'_>) -> Document {
    let m = input.front.model;
    let mut sections = vec![
        provenance(cohort, audit, m, input.front.cohort_label),
        units(audit, m),
        Section::new("charts", "Charts").with(Block::Figure(input.funnel)),
    ];
    sections.extend(casemix(audit, m));
    sections.extend(monitoring(audit, m, input.monitoring));
    sections.push(dispersion(audit, m));
    sections.push(safety(audit, m));
    sections.push(worklist(audit, m));
    if input.front.show_ids {
        sections.push(attention(cohort, audit, input.ids));
    }
    sections.push(methods(cohort, audit, m));
    sections.push(notes(audit, m));
    Document::new(input.front.title.to_owned(), sections)
}

/// The funnel plot's caption.
#[must_use]
pub fn funnel_caption(audit: &Audit) -> &'static str {
    if audit.casemix.is_some() {
        "Funnel plot, case-mix adjusted: each unit's observed over expected responders against its number of patients; the whiskers are the unit's own exact 95% (thick) and 99.8% (thin) limits, the dashed curves those of a unit of average case mix"
    } else {
        "Funnel plot: each unit's responder rate against its number of patients, with the benchmark and its 95% and 99.8% limits"
    }
}

/// The caption of a monitoring chart: the run chart (`unit` is `None`), or the CUSUM and VLAD
/// of the unit named.
#[must_use]
pub fn monitoring_caption(m: &Monitoring, unit: Option<&str>) -> String {
    match unit {
        None => format!(
            "Run chart: each unit's risk-adjusted responder rate by {} of the checkpoint (periods.csv has the counts, limits and verdicts)",
            m.options.period.as_str()
        ),
        Some(name) => format!("{name}: CUSUM with its threshold and signals (above), VLAD (below)"),
    }
}

fn provenance(cohort: &Cohort, audit: &Audit, m: &AuditModel, label: &str) -> Section {
    let o = &audit.options;
    let participants = |f: &FileReport| -> Option<[String; 4]> {
        let cells = m.participant_rows?;
        (f.file == CohortFile::Participants).then(|| cells.map(|c| m.cell(c).text()))
    };
    let mut extra = String::new();
    if let Some(c) = o.casemix {
        extra.push_str(&format!(
            ", case-mix adjusted for arm, {}",
            c.label().replace(',', ", ")
        ));
    }
    if let Some(t) = o.over_time {
        extra.push_str(&format!(", monitored by {}", t.period.as_str()));
    }
    let settings = Text::prose(format!("Settings: units by {}, benchmark ", o.by.as_str()))
        .and_data(o.benchmark.label())
        .and(format!(
            "{extra}, outcome {}, missing outcomes {}, overdispersion {}, small cells {}. {} treated participants audited; {} control participants left out.",
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
        ));
    Section::new("provenance", "Data provenance")
        .with(Block::Paragraph(
            Text::prose("Cohort folder ").and_code(label).and(format!(
                ", audited by trialdose {} as of {}.",
                env!("CARGO_PKG_VERSION"),
                format_date(audit.as_of)
            )),
        ))
        .with(Block::Table(files(cohort, &participants)))
        .with(Block::Paragraph(settings))
}

fn units(audit: &Audit, m: &AuditModel) -> Section {
    let by = audit.options.by.as_str();
    let mut t = Table::new(
        format!("Responder rates by {by}: observed, expected and the funnel's verdict"),
        header(&[
            "unit",
            "patients",
            "adherent",
            "responders/n (% [95% CI])",
            "expected",
            "risk-adjusted",
            "z",
            "verdict",
        ]),
    );
    // The section heading names it.
    t.caption_in_html = false;
    for (i, (u, c)) in audit.units.iter().zip(&m.units).enumerate() {
        let shown = m.unit_shown(audit, i);
        // Both counts printed but a figure from them would reveal phi: `x of n`, counts only.
        let rate = if shown {
            rate_text(
                m.cell(c.responders),
                m.cell(c.n),
                u.ci.map(|c| c.low),
                u.ci.map(|c| c.high),
            )
        } else {
            format!("{} of {}", m.cell(c.responders).text(), m.cell(c.n).text())
        };
        // Share adherent among the judged.
        let judged = u.n + u.not_benchmarked;
        let adherent = if judged == 0 {
            "-".to_owned()
        } else if m.adherent_shown(i) {
            format!("{:.0}%", 100.0 * u.adherent as f64 / judged as f64)
        } else {
            SUPPRESSED.to_owned()
        };
        // The expected rate reflects the unit's mix of schedules: hidden with the rest.
        let mut row = vec![
            u.name.as_str().into(),
            m.cell(c.patients).text().into(),
            adherent.into(),
            rate.into(),
        ];
        if shown {
            let verdict = u.verdict.map_or_else(
                || TableCell::new("not assessed"),
                |v| match v.direction {
                    Some(d) => {
                        TableCell::new(format!("{} ({})", v.band.as_str(), d.as_str())).strong(true)
                    }
                    None => TableCell::new(v.band.as_str()),
                },
            );
            row.extend([
                pct(u.expected).into(),
                pct(u.adjusted).into(),
                u.z.map_or_else(|| "-".to_owned(), |z| format!("{z:+.2}"))
                    .into(),
                verdict,
            ]);
        } else {
            row.extend((0..4).map(|_| TableCell::new(SUPPRESSED)));
        }
        t.rows.push(row);
    }
    let note = format!(
        "Benchmark rate (the funnel's centre line) {}. Adherent: share of the judged participants who attended at least the protocol's share of their planned sessions. n: participants judged at the checkpoint (their checkpoint has passed and they were scored, or two weeks have gone by since) and benchmarked. Rates with exact (Clopper-Pearson) 95% intervals; expected: {}; risk-adjusted: observed over expected, times the benchmark rate (the point on the funnel). Alert: outside the 95% limits; alarm: outside the 99.8% limits. z uses the overdispersed standard error when an adjustment is applied.",
        pct(audit.target),
        if audit.casemix.is_some() {
            "the mean of the unit's patients' expected probabilities under the case-mix model (their arm, and the covariates in the case-mix section); the limits are each unit's own exact (Poisson-binomial) limits"
        } else {
            "the benchmark's rate for the unit's mix of schedules"
        }
    );
    Section::new("units", format!("Responder rates by {by}"))
        .with(Block::Table(t))
        .with(Block::Note(Text::prose(note)))
}

fn casemix(audit: &Audit, m: &AuditModel) -> Option<Section> {
    let c = audit.casemix.as_ref()?;
    let intro = Text::prose(
        "Each judged patient's expected probability of responding comes from a logistic regression of response on their arm and ",
    )
    .and_data(c.model.covariates.label().replace(',', ", "))
    .and(", fitted on ")
    .and_data(
        c.reference
            .as_deref()
            .unwrap_or("this cohort's units in control"),
    )
    .and(format!(
        "{}. A unit is compared on observed over expected responders, with exact limits for a sum of patients' own probabilities (Poisson-binomial). Adherence is not adjusted for: it is a process measure the clinic controls.",
        if m.suppressing() {
            String::new()
        } else {
            format!(" ({} participants)", c.model.rows)
        }
    ));
    let mut t = Table::new(
        "Case-mix model: coefficients of the logistic regression of response",
        header(&["term", "log odds", "odds ratio"]),
    );
    t.caption_in_html = false;
    for (name, b) in &c.model.coefficients {
        t.rows.push(vec![
            name.as_str().into(),
            format!("{b:+.4}").into(),
            if name == "intercept" {
                "-".to_owned()
            } else {
                format!("{:.3}", b.exp())
            }
            .into(),
        ]);
    }
    Some(
        Section::new("casemix", "Case-mix model")
            .with(Block::Paragraph(intro))
            .with(Block::Table(t))
            .with(Block::Note(Text::prose(
                "Baseline: per point of the outcome's week-0 score; age: per year; arm and sex: against the first arm by id and the most frequent sex value.",
            ))),
    )
}

fn monitoring(audit: &Audit, m: &AuditModel, figures: Vec<Figure>) -> Option<Section> {
    let mon = audit.monitoring.as_ref()?;
    let t = &mon.threshold;
    let signals = super::monitor::signal_sentences(audit, mon, |u| m.unit_shown(audit, u));
    let signals = if signals.is_empty() {
        Text::prose("No unit's CUSUM has signalled.")
    } else {
        Text::prose("Signals: ")
            .and_data(signals.join("; "))
            .and(".")
    };
    let method = format!(
        "The risk-adjusted CUSUM adds up, patient by patient in the order they reached the checkpoint, the evidence that a unit's odds of non-response are {} times what its patients' expected probabilities predict; it signals at h = {:.2}, chosen by simulation so that a unit performing as expected signals falsely about once in {:.0} patients (estimated {:.0}, Monte Carlo SE {:.0}). A unit whose odds of non-response are {} times the expected signals on average within {:.0} patients (SE {:.1}). After a signal the chart starts again from 0. The VLAD is the running total of observed minus expected responders: a line going down means fewer responders than expected.",
        mon.options.odds_ratio,
        t.threshold,
        t.target_arl0,
        t.arl0.arl.estimate,
        t.arl0.arl.mcse,
        mon.options.odds_ratio,
        t.arl1.arl.estimate,
        t.arl1.arl.mcse,
    );
    let mut s = Section::new("over-time", "Monitoring over time")
        .with(Block::Paragraph(signals))
        .with(Block::Paragraph(Text::prose(method)));
    s.blocks.extend(figures.into_iter().map(Block::Figure));
    if m.suppressing() {
        s.blocks.push(Block::Note(
            Text::prose("The per-unit CUSUM and VLAD charts are not drawn under ")
                .and_code("--min-cell")
                .and(": they show each patient's outcome one step at a time. cusum.csv, which stays in the clinic like worklist.csv, has them."),
        ));
    }
    Some(s)
}

fn dispersion(audit: &Audit, m: &AuditModel) -> Section {
    let text = match audit.dispersion {
        Some(_) if !m.dispersion_shown => Text::prose(
            "Not shown: phi and tau-squared are computed from every unit's counts, and some of them are suppressed (",
        )
        .and_code("--min-cell")
        .and(")."),
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
            let p = p_value(Some(d.p_value));
            Text::prose(format!(
                "Over {} units, phi = {:.3} (10% winsorised z-scores), tau-squared = {:.5}; the test of more spread between units than chance gives p {} (chi-square of I times phi on I - 1 degrees of freedom). {applied}",
                d.units,
                d.phi,
                d.tau2,
                if p.starts_with('<') { p } else { format!("= {p}") }
            ))
        }
        None => Text::prose("Not estimated: fewer than two units with data."),
    };
    Section::new("overdispersion", "Overdispersion").with(Block::Paragraph(text))
}

fn safety(audit: &Audit, m: &AuditModel) -> Section {
    let mut t = Table::new(
        format!(
            "Participants with an adverse event by {}, against about 5%",
            audit.options.by.as_str()
        ),
        header(&[
            "unit",
            "treated",
            "with an adverse event (% [95% CI])",
            "p (exact, vs 5%)",
        ]),
    );
    t.caption_in_html = false;
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
        t.rows.push(vec![
            r.name.as_str().into(),
            m.cell(c.treated).text().into(),
            events.into(),
            p.into(),
        ]);
    }
    Section::new("safety", "Safety: adverse events against about 5%")
        .with(Block::Table(t))
        .with(Block::Note(Text::prose("Participants who attended at least one session, or had an adverse event, up to the audit date; any accepted session row with an adverse event other than none counts. DREAM reported adverse events possibly related to massage in about 5% of participants. Exact two-sided binomial test (as R's binom.test), not adjusted for the number of units.")))
}

fn worklist(audit: &Audit, m: &AuditModel) -> Section {
    let (statuses, flags) = worklist_counts(audit);
    let mut status = Table::new("Checkpoint status", header(&["status", "participants"]));
    for ((s, _), &c) in statuses.iter().zip(&m.statuses) {
        status.rows.push(vec![
            s.as_str().replace('_', " ").into(),
            m.cell(c).text().into(),
        ]);
    }
    let mut flagged = Table::new("Safety flags", header(&["flag", "participants"]));
    for ((_, name, _), &c) in flags.iter().zip(&m.flags) {
        flagged
            .rows
            .push(vec![name.replace('_', " ").into(), m.cell(c).text().into()]);
    }
    Section::new("worklist", "Worklist summary")
        .with(Block::Table(status))
        .with(Block::Table(flagged))
        .with(Block::Note(Text::prose("Counts only: worklist.csv lists every participant, safety flags first. A participant needing clearance has a contraindication without medical clearance and should not be treated until a doctor clears them.")))
}

fn attention(cohort: &Cohort, audit: &Audit, ids: &[&str]) -> Section {
    let mut t = Table::new(
        "Participants needing attention",
        header(&["participant", "unit", "arm", "status", "action"]),
    );
    t.caption_in_html = false;
    let arms = cohort.protocol.arms();
    let words = |text: &str| TableCell::new(text).kind(CellKind::Words);
    for item in &audit.worklist {
        let urgent = item.flags.contains(Flags::NEEDS_CLEARANCE)
            || item.flags.contains(Flags::ADVERSE_EVENT)
            || item.status == crate::audit::worklist::Status::Due;
        if !urgent {
            continue;
        }
        let mut action = String::new();
        item.push_action(&mut action, cohort);
        t.rows.push(vec![
            words(ids[item.participant]),
            words(&audit.units[item.unit].name),
            words(arms[cohort.participants[item.participant].arm].id()),
            words(item.status.as_str()),
            words(&action),
        ]);
    }
    if t.rows.is_empty() {
        t.rows.push(vec![words("none").spanning(5)]);
    }
    Section::new("attention", "Participants needing attention")
        .with(Block::Table(t))
        .with(Block::Note(
            Text::prose("Shown because ")
                .and_code("--show-ids")
                .and(" was given: participants needing medical clearance, with an adverse event, or at their checkpoint, in worklist order."),
        ))
}

fn methods(cohort: &Cohort, audit: &Audit, m: &AuditModel) -> Section {
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
    let text = format!(
        "Treated participants were grouped by {}. A participant was judged once their week-{} checkpoint had passed; the outcome was a {} responder. Each unit's expected responders are the sum over its judged participants of {benchmark} (indirect standardisation); the funnel is centred on the overall expected rate, with each unit at its observed-over-expected ratio times that rate. Control limits are exact {} limits with Spiegelhalter's interpolation (Statistics in Medicine 2005;24:1185-1202) at 95% and 99.8%{}. Rates carry exact Clopper-Pearson intervals. Adverse events are compared with 5% by the exact binomial test. Produced by trialdose {}.",
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
    Section::new("methods", "Methods").with(Block::Paragraph(Text::prose(text)))
}

fn notes(audit: &Audit, m: &AuditModel) -> Section {
    let benchmark_notes = audit.benchmark_notes(|u| m.unit_shown(audit, u));
    let mut items: Vec<Text> = audit
        .notes
        .iter()
        .chain(&benchmark_notes)
        .map(Text::data)
        .collect();
    if m.suppressing() {
        items.push(Text::prose(format!(
            "Small cells are suppressed ({SUPPRESSED}): every count from 1 to {} and every count from which, with those shown, one of them could be worked out; rates, intervals, z-scores, verdicts, p-values and funnel points computed from a suppressed count are not shown. worklist.csv lists participants and is not suppressed: it stays in the clinic.",
            m.min_cell() - 1
        )));
    }
    items.push(Text::prose("A unit outside its limits is a signal to look closer (case mix, recording, care), not a verdict on its quality. With many units, about 1 in 20 falls outside the 95% limits by chance."));
    Section::new("notes", "Notes and limitations").with(Block::List(items))
}
