//! Everything the statistics engine says about one treatment-versus-control 2×2 table, from
//! counts alone: what `trialdose compare` prints, as text and as JSON.
//!
//! Why a module of its own: clinics compare their own responder counts with a trial's without
//! a cohort folder, and the same block (every interval method, both tests, the NNT) is what a
//! statistician checks against SAS or R. The numbers come from [`crate::stats`]; this module
//! only gathers them into one typed [`CompareResult`] and says why a value is missing. The
//! JSON document is that struct serialized (field order = key order), and the text block is
//! printed from the same struct, so a renamed key is a compile error, not a silent blank.
//!
//! JSON rules: a value that does not exist is `null` with a `<key>_reason` string beside it,
//! never NaN; an interval limit that is infinite (a ratio's upper limit when the control arm has
//! no responders) is `null` inside the pair, with the reason beside the pair.
//!
//! Size limit: each arm may have at most [`MAX_PARTICIPANTS`] (2^52) participants, so that every
//! count and both totals are exact in double precision; larger counts are refused with
//! [`CompareError::TooManyParticipants`]. Below the limit every statistic costs the same
//! whatever the counts (the exact sums of `stats` switch to Euler-Maclaurin summation when
//! their terms are many; see `stats/special.rs`).

use serde::{Deserialize, Serialize};

use crate::stats::{self, Binomial, Interval, Level, RdMethod};

/// Version of the JSON document's layout; raised when a key changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// Largest number of participants accepted in one arm: 2^52 = 4,503,599,627,370,496. Both arms
/// together then stay at or below 2^53, so every count and margin is an exact double.
pub const MAX_PARTICIPANTS: u64 = 1 << 52;

/// Counts a comparison cannot be computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    /// An arm has more participants than [`MAX_PARTICIPANTS`].
    #[error(
        "the {arm} arm has {participants} participants, above the largest accepted \
         {MAX_PARTICIPANTS} (2^52, so that every count is exact in double precision); \
         give counts of at most {MAX_PARTICIPANTS}"
    )]
    TooManyParticipants {
        /// "treatment" or "control".
        arm: &'static str,
        /// The rejected number of participants.
        participants: u64,
    },
}

/// The counts of a comparison and the settings it is computed with, validated (each arm at
/// most [`MAX_PARTICIPANTS`]).
#[derive(Debug, Clone, Copy)]
pub struct TwoByTwo {
    treatment: Binomial,
    control: Binomial,
    level: Level,
    rd_method: RdMethod,
}

impl TwoByTwo {
    /// A comparison of `treatment` against `control` at `level`, with `rd_method` behind the
    /// NNT's interval.
    ///
    /// # Errors
    /// [`CompareError::TooManyParticipants`] when an arm has more than [`MAX_PARTICIPANTS`].
    pub fn new(
        treatment: Binomial,
        control: Binomial,
        level: Level,
        rd_method: RdMethod,
    ) -> Result<TwoByTwo, CompareError> {
        for (arm, b) in [("treatment", treatment), ("control", control)] {
            if b.trials() > MAX_PARTICIPANTS {
                return Err(CompareError::TooManyParticipants {
                    arm,
                    participants: b.trials(),
                });
            }
        }
        Ok(TwoByTwo {
            treatment,
            control,
            level,
            rd_method,
        })
    }

    /// Treatment responders out of participants.
    #[must_use]
    pub fn treatment(&self) -> Binomial {
        self.treatment
    }

    /// Control responders out of participants.
    #[must_use]
    pub fn control(&self) -> Binomial {
        self.control
    }

    /// Confidence level of every interval.
    #[must_use]
    pub fn level(&self) -> Level {
        self.level
    }

    /// The risk-difference method behind the NNT's interval.
    #[must_use]
    pub fn rd_method(&self) -> RdMethod {
        self.rd_method
    }
}

/// An interval as JSON writes it: `[low, high]`, a limit that is infinite as `None` (`null`).
pub type Limits = [Option<f64>; 2];

