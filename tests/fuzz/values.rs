//! Hostile and boundary values: what a cell, a flag or a trial.toml key is swapped for.
//! Each list mixes the edges of the contract (0, the maxima, leap days) with what a hostile or
//! careless file holds (exponents, NaN, 2^63, formulas, terminal escapes, invisible
//! characters, very long text).

use super::stream::Stream;

/// Cell values for any column (the contract's edges and hostile text).
pub const CELLS: &[&str] = &[
    "",
    " ",
    "0",
    "-0",
    "-1",
    "1",
    "0.5",
    "7.0",
    "45.0",
    "1e3",
    "1e309",
    "-1e309",
    "1E-400",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "0x1F",
    "+5",
    "5.",
    ".5",
    "1_000",
    "1,5",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "999999999999999999",
    "9999999999999999999",
    "0.000000000000000001",
    "0.0000000000000000001",
    "123456789012345678.5",
    "10",
    "50",
    "50.000000000000000001",
    "104",
    "105",
    "120",
    "121",
    "240",
    "240.0000001",
    "2013-01-07",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "2024-02-29",
    "2023-02-29",
    "2024-02-30",
    "2024-13-01",
    "2024-1-7",
    "20240107",
    "-2024-01-07",
    "+2024-01-07",
    "2024-01-07T10:00",
    "control",
    "60x2",
    "60X2",
    " 60x2 ",
    "attended",
    "missed",
    "cancelled",
    "ATTENDED",
    "none",
    "mild",
    "severe",
    "yes",
    "no",
    "true",
    "recent_fracture",
    "recent_fracture;burn",
    "burn;;burn",
    ";",
    "Site D",
    "T1",
    "F",
    "ünïcödé",
    "𝕏𝕐",
    "\u{202e}evil",
    "\u{200b}",
    "\u{feff}60x2",
    "=cmd|calc",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(A1)",
    "-2+3",
    "\t=1",
    "\x1b[31mred\x1b[0m",
    "\x1b]0;owned\x07",
    "\x1b[2J",
    "a\0b",
    "\0",
    "\"",
    "a\"b",
    "a,b",
    "a\nb",
    "a\rb",
    "\r",
    "P1",
];

/// A hostile or boundary cell value; sometimes very long text or a very long number.
pub fn cell(s: &mut Stream, long: usize) -> Vec<u8> {
    match s.below(20) {
        0 => long_text(s, long),
        1 => {
            let mut v = b"1".to_vec();
            v.resize(1 + s.below(long.min(2000)), b'0');
            v
        }
        2 => {
            let mut v = b"0.".to_vec();
            v.resize(2 + s.below(400), b'3');
            v
        }
        _ => s.pick(CELLS).as_bytes().to_vec(),
    }
}

/// Text of up to `max` bytes: one repeated character, sometimes multi-byte.
pub fn long_text(s: &mut Stream, max: usize) -> Vec<u8> {
    let unit: &[u8] = s.choose(&[b"a".as_slice(), "é".as_bytes(), b"\x1b[0m", b"9"]);
    let n = 1 + s.below(max.max(1) / unit.len());
    unit.repeat(n)
}

/// Byte strings spliced into a file at random places.
pub const SPLICES: &[&[u8]] = &[
    b"\"",
    b"\"\"",
    b"\"a,b\"",
    b"\r",
    b"\r\n",
    b"\n",
    b"\n\n",
    b"\xEF\xBB\xBF",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xc3(",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b",",
    b",,,,",
    b"\t",
    b" ",
    b"\x1b[31m",
    b"=cmd|calc",
    b"1e309",
    b"-0",
    b"NaN",
    b"9223372036854775808",
];
