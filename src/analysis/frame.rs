//! The derived per-participant table as a polars `DataFrame`, and the per-arm aggregation
//! run on it with polars' lazy engine: randomized, adherent and adverse-event counts over
//! everyone, then, within the analysis population, each outcome's responders, denominator
//! and the list of improvements (for means, SDs and the Welch interval).
//!
//! polars stays in this data layer (cohort -> derive -> frame -> analysis); the statistics
//! receive plain counts and slices.

use polars::prelude::*;

use crate::cohort::Cohort;
use crate::derive::{Derived, Flags};
use crate::domain::{Missing, Outcome, Population};

/// Per arm and outcome: responders, denominator and improvements of the population.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutcomeTally {
    /// Responders.
    pub responders: u64,
    /// Denominator.
    pub n: u64,
    /// Improvements of participants with both values, in participant order.
    pub improvements: Vec<f64>,
}

/// Per-arm counts over every accepted participant, plus the outcome tallies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ArmTally {
    /// Accepted participants.
    pub randomized: u64,
    /// Adherent participants.
    pub adherent: u64,
    /// Participants with an adverse event.
    pub adverse_event: u64,
    /// One tally per outcome (pain, ndi, then markers).
    pub outcomes: Vec<OutcomeTally>,
}

/// Builds the frame: `arm` (u32 index), `is_control`, `adherent`, `adverse_event`, and per
/// outcome `k`: `r{k}` (responder) and `i{k}` (improvement).
pub fn participant_frame(cohort: &Cohort, derived: &[Derived]) -> PolarsResult<DataFrame> {
    let n = derived.len();
    let arms = cohort.protocol.arms();
    let outcomes = 2 + cohort.protocol.markers().len();
    // One pass over the rows (a derived row is a few hundred bytes, so one pass per column
    // would read the whole table once per column).
    let mut arm = Vec::with_capacity(n);
    let mut is_control = Vec::with_capacity(n);
    let mut adherent = Vec::with_capacity(n);
    let mut adverse_event = Vec::with_capacity(n);
    // (Not `vec![Vec::with_capacity(n); outcomes]`: its clones would start empty and grow.)
    let mut responder: Vec<Vec<Option<bool>>> =
        (0..outcomes).map(|_| Vec::with_capacity(n)).collect();
    let mut improvement: Vec<Vec<Option<f64>>> =
        (0..outcomes).map(|_| Vec::with_capacity(n)).collect();
    for (p, d) in cohort.participants.iter().zip(derived) {
        arm.push(p.arm as u32);
        is_control.push(arms[p.arm].is_control());
        adherent.push(d.adherent);
        adverse_event.push(d.flags.contains(Flags::ADVERSE_EVENT));
        for k in 0..outcomes {
            let o = d.outcome(Outcome::from_index(k));
            responder[k].push(o.responder);
            improvement[k].push(o.improvement.map(|v| v.to_f64()));
        }
    }
    let mut columns = vec![
        // The arm indices move into the frame without a copy.
        Column::from(Series::from_vec("arm".into(), arm)),
        Column::new("is_control".into(), is_control),
        Column::new("adherent".into(), adherent),
        Column::new("adverse_event".into(), adverse_event),
    ];
    for (k, (r, i)) in responder.into_iter().zip(improvement).enumerate() {
        columns.push(Column::new(format!("r{k}").into(), r));
        columns.push(Column::new(format!("i{k}").into(), i));
    }
    DataFrame::new(n, columns)
}

fn as_u64(df: &DataFrame, name: &str) -> PolarsResult<Vec<u64>> {
    let s = df.column(name)?.cast(&DataType::UInt64)?;
    Ok(s.u64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

/// Aggregates the frame per arm (`n_arms` arms, `n_outcomes` outcomes).
pub fn tally_arms(
    df: &DataFrame,
    n_arms: usize,
    n_outcomes: usize,
    population: Population,
    missing: Missing,
) -> PolarsResult<Vec<ArmTally>> {
    let mut out: Vec<ArmTally> = (0..n_arms)
        .map(|_| ArmTally {
            outcomes: vec![OutcomeTally::default(); n_outcomes],
            ..ArmTally::default()
        })
        .collect();

    let everyone = df
        .clone()
        .lazy()
        .group_by_stable([col("arm")])
        .agg([
            len().alias("randomized"),
            col("adherent").sum().alias("adherent"),
            col("adverse_event").sum().alias("adverse_event"),
        ])
        .collect()?;
    let arm = as_u64(&everyone, "arm")?;
    let randomized = as_u64(&everyone, "randomized")?;
    let adherent = as_u64(&everyone, "adherent")?;
    let adverse = as_u64(&everyone, "adverse_event")?;
    for (i, &a) in arm.iter().enumerate() {
        let t = &mut out[a as usize];
        t.randomized = randomized[i];
        t.adherent = adherent[i];
        t.adverse_event = adverse[i];
    }

    // Who is in the population: the domain's rule, evaluated per row into a mask (the same
    // function the adjusted models and the audit use).
    let is_control = df.column("is_control")?.bool()?;
    let adherent = df.column("adherent")?.bool()?;
    let mask: BooleanChunked = is_control
        .iter()
        .zip(adherent.iter())
        .map(|(c, a)| Some(population.includes(c.unwrap_or(false), a)))
        .collect();
    let members = if mask.all() {
        df.clone()
    } else {
        df.filter(&mask)?
    };
    let mut aggs = Vec::with_capacity(3 * n_outcomes);
    for k in 0..n_outcomes {
        let r = format!("r{k}");
        let denominator = if population.counts_missing_as_nonresponder(missing) {
            len()
        } else {
            col(r.as_str()).count()
        };
        aggs.push(col(r.as_str()).sum().alias(format!("responders{k}")));
        aggs.push(denominator.alias(format!("n{k}")));
        aggs.push(
            col(format!("i{k}").as_str())
                .drop_nulls()
                .alias(format!("improvements{k}")),
        );
    }
    let grouped = members
        .lazy()
        .group_by_stable([col("arm")])
        .agg(aggs)
        .collect()?;
    let arm = as_u64(&grouped, "arm")?;
    for k in 0..n_outcomes {
        let responders = as_u64(&grouped, &format!("responders{k}"))?;
        let n = as_u64(&grouped, &format!("n{k}"))?;
        let lists = grouped.column(&format!("improvements{k}"))?.list()?.clone();
        for (i, &a) in arm.iter().enumerate() {
            let t = &mut out[a as usize].outcomes[k];
            t.responders = responders[i];
            t.n = n[i];
            t.improvements = match lists.get_as_series(i) {
                Some(s) => s.f64()?.into_no_null_iter().collect(),
                None => Vec::new(),
            };
        }
    }
    Ok(out)
}
