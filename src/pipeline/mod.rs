//! The jobs the commands share, conducted once: load a cohort folder (every row accepted or
//! rejected), derive one row per participant, analyse or audit, and write the results.
//!
//! `analyze`, `report` and `audit` differ only in what they compute and write; reading,
//! refusing rejected rows, deriving, the order of the outputs and the way memory is given back
//! at the end are the same for all three and live here, so the command files only map flags to
//! settings, call one function and print. The functions print nothing: notices, the ledger
//! summary and the console tables are the command line's (it reads them from the values
//! returned).

mod analyze;
mod audit;
mod report;

use std::path::{Path, PathBuf};

use crate::analysis::AnalysisError;
use crate::audit::AuditError;
use crate::cohort::{Cohort, CohortError, LoadOptions};
use crate::derive::{self, Derived};
use crate::files::OutputError;
use crate::render::charts::simulation::SimFileError;
use crate::render::charts::{self, Chart, ChartError};
use crate::render::document::{self, Document, Figure, Png, docx, markdown};

pub use analyze::{Analyzed, Extra, analyze_into};
pub use audit::{AuditSettings, Audited, audit_into};
pub use report::{ReportSettings, Reported, report_into};

/// Why a job stopped. Each variant keeps the library's own error, so the command line can map
/// it to its exit code and name the flag that fixes it.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The cohort folder could not be read.
    #[error(transparent)]
    Cohort(#[from] CohortError),
    /// An output could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The analysis failed.
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// The audit cannot be made from this cohort (and date).
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// results.xlsx could not be made.
    #[error(transparent)]
    Xlsx(#[from] crate::render::xlsx::XlsxError),
    /// A Parquet file could not be written.
    #[error(transparent)]
    Parquet(#[from] crate::render::parquet::ParquetError),
    /// A chart could not be drawn.
    #[error("drawing a chart failed: {}", .0.0)]
    Chart(#[from] ChartError),
    /// The Word document could not be packed.
    #[error(transparent)]
    Docx(#[from] crate::render::document::docx::DocxError),
    /// The simulation document at this position of the report's list cannot be charted.
    #[error("simulation document {}: {source}", .index + 1)]
    SimChart {
        /// Position in the list given (0 = first).
        index: usize,
        /// What is wrong with it.
        source: SimFileError,
    },
}

/// A cohort read in full and derived: what every job works from.
pub struct Prepared {
    /// The validated tables, the protocol and the ledger of every row.
    pub cohort: Cohort,
    /// One row per participant, in the order of `cohort.participants`.
    pub derived: Vec<Derived>,
}

/// A cohort folder as read: ready to work from, or refused because rows were rejected (and
/// `--skip-invalid` was not given); the ledger then says which.
pub enum Loaded {
    /// Every row accepted, or rejected rows skipped on request.
    Ready(Prepared),
    /// Rows were rejected; nothing was derived.
    Rejected(Cohort),
}

/// Reads the cohort folder `dir` and, unless rows were rejected and `skip_invalid` is false,
/// derives the per-participant table.
///
/// # Errors
/// [`PipelineError::Cohort`] when the folder or one of its files cannot be read.
pub fn load(dir: &Path, options: LoadOptions, skip_invalid: bool) -> Result<Loaded, PipelineError> {
    let cohort = Cohort::load(dir, options)?;
    Ok(admit(cohort, options.threads, skip_invalid))
}

/// Refuses a cohort with rejected rows (unless `skip_invalid`), else derives its table.
fn admit(cohort: Cohort, threads: usize, skip_invalid: bool) -> Loaded {
    if !cohort.ledger.is_empty() && !skip_invalid {
        return Loaded::Rejected(cohort);
    }
    let derived = derive::derive(&cohort, threads);
    Loaded::Ready(Prepared { cohort, derived })
}

impl Prepared {
    /// Gives the memory back as the process is about to end: the three largest flat tables go
    /// back to the OS on two threads at once (freeing their pages is the slow part of
    /// exiting), and the rest, millions of small allocations (ids, texts), is left to the exit
    /// together with `rest` instead of being freed one by one. Call it last, after every
    /// output is written and printed.
    pub fn release<T>(self, rest: T) {
        let Prepared {
            mut cohort,
            derived,
        } = self;
        let (sessions, scores) = (
            std::mem::take(&mut cohort.sessions),
            std::mem::take(&mut cohort.scores),
        );
        std::mem::forget((cohort, rest));
        std::thread::scope(|scope| {
            let task = crate::parallel::spawn(scope, move || drop(derived));
            drop((sessions, scores));
            crate::parallel::join(task);
        });
    }
}

/// Which chart files to write beside a page (the page itself always embeds SVG).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartFiles {
    /// PNG only.
    Png,
    /// SVG only.
    Svg,
    /// Both.
    Both,
}

impl ChartFiles {
    /// The extensions written.
    fn written(self) -> &'static [&'static str] {
        match self {
            ChartFiles::Png => &["png"],
            ChartFiles::Svg => &["svg"],
            ChartFiles::Both => &["png", "svg"],
        }
    }
}

/// Writes `dir/NAME.svg` and/or `dir/NAME.png` as `files` asks and returns the SVG for a page;
/// a file of an earlier run in the format not asked for is removed (it would no longer match
/// the others).
///
/// # Errors
/// [`PipelineError::Chart`] or [`PipelineError::Output`].
pub fn write_chart<C: Chart>(
    dir: &Path,
    name: &str,
    chart: &C,
    files: ChartFiles,
) -> Result<String, PipelineError> {
    Ok(draw_chart(dir, name, chart, files, false)?.0)
}

/// As [`write_chart`], and returns the chart drawn for print as well when `print` asks for it
/// (the Word document embeds it): [`docx::CHART_WIDTH_PX`] wide at [`docx::PRINT_DPI`], its
/// text and lines scaled with it. The PNG file beside the page is the chart at its own size,
/// whatever `print` says.
///
/// # Errors
/// [`PipelineError::Chart`] or [`PipelineError::Output`].
pub fn draw_chart<C: Chart>(
    dir: &Path,
    name: &str,
    chart: &C,
    files: ChartFiles,
    print: bool,
) -> Result<(String, Option<Png>), PipelineError> {
    let svg = charts::svg(chart)?;
    for ext in ["png", "svg"] {
        let path = dir.join(format!("{name}.{ext}"));
        if !files.written().contains(&ext) {
            remove_if_present(&path)?;
        } else if ext == "svg" {
            crate::files::write_atomic(&path, svg.as_bytes())?;
        } else {
            crate::files::write_atomic(&path, &charts::png(chart)?)?;
        }
    }
    let png = if print {
        Some(charts::print_png(
            chart,
            docx::CHART_WIDTH_PX,
            docx::PRINT_DPI,
        )?)
    } else {
        None
    };
    Ok((svg, png))
}

/// Where a job's charts are written and how: each chart becomes a figure of the job's
/// document.
struct Charts<'a> {
    /// The folder of the chart files.
    dir: &'a Path,
    /// That folder relative to the documents (`charts/`, or empty when they are side by side).
    relative: &'a str,
    /// The chart files written.
    files: ChartFiles,
    /// Draw each chart for print too (the Word document embeds it).
    print: bool,
}

impl Charts<'_> {
    /// Draws `chart` into `NAME.png`/`NAME.svg` and returns it as a figure of the document.
    fn figure<C: Chart>(
        &self,
        name: &str,
        caption: impl Into<String>,
        chart: &C,
    ) -> Result<Figure, PipelineError> {
        let (svg, png) = draw_chart(self.dir, name, chart, self.files, self.print)?;
        Ok(Figure {
            number: 0,
            caption: caption.into(),
            file: format!("{}{name}", self.relative),
            svg,
            png,
        })
    }
}

