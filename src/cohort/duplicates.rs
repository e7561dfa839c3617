//! The duplicate rule shared by participants.csv and scores.csv: among rows that passed their
//! own checks, rows with the same key that agree in every value keep the first (the others are
//! ignored exact duplicates); rows that disagree are all rejected, because nothing is guessed.
//!
//! Keys that strictly increase in file order cannot repeat, so that common case (files grouped
//! and sorted) costs one pass of comparisons and no hashing.

use std::hash::Hash;

use rustc_hash::FxHashMap;

use super::ledger::{CohortFile, IgnoredDuplicate};

/// What the rule found, by row index.
#[derive(Debug, Default)]
pub struct Repeats {
    /// Keys strictly increase in file order (so none repeats).
    pub sorted: bool,
    /// Ignored exact duplicates: `(row, kept row)`.
    pub ignored: Vec<(usize, usize)>,
    /// Groups of rows sharing a key with differing values, each in file order, the groups in
    /// order of their first row. Every row of a group is rejected.
    pub conflicts: Vec<Vec<usize>>,
}

impl Repeats {
    /// The ignored duplicates as notices of `file`, given each row's line.
    pub fn ignored_notices<'s>(
        &'s self,
        file: CohortFile,
        line: impl Fn(usize) -> u64 + 's,
    ) -> impl Iterator<Item = IgnoredDuplicate> + 's {
        self.ignored
            .iter()
            .map(move |&(row, kept)| IgnoredDuplicate {
                file,
                source: None,
                line: line(row),
                kept_line: line(kept),
            })
    }

    /// Rows to drop: ignored duplicates and every row of a conflict.
    pub fn dropped(&self, rows: usize) -> Vec<bool> {
        let mut drop = vec![false; rows];
        for &(row, _) in &self.ignored {
            drop[row] = true;
        }
        for &row in self.conflicts.iter().flatten() {
            drop[row] = true;
        }
        drop
    }
}

/// Applies the rule to `rows` rows with `key(i)`; `same(a, b)` says whether two rows agree in
/// every value.
pub fn find<K: Hash + Eq + Ord>(
    rows: usize,
    key: impl Fn(usize) -> K,
    same: impl Fn(usize, usize) -> bool,
) -> Repeats {
    if (1..rows).all(|i| key(i - 1) < key(i)) {
        return Repeats {
            sorted: true,
            ..Repeats::default()
        };
    }
    // Groups of repeated keys, by the index of their first row.
    let mut groups: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    let mut first: FxHashMap<K, usize> =
        FxHashMap::with_capacity_and_hasher(rows, Default::default());
    for i in 0..rows {
        match first.entry(key(i)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(f) => {
                let f = *f.get();
                groups.entry(f).or_insert_with(|| vec![f]).push(i);
            }
        }
    }
    let mut order: Vec<usize> = groups.keys().copied().collect();
    order.sort_unstable();
    let mut out = Repeats::default();
    for f in order {
        let group = groups.remove(&f).unwrap_or_default();
        if group.iter().all(|&i| same(f, i)) {
            out.ignored.extend(group[1..].iter().map(|&i| (i, f)));
        } else {
            out.conflicts.push(group);
        }
    }
    out.ignored.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_keys_need_no_grouping() {
        let r = find(3, |i| i, |_, _| true);
        assert!(r.sorted && r.ignored.is_empty() && r.conflicts.is_empty());
    }

    #[test]
    fn agreeing_repeats_are_ignored_and_a_disagreeing_one_rejects_the_group() {
        // Keys a a b b b ; values 1 1 2 2 3.
        let keys = ["a", "a", "b", "b", "b"];
        let values = [1, 1, 2, 2, 3];
        let r = find(5, |i| keys[i], |x, y| values[x] == values[y]);
        assert!(!r.sorted);
        assert_eq!(r.ignored, [(1, 0)]);
        assert_eq!(r.conflicts, [vec![2, 3, 4]]);
        assert_eq!(r.dropped(5), [false, true, true, true, true]);
    }
}
