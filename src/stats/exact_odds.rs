//! The exact conditional interval for an odds ratio, and the conditional maximum likelihood
//! estimate that goes with it (what R's `fisher.test` reports as `conf.int` and `estimate`).
//!
//! Why: Woolf's interval needs the 0.5 correction as soon as a cell is zero and is poor for
//! small cells; the conditional interval needs no correction, guarantees at least nominal
//! coverage, and is the "exact" odds-ratio interval regulators and SAS (`EXACT OR`) report.
//!
//! Conditioning on every margin, `X = x_t` follows Fisher's noncentral hypergeometric law with
//! odds ratio ψ: `P_ψ(X = k) ∝ C(m, k) C(N − m, n_t − k) ψ^k` on the support
//! `max(0, m − n_c) <= k <= min(m, n_t)` (notation of `fisher.rs`). Then
//!
//! ```text
//! lower limit ψ_L:  P_ψL(X >= x) = α/2      (ψ_L = 0 when x is the smallest value)
//! upper limit ψ_U:  P_ψU(X <= x) = α/2      (ψ_U = ∞ when x is the largest value)
//! conditional MLE:  E_ψ̂[X] = x               (0 or ∞ at the ends of the support)
//! ```
//!
//! Computation: the central weights `ln C(m, k) C(N − m, n_t − k)` are built once by the ratio
//! recurrence of `fisher.rs`, relative to the mode, with the ratios of consecutive weights; each
//! ψ then costs one pass outward from the law's largest term, one multiplication per term, over
//! the terms above 1e-300 of it (so no ψ overflows). A support wider than 131,072
//! values (arms of about 10^5 and more) is not tabulated: each ψ's law is summed outward from
//! its own mode, term by term while that takes at most 20,000 terms and by Euler-Maclaurin
//! summation beyond (`special.rs`), so memory is constant and time bounded whatever the counts
//! (the old full table took 32 GB for 4e9/9e9 vs 1/9e9). Each equation is monotone in
//! `t = ln ψ` and solved by Newton's method on `t` kept inside a bracket (the derivatives are
//! conditional moments of the same law), to a relative precision in ψ of about 1e-13. R finds
//! the same roots with `uniroot` at its default tolerance (about 1e-4 in ψ), so R's printed
//! limits agree only to about four significant digits; the tests use independent
//! high-precision values as well.
//!
//! References: J. Cornfield, "A statistical problem arising from retrospective studies",
//! Proc. Third Berkeley Symposium 4 (1956) 135-148; A. Agresti, Categorical Data Analysis,
//! 2nd ed. (2002), §3.6.1; R `fisher.test` (stats package).

use super::fisher::Hypergeometric;
use super::special::{LogConcave, Sums, decreasing_sums};
use super::{Binomial, Interval, Level};

/// The conditional odds-ratio estimate with its exact interval. Limits may be 0 or
/// `f64::INFINITY`, as may the estimate at the ends of the support.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ConditionalOddsRatio {
    /// Conditional maximum likelihood estimate of ψ.
    pub estimate: f64,
    /// Exact conditional interval.
    pub interval: Interval,
}

/// Supports up to this many values keep every weight and the ratios of consecutive ones in a table (3 MiB at most) and sum the terms that matter;
/// wider ones are summed outward from the mode of each law ([`Wide`]), so memory and time do
/// not grow with the counts.
pub(super) const TABLE_MAX: u64 = 1 << 17;

/// One table's noncentral hypergeometric law, by the size of its support.
enum Law<'a> {
    /// Every central weight kept (the support has at most [`TABLE_MAX`] values).
    Table(Table),
    /// Weights computed where needed.
    Wide(Wide<'a>),
}

impl Law<'_> {
    fn new(law: &Hypergeometric) -> Law<'_> {
        if law.high - law.low < TABLE_MAX {
            Law::Table(Table::new(law))
        } else {
            Law::Wide(Wide { law })
        }
    }

    fn moments(&self, t: f64, x: u64) -> Moments {
        match self {
            Law::Table(table) => table.moments(t, x),
            Law::Wide(wide) => wide.moments(t, x),
        }
    }
}

