//! An exact decimal number, the type every score, threshold and percentage of the data
//! contract is kept in.
//!
//! Responder thresholds are inclusive (7.0 -> 4.9 is exactly a 30% reduction), so scores are
//! never compared through a float ratio. A [`Decimal`] is `mantissa / 10^scale`, parsed
//! exactly from its text, and every threshold test is a comparison of integers. It lives in
//! the domain layer because the protocol's thresholds, the cohort's cells, the derived
//! outcomes and the writers all use it.

use std::cmp::Ordering;
use std::fmt;
use std::num::NonZeroU8;

/// Largest number of significant digits a [`Decimal`] holds (fits an `i64` mantissa).
pub const MAX_DIGITS: usize = 18;

/// An exact decimal number `mantissa / 10^scale`, normalised so that `7.0` and `7` are equal.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub struct Decimal {
    mantissa: i64,
    /// The scale plus one (at most 19): never zero, so `Option<Decimal>` takes 16 bytes, not
    /// 24 (a million derived rows hold six of them each).
    scale_plus_one: NonZeroU8,
}

impl Default for Decimal {
    fn default() -> Self {
        Decimal::ZERO
    }
}

const POW10: [i128; 39] = {
    let mut p = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal::from_int(0);

    /// A whole number.
    pub const fn from_int(v: i64) -> Decimal {
        Decimal {
            mantissa: v,
            scale_plus_one: NonZeroU8::MIN,
        }
    }

    /// `mantissa / 10^scale` as stored (not normalised); `scale` is at most 18 everywhere.
    pub(crate) const fn raw(mantissa: i64, scale: u8) -> Decimal {
        Decimal {
            mantissa,
            scale_plus_one: NonZeroU8::MIN.saturating_add(scale),
        }
    }

    /// Digits after the decimal point.
    #[inline]
    pub(crate) const fn scale(self) -> u8 {
        self.scale_plus_one.get() - 1
    }

    /// Parses a plain decimal: optional `-`, digits, optional `.` and digits. No exponent,
    /// no `inf`/`nan`, no thousands separators, at most [`MAX_DIGITS`] significant digits.
    #[inline]
    pub fn parse(text: &str) -> Result<Decimal, &'static str> {
        let bytes = text.as_bytes();
        let (negative, digits) = match bytes.first() {
            Some(b'-') => (true, &bytes[1..]),
            Some(b'+') => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        if digits.is_empty() {
            return Err("not a number");
        }
        let mut mantissa: i64 = 0;
        let mut scale: u32 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        let mut significant = 0usize;
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    seen_digit = true;
                    if mantissa != 0 || b != b'0' {
                        significant += 1;
                    }
                    if significant > MAX_DIGITS {
                        return Err("has more than 18 significant digits");
                    }
                    mantissa = mantissa * 10 + i64::from(b - b'0');
                    if seen_point {
                        scale += 1;
                        if scale > 18 {
                            return Err("has more than 18 decimal places");
                        }
                    }
                }
                b'.' if !seen_point => seen_point = true,
                b'e' | b'E' => return Err("is written with an exponent; write a plain decimal"),
                _ => return Err("not a number"),
            }
        }
        if !seen_digit {
            return Err("not a number");
        }
        // Normalise: strip trailing fractional zeros so equal values compare equal.
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        if negative {
            mantissa = -mantissa;
        }
        Ok(Decimal::raw(mantissa, scale as u8))
    }

    /// Recovers the decimal a TOML float was written as (shortest round-trip text).
    pub fn from_f64_shortest(v: f64) -> Result<Decimal, &'static str> {
        if !v.is_finite() {
            return Err("not a finite number");
        }
        let mut buf = ryu::Buffer::new();
        let text = buf.format_finite(v);
        if text.contains(['e', 'E']) {
            return Err("too large or too small to be written as a plain decimal");
        }
        Decimal::parse(text)
    }

    /// Nearest `f64` (correctly rounded for up to 15 significant digits).
    pub fn to_f64(self) -> f64 {
        // Both operands are exact in f64 (10^18 < 2^63 is exact as a power of ten up to
        // 10^22), so the one division rounds correctly.
        self.mantissa as f64 / 10f64.powi(i32::from(self.scale()))
    }

    /// True when the value is greater than zero.
    pub fn is_positive(self) -> bool {
        self.mantissa > 0
    }

    pub(crate) fn as_i128_at(self, scale: u8) -> i128 {
        i128::from(self.mantissa) * POW10[usize::from(scale - self.scale())]
    }

    /// `self + other`, exact; `None` when it would not fit.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale().max(other.scale());
        let v = self.as_i128_at(scale) + other.as_i128_at(scale);
        let mantissa = i64::try_from(v).ok()?;
        Some(Decimal::raw(mantissa, scale).normalised())
    }

    /// `100 * self / base` as the nearest `f64`, from exact integers with a single rounding
    /// (so 0.03 -> 0.021 gives exactly 30, not 29.999999999999996); `None` when `base` is 0.
    pub fn percent_of(self, base: Decimal) -> Option<f64> {
        if base.mantissa == 0 {
            return None;
        }
        // 100 * (m1 / 10^s1) / (m2 / 10^s2) = (100 * m1 * 10^s2) / (m2 * 10^s1)
        let scale = self.scale().max(base.scale());
        let num = self.as_i128_at(scale).checked_mul(100)?;
        let den = base.as_i128_at(scale);
        // Converting from i64 rounds exactly as from i128 (to the nearest f64) but is one
        // instruction instead of a library call; the usual values all fit.
        Some(match (i64::try_from(num), i64::try_from(den)) {
            (Ok(n), Ok(d)) => n as f64 / d as f64,
            _ => num as f64 / den as f64,
        })
    }

    /// `self - other`, exact; `None` when it would not fit.
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale().max(other.scale());
        let v = self.as_i128_at(scale) - other.as_i128_at(scale);
        let mantissa = i64::try_from(v).ok()?;
        Some(Decimal::raw(mantissa, scale).normalised())
    }

    /// The value in millionths when that is exact (at most six decimals) and fits in `u32`
    /// (so every session's minutes, at most 240, with up to six decimals).
    pub fn to_millionths(self) -> Option<u32> {
        if self.scale() > 6 || self.mantissa < 0 {
            return None;
        }
        let v = i128::from(self.mantissa) * POW10[usize::from(6 - self.scale())];
        u32::try_from(v).ok()
    }

    /// `v` millionths, exactly (the inverse of `to_millionths`); `None` beyond the range of
    /// a decimal with six places (about 9.2e12).
    pub fn from_millionths(v: u64) -> Option<Decimal> {
        let mantissa = i64::try_from(v).ok()?;
        Some(Decimal::raw(mantissa, 6).normalised())
    }

    /// The value in units of 10^-18, exactly (a decimal has at most 18 places).
    pub fn to_attos(self) -> i128 {
        i128::from(self.mantissa) * POW10[usize::from(18u8.saturating_sub(self.scale()))]
    }

    /// `v` units of 10^-18 as a decimal: exact when it fits (18 significant digits), else
    /// rounded once, half away from zero, to as many decimals as fit; saturated beyond
    /// 9.2e18 whole units.
    pub fn from_attos(v: i128) -> Decimal {
        let (mut v, mut scale) = (v, 18u8);
        while scale > 0 && v % 10 == 0 {
            v /= 10;
            scale -= 1;
        }
        for drop in 0..=scale {
            let p = POW10[usize::from(drop)];
            let (q, r) = (v / p, v % p);
            let q = if r.abs() * 2 >= p { q + r.signum() } else { q };
            if let Ok(m) = i64::try_from(q) {
                return Decimal::raw(m, scale - drop).normalised();
            }
        }
        Decimal::from_int(if v < 0 { i64::MIN } else { i64::MAX })
    }

    pub(crate) fn normalised(self) -> Decimal {
        let (mut mantissa, mut scale) = (self.mantissa, self.scale());
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Decimal::raw(mantissa, scale)
    }

    /// Exact test of `self * a >= b * c` (used for "improvement >= pct% of baseline" as
    /// `improvement * 100 >= pct * baseline`). Falls back to `f64` only when the exact
    /// products exceed 127 bits, which needs more than ~30 significant digits in total.
    pub fn product_ge(self, a: Decimal, b: Decimal, c: Decimal) -> bool {
        let left_scale = u32::from(self.scale()) + u32::from(a.scale());
        let right_scale = u32::from(b.scale()) + u32::from(c.scale());
        let exact = (|| {
            let left = i128::from(self.mantissa).checked_mul(i128::from(a.mantissa))?;
            let right = i128::from(b.mantissa).checked_mul(i128::from(c.mantissa))?;
            let scale = left_scale.max(right_scale);
            let l = left.checked_mul(*POW10.get((scale - left_scale) as usize)?)?;
            let r = right.checked_mul(*POW10.get((scale - right_scale) as usize)?)?;
            Some(l >= r)
        })();
        exact.unwrap_or_else(|| self.to_f64() * a.to_f64() >= b.to_f64() * c.to_f64())
    }
}

