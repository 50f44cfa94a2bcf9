//! The reads of a gas meter's attributes that GBCS lays out as fixed lists of ZCL attributes:
//! 4.1.2 TOU registers (GCS13c), 4.1.4 block registers (GCS13b), 6.2.8 gas configuration
//! (GCS21a), 6.2.4 identity and supply tamper and depletion states of the meter or its proxy
//! (GCS21e; GCS21m, the same without the hardware version, is a later GBCS's), 7.4 supply status
//! and remaining battery life (GCS33). Each command
//! component reads one cluster's attributes in the order the RTDS commands list them; the answer
//! gives their values in the same order, sealed for the registers, in clear otherwise.
//!
//! Each value is named by its ZigBee Smart Energy attribute (DCC's response schema builds its
//! elements — `CalorificValue`, `TOURegisterMatrixValue`… — from one or more of them, so the
//! attribute is the plainer name), and only named when its type is the one listed.

use serde::Serialize;

use super::gbz::{
    Attribute, BASIC_CLUSTER, METERING_CLUSTER, PREPAYMENT_CLUSTER, PRICE_CLUSTER, ZclValue,
};

/// GCS13c: 4.1.2, the meter's time-of-use registers.
pub const GCS13C: u16 = 0x00B6;
/// GCS13b: 4.1.4, the meter's block registers.
pub const GCS13B: u16 = 0x00B8;
/// GCS21a: 6.2.8, the calorific value, conversion factor and uncontrolled gas flow settings.
pub const GCS21A: u16 = 0x007B;
/// GCS21e: 6.2.4 to the meter or its proxy: its identity and supply tamper and depletion
/// states.
pub const GCS21E: u16 = 0x009E;
/// GCS21m: 6.2.4 as a meter of a later GBCS version answers it, without the hardware version.
/// The RTDS sends both to the same meter; the head-end sends GCS21e, the meter answers either.
pub const GCS21M: u16 = 0x00FB;

/// GCS33: 7.4, the valve's state and the battery's remaining life.
pub const GCS33: u16 = 0x0082;

/// One attribute a read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasSetting {
    /// The ZigBee Smart Energy attribute's name.
    pub name: &'static str,
    pub id: u16,
    /// The ZCL data type it is answered as.
    pub data_type: u8,
}

/// One cluster's attributes a use case reads, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasRead {
    pub cluster: u16,
    pub settings: &'static [GasSetting],
    /// Answered sealed for the remote party (the registers), else in clear.
    pub sealed: bool,
}

impl GasRead {
    /// Whether a Read Attributes of `cluster` asking for `ids` is this read.
    pub fn is(&self, cluster: u16, ids: &[u16]) -> bool {
        self.cluster == cluster && self.settings.iter().map(|s| s.id).eq(ids.iter().copied())
    }

    /// Its values, each setting's given by `value`.
    pub fn values(&self, value: impl Fn(&GasSetting) -> ZclValue) -> Vec<GasSettingValue> {
        self.settings
            .iter()
            .map(|s| GasSettingValue {
                name: s.name,
                id: s.id,
                data_type: s.data_type,
                value: value(s),
            })
            .collect()
    }

    /// The ZCL frame control of the answer: from the server, with default responses disabled
    /// when sealed, as the RTDS meters answer.
    pub fn answer_frame_control(&self) -> u8 {
        if self.sealed { 0x18 } else { 0x08 }
    }
}

/// One value of an answer, with the attribute's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GasSettingValue {
    pub name: &'static str,
    pub id: u16,
    pub data_type: u8,
    pub value: ZclValue,
}

/// ZCL data types.
const UINT8: u8 = 0x20;
const UINT16: u8 = 0x21;
const UINT24: u8 = 0x22;
const UINT32: u8 = 0x23;
const UINT48: u8 = 0x25;
const INT32: u8 = 0x2B;
const BITMAP8: u8 = 0x18;
const ENUM8: u8 = 0x30;
const CHAR_STRING: u8 = 0x42;

const fn setting(name: &'static str, id: u16, data_type: u8) -> GasSetting {
    GasSetting {
        name,
        id,
        data_type,
    }
}

