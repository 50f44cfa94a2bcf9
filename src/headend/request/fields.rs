//! DUIS field values read to their GBCS forms: numbers and decimals in range, MPANs, times
//! and date-times (with their time zone) as UTC.

use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};

use super::RequestError;

/// A DUIS `BillingTime` (an xs:time with `Z` or an offset) as a COSEM time in UTC: hour,
/// minute, second, hundredths; `24:00:00` is midnight.
pub(super) fn billing_time(text: &str) -> Result<[u8; 4], String> {
    cosem_time("BillingTime", text)
}

/// A DUIS time of day (element `name`, an xs:time with `Z` or an offset) as a COSEM time in
/// UTC: hour, minute, second, hundredths.
pub(super) fn cosem_time(name: &str, text: &str) -> Result<[u8; 4], String> {
    let utc = utc_time(name, text)?;
    use chrono::Timelike;
    Ok([
        utc.hour() as u8,
        utc.minute() as u8,
        utc.second() as u8,
        (utc.nanosecond() / 10_000_000).min(99) as u8,
    ])
}

/// A DUIS xs:date (element `name`; its zone, if any, does not move the day) as a COSEM date
/// with the day of week unspecified: year (65535, as DUIS writes it, unspecified), month, day.
pub(super) fn cosem_date(name: &str, text: &str) -> Result<[u8; 5], RequestError> {
    let bad = || RequestError {
        line: 0,
        reason: format!("sr:{name} {text:?} is not an xs:date of a year up to 65535"),
    };
    let date = match text.strip_suffix('Z') {
        Some(date) => date,
        None if text.len() > 6 && matches!(text.as_bytes()[text.len() - 6], b'+' | b'-') => {
            &text[..text.len() - 6]
        }
        None => text,
    };
    let mut parts = date.splitn(3, '-');
    let (year, month, day) = (parts.next(), parts.next(), parts.next());
    let number = |p: Option<&str>, digits: RangeInclusive<usize>| {
        p.filter(|p| digits.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<u32>().ok())
    };
    let (Some(year), Some(month), Some(day)) = (
        number(year, 4..=5),
        number(month, 2..=2),
        number(day, 2..=2),
    ) else {
        return Err(bad());
    };
    if year > 65535 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let [hi, lo] = (year as u16).to_be_bytes();
    Ok([hi, lo, month as u8, day as u8, 0xFF])
}

/// A DUIS time of day (element `name`, an xs:time with `Z` or an offset) in UTC; `24:00:00`
/// is midnight. A time with no zone is refused: which day's midnight it is would be a guess.
pub(super) fn utc_time(name: &str, text: &str) -> Result<chrono::NaiveTime, String> {
    let bad = || format!("sr:{name} {text:?} is not an xs:time with a time zone");
    // The clock, then `Z` or a `±hh:mm` offset.
    let (clock, offset) = match text.strip_suffix('Z') {
        Some(clock) => (clock, 0),
        None => {
            let at = text.len().checked_sub(6).ok_or_else(bad)?;
            let (clock, zone) = (text.get(..at).ok_or_else(bad)?, &text[at..]);
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let hm = chrono::NaiveTime::parse_from_str(&zone[1..], "%H:%M").map_err(|_| bad())?;
            use chrono::Timelike;
            (clock, sign * (hm.hour() * 60 + hm.minute()) as i32)
        }
    };
    if clock.get(6..8) == Some("60") || clock.contains(['t', 'z', ' ']) {
        return Err(bad());
    }
    let clock =
        if clock.starts_with("24:00:00") && clock[8..].bytes().all(|b| b == b'0' || b == b'.') {
            "00:00:00"
        } else {
            clock
        };
    let local = chrono::NaiveTime::parse_from_str(clock, "%H:%M:%S%.f").map_err(|_| bad())?;
    Ok(local - chrono::Duration::minutes(offset.into()))
}