/// One arm: counts, rate and the two single-proportion intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmResult {
    /// Responders.
    pub responders: u64,
    /// Participants.
    pub n: u64,
    /// Responder rate; `None` for an empty arm.
    pub rate: Option<f64>,
    /// Why `rate` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_reason: Option<String>,
    /// Wilson score interval.
    pub wilson: Option<Limits>,
    /// Why `wilson` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wilson_reason: Option<String>,
    /// Clopper-Pearson interval.
    pub clopper_pearson: Option<Limits>,
    /// Why `clopper_pearson` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clopper_pearson_reason: Option<String>,
}

/// The risk difference, treatment minus control, with every interval method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskDifference {
    /// `p_t − p_c`.
    pub estimate: Option<f64>,
    /// Why `estimate` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_reason: Option<String>,
    /// Wald interval.
    pub wald: Option<Limits>,
    /// Why `wald` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wald_reason: Option<String>,
    /// Newcombe's hybrid score interval.
    pub newcombe: Option<Limits>,
    /// Why `newcombe` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newcombe_reason: Option<String>,
    /// Agresti-Caffo interval.
    pub agresti_caffo: Option<Limits>,
    /// Why `agresti_caffo` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agresti_caffo_reason: Option<String>,
    /// Miettinen-Nurminen score interval.
    pub miettinen_nurminen: Option<Limits>,
    /// Why `miettinen_nurminen` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miettinen_nurminen_reason: Option<String>,
    /// Skewness-corrected asymptotic score interval (Laud 2017).
    #[serde(default)]
    pub scas: Option<Limits>,
    /// Why `scas` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scas_reason: Option<String>,
}

/// The risk ratio, treatment over control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskRatio {
    /// `p_t / p_c` (from the corrected table when `corrected`).
    pub estimate: Option<f64>,
    /// Why `estimate` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_reason: Option<String>,
    /// Katz log interval.
    pub katz: Option<Limits>,
    /// Why `katz` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub katz_reason: Option<String>,
    /// Whether 0.5 was added to every cell.
    pub corrected: bool,
    /// Miettinen-Nurminen score interval.
    pub miettinen_nurminen: Option<Limits>,
    /// Why `miettinen_nurminen` is missing or has an infinite limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miettinen_nurminen_reason: Option<String>,
    /// Skewness-corrected asymptotic score interval (Laud 2017).
    #[serde(default)]
    pub scas: Option<Limits>,
    /// Why `scas` is missing or has an infinite limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scas_reason: Option<String>,
}

/// The odds ratio, treatment against control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OddsRatio {
    /// Sample odds ratio (from the corrected table when `corrected`).
    pub estimate: Option<f64>,
    /// Why `estimate` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_reason: Option<String>,
    /// Woolf logit interval.
    pub woolf: Option<Limits>,
    /// Why `woolf` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub woolf_reason: Option<String>,
    /// Exact conditional interval.
    pub exact: Option<Limits>,
    /// Why `exact` is missing or has an infinite limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_reason: Option<String>,
    /// Whether 0.5 was added to every cell (Woolf).
    pub corrected: bool,
    /// Conditional maximum likelihood estimate.
    pub conditional_mle: Option<f64>,
    /// Why `conditional_mle` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional_mle_reason: Option<String>,
    /// Blaker's exact interval, the one that matches `blaker_p`.
    #[serde(default)]
    pub blaker: Option<Limits>,
    /// Why `blaker` is missing or has an infinite limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blaker_reason: Option<String>,
}

/// The number needed to treat in Altman's notation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nnt {
    /// `1 / (p_t − p_c)`, signed (positive: benefit).
    pub estimate: Option<f64>,
    /// Why `estimate` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_reason: Option<String>,
    /// Altman's text, e.g. "NNTB 2.7 (1.8 to 6.9)"; `None` when there is no difference.
    pub display: Option<String>,
    /// The risk-difference method of the interval; absent when there is no difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_method: Option<RdMethod>,
}

