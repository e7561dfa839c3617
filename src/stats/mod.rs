//! Pure numerics for responder analyses: confidence intervals for one proportion, for the
//! difference and the ratios of two proportions (closed-form, score and exact conditional),
//! Fisher's exact and Pearson's chi-square tests, the Cochran-Armitage trend test, multiplicity
//! adjustment, the number needed to treat in Altman's notation, funnel-plot limits and
//! overdispersion for comparing units with a benchmark, regression models for adjusted
//! risk and odds ratios, Welch's interval for a difference of means, the ratio of two means with
//! its delta-method error (cost-effectiveness ratios), and the descriptive statistics they rest
//! on.
//!
//! Why a module of its own: the analysis layer (DataFrames) and the simulator (millions of
//! replicates on plain counts) must compute the same numbers, so every formula lives here once,
//! on counts and slices, with no polars, no I/O and no printing. Inputs are validated when they
//! are constructed ([`Level::new`], [`Binomial::new`]); afterwards a function either returns a
//! number or `None` when the quantity does not exist for the data (for example a rate out of zero
//! trials). Each family sits in its own file, whose documentation gives the formula and the
//! published source, and whose tests compare against that source or against scipy/statsmodels/R
//! output with the versions written next to the expected literals.
//!
//! Accuracy of the underlying special functions was checked against scipy 1.17.1, mpmath and
//! R 4.2.2. statrs 0.19.1 is used where it is accurate (normal quantile; Student t quantile below
//! 1000 degrees of freedom). Where it is not, this module does better itself, as `special.rs`
//! explains: statrs' Student t quantile loses digits above about 1000 degrees of freedom
//! (relative error 3e-8 at df = 1800, 1e-4 at df = 2e5, 7% at df = 1e7), and its regularized
//! incomplete beta function stops its continued fraction after 140 terms (relative error 5e-5 at
//! a = b = 2e5), so exact binomial and hypergeometric tails (Clopper-Pearson, Fisher) are summed
//! here from Loader's (2000) saddle-point probabilities instead.

pub mod blaker;
pub mod chisq;
pub mod cusum;
pub mod descriptive;
pub mod difference;
pub mod exact_odds;
pub mod fisher;
pub mod funnel;
pub mod glm;
mod linalg;
pub mod margin;
pub mod multiplicity;
pub mod nnt;
pub mod poisson_binomial;
pub mod proportion;
pub mod ratio;
pub mod ratio_of_means;
pub mod scas;
pub mod score;
mod special;
pub mod stratified;
pub mod stratified_score;
pub mod trend;
pub mod welch;

pub use blaker::{BlakerOddsRatio, blaker_odds_ratio};
pub use chisq::{ChiSquare, pearson_chi_square};
pub use descriptive::{Moments, mean, sd};
pub use difference::{
    RdMethod, agresti_caffo, newcombe_hybrid, number_needed_to_treat, risk_difference,
    wald_difference,
};
pub use exact_odds::{ConditionalOddsRatio, odds_ratio_exact};
pub use fisher::{fisher_exact_two_sided, fisher_mid_p};
pub use multiplicity::{Multiplicity, adjust};
pub use nnt::{NntDisplay, altman};
pub use proportion::{clopper_pearson, wilson};
pub use ratio::{RatioEstimate, odds_ratio_woolf, risk_ratio_katz};
pub use scas::{scas_difference, scas_ratio};
pub use score::{miettinen_nurminen_difference, miettinen_nurminen_ratio};
pub use stratified::{Stratified, Stratum, mantel_haenszel};
pub use stratified_score::stratified_miettinen_nurminen;
pub use trend::{ScoredArm, TrendTest, cochran_armitage};
pub use welch::{MeanDifference, welch_from_moments, welch_interval};

