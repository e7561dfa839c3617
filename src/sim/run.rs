//! A simulation from spec to typed result: [`prepare`] reads the evidence and builds the rate
//! models once; [`Prepared::clinic`], [`Prepared::trial`] and [`Prepared::sample_size`] run the
//! engine; [`Prepared::summarize_clinic`] and [`Prepared::summarize_trial`] turn exact tallies
//! (of one process or merged shards) into the result document.

use super::clinic::{self, ClinicTally, Extras};
use super::cohort_evidence::{self, CohortEvidenceError};
use super::cost::{self, Intake};
use super::dose_response::DoseFit;
use super::evidence::Evidence;
use super::model::{OutcomeModel, RateSource};
use super::patients::Attendance;
use super::result::{
    AdverseResult, ArmEvidence, Assumptions, AttendanceResult, ByLabel, ClinicOutcome,
    ClinicOutcomes, ClinicResult, Curve, CurveArm, Curves, EvidenceEntry, EvidenceReport, Figure,
    Header, PowerPoint, SCHEMA_VERSION, SampleSizeResult, TRIALDOSE_VERSION, TrendResult, TrialArm,
    TrialResult,
};
use super::runner::Shard;
use super::sample_size;
use super::schedule::Plan;
use super::spec::{Design, EvidenceSource, Model, Spec};
use super::trial::{self, Test, TrialDesign, TrialTally};
use super::{Estimate, Field, SimError};
use crate::domain::PrimaryOutcome;

