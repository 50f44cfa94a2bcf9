//! Virtual SMETS2 devices (sans-IO: GBCS bytes and `now` in, GBCS bytes out; no sockets, no
//! clocks). Each device keeps the state a real one would answer from — registers, the profile
//! log, supply state, payment mode and credit, firmware version, an event log, the counters
//! that refuse replays — and signs and MACs with its own keys.
//!
//! State is compact: consumption is a seeded function of the half-hour ([`consumption`]), so
//! the 19,056-entry profile log (13 months of half-hours) is computed when read, shaped by the
//! device's history (periods without supply read zero), instead of stored: 76 KB a meter would
//! be 76 GB for a million.
//!
//! - [`Esme`]: the electricity meter, speaking DLMS/COSEM inside GBCS.
//! - [`GasMeter`]: the gas meter and the gas proxy function answering for it, speaking GBZ.
//! - [`VendorMeter`]: a SMETS1-style meter speaking a vendor protocol from `protocols/*.toml`.

pub mod consumption;
mod esme;
mod gas;
mod vendor;

pub use consumption::{Consumer, CustomerType};
pub use esme::{DeviceError, Esme, Event, PROFILE_LOG_ENTRIES, PaymentMode, SupplyState};
pub use gas::{GCS13A, GCS17, GCS61, GasMeter};
pub use vendor::{ERROR_UNKNOWN_REGISTER, ERROR_UNSUPPORTED, VendorDeviceError, VendorMeter};

use chrono::{DateTime, Utc};

/// The half-hour period (UTC half-hours since 2000-01-01, as GBCS time stamps count) that
/// contains `t`.
pub fn period_of(t: DateTime<Utc>) -> u32 {
    crate::protocol::gbcs::payload::to_gbcs_seconds(t).map_or(0, |s| s / 1800)
}

/// The start of `period`.
pub fn period_start(period: u32) -> DateTime<Utc> {
    crate::protocol::gbcs::payload::from_gbcs_seconds(period.saturating_mul(1800))
}
