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

use crate::cohort::Cohort;

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

pub use crate::derive::main_therapists;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cohort::LoadOptions;

    /// The main therapist by hand, in the cases the rule names: most sessions; a tie by the
    /// earliest day, then by the earlier row; more than two therapists (the overflow map);
    /// missed sessions and sessions after the audit date not counted; no therapist at all.
    #[test]
    fn the_main_therapist_follows_the_rule_in_every_case() {
        let dir = tempfile::tempdir().unwrap();
        let people: String = (1..=6).map(|i| format!("P{i},60x2,2012-01-02\n")).collect();
        std::fs::write(
            dir.path().join("participants.csv"),
            format!("participant_id,arm,randomized_on\n{people}"),
        )
        .unwrap();
        // Rows interleaved across participants, as a log written by date is.
        let rows = [
            "P1,2012-01-03,60,attended,T1,none",
            "P3,2012-01-03,60,attended,T1,none",
            "P4,2012-01-04,60,attended,T2,none",
            "P2,2012-01-06,60,attended,T3,none",
            "P1,2012-01-07,60,attended,T2,none",
            "P3,2012-01-04,60,attended,T2,none",
            "P4,2012-01-04,60,attended,T1,none",
            "P5,2012-01-03,60,missed,T1,none",
            "P5,2012-01-05,60,missed,T1,none",
            "P2,2012-01-03,60,attended,T1,none",
            "P3,2012-01-05,60,attended,T3,none",
            "P1,2012-01-09,60,attended,T2,none",
            "P3,2012-01-06,60,attended,T4,none",
            "P5,2012-01-07,60,attended,T2,none",
            "P3,2012-01-07,60,attended,T4,none",
            "P5,2012-03-01,60,attended,T3,none",
            "P3,2012-01-08,60,attended,T3,none",
            "P5,2012-03-02,60,attended,T3,none",
            "P3,2012-01-09,60,attended,T3,none",
            "P6,2012-01-09,60,attended,,none",
        ];
        std::fs::write(
            dir.path().join("sessions.csv"),
            format!(
                "participant_id,date,minutes,status,therapist,adverse_event\n{}\n",
                rows.join("\n")
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("scores.csv"),
            "participant_id,week,pain,ndi\n",
        )
        .unwrap();
        let cohort = Cohort::load(
            dir.path(),
            LoadOptions {
                threads: 1,
                digests: false,
            },
        )
        .unwrap();
        assert!(cohort.ledger.is_empty(), "{:?}", cohort.ledger.rejections());
        let as_of = crate::cohort::value::parse_date("2012-02-01").unwrap();
        let names: Vec<Option<&str>> = main_therapists(&cohort, as_of)
            .into_iter()
            .map(|t| t.map(|t| cohort.therapists[t].as_str()))
            .collect();
        assert_eq!(
            names,
            [
                Some("T2"), // P1: T2 twice, T1 once
                Some("T1"), // P2: one each; T1's session is the earlier day
                Some("T3"), // P3: four therapists, T3 three times
                Some("T2"), // P4: one each on the same day; T2's row comes first
                Some("T2"), // P5: T1 only missed, T3 after the audit date
                None,       // P6: no therapist named
            ]
        );
    }
}
