//! A device's security credentials (GBCS CS02, ASN.1): the trust anchors it holds for the
//! remote parties that may command it, and its own certificates.
//!
//! - CS02a (6.24.1): read which parties' trust anchors the device holds — for each role asked,
//!   a status, the party's sequence number and its cells (key usage, subject, key identifier).
//! - CS02b (6.15.1, 6.21, 6.23, 8.5): replace trust anchors with new certificates, authorised by
//!   a party the credentials replacement mode names (a supplier its own, the DCC's transitional
//!   change-of-supplier party a new supplier's…); one use case per mode, 0x0100 to 0x0109. The
//!   answer says what was replaced; a future-dated one is answered "accepted" and carried out
//!   later, told in an alert (0x00CB).
//! - CS02c (6.17): generate a new key pair and answer with a certification request for it.
//! - CS02d (6.15.2): install a device certificate for the key pair CS02c made.
//! - CS02e (6.24.2): answer with the device's certificate for a key usage.
//!
//! The payload alone does not say which of these it is: [`CredentialsPayload::decode`] takes
//! the message code. Certificates are kept as their DER trees, so they re-encode to their bytes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::asn1::{
    Asn1Error, Der, INTEGER, NULL, OCTET_STRING, SEQUENCE, generalized, generalized_time,
};
use crate::model::Eui64;

/// CS02a: provide security credentials details.
pub const CS02A: u16 = 0x0008;
/// CS02f: CS02a for a meter that also keeps a load controller's anchors.
pub const CS02F: u16 = 0x011B;
/// CS02c: issue security credentials (a new key pair's certification request).
pub const CS02C: u16 = 0x000A;
/// CS02d: update the device certificate on the device.
pub const CS02D: u16 = 0x000B;
/// CS02e: provide the device certificate from the device.
pub const CS02E: u16 = 0x000C;
/// CS02b's alert: a future-dated credentials update carried out (8F66) or not (8F67).
pub const CS02B_ALERT: u16 = 0x00CB;
/// CS02g's alert, the same for a load controller's anchors.
pub const CS02G_ALERT: u16 = 0x0124;

const BIT_STRING: u8 = 0x03;
const ENUMERATED: u8 = 0x0A;

/// The execution time that cancels a future-dated update a device holds: GBCS's latest,
/// 9999-12-31 23:59:59 (DUIS asks it with an `ExecutionDateTime` of 3000-12-31).
pub fn cancel_time() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

/// The message code of CS02b (CS02g for a load controller's anchors) for a replacement mode.
pub fn update_code(mode: Mode) -> u16 {
    match mode {
        Mode::LoadControllerByLoadController => 0x0125,
        Mode::LoadControllerBySupplier => 0x0126,
        m => 0x0100 + m as u16,
    }
}

/// The use case of the alert a future-dated update of use case `code` ends with: CS02g's for a
/// load controller's anchors, else CS02b's.
pub fn alert_code(code: u16) -> u16 {
    match Mode::of_code(code) {
        Some(Mode::LoadControllerByLoadController | Mode::LoadControllerBySupplier) => CS02G_ALERT,
        _ => CS02B_ALERT,
    }
}

/// The alert code (8F66 carried out, 8F67 not) of a CS02b or CS02g alert's payload.
pub fn alert_outcome(code: u16, content: &[u8]) -> Option<u16> {
    match CredentialsPayload::decode(code, false, content) {
        Ok(CredentialsPayload::UpdateAlert { code, .. }) => Some(code),
        _ => None,
    }
}

/// Whether a message code is a critical one of these (signed by its remote party): CS02b and
/// CS02g, which replace trust anchors, and CS02c, CS02d and CS02e, which touch the device's
/// own keys.
pub fn is_critical(code: u16) -> bool {
    matches!(code, CS02C | CS02D | CS02E) || Mode::of_code(code).is_some()
}

/// Whether a message code is one of these use cases (CS02b's alert included).
pub fn is_credentials(code: u16) -> bool {
    matches!(
        code,
        CS02A | CS02C | CS02D | CS02E | CS02F | CS02B_ALERT | CS02G_ALERT | 0x0100
            ..=0x0109 | 0x0125 | 0x0126
    )
}

