//! The electricity (DLMS/COSEM) use cases: which COSEM objects and data shapes each carries,
//! per GBCS and the RTDS 4.5.0 vectors.
//!
//! Sensitive responses (ECS17b, ECS21a, ECS22b, ECS66) answer a `get_protected_attributes`
//! action on a Data Protection object (class 30, `0-0:43.2.x.255`) with a structure of the
//! protection parameters (transaction id, originator and recipient system titles) and the
//! protected data (security header ‖ ciphertext ‖ tag); the plaintext is one value per
//! requested attribute.

use chrono::{DateTime, Utc};

use super::settings::{
    MAX_DEMAND_PERIOD, MaxDemandRegister, max_demand_period, max_demand_period_of, name_values,
    settings,
};
use super::time::{from_gbcs_seconds, to_gbcs_seconds};
use super::{
    Activation, BillingExecution, DailyRead, FutureDatedOutcome, Interval, LoggedEvent,
    NewPaymentMode, PowerEvent, PrepaymentEntry, Reading, Register, Unit, alert_name,
};
use crate::model::Eui64;
use crate::protocol::dlms::{
    AccessRequest, AccessResponse, Apdu, CosemDateTime, Data, DataNotification, RequestSpec,
    ResponseSpec, TypeDescription,
};
use crate::protocol::gbcs::crypto::KeyStore;
use crate::protocol::gbcs::frame::{Cra, GbcsMessage};
use crate::protocol::gbcs::sealed::{SealError, Sealed};

pub const ECS17A: u16 = 0x0026;
pub const ECS17B: u16 = 0x0027;
/// 4.1.2 to an ESME: its TOU registers (sealed).
pub const ECS17D: u16 = 0x0029;
/// 4.1.3 to an ESME: its TOU-with-blocks registers (sealed).
pub const ECS17E: u16 = 0x002A;
pub const ECS17C: u16 = 0x0028;
/// 4.4.4 to an ESME: its billing data log of payment-based debt payments.
pub const ECS20A: u16 = 0x002E;
/// 4.4.5 to an ESME: its billing data log of prepayment credits.
pub const ECS20D: u16 = 0x00C9;
/// ECS20b: 4.4.2, the billing data log a change of mode or tariff triggers (sealed).
pub const ECS20B: u16 = 0x002F;
/// ECS20c: 4.4.3, the billing data log the billing calendar triggers (sealed).
pub const ECS20C: u16 = 0x0030;
/// 3.1 to an ESME: display a message from the supplier.
pub const ECS10: u16 = 0x0021;
/// 3.2 to an ESME: restrict the data it gives to that from a date (change of tenancy).
pub const ECS12: u16 = 0x0022;
/// 3.5 to an ESME: disable its privacy PIN protection.
pub const ECS14: u16 = 0x0023;
/// 3.3 to an ESME: clear its event log.
pub const ECS15A: u16 = 0x0024;
/// 6.8 to an ESME: update its billing calendar (critical) — ECS30 a monthly one, ECS30a any
/// (as the RTDS sends its monthly and quarterly calendars).
pub const ECS30: u16 = 0x0046;
pub const ECS30A: u16 = 0x00D7;
/// 6.20.1 / 6.20.2 to an ESME: set its import MPAN(s), its export MPAN.
pub const ECS39A: u16 = 0x004C;
pub const ECS39B: u16 = 0x004D;
/// 4.3 to an ESME: its prepayment registers (sealed).
pub const ECS19: u16 = 0x002D;
pub const ECS21A: u16 = 0x0033;
/// 4.14 Read Prepayment Daily Read Log: the meter balance and debts at each midnight.
pub const ECS21B: u16 = 0x0034;
pub const ECS21C: u16 = 0x0035;
pub const ECS22A: u16 = 0x0036;
pub const ECS22B: u16 = 0x0037;
pub const ECS22C: u16 = 0x0038;
pub const ECS23: u16 = 0x0039;
pub const ECS42: u16 = 0x004F;
pub const ECS43: u16 = 0x0050;
pub const ECS52: u16 = 0x0059;
pub const ECS66: u16 = 0x0060;
/// 6.13 to an ESME: its event log over a period.
pub const ECS35A: u16 = 0x0048;
/// 6.13 to an ESME: its security log over a period.
pub const ECS35B: u16 = 0x0049;
/// 6.13 to a comms hub (the Access Control Broker's, for a user): its event log, and its
/// security log, over a period, read as an ESME's are.
pub const ECS35C: u16 = 0x0093;
pub const ECS35D: u16 = 0x0094;
/// 6.13 to an ESME: its power event log over a period.
pub const ECS35E: u16 = 0x00B9;
/// 6.2.7 to an ESME: the MPANs it is configured with.
pub const ECS40: u16 = 0x004E;
/// 4.18 to an ESME: the meter balance.
pub const ECS82: u16 = 0x0069;
pub const CS01A: u16 = 0x0007;
/// 1.6 to an ESME: to credit mode, to prepayment mode (critical).
pub const ECS02: u16 = 0x001A;
pub const ECS03: u16 = 0x001B;
/// 7.3 to an ESME (critical): arm the supply (the disconnect script's 54).
pub const ECS44: u16 = 0x0051;
/// 7.4 to an ESME: read the supply's state.
pub const ECS45: u16 = 0x0052;
/// 2.5 to an ESME (critical): activate emergency credit.
pub const ECS09: u16 = 0x0020;
/// 6.11 to an ESME (critical): synchronise its clock.
pub const ECS70: u16 = 0x0062;
/// 3.4 to an ESME: the supplier's name and telephone number.
pub const ECS16: u16 = 0x0025;
/// 1.5 to an ESME (critical): adjust its meter balance, reset it (in either payment mode: the
/// commands carry none).
pub const ECS04A: u16 = 0x001C;
pub const ECS04B: u16 = 0x00B3;
/// 6.12 to an ESME: set its instantaneous power thresholds.
pub const ECS34: u16 = 0x0047;
/// 7.12 to an ESME (critical): set its randomised offset limit.
pub const ECS38: u16 = 0x004B;
/// 6.18.1 to an ESME: set its maximum demand configurable time period.
pub const ECS37: u16 = 0x004A;
/// 6.18.2 to an ESME: reset maximum demand registers.
pub const ECS57: u16 = 0x005A;
/// 6.2.9 to an ESME: read its payment mode.
pub const ECS26J: u16 = 0x00BE;
/// The message code of an ESME's alert on a future-dated command it carried out (8F66).
pub const ESME_FUTURE_DATED_ALERT: u16 = 0x00CC;
/// 8.11 to a comms hub: add a device to its device log, or remove one.
pub const CCS01: u16 = 0x0001;
pub const CCS02: u16 = 0x0002;

