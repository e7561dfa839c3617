//! libFuzzer target: the trial.toml parser and its validation. See `src/targets.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| trialdose_fuzz::targets::trial_toml(data));
