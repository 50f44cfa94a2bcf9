//! The security credentials services (GBCS CS02) as a meter's commands:
//!
//! - 6.15.1 Update Security Credentials (KRP, critical): a supplier replaces its own (or its
//!   load controller's) trust anchors on the meter, a network operator its own — CS02b
//!   (CS02g for a load controller), which the user signs.
//! - 6.21 Request Handover of DCC Controlled Device: the DCC, whose keys a device's supplier
//!   (or network operator) anchors hold, hands them to the user — CS02b signed by the Access
//!   Control Broker.
//! - 6.23 Update Security Credentials (CoS): the new supplier's certificates, put on the meter
//!   by the DCC's transitional change-of-supplier party — CS02b, signed by that party.
//! - 6.24.1 Retrieve Device Security Credentials (KRP): which parties' anchors the device holds
//!   — CS02a (CS02f when a load controller's are asked), from the broker.
//! - 6.15.2, 6.17, 6.24.2 (critical): install a device certificate, have the device make a new
//!   key pair, read its certificate — CS02d, CS02c, CS02e.
//!
//! Certificates come base64 in the request; the DCC checks each is a certificate, names the
//! user where it is the user's own, and is for the cell it is to go in.

use base64::Engine;

use super::{Request, RequestError};
use crate::protocol::gbcs::asn1::Der;
use crate::protocol::gbcs::credentials::{
    CS02A, CS02C, CS02D, CS02E, CS02F, Cell, CertificateFacts, CredentialsPayload, KeyUsage, Mode,
    Role, SeqChange, Specialist, Update, cancel_time, update_code,
};
use crate::protocol::gbcs::payload::Activation;

/// Who originates a credentials command: the user (to sign it, for a critical one), or the DCC
/// — its Access Control Broker, or its transitional change-of-supplier party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Originator {
    User,
    Broker,
    TransitionalCos,
}

/// A credentials command as the request asks it: its use case, originator and payload (an
/// update's sequence number is the command's counter, filled in when it has one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsCommand {
    pub code: u16,
    pub originator: Originator,
    pub payload: CredentialsPayload,
    /// For 6.21, the role whose anchors the DCC holds and hands over.
    pub handover: Option<Role>,
    /// For 6.23, the import MPxN the request names (the meter's own, the DCC checks).
    pub import_mpxn: Option<String>,
}

fn refused(reason: String) -> RequestError {
    RequestError { line: 0, reason }
}

fn role_of(name: &str) -> Result<Role, RequestError> {
    Ok(match name {
        "Supplier" => Role::Supplier,
        "NetworkOperator" => Role::NetworkOperator,
        "ACB" => Role::AccessControlBroker,
        "Recovery" => Role::Recovery,
        "Root" => Role::Root,
        "TransCoS" => Role::TransitionalCos,
        "LoadController" => Role::LoadController,
        other => {
            return Err(refused(format!(
                "sr:RemotePartyRole {other:?} is not one of ACB, NetworkOperator, Recovery, \
                 Root, Supplier, TransCoS, LoadController"
            )));
        }
    })
}

fn usage_of(text: &str) -> Result<KeyUsage, RequestError> {
    match text {
        "Digital Signature" => Ok(KeyUsage::DigitalSignature),
        "Key Agreement" => Ok(KeyUsage::KeyAgreement),
        other => Err(refused(format!(
            "sr:CredentialType {other:?} is not \"Digital Signature\" or \"Key Agreement\""
        ))),
    }
}

