//! The report as data: every count the page and its charts print, with `--min-cell`
//! suppression already applied ([`super::disclosure`]), so the HTML page and each chart draw
//! from the same cells and cannot disagree about what is hidden.
//!
//! Which counts are tied by sums (what complementary suppression protects):
//! * the participants randomized (`participants.csv` accepted rows) are the sum of the arms;
//!   with the file's rows, rejected rows and ignored duplicates, they are its row count;
//! * in each arm: women and the rest; pain responders and the rest; NDI responders and the
//!   rest; the four checkpoint decisions (treatment arms); participants with an adverse event
//!   and the rest, and those with an event by their worst one (mild, moderate, severe); the
//!   adherent and the others; those without a pain score and those with both (CONSORT).
//!
//! Figures computed from counts (rates, intervals, effects, p-values, the trend test, the
//! fitted dose-response curve) are kept only when each count they use is known.

use crate::analysis::baseline::{BaselineArm, baseline_table};
use crate::analysis::{Analysis, ArmSummary, Comparison};
use crate::cohort::{AdverseEvent, Cohort, CohortFile};
use crate::derive::{Decision, Derived, EVIDENCE_AGE_MAX, EVIDENCE_AGE_MIN, Flags};
pub use crate::domain::Outcome;

use super::disclosure::{CellId, Disclosed, Disclosure};

pub use super::disclosure::SUPPRESSED;

/// The checkpoint decisions the report tabulates, in column order.
pub const DECISIONS: [(Decision, &str); 4] = [
    (Decision::Continue, "continue"),
    (Decision::Adjust, "adjust"),
    (Decision::IncompleteDose, "incomplete dose"),
    (Decision::NoCheckpoint, "no checkpoint"),
];

/// The counts of one arm (protocol order).
#[derive(Debug, Clone)]
pub struct ArmCells {
    /// Arm id.
    pub id: String,
    /// Control arm?
    pub control: bool,
    /// Participants randomized.
    pub n: CellId,
    /// Women.
    pub female: CellId,
    /// Responders per outcome (pain, NDI), and their denominator.
    pub responders: [(CellId, CellId); 2],
    /// Checkpoint decisions ([`DECISIONS`] order; treatment arms only).
    pub decisions: Option<[CellId; 4]>,
    /// Participants with an adverse event.
    pub adverse: CellId,
    /// By their worst event: mild, moderate, severe.
    pub worst: [CellId; 3],
    /// Adherent and not (treatment arms only).
    pub adherent: Option<(CellId, CellId)>,
    /// Without a pain score at baseline or the checkpoint, and with both.
    pub lost: (CellId, CellId),
    /// Table 1's row of the arm (age, women, pain and NDI at baseline).
    pub baseline: BaselineArm,
}

/// The report's counts after suppression.
#[derive(Debug, Clone)]
pub struct ReportModel {
    cells: Disclosure,
    /// Participants randomized in all.
    pub total: CellId,
    /// Per arm.
    pub arms: Vec<ArmCells>,
    /// `participants.csv`: rows, rejected, ignored duplicates (accepted is [`Self::total`]).
    pub participant_rows: Option<(CellId, CellId, CellId)>,
    /// Participants aged outside the evidence.
    pub age_outside: CellId,
    /// Participants without a pain score at the checkpoint.
    pub no_checkpoint: CellId,
}

/// Per-arm tallies before they become cells.
#[derive(Default, Clone)]
struct Tally {
    n: u64,
    decisions: [u64; 4],
    adverse: u64,
    worst: [u64; 3],
    adherent: u64,
    lost: u64,
}

