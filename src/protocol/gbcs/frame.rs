//! GBCS message framing.
//!
//! A Remote Party message is either a general-signing APDU on its own (tag `DF`, e.g. signed
//! pre-commands and alerts) or one wrapped in a general-ciphering APDU (tag `DD`) that adds a
//! security header and a 12-byte AES-GCM authentication tag:
//!
//! ```text
//! DD  00 00 00 00 00 00          general-ciphering: five empty octet strings, no key-info
//!     len                        ciphered-content length (5 + signing + 12)
//!     11 00 00 00 00             security header
//!     DF  09 cra counter(8)      general-signing: transaction-id = CRA flag ‖ originator counter
//!         08 eui(8)  08 eui(8)   originator and recipient system titles
//!         len date-time          usually empty (00)
//!         len other-information  message code (2 bytes) ‖ supplementary remote party fields
//!         len content            DLMS/COSEM APDU, ZigBee (GBZ) or ASN.1 payload
//!         len signature          empty (00) or 64-byte ECDSA P-256 r ‖ s; absent altogether
//!                                in a pre-command (the unsigned form a user signs)
//!     mac(12)
//! ```
//!
//! Lengths are DER-style: one byte below 0x80, else 0x81 or 0x82 followed by one or two bytes.
//! A `DD` whose second byte is not zero is GBCS Block Transfer (a segment of a large message),
//! recognised and refused with its own error.

use std::fmt;

use crate::model::Eui64;

const GENERAL_CIPHERING: u8 = 0xDD;
const GENERAL_SIGNING: u8 = 0xDF;
const SECURITY_HEADER_LEN: usize = 5;
const MAC_LEN: usize = 12;
const TRANSACTION_ID_LEN: usize = 9;
const SYSTEM_TITLE_LEN: usize = 8;

/// Why bytes are not a GBCS message; `at` is the byte offset where the problem starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("message is empty")]
    Empty,
    #[error("truncated at byte {at}: {what} needs {needed} more byte(s)")]
    Truncated {
        at: usize,
        what: &'static str,
        needed: usize,
    },
    #[error("byte {at}: expected {expected} (tag {tag:#04X}), found {found:#04X}")]
    Tag {
        at: usize,
        expected: &'static str,
        tag: u8,
        found: u8,
    },
    #[error(
        "byte {at}: GBCS Block Transfer (segmented message, DD {second:02X} …) is not supported"
    )]
    BlockTransfer { at: usize, second: u8 },
    #[error("byte {at}: length form {first:#04X} is not supported (expected < 0x80, 0x81 or 0x82)")]
    LengthForm { at: usize, first: u8 },
    #[error("byte {at}: {field} must be {expected} bytes long, is {found}")]
    FieldLength {
        at: usize,
        field: &'static str,
        expected: usize,
        found: usize,
    },
    #[error(
        "byte {at}: ciphered content is {declared} bytes but the general-signing APDU and MAC take {actual}"
    )]
    CipheredLength {
        at: usize,
        declared: usize,
        actual: usize,
    },
    #[error("byte {at}: {count} byte(s) left over after the message")]
    Trailing { at: usize, count: usize },
    #[error(
        "a MACed message needs its signature field (empty or a signature); only pre-commands omit it"
    )]
    MissingSignatureField,
    #[error("{field} is {len} bytes; GBCS lengths stop at 65,535")]
    TooLong { field: &'static str, len: usize },
}

/// The CRA flag: what kind of message this is (GBCS §4.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cra {
    Command,
    Response,
    Alert,
    /// A value GBCS does not define, kept so the message re-encodes unchanged.
    Unknown(u8),
}

impl Cra {
    fn from_byte(b: u8) -> Cra {
        match b {
            1 => Cra::Command,
            2 => Cra::Response,
            3 => Cra::Alert,
            other => Cra::Unknown(other),
        }
    }

    pub(crate) fn byte(self) -> u8 {
        match self {
            Cra::Command => 1,
            Cra::Response => 2,
            Cra::Alert => 3,
            Cra::Unknown(b) => b,
        }
    }
}

impl fmt::Display for Cra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cra::Command => f.write_str("command"),
            Cra::Response => f.write_str("response"),
            Cra::Alert => f.write_str("alert"),
            Cra::Unknown(b) => write!(f, "unknown ({b:#04X})"),
        }
    }
}

