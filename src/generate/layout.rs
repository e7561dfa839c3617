//! The same cohort written the way real exports look: `generate --layout`.
//!
//! The generator writes the data contract's own layout: rows grouped by participant, columns in
//! the contract's order, no quotes, LF line ends, ids zero-padded. Session logs that people
//! actually hand in are written as visits happen (by date), or come out of a spreadsheet with
//! every text cell quoted, CRLF line ends and a byte-order mark, columns in another order, ids
//! without padding, and function markers beside the scores. A [`Layout`] rewrites the
//! generator's files into such a layout, keeping every value (so the analysis of the rewritten
//! cohort is the analysis of the original, apart from the ids and the markers added), for the
//! tests and the benchmarks to hold the readers to every layout.

use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::participant::below;

/// The order of the rows of sessions.csv.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionOrder {
    /// Grouped by participant, in participant order (the generator's own).
    #[default]
    Grouped,
    /// By date, participants in file order within a day (a log written as visits happen).
    Chronological,
    /// Shuffled (seeded): no order at all.
    Shuffled,
}

/// A layout: the session order plus any of the other rewrites, each independent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Order of the session rows.
    pub sessions: SessionOrder,
    /// Every file's columns in reverse order (participant_id last).
    pub reversed_columns: bool,
    /// As a spreadsheet saves it: every non-empty text cell and every header name quoted,
    /// CRLF line ends, a UTF-8 byte-order mark.
    pub excel: bool,
    /// Ids without zero padding (`P17`, not `P0000017`), so not sorted as text.
    pub unpadded_ids: bool,
    /// A function marker column (`walk_minutes`) in scores.csv, declared in a trial.toml.
    pub markers: bool,
}

/// The words `--layout` takes, for messages.
pub const LAYOUT_WORDS: &str =
    "grouped, chronological, shuffled, columns, excel, unpadded, markers, all";

/// The marker column [`Layout::markers`] adds.
pub const MARKER_COLUMN: &str = "walk_minutes";

/// A `--layout` that is not a comma-separated list of [`LAYOUT_WORDS`].
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown layout `{0}`: give a comma-separated list of {LAYOUT_WORDS} (e.g. `chronological,excel`)"
)]
pub struct LayoutError(pub String);

impl FromStr for Layout {
    type Err = LayoutError;

    fn from_str(s: &str) -> Result<Layout, LayoutError> {
        let mut layout = Layout::default();
        for word in s.split(',').map(str::trim) {
            match word.to_ascii_lowercase().as_str() {
                "grouped" => layout.sessions = SessionOrder::Grouped,
                "chronological" => layout.sessions = SessionOrder::Chronological,
                "shuffled" => layout.sessions = SessionOrder::Shuffled,
                "columns" => layout.reversed_columns = true,
                "excel" => layout.excel = true,
                "unpadded" => layout.unpadded_ids = true,
                "markers" => layout.markers = true,
                "all" => {
                    layout = Layout {
                        sessions: SessionOrder::Chronological,
                        reversed_columns: true,
                        excel: true,
                        unpadded_ids: true,
                        markers: true,
                    }
                }
                _ => return Err(LayoutError(word.to_owned())),
            }
        }
        Ok(layout)
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = vec![match self.sessions {
            SessionOrder::Grouped => "grouped",
            SessionOrder::Chronological => "chronological",
            SessionOrder::Shuffled => "shuffled",
        }];
        for (on, word) in [
            (self.reversed_columns, "columns"),
            (self.excel, "excel"),
            (self.unpadded_ids, "unpadded"),
            (self.markers, "markers"),
        ] {
            if on {
                words.push(word);
            }
        }
        f.write_str(&words.join(","))
    }
}

/// Which file a rewrite applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutFile {
    /// participants.csv
    Participants,
    /// sessions.csv
    Sessions,
    /// scores.csv
    Scores,
}

