//! Joining devices on the home area network (GBCS CS03, CS04, CS07), in ASN.1: a meter, a
//! prepayment display (PPMID) or an auxiliary load switch (HCALCS) keeps a device log of the
//! devices it may talk to, which the DCC fills and empties on the supplier's behalf.
//!
//! - CS03 (8.7.1 critical, 8.7.2 non-critical): join a device — a SEQUENCE of the join method
//!   and role, the other device's EUI-64, its device type and, for method C, its key-agreement
//!   certificate. CS03A1 asks a meter to join a PPMID or HCALCS (method A, the meter
//!   initiating), CS03A2 asks the PPMID or HCALCS to join the meter (method A, responding),
//!   CS03B a gas meter to join its gas proxy function (method B), CS03C a gas meter and a PPMID
//!   to join each other (method C, with the other's certificate). The answer is a response code.
//! - CS04 (8.8.1, 8.8.2): unjoin a device — its EUI-64 as an OCTET STRING; the answer is a
//!   response code (0, or 1 when the device is not in the log).
//! - CS07 (8.9): read the device log — NULL; the answer is a SEQUENCE of a response code and,
//!   on success, the log's entries, each an EUI-64 and a device type.
//!
//! The payload alone does not say which of these it is (CS07's command is a NULL, as CS08's
//! is): [`HanPayload::decode`] takes the message code and whether it is a command.

use serde::{Deserialize, Serialize};

use super::asn1::{Asn1Error, Der, INTEGER, NULL, OCTET_STRING, SEQUENCE};
use crate::model::Eui64;

/// CS03A1: join a PPMID or HCALCS to a meter (critical).
pub const CS03A1: u16 = 0x000D;
/// CS03B: join a gas meter to its gas proxy function (non-critical).
pub const CS03B: u16 = 0x000E;
/// CS04AC: unjoin a device joined by method A or C (critical to a meter, non-critical to a
/// PPMID or HCALCS).
pub const CS04AC: u16 = 0x000F;
/// CS04B: unjoin a gas meter's gas proxy function (non-critical).
pub const CS04B: u16 = 0x0010;
/// CS07: read the device log (non-critical).
pub const CS07: u16 = 0x0013;
/// CS03A2: join a meter to a PPMID or HCALCS (critical to an HCALCS, non-critical to a PPMID).
pub const CS03A2: u16 = 0x00AB;
/// CS03C: join a gas meter and a PPMID, with the other's certificate (critical to the meter).
pub const CS03C: u16 = 0x00AF;

/// Whether a message code is one of these use cases.
pub fn is_han(code: u16) -> bool {
    matches!(
        code,
        CS03A1 | CS03A2 | CS03B | CS03C | CS04AC | CS04B | CS07
    )
}

/// How a join is made, and which side of it this device is (GBCS `JoinMethodAndRole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinMethod {
    /// Method A, this device initiating (a meter joining a PPMID or HCALCS).
    AInitiator,
    /// Method A, this device responding (a PPMID or HCALCS joining a meter).
    AResponder,
    /// Method B: a gas meter and its gas proxy function.
    B,
    /// Method C: a gas meter and a PPMID, each given the other's certificate.
    C,
}

impl JoinMethod {
    pub const ALL: [JoinMethod; 4] = [
        JoinMethod::AInitiator,
        JoinMethod::AResponder,
        JoinMethod::B,
        JoinMethod::C,
    ];

    /// The use case that carries a join by this method.
    pub fn message_code(self) -> u16 {
        match self {
            JoinMethod::AInitiator => CS03A1,
            JoinMethod::AResponder => CS03A2,
            JoinMethod::B => CS03B,
            JoinMethod::C => CS03C,
        }
    }
}

/// A device type as a device log records it (GBCS `DeviceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HanType {
    Gsme,
    Esme,
    Chf,
    Gpf,
    Hcalcs,
    Ppmid,
    /// A Type 2 device (an in-home display, a consumer access device).
    Type2,
}

impl HanType {
    pub const ALL: [HanType; 7] = [
        HanType::Gsme,
        HanType::Esme,
        HanType::Chf,
        HanType::Gpf,
        HanType::Hcalcs,
        HanType::Ppmid,
        HanType::Type2,
    ];
}

/// The answer to a join (GBCS `JoinDeviceResponse`): 0 success; these are the others a virtual
/// device gives.
pub mod join_code {
    pub const SUCCESS: u8 = 0;
    /// The method does not go with the message code.
    pub const WRONG_MESSAGE_CODE: u8 = 1;
    /// This device does not join that kind of device by that method.
    pub const WRONG_METHOD: u8 = 2;
    /// The device is in the log already, as another type.
    pub const INCOMPATIBLE: u8 = 3;
    pub const LOG_FULL: u8 = 4;
    /// Method C without the other device's certificate.
    pub const NO_CERTIFICATE: u8 = 11;
}

