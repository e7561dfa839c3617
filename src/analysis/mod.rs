//! Populations, per-arm summaries, arm-versus-control comparisons and the dose-response trend:
//! the derived per-participant table turned into the numbers of `arms.csv`, `comparisons.csv`
//! and `trend.csv` (the baseline-adjusted models are in [`adjusted`]).
//!
//! Population rules (the contract's "Analysis populations"): `itt` takes every accepted
//! participant, with missing outcomes counted as non-responders (`--missing nonresponder`) or
//! dropped (`--missing exclude`); `per-protocol` takes adherent treatment-arm participants and
//! every control participant, dropping missing outcomes. Means of improvement use participants
//! of the population with both values. Arm-level adherence and adverse-event counts use every
//! accepted participant. The statistics come from [`crate::stats`] on counts and slices.

use serde::Serialize;

pub mod adjusted;
pub mod baseline;
mod options;
pub mod sensitivity;
pub mod stratified;
pub mod tally;

use crate::cohort::Cohort;
use crate::derive::Derived;
use crate::domain::Outcome;
use crate::stats::{self, Binomial, Level, ScoredArm};
use adjusted::AdjustedRow;
pub use options::{AnalysisOptions, ClusterBy, Covariates};
use tally::OutcomeTally;

pub use crate::domain::population::{Missing, Population};

/// Responders among the analysed participants, with the Wilson interval of the rate.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Responders {
    /// Responders.
    pub responders: u64,
    /// Denominator.
    pub n: u64,
    /// `responders / n`.
    pub rate: Option<f64>,
    /// Wilson lower limit.
    pub low: Option<f64>,
    /// Wilson upper limit.
    pub high: Option<f64>,
}

/// One row of `arms.csv`.
#[derive(Clone, Debug, Serialize)]
pub struct ArmSummary {
    /// Arm id.
    pub arm: String,
    /// True for the control arm.
    pub is_control: bool,
    /// Planned minutes per session.
    pub minutes: Option<u32>,
    /// Planned sessions per week.
    pub per_week: Option<u32>,
    /// Planned weeks.
    pub weeks: Option<u32>,
    /// Accepted participants randomized to the arm.
    pub randomized: u64,
    /// Adherent participants (empty for control).
    pub adherent: Option<u64>,
    /// `adherent / randomized` (empty for control).
    pub adherence_rate: Option<f64>,
    /// Pain responders.
    pub pain: Responders,
    /// NDI responders.
    pub ndi: Responders,
    /// Mean pain improvement.
    pub pain_improvement_mean: Option<f64>,
    /// SD of pain improvement.
    pub pain_improvement_sd: Option<f64>,
    /// Mean NDI improvement.
    pub ndi_improvement_mean: Option<f64>,
    /// SD of NDI improvement.
    pub ndi_improvement_sd: Option<f64>,
    /// Participants with any adverse event.
    pub adverse_event_participants: u64,
}

