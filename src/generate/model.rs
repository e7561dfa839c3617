//! The data-generating model behind a generator profile, with its parameters in one place.
//!
//! A profile is a table of published targets (responder rates by arm, baseline means) and of
//! the assumptions needed to turn them into individual records (attendance, dropout, adverse
//! events, sites). Building a [`Model`] checks every parameter once, so that the per-participant
//! code in `participant.rs` can sample without error paths, and precomputes the quantities the
//! calibration needs: responder probabilities are set so that the *intention-to-treat* rates
//! the tool derives (missing week-5 rows count as non-responders, and a participant whose
//! baseline leaves no room for the improvement cannot respond) equal the published figures in
//! expectation, whatever the dose each participant actually received.
//!
//! The values of each profile, with their sources, live in their own file (`dream.rs`).

use rand_distr::{Beta, Gamma, Normal};

use super::calendar::Date;

/// The trial arms, in the order the data contract lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arm {
    Control,
    M30x2,
    M30x3,
    M60x1,
    M60x2,
    M60x3,
}

impl Arm {
    pub(super) const ALL: [Arm; 6] = [
        Arm::Control,
        Arm::M30x2,
        Arm::M30x3,
        Arm::M60x1,
        Arm::M60x2,
        Arm::M60x3,
    ];

    pub(super) fn index(self) -> usize {
        self as usize
    }

    /// The label written in `participants.csv`.
    pub(super) fn label(self) -> &'static str {
        match self {
            Arm::Control => "control",
            Arm::M30x2 => "30x2",
            Arm::M30x3 => "30x3",
            Arm::M60x1 => "60x1",
            Arm::M60x2 => "60x2",
            Arm::M60x3 => "60x3",
        }
    }

    /// Minutes per session (0 for the wait-list).
    pub(super) fn minutes(self) -> u8 {
        match self {
            Arm::Control => 0,
            Arm::M30x2 | Arm::M30x3 => 30,
            Arm::M60x1 | Arm::M60x2 | Arm::M60x3 => 60,
        }
    }

    /// Sessions per week (0 for the wait-list).
    pub(super) fn per_week(self) -> u8 {
        match self {
            Arm::Control => 0,
            Arm::M60x1 => 1,
            Arm::M30x2 | Arm::M60x2 => 2,
            Arm::M30x3 | Arm::M60x3 => 3,
        }
    }
}

/// Weeks of treatment; the window is days `0..=WEEKS*7-1` from randomization.
pub(super) const COURSE_WEEKS: u8 = 4;
/// Most sessions one participant can have inside the window (3 a week for 4 weeks).
pub(super) const MAX_WINDOW_VISITS: usize = 12;
/// Most sessions after the window (the wait-list's 60x2 course, or boosters).
pub(super) const MAX_LATER_VISITS: usize = 8;

/// A run of sessions on a weekly pattern, from day `first_day` after randomization on.
#[derive(Clone, Copy, Debug)]
pub(super) struct Course {
    pub(super) per_week: u8,
    pub(super) sessions: u8,
    pub(super) first_day: u32,
    pub(super) minutes: u8,
}

impl Course {
    /// A day offset no visit of this course can reach: the first pattern day falls within
    /// a week of `first_day`, and `sessions` visits take at most `ceil(sessions / per_week)`
    /// weeks from there.
    pub(super) fn day_bound(self) -> u32 {
        let weeks = u32::from(self.sessions).div_ceil(u32::from(self.per_week.max(1)));
        self.first_day + 7 * (weeks + 1)
    }
}

/// Weekday patterns (0 = Monday) a course can follow, by sessions per week. A participant
/// keeps one pattern for the whole course: "sessions lie on fixed weekdays".
pub(super) fn weekday_patterns(per_week: u8) -> &'static [&'static [u8]] {
    match per_week {
        1 => &[&[0], &[1], &[2], &[3], &[4]],
        2 => &[&[0, 3], &[1, 4], &[0, 2], &[1, 3], &[2, 4]],
        _ => &[&[0, 2, 4], &[0, 1, 3], &[1, 3, 4]],
    }
}

/// A site: its name (free text in the contract), its share of recruitment and its
/// therapists (indices into [`Model::therapists`]).
#[derive(Clone, Debug)]
pub(super) struct Site {
    pub(super) name: &'static str,
    pub(super) share: f64,
    pub(super) first_therapist: u8,
    pub(super) therapist_count: u8,
}

/// Contraindication codes of the data contract: the validator's list, so that every code
/// the generator writes is one the validator accepts.
pub(super) use crate::cohort::participants::CONTRAINDICATIONS;

