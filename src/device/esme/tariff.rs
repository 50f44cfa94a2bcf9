//! The tariffs an electricity meter holds (1.1 Update Import Tariff, 1.2 Update Price): the
//! primary element's switching table, special days, block thresholds, currency and prices, and
//! the secondary element's switching table, special days and prices, each as the last update
//! taken up left it, and an update of each element held for its activation time.
//!
//! dccsim's meters keep them to answer 4.11.1 and 4.11.2 with, say when a held one is taken
//! up, and snapshot their registers when one is (the change of mode or tariff billing data
//! log, 4.4.2). Until a primary element update is taken up a meter charges its installed
//! single rate ([`crate::device::Tariff`]); from then, the primary element's standing charge
//! and, each half-hour, the price its switching table has in force (a TOU rate, or a block
//! tariff's first block: the climb through blocks is not followed). The secondary element
//! (an export or second register's) charges nothing here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Esme, Extra};
use crate::model::Eui64;
use crate::protocol::dlms::Data;
use crate::protocol::gbcs::payload::{
    self, Activation, BLOCK_TARIFFS, DayProfile, PRIMARY_TOU_RATES, PrimaryPrices, Season,
    SecondaryPrices, SwitchingTable, TariffAction, TariffUpdate, WeekProfile,
};

/// The tariffs an electricity meter runs: the RTDS meter's until updates change them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariffs {
    /// The primary element's currency unit: pounds sterling, or (DUIS's `ECB`) euro.
    pub gbp: bool,
    /// The primary element's switching table and special days (1.1.1).
    pub primary: SwitchingTable,
    /// Each of the primary element's eight block tariffs' thresholds (1.1.1).
    pub thresholds: Vec<Vec<u32>>,
    /// The primary element's prices (1.1.1, 1.2.1).
    pub primary_prices: PrimaryPrices,
    /// The secondary element's switching table and special days (1.1.2).
    pub secondary: SwitchingTable,
    /// The secondary element's prices (1.1.2, 1.2.2).
    pub secondary_prices: SecondaryPrices,
    /// Whether a primary element update has been taken up: the meter then charges by it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub priced: bool,
}

impl Default for Tariffs {
    /// The RTDS meter's, as 4.11.1 and 4.11.2 read them (its secondary seasons start at
    /// midnight here, where the RTDS meter's start at odd times of day, a start DUIS cannot
    /// set).
    fn default() -> Self {
        const NONE: u32 = u32::MAX;
        let date = |year: u16, month: u8, day: u8| {
            let [hi, lo] = year.to_be_bytes();
            [hi, lo, month, day, 0xFF]
        };
        let day = |id, switches: &[(u8, TariffAction)]| DayProfile {
            id,
            switches: switches.iter().map(|&(h, a)| ([h, 0, 0, 0], a)).collect(),
        };
        let season = |name: &str, start, week| Season {
            name: name.into(),
            start,
            week,
        };
        let (tou, block) = (TariffAction::Tou, TariffAction::Block);
        let mut primary_tou = vec![0; PRIMARY_TOU_RATES];
        primary_tou[0] = 2121;
        let mut blocks = vec![[0; 4]; BLOCK_TARIFFS];
        blocks[0] = [2289, 3546, 0, 0];
        blocks[1] = [4002, 6969, 0, 0];
        let mut thresholds = vec![vec![NONE; 3]; BLOCK_TARIFFS];
        thresholds[0][0] = 10_000;
        thresholds[1][0] = 10_000;
        Tariffs {
            gbp: true,
            primary: SwitchingTable {
                seasons: vec![season("all", date(2015, 1, 1), 1)],
                weeks: vec![WeekProfile {
                    id: 1,
                    days: [1, 1, 1, 1, 1, 2, 2],
                }],
                days: vec![
                    day(1, &[(7, block(1)), (23, block(2))]),
                    day(2, &[(0, tou(1))]),
                ],
                special_days: vec![(date(2015, 5, 1), 2), (date(2015, 12, 25), 2)],
            },
            thresholds,
            primary_prices: PrimaryPrices {
                standing_charge: 20_000,
                standing_charge_scale: -5,
                price_scale: -5,
                tou: primary_tou,
                blocks,
            },
            secondary: SwitchingTable {
                seasons: vec![
                    season("spring", date(2015, 3, 20), 1),
                    season("summer", date(2015, 6, 21), 1),
                    season("fall", date(2015, 9, 23), 2),
                    season("winter", date(2015, 12, 21), 2),
                ],
                weeks: vec![
                    WeekProfile {
                        id: 1,
                        days: [1, 1, 1, 1, 1, 2, 2],
                    },
                    WeekProfile {
                        id: 2,
                        days: [3, 3, 3, 3, 3, 4, 4],
                    },
                ],
                days: (1..=4)
                    .map(|n| day(n, &[(0, tou(n)), (12, tou(n % 4 + 1))]))
                    .collect(),
                special_days: [(12, 25), (5, 1), (6, 10)]
                    .map(|(m, d)| ([0xFF, 0xFF, m, d, 0xFF], 4))
                    .to_vec(),
            },
            secondary_prices: SecondaryPrices {
                price_scale: -5,
                tou: [10_000, 11_000, 12_000, 13_000],
            },
            priced: false,
        }
    }
}

