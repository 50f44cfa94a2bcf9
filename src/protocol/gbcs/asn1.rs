//! ASN.1 payloads of GBCS (DER): what the comms hub function answers about itself (CS08, 11.2
//! read firmware version), a gas meter's clock synchronisation (GCS28, 6.11) and the alerts
//! that are not DLMS or GBZ — the future-dated failure
//! 8F67, the firmware alert 8F8A and others, each a SEQUENCE of the alert code, a
//! GeneralizedTime and use-case-specific values.
//!
//! [`Der`] reads any DER value into a tree that keeps the length encoding as sent (devices
//! write some lengths in a longer form than DER's shortest, e.g. `82 00 DE`), so a decoded
//! value re-encodes to its bytes; [`AsnPayload`] gives the values this crate interprets.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

pub(super) const INTEGER: u8 = 0x02;
pub(super) const OCTET_STRING: u8 = 0x04;
pub(super) const NULL: u8 = 0x05;
pub(super) const SEQUENCE: u8 = 0x30;
const GENERALIZED_TIME: u8 = 0x18;
/// Nesting deeper than this is refused (no GBCS payload comes close).
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Asn1Error {
    #[error("byte {offset}: {what} needs {need} more bytes, {left} left")]
    Short {
        offset: usize,
        what: &'static str,
        need: usize,
        left: usize,
    },
    #[error("byte {offset}: tag {tag:#04X} is a multi-byte tag, which GBCS does not use")]
    LongTag { offset: usize, tag: u8 },
    #[error("byte {offset}: a length of {octets} octets is not supported")]
    Length { offset: usize, octets: u8 },
    #[error("nested deeper than {MAX_DEPTH} values")]
    Deep,
    #[error("{0} bytes follow the value")]
    Trailing(usize),
}

/// A DER value: its tag, how its length was written (0 for the short form, else the number of
/// length octets), and its contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Der {
    pub tag: u8,
    #[serde(skip_serializing_if = "is_zero")]
    pub length_octets: u8,
    pub value: DerValue,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DerValue {
    /// A constructed value's elements.
    Items(Vec<Der>),
    /// A primitive value's bytes, as hex.
    Bytes(#[serde(serialize_with = "hex")] Vec<u8>),
}

fn hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::hex(bytes))
}

impl Der {
    /// Reads exactly one DER value.
    pub fn decode(bytes: &[u8]) -> Result<Der, Asn1Error> {
        let mut at = 0;
        let der = read(bytes, &mut at, 0)?;
        match bytes.len() - at {
            0 => Ok(der),
            n => Err(Asn1Error::Trailing(n)),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        let mut contents = Vec::new();
        match &self.value {
            DerValue::Items(items) => items.iter().for_each(|i| i.write(&mut contents)),
            DerValue::Bytes(b) => contents.extend_from_slice(b),
        }
        out.push(self.tag);
        let n = contents.len();
        if self.length_octets == 0 && n < 0x80 {
            out.push(n as u8);
        } else {
            // The long form, in as many octets as it was sent with (or as needed).
            let needed = (usize::BITS - n.leading_zeros()).div_ceil(8).max(1) as u8;
            let octets = self.length_octets.max(needed);
            out.push(0x80 | octets);
            for i in (0..octets).rev() {
                let shift = 8 * u32::from(i);
                out.push(if shift < usize::BITS {
                    (n >> shift) as u8
                } else {
                    0
                });
            }
        }
        out.extend_from_slice(&contents);
    }

    /// A primitive value in the short form.
    pub fn primitive(tag: u8, bytes: Vec<u8>) -> Der {
        Der {
            tag,
            length_octets: 0,
            value: DerValue::Bytes(bytes),
        }
    }

    pub fn sequence(items: Vec<Der>) -> Der {
        Der {
            tag: SEQUENCE,
            length_octets: 0,
            value: DerValue::Items(items),
        }
    }

    /// A non-negative INTEGER in its shortest two's-complement form.
    pub fn integer(n: u64) -> Der {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
        let mut v = bytes[skip..].to_vec();
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        Der::primitive(INTEGER, v)
    }

    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.value {
            DerValue::Bytes(b) => Some(b),
            DerValue::Items(_) => None,
        }
    }

