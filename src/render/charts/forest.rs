//! Forest plot of each treatment arm against control: the risk difference (percentage points)
//! with its interval (the analysis' `--rd-method`, Newcombe by default) and the risk ratio with
//! its Katz interval on a log axis, one row per arm and outcome.

use crate::domain::Outcome;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, ChartError, FAMILY, PALETTE, drawing};
use crate::analysis::{Analysis, Comparison};
use crate::render::report::model::ReportModel;

/// The forest plot of an analysis' comparisons (pain and NDI).
pub struct ForestChart<'a> {
    rows: Vec<&'a Comparison>,
}

impl<'a> ForestChart<'a> {
    /// The pain and NDI comparisons of `analysis`, pain first.
    #[must_use]
    pub fn new(analysis: &'a Analysis) -> ForestChart<'a> {
        let rows = Outcome::BOTH
            .iter()
            .flat_map(|o| analysis.comparisons.iter().filter(move |c| c.outcome == *o))
            .collect();
        ForestChart { rows }
    }

    /// Keeps only the comparisons whose effects the report model shows (none computed from a
    /// suppressed count).
    #[must_use]
    pub fn with_model(mut self, model: &ReportModel) -> Self {
        self.rows.retain(|c| model.comparison_shown(c));
        self
    }

    fn label(c: &Comparison) -> String {
        let outcome = if c.outcome == Outcome::Ndi {
            "NDI"
        } else {
            "pain"
        };
        format!("{} {outcome}", c.arm)
    }
}

impl Chart for ForestChart<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, 120 + 44 * self.rows.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let n = self.rows.len().max(1);
        let (left, right) = root.split_horizontally(640);
        let y_range = -0.5f64..(n as f64 - 0.5);
        let label_of = |y: &f64| {
            let i = y.round();
            // With no row left (every comparison suppressed) there is nothing to label.
            if (y - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < self.rows.len() {
                // Top row first.
                Self::label(self.rows[n - 1 - i as usize])
            } else {
                String::new()
            }
        };
        // Risk difference panel.
        let lo = self
            .rows
            .iter()
            .filter_map(|c| c.rd_low)
            .fold(-0.1f64, f64::min);
        let hi = self
            .rows
            .iter()
            .filter_map(|c| c.rd_high)
            .fold(0.1f64, f64::max);
        let mut rd = ChartBuilder::on(&left)
            .caption(
                "Risk difference vs control (percentage points)",
                (FAMILY, 20),
            )
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(110)
            .build_cartesian_2d(100.0 * lo - 5.0..100.0 * hi + 5.0, y_range.clone())
            .map_err(drawing)?;
        rd.configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .y_labels(n)
            .y_label_formatter(&label_of)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .x_desc("Arm rate minus control rate (points, 95% CI)")
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .draw()
            .map_err(drawing)?;
        rd.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
            BLACK.stroke_width(1),
        )))
        .map_err(drawing)?;
        // Risk ratio panel (log axis).
        let rr_lo = self
            .rows
            .iter()
            .filter_map(|c| c.rr_low)
            .fold(0.5f64, f64::min)
            .max(1e-3);
        let rr_hi = self
            .rows
            .iter()
            .filter_map(|c| c.rr_high)
            .fold(2.0f64, f64::max)
            .min(1e3);
        let mut rr = ChartBuilder::on(&right)
            .caption("Risk ratio vs control (log scale)", (FAMILY, 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(20)
            .build_cartesian_2d((rr_lo * 0.8..rr_hi * 1.25).log_scale(), y_range)
            .map_err(drawing)?;
        rr.configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .y_labels(0)
            .x_desc("Arm rate / control rate (95% Katz CI)")
            .x_label_formatter(&|x| format!("{x:.2}"))
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .draw()
            .map_err(drawing)?;
        rr.draw_series(std::iter::once(PathElement::new(
            vec![(1.0, -0.5), (1.0, n as f64 - 0.5)],
            BLACK.stroke_width(1),
        )))
        .map_err(drawing)?;
        if self.rows.is_empty() {
            rd.draw_series(std::iter::once(Text::new(
                "every comparison is computed from a suppressed count (--min-cell)",
                (100.0 * lo - 4.0, 0.2),
                (FAMILY, 14),
            )))
            .map_err(drawing)?;
        }
        for (i, c) in self.rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let colour = PALETTE[if c.outcome == Outcome::Ndi { 3 } else { 0 }];
            if let (Some(d), Some(l), Some(h)) = (c.risk_difference, c.rd_low, c.rd_high) {
                rd.draw_series(std::iter::once(ErrorBar::new_horizontal(
                    y,
                    100.0 * l,
                    100.0 * d,
                    100.0 * h,
                    colour.stroke_width(2),
                    10,
                )))
                .map_err(drawing)?;
                rd.draw_series(std::iter::once(Rectangle::new(
                    [(100.0 * d - 0.8, y - 0.15), (100.0 * d + 0.8, y + 0.15)],
                    colour.filled(),
                )))
                .map_err(drawing)?;
            }
            if let (Some(r), Some(l), Some(h)) = (c.risk_ratio, c.rr_low, c.rr_high) {
                rr.draw_series(std::iter::once(ErrorBar::new_horizontal(
                    y,
                    l.max(rr_lo * 0.8),
                    r,
                    h.min(rr_hi * 1.25),
                    colour.stroke_width(2),
                    10,
                )))
                .map_err(drawing)?;
                rr.draw_series(std::iter::once(Circle::new((r, y), 5, colour.filled())))
                    .map_err(drawing)?;
            }
        }
        Ok(())
    }
}
