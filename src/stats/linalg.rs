//! Dense symmetric positive-definite solves for the small systems of the regression fits.
//!
//! Why hand-written: a fit has one column per arm plus one or two covariates (under a dozen), so
//! a Cholesky factorisation of a `p × p` matrix is a few hundred flops; a linear-algebra crate
//! would add a dependency for that. Matrices are row-major `Vec<f64>` of length `p²`.
//!
//! Reference: G. H. Golub & C. F. Van Loan, Matrix Computations, 4th ed. (2013), §4.2.

/// The lower Cholesky factor `L` of a symmetric positive-definite `a` (`a = L Lᵀ`), or `None`
/// when `a` is not numerically positive definite (a pivot at or below `1e-13` times the largest
/// diagonal entry: the design has a column that is all zero or a combination of the others).
pub(crate) fn cholesky(a: &[f64], p: usize) -> Option<Vec<f64>> {
    let scale = (0..p).map(|i| a[i * p + i].abs()).fold(0.0, f64::max);
    let mut l = vec![0.0; p * p];
    for j in 0..p {
        let mut d = a[j * p + j];
        for k in 0..j {
            d -= l[j * p + k] * l[j * p + k];
        }
        if d.is_nan() || d <= 1e-13 * scale {
            return None;
        }
        let d = d.sqrt();
        l[j * p + j] = d;
        for i in j + 1..p {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            l[i * p + j] = s / d;
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b` given the Cholesky factor `l`.
pub(crate) fn cholesky_solve(l: &[f64], p: usize, b: &[f64]) -> Vec<f64> {
    let mut y = b.to_vec();
    for i in 0..p {
        for k in 0..i {
            y[i] -= l[i * p + k] * y[k];
        }
        y[i] /= l[i * p + i];
    }
    for i in (0..p).rev() {
        for k in i + 1..p {
            y[i] -= l[k * p + i] * y[k];
        }
        y[i] /= l[i * p + i];
    }
    y
}

/// The inverse of `L Lᵀ` given its Cholesky factor, row-major.
pub(crate) fn cholesky_inverse(l: &[f64], p: usize) -> Vec<f64> {
    let mut inv = vec![0.0; p * p];
    let mut unit = vec![0.0; p];
    for j in 0..p {
        unit.fill(0.0);
        unit[j] = 1.0;
        let column = cholesky_solve(l, p, &unit);
        for i in 0..p {
            inv[i * p + j] = column[i];
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::assert_abs;

    /// Exact small-integer data: the solves round only in the last bits.
    const ROUNDING_ABS: f64 = 1e-13;

    #[test]
    fn solves_and_inverts_a_known_system() {
        // A = [[4, 2, 0.4], [2, 5, 1], [0.4, 1, 3]], x = (1, -2, 3), b = A x.
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let x = [1.0, -2.0, 3.0];
        let b: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|j| a[i * 3 + j] * x[j]).sum())
            .collect();
        let l = cholesky(&a, 3).expect("positive definite");
        let got = cholesky_solve(&l, 3, &b);
        for i in 0..3 {
            assert_abs(got[i], x[i], ROUNDING_ABS, "solution");
        }
        let inv = cholesky_inverse(&l, 3);
        for i in 0..3 {
            for j in 0..3 {
                let product: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                let unit = if i == j { 1.0 } else { 0.0 };
                assert_abs(product, unit, ROUNDING_ABS, "A A^-1");
            }
        }
    }

    #[test]
    fn refuses_singular_matrices() {
        // Second column twice the first.
        assert!(cholesky(&[1.0, 2.0, 2.0, 4.0], 2).is_none());
        assert!(cholesky(&[0.0, 0.0, 0.0, 1.0], 2).is_none());
    }
}
