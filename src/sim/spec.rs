//! The identity of a simulation run: every option that decides its answer (evidence, model,
//! truth, attendance, replicates, seed, outcome, what is simulated, and a clinic's prices and
//! staff), checked once when the
//! [`Spec`] is built, so that the engine, `merge` and the readers of a result can rely on it.
//!
//! Why a separate type: the same spec is built from a request (the command line), written into
//! every JSON result (`"spec"`), and read back by `merge` to check that shards belong together
//! and to rebuild the summary; reading it back goes through the same checks. In JSON it keeps
//! the text a value was written with (`"arms": "control,60x2"`, not the parsed schedules), so
//! the output repeats what the user asked for.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::cost::{Prices, Staffing};
use super::model::Truth;
use super::patients::Attendance;
use super::runner::Shard;
use super::sample_size::MAX_PER_ARM;
use super::schedule::Plan;
use super::trial::Test;
use super::{Field, SimError};
use crate::domain::PrimaryOutcome;

/// Most replicates one run takes (more: run shards and merge them).
pub const MAX_REPS: u64 = 100_000_000;

/// Most patients a clinic simulation takes.
pub const MAX_PATIENTS: u32 = 1_000_000;

/// What is simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    /// The predictive distribution of one schedule's patients.
    Clinic,
    /// The power of a proposed trial.
    Trial,
    /// The smallest per-arm size reaching a target power.
    SampleSize,
}

impl Command {
    /// `clinic`, `trial` or `sample-size`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Clinic => "clinic",
            Command::Trial => "trial",
            Command::SampleSize => "sample-size",
        }
    }
}

/// The rate model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// Each tested schedule's rate drawn from its Jeffreys posterior.
    Arms,
    /// A logistic curve in effective session minutes fitted to every evidence arm.
    DoseResponse,
}

impl Model {
    /// Parses `arms` or `dose-response`.
    ///
    /// # Errors
    /// [`SimError::Invalid`] naming the available models.
    pub fn parse(text: &str) -> Result<Model, SimError> {
        match text {
            "arms" => Ok(Model::Arms),
            "dose-response" => Ok(Model::DoseResponse),
            other => Err(SimError::invalid(
                Field::Model,
                other,
                "unknown model; available: arms, dose-response",
            )),
        }
    }

    /// `arms` or `dose-response`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Model::Arms => "arms",
            Model::DoseResponse => "dose-response",
        }
    }
}

/// Where the rates come from: built in by name, or a cohort folder (read when the run is
/// prepared, see [`super::run::prepare`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvidenceSource {
    /// The built-in DREAM figures.
    Dream,
    /// Any other name: a cohort folder to fit the evidence from (refused then if it is not one).
    Folder(PathBuf),
}

impl EvidenceSource {
    /// `dream`, or the path of a cohort folder.
    #[must_use]
    pub fn parse(text: &str) -> EvidenceSource {
        if text == "dream" {
            EvidenceSource::Dream
        } else {
            EvidenceSource::Folder(PathBuf::from(text))
        }
    }

    /// The name as written.
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            EvidenceSource::Dream => "dream".to_owned(),
            EvidenceSource::Folder(p) => p.to_string_lossy().into_owned(),
        }
    }
}

/// A value parsed from text, with the text as written (repeated in the output).
#[derive(Clone, Debug, PartialEq)]
pub struct Written<T> {
    value: T,
    text: String,
}

