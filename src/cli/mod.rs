//! The command line: one file per subcommand, each an args struct and a `run`. This is the
//! only code that prints. Exit codes: 0 success; 2 usage error (bad flag, bad trial.toml);
//! 65 data error (rejected rows in strict mode, or nothing to audit); 66 an input file is missing,
//! unreadable, not a regular file or over its size limit; 73 an output cannot be written (or
//! another run holds the output folder's lock); 1 anything else.

mod analyze;
mod audit;
mod compare;
mod completions;
mod convert;
mod generate;
mod init;
mod man;
mod plot;
mod progress;
mod report;
mod simulate;
mod term;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use trialdose::cohort::CohortError;
use trialdose::domain::protocol::ProtocolError;
use trialdose::render::output::OutputError;

/// Exit code: usage error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: data error (rows rejected in strict mode).
pub const EXIT_DATA: u8 = 65;
/// Exit code: an input is missing or unreadable.
pub const EXIT_NO_INPUT: u8 = 66;
/// Exit code: an output cannot be written.
pub const EXIT_CANT_CREATE: u8 = 73;

/// Input data that cannot be used (exit 65), found outside the cohort reader.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DataError(pub String);

/// A usage problem found after parsing (a flag value out of range, a bad combination).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[derive(Parser)]
#[command(
    name = "trialdose",
    version,
    about = "Dosing trials of manual therapies: validate cohorts, analyse responder rates per dose arm",
    long_about = "trialdose reads a cohort folder (participants.csv, sessions.csv, scores.csv and an \
optional trial.toml), accounts for every row, derives each participant's dose and outcome at the \
checkpoint, and reports responder rates per dose arm against control.\n\n\
Exit codes: 0 success; 2 usage error; 65 data error (rejected rows); 66 input missing or \
unreadable; 73 output cannot be written; 1 anything else."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a cohort against the data contract and write the row ledger.
    Validate(validate::Args),
    /// Responder rates per arm versus control, and the per-participant table.
    Analyze(analyze::Args),
    /// Clinic outcome audit: funnel plot of sites or therapists, patient worklist, safety.
    Audit(audit::Args),
    /// Every interval, test and NNT for one treatment-versus-control table, from counts.
    Compare(compare::Args),
    /// Write a synthetic cohort calibrated to published trial figures.
    Generate(generate::Args),
    /// Write a cohort's tables as the contract's CSV files (and trial.toml without [source]).
    Convert(convert::Args),
    /// Write a starter trial.toml whose [source] maps the columns of CSV files or a workbook.
    Init(init::Args),
    /// A self-contained HTML report with every chart (PNG/SVG in DIR/charts).
    Report(report::Args),
    /// Draw one chart of a cohort as PNG or SVG.
    Plot(plot::Args),
    /// Monte Carlo predictions for a schedule, and power of a proposed trial.
    #[command(subcommand)]
    Simulate(simulate::Command),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    Completions(completions::Args),
    /// Write the manual pages (trialdose.1 and one per subcommand), or print trialdose.1.
    Man(man::Args),
}

/// Which outcome's responders (`--outcome`).
#[derive(
    Clone, Copy, clap::ValueEnum, serde::Serialize, serde::Deserialize, PartialEq, Eq, Debug,
)]
#[serde(rename_all = "lowercase")]
enum OutcomeArg {
    /// At least 30% pain reduction.
    Pain,
    /// At least 5-point NDI improvement.
    Ndi,
}

impl From<OutcomeArg> for trialdose::domain::PrimaryOutcome {
    fn from(o: OutcomeArg) -> Self {
        match o {
            OutcomeArg::Pain => Self::Pain,
            OutcomeArg::Ndi => Self::Ndi,
        }
    }
}

/// Meaning of a missing outcome (`--missing`).
#[derive(Clone, Copy, clap::ValueEnum)]
enum MissingArg {
    /// Counted as a non-responder in the denominator.
    Nonresponder,
    /// Dropped from the denominator.
    Exclude,
}

