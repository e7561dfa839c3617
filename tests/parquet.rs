//! `analyze --parquet`: every result table as a typed Parquet file, read back with polars (the
//! version the tool writes with), holds exactly the CSV's cells: counts as Int64, rates and
//! scores as Float64 equal to the CSV number to the last bit, yes/no as Boolean, text as the
//! same text (no `'` guard), an empty field as a null; a column keeps its type when every
//! value is empty; a run without `--parquet` removes the files of an earlier one.

mod util;

use std::path::Path;

use polars::prelude::{AnyValue, DataType, ParquetReader, SerReader};
use util::{
    EVERY_TABLE, HOSTILE, RESULT_TABLES as TABLES, TypedCell, assert_cell_is_csv, hostile_cohort,
    list_dir, parse_csv,
};

/// `analyze --parquet` with the options that write every optional table.
fn every_table() -> Vec<&'static str> {
    [&["--parquet"][..], &EVERY_TABLE].concat()
}

/// Compares `NAME.parquet` with `NAME.csv` in `out`, cell by cell.
fn assert_table_is_csv(out: &Path, name: &str) {
    let records = parse_csv(&std::fs::read_to_string(out.join(format!("{name}.csv"))).unwrap());
    let file = std::fs::File::open(out.join(format!("{name}.parquet"))).unwrap();
    let frame = ParquetReader::new(file).finish().unwrap();
    let header: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, records[0], "{name}: columns");
    assert_eq!(frame.height(), records.len() - 1, "{name}: rows");
    for (c, column) in frame.columns().iter().enumerate() {
        let dtype = column.dtype().clone();
        assert!(
            matches!(
                dtype,
                DataType::Int64 | DataType::Float64 | DataType::Boolean | DataType::String
            ),
            "{name}.{}: undocumented type {dtype}",
            header[c]
        );
        for (r, record) in records[1..].iter().enumerate() {
            let want = record[c].as_str();
            let got = column.get(r).unwrap();
            let at = format!(
                "{name} row {} column {}: CSV {want:?}, parquet {got:?}",
                r + 2,
                header[c]
            );
            let cell = match got {
                AnyValue::Null => TypedCell::Empty,
                AnyValue::Int64(v) => TypedCell::Int(v),
                AnyValue::Float64(v) => TypedCell::Float(v),
                AnyValue::Boolean(b) => TypedCell::Bool(b),
                AnyValue::String(s) => TypedCell::Text(s),
                other => panic!("{at}: unexpected value {other:?}"),
            };
            assert_cell_is_csv(want, cell, &at);
        }
    }
}

#[test]
fn every_table_is_a_typed_parquet_file_equal_to_its_csv() {
    let c = hostile_cohort();
    let out = c.analyze_ok("results", &every_table());
    for name in TABLES {
        assert_table_is_csv(&out, name);
    }

    // Typed by what the column holds, not by its values: an arm's counts are integers, the
    // control row's empty difference is a null in a Float64 column, adherence is Boolean.
    let read = |name: &str| {
        ParquetReader::new(std::fs::File::open(out.join(format!("{name}.parquet"))).unwrap())
            .finish()
            .unwrap()
    };
    let arms = read("arms");
    assert_eq!(arms.column("randomized").unwrap().dtype(), &DataType::Int64);
    assert_eq!(
        arms.column("is_control").unwrap().dtype(),
        &DataType::Boolean
    );
    assert_eq!(
        arms.column("pain_rate").unwrap().dtype(),
        &DataType::Float64
    );
    let people = read("participants");
    assert_eq!(
        people.column("adherent").unwrap().dtype(),
        &DataType::Boolean
    );
    assert_eq!(
        people.column("minutes_delivered").unwrap().dtype(),
        &DataType::Float64
    );
    // The hostile site name is the same text, without the CSV's guard.
    let sites = people.column("site").unwrap();
    let hostile = (0..sites.len())
        .filter(|&i| sites.get(i).unwrap() == AnyValue::String(HOSTILE))
        .count();
    assert_eq!(hostile, 5, "the five hostile site names, as text");

    // Same input, same options, same bytes.
    let again = c.analyze_ok("again", &every_table());
    for name in TABLES {
        let file = format!("{name}.parquet");
        assert_eq!(
            std::fs::read(out.join(&file)).unwrap(),
            std::fs::read(again.join(&file)).unwrap(),
            "{file}: same bytes"
        );
    }

    // Without --parquet (and without the optional tables) no Parquet file of the earlier run
    // stays behind.
    let plain = c.analyze_ok("results", &["--skip-invalid"]);
    assert!(
        list_dir(&plain).iter().all(|f| !f.ends_with(".parquet")),
        "{:?}",
        list_dir(&plain)
    );
}