/// The answer to an unjoin: 0 success, 1 not in the device log.
pub mod unjoin_code {
    pub const SUCCESS: u8 = 0;
    pub const NOT_IN_LOG: u8 = 1;
}

/// One device in a device log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub device: Eui64,
    pub device_type: HanType,
}

/// A HAN join payload, command or answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HanPayload {
    /// CS03: join `other`, of `device_type`, by `method`; method C brings its certificate.
    Join {
        method: JoinMethod,
        other: Eui64,
        device_type: HanType,
        #[serde(skip_serializing_if = "Option::is_none")]
        certificate: Option<Der>,
    },
    /// CS04: unjoin `other`.
    Unjoin { other: Eui64 },
    /// CS07: read the device log.
    ReadLog,
    /// The answer to a join or unjoin: its response code.
    Outcome { code: u8 },
    /// CS07's answer: a response code and, on success, the log.
    Log { code: u8, entries: Vec<LogEntry> },
}

/// A payload that is not the one its message code carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error(transparent)]
    Der(#[from] Asn1Error),
    #[error("message code {code:#06X} is not a HAN join, unjoin or device log read")]
    NotHan { code: u16 },
    #[error("{what}: expected {expected}")]
    Shape {
        what: &'static str,
        expected: &'static str,
    },
}

impl HanPayload {
    /// Reads the payload of a message with message code `code` (one of [`is_han`]'s), a
    /// command or an answer.
    pub fn decode(code: u16, command: bool, bytes: &[u8]) -> Result<HanPayload, JoinError> {
        let der = Der::decode(bytes)?;
        let shape = |what, expected| JoinError::Shape { what, expected };
        match (code, command) {
            (CS03A1 | CS03A2 | CS03B | CS03C, true) => {
                let what = "a join command";
                let expected = "SEQUENCE { INTEGER method, OCTET STRING (8) device, INTEGER \
                                type [, certificate] }";
                let items = der
                    .items()
                    .filter(|_| der.tag == SEQUENCE)
                    .ok_or(shape(what, expected))?;
                let (method, other, device_type, certificate) = match items {
                    [m, o, t] => (m, o, t, None),
                    [m, o, t, c] if c.tag == SEQUENCE => (m, o, t, Some(c.clone())),
                    _ => return Err(shape(what, expected)),
                };
                Ok(HanPayload::Join {
                    method: enumerated(method, &JoinMethod::ALL).ok_or(shape(
                        "a join method and role",
                        "INTEGER 0 to 3 (A initiator, A responder, B, C)",
                    ))?,
                    other: eui(other).ok_or(shape(what, expected))?,
                    device_type: enumerated(device_type, &HanType::ALL)
                        .ok_or(shape("a device type", "INTEGER 0 to 6"))?,
                    certificate,
                })
            }
            (CS04AC | CS04B, true) => Ok(HanPayload::Unjoin {
                other: eui(&der).ok_or(shape("an unjoin command", "OCTET STRING (8)"))?,
            }),
            (CS07, true) if der.tag == NULL && der.bytes().is_some_and(<[u8]>::is_empty) => {
                Ok(HanPayload::ReadLog)
            }
            (CS07, true) => Err(shape("a device log read", "NULL")),
            (CS03A1 | CS03A2 | CS03B | CS03C | CS04AC | CS04B, false) => Ok(HanPayload::Outcome {
                code: small(&der).ok_or(shape("a join or unjoin answer", "INTEGER 0 to 255"))?,
            }),
            (CS07, false) => {
                let expected = "SEQUENCE { INTEGER code [, SEQUENCE OF SEQUENCE { OCTET \
                                STRING (8) device, INTEGER type }] }";
                let bad = || shape("a device log", expected);
                let items = der
                    .items()
                    .filter(|_| der.tag == SEQUENCE)
                    .ok_or_else(bad)?;
                let (code, entries) = match items {
                    [code] => (code, &[][..]),
                    [code, log] if log.tag == SEQUENCE => (code, log.items().ok_or_else(bad)?),
                    _ => return Err(bad()),
                };
                let entry = |e: &Der| match e.items().filter(|_| e.tag == SEQUENCE)? {
                    [device, t] => Some(LogEntry {
                        device: eui(device)?,
                        device_type: enumerated(t, &HanType::ALL)?,
                    }),
                    _ => None,
                };
                Ok(HanPayload::Log {
                    code: small(code).ok_or_else(bad)?,
                    entries: entries
                        .iter()
                        .map(entry)
                        .collect::<Option<_>>()
                        .ok_or_else(bad)?,
                })
            }
            _ => Err(JoinError::NotHan { code }),
        }
    }

