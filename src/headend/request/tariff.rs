//! 1.1 Update Import Tariff and 1.2 Update Price to an electricity meter, read from DUIS into
//! a [`TariffUpdate`]: the switching table, special days, block thresholds and prices of the
//! primary element, or the secondary element's. Lists DUIS numbers with `index` attributes
//! (TOU prices, block prices, thresholds, a week's days) are placed by them, not by their order;
//! a TOU price or block price not given is 0. Each day, week and season must refer to profiles
//! the request defines.

use super::esme::{child, wildcard_date};
use super::fields::{cosem_time, number, one_of};
use super::{Element, Request, RequestError};
use crate::protocol::gbcs::payload::{
    BLOCK_TARIFFS, DayProfile, PRIMARY_TOU_RATES, PrimaryPrices, SECONDARY_TOU_RATES, Season,
    SecondaryPrices, SwitchingTable, TariffAction, TariffUpdate, WeekProfile,
};

fn fail(reason: String) -> RequestError {
    RequestError { line: 0, reason }
}

/// The children of `e` named `name`, each with its `index` (in `range`), in index order; two
/// with the same index are refused.
pub(super) fn indexed<'a>(
    e: &'a Element,
    name: &str,
    range: std::ops::RangeInclusive<u8>,
) -> Result<Vec<(u8, &'a Element)>, RequestError> {
    let mut items = Vec::new();
    for c in e.children.iter().filter(|c| c.name == name) {
        items.push((c.index_in(range.clone())?, c));
    }
    items.sort_by_key(|&(i, _)| i);
    if let Some(w) = items.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(fail(format!(
            "sr:{} has two sr:{name} with index {}",
            e.name, w[0].0
        )));
    }
    Ok(items)
}

fn text<'a>(e: &'a Element, name: &str) -> Result<&'a str, RequestError> {
    Ok(child(e, name)?.text.trim())
}

fn children<'a>(e: &'a Element, name: &'a str) -> impl Iterator<Item = &'a Element> {
    e.children.iter().filter(move |c| c.name == name)
}

/// A switching table (`sr:SwitchingTable`) and its special days (`sr:SpecialDays`);
/// `secondary`: the secondary element's, whose TOU actions are 1 to 4 and which has no block
/// actions.
fn switching_table(
    table: &Element,
    special: &Element,
    secondary: bool,
) -> Result<SwitchingTable, RequestError> {
    let mut days = Vec::new();
    for profile in children(child(table, "DayProfiles")?, "DayProfile") {
        let id = number("DayName", text(profile, "DayName")?, 1..=16)?;
        if days.iter().any(|d: &DayProfile| d.id == id) {
            return Err(fail(format!("sr:DayName {id} is defined twice")));
        }
        let mut switches = Vec::new();
        for schedule in children(profile, "ProfileSchedule") {
            let time = cosem_time("StartTime", text(schedule, "StartTime")?).map_err(fail)?;
            let tou_rates = if secondary {
                SECONDARY_TOU_RATES
            } else {
                PRIMARY_TOU_RATES
            } as u8;
            let action = match (schedule.find("TOUTariffAction"), secondary) {
                (Some(a), _) => {
                    TariffAction::Tou(number("TOUTariffAction", a.text.trim(), 1..=tou_rates)?)
                }
                (None, false) => TariffAction::Block(number(
                    "BlockTariffAction",
                    text(schedule, "BlockTariffAction")?,
                    1..=BLOCK_TARIFFS as u8,
                )?),
                (None, true) => {
                    return Err(fail("sr:ProfileSchedule needs sr:TOUTariffAction".into()));
                }
            };
            switches.push((time, action));
        }
        if switches.is_empty() || switches.len() > 48 {
            return Err(fail(format!(
                "sr:DayProfile {id} has {} sr:ProfileSchedule (1 to 48)",
                switches.len()
            )));
        }
        days.push(DayProfile { id, switches });
    }
    let day_defined = |id: u8| -> Result<u8, RequestError> {
        match days.iter().any(|d| d.id == id) {
            true => Ok(id),
            false => Err(fail(format!(
                "sr:ReferencedDayName {id} names no sr:DayProfile"
            ))),
        }
    };
    let mut weeks = Vec::new();
    for profile in children(child(table, "WeekProfiles")?, "WeekProfile") {
        let id = number("WeekName", text(profile, "WeekName")?, 1..=4)?;
        let named = indexed(profile, "ReferencedDayName", 1..=7)?;
        if named.len() != 7 {
            return Err(fail(format!(
                "sr:WeekProfile {id} needs seven sr:ReferencedDayName, index 1 to 7"
            )));
        }
        let mut week = [0; 7];
        for (day, (_, e)) in week.iter_mut().zip(named) {
            *day = day_defined(number("ReferencedDayName", e.text.trim(), 1..=16)?)?;
        }
        weeks.push(WeekProfile { id, days: week });
    }
    let mut seasons = Vec::new();
    for season in children(child(table, "Seasons")?, "Season") {
        let name = text(season, "SeasonName")?;
        if name.len() > 8 || !name.is_ascii() {
            return Err(fail(format!(
                "sr:SeasonName {name:?} is not up to eight characters"
            )));
        }
        let week = number(
            "ReferencedWeekName",
            text(season, "ReferencedWeekName")?,
            1..=4,
        )?;
        if !weeks.iter().any(|w| w.id == week) {
            return Err(fail(format!(
                "sr:ReferencedWeekName {week} names no sr:WeekProfile"
            )));
        }
        seasons.push(Season {
            name: name.to_string(),
            start: wildcard_date(child(season, "SeasonStartDate")?)?,
            week,
        });
    }
    let mut special_days = Vec::new();
    for day in children(special, "SpecialDay") {
        let id = number("ReferencedDayName", text(day, "ReferencedDayName")?, 1..=16)?;
        special_days.push((wildcard_date(child(day, "Date")?)?, day_defined(id)?));
    }
    if special_days.len() > 50 {
        return Err(fail("sr:SpecialDays has more than 50 sr:SpecialDay".into()));
    }
    Ok(SwitchingTable {
        seasons,
        weeks,
        days,
        special_days,
    })
}

