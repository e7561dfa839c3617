//! The cost of a schedule and the clinic's capacity (`simulate clinic` with prices, with
//! therapists and their hours): what the patients' sessions cost, per patient, per responder and
//! per additional responder, and whether the therapists can deliver them week by week.
//!
//! **Cost.** Only attended sessions are billed: a missed session costs nothing. A patient who
//! attends `k` sessions of `m` minutes costs `k · (P + m · M)` (`P` per session, `M` per
//! minute), so a replicate's total cost is `C = u · S`, with `S` the sessions attended by its `N`
//! patients and `u = P + m · M` the price of one attended session. Per replicate, and per outcome
//! (pain, NDI):
//! - cost per patient `C / N`;
//! - cost per responder `C / R` (`R` responders; undefined when `R = 0`);
//! - cost per additional responder `C / (R − N · c)`, with `c` the replicate's drawn control
//!   rate: `N · c` patients would have responded without the schedule, at no cost. Undefined
//!   when `R − N · c ≤ 0` (the schedule gained nobody in that replicate).
//!
//! The expected cost per patient is the mean of `C / N` over replicates (MCSE `SD/√R`). The two
//! ratios are reported as a health economist reports an incremental cost-effectiveness ratio:
//! the **ratio of means**, total cost over total (additional) responders across replicates,
//! `Σ C / Σ R` and `Σ C / Σ (R − N c)` (always defined when its denominator is positive; MCSE by
//! the delta method, [`crate::stats::ratio_of_means`]); the mean of per-replicate ratios is not
//! reported (its variance is unbounded when `R − N c` can come close to 0). The 95% interval over
//! replicates is the 2.5% and 97.5% quantiles of the per-replicate ratios, where undefined
//! replicates rank above every number (a schedule that gains nobody is worse value than any
//! finite price per responder: the share of replicates at or below a value is the
//! cost-effectiveness acceptability curve at that value); a quantile that falls among them is
//! unbounded (`null`), and the undefined replicates are counted. Quantiles come from
//! [`LogHistogram`]s of the price-free figures (sessions per patient, per responder, per
//! additional responder), multiplied by `u`.
//!
//! **Capacity.** `T` therapists each work `H` hours a week: `T · H · 60` minutes of therapist
//! time a week; an attended session occupies its `m` minutes (a missed one frees its slot).
//! Intake: patients start in successive weeks, `K` a week, patient `i` (from 0) in week
//! `⌊i / K⌋ + 1`, and follow the schedule (`per_week` sessions in each of its weeks). `K` is
//! given, or the most the capacity allows on average, `⌊T · H · 60 / (sessions · m · a)⌋`
//! (at least 1, at most `N`), with `a` the mean attendance probability, so that at steady state
//! the expected demand fits. The last patient's course ends in week `⌊(N − 1)/K⌋ + weeks`: the
//! weeks to treat `N` patients. Each replicate counts the weeks (of those) whose attended minutes
//! exceed the capacity; reported: their mean number and share, the share of replicates with at
//! least one such week, and the busiest week's minutes.
//!
//! Exactness: the tallies hold integer sums (sessions times responders), fixed-point sums of the
//! control rate (see [`super::tally`]) and histograms of counts, never prices, so any
//! `--threads` and any merge of shards give the same bytes; prices multiply at summary time.

use serde::{Deserialize, Serialize};

use super::patients::Attendance;
use super::result::{
    CapacityResult, CostFigure, CostOutcome, CostQuantiles, CostResult, IntakeRule, RatioFigure,
};
use super::schedule::Plan;
use super::tally::{FixedSum, IntSum, LogHistogram, SCALE, as_string, fixed};
use super::{Estimate, Field, SimError};
use crate::domain::PrimaryOutcome;
use crate::stats::ratio_of_means::{PairSums, ratio_of_means};

/// The largest price accepted (per session or per minute).
pub const MAX_PRICE: f64 = 1e9;

