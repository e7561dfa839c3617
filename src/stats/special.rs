//! Distribution kernels shared by the families: normal and Student t quantiles, and binomial
//! probabilities and tails accurate to nearly full double precision for any n.
//!
//! Why not statrs alone: statrs 0.19.1 was checked against scipy 1.17.1 and is used where it is
//! accurate, but two of its routines lose digits at the sample sizes of a cohort:
//!
//! * `StudentsT::inverse_cdf` goes through `inv_beta_reg(df/2, 1/2, ·)`, whose result is close to 1
//!   for large df; the relative error of the quantile reaches 3e-8 at df = 1800, 1e-4 at df = 2e5
//!   and 7% at df = 1e7 (scipy: t.ppf). Welch's degrees of freedom reach 8e5 here. Above
//!   [`DF_CORNISH_FISHER`] the quantile is therefore the Cornish-Fisher expansion of Abramowitz &
//!   Stegun (1964) 26.7.5 around the normal quantile, whose relative error is below 1e-12 there for
//!   levels up to 0.999999 (checked against scipy).
//! * `beta_reg` stops its continued fraction after 140 terms (relative error 5e-5 at a = b = 2e5)
//!   and `inv_beta_reg` stops at a loose tolerance (relative error 4e-6 for the 97.5% quantile of
//!   Beta(1, 4e5)). Binomial probabilities are therefore computed with Loader's saddle-point
//!   formula, `ln b(x; n, p) = δ(n) − δ(x) − δ(n−x) − D(x; np) − D(n−x; nq) − ½ ln(2π x (n−x)/n)`,
//!   with δ the Stirling-series remainder and D(x; M) = x ln(x/M) + M − x evaluated by a series
//!   when x ≈ M (C. Loader, "Fast and accurate computation of binomial probabilities", 2000; the
//!   same method as R's dbinom), and tails are summed outward from their largest term.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Degrees of freedom from which the Student t quantile uses the Cornish-Fisher expansion
/// instead of statrs (see the module documentation for the measured errors on both sides).
const DF_CORNISH_FISHER: f64 = 1000.0;

/// A tail sum stops once the next term is below this fraction of the running sum.
const TAIL_SUM_REL: f64 = 1e-17;

/// Sum of a discrete tail relative to its first (largest) term: `1 + r₁ + r₁r₂ + …` for the
/// successive term ratios `rᵢ < 1`, stopping once a term is below [`TAIL_SUM_REL`] of the sum.
/// Multiply by the first term's probability (in log space) to get the tail probability.
pub(crate) fn relative_tail_sum(ratios: impl Iterator<Item = f64>) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for ratio in ratios {
        term *= ratio;
        sum += term;
        if term <= TAIL_SUM_REL * sum {
            break;
        }
    }
    sum
}

/// `ln(2π)`.
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Upper standard normal quantile: the `z` with `P(Z > z) = tail`, for `0 < tail < 1`.
///
/// `z = √2 · erfc⁻¹(2 · tail)`, computed from the tail itself so that small tails keep their
/// precision (statrs' `erfc_inv` agrees with scipy's `norm.isf` to a few ulps).
pub(crate) fn normal_upper_quantile(tail: f64) -> f64 {
    core::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * tail)
}

/// Upper standard normal tail `P(Z > z) = erfc(z/√2)/2`, accurate in both tails.
///
/// `libm`'s `erfc` (FreeBSD msun, under one ulp) is used: statrs 0.19.1's `erfc` was 4e-11
/// relative off R 4.2.2's `pchisq` at a chi-square p of 0.008 (measured by the tests of
/// `chisq.rs`).
pub(crate) fn normal_upper_tail(z: f64) -> f64 {
    0.5 * libm::erfc(z / core::f64::consts::SQRT_2)
}