/// A kind of remote party a device keeps trust anchors for (GBCS `RemotePartyRole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Root,
    Recovery,
    Supplier,
    NetworkOperator,
    AccessControlBroker,
    /// The DCC's transitional change-of-supplier party.
    TransitionalCos,
    WanProvider,
    IssuingAuthority,
    /// A load controller (an energy smart appliance's, for a supplier's load control).
    LoadController,
    Other,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Root,
        Role::Recovery,
        Role::Supplier,
        Role::NetworkOperator,
        Role::AccessControlBroker,
        Role::TransitionalCos,
        Role::WanProvider,
        Role::IssuingAuthority,
        Role::LoadController,
        Role::Other,
    ];

    pub fn number(self) -> u64 {
        match self {
            Role::Other => 127,
            r => r as u64,
        }
    }

    pub fn of(n: u64) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.number() == n)
    }

    /// As DUIS names it (`RemotePartyRole`).
    pub fn duis_name(self) -> &'static str {
        match self {
            Role::Root => "Root",
            Role::Recovery => "Recovery",
            Role::Supplier => "Supplier",
            Role::NetworkOperator => "NetworkOperator",
            Role::AccessControlBroker => "AccessControlBroker",
            Role::TransitionalCos => "TransitionalCoS",
            Role::WanProvider => "WANProvider",
            Role::IssuingAuthority => "IssuingAuthority",
            Role::LoadController => "LoadController",
            Role::Other => "Other",
        }
    }
}

/// What a key is for (an X.509 `KeyUsage` with one bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyUsage {
    DigitalSignature,
    KeyAgreement,
    KeyCertSign,
}

impl KeyUsage {
    /// The BIT STRING's contents: unused bits, then the one byte.
    fn bits(self) -> [u8; 2] {
        match self {
            KeyUsage::DigitalSignature => [0x07, 0x80],
            KeyUsage::KeyAgreement => [0x03, 0x08],
            KeyUsage::KeyCertSign => [0x02, 0x04],
        }
    }

    fn of_bits(b: &[u8]) -> Option<KeyUsage> {
        [
            KeyUsage::DigitalSignature,
            KeyUsage::KeyAgreement,
            KeyUsage::KeyCertSign,
        ]
        .into_iter()
        .find(|u| u.bits() == b)
    }

    fn der(self) -> Der {
        Der::primitive(BIT_STRING, self.bits().to_vec())
    }
}

/// A trust anchor cell: whose, for what, and whether it is the prepayment top-up one (GBCS
/// `TrustAnchorCellIdentifier`; a supplier has a second key-agreement cell for top-ups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cell {
    pub role: Role,
    pub usage: KeyUsage,
    #[serde(default)]
    pub top_up: bool,
}

impl Cell {
    pub fn new(role: Role, usage: KeyUsage) -> Cell {
        Cell {
            role,
            usage,
            top_up: false,
        }
    }

    fn der(&self) -> Der {
        Der::sequence(self.fields())
    }

    /// Role, key usage and (when not the default, management) cell usage.
    fn fields(&self) -> Vec<Der> {
        let mut items = vec![Der::integer(self.role.number()), self.usage.der()];
        if self.top_up {
            items.push(Der::integer(1));
        }
        items
    }

    fn read(d: &Der) -> Option<Cell> {
        match seq(d)? {
            [role, usage] => Some(Cell::new(role_of(role)?, usage_of(usage)?)),
            [role, usage, cell] => Some(Cell {
                role: role_of(role)?,
                usage: usage_of(usage)?,
                top_up: cell_usage(cell)?,
            }),
            _ => None,
        }
    }
}

/// A credentials replacement mode: which cells a CS02b replaces and whose signature authorises
/// it (GBCS `CredentialsReplacementMode`; see [`update_code`] for its use case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    RootBySupplier,
    RootByWanProvider,
    SupplierBySupplier,
    NetworkOperatorByNetworkOperator,
    AcbByAcb,
    WanProviderByWanProvider,
    TransCosByTransCos,
    SupplierByTransCos,
    AnyExceptAbnormalRootByRecovery,
    AnyByContingency,
    LoadControllerByLoadController,
    LoadControllerBySupplier,
}

impl Mode {
    pub const ALL: [Mode; 12] = [
        Mode::RootBySupplier,
        Mode::RootByWanProvider,
        Mode::SupplierBySupplier,
        Mode::NetworkOperatorByNetworkOperator,
        Mode::AcbByAcb,
        Mode::WanProviderByWanProvider,
        Mode::TransCosByTransCos,
        Mode::SupplierByTransCos,
        Mode::AnyExceptAbnormalRootByRecovery,
        Mode::AnyByContingency,
        Mode::LoadControllerByLoadController,
        Mode::LoadControllerBySupplier,
    ];