impl LayoutFile {
    /// Columns holding numbers (never quoted by a spreadsheet), by index in the generator's
    /// column order (a marker column, added last to scores.csv, is a number too).
    fn numeric(self, column: usize) -> bool {
        match self {
            LayoutFile::Participants => column == 2,
            LayoutFile::Sessions => column == 2,
            LayoutFile::Scores => column >= 1,
        }
    }
}

/// Stream of the session shuffle and of the marker values (participant streams are
/// 1..=N and the allocation stream is 0, so these never meet them).
const SHUFFLE_STREAM: u64 = u64::MAX;
const MARKER_STREAM: u64 = u64::MAX - 1;

impl Layout {
    /// True for the generator's own layout (nothing to rewrite).
    #[must_use]
    pub fn is_contract(&self) -> bool {
        *self == Layout::default()
    }

    /// The trial.toml this layout needs (declaring the marker), if any.
    #[must_use]
    pub fn trial_toml(&self) -> Option<String> {
        self.markers.then(|| {
            format!(
                "# Written by `trialdose generate --layout markers`: the marker column of scores.csv.\n\
                 [[markers]]\ncolumn = \"{MARKER_COLUMN}\"\nbetter = \"higher\"\nresponder_min_improvement = 5\n"
            )
        })
    }

    /// Rewrites one file as the generator wrote it (`bytes`: header and LF-ended rows
    /// without quotes) into this layout. Same `seed`, same bytes.
    #[must_use]
    pub fn apply(&self, file: LayoutFile, bytes: &[u8], seed: u64) -> Vec<u8> {
        let mut lines: Vec<&[u8]> = bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            return bytes.to_vec();
        }
        let header = lines.remove(0);
        if file == LayoutFile::Sessions {
            match self.sessions {
                SessionOrder::Grouped => {}
                // Dates are ISO, so their text sorts as the dates do; the sort is stable, so
                // a day's visits keep the participants' order.
                SessionOrder::Chronological => lines.sort_by_key(|l| field(l, 1)),
                SessionOrder::Shuffled => {
                    let mut rng = ChaCha8Rng::seed_from_u64(seed);
                    rng.set_stream(SHUFFLE_STREAM);
                    // Fisher-Yates (fewer than 2^32 rows: a cohort has at most 10 million
                    // participants, with about ten sessions each).
                    for i in (1..lines.len()).rev() {
                        let j = below(&mut rng, (i + 1) as u32) as usize;
                        lines.swap(i, j);
                    }
                }
            }
        }
        let mut marker_rng = ChaCha8Rng::seed_from_u64(seed);
        marker_rng.set_stream(MARKER_STREAM);
        let add_marker = self.markers && file == LayoutFile::Scores;
        let eol: &[u8] = if self.excel { b"\r\n" } else { b"\n" };
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 3);
        if self.excel {
            out.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let put = |cells: &[&[u8]], header: bool, out: &mut Vec<u8>| {
            let n = cells.len();
            for k in 0..n {
                // Reversed columns: the k-th cell written is the (n-1-k)-th of the row.
                let src = if self.reversed_columns { n - 1 - k } else { k };
                let cell = cells[src];
                if k > 0 {
                    out.push(b',');
                }
                let quote = self.excel && !cell.is_empty() && (header || !file.numeric(src));
                if quote {
                    out.push(b'"');
                }
                out.extend_from_slice(cell);
                if quote {
                    out.push(b'"');
                }
            }
            out.extend_from_slice(eol);
        };
        let mut cells: Vec<&[u8]> = header.split(|&b| b == b',').collect();
        if add_marker {
            cells.push(MARKER_COLUMN.as_bytes());
        }
        put(&cells, true, &mut out);
        let (mut id, mut marker) = (Vec::new(), Vec::new());
        for line in lines {
            let mut cells: Vec<&[u8]> = line.split(|&b| b == b',').collect();
            if self.unpadded_ids {
                id.clear();
                id.extend_from_slice(cells[0]);
                unpad(&mut id);
                cells[0] = &id;
            }
            if add_marker {
                // Minutes walked, 0.0 to 59.9.
                let tenths = below(&mut marker_rng, 600);
                marker.clear();
                marker.extend_from_slice(format!("{}.{}", tenths / 10, tenths % 10).as_bytes());
                cells.push(&marker);
            }
            put(&cells, false, &mut out);
        }
        out
    }
}

