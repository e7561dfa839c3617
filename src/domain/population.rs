//! Analysis populations and the meaning of a missing outcome: the one place that says who is
//! analysed and how a participant without an outcome at the checkpoint counts. The per-arm
//! tallies, the adjusted regressions, the audit and the simulator's
//! evidence all ask these functions instead of restating the rule.
//!
//! The contract ("Analysis populations" in data/README.md): `itt` takes every accepted
//! participant, with a missing outcome counted as a non-responder (`--missing nonresponder`)
//! or dropped (`--missing exclude`); `per-protocol` takes every control participant and the
//! adherent treatment-arm participants, and drops missing outcomes.

use serde::Serialize;

/// Which participants are analysed.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Population {
    /// Intention to treat: everyone randomized and accepted.
    Itt,
    /// Adherent treatment-arm participants and every control participant.
    PerProtocol,
}

/// What a missing outcome means in the ITT population.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Missing {
    /// Counted as a non-responder in the denominator.
    Nonresponder,
    /// Dropped from the denominator.
    Exclude,
}

impl Population {
    /// True when a participant of the control arm (`is_control`) with this adherence
    /// (`None` when it cannot be computed) is in the population.
    #[must_use]
    pub fn includes(self, is_control: bool, adherent: Option<bool>) -> bool {
        match self {
            Population::Itt => true,
            Population::PerProtocol => is_control || adherent == Some(true),
        }
    }

    /// True when, under `missing`, a member of the population without an outcome stays in
    /// the denominator as a non-responder (only ITT with `--missing nonresponder`).
    #[must_use]
    pub fn counts_missing_as_nonresponder(self, missing: Missing) -> bool {
        matches!((self, missing), (Population::Itt, Missing::Nonresponder))
    }

    /// How a member of the population counts: `Some(responder)` in the denominator, or `None`
    /// when the missing outcome drops them.
    #[must_use]
    pub fn counted(self, missing: Missing, responder: Option<bool>) -> Option<bool> {
        match responder {
            Some(r) => Some(r),
            None if self.counts_missing_as_nonresponder(missing) => Some(false),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Missing, Population};

    #[test]
    fn the_contract_table() {
        // data/README.md, "Analysis populations".
        use Population::*;
        assert!(Itt.includes(false, None));
        assert!(Itt.includes(false, Some(false)));
        assert!(PerProtocol.includes(true, None));
        assert!(PerProtocol.includes(false, Some(true)));
        assert!(!PerProtocol.includes(false, Some(false)));
        assert!(!PerProtocol.includes(false, None));
        assert_eq!(Itt.counted(Missing::Nonresponder, None), Some(false));
        assert_eq!(Itt.counted(Missing::Exclude, None), None);
        assert_eq!(PerProtocol.counted(Missing::Nonresponder, None), None);
        assert_eq!(
            PerProtocol.counted(Missing::Exclude, Some(true)),
            Some(true)
        );
    }
}
