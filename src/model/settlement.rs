//! Settlement days and periods in Europe/London.
//!
//! A settlement day runs from local midnight to local midnight, so it has 48 half-hour periods,
//! 46 on the day clocks go forward (last Sunday of March) and 50 on the day they go back (last
//! Sunday of October). The change happens at 01:00 UTC on both days (the EU summer-time rule the
//! UK has followed since 1996).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

const HOUR: i64 = 3600;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettlementError {
    #[error("settlement date {0:?} is not a calendar date in YYYY-MM-DD form")]
    Date(String),
    #[error("settlement period {period} does not exist on {date}, which has {periods} periods")]
    Period {
        date: SettlementDate,
        period: u8,
        periods: u8,
    },
}

/// A settlement day (a calendar date in Europe/London).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SettlementDate(NaiveDate);

impl SettlementDate {
    pub fn new(date: NaiveDate) -> SettlementDate {
        SettlementDate(date)
    }

    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<SettlementDate> {
        NaiveDate::from_ymd_opt(year, month, day).map(SettlementDate)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    pub fn next(self) -> SettlementDate {
        SettlementDate(self.0 + Duration::days(1))
    }

    /// Seconds between local midnight starting this day and the Unix epoch.
    pub fn start_unix(self) -> i64 {
        let midnight = self.0.and_hms_opt(0, 0, 0).expect("midnight exists");
        midnight.and_utc().timestamp() - self.utc_offset_at_midnight()
    }

    /// The offset from UTC in force at local midnight (3600 in summer time, else 0).
    fn utc_offset_at_midnight(self) -> i64 {
        let (spring, autumn) = clock_change_days(self.0.year());
        // Midnight on the spring day is still GMT; midnight on the autumn day is still BST.
        if self.0 > spring && self.0 <= autumn {
            HOUR
        } else {
            0
        }
    }

    /// Length of the day in seconds: 23, 24 or 25 hours.
    pub fn length_secs(self) -> i64 {
        self.next().start_unix() - self.start_unix()
    }

    /// Number of settlement periods: 46, 48 or 50.
    pub fn periods(self) -> u8 {
        (self.length_secs() / 1800) as u8
    }

    /// Seconds after local midnight at which the local clock shows `clock_secs` (seconds past
    /// midnight on the clock face). In the spring gap the first instant after it is returned; in
    /// the autumn repeat, the first occurrence.
    pub fn elapsed_at_clock(self, clock_secs: i64) -> i64 {
        let (spring, autumn) = clock_change_days(self.0.year());
        let change = HOUR; // 01:00 UTC is 01:00 on the clock in spring, 02:00 in autumn
        if self.0 == spring {
            if clock_secs < change {
                clock_secs
            } else if clock_secs < change + HOUR {
                change
            } else {
                clock_secs - HOUR
            }
        } else if self.0 == autumn && clock_secs >= change + HOUR {
            clock_secs + HOUR
        } else {
            clock_secs
        }
    }

    pub fn weekday(self) -> Weekday {
        self.0.weekday()
    }
}

/// The last Sundays of March and October of `year`.
fn clock_change_days(year: i32) -> (NaiveDate, NaiveDate) {
    (last_sunday(year, 3), last_sunday(year, 10))
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let last = NaiveDate::from_ymd_opt(year, month, 31).expect("March and October have 31 days");
    let back = last.weekday().num_days_from_sunday();
    last - Duration::days(i64::from(back))
}

impl FromStr for SettlementDate {
    type Err = SettlementError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(SettlementDate)
            .map_err(|_| SettlementError::Date(s.to_string()))
    }
}

impl fmt::Display for SettlementDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl TryFrom<String> for SettlementDate {
    type Error = SettlementError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<SettlementDate> for String {
    fn from(value: SettlementDate) -> Self {
        value.to_string()
    }
}

/// A settlement period of a given day, numbered from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SettlementPeriod {
    date: SettlementDate,
    number: u8,
}

