//! Helpers for the integration tests: a cohort folder written from string literals into a
//! temporary directory, a runner for the real `trialdose` binary, and small readers for the
//! files it writes (CSV rows as maps by header, the per-file counts it prints).
//!
//! The readers are deliberately independent of the crate's own code, so a bug in its writer
//! cannot hide behind the same bug in a shared reader.

// Shared by several test crates; each uses a different part.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// Header of participants.csv used by most tests (the contract's column order).
pub const PARTICIPANTS_HEADER: &str =
    "participant_id,arm,age,sex,site,randomized_on,contraindications,medical_clearance";
/// Header of sessions.csv.
pub const SESSIONS_HEADER: &str = "participant_id,date,minutes,status,therapist,adverse_event";
/// Header of scores.csv.
pub const SCORES_HEADER: &str = "participant_id,week,pain,ndi";

/// Joins a header and rows into file text with LF line ends and a final newline.
pub fn csv(header: &str, rows: &[&str]) -> String {
    let mut s = String::from(header);
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// The date `offset` days after Monday 2013-01-07 (day 0 of most test participants),
/// written `YYYY-MM-DD`. Valid for offsets up to about 300 days.
pub fn day(offset: u32) -> String {
    const MONTH_DAYS_2013: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 0usize;
    let mut d = 7 + offset;
    while d > MONTH_DAYS_2013[month] {
        d -= MONTH_DAYS_2013[month];
        month += 1;
        assert!(month < 12, "day({offset}) leaves 2013");
    }
    format!("2013-{:02}-{:02}", month + 1, d)
}

/// A temporary directory holding a cohort folder (`<tmp>/cohort`) and room for outputs.
pub struct Cohort {
    tmp: TempDir,
}

impl Cohort {
    /// A cohort whose three files hold exactly these texts.
    pub fn new(participants: &str, sessions: &str, scores: &str) -> Cohort {
        Cohort::from_bytes(
            participants.as_bytes(),
            sessions.as_bytes(),
            scores.as_bytes(),
        )
    }

    /// A cohort whose three files hold exactly these bytes (for BOMs and CRLF).
    pub fn from_bytes(participants: &[u8], sessions: &[u8], scores: &[u8]) -> Cohort {
        let tmp = tempfile::tempdir().expect("creating a temporary directory");
        let dir = tmp.path().join("cohort");
        std::fs::create_dir(&dir).expect("creating the cohort folder");
        for (name, bytes) in [
            ("participants.csv", participants),
            ("sessions.csv", sessions),
            ("scores.csv", scores),
        ] {
            std::fs::write(dir.join(name), bytes).expect("writing a cohort file");
        }
        Cohort { tmp }
    }

    /// Adds a `trial.toml` to the cohort folder.
    pub fn with_trial(self, toml: &str) -> Cohort {
        std::fs::write(self.dir().join("trial.toml"), toml).expect("writing trial.toml");
        self
    }

    /// The cohort folder.
    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("cohort")
    }

    /// A path inside the temporary directory, next to the cohort folder (for outputs).
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Removes one of the cohort's files.
    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.dir().join(name)).expect("removing a cohort file");
    }

    /// Runs `trialdose validate COHORT --out <tmp>/ledger` and reads the ledger.
    pub fn validate(&self) -> (Run, Table) {
        let out = self.path("ledger");
        let run = trialdose([
            OsStr::new("validate"),
            self.dir().as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ]);
        let ledger_path = out.join("rejections.csv");
        assert!(
            ledger_path.is_file(),
            "validate wrote no {}\n{run}",
            ledger_path.display()
        );
        let ledger = Table::read(&ledger_path);
        (run, ledger)
    }

    /// Runs `trialdose analyze COHORT --out <tmp>/<out> EXTRA...`.
    pub fn analyze(&self, out: &str, extra: &[&str]) -> (Run, PathBuf) {
        let out = self.path(out);
        let mut args = vec![
            OsStr::new("analyze").to_owned(),
            self.dir().into_os_string(),
            OsStr::new("--out").to_owned(),
            out.clone().into_os_string(),
        ];
        args.extend(extra.iter().map(|a| OsStr::new(a).to_owned()));
        (trialdose(args), out)
    }

    /// Runs `analyze` and insists on exit 0.
    pub fn analyze_ok(&self, out: &str, extra: &[&str]) -> PathBuf {
        let (run, dir) = self.analyze(out, extra);
        assert_eq!(run.code, 0, "analyze {extra:?} should succeed\n{run}");
        dir
    }
}

