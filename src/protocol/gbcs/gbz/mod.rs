//! GBZ: the ZigBee payloads of gas meters (GSME) and the gas proxy function (GPF) inside GBCS
//! (GBCS §7.5 "GBZ payload"). A payload is the profile id `0109`, a count of components, and the
//! components; each component has an extended header (control field, ZCL cluster, length and,
//! when the control field says so, a "from" date-time) and a ZCL frame (frame control, sequence
//! number, command id, payload). A component whose control field has bit 1 set is encrypted
//! for the remote party: after the ZCL header it carries the ciphered information (length,
//! security header, ciphertext, 12-byte tag), opened like a DLMS sealed payload.
//! An alert is the profile id, the count, the alert code, a time stamp and use-case-specific
//! bytes.
//!
//! Decoding keeps every byte, so a decoded payload re-encodes to exactly the bytes it came from.
//!
//! This module holds the framing and the ZCL constants; the commands and answers interpreted
//! ([`GasPayload`]) are in `payload`, read in `decode` and written in `encode`.

use serde::Serialize;

use super::gas_settings::GasSettingValue;
use super::sealed::{SealError, Sealed};
use super::{GbcsMessage, KeyStore};

/// The Smart Energy profile id every GBZ payload starts with.
pub const PROFILE_ID: u16 = 0x0109;
/// Control-field bit: the component is encrypted.
const ENCRYPTED: u8 = 0x02;
/// Control-field bit: a "from" date-time follows the length.
const FROM_DATE_TIME: u8 = 0x10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GbzError {
    #[error("byte {offset}: {what} needs {need} more bytes, {left} left")]
    Short {
        offset: usize,
        what: &'static str,
        need: usize,
        left: usize,
    },
    #[error("profile id {0:#06x} is not the Smart Energy profile 0x0109")]
    Profile(u16),
    #[error("{0} bytes follow the last component")]
    Trailing(usize),
}

/// A decoded GBZ payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Gbz {
    Components {
        components: Vec<Component>,
    },
    Alert {
        /// Count of components as sent (1 for most alerts).
        count: u8,
        alert_code: u16,
        /// UTC seconds since 2000-01-01 (GBCS time).
        time: u32,
        #[serde(serialize_with = "hex")]
        rest: Vec<u8>,
    },
}

/// One ZCL command or response with its extended header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    pub control: u8,
    pub cluster: u16,
    /// From date-time (control bit 4), GBCS seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<u32>,
    /// Encrypted components: the additional header control and frame counter bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_header: Option<[u8; 2]>,
    pub frame_control: u8,
    pub sequence: u8,
    pub command: u8,
    /// The ZCL payload; for an encrypted component, the ciphered information without its
    /// two-byte length (security header ‖ ciphertext ‖ tag).
    #[serde(serialize_with = "hex")]
    pub payload: Vec<u8>,
}

impl Component {
    pub fn encrypted(&self) -> bool {
        self.control & ENCRYPTED != 0
    }

    /// ZCL direction bit: server to client (a response or a report).
    pub fn from_server(&self) -> bool {
        self.frame_control & 0x08 != 0
    }

    /// An encrypted component's payload, sealed for the remote party: the message's recipient,
    /// or — when the DCC relays for a user (the header's other information carries a
    /// supplementary remote party id, and perhaps its originator counter) — that user.
    pub fn sealed(&self, message: &GbcsMessage) -> Option<Result<Sealed, SealError>> {
        if !self.encrypted() {
            return None;
        }
        let s = &message.signing;
        let other = &s.other_information;
        let (recipient, counter) = super::sealed::relayed(other).unwrap_or((s.recipient, None));
        let counter = counter.unwrap_or_else(|| s.originator_counter.to_be_bytes());
        let mut tid = [0u8; 9];
        tid[0] = super::sealed::ENCRYPTION_MODE;
        tid[1..].copy_from_slice(&counter);
        Some(Sealed::from_parts(
            s.originator,
            recipient,
            tid,
            &self.payload,
        ))
    }

