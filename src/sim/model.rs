//! Each replicate's true responder rates: drawn from the evidence's Jeffreys posterior
//! (`--model arms`), or fixed by the user (`--truth ARM=RATE,...`).
//!
//! `arms`: with `x` responders of `n` in an arm of the evidence, the rate has the Jeffreys
//! posterior Beta(x + ½, n − x + ½); each replicate draws its own rate, so the predictions carry
//! the evidence's uncertainty (a predictive, not a plug-in, distribution). These rates are
//! intention-to-treat rates: they already contain the attendance of the evidence's participants,
//! so in this model simulated attendance changes the dose delivered, not the response.
//!
//! `--truth`: the rate of a patient who attends every planned session; a patient who attends a
//! fraction `f` of them responds with probability `f · r_arm + (1 − f) · r_control`, where
//! `r_control` is the control rate of the truth (or of the evidence, or 0 when neither has one).
//! That linear dilution is an assumption, stated in the output.
//!
//! Reference: H. Jeffreys, Theory of Probability (1961); the Jeffreys prior Beta(½, ½) for a
//! binomial rate, as in Brown, Cai & DasGupta, Statistical Science 16 (2001) 101-133.

use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution};

use super::dose_response::DoseFit;
use super::evidence::{Counts, Evidence};
use super::schedule::Plan;
use super::{Field, SimError};
use crate::domain::PrimaryOutcome;

/// Where an arm's rate comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateSource {
    /// Jeffreys posterior Beta(a, b) from evidence counts.
    Posterior {
        /// `x + ½`.
        a: f64,
        /// `n − x + ½`.
        b: f64,
    },
    /// A fixed rate at full dose.
    Fixed(f64),
    /// From the dose-response curve of the outcome model (drawn once per replicate).
    Curve(Plan),
}

impl RateSource {
    /// The Jeffreys posterior of evidence counts.
    #[must_use]
    pub fn jeffreys(c: Counts) -> RateSource {
        RateSource::Posterior {
            a: c.responders + 0.5,
            b: c.n - c.responders + 0.5,
        }
    }

    /// One draw of the rate.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> f64 {
        match *self {
            RateSource::Fixed(r) => r,
            // Curve rates are drawn by `OutcomeModel::draw_rates`; alone, no curve is known.
            RateSource::Curve(_) => 0.0,
            RateSource::Posterior { a, b } => Beta::new(a, b)
                .map(|d| d.sample(rng))
                .unwrap_or(a / (a + b)),
        }
    }

    /// Whether the rate is fixed (a `--truth`).
    #[must_use]
    pub fn is_fixed(&self) -> bool {
        matches!(self, RateSource::Fixed(_))
    }
}

/// `--truth ARM=RATE,...`: fixed full-dose rates by plan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Truth(pub Vec<(Plan, f64)>);

impl Truth {
    /// Parses `control=0.26,60x2=0.63`; rates must lie in [0, 1].
    ///
    /// # Errors
    /// [`SimError::Invalid`] naming the bad part and the allowed range.
    pub fn parse(text: &str) -> Result<Truth, SimError> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad =
                |message: String| SimError::invalid(Field::Truth, format!("{part:?}"), message);
            let (arm, rate) = part
                .split_once('=')
                .ok_or_else(|| bad("expected ARM=RATE, e.g. control=0.26,60x2=0.63".into()))?;
            let plan = Plan::parse(arm).map_err(|e| bad(e.to_string()))?;
            let r: f64 = rate
                .trim()
                .parse()
                .map_err(|_| bad(format!("rate {rate:?} is not a number; allowed 0 to 1")))?;
            if !(0.0..=1.0).contains(&r) {
                return Err(bad(format!(
                    "rate {r} is outside [0, 1]; give a fraction such as 0.63"
                )));
            }
            if out.iter().any(|(p, _)| *p == plan) {
                return Err(bad(format!("{arm} is given twice")));
            }
            out.push((plan, r));
        }
        if out.is_empty() {
            return Err(SimError::invalid(
                Field::Truth,
                format!("{text:?}"),
                "no rate given; e.g. control=0.26,60x2=0.63",
            ));
        }
        Ok(Truth(out))
    }

    /// The fixed rate of `plan`, if given.
    #[must_use]
    pub fn rate(&self, plan: Plan) -> Option<f64> {
        self.0.iter().find(|(p, _)| *p == plan).map(|&(_, r)| r)
    }
}