impl Request {
    /// The credentials command a CS02 service request becomes; `None` for other services.
    pub fn credentials_command(&self) -> Result<Option<CredentialsCommand>, RequestError> {
        let service = self.service.to_string();
        let simple = |code, originator, payload| {
            Ok(Some(CredentialsCommand {
                code,
                originator,
                payload,
                handover: None,
                import_mpxn: None,
            }))
        };
        match service.as_str() {
            "6.24.1" => {
                let roles = self
                    .body
                    .children
                    .iter()
                    .filter(|c| c.name == "RemotePartyRole")
                    .map(|c| role_of(c.text.trim()))
                    .collect::<Result<Vec<_>, _>>()?;
                if roles.is_empty() {
                    return Err(refused(
                        "RetrieveDeviceSecurityCredentialsKRP needs a sr:RemotePartyRole".into(),
                    ));
                }
                let code = if roles.contains(&Role::LoadController) {
                    CS02F
                } else {
                    CS02A
                };
                let payload = CredentialsPayload::ReadDetails {
                    authoriser: Cell::new(Role::AccessControlBroker, KeyUsage::KeyAgreement),
                    roles,
                };
                simple(code, Originator::Broker, payload)
            }
            "6.24.2" => {
                let usage = usage_of(&self.required("CredentialType")?)?;
                let payload = CredentialsPayload::ReadCertificate { usage };
                simple(CS02E, Originator::User, payload)
            }
            "6.17" => {
                let usage = usage_of(&self.required("CredentialType")?)?;
                simple(CS02C, Originator::User, CredentialsPayload::Issue { usage })
            }
            "6.15.2" => {
                let certificate = self.certificate("DeviceCertificate")?;
                let payload = CredentialsPayload::Install { certificate };
                simple(CS02D, Originator::User, payload)
            }
            "6.15.1" | "6.21" => {
                let role = role_of(&self.required("RemotePartyRole")?)?;
                let (mode, originator, handover) = match (service.as_str(), role) {
                    ("6.15.1", Role::Supplier) => {
                        (Mode::SupplierBySupplier, Originator::User, None)
                    }
                    ("6.15.1", Role::NetworkOperator) => (
                        Mode::NetworkOperatorByNetworkOperator,
                        Originator::User,
                        None,
                    ),
                    ("6.15.1", Role::LoadController) => {
                        (Mode::LoadControllerBySupplier, Originator::User, None)
                    }
                    ("6.21", Role::Supplier) => {
                        (Mode::SupplierBySupplier, Originator::Broker, Some(role))
                    }
                    ("6.21", Role::NetworkOperator) => (
                        Mode::NetworkOperatorByNetworkOperator,
                        Originator::Broker,
                        Some(role),
                    ),
                    _ => {
                        return Err(refused(format!(
                            "{service} replaces a supplier's{} or a network operator's trust \
                             anchors, not the {role:?} party's",
                            if service == "6.15.1" {
                                ", a load controller's"
                            } else {
                                ""
                            }
                        )));
                    }
                };
                let floor = self.floor("RemotePartyFloorSeqNumber")?;
                let top_up = self.floor("RemotePartyPrepaymentTopUpFloorSeqNumber")?;
                if top_up.is_some() && role != Role::Supplier {
                    return Err(refused(
                        "sr:RemotePartyPrepaymentTopUpFloorSeqNumber is a supplier's only".into(),
                    ));
                }
                let specialist = top_up.map(|seq| vec![Specialist { usage: 0, seq }]);
                let mut update = self.update(mode, role, "ReplacementCertificates")?;
                if role == Role::LoadController {
                    // The load controller is not the authorising party: its floor goes with the
                    // other parties' changes.
                    update.other_changes = floor.map(|floor| {
                        vec![SeqChange {
                            role,
                            floor,
                            specialist: None,
                        }]
                    });
                } else {
                    update.floor = floor;
                    update.specialist_floors = specialist;
                }
                Ok(Some(CredentialsCommand {
                    code: update_code(mode),
                    originator,
                    payload: CredentialsPayload::Update(Box::new(update)),
                    handover,
                    import_mpxn: None,
                }))
            }
            "6.23" => {
                let role = Role::Supplier;
                let mut update = self.update(
                    Mode::SupplierByTransCos,
                    role,
                    "SupplierReplacementCertificates",
                )?;
                let floor = self.floor("SupplierFloorSeqNumber")?.ok_or_else(|| {
                    refused("UpdateSecurityCredentialsCoS needs sr:SupplierFloorSeqNumber".into())
                })?;
                let top_up = self.floor("SupplierPrepaymentTopUpFloorSeqNumber")?;
                update.other_changes = Some(vec![SeqChange {
                    role,
                    floor,
                    specialist: top_up.map(|seq| vec![Specialist { usage: 0, seq }]),
                }]);
                Ok(Some(CredentialsCommand {
                    code: update_code(Mode::SupplierByTransCos),
                    originator: Originator::TransitionalCos,
                    payload: CredentialsPayload::Update(Box::new(update)),
                    handover: None,
                    import_mpxn: Some(self.required("ImportMPxN")?),
                }))
            }
            _ => Ok(None),
        }
    }

