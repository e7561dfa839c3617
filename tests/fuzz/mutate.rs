//! Mutations of a cohort's CSV files, at the byte level (flips, splices of quotes, CR, BOM,
//! NUL and invalid UTF-8, deletions, truncation, duplicated and swapped lines) and at the field
//! level (one cell swapped for a boundary or hostile value, quoted as RFC 4180 says or not),
//! plus the layout changes a user's file may legitimately have (rows shuffled, columns
//! reordered, every cell quoted, CRLF, a BOM). Each mutation returns a short description for
//! the case's label.

use super::stream::Stream;
use super::values;

/// Splits file bytes into lines at LF (the last element is what follows the last LF).
fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    lines.join(&b'\n')
}

fn fields(line: &[u8]) -> Vec<Vec<u8>> {
    line.split(|b| *b == b',').map(<[u8]>::to_vec).collect()
}

fn join_fields(fields: &[Vec<u8>]) -> Vec<u8> {
    fields.join(&b',')
}

/// RFC 4180 quoting: the value in quotes, inner quotes doubled.
pub fn quoted(value: &[u8]) -> Vec<u8> {
    let mut q = vec![b'"'];
    for &b in value {
        if b == b'"' {
            q.push(b'"');
        }
        q.push(b);
    }
    q.push(b'"');
    q
}

/// Indices of the lines that hold data (not the header, not the empty tail).
fn data_lines(ls: &[Vec<u8>]) -> Vec<usize> {
    (1..ls.len()).filter(|&i| !ls[i].is_empty()).collect()
}

/// Applies one random mutation to a CSV file; `long` bounds the length of long cells.
pub fn csv(s: &mut Stream, bytes: &mut Vec<u8>, long: usize) -> String {
    const WEIGHTS: [u32; 21] = [
        30, 4, 10, 5, 8, 3, 5, 4, 3, 2, 3, 4, 4, 3, 4, 1, 2, 3, 2, 3, 2,
    ];
    match s.weighted(&WEIGHTS) {
        0 => swap_cell(s, bytes, long),
        1 => {
            if bytes.is_empty() {
                return "flip (empty file)".into();
            }
            let i = s.below(bytes.len());
            let bit = 1u8 << s.below(8);
            bytes[i] ^= bit;
            format!("flip byte {i} bit {bit:#x}")
        }
        2 => {
            let i = s.below(bytes.len() + 1);
            let what = *s.pick(values::SPLICES);
            bytes.splice(i..i, what.iter().copied());
            format!("splice {:?} at {i}", String::from_utf8_lossy(what))
        }
        3 => {
            let i = s.below(bytes.len() + 1);
            let n = (1 + s.below(64)).min(bytes.len() - i);
            bytes.drain(i..i + n);
            format!("delete {n} bytes at {i}")
        }
        4 => {
            let mut ls = lines(bytes);
            let i = s.below(ls.len());
            let to = if s.chance(0.5) { i } else { s.below(ls.len()) };
            let copy = ls[i].clone();
            ls.insert(to, copy);
            *bytes = join(&ls);
            format!("duplicate line {} at {}", i + 1, to + 1)
        }
        5 => {
            let mut ls = lines(bytes);
            let (a, b) = (s.below(ls.len()), s.below(ls.len()));
            ls.swap(a, b);
            *bytes = join(&ls);
            format!("swap lines {} and {}", a + 1, b + 1)
        }
        6 => {
            let mut ls = lines(bytes);
            let idx = data_lines(&ls);
            let mut rows: Vec<Vec<u8>> = idx.iter().map(|&i| ls[i].clone()).collect();
            for k in (1..rows.len()).rev() {
                let j = s.below(k + 1);
                rows.swap(k, j);
            }
            for (&i, r) in idx.iter().zip(rows) {
                ls[i] = r;
            }
            *bytes = join(&ls);
            "shuffle data rows".into()
        }
        7 => {
            let at = s.below(bytes.len() + 1);
            bytes.truncate(at);
            format!("truncate at {at}")
        }
        8 => {
            *bytes = join(
                &lines(bytes)
                    .into_iter()
                    .map(|mut l| {
                        if !l.is_empty() {
                            l.push(b'\r');
                        }
                        l
                    })
                    .collect::<Vec<_>>(),
            );
            "CRLF line ends".into()
        }
        9 => {
            for b in bytes.iter_mut() {
                if *b == b'\n' {
                    *b = b'\r';
                }
            }
            "lone CR line ends".into()
        }
        10 => {
            bytes.splice(0..0, *b"\xEF\xBB\xBF");
            "byte-order mark".into()
        }
        11 => {
            let ls: Vec<Vec<u8>> = lines(bytes)
                .iter()
                .map(|l| {
                    if l.is_empty() {
                        l.clone()
                    } else {
                        join_fields(&fields(l).iter().map(|f| quoted(f)).collect::<Vec<_>>())
                    }
                })
                .collect();
            *bytes = join(&ls);
            "quote every cell".into()
        }
        12 => {
            let ls = lines(bytes);
            let width = ls.first().map_or(0, |h| fields(h).len());
            let mut perm: Vec<usize> = (0..width).collect();
            for k in (1..perm.len()).rev() {
                let j = s.below(k + 1);
                perm.swap(k, j);
            }
            let ls: Vec<Vec<u8>> = ls
                .iter()
                .map(|l| {
                    let f = fields(l);
                    if f.len() != width {
                        return l.clone();
                    }
                    join_fields(&perm.iter().map(|&i| f[i].clone()).collect::<Vec<_>>())
                })
                .collect();
            *bytes = join(&ls);
            format!("reorder columns {perm:?}")
        }
        13 => {
            let ls = lines(bytes);
            let width = ls.first().map_or(0, |h| fields(h).len());
            let j = s.below(width.max(1));
            let ls: Vec<Vec<u8>> = ls
                .iter()
                .map(|l| {
                    let mut f = fields(l);
                    if j < f.len() && !l.is_empty() {
                        f.remove(j);
                    }
                    join_fields(&f)
                })
                .collect();
            *bytes = join(&ls);
            format!("drop column {j}")
        }
        14 => {
            let mut ls = lines(bytes);
            if ls.is_empty() {
                return "rename header (empty)".into();
            }
            let mut h = fields(&ls[0]);
            let j = s.below(h.len());
            let other = h[s.below(h.len())].clone();
            let new: Vec<u8> = match s.below(5) {
                0 => other,
                1 => h[j].to_ascii_uppercase(),
                2 => [b" ".as_slice(), &h[j], b" "].concat(),
                3 => [b"\xEF\xBB\xBF".as_slice(), &h[j]].concat(),
                _ => values::cell(s, 200),
            };
            let desc = format!("rename column {j} to {:?}", String::from_utf8_lossy(&new));
            h[j] = new;
            ls[0] = join_fields(&h);
            *bytes = join(&ls);
            desc
        }
        15 => {
            if s.chance(0.5) {
                bytes.clear();
                "empty file".into()
            } else {
                let ls = lines(bytes);
                *bytes = ls.first().cloned().unwrap_or_default();
                bytes.push(b'\n');
                "header only".into()
            }
        }
        16 => {
            let junk: &[u8] = s.choose(&[
                b"\n\n\n".as_slice(),
                b",,,,,\n",
                b"\"\n",
                b"\"unterminated,\n",
                b" \t \n",
            ]);
            let at = if s.chance(0.5) {
                bytes.len()
            } else {
                s.below(bytes.len() + 1)
            };
            bytes.splice(at..at, junk.iter().copied());
            format!("junk {:?} at {at}", String::from_utf8_lossy(junk))
        }
        17 => {
            let mut ls = lines(bytes);
            let idx = data_lines(&ls);
            if idx.is_empty() {
                return "long cell (no rows)".into();
            }
            let i = *s.pick(&idx);
            let mut f = fields(&ls[i]);
            let j = s.below(f.len());
            f[j] = values::long_text(s, long);
            let n = f[j].len();
            ls[i] = join_fields(&f);
            *bytes = join(&ls);
            format!("long cell of {n} bytes at line {} field {j}", i + 1)
        }
        18 => {
            let mut ls = lines(bytes);
            let idx = data_lines(&ls);
            for (k, l) in ls.iter_mut().enumerate() {
                if k == 0 {
                    l.extend_from_slice(b",note");
                } else if idx.contains(&k) {
                    l.push(b',');
                    l.extend(values::cell(s, 64));
                }
            }
            *bytes = join(&ls);
            "extra column with hostile values".into()
        }
        19 => {
            // Many copies of one row: a file of repeated ids.
            let mut ls = lines(bytes);
            let idx = data_lines(&ls);
            if idx.is_empty() {
                return "repeat row (no rows)".into();
            }
            let i = *s.pick(&idx);
            let n = 1 + s.below(50);
            let copy = ls[i].clone();
            for _ in 0..n {
                ls.insert(i, copy.clone());
            }
            *bytes = join(&ls);
            format!("repeat line {} {n} times", i + 1)
        }
        _ => {
            // A whole column set to one hostile value.
            let mut ls = lines(bytes);
            let idx = data_lines(&ls);
            let width = ls.first().map_or(0, |h| fields(h).len());
            let j = s.below(width.max(1));
            let v = values::cell(s, 64);
            for &i in &idx {
                let mut f = fields(&ls[i]);
                if j < f.len() {
                    f[j] = v.clone();
                    ls[i] = join_fields(&f);
                }
            }
            *bytes = join(&ls);
            format!("column {j} all {:?}", String::from_utf8_lossy(&v))
        }
    }
}

