//! The domain layer: the types every other layer speaks in, and nothing else.
//!
//! Exact decimals, the trial protocol (arms, schedules, thresholds, markers), the outcomes a
//! responder rule is decided for, and the analysis populations with the one rule that says
//! who is analysed and how a missing outcome counts. It is a leaf: it imports nothing of the
//! crate, so the cohort reader, the analysis, the simulator, the audit and the renderers can
//! all depend on it without depending on each other (see ARCHITECTURE.md).

pub mod decimal;
pub mod outcome;
pub mod plan;
pub mod population;
pub mod protocol;
pub mod text;

pub use decimal::Decimal;
pub use outcome::{Outcome, PrimaryOutcome};
pub use plan::Plan;
pub use population::{Missing, Population};