/// The most therapists a clinic may have.
pub const MAX_THERAPISTS: u32 = 100_000;

/// The most hours in a week.
pub const MAX_HOURS_PER_WEEK: f64 = 168.0;

/// Prices of attended sessions, checked: each finite, 0 to [`MAX_PRICE`], not both 0. Keeps
/// which were given (a missing one is 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    per_session: Option<f64>,
    per_minute: Option<f64>,
}

impl Prices {
    /// Prices from what was given; `None` when neither was.
    ///
    /// # Errors
    /// [`SimError::Invalid`] for a price that is not a finite number from 0 to [`MAX_PRICE`],
    /// or when both are 0.
    pub fn new(
        per_session: Option<f64>,
        per_minute: Option<f64>,
    ) -> Result<Option<Prices>, SimError> {
        if per_session.is_none() && per_minute.is_none() {
            return Ok(None);
        }
        for (field, price) in [
            (Field::PricePerSession, per_session),
            (Field::PricePerMinute, per_minute),
        ] {
            if let Some(p) = price
                && !(p.is_finite() && (0.0..=MAX_PRICE).contains(&p))
            {
                return Err(SimError::invalid(
                    field,
                    p,
                    format!(
                        "allowed 0 to {MAX_PRICE:e} (a price per attended session or minute), e.g. 45"
                    ),
                ));
            }
        }
        let prices = Prices {
            per_session,
            per_minute,
        };
        if prices.per_attended_session(1) == 0.0 {
            return Err(SimError::invalid(
                Field::PricePerSession,
                prices.per_session(),
                "with no price per minute either, every cost is 0; give a price above 0",
            ));
        }
        Ok(Some(prices))
    }

    /// Price per attended session (0 when not given).
    #[must_use]
    pub fn per_session(&self) -> f64 {
        self.per_session.unwrap_or(0.0)
    }

    /// Price per attended minute (0 when not given).
    #[must_use]
    pub fn per_minute(&self) -> f64 {
        self.per_minute.unwrap_or(0.0)
    }

    /// The prices as given.
    #[must_use]
    pub fn given(&self) -> (Option<f64>, Option<f64>) {
        (self.per_session, self.per_minute)
    }

    /// The price of one attended session of `minutes` minutes: `P + minutes · M`.
    #[must_use]
    pub fn per_attended_session(&self, minutes: u32) -> f64 {
        self.per_session() + f64::from(minutes) * self.per_minute()
    }
}

/// A clinic's staff, checked: 1 to [`MAX_THERAPISTS`] therapists, each working more than 0 and
/// at most [`MAX_HOURS_PER_WEEK`] hours a week, and optionally the patients starting each week
/// (1 to the patients).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Staffing {
    therapists: u32,
    hours_per_week: f64,
    intake_per_week: Option<u32>,
}

impl Staffing {
    /// Staffing from what was given; `None` when nothing was.
    ///
    /// # Errors
    /// [`SimError::Invalid`] for a value out of range, or therapists without hours (or the
    /// reverse), or an intake without both.
    pub fn new(
        therapists: Option<u32>,
        hours_per_week: Option<f64>,
        intake_per_week: Option<u32>,
    ) -> Result<Option<Staffing>, SimError> {
        let (therapists, hours_per_week) = match (therapists, hours_per_week) {
            (None, None) => {
                return match intake_per_week {
                    None => Ok(None),
                    Some(k) => Err(SimError::invalid(
                        Field::IntakePerWeek,
                        k,
                        "an intake needs the therapists and their hours per week to compare with",
                    )),
                };
            }
            (Some(t), None) => {
                return Err(SimError::invalid(
                    Field::HoursPerWeek,
                    "(none)",
                    format!("{t} therapists need their hours per week, e.g. 30"),
                ));
            }
            (None, Some(h)) => {
                return Err(SimError::invalid(
                    Field::Therapists,
                    "(none)",
                    format!("{h} hours per week need the number of therapists, e.g. 2"),
                ));
            }
            (Some(t), Some(h)) => (t, h),
        };
        if !(1..=MAX_THERAPISTS).contains(&therapists) {
            return Err(SimError::invalid(
                Field::Therapists,
                therapists,
                format!("allowed 1 to {MAX_THERAPISTS} therapists, e.g. 2"),
            ));
        }
        if !(hours_per_week > 0.0 && hours_per_week <= MAX_HOURS_PER_WEEK) {
            return Err(SimError::invalid(
                Field::HoursPerWeek,
                hours_per_week,
                format!(
                    "allowed above 0 and at most {MAX_HOURS_PER_WEEK} (hours each therapist treats per week), e.g. 30"
                ),
            ));
        }
        if intake_per_week == Some(0) {
            return Err(SimError::invalid(
                Field::IntakePerWeek,
                0,
                "allowed 1 to the patients (new patients starting each week), e.g. 5",
            ));
        }
        Ok(Some(Staffing {
            therapists,
            hours_per_week,
            intake_per_week,
        }))
    }

