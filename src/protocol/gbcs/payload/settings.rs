//! The reads of an electricity meter's settings that GBCS lays out as a fixed list of COSEM
//! attributes: 4.13 prepayment configuration (ECS26a), 6.2.1 voltage (ECS26b), 6.2.2
//! randomisation (ECS26c), 6.2.3 billing calendar (ECS26d), 6.2.4 identity (ECS26e), 6.2.5
//! instantaneous power thresholds (ECS26f), 4.15 load limit data (ECS27), 4.12.1 and 4.12.2
//! maximum demand (ECS18b, ECS18a), 4.11.1 and 4.11.2 the tariffs (ECS24, ECS24b), and 6.2.4
//! to a comms hub (ECS26i), 7.7, 7.14 and 7.15 the auxiliary loads (ECS61a, d, e), 6.2.10 the
//! event and alert behaviours (ECS25r1, ECS25r2: `payload::behaviours`). The command gets the
//! attributes in their order; the answer is their values in the same order, in the clear.
//!
//! Each value is named by the element of DCC's DUIS response schema (`mmc-5.4.xsd`, the XML
//! DCC's tools turn the GBCS into) it becomes, where the object and the RTDS meter's values
//! make that plain; a value whose element is not plain is named by its COSEM object rather
//! than guessed at.

use chrono::{NaiveTime, Timelike};
use serde::Serialize;

use crate::protocol::dlms::{Data, Obis};

/// ECS26a: the prepayment configuration.
pub const ECS26A: u16 = 0x003B;
/// ECS26b: the voltage quality thresholds of a single-phase meter.
pub const ECS26B: u16 = 0x003C;
/// ECS26c: the randomisation settings.
pub const ECS26C: u16 = 0x003D;
/// ECS26d: the billing calendar.
pub const ECS26D: u16 = 0x003E;
/// ECS26e: the meter's identity (without its MPAN).
pub const ECS26E: u16 = 0x003F;
/// ECS26i: a comms hub's identity (its CHF's).
pub const ECS26I: u16 = 0x0092;
/// ECS26f: the instantaneous power thresholds.
pub const ECS26F: u16 = 0x0040;
/// ECS27: the load limit settings and counter.
pub const ECS27: u16 = 0x0042;
/// ECS24: the primary element's tariff (4.11.1).
pub const ECS24: u16 = 0x003A;
/// ECS24b: the secondary element's tariff (4.11.2).
pub const ECS24B: u16 = 0x00BD;
/// ECS18a: the maximum demand export register.
pub const ECS18A: u16 = 0x002B;
/// ECS18b: the maximum demand import registers and the configurable time period.
pub const ECS18B: u16 = 0x002C;
/// CCS04: a comms hub's device log, the devices active on its HAN (8.9); CCS06 the same from
/// a dual band hub.
pub const CCS04: u16 = 0x0004;
pub const CCS06: u16 = 0x010F;
/// DBCH01: a dual band comms hub's sub-GHz channel (6.31).
pub const DBCH01: u16 = 0x010A;
/// DBCH03: its sub-GHz configuration (6.30).
pub const DBCH03: u16 = 0x010C;
/// ECS25r1: the supplier's event and alert behaviours (6.2.10); ECS25r2 the network
/// operator's.
pub const ECS25R1: u16 = 0x00EE;
pub const ECS25R2: u16 = 0x00EF;
/// ECS61a: the auxiliary load switches' data (7.7).
pub const ECS61A: u16 = 0x00BB;
/// ECS61d: the auxiliary controllers' configuration (7.14).
pub const ECS61D: u16 = 0x011C;
/// ECS61e: the auxiliary controllers' operational data (7.15).
pub const ECS61E: u16 = 0x011D;

/// One attribute a settings read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// What the value is: the element of DCC's response schema (`mmc-5.4.xsd`) it becomes
    /// where that is plain, else what the COSEM object is.
    pub name: &'static str,
    /// The COSEM interface class, object and attribute holding it.
    pub class_id: u16,
    pub object: Obis,
    pub attribute: i8,
    /// The DLMS data type it is sent as (its A-XDR tag): an answer of another shape is not
    /// named.
    pub tag: u8,
}

/// One value of an answer, with the name of the setting it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingValue {
    /// The setting's name ([`Setting::name`]).
    pub name: &'static str,
    pub value: Data,
}

