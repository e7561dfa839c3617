//! Adjustment of the arm-versus-control p-values for multiple comparisons.
//!
//! Why: a dosing trial compares several dose arms with one control, so the chance that at least
//! one comparison is "significant" by luck grows with the number of arms. Bonferroni multiplies
//! each p by the number of comparisons `m`; Holm's step-down procedure controls the same
//! family-wise error rate and is never less powerful, so it is the one to prefer. Both are
//! valid under any dependence between the comparisons (which share the control arm).
//!
//! ```text
//! Bonferroni: p̃_i = min(1, m p_i)
//! Holm:       with p_(1) <= … <= p_(m),  p̃_(i) = max_{j <= i} min(1, (m − j + 1) p_(j))
//! ```
//!
//! as R's `p.adjust` computes them (ties keep their input order, which does not change the
//! result). trialdose adjusts within one outcome: the family is every treatment arm against
//! control on that outcome, counting only comparisons that have a p-value.
//!
//! References: S. Holm, "A simple sequentially rejective multiple test procedure",
//! Scand. J. Statist. 6 (1979) 65-70; R `p.adjust` (stats package).

/// The multiplicity adjustment (`--multiplicity`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Multiplicity {
    /// No adjustment.
    #[default]
    None,
    /// Holm's step-down procedure.
    Holm,
    /// Bonferroni.
    Bonferroni,
}

impl Multiplicity {
    /// The name used in outputs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Multiplicity::None => "none",
            Multiplicity::Holm => "holm",
            Multiplicity::Bonferroni => "bonferroni",
        }
    }
}

/// Adjusted p-values, in the input order; `None` entries stay `None` and do not count towards
/// the family size. With [`Multiplicity::None`] the input is returned unchanged.
#[must_use]
pub fn adjust(p_values: &[Option<f64>], method: Multiplicity) -> Vec<Option<f64>> {
    let m = p_values.iter().flatten().count() as f64;
    match method {
        Multiplicity::None => p_values.to_vec(),
        Multiplicity::Bonferroni => p_values
            .iter()
            .map(|p| p.map(|p| (m * p).min(1.0)))
            .collect(),
        Multiplicity::Holm => {
            let mut order: Vec<usize> = (0..p_values.len())
                .filter(|&i| p_values[i].is_some())
                .collect();
            // Stable sort: ties keep their input order, as in R.
            order.sort_by(|&i, &j| {
                p_values[i]
                    .unwrap_or(1.0)
                    .total_cmp(&p_values[j].unwrap_or(1.0))
            });
            let mut out = vec![None; p_values.len()];
            let mut running = 0.0_f64;
            for (rank, &i) in order.iter().enumerate() {
                let p = p_values[i].unwrap_or(1.0);
                running = running.max(((m - rank as f64) * p).min(1.0));
                out[i] = Some(running);
            }
            out
        }
    }
}

// Reference values are copied with every digit their source printed (17 significant digits).
#[cfg(test)]
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    /// R's p.adjust multiplies and takes maxima in the same double arithmetic.
    const R_ABS: f64 = 1e-15;

    fn close(got: &[Option<f64>], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            let g = g.expect("adjusted p");
            assert!((g - w).abs() <= R_ABS, "got {got:?}, want {want:?}");
        }
    }

    #[test]
    fn matches_r_p_adjust() {
        let p = [Some(0.01), Some(0.04), Some(0.03), Some(0.2)];
        // R 4.2.2: p.adjust(c(0.01, 0.04, 0.03, 0.2), "holm") = 0.04 0.09 0.09 0.20
        close(&adjust(&p, Multiplicity::Holm), &[0.04, 0.09, 0.09, 0.2]);
        // R 4.2.2: p.adjust(c(0.01, 0.04, 0.03, 0.2), "bonferroni") = 0.04 0.16 0.12 0.80
        close(
            &adjust(&p, Multiplicity::Bonferroni),
            &[0.04, 0.16, 0.12, 0.8],
        );
        // Ties and values near 1: R 4.2.2 p.adjust(c(0.5, 0.5, 0.9, 0.01), "holm") and
        // "bonferroni" are both 1 1 1 0.04.
        let q = [Some(0.5), Some(0.5), Some(0.9), Some(0.01)];
        close(&adjust(&q, Multiplicity::Holm), &[1.0, 1.0, 1.0, 0.04]);
        close(
            &adjust(&q, Multiplicity::Bonferroni),
            &[1.0, 1.0, 1.0, 0.04],
        );
    }

    #[test]
    fn missing_p_values_do_not_count() {
        let p = [Some(0.01), None, Some(0.03)];
        assert_eq!(
            adjust(&p, Multiplicity::Bonferroni),
            vec![Some(0.02), None, Some(0.06)]
        );
        assert_eq!(
            adjust(&p, Multiplicity::Holm),
            vec![Some(0.02), None, Some(0.03)]
        );
        assert_eq!(adjust(&p, Multiplicity::None), p.to_vec());
        assert!(adjust(&[], Multiplicity::Holm).is_empty());
    }
}
