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

/// Upper tail of χ² with `df` degrees of freedom (NaN when `df` is not positive).
pub(crate) fn chi_square_upper_tail(x: f64, df: f64) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    ChiSquared::new(df).map_or(f64::NAN, |d| d.sf(x))
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
/// sum; the other tail is its complement. The number of terms is O(√n) at most, and at most
/// [`DIRECT_TERMS`]: longer tails are summed by Euler-Maclaurin ([`ln_decreasing_mass`]).
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
    let terms = BinomialTerms { n, p, q };
    if x as f64 > nf * p {
        // Terms decrease from k = x upward, since x lies above the mode.
        (ln_binomial_pmf(x, n, p, q) + ln_decreasing_mass(&terms, x, n))
            .exp()
            .min(1.0)
    } else {
        // P(X >= x) = 1 − P(X <= x − 1); the lower terms decrease from k = x − 1 downward.
        let lower = (ln_binomial_pmf(x - 1, n, p, q) + ln_decreasing_mass(&terms, x - 1, 0)).exp();
        (1.0 - lower).max(0.0)
    }
}

/// Above this many terms a tail is summed by Euler-Maclaurin instead of term by term.
///
/// Below it, every sum is the exact term-by-term one (the reference tests of `fisher.rs`,
/// `proportion.rs` and `exact_odds.rs` all stay on that side); above it the summand changes by
/// less than 0.2% per step (the estimate below is 41 e-folds of decay), which is where the
/// Euler-Maclaurin remainder is below 1e-17 of the sum.
const DIRECT_TERMS: f64 = 20_000.0;

/// Positive terms `w(k)` on an integer support whose logarithm is concave and extends smoothly
/// to real arguments (binomial and noncentral hypergeometric probabilities).
pub(crate) trait LogConcave {
    /// `ln w(t)` for real `t` strictly inside the support (up to a constant shared by all `t`);
    /// `-inf` outside it.
    fn ln_term(&self, t: f64) -> f64;
    /// `w(k + 1) / w(k)`, for `k` below the top of the support.
    fn ratio_up(&self, k: u64) -> f64;
    /// `w(k − 1) / w(k)`, for `k` above the bottom of the support.
    fn ratio_down(&self, k: u64) -> f64;
    /// First and second derivatives of `ln w` at real `t`.
    fn slopes(&self, t: f64) -> (f64, f64);
}

/// `Ψ(z + 1) − ln z` (digamma), for `z > 0`; asymptotic series from z = 10 (error below 1e-12),
/// the recurrence `Ψ(z + 1) = Ψ(z + 2) − 1/(z + 1)` below.
fn digamma1_minus_ln(z: f64) -> f64 {
    let z = z.max(1e-3);
    if z >= 10.0 {
        let r = 1.0 / (z * z);
        (0.5 - (1.0 / 12.0 - r / 120.0) / z) / z
    } else {
        // Ψ(z + 1) = Ψ(w + 1) − Σ_{j=1..s} 1/(z + j), w = z + s >= 10.
        let mut w = z;
        let mut shift = 0.0;
        while w < 10.0 {
            w += 1.0;
            shift += 1.0 / w;
        }
        digamma1_minus_ln(w) + w.ln() - shift - z.ln()
    }
}

/// `Ψ'(z + 1)` (trigamma), for `z > 0`: asymptotic series from z = 10, recurrence below.
fn trigamma1(z: f64) -> f64 {
    let z = z.max(1e-3);
    if z >= 10.0 {
        // Ψ'(z + 1) = 1/z − 1/(2z²) + 1/(6z³) − 1/(30z⁵) + …
        let r = 1.0 / z;
        r - r * r * (0.5 - r * (1.0 / 6.0 - r * r / 30.0))
    } else {
        trigamma1(z + 1.0) + 1.0 / ((z + 1.0) * (z + 1.0))
    }
}

