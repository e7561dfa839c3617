//! `sessions.csv`: the session log, one row per scheduled or attended visit. This is the
//! largest file (about ten rows per participant), so rows are checked on several threads
//! into compact records, with therapists interned to numbers.

use std::num::NonZeroU32;

use rustc_hash::FxHashMap;

use super::columns::{Columns, RowProblems, cell, header_rejections, shape_problem};
use super::csvfile::{self, CsvSource};
use super::ledger::{CohortFile, Rejection};
use super::roster::Roster;
use super::value::{DateParser, Decimal};

/// The contract's columns of this file (what a `[source]` maps onto).
pub const KNOWN: [&str; 6] = [
    "participant_id",
    "date",
    "minutes",
    "status",
    "therapist",
    "adverse_event",
];
/// The columns holding numbers (a decimal comma of a clinic export is translated in these).
pub const NUMERIC: [&str; 1] = ["minutes"];
/// The columns a file must have.
pub const REQUIRED: [&str; 2] = ["participant_id", "date"];

/// The longest session the contract accepts, in minutes (both checks read it from here).
pub const MAX_MINUTES: u32 = 240;

/// What happened to a scheduled visit.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Status {
    /// The session took place.
    Attended,
    /// The participant did not come.
    Missed,
    /// The visit was cancelled.
    Cancelled,
}

/// Adverse event recorded at a session.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Ord, PartialOrd)]
pub enum AdverseEvent {
    /// None.
    None,
    /// Mild.
    Mild,
    /// Moderate.
    Moderate,
    /// Severe.
    Severe,
}

impl Status {
    /// What the full check says of any other value.
    pub const ALLOWED: &'static str =
        "status must be `attended`, `missed` or `cancelled` (empty means attended)";

    /// The contract's vocabulary (empty means attended); the one parser the fast and the full
    /// checks share.
    #[inline]
    #[must_use]
    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "" | "attended" => Some(Status::Attended),
            "missed" => Some(Status::Missed),
            "cancelled" => Some(Status::Cancelled),
            _ => None,
        }
    }
}

impl AdverseEvent {
    /// What the full check says of any other value.
    pub const ALLOWED: &'static str =
        "adverse_event must be `none`, `mild`, `moderate` or `severe` (empty means none)";

    /// The contract's vocabulary (empty means none); the one parser the fast and the full
    /// checks share.
    #[inline]
    #[must_use]
    pub fn parse(text: &str) -> Option<AdverseEvent> {
        match text {
            "" | "none" => Some(AdverseEvent::None),
            "mild" => Some(AdverseEvent::Mild),
            "moderate" => Some(AdverseEvent::Moderate),
            "severe" => Some(AdverseEvent::Severe),
            _ => None,
        }
    }
}

/// Day numbers are kept in 24 bits, offset by this: `parse_date` takes four-digit years only,
/// whose day numbers (-719,528 for 0000-01-01 to 2,932,896 for 9999-12-31) lie well inside
/// plus or minus 2^23.
const DAY_BIAS: i32 = 1 << 23;
const DAY_BITS: u32 = (1 << 24) - 1;
/// Minutes codes from here up are indices into the log's table of values with more than six
/// decimals (below it, a code is the minutes in millionths: 240 minutes is 240,000,000).
const UNUSUAL_MINUTES: u32 = 1 << 31;

/// An accepted session row, kept compact (16 bytes): a million-participant cohort has about
/// ten million of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// Index of the participant in the cohort.
    pub participant: u32,
    /// Day number (24 bits), status (2 bits) and adverse event (2 bits).
    packed: u32,
    /// Minutes in millionths, or `UNUSUAL_MINUTES + i` for the log's `i`th unusual value.
    minutes: u32,
    therapist: Option<NonZeroU32>,
}