/// Everything `trialdose compare` reports for one table; `--json` prints it as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareResult {
    /// The trialdose release that computed it.
    pub trialdose_version: String,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The treatment arm.
    pub treatment: ArmResult,
    /// The control arm.
    pub control: ArmResult,
    /// Risk difference and its intervals.
    pub risk_difference: RiskDifference,
    /// Risk ratio and its intervals.
    pub risk_ratio: RiskRatio,
    /// Odds ratio and its intervals.
    pub odds_ratio: OddsRatio,
    /// Number needed to treat.
    pub nnt: Nnt,
    /// Fisher's exact two-sided p (R's `fisher.test`).
    pub fisher_p: Option<f64>,
    /// Why `fisher_p` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fisher_p_reason: Option<String>,
    /// Fisher's two-sided mid-p (less conservative; `null` when an arm is empty).
    #[serde(default)]
    pub fisher_mid_p: Option<f64>,
    /// Blaker's exact two-sided p of an odds ratio of 1 (agrees with `odds_ratio.blaker`).
    #[serde(default)]
    pub blaker_p: Option<f64>,
    /// Why `blaker_p` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blaker_p_reason: Option<String>,
    /// Pearson chi-square p.
    pub chi2_p: Option<f64>,
    /// Why `chi2_p` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chi2_p_reason: Option<String>,
    /// Pearson chi-square p with Yates' correction.
    pub chi2_yates_p: Option<f64>,
    /// Why `chi2_yates_p` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chi2_yates_p_reason: Option<String>,
    /// Pearson chi-square statistic.
    pub chi2: Option<f64>,
    /// Why `chi2` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chi2_reason: Option<String>,
    /// Pearson chi-square statistic with Yates' correction.
    pub chi2_yates: Option<f64>,
    /// Why `chi2_yates` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chi2_yates_reason: Option<String>,
    /// Confidence level of every interval.
    pub level: f64,
    /// The margin test, when `--margin` or `--margin-ratio` asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_test: Option<MarginRow>,
}

/// A non-inferiority, superiority or equivalence test ([`stats::margin`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarginRow {
    /// `noninferiority`, `superiority` or `equivalence`.
    pub hypothesis: String,
    /// `difference` or `ratio`.
    pub scale: String,
    /// The margin (a proportion for the difference).
    pub margin: f64,
    /// The Farrington-Manning score statistic.
    pub z: Option<f64>,
    /// Its p-value (one-sided; the larger of the two for equivalence).
    pub p: Option<f64>,
    /// The null hypothesis is rejected at one-sided level (1 - level)/2.
    pub rejected: Option<bool>,
    /// In words, e.g. "non-inferior at the 0.1 margin".
    pub conclusion: String,
    /// The matching Miettinen-Nurminen interval (of the difference or the ratio) at `level`.
    pub interval: Option<Limits>,
}

/// The margin test of `treatment` against `control` as reported (`None` values with a
/// conclusion saying why when an arm is empty or no statistic exists).
#[must_use]
pub fn margin_row(
    treatment: Binomial,
    control: Binomial,
    hypothesis: stats::margin::Hypothesis,
    margin: stats::margin::Margin,
    level: Level,
) -> MarginRow {
    use stats::margin::{Hypothesis, Margin};
    let (scale, value) = match margin {
        Margin::Difference(d) => ("difference", d),
        Margin::Ratio(r) => ("ratio", r),
    };
    let test = stats::margin::margin_test(treatment, control, hypothesis, margin, level);
    let word = match hypothesis {
        Hypothesis::Noninferiority => "non-inferior",
        Hypothesis::Superiority => "superior",
        Hypothesis::Equivalence => "equivalent",
    };
    let conclusion = match test {
        Some(t) if t.rejected => format!("{word} at the {scale} margin {value}"),
        Some(_) => format!("not shown {word} at the {scale} margin {value}"),
        None => "no test: an arm is empty or the restricted variance is zero".to_owned(),
    };
    MarginRow {
        hypothesis: hypothesis.as_str().to_owned(),
        scale: scale.to_owned(),
        margin: value,
        z: test.map(|t| t.z).filter(|z| z.is_finite()),
        p: test.map(|t| t.p_value),
        rejected: test.map(|t| t.rejected),
        conclusion,
        interval: test.and_then(|t| t.interval).map(finite_limits),
    }
}

/// Reason given beside an interval whose upper limit is infinite.
const INFINITE_UPPER: &str = "the upper limit is infinite: the table is at the edge of what the data allow (no control responders, or, for the odds ratio, every treatment participant responding)";

