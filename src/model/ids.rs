//! Identifiers of devices and users (EUI-64), DCC user roles and DUIS service references.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseIdError {
    #[error("EUI-64 {0:?} must be 16 hex digits, optionally in pairs separated by '-' or ':'")]
    Eui64(String),
    #[error("unknown DCC user role {0:?} (expected one of IS, ES, GS, ED, GT, OU, RSA, MDR)")]
    Role(String),
    #[error("service reference variant {0:?} must be 1 to 3 dot-separated numbers, e.g. 4.8.1")]
    ServiceRef(String),
}

/// An EUI-64: the identity of a device (meter, comms hub) or of a DCC user.
///
/// DUIS writes it as eight hex pairs separated by hyphens (`00-DB-12-34-56-78-90-A0`); GBCS system
/// titles carry the same eight bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Eui64(pub [u8; 8]);

impl FromStr for Eui64 {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex: String = s.chars().filter(|c| *c != '-' && *c != ':').collect();
        let grouped_ok = s.len() == 16 || s.len() == 23;
        if hex.len() != 16 || !grouped_ok || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseIdError::Eui64(s.to_string()));
        }
        let mut bytes = [0u8; 8];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| ParseIdError::Eui64(s.to_string()))?;
        }
        Ok(Eui64(bytes))
    }
}

impl fmt::Display for Eui64 {
    /// `00-DB-12-34-56-78-90-A0`: written into a buffer and out in one piece (a head-end
    /// writes several in every request it answers).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut out = [b'-'; 23];
        for (i, b) in self.0.iter().enumerate() {
            out[3 * i] = HEX[usize::from(b >> 4)];
            out[3 * i + 1] = HEX[usize::from(b & 0x0F)];
        }
        f.pad(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl TryFrom<String> for Eui64 {
    type Error = ParseIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Eui64> for String {
    fn from(value: Eui64) -> Self {
        value.to_string()
    }
}

/// DCC user roles, as the DUIS access-control matrix names them, plus the Meter Data Retriever
/// role that Market-wide Half-Hourly Settlement adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Import Supplier (electricity).
    #[serde(rename = "IS")]
    ImportSupplier,
    /// Export Supplier (electricity).
    #[serde(rename = "ES")]
    ExportSupplier,
    /// Gas (import) Supplier.
    #[serde(rename = "GS")]
    GasSupplier,
    /// Electricity Distributor (network operator).
    #[serde(rename = "ED")]
    ElectricityDistributor,
    /// Gas Transporter (network operator).
    #[serde(rename = "GT")]
    GasTransporter,
    /// Other User (energy services, switching sites…).
    #[serde(rename = "OU")]
    OtherUser,
    /// Registered Supplier Agent.
    #[serde(rename = "RSA")]
    RegisteredSupplierAgent,
    /// Meter Data Retriever (MHHS).
    #[serde(rename = "MDR")]
    MeterDataRetriever,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::ImportSupplier,
        Role::ExportSupplier,
        Role::GasSupplier,
        Role::ElectricityDistributor,
        Role::GasTransporter,
        Role::OtherUser,
        Role::RegisteredSupplierAgent,
        Role::MeterDataRetriever,
    ];

    /// The code DUIS and the access-control matrix use.
    pub fn code(self) -> &'static str {
        match self {
            Role::ImportSupplier => "IS",
            Role::ExportSupplier => "ES",
            Role::GasSupplier => "GS",
            Role::ElectricityDistributor => "ED",
            Role::GasTransporter => "GT",
            Role::OtherUser => "OU",
            Role::RegisteredSupplierAgent => "RSA",
            Role::MeterDataRetriever => "MDR",
        }
    }
}

impl FromStr for Role {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| ParseIdError::Role(s.to_string()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A DUIS Service Reference Variant such as `4.8.1` (Read Active Import Profile Data) or `2.2`
/// (Top Up Device): one to three numbers, the unused ones zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServiceRef {
    parts: [u8; 3],
    len: u8,
}

impl ServiceRef {
    /// Builds a reference from its numbers; `const` so the catalogue can hold literals.
    pub const fn new(major: u8, minor: u8, variant: u8) -> ServiceRef {
        let len = if variant > 0 {
            3
        } else if minor > 0 {
            2
        } else {
            1
        };
        ServiceRef {
            parts: [major, minor, variant],
            len,
        }
    }

