//! `simulate merge`: the shards of one run combined into exactly the unsharded answer, after
//! every file has been checked, because a shard's tallies are summed blindly otherwise (a
//! hand-edited count gave a "power" of 17.193 with an MCSE of NaN).
//!
//! Refused, naming the file and the field:
//! - a file that is not a simulate result, or one written by another trialdose version or
//!   schema version (`trialdose_version`, `schema_version`);
//! - a file whose spec differs from the first file's (any option, the seed included), or a
//!   sample-size result (not sharded);
//! - tallies that break their invariants: the replicates of shard K/N of R runs are exactly
//!   `⌈(R − K + 1)/N⌉`; every count lies between 0 and the replicates; every histogram has one
//!   entry per possible count and adds up to the replicates; every sum lies within what its
//!   per-replicate range allows, and a sum of squares is at least the square of the sum over
//!   the replicates (Cauchy-Schwarz); the cost and capacity tallies are present exactly when the
//!   spec asks for them, their histograms add up to the replicates, a cost per responder is
//!   undefined in exactly the replicates without a responder;
//! - a set of files that is not every shard exactly once (N files of one N, each K once);
//! - evidence that differs now from what the shards used (a cohort folder changed).

use super::clinic::ClinicTally;
use super::cost::CostTally;
use super::result::{EvidenceEntry, EvidenceReport, ReadError, SimResult};
use super::run::{Prepared, RunError, prepare};
use super::runner::{Merge, Shard};
use super::spec::{Design, Spec, SpecText};
use super::tally::{FixedSum, IntSum, LogHistogram, SCALE, fixed};
use super::trial::{Test, TrialTally};

/// Why shards cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A file is not a simulate result of this version.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: ReadError,
    },
    /// A file's spec differs from the first file's.
    #[error(
        "{path}: spec.{field} is {found}, but {first} has {expected}: the files are not shards of one run"
    )]
    Spec {
        /// The file.
        path: String,
        /// The first file.
        first: String,
        /// The field that differs.
        field: &'static str,
        /// Its value in `path`.
        found: String,
        /// Its value in `first`.
        expected: String,
    },
    /// A file's tallies break an invariant.
    #[error("{path}: {field}: {detail}; the file was edited or damaged, rerun its shard")]
    Tally {
        /// The file.
        path: String,
        /// The field, e.g. `state.rejections[1]`.
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// A sample-size result.
    #[error("{path}: a sample-size result; sample-size runs are not sharded")]
    NotSharded {
        /// The file.
        path: String,
    },
    /// The files are not every shard exactly once.
    #[error("cannot merge: {0}")]
    Set(String),
    /// The evidence differs from what a shard used.
    #[error(
        "{path}: its evidence differs from the evidence now (a cohort folder changed since the shards ran?)"
    )]
    Evidence {
        /// The file.
        path: String,
    },
    /// The merged run cannot be prepared.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// The first field in which two specs differ, with both values as written in JSON.
fn spec_difference(a: &Spec, b: &Spec) -> Option<(&'static str, String, String)> {
    let (a, b) = (SpecText::from(a.clone()), SpecText::from(b.clone()));
    macro_rules! first_difference {
        ($($f:ident),*) => {
            $(
                if a.$f != b.$f {
                    return Some((stringify!($f), show(&a.$f), show(&b.$f)));
                }
            )*
        };
    }
    first_difference!(
        command,
        evidence,
        model,
        truth,
        attendance,
        reps,
        target_mcse,
        seed,
        outcome,
        schedule,
        patients,
        arms,
        per_arm,
        test,
        alpha,
        price_per_session,
        price_per_minute,
        therapists,
        hours_per_week,
        intake_per_week
    );
    None
}

