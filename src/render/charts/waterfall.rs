//! Waterfall of each participant's percent change in pain from baseline to the checkpoint,
//! sorted, one panel per arm, with the −30% responder line. Negative is better. Participants
//! without both scores, or with a baseline of 0, are left out (their percent change does not
//! exist). Large arms are drawn from an evenly spaced sample of their sorted values (at most
//! [`MAX_BARS`] bars), which keeps the waterfall's shape. A chart of individuals: the report
//! leaves it out under `--min-cell`, since counting the bars beyond the responder line gives
//! each arm's responders.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CONTROL, Chart, ChartError, FAMILY, PALETTE, drawing, evenly_spaced};
use crate::cohort::Cohort;
use crate::derive::Derived;

/// Most bars per arm.
pub const MAX_BARS: usize = 400;

/// The waterfall chart.
pub struct WaterfallChart {
    /// Per arm: id, control?, participants with a value, sampled sorted percent changes.
    arms: Vec<(String, bool, usize, Vec<f64>)>,
    threshold: f64,
}

impl WaterfallChart {
    /// Builds the chart from the derived table.
    #[must_use]
    pub fn new(cohort: &Cohort, derived: &[Derived]) -> WaterfallChart {
        let arms = cohort.protocol.arms();
        let mut changes: Vec<Vec<f64>> = vec![Vec::new(); arms.len()];
        for (p, d) in cohort.participants.iter().zip(derived) {
            if let Some(pct) = d.pain.improvement_pct {
                // improvement_pct is the reduction; the change is its negative.
                changes[p.arm].push(-pct);
            }
        }
        let data = arms
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut c = std::mem::take(&mut changes[i]);
                // Largest increase first, largest decrease last: the classic waterfall.
                c.sort_by(|x, y| y.total_cmp(x));
                let n = c.len();
                (
                    a.id().to_owned(),
                    a.is_control(),
                    n,
                    evenly_spaced(&c, MAX_BARS),
                )
            })
            .collect();
        WaterfallChart {
            arms: data,
            threshold: -cohort.protocol.pain_min_reduction_pct().to_f64(),
        }
    }
}

impl Chart for WaterfallChart {
    fn size(&self) -> (u32, u32) {
        let rows = self.arms.len().div_ceil(3).max(1) as u32;
        (1200, 40 + 300 * rows)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (title, body) = root.split_vertically(40);
        title
            .titled(
                "Change in pain from baseline to the checkpoint, per participant (sorted)",
                (FAMILY, 22),
            )
            .map_err(drawing)?;
        let rows = self.arms.len().div_ceil(3).max(1);
        let panels = body.split_evenly((rows, 3));
        for (i, ((id, is_control, n, changes), area)) in self.arms.iter().zip(&panels).enumerate() {
            let colour = if *is_control {
                CONTROL
            } else {
                PALETTE[(i.saturating_sub(1)) % PALETTE.len()]
            };
            let bars = changes.len().max(1);
            let mut chart = ChartBuilder::on(area)
                .caption(format!("{id} (n = {n})"), (FAMILY, 16))
                .margin(8)
                .x_label_area_size(26)
                .y_label_area_size(52)
                .build_cartesian_2d(0f64..bars as f64, -100f64..100f64)
                .map_err(drawing)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(WHITE)
                .x_labels(0)
                .y_labels(5)
                .y_label_formatter(&|y| format!("{y:.0}"))
                .x_desc("Participants, sorted")
                .y_desc("Pain change (%)")
                .label_style((FAMILY, 12))
                .axis_desc_style((FAMILY, 13))
                .draw()
                .map_err(drawing)?;
            let rects = changes.iter().enumerate().map(|(j, &c)| {
                let c = c.clamp(-100.0, 100.0);
                Rectangle::new(
                    [(j as f64 + 0.1, 0.0), (j as f64 + 0.9, c)],
                    colour.filled(),
                )
            });
            chart.draw_series(rects).map_err(drawing)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, self.threshold), (bars as f64, self.threshold)],
                    BLACK.stroke_width(1),
                )))
                .map_err(drawing)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{}% (responder line)", self.threshold),
                    (0.5, self.threshold - 12.0),
                    (FAMILY, 11),
                )))
                .map_err(drawing)?;
        }
        Ok(())
    }
}
