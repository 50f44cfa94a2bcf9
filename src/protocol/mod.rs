//! Sans-IO meter protocol codecs: bytes in, typed frames out, and back; no sockets, no clocks.
//!
//! - [`gbcs`]: the Great Britain Companion Specification wrappers around SMETS2 messages.

pub mod dlms;
pub mod gbcs;