impl SettlementPeriod {
    pub fn new(date: SettlementDate, number: u8) -> Result<SettlementPeriod, SettlementError> {
        let periods = date.periods();
        if number == 0 || number > periods {
            return Err(SettlementError::Period {
                date,
                period: number,
                periods,
            });
        }
        Ok(SettlementPeriod { date, number })
    }

    /// The period containing the instant `elapsed_secs` after the day's local midnight.
    pub fn containing(
        date: SettlementDate,
        elapsed_secs: i64,
    ) -> Result<SettlementPeriod, SettlementError> {
        let number = elapsed_secs.div_euclid(1800) + 1;
        let number = u8::try_from(number).unwrap_or(u8::MAX);
        SettlementPeriod::new(date, number)
    }

    pub fn date(self) -> SettlementDate {
        self.date
    }

    pub fn number(self) -> u8 {
        self.number
    }

    /// Start of the period in Unix seconds.
    pub fn start_unix(self) -> i64 {
        self.date.start_unix() + i64::from(self.number - 1) * 1800
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> SettlementDate {
        s.parse().unwrap()
    }

    #[test]
    fn ordinary_days_have_48_periods() {
        assert_eq!(date("2026-01-15").periods(), 48);
        assert_eq!(date("2026-07-15").periods(), 48);
        // The day before and after each change are ordinary.
        assert_eq!(date("2026-03-28").periods(), 48);
        assert_eq!(date("2026-03-30").periods(), 48);
        assert_eq!(date("2026-10-24").periods(), 48);
        assert_eq!(date("2026-10-26").periods(), 48);
    }

    #[test]
    fn clock_change_days_have_46_and_50() {
        // 2026: clocks go forward 29 March, back 25 October.
        assert_eq!(date("2026-03-29").periods(), 46);
        assert_eq!(date("2026-10-25").periods(), 50);
        // 2024: 31 March and 27 October.
        assert_eq!(date("2024-03-31").periods(), 46);
        assert_eq!(date("2024-10-27").periods(), 50);
    }

    #[test]
    fn summer_midnight_is_23_00_utc() {
        // 2026-07-01 00:00 BST = 2026-06-30 23:00 UTC = 1782860400.
        assert_eq!(date("2026-07-01").start_unix(), 1_782_860_400);
        // 2026-01-01 00:00 GMT = 1767225600.
        assert_eq!(date("2026-01-01").start_unix(), 1_767_225_600);
    }

    #[test]
    fn clock_times_map_to_elapsed_time() {
        let spring = date("2026-03-29");
        assert_eq!(spring.elapsed_at_clock(3 * HOUR), 2 * HOUR);
        assert_eq!(spring.elapsed_at_clock(HOUR + 1800), HOUR); // in the gap
        let autumn = date("2026-10-25");
        assert_eq!(autumn.elapsed_at_clock(HOUR + 1800), HOUR + 1800); // first 01:30
        assert_eq!(autumn.elapsed_at_clock(3 * HOUR), 4 * HOUR);
        let plain = date("2026-06-01");
        assert_eq!(plain.elapsed_at_clock(5 * HOUR), 5 * HOUR);
    }

    #[test]
    fn periods_are_checked_against_their_day() {
        let spring = date("2026-03-29");
        assert!(SettlementPeriod::new(spring, 46).is_ok());
        assert_eq!(
            SettlementPeriod::new(spring, 47).unwrap_err(),
            SettlementError::Period {
                date: spring,
                period: 47,
                periods: 46
            }
        );
        assert!(SettlementPeriod::new(spring, 0).is_err());
        let autumn = date("2026-10-25");
        let last = SettlementPeriod::containing(autumn, 25 * HOUR - 1).unwrap();
        assert_eq!(last.number(), 50);
        assert_eq!(last.start_unix(), autumn.next().start_unix() - 1800);
    }
}