    /// The mode a CS02b message code carries.
    pub fn of_code(code: u16) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| update_code(*m) == code)
    }

    /// The party whose signature authorises the replacement.
    pub fn authoriser(self) -> Role {
        match self {
            Mode::RootBySupplier | Mode::SupplierBySupplier | Mode::LoadControllerBySupplier => {
                Role::Supplier
            }
            Mode::LoadControllerByLoadController => Role::LoadController,
            Mode::RootByWanProvider | Mode::WanProviderByWanProvider => Role::WanProvider,
            Mode::NetworkOperatorByNetworkOperator => Role::NetworkOperator,
            Mode::AcbByAcb => Role::AccessControlBroker,
            Mode::TransCosByTransCos | Mode::SupplierByTransCos => Role::TransitionalCos,
            Mode::AnyExceptAbnormalRootByRecovery => Role::Recovery,
            Mode::AnyByContingency => Role::Root,
        }
    }

    /// Whether this mode may replace a cell of `role`.
    pub fn replaces(self, role: Role) -> bool {
        match self {
            Mode::RootBySupplier | Mode::RootByWanProvider => role == Role::Root,
            Mode::SupplierBySupplier | Mode::SupplierByTransCos => role == Role::Supplier,
            Mode::NetworkOperatorByNetworkOperator => role == Role::NetworkOperator,
            Mode::AcbByAcb => role == Role::AccessControlBroker,
            Mode::WanProviderByWanProvider => role == Role::WanProvider,
            Mode::TransCosByTransCos => role == Role::TransitionalCos,
            Mode::LoadControllerByLoadController | Mode::LoadControllerBySupplier => {
                role == Role::LoadController
            }
            Mode::AnyExceptAbnormalRootByRecovery | Mode::AnyByContingency => true,
        }
    }
}

/// A sequence number for a specialist use of a party's commands: 0, prepayment top-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Specialist {
    pub usage: u8,
    pub seq: u64,
}

/// A party's new floor sequence number (GBCS `RemotePartySeqNumberChange`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqChange {
    pub role: Role,
    pub floor: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specialist: Option<Vec<Specialist>>,
}

/// A CS02b command: the authorisation, the certificates to install and where, and the
/// certificates that chain them to the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    pub mode: Mode,
    /// `plaintextSymmetricKey` [0]: a key for the device's (not used by these devices).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "some_hex")]
    pub symmetric_key: Option<Vec<u8>>,
    /// `applyTimeBasedCPVChecks` [1]: 0 apply, 1 disapply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_checks: Option<u8>,
    /// The authorising party's trust anchor cell [2].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authoriser: Option<Cell>,
    /// The authorising party's sequence number [3]: above the last the device has from it.
    pub seq: u64,
    /// The replaced party's new floor sequence number [4].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<u64>,
    /// Its new specialist floors [5] (prepayment top-ups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specialist_floors: Option<Vec<Specialist>>,
    /// Other parties' new floors [6].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_changes: Option<Vec<SeqChange>>,
    /// Each new certificate and the cell it goes in.
    pub replacements: Vec<(Der, Cell)>,
    /// The certificates between the new ones and the root (an organisation CA's).
    pub path: Vec<Der>,
    /// When to carry it out; `None` at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execute_at: Option<DateTime<Utc>>,
}

/// How one cell's replacement went (GBCS `ReplacementOutcome`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replaced {
    pub cell: Cell,
    /// 0 success; see [`status`].
    pub status: u8,
    #[serde(with = "hex_bytes")]
    pub existing_subject: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub existing_key_id: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub replacing_subject: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub replacing_key_id: Vec<u8>,
}

/// What a CS02b did (GBCS `UpdateSecurityCredentialsExecutionOutcome`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The authorising party's sequence number, as the command gave it.
    pub seq: u64,
    pub mode: Mode,
    pub changes: Vec<SeqChange>,
    pub replaced: Vec<Replaced>,
}

/// GBCS `StatusCode` values a device gives for a trust anchor.
pub mod status {
    pub const SUCCESS: u8 = 0;
    pub const BAD_CERTIFICATE: u8 = 5;
    /// The certificate does not chain to a trust anchor the device holds.
    pub const NO_TRUST_ANCHOR: u8 = 10;
    pub const TRUST_ANCHOR_NOT_FOUND: u8 = 25;
    pub const OTHER: u8 = 127;
}

/// One trust anchor cell as CS02a reports it (GBCS `TrustAnchorCellContents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellContents {
    pub usage: KeyUsage,
    #[serde(default)]
    pub top_up: bool,
    #[serde(with = "hex_bytes")]
    pub subject: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub key_id: Vec<u8>,
}

