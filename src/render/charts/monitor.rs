//! The charts of the monitoring over time: the run chart (each unit's risk-adjusted responder
//! rate period by period, around the benchmark) and, per unit, the risk-adjusted CUSUM with
//! its threshold and signals above the VLAD curve (observed minus expected responders).
//!
//! Why these two: the run chart is what a clinic board reads first (is a unit drifting?); the
//! CUSUM is what signals (Steiner et al. 2000), and the VLAD says the same in responders, the
//! unit a manager thinks in (Lovegrove et al. 1997).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CONTROL, Chart, ChartError, FAMILY, PALETTE, drawing};
use crate::audit::Audit;
use crate::audit::monitor::{Monitoring, UnitChart};
use crate::render::audit::model::AuditModel;

/// One unit's line on the run chart: name and (period index, risk-adjusted rate).
type Line = (String, Vec<(f64, f64)>);

/// The run chart of an audit's monitoring.
pub struct RunChart {
    title: String,
    labels: Vec<String>,
    lines: Vec<Line>,
    target: Option<f64>,
    hidden: usize,
}

impl RunChart {
    /// The run chart, with only the periods whose counts the model shows.
    #[must_use]
    pub fn new(audit: &Audit, m: &Monitoring, model: &AuditModel) -> RunChart {
        let mut keys: Vec<(i32, String)> =
            m.periods.iter().map(|r| (r.key, r.label.clone())).collect();
        keys.sort();
        keys.dedup();
        let index = |key: i32| keys.iter().position(|k| k.0 == key).unwrap_or(0) as f64;
        let mut lines: Vec<Line> = Vec::new();
        let mut hidden = 0;
        for (i, r) in m.periods.iter().enumerate() {
            if !model.period_shown(i) || r.expected <= 0.0 {
                hidden += usize::from(!model.period_shown(i));
                continue;
            }
            let name = &audit.units[r.unit].name;
            let y = r.responders as f64 / r.expected * audit.target.unwrap_or(1.0);
            match lines.iter_mut().find(|l| &l.0 == name) {
                Some(l) => l.1.push((index(r.key), y)),
                None => lines.push((name.clone(), vec![(index(r.key), y)])),
            }
        }
        RunChart {
            title: format!(
                "Run chart: {} responders by {} and {}",
                audit.options.outcome.as_str(),
                audit.options.by.as_str(),
                m.options.period.as_str()
            ),
            labels: keys.into_iter().map(|k| k.1).collect(),
            lines,
            target: audit.target,
            hidden,
        }
    }
}

impl Chart for RunChart {
    fn size(&self) -> (u32, u32) {
        (900, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let periods = self.labels.len().max(1) as f64;
        let top = self
            .lines
            .iter()
            .flat_map(|l| l.1.iter().map(|p| p.1))
            .fold(self.target.unwrap_or(0.5), f64::max)
            .max(0.05);
        let y1 = (top * 100.0 * 1.25).max(10.0);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 22))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..periods - 0.5, 0f64..y1)
            .map_err(drawing)?;
        let labels = &self.labels;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc("Period of the checkpoint")
            .y_desc("Responders (%, risk-adjusted)")
            .x_labels(labels.len().clamp(1, 12))
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 16))
            .draw()
            .map_err(drawing)?;
        if let Some(t) = self.target {
            chart
                .draw_series(LineSeries::new(
                    [(-0.5, 100.0 * t), (periods - 0.5, 100.0 * t)],
                    BLACK.stroke_width(2),
                ))
                .map_err(drawing)?
                .label(format!("benchmark {:.1}%", 100.0 * t))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2))
                });
        }
        for (k, (name, points)) in self.lines.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let shown: Vec<(f64, f64)> = points.iter().map(|p| (p.0, 100.0 * p.1)).collect();
            chart
                .draw_series(LineSeries::new(shown.clone(), colour.stroke_width(2)))
                .map_err(drawing)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(shown.iter().map(|&p| Circle::new(p, 4, colour.filled())))
                .map_err(drawing)?;
        }
        if self.hidden > 0 {
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{} period(s) with small counts not shown", self.hidden),
                    (-0.4, y1 * 0.96),
                    (FAMILY, 13),
                )))
                .map_err(drawing)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FAMILY, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(drawing)?;
        Ok(())
    }
}

/// Above this many patients a unit's lines are thinned to each column's lowest and highest
/// point (the envelope a 900-pixel chart can show; the files and the signals keep all).
const MAX_LINE_POINTS: usize = 2_000;

