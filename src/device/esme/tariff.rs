//! The tariffs an electricity meter holds (1.1 Update Import Tariff, 1.2 Update Price): the
//! primary element's switching table, special days, block thresholds, currency and prices, and
//! the secondary element's switching table, special days and prices, each as the last update
//! taken up left it, and an update of each element held for its activation time.
//!
//! dccsim's meters keep them to answer 4.11.1 and 4.11.2 with, say when a held one is taken
//! up, and snapshot their registers when one is (the change of mode or tariff billing data
//! log, 4.4.2); what they charge for energy stays the meter's single rate
//! ([`crate::device::Tariff`]).

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
        }
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
            }
            TariffUpdate::PrimaryPrice(prices) => self.primary_prices = prices,
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
        let extra = self.extra_mut();
        let h = slot(secondary)(extra).take()?;
        extra.tariffs.get_or_insert_default().apply(&h.update);
        extra.billing_snapshot(at);
        let code = h.update.code();
        self.events
            .command(at, code, true, "tariff updated (future-dated)");
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