/// Slopes `(d/dt, d²/dt²)` of `ln w(t) = Σ sᵢ (−ln Γ(cᵢ(t) + 1)) + t λ` where each cell
/// `cᵢ(t) = aᵢ ± t` moves with `t` (`plus` cells grow with t, `minus` cells shrink): the
/// derivatives of the binomial coefficients of binomial and hypergeometric terms.
pub(crate) fn cell_slopes(plus: &[f64], minus: &[f64], lambda: f64) -> (f64, f64) {
    // d/dt of −ln Γ(c + 1) is −Ψ(c + 1) c'(t); second derivative −Ψ'(c + 1).
    let mut ratio = 1.0;
    let mut first = lambda;
    let mut second = 0.0;
    for &c in minus {
        ratio *= c.max(1e-300);
        first += digamma1_minus_ln(c);
        second -= trigamma1(c);
    }
    for &c in plus {
        ratio /= c.max(1e-300);
        first -= digamma1_minus_ln(c);
        second -= trigamma1(c);
    }
    (first + ratio.ln(), second)
}

/// Ten-point Gauss-Legendre nodes on [−1, 1] (positive half) and their weights, from numpy
/// 2.4.6 `numpy.polynomial.legendre.leggauss(10)`.
const GAUSS_NODES: [f64; 5] = [
    0.14887433898163122,
    0.4333953941292472,
    0.6794095682990244,
    0.8650633666889845,
    0.9739065285171717,
];
const GAUSS_WEIGHTS: [f64; 5] = [
    0.2955242247147528,
    0.2692667193099965,
    0.219086362515982,
    0.1494513491505804,
    0.06667134430868814,
];

/// Sums `Σ w(k)/w(start)`, `Σ (k − start) w(k)/w(start)` and `Σ (k − start)² w(k)/w(start)`
/// over a stretch of the support.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sums {
    pub(crate) mass: f64,
    pub(crate) first: f64,
    pub(crate) second: f64,
}

/// How many terms a term-by-term sum from `start` toward `end` would need before the terms
/// fall below 1e-17 of the first: at most the stretch, about 41 e-folds of the slope, or about
/// 9 standard deviations of the local Gaussian shape.
fn direct_terms(w: &impl LogConcave, start: u64, end: u64) -> f64 {
    let (h1, h2) = w.slopes(start as f64);
    let span = start.abs_diff(end) as f64 + 1.0;
    let by_slope = if h1 == 0.0 {
        f64::INFINITY
    } else {
        41.0 / h1.abs()
    };
    let by_curvature = if h2 < 0.0 {
        9.1 / (-h2).sqrt()
    } else {
        f64::INFINITY
    };
    span.min(by_slope).min(by_curvature)
}

/// `ln Σ w(k)/w(start)` over `k` from `start` to `end` (either order), for terms that do not
/// increase from `start` toward `end` (`start` at or beyond the mode): term by term with
/// [`relative_tail_sum`] when that takes at most [`DIRECT_TERMS`] terms, else by
/// Euler-Maclaurin summation ([`smooth_sums`]), so the cost is bounded whatever the counts.
pub(crate) fn ln_decreasing_mass(w: &impl LogConcave, start: u64, end: u64) -> f64 {
    if direct_terms(w, start, end) <= DIRECT_TERMS {
        if end >= start {
            relative_tail_sum((start..end).map(|k| w.ratio_up(k))).ln()
        } else {
            relative_tail_sum((end + 1..=start).rev().map(|k| w.ratio_down(k))).ln()
        }
    } else {
        smooth_sums(w, start, end).mass.ln()
    }
}

/// [`Sums`] over `k` from `start` to `end` (either order), for terms that do not increase from
/// `start` toward `end`: term by term (stopping once a term and its share of the first moment
/// are below 1e-17 of the sums) when that takes at most [`DIRECT_TERMS`] terms, else by
/// Euler-Maclaurin summation.
pub(crate) fn decreasing_sums(w: &impl LogConcave, start: u64, end: u64) -> Sums {
    if direct_terms(w, start, end) > DIRECT_TERMS {
        return smooth_sums(w, start, end);
    }
    let up = end >= start;
    let mut sums = Sums {
        mass: 1.0,
        first: 0.0,
        second: 0.0,
    };
    let (mut k, mut term, mut offset) = (start, 1.0, 0.0_f64);
    while k != end {
        if up {
            term *= w.ratio_up(k);
            k += 1;
            offset += 1.0;
        } else {
            term *= w.ratio_down(k);
            k -= 1;
            offset -= 1.0;
        }
        sums.mass += term;
        sums.first += offset * term;
        sums.second += offset * offset * term;
        if term <= TAIL_SUM_REL * sums.mass
            && (offset * term).abs() <= TAIL_SUM_REL * sums.first.abs().max(sums.mass)
        {
            break;
        }
    }
    sums
}