/// The line through `(x, y)` points, thinned to the lowest and highest point of each of
/// `MAX_LINE_POINTS / 2` runs of consecutive points, in their order.
fn envelope(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() <= MAX_LINE_POINTS {
        return points.to_vec();
    }
    let run = points.len().div_ceil(MAX_LINE_POINTS / 2);
    let mut out = Vec::with_capacity(MAX_LINE_POINTS + 2);
    for chunk in points.chunks(run) {
        let lo = chunk.iter().min_by(|a, b| a.1.total_cmp(&b.1)).copied();
        let hi = chunk.iter().max_by(|a, b| a.1.total_cmp(&b.1)).copied();
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if lo.0 <= hi.0 {
                out.extend([lo, hi]);
            } else {
                out.extend([hi, lo]);
            }
        }
    }
    out
}

/// One unit's CUSUM above its VLAD.
pub struct UnitCusumChart {
    title: String,
    /// The CUSUM line (patient number, value), thinned.
    cusum: Vec<(f64, f64)>,
    /// The VLAD line, thinned.
    vlad: Vec<(f64, f64)>,
    /// The signals (patient number, CUSUM).
    signals: Vec<(f64, f64)>,
    /// Patients.
    patients: usize,
    threshold: f64,
    odds_ratio: f64,
}

impl UnitCusumChart {
    /// The charts of `unit` of `m`.
    #[must_use]
    pub fn new(audit: &Audit, m: &Monitoring, unit: &UnitChart) -> UnitCusumChart {
        UnitCusumChart {
            title: format!(
                "{}: risk-adjusted CUSUM and VLAD of {} responders",
                audit.units[unit.unit].name,
                audit.options.outcome.as_str()
            ),
            cusum: envelope(
                &unit
                    .points
                    .iter()
                    .enumerate()
                    .map(|(k, p)| ((k + 1) as f64, p.cusum))
                    .collect::<Vec<_>>(),
            ),
            vlad: envelope(
                &unit
                    .points
                    .iter()
                    .enumerate()
                    .map(|(k, p)| ((k + 1) as f64, p.vlad))
                    .collect::<Vec<_>>(),
            ),
            signals: unit
                .signals()
                .map(|(k, p)| ((k + 1) as f64, p.cusum))
                .collect(),
            patients: unit.points.len(),
            threshold: m.threshold.threshold,
            odds_ratio: m.options.odds_ratio,
        }
    }
}

impl Chart for UnitCusumChart {
    fn size(&self) -> (u32, u32) {
        (900, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (title, body) = root.split_vertically(40);
        title.titled(&self.title, (FAMILY, 21)).map_err(drawing)?;
        let (upper, lower) = body.split_vertically(320);
        let n = self.patients.max(1) as f64;
        // The CUSUM, its threshold and its signals.
        let top = self
            .cusum
            .iter()
            .map(|p| p.1)
            .fold(self.threshold, f64::max)
            * 1.15;
        let mut chart = ChartBuilder::on(&upper)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n + 1.0, 0f64..top)
            .map_err(drawing)?;
        super::mesh(
            &mut chart,
            "",
            &format!("CUSUM (odds ratio {})", self.odds_ratio),
            1,
        )?;
        chart
            .draw_series(LineSeries::new(
                self.cusum.iter().copied(),
                PALETTE[3].stroke_width(2),
            ))
            .map_err(drawing)?;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, self.threshold), (n + 1.0, self.threshold)],
                8,
                5,
                PALETTE[4].stroke_width(2),
            ))
            .map_err(drawing)?
            .label(format!("threshold h = {:.2}", self.threshold))
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], PALETTE[4].stroke_width(2))
            });
        chart
            .draw_series(
                self.signals
                    .iter()
                    .map(|&p| TriangleMarker::new(p, 8, PALETTE[4].filled())),
            )
            .map_err(drawing)?
            .label("signal")
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 6, PALETTE[4].filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FAMILY, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(drawing)?;
        // The VLAD.
        let (lo, hi) = self
            .vlad
            .iter()
            .fold((0.0f64, 0.0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
        let pad = ((hi - lo) * 0.1).max(1.0);
        let mut chart = ChartBuilder::on(&lower)
            .margin(10)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n + 1.0, lo - pad..hi + pad)
            .map_err(drawing)?;
        super::mesh(
            &mut chart,
            "Patients, in the order they reached the checkpoint",
            "Responders, observed - expected",
            0,
        )?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (n + 1.0, 0.0)],
                CONTROL.stroke_width(1),
            ))
            .map_err(drawing)?;
        chart
            .draw_series(LineSeries::new(
                self.vlad.iter().copied(),
                PALETTE[2].stroke_width(2),
            ))
            .map_err(drawing)?;
        Ok(())
    }
}
