//! Domain types every part of dccsim shares: meter point and device identities, DCC user roles,
//! service references, GSP groups and CSP regions, settlement days and periods, and the service
//! catalogue. Each type has a checked constructor, so code downstream never holds an invalid one.

mod catalogue;
mod geo;
mod ids;
mod mpan;
mod settlement;

pub use catalogue::{CATALOGUE, Fuel, MessageKind, ServiceClass, ServiceGroup, service_class};
pub use geo::{CspRegion, GspGroup};
pub use ids::{Eui64, ParseIdError, Role, ServiceRef};
pub use mpan::{Mpan, MpanError};
pub use settlement::{SettlementDate, SettlementError, SettlementPeriod};
