//! Header handling shared by the three files: which column holds which field, which
//! required columns are missing, which unknown columns are ignored, and per-row problem
//! collection with the contract's wording.

use super::csvfile::{CsvSource, MAX_CELL_BYTES, Record, trim};
use super::ledger::{CohortFile, Rejection};

/// Where each known column sits in a file's header.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Index in the record of each known column (same order as the `known` list).
    pub index: Vec<Option<usize>>,
    /// Number of fields a row must have.
    pub width: usize,
    /// Why no row of this file can be read (missing required column, duplicate name).
    pub fatal: Option<(String, String)>,
    /// Unknown columns, ignored with a notice.
    pub ignored: Vec<String>,
}

impl Columns {
    /// [`Columns::map`] for the header of `source`, the `file` table. A table translated
    /// from another source whose columns `[source]` maps none of has no header but has rows:
    /// its problem is the mapping, not an empty file, and the reason says so.
    pub fn of(
        source: &CsvSource<'_>,
        file: CohortFile,
        known: &[&str],
        required: &[&str],
    ) -> Columns {
        let mut cols = Columns::map(source.header(), known, required);
        if source.header().is_empty() && source.has_records() {
            let table = crate::cohort::source::spec::table_key(file);
            cols.fatal = Some((
                String::new(),
                format!(
                    "none of the source's columns is mapped to a column of the {table} table (the notes name the columns ignored); map them under [source.columns.{table}], at least: {}",
                    required.join(",")
                ),
            ));
        }
        cols
    }

    /// Maps `header` against the `known` column names; `required` must all be present.
    pub fn map(header: &[String], known: &[&str], required: &[&str]) -> Columns {
        let mut index = vec![None; known.len()];
        let mut ignored = Vec::new();
        let mut fatal = None;
        for (i, name) in header.iter().enumerate() {
            match known.iter().position(|k| k == name) {
                Some(k) if index[k].is_some() => {
                    fatal.get_or_insert((
                        name.clone(),
                        format!("column `{name}` appears twice in the header; keep one"),
                    ));
                }
                Some(k) => index[k] = Some(i),
                None => ignored.push(name.clone()),
            }
        }
        if header.is_empty() {
            fatal = Some((
                String::new(),
                format!(
                    "the file is empty; it needs a header row with at least: {}",
                    required.join(",")
                ),
            ));
        }
        for r in required {
            let k = known.iter().position(|k| k == r);
            if k.and_then(|k| index[k]).is_none() && fatal.is_none() {
                fatal = Some((
                    (*r).to_owned(),
                    format!(
                        "the header has no `{r}` column (required); the header is: {:?}",
                        header
                    ),
                ));
            }
        }
        Columns {
            index,
            width: header.len(),
            fatal,
            ignored,
        }
    }
}

/// Problems found in one row, turned into ledger records at the end of the row.
#[derive(Debug, Default)]
pub struct RowProblems {
    items: Vec<(String, String, String)>,
}

impl RowProblems {
    /// Records a problem with `column` whose cell holds `value`.
    pub fn add(&mut self, column: &str, value: &str, reason: impl Into<String>) {
        self.items
            .push((column.to_owned(), value.to_owned(), reason.into()));
    }
    /// The first reason recorded, or `""`.
    pub fn first_reason(&self) -> &str {
        self.items.first().map(|i| i.2.as_str()).unwrap_or("")
    }
    /// True when the row is clean so far.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Moves the problems into `out` as rejections at `line` of `file`.
    pub fn drain_into(&mut self, file: CohortFile, line: u64, out: &mut Vec<Rejection>) {
        for (column, value, reason) in self.items.drain(..) {
            out.push(Rejection {
                file,
                source: None,
                line,
                column,
                value,
                reason,
            });
        }
    }
}

impl Columns {
    /// Where each known column sits when the header holds exactly the `N` known columns, in
    /// any order (what the readers' fast paths read): field `order[k]` of a row is known
    /// column `k`.
    pub fn order<const N: usize>(&self) -> Option<[usize; N]> {
        if self.fatal.is_some() || self.width != N || self.index.len() != N {
            return None;
        }
        let mut order = [0; N];
        for (slot, i) in order.iter_mut().zip(&self.index) {
            *slot = (*i)?;
        }
        Some(order)
    }
}

