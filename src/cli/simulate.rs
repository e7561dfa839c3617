//! `trialdose simulate clinic|trial|sample-size|merge`: Monte Carlo predictions for a schedule
//! and power for a proposed trial (see `src/sim/`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use trialdose::output::write_atomic;
use trialdose::sim::clinic::{self, ClinicTally};
use trialdose::sim::evidence::{Evidence, Outcome};
use trialdose::sim::model::{OutcomeModel, Truth};
use trialdose::sim::patients::Attendance;
use trialdose::sim::runner::{Merge, Shard};
use trialdose::sim::sample_size;
use trialdose::sim::schedule::Plan;
use trialdose::sim::trial::{self, Test, TrialDesign, TrialTally};
use trialdose::sim::{Estimate, SimError};

use super::progress::Progress;
use super::{DataError, OutcomeArg, UsageError, threads};
use trialdose::sim::cohort_evidence::{self, CohortEvidenceError};

/// Subcommands of `simulate`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// The predictive distribution of responders among N patients booked on a schedule.
    Clinic(ClinicArgs),
    /// Power (or assurance) of a proposed trial, each replicate analysed like `analyze`.
    Trial(TrialArgs),
    /// The smallest per-arm size reaching a target power.
    SampleSize(SampleSizeArgs),
    /// Combine the JSON files of `--shard K/N` runs into the unsharded answer.
    Merge(MergeArgs),
}

/// Options shared by every simulation.
#[derive(clap::Args, Clone)]
pub struct Common {
    /// Evidence the rates come from: `dream` (built in: Sherman et al. 2014, published week-5
    /// responder rates for control, 60x2 and 60x3 with arms of 38; the 30x2, 30x3 and 60x1 rates
    /// were not published), or a cohort folder (rates, attendance and adverse events fitted from
    /// its rows).
    #[arg(long, default_value = "dream")]
    evidence: String,
    /// Rate model: `arms` (each tested schedule's rate drawn from its Jeffreys posterior
    /// Beta(x + 1/2, n - x + 1/2)) or `dose-response` (a logistic curve in effective session
    /// minutes fitted to every evidence arm; predicts untested schedules, with warnings).
    #[arg(long, default_value = "arms")]
    model: String,
    /// Fixed true full-dose responder rates instead of the evidence, e.g. control=0.26,60x2=0.63.
    #[arg(long, value_name = "ARM=RATE,...")]
    truth: Option<String>,
    /// Probability of attending each session, the same for every patient (1: every session);
    /// default: a Beta law fitted to the evidence's attendance.
    #[arg(long, value_name = "P")]
    attendance: Option<f64>,
    /// Replicates.
    #[arg(long, default_value_t = 10_000, conflicts_with = "target_mcse")]
    reps: u64,
    /// Choose the replicates so that the Monte Carlo standard error of the headline shares
    /// (each arm's power; each outcome's responder share in a clinic) is at most E, from a
    /// pilot of 2,000 replicates (same seed).
    #[arg(long, value_name = "E")]
    target_mcse: Option<f64>,
    /// Seed of the random streams (replicate i uses ChaCha8 stream i).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run only shard K of N (replicates K-1, K-1+N, ...); combine with `simulate merge`.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Threads (results never depend on it).
    #[arg(long)]
    threads: Option<usize>,
    /// Print JSON instead of the readable summary.
    #[arg(long)]
    json: bool,
    /// No progress bar (it is shown only when stderr is a terminal anyway).
    #[arg(long)]
    quiet: bool,
    /// Also write the JSON to FILE (atomically).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Arguments of `simulate clinic`.
#[derive(clap::Args)]
pub struct ClinicArgs {
    /// Schedule: MINUTESxPER_WEEKxWEEKS (60x2x4) or MINUTESxPER_WEEK for 4 weeks (60x2).
    #[arg(long)]
    schedule: String,
    /// Patients booked.
    #[arg(long)]
    patients: u32,
    /// Outcome that --truth rates are for (the other comes from the evidence).
    #[arg(long, default_value = "pain")]
    outcome: OutcomeArg,
    #[command(flatten)]
    common: Common,
}

/// Arguments of `simulate trial`.
#[derive(clap::Args)]
pub struct TrialArgs {
    /// Participants per arm.
    #[arg(long)]
    per_arm: u64,
    #[command(flatten)]
    design: DesignArgs,
    #[command(flatten)]
    common: Common,
}

/// The trial design options shared by `trial` and `sample-size`.
#[derive(clap::Args)]
pub struct DesignArgs {
    /// Arms, control first, e.g. control,60x2,60x3.
    #[arg(long)]
    arms: String,
    /// Outcome.
    #[arg(long, value_enum, default_value = "pain")]
    outcome: OutcomeArg,
    /// Test of each replicate.
    #[arg(long, value_enum, default_value = "fisher")]
    test: TestArg,
    /// Significance level (two-sided).
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
}

/// Arguments of `simulate sample-size`.
#[derive(clap::Args)]
pub struct SampleSizeArgs {
    /// Power every treatment arm must reach.
    #[arg(long, default_value_t = 0.8)]
    target_power: f64,
    #[command(flatten)]
    design: DesignArgs,
    #[command(flatten)]
    common: Common,
}

/// Arguments of `simulate merge`.
#[derive(clap::Args)]
pub struct MergeArgs {
    /// The JSON files written with --out by the shards of one run.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print JSON instead of the readable summary.
    #[arg(long)]
    json: bool,
    /// Also write the merged JSON to FILE.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum, Serialize, Deserialize, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum TestArg {
    Fisher,
    Newcombe,
    Trend,
}

impl From<TestArg> for Test {
    fn from(t: TestArg) -> Test {
        match t {
            TestArg::Fisher => Test::Fisher,
            TestArg::Newcombe => Test::Newcombe,
            TestArg::Trend => Test::Trend,
        }
    }
}

/// The options that define a run's answer (everything but threads, shard and output), kept in
/// the JSON so that `merge` can check that shards belong together and rebuild the summary.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Spec {
    command: String,
    evidence: String,
    model: String,
    truth: Option<String>,
    attendance: Option<f64>,
    reps: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_mcse: Option<f64>,
    seed: u64,
    outcome: OutcomeArg,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patients: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arms: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_arm: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    test: Option<TestArg>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alpha: Option<f64>,
}

