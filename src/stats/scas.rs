//! Skewness-corrected asymptotic score (SCAS) intervals for the difference and the ratio of
//! two proportions (Laud 2017).
//!
//! Why: the Miettinen-Nurminen intervals (`score.rs`) invert a score statistic that is treated
//! as normal, but for small arms or rates near 0 or 1 its distribution is skewed, so the two
//! tails are not equally covered (one side misses far more often than 2.5%). Gart & Nam's
//! correction for the third moment fixes the tails; Laud (2017) shows the resulting SCAS
//! intervals keep central, not only overall, coverage close to nominal. They are the default of
//! R's `ratesci::scoreci`.
//!
//! For a hypothesised contrast θ, with the restricted MLEs `(p̃_t, p̃_c)` of `score.rs`, the
//! `N/(N − 1)` variance factor λ and `q = Φ⁻¹(1 − α/2)`:
//!
//! ```text
//! difference θ = p_t − p_c:  S = p̂_t − p̂_c − θ
//!     V  = λ (p̃_t(1−p̃_t)/n_t + p̃_c(1−p̃_c)/n_c)
//!     μ₃ = p̃_t(1−p̃_t)(1−2p̃_t)/n_t² − p̃_c(1−p̃_c)(1−2p̃_c)/n_c²
//! ratio θ = p_t / p_c:       S = p̂_t − θ p̂_c
//!     V  = λ (p̃_t(1−p̃_t)/n_t + θ² p̃_c(1−p̃_c)/n_c)
//!     μ₃ = p̃_t(1−p̃_t)(1−2p̃_t)/n_t² − θ³ p̃_c(1−p̃_c)(1−2p̃_c)/n_c²
//! corrected score z(θ): with s = S/√V and A = μ₃ / (6 V^{3/2}), the root of
//!     A z² + z − (s + A) = 0  near s, z = (√(1 + 4A(s + A)) − 1) / (2A)
//!     (z = s when A = 0; z = s − (q² − 1) A when the discriminant is negative)
//! limits: z(θ) = ±q
//! ```
//!
//! (μ₃ is the third central moment of `S` under the restricted estimates; without it these are
//! the Miettinen-Nurminen limits.) `z` is not monotone over the whole range: far out in the
//! ratio's tail the correction term overtakes `s` and `z` turns back, so each limit is the
//! first crossing of `±q` going outward from the estimate: steps that double (from 1/64 of the
//! way to the boundary for the difference, from 1/16 in ln θ for the ratio) bracket it, then
//! regula falsi (Illinois) finds it. Conventions as `score.rs`: the difference interval lies in
//! `[−1, 1]`; the ratio's lower limit is 0 when `x_t = 0` and its upper limit ∞ when `x_c = 0`
//! (and also when `z` does not reach `±q` within θ = 1e±100 on that side, which happens at
//! extreme levels: with `x_c = 0`, `z` tends to `√(6λ x_t + 1)` as θ → 0, below `q` for a
//! small `x_t` and a level of 0.999999);
//! a zero restricted variance gives a statistic of ±∞ (0 when `S = 0`). No continuity
//! correction (ratesci's `cc = FALSE`). For one table the ratio score `S` and Tang's
//! `S / p̃_c` (ratesci's `RRtang`) give the same limits, since the correction term is
//! unchanged by scaling `S`.
//!
//! References: P. J. Laud, "Equal-tailed confidence intervals for comparison of rates",
//! Pharmaceutical Statistics 16 (2017) 334-348, and its corrigendum 17 (2018) 290-293;
//! J. J. Gart & J. Nam, Biometrics 44 (1988) 323-338 and 46 (1990) 637-643; R package ratesci
//! (`scoreci(..., skew = TRUE)`).

use super::score::{
    falsi_crossing, restricted_difference, restricted_ratio, score_statistic, variance_factor,
};
use super::{Binomial, Interval, Level};

/// The corrected score `z` of `S`, `V`, `μ₃` at level quantile `q` (module documentation),
/// with the zero-variance conventions there.
fn corrected(s: f64, v: f64, mu3: f64, q: f64) -> f64 {
    if v <= 0.0 {
        return score_statistic(s, v);
    }
    let score = s / v.sqrt();
    let a = mu3 / (6.0 * v * v.sqrt());
    if a == 0.0 || !a.is_finite() {
        return score;
    }
    let discriminant = 1.0 + 4.0 * a * (score + a);
    if discriminant < 0.0 {
        score - (q * q - 1.0) * a
    } else {
        (discriminant.sqrt() - 1.0) / (2.0 * a)
    }
}

