//! Fisher's exact test of a dose arm against control on the 2×2 table of responders.
//!
//! Why exact: responder counts in small dose arms are far too small for the chi-squared
//! approximation, and the exact conditional test is what trial reports and regulators expect.
//! Why a careful implementation: the simulator calls it on cohorts of up to 4e5 participants per
//! arm, where visiting every table of the support (as R does) costs O(N) special-function calls
//! per test, and probabilities from plain log-gamma differences lose about 1e-9 relative.
//!
//! Conditioning on all margins, `X = x_t` is hypergeometric: with `m = x_t + x_c` responders
//! among `N = n_t + n_c` participants,
//!
//! ```text
//! P(X = k) = C(m, k) C(N − m, n_t − k) / C(N, n_t),   max(0, m − n_c) <= k <= min(m, n_t).
//! ```
//!
//! The two-sided p-value is that of R's `fisher.test`: the total probability of the tables
//! (same margins) whose probability is at most the observed one times `1 + 1e-7`, the relative
//! tolerance that keeps mathematically tied tables together despite rounding (scipy 1.17.1 uses
//! 1e-14 instead, so the two can differ on near-ties).
//!
//! Algorithm, O(log N) work plus at most 20,000 terms per tail: each probability comes from
//! Loader's saddle-point binomial probabilities (`P(X = k) = b(k; m, p) b(n_t − k; N − m, p) / b(n_t; N, p)` with
//! `p = n_t / N`, as in R's `dhyper`), accurate to about 1e-14 relative for any N. The
//! probabilities rise to the mode and fall after it (the distribution is log-concave), so the
//! set of tables at most as probable as the observed one is two tails, whose inner ends are
//! found by bisection on each side of the mode; each tail is summed outward from its largest
//! term with the ratio `P(k+1)/P(k) = (m − k)(n_t − k) / ((k + 1)(N − m − n_t + k + 1))` until
//! the terms are negligible, in log space so that p-values below 1e-308 underflow gracefully.
//! A tail that would need more than 20,000 terms (a standard deviation above about 2,000, i.e.
//! arms of tens of millions) is summed by Euler-Maclaurin instead (`special.rs`), so the cost
//! stays bounded for any counts up to the 2^52 per arm that `compare` accepts.
//!
//! References: R. A. Fisher, The Design of Experiments (1935), §2; A. Agresti, Categorical Data
//! Analysis, 2nd ed. (2002), §3.5; R `fisher.test` (stats package); C. Loader, "Fast and accurate
//! computation of binomial probabilities" (2000).

use super::Binomial;
use super::special::{
    LogConcave, cell_slopes, ln_binomial_pmf, ln_binomial_pmf_real, ln_decreasing_mass,
};

/// Relative tolerance for "at most as probable as the observed table" (R's `fisher.test`).
pub const RELATIVE_TIE_TOLERANCE: f64 = 1e-7;

/// The hypergeometric law of `x_t` given the margins.
pub(super) struct Hypergeometric {
    /// Responders in both arms, `m`.
    successes: u64,
    /// Non-responders in both arms, `N − m`.
    failures: u64,
    /// Participants in the treatment arm, `n_t`.
    draws: u64,
    /// Smallest possible `x_t`.
    pub(super) low: u64,
    /// Largest possible `x_t`.
    pub(super) high: u64,
}

impl Hypergeometric {
    pub(super) fn new(treatment: Binomial, control: Binomial) -> Hypergeometric {
        let successes = treatment.successes() + control.successes();
        let failures = treatment.failures() + control.failures();
        let draws = treatment.trials();
        Hypergeometric {
            successes,
            failures,
            draws,
            low: successes.saturating_sub(control.trials()),
            high: successes.min(draws),
        }
    }

    /// A most probable value, `⌊(n_t + 1)(m + 1)/(N + 2)⌋`, clamped to the support.
    pub(super) fn mode(&self) -> u64 {
        let total = self.successes + self.failures;
        let mode = (u128::from(self.draws) + 1) * (u128::from(self.successes) + 1)
            / (u128::from(total) + 2);
        // The quotient is at most min(n_t, m) + 1, so it fits in u64.
        u64::try_from(mode)
            .unwrap_or(self.high)
            .clamp(self.low, self.high)
    }

