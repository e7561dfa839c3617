//! Draws case N of a seed: the command family, the inputs it needs (a cohort mutated at the
//! byte and field level with an optional random trial.toml; shards or simulation results
//! mutated as JSON) and the command line. Each part draws from its own named stream.

use std::collections::BTreeMap;

use super::bases::Bases;
use super::case::Case;
use super::commands::{self, FAMILIES, Family};
use super::json;
use super::mutate;
use super::stream::Stream;
use super::trial;

const COHORT_FILES: [&str; 3] = ["participants.csv", "sessions.csv", "scores.csv"];

/// Draws case `number` of `seed`; `long` bounds the length of long cells.
pub fn case(seed: u64, number: u64, bases: &Bases, long: usize) -> Case {
    let mut pick = Stream::new(seed, number, "family");
    let family = FAMILIES[pick.weighted(&commands::WEIGHTS)];
    let mut files = BTreeMap::new();
    let mut label = Vec::new();

    let cohort_too = family.reads_cohort()
        || (matches!(family, Family::Clinic | Family::Trial | Family::SampleSize)
            && pick.chance(0.3));
    if cohort_too {
        cohort(seed, number, bases, long, &mut files, &mut label);
    }

    let mut shards = Vec::new();
    if family == Family::Merge {
        let mut s = Stream::new(seed, number, "shards");
        let (name, set) = s.pick(&bases.shards);
        label.push(format!("shards of `{name}`"));
        let mut parts: Vec<Vec<u8>> = set.clone();
        match s.below(8) {
            0 => {
                parts.remove(s.below(parts.len()));
                label.push("one part dropped".into());
            }
            1 => {
                let i = s.below(parts.len());
                parts.push(parts[i].clone());
                label.push(format!("part {} twice", i + 1));
            }
            2 => {
                let (_, other) = s.pick(&bases.shards);
                parts.push(s.pick(other).clone());
                label.push("a part of another run added".into());
            }
            3 => {
                for k in (1..parts.len()).rev() {
                    let j = s.below(k + 1);
                    parts.swap(k, j);
                }
                label.push("parts shuffled".into());
            }
            _ => {}
        }
        let n_mut = if s.chance(0.25) { 0 } else { 1 + s.below(2) };
        for _ in 0..n_mut {
            let i = s.below(parts.len());
            let d = json::mutate(&mut s, &mut parts[i]);
            label.push(format!("part {}: {d}", i + 1));
        }
        for (i, p) in parts.into_iter().enumerate() {
            let name = format!("shards/part-{}.json", i + 1);
            shards.push(format!("{{WORK}}/{name}"));
            files.insert(name, p);
        }
    }

    let mut sims = Vec::new();
    if matches!(family, Family::Report | Family::Plot) {
        let mut s = Stream::new(seed, number, "sims");
        for (name, bytes, clinic) in [
            ("sim/clinic.json", &bases.clinic_json, true),
            ("sim/sample-size.json", &bases.sample_size_json, false),
        ] {
            let mut b = bytes.clone();
            if s.chance(0.2) {
                let d = json::mutate(&mut s, &mut b);
                label.push(format!("{name}: {d}"));
            }
            files.insert(name.to_owned(), b);
            sims.push((format!("{{WORK}}/{name}"), clinic));
        }
    }

    let mut s = Stream::new(seed, number, "command");
    let (args, env) = commands::args(&mut s, family, cohort_too, &shards, &sims);
    Case {
        seed,
        number,
        label: label.join("; "),
        files,
        args,
        env,
    }
}

/// Draws the cohort of a case into `files` (under `cohort/`).
fn cohort(
    seed: u64,
    number: u64,
    bases: &Bases,
    long: usize,
    files: &mut BTreeMap<String, Vec<u8>>,
    label: &mut Vec<String>,
) {
    let mut s = Stream::new(seed, number, "cohort");
    let (name, base) = s.pick(&bases.cohorts);
    label.push(name.clone());
    let mut cohort = base.clone();

    let mut t = Stream::new(seed, number, "trial");
    if t.chance(0.3) {
        let trial = trial::trial(&mut t);
        for m in &trial.markers {
            if let Some(scores) = cohort.get_mut("scores.csv")
                && t.chance(0.85)
            {
                mutate::add_marker_column(&mut t, scores, m);
            }
        }
        label.push(trial.label);
        cohort.insert("trial.toml".to_owned(), trial.text);
    }

    let mut m = Stream::new(seed, number, "mutate");
    let n = *m.pick(&[0usize, 1, 1, 1, 2, 2, 3, 4]);
    for _ in 0..n {
        let file = *m.pick(&COHORT_FILES);
        let Some(bytes) = cohort.get_mut(file) else {
            continue;
        };
        let d = mutate::csv(&mut m, bytes, long);
        label.push(format!("{file}: {d}"));
    }
    for (f, b) in cohort {
        files.insert(format!("cohort/{f}"), b);
    }
}