/// Upper Student t quantile: the `t` with `P(T_df > t) = tail`, for `df > 0` and
/// `0 < tail <= 0.5`; `None` outside that domain (including NaN).
pub(crate) fn t_upper_quantile(df: f64, tail: f64) -> Option<f64> {
    if !(df > 0.0 && tail > 0.0 && tail <= 0.5) {
        return None;
    }
    if df >= DF_CORNISH_FISHER {
        // Abramowitz & Stegun 26.7.5: t = x + g1/ν + g2/ν² + g3/ν³ + g4/ν⁴ with x the normal
        // quantile and the g polynomials below; the omitted term is O(ν⁻⁵).
        let x = normal_upper_quantile(tail);
        let x2 = x * x;
        let g1 = (x2 + 1.0) * x / 4.0;
        let g2 = ((5.0 * x2 + 16.0) * x2 + 3.0) * x / 96.0;
        let g3 = (((3.0 * x2 + 19.0) * x2 + 17.0) * x2 - 15.0) * x / 384.0;
        let g4 = ((((79.0 * x2 + 776.0) * x2 + 1482.0) * x2 - 1920.0) * x2 - 945.0) * x / 92160.0;
        Some(x + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df)
    } else {
        // The lower-tail call keeps `tail` exact (statrs would form 1 - p for an upper p).
        let dist = StudentsT::new(0.0, 1.0, df).ok()?;
        Some(-dist.inverse_cdf(tail))
    }
}

/// Stirling-series remainder `δ(n) = ln n! − (n + ½) ln n + n − ½ ln 2π` for integer `n`
/// (Loader 2000, section 2). Exact table below 16, series beyond.
fn stirling_remainder(n: u64) -> f64 {
    /// δ(0..=15), computed with mpmath 1.4.1 at 40 digits from the definition above and rounded
    /// to the nearest double (δ(0) is defined as 0 and never used by the callers).
    const TABLE: [f64; 16] = [
        0.0,
        0.08106146679532726,
        0.0413406959554093,
        0.02767792568499834,
        0.020790672103765093,
        0.016644691189821193,
        0.013876128823070748,
        0.01189670994589177,
        0.010411265261972096,
        0.009255462182712733,
        0.00833056343336287,
        0.007573675487951841,
        0.00694284010720953,
        0.006408994188004207,
        0.0059513701127588475,
        0.005554733551962801,
    ];
    // Coefficients of the asymptotic series 1/(12n) − 1/(360n³) + 1/(1260n⁵) − 1/(1680n⁷) + ….
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if let Some(&exact) = TABLE.get(n as usize) {
        return exact;
    }
    let x = n as f64;
    let x2 = x * x;
    // Fewer terms suffice as n grows (Loader's cut-offs).
    if n > 500 {
        (S0 - S1 / x2) / x
    } else if n > 80 {
        (S0 - (S1 - S2 / x2) / x2) / x
    } else if n > 35 {
        (S0 - (S1 - (S2 - S3 / x2) / x2) / x2) / x
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / x2) / x2) / x2) / x2) / x
    }
}

/// Deviance term `D(x; m) = x ln(x/m) + m − x` for `x >= 0`, `m > 0`, without cancellation when
/// `x ≈ m`: there `D = (x − m) v + 2x Σ_{j≥1} v^(2j+1)/(2j+1)` with `v = (x − m)/(x + m)`
/// (Loader 2000, section 3).
fn deviance_term(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.1 * (x + m) {
        let v = (x - m) / (x + m);
        let v2 = v * v;
        let mut sum = (x - m) * v;
        let mut power = 2.0 * x * v;
        for j in 1..1000_u32 {
            power *= v2;
            let next = sum + power / f64::from(2 * j + 1);
            if (next - sum).abs() <= f64::EPSILON * next.abs() {
                return next;
            }
            sum = next;
        }
        sum
    } else {
        x * (x / m).ln() + m - x
    }
}

