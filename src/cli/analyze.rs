//! `trialdose analyze COHORT --out DIR`: responder rates per dose arm versus control.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use trialdose::analysis::{self, Analysis, AnalysisOptions, Missing, Population};
use trialdose::cohort::{Cohort, LoadOptions};
use trialdose::derive;
use trialdose::export;
use trialdose::output::{OutputError, ensure_writable_dir, fixed, write_atomic, write_with};
use trialdose::stats::Level;

use super::{
    EXIT_DATA, UsageError, print_ledger_summary, print_notices, refuse_output_in_cohort, threads,
};

/// Analysis population.
#[derive(Clone, Copy, clap::ValueEnum)]
enum PopulationArg {
    /// Every accepted participant in their randomized arm.
    Itt,
    /// Adherent treatment-arm participants and every control participant.
    PerProtocol,
}

/// Meaning of a missing outcome in the ITT population.
#[derive(Clone, Copy, clap::ValueEnum)]
enum MissingArg {
    /// Counted as a non-responder in the denominator.
    Nonresponder,
    /// Dropped from the denominator.
    Exclude,
}

/// Arguments of `analyze`.
#[derive(clap::Args)]
pub struct Args {
    /// The cohort folder (participants.csv, sessions.csv, scores.csv, optional trial.toml).
    cohort: PathBuf,
    /// Folder for arms.csv, comparisons.csv, participants.csv, rejections.csv, summary.json.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Analysis population.
    #[arg(long, value_enum, default_value = "itt")]
    population: PopulationArg,
    /// Missing outcomes in the ITT population: non-responders, or excluded.
    #[arg(long, value_enum, default_value = "nonresponder")]
    missing: MissingArg,
    /// Analyse the accepted rows even when some rows are rejected (counts go to summary.json).
    #[arg(long)]
    skip_invalid: bool,
    /// Confidence level of every interval, between 0 and 1.
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    /// Threads for reading large files (results never depend on it).
    #[arg(long)]
    threads: Option<usize>,
}

impl Args {
    fn options(&self) -> anyhow::Result<AnalysisOptions> {
        let level = Level::new(self.level)
            .map_err(|e| UsageError(format!("--level {}: {e}; e.g. --level 0.95", self.level)))?;
        Ok(AnalysisOptions {
            population: match self.population {
                PopulationArg::Itt => Population::Itt,
                PopulationArg::PerProtocol => Population::PerProtocol,
            },
            missing: match self.missing {
                MissingArg::Nonresponder => Missing::Nonresponder,
                MissingArg::Exclude => Missing::Exclude,
            },
            level,
        })
    }
}

/// Runs `analyze`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = args.options()?;
    let threads = threads(args.threads)?;
    if args.out.as_os_str() == "-" {
        return Err(UsageError(
            "--out -: analyze writes five files and needs a folder, e.g. --out results (only validate writes its ledger to stdout)".into(),
        )
        .into());
    }
    ensure_writable_dir(&args.out)?;
    refuse_output_in_cohort(&args.out, &args.cohort)?;
    let cohort = Cohort::load(&args.cohort, LoadOptions { threads })?;
    print_notices(&cohort);
    let rejections_path = args.out.join("rejections.csv");
    write_with(&rejections_path, |w| {
        export::write_rejections(w, cohort.ledger.rejections())
    })?;
    if !cohort.ledger.is_empty() && !args.skip_invalid {
        // Strict: only rejections.csv. Results of an earlier run must not stay behind looking
        // current.
        for stale in [
            "arms.csv",
            "comparisons.csv",
            "participants.csv",
            "summary.json",
        ] {
            let path = args.out.join(stale);
            if path.exists() {
                std::fs::remove_file(&path).map_err(|source| OutputError { path, source })?;
            }
        }
        let mut err = std::io::stderr();
        print_ledger_summary(&mut err, &cohort, 10)?;
        eprintln!(
            "trialdose: {} problem(s); the full list is in {}. Fix the rows, or rerun with --skip-invalid to analyse the accepted rows.",
            cohort.ledger.rejections().len(),
            rejections_path.display()
        );
        return Ok(ExitCode::from(EXIT_DATA));
    }
    let derived = derive::derive(&cohort, threads);
    // participants.csv (the large file) is written while the per-arm analysis runs.
    let participants_path = args.out.join("participants.csv");
    let (result, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            write_with(&participants_path, |w| {
                export::write_participants(w, &cohort, &derived, threads)
            })
        });
        let result = analysis::analyze(&cohort, &derived, options);
        let written = writer
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (result, written)
    });
    written?;
    let result = result?;
    write_atomic(
        &args.out.join("arms.csv"),
        export::arms_csv(&result).as_bytes(),
    )?;
    write_atomic(
        &args.out.join("comparisons.csv"),
        export::comparisons_csv(&result).as_bytes(),
    )?;
    let summary = export::summary(&cohort, &result, args.skip_invalid);
    write_atomic(
        &args.out.join("summary.json"),
        &export::summary_json(&summary),
    )?;
    if !cohort.ledger.is_empty() {
        let mut err = std::io::stderr();
        print_ledger_summary(&mut err, &cohort, 5)?;
        eprintln!(
            "trialdose: --skip-invalid: analysed the accepted rows; {} problem(s) listed in {}",
            cohort.ledger.rejections().len(),
            rejections_path.display()
        );
    }
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{}", table(&cohort, &result))?;
    writeln!(stdout, "results: {}", args.out.display())?;
    stdout.flush()?;
    // The process ends next: let the OS take back the tables at once instead of freeing
    // millions of rows one allocation at a time (a tenth of a second on a large cohort).
    std::mem::forget(derived);
    std::mem::forget(cohort);
    Ok(ExitCode::SUCCESS)
}

