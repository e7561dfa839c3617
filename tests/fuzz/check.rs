//! The assertions of every case: the exit code is a documented one, nothing panicked or hung
//! or was killed, no raw terminal escape reached the terminal, every printed and recorded row
//! ledger balances (`accepted + rejected + ignored duplicates = rows`, and the rejection
//! records agree with the counts), every CSV and JSON output parses and every SVG is valid
//! XML text, the inputs are untouched, and a rerun (and a run with another `--threads`)
//! gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use super::case::Case;
use super::run::Outcome;

/// The documented exit codes (README, "Exit codes").
pub const DOCUMENTED: [i32; 6] = [0, 1, 2, 65, 66, 73];

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Ran past the time limit.
    Hang,
    /// Killed by a signal (abort, out of memory, segfault).
    Signal,
    /// "panicked" in the output, or exit 101.
    Panic,
    /// An exit code outside the documented ones.
    BadExit,
    /// Exit 1: an error the tool did not classify as usage, data, input or output.
    Unclassified,
    /// Exit 66 or 73 although every input exists and the output folder is writable.
    WrongCode,
    /// A row ledger that does not balance or disagrees with itself.
    Ledger,
    /// An output file that does not parse (CSV, JSON) or an SVG with characters XML forbids.
    BadOutput,
    /// A raw ESC or other control character printed to the terminal.
    RawEscape,
    /// An input file changed.
    InputModified,
    /// A temporary file left in the output folder.
    Leftover,
    /// A rerun gave other bytes.
    NotReproducible,
    /// A run with another `--threads` gave other bytes.
    ThreadDependent,
}

/// One failed assertion.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Its kind.
    pub kind: Kind,
    /// What exactly.
    pub detail: String,
}

fn fail(out: &mut Vec<Failure>, kind: Kind, detail: impl Into<String>) {
    out.push(Failure {
        kind,
        detail: detail.into(),
    });
}

/// The per-file counts printed as `NAME  R rows = A accepted + X rejected + D ignored
/// duplicates`.
fn printed(text: &str) -> BTreeMap<String, [u64; 4]> {
    crate::util::printed_counts(text)
        .into_iter()
        .map(|(k, c)| (k, [c.rows, c.accepted, c.rejected, c.ignored]))
        .collect()
}

/// Parses CSV bytes strictly (equal field counts); returns header and records.
fn parse_csv(bytes: &[u8]) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let mut r = csv::ReaderBuilder::new().from_reader(bytes);
    let header = r
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        rows.push(rec.iter().map(str::to_owned).collect());
    }
    Ok((header, rows))
}

/// Checks a rejections.csv against the printed or recorded counts: each file's rejected rows
/// have records at as many distinct lines, give or take one record about the header.
fn check_rejections(bytes: &[u8], counts: &BTreeMap<String, [u64; 4]>, out: &mut Vec<Failure>) {
    let (header, rows) = match parse_csv(bytes) {
        Ok(t) => t,
        Err(e) => return fail(out, Kind::BadOutput, format!("rejections.csv: {e}")),
    };
    let (Some(f), Some(l)) = (
        header.iter().position(|h| h == "file"),
        header.iter().position(|h| h == "line"),
    ) else {
        return fail(
            out,
            Kind::BadOutput,
            format!("rejections.csv header {header:?}"),
        );
    };
    let mut lines: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in &rows {
        lines
            .entry(r[f].as_str())
            .or_default()
            .insert(r[l].as_str());
    }
    for (file, c) in counts {
        let distinct = lines.get(file.as_str()).map_or(0, |s| s.len() as u64);
        let rejected = c[2];
        if !(rejected == distinct || rejected + 1 == distinct) {
            fail(
                out,
                Kind::Ledger,
                format!(
                    "{file}: {rejected} rows rejected but rejections.csv has records at {distinct} distinct lines"
                ),
            );
        }
    }
}

