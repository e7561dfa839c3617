//! Checks of `simulate` against exact answers: Fisher's power and size by enumerating every
//! outcome, the clinic's predictive distribution against the beta-binomial law, and
//! reproducibility (threads, shards) and bad input through the real binary.

mod util;

use trialdose::domain::PrimaryOutcome;
use trialdose::sim::evidence::Evidence;
use trialdose::sim::model::{OutcomeModel, Truth};
use trialdose::sim::patients::Attendance;
use trialdose::sim::runner::Shard;
use trialdose::sim::schedule::Plan;
use trialdose::sim::trial::{self, Test, TrialDesign};
use trialdose::sim::{Estimate, clinic};
use trialdose::stats::{Binomial, fisher_exact_two_sided};
use util::*;

/// Simulated figures must lie within this many Monte Carlo standard errors of the exact value
/// (the rule; with the few comparisons here a false alarm is under 1%).
const MCSE_BOUND: f64 = 3.0;

fn ln_choose(n: u64, k: u64) -> f64 {
    (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum()
}

fn binomial_pmf(k: u64, n: u64, p: f64) -> f64 {
    (ln_choose(n, k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp()
}

/// Exact probability that Fisher's two-sided test rejects at `alpha` in favour of the treatment,
/// by enumerating every pair of outcomes.
fn exact_fisher_power(n: u64, p_treatment: f64, p_control: f64, alpha: f64) -> f64 {
    let mut power = 0.0;
    for xt in 0..=n {
        for xc in 0..xt {
            let p = fisher_exact_two_sided(
                Binomial::new(xt, n).unwrap(),
                Binomial::new(xc, n).unwrap(),
            );
            if p < alpha {
                power += binomial_pmf(xt, n, p_treatment) * binomial_pmf(xc, n, p_control);
            }
        }
    }
    power
}

fn simulated_power(n: u64, truth: &str, reps: u64) -> Estimate {
    let evidence = Evidence::dream();
    let truth = Truth::parse(truth).unwrap();
    let plans = [Plan::Control, Plan::parse("60x2").unwrap()];
    let model = OutcomeModel::new(&evidence, Some(&truth), &plans, PrimaryOutcome::Pain).unwrap();
    let attendance = Attendance::fixed(1.0).unwrap();
    let design = TrialDesign {
        plans: &plans,
        per_arm: n,
        model: &model,
        attendance: &attendance,
        adverse_per_session: 0.0,
        test: Test::Fisher,
        alpha: 0.05,
    };
    let t = trial::simulate(&design, reps, 11, Shard::ALL, 2);
    Estimate::proportion(t.rejections[1], t.reps)
}

#[test]
fn fisher_power_matches_enumeration() {
    let exact = exact_fisher_power(30, 0.63, 0.26, 0.05);
    let sim = simulated_power(30, "control=0.26,60x2=0.63", 20_000);
    assert!(
        (sim.estimate - exact).abs() <= MCSE_BOUND * sim.mcse,
        "simulated {sim:?}, exact {exact}"
    );
}

#[test]
fn type_one_error_matches_the_exact_size() {
    // Equal truths: rejections in favour of the arm are the one-sided half of Fisher's size.
    let exact = exact_fisher_power(25, 0.4, 0.4, 0.05);
    let sim = simulated_power(25, "control=0.4,60x2=0.4", 40_000);
    assert!(exact < 0.05, "Fisher is conservative: {exact}");
    assert!(
        (sim.estimate - exact).abs() <= MCSE_BOUND * sim.mcse,
        "simulated {sim:?}, exact {exact}"
    );
}

#[test]
fn clinic_with_full_attendance_matches_the_beta_binomial_predictive() {
    // arms model, 60x2 pain: Jeffreys posterior Beta(0.63*38 + 1/2, 38 - 0.63*38 + 1/2); with
    // every session attended, responders among N patients follow the beta-binomial law.
    let evidence = Evidence::dream();
    let plan = Plan::parse("60x2").unwrap();
    let model = OutcomeModel::new(&evidence, None, &[plan], PrimaryOutcome::Pain).unwrap();
    let attendance = Attendance::fixed(1.0).unwrap();
    let patients = 20u32;
    let reps = 40_000;
    let tally = clinic::simulate(
        plan,
        patients,
        &[model],
        &attendance,
        0.0,
        reps,
        5,
        Shard::ALL,
        2,
        clinic::Extras::default(),
    );
    let (a, b) = (0.63 * 38.0 + 0.5, 38.0 - 0.63 * 38.0 + 0.5);
    let n = u64::from(patients);
    // P(K = k) = C(n, k) B(k + a, n - k + b) / B(a, b), by the recurrence of the ratios.
    let ln_beta = |x: f64, y: f64| {
        statrs::function::gamma::ln_gamma(x) + statrs::function::gamma::ln_gamma(y)
            - statrs::function::gamma::ln_gamma(x + y)
    };
    let pmf: Vec<f64> = (0..=n)
        .map(|k| {
            (ln_choose(n, k) + ln_beta(k as f64 + a, (n - k) as f64 + b) - ln_beta(a, b)).exp()
        })
        .collect();
    let hist = &tally.responders[0];
    for k in [8u64, 10, 12, 14, 16] {
        let exact: f64 = pmf[k as usize..].iter().sum();
        let hits: u64 = hist[k as usize..].iter().sum();
        let sim = Estimate::proportion(hits, tally.reps);
        assert!(
            (sim.estimate - exact).abs() <= MCSE_BOUND * sim.mcse.max(1e-12),
            "P(at least {k}): simulated {sim:?}, beta-binomial {exact}"
        );
    }
    let mean_exact = n as f64 * a / (a + b);
    let mean = clinic::responders_summary(hist, tally.reps).mean;
    assert!(
        (mean.estimate - mean_exact).abs() <= MCSE_BOUND * mean.mcse,
        "{mean:?} vs {mean_exact}"
    );
}

fn simulate_json(args: &[&str]) -> String {
    let mut all = vec!["simulate"];
    all.extend_from_slice(args);
    all.push("--json");
    let run = trialdose(&all);
    assert_eq!(run.code, 0, "{run}");
    run.stdout
}

#[test]
fn same_seed_same_bytes_for_threads_and_shards() {
    for base in [
        vec![
            "clinic",
            "--schedule",
            "60x3",
            "--patients",
            "30",
            "--reps",
            "3000",
            "--seed",
            "7",
        ],
        vec![
            "trial",
            "--arms",
            "control,60x2,60x3",
            "--per-arm",
            "38",
            "--reps",
            "3000",
            "--seed",
            "7",
        ],
        vec![
            "clinic",
            "--schedule",
            "60x3",
            "--patients",
            "30",
            "--reps",
            "3000",
            "--seed",
            "7",
            "--price-per-session",
            "45.5",
            "--price-per-minute",
            "0.25",
            "--therapists",
            "2",
            "--hours-per-week",
            "37.5",
        ],
    ] {
        let with = |extra: &[&str]| {
            let mut a = base.clone();
            a.extend_from_slice(extra);
            simulate_json(&a)
        };
        let one = with(&["--threads", "1"]);
        assert_eq!(
            one,
            with(&["--threads", "2"]),
            "{base:?}: threads change the bytes"
        );
        let tmp = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for k in 1..=3 {
            let f = tmp.path().join(format!("part{k}.json"));
            let shard = format!("{k}/3");
            with(&["--shard", &shard, "--out", f.to_str().unwrap()]);
            files.push(f.display().to_string());
        }
        let mut merge = vec!["simulate", "merge", "--json"];
        merge.extend(files.iter().map(String::as_str));
        let run = trialdose(&merge);
        assert_eq!(run.code, 0, "{run}");
        assert_eq!(
            run.stdout, one,
            "{base:?}: 3 shards merged differ from one run"
        );
        // A missing shard is refused.
        let run = trialdose(["simulate", "merge", files[0].as_str(), files[1].as_str()]);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains("shards of 3"), "{run}");
    }
}

#[test]
fn json_has_the_documented_paths() {
    let v: serde_json::Value = serde_json::from_str(&simulate_json(&[
        "clinic",
        "--schedule",
        "60x2",
        "--patients",
        "10",
        "--reps",
        "500",
    ]))
    .unwrap();
    for key in ["reps", "seed", "model", "prior", "evidence"] {
        assert!(!v[key].is_null(), "{key}");
    }
    assert_eq!(v["evidence"]["arms"]["60x2x4"]["pain"]["n"], 38.0);
    for o in ["pain", "ndi"] {
        let r = &v["outcomes"][o]["responders"];
        assert!(r["mean"]["estimate"].is_f64() && r["mean"]["mcse"].is_f64());
        for q in ["0.025", "0.5", "0.975"] {
            assert!(r["quantiles"][q]["estimate"].is_f64(), "{o} {q}");
        }
        assert_eq!(r["p_at_least"].as_array().unwrap().len(), 11);
        assert_eq!(r["p_at_least"][0]["estimate"], 1.0);
    }
    // Without prices or therapists, no cost or capacity key anywhere (the output is as before).
    for key in ["cost", "capacity"] {
        assert!(
            v.get(key).is_none() && v["state"].get(key).is_none(),
            "{key}"
        );
    }
    assert!(v["spec"].get("price_per_session").is_none());
    let t: serde_json::Value = serde_json::from_str(&simulate_json(&[
        "trial",
        "--arms",
        "control,60x2",
        "--per-arm",
        "20",
        "--reps",
        "300",
    ]))
    .unwrap();
    assert!(t["arms"]["60x2x4"]["power"]["estimate"].is_f64());
    assert!(t["arms"]["60x2x4"]["mean_risk_difference"]["mcse"].is_f64());
    assert!(t.get("best_arm_first").is_some());
}

#[test]
fn bad_input_names_the_value_and_range() {
    for (args, phrase) in [
        (
            vec!["clinic", "--schedule", "45x2", "--patients", "10"],
            "tested: control, 60x2x4, 60x3x4",
        ),
        (
            vec!["clinic", "--schedule", "60x20", "--patients", "10"],
            "1 to 14",
        ),
        (
            vec!["trial", "--arms", "control,60x2,yoga", "--per-arm", "10"],
            "\"yoga\"",
        ),
        (
            vec![
                "trial",
                "--arms",
                "control,60x2",
                "--per-arm",
                "10",
                "--truth",
                "control=1.2,60x2=0.5",
            ],
            "outside [0, 1]",
        ),
        (
            vec!["trial", "--arms", "control,60x2", "--per-arm", "0"],
            "--per-arm 0: allowed 1 to",
        ),
        (
            vec![
                "trial",
                "--arms",
                "control,60x2",
                "--per-arm",
                "10",
                "--shard",
                "3/2",
            ],
            "--shard 3/2",
        ),
        (
            vec!["trial", "--arms", "60x2,control", "--per-arm", "10"],
            "control first",
        ),
        (
            vec![
                "clinic",
                "--schedule",
                "60x2",
                "--patients",
                "10",
                "--attendance",
                "1.5",
            ],
            "[0, 1]",
        ),
        (
            vec![
                "clinic",
                "--schedule",
                "60x2",
                "--patients",
                "10",
                "--model",
                "emax",
            ],
            "available: arms, dose-response",
        ),
        (
            vec!["trial", "--arms", "control,60x2", "--per-arm", "4294967295"],
            "allowed 1 to 100000",
        ),
        (
            vec![
                "trial",
                "--arms",
                "control,60x2",
                "--per-arm",
                "9",
                "--reps",
                "18446744073709551615",
            ],
            "allowed 1 to 100000000",
        ),
        (
            vec!["clinic", "--schedule", "60x2", "--patients", "4294967295"],
            "allowed 1 to 1000000",
        ),
        (
            vec![
                "trial",
                "--arms",
                "control,60x2",
                "--per-arm",
                "9",
                "--reps",
                "100",
                "--shard",
                "1/1000",
            ],
            "more shards",
        ),
    ] {
        let mut all = vec!["simulate"];
        all.extend_from_slice(&args);
        let run = trialdose(&all);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains(phrase), "expected {phrase:?}\n{run}");
    }
}

#[test]
fn sample_size_reports_powers_around_the_answer() {
    let v: serde_json::Value = serde_json::from_str(&simulate_json(&[
        "sample-size",
        "--arms",
        "control,60x2",
        "--truth",
        "control=0.26,60x2=0.63",
        "--attendance",
        "1",
        "--reps",
        "2000",
    ]))
    .unwrap();
    let n = v["per_arm"].as_u64().unwrap();
    let at = v["power_at_per_arm"]["estimate"].as_f64().unwrap();
    let below = v["power_at_per_arm_minus_1"]["estimate"].as_f64().unwrap();
    assert!(at >= 0.8 && below < 0.8, "{v}");
    // Exact Fisher power by enumeration brackets the same answer within Monte Carlo error.
    let exact_at = exact_fisher_power(n, 0.63, 0.26, 0.05);
    let mcse = v["power_at_per_arm"]["mcse"].as_f64().unwrap();
    assert!(
        (exact_at - at).abs() <= MCSE_BOUND * mcse,
        "n {n}: exact {exact_at}, simulated {at}"
    );
}

#[test]
fn cohort_evidence_is_fitted_from_its_rows() {
    let cohort = dream_like().expect("example cohort");
    let v: serde_json::Value = serde_json::from_str(&simulate_json(&[
        "trial",
        "--arms",
        "control,30x2,60x3",
        "--per-arm",
        "20",
        "--reps",
        "500",
        "--evidence",
        cohort.to_str().unwrap(),
    ]))
    .unwrap();
    // The ITT counts of `analyze` on the same cohort (README: pain 10/38, 30x2 11/38, 60x3
    // 30/38).
    let arm = |a: &str| &v["evidence"]["arms"][a]["pain"];
    assert_eq!(
        (
            arm("control")["responders"].as_f64(),
            arm("control")["n"].as_f64()
        ),
        (Some(10.0), Some(38.0))
    );
    assert_eq!(arm("30x2x4")["responders"].as_f64(), Some(11.0));
    assert_eq!(arm("60x3x4")["responders"].as_f64(), Some(30.0));
    assert!(
        v["assumptions"]["attendance"]
            .as_str()
            .unwrap()
            .contains("Beta")
    );
    // A cohort with rejected rows is refused (exit 65), a missing folder is exit 66.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    for f in ["participants.csv", "sessions.csv", "scores.csv"] {
        std::fs::copy(cohort.join(f), bad.join(f)).unwrap();
    }
    let mut scores = std::fs::read_to_string(bad.join("scores.csv")).unwrap();
    scores.push_str("P0000001,7,eleven,3\n");
    std::fs::write(bad.join("scores.csv"), scores).unwrap();
    let run = trialdose([
        "simulate",
        "trial",
        "--arms",
        "control,60x2",
        "--per-arm",
        "10",
        "--evidence",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 65, "{run}");
    assert!(run.stderr.contains("validate"), "{run}");
}

#[test]
fn target_mcse_chooses_enough_replicates() {
    let v: serde_json::Value = serde_json::from_str(&simulate_json(&[
        "trial",
        "--arms",
        "control,60x2",
        "--per-arm",
        "38",
        "--target-mcse",
        "0.005",
    ]))
    .unwrap();
    let mcse = v["arms"]["60x2x4"]["power"]["mcse"].as_f64().unwrap();
    // The pilot's variance estimate carries its own error: allow 5% over the target.
    assert!(mcse <= 0.005 * 1.05, "{mcse}");
    assert!(v["reps"].as_u64().unwrap() >= 2_000);
    let run = trialdose([
        "simulate",
        "trial",
        "--arms",
        "control,60x2",
        "--per-arm",
        "38",
        "--target-mcse",
        "0.9",
    ]);
    assert_eq!(run.code, 2, "{run}");
}

#[test]
fn dose_response_reproduces_the_evidence_and_says_when_sessions_are_too_short() {
    let cohort = dream_like().expect("example cohort");
    let v: serde_json::Value = serde_json::from_str(&simulate_json(&[
        "trial",
        "--arms",
        "control,30x2,60x3",
        "--per-arm",
        "38",
        "--reps",
        "1000",
        "--model",
        "dose-response",
        "--evidence",
        cohort.to_str().unwrap(),
    ]))
    .unwrap();
    let curve = &v["dose_response"]["pain"];
    assert_eq!(curve["theta_estimated"], true);
    // The cohort's 30-minute arms are no better than control: the threshold reaches 30 minutes.
    assert!(curve["theta_minutes"].as_f64().unwrap() >= 30.0, "{curve}");
    // Every evidence arm is reproduced within 10 points (two parameters for six arms).
    for arm in curve["evidence_arms"].as_array().unwrap() {
        let (o, f) = (
            arm["observed"].as_f64().unwrap(),
            arm["fitted"].as_f64().unwrap(),
        );
        assert!((o - f).abs() < 0.10, "{arm}");
    }
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("no benefit over control")),
        "{warnings:?}"
    );
    // On DREAM's published arms (60-minute sessions only) the model says it cannot tell.
    let run = trialdose([
        "simulate",
        "clinic",
        "--schedule",
        "30x2",
        "--patients",
        "20",
        "--reps",
        "500",
        "--model",
        "dose-response",
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("cannot tell whether 30-minute sessions help"),
        "{run}"
    );
}

