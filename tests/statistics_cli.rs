//! Integration tests of the statistics engine through the real binary: `compare`, and the
//! outputs `analyze` gains with the engine (`--rd-method`, `--multiplicity`, `trend.csv`,
//! `--adjust` and `adjusted.csv`). Expected values come from independent software (R 4.2.2,
//! statsmodels 0.15.0, mpmath), with the call next to each literal; tests/reference/cli_values.py
//! reruns them.

// Reference values are copied with every digit their source printed.
#![allow(clippy::excessive_precision)]

mod util;

use std::collections::BTreeMap;

use util::*;

/// Relative tolerance for values that statsmodels and trialdose compute by the same closed form
/// or converged fit (both agree with a 30-digit fit to 1e-12 or better).
const FIT_REL: f64 = 1e-6;
/// Standard errors enter the limits: the 1e-4 tolerance on them.
const LIMIT_REL: f64 = 1e-4;
/// Closed forms against R's printed 17 digits.
const R_REL: f64 = 1e-12;

fn rel_close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs()
}

#[track_caller]
fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        rel_close(got, want, tol),
        "{what}: got {got:e}, want {want:e} (tolerance {tol:e} relative)"
    );
}

fn example() -> std::path::PathBuf {
    dream_like().expect("data/dream-like is committed")
}

