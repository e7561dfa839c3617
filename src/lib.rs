//! trialdose: a batch toolkit for dosing trials of manual therapies.
//!
//! Data flows one way: files -> [`cohort`] (validated tables and a ledger of every row) ->
//! [`derive`] (one row per participant: dose received, outcomes at the checkpoint, decision,
//! flags) -> [`frame`] and [`analysis`] (populations, per-arm summaries, comparisons with
//! control, the dose-response trend and, in [`adjusted`], baseline-adjusted ratios, using the
//! pure numerics of [`stats`]) -> [`export`] and [`output`] (CSV and JSON,
//! written atomically). [`compare`] reports one 2×2 table from counts alone. [`generate`] writes synthetic cohorts calibrated to published trials.
//!
//! The library prints nothing and knows nothing of the command line; it returns values and
//! typed errors.

pub mod analysis;
pub mod audit;
pub mod cohort;
pub mod compare;
pub mod derive;
pub mod domain;
pub mod files;
pub mod generate;
pub mod parallel;
pub mod pipeline;
pub mod pseudonym;
pub mod render;
pub mod sim;
pub mod stats;
