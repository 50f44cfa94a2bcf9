//! 1.1 Update Import Tariff and 1.2 Update Price to an ESME (critical): the primary element's
//! whole tariff (ECS01a: switching table, special days, block thresholds, currency, standing
//! charge, price matrix) or its prices alone (ECS01b), and the secondary element's tariff
//! (ECS01c: its own switching table, special days and four TOU prices) or its prices alone
//! (ECS01d). Each table is written passive (the activity calendar's passive season, week and
//! day profiles; the charges' passive unit charges; class 9000 values) and taken up at the
//! activation time the command sets with it, at once, at a time, or cancelled.
//!
//! The same list of steps ([`steps`]) builds the head-end's command, reads it back on the
//! meter (rebuilt and compared) and counts the meter's results.

use serde::{Deserialize, Serialize};

use super::configuration::{Step, set, set_value, unit_charge};
use super::prepayment::{activation_of, activation_time};
use super::*;

/// 1.1.1 Update Import Tariff (Primary Element).
pub const ECS01A: u16 = 0x0019;
/// 1.2.1 Update Price (Primary Element).
pub const ECS01B: u16 = 0x00A2;
/// 1.1.2 Update Import Tariff (Secondary Element).
pub const ECS01C: u16 = 0x00B7;
/// 1.2.2 Update Price (Secondary Element).
pub const ECS01D: u16 = 0x00C7;

/// What a switching table's day profile does from a time: charge at TOU rate `n` (1–48 on the
/// primary element, 1–4 on the secondary) or count into block tariff `n` (1–8, primary only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TariffAction {
    Tou(u8),
    Block(u8),
}

/// One day profile: its id and from what time (hour, minute, second, hundredths, UTC) each
/// action runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayProfile {
    pub id: u8,
    pub switches: Vec<([u8; 4], TariffAction)>,
}

/// One week profile: its id and the day profile of each day, Monday first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekProfile {
    pub id: u8,
    pub days: [u8; 7],
}

/// One season: its name (up to eight characters), the date it starts (COSEM date: year, year,
/// month, day, weekday; `0xFF` unspecified) and its week profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Season {
    pub name: String,
    pub start: [u8; 5],
    pub week: u8,
}

/// A tariff element's switching table and special days (each a date and the day profile it
/// takes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchingTable {
    pub seasons: Vec<Season>,
    pub weeks: Vec<WeekProfile>,
    pub days: Vec<DayProfile>,
    pub special_days: Vec<([u8; 5], u8)>,
}

/// The primary element's prices: the standing charge at its own scale, and the TOU and block
/// prices at the price scale, in 10^scale of the meter's currency unit per kWh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryPrices {
    pub standing_charge: i16,
    pub standing_charge_scale: i8,
    pub price_scale: i8,
    /// TOU rates 1 to 48 (those not given, 0).
    pub tou: Vec<i16>,
    /// Block tariffs 1 to 8, each its four blocks' prices (those not given, 0).
    pub blocks: Vec<[i16; 4]>,
}

/// The secondary element's prices: four TOU rates at the price scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondaryPrices {
    pub price_scale: i8,
    pub tou: [i16; 4],
}

/// What a 1.1 or 1.2 sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TariffUpdate {
    /// 1.1.1 (ECS01a): currency (GBP or not), switching table, special days, each block
    /// tariff's thresholds (kWh × 1000, up to three; 4294967295 ends a list) and prices.
    PrimaryTariff {
        gbp: bool,
        switching: SwitchingTable,
        thresholds: Vec<Vec<u32>>,
        prices: PrimaryPrices,
    },
    /// 1.2.1 (ECS01b).
    PrimaryPrice(PrimaryPrices),
    /// 1.1.2 (ECS01c).
    SecondaryTariff {
        switching: SwitchingTable,
        prices: SecondaryPrices,
    },
    /// 1.2.2 (ECS01d).
    SecondaryPrice(SecondaryPrices),
}

/// TOU rates and block tariffs of the primary element; TOU rates of the secondary.
pub const PRIMARY_TOU_RATES: usize = 48;
pub const BLOCK_TARIFFS: usize = 8;
pub const SECONDARY_TOU_RATES: usize = 4;

impl TariffUpdate {
    /// The use case carrying it.
    pub fn code(&self) -> u16 {
        match self {
            TariffUpdate::PrimaryTariff { .. } => ECS01A,
            TariffUpdate::PrimaryPrice(_) => ECS01B,
            TariffUpdate::SecondaryTariff { .. } => ECS01C,
            TariffUpdate::SecondaryPrice(_) => ECS01D,
        }
    }
}

