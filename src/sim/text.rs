//! The readable summary of a simulation result, written from the typed result (the same values
//! as its JSON), for a front end to print.

use std::fmt::Write as _;

use super::Estimate;
use super::result::{
    CapacityResult, ClinicResult, CostQuantiles, CostResult, Curves, IntakeRule, RatioFigure,
    SampleSizeResult, SimResult, TrialResult,
};
use super::spec::Design;
use super::trial::Test;

/// `0.777 (MCSE 0.004)`.
fn est(e: Estimate, digits: usize) -> String {
    format!("{:.*} (MCSE {:.*})", digits, e.estimate, digits, e.mcse)
}

/// A number as JSON writes it (`25.0`).
fn json_number(v: f64) -> String {
    serde_json::to_string(&v).unwrap_or_else(|_| v.to_string())
}

/// The curve lines and the warnings.
fn curves(text: &mut String, curves: Option<&Curves>, warnings: Option<&Vec<String>>) {
    if let Some(c) = curves {
        for (name, curve) in [("pain", &c.pain), ("ndi", &c.ndi)] {
            let Some(c) = curve else { continue };
            let _ = writeln!(
                text,
                "  dose-response ({name}): logit p = {:.3} + {:.3} D, threshold {} minutes{}; deviance {:.2} on {} arms",
                c.alpha,
                c.beta,
                c.theta_minutes,
                if c.theta_estimated {
                    " (profile likelihood)"
                } else {
                    " (not estimable: one session length)"
                },
                c.deviance,
                c.evidence_arms.len()
            );
        }
    }
    for w in warnings.into_iter().flatten() {
        let _ = writeln!(text, "  warning: {w}");
    }
}

/// The summary of a clinic result.
#[must_use]
pub fn clinic(r: &ClinicResult) -> String {
    let mut text = String::new();
    let (sessions, minutes) = match r.spec.design() {
        Design::Clinic { schedule, .. } => {
            (schedule.value().sessions(), schedule.value().minutes())
        }
        _ => (0, 0),
    };
    let _ = writeln!(
        text,
        "{} patients on {} ({} sessions of {} minutes), {} replicates, seed {}, evidence {}",
        r.patients,
        r.schedule,
        sessions,
        minutes,
        r.state.reps,
        r.header.seed,
        r.header.evidence.name
    );
    for (name, outcome) in [("pain", &r.outcomes.pain), ("ndi", &r.outcomes.ndi)] {
        let Some(o) = outcome else { continue };
        let q = &o.responders.quantiles;
        let _ = writeln!(
            text,
            "  {name} responders: mean {}, median {}, 95% of replicates {} to {}",
            est(o.responders.mean, 2),
            json_number(q.q50.estimate),
            json_number(q.q025.estimate),
            json_number(q.q975.estimate),
        );
    }
    let _ = writeln!(
        text,
        "  adherent (>= 75% of sessions): {} of patients",
        est(r.attendance.adherent_share, 3)
    );
    let _ = writeln!(
        text,
        "  sessions per patient: {}; minutes per patient: {}",
        est(r.attendance.sessions_per_patient, 2),
        est(r.attendance.minutes_per_patient, 1)
    );
    let _ = writeln!(
        text,
        "  patients with an adverse event: {}",
        est(r.adverse_events.share_of_patients, 4)
    );
    if let Some(c) = &r.cost {
        cost(&mut text, c, minutes);
    }
    if let Some(c) = &r.capacity {
        capacity(&mut text, c, r.patients);
    }
    curves(&mut text, r.dose_response.as_ref(), r.warnings.as_ref());
    text
}

/// A money figure: `1234.57`.
fn money(v: f64) -> String {
    format!("{v:.2}")
}

/// `95% of replicates 710.32 to 1443.90` (`unbounded` for a limit among undefined replicates).
fn interval(q: &CostQuantiles) -> String {
    let limit =
        |e: Option<super::Estimate>| e.map_or("unbounded".to_owned(), |e| money(e.estimate));
    format!("95% of replicates {} to {}", limit(q.q025), limit(q.q975))
}

/// `940.92 (MCSE 1.63; ratio of means), 95% of replicates ... (undefined in 30)`.
fn ratio(r: &RatioFigure, undefined: &str) -> String {
    let centre = r
        .ratio_of_means
        .map_or("not defined (no responder in total)".to_owned(), |e| {
            format!("{} (MCSE {})", money(e.estimate), money(e.mcse))
        });
    let mut out = format!("{centre}, {}", interval(&r.quantiles));
    if r.undefined_replicates > 0 {
        let _ = write!(
            out,
            " ({undefined} in {} replicates)",
            r.undefined_replicates
        );
    }
    out
}

