//! The audit's files: `units.csv`, `safety.csv`, `worklist.csv` and `audit.json` (columns
//! documented in data/README.md).

use serde_json::json;

use super::model::AuditModel;
use crate::audit::worklist::Status;
use crate::audit::{Audit, Overdispersion};
use crate::cohort::Cohort;
use crate::cohort::value::{format_date, push_date};
use crate::derive::{Derived, Flags};
use crate::render::output::{Cell, push_header, push_row};
use crate::render::report::disclosure::Disclosed as _;
use crate::render::report::disclosure::{Cell as Count, CellId};

/// Columns of `units.csv`.
pub const UNITS_COLUMNS: [&str; 22] = [
    "unit",
    "patients",
    "judged",
    "not_benchmarked",
    "n",
    "pending",
    "adherent_share",
    "responders",
    "rate",
    "rate_low",
    "rate_high",
    "expected_rate",
    "adjusted_rate",
    "observed_expected",
    "target",
    "z",
    "limit_low_998",
    "limit_low_95",
    "limit_high_95",
    "limit_high_998",
    "verdict",
    "direction",
];

/// A count of the model: empty when suppressed.
fn count(model: &AuditModel, id: CellId) -> Option<u64> {
    match model.cell(id) {
        Count::Shown(v) => Some(v),
        Count::Suppressed => None,
    }
}

/// `units.csv`: one row per unit; under `--min-cell` a suppressed count, and every figure
/// computed from one, is left empty.
#[must_use]
pub fn units_csv(audit: &Audit, model: &AuditModel) -> String {
    let mut out = String::new();
    push_header(&mut out, &UNITS_COLUMNS);
    for (i, (u, c)) in audit.units.iter().zip(&model.units).enumerate() {
        let judged = u.n + u.not_benchmarked;
        let shown = model.unit_shown(audit, i);
        let keep = |v: Option<f64>| v.filter(|_| shown);
        let l = u.limits.filter(|_| shown);
        push_row(
            &mut out,
            &[
                Cell::Text(&u.name),
                Cell::Int(count(model, c.patients)),
                Cell::Int(count(model, c.judged)),
                Cell::Int(Some(u.not_benchmarked).filter(|_| model.known(&[c.judged, c.n]))),
                Cell::Int(count(model, c.n)),
                Cell::Int(Some(u.pending).filter(|_| model.known(&[c.patients, c.judged]))),
                Cell::Float(
                    (judged > 0 && model.adherent_shown(i))
                        .then(|| u.adherent as f64 / judged as f64),
                ),
                Cell::Int(count(model, c.responders)),
                Cell::Float(keep(u.rate)),
                Cell::Float(keep(u.ci.map(|c| c.low))),
                Cell::Float(keep(u.ci.map(|c| c.high))),
                Cell::Float(keep(u.expected)),
                Cell::Float(keep(u.adjusted)),
                Cell::Float(keep(u.observed_expected)),
                Cell::Float(keep(u.adjusted.and(audit.target))),
                Cell::Float(keep(u.z)),
                Cell::Float(l.map(|l| l.low_998)),
                Cell::Float(l.map(|l| l.low_95)),
                Cell::Float(l.map(|l| l.high_95)),
                Cell::Float(l.map(|l| l.high_998)),
                Cell::Text(u.verdict.filter(|_| shown).map_or("", |v| v.band.as_str())),
                Cell::Text(
                    u.verdict
                        .filter(|_| shown)
                        .and_then(|v| v.direction)
                        .map_or("", |d| d.as_str()),
                ),
            ],
        );
    }
    out
}

/// Columns of `safety.csv`.
pub const SAFETY_COLUMNS: [&str; 8] = [
    "unit",
    "treated",
    "with_adverse_event",
    "share",
    "share_low",
    "share_high",
    "benchmark",
    "p_value",
];

/// `safety.csv`: adverse events by unit, then `all`; under `--min-cell` a suppressed count,
/// and the share, interval and p computed from one, are left empty.
#[must_use]
pub fn safety_csv(audit: &Audit, model: &AuditModel) -> String {
    let mut out = String::new();
    push_header(&mut out, &SAFETY_COLUMNS);
    for (i, (s, c)) in audit.safety.iter().zip(&model.safety).enumerate() {
        let shown = model.safety_shown(i);
        let keep = |v: Option<f64>| v.filter(|_| shown);
        push_row(
            &mut out,
            &[
                Cell::Text(&s.name),
                Cell::Int(count(model, c.treated)),
                Cell::Int(count(model, c.events)),
                Cell::Float(keep(
                    (s.treated > 0).then(|| s.events as f64 / s.treated as f64),
                )),
                Cell::Float(keep(s.ci.map(|c| c.low))),
                Cell::Float(keep(s.ci.map(|c| c.high))),
                Cell::Float(Some(crate::audit::DREAM_ADVERSE_RATE)),
                Cell::Float(keep(s.p_value)),
            ],
        );
    }
    out
}

