//! `trialdose simulate clinic|trial|sample-size|merge`: the flags become a checked
//! [`Spec`], the library (`src/sim/`) runs it and returns a typed result, and this file prints
//! the result's summary or JSON. Library errors name a field; here they get the flag's name.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use trialdose::render::output::write_atomic;
use trialdose::sim::cohort_evidence::CohortEvidenceError;
use trialdose::sim::merge::{self, MergeError};
use trialdose::sim::result::SimResult;
use trialdose::sim::run::{self, RunError};
use trialdose::sim::runner::Shard;
use trialdose::sim::spec::{self, Spec, SpecText};
use trialdose::sim::trial::Test;
use trialdose::sim::{Field, SimError, pilot, text};

use super::progress::Progress;
use super::{DataError, OutcomeArg, UsageError, threads};

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
    /// Most threads working at once (results never depend on it; default: every core).
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
    /// Price of each attended session (a missed session is not billed): adds the expected cost
    /// per patient, per responder and per additional responder over the control rate.
    #[arg(long, value_name = "P")]
    price_per_session: Option<f64>,
    /// Price of each attended minute, added to --price-per-session (default 0).
    #[arg(long, value_name = "M")]
    price_per_minute: Option<f64>,
    /// Therapists of the clinic (with --hours-per-week): adds the capacity view, the weeks to
    /// treat the patients and the share of weeks over capacity.
    #[arg(long, value_name = "T")]
    therapists: Option<u32>,
    /// Hours each therapist treats per week (above 0, at most 168).
    #[arg(long, value_name = "H")]
    hours_per_week: Option<f64>,
    /// New patients starting each week (default: the most the capacity allows on average,
    /// floor(T x H x 60 / expected minutes of a course)).
    #[arg(long, value_name = "K")]
    intake_per_week: Option<u32>,
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

#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq, Debug)]
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

/// The flag that sets a field of the spec (a schedule is named by itself: it may come from
/// `--schedule`, `--arms` or `--truth`).
fn flag(field: Field) -> &'static str {
    match field {
        Field::Evidence => "--evidence",
        Field::Model => "--model",
        Field::Truth => "--truth",
        Field::Attendance => "--attendance",
        Field::Reps => "--reps",
        Field::TargetMcse => "--target-mcse",
        Field::Shard => "--shard",
        Field::Schedule => "schedule",
        Field::Patients => "--patients",
        Field::Arms => "--arms",
        Field::PerArm => "--per-arm",
        Field::Alpha => "--alpha",
        Field::TargetPower => "--target-power",
        Field::Test => "--test",
        Field::Command => "command",
        Field::PricePerSession => "--price-per-session",
        Field::PricePerMinute => "--price-per-minute",
        Field::Therapists => "--therapists",
        Field::HoursPerWeek => "--hours-per-week",
        Field::IntakePerWeek => "--intake-per-week",
    }
}

/// A library error in the words of the command line.
fn message(e: &SimError) -> String {
    let SimError::Invalid {
        field,
        value,
        message,
    } = e;
    format!("{} {value}: {message}", flag(*field))
}

fn usage(e: SimError) -> anyhow::Error {
    UsageError(message(&e)).into()
}

/// Exit codes of a run that cannot start: a bad value is a usage error (2), an evidence folder
/// with rejected rows or nothing to fit a data error (65), an unreadable one 66.
fn run_error(e: RunError) -> anyhow::Error {
    match e {
        RunError::Invalid(e) => usage(e),
        RunError::Evidence(CohortEvidenceError::Cohort(c)) => c.into(),
        RunError::Evidence(CohortEvidenceError::Analysis(a)) => a.into(),
        RunError::Evidence(CohortEvidenceError::Invalid(i)) => DataError(message(&i)).into(),
        RunError::Evidence(r @ CohortEvidenceError::Rejected { .. }) => {
            DataError(format!("--evidence: {r}")).into()
        }
    }
}

/// The spec's options common to every command.
fn spec_text(command: spec::Command, c: &Common, outcome: OutcomeArg) -> SpecText {
    SpecText {
        command,
        evidence: c.evidence.clone(),
        model: c.model.clone(),
        truth: c.truth.clone(),
        attendance: c.attendance,
        reps: c.reps,
        target_mcse: c.target_mcse,
        seed: c.seed,
        outcome: outcome.into(),
        schedule: None,
        patients: None,
        arms: None,
        per_arm: None,
        test: None,
        alpha: None,
        price_per_session: None,
        price_per_minute: None,
        therapists: None,
        hours_per_week: None,
        intake_per_week: None,
    }
}

