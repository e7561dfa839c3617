//! The clinic outcome audit (`trialdose audit`): are a clinic's patients improving as the
//! trial's did, which site or therapist is an outlier, who is at the checkpoint, and who must
//! not be treated without medical clearance.
//!
//! Who is audited: participants of the treatment arms (a clinic has no control group; control
//! participants are counted and left out). A unit's responder rate counts the participants
//! *judged* at the checkpoint ([`worklist::judged`]: the checkpoint has passed and the decision
//! is made, or the two weeks to score it are over); a judged participant without the outcome
//! is a non-responder (`Missing::Nonresponder`, as `analyze` does) or left out
//! (`Missing::Exclude`). Participants without a site or therapist form a unit of their own that
//! is listed but not placed on the funnel nor counted in φ and τ².
//!
//! Benchmark and case mix. Each judged participant has an expected probability of response:
//! the benchmark `RATE` for everyone; with `cohort`, the responder rate of their arm over the
//! judged participants of the units in control (`benchmark.rs`: a unit far off is left out of
//! the rate, so it cannot drag the benchmark and flag the ordinary units); with
//! `cohort-plain`, over all judged participants of the cohort (Spiegelhalter's plain
//! benchmark); with `dream`, the rate DREAM published for their schedule
//! (participants on schedules without a published rate are not benchmarked and are counted
//! apart). A unit's expected count `E` is the sum over its participants (indirect
//! standardisation by arm). The funnel is drawn around the overall expected rate
//! `θ₀ = ΣE / ΣN`, and each unit is placed at its risk-adjusted rate `y = (O/E) · θ₀`, which
//! is the plain rate `O/N` whenever the unit's case mix is the cohort's (always with a fixed
//! `RATE`). Limits, verdicts, z-scores and overdispersion are those of [`crate::stats::funnel`].
//!
//! Safety: participants who attended at least one session or had an adverse event up to the
//! audit date, with any adverse event, against the about 5% DREAM reported, by the exact binomial test, per
//! unit and overall.

pub mod benchmark;
pub mod casemix;
pub mod monitor;
pub mod units;
pub mod worklist;

use crate::analysis::Missing;
use crate::cohort::Cohort;
use crate::derive::Derived;
use crate::domain::Plan;
use crate::domain::PrimaryOutcome;
use crate::domain::protocol::Protocol;
use crate::sim::evidence::Evidence;
use crate::stats::funnel::{self, Dispersion, Limits, Verdict};
use crate::stats::{Binomial, Interval, Level, clopper_pearson};

pub use benchmark::Benchmark;
pub use casemix::CaseMix;
pub use units::UnitKind;

/// Fewer units than this make φ and τ² imprecise (a note says so when they are used).
pub const FEW_UNITS: usize = 10;

/// The share of participants with an adverse event DREAM reported ("about 5%").
pub const DREAM_ADVERSE_RATE: f64 = 0.05;

/// Spiegelhalter's adjustments for overdispersion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Overdispersion {
    /// Limits widened by √φ.
    Multiplicative,
    /// Limits widened by a between-unit variance τ².
    Additive,
}

/// Settings of one audit.
#[derive(Debug, Clone, Copy)]
pub struct AuditOptions {
    /// Units.
    pub by: UnitKind,
    /// Benchmark.
    pub benchmark: Benchmark,
    /// PrimaryOutcome whose responders are counted.
    pub outcome: PrimaryOutcome,
    /// Overdispersion adjustment, if any.
    pub overdispersion: Option<Overdispersion>,
    /// Judged participants without the outcome.
    pub missing: Missing,
    /// Audit date (day number); `None`: the latest date in the cohort.
    pub as_of: Option<i32>,
    /// Case-mix adjustment: each participant's expected probability from a logistic model
    /// (`casemix.rs`) instead of their arm's rate. Needs a cohort benchmark (`cohort` or
    /// `cohort-plain`, fitted on this cohort) or a reference cohort's fit.
    pub casemix: Option<CaseMix>,
    /// Monitoring over time (periods, CUSUM, VLAD), when asked for.
    pub over_time: Option<monitor::MonitorOptions>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            by: UnitKind::Site,
            benchmark: Benchmark::Cohort,
            outcome: PrimaryOutcome::Pain,
            overdispersion: None,
            missing: Missing::Nonresponder,
            as_of: None,
            casemix: None,
            over_time: None,
        }
    }
}

