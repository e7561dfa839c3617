//! Small-cell disclosure control, applied once to the counts a shareable page publishes, before
//! any renderer sees them.
//!
//! The rule, with `K = --min-cell`:
//! * **Primary suppression.** A count `c` with `0 < c < K` is hidden, whether it is printed
//!   (responders, women, an adverse-event count) or only implied (the non-responders `n − x`
//!   of a printed `x of n`). True zeros are shown: a zero names nobody, statistical agencies
//!   publish them (ONS, NHS Digital's small-number rules), and hiding them would force hiding
//!   their totals too. What a zero beside its total does reveal (that everybody in the group
//!   shares the other attribute) is a group disclosure the threshold rule does not address; the
//!   README says so.
//! * **Complementary suppression.** Counts are tied by sums (a total is the sum of its parts:
//!   an arm's participants are its responders plus its non-responders; all arms add up to the
//!   participants randomized). Starting from what is printed, every value that a sum lets one
//!   work out is worked out, repeatedly (a sum with exactly one unknown member gives it away).
//!   When that reaches a hidden count, one more printed count of the sum that gave it away is
//!   hidden (the smallest non-zero part first, a total last), and the check starts again, until
//!   no hidden count can be worked out.
//! * **Derived figures.** A rate, interval, risk difference, risk ratio, odds ratio, NNT,
//!   p-value, trend test, fitted curve or chart point is shown only when every count it is
//!   computed from can be worked out from what is printed ([`Disclosure::known`]); otherwise it
//!   would be one more equation for the hidden cell.
//!
//! Every suppressed count is printed the same way ([`SUPPRESSED`]), whether it is small or
//! hidden to protect another: a `<K` would tell the value exactly when `K = 2`.

/// How a suppressed count is printed (the ONS's mark for a confidential cell).
pub const SUPPRESSED: &str = "[c]";

/// One count in a [`Disclosure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CellId(usize);

/// A count as a renderer may print it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// The value may be printed.
    Shown(u64),
    /// The value must not be printed (nor anything that reveals it).
    Suppressed,
}

impl Cell {
    /// The value, or [`SUPPRESSED`] (HTML-safe).
    #[must_use]
    pub fn text(self) -> String {
        match self {
            Cell::Shown(v) => v.to_string(),
            Cell::Suppressed => SUPPRESSED.to_owned(),
        }
    }

    /// The value when shown.
    #[must_use]
    pub fn value(self) -> Option<u64> {
        match self {
            Cell::Shown(v) => Some(v),
            Cell::Suppressed => None,
        }
    }
}

/// Whether a count is printed, and whether the threshold applies to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Printed; hidden when small.
    Printed,
    /// Never printed, but tied to printed counts by a sum (e.g. non-responders); protected
    /// when small.
    Implied,
    /// Printed and not about people's attributes (rows of an input file): never small, but
    /// hidden when it would give a small count away.
    Exempt,
}

/// The counts of one page, the sums that tie them, and which of them may be printed.
#[derive(Debug, Clone)]
pub struct Disclosure {
    k: u64,
    values: Vec<u64>,
    kinds: Vec<Kind>,
    /// Each sum as (total, parts).
    sums: Vec<(usize, Vec<usize>)>,
    hidden: Vec<bool>,
    known: Vec<bool>,
    solved: bool,
}

impl Disclosure {
    /// An empty set of counts under threshold `min_cell` (1: nothing is suppressed).
    #[must_use]
    pub fn new(min_cell: u64) -> Disclosure {
        Disclosure {
            k: min_cell.max(1),
            values: Vec::new(),
            kinds: Vec::new(),
            sums: Vec::new(),
            hidden: Vec::new(),
            known: Vec::new(),
            solved: false,
        }
    }

    /// The threshold `K`.
    #[must_use]
    pub fn min_cell(&self) -> u64 {
        self.k
    }

    /// True when suppression is on (`K > 1`).
    #[must_use]
    pub fn active(&self) -> bool {
        self.k > 1
    }

    /// True for a count the threshold hides: `0 < c < K`.
    #[must_use]
    pub fn small(&self, count: u64) -> bool {
        self.k > 1 && count >= 1 && count < self.k
    }

    fn push(&mut self, value: u64, kind: Kind) -> CellId {
        self.solved = false;
        self.values.push(value);
        self.kinds.push(kind);
        CellId(self.values.len() - 1)
    }

    /// A printed count.
    pub fn count(&mut self, value: u64) -> CellId {
        self.push(value, Kind::Printed)
    }

    /// A count that is never printed but is tied to printed ones by a sum.
    pub fn implied(&mut self, value: u64) -> CellId {
        self.push(value, Kind::Implied)
    }

    /// A printed count that is not about people (rows of a file): hidden only to protect
    /// another.
    pub fn exempt(&mut self, value: u64) -> CellId {
        self.push(value, Kind::Exempt)
    }