/// The central weights of one table's noncentral hypergeometric law.
struct Table {
    /// Smallest value of the support.
    low: u64,
    /// `ln` of the central weight of each support value, relative to the mode.
    ln_weight: Vec<f64>,
    /// `P_1(X = i + 1) / P_1(X = i)` over the support (index 0 is its smallest value), and
    /// its inverse: the terms at any ψ are built outward from the largest by these.
    ratio: Vec<f64>,
    inverse_ratio: Vec<f64>,
}

/// A wide support: each law at `t = ln ψ` is summed outward from its own mode, term by term
/// where the terms fall fast and by Euler-Maclaurin where they are many (`special.rs`), so the
/// work per `t` is bounded (about 20,000 terms or 50 quadrature panels per stretch).
struct Wide<'a> {
    law: &'a Hypergeometric,
}

/// The noncentral law at `t = ln ψ` as a [`LogConcave`] sequence: `P(X = k) ψ^k` up to a
/// constant.
struct Tilted<'a> {
    law: &'a Hypergeometric,
    t: f64,
    /// `ψ`, for the term ratios.
    psi: f64,
    /// Where `k t` is measured from, so that `k t` keeps its digits.
    origin: f64,
}

impl LogConcave for Tilted<'_> {
    fn ln_term(&self, k: f64) -> f64 {
        self.law.ln_pmf_real(k) + (k - self.origin) * self.t
    }
    fn ratio_up(&self, k: u64) -> f64 {
        self.law.ratio_up(k) * self.psi
    }
    fn ratio_down(&self, k: u64) -> f64 {
        self.law.ratio_down(k) / self.psi
    }
    fn slopes(&self, k: f64) -> (f64, f64) {
        self.law.slopes(k, self.t)
    }
}

