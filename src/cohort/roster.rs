//! Who is in the cohort: maps a participant id from sessions.csv or scores.csv to an accepted
//! participant, or explains why it cannot (never in participants.csv, or rejected there).
//!
//! Files grouped by participant are resolved by a hint (the participant of the row before, or
//! the next one). A session log written as visits happen (by date) or in any other order
//! misses the hint on nearly every row, and a lookup in a table of a million ids costs two or
//! three cache misses (the table, the bucket, the id's text): 10 million rows took 4 s of CPU
//! in a hash map (and more in the binary search over sorted ids used before, with its twenty
//! string comparisons per row). Ids of the usual form, a fixed prefix and a number (`P0000017`,
//! `P17`, `1042`), are therefore resolved by their number: a table of 4 bytes per number, no
//! text compared. Other ids go to a hash map.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::participants::{Participant, RejectedId};

/// Accepted participants by id, and the ids that were rejected.
pub struct Roster<'a> {
    participants: &'a [Participant],
    /// Built on the first lookup the hints cannot answer (never, for grouped files). A
    /// session log written as visits happen (by date, not by participant) misses the hints
    /// on nearly every row: one hash lookup each. (A binary search over sorted ids was
    /// used before: 20 string comparisons per row, 7x slower on a million participants.)
    accepted: OnceLock<Index<'a>>,
    rejected: &'a FxHashMap<String, RejectedId>,
}

/// The lookup of accepted ids the hints cannot answer.
enum Index<'a> {
    /// Every accepted id is a prefix and a number in one canonical form.
    Numbered(Numbered),
    /// Any ids.
    Hashed(FxHashMap<&'a str, u32>),
}

/// Ids that are one prefix followed by a number written in one canonical form, so that the
/// text of an id and its number determine each other: either every number has the same
/// count of digits (`P0000017`), or none has a leading zero (`P17`). An id of any other form
/// cannot be accepted, and is answered without a table.
struct Numbered {
    prefix: Box<[u8]>,
    /// `Some(w)`: every number has `w` digits; `None`: no number has a leading zero.
    width: Option<usize>,
    /// Where a number's participant is found.
    place: Place,
}

/// The participant of a number.
enum Place {
    /// Participant `i` has number `first + i` (a participants.csv listed in id order without
    /// gaps, as randomization lists are): found by a subtraction. A session log in any order
    /// then costs no memory access per row to resolve; the table below is a cache miss per
    /// row once it outgrows the cache (4 MB for a million participants).
    Run {
        /// The number of participant 0.
        first: usize,
        /// Participants.
        len: usize,
    },
    /// The participant of each number, plus one (0: no participant has it).
    Table(Vec<u32>),
}

impl Numbered {
    /// The prefix and the digits of `id` (at most nine digits, so the number fits a u32).
    fn split(id: &[u8]) -> Option<(&[u8], &[u8])> {
        let start = id.iter().position(u8::is_ascii_digit)?;
        let digits = &id[start..];
        (digits.len() <= 9 && digits.iter().all(u8::is_ascii_digit)).then(|| (&id[..start], digits))
    }

    fn number(digits: &[u8]) -> usize {
        digits.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0'))
    }

    /// The index, when every id has the form (and the numbers are dense enough for a table
    /// of at most four entries per participant).
    fn build(participants: &[Participant]) -> Option<Numbered> {
        let first = participants.first()?;
        let (prefix, digits) = Numbered::split(first.id.as_bytes())?;
        let width = digits.len();
        let first_number = Numbered::number(digits);
        let (mut same_width, mut no_leading_zero, mut max) = (true, true, 0);
        let mut run = true;
        for (i, p) in participants.iter().enumerate() {
            let (pre, digits) = Numbered::split(p.id.as_bytes())?;
            if pre != prefix {
                return None;
            }
            same_width &= digits.len() == width;
            no_leading_zero &= digits[0] != b'0' || digits.len() == 1;
            let number = Numbered::number(digits);
            max = max.max(number);
            run &= number == first_number + i;
        }
        let width = match (same_width, no_leading_zero) {
            (true, _) => Some(width),
            (false, true) => None,
            (false, false) => return None,
        };
        let place = if run {
            Place::Run {
                first: first_number,
                len: participants.len(),
            }
        } else {
            if max >= participants.len().saturating_mul(4).max(1 << 16) {
                return None;
            }
            let mut of = vec![0u32; max + 1];
            for (i, p) in participants.iter().enumerate() {
                let (_, digits) = Numbered::split(p.id.as_bytes())?;
                // Accepted ids are distinct, and in this form distinct ids have distinct
                // numbers.
                of[Numbered::number(digits)] = i as u32 + 1;
            }
            Place::Table(of)
        };
        Some(Numbered {
            prefix: prefix.into(),
            width,
            place,
        })
    }

    /// The participant with this id, if any.
    #[inline]
    fn find(&self, id: &str) -> Option<u32> {
        let id = id.as_bytes();
        let rest = id.strip_prefix(&*self.prefix)?;
        let canonical = match self.width {
            Some(w) => rest.len() == w,
            None => !rest.is_empty() && (rest[0] != b'0' || rest.len() == 1),
        };
        if !canonical || rest.len() > 9 || !rest.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let number = Numbered::number(rest);
        match &self.place {
            Place::Run { first, len } => {
                let i = number.checked_sub(*first)?;
                (i < *len).then_some(i as u32)
            }
            Place::Table(of) => of.get(number)?.checked_sub(1),
        }
    }
}

