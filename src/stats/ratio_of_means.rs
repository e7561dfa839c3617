//! The ratio of two means, `ȳ / x̄`, with its delta-method (linearisation) standard error, from
//! the sums of the pairs `(yᵢ, xᵢ)` alone.
//!
//! Why from sums: the simulator keeps exact integer sums over replicates (so shards merge into
//! exactly the unsharded answer) and never the values themselves; the ratio of total cost to
//! total responders, the usual cost-effectiveness ratio, is such a ratio.
//!
//! ```text
//! θ  = Σy / Σx
//! s² = (Σy² − 2θ Σxy + θ² Σx²) / (n − 1)     (the sample variance of the residuals y − θx,
//!                                               whose mean is 0 at this θ)
//! SE = √(s² / n) / |x̄|
//! ```
//!
//! Reference: W. G. Cochran, Sampling Techniques, 3rd ed. (Wiley, 1977), section 6.3, eq. 6.9
//! and 6.13 (the variance of the ratio estimator, with the population ratio estimated by θ).
//! Checked against R 4.2.2 (`sqrt(var(y - th * x) / n) / mean(x)`) in the tests.

/// Sums of `n` pairs `(y, x)`: the inputs of [`ratio_of_means`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PairSums {
    /// Number of pairs.
    pub n: f64,
    /// Σy.
    pub y: f64,
    /// Σx.
    pub x: f64,
    /// Σy².
    pub yy: f64,
    /// Σx².
    pub xx: f64,
    /// Σxy.
    pub xy: f64,
}

/// `(θ, SE)`: the ratio of means `Σy / Σx` and its delta-method standard error (module
/// documentation; 0 for one pair). `None` when there is no pair or `Σx` is 0.
#[must_use]
pub fn ratio_of_means(s: &PairSums) -> Option<(f64, f64)> {
    if s.n < 1.0 || s.x == 0.0 {
        return None;
    }
    let theta = s.y / s.x;
    let se = if s.n > 1.0 {
        let residual = (s.yy - 2.0 * theta * s.xy + theta * theta * s.xx).max(0.0);
        ((residual / (s.n - 1.0)) / s.n).sqrt() / (s.x / s.n).abs()
    } else {
        0.0
    };
    Some((theta, se))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative tolerance against R's double-precision result (a few ulps of summing six terms).
    const R_TOLERANCE: f64 = 1e-13;

    fn sums(y: &[f64], x: &[f64]) -> PairSums {
        PairSums {
            n: y.len() as f64,
            y: y.iter().sum(),
            x: x.iter().sum(),
            yy: y.iter().map(|v| v * v).sum(),
            xx: x.iter().map(|v| v * v).sum(),
            xy: y.iter().zip(x).map(|(a, b)| a * b).sum(),
        }
    }

    #[test]
    fn matches_r_on_a_small_sample() {
        // R 4.2.2: y <- c(3,5,4,6,2,7); x <- c(1,2,2,3,1,2); th <- sum(y)/sum(x);
        // sqrt(var(y - th*x)/length(y))/mean(x) -> 2.45454545454545459, 0.27400153104267239
        let (theta, se) = ratio_of_means(&sums(
            &[3.0, 5.0, 4.0, 6.0, 2.0, 7.0],
            &[1.0, 2.0, 2.0, 3.0, 1.0, 2.0],
        ))
        .unwrap();
        assert!((theta - 2.454_545_454_545_454_6).abs() <= R_TOLERANCE * theta);
        assert!((se - 0.274_001_531_042_672_4).abs() <= R_TOLERANCE * se);
    }

    #[test]
    fn proportional_pairs_have_no_error_and_a_zero_denominator_no_ratio() {
        // y = 3x exactly: the ratio is 3 in every pair, so its error is 0.
        let (theta, se) = ratio_of_means(&sums(&[3.0, 6.0, 9.0], &[1.0, 2.0, 3.0])).unwrap();
        assert!((theta - 3.0).abs() <= 4.0 * f64::EPSILON);
        assert!(se <= 1e-7, "{se}");
        assert_eq!(ratio_of_means(&sums(&[1.0, 2.0], &[1.0, -1.0])), None);
        assert_eq!(ratio_of_means(&PairSums::default()), None);
    }
}