const DATA: u16 = 1;
const REGISTER: u16 = 3;
const EXTENDED_REGISTER: u16 = 4;
const SCHEDULE: u16 = 10;
const SPECIAL_DAYS_TABLE: u16 = 11;
const SCHEDULE_CALENDAR: u16 = 20;
const REGISTER_MONITOR: u16 = 21;
const SINGLE_ACTION_SCHEDULE: u16 = 22;
const LIMITER: u16 = 71;
const ZIGBEE_NETWORK_CONTROL: u16 = 104;
const ACCOUNT: u16 = 111;
const CREDIT: u16 = 112;
const CHARGE: u16 = 113;
/// GBCS's own interface class for a value with an active and a passive copy.
const GBCS_EXTENDED_DATA: u16 = 9000;

/// DLMS data tags.
const ARRAY: u8 = 1;
const STRUCTURE: u8 = 2;
const BOOLEAN: u8 = 3;
const DOUBLE_LONG: u8 = 5;
const DOUBLE_LONG_UNSIGNED: u8 = 6;
const OCTET_STRING: u8 = 9;
const LONG_UNSIGNED: u8 = 18;
const VISIBLE_STRING: u8 = 10;
const BIT_STRING: u8 = 4;
const UTF8_STRING: u8 = 12;
/// Each auxiliary load switch's output (IC 70, disconnect control, `0-n:96.3.10.255`).
const DISCONNECT_CONTROL: u16 = 70;

const fn setting(
    name: &'static str,
    class_id: u16,
    object: [u8; 6],
    attribute: i8,
    tag: u8,
) -> Setting {
    Setting {
        name,
        class_id,
        object: Obis(object),
        attribute,
        tag,
    }
}

/// 4.13: the two time-based debt recovery charges (`0-0:19.20.1`, `2`: unit charge, read
/// twice as GBCS lists it, and period), the per-payment one's proportion (`0-0:19.20.3`), the
/// credit limits, the disablement threshold (the register monitor of the meter balance), the
/// account's low credit threshold and debt recovery rate cap (max provision and its period),
/// the emergency credit (`0-0:19.10.1`: its limit, and the balance below which it is offered),
/// the non-disablement calendar and its special days, and the account's credit charge
/// configuration — which credit pays which charge, whence the payment mode and the debt
/// suspension flags.
const PREPAYMENT: &[Setting] = &[
    setting(
        "DebtRecovery1 unit charge",
        CHARGE,
        [0, 0, 19, 20, 1, 255],
        5,
        STRUCTURE,
    ),
    setting(
        "NonDisablementCalendar special days",
        SPECIAL_DAYS_TABLE,
        [0, 0, 11, 0, 2, 255],
        2,
        ARRAY,
    ),
    setting(
        "DebtRecovery1 period (s)",
        CHARGE,
        [0, 0, 19, 20, 1, 255],
        8,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "DebtRecovery1 unit charge",
        CHARGE,
        [0, 0, 19, 20, 1, 255],
        5,
        STRUCTURE,
    ),
    setting(
        "DebtRecovery2 unit charge",
        CHARGE,
        [0, 0, 19, 20, 2, 255],
        5,
        STRUCTURE,
    ),
    setting(
        "DebtRecovery2 period (s)",
        CHARGE,
        [0, 0, 19, 20, 2, 255],
        8,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "DebtRecovery2 unit charge",
        CHARGE,
        [0, 0, 19, 20, 2, 255],
        5,
        STRUCTURE,
    ),
    setting(
        "DebtRecoveryPerPayment",
        CHARGE,
        [0, 0, 19, 20, 3, 255],
        13,
        LONG_UNSIGNED,
    ),
    setting(
        "CreditMaxCreditThreshold",
        GBCS_EXTENDED_DATA,
        [0, 0, 94, 44, 2, 10],
        2,
        DOUBLE_LONG,
    ),
    setting(
        "DisablementThreshold",
        REGISTER_MONITOR,
        [0, 0, 16, 0, 1, 255],
        2,
        ARRAY,
    ),
    setting(
        "MaxCreditMaxMeterBalance",
        GBCS_EXTENDED_DATA,
        [0, 0, 94, 44, 2, 20],
        2,
        DOUBLE_LONG,
    ),
    setting(
        "LowCreditThreshold",
        ACCOUNT,
        [0, 0, 19, 0, 0, 255],
        16,
        DOUBLE_LONG,
    ),
    setting(
        "DebtRecoveryRateCap amount",
        ACCOUNT,
        [0, 0, 19, 0, 0, 255],
        18,
        LONG_UNSIGNED,
    ),
    setting(
        "DebtRecoveryRateCap period (s)",
        ACCOUNT,
        [0, 0, 19, 0, 0, 255],
        19,
        DOUBLE_LONG,
    ),
    setting(
        "EmergencyCreditLimit",
        CREDIT,
        [0, 0, 19, 10, 1, 255],
        9,
        DOUBLE_LONG,
    ),
    setting(
        "EmergencyCreditThreshold",
        CREDIT,
        [0, 0, 19, 10, 1, 255],
        10,
        DOUBLE_LONG,
    ),
    setting(
        "NonDisablementCalendar schedule",
        SCHEDULE,
        [0, 0, 12, 0, 1, 255],
        2,
        ARRAY,
    ),
    setting(
        "credit charge configuration (PaymentMode, SuspendDebtDisabled, SuspendDebtEmergency)",
        ACCOUNT,
        [0, 0, 19, 0, 0, 255],
        11,
        ARRAY,
    ),
];