/// Every assertion on one run of `case`.
pub fn check(case: &Case, o: &Outcome) -> Vec<Failure> {
    let mut out = Vec::new();
    if o.timed_out {
        fail(
            &mut out,
            Kind::Hang,
            format!("killed after {:.1} s", o.elapsed.as_secs_f64()),
        );
        return out;
    }
    if let Some(sig) = o.signal {
        fail(&mut out, Kind::Signal, format!("killed by signal {sig}"));
    }
    let text = o.text();
    if text.contains("panicked") || o.code == Some(101) {
        let line = text
            .lines()
            .find(|l| l.contains("panicked"))
            .unwrap_or("exit 101");
        fail(&mut out, Kind::Panic, line.to_owned());
    }
    match o.code {
        Some(c) if !DOCUMENTED.contains(&c) && c != 101 => {
            fail(&mut out, Kind::BadExit, format!("exit {c}"));
        }
        Some(c) if !DOCUMENTED.contains(&c) => {}
        Some(1) => fail(
            &mut out,
            Kind::Unclassified,
            format!("exit 1: {}", first_error(&text)),
        ),
        Some(c @ (66 | 73)) if !input_may_be_missing(case) => fail(
            &mut out,
            Kind::WrongCode,
            format!("exit {c} with every input present: {}", first_error(&text)),
        ),
        _ => {}
    }
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        if let Some((at, c)) = text
            .char_indices()
            .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            let before: String = text[..at]
                .chars()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let after: String = text[at..].chars().take(20).collect();
            fail(
                &mut out,
                Kind::RawEscape,
                format!(
                    "raw control character {c:?} on {stream}: {:?}",
                    before + &after
                ),
            );
        }
    }
    for name in &o.inputs_changed {
        fail(&mut out, Kind::InputModified, format!("{name} changed"));
    }
    for name in &o.hidden {
        if name.contains("tmp") || name.contains("probe") {
            fail(
                &mut out,
                Kind::Leftover,
                format!("{name} left in the output folder"),
            );
        }
    }
    outputs(o, &mut out);
    ledger(case, o, &text, &mut out);
    out
}

/// True when the case names an input that may legitimately be missing (exit 66).
fn input_may_be_missing(case: &Case) -> bool {
    case.args
        .iter()
        .any(|a| a == "/nonexistent" || a.is_empty())
        || case
            .value("--evidence")
            .is_some_and(|e| e != "dream" && !e.contains("{WORK}"))
        || case.value("--evidence") == Some("DREAM")
}

/// The first line of an error message.
pub fn first_error(text: &str) -> String {
    text.lines()
        .find(|l| l.contains("error"))
        .unwrap_or("")
        .chars()
        .take(300)
        .collect()
}

fn outputs(o: &Outcome, out: &mut Vec<Failure>) {
    for (name, bytes) in &o.outputs {
        if name.ends_with(".csv") {
            if let Err(e) = parse_csv(bytes) {
                fail(out, Kind::BadOutput, format!("{name}: {e}"));
            }
        } else if name.ends_with(".json") {
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(bytes) {
                fail(out, Kind::BadOutput, format!("{name}: not JSON: {e}"));
            }
        } else if name.ends_with(".svg") || name.ends_with(".html") {
            match std::str::from_utf8(bytes) {
                Err(e) => fail(out, Kind::BadOutput, format!("{name}: not UTF-8: {e}")),
                Ok(t) => {
                    if let Some(c) = t
                        .chars()
                        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
                    {
                        fail(
                            out,
                            Kind::BadOutput,
                            format!("{name}: holds the control character {c:?}, which XML forbids"),
                        );
                    }
                }
            }
        }
    }
}