#[test]
fn every_document_reads_back_into_its_typed_result() {
    use trialdose::sim::result::{SCHEMA_VERSION, SimResult};
    let cohort = dream_like().expect("example cohort");
    let cohort = cohort.to_str().unwrap();
    for args in [
        vec![
            "clinic",
            "--schedule",
            "60x2",
            "--patients",
            "12",
            "--reps",
            "300",
        ],
        vec![
            "clinic",
            "--schedule",
            "45x2",
            "--patients",
            "12",
            "--reps",
            "300",
            "--model",
            "dose-response",
            "--evidence",
            cohort,
        ],
        vec![
            "trial",
            "--arms",
            "control,60x2,60x3",
            "--per-arm",
            "15",
            "--reps",
            "300",
            "--test",
            "trend",
        ],
        vec![
            "trial",
            "--arms",
            "control,60x2",
            "--per-arm",
            "15",
            "--reps",
            "300",
            "--truth",
            "control=0.3,60x2=0.3",
        ],
        vec![
            "sample-size",
            "--arms",
            "control,60x2",
            "--truth",
            "control=0.26,60x2=0.63",
            "--reps",
            "200",
        ],
        vec![
            "clinic",
            "--schedule",
            "60x2",
            "--patients",
            "12",
            "--reps",
            "300",
            "--price-per-session",
            "40",
            "--therapists",
            "1",
            "--hours-per-week",
            "20",
        ],
    ] {
        let json = simulate_json(&args);
        let result = SimResult::from_json(&json).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let again = String::from_utf8(result.to_json().unwrap()).unwrap();
        // The same keys in the same order, the same strings, the same numbers (serde_json's
        // default parser may read a 17-digit number one unit in the last place off).
        let (a, b): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(&json).unwrap(),
            serde_json::from_str(&again).unwrap(),
        );
        assert!(
            same_json(&a, &b),
            "{args:?}: the typed result does not write the same document\n{json}\n{again}"
        );
        assert_eq!(result.header().trialdose_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(result.header().schema_version, SCHEMA_VERSION);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().take(3).collect();
        assert_eq!(keys, ["trialdose_version", "schema_version", "command"]);
    }
}

