//! `analyze --stratify site|sex`: each treatment arm against control within the strata of a
//! participants column, pooled by Mantel-Haenszel ([`crate::stats::stratified`]), per outcome.
//!
//! Who is counted: the analysis population and the missing-outcome rule of the analysis
//! (`Population::counted`, the same rule as `comparisons.csv`), split by the column's value.
//! Participants without a value are left out of the stratified analysis and counted
//! (`without_value`), as SAS PROC FREQ leaves out missing strata. A stratum where the arm or
//! the control has nobody in the population compares nothing: it is listed and left out of
//! the pooled estimates and tests. Strata are in the order of their names (byte order), so
//! the file does not depend on row order.

use std::collections::BTreeMap;

use crate::cohort::Cohort;
use crate::derive::Derived;
use crate::domain::Outcome;
use crate::stats::{self, Binomial, Stratified, Stratum};

use super::{AnalysisError, AnalysisOptions};

/// The participants columns `--stratify` takes (categories the reader keeps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StratifyBy {
    /// The site column.
    Site,
    /// The sex column.
    Sex,
}

impl StratifyBy {
    /// The participant's value in this column.
    fn value(self, p: &crate::cohort::Participant) -> Option<&str> {
        match self {
            StratifyBy::Site => p.site.as_deref(),
            StratifyBy::Sex => p.sex.as_deref(),
        }
    }

    /// The column's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StratifyBy::Site => "site",
            StratifyBy::Sex => "sex",
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
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &cohort.participants {
        let value = by.value(p);
        if let Some(v) = value {
            let next = index.len();
            index.entry(v).or_insert(next);
        }
    }
    let k = outcome_names.len();
    let mut counts = vec![vec![vec![(0u64, 0u64); k]; arms.len()]; index.len()];
    let mut without_value = 0;
    for (p, d) in cohort.participants.iter().zip(derived) {
        let value = by.value(p);
        let Some(s) = value.map(|v| index[v]) else {
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
                strata.push(((*name).to_owned(), stratum));
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