impl From<MissingArg> for trialdose::analysis::Missing {
    fn from(m: MissingArg) -> Self {
        match m {
            MissingArg::Nonresponder => Self::Nonresponder,
            MissingArg::Exclude => Self::Exclude,
        }
    }
}

/// Reads and derives the cohort for a command, printing its notices; a cohort with rejected
/// rows is refused unless `--skip-invalid` was given (exit 65).
fn load(
    dir: &std::path::Path,
    options: trialdose::cohort::LoadOptions,
    skip_invalid: bool,
) -> anyhow::Result<trialdose::pipeline::Prepared> {
    use trialdose::pipeline::Loaded;
    match trialdose::pipeline::load(dir, options, skip_invalid)? {
        Loaded::Ready(prepared) => {
            print_notices(&prepared.cohort);
            Ok(prepared)
        }
        Loaded::Rejected(cohort) => {
            print_notices(&cohort);
            Err(DataError(format!(
                "{} row(s) rejected; run `trialdose validate {}` to see them, or add --skip-invalid",
                cohort.ledger.rejections().len(),
                dir.display()
            ))
            .into())
        }
    }
}

/// Chart files to write (an HTML page always embeds SVG).
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ChartFormat {
    /// PNG only.
    Png,
    /// SVG only.
    Svg,
    /// Both.
    Both,
}

impl From<ChartFormat> for trialdose::pipeline::ChartFiles {
    fn from(f: ChartFormat) -> Self {
        use trialdose::pipeline::ChartFiles;
        match f {
            ChartFormat::Png => ChartFiles::Png,
            ChartFormat::Svg => ChartFiles::Svg,
            ChartFormat::Both => ChartFiles::Both,
        }
    }
}

/// `--documents` of `report` and `audit`: the documents written, named after the command
/// (`report.html`, `audit.md`, ...).
#[derive(clap::Args)]
struct DocumentsArg {
    /// Documents to write, comma-separated: html (one self-contained page), md (Markdown with
    /// pipe tables, pointing at the chart files), docx (Word, with editable tables and the
    /// charts embedded).
    #[arg(
        long,
        value_enum,
        value_name = "html,md,docx",
        value_delimiter = ',',
        default_value = "html,md,docx"
    )]
    documents: Vec<DocumentKind>,
}

/// A document `report` and `audit` can write.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DocumentKind {
    /// NAME.html: one self-contained page.
    Html,
    /// NAME.md: Markdown with pipe tables, the charts beside it.
    Md,
    /// NAME.docx: Word, with editable tables and the charts embedded.
    Docx,
}

impl DocumentsArg {
    /// The documents asked for.
    fn chosen(&self) -> trialdose::pipeline::Documents {
        trialdose::pipeline::Documents {
            html: self.documents.contains(&DocumentKind::Html),
            markdown: self.documents.contains(&DocumentKind::Md),
            word: self.documents.contains(&DocumentKind::Docx),
        }
    }
}

/// The hypothesis of a margin test.
#[derive(Clone, Copy, clap::ValueEnum)]
enum HypothesisArg {
    /// The arm is not worse than the comparator by the margin or more.
    Noninferiority,
    /// The arm is better than the comparator by more than the margin.
    Superiority,
    /// The arm is within the margin of the comparator on both sides.
    Equivalence,
}

impl From<HypothesisArg> for trialdose::stats::margin::Hypothesis {
    fn from(arg: HypothesisArg) -> Self {
        match arg {
            HypothesisArg::Noninferiority => Self::Noninferiority,
            HypothesisArg::Superiority => Self::Superiority,
            HypothesisArg::Equivalence => Self::Equivalence,
        }
    }
}

