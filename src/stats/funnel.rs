//! Funnel-plot statistics for comparing units (clinics, therapists) with a benchmark rate:
//! exact binomial control limits with Spiegelhalter's interpolation, the verdict bands, the
//! overdispersion estimates φ and τ², and the exact two-sided binomial test.
//!
//! Source: D. J. Spiegelhalter, "Funnel plots for comparing institutional performance",
//! Statistics in Medicine 2005;24:1185-1202.
//!
//! * **Exact limits** (his Appendix A.1.1, as his own R code computes them: `qbinom.interp` in
//!   `gmp26/funnel`, `R/funnel4.R`). For a unit of `n` patients and target rate `θ₀`, with
//!   `R ~ Binomial(n, θ₀)`, `r_P` the smallest `r` with `F(r) = P(R <= r) >= P` and
//!   `α = (F(r_P) − P) / (F(r_P) − F(r_P − 1))`: the lower limit (`P` < 0.5) is `(r_P − α)/n`
//!   and the upper limit (`P` > 0.5) is `(r_P + 1 − α)/n`, its mirror image (the lower rule
//!   applied to `n − R`). So a count is below the lower limit exactly when the one-sided exact
//!   test rejects at `P`, and above the upper one exactly when `P(R >= O) < 1 − P`. The
//!   interpolation makes the limits smooth in `n` instead of stepping at each integer. The 95%
//!   limits use `P` = 0.025 and 0.975; the 99.8% limits (about 3 standard errors) use 0.001 and
//!   0.999. Limits are clipped to [0, 1] (Spiegelhalter's code clips to [0.00001, 0.99999]).
//! * **Verdict**: within the 95% limits, an *alert* between the 95% and 99.8% limits, an
//!   *alarm* beyond the 99.8% limits, in either direction. A value exactly on a limit is inside
//!   it.
//! * **Overdispersion** (his section 4). With `zᵢ = (yᵢ − θ₀)/sᵢ` and `sᵢ = √(θ₀(1 − θ₀)/nᵢ)`, the
//!   multiplicative factor is `φ = (1/I) Σ z̃ᵢ²` over the `I` units, where `z̃` are the z-scores
//!   10% winsorised (those below the 10th percentile set to it, those above the 90th set to it;
//!   percentiles by linear interpolation between order statistics, R's default quantile type 7,
//!   as FunnelPlotR does). `I·φ` is compared with χ² on `I − 1` degrees of freedom. The
//!   additive random-effects variance is the DerSimonian-Laird-type
//!   `τ² = max(0, (I·φ − (I − 1)) / (Σwᵢ − Σwᵢ²/Σwᵢ))`, `wᵢ = 1/sᵢ²`. The overdispersed limits
//!   are `θ₀ ± z_P √φ sᵢ` (multiplicative) or `θ₀ ± z_P √(sᵢ² + τ²)` (additive), on the
//!   normal approximation as in the paper, clipped to [0, 1].
//! * **Exact binomial test** of one rate against `p`: R's `binom.test` two-sided p-value, the
//!   probability of every outcome no more likely than the one observed (with R's relative
//!   tolerance 1e-7 for ties).

use super::special::{binomial_upper_tail, ln_binomial_pmf, normal_upper_quantile};

/// Tail probability of the lower 95% limit.
pub const P95_LOW: f64 = 0.025;
/// Tail probability of the upper 95% limit.
pub const P95_HIGH: f64 = 0.975;
/// Tail probability of the lower 99.8% limit.
pub const P998_LOW: f64 = 0.001;
/// Tail probability of the upper 99.8% limit.
pub const P998_HIGH: f64 = 0.999;

/// Share of z-scores winsorised at each end when estimating φ (Spiegelhalter 2005: 10%).
pub const WINSOR_FRACTION: f64 = 0.1;

/// `P(X <= r)` for `X ~ Binomial(n, p)`.
#[must_use]
pub fn binomial_cdf(r: u64, n: u64, p: f64) -> f64 {
    if r >= n {
        return 1.0;
    }
    // P(X <= r) = P(n − X >= n − r), n − X ~ Bin(n, 1 − p): summed from its own small tail.
    binomial_upper_tail(n - r, n, 1.0 - p, p)
}