/// Invalid input to a statistics constructor.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// The confidence level is not strictly between 0 and 1.
    #[error(
        "confidence level {level} is outside the open interval (0, 1); \
         give a fraction such as 0.95 for a 95% interval"
    )]
    LevelOutOfRange {
        /// The rejected level.
        level: f64,
    },
    /// More successes than trials.
    #[error(
        "{successes} successes out of {trials} trials: successes must be in 0..={trials}; \
         check that responders are counted within the arm's participants"
    )]
    SuccessesExceedTrials {
        /// The rejected number of successes.
        successes: u64,
        /// The number of trials.
        trials: u64,
    },
}

/// A two-sided confidence level, strictly between 0 and 1 (0.95 for a 95% interval).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize)]
#[serde(transparent)]
pub struct Level(f64);

impl Level {
    /// The conventional 95% level.
    pub const NINETY_FIVE: Level = Level(0.95);

    /// Validates a confidence level.
    ///
    /// # Errors
    /// [`StatsError::LevelOutOfRange`] unless `0 < level < 1` (NaN is rejected too).
    pub fn new(level: f64) -> Result<Level, StatsError> {
        if level > 0.0 && level < 1.0 {
            Ok(Level(level))
        } else {
            Err(StatsError::LevelOutOfRange { level })
        }
    }

    /// The level as a fraction, e.g. 0.95.
    #[must_use]
    pub fn value(self) -> f64 {
        self.0
    }

    /// Probability left in each tail, `(1 - level) / 2` (0.025 for 95%).
    pub(crate) fn tail(self) -> f64 {
        // 1 - level is exact for level >= 0.5 (Sterbenz), so levels close to 1 keep their digits.
        (1.0 - self.0) / 2.0
    }

    /// Two-sided standard normal quantile `z = Φ⁻¹(1 - (1 - level)/2)`, e.g. 1.959963984540054
    /// for 0.95. Computed from the upper tail, so levels close to 1 keep full precision.
    #[must_use]
    pub fn z(self) -> f64 {
        special::normal_upper_quantile(self.tail())
    }
}

/// Number of successes (responders) out of a number of trials (participants), with
/// `successes <= trials` guaranteed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Binomial {
    successes: u64,
    trials: u64,
}

impl Binomial {
    /// Validates a count of successes out of trials. Zero trials is allowed (an empty arm); the
    /// functions that need data then return `None`.
    ///
    /// # Errors
    /// [`StatsError::SuccessesExceedTrials`] when `successes > trials`.
    pub fn new(successes: u64, trials: u64) -> Result<Binomial, StatsError> {
        if successes > trials {
            Err(StatsError::SuccessesExceedTrials { successes, trials })
        } else {
            Ok(Binomial { successes, trials })
        }
    }

    /// Number of successes.
    #[must_use]
    pub fn successes(self) -> u64 {
        self.successes
    }

    /// Number of trials.
    #[must_use]
    pub fn trials(self) -> u64 {
        self.trials
    }

    /// Number of failures, `trials - successes`.
    #[must_use]
    pub fn failures(self) -> u64 {
        self.trials - self.successes
    }

    /// Observed rate `successes / trials`; `None` when there are no trials.
    #[must_use]
    pub fn rate(self) -> Option<f64> {
        (self.trials > 0).then(|| self.successes as f64 / self.trials as f64)
    }
}

/// A closed confidence interval `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    /// Lower limit.
    pub low: f64,
    /// Upper limit.
    pub high: f64,
}

impl Interval {
    /// Whether `x` lies in `[low, high]`.
    #[must_use]
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// Helpers shared by the unit tests of every family.
#[cfg(test)]
pub(crate) mod testing {
    /// Tolerance for values that must come out bit for bit (boundaries, exact round trips).
    pub(crate) const EXACT: f64 = 0.0;

    /// Panics unless `|actual - expected| <= tol`; `what` names the quantity in the message.
    #[track_caller]
    pub(crate) fn assert_abs(actual: f64, expected: f64, tol: f64, what: &str) {
        let err = (actual - expected).abs();
        assert!(
            err <= tol,
            "{what}: got {actual:e}, expected {expected:e} (abs error {err:e} > {tol:e})"
        );
    }

