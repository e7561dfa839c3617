//! `simulate clinic`: what a schedule gives N patients — the predictive distribution of pain and
//! NDI responders, attendance, dose delivered and adverse events.
//!
//! Each replicate draws the outcomes' rates from the model, then simulates every patient's
//! attendance, adverse events and responses (pain and NDI drawn independently given the rates:
//! their correlation is not in the evidence). The replicate's counts go into exact histograms
//! and sums ([`super::tally`]).
//!
//! Figures: the mean number of responders (MCSE `SD/√R`), its 2.5%, 50% and 97.5% quantiles
//! (the smallest k whose cumulative share reaches the level; MCSE from the quantiles at the
//! level ± one binomial standard error `√(q(1−q)/R)`, halved), `P(at least k responders)` for
//! every k (MCSE `√(p(1−p)/R)`), the share of patients adherent (at least 75% of sessions), the
//! sessions and minutes delivered per patient, and the share with an adverse event.
//!
//! With [`Extras`], the same replicates also feed the cost and capacity tallies of
//! [`super::cost`]: they draw no random number of their own, so the figures above are the same
//! with or without them.

use serde::{Deserialize, Serialize};

use super::Estimate;
use super::cost::{CapacityTally, CostTally, Intake};
use super::model::{OutcomeModel, RateSource};
use super::patients::{self, Attendance};
use super::result::{Quantiles, Responders};
use super::runner::{self, Merge, Shard};
use super::schedule::Plan;
use super::tally::{IntSum, add_counts};

/// Exact tallies of a clinic simulation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClinicTally {
    /// Replicates run.
    pub reps: u64,
    /// Histogram of responders per outcome (index k: replicates with k responders), in the
    /// order of the models.
    pub responders: Vec<Vec<u64>>,
    /// Adherent patients per replicate.
    pub adherent: IntSum,
    /// Sessions attended per replicate.
    pub sessions: IntSum,
    /// Patients with an adverse event per replicate.
    pub adverse: IntSum,
    /// Cost tallies (with prices; boxed: most runs have none).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cost: Option<Box<CostTally>>,
    /// Capacity tallies (with therapists and hours).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub capacity: Option<Box<CapacityTally>>,
}

/// Adds `other` into `this`, either of which may be absent.
fn merge_optional<T: Clone>(this: &mut Option<T>, other: Option<&T>, merge: impl Fn(&mut T, &T)) {
    match (this.as_mut(), other) {
        (Some(a), Some(b)) => merge(a, b),
        (None, Some(b)) => *this = Some(b.clone()),
        (_, None) => {}
    }
}

impl Merge for ClinicTally {
    fn merge(&mut self, other: &Self) {
        self.reps += other.reps;
        if self.responders.len() < other.responders.len() {
            self.responders.resize(other.responders.len(), Vec::new());
        }
        for (a, b) in self.responders.iter_mut().zip(&other.responders) {
            if a.len() < b.len() {
                a.resize(b.len(), 0);
            }
            add_counts(a, b);
        }
        self.adherent.merge(&other.adherent);
        self.sessions.merge(&other.sessions);
        self.adverse.merge(&other.adverse);
        merge_optional(&mut self.cost, other.cost.as_ref(), |a, b| a.merge(b));
        merge_optional(&mut self.capacity, other.capacity.as_ref(), |a, b| {
            a.merge(b);
        });
    }
}

/// What a clinic run tallies beyond the responders, attendance and adverse events.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    /// Tally the cost figures.
    pub cost: bool,
    /// Tally the weekly demand on this capacity.
    pub capacity: Option<Intake>,
}

/// A patient's response probability: fixed full-dose rates are diluted by the share of
/// sessions attended towards the control rate; posterior (ITT) rates are not (see `model.rs`).
#[inline]
pub fn patient_rate(
    source: &RateSource,
    arm_rate: f64,
    control_rate: f64,
    attended: u32,
    planned: u32,
) -> f64 {
    if source.is_fixed() && planned > 0 {
        let f = f64::from(attended) / f64::from(planned);
        f * arm_rate + (1.0 - f) * control_rate
    } else {
        arm_rate
    }
}