/// A number and, when it is missing or not finite, the reason.
fn number(value: Option<f64>, reason: &str) -> (Option<f64>, Option<String>) {
    match value.filter(|v| v.is_finite()) {
        Some(v) => (Some(v), None),
        None => (None, Some(reason.to_owned())),
    }
}

/// An interval as JSON limits, an infinite limit as `None`.
fn finite_limits(i: Interval) -> Limits {
    let limit = |v: f64| v.is_finite().then_some(v);
    [limit(i.low), limit(i.high)]
}

/// An interval as limits and, when it is missing or its upper limit is infinite, the reason.
fn limits(value: Option<Interval>, reason: &str) -> (Option<Limits>, Option<String>) {
    let Some(i) = value else {
        return (None, Some(reason.to_owned()));
    };
    let why = i.high.is_infinite().then(|| INFINITE_UPPER.to_owned());
    (Some(finite_limits(i)), why)
}

/// Why a quantity of the table is missing, for the reason keys.
fn empty_arm_reason(t: &TwoByTwo) -> &'static str {
    match (t.treatment.trials(), t.control.trials()) {
        (0, 0) => "both arms have no participants",
        (0, _) => "the treatment arm has no participants",
        _ => "the control arm has no participants",
    }
}

fn arm(b: Binomial, level: Level) -> ArmResult {
    let reason = "the arm has no participants";
    let (rate, rate_reason) = number(b.rate(), reason);
    let (wilson, wilson_reason) = limits(stats::wilson(b, level), reason);
    let (clopper_pearson, clopper_pearson_reason) =
        limits(stats::clopper_pearson(b, level), reason);
    ArmResult {
        responders: b.successes(),
        n: b.trials(),
        rate,
        rate_reason,
        wilson,
        wilson_reason,
        clopper_pearson,
        clopper_pearson_reason,
    }
}

fn risk_difference(t: &TwoByTwo, empty: &str) -> RiskDifference {
    let (tr, co, level) = (t.treatment, t.control, t.level);
    let (estimate, estimate_reason) = number(stats::risk_difference(tr, co), empty);
    let interval = |m: RdMethod| limits(m.interval(tr, co, level), empty);
    let (wald, wald_reason) = interval(RdMethod::Wald);
    let (newcombe, newcombe_reason) = interval(RdMethod::Newcombe);
    let (agresti_caffo, agresti_caffo_reason) = interval(RdMethod::AgrestiCaffo);
    let (miettinen_nurminen, miettinen_nurminen_reason) = interval(RdMethod::MiettinenNurminen);
    let (scas, scas_reason) = limits(stats::scas_difference(tr, co, level), empty);
    RiskDifference {
        estimate,
        estimate_reason,
        wald,
        wald_reason,
        newcombe,
        newcombe_reason,
        agresti_caffo,
        agresti_caffo_reason,
        miettinen_nurminen,
        miettinen_nurminen_reason,
        scas,
        scas_reason,
    }
}

fn risk_ratio(t: &TwoByTwo, empty: &str, both: bool) -> RiskRatio {
    let (tr, co, level) = (t.treatment, t.control, t.level);
    let katz = stats::risk_ratio_katz(tr, co, level);
    let no_ratio = if both {
        "neither arm has a responder: there is no ratio"
    } else {
        empty
    };
    let (estimate, estimate_reason) = number(katz.map(|r| r.estimate), empty);
    let (katz_limits, katz_reason) = limits(katz.map(|r| r.interval), empty);
    let (miettinen_nurminen, miettinen_nurminen_reason) =
        limits(stats::miettinen_nurminen_ratio(tr, co, level), no_ratio);
    let (scas, scas_reason) = limits(stats::scas_ratio(tr, co, level), no_ratio);
    RiskRatio {
        estimate,
        estimate_reason,
        katz: katz_limits,
        katz_reason,
        corrected: katz.is_some_and(|r| r.corrected),
        miettinen_nurminen,
        miettinen_nurminen_reason,
        scas,
        scas_reason,
    }
}

