//! `trialdose audit COHORT --out DIR`: the clinic outcome audit. Writes `units.csv`,
//! `safety.csv`, `worklist.csv`, `audit.json`, `funnel.png`/`funnel.svg` and the audit as
//! `audit.html` (self-contained), `audit.md` (Markdown) and `audit.docx` (Word) into DIR, and
//! prints the units' verdicts. `--documents` chooses fewer documents; `--format` chooses the
//! chart files.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use trialdose::audit::{self, AuditOptions, Benchmark, Overdispersion, UnitKind};
use trialdose::cohort::LoadOptions;
use trialdose::cohort::value::parse_date;
use trialdose::pipeline::{self, AuditSettings, PipelineError};
use trialdose::pseudonym::{KEY_VARIABLE, Key};
use trialdose::render::audit::export;
use trialdose::render::audit::monitor as export_monitor;
use trialdose::render::format::{fixed, percent_sign};
use trialdose::render::output::ensure_writable_dir;

use super::{
    ChartFormat, DataError, DocumentsArg, MissingArg, OutcomeArg, UsageError, load,
    refuse_output_in_cohort, threads,
};

/// Units of the audit.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ByArg {
    /// participants.csv `site`.
    Site,
    /// The therapist who gave most of a participant's attended sessions.
    Therapist,
}

/// Overdispersion adjustment.
#[derive(Clone, Copy, clap::ValueEnum)]
enum OverdispersionArg {
    /// Limits widened by the square root of phi.
    Multiplicative,
    /// Limits widened by a between-unit variance tau-squared.
    Additive,
}

/// Calendar periods of the monitoring over time.
#[derive(Clone, Copy, clap::ValueEnum)]
enum PeriodArg {
    /// Calendar months of the checkpoint date.
    Month,
    /// Calendar quarters of the checkpoint date.
    Quarter,
}

/// Arguments of `audit`.
#[derive(clap::Args)]
pub struct Args {
    /// The cohort folder.
    cohort: PathBuf,
    /// Folder for units.csv, safety.csv, worklist.csv, audit.json, funnel.png/svg, audit.html,
    /// audit.md, audit.docx.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Units compared on the funnel.
    #[arg(long, value_enum, default_value = "site")]
    by: ByArg,
    /// Expected responder rate: dream (DREAM's published rate of each schedule), cohort (the
    /// cohort's own rate per arm over the units in control: a unit far off is left out of it),
    /// cohort-plain (over every unit, Spiegelhalter's plain benchmark) or a fixed rate such as
    /// 0.6.
    #[arg(
        long,
        value_name = "dream|cohort|cohort-plain|RATE",
        default_value = "cohort"
    )]
    benchmark: String,
    /// Outcome whose responders are counted.
    #[arg(long, value_enum, default_value = "pain")]
    outcome: OutcomeArg,
    /// Widen the limits for overdispersion (Spiegelhalter 2005), when phi exceeds 1.
    #[arg(long, value_enum)]
    overdispersion: Option<OverdispersionArg>,
    /// Case-mix adjustment: each patient's expected probability of responding from a logistic
    /// model of their arm and these covariates (baseline, age, sex), fitted on the cohort's
    /// units in control (or on --reference); units are compared on observed/expected with
    /// exact Poisson-binomial limits. Adherence is never adjusted for.
    #[arg(long, value_name = "baseline,age[,sex]")]
    adjust_casemix: Option<String>,
    /// A reference cohort folder whose case-mix model (fitted on its judged treated
    /// participants) gives the expected probabilities, instead of this cohort's own fit.
    #[arg(long, value_name = "COHORT", requires = "adjust_casemix")]
    reference: Option<PathBuf>,
    /// Monitor over time: periods.csv and a run chart by calendar month or quarter of the
    /// checkpoint, and per unit a risk-adjusted CUSUM and VLAD curve (cusum.csv and charts).
    #[arg(long, value_enum, value_name = "month|quarter")]
    over_time: Option<PeriodArg>,
    /// The CUSUM watches for odds of non-response this many times the expected (above 1).
    #[arg(long, value_name = "R", default_value_t = 2.0, requires = "over_time")]
    cusum_odds_ratio: f64,
    /// In-control average run length the CUSUM threshold is chosen for, in patients.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000.0,
        requires = "over_time"
    )]
    cusum_arl: f64,
    /// Seed of the simulation that chooses the CUSUM threshold.
    #[arg(long, value_name = "S", default_value_t = audit::monitor::DEFAULT_SEED, requires = "over_time")]
    cusum_seed: u64,
    /// Judged participants without the outcome: non-responders, or left out.
    #[arg(long, value_enum, default_value = "nonresponder")]
    missing: MissingArg,
    /// Audit date, YYYY-MM-DD (default: the latest date in the cohort).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Suppress counts from 1 to K-1, and whatever would reveal them, in the documents
    /// (audit.html, audit.md, audit.docx), the funnel plot, units.csv, safety.csv and audit.json (not worklist.csv, a list of
    /// participants that stays in the clinic); see the README (1: no suppression).
    #[arg(long, value_name = "K", default_value_t = 1)]
    min_cell: u64,
    /// Print the cohort folder's full path in the documents and audit.json (default: its name).
    #[arg(long)]
    full_paths: bool,
    /// Replace participant ids in worklist.csv (and the documents) by keyed pseudonyms; the key
    /// is read from TRIALDOSE_PSEUDONYM_KEY.
    #[arg(long)]
    pseudonymize: bool,
    /// List the participants needing attention by id (or pseudonym) in the documents.
    #[arg(long)]
    show_ids: bool,
    /// Title of the documents.
    #[arg(long, default_value = "Clinic outcome audit")]
    title: String,
    /// Chart files to write (audit.html always embeds SVG, audit.docx PNG).
    #[arg(long, value_enum, default_value = "both")]
    format: ChartFormat,
    #[command(flatten)]
    documents: DocumentsArg,
    /// Audit the accepted rows even when some rows are rejected.
    #[arg(long)]
    skip_invalid: bool,
    /// Most threads working at once, over every pool (results never depend on it; default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

