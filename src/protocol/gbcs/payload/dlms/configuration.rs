//! The device configuration commands that are a list of sets and actions on fixed objects:
//! 6.4.1 load limiting settings (ECS28a, future-dated by the meter), 6.4.2 the load limit
//! counter's reset (ECS28b), 6.5 voltage settings (ECS29a–d), 6.27 RMS voltage counter reset
//! (ECS29e, f), 6.25 supply tamper state (ECS81), 6.26 daily resetting of the tariff block
//! counter matrix (ECS48) and 1.7 its reset now (ECS05). Each use case's list is built once ([`steps`]) and serves the
//! head-end's command, the meter's reading of it and the meter's answer, one result per step.

use serde::{Deserialize, Serialize};

use super::auxiliary::{ECS46A, ECS46C, ECS46D, ECS47, ECS47A, ECS47E, ECS62};
use super::prepayment::{activation_of, activation_time};
use super::*;

/// 2.3 to an ESME (critical): its debts and how they are recovered.
pub const ECS07: u16 = 0x001E;
/// 6.4.1 to an ESME (critical): its load limiting settings, at once or at a time.
pub const ECS28A: u16 = 0x0043;
/// 6.4.2 to an ESME: reset its load limit counter.
pub const ECS28B: u16 = 0x0044;
/// 6.5 to an ESME: its voltage settings, the sag and swell counters reset (ECS29a single
/// phase, ECS29b poly-phase) or not (ECS29c, ECS29d: DUIS's RMSVoltageCountersNotReset).
pub const ECS29A: u16 = 0x0045;
pub const ECS29B: u16 = 0x00AE;
pub const ECS29C: u16 = 0x00D1;
pub const ECS29D: u16 = 0x00D2;
/// 6.27 to an ESME: reset its RMS voltage sag and swell counters (ECS29e single phase, ECS29f
/// every phase of a poly-phase meter).
pub const ECS29E: u16 = 0x00D3;
pub const ECS29F: u16 = 0x00D4;
/// 6.25 to an ESME (critical): lock the supply when tampered with, or not.
pub const ECS81: u16 = 0x0068;
/// 6.26 to an ESME (critical): reset the tariff block counter matrix every day at midnight,
/// or not.
pub const ECS48: u16 = 0x00DB;
/// 1.7 to an ESME (critical): reset the tariff block counter matrix now.
pub const ECS05: u16 = 0x001D;

/// One phase's average RMS voltage settings (DUIS's AverageRMSVoltageSettings): over and
/// under voltage thresholds, V, and the measurement period, s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AverageVoltage {
    pub over: u32,
    pub under: u32,
    pub period_s: u32,
}

/// What a 6.4.1 sets (DUIS's UpdateDeviceConfigurationLoadLimitingGeneralSettings): the power
/// above which load is limited, W, how long it must stay above before the limit counts, s, how
/// long below before the supply is restored, s, and whether the supply is disabled when the
/// limit is exceeded (DUIS's LoadLimitSupplyState `Disable`; `Unchanged`: it is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadLimit {
    pub threshold_w: u32,
    pub period_s: u32,
    pub restoration_s: u32,
    pub disable_supply: bool,
}

/// One time-based debt's recovery (DUIS's ElecDebtRecovery): `rate` × 10^`scale` of the
/// meter's currency unit each `period_s` (an hour or a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtRecovery {
    pub rate: i16,
    pub scale: i8,
    pub period_s: u32,
}

/// What a 2.3 sets (DUIS's UpdateDebt): the two time-based debts and the payment-based one, in
/// the meter's currency unit; the share of each payment that recovers the payment-based debt
/// (DebtRecoveryPerPayment, hundredths of a per cent); each time-based debt's recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debt {
    pub time_debts: [i32; 2],
    pub payment_debt: i32,
    pub recovery_per_payment: u16,
    pub recovery: [DebtRecovery; 2],
}

