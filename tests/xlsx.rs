//! `analyze --xlsx`: results.xlsx read back with calamine (no Python needed) holds, sheet by
//! sheet, exactly the cells of the CSV files: numbers as numbers equal to the CSV value to the
//! last bit, booleans as booleans, empty as empty, text as text (a hostile site name arrives
//! as the same text, never as a formula); the header is frozen; `about` describes every
//! column; table1.csv shows the numbers of the report's Table 1.

mod util;

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use util::{
    EVERY_TABLE, HOSTILE, RESULT_TABLES, TypedCell, assert_cell_is_csv, hostile_cohort as cohort,
    parse_csv, trialdose,
};

/// Columns whose values are text even when they look like numbers.
const TEXT_COLUMNS: [&str; 20] = [
    "participant_id",
    "arm",
    "site",
    "outcome",
    "scores",
    "model",
    "note",
    "stratified_by",
    "row",
    "stratum",
    "estimand",
    "population",
    "strategy",
    "reference",
    "decision",
    "flags",
    "file",
    "column",
    "value",
    "reason",
];

/// Compares sheet `sheet` (and its `_2`, ... continuations) with the CSV file `csv`.
fn assert_sheet_is_csv(
    book: &mut Xlsx<std::io::BufReader<std::fs::File>>,
    sheet: &str,
    csv: &Path,
) {
    let records = parse_csv(&std::fs::read_to_string(csv).unwrap());
    let range = book
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
    assert_eq!(range.start(), Some((0, 0)), "{sheet} starts at A1");
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), records.len(), "{sheet}: rows (header included)");
    let header = &records[0];
    for (r, (record, row)) in records.iter().zip(&rows).enumerate() {
        assert!(row.len() >= record.len(), "{sheet} row {r}: too few cells");
        assert!(
            row[record.len()..].iter().all(|d| *d == Data::Empty),
            "{sheet} row {r}: cells beyond the CSV's columns"
        );
        for (c, (want, got)) in record.iter().zip(row.iter()).enumerate() {
            let column = &header[c];
            let at = format!("{sheet} row {r} column {column}: CSV {want:?}, sheet {got:?}");
            if r == 0 {
                assert_eq!(*got, Data::String(want.clone()), "{at}");
                continue;
            }
            let cell = match got {
                Data::Empty => TypedCell::Empty,
                Data::Bool(b) => TypedCell::Bool(*b),
                Data::Float(v) => TypedCell::Float(*v),
                Data::Int(v) => TypedCell::Int(*v),
                Data::String(s) => {
                    let numeric = want.parse::<f64>().is_ok() || want == "true" || want == "false";
                    assert!(
                        !numeric || TEXT_COLUMNS.contains(&column.as_str()),
                        "{at}: a number or boolean stored as text"
                    );
                    TypedCell::Text(s)
                }
                other => panic!("{at}: unexpected cell {other:?}"),
            };
            assert_cell_is_csv(want, cell, &at);
        }
    }
}