fn options(args: &Args) -> anyhow::Result<AuditOptions> {
    let as_of = args
        .as_of
        .as_deref()
        .map(|d| {
            parse_date(d).map_err(|why| {
                UsageError(format!(
                    "--as-of {d}: {why}; give a date as YYYY-MM-DD, e.g. --as-of 2012-06-30"
                ))
            })
        })
        .transpose()?;
    Ok(AuditOptions {
        by: match args.by {
            ByArg::Site => UnitKind::Site,
            ByArg::Therapist => UnitKind::Therapist,
        },
        benchmark: Benchmark::parse(&args.benchmark)
            .map_err(|e| UsageError(format!("--benchmark {e}")))?,
        outcome: args.outcome.into(),
        overdispersion: args.overdispersion.map(|o| match o {
            OverdispersionArg::Multiplicative => Overdispersion::Multiplicative,
            OverdispersionArg::Additive => Overdispersion::Additive,
        }),
        missing: args.missing.into(),
        as_of,
        casemix: args
            .adjust_casemix
            .as_deref()
            .map(|t| {
                audit::CaseMix::parse(t).map_err(|e| UsageError(format!("--adjust-casemix {e}")))
            })
            .transpose()?,
        over_time: args
            .over_time
            .map(|period| monitor_options(args, period))
            .transpose()?,
    })
}

/// The monitoring settings, checked before any work is done.
fn monitor_options(
    args: &Args,
    period: PeriodArg,
) -> anyhow::Result<audit::monitor::MonitorOptions> {
    use trialdose::sim::cusum::{MAX_TARGET_ARL, MIN_TARGET_ARL};
    let r = args.cusum_odds_ratio;
    if !(r.is_finite() && r > 1.0 && r <= 100.0) {
        return Err(UsageError(format!(
            "--cusum-odds-ratio {r}: give the rise in the odds of non-response to watch for, a number above 1 and at most 100, e.g. 2 (a doubling)"
        ))
        .into());
    }
    let arl = args.cusum_arl;
    if !(MIN_TARGET_ARL..=MAX_TARGET_ARL).contains(&arl) {
        return Err(UsageError(format!(
            "--cusum-arl {arl}: give the in-control average run length in patients, from {MIN_TARGET_ARL} to {MAX_TARGET_ARL}, e.g. 1000"
        ))
        .into());
    }
    Ok(audit::monitor::MonitorOptions {
        period: match period {
            PeriodArg::Month => audit::monitor::Period::Month,
            PeriodArg::Quarter => audit::monitor::Period::Quarter,
        },
        odds_ratio: r,
        target_arl: arl,
        seed: args.cusum_seed,
    })
}

