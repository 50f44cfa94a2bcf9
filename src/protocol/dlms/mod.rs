//! DLMS/COSEM as GBCS carries it to and from electricity meters (sans-IO: bytes in, values out).
//!
//! GBCS uses a small part of DLMS/COSEM (IEC 62056-5-3, the Green Book): the ACCESS service
//! (`access-request`, tag `D9`; `access-response`, `DA`) for commands and their answers, and
//! DATA-NOTIFICATION (`0F`) for alerts, with A-XDR encoded data values inside. This module reads
//! and writes those three APDUs and the values byte-exactly. What the values mean — which
//! register, which unit — is the GBCS use case's business (`protocol::gbcs::payload`); neither
//! HDLC framing nor the association services are here, since GBCS never sends them.

mod apdu;
mod data;
mod reader;

pub use apdu::{
    AccessRequest, AccessResponse, Apdu, AttributeDescriptor, DataNotification, MethodDescriptor,
    RequestSpec, ResponseSpec, SelectiveAccess,
};
pub use data::{CosemDateTime, Data, Obis, TypeDescription};
pub use reader::DlmsError;