/// `P(X > r)` for `X ~ Binomial(n, p)`.
#[must_use]
pub fn binomial_sf(r: u64, n: u64, p: f64) -> f64 {
    if r >= n {
        return 0.0;
    }
    binomial_upper_tail(r + 1, n, p, 1.0 - p)
}

/// `P(X = r)` for `X ~ Binomial(n, p)`.
#[must_use]
pub fn binomial_pmf(r: u64, n: u64, p: f64) -> f64 {
    if r > n {
        return 0.0;
    }
    ln_binomial_pmf(r, n, p, 1.0 - p).exp()
}

/// Spiegelhalter's interpolated exact limit for a rate out of `n` at cumulative probability
/// `prob` around the target `p0` (module documentation): a lower limit for `prob < 0.5`, an
/// upper one otherwise, not clipped. `None` unless `n >= 1`, `0 < p0 < 1` and `0 < prob < 1`.
#[must_use]
pub fn exact_limit(n: u64, p0: f64, prob: f64) -> Option<f64> {
    if n == 0 || !(p0 > 0.0 && p0 < 1.0) || !(prob > 0.0 && prob < 1.0) {
        return None;
    }
    // `excess(r)` = F(r) − prob, computed from whichever tail is small so that the digits of
    // the probability survive (the upper limits sit where F is close to 1).
    let excess = |r: u64| {
        if prob < 0.5 {
            binomial_cdf(r, n, p0) - prob
        } else {
            (1.0 - prob) - binomial_sf(r, n, p0)
        }
    };
    Some(interpolated_limit(0, n, prob, excess, |r| binomial_pmf(r, n, p0)) / n as f64)
}

/// Spiegelhalter's interpolation, as a count, for any discrete distribution on `low..=high`
/// (the binomial here, the Poisson-binomial in `poisson_binomial.rs`): `r_P`, the smallest
/// count with `excess(r) >= 0` (`excess` is `F(r) − prob`, computed from the accurate tail;
/// `F(high) = 1`), then `r_P − α` for a lower limit (`prob < 0.5`) or `r_P + 1 − α` for an
/// upper one, `α = excess(r_P) / pmf(r_P)` clamped to [0, 1].
pub(crate) fn interpolated_limit(
    low: u64,
    high: u64,
    prob: f64,
    excess: impl Fn(u64) -> f64,
    pmf: impl Fn(u64) -> f64,
) -> f64 {
    let (mut lo, mut hi) = (low, high);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if excess(mid) >= 0.0 {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let alpha = (excess(lo) / pmf(lo)).clamp(0.0, 1.0);
    let upper = if prob < 0.5 { 0.0 } else { 1.0 };
    lo as f64 + upper - alpha
}

/// The four control limits of one unit's funnel, as rates.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Limits {
    /// Lower 99.8% limit.
    pub low_998: f64,
    /// Lower 95% limit.
    pub low_95: f64,
    /// Upper 95% limit.
    pub high_95: f64,
    /// Upper 99.8% limit.
    pub high_998: f64,
}

impl Limits {
    /// The exact binomial limits for `n` patients around `p0`.
    #[must_use]
    pub fn exact(n: u64, p0: f64) -> Option<Limits> {
        let at = |prob| exact_limit(n, p0, prob).map(|l| l.clamp(0.0, 1.0));
        Some(Limits {
            low_998: at(P998_LOW)?,
            low_95: at(P95_LOW)?,
            high_95: at(P95_HIGH)?,
            high_998: at(P998_HIGH)?,
        })
    }

    /// Normal-approximation limits `p0 ± z_P · sd`, clipped to [0, 1] (the overdispersed
    /// limits, with `sd` the inflated standard error).
    #[must_use]
    pub fn normal(p0: f64, sd: f64) -> Limits {
        let z95 = normal_upper_quantile(1.0 - P95_HIGH);
        let z998 = normal_upper_quantile(1.0 - P998_HIGH);
        Limits {
            low_998: (p0 - z998 * sd).max(0.0),
            low_95: (p0 - z95 * sd).max(0.0),
            high_95: (p0 + z95 * sd).min(1.0),
            high_998: (p0 + z998 * sd).min(1.0),
        }
    }