/// `ln P(X = x)` for `X ~ Binomial(n, p)`, with `q = 1 − p` passed separately so that callers
/// which know `q` exactly keep its digits. `x <= n` is required (callers guarantee it).
/// Relative accuracy of the probability is about 1e-14 for any n (Loader 2000).
pub(crate) fn ln_binomial_pmf(x: u64, n: u64, p: f64, q: f64) -> f64 {
    debug_assert!(x <= n);
    if p <= 0.0 {
        return if x == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if q <= 0.0 {
        return if x == n { 0.0 } else { f64::NEG_INFINITY };
    }
    let nf = n as f64;
    if x == 0 {
        // n ln q, through ln(1 − p) when p is small so that tiny p keep their digits.
        return if p < 0.5 {
            nf * (-p).ln_1p()
        } else {
            nf * q.ln()
        };
    }
    if x == n {
        return if q < 0.5 {
            nf * (-q).ln_1p()
        } else {
            nf * p.ln()
        };
    }
    let xf = x as f64;
    let yf = (n - x) as f64;
    let lc = stirling_remainder(n)
        - stirling_remainder(x)
        - stirling_remainder(n - x)
        - deviance_term(xf, nf * p)
        - deviance_term(yf, nf * q);
    let lf = LN_2PI + xf.ln() + (yf / nf).ln();
    lc - 0.5 * lf
}

/// Upper binomial tail `P(X >= x)` for `X ~ Binomial(n, p)`, `0 <= p <= 1`, with `q = 1 − p`
/// passed separately (see [`ln_binomial_pmf`]).
///
/// The tail that does not contain the mean is summed outward from its largest term with the
/// ratio `b(k+1)/b(k) = (n−k)p / ((k+1)q)` until the terms fall below [`TAIL_SUM_REL`] of the
/// sum; the other tail is its complement. The number of terms is O(√n) at most.
pub(crate) fn binomial_upper_tail(x: u64, n: u64, p: f64, q: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if x > n || p <= 0.0 {
        return 0.0;
    }
    if q <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    if x as f64 > nf * p {
        // Terms decrease from k = x upward, since x lies above the mode.
        let odds = p / q;
        let ratios = (x..n).map(|k| (n - k) as f64 / (k + 1) as f64 * odds);
        (ln_binomial_pmf(x, n, p, q) + relative_tail_sum(ratios).ln())
            .exp()
            .min(1.0)
    } else {
        // P(X >= x) = 1 − P(X <= x − 1); the lower terms decrease from k = x − 1 downward.
        let inverse_odds = q / p;
        let ratios = (1..x)
            .rev()
            .map(|k| k as f64 / (n - k + 1) as f64 * inverse_odds);
        let lower = (ln_binomial_pmf(x - 1, n, p, q) + relative_tail_sum(ratios).ln()).exp();
        (1.0 - lower).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{EXACT, assert_abs, assert_rel};

    /// scipy/mpmath print 16-17 significant digits; Loader's method and the series are
    /// accurate to a few ulps times the number of terms.
    const SCIPY_REL: f64 = 1e-13;
    /// Cornish-Fisher accuracy promised in the module documentation.
    const CORNISH_FISHER_REL: f64 = 1e-12;
    /// statrs below the switch: measured worst case 1.1e-12 over a grid of df in [1, 1000].
    const STATRS_T_REL: f64 = 2e-12;

    #[test]
    fn t_quantile_matches_scipy_across_df() {
        // (df, tail, scipy 1.17.1 `stats.t.isf(tail, df)`)
        let cases = [
            (1.0, 0.025, 12.706204736174705),
            (2.5, 0.005, 7.163728138948786),
            (17.3, 0.025, 2.107032003753469),
            (999.0, 0.025, 1.9623414611334498), // last df on the statrs side
            (1000.0, 0.025, 1.9623390808264085), // first df on the expansion side
            (1800.0, 0.025, 1.9612827845812766), // statrs alone is 3e-8 off here
            (1e5, 0.025, 1.95998770753461),     // statrs alone: 3.5e-6 off
            (1e7, 0.025, 1.9599642217672055),   // statrs alone: 7% off
            (1e5, 0.05, 1.6448688647849699),
            (2e5, 5e-7, 4.891790904068292), // level 0.999999
        ];
        for (df, tail, expected) in cases {
            let tol = if df < DF_CORNISH_FISHER {
                STATRS_T_REL
            } else {
                CORNISH_FISHER_REL
            };
            let got = t_upper_quantile(df, tail).expect("valid df");
            assert_rel(
                got,
                expected,
                tol,
                &format!("t quantile df={df} tail={tail}"),
            );
        }
    }

    #[test]
    fn t_quantile_rejects_bad_domain() {
        for (df, tail) in [
            (0.0, 0.025),
            (-1.0, 0.025),
            (f64::NAN, 0.025),
            (10.0, 0.0),
            (10.0, 0.7),
        ] {
            assert!(t_upper_quantile(df, tail).is_none(), "df={df} tail={tail}");
        }
    }

    /// δ(n) enters log-probabilities additively, so its absolute error is what matters: Loader's
    /// cut-offs truncate the series at an absolute error of at most 1.1e-16 (the first omitted
    /// term, 691/(360360 n¹¹) at n = 16; 1/(1260 n⁵) = 2.5e-17 at n = 501), i.e. a relative
    /// error of about an ulp in the probability.
    const STIRLING_ABS: f64 = 2e-16;

    #[test]
    fn stirling_remainder_series_matches_mpmath() {
        // mpmath 1.4.1 at 40 digits: loggamma(n+1) - (n+1/2)*log(n) + n - log(2*pi)/2
        let cases = [
            (16, 0.0052076559196096404),  // first value off the table
            (36, 0.002314755290514684),   // 4-term branch
            (81, 0.0010288013577107775),  // 3-term branch
            (501, 0.0001663339765799327), // 2-term branch
            (400_000, 2.0833333333328993e-7),
        ];
        for (n, expected) in cases {
            assert_abs(
                stirling_remainder(n),
                expected,
                STIRLING_ABS,
                &format!("δ({n})"),
            );
        }
    }

    #[test]
    fn binomial_pmf_matches_mpmath() {
        // (x, n, p, mpmath 1.4.1 at 40 digits:
        //  log(binomial(n, x)) + x*log(p) + (n - x)*log(1 - p))
        // scipy 1.17.1 `stats.binom.logpmf` is itself 2e-11 (n = 4e5, p = 0.5) and 6e-10
        // (x = 3, n = 4e5) off these values, so it is not the reference here.
        let cases = [
            (3, 10, 0.3, -1.3211512777668886),
            (0, 20, 0.01, -0.20100671707002883),
            (200_000, 400_000, 0.5, -6.675401890689787),
            (3, 400_000, 1e-5, -1.6328738858673416),
            (1_000, 400_000, 0.5, -270273.0303677823),
            // x = 0 with tiny p: n ln(1 − p) must not go through the rounded q = 1 − p.
            (0, 400_000, 1e-9, -0.0004000000002),
        ];
        for (x, n, p, expected) in cases {
            let got = ln_binomial_pmf(x, n, p, 1.0 - p);
            assert_rel(got, expected, SCIPY_REL, &format!("ln b({x}; {n}, {p})"));
        }
    }

    #[test]
    fn binomial_upper_tail_matches_scipy() {
        // (x, n, p, scipy 1.17.1 `stats.binom.sf(x - 1, n, p)`; an mpmath 1.4.1 sum at
        // 50 digits agrees with each to 1e-15)
        let cases = [
            (3, 10, 0.3, 0.6172172136000003),
            (8, 10, 0.3, 0.0015903863999999995),
            (200_000, 400_000, 0.5, 0.5006307827362645), // complement branch
            (201_000, 400_000, 0.5, 0.0007869459614574595),
            (5, 400_000, 1e-6, 6.1242040095744e-05),
        ];
        for (x, n, p, expected) in cases {
            let got = binomial_upper_tail(x, n, p, 1.0 - p);
            assert_rel(got, expected, SCIPY_REL, &format!("P(X >= {x}; {n}, {p})"));
        }
        assert_rel(binomial_upper_tail(0, 10, 0.3, 0.7), 1.0, EXACT, "x = 0");
        assert!(binomial_upper_tail(11, 10, 0.3, 0.7) <= 0.0, "x > n");
    }
}
