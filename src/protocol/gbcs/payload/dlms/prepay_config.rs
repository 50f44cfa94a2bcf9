//! 2.1 Update Prepay Configuration to an ESME (ECS08, ECS08a, critical): the emergency credit,
//! low credit and maximum credit settings, the debt recovery rate cap and the non-disablement
//! calendar with its special days, each a value to take up and when (GBCS's class 9000
//! attributes 4 and 6), the calendar and special days as passive tables (`0-1:12.0.1`,
//! `0-1:11.0.2`) taken up at their activation times. ECS08 sets the maximum meter balance at
//! once (attribute 2); ECS08a, which the head-end sends, with the rest.

use serde::{Deserialize, Serialize};

use super::configuration::{Step, set, set_value};
use super::prepayment::{activation_of, activation_time};
use super::schedule::{
    Recurrence, schedule_entry, schedule_entry_of, special_days_data, special_days_of,
};
use super::*;

pub const ECS08: u16 = 0x001F;
pub const ECS08A: u16 = 0x00DE;

/// One entry of the non-disablement calendar: at `time` (hour, minute, second, hundredths),
/// on the weekdays and special days it names, between two dates (year, year, month, day,
/// weekday: `0xFF`/`0xFFFF` unspecified), the supply's disablement stops (`start`: script 32,
/// DUIS's START) or starts again (script 33, STOP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonDisablementEntry {
    pub start: bool,
    pub time: [u8; 4],
    /// Monday first: bit 6 Monday … bit 0 Sunday.
    pub weekdays: u8,
    /// The special days (numbered from 1, ascending) it applies on.
    pub special_days: Vec<u8>,
    pub from: [u8; 5],
    pub to: [u8; 5],
}

/// What a 2.1 sets on an electricity meter (DUIS's UpdatePrepayConfigElectricity), amounts in
/// the meter's currency unit (1/100,000 of a pound).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepayConfiguration {
    /// The most debt recovered in a week (the cap's period, which DUIS does not carry).
    pub debt_recovery_rate_cap: u16,
    pub emergency_credit_limit: i32,
    pub emergency_credit_threshold: i32,
    pub low_credit_threshold: i32,
    /// The special days' dates, numbered from 1 (each its own day id).
    pub special_days: Vec<[u8; 5]>,
    pub calendar: Vec<NonDisablementEntry>,
    pub max_meter_balance: i32,
    pub max_credit_threshold: i32,
}

/// The debt recovery rate cap's period: a week, s.
pub const DEBT_RECOVERY_CAP_PERIOD_S: i32 = 604_800;
/// The disconnect control's script table and the scripts that stop and restart disablement.
const DISCONNECT_SCRIPTS: [u8; 6] = [0, 0, 10, 0, 106, 255];
const NON_DISABLEMENT_START: u16 = 32;
const NON_DISABLEMENT_STOP: u16 = 33;

const SPECIAL_DAYS_TABLE: u16 = 11;
const PASSIVE_SPECIAL_DAYS: [u8; 6] = [0, 1, 11, 0, 2, 255];
const PASSIVE_CALENDAR: [u8; 6] = [0, 1, 12, 0, 1, 255];
const EXTENDED_DATA: u16 = 9000;
const MAX_METER_BALANCE: [u8; 6] = [0, 0, 94, 44, 2, 20];
const MAX_CREDIT_THRESHOLD: [u8; 6] = [0, 0, 94, 44, 2, 10];
const DEBT_CAP: [u8; 6] = [0, 0, 94, 44, 128, 12];
const DEBT_CAP_PERIOD: [u8; 6] = [0, 0, 94, 44, 128, 13];
const LOW_CREDIT: [u8; 6] = [0, 0, 94, 44, 128, 9];
const EMERGENCY_LIMIT: [u8; 6] = [0, 0, 94, 44, 128, 2];
const EMERGENCY_THRESHOLD: [u8; 6] = [0, 0, 94, 44, 128, 3];
const CALENDAR_ACTIVATION: [u8; 6] = [0, 0, 94, 44, 128, 28];
const SPECIAL_DAYS_ACTIVATION: [u8; 6] = [0, 0, 94, 44, 128, 31];
/// The settings whose activation times the command sets, in its order (the special days'
/// comes earlier, among the values).
const ACTIVATED: [[u8; 6]; 8] = [
    MAX_METER_BALANCE,
    MAX_CREDIT_THRESHOLD,
    DEBT_CAP,
    DEBT_CAP_PERIOD,
    LOW_CREDIT,
    EMERGENCY_LIMIT,
    EMERGENCY_THRESHOLD,
    CALENDAR_ACTIVATION,
];

