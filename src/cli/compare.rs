//! `trialdose compare --treatment X/N --control Y/M`: every interval, test and NNT for one
//! treatment-versus-control table, from counts alone, as a readable block or as JSON; with
//! `--strata X/N:Y/M,...`, the Mantel-Haenszel analysis across several such tables.

use std::io::Write as _;
use std::process::ExitCode;

use trialdose::compare::{MAX_PARTICIPANTS, MAX_STRATA, TwoByTwo, compare, compare_strata};
use trialdose::stats::{Binomial, Level, Stratum};

use super::{HypothesisArg, RdMethodArg, UsageError, margin_arg};

/// Arguments of `compare`.
#[derive(clap::Args)]
pub struct Args {
    /// Treatment responders out of participants, e.g. 24/38.
    #[arg(
        long,
        value_name = "X/N",
        allow_hyphen_values = true,
        required_unless_present = "strata",
        conflicts_with = "strata"
    )]
    treatment: Option<String>,
    /// Control responders out of participants, e.g. 10/38.
    #[arg(
        long,
        value_name = "Y/M",
        allow_hyphen_values = true,
        required_unless_present = "strata",
        conflicts_with = "strata"
    )]
    control: Option<String>,
    /// Several tables, one per stratum (site, sex, ...), each treatment:control, comma
    /// separated, e.g. 24/38:10/38,30/40:12/41: the Mantel-Haenszel risk difference (with its
    /// stratified Miettinen-Nurminen interval), risk ratio and odds ratio, the
    /// Cochran-Mantel-Haenszel test and the Breslow-Day test.
    #[arg(long, value_name = "X/N:Y/M,...", allow_hyphen_values = true)]
    strata: Option<String>,
    /// Confidence level of every interval, between 0 and 1.
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    /// Risk-difference interval behind the NNT's interval (every method is printed).
    #[arg(long, value_enum, default_value = "newcombe")]
    rd_method: RdMethodArg,
    /// Margin on the risk difference for a non-inferiority, superiority or equivalence test
    /// (a proportion: 0.1 for 10 points), Farrington-Manning score test.
    #[arg(
        long,
        value_name = "D",
        allow_hyphen_values = true,
        conflicts_with = "strata"
    )]
    margin: Option<f64>,
    /// Margin on the risk ratio for the same tests (e.g. 0.8), score test.
    #[arg(
        long,
        value_name = "R",
        allow_hyphen_values = true,
        conflicts_with = "strata"
    )]
    margin_ratio: Option<f64>,
    /// What the margin test shows when it rejects.
    #[arg(long, value_enum, default_value = "noninferiority")]
    hypothesis: HypothesisArg,
    /// Print JSON instead of the readable block.
    #[arg(long)]
    json: bool,
}

/// Parses `X/N` into a validated count, naming the flag in errors.
fn counts(flag: &str, text: &str) -> Result<Binomial, UsageError> {
    counts_in(&format!("--{flag}"), &format!("--{flag} 24/38"), text)
}

/// Parses `X/N`; errors start with `place` and end with the example `example`.
fn counts_in(place: &str, example: &str, text: &str) -> Result<Binomial, UsageError> {
    let bad = |why: &str| {
        UsageError(format!(
            "{place} {text:?}: {why}; write responders/participants with whole numbers, e.g. {example}"
        ))
    };
    let (x, n) = text.split_once('/').ok_or_else(|| bad("expected X/N"))?;
    let whole = |value: &str, what: &str| -> Result<u64, UsageError> {
        let value = value.trim();
        value.parse().map_err(|e: std::num::ParseIntError| {
            if *e.kind() == std::num::IntErrorKind::PosOverflow {
                bad(&format!(
                    "{what} {value} is above the largest accepted {MAX_PARTICIPANTS} (2^52)"
                ))
            } else {
                bad(&format!("{what} is not a whole number"))
            }
        })
    };
    let x = whole(x, "responders")?;
    let n = whole(n, "participants")?;
    Binomial::new(x, n).map_err(|_| {
        bad(&format!(
            "{x} responders exceed {n} participants (allowed 0 to {n})"
        ))
    })
}

/// Parses `X/N:Y/M,...` into strata, naming the stratum in errors.
fn strata(text: &str) -> Result<Vec<Stratum>, UsageError> {
    let tables: Vec<&str> = text.split(',').collect();
    if tables.len() > MAX_STRATA {
        return Err(UsageError(format!(
            "--strata has {} tables; at most {MAX_STRATA} are accepted",
            tables.len()
        )));
    }
    tables
        .iter()
        .enumerate()
        .map(|(i, table)| {
            let (t, c) = table.split_once(':').ok_or_else(|| {
                UsageError(format!(
                    "--strata: table {} {table:?} is not treatment:control; write X/N:Y/M for each stratum, e.g. --strata 24/38:10/38,30/40:12/41",
                    i + 1
                ))
            })?;
            let example = "--strata 24/38:10/38,30/40:12/41";
            Ok(Stratum {
                treatment: counts_in(&format!("--strata table {} treatment", i + 1), example, t)?,
                control: counts_in(&format!("--strata table {} control", i + 1), example, c)?,
            })
        })
        .collect()
}

/// Runs `compare`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let level = Level::new(args.level)
        .map_err(|e| UsageError(format!("--level {}: {e}; e.g. --level 0.95", args.level)))?;
    if let Some(text) = &args.strata {
        let result = compare_strata(&strata(text)?, level)
            .map_err(|e| UsageError(format!("--strata: {e}")))?;
        let mut out = std::io::stdout().lock();
        if args.json {
            serde_json::to_writer_pretty(&mut out, &result)?;
            writeln!(out)?;
        } else {
            write!(
                out,
                "{}",
                trialdose::render::compare::stratified_text(&result)
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    // clap requires both without --strata.
    let (Some(t), Some(c)) = (&args.treatment, &args.control) else {
        return Err(UsageError("give --treatment and --control, or --strata".to_owned()).into());
    };
    let treatment = counts("treatment", t)?;
    let control = counts("control", c)?;
    let table = TwoByTwo::new(treatment, control, level, args.rd_method.into())
        .map_err(|e| UsageError(format!("--treatment {t} --control {c}: {e}")))?;
    let mut result = compare(&table);
    if let Some(m) = margin_arg(args.margin, args.margin_ratio, args.hypothesis)? {
        result.margin_test = Some(trialdose::compare::margin_row(
            treatment,
            control,
            m.hypothesis,
            m.margin,
            level,
        ));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &result)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", trialdose::render::compare::text(&result))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