/// A party's details as CS02a reports them: a status and, when found, its sequence number and
/// cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyDetails {
    pub role: Role,
    pub status: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    pub cells: Vec<CellContents>,
}

/// A CS02 payload, command, answer or alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CredentialsPayload {
    /// CS02a: the details of `roles`' anchors, asked by the party of cell `authoriser`.
    ReadDetails { authoriser: Cell, roles: Vec<Role> },
    /// CS02a's answer.
    Details { parties: Vec<PartyDetails> },
    /// CS02b.
    Update(Box<Update>),
    /// CS02b's answer: accepted, and what was done (none for a future-dated one).
    Updated { outcome: Option<Outcome> },
    /// CS02b's alert: a future-dated update carried out (8F66) or not (8F67), when.
    UpdateAlert {
        code: u16,
        at: DateTime<Utc>,
        outcome: Outcome,
    },
    /// CS02c: generate a key pair for `usage`.
    Issue { usage: KeyUsage },
    /// CS02c's answer: a PKCS #10 certification request for the new key.
    CertificationRequest { request: Der },
    /// CS02d: install this device certificate.
    Install { certificate: Der },
    /// CS02e: send the device's certificate for `usage`.
    ReadCertificate { usage: KeyUsage },
    /// CS02e's answer.
    Certificate { certificate: Der },
    /// CS02c's, CS02d's or CS02e's answer code; see [`issue_code`], [`install_code`],
    /// [`read_code`].
    Code { code: u8 },
}

/// CS02c's failure codes.
pub mod issue_code {
    pub const INVALID_KEY_USAGE: u8 = 1;
}

/// CS02d's answer codes.
pub mod install_code {
    pub const SUCCESS: u8 = 0;
    pub const INVALID_CERTIFICATE: u8 = 1;
    pub const WRONG_DEVICE: u8 = 2;
    pub const INVALID_KEY_USAGE: u8 = 3;
    /// No key pair was generated (CS02c) for this certificate's usage.
    pub const NO_KEY_PAIR: u8 = 4;
    /// The certificate's key is not the one generated.
    pub const WRONG_PUBLIC_KEY: u8 = 5;
}

/// CS02e's failure codes.
pub mod read_code {
    pub const INVALID_KEY_USAGE: u8 = 1;
    pub const NO_CERTIFICATE: u8 = 2;
}

/// A payload that is not the one its message code carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error(transparent)]
    Der(#[from] Asn1Error),
    #[error("message code {code:#06X} is not a security credentials use case (CS02)")]
    NotCredentials { code: u16 },
    #[error("{what}: expected {expected}")]
    Shape {
        what: &'static str,
        expected: &'static str,
    },
}

