//! Sans-IO meter protocol codecs: bytes in, typed frames out, and back; no sockets, no clocks.
//!
//! - [`gbcs`]: the Great Britain Companion Specification wrappers around SMETS2 messages.
//! - [`vendor`]: proprietary SMETS1-style protocols declared as data in `protocols/*.toml`.

pub mod dlms;
pub mod gbcs;
pub mod vendor;
