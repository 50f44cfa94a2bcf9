//! What GBCS payloads mean: the typed values of the use cases a head-end and its users handle
//! most (register reads, daily logs, half-hourly profiles, firmware version, top-up, supply
//! enable/disable and the alerts they raise), decoded from DLMS/COSEM and encoded back.
//!
//! A response's sensitive part arrives [`Sealed`]: decoding without the recipient's key gives a
//! [`Reading::Sealed`], which is all a head-end sees; with the key, the values inside.
//! Electricity use cases are here ([`dlms`]); anything else decodes to [`Reading::Other`].

mod dlms;
mod settings;
mod time;

use serde::Serialize;

pub use dlms::{
    AUXILIARY_LOADS, AlcsEvent, AlertFilter, AuxiliaryCalendar, AverageVoltage, BLOCK_TARIFFS,
    BehaviourChange, CCS01, CCS02, CCS03, CCS07, CHANNEL_CHANGED, CHANNEL_PAGES, CS01A,
    CalendarEntry, ChannelMask, ControllerLevel, DBCH02, DBCH04, DBCH05,
    DEBT_RECOVERY_CAP_PERIOD_S, DayProfile, Debt, DebtRecovery, ECS01A, ECS01B, ECS01C, ECS01D,
    ECS02, ECS03, ECS04A, ECS04B, ECS05, ECS07, ECS08, ECS08A, ECS09, ECS10, ECS12, ECS14, ECS15A,
    ECS15C, ECS16, ECS17A, ECS17B, ECS17C, ECS17D, ECS17E, ECS19, ECS20A, ECS20B, ECS20C, ECS20D,
    ECS21A, ECS21B, ECS21C, ECS22A, ECS22B, ECS22C, ECS23, ECS25A, ECS25A1, ECS25A2, ECS25A3,
    ECS25B, ECS25B3, ECS26J, ECS28A, ECS28B, ECS29A, ECS29B, ECS29C, ECS29D, ECS29E, ECS29F, ECS30,
    ECS30A, ECS34, ECS35A, ECS35B, ECS35C, ECS35D, ECS35E, ECS35F, ECS35G, ECS37, ECS38, ECS39A,
    ECS39B, ECS40, ECS42, ECS43, ECS44, ECS45, ECS46A, ECS46C, ECS46D, ECS47, ECS47A, ECS47E,
    ECS48, ECS52, ECS57, ECS61C, ECS62, ECS66, ECS70, ECS81, ECS82, ESME_FUTURE_DATED_ALERT,
    LevelAction, LoadLimit, NonDisablementEntry, PRIMARY_TOU_RATES, PanBackup, PanDevice,
    PayloadError, PrepayConfiguration, PrimaryPrices, RTDS_SUB_GHZ_CONFIGURATION, Recurrence,
    SECONDARY_TOU_RATES, ScheduledAction, Season, SecondaryPrices, SubGhzConfiguration,
    SwitchCommand, SwitchingTable, TariffAction, TariffUpdate, VoltageSettings, WeekProfile,
    account_mode_response, action_results_response, active_power_response, alcs_event_log_response,
    alert_notification, auxiliary_calendar_outcomes, auxiliary_schedule_data, backup_response,
    behaviours, boost_response, calendar_data, channel_change_detail, channel_mask_data,
    clock_response, configuration_response, credit_charge_configuration, decode_dlms,
    decode_plaintext, device_log_add_response, encode_command, encode_dlms, event_log_response,
    export_registers_response, firmware_receipt_notification, firmware_response,
    future_dated_alert, invoke_id, load_limit_outcomes, log_response, message_for,
    meter_balance_response, meter_points_response, network_data_response, outcome_response,
    payment_mode_outcomes, phase_of_object, power_event_log_response,
    prepay_configuration_outcomes, primary_price_data, sealed_response, secondary_price_data,
    security_log_response, set_results_response, settings_response, special_days_data,
    switching_data, tariff_outcomes, thresholds_data, unit_charge,
};
pub use settings::{
    CCS04, CCS06, DBCH01, DBCH03, ECS18A, ECS18B, ECS24, ECS24B, ECS25R1, ECS25R2, ECS26A, ECS26B,
    ECS26C, ECS26D, ECS26E, ECS26F, ECS26I, ECS27, ECS61A, ECS61D, ECS61E, MaxDemandRegister,
    Setting, SettingValue, max_demand_period, max_demand_period_of, name_values, settings,
};
pub use time::{from_gbcs_seconds, to_gbcs_seconds};

