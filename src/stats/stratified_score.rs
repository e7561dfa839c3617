//! The stratified Miettinen-Nurminen score interval for a common risk difference, with
//! Mantel-Haenszel weights.
//!
//! Why: the Mantel-Haenszel risk difference's Wald interval (`stratified.rs`, Sato's variance)
//! is poor for small strata and rates near 0 or 1, where the unstratified comparison would use
//! the Miettinen-Nurminen score interval. Miettinen & Nurminen (1985) gave the stratified
//! form: a weighted sum of the strata's score statistics, each with its variance at the
//! restricted MLEs under the hypothesised common difference. With the Mantel-Haenszel weights
//! it is SAS PROC FREQ's `COMMONRISKDIFF(CL=MNMH)` and R's
//! `ratesci::scoreci(..., stratified = TRUE, weighting = "MH", skew = FALSE)`; its test at
//! δ = 0 is the Cochran-Mantel-Haenszel test with the `N/(N − 1)` factor.
//!
//! For the strata `h` that compare (both arms present), with `w_h = n_th n_ch / N_h`, the
//! restricted MLEs `(p̃_th, p̃_ch)` of `score.rs` under `p_th − p_ch = δ` and
//! `λ_h = N_h / (N_h − 1)`:
//!
//! ```text
//! V_h(δ) = λ_h (p̃_th(1−p̃_th)/n_th + p̃_ch(1−p̃_ch)/n_ch)
//! Z(δ)   = Σ w_h (p̂_th − p̂_ch − δ) / √(Σ w_h² V_h(δ))
//! interval: {δ : |Z(δ)| <= z},  estimate: Z(δ) = 0, which is the MH risk difference
//! ```
//!
//! `Z` is +∞ at δ = −1 and −∞ at δ = 1 and is zero at the Mantel-Haenszel estimate, so each
//! limit is found by bisection between the estimate and the boundary (as `score.rs`). A zero
//! total variance gives ±∞ (0 when the numerator is 0). Strata with an empty arm are left out.
//!
//! References: O. Miettinen & M. Nurminen, Statistics in Medicine 4 (1985) 213-226, §5;
//! SAS/STAT User's Guide (SAS Viya), PROC FREQ, "Common Risk Difference"; R package ratesci.

use super::score::{crossing, restricted_difference, score_statistic, variance_factor};
use super::stratified::Stratum;
use super::{Interval, Level};

/// One stratum's rates, sizes and weight.
struct Row {
    pt: f64,
    pc: f64,
    nt: f64,
    nc: f64,
    lambda: f64,
    weight: f64,
}

