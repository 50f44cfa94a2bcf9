//! The head-end's decisions, sans-IO: the DUIS service matrix, the mirrored registry and the
//! access control that stands between a user's request and any device traffic.

pub mod access;
pub mod inventory;
pub mod matrix;
pub mod outages;
pub mod pipeline;
pub mod registry;
pub mod request;
pub mod response;
pub mod schedule;
pub mod wan;
pub mod xmldsig;

pub use access::{Authorised, Refusal, ResponseCode, User, authorise};
pub use matrix::{ServiceEntry, ServiceMatrix};
pub use pipeline::{
    Change, Checked, Delivery, Endpoint, HeadEnd, Held, RECOVERY, SignatureCheck, SyncReply,
    TRANSITIONAL_COS, WanLink,
};
pub use registry::{
    DeviceRecord, DeviceType, InventoryChange, MeterPoint, Registry, RegistryError, SmiStatus,
    SupplyPeriod,
};
pub use request::{
    CredentialsCommand, Element, HubCommand, Originator, Request, RequestError, RequestId,
};
pub use response::{ResponseBody, device_alert, response, scheduled_response};
pub use schedule::Schedule;
