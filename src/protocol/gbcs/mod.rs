//! GBCS (SEC Schedule 8): the message wrappers that carry DLMS/COSEM and ZigBee payloads between
//! remote parties (DCC users, the DCC) and SMETS2 devices.
//!
//! This module reads and writes the framing — the general-ciphering wrapper with its MAC and the
//! general-signing grouping header with its signature — byte-exactly. It does not (yet) check MACs
//! or signatures, nor decode payloads.

mod frame;

pub use frame::{Cra, FrameError, GbcsMessage, GeneralCiphering, GeneralSigning};