const DIVISOR: GasSetting = setting("Divisor", 0x0302, UINT24);
const MULTIPLIER: GasSetting = setting("Multiplier", 0x0301, UINT24);
const UNIT_OF_MEASURE: GasSetting = setting("UnitOfMeasure", 0x0300, ENUM8);
const SUPPLY_DEPLETION_STATE: GasSetting = setting("SupplyDepletionState", 0x0608, ENUM8);
const SUPPLY_TAMPER_STATE: GasSetting = setting("SupplyTamperState", 0x0607, ENUM8);
const MANUFACTURER_NAME: GasSetting = setting("ManufacturerName", 0x0004, CHAR_STRING);
const MODEL_IDENTIFIER: GasSetting = setting("ModelIdentifier", 0x0005, CHAR_STRING);

const TOU_REGISTERS: &[GasRead] = &[GasRead {
    cluster: METERING_CLUSTER,
    settings: &[
        DIVISOR,
        MULTIPLIER,
        UNIT_OF_MEASURE,
        setting("CurrentTier1SummationDelivered", 0x0100, UINT48),
        setting("CurrentTier2SummationDelivered", 0x0102, UINT48),
        setting("CurrentTier3SummationDelivered", 0x0104, UINT48),
        setting("CurrentTier4SummationDelivered", 0x0106, UINT48),
    ],
    sealed: true,
}];

const BLOCK_REGISTERS: &[GasRead] = &[GasRead {
    cluster: METERING_CLUSTER,
    settings: &[
        setting("CurrentNoTierBlock1SummationDelivered", 0x0700, UINT48),
        setting("CurrentNoTierBlock2SummationDelivered", 0x0701, UINT48),
        setting("CurrentNoTierBlock3SummationDelivered", 0x0702, UINT48),
        setting("CurrentNoTierBlock4SummationDelivered", 0x0703, UINT48),
        DIVISOR,
        MULTIPLIER,
        UNIT_OF_MEASURE,
    ],
    sealed: true,
}];

const GAS_CONFIGURATION: &[GasRead] = &[
    GasRead {
        cluster: PRICE_CLUSTER,
        settings: &[
            setting("CalorificValueTrailingDigit", 0x0306, BITMAP8),
            setting("CalorificValueUnit", 0x0305, ENUM8),
            setting("CalorificValue", 0x0304, UINT32),
            setting("ConversionFactorTrailingDigit", 0x0303, BITMAP8),
            setting("ConversionFactor", 0x0302, UINT32),
        ],
        sealed: false,
    },
    GasRead {
        cluster: METERING_CLUSTER,
        settings: &[
            setting("UncontrolledFlowDivisor", 0x0B13, UINT16),
            setting("UncontrolledFlowMultiplier", 0x0B12, UINT16),
            setting("UncontrolledFlowThresholdUnitOfMeasure", 0x0B11, ENUM8),
            setting("UncontrolledFlowThreshold", 0x0B10, UINT16),
            setting("FlowStabilisationPeriod", 0x0B14, UINT8),
            setting("FlowMeasurementPeriod", 0x0B15, UINT16),
        ],
        sealed: false,
    },
];

const STATES: GasRead = GasRead {
    cluster: METERING_CLUSTER,
    settings: &[SUPPLY_DEPLETION_STATE, SUPPLY_TAMPER_STATE],
    sealed: false,
};

const IDENTITY: &[GasRead] = &[
    GasRead {
        cluster: BASIC_CLUSTER,
        settings: &[
            MANUFACTURER_NAME,
            MODEL_IDENTIFIER,
            setting("HWVersion", 0x0003, UINT8),
        ],
        sealed: false,
    },
    STATES,
];

const IDENTITY_WITHOUT_HARDWARE: &[GasRead] = &[
    GasRead {
        cluster: BASIC_CLUSTER,
        settings: &[MANUFACTURER_NAME, MODEL_IDENTIFIER],
        sealed: false,
    },
    STATES,
];

const SUPPLY_STATUS: &[GasRead] = &[GasRead {
    cluster: METERING_CLUSTER,
    settings: &[
        setting("RemainingBatteryLifeInDays", 0x0205, UINT16),
        setting("SupplyStatus", 0x0014, ENUM8),
    ],
    sealed: false,
}];

/// GCS21f (4.11.1)'s read of the Price cluster: the block thresholds, tariff and prices. The
/// rest of GCS21f asks for the calendar and the current price; the meter answers this part with
/// default responses disabled, in clear.
pub const TARIFF_READ: GasRead = GasRead {
    cluster: PRICE_CLUSTER,
    settings: TARIFF_ATTRIBUTES,
    sealed: false,
};