/// What a spec resolves to.
struct Setup {
    evidence: Evidence,
    truth: Option<Truth>,
    attendance: Attendance,
}

fn usage(e: SimError) -> anyhow::Error {
    UsageError(e.to_string()).into()
}

/// The evidence: built in by name, or fitted from a cohort folder.
fn evidence(name: &str, threads: usize) -> anyhow::Result<Evidence> {
    if name == "dream" || !std::path::Path::new(name).is_dir() {
        return Evidence::named(name).map_err(usage);
    }
    cohort_evidence::from_cohort(std::path::Path::new(name), threads).map_err(|e| match e {
        CohortEvidenceError::Cohort(c) => anyhow::Error::from(c),
        CohortEvidenceError::Rejected { .. } => DataError(e.to_string()).into(),
        CohortEvidenceError::Analysis(a) => anyhow::Error::from(a),
        CohortEvidenceError::Invalid(i) => DataError(i.to_string()).into(),
    })
}

fn setup(spec: &Spec, threads: usize) -> anyhow::Result<Setup> {
    if spec.model != "arms" && spec.model != "dose-response" {
        return Err(UsageError(format!(
            "--model {}: unknown model; available: arms, dose-response",
            spec.model
        ))
        .into());
    }
    if spec.reps == 0 || spec.reps > MAX_REPS {
        return Err(UsageError(format!(
            "--reps {}: allowed 1 to {MAX_REPS}; for more, run shards (--shard K/N) and merge them",
            spec.reps
        ))
        .into());
    }
    let evidence = evidence(&spec.evidence, threads)?;
    let truth = spec
        .truth
        .as_deref()
        .map(Truth::parse)
        .transpose()
        .map_err(usage)?;
    let attendance = match spec.attendance {
        Some(p) => Attendance::fixed(p).map_err(usage)?,
        None => Attendance::beta(evidence.attendance.0, evidence.attendance.1).map_err(usage)?,
    };
    Ok(Setup {
        evidence,
        truth,
        attendance,
    })
}

fn plans(text: &str) -> anyhow::Result<Vec<Plan>> {
    let plans: Vec<Plan> = text
        .split(',')
        .map(|p| Plan::parse(p).map_err(usage))
        .collect::<anyhow::Result<_>>()?;
    if plans.len() < 2 || plans[0] != Plan::Control {
        return Err(UsageError(format!(
            "--arms {text}: list control first and at least one schedule, e.g. --arms control,60x2,60x3"
        ))
        .into());
    }
    for (i, p) in plans.iter().enumerate() {
        if plans[..i].contains(p) || (i > 0 && *p == Plan::Control) {
            return Err(UsageError(format!("--arms {text}: {} is listed twice", p.label())).into());
        }
    }
    Ok(plans)
}

/// Replicates of the pilot run behind `--target-mcse`.
const PILOT_REPS: u64 = 2_000;
/// Most replicates `--target-mcse` may ask for.
const MAX_REPS: u64 = 100_000_000;

