//! The outcomes a responder rule is decided for: pain, the Neck Disability Index, and the
//! markers a `trial.toml` declares. Code that walks every outcome of a cohort uses
//! [`Outcome::all`] and [`Outcome::index`] instead of bare numbers, so "outcome 1" is never
//! guessed to mean NDI.

use serde::{Deserialize, Serialize};

/// One outcome of the data contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// At least a 30% pain reduction (by default) on the 0-10 scale.
    Pain,
    /// At least a 5-point improvement (by default) on the 0-50 Neck Disability Index.
    Ndi,
    /// The declared marker at this position of the protocol's marker list.
    Marker(usize),
}

impl Outcome {
    /// The two outcomes every cohort has, pain first.
    pub const BOTH: [Outcome; 2] = [Outcome::Pain, Outcome::Ndi];

    /// Every outcome of a protocol with `markers` declared markers: pain, NDI, then the
    /// markers in declaration order.
    pub fn all(markers: usize) -> impl ExactSizeIterator<Item = Outcome> + Clone {
        (0..2 + markers).map(Outcome::from_index)
    }

    /// Position in the per-outcome tables (0 pain, 1 NDI, 2 + i marker i).
    #[must_use]
    pub fn index(self) -> usize {
        match self {
            Outcome::Pain => 0,
            Outcome::Ndi => 1,
            Outcome::Marker(i) => 2 + i,
        }
    }

    /// The outcome at position `k` of the per-outcome tables (inverse of [`Outcome::index`]).
    #[must_use]
    pub fn from_index(k: usize) -> Outcome {
        match k {
            0 => Outcome::Pain,
            1 => Outcome::Ndi,
            m => Outcome::Marker(m - 2),
        }
    }

    /// `pain` or `ndi`; a marker's name is the protocol's (`None` here).
    #[must_use]
    pub fn fixed_name(self) -> Option<&'static str> {
        match self {
            Outcome::Pain => Some("pain"),
            Outcome::Ndi => Some("ndi"),
            Outcome::Marker(_) => None,
        }
    }
}

/// The two outcomes with published evidence and a simulation model (pain and NDI, DREAM's
/// co-primary outcomes): what `simulate`, the audit's benchmarks and the dose charts are for.
/// Widened to [`Outcome`] where markers may also appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrimaryOutcome {
    /// ≥ 30% pain reduction.
    Pain,
    /// ≥ 5-point NDI improvement.
    Ndi,
}

impl PrimaryOutcome {
    /// Both outcomes, pain first.
    pub const BOTH: [PrimaryOutcome; 2] = [PrimaryOutcome::Pain, PrimaryOutcome::Ndi];

    /// `pain` or `ndi`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PrimaryOutcome::Pain => "pain",
            PrimaryOutcome::Ndi => "ndi",
        }
    }
}

impl From<PrimaryOutcome> for Outcome {
    fn from(o: PrimaryOutcome) -> Outcome {
        match o {
            PrimaryOutcome::Pain => Outcome::Pain,
            PrimaryOutcome::Ndi => Outcome::Ndi,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome;

    #[test]
    fn index_and_from_index_are_inverse() {
        for k in 0..10 {
            assert_eq!(Outcome::from_index(k).index(), k);
        }
        let all: Vec<Outcome> = Outcome::all(2).collect();
        assert_eq!(
            all,
            [
                Outcome::Pain,
                Outcome::Ndi,
                Outcome::Marker(0),
                Outcome::Marker(1)
            ]
        );
    }
}
