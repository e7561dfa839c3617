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

use super::Binomial;
use super::special::normal_upper_tail;

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
pub fn pearson_chi_square(
    treatment: Binomial,
    control: Binomial,
    yates: bool,
) -> Option<ChiSquare> {
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

// Reference values are copied with every digit their source printed (17 significant digits).
#[cfg(test)]
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;
    use crate::stats::testing::assert_rel;

    /// R prints 17 digits of the same closed form; the p-value goes through erfc.
    const R_REL: f64 = 1e-13;

    fn bin(x: u64, n: u64) -> Binomial {
        Binomial::new(x, n).expect("valid counts")
    }

    #[test]
    fn matches_r_chisq_test() {
        // R 4.2.2: chisq.test(matrix(c(x1, n1 - x1, x2, n2 - x2), 2, byrow = TRUE),
        //   correct = FALSE / TRUE): (statistic, p) without and with Yates.
        let cases = [
            (
                (56, 70, 48, 80),
                (7.0234113712374571, 0.0080450813681965782),
                (6.114270410296224, 0.013409475178668959),
            ),
            (
                (9, 10, 3, 10),
                (7.5, 0.0061698993205441532),
                (5.2083333333333339, 0.022478873366125231),
            ),
            (
                (5, 56, 0, 29),
                (2.7511160714285716, 0.097186568170579746),
                (1.3747402247536946, 0.24099911419634254),
            ),
            (
                (10, 10, 0, 20),
                (29.999999999999996, 4.3204630578275061e-08),
                (25.668749999999996, 4.0533792817570518e-07),
            ),
            (
                (24, 38, 10, 38),
                (10.431372549019608, 0.0012389263721746765),
                (8.9943977591036415, 0.0027080850501157399),
            ),
            (
                (29, 38, 10, 38),
                (19.013167013167013, 1.2981953787248864e-05),
                (17.064449064449065, 3.613240150198634e-05),
            ),
            (
                (250, 400, 3, 9),
                (3.1736153339414215, 0.074836619084306902),
                (2.0577988092322337, 0.15142877834517671),
            ),
        ];
        for ((xt, nt, xc, nc), (x2, p), (y2, yp)) in cases {
            let what = format!("{xt}/{nt} vs {xc}/{nc}");
            let plain = pearson_chi_square(bin(xt, nt), bin(xc, nc), false).unwrap();
            assert_rel(plain.statistic, x2, R_REL, &format!("{what} X2"));
            assert_rel(plain.p_value, p, R_REL, &format!("{what} p"));
            let yates = pearson_chi_square(bin(xt, nt), bin(xc, nc), true).unwrap();
            assert_rel(yates.statistic, y2, R_REL, &format!("{what} Yates X2"));
            assert_rel(yates.p_value, yp, R_REL, &format!("{what} Yates p"));
        }
    }

    #[test]
    fn yates_never_overcorrects_and_degenerate_tables_have_no_test() {
        // R 4.2.2: 1/1 vs 0/1 has |O - E| = 0.5, so the corrected statistic is exactly 0, p 1;
        // uncorrected 2, p 0.15729920705028447.
        let y = pearson_chi_square(bin(1, 1), bin(0, 1), true).unwrap();
        assert_eq!((y.statistic, y.p_value), (0.0, 1.0));
        let plain = pearson_chi_square(bin(1, 1), bin(0, 1), false).unwrap();
        assert_rel(plain.p_value, 0.15729920705028447, R_REL, "1/1 vs 0/1 p");
        // R returns NaN with no responders at all; here there is no test.
        assert_eq!(pearson_chi_square(bin(0, 10), bin(0, 20), false), None);
        assert_eq!(pearson_chi_square(bin(10, 10), bin(20, 20), true), None);
        assert_eq!(pearson_chi_square(bin(0, 0), bin(3, 20), false), None);
    }
}