/// Everything sampled per arm.
#[derive(Clone, Debug)]
pub(super) struct ArmModel {
    pub(super) arm: Arm,
    pub(super) attendance: Beta<f64>,
    /// E[attendance probability] = alpha / (alpha + beta) = E[attended / planned].
    pub(super) mean_attendance: f64,
    /// P(pain responder | week 5 observed, baseline > 0) at the arm's mean dose.
    pub(super) pain_p: f64,
    /// P(NDI responder | week 5 observed, baseline NDI >= 5) at the arm's mean dose.
    pub(super) ndi_p: f64,
    /// Responders' relative pain reduction is `0.3 + 0.7 * X`, X ~ this Beta.
    pub(super) pain_extra: Beta<f64>,
    /// Non-responders' relative pain reduction is `0.3 - X`, X ~ this Gamma.
    pub(super) pain_shortfall: Gamma<f64>,
    /// Responders' NDI improvement is `5 + X`, X ~ this Gamma.
    pub(super) ndi_extra: Gamma<f64>,
    /// Non-responders' NDI improvement is `4 - X`, X ~ this Gamma.
    pub(super) ndi_shortfall: Gamma<f64>,
}

/// A validated data-generating model; see the module docs and `data/README.md`.
#[derive(Clone, Debug)]
pub(super) struct Model {
    pub(super) arms: Vec<ArmModel>,
    pub(super) sites: Vec<Site>,
    /// A site whose participants (every arm) respond with a quarter of the usual probability
    /// (`generate --outlier-site`), by index into `sites`.
    pub(super) outlier_site: Option<u8>,
    /// Factor on the outlier site's response probabilities (0.25 unless set; above 1 makes an
    /// excellent site, the probabilities capped at 1).
    pub(super) outlier_factor: f64,
    /// `T01`, `T02`, ... (global numbering; each site owns a contiguous block).
    pub(super) therapists: Vec<String>,
    pub(super) recruitment_start: Date,
    pub(super) recruitment_days: u32,
    /// Ages: N(mean, sd) rounded and truncated to `[lo, hi]`, except a share drawn uniformly
    /// from just below (`below`) or above (`above`) that range.
    pub(super) age: Normal<f64>,
    pub(super) age_range: (u8, u8),
    pub(super) age_outside_share: f64,
    pub(super) age_below: (u8, u8),
    pub(super) age_above: (u8, u8),
    pub(super) female_share: f64,
    pub(super) contraindication_share: f64,
    pub(super) second_contraindication_share: f64,
    pub(super) clearance_yes_share: f64,
    /// Baseline pain N(5.8, 1.3) in points, rounded to tenths and clipped to 0..=10.
    pub(super) baseline_pain: Normal<f64>,
    /// Baseline NDI N(13.7, 4.8), rounded and clipped to 0..=50.
    pub(super) baseline_ndi: Normal<f64>,
    pub(super) missed_share_of_absences: f64,
    pub(super) substitute_share: f64,
    pub(super) adverse_event_share: f64,
    pub(super) adverse_event_mild_share: f64,
    /// The course the wait-list is offered after its week-5 visit.
    pub(super) waitlist_course: Course,
    /// Share of treated, followed-up participants who take the booster course.
    pub(super) booster_share: f64,
    pub(super) booster_course: Course,
    pub(super) missing_week5_share: f64,
    /// Weight in [0, 1] of the actually received dose in the response probability.
    pub(super) dose_sensitivity: f64,
    /// Probability that the NDI response reuses the pain response's uniform draw.
    pub(super) response_coupling: f64,
}

/// Assumed share of pain baselines that round to 0.0 or NDI baselines below 5, computed from
/// the normal tail: `P(X >= cut)` for X ~ N(mean, sd).
pub(super) fn share_at_least(normal: &Normal<f64>, cut: f64) -> f64 {
    standard_normal_sf((cut - normal.mean()) / normal.std_dev())
}

/// Upper tail of the standard normal, `Q(z) = erfc(z / sqrt 2) / 2`, with the erfc
/// Chebyshev-fitted approximation `erfcc` of Numerical Recipes in C (2nd ed., 1992, sec. 6.2),
/// fractional error below 1.2e-7 everywhere: ample for a calibration tolerance of 0.1 pp.
fn standard_normal_sf(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let poly = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc_abs = t * poly.exp();
    let erfc = if x >= 0.0 { erfc_abs } else { 2.0 - erfc_abs };
    0.5 * erfc
}

pub(super) fn probability(name: &str, p: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{name} = {p} is not a probability in [0, 1]"))
    }
}

pub(super) fn beta(name: &str, a: f64, b: f64) -> Result<Beta<f64>, String> {
    Beta::new(a, b).map_err(|e| format!("{name}: Beta({a}, {b}): {e}"))
}

pub(super) fn gamma_with_mean(name: &str, shape: f64, mean: f64) -> Result<Gamma<f64>, String> {
    if !(mean > 0.0 && mean.is_finite()) {
        return Err(format!("{name}: mean {mean} must be positive"));
    }
    Gamma::new(shape, mean / shape)
        .map_err(|e| format!("{name}: Gamma({shape}, {}): {e}", mean / shape))
}

pub(super) fn normal(name: &str, mean: f64, sd: f64) -> Result<Normal<f64>, String> {
    Normal::new(mean, sd).map_err(|e| format!("{name}: N({mean}, {sd}): {e}"))
}

