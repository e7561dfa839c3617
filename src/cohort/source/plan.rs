//! Which source column feeds which contract column, and how a source value becomes the
//! contract's text: the part of a translation that every source with a header of columns
//! (a CSV dialect, a sheet, a Parquet file) shares.
//!
//! A source column is written under its contract name when `[source.columns.<table>]` maps
//! it, or when its own name is a contract column that no mapping claims; any other column
//! feeds nothing and is named in a notice. Then, per value: `[source.codes.<column>]` maps the
//! trimmed value (each `;`-separated code of `contraindications` on its own; a value without a
//! code passes unchanged, so the contract's check rejects it if it is not valid), and with
//! `decimal = ","` a decimal comma becomes a point in the contract's numeric columns (never in
//! text). Nothing here judges a value: that is the contract readers' work.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::spec::{DecimalMark, SourceSpec, contract_columns, is_numeric, table_key};
use super::{SourceError, TableBuilder};
use crate::cohort::ledger::CohortFile;

/// One column written to the contract table.
#[derive(Clone, Debug)]
struct Out<'s> {
    /// Index of the source column.
    source: usize,
    /// A decimal comma is translated in it.
    numeric: bool,
    /// Its codes (borrowed from the spec, or owned by a plan that outlives it).
    codes: Option<Cow<'s, BTreeMap<String, String>>>,
    /// Codes apply to each `;`-separated item (contraindications).
    list: bool,
}

/// The columns of one table of one source.
#[derive(Clone, Debug)]
pub struct ColumnPlan<'s> {
    out: Vec<Out<'s>>,
    /// The contract names of the columns written, in source order.
    pub header: Vec<String>,
    /// Source columns that feed nothing.
    pub ignored: Vec<String>,
    /// Index of the source column feeding `participant_id`, if any.
    pub id_column: Option<usize>,
    decimal_comma: bool,
}

impl<'s> ColumnPlan<'s> {
    /// The plan of `table` for a source named `source_name` whose header is `header`.
    ///
    /// # Errors
    /// [`SourceError::Usage`] when `[source.columns]` maps a column the header lacks.
    pub fn new(
        table: CohortFile,
        header: &[String],
        spec: &'s SourceSpec,
        markers: &[&str],
        source_name: &str,
    ) -> Result<ColumnPlan<'s>, SourceError> {
        let renames = spec.columns.of(table);
        let mut names: Vec<Option<String>> = vec![None; header.len()];
        for (contract, column) in renames {
            let Some(i) = header.iter().position(|h| h == column) else {
                return Err(SourceError::Usage {
                    path: source_name.to_owned(),
                    key: format!("source.columns.{}.{contract}", table_key(table)),
                    message: format!(
                        "names column {column:?}, which {source_name} does not have; its columns are: {}. Write one of them (exactly, case and spaces included)",
                        quoted_list(header)
                    ),
                });
            };
            names[i] = Some(contract.clone());
        }
        let known = contract_columns(table, markers);
        let mut ignored = Vec::new();
        for (i, h) in header.iter().enumerate() {
            if names[i].is_some() {
                continue;
            }
            let claimed = renames.iter().any(|(contract, _)| contract == h);
            if known.contains(&h.as_str()) && !claimed {
                names[i] = Some(h.clone());
            } else if !h.is_empty() {
                ignored.push(h.clone());
            }
        }
        let mut out = Vec::new();
        let mut written = Vec::new();
        let mut id_column = None;
        for (i, name) in names.into_iter().enumerate() {
            let Some(name) = name else { continue };
            if name == "participant_id" {
                id_column.get_or_insert(i);
            }
            out.push(Out {
                source: i,
                numeric: is_numeric(table, &name, markers),
                codes: spec.codes.of(&name).map(Cow::Borrowed),
                list: name == "contraindications",
            });
            written.push(name);
        }
        Ok(ColumnPlan {
            out,
            header: written,
            ignored,
            id_column,
            decimal_comma: spec.decimal == DecimalMark::Comma,
        })
    }

    /// The plan with its own copy of the codes it uses (a few entries each), for work that
    /// outlives the spec (the runs of a Parquet table written when its reader reaches them).
    pub fn into_owned(self) -> ColumnPlan<'static> {
        ColumnPlan {
            out: self
                .out
                .into_iter()
                .map(|o| Out {
                    source: o.source,
                    numeric: o.numeric,
                    codes: o.codes.map(|c| Cow::Owned(c.into_owned())),
                    list: o.list,
                })
                .collect(),
            header: self.header,
            ignored: self.ignored,
            id_column: self.id_column,
            decimal_comma: self.decimal_comma,
        }
    }

    /// The notices for the ignored columns of `source_name`.
    pub fn notices(&self, source_name: &str, table: CohortFile) -> Vec<String> {
        self.ignored
            .iter()
            .map(|c| {
                format!(
                    "{source_name}: column `{c}` is not mapped to a column of the {} table and is ignored (map it under [source.columns.{}] if it is one)",
                    table_key(table),
                    table_key(table)
                )
            })
            .collect()
    }

    /// A builder of `table` whose header is this plan's, at `header_location`.
    pub fn builder(&self, table: CohortFile, source: usize, header_location: u64) -> TableBuilder {
        let names: Vec<&str> = self.header.iter().map(String::as_str).collect();
        TableBuilder::new(table, source, &names, header_location)
    }

    /// Writes the row at `location` whose source cell `i` is `cell(i)` (raw bytes; a cell that
    /// is not UTF-8 passes unchanged, for the contract's check to report).
    #[inline]
    pub fn write_row<'c>(
        &self,
        builder: &mut TableBuilder,
        location: u64,
        cell: impl Fn(usize) -> &'c [u8],
    ) {
        builder.start_row(location);
        for o in &self.out {
            let raw = cell(o.source);
            if self.passes(o) {
                builder.cell(raw);
            } else {
                self.translated(builder, o, raw);
            }
        }
    }

    /// True when column `o`'s values are written as they are (no codes, no decimal comma).
    #[inline]
    fn passes(&self, o: &Out<'_>) -> bool {
        o.codes.is_none() && !(o.numeric && self.decimal_comma)
    }

    /// Writes `raw` translated for column `o` (as it is when it is not UTF-8, for the
    /// contract's check to reject).
    fn translated(&self, builder: &mut TableBuilder, o: &Out<'_>, raw: &[u8]) {
        match std::str::from_utf8(raw) {
            Ok(text) => builder.cell(self.translate(o, text).as_bytes()),
            Err(_) => builder.cell(raw),
        }
    }

    /// The source column feeding each column written, in the header's order, and whether
    /// its values are written as they are (no codes, no decimal comma).
    pub fn sources(&self) -> impl Iterator<Item = (usize, bool)> + '_ {
        self.out.iter().map(|o| (o.source, self.passes(o)))
    }

    /// Appends `text`, a value of the `j`th column written, translated (its codes, a decimal
    /// comma) to `out`.
    pub fn translate_into(&self, j: usize, text: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(self.translate(&self.out[j], text).as_bytes());
    }

    /// The contract's text for `text` in column `o`.
    fn translate<'t>(&self, o: &Out<'_>, text: &'t str) -> Cow<'t, str> {
        let mut value = Cow::Borrowed(text);
        if let Some(codes) = &o.codes {
            value = if o.list {
                code_list(codes, text)
            } else {
                match codes.get(crate::cohort::csvfile::trim(text)) {
                    Some(v) => Cow::Owned(v.clone()),
                    None => value,
                }
            };
        }
        if o.numeric && self.decimal_comma {
            value = decimal_point(value);
        }
        value
    }
}