/// The margin test asked for by `--margin`/`--margin-ratio` and `--hypothesis`, validated.
fn margin_arg(
    margin: Option<f64>,
    margin_ratio: Option<f64>,
    hypothesis: HypothesisArg,
) -> Result<Option<trialdose::stats::margin::MarginSpec>, UsageError> {
    use trialdose::stats::margin::Margin;
    let (flag, margin) = match (margin, margin_ratio) {
        (Some(d), None) => ("--margin", Margin::Difference(d)),
        (None, Some(r)) => ("--margin-ratio", Margin::Ratio(r)),
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(UsageError(
                "give --margin (risk difference) or --margin-ratio (risk ratio), not both"
                    .to_owned(),
            ));
        }
    };
    let hypothesis = hypothesis.into();
    margin
        .check(hypothesis)
        .map(|margin| Some(trialdose::stats::margin::MarginSpec { hypothesis, margin }))
        .map_err(|e| UsageError(format!("{flag}: {e}")))
}

/// Interval method for a risk difference.
#[derive(Clone, Copy, clap::ValueEnum)]
enum RdMethodArg {
    /// Wald (simple asymptotic).
    Wald,
    /// Newcombe's hybrid score interval (method 10).
    Newcombe,
    /// Agresti-Caffo (one success and one failure added to each arm).
    AgrestiCaffo,
    /// Miettinen-Nurminen score interval.
    MiettinenNurminen,
}

impl From<RdMethodArg> for trialdose::stats::RdMethod {
    fn from(arg: RdMethodArg) -> Self {
        use trialdose::stats::RdMethod;
        match arg {
            RdMethodArg::Wald => RdMethod::Wald,
            RdMethodArg::Newcombe => RdMethod::Newcombe,
            RdMethodArg::AgrestiCaffo => RdMethod::AgrestiCaffo,
            RdMethodArg::MiettinenNurminen => RdMethod::MiettinenNurminen,
        }
    }
}

/// Parses the command line and runs the subcommand.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return Ok(ExitCode::from(
                u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE),
            ));
        }
    };
    let result = match cli.command {
        Command::Validate(a) => validate::run(a),
        Command::Analyze(a) => analyze::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Convert(a) => convert::run(a),
        Command::Init(a) => init::run(a),
        Command::Simulate(c) => simulate::run(c),
        Command::Plot(a) => plot::run(a),
        Command::Report(a) => report::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
    };
    finish_outputs(result)
}

/// The end of every command that wrote into an output folder (see `trialdose::files::folder`):
/// on success the folders are synced and their marker of an incomplete set removed; after a
/// failure, each folder left holding a mix of old and new files is named.
fn finish_outputs(result: anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    use trialdose::files::folder::INCOMPLETE_NAME;
    let earlier = trialdose::files::earlier_incomplete_folders();
    match result {
        Ok(code) => {
            trialdose::files::finish_output_folders()?;
            for dir in earlier {
                eprintln!(
                    "trialdose: note: {} was marked incomplete by an earlier run that failed ({INCOMPLETE_NAME}); this run rewrote it and removed the mark",
                    dir.display()
                );
            }
            Ok(code)
        }
        Err(err) => {
            for dir in trialdose::files::incomplete_output_folders() {
                eprintln!(
                    "trialdose: note: {} may now mix files of this run and of an earlier one; {} marks it until a run into it succeeds",
                    dir.display(),
                    dir.join(INCOMPLETE_NAME).display()
                );
            }
            Err(err)
        }
    }
}