fn pct(v: Option<f64>) -> String {
    fixed(v.map(|x| 100.0 * x), 1)
}

/// The per-arm table printed on stdout.
fn table(cohort: &Cohort, a: &Analysis) -> String {
    let mut s = String::new();
    let pop = match a.options.population {
        Population::Itt => match a.options.missing {
            Missing::Nonresponder => "ITT, missing outcome = non-responder",
            Missing::Exclude => "ITT, missing outcomes excluded",
        },
        Population::PerProtocol => "per-protocol (adherent treatment participants, all controls)",
    };
    let level = format!("{}%", level_percent(a.options.level.value()));
    let _ = writeln!(
        s,
        "{} - {} participants, {pop}",
        cohort.protocol.name(),
        cohort.participants.len()
    );
    let control = cohort.protocol.control_index();
    for k in 0..2usize {
        let title = if k == 0 {
            format!(
                "pain responders (>= {}% reduction, week {})",
                cohort.protocol.pain_min_reduction_pct(),
                cohort.protocol.checkpoint_week()
            )
        } else {
            format!(
                "NDI responders (>= {}-point improvement, week {})",
                cohort.protocol.ndi_min_improvement(),
                cohort.protocol.checkpoint_week()
            )
        };
        let _ = writeln!(s, "\n{title}");
        let _ = writeln!(
            s,
            "  {:<10} {:>9}  {:>22}  {:>26}  {:>8}",
            "arm",
            "n/N",
            format!("rate % ({level} CI)"),
            format!("diff vs control pp ({level} CI)"),
            "Fisher p"
        );
        for (i, arm) in a.arms.iter().enumerate() {
            let r = if k == 0 { &arm.pain } else { &arm.ndi };
            let rate = format!("{} ({}-{})", pct(r.rate), pct(r.low), pct(r.high));
            let (diff, p) = if i == control {
                ("(control)".to_owned(), String::new())
            } else {
                let outcome = if k == 0 { "pain" } else { "ndi" };
                match a
                    .comparisons
                    .iter()
                    .find(|c| c.arm == arm.arm && c.outcome == outcome)
                {
                    Some(c) => (
                        format!(
                            "{} ({} to {})",
                            signed(c.risk_difference),
                            signed(c.rd_low),
                            signed(c.rd_high)
                        ),
                        p_value(c.p_value),
                    ),
                    None => (String::new(), String::new()),
                }
            };
            let _ = writeln!(
                s,
                "  {:<10} {:>9}  {:>22}  {:>26}  {:>8}",
                arm.arm,
                format!("{}/{}", r.responders, r.n),
                rate,
                diff,
                p
            );
        }
    }
    s
}

fn signed(v: Option<f64>) -> String {
    match v {
        Some(x) => format!("{:+.1}", 100.0 * x),
        None => "-".to_owned(),
    }
}

fn p_value(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 0.001 => "<0.001".to_owned(),
        Some(p) => format!("{p:.3}"),
        None => "-".to_owned(),
    }
}

/// `0.95` -> `95`, `0.575` -> `57.5`: the level as a percentage, without float noise.
fn level_percent(level: f64) -> String {
    let text = format!("{:.10}", level * 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
