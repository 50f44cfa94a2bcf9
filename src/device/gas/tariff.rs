//! A gas meter's tariff: the calendar (day and week profiles, seasons), special days, tariff
//! information, block thresholds and prices that 1.1.1 (GCS01a) and 1.2.1 (GCS01b) publish to
//! it, at once or held until their start time, and that 4.11.1 (GCS21f) reads back.
//!
//! Each publication — the calendar with its profiles and seasons, the special days, the tariff
//! information, the block thresholds, the price matrix — takes effect on its own start time and,
//! when future-dated, is answered by an 8F66 alert of its own, as the RTDS meter sends them. A
//! later publication of the same kind replaces one held; a cancelling start time withdraws it.
//! Once a command has published prices, the meter's charges (its balance and bill to date) use
//! the published standing charge and, each half-hour, the price of the tier then in force (a
//! block tariff's first block: the blocks a month's use would climb are not followed); what was
//! used before is charged as it was.

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::{GasMeter, Reply};
use crate::device::DeviceError;
use crate::model::Eui64;
use crate::protocol::gbcs::gas_settings::{GasSetting, PREPAY_CONFIGURATION_READ, TARIFF_READ};
use crate::protocol::gbcs::gbz::{
    self, CALENDAR_CLUSTER, CANCEL_CALENDAR, GasPayload, PRICE_CLUSTER, Switch, TariffPayload,
    ZclDate, zcl_header,
};
use crate::protocol::gbcs::payload::to_gbcs_seconds;

/// GCS01a: 1.1.1, the tariff.
pub const GCS01A: u16 = 0x006B;
/// GCS01b: 1.2.1, the prices.
pub const GCS01B: u16 = 0x00A3;
/// GCS21f: 4.11.1, the tariff read.
pub const GCS21F: u16 = 0x009F;
/// GCS05: 2.1, the prepayment configuration and the friendly credit calendar.
pub const GCS05: u16 = 0x006F;
/// GCS04: 2.3, the debts.
pub const GCS04: u16 = 0x006E;
/// GCS21b: 4.13, the prepayment configuration read.
pub const GCS21B: u16 = 0x00B5;

/// The calendar: which tier is in force when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Calendar {
    pub event: u32,
    pub id: u32,
    pub days: Vec<(u8, Vec<Switch>)>,
    pub weeks: Vec<(u8, [u8; 7])>,
    pub seasons: Vec<(ZclDate, u8)>,
}

/// The tariff information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Information {
    pub event: u32,
    pub tariff: u32,
    pub block: bool,
    pub tiers: u8,
    pub block_thresholds: u8,
    pub unit: u8,
    pub currency: u16,
    pub trailing_digit: u8,
    pub standing_charge: u32,
    pub block_multiplier: u32,
    pub block_divisor: u32,
}

/// The meter's tariff.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GasTariff {
    pub calendar: Calendar,
    pub special_days: Vec<(ZclDate, u8)>,
    pub information: Information,
    pub thresholds: [u64; 3],
    /// Tier 1 to 4's prices (a TOU tariff's).
    pub tier_prices: [u32; 4],
    /// Block 1 to 4's prices (a block tariff's).
    pub block_prices: [u32; 4],
}

impl Default for GasTariff {
    /// The RTDS gas meter's, as 4.11.1 reads it.
    fn default() -> Self {
        let day = |id: u8| {
            (
                id,
                vec![Switch {
                    minute: 0,
                    tier: id,
                }],
            )
        };
        GasTariff {
            calendar: Calendar {
                event: 0x1C37_4A80,
                id: 0x1C0F_BD80,
                days: (1..=4).map(day).collect(),
                weeks: vec![(1, [1, 1, 1, 1, 1, 2, 2]), (2, [3, 3, 3, 3, 3, 4, 4])],
                seasons: vec![([114, 9, 23, 0xFF], 1), ([115, 3, 20, 0xFF], 2)],
            },
            special_days: vec![
                ([114, 12, 25, 0xFF], 2),
                ([114, 12, 26, 0xFF], 2),
                ([115, 4, 3, 0xFF], 4),
            ],
            information: Information {
                event: 0x1C37_4A80,
                tariff: 1,
                block: false,
                tiers: 4,
                block_thresholds: 3,
                unit: 0,
                currency: 826,
                trailing_digit: 0x50,
                standing_charge: 22_465,
                block_multiplier: 1,
                block_divisor: 1000,
            },
            thresholds: [100_000, 200_000, 300_000],
            tier_prices: [9_600, 10_200, 10_750, 11_000],
            block_prices: [10_600, 11_200, 11_750, 12_000],
        }
    }
}