fn analyze_example(extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut args = vec![
        "analyze".to_owned(),
        example().display().to_string(),
        "--out".to_owned(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let run = trialdose(&args);
    assert_eq!(run.code, 0, "{run}");
    (tmp, out)
}

/// statsmodels 0.15.0 on the example cohort's participants.csv (ITT, missing outcome = 0):
/// GLM(Poisson, log).fit(cov_type='HC0') and Logit().fit(method='newton'), arm indicators
/// versus control plus pain_baseline (resp. ndi_baseline) and age; exp(coef), 95% Wald limits.
/// (outcome, model, arm) -> (estimate, low, high, p).
fn statsmodels_with_age() -> BTreeMap<(&'static str, &'static str, &'static str), [f64; 4]> {
    let mut m = BTreeMap::new();
    let rows: [(&str, &str, &str, [f64; 4]); 12] = [
        (
            "pain",
            "modified_poisson",
            "30x2",
            [
                1.0649174320169676,
                0.52077250617520709,
                2.1776286642752924,
                0.86317593958691474,
            ],
        ),
        (
            "pain",
            "modified_poisson",
            "60x1",
            [
                1.9196917038476151,
                1.048642510190863,
                3.5142731693669513,
                0.034522228426437603,
            ],
        ),
        (
            "pain",
            "modified_poisson",
            "60x2",
            [
                2.5984946908236761,
                1.46864802247233,
                4.5975445136760449,
                0.0010374417680606295,
            ],
        ),
        (
            "pain",
            "modified_poisson",
            "60x3",
            [
                2.9109999276414116,
                1.6863078593309297,
                5.0251325888325455,
                0.00012511894003584196,
            ],
        ),
        (
            "pain",
            "logistic",
            "60x2",
            [
                6.1840959640399582,
                2.2506331113039622,
                16.992126659994888,
                0.00041092017669524714,
            ],
        ),
        (
            "pain",
            "logistic",
            "60x3",
            [
                10.458934248755046,
                3.560999677192731,
                30.718706974446278,
                1.9517448522649617e-05,
            ],
        ),
        (
            "ndi",
            "modified_poisson",
            "30x3",
            [
                0.48617493106631671,
                0.095623947944118368,
                2.471829167056224,
                0.38471935297955595,
            ],
        ),
        (
            "ndi",
            "modified_poisson",
            "60x2",
            [
                3.0141742706644719,
                1.0665093177230851,
                8.5186752548322779,
                0.037393795191773646,
            ],
        ),
        (
            "ndi",
            "modified_poisson",
            "60x3",
            [
                4.5169997816784351,
                1.6881387096976501,
                12.086262171748501,
                0.0026759065688123883,
            ],
        ),
        (
            "ndi",
            "logistic",
            "30x2",
            [
                0.71069212840820994,
                0.14729137449453605,
                3.4291437846560937,
                0.67061311389602429,
            ],
        ),
        (
            "ndi",
            "logistic",
            "60x1",
            [
                2.5423167724713105,
                0.70370855235105978,
                9.1847321593507516,
                0.15451088465355953,
            ],
        ),
        (
            "ndi",
            "logistic",
            "60x3",
            [
                8.0142421822577266,
                2.3617916509562766,
                27.194641716119843,
                0.00084197715466366473,
            ],
        ),
    ];
    for (o, model, arm, v) in rows {
        m.insert((o, model, arm), v);
    }
    m
}

#[test]
fn adjusted_csv_matches_statsmodels_on_the_example_cohort() {
    let (_tmp, out) = analyze_example(&["--adjust", "baseline,age"]);
    let table = Table::read(&out.join("adjusted.csv"));
    assert_eq!(
        &table.header[..8],
        [
            "arm", "outcome", "model", "estimate", "low", "high", "p_value", "n"
        ]
    );
    // 5 treatment arms x 2 outcomes x 2 models.
    assert_eq!(table.rows.len(), 20);
    let expected = statsmodels_with_age();
    let mut checked = 0;
    for row in &table.rows {
        assert_eq!(row["n"], "228", "{row:?}");
        assert_eq!(row["note"], "", "{row:?}");
        let key = (
            row["outcome"].as_str(),
            row["model"].as_str(),
            row["arm"].as_str(),
        );
        let Some(&[estimate, low, high, p]) = expected
            .iter()
            .find(|(k, _)| (k.0, k.1, k.2) == key)
            .map(|(_, v)| v)
        else {
            continue;
        };
        let what = format!("{key:?}");
        assert_rel(
            num(row, "estimate"),
            estimate,
            FIT_REL,
            &format!("{what} estimate"),
        );
        assert_rel(num(row, "low"), low, LIMIT_REL, &format!("{what} low"));
        assert_rel(num(row, "high"), high, LIMIT_REL, &format!("{what} high"));
        assert_rel(num(row, "p_value"), p, LIMIT_REL, &format!("{what} p"));
        checked += 1;
    }
    assert_eq!(checked, expected.len());
    // Baseline only (statsmodels 0.15.0, same calls without age): pain 60x3 RR
    // 2.9742363624055588 (1.7021297616470101 to 5.1970667212209651); NDI 60x3 logistic OR
    // 8.0917896121038968.
    let (_tmp2, out2) = analyze_example(&["--adjust", "baseline"]);
    let table = Table::read(&out2.join("adjusted.csv"));
    let find = |outcome: &str, model: &str, arm: &str| {
        table
            .rows
            .iter()
            .find(|r| r["outcome"] == outcome && r["model"] == model && r["arm"] == arm)
            .unwrap_or_else(|| panic!("no row {outcome} {model} {arm}"))
    };
    let r = find("pain", "modified_poisson", "60x3");
    assert_rel(
        num(r, "estimate"),
        2.9742363624055588,
        FIT_REL,
        "baseline-only RR",
    );
    assert_rel(
        num(r, "low"),
        1.7021297616470101,
        LIMIT_REL,
        "baseline-only low",
    );
    assert_rel(
        num(r, "high"),
        5.1970667212209651,
        LIMIT_REL,
        "baseline-only high",
    );
    let r = find("ndi", "logistic", "60x3");
    assert_rel(
        num(r, "estimate"),
        8.0917896121038968,
        FIT_REL,
        "baseline-only OR",
    );
}

#[test]
fn trend_csv_matches_r_prop_trend_test() {
    let (_tmp, out) = analyze_example(&[]);
    let table = Table::read(&out.join("trend.csv"));
    assert_eq!(
        table.header,
        ["outcome", "z", "p_two_sided", "p_one_sided", "scores"]
    );
    let scores = "control=0;30x2=60;60x1=60;30x3=90;60x2=120;60x3=180";
    // R 4.2.2: prop.trend.test(c(10, 11, 19, 12, 25, 30), rep(38, 6), c(0, 60, 60, 90, 120, 180))
    //   X-squared 26.904105661543248, p-value 2.1380421529782543e-07 (X-squared = z²).
    // NDI: prop.trend.test(c(4, 3, 9, 2, 12, 19), ...) X-squared 21.16201846995779.
    for (row, (outcome, chi2, p)) in table.rows.iter().zip([
        ("pain", 26.904105661543248, Some(2.1380421529782543e-07)),
        ("ndi", 21.16201846995779, None),
    ]) {
        assert_eq!(row["outcome"], outcome);
        assert_eq!(row["scores"], scores);
        let z = num(row, "z");
        assert!(z > 0.0, "more minutes, more responders: z > 0");
        assert_rel(z * z, chi2, R_REL, &format!("{outcome} z^2"));
        if let Some(p) = p {
            assert_rel(num(row, "p_two_sided"), p, 1e-10, "two-sided p");
            assert_rel(num(row, "p_one_sided"), p / 2.0, 1e-10, "one-sided p");
        }
    }
}

#[test]
fn default_outputs_keep_the_contract_and_options_change_only_what_they_name() {
    let (_tmp, plain) = analyze_example(&[]);
    let (_tmp2, mn) = analyze_example(&[
        "--rd-method",
        "miettinen-nurminen",
        "--multiplicity",
        "holm",
    ]);
    let base = Table::read(&plain.join("comparisons.csv"));
    let other = Table::read(&mn.join("comparisons.csv"));
    assert_eq!(base.header.len(), 22, "no p_adjusted column by default");
    assert!(
        !plain.join("adjusted.csv").exists(),
        "adjusted.csv only with --adjust"
    );
    assert_eq!(other.header.last().map(String::as_str), Some("p_adjusted"));
    assert_eq!(&other.header[..22], &base.header[..]);
    for (b, o) in base.rows.iter().zip(&other.rows) {
        for column in &base.header {
            if column == "rd_low" || column == "rd_high" {
                continue;
            }
            assert_eq!(b[column], o[column], "{column} must not change");
        }
    }
    // mpmath (60 digits): Miettinen-Nurminen 95% for 25/38 vs 10/38 (60x2 pain) - its limits
    // are those of the stats tests' method; here only that the option reached the file.
    let row = other
        .rows
        .iter()
        .find(|r| r["arm"] == "60x2" && r["outcome"] == "pain")
        .unwrap();
    let plain_row = base
        .rows
        .iter()
        .find(|r| r["arm"] == "60x2" && r["outcome"] == "pain")
        .unwrap();
    assert_ne!(row["rd_low"], plain_row["rd_low"]);
    // Holm over the five arms of one outcome (R 4.2.2 p.adjust(p, "holm") on the five Fisher
    // p-values of pain): the smallest is multiplied by 5.
    let pain: Vec<&Row> = other
        .rows
        .iter()
        .filter(|r| r["outcome"] == "pain")
        .collect();
    let smallest = pain
        .iter()
        .min_by(|a, b| num(a, "p_value").total_cmp(&num(b, "p_value")))
        .unwrap();
    assert_rel(
        num(smallest, "p_adjusted"),
        (5.0 * num(smallest, "p_value")).min(1.0),
        1e-15,
        "Holm smallest",
    );
    let summary = read_json(&mn.join("summary.json"));
    assert_eq!(summary["settings"]["multiplicity"], "holm");
    assert!(
        summary["settings"]["rd_method"]
            .as_str()
            .unwrap()
            .starts_with("miettinen_nurminen"),
        "{}",
        summary["settings"]
    );
}

#[test]
fn adjust_and_multiplicity_values_are_checked() {
    let cohort = example();
    let tmp = tempfile::tempdir().unwrap();
    for (flag, value, phrase) in [
        ("--adjust", "age", "baseline"),
        ("--adjust", "baseline,weight", "weight"),
        ("--adjust", "baseline,baseline", "twice"),
        ("--multiplicity", "sidak", "sidak"),
        ("--rd-method", "exact", "exact"),
    ] {
        let run = trialdose([
            "analyze",
            cohort.to_str().unwrap(),
            "--out",
            tmp.path().join("o").to_str().unwrap(),
            flag,
            value,
        ]);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains(phrase), "{run}");
    }
}

#[test]
fn stale_adjusted_csv_is_removed() {
    let (_tmp, out) = analyze_example(&["--adjust", "baseline"]);
    assert!(out.join("adjusted.csv").is_file());
    let run = trialdose([
        "analyze",
        example().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        !out.join("adjusted.csv").exists(),
        "an old adjusted.csv must not look current"
    );
}

#[test]
fn separation_gives_a_note_not_a_number() {
    // Two arms: nobody in 60x2 responds on NDI (all improve by 1 point).
    let mut participants = Vec::new();
    let mut scores = Vec::new();
    for i in 0..12 {
        let arm = if i % 2 == 0 { "control" } else { "60x2" };
        participants.push(format!("P{i},{arm},{},F,A,2013-01-07,,", 30 + i));
        let (base, end) = if arm == "control" && i % 4 == 0 {
            (20, 10)
        } else {
            (20, 19)
        };
        scores.push(format!("P{i},0,{},{base}", 5 + i % 3));
        scores.push(format!("P{i},5,{},{end}", 3 + i % 2));
    }
    let sessions: Vec<String> = (0..12)
        .filter(|i| i % 2 == 1)
        .map(|i| format!("P{i},2013-01-08,60,attended,T1,none"))
        .collect();
    let cohort = Cohort::new(
        &csv(PARTICIPANTS_HEADER, &participants.iter().map(String::as_str).collect::<Vec<_>>()),
        &csv(SESSIONS_HEADER, &sessions.iter().map(String::as_str).collect::<Vec<_>>()),
        &csv(SCORES_HEADER, &scores.iter().map(String::as_str).collect::<Vec<_>>()),
    )
    .with_trial("[[arms]]\nid = \"control\"\ncontrol = true\n[[arms]]\nid = \"60x2\"\nminutes = 60\nper_week = 2\nweeks = 4\n");
    let out = cohort.analyze_ok("out", &["--adjust", "baseline"]);
    let table = Table::read(&out.join("adjusted.csv"));
    let ndi: Vec<&Row> = table
        .rows
        .iter()
        .filter(|r| r["outcome"] == "ndi")
        .collect();
    assert_eq!(ndi.len(), 2);
    for r in ndi {
        assert_eq!(r["estimate"], "", "{r:?}");
        assert!(
            r["note"].contains("separate") && r["note"].contains("60x2"),
            "{r:?}"
        );
    }
}

#[test]
fn compare_json_has_the_documented_keys_and_reference_values() {
    let run = trialdose([
        "compare",
        "--treatment",
        "24/38",
        "--control",
        "10/38",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run}");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    for (path, want, tol) in [
        // mpmath, 60 digits (Miettinen-Nurminen with N/(N-1); Wald; Agresti-Caffo).
        (
            "/risk_difference/miettinen_nurminen/0",
            0.14599013908842787,
            1e-12,
        ),
        (
            "/risk_difference/miettinen_nurminen/1",
            0.55568975442860836,
            1e-12,
        ),
        ("/risk_difference/wald/0", 0.1607561742000264, 1e-12),
        (
            "/risk_difference/agresti_caffo/1",
            0.55409757246695005,
            1e-12,
        ),
        (
            "/risk_ratio/miettinen_nurminen/0",
            1.3811076511112525,
            1e-12,
        ),
        ("/risk_ratio/katz/1", 4.3072405262755857, 1e-12),
        // mpmath exact conditional limits; R's fisher.test p (exact to 1e-15).
        ("/odds_ratio/exact/0", 1.6356460622777171, 1e-10),
        ("/odds_ratio/exact/1", 14.401578647471057, 1e-10),
        ("/fisher_p", 0.0024652054194623085, 1e-12),
        // R 4.2.2 chisq.test(correct = FALSE / TRUE).
        ("/chi2_p", 0.0012389263721746765, 1e-12),
        ("/chi2_yates_p", 0.0027080850501157399, 1e-12),
        // R ratesci scoreci(skew = TRUE) and exact2x2 (tsmethod = "blaker"), written by
        // tests/reference/scas_blaker.R to 10 decimals (RR: 12 digits; Blaker limits: 7).
        ("/risk_difference/scas/0", 0.1478231817, 1e-8),
        ("/risk_difference/scas/1", 0.5615853739, 1e-8),
        ("/risk_ratio/scas/0", 1.388661561456, 1e-8),
        ("/risk_ratio/scas/1", 4.603205587843, 1e-8),
        ("/odds_ratio/blaker/0", 1.706778, 1e-6),
        ("/odds_ratio/blaker/1", 12.9161606, 1e-7),
        ("/blaker_p", 0.00246520541946231, 1e-12),
    ] {
        let got = v.pointer(path).and_then(serde_json::Value::as_f64);
        let got = got.unwrap_or_else(|| panic!("{path} missing in {v}"));
        assert_rel(got, want, tol, path);
    }
    for key in ["treatment", "control"] {
        for field in ["responders", "n", "rate", "wilson", "clopper_pearson"] {
            assert!(!v[key][field].is_null(), "{key}.{field}");
        }
    }
    assert_eq!(v["risk_ratio"]["corrected"], false);
    assert_eq!(v["odds_ratio"]["corrected"], false);
    assert_eq!(v["nnt"]["display"], "NNTB 2.7 (1.8 to 6.9)");
    assert_rel(
        v["nnt"]["estimate"].as_f64().unwrap(),
        38.0 / 14.0,
        1e-15,
        "NNT",
    );
}

#[test]
fn compare_says_why_values_are_missing() {
    let run = trialdose([
        "compare",
        "--treatment",
        "0/0",
        "--control",
        "3/10",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        !run.stdout.contains("NaN") && !run.stdout.contains("inf"),
        "{}",
        run.stdout
    );
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(v["treatment"]["rate"].is_null());
    assert!(
        v["treatment"]["rate_reason"]
            .as_str()
            .unwrap()
            .contains("no participants")
    );
    assert!(v["fisher_p"].is_null());
    assert!(
        v["fisher_p_reason"]
            .as_str()
            .unwrap()
            .contains("treatment arm")
    );
    // Zero control responders: corrected ratios, an infinite upper score limit.
    let run = trialdose([
        "compare",
        "--treatment",
        "5/56",
        "--control",
        "0/29",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["risk_ratio"]["corrected"], true);
    assert!(v["risk_ratio"]["miettinen_nurminen"][1].is_null());
    assert!(
        v["risk_ratio"]["miettinen_nurminen_reason"]
            .as_str()
            .unwrap()
            .contains("infinite")
    );
    // mpmath: 0.71749507827711347.
    assert_rel(
        v["risk_ratio"]["miettinen_nurminen"][0].as_f64().unwrap(),
        0.71749507827711347,
        1e-12,
        "MN ratio lower limit",
    );
    // Equal rates: the NNT is infinite, said in words.
    let run = trialdose([
        "compare",
        "--treatment",
        "10/38",
        "--control",
        "10/38",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(v["nnt"]["estimate"].is_null());
    assert!(v["nnt"]["display"].as_str().unwrap().contains("infinity"));
}

#[test]
fn compare_text_block_and_bad_counts() {
    let run = trialdose(["compare", "--treatment", "24/38", "--control", "10/38"]);
    assert_eq!(run.code, 0, "{run}");
    for phrase in [
        "Miettinen-Nurminen",
        "Agresti-Caffo",
        "exact conditional",
        "NNTB 2.7",
        "Fisher exact p 0.0025",
    ] {
        assert!(run.stdout.contains(phrase), "{phrase}\n{run}");
    }
    for (t, phrase) in [
        ("24", "X/N"),
        ("40/38", "exceed"),
        ("a/38", "whole number"),
        ("-1/38", "whole number"),
    ] {
        let run = trialdose(["compare", "--treatment", t, "--control", "10/38"]);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains(phrase), "{phrase}\n{run}");
    }
    let run = trialdose([
        "compare",
        "--treatment",
        "1/2",
        "--control",
        "1/2",
        "--level",
        "95",
    ]);
    assert_eq!(run.code, 2, "{run}");
}

/// `compare --strata` on SAS PROC FREQ's Migraine example (Active vs Placebo by gender):
/// the CMH statistic SAS prints (8.3052, p 0.0040), and statsmodels 0.15.0 `StratifiedTable`
/// / mpmath of the documented Sato and Greenland-Robins variances for the rest
/// (tests/reference/stratified.py, table "migraine").
#[test]
fn compare_strata_matches_sas_and_statsmodels() {
    let run = trialdose(["compare", "--strata", "16/27:5/25,12/28:7/26", "--json"]);
    assert_eq!(run.code, 0, "{run}");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let get = |path: &str| {
        v.pointer(path)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or_else(|| panic!("{path} missing:\n{}", run.stdout))
    };
    assert!((get("/cmh/statistic") - 8.3052).abs() < 5e-5);
    assert!((get("/cmh/p") - 0.0040).abs() < 5e-5);
    for (path, want) in [
        ("/mh_odds_ratio/estimate", 3.3131680691380487),
        ("/mh_odds_ratio/interval/0", 1.4456131901861207),
        ("/mh_odds_ratio/interval/1", 7.593374720759612),
        ("/mh_risk_ratio/estimate", 2.163596842466537),
        ("/mh_risk_ratio/interval/0", 1.2335679511768665),
        ("/mh_risk_ratio/interval/1", 3.79480618985374),
        ("/mh_risk_difference/estimate", 0.2737598578849622),
        ("/mh_risk_difference/interval/0", 0.09650282509486667),
        ("/mh_risk_difference/se", 0.09043892346404135),
        ("/breslow_day/statistic", 1.492928497986823),
        ("/breslow_day_tarone/statistic", 1.4905373373471231),
    ] {
        assert_rel(get(path), want, R_REL, path);
    }
    // R ratesci scoreci(stratified = TRUE, weighting = "MH", skew = FALSE), to 10 decimals
    // (tests/reference/scas_blaker.R).
    assert!((get("/mn_risk_difference/0") - 0.0890658966).abs() < 2e-9);
    assert!((get("/mn_risk_difference/1") - 0.4404835655).abs() < 2e-9);
    assert_eq!(v["strata_used"], 2);
    assert_eq!(v["strata"][1]["control_n"], 26);

    let text = trialdose(["compare", "--strata", "16/27:5/25,12/28:7/26,3/9:0/0"]);
    assert_eq!(text.code, 0, "{text}");
    for phrase in [
        "3 strata, 2 used",
        "left out: an arm is empty",
        "risk ratio       2.1636  1.2336 to 3.7948 (Greenland-Robins)",
        "Cochran-Mantel-Haenszel (no association)  chi-square 8.3052  df 1  p 0.0040",
    ] {
        assert!(text.stdout.contains(phrase), "{phrase}\n{text}");
    }
    for (strata, phrase) in [
        ("16/27", "table 1"),
        ("16/27:5/25,12/28:x/26", "table 2 control"),
        ("16/27:5/25,30/28:7/26", "exceed"),
    ] {
        let run = trialdose(["compare", "--strata", strata]);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains(phrase), "{phrase}\n{run}");
    }
    let both = trialdose(["compare", "--strata", "1/2:1/2", "--treatment", "1/2"]);
    assert_eq!(both.code, 2, "{both}");
}

/// `analyze --stratify site`: each site's counts are those of the participants.csv the same
/// run writes (ITT, a missing outcome a non-responder), and the pooled row is what
/// `compare --strata` gives for those counts.
#[test]
fn analyze_stratify_counts_each_site_and_pools_as_compare_does() {
    let (_tmp, out) = analyze_example(&["--stratify", "site"]);
    let people = Table::read(&out.join("participants.csv"));
    let strat = Table::read(&out.join("stratified.csv"));
    let mut counts: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
    for p in &people.rows {
        for outcome in ["pain", "ndi"] {
            let c = counts
                .entry((p["site"].clone(), p["arm"].clone(), outcome.to_owned()))
                .or_default();
            c.1 += 1;
            c.0 += u64::from(p[&format!("{outcome}_responder")] == "true");
        }
    }
    let arms: Vec<&str> = strat.column("arm");
    assert!(arms.contains(&"60x3") && !arms.contains(&"control"));
    let mut pooled = 0;
    for r in &strat.rows {
        let key = |arm: &str| (r["stratum"].clone(), arm.to_owned(), r["outcome"].clone());
        if r["row"] == "stratum" {
            let (x, n) = counts[&key(&r["arm"])];
            let (y, m) = counts[&key("control")];
            assert_eq!(r["treatment_responders"], x.to_string(), "{r:?}");
            assert_eq!(r["treatment_n"], n.to_string(), "{r:?}");
            assert_eq!(r["control_responders"], y.to_string(), "{r:?}");
            assert_eq!(r["control_n"], m.to_string(), "{r:?}");
            continue;
        }
        pooled += 1;
        let strata: Vec<String> = strat
            .rows
            .iter()
            .filter(|s| {
                s["row"] == "stratum" && s["arm"] == r["arm"] && s["outcome"] == r["outcome"]
            })
            .map(|s| {
                format!(
                    "{}/{}:{}/{}",
                    s["treatment_responders"],
                    s["treatment_n"],
                    s["control_responders"],
                    s["control_n"]
                )
            })
            .collect();
        let run = trialdose(["compare", "--strata", &strata.join(","), "--json"]);
        assert_eq!(run.code, 0, "{run}");
        let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        for (column, path) in [
            ("mh_risk_difference", "/mh_risk_difference/estimate"),
            ("mn_risk_difference_low", "/mn_risk_difference/0"),
            ("mn_risk_difference_high", "/mn_risk_difference/1"),
            ("mh_risk_ratio_low", "/mh_risk_ratio/interval/0"),
            ("mh_odds_ratio_high", "/mh_odds_ratio/interval/1"),
            ("cmh_p", "/cmh/p"),
            ("breslow_day_tarone_p", "/breslow_day_tarone/p"),
        ] {
            let want = v.pointer(path).and_then(serde_json::Value::as_f64).unwrap();
            let got: f64 = r[column].parse().unwrap();
            assert_rel(
                got,
                want,
                R_REL,
                &format!("{} {} {column}", r["arm"], r["outcome"]),
            );
        }
    }
    // Every treatment arm of arms.csv, two outcomes.
    let treated = Table::read(&out.join("arms.csv"))
        .rows
        .iter()
        .filter(|a| a["is_control"] != "true")
        .count();
    assert!(treated >= 5);
    assert_eq!(pooled, 2 * treated);
}

/// `analyze --stratify age|clearance|randomized`: the strata are the ten-year bands, the
/// clearance flag and the randomization quarters of the input's participants (those the
/// analysis accepted, as listed in its participants.csv), and every participant with a value
/// is in exactly one of them.
#[test]
fn analyze_stratify_by_derived_columns_counts_every_participant_once() {
    let accepted: std::collections::BTreeSet<String> = {
        let (_tmp, out) = analyze_example(&[]);
        Table::read(&out.join("participants.csv"))
            .rows
            .iter()
            .map(|p| p["participant_id"].clone())
            .collect()
    };
    let mut people = Table::read(&example().join("participants.csv"));
    people
        .rows
        .retain(|p| accepted.contains(&p["participant_id"]));
    assert_eq!(people.rows.len(), accepted.len());
    /// The stratum a participants.csv row belongs to, for one `--stratify` column.
    type StratumOf = fn(&Row) -> Option<String>;
    let cases: [(&str, StratumOf); 3] = [
        ("age", |p| {
            let age: i64 = p.get("age")?.parse().ok()?;
            let low = age.div_euclid(10) * 10;
            Some(format!("age {low}-{}", low + 9))
        }),
        ("clearance", |p| {
            Some(
                if p["medical_clearance"] == "yes" {
                    "cleared"
                } else {
                    "not cleared"
                }
                .to_owned(),
            )
        }),
        ("randomized", |p| {
            let date = p.get("randomized_on").filter(|d| d.len() == 10)?;
            let month: u32 = date[5..7].parse().ok()?;
            Some(format!("{}-Q{}", &date[..4], month.div_ceil(3)))
        }),
    ];
    for (column, stratum_of) in cases {
        let (_tmp, out) = analyze_example(&["--stratify", column]);
        let strat = Table::read(&out.join("stratified.csv"));
        let mut want: BTreeMap<(String, String), u64> = BTreeMap::new();
        for p in &people.rows {
            if let Some(s) = stratum_of(p) {
                *want.entry((s, p["arm"].clone())).or_default() += 1;
            }
        }
        let mut seen = 0;
        for r in strat
            .rows
            .iter()
            .filter(|r| r["row"] == "stratum" && r["outcome"] == "pain")
        {
            assert_eq!(r["stratified_by"], column);
            let key = (r["stratum"].clone(), r["arm"].clone());
            assert_eq!(
                r["treatment_n"],
                want.get(&key).copied().unwrap_or(0).to_string(),
                "{column} {r:?}"
            );
            let control = (r["stratum"].clone(), "control".to_owned());
            assert_eq!(
                r["control_n"],
                want.get(&control).copied().unwrap_or(0).to_string(),
                "{column} {r:?}"
            );
            seen += 1;
        }
        assert!(seen >= 2, "{column}: {seen} strata rows");
    }
}

/// `analyze --sensitivity`: each estimand's counts are those of the matching analysis
/// (comparisons.csv under the default, `--missing exclude` and `--population per-protocol`)
/// or of the participants.csv rows (best and worst case), its interval is what `compare`
/// gives for those counts, and the tipping point is the first `k` at which the interval
/// reaches 0 (checked at `k` and `k - 1` through `compare`).
#[test]
fn analyze_sensitivity_rows_match_the_analyses_they_name() {
    let (_t1, out) = analyze_example(&["--sensitivity"]);
    let (_t2, excluded) = analyze_example(&["--missing", "exclude"]);
    let (_t3, pp) = analyze_example(&["--population", "per-protocol"]);
    let sens = Table::read(&out.join("sensitivity.csv"));
    let people = Table::read(&out.join("participants.csv"));
    let comparisons = |dir: &std::path::Path| Table::read(&dir.join("comparisons.csv"));
    let (c_itt, c_ex, c_pp) = (comparisons(&out), comparisons(&excluded), comparisons(&pp));
    let find = |t: &Table, arm: &str, outcome: &str| -> Row {
        t.rows
            .iter()
            .find(|r| r["arm"] == arm && r["outcome"] == outcome)
            .unwrap_or_else(|| panic!("{arm} {outcome} in {}", t.path.display()))
            .clone()
    };
    // (responders, missing, n) per arm and outcome from participants.csv.
    let tally = |arm: &str, outcome: &str| {
        let rows: Vec<&Row> = people.rows.iter().filter(|p| p["arm"] == arm).collect();
        let col = format!("{outcome}_responder");
        let yes = rows.iter().filter(|p| p[&col] == "true").count() as u64;
        let missing = rows.iter().filter(|p| p[&col].is_empty()).count() as u64;
        (yes, missing, rows.len() as u64)
    };
    let counts = |r: &Row| {
        (
            r["responders"].clone(),
            r["n"].clone(),
            r["control_responders"].clone(),
            r["control_n"].clone(),
        )
    };
    let interval = |x: &str, n: &str, y: &str, m: &str| -> Option<(f64, f64)> {
        let run = trialdose([
            "compare",
            "--treatment",
            &format!("{x}/{n}"),
            "--control",
            &format!("{y}/{m}"),
            "--json",
        ]);
        assert_eq!(run.code, 0, "{run}");
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let nc = &v["risk_difference"]["newcombe"];
        Some((nc[0].as_f64()?, nc[1].as_f64()?))
    };
    let mut tipped = 0;
    for r in &sens.rows {
        let (arm, outcome) = (r["arm"].as_str(), r["outcome"].as_str());
        let (ty, tm, tn) = tally(arm, outcome);
        let (cy, cm, cn) = tally("control", outcome);
        let expected = match r["estimand"].as_str() {
            "itt_missing_nonresponder" => counts(&find(&c_itt, arm, outcome)),
            "itt_missing_excluded" => counts(&find(&c_ex, arm, outcome)),
            "per_protocol" => counts(&find(&c_pp, arm, outcome)),
            "best_case" => (
                (ty + tm).to_string(),
                tn.to_string(),
                cy.to_string(),
                cn.to_string(),
            ),
            "worst_case" => (
                ty.to_string(),
                tn.to_string(),
                (cy + cm).to_string(),
                cn.to_string(),
            ),
            "tipping_point" => {
                assert_eq!(r["treatment_missing"], tm.to_string(), "{r:?}");
                if let Ok(k) = r["tipping_point"].parse::<u64>() {
                    tipped += 1;
                    let primary = find(&c_itt, arm, outcome);
                    let above = primary["rd_low"].parse::<f64>().unwrap() > 0.0;
                    let at = |k: u64| {
                        let (x, y) = if above {
                            (ty + tm - k, cy + cm)
                        } else {
                            (ty + k, cy)
                        };
                        let (lo, hi) = interval(
                            &x.to_string(),
                            &tn.to_string(),
                            &y.to_string(),
                            &cn.to_string(),
                        )
                        .unwrap();
                        if above { lo <= 0.0 } else { hi >= 0.0 }
                    };
                    assert!(at(k), "{r:?}");
                    assert!(k == 0 || !at(k - 1), "{r:?}");
                }
                continue;
            }
            other => panic!("unknown estimand {other}"),
        };
        assert_eq!(counts(r), expected, "{r:?}");
        let (lo, hi) = interval(&expected.0, &expected.1, &expected.2, &expected.3).unwrap();
        assert_rel(r["rd_low"].parse().unwrap(), lo, R_REL, "rd_low");
        assert_rel(r["rd_high"].parse().unwrap(), hi, R_REL, "rd_high");
    }
    // Six estimands per treatment arm and outcome. The example cohort misses few outcomes, so
    // its comparisons that exclude 0 are robust to them (the unit tests of
    // `analysis::sensitivity` cover tipping points).
    assert_eq!(sens.rows.len() % 6, 0);
    let robust = sens.rows.iter().filter(|r| r["robust"] == "true").count();
    assert!(robust + tipped > 0, "{}", sens.text);
}

/// `compare --margin` / `--margin-ratio` with `--hypothesis`: the Farrington-Manning test
/// against mpmath at 40 digits (tests/reference/margin.py), its text, and bad margins.
#[test]
fn compare_margin_tests_match_the_reference_and_refuse_bad_margins() {
    let run = trialdose([
        "compare",
        "--treatment",
        "24/38",
        "--control",
        "10/38",
        "--margin",
        "0.1",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run}");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // mpmath at 50 digits (tests/reference/fisher_midp.py).
    assert_rel(
        v["fisher_mid_p"].as_f64().unwrap(),
        0.0014595699910061651,
        R_REL,
        "mid-p",
    );
    let m = &v["margin_test"];
    assert_rel(m["z"].as_f64().unwrap(), 4.123444279539148, R_REL, "z");
    assert_rel(m["p"].as_f64().unwrap(), 1.8662439122280532e-05, 1e-9, "p");
    assert_eq!(m["rejected"], true);
    assert_eq!(m["hypothesis"], "noninferiority");
    // The existing keys do not change.
    assert!(v["risk_difference"]["newcombe"].is_array());
    let text = trialdose([
        "compare",
        "--treatment",
        "45/50",
        "--control",
        "44/50",
        "--margin-ratio",
        "0.8",
        "--hypothesis",
        "equivalence",
    ]);
    assert_eq!(text.code, 0, "{text}");
    assert!(
        text.stdout.contains("equivalence test, ratio margin 0.8")
            && text.stdout.contains("equivalent at the ratio margin 0.8"),
        "{text}"
    );
    for (args, phrase) in [
        (vec!["--margin", "1.5"], "outside the open interval 0 to 1"),
        (vec!["--margin", "-0.1"], "outside the open interval 0 to 1"),
        (
            vec!["--margin-ratio", "1.2"],
            "outside the open interval 0 to 1",
        ),
        (
            vec!["--margin-ratio", "0.9", "--hypothesis", "superiority"],
            "at least 1",
        ),
        (vec!["--margin", "0.1", "--margin-ratio", "0.8"], "not both"),
    ] {
        let mut a = vec!["compare", "--treatment", "24/38", "--control", "10/38"];
        a.extend(args);
        let run = trialdose(a);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains(phrase), "{phrase}\n{run}");
    }
}

/// `analyze --margin`: comparisons.csv gains margin_z, margin_p and margin_rejected, each what
/// `compare --margin` gives for the row's counts.
#[test]
fn analyze_margin_columns_equal_compare() {
    let (_tmp, out) = analyze_example(&["--margin", "0.15", "--hypothesis", "noninferiority"]);
    let table = Table::read(&out.join("comparisons.csv"));
    assert!(table.header.ends_with(&[
        "margin_z".to_owned(),
        "margin_p".to_owned(),
        "margin_rejected".to_owned()
    ]));
    for r in table.rows.iter().take(4) {
        let run = trialdose([
            "compare",
            "--treatment",
            &format!("{}/{}", r["responders"], r["n"]),
            "--control",
            &format!("{}/{}", r["control_responders"], r["control_n"]),
            "--margin",
            "0.15",
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let m = &v["margin_test"];
        assert_rel(
            r["margin_p"].parse().unwrap(),
            m["p"].as_f64().unwrap(),
            R_REL,
            "p",
        );
        assert_rel(
            r["margin_z"].parse().unwrap(),
            m["z"].as_f64().unwrap(),
            R_REL,
            "z",
        );
        assert_eq!(r["margin_rejected"], m["rejected"].to_string());
    }
    let (_t2, plain) = analyze_example(&[]);
    let header = Table::read(&plain.join("comparisons.csv")).header;
    assert!(!header.iter().any(|h| h.starts_with("margin")));
}

/// `analyze --reference 60x3 --margin 0.15`: every other arm (control included) against 60x3,
/// whose counts fill the control_* columns and whose id the reference column names; the
/// margin test is compare's for those counts. An unknown arm is a usage error naming the arms.
#[test]
fn analyze_reference_compares_arms_with_each_other() {
    let (_tmp, out) = analyze_example(&["--reference", "60x3", "--margin", "0.15"]);
    let table = Table::read(&out.join("comparisons.csv"));
    let arms = Table::read(&out.join("arms.csv"));
    let reference = arms.row("arm", "60x3");
    assert_eq!(table.header.last().map(String::as_str), Some("reference"));
    let listed: Vec<&str> = table.column("arm");
    assert!(listed.contains(&"control") && !listed.contains(&"60x3"));
    for r in &table.rows {
        assert_eq!(r["reference"], "60x3");
        let outcome = r["outcome"].as_str();
        assert_eq!(
            r["control_responders"],
            reference[&format!("{outcome}_responders")]
        );
        assert_eq!(r["control_n"], reference[&format!("{outcome}_n")]);
        let run = trialdose([
            "compare",
            "--treatment",
            &format!("{}/{}", r["responders"], r["n"]),
            "--control",
            &format!("{}/{}", r["control_responders"], r["control_n"]),
            "--margin",
            "0.15",
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_rel(
            r["margin_p"].parse().unwrap(),
            v["margin_test"]["p"].as_f64().unwrap(),
            R_REL,
            "margin p",
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let bad = trialdose([
        "analyze".to_owned(),
        example().display().to_string(),
        "--out".to_owned(),
        tmp.path().join("o").display().to_string(),
        "--reference".to_owned(),
        "90x9".to_owned(),
    ]);
    assert_eq!(bad.code, 2, "{bad}");
    assert!(bad.stderr.contains("the arms are control, 30x2"), "{bad}");
}

/// `analyze --adjust baseline --cluster site`: the adjusted ratios with cluster-robust (CR1)
/// errors match statsmodels 0.15.0 on the participants.csv of the same run:
/// `GLM(y, X, Poisson()).fit(cov_type="cluster", cov_kwds={"groups": site codes}, tol=1e-14)`
/// and `Logit(y, X).fit(method="newton", tol=1e-14, cov_type="cluster", ...)`, X = [const,
/// five arm indicators, pain_baseline] (both apply G/(G-1)·(N-1)/(N-K)); the note says there
/// are four clusters, fewer than 30.
#[test]
fn adjusted_cluster_by_site_matches_statsmodels() {
    let (_tmp, out) = analyze_example(&["--adjust", "baseline", "--cluster", "site"]);
    let table = Table::read(&out.join("adjusted.csv"));
    for (arm, model, want) in [
        (
            "60x3",
            "modified_poisson",
            [
                2.9742363624055588,
                1.8769099519664065,
                4.713109401006458,
                3.4744731136413036e-06,
            ],
        ),
        (
            "30x2",
            "modified_poisson",
            [
                1.0961760874284914,
                0.4027372157438961,
                2.9835882249683734,
                0.8573521381321834,
            ],
        ),
        (
            "60x3",
            "logistic",
            [
                10.33341489021219,
                6.891719906481799,
                15.493877398126816,
                1.3098170148211267e-29,
            ],
        ),
    ] {
        let r = table
            .rows
            .iter()
            .find(|r| r["arm"] == arm && r["outcome"] == "pain" && r["model"] == model)
            .unwrap();
        for (k, column) in ["estimate", "low", "high"].iter().enumerate() {
            assert_rel(r[*column].parse().unwrap(), want[k], FIT_REL, column);
        }
        assert_rel(r["p_value"].parse().unwrap(), want[3], LIMIT_REL, "p");
        assert!(r["note"].contains("4 clusters: fewer than 30"), "{r:?}");
    }
}

/// `--cluster therapist`: the clusters are the main therapists (most attended sessions, a tie
/// to the earliest (date, row)), recomputed here in pandas from sessions.csv; statsmodels
/// 0.15.0 with those groups (19 clusters), as in the site test above.
#[test]
fn adjusted_cluster_by_therapist_matches_statsmodels() {
    let (_tmp, out) = analyze_example(&["--adjust", "baseline", "--cluster", "therapist"]);
    let table = Table::read(&out.join("adjusted.csv"));
    for (model, want) in [
        (
            "modified_poisson",
            [
                2.9742363624055588,
                1.7706045028785786,
                4.996080109970261,
                3.8068132725849295e-05,
            ],
        ),
        (
            "logistic",
            [
                10.33341489021219,
                4.46743134809762,
                23.90175807373721,
                4.803797029181154e-08,
            ],
        ),
    ] {
        let r = table
            .rows
            .iter()
            .find(|r| r["arm"] == "60x3" && r["outcome"] == "pain" && r["model"] == model)
            .unwrap();
        for (k, column) in ["estimate", "low", "high"].iter().enumerate() {
            assert_rel(r[*column].parse().unwrap(), want[k], FIT_REL, column);
        }
        assert_rel(r["p_value"].parse().unwrap(), want[3], LIMIT_REL, "p");
        assert!(
            r["note"].contains("clustered by therapist (CR1), 19 clusters"),
            "{r:?}"
        );
    }
}

/// `--robust hc1`: the modified Poisson model's standard errors are the HC0 ones (checked
/// against statsmodels above) times sqrt(N/(N-K)), so each interval's log width grows by that
/// factor; the logistic rows and the estimates do not change.
#[test]
fn robust_hc1_scales_the_hc0_errors() {
    let (_t0, hc0) = analyze_example(&["--adjust", "baseline"]);
    let (_t1, hc1) = analyze_example(&["--adjust", "baseline", "--robust", "hc1"]);
    let (a, b) = (
        Table::read(&hc0.join("adjusted.csv")),
        Table::read(&hc1.join("adjusted.csv")),
    );
    // 228 participants; intercept, five arm indicators and the baseline: K = 7.
    let factor = (228.0f64 / (228.0 - 7.0)).sqrt();
    for (r0, r1) in a.rows.iter().zip(&b.rows) {
        let width =
            |r: &Row| (r["high"].parse::<f64>().unwrap() / r["low"].parse::<f64>().unwrap()).ln();
        assert_eq!(r0["estimate"], r1["estimate"]);
        if r0["model"] == "modified_poisson" {
            assert_rel(width(r1), width(r0) * factor, 1e-12, "HC1 width");
            assert!(r1["note"].contains("HC1"), "{r1:?}");
        } else {
            assert_eq!(r0["low"], r1["low"]);
        }
    }
    let both = trialdose([
        "analyze".to_owned(),
        example().display().to_string(),
        "--out".to_owned(),
        hc1.join("x").display().to_string(),
        "--adjust".to_owned(),
        "baseline".to_owned(),
        "--robust".to_owned(),
        "hc1".to_owned(),
        "--cluster".to_owned(),
        "site".to_owned(),
    ]);
    assert_eq!(both.code, 2, "{both}");
}