/// The exit code for an error, from the first typed error in its chain.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    use trialdose::pipeline::PipelineError;
    for cause in err.chain() {
        // The pipeline's error keeps the library's own; classify that one.
        let cause: &(dyn std::error::Error + 'static) =
            match cause.downcast_ref::<trialdose::pipeline::PipelineError>() {
                Some(PipelineError::Cohort(e)) => e,
                Some(PipelineError::Output(e)) => e,
                Some(PipelineError::Xlsx(e)) => e,
                _ => cause,
            };
        if let Some(e) = cause.downcast_ref::<CohortError>() {
            return match e {
                CohortError::Input { .. } => EXIT_NO_INPUT,
                // An unreadable trial.toml is a missing input; one that is not UTF-8 is bad.
                CohortError::Protocol(ProtocolError::Read { source, .. })
                    if source.kind() != std::io::ErrorKind::InvalidData =>
                {
                    EXIT_NO_INPUT
                }
                CohortError::Protocol(_) => EXIT_USAGE,
                // A bad `[source]` or a mapping the source cannot satisfy is a usage error;
                // a source file that cannot be read is a missing input.
                CohortError::Source(trialdose::cohort::SourceError::Usage { .. }) => EXIT_USAGE,
                CohortError::Source(trialdose::cohort::SourceError::Input { .. }) => EXIT_NO_INPUT,
                CohortError::Unbalanced { .. } | CohortError::SourceUnbalanced { .. } => 1,
            };
        }
        if let Some(e) = cause.downcast_ref::<trialdose::cohort::SourceError>() {
            return match e {
                trialdose::cohort::SourceError::Usage { .. } => EXIT_USAGE,
                trialdose::cohort::SourceError::Input { .. } => EXIT_NO_INPUT,
            };
        }
        if cause.is::<DataError>() {
            return EXIT_DATA;
        }
        if cause.is::<ProtocolError>() || cause.is::<UsageError>() {
            return EXIT_USAGE;
        }
        // results.xlsx fails only to be written (no value of the run is refused).
        if cause.is::<OutputError>() || cause.is::<trialdose::render::xlsx::XlsxError>() {
            return EXIT_CANT_CREATE;
        }
    }
    1
}

/// `text` safe to print on a terminal (see [`term::safe`]).
pub fn safe_text(text: &str) -> std::borrow::Cow<'_, str> {
    term::safe(text)
}

/// True when the error is a closed stdout (e.g. `| head`), which is a normal end.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Most threads `--threads` may ask for.
const MAX_THREADS: usize = 256;