/// Equal documents: keys in the same order, equal strings, numbers within 4 units in the last
/// place (a parser's rounding, not a changed figure).
fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same_json(vx, vy))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() && y.is_f64() => {
            let (p, q) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (p - q).abs() <= 4.0 * f64::EPSILON * p.abs().max(q.abs())
        }
        _ => a == b,
    }
}

/// Writes the shards `1/n..n/n` of a simulate command with `--out` into `dir`.
fn shards(dir: &std::path::Path, name: &str, args: &[&str], n: u64) -> Vec<String> {
    (1..=n)
        .map(|k| {
            let f = dir.join(format!("{name}{k}.json"));
            let shard = format!("{k}/{n}");
            let mut all = vec!["simulate"];
            all.extend_from_slice(args);
            all.extend_from_slice(&["--shard", &shard, "--out", f.to_str().unwrap()]);
            let run = trialdose(&all);
            assert_eq!(run.code, 0, "{run}");
            f.display().to_string()
        })
        .collect()
}

/// Rewrites a JSON file through `edit`.
fn edit_json(path: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut v);
    static EDITS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = EDITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let edited = format!("{path}.edited{k}.json");
    std::fs::write(&edited, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    edited
}

fn merge(files: &[&str]) -> util::Run {
    let mut all = vec!["simulate", "merge", "--json"];
    all.extend_from_slice(files);
    trialdose(&all)
}