    /// Therapists.
    #[must_use]
    pub fn therapists(&self) -> u32 {
        self.therapists
    }

    /// Hours each therapist works per week.
    #[must_use]
    pub fn hours_per_week(&self) -> f64 {
        self.hours_per_week
    }

    /// Patients starting each week, if given.
    #[must_use]
    pub fn intake_per_week(&self) -> Option<u32> {
        self.intake_per_week
    }

    /// Therapist minutes a week: `T · H · 60`.
    #[must_use]
    pub fn minutes_per_week(&self) -> f64 {
        f64::from(self.therapists) * self.hours_per_week * 60.0
    }
}

/// The capacity model of one run: staffing, schedule and intake resolved (module
/// documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intake {
    /// Therapist minutes a week.
    pub capacity_minutes: f64,
    /// Patients starting each week.
    pub per_week: u32,
    /// How `per_week` was chosen.
    pub rule: IntakeRule,
    /// Sessions per week of the schedule.
    pub sessions_per_week: u32,
    /// Minutes per session.
    pub minutes: u32,
    /// The week the last patient's course ends.
    pub weeks_to_treat: u32,
}

impl Intake {
    /// Resolves `staffing` for `patients` on `plan` with `attendance`.
    ///
    /// # Errors
    /// [`SimError::Invalid`] for a control schedule (no sessions to staff) or an intake above
    /// the patients.
    pub fn new(
        staffing: &Staffing,
        plan: Plan,
        patients: u32,
        attendance: &Attendance,
    ) -> Result<Intake, SimError> {
        let Plan::Treated(schedule) = plan else {
            return Err(SimError::invalid(
                Field::Schedule,
                plan.label(),
                "has no sessions to staff; give a treatment schedule such as 60x2 for the capacity",
            ));
        };
        let capacity_minutes = staffing.minutes_per_week();
        let (per_week, rule) = match staffing.intake_per_week() {
            Some(k) if k > patients => {
                return Err(SimError::invalid(
                    Field::IntakePerWeek,
                    k,
                    format!("allowed 1 to the {patients} patients"),
                ));
            }
            Some(k) => (k, IntakeRule::Given),
            None => {
                let course = f64::from(schedule.sessions())
                    * f64::from(schedule.minutes())
                    * attendance.mean();
                let k = if course > 0.0 {
                    (capacity_minutes / course).floor().min(f64::from(patients)) as u32
                } else {
                    patients
                };
                (k.max(1), IntakeRule::Capacity)
            }
        };
        Ok(Intake {
            capacity_minutes,
            per_week,
            rule,
            sessions_per_week: schedule.per_week(),
            minutes: schedule.minutes(),
            weeks_to_treat: (patients - 1) / per_week + schedule.weeks(),
        })
    }

    /// The first week (from 0) of patient `i` (from 0).
    #[inline]
    #[must_use]
    pub fn start_week(&self, patient: u32) -> usize {
        (patient / self.per_week) as usize
    }