/// An audit that cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuditError {
    /// No participant in a treatment arm.
    #[error(
        "the cohort has no participant in a treatment arm: the audit compares treated patients; check the arm column of participants.csv"
    )]
    NoTreated,
    /// Every treated participant starts after the audit date.
    #[error(
        "no treated participant had started by {as_of}: audit at a later date, or at the latest date in the cohort"
    )]
    NoneStarted {
        /// The audit date.
        as_of: String,
    },
    /// No date anywhere to audit at.
    #[error(
        "the cohort has no date (no randomized_on and no session): the audit date must be given"
    )]
    NoDate,
    /// The case-mix model cannot be fitted.
    #[error("{0}")]
    CaseMix(#[from] casemix::CaseMixError),
    /// The monitoring over time cannot be run.
    #[error("{0}")]
    Monitor(#[from] monitor::MonitorError),
    /// Case-mix adjustment asked for with a benchmark it cannot use.
    #[error(
        "case-mix adjustment fits its model on the cohort (benchmark cohort or cohort-plain) or on a reference cohort; benchmark {0} has no model"
    )]
    CaseMixBenchmark(String),
}

/// One unit's line of `units.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    /// Site or therapist name.
    pub name: String,
    /// Treated participants in the unit.
    pub patients: u64,
    /// Of them, judged at the checkpoint and benchmarked: the rate's denominator `N`.
    pub n: u64,
    /// Judged participants not benchmarked (`dream`: schedule without a published rate;
    /// `exclude`: outcome missing).
    pub not_benchmarked: u64,
    /// Participants still before or at their checkpoint (not yet judged).
    pub pending: u64,
    /// Adherent participants among the judged ones.
    pub adherent: u64,
    /// Responders `O`.
    pub responders: u64,
    /// `O / N`.
    pub rate: Option<f64>,
    /// 95% Clopper-Pearson interval of the rate.
    pub ci: Option<Interval>,
    /// Expected rate `E / N` under the benchmark.
    pub expected: Option<f64>,
    /// Risk-adjusted rate `(O / E) θ₀`, the point on the funnel.
    pub adjusted: Option<f64>,
    /// Observed / expected responders `O / E` (the case-mix funnel's scale).
    pub observed_expected: Option<f64>,
    /// Standard deviation of the point under the benchmark: `√(θ₀(1 − θ₀)/N)`, or with
    /// case-mix adjustment `√(Σ p_i(1 − p_i)) θ₀ / E` (the Poisson-binomial's, on the rate
    /// scale); before any overdispersion adjustment.
    pub sd: Option<f64>,
    /// `(y − θ₀)/s`, with the overdispersion adjustment when one is applied.
    pub z: Option<f64>,
    /// The unit's control limits.
    pub limits: Option<Limits>,
    /// Where the unit falls.
    pub verdict: Option<Verdict>,
}

/// One unit's line of `safety.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SafetyRow {
    /// Site or therapist name (`all` for the whole clinic).
    pub name: String,
    /// Participants who attended at least one session, or had an adverse event, up to the
    /// audit date.
    pub treated: u64,
    /// Of them, with an adverse event.
    pub events: u64,
    /// 95% Clopper-Pearson interval of the share.
    pub ci: Option<Interval>,
    /// Exact two-sided binomial p against [`DREAM_ADVERSE_RATE`].
    pub p_value: Option<f64>,
}

/// The complete audit.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The settings.
    pub options: AuditOptions,
    /// The audit date (day number).
    pub as_of: i32,
    /// Overall expected rate θ₀ (the funnel's centre line).
    pub target: Option<f64>,
    /// Overdispersion estimates over the units with data.
    pub dispersion: Option<Dispersion>,
    /// The overdispersion adjustment applied (asked for, and φ > 1).
    pub applied: Option<Overdispersion>,
    /// Units, sorted by name.
    pub units: Vec<UnitRow>,
    /// Safety by unit, then `all`.
    pub safety: Vec<SafetyRow>,
    /// The worklist, in its order.
    pub worklist: Vec<worklist::Item>,
    /// Control participants left out.
    pub control_participants: u64,
    /// Treatment-arm participants left out because they start after the audit date.
    pub not_started: u64,
    /// Units left out of the in-control benchmark (indices into `units`), in the order they
    /// were left out; empty unless `--benchmark cohort` found a unit far off.
    pub benchmark_left_out: Vec<usize>,
    /// The in-control search stopped with units still alarms, to keep a majority in.
    pub benchmark_stopped_for_majority: bool,
    /// The case-mix model, when the audit is case-mix adjusted.
    pub casemix: Option<CaseMixUsed>,
    /// The patients the funnel counts, with their expected probabilities (kept only when the
    /// monitoring over time is asked for).
    pub benchmarked: Vec<monitor::Benchmarked>,
    /// The monitoring over time, when asked for ([`Audit::monitor`]).
    pub monitoring: Option<monitor::Monitoring>,
    /// Notes for the reader (benchmark gaps, units without data).
    pub notes: Vec<String>,
}

