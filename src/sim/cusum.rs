//! The signalling threshold of the risk-adjusted CUSUM ([`crate::stats::cusum`]) for a stated
//! in-control average run length, and the run length it gives a unit that is worse, found by
//! simulation on the engine ([`super::runner`]).
//!
//! Why: the CUSUM's threshold `h` trades false alarms against speed of detection, and for a
//! risk-adjusted chart the run lengths depend on the case mix, so no table gives `h`. The
//! audit states the in-control average run length it wants (ARL₀, default 1,000 patients: one
//! false alarm per 1,000 patients of a unit performing as expected) and this module finds the
//! `h` that gives it for the cohort's case mix, then says how soon a unit whose odds of
//! non-response are `R_A` times the expected signals on average (ARL₁).
//!
//! **Patients.** An in-control patient's expected probability of response `p` is drawn with
//! replacement from the cohort's expected probabilities (the case mix), and the outcome is
//! non-response with probability `q = 1 − p`. An out-of-control patient is drawn the same way
//! but fails with probability `R q / (1 − q + R q)` (the odds of non-response times `R`).
//! Each patient takes two 64-bit words of the replicate's ChaCha8 stream: the case-mix index is
//! `⌊u·K/2⁶⁴⌋` (multiply-high; bias below `K/2⁶⁴`) and the outcome compares a 53-bit uniform
//! with `q` ([`super::patients::uniform01`]).
//!
//! **Run length.** A replicate's run length at `h` is the number of patients until the chart
//! (started at 0, no restart) first reaches `h`. Runs are cut at `cap = 50 × ARL₀` patients; a
//! cut run counts as `cap` (so a mean with cut runs is a lower bound) and the cut runs are
//! counted in the result.
//!
//! **Search (common random numbers).** Replicate `i` draws from ChaCha8 seeded with the seed on
//! stream `i`, whatever `h` is, so its path is the same for every `h` and its run length
//! `RL_i(h)` (the first patient with `X >= h`) is non-decreasing in `h`. One simulation of
//! replicate `i` up to a level `H` therefore gives `RL_i(h)` for every `h <= H` at once: each
//! time the path sets a new maximum, every grid point `h_j = 0.01·j` it passes gets the current
//! patient number. The estimated ARL₀ on the grid, the mean of `RL_i(h_j)` over replicates, is
//! non-decreasing in `j`, and the chosen `h` is the **smallest grid point whose estimated ARL₀
//! reaches the target** (so the estimate at `h` is at least the target, by at most one grid
//! step, about 1%). `H` starts at 2 and, while the estimate at `H` is below the target, grows
//! by the log-linear extrapolation of the ARL curve plus 0.25, and the replicates are run
//! again to the new `H` (the same paths, further); the answer does not depend on these steps.
//! Sums of run lengths are integers ([`super::tally::IntSum`]), so the result is bit-identical
//! for any number of threads.
//!
//! **Precision.** The MCSE of a mean run length is `SD/√R` (Morris, White & Crowther 2019).
//! Run lengths are roughly geometric, `SD ≈ ARL`, so `R` replicates give a relative MCSE of
//! about `1/√R`: the default 2,500 gives about 2%. ARL₁ is estimated at the chosen `h` from
//! four times as many out-of-control replicates (they are short; same seed, streams `0..4R`).
//! ARL₀ is the grid's estimate at the chosen point: the same replicates run again at that `h`
//! give the same run lengths (tested), so they are not run again.
//!
//! References: S. H. Steiner, R. J. Cook, V. T. Farewell & T. Treasure, "Monitoring surgical
//! performance using risk-adjusted cumulative sum charts", Biostatistics 1 (2000) 441-452 (the
//! chart, and `h` chosen for a stated ARL₀); the Markov-chain ARL of their appendix
//! (Brook & Evans, Biometrika 59 (1972) 539-549) is the independent check in
//! `tests/reference/cusum.py`. Steiner et al.'s own thresholds (their cardiac-surgery example)
//! belong to the Parsonnet-score case mix of their data, which is not available here, so they
//! are not used as a check.

use serde::{Deserialize, Serialize};