/// Euler-Maclaurin summation of a log-concave stretch that does not increase from `start`
/// toward `end`: with `F(t) = w(t)/w(start)` and the stretch `[lo, hi] = [k₀ − ½, k₁ + ½]`,
///
/// ```text
/// Σ_{k=k₀}^{k₁} F(k) = ∫_lo^hi F dt − [F′]_lo^hi / 24 + 7 [F‴]_lo^hi / 5760 − …
/// ```
///
/// (the midpoint-rule form; `F′ = h′F`, `F‴ ≈ (h′³ + 3h′h″)F` with `h = ln F`, whose third
/// derivative is below 1e-15 here). The same for `(k − start) F(k)`, whose derivatives follow
/// by the product rule; the second moment (used only for Newton slopes) takes the integral
/// alone. The integral runs in ten-point Gauss-Legendre panels one e-fold or one standard
/// deviation wide and stops once what is left is below 1e-17 of the sum; the next omitted term,
/// `31 [F⁽⁵⁾] / 967680`, is below 1e-17 of the sum whenever [`DIRECT_TERMS`] sends a stretch
/// here (`|h′| < 0.002`). Cost: about 50 panels whatever the number of terms.
///
/// Reference: M. Abramowitz & I. A. Stegun, Handbook of Mathematical Functions (1964),
/// 23.1.30-23.1.32 (Euler-Maclaurin), 25.4.30 (Gauss-Legendre).
fn smooth_sums(w: &impl LogConcave, start: u64, end: u64) -> Sums {
    /// A bound on the panels (about 50 are needed), against a runaway on non-finite input.
    const MAX_PANELS: usize = 10_000;
    let up = end >= start;
    let sign = if up { 1.0 } else { -1.0 };
    let s = start as f64;
    let h0 = w.ln_term(s);
    let first_edge = s - 0.5 * sign;
    let last_edge = end as f64 + 0.5 * sign;
    let mut sums = Sums::default();
    let mut pos = first_edge;
    let mut reached_end = false;
    for _ in 0..MAX_PANELS {
        let (h1, h2) = w.slopes(pos);
        let scale = 1.0 / h1.abs().max((-h2).max(0.0).sqrt()).max(1e-300);
        let f_here = (w.ln_term(pos) - h0).exp();
        // Also stops on NaN (incomparable): nothing more can be added.
        let contributes = (f_here * scale).partial_cmp(&(TAIL_SUM_REL * sums.mass))
            == Some(std::cmp::Ordering::Greater);
        if sums.mass > 0.0 && !contributes {
            break;
        }
        let mut next = pos + sign * scale;
        if (next - last_edge) * sign >= 0.0 {
            next = last_edge;
            reached_end = true;
        }
        let (mid, half) = (0.5 * (pos + next), 0.5 * (next - pos).abs());
        for (node, weight) in GAUSS_NODES.iter().zip(GAUSS_WEIGHTS) {
            for t in [mid - half * node, mid + half * node] {
                let f = (w.ln_term(t) - h0).exp();
                let d = t - s;
                let wf = weight * half * f;
                sums.mass += wf;
                sums.first += wf * d;
                sums.second += wf * d * d;
            }
        }
        if reached_end || next == pos {
            break;
        }
        pos = next;
    }
    // Endpoint corrections, in increasing t: +[F′/24 − 7F‴/5760] at the lower end, the
    // opposite at the upper end.
    let mut correct = |t: f64, at_lower: bool| {
        let f = (w.ln_term(t) - h0).exp();
        if f == 0.0 || !f.is_finite() {
            return;
        }
        let (h1, h2) = w.slopes(t);
        let d = t - s;
        let f1 = h1 * f;
        let f2 = (h2 + h1 * h1) * f;
        let f3 = (h1 * h1 * h1 + 3.0 * h1 * h2) * f;
        let g1 = f + d * f1;
        let g3 = 3.0 * f2 + d * f3;
        let side = if at_lower { 1.0 } else { -1.0 };
        sums.mass += side * (f1 / 24.0 - 7.0 * f3 / 5760.0);
        sums.first += side * (g1 / 24.0 - 7.0 * g3 / 5760.0);
    };
    correct(first_edge, up);
    if reached_end {
        correct(last_edge, !up);
    }
    sums
}

