//! DUIS service requests (`sr:Request`, DUIS XSD 5.x) as the gateway reads them: the header
//! (request id, command variant, service reference variant) and the body as a small element
//! tree, plus what the head-end needs to act on the services it carries to devices itself.
//! The XML signature is the business of `duis::xmldsig`; schema validation beyond what is read
//! here is not attempted.

use std::ops::RangeInclusive;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use quick_xml::events::Event;

use crate::model::{Eui64, ServiceRef};
use crate::protocol::gbcs::payload::{
    Activation, BillingExecution, CS01A, ECS02, ECS03, ECS04A, ECS04B, ECS09, ECS10, ECS12, ECS14,
    ECS15A, ECS16, ECS17A, ECS17B, ECS17C, ECS17D, ECS17E, ECS18A, ECS18B, ECS19, ECS20A, ECS20B,
    ECS20C, ECS20D, ECS21A, ECS21B, ECS21C, ECS22A, ECS22B, ECS22C, ECS23, ECS26A, ECS26B, ECS26C,
    ECS26D, ECS26E, ECS26F, ECS26J, ECS27, ECS30, ECS30A, ECS34, ECS35A, ECS35B, ECS35E, ECS37,
    ECS38, ECS39A, ECS39B, ECS40, ECS42, ECS43, ECS44, ECS45, ECS52, ECS57, ECS66, ECS70, ECS82,
    MaxDemandRegister, NewPaymentMode, Reading,
};

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

