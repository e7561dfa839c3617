//! Which unit (site or therapist) each participant belongs to.
//!
//! By site: the participant's `site` from participants.csv. By therapist: the therapist who
//! gave most of the participant's attended sessions (any date up to the audit date); a tie
//! goes to the tied
//! therapist who gave the earliest of those sessions (by date, then by the row's order in
//! sessions.csv), that is, the one who started the care. A participant with no site, or with
//! no attended session naming a therapist, is in the unit [`NO_UNIT`] (with `*` appended
//! should a real site or therapist carry that name), which is listed but not compared.

use rustc_hash::FxHashMap;

use crate::cohort::{Cohort, Status};

/// Name of the unit of participants without a site or therapist.
pub const NO_UNIT: &str = "(none)";

/// The unit index of a participant who is not audited (control, or not started).
pub const NOT_AUDITED: usize = usize::MAX;

/// How participants are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// participants.csv `site`.
    Site,
    /// The therapist of most attended sessions.
    Therapist,
}

impl UnitKind {
    /// `site` or `therapist`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Site => "site",
            UnitKind::Therapist => "therapist",
        }
    }
}

/// Unit names (sorted, [`NO_UNIT`] last when present) and each participant's unit index.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Unit names.
    pub names: Vec<String>,
    /// Index into `names`, per participant of the cohort.
    pub of: Vec<usize>,
    /// Index of the unit of participants without a site or therapist, when there are any.
    pub none: Option<usize>,
}

/// Per participant: the main therapist's index into `cohort.therapists` (None: no attended
/// session with a therapist), counting the sessions up to day `as_of`.
#[must_use]
pub fn main_therapists(cohort: &Cohort, as_of: i32) -> Vec<Option<usize>> {
    // Per participant: (therapist, attended sessions, earliest (day, row)); most participants
    // see one or two therapists, so a short vector beats a map.
    type Seen = (usize, u32, (i32, usize));
    let mut seen: Vec<Vec<Seen>> = vec![Vec::new(); cohort.participants.len()];
    for (row, s) in cohort.sessions.iter().enumerate() {
        let (Some(t), Status::Attended, true) = (s.therapist(), s.status(), s.day() <= as_of)
        else {
            continue;
        };
        let list = &mut seen[s.participant as usize];
        match list.iter_mut().find(|e| e.0 == t) {
            Some(e) => {
                e.1 += 1;
                e.2 = e.2.min((s.day(), row));
            }
            None => list.push((t, 1, (s.day(), row))),
        }
    }
    seen.into_iter()
        .map(|list| {
            list.into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))
                .map(|e| e.0)
        })
        .collect()
}

/// Groups the participants `audited` (cohort indices) by `kind`, from the sessions up to day
/// `as_of`; only units with an audited participant exist. Other participants get
/// [`NOT_AUDITED`].
#[must_use]
pub fn assign(cohort: &Cohort, kind: UnitKind, as_of: i32, audited: &[usize]) -> Assignment {
    let mut labels: Vec<Option<&str>> = match kind {
        UnitKind::Site => cohort
            .participants
            .iter()
            .map(|p| p.site.as_deref().filter(|s| !s.is_empty()))
            .collect(),
        UnitKind::Therapist => main_therapists(cohort, as_of)
            .into_iter()
            .map(|t| t.map(|t| cohort.therapists[t].as_str()))
            .collect(),
    };
    let mut in_audit = vec![false; labels.len()];
    for &i in audited {
        in_audit[i] = true;
    }
    // Distinct names first (a million participants share a handful of sites), then sorted.
    let distinct: rustc_hash::FxHashSet<&str> = labels
        .iter()
        .zip(&in_audit)
        .filter(|(_, a)| **a)
        .filter_map(|(l, _)| *l)
        .collect();
    let mut names: Vec<String> = distinct.into_iter().map(str::to_owned).collect();
    names.sort();
    let index: FxHashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let none = names.len();
    for (l, a) in labels.iter_mut().zip(&in_audit) {
        if !*a {
            *l = Some("");
        }
    }
    let of: Vec<usize> = labels
        .iter()
        .map(|l| match l {
            Some("") => NOT_AUDITED,
            Some(l) => index[l],
            None => none,
        })
        .collect();
    let none = of.contains(&none).then(|| {
        let mut name = NO_UNIT.to_owned();
        while names.contains(&name) {
            name.push('*');
        }
        names.push(name);
        none
    });
    Assignment { names, of, none }
}