    /// The week (from 0) of session `j` (from 0) of a patient starting in week `start`.
    #[inline]
    #[must_use]
    pub fn week_of(&self, start: usize, session: u32) -> usize {
        start + (session / self.sessions_per_week) as usize
    }
}

/// The cost tallies of one outcome (module documentation).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostOutcomeTally {
    /// Σ S · R over replicates.
    #[serde(with = "as_string")]
    pub sessions_x_responders: i128,
    /// Σ c and Σ c² of the drawn control rate, in fixed point.
    pub control: FixedSum,
    /// Σ R · c, in units of 2⁻⁴⁰.
    #[serde(with = "as_string")]
    pub responders_x_control: i128,
    /// Σ S · c, in units of 2⁻⁴⁰.
    #[serde(with = "as_string")]
    pub sessions_x_control: i128,
    /// Sessions per responder `S / R` (undefined: no responder).
    pub per_responder: LogHistogram,
    /// Sessions per additional responder `S / (R − N c)` (undefined: none additional).
    pub per_additional_responder: LogHistogram,
}

/// The cost tallies of a clinic run: price-free (module documentation).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostTally {
    /// Sessions attended per patient `S / N`.
    pub sessions_per_patient: LogHistogram,
    /// One per outcome, in the order of the models.
    pub outcomes: Vec<CostOutcomeTally>,
}

impl CostTally {
    /// Records one replicate: `sessions` attended by `patients`, and per outcome its responders
    /// and drawn control rate.
    pub fn record(&mut self, patients: u32, sessions: u64, outcomes: &[(usize, f64)]) {
        if self.outcomes.len() < outcomes.len() {
            self.outcomes
                .resize_with(outcomes.len(), CostOutcomeTally::default);
        }
        let s = sessions as f64;
        let n = i128::from(patients);
        self.sessions_per_patient
            .add(Some(s / f64::from(patients.max(1))));
        for (t, &(responders, control)) in self.outcomes.iter_mut().zip(outcomes) {
            let (si, r) = (i128::from(sessions), responders as i128);
            let q = fixed(control);
            t.sessions_x_responders += si * r;
            t.control.add(control);
            t.responders_x_control += r * q;
            t.sessions_x_control += si * q;
            t.per_responder.add((r > 0).then(|| s / r as f64));
            // R − N·c in units of 2⁻⁴⁰, exactly.
            let additional = r * fixed(1.0) - n * q;
            t.per_additional_responder
                .add((additional > 0).then(|| s / (additional as f64 / SCALE)));
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &CostTally) {
        self.sessions_per_patient.merge(&other.sessions_per_patient);
        if self.outcomes.len() < other.outcomes.len() {
            self.outcomes
                .resize_with(other.outcomes.len(), CostOutcomeTally::default);
        }
        for (a, b) in self.outcomes.iter_mut().zip(&other.outcomes) {
            a.sessions_x_responders += b.sessions_x_responders;
            a.control.merge(&b.control);
            a.responders_x_control += b.responders_x_control;
            a.sessions_x_control += b.sessions_x_control;
            a.per_responder.merge(&b.per_responder);
            a.per_additional_responder
                .merge(&b.per_additional_responder);
        }
    }
}

/// The capacity tallies of a clinic run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityTally {
    /// Weeks over capacity per replicate.
    pub weeks_over: IntSum,
    /// Replicates with at least one week over capacity.
    pub any_over: u64,
    /// The busiest week's attended minutes per replicate.
    pub peak_minutes: IntSum,
}

impl CapacityTally {
    /// Records one replicate from its attended sessions per week.
    pub fn record(&mut self, intake: &Intake, sessions_per_week: &[u32]) {
        let minutes = |s: u32| u64::from(s) * u64::from(intake.minutes);
        let over = sessions_per_week
            .iter()
            .filter(|&&s| minutes(s) as f64 > intake.capacity_minutes)
            .count() as i64;
        let peak = sessions_per_week.iter().copied().max().unwrap_or(0);
        self.weeks_over.add(over);
        self.any_over += u64::from(over > 0);
        self.peak_minutes.add(minutes(peak) as i64);
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &CapacityTally) {
        self.weeks_over.merge(&other.weeks_over);
        self.any_over += other.any_over;
        self.peak_minutes.merge(&other.peak_minutes);
    }
}

