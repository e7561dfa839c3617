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

use super::SimError;

/// `--shard K/N`: this process runs the K-th of N interleaved shares of the replicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
            SimError::Invalid(format!(
                "--shard {text}: {why}; write K/N with 1 <= K <= N, e.g. --shard 2/8 for the second of eight shards"
            ))
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

    /// The replicates of this shard among `reps`.
    #[must_use]
    pub fn replicates(self, reps: u64) -> Vec<u64> {
        (self.index - 1..reps)
            .step_by(self.count as usize)
            .collect()
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
    let indices = shard.replicates(reps);
    let threads = threads.clamp(1, indices.len().max(1));
    let chunk = indices.len().div_ceil(threads).max(1);
    let run_block = |block: &[u64]| {
        let mut tally = T::default();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for (done, &i) in block.iter().enumerate() {
            rng.set_stream(i);
            rng.set_word_pos(0);
            replicate(i, &mut rng, &mut tally);
            if (done as u64 + 1) % PROGRESS_STEP == 0 {
                COMPLETED.fetch_add(PROGRESS_STEP, Ordering::Relaxed);
            }
        }
        COMPLETED.fetch_add(block.len() as u64 % PROGRESS_STEP, Ordering::Relaxed);
        tally
    };
    if threads == 1 {
        return run_block(&indices);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = indices
            .chunks(chunk)
            .map(|block| scope.spawn(move || run_block(block)))
            .collect();
        let mut total = T::default();
        for h in handles {
            let part = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
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
