//! Blaker's exact test of an odds ratio and the confidence interval that matches it.
//!
//! Why: Fisher's two-sided p (R's "minimum likelihood" convention, kept in `fisher.rs`) and the
//! central exact interval (`exact_odds.rs`) can disagree: the interval may include 1 while
//! p < 0.05, or exclude it while p > 0.05, because they order the tables differently. Blaker's
//! test orders the tables by their smaller tail, and its confidence set is exactly the odds
//! ratios the test does not reject, so the test and the interval always agree; the interval
//! is never wider than the central one (Blaker 2000; Fay 2010). This is R's
//! `exact2x2(..., tsmethod = "blaker")`.
//!
//! Conditioning on the margins, `X = x_t` follows Fisher's noncentral hypergeometric law with
//! odds ratio ψ (notation of `exact_odds.rs`); write `F_ψ(k) = P_ψ(X <= k)` and
//! `F̄_ψ(k) = P_ψ(X >= k)`. Blaker's two-sided p-value at ψ for the observed `x` is
//!
//! ```text
//! if F_ψ(x) <= F̄_ψ(x):  p = F_ψ(x) + max{ F̄_ψ(k) : F̄_ψ(k) <= F_ψ(x) (1 + 10⁻⁷) }
//! else:                 p = F̄_ψ(x) + max{ F_ψ(k) : F_ψ(k) <= F̄_ψ(x) (1 + 10⁻⁷) }
//! ```
//!
//! (the max is 0 over an empty set; p is capped at 1; the relative tolerance for ties is R's,
//! as in `fisher.rs`). The confidence set at level `1 − α` is `{ψ : p(ψ) > α}`; like
//! `exact2x2`, the interval reported is the smallest one containing it (the set is an interval
//! in practically every table, but p(ψ) jumps, so this is not guaranteed).
//!
//! Computation. Since `min(F, F̄) <= p <= 2 min(F, F̄)`, the lower limit lies where
//! `F̄_ψ(x)` is between `0.45 α` and `1.01 α` (points on either side are found by stepping out
//! from the Woolf interval's limit); there `x` sits in the upper tail, and both `F̄_ψ(x)`
//! (increasing in ψ) and the paired lower tail `F_ψ(k*)` (decreasing in ψ for a fixed `k`,
//! with the paired `k*` never decreasing) are monotone. So on any cell `[a, b]` of ψ,
//! `F̄_a(x) + F_b(k*_a) <= p(ψ) <= F̄_b(x) + F_a(k*_b)`: a branch-and-bound search splits the
//! cells whose bounds straddle α, leftmost first. In a narrow cell p is continuous between
//! the points where the pairing moves on, so regula falsi finds the crossing (and the points
//! where the next index joins the pairing) to 10⁻¹⁰ in ln ψ; it works on `ln p` and on the log
//! ratio `ln(F(k₁) / F̄(x)(1 + 10⁻⁷))`, both nearly linear in ln ψ, so it needs few steps. This is the same bracketing idea
//! as `exact2x2CI` (which bounds on a grid and stops at a tolerance of 10⁻⁵). The upper limit is
//! the lower limit of the table with responders and non-responders swapped, inverted (the swap
//! maps ψ to 1/ψ and leaves every p-value unchanged). `x` at the bottom of the support gives a
//! lower limit of 0, at the top an upper limit of ∞. Each evaluation of the law builds its
//! terms outward from the largest by the ratios of consecutive terms (one multiplication per
//! term) over the window where they are not negligible. A limit costs about 24 such evaluations
//! (mean over the compare bench's kind of tables; median 22, 90th percentile 36: the ignored
//! test `evaluations_per_limit` reports them); the mirrored table's law is the table's own
//! reversed, its ratios inverted, not built again.
//!
//! Bounds. The law is tabulated over the whole support, so tables whose support has more than
//! 131,072 values (both arms in the hundreds of thousands) are not computed (`None`): there
//! Fisher's test and the score intervals agree with Blaker's to many digits anyway. The
//! interval is not computed at levels below 0.6 (the bracketing above needs `α <= 0.4`); the
//! test does not depend on the level.
//!
//! References: H. Blaker, "Confidence curves and improved exact confidence intervals for
//! discrete distributions", Canadian Journal of Statistics 28 (2000) 783-798; M. P. Fay,
//! "Confidence intervals that match Fisher's exact or Blaker's exact tests", Biostatistics 11
//! (2010) 373-374; R package exact2x2 1.7.0 (`exact2x2CI`, `exact2x2Pvals`).

