//! DUIS service requests (`sr:Request`, DUIS XSD 5.x) as the gateway reads them: the header
//! (request id, command variant, service reference variant) and the body as a small element
//! tree, plus what the head-end needs to act on the services it carries to devices itself.
//! The XML signature is the business of `duis::xmldsig`; schema validation beyond what is read
//! here is not attempted. What a request becomes for an electricity meter is in `esme`, for a
//! gas meter in `gas`; how its field values are read, in `fields`.

use std::ops::RangeInclusive;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use quick_xml::events::Event;

use crate::model::{Eui64, ServiceRef};
use crate::protocol::gbcs::payload::{Activation, NewPaymentMode, Reading};

mod auxiliary;
mod credentials;
mod esme;
mod fields;
mod gas;
mod gas_tariff;
mod join;
mod sub_ghz;
mod tariff;

pub use credentials::{CredentialsCommand, Originator};
pub use fields::utc_date_time;

/// The log reads DUIS lets a user have the DCC relay, sealed for the user's own key (the bodies
/// of its `ReadLogFutureDatableAndURPCredentials`).
const RELAYED_READS: [&str; 7] = ["4.4.2", "4.4.3", "4.6.1", "4.8.1", "4.10", "4.14", "4.17"];

/// Why a document is not a DUIS request this gateway can read; `line` is 1-based (0 when the
/// problem is not at one place).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", if *line > 0 { format!("line {line}: ") } else { String::new() })]
pub struct RequestError {
    pub line: usize,
    pub reason: String,
}

/// `originator:target:counter` (DUIS §2.4.1): the user, the device (or the DCC for non-device
/// requests), and the user's strictly increasing counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId {
    pub originator: Eui64,
    pub target: Eui64,
    pub counter: u64,
}

impl FromStr for RequestId {
    type Err = String;
    fn from_str(s: &str) -> Result<RequestId, String> {
        let mut parts = s.split(':');
        let (Some(o), Some(t), Some(c), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("request id {s:?} is not originator:target:counter"));
        };
        Ok(RequestId {
            originator: o
                .parse()
                .map_err(|e| format!("request id originator: {e}"))?,
            target: t.parse().map_err(|e| format!("request id target: {e}"))?,
            counter: c.parse().map_err(|_| {
                format!("request id counter {c:?} is not an unsigned 64-bit number")
            })?,
        })
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.originator, self.target, self.counter)
    }
}

/// An element of the body: local name, the attribute that numbers it, text, children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    /// Its number: DUIS numbers the members of many lists with an `index` attribute (TOU
    /// prices, block thresholds, a week's days…), a few with `identifier` (special days) or
    /// `auxiliaryControllerN` (auxiliary controllers). `None`: it has none of them.
    pub index: Option<(&'static str, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The element's number as a whole number in `range`; refused, naming the element and
    /// the attribute, when it is missing or is not one.
    pub fn index_in(&self, range: RangeInclusive<u8>) -> Result<u8, RequestError> {
        let (attribute, index) = match &self.index {
            Some((attribute, index)) => (*attribute, index.as_str()),
            None => ("index", ""),
        };
        index
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|i| range.contains(i))
            .ok_or_else(|| RequestError {
                line: 0,
                reason: format!(
                    "sr:{} needs an {attribute} attribute from {} to {}, not {index:?}",
                    self.name,
                    range.start(),
                    range.end()
                ),
            })
    }

    /// The first descendant with this local name (depth first).
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find_map(|c| {
            if c.name == name {
                Some(c)
            } else {
                c.find(name)
            }
        })
    }
}

/// What a request to a comms hub becomes: a DLMS command's meaning, or an ASN.1 payload.
#[derive(Debug, Clone, PartialEq)]
pub enum HubCommand {
    Dlms(Reading),
    Asn1(Vec<u8>),
}

/// A DUIS request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: RequestId,
    pub command_variant: u8,
    pub service: ServiceRef,
    /// The one element inside `sr:Body`.
    pub body: Element,
}

