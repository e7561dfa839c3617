//! `[source]` in trial.toml: the same cohort written as contract CSV, as a clinic's CSV
//! dialect (`;`, Windows-1252, decimal commas, renamed columns, coded values) and as an xlsx
//! workbook gives byte-identical analysis files and the same rejections, each at the source's
//! own line or sheet row; bad mappings are usage errors naming the key; `convert` and `init`
//! round-trip. Every test file is generated here, from a `trialdose generate` cohort.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use util::{Table, parse_csv, trialdose};

/// A table as header + rows of text.
#[derive(Clone, Debug)]
struct Grid {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Grid {
    fn read(path: &Path) -> Grid {
        let text = std::fs::read_to_string(path).unwrap();
        let mut all = parse_csv(&text);
        let header = all.remove(0);
        Grid { header, rows: all }
    }
    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }
    fn set(&mut self, row: usize, col: &str, value: &str) {
        let c = self.col(col);
        self.rows[row][c] = value.to_owned();
    }
    /// CSV text with separator `sep` and line end `eol`, quoting as RFC 4180 does.
    fn to_csv(&self, sep: char, eol: &str) -> String {
        let mut out = String::new();
        for r in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = r
                .iter()
                .map(|c| {
                    if c.contains(sep) || c.contains('"') || c.contains('\n') {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.clone()
                    }
                })
                .collect();
            out.push_str(&cells.join(&sep.to_string()));
            out.push_str(eol);
        }
        out
    }
}