/// Columns of `worklist.csv`.
pub const WORKLIST_COLUMNS: [&str; 19] = [
    "participant_id",
    "unit",
    "arm",
    "checkpoint_date",
    "checkpoint_status",
    "judged",
    "needs_clearance",
    "adverse_event",
    "age_outside_evidence",
    "sessions_attended",
    "sessions_planned",
    "adherent",
    "pain_baseline",
    "pain_checkpoint",
    "pain_responder",
    "ndi_baseline",
    "ndi_checkpoint",
    "ndi_responder",
    "action",
];

/// Streams `worklist.csv` to `w`, with `ids[i]` standing for participant `i` (the raw ids or
/// pseudonyms). Rows are formatted in blocks on up to `threads` threads while the finished
/// blocks are written, in order: the same bytes whatever the thread count, and never the whole
/// file in memory (a million participants make about 120 MB).
pub fn write_worklist(
    w: &mut dyn std::io::Write,
    audit: &Audit,
    cohort: &Cohort,
    derived: &[Derived],
    ids: &[&str],
    threads: usize,
) -> std::io::Result<()> {
    let arms = cohort.protocol.arms();
    let rows = |items: &[crate::audit::worklist::Item], out: &mut String| {
        let (mut action, mut date) = (String::new(), String::new());
        for item in items {
            action.clear();
            item.push_action(&mut action, cohort);
            date.clear();
            if let Some(c) = item.checkpoint {
                push_date(&mut date, c);
            }
            let i = item.participant;
            let d = &derived[i];
            let flag = |f: Flags| Cell::Bool(Some(item.flags.contains(f)));
            // Still in treatment on the audit date: the checkpoint scores and the dose so far,
            // not what the files say happened later.
            let later = item.status == crate::audit::worklist::Status::NotDue;
            let at_checkpoint =
                |v: Option<crate::domain::decimal::Decimal>| if later { None } else { v };
            let responder = |v: Option<bool>| if later { None } else { v };
            push_row(
                out,
                &[
                    Cell::Text(ids[i]),
                    Cell::Text(&audit.units[item.unit].name),
                    Cell::Text(arms[cohort.participants[i].arm].id()),
                    Cell::Text(&date),
                    Cell::Text(item.status.as_str()),
                    Cell::Bool(Some(item.judged)),
                    flag(Flags::NEEDS_CLEARANCE),
                    flag(Flags::ADVERSE_EVENT),
                    flag(Flags::AGE_OUTSIDE_EVIDENCE),
                    Cell::Int(Some(u64::from(if later {
                        item.sessions_so_far
                    } else {
                        d.sessions_attended
                    }))),
                    Cell::Int(d.sessions_planned.map(u64::from)),
                    Cell::Bool(if later { None } else { d.adherent }),
                    Cell::Dec(d.pain.baseline),
                    Cell::Dec(at_checkpoint(d.pain.checkpoint)),
                    Cell::Bool(responder(d.pain.responder)),
                    Cell::Dec(d.ndi.baseline),
                    Cell::Dec(at_checkpoint(d.ndi.checkpoint)),
                    Cell::Bool(responder(d.ndi.responder)),
                    Cell::Text(&action),
                ],
            );
        }
    };
    let mut header = String::new();
    push_header(&mut header, &WORKLIST_COLUMNS);
    w.write_all(header.as_bytes())?;
    const BLOCK: usize = 1 << 14;
    let items = &audit.worklist;
    crate::render::output::write_blocks(w, items.len().div_ceil(BLOCK), threads, |block, out| {
        rows(
            &items[block * BLOCK..((block + 1) * BLOCK).min(items.len())],
            out,
        );
    })
}