    /// A CS02b's update of `role`'s cells from the certificates in `element`: the path, the
    /// time-based checks, when (an `ExecutionDateTime`, DUIS's 3000-12-31 cancelling one held).
    fn update(&self, mode: Mode, role: Role, element: &str) -> Result<Update, RequestError> {
        let certificates = self
            .body
            .find(element)
            .ok_or_else(|| refused(format!("{} needs sr:{element}", self.body.name)))?;
        let mut replacements = Vec::new();
        for (name, usage, top_up) in [
            (
                "DigitalSigningCertificate",
                KeyUsage::DigitalSignature,
                false,
            ),
            ("KeyAgreementCertificate", KeyUsage::KeyAgreement, false),
            ("KeyAgreementTopUpCertificate", KeyUsage::KeyAgreement, true),
        ] {
            let Some(e) = certificates.find(name) else {
                continue;
            };
            if top_up && role != Role::Supplier {
                return Err(refused(format!("sr:{name} is a supplier's only")));
            }
            let der = certificate_der(name, &e.text)?;
            let facts = CertificateFacts::of(&der.encode()).ok_or_else(|| {
                refused(format!(
                    "sr:{name} is not an SMKI organisation certificate (no subject EUI-64, key \
                     identifier, key usage or P-256 key)"
                ))
            })?;
            // A user's own certificates name it. A load controller's name the load controller;
            // a network operator's handed over (6.21) name the network operator, and a new
            // supplier's (6.23) the new supplier: the DCC checks those against its registry.
            let service = self.service.to_string();
            let own = match service.as_str() {
                "6.15.1" => role != Role::LoadController,
                "6.21" => role == Role::Supplier,
                _ => false,
            };
            if own && facts.subject != self.id.originator {
                return Err(refused(format!(
                    "sr:{name} names {}, not the user {}: a user replaces its own anchors",
                    facts.subject, self.id.originator
                )));
            }
            if facts.usage != usage {
                return Err(refused(format!(
                    "sr:{name} is a {:?} certificate, not {usage:?}",
                    facts.usage
                )));
            }
            replacements.push((
                der,
                Cell {
                    role,
                    usage,
                    top_up,
                },
            ));
        }
        if replacements.is_empty() {
            return Err(refused(format!("sr:{element} holds no certificate")));
        }
        let path = self
            .body
            .find("CertificationPathCertificates")
            .ok_or_else(|| {
                refused(format!(
                    "{} needs sr:CertificationPathCertificates",
                    self.body.name
                ))
            })?
            .children
            .iter()
            .filter(|c| c.name == "Certificate")
            .map(|c| certificate_der("Certificate", &c.text))
            .collect::<Result<Vec<_>, _>>()?;
        let checks = self.required("ApplyTimeBasedCPVChecks")?;
        let time_checks = match checks.as_str() {
            "true" | "1" => None,
            "false" | "0" => Some(1),
            other => {
                return Err(refused(format!(
                    "sr:ApplyTimeBasedCPVChecks {other:?} is not a boolean"
                )));
            }
        };
        let execute_at = match self.activation()? {
            Activation::Now => None,
            Activation::At(t) => Some(t),
            Activation::Cancel => Some(cancel_time()),
        };
        Ok(Update {
            mode,
            symmetric_key: None,
            time_checks,
            authoriser: Some(Cell::new(mode.authoriser(), KeyUsage::DigitalSignature)),
            seq: 0,
            floor: None,
            specialist_floors: None,
            other_changes: None,
            replacements,
            path,
            execute_at,
        })
    }

    /// A certificate element's DER.
    fn certificate(&self, name: &str) -> Result<Der, RequestError> {
        certificate_der(name, &self.required(name)?)
    }

    /// A floor sequence number, if the element is there.
    fn floor(&self, name: &str) -> Result<Option<u64>, RequestError> {
        self.body
            .find(name)
            .map(|e| {
                let text = e.text.trim();
                text.parse()
                    .map_err(|_| refused(format!("sr:{name} {text:?} is not a sequence number")))
            })
            .transpose()
    }
}

/// A base64 certificate's DER, checked to be one DER SEQUENCE.
fn certificate_der(name: &str, text: &str) -> Result<Der, RequestError> {
    let text: String = text.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| refused(format!("sr:{name} is not base64: {e}")))?;
    let der = Der::decode(&bytes).map_err(|e| refused(format!("sr:{name} is not DER: {e}")))?;
    if der.tag != 0x30 {
        return Err(refused(format!(
            "sr:{name} is not a certificate (SEQUENCE)"
        )));
    }
    Ok(der)
}