/// The stratified Miettinen-Nurminen interval for the common risk difference (module
/// documentation), or `None` when no stratum compares.
#[must_use]
pub fn stratified_miettinen_nurminen(strata: &[Stratum], level: Level) -> Option<Interval> {
    let rows: Vec<Row> = strata
        .iter()
        .filter(|s| s.compares())
        .map(|s| {
            let (nt, nc) = (s.treatment.trials() as f64, s.control.trials() as f64);
            Row {
                pt: s.treatment.successes() as f64 / nt,
                pc: s.control.successes() as f64 / nc,
                nt,
                nc,
                lambda: variance_factor(nt, nc),
                weight: nt * nc / (nt + nc),
            }
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let total: f64 = rows.iter().map(|r| r.weight).sum();
    let estimate = rows.iter().map(|r| r.weight * (r.pt - r.pc)).sum::<f64>() / total;
    let z_of = |delta: f64| {
        if delta <= -1.0 {
            return f64::INFINITY;
        }
        if delta >= 1.0 {
            return f64::NEG_INFINITY;
        }
        let (mut num, mut var) = (0.0, 0.0);
        for r in &rows {
            let (qt, qc) = restricted_difference(r.pt, r.pc, r.nt, r.nc, delta);
            num += r.weight * (r.pt - r.pc - delta);
            var +=
                r.weight * r.weight * r.lambda * (qt * (1.0 - qt) / r.nt + qc * (1.0 - qc) / r.nc);
        }
        score_statistic(num, var)
    };
    let z = level.z();
    let low = crossing(-1.0, estimate, z, z_of);
    let high = crossing(estimate, 1.0, -z, z_of);
    Some(Interval {
        low: low.clamp(-1.0, estimate),
        high: high.clamp(estimate, 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{assert_abs, reference_number, reference_rows};
    use crate::stats::{Binomial, mantel_haenszel};

    fn stratum(a: u64, n1: u64, c: u64, n0: u64) -> Stratum {
        Stratum {
            treatment: Binomial::new(a, n1).unwrap(),
            control: Binomial::new(c, n0).unwrap(),
        }
    }

    /// `"a/n1:c/n0,..."`, the layout of `compare --strata`.
    fn parse(strata: &str) -> Vec<Stratum> {
        strata
            .split(',')
            .map(|s| {
                let n: Vec<u64> = s.split([':', '/']).map(|v| v.parse().unwrap()).collect();
                stratum(n[0], n[1], n[2], n[3])
            })
            .collect()
    }

    /// ratesci prints the limits to 10 decimals (`precis = 12`).
    const RATESCI_ABS: f64 = 2e-9;

    /// R 4.2.2 with ratesci 0.4-0.9000 sourced, `scoreci(..., stratified = TRUE,
    /// weighting = "MH", skew = FALSE)`, written by tests/reference/scas_blaker.R: SAS's
    /// migraine example, Laud (2017)'s 13-centre cisapride trial, Mehrotra & Railkar's three
    /// strata, DREAM-like sites and 25 seeded random sets of 2-6 strata, at 0.90/0.95/0.99.
    #[test]
    fn matches_ratesci_mh_weights() {
        let rows = reference_rows(include_str!("../../tests/reference/data/stratified_mn.csv"));
        assert!(rows.len() >= 90, "the reference file lost rows");
        for row in rows {
            let strata = parse(&row[0]);
            let level = Level::new(row[1].parse().unwrap()).unwrap();
            let got = stratified_miettinen_nurminen(&strata, level).unwrap();
            let what = format!("{} at {}", row[0], row[1]);
            assert_abs(
                got.low,
                reference_number(&row[2]).unwrap(),
                RATESCI_ABS,
                &what,
            );
            assert_abs(
                got.high,
                reference_number(&row[3]).unwrap(),
                RATESCI_ABS,
                &what,
            );
        }
    }

    /// At δ = 0 the statistic is the CMH statistic's square root (module documentation), so
    /// the interval excludes 0 exactly when the CMH test rejects at the same level.
    #[test]
    fn agrees_with_the_cmh_test() {
        for strata in [
            "16/27:5/25,12/28:7/26",
            "3/10:2/10,4/12:3/11",
            "21/464:26/453,11/165:25/174,8/69:11/70",
            "5/20:4/20,9/20:2/20,1/5:1/6",
        ] {
            let strata = parse(strata);
            let cmh = mantel_haenszel(&strata, Level::NINETY_FIVE).cmh.unwrap();
            let ci = stratified_miettinen_nurminen(&strata, Level::NINETY_FIVE).unwrap();
            assert_eq!(cmh.p_value < 0.05, ci.low > 0.0 || ci.high < 0.0);
        }
    }

    /// Strata with an empty arm are left out; with none left there is no interval.
    #[test]
    fn empty_arms_are_left_out() {
        let with = parse("16/27:5/25,12/28:7/26,3/4:0/0");
        let without = parse("16/27:5/25,12/28:7/26");
        assert_eq!(
            stratified_miettinen_nurminen(&with, Level::NINETY_FIVE),
            stratified_miettinen_nurminen(&without, Level::NINETY_FIVE)
        );
        assert!(stratified_miettinen_nurminen(&parse("3/4:0/0"), Level::NINETY_FIVE).is_none());
    }
}
