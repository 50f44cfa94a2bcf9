//! 1.1.1 Update Import Tariff and 1.2.1 Update Price to a gas meter (GCS01a, GCS01b), read from
//! DUIS into the ZigBee commands the RTDS carries them as, and 4.11.1 Read Tariff (GCS21f).
//!
//! A gas tariff is time-of-use (up to four tiers, each day profile naming its tier) or block
//! (up to three thresholds and four block prices, every day profile `BlockTariff`). 1.1.1
//! publishes the calendar (day and week profiles, seasons), the special days, the tariff
//! information, the block thresholds of a block tariff and the prices; 1.2.1 the tariff
//! information and the prices. Each is future-dated by the meter to the request's
//! `ExecutionDateTime`, or cancelled. Prices and the standing charge are in thousandths of a
//! penny (cent), the unit DUIS gives them in. The request's counter names the calendar and the
//! tariff, as issuer event, calendar and tariff ids.

use super::esme::child;
use super::fields::{cosem_time, number, one_of};
use super::tariff::indexed;
use super::{Element, Request, RequestError};
use crate::device::{GCS01A, GCS01B, GCS04, GCS05, GCS21B, GCS21F};
use crate::protocol::gbcs::gbz::{
    self, BLOCK_TARIFF, CANCEL_CALENDAR, CURRENT_CALENDAR, FRIENDLY_CREDIT_CALENDAR, GasPayload,
    Switch, TOU_TARIFF, TariffPayload, ZclDate,
};
use crate::protocol::gbcs::payload::{Activation, to_gbcs_seconds};

/// ISO 4217 numbers: DUIS's `GBP` and `ECB` (the euro).
pub const POUNDS: u16 = 826;
pub const EUROS: u16 = 978;
/// Prices to five decimal places of the currency unit (the high nibble).
pub const PRICE_DIGITS: u8 = 0x50;
/// Block thresholds in kWh to three decimal places: multiplier 1, divisor 1000.
pub const THRESHOLD_DIVISOR: u32 = 1000;
/// A gas tariff's unit of measure: kWh.
pub const KWH: u8 = 0;

fn fail(reason: String) -> RequestError {
    RequestError { line: 0, reason }
}

/// A `GasDateWithWildcards` as a ZCL date.
fn gas_date(date: &Element) -> Result<ZclDate, RequestError> {
    // Each part specified in `range`, written less `base` (a year less 1900), or 0xFF for any.
    let part =
        |name: &str, range: std::ops::RangeInclusive<u16>, base: u16| match child(date, name)?
            .children
            .first()
        {
            Some(c) if c.name.starts_with("Specified") => {
                number(&c.name, c.text.trim(), range).map(|v| (v - base) as u8)
            }
            _ => Ok(0xFF),
        };
    Ok([
        part("GasYearWithWildcards", 2014..=2154, 1900)?,
        part("GasMonthWithWildcards", 1..=12, 0)?,
        part("GasDayOfMonthWithWildcards", 1..=31, 0)?,
        part("GasDayOfWeekWithWildcards", 1..=7, 0)?,
    ])
}

/// What `sr:GasPriceElements` gives.
struct Prices {
    currency: u16,
    standing_charge: u32,
    /// (tier or block id, price): TOU tiers 1 to 4, or blocks 0 to 3.
    prices: Vec<(u8, u32)>,
    block: bool,
    /// 1.2.1's `NumberOfThresholds` of a block tariff.
    thresholds: u8,
}

