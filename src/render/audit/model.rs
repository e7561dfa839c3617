//! The audit's shareable counts after `--min-cell` suppression, built once from an [`Audit`] and
//! drawn from by the audit's documents, the funnel plot and the aggregate files (`units.csv`,
//! `safety.csv`, `audit.json`), so they hide the same cells. The rule is the report's
//! ([`crate::render::report::disclosure`]).
//!
//! The sums that tie the audit's counts: the treated participants are the sum of the units'
//! patients, of the checkpoint statuses, and (with each flag) of the flagged and the rest; a
//! unit's patients are its judged and its pending participants, and include those counted for
//! safety; the judged are the benchmarked `n` and the others, and the adherent and the others;
//! `n` is the responders and the non-responders; the safety `all` row sums the units. With the
//! `cohort` benchmark the funnel's centre line is the responders of all units over their `n`,
//! so those two totals are tied to the units too. A figure computed from counts (a unit's
//! rate, interval, expected and risk-adjusted rate, z and verdict, its funnel point; a safety
//! share and p; phi and tau-squared, which use every unit) is kept only when each of its
//! counts is known.

use crate::audit::{Audit, Benchmark};
use crate::cohort::{Cohort, CohortFile};
use crate::derive::Flags;
use crate::render::report::disclosure::{CellId, Disclosed, Disclosure};

/// One unit's counts.
#[derive(Debug, Clone, Copy)]
pub struct UnitCells {
    /// Treated participants.
    pub patients: CellId,
    /// Judged at the checkpoint.
    pub judged: CellId,
    /// Adherent among the judged.
    pub adherent: CellId,
    /// Judged and benchmarked (the rate's denominator).
    pub n: CellId,
    /// Responders.
    pub responders: CellId,
}

/// One safety row's counts.
#[derive(Debug, Clone, Copy)]
pub struct SafetyCells {
    /// Participants counted for safety.
    pub treated: CellId,
    /// With an adverse event.
    pub events: CellId,
}

/// The audit's counts after suppression.
#[derive(Debug, Clone)]
pub struct AuditModel {
    cells: Disclosure,
    /// Treated participants audited.
    pub treated: CellId,
    /// Control participants left out.
    pub control: CellId,
    /// Per unit, in the audit's order.
    pub units: Vec<UnitCells>,
    /// Per safety row (units, then `all`).
    pub safety: Vec<SafetyCells>,
    /// Per checkpoint status (worklist order).
    pub statuses: Vec<CellId>,
    /// Per safety flag (needs clearance, adverse event, age outside).
    pub flags: Vec<CellId>,
    /// `participants.csv`: rows, accepted, rejected, ignored duplicates.
    pub participant_rows: Option<[CellId; 4]>,
    /// Treatment-arm participants left out because they start after the audit date (tied to
    /// the accepted rows; `None` when participants.csv is not among the files).
    pub not_started: Option<CellId>,
    /// Phi, tau-squared and the overdispersion test use every unit: shown only when all are.
    pub dispersion_shown: bool,
    /// Per row of `periods.csv` (monitoring over time): its patients and responders, which add
    /// up to the unit's `n` and responders.
    pub periods: Vec<PeriodCells>,
}

/// The counts of one period of one unit.
#[derive(Debug, Clone, Copy)]
pub struct PeriodCells {
    /// Patients judged in the period.
    pub patients: CellId,
    /// Of them, responders.
    pub responders: CellId,
}