/// `value` × 10^`scale` of the currency unit, in thousandths of a penny (10^-5 of it).
fn milli_pence(value: i16, scale: i8) -> i64 {
    let exp = i32::from(scale) + 5;
    let value = i64::from(value);
    if exp >= 0 {
        value.saturating_mul(10i64.saturating_pow(exp as u32))
    } else {
        let d = 10i64.pow((-exp).min(18) as u32);
        (value + value.signum() * d / 2) / d
    }
}

/// Whether a COSEM date field `v` (0xFF: any) admits `actual`.
fn admits(v: u8, actual: u32) -> bool {
    v == 0xFF || u32::from(v) == actual
}

impl SwitchingTable {
    /// The week profile in force on `date`: the season that began last (a season without a
    /// year begins each year); the first season's before any.
    fn week_on(&self, date: chrono::NaiveDate) -> Option<u8> {
        use chrono::Datelike;
        let began = |d: &[u8; 5]| -> Option<chrono::NaiveDate> {
            let year = u16::from_be_bytes([d[0], d[1]]);
            let (month, day) = (u32::from(d[2]), u32::from(d[3]));
            if year != 0xFFFF {
                let start = chrono::NaiveDate::from_ymd_opt(i32::from(year), month, day)?;
                return (start <= date).then_some(start);
            }
            let this_year = chrono::NaiveDate::from_ymd_opt(date.year(), month, day)?;
            if this_year <= date {
                Some(this_year)
            } else {
                chrono::NaiveDate::from_ymd_opt(date.year() - 1, month, day)
            }
        };
        self.seasons
            .iter()
            .filter_map(|s| Some((began(&s.start)?, s.week)))
            .max_by_key(|(start, _)| *start)
            .map(|(_, week)| week)
            .or_else(|| self.seasons.first().map(|s| s.week))
    }

    /// The day profile's switches on `date`: a special day's, else its week's.
    pub fn switches_on(&self, date: chrono::NaiveDate) -> &[([u8; 4], TariffAction)] {
        use chrono::Datelike;
        let special = self.special_days.iter().find(|(d, _)| {
            let year = u16::from_be_bytes([d[0], d[1]]);
            (year == 0xFFFF || i32::from(year) == date.year())
                && admits(d[2], date.month())
                && admits(d[3], date.day())
                && admits(d[4], date.weekday().number_from_monday())
        });
        let day = match special {
            Some((_, day)) => Some(*day),
            None => self.week_on(date).and_then(|week| {
                let w = self.weeks.iter().find(|w| w.id == week)?;
                Some(w.days[date.weekday().num_days_from_monday() as usize])
            }),
        };
        day.and_then(|d| self.days.iter().find(|p| p.id == d))
            .map_or(&[][..], |p| p.switches.as_slice())
    }
}

/// The action a day's `switches` have in force at `minute` after midnight (the day's last
/// before the first switch: none runs from midnight here).
pub fn action_at(switches: &[([u8; 4], TariffAction)], minute: u16) -> Option<TariffAction> {
    let start = |t: &[u8; 4]| u16::from(t[0]) * 60 + u16::from(t[1]);
    switches
        .iter()
        .rev()
        .find(|(t, _)| start(t) <= minute)
        .or(switches.last())
        .map(|(_, a)| *a)
}

impl Tariffs {
    /// The primary element's price of `action`, thousandths of a penny per kWh: its TOU rate,
    /// or its block tariff's first block's; the first TOU rate's without one.
    pub fn price_of(&self, action: Option<TariffAction>) -> i64 {
        let p = &self.primary_prices;
        let value = match action {
            Some(TariffAction::Tou(n)) => p.tou.get(usize::from(n.max(1)) - 1).copied(),
            Some(TariffAction::Block(n)) => p.blocks.get(usize::from(n.max(1)) - 1).map(|b| b[0]),
            None => p.tou.first().copied(),
        };
        milli_pence(value.unwrap_or(0), p.price_scale)
    }

    /// The primary element's standing charge a day, thousandths of a penny.
    pub fn standing_charge(&self) -> i64 {
        let p = &self.primary_prices;
        milli_pence(p.standing_charge, p.standing_charge_scale)
    }
}

impl Tariffs {
    /// Takes up `update`: what it carries replaces what the meter had.
    pub fn apply(&mut self, update: &TariffUpdate) {
        match update.clone() {
            TariffUpdate::PrimaryTariff {
                gbp,
                switching,
                thresholds,
                prices,
            } => {
                (self.gbp, self.primary, self.thresholds) = (gbp, switching, thresholds);
                self.primary_prices = prices;
                self.priced = true;
            }
            TariffUpdate::PrimaryPrice(prices) => {
                self.primary_prices = prices;
                self.priced = true;
            }
            TariffUpdate::SecondaryTariff { switching, prices } => {
                self.secondary = switching;
                self.secondary_prices = prices;
            }
            TariffUpdate::SecondaryPrice(prices) => self.secondary_prices = prices,
        }
    }