fn prices(e: &Element) -> Result<Prices, RequestError> {
    let currency = one_of(
        "CurrencyUnits",
        child(e, "CurrencyUnits")?.text.trim(),
        &[("GBP", POUNDS), ("ECB", EUROS)],
    )?;
    let standing_charge = number(
        "StandingCharge",
        child(e, "StandingCharge")?.text.trim(),
        0..=u32::MAX,
    )?;
    let price = |p: &Element| number(&p.name, p.text.trim(), 0..=u32::MAX);
    let (mut list, block, mut thresholds) = (Vec::new(), e.find("BlockTariff").is_some(), 0);
    if let Some(tou) = e.children.iter().find(|c| c.name == "TOUTariff") {
        for (i, p) in indexed(tou, "TOUPrice", 1..=4)? {
            list.push((i, price(p)?));
        }
    } else {
        let blocks = child(e, "BlockTariff")?;
        for (i, p) in indexed(blocks, "BlockPrice", 1..=4)? {
            list.push((i - 1, price(p)?));
        }
        thresholds = number(
            "NumberOfThresholds",
            child(blocks, "NumberOfThresholds")?.text.trim(),
            1..=3,
        )?;
    }
    if list.is_empty() {
        return Err(fail("sr:GasPriceElements gives no price".into()));
    }
    Ok(Prices {
        currency,
        standing_charge,
        prices: list,
        block,
        thresholds,
    })
}

impl Request {
    /// The use case and ZigBee commands of a 1.1.1 or 1.2.1 to a gas meter, or of a 4.11.1;
    /// `None` for another service, or an electricity tariff.
    pub(super) fn gas_tariff(&self) -> Result<Option<(u16, Vec<GasPayload>)>, RequestError> {
        let service = self.service.to_string();
        if service == "4.11.1" {
            return Ok(Some((GCS21F, read_tariff())));
        }
        if service == "2.1" {
            return self.gas_prepay_configuration();
        }
        if service == "4.13" {
            return Ok(Some((GCS21B, read_prepay_configuration())));
        }
        if service == "2.3" {
            return self.gas_debt();
        }
        if service != "1.1.1" && service != "1.2.1" {
            return Ok(None);
        }
        let Some(e) = self
            .body
            .find("PriceElements")
            .and_then(|p| p.find("GasPriceElements"))
        else {
            return Ok(None);
        };
        let prices = prices(e)?;
        let id = self.id.counter as u32;
        let activation = self.activation()?;
        let start = |cancel: u32| match activation {
            Activation::Now => Ok(0),
            Activation::Cancel => Ok(cancel),
            Activation::At(t) => to_gbcs_seconds(t)
                .filter(|s| *s < CANCEL_CALENDAR)
                .ok_or_else(|| {
                    fail(format!(
                        "sr:ExecutionDateTime {t} is past the gas meter's clock"
                    ))
                }),
        };
        let (calendar_start, tariff_start) = (start(CANCEL_CALENDAR)?, start(gbz::CANCEL)?);
        let (mut out, mut thresholds, mut block_thresholds) = (Vec::new(), prices.thresholds, None);
        if service == "1.1.1" {
            let elements = child(&self.body, "GasTariffElements")?;
            out = calendar(elements, prices.block, id, calendar_start)?;
            // A TOU tariff's threshold matrix is there for the schema only.
            if prices.block {
                let matrix = child(elements, "ThresholdMatrix")?;
                let mut values = Vec::new();
                for (_, t) in indexed(matrix, "BlockThreshold", 1..=3)? {
                    values.push(number(
                        "BlockThreshold",
                        t.text.trim(),
                        0..=(1u64 << 48) - 1,
                    )?);
                }
                if values.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(fail("sr:BlockThreshold values must rise".into()));
                }
                thresholds = values.len() as u8;
                block_thresholds = Some(TariffPayload::BlockThresholds {
                    provider: 0,
                    event: id,
                    start: calendar_start,
                    tariff: id,
                    command_index: 0,
                    commands: 1,
                    // The same thresholds for every tier.
                    control: 1,
                    thresholds: vec![(0, values)],
                });
            }
        }
        let information = information(&prices, id, tariff_start, thresholds);
        out.push(GasPayload::Tariff(information));
        out.extend(block_thresholds.map(GasPayload::Tariff));
        out.push(matrix(&prices, id, calendar_start));
        let code = if service == "1.1.1" { GCS01A } else { GCS01B };
        Ok(Some((code, out)))
    }
}