/// One row of `comparisons.csv`: a treatment arm against control on one outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Treatment arm id.
    pub arm: String,
    /// The outcome.
    #[serde(skip)]
    pub outcome: Outcome,
    /// Its name in files and tables: `pain`, `ndi` or the marker's column.
    #[serde(rename = "outcome")]
    pub label: String,
    /// Treatment responders.
    pub responders: u64,
    /// Treatment denominator.
    pub n: u64,
    /// Treatment rate.
    pub rate: Option<f64>,
    /// Control responders.
    pub control_responders: u64,
    /// Control denominator.
    pub control_n: u64,
    /// Control rate.
    pub control_rate: Option<f64>,
    /// Treatment rate minus control rate.
    pub risk_difference: Option<f64>,
    /// Lower limit of the risk difference (method of `--rd-method`, Newcombe by default).
    pub rd_low: Option<f64>,
    /// Upper limit of the risk difference.
    pub rd_high: Option<f64>,
    /// Risk ratio (0.5 added to every cell when one is zero).
    pub risk_ratio: Option<f64>,
    /// Katz log lower limit.
    pub rr_low: Option<f64>,
    /// Katz log upper limit.
    pub rr_high: Option<f64>,
    /// Odds ratio (0.5 added to every cell when one is zero).
    pub odds_ratio: Option<f64>,
    /// Woolf lower limit.
    pub or_low: Option<f64>,
    /// Woolf upper limit.
    pub or_high: Option<f64>,
    /// True when the 0.5 correction was applied to the ratios (in summary.json only).
    pub corrected: bool,
    /// `1 / risk_difference`, signed (empty when the difference is 0).
    pub nnt: Option<f64>,
    /// The NNT with its interval in Altman's notation (summary.json only), e.g.
    /// "NNTB 2.5 (1.7 to 5.8)".
    pub nnt_display: Option<String>,
    /// Fisher's exact two-sided p.
    pub p_value: Option<f64>,
    /// Fisher's p adjusted for the comparisons of this outcome (`--multiplicity`; equal to
    /// `p_value` when no adjustment is asked for).
    pub p_adjusted: Option<f64>,
    /// Mean improvement, arm minus control.
    pub improvement_difference: Option<f64>,
    /// Welch lower limit.
    pub improvement_difference_low: Option<f64>,
    /// Welch upper limit.
    pub improvement_difference_high: Option<f64>,
    /// The margin test, when the options name one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_test: Option<stats::margin::MarginTest>,
}

/// The whole analysis.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// Settings used.
    pub options: AnalysisOptions,
    /// One summary per arm, in trial order.
    pub arms: Vec<ArmSummary>,
    /// One comparison per treatment arm and outcome.
    pub comparisons: Vec<Comparison>,
    /// One Cochran-Armitage trend test per outcome.
    pub trend: Vec<TrendRow>,
    /// Baseline-adjusted ratios (empty unless `adjust` was asked for).
    pub adjusted: Vec<AdjustedRow>,
    /// The Mantel-Haenszel analysis by a participants column, when `stratify` was asked for.
    #[serde(skip)]
    pub stratified: Option<stratified::StratifiedAnalysis>,
    /// Each comparison under the estimands of [`sensitivity`] (empty unless asked for).
    #[serde(skip)]
    pub sensitivity: Vec<sensitivity::SensitivityRow>,
}

/// One row of `trend.csv`: the Cochran-Armitage test across every arm of one outcome, scored by
/// planned minutes per week (control 0).
#[derive(Clone, Debug, Serialize)]
pub struct TrendRow {
    /// The outcome.
    #[serde(skip)]
    pub outcome: Outcome,
    /// Its name in files and tables: `pain`, `ndi` or the marker's column.
    #[serde(rename = "outcome")]
    pub label: String,
    /// Standardized statistic (positive: more responders with more minutes per week).
    pub z: Option<f64>,
    /// Two-sided p.
    pub p_two_sided: Option<f64>,
    /// One-sided p for a rising trend.
    pub p_one_sided: Option<f64>,
    /// The scores used, `arm=minutes_per_week` joined by `;`, in increasing score order.
    pub scores: String,
}

fn responders(t: &OutcomeTally, level: Level) -> Result<(Responders, Binomial), AnalysisError> {
    let b = Binomial::new(t.responders, t.n)?;
    let ci = stats::wilson(b, level);
    Ok((
        Responders {
            responders: t.responders,
            n: t.n,
            rate: b.rate(),
            low: ci.map(|c| c.low),
            high: ci.map(|c| c.high),
        },
        b,
    ))
}

/// The analysis could not run; not expected on validated data, and reported rather than
/// papered over.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// Responders exceeded their denominator (a bug).
    #[error("internal error: inconsistent responder counts: {0}")]
    Counts(#[from] stats::StatsError),
}