/// `p(1 − p)(1 − 2p)`, the third central moment of one Bernoulli trial.
fn third_moment(p: f64) -> f64 {
    p * (1.0 - p) * (1.0 - 2.0 * p)
}

/// Width (in θ for the difference, in ln θ for the ratio) at which a limit's bracket is
/// accepted: far below the 1e-9 the reference values carry.
const ROOT_TOLERANCE: f64 = 1e-13;

/// The first point going from `from` towards `to` where `z` passes `target` (downwards when
/// `to > from`), bracketed by steps that double from `first_step`, then bisected; `to` when
/// it never does.
fn first_crossing(from: f64, to: f64, first_step: f64, target: f64, z: impl Fn(f64) -> f64) -> f64 {
    let ahead = |v: f64| if to > from { v < target } else { v >= target };
    let mut inside = from;
    let mut step = first_step;
    loop {
        let next = if to > from {
            (inside + step).min(to)
        } else {
            (inside - step).max(to)
        };
        if next == to || ahead(z(next)) {
            return if to > from {
                falsi_crossing(inside, next, target, ROOT_TOLERANCE, &z)
            } else {
                falsi_crossing(next, inside, target, ROOT_TOLERANCE, &z)
            };
        }
        inside = next;
        step *= 2.0;
    }
}

/// Limits of a corrected score `z` decreasing (near the estimate) from +∞ at `min` to −∞ at
/// `max`, crossing `±q`; `guess` is the estimate, `first_step` the first step outward.
fn limits(
    min: f64,
    max: f64,
    guess: f64,
    first_step: f64,
    q: f64,
    z: impl Fn(f64) -> f64,
) -> (f64, f64) {
    // z at the estimate is about A, far inside (−q, q); but when a count is zero the estimate
    // is a boundary and `guess` only a point between, which may lie beyond a limit: move it
    // inside first (the same doubling steps).
    let inside = |start: f64, towards: f64, outside: &dyn Fn(f64) -> bool| {
        let (mut point, mut step) = (start, first_step);
        while outside(z(point)) && point != towards {
            point = if towards > point {
                (point + step).min(towards)
            } else {
                (point - step).max(towards)
            };
            step *= 2.0;
        }
        point
    };
    let low_start = inside(guess, max, &|v| v >= q);
    let high_start = inside(guess, min, &|v| v < -q);
    (
        first_crossing(low_start, min, first_step, q, &z),
        first_crossing(high_start, max, first_step, -q, &z),
    )
}

/// SCAS interval for `p_t − p_c` (module documentation). `None` when an arm has no trials.
#[must_use]
pub fn scas_difference(treatment: Binomial, control: Binomial, level: Level) -> Option<Interval> {
    let (pt, pc) = (treatment.rate()?, control.rate()?);
    let (nt, nc) = (treatment.trials() as f64, control.trials() as f64);
    let lambda = variance_factor(nt, nc);
    let q = level.z();
    let d = pt - pc;
    let t = |delta: f64| {
        if delta <= -1.0 {
            return f64::INFINITY;
        }
        if delta >= 1.0 {
            return f64::NEG_INFINITY;
        }
        let (qt, qc) = restricted_difference(pt, pc, nt, nc, delta);
        let v = lambda * (qt * (1.0 - qt) / nt + qc * (1.0 - qc) / nc);
        let mu3 = third_moment(qt) / (nt * nt) - third_moment(qc) / (nc * nc);
        corrected(d - delta, v, mu3, q)
    };
    let (low, high) = limits(-1.0, 1.0, d, 1.0 / 64.0, q, t);
    Some(Interval {
        low: low.clamp(-1.0, 1.0),
        high: high.clamp(-1.0, 1.0),
    })
}