/// Why Blaker's test or interval is missing (`stats::blaker`): an empty arm or degenerate
/// margin, a support too wide to tabulate, or (the interval only) a level below 0.6.
fn blaker_missing<'a>(t: &TwoByTwo, both: bool, degenerate: &'a str, computed: bool) -> &'a str {
    let (tr, co) = (t.treatment, t.control);
    let responders = tr.successes() + co.successes();
    let margins_fine = both && responders > 0 && responders < tr.trials() + co.trials();
    if !margins_fine {
        degenerate
    } else if computed {
        "Blaker's interval is computed for levels of 0.6 and above"
    } else {
        "the table is too large for Blaker's exact test (its support has more than 131,072 values); use Fisher's test or the score intervals"
    }
}

fn odds_ratio(
    t: &TwoByTwo,
    empty: &str,
    both: bool,
    blaker: Option<stats::BlakerOddsRatio>,
) -> OddsRatio {
    let (tr, co, level) = (t.treatment, t.control, t.level);
    let woolf = stats::odds_ratio_woolf(tr, co, level);
    let exact = stats::odds_ratio_exact(tr, co, level);
    let degenerate = if both {
        "a margin is degenerate (no responders or no non-responders in either arm): only the observed table is possible"
    } else {
        empty
    };
    let (estimate, estimate_reason) = number(woolf.map(|r| r.estimate), empty);
    let (woolf_limits, woolf_reason) = limits(woolf.map(|r| r.interval), empty);
    let (exact_limits, exact_reason) = limits(exact.map(|e| e.interval), degenerate);
    let (blaker, blaker_reason) = limits(
        blaker.and_then(|b| b.interval),
        blaker_missing(t, both, degenerate, blaker.is_some()),
    );
    let (conditional_mle, conditional_mle_reason) = number(
        exact.map(|e| e.estimate),
        if exact.is_some() {
            "the conditional estimate is 0 or infinite at the edge of the support"
        } else {
            degenerate
        },
    );
    OddsRatio {
        estimate,
        estimate_reason,
        woolf: woolf_limits,
        woolf_reason,
        exact: exact_limits,
        exact_reason,
        corrected: woolf.is_some_and(|r| r.corrected),
        conditional_mle,
        conditional_mle_reason,
        blaker,
        blaker_reason,
    }
}

fn nnt(t: &TwoByTwo, empty: &str) -> Nnt {
    let (tr, co) = (t.treatment, t.control);
    match (
        stats::risk_difference(tr, co),
        t.rd_method.interval(tr, co, t.level),
    ) {
        (Some(d), Some(ci)) => {
            let shown = stats::altman(d, ci);
            let (estimate, estimate_reason) =
                number(shown.estimate, "the rates are equal: the NNT is infinite");
            Nnt {
                estimate,
                estimate_reason,
                display: Some(shown.display),
                interval_method: Some(t.rd_method),
            }
        }
        _ => {
            let (estimate, estimate_reason) = number(None, empty);
            Nnt {
                estimate,
                estimate_reason,
                display: None,
                interval_method: None,
            }
        }
    }
}

/// The whole comparison (every interval, both tests, the NNT), typed.
#[must_use]
pub fn compare(t: &TwoByTwo) -> CompareResult {
    let (tr, co, level) = (t.treatment, t.control, t.level);
    let empty = empty_arm_reason(t);
    let both = tr.trials() > 0 && co.trials() > 0;
    let no_chi = if both {
        "a row or column total is zero"
    } else {
        empty
    };
    let chi = stats::pearson_chi_square(tr, co, false);
    let yates = stats::pearson_chi_square(tr, co, true);
    let (fisher_p, fisher_p_reason) =
        number(both.then(|| stats::fisher_exact_two_sided(tr, co)), empty);
    let (chi2_p, chi2_p_reason) = number(chi.map(|c| c.p_value), no_chi);
    let (chi2_yates_p, chi2_yates_p_reason) = number(yates.map(|c| c.p_value), no_chi);
    let (chi2, chi2_reason) = number(chi.map(|c| c.statistic), no_chi);
    let (chi2_yates, chi2_yates_reason) = number(yates.map(|c| c.statistic), no_chi);
    let blaker = stats::blaker_odds_ratio(tr, co, level);
    let (blaker_p, blaker_p_reason) = number(
        blaker.map(|b| b.p_value),
        blaker_missing(
            t,
            both,
            "a margin is degenerate or an arm is empty",
            blaker.is_some(),
        ),
    );
    CompareResult {
        trialdose_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version: SCHEMA_VERSION,
        treatment: arm(tr, level),
        control: arm(co, level),
        risk_difference: risk_difference(t, empty),
        risk_ratio: risk_ratio(t, empty, both),
        odds_ratio: odds_ratio(t, empty, both, blaker),
        nnt: nnt(t, empty),
        fisher_p,
        fisher_p_reason,
        fisher_mid_p: both.then(|| stats::fisher_mid_p(tr, co)),
        blaker_p,
        blaker_p_reason,
        chi2_p,
        chi2_p_reason,
        chi2_yates_p,
        chi2_yates_p_reason,
        chi2,
        chi2_reason,
        chi2_yates,
        chi2_yates_reason,
        level: level.value(),
        margin_test: None,
    }
}