use super::exact_odds::{TABLE_MAX, cells_plus_half, central_ln_weights};
use super::fisher::{Hypergeometric, RELATIVE_TIE_TOLERANCE};
use super::score::falsi_crossing;
use super::special::normal_upper_quantile;
use super::{Binomial, Interval, Level};

/// The search stops when a cell is narrower than this in `ln ψ`.
const LN_PSI_TOLERANCE: f64 = 1e-10;

/// At most this many cells are examined per limit (each costs two passes over the support);
/// far more than any table needs (about 40 levels of halving with a handful of open cells).
const MAX_CELLS: usize = 20_000;

/// Blaker's exact test and interval for the odds ratio of one table.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BlakerOddsRatio {
    /// Two-sided p-value of ψ = 1.
    pub p_value: f64,
    /// The matching confidence interval (limits may be 0 or `f64::INFINITY`); `None` at
    /// levels below 0.6.
    pub interval: Option<Interval>,
}

/// One table's law, tabulated as the ratios of consecutive terms.
struct Law {
    /// Number of values of the support.
    size: usize,
    /// `ln(P_1(X = i + 1) / P_1(X = i))` over the support (index 0 is its smallest value);
    /// decreasing, since the law is log-concave.
    ln_ratio: Vec<f64>,
    /// `P_1(X = i + 1) / P_1(X = i)`.
    ratio: Vec<f64>,
    /// `P_1(X = i) / P_1(X = i + 1)`.
    inverse_ratio: Vec<f64>,
    /// The observed `x_t`, as an index into the support.
    at: usize,
    /// Terms below this fraction of the largest are left out while searching for a limit
    /// ([`SEARCH_NEGLIGIBLE`] α / size; set by [`Law::for_level`]).
    search_negligible: f64,
    /// A first guess of where the limits lie: the log odds ratio with 0.5 added to every cell
    /// and its Woolf standard error.
    guess: (f64, f64),
}