/// The pseudonym key from the environment, checked before any work is done.
fn key() -> anyhow::Result<Key> {
    let value = std::env::var_os(KEY_VARIABLE).ok_or_else(|| {
        UsageError(format!(
            "--pseudonymize needs a key in {KEY_VARIABLE}; set it to a long random secret the clinic keeps, e.g. `export {KEY_VARIABLE}=$(openssl rand -hex 32)`, and keep it to match later lists"
        ))
    })?;
    Ok(Key::new(value.as_encoded_bytes()).map_err(|e| UsageError(e.to_string()))?)
}

/// Runs `audit`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let threads = threads(args.threads)?;
    if args.min_cell == 0 {
        return Err(UsageError(
            "--min-cell 0: give 1 (no suppression) or more, e.g. --min-cell 5".into(),
        )
        .into());
    }
    let options = options(&args)?;
    if options.casemix.is_some()
        && args.reference.is_none()
        && !matches!(
            options.benchmark,
            Benchmark::Cohort | Benchmark::CohortPlain
        )
    {
        return Err(UsageError(format!(
            "--adjust-casemix with --benchmark {}: the case-mix model is fitted on the cohort (--benchmark cohort or cohort-plain) or on a reference cohort (--reference COHORT)",
            args.benchmark
        ))
        .into());
    }
    let key = if args.pseudonymize {
        Some(key()?)
    } else {
        None
    };
    refuse_output_in_cohort(&args.out, &args.cohort)?;
    ensure_writable_dir(&args.out)?;
    let prepared = load(
        &args.cohort,
        LoadOptions {
            threads,
            digests: true,
        },
        args.skip_invalid,
    )?;
    // The reference cohort is loaded and checked as the audited one is.
    let reference = args
        .reference
        .as_deref()
        .map(|dir| {
            load(
                dir,
                LoadOptions {
                    threads,
                    digests: true,
                },
                args.skip_invalid,
            )
        })
        .transpose()?;
    let settings = AuditSettings {
        reference: reference.as_ref(),
        title: &args.title,
        min_cell: args.min_cell,
        full_paths: args.full_paths,
        key: key.as_ref(),
        show_ids: args.show_ids,
        files: args.format.into(),
        documents: args.documents.chosen(),
        threads,
    };
    let audited = pipeline::audit_into(&prepared, &args.out, options, &settings).map_err(|e| {
        // The library says what is wrong; the flag that fixes it is named here.
        let PipelineError::Audit(e) = e else {
            return anyhow::Error::from(e);
        };
        let fix = match e {
            audit::AuditError::NoTreated => "",
            audit::AuditError::NoneStarted { .. } => {
                " (give a later --as-of date, or leave it out)"
            }
            audit::AuditError::NoDate => " (give it with --as-of YYYY-MM-DD)",
            audit::AuditError::CaseMix(_) => {
                " (drop a covariate from --adjust-casemix, or fit on a larger --reference cohort)"
            }
            audit::AuditError::CaseMixBenchmark(_) => "",
            audit::AuditError::Monitor(_) => {
                " (audit at a later date, or ask for a shorter --cusum-arl)"
            }
        };
        DataError(format!("{e}{fix}")).into()
    })?;
    // The console is not suppressed: every unit left out is named.
    let benchmark_notes = audited.audit.benchmark_notes(|_| true);
    for note in audited.audit.notes.iter().chain(&benchmark_notes) {
        eprintln!("trialdose: note: {}", super::term::safe(note));
    }
    // Written with `?`, so a closed pipe (`| head`) ends the run quietly instead of a panic.
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{}", super::term::safe(&summary(&audited.audit)))?;
    writeln!(stdout, "audit: {}", args.out.display())?;
    stdout.flush()?;
    prepared.release(audited);
    Ok(ExitCode::SUCCESS)
}