impl CredentialsPayload {
    /// Reads the payload of a message with message code `code` (one of [`is_credentials`]'s);
    /// `command` whether it is a command (else an answer or, for 0x00CB, an alert).
    pub fn decode(
        code: u16,
        command: bool,
        bytes: &[u8],
    ) -> Result<CredentialsPayload, CredentialsError> {
        let der = Der::decode(bytes)?;
        let shape = |what, expected| CredentialsError::Shape { what, expected };
        match (code, command) {
            (CS02A | CS02F, true) => {
                let bad = || shape("a CS02a command", "SEQUENCE { cell, SEQUENCE OF INTEGER }");
                let [cell, roles] = seq(&der).ok_or_else(bad)? else {
                    return Err(bad());
                };
                Ok(CredentialsPayload::ReadDetails {
                    authoriser: Cell::read(cell).ok_or_else(bad)?,
                    roles: seq(roles)
                        .ok_or_else(bad)?
                        .iter()
                        .map(role_of)
                        .collect::<Option<_>>()
                        .ok_or_else(bad)?,
                })
            }
            (CS02A | CS02F, false) => {
                let bad = || {
                    shape(
                        "a CS02a answer",
                        "SEQUENCE OF SEQUENCE { role, status [, seq, cells] }",
                    )
                };
                let parties = seq(&der).ok_or_else(bad)?;
                Ok(CredentialsPayload::Details {
                    parties: parties
                        .iter()
                        .map(party_details)
                        .collect::<Option<_>>()
                        .ok_or_else(bad)?,
                })
            }
            (0x0100..=0x0109 | 0x0125 | 0x0126, true) => {
                let mode = Mode::of_code(code).ok_or(CredentialsError::NotCredentials { code })?;
                let update = read_update(&der).ok_or(shape(
                    "a CS02b command",
                    "SEQUENCE { control, replacements, certification path [, time] }",
                ))?;
                if update.mode != mode {
                    return Err(shape(
                        "a CS02b command",
                        "the replacement mode its message code carries",
                    ));
                }
                Ok(CredentialsPayload::Update(Box::new(update)))
            }
            (0x0100..=0x0109 | 0x0125 | 0x0126, false) => {
                let bad = || shape("a CS02b answer", "SEQUENCE { NULL [, outcome] }");
                let outcome = match seq(&der).ok_or_else(bad)? {
                    [null] if is_null(null) => None,
                    [null, outcome] if is_null(null) => {
                        Some(read_outcome(outcome).ok_or_else(bad)?)
                    }
                    _ => return Err(bad()),
                };
                Ok(CredentialsPayload::Updated { outcome })
            }
            (CS02B_ALERT | CS02G_ALERT, _) => {
                let bad = || shape("a CS02b alert", "SEQUENCE { code, time, outcome }");
                let [alert, at, outcome] = seq(&der).ok_or_else(bad)? else {
                    return Err(bad());
                };
                Ok(CredentialsPayload::UpdateAlert {
                    code: alert
                        .unsigned()
                        .filter(|_| alert.tag == INTEGER)
                        .and_then(|c| u16::try_from(c).ok())
                        .ok_or_else(bad)?,
                    at: generalized_time(at).ok_or_else(bad)?,
                    outcome: read_outcome(outcome).ok_or_else(bad)?,
                })
            }
            (CS02C | CS02E, true) => {
                let bad = || shape("a CS02c or CS02e command", "SEQUENCE { BIT STRING usage }");
                let [usage] = seq(&der).ok_or_else(bad)? else {
                    return Err(bad());
                };
                let usage = usage_of(usage).ok_or_else(bad)?;
                Ok(if code == CS02C {
                    CredentialsPayload::Issue { usage }
                } else {
                    CredentialsPayload::ReadCertificate { usage }
                })
            }
            (CS02D, true) if der.tag == SEQUENCE => {
                Ok(CredentialsPayload::Install { certificate: der })
            }
            (CS02D, true) => Err(shape("a CS02d command", "a certificate (SEQUENCE)")),
            (CS02C | CS02D | CS02E, false) if der.tag == INTEGER => Ok(CredentialsPayload::Code {
                code: small(&der).ok_or(shape("an answer code", "INTEGER 0 to 255"))?,
            }),
            (CS02C, false) if der.tag == SEQUENCE => {
                Ok(CredentialsPayload::CertificationRequest { request: der })
            }
            (CS02E, false) if der.tag == SEQUENCE => {
                Ok(CredentialsPayload::Certificate { certificate: der })
            }
            (CS02C | CS02D | CS02E, false) => Err(shape(
                "a CS02c, CS02d or CS02e answer",
                "INTEGER code, or the request or certificate (SEQUENCE)",
            )),
            _ => Err(CredentialsError::NotCredentials { code }),
        }
    }

    /// The DER a device or the DCC writes for this payload: a constructed value of 128 bytes
    /// or more with its length in two octets (`82 00 CA`), as the RTDS's devices write them.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            CredentialsPayload::ReadDetails { authoriser, roles } => sequence(vec![
                authoriser.der(),
                sequence(roles.iter().map(|r| Der::integer(r.number())).collect()),
            ]),
            CredentialsPayload::Details { parties } => {
                sequence(parties.iter().map(party_details_der).collect())
            }
            CredentialsPayload::Update(update) => update_der(update),
            CredentialsPayload::Updated { outcome } => {
                let mut items = vec![Der::primitive(NULL, Vec::new())];
                items.extend(outcome.as_ref().map(outcome_der));
                sequence(items)
            }
            CredentialsPayload::UpdateAlert { code, at, outcome } => sequence(vec![
                Der::integer(u64::from(*code)),
                generalized(*at),
                outcome_der(outcome),
            ]),
            CredentialsPayload::Issue { usage } | CredentialsPayload::ReadCertificate { usage } => {
                sequence(vec![usage.der()])
            }
            CredentialsPayload::CertificationRequest { request: d }
            | CredentialsPayload::Install { certificate: d }
            | CredentialsPayload::Certificate { certificate: d } => d.clone(),
            CredentialsPayload::Code { code } => Der::integer(u64::from(*code)),
        }
        .encode()
    }
}

/// A SEQUENCE, its length in two octets when its contents are 128 bytes or more.
fn sequence(items: Vec<Der>) -> Der {
    constructed(SEQUENCE, items)
}