const CALENDAR: u16 = 20;
const SPECIAL_DAYS: u16 = 11;
const REGISTER_ACTIVATION: u16 = 21;
const CHARGE: u16 = 113;
const EXTENDED_DATA: u16 = 9000;

const PRIMARY_CALENDAR: [u8; 6] = [0, 0, 13, 0, 0, 255];
const SECONDARY_CALENDAR: [u8; 6] = [0, 0, 13, 0, 1, 255];
const PRIMARY_SPECIAL_DAYS: [u8; 6] = [0, 1, 11, 0, 0, 255];
const SECONDARY_SPECIAL_DAYS: [u8; 6] = [0, 1, 11, 0, 1, 255];
const STANDING_CHARGE: [u8; 6] = [0, 0, 19, 20, 4, 255];
const PRIMARY_PRICES: [u8; 6] = [0, 0, 19, 20, 0, 255];
const SECONDARY_PRICES: [u8; 6] = [0, 0, 19, 20, 5, 255];
/// The currency unit: true for pounds sterling, as the RTDS's GBP tariff sets it.
const CURRENCY: [u8; 6] = [0, 0, 94, 44, 2, 0];
const PRIMARY_SPECIAL_DAYS_ACTIVATION: [u8; 6] = [0, 0, 94, 44, 128, 29];
const SECONDARY_SPECIAL_DAYS_ACTIVATION: [u8; 6] = [0, 0, 94, 44, 128, 30];
const THRESHOLDS_ACTIVATION: [u8; 6] = [0, 0, 63, 1, 1, 255];
/// The tariffication script table every day profile's actions run.
const TARIFF_SCRIPTS: [u8; 6] = [0, 0, 10, 0, 100, 255];
/// The energy each element's prices charge: import, and the secondary element's register.
const PRIMARY_COMMODITY: [u8; 6] = [1, 0, 1, 8, 0, 255];
const SECONDARY_COMMODITY: [u8; 6] = [1, 20, 1, 8, 0, 255];

/// The block tariff `n`'s thresholds (register activation `0-0:16.1.(10+n)`).
fn thresholds_object(n: usize) -> [u8; 6] {
    [0, 0, 16, 1, 10 + n as u8, 255]
}

/// The objects and attributes whose activation time use case `code` sets, in its order: each
/// is one 8F66 outcome when a held update is taken up.
fn activated(code: u16) -> &'static [(u16, [u8; 6], i8)] {
    match code {
        ECS01A => &[
            (CALENDAR, PRIMARY_CALENDAR, 10),
            (EXTENDED_DATA, PRIMARY_SPECIAL_DAYS_ACTIVATION, 6),
            (EXTENDED_DATA, CURRENCY, 6),
            (CHARGE, STANDING_CHARGE, 7),
            (CHARGE, PRIMARY_PRICES, 7),
            (EXTENDED_DATA, THRESHOLDS_ACTIVATION, 6),
        ],
        ECS01B => &[(CHARGE, STANDING_CHARGE, 7), (CHARGE, PRIMARY_PRICES, 7)],
        ECS01C => &[
            (CALENDAR, SECONDARY_CALENDAR, 10),
            (CHARGE, SECONDARY_PRICES, 7),
            (EXTENDED_DATA, SECONDARY_SPECIAL_DAYS_ACTIVATION, 6),
        ],
        ECS01D => &[(CHARGE, SECONDARY_PRICES, 7)],
        _ => &[],
    }
}

/// A day profile action's script in the tariffication script table.
fn script(action: TariffAction, secondary: bool) -> u16 {
    match (action, secondary) {
        (TariffAction::Tou(n), false) => u16::from(n),
        (TariffAction::Tou(n), true) => 200 + u16::from(n),
        (TariffAction::Block(n), _) => 100 + u16::from(n),
    }
}

fn action_of(script: u16, secondary: bool) -> Option<TariffAction> {
    let rates = if secondary {
        SECONDARY_TOU_RATES
    } else {
        PRIMARY_TOU_RATES
    } as u16;
    let tou_base = if secondary { 200 } else { 0 };
    match script {
        s if (tou_base + 1..=tou_base + rates).contains(&s) => {
            Some(TariffAction::Tou((s - tou_base) as u8))
        }
        s if !secondary && (101..=100 + BLOCK_TARIFFS as u16).contains(&s) => {
            Some(TariffAction::Block((s - 100) as u8))
        }
        _ => None,
    }
}

