//! Confidence intervals for a single proportion (the responder rate of one arm).
//!
//! Why two methods: the Wilson score interval is the default for reporting, because its coverage
//! is close to nominal even for small arms and rates near 0 or 1 where the Wald interval fails
//! (Newcombe 1998a, method 3; Agresti & Coull 1998); it is also the building block of Newcombe's
//! interval for a difference ([`crate::stats::newcombe_hybrid`]). The Clopper-Pearson interval
//! (Newcombe 1998a, method 5) guarantees at least nominal coverage and is what regulators often
//! ask for as the "exact" interval.
//!
//! References: R. G. Newcombe, "Two-sided confidence intervals for the single proportion:
//! comparison of seven methods", Statistics in Medicine 17 (1998) 857-872; E. B. Wilson,
//! JASA 22 (1927) 209-212; C. J. Clopper & E. S. Pearson, Biometrika 26 (1934) 404-413.

use super::special::{binomial_upper_tail, ln_binomial_pmf, normal_upper_quantile};
use super::{Binomial, Interval, Level};

/// Wilson score interval for `x` successes out of `n` trials.
///
/// With `z` the two-sided normal quantile of `level` and `s = √(z² + 4x(n−x)/n)`:
///
/// ```text
/// low  = 2x² / (n (2x + z² + z s))          (= (2x + z² − z s) / (2(n + z²)), rationalized)
/// high = (2x + z² + z s) / (2 (n + z²))
/// ```
///
/// The rationalized lower limit avoids cancellation for small `x`. The limits are exactly 0 at
/// `x = 0` and exactly 1 at `x = n`, and always lie in `[0, 1]`.
///
/// Returns `None` when `n = 0` (there is no rate to bound).
#[must_use]
pub fn wilson(b: Binomial, level: Level) -> Option<Interval> {
    if b.trials() == 0 {
        return None;
    }
    let (low, high) = wilson_limits(b.successes(), b.trials(), level.z());
    Some(Interval { low, high })
}

/// The Wilson limits for `x` out of `n > 0` at normal quantile `z` (formula on [`wilson`]).
fn wilson_limits(x: u64, n: u64, z: f64) -> (f64, f64) {
    let (xf, nf) = (x as f64, n as f64);
    let z2 = z * z;
    let s = (z2 + 4.0 * xf * ((n - x) as f64) / nf).sqrt();
    let sum = 2.0 * xf + z2 + z * s;
    let low = 2.0 * xf * xf / (nf * sum);
    let high = if x == n {
        1.0
    } else {
        (sum / (2.0 * (nf + z2))).min(1.0)
    };
    (low, high)
}

/// Clopper-Pearson ("exact") interval for `x` successes out of `n` trials.
///
/// The limits invert the binomial tails at `α/2 = (1 − level)/2`:
///
/// ```text
/// low:  P(Bin(n, low)  >= x) = α/2,   i.e. the α/2 quantile of Beta(x, n − x + 1)
/// high: P(Bin(n, high) <= x) = α/2,   i.e. the 1 − α/2 quantile of Beta(x + 1, n − x)
/// ```
///
/// with `low = 0` at `x = 0` and `high = 1` at `x = n` exactly. The tails are summed with
/// Loader's binomial probabilities and inverted by a bracketed Newton iteration (see
/// `special.rs`): statrs' `inv_beta_reg` was 4e-6 off scipy for n = 4e5, and its inner loop
/// does not end on a NaN, so it is not used here.
///
/// Returns `None` when `n = 0`.
#[must_use]
pub fn clopper_pearson(b: Binomial, level: Level) -> Option<Interval> {
    if b.trials() == 0 {
        return None;
    }
    let (x, n) = (b.successes(), b.trials());
    let tail = level.tail();
    let low = if x == 0 {
        0.0
    } else {
        solve_binomial_tail(x, n, tail, TailSide::AtLeast)
    };
    let high = if x == n {
        1.0
    } else {
        solve_binomial_tail(x, n, tail, TailSide::AtMost)
    };
    Some(Interval { low, high })
}

/// Which binomial tail [`solve_binomial_tail`] sets equal to the target.
#[derive(Clone, Copy)]
enum TailSide {
    /// `P(X >= x)`, increasing in p: gives the lower limit.
    AtLeast,
    /// `P(X <= x)`, decreasing in p: gives the upper limit.
    AtMost,
}

/// Newton steps allowed before the bisection fallback has certainly converged.
const MAX_ITERATIONS: usize = 400;