    /// The DER a device or the DCC writes for this payload.
    pub fn encode(&self) -> Vec<u8> {
        let eui = |e: &Eui64| Der::primitive(OCTET_STRING, e.0.to_vec());
        match self {
            HanPayload::Join {
                method,
                other,
                device_type,
                certificate,
            } => {
                let mut items = vec![
                    Der::integer(*method as u64),
                    eui(other),
                    Der::integer(*device_type as u64),
                ];
                items.extend(certificate.iter().cloned());
                Der::sequence(items).encode()
            }
            HanPayload::Unjoin { other } => eui(other).encode(),
            HanPayload::ReadLog => Der::primitive(NULL, Vec::new()).encode(),
            HanPayload::Outcome { code } => Der::integer(u64::from(*code)).encode(),
            HanPayload::Log { code, entries } => {
                let mut items = vec![Der::integer(u64::from(*code))];
                // A success carries the log, even an empty one; a failure none (unless read so).
                if *code == 0 || !entries.is_empty() {
                    let log = entries.iter().map(|e| {
                        Der::sequence(vec![eui(&e.device), Der::integer(e.device_type as u64)])
                    });
                    items.push(Der::sequence(log.collect()));
                }
                Der::sequence(items).encode()
            }
        }
    }
}

/// An EUI-64 as an OCTET STRING of 8 bytes.
fn eui(d: &Der) -> Option<Eui64> {
    let b = d.bytes().filter(|_| d.tag == OCTET_STRING)?;
    Some(Eui64(b.try_into().ok()?))
}

/// A small non-negative INTEGER.
fn small(d: &Der) -> Option<u8> {
    u8::try_from(d.unsigned().filter(|_| d.tag == INTEGER)?).ok()
}

/// The `n`th of `all`, `n` an INTEGER.
fn enumerated<T: Copy>(d: &Der, all: &[T]) -> Option<T> {
    all.get(usize::from(small(d)?)).copied()
}

/// A device log: the devices a meter, PPMID or HCALCS may talk to on its home area network,
/// which CS03 fills, CS04 empties and CS07 reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLog {
    pub entries: Vec<LogEntry>,
}

/// Entries a meter's device log holds (dccsim's figure: GBCS sets what a log must hold at least,
/// not this).
pub const DEVICE_LOG_CAPACITY: usize = 8;

impl DeviceLog {
    pub fn new(entries: impl IntoIterator<Item = LogEntry>) -> DeviceLog {
        DeviceLog {
            entries: entries.into_iter().collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Answers a join carried by message code `code` to a device that joins `accepts` — the
    /// methods and the other device types it joins by each. The same device and type joined
    /// again is a success that changes nothing.
    pub fn join(
        &mut self,
        code: u16,
        accepts: &[(JoinMethod, &[HanType])],
        payload: &HanPayload,
    ) -> u8 {
        use join_code::*;
        let HanPayload::Join {
            method,
            other,
            device_type,
            certificate,
        } = payload
        else {
            return WRONG_MESSAGE_CODE;
        };
        if method.message_code() != code {
            return WRONG_MESSAGE_CODE;
        }
        let takes = accepts
            .iter()
            .any(|(m, types)| m == method && types.contains(device_type));
        if !takes {
            return WRONG_METHOD;
        }
        if *method == JoinMethod::C && certificate.is_none() {
            return NO_CERTIFICATE;
        }
        match self.entries.iter().find(|e| e.device == *other) {
            Some(e) if e.device_type == *device_type => SUCCESS,
            Some(_) => INCOMPATIBLE,
            None if self.entries.len() >= DEVICE_LOG_CAPACITY => LOG_FULL,
            None => {
                self.entries.push(LogEntry {
                    device: *other,
                    device_type: *device_type,
                });
                SUCCESS
            }
        }
    }

    /// Removes `other`: 0, or 1 when it is not in the log.
    pub fn unjoin(&mut self, other: Eui64) -> u8 {
        let before = self.entries.len();
        self.entries.retain(|e| e.device != other);
        if self.entries.len() < before {
            unjoin_code::SUCCESS
        } else {
            unjoin_code::NOT_IN_LOG
        }
    }

    /// Answers a CS03, CS04 or CS07 command's payload (already read with
    /// [`HanPayload::decode`]) for a device that joins `accepts`.
    pub fn answer(
        &mut self,
        code: u16,
        accepts: &[(JoinMethod, &[HanType])],
        payload: &HanPayload,
    ) -> HanPayload {
        match payload {
            HanPayload::Unjoin { other } => HanPayload::Outcome {
                code: self.unjoin(*other),
            },
            HanPayload::ReadLog => HanPayload::Log {
                code: 0,
                entries: self.entries.clone(),
            },
            _ => HanPayload::Outcome {
                code: self.join(code, accepts, payload),
            },
        }
    }
}
