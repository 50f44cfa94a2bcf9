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

use serde::Serialize;

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
        let recipient = match other.get(2..10) {
            Some(id) => crate::model::Eui64(id.try_into().expect("eight bytes")),
            None => s.recipient,
        };
        let counter = match (other.len(), other.get(18..26)) {
            (26, Some(c)) => c.try_into().expect("eight bytes"),
            _ => s.originator_counter.to_be_bytes(),
        };
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
/// ZCL Read Attributes (general command).
pub const READ_ATTRIBUTES: u8 = 0x00;
/// ZCL Read Attributes Response (general command).
pub const READ_ATTRIBUTES_RESPONSE: u8 = 0x01;
/// Metering cluster: GetSampledData (client to server) and GetSampledDataResponse (server to
/// client) — the gas half-hourly profile (GCS17, 4.8.1) and daily log (GCS61, 4.17).
pub const GET_SAMPLED_DATA: u8 = 0x08;
pub const GET_SAMPLED_DATA_RESPONSE: u8 = 0x07;

/// The typed meaning of a gas metering component's ZCL payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GasReading {
    /// The attributes a register read asks for (GCS13a, GCS38).
    ReadAttributes { attributes: Vec<u16> },
    /// The consumption register (GCS13a): current summation delivered with its multiplier,
    /// divisor and unit of measure (0 kWh, 1 m³).
    Registers {
        summation: u64,
        multiplier: u64,
        divisor: u64,
        unit: u64,
        /// summation × multiplier ÷ divisor, in the unit.
        value: String,
    },
    /// A request for sampled data: from `start` (GBCS seconds), `count` samples.
    SampledDataRequest {
        sample_id: u16,
        start: u32,
        sampling_type: u8,
        count: u16,
    },
    /// The meter's firmware version (GCS38: the metering cluster's attribute 0x0206, an
    /// octet string), as hex.
    FirmwareVersion { version: String },
    /// Sampled data (GCS17: half-hourly consumption; GCS61: daily consumption): samples of
    /// `interval_s` seconds from `start`, each a 24-bit count of the register's units.
    SampledData {
        sample_id: u16,
        start: u32,
        sampling_type: u8,
        interval_s: u16,
        samples: Vec<u32>,
    },
}

/// The metering cluster's firmware version attribute (GCS38), an octet string.
pub const FIRMWARE_VERSION: u16 = 0x0206;

/// Reads a metering-cluster payload (`payload` in clear) as a gas reading, where it is one
/// this crate interprets.
pub fn gas_reading(c: &Component, payload: &[u8]) -> Result<Option<GasReading>, GbzError> {
    if c.cluster != METERING_CLUSTER {
        return Ok(None);
    }
    let mut r = Reader {
        bytes: payload,
        at: 0,
    };
    let le16 = |b: &[u8]| u16::from_le_bytes([b[0], b[1]]);
    let le32 = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let specific = c.frame_control & 0x03 == 1;
    Ok(Some(match (specific, c.from_server(), c.command) {
        (false, false, READ_ATTRIBUTES) => {
            let mut attributes = Vec::new();
            while r.at < payload.len() {
                attributes.push(le16(r.take(2, "attribute id")?));
            }
            GasReading::ReadAttributes { attributes }
        }
        (false, true, READ_ATTRIBUTES_RESPONSE) => {
            let attributes = read_attributes_response(payload)?;
            let get = |id: u16| {
                attributes
                    .iter()
                    .find(|a| a.id == id)
                    .and_then(|a| match a.value {
                        Some(ZclValue::Unsigned(v)) => Some(v),
                        _ => None,
                    })
            };
            if let [attribute] = attributes.as_slice()
                && attribute.id == FIRMWARE_VERSION
                && let Some(ZclValue::Bytes(version)) = &attribute.value
                && attribute.data_type == Some(0x41)
            {
                return Ok(Some(GasReading::FirmwareVersion {
                    version: crate::protocol::gbcs::hex(version),
                }));
            }
            match (get(0x0000), get(0x0301), get(0x0302), get(0x0300)) {
                (Some(summation), Some(multiplier), Some(divisor), Some(unit)) if divisor > 0 => {
                    GasReading::Registers {
                        summation,
                        multiplier,
                        divisor,
                        unit,
                        value: decimal(u128::from(summation) * u128::from(multiplier), divisor),
                    }
                }
                _ => return Ok(None),
            }
        }
        (true, false, GET_SAMPLED_DATA) => GasReading::SampledDataRequest {
            sample_id: le16(r.take(2, "sample id")?),
            start: le32(r.take(4, "start time")?),
            sampling_type: r.u8("sample type")?,
            count: le16(r.take(2, "number of samples")?),
        },
        (true, true, GET_SAMPLED_DATA_RESPONSE) => {
            let sample_id = le16(r.take(2, "sample id")?);
            let start = le32(r.take(4, "start time")?);
            let sampling_type = r.u8("sampling type")?;
            let interval_s = le16(r.take(2, "sampling interval")?);
            let count = usize::from(le16(r.take(2, "number of samples")?));
            let mut samples = Vec::with_capacity(count);
            for _ in 0..count {
                let b = r.take(3, "sample")?;
                samples.push(u32::from_le_bytes([b[0], b[1], b[2], 0]));
            }
            if r.at != payload.len() {
                return Err(GbzError::Trailing(payload.len() - r.at));
            }
            GasReading::SampledData {
                sample_id,
                start,
                sampling_type,
                interval_s,
                samples,
            }
        }
        _ => return Ok(None),
    }))
}

