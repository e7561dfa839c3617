//! The number needed to treat, written as Altman (1998) recommends.
//!
//! Why: an NNT is the reciprocal of the risk difference, so when the difference's interval
//! contains 0 the NNT's "interval" is not an interval at all: it runs from a number needed to
//! benefit through infinity to a number needed to harm. Printing it as "−21.5 to 4.8" (as naive
//! software does) is wrong and misleading; Altman's notation says what it means.
//!
//! With `d = p_t − p_c` and its interval `[l, u]` (from the chosen risk-difference method):
//!
//! ```text
//! d > 0: NNTB 1/d,  d < 0: NNTH 1/|d|,  d = 0: NNT infinity
//! l > 0:         (1/u to 1/l)                              both limits benefit
//! u < 0:         (1/|u| to 1/|l|) → written (1/|l| … )     both limits harm, smaller first
//! l <= 0 <= u:   (NNTB 1/u to infinity to NNTH 1/|l|)      a limit at exactly 0 is infinity
//! ```
//!
//! Numbers are printed to one decimal, as in Altman's examples (he suggests rounding the
//! estimate up to a whole number for patients; the one-decimal figure is what the tables of a
//! paper carry).
//!
//! Reference: D. G. Altman, "Confidence intervals for the number needed to treat", BMJ 317
//! (1998) 1309-1312.

use super::Interval;

/// An NNT for display: the signed estimate (positive: benefit) and Altman's text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NntDisplay {
    /// `1/d`, signed; `None` when `d = 0` (the NNT is infinite).
    pub estimate: Option<f64>,
    /// Altman's text, e.g. "NNTB 2.7 (1.8 to 5.6)" or "NNTB 10.3 (NNTB 4.8 to infinity to
    /// NNTH 21.5)".
    pub display: String,
}

fn one_decimal(v: f64) -> String {
    format!("{v:.1}")
}

/// The NNT and its Altman display for a risk difference `d` with interval `ci`.
#[must_use]
pub fn altman(d: f64, ci: Interval) -> NntDisplay {
    let head = if d > 0.0 {
        format!("NNTB {}", one_decimal(1.0 / d))
    } else if d < 0.0 {
        format!("NNTH {}", one_decimal(1.0 / -d))
    } else {
        "NNT infinity".to_owned()
    };
    let limits = if ci.low > 0.0 {
        format!(
            "{} to {}",
            one_decimal(1.0 / ci.high),
            one_decimal(1.0 / ci.low)
        )
    } else if ci.high < 0.0 {
        format!(
            "{} to {}",
            one_decimal(1.0 / -ci.low),
            one_decimal(1.0 / -ci.high)
        )
    } else {
        let benefit = (ci.high > 0.0).then(|| format!("NNTB {}", one_decimal(1.0 / ci.high)));
        let harm = (ci.low < 0.0).then(|| format!("NNTH {}", one_decimal(1.0 / -ci.low)));
        [benefit, Some("infinity".to_owned()), harm]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" to ")
    };
    NntDisplay {
        estimate: (d != 0.0).then(|| 1.0 / d),
        display: format!("{head} ({limits})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(d: f64, low: f64, high: f64) -> String {
        altman(d, Interval { low, high }).display
    }

    #[test]
    fn published_examples() {
        // N. J. Barrowman, CMAJ 166 (2002) 1676: absolute risk reduction 16.6% (95% CI 0.9% to
        // 32.2%), "a 95% confidence interval for the number needed to treat is 1/0.009 to
        // 1/0.322 or approximately 3.1-111.1"; the NNT is 1/0.166 = 6.0.
        assert_eq!(show(0.166, 0.009, 0.322), "NNTB 6.0 (3.1 to 111.1)");
        // R. G. Newcombe, BMJ rapid response to Altman (1998), 5 January 1999: an ARR interval
        // "from -5% to +25% inverts to a confidence interval that goes from a number needed to
        // treat to benefit (NNTB) of 4, through infinity to a number needed to treat to harm
        // (NNTH) of 20" (the estimate 10% is ours).
        assert_eq!(
            show(0.10, -0.05, 0.25),
            "NNTB 10.0 (NNTB 4.0 to infinity to NNTH 20.0)"
        );
    }

    #[test]
    fn harm_zero_and_boundaries() {
        assert_eq!(show(-0.2, -0.3, -0.1), "NNTH 5.0 (3.3 to 10.0)");
        assert_eq!(
            show(0.0, -0.1, 0.1),
            "NNT infinity (NNTB 10.0 to infinity to NNTH 10.0)"
        );
        // A limit exactly at 0 is an infinite NNT on that side.
        assert_eq!(show(0.2, 0.0, 0.4), "NNTB 5.0 (NNTB 2.5 to infinity)");
        assert_eq!(show(-0.2, -0.4, 0.0), "NNTH 5.0 (infinity to NNTH 2.5)");
        assert_eq!(
            altman(
                0.0,
                Interval {
                    low: -0.1,
                    high: 0.1
                }
            )
            .estimate,
            None
        );
        assert_eq!(
            altman(
                -0.25,
                Interval {
                    low: -0.5,
                    high: -0.1
                }
            )
            .estimate,
            Some(-4.0)
        );
    }
}