/// Replicates reaching `target` MCSE given the largest per-replicate variance of the headline
/// shares seen in the pilot.
fn reps_for(target: f64, variance: f64) -> anyhow::Result<u64> {
    if !(target > 0.0 && target <= 0.5) {
        return Err(UsageError(format!(
            "--target-mcse {target}: outside (0, 0.5]; e.g. 0.005 for power known to half a point"
        ))
        .into());
    }
    let reps = (variance / (target * target)).ceil().max(PILOT_REPS as f64);
    if reps > MAX_REPS as f64 {
        return Err(UsageError(format!(
            "--target-mcse {target}: needs {reps:.0} replicates, more than {MAX_REPS}; ask for a larger MCSE"
        ))
        .into());
    }
    Ok(reps as u64)
}

fn check_alpha(alpha: f64) -> anyhow::Result<()> {
    if (1e-10..1.0).contains(&alpha) {
        Ok(())
    } else {
        Err(UsageError(format!(
            "--alpha {alpha}: outside (0, 1); e.g. --alpha 0.05"
        ))
        .into())
    }
}

fn shard(text: Option<&str>, reps: u64) -> anyhow::Result<Shard> {
    let shard = text.map_or(Ok(Shard::ALL), |t| Shard::parse(t).map_err(usage))?;
    if shard.count > reps {
        return Err(UsageError(format!(
            "--shard {}/{}: more shards than the {reps} replicates; use at most {reps} shards",
            shard.index, shard.count
        ))
        .into());
    }
    Ok(shard)
}

/// Most patients a clinic simulation takes.
const MAX_PATIENTS: u32 = 1_000_000;

/// The rate model of one outcome, by `--model`.
fn outcome_model(
    spec: &Spec,
    setup: &Setup,
    plans: &[Plan],
    outcome: Outcome,
    truth: Option<&Truth>,
) -> Result<OutcomeModel, SimError> {
    if spec.model == "dose-response" {
        OutcomeModel::dose_response(&setup.evidence, truth, plans, outcome)
    } else {
        OutcomeModel::new(&setup.evidence, truth, plans, outcome)
    }
}

