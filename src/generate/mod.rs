//! Synthetic cohorts in the data contract's three CSVs, calibrated to a published trial.
//!
//! Individual-level data of the DREAM massage-dosing trial are not public, yet every part of
//! trialdose (validation, derivation, reports, benchmarks) needs cohorts to run on: small ones
//! that look like the trial and very large ones that stress the pipeline. This module writes
//! such cohorts (`participants.csv`, `sessions.csv`, `scores.csv`) from a named profile whose
//! responder rates, in the intention-to-treat analysis the tool performs, equal the published
//! figures in expectation. The model and its parameters are documented in `model.rs` and in
//! `data/README.md`.
//!
//! Reproducibility: the same options give the same bytes on every platform. All randomness
//! comes from ChaCha8 (`rand_chacha`) seeded with `seed_from_u64(seed)`, in named streams:
//! stream 0 is the *allocation* stream (block randomization), stream `i` (1-based) is the
//! *participant* stream of participant `i`, so each participant's record depends only on the
//! seed, its arm, its randomization day and its own stream. Uniform and integer draws are
//! computed here from raw generator output; normal, beta and gamma draws use `rand_distr` 0.6,
//! whose values are stable within that minor version.

mod calendar;
mod dream;
pub mod layout;
mod model;
mod participant;
mod rows;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use calendar::Calendar;
pub use layout::{Layout, LayoutError, LayoutFile};
use model::{Arm, Model};
use participant::below;
use rows::{CohortWriter, PARTICIPANTS_HEADER, SCORES_HEADER, SESSIONS_HEADER, Sink};

/// Smallest cohort [`GenerateOptions::new`] accepts.
pub const MIN_PARTICIPANTS: u64 = 1;
/// Largest cohort [`GenerateOptions::new`] accepts (about 4.5 GB of CSV).
pub const MAX_PARTICIPANTS: u64 = 10_000_000;

/// Errors in generator options (the writing itself can fail only with `io::Error`).
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The participant count is outside `min..=max`.
    #[error(
        "participant count {value} is out of range: a cohort has {min}..={max} participants; \
         choose a count in that range"
    )]
    ParticipantsOutOfRange {
        /// The count asked for.
        value: u64,
        /// Smallest allowed count.
        min: u64,
        /// Largest allowed count.
        max: u64,
    },
    /// No profile has this name.
    #[error("unknown cohort profile `{name}`: the known profiles are {known}")]
    UnknownProfile {
        /// The name as given.
        name: String,
        /// The known names, comma-separated.
        known: &'static str,
    },
    /// The outlier factor is outside [0, 10].
    #[error(
        "{factor}: give a factor between 0 and 10 (0.25 makes a poor site, 2.5 an excellent one)"
    )]
    OutlierFactor {
        /// The factor given.
        factor: f64,
    },
    /// No site of the profile has this name.
    #[error("{name}: the profile's sites are {known}; give one of them")]
    UnknownSite {
        /// The name as given.
        name: String,
        /// The profile's site names, comma-separated.
        known: String,
    },
    /// A profile's built-in parameters failed validation (a bug in the profile table).
    #[error("cohort profile `{profile}` has an invalid parameter: {detail}")]
    InvalidModel {
        /// The profile's name.
        profile: &'static str,
        /// Which parameter failed, and why.
        detail: String,
    },
}

/// A calibrated data-generating model, chosen by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// The DREAM dosing trial for chronic neck pain (Sherman et al., Ann Fam Med 2014).
    Dream,
}

impl Profile {
    /// Every profile, in the order help texts list them.
    pub const ALL: [Profile; 1] = [Profile::Dream];
    /// The names of [`Profile::ALL`], comma-separated, for messages.
    pub const NAMES: &'static str = "dream";

    /// The name accepted by [`FromStr`].
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Profile::Dream => "dream",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = GenerateError;

    fn from_str(s: &str) -> Result<Profile, GenerateError> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| GenerateError::UnknownProfile {
                name: s.to_owned(),
                known: Profile::NAMES,
            })
    }
}

/// Validated options for [`write_cohort`].
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    participants: u64,
    seed: u64,
    profile: Profile,
    model: Model,
}

impl GenerateOptions {
    /// Checks the count (`1..=10_000_000`) and builds the profile's model.
    ///
    /// # Errors
    /// [`GenerateError::ParticipantsOutOfRange`] for a count outside that range, and
    /// [`GenerateError::InvalidModel`] if the profile's parameter table fails validation.
    pub fn new(participants: u64, seed: u64, profile: Profile) -> Result<Self, GenerateError> {
        if !(MIN_PARTICIPANTS..=MAX_PARTICIPANTS).contains(&participants) {
            return Err(GenerateError::ParticipantsOutOfRange {
                value: participants,
                min: MIN_PARTICIPANTS,
                max: MAX_PARTICIPANTS,
            });
        }
        let model = match profile {
            Profile::Dream => Model::dream()?,
        };
        Ok(GenerateOptions {
            participants,
            seed,
            profile,
            model,
        })
    }