/// A season's start as a COSEM date-time: the date, midnight, deviation unspecified.
fn season_start(date: &[u8; 5]) -> Data {
    Data::OctetString([date.as_slice(), &[0, 0, 0, 0, 0x80, 0x00, 0xFF]].concat())
}

/// The switching table's season, week and day profiles and its special days, as the
/// activity calendar and special days table hold them (`secondary`: the secondary element's,
/// whose TOU scripts are its own).
pub fn switching_data(t: &SwitchingTable, secondary: bool) -> [Data; 4] {
    let seasons = t
        .seasons
        .iter()
        .map(|s| {
            Data::Structure(vec![
                Data::OctetString(s.name.as_bytes().to_vec()),
                season_start(&s.start),
                Data::OctetString(vec![s.week]),
            ])
        })
        .collect();
    let weeks = t
        .weeks
        .iter()
        .map(|w| {
            let mut items = vec![Data::OctetString(vec![w.id])];
            items.extend(w.days.map(Data::Unsigned));
            Data::Structure(items)
        })
        .collect();
    let days = t
        .days
        .iter()
        .map(|d| {
            let switches = d
                .switches
                .iter()
                .map(|(time, action)| {
                    Data::Structure(vec![
                        Data::OctetString(time.to_vec()),
                        Data::OctetString(TARIFF_SCRIPTS.to_vec()),
                        Data::LongUnsigned(script(*action, secondary)),
                    ])
                })
                .collect();
            Data::Structure(vec![Data::Unsigned(d.id), Data::Array(switches)])
        })
        .collect();
    let special_days = t
        .special_days
        .iter()
        .zip(1u16..)
        .map(|((date, day), i)| {
            Data::Structure(vec![
                Data::LongUnsigned(i),
                Data::OctetString(date.to_vec()),
                Data::Unsigned(*day),
            ])
        })
        .collect();
    [seasons, weeks, days, special_days].map(Data::Array)
}

/// The switching table's steps (passive season, week and day profiles) and its special days'.
fn switching_steps(t: &SwitchingTable, secondary: bool) -> [Step; 4] {
    let (calendar, special) = if secondary {
        (SECONDARY_CALENDAR, SECONDARY_SPECIAL_DAYS)
    } else {
        (PRIMARY_CALENDAR, PRIMARY_SPECIAL_DAYS)
    };
    let [seasons, weeks, days, special_days] = switching_data(t, secondary);
    [
        set(CALENDAR, calendar, 7, seasons),
        set(CALENDAR, calendar, 8, weeks),
        set(CALENDAR, calendar, 9, days),
        set(SPECIAL_DAYS, special, 2, special_days),
    ]
}

/// Block tariff thresholds as a register monitor holds them.
pub fn thresholds_data(thresholds: &[u32]) -> Data {
    Data::Array(
        thresholds
            .iter()
            .map(|&v| Data::DoubleLongUnsigned(v))
            .collect(),
    )
}

/// A price matrix: commodity scale 3 (kWh) and the price scale, the energy it charges, and
/// each price under its index.
fn price_matrix(scale: i8, commodity: [u8; 6], prices: impl Iterator<Item = (u8, i16)>) -> Data {
    Data::Structure(vec![
        Data::Structure(vec![Data::Integer(3), Data::Integer(scale)]),
        Data::Structure(vec![
            Data::LongUnsigned(3),
            Data::OctetString(commodity.to_vec()),
            Data::Integer(2),
        ]),
        Data::Array(
            prices
                .map(|(index, price)| {
                    Data::Structure(vec![Data::OctetString(vec![index]), Data::Long(price)])
                })
                .collect(),
        ),
    ])
}

/// The index of block tariff `tariff`'s block `block` (both from 0): `A1`…`A8` for the
/// first block of each tariff, then `B1`…, to `D8`.
fn block_index(tariff: usize, block: usize) -> u8 {
    0xA1 + 0x10 * block as u8 + tariff as u8
}

/// The primary element's standing charge and price matrix (TOU rates, then block prices block
/// by block) as their charges hold them.
pub fn primary_price_data(p: &PrimaryPrices) -> [Data; 2] {
    let tou = p.tou.iter().zip(1u8..).map(|(&price, i)| (i, price));
    let blocks = (0..4).flat_map(|block| {
        p.blocks
            .iter()
            .enumerate()
            .map(move |(tariff, prices)| (block_index(tariff, block), prices[block]))
    });
    [
        unit_charge(p.standing_charge, p.standing_charge_scale),
        price_matrix(p.price_scale, PRIMARY_COMMODITY, tou.chain(blocks)),
    ]
}

