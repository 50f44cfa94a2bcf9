//! The settings an electricity meter of dccsim holds and answers its settings reads with
//! (`payload::settings`: 4.13, 4.15, 6.2.1–6.2.5).

use serde::{Deserialize, Serialize};

use crate::model::Eui64;
use crate::protocol::dlms::Data;
use crate::protocol::gbcs::payload::behaviours::{Behaviour, Party};
use crate::protocol::gbcs::payload::{
    AlertFilter, AverageVoltage, BillingExecution, DEBT_RECOVERY_CAP_PERIOD_S, Debt, DebtRecovery,
    ECS25R1, ECS25R2, ECS26A, ECS26B, ECS26C, ECS26D, ECS26E, ECS26F, ECS27, LoadLimit,
    NewPaymentMode, NonDisablementEntry, PrepayConfiguration, calendar_data,
    credit_charge_configuration, special_days_data, unit_charge,
};

/// Who made dccsim's devices and what they are, as they say in 6.2.4 and the DCC's inventory
/// (8.2) says of them: the model is the device type (at most eight characters, as DCC's schema
/// takes it).
pub const MANUFACTURER: &[u8] = b"dccsim";
pub const MODEL_ESME: &[u8] = b"ESME";
pub const MODEL_CHF: &[u8] = b"CHF";
pub const MODEL_GSME: &[u8] = b"GSME";
pub const MODEL_GPF: &[u8] = b"GPF";

/// An electricity meter's own billing calendar, the RTDS meter's: noon on the first of every
/// month.
pub const ESME_BILLING_CALENDAR: [BillingExecution; 1] = [BillingExecution {
    time: [12, 0, 0, 0],
    date: [0xFF, 0xFF, 0xFF, 1, 0xFF],
}];

/// The prepayment settings a 1.6 command to prepayment sets: whether debt is collected while
/// the supply is disabled and while on emergency credit, and the meter balance at which the
/// supply is disabled (currency units, 1/100,000 of a pound). A meter starts with the RTDS
/// meter's: both suspended, −£5; a change to credit mode keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepayment {
    pub suspend_debt_disabled: bool,
    pub suspend_debt_emergency: bool,
    pub disablement_threshold: i32,
}

impl Default for Prepayment {
    fn default() -> Prepayment {
        Prepayment {
            suspend_debt_disabled: true,
            suspend_debt_emergency: true,
            disablement_threshold: -500_000,
        }
    }
}

impl Prepayment {
    /// The settings a 1.6 command to `mode` sets; `None` for credit mode (which sets none).
    pub fn of(mode: &NewPaymentMode) -> Option<Prepayment> {
        match *mode {
            NewPaymentMode::Credit => None,
            NewPaymentMode::Prepayment {
                disablement_threshold,
                suspend_debt_disabled,
                suspend_debt_emergency,
            } => Some(Prepayment {
                suspend_debt_disabled,
                suspend_debt_emergency,
                disablement_threshold,
            }),
        }
    }

    /// The payment mode, prepayment with these settings or credit, as a 1.6 command sets it.
    pub fn mode(&self, prepayment: bool) -> NewPaymentMode {
        if prepayment {
            NewPaymentMode::Prepayment {
                disablement_threshold: self.disablement_threshold,
                suspend_debt_disabled: self.suspend_debt_disabled,
                suspend_debt_emergency: self.suspend_debt_emergency,
            }
        } else {
            NewPaymentMode::Credit
        }
    }
}

/// What of an electricity meter's settings the commands it takes change: its payment mode and
/// prepayment settings (1.6), its billing calendar (6.8, `None`: the meter's own).
#[derive(Debug, Clone, Copy)]
pub struct MeterSettings<'a> {
    pub prepayment: bool,
    pub account: Prepayment,
    pub billing_calendar: Option<&'a [BillingExecution]>,
    /// The instantaneous power thresholds the last 6.12 set (W); `None`: the meter's own.
    pub power_thresholds: Option<[u32; 2]>,
    /// The randomised offset limit the last 7.12 set (s); `None`: the meter's own.
    pub randomised_offset_limit: Option<u16>,
    /// The voltage settings the last 6.5 set; `None`: the meter's own.
    pub voltage: Option<&'a Voltage>,
    /// Whether the supply locks when tampered with, as the last 6.25 set; `None`: the meter's
    /// own (locked).
    pub tamper_locked: Option<bool>,
    /// The load limiting settings the last 6.4.1 set (taken up); `None`: the meter's own.
    pub load_limit: Option<&'a LoadLimit>,
    /// The prepayment configuration the last 2.1 set (taken up); `None`: the meter's own.
    pub prepay: Option<&'a PrepayConfiguration>,
    /// The debts and their recovery (2.3; the meter's own until one).
    pub debt: Debt,
    /// How many times the load limit has been exceeded since its counter was reset (4.15).
    pub load_limit_count: u32,
    /// How it deals with its events and alerts, as 6.22s left it.
    pub alert_behaviours: &'a AlertBehaviours,
}