/// Whether two floats are equal but for the last bits (serde_json's default parser may read a
/// 17-digit number one unit in the last place off; a changed cohort changes far more).
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// Whether a shard's evidence (read back from its file) is the evidence read now.
fn same_evidence(a: &EvidenceReport, b: &EvidenceReport) -> bool {
    let entry = |x: &Option<EvidenceEntry>, y: &Option<EvidenceEntry>| match (x, y) {
        (None, None) | (Some(EvidenceEntry::Untested), Some(EvidenceEntry::Untested)) => true,
        (Some(EvidenceEntry::Truth { truth: p }), Some(EvidenceEntry::Truth { truth: q })) => {
            close(*p, *q)
        }
        (
            Some(EvidenceEntry::Counts {
                responders: r1,
                n: n1,
            }),
            Some(EvidenceEntry::Counts {
                responders: r2,
                n: n2,
            }),
        ) => close(*r1, *r2) && close(*n1, *n2),
        _ => false,
    };
    a.name == b.name
        && a.source == b.source
        && a.without_published_rates == b.without_published_rates
        && a.arms.0.len() == b.arms.0.len()
        && a.arms.0.iter().zip(&b.arms.0).all(|((la, ea), (lb, eb))| {
            la == lb && entry(&ea.pain, &eb.pain) && entry(&ea.ndi, &eb.ndi)
        })
}

/// A value as JSON writes it.
fn show<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A tally invariant that does not hold: the field and what is wrong.
type Broken = (String, String);

fn broken(field: impl Into<String>, detail: impl Into<String>) -> Broken {
    (field.into(), detail.into())
}

/// Checks a sum of `reps` whole numbers each within `[lo, hi]`.
fn check_int(field: &str, s: &IntSum, reps: u64, lo: i128, hi: i128) -> Result<(), Broken> {
    let r = i128::from(reps);
    let (min, max) = (r.saturating_mul(lo), r.saturating_mul(hi));
    if s.sum < min || s.sum > max {
        return Err(broken(
            format!("{field}.sum"),
            format!(
                "{} is outside {min} to {max} ({reps} replicates of {lo} to {hi})",
                s.sum
            ),
        ));
    }
    let top = r.saturating_mul(lo.abs().max(hi.abs()).saturating_pow(2));
    if s.sum_sq < 0 || s.sum_sq > top {
        return Err(broken(
            format!("{field}.sum_sq"),
            format!("{} is outside 0 to {top}", s.sum_sq),
        ));
    }
    // Σv² · R ≥ (Σv)² (Cauchy-Schwarz), exactly in integers when it fits.
    if let (Some(left), Some(right)) = (s.sum_sq.checked_mul(r), s.sum.checked_mul(s.sum))
        && left < right
    {
        return Err(broken(
            format!("{field}.sum_sq"),
            format!(
                "{} is less than sum² / replicates, impossible for {reps} values summing to {}",
                s.sum_sq, s.sum
            ),
        ));
    }
    Ok(())
}

/// Checks a fixed-point sum of `reps` values each within `[0, hi]`.
fn check_fixed(field: &str, s: &FixedSum, reps: u64, hi: f64) -> Result<(), Broken> {
    let r = i128::from(reps);
    let unit = (hi * SCALE).round() as i128;
    let max = r.saturating_mul(unit);
    if s.sum < 0 || s.sum > max {
        return Err(broken(
            format!("{field}.sum"),
            format!(
                "{} is outside 0 to {max} ({reps} replicates of 0 to {hi})",
                s.sum
            ),
        ));
    }
    let top = r.saturating_mul(unit.saturating_mul(unit));
    if s.sum_sq < 0 || s.sum_sq > top {
        return Err(broken(
            format!("{field}.sum_sq"),
            format!("{} is outside 0 to {top}", s.sum_sq),
        ));
    }
    Ok(())
}

fn check_count(field: String, count: u64, reps: u64) -> Result<(), Broken> {
    if count > reps {
        return Err(broken(
            field,
            format!("{count} is more than the {reps} replicates"),
        ));
    }
    Ok(())
}

