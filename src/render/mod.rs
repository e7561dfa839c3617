//! The render layer: everything that turns typed results into what people read or load.
//!
//! Numbers as people read them ([`format`](mod@format)), CSV cells and block writing ([`output`]), the
//! files of `analyze` and `validate` ([`export`]), the report model with disclosure control
//! applied once and its HTML page ([`report`]), the clinic audit's page, files and model
//! ([`audit`]), and the charts drawn with plotters and an embedded font ([`charts`]). Renderers
//! draw only from typed results (the analysis, the audit, the report and audit models, the
//! simulation results), never from another format's text (the workbook of `analyze --xlsx`,
//! [`xlsx`], takes the CSV files' typed cells), so every format shows the same
//! numbers and the same suppression. Files are written through [`crate::files`].

pub mod audit;
pub mod charts;
pub mod compare;
pub mod document;
pub mod export;
pub mod format;
pub mod output;
pub mod parquet;
pub mod report;
pub mod xlsx;