impl Request {
    pub fn parse(xml: &str) -> Result<Request, RequestError> {
        let root = tree(xml)?;
        let fail = |reason: String| RequestError { line: 0, reason };
        if root.name != "Request" {
            return Err(fail(format!(
                "root element is {:?}, not sr:Request",
                root.name
            )));
        }
        let header = root
            .children
            .iter()
            .find(|c| c.name == "Header")
            .ok_or_else(|| fail("no sr:Header".into()))?;
        let field = |name: &str| {
            header
                .children
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.text.trim())
                .ok_or_else(|| fail(format!("no sr:{name} in the header")))
        };
        let id: RequestId = field("RequestID")?.parse().map_err(fail)?;
        let cv = field("CommandVariant")?;
        let command_variant = cv
            .parse()
            .ok()
            .filter(|v| (1..=8).contains(v))
            .ok_or_else(|| fail(format!("command variant {cv:?} is not 1 to 8")))?;
        let srv = field("ServiceReferenceVariant")?;
        let service: ServiceRef = srv
            .parse()
            .map_err(|e| fail(format!("service reference variant: {e}")))?;
        let body = root
            .children
            .iter()
            .find(|c| c.name == "Body")
            .and_then(|b| b.children.first())
            .cloned()
            .ok_or_else(|| fail("no service request in sr:Body".into()))?;
        Ok(Request {
            id,
            command_variant,
            service,
            body,
        })
    }

    /// The relay a read asks for by carrying `KAPublicSecurityCredentials` (a user the device
    /// does not know, an Other User say): the user's key-agreement certificate, which must hold
    /// a P-256 key and name the user; the DCC relays the request and the device seals its answer
    /// for that key. `None` for a request without one.
    pub fn relay(&self) -> Result<Option<crate::protocol::gbcs::Relay>, RequestError> {
        use crate::protocol::gbcs::{certificate_names, public_key_of_der};
        use base64::Engine;
        let Some(credentials) = self.body.find("KAPublicSecurityCredentials") else {
            return Ok(None);
        };
        let bad = |why: String| RequestError {
            line: 0,
            reason: format!("sr:KAPublicSecurityCredentials {why}"),
        };
        // The log reads DUIS lets carry one (its `ReadLogFutureDatableAndURPCredentials`).
        let service = self.service.to_string();
        if !RELAYED_READS.contains(&service.as_str()) {
            return Err(bad(format!(
                "on {service}: only the log reads {} are relayed",
                RELAYED_READS.join(", ")
            )));
        }
        let text: String = credentials.text.split_whitespace().collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| bad(format!("is not base64: {e}")))?;
        public_key_of_der(&der)
            .map_err(|e| bad(format!("is not a key-agreement certificate: {e}")))?;
        if !certificate_names(&der, self.id.originator) {
            return Err(bad(format!(
                "does not name {} as its subject: a user's answers are sealed for its own key",
                self.id.originator
            )));
        }
        Ok(Some(crate::protocol::gbcs::Relay {
            user: self.id.originator,
            counter: self.id.counter,
            certificate: der,
        }))
    }

    /// A log read's `StartDateTime` and `EndDateTime` in GBCS seconds: a start before 2000 is
    /// 2000, an end past GBCS's clock the latest time it has (the RTDS asks up to DUIS's
    /// 3000-12-31 so).
    fn gbcs_period(&self) -> Result<(u32, u32), RequestError> {
        use crate::protocol::gbcs::gbz::LATEST_TIME;
        use crate::protocol::gbcs::payload::to_gbcs_seconds;
        let bad = |reason: String| RequestError {
            line: 0,
            reason: format!("{}: {reason}", self.service),
        };
        let time = |name: &str| -> Result<DateTime<Utc>, RequestError> {
            let e = self
                .body
                .find(name)
                .ok_or_else(|| bad(format!("{} needs sr:{name}", self.body.name)))?;
            utc_date_time(name, e.text.trim()).map_err(bad)
        };
        let (from, to) = (time("StartDateTime")?, time("EndDateTime")?);
        let epoch = crate::protocol::gbcs::payload::from_gbcs_seconds(0);
        let start = match to_gbcs_seconds(from) {
            Some(s) => s,
            None if from < epoch => 0,
            None => return Err(bad("StartDateTime after GBCS's clock ends (2136)".into())),
        };
        let end = match to_gbcs_seconds(to) {
            Some(s) => s.min(LATEST_TIME),
            None if to < epoch => return Err(bad("EndDateTime before 2000".into())),
            None => LATEST_TIME,
        };
        if end <= start {
            return Err(bad("EndDateTime is not after StartDateTime".into()));
        }
        Ok((start, end))
    }

    /// The interval a 6.11 `SynchroniseClock` (or 8.1.1 `CommissionDeviceSynchroniseClock`)
    /// gives the meter's clock: from its
    /// `CurrentDateTime` to `TolerancePeriod` seconds (0 to 86,400) later.
    fn clock_window(&self) -> Result<(DateTime<Utc>, DateTime<Utc>), RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        let text = |name: &str| {
            self.body
                .find(name)
                .map(|e| e.text.trim().to_string())
                .ok_or_else(|| fail(format!("SynchroniseClock needs sr:{name}")))
        };
        let from = utc_date_time("CurrentDateTime", &text("CurrentDateTime")?).map_err(fail)?;
        let tolerance = text("TolerancePeriod")?;
        let seconds = tolerance
            .parse::<i64>()
            .ok()
            .filter(|s| (0..=86_400).contains(s))
            .ok_or_else(|| {
                fail(format!(
                    "sr:TolerancePeriod {tolerance:?} is not 0 to 86400 seconds"
                ))
            })?;
        Ok((from, from + chrono::Duration::seconds(seconds)))
    }

    /// What a 3.4 `UpdateSupplierName` sets: the supplier's name (1 to 15 printable ASCII
    /// characters) and telephone number (1 to 18 digits and spaces), as the schema has them.
    fn supplier_name(&self) -> Result<(String, String), RequestError> {
        let field = |name: &str, longest: usize, allowed: fn(u8) -> bool, what: &str| {
            let e = self.body.find(name).ok_or_else(|| RequestError {
                line: 0,
                reason: format!("UpdateSupplierName needs sr:{name}"),
            })?;
            let text = e.text.clone();
            if text.is_empty() || text.len() > longest || !text.bytes().all(allowed) {
                return Err(RequestError {
                    line: 0,
                    reason: format!("sr:{name} {text:?} is not 1 to {longest} {what}"),
                });
            }
            Ok(text)
        };
        let printable = |b: u8| (0x20..0x7F).contains(&b);
        let dialled = |b: u8| b.is_ascii_digit() || b == b' ';
        Ok((
            field("SupplierName", 15, printable, "printable ASCII characters")?,
            field("SupplierTelephoneNumber", 18, dialled, "digits and spaces")?,
        ))
    }

    /// The text of the body's element `name`, trimmed; refused, naming it, if there is none.
    fn required(&self, name: &str) -> Result<String, RequestError> {
        self.body
            .find(name)
            .map(|e| e.text.trim().to_string())
            .ok_or_else(|| RequestError {
                line: 0,
                reason: format!("{} needs sr:{name}", self.body.name),
            })
    }

    /// The message a 3.1 `DisplayMessage` gives the meter: the schema's SupplierMessage, 1 to
    /// 116 printable ASCII characters. Spaces are the message's own (the schema's pattern
    /// allows them): not trimmed.
    fn supplier_message(&self) -> Result<String, RequestError> {
        let message = self.body.find("SupplierMessage").map(|e| e.text.clone());
        let message = message.ok_or_else(|| RequestError {
            line: 0,
            reason: "DisplayMessage needs sr:SupplierMessage".into(),
        })?;
        let printable = message.bytes().all(|b| (0x20..0x7F).contains(&b));
        if !(1..=116).contains(&message.len()) || !printable {
            return Err(RequestError {
                line: 0,
                reason: format!(
                    "sr:SupplierMessage {message:?} is not 1 to 116 printable ASCII characters"
                ),
            });
        }
        Ok(message)
    }

    /// What a 1.5 `UpdateMeterBalance` asks: for a meter in prepayment mode or in credit mode
    /// (`PrepaymentMode`, `CreditMode`), to adjust the balance by `AdjustMeterBalance` (an
    /// xs:int, currency units of 1/100,000 of a pound) — `Some(amount)` — or to reset it
    /// (`ResetMeterBalance`) — `None`.
    fn update_meter_balance(
        &self,
    ) -> Result<(crate::device::PaymentMode, Option<i32>), RequestError> {
        use crate::device::PaymentMode;
        let fail = |reason: String| RequestError { line: 0, reason };
        let (mode, e) = match (
            self.body.find("PrepaymentMode"),
            self.body.find("CreditMode"),
        ) {
            (Some(e), None) => (PaymentMode::Prepayment, e),
            (None, Some(e)) => (PaymentMode::Credit, e),
            _ => {
                return Err(fail(
                    "sr:UpdateMeterBalance needs exactly one of sr:PrepaymentMode and \
                     sr:CreditMode"
                        .into(),
                ));
            }
        };
        let amount = match (e.find("AdjustMeterBalance"), e.find("ResetMeterBalance")) {
            (Some(a), None) => {
                let text = a.text.trim();
                let amount = text.parse().map_err(|_| {
                    fail(format!("sr:AdjustMeterBalance {text:?} is not an xs:int"))
                })?;
                Some(amount)
            }
            (None, Some(_)) => None,
            _ => {
                return Err(fail(format!(
                    "sr:{} needs exactly one of sr:AdjustMeterBalance and sr:ResetMeterBalance",
                    e.name
                )));
            }
        };
        Ok((mode, amount))
    }

    /// When a command the meter future-dates takes effect: from the request's
    /// `ExecutionDateTime` (at once without one; DUIS's 3000-12-31 or later cancels a change
    /// the meter holds, as the RTDS cancellation templates do).
    pub(super) fn activation(&self) -> Result<Activation, RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        Ok(match self.body.find("ExecutionDateTime") {
            None => Activation::Now,
            Some(e) => {
                let text = e.text.trim();
                let t = utc_date_time("ExecutionDateTime", text).map_err(fail)?;
                // DUIS's cancellation date, as written (whatever its offset).
                let written = DateTime::parse_from_rfc3339(text).map(|t| t.naive_local());
                let cancellation =
                    NaiveDate::from_ymd_opt(3000, 12, 31).and_then(|d| d.and_hms_opt(0, 0, 0));
                if written.ok().zip(cancellation).is_some_and(|(w, c)| w >= c) {
                    Activation::Cancel
                } else if crate::protocol::gbcs::payload::to_gbcs_seconds(t).is_none() {
                    // GBCS time is seconds since 2000 in 32 bits.
                    return Err(fail(format!(
                        "sr:ExecutionDateTime {text:?} is outside the meters' clock, \
                         2000-01-01T00:00:00Z to 2136-02-07T06:28:15Z (a date of \
                         3000-12-31 cancels a change held)"
                    )));
                } else {
                    Activation::At(t)
                }
            }
        })
    }

    /// What an 11.1 `UpdateFirmware` carries: the image (base64 decoded; DUIS's
    /// `FirmwareVersion` is the user's word for it, which the image's own header gives) and the
    /// devices listed, each once.
    pub fn update_firmware(&self) -> Result<(Vec<u8>, Vec<Eui64>), RequestError> {
        use base64::Engine;
        let fail = |reason: String| RequestError { line: 0, reason };
        let encoded: String = self
            .required("FirmwareImage")?
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let image = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| fail(format!("sr:FirmwareImage is not base64: {e}")))?;
        let mut devices = Vec::new();
        for id in self.required("DeviceIDList")?.split(',') {
            let id = id.trim();
            let eui = id
                .parse::<Eui64>()
                .map_err(|_| fail(format!("sr:DeviceIDList: {id:?} is not an EUI-64")))?;
            if !devices.contains(&eui) {
                devices.push(eui);
            }
        }
        Ok((image, devices))
    }

    /// An 11.3 `ActivateFirmware` as CS06 under the request's counter: the image's hash, and
    /// when ([`Request::activation`]: a cancellation is GBCS's 9999-12-31 23:59:59).
    pub fn activate_firmware(
        &self,
    ) -> Result<crate::protocol::gbcs::firmware::FirmwarePayload, RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        let hash = self.required("FirmwareHash")?;
        let hash = crate::protocol::gbcs::parse_hex(&hash)
            .ok()
            .filter(|h| h.len() == 32)
            .ok_or_else(|| {
                fail(format!(
                    "sr:FirmwareHash {hash:?} is not 32 bytes of hex (a SHA-256)"
                ))
            })?;
        let at = match self.activation()? {
            Activation::Now => None,
            Activation::At(t) => Some(t),
            Activation::Cancel => Some(crate::protocol::gbcs::credentials::cancel_time()),
        };
        Ok(crate::protocol::gbcs::firmware::FirmwarePayload::Activate {
            hash,
            counter: self.id.counter,
            at,
        })
    }

    /// What a 1.6 `UpdatePaymentMode` asks: credit, or prepayment with its `DisablementThreshold`
    /// and debt suspension flags; from its [`Request::activation`].
    fn update_payment_mode(&self) -> Result<(NewPaymentMode, Activation), RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        let activation = self.activation()?;
        let mode = match (self.body.find("Prepayment"), self.body.find("Credit")) {
            (Some(p), _) => {
                // xs:boolean: true, false, 1 or 0.
                let flag = |name: &str| match p.find(name) {
                    None => Ok(false),
                    Some(e) => fields::boolean(name, e.text.trim()),
                };
                let threshold = p
                    .find("DisablementThreshold")
                    .map(|e| e.text.trim())
                    .ok_or_else(|| fail("sr:Prepayment needs sr:DisablementThreshold".into()))?;
                let disablement_threshold = threshold.parse::<i32>().map_err(|_| {
                    fail(format!(
                        "sr:DisablementThreshold {threshold:?} is not an xs:int \
                         (a whole number from -2147483648 to 2147483647)"
                    ))
                })?;
                NewPaymentMode::Prepayment {
                    disablement_threshold,
                    suspend_debt_disabled: flag("SuspendDebtDisabled")?,
                    suspend_debt_emergency: flag("SuspendDebtEmergency")?,
                }
            }
            (None, Some(_)) => NewPaymentMode::Credit,
            (None, None) => {
                return Err(fail(
                    "sr:UpdatePaymentMode needs sr:Credit or sr:Prepayment".into(),
                ));
            }
        };
        Ok((mode, activation))
    }

    /// The GBCS use case and command for the services the DCC carries to a comms hub itself:
    /// 11.2 (CS08, read its firmware version), 6.2.4 (ECS26i, its identity), 6.13 (ECS35c,
    /// ECS35d: its event and security logs), 6.28–6.32 (DBCH04, DBCH05, DBCH03, DBCH01, DBCH02:
    /// its sub-GHz configuration, channel and channel log) and 8.11 (CCS01 add, CCS02 remove a device in its
    /// device log); `None` for others.
    /// 8.12.1's `OldCHFID`: the comms hub whose network the request's hub is to take over.
    pub fn old_hub(&self) -> Result<Eui64, RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        let old = self
            .body
            .find("OldCHFID")
            .ok_or_else(|| fail(format!("{} needs sr:OldCHFID", self.body.name)))?;
        old.text
            .trim()
            .parse()
            .map_err(|e| fail(format!("sr:OldCHFID: {e}")))
    }

    pub fn hub_command(&self) -> Result<Option<(u16, HubCommand)>, RequestError> {
        use crate::protocol::gbcs::asn1::AsnPayload;
        use crate::protocol::gbcs::payload::{CCS01, CCS02};
        let fail = |reason: String| RequestError { line: 0, reason };
        let text = |name: &str| {
            self.body
                .find(name)
                .map(|e| e.text.trim().to_string())
                .ok_or_else(|| fail(format!("{} needs sr:{name}", self.body.name)))
        };
        Ok(Some(match self.service.to_string().as_str() {
            "11.2" => (
                crate::device::CS08,
                HubCommand::Asn1(AsnPayload::ReadFirmware.encode()),
            ),
            "6.2.4" => (
                crate::protocol::gbcs::payload::ECS26I,
                HubCommand::Dlms(Reading::Read),
            ),
            "6.28" => (
                crate::protocol::gbcs::payload::DBCH04,
                HubCommand::Dlms(Reading::SubGhzConfiguration(self.sub_ghz_configuration()?)),
            ),
            "6.29" => (
                crate::protocol::gbcs::payload::DBCH05,
                HubCommand::Dlms(Reading::ChannelScan),
            ),
            "6.30" => (
                crate::protocol::gbcs::payload::DBCH03,
                HubCommand::Dlms(Reading::Read),
            ),
            "6.31" => (
                crate::protocol::gbcs::payload::DBCH01,
                HubCommand::Dlms(Reading::Read),
            ),
            "6.32" => {
                let period = |name: &str| utc_date_time(name, &text(name)?).map_err(fail);
                let range = Reading::Range {
                    from: Some(period("StartDateTime")?),
                    to: Some(period("EndDateTime")?),
                };
                (
                    crate::protocol::gbcs::payload::DBCH02,
                    HubCommand::Dlms(range),
                )
            }
            // The devices on its HAN; with `ReadSecurityDetails`, its networks backed up: each
            // device with the key it joins with.
            "8.9" if self.body.find("ReadSecurityDetails").is_none() => (
                crate::protocol::gbcs::payload::CCS04,
                HubCommand::Dlms(Reading::Read),
            ),
            "8.9" => (
                crate::protocol::gbcs::payload::CCS07,
                HubCommand::Dlms(Reading::Read),
            ),
            "6.13" => {
                let period = |name: &str| utc_date_time(name, &text(name)?).map_err(fail);
                let range = Reading::Range {
                    from: Some(period("StartDateTime")?),
                    to: Some(period("EndDateTime")?),
                };
                let code = match text("LogToRead")?.as_str() {
                    "Event" => crate::protocol::gbcs::payload::ECS35C,
                    "Security" => crate::protocol::gbcs::payload::ECS35D,
                    other => {
                        return Err(fail(format!(
                            "sr:LogToRead {other:?}: a comms hub keeps an Event and a Security log"
                        )));
                    }
                };
                (code, HubCommand::Dlms(range))
            }
            "8.11" => {
                let device: Eui64 = text("DeviceID")?
                    .parse()
                    .map_err(|e| fail(format!("sr:DeviceID: {e}")))?;
                match text("RequestType")?.as_str() {
                    "Add" => {
                        let install_code = text("InstallCode")?;
                        crate::protocol::gbcs::parse_hex(&install_code)
                            .map_err(|e| fail(format!("sr:InstallCode: {e}")))?;
                        let period = text("JoinTimePeriod")?;
                        let join_timeout_s = period
                            .parse::<u16>()
                            .ok()
                            .filter(|s| (1..=3600).contains(s))
                            .ok_or_else(|| {
                                fail(format!("sr:JoinTimePeriod {period:?} is not 1 to 3600"))
                            })?;
                        (
                            CCS01,
                            HubCommand::Dlms(Reading::DeviceLogAdd {
                                device,
                                key_type: 1,
                                install_code: install_code.to_uppercase(),
                                device_type: 0,
                                join_timeout_s,
                            }),
                        )
                    }
                    "Remove" => (CCS02, HubCommand::Dlms(Reading::DeviceLogRemove { device })),
                    other => {
                        return Err(fail(format!(
                            "sr:RequestType {other:?} is not Add or Remove"
                        )));
                    }
                }
            }
            _ => return Ok(None),
        }))
    }
}

