//! Calendars as GBCS fills them: a special days table (IC 11) and a schedule (IC 10) whose
//! entries each run a script of a script table at a time of day, on the weekdays and special
//! days they name, between two dates. The prepayment non-disablement calendar (2.1) and the
//! auxiliary load calendar (6.14.2, 6.14.3) are both.

use serde::{Deserialize, Serialize};

use super::*;

/// When a schedule entry runs: at `time` (hour, minute, second, hundredths), on the weekdays
/// and special days it names, between two dates (year, year, month, day, weekday; `0xFF` and
/// `0xFFFF` unspecified).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    pub time: [u8; 4],
    /// Monday first: bit 6 Monday … bit 0 Sunday.
    pub weekdays: u8,
    /// The special days (numbered from 1, ascending) it applies on.
    pub special_days: Vec<u8>,
    pub from: [u8; 5],
    pub to: [u8; 5],
}

/// A bit string of `bits` bits, the first the most significant bit of the first byte.
fn bits(bits: usize, set: impl Fn(usize) -> bool) -> Data {
    let mut bytes = vec![0u8; bits.div_ceil(8)];
    for i in (0..bits).filter(|&i| set(i)) {
        bytes[i / 8] |= 0x80 >> (i % 8);
    }
    Data::BitString { bits, bytes }
}

fn bit(bytes: &[u8], i: usize) -> bool {
    bytes.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0)
}

/// The special days table's entries: index, date, day id (the index).
pub fn special_days_data(days: &[[u8; 5]]) -> Data {
    Data::Array(
        days.iter()
            .zip(1u16..)
            .map(|(date, i)| {
                Data::Structure(vec![
                    Data::LongUnsigned(i),
                    Data::OctetString(date.to_vec()),
                    Data::Unsigned(i as u8),
                ])
            })
            .collect(),
    )
}

/// A special days table's dates, in its order; `None` when `d` is not one.
pub(super) fn special_days_of(d: &Data) -> Option<Vec<[u8; 5]>> {
    match d {
        Data::Array(days) => days
            .iter()
            .map(|d| d.items()?.get(1)?.as_octets()?.try_into().ok())
            .collect(),
        _ => None,
    }
}

/// Schedule entry `index` (from 1): enabled, running `script` of script table `table` as
/// `when` says, with no validity window (0xFFFF); its special days' bit string has one bit
/// per special day of the `special_days` the table has.
pub(super) fn schedule_entry(
    index: u16,
    table: [u8; 6],
    script: u16,
    when: &Recurrence,
    special_days: usize,
) -> Data {
    Data::Structure(vec![
        Data::LongUnsigned(index),
        Data::Boolean(0xFF),
        Data::OctetString(table.to_vec()),
        Data::LongUnsigned(script),
        Data::OctetString(when.time.to_vec()),
        Data::LongUnsigned(0xFFFF),
        bits(7, |d| when.weekdays & (0x40 >> d) != 0),
        bits(special_days, |d| when.special_days.contains(&(d as u8 + 1))),
        Data::OctetString(when.from.to_vec()),
        Data::OctetString(when.to.to_vec()),
    ])
}

/// A schedule entry's script and when it runs; `None` when `d` is not one.
pub(super) fn schedule_entry_of(d: &Data) -> Option<(u16, Recurrence)> {
    fn octets<const N: usize>(d: &Data) -> Option<[u8; N]> {
        d.as_octets()?.try_into().ok()
    }
    match d.items()? {
        [
            _,
            _,
            _,
            Data::LongUnsigned(script),
            time,
            _,
            Data::BitString { bytes: week, .. },
            Data::BitString {
                bits: n,
                bytes: days,
            },
            from,
            to,
        ] => Some((
            *script,
            Recurrence {
                time: octets(time)?,
                weekdays: (0..7).filter(|&d| bit(week, d)).map(|d| 0x40 >> d).sum(),
                special_days: (0..*n)
                    .filter(|&d| bit(days, d))
                    .map(|d| d as u8 + 1)
                    .collect(),
                from: octets(from)?,
                to: octets(to)?,
            },
        )),
        _ => None,
    }
}