/// The fitted curves and their warnings, for the JSON and the text.
fn curve_report(
    models: &[&OutcomeModel],
    plans: &[Plan],
    doc: &mut Map<String, Value>,
    text: &mut String,
) {
    let mut curves = Map::new();
    let mut warnings = Vec::new();
    for m in models {
        let Some(c) = &m.curve else { continue };
        let arms: Vec<Value> = c
            .arms
            .iter()
            .map(|(label, dose, observed, fitted)| json!({"arm": label, "dose": dose, "observed": observed, "fitted": fitted}))
            .collect();
        curves.insert(
            c.outcome.as_str().to_owned(),
            json!({
                "formula": "logit p = alpha + beta * D, D = per_week * weeks / 4 * max(0, minutes - theta) / 60",
                "alpha": c.alpha,
                "beta": c.beta,
                "theta_minutes": c.theta,
                "theta_estimated": c.theta_estimated,
                "theta_likelihood_set_minutes": [c.theta_set.0, c.theta_set.1],
                "theta_uncertainty_carried": false,
                "covariance_alpha_beta": c.covariance,
                "deviance": c.deviance,
                "evidence_arms": arms,
            }),
        );
        let _ = writeln!(
            text,
            "  dose-response ({}): logit p = {:.3} + {:.3} D, threshold {} minutes{}; deviance {:.2} on {} arms",
            c.outcome.as_str(),
            c.alpha,
            c.beta,
            c.theta,
            if c.theta_estimated {
                " (profile likelihood)"
            } else {
                " (not estimable: one session length)"
            },
            c.deviance,
            c.arms.len()
        );
        for plan in plans {
            for w in c.warnings(*plan) {
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
        }
    }
    if !curves.is_empty() {
        doc.insert("dose_response".into(), Value::Object(curves));
    }
    for w in &warnings {
        let _ = writeln!(text, "  warning: {w}");
    }
    if !warnings.is_empty() {
        doc.insert("warnings".into(), json!(warnings));
    }
}

/// The header every JSON carries: reps, seed, model, prior, evidence and assumptions.
fn header(spec: &Spec, setup: &Setup, plans: &[Plan], outcomes: &[Outcome]) -> Map<String, Value> {
    let mut evidence_arms = Map::new();
    for plan in plans {
        let mut entry = Map::new();
        for &o in outcomes {
            let value = match setup.truth.as_ref().and_then(|t| t.rate(*plan)) {
                Some(r) if o == Outcome::from(spec.outcome) => json!({"truth": r}),
                _ => setup.evidence.counts(*plan, o).map_or(
                    Value::Null,
                    |c| json!({"responders": c.responders, "n": c.n}),
                ),
            };
            entry.insert(o.as_str().to_owned(), value);
        }
        evidence_arms.insert(plan.label(), Value::Object(entry));
    }
    let prior = if spec.model == "dose-response" {
        "none: maximum likelihood fit, parameter uncertainty from its normal approximation"
    } else if setup.truth.is_some() {
        "jeffreys Beta(1/2, 1/2) for arms without --truth; fixed rates for arms with it"
    } else {
        "jeffreys Beta(1/2, 1/2)"
    };
    let mut m = Map::new();
    m.insert("command".into(), json!(spec.command));
    m.insert("reps".into(), json!(spec.reps));
    m.insert("seed".into(), json!(spec.seed));
    m.insert("model".into(), json!(spec.model));
    m.insert("prior".into(), json!(prior));
    m.insert(
        "evidence".into(),
        json!({
            "name": setup.evidence.name,
            "source": setup.evidence.source,
            "arms": evidence_arms,
            "without_published_rates": setup.evidence.untested(),
        }),
    );
    m.insert(
        "assumptions".into(),
        json!({
            "attendance": setup.attendance.describe(),
            "adverse_event_per_attended_session": setup.evidence.adverse_per_session,
            "evidence_rates": "intention-to-treat: they already contain the evidence's attendance, so simulated attendance changes the dose delivered, not the response",
            "truth_rates": "full-dose rates: a patient attending a fraction f of the sessions responds with probability f * rate + (1 - f) * control rate",
            "pain_and_ndi": "drawn independently given the rates",
        }),
    );
    m
}

fn finish(
    mut doc: Map<String, Value>,
    spec: &Spec,
    shard: Shard,
    state: Value,
    text: String,
    json_out: bool,
    out: Option<&PathBuf>,
) -> anyhow::Result<ExitCode> {
    doc.insert("spec".into(), serde_json::to_value(spec)?);
    doc.insert(
        "shard".into(),
        json!(format!("{}/{}", shard.index, shard.count)),
    );
    doc.insert("state".into(), state);
    let mut bytes = serde_json::to_vec_pretty(&Value::Object(doc))?;
    bytes.push(b'\n');
    if let Some(path) = out {
        write_atomic(path, &bytes)?;
    }
    let mut stdout = std::io::stdout().lock();
    if json_out {
        stdout.write_all(&bytes)?;
    } else {
        stdout.write_all(text.as_bytes())?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn est(e: Estimate, digits: usize) -> String {
    format!("{:.*} (MCSE {:.*})", digits, e.estimate, digits, e.mcse)
}

/// Clinic results and their text, from a tally.
fn clinic_report(
    spec: &Spec,
    setup: &Setup,
    tally: &ClinicTally,
) -> anyhow::Result<(Map<String, Value>, String)> {
    let plan = Plan::parse(spec.schedule.as_deref().unwrap_or_default()).map_err(usage)?;
    let patients = spec.patients.unwrap_or(0);
    let outcomes = clinic_outcomes(spec, setup, plan)?;
    let mut doc = header(
        spec,
        setup,
        &[plan],
        &outcomes.iter().map(|m| m.outcome).collect::<Vec<_>>(),
    );
    let reps = tally.reps;
    let mut outs = Map::new();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} patients on {} ({} sessions of {} minutes), {} replicates, seed {}, evidence {}",
        patients,
        plan.label(),
        plan.sessions(),
        plan.minutes(),
        reps,
        spec.seed,
        setup.evidence.name
    );
    for (k, m) in outcomes.iter().enumerate() {
        let hist = tally.responders.get(k).cloned().unwrap_or_default();
        let r = clinic::responders_json(&hist, reps);
        let _ = writeln!(
            text,
            "  {} responders: mean {}, median {}, 95% of replicates {} to {}",
            m.outcome.as_str(),
            est(serde_json::from_value(r["mean"].clone())?, 2),
            r["quantiles"]["0.5"]["estimate"],
            r["quantiles"]["0.025"]["estimate"],
            r["quantiles"]["0.975"]["estimate"],
        );
        outs.insert(m.outcome.as_str().to_owned(), json!({"responders": r}));
    }
    let n = f64::from(patients.max(1));
    let adherent = tally.adherent.mean(reps, 1.0 / n);
    let sessions = tally.sessions.mean(reps, 1.0 / n);
    let minutes = tally.sessions.mean(reps, f64::from(plan.minutes()) / n);
    let adverse = tally.adverse.mean(reps, 1.0 / n);
    let _ = writeln!(
        text,
        "  adherent (>= 75% of sessions): {} of patients",
        est(adherent, 3)
    );
    let _ = writeln!(
        text,
        "  sessions per patient: {}; minutes per patient: {}",
        est(sessions, 2),
        est(minutes, 1)
    );
    let _ = writeln!(
        text,
        "  patients with an adverse event: {}",
        est(adverse, 4)
    );
    doc.insert("schedule".into(), json!(plan.label()));
    doc.insert("patients".into(), json!(patients));
    doc.insert("outcomes".into(), Value::Object(outs));
    doc.insert(
        "attendance".into(),
        json!({"adherent_share": adherent, "sessions_per_patient": sessions, "minutes_per_patient": minutes}),
    );
    doc.insert(
        "adverse_events".into(),
        json!({"share_of_patients": adverse}),
    );
    curve_report(
        &outcomes.iter().collect::<Vec<_>>(),
        &[plan],
        &mut doc,
        &mut text,
    );
    Ok((doc, text))
}

/// The outcome models of a clinic run: both outcomes the evidence (or truth) covers.
fn clinic_outcomes(spec: &Spec, setup: &Setup, plan: Plan) -> anyhow::Result<Vec<OutcomeModel>> {
    let mut models = Vec::new();
    for o in Outcome::BOTH {
        let truth = (o == Outcome::from(spec.outcome))
            .then_some(setup.truth.as_ref())
            .flatten();
        match outcome_model(spec, setup, &[plan], o, truth) {
            Ok(m) => models.push(m),
            Err(e) if o == Outcome::from(spec.outcome) => return Err(usage(e)),
            Err(_) => {}
        }
    }
    Ok(models)
}

fn clinic_spec(a: &ClinicArgs) -> Spec {
    let c = &a.common;
    Spec {
        command: "clinic".into(),
        evidence: c.evidence.clone(),
        model: c.model.clone(),
        truth: c.truth.clone(),
        attendance: c.attendance,
        reps: c.reps,
        target_mcse: c.target_mcse,
        seed: c.seed,
        outcome: a.outcome,
        schedule: Some(a.schedule.clone()),
        patients: Some(a.patients),
        arms: None,
        per_arm: None,
        test: None,
        alpha: None,
    }
}

fn trial_spec(
    command: &str,
    c: &Common,
    arms: &str,
    per_arm: Option<u64>,
    outcome: OutcomeArg,
    test: TestArg,
    alpha: f64,
) -> Spec {
    Spec {
        command: command.into(),
        evidence: c.evidence.clone(),
        model: c.model.clone(),
        truth: c.truth.clone(),
        attendance: c.attendance,
        reps: c.reps,
        target_mcse: c.target_mcse,
        seed: c.seed,
        outcome,
        schedule: None,
        patients: None,
        arms: Some(arms.to_owned()),
        per_arm,
        test: Some(test),
        alpha: Some(alpha),
    }
}

fn run_clinic(a: ClinicArgs) -> anyhow::Result<ExitCode> {
    let spec = clinic_spec(&a);
    let threads = threads(a.common.threads)?;
    let setup = setup(&spec, threads)?;
    let shard = shard(a.common.shard.as_deref(), spec.reps)?;
    if a.patients == 0 || a.patients > MAX_PATIENTS {
        return Err(UsageError(format!(
            "--patients {}: allowed 1 to {MAX_PATIENTS}",
            a.patients
        ))
        .into());
    }
    let plan = Plan::parse(&a.schedule).map_err(usage)?;
    let models = clinic_outcomes(&spec, &setup, plan)?;
    let mut spec = spec;
    if let Some(target) = spec.target_mcse {
        let pilot = clinic::simulate(
            plan,
            a.patients,
            &models,
            &setup.attendance,
            setup.evidence.adverse_per_session,
            PILOT_REPS,
            spec.seed,
            Shard::ALL,
            threads,
        );
        // Variance of each outcome's responder share across replicates.
        let n = f64::from(a.patients);
        let variance = pilot
            .responders
            .iter()
            .map(|hist| {
                let r = pilot.reps as f64;
                let (m1, m2) = hist
                    .iter()
                    .enumerate()
                    .fold((0.0, 0.0), |(m1, m2), (k, &c)| {
                        let share = k as f64 / n;
                        (m1 + share * c as f64 / r, m2 + share * share * c as f64 / r)
                    });
                (m2 - m1 * m1).max(0.0)
            })
            .fold(0.0, f64::max);
        spec.reps = reps_for(target, variance)?;
    }
    let _progress = Progress::start(shard.len(spec.reps), a.common.quiet);
    let tally = clinic::simulate(
        plan,
        a.patients,
        &models,
        &setup.attendance,
        setup.evidence.adverse_per_session,
        spec.reps,
        spec.seed,
        shard,
        threads,
    );
    let (doc, text) = clinic_report(&spec, &setup, &tally)?;
    finish(
        doc,
        &spec,
        shard,
        serde_json::to_value(&tally)?,
        text,
        a.common.json,
        a.common.out.as_ref(),
    )
}

/// Trial results and their text, from a tally.
fn trial_report(
    spec: &Spec,
    setup: &Setup,
    tally: &TrialTally,
) -> anyhow::Result<(Map<String, Value>, String)> {
    let plans = plans(spec.arms.as_deref().unwrap_or_default())?;
    let outcome = Outcome::from(spec.outcome);
    let model = outcome_model(spec, setup, &plans, outcome, setup.truth.as_ref()).map_err(usage)?;
    let mut doc = header(spec, setup, &plans, &[outcome]);
    let reps = tally.reps;
    let n = spec.per_arm.unwrap_or(1);
    let all_fixed = model.arms.iter().all(|s| s.is_fixed());
    let mut text = String::new();
    let test = spec.test.unwrap_or(TestArg::Fisher);
    let _ = writeln!(
        text,
        "trial of {} with {} per arm, {} outcome, {:?} test at alpha {}, {} replicates, seed {}",
        spec.arms.as_deref().unwrap_or_default(),
        n,
        outcome.as_str(),
        test,
        spec.alpha.unwrap_or(0.05),
        reps,
        spec.seed
    );
    let mut arms = Map::new();
    for (a, plan) in plans.iter().enumerate().skip(1) {
        let figure = match (model.arms[a], model.arms[0]) {
            (
                trialdose::sim::model::RateSource::Fixed(r),
                trialdose::sim::model::RateSource::Fixed(c),
            ) if r == c => "type I error",
            _ if all_fixed => "power",
            _ => "assurance (probability of success, rates drawn from the evidence)",
        };
        let power = Estimate::proportion(tally.rejections.get(a).copied().unwrap_or(0), reps);
        let diff = tally
            .difference
            .get(a)
            .copied()
            .unwrap_or_default()
            .mean(reps, 1.0 / n as f64);
        let w = tally.width.get(a).copied().unwrap_or_default();
        let width = Estimate::mean(w.total(), w.total_sq(), reps);
        let mut entry = Map::new();
        if test != TestArg::Trend {
            entry.insert("power".into(), json!(power));
            entry.insert("figure".into(), json!(figure));
            let _ = writeln!(text, "  {:<8} {figure}: {}", plan.label(), est(power, 3));
        }
        entry.insert("mean_risk_difference".into(), json!(diff));
        entry.insert("mean_interval_width".into(), json!(width));
        let _ = writeln!(
            text,
            "  {:<8} mean risk difference {}, mean {}% interval width {}",
            plan.label(),
            est(diff, 3),
            (1.0 - spec.alpha.unwrap_or(0.05)) * 100.0,
            est(width, 3)
        );
        arms.insert(plan.label(), Value::Object(entry));
    }
    doc.insert("arms".into(), Value::Object(arms));
    if tally.best_defined > 0 {
        let b = Estimate::mean(
            tally.best_first.total(),
            tally.best_first.total_sq(),
            tally.best_defined,
        );
        let _ = writeln!(text, "  best arm ranked first: {}", est(b, 3));
        doc.insert("best_arm_first".into(), json!(b));
    } else {
        doc.insert("best_arm_first".into(), Value::Null);
        doc.insert(
            "best_arm_first_reason".into(),
            json!(
                "no unique truly best treatment arm (fewer than two treatment arms, or equal rates)"
            ),
        );
    }
    if test == TestArg::Trend {
        let p = Estimate::proportion(tally.trend_rejections, reps);
        let _ = writeln!(text, "  trend test rejects (rising): {}", est(p, 3));
        doc.insert("trend".into(), json!({"power": p}));
    }
    curve_report(&[&model], &plans, &mut doc, &mut text);
    Ok((doc, text))
}

fn trial_design<'a>(
    plans: &'a [Plan],
    per_arm: u64,
    model: &'a OutcomeModel,
    setup: &'a Setup,
    test: TestArg,
    alpha: f64,
) -> TrialDesign<'a> {
    TrialDesign {
        plans,
        per_arm,
        model,
        attendance: &setup.attendance,
        adverse_per_session: setup.evidence.adverse_per_session,
        test: test.into(),
        alpha,
    }
}

