//! One simulated patient: which planned sessions they attend, whether they have an adverse
//! event, whether they respond.
//!
//! Attendance: each patient has their own probability `a` of attending any one session, drawn
//! from a Beta law (fitted to the evidence's attendance) or fixed by `--attendance P`; each
//! planned session is then attended with probability `a`, independently. The dose received is
//! the sessions attended. Adverse events: each attended session carries the evidence's
//! per-session probability `q`, so a patient who attends `k` sessions has one with probability
//! `1 − (1 − q)^k` (one draw per patient). Responses: a Bernoulli draw with the patient's rate.
//!
//! Every draw is value-stable: uniforms use 53 bits of one `u64`, a session's attendance
//! compares 32 random bits with `a · 2³²`, so results depend only on ChaCha8's output (and, for
//! the Beta draws, on the pinned `rand_distr` version).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution};

use super::{Field, SimError};

/// A uniform draw in `[0, 1)` from 53 random bits.
#[inline]
pub fn uniform01(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// How patients attend.
#[derive(Debug, Clone, Copy)]
pub enum Attendance {
    /// Per-patient probability drawn from Beta(a, b).
    Beta(Beta<f64>, f64, f64),
    /// Everyone attends each session with this probability (1: every session).
    Fixed(f64),
}

impl Attendance {
    /// A Beta law; `(a, b)` must be positive.
    ///
    /// # Errors
    /// [`SimError::Invalid`] for non-positive parameters.
    pub fn beta(a: f64, b: f64) -> Result<Attendance, SimError> {
        Beta::new(a, b)
            .map(|d| Attendance::Beta(d, a, b))
            .map_err(|_| {
                SimError::invalid(
                    Field::Attendance,
                    format!("Beta({a}, {b})"),
                    "parameters must be positive",
                )
            })
    }

    /// A fixed probability `p`, checked to lie in [0, 1].
    ///
    /// # Errors
    /// [`SimError::Invalid`] naming the value and the range.
    pub fn fixed(p: f64) -> Result<Attendance, SimError> {
        if (0.0..=1.0).contains(&p) {
            Ok(Attendance::Fixed(p))
        } else {
            Err(SimError::invalid(
                Field::Attendance,
                p,
                "outside [0, 1]; give the probability of attending a session, 1 for every session",
            ))
        }
    }

    /// The mean probability of attending a session: `a / (a + b)` for Beta(a, b), or the
    /// fixed probability.
    #[must_use]
    pub fn mean(&self) -> f64 {
        match self {
            Attendance::Beta(_, a, b) => a / (a + b),
            Attendance::Fixed(p) => *p,
        }
    }

    /// A short description for the output.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Attendance::Beta(_, a, b) => format!("per-patient probability ~ Beta({a}, {b})"),
            Attendance::Fixed(p) => format!("fixed probability {p} per session"),
        }
    }
}

/// What one patient received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dose {
    /// Sessions attended.
    pub attended: u32,
    /// Whether an adverse event occurred.
    pub adverse: bool,
}

/// `2³² · p` as the threshold a 32-bit draw is compared with (`p = 1` always passes).
#[inline]
fn threshold(p: f64) -> u64 {
    (p.clamp(0.0, 1.0) * 4_294_967_296.0) as u64
}

/// Simulates the attendance and adverse events of one patient with `planned` sessions.
#[inline]
pub fn treat(
    rng: &mut ChaCha8Rng,
    planned: u32,
    attendance: &Attendance,
    adverse_per_session: f64,
) -> Dose {
    treat_sessions(rng, planned, attendance, adverse_per_session, |_| {})
}

/// [`treat`], calling `attended(j)` for each attended session `j` (from 0, in the schedule's
/// order); the same draws, so the same dose.
#[inline]
pub fn treat_sessions(
    rng: &mut ChaCha8Rng,
    planned: u32,
    attendance: &Attendance,
    adverse_per_session: f64,
    mut attended_session: impl FnMut(u32),
) -> Dose {
    if planned == 0 {
        return Dose {
            attended: 0,
            adverse: false,
        };
    }
    let p = match attendance {
        Attendance::Beta(d, _, _) => d.sample(rng),
        Attendance::Fixed(p) => *p,
    };
    let t = threshold(p);
    let mut attended = 0;
    let mut left = planned;
    while left > 0 {
        let bits = rng.next_u64();
        let session = planned - left;
        let first = (bits & 0xFFFF_FFFF) < t;
        attended += u32::from(first);
        if first {
            attended_session(session);
        }
        if left > 1 {
            let second = (bits >> 32) < t;
            attended += u32::from(second);
            if second {
                attended_session(session + 1);
            }
            left -= 2;
        } else {
            left -= 1;
        }
    }
    let adverse = attended > 0
        && adverse_per_session > 0.0
        && uniform01(rng) < 1.0 - (1.0 - adverse_per_session).powi(attended as i32);
    Dose { attended, adverse }
}

/// Whether a patient with response probability `p` responds.
#[inline]
pub fn responds(rng: &mut ChaCha8Rng, p: f64) -> bool {
    uniform01(rng) < p
}

/// Whether `attended` of `planned` sessions meets the 75% adherence rule, in integers
/// (`4 · attended >= 3 · planned`, so 6 of 8 is adherent).
#[must_use]
pub fn adherent(attended: u32, planned: u32) -> bool {
    planned > 0 && 4 * u64::from(attended) >= 3 * u64::from(planned)
}
