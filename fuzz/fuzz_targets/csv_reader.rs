//! libFuzzer target: the cohort CSV reader (participants.csv, sessions.csv, scores.csv and an
//! optional trial.toml, separated by the byte 0x1e). See `src/targets.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trialdose_fuzz::targets::csv_reader(data));