fn run_trial(a: TrialArgs) -> anyhow::Result<ExitCode> {
    let spec = trial_spec(
        "trial",
        &a.common,
        &a.design.arms,
        Some(a.per_arm),
        a.design.outcome,
        a.design.test,
        a.design.alpha,
    );
    let threads = threads(a.common.threads)?;
    let setup = setup(&spec, threads)?;
    let shard = shard(a.common.shard.as_deref(), spec.reps)?;
    check_alpha(a.design.alpha)?;
    if a.per_arm == 0 || a.per_arm > sample_size::MAX_PER_ARM {
        return Err(UsageError(format!(
            "--per-arm {}: allowed 1 to {}, e.g. --per-arm 38",
            a.per_arm,
            sample_size::MAX_PER_ARM
        ))
        .into());
    }
    let plans = plans(&a.design.arms)?;
    let model = outcome_model(
        &spec,
        &setup,
        &plans,
        a.design.outcome.into(),
        setup.truth.as_ref(),
    )
    .map_err(usage)?;
    let design = trial_design(
        &plans,
        a.per_arm,
        &model,
        &setup,
        a.design.test,
        a.design.alpha,
    );
    let mut spec = spec;
    if let Some(target) = spec.target_mcse {
        let pilot = trial::simulate(&design, PILOT_REPS, spec.seed, Shard::ALL, threads);
        let share = |hits: u64| {
            let p = hits as f64 / pilot.reps as f64;
            // At least the variance of a share of 1/R, so a pilot with no hits still counts.
            (p * (1.0 - p)).max(1.0 / pilot.reps as f64)
        };
        let variance = pilot.rejections[1..]
            .iter()
            .chain(std::iter::once(&pilot.trend_rejections))
            .map(|&h| share(h))
            .fold(0.0, f64::max);
        spec.reps = reps_for(target, variance)?;
    }
    let _progress = Progress::start(shard.len(spec.reps), a.common.quiet);
    let tally = trial::simulate(&design, spec.reps, spec.seed, shard, threads);
    let (doc, text) = trial_report(&spec, &setup, &tally)?;
    finish(
        doc,
        &spec,
        shard,
        serde_json::to_value(&tally)?,
        text,
        a.common.json,
        a.common.out.as_ref(),
    )
}

