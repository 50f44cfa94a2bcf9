//! `dccsim load`: an open-loop load generator for DUIS endpoints (wrk2 semantics: fixed-rate
//! schedule, latency from the intended send time). [`recorder`] is the sans-IO accounting;
//! [`driver`] the tokio/hyper client pool.

pub mod cli;
pub mod driver;
pub mod echo;
pub mod html;
pub mod mix;
pub mod plan;
pub mod recorder;

pub use driver::{Judge, RequestSource, Step, Target, run_step};
pub use recorder::{ErrorCode, Outcome, Quantiles, Recorder, Schedule, Summary};