    /// `ln P(X = k)` for `k` in the support, via Loader's binomial probabilities.
    pub(super) fn ln_pmf(&self, k: u64) -> f64 {
        let total = self.successes + self.failures;
        let p = self.draws as f64 / total as f64;
        let q = (total - self.draws) as f64 / total as f64;
        ln_binomial_pmf(k, self.successes, p, q)
            + ln_binomial_pmf(self.draws - k, self.failures, p, q)
            - ln_binomial_pmf(self.draws, total, p, q)
    }

    /// `P(k−1)/P(k)`, for stepping down from `k > low`.
    pub(super) fn ratio_down(&self, k: u64) -> f64 {
        let (m, f, n) = (self.successes, self.failures, self.draws);
        // P(k−1)/P(k) = k (f − n + k) / ((m − k + 1)(n − k + 1)); f − n + k >= 1 above `low`.
        (k as f64 * (f + k - n) as f64) / ((m - k + 1) as f64 * (n - k + 1) as f64)
    }

    /// `P(k+1)/P(k)`, for stepping up from `k < high`.
    pub(super) fn ratio_up(&self, k: u64) -> f64 {
        let (m, f, n) = (self.successes, self.failures, self.draws);
        ((m - k) as f64 * (n - k) as f64) / ((k + 1) as f64 * (f + k + 1 - n) as f64)
    }

    /// `ln P(X = t)` at a real `t` strictly inside the support (the binomial probabilities of
    /// [`Hypergeometric::ln_pmf`] at real arguments), for Euler-Maclaurin sums.
    pub(super) fn ln_pmf_real(&self, t: f64) -> f64 {
        let total = self.successes + self.failures;
        let p = self.draws as f64 / total as f64;
        let q = (total - self.draws) as f64 / total as f64;
        ln_binomial_pmf_real(t, self.successes as f64, p, q)
            + ln_binomial_pmf_real(self.draws as f64 - t, self.failures as f64, p, q)
            - ln_binomial_pmf(self.draws, total, p, q)
    }

    /// `(d/dt, d²/dt²)` of `ln P(X = t) + t λ`: the four cells of the table at `x_t = t` are
    /// `t`, `m − t`, `n_t − t` and `N − m − n_t + t`.
    pub(super) fn slopes(&self, t: f64, lambda: f64) -> (f64, f64) {
        let (m, f, n) = (
            self.successes as f64,
            self.failures as f64,
            self.draws as f64,
        );
        cell_slopes(&[t, f - n + t], &[m - t, n - t], lambda)
    }

    /// `ln P(X <= end)`, summed downward from `end` (which must lie at or below the mode).
    fn ln_lower_tail(&self, end: u64) -> f64 {
        self.ln_pmf(end) + ln_decreasing_mass(self, end, self.low)
    }

    /// `ln P(X >= start)`, summed upward from `start` (which must lie at or above the mode).
    fn ln_upper_tail(&self, start: u64) -> f64 {
        self.ln_pmf(start) + ln_decreasing_mass(self, start, self.high)
    }
}

impl LogConcave for Hypergeometric {
    fn ln_term(&self, t: f64) -> f64 {
        self.ln_pmf_real(t)
    }
    fn ratio_up(&self, k: u64) -> f64 {
        Hypergeometric::ratio_up(self, k)
    }
    fn ratio_down(&self, k: u64) -> f64 {
        Hypergeometric::ratio_down(self, k)
    }
    fn slopes(&self, t: f64) -> (f64, f64) {
        Hypergeometric::slopes(self, t, 0.0)
    }
}

/// Bisection between `inside` (in the set) and `outside` (not in it), in either order, on a
/// stretch where membership changes once: returns the member next to the boundary.
fn boundary(mut inside: u64, mut outside: u64, in_set: impl Fn(u64) -> bool) -> u64 {
    while inside.abs_diff(outside) > 1 {
        let mid = inside.min(outside) + inside.abs_diff(outside) / 2;
        if in_set(mid) {
            inside = mid;
        } else {
            outside = mid;
        }
    }
    inside
}