/// Lower and upper tails at one ψ over a window of the support: for `i` in the window
/// `lower[i − start] = P(X <= low + i)` and `upper[i − start] = P(X >= low + i)`. Outside the
/// window every term is below the smallest double relative to the largest one, so the tails
/// there are exactly 0 or 1 in floating point.
struct Tails {
    start: usize,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Tails {
    /// `P(X <= low + i)`.
    fn lower(&self, i: usize) -> f64 {
        match i.checked_sub(self.start) {
            None => 0.0,
            Some(j) => self.lower.get(j).copied().unwrap_or(1.0),
        }
    }

    /// `P(X >= low + i)`.
    fn upper(&self, i: usize) -> f64 {
        match i.checked_sub(self.start) {
            None => 1.0,
            Some(j) => self.upper.get(j).copied().unwrap_or(0.0),
        }
    }

    /// The largest tail value at most `cut` over the support, `tails` being the window's lower
    /// or upper tails and `outside` the largest value they take beyond it (0 when nothing
    /// qualifies).
    fn largest_at_most(tails: &[f64], outside: f64, cut: f64) -> f64 {
        tails
            .iter()
            .chain(std::iter::once(&outside))
            .copied()
            .filter(|&v| v <= cut)
            .fold(0.0, f64::max)
    }
}

/// Terms below this fraction of the largest are left out of the window: they cannot change a
/// tail sum that matters to a p-value compared with α (the smallest α is 1e-16, and a tail
/// below 1e-300 is 0 for every comparison made here).
const NEGLIGIBLE: f64 = 1e-300;

/// While searching for a limit only tails near α matter, so terms below this share of α,
/// divided by the support's size, of the largest term are left out: all of them together move
/// a tail by less than 1e-16 α (the largest term is at most the total).
const SEARCH_NEGLIGIBLE: f64 = 1e-16;

/// `t = ln ψ` is kept within ±700 so that ψ stays a finite double.
const T_SPAN: f64 = 700.0;

impl Law {
    fn new(treatment: Binomial, control: Binomial) -> Option<Law> {
        let hyper = Hypergeometric::new(treatment, control);
        if treatment.trials() == 0
            || control.trials() == 0
            || hyper.low >= hyper.high
            || hyper.high - hyper.low >= TABLE_MAX
        {
            return None;
        }
        let ln_weight = central_ln_weights(&hyper);
        let ln_ratio: Vec<f64> = ln_weight.windows(2).map(|w| w[1] - w[0]).collect();
        Some(Law {
            size: ln_weight.len(),
            // The ratios themselves (rational in the counts), not `exp` of their logarithms.
            ratio: (hyper.low..hyper.high).map(|k| hyper.ratio_up(k)).collect(),
            inverse_ratio: (hyper.low + 1..=hyper.high)
                .map(|k| hyper.ratio_down(k))
                .collect(),
            ln_ratio,
            at: usize::try_from(treatment.successes() - hyper.low).ok()?,
            search_negligible: NEGLIGIBLE,
            guess: {
                let [a, b, c, d] = cells_plus_half(treatment, control);
                (
                    (a * d / (b * c)).ln(),
                    (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt(),
                )
            },
        })
    }

    /// The law of the table with responders and non-responders swapped in both arms: the
    /// support reversed (`X' = n_t − X`), so every ratio of consecutive terms is inverted and
    /// reversed, and the log odds ratio changes sign. The same as [`Law::new`] of the swapped
    /// table, without building its weights again.
    fn mirrored(&self) -> Law {
        let reversed = |v: &[f64]| v.iter().rev().copied().collect::<Vec<f64>>();
        Law {
            size: self.size,
            ln_ratio: self.ln_ratio.iter().rev().map(|r| -r).collect(),
            ratio: reversed(&self.inverse_ratio),
            inverse_ratio: reversed(&self.ratio),
            at: self.size - 1 - self.at,
            search_negligible: self.search_negligible,
            guess: (-self.guess.0, self.guess.1),
        }
    }

    /// Both tails of the law at `t = ln ψ`, each summed from its own end (so small tails keep
    /// their relative precision), over the window where terms are not negligible. The law is
    /// log-concave, so its largest term is found by bisection on the slope `ln ratio + t`, and
    /// the terms are built outward from it by multiplying by `ratio · ψ` (each factor at most 1
    /// going outward, so nothing overflows), one multiplication per term instead of an `exp`.
    fn tails_to(&self, t: f64, negligible: f64) -> Tails {
        let (start, mut mass) = self.window(t, negligible);
        let scale = 1.0 / mass.iter().sum::<f64>();
        let mut lower = Vec::with_capacity(mass.len());
        let mut acc = 0.0;
        for m in &mass {
            acc += m;
            lower.push((acc * scale).min(1.0));
        }
        // The upper tails overwrite the masses in place.
        acc = 0.0;
        for m in mass.iter_mut().rev() {
            acc += *m;
            *m = (acc * scale).min(1.0);
        }
        Tails {
            start,
            lower,
            upper: mass,
        }
    }

    /// What the limit search reads at `t`: `F̄(x)` and the lower tail up to `x` (not the rest),
    /// in one pass over the window of terms above `search_negligible` of the largest, with one
    /// allocation.
    fn search(&self, t: f64) -> Search {
        let (start, mut mass) = self.window(t, self.search_negligible);
        let end = start + mass.len();
        let scale = 1.0 / mass.iter().sum::<f64>();
        let own = if self.at < start {
            1.0
        } else if self.at >= end {
            0.0
        } else {
            // Summed from the top, so a small tail keeps its digits.
            (mass[self.at - start..].iter().rev().sum::<f64>() * scale).min(1.0)
        };
        mass.truncate((self.at + 1).saturating_sub(start));
        let mut acc = 0.0;
        for m in &mut mass {
            acc += *m;
            *m = (acc * scale).min(1.0);
        }
        Search {
            start,
            lower: mass,
            own,
        }
    }

    /// The window of non-negligible terms at `t` (module documentation of [`Law::tails_to`]):
    /// its first index and the terms relative to the largest.
    fn window(&self, t: f64, negligible: f64) -> (usize, Vec<f64>) {
        #[cfg(test)]
        tests::EVALUATIONS.with(|e| e.set(e.get() + 1));
        let t = t.clamp(-T_SPAN, T_SPAN);
        let (psi, inverse_psi) = (t.exp(), (-t).exp());
        let n = self.size;
        // The first index whose next term is smaller.
        let peak = self.ln_ratio.partition_point(|&r| r + t >= 0.0);
        // The terms below the peak are pushed going down, then put in order in place.
        let mut mass = Vec::with_capacity(n.min(4096));
        let mut m = 1.0;
        for &r in self.inverse_ratio[..peak].iter().rev() {
            m *= r * inverse_psi;
            if m <= negligible {
                break;
            }
            mass.push(m);
        }
        let start = peak - mass.len();
        mass.reverse();
        mass.push(1.0);
        m = 1.0;
        for &r in &self.ratio[peak..] {
            m *= r * psi;
            if m <= negligible {
                break;
            }
            mass.push(m);
        }
        (start, mass)
    }
}

/// What the limit search reads at one ψ: `F̄(x)` and `lower[i − start] = P(X <= low + i)` for
/// the window's indices up to `x`.
struct Search {
    start: usize,
    lower: Vec<f64>,
    own: f64,
}

impl Search {
    /// `P(X <= low + i)`, for `i` up to `x` (0 below the window; beyond `x`, where the search
    /// never reads it, 1).
    fn lower(&self, i: usize) -> f64 {
        match i.checked_sub(self.start) {
            None => 0.0,
            Some(j) => self.lower.get(j).copied().unwrap_or(1.0),
        }
    }
}

impl Law {
    /// The law set to search for limits at level `1 − alpha` (the window it keeps).
    fn for_level(mut self, alpha: f64) -> Law {
        self.search_negligible = (SEARCH_NEGLIGIBLE * alpha / self.size as f64).max(NEGLIGIBLE);
        self
    }

