//! Monte Carlo simulation of proposed schedules and trials (`trialdose simulate`).
//!
//! Why: a clinic asks what a schedule will give its next N patients, a trial designer asks what
//! a proposed trial can detect; both are answered by simulating patients from the evidence,
//! session by session, and analysing each simulated trial with the same statistics as
//! `analyze` ([`crate::stats`], on counts: no data frames in the hot loop).
//!
//! Structure: [`schedule`] parses `MINUTESxPER_WEEKxWEEKS`; [`evidence`] holds what is known (the
//! published DREAM figures built in); [`model`] turns it into each replicate's true rates
//! (Jeffreys posterior draws, or fixed `--truth`); [`patients`] simulates attendance, dose and
//! adverse events; [`clinic`] and [`trial`] run replicates and summarise them, [`cost`] prices a
//! clinic's sessions and checks its capacity, [`cusum`] chooses the audit's CUSUM threshold
//! for a stated in-control run length; [`tally`] holds
//! the integer accumulators that make results exact under any split of the replicates;
//! [`runner`] spreads replicates over threads and shards. Around the engine: [`spec`] is a run's
//! identity (validated once), [`run`] prepares a spec and summarises tallies, [`pilot`] chooses
//! the replicates of `--target-mcse`, [`result`] holds the typed output documents (written as
//! JSON and read back by `merge`, the report and the charts), [`text`] their readable summary,
//! and [`merge`] combines the shards of one run after checking every file.
//!
//! Reproducibility: replicate `i` draws only from its own ChaCha8 stream (`seed`, stream `i`),
//! and every accumulator is an integer (or a fixed-point integer), so sums do not depend on the
//! order replicates finish in: the output is bit-identical for any `--threads`, and shards
//! merged with `simulate merge` give exactly the unsharded answer.
//!
//! Monte Carlo standard errors follow Morris, White & Crowther, "Using simulation studies to
//! evaluate statistical methods", Statistics in Medicine 38 (2019) 2074-2102: `√(p(1−p)/R)` for a
//! proportion of replicates, `SD/√R` for a mean.

pub mod clinic;
pub mod cohort_evidence;
pub mod cost;
pub mod cusum;
pub mod dose_response;
pub mod evidence;
pub mod merge;
pub mod model;
pub mod patients;
pub mod pilot;
pub mod result;
pub mod run;
pub mod runner;
pub mod sample_size;
pub mod schedule;
pub mod spec;
pub mod tally;
pub mod text;
pub mod trial;

/// The part of a run's request a [`SimError::Invalid`] is about (a front end maps it to its own
/// name for the option, such as a command-line flag; the library never names one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Where the rates come from.
    Evidence,
    /// The rate model.
    Model,
    /// Fixed true rates.
    Truth,
    /// The attendance probability.
    Attendance,
    /// Replicates.
    Reps,
    /// The Monte Carlo standard error to reach.
    TargetMcse,
    /// The shard of the replicates.
    Shard,
    /// A clinic's schedule.
    Schedule,
    /// Patients of a clinic.
    Patients,
    /// A trial's arms.
    Arms,
    /// Participants per arm.
    PerArm,
    /// Significance level.
    Alpha,
    /// Power a sample size must reach.
    TargetPower,
    /// The test of each replicate.
    Test,
    /// What is simulated (clinic, trial, sample-size).
    Command,
    /// Price of an attended session.
    PricePerSession,
    /// Price of an attended minute.
    PricePerMinute,
    /// Therapists of a clinic.
    Therapists,
    /// Hours each therapist works a week.
    HoursPerWeek,
    /// Patients starting each week.
    IntakePerWeek,
}

impl Field {
    /// The name of the field in messages of the library.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Field::Evidence => "evidence",
            Field::Model => "model",
            Field::Truth => "truth",
            Field::Attendance => "attendance",
            Field::Reps => "replicates",
            Field::TargetMcse => "target MCSE",
            Field::Shard => "shard",
            Field::Schedule => "schedule",
            Field::Patients => "patients",
            Field::Arms => "arms",
            Field::PerArm => "per-arm size",
            Field::Alpha => "alpha",
            Field::TargetPower => "target power",
            Field::Test => "test",
            Field::Command => "command",
            Field::PricePerSession => "price per session",
            Field::PricePerMinute => "price per minute",
            Field::Therapists => "therapists",
            Field::HoursPerWeek => "hours per week",
            Field::IntakePerWeek => "intake per week",
        }
    }
}

/// A simulation request that cannot be run; every message names the value and what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// A bad value of one field of the request (schedule, arm, rate, count, shard).
    #[error("{} {value}: {message}", field.name())]
    Invalid {
        /// Which part of the request.
        field: Field,
        /// The value as given.
        value: String,
        /// What is wrong with it, the allowed range and an example.
        message: String,
    },
}

impl SimError {
    /// A bad `value` of `field`.
    #[must_use]
    pub fn invalid(
        field: Field,
        value: impl std::fmt::Display,
        message: impl Into<String>,
    ) -> SimError {
        SimError::Invalid {
            field,
            value: value.to_string(),
            message: message.into(),
        }
    }
}

/// The estimate of a simulated figure with its Monte Carlo standard error. Read back (from a
/// `--sim` document), both must be finite and the error not negative: a hand-edited document
/// is refused, not drawn.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawEstimate")]
pub struct Estimate {
    /// The estimate.
    pub estimate: f64,
    /// Its Monte Carlo standard error.
    pub mcse: f64,
}

/// An [`Estimate`] as the JSON holds it, before its checks.
#[derive(serde::Deserialize)]
struct RawEstimate {
    estimate: f64,
    mcse: f64,
}

impl TryFrom<RawEstimate> for Estimate {
    type Error = String;
    fn try_from(r: RawEstimate) -> Result<Estimate, String> {
        if !r.estimate.is_finite() {
            return Err(format!("estimate {}: must be a finite number", r.estimate));
        }
        if !(r.mcse.is_finite() && r.mcse >= 0.0) {
            return Err(format!(
                "mcse {}: a Monte Carlo standard error is a finite number, 0 or more",
                r.mcse
            ));
        }
        Ok(Estimate {
            estimate: r.estimate,
            mcse: r.mcse,
        })
    }
}

impl Estimate {
    /// True for the estimate of a share of replicates: in 0..=1, with an error of at most 1/2
    /// (the largest `√(p(1−p)/R)` can be).
    #[must_use]
    pub fn is_share(&self) -> bool {
        (0.0..=1.0).contains(&self.estimate) && self.mcse <= 0.5
    }

    /// A proportion of `hits` among `reps` replicates, with `√(p(1−p)/R)`.
    #[must_use]
    pub fn proportion(hits: u64, reps: u64) -> Estimate {
        let r = reps.max(1) as f64;
        let p = hits as f64 / r;
        Estimate {
            estimate: p,
            mcse: (p * (1.0 - p) / r).sqrt(),
        }
    }

    /// A mean from the sum and the sum of squares of `reps` values, with `SD/√R` (SD with
    /// divisor R − 1).
    #[must_use]
    pub fn mean(sum: f64, sum_sq: f64, reps: u64) -> Estimate {
        let r = reps.max(1) as f64;
        let mean = sum / r;
        let var = if reps > 1 {
            ((sum_sq - r * mean * mean) / (r - 1.0)).max(0.0)
        } else {
            0.0
        };
        Estimate {
            estimate: mean,
            mcse: (var / r).sqrt(),
        }
    }
}