/// The charges (IC 113) a 2.3 sets: the two time-based debts' and the payment-based one's.
const TIME_DEBT_CHARGES: [[u8; 6]; 2] = [[0, 0, 19, 20, 1, 255], [0, 0, 19, 20, 2, 255]];
const PAYMENT_DEBT_CHARGE: [u8; 6] = [0, 0, 19, 20, 3, 255];
const CHARGE: u16 = 113;

/// A charge's unit charge as GBCS carries it: the commodity scale (0) and price scale, no
/// commodity, one charge per unit.
pub fn unit_charge(rate: i16, scale: i8) -> Data {
    Data::Structure(vec![
        Data::Structure(vec![Data::Integer(0), Data::Integer(scale)]),
        Data::Structure(vec![
            Data::LongUnsigned(0),
            Data::OctetString(vec![0; 6]),
            Data::Integer(0),
        ]),
        Data::Array(vec![Data::Structure(vec![
            Data::OctetString(Vec::new()),
            Data::Long(rate),
        ])]),
    ])
}

fn unit_charge_of(d: &Data) -> Option<(i16, i8)> {
    let [scales, _, charges] = d.items()? else {
        return None;
    };
    let scale = match scales.items()? {
        [Data::Integer(0), Data::Integer(scale)] => *scale,
        _ => return None,
    };
    match charges.items()? {
        [charge] => match charge.items()? {
            [_, Data::Long(rate)] => Some((*rate, scale)),
            _ => None,
        },
        _ => None,
    }
}

/// What a 6.5 sets (DUIS's UpdateDeviceConfigurationVoltage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoltageSettings {
    /// The RMS extreme over voltage, extreme under voltage, voltage sag and voltage swell
    /// limiters (`0-0:17.0.1`–`4`, in that order, as 6.2.1 reads them): each its threshold,
    /// V, and how long the voltage must pass it before it counts, s.
    pub limits: [(u32, u32); 4],
    /// Each phase's average RMS voltage settings: one for a single-phase meter (ECS29a, c),
    /// three for a poly-phase one (ECS29b, d).
    pub phases: Vec<AverageVoltage>,
    /// Whether the sag and swell counters are reset too.
    pub reset_counters: bool,
}

impl VoltageSettings {
    /// The use case carrying these settings; `None` for a phase count other than 1 or 3.
    pub fn code(&self) -> Option<u16> {
        Some(match (self.phases.len(), self.reset_counters) {
            (1, true) => ECS29A,
            (3, true) => ECS29B,
            (1, false) => ECS29C,
            (3, false) => ECS29D,
            _ => return None,
        })
    }
}

/// The interface classes and objects these commands touch.
const LIMITER: u16 = 71;
/// GBCS's class 9000: a value to take up (attribute 4) and when (6).
const EXTENDED_DATA: u16 = 9000;
/// The load limiting settings a 6.4.1 sets, each a class 9000 object, in the command's order:
/// the supply state on exceeding it, the power threshold, the period, the restoration period.
const LOAD_LIMIT_SUPPLY_STATE: [u8; 6] = [0, 0, 94, 44, 0, 3];
const LOAD_LIMIT_THRESHOLD: [u8; 6] = [0, 0, 94, 44, 128, 7];
const LOAD_LIMIT_PERIOD: [u8; 6] = [0, 0, 94, 44, 128, 6];
const LOAD_LIMIT_RESTORATION: [u8; 6] = [0, 0, 94, 44, 128, 8];
const LOAD_LIMIT_OBJECTS: [[u8; 6]; 4] = [
    LOAD_LIMIT_SUPPLY_STATE,
    LOAD_LIMIT_THRESHOLD,
    LOAD_LIMIT_PERIOD,
    LOAD_LIMIT_RESTORATION,
];
/// The load limit counter (a register), which a 6.4.2 resets and 4.15 reads.
const LOAD_LIMIT_COUNTER: [u8; 6] = [0, 0, 94, 44, 42, 255];
/// The tariff block counter matrix's reset: the tariffication script table (`0-0:10.0.100`),
/// script 99; and the single action schedule (`0-0:15.1.0`) that runs it daily.
const TARIFFICATION_SCRIPT_TABLE: [u8; 6] = [0, 0, 10, 0, 100, 255];
const BLOCK_COUNTER_RESET_SCRIPT: u16 = 99;
const DAILY_BLOCK_COUNTER_RESET: [u8; 6] = [0, 0, 15, 1, 0, 255];
/// The supply tamper state (`0-0:94.44.0.4`, a boolean: true locks the supply), which 6.2.4
/// reads.
const SUPPLY_TAMPER_STATE: [u8; 6] = [0, 0, 94, 44, 0, 4];

