//! The tariffs an electricity meter holds (1.1 Update Import Tariff, 1.2 Update Price): the
//! primary element's switching table, special days, block thresholds, currency and prices, and
//! the secondary element's switching table, special days and prices, each as the last update
//! taken up left it, and an update of each element held for its activation time.
//!
//! dccsim's meters keep them to answer with and to say when a held one is taken up; what
//! they charge for energy stays the meter's single rate ([`crate::device::Tariff`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Esme, Extra};
use crate::model::Eui64;
use crate::protocol::gbcs::payload::{
    self, Activation, PrimaryPrices, SecondaryPrices, SwitchingTable, TariffUpdate,
};

/// The tariffs updates have set; each part `None` until one sets it (the meter's own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariffs {
    /// The primary element's currency (GBP or not), switching table and block thresholds:
    /// the last 1.1.1's.
    pub primary: Option<(bool, SwitchingTable, Vec<Vec<u32>>)>,
    /// The primary element's prices: the last 1.1.1's or 1.2.1's.
    pub primary_prices: Option<PrimaryPrices>,
    /// The secondary element's switching table: the last 1.1.2's.
    pub secondary: Option<SwitchingTable>,
    /// The secondary element's prices: the last 1.1.2's or 1.2.2's.
    pub secondary_prices: Option<SecondaryPrices>,
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
                self.primary = Some((gbp, switching, thresholds));
                self.primary_prices = Some(prices);
            }
            TariffUpdate::PrimaryPrice(prices) => self.primary_prices = Some(prices),
            TariffUpdate::SecondaryTariff { switching, prices } => {
                self.secondary = Some(switching);
                self.secondary_prices = Some(prices);
            }
            TariffUpdate::SecondaryPrice(prices) => self.secondary_prices = Some(prices),
        }
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
    /// The tariffs the meter has taken up.
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
            e.tariffs.get_or_insert_default().apply(update)
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