/// The RTDS meter's debt recovery, as 4.13 reads it, and no debt: 5,000 and 6,000 currency
/// units (5p and 6p) a day (price scale −5: the unit's own), and 5,000 hundredths of a per cent
/// (half) of each payment.
pub const ESME_DEBT: Debt = Debt {
    time_debts: [0, 0],
    payment_debt: 0,
    recovery_per_payment: 5000,
    recovery: [
        DebtRecovery {
            rate: 5000,
            scale: -5,
            period_s: 86_400,
        },
        DebtRecovery {
            rate: 6000,
            scale: -5,
            period_s: 86_400,
        },
    ],
};

/// The RTDS meter's load limiting settings, as 4.15 reads them: 6.9 kW for 300 s, restored
/// after 30 s below, the supply left as it is.
pub const ESME_LOAD_LIMIT: LoadLimit = LoadLimit {
    threshold_w: 6900,
    period_s: 300,
    restoration_s: 30,
    disable_supply: false,
};

/// What a single-phase electricity meter keeps of a 6.5's voltage settings: the RMS extreme
/// over, extreme under, sag and swell limits (threshold, V; measurement period, s) and its
/// phase's average RMS voltage settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voltage {
    pub limits: [(u32, u32); 4],
    pub average: AverageVoltage,
}

/// The RTDS meter's voltage settings, as 6.2.1 reads them: 287 V and 180 V extremes, sags below
/// 216 V, swells above 253 V, each after 30 s; average RMS over 264 V and under 200 V. The
/// average's measurement period, which 6.2.1 does not read, is the hour the meter's average
/// RMS voltage log is kept in.
pub const ESME_VOLTAGE: Voltage = Voltage {
    limits: [(287, 30), (180, 30), (216, 30), (253, 30)],
    average: AverageVoltage {
        over: 264,
        under: 200,
        period_s: 3600,
    },
};

/// How an electricity meter deals with its events and alerts (6.22 sets it, 6.2.10 reads it):
/// the supplier's filters of WAN alerts, HAN alerts, audible alarm and logging, and the network
/// operator's of WAN alerts and logging, in [`Party::behaviours`]' order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertBehaviours {
    pub supplier: [AlertFilter; 4],
    pub network_operator: [AlertFilter; 2],
}

impl AlertBehaviours {
    fn place(party: Party, behaviour: Behaviour) -> Option<usize> {
        party.behaviours().iter().position(|&b| b == behaviour)
    }

    fn filters(&self, party: Party) -> &[AlertFilter] {
        match party {
            Party::Supplier => &self.supplier,
            Party::NetworkOperator => &self.network_operator,
        }
    }

    /// `party`'s filter of `behaviour`; `None` for one it has not (the network operator's HAN
    /// alerts and audible alarm).
    pub fn filter(&self, party: Party, behaviour: Behaviour) -> Option<AlertFilter> {
        Some(self.filters(party)[Self::place(party, behaviour)?])
    }

    /// `party`'s filter of `behaviour`, to change; `None` for one it has not.
    pub fn filter_mut(&mut self, party: Party, behaviour: Behaviour) -> Option<&mut AlertFilter> {
        let i = Self::place(party, behaviour)?;
        Some(match party {
            Party::Supplier => &mut self.supplier[i],
            Party::NetworkOperator => &mut self.network_operator[i],
        })
    }

    /// What 6.2.10 from `party` answers: its filters, in order.
    pub fn read(&self, party: Party) -> Vec<Data> {
        self.filters(party).iter().map(AlertFilter::data).collect()
    }
}