/// Runs the analysis on the derived table.
pub fn analyze(
    cohort: &Cohort,
    derived: &[Derived],
    options: AnalysisOptions,
) -> Result<Analysis, AnalysisError> {
    let protocol = &cohort.protocol;
    let control = protocol.control_index();
    let outcome_names: Vec<String> = ["pain", "ndi"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain(protocol.markers().iter().map(|m| m.column().to_owned()))
        .collect();
    let tallies = tally::tally_arms(
        cohort,
        derived,
        outcome_names.len(),
        options.population,
        options.missing,
    );
    // Each arm's mean and variance of each outcome's improvement, computed once (the arm
    // table and every Welch interval use them).
    let moments: Vec<Vec<stats::Moments>> = tallies
        .iter()
        .map(|t| {
            t.outcomes
                .iter()
                .map(|o| stats::Moments::of(&o.improvements))
                .collect()
        })
        .collect();
    let arms = protocol
        .arms()
        .iter()
        .zip(&tallies)
        .zip(&moments)
        .map(|((arm, t), m)| {
            let adherent = arm.schedule().map(|_| t.adherent);
            let (pain, _) = responders(&t.outcomes[Outcome::Pain.index()], options.level)?;
            let (ndi, _) = responders(&t.outcomes[Outcome::Ndi.index()], options.level)?;
            Ok(ArmSummary {
                arm: arm.id().to_owned(),
                is_control: arm.is_control(),
                minutes: arm.schedule().map(|s| s.minutes()),
                per_week: arm.schedule().map(|s| s.per_week()),
                weeks: arm.schedule().map(|s| s.weeks()),
                randomized: t.randomized,
                adherent,
                adherence_rate: adherent
                    .filter(|_| t.randomized > 0)
                    .map(|k| k as f64 / t.randomized as f64),
                pain,
                ndi,
                pain_improvement_mean: m[Outcome::Pain.index()].mean,
                pain_improvement_sd: m[Outcome::Pain.index()].sd(),
                ndi_improvement_mean: m[Outcome::Ndi.index()].mean,
                ndi_improvement_sd: m[Outcome::Ndi.index()].sd(),
                adverse_event_participants: t.adverse_event,
            })
        })
        .collect::<Result<Vec<_>, AnalysisError>>()?;

    // Every arm against the comparator: the control, or the arm `--reference` names.
    let comparator = options.reference.unwrap_or(control);
    let mut comparisons = Vec::new();
    for (a, arm) in protocol.arms().iter().enumerate() {
        if a == comparator {
            continue;
        }
        for (k, name) in outcome_names.iter().enumerate() {
            let outcome = Outcome::from_index(k);
            // A declared marker whose column is absent has no values: no comparison row
            // (0/N responders would look like a result); a notice says so.
            if matches!(outcome, Outcome::Marker(_)) && cohort.missing_markers.contains(name) {
                continue;
            }
            comparisons.push(compare(
                arm.id(),
                (outcome, name),
                (&tallies[a].outcomes[k], &moments[a][k]),
                (&tallies[comparator].outcomes[k], &moments[comparator][k]),
                options,
            )?);
        }
    }
    // Multiplicity: the family is every arm-versus-control comparison of one outcome.
    for outcome in Outcome::all(outcome_names.len() - 2) {
        let members: Vec<usize> = (0..comparisons.len())
            .filter(|&i| comparisons[i].outcome == outcome)
            .collect();
        let p: Vec<Option<f64>> = members.iter().map(|&i| comparisons[i].p_value).collect();
        for (&i, adjusted) in members.iter().zip(stats::adjust(&p, options.multiplicity)) {
            comparisons[i].p_adjusted = adjusted;
        }
    }
    let trend = outcome_names
        .iter()
        .enumerate()
        .filter(|(k, name)| *k < 2 || !cohort.missing_markers.contains(*name))
        .map(|(k, name)| trend_row(cohort, &tallies, (Outcome::from_index(k), name)))
        .collect::<Result<Vec<_>, AnalysisError>>()?;
    let adjusted = match options.adjust {
        Some(covariates) => adjusted::fit_all(cohort, derived, &options, covariates),
        None => Vec::new(),
    };
    let stratified = options
        .stratify
        .map(|by| stratified::stratify(cohort, derived, &options, &outcome_names, by))
        .transpose()?;
    let sensitivity = if options.sensitivity {
        sensitivity::sensitivity(cohort, derived, &options, &outcome_names)?
    } else {
        Vec::new()
    };
    Ok(Analysis {
        options,
        arms,
        comparisons,
        trend,
        adjusted,
        stratified,
        sensitivity,
    })
}

/// The trend test of `outcome` across all arms, scored by planned minutes per week.
fn trend_row(
    cohort: &Cohort,
    tallies: &[tally::ArmTally],
    (outcome, label): (Outcome, &str),
) -> Result<TrendRow, AnalysisError> {
    let k = outcome.index();
    let arms = cohort.protocol.arms();
    let mut order: Vec<usize> = (0..arms.len()).collect();
    // Stable: arms with equal scores keep their trial order.
    order.sort_by_key(|&a| dose_score(&arms[a]));
    let scored = order
        .iter()
        .map(|&a| {
            Ok(ScoredArm {
                counts: Binomial::new(tallies[a].outcomes[k].responders, tallies[a].outcomes[k].n)?,
                score: f64::from(dose_score(&arms[a])),
            })
        })
        .collect::<Result<Vec<_>, AnalysisError>>()?;
    let test = stats::cochran_armitage(&scored);
    let scores = order
        .iter()
        .map(|&a| format!("{}={}", arms[a].id(), dose_score(&arms[a])))
        .collect::<Vec<_>>()
        .join(";");
    Ok(TrendRow {
        outcome,
        label: label.to_owned(),
        z: test.map(|t| t.z),
        p_two_sided: test.map(|t| t.p_two_sided),
        p_one_sided: test.map(|t| t.p_one_sided),
        scores,
    })
}

/// An arm's dose score: planned minutes per week, 0 for the control arm.
#[must_use]
pub fn dose_score(arm: &crate::domain::protocol::Arm) -> u32 {
    arm.schedule().map_or(0, |s| s.minutes_per_week())
}

fn compare(
    arm: &str,
    (outcome, label): (Outcome, &str),
    (t, t_moments): (&OutcomeTally, &stats::Moments),
    (c, c_moments): (&OutcomeTally, &stats::Moments),
    options: AnalysisOptions,
) -> Result<Comparison, AnalysisError> {
    let level = options.level;
    let (tr, tb) = responders(t, level)?;
    let (cr, cb) = responders(c, level)?;
    let rd = stats::risk_difference(tb, cb);
    let rd_ci = options.rd_method.interval(tb, cb, level);
    let rr = stats::risk_ratio_katz(tb, cb, level);
    let or = stats::odds_ratio_woolf(tb, cb, level);
    let p = (tb.trials() > 0 && cb.trials() > 0).then(|| stats::fisher_exact_two_sided(tb, cb));
    let welch = stats::welch_from_moments(t_moments, c_moments, level);
    let mean_diff = match (t_moments.mean, c_moments.mean) {
        (Some(x), Some(y)) => Some(x - y),
        _ => None,
    };
    Ok(Comparison {
        arm: arm.to_owned(),
        outcome,
        label: label.to_owned(),
        responders: tr.responders,
        n: tr.n,
        rate: tr.rate,
        control_responders: cr.responders,
        control_n: cr.n,
        control_rate: cr.rate,
        risk_difference: rd,
        rd_low: rd_ci.map(|c| c.low),
        rd_high: rd_ci.map(|c| c.high),
        risk_ratio: rr.map(|r| r.estimate),
        rr_low: rr.map(|r| r.interval.low),
        rr_high: rr.map(|r| r.interval.high),
        odds_ratio: or.map(|r| r.estimate),
        or_low: or.map(|r| r.interval.low),
        or_high: or.map(|r| r.interval.high),
        corrected: rr.is_some_and(|r| r.corrected) || or.is_some_and(|r| r.corrected),
        nnt: stats::number_needed_to_treat(tb, cb),
        nnt_display: rd.zip(rd_ci).map(|(d, ci)| stats::altman(d, ci).display),
        p_value: p,
        p_adjusted: p,
        improvement_difference: welch.map(|w| w.estimate).or(mean_diff),
        improvement_difference_low: welch.map(|w| w.low),
        improvement_difference_high: welch.map(|w| w.high),
        margin_test: options
            .margin
            .and_then(|m| stats::margin::margin_test(tb, cb, m.hypothesis, m.margin, level)),
    })
}