    /// Whether the service only reads a device (4.x reads, 6.2.x configuration, 6.13 logs,
    /// 11.2 firmware version), changing nothing but its counters.
    pub fn reads_only(self) -> bool {
        matches!(self.parts, [4, ..] | [6, 2, _] | [6, 13, _] | [11, 2, _])
    }

    /// Whether the service joins, unjoins or reads the devices a device may talk to on its home
    /// area network (8.7, 8.8, 8.9).
    pub fn is_device_log(self) -> bool {
        matches!(self.parts, [8, 7..=9, _])
    }

    /// Whether the service reads or changes a device's security credentials (6.15, 6.17, 6.21,
    /// 6.23, 6.24).
    pub fn is_security_credentials(self) -> bool {
        matches!(self.parts, [6, 15 | 17 | 21 | 23 | 24, _])
    }

    /// The service reference without its variant (`4.8` for `4.8.1`), as DUIS `ServiceReference`.
    pub fn service_reference(self) -> String {
        let n = usize::from(self.len.min(2));
        join(&self.parts[..n])
    }
}

fn join(parts: &[u8]) -> String {
    parts
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

impl FromStr for ServiceRef {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseIdError::ServiceRef(s.to_string());
        let fields: Vec<&str> = s.split('.').collect();
        if fields.is_empty() || fields.len() > 3 {
            return Err(err());
        }
        let mut parts = [0u8; 3];
        for (slot, field) in parts.iter_mut().zip(&fields) {
            if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            *slot = field.parse().map_err(|_| err())?;
            if *slot == 0 {
                return Err(err());
            }
        }
        Ok(ServiceRef {
            parts,
            len: fields.len() as u8,
        })
    }
}

impl fmt::Display for ServiceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&join(&self.parts[..usize::from(self.len)]))
    }
}

impl TryFrom<String> for ServiceRef {
    type Error = ParseIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<ServiceRef> for String {
    fn from(value: ServiceRef) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn eui64_parses_duis_and_compact_forms() {
        let a: Eui64 = "00-DB-12-34-56-78-90-A0".parse().unwrap();
        let b: Eui64 = "00db1234567890a0".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "00-DB-12-34-56-78-90-A0");
        assert!("00-DB-12-34-56-78-90".parse::<Eui64>().is_err());
        assert!("00-DB-12-34-56-78-90-AZ".parse::<Eui64>().is_err());
    }

    #[test]
    fn roles_round_trip_their_codes() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>().unwrap(), role);
        }
        assert!("XX".parse::<Role>().is_err());
    }

    #[test]
    fn service_refs_parse_and_print() {
        let srv: ServiceRef = "4.8.1".parse().unwrap();
        assert_eq!(srv, ServiceRef::new(4, 8, 1));
        assert_eq!(srv.to_string(), "4.8.1");
        assert_eq!(srv.service_reference(), "4.8");
        assert_eq!("2.2".parse::<ServiceRef>().unwrap().to_string(), "2.2");
        for bad in ["", "4..1", "4.8.1.1", "a.b", "0.1"] {
            assert!(bad.parse::<ServiceRef>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn eui64_round_trips(bytes in any::<[u8; 8]>()) {
            let eui = Eui64(bytes);
            prop_assert_eq!(eui.to_string().parse::<Eui64>().unwrap(), eui);
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
            prop_assert_eq!(eui.to_string(), hex.join("-"));
            prop_assert_eq!(format!("{eui:>25}"), format!("  {}", hex.join("-")));
        }

        #[test]
        fn service_ref_round_trips(a in 1u8..=20, b in 0u8..=20, c in 0u8..=9) {
            let srv = ServiceRef::new(a, if c > 0 { b.max(1) } else { b }, c);
            prop_assert_eq!(srv.to_string().parse::<ServiceRef>().unwrap(), srv);
        }
    }
}