/// The general-ciphering wrapper: its security header and MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneralCiphering {
    /// Security control byte and invocation counter (`11 00 00 00 00` in every RTDS vector).
    pub security_header: [u8; SECURITY_HEADER_LEN],
    /// AES-GCM authentication tag over the security header and the general-signing APDU.
    pub mac: [u8; MAC_LEN],
}

/// The general-signing APDU: the grouping header, payload and signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneralSigning {
    pub cra: Cra,
    /// The originator's counter; with the CRA flag it forms the transaction id.
    pub originator_counter: u64,
    pub originator: Eui64,
    pub recipient: Eui64,
    /// Usually empty: future-dated execution times travel in the payload.
    pub date_time: Vec<u8>,
    /// Message code (two bytes) and any supplementary remote party fields.
    pub other_information: Vec<u8>,
    /// The payload: a DLMS/COSEM APDU, a ZigBee (GBZ) payload or ASN.1.
    pub content: Vec<u8>,
    /// `None` when the field is absent altogether, as in a pre-command (the message a user is
    /// to sign); otherwise empty, or a 64-byte ECDSA P-256 signature (r ‖ s).
    pub signature: Option<Vec<u8>>,
}

/// A GBCS Remote Party message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GbcsMessage {
    /// Present when the message is MACed (starts `DD 00`).
    pub ciphering: Option<GeneralCiphering>,
    pub signing: GeneralSigning,
}

impl GbcsMessage {
    /// Reads one whole message; every byte must belong to it.
    pub fn decode(bytes: &[u8]) -> Result<GbcsMessage, FrameError> {
        let mut r = Reader { bytes, at: 0 };
        let first = *bytes.first().ok_or(FrameError::Empty)?;
        let message = if first == GENERAL_CIPHERING {
            decode_ciphered(&mut r)?
        } else {
            GbcsMessage {
                ciphering: None,
                signing: decode_signing(&mut r, true)?,
            }
        };
        if r.at != bytes.len() {
            return Err(FrameError::Trailing {
                at: r.at,
                count: bytes.len() - r.at,
            });
        }
        Ok(message)
    }

    /// Writes the message; `decode(encode(m)) == m` and, for any decoded message, the bytes are
    /// the ones it was decoded from.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), FrameError> {
        match &self.ciphering {
            None => self.signing.encode(out),
            Some(_) if self.signing.signature.is_none() => Err(FrameError::MissingSignatureField),
            Some(c) => {
                let mut signing = Vec::new();
                self.signing.encode(&mut signing)?;
                out.push(GENERAL_CIPHERING);
                out.extend_from_slice(&[0; 6]);
                let len = SECURITY_HEADER_LEN + signing.len() + MAC_LEN;
                put_len(out, len, "ciphered content")?;
                out.extend_from_slice(&c.security_header);
                out.extend_from_slice(&signing);
                out.extend_from_slice(&c.mac);
                Ok(())
            }
        }
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, FrameError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }

    /// The GBCS message code (e.g. 0x0037 for ECS22b), the first two bytes of other-information.
    pub fn message_code(&self) -> Option<u16> {
        match self.signing.other_information.as_slice() {
            [a, b, ..] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        }
    }
}

impl GeneralSigning {
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), FrameError> {
        out.push(GENERAL_SIGNING);
        out.push(TRANSACTION_ID_LEN as u8);
        out.push(self.cra.byte());
        out.extend_from_slice(&self.originator_counter.to_be_bytes());
        for title in [self.originator, self.recipient] {
            out.push(SYSTEM_TITLE_LEN as u8);
            out.extend_from_slice(&title.0);
        }
        let signature = self.signature.as_ref();
        for (field, name) in [
            (Some(&self.date_time), "date-time"),
            (Some(&self.other_information), "other information"),
            (Some(&self.content), "content"),
            (signature, "signature"),
        ] {
            if let Some(field) = field {
                put_len(out, field.len(), name)?;
                out.extend_from_slice(field);
            }
        }
        Ok(())
    }
}

