//! Firmware (GBCS §11): the upgrade image a supplier sends by 11.1 for the DCC to distribute,
//! and CS06 (11.3), the critical command that activates it on a meter.
//!
//! An upgrade image is a ZigBee OTA upgrade file: the OTA header (magic `1E F1 EE 0B`, the
//! header's length, the manufacturer code, image type, the file version — the version the
//! meter reports once the image is active — and the file's total size, all little-endian),
//! then the Manufacturer Image, then the length of a signature (two octets, big-endian:
//! `00 40`) and the supplier's ECDSA P-256 signature (r‖s) over the Manufacturer Image. That
//! is the RTDS 11.1 template's image, whose signature verifies with the RTDS supplier
//! 90-B3-D5-1F-30-01-00-00's signing key over exactly the bytes between the header and the
//! signature's length. A meter that holds the image tells its supplier with a Firmware
//! Distribution Receipt Alert (8F72) carrying the SHA-256 of the Manufacturer Image; CS06
//! names that hash, and the meter activates the image only if its own matches.
//!
//! CS06 (facts from SmartDCC's gbcs-parser and the RTDS vectors): the command is a SEQUENCE
//! of the hash, the originator counter and, future-dated, a GeneralizedTime (9999-12-31
//! 23:59:59 cancels one held); the answer is NULL (accepted, held for later) or the execution
//! outcome, a SEQUENCE of a response code (0 success, 1 no image held, 2 hash mismatch, 3
//! activation failure) and the firmware version then running; a future-dated activation is
//! reported by alert (use case 0x00CA) with 8F66 or 8F67, its time, the counter and the
//! outcome.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::asn1::{Asn1Error, Der, INTEGER, NULL, OCTET_STRING, SEQUENCE};

/// CS06: activate firmware (11.3), critical.
pub const CS06: u16 = 0x0012;
/// CS06's future-dated alert (8F66 activated, 8F67 not).
pub const CS06_ALERT: u16 = 0x00CA;
/// The Firmware Distribution Receipt Alert of an electricity meter (DLMS).
pub const FDRA_ESME: u16 = 0x00CE;
/// The Firmware Distribution Receipt Alert of a gas meter (GBZ).
pub const FDRA_GSME: u16 = 0x00CF;
/// Alert 8F72: an image was received and verified; the alert carries its hash.
pub const FIRMWARE_VERIFIED: u16 = 0x8F72;
/// Alert 8F1C: an image failed verification (it was not signed by the supplier), discarded.
pub const FIRMWARE_VERIFICATION_FAILED: u16 = 0x8F1C;
/// The use case of a generic critical alert (GCA), as a meter sends 8F1C.
pub const GENERIC_CRITICAL_ALERT: u16 = 0x1000;

/// The OTA header's magic number, as it is written (little-endian 0x0BEEF11E).
const OTA_MAGIC: [u8; 4] = [0x1E, 0xF1, 0xEE, 0x0B];
/// The OTA header's fixed fields (ZigBee OTA Upgrade cluster, the OTA header): up to and
/// including the total image size.
const OTA_HEADER_MIN: usize = 56;
/// Field control bits: the optional fields that follow the fixed ones, in this order — the
/// security credential version (1 byte), the upgrade file destination (an IEEE address, 8
/// bytes) and the minimum and maximum hardware versions (2 bytes each).
const SECURITY_CREDENTIAL_VERSION: u16 = 0x0001;
const UPGRADE_FILE_DESTINATION: u16 = 0x0002;
const HARDWARE_VERSIONS: u16 = 0x0004;
/// The signature's length: 64 bytes, r‖s.
const SIGNATURE_LEN: usize = 64;
/// What follows the Manufacturer Image: the signature's length (two octets), the signature.
const TRAILER: usize = 2 + SIGNATURE_LEN;

/// A CS06 payload that cannot be read: the DER, or which part of it is not what CS06 has there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FirmwareError {
    #[error(transparent)]
    Der(#[from] Asn1Error),
    #[error("{what} is not {expected}")]
    Shape {
        what: &'static str,
        expected: &'static str,
    },
}