fn run_sample_size(a: SampleSizeArgs) -> anyhow::Result<ExitCode> {
    let spec = trial_spec(
        "sample-size",
        &a.common,
        &a.design.arms,
        None,
        a.design.outcome,
        a.design.test,
        a.design.alpha,
    );
    let threads = threads(a.common.threads)?;
    let setup = setup(&spec, threads)?;
    check_alpha(a.design.alpha)?;
    if a.common.target_mcse.is_some() {
        return Err(UsageError("--target-mcse: sample-size sets its own replicates (doubling them while Monte Carlo error could change the answer); give --reps for the first pass".into()).into());
    }
    if a.common.shard.is_some() {
        return Err(UsageError("--shard: sample-size runs in one process (its search depends on every step); shard simulate trial instead".into()).into());
    }
    if !(a.target_power > 0.0 && a.target_power < 1.0) {
        return Err(UsageError(format!(
            "--target-power {}: outside (0, 1); e.g. 0.8",
            a.target_power
        ))
        .into());
    }
    if a.design.test == TestArg::Trend {
        return Err(UsageError("--test trend: sample-size searches the power of each arm against control; use fisher or newcombe".into()).into());
    }
    let plans = plans(&a.design.arms)?;
    let model = outcome_model(
        &spec,
        &setup,
        &plans,
        a.design.outcome.into(),
        setup.truth.as_ref(),
    )
    .map_err(usage)?;
    let design = trial_design(&plans, 1, &model, &setup, a.design.test, a.design.alpha);
    let found = sample_size::search(&design, a.target_power, spec.reps, spec.seed, threads)
        .map_err(usage)?;
    let mut doc = header(&spec, &setup, &plans, &[a.design.outcome.into()]);
    doc.insert("target_power".into(), json!(a.target_power));
    doc.insert("per_arm".into(), json!(found.per_arm));
    doc.insert("power_at_per_arm".into(), json!(found.power_at_per_arm));
    doc.insert(
        "power_at_per_arm_minus_1".into(),
        json!(found.power_at_per_arm_minus_1),
    );
    doc.insert("reps_per_candidate".into(), json!(found.reps));
    doc.insert(
        "power_curve".into(),
        Value::Array(
            found
                .curve
                .iter()
                .map(|(n, e)| json!({"per_arm": n, "power": e}))
                .collect(),
        ),
    );
    doc.insert(
        "unresolved_by_monte_carlo_error".into(),
        json!(found.unresolved),
    );
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} per arm reach power {} for every arm of {} ({} test, alpha {}): power {} at {} and {} at {} ({} replicates per size){}",
        found.per_arm,
        a.target_power,
        a.design.arms,
        spec.test.map_or("fisher", |t| if t == TestArg::Newcombe {
            "newcombe"
        } else {
            "fisher"
        }),
        a.design.alpha,
        est(found.power_at_per_arm, 3),
        found.per_arm,
        est(found.power_at_per_arm_minus_1, 3),
        found.per_arm - 1,
        found.reps,
        if found.unresolved {
            "; the target is within 2 MCSE even so: the answer may be off by one"
        } else {
            ""
        }
    );
    curve_report(&[&model], &plans, &mut doc, &mut text);
    finish(
        doc,
        &spec,
        Shard::ALL,
        Value::Null,
        text,
        a.common.json,
        a.common.out.as_ref(),
    )
}