/// Which documents a job writes (at least one; a document not written is removed from the
/// folder if an earlier run left it, since it would no longer match the other outputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Documents {
    /// `NAME.html`.
    pub html: bool,
    /// `NAME.md`.
    pub markdown: bool,
    /// `NAME.docx`.
    pub word: bool,
}

impl Documents {
    /// All three.
    pub const ALL: Documents = Documents {
        html: true,
        markdown: true,
        word: true,
    };
}

/// Writes `doc` into `out` as the documents `which` asks for, `STEM.html`, `STEM.md` (its
/// figures pointing at the chart files of `files`: PNG when written, else SVG) and
/// `STEM.docx`, and removes those not asked for. Returns the paths written.
///
/// # Errors
/// [`PipelineError::Docx`] or [`PipelineError::Output`].
fn write_documents(
    out: &Path,
    stem: &str,
    doc: &Document,
    which: Documents,
    files: ChartFiles,
) -> Result<Vec<PathBuf>, PipelineError> {
    let chart_ext = if files == ChartFiles::Svg {
        "svg"
    } else {
        "png"
    };
    let mut written = Vec::new();
    for (wanted, ext) in [
        (which.html, "html"),
        (which.markdown, "md"),
        (which.word, "docx"),
    ] {
        let path = out.join(format!("{stem}.{ext}"));
        if !wanted {
            remove_if_present(&path)?;
            continue;
        }
        let bytes = match ext {
            "html" => document::html::page(doc).into_bytes(),
            "md" => markdown::document(doc, chart_ext).into_bytes(),
            _ => docx::document(doc)?,
        };
        crate::files::write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// Removes `path` if it exists (an output of an earlier run that this run does not write).
///
/// # Errors
/// [`PipelineError::Output`] when it exists and cannot be removed.
pub fn remove_if_present(path: &Path) -> Result<(), PipelineError> {
    if path.exists() {
        std::fs::remove_file(path).map_err(|source| OutputError {
            path: PathBuf::from(path),
            source,
        })?;
    }
    Ok(())
}
