//! The files of the monitoring over time (`audit --over-time`): `periods.csv` (suppressed as
//! the other aggregate files are), `cusum.csv` (patient by patient, like `worklist.csv`: it
//! stays in the clinic and is not suppressed) and the `over_time` object of `audit.json`
//! (columns and keys documented in data/README.md).

use serde_json::json;

use super::model::AuditModel;
use crate::audit::Audit;
use crate::audit::monitor::Monitoring;
use crate::cohort::value::format_date;
use crate::render::output::{Cell, push_header, push_row};
use crate::render::report::disclosure::Cell as Count;
use crate::render::report::disclosure::Disclosed as _;

/// Columns of `periods.csv`.
pub const PERIODS_COLUMNS: [&str; 14] = [
    "unit",
    "period",
    "patients",
    "responders",
    "expected",
    "rate",
    "observed_expected",
    "limit_low_998",
    "limit_low_95",
    "limit_high_95",
    "limit_high_998",
    "verdict",
    "direction",
    "cusum_signals",
];

/// `periods.csv`: one row per unit and period with patients; the limits are counts of
/// responders. Under `--min-cell` a suppressed count, and whatever is computed from one, is
/// empty.
#[must_use]
pub fn periods_csv(audit: &Audit, m: &Monitoring, model: &AuditModel) -> String {
    let mut out = String::new();
    push_header(&mut out, &PERIODS_COLUMNS);
    let count = |id| match model.cell(id) {
        Count::Shown(v) => Some(v),
        Count::Suppressed => None,
    };
    for (i, r) in m.periods.iter().enumerate() {
        let cells = model.periods[i];
        let shown = model.period_shown(i);
        let keep = |v: Option<f64>| v.filter(|_| shown);
        let l = r.limits.filter(|_| shown);
        let verdict = r.verdict.filter(|_| shown);
        // Signals are shown with the unit's verdict on the funnel.
        let signals = Some(r.signals).filter(|_| model.unit_shown(audit, r.unit));
        push_row(
            &mut out,
            &[
                Cell::Text(&audit.units[r.unit].name),
                Cell::Text(&r.label),
                Cell::Int(count(cells.patients)),
                Cell::Int(count(cells.responders)),
                Cell::Float(keep(Some(r.expected))),
                Cell::Float(keep(Some(r.responders as f64 / r.patients as f64))),
                Cell::Float(keep(
                    (r.expected > 0.0).then(|| r.responders as f64 / r.expected),
                )),
                Cell::Float(l.map(|l| l.low_998)),
                Cell::Float(l.map(|l| l.low_95)),
                Cell::Float(l.map(|l| l.high_95)),
                Cell::Float(l.map(|l| l.high_998)),
                Cell::Text(verdict.map_or("", |v| v.band.as_str())),
                Cell::Text(verdict.and_then(|v| v.direction).map_or("", |d| d.as_str())),
                Cell::Int(signals),
            ],
        );
    }
    out
}

/// Columns of `cusum.csv`.
pub const CUSUM_COLUMNS: [&str; 10] = [
    "unit",
    "sequence",
    "participant_id",
    "checkpoint_date",
    "expected",
    "responded",
    "cusum",
    "threshold",
    "vlad",
    "signal",
];

/// `cusum.csv`: every patient of every unit's chart, in checkpoint order; `ids` are the ids
/// or pseudonyms, in participant order.
#[must_use]
pub fn cusum_csv(audit: &Audit, m: &Monitoring, ids: &[&str]) -> String {
    let mut out = String::new();
    push_header(&mut out, &CUSUM_COLUMNS);
    for c in &m.charts {
        for (k, p) in c.points.iter().enumerate() {
            let date = format_date(p.checkpoint);
            push_row(
                &mut out,
                &[
                    Cell::Text(&audit.units[c.unit].name),
                    Cell::Int(Some(k as u64 + 1)),
                    Cell::Text(ids[p.participant]),
                    Cell::Text(&date),
                    Cell::Float(Some(p.expected)),
                    Cell::Bool(Some(p.responded)),
                    Cell::Float(Some(p.cusum)),
                    Cell::Float(Some(m.threshold.threshold)),
                    Cell::Float(Some(p.vlad)),
                    Cell::Bool(Some(p.signal)),
                ],
            );
        }
    }
    out
}

/// A sentence per signal, for the page and the console: which unit, at which patient and
/// date. Only units whose verdict `shown` allows are named.
#[must_use]
pub fn signal_sentences(
    audit: &Audit,
    m: &Monitoring,
    shown: impl Fn(usize) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for c in m.charts.iter().filter(|c| shown(c.unit)) {
        let signals: Vec<String> = c
            .signals()
            .map(|(k, p)| format!("patient {} ({})", k + 1, format_date(p.checkpoint)))
            .collect();
        let name = &audit.units[c.unit].name;
        match signals.len() {
            0 => {}
            1..=3 => out.push(format!("{name}: the CUSUM signalled at {}", signals.join(", "))),
            n => out.push(format!(
                "{name}: the CUSUM signalled {n} times, first at {}, last at {} (cusum.csv lists every one)",
                signals[0],
                signals[n - 1]
            )),
        }
    }
    out
}

/// The `over_time` object of `audit.json`.
#[must_use]
pub fn over_time_json(audit: &Audit, m: &Monitoring, model: &AuditModel) -> serde_json::Value {
    let t = &m.threshold;
    let signals: Vec<serde_json::Value> = m
        .charts
        .iter()
        .filter(|c| model.unit_shown(audit, c.unit))
        .flat_map(|c| {
            c.signals().map(move |(k, p)| {
                json!({
                    "unit": audit.units[c.unit].name,
                    "patient": k + 1,
                    "checkpoint_date": format_date(p.checkpoint),
                })
            })
        })
        .collect();
    json!({
        "period": m.options.period.as_str(),
        "cusum": {
            "odds_ratio": m.options.odds_ratio,
            "threshold": t.threshold,
            "target_arl0": t.target_arl0,
            "arl0": t.arl0.arl,
            "arl0_capped_runs": t.arl0.capped,
            "arl1": t.arl1.arl,
            "arl1_capped_runs": t.arl1.capped,
            "replicates": t.replicates,
            "replicates_arl1": t.replicates_arl1,
            "seed": t.seed,
            "generator": t.generator,
        },
        "signals": signals,
    })
}