/// Class ids of the COSEM objects these use cases touch.
const DATA: u16 = 1;
const REGISTER: u16 = 3;
const PROFILE_GENERIC: u16 = 7;
/// ECS23's objects: the counts of voltage sags and swells (registers), and the average RMS
/// voltage log (a profile).
const VOLTAGE_SAGS: [u8; 6] = [1, 0, 32, 32, 0, 4];
/// Active energy export, total (1-0:2.8.0.255).
const ACTIVE_EXPORT_REGISTER: [u8; 6] = [1, 0, 2, 8, 0, 255];
/// Reactive energy export, total (1-0:4.8.0.255).
const REACTIVE_EXPORT_REGISTER: [u8; 6] = [1, 0, 4, 8, 0, 255];
const VOLTAGE_SWELLS: [u8; 6] = [1, 0, 32, 36, 0, 4];
const AVERAGE_VOLTAGE_LOG: [u8; 6] = [1, 0, 32, 24, 0, 255];
const SCRIPT_TABLE: u16 = 9;
/// The disconnect control (IC 70, `0-0:96.3.10.255`): its control state (attribute 3: 0
/// disconnected, 1 connected, 2 ready for reconnection), which 7.4 reads.
const DISCONNECT_CONTROL: u16 = 70;
const DISCONNECT_CONTROL_OBIS: [u8; 6] = [0, 0, 96, 3, 10, 255];
const CONTROL_STATE: i8 = 3;
const SCHEDULE: u16 = 10;
const EXTENDED_REGISTER: u16 = 4;
/// The Credit class (IC 112); ECS82 reads the meter balance, `0-0:19.10.0.255`, attribute 2
/// (current_credit_amount).
const CREDIT: u16 = 112;
const METER_BALANCE: [u8; 6] = [0, 0, 19, 10, 0, 255];
/// The credits a reset of the meter balance (ECS04b) sets to nought, in its order: the meter
/// balance, the emergency credit (`0-0:19.10.1.255`) and credit 2 (`0-0:19.10.2.255`).
const RESET_CREDITS: [[u8; 6]; 3] = [METER_BALANCE, EMERGENCY_CREDIT, [0, 0, 19, 10, 2, 255]];
/// The emergency credit (`0-0:19.10.1.255`), which a 2.5 invokes.
const EMERGENCY_CREDIT: [u8; 6] = [0, 0, 19, 10, 1, 255];
/// The Credit class's methods: update_amount (adds its parameter), set_amount_to_value,
/// invoke_credit.
const UPDATE_AMOUNT: i8 = 1;
const SET_AMOUNT_TO_VALUE: i8 = 2;
const INVOKE_CREDIT: i8 = 3;
/// The ESME's event log (a profile: time stamp, event code, details).
const EVENT_LOG: [u8; 6] = [0, 0, 99, 98, 0, 255];
/// The ESME's security log (time stamp, event code).
const SECURITY_LOG: [u8; 6] = [0, 0, 99, 98, 1, 255];
/// The ESME's power event log (time stamp, event code, the entry's number).
const POWER_EVENT_LOG: [u8; 6] = [0, 0, 99, 98, 4, 255];
/// The supplier message a 3.1 sets (`0-2:96.13.1.255`), the restrict data date-time a 3.2 sets
/// (`0-0:94.44.3.2`) and the privacy PIN protection a 3.5 disables (`0-0:94.44.3.1`), each
/// attribute 2 of a Data object.
const SUPPLIER_MESSAGE: [u8; 6] = [0, 2, 96, 13, 1, 255];
/// The billing calendar: a single action schedule (IC 22) whose execution times (attribute 4)
/// a 6.8 sets and 6.2.3 reads.
const SINGLE_ACTION_SCHEDULE: u16 = 22;
const BILLING_CALENDAR: [u8; 6] = [0, 0, 15, 0, 0, 255];
const RESTRICT_DATA: [u8; 6] = [0, 0, 94, 44, 3, 2];
/// The instantaneous power thresholds a 6.12 sets and 6.2.5 reads: a register monitor (IC 21,
/// `0-0:16.0.0.255`) whose thresholds (attribute 2) are the low-to-medium and medium-to-high
/// power thresholds, W.
const REGISTER_MONITOR: u16 = 21;
const POWER_THRESHOLDS: [u8; 6] = [0, 0, 16, 0, 0, 255];
/// The randomised offset limit a 7.12 sets and 6.2.2 reads third (`0-0:94.44.0.1`, s).
const RANDOMISED_OFFSET_LIMIT: [u8; 6] = [0, 0, 94, 44, 0, 1];
/// The clock (IC 8, `0-0:1.0.0.255`): its time (attribute 2), status (4) and clock base (9,
/// which a 6.11 sets to 5, radio controlled, as the RTDS command does); methods
/// adjust_to_preset_time (4) and preset_adjusting_time (5: the preset time and its validity
/// interval).
const CLOCK: u16 = 8;
const CLOCK_OBIS: [u8; 6] = [0, 0, 1, 0, 0, 255];
const CLOCK_TIME: i8 = 2;
const CLOCK_STATUS: i8 = 4;
const CLOCK_BASE: i8 = 9;
const RADIO_CONTROLLED: u8 = 5;
const ADJUST_TO_PRESET_TIME: i8 = 4;
const PRESET_ADJUSTING_TIME: i8 = 5;
/// A COSEM date-time with nothing specified (the preset time a 6.11 leaves to the meter).
const UNSPECIFIED_TIME: [u8; 12] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0xFF,
];
/// The supplier's telephone number and name a 3.4 sets (`0-0:96.13.0.255`, `0-0:96.13.1.255`),
/// attribute 2 of GBCS's class 9000, octet strings.
const SUPPLIER_CONTACT_CLASS: u16 = 9000;
const SUPPLIER_TELEPHONE: [u8; 6] = [0, 0, 96, 13, 0, 255];
const SUPPLIER_NAME: [u8; 6] = [0, 0, 96, 13, 1, 255];
const PRIVACY_PIN: [u8; 6] = [0, 0, 94, 44, 3, 1];
/// ECS40's objects: the import MPAN (both elements' on a twin-element meter, one after the
/// other) and the export MPAN, octet strings of their digits.
const IMPORT_MPAN: [u8; 6] = [0, 0, 94, 44, 34, 11];
const EXPORT_MPAN: [u8; 6] = [1, 0, 0, 0, 2, 255];
const DATA_PROTECTION: u16 = 30;
const TOKEN_GATEWAY: u16 = 115;
/// The account (IC 111, `0-1:19.0.0.255`) a 1.6 command sets: its mode and status
/// (attribute 2), which credits pay which charges (11) and when the change takes effect (13).
const ACCOUNT: u16 = 111;
const ACCOUNT_OBIS: [u8; 6] = [0, 1, 19, 0, 0, 255];
/// The account in force (`0-0:19.0.0.255`), which 6.2.9 reads; a 1.6 command sets the one
/// above, which takes over at its activation time.
const ACTIVE_ACCOUNT_OBIS: [u8; 6] = [0, 0, 19, 0, 0, 255];
const ACCOUNT_MODE: i8 = 2;
const CREDIT_CHARGES: i8 = 11;
const ACCOUNT_ACTIVATION: i8 = 13;
/// The disablement threshold (GBCS class 9000, `0-0:94.44.128.22`): the threshold itself
/// (attribute 4) and when it takes effect (6).
const DISABLEMENT_THRESHOLD: u16 = 9000;
const DISABLEMENT_THRESHOLD_OBIS: [u8; 6] = [0, 0, 94, 44, 128, 22];
const THRESHOLD: i8 = 4;
const THRESHOLD_ACTIVATION: i8 = 6;
/// A credit charge collected at all times (collection configuration bits 111), and one not
/// collected in one of the periods the bit string names (110).
const COLLECTED_ALWAYS: u8 = 0xE0;
const COLLECTED_NOT_SUSPENDED: u8 = 0xC0;
/// ZigBee network control (IC 104), `0-0:30.3.0.255` on a comms hub: its device log
/// (register_device, method 1; unregister_device, method 2), the join timeout (attribute 3)
/// and whether joining is enabled (attribute 2).
const ZIGBEE_NETWORK_CONTROL: u16 = 104;
const ZIGBEE_NETWORK_CONTROL_OBIS: [u8; 6] = [0, 0, 30, 3, 0, 255];