impl Decimal {
    /// Appends the plain decimal text (as [`fmt::Display`] writes it) without allocating.
    pub fn push_to(self, out: &mut String) {
        // Scores and minutes are mostly a few digits with at most one decimal: written
        // digit by digit, without a formatting buffer.
        let m = self.mantissa.unsigned_abs();
        if m < 1000 && self.scale() <= 1 {
            if self.mantissa < 0 {
                out.push('-');
            }
            let digit = |d: u64| char::from(b'0' + d as u8);
            let whole = if self.scale() == 1 { m / 10 } else { m };
            if whole >= 100 {
                out.push(digit(whole / 100));
            }
            if whole >= 10 {
                out.push(digit(whole / 10 % 10));
            }
            out.push(digit(whole % 10));
            if self.scale() == 1 {
                out.push('.');
                out.push(digit(m % 10));
            }
            return;
        }
        let mut buf = itoa::Buffer::new();
        let digits = buf.format(self.mantissa.unsigned_abs());
        if self.mantissa < 0 {
            out.push('-');
        }
        let scale = usize::from(self.scale());
        if scale == 0 {
            out.push_str(digits);
        } else if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        } else {
            out.push_str("0.");
            for _ in digits.len()..scale {
                out.push('0');
            }
            out.push_str(digits);
        }
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.scale().max(other.scale());
        self.as_i128_at(scale).cmp(&other.as_i128_at(scale))
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale() == 0 {
            return write!(f, "{}", self.mantissa);
        }
        let negative = self.mantissa < 0;
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = usize::from(self.scale());
        let padded = if digits.len() <= scale {
            format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{}{}.{}", if negative { "-" } else { "" }, int, frac)
    }
}
