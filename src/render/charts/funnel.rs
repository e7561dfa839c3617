//! The audit's funnel plot (Spiegelhalter 2005): each unit's risk-adjusted responder rate
//! against its number of judged patients, the benchmark line, and the 95% and 99.8% control
//! limits drawn from the same function that decides the verdicts ([`Audit::limits_at`]), so
//! a point is outside a drawn limit exactly when its verdict says so. Units not compared (no
//! verdict) are not drawn. Units outside the 95%
//! limits are labelled with their verdict; with a dozen units or fewer, the others are
//! labelled too, in grey.
//!
//! With case-mix adjustment the y axis is observed/expected (O/E, 1 on the benchmark): each
//! unit's limits are those of its own patients' expected probabilities (Poisson-binomial), so
//! they are drawn as whiskers through its point (thin: 99.8%, thick: 95%), and the dashed
//! curves are those of a unit of the cohort's average case mix, a guide only.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CONTROL, Chart, ChartError, FAMILY, PALETTE, drawing};
use crate::audit::Audit;
use crate::render::audit::model::AuditModel;
use crate::stats::funnel::{Band, Limits};

/// Points on each limit curve.
const CURVE_POINTS: u64 = 240;

/// With at most this many units, every unit is labelled.
const LABEL_ALL_UP_TO: usize = 12;

/// One unit's point: name, patients, rate, band, and its own limits (case-mix adjusted).
type Point = (String, u64, f64, Band, Option<Limits>);

/// The funnel plot of an audit.
pub struct FunnelChart {
    title: String,
    target: Option<f64>,
    points: Vec<Point>,
    /// (n, limits) along the x axis.
    curves: Vec<(f64, Limits)>,
    hidden: usize,
    /// Drawn on the observed/expected scale (case-mix adjusted).
    ratio: bool,
}

impl FunnelChart {
    /// The chart of `audit`, drawing only the units whose point the model shows (none whose
    /// counts are suppressed), and saying how many were left out. The axes are set from the
    /// units shown only. When the limits carry an overdispersion estimate that the model hides,
    /// the limits are not drawn either.
    #[must_use]
    pub fn new(audit: &Audit, model: &AuditModel) -> FunnelChart {
        let placed = audit.units.iter().filter(|u| u.verdict.is_some());
        let points: Vec<Point> = audit
            .units
            .iter()
            .enumerate()
            .filter(|(i, u)| u.verdict.is_some() && model.unit_shown(audit, *i))
            .map(|(_, u)| u)
            .filter_map(|u| {
                Some((
                    u.name.clone(),
                    u.n,
                    u.adjusted?,
                    u.verdict.map_or(Band::Within, |v| v.band),
                    u.limits.filter(|_| audit.casemix.is_some()),
                ))
            })
            .collect();
        let hidden = placed.count() - points.len();
        let max_n = points.iter().map(|p| p.1).max().unwrap_or(10).max(10);
        let top = max_n + max_n / 10 + 1;
        let first = (points.iter().map(|p| p.1).min().unwrap_or(1) / 2).max(1);
        let mut curves: Vec<(f64, Limits)> = (0..=CURVE_POINTS)
            .map(|i| first + (top - first) * i / CURVE_POINTS)
            .filter_map(|n| Some((n as f64, audit.limits_at(n)?)))
            .collect();
        curves.dedup_by(|a, b| a.0 == b.0);
        if audit.applied.is_some() && !model.dispersion_shown {
            curves.clear();
        }
        FunnelChart {
            title: format!(
                "Funnel plot: {} responders by {}",
                audit.options.outcome.as_str(),
                audit.options.by.as_str()
            ),
            target: audit.target,
            points,
            curves,
            hidden,
            ratio: audit.casemix.is_some(),
        }
    }
}

