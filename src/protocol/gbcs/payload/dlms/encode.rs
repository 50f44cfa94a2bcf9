//! A typed reading back to the plaintext a device sends (the inverse of [`super::decode_plaintext`]).

use super::*;

/// The plaintext a device seals for a sensitive response, or `None` for readings that are not
/// sent sealed (or that a u32 time stamp cannot hold).
pub fn encode_dlms(reading: &Reading) -> Option<Vec<u8>> {
    let stamp = |t: DateTime<Utc>| to_gbcs_seconds(t).map(Data::DoubleLongUnsigned);
    let u32s = |v: &[u32]| v.iter().map(|x| Data::DoubleLongUnsigned(*x)).collect();
    let compact = |description, elements| Data::CompactArray {
        description,
        elements,
    };
    let value = match reading {
        Reading::TouRegisters { matrices } => Data::Structure(vec![Data::Structure(
            matrices.iter().map(|m| Data::Array(u32s(m))).collect(),
        )]),
        Reading::PrepayValues {
            meter_balance,
            emergency_credit,
            accumulated_debt,
            payment_debt,
            time_debt,
        } => Data::Structure(vec![Data::Structure(
            [
                *meter_balance,
                *emergency_credit,
                *accumulated_debt,
                *payment_debt,
                time_debt[0],
                time_debt[1],
            ]
            .map(Data::DoubleLong)
            .to_vec(),
        )]),
        Reading::ImportRegisters { registers } => {
            let mut items = Vec::new();
            for r in registers {
                items.push(Data::DoubleLongUnsigned(r.raw));
                if r.own_scale {
                    items.push(Data::Structure(vec![
                        Data::Integer(r.scaler),
                        Data::Enum(r.unit.dlms_code()),
                    ]));
                }
            }
            Data::Structure(vec![Data::Structure(items)])
        }
        Reading::ActiveImportProfile { intervals }
        | Reading::DailyConsumptionLog { days: intervals } => {
            let width = intervals.first().map_or(1, |i| i.values.len());
            let mut elements = Vec::with_capacity(intervals.len());
            for i in intervals {
                if i.values.len() != width {
                    return None;
                }
                let mut items = vec![stamp(i.start)?];
                items.extend(i.values.iter().map(|v| Data::DoubleLongUnsigned(*v)));
                elements.push(Data::Structure(items));
            }
            let types = vec![TypeDescription::Simple(6); 1 + width];
            Data::Structure(vec![compact(TypeDescription::Structure(types), elements)])
        }
        Reading::DailyReadLog { days } => Data::Structure(vec![daily_reads(days)?]),
        Reading::BillingCalendarLog {
            entries,
            prepayment,
        } => Data::Structure(vec![daily_reads(entries)?, prepayment_entries(prepayment)?]),
        Reading::ChangeOfModeLog {
            entries,
            prepayment,
        } => Data::Structure(vec![change_of_mode_entries(entries, prepayment)?]),
        Reading::PrepaymentDailyReadLog { days } => {
            Data::Structure(vec![prepayment_entries(days)?])
        }
        _ => return None,
    };
    Some(value.to_bytes())
}

/// Registers at times as a compact array: each entry's time stamp, its totals and its register
/// arrays (the daily read log's, and the billing data log's, entries).
fn daily_reads(days: &[DailyRead]) -> Option<Data> {
    let stamp = |t: DateTime<Utc>| to_gbcs_seconds(t).map(Data::DoubleLongUnsigned);
    let u32s = |v: &[u32]| v.iter().map(|x| Data::DoubleLongUnsigned(*x)).collect();
    // An empty log still says what an entry holds: as the RTDS meter's, one total, 48
    // time-of-use registers and four blocks of eight.
    let (totals, widths): (usize, Vec<usize>) = match days.first() {
        Some(first) => (
            first.totals.len(),
            first.registers.iter().map(Vec::len).collect(),
        ),
        None => (1, vec![48, 8, 8, 8, 8]),
    };
    let mut types = vec![TypeDescription::Simple(6); 1 + totals];
    for n in &widths {
        types.push(TypeDescription::Array {
            count: u16::try_from(*n).ok()?,
            element: Box::new(TypeDescription::Simple(6)),
        });
    }
    let mut elements = Vec::with_capacity(days.len());
    for d in days {
        let shape: Vec<usize> = d.registers.iter().map(Vec::len).collect();
        if d.totals.len() != totals || shape != widths {
            return None;
        }
        let mut items = vec![stamp(d.at)?];
        items.extend(d.totals.iter().map(|v| Data::DoubleLongUnsigned(*v)));
        items.extend(d.registers.iter().map(|r| Data::Array(u32s(r))));
        elements.push(Data::Structure(items));
    }
    Some(Data::CompactArray {
        description: TypeDescription::Structure(types),
        elements,
    })
}

/// Prepayment registers at times as a compact array: each entry's time stamp, then the meter
/// balance, emergency credit, accumulated debt, payment debt and the two time debts.
fn prepayment_entries(entries: &[PrepaymentEntry]) -> Option<Data> {
    let mut elements = Vec::with_capacity(entries.len());
    for e in entries {
        let mut items = vec![Data::DoubleLongUnsigned(to_gbcs_seconds(e.at)?)];
        items.extend(e.registers().map(Data::DoubleLong));
        elements.push(Data::Structure(items));
    }
    let mut types = vec![TypeDescription::Simple(6)];
    types.extend(std::iter::repeat_n(TypeDescription::Simple(5), 6));
    Some(Data::CompactArray {
        description: TypeDescription::Structure(types),
        elements,
    })
}

/// The change of mode log as a compact array: each entry the registers at a change, laid out as
/// [`daily_reads`] lays them out, then the six prepayment registers then. `None` unless each
/// register entry has its prepayment entry, at the same time.
fn change_of_mode_entries(entries: &[DailyRead], prepayment: &[PrepaymentEntry]) -> Option<Data> {
    let paired = entries.len() == prepayment.len()
        && entries.iter().zip(prepayment).all(|(e, p)| e.at == p.at);
    let Data::CompactArray {
        description: TypeDescription::Structure(mut types),
        mut elements,
    } = daily_reads(entries).filter(|_| paired)?
    else {
        return None;
    };
    types.extend(std::iter::repeat_n(TypeDescription::Simple(5), 6));
    for (element, p) in elements.iter_mut().zip(prepayment) {
        if let Data::Structure(items) = element {
            items.extend(p.registers().map(Data::DoubleLong));
        }
    }
    Some(Data::CompactArray {
        description: TypeDescription::Structure(types),
        elements,
    })
}
