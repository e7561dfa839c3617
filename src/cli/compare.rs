//! `trialdose compare --treatment X/N --control Y/M`: every interval, test and NNT for one
//! treatment-versus-control table, from counts alone, as a readable block or as JSON.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use serde_json::Value;
use trialdose::compare::{TwoByTwo, to_json};
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
    let x: u64 = x
        .trim()
        .parse()
        .map_err(|_| bad("responders is not a whole number"))?;
    let n: u64 = n
        .trim()
        .parse()
        .map_err(|_| bad("participants is not a whole number"))?;
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
    let table = TwoByTwo {
        treatment,
        control,
        level,
        rd_method: args.rd_method.into(),
    };
    let value = to_json(&table);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", block(&value))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A number to 4 decimals, or the reason it is missing.
fn num(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "-".to_owned(), |x| format!("{x:.4}"))
}

/// `[lo, hi]` to 4 decimals; an infinite (null) limit prints as "inf", a missing pair as "-".
fn pair(v: &Value) -> String {
    match v.as_array() {
        Some(a) if a.len() == 2 => {
            let lim = |x: &Value| {
                x.as_f64()
                    .map_or_else(|| "inf".to_owned(), |x| format!("{x:.4}"))
            };
            format!("{} to {}", lim(&a[0]), lim(&a[1]))
        }
        _ => "-".to_owned(),
    }
}

fn p(v: &Value) -> String {
    match v.as_f64() {
        Some(p) if p < 0.0001 => format!("{p:.2e}"),
        Some(p) => format!("{p:.4}"),
        None => "-".to_owned(),
    }
}

/// The readable block.
fn block(v: &Value) -> String {
    let mut s = String::new();
    let level = v["level"].as_f64().unwrap_or(0.95) * 100.0;
    let level = format!(
        "{}%",
        format!("{level:.4}")
            .trim_end_matches('0')
            .trim_end_matches('.')
    );
    let _ = writeln!(s, "{level} confidence intervals");
    for name in ["treatment", "control"] {
        let a = &v[name];
        let _ = writeln!(
            s,
            "{name:<10} {}/{}  rate {}  Wilson {}  Clopper-Pearson {}",
            a["responders"],
            a["n"],
            num(&a["rate"]),
            pair(&a["wilson"]),
            pair(&a["clopper_pearson"])
        );
    }
    let rd = &v["risk_difference"];
    let _ = writeln!(
        s,
        "\nrisk difference (treatment - control) {}",
        num(&rd["estimate"])
    );
    for (key, label) in [
        ("wald", "Wald"),
        ("newcombe", "Newcombe hybrid score"),
        ("agresti_caffo", "Agresti-Caffo"),
        ("miettinen_nurminen", "Miettinen-Nurminen"),
    ] {
        let _ = writeln!(s, "  {label:<22} {}", pair(&rd[key]));
    }
    let rr = &v["risk_ratio"];
    let note = |o: &Value| {
        if o["corrected"].as_bool() == Some(true) {
            "  (0.5 added to every cell: a cell is zero)"
        } else {
            ""
        }
    };
    let _ = writeln!(s, "\nrisk ratio {}{}", num(&rr["estimate"]), note(rr));
    let _ = writeln!(s, "  {:<22} {}", "Katz log", pair(&rr["katz"]));
    let _ = writeln!(
        s,
        "  {:<22} {}",
        "Miettinen-Nurminen",
        pair(&rr["miettinen_nurminen"])
    );
    let or = &v["odds_ratio"];
    let _ = writeln!(s, "\nodds ratio {}{}", num(&or["estimate"]), note(or));
    let _ = writeln!(s, "  {:<22} {}", "Woolf logit", pair(&or["woolf"]));
    let _ = writeln!(
        s,
        "  {:<22} {}  (conditional MLE {})",
        "exact conditional",
        pair(&or["exact"]),
        num(&or["conditional_mle"])
    );
    let nnt = &v["nnt"]["display"];
    let _ = writeln!(
        s,
        "\nnumber needed to treat  {}",
        nnt.as_str().unwrap_or("-")
    );
    let _ = writeln!(
        s,
        "\nFisher exact p {}   chi-square p {}   chi-square (Yates) p {}",
        p(&v["fisher_p"]),
        p(&v["chi2_p"]),
        p(&v["chi2_yates_p"])
    );
    s
}
