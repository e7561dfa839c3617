//! Everything the statistics engine says about one treatment-versus-control 2×2 table, from
//! counts alone: what `trialdose compare` prints, as text and as JSON.
//!
//! Why a module of its own: clinics compare their own responder counts with a trial's without
//! a cohort folder, and the same block (every interval method, both tests, the NNT) is what a
//! statistician checks against SAS or R. The numbers come from [`crate::stats`]; this module
//! only gathers them and says why a value is missing.
//!
//! JSON rules: a value that does not exist is `null` with a `<key>_reason` string beside it,
//! never NaN; an interval limit that is infinite (a ratio's upper limit when the control arm has
//! no responders) is `null` inside the pair, with the reason beside the pair.

use serde_json::{Map, Value, json};

use crate::stats::{self, Binomial, Interval, Level, RdMethod};

/// The counts of a comparison and the settings it is computed with.
#[derive(Debug, Clone, Copy)]
pub struct TwoByTwo {
    /// Treatment responders out of participants.
    pub treatment: Binomial,
    /// Control responders out of participants.
    pub control: Binomial,
    /// Confidence level of every interval.
    pub level: Level,
    /// The risk-difference method behind the NNT's interval.
    pub rd_method: RdMethod,
}

/// A JSON object under construction, with the null-and-reason rule built in.
struct Object(Map<String, Value>);

impl Object {
    fn new() -> Object {
        Object(Map::new())
    }

    fn value(mut self, key: &str, value: Value) -> Object {
        self.0.insert(key.to_owned(), value);
        self
    }

    fn number(self, key: &str, value: Option<f64>, reason: &str) -> Object {
        match value.filter(|v| v.is_finite()) {
            Some(v) => self.value(key, json!(v)),
            None => self
                .value(key, Value::Null)
                .value(&format!("{key}_reason"), json!(reason)),
        }
    }

    fn interval(self, key: &str, value: Option<Interval>, reason: &str) -> Object {
        let Some(i) = value else {
            return self
                .value(key, Value::Null)
                .value(&format!("{key}_reason"), json!(reason));
        };
        let limit = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
        let pair = json!([limit(i.low), limit(i.high)]);
        let this = self.value(key, pair);
        if i.high.is_infinite() {
            this.value(
                &format!("{key}_reason"),
                json!("the upper limit is infinite: the table is at the edge of what the data allow (no control responders, or, for the odds ratio, every treatment participant responding)"),
            )
        } else {
            this
        }
    }

    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// Why a quantity of the table is missing, for the reason keys.
fn empty_arm_reason(t: &TwoByTwo) -> &'static str {
    match (t.treatment.trials(), t.control.trials()) {
        (0, 0) => "both arms have no participants",
        (0, _) => "the treatment arm has no participants",
        _ => "the control arm has no participants",
    }
}

fn arm(b: Binomial, level: Level) -> Value {
    let reason = "the arm has no participants";
    Object::new()
        .value("responders", json!(b.successes()))
        .value("n", json!(b.trials()))
        .number("rate", b.rate(), reason)
        .interval("wilson", stats::wilson(b, level), reason)
        .interval("clopper_pearson", stats::clopper_pearson(b, level), reason)
        .done()
}

/// The whole comparison as JSON (keys in the order the issue lists them; extra keys after).
#[must_use]
pub fn to_json(t: &TwoByTwo) -> Value {
    let (tr, co, level) = (t.treatment, t.control, t.level);
    let empty = empty_arm_reason(t);
    let both = tr.trials() > 0 && co.trials() > 0;

    let mut rd = Object::new().number("estimate", stats::risk_difference(tr, co), empty);
    for method in RdMethod::ALL {
        rd = rd.interval(method.as_str(), method.interval(tr, co, level), empty);
    }

    let katz = stats::risk_ratio_katz(tr, co, level);
    let no_ratio = if both {
        "neither arm has a responder: there is no ratio"
    } else {
        empty
    };
    let rr = Object::new()
        .number("estimate", katz.map(|r| r.estimate), empty)
        .interval("katz", katz.map(|r| r.interval), empty)
        .value("corrected", json!(katz.is_some_and(|r| r.corrected)))
        .interval(
            "miettinen_nurminen",
            stats::miettinen_nurminen_ratio(tr, co, level),
            no_ratio,
        )
        .done();

    let woolf = stats::odds_ratio_woolf(tr, co, level);
    let exact = stats::odds_ratio_exact(tr, co, level);
    let degenerate = if both {
        "a margin is degenerate (no responders or no non-responders in either arm): only the observed table is possible"
    } else {
        empty
    };
    let or = Object::new()
        .number("estimate", woolf.map(|r| r.estimate), empty)
        .interval("woolf", woolf.map(|r| r.interval), empty)
        .interval("exact", exact.map(|e| e.interval), degenerate)
        .value("corrected", json!(woolf.is_some_and(|r| r.corrected)))
        .number(
            "conditional_mle",
            exact.map(|e| e.estimate),
            if exact.is_some() {
                "the conditional estimate is 0 or infinite at the edge of the support"
            } else {
                degenerate
            },
        )
        .done();

    let nnt = match (
        stats::risk_difference(tr, co),
        t.rd_method.interval(tr, co, level),
    ) {
        (Some(d), Some(ci)) => {
            let shown = stats::altman(d, ci);
            Object::new()
                .number(
                    "estimate",
                    shown.estimate,
                    "the rates are equal: the NNT is infinite",
                )
                .value("display", json!(shown.display))
                .value("interval_method", json!(t.rd_method.as_str()))
                .done()
        }
        _ => Object::new()
            .number("estimate", None, empty)
            .value("display", Value::Null)
            .done(),
    };

    let no_chi = if both {
        "a row or column total is zero"
    } else {
        empty
    };
    let chi = stats::pearson_chi_square(tr, co, false);
    let yates = stats::pearson_chi_square(tr, co, true);
    Object::new()
        .value("treatment", arm(tr, level))
        .value("control", arm(co, level))
        .value("risk_difference", rd.done())
        .value("risk_ratio", rr)
        .value("odds_ratio", or)
        .value("nnt", nnt)
        .number(
            "fisher_p",
            both.then(|| stats::fisher_exact_two_sided(tr, co)),
            empty,
        )
        .number("chi2_p", chi.map(|c| c.p_value), no_chi)
        .number("chi2_yates_p", yates.map(|c| c.p_value), no_chi)
        .number("chi2", chi.map(|c| c.statistic), no_chi)
        .number("chi2_yates", yates.map(|c| c.statistic), no_chi)
        .value("level", json!(level.value()))
        .done()
}