fn ledger(case: &Case, o: &Outcome, text: &str, out: &mut Vec<Failure>) {
    let counts = printed(text);
    for (file, c) in &counts {
        if c[1] + c[2] + c[3] != c[0] {
            fail(
                out,
                Kind::Ledger,
                format!("printed {file}: {c:?} (rows, accepted, rejected, ignored) do not add up"),
            );
        }
    }
    let command = case.command();
    if command == "validate" && matches!(o.code, Some(0 | 65)) {
        if counts.len() != 3 {
            fail(
                out,
                Kind::Ledger,
                format!("validate printed counts for {} files", counts.len()),
            );
        }
        // Exit 65 exactly when the ledger has a record: a rejected row, or a problem with a
        // file itself (an empty file has one record at line 1 and no rows).
        let rejected: u64 = counts.values().map(|c| c[2]).sum();
        let problems = text.contains("first problems:");
        if (rejected > 0 || problems) != (o.code == Some(65)) || (rejected > 0 && !problems) {
            let listed = if problems { "listed" } else { "not listed" };
            fail(
                out,
                Kind::Ledger,
                format!(
                    "validate exit {:?} with {rejected} rejected rows, problems {listed}",
                    o.code
                ),
            );
        }
        if let Some(b) = o.outputs.get("rejections.csv") {
            check_rejections(b, &counts, out);
        }
    }
    if command == "analyze" && o.code == Some(0) {
        let Some(summary) = o.outputs.get("summary.json") else {
            return fail(out, Kind::Ledger, "analyze exit 0 without summary.json");
        };
        let Ok(doc) = serde_json::from_slice::<serde_json::Value>(summary) else {
            return;
        };
        let recorded: BTreeMap<String, [u64; 4]> = doc["files"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| {
                        let n = |k: &str| f[k].as_u64();
                        Some((
                            f["file"].as_str()?.to_owned(),
                            [
                                n("rows")?,
                                n("accepted")?,
                                n("rejected")?,
                                n("ignored_duplicates")?,
                            ],
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if recorded.len() != 3 {
            fail(
                out,
                Kind::Ledger,
                format!("summary.json records {} files", recorded.len()),
            );
        }
        for (file, c) in &recorded {
            if c[1] + c[2] + c[3] != c[0] {
                fail(
                    out,
                    Kind::Ledger,
                    format!("summary.json {file}: {c:?} do not add up"),
                );
            }
            if let Some(p) = counts.get(file)
                && p != c
            {
                fail(
                    out,
                    Kind::Ledger,
                    format!("{file}: printed {p:?}, summary.json {c:?}"),
                );
            }
        }
        let rejected: u64 = recorded.values().map(|c| c[2]).sum();
        if rejected > 0 && !case.has("--skip-invalid") {
            fail(
                out,
                Kind::Ledger,
                format!("analyze exit 0 in strict mode with {rejected} rejected rows"),
            );
        }
        if let (Some(p), Some(c)) = (
            o.outputs.get("participants.csv"),
            recorded.get("participants.csv"),
        ) && let Ok((_, rows)) = parse_csv(p)
            && rows.len() as u64 != c[1]
        {
            fail(
                out,
                Kind::Ledger,
                format!(
                    "participants.csv has {} rows for {} accepted participants",
                    rows.len(),
                    c[1]
                ),
            );
        }
        if let Some(b) = o.outputs.get("rejections.csv") {
            check_rejections(b, &recorded, out);
        }
    }
    if command == "analyze"
        && o.code == Some(65)
        && !case.has("--skip-invalid")
        && o.outputs.contains_key("arms.csv")
    {
        fail(
            out,
            Kind::Ledger,
            "analyze refused the cohort (65) but wrote arms.csv",
        );
    }
}

/// Compares two runs of the same case byte for byte.
pub fn same(kind: Kind, a: &Outcome, b: &Outcome) -> Option<Failure> {
    let detail = if a.code != b.code || a.signal != b.signal {
        format!("exit {:?} then {:?}", a.code, b.code)
    } else if a.stdout != b.stdout {
        format!(
            "stdout differs:\n{}\n---\n{}",
            clip(&a.stdout),
            clip(&b.stdout)
        )
    } else if a.stderr != b.stderr {
        format!(
            "stderr differs:\n{}\n---\n{}",
            clip(&a.stderr),
            clip(&b.stderr)
        )
    } else if a.outputs.keys().ne(b.outputs.keys()) {
        format!(
            "output files {:?} then {:?}",
            a.outputs.keys().collect::<Vec<_>>(),
            b.outputs.keys().collect::<Vec<_>>()
        )
    } else if let Some((name, _)) = a.outputs.iter().find(|(k, v)| b.outputs.get(*k) != Some(v)) {
        format!("{name} differs")
    } else {
        return None;
    };
    Some(Failure { kind, detail })
}

fn clip(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(600)]).into_owned()
}
