//! `trialdose analyze COHORT --out DIR`: responder rates per dose arm versus control.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use trialdose::analysis::adjusted::Covariates;
use trialdose::analysis::stratified::StratifyBy;
use trialdose::analysis::{Analysis, AnalysisOptions, ClusterBy, Missing, Population};
use trialdose::cohort::Cohort;
use trialdose::domain::Outcome;
use trialdose::pipeline::{self, Analyzed};
use trialdose::render::format::{fixed, level_percent, p_value, percent as pct, points as signed};
use trialdose::render::output::ensure_writable_dir;
use trialdose::stats::glm::Model;
use trialdose::stats::{Level, Multiplicity};

use super::{
    EXIT_DATA, HypothesisArg, MissingArg, RdMethodArg, UsageError, print_ledger_summary,
    print_notices, refuse_output_in_cohort, threads,
};

/// Adjustment of the arm-versus-control p-values.
#[derive(Clone, Copy, clap::ValueEnum)]
enum MultiplicityArg {
    /// No adjustment.
    None,
    /// Holm's step-down procedure (family: the arms of one outcome).
    Holm,
    /// Bonferroni (family: the arms of one outcome).
    Bonferroni,
}

/// Analysis population.
#[derive(Clone, Copy, clap::ValueEnum)]
enum PopulationArg {
    /// Every accepted participant in their randomized arm.
    Itt,
    /// Adherent treatment-arm participants and every control participant.
    PerProtocol,
}

/// Arguments of `analyze`.
#[derive(clap::Args)]
pub struct Args {
    /// The cohort folder (participants.csv, sessions.csv, scores.csv, optional trial.toml).
    cohort: PathBuf,
    /// Folder for arms.csv, comparisons.csv, table1.csv, participants.csv, rejections.csv,
    /// summary.json (and results.xlsx with --xlsx).
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
    /// Interval for the risk difference in comparisons.csv and the table.
    #[arg(long, value_enum, default_value = "newcombe")]
    rd_method: RdMethodArg,
    /// Adjust the Fisher p-values of the arms against control, per outcome (adds p_adjusted).
    #[arg(long, value_enum, default_value = "none")]
    multiplicity: MultiplicityArg,
    /// Baseline-adjusted risk ratios (modified Poisson) and odds ratios (logistic) in
    /// adjusted.csv: `baseline` or `baseline,age`.
    #[arg(long, value_name = "baseline[,age]")]
    adjust: Option<String>,
    /// Mantel-Haenszel and stratified Miettinen-Nurminen analysis within the strata of a
    /// participants column (site, sex, age in ten-year bands, clearance, or randomized: the
    /// quarter of randomization): stratified.csv, per treatment arm and outcome.
    #[arg(long, value_enum, value_name = "COLUMN")]
    stratify: Option<StratifyArg>,
    /// Each comparison under ITT (missing = non-responder, missing excluded), per-protocol,
    /// best and worst case for the missing outcomes, and the tipping point: sensitivity.csv.
    #[arg(long)]
    sensitivity: bool,
    /// Margin on the risk difference (a proportion, 0.1 for 10 points) for a
    /// non-inferiority, superiority or equivalence test of every comparison (Farrington-Manning
    /// score test): comparisons.csv gains margin_z, margin_p and margin_rejected.
    #[arg(long, value_name = "D", allow_hyphen_values = true)]
    margin: Option<f64>,
    /// Margin on the risk ratio for the same tests (e.g. 0.8).
    #[arg(long, value_name = "R", allow_hyphen_values = true)]
    margin_ratio: Option<f64>,
    /// What the margin test shows when it rejects.
    #[arg(long, value_enum, default_value = "noninferiority")]
    hypothesis: HypothesisArg,
    /// Compare every other arm with this arm instead of the control (e.g. 60x3: is 60x2 as
    /// good?); comparisons.csv then ends with a reference column.
    #[arg(long, value_name = "ARM")]
    reference: Option<String>,
    /// Cluster-robust (CR1) errors for the --adjust models, the patients of one site (or of
    /// one main therapist) as one cluster (the note column gives the number of clusters and
    /// warns below 30).
    #[arg(long, value_enum, value_name = "UNIT", requires = "adjust")]
    cluster: Option<ClusterArg>,
    /// Robust errors of the modified Poisson model without clusters: hc0 (the DREAM paper's)
    /// or hc1 (HC0 times N/(N-K)).
    #[arg(long, value_enum, default_value = "hc0", conflicts_with = "cluster")]
    robust: RobustArg,
    /// Also write results.xlsx: every table of the run as a sheet (numbers as numbers), a
    /// first sheet describing the columns and the settings. Off by default: on a large
    /// cohort the participants sheet takes longer than the rest of the run.
    #[arg(long)]
    xlsx: bool,
    /// Also write every table as a typed Parquet file beside its CSV (arms.parquet, ...,
    /// participants.parquet, rejections.parquet): counts as Int64, rates and scores as
    /// Float64, yes/no as Boolean, text as String, empty cells as nulls.
    #[arg(long)]
    parquet: bool,
    /// Most threads working at once, over every pool (results never depend on it; default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

/// The robust errors of the unclustered modified Poisson model.
#[derive(Clone, Copy, clap::ValueEnum)]
enum RobustArg {
    /// White's HC0 (the DREAM paper's models).
    Hc0,
    /// HC0 times N/(N - K) (MacKinnon and White 1985).
    Hc1,
}

/// What `--cluster` groups patients by.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ClusterArg {
    /// The site column.
    Site,
    /// The main therapist (most attended sessions; a tie to the one who started the care).
    Therapist,
}