/// Most strata `compare --strata` accepts (a list longer than any trial's sites).
pub const MAX_STRATA: usize = 10_000;

/// Counts of one stratum as `compare --strata` reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StratumRow {
    /// Treatment responders.
    pub treatment_responders: u64,
    /// Treatment participants.
    pub treatment_n: u64,
    /// Control responders.
    pub control_responders: u64,
    /// Control participants.
    pub control_n: u64,
    /// False when an arm is empty: the stratum compares nothing and is left out.
    pub used: bool,
}

/// A pooled estimate: the estimate, its standard error (of the logarithm for a ratio) and
/// its interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PooledRow {
    /// The estimate.
    pub estimate: f64,
    /// Standard error (of the logarithm, for a ratio).
    pub se: f64,
    /// The interval at the requested level.
    pub interval: Limits,
}

/// A chi-square test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRow {
    /// The statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: u64,
    /// Upper-tail p.
    pub p: f64,
}

/// Everything `trialdose compare --strata` reports; `--json` prints it as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StratifiedResult {
    /// The trialdose release that computed it.
    pub trialdose_version: String,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Confidence level of every interval.
    pub level: f64,
    /// The strata as given, in order.
    pub strata: Vec<StratumRow>,
    /// Strata that compare (both arms present).
    pub strata_used: usize,
    /// Mantel-Haenszel risk difference (Sato variance).
    pub mh_risk_difference: Option<PooledRow>,
    /// Stratified Miettinen-Nurminen interval for the common risk difference (Mantel-Haenszel
    /// weights; SAS `COMMONRISKDIFF(CL=MNMH)`).
    #[serde(default)]
    pub mn_risk_difference: Option<Limits>,
    /// Mantel-Haenszel risk ratio (Greenland-Robins variance).
    pub mh_risk_ratio: Option<PooledRow>,
    /// Mantel-Haenszel odds ratio (Robins-Breslow-Greenland variance).
    pub mh_odds_ratio: Option<PooledRow>,
    /// Cochran-Mantel-Haenszel test of no association (no continuity correction).
    pub cmh: Option<TestRow>,
    /// Breslow-Day test of equal odds ratios, with Tarone's correction.
    pub breslow_day_tarone: Option<TestRow>,
    /// Breslow-Day test without the correction.
    pub breslow_day: Option<TestRow>,
}