/// Checks the shape of a record (quoting, field count). `None` when it is fine.
pub fn shape_problem(rec: &Record<'_>, cols: &Columns) -> Option<String> {
    if let Some((_, reason)) = &cols.fatal {
        return Some(format!("row not read: {reason}"));
    }
    if let Some(m) = rec.malformed() {
        return Some(malformed_problem(m));
    }
    if rec.len() != cols.width {
        return Some(field_count_problem(rec.len(), cols.width, "comma"));
    }
    None
}

/// The reason for a record whose quoting is malformed (`why` from the tokenizer).
pub fn malformed_problem(why: &str) -> String {
    format!("the row {why}")
}

/// The reason for a record of `found` fields under a header of `width`, in a file whose
/// fields are separated by `separator` (`comma`, `semicolon`, `tab`).
pub fn field_count_problem(found: usize, width: usize, separator: &str) -> String {
    format!(
        "the row has {found} fields but the header has {width}; quote any field that contains a {separator}"
    )
}

/// The trimmed text of known column `k`, or `""` when the column is absent.
/// A cell that is not UTF-8 is reported and read as empty.
#[inline(always)]
pub fn cell<'r>(
    rec: &'r Record<'_>,
    cols: &Columns,
    k: usize,
    name: &str,
    problems: &mut RowProblems,
) -> &'r str {
    let Some(i) = cols.index[k] else { return "" };
    if rec.get(i).len() > MAX_CELL_BYTES {
        return too_long(rec.get(i), name, problems);
    }
    if rec.is_utf8() {
        // SAFETY: the record's chunk was checked to be UTF-8, and a field is a run of it cut at
        // ASCII separators (`,`, `"`, CR, LF) with ASCII quotes removed; ASCII bytes never
        // occur inside a multi-byte sequence, so the field is UTF-8 as well.
        return trim(unsafe { std::str::from_utf8_unchecked(rec.get(i)) });
    }
    match std::str::from_utf8(rec.get(i)) {
        Ok(s) => trim(s),
        Err(_) => {
            problems.add(
                name,
                &String::from_utf8_lossy(rec.get(i)),
                format!("{name} is not valid UTF-8 text; save the file as UTF-8"),
            );
            ""
        }
    }
}

/// Rejects a cell longer than [`MAX_CELL_BYTES`]: the value in the ledger is its first 40
/// characters (control characters escaped) and its length; the cell reads as empty.
#[cold]
fn too_long<'r>(raw: &[u8], name: &str, problems: &mut RowProblems) -> &'r str {
    // Cut at a byte bound first, so a cell of many megabytes is never converted whole.
    let head = String::from_utf8_lossy(&raw[..raw.len().min(4 * 40)]);
    let mut shown: String = head
        .chars()
        .take(40)
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    shown.push_str(&format!("... ({} bytes)", raw.len()));
    problems.add(
        name,
        &shown,
        format!(
            "{name} is {} bytes long; a cell may hold at most {MAX_CELL_BYTES} bytes (64 KiB): shorten it",
            raw.len()
        ),
    );
    ""
}

/// Records for a problem with the header itself (an empty file, a missing required column, a
/// repeated or malformed column name), at the header's line. They are not row rejections:
/// the rows of such a file are rejected one by one.
pub fn header_rejections(
    file: CohortFile,
    source: &CsvSource<'_>,
    cols: &Columns,
) -> Vec<Rejection> {
    let mut out = Vec::new();
    if let Some((column, reason)) = &cols.fatal {
        out.push(Rejection {
            file,
            source: None,
            line: source.header_line(),
            column: column.clone(),
            value: String::new(),
            reason: reason.clone(),
        });
    }
    if let Some(problem) = source.header_problem() {
        out.push(Rejection {
            file,
            source: None,
            line: source.header_line(),
            column: String::new(),
            value: String::new(),
            reason: format!("the header row {problem}"),
        });
    }
    out
}