impl<'a> Roster<'a> {
    /// Builds the lookup over the accepted participants and the rejected ids.
    pub fn new(
        participants: &'a [Participant],
        rejected: &'a FxHashMap<String, RejectedId>,
    ) -> Roster<'a> {
        Roster {
            participants,
            accepted: OnceLock::new(),
            rejected,
        }
    }

    /// Like [`Roster::resolve`], but first tries the participant at `*hint` and the next one:
    /// files grouped by participant in participants.csv order then need no hashing. `hint`
    /// is updated to the participant found.
    #[inline]
    pub fn resolve_near(&self, id: &str, hint: &mut u32, what: &str) -> Result<u32, String> {
        // Numbered ids need no hint: the table lookup costs less than reading the hinted
        // participant's id, a cache miss when the file is not grouped.
        if let Some(Index::Numbered(numbered)) = self.accepted.get() {
            if let Some(i) = numbered.find(id) {
                return Ok(i);
            }
            return self.resolve(id, what);
        }
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
        let index = self
            .accepted
            .get_or_init(|| match Numbered::build(self.participants) {
                Some(numbered) => Index::Numbered(numbered),
                None => Index::Hashed(
                    self.participants
                        .iter()
                        .enumerate()
                        .map(|(i, p)| (p.id.as_str(), i as u32))
                        .collect(),
                ),
            });
        let found = match index {
            Index::Numbered(numbered) => numbered.find(id),
            Index::Hashed(map) => map.get(id).copied(),
        };
        if let Some(i) = found {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn people(ids: &[&str]) -> Vec<Participant> {
        let text = format!(
            "participant_id,arm\n{}",
            ids.iter()
                .map(|i| format!("{i},control\n"))
                .collect::<String>()
        );
        let read = crate::cohort::participants::read(
            &crate::cohort::csvfile::CsvSource::new(text.as_bytes()),
            &crate::domain::protocol::Protocol::dream(),
            1,
        );
        assert_eq!(read.accepted.len(), ids.len());
        read.accepted
    }

    /// Every query gets the answer of a plain comparison with every id, whichever index is
    /// built.
    fn check(ids: &[&str], numbered: bool, queries: &[&str]) {
        let accepted = people(ids);
        assert_eq!(Numbered::build(&accepted).is_some(), numbered, "{ids:?}");
        let rejected = FxHashMap::default();
        let roster = Roster::new(&accepted, &rejected);
        for q in ids.iter().chain(queries) {
            let want = accepted.iter().position(|p| p.id == *q).map(|i| i as u32);
            assert_eq!(
                roster.resolve(q, "sessions").ok(),
                want,
                "{q:?} among {ids:?}"
            );
            let mut hint = 0;
            assert_eq!(
                roster.resolve_near(q, &mut hint, "sessions").ok(),
                want,
                "{q:?}"
            );
        }
    }

    #[test]
    fn numbered_ids_resolve_like_text() {
        let queries = [
            "P7",
            "P07",
            "P007",
            "P0000007",
            "P000007",
            "P10",
            "P010",
            "p7",
            "Q7",
            "P",
            "7",
            "",
            "P7 ",
            "P-7",
            "P1000000000",
            "P0",
            "P00",
        ];
        // Padded to one width, in any order.
        check(&["P010", "P007", "P100", "P000"], true, &queries);
        // Runs of consecutive numbers (found by a subtraction), padded, unpadded, from 0.
        check(
            &["P0000007", "P0000008", "P0000009", "P0000010"],
            true,
            &queries,
        );
        check(&["P7", "P8", "P9", "P10", "P11"], true, &queries);
        check(&["P0", "P1", "P2"], true, &queries);
        check(&["P9", "P10"], true, &queries);
        // A run with a gap, and one out of order: the table.
        check(&["P7", "P8", "P10"], true, &queries);
        check(&["P8", "P7", "P9"], true, &queries);
        let run = |ids: &[&str]| {
            let numbered = Numbered::build(&people(ids)).expect("numbered");
            matches!(numbered.place, Place::Run { .. })
        };
        assert!(run(&["P0000007", "P0000008"]) && run(&["P9", "P10", "P11"]));
        assert!(!run(&["P7", "P8", "P10"]) && !run(&["P8", "P7", "P9"]));
        // Unpadded.
        check(&["P7", "P10", "P0", "P123"], true, &queries);
        // Bare numbers.
        check(&["7", "10", "3"], true, &["07", "7", "P7", "0"]);
        // Mixed forms, mixed prefixes, letters after digits, sparse numbers: a hash map.
        check(&["P7", "P0010"], false, &queries);
        check(&["P7", "Q8"], false, &queries);
        check(&["P7a", "P8"], false, &queries);
        check(&["P7", "P999999"], false, &queries);
        check(&["alice", "bob"], false, &["alice", "carol"]);
    }
}