    /// `total − Σ parts` as an implied count, tied by `total = Σ parts + rest`; `None` when
    /// the parts exceed the total (then no sum is recorded: the counts are not a partition).
    pub fn rest(&mut self, total: CellId, parts: &[CellId]) -> Option<CellId> {
        let sum: u64 = parts.iter().map(|p| self.values[p.0]).sum();
        let rest = self.values[total.0].checked_sub(sum)?;
        let r = self.implied(rest);
        let mut all = parts.to_vec();
        all.push(r);
        self.sum(total, &all);
        Some(r)
    }

    /// Records `total = Σ parts`. Only true sums may be recorded.
    pub fn sum(&mut self, total: CellId, parts: &[CellId]) {
        debug_assert_eq!(
            self.values[total.0],
            parts.iter().map(|p| self.values[p.0]).sum::<u64>(),
            "a recorded sum must hold"
        );
        self.solved = false;
        self.sums
            .push((total.0, parts.iter().map(|p| p.0).collect()));
    }

    /// The values one can work out from the printed ones (and which sum gave each away).
    fn closure(&self) -> (Vec<bool>, Vec<Option<usize>>) {
        let mut known: Vec<bool> = (0..self.values.len())
            .map(|i| self.kinds[i] != Kind::Implied && !self.hidden[i])
            .collect();
        let mut via = vec![None; self.values.len()];
        loop {
            let mut changed = false;
            for (s, (total, parts)) in self.sums.iter().enumerate() {
                let mut unknown = std::iter::once(total).chain(parts).filter(|&&m| !known[m]);
                if let (Some(&u), None) = (unknown.next(), unknown.next()) {
                    known[u] = true;
                    via[u] = Some(s);
                    changed = true;
                }
            }
            if !changed {
                return (known, via);
            }
        }
    }

    /// Applies primary and complementary suppression (see the module note).
    pub fn solve(&mut self) {
        let n = self.values.len();
        if !self.active() {
            self.hidden = vec![false; n];
            self.known = vec![true; n];
            self.solved = true;
            return;
        }
        self.hidden = (0..n)
            .map(|i| self.kinds[i] != Kind::Exempt && self.small(self.values[i]))
            .collect();
        loop {
            let (known, via) = self.closure();
            let leak = (0..n)
                .find(|&i| self.kinds[i] != Kind::Exempt && self.small(self.values[i]) && known[i]);
            let Some(leak) = leak else {
                self.known = known;
                self.solved = true;
                return;
            };
            let Some(pick) = self.complement(leak, &via) else {
                // Nothing printed is left to hide (cannot happen: a value worked out from a
                // sum has a printed member somewhere up its chain); hide every printed count.
                for i in 0..n {
                    self.hidden[i] = true;
                }
                continue;
            };
            self.hidden[pick] = true;
        }
    }

    /// The printed count to hide so that `leak` can no longer be worked out: among the printed
    /// members of the sums it was worked out from (walking back along the chain), the smallest
    /// non-zero part, else the smallest non-zero total, else any.
    fn complement(&self, leak: usize, via: &[Option<usize>]) -> Option<usize> {
        let mut candidates: Vec<(bool, u64, usize)> = Vec::new();
        let mut stack = vec![leak];
        let mut seen = vec![false; self.values.len()];
        seen[leak] = true;
        while let Some(c) = stack.pop() {
            let Some(s) = via[c] else { continue };
            let (total, parts) = &self.sums[s];
            for (m, is_total) in
                std::iter::once((*total, true)).chain(parts.iter().map(|&p| (p, false)))
            {
                if seen[m] {
                    continue;
                }
                seen[m] = true;
                if self.kinds[m] != Kind::Implied && !self.hidden[m] {
                    candidates.push((is_total, self.values[m], m));
                } else {
                    stack.push(m);
                }
            }
        }
        candidates
            .iter()
            .filter(|c| c.1 > 0)
            .min()
            .or_else(|| candidates.iter().min())
            .map(|c| c.2)
    }

    fn ensure_solved(&self) {
        debug_assert!(
            self.solved,
            "Disclosure::solve must run before cells are read"
        );
    }

    /// A count as it may be printed.
    #[must_use]
    pub fn cell(&self, id: CellId) -> Cell {
        self.ensure_solved();
        if self.hidden.get(id.0).copied().unwrap_or(true) {
            Cell::Suppressed
        } else {
            Cell::Shown(self.values[id.0])
        }
    }

    /// True when every one of `ids` can be worked out from what is printed, so a figure
    /// computed from them reveals nothing more.
    #[must_use]
    pub fn known(&self, ids: &[CellId]) -> bool {
        self.ensure_solved();
        ids.iter()
            .all(|i| self.known.get(i.0).copied().unwrap_or(false))
    }