fn constructed(tag: u8, items: Vec<Der>) -> Der {
    let mut d = Der::sequence(items);
    d.tag = tag;
    if d.encode().len() > 2 + 0x7F {
        d.length_octets = 2;
    }
    d
}

/// `d` under a context-specific tag (implicit): the same contents, another tag.
fn tagged(tag: u8, mut d: Der) -> Der {
    d.tag = tag;
    d
}

fn update_der(u: &Update) -> Der {
    let mut control = vec![Der::integer(u.mode as u64)];
    if let Some(key) = &u.symmetric_key {
        control.push(Der::primitive(0x80, key.clone()));
    }
    if let Some(t) = u.time_checks {
        control.push(tagged(0x81, Der::integer(u64::from(t))));
    }
    if let Some(cell) = &u.authoriser {
        control.push(constructed(0xA2, cell.fields()));
    }
    control.push(tagged(0x83, Der::integer(u.seq)));
    if let Some(floor) = u.floor {
        control.push(tagged(0x84, Der::integer(floor)));
    }
    if let Some(s) = &u.specialist_floors {
        control.push(constructed(0xA5, s.iter().map(specialist_der).collect()));
    }
    if let Some(changes) = &u.other_changes {
        control.push(constructed(0xA6, changes.iter().map(change_der).collect()));
    }
    let replacements = u
        .replacements
        .iter()
        .map(|(certificate, cell)| sequence(vec![certificate.clone(), cell.der()]));
    let mut items = vec![
        sequence(control),
        sequence(replacements.collect()),
        sequence(u.path.clone()),
    ];
    items.extend(u.execute_at.map(generalized));
    sequence(items)
}

fn read_update(d: &Der) -> Option<Update> {
    let (control, replacements, path, execute_at) = match seq(d)? {
        [c, r, p] => (c, r, p, None),
        [c, r, p, t] => (c, r, p, Some(generalized_time(t)?)),
        _ => return None,
    };
    let control = control.items().filter(|_| control.tag == SEQUENCE)?;
    let (mode, rest) = control.split_first()?;
    let mut update = Update {
        mode: Mode::ALL
            .get(usize::try_from(mode.unsigned()?).ok()?)
            .copied()?,
        symmetric_key: None,
        time_checks: None,
        authoriser: None,
        seq: 0,
        floor: None,
        specialist_floors: None,
        other_changes: None,
        replacements: Vec::new(),
        path: seq(path)?.to_vec(),
        execute_at,
    };
    let mut seq_seen = false;
    let mut last = None;
    for field in rest {
        // Each field at most once, in the order of their tag numbers.
        let number = field.tag & 0x1F;
        if last.is_some_and(|n| number <= n) {
            return None;
        }
        last = Some(number);
        match field.tag {
            0x80 => update.symmetric_key = Some(field.bytes()?.to_vec()),
            0x81 => update.time_checks = Some(u8::try_from(implicit_int(field)?).ok()?),
            0xA2 => update.authoriser = Some(Cell::read(&tagged(SEQUENCE, field.clone()))?),
            0x83 => {
                update.seq = implicit_int(field)?;
                seq_seen = true;
            }
            0x84 => update.floor = Some(implicit_int(field)?),
            0xA5 => {
                let items = field.items()?;
                update.specialist_floors =
                    Some(items.iter().map(read_specialist).collect::<Option<_>>()?);
            }
            0xA6 => {
                let items = field.items()?;
                update.other_changes = Some(items.iter().map(read_change).collect::<Option<_>>()?);
            }
            _ => return None,
        }
    }
    if !seq_seen {
        return None;
    }
    update.replacements = seq(replacements)?
        .iter()
        .map(|r| match seq(r)? {
            [certificate, cell] if certificate.tag == SEQUENCE => {
                Some((certificate.clone(), Cell::read(cell)?))
            }
            _ => None,
        })
        .collect::<Option<_>>()?;
    if update.path.iter().any(|c| c.tag != SEQUENCE) {
        return None;
    }
    Some(update)
}

fn specialist_der(s: &Specialist) -> Der {
    sequence(vec![Der::integer(u64::from(s.usage)), Der::integer(s.seq)])
}

fn read_specialist(d: &Der) -> Option<Specialist> {
    match seq(d)? {
        [usage, n] => Some(Specialist {
            usage: small(usage)?,
            seq: int(n)?,
        }),
        _ => None,
    }
}

fn change_der(c: &SeqChange) -> Der {
    let mut items = vec![Der::integer(c.role.number()), Der::integer(c.floor)];
    if let Some(s) = &c.specialist {
        items.push(sequence(s.iter().map(specialist_der).collect()));
    }
    sequence(items)
}

