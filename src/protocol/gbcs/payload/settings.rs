//! The reads of an electricity meter's settings that GBCS lays out as a fixed list of COSEM
//! attributes: 6.2.1 voltage (ECS26b), 6.2.2 randomisation (ECS26c), 6.2.3 billing calendar
//! (ECS26d), 6.2.4 identity (ECS26e), 6.2.5 instantaneous power thresholds (ECS26f) and 4.15
//! load limit data (ECS27). The command gets the attributes in their order; the answer is their
//! values in the same order, in the clear.
//!
//! Each value is named by what the COSEM object and attribute are (the interface class's own
//! attribute names, IEC 62056-6-2) and, where the RTDS meter's values make it plain, what the
//! setting is for; an identifier GBCS gives no meaning dccsim knows is named by its object
//! alone rather than guessed at.

use serde::Serialize;

use crate::protocol::dlms::Data;

/// ECS26b: the voltage quality thresholds of a single-phase meter.
pub const ECS26B: u16 = 0x003C;
/// ECS26c: the randomisation settings.
pub const ECS26C: u16 = 0x003D;
/// ECS26d: the billing calendar.
pub const ECS26D: u16 = 0x003E;
/// ECS26e: the meter's identity (without its MPAN).
pub const ECS26E: u16 = 0x003F;
/// ECS26f: the instantaneous power thresholds.
pub const ECS26F: u16 = 0x0040;
/// ECS27: the load limit settings and counter.
pub const ECS27: u16 = 0x0042;

/// One attribute a settings read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// What the value is, for a person reading an answer.
    pub name: &'static str,
    pub class_id: u16,
    pub object: [u8; 6],
    pub attribute: i8,
}

/// One value of an answer, with the name of the setting it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingValue {
    pub name: &'static str,
    pub value: Data,
}

const DATA: u16 = 1;
const REGISTER: u16 = 3;
const SINGLE_ACTION_SCHEDULE: u16 = 22;
const REGISTER_MONITOR: u16 = 21;
const LIMITER: u16 = 71;
/// GBCS's own interface class for a value with an active and a passive copy.
const GBCS_EXTENDED_DATA: u16 = 9000;

const fn setting(name: &'static str, class_id: u16, object: [u8; 6], attribute: i8) -> Setting {
    Setting {
        name,
        class_id,
        object,
        attribute,
    }
}

/// The limiters of 6.2.1 (`0-0:17.0.n.255`), each a voltage threshold (attribute 4,
/// threshold_normal, V) and how long the voltage must stay past it (6,
/// min_over_threshold_duration, s): for the RTDS meter 287 V, 180 V, 216 V and 253 V —
/// extreme over- and under-voltage, sag and swell against a 230 V supply.
const VOLTAGE: &[Setting] = &[
    setting(
        "extreme over-voltage threshold (V)",
        LIMITER,
        [0, 0, 17, 0, 1, 255],
        4,
    ),
    setting(
        "extreme over-voltage measurement period (s)",
        LIMITER,
        [0, 0, 17, 0, 1, 255],
        6,
    ),
    setting(
        "extreme under-voltage threshold (V)",
        LIMITER,
        [0, 0, 17, 0, 2, 255],
        4,
    ),
    setting(
        "extreme under-voltage measurement period (s)",
        LIMITER,
        [0, 0, 17, 0, 2, 255],
        6,
    ),
    setting(
        "voltage sag threshold (V)",
        LIMITER,
        [0, 0, 17, 0, 3, 255],
        4,
    ),
    setting(
        "voltage sag measurement period (s)",
        LIMITER,
        [0, 0, 17, 0, 3, 255],
        6,
    ),
    setting(
        "voltage swell threshold (V)",
        LIMITER,
        [0, 0, 17, 0, 4, 255],
        4,
    ),
    setting(
        "voltage swell measurement period (s)",
        LIMITER,
        [0, 0, 17, 0, 4, 255],
        6,
    ),
    setting(
        "average RMS over-voltage threshold (V)",
        DATA,
        [1, 0, 32, 35, 0, 4],
        2,
    ),
    setting(
        "average RMS under-voltage threshold (V)",
        DATA,
        [1, 0, 32, 31, 0, 4],
        2,
    ),
];

const RANDOMISATION: &[Setting] = &[
    setting(
        "randomisation 0-0:94.44.0.0.255",
        DATA,
        [0, 0, 94, 44, 0, 0],
        2,
    ),
    setting(
        "randomisation 0-0:94.44.0.2.255",
        DATA,
        [0, 0, 94, 44, 0, 2],
        2,
    ),
    setting(
        "randomisation 0-0:94.44.0.1.255",
        DATA,
        [0, 0, 94, 44, 0, 1],
        2,
    ),
];