/// The case-mix model an audit used.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CaseMixUsed {
    /// The fitted model (coefficients by name, rows).
    pub model: casemix::Fitted,
    /// Fitted on a reference cohort (its folder name), or on this cohort's units in control.
    pub reference: Option<String>,
    /// Judged participants without an expected probability (a covariate missing, or an arm or
    /// sex value the model has not seen): not benchmarked.
    pub without_prediction: u64,
}

/// The latest randomization date or date a score row stands for (day 0 + 7 × week: scores
/// carry no date of their own, but a week-5 score exists only once week 5 has come); with
/// [`latest_session`], the latest date in the cohort.
fn latest_date(cohort: &Cohort, derived: &[Derived]) -> Option<i32> {
    let randomized = cohort
        .participants
        .iter()
        .filter_map(|p| p.randomized_on)
        .max();
    let scores = cohort
        .scores
        .iter()
        .filter_map(|s| {
            let week = i32::try_from(s.week).ok()?;
            derived[s.participant as usize].day0.map(|d0| d0 + 7 * week)
        })
        .max();
    randomized.max(scores)
}

/// A case-mix unit's exact limits on the rate scale: the Poisson-binomial limits of its
/// expected probabilities, as counts, times `θ₀ / E` (so that the point `(O / E) θ₀` is beyond
/// a limit exactly when `O` is beyond the count limit). Not clipped at 1: a risk-adjusted rate
/// may exceed it.
fn casemix_limits(probs: &[f64], t: f64) -> Option<Limits> {
    let d = crate::stats::poisson_binomial::PoissonBinomial::new(probs)?;
    let e = d.mean();
    if e <= 0.0 {
        return None;
    }
    // Divided and multiplied in the order the point is, so a count on a limit is on it.
    let at = |prob| d.limit(prob).map(|c| (c / e * t).max(0.0));
    Some(Limits {
        low_998: at(funnel::P998_LOW)?,
        low_95: at(funnel::P95_LOW)?,
        high_95: at(funnel::P95_HIGH)?,
        high_998: at(funnel::P998_HIGH)?,
    })
}

/// The latest session date, any status.
fn latest_session(cohort: &Cohort) -> Option<i32> {
    cohort.sessions.iter().map(|s| s.day()).max()
}

fn dream_rate(protocol: &Protocol, arm: usize, outcome: PrimaryOutcome) -> Option<f64> {
    let plan = protocol.arms()[arm]
        .schedule()
        .map_or(Plan::Control, Plan::Treated);
    Evidence::dream()
        .counts(plan, outcome)
        .map(|c| c.responders / c.n)
}

/// A participant's case-mix covariates for the audited outcome.
fn subject<'a>(
    cohort: &'a Cohort,
    derived: &[Derived],
    i: usize,
    outcome: PrimaryOutcome,
) -> casemix::Subject<'a> {
    let p = &cohort.participants[i];
    let d = &derived[i];
    let baseline = match outcome {
        PrimaryOutcome::Pain => d.pain.baseline,
        PrimaryOutcome::Ndi => d.ndi.baseline,
    };
    casemix::Subject {
        arm: cohort.protocol.arms()[p.arm].id(),
        baseline: baseline.map(|b| b.to_f64()),
        age: p.age.map(|a| a as f64),
        sex: p.sex.as_deref().filter(|s| !s.trim().is_empty()),
    }
}

/// Fits the case-mix model of `options.casemix` on a reference cohort: its treatment-arm
/// participants judged at the checkpoint by its latest date, counted by `options.missing`.
///
/// # Errors
/// [`AuditError`] when the reference has no treated participant or date, or the fit fails.
pub fn fit_reference(
    cohort: &Cohort,
    derived: &[Derived],
    options: AuditOptions,
) -> Result<casemix::Fitted, AuditError> {
    let mix = options
        .casemix
        .ok_or_else(|| AuditError::CaseMixBenchmark(options.benchmark.label()))?;
    let arms = cohort.protocol.arms();
    let as_of = latest_date(cohort, derived)
        .max(latest_session(cohort))
        .ok_or(AuditError::NoDate)?;
    let week = cohort.protocol.checkpoint_week();
    let members: Vec<(usize, bool)> = (0..cohort.participants.len())
        .filter(|&i| !arms[cohort.participants[i].arm].is_control())
        .filter(|&i| worklist::judged(&derived[i], week, as_of))
        .filter_map(|i| Some((i, counted(&derived[i], options)?)))
        .collect();
    if members.is_empty() {
        return Err(AuditError::NoTreated);
    }
    Ok(casemix::fit(
        mix,
        members
            .iter()
            .map(|&(i, r)| (subject(cohort, derived, i, options.outcome), r)),
    )?)
}