impl AuditModel {
    /// Counts the audit's cells and applies suppression with threshold `min_cell`.
    #[must_use]
    pub fn new(cohort: &Cohort, audit: &Audit, min_cell: u64) -> AuditModel {
        let mut c = Disclosure::new(min_cell);
        let treated = c.count(audit.worklist.len() as u64);
        let control = c.count(audit.control_participants);
        let mut not_started = None;
        let participant_rows = cohort
            .files
            .iter()
            .find(|f| f.file == CohortFile::Participants)
            .map(|f| {
                let k = f.counts;
                let rows = c.exempt(k.rows);
                let accepted = c.exempt(k.accepted);
                let rejected = c.exempt(k.rejected);
                let dups = c.exempt(k.ignored_duplicates);
                if k.rows == k.accepted + k.rejected + k.ignored_duplicates {
                    c.sum(rows, &[accepted, rejected, dups]);
                }
                not_started = c.rest(accepted, &[treated, control]);
                [rows, accepted, rejected, dups]
            });
        let mut units = Vec::with_capacity(audit.units.len());
        for u in &audit.units {
            let patients = c.count(u.patients);
            let judged_value = u.n + u.not_benchmarked;
            // The adherent share is printed: the judged and the adherent count as known.
            let judged = c.count(judged_value);
            let _ = c.rest(patients, &[judged]);
            let adherent = c.count(u.adherent);
            let _ = c.rest(judged, &[adherent]);
            let n = c.count(u.n);
            let _ = c.rest(judged, &[n]);
            let responders = c.count(u.responders);
            let _ = c.rest(n, &[responders]);
            units.push(UnitCells {
                patients,
                judged,
                adherent,
                n,
                responders,
            });
        }
        let patients: Vec<CellId> = units.iter().map(|u| u.patients).collect();
        c.sum(treated, &patients);
        if matches!(
            audit.options.benchmark,
            Benchmark::Cohort | Benchmark::CohortPlain
        ) && audit.target.is_some()
        {
            // The centre line is Σ responders / Σ n over the units in the benchmark (every
            // unit but those left out of the in-control rate): both totals are as good as
            // printed (with several arms it reveals less; treating it as both totals errs on
            // the side of suppressing).
            let inside = |i: &usize| !audit.benchmark_left_out.contains(i);
            let members: Vec<usize> = (0..units.len()).filter(inside).collect();
            let o = c.count(members.iter().map(|&i| audit.units[i].responders).sum());
            let n = c.count(members.iter().map(|&i| audit.units[i].n).sum());
            let os: Vec<CellId> = members.iter().map(|&i| units[i].responders).collect();
            let ns: Vec<CellId> = members.iter().map(|&i| units[i].n).collect();
            c.sum(o, &os);
            c.sum(n, &ns);
        }
        // The periods of each unit add up to its n and responders (the funnel's patients).
        let mut periods = Vec::new();
        if let Some(m) = &audit.monitoring {
            for (u, cells) in units.iter().enumerate() {
                let rows: Vec<&crate::audit::monitor::PeriodRow> =
                    m.periods.iter().filter(|r| r.unit == u).collect();
                if rows.is_empty() {
                    continue;
                }
                let mine: Vec<PeriodCells> = rows
                    .iter()
                    .map(|r| {
                        let patients = c.count(r.patients);
                        let responders = c.count(r.responders);
                        let _ = c.rest(patients, &[responders]);
                        PeriodCells {
                            patients,
                            responders,
                        }
                    })
                    .collect();
                let ps: Vec<CellId> = mine.iter().map(|p| p.patients).collect();
                let rs: Vec<CellId> = mine.iter().map(|p| p.responders).collect();
                c.sum(cells.n, &ps);
                c.sum(cells.responders, &rs);
                periods.extend(mine);
            }
        }
        let (unit_rows, all) = audit.safety.split_at(audit.safety.len().saturating_sub(1));
        let mut safety: Vec<SafetyCells> = unit_rows
            .iter()
            .zip(&units)
            .map(|(r, u)| {
                let treated = c.count(r.treated);
                let events = c.count(r.events);
                let _ = c.rest(treated, &[events]);
                let _ = c.rest(u.patients, &[treated]);
                SafetyCells { treated, events }
            })
            .collect();
        let (statuses, flag_counts) = super::export::worklist_counts(audit);
        let mut all_events = None;
        for r in all {
            let t = c.count(r.treated);
            let e = c.count(r.events);
            let _ = c.rest(t, &[e]);
            let ts: Vec<CellId> = safety.iter().map(|s| s.treated).collect();
            let es: Vec<CellId> = safety.iter().map(|s| s.events).collect();
            if ts.len() == unit_rows.len() {
                c.sum(t, &ts);
                c.sum(e, &es);
            }
            all_events = Some((e, r.events));
            safety.push(SafetyCells {
                treated: t,
                events: e,
            });
        }
        let statuses: Vec<CellId> = statuses.iter().map(|(_, n)| c.count(*n)).collect();
        c.sum(treated, &statuses);
        let flags: Vec<CellId> = flag_counts
            .iter()
            .map(|(flag, _, n)| {
                // The adverse-event flag often equals the safety `all` row: then it is that cell.
                let id = match all_events {
                    Some((e, v)) if *flag == Flags::ADVERSE_EVENT && v == *n => e,
                    _ => c.count(*n),
                };
                let _ = c.rest(treated, &[id]);
                id
            })
            .collect();
        c.solve();
        let dispersion_shown = audit
            .units
            .iter()
            .zip(&units)
            .all(|(u, cells)| u.n == 0 || c.known(&[cells.responders, cells.n]));
        AuditModel {
            cells: c,
            treated,
            control,
            units,
            safety,
            statuses,
            flags,
            participant_rows,
            not_started,
            dispersion_shown,
            periods,
        }
    }

    /// May unit `i`'s rate, interval, expected and adjusted rates, z, verdict and funnel point
    /// be shown? When an overdispersion adjustment is applied, z, the verdict and the limits
    /// also carry phi or tau-squared, so they need every unit known.
    #[must_use]
    pub fn unit_shown(&self, audit: &Audit, i: usize) -> bool {
        let u = &self.units[i];
        self.known(&[u.responders, u.n]) && (audit.applied.is_none() || self.dispersion_shown)
    }

    /// May row `i` of `periods.csv` show its rate, expected count, limits and verdict?
    #[must_use]
    pub fn period_shown(&self, i: usize) -> bool {
        let p = &self.periods[i];
        self.known(&[p.patients, p.responders])
    }

    /// May unit `i`'s adherent share be shown?
    #[must_use]
    pub fn adherent_shown(&self, i: usize) -> bool {
        let u = &self.units[i];
        self.known(&[u.adherent, u.judged])
    }

    /// May safety row `i`'s share, interval and p be shown?
    #[must_use]
    pub fn safety_shown(&self, i: usize) -> bool {
        let s = &self.safety[i];
        self.known(&[s.treated, s.events])
    }
}
impl Disclosed for AuditModel {
    fn disclosure(&self) -> &Disclosure {
        &self.cells
    }
}
