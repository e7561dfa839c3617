//! Fuzz targets of trialdose for cargo-fuzz (libFuzzer): the cohort CSV reader and the
//! trial.toml parser. The bodies live in `targets.rs`, which the main test suite also compiles
//! and runs on seed inputs (tests/fuzz.rs), so they cannot rot without a nightly toolchain.

pub mod targets;