impl ReportModel {
    /// Counts the report's cells and applies suppression with threshold `min_cell`.
    #[must_use]
    pub fn new(
        cohort: &Cohort,
        derived: &[Derived],
        analysis: &Analysis,
        min_cell: u64,
    ) -> ReportModel {
        let arms = cohort.protocol.arms();
        let mut t = vec![Tally::default(); arms.len()];
        // Each participant's worst adverse event over their accepted session rows.
        let mut worst = vec![0u8; cohort.participants.len()];
        for session in cohort.sessions.iter() {
            let level = match session.adverse_event() {
                AdverseEvent::None => 0,
                AdverseEvent::Mild => 1,
                AdverseEvent::Moderate => 2,
                AdverseEvent::Severe => 3,
            };
            if let Some(w) = worst.get_mut(session.participant as usize) {
                *w = (*w).max(level);
            }
        }
        let (mut age_outside, mut no_checkpoint) = (0u64, 0u64);
        for ((p, d), &w) in cohort.participants.iter().zip(derived).zip(&worst) {
            let a = &mut t[p.arm];
            a.n += 1;
            if let Some(age) = p.age {
                age_outside += u64::from(!(EVIDENCE_AGE_MIN..=EVIDENCE_AGE_MAX).contains(&age));
            }
            if let Some(k) = DECISIONS.iter().position(|(dec, _)| *dec == d.decision) {
                a.decisions[k] += 1;
            }
            a.adverse += u64::from(d.flags.contains(Flags::ADVERSE_EVENT));
            if w > 0 {
                a.worst[usize::from(w - 1)] += 1;
            }
            a.adherent += u64::from(d.adherent == Some(true));
            if d.pain.baseline.is_none() || d.pain.checkpoint.is_none() {
                a.lost += 1;
            }
            no_checkpoint += u64::from(d.pain.checkpoint.is_none());
        }

        let mut c = Disclosure::new(min_cell);
        let total = c.count(t.iter().map(|a| a.n).sum());
        let participant_rows = cohort
            .files
            .iter()
            .find(|f| f.file == CohortFile::Participants)
            .filter(|f| f.counts.accepted == cohort.participants.len() as u64)
            .map(|f| {
                let rows = c.exempt(f.counts.rows);
                let rejected = c.exempt(f.counts.rejected);
                let dups = c.exempt(f.counts.ignored_duplicates);
                if f.counts.rows
                    == f.counts.accepted + f.counts.rejected + f.counts.ignored_duplicates
                {
                    c.sum(rows, &[total, rejected, dups]);
                }
                (rows, rejected, dups)
            });
        let mut cells = Vec::with_capacity(arms.len());
        let table_one = baseline_table(cohort, derived);
        for (i, ((arm, a), baseline)) in arms.iter().zip(&t).zip(table_one).enumerate() {
            let n = c.count(a.n);
            let female = c.count(baseline.female);
            let _ = c.rest(n, &[female]);
            let summary: Option<&ArmSummary> = analysis.arms.get(i).filter(|s| s.arm == arm.id());
            let responders = [Outcome::Pain, Outcome::Ndi].map(|o| {
                let r = summary.map(|s| if o == Outcome::Pain { s.pain } else { s.ndi });
                let (x, d) = r.map_or((0, a.n), |r| (r.responders, r.n));
                // The report analyses everyone randomized (ITT): the denominator is the arm.
                let denominator = if d == a.n {
                    n
                } else {
                    let d = c.count(d);
                    let _ = c.rest(n, &[d]);
                    d
                };
                let x = c.count(x);
                let _ = c.rest(denominator, &[x]);
                (x, denominator)
            });
            let decisions = (!arm.is_control()).then(|| {
                let d = a.decisions.map(|v| c.count(v));
                // Every treated participant has one of the four decisions: an exact partition
                // (a rest would count as unknown, though everybody knows it is zero).
                if a.decisions.iter().sum::<u64>() == a.n {
                    c.sum(n, &d);
                } else {
                    let _ = c.rest(n, &d);
                }
                d
            });
            let adverse = c.count(a.adverse);
            let _ = c.rest(n, &[adverse]);
            let worst = a.worst.map(|v| c.count(v));
            if a.worst.iter().sum::<u64>() == a.adverse {
                c.sum(adverse, &worst);
            } else {
                let _ = c.rest(n, &worst);
            }
            let adherent = (!arm.is_control()).then(|| {
                let yes = c.count(a.adherent);
                let no = c.count(a.n - a.adherent);
                c.sum(n, &[yes, no]);
                (yes, no)
            });
            let lost = c.count(a.lost);
            let with_scores = c.count(a.n - a.lost);
            c.sum(n, &[lost, with_scores]);
            cells.push(ArmCells {
                id: arm.id().to_owned(),
                control: arm.is_control(),
                n,
                female,
                responders,
                decisions,
                adverse,
                worst,
                adherent,
                lost: (lost, with_scores),
                baseline,
            });
        }
        let ns: Vec<CellId> = cells.iter().map(|a| a.n).collect();
        c.sum(total, &ns);
        let age_outside = c.count(age_outside);
        let no_checkpoint = c.count(no_checkpoint);
        c.solve();
        ReportModel {
            cells: c,
            total,
            arms: cells,
            participant_rows,
            age_outside,
            no_checkpoint,
        }
    }