fn read_change(d: &Der) -> Option<SeqChange> {
    let (role, floor, specialist) = match seq(d)? {
        [r, f] => (r, f, None),
        [r, f, s] => (
            r,
            f,
            Some(seq(s)?.iter().map(read_specialist).collect::<Option<_>>()?),
        ),
        _ => return None,
    };
    Some(SeqChange {
        role: role_of(role)?,
        floor: int(floor)?,
        specialist,
    })
}

fn outcome_der(o: &Outcome) -> Der {
    let replaced = o.replaced.iter().map(|r| {
        let octets = |b: &[u8]| Der::primitive(OCTET_STRING, b.to_vec());
        sequence(vec![
            r.cell.der(),
            Der::primitive(ENUMERATED, vec![r.status]),
            octets(&r.existing_subject),
            octets(&r.existing_key_id),
            octets(&r.replacing_subject),
            octets(&r.replacing_key_id),
        ])
    });
    sequence(vec![
        Der::integer(o.seq),
        Der::integer(o.mode as u64),
        sequence(o.changes.iter().map(change_der).collect()),
        sequence(replaced.collect()),
    ])
}

fn read_outcome(d: &Der) -> Option<Outcome> {
    let [n, mode, changes, replaced] = seq(d)? else {
        return None;
    };
    let replaced = seq(replaced)?.iter().map(|r| {
        let [cell, status, es, ek, rs, rk] = seq(r)? else {
            return None;
        };
        Some(Replaced {
            cell: Cell::read(cell)?,
            status: enumerated(status)?,
            existing_subject: octets(es)?,
            existing_key_id: octets(ek)?,
            replacing_subject: octets(rs)?,
            replacing_key_id: octets(rk)?,
        })
    });
    Some(Outcome {
        seq: int(n)?,
        mode: Mode::ALL.get(usize::from(small(mode)?)).copied()?,
        changes: seq(changes)?
            .iter()
            .map(read_change)
            .collect::<Option<_>>()?,
        replaced: replaced.collect::<Option<_>>()?,
    })
}

fn party_details_der(p: &PartyDetails) -> Der {
    let mut items = vec![
        Der::integer(p.role.number()),
        Der::primitive(ENUMERATED, vec![p.status]),
    ];
    if let Some(n) = p.seq {
        items.push(Der::integer(n));
        let cells = p.cells.iter().map(|c| {
            let mut fields = vec![c.usage.der()];
            if c.top_up {
                fields.push(Der::integer(1));
            }
            fields.push(Der::primitive(OCTET_STRING, c.subject.clone()));
            fields.push(Der::primitive(OCTET_STRING, c.key_id.clone()));
            sequence(fields)
        });
        items.push(sequence(cells.collect()));
    }
    sequence(items)
}

fn party_details(d: &Der) -> Option<PartyDetails> {
    let (role, status, rest) = match seq(d)? {
        [r, s, rest @ ..] => (r, s, rest),
        _ => return None,
    };
    let (n, cells) = match rest {
        [] => (None, Vec::new()),
        [n, cells] => {
            let cells = seq(cells)?.iter().map(|c| {
                let (usage, top_up, subject, key_id) = match seq(c)? {
                    [u, s, k] => (u, false, s, k),
                    [u, cu, s, k] => (u, cell_usage(cu)?, s, k),
                    _ => return None,
                };
                Some(CellContents {
                    usage: usage_of(usage)?,
                    top_up,
                    subject: octets(subject)?,
                    key_id: octets(key_id)?,
                })
            });
            (Some(int(n)?), cells.collect::<Option<_>>()?)
        }
        _ => return None,
    };
    Some(PartyDetails {
        role: role_of(role)?,
        status: enumerated(status)?,
        seq: n,
        cells,
    })
}

/// A SEQUENCE's elements.
fn seq(d: &Der) -> Option<&[Der]> {
    d.items().filter(|_| d.tag == SEQUENCE)
}

fn int(d: &Der) -> Option<u64> {
    d.unsigned().filter(|_| d.tag == INTEGER)
}

/// An INTEGER under a context-specific tag.
fn implicit_int(d: &Der) -> Option<u64> {
    tagged(INTEGER, d.clone()).unsigned()
}

fn small(d: &Der) -> Option<u8> {
    u8::try_from(int(d)?).ok()
}

fn enumerated(d: &Der) -> Option<u8> {
    match d.bytes().filter(|_| d.tag == ENUMERATED)? {
        [b] => Some(*b),
        _ => None,
    }
}

