//! The clinic audit rendered: the disclosure-controlled model ([`model`]) that `audit.html`,
//! the funnel plot and the aggregate files draw from, the page itself ([`html`]) and the
//! CSV/JSON files ([`export`]). The audit's numbers are computed in [`crate::audit`].

pub mod export;
pub mod html;
pub mod model;
pub mod monitor;