impl<T> Written<T> {
    /// The parsed value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The text it was written as.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A trial's arms, control first, each listed once.
///
/// # Errors
/// [`SimError::Invalid`] for a bad schedule, a list not starting with control or with fewer than
/// two arms, or an arm listed twice.
pub fn parse_arms(text: &str) -> Result<Written<Vec<Plan>>, SimError> {
    let bad = |message: String| SimError::invalid(Field::Arms, text, message);
    let plans: Vec<Plan> = text
        .split(',')
        .map(|p| Plan::parse(p).map_err(|e| bad(e.to_string())))
        .collect::<Result<_, _>>()?;
    if plans.len() < 2 || plans[0] != Plan::Control {
        return Err(bad(
            "list control first and at least one schedule, e.g. control,60x2,60x3".into(),
        ));
    }
    for (i, p) in plans.iter().enumerate() {
        if plans[..i].contains(p) || (i > 0 && *p == Plan::Control) {
            return Err(bad(format!("{} is listed twice", p.label())));
        }
    }
    Ok(Written {
        value: plans,
        text: text.to_owned(),
    })
}

/// What a run simulates, with its own options.
#[derive(Clone, Debug, PartialEq)]
pub enum Design {
    /// `clinic`: patients booked on one schedule.
    Clinic {
        /// The schedule.
        schedule: Written<Plan>,
        /// Patients booked (1 to [`MAX_PATIENTS`]).
        patients: u32,
        /// Prices of attended sessions, if the cost is asked for.
        cost: Option<Prices>,
        /// The clinic's staff, if its capacity is asked for.
        capacity: Option<Staffing>,
    },
    /// `trial`: arms of a fixed size.
    Trial {
        /// Arms, control first.
        arms: Written<Vec<Plan>>,
        /// Participants per arm (1 to [`MAX_PER_ARM`]).
        per_arm: u64,
        /// The test of each replicate.
        test: Test,
        /// Two-sided significance level.
        alpha: f64,
    },
    /// `sample-size`: the per-arm size is searched.
    SampleSize {
        /// Arms, control first.
        arms: Written<Vec<Plan>>,
        /// The test (not the trend test).
        test: Test,
        /// Two-sided significance level.
        alpha: f64,
    },
}

/// A checked simulation spec (module documentation). Build it with [`Spec::new`]; in JSON it is
/// written and read as [`SpecText`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "SpecText", try_from = "SpecText")]
pub struct Spec {
    evidence: EvidenceSource,
    model: Model,
    truth: Option<Written<Truth>>,
    attendance: Option<f64>,
    reps: u64,
    target_mcse: Option<f64>,
    seed: u64,
    outcome: PrimaryOutcome,
    design: Design,
}

/// A spec as written: the request of a front end, and the `"spec"` object of every JSON result
/// (its field order is the key order). [`Spec::new`] checks it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpecText {
    /// What is simulated.
    pub command: Command,
    /// `dream` or a cohort folder.
    pub evidence: String,
    /// `arms` or `dose-response`.
    pub model: String,
    /// Fixed full-dose rates, `ARM=RATE,...`.
    pub truth: Option<String>,
    /// Fixed probability of attending a session.
    pub attendance: Option<f64>,
    /// Replicates (after the pilot of a target MCSE).
    pub reps: u64,
    /// The Monte Carlo standard error asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_mcse: Option<f64>,
    /// Seed of the random streams.
    pub seed: u64,
    /// The outcome `truth` rates are for (a trial's outcome).
    pub outcome: PrimaryOutcome,
    /// Clinic: the schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Clinic: patients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patients: Option<u32>,
    /// Trial and sample size: the arms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arms: Option<String>,
    /// Trial: participants per arm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_arm: Option<u64>,
    /// Trial and sample size: the test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<Test>,
    /// Trial and sample size: the significance level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Clinic: price of an attended session.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub price_per_session: Option<f64>,
    /// Clinic: price of an attended minute.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub price_per_minute: Option<f64>,
    /// Clinic: therapists.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub therapists: Option<u32>,
    /// Clinic: hours each therapist works a week.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hours_per_week: Option<f64>,
    /// Clinic: patients starting each week.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub intake_per_week: Option<u32>,
}

fn missing(field: Field, command: Command) -> SimError {
    SimError::invalid(
        field,
        "(none)",
        format!("a {} run needs it", command.as_str()),
    )
}