/// The ZCL payload of a gas reading, as a device or a remote party writes it.
pub fn encode_gas_reading(reading: &GasReading) -> Vec<u8> {
    let mut out = Vec::new();
    match reading {
        GasReading::ReadAttributes { attributes } => {
            for a in attributes {
                out.extend_from_slice(&a.to_le_bytes());
            }
        }
        GasReading::Registers {
            summation,
            multiplier,
            divisor,
            unit,
            ..
        } => {
            // In the order devices answer GCS13a: divisor, multiplier, unit, summation.
            let mut put = |id: u16, data_type: u8, value: u64, size: usize| {
                out.extend_from_slice(&id.to_le_bytes());
                out.push(0);
                out.push(data_type);
                out.extend_from_slice(&value.to_le_bytes()[..size]);
            };
            put(0x0302, 0x22, *divisor, 3);
            put(0x0301, 0x22, *multiplier, 3);
            put(0x0300, 0x30, *unit, 1);
            put(0x0000, 0x25, *summation, 6);
        }
        GasReading::FirmwareVersion { version } => {
            let bytes = crate::protocol::gbcs::parse_hex(version).unwrap_or_default();
            out.extend_from_slice(&FIRMWARE_VERSION.to_le_bytes());
            out.extend_from_slice(&[0, 0x41, bytes.len().min(255) as u8]);
            out.extend_from_slice(&bytes[..bytes.len().min(255)]);
        }
        GasReading::SampledDataRequest {
            sample_id,
            start,
            sampling_type,
            count,
        } => {
            out.extend_from_slice(&sample_id.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*sampling_type);
            out.extend_from_slice(&count.to_le_bytes());
        }
        GasReading::SampledData {
            sample_id,
            start,
            sampling_type,
            interval_s,
            samples,
        } => {
            out.extend_from_slice(&sample_id.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*sampling_type);
            out.extend_from_slice(&interval_s.to_le_bytes());
            out.extend_from_slice(&(samples.len() as u16).to_le_bytes());
            for s in samples {
                out.extend_from_slice(&s.to_le_bytes()[..3]);
            }
        }
    }
    out
}

/// `n ÷ d` written exactly in decimal when `d` is a power of ten, else to six places. `n` is a
/// 48-bit register times a 24-bit multiplier, so it needs more than 64 bits.
fn decimal(n: u128, d: u64) -> String {
    let places = (d as f64).log10();
    if places.fract() == 0.0 && d == 10u64.pow(places as u32) {
        let p = places as usize;
        let d = u128::from(d);
        let (whole, frac) = (n / d, n % d);
        if p == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{frac:0p$}")
        }
    } else {
        format!("{:.6}", n as f64 / d as f64)
    }
}

/// The GBZ payload of a remote party's gas read: one component in clear on the metering
/// cluster, as the RTDS commands carry it.
pub fn gas_command(reading: &GasReading, sequence: u8) -> Vec<u8> {
    let specific = matches!(reading, GasReading::SampledDataRequest { .. });
    Gbz::Components {
        components: vec![Component {
            control: 0x01,
            cluster: METERING_CLUSTER,
            from: None,
            additional_header: None,
            frame_control: if specific { 0x01 } else { 0x00 },
            sequence,
            command: if specific {
                GET_SAMPLED_DATA
            } else {
                READ_ATTRIBUTES
            },
            payload: encode_gas_reading(reading),
        }],
    }
    .encode()
}
