//! Mean and standard deviation of a sample (for example improvement scores of one arm).
//!
//! Why a careful method: outcome scores can sit on a large offset (timestamps, raw device
//! readings), where the textbook `Σx² − (Σx)²/n` loses every digit to cancellation. Both
//! statistics use the corrected two-pass algorithm (Chan, Golub & LeVeque 1983, eq. 1.7), each
//! pass summed with Neumaier's compensated summation:
//!
//! ```text
//! m  = Σx / n,  then  mean = m + Σ(x − m) / n          (the second pass corrects rounding in m)
//! s² = (Σ(x − mean)² − (Σ(x − mean))² / n) / (n − 1)    (sample variance, n − 1 divisor)
//! ```
//!
//! Values are expected to be finite (the cohort layer validates them); a NaN or infinite value
//! yields a NaN or infinite result rather than an error.
//!
//! References: T. F. Chan, G. H. Golub & R. J. LeVeque, "Algorithms for computing the sample
//! variance: analysis and recommendations", The American Statistician 37 (1983) 242-247;
//! A. Neumaier, ZAMM 54 (1974) 39-51.

/// Neumaier's compensated sum: the rounding error of every addition is carried along, so the
/// result is accurate to about an ulp whatever the length (a plain running sum drifts by about
/// √n ulps, 5e-14 relative on 3e5 values).
fn compensated_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, compensation) = values.fold((0.0_f64, 0.0_f64), |(sum, comp), x| {
        let next = sum + x;
        let lost = if sum.abs() >= x.abs() {
            (sum - next) + x
        } else {
            (x - next) + sum
        };
        (next, comp + lost)
    });
    sum + compensation
}

/// Arithmetic mean; `None` for an empty slice.
#[must_use]
pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let n = xs.len() as f64;
    let first = compensated_sum(xs.iter().copied()) / n;
    let correction = compensated_sum(xs.iter().map(|x| x - first)) / n;
    Some(first + correction)
}

/// A sample's size, mean and sample variance (n − 1 divisor), computed once for every
/// statistic that needs them (an arm's mean and SD, and each Welch interval it enters).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    /// Number of values.
    pub n: usize,
    /// [`mean`]: `None` for no values.
    pub mean: Option<f64>,
    /// Sample variance: `None` below two values.
    pub variance: Option<f64>,
}

impl Moments {
    /// The moments of `xs` (the same numbers as [`mean`] and [`sd`]).
    #[must_use]
    pub fn of(xs: &[f64]) -> Moments {
        let mean = mean(xs);
        let variance = match mean {
            Some(m) if xs.len() >= 2 => {
                let sum_squares = compensated_sum(xs.iter().map(|x| (x - m) * (x - m)));
                let sum = compensated_sum(xs.iter().map(|x| x - m));
                let n = xs.len() as f64;
                Some(((sum_squares - sum * sum / n) / (n - 1.0)).max(0.0))
            }
            _ => None,
        };
        Moments {
            n: xs.len(),
            mean,
            variance,
        }
    }

    /// Sample standard deviation: `None` below two values.
    #[must_use]
    pub fn sd(&self) -> Option<f64> {
        self.variance.map(f64::sqrt)
    }
}

