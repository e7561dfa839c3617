//! Baseline-to-checkpoint slope charts per arm, pain (top row) and NDI (bottom row): one faint
//! line per participant with both scores and the arm mean over them as a thick line. Large arms
//! draw an evenly spaced sample of participants (every k-th, at most [`MAX_LINES`]); the mean is
//! always over all of them. A chart of individuals: the report leaves it out under
//! `--min-cell`.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CONTROL, Chart, ChartError, FAMILY, PALETTE, drawing};
use crate::cohort::Cohort;
use crate::derive::{Derived, OutcomeValues};

/// Most participant lines per arm and outcome.
pub const MAX_LINES: usize = 300;

/// Per arm: id, control?, (pain pairs, pain mean), (NDI pairs, NDI mean).
type ArmSlopes = (
    String,
    bool,
    Vec<(f64, f64)>,
    Option<(f64, f64)>,
    Vec<(f64, f64)>,
    Option<(f64, f64)>,
);

/// Sampled (baseline, checkpoint) pairs and the mean pair over all participants.
type Lines = (Vec<(f64, f64)>, Option<(f64, f64)>);

/// The slope chart.
pub struct SlopeChart {
    arms: Vec<ArmSlopes>,
    pain_max: f64,
    ndi_max: f64,
}

fn pairs(values: impl Iterator<Item = (f64, f64)>) -> Lines {
    let all: Vec<(f64, f64)> = values.collect();
    let n = all.len();
    let mean = (n > 0).then(|| {
        let (a, b) = all.iter().fold((0.0, 0.0), |s, p| (s.0 + p.0, s.1 + p.1));
        (a / n as f64, b / n as f64)
    });
    let step = n.div_ceil(MAX_LINES).max(1);
    (all.into_iter().step_by(step).collect(), mean)
}

fn both(o: &OutcomeValues) -> Option<(f64, f64)> {
    Some((o.baseline?.to_f64(), o.checkpoint?.to_f64()))
}

impl SlopeChart {
    /// Builds the chart from the derived table.
    #[must_use]
    pub fn new(cohort: &Cohort, derived: &[Derived]) -> SlopeChart {
        let arms = cohort.protocol.arms();
        let data = arms
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let members = || {
                    cohort
                        .participants
                        .iter()
                        .zip(derived)
                        .filter(move |(p, _)| p.arm == i)
                        .map(|(_, d)| d)
                };
                let (pain, pain_mean) = pairs(members().filter_map(|d| both(&d.pain)));
                let (ndi, ndi_mean) = pairs(members().filter_map(|d| both(&d.ndi)));
                (
                    a.id().to_owned(),
                    a.is_control(),
                    pain,
                    pain_mean,
                    ndi,
                    ndi_mean,
                )
            })
            .collect();
        SlopeChart {
            arms: data,
            pain_max: cohort.protocol.pain_max().to_f64(),
            ndi_max: cohort.protocol.ndi_max().to_f64(),
        }
    }
}

impl Chart for SlopeChart {
    fn size(&self) -> (u32, u32) {
        (200 * self.arms.len().max(1) as u32 + 40, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (title, body) = root.split_vertically(40);
        title
            .titled(
                "Baseline to checkpoint, per participant and arm mean",
                (FAMILY, 22),
            )
            .map_err(drawing)?;
        let panels = body.split_evenly((2, self.arms.len().max(1)));
        let k = self.arms.len().max(1);
        for (i, arm) in self.arms.iter().enumerate() {
            let (id, is_control, pain, pain_mean, ndi, ndi_mean) = arm;
            let colour = if *is_control {
                CONTROL
            } else {
                PALETTE[i.saturating_sub(1) % PALETTE.len()]
            };
            for (row, (lines, mean, max, unit)) in [
                (pain, pain_mean, self.pain_max, "Pain (0-10)"),
                (ndi, ndi_mean, self.ndi_max, "NDI (0-50)"),
            ]
            .into_iter()
            .enumerate()
            {
                let area = &panels[row * k + i];
                let mut chart = ChartBuilder::on(area)
                    .caption(
                        if row == 0 { id.clone() } else { String::new() },
                        (FAMILY, 16),
                    )
                    .margin(8)
                    .x_label_area_size(26)
                    .y_label_area_size(if i == 0 { 48 } else { 24 })
                    .build_cartesian_2d(-0.2f64..1.2f64, 0f64..max)
                    .map_err(drawing)?;
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .light_line_style(WHITE)
                    .x_labels(2)
                    .x_label_formatter(&|x| {
                        if *x < 0.5 {
                            "baseline".to_owned()
                        } else {
                            "checkpoint".to_owned()
                        }
                    })
                    .y_labels(if i == 0 { 6 } else { 0 })
                    .y_label_formatter(&|y| format!("{y:.0}"))
                    .y_desc(if i == 0 { unit } else { "" })
                    .label_style((FAMILY, 11))
                    .axis_desc_style((FAMILY, 13))
                    .draw()
                    .map_err(drawing)?;
                let faint = lines
                    .iter()
                    .map(|&(b, c)| PathElement::new(vec![(0.0, b), (1.0, c)], colour.mix(0.25)));
                chart.draw_series(faint).map_err(drawing)?;
                if let Some((b, c)) = mean {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(0.0, *b), (1.0, *c)],
                            BLACK.stroke_width(3),
                        )))
                        .map_err(drawing)?;
                }
            }
        }
        Ok(())
    }
}