impl Request {
    /// 2.3 to a gas meter (GCS04): the two time debts, each recovered at a rate per hour or
    /// per day, and the payment debt, recovered as hundredths of a percent of each top-up —
    /// each added to what the meter holds (an incremental ChangeDebt), as the RTDS command
    /// sends them; `None` for an electricity meter's.
    fn gas_debt(&self) -> Result<Option<(u16, Vec<GasPayload>)>, RequestError> {
        let e = &self.body;
        if e.find("GasDebtRecovery1").is_none() {
            return Ok(None);
        }
        let value = |name: &str| number(name, child(e, name)?.text.trim(), 0..=i32::MAX as u32);
        let recovery = |name: &str| -> Result<(u8, u32), RequestError> {
            let r = child(e, name)?;
            let period = one_of(
                "DebtRecoveryRatePeriod",
                child(r, "DebtRecoveryRatePeriod")?.text.trim(),
                &[("HOURLY", gbz::PER_HOUR), ("DAILY", gbz::PER_DAY)],
            )?;
            let rate = number(
                "DebtRecoveryRate",
                child(r, "DebtRecoveryRate")?.text.trim(),
                0..=i32::MAX as u32,
            )?;
            Ok((period, rate))
        };
        let debt = |amount, method, amount_type, (frequency, recovery_amount), percentage| {
            GasPayload::ChangeDebt {
                event: self.id.counter as u32,
                label: Vec::new(),
                amount,
                method,
                amount_type,
                start: 0,
                collection_time: 0,
                frequency,
                recovery_amount,
                percentage,
            }
        };
        let percentage = number(
            "DebtRecoveryPerPayment",
            child(e, "DebtRecoveryPerPayment")?.text.trim(),
            0..=10_000,
        )?;
        Ok(Some((
            GCS04,
            vec![
                debt(
                    value("TimeDebtRegister1")?,
                    gbz::TIME_BASED,
                    gbz::DEBT_1_INCREMENTAL,
                    recovery("GasDebtRecovery1")?,
                    0,
                ),
                debt(
                    value("TimeDebtRegister2")?,
                    gbz::TIME_BASED,
                    gbz::DEBT_2_INCREMENTAL,
                    recovery("GasDebtRecovery2")?,
                    0,
                ),
                // The frequency unused, daily as the RTDS writes it.
                debt(
                    value("PaymentDebtRegister")?,
                    gbz::PAYMENT_BASED,
                    gbz::DEBT_3_INCREMENTAL,
                    (gbz::PER_DAY, 0),
                    percentage,
                ),
            ],
        )))
    }

    /// 2.1 to a gas meter (GCS05): the emergency credit limit and threshold, the debt
    /// recovery cap, the low credit warning level, the maximum credit and credit per top-up,
    /// and the non-disablement (friendly credit) calendar; `None` for an electricity meter's.
    fn gas_prepay_configuration(&self) -> Result<Option<(u16, Vec<GasPayload>)>, RequestError> {
        let Some(e) = self.body.find("UpdatePrepayConfigGas") else {
            return Ok(None);
        };
        let value = |name: &str| number(name, child(e, name)?.text.trim(), 0..=u32::MAX);
        let id = self.id.counter as u32;
        // Each starts at once (0), at the `ExecutionDateTime`, or is cancelled: the calendar's
        // cancelling start is 0xFFFFFFFE, the others' 0xFFFFFFFF.
        let (start, calendar_start) = match self.activation()? {
            Activation::Now => (0, 0),
            Activation::Cancel => (gbz::CANCEL, CANCEL_CALENDAR),
            Activation::At(t) => {
                let at = to_gbcs_seconds(t)
                    .filter(|s| *s < CANCEL_CALENDAR)
                    .ok_or_else(|| {
                        fail(format!(
                            "sr:ExecutionDateTime {t} is past the gas meter's clock"
                        ))
                    })?;
                (at, at)
            }
        };
        let mut out = vec![
            GasPayload::EmergencyCreditSetup {
                event: id,
                start,
                limit: value("EmergencyCreditLimit")?,
                threshold: value("EmergencyCreditThreshold")?,
            },
            GasPayload::OverallDebtCap {
                provider: 0,
                event: id,
                implement_at: start,
                cap: number(
                    "DebtRecoveryRateCap",
                    child(e, "DebtRecoveryRateCap")?.text.trim(),
                    0..=i32::MAX as u32,
                )?,
            },
            GasPayload::LowCreditWarning {
                level: value("LowCreditThreshold")?,
                from: Some(start),
            },
            GasPayload::MaximumCredit {
                provider: 0,
                event: id,
                implement_at: start,
                max_credit: value("MaxMeterBalance")?,
                max_per_top_up: value("MaxCreditThreshold")?,
            },
        ];
        let calendar = child(e, "GasNonDisablementCalendar")?;
        out.extend(non_disablement_calendar(calendar, id, calendar_start)?);
        Ok(Some((GCS05, out)))
    }
}