/// What a run of the binary produced.
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    args: Vec<String>,
}

impl Run {
    /// Standard output and standard error together (for messages that may go to either).
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "trialdose {}\nexit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }
}

/// Runs the real binary with `args`.
pub fn trialdose<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    trialdose_with_env(args, &[])
}

/// Runs the real binary with `args`, each environment variable of `env` set to its value or,
/// for `None`, removed.
pub fn trialdose_with_env<I, S>(args: I, env: &[(&str, Option<&str>)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trialdose"));
    cmd.args(&args).env_remove("RUST_BACKTRACE");
    for (name, value) in env {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    let output = cmd.output().expect("running the trialdose binary");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        args: args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    }
}

/// Runs the real binary with `args` whose stdout is closed before it prints anything (like
/// `| head -0`); returns the exit code (None when killed by a signal) and stderr.
pub fn trialdose_with_closed_stdout<I, S>(args: I) -> (Option<i32>, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_trialdose"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running the trialdose binary");
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr was piped")
        .read_to_string(&mut stderr)
        .expect("reading stderr");
    let status = child.wait().expect("waiting for trialdose");
    (status.code(), stderr)
}

/// Parses RFC 4180 CSV text (comma, `"` quoting with doubled quotes, LF or CRLF) into
/// records of fields. Independent of the crate's own reader on purpose.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                any = false;
            }
            _ => field.push(c),
        }
    }
    assert!(
        !in_quotes,
        "unterminated quoted field in CSV output:\n{text}"
    );
    if any {
        record.push(field);
        records.push(record);
    }
    records
}

/// One CSV row, by column name.
pub type Row = BTreeMap<String, String>;

/// A CSV file read back: its raw text, header and rows as maps by header.
pub struct Table {
    /// Where it was read from.
    pub path: PathBuf,
    /// The raw text.
    pub text: String,
    /// Column names in file order.
    pub header: Vec<String>,
    /// Data rows.
    pub rows: Vec<Row>,
}

impl Table {
    /// Reads and parses `path`; every row must have as many fields as the header.
    pub fn read(path: &Path) -> Table {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        Table::parse(path, text)
    }

    /// Parses CSV text (for stdout).
    pub fn parse(path: &Path, text: String) -> Table {
        let mut records = parse_csv(&text).into_iter();
        let header = records
            .next()
            .unwrap_or_else(|| panic!("{} has no header row", path.display()));
        let rows = records
            .enumerate()
            .map(|(i, r)| {
                assert_eq!(
                    r.len(),
                    header.len(),
                    "{} record {} has {} fields, the header {}:\n{text}",
                    path.display(),
                    i + 2,
                    r.len(),
                    header.len()
                );
                header.iter().cloned().zip(r).collect()
            })
            .collect();
        Table {
            path: path.to_owned(),
            text,
            header,
            rows,
        }
    }

    /// The only row whose `column` is `value`.
    pub fn row(&self, column: &str, value: &str) -> &Row {
        let found: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| r.get(column).map(String::as_str) == Some(value))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{}: expected exactly one row with {column} = {value:?}:\n{}",
            self.path.display(),
            self.text
        );
        found[0]
    }

    /// The value of `column` in every row, in order.
    pub fn column(&self, column: &str) -> Vec<&str> {
        self.rows
            .iter()
            .map(|r| {
                r.get(column)
                    .unwrap_or_else(|| panic!("{} has no column {column}", self.path.display()))
                    .as_str()
            })
            .collect()
    }

    /// Ledger records (rows of a rejections.csv) of `file` at `line`.
    pub fn records_at(&self, file: &str, line: u64) -> Vec<&Row> {
        let line = line.to_string();
        self.rows
            .iter()
            .filter(|r| r["file"] == file && r["line"] == line)
            .collect()
    }
}

/// How a text value appears in an output cell: the contract prefixes text that starts with
/// `=`, `+`, `-`, `@`, tab or CR with `'` (formula-injection guard).
pub fn text_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// Asserts that the ledger holds a record for `file` at `line` whose column and value are as
/// given (`None`: not fixed by the contract, not checked) and whose reason contains every
/// phrase (case-insensitive).
pub fn assert_record(
    ledger: &Table,
    file: &str,
    line: u64,
    column: Option<&str>,
    value: Option<&str>,
    phrases: &[&str],
) {
    if let Err(e) = check_record(ledger, file, line, column, value, phrases) {
        panic!("{e}");
    }
}