    /// The arm with id `id`.
    #[must_use]
    pub fn arm(&self, id: &str) -> Option<&ArmCells> {
        self.arms.iter().find(|a| a.id == id)
    }

    /// The control arm.
    #[must_use]
    pub fn control(&self) -> Option<&ArmCells> {
        self.arms.iter().find(|a| a.control)
    }

    /// An arm's responders and denominator of `outcome`.
    #[must_use]
    pub fn responders(&self, arm: &ArmCells, outcome: Outcome) -> (CellId, CellId) {
        arm.responders[outcome.index()]
    }

    /// May an arm's rate (and its interval) of `outcome` be printed?
    #[must_use]
    pub fn rate_shown(&self, arm: &str, outcome: Outcome) -> bool {
        self.arm(arm).is_some_and(|a| {
            let (x, n) = self.responders(a, outcome);
            self.shown(&[x, n])
        })
    }

    /// May a comparison's effects (risk difference, ratios, NNT, p) be printed? Only when the
    /// arm's and the control's counts are all known.
    #[must_use]
    pub fn comparison_shown(&self, c: &Comparison) -> bool {
        let outcome = c.outcome;
        if !Outcome::BOTH.contains(&outcome) {
            return !self.suppressing();
        }
        match (self.arm(&c.arm), self.control()) {
            (Some(a), Some(k)) => {
                let (x, n) = self.responders(a, outcome);
                let (y, m) = self.responders(k, outcome);
                self.known(&[x, n, y, m])
            }
            _ => !self.suppressing(),
        }
    }

    /// May a figure computed from every arm's counts of `outcome` (the trend test, the
    /// adjusted models, the fitted dose-response curve, adjusted p-values) be printed?
    #[must_use]
    pub fn outcome_shown(&self, o: Outcome) -> bool {
        if !Outcome::BOTH.contains(&o) {
            return !self.suppressing();
        }
        self.arms.iter().all(|a| {
            let (x, n) = self.responders(a, o);
            self.known(&[x, n])
        })
    }

    /// May a row of the sensitivity analysis be printed? Without suppression, always. With
    /// it, the primary analysis's row when the comparison is shown in the responders table;
    /// any other only when the comparison's own counts are known, the row is not the per-protocol one
    /// (its counts are in no table of the page), and in both arms the participants without the
    /// outcome and those with it are each zero or at least `K` (the best-case, worst-case and
    /// complete-case rows would otherwise give a small number of missing outcomes away).
    #[must_use]
    pub fn sensitivity_shown(
        &self,
        analysis: &Analysis,
        row: &crate::analysis::sensitivity::SensitivityRow,
    ) -> bool {
        if !self.suppressing() {
            return true;
        }
        let Some(c) = analysis
            .comparisons
            .iter()
            .find(|c| c.arm == row.arm && c.label == row.outcome)
        else {
            return false;
        };
        // The primary analysis adds nothing to the responders table above.
        if row.estimand == "itt_missing_nonresponder" {
            return self.comparison_shown(c);
        }
        let k = self.min_cell();
        let fine = |v: u64| v == 0 || v >= k;
        self.comparison_shown(c)
            && row.estimand != "per_protocol"
            && [
                (row.treatment_missing, c.n),
                (row.control_missing, c.control_n),
            ]
            .iter()
            .all(|&(missing, n)| fine(missing) && fine(n.saturating_sub(missing)))
    }

    /// How many printed counts are suppressed.
    #[must_use]
    pub fn suppressed(&self) -> usize {
        self.cells.suppressed()
    }
}
impl Disclosed for ReportModel {
    fn disclosure(&self) -> &Disclosure {
        &self.cells
    }
}
