//! `analyze --sensitivity`: how much each arm-versus-control conclusion depends on the
//! participants whose checkpoint outcome is missing, named as ICH E9(R1) estimands.
//!
//! For each treatment arm and outcome, the risk difference (with the analysis's interval
//! method and level) and Fisher's exact p under:
//!
//! | key | population | missing outcome | E9(R1) wording |
//! |---|---|---|---|
//! | `itt_missing_nonresponder` | all randomized | non-responder | composite strategy: having no checkpoint outcome counts as not responding |
//! | `itt_missing_excluded` | all randomized with the outcome | left out | hypothetical strategy: as if the missing outcomes were like the observed ones (missing at random within arm) |
//! | `per_protocol` | adherent treated, all control, with the outcome | left out | principal-stratum-like: participants who received the planned dose (not protected by randomization) |
//! | `best_case` | all randomized | treated responders, control non-responders | bound: the most favourable imputation for the treatment |
//! | `worst_case` | all randomized | treated non-responders, control responders | bound: the least favourable imputation for the treatment |
//! | `tipping_point` | all randomized | missing controls responders, `k` of the missing treated non-responders and the rest responders | the smallest `k` at which the interval reaches 0 |
//!
//! The tipping point is searched toward the null from the side of the primary (ITT,
//! non-responder) interval: when that interval lies above 0, missing controls are responders
//! and `k` counts missing treated non-responders; when it lies below 0 the roles are mirrored
//! (missing controls non-responders, `k` missing treated responders). The interval moves
//! monotonically with `k`, so the first `k` whose interval reaches 0 (its lower limit at or
//! below 0, resp. its upper limit at or above) is found by bisection.
//! When the primary interval already contains 0 there is nothing to tip (empty `tipping_point`);
//! when even the least favourable `k` leaves 0 outside, the conclusion does not depend on the
//! missing outcomes at all (empty, with `robust` true).
//!
//! References: ICH E9(R1) addendum on estimands and sensitivity analysis (2019); the tipping
//! point idea as in Yan, Lee & Li, J Biopharm Stat 19 (2009) 838-848.

use crate::cohort::Cohort;
use crate::derive::Derived;
use crate::domain::{Outcome, Population};
use crate::stats::{self, Binomial, Interval};

use super::{AnalysisError, AnalysisOptions};

/// One estimand's row.
#[derive(Clone, Debug, PartialEq)]
pub struct SensitivityRow {
    /// The treatment arm's id.
    pub arm: String,
    /// The outcome.
    pub outcome: String,
    /// The estimand's key (module documentation).
    pub estimand: &'static str,
    /// Who is analysed.
    pub population: &'static str,
    /// How the intercurrent event "no checkpoint outcome" is handled, in E9(R1) words.
    pub strategy: &'static str,
    /// Treatment responders out of participants as analysed.
    pub treatment: Binomial,
    /// Control responders out of participants as analysed.
    pub control: Binomial,
    /// Risk difference, treatment minus control.
    pub risk_difference: Option<f64>,
    /// Its interval (the analysis's method and level).
    pub interval: Option<Interval>,
    /// Fisher's exact two-sided p.
    pub p_value: Option<f64>,
    /// Treatment participants without the outcome (all randomized).
    pub treatment_missing: u64,
    /// Control participants without the outcome (all randomized).
    pub control_missing: u64,
    /// On the `tipping_point` row: the `k` found (module documentation).
    pub tipping_point: Option<u64>,
    /// On the `tipping_point` row: no `k` brings the interval to 0.
    pub robust: Option<bool>,
}

/// Per arm and outcome: responders, observed and missing among all randomized, and
/// responders and observed in the per-protocol population.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    responders: u64,
    observed: u64,
    missing: u64,
    pp_responders: u64,
    pp_observed: u64,
}