impl Chart for FunnelChart {
    fn size(&self) -> (u32, u32) {
        (900, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let max_x = self.curves.last().map_or(10.0, |c| c.0);
        let mut lo: f64 = self.target.unwrap_or(0.5);
        let mut hi: f64 = lo;
        for p in &self.points {
            lo = lo.min(p.2);
            hi = hi.max(p.2);
            if let Some(l) = p.4 {
                lo = lo.min(l.low_998);
                hi = hi.max(l.high_998);
            }
        }
        // Show the limits from a quarter of the way along, so small-n spikes do not squash
        // the picture.
        for (n, l) in &self.curves {
            if *n >= max_x / 4.0 {
                lo = lo.min(l.low_998);
                hi = hi.max(l.high_998);
            }
        }
        // Room above for the legend (upper right).
        let pad = ((hi - lo) * 0.08).max(0.02);
        // A rate is shown in percent; on the observed/expected scale, divided by the
        // benchmark (1 on it).
        let unit = match (self.ratio, self.target) {
            (true, Some(t)) => 1.0 / t,
            _ => 100.0,
        };
        // A risk-adjusted rate can exceed 100%; the axis then extends to show it.
        let (y0, y1) = (
            (lo - pad).max(0.0) * unit,
            if hi > 1.0 || self.ratio {
                hi + 2.5 * pad
            } else {
                (hi + 2.5 * pad).min(1.0)
            } * unit,
        );
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 22))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..max_x, y0..y1)
            .map_err(drawing)?;
        super::mesh(
            &mut chart,
            "Patients judged at the checkpoint",
            if self.ratio {
                "Observed / expected responders (case-mix adjusted)"
            } else {
                "Responders (%, risk-adjusted)"
            },
            if self.ratio { 2 } else { 0 },
        )?;
        let clip = |v: f64| (unit * v).clamp(y0, y1);
        let inner = PALETTE[3];
        let outer = PALETTE[4];
        type Pick = fn(&Limits) -> f64;
        let lines: [(Pick, RGBColor, &str, bool); 4] = [
            (|l| l.low_95, inner, "95% limits", true),
            (|l| l.high_95, inner, "", false),
            (|l| l.low_998, outer, "99.8% limits", true),
            (|l| l.high_998, outer, "", false),
        ];
        for (pick, colour, label, labelled) in lines {
            let series = chart
                .draw_series(DashedLineSeries::new(
                    self.curves.iter().map(|(n, l)| (*n, clip(pick(l)))),
                    8,
                    5,
                    colour.stroke_width(2),
                ))
                .map_err(drawing)?;
            if labelled {
                let label = if self.ratio {
                    format!("{label} (average case mix)")
                } else {
                    label.to_owned()
                };
                series.label(label).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            }
        }
        if let Some(t) = self.target {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, unit * t), (max_x, unit * t)],
                    BLACK.stroke_width(2),
                ))
                .map_err(drawing)?
                .label(if self.ratio {
                    format!("expected (benchmark {:.1}%)", 100.0 * t)
                } else {
                    format!("benchmark {:.1}%", 100.0 * t)
                })
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2))
                });
        }
        let few = self.points.len() <= LABEL_ALL_UP_TO;
        for (name, n, y, band, own) in &self.points {
            let (colour, size) = match band {
                Band::Within => (CONTROL, 5),
                Band::Alert => (PALETTE[0], 7),
                Band::Alarm => (PALETTE[4], 8),
            };
            let at = (*n as f64, unit * y);
            // The unit's own limits (case-mix adjusted): thin to 99.8%, thick to 95%.
            if let Some(l) = own {
                for (a, b, colour, width) in [
                    (l.low_998, l.high_998, outer, 1),
                    (l.low_95, l.high_95, inner, 3),
                ] {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(at.0, clip(a)), (at.0, clip(b))],
                            colour.stroke_width(width),
                        )))
                        .map_err(drawing)?;
                }
            }
            chart
                .draw_series(std::iter::once(Circle::new(at, size, colour.filled())))
                .map_err(drawing)?;
            // Outliers are always labelled; with few units, every unit is (in grey).
            let label = match band {
                Band::Within if few => Some((name.clone(), CONTROL)),
                Band::Within => None,
                _ => Some((format!("{name} ({})", band.as_str()), BLACK)),
            };
            if let Some((text, colour)) = label {
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (at.0 + max_x * 0.01, at.1 + (y1 - y0) * 0.02),
                        (FAMILY, 14).into_font().color(&colour),
                    )))
                    .map_err(drawing)?;
            }
        }
        if self.hidden > 0 {
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{} unit(s) with small counts not shown", self.hidden),
                    (max_x * 0.02, y1 - (y1 - y0) * 0.04),
                    (FAMILY, 13),
                )))
                .map_err(drawing)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(drawing)?;
        Ok(())
    }
}
