//! The Poisson-binomial distribution: the number of responders among patients who each respond
//! independently with their own probability `p_i`, and the exact funnel limits of a unit whose
//! patients' expected probabilities come from a case-mix model.
//!
//! Why: with case-mix adjustment every patient has an expected probability of responding, so a
//! unit's responder count under the benchmark is a sum of Bernoulli variables with unequal
//! probabilities, not a binomial. Its exact limits are quantiles of that sum; the binomial
//! limits of [`super::funnel`] are the special case of equal probabilities (and this module
//! gives the same limits then, which a test checks).
//!
//! * **Distribution** by adding one patient at a time, `P_j(k) = P_{j−1}(k)(1 − p_j) +
//!   P_{j−1}(k − 1) p_j` (the direct convolution; Hong 2013, §2, calls it the recursive
//!   formula): every term is a sum of non-negative products, so the probabilities keep their
//!   relative accuracy (no cancellation, unlike the Fourier inversion of the characteristic
//!   function). To keep the cost near `n^1.5` instead of `n²`, after each patient the counts
//!   farther than `t_j = √(j ln(2/ε) / 2)` from the running mean are dropped: by Hoeffding's
//!   inequality each drop removes at most `ε = 1e-30` of probability, so the whole
//!   distribution is exact to `n·1e-30`, far below the 0.001 tails the limits use.
//! * **Limits**: Spiegelhalter's interpolated exact limits (funnel.rs, his Appendix A.1.1) with
//!   the Poisson-binomial CDF in place of the binomial one: `r_P` is the smallest count with
//!   `F(r_P) >= P` and `α = (F(r_P) − P) / P(R = r_P)`; the lower limit (`P < 0.5`) is
//!   `r_P − α` and the upper limit `r_P + 1 − α`, as counts. Dividing by the unit's expected
//!   count `E = Σ p_i` puts them on the observed/expected scale of the case-mix funnel. A count
//!   is below the lower limit exactly when the one-sided exact test rejects at `P`.
//!
//! References: Y. Hong, "On computing the distribution function for the Poisson binomial
//! distribution", Computational Statistics & Data Analysis 59 (2013) 41-51; W. Hoeffding,
//! JASA 58 (1963) 13-30; D. J. Spiegelhalter, Statistics in Medicine 24 (2005) 1185-1202.

/// Probability each truncation may drop (module documentation).
const DROPPED_PER_PATIENT: f64 = 1e-30;

/// The distribution of a sum of independent Bernoulli variables.
#[derive(Debug, Clone, PartialEq)]
pub struct PoissonBinomial {
    /// The count of `pmf[0]`.
    offset: usize,
    /// `P(R = offset + k)`; counts outside the window have probability below the truncation.
    pmf: Vec<f64>,
    /// Number of patients.
    n: usize,
    /// `Σ p_i`.
    mean: f64,
}

impl PoissonBinomial {
    /// The distribution of the number of successes among independent trials with success
    /// probabilities `p`. `None` when a probability is not in `[0, 1]`.
    #[must_use]
    pub fn new(p: &[f64]) -> Option<PoissonBinomial> {
        if p.iter().any(|q| !(0.0..=1.0).contains(q)) {
            return None;
        }
        let half_width = |j: usize| (j as f64 * (2.0 / DROPPED_PER_PATIENT).ln() / 2.0).sqrt();
        let mut offset = 0usize;
        let mut pmf = vec![1.0f64];
        // The next distribution is built beside the current one (a zip of two slices, which
        // the compiler vectorises; updating in place carries a dependence from k − 1 to k).
        let mut next: Vec<f64> = Vec::new();
        let mut mean = 0.0f64;
        for (j, &q) in p.iter().enumerate() {
            // One more patient: each count k gains P(k − 1) q and keeps P(k)(1 − q).
            next.clear();
            next.push(pmf[0] * (1.0 - q));
            next.extend(
                pmf[1..]
                    .iter()
                    .zip(&pmf[..pmf.len() - 1])
                    .map(|(stay, up)| stay * (1.0 - q) + up * q),
            );
            next.push(pmf[pmf.len() - 1] * q);
            std::mem::swap(&mut pmf, &mut next);
            mean += q;
            // Drop the counts beyond the Hoeffding window around the running mean.
            let t = half_width(j + 1);
            let low = (mean - t).ceil().max(0.0) as usize;
            let high = (mean + t).floor() as usize;
            let keep_from = low.saturating_sub(offset).min(pmf.len() - 1);
            let keep_to = (high.saturating_sub(offset) + 1).clamp(keep_from + 1, pmf.len());
            if keep_to < pmf.len() {
                pmf.truncate(keep_to);
            }
            if keep_from > 0 {
                pmf.drain(..keep_from);
                offset += keep_from;
            }
        }
        Some(PoissonBinomial {
            offset,
            pmf,
            n: p.len(),
            mean,
        })
    }