/// Two-sided p-value of Fisher's exact test for the table
/// `[[x_t, n_t − x_t], [x_c, n_c − x_c]]`, as R's `fisher.test` computes it: the sum of the
/// hypergeometric probabilities of all tables with the observed margins whose probability is at
/// most the observed table's times `1 + 1e-7` (algorithm and references in the module
/// documentation).
///
/// Returns 1 when a margin is degenerate (an empty arm, no responders at all, or all
/// responders), since then only the observed table is possible. The result lies in `[0, 1]`; it
/// is 0 only when the true p-value is below the smallest positive double (about 5e-324).
#[must_use]
pub fn fisher_exact_two_sided(treatment: Binomial, control: Binomial) -> f64 {
    let law = Hypergeometric::new(treatment, control);
    if law.low >= law.high {
        return 1.0;
    }
    let observed = treatment.successes();
    let mode = law.mode();
    let threshold = law.ln_pmf(observed) + RELATIVE_TIE_TOLERANCE.ln_1p();
    let at_most_observed = |k: u64| law.ln_pmf(k) <= threshold;
    if at_most_observed(mode) {
        return 1.0;
    }
    // Left of the mode the probabilities rise, right of it they fall: each side's tail ends
    // where the set of tables at most as probable as the observed one ends.
    let left_end = at_most_observed(law.low).then(|| boundary(law.low, mode, at_most_observed));
    let right_start =
        at_most_observed(law.high).then(|| boundary(law.high, mode, at_most_observed));
    let lower = left_end.map_or(0.0, |end| law.ln_lower_tail(end).exp());
    let upper = right_start.map_or(0.0, |start| law.ln_upper_tail(start).exp());
    (lower + upper).clamp(0.0, 1.0)
}