/// Why a DLMS payload does not have the shape its use case gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("payload is not DLMS: {0}")]
    Dlms(#[from] crate::protocol::dlms::DlmsError),
    #[error("{use_case}: {what}")]
    Shape { use_case: String, what: String },
    #[error("{0}")]
    Sealed(#[from] crate::protocol::gbcs::sealed::SealError),
}

fn shape(code: u16, what: impl Into<String>) -> PayloadError {
    let use_case = crate::protocol::gbcs::use_case(code)
        .map(|(u, _)| u.to_string())
        .unwrap_or_else(|| format!("message code {code:#06X}"));
    PayloadError::Shape {
        use_case,
        what: what.into(),
    }
}

// By side: what the head-end sends (`command`), what a meter answers (`respond`), reading
// either back (`decode`) and a reading back to a meter's plaintext (`encode`); payment mode
// changes and the configuration commands that are fixed lists of sets, which every side
// handles, have their own (`prepayment`, `configuration`).
mod auxiliary;
pub mod behaviours;
mod command;
mod configuration;
mod decode;
mod encode;
mod pan;
mod prepay_config;
mod prepayment;
mod respond;
mod schedule;
mod sub_ghz;
mod tariff;

pub use auxiliary::{
    AUXILIARY_LOADS, AlcsEvent, AuxiliaryCalendar, CalendarEntry, ControllerLevel, ECS15C, ECS35F,
    ECS35G, ECS46A, ECS46C, ECS46D, ECS47, ECS47A, ECS47E, ECS61C, ECS62, LevelAction,
    ScheduledAction, SwitchCommand, alcs_event_log_response, auxiliary_calendar_outcomes,
    auxiliary_schedule_data, boost_response,
};
pub use behaviours::{
    AlertFilter, BehaviourChange, ECS25A, ECS25A1, ECS25A2, ECS25A3, ECS25B, ECS25B3,
};
pub use command::*;
pub use configuration::{
    AverageVoltage, Debt, DebtRecovery, ECS05, ECS07, ECS28A, ECS28B, ECS29A, ECS29B, ECS29C,
    ECS29D, ECS29E, ECS29F, ECS48, ECS81, LoadLimit, VoltageSettings, configuration_response,
    load_limit_outcomes, phase_of_object, unit_charge,
};
pub use decode::*;
pub use encode::*;
pub use pan::{CCS03, CCS07, PanBackup, PanDevice, backup_response};
pub use prepay_config::{
    DEBT_RECOVERY_CAP_PERIOD_S, ECS08, ECS08A, NonDisablementEntry, PrepayConfiguration,
    calendar_data, prepay_configuration_outcomes,
};
pub use prepayment::*;
pub use respond::*;
pub use schedule::{Recurrence, special_days_data};
pub use sub_ghz::{
    CHANNEL_CHANGED, CHANNEL_PAGES, ChannelMask, DBCH02, DBCH04, DBCH05,
    RTDS_SUB_GHZ_CONFIGURATION, SubGhzConfiguration, channel_change_detail, channel_mask_data,
};
pub use tariff::{
    BLOCK_TARIFFS, DayProfile, ECS01A, ECS01B, ECS01C, ECS01D, PRIMARY_TOU_RATES, PrimaryPrices,
    SECONDARY_TOU_RATES, Season, SecondaryPrices, SwitchingTable, TariffAction, TariffUpdate,
    WeekProfile, primary_price_data, secondary_price_data, switching_data, tariff_outcomes,
    thresholds_data,
};