    /// Blaker's p-value at `t = ln ψ` (module documentation).
    fn p_value(&self, t: f64) -> f64 {
        let tails = self.tails_to(t, NEGLIGIBLE);
        let (lo, up) = (tails.lower(self.at), tails.upper(self.at));
        let n = self.size;
        // The values a tail takes outside the window, where the window leaves room for any.
        let below = tails.start > 0;
        let above = tails.start + tails.lower.len() < n;
        // Below the window the upper tail is 1 and the lower 0; above it the reverse.
        let one_if = |present: bool| if present { 1.0 } else { 0.0 };
        let (own, paired) = if lo <= up {
            let cut = lo * (1.0 + RELATIVE_TIE_TOLERANCE);
            (lo, Tails::largest_at_most(&tails.upper, one_if(below), cut))
        } else {
            let cut = up * (1.0 + RELATIVE_TIE_TOLERANCE);
            (up, Tails::largest_at_most(&tails.lower, one_if(above), cut))
        };
        (own + paired).min(1.0)
    }

    /// In the region where `x` is in the upper tail: `F̄(x)` and the paired lower tail's index
    /// `k*` (largest `k` with `F(k) <= F̄(x) (1 + 10⁻⁷)`), at `t`.
    fn upper_side(&self, t: f64) -> Side {
        self.side_of(self.search(t))
    }

