//! trialdose: a batch toolkit for dosing trials of manual therapies.
//!
//! Data flows one way: files -> [`cohort`] (validated tables and a ledger of every row) ->
//! [`derive`](mod@derive) (one row per participant: dose received, outcomes at the checkpoint, decision,
//! flags) -> [`analysis`] (populations, per-arm summaries, comparisons with control, the
//! dose-response trend, baseline-adjusted ratios), [`audit`] (the clinic audit) and [`sim`]
//! (Monte Carlo), all on the pure numerics of [`stats`] and the types of [`domain`] ->
//! [`render`] (numbers, CSV and JSON, HTML pages, charts), written atomically through
//! [`files`]. [`pipeline`] conducts these steps for the commands. [`compare`] reports one 2x2
//! table from counts alone; [`generate`] writes synthetic cohorts calibrated to published
//! trials. ARCHITECTURE.md gives the layers and which may import which.
//!
//! The library prints nothing and knows nothing of the command line; it returns values and
//! typed errors.

pub mod analysis;
pub mod audit;
pub mod cache;
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
