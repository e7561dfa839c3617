//! The settings of one analysis (population, missing-outcome rule, confidence level, interval
//! method, multiplicity adjustment, adjusted models), validated by the command line and
//! recorded in `summary.json`. A module of its own so the per-arm analysis and the adjusted
//! models can both read it without importing each other.

use serde::Serialize;

use crate::domain::{Missing, Population};
use crate::stats::{Level, Multiplicity, RdMethod};

/// Covariates besides the arm indicators; the outcome's baseline score is always one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Covariates {
    /// Also adjust for age in years.
    pub age: bool,
}

impl Covariates {
    /// `baseline` or `baseline,age`, as given on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        if self.age { "baseline,age" } else { "baseline" }
    }
}

/// Settings of one analysis.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct AnalysisOptions {
    /// Population.
    pub population: Population,
    /// Missing-outcome rule (ITT only).
    pub missing: Missing,
    /// Confidence level of every interval.
    #[serde(serialize_with = "serialize_level")]
    pub level: Level,
    /// Interval method of the risk difference (recorded in the summary's settings).
    #[serde(skip)]
    pub rd_method: RdMethod,
    /// Adjustment of the arm-versus-control p-values, per outcome.
    pub multiplicity: Multiplicity,
    /// Baseline-adjusted regression models, when asked for.
    pub adjust: Option<Covariates>,
    /// The participants column of the Mantel-Haenszel analysis, when asked for.
    pub stratify: Option<super::stratified::StratifyBy>,
    /// The sensitivity of each comparison to the missing outcomes, when asked for.
    pub sensitivity: bool,
    /// A non-inferiority, superiority or equivalence test of every comparison, when asked for.
    pub margin: Option<crate::stats::margin::MarginSpec>,
    /// The arm every other arm is compared with (an index into the protocol's arms), when not
    /// the control (`--reference`); comparisons.csv then names it in a `reference` column.
    #[serde(skip)]
    pub reference: Option<usize>,
    /// Cluster-robust (CR1) errors for the adjusted models, clustered by this unit.
    pub cluster: Option<ClusterBy>,
    /// HC1 instead of HC0 robust errors for the modified Poisson model (unclustered).
    pub hc1: bool,
}

/// What the adjusted models' errors are clustered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterBy {
    /// participants.csv `site`.
    Site,
    /// The main therapist (most attended sessions; `derive::main_therapists`).
    Therapist,
}

impl ClusterBy {
    /// `site` or `therapist`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterBy::Site => "site",
            ClusterBy::Therapist => "therapist",
        }
    }
}

impl Default for AnalysisOptions {
    /// The contract's defaults: ITT, a missing outcome is a non-responder, 95% intervals,
    /// Newcombe's interval, no multiplicity adjustment, no adjusted models.
    fn default() -> Self {
        AnalysisOptions {
            population: Population::Itt,
            missing: Missing::Nonresponder,
            level: Level::NINETY_FIVE,
            rd_method: RdMethod::Newcombe,
            multiplicity: Multiplicity::None,
            adjust: None,
            stratify: None,
            sensitivity: false,
            margin: None,
            reference: None,
            cluster: None,
            hc1: false,
        }
    }
}

fn serialize_level<S: serde::Serializer>(l: &Level, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(l.value())
}