fn run_merge(a: MergeArgs) -> anyhow::Result<ExitCode> {
    let mut parts = Vec::new();
    for path in &a.files {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::Error::from(trialdose::cohort::CohortError::Input {
                path: path.clone(),
                source: e,
            })
        })?;
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            UsageError(format!(
                "{}: not a simulate JSON file ({e})",
                path.display()
            ))
        })?;
        let spec: Spec = serde_json::from_value(v["spec"].clone()).map_err(|e| {
            UsageError(format!(
                "{}: no simulation spec ({e}); give files written by simulate --out",
                path.display()
            ))
        })?;
        let shard = v["shard"]
            .as_str()
            .ok_or_else(|| UsageError(format!("{}: no shard", path.display())))
            .and_then(|s| Shard::parse(s).map_err(|e| UsageError(e.to_string())))?;
        parts.push((
            path.clone(),
            spec,
            shard,
            v["state"].clone(),
            v["evidence"].clone(),
        ));
    }
    let (first_path, spec, first_shard, _, _) = &parts[0];
    let count = first_shard.count;
    if count != parts.len() as u64 {
        return Err(usage(SimError::Merge(format!(
            "the files are shards of {count}, but {} file(s) were given; give every shard once",
            parts.len()
        ))));
    }
    let mut seen = vec![false; count as usize];
    for (path, s, shard, _, _) in &parts {
        if s != spec {
            return Err(usage(SimError::Merge(format!(
                "{} was run with other options than {} (command, evidence, truth, reps, seed ...)",
                path.display(),
                first_path.display()
            ))));
        }
        if spec.command == "sample-size" {
            return Err(usage(SimError::Merge(
                "sample-size results are not sharded".into(),
            )));
        }
        if shard.count != count {
            return Err(usage(SimError::Merge(format!(
                "{} is shard {}/{}, others are of {count}",
                path.display(),
                shard.index,
                shard.count
            ))));
        }
        let slot = &mut seen[(shard.index - 1) as usize];
        if *slot {
            return Err(usage(SimError::Merge(format!(
                "shard {}/{count} is given twice",
                shard.index
            ))));
        }
        *slot = true;
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(usage(SimError::Merge(format!(
            "shard {}/{count} is missing",
            missing + 1
        ))));
    }
    let setup = setup(spec, threads(None)?)?;
    let (doc, text, state) = match spec.command.as_str() {
        "clinic" => {
            let mut total = ClinicTally::default();
            for (_, _, _, state, _) in &parts {
                total.merge(&serde_json::from_value(state.clone()).map_err(|e| {
                    UsageError(format!("a shard's state is not readable ({e}); give files written by simulate --out"))
                })?);
            }
            let (doc, text) = clinic_report(spec, &setup, &total)?;
            (doc, text, serde_json::to_value(&total)?)
        }
        _ => {
            let mut total = TrialTally::default();
            for (_, _, _, state, _) in &parts {
                total.merge(&serde_json::from_value(state.clone()).map_err(|e| {
                    UsageError(format!("a shard's state is not readable ({e}); give files written by simulate --out"))
                })?);
            }
            let (doc, text) = trial_report(spec, &setup, &total)?;
            (doc, text, serde_json::to_value(&total)?)
        }
    };
    // The evidence is re-read (a cohort folder is fitted again): it must be what every shard
    // used.
    for (path, _, _, _, evidence) in &parts {
        if doc.get("evidence") != Some(evidence) {
            return Err(usage(SimError::Merge(format!(
                "{}: its evidence differs from the evidence now (a cohort folder changed since the shards ran?)",
                path.display()
            ))));
        }
    }
    finish(doc, spec, Shard::ALL, state, text, a.json, a.out.as_ref())
}

/// Runs `simulate`.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Clinic(a) => run_clinic(a),
        Command::Trial(a) => run_trial(a),
        Command::SampleSize(a) => run_sample_size(a),
        Command::Merge(a) => run_merge(a),
    }
}