/// [`assert_record`] as a result, for table-driven tests that report every failing case.
pub fn check_record(
    ledger: &Table,
    file: &str,
    line: u64,
    column: Option<&str>,
    value: Option<&str>,
    phrases: &[&str],
) -> Result<(), String> {
    let at = ledger.records_at(file, line);
    if at.is_empty() {
        return Err(format!(
            "no ledger record for {file} line {line}; the ledger:\n{}",
            ledger.text
        ));
    }
    let matches = |r: &&Row| {
        column.is_none_or(|c| r["column"] == c)
            && value.is_none_or(|v| r["value"] == text_cell(v))
            && phrases
                .iter()
                .all(|p| r["reason"].to_lowercase().contains(&p.to_lowercase()))
    };
    if at.iter().any(matches) {
        Ok(())
    } else {
        Err(format!(
            "no ledger record for {file} line {line} with column {column:?}, value {value:?} \
             (as written: {:?}) and a reason containing {phrases:?}; the ledger:\n{}",
            value.map(text_cell),
            ledger.text
        ))
    }
}

/// Row counts of one file.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct Counts {
    /// Data rows.
    pub rows: u64,
    /// Accepted.
    pub accepted: u64,
    /// Rejected.
    pub rejected: u64,
    /// Ignored exact duplicates.
    pub ignored: u64,
}

impl Counts {
    /// Shorthand constructor: rows, accepted, rejected, ignored.
    pub const fn of(rows: u64, accepted: u64, rejected: u64, ignored: u64) -> Counts {
        Counts {
            rows,
            accepted,
            rejected,
            ignored,
        }
    }

    /// `accepted + rejected + ignored = rows`.
    pub fn balanced(&self) -> bool {
        self.accepted + self.rejected + self.ignored == self.rows
    }
}

/// The per-file lines `NAME  R rows = A accepted + X rejected + D ignored duplicates` of a
/// run's output, by file name.
pub fn printed_counts(text: &str) -> BTreeMap<String, Counts> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() == 13
            && t[2] == "rows"
            && t[3] == "="
            && t[5] == "accepted"
            && t[8] == "rejected"
            && t[11..] == ["ignored", "duplicates"]
        {
            let n = |s: &str| {
                s.parse::<u64>()
                    .unwrap_or_else(|_| panic!("bad count {s:?} in {line:?}"))
            };
            out.insert(
                t[0].to_owned(),
                Counts::of(n(t[1]), n(t[4]), n(t[7]), n(t[10])),
            );
        }
    }
    out
}

/// The per-file counts recorded in `summary.json` (`files`), by file name.
pub fn summary_counts(summary: &serde_json::Value) -> BTreeMap<String, Counts> {
    let files = summary["files"]
        .as_array()
        .unwrap_or_else(|| panic!("summary.json has no `files` array:\n{summary:#}"));
    files
        .iter()
        .map(|f| {
            let n = |k: &str| {
                f[k].as_u64()
                    .unwrap_or_else(|| panic!("summary.json file entry without `{k}`: {f}"))
            };
            let name = f["file"]
                .as_str()
                .unwrap_or_else(|| panic!("summary.json file entry without `file`: {f}"));
            (
                name.to_owned(),
                Counts::of(
                    n("rows"),
                    n("accepted"),
                    n("rejected"),
                    n("ignored_duplicates"),
                ),
            )
        })
        .collect()
}

