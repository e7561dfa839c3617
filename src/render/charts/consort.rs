//! A CONSORT 2010 flow diagram drawn from the data: participants randomized in all and per arm,
//! whether they received the planned dose (attended at least the adherence threshold of their
//! sessions; control: wait-list), how many had no score at the checkpoint, and how many were
//! analysed (ITT: everyone randomized; with both scores: those who can be responders). Every
//! count comes from the derived table, so they reconcile by construction, and [`Flow`] checks it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CONTROL, Chart, ChartError, FAMILY, PALETTE, drawing};
use crate::cohort::Cohort;
use crate::derive::Derived;
use crate::render::report::disclosure::Disclosed as _;
use crate::render::report::model::ReportModel;

/// The counts of one arm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmFlow {
    /// Arm id.
    pub arm: String,
    /// Control arm?
    pub control: bool,
    /// Randomized (accepted participants).
    pub randomized: u64,
    /// Received the planned dose (adherent); `None` for control.
    pub adherent: Option<u64>,
    /// Without a pain score at the checkpoint (or at baseline).
    pub lost: u64,
}

impl ArmFlow {
    /// Analysed with both pain scores.
    #[must_use]
    pub fn with_scores(&self) -> u64 {
        self.randomized - self.lost
    }
}

/// The flow of a cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// Per arm, in trial order.
    pub arms: Vec<ArmFlow>,
    /// Checkpoint week.
    pub week: u32,
    /// Adherence threshold, percent of planned sessions.
    pub threshold_pct: f64,
}

impl Flow {
    /// Counts the flow from the derived table.
    #[must_use]
    pub fn new(cohort: &Cohort, derived: &[Derived]) -> Flow {
        let arms = cohort.protocol.arms();
        let mut flows: Vec<ArmFlow> = arms
            .iter()
            .map(|a| ArmFlow {
                arm: a.id().to_owned(),
                control: a.is_control(),
                randomized: 0,
                adherent: (!a.is_control()).then_some(0),
                lost: 0,
            })
            .collect();
        for (p, d) in cohort.participants.iter().zip(derived) {
            let f = &mut flows[p.arm];
            f.randomized += 1;
            if let (Some(n), Some(true)) = (f.adherent.as_mut(), d.adherent) {
                *n += 1;
            }
            if d.pain.baseline.is_none() || d.pain.checkpoint.is_none() {
                f.lost += 1;
            }
        }
        Flow {
            arms: flows,
            week: cohort.protocol.checkpoint_week(),
            threshold_pct: 100.0 * cohort.protocol.adherence_threshold().to_f64(),
        }
    }

    /// Participants randomized in all.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.arms.iter().map(|a| a.randomized).sum()
    }
}

/// The texts of one arm's counts: randomized, adherent, not adherent, lost, with both scores.
type ArmLabels = [String; 5];

/// The CONSORT diagram.
pub struct ConsortChart {
    flow: Flow,
    /// The total randomized and each arm's counts as printed.
    total: String,
    labels: Vec<ArmLabels>,
}

impl ConsortChart {
    /// The diagram of a cohort.
    #[must_use]
    pub fn new(cohort: &Cohort, derived: &[Derived]) -> ConsortChart {
        let flow = Flow::new(cohort, derived);
        let total = flow.total().to_string();
        let labels = flow
            .arms
            .iter()
            .map(|a| {
                let adherent = a.adherent.unwrap_or(0);
                [
                    a.randomized,
                    adherent,
                    a.randomized - adherent,
                    a.lost,
                    a.with_scores(),
                ]
                .map(|v| v.to_string())
            })
            .collect();
        ConsortChart {
            flow,
            total,
            labels,
        }
    }