fn local(e: &quick_xml::events::BytesStart<'_>) -> String {
    let name = e.local_name();
    let name: &str = name.as_ref();
    name.to_string()
}

/// The attributes DUIS numbers a list's members with.
const NUMBERING: [&str; 3] = ["index", "identifier", "auxiliaryControllerN"];

/// The element's numbering attribute ([`NUMBERING`]) and its value, unescaped. Most elements
/// have none: their attributes are only parsed when one of the words is there.
fn index(e: &quick_xml::events::BytesStart<'_>) -> Result<Option<(&'static str, String)>, String> {
    let raw = e.attributes_raw();
    if !NUMBERING.iter().any(|word| raw.contains(word)) {
        return Ok(None);
    }
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|err| format!("a malformed attribute: {err}"))?;
        let key = attribute.key.local_name();
        let key: &str = key.as_ref();
        if let Some(&name) = NUMBERING.iter().find(|&&n| n == key) {
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| format!("attribute {name}: {err}"))?;
            return Ok(Some((name, value.into_owned())));
        }
    }
    Ok(None)
}

/// Reads the document into an element tree of local names, with line numbers in errors.
fn tree(xml: &str) -> Result<Element, RequestError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    // Counted over bytes: a position need not fall on a character boundary.
    let line_of = |pos: u64| {
        let end = (pos as usize).min(xml.len());
        xml.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|e| RequestError {
            line: line_of(reader.error_position()),
            reason: format!("not well-formed XML: {e}"),
        })?;
        let fail = |reason: String| RequestError {
            line: line_of(pos),
            reason,
        };
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                return Err(fail(format!(
                    "element {:?} after the root element",
                    local(&e)
                )));
            }
            Event::Start(e) => stack.push(Element {
                name: local(&e),
                index: index(&e).map_err(fail)?,
                ..Element::default()
            }),
            Event::Empty(e) => {
                let element = Element {
                    name: local(&e),
                    index: index(&e).map_err(fail)?,
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| fail("closing tag without an opening one".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(t) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(current) = stack.last_mut() {
                    let name: String = r.into_inner().into_owned();
                    let c = super::xmldsig::resolve_entity(&name)
                        .ok_or_else(|| fail(format!("unknown entity &{name};")))?;
                    current.text.push_str(&c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(RequestError {
            line: line_of(xml.len() as u64),
            reason: format!("element {:?} is not closed", stack[stack.len() - 1].name),
        });
    }
    root.ok_or_else(|| RequestError {
        line: 1,
        reason: "no root element".into(),
    })
}
