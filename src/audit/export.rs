//! The audit's files: `units.csv`, `safety.csv`, `worklist.csv` and `audit.json` (columns
//! documented in data/README.md).

use serde_json::json;

use super::worklist::Status;
use super::{Audit, Overdispersion};
use crate::cohort::Cohort;
use crate::cohort::value::{format_date, push_date};
use crate::derive::{Derived, Flags};
use crate::output::{Cell, push_header, push_row};

/// Columns of `units.csv`.
pub const UNITS_COLUMNS: [&str; 21] = [
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
    "target",
    "z",
    "limit_low_998",
    "limit_low_95",
    "limit_high_95",
    "limit_high_998",
    "verdict",
    "direction",
];

/// `units.csv`: one row per unit.
#[must_use]
pub fn units_csv(audit: &Audit) -> String {
    let mut out = String::new();
    push_header(&mut out, &UNITS_COLUMNS);
    for u in &audit.units {
        let judged = u.n + u.not_benchmarked;
        let l = u.limits;
        push_row(
            &mut out,
            &[
                Cell::Text(&u.name),
                Cell::Int(Some(u.patients)),
                Cell::Int(Some(judged)),
                Cell::Int(Some(u.not_benchmarked)),
                Cell::Int(Some(u.n)),
                Cell::Int(Some(u.pending)),
                Cell::Float((judged > 0).then(|| u.adherent as f64 / judged as f64)),
                Cell::Int(Some(u.responders)),
                Cell::Float(u.rate),
                Cell::Float(u.ci.map(|c| c.low)),
                Cell::Float(u.ci.map(|c| c.high)),
                Cell::Float(u.expected),
                Cell::Float(u.adjusted),
                Cell::Float(u.adjusted.and(audit.target)),
                Cell::Float(u.z),
                Cell::Float(l.map(|l| l.low_998)),
                Cell::Float(l.map(|l| l.low_95)),
                Cell::Float(l.map(|l| l.high_95)),
                Cell::Float(l.map(|l| l.high_998)),
                Cell::Text(u.verdict.map_or("", |v| v.band.as_str())),
                Cell::Text(
                    u.verdict
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

/// `safety.csv`: adverse events by unit, then `all`.
#[must_use]
pub fn safety_csv(audit: &Audit) -> String {
    let mut out = String::new();
    push_header(&mut out, &SAFETY_COLUMNS);
    for s in &audit.safety {
        push_row(
            &mut out,
            &[
                Cell::Text(&s.name),
                Cell::Int(Some(s.treated)),
                Cell::Int(Some(s.events)),
                Cell::Float((s.treated > 0).then(|| s.events as f64 / s.treated as f64)),
                Cell::Float(s.ci.map(|c| c.low)),
                Cell::Float(s.ci.map(|c| c.high)),
                Cell::Float(Some(super::DREAM_ADVERSE_RATE)),
                Cell::Float(s.p_value),
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
    ids: &[String],
    threads: usize,
) -> std::io::Result<()> {
    let arms = cohort.protocol.arms();
    let rows = |items: &[super::worklist::Item], out: &mut String| {
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
            let later = item.status == super::worklist::Status::NotDue;
            let at_checkpoint =
                |v: Option<crate::cohort::value::Decimal>| if later { None } else { v };
            let responder = |v: Option<bool>| if later { None } else { v };
            push_row(
                out,
                &[
                    Cell::Text(&ids[i]),
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
    crate::output::write_blocks(w, items.len().div_ceil(BLOCK), threads, |block, out| {
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

/// `audit.json`: settings, the funnel's centre and overdispersion, and the counts.
#[must_use]
pub fn audit_json(audit: &Audit, cohort: &Cohort, pseudonymized: bool) -> Vec<u8> {
    let o = &audit.options;
    let (statuses, flags) = worklist_counts(audit);
    let verdict_count = |band: &str| {
        audit
            .units
            .iter()
            .filter(|u| u.verdict.is_some_and(|v| v.band.as_str() == band))
            .count()
    };
    let files: Vec<_> = cohort
        .files
        .iter()
        .map(|f| json!({"file": f.file.name(), "sha256": f.sha256, "bytes": f.bytes}))
        .collect();
    let value = json!({
        "trialdose_version": env!("CARGO_PKG_VERSION"),
        "cohort": cohort.dir.display().to_string(),
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
        },
        "target": audit.target,
        "phi": audit.dispersion.map(|d| d.phi),
        "tau2": audit.dispersion.map(|d| d.tau2),
        "overdispersion_p": audit.dispersion.map(|d| d.p_value),
        "units": audit.units.len(),
        "verdicts": {
            "within": verdict_count("within"),
            "alert": verdict_count("alert"),
            "alarm": verdict_count("alarm"),
        },
        "treated_participants": audit.worklist.len(),
        "control_participants_left_out": audit.control_participants,
        "not_started_left_out": audit.not_started,
        "checkpoint_status": statuses
            .iter()
            .map(|(s, n)| (s.as_str().to_owned(), json!(n)))
            .collect::<serde_json::Map<_, _>>(),
        "flags": flags
            .iter()
            .map(|(_, name, n)| ((*name).to_owned(), json!(n)))
            .collect::<serde_json::Map<_, _>>(),
        "notes": audit.notes,
    });
    let mut bytes = serde_json::to_vec_pretty(&value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