    /// Where `y` falls.
    #[must_use]
    pub fn classify(&self, y: f64) -> Verdict {
        let direction = if y < self.low_95 {
            Some(Direction::Low)
        } else if y > self.high_95 {
            Some(Direction::High)
        } else {
            None
        };
        let band = match direction {
            None => Band::Within,
            Some(Direction::Low) if y < self.low_998 => Band::Alarm,
            Some(Direction::High) if y > self.high_998 => Band::Alarm,
            Some(_) => Band::Alert,
        };
        Verdict { band, direction }
    }
}

/// The funnel bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    /// Inside the 95% limits.
    Within,
    /// Between the 95% and the 99.8% limits.
    Alert,
    /// Beyond the 99.8% limits.
    Alarm,
}

impl Band {
    /// `within`, `alert` or `alarm`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Within => "within",
            Band::Alert => "alert",
            Band::Alarm => "alarm",
        }
    }
}

/// Below or above the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Below the lower limit.
    Low,
    /// Above the upper limit.
    High,
}

impl Direction {
    /// `low` or `high`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Low => "low",
            Direction::High => "high",
        }
    }
}

/// A band and, outside the 95% limits, the side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    /// The band.
    pub band: Band,
    /// Low or high (None when within).
    pub direction: Option<Direction>,
}

/// Standard error of a rate out of `n` at the target `p0`: `√(p0(1 − p0)/n)`.
#[must_use]
pub fn standard_error(p0: f64, n: u64) -> f64 {
    (p0 * (1.0 - p0) / n as f64).sqrt()
}

/// Percentile by linear interpolation between order statistics (R's quantile type 7) of
/// sorted values.
fn quantile_type7(sorted: &[f64], prob: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * prob;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The z-scores winsorised at `fraction` on each side (module documentation), in input order.
#[must_use]
pub fn winsorise(z: &[f64], fraction: f64) -> Vec<f64> {
    if z.is_empty() {
        return Vec::new();
    }
    let mut sorted = z.to_vec();
    sorted.sort_by(f64::total_cmp);
    let low = quantile_type7(&sorted, fraction);
    let high = quantile_type7(&sorted, 1.0 - fraction);
    z.iter().map(|&v| v.clamp(low, high)).collect()
}

/// Spiegelhalter's overdispersion estimates from the units' z-scores and standard errors.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Dispersion {
    /// Number of units `I`.
    pub units: usize,
    /// Multiplicative factor φ (winsorised mean square z).
    pub phi: f64,
    /// Additive between-unit variance τ² (0 when φ does not exceed what chance gives).
    pub tau2: f64,
    /// P(χ²_{I−1} >= I·φ): small values mean more spread than chance.
    pub p_value: f64,
}

/// φ, τ² and the χ² test from the z-scores `z` and standard errors `s` of the units (same
/// order). `None` with fewer than two units.
#[must_use]
pub fn dispersion(z: &[f64], s: &[f64]) -> Option<Dispersion> {
    let units = z.len();
    if units < 2 || s.len() != units {
        return None;
    }
    let zw = winsorise(z, WINSOR_FRACTION);
    let phi = zw.iter().map(|v| v * v).sum::<f64>() / units as f64;
    let w: Vec<f64> = s.iter().map(|s| 1.0 / (s * s)).collect();
    let sw: f64 = w.iter().sum();
    let sw2: f64 = w.iter().map(|w| w * w).sum();
    let i = units as f64;
    let tau2 = ((i * phi - (i - 1.0)) / (sw - sw2 / sw)).max(0.0);
    let p_value = super::special::chi_square_upper_tail(i * phi, i - 1.0);
    Some(Dispersion {
        units,
        phi,
        tau2,
        p_value,
    })
}

