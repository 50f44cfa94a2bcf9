//! DUIS responses and alerts (`sr:Response`) as the head-end sends them: the synchronous
//! acknowledgement or refusal, the device's answer carrying its GBCS payload, and device
//! alerts. Written without whitespace between elements, so that the signature appended later
//! covers exactly the bytes sent (DCC's tools compare bytes).

use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};

use super::access::ResponseCode;
use super::request::RequestId;
use crate::model::{Eui64, ServiceRef};

pub const NAMESPACE: &str = "http://www.dccinterface.co.uk/ServiceUserGateway";
pub const SCHEMA_VERSION: &str = "5.4";

/// What a response's body carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseBody {
    /// Status only (an acknowledgement, a refusal, a completed non-device request).
    Status,
    /// The device's answer (`GBCSPayload`).
    Gbcs(Vec<u8>),
    /// A pre-command for the user to sign (the Transform service's answer).
    PreCommand(Vec<u8>),
    /// A scheduled read's answer (`DSPScheduledMessage`).
    Scheduled { gbcs: Vec<u8>, schedule: u64 },
    /// A schedule's id: 5.1's answer, or a scheduled read that failed.
    ScheduleId(u64),
    /// 5.2's answer: each schedule's id and `DSPScheduleDetails` (from `Schedule::details_xml`).
    SchedulesRead(Vec<(u64, String)>),
    /// A non-device answer of the DCC's own, its element written whole and canonical
    /// (`DSPInventory`, `DSPWANMatrix`: see `inventory`).
    Dsp(String),
}

/// The `sr:Response` answering `request`.
pub fn response(
    request: RequestId,
    service: ServiceRef,
    code: ResponseCode,
    at: DateTime<Utc>,
    body: &ResponseBody,
) -> String {
    let response_id = RequestId {
        originator: request.target,
        target: request.originator,
        counter: request.counter,
    };
    message(Some(request), response_id, service, code, at, body)
}

fn message(
    request: Option<RequestId>,
    response_id: RequestId,
    service: ServiceRef,
    code: ResponseCode,
    at: DateTime<Utc>,
    body: &ResponseBody,
) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let payload = match body {
        ResponseBody::Status => String::new(),
        ResponseBody::Gbcs(bytes) => format!("<sr:GBCSPayload>{}</sr:GBCSPayload>", b64(bytes)),
        ResponseBody::PreCommand(bytes) => format!(
            "<sr:PreCommand><sr:GBCSVersion>4.0</sr:GBCSVersion><sr:GBCSPayload>{}</sr:GBCSPayload></sr:PreCommand>",
            b64(bytes)
        ),
        ResponseBody::Scheduled { gbcs, schedule } => format!(
            "<sr:DSPScheduledMessage><sr:GBCSPayload>{}</sr:GBCSPayload><sr:DSPScheduleID>{schedule}</sr:DSPScheduleID></sr:DSPScheduledMessage>",
            b64(gbcs)
        ),
        ResponseBody::ScheduleId(id) => format!("<sr:DSPScheduleID>{id}</sr:DSPScheduleID>"),
        ResponseBody::SchedulesRead(schedules) => {
            let mut out = String::from("<sr:DSPSchedulesRead>");
            for (id, details) in schedules {
                out += &format!(
                    "<sr:DSPSchedules><sr:DSPScheduleID>{id}</sr:DSPScheduleID><sr:DSPScheduleDetails>{details}</sr:DSPScheduleDetails></sr:DSPSchedules>"
                );
            }
            out + "</sr:DSPSchedulesRead>"
        }
        ResponseBody::Dsp(xml) => xml.clone(),
    };
    let request_id = match request {
        Some(r) => format!("<sr:RequestID>{r}</sr:RequestID>"),
        None => String::new(),
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Response xmlns:sr=\"{NAMESPACE}\" schemaVersion=\"{SCHEMA_VERSION}\"><sr:Header>{request_id}<sr:ResponseID>{response_id}</sr:ResponseID><sr:ResponseCode>{code}</sr:ResponseCode><sr:ResponseDateTime>{}</sr:ResponseDateTime></sr:Header><sr:Body><sr:ResponseMessage><sr:ServiceReference>{}</sr:ServiceReference><sr:ServiceReferenceVariant>{service}</sr:ServiceReferenceVariant>{payload}</sr:ResponseMessage></sr:Body></sr:Response>",
        stamp(at),
        service.service_reference(),
    )
}

/// A scheduled read's answer: no `RequestID` (the user sent none), `ResponseID`
/// `device:user:counter` with the counter of the command the DCC sent for the run.
pub fn scheduled_response(
    response_id: RequestId,
    service: ServiceRef,
    code: ResponseCode,
    at: DateTime<Utc>,
    body: &ResponseBody,
) -> String {
    message(None, response_id, service, code, at, body)
}

/// A device alert for `user`: `ResponseID` is device:user:counter of the alert.
pub fn device_alert(
    device: Eui64,
    user: Eui64,
    counter: u64,
    alert_code: u16,
    at: DateTime<Utc>,
    gbcs: &[u8],
) -> String {
    let payload = base64::engine::general_purpose::STANDARD.encode(gbcs);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Response xmlns:sr=\"{NAMESPACE}\" schemaVersion=\"{SCHEMA_VERSION}\"><sr:Header><sr:ResponseID>{device}:{user}:{counter}</sr:ResponseID><sr:ResponseCode>I0</sr:ResponseCode><sr:ResponseDateTime>{}</sr:ResponseDateTime></sr:Header><sr:Body><sr:DeviceAlertMessage><sr:AlertCode>{alert_code:04X}</sr:AlertCode><sr:GBCSPayload>{payload}</sr:GBCSPayload></sr:DeviceAlertMessage></sr:Body></sr:Response>",
        stamp(at)
    )
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