pub const TARIFF_ATTRIBUTES: &[GasSetting] = &[
    setting("ThresholdDivisor", 0x0203, UINT24),
    setting("ThresholdMultiplier", 0x0202, UINT24),
    setting("Block1Threshold", 0x0100, UINT48),
    setting("Block2Threshold", 0x0101, UINT48),
    setting("Block3Threshold", 0x0102, UINT48),
    setting("TariffUnitOfMeasure", 0x0615, ENUM8),
    setting("NoTierBlock1Price", 0x0400, UINT32),
    setting("NoTierBlock2Price", 0x0401, UINT32),
    setting("NoTierBlock3Price", 0x0402, UINT32),
    setting("NoTierBlock4Price", 0x0403, UINT32),
    setting("Tier1Block1Price", 0x0410, UINT32),
    setting("Tier2Block1Price", 0x0420, UINT32),
    setting("Tier3Block1Price", 0x0430, UINT32),
    setting("Tier4Block1Price", 0x0440, UINT32),
    setting("TariffCurrency", 0x0616, UINT16),
    setting("TariffPriceTrailingDigit", 0x0617, BITMAP8),
    setting("StandingCharge", 0x0301, UINT32),
];

/// GCS21b (4.13)'s reads of the Prepayment and Price clusters: the prepayment configuration
/// (with the debt recovery settings) and the price trailing digit; the rest of GCS21b asks
/// for the friendly credit calendar.
pub const PREPAY_CONFIGURATION_READ: &[GasRead] = &[
    GasRead {
        cluster: PREPAYMENT_CLUSTER,
        settings: &[
            setting("DebtRecoveryTopUpPercentage3", 0x0239, UINT16),
            setting("OverallDebtCap", 0x0006, INT32),
            setting("DebtRecoveryFrequency1", 0x0216, ENUM8),
            setting("DebtRecoveryFrequency2", 0x0226, ENUM8),
            setting("CutOffValue", 0x0040, INT32),
            setting("EmergencyCreditLimitAllowance", 0x0010, UINT32),
            setting("EmergencyCreditThreshold", 0x0011, UINT32),
            setting("LowCreditWarningLevel", 0x0031, UINT32),
            setting("MaxCreditLimit", 0x0021, UINT32),
            setting("MaxCreditPerTopUp", 0x0022, UINT32),
            setting("DebtRecoveryAmount1", 0x0217, UINT32),
            setting("DebtRecoveryAmount2", 0x0227, UINT32),
        ],
        sealed: false,
    },
    GasRead {
        cluster: PRICE_CLUSTER,
        settings: &[setting("TariffPriceTrailingDigit", 0x0617, BITMAP8)],
        sealed: false,
    },
];

/// Every use case read this way, with the DUIS service it carries.
pub const GAS_READS: &[(u16, &str, &[GasRead])] = &[
    (GCS13C, "4.1.2", TOU_REGISTERS),
    (GCS13B, "4.1.4", BLOCK_REGISTERS),
    (GCS21A, "6.2.8", GAS_CONFIGURATION),
    (GCS21E, "6.2.4", IDENTITY),
    (GCS21M, "6.2.4", IDENTITY_WITHOUT_HARDWARE),
    (GCS33, "7.4", SUPPLY_STATUS),
];

/// What use case `code` reads, if it is one of these.
pub fn reads(code: u16) -> Option<&'static [GasRead]> {
    GAS_READS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, reads)| *reads)
}

/// The use case carrying `service` to a gas meter or its proxy (the first listed for it).
pub fn use_case(service: &str) -> Option<u16> {
    GAS_READS
        .iter()
        .find(|(_, s, _)| *s == service)
        .map(|(code, _, _)| *code)
}

/// The answer records of a Read Attributes Response from `cluster` named, when they are the
/// values of one of these reads: the same attributes in the same order, each of its type.
pub fn named(cluster: u16, attributes: &[Attribute]) -> Option<Vec<GasSettingValue>> {
    let read = GAS_READS
        .iter()
        .flat_map(|(_, _, reads)| reads.iter())
        .chain([&TARIFF_READ])
        .chain(PREPAY_CONFIGURATION_READ)
        .find(|r| {
            r.cluster == cluster
                && r.settings.len() == attributes.len()
                && r.settings
                    .iter()
                    .zip(attributes)
                    .all(|(s, a)| s.id == a.id && a.status == 0 && a.data_type == Some(s.data_type))
        })?;
    read.settings
        .iter()
        .zip(attributes)
        .map(|(s, a)| {
            Some(GasSettingValue {
                name: s.name,
                id: s.id,
                data_type: s.data_type,
                value: a.value.clone()?,
            })
        })
        .collect()
}