/// 6.2.1: the limiters `0-0:17.0.1`–`4` (attribute 4, threshold_normal, V; 6,
/// min_over_threshold_duration, s) — which is which read off the RTDS meter's thresholds
/// (287, 180, 216 and 253 V against a 230 V supply) — and the average RMS voltage thresholds.
const VOLTAGE: &[Setting] = &[
    setting(
        "RMSExtremeOverVoltageThreshold (V)",
        LIMITER,
        [0, 0, 17, 0, 1, 255],
        4,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "RMSExtremeOverVoltageMeasurementPeriod (s)",
        LIMITER,
        [0, 0, 17, 0, 1, 255],
        6,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "RMSExtremeUnderVoltageThreshold (V)",
        LIMITER,
        [0, 0, 17, 0, 2, 255],
        4,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "RMSExtremeUnderVoltageMeasurementPeriod (s)",
        LIMITER,
        [0, 0, 17, 0, 2, 255],
        6,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "RMSVoltageSagThreshold (V)",
        LIMITER,
        [0, 0, 17, 0, 3, 255],
        4,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "RMSVoltageSagMeasurementPeriod (s)",
        LIMITER,
        [0, 0, 17, 0, 3, 255],
        6,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "RMSVoltageSwellThreshold (V)",
        LIMITER,
        [0, 0, 17, 0, 4, 255],
        4,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "RMSVoltageSwellMeasurementPeriod (s)",
        LIMITER,
        [0, 0, 17, 0, 4, 255],
        6,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "AverageRMSOverVoltageThreshold (V)",
        DATA,
        [1, 0, 32, 35, 0, 4],
        2,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "AverageRMSUnderVoltageThreshold (V)",
        DATA,
        [1, 0, 32, 31, 0, 4],
        2,
        DOUBLE_LONG_UNSIGNED,
    ),
];

/// 6.2.2: three values DCC's schema calls RandomisedOffset, RandomisedOffsetNumber and
/// RandomisedOffsetLimit. The third, `0-0:94.44.0.1`, is the limit a 7.12 (ECS38) sets; which
/// of the first two is which is not known here, so they are named by object.
/// 8.9: the devices active on a comms hub's HAN (IC 104, ZigBee network control, attribute 4):
/// one array, each device its EUI-64, status, RSSI and LQI (each the most, average and least),
/// when it was last heard, hops, transmission failures and successes, application and stack
/// versions.
const ACTIVE_DEVICES: &[Setting] = &[setting(
    "active devices 0-0:30.3.0.255",
    ZIGBEE_NETWORK_CONTROL,
    [0, 0, 30, 3, 0, 255],
    4,
    ARRAY,
)];

/// 6.31: the sub-GHz channel a dual band comms hub is on, a channel mask of one channel.
const SUB_GHZ_CHANNEL: &[Setting] = &[setting(
    "SubGHzChannel 0-0:94.44.10.2",
    DATA,
    [0, 0, 94, 44, 10, 2],
    2,
    BIT_STRING,
)];

/// 6.2.10 from the supplier: its filters of WAN alerts, HAN alerts, audible alarm and logging
/// (`0-30:97.98.15`–`18`), each 256 bits, one per 0x81nn code (`payload::behaviours`); named as
/// 6.22 names what sets them.
const SUPPLIER_ALERT_BEHAVIOURS: &[Setting] = &[
    setting(
        "ElectricitySupplierAlerts",
        DATA,
        [0, 30, 97, 98, 15, 255],
        2,
        BIT_STRING,
    ),
    setting(
        "ElectricitySupplierHANAlertSettings",
        DATA,
        [0, 30, 97, 98, 16, 255],
        2,
        BIT_STRING,
    ),
    setting(
        "ElectricitySupplierAlarmSettings",
        DATA,
        [0, 30, 97, 98, 17, 255],
        2,
        BIT_STRING,
    ),
    setting(
        "ElectricitySupplierLoggingSettings",
        DATA,
        [0, 30, 97, 98, 18, 255],
        2,
        BIT_STRING,
    ),
];