/// PublishTariffInformation for `prices`.
fn information(prices: &Prices, id: u32, start: u32, thresholds: u8) -> TariffPayload {
    TariffPayload::TariffInformation {
        provider: 0,
        event: id,
        tariff: id,
        start,
        tariff_type: if prices.block {
            BLOCK_TARIFF
        } else {
            TOU_TARIFF
        },
        label: Vec::new(),
        tiers: if prices.block {
            0
        } else {
            prices.prices.len() as u8
        },
        block_thresholds: if prices.block { thresholds } else { 0 },
        unit: KWH,
        currency: prices.currency,
        trailing_digit: PRICE_DIGITS,
        standing_charge: prices.standing_charge,
        // Not a tariff of both tiers and blocks.
        tier_block_mode: 0xFF,
        block_multiplier: 1,
        block_divisor: THRESHOLD_DIVISOR,
    }
}

/// PublishPriceMatrix for `prices`: by tier (`control` 1) or by block.
fn matrix(prices: &Prices, id: u32, start: u32) -> GasPayload {
    GasPayload::Tariff(TariffPayload::PriceMatrix {
        provider: 0,
        event: id,
        start,
        tariff: id,
        command_index: 0,
        commands: 1,
        control: u8::from(!prices.block),
        prices: prices.prices.clone(),
    })
}

fn children<'a>(e: &'a Element, name: &'static str) -> impl Iterator<Item = &'a Element> {
    e.children.iter().filter(move |c| c.name == name)
}

/// A calendar as DUIS gives it: each day profile's switches (a tariff's: its tier from
/// midnight; a non-disablement calendar's: friendly credit on (1) or off (0) from each start
/// time), the week profiles, the seasons and the special days.
struct DuisCalendar {
    days: Vec<(u8, Vec<Switch>)>,
    weeks: Vec<(u8, [u8; 7])>,
    seasons: Vec<(ZclDate, u8)>,
    special: Vec<(ZclDate, u8)>,
}

impl DuisCalendar {
    /// The weeks (`sr:WeekProfiles`), seasons (`sr:Season` in `seasons`) and special days
    /// (`sr:SpecialDay` in `special`) of a calendar whose `days` are read: each must refer to
    /// profiles defined.
    fn read(
        days: Vec<(u8, Vec<Switch>)>,
        weeks: &Element,
        seasons: &Element,
        special: &Element,
    ) -> Result<DuisCalendar, RequestError> {
        let day_defined = |day: u8| {
            if days.iter().any(|(d, _)| *d == day) {
                Ok(day)
            } else {
                Err(fail(format!(
                    "sr:ReferencedDayName {day} is not a day profile"
                )))
            }
        };
        let mut week_list = Vec::new();
        for profile in children(weeks, "WeekProfile") {
            let week = number("WeekName", child(profile, "WeekName")?.text.trim(), 1..=2)?;
            if week_list.iter().any(|(w, _)| *w == week) {
                return Err(fail(format!("sr:WeekName {week} is defined twice")));
            }
            let refs = indexed(profile, "ReferencedDayName", 1..=7)?;
            if refs.len() != 7 {
                return Err(fail(format!(
                    "sr:WeekProfile {week} needs seven sr:ReferencedDayName, index 1 to 7"
                )));
            }
            let mut names = [0u8; 7];
            for (i, r) in refs {
                names[usize::from(i) - 1] =
                    day_defined(number("ReferencedDayName", r.text.trim(), 1..=4)?)?;
            }
            week_list.push((week, names));
        }
        let mut season_list = Vec::new();
        for season in children(seasons, "Season") {
            let week = number(
                "ReferencedWeekName",
                child(season, "ReferencedWeekName")?.text.trim(),
                1..=2,
            )?;
            if !week_list.iter().any(|(w, _)| *w == week) {
                return Err(fail(format!(
                    "sr:ReferencedWeekName {week} is not a sr:WeekProfile"
                )));
            }
            season_list.push((gas_date(child(season, "SeasonStartDate")?)?, week));
        }
        let mut special_list = Vec::new();
        for day in children(special, "SpecialDay") {
            let name = number(
                "ReferencedDayName",
                child(day, "ReferencedDayName")?.text.trim(),
                1..=4,
            )?;
            special_list.push((gas_date(child(day, "Date")?)?, day_defined(name)?));
        }
        Ok(DuisCalendar {
            days,
            weeks: week_list,
            seasons: season_list,
            special: special_list,
        })
    }