    /// What 4.11.1 (ECS24) or 4.11.2 (ECS24b) reads, in its order; `None` for another code.
    pub fn read(&self, code: u16) -> Option<Vec<Data>> {
        let register = |value| {
            [
                Data::DoubleLongUnsigned(value),
                Data::Structure(vec![Data::Integer(-5), Data::Enum(254)]),
            ]
        };
        let mut values = Vec::new();
        match code {
            payload::ECS24 => {
                let [seasons, weeks, days, special] = payload::switching_data(&self.primary, false);
                values.extend(register(1));
                values.extend([seasons, weeks, days, special]);
                values.extend(self.thresholds.iter().map(|t| payload::thresholds_data(t)));
                values.push(Data::Boolean(if self.gbp { 0xFF } else { 0 }));
                values.extend(payload::primary_price_data(&self.primary_prices));
            }
            payload::ECS24B => {
                let [seasons, weeks, days, special] =
                    payload::switching_data(&self.secondary, true);
                values.push(payload::secondary_price_data(&self.secondary_prices));
                values.extend(register(10_000));
                values.extend([special, seasons, weeks, days]);
            }
            _ => return None,
        }
        Some(values)
    }
}

/// A tariff update held for later: when (GBCS seconds), and the command's originator (who is
/// told when it is taken up) and counter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct HeldTariff {
    pub(super) at: u32,
    pub(super) update: TariffUpdate,
    pub(super) from: Eui64,
    pub(super) counter: u64,
}

/// Whether `update` is to the secondary element.
fn secondary(update: &TariffUpdate) -> bool {
    matches!(
        update,
        TariffUpdate::SecondaryTariff { .. } | TariffUpdate::SecondaryPrice(_)
    )
}

/// The slot of the update held for `update`'s element: one per element, a later update (or a
/// cancellation) to the element replacing the one held.
fn slot(secondary: bool) -> impl Fn(&mut Extra) -> &mut Option<Box<HeldTariff>> {
    move |e| {
        if secondary {
            &mut e.pending_secondary_tariff
        } else {
            &mut e.pending_primary_tariff
        }
    }
}

impl Esme {
    /// The tariffs the meter charges by, once a primary element update has been taken up.
    pub(super) fn priced_tariffs(&self) -> Option<&Tariffs> {
        self.extra.as_ref()?.tariffs.as_deref().filter(|t| t.priced)
    }

    /// The tariffs the meter runs.
    pub fn tariffs(&self) -> Tariffs {
        self.extra
            .as_ref()
            .and_then(|e| e.tariffs.as_deref().cloned())
            .unwrap_or_default()
    }

    /// A 1.1 or 1.2: taken up now, held for its time, or cancelling the one its element
    /// holds; every step's result (the same for each).
    pub(super) fn update_tariff(
        &mut self,
        update: &TariffUpdate,
        activation: &Activation,
        (from, counter): (Eui64, u64),
        now: DateTime<Utc>,
    ) -> u8 {
        let code = update.code();
        // What was used until now is charged as it was: a primary update taken up now
        // changes the charges from here.
        if matches!(activation, Activation::Now) && !secondary(update) {
            self.balance = crate::device::strike(self.balance, now, |p| self.credit_milli_pence(p));
        }
        let held = |at| {
            Box::new(HeldTariff {
                at,
                update: update.clone(),
                from,
                counter,
            })
        };
        let command = super::act::Timed {
            code,
            activation,
            now,
            what: "tariff",
        };
        self.at_its_time(command, slot(secondary(update)), held, |e| {
            e.tariffs.get_or_insert_default().apply(update);
            e.billing_snapshot(now);
        })
    }

    /// Takes up the held update of the primary (or `secondary`) element: its originator and
    /// the 8F66 outcomes to tell it.
    pub(super) fn take_up_tariff(
        &mut self,
        secondary: bool,
        at: DateTime<Utc>,
    ) -> Option<(Eui64, Vec<payload::FutureDatedOutcome>)> {
        if !secondary {
            self.balance = crate::device::strike(self.balance, at, |p| self.credit_milli_pence(p));
        }
        let extra = self.extra_mut();
        let h = slot(secondary)(extra).take()?;
        extra.tariffs.get_or_insert_default().apply(&h.update);
        extra.billing_snapshot(at);
        let code = h.update.code();
        self.log_command(at, code, true, "tariff updated (future-dated)");
        Some((h.from, payload::tariff_outcomes(code, h.counter)))
    }

    /// When each element's held update is due (GBCS seconds), and whether it is the
    /// secondary's.
    pub(super) fn held_tariffs(&self) -> impl Iterator<Item = (u32, bool)> + '_ {
        let extra = self.extra.as_ref();
        let primary = extra.and_then(|e| e.pending_primary_tariff.as_ref());
        let secondary = extra.and_then(|e| e.pending_secondary_tariff.as_ref());
        [(primary, false), (secondary, true)]
            .into_iter()
            .filter_map(|(h, s)| h.map(|h| (h.at, s)))
    }
}
