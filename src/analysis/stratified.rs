//! `analyze --stratify COLUMN`: each treatment arm against control within the strata of a
//! participants column, pooled by Mantel-Haenszel ([`crate::stats::stratified`]), per outcome.
//!
//! The columns: `site` and `sex` as written; `age` in ten-year bands (`age 40-49`); `clearance`
//! (the medical clearance flag, `cleared` / `not cleared`); `randomized` (the calendar quarter
//! of randomization, `2024-Q1`, for drift over the recruitment period). Columns outside the
//! data contract are not kept by the reader, so they cannot be strata.
//!
//! Who is counted: the analysis population and the missing-outcome rule of the analysis
//! (`Population::counted`, the same rule as `comparisons.csv`), split by the column's value.
//! Participants without a value are left out of the stratified analysis and counted
//! (`without_value`), as SAS PROC FREQ leaves out missing strata. A stratum where the arm or
//! the control has nobody in the population compares nothing: it is listed and left out of
//! the pooled estimates and tests. Strata are in the order of their names (byte order), so
//! the file does not depend on row order.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::cohort::Cohort;
use crate::derive::Derived;
use crate::domain::Outcome;
use crate::stats::{self, Binomial, Stratified, Stratum};

use super::{AnalysisError, AnalysisOptions};

/// The participants columns `--stratify` takes (module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StratifyBy {
    /// The site column.
    Site,
    /// The sex column.
    Sex,
    /// The age column in ten-year bands.
    Age,
    /// The medical clearance flag.
    Clearance,
    /// The calendar quarter of the randomization date.
    Randomized,
}

impl StratifyBy {
    /// The participant's stratum in this column, `None` when the value is missing.
    fn value(self, p: &crate::cohort::Participant) -> Option<Cow<'_, str>> {
        match self {
            StratifyBy::Site => p.site.as_deref().map(Cow::Borrowed),
            StratifyBy::Sex => p.sex.as_deref().map(Cow::Borrowed),
            StratifyBy::Age => p.age.map(|age| {
                let low = age.div_euclid(10) * 10;
                Cow::Owned(format!("age {low}-{}", low + 9))
            }),
            StratifyBy::Clearance => Some(Cow::Borrowed(if p.medical_clearance {
                "cleared"
            } else {
                "not cleared"
            })),
            StratifyBy::Randomized => p.randomized_on.map(|day| {
                let date = crate::cohort::value::format_date(day);
                let month: u32 = date[5..7].parse().unwrap_or(1);
                Cow::Owned(format!("{}-Q{}", &date[..4], month.div_ceil(3)))
            }),
        }
    }

    /// The column's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StratifyBy::Site => "site",
            StratifyBy::Sex => "sex",
            StratifyBy::Age => "age",
            StratifyBy::Clearance => "clearance",
            StratifyBy::Randomized => "randomized",
        }
    }
}

/// One arm against control on one outcome across the strata.
#[derive(Clone, Debug)]
pub struct StratifiedComparison {
    /// The treatment arm's id.
    pub arm: String,
    /// The outcome (pain, ndi or a marker column).
    pub outcome: String,
    /// Each stratum's name and counts, in name order.
    pub strata: Vec<(String, Stratum)>,
    /// The pooled estimates and tests.
    pub result: Stratified,
}

/// The stratified analysis of a cohort.
#[derive(Clone, Debug)]
pub struct StratifiedAnalysis {
    /// The column.
    pub by: StratifyBy,
    /// Participants of the arms compared who have no value in the column.
    pub without_value: u64,
    /// One per treatment arm and outcome, arms in protocol order, outcomes pain, ndi, markers.
    pub comparisons: Vec<StratifiedComparison>,
}

/// The stratified comparisons of every treatment arm with control (module documentation).
///
/// # Errors
/// [`AnalysisError::Counts`] if responders exceeded their denominator (a bug).
pub fn stratify(
    cohort: &Cohort,
    derived: &[Derived],
    options: &AnalysisOptions,
    outcome_names: &[String],
    by: StratifyBy,
) -> Result<StratifiedAnalysis, AnalysisError> {
    let arms = cohort.protocol.arms();
    let c = options
        .reference
        .unwrap_or_else(|| cohort.protocol.control_index());
    // counts[stratum][arm][outcome] = (responders, n)
    let mut index: BTreeMap<Cow<'_, str>, usize> = BTreeMap::new();
    for p in &cohort.participants {
        if let Some(v) = by.value(p) {
            let next = index.len();
            index.entry(v).or_insert(next);
        }
    }
    let k = outcome_names.len();
    let mut counts = vec![vec![vec![(0u64, 0u64); k]; arms.len()]; index.len()];
    let mut without_value = 0;
    for (p, d) in cohort.participants.iter().zip(derived) {
        let Some(s) = by.value(p).map(|v| index[&v]) else {
            without_value += 1;
            continue;
        };
        if !options
            .population
            .includes(arms[p.arm].is_control(), d.adherent)
        {
            continue;
        }
        for (o, cell) in counts[s][p.arm].iter_mut().enumerate() {
            let values = d.outcome(Outcome::from_index(o));
            if let Some(r) = options
                .population
                .counted(options.missing, values.responder)
            {
                cell.1 += 1;
                cell.0 += u64::from(r);
            }
        }
    }
    let binomial = |(x, n): (u64, u64)| Binomial::new(x, n);
    let mut comparisons = Vec::new();
    for a in (0..arms.len()).filter(|&a| a != c) {
        for (o, outcome) in outcome_names.iter().enumerate() {
            let mut strata: Vec<(String, Stratum)> = Vec::with_capacity(index.len());
            for (name, &s) in &index {
                let stratum = Stratum {
                    treatment: binomial(counts[s][a][o])?,
                    control: binomial(counts[s][c][o])?,
                };
                strata.push((name.to_string(), stratum));
            }
            let only: Vec<Stratum> = strata.iter().map(|(_, s)| *s).collect();
            comparisons.push(StratifiedComparison {
                arm: arms[a].id().to_owned(),
                outcome: outcome.clone(),
                result: stats::mantel_haenszel(&only, options.level),
                strata,
            });
        }
    }
    Ok(StratifiedAnalysis {
        by,
        without_value,
        comparisons,
    })
}
