//! The output documents of `simulate`, typed: one struct per command ([`ClinicResult`],
//! [`TrialResult`], [`SampleSizeResult`]), each written as JSON by serde and read back into the
//! same struct by `merge`, the report and the charts, so a renamed key is a compile error, not a
//! silent gap.
//!
//! The field order of each struct is the key order of the JSON (serde_json keeps insertion
//! order); the README's "JSON keys" paragraph is the contract. Every document starts with
//! `trialdose_version` and `schema_version`: `merge` refuses shards of another version, and
//! [`SCHEMA_VERSION`] changes whenever a key or its meaning does.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Estimate;
use super::clinic::ClinicTally;
use super::runner::Shard;
use super::spec::{Command, Model, Spec};
use super::trial::TrialTally;

/// The version of the documents' layout (keys and their meaning).
pub const SCHEMA_VERSION: u32 = 1;

/// This build of trialdose, written into every document.
pub const TRIALDOSE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Entries keyed by an arm's label, in the order of the arms (a JSON object whose keys are
/// data, such as `"60x2x4"`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ByLabel<T>(pub Vec<(String, T)>);

impl<T> ByLabel<T> {
    /// The entry of `label`.
    #[must_use]
    pub fn get(&self, label: &str) -> Option<&T> {
        self.0.iter().find(|(l, _)| l == label).map(|(_, v)| v)
    }
}

impl<T: Serialize> Serialize for ByLabel<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ByLabel<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = ByLabel<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object keyed by arm")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<ByLabel<T>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, T>()? {
                    if out.iter().any(|(l, _): &(String, T)| *l == k) {
                        return Err(serde::de::Error::custom(format!("{k} is given twice")));
                    }
                    out.push((k, v));
                }
                Ok(ByLabel(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Deserializes a field that is present (even as `null`) into `Some`, so that a key written as
/// `null` reads back as written; an absent key is `None` (with `#[serde(default)]`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// What the evidence says about one arm and outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EvidenceEntry {
    /// A fixed truth.
    Truth {
        /// The full-dose rate.
        truth: f64,
    },
    /// Responders of participants (fractional for a published percentage).
    Counts {
        /// Responders.
        responders: f64,
        /// Participants.
        n: f64,
    },
    /// Neither: written `null`.
    Untested,
}

/// One arm's evidence per outcome (a key per outcome the run simulates).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ArmEvidence {
    /// Pain responders.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "present"
    )]
    pub pain: Option<EvidenceEntry>,
    /// NDI responders.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "present"
    )]
    pub ndi: Option<EvidenceEntry>,
}

/// The evidence a run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceReport {
    /// `dream` or the cohort folder.
    pub name: String,
    /// Citation or description.
    pub source: String,
    /// Per simulated arm, keyed by label.
    pub arms: ByLabel<ArmEvidence>,
    /// Arms of the evidence without any published rate.
    pub without_published_rates: Vec<String>,
}

/// The assumptions of the simulation, stated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assumptions {
    /// The attendance law.
    pub attendance: String,
    /// Probability of an adverse event per attended session.
    pub adverse_event_per_attended_session: f64,
    /// What evidence rates mean.
    pub evidence_rates: String,
    /// What truth rates mean.
    pub truth_rates: String,
    /// How pain and NDI relate.
    pub pain_and_ndi: String,
}

/// The keys every document starts with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The trialdose version that wrote the document.
    pub trialdose_version: String,
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// What was simulated.
    pub command: Command,
    /// Replicates of the whole run (a shard runs part of them).
    pub reps: u64,
    /// Seed.
    pub seed: u64,
    /// The rate model.
    pub model: Model,
    /// The prior (or fit) the rates come from.
    pub prior: String,
    /// The evidence.
    pub evidence: EvidenceReport,
    /// The assumptions.
    pub assumptions: Assumptions,
}

/// One evidence arm of a fitted curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveArm {
    /// The arm's label.
    pub arm: String,
    /// Its effective dose.
    pub dose: f64,
    /// Observed rate.
    pub observed: f64,
    /// Fitted rate.
    pub fitted: f64,
}