    /// PublishCalendar, a PublishDayProfile per day profile, a PublishWeekProfile per week,
    /// PublishSeasons and PublishSpecialDays, of `calendar_type` (0: a tariff's; 3: friendly
    /// credit), from `start`.
    fn publish(self, calendar_type: u8, id: u32, start: u32) -> Vec<GasPayload> {
        let mut out = vec![GasPayload::Tariff(TariffPayload::PublishCalendar {
            provider: 0,
            event: id,
            calendar: id,
            start,
            calendar_type,
            time_reference: 0,
            name: Vec::new(),
            seasons: self.seasons.len() as u8,
            weeks: self.weeks.len() as u8,
            days: self.days.len() as u8,
        })];
        for (day, switches) in self.days {
            out.push(GasPayload::Tariff(TariffPayload::PublishDayProfile {
                provider: 0,
                event: id,
                calendar: id,
                day,
                entries: switches.len() as u8,
                command_index: 0,
                commands: 1,
                calendar_type,
                switches,
            }));
        }
        for (week, days) in self.weeks {
            out.push(GasPayload::Tariff(TariffPayload::PublishWeekProfile {
                provider: 0,
                event: id,
                calendar: id,
                week,
                days,
            }));
        }
        out.push(GasPayload::Tariff(TariffPayload::PublishSeasons {
            provider: 0,
            event: id,
            calendar: id,
            command_index: 0,
            commands: 1,
            seasons: self.seasons,
        }));
        out.push(GasPayload::Tariff(TariffPayload::PublishSpecialDays {
            provider: 0,
            event: id,
            calendar: id,
            start,
            calendar_type,
            total: self.special.len() as u8,
            command_index: 0,
            commands: 1,
            days: self.special,
        }));
        out
    }
}

/// The calendar of `sr:GasTariffElements`, published: a block tariff's days are all
/// `BlockTariff`, a TOU tariff's none.
fn calendar(
    elements: &Element,
    block: bool,
    id: u32,
    start: u32,
) -> Result<Vec<GasPayload>, RequestError> {
    let table = child(elements, "SwitchingTable")?;
    let mut days = Vec::new();
    for profile in children(child(table, "DayProfiles")?, "DayProfile") {
        let day = number("DayName", child(profile, "DayName")?.text.trim(), 1..=4)?;
        if days.iter().any(|(d, _)| *d == day) {
            return Err(fail(format!("sr:DayName {day} is defined twice")));
        }
        let tier = match (profile.find("TOUTariffAction"), block) {
            (Some(a), false) => number("TOUTariffAction", a.text.trim(), 1..=4)?,
            (None, true) => 0,
            (Some(_), true) => {
                return Err(fail(format!(
                    "sr:DayProfile {day} has a sr:TOUTariffAction but the prices are a sr:BlockTariff"
                )));
            }
            (None, false) => {
                return Err(fail(format!(
                    "sr:DayProfile {day} has no sr:TOUTariffAction but the prices are a sr:TOUTariff"
                )));
            }
        };
        days.push((day, vec![Switch { minute: 0, tier }]));
    }
    let c = DuisCalendar::read(
        days,
        child(table, "WeekProfiles")?,
        child(table, "Seasons")?,
        child(elements, "SpecialDays")?,
    )?;
    Ok(c.publish(0, id, start))
}

