//! A virtual gas meter (GSME) with the gas proxy function (GPF) of its comms hub, speaking GBZ
//! inside GBCS (sans-IO: bytes and `now` in, bytes out).
//!
//! A GSME sleeps on its battery; the GPF on the always-powered comms hub holds a copy of its data
//! and answers most reads for it (GBCS §10.4). This model answers at either EUI-64 from the same
//! state: the consumption register and the half-hourly, daily and daily-read logs, computed from
//! a seeded consumption model (gas energy ÷ 11.22 kWh/m³, counted in litres, the register's units
//! with divisor 1000 and unit m³); the valve (no gas flows while it is off); the payment mode,
//! tariff and prepayment credit (drawn down by the tariff as gas is used); the top-ups credited;
//! an event log. It checks the ACB's MAC and the originator counter like the electricity meter,
//! the remote party's signature on critical commands, and answers sealed for the remote party
//! that asked, MACed (signed, for critical commands):
//!
//! - GCS13a (4.1.1): Read Attributes of the metering cluster → divisor, multiplier, unit and
//!   current summation delivered;
//! - GCS16a (4.6.1): GetSnapshot, one per day asked → PublishSnapshot of that midnight's
//!   registers (consumption, tier and block registers), or Default Response NOT_FOUND;
//! - GCS17 (4.8.1): GetSampledData, sample 0 → litres per half-hour from the start asked;
//! - GCS61 (4.17): GetSampledData, sample 1 → litres per day;
//! - GCS32 (7.2) and GCS39 (7.3), critical: ChangeSupply → the valve off, or armed (the customer
//!   then turns the gas back on at the meter, here at the next half-hour);
//! - CS01b (2.2): ConsumerTopUp → the UTRN checked and credited once, in prepayment mode;
//! - GCS38 (11.2): Read Attributes of the firmware version → the meter's version, in clear (a
//!   firmware version is not sensitive, as in the RTDS answer);
//! - GCS60 at the GSME, GCS60a at the GPF (4.18): Read Attributes of Bill to Date Delivered and
//!   of Credit Remaining → what this month's gas has cost so far (the billing period taken as
//!   the calendar month, UTC) and the meter balance, in clear as in the RTDS answer;
//! - GCS18 (4.10): GetSampledData, sample 2 → litres in each of the 41 six minutes before the
//!   current half-hour (the network data log);
//! - GCS21d and GCS21k (6.2.3): GetBillingPeriod → the billing calendar, in clear;
//! - GCS15c, GCS15d, GCS15e (4.4.3–4.4.5) and GCS16b (4.14): the billing data logs and the
//!   prepayment daily read log, from snapshots, the top-up log and the debts (none);
//! - the fixed attribute reads of `gas_settings` (4.1.2, 4.1.4, 6.2.4, 6.2.8), and the payment
//!   mode (GCS02, GCS03, 1.6) and its reads (GCS14, GCS21j, GCS46);
//! - GCS40a–d (1.5) and GCS06 (2.5), critical: the balance adjusted, emergency credit taken;
//! - GCS20 (6.22): SetEventConfiguration of the events listed → a Default Response (a command
//!   carried out, or not, is logged only while its event's configuration says so); GCS20r
//!   (6.2.10): GetEventConfiguration → every event's configuration, in clear;
//! - CS10a and CS10b (6.13): GetEventLog → the general event log's or the security log's
//!   events in the period asked, in clear (the security log: the top-ups refused);
//!   CS11 (3.3): the general event log cleared, answered with a ClearEventLogResponse;
//!   GCS07 (3.1), GCS09 (3.2), GCS44 (3.4), GCS11 (3.5), GCS23, GCS24, GCS25 and GCS25a
//!   (6.6, 6.7 and 6.8, critical) and GCS41 (6.20.1): the message shown, the change of tenancy
//!   (no data from before it given since), the supplier's name, privacy PIN protection off,
//!   the conversion factor and calorific value, the uncontrolled flow settings and supply
//!   states (which 6.2.8 and 6.2.4 read), the billing calendar (which 6.2.3 reads and 4.4.3
//!   snapshots by), the MPRN — each answered with a Default Response.

use chrono::{DateTime, Utc};

use super::consumption::Consumer;
use super::{
    Adjustments, Balance, DeviceError, EventLog, PaymentMode, PendingChange, Tariff, TopUps,
    period_of,
};
use crate::device::credentials::Credentials;
use crate::device::firmware::{self as firmware_state, FirmwareDue, Upgrade};
use crate::model::Eui64;
use crate::protocol::gbcs::credentials;
use crate::protocol::gbcs::firmware::{self, Activation, FirmwarePayload};
use crate::protocol::gbcs::gas_settings;
use crate::protocol::gbcs::gbz::{
    self, Component, GasPayload, Gbz, TopUpEntry, encode_gas_payload, gas_payload, zcl_header,
};
use crate::protocol::gbcs::join::{self, DeviceLog, HanType, JoinMethod};
use crate::protocol::gbcs::payload::message_for;
use crate::protocol::gbcs::{Cra, KeyStore, sign_message};

mod act;
mod read;
mod tariff;

use tariff::Done;
pub use tariff::{GCS01A, GCS01B, GCS04, GCS05, GCS21B, GCS21F, GasTariff, Prepay, TariffState};

use read::Registers;

/// Message codes of the gas use cases answered.
/// Whom a gas meter joins on its home area network: its gas proxy function by method B, a
/// prepayment display by method C.
const GSME_JOINS: &[(JoinMethod, &[HanType])] = &[
    (JoinMethod::B, &[HanType::Gpf]),
    (JoinMethod::C, &[HanType::Ppmid]),
];

