//! Access control as the DCC applies it before any device traffic (DUIS §3.2–3.3): the role ×
//! service matrix, the registry check that this user holds that role for that meter point on
//! that day, the device's existence, SMI status and type, and the command variant. Each refusal
//! carries its DUIS response code.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use super::matrix::{ServiceEntry, ServiceMatrix};
use super::registry::{DeviceRecord, DeviceType, Registry, SmiStatus};
use crate::model::{Eui64, Role, ServiceRef};

/// DUIS response codes (XSD `ResponseCode`) the head-end gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ResponseCode {
    /// Success: the device's answer.
    I0,
    /// Acknowledgement: accepted, passed access control, sent to the device.
    I99,
    /// Invalid user or user role.
    E1,
    /// User role not permitted to send this service reference variant.
    E2,
    /// Invalid user status.
    E3,
    /// User role not authorised for the device at the required date and time.
    E4,
    /// Device SMI status incompatible with the service.
    E5,
    /// Service not compatible with the device type.
    E11,
    /// Command variant not applicable to the request.
    E12,
    /// Request type not valid for the URL.
    E13,
    /// Device does not exist.
    E19,
    /// Unable to communicate with the device.
    E20,
    /// No response received from the device.
    E21,
    /// Create Schedule: the schedule has already ended. (The DUIS XSD lists the 5.x codes
    /// without their meanings; these follow the order of its checks, as documented in README.)
    E050101,
    /// Create Schedule: the end date is before the start date.
    E050102,
    /// Create Schedule: the log period is not valid.
    E050103,
    /// Create Schedule: the service reference variant cannot be DCC-scheduled as given.
    E050105,
    /// Create Schedule: a field is missing or malformed.
    E050112,
    /// Read Schedule: no such schedule of this user.
    E050201,
    /// Delete Schedule: no such schedule of this user.
    E050301,
    /// Read Inventory: no device found for the identifier given (assumed meaning, as for 5.x).
    E080201,
    /// Update Inventory: the MPxN given is not valid (assumed meaning).
    E080405,
    /// Update Firmware: accepted, but some devices listed will not get the image; the
    /// `DSPUpdateFirmwareWarning` says which and why (assumed meaning, as for 5.x).
    W110101,
    /// Request WAN Matrix: the address or UPRN given is not one (assumed meaning).
    E120102,
}

impl ResponseCode {
    /// Whether the DCC signs a synchronous response with this code: those that carry an answer
    /// (`I0`: an inventory, a WAN matrix, a pre-command, a schedule's ID) are signed;
    /// acknowledgements (`I99`) and refusals go unsigned, as DCC Boxed sends them — a
    /// synchronous `E65` from DCC Boxed in DCC's signing tool's test data
    /// (`acknowledgement-error.xml`) carries no signature, a synchronous 8.2 `I0` there does,
    /// and that tool's validation passes a `Response` without one. Asynchronous responses are
    /// always signed.
    pub fn signed_when_synchronous(&self) -> bool {
        matches!(self, ResponseCode::I0)
    }

