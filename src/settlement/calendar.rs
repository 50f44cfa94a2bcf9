//! The settlement calendar's working days: the BSC counts a Working Day as any day but a
//! Saturday, a Sunday, or a bank holiday in England and Wales (Christmas Day and Good Friday
//! among them). Bank holidays follow the Banking and Financial Dealings Act 1971 and its
//! proclamations: New Year's Day, Good Friday, Easter Monday, the first and last Mondays of May,
//! the last Monday of August, Christmas Day and Boxing Day — a fixed day that falls on a weekend
//! moving to the next free weekday — with the proclaimed changes of 2011 to 2023 listed below.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A day of a year: (month, day).
type MonthDay = (u32, u32);

/// Days proclaimed as bank holidays besides the usual ones, and usual ones moved away, by year:
/// (added, removed).
const PROCLAIMED: &[(i32, &[MonthDay], &[MonthDay])] = &[
    // The royal wedding.
    (2011, &[(4, 29)], &[]),
    // The Diamond Jubilee: spring bank holiday moved to 4 June, and 5 June added.
    (2012, &[(6, 4), (6, 5)], &[(5, 28)]),
    // VE Day's 75th anniversary: the early May bank holiday moved to Friday 8 May.
    (2020, &[(5, 8)], &[(5, 4)]),
    // The Platinum Jubilee (spring bank holiday moved to 2 June, 3 June added) and the state
    // funeral of Queen Elizabeth II.
    (2022, &[(6, 2), (6, 3), (9, 19)], &[(5, 30)]),
    // The coronation of King Charles III.
    (2023, &[(5, 8)], &[]),
];

/// Whether `day` is a working day of the settlement calendar.
pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !is_bank_holiday(day)
}

/// Whether `day` is a bank holiday in England and Wales.
pub fn is_bank_holiday(day: NaiveDate) -> bool {
    bank_holidays(day.year()).contains(&day)
}

/// The bank holidays of `year` in England and Wales, in date order.
pub fn bank_holidays(year: i32) -> Vec<NaiveDate> {
    let date = |month, day| NaiveDate::from_ymd_opt(year, month, day);
    let Some(easter) = easter_sunday(year) else {
        return Vec::new();
    };
    let mut days = vec![easter - Duration::days(2), easter + Duration::days(1)];
    days.extend(weekday_on_or_after(date(1, 1)));
    days.extend(monday_on_or_after(date(5, 1)));
    days.extend(monday_on_or_after(date(5, 25)));
    days.extend(monday_on_or_after(date(8, 25)));
    // Christmas Day then Boxing Day, each on the first weekday free of the other.
    if let Some(christmas) = weekday_on_or_after(date(12, 25)) {
        days.push(christmas);
        days.extend(weekday_on_or_after(date(12, 26)).map(|boxing| {
            if boxing <= christmas {
                christmas + Duration::days(1)
            } else {
                boxing
            }
        }));
    }
    if let Some((_, added, removed)) = PROCLAIMED.iter().find(|(y, _, _)| *y == year) {
        days.retain(|d| !removed.contains(&(d.month(), d.day())));
        days.extend(added.iter().filter_map(|&(m, d)| date(m, d)));
    }
    days.sort();
    days.dedup();
    days
}

/// `from`, or the first day after it that is not a weekend day.
fn weekday_on_or_after(from: Option<NaiveDate>) -> Option<NaiveDate> {
    let mut day = from?;
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    Some(day)
}

/// The first Monday on or after `from` (the last Monday of a month is the one on or after its
/// 25th of May or August, both 31-day months).
fn monday_on_or_after(from: Option<NaiveDate>) -> Option<NaiveDate> {
    let from = from?;
    let ahead = (7 - i64::from(from.weekday().num_days_from_monday())) % 7;
    Some(from + Duration::days(ahead))
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian computus).
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(list: &[&str]) -> Vec<NaiveDate> {
        list.iter().map(|d| d.parse().unwrap()).collect()
    }

    /// The published England and Wales bank holidays (gov.uk/bank-holidays).
    #[test]
    fn bank_holidays_are_the_published_ones() {
        assert_eq!(
            bank_holidays(2026),
            days(&[
                "2026-01-01",
                "2026-04-03",
                "2026-04-06",
                "2026-05-04",
                "2026-05-25",
                "2026-08-31",
                "2026-12-25",
                "2026-12-28",
            ])
        );
        assert_eq!(
            bank_holidays(2027),
            days(&[
                "2027-01-01",
                "2027-03-26",
                "2027-03-29",
                "2027-05-03",
                "2027-05-31",
                "2027-08-30",
                "2027-12-27",
                "2027-12-28",
            ])
        );
        // Christmas on a Sunday: Boxing Day on Monday, Christmas's substitute on Tuesday.
        assert_eq!(
            bank_holidays(2022),
            days(&[
                "2022-01-03",
                "2022-04-15",
                "2022-04-18",
                "2022-05-02",
                "2022-06-02",
                "2022-06-03",
                "2022-08-29",
                "2022-09-19",
                "2022-12-26",
                "2022-12-27",
            ])
        );
        assert_eq!(
            bank_holidays(2020),
            days(&[
                "2020-01-01",
                "2020-04-10",
                "2020-04-13",
                "2020-05-08",
                "2020-05-25",
                "2020-08-31",
                "2020-12-25",
                "2020-12-28",
            ])
        );
        assert_eq!(easter_sunday(2024), NaiveDate::from_ymd_opt(2024, 3, 31));
        assert_eq!(easter_sunday(2038), NaiveDate::from_ymd_opt(2038, 4, 25));
    }

    #[test]
    fn working_days_skip_weekends_and_bank_holidays() {
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        assert!(is_working_day(day("2026-11-18")));
        assert!(!is_working_day(day("2026-11-21")), "a Saturday");
        assert!(
            !is_working_day(day("2026-12-28")),
            "Boxing Day's substitute"
        );
        assert!(!is_working_day(day("2027-01-01")));
        assert!(is_working_day(day("2026-12-29")));
    }
}
