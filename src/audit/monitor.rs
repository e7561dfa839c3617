//! Monitoring over time (`audit --over-time month|quarter`): each unit's results period by
//! period, and a risk-adjusted CUSUM and VLAD curve per unit, patient by patient in the order
//! they reached their checkpoint.
//!
//! Why: a clinic audits continuously. A funnel over the whole cohort says whether a unit is
//! off; it does not say since when, and it reacts slowly to a recent change. Health-care
//! monitoring runs the two charts this module computes:
//!
//! * **Periods** (`periods.csv`, the run chart): per unit and calendar month or quarter of the
//!   checkpoint date (day 0 + 7 × checkpoint week), the patients judged, their responders, the
//!   expected responders (the sum of their expected probabilities under the audit's benchmark
//!   or case-mix model) and the period's verdict against its own exact limits (the
//!   Poisson-binomial of those probabilities, [`crate::stats::poisson_binomial`], with the
//!   funnel's bands).
//! * **CUSUM** (Steiner, Cook, Farewell & Treasure 2000; [`crate::stats::cusum`]): the Bernoulli
//!   log-likelihood ratio of a rise in the odds of non-response by `R` (default 2) against the
//!   expected probabilities, cumulated with a floor at 0; a signal when it reaches `h`, after
//!   which the chart restarts. `h` is chosen by simulation ([`crate::sim::cusum`]) so that a
//!   unit performing as expected signals falsely on average once in `ARL₀` patients (default
//!   1,000), drawing patients from the whole cohort's expected probabilities: one `h` for
//!   every unit, so their charts read alike. The run length a worse unit (odds ratio `R`)
//!   signals within on average (ARL₁) is reported beside it.
//! * **VLAD** (variable life-adjusted display; Lovegrove et al. 1997): observed minus expected
//!   responders, cumulated: a manager reads "so many more (or fewer) responders than expected".
//!
//! Patients are those the funnel counts: judged, counted and benchmarked, with their expected
//! probability. Ties in the checkpoint date keep the order of participants.csv.
//!
//! References: S. H. Steiner et al., Biostatistics 1 (2000) 441-452; J. Lovegrove,
//! O. Valencia, T. Treasure, C. Sherlaw-Johnson & S. Gallivan, Lancet 350 (1997) 1128-1130.

use crate::cohort::value::civil_from_days;
use crate::sim::cusum::{self as threshold, CusumSimError, CusumThreshold, ThresholdSpec};
use crate::stats::cusum::{self, Patient, RiskAdjustedCusum};
use crate::stats::funnel::{self, Limits, Verdict};
use crate::stats::poisson_binomial::PoissonBinomial;

/// Calendar periods of `periods.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// `YYYY-MM`.
    Month,
    /// `YYYY-Qn`.
    Quarter,
}

impl Period {
    /// `month` or `quarter`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }

    /// The period of day number `day`, as a sortable key and its label.
    #[must_use]
    pub fn of(self, day: i32) -> (i32, String) {
        let (y, m, _) = civil_from_days(day);
        match self {
            Period::Month => (y * 12 + m as i32 - 1, format!("{y:04}-{m:02}")),
            Period::Quarter => {
                let q = (m - 1) / 3 + 1;
                (y * 4 + q as i32 - 1, format!("{y:04}-Q{q}"))
            }
        }
    }
}

/// Settings of the monitoring.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MonitorOptions {
    /// Calendar periods.
    pub period: Period,
    /// The CUSUM's alternative: odds of non-response times this (above 1: a worse unit).
    pub odds_ratio: f64,
    /// The in-control average run length the threshold is chosen for, in patients.
    pub target_arl: f64,
    /// Seed of the threshold simulation (streams as in `simulate`).
    pub seed: u64,
}

impl Default for MonitorOptions {
    fn default() -> Self {
        MonitorOptions {
            period: Period::Quarter,
            odds_ratio: cusum::RiskAdjustedCusum::DEFAULT_ODDS_RATIO,
            target_arl: threshold::DEFAULT_TARGET_ARL,
            seed: DEFAULT_SEED,
        }
    }
}

/// Default seed of the threshold simulation.
pub const DEFAULT_SEED: u64 = 20_001;

/// One patient the funnel counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Benchmarked {
    /// Index into the cohort's participants.
    pub participant: usize,
    /// Unit index.
    pub unit: usize,
    /// Expected probability of response.
    pub expected: f64,
    /// Responded (as counted).
    pub responded: bool,
    /// Checkpoint date (day number).
    pub checkpoint: i32,
}