    /// Number of trials.
    #[must_use]
    pub fn trials(&self) -> usize {
        self.n
    }

    /// `Σ p_i`, the expected count.
    #[must_use]
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// `P(R = k)`.
    #[must_use]
    pub fn pmf(&self, k: usize) -> f64 {
        k.checked_sub(self.offset)
            .and_then(|i| self.pmf.get(i))
            .copied()
            .unwrap_or(0.0)
    }

    /// `P(R <= k)`, summed from the lower end (accurate in the lower tail).
    #[must_use]
    pub fn cdf(&self, k: usize) -> f64 {
        if k >= self.offset + self.pmf.len() - 1 {
            return 1.0;
        }
        k.checked_sub(self.offset)
            .map_or(0.0, |i| self.pmf[..=i].iter().sum::<f64>().min(1.0))
    }

    /// `P(R > k)`, summed from the upper end (accurate in the upper tail).
    #[must_use]
    pub fn sf(&self, k: usize) -> f64 {
        match k.checked_sub(self.offset) {
            None => 1.0,
            Some(i) if i + 1 >= self.pmf.len() => 0.0,
            Some(i) => self.pmf[i + 1..].iter().sum::<f64>().min(1.0),
        }
    }

    /// Spiegelhalter's interpolated exact limit at cumulative probability `prob`, as a count
    /// (module documentation): a lower limit for `prob < 0.5`, an upper one otherwise. `None`
    /// unless `0 < prob < 1` and there is at least one trial.
    #[must_use]
    pub fn limit(&self, prob: f64) -> Option<f64> {
        if self.n == 0 || !(prob > 0.0 && prob < 1.0) {
            return None;
        }
        let excess = |r: usize| {
            if prob < 0.5 {
                self.cdf(r) - prob
            } else {
                (1.0 - prob) - self.sf(r)
            }
        };
        // Searched over the window (F is 1 at its top).
        let top = self.offset + self.pmf.len() - 1;
        Some(super::funnel::interpolated_limit(
            self.offset as u64,
            top as u64,
            prob,
            |r| excess(r as usize),
            |r| self.pmf(r as usize),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::funnel::{binomial_pmf, exact_limit};
    use crate::stats::testing::reference_rows;

    /// What the window may drop: at most 1e-30 per patient (module documentation), so below
    /// 1e-25 for the sets tested; a probability far beyond the window reads 0 (the exact one
    /// of 300 patients at 0 responders is 1e-144).
    const TRUNCATION_TOLERANCE: f64 = 1e-25;

    /// Equal probabilities give the binomial distribution and Spiegelhalter's binomial limits
    /// (funnel.rs, itself checked against R and his code). Tolerance: 1e-12 relative plus
    /// [`TRUNCATION_TOLERANCE`] absolute on probabilities, 1e-9 on limits (the binomial's
    /// tails are summed otherwise).
    #[test]
    fn equal_probabilities_are_the_binomial() {
        for &(n, p) in &[
            (1usize, 0.3),
            (10, 0.5),
            (57, 0.62),
            (400, 0.05),
            (3000, 0.6),
        ] {
            let d = PoissonBinomial::new(&vec![p; n]).unwrap();
            for k in 0..=n {
                let (a, b) = (d.pmf(k), binomial_pmf(k as u64, n as u64, p));
                assert!(
                    (a - b).abs() <= 1e-12 * b + TRUNCATION_TOLERANCE,
                    "n {n} p {p} k {k}: {a} vs {b}"
                );
            }
            for prob in [0.001, 0.025, 0.975, 0.999] {
                let ours = d.limit(prob).unwrap() / n as f64;
                let binomial = exact_limit(n as u64, p, prob).unwrap();
                assert!(
                    (ours - binomial).abs() < 1e-9,
                    "n {n} p {p} prob {prob}: {ours} vs {binomial}"
                );
            }
        }
    }

    /// The probability set `n:a:b:m:q` of the reference script: `p_i = a + b((i m mod q)/q)`.
    fn probabilities(spec: &str) -> Vec<f64> {
        let f: Vec<&str> = spec.split(':').collect();
        let (n, a, b): (usize, f64, f64) = (
            f[0].parse().unwrap(),
            f[1].parse().unwrap(),
            f[2].parse().unwrap(),
        );
        let (m, q): (usize, usize) = (f[3].parse().unwrap(), f[4].parse().unwrap());
        (0..n)
            .map(|i| a + b * (((i * m) % q) as f64 / q as f64))
            .collect()
    }

    /// Against exact rational arithmetic (Python `fractions`, tests/reference/
    /// poisson_binomial.py writes data/poisson_binomial.csv: the CDF at chosen counts and the
    /// four limits, for probability sets of 1 to 2,000 patients). Tolerances: 1e-12 relative plus
    /// [`TRUNCATION_TOLERANCE`] absolute on the CDF and survival function, 1e-9 absolute on
    /// the limits (counts).
    #[test]
    fn matches_exact_rational_arithmetic() {
        let rows = reference_rows(include_str!(
            "../../tests/reference/data/poisson_binomial.csv"
        ));
        assert!(rows.len() >= 40, "{} rows", rows.len());
        let column = |key: &str| {
            [
                "set", "k", "cdf", "sf", "low_998", "low_95", "high_95", "high_998",
            ]
            .iter()
            .position(|c| *c == key)
            .unwrap()
        };
        for row in rows {
            let p = probabilities(&row[0]);
            let d = PoissonBinomial::new(&p).unwrap();
            let k: usize = row[1].parse().unwrap();
            let num = |key: &str| row[column(key)].parse::<f64>().unwrap();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b + TRUNCATION_TOLERANCE;
            assert!(close(d.cdf(k), num("cdf")), "{row:?}: cdf {}", d.cdf(k));
            assert!(close(d.sf(k), num("sf")), "{row:?}: sf {}", d.sf(k));
            for (prob, key) in [
                (0.001, "low_998"),
                (0.025, "low_95"),
                (0.975, "high_95"),
                (0.999, "high_998"),
            ] {
                let ours = d.limit(prob).unwrap();
                assert!((ours - num(key)).abs() < 1e-9, "{row:?}: {key} {ours}");
            }
        }
    }

    /// The truncation drops nothing that matters: the kept probabilities add to 1 within 1e-12
    /// for a large unit of unequal probabilities.
    #[test]
    fn the_window_keeps_the_whole_distribution() {
        let p: Vec<f64> = (0..50_000)
            .map(|i| 0.2 + 0.6 * f64::from(i % 97) / 96.0)
            .collect();
        let d = PoissonBinomial::new(&p).unwrap();
        let total: f64 = d.pmf.iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert!(d.pmf.len() < 5_000, "window {}", d.pmf.len());
        assert!(PoissonBinomial::new(&[0.5, 1.5]).is_none());
        assert!(PoissonBinomial::new(&[f64::NAN]).is_none());
    }

    /// Certain outcomes: probabilities of 0 and 1 give a point mass.
    #[test]
    fn certain_outcomes() {
        let d = PoissonBinomial::new(&[1.0, 0.0, 1.0]).unwrap();
        assert_eq!(d.pmf(2), 1.0);
        assert_eq!(d.cdf(1), 0.0);
        assert_eq!(d.sf(1), 1.0);
        assert_eq!(d.cdf(2), 1.0);
    }
}