/// A fitted dose-response curve (see [`super::dose_response`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// The model's formula.
    pub formula: String,
    /// Intercept.
    pub alpha: f64,
    /// Slope per effective hour a week.
    pub beta: f64,
    /// Threshold in minutes.
    pub theta_minutes: f64,
    /// Whether the threshold was estimated.
    pub theta_estimated: bool,
    /// Thresholds fitting about as well.
    pub theta_likelihood_set_minutes: [f64; 2],
    /// Whether the threshold's uncertainty is in the predictions (never).
    pub theta_uncertainty_carried: bool,
    /// Covariance of (alpha, beta): var alpha, cov, var beta.
    pub covariance_alpha_beta: [f64; 3],
    /// Deviance against the saturated model.
    pub deviance: f64,
    /// The evidence arms, observed and fitted.
    pub evidence_arms: Vec<CurveArm>,
}

/// Fitted curves per outcome.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Curves {
    /// Pain's curve.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pain: Option<Curve>,
    /// NDI's curve.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ndi: Option<Curve>,
}

/// The 2.5%, 50% and 97.5% quantiles of responders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    /// 2.5%.
    #[serde(rename = "0.025")]
    pub q025: Estimate,
    /// Median.
    #[serde(rename = "0.5")]
    pub q50: Estimate,
    /// 97.5%.
    #[serde(rename = "0.975")]
    pub q975: Estimate,
}

/// The predictive distribution of one outcome's responders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Responders {
    /// Mean responders.
    pub mean: Estimate,
    /// Quantiles.
    pub quantiles: Quantiles,
    /// `P(at least k responders)`, index k.
    pub p_at_least: Vec<Estimate>,
}

/// One outcome of a clinic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicOutcome {
    /// Its responders.
    pub responders: Responders,
}

/// The outcomes a clinic run simulated.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClinicOutcomes {
    /// Pain.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pain: Option<ClinicOutcome>,
    /// NDI.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ndi: Option<ClinicOutcome>,
}

/// Attendance delivered in a clinic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttendanceResult {
    /// Share of patients attending at least 75% of sessions.
    pub adherent_share: Estimate,
    /// Sessions per patient.
    pub sessions_per_patient: Estimate,
    /// Minutes per patient.
    pub minutes_per_patient: Estimate,
}

/// Adverse events in a clinic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdverseResult {
    /// Share of patients with an adverse event.
    pub share_of_patients: Estimate,
}

/// The 2.5%, 50% and 97.5% quantiles over replicates of a cost figure; `null` when unbounded
/// (among the replicates where a ratio is undefined; see [`super::cost`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostQuantiles {
    /// 2.5%.
    #[serde(rename = "0.025")]
    pub q025: Option<Estimate>,
    /// Median.
    #[serde(rename = "0.5")]
    pub q50: Option<Estimate>,
    /// 97.5%.
    #[serde(rename = "0.975")]
    pub q975: Option<Estimate>,
}

/// A cost per patient: its mean over replicates and its quantiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostFigure {
    /// Mean over replicates.
    pub mean: Estimate,
    /// Quantiles over replicates.
    pub quantiles: CostQuantiles,
}

/// A cost per (additional) responder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatioFigure {
    /// Total cost over total (additional) responders across replicates, MCSE by the delta
    /// method; `null` when the total is not positive.
    pub ratio_of_means: Option<Estimate>,
    /// Quantiles of the per-replicate ratio (undefined replicates ranked above every number).
    pub quantiles: CostQuantiles,
    /// Replicates where the ratio is undefined (no responder; no additional responder).
    pub undefined_replicates: u64,
}

/// The cost of one outcome's responders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostOutcome {
    /// Responders beyond the patients times the control rate, mean over replicates.
    pub additional_responders: Estimate,
    /// Cost per responder.
    pub per_responder: RatioFigure,
    /// Cost per additional responder (the incremental cost-effectiveness ratio against no
    /// treatment at no cost).
    pub per_additional_responder: RatioFigure,
}