/// Sample standard deviation with the n − 1 divisor (numpy `std(ddof=1)`, R `sd`); `None` below
/// two values.
#[must_use]
pub fn sd(xs: &[f64]) -> Option<f64> {
    Moments::of(xs).sd()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{EXACT, assert_abs, assert_rel};

    /// numpy prints 16-17 significant digits of a two-pass computation; a few ulps apart.
    const NUMPY_REL: f64 = 1e-14;

    #[test]
    fn match_numpy() {
        // numpy 2.4.6: (np.mean(xs), np.std(xs, ddof=1))
        let cases: [(&[f64], f64, f64); 3] = [
            (
                &[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0],
                5.0,
                2.138089935299395,
            ),
            (&[0.1, 0.2, 0.3], 0.20000000000000004, 0.09999999999999999),
            // On an offset of 1e9 the naive formula loses every digit; exact sd is √30.
            (
                &[1e9 + 4.0, 1e9 + 7.0, 1e9 + 13.0, 1e9 + 16.0],
                1e9 + 10.0,
                5.477225575051661,
            ),
        ];
        for (xs, expected_mean, expected_sd) in cases {
            assert_rel(
                mean(xs).unwrap(),
                expected_mean,
                NUMPY_REL,
                &format!("mean {xs:?}"),
            );
            assert_rel(
                sd(xs).unwrap(),
                expected_sd,
                NUMPY_REL,
                &format!("sd {xs:?}"),
            );
        }
    }

    #[test]
    fn large_sample_matches_numpy() {
        // numpy 2.4.6 on [((i * 7919) % 1000) / 100 for i in range(300000)]:
        // mean 4.995, std(ddof=1) 2.886754713833961
        let xs: Vec<f64> = (0..300_000_u64)
            .map(|i| ((i * 7919) % 1000) as f64 / 100.0)
            .collect();
        assert_rel(mean(&xs).unwrap(), 4.995, NUMPY_REL, "mean");
        assert_rel(sd(&xs).unwrap(), 2.886754713833961, NUMPY_REL, "sd");
    }

    #[test]
    fn moments_are_the_mean_and_sd() {
        let xs: Vec<f64> = (0..1000_u64)
            .map(|i| ((i * 37) % 101) as f64 / 7.0)
            .collect();
        for len in [0, 1, 2, 3, 1000] {
            let m = Moments::of(&xs[..len]);
            assert_eq!(m.n, len);
            assert_eq!(m.mean, mean(&xs[..len]));
            assert_eq!(m.sd(), sd(&xs[..len]));
            assert_eq!(m.variance.is_some(), len >= 2);
        }
        // numpy 2.4.6: np.var([2, 4, 4, 4, 5, 5, 7, 9], ddof=1) = 4.571428571428571
        let v = Moments::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
            .variance
            .unwrap();
        assert_rel(v, 4.571428571428571, NUMPY_REL, "variance");
    }

    #[test]
    fn too_few_values_give_none() {
        assert_eq!(mean(&[]), None);
        assert_eq!(sd(&[]), None);
        assert_eq!(sd(&[3.0]), None);
        assert_abs(mean(&[3.0]).unwrap(), 3.0, EXACT, "single mean");
    }

    /// Shifted inputs of size up to 1e8 are themselves rounded to 1.5e-8, which bounds how well
    /// the shifted statistics can agree with the unshifted ones (the naive one-pass formula
    /// would be off by 100% there).
    const SHIFTED_INPUT_REL: f64 = 1e-7;
    /// The mean of shifted data is exact to a few ulps of the shift.
    const SHIFT_ULPS: f64 = 8.0 * f64::EPSILON;

    #[test]
    fn shift_and_scale_properties() {
        // sd is shift invariant and scales with |c|; the mean shifts and scales.
        let xs = [1.5, -2.0, 3.25, 8.0, 0.0, 4.5, -1.75];
        let base_mean = mean(&xs).unwrap();
        let base_sd = sd(&xs).unwrap();
        for shift in [-1e6, -3.0, 0.0, 7.5, 1e8] {
            for scale in [-4.0, 0.5, 1.0, 3.0] {
                let ys: Vec<f64> = xs.iter().map(|x| scale * x + shift).collect();
                let what = format!("shift {shift} scale {scale}");
                let expected_mean = scale * base_mean + shift;
                let tol = SHIFT_ULPS * shift.abs().max(1.0);
                assert_abs(mean(&ys).unwrap(), expected_mean, tol, &what);
                let expected_sd = scale.abs() * base_sd;
                assert_rel(sd(&ys).unwrap(), expected_sd, SHIFTED_INPUT_REL, &what);
            }
        }
        assert_abs(sd(&[5.0; 10]).unwrap(), 0.0, EXACT, "constant sample");
    }
}
