//! `trialdose compare` at huge and hostile counts, through the real binary (issue 13, item 4):
//! arms of 10^8 and 9·10^9 answer quickly with every value in range; counts above the
//! documented limit (2^52 participants per arm) are refused with exit 2 and a message naming
//! the value and the limit; nothing panics. Before this change 10^8 took 50 s and 791 MB,
//! 4e9/9e9 aborted allocating 32 GB, 2^62 panicked with "capacity overflow" and u64::MAX
//! printed a risk difference of 1.5.
//!
//! Reference values: tests/reference/compare_large_counts.py (mpmath 1.3.0 weights, numpy
//! 2.4.6 sums, scipy 1.17.1 roots), output quoted next to each literal.

// Reference values are copied with every digit their source printed.
#![allow(clippy::excessive_precision)]

mod util;

use std::time::{Duration, Instant};

use util::*;

/// 2^52, the largest arm `compare` accepts (README, compare section).
const LIMIT: u64 = 1 << 52;

/// Each run must answer in well under a second in a release build; the test binary is an
/// optimised debug build on a shared machine, so allow a generous bound that the old code
/// (50 s at 10^8) misses by far.
const TIME_BOUND: Duration = Duration::from_secs(10);

/// The reference sums are float64 sums of up to 10^6 terms whose logarithms are exact to 40
/// digits; the roots are brentq's to 1e-15 in ln ψ. Both sides agree to about 1e-11.
const REFERENCE_REL: f64 = 1e-9;

fn run_json(treatment: &str, control: &str) -> (serde_json::Value, Duration) {
    let start = Instant::now();
    let run = trialdose([
        "compare",
        "--treatment",
        treatment,
        "--control",
        control,
        "--json",
    ]);
    let took = start.elapsed();
    assert_eq!(run.code, 0, "{run}");
    assert!(!run.stderr.contains("panicked"), "{run}");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    (v, took)
}

fn number(v: &serde_json::Value, path: &str) -> f64 {
    v.pointer(path)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or_else(|| panic!("{path} is not a number in {v}"))
}

#[track_caller]
fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs(),
        "{what}: got {got:e}, want {want:e} (tolerance {tol:e} relative)"
    );
}

/// Every risk difference and its limits lie in [−1, 1], every p in [0, 1], every limit pair is
/// ordered.
fn assert_in_range(v: &serde_json::Value) {
    let rd = number(v, "/risk_difference/estimate");
    assert!((-1.0..=1.0).contains(&rd), "risk difference {rd}");
    for method in ["wald", "newcombe", "agresti_caffo", "miettinen_nurminen"] {
        let low = number(v, &format!("/risk_difference/{method}/0"));
        let high = number(v, &format!("/risk_difference/{method}/1"));
        assert!(
            -1.0 <= low && low <= high && high <= 1.0,
            "{method}: {low} {high}"
        );
    }
    for key in ["fisher_p", "chi2_p", "chi2_yates_p"] {
        let p = number(v, &format!("/{key}"));
        assert!((0.0..=1.0).contains(&p), "{key} {p}");
    }
    for arm in ["treatment", "control"] {
        for method in ["wilson", "clopper_pearson"] {
            let low = number(v, &format!("/{arm}/{method}/0"));
            let high = number(v, &format!("/{arm}/{method}/1"));
            assert!(0.0 <= low && low <= high && high <= 1.0, "{arm} {method}");
        }
    }
}

#[test]
fn hundred_million_per_arm_is_fast_and_matches_independent_sums() {
    // Old code: 50 s and 791 MB.
    let (v, took) = run_json("50010000/100000000", "50000000/100000000");
    assert!(took < TIME_BOUND, "took {took:?}");
    assert_in_range(&v);
    // tests/reference/compare_large_counts.py: fisher window 0.15734071970258584; exact OR
    // (mle, low, high) 1.0004000800140025, 0.9998456103918238, 1.0009548571240086.
    assert_rel(
        number(&v, "/fisher_p"),
        0.15734071970258584,
        REFERENCE_REL,
        "p",
    );
    assert_rel(
        number(&v, "/odds_ratio/conditional_mle"),
        1.0004000800140025,
        REFERENCE_REL,
        "MLE",
    );
    assert_rel(
        number(&v, "/odds_ratio/exact/0"),
        0.9998456103918238,
        REFERENCE_REL,
        "low",
    );
    assert_rel(
        number(&v, "/odds_ratio/exact/1"),
        1.0009548571240086,
        REFERENCE_REL,
        "high",
    );
}

#[test]
fn billions_with_a_lone_control_responder_answer_without_allocating() {
    // Old code: aborted allocating 32 GB.
    let (v, took) = run_json("4000000000/9000000000", "1/9000000000");
    assert!(took < TIME_BOUND, "took {took:?}");
    assert_in_range(&v);
    assert_rel(
        number(&v, "/risk_difference/estimate"),
        (4e9 - 1.0) / 9e9,
        1e-15,
        "risk difference",
    );
    // p is far below the smallest double: exactly 0, not NaN.
    assert!(number(&v, "/fisher_p") <= f64::MIN_POSITIVE);
    let low = number(&v, "/odds_ratio/exact/0");
    let mle = number(&v, "/odds_ratio/conditional_mle");
    let high = number(&v, "/odds_ratio/exact/1");
    assert!(0.0 < low && low < mle && mle < high, "{low} {mle} {high}");
}

#[test]
fn counts_at_the_limit_are_accepted() {
    let top = format!("{}/{LIMIT}", LIMIT / 2 + (1 << 30));
    let half = format!("{}/{LIMIT}", LIMIT / 2);
    let (v, took) = run_json(&top, &half);
    assert!(took < TIME_BOUND, "took {took:?}");
    assert_in_range(&v);
    let text = trialdose(["compare", "--treatment", &top, "--control", &half]);
    assert_eq!(text.code, 0, "{text}");
}

#[test]
fn counts_above_the_limit_are_refused_with_exit_2() {
    let above = LIMIT + 1;
    let two_62 = 1_u64 << 62;
    let max = u64::MAX;
    for (treatment, control, value) in [
        (format!("1/{above}"), "1/2".to_owned(), above),
        // Old code: panic "capacity overflow".
        (format!("{two_62}/{two_62}"), format!("1/{two_62}"), two_62),
        // Old code: a risk difference of 1.5.
        (format!("{max}/{max}"), format!("{}/{max}", max / 2), max),
        (format!("{max}/{max}"), format!("0/{max}"), max),
    ] {
        for json in [false, true] {
            let mut args = vec!["compare", "--treatment", &treatment, "--control", &control];
            if json {
                args.push("--json");
            }
            let run = trialdose(&args);
            assert_eq!(run.code, 2, "{run}");
            assert!(run.stdout.is_empty(), "{run}");
            assert!(!run.stderr.contains("panicked"), "{run}");
            assert!(run.stderr.contains(&value.to_string()), "{run}");
            assert!(run.stderr.contains(&LIMIT.to_string()), "{run}");
        }
    }
    // Beyond u64: not a whole number we can hold, still exit 2.
    let run = trialdose([
        "compare",
        "--treatment",
        "1/18446744073709551616",
        "--control",
        "1/2",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("18446744073709551616"), "{run}");
    assert!(run.stderr.contains(&LIMIT.to_string()), "{run}");
}

#[test]
fn json_carries_its_version_and_schema() {
    let (v, _) = run_json("24/38", "10/38");
    assert_eq!(v["trialdose_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["schema_version"], 1);
}