impl Session {
    fn new(
        participant: u32,
        day: i32,
        status: Status,
        adverse_event: AdverseEvent,
        minutes: u32,
        therapist: Option<NonZeroU32>,
    ) -> Session {
        debug_assert!((-DAY_BIAS..DAY_BIAS).contains(&day));
        let packed = ((day + DAY_BIAS) as u32 & DAY_BITS)
            | (status as u32) << 24
            | (adverse_event as u32) << 26;
        Session {
            participant,
            packed,
            minutes,
            therapist,
        }
    }
    /// Day number of the visit.
    #[inline]
    pub fn day(&self) -> i32 {
        (self.packed & DAY_BITS) as i32 - DAY_BIAS
    }
    /// Status.
    #[inline]
    pub fn status(&self) -> Status {
        match (self.packed >> 24) & 3 {
            0 => Status::Attended,
            1 => Status::Missed,
            _ => Status::Cancelled,
        }
    }
    /// Adverse event.
    #[inline]
    pub fn adverse_event(&self) -> AdverseEvent {
        match (self.packed >> 26) & 3 {
            0 => AdverseEvent::None,
            1 => AdverseEvent::Mild,
            2 => AdverseEvent::Moderate,
            _ => AdverseEvent::Severe,
        }
    }
    /// Minutes in millionths, when the value has at most six decimals (nearly always).
    #[inline]
    pub fn minutes_in_millionths(&self) -> Option<u32> {
        (self.minutes < UNUSUAL_MINUTES).then_some(self.minutes)
    }
    /// Index into the cohort's therapist names, when a therapist is given.
    pub fn therapist(&self) -> Option<usize> {
        self.therapist.map(|t| t.get() as usize - 1)
    }
}

/// A running total of minutes: whole millionths in an integer, the rare values with more
/// decimals exactly beside it.
#[derive(Clone, Debug, Default)]
pub struct MinutesTotal {
    millionths: u64,
    /// The values with more decimals, exactly, in units of 10^-18 (every decimal has at most
    /// 18 places; an i128 holds more sessions of 240 minutes than can exist). Boxed: almost
    /// no total has one, and the total stays 16 bytes (derive keeps one per participant).
    unusual: Option<Box<i128>>,
}

impl MinutesTotal {
    /// Adds one session's minutes.
    #[inline]
    pub fn add(&mut self, s: &Session, log: &SessionLog) {
        match s.minutes_in_millionths() {
            Some(m) => self.millionths += u64::from(m),
            None => **self.unusual.get_or_insert_with(Box::default) += log.minutes(s).to_attos(),
        }
    }
    /// Adds another total.
    pub fn merge(&mut self, other: &MinutesTotal) {
        self.millionths += other.millionths;
        if let Some(u) = &other.unusual {
            **self.unusual.get_or_insert_with(Box::default) += **u;
        }
    }
    /// The total: exact whenever it fits in a decimal (18 significant digits), else rounded
    /// to as many decimals as fit (only sums of values with about 16 or more decimals come
    /// near that). The same whatever the order of the sessions.
    pub fn total(&self) -> Decimal {
        let unusual = self.unusual.as_deref().copied().unwrap_or(0);
        if unusual == 0
            && let Some(d) = Decimal::from_millionths(self.millionths)
        {
            return d;
        }
        Decimal::from_attos(i128::from(self.millionths) * 1_000_000_000_000 + unusual)
    }
}

fn therapist_number(index: usize) -> Option<NonZeroU32> {
    u32::try_from(index + 1).ok().and_then(NonZeroU32::new)
}

/// Accepted session rows in file order, kept in the blocks they were checked in (a single
/// vector would cost a copy of every row).
#[derive(Debug, Default, Clone)]
pub struct SessionLog {
    blocks: Vec<Vec<Session>>,
    /// Minutes with more than six decimals, in order of first appearance.
    unusual_minutes: Vec<Decimal>,
}

impl SessionLog {
    /// A session's minutes, exact (0 when the cell was empty on a missed or cancelled row).
    pub fn minutes(&self, s: &Session) -> Decimal {
        match s.minutes_in_millionths() {
            Some(m) => Decimal::from_millionths(u64::from(m)).unwrap_or(Decimal::ZERO),
            None => self.unusual_minutes[(s.minutes - UNUSUAL_MINUTES) as usize],
        }
    }
    /// Every session, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Session> + '_ {
        self.blocks.iter().flatten()
    }
    /// The blocks, in file order (for work split across threads).
    pub fn blocks(&self) -> &[Vec<Session>] {
        &self.blocks
    }
    /// Number of sessions.
    pub fn len(&self) -> usize {
        self.blocks.iter().map(Vec::len).sum()
    }
    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> IntoIterator for &'a SessionLog {
    type Item = &'a Session;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<Session>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.blocks.iter().flatten()
    }
}