/// The invariants of a clinic shard's tallies (module documentation).
fn check_clinic(t: &ClinicTally, p: &Prepared, reps: u64) -> Result<(), Broken> {
    let Design::Clinic {
        schedule,
        patients,
        cost,
        capacity,
    } = p.spec().design()
    else {
        return Err(broken("spec.command", "not a clinic"));
    };
    let outcomes = p.outcome_count();
    if t.responders.len() != outcomes {
        return Err(broken(
            "state.responders",
            format!(
                "{} histograms, but the run has {outcomes} outcome(s)",
                t.responders.len()
            ),
        ));
    }
    for (k, hist) in t.responders.iter().enumerate() {
        let field = format!("state.responders[{k}]");
        if hist.len() != *patients as usize + 1 {
            return Err(broken(
                field,
                format!(
                    "{} entries, but 0 to {patients} responders make {}",
                    hist.len(),
                    patients + 1
                ),
            ));
        }
        let total: u128 = hist.iter().map(|&c| u128::from(c)).sum();
        if total != u128::from(reps) {
            return Err(broken(
                field,
                format!("the counts add up to {total}, not to the {reps} replicates"),
            ));
        }
    }
    let n = i128::from(*patients);
    check_int("state.adherent", &t.adherent, reps, 0, n)?;
    let planned = i128::from(schedule.value().sessions());
    check_int("state.sessions", &t.sessions, reps, 0, n * planned)?;
    check_int("state.adverse", &t.adverse, reps, 0, n)?;
    check_presence("state.cost", cost.is_some(), t.cost.is_some())?;
    if let Some(c) = &t.cost {
        check_cost(c, &t.responders, reps, n, planned)?;
    }
    check_presence("state.capacity", capacity.is_some(), t.capacity.is_some())?;
    if let (Some(c), Some(intake)) = (&t.capacity, p.intake()) {
        check_int(
            "state.capacity.weeks_over",
            &c.weeks_over,
            reps,
            0,
            i128::from(intake.weeks_to_treat),
        )?;
        check_count("state.capacity.any_over".into(), c.any_over, reps)?;
        let busiest = n * i128::from(intake.sessions_per_week) * i128::from(intake.minutes);
        check_int(
            "state.capacity.peak_minutes",
            &c.peak_minutes,
            reps,
            0,
            busiest,
        )?;
    }
    Ok(())
}

/// A tally is present exactly when the spec asks for its figures.
fn check_presence(field: &str, asked: bool, present: bool) -> Result<(), Broken> {
    match (asked, present) {
        (true, false) => Err(broken(
            field,
            "missing, but the spec asks for these figures",
        )),
        (false, true) => Err(broken(
            field,
            "present, but the spec does not ask for these figures",
        )),
        _ => Ok(()),
    }
}

/// Checks a histogram of `reps` values each undefined or within `[0, hi]`.
fn check_histogram(field: &str, h: &LogHistogram, reps: u64, hi: f64) -> Result<(), Broken> {
    let total: u128 = u128::from(h.zero)
        + u128::from(h.undefined)
        + h.bins.values().map(|&c| u128::from(c)).sum::<u128>();
    if total != u128::from(reps) {
        return Err(broken(
            field,
            format!("the counts add up to {total}, not to the {reps} replicates"),
        ));
    }
    let defined = total > u128::from(h.undefined);
    let range_ok = match (h.min, h.max) {
        (Some(lo), Some(top)) => defined && 0.0 <= lo && lo <= top && top <= hi,
        (None, None) => !defined,
        _ => false,
    };
    if !range_ok {
        return Err(broken(
            format!("{field}.min"),
            format!(
                "min {:?} and max {:?} are not the range of values within 0 to {hi}",
                h.min, h.max
            ),
        ));
    }
    Ok(())
}

/// Checks an integer in `[0, hi]`.
fn check_range(field: &str, v: i128, hi: i128) -> Result<(), Broken> {
    if v < 0 || v > hi {
        return Err(broken(field, format!("{v} is outside 0 to {hi}")));
    }
    Ok(())
}

