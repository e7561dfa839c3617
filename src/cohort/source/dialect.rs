//! `format = "csv"` in a clinic's dialect: `;` or tab separators (or detected), decimal
//! commas, Windows-1252 text, renamed columns and coded values, translated into the
//! contract's tables line for line.
//!
//! The file is decoded to UTF-8 first (encoding_rs; a UTF-8 byte-order mark wins over the
//! declared encoding, with a notice), then read by the contract's own tokenizer with the
//! dialect's separator as a constant (`csvfile::Tokenizer<D>`), so quoting, blank lines and
//! physical line numbers are exactly the contract's. Each record is written at its own line,
//! so the ledger names the file's own lines. A record the tokenizer finds malformed, or with
//! another number of fields than the header, is rejected here with the contract's wording.
//!
//! A file's body is translated in pieces cut at line ends, on threads, and the pieces' records
//! appended in order with their lines moved on: the same table as one pass (a cut inside a
//! quoted cell makes the body be read again as one piece). One thread translated the 40 MB
//! sessions file of a 100,000-participant cohort while the other core idled; in pieces the
//! `analyze` takes 0.93 of that time (benches/README.md, "sources").

use std::borrow::Cow;
use std::path::Path;

use super::spec::{CsvSpec, Encoding, SourceSpec};
use super::{SourceError, Table, TableJob, TranslateOptions, Translation};
use crate::cohort::columns::{field_count_problem, malformed_problem};
use crate::cohort::csvfile::{self, Record, Tokenizer, trim};

/// Reads the three files of a csv `[source]`.
///
/// # Errors
/// [`SourceError`] for a file that cannot be read or a mapped column it lacks.
pub fn read(
    dir: &Path,
    spec: &SourceSpec,
    csv: &CsvSpec,
    options: TranslateOptions<'_>,
) -> Result<Translation, SourceError> {
    super::per_file(dir, spec, &csv.files, options, |bytes, _, job| {
        let text = decode(&bytes, csv.encoding, &job.source.name, job.notices);
        let delimiter = match csv.delimiter.byte() {
            Some(d) => d,
            None => {
                let (d, notice) = detect(&text, &job.source.name);
                job.notices.push(notice);
                d
            }
        };
        let translate_with: Translator = match delimiter {
            b';' => translate::<b';'>,
            b'\t' => translate::<b'\t'>,
            _ => translate::<b','>,
        };
        translate_with(&text, job)
    })
}

/// [`translate`] for one separator.
type Translator = fn(&[u8], TableJob<'_>) -> Result<Table, SourceError>;

/// The file's text as UTF-8 bytes: a UTF-8 file as it is (an invalid byte is left for the
/// contract's check to report, cell by cell), a Windows-1252 file decoded.
fn decode<'b>(
    bytes: &'b [u8],
    encoding: Encoding,
    name: &str,
    notices: &mut Vec<String>,
) -> Cow<'b, [u8]> {
    match encoding {
        Encoding::Utf8 => Cow::Borrowed(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)),
        Encoding::Windows1252 => {
            let (text, used, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            if used != encoding_rs::WINDOWS_1252 {
                notices.push(format!(
                    "{name}: starts with a {} byte-order mark, so it was read as {} although [source] says windows-1252",
                    used.name(),
                    used.name()
                ));
            }
            match text {
                Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
                Cow::Owned(s) => Cow::Owned(s.into_bytes()),
            }
        }
    }
}