pub const GCS13A: u16 = 0x0074;
pub const GCS16A: u16 = 0x0077;
pub const GCS17: u16 = 0x0078;
/// 4.10, the network data log: gas used in each of the last 41 six minutes.
pub const GCS18: u16 = 0x0079;
/// 14.1 (to the meter): start recording the network data 4.10 reads.
pub const GCS31: u16 = 0x0080;
pub const GCS32: u16 = 0x0081;
pub const GCS38: u16 = 0x0084;
pub const GCS39: u16 = 0x0085;
pub const GCS61: u16 = 0x00A0;
/// 4.18, the meter balance: at the GSME, at the GPF.
pub const GCS60: u16 = 0x008D;
pub const GCS60A: u16 = 0x012A;
pub const CS01B: u16 = 0x0097;
/// 4.3 to a gas meter (or its proxy): the currency and the prepayment registers.
pub const GCS14: u16 = 0x0075;
/// 6.2.7 to a gas meter: read the MPRN it was configured with.
pub const GCS46: u16 = 0x0089;
/// 6.2.9 to a gas meter: read its payment control configuration.
pub const GCS21J: u16 = 0x00BF;
/// 6.2.3, the billing calendar (the RTDS sends the same command as GCS21d and GCS21k).
pub const GCS21D: u16 = 0x009D;
pub const GCS21K: u16 = 0x00DA;
/// 4.4.2: the billing data log a change of mode or tariff triggers (a snapshot at each).
pub const GCS15B: u16 = 0x00C3;
/// 4.4.3: the billing data log the billing calendar triggers (a snapshot at each billing
/// period's end).
pub const GCS15C: u16 = 0x0076;
/// 4.4.4: the billing data log of debt payments.
pub const GCS15D: u16 = 0x00C4;
/// 4.4.5: the billing data log of prepayment credits (the top-up log).
pub const GCS15E: u16 = 0x00C5;
/// 4.14: the prepayment daily read log (a prepayment snapshot at each midnight).
pub const GCS16B: u16 = 0x0096;
/// Top-ups the top-up log gives: five, as a GBCS gas meter's and DCC's response schema's.
const TOP_UP_LOG_LEN: usize = 5;
/// Top-ups the meter remembers, for working its balance at past billing period ends back:
/// more than a year's of weekly top-ups.
const TOP_UP_LEDGER_LEN: usize = 64;
/// 1.6: payment mode to credit, to prepayment.
pub const GCS02: u16 = 0x006C;
pub const GCS03: u16 = 0x006D;
/// 3.4: the supplier's name and telephone number.
pub const GCS44: u16 = 0x0088;
/// 3.1: a message to display.
pub const GCS07: u16 = 0x0071;
/// 3.2 (to the GPF): restrict access for change of tenancy.
pub const GCS09: u16 = 0x0072;
/// 6.6 (critical): the conversion factor and calorific value.
pub const GCS23: u16 = 0x007C;
/// 3.3: clear the event log.
pub const CS11: u16 = 0x0015;
/// 6.22: configure how events are logged and reported; 6.2.10: read it.
pub const GCS20: u16 = 0x00AD;
pub const GCS20R: u16 = 0x00F1;
/// 6.13: read the event log (CS10a) or the security log (CS10b).
pub const CS10A: u16 = 0x0014;
pub const CS10B: u16 = 0x00A1;
/// 6.7 (critical): the uncontrolled gas flow settings and the supply tamper and depletion
/// states.
pub const GCS24: u16 = 0x007D;
/// 3.5: privacy PIN protection off.
pub const GCS11: u16 = 0x0073;
/// 6.8 (critical): the billing calendar, monthly (GCS25) or of another periodicity (GCS25a).
pub const GCS25: u16 = 0x007E;
pub const GCS25A: u16 = 0x00D8;
/// 6.20.1: the MPRN.
pub const GCS41: u16 = 0x0087;
/// 2.5 (critical): activate emergency credit.
pub const GCS06: u16 = 0x0070;
/// 6.11 (critical): synchronise the clock (an ASN.1 command, not ZigBee).
pub const GCS28: u16 = 0x007F;
/// 1.5 (critical): the meter balance in prepayment mode adjusted, reset; in credit mode
/// adjusted, reset.
pub const GCS40A: u16 = 0x0086;
pub const GCS40B: u16 = 0x00B4;
pub const GCS40C: u16 = 0x00C0;
pub const GCS40D: u16 = 0x00C2;
/// The message code future-dated alerts of gas use cases travel under.
const FUTURE_DATED_ALERT: u16 = 0x00CD;
/// The days a gas meter's battery lasts from installation: fifteen years.
const BATTERY_LIFE_DAYS: u64 = 15 * 365;
/// A gas meter's emergency credit (2.5): its limit and the balance below which it is offered,
/// £10 and £2 (the RTDS gas meter's), in currency units.
const EMERGENCY_CREDIT: (u32, u32) = (1_000_000, 200_000);
/// The RTDS gas meter's friendly and emergency credit settings, which it answers a payment
/// mode change with.
const PAYMENT_MODE_SETTINGS: GasPayload = GasPayload::PaymentModeSettings {
    friendly_credit: 1,
    calendar: 2,
    emergency_limit: EMERGENCY_CREDIT.0,
    emergency_threshold: EMERGENCY_CREDIT.1,
};

/// The firmware version a new gas meter reports (the RTDS gas meter's).
const FIRMWARE: &str = "0123ABCD";

fn default_firmware() -> Box<str> {
    FIRMWARE.into()
}

/// Energy in a cubic metre of natural gas at the GB standard calorific value (39.5 MJ/m³ with the
/// 1.02264 volume correction), Wh.
pub const WH_PER_M3: u64 = 11_220;
/// Days of daily snapshots a gas meter keeps (GBCS: 31 in its daily read log).
const DAILY_READS_KEPT: u32 = 31;
/// Samples a GetSampledData answer carries at most (about two days of half-hours).
const MAX_SAMPLES: u16 = 1_000;
/// The network data log: 41 samples of six minutes (four hours and six minutes), as the RTDS
/// meter answers.
const NETWORK_DATA_SAMPLES: u32 = gbz::NETWORK_DATA_SAMPLES as u32;
const NETWORK_DATA_INTERVAL: u16 = gbz::NETWORK_DATA_INTERVAL_S;
/// The interval a daily log sample carries (the field has 16 bits; RTDS daily logs show FFFF).
const DAILY_INTERVAL: u16 = 0xFFFF;

/// The gas valve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Valve {
    #[default]
    On,
    Off,
}

fn gas_tariff() -> Tariff {
    Tariff::GAS
}