/// The RTDS meter's event and alert behaviours, as its 6.2.10 answers (ECS25r1, ECS25r2) give
/// them: among the supplier's, commands actioned and not (8154, 8155) logged but not alerted;
/// the network operator's two (8014, 8015) alerted and logged.
pub const ESME_ALERT_BEHAVIOURS: AlertBehaviours = {
    const SUPPLIER_ALERTS: &[u16] = &[
        0x810D, 0x810E, 0x8119, 0x8183, 0x81A0, 0x81A1, 0x81A4, 0x81A5, 0x81A6, 0x81A7, 0x81A8,
        0x81A9, 0x81AA, 0x81AB, 0x81AC, 0x81AD, 0x81AE, 0x81AF, 0x81B0, 0x81B1, 0x81B2, 0x81B3,
        0x81B8, 0x81B9, 0x81BA, 0x81BB, 0x81BC, 0x81BD, 0x81BE, 0x81C0, 0x81C1, 0x81C4, 0x81C5,
    ];
    const SUPPLIER_HAN: &[u16] = &[0x810D, 0x8119, 0x8168, 0x81AA, 0x81AB, 0x81C4];
    const SUPPLIER_LOGGING: &[u16] = &[
        0x8145, 0x8154, 0x8155, 0x8161, 0x8162, 0x8183, 0x81A0, 0x81A1, 0x81A2, 0x81A3, 0x81A4,
        0x81A5, 0x81A6, 0x81A7, 0x81A8, 0x81A9, 0x81AA, 0x81AB, 0x81AC, 0x81AD, 0x81AE, 0x81AF,
        0x81B0, 0x81B1, 0x81B2, 0x81B3, 0x81B8, 0x81B9, 0x81BA, 0x81BB, 0x81BC, 0x81BD, 0x81BE,
        0x81C0, 0x81C1, 0x81C4, 0x81C5, 0x81C6,
    ];
    const NETWORK_OPERATOR: &[u16] = &[0x8014, 0x8015];
    AlertBehaviours {
        supplier: [
            AlertFilter::of_codes(SUPPLIER_ALERTS),
            AlertFilter::of_codes(SUPPLIER_HAN),
            AlertFilter::NONE,
            AlertFilter::of_codes(SUPPLIER_LOGGING),
        ],
        network_operator: [
            AlertFilter::of_codes(NETWORK_OPERATOR),
            AlertFilter::of_codes(NETWORK_OPERATOR),
        ],
    }
};

/// The RTDS meter's instantaneous power thresholds (W): 2.3 kW low to medium, 4.6 kW medium to
/// high.
pub const ESME_POWER_THRESHOLDS: [u32; 2] = [2300, 4600];
/// The RTDS meter's randomised offset limit (s).
pub const ESME_RANDOMISED_OFFSET_LIMIT: u16 = 1000;

/// What an electricity meter of dccsim answers settings read `code` with (6.2.1–6.2.5, 4.13,
/// 4.15): the RTDS test meter's settings, but for its identity (`eui`, dccsim's model, a
/// single-element meter: variant A) and what commands changed (`meter`): for 4.13 the payment
/// mode and the prepayment settings the last 1.6 set, for 6.2.1 the voltage settings the last
/// 6.5 set, for 6.2.2 the randomised offset limit the last 7.12 set, for 6.2.3 the billing
/// calendar the last 6.8 set, for 6.2.4 the supply tamper state the last 6.25 set, for 6.2.5
/// the power thresholds the last 6.12 set, for 4.15 the load limiting settings the last 6.4.1
/// set and the count the meter gives.
/// `None` if `code` is not a settings read.
pub fn esme_settings(code: u16, eui: Eui64, meter: &MeterSettings) -> Option<Vec<Data>> {
    let u32s = |v: &[u32]| v.iter().map(|&x| Data::DoubleLongUnsigned(x)).collect();
    let octets = |b: &[u8]| Data::OctetString(b.to_vec());
    Some(match code {
        ECS26A => {
            let own;
            let configuration = match meter.prepay {
                Some(c) => c,
                None => {
                    own = esme_prepay_configuration();
                    &own
                }
            };
            prepayment_configuration(meter.prepayment, &meter.account, configuration, &meter.debt)
        }
        ECS26B => {
            let v = meter.voltage.unwrap_or(&ESME_VOLTAGE);
            let limits = v
                .limits
                .iter()
                .flat_map(|&(threshold, period)| [threshold, period]);
            let average = [v.average.over, v.average.under];
            u32s(&limits.chain(average).collect::<Vec<_>>())
        }
        ECS26C => vec![
            Data::LongUnsigned(200),
            Data::LongUnsigned(2000),
            Data::LongUnsigned(
                meter
                    .randomised_offset_limit
                    .unwrap_or(ESME_RANDOMISED_OFFSET_LIMIT),
            ),
        ],
        ECS26D => {
            let calendar = meter.billing_calendar.unwrap_or(&ESME_BILLING_CALENDAR);
            vec![Data::Array(calendar.iter().map(|e| e.to_data()).collect())]
        }
        ECS26E => vec![
            octets(&eui.0),
            octets(b"A"),
            octets(MODEL_ESME),
            octets(MANUFACTURER),
            Data::Boolean(if meter.tamper_locked.unwrap_or(true) {
                0xFF
            } else {
                0
            }),
        ],
        ECS25R1 => meter.alert_behaviours.read(Party::Supplier),
        ECS25R2 => meter.alert_behaviours.read(Party::NetworkOperator),
        ECS26F => vec![Data::Array(u32s(
            &meter.power_thresholds.unwrap_or(ESME_POWER_THRESHOLDS),
        ))],
        ECS27 => {
            let limit = meter.load_limit.unwrap_or(&ESME_LOAD_LIMIT);
            vec![
                Data::Boolean(if limit.disable_supply { 0xFF } else { 0 }),
                Data::DoubleLongUnsigned(meter.load_limit_count),
                Data::Structure(vec![Data::Integer(0), Data::Enum(255)]),
                Data::DoubleLongUnsigned(limit.threshold_w),
                Data::DoubleLongUnsigned(limit.period_s),
                Data::DoubleLongUnsigned(limit.restoration_s),
            ]
        }
        _ => return None,
    })
}

