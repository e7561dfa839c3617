//! `trialdose compare --treatment X/N --control Y/M`: every interval, test and NNT for one
//! treatment-versus-control table, from counts alone, as a readable block or as JSON.

use std::io::Write as _;
use std::process::ExitCode;

use trialdose::compare::{MAX_PARTICIPANTS, TwoByTwo, compare};
use trialdose::stats::{Binomial, Level};

use super::{RdMethodArg, UsageError};

/// Arguments of `compare`.
#[derive(clap::Args)]
pub struct Args {
    /// Treatment responders out of participants, e.g. 24/38.
    #[arg(long, value_name = "X/N", allow_hyphen_values = true)]
    treatment: String,
    /// Control responders out of participants, e.g. 10/38.
    #[arg(long, value_name = "Y/M", allow_hyphen_values = true)]
    control: String,
    /// Confidence level of every interval, between 0 and 1.
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    /// Risk-difference interval behind the NNT's interval (every method is printed).
    #[arg(long, value_enum, default_value = "newcombe")]
    rd_method: RdMethodArg,
    /// Print JSON instead of the readable block.
    #[arg(long)]
    json: bool,
}

/// Parses `X/N` into a validated count, naming the flag in errors.
fn counts(flag: &str, text: &str) -> Result<Binomial, UsageError> {
    let bad = |why: &str| {
        UsageError(format!(
            "--{flag} {text:?}: {why}; write responders/participants with whole numbers, e.g. --{flag} 24/38"
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

/// Runs `compare`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let treatment = counts("treatment", &args.treatment)?;
    let control = counts("control", &args.control)?;
    let level = Level::new(args.level)
        .map_err(|e| UsageError(format!("--level {}: {e}; e.g. --level 0.95", args.level)))?;
    let table = TwoByTwo::new(treatment, control, level, args.rd_method.into()).map_err(|e| {
        UsageError(format!(
            "--treatment {} --control {}: {e}",
            args.treatment, args.control
        ))
    })?;
    let result = compare(&table);
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
