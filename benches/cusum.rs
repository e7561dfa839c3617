//! The threshold search of the risk-adjusted CUSUM (`trialdose::sim::cusum::choose_threshold`)
//! at the defaults: in-control ARL 1,000 patients, R_A = 2, 2,500 replicates, on the case mix of
//! the module's tests (40 expected probabilities of response from 0.15 to 0.75), including the
//! ARL0 and ARL1 estimates at the chosen threshold. Target: under about 1 s.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use trialdose::sim::cusum::{self, DEFAULT_REPS, DEFAULT_TARGET_ARL, ThresholdSpec};

fn bench(c: &mut Criterion) {
    let case_mix: Vec<f64> = (0..40).map(|k| 0.15 + 0.6 * f64::from(k) / 39.0).collect();
    let spec = ThresholdSpec::new(&case_mix, 2.0, DEFAULT_TARGET_ARL, DEFAULT_REPS, 2014).unwrap();
    let mut group = c.benchmark_group("cusum_threshold");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for threads in [1usize, 2] {
        group.bench_function(format!("arl0_1000_2500_reps_{threads}_threads"), |b| {
            b.iter(|| black_box(cusum::choose_threshold(&spec, threads).unwrap()));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
