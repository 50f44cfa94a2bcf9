//! Line losses: the factor that takes energy metered at the exit point up to its equivalent at
//! the grid supply point, set per line loss factor class (LLFC) and settlement period.
//!
//! The classes and factors are dccsim's own, shaped like a distributor's published tables
//! (higher at the evening peak and lower at night, lower for a current-transformer site near a
//! substation, export credited): no real LDSO's numbers are reproduced.

use crate::model::SettlementDate;

use super::Direction;

/// The classes dccsim knows, with (night, day, peak) factors.
const CLASSES: [(u16, &str, [f64; 3]); 5] = [
    (
        100,
        "domestic, low voltage, whole current",
        [1.048, 1.075, 1.092],
    ),
    (
        200,
        "non-domestic, low voltage, whole current",
        [1.050, 1.078, 1.095],
    ),
    (
        300,
        "non-domestic, low voltage substation, CT",
        [1.030, 1.046, 1.058],
    ),
    (400, "unmetered supplies", [1.060, 1.075, 1.090]),
    (
        900,
        "low voltage export (generation)",
        [1.020, 1.035, 1.045],
    ),
];

/// The class a point gets by default.
pub fn default_llfc(direction: Direction, domestic: bool, ct: bool, unmetered: bool) -> u16 {
    match (direction, unmetered, ct, domestic) {
        (Direction::Export, ..) => 900,
        (_, true, ..) => 400,
        (_, _, true, _) => 300,
        (_, _, _, true) => 100,
        _ => 200,
    }
}

/// Refuses a class dccsim has no factors for.
pub fn check_llfc(llfc: u16) -> Result<(), String> {
    if CLASSES.iter().any(|c| c.0 == llfc) {
        Ok(())
    } else {
        let known: Vec<String> = CLASSES.iter().map(|c| c.0.to_string()).collect();
        Err(format!(
            "llfc {llfc} has no line loss factors (known classes: {})",
            known.join(", ")
        ))
    }
}

/// The half-hour of the local clock (0 = 00:00–00:30) at which period `number` of `date` starts:
/// on the 46-period day the clock skips 01:00–02:00; on the 50-period day it repeats 01:00–02:00.
pub fn clock_half_hour(date: SettlementDate, number: u8) -> u8 {
    let p = number - 1;
    match date.periods() {
        46 if p >= 2 => p + 2,
        50 if p >= 4 => p - 2,
        _ => p,
    }
}

/// The loss factor of a class in a period. Night is 00:00–07:00 and 23:30–24:00; the peak is
/// 16:00–19:00 (clock time), the rest is day.
pub fn factor(llfc: u16, date: SettlementDate, number: u8) -> f64 {
    let bands = CLASSES
        .iter()
        .find(|c| c.0 == llfc)
        .map_or(CLASSES[0].2, |c| c.2);
    let half_hour = clock_half_hour(date, number);
    let band = match half_hour {
        0..=13 | 47 => 0,
        32..=37 => 2,
        _ => 1,
    };
    bands[band]
}

/// The factors of every period of the day for a class.
pub fn day_factors(llfc: u16, date: SettlementDate) -> Vec<f64> {
    (1..=date.periods())
        .map(|p| factor(llfc, date, p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> SettlementDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_clock_skips_and_repeats_an_hour() {
        let spring = date("2026-03-29");
        assert_eq!(clock_half_hour(spring, 2), 1); // 00:30
        assert_eq!(clock_half_hour(spring, 3), 4); // 02:00 BST
        assert_eq!(clock_half_hour(spring, 46), 47);
        let autumn = date("2026-10-25");
        assert_eq!(clock_half_hour(autumn, 4), 3); // 01:30 BST
        assert_eq!(clock_half_hour(autumn, 5), 2); // 01:00 GMT, the repeat
        assert_eq!(clock_half_hour(autumn, 50), 47);
    }

    #[test]
    fn peak_costs_more_than_night() {
        let d = date("2026-06-01");
        assert_eq!(factor(100, d, 1), 1.048);
        assert_eq!(factor(100, d, 35), 1.092); // 17:00
        assert_eq!(factor(100, d, 20), 1.075);
        assert!(check_llfc(100).is_ok());
        assert!(
            check_llfc(101)
                .unwrap_err()
                .contains("known classes: 100, 200")
        );
    }
}