/// The invariants of a clinic's cost tallies: `n` patients with `planned` sessions each.
fn check_cost(
    c: &CostTally,
    responders: &[Vec<u64>],
    reps: u64,
    n: i128,
    planned: i128,
) -> Result<(), Broken> {
    let (nf, planned_f) = (n as f64, planned as f64);
    check_histogram(
        "state.cost.sessions_per_patient",
        &c.sessions_per_patient,
        reps,
        planned_f,
    )?;
    if c.sessions_per_patient.undefined != 0 {
        return Err(broken(
            "state.cost.sessions_per_patient.undefined",
            "sessions per patient are always defined",
        ));
    }
    if c.outcomes.len() != responders.len() {
        return Err(broken(
            "state.cost.outcomes",
            format!(
                "{} entries, but the run has {} outcome(s)",
                c.outcomes.len(),
                responders.len()
            ),
        ));
    }
    let r = i128::from(reps);
    let one = fixed(1.0);
    for (k, (o, hist)) in c.outcomes.iter().zip(responders).enumerate() {
        let field = |name: &str| format!("state.cost.outcomes[{k}].{name}");
        check_histogram(
            &field("per_responder"),
            &o.per_responder,
            reps,
            nf * planned_f,
        )?;
        // A replicate has no cost per responder exactly when it has no responder.
        let none = hist.first().copied().unwrap_or(0);
        if o.per_responder.undefined != none {
            return Err(broken(
                field("per_responder.undefined"),
                format!(
                    "{}, but {none} replicates have no responder",
                    o.per_responder.undefined
                ),
            ));
        }
        // R − N c is at least 2⁻⁴⁰ when defined: S / (R − N c) is at most S · 2⁴⁰.
        check_histogram(
            &field("per_additional_responder"),
            &o.per_additional_responder,
            reps,
            nf * planned_f * SCALE,
        )?;
        check_fixed(&field("control"), &o.control, reps, 1.0)?;
        let top = r.saturating_mul(n);
        check_range(
            &field("sessions_x_responders"),
            o.sessions_x_responders,
            top.saturating_mul(n).saturating_mul(planned),
        )?;
        check_range(
            &field("responders_x_control"),
            o.responders_x_control,
            top.saturating_mul(one),
        )?;
        check_range(
            &field("sessions_x_control"),
            o.sessions_x_control,
            top.saturating_mul(planned).saturating_mul(one),
        )?;
    }
    Ok(())
}

/// The invariants of a trial shard's tallies (module documentation).
fn check_trial(t: &TrialTally, p: &Prepared, reps: u64) -> Result<(), Broken> {
    let Design::Trial {
        arms,
        per_arm,
        test,
        ..
    } = p.spec().design()
    else {
        return Err(broken("spec.command", "not a trial"));
    };
    let k = arms.value().len();
    for (name, len) in [
        ("state.rejections", t.rejections.len()),
        ("state.difference", t.difference.len()),
        ("state.width", t.width.len()),
    ] {
        if len != k {
            return Err(broken(
                name,
                format!("{len} entries, but the run has {k} arms"),
            ));
        }
    }
    let n = i128::from(*per_arm);
    for a in 0..k {
        let field = |name: &str| format!("state.{name}[{a}]");
        if a == 0 || *test == Test::Trend {
            if t.rejections[a] != 0 {
                return Err(broken(
                    field("rejections"),
                    format!(
                        "{}, but {} never rejects",
                        t.rejections[a],
                        if a == 0 {
                            "control against itself"
                        } else {
                            "the trend test per arm"
                        }
                    ),
                ));
            }
        } else {
            check_count(field("rejections"), t.rejections[a], reps)?;
        }
        if a == 0 {
            if t.difference[0] != IntSum::default() || t.width[0] != FixedSum::default() {
                return Err(broken(
                    "state.difference[0]",
                    "control's entries must stay 0",
                ));
            }
            continue;
        }
        check_int(&field("difference"), &t.difference[a], reps, -n, n)?;
        // A difference of two proportions lies in [-1, 1]: its interval is at most 2 wide.
        check_fixed(&field("width"), &t.width[a], reps, 2.0)?;
    }
    if *test == Test::Trend {
        check_count("state.trend_rejections".into(), t.trend_rejections, reps)?;
    } else if t.trend_rejections != 0 {
        return Err(broken(
            "state.trend_rejections",
            format!("{}, but the run has no trend test", t.trend_rejections),
        ));
    }
    check_count("state.best_defined".into(), t.best_defined, reps)?;
    if k <= 2 && t.best_defined != 0 {
        return Err(broken(
            "state.best_defined",
            format!(
                "{}, but one treatment arm has no best arm to rank",
                t.best_defined
            ),
        ));
    }
    check_fixed("state.best_first", &t.best_first, t.best_defined, 1.0)
}

