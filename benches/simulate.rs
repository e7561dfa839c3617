//! `simulate trial` at DREAM size: 100,000 trials of six arms of 38 (control, 30x2, 30x3, 60x1,
//! 60x2, 60x3), attendance drawn per patient (Beta) and per session, adverse events, responses,
//! and Fisher's exact test of each arm against control. Fixed full-dose truths (control 0.26,
//! 30x2 0.29, 30x3 0.32, 60x1 0.50, 60x2 0.63, 60x3 0.76) so that every arm has a rate.
//!
//! Also measured, as the floor the target is stated against: drawing the same random numbers
//! the model needs (per treated patient one Beta draw, one 64-bit word per two planned
//! sessions, one uniform for adverse events; per patient one uniform for the response) with no
//! other work, on one thread.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution};
use trialdose::domain::PrimaryOutcome;
use trialdose::sim::evidence::Evidence;
use trialdose::sim::model::{OutcomeModel, Truth};
use trialdose::sim::patients::{Attendance, uniform01};
use trialdose::sim::runner::Shard;
use trialdose::sim::schedule::Plan;
use trialdose::sim::trial::{self, Test, TrialDesign};

const TRIALS: u64 = 100_000;
const PER_ARM: u64 = 38;

fn bench(c: &mut Criterion) {
    let evidence = Evidence::dream();
    let plans: Vec<Plan> = ["control", "30x2", "30x3", "60x1", "60x2", "60x3"]
        .iter()
        .map(|s| Plan::parse(s).unwrap())
        .collect();
    let truth =
        Truth::parse("control=0.26,30x2=0.29,30x3=0.32,60x1=0.5,60x2=0.63,60x3=0.76").unwrap();
    let model = OutcomeModel::new(&evidence, Some(&truth), &plans, PrimaryOutcome::Pain).unwrap();
    let attendance = Attendance::beta(evidence.attendance.0, evidence.attendance.1).unwrap();
    let design = TrialDesign {
        plans: &plans,
        per_arm: PER_ARM,
        model: &model,
        attendance: &attendance,
        adverse_per_session: evidence.adverse_per_session,
        test: Test::Fisher,
        alpha: 0.05,
    };
    let mut group = c.benchmark_group("simulate_trial_dream");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    for threads in [1usize, 2] {
        group.bench_function(format!("100000_trials_{threads}_threads"), |b| {
            b.iter(|| black_box(trial::simulate(&design, TRIALS, 2014, Shard::ALL, threads)));
        });
    }
    let beta = Beta::new(evidence.attendance.0, evidence.attendance.1).unwrap();
    group.bench_function("random_number_floor_1_thread", |b| {
        b.iter(|| {
            let mut rng = ChaCha8Rng::seed_from_u64(2014);
            let mut acc = 0.0f64;
            let mut bits = 0u64;
            for i in 0..TRIALS {
                rng.set_stream(i);
                rng.set_word_pos(0);
                for plan in &plans {
                    let sessions = plan.sessions();
                    for _ in 0..PER_ARM {
                        if sessions > 0 {
                            acc += beta.sample(&mut rng);
                            for _ in 0..sessions.div_ceil(2) {
                                bits ^= rng.next_u64();
                            }
                            acc += uniform01(&mut rng);
                        }
                        acc += uniform01(&mut rng);
                    }
                }
            }
            black_box((acc, bits))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