/// The stratified comparison of `strata` at `level` ([`stats::stratified`]).
///
/// # Errors
/// [`CompareError::TooManyParticipants`] when an arm of a stratum has more than
/// [`MAX_PARTICIPANTS`].
pub fn compare_strata(
    strata: &[stats::Stratum],
    level: Level,
) -> Result<StratifiedResult, CompareError> {
    for s in strata {
        for (arm, b) in [("treatment", s.treatment), ("control", s.control)] {
            if b.trials() > MAX_PARTICIPANTS {
                return Err(CompareError::TooManyParticipants {
                    arm,
                    participants: b.trials(),
                });
            }
        }
    }
    let r = stats::mantel_haenszel(strata, level);
    let pooled = |p: Option<stats::stratified::Pooled>| {
        p.map(|p| PooledRow {
            estimate: p.estimate,
            se: p.se,
            interval: finite_limits(p.interval),
        })
    };
    let test = |t: stats::stratified::ChiSquareTest| TestRow {
        statistic: t.statistic,
        df: t.df,
        p: t.p_value,
    };
    Ok(StratifiedResult {
        trialdose_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version: SCHEMA_VERSION,
        level: level.value(),
        strata: strata
            .iter()
            .map(|s| StratumRow {
                treatment_responders: s.treatment.successes(),
                treatment_n: s.treatment.trials(),
                control_responders: s.control.successes(),
                control_n: s.control.trials(),
                used: s.compares(),
            })
            .collect(),
        strata_used: r.strata_used,
        mh_risk_difference: pooled(r.risk_difference),
        mn_risk_difference: r.risk_difference_mn.map(finite_limits),
        mh_risk_ratio: pooled(r.risk_ratio),
        mh_odds_ratio: pooled(r.odds_ratio),
        cmh: r.cmh.map(test),
        breslow_day_tarone: r.breslow_day.map(|b| test(b.tarone)),
        breslow_day: r.breslow_day.map(|b| test(b.plain)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(xt: u64, nt: u64, xc: u64, nc: u64) -> TwoByTwo {
        TwoByTwo::new(
            Binomial::new(xt, nt).unwrap(),
            Binomial::new(xc, nc).unwrap(),
            Level::NINETY_FIVE,
            RdMethod::Newcombe,
        )
        .unwrap()
    }

    /// Parsed floats within this relative distance of the printed ones (serde_json 1.0
    /// without `float_roundtrip` rounds to within an ulp or so).
    const PARSE_REL: f64 = 4.0 * f64::EPSILON;

    fn same(a: &serde_json::Value, b: &serde_json::Value) {
        use serde_json::Value;
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!((x - y).abs() <= PARSE_REL * y.abs(), "{x} vs {y}");
            }
            (Value::Array(x), Value::Array(y)) => {
                assert_eq!(x.len(), y.len());
                x.iter().zip(y).for_each(|(x, y)| same(x, y));
            }
            (Value::Object(x), Value::Object(y)) => {
                assert!(x.keys().eq(y.keys()), "{x:?} vs {y:?}");
                x.values().zip(y.values()).for_each(|(x, y)| same(x, y));
            }
            _ => assert_eq!(a, b),
        }
    }

    #[test]
    fn json_round_trips_into_the_struct() {
        for t in [
            table(24, 38, 10, 38),
            table(0, 0, 3, 10),
            table(5, 56, 0, 29),
            table(0, 10, 0, 20),
            table(10, 38, 10, 38),
        ] {
            let result = compare(&t);
            let text = serde_json::to_string_pretty(&result).unwrap();
            let back: CompareResult = serde_json::from_str(&text).unwrap();
            // serde_json's default float parser may be an ulp off, so numbers are compared
            // to a few ulps; everything else (keys, nulls, reasons, flags) exactly.
            same(
                &serde_json::to_value(&back).unwrap(),
                &serde_json::to_value(&result).unwrap(),
            );
            assert!(!text.contains("NaN"), "{text}");
        }
    }

    #[test]
    fn version_keys_open_the_document() {
        let text = serde_json::to_string(&compare(&table(24, 38, 10, 38))).unwrap();
        let head = format!(
            "{{\"trialdose_version\":\"{}\",\"schema_version\":1,\"treatment\":",
            env!("CARGO_PKG_VERSION")
        );
        assert!(text.starts_with(&head), "{text}");
    }

    #[test]
    fn counts_above_the_limit_are_refused_by_name() {
        let big = Binomial::new(1, MAX_PARTICIPANTS + 1).unwrap();
        let ok = Binomial::new(1, MAX_PARTICIPANTS).unwrap();
        let err = TwoByTwo::new(ok, big, Level::NINETY_FIVE, RdMethod::Newcombe).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("control"), "{msg}");
        assert!(msg.contains(&(MAX_PARTICIPANTS + 1).to_string()), "{msg}");
        assert!(msg.contains(&MAX_PARTICIPANTS.to_string()), "{msg}");
        assert!(TwoByTwo::new(ok, ok, Level::NINETY_FIVE, RdMethod::Newcombe).is_ok());
    }
}