    pub fn items(&self) -> Option<&[Der]> {
        match &self.value {
            DerValue::Items(i) => Some(i),
            DerValue::Bytes(_) => None,
        }
    }

    /// The value of a non-negative INTEGER that fits 64 bits.
    pub(super) fn unsigned(&self) -> Option<u64> {
        let b = self.bytes().filter(|_| self.tag == INTEGER)?;
        if b.is_empty() || b[0] & 0x80 != 0 || b.len() > 9 || (b.len() == 9 && b[0] != 0) {
            return None;
        }
        Some(b.iter().fold(0u64, |n, x| (n << 8) | u64::from(*x)))
    }
}

fn read(bytes: &[u8], at: &mut usize, depth: usize) -> Result<Der, Asn1Error> {
    if depth > MAX_DEPTH {
        return Err(Asn1Error::Deep);
    }
    let take = |at: &mut usize, n: usize, what: &'static str| -> Result<&[u8], Asn1Error> {
        let left = bytes.len() - *at;
        if n > left {
            return Err(Asn1Error::Short {
                offset: *at,
                what,
                need: n,
                left,
            });
        }
        let out = &bytes[*at..*at + n];
        *at += n;
        Ok(out)
    };
    let start = *at;
    let tag = take(at, 1, "tag")?[0];
    if tag & 0x1F == 0x1F {
        return Err(Asn1Error::LongTag { offset: start, tag });
    }
    let first = take(at, 1, "length")?[0];
    let (length, length_octets) = if first < 0x80 {
        (usize::from(first), 0)
    } else {
        let octets = first & 0x7F;
        if octets == 0 || octets > 4 {
            return Err(Asn1Error::Length {
                offset: *at - 1,
                octets,
            });
        }
        let b = take(at, usize::from(octets), "length octets")?;
        (
            b.iter().fold(0usize, |n, x| (n << 8) | usize::from(*x)),
            octets,
        )
    };
    let contents_start = *at;
    take(at, length, "contents")?;
    let value = if tag & 0x20 != 0 {
        let mut inner = contents_start;
        let end = contents_start + length;
        let mut items = Vec::new();
        while inner < end {
            items.push(read(&bytes[..end], &mut inner, depth + 1)?);
        }
        DerValue::Items(items)
    } else {
        DerValue::Bytes(bytes[contents_start..*at].to_vec())
    };
    Ok(Der {
        tag,
        length_octets,
        value,
    })
}

/// The ASN.1 payloads this crate interprets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AsnPayload {
    /// CS08 (11.2 to a comms hub): read its firmware version (an ASN.1 NULL).
    ReadFirmware,
    /// CS08's answer: the comms hub's firmware version (hex) and a status (0: success).
    Firmware { version: String, status: u64 },
    /// GCS28 (6.11 to a gas meter, critical): synchronise the clock if it is within `from` to
    /// `to`.
    ClockSync {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// GCS28's answer: the meter's time, and a status (0: synchronised).
    Clock { time: DateTime<Utc>, status: u64 },
    /// An ASN.1 alert: its code, when (GeneralizedTime), and its use-case-specific values. For
    /// 8F67 (a future-dated command that was not carried out), `counter` is that command's
    /// originator counter.
    Alert {
        code: u16,
        at: DateTime<Utc>,
        #[serde(skip_serializing_if = "Option::is_none")]
        counter: Option<u64>,
        details: Vec<Der>,
    },
}

/// 8F67: a future-dated command was not carried out.
pub const FUTURE_DATED_FAILURE: u16 = 0x8F67;