/// The phase an object of group C `c` measures (32: L1, 52: L2, 72: L3), from 0.
fn phase_of(c: u8) -> Option<usize> {
    [32, 52, 72].iter().position(|&p| p == c)
}

/// The group C of phase `phase` (from 0).
fn phase_c(phase: usize) -> u8 {
    [32, 52, 72][phase]
}

/// One step of a command: a set of an attribute or a call of a method, with its data.
pub(super) type Step = (RequestSpec, Data);

pub(super) fn set(class_id: u16, instance: [u8; 6], attribute: i8, data: Data) -> Step {
    let attribute = crate::protocol::dlms::AttributeDescriptor {
        class_id,
        instance: crate::protocol::dlms::Obis(instance),
        attribute,
    };
    (RequestSpec::Set(attribute), data)
}

pub(super) fn call(class_id: u16, instance: [u8; 6], method: i8, data: Data) -> Step {
    let method = crate::protocol::dlms::MethodDescriptor {
        class_id,
        instance: crate::protocol::dlms::Obis(instance),
        method,
    };
    (RequestSpec::Action(method), data)
}

/// The steps of `reading` as use case `code` lays them out, in the RTDS command's order;
/// `None` when the reading is not what `code` carries.
pub(super) fn steps(code: u16, reading: &Reading) -> Option<Vec<Step>> {
    let u32 = Data::DoubleLongUnsigned;
    Some(match (code, reading) {
        (ECS29A | ECS29B | ECS29C | ECS29D, Reading::VoltageSettings(v))
            if v.code() == Some(code) =>
        {
            let period = |p: usize| {
                set(
                    PROFILE_GENERIC,
                    [1, 0, phase_c(p), 24, 0, 255],
                    4,
                    u32(v.phases[p].period_s),
                )
            };
            let over = |p: usize| set(DATA, [1, 0, phase_c(p), 35, 0, 4], 2, u32(v.phases[p].over));
            let under = |p: usize| {
                set(
                    DATA,
                    [1, 0, phase_c(p), 31, 0, 4],
                    2,
                    u32(v.phases[p].under),
                )
            };
            let limits = v
                .limits
                .iter()
                .zip(1u8..)
                .flat_map(|(&(threshold, period), n)| {
                    let limiter = [0, 0, 17, 0, n, 255];
                    [
                        set(LIMITER, limiter, 4, u32(threshold)),
                        set(LIMITER, limiter, 6, u32(period)),
                    ]
                });
            let phases = 0..v.phases.len();
            let mut steps = Vec::new();
            if v.reset_counters {
                steps.extend(phases.clone().map(period));
                steps.extend(limits);
                // The first phase's over then under threshold, the others' under then over.
                for p in phases.clone() {
                    if p == 0 {
                        steps.extend([over(p), under(p)]);
                    } else {
                        steps.extend([under(p), over(p)]);
                    }
                }
                steps.extend(counter_resets(v.phases.len()));
            } else {
                steps.extend(phases.clone().flat_map(|p| [under(p), over(p)]));
                steps.extend(phases.map(period));
                steps.extend(limits);
            }
            steps
        }
        // Each value, then when each is taken up.
        (
            ECS28A,
            Reading::LoadLimitSettings {
                settings,
                activation,
            },
        ) => {
            let values = [
                Data::Boolean(if settings.disable_supply { 0xFF } else { 0 }),
                u32(settings.threshold_w),
                u32(settings.period_s),
                u32(settings.restoration_s),
            ];
            let when = activation_time(activation);
            let objects = LOAD_LIMIT_OBJECTS.iter();
            let values = objects
                .clone()
                .zip(values)
                .map(|(&o, v)| set(EXTENDED_DATA, o, 4, v));
            let times = objects.map(|&o| set(EXTENDED_DATA, o, 6, when.clone()));
            values.chain(times).collect()
        }
        (
            super::prepay_config::ECS08 | super::prepay_config::ECS08A,
            Reading::PrepayConfiguration {
                configuration,
                activation,
            },
        ) => super::prepay_config::steps(code, configuration, activation),
        (_, Reading::Tariff { update, activation }) if update.code() == code => {
            super::tariff::steps(update, activation)
        }
        // The passive unit charges, the payment share, the periods; the unit charges made
        // active; each debt's amount.
        (ECS07, Reading::UpdateDebt(debt)) => {
            let [first, second] = TIME_DEBT_CHARGES;
            let [one, two] = debt.recovery;
            vec![
                set(CHARGE, first, 6, unit_charge(one.rate, one.scale)),
                set(CHARGE, second, 6, unit_charge(two.rate, two.scale)),
                set(
                    CHARGE,
                    PAYMENT_DEBT_CHARGE,
                    13,
                    Data::LongUnsigned(debt.recovery_per_payment),
                ),
                set(CHARGE, first, 8, u32(one.period_s)),
                set(CHARGE, second, 8, u32(two.period_s)),
                call(CHARGE, first, 2, Data::Integer(0)),
                call(CHARGE, second, 2, Data::Integer(0)),
                call(
                    CHARGE,
                    PAYMENT_DEBT_CHARGE,
                    4,
                    Data::DoubleLong(debt.payment_debt),
                ),
                call(CHARGE, first, 4, Data::DoubleLong(debt.time_debts[0])),
                call(CHARGE, second, 4, Data::DoubleLong(debt.time_debts[1])),
            ]
        }
        (ECS28B, Reading::ResetLoadLimitCounter) => {
            vec![call(REGISTER, LOAD_LIMIT_COUNTER, 1, Data::Integer(0))]
        }
        (ECS29E, Reading::ResetVoltageCounters { phases: 1 })
        | (ECS29F, Reading::ResetVoltageCounters { phases: 3 }) => {
            counter_resets(if code == ECS29E { 1 } else { 3 })
        }
        (ECS81, &Reading::SupplyTamperState { locked }) => vec![set(
            DATA,
            SUPPLY_TAMPER_STATE,
            2,
            Data::Boolean(if locked { 0xFF } else { 0 }),
        )],
        // Daily: one execution time, midnight on every date; else none.
        (ECS48, &Reading::DailyBlockCounterReset { daily }) => {
            let midnight = Data::Structure(vec![
                Data::OctetString(vec![0; 4]),
                Data::OctetString(vec![0xFF; 5]),
            ]);
            let times = if daily { vec![midnight] } else { Vec::new() };
            vec![set(
                SINGLE_ACTION_SCHEDULE,
                DAILY_BLOCK_COUNTER_RESET,
                4,
                Data::Array(times),
            )]
        }
        (ECS05, Reading::ResetBlockCounters) => vec![call(
            SCRIPT_TABLE,
            TARIFFICATION_SCRIPT_TABLE,
            1,
            Data::LongUnsigned(BLOCK_COUNTER_RESET_SCRIPT),
        )],
        _ => {
            return super::auxiliary::steps(code, reading)
                .or_else(|| super::sub_ghz::steps(code, reading))
                .or_else(|| super::behaviours::steps(code, reading))
                .or_else(|| super::pan::steps(code, reading));
        }
    })
}