/// 6.2.10 from the network operator: its filters of WAN alerts and logging
/// (`0-33:97.98.15`, `18`), one bit per 0x80nn code.
const NETWORK_OPERATOR_ALERT_BEHAVIOURS: &[Setting] = &[
    setting(
        "ElectricityNetworkOperatorAlerts",
        DATA,
        [0, 33, 97, 98, 15, 255],
        2,
        BIT_STRING,
    ),
    setting(
        "ElectricityNetworkOperatorLoggingSettings",
        DATA,
        [0, 33, 97, 98, 18, 255],
        2,
        BIT_STRING,
    ),
];

/// 6.30: its sub-GHz configuration, one structure (the channel masks, then the thresholds).
const SUB_GHZ_CONFIGURATION: &[Setting] = &[setting(
    "SubGHzConfiguration 0-0:94.44.10.0",
    DATA,
    [0, 0, 94, 44, 10, 0],
    2,
    STRUCTURE,
)];

/// The auxiliary load switches' descriptions (`0-0:94.44.0.11`–`15`), which 6.14.1 sets.
const SWITCH_DESCRIPTIONS: [Setting; 5] = {
    const fn description(name: &'static str, n: u8) -> Setting {
        setting(name, DATA, [0, 0, 94, 44, 0, 10 + n], 2, VISIBLE_STRING)
    }
    [
        description("SwitchDescription 1", 1),
        description("SwitchDescription 2", 2),
        description("SwitchDescription 3", 3),
        description("SwitchDescription 4", 4),
        description("SwitchDescription 5", 5),
    ]
};

/// Each switch's HAN id (`0-0:94.44.0.21`–`25`): an HCALCS's EUI-64, zeros for an ALCS.
const SWITCH_IDS: [Setting; 5] = {
    const fn id(name: &'static str, n: u8) -> Setting {
        setting(name, DATA, [0, 0, 94, 44, 0, 20 + n], 2, OCTET_STRING)
    }
    [
        id("SwitchId 1", 1),
        id("SwitchId 2", 2),
        id("SwitchId 3", 3),
        id("SwitchId 4", 4),
        id("SwitchId 5", 5),
    ]
};

/// The auxiliary load calendar: its special days (IC 11) and its schedule (IC 10).
const AUXILIARY_SPECIAL_DAYS: Setting = setting(
    "auxiliary load special days 0-0:11.0.3.255",
    SPECIAL_DAYS_TABLE,
    [0, 0, 11, 0, 3, 255],
    2,
    ARRAY,
);
const AUXILIARY_SCHEDULE: Setting = setting(
    "auxiliary load schedule 0-0:12.0.2.255",
    SCHEDULE,
    [0, 0, 12, 0, 2, 255],
    2,
    ARRAY,
);

/// 7.7: descriptions, HAN ids, the calendar, and whether each switch is on.
const SWITCH_DATA: &[Setting] = &{
    const fn output(name: &'static str, n: u8) -> Setting {
        setting(name, DISCONNECT_CONTROL, [0, n, 96, 3, 10, 255], 2, BOOLEAN)
    }
    let d = SWITCH_DESCRIPTIONS;
    let i = SWITCH_IDS;
    [
        d[0],
        d[1],
        d[2],
        d[3],
        d[4],
        i[0],
        i[1],
        i[2],
        i[3],
        i[4],
        AUXILIARY_SPECIAL_DAYS,
        AUXILIARY_SCHEDULE,
        output("SwitchState 1", 1),
        output("SwitchState 2", 2),
        output("SwitchState 3", 3),
        output("SwitchState 4", 4),
        output("SwitchState 5", 5),
    ]
};

/// 7.14: descriptions and the calendar.
const CONTROLLER_CONFIGURATION: &[Setting] = &{
    let d = SWITCH_DESCRIPTIONS;
    [
        d[0],
        d[1],
        d[2],
        d[3],
        d[4],
        AUXILIARY_SPECIAL_DAYS,
        AUXILIARY_SCHEDULE,
    ]
};

/// 7.15: HAN ids, and each controller's state (`0-0:94.44.0.31`–`35`): JSON, as the RTDS
/// meter's (`{"outputState": 100, "inputState": 0}`).
const CONTROLLER_OPERATION: &[Setting] = &{
    const fn state(name: &'static str, n: u8) -> Setting {
        setting(name, DATA, [0, 0, 94, 44, 0, 30 + n], 2, UTF8_STRING)
    }
    let i = SWITCH_IDS;
    [
        i[0],
        i[1],
        i[2],
        i[3],
        i[4],
        state("ControllerState 1", 1),
        state("ControllerState 2", 2),
        state("ControllerState 3", 3),
        state("ControllerState 4", 4),
        state("ControllerState 5", 5),
    ]
};