/// One publication: what it changes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Part {
    Calendar(Calendar),
    SpecialDays(Vec<(ZclDate, u8)>),
    Information(Information),
    Thresholds(Vec<u64>),
    /// By tier (ids 1 to 4) or by block (ids 0 to 3).
    Prices {
        by_tier: bool,
        prices: Vec<(u8, u32)>,
    },
    /// The friendly credit (non-disablement) calendar and its special days (2.1).
    FriendlyCalendar(Calendar),
    FriendlySpecialDays(Vec<(ZclDate, u8)>),
    /// The prepayment configuration's settings (2.1).
    EmergencyCredit {
        limit: u32,
        threshold: u32,
    },
    DebtCap(u32),
    LowCredit(u32),
    MaximumCredit {
        max_credit: u32,
        max_per_top_up: u32,
    },
}

impl Part {
    /// The ZCL header (cluster, frame control, command) of the command that published it,
    /// which its 8F66 alert names.
    fn header(&self) -> (u16, u8, u8) {
        let prepayment = |command| (gbz::PREPAYMENT_CLUSTER, 0x01, command);
        match self {
            Part::Calendar(_) => (CALENDAR_CLUSTER, 0x09, gbz::PUBLISH_CALENDAR),
            Part::SpecialDays(_) => (CALENDAR_CLUSTER, 0x09, gbz::PUBLISH_SPECIAL_DAYS),
            // The RTDS meter's alerts name the friendly credit calendar's commands with the
            // frame control of a command to the server (0x01), the tariff's as published.
            Part::FriendlyCalendar(_) => (CALENDAR_CLUSTER, 0x01, gbz::PUBLISH_CALENDAR),
            Part::FriendlySpecialDays(_) => (CALENDAR_CLUSTER, 0x01, gbz::PUBLISH_SPECIAL_DAYS),
            Part::Information(_) => (PRICE_CLUSTER, 0x09, gbz::PUBLISH_TARIFF_INFORMATION),
            Part::Thresholds(_) => (PRICE_CLUSTER, 0x09, gbz::PUBLISH_BLOCK_THRESHOLDS),
            Part::Prices { .. } => (PRICE_CLUSTER, 0x09, gbz::PUBLISH_PRICE_MATRIX),
            Part::EmergencyCredit { .. } => prepayment(gbz::EMERGENCY_CREDIT_SETUP),
            Part::DebtCap(_) => prepayment(gbz::SET_OVERALL_DEBT_CAP),
            Part::LowCredit(_) => prepayment(gbz::SET_LOW_CREDIT_WARNING_LEVEL),
            Part::MaximumCredit { .. } => prepayment(gbz::SET_MAXIMUM_CREDIT_LIMIT),
        }
    }

    /// Whether it changes what the meter charges.
    fn priced(&self) -> bool {
        matches!(self, Part::Prices { .. } | Part::Information(_))
    }
}

/// The prepayment configuration (2.1) and the friendly credit calendar: the RTDS meter's
/// (as 4.13 reads them) until a 2.1 sets others.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Prepay {
    pub emergency_limit: u32,
    pub emergency_threshold: u32,
    pub debt_cap: u32,
    pub low_credit: u32,
    pub max_credit: u32,
    pub max_per_top_up: u32,
    pub friendly: Calendar,
    pub friendly_special_days: Vec<(ZclDate, u8)>,
    /// Time debts 1 and 2, and the payment debt (3).
    #[serde(default = "rtds_debts")]
    pub debts: [GasDebt; 3],
}

/// The RTDS gas meter's debt recovery settings (4.13 reads them), owing nothing: debts 1 and
/// 2 recovered daily, 5.00 £ and 2.00 £ a day, debt 3 at 10.00 % of each top-up.
fn rtds_debts() -> [GasDebt; 3] {
    let time = |recovery_amount| GasDebt {
        amount: 0,
        method: gbz::TIME_BASED,
        frequency: gbz::PER_DAY,
        recovery_amount,
        percentage: 0,
    };
    [
        time(500_000),
        time(200_000),
        GasDebt {
            amount: 0,
            method: gbz::PAYMENT_BASED,
            frequency: gbz::PER_DAY,
            recovery_amount: 0,
            percentage: 1000,
        },
    ]
}