    /// The ZCL payload in clear: as sent, or opened with the recipient's key.
    pub fn plaintext(&self, message: &GbcsMessage, keys: &KeyStore) -> Result<Vec<u8>, SealError> {
        match self.sealed(message) {
            None => Ok(self.payload.clone()),
            Some(sealed) => sealed?.open(keys),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], GbzError> {
        let left = self.bytes.len() - self.at;
        if n > left {
            return Err(GbzError::Short {
                offset: self.at,
                what,
                need: n,
                left,
            });
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, GbzError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, GbzError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, GbzError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Little-endian ZCL fields.
impl Reader<'_> {
    fn le16(&mut self, what: &'static str) -> Result<u16, GbzError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn le32(&mut self, what: &'static str) -> Result<u32, GbzError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn le48(&mut self, what: &'static str) -> Result<u64, GbzError> {
        let b = self.take(6, what)?;
        let mut v = [0u8; 8];
        v[..6].copy_from_slice(b);
        Ok(u64::from_le_bytes(v))
    }

    fn le48s(&mut self, n: usize, what: &'static str) -> Result<Vec<u64>, GbzError> {
        (0..n).map(|_| self.le48(what)).collect()
    }

    /// A ZCL octet string: its length, then its bytes.
    fn octets(&mut self, what: &'static str) -> Result<&'_ [u8], GbzError> {
        let n = usize::from(self.u8(what)?);
        self.take(n, what)
    }

    /// A ZCL octet string holding text; `None` if it is not UTF-8.
    fn text(&mut self, what: &'static str) -> Result<Option<String>, GbzError> {
        Ok(std::str::from_utf8(self.octets(what)?)
            .ok()
            .map(str::to_string))
    }

    /// A Read Attributes command's list: attribute ids to the end.
    fn attribute_ids(&mut self) -> Result<Vec<u16>, GbzError> {
        let mut ids = Vec::new();
        while self.at < self.bytes.len() {
            ids.push(self.le16("attribute id")?);
        }
        Ok(ids)
    }

    fn end(&self) -> Result<(), GbzError> {
        match self.bytes.len() - self.at {
            0 => Ok(()),
            n => Err(GbzError::Trailing(n)),
        }
    }
}

impl Gbz {
    /// Reads a GBZ payload; `alert` for a message whose CRA flag says alert.
    pub fn decode(bytes: &[u8], alert: bool) -> Result<Gbz, GbzError> {
        let mut r = Reader { bytes, at: 0 };
        let profile = r.u16("profile id")?;
        if profile != PROFILE_ID {
            return Err(GbzError::Profile(profile));
        }
        let count = r.u8("component count")?;
        if alert {
            let alert_code = r.u16("alert code")?;
            let time = r.u32("time stamp")?;
            return Ok(Gbz::Alert {
                count,
                alert_code,
                time,
                rest: bytes[r.at..].to_vec(),
            });
        }
        let mut components = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let control = r.u8("control field")?;
            let cluster = r.u16("cluster id")?;
            let len = usize::from(r.u16("component length")?);
            let body = r.take(len, "component")?;
            let mut c = Reader { bytes: body, at: 0 };
            let shift = |e: GbzError, base: usize| match e {
                GbzError::Short {
                    offset,
                    what,
                    need,
                    left,
                } => GbzError::Short {
                    offset: offset + base,
                    what,
                    need,
                    left,
                },
                other => other,
            };
            let base = r.at - len;
            let mut read = || -> Result<Component, GbzError> {
                let additional_header = if control & ENCRYPTED != 0 {
                    let h = c.take(2, "additional header")?;
                    Some([h[0], h[1]])
                } else {
                    None
                };
                let from = if control & ENCRYPTED == 0 && control & FROM_DATE_TIME != 0 {
                    Some(c.u32("from date-time")?)
                } else {
                    None
                };
                let frame_control = c.u8("ZCL frame control")?;
                let sequence = c.u8("ZCL sequence number")?;
                let command = c.u8("ZCL command id")?;
                let payload = if control & ENCRYPTED != 0 {
                    let n = usize::from(c.u16("ciphered information length")?);
                    c.take(n, "ciphered information")?.to_vec()
                } else {
                    body[c.at..].to_vec()
                };
                if control & ENCRYPTED == 0 {
                    c.at = body.len();
                }
                if c.at != body.len() {
                    return Err(GbzError::Trailing(body.len() - c.at));
                }
                Ok(Component {
                    control,
                    cluster,
                    from,
                    additional_header,
                    frame_control,
                    sequence,
                    command,
                    payload,
                })
            };
            components.push(read().map_err(|e| shift(e, base))?);
        }
        if r.at != bytes.len() {
            return Err(GbzError::Trailing(bytes.len() - r.at));
        }
        Ok(Gbz::Components { components })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = PROFILE_ID.to_be_bytes().to_vec();
        match self {
            Gbz::Alert {
                count,
                alert_code,
                time,
                rest,
            } => {
                out.push(*count);
                out.extend_from_slice(&alert_code.to_be_bytes());
                out.extend_from_slice(&time.to_be_bytes());
                out.extend_from_slice(rest);
            }
            Gbz::Components { components } => {
                out.push(components.len() as u8);
                for c in components {
                    let mut body = Vec::new();
                    if let Some(h) = c.additional_header {
                        body.extend_from_slice(&h);
                    }
                    if let Some(from) = c.from {
                        body.extend_from_slice(&from.to_be_bytes());
                    }
                    body.extend_from_slice(&[c.frame_control, c.sequence, c.command]);
                    if c.encrypted() {
                        body.extend_from_slice(&(c.payload.len() as u16).to_be_bytes());
                    }
                    body.extend_from_slice(&c.payload);
                    out.push(c.control);
                    out.extend_from_slice(&c.cluster.to_be_bytes());
                    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
                    out.extend(body);
                }
            }
        }
        out
    }
}

/// A ZCL attribute record of a Read Attributes Response (command 0x01).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    pub id: u16,
    pub status: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<ZclValue>,
}

/// A ZCL value, by the data type's family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ZclValue {
    Unsigned(u64),
    Signed(i64),
    #[serde(serialize_with = "hex")]
    Bytes(Vec<u8>),
}

/// Reads the records of a Read Attributes Response (ZCL §2.5.2): attribute id (LE), status, and
/// when the status is success the data type and value. ZCL integers are little-endian.
pub fn read_attributes_response(payload: &[u8]) -> Result<Vec<Attribute>, GbzError> {
    let mut r = Reader {
        bytes: payload,
        at: 0,
    };
    let mut out = Vec::new();
    while r.at < payload.len() {
        let id = r.take(2, "attribute id")?;
        let id = u16::from_le_bytes([id[0], id[1]]);
        let status = r.u8("attribute status")?;
        if status != 0 {
            out.push(Attribute {
                id,
                status,
                data_type: None,
                value: None,
            });
            continue;
        }
        let data_type = r.u8("attribute data type")?;
        let value = match data_type {
            // bool, bitmaps, unsigned, enums, UTC time and the other fixed-size unsigned kinds
            0x08..=0x0F | 0x10 | 0x18..=0x1F | 0x20..=0x27 | 0x30 | 0x31 | 0xE0..=0xE2 => {
                let n = fixed_size(data_type);
                let b = r.take(n, "attribute value")?;
                ZclValue::Unsigned(b.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x)))
            }
            0x28..=0x2F => {
                let n = usize::from(data_type - 0x27);
                let b = r.take(n, "attribute value")?;
                let raw = b.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x));
                let shift = 64 - 8 * n as u32;
                ZclValue::Signed(((raw << shift) as i64) >> shift)
            }
            0x41 | 0x42 => {
                let n = usize::from(r.u8("string length")?);
                ZclValue::Bytes(r.take(n, "string")?.to_vec())
            }
            0x43 | 0x44 => {
                let n = r.take(2, "long string length")?;
                let n = usize::from(u16::from_le_bytes([n[0], n[1]]));
                ZclValue::Bytes(r.take(n, "long string")?.to_vec())
            }
            _ => {
                // Unknown type: the rest of the payload, kept.
                ZclValue::Bytes(r.take(payload.len() - r.at, "attribute value")?.to_vec())
            }
        };
        out.push(Attribute {
            id,
            status,
            data_type: Some(data_type),
            value: Some(value),
        });
    }
    Ok(out)
}

