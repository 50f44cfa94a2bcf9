//! WAN models: technology profiles, one-way latency, per-cell channels with FIFO queueing, loss
//! with a retry policy, and cell availability (random outages and planned maintenance).
//!
//! Pure and time-agnostic: every function takes the current time in microseconds and a random
//! generator it is given, and returns when things happen. No clock, socket or global RNG lives
//! here, so the discrete-event simulator and a real-time driver can both use it.

mod availability;
mod channel;
mod technology;

pub use availability::{
    DownInterval, Maintenance, OutageModel, down_intervals, maintenance_windows,
};
pub use channel::{Channel, HourlyLoad};
pub use technology::{Latency, RetryPolicy, Technology, TechnologyKind};

/// Simulated time is integer microseconds.
pub type Micros = u64;

pub const MICROS_PER_SEC: u64 = 1_000_000;
pub const MICROS_PER_HOUR: u64 = 3600 * MICROS_PER_SEC;

/// Converts seconds (non-negative, finite) to microseconds, rounding to the nearest.
pub fn secs_to_micros(secs: f64) -> Micros {
    (secs * MICROS_PER_SEC as f64).round() as Micros
}
