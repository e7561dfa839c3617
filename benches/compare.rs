//! `trialdose compare` from counts: every interval, test and the NNT for 10,000 random 2×2
//! tables in one process (the target: under a second), and one table at arm sizes from
//! 38 to 10^12 (the cost must not grow with the counts).
//!
//! The random tables are drawn once from a named, seeded stream (ChaCha8, seed 2026, stream
//! "compare-bench"): arm sizes uniform in 1..=500, responders uniform in 0..=n. One criterion
//! iteration computes the full comparison (Wilson, Clopper-Pearson, Wald, Newcombe,
//! Agresti-Caffo and Miettinen-Nurminen differences, Katz and Miettinen-Nurminen ratios, Woolf
//! and exact conditional odds ratios, the NNT, Fisher and both chi-squares) for all 10,000 and
//! builds its typed result, as `compare --json` does, without printing.
//!
//! The scaling group runs the same comparison on the DREAM-like table 24/38 vs 10/38 scaled
//! to arms of N = 38, 10^4, 10^6, 10^8 and 10^12 (responders 24N/38 and 10N/38, rounded), and
//! on a near-null table (rates 0.5003 vs 0.5), whose Fisher tails and exact odds-ratio sums
//! are the widest at each N.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use trialdose::compare::{TwoByTwo, compare};
use trialdose::stats::{Binomial, Level, RdMethod};

const TABLES: usize = 10_000;
const MAX_ARM: u64 = 500;

fn table(xt: u64, nt: u64, xc: u64, nc: u64) -> TwoByTwo {
    TwoByTwo::new(
        Binomial::new(xt, nt).expect("x <= n"),
        Binomial::new(xc, nc).expect("x <= n"),
        Level::NINETY_FIVE,
        RdMethod::Newcombe,
    )
    .expect("counts within the limit")
}

fn tables() -> Vec<TwoByTwo> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    rng.set_stream(u64::from_le_bytes(*b"compare\0"));
    (0..TABLES)
        .map(|_| {
            let mut arm = || {
                let n = rng.random_range(1..=MAX_ARM);
                (rng.random_range(0..=n), n)
            };
            let ((xt, nt), (xc, nc)) = (arm(), arm());
            table(xt, nt, xc, nc)
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
                black_box(compare(black_box(t)));
            }
        });
    });
    group.finish();

    let mut group = c.benchmark_group("compare_scaling");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for n in [38_u64, 10_000, 1_000_000, 100_000_000, 1_000_000_000_000] {
        let scaled = |share: u64| {
            u64::try_from((u128::from(n) * u128::from(share) + 19) / 38).expect("fits")
        };
        let dream = table(scaled(24), n, scaled(10), n);
        group.bench_with_input(BenchmarkId::new("dream_24_10_of_38", n), &dream, |b, t| {
            b.iter(|| black_box(compare(black_box(t))));
        });
        let near = table(n / 2 + n / 3333, n, n / 2, n);
        group.bench_with_input(BenchmarkId::new("near_null_half", n), &near, |b, t| {
            b.iter(|| black_box(compare(black_box(t))));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