/// A `sr:GasNonDisablementCalendar`: when friendly credit is on (`START`) and off (`STOP`)
/// each day, as a calendar of type 3, each day's switches in time order.
fn non_disablement_calendar(
    e: &Element,
    id: u32,
    start: u32,
) -> Result<Vec<GasPayload>, RequestError> {
    let mut days = Vec::new();
    for profile in children(child(e, "DayProfiles")?, "GasNonDisablementDayProfile") {
        let day = number(
            "GasDayName",
            child(profile, "GasDayName")?.text.trim(),
            1..=4,
        )?;
        if days.iter().any(|(d, _)| *d == day) {
            return Err(fail(format!("sr:GasDayName {day} is defined twice")));
        }
        let mut switches = Vec::new();
        for action in children(profile, "TimeStartAction") {
            let time =
                cosem_time("StartTime", child(action, "StartTime")?.text.trim()).map_err(fail)?;
            let on = one_of(
                "NonDisablementAction",
                child(action, "NonDisablementAction")?.text.trim(),
                &[("START", 1), ("STOP", 0)],
            )?;
            switches.push(Switch {
                minute: u16::from(time[0]) * 60 + u16::from(time[1]),
                tier: on,
            });
        }
        if switches.windows(2).any(|w| w[0].minute >= w[1].minute) {
            return Err(fail(format!(
                "sr:GasNonDisablementDayProfile {day}: its sr:StartTime values must rise"
            )));
        }
        days.push((day, switches));
    }
    let c = DuisCalendar::read(
        days,
        child(e, "WeekProfiles")?,
        child(e, "SeasonProfiles")?,
        child(e, "SpecialDays")?,
    )?;
    Ok(c.publish(FRIENDLY_CREDIT_CALENDAR, id, start))
}

/// The prepayment configuration's attributes
/// ([`PREPAY_CONFIGURATION_READ`](crate::protocol::gbcs::gas_settings::PREPAY_CONFIGURATION_READ)),
/// then the friendly credit calendar, as the RTDS command asks (naming the calendar
/// 0xFFFFFFFE, as it does).
fn read_prepay_configuration() -> Vec<GasPayload> {
    use crate::protocol::gbcs::gas_settings::PREPAY_CONFIGURATION_READ;
    let ids = |i: usize| {
        PREPAY_CONFIGURATION_READ[i]
            .settings
            .iter()
            .map(|s| s.id)
            .collect()
    };
    let mut out = vec![
        GasPayload::ReadPrepaymentAttributes { attributes: ids(0) },
        GasPayload::ReadPriceAttributes { attributes: ids(1) },
    ];
    out.extend(calendar_read(CANCEL_CALENDAR, FRIENDLY_CREDIT_CALENDAR));
    out
}

/// The price cluster's tariff attributes
/// [`TARIFF_READ`](crate::protocol::gbcs::gas_settings::TARIFF_READ) lists, then the current
/// calendar and the current price, as the RTDS command asks.
fn read_tariff() -> Vec<GasPayload> {
    use crate::protocol::gbcs::gas_settings::TARIFF_ATTRIBUTES;
    let mut out = vec![GasPayload::ReadPriceAttributes {
        attributes: TARIFF_ATTRIBUTES.iter().map(|s| s.id).collect(),
    }];
    out.extend(calendar_read(CURRENT_CALENDAR, 0));
    out.push(GasPayload::Tariff(TariffPayload::GetCurrentPrice {
        options: 0,
    }));
    out
}

/// A calendar's day profiles, week profiles, seasons and special days (of `calendar_type`),
/// all of each.
fn calendar_read(calendar: u32, calendar_type: u8) -> [GasPayload; 4] {
    [
        TariffPayload::GetDayProfiles {
            provider: 0,
            calendar,
            start_day: 1,
            days: 0,
        },
        TariffPayload::GetWeekProfiles {
            provider: 0,
            calendar,
            start_week: 1,
            weeks: 0,
        },
        TariffPayload::GetSeasons {
            provider: 0,
            calendar,
        },
        TariffPayload::GetSpecialDays {
            start: 0,
            events: 0,
            calendar_type,
            provider: 0,
            calendar,
        },
    ]
    .map(GasPayload::Tariff)
}