const RANDOMISATION: &[Setting] = &[
    setting(
        "randomisation 0-0:94.44.0.0",
        DATA,
        [0, 0, 94, 44, 0, 0],
        2,
        LONG_UNSIGNED,
    ),
    setting(
        "randomisation 0-0:94.44.0.2",
        DATA,
        [0, 0, 94, 44, 0, 2],
        2,
        LONG_UNSIGNED,
    ),
    setting(
        "RandomisedOffsetLimit 0-0:94.44.0.1 (s)",
        DATA,
        [0, 0, 94, 44, 0, 1],
        2,
        LONG_UNSIGNED,
    ),
];

/// 6.2.3: a single action schedule's execution times (attribute 4), each a time and a date
/// whose unspecified fields repeat (`FFFFFF01FF`: the first of every month).
const BILLING_CALENDAR: &[Setting] = &[setting(
    "BillingCalendar",
    SINGLE_ACTION_SCHEDULE,
    [0, 0, 15, 0, 0, 255],
    4,
    ARRAY,
)];

/// The identity a meter and a comms hub both answer 6.2.4 with: device identifier, model,
/// manufacturer.
const DEVICE_IDENTIFIER: Setting = setting(
    "DeviceIdentifier",
    DATA,
    [0, 0, 96, 1, 1, 255],
    2,
    OCTET_STRING,
);
const MODEL_TYPE: Setting = setting("ModelType", DATA, [0, 0, 96, 1, 4, 255], 2, OCTET_STRING);
const MANUFACTURER_IDENTIFIER: Setting = setting(
    "ManufacturerIdentifier",
    DATA,
    [0, 0, 96, 1, 6, 255],
    2,
    OCTET_STRING,
);

/// 6.2.4: `0-0:96.1.1`, `.2`, `.4` and `.6` and the supply tamper state — named by the
/// schema's elements their values fit (a one-letter variant, an eight-character model).
const IDENTITY: &[Setting] = &[
    DEVICE_IDENTIFIER,
    setting("MeterVariant", DATA, [0, 0, 96, 1, 2, 255], 2, OCTET_STRING),
    MODEL_TYPE,
    MANUFACTURER_IDENTIFIER,
    setting(
        "SupplyTamperState (true: Locked)",
        DATA,
        [0, 0, 94, 44, 0, 4],
        2,
        BOOLEAN,
    ),
];

/// 6.2.4 to a comms hub: its device identifier, model and manufacturer.
const HUB_IDENTITY: &[Setting] = &[DEVICE_IDENTIFIER, MODEL_TYPE, MANUFACTURER_IDENTIFIER];

/// 4.11.1: the primary element's tariff as the meter runs it (the active tables): a register
/// whose meaning GBCS's object (`0-0:94.44.1.7`) alone does not make plain, the activity
/// calendar's season, week and day profiles, the special days, each block tariff's thresholds
/// (register monitors `0-0:16.0.11`–`18`), the currency unit, the standing charge and the price
/// matrix (their charges' unit charges, attribute 5).
const PRIMARY_TARIFF: &[Setting] = &[
    setting(
        "0-0:94.44.1.7 value",
        REGISTER,
        [0, 0, 94, 44, 1, 7],
        2,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "0-0:94.44.1.7 scaler and unit",
        REGISTER,
        [0, 0, 94, 44, 1, 7],
        3,
        STRUCTURE,
    ),
    setting(
        "Seasons",
        SCHEDULE_CALENDAR,
        [0, 0, 13, 0, 0, 255],
        3,
        ARRAY,
    ),
    setting(
        "WeekProfiles",
        SCHEDULE_CALENDAR,
        [0, 0, 13, 0, 0, 255],
        4,
        ARRAY,
    ),
    setting(
        "DayProfiles",
        SCHEDULE_CALENDAR,
        [0, 0, 13, 0, 0, 255],
        5,
        ARRAY,
    ),
    setting(
        "SpecialDays",
        SPECIAL_DAYS_TABLE,
        [0, 0, 11, 0, 0, 255],
        2,
        ARRAY,
    ),
    setting(
        "BlockThresholds 1",
        REGISTER_MONITOR,
        [0, 0, 16, 0, 11, 255],
        2,
        ARRAY,
    ),
    setting(
        "BlockThresholds 2",
        REGISTER_MONITOR,
        [0, 0, 16, 0, 12, 255],
        2,
        ARRAY,
    ),
    setting(
        "BlockThresholds 3",
        REGISTER_MONITOR,
        [0, 0, 16, 0, 13, 255],
        2,
        ARRAY,
    ),
    setting(
        "BlockThresholds 4",
        REGISTER_MONITOR,
        [0, 0, 16, 0, 14, 255],
        2,
        ARRAY,
    ),
    setting(
        "BlockThresholds 5",
        REGISTER_MONITOR,
        [0, 0, 16, 0, 15, 255],
        2,
        ARRAY,
    ),
    setting(
        "BlockThresholds 6",
        REGISTER_MONITOR,
        [0, 0, 16, 0, 16, 255],
        2,
        ARRAY,
    ),
    setting(
        "BlockThresholds 7",
        REGISTER_MONITOR,
        [0, 0, 16, 0, 17, 255],
        2,
        ARRAY,
    ),
    setting(
        "BlockThresholds 8",
        REGISTER_MONITOR,
        [0, 0, 16, 0, 18, 255],
        2,
        ARRAY,
    ),
    setting(
        "CurrencyUnits (true: GBP)",
        GBCS_EXTENDED_DATA,
        [0, 0, 94, 44, 2, 0],
        2,
        BOOLEAN,
    ),
    setting(
        "StandingCharge",
        CHARGE,
        [0, 0, 19, 20, 4, 255],
        5,
        STRUCTURE,
    ),
    setting("PriceMatrix", CHARGE, [0, 0, 19, 20, 0, 255], 5, STRUCTURE),
];