/// One line of `periods.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodRow {
    /// Unit index.
    pub unit: usize,
    /// Sortable key of the period.
    pub key: i32,
    /// `YYYY-MM` or `YYYY-Qn`.
    pub label: String,
    /// Patients reaching their checkpoint in the period.
    pub patients: u64,
    /// Of them, responders.
    pub responders: u64,
    /// Expected responders.
    pub expected: f64,
    /// The period's exact limits, as counts (the Poisson-binomial of the expected
    /// probabilities), and where the responders fall.
    pub limits: Option<Limits>,
    /// Where the responders fall.
    pub verdict: Option<Verdict>,
    /// The unit's CUSUM signals at patients of the period.
    pub signals: u64,
}

/// One patient's point on a unit's charts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartPoint {
    /// Index into the cohort's participants.
    pub participant: usize,
    /// Checkpoint date (day number).
    pub checkpoint: i32,
    /// Expected probability of response.
    pub expected: f64,
    /// Responded.
    pub responded: bool,
    /// The CUSUM after this patient (the value that crossed `h` at a signal).
    pub cusum: f64,
    /// Observed minus expected responders so far.
    pub vlad: f64,
    /// The chart signalled at this patient.
    pub signal: bool,
}

/// A unit's CUSUM and VLAD.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitChart {
    /// Unit index.
    pub unit: usize,
    /// Patients in checkpoint order.
    pub points: Vec<ChartPoint>,
}

impl UnitChart {
    /// Positions (0-based) of the patients at which the chart signalled.
    pub fn signals(&self) -> impl Iterator<Item = (usize, &ChartPoint)> {
        self.points.iter().enumerate().filter(|(_, p)| p.signal)
    }
}

/// The monitoring of an audit.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitoring {
    /// Settings.
    pub options: MonitorOptions,
    /// Per unit and period, units in the audit's order, periods in time order.
    pub periods: Vec<PeriodRow>,
    /// The threshold and the run lengths it gives.
    pub threshold: CusumThreshold,
    /// Per unit with patients, in the audit's order.
    pub charts: Vec<UnitChart>,
}

/// Why the monitoring cannot be run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MonitorError {
    /// No patient has reached the checkpoint with an expected probability.
    #[error(
        "no patient has been judged at the checkpoint with an expected probability: there is nothing to monitor yet"
    )]
    NoPatients,
    /// The threshold cannot be found or the settings are out of range.
    #[error("the CUSUM threshold: {0}")]
    Threshold(#[from] CusumSimError),
}

/// Exact limits of a count with the given expected probabilities, as counts.
fn count_limits(probs: &[f64]) -> Option<Limits> {
    let d = PoissonBinomial::new(probs)?;
    Some(Limits {
        low_998: d.limit(funnel::P998_LOW)?,
        low_95: d.limit(funnel::P95_LOW)?,
        high_95: d.limit(funnel::P95_HIGH)?,
        high_998: d.limit(funnel::P998_HIGH)?,
    })
}