/// What is wrong with an upgrade image, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("{0} bytes is too short for an OTA header and a signature")]
    Short(usize),
    #[error("bytes 0-3: {0} is not the ZigBee OTA magic number 1EF1EE0B")]
    Magic(String),
    #[error(
        "bytes 6-7: a header length of {said} does not fit the image (its fields take {needs})"
    )]
    HeaderLength { said: usize, needs: usize },
    #[error("bytes 52-55: the header says the image is {said} bytes, and it is {actual}")]
    TotalSize { said: usize, actual: usize },
    #[error("byte {at}: the signature's length is {said}, not 64")]
    SignatureLength { at: usize, said: usize },
}

/// An upgrade image, read: its header's facts and its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeImage<'a> {
    /// The OTA header's manufacturer code.
    pub manufacturer: u16,
    /// The OTA header's image type (0: the manufacturer's firmware).
    pub image_type: u16,
    /// The OTA header's file version: the firmware version of the image, as a meter reports it
    /// (most significant byte first).
    pub version: [u8; 4],
    /// The hardware versions the image is for, when the header says.
    pub hardware: Option<(u16, u16)>,
    /// The firmware itself: what the hash covers and the supplier signs.
    pub manufacturer_image: &'a [u8],
    /// The supplier's signature over the Manufacturer Image, r‖s.
    pub signature: &'a [u8],
}

impl<'a> UpgradeImage<'a> {
    /// Reads an upgrade image: the OTA header's magic number, its length (with the optional
    /// fields its field control says it has), the total size it gives and the signature's
    /// length must all be right, else an error names the bytes at fault.
    pub fn parse(bytes: &'a [u8]) -> Result<UpgradeImage<'a>, ImageError> {
        let n = bytes.len();
        if n < OTA_HEADER_MIN + TRAILER {
            return Err(ImageError::Short(n));
        }
        // Within the fixed header, which `n` covers.
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        if bytes[..4] != OTA_MAGIC {
            return Err(ImageError::Magic(super::hex(&bytes[..4])));
        }
        let said = u32_at(52) as usize;
        if said != n {
            return Err(ImageError::TotalSize { said, actual: n });
        }
        let header = usize::from(u16_at(6));
        let control = u16_at(8);
        let has = |bit: u16| control & bit != 0;
        // Where the hardware versions are: after the optional fields before them.
        let hardware_at = OTA_HEADER_MIN
            + usize::from(has(SECURITY_CREDENTIAL_VERSION))
            + if has(UPGRADE_FILE_DESTINATION) { 8 } else { 0 };
        let needs = hardware_at + if has(HARDWARE_VERSIONS) { 4 } else { 0 };
        if header < needs || header + TRAILER > n {
            return Err(ImageError::HeaderLength {
                said: header,
                needs,
            });
        }
        let hardware =
            has(HARDWARE_VERSIONS).then(|| (u16_at(hardware_at), u16_at(hardware_at + 2)));
        let length_at = n - TRAILER;
        let length = usize::from(u16::from_be_bytes([bytes[length_at], bytes[length_at + 1]]));
        if length != SIGNATURE_LEN {
            return Err(ImageError::SignatureLength {
                at: length_at,
                said: length,
            });
        }
        Ok(UpgradeImage {
            manufacturer: u16_at(10),
            image_type: u16_at(12),
            version: u32_at(14).to_be_bytes(),
            hardware,
            manufacturer_image: &bytes[header..length_at],
            signature: &bytes[n - SIGNATURE_LEN..],
        })
    }

    /// The SHA-256 of the Manufacturer Image: what a meter reports holding (8F72) and what
    /// CS06 must name.
    pub fn hash(&self) -> [u8; 32] {
        manufacturer_hash(self.manufacturer_image)
    }

    /// Whether the signature is `public`'s (an uncompressed P-256 point) over the
    /// Manufacturer Image.
    pub fn signed_by(&self, public: &[u8]) -> bool {
        use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public)
            .verify(self.manufacturer_image, self.signature)
            .is_ok()
    }
}

