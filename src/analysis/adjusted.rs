//! Baseline-adjusted comparisons (`analyze --adjust baseline[,age]`): each dose arm against
//! control as an adjusted risk ratio (modified Poisson regression) and an adjusted odds ratio
//! (logistic regression), as the DREAM paper reported its results.
//!
//! Why: responder status depends on how bad the pain was at baseline, and a chance imbalance in
//! baseline between small arms moves the crude ratios; adjusting for the baseline score of the
//! outcome (and age when asked) is what the trial's statisticians did. The models are fitted by
//! [`crate::stats::glm`]; this module builds their designs from the participant table.
//!
//! One model per outcome and model kind, over every arm at once: an intercept, one indicator
//! per treatment arm (control is the reference), the outcome's baseline score and, with `age`,
//! the age in years. The participants are those of the analysis population with the missing
//! rule applied as in `comparisons.csv` (ITT with `nonresponder`: a missing outcome is a
//! non-responder), minus those whose baseline (or age) is missing, who cannot enter a model
//! (counted in the `excluded` column). A fit that fails (separation, no convergence, collinear
//! covariates) gives rows with empty estimates and the reason in `note`.

use serde::Serialize;

use super::options::AnalysisOptions;
pub use super::options::Covariates;
use crate::cohort::Cohort;
use crate::derive::Derived;
use crate::domain::Outcome;
use crate::stats::glm::{self, Design, FitError, Model};

/// Below this many clusters, cluster-robust errors are known to be too small (Cameron &
/// Miller 2015 put the threshold at roughly 20 to 50); the note says so.
pub const FEW_CLUSTERS: usize = 30;

/// One row of `adjusted.csv`.
#[derive(Clone, Debug, Serialize)]
pub struct AdjustedRow {
    /// Treatment arm id.
    pub arm: String,
    /// The outcome.
    #[serde(skip)]
    pub outcome: Outcome,
    /// Its name in files and tables: `pain`, `ndi` or the marker's column.
    #[serde(rename = "outcome")]
    pub label: String,
    /// `modified_poisson` (risk ratio) or `logistic` (odds ratio).
    pub model: Model,
    /// Adjusted ratio versus control.
    pub estimate: Option<f64>,
    /// Wald lower limit.
    pub low: Option<f64>,
    /// Wald upper limit.
    pub high: Option<f64>,
    /// Two-sided Wald p.
    pub p_value: Option<f64>,
    /// Participants in the model (all arms).
    pub n: u64,
    /// Participants of the population left out because a covariate is missing.
    pub excluded: u64,
    /// Why there is no estimate, when there is none.
    pub note: String,
}

/// Fits both models for every outcome that has a comparison.
#[must_use]
pub fn fit_all(
    cohort: &Cohort,
    derived: &[Derived],
    options: &AnalysisOptions,
    covariates: Covariates,
) -> Vec<AdjustedRow> {
    let protocol = &cohort.protocol;
    let names = ["pain".to_owned(), "ndi".to_owned()]
        .into_iter()
        .chain(protocol.markers().iter().map(|m| m.column().to_owned()));
    // Each participant's cluster key when the errors are clustered: the site (numbered in
    // name order) or the main therapist over every session.
    let units: Vec<Option<usize>> = match options.cluster {
        None => Vec::new(),
        Some(super::ClusterBy::Therapist) => crate::derive::main_therapists(cohort, i32::MAX),
        Some(super::ClusterBy::Site) => {
            let names: std::collections::BTreeSet<&str> = cohort
                .participants
                .iter()
                .filter_map(|p| p.site.as_deref())
                .collect();
            let index: std::collections::BTreeMap<&str, usize> =
                names.iter().enumerate().map(|(i, &n)| (n, i)).collect();
            cohort
                .participants
                .iter()
                .map(|p| p.site.as_deref().map(|s| index[s]))
                .collect()
        }
    };
    let mut rows = Vec::new();
    for (k, name) in names.enumerate() {
        if k >= 2 && cohort.missing_markers.contains(&name) {
            continue;
        }
        rows.extend(fit_outcome(
            cohort,
            derived,
            options,
            covariates,
            &units,
            (Outcome::from_index(k), &name),
        ));
    }
    rows
}

/// The design of one outcome: the data, the arm of each indicator column, and the count of
/// population members left out for a missing covariate.
struct OutcomeDesign {
    x: Vec<f64>,
    y: Vec<f64>,
    columns: usize,
    /// Arm index of design columns 1..=arms.len() (treatment arms with participants).
    indicator_arms: Vec<usize>,
    /// Participants in the fit, per arm.
    per_arm: Vec<u64>,
    excluded: u64,
    /// Each row's cluster (its site; a participant without a site is a cluster of one), when
    /// the errors are clustered.
    clusters: Vec<usize>,
    /// Clusters with a row.
    cluster_count: usize,
}