/// One of the meter's three debts (2.3): what is owed, and how it is recovered — by time
/// (`method` 0: `recovery_amount` each hour or day, `frequency` 0 or 1) or from top-ups (1:
/// `percentage` hundredths of a percent of each). dccsim's meters record their debts and report
/// them, but do not recover them from the balance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GasDebt {
    pub amount: u32,
    pub method: u8,
    pub frequency: u8,
    pub recovery_amount: u32,
    pub percentage: u16,
}

/// The RTDS gas meter's cut-off value: the balance, below nought, at which it would close the
/// valve.
const CUT_OFF: i64 = -5_000_000;

impl Prepay {
    /// The Prepayment or Price cluster attribute `id` of [`PREPAY_CONFIGURATION_READ`].
    fn attribute(&self, id: u16) -> gbz::ZclValue {
        use gbz::ZclValue::{Signed, Unsigned};
        match id {
            0x0006 => Signed(self.debt_cap.into()),
            0x0040 => Signed(CUT_OFF),
            0x0010 => Unsigned(self.emergency_limit.into()),
            0x0011 => Unsigned(self.emergency_threshold.into()),
            0x0031 => Unsigned(self.low_credit.into()),
            0x0021 => Unsigned(self.max_credit.into()),
            0x0022 => Unsigned(self.max_per_top_up.into()),
            // The price trailing digit: amounts to five decimal places of a pound.
            0x0617 => Unsigned(0x50),
            0x0216 => Unsigned(self.debts[0].frequency.into()),
            0x0217 => Unsigned(self.debts[0].recovery_amount.into()),
            0x0226 => Unsigned(self.debts[1].frequency.into()),
            0x0227 => Unsigned(self.debts[1].recovery_amount.into()),
            0x0239 => Unsigned(self.debts[2].percentage.into()),
            _ => Unsigned(0),
        }
    }
}

impl Default for Prepay {
    fn default() -> Self {
        let (on, off) = (1, 0);
        let day = |id: u8, from: u16, to: u16| {
            let s = |minute, tier| Switch { minute, tier };
            (id, vec![s(0, on), s(from, off), s(to, on)])
        };
        Prepay {
            emergency_limit: super::EMERGENCY_CREDIT.0,
            emergency_threshold: super::EMERGENCY_CREDIT.1,
            debt_cap: 1_000_000,
            low_credit: 500_000,
            max_credit: 10_000_000,
            max_per_top_up: 5_000_000,
            friendly: Calendar {
                event: 0x1C37_4A80,
                id: 0x1C0F_BD80,
                days: vec![
                    day(1, 480, 1080),
                    day(2, 420, 1020),
                    day(3, 480, 840),
                    day(4, 420, 780),
                ],
                weeks: vec![(1, [1, 1, 1, 1, 1, 3, 3]), (2, [2, 2, 2, 2, 2, 4, 4])],
                seasons: vec![([0xFF, 3, 29, 0xFF], 2), ([0xFF, 10, 26, 0xFF], 1)],
            },
            friendly_special_days: vec![
                ([115, 4, 5, 0xFF], 4),
                ([115, 8, 31, 0xFF], 4),
                ([0xFF, 12, 25, 0xFF], 3),
                ([0xFF, 12, 26, 0xFF], 3),
            ],
            debts: rtds_debts(),
        }
    }
}

/// A publication held until `at` (GBCS seconds) for the remote party `from`, whose command
/// of use case `code` had counter `counter`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeldPart {
    pub at: u32,
    pub from: Eui64,
    pub counter: u64,
    pub code: u16,
    pub part: Part,
}

/// The tariff and what is held for it (boxed in the meter: made when first needed).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TariffState {
    pub tariff: GasTariff,
    #[serde(default)]
    pub prepay: Prepay,
    pub held: Vec<HeldPart>,
    /// Whether prices have been published: the meter then charges by this tariff.
    #[serde(default)]
    pub priced: bool,
}

impl TariffState {
    fn apply(&mut self, part: Part) {
        let p = &mut self.prepay;
        match part {
            Part::FriendlyCalendar(c) => p.friendly = c,
            Part::FriendlySpecialDays(d) => p.friendly_special_days = d,
            Part::EmergencyCredit { limit, threshold } => {
                (p.emergency_limit, p.emergency_threshold) = (limit, threshold);
            }
            Part::DebtCap(cap) => p.debt_cap = cap,
            Part::LowCredit(level) => p.low_credit = level,
            Part::MaximumCredit {
                max_credit,
                max_per_top_up,
            } => (p.max_credit, p.max_per_top_up) = (max_credit, max_per_top_up),
            tariff => self.tariff.apply(tariff),
        }
    }
}