/// SCAS interval for `p_t / p_c` (module documentation). `None` when an arm has no trials or
/// neither arm has a success.
#[must_use]
pub fn scas_ratio(treatment: Binomial, control: Binomial, level: Level) -> Option<Interval> {
    let (pt, pc) = (treatment.rate()?, control.rate()?);
    let (xt, xc) = (treatment.successes() as f64, control.successes() as f64);
    if xt == 0.0 && xc == 0.0 {
        return None;
    }
    let (nt, nc) = (treatment.trials() as f64, control.trials() as f64);
    let lambda = variance_factor(nt, nc);
    let q = level.z();
    // The search stays within θ = e^±230 (about 1e±100): further out the restricted estimates
    // and V^{3/2} underflow and the statistic is noise. A limit beyond is reported as 0 or ∞
    // (as ratesci, whose own search stops near 1e±10).
    const LN_SPAN: f64 = 230.0;
    let t = |ln_phi: f64| {
        if ln_phi <= -LN_SPAN {
            return f64::INFINITY;
        }
        if ln_phi >= LN_SPAN {
            return f64::NEG_INFINITY;
        }
        let phi = ln_phi.exp();
        let (qt, qc) = restricted_ratio(xt, nt, xc, nc, phi);
        let v = lambda * (qt * (1.0 - qt) / nt + phi * phi * qc * (1.0 - qc) / nc);
        let mu3 = third_moment(qt) / (nt * nt) - phi.powi(3) * third_moment(qc) / (nc * nc);
        corrected(pt - phi * pc, v, mu3, q)
    };
    let guess = if xt == 0.0 || xc == 0.0 {
        0.0
    } else {
        (pt / pc).ln()
    };
    let (low, high) = limits(-LN_SPAN, LN_SPAN, guess, 1.0 / 16.0, q, t);
    // A limit found at the end of the search range means `z` never reaches `±q` on that side
    // (at extreme levels the correction keeps it below): the limit is 0 or ∞, as in ratesci.
    let edge = LN_SPAN - 1.0;
    Some(Interval {
        low: if xt == 0.0 || low <= -edge {
            0.0
        } else {
            low.exp()
        },
        high: if xc == 0.0 || high >= edge {
            f64::INFINITY
        } else {
            high.exp()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{assert_abs, reference_number, reference_rows};

    fn bin(x: u64, n: u64) -> Binomial {
        Binomial::new(x, n).unwrap()
    }

    fn level(l: f64) -> Level {
        Level::new(l).unwrap()
    }

    /// ratesci's limits come from its own bisection on `m` in [−1, 1], whose midpoints it
    /// rounds to 10 decimals (`bisect` in R/scoreci.R): the RD is `m` itself, so it is known to
    /// about 1e-10 (and printed to 10 places); the RR is `tan(π(m + 1)/4)`, so its resolution is
    /// `dθ/dm · 1e-10 = (π/4)(1 + θ²) · 1e-10`, which [`ratesci_rr_tolerance`] allows four times over (a bracket end may sit one rounding unit off).
    /// ratesci also rounds the restricted `p̃_c` to 10 decimals (`scoretheta`), which changes the
    /// variance by up to `5e-11 / min(p̃, 1 − p̃)` relative and moves a limit by about as much
    /// (2/400 vs 9/380: 1.4e-9; 5/20000 vs 1/20000: 3.2e-8, where `p̃_c` is 1.5e-4); the
    /// tolerance allows 5e-9 plus four times that, with `p̃` at the limit. Ours stop at a few
    /// ulps.
    const RATESCI_ABS: f64 = 2e-9;

    fn ratesci_rr_tolerance(theta: f64, t: Binomial, c: Binomial) -> f64 {
        let [xt, nt, xc, nc] =
            [t.successes(), t.trials(), c.successes(), c.trials()].map(|v| v as f64);
        let (qt, qc) = super::super::score::restricted_ratio(xt, nt, xc, nc, theta);
        let smallest = [qt, 1.0 - qt, qc, 1.0 - qc]
            .into_iter()
            .filter(|&v| v > 0.0)
            .fold(1.0, f64::min);
        core::f64::consts::FRAC_PI_4 * (1.0 + theta * theta) * 4e-10
            + (5e-9 + 2e-10 / smallest) * theta
    }

    /// R 4.2.2 with ratesci 0.4-0.9000 sourced, `scoreci(..., skew = TRUE)` (RR with
    /// `RRtang = FALSE`), written by tests/reference/scas_blaker.R: 78 tables (published
    /// examples, edges and a seeded random sample) at levels 0.90, 0.95 and 0.99.
    #[test]
    fn matches_ratesci() {
        let rows = reference_rows(include_str!("../../tests/reference/data/scas.csv"));
        assert!(rows.len() >= 200, "the reference file lost rows");
        for row in rows {
            let n: Vec<u64> = row[..4].iter().map(|v| v.parse().unwrap()).collect();
            let (t, c) = (bin(n[0], n[1]), bin(n[2], n[3]));
            let lv = level(row[4].parse().unwrap());
            let what = format!("{}/{} vs {}/{} at {}", n[0], n[1], n[2], n[3], row[4]);
            let rd = scas_difference(t, c, lv).unwrap();
            assert_abs(
                rd.low,
                reference_number(&row[5]).unwrap(),
                RATESCI_ABS,
                &what,
            );
            assert_abs(
                rd.high,
                reference_number(&row[6]).unwrap(),
                RATESCI_ABS,
                &what,
            );
            match (reference_number(&row[7]), scas_ratio(t, c, lv)) {
                (None, None) => {}
                (Some(low), Some(rr)) => {
                    let high = reference_number(&row[8]).unwrap();
                    assert_abs(rr.low, low, ratesci_rr_tolerance(low, t, c), &what);
                    if high.is_infinite() {
                        assert!(rr.high.is_infinite(), "{what}: upper {}", rr.high);
                    } else {
                        assert_abs(rr.high, high, ratesci_rr_tolerance(high, t, c), &what);
                    }
                }
                (expected, got) => panic!("{what}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    /// Laud (2017), Table 2, "SCAS" rows, binomial RD and RR, printed to 3 decimals (also the
    /// test file tests/testthat/Table2.Rdata of ratesci): cisapride trial strata 1 and 2 and
    /// Newcombe's 5/56 vs 0/29.
    #[test]
    fn matches_laud_2017_table_2() {
        const PRINTED: f64 = 0.0005;
        let cases = [
            ((12, 16, 1, 16), (0.386, 0.878), (2.648, 204.300)),
            ((19, 29, 22, 30), (-0.312, 0.160), (0.613, 1.271)),
            ((5, 56, 0, 29), (-0.019, 0.187), (0.770, f64::INFINITY)),
        ];
        for ((xt, nt, xc, nc), (rd_low, rd_high), (rr_low, rr_high)) in cases {
            let (t, c) = (bin(xt, nt), bin(xc, nc));
            let rd = scas_difference(t, c, Level::NINETY_FIVE).unwrap();
            let rr = scas_ratio(t, c, Level::NINETY_FIVE).unwrap();
            assert_abs(rd.low, rd_low, PRINTED, "RD low");
            assert_abs(rd.high, rd_high, PRINTED, "RD high");
            assert_abs(rr.low, rr_low, PRINTED, "RR low");
            if rr_high.is_infinite() {
                assert!(rr.high.is_infinite());
            } else {
                assert_abs(rr.high, rr_high, PRINTED, "RR high");
            }
        }
    }

    /// Swapping the arms negates the difference interval and inverts the ratio interval.
    #[test]
    fn swapping_arms_mirrors_the_intervals() {
        for (xt, nt, xc, nc) in [(3, 17, 9, 20), (0, 12, 4, 30), (25, 25, 10, 14)] {
            let (t, c) = (bin(xt, nt), bin(xc, nc));
            let a = scas_difference(t, c, Level::NINETY_FIVE).unwrap();
            let b = scas_difference(c, t, Level::NINETY_FIVE).unwrap();
            assert_abs(a.low, -b.high, 1e-12, "low");
            assert_abs(a.high, -b.low, 1e-12, "high");
            let r = scas_ratio(t, c, Level::NINETY_FIVE).unwrap();
            let s = scas_ratio(c, t, Level::NINETY_FIVE).unwrap();
            assert_abs(r.low, 1.0 / s.high, 1e-9 * r.low.max(1e-300), "ratio low");
        }
    }

    /// With no control responder the corrected score tends to `√(6λ x_t + 1)` (4.494 for 3/9
    /// vs 0/7) as θ → 0, below q = 4.89 at 99.9999%: the lower limit is 0. ratesci 0.4-0.9000
    /// prints `Lower 0` for `scoreci(3, 9, 0, 7, contrast = "RR", RRtang = FALSE,
    /// level = 0.999999)`; at 95% both give a positive limit.
    #[test]
    fn a_score_that_never_reaches_q_gives_a_zero_limit() {
        let (t, c) = (bin(3, 9), bin(0, 7));
        let extreme = scas_ratio(t, c, level(0.999999)).unwrap();
        assert_eq!(extreme.low, 0.0);
        assert!(extreme.high.is_infinite());
        assert!(scas_ratio(t, c, Level::NINETY_FIVE).unwrap().low > 0.5);
    }

    #[test]
    fn undefined_inputs() {
        assert!(scas_difference(bin(0, 0), bin(1, 2), Level::NINETY_FIVE).is_none());
        assert!(scas_ratio(bin(0, 5), bin(0, 7), Level::NINETY_FIVE).is_none());
    }
}