/// 4.11.2: the secondary element's: its price matrix, a register (`0-0:94.44.1.8`) as for the
/// primary, its special days and its season, week and day profiles.
const SECONDARY_TARIFF: &[Setting] = &[
    setting("PriceMatrix", CHARGE, [0, 0, 19, 20, 5, 255], 5, STRUCTURE),
    setting(
        "0-0:94.44.1.8 value",
        REGISTER,
        [0, 0, 94, 44, 1, 8],
        2,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "0-0:94.44.1.8 scaler and unit",
        REGISTER,
        [0, 0, 94, 44, 1, 8],
        3,
        STRUCTURE,
    ),
    setting(
        "SpecialDays",
        SPECIAL_DAYS_TABLE,
        [0, 0, 11, 0, 1, 255],
        2,
        ARRAY,
    ),
    setting(
        "Seasons",
        SCHEDULE_CALENDAR,
        [0, 0, 13, 0, 1, 255],
        3,
        ARRAY,
    ),
    setting(
        "WeekProfiles",
        SCHEDULE_CALENDAR,
        [0, 0, 13, 0, 1, 255],
        4,
        ARRAY,
    ),
    setting(
        "DayProfiles",
        SCHEDULE_CALENDAR,
        [0, 0, 13, 0, 1, 255],
        5,
        ARRAY,
    ),
];

/// 6.2.5: the register monitor of instantaneous active power import (`0-0:16.0.0.255`): its
/// two thresholds (attribute 2), W.
const POWER_THRESHOLDS: &[Setting] = &[setting(
    "LowMediumPowerThreshold, MediumHighPowerThreshold (W)",
    REGISTER_MONITOR,
    [0, 0, 16, 0, 0, 255],
    2,
    ARRAY,
)];

/// 4.15: the supply state the load limit leads to (GBCS extended data `0-0:94.44.0.3`), how
/// many times the limit has been exceeded (a register, with its scaler-unit) and the load
/// limiter (`0-0:17.0.0.255`): its power threshold (attribute 4, W) and how long power must
/// stay above it (6) and below it again (7), s.
const LOAD_LIMIT: &[Setting] = &[
    setting(
        "LoadLimitSupplyState (true: Disable)",
        GBCS_EXTENDED_DATA,
        [0, 0, 94, 44, 0, 3],
        2,
        BOOLEAN,
    ),
    setting(
        "LoadLimitCounterValue",
        REGISTER,
        [0, 0, 94, 44, 42, 255],
        2,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "LoadLimitCounterValue scaler-unit",
        REGISTER,
        [0, 0, 94, 44, 42, 255],
        3,
        STRUCTURE,
    ),
    setting(
        "LoadLimitPowerThreshold (W)",
        LIMITER,
        [0, 0, 17, 0, 0, 255],
        4,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "LoadLimitPeriod (s)",
        LIMITER,
        [0, 0, 17, 0, 0, 255],
        6,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "LoadLimitRestorationPeriod (s)",
        LIMITER,
        [0, 0, 17, 0, 0, 255],
        7,
        DOUBLE_LONG_UNSIGNED,
    ),
];