/// The outcome of reading sessions.csv.
#[derive(Debug, Default)]
pub struct SessionsRead {
    /// Accepted rows in file order.
    pub accepted: SessionLog,
    /// Therapist names in order of first appearance.
    pub therapists: Vec<String>,
    /// Rejections.
    pub rejections: Vec<Rejection>,
    /// Data rows read.
    pub rows: u64,
    /// Data rows rejected.
    pub rejected: u64,
    /// Unknown columns.
    pub ignored_columns: Vec<String>,
    /// Line of the header; records there are about the file, not a row.
    pub header_line: u64,
}

#[derive(Default)]
struct Chunk {
    rows: u64,
    rejected: u64,
    accepted: Vec<Session>,
    rejections: Vec<Rejection>,
    therapist_ids: FxHashMap<String, u32>,
    therapists: Vec<String>,
    unusual_ids: FxHashMap<Decimal, u32>,
    unusual: Vec<Decimal>,
    last_id: String,
    last_resolved: Option<Result<u32, String>>,
    hint: u32,
    last_therapist: (String, Option<NonZeroU32>),
    short_therapists: ShortNames,
    problems: RowProblems,
    dates: DateParser,
}

/// The numbers of recently seen therapist names of at most 7 bytes (nearly every clinic's:
/// `T01`, `anna`), in a 64-slot table indexed by a hash of the name's bytes. A log written by
/// date changes therapist on nearly every row; a slot answers it without comparing any text
/// (the key holds the whole name and its length, so equal keys are equal names).
#[derive(Default)]
struct ShortNames {
    /// `(key, number)`; key 0 is an empty slot (a name's key has its length in the top byte).
    slots: Vec<(u64, u32)>,
}

impl ShortNames {
    const SLOTS: usize = 64;

    /// The key of a name of 1 to 7 bytes.
    #[inline]
    fn key(name: &str) -> Option<u64> {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() > 7 {
            return None;
        }
        let mut packed = [0u8; 8];
        packed[..bytes.len()].copy_from_slice(bytes);
        packed[7] = bytes.len() as u8;
        Some(u64::from_le_bytes(packed))
    }

    #[inline]
    fn slot(key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize
    }

    /// The number remembered for `key`.
    #[inline]
    fn get(&self, key: u64) -> Option<NonZeroU32> {
        let &(k, number) = self.slots.get(Self::slot(key))?;
        if k == key {
            NonZeroU32::new(number)
        } else {
            None
        }
    }

    /// Remembers `number` for `key` (replacing whatever shared its slot).
    fn put(&mut self, key: u64, number: NonZeroU32) {
        if self.slots.is_empty() {
            self.slots.resize(Self::SLOTS, (0, 0));
        }
        self.slots[Self::slot(key)] = (key, number.get());
    }
}

impl Chunk {
    /// The roster's answer for `id`, looked up once per run of one participant's rows.
    #[inline]
    fn participant(&mut self, id: &str, roster: &Roster<'_>) -> &Result<u32, String> {
        if !csvfile::same_text(id, &self.last_id) || self.last_resolved.is_none() {
            self.last_id.clear();
            self.last_id.push_str(id);
            self.last_resolved = Some(roster.resolve_near(id, &mut self.hint, "sessions"));
        }
        self.last_resolved.get_or_insert_with(|| Err(String::new()))
    }

    /// The chunk's number for a therapist's name (`None` for an empty cell), in order of
    /// first appearance.
    #[inline]
    fn therapist(&mut self, text: &str) -> Option<NonZeroU32> {
        if text.is_empty() {
            return None;
        }
        if csvfile::same_text(&self.last_therapist.0, text) {
            return self.last_therapist.1;
        }
        let short = ShortNames::key(text);
        if let Some(number) = short.and_then(|k| self.short_therapists.get(k)) {
            return Some(number);
        }
        // A clinic has few therapists: comparing a few short names beats hashing one (a log
        // written by date changes therapist on nearly every row).
        let few = self.therapists.len() <= 32;
        let found = if few {
            self.therapists
                .iter()
                .position(|t| csvfile::same_text(t, text))
                .map(|t| t as u32)
        } else {
            self.therapist_ids.get(text).copied()
        };
        let number = match found {
            Some(t) => therapist_number(t as usize),
            None => {
                let t = self.therapists.len();
                self.therapists.push(text.to_owned());
                self.therapist_ids.insert(text.to_owned(), t as u32);
                therapist_number(t)
            }
        };
        if let (Some(key), Some(number)) = (short, number) {
            self.short_therapists.put(key, number);
        }
        self.last_therapist.0.clear();
        self.last_therapist.0.push_str(text);
        self.last_therapist.1 = number;
        number
    }