/// The three tables of a small generated cohort, with faults of every kind the ledger
/// knows: an unknown arm, a bad age, a conflicting and an exact duplicate, a site with a
/// comma and umlauts, a bad clearance, bad minutes and status, a quoted line break, a pain
/// out of range, a decimal pain, a duplicated score row.
fn faulty_tables(tmp: &Path) -> [Grid; 3] {
    let gen_dir = tmp.join("gen");
    let run = trialdose([
        "generate".as_ref(),
        gen_dir.as_os_str(),
        "--participants".as_ref(),
        "60".as_ref(),
        "--seed".as_ref(),
        "5".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let mut p = Grid::read(&gen_dir.join("participants.csv"));
    let mut s = Grid::read(&gen_dir.join("sessions.csv"));
    let mut c = Grid::read(&gen_dir.join("scores.csv"));
    p.set(2, "arm", "90x9");
    p.set(4, "age", "abc");
    p.set(9, "site", "Zürich, Süd");
    p.set(11, "medical_clearance", "maybe");
    p.set(13, "contraindications", "burn");
    p.set(13, "medical_clearance", "yes");
    let dup = p.rows[6].clone();
    p.rows.push(dup);
    let mut conflict = p.rows[20].clone();
    conflict[p.col("age")] = "33".into();
    p.rows.push(conflict);
    s.set(3, "minutes", "-5");
    s.set(7, "status", "gone");
    s.set(30, "therapist", "T0\n2");
    c.set(2, "pain", "11");
    c.set(5, "pain", "4.25");
    let dup = c.rows[1].clone();
    c.rows.push(dup);
    [p, s, c]
}

const ARM_CODES: [(&str, &str); 6] = [
    ("control", "0"),
    ("30x2", "1"),
    ("30x3", "2"),
    ("60x1", "3"),
    ("60x2", "4"),
    ("60x3", "5"),
];
const STATUS_CODES: [(&str, &str); 3] = [
    ("attended", "ja"),
    ("missed", "DNA"),
    ("cancelled", "abgesagt"),
];

/// The clinic's version of the tables: renamed columns, coded arms and statuses, decimal
/// commas in pain.
fn clinic_tables(tables: &[Grid; 3]) -> [Grid; 3] {
    let [mut p, mut s, mut c] = tables.clone();
    let code = |table: &[(&str, &str)], v: &str| {
        table
            .iter()
            .find(|(from, _)| *from == v)
            .map_or(v.to_owned(), |(_, to)| (*to).to_owned())
    };
    let arm = p.col("arm");
    for r in &mut p.rows {
        r[arm] = code(&ARM_CODES, &r[arm]);
    }
    let id = p.col("participant_id");
    p.header[id] = "Patient Nr.".into();
    p.header[arm] = "Gruppe".into();
    let status = s.col("status");
    for r in &mut s.rows {
        r[status] = code(&STATUS_CODES, &r[status]);
    }
    s.header[status] = "Status".into();
    let pain = c.col("pain");
    for r in &mut c.rows {
        r[pain] = r[pain].replace('.', ",");
    }
    c.header[pain] = "Schmerz".into();
    [p, s, c]
}

const CLINIC_MAPPING: &str = r#"
[source.columns.participants]
participant_id = "Patient Nr."
arm = "Gruppe"

[source.columns.sessions]
status = "Status"

[source.columns.scores]
pain = "Schmerz"

[source.codes.arm]
"0" = "control"
"1" = "30x2"
"2" = "30x3"
"3" = "60x1"
"4" = "60x2"
"5" = "60x3"

[source.codes.status]
ja = "attended"
DNA = "missed"
abgesagt = "cancelled"
"#;

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn write_contract(dir: &Path, tables: &[Grid; 3]) {
    for (name, t) in ["participants.csv", "sessions.csv", "scores.csv"]
        .iter()
        .zip(tables)
    {
        write(&dir.join(name), t.to_csv(',', "\n").as_bytes());
    }
}

/// The clinic's export: `;`, Windows-1252, CRLF in one file.
fn write_dialect(dir: &Path, tables: &[Grid; 3], delimiter: &str) {
    let clinic = clinic_tables(tables);
    for ((name, t), eol) in ["Patienten.csv", "Termine.csv", "Werte.csv"]
        .iter()
        .zip(&clinic)
        .zip(["\r\n", "\n", "\n"])
    {
        let text = t.to_csv(';', eol);
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
        assert!(!unmappable);
        write(&dir.join(name), &bytes);
    }
    write(
        &dir.join("trial.toml"),
        format!(
            "name = \"DREAM-style neck pain dosing trial\"\n\n[source]\nformat = \"csv\"\ndelimiter = \"{delimiter}\"\ndecimal = \",\"\nencoding = \"windows-1252\"\nparticipants = \"Patienten.csv\"\nsessions = \"Termine.csv\"\nscores = \"Werte.csv\"\n{CLINIC_MAPPING}"
        )
        .as_bytes(),
    );
}

const NUMERIC: [&str; 5] = ["age", "minutes", "week", "pain", "ndi"];
const DATES: [&str; 2] = ["randomized_on", "date"];

/// The cohort as an xlsx workbook of typed cells: numbers as numbers, dates as dates,
/// clearance as booleans; one pain as a formula with its cached value.
fn write_xlsx(dir: &Path, tables: &[Grid; 3]) {
    let clinic = clinic_tables(tables);
    let mut book = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for ((sheet, t), original) in ["Patienten", "Termine", "Werte"]
        .iter()
        .zip(&clinic)
        .zip(tables)
    {
        let ws = book.add_worksheet();
        ws.set_name(*sheet).unwrap();
        for (c, h) in t.header.iter().enumerate() {
            ws.write_string(0, c as u16, h).unwrap();
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, value) in row.iter().enumerate() {
                let name = original.header[c].as_str();
                let col = c as u16;
                let number = value.replace(',', ".").parse::<f64>().ok();
                if value.is_empty() {
                    continue;
                } else if NUMERIC.contains(&name) && number.is_some() {
                    ws.write_number(r, col, number.unwrap()).unwrap();
                } else if DATES.contains(&name) {
                    let d = ExcelDateTime::parse_from_str(value).unwrap();
                    ws.write_datetime_with_format(r, col, &d, &date_format)
                        .unwrap();
                } else if name == "medical_clearance" && (value == "yes" || value == "no") {
                    ws.write_boolean(r, col, value == "yes").unwrap();
                } else {
                    ws.write_string(r, col, value).unwrap();
                }
            }
        }
        if *sheet == "Werte" && !original.rows[0][original.col("pain")].is_empty() {
            // Row 2's pain (as written in the CSV) as a formula with its cached value.
            let pain = original.col("pain");
            let value = &original.rows[0][pain];
            ws.write_formula(
                1,
                pain as u16,
                Formula::new(format!("={value}+0")).set_result(value),
            )
            .unwrap();
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    book.save(dir.join("klinik.xlsx")).unwrap();
    write(
        &dir.join("trial.toml"),
        format!(
            "[source]\nformat = \"xlsx\"\nworkbook = \"klinik.xlsx\"\nparticipants = \"Patienten\"\nsessions = \"Termine\"\nscores = \"Werte\"\n{CLINIC_MAPPING}"
        )
        .as_bytes(),
    );
}

fn analyze(cohort: &Path, out: &Path) -> util::Run {
    let run = trialdose([
        "analyze".as_ref(),
        cohort.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--skip-invalid".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    run
}

/// Rejections as (file, line, column, value, reason).
fn rejections(out: &Path) -> Vec<[String; 5]> {
    let table = Table::read(&out.join("rejections.csv"));
    table
        .rows
        .iter()
        .map(|r| ["file", "line", "column", "value", "reason"].map(|c| r[c].clone()))
        .collect()
}

fn same_analysis(a: &Path, b: &Path) {
    for f in ["arms.csv", "comparisons.csv", "participants.csv"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// Rejections as (column, value, reason) without any location, sorted: what must agree
/// between sources whose locations differ (sheet rows, Parquet row numbers, REDCap export
/// lines). Reasons quote other rows' lines ("(line 7)", "on lines 5, 9"): cut there.
fn located_nowhere(rows: Vec<[String; 5]>) -> Vec<[String; 3]> {
    let mut out: Vec<[String; 3]> = rows
        .into_iter()
        .map(|[_, _, column, value, reason]| {
            let reason = reason
                .split(" (line ")
                .next()
                .unwrap_or_default()
                .split(" on lines ")
                .next()
                .unwrap_or_default()
                .to_owned();
            [column, value, reason]
        })
        .collect();
    out.sort();
    out
}

fn renamed(rows: Vec<[String; 5]>, names: &BTreeMap<&str, &str>) -> Vec<[String; 5]> {
    rows.into_iter()
        .map(|mut r| {
            r[0] = names
                .get(r[0].as_str())
                .map_or(r[0].clone(), |n| (*n).to_owned());
            r
        })
        .collect()
}

struct Setup {
    tmp: tempfile::TempDir,
    tables: [Grid; 3],
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let tables = faulty_tables(tmp.path());
        write_contract(&tmp.path().join("contract"), &tables);
        Setup { tmp, tables }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
}

#[test]
fn a_semicolon_windows_1252_export_analyses_as_the_contract_csv() {
    let s = Setup::new();
    write_dialect(&s.path("clinic"), &s.tables, ";");
    let contract = analyze(&s.path("contract"), &s.path("out-contract"));
    let clinic = analyze(&s.path("clinic"), &s.path("out-clinic"));
    same_analysis(&s.path("out-contract"), &s.path("out-clinic"));
    let names = BTreeMap::from([
        ("participants.csv", "Patienten.csv"),
        ("sessions.csv", "Termine.csv"),
        ("scores.csv", "Werte.csv"),
    ]);
    let expected = renamed(rejections(&s.path("out-contract")), &names);
    let got = rejections(&s.path("out-clinic"));
    assert!(expected.len() >= 10, "{expected:?}");
    assert_eq!(got, expected);
    // The balance names the source files; the contract's printout is unchanged.
    assert!(
        contract.all_output().contains("\nparticipants.csv "),
        "{contract}"
    );
    let printed = clinic.all_output();
    for name in ["Patienten.csv", "Termine.csv", "Werte.csv"] {
        let line = printed
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no balance for {name}:\n{clinic}"));
        assert!(line.ends_with("+ 0 ignored"), "{line}");
    }
    // summary.json records the sources and their digests.
    let summary = util::read_json(&s.path("out-clinic").join("summary.json"));
    assert_eq!(summary["sources"][0]["name"], "Patienten.csv");
    assert_eq!(summary["files"][0]["source"], "Patienten.csv");
    let plain = util::read_json(&s.path("out-contract").join("summary.json"));
    assert!(plain.get("sources").is_none());
}

#[test]
fn the_delimiter_is_detected_and_said() {
    let s = Setup::new();
    write_dialect(&s.path("clinic"), &s.tables, "auto");
    let run = analyze(&s.path("clinic"), &s.path("out"));
    assert!(
        run.stderr
            .contains("Patienten.csv: fields are separated by `;` (detected from the header line"),
        "{run}"
    );
    analyze(&s.path("contract"), &s.path("out-contract"));
    same_analysis(&s.path("out-contract"), &s.path("out"));
    // A tab-separated UTF-8 file is detected too.
    let tab = s.path("tab");
    for (name, t) in ["participants.csv", "sessions.csv", "scores.csv"]
        .iter()
        .zip(&s.tables)
    {
        write(&tab.join(name), t.to_csv('\t', "\n").as_bytes());
    }
    write(&tab.join("trial.toml"), b"[source]\ndelimiter = \"auto\"\n");
    let run = analyze(&tab, &s.path("out-tab"));
    assert!(run.stderr.contains("separated by tab"), "{run}");
    same_analysis(&s.path("out-contract"), &s.path("out-tab"));
}

#[test]
fn an_xlsx_workbook_analyses_as_the_contract_csv_with_sheet_rows() {
    let s = Setup::new();
    write_xlsx(&s.path("book"), &s.tables);
    analyze(&s.path("contract"), &s.path("out-contract"));
    let run = analyze(&s.path("book"), &s.path("out-book"));
    same_analysis(&s.path("out-contract"), &s.path("out-book"));
    assert_eq!(
        located_nowhere(rejections(&s.path("out-book"))),
        located_nowhere(rejections(&s.path("out-contract")))
    );
    // Locations are sheet rows as Excel shows them: the unknown arm is on data row 3.
    let rows = rejections(&s.path("out-book"));
    assert!(
        rows.iter()
            .any(|r| r[0] == "klinik.xlsx[Patienten]" && r[1] == "4" && r[2] == "arm"),
        "{rows:?}"
    );
    assert!(run.all_output().contains("\nklinik.xlsx[Termine]"), "{run}");
}

/// A workbook from cells given as (row, column, cell) per sheet.
enum Cell<'a> {
    Text(&'a str),
    Number(f64),
    Bool(bool),
    Date(&'a str),
    Formula(&'a str, &'a str),
}

fn workbook(path: &Path, sheets: &[(&str, Vec<Vec<Option<Cell<'_>>>>)]) {
    let mut book = Workbook::new();
    let date_format = Format::new().set_num_format("dd.mm.yyyy");
    for (name, rows) in sheets {
        let ws = book.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    None => {}
                    Some(Cell::Text(t)) => {
                        ws.write_string(r, c, *t).unwrap();
                    }
                    Some(Cell::Number(n)) => {
                        ws.write_number(r, c, *n).unwrap();
                    }
                    Some(Cell::Bool(b)) => {
                        ws.write_boolean(r, c, *b).unwrap();
                    }
                    Some(Cell::Date(d)) => {
                        let d = ExcelDateTime::parse_from_str(d).unwrap();
                        ws.write_datetime_with_format(r, c, &d, &date_format)
                            .unwrap();
                    }
                    Some(Cell::Formula(f, v)) => {
                        ws.write_formula(r, c, Formula::new(*f).set_result(*v))
                            .unwrap();
                    }
                }
            }
        }
    }
    book.save(path).unwrap();
}

#[test]
fn typed_and_hostile_cells_become_the_contracts_text_or_a_rejection() {
    use Cell::*;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cohort");
    std::fs::create_dir_all(&dir).unwrap();
    let t = |s| Some(Text(s));
    // Excel holds at most 32,767 characters in a cell: three bytes each are 96,000 bytes.
    let huge = "€".repeat(32_000);
    let participants = vec![
        vec![
            t("participant_id"),
            t("arm"),
            t("age"),
            t("randomized_on"),
            t("contraindications"),
            t("medical_clearance"),
            t("site"),
        ],
        vec![
            t("P1"),
            t("60x2"),
            Some(Number(45.0)),
            Some(Date("2013-01-07")),
            t("burn"),
            Some(Bool(true)),
            t("=cmd|' /C calc'!A0"),
        ],
        vec![
            t("P2"),
            t("control"),
            Some(Formula("=40+1", "41")),
            Some(Date("2013-01-08")),
            None,
            Some(Bool(false)),
            t("North\nWing"),
        ],
        vec![
            t("P3"),
            t("60x2"),
            Some(Number(45.5)),
            t("2013-01-09"),
            None,
            None,
            None,
        ],
        vec![],
        vec![
            t("P4"),
            t("60x2"),
            Some(Formula("=1/0", "#DIV/0!")),
            None,
            None,
            None,
            None,
        ],
        vec![
            t("P5"),
            t("60x2"),
            Some(Number(50.0)),
            None,
            None,
            None,
            None,
            t("stray"),
        ],
        vec![
            t("P6"),
            t("60x2"),
            Some(Number(50.0)),
            None,
            None,
            None,
            Some(Text(&huge)),
        ],
    ];
    let sessions = vec![
        vec![t("participant_id"), t("date"), t("minutes"), t("status")],
        vec![
            t("P1"),
            Some(Date("2013-01-07")),
            Some(Number(60.0)),
            t("attended"),
        ],
        vec![
            t("P4"),
            Some(Date("2013-01-07")),
            Some(Number(60.0)),
            t("attended"),
        ],
    ];
    let scores = vec![
        vec![t("participant_id"), t("week"), t("pain"), t("ndi")],
        vec![
            t("P1"),
            Some(Number(0.0)),
            Some(Number(3.7)),
            Some(Formula("=10+2", "12")),
        ],
        vec![
            t("P1"),
            Some(Number(5.0)),
            Some(Number(1.0)),
            Some(Number(4.0)),
        ],
    ];
    workbook(
        &dir.join("book.xlsx"),
        &[
            ("participants", participants),
            ("sessions", sessions),
            ("scores", scores),
        ],
    );
    write(
        &dir.join("trial.toml"),
        b"[source]\nformat = \"xlsx\"\nworkbook = \"book.xlsx\"\n",
    );
    let out = tmp.path().join("out");
    let run = analyze(&dir, &out);
    let people = Table::read(&out.join("participants.csv"));
    let p1 = people.row("participant_id", "P1");
    assert_eq!(p1["age"], "45");
    assert_eq!(p1["pain_baseline"], "3.7");
    assert_eq!(p1["ndi_baseline"], "12");
    assert_eq!(p1["flags"], "", "burn with clearance `true` -> yes: {p1:?}");
    assert_eq!(people.row("participant_id", "P2")["age"], "41");
    let rows = rejections(&out);
    let at = |row: &str| -> Vec<&[String; 5]> { rows.iter().filter(|r| r[1] == row).collect() };
    // P2's site holds a line break, so P3's record ends up a line later in the translated
    // table; the ledger still names P3's sheet row.
    let p3 = at("4");
    assert_eq!(p3.len(), 1, "{rows:?}");
    assert_eq!(p3[0][..4], ["book.xlsx[participants]", "4", "age", "45.5"]);
    // The error cell rejects P4's row, naming the cell; P4's session goes with it.
    let p4 = at("6");
    assert_eq!(p4.len(), 1, "{rows:?}");
    assert_eq!(
        p4[0][..4],
        ["book.xlsx[participants]", "6", "age", "#DIV/0!"]
    );
    assert!(
        p4[0][4].contains("cell C6 holds the Excel error #DIV/0!"),
        "{p4:?}"
    );
    assert!(
        rows.iter().any(|r| r[0] == "book.xlsx[sessions]"
            && r[1] == "3"
            && r[4].contains("`P4` was rejected in participants.csv (line 6: cell C6")),
        "{rows:?}"
    );
    // Row 5 is empty (not a row); row 7 has a value right of the header; row 8 a huge cell.
    assert!(at("5").is_empty());
    assert!(at("7")[0][4].contains("column H"), "{rows:?}");
    assert!(at("8")[0][4].contains("at most 65536 bytes"), "{rows:?}");
    let printed = run.all_output();
    let line = printed
        .lines()
        .find(|l| l.starts_with("book.xlsx[participants]"))
        .unwrap();
    assert!(line.contains(" 6 rows = 2 accepted + 4 rejected"), "{line}");
}

#[test]
fn decimal_commas_in_markers_are_numbers_and_text_keeps_its_commas() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    write(
        &dir.join("participants.csv"),
        b"participant_id;arm;site\nP1;60x2;Haus 1,5\nP2;control;\n",
    );
    write(
        &dir.join("sessions.csv"),
        b"participant_id;date;minutes\nP1;2013-01-07;60,0\n",
    );
    write(
        &dir.join("scores.csv"),
        b"participant_id;week;pain;walk_minutes\nP1;0;7,0;12,5\nP1;5;4,9;20,25\nP2;0;5;1,2,3\n",
    );
    write(
        &dir.join("trial.toml"),
        b"[[markers]]\ncolumn = \"walk_minutes\"\nbetter = \"higher\"\nresponder_min_improvement = 5\n\n[source]\ndelimiter = \";\"\ndecimal = \",\"\n",
    );
    let out = tmp.path().join("out");
    analyze(&dir, &out);
    let people = Table::read(&out.join("participants.csv"));
    let p1 = people.row("participant_id", "P1");
    assert_eq!(p1["site"], "Haus 1,5");
    assert_eq!(p1["walk_minutes_improvement"], "7.75");
    assert_eq!(p1["pain_responder"], "true", "7,0 -> 4,9 is exactly 30%");
    let rows = rejections(&out);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][..4], ["scores.csv", "4", "walk_minutes", "1,2,3"]);
}

fn exit_2_naming(toml: &str, files: &[(&str, &[u8])], expected: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    for (name, bytes) in files {
        write(&dir.join(name), bytes);
    }
    write(&dir.join("trial.toml"), toml.as_bytes());
    for command in ["validate", "analyze"] {
        let mut args = vec![command.to_owned(), dir.display().to_string()];
        if command == "analyze" {
            args.extend([
                "--out".to_owned(),
                tmp.path().join("out").display().to_string(),
            ]);
        }
        let run = trialdose(&args);
        assert_eq!(run.code, 2, "{run}");
        for e in expected {
            assert!(run.stderr.contains(e), "expected {e:?} in:\n{run}");
        }
        assert!(!run.stderr.contains("panicked"), "{run}");
    }
}

const SMALL: [(&str, &[u8]); 3] = [
    ("participants.csv", b"Patient;arm\nP1;60x2\n"),
    (
        "sessions.csv",
        b"participant_id;date;minutes\nP1;2013-01-07;60\n",
    ),
    ("scores.csv", b"participant_id;week;pain\nP1;0;5\n"),
];

#[test]
fn bad_mappings_and_codes_are_usage_errors_naming_the_key_and_the_fix() {
    exit_2_naming(
        "[source]\ndelimiter = \";\"\n[source.columns.participants]\nparticipant_id = \"Patient No.\"\n",
        &SMALL,
        &[
            "`source.columns.participants.participant_id` names column \"Patient No.\", which participants.csv does not have",
            "its columns are: \"Patient\", \"arm\"",
        ],
    );
    exit_2_naming(
        "[source]\ndelimiter = \"|\"\n",
        &SMALL,
        &["`source.delimiter` is \"|\"; allowed: \",\", \";\", \"\\t\", \"auto\""],
    );
    exit_2_naming(
        "[source]\nformat = \"csv\"\nsheet = \"x\"\n",
        &SMALL,
        &[
            "`source.sheet` is not a key of [source] with format = \"csv\"; allowed: format, delimiter",
        ],
    );
    exit_2_naming(
        "[source.codes.arm]\n\"1\" = 60\n",
        &SMALL,
        &["`source.codes.arm.\"1\"` is 60; a code maps to the contract's value as a string"],
    );
    exit_2_naming(
        "[source.codes.group]\n\"1\" = \"60x2\"\n",
        &SMALL,
        &["`source.codes.group` is not a column of the data contract"],
    );
    exit_2_naming(
        "[source]\nparticipants = \"../participants.csv\"\n",
        &SMALL,
        &[
            "`source.participants` is \"../participants.csv\"; a source file must be inside the cohort folder",
        ],
    );
}

#[test]
fn a_missing_sheet_is_a_usage_error_and_a_missing_source_file_exit_66() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    std::fs::create_dir_all(&dir).unwrap();
    let t = |s| Some(Cell::Text(s));
    workbook(
        &dir.join("book.xlsx"),
        &[
            ("participants", vec![vec![t("participant_id"), t("arm")]]),
            ("Besuche", vec![vec![t("participant_id")]]),
            ("scores", vec![vec![t("participant_id")]]),
        ],
    );
    write(
        &dir.join("trial.toml"),
        b"[source]\nformat = \"xlsx\"\nworkbook = \"book.xlsx\"\n",
    );
    let run = trialdose(["validate".as_ref(), dir.as_os_str()]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("`source.sessions` names sheet \"sessions\", which book.xlsx does not have; its sheets are: \"participants\", \"Besuche\", \"scores\""),
        "{run}"
    );
    write(
        &dir.join("trial.toml"),
        b"[source]\nformat = \"xlsx\"\nworkbook = \"nope.xlsx\"\n",
    );
    let run = trialdose(["validate".as_ref(), dir.as_os_str()]);
    assert_eq!(run.code, 66, "{run}");
    write(
        &dir.join("trial.toml"),
        b"[source]\nformat = \"xlsx\"\nworkbook = \"trial.toml\"\n",
    );
    let run = trialdose(["validate".as_ref(), dir.as_os_str()]);
    assert_eq!(run.code, 66, "{run}");
    assert!(run.stderr.contains("not a readable xlsx workbook"), "{run}");
}

#[test]
fn convert_writes_contract_csv_that_reads_back_to_the_same_ledger() {
    let s = Setup::new();
    write_dialect(&s.path("clinic"), &s.tables, ";");
    let converted = s.path("converted");
    let run = trialdose([
        "convert".as_ref(),
        s.path("clinic").as_os_str(),
        "--out".as_ref(),
        converted.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let toml = std::fs::read_to_string(converted.join("trial.toml")).unwrap();
    assert!(!toml.contains("source"), "{toml}");
    assert!(
        toml.contains("name = \"DREAM-style neck pain dosing trial\""),
        "{toml}"
    );
    analyze(&s.path("contract"), &s.path("out-contract"));
    analyze(&converted, &s.path("out-converted"));
    same_analysis(&s.path("out-contract"), &s.path("out-converted"));
    assert_eq!(
        rejections(&s.path("out-converted")),
        rejections(&s.path("out-contract"))
    );
    // Converting into the cohort folder itself is refused.
    let run = trialdose([
        "convert".as_ref(),
        s.path("clinic").as_os_str(),
        "--out".as_ref(),
        s.path("clinic").as_os_str(),
    ]);
    assert_eq!(run.code, 2, "{run}");
}

#[test]
fn init_writes_a_starter_source_from_headers_and_refuses_to_overwrite() {
    let s = Setup::new();
    let clinic = s.path("clinic");
    write_dialect(&clinic, &s.tables, ";");
    std::fs::remove_file(clinic.join("trial.toml")).unwrap();
    let mut args = vec![std::ffi::OsString::from("init")];
    for f in ["Patienten.csv", "Termine.csv", "Werte.csv"] {
        args.push(clinic.join(f).into_os_string());
    }
    let run = trialdose(&args);
    assert_eq!(run.code, 0, "{run}");
    let toml = std::fs::read_to_string(clinic.join("trial.toml")).unwrap();
    for expected in [
        "delimiter = \";\"",
        "encoding = \"windows-1252\"",
        "decimal = \",\"",
        "participants = \"Patienten.csv\"",
        "sessions = \"Termine.csv\"",
        "scores = \"Werte.csv\"",
        "participant_id = \"Patient Nr.\"",
        "# arm = ",
        "\"Gruppe\"",
    ] {
        assert!(toml.contains(expected), "{expected:?} not in:\n{toml}");
    }
    // The starter parses: validate reads it (arm unmapped: its rows are rejected, exit 65).
    let run = trialdose(["validate".as_ref(), clinic.as_os_str()]);
    assert_eq!(run.code, 65, "{run}");
    let again = trialdose(["init".as_ref(), clinic.join("Patienten.csv").as_os_str()]);
    assert_eq!(again.code, 2, "{again}");
    assert!(again.stderr.contains("--force"), "{again}");
    // From a workbook: its sheets and headers.
    write_xlsx(&s.path("book"), &s.tables);
    std::fs::remove_file(s.path("book").join("trial.toml")).unwrap();
    let run = trialdose([
        "init".as_ref(),
        s.path("book").join("klinik.xlsx").as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let toml = std::fs::read_to_string(s.path("book").join("trial.toml")).unwrap();
    for expected in [
        "format = \"xlsx\"",
        "workbook = \"klinik.xlsx\"",
        "participants = \"Patienten\"",
        "sessions = \"Termine\"",
        "scores = \"Werte\"",
    ] {
        assert!(toml.contains(expected), "{expected:?} not in:\n{toml}");
    }
}

/// The faulty cohort as three Parquet files (every column text, `age` and `week` as nullable
/// integers where they read as one, so typed and text columns both pass), with renamed id
/// columns, written with polars.
fn write_parquet(dir: &Path, tables: &[Grid; 3]) {
    use polars::prelude::{Column, DataFrame, ParquetWriter};
    std::fs::create_dir_all(dir).unwrap();
    for (name, t) in ["participants", "sessions", "scores"].iter().zip(tables) {
        let columns: Vec<Column> = t
            .header
            .iter()
            .enumerate()
            .map(|(c, h)| {
                let values: Vec<&str> = t.rows.iter().map(|r| r[c].as_str()).collect();
                let source = if h == "participant_id" {
                    "Patient No."
                } else {
                    h
                };
                let ints: Option<Vec<Option<i64>>> = values
                    .iter()
                    .map(|v| {
                        if v.is_empty() {
                            Some(None)
                        } else {
                            v.parse().ok().map(Some)
                        }
                    })
                    .collect();
                match ints {
                    Some(ints) if h == "age" || h == "week" => Column::new(source.into(), ints),
                    _ => Column::new(
                        source.into(),
                        values
                            .iter()
                            .map(|v| (!v.is_empty()).then_some(*v))
                            .collect::<Vec<_>>(),
                    ),
                }
            })
            .collect();
        let mut frame = DataFrame::new_infer_height(columns).unwrap();
        let file = std::fs::File::create(dir.join(format!("{name}.parquet"))).unwrap();
        ParquetWriter::new(file).finish(&mut frame).unwrap();
    }
    write(
        &dir.join("trial.toml"),
        b"[source]\nformat = \"parquet\"\nparticipants = \"participants.parquet\"\nsessions = \"sessions.parquet\"\nscores = \"scores.parquet\"\n\n[source.columns.participants]\nparticipant_id = \"Patient No.\"\n\n[source.columns.sessions]\nparticipant_id = \"Patient No.\"\n\n[source.columns.scores]\nparticipant_id = \"Patient No.\"\n",
    );
}

#[test]
fn parquet_files_analyse_as_the_contract_csv_with_row_numbers() {
    let s = Setup::new();
    write_parquet(&s.path("pq"), &s.tables);
    analyze(&s.path("contract"), &s.path("out-contract"));
    let run = analyze(&s.path("pq"), &s.path("out-pq"));
    same_analysis(&s.path("out-contract"), &s.path("out-pq"));
    assert_eq!(
        located_nowhere(rejections(&s.path("out-pq"))),
        located_nowhere(rejections(&s.path("out-contract")))
    );
    // Locations are row numbers from 1: the unknown arm is the participants file's row 3.
    let rows = rejections(&s.path("out-pq"));
    assert!(
        rows.iter()
            .any(|r| r[0] == "participants.parquet" && r[1] == "3" && r[2] == "arm"),
        "{rows:?}"
    );
    assert!(run.all_output().contains("participants.parquet"), "{run}");
}

#[test]
fn hostile_parquet_cells_are_rejected_with_their_rows_as_from_csv() {
    // Cells the readers' fast path refuses (a 200,000-byte therapist, far over the cell
    // limit; a status with a non-ASCII letter; an id with a bidirectional override; a date
    // with a space inside) reach the full checks from Parquet as from CSV: the same
    // rejections, each at its own row.
    let s = Setup::new();
    let mut tables = s.tables.clone();
    let sessions = &mut tables[1];
    let col = |name: &str| sessions.header.iter().position(|h| h == name).unwrap();
    let (therapist, status, id, date) = (
        col("therapist"),
        col("status"),
        col("participant_id"),
        col("date"),
    );
    sessions.rows[1][therapist] = "T".repeat(200_000);
    sessions.rows[2][status] = "attendé".to_owned();
    sessions.rows[3][id] = format!("{}\u{202e}", sessions.rows[3][id]);
    sessions.rows[4][date] = "2012- 03-31".to_owned();
    write_contract(&s.path("hostile-csv"), &tables);
    write_parquet(&s.path("hostile-pq"), &tables);
    analyze(&s.path("hostile-csv"), &s.path("out-csv"));
    let run = analyze(&s.path("hostile-pq"), &s.path("out-pq"));
    same_analysis(&s.path("out-csv"), &s.path("out-pq"));
    let (csv, pq) = (
        rejections(&s.path("out-csv")),
        rejections(&s.path("out-pq")),
    );
    assert_eq!(
        located_nowhere(pq.clone()),
        located_nowhere(csv.clone()),
        "{run}"
    );
    // Parquet rows are numbered from 1 without a header, CSV lines from 2 after it.
    for (row, column) in [
        (2, "therapist"),
        (3, "status"),
        (4, "participant_id"),
        (5, "date"),
    ] {
        assert!(
            pq.iter()
                .any(|r| r[0] == "sessions.parquet" && r[1] == row.to_string() && r[2] == column),
            "row {row} {column}: {pq:?}"
        );
        assert!(
            csv.iter()
                .any(|r| r[0] == "sessions.csv" && r[1] == (row + 1).to_string() && r[2] == column),
            "line {} {column}: {csv:?}",
            row + 1
        );
    }
}

#[test]
fn a_table_whose_columns_are_all_unmapped_says_so_row_by_row() {
    // The example cohort as `;` files whose sessions file has none of the contract's
    // columns: every sessions row is rejected naming the mapping (not "the file is empty").
    let tmp = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dream-like");
    for name in ["participants.csv", "scores.csv"] {
        let text = std::fs::read_to_string(example.join(name)).unwrap();
        write(&tmp.path().join(name), text.replace(',', ";").as_bytes());
    }
    write(
        &tmp.path().join("sessions.csv"),
        b"Termin;Dauer\n1;30\n2;45\n",
    );
    write(
        &tmp.path().join("trial.toml"),
        b"[source]\nformat = \"csv\"\ndelimiter = \";\"\n",
    );
    let run = trialdose(["validate".as_ref(), tmp.path().as_os_str()]);
    assert_eq!(run.code, 65, "{run}");
    assert!(
        run.stdout
            .contains("sessions.csv              2 rows = 0 accepted + 2 rejected"),
        "{run}"
    );
    let expected = "none of the source's columns is mapped to a column of the sessions table (the notes name the columns ignored); map them under [source.columns.sessions], at least: participant_id,date";
    assert!(
        run.stdout
            .contains(&format!("line 2: row not read: {expected}")),
        "{run}"
    );
    assert!(!run.all_output().contains("file is empty"), "{run}");
    // `convert` writes none of those rows, and says so (it wrote an empty file in silence).
    let converted = tmp.path().join("converted");
    let run = trialdose([
        "convert".as_ref(),
        tmp.path().as_os_str(),
        "--out".as_ref(),
        converted.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains("sessions.csv: none of its columns is mapped to a column of the sessions table, so its 2 row(s) are not written; map them under [source.columns.sessions]"),
        "{run}"
    );
    assert!(
        run.stdout.contains(
            "2 source row(s) could not be translated into contract rows and are not written"
        ),
        "{run}"
    );
}

#[test]
fn damaged_parquet_files_exit_66_naming_the_file_and_never_panic() {
    // A file cut short (no footer), and files with bytes overwritten in their data pages
    // (the footer intact): each is refused as input (66), naming the file, by `validate`,
    // `analyze` (which writes no output) and `convert` (which writes no file); none makes the
    // tool panic. A damaged data page is found when the checks reach its row group.
    let s = Setup::new();
    write_parquet(&s.path("pq"), &s.tables);
    let good = std::fs::read(s.path("pq").join("sessions.parquet")).unwrap();
    let footer = u32::from_le_bytes(good[good.len() - 8..good.len() - 4].try_into().unwrap());
    let data_end = good.len() - 8 - footer as usize;
    let mut damaged: Vec<Vec<u8>> = vec![good[..good.len() / 2].to_vec()];
    for (from, byte) in [
        (4, 0xff),
        (data_end / 3, 0x00),
        (data_end / 2, 0xa5),
        (4, 0x00),
    ] {
        let mut bytes = good.clone();
        let to = (from + 64).min(data_end);
        bytes[from..to].fill(byte);
        damaged.push(bytes);
    }
    for (k, bytes) in damaged.iter().enumerate() {
        std::fs::write(s.path("pq").join("sessions.parquet"), bytes).unwrap();
        let out = s.path(&format!("pq-out-{k}"));
        let converted = s.path(&format!("pq-converted-{k}"));
        for run in [
            trialdose(["validate".as_ref(), s.path("pq").as_os_str()]),
            trialdose([
                "analyze".as_ref(),
                s.path("pq").as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ]),
            trialdose([
                "convert".as_ref(),
                s.path("pq").as_os_str(),
                "--out".as_ref(),
                converted.as_os_str(),
            ]),
        ] {
            assert!(!run.stderr.contains("panicked"), "damage {k}: {run}");
            assert!(
                run.code == 66 && run.stderr.contains("sessions.parquet"),
                "damage {k}: {run}"
            );
        }
        assert!(!out.join("arms.csv").exists(), "damage {k}");
        assert!(!converted.join("sessions.csv").exists(), "damage {k}");
    }
    // A damaged file whose table maps none of the contract's columns: `convert` writes none of
    // its rows, but still reads them through, and fails as `analyze` does.
    let mut renamed = s.tables.clone();
    renamed[1].header = (0..renamed[1].header.len())
        .map(|i| format!("x{i}"))
        .collect();
    let dir = s.path("pq-unmapped");
    write_parquet(&dir, &renamed);
    let toml = std::fs::read_to_string(dir.join("trial.toml")).unwrap();
    let toml = toml.replace(
        "[source.columns.sessions]\nparticipant_id = \"Patient No.\"\n",
        "",
    );
    write(&dir.join("trial.toml"), toml.as_bytes());
    let mut bytes = std::fs::read(dir.join("sessions.parquet")).unwrap();
    bytes[4..68].fill(0xff);
    std::fs::write(dir.join("sessions.parquet"), &bytes).unwrap();
    let converted = s.path("pq-unmapped-converted");
    let run = trialdose([
        "convert".as_ref(),
        dir.as_os_str(),
        "--out".as_ref(),
        converted.as_os_str(),
    ]);
    assert!(
        run.code == 66 && run.stderr.contains("sessions.parquet"),
        "{run}"
    );
}

/// The faulty cohort as a REDCap project: export, dictionary and trial.toml written by
/// `cohort::redcap::write_example` (BOM, CRLF, quoted text, checkbox columns, events, a
/// repeating instrument and an empty follow-up event).
fn write_redcap(dir: &Path, tables: &[Grid; 3]) -> trialdose::cohort::redcap::Example {
    let csv = |t: &Grid| t.to_csv(',', "\n").into_bytes();
    let example = trialdose::cohort::redcap::write_example(
        &csv(&tables[0]),
        &csv(&tables[1]),
        &csv(&tables[2]),
    )
    .unwrap();
    write(&dir.join("export.csv"), &example.export);
    write(&dir.join("dictionary.csv"), &example.dictionary);
    write(&dir.join("trial.toml"), example.source_toml.as_bytes());
    example
}

/// The faulty cohort without the faults a REDCap project cannot hold: a yesno field holds 0
/// or 1 and a radio one of its codes (REDCap enforces both at entry; an undefined code in an
/// export is the translator's rejection, tested in `cohort::redcap`), and a record has one
/// row per event (two participant rows of one record would give its sessions twice).
fn redcap_tables(tables: &[Grid; 3]) -> [Grid; 3] {
    let [mut p, mut s, c] = tables.clone();
    p.set(11, "medical_clearance", "no");
    p.rows.truncate(p.rows.len() - 2);
    s.set(7, "status", "missed");
    [p, s, c]
}

#[test]
fn a_redcap_export_analyses_as_the_contract_csv_with_export_lines() {
    let s = Setup::new();
    let tables = redcap_tables(&s.tables);
    write_contract(&s.path("contract"), &tables);
    write_redcap(&s.path("rc"), &tables);
    analyze(&s.path("contract"), &s.path("out-contract"));
    let run = analyze(&s.path("rc"), &s.path("out-rc"));
    same_analysis(&s.path("out-contract"), &s.path("out-rc"));
    assert_eq!(
        located_nowhere(rejections(&s.path("out-rc"))),
        located_nowhere(rejections(&s.path("out-contract")))
    );
    // Every rejection names the export and its physical line, and that line holds the row.
    let export = std::fs::read_to_string(s.path("rc").join("export.csv")).unwrap();
    let lines: Vec<&str> = export.split('\n').collect();
    let rows = rejections(&s.path("out-rc"));
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r[0], "export.csv", "{r:?}");
        let line: usize = r[1].parse().unwrap();
        assert!(line >= 2 && line <= lines.len(), "{r:?}");
        // The line is a record of the export; a rejection by participant names its record.
        assert!(
            lines[line - 1].starts_with('"'),
            "{r:?}: {}",
            lines[line - 1]
        );
        if r[2] == "participant_id" {
            assert!(
                lines[line - 1].starts_with(&format!("\"{}\",", r[3])),
                "{r:?}: {}",
                lines[line - 1]
            );
        }
    }
    // The balance: the export's rows feed tables or are ignored (the follow-up event), and
    // the dictionary is listed without rows.
    let printed = run.all_output();
    assert!(printed.contains("export.csv"), "{run}");
    assert!(
        printed.contains("dictionary.csv    (definitions; no data rows)"),
        "{run}"
    );
    let summary = util::read_json(&s.path("out-rc").join("summary.json"));
    assert_eq!(summary["sources"][0]["name"], "export.csv");
    assert!(summary["sources"][0]["ignored"].as_u64().unwrap() > 0);
    assert_eq!(summary["sources"][1]["name"], "dictionary.csv");
    assert_eq!(summary["sources"][1]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn redcap_mapping_errors_name_the_key_or_field_and_exit_2() {
    let s = Setup::new();
    let dir = s.path("rc");
    let example = write_redcap(&dir, &s.tables);
    let toml = &example.source_toml;
    let cases: [(String, &str); 3] = [
        (
            toml.replacen(
                "participants_event = \"baseline_arm_1\"",
                "participants_event = \"base_line\"",
                1,
            ),
            "source.redcap.participants_event",
        ),
        (
            toml.replacen("[source.redcap]", "[source.redcap]\nbogus = 1", 1),
            "source.redcap.bogus",
        ),
        (
            toml.replacen("arm = \"arm\"", "arm = \"allocation\"", 1),
            "allocation",
        ),
    ];
    for (text, expected) in cases {
        assert_ne!(
            &text, toml,
            "the case did not change trial.toml: {expected}"
        );
        write(&dir.join("trial.toml"), text.as_bytes());
        let run = trialdose(["validate".as_ref(), dir.as_os_str()]);
        assert_eq!(run.code, 2, "{expected}: {run}");
        assert!(run.stderr.contains(expected), "{expected}: {run}");
        assert!(!run.stderr.contains("panicked"), "{run}");
    }
}

#[test]
fn init_starts_from_a_redcap_dictionary_and_from_parquet_schemas() {
    let s = Setup::new();
    let dir = s.path("rc");
    write_redcap(&dir, &s.tables);
    std::fs::remove_file(dir.join("trial.toml")).unwrap();
    let run = trialdose([
        "init".as_ref(),
        dir.join("dictionary.csv").as_os_str(),
        dir.join("export.csv").as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let text = std::fs::read_to_string(dir.join("trial.toml")).unwrap();
    assert!(text.contains("format = \"redcap\""), "{text}");
    assert!(text.contains("dictionary = \"dictionary.csv\""), "{text}");
    assert!(text.contains("participants_event"), "{text}");
    // The starter reads: validate gets past the mapping (exit 0 or 65, not a usage error).
    let run = trialdose(["validate".as_ref(), dir.as_os_str()]);
    assert!(run.code == 0 || run.code == 65, "{run}\n{text}");

    let pq = s.path("pq");
    write_parquet(&pq, &s.tables);
    std::fs::remove_file(pq.join("trial.toml")).unwrap();
    let run = trialdose([
        "init".as_ref(),
        pq.join("participants.parquet").as_os_str(),
        pq.join("sessions.parquet").as_os_str(),
        pq.join("scores.parquet").as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let text = std::fs::read_to_string(pq.join("trial.toml")).unwrap();
    assert!(text.contains("format = \"parquet\""), "{text}");
    assert!(text.contains("participant_id = \"Patient No.\""), "{text}");
    analyze(&pq, &s.path("out-pq"));
    analyze(&s.path("contract"), &s.path("out-contract"));
    same_analysis(&s.path("out-contract"), &s.path("out-pq"));
}