impl Wide<'_> {
    /// `ln` of the tilted weight at integer `k` relative to that at `origin`.
    fn ln_weight(&self, tilted: &Tilted<'_>, k: u64, origin: u64) -> f64 {
        if k == origin {
            return 0.0;
        }
        // Exact products of term ratios over short steps; the real-argument formula beyond.
        if k.abs_diff(origin) <= 64 {
            let mut acc = 0.0;
            if k > origin {
                for j in origin..k {
                    acc += tilted.ratio_up(j).ln();
                }
            } else {
                for j in (k + 1..=origin).rev() {
                    acc += tilted.ratio_down(j).ln();
                }
            }
            acc
        } else {
            let (lk, lo) = (tilted.law.ln_pmf(k), tilted.law.ln_pmf(origin));
            lk - lo + (k as f64 - origin as f64) * tilted.t
        }
    }

    /// The mode of the law at `t`: the smallest `k` with `P(k+1)ψ^(k+1) <= P(k)ψ^k`, by
    /// bisection on the decreasing term ratio (the law is log-concave).
    fn mode(&self, tilted: &Tilted<'_>) -> u64 {
        let (mut lo, mut hi) = (self.law.low, self.law.high);
        // Invariant: the mode lies in [lo, hi].
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if tilted.ratio_up(mid) > 1.0 {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Sums of the stretch from `start` toward `end` (terms decreasing that way), scaled by the
    /// weight at `start` relative to `reference`, as moments about `x`.
    fn stretch(&self, tilted: &Tilted<'_>, start: u64, end: u64, reference: u64, x: u64) -> Sums {
        let raw = decreasing_sums(tilted, start, end);
        let scale = self.ln_weight(tilted, start, reference).exp();
        let shift = start as f64 - x as f64;
        Sums {
            mass: raw.mass * scale,
            first: (raw.first + shift * raw.mass) * scale,
            second: (raw.second + 2.0 * shift * raw.first + shift * shift * raw.mass) * scale,
        }
    }

    fn moments(&self, t: f64, x: u64) -> Moments {
        let law = self.law;
        let mut tilted = Tilted {
            law,
            t,
            psi: t.exp(),
            origin: 0.0,
        };
        let mode = self.mode(&tilted);
        tilted.origin = mode as f64;
        let add = |a: Sums, b: Sums| Sums {
            mass: a.mass + b.mass,
            first: a.first + b.first,
            second: a.second + b.second,
        };
        let less = |a: Sums, b: Sums| Sums {
            mass: a.mass - b.mass,
            first: a.first - b.first,
            second: a.second - b.second,
        };
        let mut total = self.stretch(&tilted, mode, law.high, mode, x);
        if mode > law.low {
            total = add(total, self.stretch(&tilted, mode - 1, law.low, mode, x));
        }
        // The term at x itself (its moments about x vanish).
        let at_x = Sums {
            mass: self.ln_weight(&tilted, x, mode).exp(),
            ..Sums::default()
        };
        // One tail at x summed directly (the side away from the mode), the other by difference
        // from the total (it holds at least about half the mass, so nothing cancels).
        let (upper, lower) = if x >= mode {
            let upper = self.stretch(&tilted, x, law.high, mode, x);
            (upper, add(less(total, upper), at_x))
        } else {
            let lower = self.stretch(&tilted, x, law.low, mode, x);
            (add(less(total, lower), at_x), lower)
        };
        let mean = total.first / total.mass;
        Moments {
            total: total.mass,
            mean,
            variance: (total.second / total.mass - mean * mean).max(0.0),
            upper: (upper.mass, upper.first / upper.mass.max(f64::MIN_POSITIVE)),
            lower: (lower.mass, lower.first / lower.mass.max(f64::MIN_POSITIVE)),
        }
    }
}

/// Sums over the support at one `t = ln ψ`, relative to the largest term.
struct Moments {
    total: f64,
    mean: f64,
    variance: f64,
    /// Mass and mean of `X >= x`.
    upper: (f64, f64),
    /// Mass and mean of `X <= x`.
    lower: (f64, f64),
}

impl Table {
    fn new(law: &Hypergeometric) -> Table {
        Table {
            low: law.low,
            ratio: (law.low..law.high).map(|k| law.ratio_up(k)).collect(),
            inverse_ratio: (law.low + 1..=law.high)
                .map(|k| law.ratio_down(k))
                .collect(),
            ln_weight: central_ln_weights(law),
        }
    }

    /// Masses and moments at `t = ln ψ`, with `x` the observed value. The law is log-concave:
    /// its largest term is found by bisection on the slope, and the terms are built outward
    /// from it by multiplying by `ratio · ψ` (each factor at most 1 going outward, so nothing
    /// overflows), one multiplication per term instead of an `exp`, until they fall below
    /// 1e-300 of the largest (where they cannot change any sum). Beyond `|t| > 600`, where ψ
    /// itself nears the range of a double, each term is `exp` of its logarithm.
    fn moments(&self, t: f64, x: u64) -> Moments {
        if t.abs() > 600.0 {
            return self.moments_by_exp(t, x);
        }
        let (psi, inverse_psi) = (t.exp(), (-t).exp());
        let n = self.ln_weight.len();
        let split = (x - self.low) as usize;
        // The first index whose next term is smaller.
        let peak = {
            let (mut lo, mut hi) = (0, n - 1);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if self.ln_weight[mid + 1] - self.ln_weight[mid] + t >= 0.0 {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let (mut total, mut s1, mut s2) = (0.0, 0.0, 0.0);
        let (mut up, mut up1, mut lo, mut lo1) = (0.0, 0.0, 0.0, 0.0);
        let mut add = |i: usize, w: f64| {
            // Moments about the observed value keep their digits when the law is far from 0.
            let k = i as f64 - split as f64;
            total += w;
            s1 += w * k;
            s2 += w * k * k;
            if i >= split {
                up += w;
                up1 += w * k;
            }
            if i <= split {
                lo += w;
                lo1 += w * k;
            }
        };
        add(peak, 1.0);
        let mut w = 1.0;
        for i in (0..peak).rev() {
            w *= self.inverse_ratio[i] * inverse_psi;
            if w <= NEGLIGIBLE {
                break;
            }
            add(i, w);
        }
        w = 1.0;
        for i in peak + 1..n {
            w *= self.ratio[i - 1] * psi;
            if w <= NEGLIGIBLE {
                break;
            }
            add(i, w);
        }
        let mean = s1 / total;
        Moments {
            total,
            mean,
            variance: (s2 / total - mean * mean).max(0.0),
            upper: (up, up1 / up.max(f64::MIN_POSITIVE)),
            lower: (lo, lo1 / lo.max(f64::MIN_POSITIVE)),
        }
    }

    /// [`Table::moments`] with each term `exp` of its logarithm (any `t`).
    fn moments_by_exp(&self, t: f64, x: u64) -> Moments {
        let exponent = |i: usize| self.ln_weight[i] + (self.low as f64 + i as f64) * t;
        let shift = (0..self.ln_weight.len())
            .map(exponent)
            .fold(f64::NEG_INFINITY, f64::max);
        let split = (x - self.low) as usize;
        let (mut total, mut s1, mut s2) = (0.0, 0.0, 0.0);
        let (mut up, mut up1, mut lo, mut lo1) = (0.0, 0.0, 0.0, 0.0);
        for i in 0..self.ln_weight.len() {
            let w = (exponent(i) - shift).exp();
            let k = i as f64 - split as f64;
            total += w;
            s1 += w * k;
            s2 += w * k * k;
            if i >= split {
                up += w;
                up1 += w * k;
            }
            if i <= split {
                lo += w;
                lo1 += w * k;
            }
        }
        let mean = s1 / total;
        Moments {
            total,
            mean,
            variance: (s2 / total - mean * mean).max(0.0),
            upper: (up, up1 / up.max(f64::MIN_POSITIVE)),
            lower: (lo, lo1 / lo.max(f64::MIN_POSITIVE)),
        }
    }
}

/// Terms below this fraction of the largest are left out of [`Table::moments`]' sums.
const NEGLIGIBLE: f64 = 1e-300;

/// `ln P(X = k) − ln P(X = mode)` for every `k` of the support, from `low` up, by the ratio
/// recurrence (no factorials). Callers bound the support's size (see [`TABLE_MAX`]).
pub(super) fn central_ln_weights(law: &Hypergeometric) -> Vec<f64> {
    let mode = law.mode();
    let size = usize::try_from(law.high - law.low + 1).unwrap_or(usize::MAX);
    let mut ln_weight = vec![0.0; size];
    let at = |k: u64| (k - law.low) as usize;
    let mut acc = 0.0;
    for k in (law.low + 1..=mode).rev() {
        acc += law.ratio_down(k).ln();
        ln_weight[at(k - 1)] = acc;
    }
    acc = 0.0;
    for k in mode..law.high {
        acc += law.ratio_up(k).ln();
        ln_weight[at(k + 1)] = acc;
    }
    ln_weight
}

/// The table's cells `[a, b, c, d]` with 0.5 added to each: starting points for the searches
/// (never an estimate that is reported).
pub(super) fn cells_plus_half(treatment: Binomial, control: Binomial) -> [f64; 4] {
    [
        treatment.successes(),
        treatment.failures(),
        control.successes(),
        control.failures(),
    ]
    .map(|v| v as f64 + 0.5)
}

/// Newton iterations allowed per root before giving the bracket's midpoint.
const MAX_ITERATIONS: usize = 200;

/// Root of an increasing `f` (value and derivative) in `t`, starting at `start`: brackets the
/// root by steps out from `start` (the first one Newton's step from `start`, a tenth longer, so
/// that it usually brackets the root at once; then doubling), then runs Newton's method from
/// the end of the bracket nearer the root, kept inside the bracket (bisection when a step
/// leaves it), stopping when the bracket or the step is below 1e-14 in `t`.
fn increasing_root(start: f64, f: impl Fn(f64) -> (f64, f64)) -> f64 {
    let (v_start, s_start) = f(start);
    if v_start == 0.0 {
        return start;
    }
    let newton_step = (v_start / s_start).abs();
    let mut step = if s_start > 0.0 && newton_step.is_finite() && newton_step < 1.0 {
        (1.1 * newton_step).max(1e-9)
    } else {
        1.0
    };
    // Expand until f(lo) < 0 <= f(hi); 2^12 in t is far beyond any double's odds ratio. The
    // value and slope at each end are kept.
    let (mut lo, mut hi) = ((start, v_start, s_start), (start, v_start, s_start));
    let sign = if v_start > 0.0 { -1.0 } else { 1.0 };
    let mut probe = start;
    for _ in 0..13 {
        probe += sign * step;
        let (v, s) = f(probe);
        if v_start > 0.0 {
            lo = (probe, v, s);
            if v <= 0.0 {
                break;
            }
            hi = lo;
        } else {
            hi = (probe, v, s);
            if v >= 0.0 {
                break;
            }
            lo = hi;
        }
        step *= 2.0;
    }
    // Newton from the end with the smaller value.
    let (mut t, mut value, mut slope) = if lo.1.abs() <= hi.1.abs() { lo } else { hi };
    let (mut lo, mut hi) = (lo.0, hi.0);
    for _ in 0..MAX_ITERATIONS {
        if value == 0.0 {
            return t;
        }
        if value < 0.0 {
            lo = t;
        } else {
            hi = t;
        }
        let newton = t - value / slope;
        let next = if newton > lo && newton < hi && slope > 0.0 {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - t).abs() <= 1e-14 * (1.0 + t.abs()) || hi - lo <= 1e-14 * (1.0 + t.abs()) {
            return next;
        }
        t = next;
        (value, slope) = f(t);
    }
    t
}

/// Conditional MLE and exact conditional interval of the odds ratio of the table
/// `[[x_t, n_t − x_t], [x_c, n_c − x_c]]` (definitions in the module documentation).
///
/// Returns `None` when a margin is degenerate (an empty arm, no responders at all, or all
/// responders): then only the observed table is possible and the data say nothing about ψ
/// (R returns the interval `[0, ∞]` there).
#[must_use]
pub fn odds_ratio_exact(
    treatment: Binomial,
    control: Binomial,
    level: Level,
) -> Option<ConditionalOddsRatio> {
    let hyper = Hypergeometric::new(treatment, control);
    if treatment.trials() == 0 || control.trials() == 0 || hyper.low >= hyper.high {
        return None;
    }
    let law = Law::new(&hyper);
    let x = treatment.successes();
    let ln_tail = level.tail().ln();
    // A start near the answer: the log odds ratio with 0.5 added to every cell.
    let start = {
        let [a, b, c, d] = cells_plus_half(treatment, control);
        (a * d / (b * c)).ln()
    };
    let estimate = if x == hyper.low {
        0.0
    } else if x == hyper.high {
        f64::INFINITY
    } else {
        increasing_root(start, |t| {
            let m = law.moments(t, x);
            (m.mean, m.variance)
        })
        .exp()
    };
    let low = if x == hyper.low {
        0.0
    } else {
        // ln P(X >= x) − ln(α/2), increasing in t with slope E[X | X >= x] − E[X].
        increasing_root(start, |t| {
            let m = law.moments(t, x);
            ((m.upper.0 / m.total).ln() - ln_tail, m.upper.1 - m.mean)
        })
        .exp()
    };
    let high = if x == hyper.high {
        f64::INFINITY
    } else {
        // ln(α/2) − ln P(X <= x), increasing in t with slope E[X] − E[X | X <= x].
        increasing_root(start, |t| {
            let m = law.moments(t, x);
            (ln_tail - (m.lower.0 / m.total).ln(), m.mean - m.lower.1)
        })
        .exp()
    };
    Some(ConditionalOddsRatio {
        estimate,
        interval: Interval { low, high },
    })
}

// Reference values are copied with every digit their source printed (17 significant digits).
#[cfg(test)]
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;
    use crate::stats::testing::assert_rel;

    /// mpmath at 50 digits (tests/reference/fisher_mp.py), confirmed by scipy 1.17.1
    /// `stats.contingency.odds_ratio(table, kind='conditional')` to about 1e-14. The Newton
    /// iteration here stops at 1e-14 in ln ψ.
    const MPMATH_REL: f64 = 1e-11;
    /// Wide supports against float64 sums (about 1e-12) and brentq roots (1e-15 in ln ψ).
    const WIDE_REL: f64 = 1e-9;
    /// R 4.2.2 `fisher.test` finds the same roots with `uniroot` at its default tolerance
    /// (about 1.2e-4), so its printed limits are 1e-6 to 1e-2 relative off the exact ones; the
    /// tables below were chosen where R is within 2e-4.
    const R_UNIROOT_REL: f64 = 2e-4;

    fn bin(x: u64, n: u64) -> Binomial {
        Binomial::new(x, n).expect("valid counts")
    }

    fn exact(xt: u64, nt: u64, xc: u64, nc: u64, level: f64) -> ConditionalOddsRatio {
        odds_ratio_exact(bin(xt, nt), bin(xc, nc), Level::new(level).unwrap()).unwrap()
    }

    #[test]
    fn matches_high_precision_values() {
        // (table, level) -> (conditional MLE, lower, upper), mpmath.
        let cases = [
            (
                (56, 70, 48, 80, 0.90),
                (2.6491872957236945, 1.3533073953805858, 5.3259586099023274),
            ),
            (
                (56, 70, 48, 80, 0.95),
                (2.6491872957236945, 1.2091154789241256, 6.0398730131334436),
            ),
            (
                (56, 70, 48, 80, 0.99),
                (2.6491872957236945, 0.97119656863202362, 7.7633717951914028),
            ),
            (
                (9, 10, 3, 10, 0.95),
                (17.269033937971684, 1.3871135379434164, 1047.839981703822),
            ),
            (
                (6, 7, 2, 7, 0.95),
                (11.714345924368008, 0.7203390686297659, 823.97984149114752),
            ),
            (
                (7, 34, 1, 34, 0.95),
                (8.329343717551269, 0.97327363288239903, 396.99400217017906),
            ),
            (
                (24, 38, 10, 38, 0.95),
                (4.6921508326840021, 1.6356460622777171, 14.401578647471057),
            ),
            (
                (24, 38, 10, 38, 0.99),
                (4.6921508326840021, 1.230665540534563, 20.134038318083428),
            ),
            (
                (29, 38, 10, 38, 0.95),
                (8.7108353019313146, 2.867107847183866, 29.22136407135363),
            ),
            (
                (250, 400, 3, 9, 0.95),
                (3.323199802190417, 0.697530100197832, 20.836356531640351),
            ),
        ];
        for ((xt, nt, xc, nc, level), (mle, low, high)) in cases {
            let got = exact(xt, nt, xc, nc, level);
            let what = format!("{xt}/{nt} vs {xc}/{nc} at {level}");
            assert_rel(got.estimate, mle, MPMATH_REL, &format!("{what} MLE"));
            assert_rel(got.interval.low, low, MPMATH_REL, &format!("{what} low"));
            assert_rel(got.interval.high, high, MPMATH_REL, &format!("{what} high"));
        }
    }

    #[test]
    fn agrees_with_r_fisher_test_to_its_tolerance() {
        // R 4.2.2: fisher.test(matrix(c(24, 14, 10, 28), 2, byrow = TRUE))
        //   $estimate 4.6921510414269338, $conf.int 1.6356481412971906 14.403356473677782
        let got = exact(24, 38, 10, 38, 0.95);
        assert_rel(
            got.estimate,
            4.6921510414269338,
            R_UNIROOT_REL,
            "R estimate",
        );
        assert_rel(got.interval.low, 1.6356481412971906, R_UNIROOT_REL, "R low");
        assert_rel(
            got.interval.high,
            14.403356473677782,
            R_UNIROOT_REL,
            "R high",
        );
        // R 4.2.2: fisher.test(matrix(c(56, 14, 48, 32), 2, byrow = TRUE), conf.level = 0.9)
        //   $conf.int 1.3532977820232504 5.3260535382358603
        let a = exact(56, 70, 48, 80, 0.90);
        assert_rel(
            a.interval.low,
            1.3532977820232504,
            R_UNIROOT_REL,
            "R (a) low",
        );
        assert_rel(
            a.interval.high,
            5.3260535382358603,
            R_UNIROOT_REL,
            "R (a) high",
        );
    }

    #[test]
    fn edges_of_the_support() {
        // x at the top of its support (no control responders): MLE and upper limit infinite,
        // as in R; lower limits from mpmath.
        for ((xt, nt, xc, nc), low) in [
            ((5, 56, 0, 29), 0.48327150104200475),
            ((10, 10, 0, 20), 23.358071647209743),
            ((10, 10, 0, 10), 11.135840592560429),
            // Support {0, 1}: P(X = 1) = ψ/(1 + ψ) = 0.025 gives exactly 1/39.
            ((1, 1, 0, 1), 1.0 / 39.0),
        ] {
            let got = exact(xt, nt, xc, nc, 0.95);
            assert_rel(
                got.interval.low,
                low,
                MPMATH_REL,
                "low at the top of the support",
            );
            assert_eq!(got.interval.high, f64::INFINITY);
            assert_eq!(got.estimate, f64::INFINITY);
        }
        // At the bottom: mirror image.
        let got = exact(0, 29, 5, 56, 0.95);
        assert_eq!((got.estimate, got.interval.low), (0.0, 0.0));
        assert_rel(
            got.interval.high,
            1.0 / 0.48327150104200475,
            MPMATH_REL,
            "mirror",
        );
        // Degenerate margins (no responders at all, or an empty arm): nothing to estimate.
        let l = Level::NINETY_FIVE;
        assert_eq!(odds_ratio_exact(bin(0, 10), bin(0, 20), l), None);
        assert_eq!(odds_ratio_exact(bin(10, 10), bin(20, 20), l), None);
        assert_eq!(odds_ratio_exact(bin(0, 0), bin(3, 20), l), None);
    }

    #[test]
    fn wide_supports_match_independent_sums() {
        // tests/reference/compare_large_counts.py: mpmath 1.3.0 log-weights (40 digits), numpy
        // 2.4.6 float64 sums over +-60 sd, scipy 1.17.1 brentq roots in ln ψ (xtol 1e-15).
        // The first table has 34,001 support values (in the table); scipy
        // 1.17.1 `stats.contingency.odds_ratio(table, kind='conditional')` gives
        // 4.799890910351418, CI (4.6533005549996, 4.951330814714091) for it, within 2e-12
        // of these. The last has arms of 1e8 (sd 5,000: Euler-Maclaurin).
        let cases = [
            (
                (24_000, 38_000, 10_000, 38_000),
                (4.799890910346203, 4.65330055472687, 4.951330814718839),
            ),
            (
                (500_300, 1_000_000, 500_000, 1_000_000),
                (1.001200719831539, 0.995661824082948, 1.0067704297662519),
            ),
            (
                (250_000, 1_000_000, 249_000, 1_000_000),
                (1.0053547496581716, 0.9989302031359506, 1.0118206272004544),
            ),
            (
                (50_010_000, 100_000_000, 50_000_000, 100_000_000),
                (1.0004000800140025, 0.9998456103918238, 1.0009548571240086),
            ),
        ];
        for ((xt, nt, xc, nc), (mle, low, high)) in cases {
            let got = exact(xt, nt, xc, nc, 0.95);
            let what = format!("{xt}/{nt} vs {xc}/{nc}");
            assert_rel(got.estimate, mle, WIDE_REL, &format!("{what} MLE"));
            assert_rel(got.interval.low, low, WIDE_REL, &format!("{what} low"));
            assert_rel(got.interval.high, high, WIDE_REL, &format!("{what} high"));
        }
        // scipy 1.17.1 itself on the first table.
        let got = exact(24_000, 38_000, 10_000, 38_000, 0.95);
        assert_rel(got.estimate, 4.799890910351418, WIDE_REL, "scipy MLE");
        assert_rel(got.interval.low, 4.6533005549996, WIDE_REL, "scipy low");
        assert_rel(got.interval.high, 4.951330814714091, WIDE_REL, "scipy high");
    }

    #[test]
    fn huge_supports_take_bounded_time() {
        // 4e9/9e9 vs 1/9e9 (the support has 4e9 values: the old table took 32 GB) and arms of
        // 2^52: every limit finite where it must be, ordered, within a second.
        let start = std::time::Instant::now();
        let lone = exact(4_000_000_000, 9_000_000_000, 1, 9_000_000_000, 0.95);
        assert!(lone.interval.low > 0.0 && lone.interval.low < lone.estimate);
        assert!(lone.estimate < lone.interval.high && lone.interval.high.is_finite());
        let n = 1_u64 << 52;
        let big = exact(n / 2 + 100_000_000, n, n / 2, n, 0.95);
        assert!(big.interval.low < big.estimate && big.estimate < big.interval.high);
        let [a, b, c, d] =
            [n / 2 + 100_000_000, n / 2 - 100_000_000, n / 2, n / 2].map(|v| v as f64);
        assert!(big.interval.contains(a * d / (b * c)), "{big:?}");
        assert!(start.elapsed().as_secs_f64() < 1.0, "{:?}", start.elapsed());
    }

    #[test]
    fn large_tables_stay_accurate_and_ordered() {
        // 4,000 per arm: the interval brackets the MLE, and the MLE is close to the sample
        // odds ratio (they differ by O(1/n)).
        let got = exact(1500, 4000, 1300, 4000, 0.95);
        let sample = (1500.0 * 2700.0) / (2500.0 * 1300.0);
        assert!(got.interval.low < got.estimate && got.estimate < got.interval.high);
        assert_rel(got.estimate, sample, 1e-3, "MLE near the sample odds ratio");
    }
}