/// An element of the body: local name, text, children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
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

    /// The GBCS use case and GBZ commands for the services the head-end carries to a gas meter
    /// or, `to_proxy`, its gas proxy function (a use case may have a code of its own there);
    /// `None` for the others.
    pub fn gas_command(
        &self,
        to_proxy: bool,
    ) -> Result<Option<(u16, Vec<crate::protocol::gbcs::gbz::GasPayload>)>, RequestError> {
        use crate::device::{
            CS01B, GCS13A, GCS16A, GCS17, GCS32, GCS38, GCS39, GCS60, GCS60A, GCS61,
        };
        use crate::protocol::gbcs::gas_settings;
        use crate::protocol::gbcs::gbz::{self, GasPayload};
        let service = self.service.to_string();
        let change_supply = |proposed| GasPayload::ChangeSupply {
            provider: 0,
            // The request's counter names the change, as an issuer event id would.
            event: self.id.counter as u32,
            requested: 0,
            implement_at: 0,
            proposed,
            // Bit 0: acknowledgement required.
            control: 1,
        };
        let one = |code, payload| Ok(Some((code, vec![payload])));
        // The fixed attribute reads: one Read Attributes per cluster, in the table's order.
        if let Some(code) = gas_settings::use_case(&service)
            && let Some(reads) = gas_settings::reads(code)
        {
            let asks = reads
                .iter()
                .map(|r| {
                    let attributes = r.settings.iter().map(|s| s.id).collect();
                    match r.cluster {
                        gbz::PRICE_CLUSTER => GasPayload::ReadPriceAttributes { attributes },
                        gbz::BASIC_CLUSTER => GasPayload::ReadBasicAttributes { attributes },
                        gbz::PREPAYMENT_CLUSTER => {
                            GasPayload::ReadPrepaymentAttributes { attributes }
                        }
                        _ => GasPayload::ReadAttributes { attributes },
                    }
                })
                .collect();
            return Ok(Some((code, asks)));
        }
        match service.as_str() {
            "4.1.1" => {
                return one(
                    GCS13A,
                    GasPayload::ReadAttributes {
                        attributes: vec![0x0302, 0x0301, 0x0300, 0x0000],
                    },
                );
            }
            "11.2" => {
                return one(
                    GCS38,
                    GasPayload::ReadAttributes {
                        attributes: vec![gbz::FIRMWARE_VERSION],
                    },
                );
            }
            // Bill to date and the meter balance; GCS60a when sent to the proxy.
            "4.18" => {
                return Ok(Some((
                    if to_proxy { GCS60A } else { GCS60 },
                    vec![
                        GasPayload::ReadAttributes {
                            attributes: vec![gbz::BILL_TO_DATE],
                        },
                        GasPayload::ReadPrepaymentAttributes {
                            attributes: vec![gbz::CREDIT_REMAINING],
                        },
                    ],
                )));
            }
            "1.6" => return self.payment_mode().map(Some),
            // Commanded now, by the DCC.
            "2.5" => {
                let select = GasPayload::SelectEmergencyCredit {
                    issued: 0,
                    origin: 0,
                };
                return one(crate::device::GCS06, select);
            }
            // The name and telephone number as a PublishChangeOfSupplier naming no new provider,
            // at once; the request's counter names it, as an issuer event id.
            "3.4" => {
                let (name, contact) = self.supplier_name()?;
                let publish = GasPayload::ChangeOfSupplier {
                    current_provider: 0,
                    event: self.id.counter as u32,
                    tariff_type: 0,
                    proposed_provider: 0,
                    implement_at: 0,
                    control: gbz::SUPPLIER_NAME_CONTROL,
                    name,
                    contact,
                };
                return one(crate::device::GCS44, publish);
            }
            // At once, until another replaces it; the request's counter names it, as an issuer
            // event id (the message id).
            "3.1" => {
                let display = GasPayload::DisplayMessage {
                    id: self.id.counter as u32,
                    control: 0,
                    start: 0,
                    minutes: gbz::UNTIL_REPLACED,
                    message: self.supplier_message()?,
                };
                return one(crate::device::GCS07, display);
            }
            // To the GPF, which holds the data the consumer's devices show; the restriction
            // time a PublishChangeOfTenancy's implementation time. The request's counter names
            // it, as an issuer event id.
            "3.2" => {
                let from = clock_time(
                    "RestrictionDateTime",
                    &self.required("RestrictionDateTime")?,
                )?;
                let tenancy = GasPayload::ChangeOfTenancy {
                    provider: 0,
                    event: self.id.counter as u32,
                    tariff_type: 0,
                    implement_at: crate::protocol::gbcs::payload::to_gbcs_seconds(from)
                        .unwrap_or(0),
                    control: gbz::TENANCY_CHANGE_CONTROL,
                };
                return one(crate::device::GCS09, tenancy);
            }
            // Critical: the conversion factor then the calorific value (in MJ/m³), at once, as
            // the RTDS command has them; the request's counter names both.
            "6.6" => {
                let factor = decimal("ConversionFactor", &self.required("ConversionFactor")?, 5)?;
                let value = decimal("CalorificValue", &self.required("CalorificValue")?, 1)?;
                let event = self.id.counter as u32;
                let publish = vec![
                    GasPayload::ConversionFactor {
                        event,
                        start: 0,
                        factor,
                        trailing_digit: gbz::CONVERSION_FACTOR_DIGITS,
                    },
                    GasPayload::CalorificValue {
                        event,
                        start: 0,
                        value,
                        unit: gbz::MEGAJOULES_PER_M3,
                        trailing_digit: gbz::CALORIFIC_VALUE_DIGITS,
                    },
                ];
                return Ok(Some((crate::device::GCS23, publish)));
            }
            // Critical: the uncontrolled flow threshold (in m³/h: an integer, or to four
            // decimal places, a divisor of 10,000), then the supply states, at once, as the
            // RTDS command has them; the request's counter names both.
            "6.7" => {
                let (threshold, divisor) = match (
                    self.body.find("UncontrolledGasFlowRate"),
                    self.body.find("UncontrolledGasFlowRateDecimal"),
                ) {
                    (Some(e), None) => (
                        number("UncontrolledGasFlowRate", e.text.trim(), 0..=u16::MAX)?,
                        1,
                    ),
                    (None, Some(e)) => {
                        let rate = e.text.trim();
                        let units = decimal("UncontrolledGasFlowRateDecimal", rate, 4)?;
                        let threshold = u16::try_from(units).map_err(|_| RequestError {
                            line: 0,
                            reason: format!(
                                "sr:UncontrolledGasFlowRateDecimal {rate:?} is over 6.5535"
                            ),
                        })?;
                        (threshold, 10_000)
                    }
                    _ => {
                        return Err(RequestError {
                            line: 0,
                            reason: "UpdateDeviceConfigurationGasFlow needs one of \
                                     sr:UncontrolledGasFlowRate, sr:UncontrolledGasFlowRateDecimal"
                                .into(),
                        });
                    }
                };
                let state = |name: &str| match self.required(name)?.as_str() {
                    "Locked" => Ok(gbz::SUPPLY_LOCKED),
                    "Unchanged" => Ok(gbz::SUPPLY_UNCHANGED),
                    other => Err(RequestError {
                        line: 0,
                        reason: format!("sr:{name} {other:?} is not Locked or Unchanged"),
                    }),
                };
                let event = self.id.counter as u32;
                let settings = vec![
                    GasPayload::UncontrolledFlowThreshold {
                        provider: 0,
                        event,
                        threshold,
                        unit: 1,
                        multiplier: 1,
                        divisor,
                        stabilisation: number(
                            "StabilisationPeriod",
                            &self.required("StabilisationPeriod")?,
                            1..=u8::MAX,
                        )?,
                        measurement: number(
                            "MeasurementPeriod",
                            &self.required("MeasurementPeriod")?,
                            1..=u16::MAX,
                        )?,
                    },
                    GasPayload::SetSupplyStatus {
                        event,
                        tamper: state("SupplyTamperState")?,
                        depletion: state("SupplyDepletionState")?,
                        uncontrolled_flow: gbz::SUPPLY_LOCKED,
                        load_limit: gbz::SUPPLY_UNCHANGED,
                    },
                ];
                return Ok(Some((crate::device::GCS24, settings)));
            }
            // The meter's general event log.
            "3.3" => {
                let clear = GasPayload::ClearEventLog {
                    log_id: gbz::GENERAL_EVENT_LOG,
                };
                return one(crate::device::CS11, clear);
            }
            // An empty consumer password, at once and for good.
            "3.5" => {
                let password = GasPayload::NewPassword {
                    event: self.id.counter as u32,
                    implement_at: 0,
                    minutes: 0,
                    password_type: gbz::CONSUMER_PASSWORD,
                    password: Vec::new(),
                };
                return one(crate::device::GCS11, password);
            }
            // The schema's MPRN: 1 to 10 characters, here digits (what an MPRN is).
            "6.20.1" => {
                let e = self.body.find("ImportMPRN").ok_or_else(|| RequestError {
                    line: 0,
                    reason: "SetDeviceConfigurationImportMPxN to a gas meter needs sr:ImportMPRN"
                        .into(),
                })?;
                let site_id = e.text.trim().to_string();
                if !(1..=10).contains(&site_id.len())
                    || !site_id.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(RequestError {
                        line: 0,
                        reason: format!("sr:ImportMPRN {site_id:?} is not 1 to 10 digits"),
                    });
                }
                let update = GasPayload::UpdateSiteId {
                    event: self.id.counter as u32,
                    at: 0,
                    provider: 0,
                    site_id,
                };
                return one(crate::device::GCS41, update);
            }
            // The meter balance adjusted or reset, at once; the type says which and in which
            // payment mode. The request's counter names the adjustment, as an issuer event id.
            "1.5" => {
                use crate::device::{GCS40A, GCS40B, GCS40C, GCS40D, PaymentMode};
                let (code, adjustment, value) = match self.update_meter_balance()? {
                    (PaymentMode::Prepayment, Some(a)) => (GCS40A, gbz::CREDIT_INCREMENTAL, a),
                    (PaymentMode::Prepayment, None) => (GCS40B, gbz::CREDIT_ABSOLUTE, 0),
                    (PaymentMode::Credit, Some(a)) => (GCS40C, gbz::CREDIT_MODE_INCREMENTAL, a),
                    (PaymentMode::Credit, None) => (GCS40D, gbz::CREDIT_MODE_ABSOLUTE, 0),
                };
                let adjust = GasPayload::CreditAdjustment {
                    event: self.id.counter as u32,
                    start: 0,
                    adjustment,
                    value,
                };
                return one(code, adjust);
            }
            // The currency, then the prepayment registers: GCS14 to the meter and its proxy alike.
            "4.3" => {
                return Ok(Some((
                    crate::device::GCS14,
                    vec![
                        GasPayload::ReadPriceAttributes {
                            attributes: vec![gbz::PRICE_TRAILING_DIGIT, gbz::CURRENCY],
                        },
                        GasPayload::ReadPrepaymentAttributes {
                            attributes: gbz::PREPAY_VALUES.to_vec(),
                        },
                    ],
                )));
            }
            "6.2.7" => {
                return one(
                    crate::device::GCS46,
                    GasPayload::ReadAttributes {
                        attributes: vec![gbz::SITE_ID],
                    },
                );
            }
            "6.2.9" => {
                return one(
                    crate::device::GCS21J,
                    GasPayload::ReadPrepaymentAttributes {
                        attributes: vec![gbz::PAYMENT_CONTROL_CONFIGURATION],
                    },
                );
            }
            // The billing calendar in force, as the RTDS asks it.
            "6.2.3" => {
                let ask = GasPayload::BillingPeriodRequest {
                    earliest_start: 0,
                    min_issuer_event_id: u32::MAX,
                    commands: 1,
                    tariff_type: 0,
                };
                return one(crate::device::GCS21D, ask);
            }
            "7.2" => return one(GCS32, change_supply(gbz::SUPPLY_OFF)),
            "7.3" => return one(GCS39, change_supply(gbz::SUPPLY_ARMED)),
            "2.2" => {
                let Some((_, Reading::TopUp { utrn })) = self.esme_command()? else {
                    return Ok(None);
                };
                return one(CS01B, GasPayload::TopUp { origin: 0, utrn });
            }
            _ => {}
        }
        if !matches!(
            service.as_str(),
            "4.4.2" | "4.4.3" | "4.4.4" | "4.4.5" | "4.6.1" | "4.8.1" | "4.10" | "4.14" | "4.17"
        ) {
            return Ok(None);
        }
        let (start, end) = self.gbcs_period()?;
        let steps = |step: u32| (end - start).div_ceil(step);
        match service.as_str() {
            // The last five top-ups to the end of the period.
            "4.4.5" => {
                let ask = GasPayload::TopUpLogRequest {
                    latest: end,
                    count: 5,
                };
                return one(crate::device::GCS15E, ask);
            }
            // The last ten payments of the payment-based debt (debt 3, type 2) to its end.
            "4.4.4" => {
                let ask = GasPayload::DebtLogRequest {
                    latest: end,
                    count: 10,
                    debt_type: 2,
                };
                return one(crate::device::GCS15D, ask);
            }
            // The billing data log's twelve snapshots at billing period ends in the period, the
            // most recent first: the registers, then the prepayment values.
            "4.4.3" => {
                let registers = (0..12).map(|offset| GasPayload::SnapshotRequest {
                    earliest: start,
                    latest: end,
                    offset,
                    cause: gbz::BILLING_SNAPSHOT,
                });
                let prepayment = (0..12).map(|offset| GasPayload::PrepaySnapshotRequest {
                    earliest: start,
                    latest: end,
                    offset,
                    cause: gbz::BILLING_SNAPSHOT,
                });
                let asks = registers.chain(prepayment).collect();
                return Ok(Some((crate::device::GCS15C, asks)));
            }
            // The change of mode / tariff billing data log's twelve snapshots in the period,
            // the most recent first: the prepayment values, then the registers.
            "4.4.2" => {
                let prepayment = (0..12).map(|offset| GasPayload::PrepaySnapshotRequest {
                    earliest: start,
                    latest: end,
                    offset,
                    cause: gbz::CHANGE_SNAPSHOTS,
                });
                let registers = (0..12).map(|offset| GasPayload::SnapshotRequest {
                    earliest: start,
                    latest: end,
                    offset,
                    cause: gbz::CHANGE_SNAPSHOTS,
                });
                let asks = prepayment.chain(registers).collect();
                return Ok(Some((crate::device::GCS15B, asks)));
            }
            // The prepayment daily read log: a prepayment snapshot at each midnight in the
            // period, the most recent first, as many as the log holds (31, as the RTDS asks).
            "4.14" => {
                let asks = (0..31)
                    .map(|offset| GasPayload::PrepaySnapshotRequest {
                        earliest: start,
                        latest: end,
                        offset,
                        cause: gbz::DAILY_SNAPSHOT,
                    })
                    .collect();
                return Ok(Some((crate::device::GCS16B, asks)));
            }
            _ => {}
        }
        if service == "4.6.1" {
            // One GetSnapshot per day of the range, the most recent first (at most 31, as
            // GBCS's daily read log holds).
            let days = steps(86_400).min(31);
            let asks = (0..days)
                .map(|offset| GasPayload::SnapshotRequest {
                    earliest: start,
                    latest: end,
                    offset: offset as u8,
                    cause: gbz::DAILY_SNAPSHOT,
                })
                .collect();
            return Ok(Some((GCS16A, asks)));
        }
        if service == "4.10" {
            // The network data log's 41 six-minute samples: the RTDS asks from time 1, not
            // for the DUIS period.
            let ask = GasPayload::SampledDataRequest {
                sample_id: 2,
                start: 1,
                sampling_type: 0,
                count: 41,
            };
            return one(crate::device::GCS18, ask);
        }
        let (code, sample_id, step) = match service.as_str() {
            "4.8.1" => (GCS17, 0, 1800),
            "4.17" => (GCS61, 1, 86_400),
            _ => return Ok(None),
        };
        let count = u16::try_from(steps(step)).map_err(|_| RequestError {
            line: 0,
            reason: format!("{service}: too long a period"),
        })?;
        one(
            code,
            GasPayload::SampledDataRequest {
                sample_id,
                start,
                sampling_type: 0,
                count,
            },
        )
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

    /// The From Date-Time a gas command carries in its GBZ header: the start of the billing data
    /// log of debt payments (4.4.4) or prepayment credits (4.4.5) asked for, as the RTDS
    /// commands carry it; `None` for the others.
    pub fn gas_from(&self) -> Result<Option<u32>, RequestError> {
        match self.service.to_string().as_str() {
            "4.4.4" | "4.4.5" => Ok(Some(self.gbcs_period()?.0)),
            _ => Ok(None),
        }
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

    /// The interval a 6.11 `SynchroniseClock` gives the meter's clock: from its
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

    /// What a 1.6 `UpdatePaymentMode` asks: credit, or prepayment with its `DisablementThreshold`
    /// and debt suspension flags; from its `ExecutionDateTime` (at once without one; DUIS's
    /// 3000-12-31 or later cancels a change the meter holds, as the RTDS cancellation templates
    /// do).
    fn update_payment_mode(&self) -> Result<(NewPaymentMode, Activation), RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        let activation = match self.body.find("ExecutionDateTime") {
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
        };
        let mode = match (self.body.find("Prepayment"), self.body.find("Credit")) {
            (Some(p), _) => {
                // xs:boolean: true, false, 1 or 0.
                let flag = |name: &str| match p.find(name).map(|e| e.text.trim()) {
                    None | Some("false" | "0") => Ok(false),
                    Some("true" | "1") => Ok(true),
                    Some(other) => Err(fail(format!("sr:{name} {other:?} is not an xs:boolean"))),
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

    /// 1.6 to a gas meter: GCS02 (to credit) or GCS03 (to prepayment), carried out at the
    /// execution time by the meter itself.
    /// The prepayment debt suspension flags set bits 10 and 11 of the payment control
    /// configuration as the RTDS commands have them; the disablement threshold is the cut-off.
    fn payment_mode(
        &self,
    ) -> Result<(u16, Vec<crate::protocol::gbcs::gbz::GasPayload>), RequestError> {
        use crate::device::{GCS02, GCS03};
        use crate::protocol::gbcs::gbz::{self, GasPayload};
        let (mode, activation) = self.update_payment_mode()?;
        let implement_at = match activation {
            Activation::Now => 0,
            Activation::At(t) => crate::protocol::gbcs::payload::to_gbcs_seconds(t)
                .filter(|s| *s != gbz::CANCEL)
                .ok_or_else(|| RequestError {
                    line: 0,
                    reason: format!("sr:ExecutionDateTime {t} is past the gas meter's clock"),
                })?,
            Activation::Cancel => gbz::CANCEL,
        };
        let (code, configuration, cut_off) = match mode {
            NewPaymentMode::Prepayment {
                disablement_threshold,
                suspend_debt_disabled,
                suspend_debt_emergency,
            } => {
                let mut configuration = gbz::PREPAYMENT_CONFIGURATION & !0x0C00;
                if suspend_debt_disabled {
                    configuration |= 0x0400;
                }
                if !suspend_debt_emergency {
                    configuration |= 0x0800;
                }
                (GCS03, configuration, disablement_threshold)
            }
            NewPaymentMode::Credit => (GCS02, gbz::CREDIT_CONFIGURATION, -1),
        };
        Ok((
            code,
            vec![GasPayload::ChangePaymentMode {
                provider: 0,
                event: self.id.counter as u32,
                implement_at,
                configuration,
                cut_off,
            }],
        ))
    }

    /// The GBCS use case and command for the services the DCC carries to a comms hub itself:
    /// 11.2 (CS08, read its firmware version) and 8.11 (CCS01 add, CCS02 remove a device in
    /// its device log); `None` for others.
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

    /// The GBCS use case and ASN.1 command for the services the head-end carries to a gas
    /// meter in ASN.1 rather than ZigBee: 6.11 (GCS28, its clock); `None` for the others.
    pub fn gas_asn1_command(
        &self,
    ) -> Result<Option<(u16, crate::protocol::gbcs::asn1::AsnPayload)>, RequestError> {
        use crate::protocol::gbcs::asn1::AsnPayload;
        Ok(match self.service.to_string().as_str() {
            "6.11" => {
                let (from, to) = self.clock_window()?;
                Some((crate::device::GCS28, AsnPayload::ClockSync { from, to }))
            }
            _ => None,
        })
    }

    /// The GBCS use case (message code) and its meaning for the services the head-end carries
    /// to an electricity meter itself; `None` for the others.
    pub fn esme_command(&self) -> Result<Option<(u16, Reading)>, RequestError> {
        let text = |name: &str| self.required(name);
        let time = |name: &str| -> Result<DateTime<Utc>, RequestError> {
            utc_date_time(name, &text(name)?).map_err(|reason| RequestError { line: 0, reason })
        };
        let range = || -> Result<Reading, RequestError> {
            Ok(Reading::Range {
                from: Some(time("StartDateTime")?),
                to: Some(time("EndDateTime")?),
            })
        };
        Ok(Some(match self.service.to_string().as_str() {
            "4.1.1" => (ECS17B, Reading::Read),
            "4.1.2" => (ECS17D, Reading::Read),
            "4.1.3" => (ECS17E, Reading::Read),
            "4.4.2" => (ECS20B, range()?),
            "4.4.3" => (ECS20C, range()?),
            "4.4.4" => (ECS20A, range()?),
            "4.4.5" => (ECS20D, range()?),
            "4.6.1" => (ECS21A, range()?),
            "4.14" => (ECS21B, range()?),
            "4.6.2" => (ECS21C, range()?),
            "4.8.1" => (ECS22B, range()?),
            "4.8.2" => (ECS22C, range()?),
            "4.8.3" => (ECS22A, range()?),
            "4.10" => (ECS23, range()?),
            "4.2" => (ECS17A, Reading::Read),
            "4.16" => (ECS17C, Reading::Read),
            "4.17" => (ECS66, range()?),
            "11.2" => (ECS52, Reading::Read),
            "4.18" => (ECS82, Reading::Read),
            "3.1" => (
                ECS10,
                Reading::DisplayMessage {
                    message: self.supplier_message()?,
                },
            ),
            "3.4" => {
                let (name, telephone) = self.supplier_name()?;
                (ECS16, Reading::SupplierName { name, telephone })
            }
            "6.11" => {
                let (from, to) = self.clock_window()?;
                (ECS70, Reading::SynchroniseClock { from, to })
            }
            "2.5" => (ECS09, Reading::ActivateEmergencyCredit),
            // Each an xs:unsignedInt, W.
            "6.12" => {
                let threshold = |name: &str| number(name, &text(name)?, 0..=u32::MAX);
                let reading = Reading::PowerThresholds {
                    low_medium: threshold("LowMediumPowerThreshold")?,
                    medium_high: threshold("MediumHighPowerThreshold")?,
                };
                (ECS34, reading)
            }
            // The schema's 0 to 1,799 seconds.
            "7.12" => {
                let limit = text("RandomisedOffsetLimit")?;
                let seconds = number("RandomisedOffsetLimit", &limit, 0..=1799)?;
                (ECS38, Reading::RandomisedOffsetLimit { seconds })
            }
            "3.2" => (
                ECS12,
                Reading::RestrictData {
                    from: clock_time("RestrictionDateTime", &text("RestrictionDateTime")?)?,
                },
            ),
            // The ESME's own event log; the ALCS's, which dccsim's meters do not have, is not
            // carried.
            "3.3" => match self.body.find("ESMEEventLogType").map(|e| e.text.trim()) {
                Some("ESME") => (ECS15A, Reading::ClearEventLog),
                Some(_) => return Ok(None),
                None => {
                    return Err(RequestError {
                        line: 0,
                        reason: "ClearEventLog to an electricity meter needs sr:ESMEEventLogType"
                            .into(),
                    });
                }
            },
            "3.5" => (ECS14, Reading::DisablePrivacyPin),
            "6.8" => match self.billing_calendar()? {
                Some(executions) => {
                    let monthly = self.body.find("Monthly").is_some();
                    let code = if monthly { ECS30 } else { ECS30A };
                    (code, Reading::BillingCalendar { executions })
                }
                None => {
                    return Err(RequestError {
                        line: 0,
                        reason: "an electricity meter's billing calendar is an \
                                 sr:ElectricityBillingCalendar"
                            .into(),
                    });
                }
            },
            // The import MPAN, and a twin-element meter's second one after it.
            "6.20.1" => {
                let mut digits = mpan("ImportMPAN", text("ImportMPAN")?)?;
                if let Some(second) = self.body.find("SecondaryImportMPAN") {
                    digits.push_str(&mpan("SecondaryImportMPAN", second.text.trim().into())?);
                }
                let set = Reading::SetMeterPoint {
                    export: false,
                    digits,
                };
                (ECS39A, set)
            }
            "6.20.2" => {
                let set = Reading::SetMeterPoint {
                    export: true,
                    digits: mpan("ExportMPAN", text("ExportMPAN")?)?,
                };
                (ECS39B, set)
            }
            // The period's start and end, each an xs:time in UTC (an offset is converted).
            "6.18.1" => {
                let schedule = self.body.find("MaximumDemandTimePeriodSchedule");
                let time_of_day = |name: &str| -> Result<chrono::NaiveTime, RequestError> {
                    let e = schedule
                        .and_then(|s| s.find(name))
                        .ok_or_else(|| RequestError {
                            line: 0,
                            reason: format!(
                                "SetMaximumDemandConfigurableTimePeriod needs \
                             sr:MaximumDemandTimePeriodSchedule with sr:{name}"
                            ),
                        })?;
                    utc_time(name, e.text.trim()).map_err(|reason| RequestError { line: 0, reason })
                };
                let (start, end) = (time_of_day("StartTime")?, time_of_day("EndTime")?);
                (ECS37, Reading::MaxDemandPeriod { start, end })
            }
            // The registers the request names, each an empty element; none is refused.
            "6.18.2" => {
                let registers: Vec<MaxDemandRegister> = [
                    ("MaxDemandActivePowerImportValue", MaxDemandRegister::Import),
                    (
                        "MaxDemandConfigTimeActivePowerImportValue",
                        MaxDemandRegister::ConfigurableImport,
                    ),
                    ("MaxDemandActivePowerExportValue", MaxDemandRegister::Export),
                ]
                .into_iter()
                .filter(|(name, _)| self.body.find(name).is_some())
                .map(|(_, r)| r)
                .collect();
                if registers.is_empty() {
                    return Err(RequestError {
                        line: 0,
                        reason: "ResetMaximumDemandRegisters names no register to reset".into(),
                    });
                }
                (ECS57, Reading::ResetMaxDemand { registers })
            }
            "4.3" => (ECS19, Reading::Read),
            "4.13" => (ECS26A, Reading::Read),
            "4.15" => (ECS27, Reading::Read),
            "4.12.1" => (ECS18B, Reading::Read),
            "4.12.2" => (ECS18A, Reading::Read),
            "6.2.1" => (ECS26B, Reading::Read),
            "6.2.2" => (ECS26C, Reading::Read),
            "6.2.3" => (ECS26D, Reading::Read),
            "6.2.4" => (ECS26E, Reading::Read),
            "6.2.5" => (ECS26F, Reading::Read),
            "6.2.7" => (ECS40, Reading::Read),
            "6.2.9" => (ECS26J, Reading::Read),
            // The event log (ECS35a), the security log (ECS35b), the power event log (ECS35e).
            "6.13" => match self.body.find("LogToRead").map(|e| e.text.trim()) {
                Some("Event") => (ECS35A, range()?),
                Some("Security") => (ECS35B, range()?),
                Some("PowerEvent") => (ECS35E, range()?),
                _ => return Ok(None),
            },
            // GBCS's electricity commands carry no payment mode: an adjustment is ECS04a, a
            // reset ECS04b, whichever mode the request names.
            "1.5" => match self.update_meter_balance()?.1 {
                Some(amount) => (ECS04A, Reading::AdjustBalance { amount }),
                None => (ECS04B, Reading::ResetBalance),
            },
            "2.2" => {
                let utrn = self.body.find("UTRN").map(|e| e.text.trim().to_string());
                let utrn = utrn.ok_or_else(|| RequestError {
                    line: 0,
                    reason: "TopUpDevice needs sr:UTRN".into(),
                })?;
                (CS01A, Reading::TopUp { utrn })
            }
            "1.6" => {
                let (mode, activation) = self.update_payment_mode()?;
                let code = match mode {
                    NewPaymentMode::Credit => ECS02,
                    NewPaymentMode::Prepayment { .. } => ECS03,
                };
                // dccsim's virtual meters are single-element.
                let twin_element = false;
                (
                    code,
                    Reading::PaymentMode {
                        mode,
                        activation,
                        twin_element,
                    },
                )
            }
            "7.1" => (
                ECS42,
                Reading::Supply {
                    enable: true,
                    script: 51,
                },
            ),
            "7.2" => (
                ECS43,
                Reading::Supply {
                    enable: false,
                    script: 52,
                },
            ),
            "7.3" => (
                ECS44,
                Reading::Supply {
                    enable: false,
                    script: 54,
                },
            ),
            "7.4" => (ECS45, Reading::Read),
            _ => return Ok(None),
        }))
    }
}

impl Request {
    /// An electricity billing calendar (6.8) as the execution times a meter's single action
    /// schedule holds: the `BillingTime` each day, week (`Weekly`: the weekday, 1 Monday), month
    /// (`Monthly`: the day), quarter, half-year or year (`DayOfMonth` of the months from
    /// `BillingPeriodStartMonth`); `None` for a gas meter's calendar.
    fn billing_calendar(&self) -> Result<Option<Vec<BillingExecution>>, RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        let Some(calendar) = self.body.find("ElectricityBillingCalendar") else {
            return Ok(None);
        };
        let time = calendar
            .find("BillingTime")
            .ok_or_else(|| fail("ElectricityBillingCalendar needs sr:BillingTime".into()))?;
        let time = billing_time(time.text.trim()).map_err(fail)?;
        let number = |e: &Element, name: &str, range: RangeInclusive<u8>| {
            number(
                name,
                e.find(name).map_or(e.text.trim(), |v| v.text.trim()),
                range,
            )
        };
        let every = |months: u8, e: &Element| -> Result<Vec<BillingExecution>, RequestError> {
            let day = number(e, "DayOfMonth", 1..=28)?;
            let start = number(e, "BillingPeriodStartMonth", 1..=12)?;
            Ok((0..12 / months)
                .map(|i| BillingExecution {
                    time,
                    date: [0xFF, 0xFF, (start - 1 + i * months) % 12 + 1, day, 0xFF],
                })
                .collect())
        };
        let on = |date| Ok(vec![BillingExecution { time, date }]);
        let periodicity = |name: &str| calendar.find(name);
        if periodicity("Daily").is_some() {
            on([0xFF; 5])
        } else if let Some(e) = periodicity("Weekly") {
            on([0xFF, 0xFF, 0xFF, 0xFF, number(e, "Weekly", 1..=7)?])
        } else if let Some(e) = periodicity("Monthly") {
            on([0xFF, 0xFF, 0xFF, number(e, "Monthly", 1..=28)?, 0xFF])
        } else if let Some(e) = periodicity("Quarterly") {
            every(3, e)
        } else if let Some(e) = periodicity("SixMonthly") {
            every(6, e)
        } else if let Some(e) = periodicity("Yearly") {
            every(12, e)
        } else {
            Err(fail(
                "ElectricityBillingCalendar names no periodicity".into(),
            ))
        }
        .map(Some)
    }
}

/// A DUIS `BillingTime` (an xs:time with `Z` or an offset) as a COSEM time in UTC: hour,
/// minute, second, hundredths; `24:00:00` is midnight.
fn billing_time(text: &str) -> Result<[u8; 4], String> {
    let utc = utc_time("BillingTime", text)?;
    use chrono::Timelike;
    Ok([
        utc.hour() as u8,
        utc.minute() as u8,
        utc.second() as u8,
        (utc.nanosecond() / 10_000_000).min(99) as u8,
    ])
}

/// A DUIS time of day (element `name`, an xs:time with `Z` or an offset) in UTC; `24:00:00`
/// is midnight. A time with no zone is refused: which day's midnight it is would be a guess.
fn utc_time(name: &str, text: &str) -> Result<chrono::NaiveTime, String> {
    let bad = || format!("sr:{name} {text:?} is not an xs:time with a time zone");
    // The clock, then `Z` or a `±hh:mm` offset.
    let (clock, offset) = match text.strip_suffix('Z') {
        Some(clock) => (clock, 0),
        None => {
            let at = text.len().checked_sub(6).ok_or_else(bad)?;
            let (clock, zone) = (text.get(..at).ok_or_else(bad)?, &text[at..]);
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let hm = chrono::NaiveTime::parse_from_str(&zone[1..], "%H:%M").map_err(|_| bad())?;
            use chrono::Timelike;
            (clock, sign * (hm.hour() * 60 + hm.minute()) as i32)
        }
    };
    if clock.get(6..8) == Some("60") || clock.contains(['t', 'z', ' ']) {
        return Err(bad());
    }
    let clock =
        if clock.starts_with("24:00:00") && clock[8..].bytes().all(|b| b == b'0' || b == b'.') {
            "00:00:00"
        } else {
            clock
        };
    let local = chrono::NaiveTime::parse_from_str(clock, "%H:%M:%S%.f").map_err(|_| bad())?;
    Ok(local - chrono::Duration::minutes(offset.into()))
}

/// A DUIS MPAN (element `name`): thirteen digits, as the schema has it (the check digit is not
/// the head-end's to check: meters take the digits they are given).
/// Element `name`'s `text` as a whole number in `range`; refused, naming the element and the
/// range, if it is not one.
fn number<T>(name: &str, text: &str, range: RangeInclusive<T>) -> Result<T, RequestError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    match text.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(RequestError {
            line: 0,
            reason: format!(
                "sr:{name} {text:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

/// An `xs:decimal` of at most `places` decimal places, from 0 to what a u32 of units of the
/// last place holds (the schema's bounds for a 6.6's values), as that u32.
fn decimal(name: &str, text: &str, places: u32) -> Result<u32, RequestError> {
    let scale = 10u64.pow(places);
    let refuse = || RequestError {
        line: 0,
        reason: format!(
            "sr:{name} {text:?} is not a decimal from 0 to {}.{:0width$} with at most {places} \
             decimal places",
            u64::from(u32::MAX) / scale,
            u64::from(u32::MAX) % scale,
            width = places as usize
        ),
    };
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    // xs:decimal: digits on at least one side of the point; zeros after the places allowed.
    let (kept, rest) = fraction.split_at(fraction.len().min(places as usize));
    if whole.is_empty() && fraction.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || rest.bytes().any(|b| b != b'0')
    {
        return Err(refuse());
    }
    let whole = whole.trim_start_matches('0');
    let whole: u64 = if whole.is_empty() {
        0
    } else if whole.len() > 10 {
        return Err(refuse());
    } else {
        whole.parse().map_err(|_| refuse())?
    };
    let kept: u64 = format!("{kept:0<width$}", width = places as usize)
        .parse()
        .map_err(|_| refuse())?;
    u32::try_from(whole * scale + kept).map_err(|_| refuse())
}

fn mpan(name: &str, digits: String) -> Result<String, RequestError> {
    if digits.len() == 13 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(digits);
    }
    Err(RequestError {
        line: 0,
        reason: format!("sr:{name} {digits:?} is not thirteen digits"),
    })
}

/// A DUIS `xs:dateTime` (element `name`) a meter is to hold: within GBCS's clock, 2000-01-01
/// to 2136-02-07T06:28:15Z.
fn clock_time(name: &str, text: &str) -> Result<DateTime<Utc>, RequestError> {
    let fail = |reason: String| RequestError { line: 0, reason };
    let t = utc_date_time(name, text).map_err(fail)?;
    if crate::protocol::gbcs::payload::to_gbcs_seconds(t).is_none() {
        return Err(fail(format!(
            "sr:{name} {text:?} is outside the meters' clock, 2000-01-01T00:00:00Z to \
             2136-02-07T06:28:15Z"
        )));
    }
    Ok(t)
}

/// A DUIS `xs:dateTime` element's text `text` (element `name`) as UTC. The head-end needs a
/// time zone (`Z` or an offset): a time without one is refused saying so.
pub fn utc_date_time(name: &str, text: &str) -> Result<DateTime<Utc>, String> {
    // RFC 3339 also takes a lowercase `t` and `z`, a space for the `T` and a leap second;
    // xs:dateTime takes none of them.
    let seconds = text.get(17..19);
    if text.contains(['t', 'z', ' ']) || seconds == Some("60") {
        return Err(format!("sr:{name} {text:?} is not an xs:dateTime"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f");
    Err(match local {
        Ok(_) => format!("sr:{name} {text:?} has no time zone: end it with Z or an offset"),
        Err(_) => format!("sr:{name} {text:?} is not an xs:dateTime"),
    })
}

fn local(e: &quick_xml::events::BytesStart<'_>) -> String {
    let name = e.local_name();
    let name: &str = name.as_ref();
    name.to_string()
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
                ..Element::default()
            }),
            Event::Empty(e) => {
                let element = Element {
                    name: local(&e),
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

#[cfg(test)]
mod tests {
    use super::{decimal, utc_date_time};

    /// xs:decimal's forms, scaled to the places a 6.6 value has; more places than that (other
    /// than zeros), a sign other than `+`, an exponent or a value past a u32 refused.
    #[test]
    fn decimals_are_xs_decimals_in_units_of_their_last_place() {
        let one = |t: &str| decimal("CalorificValue", t, 1);
        for (text, tenths) in [
            ("40.0", 400),
            ("40", 400),
            ("40.", 400),
            (".5", 5),
            ("+1.5", 15),
            ("1.50", 15),
            ("007.1", 71),
            ("0", 0),
            ("429496729.5", u32::MAX),
        ] {
            assert_eq!(one(text).unwrap(), tenths, "{text}");
        }
        for bad in [
            "",
            ".",
            "1.55",
            "-1",
            "1e3",
            " 1",
            "429496729.6",
            "99999999999",
        ] {
            let e = one(bad).unwrap_err();
            assert!(
                e.reason.contains("is not a decimal from 0 to 429496729.5"),
                "{bad}: {e:?}"
            );
        }
        assert_eq!(decimal("ConversionFactor", "1.02264", 5).unwrap(), 102_264);
        assert!(decimal("ConversionFactor", "1.022645", 5).is_err());
    }

    /// xs:dateTime as DUIS writes it, with `Z` or an offset; not RFC 3339's lowercase letters,
    /// space or leap second, and a time with no zone said so.
    #[test]
    fn utc_date_times_are_xs_date_times() {
        let utc = |t: &str| utc_date_time("StartDateTime", t);
        assert_eq!(
            utc("2026-11-23T10:00:00.00Z").unwrap().to_rfc3339(),
            "2026-11-23T10:00:00+00:00"
        );
        assert_eq!(
            utc("2026-11-23T11:00:00+01:00").unwrap().to_rfc3339(),
            "2026-11-23T10:00:00+00:00"
        );
        for bad in [
            "2026-11-23t10:00:00Z",
            "2026-11-23T10:00:00z",
            "2026-11-23 10:00:00Z",
            "2016-12-31T23:59:60Z",
            "23/11/2026",
        ] {
            let err = utc(bad).unwrap_err();
            assert!(err.contains("is not an xs:dateTime"), "{bad}: {err}");
        }
        assert!(
            utc("2026-11-23T10:00:00")
                .unwrap_err()
                .contains("has no time zone")
        );
    }

    /// A billing time as the meter holds it: UTC, to the hundredth; 24:00:00 is midnight; no
    /// time zone, a leap second or a lowercase zone refused.
    #[test]
    fn billing_times_are_utc_cosem_times() {
        use super::billing_time;
        assert_eq!(billing_time("12:00:00.00Z"), Ok([12, 0, 0, 0]));
        assert_eq!(billing_time("12:30:15.25+01:00"), Ok([11, 30, 15, 25]));
        assert_eq!(billing_time("23:30:00-01:00"), Ok([0, 30, 0, 0]));
        assert_eq!(billing_time("24:00:00Z"), Ok([0, 0, 0, 0]));
        for bad in [
            "12:00:00",
            "23:59:60Z",
            "12:00:00z",
            "noon",
            "",
            "é2:00:00+01:00",
        ] {
            assert!(billing_time(bad).is_err(), "{bad}");
        }
    }
}