use super::sealed::Sealed;
use chrono::{DateTime, NaiveTime, Utc};

use crate::model::Eui64;

/// A DLMS physical unit (IEC 62056-6-2 Blue Book unit table), raw value kept when unnamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum Unit {
    Watt,
    VoltAmpere,
    Var,
    WattHour,
    VoltAmpereHour,
    VarHour,
    CubicMetre,
    /// No unit (a count).
    Count,
    Other(u8),
}

impl Unit {
    pub fn from_dlms(code: u8) -> Unit {
        match code {
            27 => Unit::Watt,
            28 => Unit::VoltAmpere,
            29 => Unit::Var,
            30 => Unit::WattHour,
            31 => Unit::VoltAmpereHour,
            32 => Unit::VarHour,
            13 => Unit::CubicMetre,
            255 => Unit::Count,
            other => Unit::Other(other),
        }
    }

    pub fn dlms_code(self) -> u8 {
        match self {
            Unit::Watt => 27,
            Unit::VoltAmpere => 28,
            Unit::Var => 29,
            Unit::WattHour => 30,
            Unit::VoltAmpereHour => 31,
            Unit::VarHour => 32,
            Unit::CubicMetre => 13,
            Unit::Count => 255,
            Unit::Other(c) => c,
        }
    }
}

impl From<Unit> for String {
    fn from(u: Unit) -> String {
        match u {
            Unit::Watt => "W".into(),
            Unit::VoltAmpere => "VA".into(),
            Unit::Var => "var".into(),
            Unit::WattHour => "Wh".into(),
            Unit::VoltAmpereHour => "VAh".into(),
            Unit::VarHour => "varh".into(),
            Unit::CubicMetre => "m3".into(),
            Unit::Count => "count".into(),
            Unit::Other(c) => format!("unit {c}"),
        }
    }
}

/// A register value: `raw × 10^scaler` in `unit`. A twin-element meter sends its second
/// element's register after the first's without a scaler and unit of its own: those share the
/// previous register's, and `own_scale` is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Register {
    pub raw: u32,
    pub scaler: i8,
    pub unit: Unit,
    pub own_scale: bool,
}

impl Register {
    pub fn value(&self) -> f64 {
        f64::from(self.raw) * 10f64.powi(i32::from(self.scaler))
    }
}

/// One entry of a profile or log: the period's start (UTC) and its values, in the unit the use
/// case fixes (Wh for electricity energy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub values: Vec<u32>,
}

/// One day of an ESME's daily read log (ECS21a): register snapshots at midnight, Wh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailyRead {
    pub at: DateTime<Utc>,
    /// Total active import (then, on a twin-element meter, the second element's total).
    pub totals: Vec<u32>,
    /// Register arrays in the meter's order: the 48 time-of-use registers, on a twin-element
    /// meter the second element's four, then the four TOU blocks' eight block registers.
    pub registers: Vec<Vec<u32>>,
}

/// One entry of the prepayment billing data log (ECS20c): the prepayment registers at a
/// billing period's end, in the currency unit (1/100,000 £), in the order ECS19 reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrepaymentEntry {
    pub at: DateTime<Utc>,
    pub meter_balance: i32,
    pub emergency_credit: i32,
    pub accumulated_debt: i32,
    pub payment_debt: i32,
    pub time_debt: [i32; 2],
}

impl PrepaymentEntry {
    /// The six registers, in the order GBCS sends them.
    pub fn registers(&self) -> [i32; 6] {
        [
            self.meter_balance,
            self.emergency_credit,
            self.accumulated_debt,
            self.payment_debt,
            self.time_debt[0],
            self.time_debt[1],
        ]
    }