/// Merges the shards `files` (each a file's name and its text) into the unsharded result, after
/// the checks of the module documentation.
///
/// # Errors
/// [`MergeError`] naming the file and the field of the first problem found.
pub fn merge(files: &[(String, String)], threads: usize) -> Result<SimResult, MergeError> {
    let mut docs = Vec::with_capacity(files.len());
    for (path, text) in files {
        let doc = SimResult::from_json(text).map_err(|source| MergeError::Read {
            path: path.clone(),
            source,
        })?;
        if matches!(doc, SimResult::SampleSize(_)) {
            return Err(MergeError::NotSharded { path: path.clone() });
        }
        docs.push((path.as_str(), doc));
    }
    let Some((first_path, first)) = docs.first() else {
        return Err(MergeError::Set("no file given".into()));
    };
    let spec = first.spec().clone();
    for (path, doc) in &docs {
        if let Some((field, found, expected)) = spec_difference(doc.spec(), &spec) {
            return Err(MergeError::Spec {
                path: (*path).to_owned(),
                first: (*first_path).to_owned(),
                field,
                found,
                expected,
            });
        }
    }
    let count = first.shard().count;
    for (path, doc) in &docs {
        let shard = doc.shard();
        if shard.count != count {
            return Err(MergeError::Set(format!(
                "{path} is shard {}/{}, {first_path} is of {count}",
                shard.index, shard.count
            )));
        }
    }
    if count != docs.len() as u64 {
        return Err(MergeError::Set(format!(
            "the files are shards of {count}, but {} file(s) were given; give every shard once",
            docs.len()
        )));
    }
    // Now count is the number of files: one slot per shard.
    let mut seen: Vec<Option<&str>> = vec![None; docs.len()];
    for (path, doc) in &docs {
        let index = doc.shard().index;
        // Shard::parse guarantees 1 <= index <= count.
        let slot = &mut seen[(index - 1) as usize];
        if let Some(other) = slot {
            return Err(MergeError::Set(format!(
                "shard {index}/{count} is given twice ({other} and {path})"
            )));
        }
        *slot = Some(path);
    }
    if let Some(missing) = seen.iter().position(Option::is_none) {
        return Err(MergeError::Set(format!(
            "shard {}/{count} is missing",
            missing + 1
        )));
    }
    let prepared = prepare(spec.clone(), threads)?;
    let tally_error = |path: &str, (field, detail): Broken| MergeError::Tally {
        path: path.to_owned(),
        field,
        detail,
    };
    let check_reps = |path: &str, shard: Shard, reps: u64| {
        let expected = shard.len(spec.reps());
        if reps == expected {
            Ok(())
        } else {
            Err(tally_error(
                path,
                broken(
                    "state.reps",
                    format!(
                        "{reps}, but shard {}/{} of {} replicates runs {expected}",
                        shard.index,
                        shard.count,
                        spec.reps()
                    ),
                ),
            ))
        }
    };
    let merged = match &docs[0].1 {
        SimResult::Clinic(_) => {
            let mut total = ClinicTally::default();
            for (path, doc) in &docs {
                let SimResult::Clinic(r) = doc else {
                    return Err(MergeError::Set(format!("{path} is not a clinic result")));
                };
                check_reps(path, r.shard, r.state.reps)?;
                check_clinic(&r.state, &prepared, r.state.reps)
                    .map_err(|b| tally_error(path, b))?;
                total.merge(&r.state);
            }
            SimResult::Clinic(
                prepared
                    .summarize_clinic(total, Shard::ALL)
                    .map_err(RunError::from)?,
            )
        }
        _ => {
            let mut total = TrialTally::default();
            for (path, doc) in &docs {
                let SimResult::Trial(r) = doc else {
                    return Err(MergeError::Set(format!("{path} is not a trial result")));
                };
                check_reps(path, r.shard, r.state.reps)?;
                check_trial(&r.state, &prepared, r.state.reps).map_err(|b| tally_error(path, b))?;
                total.merge(&r.state);
            }
            SimResult::Trial(
                prepared
                    .summarize_trial(total, Shard::ALL)
                    .map_err(RunError::from)?,
            )
        }
    };
    // The evidence is read again (a cohort folder is fitted again): it must be what every shard
    // used.
    for (path, doc) in &docs {
        if !same_evidence(&doc.header().evidence, &merged.header().evidence) {
            return Err(MergeError::Evidence {
                path: (*path).to_owned(),
            });
        }
    }
    Ok(merged)
}