    /// [`Law::upper_side`] from the search's reading at a point.
    fn side_of(&self, tails: Search) -> Side {
        let own = tails.own;
        let cut = own * (1.0 + RELATIVE_TIE_TOLERANCE);
        // The lower tail increases with k, so the qualifying indices are a prefix: those below
        // the window (lower tail 0), then a prefix of the window, then (only when `cut >= 1`)
        // those above it.
        let in_window = tails.lower.partition_point(|&v| v <= cut);
        let count = if in_window == tails.lower.len() && cut >= 1.0 {
            self.size
        } else {
            tails.start + in_window
        };
        (own, count.checked_sub(1), tails)
    }

    /// A point `t` on the given side of where `F̄_ψ(x)` (increasing in t) equals `target`:
    /// below it (`F̄(x) < target`) when `below`, at or above it otherwise. Starts from `from`
    /// and steps away by `step`, doubling; the limit search needs only such a point, not the
    /// root. Returns the point with the search's reading there.
    fn beyond(&self, target: f64, below: bool, from: f64, mut step: f64) -> (f64, Search) {
        let mut t = from.clamp(-T_SPAN, T_SPAN);
        loop {
            let tails = self.search(t);
            if (tails.own < target) == below || t.abs() >= T_SPAN {
                return (t, tails);
            }
            t = if below { t - step } else { t + step }.clamp(-T_SPAN, T_SPAN);
            step *= 2.0;
        }
    }

    /// The lower limit `inf {ψ : p(ψ) > α}` (module documentation); 0 when `x` is the smallest
    /// value of the support.
    fn lower_limit(&self, alpha: f64) -> f64 {
        if self.at == 0 {
            return 0.0;
        }
        // Below where F̄(x) = 0.45 α, p <= 2 F̄(x) (1 + 10⁻⁷) < α; above where it is 1.01 α,
        // p >= min(F, F̄) > α.
        // Guesses from the Woolf interval: its lower limit is near the central one, where
        // F̄(x) = α/2.
        let (t0, se) = self.guess;
        let z = normal_upper_quantile(alpha / 2.0);
        let (start, tails_a) = self.beyond(0.45 * alpha, true, t0 - (z + 0.5) * se, se);
        let (end, tails_b) = self.beyond(1.01 * alpha, false, (t0 - (z - 0.5) * se).max(start), se);
        let mut budget = MAX_CELLS;
        // The searches' last readings are the cell's ends: nothing is evaluated twice.
        let (side_a, side_b) = (self.side_of(tails_a), self.side_of(tails_b));
        self.first_above((start, &side_a), (end, &side_b), alpha, &mut budget)
            .unwrap_or(end)
            .exp()
    }

