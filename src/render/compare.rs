//! The readable block of `compare`: every interval and test of one 2x2 table, four decimals
//! (p-values in scientific notation below 0.0001), drawn from the typed [`CompareResult`] that
//! `--json` serialises as it is.

use std::fmt::Write as _;

use crate::compare::{CompareResult, Limits, StratifiedResult};

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

/// The readable block `compare` prints.
#[must_use]
pub fn text(v: &CompareResult) -> String {
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
        (rd.scas, "skewness-corrected"),
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
    let _ = writeln!(s, "  {:<22} {}", "skewness-corrected", pair(rr.scas));
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
    match (or.blaker, v.blaker_p) {
        (Some(_), _) => {
            let _ = writeln!(
                s,
                "  {:<22} {}  (matches Blaker's test, p {})",
                "Blaker exact",
                pair(or.blaker),
                p(v.blaker_p)
            );
        }
        (None, Some(_)) => {
            let _ = writeln!(
                s,
                "  {:<22} -  (Blaker's test p {})",
                "Blaker exact",
                p(v.blaker_p)
            );
        }
        (None, None) => {
            let why = v.blaker_p_reason.as_deref().unwrap_or("not computed");
            let _ = writeln!(s, "  {:<22} -  ({why})", "Blaker exact");
        }
    }
    let _ = writeln!(
        s,
        "\nnumber needed to treat  {}",
        v.nnt.display.as_deref().unwrap_or("-")
    );
    let _ = writeln!(
        s,
        "\nFisher exact p {} (mid-p {})   chi-square p {}   chi-square (Yates) p {}",
        p(v.fisher_p),
        p(v.fisher_mid_p),
        p(v.chi2_p),
        p(v.chi2_yates_p)
    );
    if let Some(m) = &v.margin_test {
        let _ = writeln!(
            s,
            "\n{} test, {} margin {} (Farrington-Manning score): z {}  p {}\n  {}; Miettinen-Nurminen {level} interval {}",
            m.hypothesis,
            m.scale,
            m.margin,
            num(m.z),
            p(m.p),
            m.conclusion,
            pair(m.interval)
        );
    }
    s
}

/// The readable block of `compare --strata`.
#[must_use]
pub fn stratified_text(v: &StratifiedResult) -> String {
    let mut s = String::new();
    let level = format!("{:.4}", v.level * 100.0);
    let level = level.trim_end_matches('0').trim_end_matches('.');
    let left_out = v.strata.len() - v.strata_used;
    let _ = writeln!(
        s,
        "{level}% confidence intervals; {} strata, {} used",
        v.strata.len(),
        v.strata_used
    );
    let _ = writeln!(s, "stratum  treatment        control");
    for (i, r) in v.strata.iter().enumerate() {
        let treatment = format!("{}/{}", r.treatment_responders, r.treatment_n);
        let _ = writeln!(
            s,
            "{:<8} {treatment:<16} {}/{}{}",
            i + 1,
            r.control_responders,
            r.control_n,
            if r.used {
                ""
            } else {
                "  (left out: an arm is empty)"
            }
        );
    }
    if left_out > 0 {
        let _ = writeln!(
            s,
            "{left_out} stratum(s) left out: an arm has no participants"
        );
    }
    let _ = writeln!(s, "\nMantel-Haenszel estimates common to the strata");
    for (label, method, row) in [
        ("risk difference", "Sato", &v.mh_risk_difference),
        ("risk ratio", "Greenland-Robins", &v.mh_risk_ratio),
        ("odds ratio", "Robins-Breslow-Greenland", &v.mh_odds_ratio),
    ] {
        match row {
            Some(r) => {
                let _ = writeln!(
                    s,
                    "  {label:<16} {}  {} ({method})",
                    num(Some(r.estimate)),
                    pair(Some(r.interval))
                );
            }
            None => {
                let _ = writeln!(s, "  {label:<16} -  (a sum it divides by is zero)");
            }
        }
        if label == "risk difference" {
            let _ = writeln!(
                s,
                "  {:<16} {:<6}  {} (Miettinen-Nurminen score, MH weights)",
                "",
                "",
                pair(v.mn_risk_difference)
            );
        }
    }
    let test = |t: &Option<crate::compare::TestRow>| match t {
        Some(t) => format!(
            "chi-square {}  df {}  p {}",
            num(Some(t.statistic)),
            t.df,
            p(Some(t.p))
        ),
        None => "-".to_owned(),
    };
    let _ = writeln!(
        s,
        "\n{:<42}{}\n{:<42}{}",
        "Cochran-Mantel-Haenszel (no association)",
        test(&v.cmh),
        "Breslow-Day, Tarone (equal odds ratios)",
        test(&v.breslow_day_tarone)
    );
    s
}