fn fixed_size(data_type: u8) -> usize {
    match data_type {
        0x08..=0x0F => usize::from(data_type - 0x07),
        0x10 => 1,
        0x18..=0x1F => usize::from(data_type - 0x17),
        0x20..=0x27 => usize::from(data_type - 0x1F),
        0x30 => 1,
        0x31 => 2,
        _ => 4, // time of day, date, UTC time
    }
}

fn hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::describe::hex(bytes))
}

/// The Metering cluster, which carries gas readings.
pub const METERING_CLUSTER: u16 = 0x0702;
/// The Basic cluster: who made a device and what it is (GCS21e, GCS21m; 6.2.4).
pub const BASIC_CLUSTER: u16 = 0x0000;
/// ZCL Read Attributes (general command).
pub const READ_ATTRIBUTES: u8 = 0x00;
/// ZCL Read Attributes Response (general command).
pub const READ_ATTRIBUTES_RESPONSE: u8 = 0x01;
/// Metering cluster: GetSampledData (client to server) and GetSampledDataResponse (server to
/// client) — the gas half-hourly profile (GCS17, 4.8.1) and daily log (GCS61, 4.17).
pub const GET_SAMPLED_DATA: u8 = 0x08;
pub const GET_SAMPLED_DATA_RESPONSE: u8 = 0x07;
/// Metering cluster: StartSampling (client to server) and StartSamplingResponse — 14.1 Record
/// Network Data (GCS31).
pub const START_SAMPLING: u8 = 0x07;
pub const START_SAMPLING_RESPONSE: u8 = 0x0D;
/// The sample id the network data (4.10, 14.1) is kept under, its interval (six minutes) and
/// how many samples it keeps.
pub const NETWORK_DATA_SAMPLE_ID: u16 = 2;
pub const NETWORK_DATA_INTERVAL_S: u16 = 360;
pub const NETWORK_DATA_SAMPLES: u16 = 41;
/// Metering cluster: GetSnapshot (client to server) and PublishSnapshot (server to client),
/// the same id both ways — the gas daily read log (GCS16a, 4.6.1).
pub const GET_SNAPSHOT: u8 = 0x06;
pub const PUBLISH_SNAPSHOT: u8 = 0x06;
/// Metering cluster: ChangeSupply (client to server) and SupplyStatusResponse — the gas
/// valve (GCS32, 7.2 disable; GCS39, 7.3 arm).
pub const CHANGE_SUPPLY: u8 = 0x0B;
/// The metering cluster's SetSupplyStatus and SetUncontrolledFlowThreshold (GCS24, 6.7,
/// critical), each answered by the meter's Default Response.
pub const SET_SUPPLY_STATUS: u8 = 0x0D;
pub const SET_UNCONTROLLED_FLOW_THRESHOLD: u8 = 0x0E;
/// A supply state on tamper or depletion: the supply turned off (DUIS's `Locked`), or left
/// as it is (`Unchanged`); SetSupplyStatus's uncontrolled flow and load limit states, which
/// GBCS fixes for a gas meter (the RTDS command's: off, unchanged).
pub const SUPPLY_LOCKED: u8 = 0x00;
pub const SUPPLY_UNCHANGED: u8 = 0x03;
pub const SUPPLY_STATUS_RESPONSE: u8 = 0x0C;
/// The Events cluster: GetEventLog (CS10a and CS10b, 6.13: the GSME's general event and
/// security logs) and the meter's PublishEventLog; ClearEventLogRequest (CS11, 3.3: the GSME's
/// general event log) and the meter's ClearEventLogResponse, which names the logs cleared.
pub const EVENTS_CLUSTER: u16 = 0x0709;
pub const GET_EVENT_LOG: u8 = 0x00;
pub const PUBLISH_EVENT_LOG: u8 = 0x01;
pub const CLEAR_EVENT_LOG_REQUEST: u8 = 0x01;
pub const CLEAR_EVENT_LOG_RESPONSE: u8 = 0x02;
/// The general event log's id, and its bit in a ClearEventLogResponse's cleared logs.
pub const GENERAL_EVENT_LOG: u8 = 0x03;
/// The security log's id.
pub const SECURITY_EVENT_LOG: u8 = 0x04;
pub const GENERAL_EVENT_LOG_CLEARED: u8 = 0x08;
/// The Price cluster: the currency a meter's amounts are in (GCS14, 4.3).
pub const PRICE_CLUSTER: u16 = 0x0700;
/// The Price cluster: GetBillingPeriod (client to server) and PublishBillingPeriod — the
/// billing calendar (GCS21d, 6.2.3).
pub const GET_BILLING_PERIOD: u8 = 0x0B;
pub const PUBLISH_BILLING_PERIOD: u8 = 0x09;
/// The Price cluster's PublishBlockPeriod: with a PublishBillingPeriod, a billing calendar set
/// (GCS25, GCS25a, 6.8, critical), each answered by the meter, their client, with a Default
/// Response.
pub const PUBLISH_BLOCK_PERIOD: u8 = 0x01;
/// A block period's control: repeating.
pub const REPEATING_BLOCK_PERIOD: u8 = 0x02;
/// A tariff resolution period: the block period.
pub const BLOCK_PERIOD_RESOLUTION: u8 = 0x01;
/// The Price cluster's PublishConversionFactor and PublishCalorificValue (GCS23, 6.6,
/// critical): the meter, their client, answers each with a Default Response.
pub const PUBLISH_CONVERSION_FACTOR: u8 = 0x02;
pub const PUBLISH_CALORIFIC_VALUE: u8 = 0x03;
/// The trailing digits a 6.6 gives: five decimal places for the conversion factor, one for the
/// calorific value (in MJ/m³, unit 1), as the RTDS command does and DUIS's schema allows.
pub const CONVERSION_FACTOR_DIGITS: u8 = 0x50;
pub const CALORIFIC_VALUE_DIGITS: u8 = 0x10;
pub const MEGAJOULES_PER_M3: u8 = 0x01;
/// A billing period duration type: months, ending where not said (as the RTDS meter's
/// six-monthly calendar, GCS21k, gives its unit).
pub const MONTHLY_UNSPECIFIED: u8 = 0x23;
/// Days and weeks, ending where not said.
pub const DAILY_UNSPECIFIED: u8 = 0x21;
pub const WEEKLY_UNSPECIFIED: u8 = 0x22;
/// The prepayment cluster: ConsumerTopUp (client to server) and its response (CS01b, 2.2).
pub const PREPAYMENT_CLUSTER: u16 = 0x0705;
pub const CONSUMER_TOP_UP: u8 = 0x04;
pub const CONSUMER_TOP_UP_RESPONSE: u8 = 0x03;
/// The Device Management cluster, whose server is the supplier's side and the meter its
/// client: PublishChangeOfSupplier (GCS44, 3.4), answered by the meter's Default Response
/// (client to server).
pub const DEVICE_MANAGEMENT_CLUSTER: u16 = 0x0708;
pub const PUBLISH_CHANGE_OF_SUPPLIER: u8 = 0x01;
/// The Device Management cluster's PublishChangeOfTenancy (GCS09, 3.2, to the GPF),
/// RequestNewPasswordResponse (GCS11, 3.5: a consumer password, [`CONSUMER_PASSWORD`], empty:
/// privacy PIN protection off) and UpdateSiteID (GCS41, 6.20.1: the MPRN), each answered by a
/// Default Response.
pub const PUBLISH_CHANGE_OF_TENANCY: u8 = 0x00;
pub const REQUEST_NEW_PASSWORD_RESPONSE: u8 = 0x02;
pub const UPDATE_SITE_ID: u8 = 0x03;
pub const CONSUMER_PASSWORD: u8 = 0x02;
/// The Device Management cluster's SetEventConfiguration (GCS20, 6.22: how the meter logs and
/// reports the events listed), answered by a Default Response, and GetEventConfiguration
/// (GCS20r, 6.2.10), answered by the meter's ReportEventConfiguration (client to server).
pub const SET_EVENT_CONFIGURATION: u8 = 0x04;
pub const GET_EVENT_CONFIGURATION: u8 = 0x05;
pub const REPORT_EVENT_CONFIGURATION: u8 = 0x04;
/// SetEventConfiguration's configuration control: the events are listed.
pub const CONFIGURE_BY_LIST: u8 = 0x00;
/// An event's configuration: how it is logged (bits 0–2: 3 in the general event log), and
/// whether it is sent as an alert over the WAN, over the HAN, and raised as an alarm.
pub const EVENT_LOGGED: u8 = 0x03;
pub const EVENT_WAN_ALERT: u8 = 0x08;
pub const EVENT_HAN_ALERT: u8 = 0x10;
pub const EVENT_ALARM: u8 = 0x40;
/// The Messaging cluster, whose server is the supplier's side and the meter its client:
/// DisplayMessage (GCS07, 3.1), answered by the meter's Default Response.
pub const MESSAGING_CLUSTER: u16 = 0x0703;
pub const DISPLAY_MESSAGE: u8 = 0x00;
/// A DisplayMessage's duration that lasts until another message replaces it.
pub const UNTIL_REPLACED: u16 = 0xFFFF;
/// The proposed tenancy change control a 3.2 carries, as the RTDS command does (bit 9).
pub const TENANCY_CHANGE_CONTROL: u32 = 0x0000_0200;
/// The provider change control a 3.4 carries, as the RTDS command does (bits 11 and 12).
pub const SUPPLIER_NAME_CONTROL: u32 = 0x0000_1800;
/// The prepayment cluster: SelectAvailableEmergencyCredit (GCS06, 2.5), answered by a Default
/// Response.
pub const SELECT_EMERGENCY_CREDIT: u8 = 0x00;
/// The Prepayment cluster's prepayment configuration commands (2.1, GCS05).
pub const EMERGENCY_CREDIT_SETUP: u8 = 0x03;
pub const SET_LOW_CREDIT_WARNING_LEVEL: u8 = 0x09;
pub const SET_MAXIMUM_CREDIT_LIMIT: u8 = 0x0B;
pub const SET_OVERALL_DEBT_CAP: u8 = 0x0C;
/// ChangeDebt (2.3, GCS04): its recovery methods, debt amount types and frequencies.
pub const CHANGE_DEBT: u8 = 0x02;
pub const TIME_BASED: u8 = 0x00;
pub const PAYMENT_BASED: u8 = 0x01;
pub const DEBT_1_INCREMENTAL: u8 = 0x01;
pub const DEBT_2_INCREMENTAL: u8 = 0x03;
pub const DEBT_3_INCREMENTAL: u8 = 0x05;
pub const PER_HOUR: u8 = 0x00;
pub const PER_DAY: u8 = 0x01;
/// ZCL status FAILURE (a command the meter will not carry out).
pub const FAILURE: u8 = 0x01;
/// The prepayment cluster: CreditAdjustment (GCS40a–d, 1.5), answered by a Default Response.
pub const CREDIT_ADJUSTMENT: u8 = 0x05;
/// Credit adjustment types, as the RTDS's four commands carry them: the balance of a meter in
/// prepayment mode adjusted by the value (GCS40a) or set to it (GCS40b, a reset: nought); of
/// one in credit mode set to it (GCS40d, a reset) or adjusted by it (GCS40c).
pub const CREDIT_INCREMENTAL: u8 = 0x00;
pub const CREDIT_ABSOLUTE: u8 = 0x01;
pub const CREDIT_MODE_ABSOLUTE: u8 = 0x02;
pub const CREDIT_MODE_INCREMENTAL: u8 = 0x03;
/// The prepayment cluster: GetTopUpLog and PublishTopUpLog (GCS15e, 4.4.5), GetDebtRepaymentLog
/// and PublishDebtLog (GCS15d, 4.4.4).
pub const GET_TOP_UP_LOG: u8 = 0x08;
pub const PUBLISH_TOP_UP_LOG: u8 = 0x05;
pub const GET_DEBT_REPAYMENT_LOG: u8 = 0x0A;
pub const PUBLISH_DEBT_LOG: u8 = 0x06;
/// The latest end time a log read asks for when the DUIS period ends past GBCS's clock (the
/// RTDS sends DUIS's 3000-12-31 so).
pub const LATEST_TIME: u32 = 0xFFFF_FFFE;
/// Snapshot cause: the billing period's end (the billing calendar's snapshot).
pub const BILLING_SNAPSHOT: u32 = 2;
/// Snapshot cause: a change of meter (payment) mode.
pub const CHANGE_OF_MODE_SNAPSHOT: u32 = 0x4000;
/// The snapshot causes 4.4.2 (GCS15b) asks for: a change of tariff information (bit 3), of
/// supplier (13) or of meter mode (14).
pub const CHANGE_SNAPSHOTS: u32 = 0x6008;
/// The prepayment cluster: ChangePaymentMode (client to server) and its response (GCS02 to
/// credit, GCS03 to prepayment; 1.6).
pub const CHANGE_PAYMENT_MODE: u8 = 0x06;
pub const CHANGE_PAYMENT_MODE_RESPONSE: u8 = 0x02;
/// Payment control configuration bit: prepayment enabled.
pub const PREPAYMENT_ENABLED: u16 = 0x0002;
/// The payment control configurations GB gas meters are sent: credit mode, and prepayment
/// mode (as in the RTDS commands).
pub const CREDIT_CONFIGURATION: u16 = 0x0C94;
pub const PREPAYMENT_CONFIGURATION: u16 = 0x0897;
/// An implementation date-time that cancels a pending future-dated change.
pub const CANCEL: u32 = 0xFFFF_FFFF;
/// The future-dated command carried out (8F66) or not (8F67).
pub const FUTURE_DATED_SUCCESS: u16 = 0x8F66;
/// ZCL Default Response (general command): the answer to a command that has no other, or
/// that failed (e.g. a snapshot not held).
pub const DEFAULT_RESPONSE: u8 = 0x0B;
/// The ZCL frame control bit that asks for no Default Response.
pub const DISABLE_DEFAULT_RESPONSE: u8 = 0x10;
/// ZCL status SUCCESS.
pub const SUCCESS: u8 = 0x00;
/// ZCL status NOT_FOUND.
pub const NOT_FOUND: u8 = 0x8B;
/// ZCL status INVALID_VALUE.
pub const INVALID_VALUE: u8 = 0x87;
/// Snapshot cause: the general (daily) snapshot.
pub const DAILY_SNAPSHOT: u32 = 1;
/// The snapshot payload type of GB gas daily reads: block tier information set, delivered,
/// no billing.
pub const BLOCK_TIERS_NO_BILLING: u8 = 6;