/// Runs the monitoring over `patients` (the funnel's, any order) of `units` units.
///
/// # Errors
/// [`MonitorError`] when there is no patient, or the threshold cannot be found.
pub fn monitor(
    patients: &[Benchmarked],
    units: usize,
    options: MonitorOptions,
    threads: usize,
) -> Result<Monitoring, MonitorError> {
    if patients.is_empty() {
        return Err(MonitorError::NoPatients);
    }
    let mut ordered: Vec<Benchmarked> = patients.to_vec();
    ordered.sort_by_key(|p| (p.checkpoint, p.participant));
    let case_mix: Vec<f64> = ordered.iter().map(|p| p.expected).collect();
    let spec = ThresholdSpec::new(
        &case_mix,
        options.odds_ratio,
        options.target_arl,
        threshold::DEFAULT_REPS,
        options.seed,
    )?;
    let chosen = threshold::choose_threshold(&spec, threads)?;
    let chart = RiskAdjustedCusum::new(options.odds_ratio, chosen.threshold)
        .map_err(CusumSimError::from)?;

    let mut by_unit: Vec<Vec<Benchmarked>> = vec![Vec::new(); units];
    for p in ordered {
        by_unit[p.unit].push(p);
    }
    let mut periods = Vec::new();
    let mut charts = Vec::new();
    for (u, list) in by_unit.iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        // Periods, in time order (the list is in checkpoint order).
        let first_row = periods.len();
        let mut start = 0;
        while start < list.len() {
            let (key, label) = options.period.of(list[start].checkpoint);
            let end = start
                + list[start..]
                    .iter()
                    .take_while(|p| options.period.of(p.checkpoint).0 == key)
                    .count();
            let slice = &list[start..end];
            let probs: Vec<f64> = slice.iter().map(|p| p.expected).collect();
            let responders = slice.iter().filter(|p| p.responded).count() as u64;
            let limits = count_limits(&probs);
            periods.push(PeriodRow {
                unit: u,
                key,
                label,
                patients: slice.len() as u64,
                responders,
                expected: probs.iter().sum(),
                limits,
                verdict: limits.map(|l| l.classify(responders as f64)),
                signals: 0,
            });
            start = end;
        }
        let series: Vec<Patient> = list
            .iter()
            .map(|p| Patient {
                expected_response: p.expected,
                responded: p.responded,
            })
            .collect();
        let path = chart.chart(&series).map_err(CusumSimError::from)?;
        // Each signal counts in its patient's period, among this unit's rows.
        for &k in &path.signals {
            let key = options.period.of(list[k].checkpoint).0;
            if let Some(row) = periods[first_row..].iter_mut().find(|r| r.key == key) {
                row.signals += 1;
            }
        }
        let vlad = cusum::vlad(&series).map_err(CusumSimError::from)?;
        let points = list
            .iter()
            .enumerate()
            .map(|(k, p)| ChartPoint {
                participant: p.participant,
                checkpoint: p.checkpoint,
                expected: p.expected,
                responded: p.responded,
                cusum: path.values[k],
                vlad: vlad[k],
                signal: path.signals.binary_search(&k).is_ok(),
            })
            .collect();
        charts.push(UnitChart { unit: u, points });
    }
    Ok(Monitoring {
        options,
        periods,
        threshold: chosen,
        charts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_calendar_months_and_quarters() {
        let day = crate::cohort::value::days_from_civil(2012, 5, 31);
        assert_eq!(Period::Month.of(day).1, "2012-05");
        assert_eq!(Period::Quarter.of(day).1, "2012-Q2");
        let next = crate::cohort::value::days_from_civil(2012, 7, 1);
        assert_eq!(Period::Quarter.of(next).1, "2012-Q3");
        assert!(Period::Month.of(next).0 > Period::Month.of(day).0);
    }

    /// Patients are charted in checkpoint order per unit; the periods add up to the unit; the
    /// VLAD ends at observed minus expected; a run of non-responders in a unit expected to
    /// respond signals.
    #[test]
    fn charts_and_periods_follow_the_patients() {
        let start = crate::cohort::value::days_from_civil(2012, 1, 1);
        let mut patients = Vec::new();
        for i in 0..400usize {
            let unit = i % 2;
            // Unit 1 responds much less than expected after its 100th patient.
            let responded = if unit == 1 && i > 200 {
                i % 10 == 0
            } else {
                i % 5 < 3
            };
            patients.push(Benchmarked {
                participant: 399 - i,
                unit,
                expected: 0.6,
                responded,
                checkpoint: start + (i as i32) * 2,
            });
        }
        let m = monitor(&patients, 3, MonitorOptions::default(), 1).unwrap();
        assert_eq!(m.charts.len(), 2, "unit 2 has no patient");
        for c in &m.charts {
            assert!(
                c.points
                    .windows(2)
                    .all(|w| w[0].checkpoint <= w[1].checkpoint)
            );
            let o = c.points.iter().filter(|p| p.responded).count() as f64;
            let e: f64 = c.points.iter().map(|p| p.expected).sum();
            assert!((c.points.last().unwrap().vlad - (o - e)).abs() < 1e-9);
            let rows: Vec<&PeriodRow> = m.periods.iter().filter(|r| r.unit == c.unit).collect();
            assert_eq!(
                rows.iter().map(|r| r.patients).sum::<u64>(),
                c.points.len() as u64
            );
            assert_eq!(rows.iter().map(|r| r.responders).sum::<u64>(), o as u64);
        }
        assert_eq!(
            m.charts[0].signals().count(),
            0,
            "unit 0 performs as expected"
        );
        let first = m.charts[1].signals().next().expect("unit 1 signals").0;
        assert!(first > 50, "signals after the change, at patient {first}");
        assert!(m.threshold.threshold > 0.0);
        assert!(matches!(
            monitor(&[], 1, MonitorOptions::default(), 1),
            Err(MonitorError::NoPatients)
        ));
    }
}