    /// Keeps an accepted row (its therapist numbered only now, so rejected rows never
    /// number one).
    #[inline]
    fn accept(
        &mut self,
        participant: u32,
        day: i32,
        status: Status,
        adverse_event: AdverseEvent,
        minutes: u32,
        therapist: &str,
    ) {
        let therapist = self.therapist(therapist);
        self.accepted.push(Session::new(
            participant,
            day,
            status,
            adverse_event,
            minutes,
            therapist,
        ));
    }

    /// The compact code of an accepted row's minutes.
    #[inline]
    fn minutes_code(&mut self, minutes: Decimal) -> u32 {
        match minutes.to_millionths() {
            Some(m) if m < UNUSUAL_MINUTES => m,
            _ => {
                let next = self.unusual.len() as u32;
                let i = *self.unusual_ids.entry(minutes).or_insert_with(|| {
                    self.unusual.push(minutes);
                    next
                });
                // A chunk has fewer rows than 2^31, so the code stays in range.
                UNUSUAL_MINUTES + i
            }
        }
    }

    /// Takes a row (its six cells in the contract's order, as read: untrimmed) when every
    /// cell is in its usual form: an id the roster knows, a valid date, whole minutes 1-240
    /// or a decimal in range, a known status and adverse event, and no spaces to trim.
    /// Anything else returns `None` untouched, and the row goes through the full checks,
    /// which also word its problems; so a row taken here is accepted exactly as they would
    /// accept it.
    #[inline]
    fn take(
        &mut self,
        [id, date, minutes, status, therapist, event]: [&str; 6],
        rows_hint: usize,
        roster: &Roster<'_>,
    ) -> Option<()> {
        let clean = csvfile::untrimmed;
        if !(clean(id)
            && clean(date)
            && clean(minutes)
            && clean(status)
            && clean(therapist)
            && clean(event))
        {
            return None;
        }
        let status = Status::parse(status)?;
        let adverse_event = AdverseEvent::parse(event)?;
        // Whole minutes 1-240 (nearly every row) in millionths; any other form parsed in full.
        let whole = match *minutes.as_bytes() {
            [d @ b'1'..=b'9'] => Some(u32::from(d - b'0')),
            [a @ b'1'..=b'9', b @ b'0'..=b'9'] => {
                Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
            }
            [a @ b'1'..=b'2', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
                Some(u32::from(a - b'0') * 100 + u32::from(b - b'0') * 10 + u32::from(c - b'0'))
            }
            _ => None,
        };
        let minutes = match whole {
            Some(v) if v <= MAX_MINUTES => Ok(v * 1_000_000),
            Some(_) => return None,
            None => match Decimal::parse(minutes) {
                Ok(m) if m.is_positive() && m <= Decimal::from_int(i64::from(MAX_MINUTES)) => {
                    Err(m)
                }
                _ => return None,
            },
        };
        let day = self.dates.parse(date).ok()?;
        let participant = *self.participant(id, roster).as_ref().ok()?;
        csvfile::count_row(&mut self.rows, &mut self.accepted, rows_hint);
        let minutes = minutes.unwrap_or_else(|exact| self.minutes_code(exact));
        self.accept(participant, day, status, adverse_event, minutes, therapist);
        Some(())
    }
}

/// Reads and checks every row.
pub fn read(source: &CsvSource<'_>, roster: &Roster<'_>, threads: usize) -> SessionsRead {
    read_with(source, roster, threads, true)
}