/// A gas meter and the proxy that answers for it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GasMeter {
    pub gsme: Eui64,
    pub gpf: Eui64,
    /// Gas demand, as energy (the model's import), from which volumes follow.
    pub consumer: Consumer,
    /// The first half-hour the meter recorded.
    pub commissioned: u32,
    /// The MPRN it is configured with (GCS46 reads it): the registry's at installation, until a
    /// 6.20.1 (GCS41) sets another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mprn: Option<Box<str>>,
    /// Firmware version (hex), what GCS38 reports.
    #[serde(default = "default_firmware")]
    pub firmware: Box<str>,
    #[serde(default)]
    pub valve: Valve,
    #[serde(default)]
    pub payment: PaymentMode,
    /// The payment control configuration the last payment mode change set (GCS21j reads it);
    /// none set, the one the RTDS commands give the mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    configuration: Option<u16>,
    #[serde(default = "gas_tariff")]
    pub tariff: Tariff,
    #[serde(default)]
    balance: Balance,
    /// Periods the valve was off, `[from, to)`; `to` is `u32::MAX` while it is.
    #[serde(default)]
    off: Vec<(u32, u32)>,
    /// The UTRN counters credited (boxed: a gas meter's state stays within 256 bytes, a
    /// million of them in one process).
    #[serde(default)]
    top_ups: Box<TopUps>,
    /// The top-ups credited, oldest first: the last [`TOP_UP_LEDGER_LEN`] (4.4.5 reads the
    /// last five; the billing data log works balances back with them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    top_up_log: Vec<TopUpEntry>,
    /// The half-hour the balance was set up at ([`GasMeter::set_prepayment`]), or just after
    /// the latest top-up or balance update the meter no longer remembers: balances before it
    /// are not worked back past it.
    #[serde(default)]
    ledger_from: u32,
    #[serde(default)]
    pub events: EventLog,
    /// A future-dated payment mode change waiting for its time (boxed: few meters hold one,
    /// and a gas meter's state stays within 256 bytes).
    #[serde(default)]
    pub pending: Option<Box<PendingChange>>,
    /// The tariff published to it and the publications it holds, once a 1.1.1 or 1.2.1 has
    /// come (boxed: the RTDS meter's until then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tariffs: Option<Box<TariffState>>,
    /// The meter's own counter, for the alerts it originates.
    #[serde(default)]
    alert_counter: u64,
    counters: super::Counters,
    /// Changes of payment mode and balance updates, once the meter has had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    history: Option<Box<History>>,
    /// The trust anchors and own keys of the gas meter and of its gas proxy function (none:
    /// they take the key store's keys); saved once either is no longer as installed.
    #[serde(default, skip_serializing_if = "unsaved")]
    credentials: Option<Box<GasCredentials>>,
}

fn unsaved(c: &Option<Box<GasCredentials>>) -> bool {
    c.as_ref()
        .is_none_or(|c| c.meter.unsaved() && c.proxy.unsaved())
}

/// The security credentials of a gas meter and of its gas proxy function.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct GasCredentials {
    #[serde(default, skip_serializing_if = "Credentials::is_empty")]
    meter: Credentials,
    #[serde(default, skip_serializing_if = "Credentials::is_empty")]
    proxy: Credentials,
}

/// What few gas meters have (boxed, made when first needed: a gas meter's state stays within
/// 256 bytes, a million of them in one process).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct History {
    /// When the payment mode changed (GBCS seconds), oldest first, the last
    /// [`MODE_CHANGE_LOG_LEN`]: the change of mode billing data log (4.4.2) has a snapshot at
    /// each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    mode_changes: Vec<u32>,
    /// The balance updates (1.5), oldest first: balances before them are worked back past
    /// them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    adjustments: Adjustments,
    /// The supplier's name and contact details the last 3.4 set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    supplier: Option<(String, String)>,
    /// The debt repayments collected from top-ups, oldest first, the last
    /// [`TOP_UP_LEDGER_LEN`] (4.4.4 reads them; past balances are worked back with them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    repayments: Vec<gbz::DebtEntry>,
    /// The meter's device log once a join or unjoin changed it; none: its own gas proxy
    /// function alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device_log: Option<DeviceLog>,
    /// The emergency credit the meter gave (2.5), while it lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    emergency: Option<super::EmergencyCredit>,
    /// A firmware upgrade under way: the image distributed to it, an activation held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    firmware_upgrade: Option<Upgrade>,
    /// The message the supplier last sent for display (3.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// Whether privacy PIN protection was disabled (3.5).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    privacy_pin_disabled: bool,
    /// The first half-hour whose data the meter gives (3.2, change of tenancy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    restricted_from: Option<u32>,
    /// The conversion factor, with its trailing digit, the last 6.6 set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    conversion_factor: Option<(u32, u8)>,
    /// The calorific value, with its unit and trailing digit, the last 6.6 set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calorific_value: Option<(u32, u8, u8)>,
    /// The billing calendar the last 6.8 set: its first period's start (GBCS seconds), each
    /// period's duration and duration type; none: the meter's own (monthly from midnight on
    /// the 1st).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    billing_calendar: Option<(u32, u32, u8)>,
    /// The six minutes (since 2000) from which the last 14.1 had the network data recorded;
    /// none: since installation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    network_data_from: Option<u32>,
    /// The uncontrolled gas flow settings the last 6.7 set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uncontrolled_flow: Option<UncontrolledFlow>,
    /// The supply tamper and depletion states the last 6.7 set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    supply_states: Option<(u8, u8)>,
    /// Each event's configuration, once a 6.22 changed one ([`EVENT_CONFIGURATION`] until
    /// then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event_configuration: Option<Vec<(u16, u8)>>,
}

/// The events a gas meter configures (6.22) and reports the configuration of (6.2.10), each
/// with its configuration as the meter is installed: the RTDS meter's GCS20r answer (`0x03`
/// logged; `0x08` a WAN alert, `0x10` a HAN one).
const EVENT_CONFIGURATION: [(u16, u8); 44] = [
    (0x810D, 0x18),
    (0x810E, 0x08),
    (0x8119, 0x18),
    (0x8145, 0x03),
    (0x8154, 0x03),
    (0x8155, 0x03),
    (0x8161, 0x03),
    (0x8162, 0x03),
    (0x8168, 0x10),
    (0x8183, 0x0B),
    (0x8184, 0x0B),
    (0x81A1, 0x0B),
    (0x81A4, 0x0B),
    (0x81A5, 0x0B),
    (0x81A6, 0x0B),
    (0x81A7, 0x0B),
    (0x81A8, 0x0B),
    (0x81A9, 0x0B),
    (0x81AA, 0x1B),
    (0x81AB, 0x1B),
    (0x81AC, 0x0B),
    (0x81AD, 0x0B),
    (0x81AE, 0x0B),
    (0x81AF, 0x0B),
    (0x81B0, 0x0B),
    (0x81B1, 0x0B),
    (0x81B2, 0x0B),
    (0x81B3, 0x0B),
    (0x81B4, 0x0B),
    (0x81B5, 0x0B),
    (0x81B6, 0x0B),
    (0x81B9, 0x0B),
    (0x81BA, 0x0B),
    (0x81BC, 0x0B),
    (0x81BD, 0x0B),
    (0x81BE, 0x0B),
    (0x81BF, 0x0B),
    (0x81C0, 0x0B),
    (0x81C2, 0x0B),
    (0x81C3, 0x0B),
    (0x81C4, 0x1B),
    (0x81C5, 0x0B),
    (0x81A0, 0x0B),
    (0x81C6, 0x03),
];