/// The sums of the replicates' responders from their histogram: `(Σ R, Σ R²)`.
fn responder_sums(hist: &[u64]) -> (f64, f64) {
    hist.iter()
        .enumerate()
        .fold((0.0, 0.0), |(s, s2), (k, &c)| {
            let (k, c) = (k as f64, c as f64);
            (s + k * c, s2 + k * k * c)
        })
}

/// The 2.5%, 50% and 97.5% quantiles of `h` times `scale`, each with an MCSE from the quantiles
/// at the level ± one binomial standard error `√(q(1−q)/R)`, halved (as the responders'); `None`
/// when it, or a neighbour, lies among undefined replicates.
fn quantiles(h: &LogHistogram, scale: f64) -> CostQuantiles {
    let reps = h.total().max(1) as f64;
    let at = |q: f64| -> Option<Estimate> {
        let se = (q * (1.0 - q) / reps).sqrt();
        let value = h.quantile(q)?;
        let lo = h.quantile((q - se).max(0.0))?;
        let hi = h.quantile((q + se).min(1.0))?;
        Some(Estimate {
            estimate: value * scale,
            mcse: (hi - lo) / 2.0 * scale,
        })
    };
    CostQuantiles {
        q025: at(0.025),
        q50: at(0.5),
        q975: at(0.975),
    }
}

/// A ratio figure: the ratio of means (when its denominator is positive) and the per-replicate
/// quantiles, times `scale`.
fn ratio_figure(sums: &PairSums, h: &LogHistogram, scale: f64) -> RatioFigure {
    RatioFigure {
        ratio_of_means: (sums.x > 0.0).then(|| ratio_of_means(sums)).flatten().map(
            |(theta, se)| Estimate {
                estimate: theta * scale,
                mcse: se * scale,
            },
        ),
        quantiles: quantiles(h, scale),
        undefined_replicates: h.undefined,
    }
}

/// The cost section of a clinic result from its tallies: `sessions` attended per replicate,
/// the responders' histograms and the cost tallies, `outcomes` naming each histogram's outcome.
#[must_use]
pub fn summarize_cost(
    prices: &Prices,
    minutes: u32,
    patients: u32,
    sessions: &IntSum,
    responders: &[Vec<u64>],
    tally: &CostTally,
    outcomes: &[PrimaryOutcome],
) -> CostResult {
    let u = prices.per_attended_session(minutes);
    let n = f64::from(patients.max(1));
    let reps = tally.sessions_per_patient.total();
    let (s, ss) = (sessions.sum as f64, sessions.sum_sq as f64);
    let mut result = CostResult {
        price_per_session: prices.per_session(),
        price_per_minute: prices.per_minute(),
        price_per_attended_session: u,
        billed: "attended sessions only: a missed session costs nothing".to_owned(),
        per_patient: CostFigure {
            mean: sessions.mean(reps, u / n),
            quantiles: quantiles(&tally.sessions_per_patient, u),
        },
        pain: None,
        ndi: None,
    };
    for ((o, hist), t) in outcomes.iter().zip(responders).zip(&tally.outcomes) {
        let (r, rr) = responder_sums(hist);
        let per_responder = PairSums {
            n: reps as f64,
            y: s,
            x: r,
            yy: ss,
            xx: rr,
            xy: t.sessions_x_responders as f64,
        };
        // D = R − N c: its sums from the exact integer and fixed-point ones.
        let (c, cc) = (t.control.total(), t.control.total_sq());
        let rc = t.responders_x_control as f64 / SCALE;
        let sc = t.sessions_x_control as f64 / SCALE;
        let d = r - n * c;
        let dd = rr - 2.0 * n * rc + n * n * cc;
        let per_additional = PairSums {
            n: reps as f64,
            y: s,
            x: d,
            yy: ss,
            xx: dd,
            xy: t.sessions_x_responders as f64 - n * sc,
        };
        let outcome = CostOutcome {
            additional_responders: Estimate::mean(d, dd, reps),
            per_responder: ratio_figure(&per_responder, &t.per_responder, u),
            per_additional_responder: ratio_figure(&per_additional, &t.per_additional_responder, u),
        };
        match o {
            PrimaryOutcome::Pain => result.pain = Some(outcome),
            PrimaryOutcome::Ndi => result.ndi = Some(outcome),
        }
    }
    result
}

