//! Charts of a simulation's result (read back from `simulate ... --out FILE` into the typed
//! [`SimResult`]): the predictive distribution of responders of a clinic run, and the power
//! curve of a sample-size search.

use crate::sim::result::SimResult;
use crate::sim::spec::Design;
use crate::sim::trial::Test;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, ChartError, FAMILY, PALETTE, drawing};

/// Why a simulation file cannot be drawn.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SimFileError(pub String);

/// The predictive distribution of responders (pain and NDI) of a `simulate clinic` run.
pub struct PredictiveChart {
    title: String,
    /// Per outcome: name, P(K = k) for k = 0..=N.
    outcomes: Vec<(String, Vec<f64>)>,
}

impl PredictiveChart {
    /// The chart of a clinic result.
    ///
    /// # Errors
    /// [`SimFileError`] when the result is not a clinic run or has no responder distribution.
    pub fn from_result(r: &SimResult) -> Result<PredictiveChart, SimFileError> {
        let SimResult::Clinic(c) = r else {
            return Err(SimFileError(format!(
                "the simulation file is a {} run; the predictive chart needs simulate clinic",
                r.header().command.as_str()
            )));
        };
        let mut outcomes = Vec::new();
        for (name, outcome) in [("pain", &c.outcomes.pain), ("ndi", &c.outcomes.ndi)] {
            let Some(o) = outcome else { continue };
            let tail: Vec<f64> = o.responders.p_at_least.iter().map(|e| e.estimate).collect();
            let pmf = (0..tail.len())
                .map(|k| tail[k] - tail.get(k + 1).copied().unwrap_or(0.0))
                .collect();
            outcomes.push((name.to_owned(), pmf));
        }
        if outcomes.is_empty() {
            return Err(SimFileError(
                "the clinic run has no responder distribution".into(),
            ));
        }
        Ok(PredictiveChart {
            title: format!(
                "Predicted responders among {} patients on {} ({} replicates)",
                c.patients, c.schedule, c.header.reps
            ),
            outcomes,
        })
    }
}

impl Chart for PredictiveChart {
    fn size(&self) -> (u32, u32) {
        (1200, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (title, body) = root.split_vertically(40);
        title.titled(&self.title, (FAMILY, 20)).map_err(drawing)?;
        let panels = body.split_evenly((1, self.outcomes.len()));
        for (i, ((name, pmf), area)) in self.outcomes.iter().zip(&panels).enumerate() {
            let n = pmf.len().saturating_sub(1).max(1);
            let top = pmf.iter().copied().fold(0.0, f64::max) * 100.0 * 1.15 + 1e-9;
            let mut chart = ChartBuilder::on(area)
                .caption(
                    if name == "ndi" {
                        "NDI responders"
                    } else {
                        "Pain responders"
                    },
                    (FAMILY, 17),
                )
                .margin(10)
                .x_label_area_size(44)
                .y_label_area_size(56)
                .build_cartesian_2d(-0.5f64..n as f64 + 0.5, 0f64..top)
                .map_err(drawing)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(WHITE)
                .x_desc("Responders among the patients")
                .y_desc("Probability (%)")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .label_style((FAMILY, 13))
                .axis_desc_style((FAMILY, 15))
                .draw()
                .map_err(drawing)?;
            let colour = PALETTE[if i == 0 { 0 } else { 3 }];
            chart
                .draw_series(pmf.iter().enumerate().map(|(k, &p)| {
                    Rectangle::new(
                        [(k as f64 - 0.4, 0.0), (k as f64 + 0.4, 100.0 * p)],
                        colour.filled(),
                    )
                }))
                .map_err(drawing)?;
        }
        Ok(())
    }
}

/// The power curve of a `simulate sample-size` search.
pub struct PowerChart {
    title: String,
    target: f64,
    answer: u64,
    /// (per arm, power, MCSE).
    points: Vec<(f64, f64, f64)>,
}

impl PowerChart {
    /// The chart of a sample-size result.
    ///
    /// # Errors
    /// [`SimFileError`] when the result is not a sample-size run.
    pub fn from_result(r: &SimResult) -> Result<PowerChart, SimFileError> {
        let SimResult::SampleSize(ss) = r else {
            return Err(SimFileError(format!(
                "the simulation file is a {} run; the power chart needs simulate sample-size",
                r.header().command.as_str()
            )));
        };
        let (arms, test, alpha) = match ss.spec.design() {
            Design::SampleSize { arms, test, alpha } => (arms.text(), *test, *alpha),
            _ => ("?", Test::Fisher, 0.05),
        };
        Ok(PowerChart {
            title: format!(
                "Power against participants per arm: {arms} ({} test, alpha {})",
                if test == Test::Newcombe {
                    "newcombe"
                } else {
                    "fisher"
                },
                // As the JSON writes it (0.05, 1.0e-5).
                serde_json::to_string(&alpha).unwrap_or_default()
            ),
            target: ss.target_power,
            answer: ss.per_arm,
            points: ss
                .power_curve
                .iter()
                .map(|p| (p.per_arm as f64, p.power.estimate, p.power.mcse))
                .collect(),
        })
    }
}

impl Chart for PowerChart {
    fn size(&self) -> (u32, u32) {
        (900, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let max_n = self.points.iter().map(|p| p.0).fold(2.0, f64::max) * 1.05;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 17))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..max_n, 0f64..100f64)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc("Participants per arm")
            .y_desc("Power (%, +/- 2 Monte Carlo SE)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 100.0 * self.target), (max_n, 100.0 * self.target)],
                RGBColor(213, 94, 0).stroke_width(2),
            )))
            .map_err(drawing)?
            .label(format!(
                "target {:.0}%; reached at {} per arm",
                100.0 * self.target,
                self.answer
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RGBColor(213, 94, 0)));
        chart
            .draw_series(LineSeries::new(
                self.points
                    .iter()
                    .map(|p| (p.0, super::within(100.0 * p.1, 0.0, 100.0))),
                PALETTE[3].stroke_width(1),
            ))
            .map_err(drawing)?;
        for &(n, p, se) in &self.points {
            let pct = |v: f64| super::within(100.0 * v, 0.0, 100.0);
            chart
                .draw_series(std::iter::once(ErrorBar::new_vertical(
                    n,
                    pct(p - 2.0 * se),
                    pct(p),
                    pct(p + 2.0 * se),
                    PALETTE[3].stroke_width(1),
                    6,
                )))
                .map_err(drawing)?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    (n, pct(p)),
                    4,
                    PALETTE[3].filled(),
                )))
                .map_err(drawing)?;
        }
        super::legend(&mut chart)?;
        Ok(())
    }
}