/// R's `binom.test(x, n, p)` two-sided p-value. `None` unless `x <= n`, `n >= 1` and
/// `0 < p < 1`.
#[must_use]
pub fn binomial_test_two_sided(x: u64, n: u64, p: f64) -> Option<f64> {
    if n == 0 || x > n || !(p > 0.0 && p < 1.0) {
        return None;
    }
    let q = 1.0 - p;
    let m = n as f64 * p;
    let xf = x as f64;
    if xf == m {
        return Some(1.0);
    }
    // R: relErr = 1 + 1e-7; outcomes with d(i) <= d(x) * relErr count as no more likely.
    let limit = ln_binomial_pmf(x, n, p, q) + (1.0 + 1e-7_f64).ln();
    let no_more_likely = |i: u64| ln_binomial_pmf(i, n, p, q) <= limit;
    let p_value = if xf < m {
        // The pmf does not increase from ceil(m) to n: find the first i there that is no
        // more likely than x; every later one is too.
        let (mut lo, mut hi) = (m.ceil() as u64, n + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if no_more_likely(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        // lo = first such i (n + 1 when none).
        binomial_cdf(x, n, p)
            + if lo <= n {
                binomial_sf(lo - 1, n, p)
            } else {
                0.0
            }
    } else {
        // The pmf does not decrease from 0 to floor(m): find the last i there that is no more
        // likely than x.
        let top = m.floor() as u64;
        let (mut lo, mut hi) = (0u64, top + 1);
        // Count of i in 0..=top with pmf(i) <= limit; they form a prefix.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if no_more_likely(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let lower = if lo == 0 {
            0.0
        } else {
            binomial_cdf(lo - 1, n, p)
        };
        lower + binomial_sf(x - 1, n, p)
    };
    Some(p_value.min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{assert_abs, assert_rel};

    /// R 4.2.2 (`pbinom`/`dbinom`, r_P by a search over the CDF) and scipy 1.17.1 agree to
    /// 2e-15 on these; Spiegelhalter's `qbinom.interp` (gmp26/funnel R/funnel4.R), run in R
    /// unclipped, gives the same values. Script and output: tests/reference/audit/ (task 1).
    /// Columns: n, p0, P, limit.
    const R_EXACT_LIMITS: [(u64, f64, f64, f64); 96] = [
        (10, 0.05, 0.001, -0.0998329817429885),
        (10, 0.05, 0.025, -0.0958245435747122),
        (10, 0.05, 0.975, 0.281916689147244),
        (10, 0.05, 0.999, 0.402953741547181),
        (10, 0.26, 0.001, -0.0979691268274265),
        (10, 0.26, 0.025, -0.0492281706856605),
        (10, 0.26, 0.975, 0.59836661110591),
        (10, 0.26, 0.999, 0.788636413745849),
        (10, 0.5, 0.001, 0.000239999999999951),
        (10, 0.5, 0.025, 0.132444444444444),
        (10, 0.5, 0.975, 0.867555555555555),
        (10, 0.5, 0.999, 0.99976),
        (10, 0.63, 0.001, 0.102122514723616),
        (10, 0.63, 0.025, 0.262698764683755),
        (10, 0.63, 0.975, 0.97380816380551),
        (10, 0.63, 0.999, 1.08984699721145),
        (25, 0.05, 0.001, -0.039855798473065),
        (25, 0.05, 0.025, -0.0363949618266265),
        (25, 0.05, 0.975, 0.17350474402342),
        (25, 0.05, 0.999, 0.248157810973119),
        (25, 0.26, 0.001, 0.00391034301806154),
        (25, 0.26, 0.025, 0.0796210427969385),
        (25, 0.26, 0.975, 0.463062072322504),
        (25, 0.26, 0.999, 0.574888648885854),
        (25, 0.5, 0.001, 0.173761288913985),
        (25, 0.5, 0.025, 0.284166324110672),
        (25, 0.5, 0.975, 0.715833675889328),
        (25, 0.5, 0.999, 0.826238711086015),
        (25, 0.63, 0.001, 0.299487294807683),
        (25, 0.63, 0.025, 0.413954687296576),
        (25, 0.63, 0.975, 0.834540864255854),
        (25, 0.63, 0.999, 0.925910654170773),
        (50, 0.05, 0.001, -0.0197400739953704),
        (50, 0.05, 0.025, -0.0135018498842598),
        (50, 0.05, 0.975, 0.129831710720402),
        (50, 0.05, 0.999, 0.177993590947544),
        (50, 0.26, 0.001, 0.0738750903551934),
        (50, 0.26, 0.025, 0.132298760024554),
        (50, 0.26, 0.975, 0.396349373960606),
        (50, 0.26, 0.999, 0.474254980530801),
        (50, 0.5, 0.001, 0.272770827667939),
        (50, 0.5, 0.025, 0.350702291802404),
        (50, 0.5, 0.975, 0.649297708197596),
        (50, 0.5, 0.999, 0.727229172332061),
        (50, 0.63, 0.001, 0.403264438200277),
        (50, 0.63, 0.025, 0.483502775148572),
        (50, 0.63, 0.975, 0.772095346418186),
        (50, 0.63, 0.999, 0.840130566001799),
        (100, 0.05, 0.001, -0.00831096180293222),
        (100, 0.05, 0.025, 0.00612293143607189),
        (100, 0.05, 0.975, 0.101907344023875),
        (100, 0.05, 0.999, 0.13463849543797),
        (100, 0.26, 0.001, 0.126879675860428),
        (100, 0.26, 0.025, 0.171316702959418),
        (100, 0.26, 0.975, 0.353436786430717),
        (100, 0.26, 0.999, 0.406982650853092),
        (100, 0.5, 0.001, 0.341215883722501),
        (100, 0.5, 0.025, 0.396824041726007),
        (100, 0.5, 0.975, 0.603175958273993),
        (100, 0.5, 0.999, 0.6587841162775),
        (100, 0.63, 0.001, 0.472553939852462),
        (100, 0.63, 0.025, 0.529253380282069),
        (100, 0.63, 0.975, 0.72843596830839),
        (100, 0.63, 0.999, 0.779492248019579),
        (237, 0.05, 0.001, 0.00975182525934216),
        (237, 0.05, 0.025, 0.0219160083269712),
        (237, 0.05, 0.975, 0.0817316781657733),
        (237, 0.05, 0.999, 0.10089402701116),
        (237, 0.26, 0.001, 0.17306715205616),
        (237, 0.26, 0.025, 0.203019097951129),
        (237, 0.26, 0.975, 0.318981532610912),
        (237, 0.26, 0.999, 0.352939970568223),
        (237, 0.5, 0.001, 0.397659953389476),
        (237, 0.5, 0.025, 0.434259523195625),
        (237, 0.5, 0.975, 0.565740476804375),
        (237, 0.5, 0.999, 0.602340046610523),
        (237, 0.63, 0.001, 0.529502680019654),
        (237, 0.63, 0.025, 0.56590855953179),
        (237, 0.63, 0.975, 0.693095010900588),
        (237, 0.63, 0.999, 0.727347738753442),
        (1000, 0.05, 0.001, 0.0295033473730785),
        (1000, 0.05, 0.025, 0.0364043476821243),
        (1000, 0.05, 0.975, 0.0644464932230761),
        (1000, 0.05, 0.999, 0.0730166796237356),
        (1000, 0.26, 0.001, 0.217333632252887),
        (1000, 0.26, 0.025, 0.232532406844259),
        (1000, 0.26, 0.975, 0.287910575048743),
        (1000, 0.26, 0.999, 0.304011454678189),
        (1000, 0.5, 0.001, 0.450652195996334),
        (1000, 0.5, 0.025, 0.46850209519775),
        (1000, 0.5, 0.975, 0.53149790480225),
        (1000, 0.5, 0.999, 0.549347804003666),
        (1000, 0.63, 0.001, 0.581982813944572),
        (1000, 0.63, 0.025, 0.599444829192422),
        (1000, 0.63, 0.975, 0.660306555368134),
        (1000, 0.63, 0.999, 0.677294480711156),
    ];

    /// R prints 15 significant digits; the tails are summed to ~1e-15 relative.
    const LIMIT_TOL: f64 = 1e-13;

    #[test]
    fn exact_limits_match_r_and_spiegelhalters_code() {
        for (n, p0, prob, expected) in R_EXACT_LIMITS {
            let got = exact_limit(n, p0, prob).unwrap();
            assert_abs(
                got,
                expected,
                LIMIT_TOL,
                &format!("limit n={n} p0={p0} P={prob}"),
            );
        }
        // Limits clip to [0, 1]: n = 10, p0 = 0.05 has a lower 2.5% limit of -0.0958 unclipped.
        assert_eq!(Limits::exact(10, 0.05).unwrap().low_95, 0.0);
        assert_eq!(Limits::exact(10, 0.63).unwrap().high_998, 1.0);
    }

    #[test]
    fn verdicts_agree_with_the_one_sided_exact_tests() {
        // A unit placed at O of n lands below the lower P-limit exactly when P(R <= O) < P,
        // and above the upper (1 - P)-limit exactly when P(R >= O) < P.
        for (n, p0) in [
            (10u64, 0.5),
            (37, 0.26),
            (100, 0.5),
            (237, 0.63),
            (1000, 0.05),
        ] {
            let l = Limits::exact(n, p0).unwrap();
            for o in 0..=n {
                let y = o as f64 / n as f64;
                let below = binomial_cdf(o, n, p0);
                let above = if o == 0 {
                    1.0
                } else {
                    binomial_sf(o - 1, n, p0)
                };
                let expected = if below < P998_LOW {
                    (Band::Alarm, Some(Direction::Low))
                } else if below < P95_LOW {
                    (Band::Alert, Some(Direction::Low))
                } else if above < 1.0 - P998_HIGH {
                    (Band::Alarm, Some(Direction::High))
                } else if above < 1.0 - P95_HIGH {
                    (Band::Alert, Some(Direction::High))
                } else {
                    (Band::Within, None)
                };
                let v = l.classify(y);
                assert_eq!((v.band, v.direction), expected, "n={n} p0={p0} O={o}");
            }
        }
        // Two placements by hand, from the R table: n = 100, p0 = 0.5 has lower limits
        // 0.341216 (99.8%) and 0.396824 (95%).
        let l = Limits::exact(100, 0.5).unwrap();
        assert_eq!(l.classify(0.35).band, Band::Alert);
        assert_eq!(l.classify(0.34).band, Band::Alarm);
        assert_eq!(l.classify(0.40).band, Band::Within);
    }

    /// The 12-unit example of tests/reference/audit/REFERENCE.md (task 2): R 4.2.2 and numpy
    /// 2.4.6 scripts written from Spiegelhalter (2005) section 4, identical to 15 digits; the
    /// winsorisation is FunnelPlotR 0.6.0's (R quantile type 7, 10%). By hand with p0 = 0.5:
    /// z_i^2 = (2 O_i - N_i)^2 / N_i, the two lowest and two highest z are clamped to
    /// P10 = -2.15388 and P90 = 3.05333, the squares sum to 42.116433, phi = 42.116433 / 12,
    /// and tau^2 = (12 phi - 11) / (7200 - 5614400 / 7200).
    const N12: [u64; 12] = [120, 85, 230, 60, 150, 310, 45, 200, 95, 175, 260, 70];
    const O12: [u64; 12] = [62, 30, 140, 35, 70, 160, 15, 90, 60, 95, 120, 48];
    const DISPERSION_TOL: f64 = 1e-12;

    fn example(p0: f64) -> (Vec<f64>, Vec<f64>) {
        let s: Vec<f64> = N12.iter().map(|&n| standard_error(p0, n)).collect();
        let z = N12
            .iter()
            .zip(O12)
            .zip(&s)
            .map(|((&n, o), s)| (o as f64 / n as f64 - p0) / s)
            .collect();
        (z, s)
    }

    #[test]
    fn phi_and_tau2_match_the_worked_example() {
        let (z, s) = example(0.5);
        let w = winsorise(&z, WINSOR_FRACTION);
        assert_abs(w[1], -2.15388253598712, DISPERSION_TOL, "P10 clamp");
        assert_abs(w[6], -2.15388253598712, DISPERSION_TOL, "P10 clamp");
        assert_abs(w[2], 3.05332953386377, DISPERSION_TOL, "P90 clamp");
        assert_abs(w[0], 0.365148371670112, DISPERSION_TOL, "unclamped");
        let d = dispersion(&z, &s).unwrap();
        assert_rel(d.phi, 3.50970274556791, DISPERSION_TOL, "phi, p0 = 0.5");
        assert_rel(
            d.tau2,
            0.00484662864769884,
            DISPERSION_TOL,
            "tau2, p0 = 0.5",
        );
        let (z, s) = example(925.0 / 1800.0);
        let d = dispersion(&z, &s).unwrap();
        assert_rel(d.phi, 3.46026260133133, DISPERSION_TOL, "phi, pooled");
        assert_rel(d.tau2, 0.00475055198186105, DISPERSION_TOL, "tau2, pooled");
        // I phi = 41.5232 on 11 df: R 4.2.2 pchisq(12 * 3.46026260133133, 11,
        // lower.tail = FALSE) = 1.95821947398032e-05 (statrs' regularized gamma: 1e-9 relative).
        assert_rel(
            d.p_value,
            1.95821947398032e-05,
            1e-9,
            "chi-square p of I phi",
        );
    }

    #[test]
    fn overdispersed_limits_match_the_worked_example() {
        let (z, s) = example(0.5);
        let d = dispersion(&z, &s).unwrap();
        // Units N = 45 and N = 310 (tests/reference/audit/REFERENCE.md, task 2 limits table).
        let cases = [
            (
                45u64,
                [
                    0.0684908158146241,
                    0.22631751395726,
                    0.77368248604274,
                    0.931509184185376,
                ],
                [
                    0.184823812019003,
                    0.300101119907898,
                    0.699898880092102,
                    0.815176187980997,
                ],
            ),
            (
                310,
                [
                    0.335594836420126,
                    0.395726868544532,
                    0.604273131455468,
                    0.664405163579874,
                ],
                [
                    0.267654800355218,
                    0.352636249263322,
                    0.647363750736678,
                    0.732345199644782,
                ],
            ),
        ];
        for (n, mult, add) in cases {
            let se = standard_error(0.5, n);
            let m = Limits::normal(0.5, d.phi.sqrt() * se);
            let a = Limits::normal(0.5, (se * se + d.tau2).sqrt());
            for (got, want) in [
                ([m.low_998, m.low_95, m.high_95, m.high_998], mult),
                ([a.low_998, a.low_95, a.high_95, a.high_998], add),
            ] {
                for (g, w) in got.iter().zip(want) {
                    assert_abs(
                        *g,
                        w,
                        DISPERSION_TOL,
                        &format!("overdispersed limit, N = {n}"),
                    );
                }
            }
        }
    }

    #[test]
    fn binomial_test_matches_r() {
        // R 4.2.2 binom.test(x, n, p = 0.05)$p.value (scipy 1.17.1 binomtest agrees to 6e-15);
        // tests/reference/audit/t3_out_R.csv.
        const P_TOL: f64 = 1e-12;
        let cases = [
            (0u64, 40u64, 0.266661932066169),
            (2, 40, 1.0),
            (5, 40, 0.0480282602542154),
            (9, 60, 0.0028486058021657),
            (1, 200, 0.000885137268902532),
            (25, 200, 2.60675312989122e-05),
            (10, 200, 1.0),
            (0, 1, 1.0),
            (1, 1, 0.05),
        ];
        for (x, n, expected) in cases {
            let got = binomial_test_two_sided(x, n, 0.05).unwrap();
            assert_rel(got, expected, P_TOL, &format!("binom.test({x}, {n}, 0.05)"));
        }
    }

    #[test]
    fn limits_are_ordered_and_inside_unit_interval() {
        for n in [1u64, 2, 7, 30, 200, 5000] {
            for p0 in [0.01, 0.26, 0.5, 0.9] {
                let l = Limits::exact(n, p0).unwrap();
                assert!(
                    0.0 <= l.low_998
                        && l.low_998 <= l.low_95
                        && l.low_95 <= p0
                        && p0 <= l.high_95
                        && l.high_95 <= l.high_998
                        && l.high_998 <= 1.0,
                    "{n} {p0} {l:?}"
                );
            }
        }
    }

    #[test]
    fn classify_bands_and_boundaries() {
        let l = Limits {
            low_998: 0.1,
            low_95: 0.2,
            high_95: 0.6,
            high_998: 0.7,
        };
        assert_eq!(l.classify(0.4).band, Band::Within);
        assert_eq!(l.classify(0.2).band, Band::Within, "on the limit is inside");
        assert_eq!(
            l.classify(0.15),
            Verdict {
                band: Band::Alert,
                direction: Some(Direction::Low)
            }
        );
        assert_eq!(l.classify(0.1).band, Band::Alert);
        assert_eq!(
            l.classify(0.05),
            Verdict {
                band: Band::Alarm,
                direction: Some(Direction::Low)
            }
        );
        assert_eq!(
            l.classify(0.65),
            Verdict {
                band: Band::Alert,
                direction: Some(Direction::High)
            }
        );
        assert_eq!(l.classify(0.71).band, Band::Alarm);
    }

    #[test]
    fn rejects_degenerate_inputs() {
        assert_eq!(exact_limit(0, 0.5, 0.025), None);
        assert_eq!(exact_limit(10, 0.0, 0.025), None);
        assert_eq!(exact_limit(10, 0.5, 1.0), None);
        assert_eq!(binomial_test_two_sided(3, 2, 0.05), None);
        assert_eq!(dispersion(&[1.0], &[0.1]), None);
    }
}
