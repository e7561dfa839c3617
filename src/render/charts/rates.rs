//! Responder rates per arm for pain and NDI, each with its Wilson interval, control set apart
//! (grey, left of a dotted divider, and a dashed line at its rate across the panel).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CONTROL, Chart, ChartError, FAMILY, PALETTE, drawing};
use crate::analysis::{Analysis, Responders};
use crate::render::report::disclosure::Disclosed as _;
use crate::render::report::model::{Outcome, ReportModel};

/// The responder-rate chart of an analysis.
pub struct RatesChart<'a> {
    analysis: &'a Analysis,
    /// Per arm id: the label drawn instead of the point, per outcome (pain, NDI), when the
    /// report model suppresses the rate.
    suppressed: Vec<(String, [Option<String>; 2])>,
}

impl<'a> RatesChart<'a> {
    /// A chart of `analysis`'s arms.
    #[must_use]
    pub fn new(analysis: &'a Analysis) -> RatesChart<'a> {
        RatesChart {
            analysis,
            suppressed: Vec::new(),
        }
    }

    /// Draws only the rates the report model shows: an arm whose rate is suppressed gets its
    /// counts as the model prints them (`[c] of 16`) and no point, interval or line.
    #[must_use]
    pub fn with_model(mut self, model: &ReportModel) -> Self {
        self.suppressed = model
            .arms
            .iter()
            .map(|a| {
                let label = |o: Outcome| {
                    let (x, n) = model.responders(a, o);
                    (!model.shown(&[x, n]))
                        .then(|| format!("{} of {}", model.cell(x).text(), model.cell(n).text()))
                };
                (a.id.clone(), [label(Outcome::Pain), label(Outcome::Ndi)])
            })
            .collect();
        self
    }

    fn suppressed(&self, arm: &str, outcome: usize) -> Option<&str> {
        self.suppressed
            .iter()
            .find(|(id, _)| id == arm)
            .and_then(|(_, l)| l[outcome].as_deref())
    }

    /// Arms with control first, then the treatment arms in trial order.
    fn ordered(&self) -> Vec<&'a crate::analysis::ArmSummary> {
        let arms = &self.analysis.arms;
        arms.iter()
            .filter(|a| a.is_control)
            .chain(arms.iter().filter(|a| !a.is_control))
            .collect()
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        title: &str,
        outcome: usize,
        pick: fn(&crate::analysis::ArmSummary) -> &Responders,
    ) -> Result<(), ChartError> {
        let arms = self.ordered();
        let k = arms.len();
        let labels: Vec<String> = arms.iter().map(|a| a.arm.clone()).collect();
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FAMILY, 22))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..(k as f64 - 0.5), 0f64..100f64)
            .map_err(drawing)?;
        let label_of = |x: &f64| super::category_label(&labels, *x);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .y_labels(11)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .x_labels(k)
            .x_label_formatter(&label_of)
            .x_desc("Arm (minutes x sessions per week, 4 weeks)")
            .y_desc("Responders (% of arm, 95% Wilson CI)")
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 16))
            .draw()
            .map_err(drawing)?;
        // Control set apart: a divider after it and a dashed line at its rate.
        if let Some(c) = arms.iter().position(|a| a.is_control) {
            let rate = pick(arms[c])
                .rate
                .filter(|_| self.suppressed(&arms[c].arm, outcome).is_none());
            if let Some(rate) = rate {
                let y = 100.0 * rate;
                let dashes = (0..40).map(|i| {
                    let x0 = -0.5 + (k as f64) * f64::from(i) / 40.0;
                    let x1 = x0 + (k as f64) / 80.0;
                    PathElement::new(vec![(x0, y), (x1, y)], CONTROL.stroke_width(1))
                });
                chart.draw_series(dashes).map_err(drawing)?;
            }
            let dots = (0..50).map(|i| {
                let y0 = f64::from(i) * 2.0;
                PathElement::new(
                    vec![(c as f64 + 0.5, y0), (c as f64 + 0.5, y0 + 1.0)],
                    BLACK.mix(0.4),
                )
            });
            chart.draw_series(dots).map_err(drawing)?;
        }
        for (i, a) in arms.iter().enumerate() {
            let r = pick(a);
            if let Some(label) = self.suppressed(&a.arm, outcome) {
                // A rate would reveal a suppressed count: only the label is drawn.
                chart
                    .draw_series(std::iter::once(Text::new(
                        label.to_owned(),
                        (i as f64 - 0.3, 5.0),
                        (FAMILY, 13),
                    )))
                    .map_err(drawing)?;
                continue;
            }
            let (Some(rate), Some(low), Some(high)) = (r.rate, r.low, r.high) else {
                continue;
            };
            let colour = if a.is_control {
                CONTROL
            } else {
                PALETTE[(i - 1) % PALETTE.len()]
            };
            let x = i as f64;
            chart
                .draw_series(std::iter::once(ErrorBar::new_vertical(
                    x,
                    100.0 * low,
                    100.0 * rate,
                    100.0 * high,
                    colour.stroke_width(2),
                    12,
                )))
                .map_err(drawing)?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    (x, 100.0 * rate),
                    6,
                    colour.filled(),
                )))
                .map_err(drawing)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{}/{}", r.responders, r.n),
                    (x + 0.08, 100.0 * high + 4.0),
                    (FAMILY, 13),
                )))
                .map_err(drawing)?;
        }
        Ok(())
    }
}

impl Chart for RatesChart<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (left, right) = root.split_horizontally(600);
        self.panel(&left, "Pain: >= 30% reduction at the checkpoint", 0, |a| {
            &a.pain
        })?;
        self.panel(
            &right,
            "Neck Disability Index: >= 5-point improvement",
            1,
            |a| &a.ndi,
        )?;
        Ok(())
    }
}
