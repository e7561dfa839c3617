//! The trial protocol: arms and their planned schedules, the checkpoint week, the adherence
//! threshold and the responder rules, read from an optional `trial.toml`.
//!
//! Every key has a default (the DREAM trial's design: a wait-list control and 30x2, 30x3,
//! 60x1, 60x2, 60x3 for 4 weeks; checkpoint at week 5; 75% adherence; a pain reduction of at
//! least 30%; at least 5 NDI points). A [`Protocol`] is validated when it is built, so the rest
//! of the crate can rely on it: exactly one control arm, every treatment arm with a schedule,
//! thresholds in range, exact decimal thresholds (never floats) for the inclusive responder
//! rules.

use serde::Deserialize;
use thiserror::Error;

use super::decimal::Decimal;

/// A problem with `trial.toml`; always names the key.
#[derive(Debug, Error)]
pub enum ProtocolError {
    /// The file is not valid TOML or has an unknown key or a wrong type.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message (it names the key and line).
        message: String,
    },
    /// A key has a value outside its allowed range.
    #[error("{path}: `{key}` {message}")]
    Invalid {
        /// The file.
        path: String,
        /// The key, e.g. `arms[2].minutes`.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Allowed minutes per session.
pub const MINUTES_RANGE: std::ops::RangeInclusive<u32> = 1..=240;
/// Allowed sessions per week.
pub const PER_WEEK_RANGE: std::ops::RangeInclusive<u32> = 1..=14;
/// Allowed weeks of treatment.
pub const WEEKS_RANGE: std::ops::RangeInclusive<u32> = 1..=52;

/// A planned schedule: minutes per session, sessions per week, weeks (written `60x2x4`).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub struct Schedule {
    minutes: u32,
    per_week: u32,
    weeks: u32,
}

impl Schedule {
    /// Builds a schedule, checking minutes 1-240, sessions per week 1-14, weeks 1-52.
    pub fn new(minutes: u32, per_week: u32, weeks: u32) -> Result<Schedule, String> {
        if !MINUTES_RANGE.contains(&minutes) {
            return Err(format!(
                "minutes per session is {minutes}; allowed 1 to 240"
            ));
        }
        if !PER_WEEK_RANGE.contains(&per_week) {
            return Err(format!("sessions per week is {per_week}; allowed 1 to 14"));
        }
        if !WEEKS_RANGE.contains(&weeks) {
            return Err(format!("weeks is {weeks}; allowed 1 to 52"));
        }
        Ok(Schedule {
            minutes,
            per_week,
            weeks,
        })
    }

    /// Planned minutes per session.
    pub fn minutes(&self) -> u32 {
        self.minutes
    }
    /// Planned sessions per week.
    pub fn per_week(&self) -> u32 {
        self.per_week
    }
    /// Planned weeks.
    pub fn weeks(&self) -> u32 {
        self.weeks
    }
    /// Planned sessions in all.
    pub fn sessions(&self) -> u32 {
        self.per_week * self.weeks
    }
    /// Planned minutes per week (the dose axis of the trend test and the charts).
    pub fn minutes_per_week(&self) -> u32 {
        self.minutes * self.per_week
    }
}

/// One arm of the trial.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Arm {
    id: String,
    schedule: Option<Schedule>,
}

impl Arm {
    /// The arm id as written in `participants.csv`.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The planned schedule; `None` for the control arm.
    pub fn schedule(&self) -> Option<Schedule> {
        self.schedule
    }
    /// True for the control arm.
    pub fn is_control(&self) -> bool {
        self.schedule.is_none()
    }
}

/// Direction in which a function marker improves.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Higher values are better (e.g. minutes walked).
    Higher,
    /// Lower values are better (e.g. awakenings per night).
    Lower,
}

/// A function marker column of `scores.csv` declared in `trial.toml`.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Marker {
    column: String,
    better: Better,
    min_improvement: Decimal,
}

impl Marker {
    /// The column name in `scores.csv`.
    pub fn column(&self) -> &str {
        &self.column
    }
    /// Direction of improvement.
    pub fn better(&self) -> Better {
        self.better
    }
    /// Inclusive responder threshold, in the marker's units.
    pub fn min_improvement(&self) -> Decimal {
        self.min_improvement
    }
}

/// A validated trial protocol.
#[derive(Clone, Debug)]
pub struct Protocol {
    name: String,
    checkpoint_week: u32,
    adherence_threshold: Decimal,
    pain_max: Decimal,
    pain_min_reduction_pct: Decimal,
    ndi_max: Decimal,
    ndi_min_improvement: Decimal,
    markers: Vec<Marker>,
    arms: Vec<Arm>,
}