/// The cost of a clinic's schedule (`--price-per-session`, `--price-per-minute`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostResult {
    /// Price of an attended session.
    pub price_per_session: f64,
    /// Price of an attended minute.
    pub price_per_minute: f64,
    /// The two together for one session of the schedule.
    pub price_per_attended_session: f64,
    /// What is billed.
    pub billed: String,
    /// Cost per patient.
    pub per_patient: CostFigure,
    /// Pain responders.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pain: Option<CostOutcome>,
    /// NDI responders.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ndi: Option<CostOutcome>,
}

/// How the patients starting each week were chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IntakeRule {
    /// Given.
    Given,
    /// The most the capacity allows on average (see [`super::cost`]).
    Capacity,
}

/// The clinic's capacity (`--therapists`, `--hours-per-week`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityResult {
    /// Therapists.
    pub therapists: u32,
    /// Hours each works a week.
    pub hours_per_week: f64,
    /// Therapist minutes a week.
    pub capacity_minutes_per_week: f64,
    /// Patients starting each week.
    pub intake_per_week: u32,
    /// How the intake was chosen.
    pub intake: IntakeRule,
    /// The week the last patient's course ends.
    pub weeks_to_treat: u32,
    /// Weeks whose attended minutes exceed the capacity, mean over replicates.
    pub weeks_over_capacity: Estimate,
    /// Their share of the weeks to treat.
    pub share_of_weeks_over_capacity: Estimate,
    /// Share of replicates with at least one week over capacity.
    pub any_week_over_capacity: Estimate,
    /// The busiest week's attended minutes, mean over replicates.
    pub peak_week_minutes: Estimate,
}

/// `simulate clinic`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicResult {
    /// Common keys.
    #[serde(flatten)]
    pub header: Header,
    /// The schedule's label.
    pub schedule: String,
    /// Patients booked.
    pub patients: u32,
    /// Responders per outcome.
    pub outcomes: ClinicOutcomes,
    /// Attendance.
    pub attendance: AttendanceResult,
    /// Adverse events.
    pub adverse_events: AdverseResult,
    /// Costs (with prices; boxed: most runs have none).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cost: Option<Box<CostResult>>,
    /// Capacity (with therapists and hours).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub capacity: Option<Box<CapacityResult>>,
    /// Fitted curves (dose-response model).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dose_response: Option<Curves>,
    /// Warnings of the curve.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub warnings: Option<Vec<String>>,
    /// The run's spec.
    pub spec: Spec,
    /// Which shard this is (`1/1`: all).
    pub shard: Shard,
    /// Exact tallies.
    pub state: ClinicTally,
}

/// What an arm's rejection share is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Figure {
    /// The arm's true rate equals control's.
    #[serde(rename = "type I error")]
    TypeOneError,
    /// Fixed rates.
    #[serde(rename = "power")]
    Power,
    /// Rates drawn from the evidence.
    #[serde(rename = "assurance (probability of success, rates drawn from the evidence)")]
    Assurance,
}

impl Figure {
    /// As written in the JSON and the text.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Figure::TypeOneError => "type I error",
            Figure::Power => "power",
            Figure::Assurance => {
                "assurance (probability of success, rates drawn from the evidence)"
            }
        }
    }
}

/// One treatment arm of a trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialArm {
    /// Share of replicates rejecting in favour of the arm (not with the trend test).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub power: Option<Estimate>,
    /// What that share is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub figure: Option<Figure>,
    /// Mean risk difference against control.
    pub mean_risk_difference: Estimate,
    /// Mean width of the Newcombe interval.
    pub mean_interval_width: Estimate,
}

/// The trend test's power.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendResult {
    /// Share of replicates where the trend test rejects for a rising trend.
    pub power: Estimate,
}

/// `simulate trial`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    /// Common keys.
    #[serde(flatten)]
    pub header: Header,
    /// Treatment arms, keyed by label.
    pub arms: ByLabel<TrialArm>,
    /// Probability that the truly best arm ranks first (`null` when no arm is uniquely best).
    pub best_arm_first: Option<Estimate>,
    /// Why `best_arm_first` is `null`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub best_arm_first_reason: Option<String>,
    /// The trend test (with the trend test).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trend: Option<TrendResult>,
    /// Fitted curves (dose-response model).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dose_response: Option<Curves>,
    /// Warnings of the curve.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub warnings: Option<Vec<String>>,
    /// The run's spec.
    pub spec: Spec,
    /// Which shard this is (`1/1`: all).
    pub shard: Shard,
    /// Exact tallies.
    pub state: TrialTally,
}