/// Runs a clinic or trial spec (after the pilot of `--target-mcse`) and prints it.
fn run_sharded(spec: SpecText, c: &Common) -> anyhow::Result<ExitCode> {
    let spec = Spec::new(spec).map_err(usage)?;
    let threads = threads(c.threads)?;
    let shard = match c.shard.as_deref() {
        Some(text) => Shard::parse(text).map_err(usage)?,
        None => Shard::ALL,
    };
    spec.check_shard(shard).map_err(usage)?;
    let prepared = run::prepare(spec, threads).map_err(run_error)?;
    let prepared = pilot::choose_reps(prepared, threads).map_err(usage)?;
    let _progress = Progress::start(shard.len(prepared.spec().reps()), c.quiet);
    let result = match prepared.spec().command() {
        spec::Command::Clinic => SimResult::Clinic(prepared.clinic(shard, threads).map_err(usage)?),
        _ => SimResult::Trial(prepared.trial(shard, threads).map_err(usage)?),
    };
    finish(&result, c.json, c.out.as_ref())
}

fn run_clinic(a: ClinicArgs) -> anyhow::Result<ExitCode> {
    super::evidence_folder(&a.common.evidence)?;
    let spec = SpecText {
        schedule: Some(a.schedule.clone()),
        patients: Some(a.patients),
        price_per_session: a.price_per_session,
        price_per_minute: a.price_per_minute,
        therapists: a.therapists,
        hours_per_week: a.hours_per_week,
        intake_per_week: a.intake_per_week,
        ..spec_text(spec::Command::Clinic, &a.common, a.outcome)
    };
    run_sharded(spec, &a.common)
}

fn run_trial(a: TrialArgs) -> anyhow::Result<ExitCode> {
    super::evidence_folder(&a.common.evidence)?;
    let spec = SpecText {
        arms: Some(a.design.arms.clone()),
        per_arm: Some(a.per_arm),
        test: Some(a.design.test.into()),
        alpha: Some(a.design.alpha),
        ..spec_text(spec::Command::Trial, &a.common, a.design.outcome)
    };
    run_sharded(spec, &a.common)
}

fn run_sample_size(a: SampleSizeArgs) -> anyhow::Result<ExitCode> {
    if a.common.shard.is_some() {
        return Err(UsageError("--shard: sample-size runs in one process (its search depends on every step); shard simulate trial instead".into()).into());
    }
    super::evidence_folder(&a.common.evidence)?;
    let spec = SpecText {
        arms: Some(a.design.arms.clone()),
        test: Some(a.design.test.into()),
        alpha: Some(a.design.alpha),
        ..spec_text(spec::Command::SampleSize, &a.common, a.design.outcome)
    };
    let spec = Spec::new(spec).map_err(usage)?;
    let threads = threads(a.common.threads)?;
    let prepared = run::prepare(spec, threads).map_err(run_error)?;
    let result = prepared
        .sample_size(a.target_power, threads)
        .map_err(usage)?;
    finish(
        &SimResult::SampleSize(result),
        a.common.json,
        a.common.out.as_ref(),
    )
}

/// Writes the JSON to `out` (atomically) if asked, and prints the JSON or the summary.
fn finish(result: &SimResult, json: bool, out: Option<&PathBuf>) -> anyhow::Result<ExitCode> {
    let bytes = result.to_json()?;
    if let Some(path) = out {
        write_atomic(path, &bytes)?;
    }
    let mut stdout = std::io::stdout().lock();
    if json {
        stdout.write_all(&bytes)?;
    } else {
        stdout.write_all(text::summary(result).as_bytes())?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Reads a JSON input whole: bounded, regular files only (exit 66 otherwise), UTF-8 (exit 65).
fn read_input(path: &Path) -> anyhow::Result<String> {
    let bytes = super::read_json_input(path)?;
    String::from_utf8(bytes).map_err(|_| {
        DataError(format!(
            "{}: not UTF-8 text, so not a trialdose JSON file",
            path.display()
        ))
        .into()
    })
}

/// Reads a simulation result written with `--out` (exit 65 when it is not one of this version).
pub(super) fn read_result(path: &Path) -> anyhow::Result<SimResult> {
    let text = read_input(path)?;
    SimResult::from_json(&text).map_err(|e| DataError(format!("{}: {e}", path.display())).into())
}

fn run_merge(a: MergeArgs) -> anyhow::Result<ExitCode> {
    let mut files = Vec::with_capacity(a.files.len());
    for path in &a.files {
        files.push((path.display().to_string(), read_input(path)?));
    }
    let merged = merge::merge(&files, threads(None)?).map_err(|e| match e {
        MergeError::Set(_) => UsageError(e.to_string()).into(),
        MergeError::Run(r) => run_error(r),
        other => anyhow::Error::from(DataError(other.to_string())),
    })?;
    finish(&merged, a.json, a.out.as_ref())
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