/// The SHA-256 of a Manufacturer Image.
pub fn manufacturer_hash(manufacturer_image: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, manufacturer_image);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(digest.as_ref());
    hash
}

/// Writes an upgrade image around `manufacturer_image`: the OTA header (with the hardware
/// versions, as the RTDS image has them, any hardware; `header_string` cut or padded to 32
/// bytes) and the signature `sign` makes over the Manufacturer Image.
pub fn build_image(
    manufacturer: u16,
    version: [u8; 4],
    header_string: &str,
    manufacturer_image: &[u8],
    sign: impl FnOnce(&[u8]) -> [u8; 64],
) -> Vec<u8> {
    let header = OTA_HEADER_MIN + 4;
    let total = header + manufacturer_image.len() + TRAILER;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&OTA_MAGIC);
    out.extend_from_slice(&0x0100u16.to_le_bytes());
    out.extend_from_slice(&(header as u16).to_le_bytes());
    out.extend_from_slice(&HARDWARE_VERSIONS.to_le_bytes());
    out.extend_from_slice(&manufacturer.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&u32::from_be_bytes(version).to_le_bytes());
    // ZigBee PRO.
    out.extend_from_slice(&0x0002u16.to_le_bytes());
    let mut string = [0u8; 32];
    let text = header_string.as_bytes();
    let n = text.len().min(32);
    string[..n].copy_from_slice(&text[..n]);
    out.extend_from_slice(&string);
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&0x0000u16.to_le_bytes());
    out.extend_from_slice(&0xFFFFu16.to_le_bytes());
    out.extend_from_slice(manufacturer_image);
    out.extend_from_slice(&(SIGNATURE_LEN as u16).to_be_bytes());
    out.extend_from_slice(&sign(manufacturer_image));
    out
}

/// CS06's response code (gbcs-parser's names for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Activation {
    Activated,
    NoImageHeld,
    HashMismatch,
    ActivationFailure,
    /// A code GBCS does not give.
    Unknown(u64),
}

impl Activation {
    pub fn of(code: u64) -> Activation {
        match code {
            0 => Activation::Activated,
            1 => Activation::NoImageHeld,
            2 => Activation::HashMismatch,
            3 => Activation::ActivationFailure,
            other => Activation::Unknown(other),
        }
    }

    pub fn code(self) -> u64 {
        match self {
            Activation::Activated => 0,
            Activation::NoImageHeld => 1,
            Activation::HashMismatch => 2,
            Activation::ActivationFailure => 3,
            Activation::Unknown(other) => other,
        }
    }
}

/// What an activation came to: its response code and the firmware version then running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub status: Activation,
    #[serde(serialize_with = "hex")]
    pub version: Vec<u8>,
}

fn hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::hex(bytes))
}

/// A CS06 payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind")]
pub enum FirmwarePayload {
    /// The command: activate the image with this hash, at once or at `at` (a cancellation:
    /// [`super::credentials::cancel_time`]).
    Activate {
        #[serde(serialize_with = "hex")]
        hash: Vec<u8>,
        counter: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        at: Option<DateTime<Utc>>,
    },
    /// The answer to a future-dated activation (or its cancellation): held.
    Accepted,
    /// The answer to an activation carried out at once.
    Outcome(Outcome),
    /// The alert of a future-dated activation: 8F66 or 8F67, when, the command's counter and
    /// the outcome.
    Alert {
        code: u16,
        at: DateTime<Utc>,
        counter: u64,
        outcome: Outcome,
    },
}

/// A DER part of CS06 read as `expected`, or an error naming `what` it is.
fn part<T>(
    value: Option<T>,
    what: &'static str,
    expected: &'static str,
) -> Result<T, FirmwareError> {
    value.ok_or(FirmwareError::Shape { what, expected })
}

/// A non-negative INTEGER written in DER's shortest form (so it writes back the same).
fn integer(d: &Der) -> Option<u64> {
    d.unsigned().filter(|&n| Der::integer(n) == *d)
}

