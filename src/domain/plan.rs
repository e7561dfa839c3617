//! A simulated or planned arm: control (no sessions) or a treatment schedule, written on the
//! command line as `MINUTESxPER_WEEKxWEEKS` (`60x2x4`), `MINUTESxPER_WEEK` for four weeks
//! (`60x2`, the DREAM arms' notation), or `control`. It lives in the domain because the
//! simulator, the audit's benchmarks and the charts all speak of plans.

use super::protocol::Schedule;

/// A schedule that cannot be read; names the value, the allowed ranges and an example.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule {value}: {message}")]
pub struct PlanError {
    /// The value as given (quoted).
    pub value: String,
    /// What is wrong with it, the allowed ranges and an example.
    pub message: String,
}

/// Weeks assumed when a schedule is written `MINUTESxPER_WEEK` (DREAM's 4-week courses).
pub const DEFAULT_WEEKS: u32 = 4;

/// A simulated arm's plan: control (no sessions) or a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Plan {
    /// No treatment (wait-list control).
    Control,
    /// Sessions on a schedule.
    Treated(Schedule),
}

impl Plan {
    /// Parses `control`, `60x2` or `60x2x4`; errors name the value and the allowed ranges.
    ///
    /// # Errors
    /// [`PlanError`] for anything else.
    pub fn parse(text: &str) -> Result<Plan, PlanError> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("control") {
            return Ok(Plan::Control);
        }
        let bad = |why: String| PlanError {
            value: format!("{text:?}"),
            message: format!(
                "{why}; write MINUTESxPER_WEEKxWEEKS such as 60x2x4, MINUTESxPER_WEEK for {DEFAULT_WEEKS} weeks such as 60x2, or control"
            ),
        };
        let parts: Vec<&str> = t.split(['x', 'X']).collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(bad("expected two or three numbers joined by x".into()));
        }
        let mut nums = [0u32, 0, DEFAULT_WEEKS];
        for (slot, part) in nums.iter_mut().zip(&parts) {
            *slot = part
                .parse()
                .map_err(|_| bad(format!("{part:?} is not a whole number")))?;
        }
        Schedule::new(nums[0], nums[1], nums[2])
            .map(Plan::Treated)
            .map_err(bad)
    }

    /// Sessions planned (0 for control).
    #[must_use]
    pub fn sessions(self) -> u32 {
        match self {
            Plan::Control => 0,
            Plan::Treated(s) => s.sessions(),
        }
    }

    /// Minutes per session (0 for control).
    #[must_use]
    pub fn minutes(self) -> u32 {
        match self {
            Plan::Control => 0,
            Plan::Treated(s) => s.minutes(),
        }
    }

    /// Planned minutes per week (0 for control): the dose score of the trend test.
    #[must_use]
    pub fn minutes_per_week(self) -> u32 {
        match self {
            Plan::Control => 0,
            Plan::Treated(s) => s.minutes_per_week(),
        }
    }

    /// `control` or `60x2x4`.
    #[must_use]
    pub fn label(self) -> String {
        match self {
            Plan::Control => "control".to_owned(),
            Plan::Treated(s) => format!("{}x{}x{}", s.minutes(), s.per_week(), s.weeks()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_notations_and_control() {
        assert_eq!(Plan::parse("60x2").unwrap(), Plan::parse("60x2x4").unwrap());
        assert_eq!(Plan::parse("60x2").unwrap().sessions(), 8);
        assert_eq!(Plan::parse("30X3x6").unwrap().sessions(), 18);
        assert_eq!(Plan::parse("control").unwrap(), Plan::Control);
        assert_eq!(Plan::parse("60x3").unwrap().label(), "60x3x4");
    }

    #[test]
    fn errors_name_the_value_and_range() {
        for (bad, phrase) in [
            ("60", "two or three"),
            ("60x2x4x1", "two or three"),
            ("fivex2", "\"five\""),
            ("0x2", "1 to 240"),
            ("60x15", "1 to 14"),
            ("60x2x0", "1 to 52"),
        ] {
            let msg = Plan::parse(bad).unwrap_err().to_string();
            assert!(msg.contains(phrase) && msg.contains(bad), "{bad}: {msg}");
        }
    }
}
