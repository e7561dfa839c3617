//! Named random streams. Every random choice of a case comes from a ChaCha8 generator keyed by
//! the fuzz seed and the stream's name, positioned at the case number (`set_stream`), so
//! changing how one part of a case is drawn (say, the command options) leaves every other part
//! (the cohort's mutations) of every case unchanged, and case N never depends on cases before
//! it. ChaCha8 from rand_chacha (the version in Cargo.lock) gives the same draws on every
//! machine.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One named stream of random draws for one case.
pub struct Stream(ChaCha8Rng);

/// FNV-1a over bytes: a stable hash for stream names (std's hashers may change).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Stream {
    /// The stream `name` of case `case` under `seed`.
    pub fn new(seed: u64, case: u64, name: &str) -> Stream {
        let mut key = name.as_bytes().to_vec();
        key.extend_from_slice(&seed.to_le_bytes());
        let mut rng = ChaCha8Rng::seed_from_u64(fnv1a(&key));
        rng.set_stream(case);
        Stream(rng)
    }

    /// A uniform index below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { self.0.random_range(0..n) }
    }

    /// A uniform integer in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        self.0.random_range(lo..=hi)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p.clamp(0.0, 1.0))
    }

    /// A uniform element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A copy of one of `items` (for slices of references and numbers).
    pub fn choose<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick(items)
    }

    /// An index drawn with the given weights (at least one positive).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.between(0, total.saturating_sub(1));
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    /// A raw 64-bit draw.
    pub fn word(&mut self) -> u64 {
        self.0.random::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let draw = |seed, case, name| {
            let mut s = Stream::new(seed, case, name);
            (0..8).map(|_| s.word()).collect::<Vec<_>>()
        };
        assert_eq!(draw(1, 7, "cohort"), draw(1, 7, "cohort"));
        assert_ne!(draw(1, 7, "cohort"), draw(1, 8, "cohort"));
        assert_ne!(draw(1, 7, "cohort"), draw(1, 7, "command"));
        assert_ne!(draw(1, 7, "cohort"), draw(2, 7, "cohort"));
    }
}