use super::Estimate;
use super::patients::uniform01;
use super::runner::{self, Merge, Shard};
use super::tally::IntSum;
use crate::stats::cusum::{self, CusumError, RiskAdjustedCusum};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Default in-control average run length, in patients.
pub const DEFAULT_TARGET_ARL: f64 = 1000.0;
/// Default replicates (relative MCSE of the ARL about `1/√2500` = 2%).
pub const DEFAULT_REPS: u64 = 2500;
/// ARL₁ is estimated from this many times the replicates of ARL₀: its runs are short (tens of
/// patients against a thousand), so a smaller MCSE costs little.
pub const ARL1_REPS_FACTOR: u64 = 4;
/// Runs are cut at this many times the target ARL₀.
pub const CAP_FACTOR: f64 = 50.0;
/// Spacing of the grid of thresholds the search chooses from.
pub const GRID_STEP: f64 = 0.01;
/// Smallest allowed target ARL₀.
pub const MIN_TARGET_ARL: f64 = 10.0;
/// Largest allowed target ARL₀.
pub const MAX_TARGET_ARL: f64 = 1.0e6;
/// Fewest replicates allowed (an MCSE needs a few).
pub const MIN_REPS: u64 = 100;
/// Largest threshold the search tries before it gives up.
pub const MAX_THRESHOLD: f64 = 50.0;
/// First level the replicates are run to.
const FIRST_LEVEL: f64 = 2.0;
/// Added to each extrapolated level so that the next run usually reaches the target.
const LEVEL_MARGIN: f64 = 0.25;

/// The threshold search that cannot be run; each message names the value and what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CusumSimError {
    /// A bad odds ratio or expected probability (from [`crate::stats::cusum`]).
    #[error(transparent)]
    Chart(#[from] CusumError),
    /// No expected probabilities to draw the case mix from.
    #[error("case mix: no expected probabilities of response; give at least one patient's")]
    EmptyCaseMix,
    /// The target ARL₀ is outside the allowed range.
    #[error(
        "target in-control run length {value}: must be a number from {MIN_TARGET_ARL} to \
         {MAX_TARGET_ARL} patients, e.g. 1000"
    )]
    TargetArl {
        /// The rejected target.
        value: f64,
    },
    /// Too few replicates.
    #[error("replicates {value}: must be at least {MIN_REPS}, e.g. {DEFAULT_REPS}")]
    Reps {
        /// The rejected count.
        value: u64,
    },
    /// The true odds ratio of a run-length estimate is not a finite number above 0.
    #[error("true odds ratio {value}: must be a finite number above 0 (1 for in control)")]
    TrueOddsRatio {
        /// The rejected odds ratio.
        value: f64,
    },
    /// The target was not reached below [`MAX_THRESHOLD`].
    #[error(
        "no threshold up to {MAX_THRESHOLD} reaches an in-control run length of {target} \
         patients (estimated {reached} at h = {MAX_THRESHOLD}); the case mix gives the chart \
         too little information per patient: ask for a shorter run length"
    )]
    OutOfReach {
        /// The target ARL₀.
        target: f64,
        /// The estimate at the largest threshold tried.
        reached: f64,
    },
}

/// What the threshold search needs, validated: the case mix, the alternative, the target, the
/// replicates and the seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdSpec {
    case_mix: Vec<f64>,
    odds_ratio: f64,
    target_arl: f64,
    reps: u64,
    seed: u64,
}