fn check_alpha(alpha: f64) -> Result<f64, SimError> {
    if (1e-10..1.0).contains(&alpha) {
        Ok(alpha)
    } else {
        Err(SimError::invalid(
            Field::Alpha,
            alpha,
            "outside (0, 1); e.g. 0.05",
        ))
    }
}

impl Spec {
    /// Checks a spec as written: every value in its range, the options of its command present.
    ///
    /// # Errors
    /// [`SimError::Invalid`] naming the field, its value, the allowed range and an example.
    pub fn new(t: SpecText) -> Result<Spec, SimError> {
        let model = Model::parse(&t.model)?;
        if t.reps == 0 || t.reps > MAX_REPS {
            return Err(SimError::invalid(
                Field::Reps,
                t.reps,
                format!("allowed 1 to {MAX_REPS}; for more, run shards and merge them"),
            ));
        }
        if let Some(target) = t.target_mcse {
            if t.command == Command::SampleSize {
                return Err(SimError::invalid(
                    Field::TargetMcse,
                    target,
                    "sample-size sets its own replicates (doubling them while Monte Carlo error could change the answer); give the replicates of the first pass instead",
                ));
            }
            if !(target > 0.0 && target <= 0.5) {
                return Err(SimError::invalid(
                    Field::TargetMcse,
                    target,
                    "outside (0, 0.5]; e.g. 0.005 for power known to half a point",
                ));
            }
        }
        let truth = t
            .truth
            .as_deref()
            .map(|text| {
                Truth::parse(text).map(|value| Written {
                    value,
                    text: text.to_owned(),
                })
            })
            .transpose()?;
        if let Some(p) = t.attendance {
            Attendance::fixed(p)?;
        }
        let design = match t.command {
            Command::Clinic => {
                let text = t.schedule.ok_or(missing(Field::Schedule, t.command))?;
                let patients = t.patients.ok_or(missing(Field::Patients, t.command))?;
                if patients == 0 || patients > MAX_PATIENTS {
                    return Err(SimError::invalid(
                        Field::Patients,
                        patients,
                        format!("allowed 1 to {MAX_PATIENTS}"),
                    ));
                }
                let cost = Prices::new(t.price_per_session, t.price_per_minute)?;
                let capacity = Staffing::new(t.therapists, t.hours_per_week, t.intake_per_week)?;
                Design::Clinic {
                    schedule: Written {
                        value: Plan::parse(&text)?,
                        text,
                    },
                    patients,
                    cost,
                    capacity,
                }
            }
            Command::Trial | Command::SampleSize => {
                let clinic_only = [
                    (
                        Field::PricePerSession,
                        t.price_per_session.map(|v| v.to_string()),
                    ),
                    (
                        Field::PricePerMinute,
                        t.price_per_minute.map(|v| v.to_string()),
                    ),
                    (Field::Therapists, t.therapists.map(|v| v.to_string())),
                    (Field::HoursPerWeek, t.hours_per_week.map(|v| v.to_string())),
                    (
                        Field::IntakePerWeek,
                        t.intake_per_week.map(|v| v.to_string()),
                    ),
                ];
                if let Some((field, Some(value))) =
                    clinic_only.into_iter().find(|(_, v)| v.is_some())
                {
                    return Err(SimError::invalid(
                        field,
                        value,
                        "only a clinic run has costs and a capacity",
                    ));
                }
                let arms = parse_arms(t.arms.as_deref().ok_or(missing(Field::Arms, t.command))?)?;
                let test = t.test.ok_or(missing(Field::Test, t.command))?;
                let alpha = check_alpha(t.alpha.ok_or(missing(Field::Alpha, t.command))?)?;
                if t.command == Command::Trial {
                    let per_arm = t.per_arm.ok_or(missing(Field::PerArm, t.command))?;
                    if per_arm == 0 || per_arm > MAX_PER_ARM {
                        return Err(SimError::invalid(
                            Field::PerArm,
                            per_arm,
                            format!("allowed 1 to {MAX_PER_ARM}, e.g. 38"),
                        ));
                    }
                    Design::Trial {
                        arms,
                        per_arm,
                        test,
                        alpha,
                    }
                } else {
                    if test == Test::Trend {
                        return Err(SimError::invalid(
                            Field::Test,
                            "trend",
                            "sample-size searches the power of each arm against control; use fisher or newcombe",
                        ));
                    }
                    Design::SampleSize { arms, test, alpha }
                }
            }
        };
        Ok(Spec {
            evidence: EvidenceSource::parse(&t.evidence),
            model,
            truth,
            attendance: t.attendance,
            reps: t.reps,
            target_mcse: t.target_mcse,
            seed: t.seed,
            outcome: t.outcome,
            design,
        })
    }