/// A judged participant's outcome as the audit counts it: `Some(responder)`, or `None` when
/// the outcome is missing and `Missing::Exclude` leaves them out.
fn counted(d: &Derived, options: AuditOptions) -> Option<bool> {
    let outcome = match options.outcome {
        PrimaryOutcome::Pain => d.pain.responder,
        PrimaryOutcome::Ndi => d.ndi.responder,
    };
    match (outcome, options.missing) {
        (Some(r), _) => Some(r),
        (None, Missing::Nonresponder) => Some(false),
        (None, Missing::Exclude) => None,
    }
}

/// The case-mix unit farthest beyond its exact 99.8% limits among `candidates` not
/// `left_out`: `|O − E| / √V` largest among the alarms (`probs[u]`: the unit's expected
/// probabilities, `observed[u]`: its responders), or `None`.
fn casemix_farthest(
    probs: &[Vec<f64>],
    observed: &[u64],
    candidates: &[usize],
    left_out: &[usize],
) -> Option<usize> {
    candidates
        .iter()
        .copied()
        .filter(|u| !left_out.contains(u) && !probs[*u].is_empty())
        .filter_map(|u| {
            let o = observed[u] as f64;
            let v: f64 = probs[u].iter().map(|p| p * (1.0 - p)).sum();
            let e: f64 = probs[u].iter().sum();
            let z = (o - e).abs() / v.sqrt();
            // With a variance of 100 or more the skewness of the Poisson-binomial is at most
            // 0.1, so its 99.8% limits lie between 2.8 and 3.4 standard deviations (the
            // Cornish-Fisher correction and one count of interpolation): a unit within 2.5 is
            // no alarm, one beyond 4.5 is one, and neither needs the distribution built.
            if v >= 100.0 && z < 2.5 {
                return None;
            }
            if v >= 100.0 && z > 4.5 {
                return Some((u, z));
            }
            let d = crate::stats::poisson_binomial::PoissonBinomial::new(&probs[u])?;
            let (low, high) = (d.limit(funnel::P998_LOW)?, d.limit(funnel::P998_HIGH)?);
            ((o < low || o > high) && v > 0.0).then_some((u, z))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(u, _)| u)
}

/// Runs the audit.
///
/// # Errors
/// [`AuditError`] when there is nobody to audit or no date to audit at.
pub fn audit(
    cohort: &Cohort,
    derived: &[Derived],
    options: AuditOptions,
) -> Result<Audit, AuditError> {
    audit_with(cohort, derived, options, None)
}

/// Runs the audit; with case-mix adjustment, `reference` is a model fitted on a reference
/// cohort ([`fit_reference`]) and that cohort's name, used instead of a fit on this cohort.
///
/// # Errors
/// [`AuditError`] when there is nobody to audit or no date to audit at, or the case-mix model
/// cannot be fitted.
#[allow(clippy::too_many_lines)]
pub fn audit_with(
    cohort: &Cohort,
    derived: &[Derived],
    options: AuditOptions,
    reference: Option<(&casemix::Fitted, &str)>,
) -> Result<Audit, AuditError> {
    let protocol = &cohort.protocol;
    let arms = protocol.arms();
    let in_treatment_arm: Vec<usize> = (0..cohort.participants.len())
        .filter(|&i| !arms[cohort.participants[i].arm].is_control())
        .collect();
    if in_treatment_arm.is_empty() {
        return Err(AuditError::NoTreated);
    }
    // The latest session date (on a thread of its own: a pass over every session) tells
    // whether the audit date leaves any session out.
    let (last_session, latest) = std::thread::scope(|scope| {
        let last_session = crate::parallel::spawn(scope, || latest_session(cohort));
        // Without the sessions, which the other thread reads; added below.
        let latest = options
            .as_of
            .is_none()
            .then(|| latest_date(cohort, derived));
        (crate::parallel::join(last_session), latest)
    });
    let as_of = options
        .as_of
        .or_else(|| latest.flatten().max(last_session))
        .ok_or(AuditError::NoDate)?;
    // Replaying a past date: participants whose day 0 is later had not started yet.
    let (treated, not_started): (Vec<usize>, Vec<usize>) = in_treatment_arm
        .into_iter()
        .partition(|&i| derived[i].day0.is_none_or(|d0| d0 <= as_of));
    if treated.is_empty() {
        return Err(AuditError::NoneStarted {
            as_of: crate::cohort::value::format_date(as_of),
        });
    }
    // The units (a pass over the sessions) on one thread, the worklist on another (each
    // result is the same whichever thread computes it). When no session is dated after the
    // audit date, derive's tallies already say what the sessions so far do; otherwise a
    // pass over the sessions up to the audit date does.
    let (assignment, so_far, mut worklist) = std::thread::scope(|scope| {
        let assignment =
            crate::parallel::spawn(scope, || units::assign(cohort, options.by, as_of, &treated));
        let so_far = if last_session.is_none_or(|last| last <= as_of) {
            derived.iter().map(worklist::SoFar::of).collect()
        } else {
            worklist::sessions_so_far(cohort, derived, as_of)
        };
        let items = worklist::build(cohort, derived, &treated, &so_far, as_of);
        (crate::parallel::join(assignment), so_far, items)
    });
    worklist::set_units(&mut worklist, &assignment.of);
    let week = protocol.checkpoint_week();

    let counted = |d: &Derived| counted(d, options);
    let judged = |i: usize| worklist::judged(&derived[i], week, as_of);

    // Expected probability per arm.
    let mut arm_o = vec![0u64; arms.len()];
    let mut arm_n = vec![0u64; arms.len()];
    for &i in &treated {
        if judged(i)
            && let Some(r) = counted(&derived[i])
        {
            let a = cohort.participants[i].arm;
            arm_n[a] += 1;
            arm_o[a] += u64::from(r);
        }
    }
    let expected: Vec<Option<f64>> = (0..arms.len())
        .map(|a| match options.benchmark {
            Benchmark::Rate(r) => Some(r),
            Benchmark::Cohort | Benchmark::CohortPlain => {
                (arm_n[a] > 0).then(|| arm_o[a] as f64 / arm_n[a] as f64)
            }
            Benchmark::Dream => dream_rate(protocol, a, options.outcome),
        })
        .collect();
    let mut notes = Vec::new();
    if options.benchmark == Benchmark::Dream {
        let missing: Vec<&str> = arms
            .iter()
            .enumerate()
            .filter(|(a, arm)| !arm.is_control() && expected[*a].is_none())
            .map(|(_, arm)| arm.id())
            .collect();
        if !missing.is_empty() {
            notes.push(format!(
                "DREAM published no {} responder rate for {}: participants on those schedules are not benchmarked (use --benchmark cohort or a rate to include them)",
                options.outcome.as_str(),
                missing.join(", ")
            ));
        }
    }

    let k = assignment.names.len();
    let mut benchmark_left_out = Vec::new();
    let mut benchmark_stopped_for_majority = false;
    // With case-mix adjustment, each judged and counted participant's expected probability
    // from the model, fitted on the units in control (or taken from the reference).
    let mut casemix_used = None;
    let casemix_p: Option<Vec<Option<f64>>> = match options.casemix {
        None => None,
        Some(mix) => {
            let members: Vec<(usize, bool)> = treated
                .iter()
                .filter(|&&i| judged(i))
                .filter_map(|&i| Some((i, counted(&derived[i])?)))
                .collect();
            let subject = |i: usize| subject(cohort, derived, i, options.outcome);
            let fit_without = |left_out: &[usize]| {
                casemix::fit(
                    mix,
                    members
                        .iter()
                        .filter(|(i, _)| !left_out.contains(&assignment.of[*i]))
                        .map(|&(i, r)| (subject(i), r)),
                )
            };
            // Per unit: expected probabilities and responders under a fit.
            let per_unit = |fitted: &casemix::Fitted| {
                let mut probs = vec![Vec::new(); k];
                let mut observed = vec![0u64; k];
                for &(i, r) in &members {
                    if let Some(p) = fitted.predict(&subject(i)) {
                        probs[assignment.of[i]].push(p);
                        observed[assignment.of[i]] += u64::from(r);
                    }
                }
                (probs, observed)
            };
            let fitted = match (reference, options.benchmark) {
                (Some((fitted, _)), _) => fitted.clone(),
                (None, Benchmark::CohortPlain) => fit_without(&[])?,
                (None, Benchmark::Cohort) => {
                    let candidates: Vec<usize> =
                        (0..k).filter(|&u| Some(u) != assignment.none).collect();
                    let mut last = None;
                    let (left_out, stopped) = benchmark::search(&candidates, |left_out| {
                        let fitted = fit_without(left_out)?;
                        let (probs, observed) = per_unit(&fitted);
                        last = Some(fitted);
                        Ok::<_, casemix::CaseMixError>(casemix_farthest(
                            &probs,
                            &observed,
                            &candidates,
                            left_out,
                        ))
                    })?;
                    benchmark_stopped_for_majority = stopped;
                    // The last fit is the one without the units left out, unless the search
                    // stopped for a majority after fitting with one more left out.
                    let fitted = match (stopped, last) {
                        (false, Some(f)) => f,
                        _ => fit_without(&left_out)?,
                    };
                    benchmark_left_out = left_out;
                    fitted
                }
                (None, b) => return Err(AuditError::CaseMixBenchmark(b.label())),
            };
            let mut p = vec![None; cohort.participants.len()];
            let mut without_prediction = 0;
            for &(i, _) in &members {
                p[i] = fitted.predict(&subject(i));
                without_prediction += u64::from(p[i].is_none());
            }
            if without_prediction > 0 {
                // No count in the note: notes are shown on pages with small cells suppressed
                // (audit.json gives the count when nothing is suppressed).
                notes.push(format!(
                    "some judged participants lack a case-mix covariate ({}), or are on an arm or of a sex the model has not seen: they are not benchmarked (units.csv counts them in not_benchmarked)",
                    mix.label()
                ));
            }
            casemix_used = Some(CaseMixUsed {
                model: fitted,
                reference: reference.map(|(_, name)| name.to_owned()),
                without_prediction,
            });
            Some(p)
        }
    };
    let mut rows: Vec<UnitRow> = assignment
        .names
        .iter()
        .map(|name| UnitRow {
            name: name.clone(),
            patients: 0,
            n: 0,
            not_benchmarked: 0,
            pending: 0,
            adherent: 0,
            responders: 0,
            rate: None,
            ci: None,
            expected: None,
            adjusted: None,
            observed_expected: None,
            sd: None,
            z: None,
            limits: None,
            verdict: None,
        })
        .collect();
    // Safety counts participants who attended a session, or had an adverse event, up to the
    // audit date.
    let mut e_sum = vec![0.0f64; k];
    // Judged, counted and benchmarked participants per unit and arm, for the in-control rates.
    let mut unit_arm = vec![vec![(0u64, 0u64); arms.len()]; k];
    // With case-mix adjustment, each unit's expected probabilities (Poisson-binomial limits).
    let mut unit_probs: Vec<Vec<f64>> = vec![Vec::new(); if casemix_p.is_some() { k } else { 0 }];
    let mut benchmarked = Vec::new();
    let mut events = vec![0u64; k];
    let mut attended_any = vec![0u64; k];
    for &i in &treated {
        let u = assignment.of[i];
        let d = &derived[i];
        let row = &mut rows[u];
        row.patients += 1;
        let event = so_far[i].worst != crate::cohort::AdverseEvent::None;
        if so_far[i].attended || event {
            attended_any[u] += 1;
            events[u] += u64::from(event);
        }
        if !judged(i) {
            row.pending += 1;
            continue;
        }
        row.adherent += u64::from(d.adherent == Some(true));
        let p = match &casemix_p {
            Some(ps) => ps[i],
            None => expected[cohort.participants[i].arm],
        };
        match (counted(d), p) {
            (Some(r), Some(p)) => {
                row.n += 1;
                row.responders += u64::from(r);
                e_sum[u] += p;
                if casemix_p.is_some() {
                    unit_probs[u].push(p);
                }
                if options.over_time.is_some() {
                    benchmarked.push(monitor::Benchmarked {
                        participant: i,
                        unit: u,
                        expected: p,
                        responded: r,
                        checkpoint: d.day0.map_or(as_of, |d0| d0 + 7 * week as i32),
                    });
                }
                let cell = &mut unit_arm[u][cohort.participants[i].arm];
                cell.0 += u64::from(r);
                cell.1 += 1;
            }
            _ => row.not_benchmarked += 1,
        }
    }

    // The in-control benchmark: only when some unit is an alarm against the plain rates does
    // anything change (then every unit's expected count uses the rates of the units in).
    if options.benchmark == Benchmark::Cohort && casemix_p.is_none() {
        let candidates: Vec<usize> = (0..k).filter(|&u| Some(u) != assignment.none).collect();
        let found = benchmark::in_control(&unit_arm, arms.len(), &candidates);
        if !found.left_out.is_empty() {
            e_sum = benchmark::expected(&unit_arm, &found.rates);
            for b in &mut benchmarked {
                if let Some(p) = found.rates[cohort.participants[b.participant].arm] {
                    b.expected = p;
                }
            }
        }
        // The notes that name the units left out are written by each output (`Audit::
        // benchmark_notes`): a page with suppressed cells must not name a unit whose verdict
        // it hides.
        benchmark_stopped_for_majority = found.stopped_for_majority;
        benchmark_left_out = found.left_out;
    }
    let (total_e, total_n) = rows
        .iter()
        .zip(&e_sum)
        .fold((0.0, 0u64), |(e, n), (r, x)| (e + x, n + r.n));
    // With one fixed rate for everyone, the target, the expected rates and the points are
    // that rate and the plain rates exactly (no sums of rounded terms).
    let fixed = match options.benchmark {
        Benchmark::Rate(r) => Some(r),
        _ => None,
    };
    let target = (total_n > 0)
        .then(|| fixed.unwrap_or(total_e / total_n as f64))
        .filter(|t| *t > 0.0 && *t < 1.0);
    if target.is_none() && total_n > 0 {
        notes.push(
            "the benchmark expects every participant to respond, or none: no funnel limits exist"
                .to_owned(),
        );
    }
    let level = Level::NINETY_FIVE;
    for (row, &e) in rows.iter_mut().zip(&e_sum) {
        if row.n == 0 {
            continue;
        }
        let b = Binomial::new(row.responders, row.n).expect("responders <= n by construction");
        row.rate = b.rate();
        row.ci = clopper_pearson(b, level);
        row.expected = Some(fixed.unwrap_or(e / row.n as f64));
        if let Some(t) = target {
            if fixed.is_some() {
                row.adjusted = row.rate;
            } else if e > 0.0 {
                row.adjusted = Some(row.responders as f64 / e * t);
            }
            row.sd = Some(funnel::standard_error(t, row.n));
        }
        if e > 0.0 {
            row.observed_expected = Some(row.responders as f64 / e);
        }
    }
    // The Poisson-binomial standard deviation on the rate scale, with case-mix adjustment.
    if let Some(t) = target {
        for (row, probs) in rows.iter_mut().zip(&unit_probs) {
            let v: f64 = probs.iter().map(|p| p * (1.0 - p)).sum();
            let e: f64 = probs.iter().sum();
            row.sd = (row.n > 0 && v > 0.0).then(|| v.sqrt() / e * t);
        }
    }
    // z-scores and overdispersion over the units with a point on the funnel.
    let placed: Vec<usize> = (0..k)
        .filter(|&u| rows[u].adjusted.is_some() && Some(u) != assignment.none)
        .collect();
    if let Some(u) = assignment.none
        && rows[u].patients > 0
    {
        notes.push(format!(
                "participants without a {} are listed as {} but not compared on the funnel (they count towards the benchmark)",
                options.by.as_str(),
                rows[u].name
            ));
    }
    if !not_started.is_empty() {
        notes.push(format!(
            "treatment-arm participants who start after {} are left out of this audit (counted in audit.json)",
            crate::cohort::value::format_date(as_of)
        ));
    }
    if total_n == 0 {
        notes.push(format!(
            "no participant has been judged at the checkpoint by {}: there is nothing to compare yet",
            crate::cohort::value::format_date(as_of)
        ));
    }
    let placed: Vec<usize> = placed
        .into_iter()
        .filter(|&u| rows[u].sd.is_some())
        .collect();
    let dispersion = target.and_then(|t| {
        let s: Vec<f64> = placed.iter().filter_map(|&u| rows[u].sd).collect();
        let z: Vec<f64> = placed
            .iter()
            .zip(&s)
            .map(|(&u, s)| (rows[u].adjusted.unwrap_or(t) - t) / s)
            .collect();
        funnel::dispersion(&z, &s)
    });
    // Spiegelhalter's adjustments apply only when there is overdispersion (φ > 1, which makes
    // τ² > 0 too); otherwise the exact limits stand, as in FunnelPlotR.
    if let (Some(_), Some(d)) = (options.overdispersion, dispersion)
        && d.units < FEW_UNITS
    {
        notes.push(format!(
                "phi and tau-squared come from only {} units: they are imprecise, and a true outlier inflates them and can hide itself (Spiegelhalter 2005 adjusts over many units)",
                d.units
            ));
    }
    let applied = match (options.overdispersion, dispersion) {
        (Some(m), Some(d)) if d.phi > 1.0 => Some(m),
        (Some(_), Some(d)) => {
            notes.push(format!(
                "phi = {:.3} is not above 1 (no overdispersion): the exact binomial limits are used",
                d.phi
            ));
            None
        }
        (Some(_), None) => {
            notes.push(
                "overdispersion needs at least two units with data: the exact binomial limits are used"
                    .to_owned(),
            );
            None
        }
        (None, _) => None,
    };
    let mut audit = Audit {
        options,
        as_of,
        target,
        dispersion,
        applied,
        units: rows,
        safety: Vec::new(),
        worklist,
        control_participants: (cohort.participants.len() - treated.len() - not_started.len())
            as u64,
        not_started: not_started.len() as u64,
        benchmark_left_out,
        benchmark_stopped_for_majority,
        casemix: casemix_used,
        benchmarked,
        monitoring: None,
        notes,
    };
    for &u in &placed {
        let row = &audit.units[u];
        let (Some(t), Some(y), Some(s)) = (target, row.adjusted, row.sd) else {
            continue;
        };
        let sd = audit.inflate(s);
        let limits = match (audit.applied, unit_probs.get(u)) {
            (Some(_), _) => Some(Limits::normal(t, sd)),
            (None, Some(probs)) => casemix_limits(probs, t),
            (None, None) => Limits::exact(row.n, t),
        };
        let row = &mut audit.units[u];
        row.z = Some((y - t) / sd);
        row.limits = limits;
        row.verdict = limits.map(|l| l.classify(y));
    }

    let safety_row = |name: &str, treated: u64, events: u64| {
        let b = Binomial::new(events, treated).expect("events <= treated by construction");
        SafetyRow {
            name: name.to_owned(),
            treated,
            events,
            ci: clopper_pearson(b, level),
            p_value: funnel::binomial_test_two_sided(events, treated, DREAM_ADVERSE_RATE),
        }
    };
    let rows = &audit.units;
    let mut safety: Vec<SafetyRow> = (0..k)
        .map(|u| safety_row(&rows[u].name, attended_any[u], events[u]))
        .collect();
    safety.push(safety_row(
        "all",
        attended_any.iter().sum(),
        events.iter().sum(),
    ));
    audit.safety = safety;
    Ok(audit)
}

impl Audit {
    /// Runs the monitoring over time the options ask for (none: nothing), on `threads`
    /// threads (the result does not depend on them).
    ///
    /// # Errors
    /// [`AuditError::Monitor`] when there is nothing to monitor or the CUSUM threshold cannot
    /// be found.
    pub fn monitor(&mut self, threads: usize) -> Result<(), AuditError> {
        if let Some(options) = self.options.over_time {
            self.monitoring = Some(monitor::monitor(
                &self.benchmarked,
                self.units.len(),
                options,
                threads,
            )?);
        }
        Ok(())
    }

    /// The notes on the in-control benchmark for an output that shows the verdicts of the
    /// units `shown` says: the units left out among them by name, and the search's stop when
    /// it shows every verdict (otherwise the note could tell of an alarm it hides).
    #[must_use]
    pub fn benchmark_notes(&self, shown: impl Fn(usize) -> bool) -> Vec<String> {
        let mut notes = Vec::new();
        let names: Vec<&str> = self
            .benchmark_left_out
            .iter()
            .filter(|&&u| shown(u))
            .map(|&u| self.units[u].name.as_str())
            .collect();
        if !names.is_empty() {
            notes.push(format!(
                "the benchmark is the rate of the units in control: {} left out of it (an alarm against the others; each unit, these included, is judged against the rest; --benchmark cohort-plain keeps every unit in)",
                names.join(", ")
            ));
        }
        if self.benchmark_stopped_for_majority && (0..self.units.len()).all(&shown) {
            notes.push(
                "some units are still alarms against the benchmark: no more are left out of it, so that more than half of the units stay in"
                    .to_owned(),
            );
        }
        notes
    }

    /// The standard deviation of a rate out of `n` on the funnel: `√(θ₀(1 − θ₀)/n)`, times
    /// `√φ` or with τ² added when an overdispersion adjustment is applied.
    #[must_use]
    pub fn standard_deviation_at(&self, n: u64) -> Option<f64> {
        Some(self.inflate(funnel::standard_error(self.target?, n)))
    }

    /// A standard deviation `s` on the funnel after the overdispersion adjustment applied:
    /// `√φ s`, `√(s² + τ²)`, or `s`.
    #[must_use]
    pub fn inflate(&self, s: f64) -> f64 {
        match (self.applied, self.dispersion) {
            (Some(Overdispersion::Multiplicative), Some(d)) => d.phi.sqrt() * s,
            (Some(Overdispersion::Additive), Some(d)) => (s * s + d.tau2).sqrt(),
            _ => s,
        }
    }

    /// The funnel's limits at `n` patients: exact binomial, or the overdispersed normal ones.
    #[must_use]
    pub fn limits_at(&self, n: u64) -> Option<Limits> {
        let t = self.target?;
        match self.applied {
            Some(_) => Some(Limits::normal(t, self.standard_deviation_at(n)?)),
            None => Limits::exact(n, t),
        }
    }
}