/// The raw XML of the sheet at `index` (1-based, as the package names them).
fn sheet_xml(path: &Path, index: usize) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut xml = String::new();
    zip.by_name(&format!("xl/worksheets/sheet{index}.xml"))
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[test]
fn every_sheet_holds_the_csv_cells_with_their_types() {
    let c = cohort();
    let out = c.analyze_ok("results", &[&["--xlsx"][..], &EVERY_TABLE].concat());
    let path = out.join("results.xlsx");
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let names = book.sheet_names();
    let expected = [&["about"][..], &RESULT_TABLES].concat();
    assert_eq!(names, expected);
    for sheet in &expected[1..] {
        assert_sheet_is_csv(&mut book, sheet, &out.join(format!("{sheet}.csv")));
    }

    // The hostile site name is text, the same text, and no cell anywhere is a formula.
    let participants = book.worksheet_range("participants").unwrap();
    let site = participants
        .rows()
        .next()
        .unwrap()
        .iter()
        .position(|d| *d == Data::String("site".into()))
        .unwrap();
    let hostile = participants
        .rows()
        .filter(|r| r[site] == Data::String(HOSTILE.into()))
        .count();
    assert_eq!(hostile, 5, "the five hostile site names, as text");
    for name in &names {
        let formulas = book.worksheet_formula(name).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{name} holds a formula"
        );
    }
    let csv = std::fs::read_to_string(out.join("participants.csv")).unwrap();
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
        "the CSV keeps its guard"
    );

    // The header row of every sheet is frozen.
    for (i, name) in names.iter().enumerate() {
        let xml = sheet_xml(&path, i + 1);
        assert!(
            xml.contains("ySplit=\"1\"") && xml.contains("state=\"frozen\""),
            "sheet {name} has no frozen header"
        );
    }

    // `about` names every column of every sheet, with a description.
    let about = book.worksheet_range("about").unwrap();
    let described: BTreeSet<(String, String)> = about
        .rows()
        .filter_map(|r| match (&r[0], &r[1], &r[2]) {
            (Data::String(s), Data::String(c), Data::String(d)) if !d.is_empty() => {
                s.strip_prefix("sheet ").map(|s| (s.to_owned(), c.clone()))
            }
            _ => None,
        })
        .collect();
    for sheet in &expected[1..] {
        let range = book.worksheet_range(sheet).unwrap();
        for h in range.rows().next().unwrap() {
            let h = h.to_string();
            assert!(
                described.contains(&(sheet.to_string(), h.clone())),
                "about does not describe {sheet}.{h}"
            );
        }
    }
    // And the settings of the run, typed.
    let setting = |name: &str| {
        about
            .rows()
            .find(|r| r[1] == Data::String(name.into()))
            .map(|r| r[2].clone())
    };
    assert_eq!(setting("level"), Some(Data::Float(0.95)));
    assert_eq!(setting("skip_invalid"), Some(Data::Bool(true)));
    assert_eq!(setting("participants_analysed"), Some(Data::Float(299.0)));
}

#[test]
fn the_workbook_is_the_same_bytes_on_a_rerun_and_goes_without_the_flag() {
    let c = cohort();
    let out = c.analyze_ok("results", &["--xlsx", "--skip-invalid"]);
    let first = std::fs::read(out.join("results.xlsx")).unwrap();
    let out = c.analyze_ok("results", &["--xlsx", "--skip-invalid", "--threads", "1"]);
    assert!(
        first == std::fs::read(out.join("results.xlsx")).unwrap(),
        "same bytes"
    );
    let mut book: Xlsx<_> = open_workbook(out.join("results.xlsx")).unwrap();
    assert!(!book.sheet_names().contains(&"adjusted".to_owned()));
    assert!(book.worksheet_range("table1").is_ok());
    // A run without --xlsx leaves no workbook of an earlier run behind; table1.csv is always
    // written.
    let out = c.analyze_ok("results", &["--skip-invalid"]);
    assert!(!out.join("results.xlsx").exists());
    assert!(out.join("table1.csv").is_file());
}

#[test]
fn table1_csv_has_the_numbers_of_the_reports_table_1() {
    let c = cohort();
    let out = c.analyze_ok("results", &["--skip-invalid"]);
    let report = c.path("report");
    let run = trialdose([
        "report".as_ref(),
        c.dir().as_os_str(),
        "--out".as_ref(),
        report.as_os_str(),
        "--skip-invalid".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    let start = html.find("<section id=\"table1\">").unwrap();
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    let records = parse_csv(&std::fs::read_to_string(out.join("table1.csv")).unwrap());
    let col = |name: &str| records[0].iter().position(|h| h == name).unwrap();
    let num = |r: &[String], name: &str| r[col(name)].parse::<f64>().unwrap();
    for r in &records[1..] {
        for what in ["age", "pain_baseline", "ndi_baseline"] {
            let cell = format!(
                "<td>{:.1} ({:.1})</td>",
                num(r, &format!("{what}_mean")),
                num(r, &format!("{what}_sd"))
            );
            assert!(
                section.contains(&cell),
                "{what} of {}: {cell} not in {section}",
                r[0]
            );
        }
        let female = format!(
            "<td>{} ({:.1}%)</td>",
            r[col("female")],
            100.0 * num(r, "female_share")
        );
        assert!(section.contains(&female), "{female} not in {section}");
    }
}
