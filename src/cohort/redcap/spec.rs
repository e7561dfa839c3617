//! `[source.redcap]` of trial.toml: which REDCap field feeds which contract column.
//!
//! The table is checked here once, before any row is read: every key must be one the
//! translation knows (a misspelt `[source.redcap.participants] arms = ...` would otherwise
//! silently leave the arm unmapped), every value a string naming a field (or `"dag"` where the
//! data access group may stand in), every week a whole number 0 to 104. Whether the named
//! fields exist and have a fitting type is checked against the dictionary and the export in
//! [`super::translate`].

use super::RedcapError;

/// The columns of participants.csv a field may feed, in the contract's order (the contract's
/// own list).
pub const PARTICIPANT_COLUMNS: [&str; 8] = crate::cohort::participants::KNOWN;

/// The columns of sessions.csv a field may feed, in the contract's order.
pub const SESSION_COLUMNS: [&str; 6] = crate::cohort::sessions::KNOWN;

/// The fixed columns of scores.csv (markers follow), in the contract's order.
pub const SCORE_COLUMNS: [&str; 4] = crate::cohort::scores::KNOWN;

/// Participants columns that may be `"dag"`, the data access group.
const DAG_COLUMNS: [&str; 4] = ["arm", "age", "sex", "site"];

/// The highest week of the contract.
const MAX_WEEK: i64 = 104;

/// Where a contract column's values come from.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Source {
    /// The record id (the dictionary's first field).
    RecordId,
    /// The data access group (`redcap_data_access_group`, its unique name).
    Dag,
    /// A field of the dictionary.
    Field(String),
}

/// One contract column and where it comes from.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Mapping {
    /// The contract column.
    pub column: String,
    /// Where its values come from.
    pub source: Source,
    /// The trial.toml key that says so, for messages (`source.redcap.participants.arm`).
    pub key: String,
}

/// `[source.redcap.sessions]`.
#[derive(Clone, Debug)]
pub struct SessionsSpec {
    /// The repeating instrument whose instances are the visits.
    pub instrument: String,
    /// The mapped columns, in the contract's order (participant_id first: the record id).
    pub columns: Vec<Mapping>,
}

/// `[source.redcap.scores]`.
#[derive(Clone, Debug)]
pub struct ScoresSpec {
    /// Event name -> week, in key order.
    pub weeks: Vec<(String, u32)>,
    /// The mapped columns: participant_id (the record id), then pain and ndi when mapped, then
    /// the marker keys in key order (the translation writes them in trial.toml's marker
    /// order; `week` comes from the event and is not listed).
    pub columns: Vec<Mapping>,
}

/// `[source.redcap]`, parsed and validated (unknown keys refused, naming them).
#[derive(Clone, Debug)]
pub struct RedcapSpec {
    participants_event: Option<String>,
    participants: Vec<Mapping>,
    sessions: Option<SessionsSpec>,
    scores: Option<ScoresSpec>,
}

/// A usage error about key `key`.
fn spec_error(key: &str, problem: impl Into<String>) -> RedcapError {
    RedcapError::Spec {
        key: key.to_owned(),
        problem: problem.into(),
    }
}

/// The string at `key`, or an error naming it.
fn string<'a>(value: &'a toml::Value, key: &str, what: &str) -> Result<&'a str, RedcapError> {
    match value {
        toml::Value::String(s) if !s.trim().is_empty() => Ok(s.trim()),
        toml::Value::String(_) => Err(spec_error(key, format!("is empty; give {what}"))),
        other => Err(spec_error(
            key,
            format!("must be a string ({what}), not {}", other.type_str()),
        )),
    }
}

/// The sub-table at `key`, or an error naming it.
fn table<'a>(value: &'a toml::Value, key: &str) -> Result<&'a toml::Table, RedcapError> {
    value.as_table().ok_or_else(|| {
        spec_error(
            key,
            format!("must be a table (`[{key}]`), not {}", value.type_str()),
        )
    })
}

