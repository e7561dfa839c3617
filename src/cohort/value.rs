//! Cell values of the data contract, parsed exactly.
//!
//! Responder thresholds are inclusive (7.0 -> 4.9 is exactly a 30% reduction), so scores are
//! never compared through a float ratio. A score is kept as an exact [`Decimal`]
//! (`mantissa / 10^scale`) parsed from its text, and every threshold test is a comparison of
//! integers. Dates become day numbers; whole numbers reject a decimal point (`45.0` is not an
//! age). Each parser returns a short reason that the ledger turns into a rejection message.

pub use crate::domain::decimal::{Decimal, MAX_DIGITS};

/// Parses a whole number written without a decimal point (`45`, not `45.0`).
pub fn parse_whole(text: &str) -> Result<i64, &'static str> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(if digits.contains('.') {
            "is not a whole number (write it without a decimal point)"
        } else {
            "is not a whole number"
        });
    }
    if digits.len() > 12 {
        return Err("is too large");
    }
    let v: i64 = digits.parse().map_err(|_| "is not a whole number")?;
    Ok(if negative { -v } else { v })
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, checking the calendar.
#[inline]
pub fn parse_date(text: &str) -> Result<i32, &'static str> {
    const BAD: &str = "is not a date written YYYY-MM-DD";
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(BAD);
    }
    let num = |s: &[u8]| -> Option<i32> {
        s.iter().try_fold(0i32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0'))
        })
    };
    let (Some(y), Some(m), Some(d)) = (num(&b[0..4]), num(&b[5..7]), num(&b[8..10])) else {
        return Err(BAD);
    };
    if !(1..=12).contains(&m) {
        return Err("has a month outside 01-12");
    }
    if d < 1 || d > days_in_month(y, m) {
        return Err("has a day that does not exist in that month");
    }
    Ok(days_from_civil(y, m, d))
}

/// `parse_date` for a stream of dates that mostly share their month with the previous one
/// (a participant's sessions): the month's first day number is kept, so a date in the same
/// month costs two digit checks. Results, errors included, are those of `parse_date`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DateParser {
    /// `YYYY-MM` of the last valid date, its day 1, and its number of days.
    month: Option<([u8; 7], i32, i32)>,
}

impl DateParser {
    /// Parses `text` as `parse_date` does.
    #[inline]
    pub fn parse(&mut self, text: &str) -> Result<i32, &'static str> {
        let b = text.as_bytes();
        if let (Some((prefix, first, days)), 10) = (&self.month, b.len())
            && b[..7] == prefix[..]
            && b[7] == b'-'
            && b[8].is_ascii_digit()
            && b[9].is_ascii_digit()
        {
            let d = i32::from(b[8] - b'0') * 10 + i32::from(b[9] - b'0');
            if (1..=*days).contains(&d) {
                return Ok(first + d - 1);
            }
        }
        let day = parse_date(text)?;
        // `parse_date` accepted it, so the first seven bytes are `YYYY-MM`.
        let mut prefix = [0u8; 7];
        prefix.copy_from_slice(&b[..7]);
        let d = i32::from(b[8] - b'0') * 10 + i32::from(b[9] - b'0');
        let y = (0..4).fold(0, |acc, i| acc * 10 + i32::from(b[i] - b'0'));
        let m = i32::from(b[5] - b'0') * 10 + i32::from(b[6] - b'0');
        self.month = Some((prefix, day - d + 1, days_in_month(y, m)));
        Ok(day)
    }
}