impl GasTariff {
    fn apply(&mut self, part: Part) {
        match part {
            Part::Calendar(c) => self.calendar = c,
            Part::SpecialDays(d) => self.special_days = d,
            Part::Information(i) => self.information = i,
            Part::Thresholds(t) => {
                self.thresholds = [0; 3];
                for (slot, v) in self.thresholds.iter_mut().zip(t) {
                    *slot = v;
                }
            }
            Part::FriendlyCalendar(_)
            | Part::FriendlySpecialDays(_)
            | Part::EmergencyCredit { .. }
            | Part::DebtCap(_)
            | Part::LowCredit(_)
            | Part::MaximumCredit { .. } => {}
            Part::Prices { by_tier, prices } => {
                let (list, first) = if by_tier {
                    (&mut self.tier_prices, 1)
                } else {
                    (&mut self.block_prices, 0)
                };
                *list = [0; 4];
                for (id, price) in prices {
                    if let Some(slot) = id
                        .checked_sub(first)
                        .and_then(|i| list.get_mut(usize::from(i)))
                    {
                        *slot = price;
                    }
                }
            }
        }
    }

    /// The week profile in force on `date`: the season that began last (a season without a
    /// year begins each year); the first season's before any.
    fn week_on(&self, date: chrono::NaiveDate) -> Option<u8> {
        let began = |d: &ZclDate| -> Option<chrono::NaiveDate> {
            let (month, day) = (u32::from(d[1]), u32::from(d[2]));
            if d[0] != 0xFF {
                let start = chrono::NaiveDate::from_ymd_opt(1900 + i32::from(d[0]), month, day)?;
                return (start <= date).then_some(start);
            }
            let this_year = chrono::NaiveDate::from_ymd_opt(date.year(), month, day)?;
            if this_year <= date {
                Some(this_year)
            } else {
                chrono::NaiveDate::from_ymd_opt(date.year() - 1, month, day)
            }
        };
        let seasons = &self.calendar.seasons;
        seasons
            .iter()
            .filter_map(|(d, week)| Some((began(d)?, *week)))
            .max_by_key(|(start, _)| *start)
            .map(|(_, week)| week)
            .or_else(|| seasons.first().map(|(_, w)| *w))
    }

    /// The day profile in force on `date`: a special day's, else its week's.
    fn day_on(&self, date: chrono::NaiveDate) -> Option<u8> {
        let matches = |d: &ZclDate| {
            let field = |v: u8, actual: u32| v == 0xFF || u32::from(v) == actual;
            field(d[0], (date.year() - 1900) as u32)
                && field(d[1], date.month())
                && field(d[2], date.day())
                && field(d[3], date.weekday().number_from_monday())
        };
        if let Some((_, day)) = self.special_days.iter().find(|(d, _)| matches(d)) {
            return Some(*day);
        }
        let week = self.week_on(date)?;
        let (_, days) = self.calendar.weeks.iter().find(|(w, _)| *w == week)?;
        Some(days[date.weekday().num_days_from_monday() as usize])
    }

    /// The tier in force at `now` (0 in a block tariff's day) and the minutes it has left
    /// today.
    pub fn tier_at(&self, now: DateTime<Utc>) -> (u8, u16) {
        let minute = (now.hour() * 60 + now.minute()) as u16;
        let switches = self.switches_on(now.date_naive());
        let next = switches
            .iter()
            .find(|s| s.minute > minute)
            .map_or(1440, |s| s.minute);
        (tier_of(switches, minute), next - minute)
    }

    /// The day profile's switches on `date`.
    pub fn switches_on(&self, date: chrono::NaiveDate) -> &[Switch] {
        self.day_on(date)
            .and_then(|d| self.calendar.days.iter().find(|(id, _)| *id == d))
            .map_or(&[][..], |(_, s)| s.as_slice())
    }

    /// The price of `tier`, or a block tariff's first block's.
    pub fn price_of(&self, tier: u8) -> u32 {
        if self.information.block || tier == 0 {
            self.block_prices[0]
        } else {
            self.tier_prices[usize::from(tier.clamp(1, 4)) - 1]
        }
    }

    /// The tier and its price in force at `now`.
    pub fn price_at(&self, now: DateTime<Utc>) -> (u8, u32) {
        let (tier, _) = self.tier_at(now);
        (tier, self.price_of(tier))
    }