impl ThresholdSpec {
    /// Validates a threshold search: `case_mix` are the cohort's expected probabilities of
    /// response (each strictly between 0 and 1), `odds_ratio` the chart's alternative odds
    /// ratio of non-response (`R_A`, finite, above 0, not 1), `target_arl` the in-control
    /// average run length in patients.
    ///
    /// # Errors
    /// [`CusumSimError::EmptyCaseMix`], [`CusumSimError::Chart`] (a bad probability, naming the
    /// first, or a bad odds ratio), [`CusumSimError::TargetArl`] outside
    /// [`MIN_TARGET_ARL`]..=[`MAX_TARGET_ARL`], [`CusumSimError::Reps`] below [`MIN_REPS`].
    pub fn new(
        case_mix: &[f64],
        odds_ratio: f64,
        target_arl: f64,
        reps: u64,
        seed: u64,
    ) -> Result<ThresholdSpec, CusumSimError> {
        if case_mix.is_empty() {
            return Err(CusumSimError::EmptyCaseMix);
        }
        for (i, &p) in case_mix.iter().enumerate() {
            cusum::check_probability(i, p)?;
        }
        // Validates the odds ratio (any threshold will do here).
        RiskAdjustedCusum::new(odds_ratio, 1.0)?;
        if !(MIN_TARGET_ARL..=MAX_TARGET_ARL).contains(&target_arl) {
            return Err(CusumSimError::TargetArl { value: target_arl });
        }
        if reps < MIN_REPS {
            return Err(CusumSimError::Reps { value: reps });
        }
        Ok(ThresholdSpec {
            case_mix: case_mix.to_vec(),
            odds_ratio,
            target_arl,
            reps,
            seed,
        })
    }

    /// The alternative odds ratio `R_A`.
    #[must_use]
    pub fn odds_ratio(&self) -> f64 {
        self.odds_ratio
    }

    /// The target ARL₀.
    #[must_use]
    pub fn target_arl(&self) -> f64 {
        self.target_arl
    }

    /// Replicates.
    #[must_use]
    pub fn reps(&self) -> u64 {
        self.reps
    }

    /// The seed.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Where runs are cut: `⌈50 × ARL₀⌉` patients.
    #[must_use]
    pub fn cap(&self) -> u64 {
        (CAP_FACTOR * self.target_arl).ceil() as u64
    }
}

/// The average run length at one threshold and one true odds ratio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunLength {
    /// Mean patients until the first signal, with its MCSE (`SD/√R`); cut runs count as the cap.
    pub arl: Estimate,
    /// Runs cut at the cap before a signal.
    pub capped: u64,
}

/// The chosen threshold and what it gives, for the docs and the audit output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CusumThreshold {
    /// The signalling threshold `h`.
    pub threshold: f64,
    /// The alternative odds ratio of non-response `R_A` the chart is tuned to.
    pub odds_ratio: f64,
    /// The target in-control ARL, in patients.
    pub target_arl0: f64,
    /// The estimated in-control ARL at `threshold` (at least the target), runs cut.
    pub arl0: RunLength,
    /// The estimated ARL of a unit whose odds of non-response are `odds_ratio` times the
    /// expected, at `threshold`.
    pub arl1: RunLength,
    /// Where runs were cut, in patients.
    pub cap: u64,
    /// Replicates of the ARL₀ estimate (and of the search).
    pub replicates: u64,
    /// Replicates of the ARL₁ estimate ([`ARL1_REPS_FACTOR`] times as many: they are short).
    pub replicates_arl1: u64,
    /// The seed (replicate `i` uses stream `i`).
    pub seed: u64,
    /// The random-number generator and its crate version.
    pub generator: String,
}

/// The generator, named with its crate version (results are reproducible with these).
pub const GENERATOR: &str = "ChaCha8 (rand_chacha 0.10)";

/// The case mix prepared for the inner loop: per entry the failure probability the patients
/// are drawn with and the chart's two weights.
struct Mix {
    fail: Vec<f64>,
    weight_fail: Vec<f64>,
    weight_respond: Vec<f64>,
}

impl Mix {
    /// The mix of `spec` for patients whose true odds of non-response are `true_odds_ratio`
    /// times the expected.
    fn new(spec: &ThresholdSpec, true_odds_ratio: f64) -> Mix {
        let q: Vec<f64> = spec.case_mix.iter().map(|p| 1.0 - p).collect();
        let (weight_fail, weight_respond) = q
            .iter()
            .map(|&q| cusum::weights(spec.odds_ratio, q))
            .unzip();
        let fail = q
            .iter()
            .map(|&q| cusum::shifted_failure_probability(true_odds_ratio, q))
            .collect();
        Mix {
            fail,
            weight_fail,
            weight_respond,
        }
    }