    /// The entry at `at` of the six registers, in the order GBCS sends them.
    pub fn of_registers(at: DateTime<Utc>, registers: [i32; 6]) -> PrepaymentEntry {
        let [
            meter_balance,
            emergency_credit,
            accumulated_debt,
            payment_debt,
            t1,
            t2,
        ] = registers;
        PrepaymentEntry {
            at,
            meter_balance,
            emergency_credit,
            accumulated_debt,
            payment_debt,
            time_debt: [t1, t2],
        }
    }
}

/// One entry of a meter's event log (ECS35a) or security log (ECS35b): when, the event code
/// (GBCS's event and alert code table: 0x8154 a command actioned, 0x8F51 a duplicate UTRN…)
/// and, in the event log, its details (for a command actioned, the command's message code; the
/// security log has none: empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedEvent {
    pub at: DateTime<Utc>,
    #[serde(serialize_with = "code_hex")]
    pub code: u16,
    #[serde(serialize_with = "hex_of")]
    pub detail: Vec<u8>,
}

/// One entry of a meter's power event log (ECS35e): when, the event code (0x8F57 supply
/// interrupted, 0x8F36 restored after three minutes or more, voltage events…) and the entry's
/// number in the log's running count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PowerEvent {
    pub at: DateTime<Utc>,
    #[serde(serialize_with = "code_hex")]
    pub code: u16,
    pub number: u32,
}

fn hex_of<S: serde::Serializer>(bytes: &[u8], ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(&super::hex(bytes))
}

/// A value as it prints.
fn as_text<T: std::fmt::Display, S: serde::Serializer>(v: &T, ser: S) -> Result<S::Ok, S::Error> {
    ser.collect_str(v)
}

/// An alert or event code as GBCS and DUIS write it: four hex digits (`8F36`).
fn code_hex<S: serde::Serializer>(code: &u16, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(&format!("{code:04X}"))
}

/// What a future-dated command's alert (8F66, 8F67) points back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FutureDatedOutcome {
    /// The message code of the command that was held for later.
    pub message_code: u16,
    /// That command's originator counter.
    pub originator_counter: u64,
    pub class_id: u16,
    #[serde(serialize_with = "as_text")]
    pub instance: crate::protocol::dlms::Obis,
    pub attribute: i8,
}

/// When a payment mode change (1.6) is to take effect: at once, at a time (the meter holds it
/// until then), or never — cancelling one the meter holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Now,
    At(DateTime<Utc>),
    Cancel,
}

/// The payment mode a 1.6 command sets: credit (ECS02), or prepayment (ECS03) with its
/// disablement threshold (in the meter's currency unit) and whether time-based debt recovery
/// stops while the supply is disabled or emergency credit is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum NewPaymentMode {
    Credit,
    Prepayment {
        disablement_threshold: i32,
        suspend_debt_disabled: bool,
        suspend_debt_emergency: bool,
    },
}

/// One execution time of a billing calendar (a single action schedule's, IC 22 attribute 4):
/// a COSEM time (hour, minute, second, hundredths) and date (year, month, day, weekday) whose
/// `FF` fields repeat — `[FF, FF, FF, 1, FF]` the first of every month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BillingExecution {
    pub time: [u8; 4],
    pub date: [u8; 5],
}

impl BillingExecution {
    /// As a billing calendar's entry is sent: a structure of the two octet strings.
    pub fn to_data(self) -> crate::protocol::dlms::Data {
        use crate::protocol::dlms::Data;
        Data::Structure(vec![
            Data::OctetString(self.time.to_vec()),
            Data::OctetString(self.date.to_vec()),
        ])
    }
}