/// The sensitivity rows of every treatment arm against control (module documentation).
///
/// # Errors
/// [`AnalysisError::Counts`] if responders exceeded their denominator (a bug).
pub fn sensitivity(
    cohort: &Cohort,
    derived: &[Derived],
    options: &AnalysisOptions,
    outcome_names: &[String],
) -> Result<Vec<SensitivityRow>, AnalysisError> {
    let arms = cohort.protocol.arms();
    let k = outcome_names.len();
    let mut counts = vec![vec![Counts::default(); k]; arms.len()];
    for (p, d) in cohort.participants.iter().zip(derived) {
        let per_protocol = Population::PerProtocol.includes(arms[p.arm].is_control(), d.adherent);
        for (o, c) in counts[p.arm].iter_mut().enumerate() {
            match d.outcome(Outcome::from_index(o)).responder {
                Some(r) => {
                    c.observed += 1;
                    c.responders += u64::from(r);
                    if per_protocol {
                        c.pp_observed += 1;
                        c.pp_responders += u64::from(r);
                    }
                }
                None => c.missing += 1,
            }
        }
    }
    // The comparator: the control, or the arm `--reference` names.
    let control = options
        .reference
        .unwrap_or_else(|| cohort.protocol.control_index());
    let mut rows = Vec::new();
    for a in (0..arms.len()).filter(|&a| a != control) {
        for (o, outcome) in outcome_names.iter().enumerate() {
            let (t, c) = (counts[a][o], counts[control][o]);
            let row = |estimand, population, strategy, tx: (u64, u64), cx: (u64, u64)| {
                let treatment = Binomial::new(tx.0, tx.1)?;
                let control = Binomial::new(cx.0, cx.1)?;
                Ok::<SensitivityRow, AnalysisError>(SensitivityRow {
                    arm: arms[a].id().to_owned(),
                    outcome: outcome.clone(),
                    estimand,
                    population,
                    strategy,
                    treatment,
                    control,
                    risk_difference: stats::risk_difference(treatment, control),
                    interval: options
                        .rd_method
                        .interval(treatment, control, options.level),
                    p_value: (treatment.trials() > 0 && control.trials() > 0)
                        .then(|| stats::fisher_exact_two_sided(treatment, control)),
                    treatment_missing: t.missing,
                    control_missing: c.missing,
                    tipping_point: None,
                    robust: None,
                })
            };
            let (nt, nc) = (t.observed + t.missing, c.observed + c.missing);
            let primary = row(
                "itt_missing_nonresponder",
                "all randomized",
                "composite: no checkpoint outcome counts as not responding",
                (t.responders, nt),
                (c.responders, nc),
            )?;
            let tipping = tipping_point(&primary, t, c, options)?;
            rows.push(primary);
            rows.push(row(
                "itt_missing_excluded",
                "all randomized with the outcome",
                "hypothetical: as if the missing outcomes were like the observed ones (missing at random within arm)",
                (t.responders, t.observed),
                (c.responders, c.observed),
            )?);
            rows.push(row(
                "per_protocol",
                "adherent treated and all control with the outcome",
                "principal-stratum-like: those who received the planned dose (not protected by randomization)",
                (t.pp_responders, t.pp_observed),
                (c.pp_responders, c.pp_observed),
            )?);
            rows.push(row(
                "best_case",
                "all randomized",
                "bound: missing treated responders and missing control non-responders",
                (t.responders + t.missing, nt),
                (c.responders, nc),
            )?);
            rows.push(row(
                "worst_case",
                "all randomized",
                "bound: missing treated non-responders and missing control responders",
                (t.responders, nt),
                (c.responders + c.missing, nc),
            )?);
            let (k, robust, tx, cx) = tipping;
            let mut last = row(
                "tipping_point",
                "all randomized",
                "tipping point: the fewest missing treated outcomes turned toward no effect (every missing control outcome turned too) that bring the interval to 0",
                tx,
                cx,
            )?;
            last.tipping_point = k;
            last.robust = robust;
            rows.push(last);
        }
    }
    Ok(rows)
}