fn design(
    cohort: &Cohort,
    derived: &[Derived],
    options: &AnalysisOptions,
    covariates: Covariates,
    outcome: Outcome,
    units: &[Option<usize>],
) -> OutcomeDesign {
    let arms = cohort.protocol.arms();
    let control = cohort.protocol.control_index();
    // Who is in, with their outcome and covariates.
    let mut members: Vec<(usize, f64, f64, f64)> = Vec::new();
    let mut member_units: Vec<Option<usize>> = Vec::new();
    let mut excluded = 0;
    let mut per_arm = vec![0u64; arms.len()];
    for (i, (p, d)) in cohort.participants.iter().zip(derived).enumerate() {
        if !options.population.includes(p.arm == control, d.adherent) {
            continue;
        }
        let o = d.outcome(outcome);
        let Some(y) = options.population.counted(options.missing, o.responder) else {
            continue;
        };
        let baseline = o.baseline.map(|b| b.to_f64());
        let age = if covariates.age {
            p.age.map(|a| a as f64)
        } else {
            Some(0.0)
        };
        let (Some(baseline), Some(age)) = (baseline, age) else {
            excluded += 1;
            continue;
        };
        per_arm[p.arm] += 1;
        members.push((p.arm, f64::from(u8::from(y)), baseline, age));
        member_units.push(units.get(i).copied().flatten());
    }
    // Clusters numbered in the order of the units' keys, then one per participant without a
    // unit.
    let (clusters, cluster_count) = if options.cluster.is_some() {
        let keys: std::collections::BTreeSet<usize> =
            member_units.iter().flatten().copied().collect();
        let index: std::collections::BTreeMap<usize, usize> =
            keys.iter().enumerate().map(|(i, &k)| (k, i)).collect();
        let mut next = index.len();
        let clusters: Vec<usize> = member_units
            .iter()
            .map(|u| match u {
                Some(u) => index[u],
                None => {
                    next += 1;
                    next - 1
                }
            })
            .collect();
        (clusters, next)
    } else {
        (Vec::new(), 0)
    };
    let indicator_arms: Vec<usize> = (0..arms.len())
        .filter(|&a| a != control && per_arm[a] > 0)
        .collect();
    let columns = 2 + indicator_arms.len() + usize::from(covariates.age);
    let mut x = Vec::with_capacity(members.len() * columns);
    let mut y = Vec::with_capacity(members.len());
    for &(arm, outcome, baseline, age) in &members {
        x.push(1.0);
        x.extend(
            indicator_arms
                .iter()
                .map(|&a| f64::from(u8::from(a == arm))),
        );
        x.push(baseline);
        if covariates.age {
            x.push(age);
        }
        y.push(outcome);
    }
    OutcomeDesign {
        x,
        y,
        columns,
        indicator_arms,
        per_arm,
        excluded,
        clusters,
        cluster_count,
    }
}

fn fit_outcome(
    cohort: &Cohort,
    derived: &[Derived],
    options: &AnalysisOptions,
    covariates: Covariates,
    units: &[Option<usize>],
    (outcome, label): (Outcome, &str),
) -> Vec<AdjustedRow> {
    let arms = cohort.protocol.arms();
    let control = cohort.protocol.control_index();
    let d = design(cohort, derived, options, covariates, outcome, units);
    let column_name = |j: usize| -> String {
        if j == 0 {
            "the intercept".to_owned()
        } else if j <= d.indicator_arms.len() {
            format!("arm {}", arms[d.indicator_arms[j - 1]].id())
        } else if j == d.indicator_arms.len() + 1 {
            "the baseline score".to_owned()
        } else {
            "age".to_owned()
        }
    };
    let mut rows = Vec::new();
    for model in Model::BOTH {
        let result = if d.per_arm[control] == 0 {
            Err("the control arm has no participants in the model".to_owned())
        } else {
            let design = Design {
                x: &d.x,
                columns: d.columns,
                y: &d.y,
                trials: None,
            };
            glm::fit(model, &design)
            .and_then(|mut fit| {
                if options.hc1 && options.cluster.is_none() && model == Model::ModifiedPoisson {
                    // HC1 (MacKinnon & White 1985): HC0 times N/(N - K).
                    let (n, k) = (d.y.len() as f64, d.columns as f64);
                    let factor = n / (n - k);
                    fit.covariance.iter_mut().for_each(|v| *v *= factor);
                    fit.standard_errors.iter_mut().for_each(|v| *v *= factor.sqrt());
                }
                if options.cluster.is_some() {
                    let cov = glm::cluster_covariance(model, &design, &fit.coefficients, &d.clusters)
                        .ok_or(FitError::Singular)?;
                    fit.standard_errors = (0..d.columns).map(|j| cov[j * d.columns + j].sqrt()).collect();
                    fit.covariance = cov;
                }
                Ok(fit)
            })
            .map_err(|e| match e {
                FitError::Separation { column } => format!(
                    "no estimate: the data separate (the maximum likelihood estimate is infinite, as when nobody or everybody in an arm responded), seen at {}",
                    column_name(column)
                ),
                other => format!("no estimate: {other}"),
            })
        };
        for (a, arm) in arms.iter().enumerate() {
            if a == control {
                continue;
            }
            let mut row = AdjustedRow {
                arm: arm.id().to_owned(),
                outcome,
                label: label.to_owned(),
                model,
                estimate: None,
                low: None,
                high: None,
                p_value: None,
                n: d.y.len() as u64,
                excluded: d.excluded,
                note: String::new(),
            };
            match (&result, d.indicator_arms.iter().position(|&i| i == a)) {
                (_, None) => row.note = "the arm has no participants in the model".to_owned(),
                (Err(why), Some(_)) => row.note.clone_from(why),
                (Ok(fit), Some(j)) => {
                    let (estimate, ci, p) = fit.ratio(j + 1, options.level);
                    row.estimate = Some(estimate);
                    row.low = Some(ci.low);
                    row.high = Some(ci.high);
                    row.p_value = Some(p);
                    if options.hc1 && options.cluster.is_none() && model == Model::ModifiedPoisson {
                        "robust errors HC1 (HC0 times N/(N - K))".clone_into(&mut row.note);
                    }
                    if let Some(by) = options.cluster {
                        row.note = format!(
                            "errors clustered by {} (CR1), {} clusters{}",
                            by.as_str(),
                            d.cluster_count,
                            if d.cluster_count < FEW_CLUSTERS {
                                ": fewer than 30, so the errors may be too small"
                            } else {
                                ""
                            }
                        );
                    }
                }
            }
            rows.push(row);
        }
    }
    rows
}