    /// The smallest `t` in `[a, b]` with `p > α`, by branch and bound, or `None` when the
    /// bounds show there is none. Each end comes with its [`Law::upper_side`], so a midpoint
    /// is evaluated once. Once a cell is narrower than [`FALSI_WIDTH`] and the paired index is
    /// the same at both ends, p is continuous on it (`F̄(x) + F(k)`), and regula falsi finds
    /// the crossing in a few steps.
    fn first_above(
        &self,
        (a, side_a): (f64, &Side),
        (b, side_b): (f64, &Side),
        alpha: f64,
        budget: &mut usize,
    ) -> Option<f64> {
        *budget = budget.saturating_sub(1);
        let (own_a, pair_a, tails_a) = side_a;
        let (own_b, pair_b, tails_b) = side_b;
        let upper_bound = own_b + pair_b.map_or(0.0, |k| tails_a.lower(k));
        if upper_bound <= alpha {
            return None;
        }
        let lower_bound = own_a + pair_a.map_or(0.0, |k| tails_b.lower(k));
        if lower_bound > alpha || b - a <= LN_PSI_TOLERANCE || *budget == 0 {
            return Some(a);
        }
        // p with the pairing held at `k`: continuous in t.
        let p_with = |k: Option<usize>, t: f64| {
            let tails = self.search(t);
            tails.own + k.map_or(0.0, |k| tails.lower(k))
        };
        let p_a = own_a + pair_a.map_or(0.0, |k| tails_a.lower(k));
        if b - a <= FALSI_WIDTH && pair_a == pair_b {
            let p_b = own_b + pair_b.map_or(0.0, |k| tails_b.lower(k));
            if p_a <= alpha && p_b > alpha {
                // `falsi_crossing` wants a decreasing function: −ln p, with p <= α at a (ln p
                // is nearly linear in t, so regula falsi needs few steps).
                let p = |t: f64| -p_with(*pair_a, t).ln();
                return Some(falsi_crossing(a, b, -alpha.ln(), LN_PSI_TOLERANCE, p));
            }
        } else if b - a <= FALSI_WIDTH && p_a <= alpha {
            // The pairing moves on inside the cell: find where the next index joins it (the
            // root of the decreasing F(k₁) − F̄(x)(1 + 10⁻⁷)); before that point p is
            // continuous with the pairing of `a`, after it the search goes on from there.
            let next = pair_a.map_or(0, |k| k + 1);
            // (As a log ratio, nearly linear in t.)
            let joins = |t: f64| {
                let tails = self.search(t);
                let (paired, cut) = (
                    tails.lower(next),
                    tails.own * (1.0 + RELATIVE_TIE_TOLERANCE),
                );
                if paired == cut {
                    0.0
                } else {
                    (paired / cut).ln()
                }
            };
            let jump = falsi_crossing(a, b, 0.0, LN_PSI_TOLERANCE, joins);
            if p_with(*pair_a, jump) > alpha {
                let p = |t: f64| -p_with(*pair_a, t).ln();
                return Some(falsi_crossing(a, jump, -alpha.ln(), LN_PSI_TOLERANCE, p));
            }
            let after = (jump + LN_PSI_TOLERANCE).min(b);
            let side_after = self.upper_side(after);
            if side_after.1 != *pair_a && after < b {
                return self.first_above((after, &side_after), (b, side_b), alpha, budget);
            }
        }
        let mid = 0.5 * (a + b);
        let side_mid = self.upper_side(mid);
        self.first_above((a, side_a), (mid, &side_mid), alpha, budget)
            .or_else(|| self.first_above((mid, &side_mid), (b, side_b), alpha, budget))
    }
}

/// What [`Law::upper_side`] returns: `F̄(x)`, the paired index and the tails.
type Side = (f64, Option<usize>, Search);

/// Cells narrower than this (in ln ψ) with one paired index are solved by regula falsi.
const FALSI_WIDTH: f64 = 0.05;

/// Blaker's exact test of ψ = 1 and its matching interval for the odds ratio of
/// `[[x_t, n_t − x_t], [x_c, n_c − x_c]]` (definitions in the module documentation).
///
/// Returns `None` when a margin is degenerate (an empty arm, no responders, or all
/// responders) or the support has more than 131,072 values; the interval alone is `None` when
/// the level is below 0.6.
#[must_use]
pub fn blaker_odds_ratio(
    treatment: Binomial,
    control: Binomial,
    level: Level,
) -> Option<BlakerOddsRatio> {
    let alpha = 1.0 - level.value();
    let law = Law::new(treatment, control)?.for_level(alpha);
    let interval = if level.value() < 0.6 {
        None
    } else {
        let mirror = law.mirrored();
        let low = law.lower_limit(alpha);
        let mirror_low = mirror.lower_limit(alpha);
        let high = if mirror_low == 0.0 {
            f64::INFINITY
        } else {
            1.0 / mirror_low
        };
        Some(Interval { low, high })
    };
    Some(BlakerOddsRatio {
        p_value: law.p_value(0.0),
        interval,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::odds_ratio_exact;
    use crate::stats::testing::{assert_abs, assert_rel, reference_number, reference_rows};

    fn bin(x: u64, n: u64) -> Binomial {
        Binomial::new(x, n).unwrap()
    }

    thread_local! {
        /// Evaluations of the law (windows built), for the cost report below.
        pub(super) static EVALUATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Cost report (not a check): evaluations of the law per limit over the compare bench's
    /// kind of tables (10,000 random tables, arms 1 to 500, a splitmix stream), at 0.95.
    /// `cargo test --release --lib stats::blaker::tests::evaluations -- --ignored --nocapture`
    #[test]
    #[ignore = "a cost report, not a check"]
    fn evaluations_per_limit() {
        let mut state = 2026_u64;
        let mut next = |bound: u64| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % bound
        };
        let mut counts = Vec::new();
        for _ in 0..10_000 {
            let nt = 1 + next(500);
            let xt = next(nt + 1);
            let nc = 1 + next(500);
            let xc = next(nc + 1);
            let Some(law) = Law::new(bin(xt, nt), bin(xc, nc)) else {
                continue;
            };
            let law = law.for_level(0.05);
            for law in [law.mirrored(), law] {
                if law.at == 0 {
                    continue;
                }
                EVALUATIONS.with(|e| e.set(0));
                let _ = law.lower_limit(0.05);
                counts.push(EVALUATIONS.with(std::cell::Cell::get));
            }
        }
        counts.sort_unstable();
        let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
        eprintln!(
            "limits {}, evaluations per limit: mean {mean:.1}, median {}, 90% {}, max {}",
            counts.len(),
            counts[counts.len() / 2],
            counts[counts.len() * 9 / 10],
            counts[counts.len() - 1]
        );
    }

    /// exact2x2 rounds its limits to 7 decimals at `tol = 1e-8` and stops its search at that
    /// tolerance; its p-value is a plain sum (about 1e-15).
    const EXACT2X2_LIMIT_ABS: f64 = 2e-7;
    const EXACT2X2_LIMIT_REL: f64 = 1e-7;
    const EXACT2X2_P_ABS: f64 = 1e-12;

    /// R 4.2.2 with exact2x2 1.7.0 sourced, `exact2x2CI(x, tsmethod = "blaker", tol = 1e-8)` and
    /// `exact2x2Pvals(x, 1, tsmethod = "blaker")`, written by tests/reference/scas_blaker.R:
    /// 77 tables (published examples, edges and a seeded random sample) at 0.90/0.95/0.99.
    #[test]
    fn matches_exact2x2() {
        let rows = reference_rows(include_str!("../../tests/reference/data/blaker.csv"));
        assert!(rows.len() >= 200, "the reference file lost rows");
        for row in rows {
            let n: Vec<u64> = row[..4].iter().map(|v| v.parse().unwrap()).collect();
            let level = Level::new(row[4].parse().unwrap()).unwrap();
            let what = format!("{}/{} vs {}/{} at {}", n[0], n[1], n[2], n[3], row[4]);
            let got = blaker_odds_ratio(bin(n[0], n[1]), bin(n[2], n[3]), level)
                .unwrap_or_else(|| panic!("{what}: no result"));
            assert_abs(
                got.p_value,
                reference_number(&row[5]).unwrap(),
                EXACT2X2_P_ABS,
                &what,
            );
            let interval = got.interval.unwrap();
            for (limit, field) in [(interval.low, &row[6]), (interval.high, &row[7])] {
                let expected = reference_number(field).unwrap();
                if expected.is_infinite() {
                    assert!(limit.is_infinite(), "{what}: {limit}");
                } else {
                    let tol = EXACT2X2_LIMIT_ABS.max(EXACT2X2_LIMIT_REL * expected);
                    assert_abs(limit, expected, tol, &what);
                }
            }
        }
    }

    /// The interval excludes 1 exactly when the test rejects, and is inside the central exact
    /// interval, over every table with arms of 1 to 12.
    #[test]
    fn agrees_with_its_test_and_nests_in_the_central_interval() {
        for nt in 1..=12 {
            for nc in 1..=12 {
                for xt in 0..=nt {
                    for xc in 0..=nc {
                        let (t, c) = (bin(xt, nt), bin(xc, nc));
                        let Some(b) = blaker_odds_ratio(t, c, Level::NINETY_FIVE) else {
                            continue;
                        };
                        let what = format!("{xt}/{nt} vs {xc}/{nc}");
                        let interval = b.interval.unwrap();
                        let excludes = interval.low > 1.0 || interval.high < 1.0;
                        // When p at ψ = 1 is α itself (2/4 vs 0/12: p = 0.05 up to rounding),
                        // a limit is 1 and the search's tolerance (1e-10 in ln ψ) decides the
                        // side; every other table must agree exactly.
                        if (b.p_value - 0.05).abs() > 1e-12 {
                            assert_eq!(excludes, b.p_value <= 0.05, "{what}: {b:?}");
                        }
                        let central = odds_ratio_exact(t, c, Level::NINETY_FIVE).unwrap();
                        assert!(
                            interval.low >= central.interval.low * (1.0 - 1e-9),
                            "{what}"
                        );
                        assert!(
                            interval.high <= central.interval.high * (1.0 + 1e-9),
                            "{what}"
                        );
                    }
                }
            }
        }
    }

    /// Each limit is where Blaker's p-value crosses α: just outside it (1e-7 in ln ψ) the
    /// p-value is at most α, just inside it above α, at levels 0.90, 0.95 and 0.99 over every
    /// table with arms of 1 to 10 (the p-value at any ψ from the same law as the test's).
    #[test]
    fn limits_are_where_the_p_value_crosses_alpha() {
        const STEP: f64 = 1e-7;
        for level in [0.9, 0.95, 0.99] {
            let alpha = 1.0 - level;
            for nt in 1..=10 {
                for nc in 1..=10 {
                    for xt in 0..=nt {
                        for xc in 0..=nc {
                            let (t, c) = (bin(xt, nt), bin(xc, nc));
                            let Some(b) = blaker_odds_ratio(t, c, Level::new(level).unwrap())
                            else {
                                continue;
                            };
                            let law = Law::new(t, c).unwrap();
                            let ci = b.interval.unwrap();
                            let what = format!("{xt}/{nt} vs {xc}/{nc} at {level}: {ci:?}");
                            if ci.low > 0.0 {
                                let at = ci.low.ln();
                                assert!(law.p_value(at - STEP) <= alpha, "{what} below");
                                assert!(law.p_value(at + STEP) > alpha, "{what} above");
                            }
                            if ci.high.is_finite() {
                                let at = ci.high.ln();
                                assert!(law.p_value(at + STEP) <= alpha, "{what} beyond");
                                assert!(law.p_value(at - STEP) > alpha, "{what} within");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Swapping the arms inverts the interval and keeps the p-value.
    #[test]
    fn swapping_arms_inverts() {
        let a = blaker_odds_ratio(bin(7, 25), bin(2, 25), Level::NINETY_FIVE).unwrap();
        let b = blaker_odds_ratio(bin(2, 25), bin(7, 25), Level::NINETY_FIVE).unwrap();
        let (a_ci, b_ci) = (a.interval.unwrap(), b.interval.unwrap());
        assert_rel(a_ci.low, 1.0 / b_ci.high, 1e-9, "low");
        assert_rel(a.p_value, b.p_value, 1e-12, "p");
    }

    #[test]
    fn unsupported_inputs() {
        let l = Level::NINETY_FIVE;
        assert!(blaker_odds_ratio(bin(0, 5), bin(0, 5), l).is_none());
        assert!(blaker_odds_ratio(bin(5, 5), bin(5, 5), l).is_none());
        assert!(blaker_odds_ratio(bin(3, 5), bin(0, 0), l).is_none());
        let half = Level::new(0.5).unwrap();
        let low_level = blaker_odds_ratio(bin(3, 5), bin(1, 4), half).unwrap();
        assert!(low_level.interval.is_none());
        let usual = blaker_odds_ratio(bin(3, 5), bin(1, 4), l).unwrap();
        assert_eq!(low_level.p_value, usual.p_value);
        let huge = blaker_odds_ratio(bin(200_000, 400_000), bin(190_000, 400_000), l);
        assert!(huge.is_none());
    }
}