/// The non-disablement calendar's schedule entries, numbered from 1, each running its script
/// of the disconnect control's script table; the special days' bit string has one bit per
/// special day of `special_days`.
pub fn calendar_data(calendar: &[NonDisablementEntry], special_days: usize) -> Data {
    Data::Array(
        calendar
            .iter()
            .zip(1u16..)
            .map(|(e, i)| {
                let script = if e.start {
                    NON_DISABLEMENT_START
                } else {
                    NON_DISABLEMENT_STOP
                };
                let when = Recurrence {
                    time: e.time,
                    weekdays: e.weekdays,
                    special_days: e.special_days.clone(),
                    from: e.from,
                    to: e.to,
                };
                schedule_entry(i, DISCONNECT_SCRIPTS, script, &when, special_days)
            })
            .collect(),
    )
}

/// The steps of a 2.1 to an ESME, in the RTDS command's order.
pub(super) fn steps(code: u16, c: &PrepayConfiguration, activation: &Activation) -> Vec<Step> {
    let long = Data::DoubleLong;
    let when = activation_time(activation);
    let value = |object, data| set(EXTENDED_DATA, object, 4, data);
    // ECS08 sets the maximum meter balance at once.
    let balance_attribute = if code == ECS08 { 2 } else { 4 };
    let mut steps = vec![
        set(
            SPECIAL_DAYS_TABLE,
            PASSIVE_SPECIAL_DAYS,
            2,
            special_days_data(&c.special_days),
        ),
        set(
            EXTENDED_DATA,
            MAX_METER_BALANCE,
            balance_attribute,
            long(c.max_meter_balance),
        ),
        value(MAX_CREDIT_THRESHOLD, long(c.max_credit_threshold)),
        set(
            SCHEDULE,
            PASSIVE_CALENDAR,
            2,
            calendar_data(&c.calendar, c.special_days.len()),
        ),
        value(DEBT_CAP, Data::LongUnsigned(c.debt_recovery_rate_cap)),
        value(DEBT_CAP_PERIOD, long(DEBT_RECOVERY_CAP_PERIOD_S)),
        value(LOW_CREDIT, long(c.low_credit_threshold)),
        value(EMERGENCY_LIMIT, long(c.emergency_credit_limit)),
        set(EXTENDED_DATA, SPECIAL_DAYS_ACTIVATION, 6, when.clone()),
        value(EMERGENCY_THRESHOLD, long(c.emergency_credit_threshold)),
    ];
    steps.extend(ACTIVATED.map(|o| set(EXTENDED_DATA, o, 6, when.clone())));
    steps
}

/// What an ECS08 or ECS08a command asks, read by object; `None` unless it is exactly what the
/// use case carries.
pub(super) fn prepay_configuration_of(code: u16, r: &AccessRequest) -> Option<Reading> {
    let value = |object, attribute| set_value(r, object, attribute);
    let long = |object, attribute| match value(object, attribute)? {
        &Data::DoubleLong(v) => Some(v),
        _ => None,
    };
    let special_days = special_days_of(value(PASSIVE_SPECIAL_DAYS, 2)?)?;
    let calendar = match value(PASSIVE_CALENDAR, 2)? {
        Data::Array(entries) => entries
            .iter()
            .map(|e| {
                let (script, when) = schedule_entry_of(e)?;
                Some(NonDisablementEntry {
                    start: script == NON_DISABLEMENT_START,
                    time: when.time,
                    weekdays: when.weekdays,
                    special_days: when.special_days,
                    from: when.from,
                    to: when.to,
                })
            })
            .collect::<Option<_>>()?,
        _ => return None,
    };
    let balance_attribute = if code == ECS08 { 2 } else { 4 };
    let configuration = PrepayConfiguration {
        debt_recovery_rate_cap: match value(DEBT_CAP, 4)? {
            &Data::LongUnsigned(v) => v,
            _ => return None,
        },
        emergency_credit_limit: long(EMERGENCY_LIMIT, 4)?,
        emergency_credit_threshold: long(EMERGENCY_THRESHOLD, 4)?,
        low_credit_threshold: long(LOW_CREDIT, 4)?,
        special_days,
        calendar,
        max_meter_balance: long(MAX_METER_BALANCE, balance_attribute)?,
        max_credit_threshold: long(MAX_CREDIT_THRESHOLD, 4)?,
    };
    let activation = activation_of(value(CALENDAR_ACTIVATION, 6)?)?;
    let (specs, data): (Vec<_>, Vec<_>) =
        steps(code, &configuration, &activation).into_iter().unzip();
    (specs == r.specs && data == r.data).then(|| Reading::PrepayConfiguration {
        configuration: Box::new(configuration),
        activation,
    })
}

/// The 8F66 outcomes of a 2.1 a meter held and has taken up: one per activation time the
/// command set (the special days' among them), in the command's order.
pub fn prepay_configuration_outcomes(code: u16, counter: u64) -> Vec<FutureDatedOutcome> {
    let objects = std::iter::once(SPECIAL_DAYS_ACTIVATION).chain(ACTIVATED);
    super::configuration::activation_outcomes(code, counter, objects)
}