/// The two-sided mid-p of Fisher's exact test: the probability of the tables less probable
/// than the observed one plus half that of the tables as probable as it (the observed table
/// and its ties within the relative tolerance [`RELATIVE_TIE_TOLERANCE`]), that is
/// [`fisher_exact_two_sided`] minus half the tied probability (Lancaster 1961; as R's
/// `exact2x2(..., tsmethod = "minlike", midp = TRUE)`). Less conservative than Fisher's p,
/// which is kept as the primary test. A degenerate table (one possible table) gives 0.5.
#[must_use]
pub fn fisher_mid_p(treatment: Binomial, control: Binomial) -> f64 {
    let law = Hypergeometric::new(treatment, control);
    if law.low >= law.high {
        return 0.5;
    }
    let observed = treatment.successes();
    let ln_observed = law.ln_pmf(observed);
    let tolerance = RELATIVE_TIE_TOLERANCE.ln_1p();
    let tied = |k: u64| (law.ln_pmf(k) - ln_observed).abs() <= tolerance;
    // The pmf is log-concave: tables tied with the observed one sit next to it or next to
    // where the other side's probabilities cross its level (found by bisection, as the tails
    // of the two-sided test are).
    let mode = law.mode();
    let threshold = ln_observed + tolerance;
    let at_most = |k: u64| law.ln_pmf(k) <= threshold;
    let mut candidates: Vec<u64> = Vec::new();
    let mut near = |k: u64| {
        for c in k.saturating_sub(2)..=k.saturating_add(2) {
            if (law.low..=law.high).contains(&c) && !candidates.contains(&c) {
                candidates.push(c);
            }
        }
    };
    near(observed);
    near(mode);
    if observed <= mode && at_most(law.high) {
        near(boundary(law.high, mode, at_most));
    }
    if observed >= mode && at_most(law.low) {
        near(boundary(law.low, mode, at_most));
    }
    let ties: f64 = candidates
        .iter()
        .filter(|&&k| tied(k))
        .map(|&k| law.ln_pmf(k).exp())
        .sum();
    (fisher_exact_two_sided(treatment, control) - 0.5 * ties).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::assert_rel;

    /// The references below are exact to the digits shown (mpmath at 50 digits, agreeing with
    /// R 4.2.2 to 1e-14); the tail sums here are accurate to a few units in 1e-14.
    const REFERENCE_REL: f64 = 1e-12;
    /// scipy 1.17.1 itself is 7.7e-11 off the exact value on the 4e5-per-arm table.
    const SCIPY_REL: f64 = 2e-10;
    /// Arms of 10^6 to 10^8: the references are float64 sums of up to 6e5 terms (about 1e-12
    /// each way) and scipy, which is 1e-10 off at 4e5 per arm (above); Euler-Maclaurin here
    /// is within 1e-12 of the term-by-term sum.
    const LARGE_REL: f64 = 1e-9;
    /// A p-value of 1 summed from both tails: rounding of the sum only.
    const ROUNDING_REL: f64 = 1e-15;
    /// Swapped or flipped tables are the same law walked in the other direction: the tails are
    /// summed in another order, a few ulps apart.
    const SYMMETRY_REL: f64 = 1e-12;

    fn bin(x: u64, n: u64) -> Binomial {
        Binomial::new(x, n).expect("valid counts")
    }

    fn fisher(xt: u64, nt: u64, xc: u64, nc: u64) -> f64 {
        fisher_exact_two_sided(bin(xt, nt), bin(xc, nc))
    }

    /// mpmath at 50 digits over every table of the support, with R's tie tolerance
    /// (`tests/reference/fisher_midp.py`): exact ties on the other side (3/10 vs 7/10, 5/12 vs
    /// 5/12), a zero cell, and a large table.
    #[test]
    fn mid_p_matches_exact_sums() {
        let cases: [(u64, u64, u64, u64, f64); 7] = [
            (3, 10, 7, 10, 0.10095477278139817),
            (24, 38, 10, 38, 0.0014595699910061651),
            (1, 9, 11, 14, 0.0015479876160990713),
            (5, 12, 5, 12, 0.8400861488760264),
            (0, 20, 6, 20, 0.010098010098010098),
            (12, 38, 10, 38, 0.6246057190632768),
            (40, 400, 61, 410, 0.03826342292401887),
        ];
        for (xt, nt, xc, nc, want) in cases {
            let got = fisher_mid_p(bin(xt, nt), bin(xc, nc));
            assert_rel(got, want, REFERENCE_REL, &format!("{xt}/{nt} vs {xc}/{nc}"));
            assert!(got < fisher(xt, nt, xc, nc));
        }
        assert_eq!(fisher_mid_p(bin(0, 0), bin(3, 5)), 0.5);
    }

    #[test]
    fn tea_tasting() {
        // Fisher (1935) lady tasting tea, table [[3, 1], [1, 3]]: two-sided P = 0.486
        // (Agresti 2002, §3.5); exactly 34/70 = 0.4857142857142857.
        assert_rel(
            fisher(3, 4, 1, 4),
            34.0 / 70.0,
            REFERENCE_REL,
            "tea tasting",
        );
    }

    #[test]
    fn matches_exact_sums_r_and_scipy() {
        // (x_t, n_t, x_c, n_c, exact, scipy) where
        // exact: mpmath 1.4.1 at 50 digits (tests/reference/fisher.py): w = the probabilities of
        //        the whole support by exact recurrence from the lowest k,
        //        p = sum(w[k] for k if w[k] <= w[x_t] * (1 + 1e-7))
        //        / sum(w); R 4.2.2 `fisher.test(matrix(c(xt, xc, nt - xt, nc - xc), 2))$p.value`
        //        agrees to 1e-14;
        // scipy: 1.17.1 `stats.fisher_exact([[xt, nt - xt], [xc, nc - xc]]).pvalue`.
        let cases = [
            // Newcombe (1998b) example (a)
            (56, 70, 48, 80, 0.012521129749209154, 0.012521129749209154),
            // Fagerland et al. (2015) example
            (7, 34, 1, 34, 0.05440013049506565, 0.054400130495065674),
            // Newcombe (1998b) example (d)
            (5, 56, 0, 29, 0.16062144320947107, 0.1606214432094711),
            // 4e5 per arm: R agrees (0.063663845293486648), scipy is 7.7e-11 off
            (
                40_500,
                400_000,
                40_000,
                400_000,
                0.06366384529348665,
                0.06366384529839522,
            ),
            // tiny p, far tails
            (
                100,
                100,
                0,
                100,
                2.2087606931995026e-59,
                2.208760693199503e-59,
            ),
            // rare events in huge arms
            (
                3,
                400_000,
                15,
                400_000,
                0.0075371997969680545,
                0.007537199796992738,
            ),
        ];
        for (xt, nt, xc, nc, exact, scipy) in cases {
            let got = fisher(xt, nt, xc, nc);
            let what = format!("{xt}/{nt} vs {xc}/{nc}");
            assert_rel(got, exact, REFERENCE_REL, &what);
            assert_rel(got, scipy, SCIPY_REL, &format!("{what} (scipy)"));
        }
    }

    #[test]
    fn exact_ties_on_the_other_side_are_counted() {
        // With equal arms P(X = k) = P(X = m − k) exactly, so the observed table ties with its
        // mirror image and both tails count.
        // [[3, 7], [7, 3]]: R 4.2.2 `fisher.test(matrix(c(3, 7, 7, 3), 2))$p.value`
        // = 0.1788954079975755; mpmath (as above) 0.17889540799757518. One tail alone would be
        // half of it.
        assert_rel(
            fisher(3, 10, 7, 10),
            0.17889540799757518,
            REFERENCE_REL,
            "[[3,7],[7,3]]",
        );
        // 1200/10000 vs 1100/10000 ties with 1100/10000 vs 1200/10000, but the two
        // log-probabilities are computed along different paths and differ by rounding: with an
        // exact `<=` (tolerance 0) this returned 0.02667880490955958, one tail short. Exact
        // (mpmath as above) 0.028195420289300322; R 4.2.2 0.028195420289300329; scipy 1.17.1
        // 0.028195420289300294.
        let p = fisher(1_200, 10_000, 1_100, 10_000);
        assert_rel(
            p,
            0.028195420289300322,
            REFERENCE_REL,
            "1200/10000 vs 1100/10000",
        );
        // Larger symmetric tables: mpmath (as above) 0.00488735267920006, equal to scipy
        // 1.17.1 `2 * stats.hypergeom.cdf(4900, 20000, 10000, 10000)` (0.004887352679200073).
        let p = fisher(4_900, 10_000, 5_100, 10_000);
        assert_rel(
            p,
            0.00488735267920006,
            REFERENCE_REL,
            "[[4900,5100],[5100,4900]]",
        );
    }

    #[test]
    fn near_ties_follow_r_not_scipy() {
        // Tables where another table is more probable than the observed one by a relative
        // 6e-9..8e-8 (exact rational arithmetic, Python fractions): R's tolerance (1e-7) counts
        // its tail, scipy's (1e-14) does not, and the p-values differ a lot.
        // (x_t, n_t, x_c, n_c, exact as above, R 4.2.2, scipy 1.17.1 for contrast)
        let cases = [
            // P(X = 4) = P(X = 22) (1 + 7.43e-8)
            (
                22,
                32,
                134,
                360,
                0.001030930196069846,
                0.0010309301960698461,
                0.000625041267090269,
            ),
            // P(X = 14) = P(X = 18) (1 + 6.16e-9)
            (
                18,
                35,
                233,
                513,
                0.5994820466422575,
                0.5994820466422575,
                0.49021504810280403,
            ),
            // P(X = 23) = P(X = 8) (1 + 7.66e-8)
            (
                8,
                36,
                207,
                466,
                0.013368824774694585,
                0.013368824774694588,
                0.008946307887283391,
            ),
        ];
        for (xt, nt, xc, nc, exact, r, scipy) in cases {
            let got = fisher(xt, nt, xc, nc);
            let what = format!("{xt}/{nt} vs {xc}/{nc}");
            assert_rel(got, exact, REFERENCE_REL, &what);
            assert_rel(got, r, REFERENCE_REL, &format!("{what} (R)"));
            assert!(
                (got - scipy).abs() > 0.1 * scipy,
                "{what}: scipy's rule differs"
            );
        }
    }

    #[test]
    fn large_tables_match_independent_sums() {
        // tests/reference/compare_large_counts.py ("fisher window": mpmath 1.3.0 log-weights at
        // 40 digits, numpy 2.4.6 float64 sum over +-60 sd with R's tie tolerance) and scipy
        // 1.17.1 `stats.fisher_exact` where it runs. The second table's tails have thousands of
        // terms each, the third's sd is 5,000 (Euler-Maclaurin side).
        // (x_t, n_t, x_c, n_c, window sum, scipy or NaN)
        let cases = [
            (
                500_300,
                1_000_000,
                500_000,
                1_000_000,
                0.6724048072197641,
                0.672404807297563,
            ),
            (
                250_000,
                1_000_000,
                249_000,
                1_000_000,
                0.10258468428597829,
                0.10258468428906369,
            ),
            (
                50_010_000,
                100_000_000,
                50_000_000,
                100_000_000,
                0.15734071970258584,
                f64::NAN,
            ),
        ];
        for (xt, nt, xc, nc, window, scipy) in cases {
            let got = fisher(xt, nt, xc, nc);
            let what = format!("{xt}/{nt} vs {xc}/{nc}");
            assert_rel(got, window, LARGE_REL, &what);
            if scipy.is_finite() {
                assert_rel(got, scipy, LARGE_REL, &format!("{what} (scipy)"));
            }
        }
    }

    #[test]
    fn huge_tables_are_fast_and_in_range() {
        // Arms of 2^52 (the `compare` limit): sd about 3e7, far beyond term-by-term sums.
        let n = 1_u64 << 52;
        let start = std::time::Instant::now();
        let p = fisher(n / 2 + 100_000_000, n, n / 2, n);
        assert!((0.0..=1.0).contains(&p), "p = {p}");
        let near = fisher(n / 2 + 1, n, n / 2, n);
        assert!(near > 0.99 && near <= 1.0, "p = {near}");
        assert!(start.elapsed().as_secs_f64() < 1.0, "{:?}", start.elapsed());
    }

    #[test]
    fn observed_at_the_mode_gives_one() {
        // The observed table is the most probable one: every table counts.
        assert_rel(fisher(5, 10, 5, 10), 1.0, ROUNDING_REL, "mode");
        assert_rel(fisher(1, 2, 0, 1), 1.0, ROUNDING_REL, "tiny");
    }

    #[test]
    fn degenerate_margins_give_one() {
        for (xt, nt, xc, nc) in [(0, 10, 0, 20), (10, 10, 20, 20), (0, 0, 3, 5), (3, 5, 0, 0)] {
            assert_rel(
                fisher(xt, nt, xc, nc),
                1.0,
                0.0,
                &format!("{xt}/{nt} vs {xc}/{nc}"),
            );
        }
    }

    #[test]
    fn underflowing_p_is_zero_not_nan() {
        // 2 / C(4000, 2000) is about 1e-1203: below the smallest double.
        let p = fisher(2_000, 2_000, 0, 2_000);
        assert!((0.0..=f64::MIN_POSITIVE).contains(&p), "p = {p}");
    }

    #[test]
    fn fast_on_million_participant_cohorts() {
        // Ten calls on 4e5 per arm must take milliseconds. Visiting the whole support (8e5
        // tables) with four log-gamma calls each, as R does, costs about 1.5 s per call in this
        // unoptimised test build (measured: 1.6e6 statrs ln_gamma calls take 0.78 s); the bound
        // is loose to stay robust on a busy CI.
        let start = std::time::Instant::now();
        let mut total = 0.0;
        for shift in 0..10 {
            total += fisher(40_000 + 50 * shift, 400_000, 40_000, 400_000);
        }
        let elapsed = start.elapsed();
        assert!(total > 0.0);
        assert!(elapsed.as_millis() < 500, "10 calls took {elapsed:?}");
    }

    #[test]
    fn properties_over_a_grid() {
        let sizes = [1_u64, 2, 5, 13, 40, 300];
        for &nt in &sizes {
            for &nc in &sizes {
                for xt in (0..=nt).step_by((nt / 6).max(1) as usize) {
                    for xc in (0..=nc).step_by((nc / 6).max(1) as usize) {
                        let what = format!("{xt}/{nt} vs {xc}/{nc}");
                        let p = fisher(xt, nt, xc, nc);
                        assert!(p > 0.0 && p <= 1.0, "{what}: p = {p}");
                        // The test does not depend on which arm is called treatment, nor on
                        // whether responders or non-responders are counted.
                        assert_rel(
                            fisher(xc, nc, xt, nt),
                            p,
                            SYMMETRY_REL,
                            &format!("{what} swap"),
                        );
                        let flipped = fisher(nt - xt, nt, nc - xc, nc);
                        assert_rel(flipped, p, SYMMETRY_REL, &format!("{what} flip"));
                    }
                }
            }
        }
    }
}