/// Relative change in p at which the iteration stops (a few ulps).
const P_REL_TOL: f64 = 4.0 * f64::EPSILON;

/// Solves `P(X >= x) = target` (`AtLeast`, `1 <= x <= n`) or `P(X <= x) = target` (`AtMost`,
/// `0 <= x < n`) for the success probability `p` of `X ~ Bin(n, p)`, `0 < target < 1`.
///
/// Newton's method on the tail probability, whose derivative is a binomial probability
/// (`d/dp P(X >= x) = n b(x−1; n−1, p)`, `d/dp P(X <= x) = −n b(x; n−1, p)`), kept inside a
/// bracket that every evaluation narrows; a step leaving the bracket is replaced by bisection.
/// The tail of `X <= x` is evaluated as the upper tail of `n − X ~ Bin(n, 1 − p)` with `p`
/// passed exactly, so small upper limits keep their digits.
fn solve_binomial_tail(x: u64, n: u64, target: f64, side: TailSide) -> f64 {
    // The sign that makes the function increasing in p.
    let sign = match side {
        TailSide::AtLeast => 1.0,
        TailSide::AtMost => -1.0,
    };
    let eval = |p: f64| -> (f64, f64) {
        let q = 1.0 - p;
        let nf = n as f64;
        match side {
            TailSide::AtLeast => (
                binomial_upper_tail(x, n, p, q),
                nf * ln_binomial_pmf(x - 1, n - 1, p, q).exp(),
            ),
            TailSide::AtMost => (
                binomial_upper_tail(n - x, n, q, p),
                -nf * ln_binomial_pmf(x, n - 1, p, q).exp(),
            ),
        }
    };
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    // Start from the Wilson limit at the same level, which is close to the exact one.
    let (wilson_low, wilson_high) = wilson_limits(x, n, normal_upper_quantile(target));
    let mut p = match side {
        TailSide::AtLeast => wilson_low,
        TailSide::AtMost => wilson_high,
    };
    if !(p > 0.0 && p < 1.0) {
        p = 0.5;
    }
    for _ in 0..MAX_ITERATIONS {
        let (value, slope) = eval(p);
        if sign * (value - target) > 0.0 {
            hi = p;
        } else {
            lo = p;
        }
        let step = (value - target) / slope;
        // Converged when Newton's correction is down to rounding noise (checked before the
        // bracket test: a sub-ulp step would otherwise look like a step outside the bracket).
        if step.abs() <= P_REL_TOL * p {
            return p;
        }
        let newton = p - step;
        p = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if hi - lo <= P_REL_TOL * p {
            return p;
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{assert_abs, assert_rel};

    /// Newcombe (1998a) Table I prints limits to 4 decimals: half a unit in the last place.
    const PUBLISHED_4DP: f64 = 5e-5;
    /// statsmodels/scipy print 16-17 significant digits; the closed form and the root finder
    /// are accurate to a few ulps, the reference to about the same.
    const SCIPY_REL: f64 = 1e-12;
    /// At n = 1e9..1e12 the rate itself is a rounded double and Loader's binomial
    /// probabilities carry about 1e-12 relative; the limits move by sd/√n of that.
    const HUGE_N_REL: f64 = 1e-10;
    /// The closed forms are evaluated with expm1/ln_1p to about an ulp.
    const CLOSED_FORM_REL: f64 = 1e-13;
    /// Limits for x and for n − x mirror each other up to rounding of 1 − limit.
    const MIRROR_ABS: f64 = 1e-12;

    fn bin(x: u64, n: u64) -> Binomial {
        Binomial::new(x, n).expect("valid counts")
    }

    #[track_caller]
    fn check(got: Interval, expected: (f64, f64), tol: f64, what: &str) {
        assert_abs(got.low, expected.0, tol, &format!("{what} low"));
        assert_abs(got.high, expected.1, tol, &format!("{what} high"));
    }

    #[track_caller]
    fn check_rel(got: Interval, expected: (f64, f64), tol: f64, what: &str) {
        assert_rel(got.low, expected.0, tol, &format!("{what} low"));
        assert_rel(got.high, expected.1, tol, &format!("{what} high"));
    }

    #[test]
    fn wilson_matches_newcombe_table_i_method_3() {
        let l = Level::NINETY_FIVE;
        // Newcombe (1998a) Table I, method 3 (score interval without continuity correction).
        check(
            wilson(bin(81, 263), l).unwrap(),
            (0.2553, 0.3662),
            PUBLISHED_4DP,
            "81/263",
        );
        check(
            wilson(bin(15, 148), l).unwrap(),
            (0.0624, 0.1605),
            PUBLISHED_4DP,
            "15/148",
        );
        check(
            wilson(bin(0, 20), l).unwrap(),
            (0.0, 0.1611),
            PUBLISHED_4DP,
            "0/20",
        );
        check(
            wilson(bin(1, 29), l).unwrap(),
            (0.0061, 0.1718),
            PUBLISHED_4DP,
            "1/29",
        );
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // statsmodels 0.15.0: proportion_confint(x, n, alpha=1 - level, method='wilson')
        let cases = [
            (81, 263, 0.95, (0.2552885198782742, 0.36620957698280004)),
            (1, 29, 0.95, (0.006113214292762653, 0.17175521879320288)),
            (7, 34, 0.90, (0.11566389757386855, 0.33945927680407395)),
            (
                499_500,
                1_000_000,
                0.99,
                (0.49821209358217194, 0.5007879130526807),
            ),
            (
                3,
                400_000,
                0.95,
                (2.5506800246897105e-06, 2.2052730744572303e-05),
            ),
            (
                399_999,
                400_000,
                0.95,
                (0.9999858378047186, 0.9999995586884762),
            ),
        ];
        for (x, n, level, expected) in cases {
            let got = wilson(bin(x, n), Level::new(level).unwrap()).unwrap();
            check_rel(
                got,
                expected,
                SCIPY_REL,
                &format!("wilson {x}/{n} at {level}"),
            );
        }
    }

    #[test]
    fn clopper_pearson_matches_newcombe_table_i_method_5() {
        let l = Level::NINETY_FIVE;
        // Newcombe (1998a) Table I, method 5 (Clopper-Pearson "exact").
        let cp = |x, n| clopper_pearson(bin(x, n), l).unwrap();
        check(cp(81, 263), (0.2527, 0.3676), PUBLISHED_4DP, "81/263");
        check(cp(15, 148), (0.0578, 0.1617), PUBLISHED_4DP, "15/148");
        check(cp(0, 20), (0.0, 0.1684), PUBLISHED_4DP, "0/20");
        check(cp(1, 29), (0.0009, 0.1776), PUBLISHED_4DP, "1/29");
    }

    #[test]
    fn clopper_pearson_matches_statsmodels() {
        // statsmodels 0.15.0: proportion_confint(x, n, alpha=1 - level, method='beta')
        // (scipy 1.17.1 beta.ppf underneath)
        let cases = [
            (81, 263, 0.95, (0.25273674558527126, 0.36762192260135135)),
            (1, 29, 0.95, (0.0008726468835799228, 0.1776442954887229)),
            (7, 34, 0.90, (0.1008368995350108, 0.3521612169861841)),
            (0, 400_000, 0.95, (0.0, 9.222156110941727e-06)),
            (
                1,
                400_000,
                0.95,
                (6.329451795762666e-08, 1.3929028878962107e-05),
            ),
            (
                5,
                400_000,
                0.95,
                (4.058728032350724e-06, 2.917058704799547e-05),
            ),
            (
                200_000,
                400_000,
                0.95,
                (0.49844926711688686, 0.5015507328831131),
            ),
            (
                399_999,
                400_000,
                0.999,
                (0.9999750035874255, 0.9999999987496874),
            ),
        ];
        for (x, n, level, expected) in cases {
            let got = clopper_pearson(bin(x, n), Level::new(level).unwrap()).unwrap();
            assert_rel(got.high, expected.1, SCIPY_REL, &format!("cp {x}/{n} high"));
            if x == 0 {
                assert!(got.low.abs() <= 0.0, "cp {x}/{n} low must be exactly 0");
            } else {
                assert_rel(got.low, expected.0, SCIPY_REL, &format!("cp {x}/{n} low"));
            }
        }
    }

    #[test]
    fn clopper_pearson_at_huge_n_matches_scipy() {
        // scipy 1.17.1 `stats.beta.ppf(0.025, x, n - x + 1)`, `stats.beta.isf(0.025, x + 1,
        // n - x)` (tests/reference/compare_large_counts.py), except where noted. The binomial tails here have sd
        // 1.4e4 and 5e5: summed by Euler-Maclaurin.
        let cases = [
            (
                250_000_000,
                1_000_000_000,
                (0.2499731623114653, 0.25002683913572343),
            ),
            // scipy's upper limit here, 8.767273088677563e-09, is 5e-9 off: mpmath 1.3.0 at 50
            // digits, findroot of sum(binomial(n, k) p^k (1 - p)^(n - k), k <= 3) = 0.025, gives
            // 8.7672730444606971364e-9 (and 6.1867212332289581215e-10 for the lower limit).
            (
                3,
                1_000_000_000,
                (6.186721233228958e-10, 8.767273044460697e-09),
            ),
            (
                500_000_000_000,
                1_000_000_000_000,
                (0.4999990200175078, 0.5000009799824923),
            ),
        ];
        for (x, n, expected) in cases {
            let start = std::time::Instant::now();
            let got = clopper_pearson(bin(x, n), Level::NINETY_FIVE).unwrap();
            check_rel(got, expected, HUGE_N_REL, &format!("cp {x}/{n}"));
            assert!(start.elapsed().as_secs_f64() < 1.0, "{:?}", start.elapsed());
        }
    }

    #[test]
    fn boundaries_are_exact() {
        for n in [1, 2, 10, 263, 400_000] {
            for level in [0.5, 0.95, 0.999] {
                let l = Level::new(level).unwrap();
                for f in [wilson, clopper_pearson] {
                    let none = f(bin(0, n), l).unwrap();
                    let all = f(bin(n, n), l).unwrap();
                    assert!(none.low.abs() <= 0.0, "low at 0/{n} is {}", none.low);
                    assert!(
                        (all.high - 1.0).abs() <= 0.0,
                        "high at {n}/{n} is {}",
                        all.high
                    );
                    assert!(none.high > 0.0 && all.low < 1.0, "non-degenerate at n={n}");
                }
            }
        }
    }

    #[test]
    fn zero_trials_give_none() {
        assert_eq!(wilson(bin(0, 0), Level::NINETY_FIVE), None);
        assert_eq!(clopper_pearson(bin(0, 0), Level::NINETY_FIVE), None);
    }

    #[test]
    fn properties_over_a_grid() {
        for n in [1_u64, 2, 3, 7, 20, 99, 1000, 12_345] {
            let step = (n / 13).max(1);
            for x in (0..=n).step_by(step as usize).chain([n]) {
                let p = x as f64 / n as f64;
                let mut previous: Option<(Interval, Interval)> = None;
                for level in [0.5, 0.8, 0.9, 0.95, 0.99, 0.999] {
                    let l = Level::new(level).unwrap();
                    let w = wilson(bin(x, n), l).unwrap();
                    let cp = clopper_pearson(bin(x, n), l).unwrap();
                    for (name, i) in [("wilson", w), ("clopper-pearson", cp)] {
                        assert!(i.contains(p), "{name} {x}/{n} at {level}: {i:?} misses {p}");
                        assert!(0.0 <= i.low && i.high <= 1.0, "{name} {x}/{n}: {i:?}");
                    }
                    // Mirror symmetry: x successes bound 1 - (limits for n - x successes).
                    let mirror = clopper_pearson(bin(n - x, n), l).unwrap();
                    assert_abs(cp.low, 1.0 - mirror.high, MIRROR_ABS, "cp mirror low");
                    let wm = wilson(bin(n - x, n), l).unwrap();
                    assert_abs(w.low, 1.0 - wm.high, MIRROR_ABS, "wilson mirror low");
                    // Closed forms at the edges (Clopper & Pearson 1934): the tail equations
                    // (1 − p)^n = α/2 and p^n = α/2, and 1 − (1 − p)^n = α/2 for x = 1.
                    let tail = l.tail();
                    if x == 0 {
                        let closed = -(tail.ln() / n as f64).exp_m1();
                        assert_rel(cp.high, closed, CLOSED_FORM_REL, &format!("cp 0/{n} high"));
                    }
                    if x == n {
                        let closed = (tail.ln() / n as f64).exp();
                        assert_rel(cp.low, closed, CLOSED_FORM_REL, &format!("cp {n}/{n} low"));
                    }
                    if x == 1 {
                        let closed = -((-tail).ln_1p() / n as f64).exp_m1();
                        assert_rel(cp.low, closed, CLOSED_FORM_REL, &format!("cp 1/{n} low"));
                    }
                    // Nested in the level.
                    if let Some((pw, pcp)) = previous {
                        assert!(
                            w.low <= pw.low && w.high >= pw.high,
                            "wilson nesting {x}/{n}"
                        );
                        assert!(
                            cp.low <= pcp.low && cp.high >= pcp.high,
                            "cp nesting {x}/{n}"
                        );
                    }
                    previous = Some((w, cp));
                }
            }
        }
    }
}
