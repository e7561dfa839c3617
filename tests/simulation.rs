//! Checks of `simulate` against exact answers: Fisher's power and size by enumerating every
//! outcome, the clinic's predictive distribution against the beta-binomial law, and
//! reproducibility (threads, shards) and bad input through the real binary.

mod util;

use trialdose::sim::evidence::{Evidence, Outcome};
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
    let model = OutcomeModel::new(&evidence, Some(&truth), &plans, Outcome::Pain).unwrap();
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
    let model = OutcomeModel::new(&evidence, None, &[plan], Outcome::Pain).unwrap();
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
    let json = clinic::responders_json(hist, tally.reps);
    let mean: Estimate = serde_json::from_value(json["mean"].clone()).unwrap();
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
