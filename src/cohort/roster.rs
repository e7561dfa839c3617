//! Who is in the cohort: maps a participant id from sessions.csv or scores.csv to an accepted
//! participant, or explains why it cannot (never in participants.csv, or rejected there).

use rustc_hash::FxHashMap;

use super::participants::{Participant, RejectedId};

/// Accepted participants by id, and the ids that were rejected.
pub struct Roster<'a> {
    accepted: FxHashMap<&'a str, u32>,
    rejected: &'a FxHashMap<String, RejectedId>,
}

impl<'a> Roster<'a> {
    /// Builds the lookup.
    pub fn new(
        participants: &'a [Participant],
        rejected: &'a FxHashMap<String, RejectedId>,
    ) -> Roster<'a> {
        let accepted = participants
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i as u32))
            .collect();
        Roster { accepted, rejected }
    }

    /// The participant's index, or the ledger reason why the row goes with it.
    /// `what` names the kind of rows, e.g. `sessions`.
    pub fn resolve(&self, id: &str, what: &str) -> Result<u32, String> {
        if id.is_empty() {
            return Err("participant_id is required".to_owned());
        }
        if let Some(&i) = self.accepted.get(id) {
            return Ok(i);
        }
        match self.rejected.get(id) {
            Some(r) => Err(format!(
                "participant `{id}` was rejected in participants.csv (line {}: {}); their {what} are rejected with them",
                r.line, r.reason
            )),
            None => Err(format!(
                "participant_id `{id}` is not in participants.csv; add the participant there or correct the id"
            )),
        }
    }
}