/// When a gas flow is uncontrolled (6.7): above `threshold` × `multiplier` ÷ `divisor`, in
/// `unit`, for `stabilisation` seconds, measured over `measurement` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UncontrolledFlow {
    pub threshold: u16,
    pub unit: u8,
    pub multiplier: u16,
    pub divisor: u16,
    pub stabilisation: u8,
    pub measurement: u16,
}

/// The RTDS gas meter's uncontrolled flow settings, a meter's until a 6.7 sets others.
const RTDS_UNCONTROLLED_FLOW: UncontrolledFlow = UncontrolledFlow {
    threshold: 200,
    unit: 1,
    multiplier: 1,
    divisor: 1,
    stabilisation: 10,
    measurement: 3600,
};

/// GB's standard conversion factor (1.02264) and calorific value (39.5 MJ/m³), as the meter
/// holds them (with their trailing digits) until a 6.6 sets others.
const STANDARD_CONVERSION_FACTOR: (u32, u8) = (102_264, gbz::CONVERSION_FACTOR_DIGITS);
const STANDARD_CALORIFIC_VALUE: (u32, u8, u8) =
    (395, gbz::MEGAJOULES_PER_M3, gbz::CALORIFIC_VALUE_DIGITS);

/// Snapshots the change of mode billing data log (4.4.2) keeps: twelve, as DCC's response
/// schema gives.
const MODE_CHANGE_LOG_LEN: usize = 12;

/// A snapshot the meter took: the half-hour whose start it holds the registers of, when it
/// was taken (GBCS seconds), its id and its cause.
#[derive(Debug, Clone, Copy)]
struct Taken {
    period: u32,
    time: u32,
    id: u32,
    cause: u32,
}

/// Who asked a command, its counter, and the From Date-Time its component carried.
struct Asked {
    from: Eui64,
    counter: u64,
    since: Option<u32>,
}

/// An answer component: in clear, or sealed for the remote party that asked.
enum Reply {
    Clear(GasPayload),
    Sealed(GasPayload),
    /// Several answers in clear to one command component (a tariff read's day profiles).
    Many(Vec<GasPayload>),
}

/// What a meter answers a `command` of `cluster` that finds nothing: a Default Response, status
/// NOT_FOUND, in clear.
fn not_found(cluster: u16, command: u8) -> Reply {
    Reply::Clear(GasPayload::DefaultResponse {
        cluster,
        command,
        status: gbz::NOT_FOUND,
    })
}

impl GasMeter {
    pub fn new(gsme: Eui64, gpf: Eui64, consumer: Consumer, commissioned: DateTime<Utc>) -> Self {
        let commissioned = period_of(commissioned);
        GasMeter {
            gsme,
            gpf,
            consumer,
            commissioned,
            mprn: None,
            firmware: default_firmware(),
            valve: Valve::On,
            payment: PaymentMode::Credit,
            configuration: None,
            tariff: Tariff::GAS,
            balance: Balance {
                period: commissioned,
                milli_pence: 0,
            },
            off: Vec::new(),
            top_ups: Box::default(),
            top_up_log: Vec::new(),
            ledger_from: 0,
            events: EventLog::default(),
            pending: None,
            tariffs: None,
            alert_counter: 0,
            counters: super::Counters::default(),
            history: None,
            credentials: None,
        }
    }

    /// Puts the meter in prepayment mode with `pence` of credit at `now`.
    pub fn set_prepayment(&mut self, pence: i64, now: DateTime<Utc>) {
        self.payment = PaymentMode::Prepayment;
        self.balance = Balance {
            period: period_of(now),
            milli_pence: pence * 1000,
        };
        self.ledger_from = period_of(now);
    }

    /// The payment control configuration in force (bit 1: prepayment).
    pub fn payment_configuration(&self) -> u16 {
        self.configuration.unwrap_or(match self.payment {
            PaymentMode::Credit => gbz::CREDIT_CONFIGURATION,
            PaymentMode::Prepayment => gbz::PREPAYMENT_CONFIGURATION,
        })
    }

    /// [`EmergencyCredit::left_at`](super::EmergencyCredit::left_at) of the meter's.
    fn emergency_credit_at(&self, period: u32, balance: i64, snapshot: bool) -> i32 {
        let held = self.history.as_ref().and_then(|h| h.emergency);
        super::EmergencyCredit::left_at(held, period, balance, snapshot)
    }

    /// Ends the emergency credit when it [ends](super::EmergencyCredit::ends).
    fn settle_emergency_credit(&mut self) {
        let over = super::EmergencyCredit::ends(self.balance, self.payment);
        if let Some(h) = self.history.as_mut().filter(|_| over) {
            h.emergency = None;
        }
    }

    /// The meter's device log (8.9 reads it with CS07): its gas proxy function, until joins
    /// and unjoins change it.
    pub fn device_log(&self) -> DeviceLog {
        let own = || {
            DeviceLog::new([join::LogEntry {
                device: self.gpf,
                device_type: join::HanType::Gpf,
            }])
        };
        let set = self.history.as_ref().and_then(|h| h.device_log.clone());
        set.unwrap_or_else(own)
    }

    /// Sets the meter's device log (the RTDS meter's, as its vectors show it).
    pub fn set_device_log(&mut self, log: DeviceLog) {
        self.history_mut().device_log = Some(log);
    }