/// One size of a sample-size search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerPoint {
    /// Participants per arm.
    pub per_arm: u64,
    /// Power there.
    pub power: Estimate,
}

/// `simulate sample-size`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSizeResult {
    /// Common keys.
    #[serde(flatten)]
    pub header: Header,
    /// Power every arm must reach.
    pub target_power: f64,
    /// The smallest size reaching it.
    pub per_arm: u64,
    /// Power at `per_arm`.
    pub power_at_per_arm: Estimate,
    /// Power at `per_arm - 1`.
    pub power_at_per_arm_minus_1: Estimate,
    /// Replicates per size of the final search.
    pub reps_per_candidate: u64,
    /// Every size simulated, in increasing size.
    pub power_curve: Vec<PowerPoint>,
    /// Whether the answer may be off by one.
    pub unresolved_by_monte_carlo_error: bool,
    /// Fitted curves (dose-response model).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dose_response: Option<Curves>,
    /// Warnings of the curve.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub warnings: Option<Vec<String>>,
    /// The run's spec.
    pub spec: Spec,
    /// Always `1/1`.
    pub shard: Shard,
    /// No tallies: `null`.
    pub state: (),
}

/// Any simulation result.
// One result per run, moved a few times: the size of its largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SimResult {
    /// `clinic`.
    Clinic(ClinicResult),
    /// `trial`.
    Trial(TrialResult),
    /// `sample-size`.
    SampleSize(SampleSizeResult),
}

/// Why a JSON document cannot be read as a simulation result.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not JSON, or not a simulation result.
    #[error("not a simulate JSON document ({0})")]
    NotADocument(serde_json::Error),
    /// Written by another version of trialdose or of the layout.
    #[error(
        "{field} is {found}, this trialdose writes {expected}: the document was written by another version; rerun the simulation with this one"
    )]
    Version {
        /// `trialdose_version` or `schema_version`.
        field: &'static str,
        /// The value in the document (`none` when absent).
        found: String,
        /// This build's value.
        expected: String,
    },
    /// The right version, but a key is missing or has the wrong type or range.
    #[error("a {command} result that does not read back ({source})")]
    Invalid {
        /// The document's command.
        command: &'static str,
        /// The error, with its line and column.
        source: serde_json::Error,
    },
    /// A share of replicates outside 0..=1 (or its error above 1/2): an edited document.
    #[error(
        "a {command} result whose {what} is {estimate} with a Monte Carlo error of {mcse}: a share of replicates lies in 0 to 1 with an error of at most 0.5; rerun the simulation instead of editing its output"
    )]
    NotAShare {
        /// The document's command.
        command: &'static str,
        /// Which figure.
        what: String,
        /// Its estimate.
        estimate: f64,
        /// Its error.
        mcse: f64,
    },
}

/// The first keys of a document, read before the rest to pick its type and check its version.
#[derive(Deserialize)]
struct Probe {
    trialdose_version: Option<String>,
    schema_version: Option<u64>,
    command: Option<Command>,
}