    /// Prints every count as the report model does (suppressed ones as `[c]`).
    #[must_use]
    pub fn with_model(mut self, model: &ReportModel) -> Self {
        self.total = model.cell(model.total).text();
        for (labels, a) in self.labels.iter_mut().zip(&self.flow.arms) {
            let Some(cells) = model.arm(&a.arm) else {
                continue;
            };
            let text = |id| model.cell(id).text();
            labels[0] = text(cells.n);
            if let Some((yes, no)) = cells.adherent {
                labels[1] = text(yes);
                labels[2] = text(no);
            }
            labels[3] = text(cells.lost.0);
            labels[4] = text(cells.lost.1);
        }
        self
    }
}

const BOX_W: i32 = 180;
const ROW_Y: [i32; 5] = [20, 130, 230, 340, 450];
const BOX_H: i32 = 80;

fn text_box<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    w: i32,
    lines: &[String],
    colour: RGBColor,
) -> Result<(), ChartError> {
    root.draw(&Rectangle::new(
        [(x, y), (x + w, y + BOX_H)],
        colour.stroke_width(2),
    ))
    .map_err(drawing)?;
    for (i, line) in lines.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (x + 8, y + 10 + 18 * i as i32),
            (FAMILY, 14),
        ))
        .map_err(drawing)?;
    }
    Ok(())
}

fn arrow<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
) -> Result<(), ChartError> {
    root.draw(&PathElement::new(vec![from, to], BLACK.stroke_width(1)))
        .map_err(drawing)?;
    root.draw(&Polygon::new(
        vec![(to.0 - 5, to.1 - 8), (to.0 + 5, to.1 - 8), to],
        BLACK.filled(),
    ))
    .map_err(drawing)?;
    Ok(())
}

impl Chart for ConsortChart {
    fn size(&self) -> (u32, u32) {
        let k = self.flow.arms.len().max(1) as u32;
        (40 + k * (BOX_W as u32 + 20), 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (width, _) = self.size();
        let width = width as i32;
        let top_w = 260;
        let top_x = (width - top_w) / 2;
        text_box(
            root,
            (top_x, ROW_Y[0]),
            top_w,
            &[
                "Randomized".to_owned(),
                format!("n = {}", self.total),
                "(accepted rows of participants.csv)".to_owned(),
            ],
            BLACK,
        )?;
        for (i, (a, l)) in self.flow.arms.iter().zip(&self.labels).enumerate() {
            let x = 20 + i as i32 * (BOX_W + 20);
            let colour = if a.control {
                CONTROL
            } else {
                PALETTE[i.saturating_sub(1) % PALETTE.len()]
            };
            let centre = x + BOX_W / 2;
            arrow(root, (width / 2, ROW_Y[0] + BOX_H), (centre, ROW_Y[1]))?;
            text_box(
                root,
                (x, ROW_Y[1]),
                BOX_W,
                &[format!("Allocated to {}", a.arm), format!("n = {}", l[0])],
                colour,
            )?;
            arrow(root, (centre, ROW_Y[1] + BOX_H), (centre, ROW_Y[2]))?;
            let dose = match a.adherent {
                Some(_) => vec![
                    "Received planned dose".to_owned(),
                    format!("(>= {}% of sessions): {}", self.flow.threshold_pct, l[1]),
                    format!("Did not: {}", l[2]),
                ],
                None => vec![
                    "Wait-list control".to_owned(),
                    "(no sessions planned)".to_owned(),
                    format!("n = {}", l[0]),
                ],
            };
            text_box(root, (x, ROW_Y[2]), BOX_W, &dose, colour)?;
            arrow(root, (centre, ROW_Y[2] + BOX_H), (centre, ROW_Y[3]))?;
            text_box(
                root,
                (x, ROW_Y[3]),
                BOX_W,
                &[
                    format!("No pain score at week {}", self.flow.week),
                    format!("(or at baseline): {}", l[3]),
                ],
                colour,
            )?;
            arrow(root, (centre, ROW_Y[3] + BOX_H), (centre, ROW_Y[4]))?;
            text_box(
                root,
                (x, ROW_Y[4]),
                BOX_W,
                &[
                    format!("Analysed (ITT): {}", l[0]),
                    format!("with both scores: {}", l[4]),
                ],
                colour,
            )?;
        }
        Ok(())
    }
}
