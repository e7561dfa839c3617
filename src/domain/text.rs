//! Small text helpers shared by several layers: byte-wise equality used by the protocol (arm
//! ids), the CSV reader (ids, therapist names) and the REDCap translator (codes, event
//! names), all on the hot path of reading a million rows; the shortest decimal text of a
//! float; and the lowercase hexadecimal of digests and pseudonyms.

/// Byte-wise equality for short texts (ids, therapist names) without a call into `memcmp`.
#[inline(always)]
pub fn same_text(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same_text`] for bytes.
#[inline(always)]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    // Two overlapping loads from each side cover every byte (no copy into a buffer, which
    // would stall the load that follows it).
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// Hands `put` the text `Display` gives `v` (the shortest decimal that reads back as `v`, never
/// an exponent), from ryu where ryu is sure to write the same digits, several times faster
/// (formatting was 3% of a 1M-participant Parquet `analyze`, perf profile of 2026-12-07).
///
/// ryu and `Display` differ only on a tie, where two decimals of the shortest length are
/// equally near `v` (ryu takes the even last digit, `Display` the upper: 123.000030517578125
/// is "123.00003051757812" to ryu, "123.00003051757813" to `Display`). A tie needs `v`'s exact
/// decimal expansion to be one digit longer than the shortest text, so at most 18 digits for
/// an `f64` (10 for an `f32`); a value with `k` binary digits after the point has an exact
/// expansion of at least as many digits as `5^k`, `floor(k log10 5) + 1` (it is
/// `m * 5^k / 10^k`, `m` odd), so
/// from [`Shortest::NO_TIE`] fraction bits on no tie is possible. Other values (whole numbers,
/// halves, quarters: the coarse values data are full of), values ryu would write with an
/// exponent, NaN and the infinities go through `Display`.
#[inline]
pub fn write_shortest<F: Shortest>(v: F, put: impl FnOnce(&str)) {
    if v.fraction_bits() >= F::NO_TIE {
        let mut buf = ryu::Buffer::new();
        let fast = buf.format(v);
        if !fast.contains('e') {
            put(fast.strip_suffix(".0").unwrap_or(fast));
            return;
        }
    }
    put(&v.to_string());
}

/// A float [`write_shortest`] writes.
pub trait Shortest: ryu::Float + std::fmt::Display {
    /// Fraction bits from which no two shortest decimals can tie.
    const NO_TIE: u32;
    /// Binary digits after the point in the value's exact expansion (0 for a whole number, a
    /// NaN or an infinity).
    fn fraction_bits(self) -> u32;
}

impl Shortest for f64 {
    // 5^26 has 19 digits, more than the 18 of a tie (5^25 has 18).
    const NO_TIE: u32 = 26;
    fn fraction_bits(self) -> u32 {
        let bits = self.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1 << 52) - 1);
        let (m, e) = match exponent {
            0 => (fraction, -1074),
            0x7ff => return 0,
            _ => (fraction | 1 << 52, exponent - 1075),
        };
        lowest_bit_below_point(m, e)
    }
}

impl Shortest for f32 {
    // 5^15 has 11 digits, more than the 10 of a tie (5^14 has 10).
    const NO_TIE: u32 = 15;
    fn fraction_bits(self) -> u32 {
        let bits = self.to_bits();
        let exponent = ((bits >> 23) & 0xff) as i32;
        let fraction = u64::from(bits & ((1 << 23) - 1));
        let (m, e) = match exponent {
            0 => (fraction, -149),
            0xff => return 0,
            _ => (fraction | 1 << 23, exponent - 150),
        };
        lowest_bit_below_point(m, e)
    }
}

/// How far below the point the lowest set bit of `m * 2^e` is (0 when it is not).
fn lowest_bit_below_point(m: u64, e: i32) -> u32 {
    if m == 0 {
        return 0;
    }
    let lowest = e + m.trailing_zeros() as i32;
    if lowest >= 0 {
        0
    } else {
        lowest.unsigned_abs()
    }
}

/// Lowercase hexadecimal of `bytes` (SHA-256 digests, pseudonyms).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shortest<F: Shortest>(v: F) -> String {
        let mut out = String::new();
        write_shortest(v, |t| out.push_str(t));
        out
    }

    #[test]
    fn shortest_text_is_what_display_writes_ties_included() {
        // Ties, where ryu alone would differ from `Display` (123 + 2^-15 is "...812" to ryu
        // 1.0, 2^50 + 0.25 "...624.2", checked 2026-12-07), and a spread of values whose mantissas have from 1 to 53
        // bits over many magnitudes (a generator, so the ties near the bound are met), f64
        // and f32, against `Display`.
        for (tie, ryu_text, display) in [
            (
                123.0 + 2f64.powi(-15),
                "123.00003051757812",
                "123.00003051757813",
            ),
            (
                2f64.powi(50) + 0.25,
                "1125899906842624.2",
                "1125899906842624.3",
            ),
        ] {
            assert_eq!(ryu::Buffer::new().format(tie), ryu_text);
            assert_eq!(shortest(tie), display);
        }
        let tie = 2_548_771.0_f32 + 0.25;
        assert_eq!(ryu::Buffer::new().format(tie), "2548771.2");
        assert_eq!(shortest(tie), "2548771.3");
        assert_eq!(shortest(0.1_f64), "0.1");
        assert_eq!(shortest(480.0_f64), "480");
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for i in 0..400_000_u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bits = 1 + (state % 53) as u32;
            let m = ((state >> 11) & ((1_u64 << bits) - 1)) | 1;
            let e = (state >> 3) % 80;
            let v = (m as f64) * 2f64.powi(e as i32 - 40 - bits as i32);
            let v = if i % 2 == 0 { v } else { -v };
            assert_eq!(shortest(v), format!("{v}"), "{v:e}");
            let w = f32::from_bits((state >> 32) as u32);
            assert_eq!(shortest(w), format!("{w}"), "{w:e}");
        }
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            5e-324,
            f64::MAX,
        ] {
            assert_eq!(shortest(v), format!("{v}"));
        }
    }

    #[test]
    fn fraction_bits_count_the_binary_places() {
        assert_eq!(2.5_f64.fraction_bits(), 1);
        assert_eq!(0.375_f64.fraction_bits(), 3);
        assert_eq!(1024.0_f64.fraction_bits(), 0);
        assert_eq!(5e-324_f64.fraction_bits(), 1074);
        assert_eq!(0.75_f32.fraction_bits(), 2);
        assert_eq!(f32::MIN_POSITIVE.fraction_bits(), 126);
    }
}