    /// One patient's weight: a case-mix entry, then the outcome.
    #[inline]
    fn draw(&self, rng: &mut ChaCha8Rng) -> f64 {
        let k = ((u128::from(rng.next_u64()) * self.fail.len() as u128) >> 64) as usize;
        if uniform01(rng) < self.fail[k] {
            self.weight_fail[k]
        } else {
            self.weight_respond[k]
        }
    }
}

/// Per grid point `h_j`, the sum of the replicates' run lengths and the runs cut before `h_j`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct GridTally {
    sums: Vec<IntSum>,
    capped: Vec<u64>,
}

impl GridTally {
    fn sized(&mut self, len: usize) {
        if self.sums.len() < len {
            self.sums.resize(len, IntSum::default());
            self.capped.resize(len, 0);
        }
    }
}

impl Merge for GridTally {
    fn merge(&mut self, other: &Self) {
        self.sized(other.sums.len());
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            a.merge(b);
        }
        super::tally::add_counts(&mut self.capped, &other.capped);
    }
}

/// Grid point `j` (0-based): `h = 0.01 (j + 1)`.
fn grid_point(j: usize) -> f64 {
    (j + 1) as f64 * GRID_STEP
}

/// Runs every replicate until its chart reaches `grid_point(len − 1)` or the cap, recording
/// each grid point's run length.
fn run_grid(spec: &ThresholdSpec, mix: &Mix, len: usize, threads: usize) -> GridTally {
    let cap = spec.cap();
    let top = grid_point(len - 1);
    runner::run(
        spec.reps,
        spec.seed,
        Shard::ALL,
        threads,
        |_, rng, tally: &mut GridTally| {
            tally.sized(len);
            let mut x = 0.0f64;
            let mut reached = 0usize; // grid points reached so far
            let mut n = 0u64;
            while n < cap && x < top {
                n += 1;
                x = (x + mix.draw(rng)).max(0.0);
                while reached < len && x >= grid_point(reached) {
                    tally.sums[reached].add(n as i64);
                    reached += 1;
                }
            }
            for j in reached..len {
                tally.sums[j].add(cap as i64);
                tally.capped[j] += 1;
            }
        },
    )
}

/// Chooses the threshold for `spec`'s target ARL₀ (module documentation) and estimates ARL₀
/// and ARL₁ there. `threads` only changes the speed.
///
/// # Errors
/// [`CusumSimError::OutOfReach`] when no threshold up to [`MAX_THRESHOLD`] reaches the target.
pub fn choose_threshold(
    spec: &ThresholdSpec,
    threads: usize,
) -> Result<CusumThreshold, CusumSimError> {
    let mix = Mix::new(spec, 1.0);
    let max_len = (MAX_THRESHOLD / GRID_STEP).round() as usize;
    let mut len = (FIRST_LEVEL / GRID_STEP).round() as usize;
    let chosen = loop {
        let tally = run_grid(spec, &mix, len, threads);
        let arl = |j: usize| tally.sums[j].mean(spec.reps, 1.0).estimate;
        if let Some(j) = (0..len).find(|&j| arl(j) >= spec.target_arl) {
            let arl0 = RunLength {
                arl: tally.sums[j].mean(spec.reps, 1.0),
                capped: tally.capped[j],
            };
            break (grid_point(j), arl0);
        }
        let top = arl(len - 1);
        if len >= max_len {
            return Err(CusumSimError::OutOfReach {
                target: spec.target_arl,
                reached: top,
            });
        }
        // Slope of ln ARL over the upper half of the grid, kept from going flat.
        let mid = len / 2;
        let slope = ((top.ln() - arl(mid).ln()) / (grid_point(len - 1) - grid_point(mid))).max(0.2);
        let step = ((spec.target_arl.ln() - top.ln()) / slope + LEVEL_MARGIN).clamp(0.25, 4.0);
        len = (len + (step / GRID_STEP).ceil() as usize).min(max_len);
    };
    let (threshold, arl0) = chosen;
    let out_of_control = ThresholdSpec {
        reps: spec.reps * ARL1_REPS_FACTOR,
        ..spec.clone()
    };
    let arl1 = average_run_length(&out_of_control, threshold, spec.odds_ratio, threads)?;
    Ok(CusumThreshold {
        threshold,
        odds_ratio: spec.odds_ratio,
        target_arl0: spec.target_arl,
        arl0,
        arl1,
        cap: spec.cap(),
        replicates: spec.reps,
        replicates_arl1: out_of_control.reps,
        seed: spec.seed,
        generator: GENERATOR.to_owned(),
    })
}