/// The secondary element's price matrix as its charge holds it.
pub fn secondary_price_data(p: &SecondaryPrices) -> Data {
    let prices = p.tou.iter().zip(1u8..).map(|(&price, i)| (i, price));
    price_matrix(p.price_scale, SECONDARY_COMMODITY, prices)
}

fn primary_price_steps(p: &PrimaryPrices) -> [Step; 2] {
    let [standing, matrix] = primary_price_data(p);
    [
        set(CHARGE, STANDING_CHARGE, 6, standing),
        set(CHARGE, PRIMARY_PRICES, 6, matrix),
    ]
}

fn secondary_price_step(p: &SecondaryPrices) -> Step {
    set(CHARGE, SECONDARY_PRICES, 6, secondary_price_data(p))
}

/// The steps of a 1.1 or 1.2, in the RTDS command's order: the values, then each activation
/// time.
pub(super) fn steps(update: &TariffUpdate, activation: &Activation) -> Vec<Step> {
    let mut steps = Vec::new();
    match update {
        TariffUpdate::PrimaryTariff {
            gbp,
            switching,
            thresholds,
            prices,
        } => {
            steps.extend(switching_steps(switching, false));
            steps.extend(thresholds.iter().enumerate().map(|(n, t)| {
                set(
                    REGISTER_ACTIVATION,
                    thresholds_object(n + 1),
                    2,
                    thresholds_data(t),
                )
            }));
            let currency = Data::Boolean(if *gbp { 0xFF } else { 0 });
            steps.push(set(EXTENDED_DATA, CURRENCY, 4, currency));
            steps.extend(primary_price_steps(prices));
        }
        TariffUpdate::PrimaryPrice(prices) => steps.extend(primary_price_steps(prices)),
        TariffUpdate::SecondaryTariff { switching, prices } => {
            steps.push(secondary_price_step(prices));
            steps.extend(switching_steps(switching, true));
        }
        TariffUpdate::SecondaryPrice(prices) => steps.push(secondary_price_step(prices)),
    }
    let when = activation_time(activation);
    steps.extend(
        activated(update.code())
            .iter()
            .map(|&(class, object, attribute)| set(class, object, attribute, when.clone())),
    );
    steps
}

fn octet(d: &Data) -> Option<u8> {
    match d.as_octets()? {
        [b] => Some(*b),
        _ => None,
    }
}

fn unsigned(d: &Data) -> Option<u8> {
    match d {
        &Data::Unsigned(v) => Some(v),
        _ => None,
    }
}