/// `value` as a column's source: `"dag"` where allowed, else a field name.
fn source(
    value: &toml::Value,
    key: &str,
    column: &str,
    dag_allowed: bool,
) -> Result<Source, RedcapError> {
    let name = string(value, key, "the REDCap field holding this column")?;
    if name == "dag" {
        return if dag_allowed {
            Ok(Source::Dag)
        } else {
            Err(spec_error(
                key,
                format!(
                    "`dag` (the data access group) can feed only {}; give the field holding `{column}`",
                    DAG_COLUMNS.join(", ")
                ),
            ))
        };
    }
    Ok(Source::Field(name.to_owned()))
}

/// The known keys of `table` as mappings in `order`; any other key is refused.
fn columns(
    table: &toml::Table,
    prefix: &str,
    order: &[&str],
    extra_keys: &[&str],
    dag: &[&str],
) -> Result<Vec<Mapping>, RedcapError> {
    for k in table.keys() {
        if !order.contains(&k.as_str()) && !extra_keys.contains(&k.as_str()) {
            let mut allowed: Vec<&str> = order.to_vec();
            allowed.extend_from_slice(extra_keys);
            return Err(spec_error(
                &format!("{prefix}.{k}"),
                format!(
                    "is not a known key; the keys of [{prefix}] are {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    let mut out = Vec::new();
    for &column in order {
        let key = format!("{prefix}.{column}");
        match table.get(column) {
            Some(v) => out.push(Mapping {
                column: column.to_owned(),
                source: source(v, &key, column, dag.contains(&column))?,
                key,
            }),
            None if column == "participant_id" => out.push(Mapping {
                column: column.to_owned(),
                source: Source::RecordId,
                key,
            }),
            None => {}
        }
    }
    Ok(out)
}

impl RedcapSpec {
    /// Parses `[source.redcap]` (the table under that key).
    ///
    /// # Errors
    /// [`RedcapError::Spec`] naming the key: an unknown key, a value of the wrong type, an
    /// empty name, `[source.redcap.participants]` without `arm`, `[source.redcap.sessions]`
    /// without `instrument` or `date`, a week outside 0 to 104, two events with one week.
    pub fn from_toml(table: &toml::Table) -> Result<RedcapSpec, RedcapError> {
        const TOP: [&str; 4] = ["participants_event", "participants", "sessions", "scores"];
        for k in table.keys() {
            if !TOP.contains(&k.as_str()) {
                return Err(spec_error(
                    &format!("source.redcap.{k}"),
                    format!(
                        "is not a known key; the keys of [source.redcap] are {}",
                        TOP.join(", ")
                    ),
                ));
            }
        }
        let participants_event = table
            .get("participants_event")
            .map(|v| {
                string(
                    v,
                    "source.redcap.participants_event",
                    "the unique name of the event holding the participant fields, e.g. \"baseline_arm_1\"",
                )
                .map(str::to_owned)
            })
            .transpose()?;
        let key = "source.redcap.participants";
        let participants = match table.get("participants") {
            Some(v) => columns(
                table_of(v, key)?,
                key,
                &PARTICIPANT_COLUMNS,
                &[],
                &DAG_COLUMNS,
            )?,
            None => {
                return Err(spec_error(
                    key,
                    "is missing; name at least the field holding `arm`, e.g. `[source.redcap.participants]` `arm = \"arm\"`",
                ));
            }
        };
        if !participants.iter().any(|m| m.column == "arm") {
            return Err(spec_error(
                &format!("{key}.arm"),
                "is missing (arm is a required column of participants.csv); name the field holding the arm, or `\"dag\"`",
            ));
        }
        let sessions = table
            .get("sessions")
            .map(|v| sessions_spec(table_of(v, "source.redcap.sessions")?))
            .transpose()?;
        let scores = table
            .get("scores")
            .map(|v| scores_spec(table_of(v, "source.redcap.scores")?))
            .transpose()?;
        Ok(RedcapSpec {
            participants_event,
            participants,
            sessions,
            scores,
        })
    }

    /// The event whose non-repeating row is the participant row (none for a project without
    /// events).
    pub fn participants_event(&self) -> Option<&str> {
        self.participants_event.as_deref()
    }

    /// The participants columns mapped, in the contract's order.
    pub fn participants(&self) -> &[Mapping] {
        &self.participants
    }

    /// `[source.redcap.sessions]`, if given.
    pub fn sessions(&self) -> Option<&SessionsSpec> {
        self.sessions.as_ref()
    }

    /// `[source.redcap.scores]`, if given.
    pub fn scores(&self) -> Option<&ScoresSpec> {
        self.scores.as_ref()
    }
}

fn table_of<'a>(value: &'a toml::Value, key: &str) -> Result<&'a toml::Table, RedcapError> {
    table(value, key)
}

fn sessions_spec(t: &toml::Table) -> Result<SessionsSpec, RedcapError> {
    let key = "source.redcap.sessions";
    let instrument = match t.get("instrument") {
        Some(v) => string(
            v,
            &format!("{key}.instrument"),
            "the repeating instrument whose instances are the visits, e.g. \"session\"",
        )?
        .to_owned(),
        None => {
            return Err(spec_error(
                &format!("{key}.instrument"),
                "is missing; name the repeating instrument (its form name) whose instances are the visits",
            ));
        }
    };
    let columns = columns(t, key, &SESSION_COLUMNS, &["instrument"], &[])?;
    if !columns.iter().any(|m| m.column == "date") {
        return Err(spec_error(
            &format!("{key}.date"),
            "is missing (date is a required column of sessions.csv); name the field holding the visit's date",
        ));
    }
    Ok(SessionsSpec {
        instrument,
        columns,
    })
}

fn scores_spec(t: &toml::Table) -> Result<ScoresSpec, RedcapError> {
    let key = "source.redcap.scores";
    let mut weeks: Vec<(String, u32)> = Vec::new();
    match t.get("weeks") {
        Some(v) => {
            for (event, week) in table(v, &format!("{key}.weeks"))? {
                let wkey = format!("{key}.weeks.{event}");
                let w = week
                    .as_integer()
                    .filter(|w| (0..=MAX_WEEK).contains(w))
                    .ok_or_else(|| {
                        spec_error(
                            &wkey,
                            format!(
                                "must be a whole number of weeks from 0 to {MAX_WEEK} (0 is the baseline), not {week}"
                            ),
                        )
                    })?;
                if let Some((other, _)) = weeks.iter().find(|(_, x)| i64::from(*x) == w) {
                    return Err(spec_error(
                        &wkey,
                        format!(
                            "gives week {w}, which event `{other}` has already; each week comes from one event"
                        ),
                    ));
                }
                weeks.push((event.clone(), w as u32));
            }
        }
        None => {
            return Err(spec_error(
                &format!("{key}.weeks"),
                "is missing; map each score event to its week, e.g. `[source.redcap.scores.weeks]` `\"baseline_arm_1\" = 0` `\"week_5_arm_1\" = 5`",
            ));
        }
    }
    if t.contains_key("week") {
        return Err(spec_error(
            &format!("{key}.week"),
            "is not a key: the week comes from the event, through [source.redcap.scores.weeks]",
        ));
    }
    let mut columns = columns(
        &t.iter()
            .filter(|(k, _)| SCORE_COLUMNS.contains(&k.as_str()) || *k == "weeks")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        key,
        &SCORE_COLUMNS,
        &["weeks"],
        &[],
    )?;
    // Every other key is a marker column (checked against trial.toml's markers when
    // translating, since trial.toml's markers are not part of this table).
    for (k, v) in t {
        if SCORE_COLUMNS.contains(&k.as_str()) || k == "weeks" {
            continue;
        }
        let mkey = format!("{key}.{k}");
        columns.push(Mapping {
            column: k.clone(),
            source: source(v, &mkey, k, false)?,
            key: mkey,
        });
    }
    Ok(ScoresSpec { weeks, columns })
}