    /// True when every one of `ids` is printed and not suppressed.
    #[must_use]
    pub fn shown(&self, ids: &[CellId]) -> bool {
        ids.iter().all(|&i| matches!(self.cell(i), Cell::Shown(_)))
    }

    /// `value` when every count it is computed from is known, else `None`.
    #[must_use]
    pub fn gate<T>(&self, ids: &[CellId], value: T) -> Option<T> {
        self.known(ids).then_some(value)
    }

    /// How many printed counts are suppressed.
    #[must_use]
    pub fn suppressed(&self) -> usize {
        (0..self.values.len())
            .filter(|&i| self.kinds[i] != Kind::Implied && self.hidden[i])
            .count()
    }
}

/// A model whose counts all went through one [`Disclosure`] (the report's and the audit's):
/// the questions every renderer asks of it, answered once, here.
pub trait Disclosed {
    /// The model's cells.
    fn disclosure(&self) -> &Disclosure;

    /// The threshold `K` (1: nothing suppressed).
    fn min_cell(&self) -> u64 {
        self.disclosure().min_cell()
    }

    /// True when suppression is on.
    fn suppressing(&self) -> bool {
        self.disclosure().active()
    }

    /// A count as it may be printed.
    fn cell(&self, id: CellId) -> Cell {
        self.disclosure().cell(id)
    }

    /// True when every count of `ids` can be worked out from what is printed.
    fn known(&self, ids: &[CellId]) -> bool {
        self.disclosure().known(ids)
    }

    /// True when every one of `ids` is printed.
    fn shown(&self, ids: &[CellId]) -> bool {
        self.disclosure().shown(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_threshold_everything_is_shown() {
        let mut d = Disclosure::new(1);
        let n = d.count(16);
        let x = d.count(1);
        let _ = d.rest(n, &[x]);
        d.solve();
        assert_eq!(d.cell(x), Cell::Shown(1));
        assert!(d.known(&[n, x]));
    }

    #[test]
    fn a_small_count_is_hidden_and_its_rate_with_it() {
        let mut d = Disclosure::new(5);
        let n = d.count(17);
        let x = d.count(3);
        let rest = d.rest(n, &[x]).unwrap();
        d.solve();
        assert_eq!(d.cell(x), Cell::Suppressed);
        assert_eq!(d.cell(n), Cell::Shown(17));
        assert!(!d.known(&[x, n]), "the rate would give x away");
        assert!(!d.known(&[rest]));
    }

    #[test]
    fn all_but_a_few_hides_the_count_too() {
        // 12 of 16: the 4 non-responders are small, so 12 must go (issue 13: "all but <5").
        let mut d = Disclosure::new(5);
        let n = d.count(16);
        let x = d.count(12);
        let _ = d.rest(n, &[x]).unwrap();
        d.solve();
        assert_eq!(d.cell(x), Cell::Suppressed);
        assert_eq!(d.cell(n), Cell::Shown(16));
    }

    #[test]
    fn one_hidden_cell_of_a_printed_sum_takes_a_second_with_it() {
        // Decisions 3 + 10 + 7 + 0 = 20, all printed: hiding 3 alone leaves it as 20 − 17.
        let mut d = Disclosure::new(5);
        let n = d.count(20);
        let parts: Vec<CellId> = [3, 10, 7, 0].iter().map(|&v| d.count(v)).collect();
        d.sum(n, &parts);
        d.solve();
        let hidden: Vec<bool> = parts
            .iter()
            .map(|&p| d.cell(p) == Cell::Suppressed)
            .collect();
        assert_eq!(
            hidden,
            [true, false, true, false],
            "the smallest non-zero part goes too"
        );
        assert_eq!(d.cell(n), Cell::Shown(20));
    }

    #[test]
    fn chains_of_sums_are_followed() {
        // N = a + b, a = x + y (x small, y printed, a printed): x = a − y is hidden by hiding
        // y; and when a is itself small, b = N − a gives a away, so b goes as well.
        let mut d = Disclosure::new(5);
        let total = d.exempt(30);
        let a = d.count(4);
        let b = d.count(26);
        d.sum(total, &[a, b]);
        d.solve();
        assert_eq!(d.cell(a), Cell::Suppressed);
        assert_eq!(d.cell(b), Cell::Suppressed, "b = N − a gives a away");
        assert_eq!(
            d.cell(total),
            Cell::Shown(30),
            "then N reveals nothing alone"
        );
    }

    #[test]
    fn zeros_are_shown() {
        let mut d = Disclosure::new(5);
        let n = d.count(10);
        let x = d.count(0);
        let _ = d.rest(n, &[x]);
        d.solve();
        assert_eq!(d.cell(x), Cell::Shown(0));
        assert!(d.known(&[x, n]));
    }
}