fn decode_ciphered(r: &mut Reader<'_>) -> Result<GbcsMessage, FrameError> {
    r.tag(GENERAL_CIPHERING, "general-ciphering")?;
    let second_at = r.at;
    let second = r.byte("general-ciphering transaction id")?;
    if second != 0 {
        return Err(FrameError::BlockTransfer {
            at: second_at,
            second,
        });
    }
    // GBCS leaves the other four header fields empty and sends no key-info.
    for what in [
        "general-ciphering originator system title",
        "general-ciphering recipient system title",
        "general-ciphering date-time",
        "general-ciphering other information",
        "general-ciphering key-info",
    ] {
        let at = r.at;
        let n = r.byte(what)?;
        if n != 0 {
            return Err(FrameError::FieldLength {
                at,
                field: what,
                expected: 0,
                found: usize::from(n),
            });
        }
    }
    let length_at = r.at;
    let declared = r.len("ciphered content length")?;
    let start = r.at;
    let security_header = r.array::<SECURITY_HEADER_LEN>("security header")?;
    let signing = decode_signing(r, false)?;
    let mac = r.array::<MAC_LEN>("MAC")?;
    let actual = r.at - start;
    if declared != actual {
        return Err(FrameError::CipheredLength {
            at: length_at,
            declared,
            actual,
        });
    }
    Ok(GbcsMessage {
        ciphering: Some(GeneralCiphering {
            security_header,
            mac,
        }),
        signing,
    })
}

/// `last` says the APDU ends the message, so an absent signature (a pre-command) is seen as the
/// end of the bytes; inside general-ciphering the MAC follows and the field must be there.
fn decode_signing(r: &mut Reader<'_>, last: bool) -> Result<GeneralSigning, FrameError> {
    r.tag(GENERAL_SIGNING, "general-signing")?;
    let at = r.at;
    let tid = r.string("transaction id")?;
    if tid.len() != TRANSACTION_ID_LEN {
        return Err(FrameError::FieldLength {
            at,
            field: "transaction id",
            expected: TRANSACTION_ID_LEN,
            found: tid.len(),
        });
    }
    let mut counter = [0u8; 8];
    counter.copy_from_slice(&tid[1..]);
    let originator = r.system_title("originator system title")?;
    let recipient = r.system_title("recipient system title")?;
    Ok(GeneralSigning {
        cra: Cra::from_byte(tid[0]),
        originator_counter: u64::from_be_bytes(counter),
        originator,
        recipient,
        date_time: r.string("date-time")?.to_vec(),
        other_information: r.string("other information")?.to_vec(),
        content: r.string("content")?.to_vec(),
        signature: if last && r.at == r.bytes.len() {
            None
        } else {
            Some(r.string("signature")?.to_vec())
        },
    })
}

/// A cursor over the message that reports where it failed.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FrameError> {
        let rest = self.bytes.len() - self.at;
        if rest < n {
            return Err(FrameError::Truncated {
                at: self.at,
                what,
                needed: n - rest,
            });
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, FrameError> {
        Ok(self.take(1, what)?[0])
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], FrameError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn tag(&mut self, tag: u8, expected: &'static str) -> Result<(), FrameError> {
        let at = self.at;
        let found = self.byte(expected)?;
        if found == tag {
            Ok(())
        } else {
            Err(FrameError::Tag {
                at,
                expected,
                tag,
                found,
            })
        }
    }

    /// A DER-style length: minimal forms only, so re-encoding gives the same bytes.
    fn len(&mut self, what: &'static str) -> Result<usize, FrameError> {
        let at = self.at;
        let first = self.byte(what)?;
        let n = match first {
            0..=0x7F => usize::from(first),
            0x81 => usize::from(self.byte(what)?),
            0x82 => usize::from(u16::from_be_bytes(self.array::<2>(what)?)),
            _ => return Err(FrameError::LengthForm { at, first }),
        };
        let minimal = match first {
            0x81 => n >= 0x80,
            0x82 => n > 0xFF,
            _ => true,
        };
        if minimal {
            Ok(n)
        } else {
            Err(FrameError::LengthForm { at, first })
        }
    }

    fn string(&mut self, what: &'static str) -> Result<&'a [u8], FrameError> {
        let n = self.len(what)?;
        self.take(n, what)
    }

    fn system_title(&mut self, what: &'static str) -> Result<Eui64, FrameError> {
        let at = self.at;
        let bytes = self.string(what)?;
        let title: [u8; SYSTEM_TITLE_LEN] =
            bytes.try_into().map_err(|_| FrameError::FieldLength {
                at,
                field: what,
                expected: SYSTEM_TITLE_LEN,
                found: bytes.len(),
            })?;
        Ok(Eui64(title))
    }
}

/// Writes a DER-style length in its minimal form.
fn put_len(out: &mut Vec<u8>, n: usize, field: &'static str) -> Result<(), FrameError> {
    if n > 0xFFFF {
        return Err(FrameError::TooLong { field, len: n });
    }
    if n < 0x80 {
        out.push(n as u8);
    } else if n <= 0xFF {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.push(0x82);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