/// Each `;`-separated item of `text` through `codes`.
fn code_list<'t>(codes: &BTreeMap<String, String>, text: &'t str) -> Cow<'t, str> {
    let trim = crate::cohort::csvfile::trim;
    if !text.split(';').any(|item| codes.contains_key(trim(item))) {
        return Cow::Borrowed(text);
    }
    let items: Vec<&str> = text
        .split(';')
        .map(|item| codes.get(trim(item)).map_or(item, String::as_str))
        .collect();
    Cow::Owned(items.join(";"))
}

/// `3,7` as `3.7`: one comma and no point. Anything else is left for the contract's check to
/// judge (`1.234,5` is not a number it takes).
fn decimal_point(value: Cow<'_, str>) -> Cow<'_, str> {
    let b = value.as_bytes();
    match memchr::memchr(b',', b) {
        Some(at) if memchr::memchr(b',', &b[at + 1..]).is_none() && !b.contains(&b'.') => {
            let mut s = value.into_owned();
            s.replace_range(at..at + 1, ".");
            Cow::Owned(s)
        }
        _ => value,
    }
}

/// `"a", "b"` for a message.
pub fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> SourceSpec {
        SourceSpec::from_toml(text, "trial.toml", &[])
            .unwrap()
            .unwrap()
    }

    fn row(plan: &ColumnPlan<'_>, cells: &[&str]) -> String {
        let mut b = plan.builder(CohortFile::Participants, 0, 1);
        plan.write_row(&mut b, 2, |i| cells[i].as_bytes());
        String::from_utf8(b.finish().records.to_csv()).unwrap()
    }

    #[test]
    fn renames_codes_and_decimal_commas() {
        let s = spec(
            r#"[source]
decimal = ","
[source.columns.participants]
participant_id = "Patient"
arm = "Gruppe"
[source.codes.arm]
"1" = "control"
[source.codes.contraindications]
"F" = "recent_fracture"
"#,
        );
        let header: Vec<String> = [
            "Patient",
            "Gruppe",
            "age",
            "Notiz",
            "contraindications",
            "site",
        ]
        .map(String::from)
        .to_vec();
        let plan = ColumnPlan::new(CohortFile::Participants, &header, &s, &[], "P.csv").unwrap();
        assert_eq!(
            plan.header,
            ["participant_id", "arm", "age", "contraindications", "site"]
        );
        assert_eq!(plan.ignored, ["Notiz"]);
        assert_eq!(
            row(&plan, &["P1", " 1 ", "45,0", "x", "F; burn", "Wing 3,5"]),
            "participant_id,arm,age,contraindications,site\nP1,control,45.0,recent_fracture; burn,\"Wing 3,5\"\n"
        );
        // An unknown code passes unchanged for the contract's check to reject.
        assert!(row(&plan, &["P1", "9", "1,2,3", "", "", ""]).contains("P1,9,\"1,2,3\""));
    }

    #[test]
    fn a_mapped_column_the_file_lacks_is_a_usage_error_listing_the_columns() {
        let s = spec("[source.columns.participants]\nparticipant_id = \"Patient No.\"");
        let header = vec!["Patient".to_owned(), "arm".to_owned()];
        let err = ColumnPlan::new(CohortFile::Participants, &header, &s, &[], "P.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`source.columns.participants.participant_id` names column \"Patient No.\", which P.csv does not have; its columns are: \"Patient\", \"arm\""),
            "{err}"
        );
    }
}
