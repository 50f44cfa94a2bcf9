//! dccsim: a DCC-style smart meter head-end and WAN simulator.
//!
//! The map (see `DESIGN.md` in the shared folder for the whole picture):
//!
//! - [`device`]: virtual SMETS2 devices with state and keys, answering GBCS commands;
//! - [`gateway`]: the User Gateway on the network (mutual TLS, DCC Boxed paths, deliveries);
//! - [`headend`]: the DUIS service matrix, the mirrored registry and access control;
//! - [`load`]: the open-loop DUIS load generator;
//! - [`model`]: domain types everyone shares (MPAN, EUI-64, roles, service references, GSP
//!   groups and CSP regions, settlement periods) and the service catalogue;
//! - [`wan`]: WAN technology models — latency, per-cell FIFO channels, loss and retries,
//!   outages — pure and time-agnostic;
//! - [`sim`]: the discrete-event engine in virtual time, scenario files and the runner;
//! - [`report`]: the simulator's report as text, JSON and HTML, and side-by-side comparison.

pub mod device;
pub mod gateway;
pub mod headend;
pub mod load;
pub mod model;
pub mod protocol;
pub mod report;
pub mod settlement;
pub mod sim;
pub mod wan;