    /// The rows of a reference CSV written by a script in `tests/reference/` (header skipped;
    /// fields split on commas outside double quotes, quotes removed; `NA` kept as text).
    pub(crate) fn reference_rows(csv: &str) -> Vec<Vec<String>> {
        csv.lines()
            .skip(1)
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let mut fields = vec![String::new()];
                let mut quoted = false;
                for ch in line.trim_end_matches('\r').chars() {
                    match ch {
                        '"' => quoted = !quoted,
                        ',' if !quoted => fields.push(String::new()),
                        _ => fields.last_mut().expect("one field at least").push(ch),
                    }
                }
                fields
            })
            .collect()
    }

    /// A reference CSV number: `Inf` is infinity, `NA` is `None`.
    pub(crate) fn reference_number(field: &str) -> Option<f64> {
        match field {
            "NA" => None,
            "Inf" => Some(f64::INFINITY),
            "-Inf" => Some(f64::NEG_INFINITY),
            other => Some(other.parse().expect("a number in a reference CSV")),
        }
    }

    /// Panics unless `|actual - expected| <= tol * |expected|`.
    #[track_caller]
    pub(crate) fn assert_rel(actual: f64, expected: f64, tol: f64, what: &str) {
        let err = (actual - expected).abs();
        assert!(
            err <= tol * expected.abs(),
            "{what}: got {actual:e}, expected {expected:e} (rel error {:e} > {tol:e})",
            err / expected.abs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{EXACT, assert_rel};
    use super::*;

    /// scipy prints the quantile to 16 significant digits; allow a few ulps.
    const SCIPY_REL: f64 = 1e-14;

    #[test]
    fn level_accepts_open_unit_interval_only() {
        for ok in [1e-9, 0.5, 0.8, 0.95, 0.999_999] {
            let level = Level::new(ok).expect("valid level");
            assert_rel(level.value(), ok, EXACT, "value round-trips");
        }
        for bad in [0.0, 1.0, -0.1, 1.5, 95.0, f64::NAN, f64::INFINITY] {
            assert!(Level::new(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn level_error_names_value_and_range() {
        let msg = Level::new(95.0).unwrap_err().to_string();
        assert!(msg.contains("95"), "{msg}");
        assert!(msg.contains("(0, 1)"), "{msg}");
    }

    #[test]
    fn z_matches_scipy_norm_ppf() {
        // scipy 1.17.1: stats.norm.ppf(0.975) = 1.959963984540054
        assert_rel(
            Level::NINETY_FIVE.z(),
            1.959963984540054,
            SCIPY_REL,
            "z(0.95)",
        );
        // scipy 1.17.1: stats.norm.ppf(0.95) = 1.6448536269514722
        assert_rel(
            Level::new(0.90).unwrap().z(),
            1.6448536269514722,
            SCIPY_REL,
            "z(0.90)",
        );
        // scipy 1.17.1: stats.norm.ppf(0.995) = 2.5758293035489004
        assert_rel(
            Level::new(0.99).unwrap().z(),
            2.5758293035489004,
            SCIPY_REL,
            "z(0.99)",
        );
        // scipy 1.17.1: stats.norm.isf((1 - 0.999999) / 2) = 4.8916384756929325
        let extreme = Level::new(0.999_999).unwrap();
        assert_rel(extreme.z(), 4.8916384756929325, SCIPY_REL, "z(0.999999)");
    }

    #[test]
    fn binomial_validates_and_reports() {
        let b = Binomial::new(3, 10).unwrap();
        assert_eq!((b.successes(), b.trials(), b.failures()), (3, 10, 7));
        // 3/10 rounds to the double nearest 0.3, the same as the literal.
        assert_rel(b.rate().unwrap(), 0.3, EXACT, "rate");
        assert_eq!(Binomial::new(0, 0).unwrap().rate(), None);
        assert_eq!(
            Binomial::new(11, 10),
            Err(StatsError::SuccessesExceedTrials {
                successes: 11,
                trials: 10
            })
        );
        let msg = Binomial::new(11, 10).unwrap_err().to_string();
        assert!(msg.contains("11") && msg.contains("0..=10"), "{msg}");
    }
}
