//! Runs replicates on threads and shards, deterministically.
//!
//! Replicate `i` (0-based) uses the ChaCha8 generator seeded with `--seed` on stream `i`
//! (`set_stream(i)`, word position 0): its draws do not depend on which thread or machine runs
//! it, or on what ran before. A shard `K/N` runs replicates `K−1, K−1+N, K−1+2N, ...`; the
//! replicates of one process are cut into one contiguous block per thread; each block fills its
//! own tally and the tallies are added, exactly (see [`super::tally`]).

use std::sync::atomic::{AtomicU64, Ordering};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{Field, SimError};

/// Shard `K/N`: this process runs the K-th of N interleaved shares of the replicates. Written
/// `"K/N"` in JSON (and checked when read back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Shard {
    /// K, 1-based.
    pub index: u64,
    /// N.
    pub count: u64,
}

impl Shard {
    /// The whole run.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Parses `K/N` with `1 <= K <= N`.
    ///
    /// # Errors
    /// [`SimError::Invalid`] naming the value and the allowed range.
    pub fn parse(text: &str) -> Result<Shard, SimError> {
        let bad = |why: &str| {
            SimError::invalid(
                Field::Shard,
                text,
                format!(
                    "{why}; write K/N with 1 <= K <= N, e.g. 2/8 for the second of eight shards"
                ),
            )
        };
        let (k, n) = text.split_once('/').ok_or_else(|| bad("expected K/N"))?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| bad("K is not a whole number"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| bad("N is not a whole number"))?;
        if n == 0 || k == 0 || k > n {
            return Err(bad(&format!("K = {k} is outside 1 to N = {n}")));
        }
        Ok(Shard { index: k, count: n })
    }

    /// How many of `reps` replicates this shard runs.
    #[must_use]
    pub fn len(self, reps: u64) -> u64 {
        reps.saturating_sub(self.index - 1).div_ceil(self.count)
    }

    /// Whether the shard runs no replicate.
    #[must_use]
    pub fn is_empty(self, reps: u64) -> bool {
        self.len(reps) == 0
    }

    /// The `j`-th replicate of this shard.
    #[must_use]
    pub fn replicate(self, j: u64) -> u64 {
        self.index - 1 + j * self.count
    }

    /// The replicates of this shard among `reps` (for tests and small runs).
    #[must_use]
    pub fn replicates(self, reps: u64) -> Vec<u64> {
        (0..self.len(reps)).map(|j| self.replicate(j)).collect()
    }
}

impl From<Shard> for String {
    fn from(s: Shard) -> String {
        format!("{}/{}", s.index, s.count)
    }
}

impl TryFrom<String> for Shard {
    type Error = SimError;

    fn try_from(text: String) -> Result<Shard, SimError> {
        Shard::parse(&text)
    }
}

/// Replicates finished in this process so far (for a progress display; never affects results).
static COMPLETED: AtomicU64 = AtomicU64::new(0);

/// Replicates finished in this process so far, over every run.
#[must_use]
pub fn completed() -> u64 {
    COMPLETED.load(Ordering::Relaxed)
}

/// Replicates between two updates of the progress counter.
const PROGRESS_STEP: u64 = 256;

/// A tally that can absorb another (the sums are exact, so order does not matter).
pub trait Merge: Default + Send {
    /// Adds `other` into `self`.
    fn merge(&mut self, other: &Self);
}

/// Runs `replicate(index, rng, tally)` for every replicate of the shard on `threads` threads
/// and returns the summed tally.
pub fn run<T, F>(reps: u64, seed: u64, shard: Shard, threads: usize, replicate: F) -> T
where
    T: Merge,
    F: Fn(u64, &mut ChaCha8Rng, &mut T) + Sync,
{
    let count = shard.len(reps);
    let threads = threads.clamp(1, usize::try_from(count.max(1)).unwrap_or(usize::MAX));
    let chunk = count.div_ceil(threads as u64).max(1);
    let run_block = |block: std::ops::Range<u64>| {
        let mut tally = T::default();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let len = block.end - block.start;
        for (done, j) in block.enumerate() {
            let i = shard.replicate(j);
            rng.set_stream(i);
            rng.set_word_pos(0);
            replicate(i, &mut rng, &mut tally);
            if (done as u64 + 1).is_multiple_of(PROGRESS_STEP) {
                COMPLETED.fetch_add(PROGRESS_STEP, Ordering::Relaxed);
            }
        }
        COMPLETED.fetch_add(len % PROGRESS_STEP, Ordering::Relaxed);
        tally
    };
    if threads == 1 {
        return run_block(0..count);
    }
    std::thread::scope(|scope| {
        let run_block = &run_block;
        let handles: Vec<_> = (0..count)
            .step_by(usize::try_from(chunk).unwrap_or(usize::MAX))
            .map(|start| {
                crate::parallel::spawn(scope, move || run_block(start..(start + chunk).min(count)))
            })
            .collect();
        let mut total = T::default();
        for h in handles {
            let part = crate::parallel::join(h);
            total.merge(&part);
        }
        total
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_replicates() {
        let mut all: Vec<u64> = (1..=3)
            .flat_map(|k| Shard { index: k, count: 3 }.replicates(10))
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(Shard::parse("2/8").unwrap(), Shard { index: 2, count: 8 });
        for bad in ["3/2", "0/2", "1/0", "2", "a/b"] {
            let msg = Shard::parse(bad).unwrap_err().to_string();
            assert!(msg.contains(bad), "{msg}");
        }
    }
}