impl Model {
    /// Checks the cross-field rules every profile must satisfy; the message names the
    /// parameter.
    pub(super) fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("age outside share", self.age_outside_share),
            ("female share", self.female_share),
            ("contraindication share", self.contraindication_share),
            (
                "second contraindication share",
                self.second_contraindication_share,
            ),
            ("clearance yes share", self.clearance_yes_share),
            ("missed share of absences", self.missed_share_of_absences),
            ("substitute share", self.substitute_share),
            ("adverse event share", self.adverse_event_share),
            ("adverse event mild share", self.adverse_event_mild_share),
            ("booster share", self.booster_share),
            ("dose sensitivity", self.dose_sensitivity),
            ("response coupling", self.response_coupling),
        ] {
            probability(name, p)?;
        }
        let in_order = self.arms.len() == Arm::ALL.len()
            && self.arms.iter().zip(Arm::ALL).all(|(m, arm)| m.arm == arm);
        if !in_order {
            return Err("the arm table must list every arm once, in contract order".into());
        }
        if !self.recruitment_start.is_valid() || self.recruitment_days < 7 {
            return Err("recruitment needs a valid start date and at least a week".into());
        }
        if self.sites.is_empty() || self.sites.iter().any(|s| s.therapist_count == 0) {
            return Err("every profile needs sites, each with a therapist".into());
        }
        if self.therapists.len() > usize::from(u8::MAX) {
            return Err("at most 255 therapists".into());
        }
        let share: f64 = self.sites.iter().map(|s| s.share).sum();
        if (share - 1.0).abs() > 1e-9 {
            return Err(format!("site shares sum to {share}, not 1"));
        }
        let (lo, hi) = self.age_range;
        if !(self.age_below.0 <= self.age_below.1
            && self.age_below.1 < lo
            && lo <= hi
            && hi < self.age_above.0
            && self.age_above.0 <= self.age_above.1
            && self.age_above.1 <= 120)
        {
            return Err("age ranges must be ordered below < eligible < above <= 120".into());
        }
        let window_end = u32::from(COURSE_WEEKS) * 7;
        for (name, c) in [
            ("wait-list", self.waitlist_course),
            ("booster", self.booster_course),
        ] {
            if !(1..=3).contains(&c.per_week)
                || usize::from(c.sessions) > MAX_LATER_VISITS
                || c.first_day < window_end
                || !(1..=240).contains(&c.minutes)
            {
                return Err(format!(
                    "the {name} course needs 1-3 sessions a week, at most {MAX_LATER_VISITS} \
                     sessions of 1-240 minutes, starting after day {}",
                    window_end - 1
                ));
            }
        }
        // The dose-adjusted response probability must stay a probability for every dose
        // in [0, 1] (see `response_probabilities`).
        let control = &self.arms[Arm::Control.index()];
        for arm in &self.arms[1..] {
            for dose in [0.0, 1.0] {
                let (pain, ndi) = self.response_probabilities(arm, dose);
                probability(
                    &format!("{} pain response at dose {dose}", arm.arm.label()),
                    pain,
                )?;
                probability(
                    &format!("{} NDI response at dose {dose}", arm.arm.label()),
                    ndi,
                )?;
            }
        }
        probability("control pain response", control.pain_p)?;
        probability("control NDI response", control.ndi_p)?;
        Ok(())
    }

    /// Response probabilities (pain, NDI) of a participant of `arm` who attended the share
    /// `dose` of the planned window sessions, given an observed week 5 and room to respond.
    ///
    /// `p = p_control + (p_arm - p_control) * (1 - s + s * dose / E[dose])` with `s` the dose
    /// sensitivity. Because `E[dose] = E[attended]/planned` equals the Beta mean exactly,
    /// the arm's average is `p_arm` whatever `s` is, so the ITT targets hold. A site effect
    /// (e.g. an outlier clinic) would enter here as one more factor per site.
    pub(super) fn response_probabilities(&self, arm: &ArmModel, dose: f64) -> (f64, f64) {
        let control = &self.arms[Arm::Control.index()];
        if arm.arm == Arm::Control {
            return (control.pain_p, control.ndi_p);
        }
        let s = self.dose_sensitivity;
        let factor = 1.0 - s + s * dose / arm.mean_attendance;
        (
            control.pain_p + (arm.pain_p - control.pain_p) * factor,
            control.ndi_p + (arm.ndi_p - control.ndi_p) * factor,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tail_matches_reference_values() {
        // Reference: 0.5 * math.erfc(z / sqrt(2)) in the standard library of Python 3.11.
        const TOL: f64 = 1e-7; // the approximation's documented fractional error, 1.2e-7
        let cases = [
            (0.0, 0.5),
            (1.96, 0.024_997_895_148_220_435),
            (-1.916_666_666_666_666_5, 0.972_359_853_706_989_5),
            (4.4231, 4.864_733_984_915_584e-6),
        ];
        for (z, expected) in cases {
            let got = standard_normal_sf(z);
            assert!(
                (got - expected).abs() <= TOL * expected,
                "Q({z}) = {got}, want {expected}"
            );
        }
    }
}
