//! Pearson's chi-square test of a dose arm against control on the 2×2 table of responders,
//! with and without Yates' continuity correction.
//!
//! Why both: protocols written for large trials name the uncorrected test; older reports and
//! R's `chisq.test` default use Yates' correction. Fisher's exact test (`fisher.rs`) is the one
//! to trust for small arms; these are reported so that results can be matched to either source.
//!
//! With cells `a = x_t, b = n_t − x_t, c = x_c, d = n_c − x_c`, row totals `r₁ = n_t, r₂ = n_c`,
//! column totals `c₁ = a + c, c₂ = b + d` and `N` participants, every cell deviates from its
//! expectation by `D = |ad − bc| / N`, and
//!
//! ```text
//! X²       = N (ad − bc)² / (r₁ r₂ c₁ c₂)              (= D² Σ 1/E)
//! X²_Yates = (D − y)² N³ / (r₁ r₂ c₁ c₂),  y = min(½, D)  (R's chisq.test(correct = TRUE))
//! p        = P(χ²₁ > X²) = erfc(√(X²/2))
//! ```
//!
//! The cross product `ad − bc` is computed in exact integers. The test is undefined when a row
//! or column total is zero (an empty arm, or no responders or no non-responders at all; R
//! returns NaN there).
//!
//! References: K. Pearson, Philosophical Magazine 50 (1900) 157-175; F. Yates, Suppl. J. R.
//! Stat. Soc. 1 (1934) 217-235; A. Agresti, Categorical Data Analysis, 2nd ed. (2002), §3.2;
//! R `chisq.test` (stats package).

use super::special::normal_upper_tail;
use super::Binomial;

/// A chi-square statistic with one degree of freedom and its upper-tail p-value.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ChiSquare {
    /// The statistic `X²`.
    pub statistic: f64,
    /// `P(χ²₁ > X²)`.
    pub p_value: f64,
}

/// Pearson's chi-square test of the 2×2 table, with Yates' correction when `yates` (formulas in
/// the module documentation); `None` when a row or column total is zero.
#[must_use]
pub fn pearson_chi_square(treatment: Binomial, control: Binomial, yates: bool) -> Option<ChiSquare> {
    let (a, b) = (treatment.successes(), treatment.failures());
    let (c, d) = (control.successes(), control.failures());
    let (r1, r2, c1, c2) = (a + b, c + d, a + c, b + d);
    if r1 == 0 || r2 == 0 || c1 == 0 || c2 == 0 {
        return None;
    }
    let n = (r1 + r2) as f64;
    let cross = (i128::from(a) * i128::from(d) - i128::from(b) * i128::from(c)).unsigned_abs();
    let deviation = cross as f64 / n;
    let correction = if yates { deviation.min(0.5) } else { 0.0 };
    let margins = r1 as f64 * r2 as f64 * c1 as f64 * c2 as f64;
    let excess = deviation - correction;
    let statistic = excess * excess * (n * n * n) / margins;
    Some(ChiSquare {
        statistic,
        p_value: 2.0 * normal_upper_tail(statistic.sqrt()),
    })
}