impl FirmwarePayload {
    /// Reads a CS06 command or answer (`code` 0x0012) or its alert (0x00CA).
    pub fn decode(code: u16, bytes: &[u8]) -> Result<FirmwarePayload, FirmwareError> {
        let der = Der::decode(bytes)?;
        let items = || der.items().filter(|_| der.tag == SEQUENCE);
        if code == CS06_ALERT {
            let seq = "SEQUENCE { alert code, GeneralizedTime, counter, outcome }";
            let [alert, at, counter, outcome] = part(items(), "a CS06 alert", seq)? else {
                return part(None, "a CS06 alert", seq);
            };
            let alert = integer(alert).and_then(|c| u16::try_from(c).ok());
            return Ok(FirmwarePayload::Alert {
                code: part(alert, "its alert code", "a 16-bit INTEGER")?,
                at: part(
                    super::asn1::generalized_time(at),
                    "its execution time",
                    "a GeneralizedTime YYYYMMDDhhmmssZ",
                )?,
                counter: part(
                    integer(counter),
                    "its counter",
                    "an INTEGER in DER's shortest form",
                )?,
                outcome: outcome_of(outcome)?,
            });
        }
        if der.tag == NULL {
            let empty = der.bytes().is_some_and(<[u8]>::is_empty);
            return part(
                empty.then_some(FirmwarePayload::Accepted),
                "a NULL",
                "empty",
            );
        }
        let expected = "SEQUENCE { hash, counter [, GeneralizedTime] } (a command) or SEQUENCE \
                        { response code, version } or NULL (an answer)";
        match part(items(), "a CS06 payload", expected)? {
            [hash, counter, rest @ ..] if hash.tag == OCTET_STRING && rest.len() <= 1 => {
                let at = match rest.first() {
                    Some(t) => Some(part(
                        super::asn1::generalized_time(t),
                        "the execution time",
                        "a GeneralizedTime YYYYMMDDhhmmssZ",
                    )?),
                    None => None,
                };
                Ok(FirmwarePayload::Activate {
                    hash: part(hash.bytes(), "the hash", "an OCTET STRING")?.to_vec(),
                    counter: part(
                        integer(counter),
                        "the counter",
                        "an INTEGER in DER's shortest form",
                    )?,
                    at,
                })
            }
            [status, _] if status.tag == INTEGER => Ok(FirmwarePayload::Outcome(outcome_of(&der)?)),
            _ => part(None, "a CS06 payload", expected),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        match self {
            FirmwarePayload::Activate { hash, counter, at } => {
                let mut items = vec![
                    Der::primitive(OCTET_STRING, hash.clone()),
                    Der::integer(*counter),
                ];
                items.extend(at.map(super::asn1::generalized));
                Der::sequence(items).encode()
            }
            FirmwarePayload::Accepted => Der::primitive(NULL, Vec::new()).encode(),
            FirmwarePayload::Outcome(outcome) => outcome_der(outcome).encode(),
            FirmwarePayload::Alert {
                code,
                at,
                counter,
                outcome,
            } => Der::sequence(vec![
                Der::integer(u64::from(*code)),
                super::asn1::generalized(*at),
                Der::integer(*counter),
                outcome_der(outcome),
            ])
            .encode(),
        }
    }
}

/// An execution outcome: SEQUENCE { response code, version }.
fn outcome_of(der: &Der) -> Result<Outcome, FirmwareError> {
    let expected = "SEQUENCE { INTEGER response code, OCTET STRING version }";
    let items = der.items().filter(|_| der.tag == SEQUENCE);
    let [status, version] = part(items, "the execution outcome", expected)? else {
        return part(None, "the execution outcome", expected);
    };
    let version = version.bytes().filter(|_| version.tag == OCTET_STRING);
    Ok(Outcome {
        status: Activation::of(part(
            integer(status),
            "the response code",
            "an INTEGER in DER's shortest form",
        )?),
        version: part(version, "the version", "an OCTET STRING")?.to_vec(),
    })
}

fn outcome_der(outcome: &Outcome) -> Der {
    Der::sequence(vec![
        Der::integer(outcome.status.code()),
        Der::primitive(OCTET_STRING, outcome.version.clone()),
    ])
}