/// Threads to use: the flag, or every core. The flag is a cap on every pool of the process
/// (`trialdose::parallel`): at most `n` threads work at once (tests/threads.rs counts them).
fn threads(flag: Option<usize>) -> anyhow::Result<usize> {
    match flag {
        Some(n) if (1..=MAX_THREADS).contains(&n) => {
            trialdose::parallel::set_cap(n);
            Ok(n)
        }
        Some(n) => Err(UsageError(format!(
            "--threads {n}: allowed 1 to {MAX_THREADS} (results never depend on it)"
        ))
        .into()),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// Refuses an output folder that is the cohort folder itself: analysis files would overwrite
/// the input (participants.csv above all). Folders are compared by device and inode, so a
/// symbolic link, a bind mount or another spelling of the path is recognised.
fn refuse_output_in_cohort(out: &std::path::Path, cohort: &std::path::Path) -> anyhow::Result<()> {
    if trialdose::files::same_folder(out, cohort) {
        return Err(UsageError(format!(
            "--out {} is the cohort folder {} itself (the same folder on disk); results would overwrite the input files. Choose another folder, e.g. --out results",
            out.display(),
            cohort.display()
        ))
        .into());
    }
    Ok(())
}

/// Prints the per-file counts and the first problems of a cohort to `w`.
fn print_ledger_summary(
    w: &mut dyn std::io::Write,
    cohort: &trialdose::cohort::Cohort,
    max_problems: usize,
) -> std::io::Result<()> {
    let table_line = |name: &str, c: trialdose::cohort::FileCounts, ignored: Option<u64>| {
        let rows = c.rows + ignored.unwrap_or(0);
        let ignored = ignored.map_or(String::new(), |n| format!(" + {n} ignored"));
        term::safe(&format!(
            "{name:<17} {rows:>9} rows = {} accepted + {} rejected + {} ignored duplicates{ignored}",
            c.accepted,
            c.rejected,
            c.ignored_duplicates
        ))
        .into_owned()
    };
    if cohort.sources.is_empty() {
        for f in &cohort.files {
            writeln!(w, "{}", table_line(f.name(), f.counts, None))?;
        }
    }
    // A translated source: the balance per source file, and per table it feeds.
    for s in &cohort.sources {
        let fed: Vec<_> = cohort
            .files
            .iter()
            .filter(|f| s.tables.contains(&f.file))
            .collect();
        if let [f] = fed.as_slice() {
            writeln!(w, "{}", table_line(&s.name, f.counts, Some(s.ignored)))?;
            continue;
        }
        if fed.is_empty() && s.rows == 0 {
            // A REDCap data dictionary: read for what the codes mean, no data rows.
            let line = format!("{:<17} (definitions; no data rows)", s.name);
            writeln!(w, "{}", term::safe(&line))?;
            continue;
        }
        let line = format!(
            "{:<17} {:>9} rows = {} feeding tables + {} ignored",
            s.name,
            s.rows,
            s.rows - s.ignored.min(s.rows),
            s.ignored
        );
        writeln!(w, "{}", term::safe(&line))?;
        for f in fed {
            let name = format!("  {}", f.file.name());
            writeln!(w, "{}", table_line(&name, f.counts, None))?;
        }
    }
    let rejections = cohort.ledger.rejections();
    if !rejections.is_empty() {
        writeln!(w, "first problems:")?;
        for r in rejections.iter().take(max_problems) {
            let value = if r.value.is_empty() {
                String::new()
            } else {
                format!(" value {:?}", r.value)
            };
            let column = if r.column.is_empty() {
                String::new()
            } else {
                format!(" column {}", r.column)
            };
            let line = format!(
                "  {} line {}{column}{value}: {}",
                r.file_name(),
                r.line,
                r.reason
            );
            writeln!(w, "{}", term::safe(&line))?;
        }
        if rejections.len() > max_problems {
            writeln!(w, "  ... and {} more", rejections.len() - max_problems)?;
        }
    }
    Ok(())
}

/// Prints notices and ignored duplicates to stderr.
fn print_notices(cohort: &trialdose::cohort::Cohort) {
    for n in &cohort.notices {
        eprintln!("trialdose: note: {}", term::safe(n));
    }
    const MAX: usize = 10;
    for d in cohort.duplicates.iter().take(MAX) {
        eprintln!(
            "trialdose: note: {} line {}: exact duplicate of line {}, ignored",
            d.file_name(),
            d.line,
            d.kept_line
        );
    }
    if cohort.duplicates.len() > MAX {
        eprintln!(
            "trialdose: note: ... and {} more exact duplicates ignored (counted in the summary)",
            cohort.duplicates.len() - MAX
        );
    }
}

/// Reads a JSON input whole (`--sim`, `simulate merge`): exit 66 when it is missing, not a
/// regular file, or larger than [`trialdose::files::JSON_LIMIT`].
fn read_json_input(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    trialdose::files::read_input(path, trialdose::files::JSON_LIMIT).map_err(|source| {
        anyhow::Error::from(CohortError::Input {
            path: path.to_owned(),
            source,
        })
    })
}

/// Whether `--evidence NAME` names a cohort folder. A name that is a path (it holds a `/` or
/// exists) but no folder is an input that cannot be read (exit 66); any other name is left to
/// the built-in evidence names.
fn evidence_folder(name: &str) -> anyhow::Result<bool> {
    let path = std::path::Path::new(name);
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(true),
        Ok(_) => Err(CohortError::Input {
            path: path.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "--evidence takes a built-in name (dream) or a cohort folder, and this is not a folder",
            ),
        }
        .into()),
        Err(source)
            if name.contains(std::path::MAIN_SEPARATOR)
                || source.kind() != std::io::ErrorKind::NotFound
                || std::fs::symlink_metadata(path).is_ok() =>
        {
            Err(CohortError::Input {
                path: path.to_owned(),
                source,
            }
            .into())
        }
        Err(_) => Ok(false),
    }
}
