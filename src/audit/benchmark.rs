//! What a unit's responder rate is compared with, and the in-control benchmark that one far-off
//! unit cannot drag.
//!
//! Why: with the cohort's own rate as the benchmark (Spiegelhalter 2005's funnel around the
//! overall mean), one unit far below the others pulls the benchmark down, and the ordinary
//! units, now above it, are flagged as high alarms: on a generated cohort of 3,000 with one of
//! five sites never improving, three normal sites were alarms. A manager acting on that acts on
//! false alarms. So the default `cohort` benchmark is computed from the units that are in
//! control, found as a quality engineer revises trial control limits (Montgomery 2013, §6.2:
//! out-of-control points are removed and the limits recomputed) and as sequential outlier
//! procedures do (Rosner 1983's generalised ESD: the most extreme observation first, then
//! re-estimate):
//!
//! 1. the per-arm responder rates over every unit give the expected counts `E_u` (indirect
//!    standardisation, as in `mod.rs`), the centre `θ₀ = ΣE / ΣN` and each unit's point
//!    `y_u = (O_u / E_u) θ₀` against its exact 99.8% limits;
//! 2. if some units lie beyond their 99.8% limits (alarms), the one farthest out (largest
//!    `|y_u − θ₀| / √(θ₀(1 − θ₀)/n_u)`) is left out of the rates, and step 1 is repeated with
//!    the rates of the units still in;
//! 3. it stops when no unit still in is an alarm, or when leaving out one more would leave no
//!    more than half of the units in (a benchmark must rest on a majority; the units still
//!    alarms are then reported as such, and a note says the search stopped there).
//!
//! Every unit, left out or not, is then judged against the final in-control rates, so a unit
//! left out is compared with the others only (the cross-validatory comparison of Ohlssen,
//! Sharples & Spiegelhalter 2007), and the units left out are named in the audit's notes and
//! in `audit.json`. Without any alarm against the plain rates nothing is left out and the
//! result is Spiegelhalter's funnel exactly. `cohort-plain` keeps the plain cohort benchmark
//! (every unit in), which is what Spiegelhalter's paper and FunnelPlotR compute; it differs from
//! the default exactly when some unit is an alarm against it.
//!
//! With case-mix adjustment (`casemix.rs`) the same search ([`search`]) refits the case-mix
//! model without each unit left out, and a unit's limits are the exact Poisson-binomial ones of
//! its patients' expected probabilities.
//!
//! References: D. J. Spiegelhalter, Statistics in Medicine 24 (2005) 1185-1202; D. C.
//! Montgomery, Introduction to Statistical Quality Control, 7th ed. (Wiley, 2013), §6.2;
//! B. Rosner, Technometrics 25 (1983) 165-172; D. I. Ohlssen, L. D. Sharples &
//! D. J. Spiegelhalter, JRSS A 170 (2007) 865-890.

use crate::stats::funnel::{self, Band, Limits};

/// What a unit's responder rate is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Benchmark {
    /// DREAM's published rate for each participant's schedule.
    Dream,
    /// The cohort's own rate per arm over the units in control (module documentation).
    Cohort,
    /// The cohort's own rate per arm over every unit (Spiegelhalter's plain benchmark).
    CohortPlain,
    /// One rate for everyone.
    Rate(f64),
}

impl Benchmark {
    /// Parses `dream`, `cohort`, `cohort-plain` or a rate strictly between 0 and 1.
    ///
    /// # Errors
    /// A message naming the value and the allowed forms.
    pub fn parse(text: &str) -> Result<Benchmark, String> {
        match text.trim() {
            "dream" => Ok(Benchmark::Dream),
            "cohort" => Ok(Benchmark::Cohort),
            "cohort-plain" => Ok(Benchmark::CohortPlain),
            t => match t.parse::<f64>() {
                Ok(r) if r > 0.0 && r < 1.0 => Ok(Benchmark::Rate(r)),
                _ => Err(format!(
                    "{text}: give dream (DREAM's published rates), cohort (the cohort's own rate per arm over the units in control), cohort-plain (over every unit) or a rate strictly between 0 and 1 such as 0.6"
                )),
            },
        }
    }

