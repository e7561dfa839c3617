//! The clinic audit rendered: the disclosure-controlled model ([`model`]) that the audit's
//! documents, the funnel plot and the aggregate files draw from, the audit as one
//! format-neutral document ([`document`]: `audit.html`, `audit.md` and `audit.docx` are its
//! renderings) and the CSV/JSON files ([`export`], [`monitor`]). The audit's numbers are
//! computed in [`crate::audit`].

pub mod document;
pub mod export;
pub mod model;
pub mod monitor;
