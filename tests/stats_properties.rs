//! Property tests of the statistics engine (proptest): the invariants every interval and test
//! must keep on any counts, not just on the tables of the unit tests.

use proptest::prelude::*;
use trialdose::stats::{
    self, Binomial, Interval, Level, RdMethod, clopper_pearson, fisher_exact_two_sided, wilson,
};

/// Rounding slack for "contains" and "mirror" checks: the limits come from closed forms or
/// from root searches that stop a few ulps from the root.
const SLACK: f64 = 1e-9;

/// A table with arms of 1 to 400 participants.
fn table() -> impl Strategy<Value = (Binomial, Binomial)> {
    (1u64..=400, 1u64..=400)
        .prop_flat_map(|(nt, nc)| (0..=nt, Just(nt), 0..=nc, Just(nc)))
        .prop_map(|(xt, nt, xc, nc)| {
            (
                Binomial::new(xt, nt).unwrap(),
                Binomial::new(xc, nc).unwrap(),
            )
        })
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![Just(0.8), Just(0.9), Just(0.95), Just(0.99), 0.5f64..0.999]
        .prop_map(|l| Level::new(l).unwrap())
}

fn contains(i: Interval, x: f64) -> bool {
    i.low - SLACK <= x && x <= i.high + SLACK
}

/// The point an interval method is centred on: the observed difference, except Agresti-Caffo,
/// which is centred on the difference after adding one success and one failure per arm.
fn centre(method: RdMethod, t: Binomial, c: Binomial) -> f64 {
    match method {
        RdMethod::AgrestiCaffo => {
            let adj = |b: Binomial| (b.successes() as f64 + 1.0) / (b.trials() as f64 + 2.0);
            (adj(t) - adj(c)).clamp(-1.0, 1.0)
        }
        _ => stats::risk_difference(t, c).unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn single_proportion_intervals_contain_the_rate((t, _c) in table(), level in level()) {
        let rate = t.rate().unwrap();
        for i in [wilson(t, level).unwrap(), clopper_pearson(t, level).unwrap()] {
            prop_assert!(contains(i, rate), "{i:?} misses {rate}");
            prop_assert!(0.0 <= i.low && i.high <= 1.0, "{i:?} outside [0, 1]");
        }
    }

    #[test]
    fn difference_intervals_contain_their_centre_and_mirror((t, c) in table(), level in level()) {
        for method in RdMethod::ALL {
            let i = method.interval(t, c, level).unwrap();
            let d = centre(method, t, c);
            prop_assert!(contains(i, d), "{method:?} {i:?} misses {d}");
            prop_assert!(-1.0 <= i.low && i.high <= 1.0, "{method:?} {i:?} outside [-1, 1]");
            let swapped = method.interval(c, t, level).unwrap();
            prop_assert!((swapped.low + i.high).abs() <= SLACK, "{method:?} swap low");
            prop_assert!((swapped.high + i.low).abs() <= SLACK, "{method:?} swap high");
        }
    }

    #[test]
    fn higher_level_gives_wider_intervals((t, c) in table(), a in 0.5f64..0.99, gap in 0.001f64..0.009) {
        let (lo, hi) = (Level::new(a).unwrap(), Level::new(a + gap).unwrap());
        let widens = |narrow: Interval, wide: Interval| {
            wide.low <= narrow.low + SLACK && narrow.high <= wide.high + SLACK
        };
        prop_assert!(widens(wilson(t, lo).unwrap(), wilson(t, hi).unwrap()));
        prop_assert!(widens(clopper_pearson(t, lo).unwrap(), clopper_pearson(t, hi).unwrap()));
        for method in RdMethod::ALL {
            let (n, w) = (method.interval(t, c, lo).unwrap(), method.interval(t, c, hi).unwrap());
            prop_assert!(widens(n, w), "{method:?}: {n:?} at {a} vs {w:?}");
        }
        if let (Some(n), Some(w)) = (
            stats::miettinen_nurminen_ratio(t, c, lo),
            stats::miettinen_nurminen_ratio(t, c, hi),
        ) {
            prop_assert!(w.low <= n.low * (1.0 + SLACK) && n.high <= w.high * (1.0 + SLACK));
        }
        if let (Some(n), Some(w)) = (stats::odds_ratio_exact(t, c, lo), stats::odds_ratio_exact(t, c, hi)) {
            prop_assert!(w.interval.low <= n.interval.low * (1.0 + SLACK));
            prop_assert!(n.interval.high <= w.interval.high * (1.0 + SLACK));
        }
    }

    #[test]
    fn ratio_intervals_contain_their_estimates((t, c) in table(), level in level()) {
        let katz = stats::risk_ratio_katz(t, c, level).unwrap();
        prop_assert!(katz.interval.low <= katz.estimate && katz.estimate <= katz.interval.high);
        prop_assert!(katz.interval.low > 0.0);
        let woolf = stats::odds_ratio_woolf(t, c, level).unwrap();
        prop_assert!(woolf.interval.low <= woolf.estimate && woolf.estimate <= woolf.interval.high);
        if let Some(mn) = stats::miettinen_nurminen_ratio(t, c, level) {
            // The uncorrected ratio p_t / p_c (infinite when the control has no responders).
            let rr = t.rate().unwrap() / c.rate().unwrap();
            prop_assert!(mn.low >= 0.0 && mn.low <= rr * (1.0 + SLACK) && rr <= mn.high * (1.0 + SLACK),
                "MN ratio {mn:?} misses {rr}");
        }
        if let Some(exact) = stats::odds_ratio_exact(t, c, level) {
            let i = exact.interval;
            prop_assert!(i.low >= 0.0 && i.low <= exact.estimate * (1.0 + SLACK));
            prop_assert!(exact.estimate <= i.high * (1.0 + SLACK), "exact OR {exact:?}");
        }
    }

    #[test]
    fn tests_give_p_values_in_range((t, c) in table()) {
        let p = fisher_exact_two_sided(t, c);
        prop_assert!(p > 0.0 && p <= 1.0, "Fisher p {p}");
        for yates in [false, true] {
            if let Some(chi) = stats::pearson_chi_square(t, c, yates) {
                prop_assert!(chi.statistic >= 0.0);
                prop_assert!(chi.p_value > 0.0 && chi.p_value <= 1.0, "chi2 p {}", chi.p_value);
            }
        }
        let uncorrected = stats::pearson_chi_square(t, c, false);
        let corrected = stats::pearson_chi_square(t, c, true);
        if let (Some(u), Some(y)) = (uncorrected, corrected) {
            prop_assert!(y.statistic <= u.statistic, "Yates can only shrink the statistic");
        }
    }
}