/// Why a run cannot start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A bad value of the request.
    #[error(transparent)]
    Invalid(#[from] SimError),
    /// The evidence folder cannot serve as evidence.
    #[error(transparent)]
    Evidence(#[from] CohortEvidenceError),
}

/// A spec with its evidence read and its rate models built.
pub struct Prepared {
    spec: Spec,
    evidence: Evidence,
    attendance: Attendance,
    plans: Vec<Plan>,
    /// Clinic: each outcome the evidence (or truth) covers, pain first; trial: the outcome.
    models: Vec<OutcomeModel>,
    /// Clinic: the capacity model, with therapists and hours.
    intake: Option<Intake>,
}

/// The evidence of a spec: built in, or fitted from a cohort folder.
///
/// # Errors
/// [`RunError`] when the name is neither built in nor a folder, or the cohort cannot serve.
pub fn evidence(source: &EvidenceSource, threads: usize) -> Result<Evidence, RunError> {
    match source {
        EvidenceSource::Dream => Ok(Evidence::dream()),
        EvidenceSource::Folder(dir) if dir.is_dir() => {
            Ok(cohort_evidence::from_cohort(dir, threads)?)
        }
        EvidenceSource::Folder(dir) => Ok(Evidence::named(&dir.to_string_lossy())?),
    }
}

/// The rate model of one outcome under the spec's model.
fn outcome_model(
    spec: &Spec,
    evidence: &Evidence,
    plans: &[Plan],
    outcome: PrimaryOutcome,
    truth: Option<&super::model::Truth>,
) -> Result<OutcomeModel, SimError> {
    match spec.model() {
        Model::DoseResponse => OutcomeModel::dose_response(evidence, truth, plans, outcome),
        Model::Arms => OutcomeModel::new(evidence, truth, plans, outcome),
    }
}

/// Reads the evidence and builds the rate models of `spec`.
///
/// # Errors
/// [`RunError`] when the evidence cannot be read or a simulated arm has no rate.
pub fn prepare(spec: Spec, threads: usize) -> Result<Prepared, RunError> {
    let evidence = evidence(spec.evidence(), threads)?;
    let attendance = match spec.attendance() {
        Some(p) => Attendance::fixed(p)?,
        None => Attendance::beta(evidence.attendance.0, evidence.attendance.1)?,
    };
    let plans = spec.plans();
    let models = match spec.design() {
        Design::Clinic { .. } => {
            let mut models = Vec::new();
            for o in PrimaryOutcome::BOTH {
                let truth = (o == spec.outcome()).then_some(spec.truth()).flatten();
                match outcome_model(&spec, &evidence, &plans, o, truth) {
                    Ok(m) => models.push(m),
                    Err(e) if o == spec.outcome() => return Err(e.into()),
                    Err(_) => {}
                }
            }
            models
        }
        Design::Trial { .. } | Design::SampleSize { .. } => vec![outcome_model(
            &spec,
            &evidence,
            &plans,
            spec.outcome(),
            spec.truth(),
        )?],
    };
    let intake = match spec.design() {
        Design::Clinic {
            schedule,
            patients,
            capacity: Some(staffing),
            ..
        } => Some(Intake::new(
            staffing,
            *schedule.value(),
            *patients,
            &attendance,
        )?),
        _ => None,
    };
    Ok(Prepared {
        spec,
        evidence,
        attendance,
        plans,
        models,
        intake,
    })
}

/// The fixed part of the formula written with each curve.
const CURVE_FORMULA: &str =
    "logit p = alpha + beta * D, D = per_week * weeks / 4 * max(0, minutes - theta) / 60";

impl Prepared {
    /// The spec.
    #[must_use]
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// How many outcomes are simulated (a clinic's tallies hold one histogram each).
    #[must_use]
    pub fn outcome_count(&self) -> usize {
        self.models.len()
    }

    /// Clinic: the capacity model, with therapists and hours.
    #[must_use]
    pub fn intake(&self) -> Option<&Intake> {
        self.intake.as_ref()
    }

    /// The evidence read.
    #[must_use]
    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// The same run with `reps` replicates (chosen by [`super::pilot`]).
    ///
    /// # Errors
    /// [`SimError::Invalid`] when `reps` is out of range.
    pub fn with_reps(mut self, reps: u64) -> Result<Prepared, SimError> {
        self.spec = self.spec.with_reps(reps)?;
        Ok(self)
    }

    fn trial_design(&self, per_arm: u64) -> TrialDesign<'_> {
        let (test, alpha) = match self.spec.design() {
            Design::Trial { test, alpha, .. } | Design::SampleSize { test, alpha, .. } => {
                (*test, *alpha)
            }
            Design::Clinic { .. } => (Test::Fisher, 0.05),
        };
        TrialDesign {
            plans: &self.plans,
            per_arm,
            model: &self.models[0],
            attendance: &self.attendance,
            adverse_per_session: self.evidence.adverse_per_session,
            test,
            alpha,
        }
    }

    /// Clinic tallies of `reps` replicates (of `shard`), or `None` for another command.
    #[must_use]
    pub fn clinic_tally(&self, reps: u64, shard: Shard, threads: usize) -> Option<ClinicTally> {
        let Design::Clinic {
            schedule,
            patients,
            cost,
            ..
        } = self.spec.design()
        else {
            return None;
        };
        Some(clinic::simulate(
            *schedule.value(),
            *patients,
            &self.models,
            &self.attendance,
            self.evidence.adverse_per_session,
            reps,
            self.spec.seed(),
            shard,
            threads,
            Extras {
                cost: cost.is_some(),
                capacity: self.intake,
            },
        ))
    }

    /// Trial tallies of `reps` replicates (of `shard`), or `None` for another command.
    #[must_use]
    pub fn trial_tally(&self, reps: u64, shard: Shard, threads: usize) -> Option<TrialTally> {
        let Design::Trial { per_arm, .. } = self.spec.design() else {
            return None;
        };
        Some(trial::simulate(
            &self.trial_design(*per_arm),
            reps,
            self.spec.seed(),
            shard,
            threads,
        ))
    }

    /// The arms' evidence, prior, assumptions: the keys every document starts with.
    fn header(&self, outcomes: &[PrimaryOutcome]) -> Header {
        let spec = &self.spec;
        let arms = self
            .plans
            .iter()
            .map(|&plan| {
                let mut entry = ArmEvidence::default();
                for &o in outcomes {
                    let value = match spec.truth().and_then(|t| t.rate(plan)) {
                        Some(r) if o == spec.outcome() => EvidenceEntry::Truth { truth: r },
                        _ => self
                            .evidence
                            .counts(plan, o)
                            .map_or(EvidenceEntry::Untested, |c| EvidenceEntry::Counts {
                                responders: c.responders,
                                n: c.n,
                            }),
                    };
                    match o {
                        PrimaryOutcome::Pain => entry.pain = Some(value),
                        PrimaryOutcome::Ndi => entry.ndi = Some(value),
                    }
                }
                (plan.label(), entry)
            })
            .collect();
        let prior = if spec.model() == Model::DoseResponse {
            "none: maximum likelihood fit, parameter uncertainty from its normal approximation"
        } else if spec.truth().is_some() {
            "jeffreys Beta(1/2, 1/2) for arms without --truth; fixed rates for arms with it"
        } else {
            "jeffreys Beta(1/2, 1/2)"
        };
        Header {
            trialdose_version: TRIALDOSE_VERSION.to_owned(),
            schema_version: SCHEMA_VERSION,
            command: spec.command(),
            reps: spec.reps(),
            seed: spec.seed(),
            model: spec.model(),
            prior: prior.to_owned(),
            evidence: EvidenceReport {
                name: self.evidence.name.clone(),
                source: self.evidence.source.clone(),
                arms: ByLabel(arms),
                without_published_rates: self.evidence.untested(),
            },
            assumptions: Assumptions {
                attendance: self.attendance.describe(),
                adverse_event_per_attended_session: self.evidence.adverse_per_session,
                evidence_rates: "intention-to-treat: they already contain the evidence's attendance, so simulated attendance changes the dose delivered, not the response".to_owned(),
                truth_rates: "full-dose rates: a patient attending a fraction f of the sessions responds with probability f * rate + (1 - f) * control rate".to_owned(),
                pain_and_ndi: "drawn independently given the rates".to_owned(),
            },
        }
    }

    /// The fitted curves of the models and their warnings for the simulated arms.
    fn curves(&self) -> (Option<Curves>, Option<Vec<String>>) {
        let mut curves = Curves::default();
        let mut any = false;
        let mut warnings = Vec::new();
        for m in &self.models {
            let Some(c) = &m.curve else { continue };
            let curve = curve(c);
            match c.outcome {
                PrimaryOutcome::Pain => curves.pain = Some(curve),
                PrimaryOutcome::Ndi => curves.ndi = Some(curve),
            }
            any = true;
            for plan in &self.plans {
                for w in c.warnings(*plan) {
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                }
            }
        }
        (
            any.then_some(curves),
            (!warnings.is_empty()).then_some(warnings),
        )
    }

    /// The clinic result of a tally (one process's, or merged shards').
    ///
    /// # Errors
    /// [`SimError::Invalid`] when the spec is not a clinic.
    pub fn summarize_clinic(
        &self,
        tally: ClinicTally,
        shard: Shard,
    ) -> Result<ClinicResult, SimError> {
        let Design::Clinic {
            schedule,
            patients,
            cost: prices,
            capacity: staffing,
        } = self.spec.design()
        else {
            return Err(not_a(self, "clinic"));
        };
        let plan = *schedule.value();
        let reps = tally.reps;
        let mut outcomes = ClinicOutcomes::default();
        for (k, m) in self.models.iter().enumerate() {
            let hist = tally.responders.get(k).cloned().unwrap_or_default();
            let o = Some(ClinicOutcome {
                responders: clinic::responders_summary(&hist, reps),
            });
            match m.outcome {
                PrimaryOutcome::Pain => outcomes.pain = o,
                PrimaryOutcome::Ndi => outcomes.ndi = o,
            }
        }
        let n = f64::from((*patients).max(1));
        let (dose_response, warnings) = self.curves();
        let outcome_order: Vec<PrimaryOutcome> = self.models.iter().map(|m| m.outcome).collect();
        let cost = match (prices, &tally.cost) {
            (Some(prices), Some(t)) => Some(Box::new(cost::summarize_cost(
                prices,
                plan.minutes(),
                *patients,
                &tally.sessions,
                &tally.responders,
                t,
                &outcome_order,
            ))),
            _ => None,
        };
        let capacity = match (staffing, &self.intake, &tally.capacity) {
            (Some(staffing), Some(intake), Some(t)) => Some(Box::new(cost::summarize_capacity(
                staffing, intake, t, reps,
            ))),
            _ => None,
        };
        Ok(ClinicResult {
            header: self.header(&self.models.iter().map(|m| m.outcome).collect::<Vec<_>>()),
            schedule: plan.label(),
            patients: *patients,
            outcomes,
            attendance: AttendanceResult {
                adherent_share: tally.adherent.mean(reps, 1.0 / n),
                sessions_per_patient: tally.sessions.mean(reps, 1.0 / n),
                minutes_per_patient: tally.sessions.mean(reps, f64::from(plan.minutes()) / n),
            },
            adverse_events: AdverseResult {
                share_of_patients: tally.adverse.mean(reps, 1.0 / n),
            },
            cost,
            capacity,
            dose_response,
            warnings,
            spec: self.spec.clone(),
            shard,
            state: tally,
        })
    }

    /// The trial result of a tally (one process's, or merged shards').
    ///
    /// # Errors
    /// [`SimError::Invalid`] when the spec is not a trial.
    pub fn summarize_trial(
        &self,
        tally: TrialTally,
        shard: Shard,
    ) -> Result<TrialResult, SimError> {
        let Design::Trial { per_arm, test, .. } = self.spec.design() else {
            return Err(not_a(self, "trial"));
        };
        let model = &self.models[0];
        let reps = tally.reps;
        let all_fixed = model.arms.iter().all(RateSource::is_fixed);
        let arms = self
            .plans
            .iter()
            .enumerate()
            .skip(1)
            .map(|(a, plan)| {
                let figure = match (model.arms[a], model.arms[0]) {
                    (RateSource::Fixed(r), RateSource::Fixed(c)) if r == c => Figure::TypeOneError,
                    _ if all_fixed => Figure::Power,
                    _ => Figure::Assurance,
                };
                let w = tally.width.get(a).copied().unwrap_or_default();
                let trend = *test == Test::Trend;
                let arm = TrialArm {
                    power: (!trend).then(|| {
                        Estimate::proportion(tally.rejections.get(a).copied().unwrap_or(0), reps)
                    }),
                    figure: (!trend).then_some(figure),
                    mean_risk_difference: tally
                        .difference
                        .get(a)
                        .copied()
                        .unwrap_or_default()
                        .mean(reps, 1.0 / *per_arm as f64),
                    mean_interval_width: Estimate::mean(w.total(), w.total_sq(), reps),
                };
                (plan.label(), arm)
            })
            .collect();
        let best_arm_first = (tally.best_defined > 0).then(|| {
            Estimate::mean(
                tally.best_first.total(),
                tally.best_first.total_sq(),
                tally.best_defined,
            )
        });
        let (dose_response, warnings) = self.curves();
        Ok(TrialResult {
            header: self.header(&[self.spec.outcome()]),
            arms: ByLabel(arms),
            best_arm_first,
            best_arm_first_reason: best_arm_first.is_none().then(|| {
                "no unique truly best treatment arm (fewer than two treatment arms, or equal rates)"
                    .to_owned()
            }),
            trend: (*test == Test::Trend).then(|| TrendResult {
                power: Estimate::proportion(tally.trend_rejections, reps),
            }),
            dose_response,
            warnings,
            spec: self.spec.clone(),
            shard,
            state: tally,
        })
    }

    /// Runs a clinic spec's replicates of `shard` and summarises them.
    ///
    /// # Errors
    /// [`SimError::Invalid`] when the spec is not a clinic or the shard does not fit.
    pub fn clinic(&self, shard: Shard, threads: usize) -> Result<ClinicResult, SimError> {
        let shard = self.spec.check_shard(shard)?;
        let tally = self
            .clinic_tally(self.spec.reps(), shard, threads)
            .ok_or_else(|| not_a(self, "clinic"))?;
        self.summarize_clinic(tally, shard)
    }

    /// Runs a trial spec's replicates of `shard` and summarises them.
    ///
    /// # Errors
    /// [`SimError::Invalid`] when the spec is not a trial or the shard does not fit.
    pub fn trial(&self, shard: Shard, threads: usize) -> Result<TrialResult, SimError> {
        let shard = self.spec.check_shard(shard)?;
        let tally = self
            .trial_tally(self.spec.reps(), shard, threads)
            .ok_or_else(|| not_a(self, "trial"))?;
        self.summarize_trial(tally, shard)
    }

    /// Searches the smallest per-arm size reaching `target_power` (see [`sample_size`]).
    ///
    /// # Errors
    /// [`SimError::Invalid`] when the target is outside (0, 1), the spec is not a sample-size
    /// spec, or the target is not reached.
    pub fn sample_size(
        &self,
        target_power: f64,
        threads: usize,
    ) -> Result<SampleSizeResult, SimError> {
        if !matches!(self.spec.design(), Design::SampleSize { .. }) {
            return Err(not_a(self, "sample-size"));
        }
        if !(target_power > 0.0 && target_power < 1.0) {
            return Err(SimError::invalid(
                Field::TargetPower,
                target_power,
                "outside (0, 1); e.g. 0.8",
            ));
        }
        let found = sample_size::search(
            &self.trial_design(1),
            target_power,
            self.spec.reps(),
            self.spec.seed(),
            threads,
        )?;
        let (dose_response, warnings) = self.curves();
        Ok(SampleSizeResult {
            header: self.header(&[self.spec.outcome()]),
            target_power,
            per_arm: found.per_arm,
            power_at_per_arm: found.power_at_per_arm,
            power_at_per_arm_minus_1: found.power_at_per_arm_minus_1,
            reps_per_candidate: found.reps,
            power_curve: found
                .curve
                .iter()
                .map(|&(per_arm, power)| PowerPoint { per_arm, power })
                .collect(),
            unresolved_by_monte_carlo_error: found.unresolved,
            dose_response,
            warnings,
            spec: self.spec.clone(),
            shard: Shard::ALL,
            state: (),
        })
    }
}

fn not_a(p: &Prepared, wanted: &str) -> SimError {
    SimError::invalid(
        Field::Command,
        p.spec.command().as_str(),
        format!("not a {wanted} spec"),
    )
}

/// A fitted curve as written in the result.
fn curve(c: &DoseFit) -> Curve {
    Curve {
        formula: CURVE_FORMULA.to_owned(),
        alpha: c.alpha,
        beta: c.beta,
        theta_minutes: c.theta,
        theta_estimated: c.theta_estimated,
        theta_likelihood_set_minutes: [c.theta_set.0, c.theta_set.1],
        theta_uncertainty_carried: false,
        covariance_alpha_beta: c.covariance,
        deviance: c.deviance,
        evidence_arms: c
            .arms
            .iter()
            .map(|(arm, dose, observed, fitted)| CurveArm {
                arm: arm.clone(),
                dose: *dose,
                observed: *observed,
                fitted: *fitted,
            })
            .collect(),
    }
}