/// The capacity section of a clinic result over `reps` replicates.
#[must_use]
pub fn summarize_capacity(
    staffing: &Staffing,
    intake: &Intake,
    tally: &CapacityTally,
    reps: u64,
) -> CapacityResult {
    let weeks = f64::from(intake.weeks_to_treat.max(1));
    CapacityResult {
        therapists: staffing.therapists(),
        hours_per_week: staffing.hours_per_week(),
        capacity_minutes_per_week: intake.capacity_minutes,
        intake_per_week: intake.per_week,
        intake: intake.rule,
        weeks_to_treat: intake.weeks_to_treat,
        weeks_over_capacity: tally.weeks_over.mean(reps, 1.0),
        share_of_weeks_over_capacity: tally.weeks_over.mean(reps, 1.0 / weeks),
        any_week_over_capacity: Estimate::proportion(tally.any_over, reps),
        peak_week_minutes: tally.peak_minutes.mean(reps, 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_staffing_are_checked() {
        assert!(Prices::new(None, None).unwrap().is_none());
        let p = Prices::new(Some(40.0), Some(0.5)).unwrap().unwrap();
        assert!((p.per_attended_session(60) - 70.0).abs() < 1e-12);
        for (ps, pm) in [
            (Some(-1.0), None),
            (Some(f64::NAN), None),
            (None, Some(f64::INFINITY)),
            (Some(0.0), Some(0.0)),
            (Some(0.0), None),
        ] {
            assert!(Prices::new(ps, pm).is_err(), "{ps:?} {pm:?}");
        }
        assert!(Staffing::new(None, None, None).unwrap().is_none());
        for (t, h, k) in [
            (Some(0), Some(30.0), None),
            (Some(2), Some(0.0), None),
            (Some(2), Some(168.5), None),
            (Some(2), None, None),
            (None, Some(30.0), None),
            (None, None, Some(3)),
            (Some(2), Some(30.0), Some(0)),
        ] {
            assert!(Staffing::new(t, h, k).is_err(), "{t:?} {h:?} {k:?}");
        }
    }

    #[test]
    fn intake_from_capacity_fits_the_expected_demand() {
        // 2 therapists x 30 h = 3600 min; a 60x2x4 course at full attendance is 480 min: 7 a week.
        let staff = Staffing::new(Some(2), Some(30.0), None).unwrap().unwrap();
        let plan = Plan::parse("60x2").unwrap();
        let full = Attendance::fixed(1.0).unwrap();
        let i = Intake::new(&staff, plan, 40, &full).unwrap();
        assert_eq!((i.per_week, i.rule), (7, IntakeRule::Capacity));
        // Patients 0..=6 start in week 0, patient 39 in week 5; its course ends in week 9.
        assert_eq!(
            (i.start_week(6), i.start_week(7), i.start_week(39)),
            (0, 1, 5)
        );
        assert_eq!(i.weeks_to_treat, 9);
        assert_eq!(i.week_of(5, 7), 8);
        assert!(Intake::new(&staff, Plan::Control, 40, &full).is_err());
        let given = Staffing::new(Some(2), Some(30.0), Some(41))
            .unwrap()
            .unwrap();
        assert!(Intake::new(&given, plan, 40, &full).is_err());
    }
}