/// Swaps one cell (usually of a data row, sometimes of the header) for a hostile value,
/// quoted properly when it needs quotes (most of the time) or not at all.
fn swap_cell(s: &mut Stream, bytes: &mut Vec<u8>, long: usize) -> String {
    let mut ls = lines(bytes);
    let idx = data_lines(&ls);
    let i = if idx.is_empty() || s.chance(0.08) {
        0
    } else {
        *s.pick(&idx)
    };
    if ls.is_empty() {
        return "swap cell (empty file)".into();
    }
    let mut f = fields(&ls[i]);
    let j = s.below(f.len());
    let v = values::cell(s, long);
    let needs = v.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    let written = if (needs && s.chance(0.75)) || s.chance(0.1) {
        quoted(&v)
    } else {
        v.clone()
    };
    let shown: String = String::from_utf8_lossy(&v).chars().take(40).collect();
    f[j] = written;
    ls[i] = join_fields(&f);
    *bytes = join(&ls);
    format!("line {} field {j} := {shown:?} ({} bytes)", i + 1, v.len())
}

/// Adds a marker column `name` to scores.csv with random values (numbers mostly).
pub fn add_marker_column(s: &mut Stream, scores: &mut Vec<u8>, name: &str) {
    let mut ls = lines(scores);
    let idx = data_lines(&ls);
    if ls.is_empty() {
        return;
    }
    ls[0].push(b',');
    ls[0].extend_from_slice(name.as_bytes());
    for &i in &idx {
        ls[i].push(b',');
        if s.chance(0.9) {
            ls[i].extend_from_slice(s.below(120).to_string().as_bytes());
        } else {
            ls[i].extend(values::cell(s, 64));
        }
    }
    *scores = join(&ls);
}