/// `read`, with the fast path for plain lines on or off (the tests compare the two).
fn read_with(
    source: &CsvSource<'_>,
    roster: &Roster<'_>,
    threads: usize,
    fast_path: bool,
) -> SessionsRead {
    let cols = Columns::of(source, CohortFile::Sessions, &KNOWN, &REQUIRED);
    let max_minutes = Decimal::from_int(i64::from(MAX_MINUTES));
    // The fast path reads files with the six columns in any order: plain lines straight
    // from the bytes, other records (quoted cells, CRLF) once tokenized.
    let order = cols.order::<6>().filter(|_| fast_path);
    let fast = order.map(|order| {
        move |st: &mut Chunk, line: &csvfile::Line<'_>| {
            let (fields, consumed) = line.fields_in(&order)?;
            st.take(fields, line.rows_hint, roster)?;
            Some(consumed)
        }
    });
    // Several chunks per thread: the largest file, whose blocks are kept as read (never
    // copied together), so finer chunks cost nothing but even out the threads' finishing.
    let chunks = csvfile::process_lines(
        source,
        csvfile::Split {
            threads,
            chunks_per_thread: 4,
        },
        Chunk::default,
        fast,
        |st: &mut Chunk, rec| {
            if let Some(fields) = order.and_then(|o| rec.fields_in(&o))
                && st.take(fields, rec.rows_hint(), roster).is_some()
            {
                return;
            }
            csvfile::count_row(&mut st.rows, &mut st.accepted, rec.rows_hint());
            let mut problems = std::mem::take(&mut st.problems);
            if let Some(reason) = shape_problem(rec, &cols) {
                let column = cols.fatal.as_ref().map(|f| f.0.as_str()).unwrap_or("");
                problems.add(column, "", reason);
                problems.drain_into(CohortFile::Sessions, rec.line(), &mut st.rejections);
                st.rejected += 1;
                st.problems = problems;
                return;
            }
            let c = |k: usize, p: &mut RowProblems| cell(rec, &cols, k, KNOWN[k], p);
            let id = c(0, &mut problems);
            let participant = match st.participant(id, roster) {
                Ok(p) => Some(*p),
                Err(reason) => {
                    problems.add("participant_id", id, reason.clone());
                    None
                }
            };
            let date_text = c(1, &mut problems);
            let day = if date_text.is_empty() {
                problems.add("date", "", "date is required (YYYY-MM-DD)");
                None
            } else {
                match st.dates.parse(date_text) {
                    Ok(d) => Some(d),
                    Err(why) => {
                        problems.add("date", date_text, format!("date {why} (e.g. 2012-03-31)"));
                        None
                    }
                }
            };
            let status_text = c(3, &mut problems);
            let status = Status::parse(status_text).unwrap_or_else(|| {
                problems.add("status", status_text, Status::ALLOWED);
                Status::Attended
            });
            let minutes_text = c(2, &mut problems);
            let minutes = if minutes_text.is_empty() {
                if Status::parse(status_text) == Some(Status::Attended) {
                    problems.add("minutes", "", "minutes is required when status is attended (a number above 0 and at most 240)");
                }
                None
            } else {
                match Decimal::parse(minutes_text) {
                    Ok(m) if m.is_positive() && m <= max_minutes => Some(m),
                    Ok(_) => {
                        problems.add(
                            "minutes",
                            minutes_text,
                            "minutes is outside the allowed range: above 0 and at most 240",
                        );
                        None
                    }
                    Err(why) => {
                        problems.add(
                            "minutes",
                            minutes_text,
                            format!("minutes {why}; allowed a number above 0 and at most 240"),
                        );
                        None
                    }
                }
            };
            let therapist_text = c(4, &mut problems);
            let ae_text = c(5, &mut problems);
            let adverse_event = AdverseEvent::parse(ae_text).unwrap_or_else(|| {
                problems.add("adverse_event", ae_text, AdverseEvent::ALLOWED);
                AdverseEvent::None
            });
            match (participant, day, problems.is_empty()) {
                (Some(participant), Some(day), true) => {
                    let minutes = st.minutes_code(minutes.unwrap_or(Decimal::ZERO));
                    st.accept(
                        participant,
                        day,
                        status,
                        adverse_event,
                        minutes,
                        therapist_text,
                    );
                }
                _ => {
                    problems.drain_into(CohortFile::Sessions, rec.line(), &mut st.rejections);
                    st.rejected += 1;
                }
            }
            st.problems = problems;
        },
    );

    // Merge: therapist numbers become global, in order of first appearance in the file
    // (the same whatever the number of chunks).
    let mut out = SessionsRead {
        ignored_columns: cols.ignored.clone(),
        rejections: header_rejections(CohortFile::Sessions, source, &cols),
        header_line: source.header_line(),
        ..Default::default()
    };
    let mut global: FxHashMap<String, u32> = FxHashMap::default();
    let mut unusual_global: FxHashMap<Decimal, u32> = FxHashMap::default();
    // Blocks whose numbering differs from the global one, with their new numbers.
    let mut renumber = Vec::new();
    for ch in chunks {
        out.rows += ch.rows;
        out.rejected += ch.rejected;
        let remap: Vec<Option<NonZeroU32>> = ch
            .therapists
            .into_iter()
            .map(|name| {
                let next = out.therapists.len() as u32;
                let g = *global.entry(name.clone()).or_insert_with(|| {
                    out.therapists.push(name);
                    next
                });
                therapist_number(g as usize)
            })
            .collect();
        let minutes_remap: Vec<u32> = ch
            .unusual
            .into_iter()
            .map(|m| {
                let next = out.accepted.unusual_minutes.len() as u32;
                let g = *unusual_global.entry(m).or_insert_with(|| {
                    out.accepted.unusual_minutes.push(m);
                    next
                });
                UNUSUAL_MINUTES + g
            })
            .collect();
        let therapists_differ = remap
            .iter()
            .enumerate()
            .any(|(i, t)| *t != therapist_number(i));
        let minutes_differ = minutes_remap
            .iter()
            .enumerate()
            .any(|(i, &m)| m != UNUSUAL_MINUTES + i as u32);
        if therapists_differ || minutes_differ {
            renumber.push((out.accepted.blocks.len(), remap, minutes_remap));
        }
        out.accepted.blocks.push(ch.accepted);
        out.rejections.extend(ch.rejections);
    }
    // Renumber in place, only the blocks that need it, on the reading threads.
    let renumber_block =
        |block: &mut Vec<Session>, (remap, minutes_remap): (Vec<Option<NonZeroU32>>, Vec<u32>)| {
            for s in block {
                s.therapist = s.therapist.and_then(|t| remap[t.get() as usize - 1]);
                if s.minutes >= UNUSUAL_MINUTES {
                    s.minutes = minutes_remap[(s.minutes - UNUSUAL_MINUTES) as usize];
                }
            }
        };
    let mut jobs: Vec<_> = Vec::with_capacity(renumber.len());
    let mut renumber = renumber.into_iter().peekable();
    for (k, block) in out.accepted.blocks.iter_mut().enumerate() {
        if let Some((_, remap, minutes_remap)) = renumber.next_if(|r| r.0 == k) {
            jobs.push((block, (remap, minutes_remap)));
        }
    }
    if threads <= 1 || jobs.len() <= 1 {
        for (block, maps) in jobs {
            renumber_block(block, maps);
        }
    } else {
        let per = jobs.len().div_ceil(threads);
        let mut jobs = jobs.into_iter();
        std::thread::scope(|scope| {
            let mut tasks = Vec::new();
            loop {
                let share: Vec<_> = jobs.by_ref().take(per).collect();
                if share.is_empty() {
                    break;
                }
                let f = &renumber_block;
                tasks.push(crate::parallel::spawn(scope, move || {
                    for (block, maps) in share {
                        f(block, maps);
                    }
                }));
            }
            crate::parallel::join_all(tasks);
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short therapist names: one key per name (bytes and length), none for names that do not
    /// fit, and a slot shared by two names answers only the one put last.
    #[test]
    fn short_names_are_keyed_exactly() {
        let names = ["T1", "T1\0", "T10", "t1", "anna", "1234567", "é"];
        let keys: Vec<u64> = names.iter().map(|n| ShortNames::key(n).unwrap()).collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(ShortNames::key(""), None);
        assert_eq!(ShortNames::key("12345678"), None);
        let mut short = ShortNames::default();
        assert_eq!(short.get(keys[0]), None);
        let one = NonZeroU32::new(1).unwrap();
        let two = NonZeroU32::new(2).unwrap();
        short.put(keys[0], one);
        assert_eq!(short.get(keys[0]), Some(one));
        assert_eq!(short.get(keys[1]), None);
        // Two keys of one slot: the later replaces the earlier.
        let slot = ShortNames::slot(keys[0]);
        let other = (1u64..)
            .map(|k| k << 56 | 7)
            .find(|&k| ShortNames::slot(k) == slot && k != keys[0])
            .unwrap();
        short.put(other, two);
        assert_eq!(short.get(other), Some(two));
        assert_eq!(short.get(keys[0]), None);
    }

    /// Reads `sessions` (after the contract's header) against participants P1-P4 (P4 in a
    /// conflicting duplicate, so rejected), with the fast path on or off.
    fn read_both(body: &str, threads: usize) -> (SessionsRead, SessionsRead) {
        let text = format!("participant_id,date,minutes,status,therapist,adverse_event\n{body}");
        read_text(&text, threads)
    }

    /// [`read_both`] of a whole file, header included.
    fn read_text(text: &str, threads: usize) -> (SessionsRead, SessionsRead) {
        let people = "participant_id,arm\nP1,60x2\nP2,control\nP3,30x1\nP4,60x2\nP4,30x1\n";
        let protocol = crate::domain::protocol::Protocol::dream();
        let people =
            crate::cohort::participants::read(&CsvSource::new(people.as_bytes()), &protocol, 1);
        let roster = Roster::new(&people.accepted, &people.rejected_ids);
        let source = CsvSource::new(text.as_bytes());
        (
            read_with(&source, &roster, threads, true),
            read_with(&source, &roster, threads, false),
        )
    }

    fn assert_same(fast: &SessionsRead, full: &SessionsRead) {
        let minutes = |r: &SessionsRead| -> Vec<Decimal> {
            r.accepted.iter().map(|s| r.accepted.minutes(s)).collect()
        };
        let sessions: Vec<&Session> = fast.accepted.iter().collect();
        assert_eq!(sessions, full.accepted.iter().collect::<Vec<_>>());
        assert_eq!(minutes(fast), minutes(full));
        assert_eq!(fast.therapists, full.therapists);
        assert_eq!(fast.rejections, full.rejections);
        assert_eq!((fast.rows, fast.rejected), (full.rows, full.rejected));
    }

    #[test]
    fn the_fast_path_accepts_and_rejects_exactly_like_the_full_checks() {
        // Usual and unusual forms of every cell, combined pseudo-randomly into 60,000 rows
        // (about 2.7 MB, read as one chunk and as two), plus rows with too few or too many
        // fields and blank lines.
        let ids = ["P1", "P2", "P3", "P4", "P9", "", " P1", "P1 ", "p1", "P1\t"];
        let dates = [
            "2013-01-07",
            "2013-01-31",
            "2013-02-01",
            "2012-02-29",
            "2013-02-29",
            "2013-02-30",
            "2013-13-01",
            "2013-1-07",
            "",
            " 2013-01-07",
            "07/01/2013",
            "2013-01-0x",
        ];
        let minutes = [
            "60",
            "30",
            "1",
            "9",
            "10",
            "99",
            "100",
            "199",
            "200",
            "240",
            "241",
            "250",
            "300",
            "999",
            "0",
            "00",
            "060",
            "-5",
            "+60",
            "60.0",
            "30.5",
            "30.1234567",
            "240.0000001",
            "0.0000001",
            "",
            " 60",
            "60 ",
            "1e2",
            "six",
            "2400",
        ];
        let statuses = [
            "",
            "attended",
            "missed",
            "cancelled",
            "Attended",
            " missed",
            "done",
        ];
        let therapists = ["", "T1", "T2", "T10", " T1", "T1 ", "Dr. Ålund", "t1"];
        let events = [
            "", "none", "mild", "moderate", "severe", "bad", "None", " mild",
        ];
        let mut body = String::new();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut pick = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Usual values most of the time, so long runs of taken lines occur too.
            let r = (state >> 11) as usize;
            if r.is_multiple_of(3) {
                r / 3 % n
            } else {
                r / 3 % n.min(4)
            }
        };
        for row in 0..60_000 {
            match row % 997 {
                0 => body.push_str("P1,2013-01-07,60,attended,T1\n"),
                1 => body.push_str("P1,2013-01-07,60,attended,T1,none,extra\n"),
                2 => body.push('\n'),
                _ => {
                    let fields = [
                        ids[pick(ids.len())],
                        dates[pick(dates.len())],
                        minutes[pick(minutes.len())],
                        statuses[pick(statuses.len())],
                        therapists[pick(therapists.len())],
                        events[pick(events.len())],
                    ];
                    body.push_str(&fields.join(","));
                    body.push('\n');
                }
            }
        }
        for threads in [1, 2] {
            let (fast, full) = read_both(&body, threads);
            assert!(fast.accepted.len() > 5_000 && fast.rejected > 5_000);
            assert_same(&fast, &full);
        }
        // The same rows with the columns reversed, quoted as a spreadsheet saves them (CRLF,
        // a byte-order mark), or both: the fast path takes them too, and every layout gives
        // the rows, rejections and line numbers of the contract's layout.
        let (want, _) = read_both(&body, 1);
        for (reverse, excel) in [(true, false), (false, true), (true, true)] {
            let header = "participant_id,date,minutes,status,therapist,adverse_event\n";
            let text = csvfile::relayout(&format!("{header}{body}"), reverse, excel);
            for threads in [1, 2] {
                let (fast, full) = read_text(&text, threads);
                assert_same(&fast, &full);
                assert_same(&fast, &want);
            }
        }
        // No final newline, and a file with quotes (no fast path at all) still agree.
        for body in [
            "P1,2013-01-07,60,attended,T1,none",
            "\"P1\",2013-01-07,60,,T1,\nP2,2013-01-08,30,,,\n",
        ] {
            let (fast, full) = read_both(body, 1);
            assert_eq!(fast.accepted.len(), body.lines().count());
            assert_same(&fast, &full);
        }
    }

    #[test]
    fn packed_fields_read_back() {
        let statuses = [Status::Attended, Status::Missed, Status::Cancelled];
        let events = [
            AdverseEvent::None,
            AdverseEvent::Mild,
            AdverseEvent::Moderate,
            AdverseEvent::Severe,
        ];
        let first = crate::cohort::value::parse_date("0000-01-01").unwrap();
        let last = crate::cohort::value::parse_date("9999-12-31").unwrap();
        for day in [first, first + 1, -1, 0, 1, 15_000, last - 1, last] {
            for status in statuses {
                for event in events {
                    let s = Session::new(7, day, status, event, 240_000_000, therapist_number(3));
                    assert_eq!(
                        (s.day(), s.status(), s.adverse_event(), s.therapist()),
                        (day, status, event, Some(3))
                    );
                    assert_eq!(s.minutes_in_millionths(), Some(240_000_000));
                }
            }
        }
        assert_eq!(std::mem::size_of::<Session>(), 16);
    }

    #[test]
    fn minutes_totals_are_exact() {
        let d = |t: &str| Decimal::parse(t).unwrap();
        let log = SessionLog {
            blocks: Vec::new(),
            unusual_minutes: vec![d("0.1234567"), d("239.9999999")],
        };
        let session =
            |minutes| Session::new(0, 0, Status::Attended, AdverseEvent::None, minutes, None);
        let mut total = MinutesTotal::default();
        for text in ["30", "45.5", "0.000001", "240"] {
            let m = d(text).to_millionths().unwrap();
            total.add(&session(m), &log);
            assert_eq!(log.minutes(&session(m)), d(text));
        }
        total.add(&session(UNUSUAL_MINUTES), &log);
        total.add(&session(UNUSUAL_MINUTES + 1), &log);
        assert_eq!(log.minutes(&session(UNUSUAL_MINUTES + 1)), d("239.9999999"));
        let mut other = MinutesTotal::default();
        other.add(&session(UNUSUAL_MINUTES), &log);
        total.merge(&other);
        // 30 + 45.5 + 0.000001 + 240 + 0.1234567 + 239.9999999 + 0.1234567
        assert_eq!(total.total(), d("555.7469143"));
        assert_eq!(d("30.1234567").to_millionths(), None);
        assert_eq!(d("-1").to_millionths(), None);
        assert_eq!(d("0").to_millionths(), Some(0));

        // Sixteen hours and a value with 16 decimals: 960.1234567890123456 needs 19
        // significant digits, so the total is rounded to the 15 decimals that fit, never
        // cut down to its small part; and it is the same in any order.
        let log = SessionLog {
            blocks: Vec::new(),
            unusual_minutes: vec![d("0.1234567890123456")],
        };
        let sixty = session(d("60").to_millionths().unwrap());
        let odd = session(UNUSUAL_MINUTES);
        let mut first = MinutesTotal::default();
        first.add(&odd, &log);
        let mut last = MinutesTotal::default();
        for _ in 0..16 {
            first.add(&sixty, &log);
            last.add(&sixty, &log);
        }
        last.add(&odd, &log);
        assert_eq!(first.total(), d("960.123456789012346"));
        assert_eq!(last.total(), first.total());
    }
}