#[test]
fn merge_refuses_edited_tallies_other_versions_and_other_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let trial = [
        "trial",
        "--arms",
        "control,60x2,60x3",
        "--per-arm",
        "20",
        "--reps",
        "400",
        "--seed",
        "3",
    ];
    let t = shards(tmp.path(), "t", &trial, 2);
    // The untouched shards merge (into the unsharded answer: see
    // same_seed_same_bytes_for_threads_and_shards).
    assert_eq!(merge(&[&t[0], &t[1]]).code, 0);
    // The reproduction: a count above the replicates gave "power 17.193", MCSE NaN.
    let refused: Vec<(String, &str)> = vec![
        (
            edit_json(&t[0], |v| v["state"]["rejections"][1] = 3439.into()),
            "state.rejections[1]: 3439 is more than the 200 replicates",
        ),
        (
            edit_json(&t[0], |v| v["state"]["rejections"][0] = 1.into()),
            "state.rejections[0]",
        ),
        (
            edit_json(&t[0], |v| v["state"]["reps"] = 300.into()),
            "state.reps: 300, but shard 1/2 of 400 replicates runs 200",
        ),
        (
            edit_json(&t[0], |v| {
                v["state"]["difference"][1]["sum"] = "-99999".into()
            }),
            "state.difference[1].sum",
        ),
        (
            edit_json(&t[0], |v| {
                v["state"]["difference"][1]["sum_sq"] = "0".into()
            }),
            "state.difference[1].sum_sq",
        ),
        (
            edit_json(&t[0], |v| v["state"]["best_defined"] = 201.into()),
            "state.best_defined",
        ),
        (
            edit_json(&t[0], |v| {
                v["state"]["rejections"].as_array_mut().unwrap().pop();
            }),
            "state.rejections: 2 entries, but the run has 3 arms",
        ),
        (
            edit_json(&t[0], |v| v["trialdose_version"] = "0.0.1".into()),
            "trialdose_version is \"0.0.1\"",
        ),
        (
            edit_json(&t[0], |v| {
                v.as_object_mut().unwrap().remove("trialdose_version");
            }),
            "trialdose_version is none",
        ),
        (
            edit_json(&t[0], |v| v["schema_version"] = 2.into()),
            "schema_version is 2",
        ),
        (
            edit_json(&t[0], |v| v["spec"]["seed"] = 4.into()),
            "spec.seed is 3, but",
        ),
        (
            edit_json(&t[0], |v| v["spec"]["per_arm"] = 0.into()),
            "per-arm size 0",
        ),
    ];
    for (file, phrase) in &refused {
        let run = merge(&[file, &t[1]]);
        assert_eq!(run.code, 65, "{phrase}\n{run}");
        assert!(
            run.stderr.contains(file.as_str()) && run.stderr.contains(phrase),
            "expected the file and {phrase:?}\n{run}"
        );
        assert!(run.stdout.is_empty(), "{run}");
    }
    // A shard of another seed is a different run.
    let mut other = trial.to_vec();
    other[8] = "4";
    let o = shards(tmp.path(), "o", &other, 2);
    let run = merge(&[&t[0], &o[1]]);
    assert_eq!(run.code, 65, "{run}");
    assert!(run.stderr.contains("spec.seed is 4"), "{run}");
    // The same shard twice is the wrong set of files (a usage error).
    let run = merge(&[&t[0], &t[0]]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("shard 1/2 is given twice"), "{run}");
    // A clinic's histogram that does not add up to the replicates.
    let clinic = [
        "clinic",
        "--schedule",
        "60x2",
        "--patients",
        "10",
        "--reps",
        "300",
    ];
    let c = shards(tmp.path(), "c", &clinic, 2);
    assert_eq!(merge(&[&c[0], &c[1]]).code, 0);
    for (file, phrase) in [
        (
            edit_json(&c[1], |v| v["state"]["responders"][0][3] = 1000.into()),
            "state.responders[0]: the counts add up to",
        ),
        (
            edit_json(&c[1], |v| v["state"]["adverse"]["sum"] = "-1".into()),
            "state.adverse.sum",
        ),
        (
            edit_json(&c[1], |v| {
                v["state"]["sessions"]["sum"] = "999999999".into()
            }),
            "state.sessions.sum",
        ),
    ] {
        let run = merge(&[&c[0], &file]);
        assert_eq!(run.code, 65, "{phrase}\n{run}");
        assert!(
            run.stderr.contains(&file) && run.stderr.contains(phrase),
            "{phrase}\n{run}"
        );
    }
    // Not a simulate document at all.
    let junk = tmp.path().join("junk.json");
    std::fs::write(&junk, "{\"a\": 1}").unwrap();
    let run = merge(&[junk.to_str().unwrap(), &c[1]]);
    assert_eq!(run.code, 65, "{run}");
}