/// A TOML number, integer or float, kept exactly as written.
#[derive(Clone, Copy)]
enum Number {
    Int(i64),
    Float(f64),
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number, e.g. 10 or 0.75 (without quotes)")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Number, E> {
                i64::try_from(v)
                    .map(Number::Int)
                    .map_err(|_| E::custom("the number is too large"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number::Float(v))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Number {
    fn decimal(self) -> Result<Decimal, &'static str> {
        match self {
            Number::Int(i) => Ok(Decimal::from_int(i)),
            Number::Float(f) => Decimal::from_f64_shortest(f),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTrial {
    name: Option<String>,
    checkpoint_week: Option<i64>,
    adherence_threshold: Option<Number>,
    outcomes: Option<RawOutcomes>,
    markers: Option<Vec<RawMarker>>,
    arms: Option<Vec<RawArm>>,
    /// Where the cohort's tables come from: read and checked by `cohort::source::spec`, not
    /// part of the protocol.
    #[serde(rename = "source")]
    _source: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOutcomes {
    pain: Option<RawPain>,
    ndi: Option<RawNdi>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPain {
    max: Option<Number>,
    responder_min_reduction_pct: Option<Number>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawNdi {
    max: Option<Number>,
    responder_min_improvement: Option<Number>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMarker {
    column: Option<String>,
    better: Option<Better>,
    responder_min_improvement: Option<Number>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArm {
    id: Option<String>,
    control: Option<bool>,
    minutes: Option<i64>,
    per_week: Option<i64>,
    weeks: Option<i64>,
}

/// Columns of `scores.csv` that a marker may not be named after.
const RESERVED_SCORE_COLUMNS: [&str; 4] = ["participant_id", "week", "pain", "ndi"];

/// Default planned weeks for an arm that does not say.
pub const DEFAULT_WEEKS: u32 = 4;

impl Protocol {
    /// The DREAM trial's protocol (all defaults).
    pub fn dream() -> Protocol {
        let arm = |id: &str, m, w| Arm {
            id: id.to_owned(),
            schedule: Some(Schedule {
                minutes: m,
                per_week: w,
                weeks: DEFAULT_WEEKS,
            }),
        };
        Protocol {
            name: "DREAM-style neck pain dosing trial".to_owned(),
            checkpoint_week: 5,
            adherence_threshold: Decimal::from_f64_shortest(0.75).unwrap_or(Decimal::ZERO),
            pain_max: Decimal::from_int(10),
            pain_min_reduction_pct: Decimal::from_int(30),
            ndi_max: Decimal::from_int(50),
            ndi_min_improvement: Decimal::from_int(5),
            markers: Vec::new(),
            arms: vec![
                Arm {
                    id: "control".to_owned(),
                    schedule: None,
                },
                arm("30x2", 30, 2),
                arm("30x3", 30, 3),
                arm("60x1", 60, 1),
                arm("60x2", 60, 2),
                arm("60x3", 60, 3),
            ],
        }
    }

    /// Parses and validates the text of a `trial.toml`; `path` is used in messages.
    pub fn from_toml(text: &str, path: &str) -> Result<Protocol, ProtocolError> {
        let raw: RawTrial = toml::from_str(text).map_err(|e| ProtocolError::Syntax {
            path: path.to_owned(),
            message: printable(e.to_string().trim_end()),
        })?;
        let invalid = |key: &str, message: String| ProtocolError::Invalid {
            path: path.to_owned(),
            key: key.to_owned(),
            message,
        };
        let number = |key: &str, n: Number| n.decimal().map_err(|m| invalid(key, m.to_owned()));
        let mut p = Protocol::dream();
        if let Some(name) = raw.name {
            if let Err(why) = printable_text(&name, MAX_NAME) {
                return Err(invalid("name", why));
            }
            p.name = name;
        }
        if let Some(w) = raw.checkpoint_week {
            if !(1..=104).contains(&w) {
                return Err(invalid(
                    "checkpoint_week",
                    format!("is {w}; allowed 1 to 104 (week 0 is the baseline)"),
                ));
            }
            p.checkpoint_week = w as u32;
        }
        if let Some(t) = raw.adherence_threshold {
            let t = number("adherence_threshold", t)?;
            if !t.is_positive() || t > Decimal::from_int(1) {
                return Err(invalid(
                    "adherence_threshold",
                    format!(
                        "is {t}; allowed above 0 and at most 1 (a fraction of planned sessions)"
                    ),
                ));
            }
            p.adherence_threshold = t;
        }
        let outcomes = raw.outcomes.unwrap_or_default();
        let pain = outcomes.pain.unwrap_or_default();
        if let Some(m) = pain.max {
            p.pain_max = positive(
                number("outcomes.pain.max", m)?,
                "outcomes.pain.max",
                &invalid,
            )?;
        }
        if let Some(pct) = pain.responder_min_reduction_pct {
            let key = "outcomes.pain.responder_min_reduction_pct";
            let pct = positive(number(key, pct)?, key, &invalid)?;
            if pct > Decimal::from_int(100) {
                return Err(invalid(
                    key,
                    format!("is {pct}; allowed above 0 and at most 100"),
                ));
            }
            p.pain_min_reduction_pct = pct;
        }
        let ndi = outcomes.ndi.unwrap_or_default();
        if let Some(m) = ndi.max {
            p.ndi_max = positive(number("outcomes.ndi.max", m)?, "outcomes.ndi.max", &invalid)?;
        }
        let explicit_ndi_threshold = ndi.responder_min_improvement.is_some();
        if let Some(t) = ndi.responder_min_improvement {
            let key = "outcomes.ndi.responder_min_improvement";
            p.ndi_min_improvement = positive(number(key, t)?, key, &invalid)?;
        }
        check_ndi_threshold(&p, explicit_ndi_threshold, &invalid)?;
        for (i, m) in raw.markers.unwrap_or_default().into_iter().enumerate() {
            let key = |k: &str| format!("markers[{}].{k}", i + 1);
            let column = m
                .column
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    invalid(
                        &key("column"),
                        "is missing; name the scores.csv column".into(),
                    )
                })?;
            if let Err(why) = plain_identifier(&column) {
                return Err(invalid(
                    &key("column"),
                    format!(
                        "is {column:?}; {why}. A marker name becomes a column name of scores.csv and of participants.csv: use 1 to {MAX_MARKER_NAME} ASCII letters, digits and underscores, starting with a letter or underscore (e.g. walk_minutes)"
                    ),
                ));
            }
            if RESERVED_SCORE_COLUMNS.contains(&column.as_str()) {
                return Err(invalid(
                    &key("column"),
                    format!("is `{column}`, a built-in column of scores.csv; choose another name"),
                ));
            }
            if p.markers.iter().any(|x| x.column == column) {
                return Err(invalid(
                    &key("column"),
                    format!("`{column}` is declared twice"),
                ));
            }
            let better = m.better.ok_or_else(|| {
                invalid(
                    &key("better"),
                    "is missing; write \"higher\" or \"lower\"".into(),
                )
            })?;
            let k = key("responder_min_improvement");
            let t = m.responder_min_improvement.ok_or_else(|| {
                invalid(
                    &k,
                    "is missing; give the inclusive improvement a responder needs".into(),
                )
            })?;
            let min_improvement = positive(number(&k, t)?, &k, &invalid)?;
            p.markers.push(Marker {
                column,
                better,
                min_improvement,
            });
        }
        if let Some(arms) = raw.arms {
            p.arms = build_arms(arms, &invalid)?;
        }
        Ok(p)
    }

    /// The trial's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Week whose scores are compared with week 0.
    pub fn checkpoint_week(&self) -> u32 {
        self.checkpoint_week
    }
    /// Inclusive fraction of planned sessions that makes a participant adherent.
    pub fn adherence_threshold(&self) -> Decimal {
        self.adherence_threshold
    }
    /// Upper end of the pain scale.
    pub fn pain_max(&self) -> Decimal {
        self.pain_max
    }
    /// Inclusive percentage reduction that makes a pain responder.
    pub fn pain_min_reduction_pct(&self) -> Decimal {
        self.pain_min_reduction_pct
    }
    /// Upper end of the disability scale.
    pub fn ndi_max(&self) -> Decimal {
        self.ndi_max
    }
    /// Inclusive point improvement that makes an NDI responder.
    pub fn ndi_min_improvement(&self) -> Decimal {
        self.ndi_min_improvement
    }
    /// Declared function markers.
    pub fn markers(&self) -> &[Marker] {
        &self.markers
    }
    /// Arms in trial order.
    pub fn arms(&self) -> &[Arm] {
        &self.arms
    }
    /// Index of the control arm.
    pub fn control_index(&self) -> usize {
        self.arms.iter().position(Arm::is_control).unwrap_or(0)
    }
    /// Index of an arm by id.
    pub fn arm_index(&self, id: &str) -> Option<usize> {
        // Called once per participant row: compared without a call into `memcmp`.
        self.arms
            .iter()
            .position(|a| super::text::same_text(&a.id, id))
    }
    /// Length in days of an arm's treatment window (the control arm uses the longest
    /// treatment arm's window).
    pub fn window_days(&self, arm: usize) -> i32 {
        let weeks = match self.arms[arm].schedule {
            Some(s) => s.weeks,
            None => self
                .arms
                .iter()
                .filter_map(|a| a.schedule.map(|s| s.weeks))
                .max()
                .unwrap_or(DEFAULT_WEEKS),
        };
        7 * weeks as i32
    }
}

/// Longest marker name, in characters (the longest participant id is 64 too).
pub const MAX_MARKER_NAME: usize = 64;
/// Longest arm id, in characters.
pub const MAX_ARM_ID: usize = 64;
/// Longest trial name, in characters (it heads every printed table and the report).
pub const MAX_NAME: usize = 200;

/// Checks that a marker name is a plain identifier: ASCII letters, digits and underscores,
/// starting with a letter or underscore, at most [`MAX_MARKER_NAME`] characters. A marker
/// name becomes column names of `participants.csv` (`NAME_baseline`, ...), where a name
/// starting with `=`, `+`, `-` or `@` would run as a spreadsheet formula (data cells are
/// neutralised with a `'`, column names cannot be), and it is printed in messages, where
/// control characters would drive the terminal.
fn plain_identifier(name: &str) -> Result<(), String> {
    let first = name.chars().next();
    if name.chars().count() > MAX_MARKER_NAME {
        return Err(format!("it is {} characters long", name.chars().count()));
    }
    if !first.is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
        return Err("it does not start with a letter or underscore".into());
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        Some(c) => Err(format!("it holds the character `{}`", c.escape_default())),
        None => Ok(()),
    }
}

/// Checks free text of trial.toml that is printed (the trial name, arm ids): at most `max`
/// characters and no control characters (a terminal escape sequence in a name would drive
/// the terminal of whoever reads the output).
fn printable_text(text: &str, max: usize) -> Result<(), String> {
    let n = text.chars().count();
    if n > max {
        return Err(format!("is {n} characters long; allowed at most {max}"));
    }
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "holds the control character {}; allowed: printable text of at most {max} characters",
            c.escape_unicode()
        )),
        None => Ok(()),
    }
}

/// The parser's message with every control character but LF and tab written as an escape:
/// its excerpt of the offending line is printed to a terminal, where a raw ESC or CR from
/// the file would be a command.
fn printable(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Refuses an NDI responder threshold above the scale's maximum: an improvement of more
/// than `max` points is impossible on a 0-to-max scale, so nobody could ever respond.
fn check_ndi_threshold<F>(p: &Protocol, explicit: bool, invalid: &F) -> Result<(), ProtocolError>
where
    F: Fn(&str, String) -> ProtocolError,
{
    if p.ndi_min_improvement <= p.ndi_max {
        return Ok(());
    }
    let (t, max) = (p.ndi_min_improvement, p.ndi_max);
    let default = if explicit { "" } else { " (the default)" };
    Err(invalid(
        "outcomes.ndi.responder_min_improvement",
        format!(
            "is {t}{default}; allowed above 0 and at most outcomes.ndi.max ({max}): an improvement of more than {max} points is impossible on a 0-{max} scale, so nobody could respond. Lower the threshold or raise outcomes.ndi.max"
        ),
    ))
}

fn positive<F>(v: Decimal, key: &str, invalid: &F) -> Result<Decimal, ProtocolError>
where
    F: Fn(&str, String) -> ProtocolError,
{
    if v.is_positive() {
        Ok(v)
    } else {
        Err(invalid(key, format!("is {v}; it must be greater than 0")))
    }
}

fn build_arms<F>(raw: Vec<RawArm>, invalid: &F) -> Result<Vec<Arm>, ProtocolError>
where
    F: Fn(&str, String) -> ProtocolError,
{
    let mut arms: Vec<Arm> = Vec::with_capacity(raw.len());
    for (i, a) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("arms[{}].{k}", i + 1);
        let id =
            a.id.map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| invalid(&key("id"), "is missing; every arm needs an id".into()))?;
        if let Err(why) = printable_text(&id, MAX_ARM_ID) {
            return Err(invalid(&key("id"), why));
        }
        if arms.iter().any(|x| x.id == id) {
            return Err(invalid(&key("id"), format!("`{id}` is used by two arms")));
        }
        let control = a.control.unwrap_or(false);
        let schedule = if control {
            if a.minutes.is_some() || a.per_week.is_some() || a.weeks.is_some() {
                return Err(invalid(
                    &key("control"),
                    format!(
                        "arm `{id}` is the control and has no planned sessions; remove its minutes, per_week and weeks"
                    ),
                ));
            }
            None
        } else {
            let need = |v: Option<i64>, k: &str| {
                v.ok_or_else(|| invalid(&key(k), format!("is missing for treatment arm `{id}`")))
            };
            // Each field is checked against its own range here so the message names its key
            // (and a negative value is reported as written).
            let field = |v: i64, k: &str, range: std::ops::RangeInclusive<u32>, what: &str| {
                u32::try_from(v)
                    .ok()
                    .filter(|u| range.contains(u))
                    .ok_or_else(|| {
                        invalid(
                            &key(k),
                            format!(
                                "is {v} (arm `{id}`); {what} must be {} to {}",
                                range.start(),
                                range.end()
                            ),
                        )
                    })
            };
            let minutes = field(
                need(a.minutes, "minutes")?,
                "minutes",
                MINUTES_RANGE,
                "minutes per session",
            )?;
            let per_week = field(
                need(a.per_week, "per_week")?,
                "per_week",
                PER_WEEK_RANGE,
                "sessions per week",
            )?;
            let weeks = field(
                a.weeks.unwrap_or(i64::from(DEFAULT_WEEKS)),
                "weeks",
                WEEKS_RANGE,
                "weeks",
            )?;
            let s = Schedule::new(minutes, per_week, weeks)
                .map_err(|m| invalid(&key("minutes"), format!("(arm `{id}`): {m}")))?;
            Some(s)
        };
        arms.push(Arm { id, schedule });
    }
    match arms.iter().filter(|a| a.is_control()).count() {
        0 => Err(invalid(
            "arms",
            "has no control arm; mark exactly one arm with control = true".into(),
        )),
        1 if arms.len() < 2 => Err(invalid(
            "arms",
            "has no treatment arm; add at least one arm with minutes and per_week".into(),
        )),
        1 => Ok(arms),
        n => Err(invalid(
            "arms",
            format!("has {n} control arms; exactly one arm may have control = true"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_dream() {
        let p = Protocol::from_toml("", "trial.toml").unwrap();
        let ids: Vec<_> = p.arms().iter().map(Arm::id).collect();
        assert_eq!(ids, ["control", "30x2", "30x3", "60x1", "60x2", "60x3"]);
        assert_eq!(p.checkpoint_week(), 5);
        assert_eq!(p.adherence_threshold(), Decimal::parse("0.75").unwrap());
        assert_eq!(p.window_days(0), 28);
    }

    #[test]
    fn rules_name_the_key() {
        let cases = [
            (
                "[[arms]]\nid = \"a\"\nminutes = 60\nper_week = 2\n",
                "no control",
            ),
            (
                "[[arms]]\nid = \"c\"\ncontrol = true\n[[arms]]\nid = \"d\"\ncontrol = true\n[[arms]]\nid=\"x\"\nminutes=1\nper_week=1\n",
                "2 control",
            ),
            (
                "[[arms]]\nid = \"c\"\ncontrol = true\n[[arms]]\nid = \"t\"\nper_week = 2\n",
                "arms[2].minutes",
            ),
            ("colour = 3\n", "colour"),
            ("[outcomes.pain]\nmax = \"ten\"\n", "a number"),
            ("checkpoint_week = 0\n", "checkpoint_week"),
            (
                "[[arms]]\nid = \"c\"\ncontrol = true\n[[arms]]\nid = \"t\"\nminutes = 60\nper_week = 20\n",
                "arms[2].per_week` is 20",
            ),
            (
                "[[arms]]\nid = \"c\"\ncontrol = true\n[[arms]]\nid = \"t\"\nminutes = -5\nper_week = 2\n",
                "arms[2].minutes` is -5",
            ),
            (
                "[[arms]]\nid = \"c\"\ncontrol = true\n[[arms]]\nid = \"t\"\nminutes = 60\nper_week = 2\nweeks = 60\n",
                "arms[2].weeks` is 60",
            ),
            ("adherence_threshold = 1.5\n", "adherence_threshold"),
        ];
        for (text, needle) in cases {
            let err = Protocol::from_toml(text, "trial.toml")
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err:?} should mention {needle:?}");
        }
    }

    #[test]
    fn an_ndi_threshold_nobody_can_reach_is_refused() {
        // Issue 13: 51 points on a 0-50 scale was accepted, and nobody could respond.
        let err = Protocol::from_toml("[outcomes.ndi]\nresponder_min_improvement = 51\n", "t")
            .unwrap_err()
            .to_string();
        for needle in [
            "outcomes.ndi.responder_min_improvement",
            "is 51",
            "at most outcomes.ndi.max (50)",
        ] {
            assert!(err.contains(needle), "{err:?} should mention {needle:?}");
        }
        // A lowered maximum against the default threshold names the threshold as a default.
        let err = Protocol::from_toml("[outcomes.ndi]\nmax = 4\n", "t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("is 5 (the default)"), "{err}");
        // The edge stays allowed: 50 points on a 0-50 scale (baseline 50, checkpoint 0).
        let p =
            Protocol::from_toml("[outcomes.ndi]\nresponder_min_improvement = 50\n", "t").unwrap();
        assert_eq!(p.ndi_min_improvement(), Decimal::from_int(50));
    }

    #[test]
    fn syntax_errors_do_not_echo_control_characters() {
        // The parser quotes the offending line; a raw ESC there would reach the terminal.
        let err = Protocol::from_toml("name = 3\u{1b}[31m\r\n", "trial.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("trial.toml"), "{err}");
        assert!(
            !err.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{err:?}"
        );
    }

    #[test]
    fn marker_names_are_plain_identifiers() {
        let trial = |name: &str| {
            format!(
                "[[markers]]\ncolumn = \"{}\"\nbetter = \"higher\"\nresponder_min_improvement = 1\n",
                name.replace('\u{1b}', "\\u001B")
            )
        };
        for bad in [
            "=cmd|calc",
            "+1",
            "-x",
            "@sum",
            "walk minutes",
            "walk-minutes",
            "9lives",
            "\u{1b}[31mred",
            "caf\u{e9}",
            &"m".repeat(65),
        ] {
            let err = Protocol::from_toml(&trial(bad), "t")
                .unwrap_err()
                .to_string();
            assert!(err.contains("markers[1].column"), "{bad:?}: {err}");
            assert!(
                err.contains("letters, digits and underscores"),
                "{bad:?}: {err}"
            );
            assert!(
                !err.contains('\u{1b}'),
                "the message echoes a raw escape: {err:?}"
            );
        }
        for good in ["walk_minutes", "_x", "Awakenings2", &"m".repeat(64)] {
            let p = Protocol::from_toml(&trial(good), "t").unwrap();
            assert_eq!(p.markers()[0].column(), good);
        }
    }

    #[test]
    fn names_and_arm_ids_hold_no_control_characters() {
        let err = Protocol::from_toml("name = \"a\\u001b[2Jb\"\n", "t")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`name`") && err.contains("control character"),
            "{err}"
        );
        assert!(!err.contains('\u{1b}'), "{err:?}");
        let err = Protocol::from_toml(
            "[[arms]]\nid = \"c\\u0007\"\ncontrol = true\n[[arms]]\nid = \"t\"\nminutes = 60\nper_week = 2\n",
            "t",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("arms[1].id") && err.contains("control character"),
            "{err}"
        );
        let long = format!("name = \"{}\"\n", "n".repeat(201));
        let err = Protocol::from_toml(&long, "t").unwrap_err().to_string();
        assert!(err.contains("at most 200"), "{err}");
    }

    #[test]
    fn custom_arms_and_markers() {
        let text = "checkpoint_week = 6\n[[markers]]\ncolumn = \"walk_minutes\"\nbetter = \"higher\"\nresponder_min_improvement = 5\n[[arms]]\nid = \"wl\"\ncontrol = true\n[[arms]]\nid = \"60x2x6\"\nminutes = 60\nper_week = 2\nweeks = 6\n";
        let p = Protocol::from_toml(text, "trial.toml").unwrap();
        assert_eq!(p.arms().len(), 2);
        assert_eq!(p.window_days(0), 42);
        assert_eq!(p.markers()[0].column(), "walk_minutes");
        assert_eq!(p.control_index(), 0);
    }
}