/// The units' verdicts and the worklist's counts, as the console shows them.
fn summary(a: &audit::Audit) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let o = &a.options;
    let _ = writeln!(
        out,
        "{} responders by {}, benchmark {} ({}){}, as of {}",
        o.outcome.as_str(),
        o.by.as_str(),
        o.benchmark.label(),
        percent_sign(a.target),
        a.casemix.as_ref().map_or(String::new(), |c| format!(
            ", case-mix adjusted for arm,{} (fitted on {})",
            c.model.covariates.label(),
            c.reference.as_deref().unwrap_or("this cohort")
        )),
        trialdose::cohort::value::format_date(a.as_of)
    );
    let _ = writeln!(
        out,
        "  {:<16} {:>10} {:>9} {:>8} {:>9} {:>7}  verdict",
        "unit", "adherent %", "n/N", "rate %", "expect %", "z"
    );
    for u in &a.units {
        let verdict = u.verdict.map_or("-".to_owned(), |v| match v.direction {
            Some(d) => format!("{} ({})", v.band.as_str(), d.as_str()),
            None => v.band.as_str().to_owned(),
        });
        let judged = u.n + u.not_benchmarked;
        let _ = writeln!(
            out,
            "  {:<16} {:>10} {:>9} {:>8} {:>9} {:>7}  {verdict}",
            u.name,
            fixed(
                (judged > 0).then(|| 100.0 * u.adherent as f64 / judged as f64),
                1
            ),
            format!("{}/{}", u.responders, u.n),
            fixed(u.rate.map(|r| 100.0 * r), 1),
            fixed(u.expected.map(|r| 100.0 * r), 1),
            fixed(u.z, 2)
        );
    }
    if let Some(d) = a.dispersion {
        let _ = writeln!(
            out,
            "  phi {:.3}, tau2 {:.5}, adjustment {}",
            d.phi,
            d.tau2,
            match a.applied {
                Some(Overdispersion::Multiplicative) => "multiplicative",
                Some(Overdispersion::Additive) => "additive",
                None => "none",
            }
        );
    }
    let (statuses, flags) = export::worklist_counts(a);
    let list = |items: Vec<String>| items.join(", ");
    if let Some(m) = &a.monitoring {
        let t = &m.threshold;
        let _ = writeln!(
            out,
            "over time by {}: CUSUM odds ratio {}, h {:.2} (in-control run length {:.0} +/- {:.0} patients; a unit at odds ratio {} signals within {:.0} on average)",
            m.options.period.as_str(),
            m.options.odds_ratio,
            t.threshold,
            t.arl0.arl.estimate,
            t.arl0.arl.mcse,
            m.options.odds_ratio,
            t.arl1.arl.estimate
        );
        let signals = export_monitor::signal_sentences(a, m, |_| true);
        if signals.is_empty() {
            let _ = writeln!(out, "  no CUSUM signal");
        }
        for line in signals {
            let _ = writeln!(out, "  {line}");
        }
    }
    let _ = writeln!(
        out,
        "worklist: {} treated participants: {}",
        a.worklist.len(),
        list(
            statuses
                .iter()
                .map(|(s, n)| format!("{} {n}", s.as_str()))
                .collect()
        )
    );
    let _ = writeln!(
        out,
        "  safety flags: {}",
        list(flags.iter().map(|(_, f, n)| format!("{f} {n}")).collect())
    );
    if let Some(all) = a.safety.last() {
        let _ = writeln!(
            out,
            "  adverse events: {}/{} treated ({}), exact p vs 5% = {}",
            all.events,
            all.treated,
            fixed(
                (all.treated > 0).then(|| 100.0 * all.events as f64 / all.treated as f64),
                1
            ) + "%",
            fixed(all.p_value, 3)
        );
    }
    out
}
