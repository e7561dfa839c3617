//! `analyze`'s job: rejections.csv always, then (unless rows were rejected and not skipped)
//! participants.csv written while the per-arm analysis runs, and arms.csv, comparisons.csv,
//! trend.csv, adjusted.csv (with covariates), stratified.csv (with `--stratify`),
//! sensitivity.csv (with `--sensitivity`), table1.csv, summary.json and, when asked for,
//! results.xlsx (the same tables as sheets, [`crate::render::xlsx`]).

use std::path::Path;

use super::{Loaded, PipelineError, Prepared, remove_if_present};
use crate::analysis::baseline::baseline_table;
use crate::analysis::{self, Analysis, AnalysisOptions};
use crate::cohort::{Cohort, LoadOptions};
use crate::files::{AtomicFile, write_atomic, write_with};
use crate::render::{export, parquet, xlsx};

/// The results files of a complete run (and [`parquet::ALL_FILES`]); removed when a strict run stops at rejected rows, so
/// files of an earlier run do not stay behind looking current.
pub const RESULT_FILES: [&str; 10] = [
    "arms.csv",
    "comparisons.csv",
    "trend.csv",
    "adjusted.csv",
    "stratified.csv",
    "sensitivity.csv",
    "table1.csv",
    "participants.csv",
    "summary.json",
    "results.xlsx",
];

/// The formats `analyze` writes besides the CSV and JSON files.
#[derive(Clone, Copy, Debug, Default)]
pub struct Extra {
    /// results.xlsx, one sheet per table ([`crate::render::xlsx`]).
    pub xlsx: bool,
    /// One Parquet file per table ([`crate::render::parquet`]).
    pub parquet: bool,
}

/// What `analyze` did.
pub enum Analyzed {
    /// Every file written; the analysis is returned for the console table.
    Done {
        /// The cohort and its derived table (give them back with [`Prepared::release`]).
        prepared: Prepared,
        /// The analysis written (boxed: it is much larger than the other variant).
        analysis: Box<Analysis>,
    },
    /// Rows were rejected and `skip_invalid` was false: only rejections.csv was written and the
    /// results of an earlier run were removed.
    Rejected(Cohort),
}

/// Runs `analyze` on the cohort folder `dir` into the folder `out` (which the caller has
/// checked and locked); with `extra`, results.xlsx and the Parquet files too (a format not
/// asked for has the files of an earlier run removed).
///
/// # Errors
/// [`PipelineError`] when the cohort cannot be read, the analysis fails or a file cannot be
/// written.
pub fn analyze_into(
    dir: &Path,
    out: &Path,
    options: AnalysisOptions,
    skip_invalid: bool,
    threads: usize,
    extra: Extra,
) -> Result<Analyzed, PipelineError> {
    let cohort = Cohort::load(
        dir,
        LoadOptions {
            threads,
            digests: true,
        },
    )?;
    write_with(&out.join("rejections.csv"), |w| {
        export::write_rejections(w, cohort.ledger.rejections())
    })?;
    let prepared = match super::admit(cohort, threads, skip_invalid) {
        Loaded::Ready(prepared) => prepared,
        Loaded::Rejected(cohort) => {
            for stale in RESULT_FILES.iter().chain(&parquet::ALL_FILES) {
                remove_if_present(&out.join(stale))?;
            }
            return Ok(Analyzed::Rejected(cohort));
        }
    };
    let (cohort, derived) = (&prepared.cohort, &prepared.derived);
    // participants.csv (the large file) and, with `xlsx`, the rows of the workbook's large
    // sheets are written while the per-arm analysis runs.
    // A table this run does not have (no covariates, say) would look current beside the others.
    for stale in parquet::ALL_FILES {
        remove_if_present(&out.join(stale))?;
    }
    let participants_path = out.join("participants.csv");
    let (result, written, large, row_tables) = std::thread::scope(|scope| {
        let writer = crate::parallel::spawn(scope, || {
            write_with(&participants_path, |w| {
                export::write_participants(w, cohort, derived, threads)
            })
        });
        let large = extra.xlsx.then(|| {
            crate::parallel::spawn(scope, || xlsx::large_sheets(cohort, derived, threads))
        });
        let row_tables = extra.parquet.then(|| {
            crate::parallel::spawn(scope, || parquet::write_row_tables(out, cohort, derived))
        });
        let result = analysis::analyze(cohort, derived, options);
        (
            result,
            crate::parallel::join(writer),
            large.map(crate::parallel::join),
            row_tables.map(crate::parallel::join),
        )
    });
    written?;
    if let Some(written) = row_tables {
        written?;
    }
    let analysis = result?;
    write_atomic(
        &out.join("arms.csv"),
        export::arms_csv(&analysis).as_bytes(),
    )?;
    write_atomic(
        &out.join("comparisons.csv"),
        export::comparisons_csv(&analysis).as_bytes(),
    )?;
    write_atomic(
        &out.join("trend.csv"),
        export::trend_csv(&analysis.trend).as_bytes(),
    )?;
    let adjusted_path = out.join("adjusted.csv");
    if analysis.options.adjust.is_some() {
        write_atomic(
            &adjusted_path,
            export::adjusted_csv(&analysis.adjusted).as_bytes(),
        )?;
    } else {
        // A file from an earlier run with covariates would look like part of this one.
        remove_if_present(&adjusted_path)?;
    }
    let stratified_path = out.join("stratified.csv");
    match &analysis.stratified {
        Some(s) => write_atomic(&stratified_path, export::stratified_csv(s).as_bytes())?,
        None => remove_if_present(&stratified_path)?,
    }
    let sensitivity_path = out.join("sensitivity.csv");
    if analysis.options.sensitivity {
        write_atomic(
            &sensitivity_path,
            export::sensitivity_csv(&analysis.sensitivity).as_bytes(),
        )?;
    } else {
        remove_if_present(&sensitivity_path)?;
    }
    let table1 = baseline_table(cohort, derived);
    write_atomic(
        &out.join("table1.csv"),
        export::table1_csv(&table1).as_bytes(),
    )?;
    let summary = export::summary(cohort, &analysis, skip_invalid);
    write_atomic(&out.join("summary.json"), &export::summary_json(&summary))?;
    let results = export::Results {
        cohort,
        derived,
        analysis: &analysis,
        table1: &table1,
        summary: &summary,
    };
    let xlsx_path = out.join("results.xlsx");
    if let Some(large) = large {
        let large = large?;
        let mut file = AtomicFile::create(&xlsx_path)?;
        xlsx::write_results(&mut file, &results, large)?;
        file.commit()?;
    } else {
        remove_if_present(&xlsx_path)?;
    }
    // The summary tables are small: their Parquet files need no thread of their own.
    if extra.parquet {
        parquet::write_summary_tables(out, &results)?;
    }
    Ok(Analyzed::Done {
        prepared,
        analysis: Box::new(analysis),
    })
}