/// Field `k` of a generator line (no quotes).
fn field(line: &[u8], k: usize) -> &[u8] {
    line.split(|&b| b == b',').nth(k).unwrap_or_default()
}

/// `P0000017` -> `P17` (the letter kept, the zeros after it dropped, one digit at least).
fn unpad(id: &mut Vec<u8>) {
    let zeros = id[1.min(id.len())..]
        .iter()
        .take_while(|&&b| b == b'0')
        .count();
    let keep_one = usize::from(zeros > 0 && zeros + 1 == id.len());
    id.drain(1..1 + zeros - keep_one);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_parse_and_print() {
        let l: Layout = "chronological, excel,columns".parse().unwrap();
        assert_eq!(l.sessions, SessionOrder::Chronological);
        assert!(l.excel && l.reversed_columns && !l.markers && !l.unpadded_ids);
        assert_eq!(l.to_string(), "chronological,columns,excel");
        assert!("grouped".parse::<Layout>().unwrap().is_contract());
        let all: Layout = "all".parse().unwrap();
        assert_eq!(
            all.to_string(),
            "chronological,columns,excel,unpadded,markers"
        );
        let e = "sorted".parse::<Layout>().unwrap_err().to_string();
        assert!(e.contains("`sorted`") && e.contains("chronological"), "{e}");
    }

    #[test]
    fn ids_lose_their_padding_only() {
        for (from, to) in [
            ("P0000017", "P17"),
            ("P0000000", "P0"),
            ("P10", "P10"),
            ("P", "P"),
        ] {
            let mut id = from.as_bytes().to_vec();
            unpad(&mut id);
            assert_eq!(id, to.as_bytes(), "{from}");
        }
    }

    #[test]
    fn rewrites_keep_every_value() {
        let sessions = b"participant_id,date,minutes,status,therapist,adverse_event\n\
            P0000001,2013-01-09,60,attended,T01,none\n\
            P0000001,2013-01-02,,missed,T01,none\n\
            P0000002,2013-01-02,30,attended,T02,mild\n";
        let chrono: Layout = "chronological".parse().unwrap();
        assert_eq!(
            chrono.apply(LayoutFile::Sessions, sessions, 1),
            b"participant_id,date,minutes,status,therapist,adverse_event\n\
            P0000001,2013-01-02,,missed,T01,none\n\
            P0000002,2013-01-02,30,attended,T02,mild\n\
            P0000001,2013-01-09,60,attended,T01,none\n"
        );
        let excel: Layout = "excel,columns,unpadded".parse().unwrap();
        let out = excel.apply(LayoutFile::Sessions, sessions, 1);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.split('\n').nth(2).unwrap(),
            "\"none\",\"T01\",\"missed\",,\"2013-01-02\",\"P1\"\r"
        );
        assert!(text.starts_with("\u{feff}\"adverse_event\",\"therapist\","));
        let shuffled: Layout = "shuffled".parse().unwrap();
        let a = shuffled.apply(LayoutFile::Sessions, sessions, 7);
        let mut got: Vec<&[u8]> = a.split(|&b| b == b'\n').collect();
        let mut want: Vec<&[u8]> = sessions.split(|&b| b == b'\n').collect();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(a, shuffled.apply(LayoutFile::Sessions, sessions, 7));
        let scores = b"participant_id,week,pain,ndi\nP0000001,0,5.5,20\n";
        let marked: Layout = "markers,excel".parse().unwrap();
        let text = String::from_utf8(marked.apply(LayoutFile::Scores, scores, 3)).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert!(row.starts_with("\"P0000001\",0,5.5,20,"), "{row}");
        assert!(marked.trial_toml().unwrap().contains(MARKER_COLUMN));
    }
}