    /// The Price cluster attribute `id` of [`TARIFF_READ`].
    fn attribute(&self, id: u16) -> u64 {
        let i = &self.information;
        match id {
            0x0203 => i.block_divisor.into(),
            0x0202 => i.block_multiplier.into(),
            0x0100..=0x0102 => self.thresholds[usize::from(id - 0x0100)],
            0x0615 => i.unit.into(),
            0x0400..=0x0403 => self.block_prices[usize::from(id - 0x0400)].into(),
            0x0410 | 0x0420 | 0x0430 | 0x0440 => {
                self.tier_prices[usize::from((id - 0x0410) >> 4)].into()
            }
            0x0616 => i.currency.into(),
            0x0617 => i.trailing_digit.into(),
            _ => i.standing_charge.into(),
        }
    }
}

/// A held command carried out: the remote party that sent it, its counter and use case, and
/// the ZCL header (cluster, frame control, command) its 8F66 alert names.
pub(super) struct Done {
    pub from: Eui64,
    pub counter: u64,
    pub code: u16,
    pub header: (u16, u8, u8),
}

/// The tier a day's `switches` have in force at `minute` after midnight (0 before the first).
pub fn tier_of(switches: &[Switch], minute: u16) -> u8 {
    switches
        .iter()
        .rev()
        .find(|s| s.minute <= minute)
        .map_or(0, |s| s.tier)
}

/// The calendar being published, if the last publication is one.
fn last_calendar(parts: &mut [(u32, Part)]) -> Option<&mut Calendar> {
    match parts.last_mut() {
        Some((_, Part::Calendar(c) | Part::FriendlyCalendar(c))) => Some(c),
        _ => None,
    }
}