/// The JSON of `simulate clinic` with `args`.
fn clinic_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["clinic"];
    all.extend_from_slice(args);
    serde_json::from_str(&simulate_json(&all)).unwrap()
}

/// An estimate's `(estimate, mcse)`.
fn estimate(v: &serde_json::Value) -> (f64, f64) {
    (v["estimate"].as_f64().unwrap(), v["mcse"].as_f64().unwrap())
}

/// Asserts a simulated estimate within [`MCSE_BOUND`] MCSE of the exact value.
fn assert_within_mcse(what: &str, v: &serde_json::Value, exact: f64) {
    let (e, mcse) = estimate(v);
    assert!(
        mcse > 0.0 && (e - exact).abs() <= MCSE_BOUND * mcse,
        "{what}: simulated {e} (MCSE {mcse}), exact {exact}"
    );
}

/// Relative tolerance of a cost that is exact but for the rounding of a few float products.
const EXACT_COST: f64 = 1e-12;

#[test]
fn clinic_cost_with_fixed_attendance_matches_the_exact_expectations() {
    // 60x2x4: 8 sessions of 60 minutes at 50 + 60 x 0.5 = 80 per attended session.
    let (planned, price, n) = (8.0, 80.0, 40.0);
    let prices = ["--price-per-session", "50", "--price-per-minute", "0.5"];
    let common = [
        "--schedule",
        "60x2",
        "--patients",
        "40",
        "--reps",
        "20000",
        "--seed",
        "3",
    ];
    let run = |extra: &[&str]| {
        let mut args = common.to_vec();
        args.extend_from_slice(&prices);
        args.extend_from_slice(extra);
        clinic_json(&args)
    };

    // Every session attended: every patient costs 8 x 80 = 640, in every replicate.
    let v = run(&["--attendance", "1"]);
    let per_patient = &v["cost"]["per_patient"];
    let (mean, mcse) = estimate(&per_patient["mean"]);
    assert!(
        (mean - planned * price).abs() <= EXACT_COST * 640.0 && mcse == 0.0,
        "{per_patient}"
    );
    for q in ["0.025", "0.5", "0.975"] {
        let (e, _) = estimate(&per_patient["quantiles"][q]);
        assert!((e - 640.0).abs() <= EXACT_COST * 640.0, "{q}: {e}");
    }
    // The evidence's rates are drawn from Jeffreys posteriors Beta(x + 1/2, n - x + 1/2) with
    // the published DREAM shares of 38 (README): E[rate] = (x + 1/2) / (n + 1). The ratio of
    // means estimates E[total cost] / E[responders], the ratio of the exact expectations.
    let posterior_mean = |share: f64| (share * 38.0 + 0.5) / 39.0;
    for (outcome, treated, control) in [("pain", 0.63, 0.26), ("ndi", 0.32, 0.09)] {
        let (p, c) = (posterior_mean(treated), posterior_mean(control));
        let o = &v["cost"][outcome];
        assert_within_mcse(
            &format!("{outcome} cost per responder"),
            &o["per_responder"]["ratio_of_means"],
            planned * price / p,
        );
        assert_within_mcse(
            &format!("{outcome} cost per additional responder"),
            &o["per_additional_responder"]["ratio_of_means"],
            planned * price / (p - c),
        );
        assert_within_mcse(
            &format!("{outcome} additional responders"),
            &o["additional_responders"],
            n * (p - c),
        );
        // Undefined replicates are those without a responder (per responder), counted.
        let no_responder = v["state"]["responders"][if outcome == "pain" { 0 } else { 1 }][0]
            .as_u64()
            .unwrap();
        assert_eq!(
            o["per_responder"]["undefined_replicates"].as_u64(),
            Some(no_responder)
        );
    }

    // Half of the sessions attended, fixed full-dose rates: only attended sessions are billed
    // (8 x 0.5 x 80 = 320 per patient), and a patient responds with 0.5 x 0.63 + 0.5 x 0.26
    // = 0.445 (the dilution the README states), against the fixed control rate 0.26.
    let v = run(&["--attendance", "0.5", "--truth", "control=0.26,60x2=0.63"]);
    let expected_cost = planned * 0.5 * price;
    assert_within_mcse(
        "cost per patient",
        &v["cost"]["per_patient"]["mean"],
        expected_cost,
    );
    let pain = &v["cost"]["pain"];
    assert_within_mcse(
        "cost per responder",
        &pain["per_responder"]["ratio_of_means"],
        expected_cost / 0.445,
    );
    assert_within_mcse(
        "cost per additional responder",
        &pain["per_additional_responder"]["ratio_of_means"],
        expected_cost / (0.445 - 0.26),
    );
    // The interval over replicates contains the ratio of means.
    for figure in ["per_responder", "per_additional_responder"] {
        let f = &pain[figure];
        let (lo, _) = estimate(&f["quantiles"]["0.025"]);
        let (hi, _) = estimate(&f["quantiles"]["0.975"]);
        let (centre, _) = estimate(&f["ratio_of_means"]);
        assert!(lo < centre && centre < hi, "{figure}: {f}");
    }
    // The text gives the same figures.
    let mut args = vec!["simulate", "clinic"];
    args.extend_from_slice(&common);
    args.extend_from_slice(&prices);
    args.extend_from_slice(&["--attendance", "1"]);
    let text = trialdose(&args);
    assert_eq!(text.code, 0, "{text}");
    assert!(
        text.stdout
            .contains("cost per patient: 640.00 (MCSE 0.00), 95% of replicates 640.00 to 640.00"),
        "{text}"
    );
    assert!(
        text.stdout.contains("pain cost per additional responder"),
        "{text}"
    );
}