/// Run-length tally at one threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct LengthTally {
    sum: IntSum,
    capped: u64,
}

impl Merge for LengthTally {
    fn merge(&mut self, other: &Self) {
        self.sum.merge(&other.sum);
        self.capped += other.capped;
    }
}

/// The average run length of the chart of `spec` with threshold `threshold` when the true odds
/// of non-response are `true_odds_ratio` times the expected (1: in control), over `spec`'s
/// replicates and seed, runs cut at `spec.cap()`.
///
/// # Errors
/// [`CusumSimError::Chart`] for a threshold that is not finite and above 0,
/// [`CusumSimError::TrueOddsRatio`] for a true odds ratio that is not finite and above 0.
pub fn average_run_length(
    spec: &ThresholdSpec,
    threshold: f64,
    true_odds_ratio: f64,
    threads: usize,
) -> Result<RunLength, CusumSimError> {
    RiskAdjustedCusum::new(spec.odds_ratio, threshold)?;
    if !(true_odds_ratio.is_finite() && true_odds_ratio > 0.0) {
        return Err(CusumSimError::TrueOddsRatio {
            value: true_odds_ratio,
        });
    }
    let mix = Mix::new(spec, true_odds_ratio);
    let cap = spec.cap();
    let tally: LengthTally = runner::run(
        spec.reps,
        spec.seed,
        Shard::ALL,
        threads,
        |_, rng, tally: &mut LengthTally| {
            let mut x = 0.0f64;
            let mut n = 0u64;
            while n < cap && x < threshold {
                n += 1;
                x = (x + mix.draw(rng)).max(0.0);
            }
            tally.sum.add(n as i64);
            tally.capped += u64::from(x < threshold);
        },
    );
    Ok(RunLength {
        arl: tally.sum.mean(spec.reps, 1.0),
        capped: tally.capped,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;

    /// The case mix of the tests (and of `tests/reference/cusum.py`): 40 expected
    /// probabilities of response from 0.15 to 0.75, evenly spaced.
    fn case_mix() -> Vec<f64> {
        (0..40).map(|k| 0.15 + 0.6 * f64::from(k) / 39.0).collect()
    }

    const SEED: u64 = 2014;

    fn spec() -> ThresholdSpec {
        ThresholdSpec::new(&case_mix(), 2.0, DEFAULT_TARGET_ARL, DEFAULT_REPS, SEED).unwrap()
    }

    /// The threshold of the default search, computed once for the tests that use it.
    fn chosen() -> &'static CusumThreshold {
        static CHOSEN: OnceLock<CusumThreshold> = OnceLock::new();
        CHOSEN.get_or_init(|| choose_threshold(&spec(), 2).unwrap())
    }

    /// SplitMix64 (Steele, Lea & Flood 2014): a generator of its own for the independent
    /// simulations, so they share neither streams nor code with the engine.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn uniform(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Mean and standard error of `runs` run lengths of the chart `(odds_ratio, h)` on patients
    /// drawn from the case mix (index `next % K`, modulo bias below 1e-17) who fail with
    /// probability `q` (odds times `true_or`), each run to the first signal, using the stats
    /// layer's chart weight. A plain loop, its own generator and seed.
    fn independent_arl(h: f64, true_or: f64, runs: u64, seed: u64) -> (f64, f64) {
        let chart = RiskAdjustedCusum::new(2.0, h).unwrap();
        let mix = case_mix();
        let mut rng = SplitMix(seed);
        let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
        for _ in 0..runs {
            let mut x = 0.0f64;
            let mut n = 0u64;
            while x < h {
                let p = mix[(rng.next() % mix.len() as u64) as usize];
                let q = 1.0 - p;
                let q_true = true_or * q / (1.0 - q + true_or * q);
                let responded = rng.uniform() >= q_true;
                x = (x + chart.weight(p, responded)).max(0.0);
                n += 1;
            }
            sum += n as f64;
            sum_sq += (n as f64) * (n as f64);
        }
        let r = runs as f64;
        let mean = sum / r;
        let var = (sum_sq - r * mean * mean) / (r - 1.0);
        (mean, (var / r).sqrt())
    }

    /// Standard errors between an estimate and the value it is checked against.
    const SE_MULTIPLE: f64 = 4.0;
    /// The criterion: the in-control run length within 10% of the target.
    const ARL0_REL: f64 = 0.10;
    /// Runs of the independent in-control simulation: SE about 1% of the ARL, so that with the
    /// search's own 2% the 10% criterion is more than 4 combined SEs (asserted).
    const INDEPENDENT_RUNS: u64 = 10_000;

    #[test]
    fn in_control_run_length_of_an_independent_simulation_is_within_ten_percent() {
        let c = chosen();
        let (mean, se) = independent_arl(c.threshold, 1.0, INDEPENDENT_RUNS, 0xD2EA_0001);
        let combined = se.hypot(c.arl0.arl.mcse);
        assert!(
            ARL0_REL * c.target_arl0 >= SE_MULTIPLE * combined,
            "the test cannot tell: 10% = {} < {SE_MULTIPLE} x {combined}",
            ARL0_REL * c.target_arl0
        );
        assert!(
            (mean - c.target_arl0).abs() <= ARL0_REL * c.target_arl0,
            "independent ARL0 {mean} (SE {se}) at h = {} is not within 10% of {}",
            c.threshold,
            c.target_arl0
        );
        // The search's own estimate is at least the target, and there were no cut runs.
        assert!(c.arl0.arl.estimate >= c.target_arl0, "{c:?}");
        assert_eq!(c.arl0.capped, 0);
    }

    #[test]
    fn out_of_control_run_length_of_an_independent_simulation_matches_arl1() {
        let c = chosen();
        let (mean, se) = independent_arl(c.threshold, 2.0, INDEPENDENT_RUNS, 0xD2EA_0002);
        let tol = SE_MULTIPLE * se.hypot(c.arl1.arl.mcse);
        assert!(
            (mean - c.arl1.arl.estimate).abs() <= tol,
            "independent ARL1 {mean} (SE {se}) vs {:?} (tolerance {tol})",
            c.arl1
        );
        // A doubling of the odds is caught far sooner than a false alarm comes.
        assert!(c.arl1.arl.estimate < c.target_arl0 / 5.0, "{c:?}");
    }

    #[test]
    fn threshold_does_not_depend_on_the_thread_count() {
        let one = choose_threshold(&spec(), 1).unwrap();
        assert_eq!(&one, chosen());
        // Nor on where the search started: a wider first run gives the same grid answer.
        let grid_len = (chosen().threshold / GRID_STEP).round() as usize + 100;
        let tally = run_grid(&spec(), &Mix::new(&spec(), 1.0), grid_len, 2);
        let first = (0..grid_len)
            .find(|&j| tally.sums[j].mean(DEFAULT_REPS, 1.0).estimate >= DEFAULT_TARGET_ARL)
            .unwrap();
        assert_eq!(grid_point(first).to_bits(), chosen().threshold.to_bits());
        assert_eq!(tally.sums[first].mean(DEFAULT_REPS, 1.0), chosen().arl0.arl);
        // The grid's run lengths are those of the plain chart run to that h.
        let again = average_run_length(&spec(), chosen().threshold, 1.0, 1).unwrap();
        assert_eq!(again, chosen().arl0);
    }

    /// Markov-chain values from `tests/reference/cusum.py` (numpy 2.4.6; Brook & Evans 1972 as
    /// in Steiner et al. 2000's appendix, lattice of M = 2000 and 4000 cells at h = 4,
    /// Richardson-extrapolated).
    const MARKOV_ARL0_AT_4: f64 = 1355.558112960842;
    const MARKOV_ARL1_AT_4: f64 = 68.55419752416765;
    /// The h with Markov-chain ARL0 = 1000 (same script, bisection on the extrapolation from
    /// M = 1000 and 2000), and d ln ARL0 / dh there.
    const MARKOV_H_FOR_1000: f64 = 3.718503475189209;
    const MARKOV_SLOPE: f64 = 1.1018;
    /// Allowance for the chain's discretisation: the extrapolation moves by 0.14% between
    /// lattices at h = 4 (script output); allowed 0.5%.
    const MARKOV_CHAIN_REL: f64 = 0.005;

    #[test]
    fn simulated_arl_matches_the_markov_chain() {
        let spec = ThresholdSpec::new(&case_mix(), 2.0, DEFAULT_TARGET_ARL, 10_000, 7).unwrap();
        for (true_or, reference) in [(1.0, MARKOV_ARL0_AT_4), (2.0, MARKOV_ARL1_AT_4)] {
            let got = average_run_length(&spec, 4.0, true_or, 2).unwrap();
            let tol = SE_MULTIPLE * got.arl.mcse + MARKOV_CHAIN_REL * reference;
            assert!(
                (got.arl.estimate - reference).abs() <= tol,
                "OR {true_or}: simulated {:?}, Markov chain {reference} (tolerance {tol})",
                got.arl
            );
        }
    }

    #[test]
    fn threshold_matches_the_markov_chain() {
        let c = chosen();
        // The chosen h is off the chain's by the ARL's MCSE (on the log scale, through the
        // slope), the grid step and the chain's discretisation.
        let tol = SE_MULTIPLE * (c.arl0.arl.mcse / c.arl0.arl.estimate) / MARKOV_SLOPE
            + GRID_STEP
            + MARKOV_CHAIN_REL / MARKOV_SLOPE;
        assert!(
            (c.threshold - MARKOV_H_FOR_1000).abs() <= tol,
            "h {} vs Markov chain {MARKOV_H_FOR_1000} (tolerance {tol})",
            c.threshold
        );
    }

    #[test]
    fn improvement_chart_gets_a_threshold_too() {
        let spec = ThresholdSpec::new(&case_mix(), 0.5, 200.0, MIN_REPS * 5, SEED).unwrap();
        let c = choose_threshold(&spec, 2).unwrap();
        assert!(
            c.arl0.arl.estimate >= 200.0 && c.arl1.arl.estimate < 200.0,
            "{c:?}"
        );
    }

    #[test]
    fn spec_is_validated_with_messages_naming_the_value() {
        let mix = case_mix();
        let err = |r: Result<ThresholdSpec, CusumSimError>| r.unwrap_err();
        assert_eq!(
            err(ThresholdSpec::new(&[], 2.0, 1000.0, 2500, 1)),
            CusumSimError::EmptyCaseMix
        );
        assert!(matches!(
            err(ThresholdSpec::new(&[0.5, 1.0], 2.0, 1000.0, 2500, 1)),
            CusumSimError::Chart(CusumError::Probability { index: 1, .. })
        ));
        assert!(matches!(
            err(ThresholdSpec::new(&mix, 1.0, 1000.0, 2500, 1)),
            CusumSimError::Chart(CusumError::OddsRatio { .. })
        ));
        for bad in [5.0, 2e6, f64::NAN] {
            let e = err(ThresholdSpec::new(&mix, 2.0, bad, 2500, 1));
            assert!(matches!(e, CusumSimError::TargetArl { .. }), "{e}");
        }
        let msg = err(ThresholdSpec::new(&mix, 2.0, 1000.0, 10, 1)).to_string();
        assert!(
            msg.contains("replicates 10") && msg.contains("100"),
            "{msg}"
        );
        let s = spec();
        assert!(matches!(
            average_run_length(&s, 4.0, 0.0, 1),
            Err(CusumSimError::TrueOddsRatio { .. })
        ));
        assert!(average_run_length(&s, -1.0, 1.0, 1).is_err());
        assert_eq!(s.cap(), 50_000);
    }
}