    /// The code for a 5.1 refusal named by [`crate::headend::schedule::ScheduleError`].
    pub fn create_schedule(code: &str) -> ResponseCode {
        match code {
            "E050101" => ResponseCode::E050101,
            "E050102" => ResponseCode::E050102,
            "E050103" => ResponseCode::E050103,
            "E050105" => ResponseCode::E050105,
            _ => ResponseCode::E050112,
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A refused request: its code and a sentence for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct Refusal {
    pub code: ResponseCode,
    pub reason: String,
}

fn refuse(code: ResponseCode, reason: impl Into<String>) -> Refusal {
    Refusal {
        code,
        reason: reason.into(),
    }
}

/// A DCC user as the gateway knows it: its EUI-64 and the roles it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub eui: Eui64,
    pub name: String,
    pub roles: Vec<Role>,
}

/// What passed access control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorised<'a> {
    pub service: &'a ServiceEntry,
    pub role: Role,
    /// `None` for non-device requests.
    pub device: Option<&'a DeviceRecord>,
}

/// The device types a service reference variant addresses, from the GBCS use cases that carry
/// it: ECS use cases go to electricity meters — but ECS26i and ECS26n (6.2.4), which read the
/// comms hub's identity — GCS ones to gas meters or the gas proxy, the rest (CS, CCS…) to any
/// device.
fn device_types(variant: ServiceRef) -> Vec<DeviceType> {
    let srv = variant.to_string();
    let mut types = Vec::new();
    for (_, use_cases, srvs) in crate::protocol::gbcs::MESSAGE_CODES {
        if !srvs.split('/').any(|s| s == srv) {
            continue;
        }
        for uc in use_cases.split('/') {
            let add: &[DeviceType] = if matches!(uc, "ECS26i" | "ECS26n") {
                &[DeviceType::Chf]
            } else if uc.starts_with("ECS") {
                &[DeviceType::Esme]
            } else if uc.starts_with("GCS") {
                &[DeviceType::Gsme, DeviceType::Gpf]
            } else {
                return Vec::new();
            };
            for t in add {
                if !types.contains(t) {
                    types.push(*t);
                }
            }
        }
    }
    types
}

/// Decides whether `user` may send `variant` with command variant `cv` to `target` on `day`.
pub fn authorise<'a>(
    matrix: &'a ServiceMatrix,
    registry: &'a Registry,
    user: &User,
    target: Eui64,
    variant: ServiceRef,
    cv: u8,
    day: NaiveDate,
) -> Result<Authorised<'a>, Refusal> {
    use ResponseCode::*;
    if user.roles.is_empty() {
        return Err(refuse(E1, format!("{} holds no DCC user role", user.eui)));
    }
    let service = matrix.get(variant).ok_or_else(|| {
        refuse(
            E2,
            format!("{variant} is not a DUIS service reference variant"),
        )
    })?;
    let eligible: Vec<Role> = user
        .roles
        .iter()
        .copied()
        .filter(|r| service.roles.contains(r))
        .collect();
    if eligible.is_empty() {
        // The matrix names no user role for a few (8.5, 8.6, 7.16): the DCC's own.
        let for_whom = if service.roles.is_empty() {
            "no user role (the DCC's own)".to_string()
        } else {
            codes(&service.roles)
        };
        return Err(refuse(
            E2,
            format!(
                "{variant} ({}) is for {for_whom}, and {} holds {}",
                service.name,
                user.eui,
                codes(&user.roles)
            ),
        ));
    }
    // DUIS §3.3.3: command variants by kind of request.
    let cv_ok = if service.non_device {
        cv == 8
    } else if service.critical {
        matches!(cv, 4..=7)
    } else {
        matches!(cv, 1..=3)
    };
    if !cv_ok {
        return Err(refuse(
            E12,
            format!("command variant {cv} does not apply to {variant}"),
        ));
    }
    if service.non_device {
        return Ok(Authorised {
            service,
            role: eligible[0],
            device: None,
        });
    }
    let device = registry
        .device(target)
        .ok_or_else(|| refuse(E19, format!("device {target} is not in the registry")))?;
    let types = device_types(variant);
    if !types.is_empty() && !types.contains(&device.device_type) {
        return Err(refuse(
            E11,
            format!("{variant} does not apply to a {:?}", device.device_type),
        ));
    }
    if !matches!(
        device.status,
        SmiStatus::Commissioned | SmiStatus::InstalledNotCommissioned
    ) {
        return Err(refuse(
            E5,
            format!("device {target} is {:?}", device.status),
        ));
    }
    let gas = device.device_type.is_gas();
    let holds = |role: Role| match role {
        Role::ImportSupplier => !gas && device.supplier_on(day) == Some(user.eui),
        Role::GasSupplier => gas && device.supplier_on(day) == Some(user.eui),
        Role::ElectricityDistributor => !gas && device.network_operator == user.eui,
        Role::GasTransporter => gas && device.network_operator == user.eui,
        // Other users and agents act with the consumer's or supplier's consent, which the
        // registry does not hold; export suppliers are not in the extract.
        Role::OtherUser | Role::RegisteredSupplierAgent | Role::MeterDataRetriever => true,
        Role::ExportSupplier => !gas && device.export_supplier == Some(user.eui),
    };
    let role = eligible
        .iter()
        .copied()
        .find(|r| holds(*r))
        .ok_or_else(|| {
            refuse(
                E4,
                format!(
                    "{} is not the registered {} for {} on {day}",
                    user.eui,
                    codes(&eligible),
                    device
                        .meter_point
                        .as_ref()
                        .map_or(target.to_string(), |m| m.to_string())
                ),
            )
        })?;
    Ok(Authorised {
        service,
        role,
        device: Some(device),
    })
}

fn codes(roles: &[Role]) -> String {
    roles.iter().map(|r| r.code()).collect::<Vec<_>>().join("/")
}