/// The switching table and special days a command sets, read back.
fn switching_of(r: &AccessRequest, secondary: bool) -> Option<SwitchingTable> {
    let (calendar, special) = if secondary {
        (SECONDARY_CALENDAR, SECONDARY_SPECIAL_DAYS)
    } else {
        (PRIMARY_CALENDAR, PRIMARY_SPECIAL_DAYS)
    };
    let array = |object, attribute| match set_value(r, object, attribute)? {
        Data::Array(items) => Some(items.as_slice()),
        _ => None,
    };
    let seasons = array(calendar, 7)?
        .iter()
        .map(|s| match s.items()? {
            [name, start, week] => Some(Season {
                name: String::from_utf8(name.as_octets()?.to_vec()).ok()?,
                start: start.as_octets()?.get(..5)?.try_into().ok()?,
                week: octet(week)?,
            }),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let weeks = array(calendar, 8)?
        .iter()
        .map(|w| match w.items()? {
            [id, days @ ..] => Some(WeekProfile {
                id: octet(id)?,
                days: days
                    .iter()
                    .map(unsigned)
                    .collect::<Option<Vec<_>>>()?
                    .try_into()
                    .ok()?,
            }),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let days = array(calendar, 9)?
        .iter()
        .map(|d| match d.items()? {
            [id, Data::Array(switches)] => Some(DayProfile {
                id: unsigned(id)?,
                switches: switches
                    .iter()
                    .map(|s| match s.items()? {
                        [time, _, Data::LongUnsigned(script)] => Some((
                            time.as_octets()?.try_into().ok()?,
                            action_of(*script, secondary)?,
                        )),
                        _ => None,
                    })
                    .collect::<Option<_>>()?,
            }),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let special_days = array(special, 2)?
        .iter()
        .map(|d| match d.items()? {
            [_, date, day] => Some((date.as_octets()?.try_into().ok()?, unsigned(day)?)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some(SwitchingTable {
        seasons,
        weeks,
        days,
        special_days,
    })
}

/// A price matrix's scale and its prices by index.
fn matrix_of(r: &AccessRequest, object: [u8; 6]) -> Option<(i8, Vec<(u8, i16)>)> {
    let [scales, _, Data::Array(entries)] = set_value(r, object, 6)?.items()? else {
        return None;
    };
    let [_, Data::Integer(scale)] = scales.items()? else {
        return None;
    };
    let prices = entries
        .iter()
        .map(|e| match e.items()? {
            [index, Data::Long(price)] => Some((octet(index)?, *price)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some((*scale, prices))
}

fn primary_prices_of(r: &AccessRequest) -> Option<PrimaryPrices> {
    let [scales, _, charges] = set_value(r, STANDING_CHARGE, 6)?.items()? else {
        return None;
    };
    let [_, Data::Integer(standing_charge_scale)] = scales.items()? else {
        return None;
    };
    let [charge] = charges.items()? else {
        return None;
    };
    let [_, Data::Long(standing_charge)] = charge.items()? else {
        return None;
    };
    let (price_scale, prices) = matrix_of(r, PRIMARY_PRICES)?;
    let price = |index: u8| prices.iter().find(|(i, _)| *i == index).map(|(_, p)| *p);
    Some(PrimaryPrices {
        standing_charge: *standing_charge,
        standing_charge_scale: *standing_charge_scale,
        price_scale,
        tou: (1..=PRIMARY_TOU_RATES as u8)
            .map(price)
            .collect::<Option<_>>()?,
        blocks: (0..BLOCK_TARIFFS)
            .map(|t| {
                let mut blocks = [0; 4];
                for (b, v) in blocks.iter_mut().enumerate() {
                    *v = price(block_index(t, b))?;
                }
                Some(blocks)
            })
            .collect::<Option<_>>()?,
    })
}

fn secondary_prices_of(r: &AccessRequest) -> Option<SecondaryPrices> {
    let (price_scale, prices) = matrix_of(r, SECONDARY_PRICES)?;
    let mut tou = [0; SECONDARY_TOU_RATES];
    for (i, v) in tou.iter_mut().enumerate() {
        *v = prices.iter().find(|(n, _)| usize::from(*n) == i + 1)?.1;
    }
    Some(SecondaryPrices { price_scale, tou })
}

/// What an ECS01a–d command asks, read by object; `None` unless it is exactly what the use
/// case carries.
pub(super) fn tariff_of(code: u16, r: &AccessRequest) -> Option<Reading> {
    let update = match code {
        ECS01A => TariffUpdate::PrimaryTariff {
            gbp: match set_value(r, CURRENCY, 4)? {
                &Data::Boolean(b) => b != 0,
                _ => return None,
            },
            switching: switching_of(r, false)?,
            thresholds: (1..=BLOCK_TARIFFS)
                .map(|n| match set_value(r, thresholds_object(n), 2)? {
                    Data::Array(values) => values
                        .iter()
                        .map(|v| match v {
                            &Data::DoubleLongUnsigned(v) => Some(v),
                            _ => None,
                        })
                        .collect(),
                    _ => None,
                })
                .collect::<Option<_>>()?,
            prices: primary_prices_of(r)?,
        },
        ECS01B => TariffUpdate::PrimaryPrice(primary_prices_of(r)?),
        ECS01C => TariffUpdate::SecondaryTariff {
            switching: switching_of(r, true)?,
            prices: secondary_prices_of(r)?,
        },
        ECS01D => TariffUpdate::SecondaryPrice(secondary_prices_of(r)?),
        _ => return None,
    };
    let &(_, object, attribute) = activated(code).first()?;
    let activation = activation_of(set_value(r, object, attribute)?)?;
    let (specs, data): (Vec<_>, Vec<_>) = steps(&update, &activation).into_iter().unzip();
    (specs == r.specs && data == r.data).then(|| Reading::Tariff {
        update: Box::new(update),
        activation,
    })
}

/// The 8F66 outcomes of a tariff update a meter held and has taken up: one per activation
/// time the command set, in its order.
pub fn tariff_outcomes(code: u16, counter: u64) -> Vec<FutureDatedOutcome> {
    activated(code)
        .iter()
        .map(|&(class_id, object, attribute)| FutureDatedOutcome {
            message_code: code,
            originator_counter: counter,
            class_id,
            instance: crate::protocol::dlms::Obis(object),
            attribute,
        })
        .collect()
}