/// The billing calendar: a single action schedule's execution times (attribute 4), each a
/// time and a date whose unspecified fields repeat (`FFFFFF01FF`: the first of every month).
const BILLING_CALENDAR: &[Setting] = &[setting(
    "billing calendar execution times",
    SINGLE_ACTION_SCHEDULE,
    [0, 0, 15, 0, 0, 255],
    4,
)];

const IDENTITY: &[Setting] = &[
    setting("device identity (EUI-64)", DATA, [0, 0, 96, 1, 1, 255], 2),
    setting("identifier 0-0:96.1.2.255", DATA, [0, 0, 96, 1, 2, 255], 2),
    setting("identifier 0-0:96.1.4.255", DATA, [0, 0, 96, 1, 4, 255], 2),
    setting("identifier 0-0:96.1.6.255", DATA, [0, 0, 96, 1, 6, 255], 2),
    setting("flag 0-0:94.44.0.4", DATA, [0, 0, 94, 44, 0, 4], 2),
];

/// The register monitor of instantaneous active power import (`0-0:16.0.0.255`): its
/// thresholds (attribute 2), W.
const POWER_THRESHOLDS: &[Setting] = &[setting(
    "instantaneous active power thresholds (W)",
    REGISTER_MONITOR,
    [0, 0, 16, 0, 0, 255],
    2,
)];

/// 4.15: whether the load limit is in force (GBCS extended data `0-0:94.44.0.3`), how many
/// times the limit has been exceeded (a register, with its scaler-unit) and the load
/// limiter (`0-0:17.0.0.255`): its power threshold (attribute 4, W) and how long power must
/// stay above (6) or below (7) it, s.
const LOAD_LIMIT: &[Setting] = &[
    setting(
        "load limit 0-0:94.44.0.3 value",
        GBCS_EXTENDED_DATA,
        [0, 0, 94, 44, 0, 3],
        2,
    ),
    setting("load limit counter", REGISTER, [0, 0, 94, 44, 42, 255], 2),
    setting(
        "load limit counter scaler-unit",
        REGISTER,
        [0, 0, 94, 44, 42, 255],
        3,
    ),
    setting(
        "load limit power threshold (W)",
        LIMITER,
        [0, 0, 17, 0, 0, 255],
        4,
    ),
    setting(
        "load limit period above the threshold (s)",
        LIMITER,
        [0, 0, 17, 0, 0, 255],
        6,
    ),
    setting(
        "load limit period below the threshold (s)",
        LIMITER,
        [0, 0, 17, 0, 0, 255],
        7,
    ),
];

/// The attributes use case `code` reads, in its order; `None` if it is not a settings read.
pub fn settings(code: u16) -> Option<&'static [Setting]> {
    Some(match code {
        ECS26B => VOLTAGE,
        ECS26C => RANDOMISATION,
        ECS26D => BILLING_CALENDAR,
        ECS26E => IDENTITY,
        ECS26F => POWER_THRESHOLDS,
        ECS27 => LOAD_LIMIT,
        _ => return None,
    })
}

/// The values a meter of dccsim answers settings read `code` with: the settings of the RTDS
/// test meter, which no service dccsim carries changes, but for its identity (`eui`). `None`
/// if `code` is not a settings read.
pub fn factory_values(code: u16, eui: [u8; 8]) -> Option<Vec<Data>> {
    let u32s = |v: &[u32]| v.iter().map(|&x| Data::DoubleLongUnsigned(x)).collect();
    let octets = |b: &[u8]| Data::OctetString(b.to_vec());
    Some(match code {
        ECS26B => u32s(&[287, 30, 180, 30, 216, 30, 253, 30, 264, 200]),
        ECS26C => vec![
            Data::LongUnsigned(200),
            Data::LongUnsigned(2000),
            Data::LongUnsigned(1000),
        ],
        ECS26D => vec![Data::Array(vec![Data::Structure(vec![
            octets(&[0x0C, 0, 0, 0]),
            octets(&[0xFF, 0xFF, 0xFF, 0x01, 0xFF]),
        ])])],
        ECS26E => vec![
            octets(&eui),
            octets(b"B"),
            octets(b"ATGTypeX"),
            octets(b"CSW"),
            Data::Boolean(0xFF),
        ],
        ECS26F => vec![Data::Array(u32s(&[2300, 4600]))],
        ECS27 => vec![
            Data::Boolean(0),
            Data::DoubleLongUnsigned(30),
            Data::Structure(vec![Data::Integer(0), Data::Enum(255)]),
            Data::DoubleLongUnsigned(6900),
            Data::DoubleLongUnsigned(300),
            Data::DoubleLongUnsigned(30),
        ],
        _ => return None,
    })
}
