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
///
/// A value with one decimal (a pain score of 4.4, the most common value with a fraction) is
/// written from its tenths without either: ryu was 3% of a 1M-participant Parquet `analyze`
/// (perf profile of 2026-12-07). See [`Shortest::tenths`] for why the text is the same.
#[inline]
pub fn write_shortest<F: Shortest>(v: F, put: impl FnOnce(&str)) {
    // A whole number other than zero (zero may be `-0`) is its integer's digits.
    if let Some(i) = v.whole()
        && i != 0
    {
        put(itoa::Buffer::new().format(i));
        return;
    }
    if let Some(t) = v.tenths() {
        let mut digits = itoa::Buffer::new();
        let whole = digits.format(t / 10).as_bytes();
        let mut text = [0u8; 24];
        text[..whole.len()].copy_from_slice(whole);
        text[whole.len()] = b'.';
        text[whole.len() + 1] = b'0' + (t % 10) as u8;
        // ASCII digits and a point.
        put(std::str::from_utf8(&text[..whole.len() + 2]).unwrap_or_default());
        return;
    }
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
    /// `v` in tenths, `t`, when `v` is positive, below [`Shortest::TENTHS_BELOW`], not whole,
    /// and is what the text `t / 10`.`t % 10` reads back as; then that text is the one
    /// `Display` writes. Reading a decimal gives the float nearest to it, and so does the
    /// division `t / 10` (IEEE division is correctly rounded, `t` and 10 are exact), so the
    /// check is exact. No text with fewer digits reads back as `v` (it would be a whole
    /// number, and `v` is not), and no other text with one decimal does (below the bound
    /// neighbouring floats are far closer than a tenth), so it is the unique shortest.
    fn tenths(self) -> Option<u64>;
    /// Where [`Shortest::tenths`] stops: below it a float's spacing is under 2^-6, far finer
    /// than a tenth, and ten times the value is a whole number the type holds exactly.
    const TENTHS_BELOW: Self;
    /// `v` as an integer when it is whole and of magnitude below [`Shortest::WHOLE_BELOW`]
    /// (`Some(0)` for `-0` too): `Display` writes it as the integer's digits.
    fn whole(self) -> Option<i64>;
    /// Where [`Shortest::whole`] stops: every whole number below it is exact in the type.
    const WHOLE_BELOW: Self;
}

/// [`Shortest::tenths`] and [`Shortest::whole`], the same text for `f64` and `f32`.
macro_rules! fast_paths {
    () => {
        #[inline]
        fn whole(self) -> Option<i64> {
            (self.fract() == 0.0 && self.abs() < Self::WHOLE_BELOW).then_some(self as i64)
        }
        #[inline]
        fn tenths(self) -> Option<u64> {
            if !(self > 0.0 && self < Self::TENTHS_BELOW) {
                return None;
            }
            let t = (self * 10.0).round();
            (t / 10.0 == self && t % 10.0 != 0.0).then_some(t as u64)
        }
    };
}

impl Shortest for f64 {
    // 5^26 has 19 digits, more than the 18 of a tie (5^25 has 18).
    const NO_TIE: u32 = 26;
    // Spacing 2^-20 below 2^33; ten times it is below 2^37, exact.
    const TENTHS_BELOW: f64 = 8.0e9;
    // Below 2^53.
    const WHOLE_BELOW: f64 = 1.0e15;
    fast_paths!();
    fn fraction_bits(self) -> u32 {
        ieee_fraction_bits(self.to_bits(), 52, 11)
    }
}

impl Shortest for f32 {
    // 5^15 has 11 digits, more than the 10 of a tie (5^14 has 10).
    const NO_TIE: u32 = 15;
    // Spacing 2^-7 below 2^17; ten times it is below 2^20, exact in 24 bits.
    const TENTHS_BELOW: f32 = 1.0e5;
    // Below 2^24.
    const WHOLE_BELOW: f32 = 1.0e7;
    fast_paths!();
    fn fraction_bits(self) -> u32 {
        ieee_fraction_bits(u64::from(self.to_bits()), 23, 8)
    }
}

/// [`Shortest::fraction_bits`] of the IEEE 754 binary float whose bits are `bits`, with
/// `mantissa` stored fraction bits and `exponent` exponent bits (52 and 11 for an `f64`, 23
/// and 8 for an `f32`).
fn ieee_fraction_bits(bits: u64, mantissa: u32, exponent: u32) -> u32 {
    let max = (1u64 << exponent) - 1;
    let biased = (bits >> mantissa) & max;
    let fraction = bits & ((1u64 << mantissa) - 1);
    // The exponent bias plus the fraction bits: the value is `m * 2^(biased - shift)`.
    let shift = ((1i32 << (exponent - 1)) - 1) + mantissa as i32;
    let (m, e) = match biased {
        0 => (fraction, 1 - shift),
        b if b == max => return 0,
        b => (fraction | 1 << mantissa, b as i32 - shift),
    };
    lowest_bit_below_point(m, e)
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
    fn whole_numbers_are_written_as_display_writes_them() {
        // Against `Display`, zero and `-0` included, and near the bounds where `whole` stops.
        let near_f64 = (999_999_999_000_000i64..1_000_000_000_001_000).step_by(997);
        for i in (-100_000i64..100_000).chain(near_f64) {
            let v = i as f64;
            assert_eq!(shortest(v), v.to_string(), "f64 {v}");
            assert_eq!(shortest(-v), (-v).to_string(), "f64 {}", -v);
        }
        for i in (-100_000i64..100_000).chain(9_999_000..10_001_000) {
            let v = i as f32;
            assert_eq!(shortest(v), v.to_string(), "f32 {v}");
        }
        assert_eq!(shortest(-0.0f64), "-0");
        assert_eq!((-0.0f64).whole(), Some(0));
        assert_eq!(1.0e15f64.whole(), None);
        assert_eq!(2.5f64.whole(), None);
    }

    #[test]
    fn values_with_one_decimal_are_written_as_display_writes_them() {
        // Every tenth up to 200,000 and near the bounds, and the floats either side of each
        // (which have no one-decimal text and take the other paths), f64 and f32, against
        // `Display` (the reference: Rust's own shortest round trip).
        let near_f64 = (79_999_000_000u64..80_000_000_000).step_by(7);
        for t in (1..200_000u64).chain(near_f64) {
            let v = t as f64 / 10.0;
            for w in [
                v,
                f64::from_bits(v.to_bits() - 1),
                f64::from_bits(v.to_bits() + 1),
            ] {
                assert_eq!(shortest(w), w.to_string(), "f64 {w:e}");
            }
        }
        let near_f32 = 999_000..1_000_000u64;
        for t in (1..200_000u64).chain(near_f32) {
            let v = t as f32 / 10.0;
            for w in [
                v,
                f32::from_bits(v.to_bits() - 1),
                f32::from_bits(v.to_bits() + 1),
            ] {
                assert_eq!(shortest(w), w.to_string(), "f32 {w:e}");
            }
        }
        // The fast path is taken for a tenth and not for a float next to it.
        assert_eq!(4.4f64.tenths(), Some(44));
        assert_eq!(0.1f64.tenths(), Some(1));
        assert_eq!(f64::from_bits(4.4f64.to_bits() + 1).tenths(), None);
        assert_eq!((0.1f64 + 0.2).tenths(), None);
        assert_eq!(3.7f32.tenths(), Some(37));
        assert_eq!(5.0f64.tenths(), None);
        assert_eq!((-4.4f64).tenths(), None);
        assert_eq!(8.0e9f64.tenths(), None);
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