/// `ln P(X = x)` for `X ~ Binomial(n, p)` at a real `x` strictly between 0 and `n` (Loader's
/// formula of [`ln_binomial_pmf`] with the Stirling remainder at real arguments); `-inf`
/// outside. Used by the Euler-Maclaurin sums, which need the terms between the integers.
pub(crate) fn ln_binomial_pmf_real(x: f64, n: f64, p: f64, q: f64) -> f64 {
    if !(x > 0.0 && x < n) || p <= 0.0 || q <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let y = n - x;
    let lc = stirling_remainder_real(n)
        - stirling_remainder_real(x)
        - stirling_remainder_real(y)
        - deviance_term(x, n * p)
        - deviance_term(y, n * q);
    let lf = LN_2PI + x.ln() + (y / n).ln();
    lc - 0.5 * lf
}

/// [`stirling_remainder`] at a real argument: the same series from 16 on, `ln Γ` below.
fn stirling_remainder_real(x: f64) -> f64 {
    if x >= 16.0 {
        let x2 = x * x;
        const S0: f64 = 1.0 / 12.0;
        const S1: f64 = 1.0 / 360.0;
        const S2: f64 = 1.0 / 1260.0;
        const S3: f64 = 1.0 / 1680.0;
        const S4: f64 = 1.0 / 1188.0;
        if x > 500.0 {
            (S0 - S1 / x2) / x
        } else if x > 80.0 {
            (S0 - (S1 - S2 / x2) / x2) / x
        } else if x > 35.0 {
            (S0 - (S1 - (S2 - S3 / x2) / x2) / x2) / x
        } else {
            (S0 - (S1 - (S2 - (S3 - S4 / x2) / x2) / x2) / x2) / x
        }
    } else {
        libm::lgamma(x + 1.0) - (x + 0.5) * x.ln() + x - 0.5 * LN_2PI
    }
}

/// The terms of `Binomial(n, p)` as a [`LogConcave`] sequence.
struct BinomialTerms {
    n: u64,
    p: f64,
    q: f64,
}

impl LogConcave for BinomialTerms {
    fn ln_term(&self, t: f64) -> f64 {
        ln_binomial_pmf_real(t, self.n as f64, self.p, self.q)
    }
    fn ratio_up(&self, k: u64) -> f64 {
        (self.n - k) as f64 / (k + 1) as f64 * (self.p / self.q)
    }
    fn ratio_down(&self, k: u64) -> f64 {
        k as f64 / (self.n - k + 1) as f64 * (self.q / self.p)
    }
    fn slopes(&self, t: f64) -> (f64, f64) {
        cell_slopes(&[t], &[self.n as f64 - t], (self.p / self.q).ln())
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
    fn euler_maclaurin_agrees_with_term_by_term_sums() {
        // Binomial(4e8, 0.3): sd 9,165, so a tail from the mode is 80,000 terms and goes to
        // Euler-Maclaurin; the same stretch summed term by term (relative_tail_sum) is the
        // reference. Tails starting 0, 1 and 3 sd beyond the mode, up and down, and a stretch
        // cut short by its end. Measured agreement: 2.2e-12 at worst (the term-by-term sum
        // itself multiplies up to 80,000 rounded ratios).
        const EULER_MACLAURIN_REL: f64 = 5e-12;
        let (n, p) = (400_000_000_u64, 0.3);
        let terms = BinomialTerms { n, p, q: 1.0 - p };
        let mode = 120_000_000_u64;
        for (start, end) in [
            (mode, n),
            (mode + 9_165, n),
            (mode + 27_500, n),
            (mode, 0),
            (mode - 9_165, 0),
            (mode - 27_500, 0),
            (mode, mode + 5_000),
        ] {
            assert!(direct_terms(&terms, start, end) > DIRECT_TERMS || end == mode + 5_000);
            let smooth = smooth_sums(&terms, start, end);
            let direct = if end >= start {
                relative_tail_sum((start..end).map(|k| terms.ratio_up(k)))
            } else {
                relative_tail_sum((end + 1..=start).rev().map(|k| terms.ratio_down(k)))
            };
            assert_rel(
                smooth.mass,
                direct,
                EULER_MACLAURIN_REL,
                &format!("{start} to {end}"),
            );
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