/// The RTDS meter's prepayment configuration, as 4.13 reads it: a maximum credit threshold of
/// £50 and maximum meter balance of £100, a £5 low credit threshold, a debt recovery rate cap
/// of 10,000 a week; £25 of emergency credit offered below £1; non-disablement special days on
/// 25 and 26 December and 3 and 5 April 2015, and a non-disablement calendar whose entries stop
/// disablement (script 32 of the disconnect control script table) or start it again (33) at set
/// hours, winter and summer.
pub fn esme_prepay_configuration() -> PrepayConfiguration {
    let (winter_from, winter_to) = ([0x07, 0xDE, 10, 26, 0xFF], [0x07, 0xDF, 3, 29, 0xFF]);
    let (summer_from, summer_to) = ([0x07, 0xDF, 3, 30, 0xFF], [0x07, 0xDF, 10, 25, 0xFF]);
    // Weekdays Monday first (bit 6) to Sunday (bit 0).
    const WEEKEND: u8 = 0x03;
    const WORKING_DAYS: u8 = 0x7C;
    let entry = |start, hour, weekdays, special_days: &[u8], from, to| NonDisablementEntry {
        start,
        time: [hour, 0, 0, 0],
        weekdays,
        special_days: special_days.to_vec(),
        from,
        to,
    };
    PrepayConfiguration {
        debt_recovery_rate_cap: 10_000,
        emergency_credit_limit: 2_500_000,
        emergency_credit_threshold: 100_000,
        low_credit_threshold: 500_000,
        special_days: vec![
            [0xFF, 0xFF, 12, 25, 0xFF],
            [0xFF, 0xFF, 12, 26, 0xFF],
            [0x07, 0xDF, 4, 5, 0xFF],
            [0x07, 0xDF, 4, 3, 0xFF],
        ],
        calendar: vec![
            entry(true, 0, WEEKEND, &[1, 2, 3, 4], winter_from, winter_to),
            entry(true, 18, WORKING_DAYS, &[], winter_from, winter_to),
            entry(false, 8, WORKING_DAYS, &[], winter_from, winter_to),
            entry(true, 0, WEEKEND, &[1, 2, 3, 4], summer_from, summer_to),
            entry(true, 17, WORKING_DAYS, &[], summer_from, summer_to),
            entry(false, 7, WORKING_DAYS, &[], summer_from, summer_to),
        ],
        max_meter_balance: 10_000_000,
        max_credit_threshold: 5_000_000,
    }
}

/// The prepayment configuration (4.13): the debt recovery the last 2.3 set (the RTDS meter's
/// until then), the configuration the last 2.1 set (likewise), the disablement threshold of
/// `settings` and the credit charge configuration of the payment mode.
fn prepayment_configuration(
    prepayment: bool,
    settings: &Prepayment,
    c: &PrepayConfiguration,
    debt: &Debt,
) -> Vec<Data> {
    let [one, two] = debt
        .recovery
        .map(|r| (unit_charge(r.rate, r.scale), r.period_s));
    vec![
        one.0.clone(),
        special_days_data(&c.special_days),
        Data::DoubleLongUnsigned(one.1),
        one.0,
        two.0.clone(),
        Data::DoubleLongUnsigned(two.1),
        two.0,
        Data::LongUnsigned(debt.recovery_per_payment),
        Data::DoubleLong(c.max_credit_threshold),
        Data::Array(vec![Data::DoubleLong(settings.disablement_threshold)]),
        Data::DoubleLong(c.max_meter_balance),
        Data::DoubleLong(c.low_credit_threshold),
        Data::LongUnsigned(c.debt_recovery_rate_cap),
        Data::DoubleLong(DEBT_RECOVERY_CAP_PERIOD_S),
        Data::DoubleLong(c.emergency_credit_limit),
        Data::DoubleLong(c.emergency_credit_threshold),
        calendar_data(&c.calendar, c.special_days.len()),
        credit_charge_configuration(&settings.mode(prepayment), false),
    ]
}
