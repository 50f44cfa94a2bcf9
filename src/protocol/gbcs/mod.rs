//! GBCS (SEC Schedule 8): the message wrappers that carry DLMS/COSEM and ZigBee payloads between
//! remote parties (DCC users, the DCC) and SMETS2 devices.
//!
//! This module reads and writes the framing — the general-ciphering wrapper with its MAC and the
//! general-signing grouping header with its signature — byte-exactly, and checks MACs and
//! signatures with keys in the RTDS keystore layout; [`payload`] reads DLMS payloads into typed
//! values, [`gbz`] the ZigBee (GBZ) payloads of gas devices and [`asn1`] the ASN.1 ones of the
//! comms hub and some alerts; [`utrn`] makes and checks top-up codes.

pub mod asn1;
mod codes;
pub mod credentials;
mod crypto;
mod describe;
pub mod firmware;
mod frame;
pub mod gas_settings;
pub mod gbz;
pub mod join;
pub mod payload;
mod sealed;
pub mod utrn;

pub use codes::{MESSAGE_CODES, use_case};
pub use crypto::{
    KeyError, KeyStore, KeyUse, Verdict, certificate_names, compute_mac, mac_message,
    public_key_of_der, public_key_of_pem, sign_message, verify_mac, verify_signature,
    verify_signature_with,
};
pub use describe::{describe, hex, parse_hex};
pub use frame::{Cra, FrameError, GbcsMessage, GeneralCiphering, GeneralSigning};
pub use sealed::{OnBehalf, Relay, SealError, Sealed, relayed};
pub use utrn::{Utrn, UtrnError, ValueClass};
