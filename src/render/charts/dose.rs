//! Dose-response: each arm's observed responder rate (Wilson 95% interval) against its planned
//! minutes per week, with the simulation's dose-response curve (`simulate --model
//! dose-response`, fitted to the same arms) for 30- and 60-minute sessions and its 95% band
//! (2.5% and 97.5% points of the curve over 2,000 draws of its parameters from their sampling
//! distribution; ChaCha8, seed 0, so the band is the same on every run).

use plotters::coord::Shift;
use plotters::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{CONTROL, Chart, ChartError, FAMILY, PALETTE, drawing};
use crate::analysis::Analysis;
use crate::domain::Outcome;
use crate::domain::PrimaryOutcome;
use crate::render::report::model::ReportModel;
use crate::sim::dose_response::DoseFit;
use crate::sim::evidence::Evidence;

/// Draws of the curve's parameters behind the band.
const BAND_DRAWS: usize = 2_000;

/// One curve: session length, points (minutes per week, fit, low, high).
type Curve = (u32, Vec<(f64, f64, f64, f64)>);

/// The dose-response chart of one outcome.
pub struct DoseChart {
    outcome: PrimaryOutcome,
    /// Observed: label, minutes per week, rate, low, high, control?
    points: Vec<(String, f64, f64, f64, f64, bool)>,
    curves: Vec<Curve>,
    note: String,
}

impl DoseChart {
    /// The chart of `outcome` from an analysis and the evidence fitted from the same cohort.
    #[must_use]
    pub fn new(analysis: &Analysis, evidence: &Evidence, outcome: PrimaryOutcome) -> DoseChart {
        let points = analysis
            .arms
            .iter()
            .filter_map(|a| {
                let r = if outcome == PrimaryOutcome::Pain {
                    &a.pain
                } else {
                    &a.ndi
                };
                let mpw = f64::from(a.minutes.unwrap_or(0) * a.per_week.unwrap_or(0));
                Some((a.arm.clone(), mpw, r.rate?, r.low?, r.high?, a.is_control))
            })
            .collect::<Vec<_>>();
        let max_mpw = points.iter().map(|p| p.1).fold(60.0, f64::max);
        let (curves, note) = match DoseFit::fit(evidence, outcome) {
            Ok(fit) => {
                let mut rng = ChaCha8Rng::seed_from_u64(0);
                let draws: Vec<(f64, f64)> = (0..BAND_DRAWS).map(|_| fit.draw(&mut rng)).collect();
                let curves = [30u32, 60]
                    .iter()
                    .map(|&minutes| {
                        let pts = (0..=40)
                            .map(|i| {
                                let mpw = max_mpw * 1.1 * f64::from(i) / 40.0;
                                let per_week = mpw / f64::from(minutes);
                                let at = |params: (f64, f64)| {
                                    // Rate at a fractional sessions-per-week, 4 weeks.
                                    let d =
                                        per_week * (f64::from(minutes) - fit.theta).max(0.0) / 60.0;
                                    1.0 / (1.0 + (-(params.0 + params.1 * d)).exp())
                                };
                                let mut band: Vec<f64> = draws.iter().map(|&p| at(p)).collect();
                                band.sort_by(f64::total_cmp);
                                let q = |f: f64| band[((band.len() - 1) as f64 * f) as usize];
                                (mpw, at((fit.alpha, fit.beta)), q(0.025), q(0.975))
                            })
                            .collect();
                        (minutes, pts)
                    })
                    .collect();
                let note = format!(
                    "logit p = {:.2} + {:.2} D; sessions at or below {} min count as no dose",
                    fit.alpha, fit.beta, fit.theta
                );
                (curves, note)
            }
            Err(e) => (Vec::new(), e.to_string()),
        };
        DoseChart {
            outcome,
            points,
            curves,
            note,
        }
    }
}

impl DoseChart {
    /// Draws only what the report model shows: the observed points of arms whose rate is not
    /// suppressed, and the fitted curve only when no responder count of the outcome is (the fit
    /// uses every arm's counts, so its parameters would be one more equation for a hidden one).
    #[must_use]
    pub fn with_model(mut self, model: &ReportModel) -> Self {
        let outcome: Outcome = self.outcome.into();
        self.points.retain(|p| model.rate_shown(&p.0, outcome));
        if !model.outcome_shown(outcome) {
            self.curves.clear();
            self.note =
                "fitted curve not shown: it is computed from suppressed counts (--min-cell)"
                    .to_owned();
        }
        self
    }
}

impl Chart for DoseChart {
    fn size(&self) -> (u32, u32) {
        (900, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let max_x = self.points.iter().map(|p| p.1).fold(60.0, f64::max) * 1.1;
        let title = match self.outcome {
            PrimaryOutcome::Pain => "Pain responders against dose",
            PrimaryOutcome::Ndi => "NDI responders against dose",
        };
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FAMILY, 22))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(-5f64..max_x, 0f64..100f64)
            .map_err(drawing)?;
        super::whole_number_mesh(
            &mut chart,
            "Planned minutes of massage per week",
            "Responders (%, 95% CI)",
        )?;
        for (k, (minutes, pts)) in self.curves.iter().enumerate() {
            let colour = PALETTE[if k == 0 { 0 } else { 3 }];
            let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, 100.0 * p.2)).collect();
            band.extend(pts.iter().rev().map(|p| (p.0, 100.0 * p.3)));
            chart
                .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15))))
                .map_err(drawing)?;
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|p| (p.0, 100.0 * p.1)),
                    colour.stroke_width(2),
                ))
                .map_err(drawing)?
                .label(format!("fitted, {minutes}-minute sessions (95% band)"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        for (label, x, rate, low, high, control) in &self.points {
            let colour = if *control { CONTROL } else { BLACK };
            chart
                .draw_series(std::iter::once(ErrorBar::new_vertical(
                    *x,
                    100.0 * low,
                    100.0 * rate,
                    100.0 * high,
                    colour.stroke_width(1),
                    8,
                )))
                .map_err(drawing)?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    (*x, 100.0 * rate),
                    5,
                    colour.filled(),
                )))
                .map_err(drawing)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (*x + 3.0, 100.0 * rate + 2.0),
                    (FAMILY, 13),
                )))
                .map_err(drawing)?;
        }
        chart
            .draw_series(std::iter::once(Text::new(
                self.note.clone(),
                (0.0, 96.0),
                (FAMILY, 13),
            )))
            .map_err(drawing)?;
        super::legend(&mut chart)?;
        Ok(())
    }
}