    /// The spelling of [`Benchmark::parse`].
    #[must_use]
    pub fn label(self) -> String {
        match self {
            Benchmark::Dream => "dream".to_owned(),
            Benchmark::Cohort => "cohort".to_owned(),
            Benchmark::CohortPlain => "cohort-plain".to_owned(),
            Benchmark::Rate(r) => format!("{r}"),
        }
    }
}

/// Judged and counted participants of one unit and arm: `(responders, n)`.
pub type Counts = (u64, u64);

/// The per-arm benchmark rates and the units left out of them.
#[derive(Debug, Clone, PartialEq)]
pub struct InControl {
    /// Expected probability of response per arm (`None`: no participant of the arm counted).
    pub rates: Vec<Option<f64>>,
    /// Units left out of the rates, in the order they were left out.
    pub left_out: Vec<usize>,
    /// The search stopped with units still alarms, to keep a majority of the units in.
    pub stopped_for_majority: bool,
}

/// Per-arm rates over the units not in `left_out` (an arm with nobody left in falls back to
/// every unit's participants, so each arm keeps a rate when it has any participant).
fn rates(counts: &[Vec<Counts>], arms: usize, left_out: &[usize]) -> Vec<Option<f64>> {
    (0..arms)
        .map(|a| {
            let sum = |skip: bool| {
                counts
                    .iter()
                    .enumerate()
                    .filter(|(u, _)| !(skip && left_out.contains(u)))
                    .fold((0u64, 0u64), |(o, n), (_, c)| (o + c[a].0, n + c[a].1))
            };
            let (o, n) = match sum(true) {
                (_, 0) => sum(false),
                in_control => in_control,
            };
            (n > 0).then(|| o as f64 / n as f64)
        })
        .collect()
}

/// Expected counts `E_u = Σ_a n_ua p_a` of every unit under `rates`.
#[must_use]
pub fn expected(counts: &[Vec<Counts>], rates: &[Option<f64>]) -> Vec<f64> {
    counts
        .iter()
        .map(|c| {
            c.iter()
                .zip(rates)
                .map(|(&(_, n), p)| p.map_or(0.0, |p| n as f64 * p))
                .sum()
        })
        .collect()
}

