//! The generator's calendar: every date a synthetic cohort can mention, formatted once.
//!
//! A cohort of a million participants writes about eleven million dates, all of them inside
//! a window of a few hundred days after the start of recruitment. Formatting each one would
//! dominate the run time, so this module lays the `YYYY-MM-DD` strings of that window into a
//! table once and hands out slices. It also spreads randomization dates over the recruitment
//! period's working days (Monday to Friday; public holidays are ignored), non-decreasing in
//! randomization order, so that participant ids and dates tell the same story.

/// A civil date (proleptic Gregorian calendar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Date {
    pub(super) year: i32,
    pub(super) month: u32,
    pub(super) day: u32,
}

impl Date {
    fn is_leap(year: i32) -> bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    fn days_in_month(year: i32, month: u32) -> u32 {
        match month {
            2 if Self::is_leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// Whether the fields name a real date between years 1000 and 9999 (so it prints as
    /// exactly ten characters).
    pub(super) fn is_valid(self) -> bool {
        (1000..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= Self::days_in_month(self.year, self.month)
    }

    fn next(self) -> Date {
        if self.day < Self::days_in_month(self.year, self.month) {
            Date {
                day: self.day + 1,
                ..self
            }
        } else if self.month < 12 {
            Date {
                month: self.month + 1,
                day: 1,
                ..self
            }
        } else {
            Date {
                year: self.year + 1,
                month: 1,
                day: 1,
            }
        }
    }

    /// Day of the week, 0 = Monday .. 6 = Sunday (Sakamoto's method).
    pub(super) fn weekday(self) -> u8 {
        const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let y = if self.month < 3 {
            self.year - 1
        } else {
            self.year
        };
        // `T` is indexed by a month in 1..=12, checked by `is_valid` before any use.
        let sunday0 =
            (y + y / 4 - y / 100 + y / 400 + T[(self.month - 1) as usize] + self.day as i32) % 7;
        ((sunday0 + 6) % 7) as u8
    }

    fn to_ascii(self) -> [u8; 10] {
        let mut out = *b"0000-00-00";
        let mut y = self.year as u32;
        for slot in out[..4].iter_mut().rev() {
            *slot = b'0' + (y % 10) as u8;
            y /= 10;
        }
        out[5] = b'0' + (self.month / 10) as u8;
        out[6] = b'0' + (self.month % 10) as u8;
        out[8] = b'0' + (self.day / 10) as u8;
        out[9] = b'0' + (self.day % 10) as u8;
        out
    }
}

/// Formatted dates from `start` on, plus the working days of the recruitment period.
#[derive(Clone, Debug)]
pub(super) struct Calendar {
    dates: Vec<[u8; 10]>,
    start_weekday: u8,
    /// Day offsets (from `start`) of the Monday-to-Friday days of the recruitment period.
    working_days: Vec<u32>,
}

impl Calendar {
    /// Lays out `recruitment_days + follow_days` dates from `start`; the caller has checked
    /// that `start` is valid and `recruitment_days` holds at least one working day.
    pub(super) fn new(start: Date, recruitment_days: u32, follow_days: u32) -> Calendar {
        let total = recruitment_days + follow_days;
        let mut dates = Vec::with_capacity(total as usize);
        let mut date = start;
        for _ in 0..total {
            dates.push(date.to_ascii());
            date = date.next();
        }
        let start_weekday = start.weekday();
        let working_days = (0..recruitment_days)
            .filter(|&d| (u32::from(start_weekday) + d) % 7 < 5)
            .collect();
        Calendar {
            dates,
            start_weekday,
            working_days,
        }
    }

    /// Day offset of the randomization of participant `index` (0-based) out of `count`:
    /// working day `floor(index * W / count)` of the `W` working days of recruitment.
    pub(super) fn randomization_day(&self, index: u64, count: u64) -> u32 {
        let w = self.working_days.len() as u64;
        let k = (u128::from(index) * u128::from(w) / u128::from(count.max(1))) as usize;
        self.working_days[k.min(self.working_days.len() - 1)]
    }

    /// Weekday (0 = Monday) of day offset `day`.
    pub(super) fn weekday(&self, day: u32) -> u8 {
        ((u32::from(self.start_weekday) + day) % 7) as u8
    }

    /// `YYYY-MM-DD` of day offset `day`; offsets past the table (never produced by the
    /// model, whose schedules are bounded) repeat its last date rather than panic.
    pub(super) fn date(&self, day: u32) -> &[u8; 10] {
        let i = (day as usize).min(self.dates.len() - 1);
        &self.dates[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_weekdays_match_the_civil_calendar() {
        // 2010-06-01 was a Tuesday; 2012 is a leap year (any printed calendar).
        let start = Date {
            year: 2010,
            month: 6,
            day: 1,
        };
        assert!(start.is_valid());
        assert_eq!(start.weekday(), 1);
        let cal = Calendar::new(start, 731, 10);
        assert_eq!(cal.date(0), b"2010-06-01");
        assert_eq!(cal.date(30), b"2010-07-01");
        assert_eq!(cal.date(214), b"2011-01-01");
        assert_eq!(cal.date(638), b"2012-02-29");
        assert_eq!(cal.date(730), b"2012-05-31");
        assert_eq!(cal.weekday(5), 6, "2010-06-06 was a Sunday");
        assert!(
            !Date {
                year: 2011,
                month: 2,
                day: 29
            }
            .is_valid()
        );
    }

    #[test]
    fn randomization_days_are_working_days_in_order() {
        let cal = Calendar::new(
            Date {
                year: 2010,
                month: 6,
                day: 1,
            },
            731,
            0,
        );
        let mut last = 0;
        for i in 0..228 {
            let d = cal.randomization_day(i, 228);
            assert!(cal.weekday(d) < 5);
            assert!(d >= last && d < 731);
            last = d;
        }
        assert_eq!(cal.randomization_day(0, 228), 0);
    }
}