/// 4.12.1: when the maximum demand registers were last reset (`0-0:94.44.5.0` for the total,
/// `.1` for the configurable time period's), the registers themselves (extended registers
/// `1-0:1.6.0` and `1-0:1.6.1`: value, W; scaler-unit; capture time), and the configurable time
/// period, the schedule `0-0:12.0.0.255` (script 1 starts it, script 2 ends it). Which register
/// is which follows DUIS 6.18.2, whose reset of `MaxDemandConfigTimeActivePowerImportValue` alone
/// GBCS carries as a reset of `1-0:1.6.1`; which reset time is which (`.0` the register at any
/// time, `.1` the configurable time one) is an assumption: no RTDS vector ties them.
const MAX_DEMAND_IMPORT: &[Setting] = &[
    setting(
        "MaxDemandActiveEnergyImport LastResetDateTime",
        DATA,
        [0, 0, 94, 44, 5, 0],
        2,
        OCTET_STRING,
    ),
    setting(
        "MaxDemandConfigurableTimeActivePowerImport LastResetDateTime",
        DATA,
        [0, 0, 94, 44, 5, 1],
        2,
        OCTET_STRING,
    ),
    setting(
        "MaxDemandActiveEnergyImport Value (W)",
        EXTENDED_REGISTER,
        MaxDemandRegister::Import.object(),
        2,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "MaxDemandActiveEnergyImport scaler-unit",
        EXTENDED_REGISTER,
        MaxDemandRegister::Import.object(),
        3,
        STRUCTURE,
    ),
    setting(
        "MaxDemandActiveEnergyImport CaptureTime",
        EXTENDED_REGISTER,
        MaxDemandRegister::Import.object(),
        5,
        OCTET_STRING,
    ),
    setting(
        "MaxDemandConfigurableTimeActivePowerImport Value (W)",
        EXTENDED_REGISTER,
        MaxDemandRegister::ConfigurableImport.object(),
        2,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "MaxDemandConfigurableTimeActivePowerImport scaler-unit",
        EXTENDED_REGISTER,
        MaxDemandRegister::ConfigurableImport.object(),
        3,
        STRUCTURE,
    ),
    setting(
        "MaxDemandConfigurableTimeActivePowerImport CaptureTime",
        EXTENDED_REGISTER,
        MaxDemandRegister::ConfigurableImport.object(),
        5,
        OCTET_STRING,
    ),
    setting(
        "MaxDemandConfigurableTimePeriod",
        SCHEDULE,
        MAX_DEMAND_PERIOD,
        2,
        ARRAY,
    ),
];

/// 4.12.2: when the maximum demand export register was last reset (`0-0:94.44.5.2`) and the
/// register (`1-0:2.6.0`: value, W; scaler-unit; capture time).
const MAX_DEMAND_EXPORT: &[Setting] = &[
    setting(
        "MaxDemandActiveEnergyExport LastResetDateTime",
        DATA,
        [0, 0, 94, 44, 5, 2],
        2,
        OCTET_STRING,
    ),
    setting(
        "MaxDemandActiveEnergyExport Value (W)",
        EXTENDED_REGISTER,
        MaxDemandRegister::Export.object(),
        2,
        DOUBLE_LONG_UNSIGNED,
    ),
    setting(
        "MaxDemandActiveEnergyExport scaler-unit",
        EXTENDED_REGISTER,
        MaxDemandRegister::Export.object(),
        3,
        STRUCTURE,
    ),
    setting(
        "MaxDemandActiveEnergyExport CaptureTime",
        EXTENDED_REGISTER,
        MaxDemandRegister::Export.object(),
        5,
        OCTET_STRING,
    ),
];

/// The maximum demand configurable time period as the schedule `0-0:12.0.0.255` holds it: two
/// entries, numbered from `first_index`, each running the maximum demand script table
/// (`0-0:10.128.100.255`) every day — script 1 at `start`, script 2 at `end` — with the
/// validity window and dates the RTDS meter has.
pub fn max_demand_period(start: NaiveTime, end: NaiveTime, first_index: u16) -> Data {
    let entry = |index: u16, script: u16, at: NaiveTime| {
        Data::Structure(vec![
            Data::LongUnsigned(index),
            Data::Boolean(0xFF),
            Data::OctetString(MAX_DEMAND_SCRIPTS.to_vec()),
            Data::LongUnsigned(script),
            Data::OctetString(vec![
                at.hour() as u8,
                at.minute() as u8,
                at.second() as u8,
                (at.nanosecond() / 10_000_000).min(99) as u8,
            ]),
            Data::LongUnsigned(0xFFFF),
            Data::BitString {
                bits: 7,
                bytes: vec![0xFE],
            },
            Data::BitString {
                bits: 0,
                bytes: Vec::new(),
            },
            Data::OctetString(vec![0, 0, 1, 0xFF, 0xFF]),
            Data::OctetString(vec![0xFF; 5]),
        ])
    };
    Data::Array(vec![
        entry(first_index, 1, start),
        entry(first_index + 1, 2, end),
    ])
}

