//! The GBZ (and ASN.1) commands the head-end builds from a DUIS request to a gas meter or its
//! gas proxy function.

use super::fields::{clock_time, decimal, number, one_of};
use super::{Request, RequestError};
use crate::protocol::gbcs::gbz::{self, GasPayload};
use crate::protocol::gbcs::payload::{Activation, NewPaymentMode, Reading};

impl Request {
    /// The GBCS use case and GBZ commands for the services the head-end carries to a gas meter
    /// or, `to_proxy`, its gas proxy function (a use case may have a code of its own there);
    /// `None` for the others.
    pub fn gas_command(
        &self,
        to_proxy: bool,
    ) -> Result<Option<(u16, Vec<GasPayload>)>, RequestError> {
        use crate::device::{
            CS01B, GCS13A, GCS16A, GCS17, GCS32, GCS38, GCS39, GCS60, GCS60A, GCS61,
        };
        use crate::protocol::gbcs::gas_settings;
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
        if let Some(tariff) = self.gas_tariff()? {
            return Ok(Some(tariff));
        }
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
            // Critical: the billing calendar — its first period's start and periodicity —
            // published as a billing period and a repeating block period of the same length;
            // the request's counter names both. Monthly is GCS25, any other GCS25a.
            "6.8" => {
                let Some(calendar) = self.body.find("GasBillingCalendar") else {
                    return Ok(None);
                };
                let text = |name: &str| {
                    calendar
                        .find(name)
                        .map(|e| e.text.trim().to_string())
                        .ok_or_else(|| RequestError {
                            line: 0,
                            reason: format!("sr:GasBillingCalendar needs sr:{name}"),
                        })
                };
                let from = clock_time("BillingPeriodStart", &text("BillingPeriodStart")?)?;
                let start =
                    crate::protocol::gbcs::payload::to_gbcs_seconds(from).ok_or_else(|| {
                        RequestError {
                            line: 0,
                            reason: "sr:BillingPeriodStart is outside the meters' clock, \
                                 2000-01-01T00:00:00Z to 2136-02-07T06:28:15Z"
                                .into(),
                        }
                    })?;
                let (duration, duration_type) = one_of(
                    "Periodicity",
                    &text("Periodicity")?,
                    &[
                        ("Daily", (1, gbz::DAILY_UNSPECIFIED)),
                        ("Weekly", (1, gbz::WEEKLY_UNSPECIFIED)),
                        ("Monthly", (1, gbz::MONTHLY_UNSPECIFIED)),
                        ("Quarterly", (3, gbz::MONTHLY_UNSPECIFIED)),
                        ("SixMonthly", (6, gbz::MONTHLY_UNSPECIFIED)),
                        ("Yearly", (12, gbz::MONTHLY_UNSPECIFIED)),
                    ],
                )?;
                let code = if (duration, duration_type) == (1, gbz::MONTHLY_UNSPECIFIED) {
                    crate::device::GCS25
                } else {
                    crate::device::GCS25A
                };
                let event = self.id.counter as u32;
                let publish = vec![
                    GasPayload::BillingPeriod {
                        provider_id: 0,
                        issuer_event_id: event,
                        start,
                        duration,
                        duration_type,
                        tariff_type: 0,
                    },
                    GasPayload::BlockPeriod {
                        provider_id: 0,
                        issuer_event_id: event,
                        start,
                        duration,
                        control: gbz::REPEATING_BLOCK_PERIOD,
                        duration_type,
                        tariff_type: 0,
                        resolution: gbz::BLOCK_PERIOD_RESOLUTION,
                    },
                ];
                return Ok(Some((code, publish)));
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
                let state = |name: &str| {
                    let states = [
                        ("Locked", gbz::SUPPLY_LOCKED),
                        ("Unchanged", gbz::SUPPLY_UNCHANGED),
                    ];
                    one_of(name, &self.required(name)?, &states)
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
            // Every event in the period of the meter's general event log (CS10a) or security
            // log (CS10b), with the event control the RTDS commands have.
            // Each event's WAN and HAN alerts, logging and alarm, one SetEventConfiguration per
            // configuration (in the order each first appears), the events listed.
            "6.22" => {
                return self
                    .event_configuration()
                    .map(|asks| Some((crate::device::GCS20, asks)));
            }
            // Every event's configuration (the event id the RTDS command asks).
            "6.2.10" => {
                let ask = GasPayload::GetEventConfiguration { event_id: 0x81FF };
                return one(crate::device::GCS20R, ask);
            }
            "6.13" => {
                let (code, control) = match self.required("LogToRead")?.as_str() {
                    "Event" => (crate::device::CS10A, 0x10 | gbz::GENERAL_EVENT_LOG),
                    "Security" => (crate::device::CS10B, gbz::SECURITY_EVENT_LOG),
                    other => {
                        return Err(RequestError {
                            line: 0,
                            reason: format!(
                                "sr:LogToRead {other:?}: a gas meter keeps an Event and a \
                                 Security log"
                            ),
                        });
                    }
                };
                let (start, end) = self.gbcs_period()?;
                let ask = GasPayload::EventLogRequest {
                    control,
                    event_id: 0,
                    start,
                    end,
                    count: 0,
                    offset: 0,
                };
                return one(code, ask);
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
            // Start recording the network data 4.10 reads, now.
            "14.1" => {
                let start = GasPayload::StartSampling {
                    event: self.id.counter as u32,
                    start: 0,
                    sample_type: 0,
                    interval_s: gbz::NETWORK_DATA_INTERVAL_S,
                    max_samples: gbz::NETWORK_DATA_SAMPLES,
                };
                return one(crate::device::GCS31, start);
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

    /// The From Date-Time a gas command carries in its GBZ header: the start of the billing data
    /// log of debt payments (4.4.4) or prepayment credits (4.4.5) asked for, as the RTDS
    /// commands carry it; `None` for the others.
    pub fn gas_from(&self) -> Result<Option<u32>, RequestError> {
        match self.service.to_string().as_str() {
            "4.4.4" | "4.4.5" => Ok(Some(self.gbcs_period()?.0)),
            _ => Ok(None),
        }
    }

    /// The GBCS use case and ASN.1 command for the services the head-end carries to a gas
    /// meter in ASN.1 rather than ZigBee: 6.11 (GCS28, its clock); `None` for the others.
    pub fn gas_asn1_command(
        &self,
    ) -> Result<Option<(u16, crate::protocol::gbcs::asn1::AsnPayload)>, RequestError> {
        use crate::protocol::gbcs::asn1::AsnPayload;
        Ok(match self.service.to_string().as_str() {
            // 8.1.1 commissions the meter by synchronising its clock, as 6.11 does.
            "6.11" | "8.1.1" => {
                let (from, to) = self.clock_window()?;
                Some((crate::device::GCS28, AsnPayload::ClockSync { from, to }))
            }
            _ => None,
        })
    }

    /// 6.22's `GasSupplierAlertEventSettings` as SetEventConfigurations: one per configuration,
    /// listing its events, in the order each configuration first appears.
    fn event_configuration(&self) -> Result<Vec<GasPayload>, RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        let Some(settings) = self.body.find("GasSupplierAlertEventSettings") else {
            return Err(fail(
                "ConfigureAlertBehaviour to a gas meter: only GasSupplierAlertEventSettings is \
                 carried"
                    .into(),
            ));
        };
        let mut asks: Vec<GasPayload> = Vec::new();
        for e in &settings.children {
            let event = super::fields::alert_code(&e.name)?;
            let mut configuration = 0;
            for (name, bit) in [
                ("WANAlert", gbz::EVENT_WAN_ALERT),
                ("HANAlert", gbz::EVENT_HAN_ALERT),
                ("EventLog", gbz::EVENT_LOGGED),
                ("Alarm", gbz::EVENT_ALARM),
            ] {
                let value = e.find(name).map(|v| v.text.trim());
                match value {
                    Some("Enable") => configuration |= bit,
                    Some("Disable") => {}
                    _ => {
                        return Err(fail(format!(
                            "sr:{} needs sr:{name} Enable or Disable, not {value:?}",
                            e.name
                        )));
                    }
                }
            }
            let same = asks.iter_mut().find_map(|a| match a {
                GasPayload::SetEventConfiguration {
                    configuration: c,
                    events,
                    ..
                } if *c == configuration => Some(events),
                _ => None,
            });
            match same {
                Some(events) => events.push(event),
                None => asks.push(GasPayload::SetEventConfiguration {
                    event: self.id.counter as u32,
                    start: 0,
                    configuration,
                    control: gbz::CONFIGURE_BY_LIST,
                    events: vec![event],
                }),
            }
        }
        if asks.is_empty() {
            return Err(fail(
                "sr:GasSupplierAlertEventSettings names no event".into(),
            ));
        }
        Ok(asks)
    }

    /// 1.6 to a gas meter: GCS02 (to credit) or GCS03 (to prepayment), carried out at the
    /// execution time by the meter itself.
    /// The prepayment debt suspension flags set bits 10 and 11 of the payment control
    /// configuration as the RTDS commands have them; the disablement threshold is the cut-off.
    fn payment_mode(&self) -> Result<(u16, Vec<GasPayload>), RequestError> {
        use crate::device::{GCS02, GCS03};
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
}