/// Reads and parses a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The names of the entries of a directory, sorted.
/// The names in `dir`, sorted, without the output folder's lock file `.trialdose.lock`: it stays
/// after a run by design (removing a lock file others may have opened would let two runs hold
/// "the" lock at once; tests/safe_io.rs checks it), and no listing of results should show it.
pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| {
            e.expect("reading a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name != ".trialdose.lock")
        .collect();
    names.sort();
    names
}

/// Parses a number cell (plain decimal) of an output.
pub fn num(row: &Row, column: &str) -> f64 {
    let v = row
        .get(column)
        .unwrap_or_else(|| panic!("no column {column} in {row:?}"));
    v.parse()
        .unwrap_or_else(|_| panic!("column {column} is {v:?}, not a number, in {row:?}"))
}

/// Runs `COMMAND COHORT --out OUT EXTRA...`; the run must succeed.
pub fn run_ok(command: &str, cohort: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        command,
        cohort.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = trialdose(&args);
    assert_eq!(run.code, 0, "{run}");
    run
}

/// Runs `COMMAND` (`report`, `audit`) on the example cohort into `NAME/` of a new temporary
/// folder, with `extra` arguments; the run must succeed.
pub fn example_into(command: &str, name: &str, extra: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = dream_like().expect("example cohort");
    run_ok(command, &cohort, &tmp.path().join(name), extra);
    tmp
}

/// Runs `report` on the example cohort into `rep/` of a new temporary folder, with `extra`
/// arguments; the run must succeed.
pub fn report_example(extra: &[&str]) -> tempfile::TempDir {
    example_into("report", "rep", extra)
}

/// The text of an HTML page: its tags removed, its entities undone.
pub fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut tag = false;
    for c in html.chars() {
        match c {
            '<' => tag = true,
            '>' => tag = false,
            c if !tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The committed example cohort, when it exists.
pub fn dream_like() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dream-like");
    ["participants.csv", "sessions.csv", "scores.csv"]
        .iter()
        .all(|f| dir.join(f).is_file())
        .then_some(dir)
}

/// A site name a spreadsheet would run as a formula.
pub const HOSTILE: &str = "=HYPERLINK(\"http://x\",\"y\")";

/// A generated cohort of 300 whose first participants have the hostile site name (and one
/// a `+` site), with one rejected row (an age that is no number).
pub fn hostile_cohort() -> Cohort {
    let generated = tempfile::tempdir().unwrap();
    let dir = generated.path().join("cohort");
    let run = trialdose([
        "generate".as_ref(),
        dir.as_os_str(),
        "--participants".as_ref(),
        "300".as_ref(),
        "--seed".as_ref(),
        "7".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let path = dir.join("participants.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields: Vec<String> = line.split(',').map(str::to_owned).collect();
        match i {
            1..=5 => fields[4] = format!("\"{}\"", HOSTILE.replace('"', "\"\"")),
            6 => fields[4] = "+Site 1".to_owned(),
            7 => fields[2] = "forty".to_owned(),
            _ => {}
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    Cohort::new(&out, &read("sessions.csv"), &read("scores.csv"))
}

/// The CSV's text of a text cell: the writer's `'` in front of a formula character removed.
pub fn unguarded(csv: &str) -> &str {
    match csv.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => csv,
    }
}

/// A typed cell read back from a results file (a workbook's or a Parquet file's), to compare
/// with the CSV's text.
#[derive(Debug)]
pub enum TypedCell<'a> {
    /// Empty or null.
    Empty,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Text(&'a str),
}

/// Asserts that `got` holds the CSV cell `want`: empty as empty, a boolean as `true`/`false`,
/// an integer as the same integer, a float equal to the CSV number to the last bit, text as
/// the same text without the CSV's formula guard. `at` names the cell in the message.
pub fn assert_cell_is_csv(want: &str, got: TypedCell<'_>, at: &str) {
    match got {
        TypedCell::Empty => assert!(want.is_empty(), "{at}"),
        TypedCell::Bool(b) => assert_eq!(want, if b { "true" } else { "false" }, "{at}"),
        TypedCell::Int(v) => assert_eq!(want.parse::<i64>().ok(), Some(v), "{at}"),
        TypedCell::Float(v) => {
            let parsed: f64 = want.parse().unwrap_or_else(|_| panic!("{at}"));
            assert_eq!(parsed.to_bits(), v.to_bits(), "{at}");
        }
        TypedCell::Text(s) => assert_eq!(unguarded(want), s, "{at}"),
    }
}

/// `analyze` options that write every optional result table (stratified, sensitivity,
/// adjusted, the margin's columns; invalid rows skipped so the rejections table is written):
/// what the workbook and Parquet checks run with, beside their own format flag.
pub const EVERY_TABLE: [&str; 10] = [
    "--skip-invalid",
    "--adjust",
    "baseline,age",
    "--stratify",
    "site",
    "--sensitivity",
    "--multiplicity",
    "holm",
    "--margin",
    "0.1",
];

/// The result tables `analyze` writes with [`EVERY_TABLE`], in the workbook's order (after its
/// `about` sheet).
pub const RESULT_TABLES: [&str; 9] = [
    "arms",
    "comparisons",
    "trend",
    "adjusted",
    "stratified",
    "sensitivity",
    "table1",
    "participants",
    "rejections",
];
