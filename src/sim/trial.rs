//! `simulate trial`: what a proposed trial can detect. Each replicate simulates every arm's
//! patients (attendance session by session, the dose received, responses) and analyses the trial
//! with the same functions as `analyze`: Fisher's exact test or Newcombe's interval for each arm
//! against control, or the Cochran-Armitage trend across arms scored by minutes per week.
//!
//! Reported per treatment arm: the share of replicates where the test rejects at `alpha` in
//! favour of the arm (its power; its type I error when the arm's true rate equals control's; its
//! assurance, the probability of success, when the rates are drawn from the evidence rather than
//! fixed), the mean risk difference and the mean width of its Newcombe interval; and the
//! probability that the truly best treatment arm has the most responders (ties share the credit;
//! counted over replicates with a unique best arm).

use serde::{Deserialize, Serialize};

use super::clinic::patient_rate;
use super::model::OutcomeModel;
use super::patients::{self, Attendance};
use super::runner::{self, Merge, Shard};
use super::schedule::Plan;
use super::tally::{FixedSum, IntSum};
use crate::stats::{self, Binomial, Level, ScoredArm};

/// The analysis each replicate runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Test {
    /// Fisher's exact test, two-sided, each arm against control.
    Fisher,
    /// Newcombe's hybrid score interval of the difference excludes 0, each arm against control.
    Newcombe,
    /// Cochran-Armitage trend across all arms (two-sided).
    Trend,
}

/// Exact tallies of a trial simulation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialTally {
    /// Replicates run.
    pub reps: u64,
    /// Per arm (control's entries stay 0): replicates rejecting in favour of the arm.
    pub rejections: Vec<u64>,
    /// Per arm: Σ (x_arm − x_control) over replicates (the risk difference times n).
    pub difference: Vec<IntSum>,
    /// Per arm: Σ width of the Newcombe interval.
    pub width: Vec<FixedSum>,
    /// Replicates where the trend test rejects for a rising trend.
    pub trend_rejections: u64,
    /// Credit for ranking the truly best arm first (ties share it).
    pub best_first: FixedSum,
    /// Replicates with a unique truly best treatment arm.
    pub best_defined: u64,
}

impl Merge for TrialTally {
    fn merge(&mut self, other: &Self) {
        self.reps += other.reps;
        let arms = self.rejections.len().max(other.rejections.len());
        self.rejections.resize(arms, 0);
        self.difference.resize(arms, IntSum::default());
        self.width.resize(arms, FixedSum::default());
        // Arrays of unequal length (an edited file) merge as far as they go, never panic; the
        // merged result is then checked against the spec by the caller.
        let usable = other
            .rejections
            .len()
            .min(other.difference.len())
            .min(other.width.len());
        for a in 0..usable {
            self.rejections[a] += other.rejections[a];
            self.difference[a].merge(&other.difference[a]);
            self.width[a].merge(&other.width[a]);
        }
        self.trend_rejections += other.trend_rejections;
        self.best_first.merge(&other.best_first);
        self.best_defined += other.best_defined;
    }
}

/// Fisher p-values for every (x_t, x_c) of arms of `n`, computed once when the table is small
/// (the same function as `analyze`, memoised).
struct FisherTable {
    n: u64,
    p: Vec<f64>,
}

impl FisherTable {
    /// Largest arm size whose table is precomputed (500² cells).
    const MAX_N: u64 = 499;

    fn new(n: u64) -> Option<FisherTable> {
        let side = n + 1;
        (n <= Self::MAX_N).then(|| {
            let mut p = Vec::with_capacity((side * side) as usize);
            for xt in 0..=n {
                for xc in 0..=n {
                    let (t, c) = (Binomial::new(xt, n), Binomial::new(xc, n));
                    p.push(match (t, c) {
                        (Ok(t), Ok(c)) => stats::fisher_exact_two_sided(t, c),
                        _ => 1.0,
                    });
                }
            }
            FisherTable { n, p }
        })
    }

    fn get(&self, xt: u64, xc: u64) -> f64 {
        self.p[(xt * (self.n + 1) + xc) as usize]
    }
}