    /// The security credentials of `device`, the gas meter or its gas proxy function.
    pub fn credentials(&self, device: Eui64) -> &Credentials {
        static NONE: std::sync::LazyLock<Credentials> =
            std::sync::LazyLock::new(Credentials::default);
        match &self.credentials {
            Some(c) if device == self.gpf => &c.proxy,
            Some(c) => &c.meter,
            None => &NONE,
        }
    }

    /// Installs the security credentials of `device`, the gas meter or its gas proxy function.
    pub fn set_credentials(&mut self, device: Eui64, credentials: Credentials) {
        let both = self.credentials.get_or_insert_default();
        if device == self.gpf {
            both.proxy = credentials;
        } else {
            both.meter = credentials;
        }
        if both.meter.is_empty() && both.proxy.is_empty() {
            self.credentials = None;
        }
    }

    fn history_mut(&mut self) -> &mut History {
        self.history.get_or_insert_default()
    }

    /// The message the meter displays, as the last 3.1 sent it.
    pub fn message(&self) -> Option<&str> {
        self.history.as_ref()?.message.as_deref()
    }

    /// The first half-hour whose data the meter gives, as the last 3.2 restricted it: the
    /// previous tenant's, before it, it gives no one.
    pub fn restricted_from(&self) -> Option<u32> {
        self.history.as_ref()?.restricted_from
    }

    /// The first half-hour whose data the meter gives: from installation, or from a change of
    /// tenancy after it.
    fn first_given(&self) -> u32 {
        self.commissioned.max(self.restricted_from().unwrap_or(0))
    }

    /// The conversion factor and its trailing digit: GB's standard one until a 6.6 sets
    /// another.
    pub fn conversion_factor(&self) -> (u32, u8) {
        self.history
            .as_ref()
            .and_then(|h| h.conversion_factor)
            .unwrap_or(STANDARD_CONVERSION_FACTOR)
    }

    /// The calorific value, its unit and trailing digit: GB's standard one until a 6.6 sets
    /// another.
    pub fn calorific_value(&self) -> (u32, u8, u8) {
        self.history
            .as_ref()
            .and_then(|h| h.calorific_value)
            .unwrap_or(STANDARD_CALORIFIC_VALUE)
    }

    /// The uncontrolled gas flow settings: the RTDS meter's until a 6.7 sets others.
    pub fn uncontrolled_flow(&self) -> UncontrolledFlow {
        self.history
            .as_ref()
            .and_then(|h| h.uncontrolled_flow)
            .unwrap_or(RTDS_UNCONTROLLED_FLOW)
    }

    /// The supply tamper and depletion states: unchanged (the RTDS meter's) until a 6.7 sets
    /// others.
    pub fn supply_states(&self) -> (u8, u8) {
        self.history
            .as_ref()
            .and_then(|h| h.supply_states)
            .unwrap_or((gbz::SUPPLY_UNCHANGED, gbz::SUPPLY_UNCHANGED))
    }

    /// Each event's configuration (6.22 sets it, 6.2.10 reads it): how it is logged and
    /// reported.
    pub fn event_configuration(&self) -> &[(u16, u8)] {
        self.history
            .as_ref()
            .and_then(|h| h.event_configuration.as_deref())
            .unwrap_or(&EVENT_CONFIGURATION)
    }

    /// Logs command `code`, received at `now`, as carried out (`actioned`) or not — unless a
    /// 6.22 configured that event (0x8154, 0x8155) not to be logged.
    fn log_command(&mut self, now: DateTime<Utc>, code: u16, actioned: bool, what: &str) {
        let event = if actioned {
            super::COMMAND_ACTIONED
        } else {
            super::COMMAND_NOT_ACTIONED
        };
        let logged = self
            .event_configuration()
            .iter()
            .find(|(e, _)| *e == event)
            .is_none_or(|(_, configuration)| configuration & 0x07 != 0);
        if logged {
            self.events.command(now, code, actioned, what);
        }
    }

    /// Whether a 3.5 disabled privacy PIN protection.
    pub fn privacy_pin_disabled(&self) -> bool {
        self.history
            .as_ref()
            .is_some_and(|h| h.privacy_pin_disabled)
    }

    /// The supplier's name and contact details the meter shows, as the last 3.4 set them.
    pub fn supplier_contact(&self) -> Option<(&str, &str)> {
        let (name, contact) = self.history.as_ref()?.supplier.as_ref()?;
        Some((name, contact))
    }

    /// When the payment mode changed, oldest first (GBCS seconds).
    fn mode_changes(&self) -> &[u32] {
        self.history.as_ref().map_or(&[], |h| &h.mode_changes)
    }