/// The sag and swell counters' resets (registers `1-0:x.32.0.4`, `x.36.0.4`, method 1 with
/// the integer 0) of the first `phases` phases.
fn counter_resets(phases: usize) -> Vec<Step> {
    (0..phases)
        .flat_map(|p| {
            let c = phase_c(p);
            [32, 36].map(|d| call(REGISTER, [1, 0, c, d, 0, 4], 1, Data::Integer(0)))
        })
        .collect()
}

/// The command of `steps`, under the invoke id of `counter`.
pub(super) fn request_of(counter: u64, steps: Vec<Step>) -> AccessRequest {
    let (specs, data) = steps.into_iter().unzip();
    AccessRequest {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        specs,
        data,
    }
}

/// What command `r` of use case `code` asks, read by object; `None` when it is not exactly
/// what `code` carries (the reading is rebuilt and its steps compared with `r`'s).
pub(super) fn configuration_of(code: u16, r: &AccessRequest) -> Option<Reading> {
    let value = |object, attribute| set_value(r, object, attribute);
    let u32_at = |object, attribute| match value(object, attribute)? {
        &Data::DoubleLongUnsigned(v) => Some(v),
        _ => None,
    };
    let reading = match code {
        super::prepay_config::ECS08 | super::prepay_config::ECS08A => {
            return super::prepay_config::prepay_configuration_of(code, r);
        }
        super::tariff::ECS01A
        | super::tariff::ECS01B
        | super::tariff::ECS01C
        | super::tariff::ECS01D => return super::tariff::tariff_of(code, r),
        ECS29A | ECS29B | ECS29C | ECS29D => {
            let phases = if matches!(code, ECS29B | ECS29D) {
                3
            } else {
                1
            };
            let limit = |n: u8| {
                let limiter = [0, 0, 17, 0, n, 255];
                Some((u32_at(limiter, 4)?, u32_at(limiter, 6)?))
            };
            let phase = |p: usize| {
                let c = phase_c(p);
                Some(AverageVoltage {
                    over: u32_at([1, 0, c, 35, 0, 4], 2)?,
                    under: u32_at([1, 0, c, 31, 0, 4], 2)?,
                    period_s: u32_at([1, 0, c, 24, 0, 255], 4)?,
                })
            };
            Reading::VoltageSettings(VoltageSettings {
                limits: [limit(1)?, limit(2)?, limit(3)?, limit(4)?],
                phases: (0..phases).map(phase).collect::<Option<_>>()?,
                reset_counters: matches!(code, ECS29A | ECS29B),
            })
        }
        ECS28A => {
            let at = |object| value(object, 4);
            let disable_supply = match at(LOAD_LIMIT_SUPPLY_STATE)? {
                &Data::Boolean(b) => b != 0,
                _ => return None,
            };
            Reading::LoadLimitSettings {
                settings: LoadLimit {
                    threshold_w: u32_at(LOAD_LIMIT_THRESHOLD, 4)?,
                    period_s: u32_at(LOAD_LIMIT_PERIOD, 4)?,
                    restoration_s: u32_at(LOAD_LIMIT_RESTORATION, 4)?,
                    disable_supply,
                },
                activation: activation_of(value(LOAD_LIMIT_SUPPLY_STATE, 6)?)?,
            }
        }
        ECS28B => Reading::ResetLoadLimitCounter,
        ECS07 => {
            let called = |object, method| {
                r.specs.iter().zip(&r.data).find_map(|(s, d)| match (s, d) {
                    (RequestSpec::Action(m), &Data::DoubleLong(v))
                        if m.instance.0 == object && m.method == method =>
                    {
                        Some(v)
                    }
                    _ => None,
                })
            };
            let recovery = |object| {
                let (rate, scale) = unit_charge_of(value(object, 6)?)?;
                Some(DebtRecovery {
                    rate,
                    scale,
                    period_s: u32_at(object, 8)?,
                })
            };
            let [first, second] = TIME_DEBT_CHARGES;
            Reading::UpdateDebt(Debt {
                time_debts: [called(first, 4)?, called(second, 4)?],
                payment_debt: called(PAYMENT_DEBT_CHARGE, 4)?,
                recovery_per_payment: match value(PAYMENT_DEBT_CHARGE, 13)? {
                    &Data::LongUnsigned(v) => v,
                    _ => return None,
                },
                recovery: [recovery(first)?, recovery(second)?],
            })
        }
        ECS29E | ECS29F => Reading::ResetVoltageCounters {
            phases: if code == ECS29E { 1 } else { 3 },
        },
        ECS81 => match value(SUPPLY_TAMPER_STATE, 2)? {
            &Data::Boolean(b) => Reading::SupplyTamperState { locked: b != 0 },
            _ => return None,
        },
        ECS48 => match value(DAILY_BLOCK_COUNTER_RESET, 4)? {
            Data::Array(times) => Reading::DailyBlockCounterReset {
                daily: !times.is_empty(),
            },
            _ => return None,
        },
        ECS05 => Reading::ResetBlockCounters,
        ECS46A | ECS46C | ECS46D | ECS47 | ECS62 | ECS47A | ECS47E => {
            return super::auxiliary::auxiliary_of(code, r);
        }
        super::sub_ghz::DBCH04 | super::sub_ghz::DBCH05 => {
            return super::sub_ghz::sub_ghz_of(code, r);
        }
        _ if super::behaviours::configured_by(code).is_some() => {
            return super::behaviours::behaviour_of(code, r);
        }
        super::pan::CCS07 | super::pan::CCS03 => return super::pan::pan_of(code, r),
        _ => return None,
    };
    let (specs, data): (Vec<_>, Vec<_>) = steps(code, &reading)?.into_iter().unzip();
    (specs == r.specs && data == r.data).then_some(reading)
}