/// Supply status of the metering cluster (the gas valve): off, off and armed (the customer
/// may turn it on at the meter), on.
pub const SUPPLY_OFF: u8 = 0;
pub const SUPPLY_ARMED: u8 = 1;

/// The metering cluster's firmware version attribute (GCS38), an octet string.
pub const FIRMWARE_VERSION: u16 = 0x0206;
/// The metering cluster's Bill to Date Delivered (GCS60), a uint32.
pub const BILL_TO_DATE: u16 = 0x0A00;
/// The prepayment cluster's Credit Remaining (GCS60), an int32.
pub const CREDIT_REMAINING: u16 = 0x0001;
/// The metering cluster's Site ID (GCS46): the MPRN, an octet string.
pub const SITE_ID: u16 = 0x0307;
/// The prepayment cluster's Payment Control Configuration (GCS21j), a bitmap16.
pub const PAYMENT_CONTROL_CONFIGURATION: u16 = 0x0000;
/// The price cluster's Price Trailing Digit (a bitmap8) and Currency (a uint16).
pub const PRICE_TRAILING_DIGIT: u16 = 0x0617;
pub const CURRENCY: u16 = 0x0616;
/// The prepayment cluster attributes GCS14 reads, in its order: Accumulated Debt, Emergency
/// Credit Remaining, Credit Remaining (int32s), Debt Amount #3, #1, #2 (uint32s).
pub const PREPAY_VALUES: [u16; 6] = [0x0005, 0x0002, 0x0001, 0x0231, 0x0211, 0x0221];
/// Pounds sterling (ISO 4217 numeric).
pub const POUNDS_STERLING: u16 = 826;

mod decode;
mod encode;
mod payload;
mod tariff;

pub use decode::gas_payload;
pub use encode::{encode_gas_payload, gas_command, zcl_header};
pub use payload::*;
pub use tariff::*;