/// Runs the clinic simulation, with the cost and capacity tallies of `extras` (none by
/// default).
#[allow(clippy::too_many_arguments)]
#[must_use]
pub fn simulate(
    plan: Plan,
    patients: u32,
    models: &[OutcomeModel],
    attendance: &Attendance,
    adverse_per_session: f64,
    reps: u64,
    seed: u64,
    shard: Shard,
    threads: usize,
    extras: Extras,
) -> ClinicTally {
    let planned = plan.sessions();
    runner::run(
        reps,
        seed,
        shard,
        threads,
        |_, rng, tally: &mut ClinicTally| {
            if tally.responders.is_empty() {
                tally.responders = vec![vec![0; patients as usize + 1]; models.len()];
            }
            let rates: Vec<(f64, f64)> = models
                .iter()
                .map(|m| {
                    let (arms, control) = m.draw_rates(rng);
                    (arms[0], control)
                })
                .collect();
            let mut responders = vec![0usize; models.len()];
            let (mut adherent, mut sessions, mut adverse) = (0i64, 0i64, 0i64);
            let mut weekly = extras
                .capacity
                .map(|c| vec![0u32; c.weeks_to_treat as usize]);
            for i in 0..patients {
                let dose = match (&mut weekly, &extras.capacity) {
                    (Some(weekly), Some(intake)) => {
                        let start = intake.start_week(i);
                        patients::treat_sessions(
                            rng,
                            planned,
                            attendance,
                            adverse_per_session,
                            |j| weekly[intake.week_of(start, j)] += 1,
                        )
                    }
                    _ => patients::treat(rng, planned, attendance, adverse_per_session),
                };
                adherent += i64::from(patients::adherent(dose.attended, planned));
                sessions += i64::from(dose.attended);
                adverse += i64::from(dose.adverse);
                for (k, m) in models.iter().enumerate() {
                    let p =
                        patient_rate(&m.arms[0], rates[k].0, rates[k].1, dose.attended, planned);
                    responders[k] += usize::from(patients::responds(rng, p));
                }
            }
            tally.reps += 1;
            if extras.cost {
                let outcomes: Vec<(usize, f64)> = responders
                    .iter()
                    .zip(&rates)
                    .map(|(&r, &(_, control))| (r, control))
                    .collect();
                tally.cost.get_or_insert_with(Box::default).record(
                    patients,
                    sessions as u64,
                    &outcomes,
                );
            }
            if let (Some(weekly), Some(intake)) = (&weekly, &extras.capacity) {
                tally
                    .capacity
                    .get_or_insert_with(Box::default)
                    .record(intake, weekly);
            }
            for (k, r) in responders.into_iter().enumerate() {
                tally.responders[k][r] += 1;
            }
            tally.adherent.add(adherent);
            tally.sessions.add(sessions);
            tally.adverse.add(adverse);
        },
    )
}

/// The smallest k whose cumulative share of replicates reaches `q`.
fn quantile(hist: &[u64], reps: u64, q: f64) -> usize {
    let target = (q * reps as f64).max(0.0);
    let mut cumulative = 0u64;
    for (k, &c) in hist.iter().enumerate() {
        cumulative += c;
        if cumulative as f64 >= target && cumulative > 0 {
            return k;
        }
    }
    hist.len().saturating_sub(1)
}

/// Quantile with an MCSE from the neighbouring levels (module documentation).
fn quantile_estimate(hist: &[u64], reps: u64, q: f64) -> Estimate {
    let se = (q * (1.0 - q) / reps.max(1) as f64).sqrt();
    let lo = quantile(hist, reps, (q - se).max(0.0)) as f64;
    let hi = quantile(hist, reps, (q + se).min(1.0)) as f64;
    Estimate {
        estimate: quantile(hist, reps, q) as f64,
        mcse: (hi - lo) / 2.0,
    }
}

/// The summary of one outcome's responders.
#[must_use]
pub fn responders_summary(hist: &[u64], reps: u64) -> Responders {
    let (mut sum, mut sum_sq) = (0.0, 0.0);
    for (k, &c) in hist.iter().enumerate() {
        sum += k as f64 * c as f64;
        sum_sq += (k * k) as f64 * c as f64;
    }
    let mut at_least = Vec::with_capacity(hist.len());
    let mut tail: u64 = hist.iter().sum();
    for &c in hist {
        at_least.push(Estimate::proportion(tail, reps));
        tail -= c;
    }
    Responders {
        mean: Estimate::mean(sum, sum_sq, reps),
        quantiles: Quantiles {
            q025: quantile_estimate(hist, reps, 0.025),
            q50: quantile_estimate(hist, reps, 0.5),
            q975: quantile_estimate(hist, reps, 0.975),
        },
        p_at_least: at_least,
    }
}