/// The rate model of one outcome for a set of simulated arms.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeModel {
    /// The outcome.
    pub outcome: PrimaryOutcome,
    /// One source per arm, in the arms' order.
    pub arms: Vec<RateSource>,
    /// Rate with no treatment, for the dilution of fixed full-dose rates (module docs).
    pub control: ControlRate,
    /// The fitted curve, with `--model dose-response`.
    pub curve: Option<DoseFit>,
}

/// The rate a patient who attends nothing falls back to under `--truth`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ControlRate {
    /// Drawn like an arm (the evidence's control posterior).
    Source(RateSource),
    /// None known: 0.
    Zero,
}

impl OutcomeModel {
    /// Builds the model of `outcome` for `plans`: a plan in `truth` is fixed; otherwise the
    /// evidence must have tested it.
    ///
    /// # Errors
    /// [`SimError::Invalid`] naming the untested schedule and listing the tested ones.
    pub fn new(
        evidence: &Evidence,
        truth: Option<&Truth>,
        plans: &[Plan],
        outcome: PrimaryOutcome,
    ) -> Result<OutcomeModel, SimError> {
        let mut arms = Vec::with_capacity(plans.len());
        for &plan in plans {
            if let Some(r) = truth.and_then(|t| t.rate(plan)) {
                arms.push(RateSource::Fixed(r));
                continue;
            }
            match evidence.counts(plan, outcome) {
                Some(c) => arms.push(RateSource::jeffreys(c)),
                None => {
                    let untested = evidence.untested();
                    let note = if untested.contains(&plan.label()) {
                        format!(
                            " ({} is an arm of the {} trial, but its rates were not published)",
                            plan.label(),
                            evidence.name
                        )
                    } else {
                        String::new()
                    };
                    return Err(SimError::invalid(
                        Field::Schedule,
                        plan.label(),
                        format!(
                            "the {} evidence did not test it for {}{note}; tested: {}. Give its rate as a truth, {}=RATE",
                            evidence.name,
                            outcome.as_str(),
                            evidence.tested(outcome).join(", "),
                            plan.label(),
                        ),
                    ));
                }
            }
        }
        let control = match truth.and_then(|t| t.rate(Plan::Control)) {
            Some(r) => ControlRate::Source(RateSource::Fixed(r)),
            None => evidence
                .counts(Plan::Control, outcome)
                .map_or(ControlRate::Zero, |c| {
                    ControlRate::Source(RateSource::jeffreys(c))
                }),
        };
        Ok(OutcomeModel {
            outcome,
            arms,
            control,
            curve: None,
        })
    }

    /// The `dose-response` model of `outcome` for `plans`: every plan not in `truth` takes its
    /// rate from the curve fitted to the evidence (any schedule, tested or not).
    ///
    /// # Errors
    /// [`SimError::Invalid`] when the curve cannot be fitted.
    pub fn dose_response(
        evidence: &Evidence,
        truth: Option<&Truth>,
        plans: &[Plan],
        outcome: PrimaryOutcome,
    ) -> Result<OutcomeModel, SimError> {
        let curve = DoseFit::fit(evidence, outcome)?;
        let arms = plans
            .iter()
            .map(|&plan| match truth.and_then(|t| t.rate(plan)) {
                Some(r) => RateSource::Fixed(r),
                None => RateSource::Curve(plan),
            })
            .collect();
        let control = match truth.and_then(|t| t.rate(Plan::Control)) {
            Some(r) => ControlRate::Source(RateSource::Fixed(r)),
            None => ControlRate::Source(RateSource::Curve(Plan::Control)),
        };
        Ok(OutcomeModel {
            outcome,
            arms,
            control,
            curve: Some(curve),
        })
    }

    /// One replicate's rates of every arm and of the no-treatment fallback: posterior draws
    /// per arm, fixed truths, or one draw of the curve's parameters shared by all arms.
    pub fn draw_rates(&self, rng: &mut ChaCha8Rng) -> (Vec<f64>, f64) {
        let params = self.curve.as_ref().map(|c| (c, c.draw(rng)));
        let rate = |s: &RateSource, rng: &mut ChaCha8Rng| match (s, &params) {
            (RateSource::Curve(plan), Some((c, p))) => c.rate_with(*p, *plan),
            _ => s.draw(rng),
        };
        let arms = self.arms.iter().map(|s| rate(s, rng)).collect();
        let control = match &self.control {
            ControlRate::Source(s) => rate(s, rng),
            ControlRate::Zero => 0.0,
        };
        (arms, control)
    }
}