fn days_in_month(y: i32, m: i32) -> i32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's `days_from_civil`: proleptic Gregorian date to days since 1970-01-01.
#[inline]
pub fn days_from_civil(y: i32, m: i32, d: i32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to `(year, month, day)`.
#[must_use]
pub fn civil_from_days(days: i32) -> (i32, u32, u32) {
    // In 64 bits: a day number near `i32::MAX` (a Parquet date column can hold one) would
    // overflow the shift to the era. Every i32 day is within years of about +-5.9 million,
    // which an i32 holds.
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

/// A day number as `YYYY-MM-DD` (the contract's date format).
#[must_use]
pub fn format_date(days: i32) -> String {
    let mut out = String::with_capacity(10);
    push_date(&mut out, days);
    out
}

/// Appends a day number as `YYYY-MM-DD` to `out`.
pub fn push_date(out: &mut String, days: i32) {
    let mut bytes = Vec::with_capacity(10);
    write_date(&mut bytes, days);
    // `write_date` writes ASCII only.
    out.push_str(std::str::from_utf8(&bytes).unwrap_or_default());
}

/// [`write_date`] for a stream of dates that mostly share their month with the previous one
/// (a participant's sessions, a column of visit dates): the month's text and its range of day
/// numbers are kept, so a date in the same month costs a subtraction and two digits.
#[derive(Clone, Copy, Debug, Default)]
pub struct DateWriter {
    /// `YYYY-MM-` of the last date written, its day 1 and the day after its last day.
    month: Option<([u8; 8], i32, i32)>,
}

impl DateWriter {
    /// Appends day number `days` as `YYYY-MM-DD` to `out` (as [`write_date`] writes it).
    #[inline]
    pub fn write(&mut self, out: &mut Vec<u8>, days: i32) {
        if let Some((prefix, first, end)) = &self.month
            && (*first..*end).contains(&days)
        {
            let d = (days - first + 1) as u8;
            out.extend_from_slice(prefix);
            out.extend_from_slice(&[b'0' + d / 10, b'0' + d % 10]);
            return;
        }
        let at = out.len();
        let (y, m, d) = civil_from_days(days);
        write_civil(out, (y, m, d));
        if out.len() == at + 10 && (0..=9999).contains(&y) {
            let first = days - (d as i32 - 1);
            let (ny, nm) = if m == 12 {
                (y + 1, 1)
            } else {
                (y, m as i32 + 1)
            };
            let end = days_from_civil(ny, nm, 1);
            let mut prefix = [0; 8];
            prefix.copy_from_slice(&out[at..at + 8]);
            self.month = Some((prefix, first, end));
        }
    }
}

/// Appends a day number as `YYYY-MM-DD` to `out`: the digits written directly for years 0 to
/// 9999 (a Parquet date column's million cells went through `core::fmt` before), any other
/// year as `format!` writes it.
#[inline]
pub fn write_date(out: &mut Vec<u8>, days: i32) {
    write_civil(out, civil_from_days(days));
}

/// [`write_date`] of a date already split into year, month and day.
#[inline]
fn write_civil(out: &mut Vec<u8>, (y, m, d): (i32, u32, u32)) {
    match u32::try_from(y) {
        Ok(y) if y <= 9999 => {
            let digit = |v: u32| b'0' + (v % 10) as u8;
            out.extend_from_slice(&[
                digit(y / 1000),
                digit(y / 100),
                digit(y / 10),
                digit(y),
                b'-',
                digit(m / 10),
                digit(m),
                b'-',
                digit(d / 10),
                digit(d),
            ]);
        }
        _ => out.extend_from_slice(format!("{y:04}-{m:02}-{d:02}").as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn dates_are_written_as_the_formatter_writes_them() {
        // Every day from 1900 to 2100, and the ends of the four-digit years, against
        // `format!` (the reference) and back through the date parser.
        let mut parser = DateParser::default();
        for days in (-25_567..47_482).chain([-719_528, 2_932_896, -719_529, 2_932_897]) {
            let (y, m, d) = civil_from_days(days);
            let mut out = Vec::new();
            write_date(&mut out, days);
            assert_eq!(
                String::from_utf8(out.clone()).unwrap(),
                format!("{y:04}-{m:02}-{d:02}")
            );
            if (0..=9999).contains(&y) {
                assert_eq!(parser.parse(std::str::from_utf8(&out).unwrap()), Ok(days));
            }
        }
        // The ends of a 32-bit day number (a Parquet date column can hold them): the range
        // Apache Arrow documents for Date32, -5877641-06-23 to 5881580-07-11.
        let (mut lo, mut hi) = (Vec::new(), Vec::new());
        write_date(&mut lo, i32::MIN);
        write_date(&mut hi, i32::MAX);
        assert_eq!(
            (&lo[..], &hi[..]),
            (&b"-5877641-06-23"[..], &b"5881580-07-11"[..])
        );
        // The month cache writes what `write_date` writes, forwards, backwards and jumping.
        let mut writer = DateWriter::default();
        let days: Vec<i32> = (-800..800)
            .chain((-800..800).rev())
            .chain((0..400).map(|k| (k * 7919) % 3000 - 1500))
            .chain([2_932_896, -719_528, 2_932_897, 0, i32::MAX, i32::MIN, 0])
            .collect();
        for d in days {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            writer.write(&mut a, d);
            write_date(&mut b, d);
            assert_eq!(a, b, "day {d}");
        }
    }

    #[test]
    fn equal_values_compare_equal() {
        assert_eq!(d("7.0"), d("7"));
        assert_eq!(d("7.000"), d("7"));
        assert_eq!(d("0.50"), d(".5"));
        assert!(d("4.9") < d("4.90001"));
        assert_eq!(d("-0.0"), Decimal::ZERO);
    }

    #[test]
    fn rejects_what_the_contract_forbids() {
        for bad in [
            "", "-", ".", "1e3", "inf", "nan", "1,5", "1.2.3", "12a", "1 2",
        ] {
            assert!(Decimal::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Decimal::parse("1234567890123456789").is_err());
        assert!(Decimal::parse("0.000000000000000001").is_ok());
    }

    #[test]
    fn thirty_percent_boundary_is_exact() {
        // 7.0 -> 4.9: improvement 2.1, and 2.1 * 100 = 210 = 30 * 7.0 exactly. As floats,
        // (7.0 - 4.9) / 7.0 = 0.29999999999999993 < 0.3, which is the bug this type prevents.
        let improvement = d("7.0").checked_sub(d("4.9")).unwrap();
        assert!(improvement.product_ge(Decimal::from_int(100), d("30"), d("7.0")));
        let as_floats = std::hint::black_box(7.0f64 - 4.9) / 7.0;
        assert!(
            as_floats < 0.3,
            "the float ratio misses the boundary: {as_floats}"
        );
        let just_short = d("7.0").checked_sub(d("4.901")).unwrap();
        assert!(!just_short.product_ge(Decimal::from_int(100), d("30"), d("7.0")));
    }

    #[test]
    fn percent_is_rounded_once() {
        // 0.03 -> 0.021 is an exact 30% reduction; the float route gives 29.999999999999996.
        let imp = d("0.03").checked_sub(d("0.021")).unwrap();
        assert_eq!(imp.percent_of(d("0.03")), Some(30.0));
        let imp = d("2.0").checked_sub(d("0.9")).unwrap();
        assert_eq!(imp.percent_of(d("2")), Some(55.0));
        assert_eq!(imp.percent_of(Decimal::ZERO), None);
        assert_eq!(d("30.1").checked_add(d("30.2")), Some(d("60.3")));
        // Beyond i64 after scaling (the slow conversion) and just inside it: both round the
        // one exact quotient. python3: 1e19 / 3 = 3.3333333333333335e+18.
        assert_eq!(
            d("100000000000000000").percent_of(d("3")),
            Some(3.3333333333333335e18)
        );
        for (a, b) in [
            ("12345678901234567", "3"),
            ("92233720368547758", "7"),
            ("0.000000000000000007", "0.3"),
            ("-4.5", "0.000000000000000003"),
        ] {
            let (a, b) = (d(a), d(b));
            let scale = a.scale().max(b.scale());
            let num = a.as_i128_at(scale) * 100;
            let den = b.as_i128_at(scale);
            assert_eq!(a.percent_of(b), Some(num as f64 / den as f64), "{a} / {b}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "0", "7", "-3", "0.5", "-0.25", "12.125", "0.001", "-0.001", "120.5",
        ] {
            assert_eq!(d(s).to_string(), s);
            let mut pushed = String::new();
            d(s).push_to(&mut pushed);
            assert_eq!(pushed, s);
        }
        assert_eq!(d("7.50").to_string(), "7.5");
        // Every value with up to four digits and up to three decimals: the digit-by-digit
        // path and the general one agree with `Display`.
        for m in -9999i64..=9999 {
            for scale in 0..=3u8 {
                let v = Decimal::raw(m, scale).normalised();
                let mut pushed = String::new();
                v.push_to(&mut pushed);
                assert_eq!(pushed, v.to_string(), "{m} / 10^{scale}");
                assert_eq!(Decimal::parse(&pushed), Ok(v));
            }
        }
    }

    #[test]
    fn toml_floats_recover_their_literal() {
        assert_eq!(Decimal::from_f64_shortest(0.75).unwrap(), d("0.75"));
        assert_eq!(Decimal::from_f64_shortest(0.1).unwrap(), d("0.1"));
        assert_eq!(Decimal::from_f64_shortest(30.0).unwrap(), d("30"));
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(parse_whole("45"), Ok(45));
        assert_eq!(parse_whole("-1"), Ok(-1));
        assert!(parse_whole("45.0").unwrap_err().contains("decimal point"));
        assert!(parse_whole("4a").is_err());
        assert!(parse_whole("").is_err());
    }

    #[test]
    fn dates_round_trip() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2010-06-01",
            "2012-12-31",
            "1900-03-01",
            "2100-02-28",
        ] {
            assert_eq!(format_date(parse_date(text).unwrap()), text);
        }
        for day in -800_000..800_000 {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m as i32, d as i32), day);
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        assert_eq!(parse_date("2000-03-01"), Ok(11_017));
        assert_eq!(
            parse_date("2012-02-29").map(|x| x - parse_date("2012-02-28").unwrap()),
            Ok(1)
        );
        assert!(parse_date("2013-02-29").is_err());
        assert!(parse_date("2013-13-01").is_err());
        assert!(parse_date("2013-1-01").is_err());
        assert!(parse_date("01/02/2013").is_err());
    }

    #[test]
    fn attos_round_trip_and_round_once() {
        for text in [
            "0",
            "7",
            "-3",
            "0.5",
            "240",
            "0.000000000000000001",
            "-12.125",
            "960.1",
        ] {
            let v = d(text);
            assert_eq!(Decimal::from_attos(v.to_attos()), v, "{text}");
        }
        // 9,601,234,567,890,123,456 units of 1e-16 does not fit in i64: rounded once.
        // 960.1234567890123456 (more digits than a decimal parses) in units of 1e-18.
        let big = 960_123_456_789_012_345_600;
        assert_eq!(Decimal::from_attos(big), d("960.123456789012346"));
        assert_eq!(Decimal::from_attos(-big), d("-960.123456789012346"));
        // Half away from zero, from the exact value (no double rounding).
        // 9.300000000000000005 has a 19-digit mantissa above i64::MAX; its last digit is
        // exactly half of the one dropped.
        assert_eq!(
            Decimal::from_attos(9_300_000_000_000_000_005),
            d("9.30000000000000001")
        );
        assert_eq!(
            Decimal::from_attos(-9_300_000_000_000_000_005),
            d("-9.30000000000000001")
        );
        assert_eq!(Decimal::from_attos(i128::MAX), Decimal::from_int(i64::MAX));
    }

    #[test]
    fn an_optional_decimal_takes_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Option<Decimal>>(), 16);
        assert_eq!(Decimal::default(), Decimal::ZERO);
        // The largest scale a value can have round-trips.
        let tiny = Decimal::parse("0.000000000000000001").unwrap();
        assert_eq!(tiny.to_string(), "0.000000000000000001");
        assert_eq!(Some(tiny).map(|d| d.scale()), Some(18));
    }

    #[test]
    fn the_month_cache_gives_parse_date_results() {
        // Every day of 1999-2001 and 2100 (leap, non-leap, century rules) in order, each
        // followed by near misses in the same month, so both the cached and the full path
        // run on valid and invalid text.
        let mut parser = DateParser::default();
        let mut checked = 0;
        for day in parse_date("1999-01-01").unwrap()..parse_date("2002-01-01").unwrap() {
            let text = format_date(day);
            let (ym, d) = text.split_at(8);
            for t in [
                text.clone(),
                format!("{ym}00"),
                format!("{ym}32"),
                format!("{ym}30"),
                format!("{ym}29"),
                format!("{ym}3x"),
                format!("{ym}{d}x"),
                format!("{}/{d}", &ym[..7]),
                format!("{ym}{}", d.replace('0', "O")),
                text.clone(),
            ] {
                assert_eq!(parser.parse(&t), parse_date(&t), "{t}");
                checked += 1;
            }
        }
        for t in [
            "2100-02-29",
            "2100-02-28",
            "2100-02-29",
            "2000-02-29",
            "2000-02-30",
        ] {
            assert_eq!(parser.parse(t), parse_date(t), "{t}");
        }
        assert!(checked > 10_000);
    }
}
