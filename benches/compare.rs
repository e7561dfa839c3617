//! `trialdose compare` from counts: every interval, test and the NNT for 10,000 random 2×2
//! tables in one process (the target: under a second).
//!
//! The tables are drawn once from a named, seeded stream (ChaCha8, seed 2026, stream
//! "compare-bench"): arm sizes uniform in 1..=500, responders uniform in 0..=n. One criterion
//! iteration computes the full comparison (Wilson, Clopper-Pearson, Wald, Newcombe,
//! Agresti-Caffo and Miettinen-Nurminen differences, Katz and Miettinen-Nurminen ratios, Woolf
//! and exact conditional odds ratios, the NNT, Fisher and both chi-squares) for all 10,000 and
//! builds its JSON value, as `compare --json` does, without printing.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use trialdose::compare::{TwoByTwo, to_json};
use trialdose::stats::{Binomial, Level, RdMethod};

const TABLES: usize = 10_000;
const MAX_ARM: u64 = 500;

fn tables() -> Vec<TwoByTwo> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    rng.set_stream(u64::from_le_bytes(*b"compare\0"));
    (0..TABLES)
        .map(|_| {
            let mut arm = || {
                let n = rng.random_range(1..=MAX_ARM);
                Binomial::new(rng.random_range(0..=n), n).expect("x <= n")
            };
            TwoByTwo {
                treatment: arm(),
                control: arm(),
                level: Level::NINETY_FIVE,
                rd_method: RdMethod::Newcombe,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tables = tables();
    let mut group = c.benchmark_group("compare");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("10000_random_tables", |b| {
        b.iter(|| {
            for t in &tables {
                black_box(to_json(black_box(t)));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