fn role_of(d: &Der) -> Option<Role> {
    Role::of(int(d)?)
}

fn usage_of(d: &Der) -> Option<KeyUsage> {
    KeyUsage::of_bits(d.bytes().filter(|_| d.tag == BIT_STRING)?)
}

/// A cell usage INTEGER: 0 management, 1 prepayment top-up.
fn cell_usage(d: &Der) -> Option<bool> {
    match int(d)? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

fn octets(d: &Der) -> Option<Vec<u8>> {
    d.bytes()
        .filter(|_| d.tag == OCTET_STRING)
        .map(<[u8]>::to_vec)
}

fn is_null(d: &Der) -> bool {
    d.tag == NULL && d.bytes().is_some_and(<[u8]>::is_empty)
}

fn some_hex<S: serde::Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::hex(bytes.as_deref().unwrap_or_default()))
}

/// Bytes as hex in JSON (and in saved device state).
pub(crate) mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::protocol::gbcs::hex(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        crate::protocol::gbcs::parse_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// What a certificate says that a trust anchor keeps: whose it is, its key identifier, what
/// the key is for, and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// The subject's EUI-64: an organisation certificate's `x500UniqueIdentifier`, a device
    /// certificate's `hwSerialNum` (subject alternative name).
    pub subject: Eui64,
    /// The subject key identifier extension's 8 bytes.
    pub key_id: Vec<u8>,
    pub usage: KeyUsage,
    /// The P-256 key, uncompressed.
    pub public_key: [u8; 65],
}

impl CertificateFacts {
    /// Reads an SMKI certificate's facts; `None` for one without them all.
    pub fn of(der: &[u8]) -> Option<CertificateFacts> {
        const UNIQUE_IDENTIFIER: [u8; 8] = [0x06, 0x03, 0x55, 0x04, 0x2D, 0x03, 0x09, 0x00];
        const HW_MODULE_NAME: [u8; 10] =
            [0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x04];
        const KEY_USAGE: [u8; 5] = [0x06, 0x03, 0x55, 0x1D, 0x0F];
        let after = |pattern: &[u8]| {
            der.windows(pattern.len())
                .position(|w| w == pattern)
                .map(|i| &der[i + pattern.len()..])
        };
        let subject = match after(&UNIQUE_IDENTIFIER) {
            Some(rest) => rest.get(..8)?,
            None => {
                // [0] { HardwareModuleName ::= SEQUENCE { hwType OID, hwSerialNum OCTET STRING } }
                let rest = after(&HW_MODULE_NAME)?;
                let [0xA0, _, 0x30, _, 0x06, oid, ..] = *rest else {
                    return None;
                };
                let serial = rest.get(6 + usize::from(oid)..)?;
                serial.strip_prefix(&[0x04, 0x08])?.get(..8)?
            }
        };
        let key_id = key_id(der)?;
        let usage = {
            let rest = after(&KEY_USAGE)?;
            // Optionally `critical` (BOOLEAN TRUE), then the OCTET STRING holding the BIT STRING.
            let rest = rest.strip_prefix(&[0x01, 0x01, 0xFF]).unwrap_or(rest);
            let bits = rest.strip_prefix(&[0x04, 0x04, 0x03, 0x02])?.get(..2)?;
            KeyUsage::of_bits(bits)?
        };
        Some(CertificateFacts {
            subject: Eui64(subject.try_into().ok()?),
            key_id,
            usage,
            public_key: super::public_key_of_der(der).ok()?,
        })
    }
}

/// A certificate's subject key identifier (8 bytes, as SMKI certificates have it).
pub fn key_id(der: &[u8]) -> Option<Vec<u8>> {
    const KEY_ID: [u8; 9] = [0x06, 0x03, 0x55, 0x1D, 0x0E, 0x04, 0x0A, 0x04, 0x08];
    let at = der.windows(KEY_ID.len()).position(|w| w == KEY_ID)?;
    der.get(at + KEY_ID.len()..at + KEY_ID.len() + 8)
        .map(<[u8]>::to_vec)
}

/// A certificate's authority key identifier: its issuer's subject key identifier.
pub fn authority_key_id(der: &[u8]) -> Option<Vec<u8>> {
    const AKI: [u8; 11] = [
        0x06, 0x03, 0x55, 0x1D, 0x23, 0x04, 0x0C, 0x30, 0x0A, 0x80, 0x08,
    ];
    let at = der.windows(AKI.len()).position(|w| w == AKI)?;
    der.get(at + AKI.len()..at + AKI.len() + 8)
        .map(<[u8]>::to_vec)
}