impl SimResult {
    /// Reads a document written by [`SimResult::to_json`], checking its versions first.
    ///
    /// # Errors
    /// [`ReadError`] when the text is not a simulation result of this version.
    pub fn from_json(text: &str) -> Result<SimResult, ReadError> {
        let probe: Probe = serde_json::from_str(text).map_err(ReadError::NotADocument)?;
        let shown = |v: Option<String>| v.unwrap_or_else(|| "none".to_owned());
        if probe.trialdose_version.as_deref() != Some(TRIALDOSE_VERSION) {
            return Err(ReadError::Version {
                field: "trialdose_version",
                found: shown(probe.trialdose_version.map(|v| format!("{v:?}"))),
                expected: format!("{TRIALDOSE_VERSION:?}"),
            });
        }
        if probe.schema_version != Some(u64::from(SCHEMA_VERSION)) {
            return Err(ReadError::Version {
                field: "schema_version",
                found: shown(probe.schema_version.map(|v| v.to_string())),
                expected: SCHEMA_VERSION.to_string(),
            });
        }
        let command = probe.command.ok_or_else(|| {
            ReadError::NotADocument(serde::de::Error::custom("no \"command\" key"))
        })?;
        let invalid = |source| ReadError::Invalid {
            command: command.as_str(),
            source,
        };
        let result = match command {
            Command::Clinic => SimResult::Clinic(serde_json::from_str(text).map_err(invalid)?),
            Command::Trial => SimResult::Trial(serde_json::from_str(text).map_err(invalid)?),
            Command::SampleSize => {
                SimResult::SampleSize(serde_json::from_str(text).map_err(invalid)?)
            }
        };
        match result.shares().into_iter().find(|(_, e)| !e.is_share()) {
            Some((what, e)) => Err(ReadError::NotAShare {
                command: command.as_str(),
                what,
                estimate: e.estimate,
                mcse: e.mcse,
            }),
            None => Ok(result),
        }
    }

    /// The figures that are shares of replicates (power, type I error, assurance, the best
    /// arm's share, the clinic's shares of patients), named as the text names them.
    fn shares(&self) -> Vec<(String, Estimate)> {
        let mut out = Vec::new();
        match self {
            SimResult::Clinic(r) => {
                let outcomes = [("pain", &r.outcomes.pain), ("ndi", &r.outcomes.ndi)];
                for (label, o) in outcomes
                    .into_iter()
                    .filter_map(|(l, o)| Some((l, o.as_ref()?)))
                {
                    for (k, e) in o.responders.p_at_least.iter().enumerate() {
                        out.push((format!("{label} P(at least {k} responders)"), *e));
                    }
                }
                out.push(("adherent share".to_owned(), r.attendance.adherent_share));
                out.push((
                    "share of patients with an adverse event".to_owned(),
                    r.adverse_events.share_of_patients,
                ));
                if let Some(c) = &r.capacity {
                    out.push((
                        "share of weeks over capacity".to_owned(),
                        c.share_of_weeks_over_capacity,
                    ));
                    out.push((
                        "share of replicates with a week over capacity".to_owned(),
                        c.any_week_over_capacity,
                    ));
                }
            }
            SimResult::Trial(r) => {
                for (label, arm) in &r.arms.0 {
                    if let Some(p) = arm.power {
                        out.push((format!("power of {label}"), p));
                    }
                }
                if let Some(b) = r.best_arm_first {
                    out.push(("best arm first".to_owned(), b));
                }
                if let Some(t) = &r.trend {
                    out.push(("trend power".to_owned(), t.power));
                }
            }
            SimResult::SampleSize(r) => {
                out.push(("power at per_arm".to_owned(), r.power_at_per_arm));
                out.push((
                    "power at per_arm - 1".to_owned(),
                    r.power_at_per_arm_minus_1,
                ));
                for p in &r.power_curve {
                    out.push((format!("power at {} per arm", p.per_arm), p.power));
                }
            }
        }
        out
    }

    /// The document as pretty JSON with a final newline.
    ///
    /// # Errors
    /// A serialization error (none is expected: every key is a string).
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// The keys every document starts with.
    #[must_use]
    pub fn header(&self) -> &Header {
        match self {
            SimResult::Clinic(r) => &r.header,
            SimResult::Trial(r) => &r.header,
            SimResult::SampleSize(r) => &r.header,
        }
    }

    /// The run's spec.
    #[must_use]
    pub fn spec(&self) -> &Spec {
        match self {
            SimResult::Clinic(r) => &r.spec,
            SimResult::Trial(r) => &r.spec,
            SimResult::SampleSize(r) => &r.spec,
        }
    }

    /// The shard the document holds.
    #[must_use]
    pub fn shard(&self) -> Shard {
        match self {
            SimResult::Clinic(r) => r.shard,
            SimResult::Trial(r) => r.shard,
            SimResult::SampleSize(r) => r.shard,
        }
    }
}