    /// When the meter next has something to do on its own (a future-dated payment mode change
    /// or tariff publication).
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        let mode = self.pending.as_deref().map(|p| p.at);
        let at = mode.into_iter().chain(self.tariff_due()).min();
        let at = at.map(crate::protocol::gbcs::payload::from_gbcs_seconds);
        let updates = [self.gsme, self.gpf].map(|d| self.credentials(d).next_due());
        at.into_iter()
            .chain(updates.into_iter().flatten())
            .chain(self.firmware_upgrade().next_due())
            .min()
    }

    /// The firmware upgrade under way, if one is.
    pub fn firmware_upgrade(&self) -> &Upgrade {
        self.history
            .as_ref()
            .and_then(|h| h.firmware_upgrade.as_ref())
            .unwrap_or(&Upgrade::NONE)
    }

    fn set_firmware_upgrade(&mut self, upgrade: Upgrade) {
        if upgrade != *self.firmware_upgrade() {
            self.history_mut().firmware_upgrade = Some(upgrade).filter(|u| !u.is_empty());
        }
    }

    /// The firmware version it runs, as four bytes (its hex text's; zeros if it is not).
    fn running(&self) -> [u8; 4] {
        crate::protocol::gbcs::parse_hex(&self.firmware)
            .ok()
            .and_then(|v| v.try_into().ok())
            .unwrap_or_default()
    }

    /// Takes in an upgrade image the DCC distributed for `from` (11.1), arriving at
    /// `arrives`, its signature checked with the key the meter trusts for its supplier.
    pub fn receive_image(
        &mut self,
        offer: &firmware_state::Offer,
        from: Eui64,
        arrives: DateTime<Utc>,
        keys: &KeyStore,
    ) {
        let (upgrade, credentials) = (self.firmware_upgrade(), self.credentials(self.gsme));
        let received = (offer, from, arrives);
        let upgrade = firmware_state::with_image(upgrade, credentials, keys, received);
        self.set_firmware_upgrade(upgrade);
    }

    /// What is due about the meter's firmware by `now`: an image's arrival told (8F72 with
    /// its hash, GBZ; or 8F1C: discarded, its signature not the supplier's the meter trusts
    /// now), or a future-dated activation carried out (its CS06 alert). The meter's state
    /// changes only once the alert is signed.
    fn firmware_due(
        &mut self,
        now: DateTime<Utc>,
        keys: &KeyStore,
    ) -> Result<Option<super::Notice>, DeviceError> {
        let (upgrade, credentials) = (self.firmware_upgrade(), self.credentials(self.gsme));
        let Some((upgrade, due)) =
            firmware_state::due(upgrade, credentials, keys, now, self.running())
        else {
            return Ok(None);
        };
        // A GBZ alert: its code, its time and, if any, the use case's own components.
        let gbz_alert = |code, at, rest: Vec<u8>| {
            Gbz::Alert {
                count: u8::from(!rest.is_empty()),
                alert_code: code,
                time: crate::protocol::gbcs::payload::to_gbcs_seconds(at).unwrap_or(0),
                rest,
            }
            .encode()
        };
        let (to, code, content, running) = match due {
            FirmwareDue::Arrived {
                to,
                at,
                hash,
                verified: true,
            } => {
                // The hash as a DLMS octet string, as the RTDS gas meter's alert has it.
                let mut rest = vec![0x09, hash.len() as u8];
                rest.extend_from_slice(&hash);
                let alert = gbz_alert(firmware::FIRMWARE_VERIFIED, at, rest);
                (to, firmware::FDRA_GSME, alert, None)
            }
            FirmwareDue::Arrived { to, at, .. } => {
                let alert = gbz_alert(firmware::FIRMWARE_VERIFICATION_FAILED, at, Vec::new());
                (to, firmware::GENERIC_CRITICAL_ALERT, alert, None)
            }
            FirmwareDue::Activated { to, alert, running } => {
                (to, firmware::CS06_ALERT, alert.encode(), Some(running))
            }
        };
        let alert = self.signed_alert(self.gsme, to, code, content, keys)?;
        self.set_firmware_upgrade(upgrade);
        if let Some(running) = running {
            self.firmware = crate::protocol::gbcs::hex(&running).into();
        }
        Ok(Some((to, vec![alert])))
    }

    /// An alert of use case `code` from `device` (the meter or its proxy) to `to`, under the
    /// meter's next alert counter, signed with the device's key; the counter moves on only if
    /// it could be signed.
    fn signed_alert(
        &mut self,
        device: Eui64,
        to: Eui64,
        code: u16,
        content: Vec<u8>,
        keys: &KeyStore,
    ) -> Result<Vec<u8>, DeviceError> {
        let counter = self.alert_counter + 1;
        let mut message = message_for(Cra::Alert, counter, device, to, code, content);
        if !sign_message(keys, &mut message) {
            return Err(DeviceError::NoKeys);
        }
        let bytes = message.to_bytes()?;
        self.alert_counter = counter;
        Ok(bytes)
    }

    /// Carries out a future-dated credentials update (CS02b) the gas meter or its proxy holds
    /// for `now`: the party told and the device's signed alert (8F66 done, 8F67 not).
    fn credentials_due(
        &mut self,
        now: DateTime<Utc>,
        keys: &KeyStore,
    ) -> Result<Option<super::Notice>, DeviceError> {
        for device in [self.gsme, self.gpf] {
            if self.credentials(device).next_due().is_none_or(|t| t > now) {
                continue;
            }
            let mut held = self.credentials(device).clone();
            let Some((update, alert)) = held.take_due(now) else {
                continue;
            };
            self.set_credentials(device, held);
            let code = credentials::alert_code(update.code);
            let alert = self.signed_alert(device, update.from, code, alert.encode(), keys)?;
            return Ok(Some((update.from, vec![alert])));
        }
        Ok(None)
    }

    /// Carries out what is due by `now` — a held payment mode change, or the tariff
    /// publications one remote party sent — and returns that party and the signed 8F66
    /// alerts telling it so, one per publication.
    pub fn due(
        &mut self,
        now: DateTime<Utc>,
        keys: &KeyStore,
    ) -> Result<Option<super::Notice>, DeviceError> {
        if let Some(notice) = self.credentials_due(now, keys)? {
            return Ok(Some(notice));
        }
        if let Some(notice) = self.firmware_due(now, keys)? {
            return Ok(Some(notice));
        }
        if self.next_due().is_none_or(|t| t > now) {
            return Ok(None);
        }
        let mode_first = match (self.pending.as_deref(), self.tariff_due()) {
            (Some(p), Some(tariff)) => p.at <= tariff,
            (mode, _) => mode.is_some(),
        };
        let done: Vec<Done> = if mode_first {
            let Some(p) = self.pending.take() else {
                return Ok(None);
            };
            self.change_mode(p.mode, p.configuration, p.code, now);
            vec![Done {
                from: p.from,
                counter: p.counter,
                code: p.code,
                header: (gbz::PREPAYMENT_CLUSTER, 0x01, gbz::CHANGE_PAYMENT_MODE),
            }]
        } else {
            self.take_due_tariff(now)
        };
        let Some(to) = done.first().map(|d| d.from) else {
            return Ok(None);
        };
        let mut alerts = Vec::with_capacity(done.len());
        for Done {
            counter,
            code,
            header: (cluster, frame_control, command),
            ..
        } in done
        {
            // The alert names the command by its use case, counter and ZCL header.
            let rest = gbz::FutureDated {
                message_code: code,
                counter,
                cluster,
                frame_control,
                command,
            }
            .encode();
            let alert = Gbz::Alert {
                count: 1,
                alert_code: gbz::FUTURE_DATED_SUCCESS,
                time: crate::protocol::gbcs::payload::to_gbcs_seconds(now).unwrap_or(0),
                rest,
            };
            let alert = alert.encode();
            alerts.push(self.signed_alert(self.gsme, to, FUTURE_DATED_ALERT, alert, keys)?);
        }
        Ok(Some((to, alerts)))
    }

    /// Gas used in `period`, litres: none before commissioning or while the valve was off.
    pub fn litres(&self, period: u32) -> u32 {
        let off = self.off.iter().any(|&(f, t)| (f..t).contains(&period));
        if period < self.commissioned || off {
            return 0;
        }
        (f64::from(self.consumer.import_wh(period)) * 1000.0 / WH_PER_M3 as f64 + 0.5) as u32
    }

    /// The consumption register at the start of `period`, litres.
    pub fn register_litres(&self, period: u32) -> u64 {
        (self.commissioned..period)
            .map(|p| u64::from(self.litres(p)))
            .sum()
    }

    /// Prepayment credit at the start of `period`, thousandths of a penny: the balance at the
    /// last top-up less the gas used since at the tariff's rate and its standing charge (which
    /// may take it below zero: the meter does not cut off the gas here). For a `period` at or
    /// after the balance was last struck (a top-up, an update, a mode change); the logs work
    /// earlier ones back.
    pub fn credit_milli_pence(&self, period: u32) -> i64 {
        // A state saved before balances were struck at commissioning holds period 0.
        let from = self.balance.period.max(self.commissioned);
        self.balance.milli_pence - self.cost(from..period)
    }

    /// What the gas used over `periods` (half-hours) costs with the standing charge,
    /// thousandths of a penny: at the flat [`Tariff`] the meter was installed with, or, once a
    /// tariff has been published to it, at the price in force each half-hour.
    pub fn cost(&self, periods: std::ops::Range<u32>) -> i64 {
        let n = periods.len() as u32;
        let Some(published) = self.tariffs.as_deref().filter(|t| t.priced) else {
            let litres: u64 = periods.map(|p| u64::from(self.litres(p))).sum();
            return self.tariff.cost(litres * WH_PER_M3 / 1000, n);
        };
        // Thousandths of a penny per kWh times Wh: divided by 1,000 once at the end. The day's
        // switches are found once a day (half-hours count from a midnight).
        let tariff = &published.tariff;
        let mut today = (u32::MAX, &[][..]);
        let energy: u128 = periods
            .map(|p| {
                if today.0 != p / 48 {
                    today = (
                        p / 48,
                        tariff.switches_on(super::period_start(p).date_naive()),
                    );
                }
                let tier = tariff::tier_of(today.1, (p % 48 * 30) as u16);
                let wh = u64::from(self.litres(p)) * WH_PER_M3 / 1000;
                u128::from(wh) * u128::from(tariff.price_of(tier))
            })
            .sum();
        let standing = u64::from(n) * u64::from(published.tariff.information.standing_charge) / 48;
        (energy / 1000) as i64 + standing as i64
    }

    /// What the gas used this month (UTC; since commissioning if later) has cost by `now`, at
    /// the tariff with its standing charge, thousandths of a penny.
    pub fn bill_to_date_milli_pence(&self, now: DateTime<Utc>) -> i64 {
        use chrono::Datelike;
        let month = now
            .date_naive()
            .with_day(1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(now, |t| t.and_utc());
        let (from, to) = (period_of(month).max(self.commissioned), period_of(now));
        self.cost(from..to.max(from))
    }

    /// Answers one GBCS command addressed to the GSME or the GPF.
    pub fn handle(
        &mut self,
        bytes: &[u8],
        now: DateTime<Utc>,
        keys: &KeyStore,
        acb: Eui64,
    ) -> Result<Vec<u8>, DeviceError> {
        let command = super::receive_command(bytes, &[self.gpf, self.gsme], keys, acb)?;
        let s = &command.signing;
        let (me, from, counter) = (s.recipient, s.originator, s.originator_counter);
        let code = command.message_code().unwrap_or(0);
        if !matches!(
            code,
            GCS13A
                | GCS14
                | GCS16A
                | GCS17
                | GCS18
                | GCS32
                | GCS38
                | GCS39
                | GCS60
                | GCS60A
                | GCS61
                | CS01B
                | GCS02
                | GCS03
                | GCS40A
                | GCS40B
                | GCS40C
                | GCS40D
                | GCS44
                | GCS07
                | GCS09
                | GCS11
                | GCS23
                | GCS24
                | GCS25
                | GCS25A
                | GCS31
                | CS11
                | CS10A
                | CS10B
                | GCS20
                | GCS20R
                | GCS41
                | GCS28
                | GCS06
                | GCS21J
                | GCS21D
                | GCS21K
                | GCS46
                | GCS15B
                | GCS15C
                | GCS15D
                | GCS15E
                | GCS16B
                | GCS01A
                | GCS01B
                | GCS21F
                | GCS05
                | GCS21B
                | GCS04
        ) && gas_settings::reads(code).is_none()
            && !join::is_han(code)
            && !credentials::is_credentials(code)
            && code != firmware::CS06
        {
            return Err(DeviceError::Unsupported(code));
        }
        // GBCS §4.3.3: the valve and payment mode commands are critical, so signed by the
        // remote party.
        let critical = matches!(
            code,
            GCS32
                | GCS39
                | GCS02
                | GCS03
                | GCS40A
                | GCS40B
                | GCS40C
                | GCS40D
                | GCS28
                | GCS06
                | GCS23
                | GCS24
                | GCS25
                | GCS25A
                | GCS01A
                | GCS01B
                | GCS05
                | GCS04
                | join::CS03C
                | join::CS04AC
        ) || credentials::is_critical(code)
            || code == firmware::CS06;
        if critical {
            self.credentials(me).check(keys, &command)?;
        }
        self.counters.check(from, counter)?;
        let (seal_for, relay) = super::SealFor::of(&command, acb)?;
        let payload = |e: String| DeviceError::Payload(e);
        // The clock and the device log are ASN.1, not ZigBee.
        let asn1 = if code == GCS28 {
            Some(self.synchronise_clock(&s.content, now)?)
        } else if code == firmware::CS06 && me == self.gsme {
            let ask =
                FirmwarePayload::decode(code, &s.content).map_err(|e| payload(e.to_string()))?;
            let FirmwarePayload::Activate { hash, at, .. } = ask else {
                return Err(payload("CS06 to a meter is an activation".into()));
            };
            let mut upgrade = self.firmware_upgrade().clone();
            let answer = upgrade.answer(&hash, at, (from, counter), self.running(), now);
            if let FirmwarePayload::Outcome(o) = &answer
                && o.status == Activation::Activated
            {
                self.firmware = crate::protocol::gbcs::hex(&o.version).into();
            }
            self.set_firmware_upgrade(upgrade);
            Some(answer.encode())
        } else if code == firmware::CS06 {
            // A gas proxy function's firmware is the comms hub's, the CSP's to upgrade.
            return Err(DeviceError::Unsupported(code));
        } else if credentials::is_credentials(code) {
            let (answer, changed) = self
                .credentials(me)
                .respond(me, code, from, counter, &s.content, now)?;
            if let Some(changed) = changed {
                self.set_credentials(me, changed);
            }
            Some(answer)
        } else if join::is_han(code) {
            let ask = join::HanPayload::decode(code, true, &s.content)
                .map_err(|e| payload(e.to_string()))?;
            // The gas proxy function's own log: its gas meter (joins go to the meter).
            if me != self.gsme {
                if ask != join::HanPayload::ReadLog {
                    return Err(DeviceError::Unsupported(code));
                }
                let meter = join::LogEntry {
                    device: self.gsme,
                    device_type: HanType::Gsme,
                };
                let log = join::HanPayload::Log {
                    code: 0,
                    entries: vec![meter],
                };
                Some(log.encode())
            } else {
                let mut log = self.device_log();
                let answer = log.answer(code, GSME_JOINS, &ask);
                if log != self.device_log() {
                    self.history_mut().device_log = Some(log);
                }
                Some(answer.encode())
            }
        } else {
            None
        };
        if let Some(content) = asn1 {
            self.counters.accept(from, counter);
            let answer = super::Answer {
                me,
                to: from,
                counter,
                code,
                critical,
                at: now,
                relay,
                on_behalf: None,
            };
            return answer.bytes(content, keys, acb);
        }
        let Gbz::Components { components } =
            Gbz::decode(&s.content, false).map_err(|e| payload(e.to_string()))?
        else {
            return Err(payload("an alert is not a command".into()));
        };
        let mut asks = Vec::with_capacity(components.len());
        for c in &components {
            if c.encrypted() {
                return Err(payload("a command component is encrypted".into()));
            }
            let ask = gas_payload(c, &c.payload)
                .map_err(|e| payload(format!("component {}: {e}", c.sequence)))?
                .ok_or_else(|| {
                    payload(format!(
                        "component {}: cluster {:04X} command {:02X} is not one this meter answers",
                        c.sequence, c.cluster, c.command
                    ))
                })?;
            asks.push((c.sequence, c.from, ask));
        }
        let mut replies = Vec::with_capacity(asks.len());
        // The registers at the midnights a daily read log asks for, worked out once for all
        // its days.
        let mut registers = Registers::default();
        // A command of several components that changes the meter (the critical 6.6, 6.7…, and
        // 6.22) is carried out whole or not at all: one whose later component the meter
        // refuses leaves it as it was.
        let changes = critical || code == GCS20;
        let before = (changes && asks.len() > 1).then(|| self.clone());
        if code == GCS01A || code == GCS01B || code == GCS05 {
            // Published whole: the calendar's profiles and seasons belong to it.
            let all: Vec<&GasPayload> = asks.iter().map(|(_, _, ask)| ask).collect();
            match self.publish_tariff(code, &all, from, counter, now) {
                Ok(r) => replies = r,
                Err(e) => {
                    if let Some(before) = before {
                        *self = before;
                    }
                    return Err(e);
                }
            }
        }
        for (_, since, ask) in asks.iter().skip(replies.len()) {
            let reply = match gas_settings::reads(code) {
                Some(reads) => self.settings(code, reads, ask, me, now),
                None if code == GCS21F || code == GCS21B => {
                    self.read_tariff(code, ask, now).map(Reply::Many)
                }
                None => {
                    let asked = Asked {
                        from,
                        counter,
                        since: *since,
                    };
                    self.answer(code, ask, asked, now, keys, &mut registers)
                }
            };
            match reply {
                Ok(reply) => replies.push(reply),
                Err(e) => {
                    if let Some(before) = before {
                        *self = before;
                    }
                    return Err(e);
                }
            }
        }
        // Encrypted components are numbered in the additional header, as in the RTDS.
        let mut sealed_count = 0u8;
        let mut out = Vec::with_capacity(replies.len());
        let replies: Vec<(u8, GasPayload, bool)> = asks
            .iter()
            .zip(replies)
            .flat_map(|((sequence, _, _), reply)| match reply {
                Reply::Clear(p) => vec![(*sequence, p, false)],
                Reply::Sealed(p) => vec![(*sequence, p, true)],
                Reply::Many(ps) => ps.into_iter().map(|p| (*sequence, p, false)).collect(),
            })
            .collect();
        let last = replies.len().saturating_sub(1);
        for (i, (sequence, p, sealed)) in replies.into_iter().enumerate() {
            let (cluster, frame_control, command) = zcl_header(&p);
            let plain = encode_gas_payload(&p);
            let (bytes, additional_header) = if sealed {
                let s = seal_for.seal(keys, me, counter, &plain)?;
                sealed_count += 1;
                (s.protected_bytes(), Some([0, sealed_count - 1]))
            } else {
                (plain, None)
            };
            out.push(Component {
                control: u8::from(i == last) | if sealed { 0x02 } else { 0 },
                cluster,
                from: None,
                additional_header,
                frame_control,
                sequence,
                command,
                payload: bytes,
            });
        }
        self.counters.accept(from, counter);
        let answer = super::Answer {
            me,
            to: from,
            counter,
            code,
            critical,
            at: now,
            relay,
            on_behalf: None,
        };
        answer.bytes(Gbz::Components { components: out }.encode(), keys, acb)
    }

    /// The answer to one command component of use case `code`, `asked` as it was: a read
    /// ([`read`](Self::read)) or a command that changes the meter ([`act`](Self::act)).
    fn answer(
        &mut self,
        code: u16,
        ask: &GasPayload,
        asked: Asked,
        now: DateTime<Utc>,
        keys: &KeyStore,
        registers: &mut Registers,
    ) -> Result<Reply, DeviceError> {
        let reply = match self.read(code, ask, asked.since, now, registers)? {
            Some(reply) => Some(reply),
            None => self.act(code, ask, asked, now, keys)?,
        };
        reply
            .ok_or_else(|| DeviceError::Payload(format!("{ask:?} is not a command of {code:#06X}")))
    }
}
