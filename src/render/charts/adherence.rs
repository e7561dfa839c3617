//! Adherence per treatment arm: each participant's share of planned sessions attended (a strip
//! of points, spread sideways by a fixed pattern), the 75% adherence line, and the arm's share
//! of adherent participants. Large arms are thinned to an evenly spaced sample of their sorted
//! values (at most [`MAX_POINTS`] per arm), which keeps the distribution's shape. A chart of
//! individuals: the report leaves it out under `--min-cell`.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, ChartError, FAMILY, PALETTE, drawing, evenly_spaced};
use crate::analysis::Analysis;
use crate::cohort::Cohort;
use crate::derive::Derived;

/// Most points drawn per arm.
pub const MAX_POINTS: usize = 600;

/// The adherence chart.
pub struct AdherenceChart {
    /// Per treatment arm: id, adherent share (%), sampled attendance shares (%).
    arms: Vec<(String, Option<f64>, Vec<f64>)>,
    threshold_pct: f64,
}

impl AdherenceChart {
    /// Builds the chart from the derived table.
    #[must_use]
    pub fn new(cohort: &Cohort, derived: &[Derived], analysis: &Analysis) -> AdherenceChart {
        let arms = cohort.protocol.arms();
        let mut shares: Vec<Vec<f64>> = vec![Vec::new(); arms.len()];
        for (p, d) in cohort.participants.iter().zip(derived) {
            if let Some(a) = d.adherence {
                shares[p.arm].push(100.0 * a);
            }
        }
        let data = arms
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.is_control())
            .map(|(i, a)| {
                let mut s = std::mem::take(&mut shares[i]);
                s.sort_by(f64::total_cmp);
                let adherent = analysis.arms[i].adherence_rate.map(|r| 100.0 * r);
                (a.id().to_owned(), adherent, evenly_spaced(&s, MAX_POINTS))
            })
            .collect();
        AdherenceChart {
            arms: data,
            threshold_pct: 100.0 * cohort.protocol.adherence_threshold().to_f64(),
        }
    }
}

impl Chart for AdherenceChart {
    fn size(&self) -> (u32, u32) {
        (900, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let k = self.arms.len().max(1);
        let labels: Vec<String> = self.arms.iter().map(|a| a.0.clone()).collect();
        let label_of = |x: &f64| super::category_label(&labels, *x);
        let mut chart = ChartBuilder::on(root)
            .caption("Sessions attended per participant", (FAMILY, 22))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..(k as f64 - 0.5), 0f64..105f64)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(k)
            .x_label_formatter(&label_of)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .x_desc("Treatment arm")
            .y_desc("Planned sessions attended (%)")
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 16))
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![
                    (-0.5, self.threshold_pct),
                    (k as f64 - 0.5, self.threshold_pct),
                ],
                RGBColor(213, 94, 0).stroke_width(2),
            )))
            .map_err(drawing)?
            .label(format!("adherence threshold {}%", self.threshold_pct))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RGBColor(213, 94, 0)));
        for (i, (_, adherent, shares)) in self.arms.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            // A fixed sideways spread (golden-ratio sequence), so the same data draw the same.
            let points = shares.iter().enumerate().map(|(j, &s)| {
                let offset = ((j as f64 * 0.618_033_988_75).fract() - 0.5) * 0.5;
                Circle::new((i as f64 + offset, s), 2, colour.mix(0.5).filled())
            });
            chart.draw_series(points).map_err(drawing)?;
            if let Some(a) = adherent {
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("{a:.0}% adherent"),
                        (i as f64 - 0.3, 103.0),
                        (FAMILY, 13),
                    )))
                    .map_err(drawing)?;
            }
        }
        super::legend(&mut chart)?;
        Ok(())
    }
}