/// The cost lines.
fn cost(text: &mut String, c: &CostResult, minutes: u32) {
    let _ = writeln!(
        text,
        "  cost per patient: {} (MCSE {}), {} ({} per attended session: {} + {minutes} minutes x {}; missed sessions are not billed)",
        money(c.per_patient.mean.estimate),
        money(c.per_patient.mean.mcse),
        interval(&c.per_patient.quantiles),
        money(c.price_per_attended_session),
        money(c.price_per_session),
        money(c.price_per_minute),
    );
    for (name, outcome) in [("pain", &c.pain), ("ndi", &c.ndi)] {
        let Some(o) = outcome else { continue };
        let _ = writeln!(
            text,
            "  {name} cost per responder (total cost / total responders): {}",
            ratio(&o.per_responder, "no responder")
        );
        let _ = writeln!(
            text,
            "  {name} cost per additional responder over the control rate: {}; additional responders {}",
            ratio(&o.per_additional_responder, "none additional"),
            est(o.additional_responders, 2)
        );
    }
}

/// The capacity lines.
fn capacity(text: &mut String, c: &CapacityResult, patients: u32) {
    let _ = writeln!(
        text,
        "  capacity: {} therapists x {} hours = {} minutes a week; {} patients start each week ({}); the last of {patients} finishes in week {}",
        c.therapists,
        json_number(c.hours_per_week),
        json_number(c.capacity_minutes_per_week),
        c.intake_per_week,
        match c.intake {
            IntakeRule::Given => "given",
            IntakeRule::Capacity => "the most the capacity allows on average",
        },
        c.weeks_to_treat,
    );
    let _ = writeln!(
        text,
        "  weeks over capacity: {} of {} (share {}); replicates with such a week: {}; busiest week {} minutes",
        est(c.weeks_over_capacity, 2),
        c.weeks_to_treat,
        est(c.share_of_weeks_over_capacity, 3),
        est(c.any_week_over_capacity, 3),
        est(c.peak_week_minutes, 0),
    );
}

/// The summary of a trial result.
#[must_use]
pub fn trial(r: &TrialResult) -> String {
    let mut text = String::new();
    let (arms, per_arm, test, alpha) = match r.spec.design() {
        Design::Trial {
            arms,
            per_arm,
            test,
            alpha,
        } => (arms.text(), *per_arm, *test, *alpha),
        _ => ("", 1, Test::Fisher, 0.05),
    };
    let _ = writeln!(
        text,
        "trial of {arms} with {per_arm} per arm, {} outcome, {test:?} test at alpha {alpha}, {} replicates, seed {}",
        r.spec.outcome().as_str(),
        r.state.reps,
        r.header.seed
    );
    for (label, arm) in &r.arms.0 {
        if let (Some(power), Some(figure)) = (arm.power, arm.figure) {
            let _ = writeln!(text, "  {label:<8} {}: {}", figure.as_str(), est(power, 3));
        }
        let _ = writeln!(
            text,
            "  {label:<8} mean risk difference {}, mean {}% interval width {}",
            est(arm.mean_risk_difference, 3),
            (1.0 - alpha) * 100.0,
            est(arm.mean_interval_width, 3)
        );
    }
    if let Some(b) = r.best_arm_first {
        let _ = writeln!(text, "  best arm ranked first: {}", est(b, 3));
    }
    if let Some(t) = &r.trend {
        let _ = writeln!(text, "  trend test rejects (rising): {}", est(t.power, 3));
    }
    curves(&mut text, r.dose_response.as_ref(), r.warnings.as_ref());
    text
}

/// The summary of a sample-size result.
#[must_use]
pub fn sample_size(r: &SampleSizeResult) -> String {
    let mut text = String::new();
    let (arms, test, alpha) = match r.spec.design() {
        Design::SampleSize { arms, test, alpha } => (arms.text(), *test, *alpha),
        _ => ("", Test::Fisher, 0.05),
    };
    let _ = writeln!(
        text,
        "{} per arm reach power {} for every arm of {} ({} test, alpha {}): power {} at {} and {} at {} ({} replicates per size){}",
        r.per_arm,
        r.target_power,
        arms,
        if test == Test::Newcombe {
            "newcombe"
        } else {
            "fisher"
        },
        alpha,
        est(r.power_at_per_arm, 3),
        r.per_arm,
        est(r.power_at_per_arm_minus_1, 3),
        r.per_arm.saturating_sub(1),
        r.reps_per_candidate,
        if r.unresolved_by_monte_carlo_error {
            "; the target is within 2 MCSE even so: the answer may be off by one"
        } else {
            ""
        }
    );
    curves(&mut text, r.dose_response.as_ref(), r.warnings.as_ref());
    text
}

/// The summary of any result.
#[must_use]
pub fn summary(r: &SimResult) -> String {
    match r {
        SimResult::Clinic(r) => clinic(r),
        SimResult::Trial(r) => trial(r),
        SimResult::SampleSize(r) => sample_size(r),
    }
}