    /// What is simulated.
    #[must_use]
    pub fn command(&self) -> Command {
        match self.design {
            Design::Clinic { .. } => Command::Clinic,
            Design::Trial { .. } => Command::Trial,
            Design::SampleSize { .. } => Command::SampleSize,
        }
    }

    /// Where the rates come from.
    #[must_use]
    pub fn evidence(&self) -> &EvidenceSource {
        &self.evidence
    }

    /// The rate model.
    #[must_use]
    pub fn model(&self) -> Model {
        self.model
    }

    /// Fixed full-dose rates, if given.
    #[must_use]
    pub fn truth(&self) -> Option<&Truth> {
        self.truth.as_ref().map(Written::value)
    }

    /// Fixed attendance probability, if given (else the evidence's law).
    #[must_use]
    pub fn attendance(&self) -> Option<f64> {
        self.attendance
    }

    /// Replicates.
    #[must_use]
    pub fn reps(&self) -> u64 {
        self.reps
    }

    /// The Monte Carlo standard error asked for, if any.
    #[must_use]
    pub fn target_mcse(&self) -> Option<f64> {
        self.target_mcse
    }

    /// Seed of the random streams.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The outcome (of a trial; the one `truth` is for in a clinic).
    #[must_use]
    pub fn outcome(&self) -> PrimaryOutcome {
        self.outcome
    }

    /// What is simulated, with its options.
    #[must_use]
    pub fn design(&self) -> &Design {
        &self.design
    }

    /// The simulated arms: a trial's arms, or a clinic's one schedule.
    #[must_use]
    pub fn plans(&self) -> Vec<Plan> {
        match &self.design {
            Design::Clinic { schedule, .. } => vec![*schedule.value()],
            Design::Trial { arms, .. } | Design::SampleSize { arms, .. } => arms.value().clone(),
        }
    }

    /// The same spec with `reps` replicates (chosen by a pilot run).
    ///
    /// # Errors
    /// [`SimError::Invalid`] when `reps` is outside 1 to [`MAX_REPS`].
    pub fn with_reps(&self, reps: u64) -> Result<Spec, SimError> {
        let mut text = SpecText::from(self.clone());
        text.reps = reps;
        Spec::new(text)
    }

    /// Checks that `shard` splits this spec's replicates (no more shards than replicates).
    ///
    /// # Errors
    /// [`SimError::Invalid`] naming the shard and the largest count allowed.
    pub fn check_shard(&self, shard: Shard) -> Result<Shard, SimError> {
        if shard.count > self.reps {
            return Err(SimError::invalid(
                Field::Shard,
                format!("{}/{}", shard.index, shard.count),
                format!(
                    "more shards than the {} replicates; use at most {} shards",
                    self.reps, self.reps
                ),
            ));
        }
        Ok(shard)
    }
}