    /// Makes one site an outlier: every participant there responds with a quarter of the
    /// usual probability (pain and NDI, every arm), so its responder rate falls far below the
    /// other sites'. Everything else about the cohort, and every other site's rows, stay the
    /// same.
    /// The cohort-wide responder rates then fall below the profile's published figures.
    ///
    /// # Errors
    /// [`GenerateError::UnknownSite`] unless `name` is one of the profile's site names
    /// (compared without regard to case).
    pub fn with_outlier_site(mut self, name: &str) -> Result<Self, GenerateError> {
        let index = self
            .model
            .sites
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| GenerateError::UnknownSite {
                name: name.to_owned(),
                known: self
                    .model
                    .sites
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        self.model.outlier_site = u8::try_from(index).ok();
        Ok(self)
    }

    /// Sets the factor on the outlier site's response probabilities (0.25 by default): below 1
    /// a poor site, above 1 an excellent one (probabilities capped at 1).
    ///
    /// # Errors
    /// [`GenerateError::OutlierFactor`] unless `0 <= factor <= 10`.
    pub fn with_outlier_factor(mut self, factor: f64) -> Result<Self, GenerateError> {
        if !(0.0..=10.0).contains(&factor) {
            return Err(GenerateError::OutlierFactor { factor });
        }
        self.model.outlier_factor = factor;
        Ok(self)
    }

    /// Number of participants to write.
    #[must_use]
    pub fn participants(&self) -> u64 {
        self.participants
    }

    /// Seed of the ChaCha8 generator.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The data-generating model.
    #[must_use]
    pub fn profile(&self) -> Profile {
        self.profile
    }
}

/// Data rows written to each file (headers not counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GeneratedCounts {
    /// Rows of `participants.csv`.
    pub participants: u64,
    /// Rows of `sessions.csv`.
    pub sessions: u64,
    /// Rows of `scores.csv`.
    pub scores: u64,
}

/// Block randomization in blocks of one of each arm (six), each block shuffled with the
/// allocation stream; a final partial block takes the first arms of its shuffle.
struct Allocation {
    rng: ChaCha8Rng,
    block: [Arm; 6],
    next: usize,
}

impl Allocation {
    fn new(rng: ChaCha8Rng) -> Allocation {
        Allocation {
            rng,
            block: Arm::ALL,
            next: Arm::ALL.len(),
        }
    }

    fn next_arm(&mut self) -> Arm {
        if self.next == self.block.len() {
            self.block = Arm::ALL;
            // Fisher-Yates.
            for i in (1..self.block.len()).rev() {
                let j = below(&mut self.rng, i as u32 + 1) as usize;
                self.block.swap(i, j);
            }
            self.next = 0;
        }
        self.next += 1;
        self.block[self.next - 1]
    }
}

/// Stream number of the allocation stream; participant `i` (1-based) uses stream `i`.
const ALLOCATION_STREAM: u64 = 0;

/// Writes a cohort: the three CSV files of the data contract, each with its header row, to
/// the given writers (which the caller buffers, places and flushes as it likes).
///
/// Participant ids are `P` and the 1-based randomization number zero-padded to 7 digits
/// (8 for exactly 10,000,000 participants). Rows are grouped by participant in id order;
/// sessions are in date order within a participant, scores in week order.
///
/// # Errors
/// Only those of the writers.
pub fn write_cohort(
    opts: &GenerateOptions,
    participants: &mut dyn Write,
    sessions: &mut dyn Write,
    scores: &mut dyn Write,
) -> io::Result<GeneratedCounts> {
    let model = &opts.model;
    let n = opts.participants;
    // Days after the last randomization that a visit can fall on.
    let follow_days = model
        .waitlist_course
        .day_bound()
        .max(model.booster_course.day_bound());
    let calendar = Calendar::new(model.recruitment_start, model.recruitment_days, follow_days);
    let root = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut allocation_rng = root.clone();
    allocation_rng.set_stream(ALLOCATION_STREAM);
    let mut allocation = Allocation::new(allocation_rng);

    let width = n.to_string().len().max(7);
    let mut id = [0u8; 24];
    let mut out = CohortWriter {
        model,
        calendar: &calendar,
        participants: Sink::new(participants, PARTICIPANTS_HEADER),
        sessions: Sink::new(sessions, SESSIONS_HEADER),
        scores: Sink::new(scores, SCORES_HEADER),
    };
    for number in 1..=n {
        let arm = allocation.next_arm();
        let day0 = calendar.randomization_day(number - 1, n);
        // Participant stream `number`.
        let mut rng = root.clone();
        rng.set_stream(number);
        let participant = model.simulate(arm, day0, &calendar, &mut rng);
        let len = rows::participant_id(number, width, &mut id);
        out.write(&id[..len], day0, &participant)?;
    }
    Ok(GeneratedCounts {
        participants: out.participants.finish()?,
        sessions: out.sessions.finish()?,
        scores: out.scores.finish()?,
    })
}