/// The meaning of a GBCS payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reading {
    /// 4.1.1 ECS17b: instantaneous import registers.
    ImportRegisters { registers: Vec<Register> },
    /// 4.6.1 ECS21a: the daily read log over the requested days.
    DailyReadLog { days: Vec<DailyRead> },
    /// 4.4.3 ECS20c: the billing data log the billing calendar triggers — the registers at
    /// each billing period's end (laid out as the daily read log's entries) and the prepayment
    /// registers then.
    BillingCalendarLog {
        entries: Vec<DailyRead>,
        prepayment: Vec<PrepaymentEntry>,
    },
    /// 4.4.2 ECS20b: the billing data log a change of payment mode (or tariff) triggers — at
    /// each change, the registers (laid out as the daily read log's entries) and the prepayment
    /// registers, one entry of each, at the same times.
    ChangeOfModeLog {
        entries: Vec<DailyRead>,
        prepayment: Vec<PrepaymentEntry>,
    },
    /// 4.14 ECS21b: the prepayment daily read log — the prepayment registers at each midnight.
    PrepaymentDailyReadLog { days: Vec<PrepaymentEntry> },
    /// 4.8.1 ECS22b: half-hourly active import, Wh per period.
    ActiveImportProfile { intervals: Vec<Interval> },
    /// 4.8.3 ECS22a: half-hourly export profile, per period: active export (Wh) and reactive
    /// export (varh).
    ExportProfile { intervals: Vec<Interval> },
    /// 4.8.2 ECS22c: half-hourly reactive import, varh per period.
    ReactiveImportProfile { intervals: Vec<Interval> },
    /// 4.6.2 ECS21c: the export register at each midnight of the requested days, Wh.
    ExportDailyReadLog { days: Vec<Interval> },
    /// 4.2 ECS17a: the instantaneous export registers, active (Wh) and reactive (varh).
    ExportRegisters { active_wh: u32, reactive_varh: u32 },
    /// 4.16 ECS17c: active power import now, W (the meter's total, then its second value as
    /// the RTDS lays it out: the same figure on a single-element meter).
    ActivePowerImport { watts: u32, second: u32 },
    /// 4.10 ECS23: network data — the counts of voltage sags and swells, and the average RMS
    /// voltage log over the requested period (V, one entry per capture period).
    NetworkData {
        sags: u32,
        swells: u32,
        voltages: Vec<Interval>,
        capture_period_s: u32,
    },
    /// 4.17 ECS66: daily consumption, Wh per day.
    DailyConsumptionLog { days: Vec<Interval> },
    /// 4.18 ECS82: the meter balance, in the meter's currency unit (1/100,000 of a pound,
    /// thousandths of a penny); below zero when more is owed than credited.
    MeterBalance { balance: i32 },
    /// 4.1.2 ECS17d / 4.1.3 ECS17e: the TOU registers (ECS17d: 48, and on a twin-element
    /// meter its second element's 4) or the TOU-with-blocks registers (ECS17e: 64), Wh, one
    /// matrix per element.
    TouRegisters { matrices: Vec<Vec<u32>> },
    /// 4.4.4 ECS20a / 4.4.5 ECS20d: a billing data log over the period asked for — the
    /// payment-based debt payments, or the prepayment credits (top-ups): each entry's time
    /// and amount, in the meter's currency unit (1/100,000 of a pound).
    BillingDataLog { entries: Vec<Interval> },
    /// 4.3 ECS19: the prepayment registers, in the meter's currency unit (1/100,000 of a
    /// pound): the meter balance, the emergency credit balance, the accumulated debt register,
    /// the payment-based debt register and the two time-based debt registers.
    PrepayValues {
        meter_balance: i32,
        emergency_credit: i32,
        accumulated_debt: i32,
        payment_debt: i32,
        time_debt: [i32; 2],
    },
    /// 6.2.1–6.2.5, 4.15 and 4.12 (ECS26b–f, ECS27, ECS18a–b): a meter's settings and
    /// registers read as a list of attributes, each value named.
    Settings { values: Vec<SettingValue> },
    /// 6.18.1 ECS37: the maximum demand configurable time period, when it starts and ends each
    /// day (UTC).
    MaxDemandPeriod { start: NaiveTime, end: NaiveTime },
    /// 6.18.2 ECS57: the maximum demand registers to reset, in GBCS's order.
    ResetMaxDemand { registers: Vec<MaxDemandRegister> },
    /// 6.2.9 ECS26j: the payment mode in force (credit or prepayment) and the account's
    /// status (2: active, as the RTDS meter answers).
    AccountMode { prepayment: bool, status: u8 },
    /// 6.2.7 ECS40: the MPANs the meter is configured with, as their digits: the import MPAN
    /// (a twin-element meter's two one after the other) and the export MPAN (empty if unset).
    MeterPoints { import: String, export: String },
    /// 6.13 ECS35a: the events the meter logged in the period asked for, oldest first.
    EventLog { events: Vec<LoggedEvent> },
    /// 6.13 ECS35b: the security events the meter logged in the period (no details).
    SecurityLog { events: Vec<LoggedEvent> },
    /// 6.13 ECS35f / ECS35g: the ALCS events the meter logged in the period.
    AlcsEventLog { events: Vec<AlcsEvent> },
    /// 6.13 ECS35e: the power events the meter logged in the period.
    PowerEventLog { events: Vec<PowerEvent> },
    /// 11.2 ECS52: the firmware version the meter reports.
    FirmwareVersion { version: String },
    /// 2.2 CS01a command: a top-up code (UTRN) to enter.
    TopUp { utrn: String },
    /// 1.5 ECS04a command (critical): add `amount` to the meter balance (currency units,
    /// 1/100,000 of a pound; below nought takes off).
    AdjustBalance { amount: i32 },
    /// 1.5 ECS04b command (critical): set the meter balance and the two other credits to
    /// nought.
    ResetBalance,
    /// 2.5 ECS09 command (critical): give the customer the emergency credit.
    ActivateEmergencyCredit,
    /// 3.1 ECS10 command: a message from the supplier for the meter to display.
    DisplayMessage { message: String },
    /// 6.11 ECS70 command (critical): synchronise the clock if it is within `from`..=`to`
    /// (DUIS's CurrentDateTime and its TolerancePeriod after).
    SynchroniseClock {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// 6.11 ECS70's answer: the meter's clock after it, and the clock's status (0: good).
    Clock { time: DateTime<Utc>, status: u8 },
    /// 3.4 ECS16 command: the supplier's name and telephone number, for the meter to show.
    SupplierName { name: String, telephone: String },
    /// 6.12 ECS34 command: the instantaneous power thresholds, low to medium and medium to
    /// high, W.
    PowerThresholds { low_medium: u32, medium_high: u32 },
    /// 7.12 ECS38 command (critical): the longest a meter may delay, s (0 to 1,799), what it
    /// does at a random offset (DCC's RandomisedOffsetLimit).
    RandomisedOffsetLimit { seconds: u16 },
    /// 7.5, 7.6 and 7.8 ECS47 command (critical): auxiliary load switch `switch` (1 to 5) on
    /// or off for a while, or back to its calendar.
    AuxiliaryLoad { switch: u8, command: SwitchCommand },
    /// 7.9 / 7.10 ECS62 command: whether the boost button turns each of the five switches on.
    BoostLoads { on_boost: [bool; AUXILIARY_LOADS] },
    /// 6.14.1 ECS46a command (critical): the switches' descriptions (DUIS: up to 22 printable
    /// ASCII characters); `None` leaves one as it is.
    SwitchDescriptions {
        descriptions: Box<[Option<String>; AUXILIARY_LOADS]>,
    },
    /// 6.14.2 ECS46c / 6.14.3 ECS46d command (critical): the auxiliary load calendar (and
    /// 6.14.2's switch HAN ids), taken up at once or at a time (the meter's two 8F66 alerts
    /// then say so), or cancelling one held.
    AuxiliaryCalendar {
        calendar: Box<AuxiliaryCalendar>,
        activation: Activation,
    },
    /// 6.28 DBCH04 command: a dual band comms hub's sub-GHz configuration.
    SubGhzConfiguration(SubGhzConfiguration),
    /// 6.29 DBCH05 command: scan for a sub-GHz channel.
    ChannelScan,
    /// 6.22 ECS25a, a1, a2, a3, b, b3 command: the alert codes whose behaviour (WAN alert, HAN
    /// alert, audible alarm, logging: the use case says which, and whose) is enabled or
    /// disabled.
    AlertBehaviour(Box<BehaviourChange>),
    /// 8.12.1 CCS03 command: the network (its extended PAN ID, its devices and their keys) a
    /// comms hub is to take over from the one it replaces.
    RestorePan(Box<PanBackup>),
    /// 8.9 CCS07's answer: a comms hub's networks backed up, each its time, extended PAN ID,
    /// devices and keys.
    PanBackups { backups: Vec<PanBackup> },
    /// 7.11 ECS61c's answer: whether the boost button is boosting, its boosts within the
    /// period asked for (each its start and end), and which switches it turns on.
    BoostButton {
        boosting: bool,
        boosts: Vec<(DateTime<Utc>, DateTime<Utc>)>,
        on_boost: [bool; AUXILIARY_LOADS],
    },
    /// 7.13 ECS47a / 7.16 ECS47e command (critical): an auxiliary controller's level over a
    /// period.
    ControllerLevel(ControllerLevel),
    /// 6.4.1 ECS28a command (critical): the load limiting settings, taken up at once or at a
    /// time (the meter's 8F66 alerts then say so), or cancelling those held.
    LoadLimitSettings {
        settings: LoadLimit,
        activation: Activation,
    },
    /// 2.1 ECS08 / ECS08a command (critical): the prepayment configuration, taken up at once
    /// or at a time (the meter's 8F66 alerts then say so), or cancelling one held.
    PrepayConfiguration {
        configuration: Box<PrepayConfiguration>,
        activation: Activation,
    },
    /// 1.1 / 1.2 ECS01a–d command (critical): a tariff or its prices, primary or secondary
    /// element ([`TariffUpdate::code`] says which use case), taken up at once or at a time
    /// (the meter's 8F66 alerts then say so), or cancelling one held.
    Tariff {
        update: Box<TariffUpdate>,
        activation: Activation,
    },
    /// 2.3 ECS07 command (critical): the meter's debts and their recovery.
    UpdateDebt(Debt),
    /// 6.4.2 ECS28b command: reset the load limit counter.
    ResetLoadLimitCounter,
    /// 6.5 ECS29a–d command: the voltage settings (which of the four use cases follows from
    /// the phases given and whether the counters are reset: [`VoltageSettings::code`]).
    VoltageSettings(VoltageSettings),
    /// 6.27 ECS29e (one phase) / ECS29f (three) command: reset the RMS voltage sag and swell
    /// counters.
    ResetVoltageCounters { phases: u8 },
    /// 6.25 ECS81 command (critical): lock the supply when it is tampered with (DUIS's
    /// SupplyTamperState Locked) or not (Unchanged).
    SupplyTamperState { locked: bool },
    /// 6.26 ECS48 command (critical): reset the tariff block counter matrix every midnight,
    /// or not.
    DailyBlockCounterReset { daily: bool },
    /// 1.7 ECS05 command (critical): reset the tariff block counter matrix now.
    ResetBlockCounters,
    /// 3.2 ECS12 command (change of tenancy): the meter gives no data recorded before `from`.
    RestrictData { from: DateTime<Utc> },
    /// 6.20.1 ECS39a / 6.20.2 ECS39b command: the import MPAN's digits to set (a
    /// twin-element meter's two, one after the other), or the export MPAN's.
    SetMeterPoint { export: bool, digits: String },
    /// 6.8 ECS30 / ECS30a command (critical): the billing calendar's execution times.
    BillingCalendar { executions: Vec<BillingExecution> },
    /// 3.3 ECS15a command: clear the event log.
    ClearEventLog,
    /// 3.5 ECS14 command: disable the privacy PIN protection.
    DisablePrivacyPin,
    /// 7.1 ECS42 / 7.2 ECS43 / 7.3 ECS44 command: supply enable, disable or arm, by the
    /// disconnect script (51, 52, 54); `enable` only for 7.1.
    Supply { enable: bool, script: u16 },
    /// 7.4 ECS45's answer: the disconnect control's state (0 disconnected, 1 connected, 2
    /// ready for reconnection: armed).
    SupplyStatus { state: u8 },
    /// 1.6 ECS02 / ECS03 command: the account's payment mode from `activation`, for a
    /// single- or twin-element meter.
    PaymentMode {
        mode: NewPaymentMode,
        activation: Activation,
        twin_element: bool,
    },
    /// 8.11 CCS01 command: let `device` join the comms hub's network (add it to the device
    /// log) with its install code, joining open for `join_timeout_s`. The two enumerations of
    /// the register_device parameters (1 and 0 in the RTDS command) are read as key type and
    /// device type.
    DeviceLogAdd {
        device: Eui64,
        key_type: u8,
        install_code: String,
        device_type: u8,
        join_timeout_s: u16,
    },
    /// 8.11 CCS02 command: remove `device` from the comms hub's device log.
    DeviceLogRemove { device: Eui64 },
    /// A request for a range: the first and last period asked for.
    Range {
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    },
    /// A request for current values.
    Read,
    /// A response with no values: whether every part succeeded, and the first failure code.
    Outcome { success: bool, code: u8 },
    /// A device alert. `outage` is set for supply-restored alerts (8F35–8F3C): when the supply
    /// went off and when it came back. `future_dated` for 8F66/8F67.
    Alert {
        #[serde(serialize_with = "code_hex")]
        code: u16,
        name: &'static str,
        at: Option<DateTime<Utc>>,
        outage: Option<(DateTime<Utc>, DateTime<Utc>)>,
        future_dated: Option<FutureDatedOutcome>,
    },
    /// Values encrypted for the recipient; no key to open them here.
    Sealed {
        #[serde(serialize_with = "sealed_summary")]
        sealed: Sealed,
    },
    /// A payload this module does not interpret; the frame still decodes. `values`: its DLMS
    /// values as they decode, for a person to read (none when they are not DLMS, or do not
    /// decode).
    Other {
        reason: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        values: Vec<crate::protocol::dlms::Data>,
    },
}