/// A DUIS MPAN (element `name`): thirteen digits, as the schema has it (the check digit is not
/// the head-end's to check: meters take the digits they are given).
/// Element `name`'s `text` as a whole number in `range`; refused, naming the element and the
/// range, if it is not one.
pub(super) fn number<T>(name: &str, text: &str, range: RangeInclusive<T>) -> Result<T, RequestError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    match text.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(RequestError {
            line: 0,
            reason: format!(
                "sr:{name} {text:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

/// Element `name`'s `text` as one of the schema's enumerated `values`, each with what it
/// means; refused, naming the element and the values, if it is none of them.
pub(super) fn one_of<T: Copy>(
    name: &str,
    text: &str,
    values: &[(&str, T)],
) -> Result<T, RequestError> {
    values
        .iter()
        .find(|(v, _)| *v == text)
        .map(|&(_, meaning)| meaning)
        .ok_or_else(|| {
            let names: Vec<&str> = values.iter().map(|(v, _)| *v).collect();
            RequestError {
                line: 0,
                reason: format!("sr:{name} {text:?} is not {}", names.join(" or ")),
            }
        })
}

/// Element `name`'s `text` as an `xs:boolean` (true, false, 1 or 0).
/// The alert or event code an element of 6.22 is named for: `x` and its four hex digits
/// (`x810D`).
pub(super) fn alert_code(name: &str) -> Result<u16, RequestError> {
    name.strip_prefix('x')
        .filter(|hex| hex.len() == 4)
        .and_then(|hex| u16::from_str_radix(hex, 16).ok())
        .ok_or_else(|| RequestError {
            line: 0,
            reason: format!("sr:{name} is not an alert code (x and its four hex digits)"),
        })
}

pub(super) fn boolean(name: &str, text: &str) -> Result<bool, RequestError> {
    match text {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(RequestError {
            line: 0,
            reason: format!("sr:{name} {other:?} is not an xs:boolean"),
        }),
    }
}

/// An `xs:decimal` of at most `places` decimal places, from 0 to what a u32 of units of the
/// last place holds (the schema's bounds for a 6.6's values), as that u32.
pub(super) fn decimal(name: &str, text: &str, places: u32) -> Result<u32, RequestError> {
    let scale = 10u64.pow(places);
    let refuse = || RequestError {
        line: 0,
        reason: format!(
            "sr:{name} {text:?} is not a decimal from 0 to {}.{:0width$} with at most {places} \
             decimal places",
            u64::from(u32::MAX) / scale,
            u64::from(u32::MAX) % scale,
            width = places as usize
        ),
    };
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    // xs:decimal: digits on at least one side of the point; zeros after the places allowed.
    let (kept, rest) = fraction.split_at(fraction.len().min(places as usize));
    if whole.is_empty() && fraction.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || rest.bytes().any(|b| b != b'0')
    {
        return Err(refuse());
    }
    let whole = whole.trim_start_matches('0');
    let whole: u64 = if whole.is_empty() {
        0
    } else if whole.len() > 10 {
        return Err(refuse());
    } else {
        whole.parse().map_err(|_| refuse())?
    };
    let kept: u64 = format!("{kept:0<width$}", width = places as usize)
        .parse()
        .map_err(|_| refuse())?;
    u32::try_from(whole * scale + kept).map_err(|_| refuse())
}

pub(super) fn mpan(name: &str, digits: String) -> Result<String, RequestError> {
    if digits.len() == 13 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(digits);
    }
    Err(RequestError {
        line: 0,
        reason: format!("sr:{name} {digits:?} is not thirteen digits"),
    })
}

/// A DUIS `xs:dateTime` (element `name`) a meter is to hold: within GBCS's clock, 2000-01-01
/// to 2136-02-07T06:28:15Z.
pub(super) fn clock_time(name: &str, text: &str) -> Result<DateTime<Utc>, RequestError> {
    let fail = |reason: String| RequestError { line: 0, reason };
    let t = utc_date_time(name, text).map_err(fail)?;
    if crate::protocol::gbcs::payload::to_gbcs_seconds(t).is_none() {
        return Err(fail(format!(
            "sr:{name} {text:?} is outside the meters' clock, 2000-01-01T00:00:00Z to \
             2136-02-07T06:28:15Z"
        )));
    }
    Ok(t)
}

/// A DUIS `xs:dateTime` element's text `text` (element `name`) as UTC. The head-end needs a
/// time zone (`Z` or an offset): a time without one is refused saying so.
pub fn utc_date_time(name: &str, text: &str) -> Result<DateTime<Utc>, String> {
    // RFC 3339 also takes a lowercase `t` and `z`, a space for the `T` and a leap second;
    // xs:dateTime takes none of them.
    let seconds = text.get(17..19);
    if text.contains(['t', 'z', ' ']) || seconds == Some("60") {
        return Err(format!("sr:{name} {text:?} is not an xs:dateTime"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f");
    Err(match local {
        Ok(_) => format!("sr:{name} {text:?} has no time zone: end it with Z or an offset"),
        Err(_) => format!("sr:{name} {text:?} is not an xs:dateTime"),
    })
}

#[cfg(test)]
mod tests {
    use super::{decimal, utc_date_time};

    /// xs:decimal's forms, scaled to the places a 6.6 value has; more places than that (other
    /// than zeros), a sign other than `+`, an exponent or a value past a u32 refused.
    #[test]
    fn decimals_are_xs_decimals_in_units_of_their_last_place() {
        let one = |t: &str| decimal("CalorificValue", t, 1);
        for (text, tenths) in [
            ("40.0", 400),
            ("40", 400),
            ("40.", 400),
            (".5", 5),
            ("+1.5", 15),
            ("1.50", 15),
            ("007.1", 71),
            ("0", 0),
            ("429496729.5", u32::MAX),
        ] {
            assert_eq!(one(text).unwrap(), tenths, "{text}");
        }
        for bad in [
            "",
            ".",
            "1.55",
            "-1",
            "1e3",
            " 1",
            "429496729.6",
            "99999999999",
        ] {
            let e = one(bad).unwrap_err();
            assert!(
                e.reason.contains("is not a decimal from 0 to 429496729.5"),
                "{bad}: {e:?}"
            );
        }
        assert_eq!(decimal("ConversionFactor", "1.02264", 5).unwrap(), 102_264);
        assert!(decimal("ConversionFactor", "1.022645", 5).is_err());
    }

    /// xs:dateTime as DUIS writes it, with `Z` or an offset; not RFC 3339's lowercase letters,
    /// space or leap second, and a time with no zone said so.
    #[test]
    fn utc_date_times_are_xs_date_times() {
        let utc = |t: &str| utc_date_time("StartDateTime", t);
        assert_eq!(
            utc("2026-11-23T10:00:00.00Z").unwrap().to_rfc3339(),
            "2026-11-23T10:00:00+00:00"
        );
        assert_eq!(
            utc("2026-11-23T11:00:00+01:00").unwrap().to_rfc3339(),
            "2026-11-23T10:00:00+00:00"
        );
        for bad in [
            "2026-11-23t10:00:00Z",
            "2026-11-23T10:00:00z",
            "2026-11-23 10:00:00Z",
            "2016-12-31T23:59:60Z",
            "23/11/2026",
        ] {
            let err = utc(bad).unwrap_err();
            assert!(err.contains("is not an xs:dateTime"), "{bad}: {err}");
        }
        assert!(
            utc("2026-11-23T10:00:00")
                .unwrap_err()
                .contains("has no time zone")
        );
    }

    /// A billing time as the meter holds it: UTC, to the hundredth; 24:00:00 is midnight; no
    /// time zone, a leap second or a lowercase zone refused.
    #[test]
    fn billing_times_are_utc_cosem_times() {
        use super::billing_time;
        assert_eq!(billing_time("12:00:00.00Z"), Ok([12, 0, 0, 0]));
        assert_eq!(billing_time("12:30:15.25+01:00"), Ok([11, 30, 15, 25]));
        assert_eq!(billing_time("23:30:00-01:00"), Ok([0, 30, 0, 0]));
        assert_eq!(billing_time("24:00:00Z"), Ok([0, 0, 0, 0]));
        for bad in [
            "12:00:00",
            "23:59:60Z",
            "12:00:00z",
            "noon",
            "",
            "é2:00:00+01:00",
        ] {
            assert!(billing_time(bad).is_err(), "{bad}");
        }
    }
}