fn price(e: &Element) -> Result<i16, RequestError> {
    number(&e.name, e.text.trim(), i16::MIN..=i16::MAX)
}

fn scale(e: &Element, name: &str) -> Result<i8, RequestError> {
    number(name, text(e, name)?, i8::MIN..=i8::MAX)
}

/// The primary element's prices (`sr:ElectricityPriceElements`): a TOU, block or hybrid
/// tariff.
fn primary_prices(e: &Element) -> Result<PrimaryPrices, RequestError> {
    let mut tou = vec![0; PRIMARY_TOU_RATES];
    let mut blocks = vec![[0; 4]; BLOCK_TARIFFS];
    let tariff = ["TOUTariff", "BlockTariff", "HybridTariff"]
        .iter()
        .find_map(|name| e.children.iter().find(|c| c.name == *name))
        .ok_or_else(|| {
            fail(
                "sr:ElectricityPriceElements needs sr:TOUTariff, sr:BlockTariff or sr:HybridTariff"
                    .into(),
            )
        })?;
    for (i, p) in indexed(tariff, "TOUPrice", 1..=PRIMARY_TOU_RATES as u8)? {
        tou[usize::from(i) - 1] = price(p)?;
    }
    for (t, prices) in indexed(tariff, "BlockPrices", 1..=BLOCK_TARIFFS as u8)? {
        for (b, p) in indexed(prices, "BlockPrice", 1..=4)? {
            blocks[usize::from(t) - 1][usize::from(b) - 1] = price(p)?;
        }
    }
    Ok(PrimaryPrices {
        standing_charge: price(child(e, "StandingCharge")?)?,
        standing_charge_scale: scale(e, "StandingChargeScale")?,
        price_scale: scale(e, "PriceScale")?,
        tou,
        blocks,
    })
}

/// The secondary element's prices (`sr:PriceElements`): the price scale and up to four TOU
/// prices.
fn secondary_prices(e: &Element) -> Result<SecondaryPrices, RequestError> {
    let mut tou = [0; SECONDARY_TOU_RATES];
    let given = indexed(e, "ElectricityPriceElement", 1..=SECONDARY_TOU_RATES as u8)?;
    if given.is_empty() {
        return Err(fail(
            "sr:PriceElements needs sr:ElectricityPriceElement".into(),
        ));
    }
    for (i, p) in given {
        tou[usize::from(i) - 1] = price(p)?;
    }
    Ok(SecondaryPrices {
        price_scale: scale(e, "PriceScale")?,
        tou,
    })
}

impl Request {
    /// A 1.1.1, 1.1.2, 1.2.1 or 1.2.2 to an electricity meter; `None` for another service or
    /// a gas tariff.
    pub(super) fn tariff_update(&self) -> Result<Option<TariffUpdate>, RequestError> {
        let body = &self.body;
        let prices = || child(body, "PriceElements");
        Ok(Some(match self.service.to_string().as_str() {
            "1.1.1" => {
                let Some(elements) = body.find("ElecTariffElements") else {
                    return Ok(None);
                };
                let gbp = one_of(
                    "CurrencyUnits",
                    text(elements, "CurrencyUnits")?,
                    &[("GBP", true), ("ECB", false)],
                )?;
                let switching = switching_table(
                    child(elements, "SwitchingTable")?,
                    child(elements, "SpecialDays")?,
                    false,
                )?;
                let matrix = child(elements, "ThresholdMatrix")?;
                let sets = indexed(matrix, "Thresholds", 1..=BLOCK_TARIFFS as u8)?;
                if sets.len() != BLOCK_TARIFFS {
                    return Err(fail(
                        "sr:ThresholdMatrix needs eight sr:Thresholds, index 1 to 8".into(),
                    ));
                }
                let mut thresholds = Vec::new();
                for (_, set) in sets {
                    let mut values = Vec::new();
                    for (_, t) in indexed(set, "BlockThreshold", 1..=3)? {
                        values.push(number("BlockThreshold", t.text.trim(), 0..=u32::MAX)?);
                    }
                    thresholds.push(values);
                }
                TariffUpdate::PrimaryTariff {
                    gbp,
                    switching,
                    thresholds,
                    prices: primary_prices(child(prices()?, "ElectricityPriceElements")?)?,
                }
            }
            "1.2.1" => match prices()?.find("ElectricityPriceElements") {
                Some(e) => TariffUpdate::PrimaryPrice(primary_prices(e)?),
                None => return Ok(None),
            },
            "1.1.2" => TariffUpdate::SecondaryTariff {
                switching: switching_table(
                    child(body, "SwitchingTable")?,
                    child(body, "SpecialDays")?,
                    true,
                )?,
                prices: secondary_prices(prices()?)?,
            },
            "1.2.2" => TariffUpdate::SecondaryPrice(secondary_prices(prices()?)?),
            _ => return Ok(None),
        }))
    }
}