/// The data command `r` sets attribute `attribute` of object `object` to, if it sets it.
pub(super) fn set_value(r: &AccessRequest, object: [u8; 6], attribute: i8) -> Option<&Data> {
    r.specs.iter().zip(&r.data).find_map(|(s, d)| match s {
        RequestSpec::Set(a) if a.instance.0 == object && a.attribute == attribute => Some(d),
        _ => None,
    })
}

/// A meter's answer to configuration command `reading` of use case `code`: each step's
/// result, as `result` gives it from the step's logical name (0 for success; 4, object
/// undefined, for an object the meter does not have). `None` when `code` does not carry it.
pub fn configuration_response(
    counter: u64,
    code: u16,
    reading: &Reading,
    result: impl Fn(&[u8; 6]) -> u8,
) -> Option<Apdu> {
    let results = steps(code, reading)?
        .iter()
        .map(|(spec, _)| match spec {
            RequestSpec::Set(a) => ResponseSpec::Set(result(&a.instance.0)),
            RequestSpec::Action(m) => ResponseSpec::Action(result(&m.instance.0)),
            _ => ResponseSpec::Set(0),
        })
        .collect::<Vec<_>>();
    Some(Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::Null; results.len()],
        results,
    }))
}

/// The phase (from 0) an object of these commands measures; `None` for one of the whole
/// meter (the limiters, the tamper state, the tariff block counters).
pub fn phase_of_object(object: &[u8; 6]) -> Option<usize> {
    if object[0] == 1 {
        phase_of(object[2])
    } else {
        None
    }
}

/// The 8F66 outcomes of a 6.4.1 a meter held and has taken up: one per setting, naming its
/// activation time (attribute 6), in the command's order.
pub fn load_limit_outcomes(counter: u64) -> Vec<FutureDatedOutcome> {
    activation_outcomes(ECS28A, counter, LOAD_LIMIT_OBJECTS)
}

/// The 8F66 outcomes of a future-dated command of use case `code` and `counter`: one per class
/// 9000 object whose activation time (attribute 6) it set, in `objects`' order.
pub(super) fn activation_outcomes(
    code: u16,
    counter: u64,
    objects: impl IntoIterator<Item = [u8; 6]>,
) -> Vec<FutureDatedOutcome> {
    objects
        .into_iter()
        .map(|object| FutureDatedOutcome {
            message_code: code,
            originator_counter: counter,
            class_id: EXTENDED_DATA,
            instance: crate::protocol::dlms::Obis(object),
            attribute: 6,
        })
        .collect()
}