/// The tipping point of one comparison: `(k, robust, treatment counts, control counts)`, the
/// counts being those at `k` (at the least favourable `k` when robust, at the primary
/// analysis's when there is nothing to tip).
#[allow(clippy::type_complexity)]
fn tipping_point(
    primary: &SensitivityRow,
    t: Counts,
    c: Counts,
    options: &AnalysisOptions,
) -> Result<(Option<u64>, Option<bool>, (u64, u64), (u64, u64)), AnalysisError> {
    let (nt, nc) = (t.observed + t.missing, c.observed + c.missing);
    let unchanged = (
        None,
        None,
        (primary.treatment.successes(), nt),
        (primary.control.successes(), nc),
    );
    let Some(ci) = primary.interval else {
        return Ok(unchanged);
    };
    let above = ci.low > 0.0;
    if !above && ci.high >= 0.0 {
        return Ok(unchanged);
    }
    // Counts with `k` missing treated outcomes against the treatment and every missing
    // control outcome against it.
    let at = |k: u64| {
        if above {
            (
                (t.responders + t.missing - k, nt),
                (c.responders + c.missing, nc),
            )
        } else {
            ((t.responders + k, nt), (c.responders, nc))
        }
    };
    let reaches_zero = |k: u64| -> Result<bool, AnalysisError> {
        let (tx, cx) = at(k);
        let i = options.rd_method.interval(
            Binomial::new(tx.0, tx.1)?,
            Binomial::new(cx.0, cx.1)?,
            options.level,
        );
        // One-sided, so the answer is monotone in `k`: the interval no longer excludes 0 from
        // the side it started on.
        Ok(i.is_some_and(|i| if above { i.low <= 0.0 } else { i.high >= 0.0 }))
    };
    if !reaches_zero(t.missing)? {
        let (tx, cx) = at(t.missing);
        return Ok((None, Some(true), tx, cx));
    }
    // The smallest k in 0..=missing whose interval reaches 0 (it does at `missing`).
    let (mut lo, mut hi) = (0, t.missing);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if reaches_zero(mid)? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let (tx, cx) = at(lo);
    Ok((Some(lo), Some(false), tx, cx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Level, RdMethod};

    fn counts(responders: u64, observed: u64, missing: u64) -> Counts {
        Counts {
            responders,
            observed,
            missing,
            ..Counts::default()
        }
    }

    fn primary(t: Counts, c: Counts, options: &AnalysisOptions) -> SensitivityRow {
        let treatment = Binomial::new(t.responders, t.observed + t.missing).unwrap();
        let control = Binomial::new(c.responders, c.observed + c.missing).unwrap();
        SensitivityRow {
            arm: "t".into(),
            outcome: "pain".into(),
            estimand: "itt_missing_nonresponder",
            population: "",
            strategy: "",
            treatment,
            control,
            risk_difference: stats::risk_difference(treatment, control),
            interval: options
                .rd_method
                .interval(treatment, control, options.level),
            p_value: None,
            treatment_missing: t.missing,
            control_missing: c.missing,
            tipping_point: None,
            robust: None,
        }
    }

    /// The bisection against a scan of every `k`, written out plainly, over tables where the
    /// primary interval lies above 0, below 0, or contains it, for every interval method.
    #[test]
    fn the_tipping_point_is_the_first_k_of_a_plain_scan() {
        let tables = [
            (counts(30, 30, 10), counts(10, 35, 5)),
            (counts(25, 32, 6), counts(10, 36, 2)),
            (counts(5, 30, 12), counts(20, 34, 4)),
            (counts(40, 40, 60), counts(5, 90, 10)),
            (counts(12, 38, 3), counts(10, 38, 0)),
            (counts(0, 0, 20), counts(3, 20, 0)),
            (counts(25, 30, 10), counts(5, 20, 20)),
        ];
        let mut outcomes = std::collections::BTreeSet::new();
        for method in RdMethod::ALL {
            let options = AnalysisOptions {
                rd_method: method,
                level: Level::NINETY_FIVE,
                ..AnalysisOptions::default()
            };
            for &(t, c) in &tables {
                let p = primary(t, c, &options);
                let (k, robust, _, _) = tipping_point(&p, t, c, &options).unwrap();
                let Some(ci) = p.interval else {
                    assert_eq!((k, robust), (None, None));
                    continue;
                };
                let above = ci.low > 0.0;
                if !above && ci.high >= 0.0 {
                    assert_eq!((k, robust), (None, None), "{method:?} {t:?} {c:?}");
                    outcomes.insert("contains 0");
                    continue;
                }
                let (nt, nc) = (t.observed + t.missing, c.observed + c.missing);
                let scan = (0..=t.missing).find(|&k| {
                    let (x, y) = if above {
                        (t.responders + t.missing - k, c.responders + c.missing)
                    } else {
                        (t.responders + k, c.responders)
                    };
                    let i = method
                        .interval(
                            Binomial::new(x, nt).unwrap(),
                            Binomial::new(y, nc).unwrap(),
                            Level::NINETY_FIVE,
                        )
                        .unwrap();
                    if above { i.low <= 0.0 } else { i.high >= 0.0 }
                });
                assert_eq!(k, scan, "{method:?} {t:?} {c:?}");
                assert_eq!(robust, Some(scan.is_none()), "{method:?} {t:?} {c:?}");
                outcomes.insert(match (scan, above) {
                    (None, _) => "robust",
                    (Some(_), true) => "tips from above",
                    (Some(_), false) => "tips from below",
                });
            }
        }
        // Every case the rule names occurs.
        assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    }
}
