//! Named hour-of-day profiles for on-demand and alert traffic: relative weights per clock hour
//! (00:00–01:00 first). They are shapes, not measurements; scenarios may give their own.

pub const NAMES: [&str; 4] = ["flat", "domestic", "business", "overnight"];

/// Flat: the same rate all day.
const FLAT: [f64; 24] = [1.0; 24];

/// Domestic: low overnight, a morning shoulder and an evening peak (top-ups, displays).
const DOMESTIC: [f64; 24] = [
    0.3, 0.2, 0.2, 0.2, 0.2, 0.3, 0.6, 1.0, 1.2, 1.1, 1.0, 1.0, 1.1, 1.0, 1.0, 1.1, 1.3, 1.6, 1.9,
    2.0, 1.8, 1.4, 0.9, 0.5,
];

/// Business: working hours.
const BUSINESS: [f64; 24] = [
    0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 2.0, 2.0, 2.0, 1.8, 2.0, 2.0, 1.9, 1.6, 1.0, 0.5,
    0.3, 0.2, 0.2, 0.1, 0.1,
];

/// Overnight: operational work kept out of the day (firmware, configuration).
const OVERNIGHT: [f64; 24] = [
    2.0, 2.0, 2.0, 2.0, 2.0, 1.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
    0.1, 0.2, 0.5, 1.0, 1.5,
];

pub fn named(name: &str) -> Option<&'static [f64; 24]> {
    match name {
        "flat" => Some(&FLAT),
        "domestic" => Some(&DOMESTIC),
        "business" => Some(&BUSINESS),
        "overnight" => Some(&OVERNIGHT),
        _ => None,
    }
}