/// The separator of `text` from its header line (the first line that is not blank): the
/// most frequent of `,`, `;` and tab outside quotes (a tie goes to that order; none at all is
/// a one-column file, read with `,`), and the notice saying so.
pub fn detect(text: &[u8], name: &str) -> (u8, String) {
    let start = text
        .iter()
        .position(|&c| c != b'\n' && c != b'\r')
        .unwrap_or(text.len());
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &c in &text[start..] {
        match c {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let seps = [(b',', "`,`"), (b';', "`;`"), (b'\t', "tab")];
    let mut best = 0;
    for k in 1..3 {
        if counts[k] > counts[best] {
            best = k;
        }
    }
    let notice = format!(
        "{name}: fields are separated by {} (detected from the header line: {} `,`, {} `;`, {} tabs); set delimiter in [source] to fix it",
        seps[best].1, counts[0], counts[1], counts[2]
    );
    (seps[best].0, notice)
}

/// The translation of one file with separator `D`.
fn translate<const D: u8>(text: &[u8], mut job: TableJob<'_>) -> Result<Table, SourceError> {
    let (table, source_index) = (job.table, job.source_index);
    let mut tok = Tokenizer::<D>::with_separator(text, 1);
    let mut rec = Record::default();
    if !tok.next_record(&mut rec) {
        // An empty file: an empty table, which the contract's check reports.
        return Ok(super::TableBuilder::new(table, source_index, &[], 1).finish());
    }
    let header: Vec<String> = (0..rec.len())
        .map(|i| {
            let cell = String::from_utf8_lossy(rec.get(i));
            trim(&cell)
                .trim_matches(['\u{feff}', '\u{200b}'])
                .to_owned()
        })
        .collect();
    let plan = job.plan(&header)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let at = Body {
        text: &text[tok.offset()..],
        line: tok.line(),
        header_line: rec.line(),
    };
    let (builder, rows) = translate_body::<D>(&at, threads, &plan, &header, table, source_index);
    job.source.rows += rows;
    Ok(builder.finish())
}

/// A file's body: the bytes after its header line, the line they start on, and the header's.
struct Body<'t> {
    text: &'t [u8],
    line: u64,
    header_line: u64,
}

/// Translates the rows of `body` in about `pieces` pieces on threads
/// ([`csvfile::process_body`]: the same records and rejections as one pass, whatever the number
/// of pieces). Returns the table and its rows.
fn translate_body<const D: u8>(
    body: &Body<'_>,
    pieces: usize,
    plan: &super::plan::ColumnPlan<'_>,
    header: &[String],
    table: crate::cohort::ledger::CohortFile,
    source_index: usize,
) -> (super::TableBuilder, u64) {
    let separator = match D {
        b';' => "semicolon",
        b'\t' => "tab",
        _ => "comma",
    };
    let parts = csvfile::process_body::<D, _, _, _, _>(
        body.text,
        body.line,
        pieces,
        || Piece {
            builder: plan.builder(table, source_index, 0),
            rows: 0,
        },
        |piece, rec| piece.write(rec, plan, header, separator),
        |piece, by| piece.builder.shift_locations(by),
    );
    let mut builder = plan.builder(table, source_index, body.header_line);
    let mut rows = 0;
    for part in parts {
        rows += part.rows;
        builder.append(part.builder);
    }
    (builder, rows)
}

/// What one piece of a file's body gave.
struct Piece {
    builder: super::TableBuilder,
    /// Its rows (records, rejected or not).
    rows: u64,
}

impl Piece {
    /// Writes the record `rec`, or rejects it when it is malformed or of another width than
    /// the header.
    fn write(
        &mut self,
        rec: &Record<'_>,
        plan: &super::plan::ColumnPlan<'_>,
        header: &[String],
        separator: &str,
    ) {
        if self.rows == 0 {
            // The piece's length in bytes: room for its records at once.
            self.builder.reserve(rec.rows_hint() / 32, rec.rows_hint());
        }
        self.rows += 1;
        let problem = match rec.malformed() {
            Some(m) => Some(malformed_problem(m)),
            None if rec.len() != header.len() => {
                Some(field_count_problem(rec.len(), header.len(), separator))
            }
            None => None,
        };
        if let Some(reason) = problem {
            let id = plan
                .id_column
                .filter(|&i| i < rec.len())
                .map(|i| String::from_utf8_lossy(rec.get(i)).into_owned())
                .unwrap_or_default();
            self.builder.reject(rec.line(), &id, "", "", reason);
            return;
        }
        plan.write_row(&mut self.builder, rec.line(), |i| rec.get(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cohort::ledger::CohortFile;
    use crate::cohort::source::plan::ColumnPlan;

    /// A table's records (line and fields) and rejections (line, id and reason).
    type Contents = (Vec<(u64, Vec<Vec<u8>>)>, Vec<(u64, String, String)>);

    /// Every record and every rejection of a table.
    fn contents(t: &Table) -> Contents {
        let rejected = t
            .rejected
            .iter()
            .map(|r| (r.location, r.id.clone(), r.reason.clone()))
            .collect();
        (t.records.records(), rejected)
    }

    #[test]
    fn a_body_read_in_pieces_gives_what_one_pass_gives() {
        let spec = SourceSpec::from_toml(
            "[source]\ndelimiter = \";\"\ndecimal = \",\"\n[source.codes.status]\n\"DNA\" = \"missed\"\n",
            "trial.toml",
            &[],
        )
        .unwrap()
        .unwrap();
        let header: Vec<String> = ["participant_id", "date", "minutes", "status"]
            .map(String::from)
            .to_vec();
        let plan = ColumnPlan::new(CohortFile::Sessions, &header, &spec, &[], "s.csv").unwrap();
        // About 3 MB of rows (cut into pieces from 2 MiB), with CRLFs, blank lines, a quoted
        // separator, a decimal comma, a code, rows with a field too few or too many, and (the
        // second body) a cell holding line breaks across the middle, where the cuts fall.
        let mut plain = Vec::new();
        for i in 0..100_000 {
            let row = match i % 1000 {
                7 => format!("P{i};2024-01-02;30\r\n"),
                11 => format!("P{i};\"2024;01\";30;attended\n\n"),
                13 => format!("P{i};2024-01-02;30;attended;extra\n"),
                _ => format!(
                    "P{i};2024-01-02;30,5;{}\n",
                    if i % 2 == 0 { "DNA" } else { "attended" }
                ),
            };
            plain.extend_from_slice(row.as_bytes());
        }
        let mut multiline = plain.clone();
        let middle = multiline.len() / 2;
        let at = middle + memchr::memchr(b'\n', &multiline[middle..]).unwrap() + 1;
        let cell: String = (0..40_000).map(|k| format!("note {k}\n")).collect();
        multiline.splice(
            at..at,
            format!("P0;2024-01-02;30;\"{cell}\"\n").into_bytes(),
        );
        assert!(csvfile::cut_at_lines(&plain, 4).len() > 1);
        for text in [plain, multiline] {
            let body = Body {
                text: &text,
                line: 2,
                header_line: 1,
            };
            let whole = translate_body::<b';'>(&body, 1, &plan, &header, CohortFile::Sessions, 0);
            let want = contents(&whole.0.finish());
            assert!(
                want.0.len() > 90_000 && want.1.len() >= 200,
                "{}",
                want.1.len()
            );
            for pieces in [2, 3, 4] {
                let (builder, rows) =
                    translate_body::<b';'>(&body, pieces, &plan, &header, CohortFile::Sessions, 0);
                assert_eq!(rows, whole.1, "{pieces} pieces");
                assert!(contents(&builder.finish()) == want, "{pieces} pieces");
            }
        }
    }

    #[test]
    fn the_separator_is_the_most_frequent_outside_quotes() {
        assert_eq!(detect(b"a;b;\"c,d,e\"\n1;2;3", "x.csv").0, b';');
        assert_eq!(detect(b"\n\na\tb\tc\n", "x.csv").0, b'\t');
        assert_eq!(detect(b"a,b\n", "x.csv").0, b',');
        let (sep, notice) = detect(b"one\n", "x.csv");
        assert_eq!(sep, b',');
        assert!(notice.contains("0 `,`, 0 `;`, 0 tabs"), "{notice}");
    }

    #[test]
    fn windows_1252_is_decoded_and_a_bom_wins() {
        let mut notices = Vec::new();
        let text = decode(
            b"Z\xfcrich \x80",
            Encoding::Windows1252,
            "x.csv",
            &mut notices,
        );
        assert_eq!(std::str::from_utf8(&text).unwrap(), "Zürich €");
        assert!(notices.is_empty());
        let text = decode(
            b"\xEF\xBB\xBFZ\xc3\xbc",
            Encoding::Windows1252,
            "x.csv",
            &mut notices,
        );
        assert_eq!(std::str::from_utf8(&text).unwrap(), "Zü");
        assert_eq!(notices.len(), 1);
    }
}
