//! `trialdose compare --treatment X/N --control Y/M`: every interval, test and NNT for one
//! treatment-versus-control table, from counts alone, as a readable block or as JSON.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use trialdose::compare::{CompareResult, Limits, MAX_PARTICIPANTS, TwoByTwo, compare};
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
        write!(out, "{}", block(&result))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A number to 4 decimals, or "-" when it is missing.
fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{x:.4}"))
}

/// `lo to hi` to 4 decimals; an infinite limit prints as "inf", a missing pair as "-".
fn pair(v: Option<Limits>) -> String {
    match v {
        Some([low, high]) => {
            let lim = |x: Option<f64>| x.map_or_else(|| "inf".to_owned(), |x| format!("{x:.4}"));
            format!("{} to {}", lim(low), lim(high))
        }
        None => "-".to_owned(),
    }
}

fn p(v: Option<f64>) -> String {
    match v {
        Some(p) if p < 0.0001 => format!("{p:.2e}"),
        Some(p) => format!("{p:.4}"),
        None => "-".to_owned(),
    }
}

/// The readable block.
fn block(v: &CompareResult) -> String {
    let mut s = String::new();
    let level = v.level * 100.0;
    let level = format!(
        "{}%",
        format!("{level:.4}")
            .trim_end_matches('0')
            .trim_end_matches('.')
    );
    let _ = writeln!(s, "{level} confidence intervals");
    for (name, a) in [("treatment", &v.treatment), ("control", &v.control)] {
        let _ = writeln!(
            s,
            "{name:<10} {}/{}  rate {}  Wilson {}  Clopper-Pearson {}",
            a.responders,
            a.n,
            num(a.rate),
            pair(a.wilson),
            pair(a.clopper_pearson)
        );
    }
    let rd = &v.risk_difference;
    let _ = writeln!(
        s,
        "\nrisk difference (treatment - control) {}",
        num(rd.estimate)
    );
    for (limits, label) in [
        (rd.wald, "Wald"),
        (rd.newcombe, "Newcombe hybrid score"),
        (rd.agresti_caffo, "Agresti-Caffo"),
        (rd.miettinen_nurminen, "Miettinen-Nurminen"),
    ] {
        let _ = writeln!(s, "  {label:<22} {}", pair(limits));
    }
    let note = |corrected: bool| {
        if corrected {
            "  (0.5 added to every cell: a cell is zero)"
        } else {
            ""
        }
    };
    let rr = &v.risk_ratio;
    let _ = writeln!(s, "\nrisk ratio {}{}", num(rr.estimate), note(rr.corrected));
    let _ = writeln!(s, "  {:<22} {}", "Katz log", pair(rr.katz));
    let _ = writeln!(
        s,
        "  {:<22} {}",
        "Miettinen-Nurminen",
        pair(rr.miettinen_nurminen)
    );
    let or = &v.odds_ratio;
    let _ = writeln!(s, "\nodds ratio {}{}", num(or.estimate), note(or.corrected));
    let _ = writeln!(s, "  {:<22} {}", "Woolf logit", pair(or.woolf));
    let _ = writeln!(
        s,
        "  {:<22} {}  (conditional MLE {})",
        "exact conditional",
        pair(or.exact),
        num(or.conditional_mle)
    );
    let _ = writeln!(
        s,
        "\nnumber needed to treat  {}",
        v.nnt.display.as_deref().unwrap_or("-")
    );
    let _ = writeln!(
        s,
        "\nFisher exact p {}   chi-square p {}   chi-square (Yates) p {}",
        p(v.fisher_p),
        p(v.chi2_p),
        p(v.chi2_yates_p)
    );
    s
}
