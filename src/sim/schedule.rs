//! Schedules of the simulator: the domain's [`Plan`], whose parse errors become the
//! simulator's [`SimError`] naming the schedule field.

pub use crate::domain::plan::{DEFAULT_WEEKS, Plan, PlanError};

use super::{Field, SimError};

impl From<PlanError> for SimError {
    fn from(e: PlanError) -> SimError {
        SimError::invalid(Field::Schedule, e.value, e.message)
    }
}