/// Everything a trial simulation needs.
pub struct TrialDesign<'a> {
    /// Arms, control first.
    pub plans: &'a [Plan],
    /// Participants per arm.
    pub per_arm: u64,
    /// The outcome's rate model (one source per arm).
    pub model: &'a OutcomeModel,
    /// Attendance law.
    pub attendance: &'a Attendance,
    /// Adverse-event probability per attended session.
    pub adverse_per_session: f64,
    /// The test.
    pub test: Test,
    /// Significance level.
    pub alpha: f64,
}

/// Runs the trial simulation.
#[must_use]
pub fn simulate(
    design: &TrialDesign<'_>,
    reps: u64,
    seed: u64,
    shard: Shard,
    threads: usize,
) -> TrialTally {
    let arms = design.plans.len();
    let n = design.per_arm;
    let fisher = (design.test == Test::Fisher)
        .then(|| FisherTable::new(n))
        .flatten();
    let level = Level::new(1.0 - design.alpha).unwrap_or(Level::NINETY_FIVE);
    runner::run(
        reps,
        seed,
        shard,
        threads,
        |_, rng, tally: &mut TrialTally| {
            if tally.rejections.is_empty() {
                tally.rejections = vec![0; arms];
                tally.difference = vec![IntSum::default(); arms];
                tally.width = vec![FixedSum::default(); arms];
            }
            let (rates, fallback) = design.model.draw_rates(rng);
            // The control arm's own rate is what a treated patient falls back to (one draw).
            let control_rate = if design.plans[0] == Plan::Control {
                rates[0]
            } else {
                fallback
            };
            let mut x = vec![0u64; arms];
            for (a, plan) in design.plans.iter().enumerate() {
                let planned = plan.sessions();
                let source = &design.model.arms[a];
                for _ in 0..n {
                    let dose = patients::treat(
                        rng,
                        planned,
                        design.attendance,
                        design.adverse_per_session,
                    );
                    let p = patient_rate(source, rates[a], control_rate, dose.attended, planned);
                    x[a] += u64::from(patients::responds(rng, p));
                }
            }
            tally.reps += 1;
            let control = Binomial::new(x[0], n).unwrap_or(Binomial::new(0, n).expect("0 <= n"));
            for a in 1..arms {
                let arm = Binomial::new(x[a], n).unwrap_or(control);
                tally.difference[a].add(x[a] as i64 - x[0] as i64);
                let ci = stats::newcombe_hybrid(arm, control, level);
                if let Some(ci) = ci {
                    tally.width[a].add(ci.high - ci.low);
                }
                let favours = x[a] > x[0];
                let reject = match design.test {
                    Test::Fisher => {
                        favours
                            && fisher.as_ref().map_or_else(
                                || stats::fisher_exact_two_sided(arm, control),
                                |t| t.get(x[a], x[0]),
                            ) < design.alpha
                    }
                    Test::Newcombe => ci.is_some_and(|c| c.low > 0.0),
                    Test::Trend => false,
                };
                tally.rejections[a] += u64::from(reject);
            }
            if design.test == Test::Trend {
                let scored: Vec<ScoredArm> = design
                    .plans
                    .iter()
                    .zip(&x)
                    .filter_map(|(plan, &xa)| {
                        Binomial::new(xa, n).ok().map(|counts| ScoredArm {
                            counts,
                            score: f64::from(plan.minutes_per_week()),
                        })
                    })
                    .collect();
                if let Some(t) = stats::cochran_armitage(&scored) {
                    tally.trend_rejections += u64::from(t.z > 0.0 && t.p_two_sided < design.alpha);
                }
            }
            // The truly best treatment arm (by this replicate's rates), if unique.
            if arms > 2 {
                let best_rate = rates[1..].iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let best: Vec<usize> = (1..arms).filter(|&a| rates[a] == best_rate).collect();
                if best.len() == 1 {
                    tally.best_defined += 1;
                    let top = x[1..].iter().copied().max().unwrap_or(0);
                    let tied = (1..arms).filter(|&a| x[a] == top).count();
                    if x[best[0]] == top {
                        tally.best_first.add(1.0 / tied as f64);
                    }
                }
            }
        },
    )
}