/// The participants columns `--stratify` takes.
#[derive(Clone, Copy, clap::ValueEnum)]
enum StratifyArg {
    /// The site column.
    Site,
    /// The sex column.
    Sex,
    /// The age column in ten-year bands.
    Age,
    /// The medical clearance flag.
    Clearance,
    /// The calendar quarter of randomization.
    Randomized,
}

/// Parses `--adjust`: `baseline` or `baseline,age` (either order, no repeats).
pub(super) fn covariates(text: &str) -> Result<Covariates, UsageError> {
    let mut baseline = false;
    let mut age = false;
    for part in text.split(',').map(str::trim) {
        let seen = match part {
            "baseline" => std::mem::replace(&mut baseline, true),
            "age" => std::mem::replace(&mut age, true),
            other => {
                return Err(UsageError(format!(
                    "--adjust {text}: unknown covariate {other:?}; allowed: baseline, age (e.g. --adjust baseline,age)"
                )));
            }
        };
        if seen {
            return Err(UsageError(format!(
                "--adjust {text}: {part} is named twice"
            )));
        }
    }
    if !baseline {
        return Err(UsageError(format!(
            "--adjust {text}: the models always adjust for the outcome's baseline score; write --adjust baseline or --adjust baseline,age"
        )));
    }
    Ok(Covariates { age })
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
            missing: self.missing.into(),
            level,
            rd_method: self.rd_method.into(),
            multiplicity: match self.multiplicity {
                MultiplicityArg::None => Multiplicity::None,
                MultiplicityArg::Holm => Multiplicity::Holm,
                MultiplicityArg::Bonferroni => Multiplicity::Bonferroni,
            },
            adjust: self.adjust.as_deref().map(covariates).transpose()?,
            stratify: self.stratify.map(|s| match s {
                StratifyArg::Site => StratifyBy::Site,
                StratifyArg::Sex => StratifyBy::Sex,
                StratifyArg::Age => StratifyBy::Age,
                StratifyArg::Clearance => StratifyBy::Clearance,
                StratifyArg::Randomized => StratifyBy::Randomized,
            }),
            sensitivity: self.sensitivity,
            margin: super::margin_arg(self.margin, self.margin_ratio, self.hypothesis)?,
            reference: self.reference_index()?,
            hc1: matches!(self.robust, RobustArg::Hc1),
            cluster: self.cluster.map(|c| match c {
                ClusterArg::Site => ClusterBy::Site,
                ClusterArg::Therapist => ClusterBy::Therapist,
            }),
        })
    }

    /// The arm `--reference` names, as an index into the cohort's arms (its trial.toml, or
    /// DREAM's arms); a name that is not an arm is a usage error listing the arms.
    fn reference_index(&self) -> anyhow::Result<Option<usize>> {
        let Some(id) = &self.reference else {
            return Ok(None);
        };
        // An unreadable trial.toml is reported by the analysis itself, with its own message.
        let Ok(protocol) = trialdose::cohort::load_protocol(&self.cohort) else {
            return Ok(None);
        };
        match protocol.arm_index(id) {
            Some(i) => Ok(Some(i)),
            None => {
                let arms: Vec<&str> = protocol.arms().iter().map(|a| a.id()).collect();
                Err(UsageError(format!(
                    "--reference {id:?} is not an arm of this trial; the arms are {}",
                    arms.join(", ")
                ))
                .into())
            }
        }
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
    refuse_output_in_cohort(&args.out, &args.cohort)?;
    ensure_writable_dir(&args.out)?;
    let rejections_path = args.out.join("rejections.csv");
    let (prepared, result) = match pipeline::analyze_into(
        &args.cohort,
        &args.out,
        options,
        args.skip_invalid,
        threads,
        pipeline::Extra {
            xlsx: args.xlsx,
            parquet: args.parquet,
        },
    )? {
        Analyzed::Done { prepared, analysis } => (prepared, analysis),
        Analyzed::Rejected(cohort) => {
            print_notices(&cohort);
            let mut err = std::io::stderr();
            print_ledger_summary(&mut err, &cohort, 10)?;
            eprintln!(
                "trialdose: {} problem(s); the full list is in {}. Fix the rows, or rerun with --skip-invalid to analyse the accepted rows.",
                cohort.ledger.rejections().len(),
                rejections_path.display()
            );
            return Ok(ExitCode::from(EXIT_DATA));
        }
    };
    let cohort = &prepared.cohort;
    print_notices(cohort);
    if !cohort.ledger.is_empty() {
        let mut err = std::io::stderr();
        print_ledger_summary(&mut err, cohort, 5)?;
        eprintln!(
            "trialdose: --skip-invalid: analysed the accepted rows; {} problem(s) listed in {}",
            cohort.ledger.rejections().len(),
            rejections_path.display()
        );
    }
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{}", super::term::safe(&table(cohort, &result)))?;
    writeln!(stdout, "results: {}", args.out.display())?;
    stdout.flush()?;
    prepared.release(result);
    Ok(ExitCode::SUCCESS)
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
    let control = a
        .options
        .reference
        .unwrap_or_else(|| cohort.protocol.control_index());
    let versus = if a.options.reference.is_some() {
        a.arms[control].arm.clone()
    } else {
        "control".to_owned()
    };
    for outcome in Outcome::BOTH {
        let title = if outcome == Outcome::Pain {
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
        let p_title = match a.options.multiplicity {
            Multiplicity::None => "Fisher p".to_owned(),
            m => format!("p ({})", m.as_str()),
        };
        let _ = writeln!(
            s,
            "  {:<10} {:>9}  {:>22}  {:>26}  {:>8}",
            "arm",
            "n/N",
            format!("rate % ({level} CI)"),
            format!("diff vs {versus} pp ({level} CI)"),
            p_title
        );
        for (i, arm) in a.arms.iter().enumerate() {
            let r = if outcome == Outcome::Pain {
                &arm.pain
            } else {
                &arm.ndi
            };
            let rate = format!("{} ({}-{})", pct(r.rate), pct(r.low), pct(r.high));
            let (diff, p) = if i == control {
                (format!("({versus})"), String::new())
            } else {
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
                        p_value(c.p_adjusted),
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
        if let Some(t) = a.trend.iter().find(|t| t.outcome == outcome) {
            let _ = writeln!(
                s,
                "  trend with minutes per week (Cochran-Armitage): z {}, p {} two-sided, {} one-sided (rising)",
                fixed(t.z, 2),
                p_value(t.p_two_sided),
                p_value(t.p_one_sided)
            );
        }
        for model in Model::BOTH {
            let rows: Vec<_> = a
                .adjusted
                .iter()
                .filter(|r| r.outcome == outcome && r.model == model)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let what = model.label();
            let covariates = a.options.adjust.map_or("", |c| c.as_str());
            let _ = writeln!(s, "  adjusted {what} for {covariates}, n = {}:", rows[0].n);
            for r in rows {
                let text = match r.estimate {
                    Some(e) => format!(
                        "{} ({} to {}), p {}",
                        fixed(Some(e), 2),
                        fixed(r.low, 2),
                        fixed(r.high, 2),
                        p_value(r.p_value)
                    ),
                    None => r.note.clone(),
                };
                let _ = writeln!(s, "    {:<10} {text}", r.arm);
            }
        }
    }
    s
}
