//! A small proleptic-Gregorian calendar date.
//!
//! The crate needs dates for exactly three things: birth dates inside ID
//! numbers, "today" for the not-in-the-future rule, and ages. That does not
//! justify a date-time dependency, so this module does the arithmetic itself
//! (days-from-civil, after Howard Hinnant's public-domain algorithms).

use core::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar date (proleptic Gregorian), years 1 to 9999.
///
/// ```
/// use desensitize::Date;
///
/// let d = Date::new(1949, 12, 31).unwrap();
/// assert_eq!(d.to_string(), "1949-12-31");
/// assert!(Date::new(2023, 2, 29).is_none()); // not a leap year
/// let later = Date::new(2024, 12, 30).unwrap();
/// assert_eq!(d.years_until(later), 74); // one day short of 75
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order gives the derived `Ord` chronological order.
    year: u16,
    month: u8,
    day: u8,
}

/// China Standard Time is UTC+8 all year (no daylight saving time).
const CST_OFFSET_SECS: i64 = 8 * 3600;

impl Date {
    /// The date, or `None` if it is not a real calendar date in 1..=9999.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        (day <= days_in_month(year, month)).then_some(Date { year, month, day })
    }

    /// Today's date in China Standard Time (UTC+8), the calendar PRC documents use.
    pub fn today() -> Date {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2),
            Err(_) => 0,
        };
        Date::from_days_since_epoch((secs + CST_OFFSET_SECS).div_euclid(86_400))
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Whole years from `self` to `later` (an age); 0 if `later` is earlier.
    pub fn years_until(self, later: Date) -> u32 {
        if later < self {
            return 0;
        }
        let mut years = u32::from(later.year - self.year);
        if (later.month, later.day) < (self.month, self.day) {
            years -= 1;
        }
        years
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, clamped to 0001-01-01..=9999-12-31.
    pub fn from_days_since_epoch(days: i64) -> Date {
        const MIN: i64 = -719_162; // 0001-01-01
        const MAX: i64 = 2_932_896; // 9999-12-31
        let z = days.clamp(MIN, MAX) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // The clamp above keeps every component in range.
        Date {
            year: u16::try_from(year).unwrap_or(9999),
            month: u8::try_from(month).unwrap_or(12),
            day: u8::try_from(day).unwrap_or(31),
        }
    }
}

pub(crate) fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

// A birth date is personal data; `Debug` prints it only through `Display`
// when the caller formats a `Date` they already extracted by name.
impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_round_trip() {
        for days in (-719_162..2_932_896).step_by(997) {
            let d = Date::from_days_since_epoch(days);
            assert_eq!(d.days_since_epoch(), days, "{d}");
        }
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
    }

    #[test]
    fn validity() {
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2024, 4, 31).is_none());
        assert!(Date::new(2024, 13, 1).is_none());
        assert!(Date::new(0, 1, 1).is_none());
    }

    #[test]
    fn ages() {
        let born = Date::new(2000, 2, 29).unwrap();
        assert_eq!(born.years_until(Date::new(2014, 2, 28).unwrap()), 13);
        assert_eq!(born.years_until(Date::new(2014, 3, 1).unwrap()), 14);
        assert_eq!(born.years_until(Date::new(1999, 1, 1).unwrap()), 0);
    }

    #[test]
    fn today_is_plausible() {
        assert!(Date::today() > Date::new(2024, 1, 1).unwrap());
    }
}