/// The unit farthest beyond its 99.8% limits among `candidates` still in, or `None` when none
/// of them is an alarm under `rates`.
fn farthest_alarm(
    counts: &[Vec<Counts>],
    rates: &[Option<f64>],
    candidates: &[usize],
    left_out: &[usize],
) -> Option<usize> {
    let e = expected(counts, rates);
    let total = |u: usize| {
        counts[u]
            .iter()
            .fold((0u64, 0u64), |(o, n), c| (o + c.0, n + c.1))
    };
    let all_n: u64 = (0..counts.len()).map(|u| total(u).1).sum();
    let theta = e.iter().sum::<f64>() / all_n as f64;
    if !(theta > 0.0 && theta < 1.0) {
        return None;
    }
    candidates
        .iter()
        .copied()
        .filter(|u| !left_out.contains(u))
        .filter_map(|u| {
            let (o, n) = total(u);
            if n == 0 || e[u] <= 0.0 {
                return None;
            }
            let y = o as f64 / e[u] * theta;
            let limits = Limits::exact(n, theta)?;
            (limits.classify(y).band == Band::Alarm)
                .then(|| (u, ((y - theta) / funnel::standard_error(theta, n)).abs()))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(u, _)| u)
}

/// The in-control search (module documentation, steps 2 and 3) over `candidates`:
/// `farthest(left_out)` says which unit still in is farthest beyond its 99.8% limits under the
/// benchmark computed without the units `left_out`, or `None` when none is an alarm. Returns
/// the units left out, in order, and whether the search stopped to keep a majority in. The
/// per-arm rates and the case-mix model (`casemix.rs`) share it.
///
/// # Errors
/// The first error of `farthest`.
pub fn search<E>(
    candidates: &[usize],
    mut farthest: impl FnMut(&[usize]) -> Result<Option<usize>, E>,
) -> Result<(Vec<usize>, bool), E> {
    let mut left_out = Vec::new();
    while let Some(u) = farthest(&left_out)? {
        // Keep more than half of the candidate units in.
        if 2 * (left_out.len() + 1) >= candidates.len() {
            return Ok((left_out, true));
        }
        left_out.push(u);
    }
    Ok((left_out, false))
}

/// The in-control benchmark (module documentation). `counts[u][a]` holds unit `u`'s judged and
/// counted participants of arm `a`; `candidates` are the units that may be left out (those
/// placed on the funnel; a unit of participants without a site, say, always counts).
#[must_use]
pub fn in_control(counts: &[Vec<Counts>], arms: usize, candidates: &[usize]) -> InControl {
    let found = search(candidates, |left_out| {
        Ok::<_, std::convert::Infallible>(farthest_alarm(
            counts,
            &rates(counts, arms, left_out),
            candidates,
            left_out,
        ))
    });
    let Ok((left_out, stopped_for_majority)) = found;
    InControl {
        rates: rates(counts, arms, &left_out),
        left_out,
        stopped_for_majority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One arm; units with `(responders, n)`.
    fn one_arm(units: &[(u64, u64)]) -> Vec<Vec<Counts>> {
        units.iter().map(|&c| vec![c]).collect()
    }

    /// The case: four sites near 60% and one that never improves. The plain rate is
    /// pulled to about 48%, where the large ordinary sites are high alarms; the in-control
    /// rate leaves the poor site out and is theirs.
    #[test]
    fn a_far_off_unit_is_left_out_and_the_others_set_the_rate() {
        let counts = one_arm(&[(420, 700), (360, 600), (300, 500), (240, 400), (15, 300)]);
        let all: Vec<usize> = (0..5).collect();
        let plain = rates(&counts, 1, &[]);
        assert!((plain[0].unwrap() - 1335.0 / 2500.0).abs() < 1e-15);
        let found = in_control(&counts, 1, &all);
        assert_eq!(found.left_out, vec![4]);
        assert!(!found.stopped_for_majority);
        assert!((found.rates[0].unwrap() - 1320.0 / 2200.0).abs() < 1e-15);
        // With the in-control rate no ordinary site is an alarm.
        assert_eq!(
            farthest_alarm(&counts, &found.rates, &[0, 1, 2, 3], &[]),
            None
        );
    }

    /// Units that agree: nothing is left out and the rates are the plain ones exactly.
    #[test]
    fn agreeing_units_leave_the_plain_rate() {
        let counts = one_arm(&[(61, 100), (118, 200), (29, 50), (300, 500)]);
        let found = in_control(&counts, 1, &[0, 1, 2, 3]);
        assert!(found.left_out.is_empty());
        assert_eq!(found.rates, rates(&counts, 1, &[]));
    }

    /// Two units far apart: leaving one out would leave no majority in, so nothing is left out
    /// and the search says so.
    #[test]
    fn no_majority_keeps_the_plain_rate() {
        let counts = one_arm(&[(90, 100), (10, 100)]);
        let found = in_control(&counts, 1, &[0, 1]);
        assert!(found.stopped_for_majority);
        assert!(found.left_out.is_empty());
        assert_eq!(found.rates, vec![Some(0.5)]);
    }

    /// Several arms: a unit's expected count is its case mix times the in-control rates, and an
    /// arm whose only participants are in a unit left out keeps its plain rate.
    #[test]
    fn expected_counts_follow_the_case_mix() {
        let counts = vec![
            vec![(60, 100), (0, 0)],
            vec![(55, 100), (0, 0)],
            vec![(62, 100), (0, 0)],
            vec![(2, 100), (5, 10)],
        ];
        let found = in_control(&counts, 2, &[0, 1, 2, 3]);
        assert_eq!(found.left_out, vec![3]);
        assert_eq!(found.rates, vec![Some(177.0 / 300.0), Some(0.5)]);
        let e = expected(&counts, &found.rates);
        assert!((e[3] - (100.0 * 177.0 / 300.0 + 5.0)).abs() < 1e-12);
    }
}