impl From<Spec> for SpecText {
    fn from(s: Spec) -> SpecText {
        let command = s.command();
        let (mut schedule, mut patients, mut arms, mut per_arm, mut test, mut alpha) =
            (None, None, None, None, None, None);
        let (mut prices, mut staffing) = (None, None);
        match s.design {
            Design::Clinic {
                schedule: sch,
                patients: p,
                cost,
                capacity,
            } => {
                schedule = Some(sch.text);
                patients = Some(p);
                prices = cost;
                staffing = capacity;
            }
            Design::Trial {
                arms: a,
                per_arm: n,
                test: t,
                alpha: al,
            } => {
                arms = Some(a.text);
                per_arm = Some(n);
                test = Some(t);
                alpha = Some(al);
            }
            Design::SampleSize {
                arms: a,
                test: t,
                alpha: al,
            } => {
                arms = Some(a.text);
                test = Some(t);
                alpha = Some(al);
            }
        }
        SpecText {
            command,
            evidence: s.evidence.text(),
            model: s.model.as_str().to_owned(),
            truth: s.truth.map(|t| t.text),
            attendance: s.attendance,
            reps: s.reps,
            target_mcse: s.target_mcse,
            seed: s.seed,
            outcome: s.outcome,
            schedule,
            patients,
            arms,
            per_arm,
            test,
            alpha,
            price_per_session: prices.and_then(|p| p.given().0),
            price_per_minute: prices.and_then(|p| p.given().1),
            therapists: staffing.map(|c| c.therapists()),
            hours_per_week: staffing.map(|c| c.hours_per_week()),
            intake_per_week: staffing.and_then(|c| c.intake_per_week()),
        }
    }
}

impl TryFrom<SpecText> for Spec {
    type Error = SimError;

    fn try_from(t: SpecText) -> Result<Spec, SimError> {
        Spec::new(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial_text() -> SpecText {
        SpecText {
            command: Command::Trial,
            evidence: "dream".into(),
            model: "arms".into(),
            truth: None,
            attendance: None,
            reps: 100,
            target_mcse: None,
            seed: 1,
            outcome: PrimaryOutcome::Pain,
            schedule: None,
            patients: None,
            arms: Some("control,60x2".into()),
            per_arm: Some(38),
            test: Some(Test::Fisher),
            alpha: Some(0.05),
            price_per_session: None,
            price_per_minute: None,
            therapists: None,
            hours_per_week: None,
            intake_per_week: None,
        }
    }

    #[test]
    fn a_spec_round_trips_through_its_text_and_keeps_what_was_written() {
        let mut t = trial_text();
        t.arms = Some("control, 60X2".into());
        let spec = Spec::new(t.clone()).unwrap();
        assert_eq!(spec.plans()[1], Plan::parse("60x2x4").unwrap());
        assert_eq!(SpecText::from(spec.clone()), t);
        let json = serde_json::to_string(&spec).unwrap();
        assert!(json.contains("\"arms\":\"control, 60X2\""), "{json}");
        assert_eq!(serde_json::from_str::<Spec>(&json).unwrap(), spec);
    }

    #[test]
    fn bad_values_name_the_field_and_never_a_flag() {
        type Edit = fn(&mut SpecText);
        let cases: Vec<(Edit, Field)> = vec![
            (|t| t.model = "emax".into(), Field::Model),
            (|t| t.reps = 0, Field::Reps),
            (|t| t.alpha = Some(1.5), Field::Alpha),
            (|t| t.per_arm = Some(0), Field::PerArm),
            (|t| t.arms = Some("60x2,control".into()), Field::Arms),
            (|t| t.truth = Some("control=2".into()), Field::Truth),
            (|t| t.attendance = Some(-0.1), Field::Attendance),
            (|t| t.target_mcse = Some(0.9), Field::TargetMcse),
            (|t| t.per_arm = None, Field::PerArm),
            (|t| t.price_per_session = Some(40.0), Field::PricePerSession),
            (|t| t.therapists = Some(2), Field::Therapists),
        ];
        for (edit, field) in cases {
            let mut t = trial_text();
            edit(&mut t);
            let e = Spec::new(t).unwrap_err();
            assert!(
                matches!(e, SimError::Invalid { field: f, .. } if f == field),
                "{e}"
            );
            assert!(!e.to_string().contains("--"), "{e}");
        }
    }
}