fn sealed_summary<S: serde::Serializer>(s: &Sealed, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(&format!(
        "{} bytes encrypted by {} for {}",
        s.ciphertext.len(),
        s.originator,
        s.recipient
    ))
}

/// Whether a device's response to use case `code` carries its date-time in the GBCS header:
/// those of instantaneous reads, top-ups and the commands that may be future-dated, as every
/// RTDS response of them does (of the use cases dccsim's devices answer).
pub fn response_is_dated(code: u16) -> bool {
    use crate::device::{CS01B, GCS02, GCS03, GCS13A, GCS14, GCS60A};
    matches!(
        code,
        CS01A
            | ECS02
            | ECS03
            | ECS17A
            | ECS17B
            | ECS17C
            | ECS17D
            | ECS17E
            | ECS18A
            | ECS18B
            | ECS19
            | ECS23
    ) || matches!(code, CS01B | GCS02 | GCS03 | GCS13A | GCS14 | GCS60A)
        || crate::protocol::gbcs::credentials::Mode::of_code(code).is_some()
}

/// A date-time as a device writes it in a GBCS header or a COSEM octet string: 12 bytes, the
/// day of week and clock status unspecified, no deviation (UTC).
pub fn date_time_octets(t: DateTime<Utc>) -> Vec<u8> {
    dlms::date_time_octets(t)
}

/// The name of a device alert code (GBCS Table 16.2, the codes this crate raises or reads).
pub fn alert_name(code: u16) -> &'static str {
    match code {
        0x8F35 => "Supply Outage Restored",
        0x8F36 => "Supply Outage Restored - Outage >= 3 minutes",
        0x8F37..=0x8F3C => "Supply Outage Restored on a phase",
        0x8F66 => "Future-date HAN Interface Command Successfully Actioned",
        0x8F67 => "Future-date HAN Interface Command not Successfully Actioned",
        0x8F30 => "Source does not have Authority for Command",
        0x8F0A => "Billing Data Log Updated",
        _ => "device alert",
    }
}