#[test]
fn capacity_gives_the_weeks_a_hand_count_gives() {
    // One therapist, 10 hours: 600 minutes a week. 12 patients on 60x2x4 at full attendance,
    // 3 starting each week (weeks 1-4): 3, 6, 9, 12, 9, 6, 3 patients in course in weeks 1-7,
    // each 120 minutes a week: 360, 720, 1080, 1440, 1080, 720, 360 minutes. Weeks 2-6 exceed
    // 600: 5 of 7, in every replicate; the busiest week is 1440 minutes.
    let v = clinic_json(&[
        "--schedule",
        "60x2x4",
        "--patients",
        "12",
        "--attendance",
        "1",
        "--reps",
        "200",
        "--therapists",
        "1",
        "--hours-per-week",
        "10",
        "--intake-per-week",
        "3",
    ]);
    let c = &v["capacity"];
    assert_eq!(c["weeks_to_treat"], 7, "{c}");
    assert_eq!(c["intake"], "given");
    assert_eq!(estimate(&c["weeks_over_capacity"]), (5.0, 0.0), "{c}");
    let (share, _) = estimate(&c["share_of_weeks_over_capacity"]);
    assert!((share - 5.0 / 7.0).abs() <= 4.0 * f64::EPSILON, "{c}");
    assert_eq!(estimate(&c["any_week_over_capacity"]), (1.0, 0.0), "{c}");
    assert_eq!(estimate(&c["peak_week_minutes"]), (1440.0, 0.0), "{c}");

    // Intake from capacity: 2 x 30 hours = 3600 minutes over a 480-minute course: 7 a week.
    // 40 patients start in weeks 1-6 (7, 7, 7, 7, 7, 5), the last finishes in week 9; at most
    // 28 are in course at once (weeks 4 and 5: 7 + 7 + 7 + 7), 3360 minutes: never over.
    let v = clinic_json(&[
        "--schedule",
        "60x2",
        "--patients",
        "40",
        "--attendance",
        "1",
        "--reps",
        "200",
        "--therapists",
        "2",
        "--hours-per-week",
        "30",
    ]);
    let c = &v["capacity"];
    assert_eq!(
        (c["intake_per_week"].as_u64(), c["intake"].as_str()),
        (Some(7), Some("capacity"))
    );
    assert_eq!(c["weeks_to_treat"], 9, "{c}");
    assert_eq!(estimate(&c["weeks_over_capacity"]), (0.0, 0.0), "{c}");
    assert_eq!(estimate(&c["peak_week_minutes"]), (3360.0, 0.0), "{c}");
}