/// The start and end of the maximum demand configurable time period a schedule holds (the
/// times of its entries running scripts 1 and 2), if it is one.
pub fn max_demand_period_of(schedule: &Data) -> Option<(NaiveTime, NaiveTime)> {
    let Data::Array(entries) = schedule else {
        return None;
    };
    let time_of = |script: u16| {
        entries.iter().find_map(|e| match e.items()? {
            [
                _,
                _,
                Data::OctetString(name),
                Data::LongUnsigned(s),
                Data::OctetString(t),
                ..,
            ] if *name == MAX_DEMAND_SCRIPTS && *s == script => {
                let [h, m, sec, hundredths] = t.as_slice() else {
                    return None;
                };
                // COSEM time: hundredths 0xFF are not specified (taken as 0), past 99 invalid.
                let milli = match *hundredths {
                    0xFF => 0,
                    h @ 0..=99 => u32::from(h) * 10,
                    _ => return None,
                };
                NaiveTime::from_hms_milli_opt((*h).into(), (*m).into(), (*sec).into(), milli)
            }
            _ => None,
        })
    };
    Some((time_of(1)?, time_of(2)?))
}

/// The script table the maximum demand configurable time period's schedule runs.
const MAX_DEMAND_SCRIPTS: [u8; 6] = [0, 0, 10, 128, 100, 255];

/// The schedule holding the maximum demand configurable time period (6.18.1 sets it).
pub(in crate::protocol::gbcs::payload) const MAX_DEMAND_PERIOD: [u8; 6] = [0, 0, 12, 0, 0, 255];

/// One maximum demand register (4.12 reads them, 6.18.2 resets them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxDemandRegister {
    /// Active power import at any time (`1-0:1.6.0`; DUIS `MaxDemandActivePowerImportValue`).
    Import = 0,
    /// Active power import within the configurable time period (`1-0:1.6.1`;
    /// `MaxDemandConfigTimeActivePowerImportValue`).
    ConfigurableImport = 1,
    /// Active power export (`1-0:2.6.0`; `MaxDemandActivePowerExportValue`).
    Export = 2,
}

impl MaxDemandRegister {
    /// The three, in the order GBCS lists them (ECS57's).
    pub const ALL: [MaxDemandRegister; 3] = [
        MaxDemandRegister::Import,
        MaxDemandRegister::ConfigurableImport,
        MaxDemandRegister::Export,
    ];

    /// The extended register (class 4) holding it.
    pub const fn object(self) -> [u8; 6] {
        match self {
            MaxDemandRegister::Import => [1, 0, 1, 6, 0, 255],
            MaxDemandRegister::ConfigurableImport => [1, 0, 1, 6, 1, 255],
            MaxDemandRegister::Export => [1, 0, 2, 6, 0, 255],
        }
    }

    /// The register held in `object`, if one is.
    pub fn of_object(object: [u8; 6]) -> Option<MaxDemandRegister> {
        Self::ALL.into_iter().find(|r| r.object() == object)
    }
}

/// The attributes use case `code` reads, in its order; `None` if it is not a settings read.
pub fn settings(code: u16) -> Option<&'static [Setting]> {
    Some(match code {
        ECS24 => PRIMARY_TARIFF,
        ECS24B => SECONDARY_TARIFF,
        ECS26A => PREPAYMENT,
        ECS26B => VOLTAGE,
        ECS26C => RANDOMISATION,
        ECS26D => BILLING_CALENDAR,
        ECS26E => IDENTITY,
        ECS26F => POWER_THRESHOLDS,
        ECS26I => HUB_IDENTITY,
        ECS27 => LOAD_LIMIT,
        ECS18B => MAX_DEMAND_IMPORT,
        ECS18A => MAX_DEMAND_EXPORT,
        ECS61A => SWITCH_DATA,
        DBCH01 => SUB_GHZ_CHANNEL,
        CCS04 | CCS06 => ACTIVE_DEVICES,
        DBCH03 => SUB_GHZ_CONFIGURATION,
        ECS25R1 => SUPPLIER_ALERT_BEHAVIOURS,
        ECS25R2 => NETWORK_OPERATOR_ALERT_BEHAVIOURS,
        ECS61D => CONTROLLER_CONFIGURATION,
        ECS61E => CONTROLLER_OPERATION,
        _ => return None,
    })
}

/// `values` named as the settings `code` reads, if they are as many and of their types.
pub fn name_values(code: u16, values: &[Data]) -> Option<Vec<SettingValue>> {
    let list = settings(code)?;
    if list.len() != values.len() || list.iter().zip(values).any(|(s, v)| s.tag != v.tag()) {
        return None;
    }
    Some(
        list.iter()
            .zip(values)
            .map(|(setting, value)| SettingValue {
                name: setting.name,
                value: value.clone(),
            })
            .collect(),
    )
}