/// Participants per safety flag: the flag, its name, the count.
pub type FlagCounts = [(Flags, &'static str, u64); 3];

/// Worklist counts: per status, and per safety flag (one pass).
#[must_use]
pub fn worklist_counts(audit: &Audit) -> (Vec<(Status, u64)>, FlagCounts) {
    let mut by_status = [0u64; Status::ALL.len()];
    let mut flags: FlagCounts = [
        (Flags::NEEDS_CLEARANCE, "needs_clearance", 0),
        (Flags::ADVERSE_EVENT, "adverse_event", 0),
        (Flags::AGE_OUTSIDE_EVIDENCE, "age_outside_evidence", 0),
    ];
    for item in &audit.worklist {
        if let Some(k) = Status::ALL.iter().position(|&s| s == item.status) {
            by_status[k] += 1;
        }
        for f in &mut flags {
            f.2 += u64::from(item.flags.contains(f.0));
        }
    }
    let statuses = Status::ALL.iter().copied().zip(by_status).collect();
    (statuses, flags)
}

/// `audit.json`: settings, the funnel's centre and overdispersion, and the counts; `cohort_label`
/// names the cohort folder. Under `--min-cell` a suppressed count (and phi, tau-squared and
/// their p when a unit's counts are suppressed) is `null`, verdicts are counted over the units
/// whose verdict is shown, and a `suppression` object states the threshold.
#[must_use]
pub fn audit_json(
    audit: &Audit,
    cohort: &Cohort,
    pseudonymized: bool,
    model: &AuditModel,
    cohort_label: &str,
) -> Vec<u8> {
    let o = &audit.options;
    let (statuses, flags) = worklist_counts(audit);
    let verdict_count = |band: &str| {
        audit
            .units
            .iter()
            .enumerate()
            .filter(|(i, u)| {
                model.unit_shown(audit, *i) && u.verdict.is_some_and(|v| v.band.as_str() == band)
            })
            .count()
    };
    let dispersion = audit.dispersion.filter(|_| model.dispersion_shown);
    let not_started = model.not_started.map_or(Some(audit.not_started), |id| {
        Some(audit.not_started).filter(|_| model.known(&[id]))
    });
    let files: Vec<_> = cohort
        .files
        .iter()
        .map(|f| json!({"file": f.name(), "sha256": f.sha256, "bytes": f.bytes}))
        .collect();
    let value = json!({
        "trialdose_version": env!("CARGO_PKG_VERSION"),
        "cohort": cohort_label,
        "files": files,
        "settings": {
            "by": o.by.as_str(),
            "benchmark": o.benchmark.label(),
            "outcome": o.outcome.as_str(),
            "overdispersion": o.overdispersion.map(|m| match m {
                Overdispersion::Multiplicative => "multiplicative",
                Overdispersion::Additive => "additive",
            }),
            "missing": match o.missing {
                crate::analysis::Missing::Nonresponder => "nonresponder",
                crate::analysis::Missing::Exclude => "exclude",
            },
            "as_of": format_date(audit.as_of),
            "pseudonymized": pseudonymized,
            "adjust_casemix": o.casemix.map(crate::audit::CaseMix::label),
        },
        // The model's coefficients; the participants it was fitted on and those without a
        // prediction are counts, shown only when nothing is suppressed.
        "casemix": audit.casemix.as_ref().map(|c| json!({
            "covariates": c.model.covariates,
            "fitted_on": c.reference.as_deref().unwrap_or("this cohort's units in control"),
            "coefficients": c.model.coefficients.iter().map(|(name, b)| json!({"name": name, "log_odds": b})).collect::<Vec<_>>(),
            "participants_fitted": (!model.suppressing()).then_some(c.model.rows),
            "without_prediction": (!model.suppressing()).then_some(c.without_prediction),
        })),
        "target": audit.target,
        "benchmark_left_out": audit
            .benchmark_left_out
            .iter()
            .filter(|&&u| model.unit_shown(audit, u))
            .map(|&u| audit.units[u].name.as_str())
            .collect::<Vec<_>>(),
        "phi": dispersion.map(|d| d.phi),
        "tau2": dispersion.map(|d| d.tau2),
        "overdispersion_p": dispersion.map(|d| d.p_value),
        "units": audit.units.len(),
        "verdicts": {
            "within": verdict_count("within"),
            "alert": verdict_count("alert"),
            "alarm": verdict_count("alarm"),
        },
        "treated_participants": count(model, model.treated),
        "control_participants_left_out": count(model, model.control),
        "not_started_left_out": not_started,
        "checkpoint_status": statuses
            .iter()
            .zip(&model.statuses)
            .map(|((s, _), &c)| (s.as_str().to_owned(), json!(count(model, c))))
            .collect::<serde_json::Map<_, _>>(),
        "flags": flags
            .iter()
            .zip(&model.flags)
            .map(|((_, name, _), &c)| ((*name).to_owned(), json!(count(model, c))))
            .collect::<serde_json::Map<_, _>>(),
        "notes": audit
            .notes
            .iter()
            .cloned()
            .chain(audit.benchmark_notes(|u| model.unit_shown(audit, u)))
            .collect::<Vec<_>>(),
    });
    let mut value = value;
    if let Some(m) = &audit.monitoring {
        value["over_time"] = super::monitor::over_time_json(audit, m, model);
    }
    if model.suppressing() {
        value["suppression"] = json!({
            "min_cell": model.min_cell(),
            "rule": "counts from 1 to min_cell - 1 are null, and so is every count from which one of them could be worked out; figures computed from a null count are null; verdicts are counted over the units whose verdict is shown",
            "units_with_verdict_hidden": (0..audit.units.len())
                .filter(|&i| audit.units[i].verdict.is_some() && !model.unit_shown(audit, i))
                .count(),
        });
    }
    let mut bytes = serde_json::to_vec_pretty(&value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
