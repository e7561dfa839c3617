//! One synthetic participant: the draws, in a fixed order, from that participant's own stream.
//!
//! Each participant gets an independent ChaCha8 stream (see `mod.rs`), and draws from it in
//! the order demographics, baseline, attendance and visits, adverse event, later visits,
//! follow-up, response, week-5 scores. Outcome draws come last so that a model change that
//! only moves response probabilities (such as an outlier site) leaves every other field of
//! every participant byte-for-byte unchanged. The result is a plain value with fixed-size
//! arrays, so simulating a participant allocates nothing.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::Distribution;

use super::calendar::Calendar;
use super::model::{
    Arm, ArmModel, CONTRAINDICATIONS, COURSE_WEEKS, Course, MAX_LATER_VISITS, MAX_WINDOW_VISITS,
    Model, weekday_patterns,
};

/// A uniform draw in `[0, 1)` with 53 random bits (value-stable: it depends only on the
/// generator's output, not on a library's sampling algorithm).
pub(super) fn uniform01(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An unbiased integer in `0..n` (`n >= 1`) by Lemire's multiply-and-reject method
/// (ACM TOMACS 2019, "Fast random integer generation in an interval").
pub(super) fn below(rng: &mut ChaCha8Rng, n: u32) -> u32 {
    let n = n.max(1);
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u64::from(rng.next_u32()) * u64::from(n);
        if (m as u32) >= threshold {
            return (m >> 32) as u32;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Attended,
    Missed,
    Cancelled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AdverseEvent {
    None,
    Mild,
    Moderate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Clearance {
    Empty,
    Yes,
    No,
}

/// One row of `sessions.csv`, relative to the participant's randomization day.
#[derive(Clone, Copy, Debug)]
pub(super) struct Visit {
    pub(super) day: u32,
    pub(super) minutes: u8,
    pub(super) status: Status,
    pub(super) therapist: u8,
    pub(super) adverse_event: AdverseEvent,
}

const NO_VISIT: Visit = Visit {
    day: 0,
    minutes: 0,
    status: Status::Missed,
    therapist: 0,
    adverse_event: AdverseEvent::None,
};

/// Everything written about one participant.
#[derive(Clone, Debug)]
pub(super) struct Participant {
    pub(super) arm: Arm,
    pub(super) age: u8,
    pub(super) female: bool,
    pub(super) site: u8,
    /// Indices into [`CONTRAINDICATIONS`], ascending; `contraindication_count` are used.
    pub(super) contraindications: [u8; 2],
    pub(super) contraindication_count: u8,
    pub(super) clearance: Clearance,
    pub(super) visits: [Visit; MAX_WINDOW_VISITS + MAX_LATER_VISITS],
    pub(super) visit_count: usize,
    /// Baseline pain in tenths of a point (0..=100) and NDI (0..=50).
    pub(super) pain0: u32,
    pub(super) ndi0: u32,
    /// Week-5 pain (tenths) and NDI, if followed up.
    pub(super) week5: Option<(u32, u32)>,
}

impl Participant {
    pub(super) fn visits(&self) -> &[Visit] {
        &self.visits[..self.visit_count]
    }
}

/// Factor on the response probabilities of every participant of the outlier site
/// (`generate --outlier-site`) unless `--outlier-factor` says otherwise: a quarter of the
/// usual rates.
pub(super) const OUTLIER_RESPONSE_FACTOR: f64 = 0.25;

impl Model {
    /// Simulates participant of `arm`, randomized on day `day0` of `calendar`, from `rng`.
    pub(super) fn simulate(
        &self,
        arm: Arm,
        day0: u32,
        calendar: &Calendar,
        rng: &mut ChaCha8Rng,
    ) -> Participant {
        let arm_model = &self.arms[arm.index()];

        // Demographics and site.
        let site = self.pick_site(uniform01(rng));
        let site_spec = &self.sites[usize::from(site)];
        let main_therapist =
            site_spec.first_therapist + below(rng, u32::from(site_spec.therapist_count)) as u8;
        let age = self.draw_age(rng);
        let female = uniform01(rng) < self.female_share;
        let (contraindications, contraindication_count, clearance) =
            self.draw_contraindications(rng);

        // Baseline scores.
        let pain0 = (self.baseline_pain.sample(rng) * 10.0)
            .round()
            .clamp(0.0, 100.0) as u32;
        let ndi0 = self.baseline_ndi.sample(rng).round().clamp(0.0, 50.0) as u32;

        // Attendance inside the window.
        let attendance: f64 = arm_model.attendance.sample(rng);
        let mut p = Participant {
            arm,
            age,
            female,
            site,
            contraindications,
            contraindication_count,
            clearance,
            visits: [NO_VISIT; MAX_WINDOW_VISITS + MAX_LATER_VISITS],
            visit_count: 0,
            pain0,
            ndi0,
            week5: None,
        };
        let care = Care {
            main_therapist,
            site_first: site_spec.first_therapist,
            site_therapists: site_spec.therapist_count,
            attendance,
            first_weekday: calendar.weekday(day0),
        };
        let mut attended = 0u32;
        if arm != Arm::Control {
            let course = Course {
                per_week: arm.per_week(),
                sessions: arm.per_week() * COURSE_WEEKS,
                first_day: 0,
                minutes: arm.minutes(),
            };
            self.schedule(&mut p, course, &care, rng);
            attended = p
                .visits()
                .iter()
                .filter(|v| v.status == Status::Attended)
                .count() as u32;
            self.add_adverse_event(&mut p, attended, rng);
        }
        let window_dose = match arm.per_week() {
            0 => 0.0,
            per_week => f64::from(attended) / f64::from(per_week * COURSE_WEEKS),
        };

        // Follow-up, then what happens after the window (boosters need the week-5 visit).
        let followed_up = uniform01(rng) >= self.missing_week5_share;
        if arm == Arm::Control {
            self.schedule(&mut p, self.waitlist_course, &care, rng);
        } else if followed_up && uniform01(rng) < self.booster_share {
            self.schedule(&mut p, self.booster_course, &care, rng);
        }

        // Response and week-5 scores, drawn last (see the module docs).
        // At the outlier site (if any) every participant's response probabilities are scaled
        // down; the draws are the same, so no other site's rows change.
        let scale = if self.outlier_site == Some(site) {
            self.outlier_factor
        } else {
            1.0
        };
        let week5 = self.draw_week5(arm_model, pain0, ndi0, window_dose, scale, rng);
        if followed_up {
            p.week5 = Some(week5);
        }
        p
    }

    /// Marks one attended window session of some participants with a mild or moderate
    /// adverse event.
    fn add_adverse_event(&self, p: &mut Participant, attended: u32, rng: &mut ChaCha8Rng) {
        if attended == 0 || uniform01(rng) >= self.adverse_event_share {
            return;
        }
        let k = below(rng, attended) as usize;
        let event = if uniform01(rng) < self.adverse_event_mild_share {
            AdverseEvent::Mild
        } else {
            AdverseEvent::Moderate
        };
        if let Some(v) = p.visits[..p.visit_count]
            .iter_mut()
            .filter(|v| v.status == Status::Attended)
            .nth(k)
        {
            v.adverse_event = event;
        }
    }

    /// Week-5 pain (tenths) and NDI. Response is decided first, by comparing uniforms with
    /// the dose-adjusted probabilities; the magnitude is then drawn inside the class and
    /// clamped so that the tool's exact rules classify the written values the same way.
    fn draw_week5(
        &self,
        arm_model: &ArmModel,
        pain0: u32,
        ndi0: u32,
        dose: f64,
        scale: f64,
        rng: &mut ChaCha8Rng,
    ) -> (u32, u32) {
        let (pain_p, ndi_p) = self.response_probabilities(arm_model, dose);
        let (pain_p, ndi_p) = ((scale * pain_p).min(1.0), (scale * ndi_p).min(1.0));
        let u_pain = uniform01(rng);
        let u_ndi = if uniform01(rng) < self.response_coupling {
            u_pain
        } else {
            uniform01(rng)
        };
        let pain_responder = pain0 > 0 && u_pain < pain_p;
        let ndi_responder = ndi0 >= 5 && u_ndi < ndi_p;

        // Pain: a responder needs 10 * (b - w) >= 3 * b in tenths, i.e. w <= floor(7b / 10).
        let cut = 7 * pain0 / 10;
        let pain5 = if pain_responder {
            let relief = 0.3 + 0.7 * arm_model.pain_extra.sample(rng);
            let w = (f64::from(pain0) * (1.0 - relief)).round().max(0.0) as u32;
            w.min(cut)
        } else {
            let relief = 0.3 - arm_model.pain_shortfall.sample(rng);
            let w = (f64::from(pain0) * (1.0 - relief))
                .round()
                .clamp(0.0, 100.0) as u32;
            if pain0 == 0 { w } else { w.max(cut + 1) }
        };
        // NDI: responders improve by >= 5 points, non-responders by <= 4.
        let ndi5 = if ndi_responder {
            let gain = (5.0 + arm_model.ndi_extra.sample(rng)).round() as u32;
            ndi0.saturating_sub(gain)
        } else {
            let gain = (4.0 - arm_model.ndi_shortfall.sample(rng)).round();
            (f64::from(ndi0) - gain).clamp(0.0, 50.0) as u32
        };
        (pain5, ndi5)
    }

    fn pick_site(&self, u: f64) -> u8 {
        let mut acc = 0.0;
        for (i, site) in self.sites.iter().enumerate() {
            acc += site.share;
            if u < acc {
                return i as u8;
            }
        }
        (self.sites.len() - 1) as u8
    }

    fn draw_age(&self, rng: &mut ChaCha8Rng) -> u8 {
        let (lo, hi) = self.age_range;
        if uniform01(rng) < self.age_outside_share {
            let (a, b) = if uniform01(rng) < 0.5 {
                self.age_below
            } else {
                self.age_above
            };
            return a + below(rng, u32::from(b - a) + 1) as u8;
        }
        // Truncation by rejection; the acceptance rate is ~85%, so 64 tries fail with
        // probability ~1e-53, and the fallback clamps rather than loops forever.
        let mut x = self.age.sample(rng).round();
        for _ in 0..64 {
            if x >= f64::from(lo) && x <= f64::from(hi) {
                break;
            }
            x = self.age.sample(rng).round();
        }
        x.clamp(f64::from(lo), f64::from(hi)) as u8
    }

    fn draw_contraindications(&self, rng: &mut ChaCha8Rng) -> ([u8; 2], u8, Clearance) {
        if uniform01(rng) >= self.contraindication_share {
            return ([0, 0], 0, Clearance::Empty);
        }
        let n = CONTRAINDICATIONS.len() as u32;
        let first = below(rng, n) as u8;
        let mut codes = [first, first];
        let mut count = 1;
        if uniform01(rng) < self.second_contraindication_share {
            // A second, different code; listed in the contract's order.
            let second = ((u32::from(first) + 1 + below(rng, n - 1)) % n) as u8;
            codes = [first.min(second), first.max(second)];
            count = 2;
        }
        let clearance = if uniform01(rng) < self.clearance_yes_share {
            Clearance::Yes
        } else {
            Clearance::No
        };
        (codes, count, clearance)
    }

    /// Appends a course's visits: the first `sessions` days on or after `first_day` whose
    /// weekday is in a pattern picked for this participant. Starting on or after day 0, a
    /// four-week course of a weekly pattern always ends by day 27 (the 4k pattern days
    /// after the first fall within 28 days of the last pattern day before day 0).
    fn schedule(&self, p: &mut Participant, course: Course, care: &Care, rng: &mut ChaCha8Rng) {
        let patterns = weekday_patterns(course.per_week);
        let pattern = patterns[below(rng, patterns.len() as u32) as usize];
        let mut day = course.first_day;
        let mut left = course.sessions;
        while left > 0 && p.visit_count < p.visits.len() {
            let weekday = (u32::from(care.first_weekday) + day) % 7;
            if pattern.contains(&(weekday as u8)) {
                let (status, minutes, therapist) = if uniform01(rng) < care.attendance {
                    let therapist = if care.site_therapists > 1
                        && uniform01(rng) < self.substitute_share
                    {
                        // Any other therapist of the same site.
                        let offset = u32::from(care.main_therapist - care.site_first);
                        let other = (offset + 1 + below(rng, u32::from(care.site_therapists) - 1))
                            % u32::from(care.site_therapists);
                        care.site_first + other as u8
                    } else {
                        care.main_therapist
                    };
                    (Status::Attended, course.minutes, therapist)
                } else if uniform01(rng) < self.missed_share_of_absences {
                    (Status::Missed, 0, care.main_therapist)
                } else {
                    (Status::Cancelled, 0, care.main_therapist)
                };
                p.visits[p.visit_count] = Visit {
                    day,
                    minutes,
                    status,
                    therapist,
                    adverse_event: AdverseEvent::None,
                };
                p.visit_count += 1;
                left -= 1;
            }
            day += 1;
        }
    }
}

/// Who treats a participant and how reliably they come.
#[derive(Clone, Copy, Debug)]
struct Care {
    main_therapist: u8,
    /// The participant's site's therapists: `site_first .. site_first + site_therapists`.
    site_first: u8,
    site_therapists: u8,
    /// Personal probability of attending a scheduled visit.
    attendance: f64,
    /// Weekday (0 = Monday) of the randomization day.
    first_weekday: u8,
}