#[test]
fn cost_and_capacity_flags_are_checked_before_any_work() {
    let clinic = [
        "simulate",
        "clinic",
        "--schedule",
        "60x2",
        "--patients",
        "10",
    ];
    for (extra, phrase) in [
        (
            vec!["--price-per-session=-5"],
            "--price-per-session -5: allowed 0 to 1e9",
        ),
        (
            vec!["--price-per-session", "NaN"],
            "--price-per-session NaN: allowed 0 to",
        ),
        (
            vec!["--price-per-minute", "inf"],
            "--price-per-minute inf: allowed 0 to",
        ),
        (
            vec!["--price-per-session", "0", "--price-per-minute", "0"],
            "every cost is 0; give a price above 0",
        ),
        (
            vec!["--therapists", "0", "--hours-per-week", "30"],
            "--therapists 0: allowed 1 to 100000",
        ),
        (
            vec!["--therapists", "2", "--hours-per-week", "0"],
            "--hours-per-week 0: allowed above 0 and at most 168",
        ),
        (
            vec!["--therapists", "2", "--hours-per-week", "170"],
            "--hours-per-week 170: allowed above 0 and at most 168",
        ),
        (
            vec!["--therapists", "2"],
            "--hours-per-week (none): 2 therapists need",
        ),
        (vec!["--hours-per-week", "30"], "--therapists (none)"),
        (
            vec!["--intake-per-week", "3"],
            "--intake-per-week 3: an intake needs",
        ),
        (
            vec![
                "--therapists",
                "2",
                "--hours-per-week",
                "30",
                "--intake-per-week",
                "11",
            ],
            "--intake-per-week 11: allowed 1 to the 10 patients",
        ),
    ] {
        let mut args = clinic.to_vec();
        args.extend_from_slice(&extra);
        let run = trialdose(&args);
        assert_eq!(run.code, 2, "{extra:?}\n{run}");
        assert!(run.stderr.contains(phrase), "expected {phrase:?}\n{run}");
        assert!(run.stdout.is_empty(), "{run}");
    }
    let run = trialdose([
        "simulate",
        "clinic",
        "--schedule",
        "control",
        "--patients",
        "10",
        "--truth",
        "control=0.3",
        "--therapists",
        "1",
        "--hours-per-week",
        "10",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("no sessions to staff"), "{run}");
}

#[test]
fn merge_refuses_edited_cost_and_capacity_tallies() {
    let tmp = tempfile::tempdir().unwrap();
    let clinic = [
        "clinic",
        "--schedule",
        "60x2",
        "--patients",
        "10",
        "--reps",
        "300",
        "--price-per-session",
        "40",
        "--therapists",
        "1",
        "--hours-per-week",
        "12",
    ];
    let c = shards(tmp.path(), "cost", &clinic, 2);
    assert_eq!(merge(&[&c[0], &c[1]]).code, 0);
    for (file, phrase) in [
        (
            edit_json(&c[1], |v| {
                v["state"]["cost"]["outcomes"][0]["per_responder"]["undefined"] = 7.into()
            }),
            "state.cost.outcomes[0].per_responder",
        ),
        (
            edit_json(&c[1], |v| {
                v["state"].as_object_mut().unwrap().remove("cost");
            }),
            "state.cost: missing",
        ),
        (
            edit_json(&c[1], |v| v["state"]["capacity"]["any_over"] = 151.into()),
            "state.capacity.any_over: 151 is more than the 150 replicates",
        ),
        (
            edit_json(&c[1], |v| {
                v["state"]["cost"]["sessions_per_patient"]["bins"] = "0:x".into()
            }),
            "expected BIN:COUNT",
        ),
    ] {
        let run = merge(&[&c[0], &file]);
        assert_eq!(run.code, 65, "{phrase}\n{run}");
        assert!(run.stderr.contains(phrase), "{phrase}\n{run}");
    }
}