impl AsnPayload {
    /// Reads an ASN.1 payload; `None` where it is DER but not one of these.
    pub fn decode(bytes: &[u8], alert: bool) -> Result<Option<AsnPayload>, Asn1Error> {
        let der = Der::decode(bytes)?;
        if der.tag == NULL && !alert && der.bytes().is_some_and(<[u8]>::is_empty) {
            return Ok(Some(AsnPayload::ReadFirmware));
        }
        let Some(items) = der.items().filter(|_| der.tag == SEQUENCE) else {
            return Ok(None);
        };
        if alert {
            let [code, time, details @ ..] = items else {
                return Ok(None);
            };
            let (Some(code), Some(at)) = (code.unsigned(), generalized_time(time)) else {
                return Ok(None);
            };
            let Ok(code) = u16::try_from(code) else {
                return Ok(None);
            };
            // The command's counter leads the details, alone or as the first of a SEQUENCE.
            let counter = match details.first() {
                Some(d) if code == FUTURE_DATED_FAILURE => {
                    d.unsigned().or_else(|| d.items()?.first()?.unsigned())
                }
                _ => None,
            };
            return Ok(Some(AsnPayload::Alert {
                code,
                at,
                counter,
                details: details.to_vec(),
            }));
        }
        match items {
            [from, to] if from.tag == GENERALIZED_TIME && to.tag == GENERALIZED_TIME => {
                let (Some(from), Some(to)) = (generalized_time(from), generalized_time(to)) else {
                    return Ok(None);
                };
                Ok(Some(AsnPayload::ClockSync { from, to }))
            }
            [time, status] if time.tag == GENERALIZED_TIME => {
                let (Some(time), Some(status)) = (generalized_time(time), status.unsigned()) else {
                    return Ok(None);
                };
                Ok(Some(AsnPayload::Clock { time, status }))
            }
            [version, status] if version.tag == OCTET_STRING => {
                let (Some(version), Some(status)) = (version.bytes(), status.unsigned()) else {
                    return Ok(None);
                };
                Ok(Some(AsnPayload::Firmware {
                    version: super::hex(version),
                    status,
                }))
            }
            _ => Ok(None),
        }
    }

    /// The DER a device or the DCC writes for this payload (lengths in the short form where
    /// they fit, as the RTDS's small payloads have them).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            AsnPayload::ReadFirmware => Der::primitive(NULL, Vec::new()).encode(),
            AsnPayload::Firmware { version, status } => Der::sequence(vec![
                Der::primitive(OCTET_STRING, super::parse_hex(version).unwrap_or_default()),
                Der::integer(*status),
            ])
            .encode(),
            AsnPayload::ClockSync { from, to } => {
                Der::sequence(vec![generalized(*from), generalized(*to)]).encode()
            }
            AsnPayload::Clock { time, status } => {
                Der::sequence(vec![generalized(*time), Der::integer(*status)]).encode()
            }
            AsnPayload::Alert {
                code, at, details, ..
            } => {
                let mut items = vec![Der::integer(u64::from(*code)), generalized(*at)];
                items.extend(details.iter().cloned());
                Der::sequence(items).encode()
            }
        }
    }
}

/// `at` as a GeneralizedTime in GBCS's form, `YYYYMMDDhhmmssZ`.
pub(super) fn generalized(at: DateTime<Utc>) -> Der {
    Der::primitive(
        GENERALIZED_TIME,
        at.format("%Y%m%d%H%M%SZ").to_string().into_bytes(),
    )
}

/// A GeneralizedTime in GBCS's form, `YYYYMMDDhhmmssZ`.
pub(super) fn generalized_time(d: &Der) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(d.bytes().filter(|_| d.tag == GENERALIZED_TIME)?).ok()?;
    let t = NaiveDateTime::parse_from_str(text.strip_suffix('Z')?, "%Y%m%d%H%M%S").ok()?;
    Some(t.and_utc())
}
