//! Who is in the cohort: maps a participant id from sessions.csv or scores.csv to an accepted
//! participant, or explains why it cannot (never in participants.csv, or rejected there).

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::participants::{Participant, RejectedId};

/// Accepted participants by id, and the ids that were rejected.
pub struct Roster<'a> {
    participants: &'a [Participant],
    /// Ids strictly increase in file order.
    sorted: bool,
    /// Built on the first lookup the hints cannot answer (never, for grouped files).
    accepted: OnceLock<FxHashMap<&'a str, u32>>,
    rejected: &'a FxHashMap<String, RejectedId>,
}

impl<'a> Roster<'a> {
    /// Builds the lookup; `sorted` says the ids strictly increase (found by the duplicate
    /// check), which allows binary search.
    pub fn new(
        participants: &'a [Participant],
        rejected: &'a FxHashMap<String, RejectedId>,
        sorted: bool,
    ) -> Roster<'a> {
        Roster {
            participants,
            sorted,
            accepted: OnceLock::new(),
            rejected,
        }
    }

    /// Like [`Roster::resolve`], but first tries the participant at `*hint` and the next one:
    /// files grouped by participant in participants.csv order then need no hashing. `hint`
    /// is updated to the participant found.
    #[inline]
    pub fn resolve_near(&self, id: &str, hint: &mut u32, what: &str) -> Result<u32, String> {
        let h = *hint as usize;
        for i in [h, h + 1] {
            if self
                .participants
                .get(i)
                .is_some_and(|p| super::csvfile::same_text(&p.id, id))
            {
                *hint = i as u32;
                return Ok(i as u32);
            }
        }
        // Ids sorted in participants.csv: a binary search finds the row without a map.
        if self.sorted {
            if let Ok(i) = self
                .participants
                .binary_search_by(|p| p.id.as_str().cmp(id))
            {
                *hint = i as u32;
                return Ok(i as u32);
            }
        }
        let found = self.resolve(id, what)?;
        *hint = found;
        Ok(found)
    }

    /// The participant's index, or the ledger reason why the row goes with it.
    /// `what` names the kind of rows, e.g. `sessions`.
    pub fn resolve(&self, id: &str, what: &str) -> Result<u32, String> {
        if id.is_empty() {
            return Err("participant_id is required".to_owned());
        }
        let accepted = self.accepted.get_or_init(|| {
            self.participants
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), i as u32))
                .collect()
        });
        if let Some(&i) = accepted.get(id) {
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