impl GasMeter {
    fn tariff_state(&self) -> std::borrow::Cow<'_, TariffState> {
        match &self.tariffs {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => std::borrow::Cow::Owned(TariffState::default()),
        }
    }

    /// The emergency credit limit and threshold: the last 2.1's, the RTDS meter's before one.
    pub(super) fn emergency_credit_settings(&self) -> (u32, u32) {
        let p = &self.tariff_state().prepay;
        (p.emergency_limit, p.emergency_threshold)
    }

    /// A 2.3's ChangeDebt: debt 1, 2 or 3 set (an absolute amount type) or added to (an
    /// incremental one), with how it is recovered.
    pub(super) fn change_debt(&mut self, change: &GasPayload) -> Result<(), DeviceError> {
        let &GasPayload::ChangeDebt {
            amount,
            method,
            amount_type,
            frequency,
            recovery_amount,
            percentage,
            ..
        } = change
        else {
            return Err(DeviceError::Payload(format!(
                "{change:?} is not a ChangeDebt"
            )));
        };
        if amount_type > gbz::DEBT_3_INCREMENTAL {
            let what = format!("ChangeDebt's debt amount type {amount_type} is not 0 to 5");
            return Err(DeviceError::Payload(what));
        }
        let state = self.tariffs.get_or_insert_with(Default::default);
        let debt = &mut state.prepay.debts[usize::from(amount_type / 2)];
        debt.amount = if amount_type % 2 == 1 {
            debt.amount.saturating_add(amount)
        } else {
            amount
        };
        (debt.method, debt.frequency) = (method, frequency);
        (debt.recovery_amount, debt.percentage) = (recovery_amount, percentage);
        Ok(())
    }

    /// What a top-up of `value` (milli-pence) at `time` (GBCS seconds) repays of the debts
    /// recovered by payment: each its percentage of the top-up, at most what is owed. The
    /// repayments, each with what is left of its debt.
    pub(super) fn repay_from_top_up(&mut self, value: i64, time: u32) -> Vec<gbz::DebtEntry> {
        let Some(state) = self.tariffs.as_mut() else {
            return Vec::new();
        };
        let mut repaid = Vec::new();
        for (debt_type, debt) in (0u8..).zip(state.prepay.debts.iter_mut()) {
            if debt.method != gbz::PAYMENT_BASED || debt.amount == 0 {
                continue;
            }
            let share = value.max(0) * i64::from(debt.percentage) / 10_000;
            let amount = u32::try_from(share).unwrap_or(u32::MAX).min(debt.amount);
            if amount == 0 {
                continue;
            }
            debt.amount -= amount;
            repaid.push(gbz::DebtEntry {
                time,
                amount,
                debt_type,
                outstanding: debt.amount,
            });
        }
        repaid
    }

    /// The debts owed: time debts 1 and 2, the payment debt.
    pub(super) fn debts_owed(&self) -> [u32; 3] {
        self.tariffs
            .as_ref()
            .map_or([0; 3], |t| t.prepay.debts.map(|d| d.amount))
    }

    /// The prepayment configuration and friendly credit calendar in force.
    pub fn prepay_configuration(&self) -> Prepay {
        self.tariff_state().prepay.clone()
    }

    /// The tariff in force.
    pub fn gas_tariff(&self) -> GasTariff {
        self.tariff_state().tariff.clone()
    }

    /// The publications of a GCS01a or GCS01b (a tariff), or of a GCS05 (the prepayment
    /// configuration and friendly credit calendar), each taken up at once, held until its
    /// start, or (a cancelling start) withdrawn; a Default Response per component, as the
    /// RTDS meter answers.
    pub(super) fn publish_tariff(
        &mut self,
        code: u16,
        asks: &[&GasPayload],
        from: Eui64,
        counter: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Reply>, DeviceError> {
        let wrong = |what: String| DeviceError::Payload(format!("{code:#06X}: {what}"));
        let mut parts: Vec<(u32, Part)> = Vec::new();
        let mut replies = Vec::with_capacity(asks.len());
        let is_tariff = code == GCS01A || code == GCS01B;
        let calendar_type = if code == GCS05 {
            gbz::FRIENDLY_CREDIT_CALENDAR
        } else {
            0
        };
        for ask in asks {
            let prepayment = |start, part| {
                let command = zcl_header(ask).2;
                Some((start, part, (gbz::PREPAYMENT_CLUSTER, command)))
            };
            let setting = match **ask {
                _ if code != GCS05 => None,
                GasPayload::EmergencyCreditSetup {
                    start,
                    limit,
                    threshold,
                    ..
                } => prepayment(start, Part::EmergencyCredit { limit, threshold }),
                GasPayload::OverallDebtCap {
                    implement_at, cap, ..
                } => prepayment(implement_at, Part::DebtCap(cap)),
                GasPayload::LowCreditWarning { level, from } => {
                    prepayment(from.unwrap_or(0), Part::LowCredit(level))
                }
                GasPayload::MaximumCredit {
                    implement_at,
                    max_credit,
                    max_per_top_up,
                    ..
                } => prepayment(
                    implement_at,
                    Part::MaximumCredit {
                        max_credit,
                        max_per_top_up,
                    },
                ),
                _ => None,
            };
            if let Some((start, part, (cluster, command))) = setting {
                parts.push((start, part));
                replies.push(Reply::Clear(GasPayload::DefaultResponse {
                    cluster,
                    command,
                    status: gbz::SUCCESS,
                }));
                continue;
            }
            let GasPayload::Tariff(t) = ask else {
                return Err(wrong(format!("{ask:?} is not a publication of it")));
            };
            let alone = || wrong(format!("{t:?} does not follow a PublishCalendar"));
            match t {
                &TariffPayload::PublishCalendar {
                    event,
                    calendar,
                    start,
                    calendar_type: kind,
                    ..
                } if code != GCS01B && kind == calendar_type => {
                    let c = Calendar {
                        event,
                        id: calendar,
                        days: Vec::new(),
                        weeks: Vec::new(),
                        seasons: Vec::new(),
                    };
                    let part = if code == GCS05 {
                        Part::FriendlyCalendar(c)
                    } else {
                        Part::Calendar(c)
                    };
                    parts.push((start, part));
                }
                TariffPayload::PublishDayProfile { day, switches, .. } => {
                    last_calendar(&mut parts)
                        .ok_or_else(alone)?
                        .days
                        .push((*day, switches.clone()));
                }
                TariffPayload::PublishWeekProfile { week, days, .. } => {
                    last_calendar(&mut parts)
                        .ok_or_else(alone)?
                        .weeks
                        .push((*week, *days));
                }
                TariffPayload::PublishSeasons { seasons, .. } => {
                    last_calendar(&mut parts)
                        .ok_or_else(alone)?
                        .seasons
                        .clone_from(seasons);
                }
                TariffPayload::PublishSpecialDays {
                    start,
                    days,
                    calendar_type: kind,
                    ..
                } if code != GCS01B && *kind == calendar_type => {
                    let part = if code == GCS05 {
                        Part::FriendlySpecialDays(days.clone())
                    } else {
                        Part::SpecialDays(days.clone())
                    };
                    parts.push((*start, part));
                }
                TariffPayload::TariffInformation {
                    event,
                    tariff,
                    start,
                    tariff_type,
                    tiers,
                    block_thresholds,
                    unit,
                    currency,
                    trailing_digit,
                    standing_charge,
                    block_multiplier,
                    block_divisor,
                    ..
                } if is_tariff => parts.push((
                    *start,
                    Part::Information(Information {
                        event: *event,
                        tariff: *tariff,
                        block: tariff_type & 0xF0 == gbz::BLOCK_TARIFF,
                        tiers: *tiers,
                        block_thresholds: *block_thresholds,
                        unit: *unit,
                        currency: *currency,
                        trailing_digit: *trailing_digit,
                        standing_charge: *standing_charge,
                        block_multiplier: *block_multiplier,
                        block_divisor: *block_divisor,
                    }),
                )),
                TariffPayload::BlockThresholds {
                    start, thresholds, ..
                } if code == GCS01A => {
                    let values = thresholds
                        .first()
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    parts.push((*start, Part::Thresholds(values)));
                }
                TariffPayload::PriceMatrix {
                    start,
                    control,
                    prices,
                    ..
                } if is_tariff => parts.push((
                    *start,
                    Part::Prices {
                        by_tier: control & 1 == 1,
                        prices: prices.clone(),
                    },
                )),
                other => return Err(wrong(format!("{other:?} is not a tariff publication"))),
            }
            let (cluster, _, command) = t.header();
            replies.push(Reply::Clear(GasPayload::DefaultResponse {
                cluster,
                command,
                status: gbz::SUCCESS,
            }));
        }
        let now_s = to_gbcs_seconds(now).unwrap_or(0);
        let state = self.tariffs.get_or_insert_with(Default::default);
        let mut taken = Vec::new();
        for (start, part) in parts {
            // A new publication of a kind replaces the one held.
            let kind = std::mem::discriminant(&part);
            state
                .held
                .retain(|h| std::mem::discriminant(&h.part) != kind);
            match start {
                // The tariff information's cancelling start is 0xFFFFFFFF, the others'
                // 0xFFFFFFFE.
                CANCEL_CALENDAR.. => {}
                at if at > now_s => state.held.push(HeldPart {
                    at,
                    from,
                    counter,
                    code,
                    part,
                }),
                _ => taken.push(part),
            }
        }
        self.take_up(taken, now);
        let what = match code {
            GCS01A => "tariff published",
            GCS01B => "prices published",
            _ => "prepayment configuration published",
        };
        self.log_command(now, code, true, what);
        Ok(replies)
    }

    /// Takes up `parts` at `now`. Prices or tariff information taken up strike the balance
    /// first — what was used until now is charged as it was — and from then the meter charges
    /// by the published tariff ([`GasMeter::cost`]).
    fn take_up(&mut self, parts: Vec<Part>, now: DateTime<Utc>) {
        let priced = parts.iter().any(Part::priced);
        if priced {
            self.balance = crate::device::strike(self.balance, now, |p| self.credit_milli_pence(p));
        }
        let state = self.tariffs.get_or_insert_with(Default::default);
        for part in parts {
            state.apply(part);
        }
        state.priced |= priced;
    }

    /// When the earliest held publication is due.
    pub(super) fn tariff_due(&self) -> Option<u32> {
        self.tariffs.as_ref()?.held.iter().map(|h| h.at).min()
    }

    /// Takes up the publications due by `now` that the remote party of the earliest sent (the
    /// others' on a later call); each with the command it came in, for its 8F66 alert, in the
    /// order they were published.
    pub(super) fn take_due_tariff(&mut self, now: DateTime<Utc>) -> Vec<Done> {
        let now_s = to_gbcs_seconds(now).unwrap_or(0);
        let Some(state) = self.tariffs.as_mut() else {
            return Vec::new();
        };
        let Some(first) = state
            .held
            .iter()
            .filter(|h| h.at <= now_s)
            .min_by_key(|h| h.at)
        else {
            return Vec::new();
        };
        let from = first.from;
        let (due, kept) = std::mem::take(&mut state.held)
            .into_iter()
            .partition::<Vec<_>, _>(|h| h.at <= now_s && h.from == from);
        state.held = kept;
        let mut out = Vec::new();
        let mut parts = Vec::new();
        for h in due {
            out.push(Done {
                from: h.from,
                counter: h.counter,
                code: h.code,
                header: h.part.header(),
            });
            parts.push(h.part);
        }
        self.take_up(parts, now);
        if let Some(done) = out.first() {
            let what = if done.code == GCS05 {
                "future-dated prepayment configuration taken up"
            } else {
                "future-dated tariff taken up"
            };
            self.log_command(now, done.code, true, what);
        }
        out
    }

    /// The answer to one component of a GCS21f: the Price cluster's tariff attributes, the
    /// calendar's day or week profiles (one answer each), seasons, special days, or the price
    /// in force.
    pub(super) fn read_tariff(
        &self,
        code: u16,
        ask: &GasPayload,
        now: DateTime<Utc>,
    ) -> Result<Vec<GasPayload>, DeviceError> {
        let state = self.tariff_state();
        let tariff = &state.tariff;
        // GCS21b reads the friendly credit calendar, GCS21f the tariff's.
        let (c, special_days, calendar_type) = if code == GCS21B {
            let p = &state.prepay;
            (
                &p.friendly,
                &p.friendly_special_days,
                gbz::FRIENDLY_CREDIT_CALENDAR,
            )
        } else {
            (&tariff.calendar, &tariff.special_days, 0)
        };
        let answer = GasPayload::TariffAnswer;
        let asked = ask.attributes_read();
        if code == GCS21B
            && let Some((cluster, ids)) = asked
            && let Some(read) = PREPAY_CONFIGURATION_READ
                .iter()
                .find(|r| r.is(cluster, ids))
        {
            return Ok(vec![GasPayload::Settings {
                cluster: read.cluster,
                frame_control: read.answer_frame_control(),
                values: read.values(|s| state.prepay.attribute(s.id)),
            }]);
        }
        if code == GCS21F
            && let Some((cluster, ids)) = asked
            && TARIFF_READ.is(cluster, ids)
        {
            // In clear, default responses disabled, as the RTDS meter answers.
            let value = |s: &GasSetting| gbz::ZclValue::Unsigned(tariff.attribute(s.id));
            return Ok(vec![GasPayload::Settings {
                cluster: PRICE_CLUSTER,
                frame_control: 0x08 | gbz::DISABLE_DEFAULT_RESPONSE,
                values: TARIFF_READ.values(value),
            }]);
        }
        Ok(match ask {
            GasPayload::Tariff(TariffPayload::GetDayProfiles { .. }) => c
                .days
                .iter()
                .map(|(day, switches)| {
                    answer(TariffPayload::PublishDayProfile {
                        provider: 0,
                        event: c.event,
                        calendar: c.id,
                        day: *day,
                        entries: switches.len() as u8,
                        command_index: 0,
                        commands: 1,
                        calendar_type,
                        switches: switches.clone(),
                    })
                })
                .collect(),
            GasPayload::Tariff(TariffPayload::GetWeekProfiles { .. }) => c
                .weeks
                .iter()
                .map(|(week, days)| {
                    answer(TariffPayload::PublishWeekProfile {
                        provider: 0,
                        event: c.event,
                        calendar: c.id,
                        week: *week,
                        days: *days,
                    })
                })
                .collect(),
            GasPayload::Tariff(TariffPayload::GetSeasons { .. }) => {
                vec![answer(TariffPayload::PublishSeasons {
                    provider: 0,
                    event: c.event,
                    calendar: c.id,
                    command_index: 0,
                    commands: 1,
                    seasons: c.seasons.clone(),
                })]
            }
            GasPayload::Tariff(TariffPayload::GetSpecialDays { .. }) => {
                vec![answer(TariffPayload::PublishSpecialDays {
                    provider: 0,
                    event: c.event,
                    calendar: c.id,
                    start: 0,
                    calendar_type,
                    total: special_days.len() as u8,
                    command_index: 0,
                    commands: 1,
                    days: special_days.clone(),
                })]
            }
            GasPayload::Tariff(TariffPayload::GetCurrentPrice { .. }) if code == GCS21F => {
                let (tier, price) = tariff.price_at(now);
                let (_, minutes) = tariff.tier_at(now);
                let i = &tariff.information;
                vec![answer(TariffPayload::PublishPrice {
                    provider: 0,
                    label: Vec::new(),
                    event: i.event,
                    current_time: to_gbcs_seconds(now).unwrap_or(0),
                    // The unit the meter measures in (m³), as the RTDS meter answers.
                    unit: 1,
                    currency: i.currency,
                    trailing_digit_and_tier: i.trailing_digit & 0xF0 | tier & 0x0F,
                    tiers_and_register: i.tiers << 4 | tier & 0x0F,
                    start: 0,
                    minutes,
                    price,
                })]
            }
            other => {
                return Err(DeviceError::Payload(format!(
                    "{other:?} is not a command of GCS21f"
                )));
            }
        })
    }
}
