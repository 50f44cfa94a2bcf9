//! Reading a gas component's ZCL payload as one of the commands or answers this crate
//! interprets.

use super::*;

/// Reads a gas component's payload (`payload` in clear) as one of the commands or answers this
/// crate interprets; `None` for others.
pub fn gas_payload(c: &Component, payload: &[u8]) -> Result<Option<GasPayload>, GbzError> {
    let mut r = Reader {
        bytes: payload,
        at: 0,
    };
    let specific = c.frame_control & 0x03 == 1;
    let meaning = match (c.cluster, specific, c.from_server(), c.command) {
        (cluster, false, true, DEFAULT_RESPONSE)
        | (
            cluster @ (DEVICE_MANAGEMENT_CLUSTER
            | MESSAGING_CLUSTER
            | PRICE_CLUSTER
            | CALENDAR_CLUSTER),
            false,
            false,
            DEFAULT_RESPONSE,
        ) => GasPayload::DefaultResponse {
            cluster,
            command: r.u8("command id")?,
            status: r.u8("status")?,
        },
        (DEVICE_MANAGEMENT_CLUSTER, true, true, PUBLISH_CHANGE_OF_SUPPLIER) => {
            let current_provider = r.le32("current provider id")?;
            let event = r.le32("issuer event id")?;
            let tariff_type = r.u8("tariff type")?;
            let proposed_provider = r.le32("proposed provider id")?;
            let implement_at = r.le32("provider change implementation time")?;
            let control = r.le32("provider change control")?;
            let (Some(name), Some(contact)) = (
                r.text("proposed provider name")?,
                r.text("proposed provider contact details")?,
            ) else {
                return Ok(None);
            };
            GasPayload::ChangeOfSupplier {
                current_provider,
                event,
                tariff_type,
                proposed_provider,
                implement_at,
                control,
                name,
                contact,
            }
        }
        (DEVICE_MANAGEMENT_CLUSTER, true, true, PUBLISH_CHANGE_OF_TENANCY) => {
            GasPayload::ChangeOfTenancy {
                provider: r.le32("provider id")?,
                event: r.le32("issuer event id")?,
                tariff_type: r.u8("tariff type")?,
                implement_at: r.le32("implementation date/time")?,
                control: r.le32("proposed tenancy change control")?,
            }
        }
        (MESSAGING_CLUSTER, true, true, DISPLAY_MESSAGE) => {
            let id = r.le32("message id")?;
            let control = r.u8("message control")?;
            let start = r.le32("start time")?;
            let minutes = r.le16("duration in minutes")?;
            let Some(message) = r.text("message")? else {
                return Ok(None);
            };
            GasPayload::DisplayMessage {
                id,
                control,
                start,
                minutes,
                message,
            }
        }
        (DEVICE_MANAGEMENT_CLUSTER, true, true, REQUEST_NEW_PASSWORD_RESPONSE) => {
            GasPayload::NewPassword {
                event: r.le32("issuer event id")?,
                implement_at: r.le32("implementation date/time")?,
                minutes: r.le16("duration in minutes")?,
                password_type: r.u8("password type")?,
                password: r.octets("password")?.to_vec(),
            }
        }
        (DEVICE_MANAGEMENT_CLUSTER, true, true, UPDATE_SITE_ID) => {
            let event = r.le32("issuer event id")?;
            let at = r.le32("site id time")?;
            let provider = r.le32("provider id")?;
            let Some(site_id) = r.text("site id")? else {
                return Ok(None);
            };
            GasPayload::UpdateSiteId {
                event,
                at,
                provider,
                site_id,
            }
        }
        (DEVICE_MANAGEMENT_CLUSTER, true, true, SET_EVENT_CONFIGURATION) => {
            let (event, start) = (r.le32("issuer event id")?, r.le32("start time")?);
            let configuration = r.u8("event configuration")?;
            let control = r.u8("configuration control")?;
            // Events chosen otherwise than by list (by group, log or configuration) carry
            // another payload: not one a meter here is sent.
            if control != CONFIGURE_BY_LIST {
                return Ok(None);
            }
            let count = r.u8("number of events")?;
            let events = (0..count)
                .map(|_| r.le16("event id"))
                .collect::<Result<_, _>>()?;
            GasPayload::SetEventConfiguration {
                event,
                start,
                configuration,
                control,
                events,
            }
        }
        (DEVICE_MANAGEMENT_CLUSTER, true, true, GET_EVENT_CONFIGURATION) => {
            GasPayload::GetEventConfiguration {
                event_id: r.le16("event id")?,
            }
        }
        (DEVICE_MANAGEMENT_CLUSTER, true, false, REPORT_EVENT_CONFIGURATION) => {
            let command_index = r.u8("command index")?;
            let commands = r.u8("total commands")?;
            let mut entries = Vec::new();
            while r.at < payload.len() {
                entries.push((r.le16("event id")?, r.u8("event configuration")?));
            }
            GasPayload::EventConfiguration {
                command_index,
                commands,
                entries,
            }
        }
        (METERING_CLUSTER, false, false, READ_ATTRIBUTES) => GasPayload::ReadAttributes {
            attributes: r.attribute_ids()?,
        },
        (METERING_CLUSTER, false, true, READ_ATTRIBUTES_RESPONSE) => {
            let attributes = read_attributes_response(payload)?;
            return Ok(attributes_meaning(&attributes).or_else(|| settings(c, &attributes)));
        }
        (BASIC_CLUSTER, false, false, READ_ATTRIBUTES) => GasPayload::ReadBasicAttributes {
            attributes: r.attribute_ids()?,
        },
        (BASIC_CLUSTER, false, true, READ_ATTRIBUTES_RESPONSE) => {
            return Ok(settings(c, &read_attributes_response(payload)?));
        }
        (PREPAYMENT_CLUSTER, false, false, READ_ATTRIBUTES) => {
            GasPayload::ReadPrepaymentAttributes {
                attributes: r.attribute_ids()?,
            }
        }
        (PRICE_CLUSTER, false, false, READ_ATTRIBUTES) => GasPayload::ReadPriceAttributes {
            attributes: r.attribute_ids()?,
        },
        (PRICE_CLUSTER, false, true, READ_ATTRIBUTES_RESPONSE) => {
            let attributes = read_attributes_response(payload)?;
            return Ok(match attributes.as_slice() {
                [
                    Attribute {
                        id: PRICE_TRAILING_DIGIT,
                        data_type: Some(0x18),
                        value: Some(ZclValue::Unsigned(digit)),
                        ..
                    },
                    Attribute {
                        id: CURRENCY,
                        data_type: Some(0x21),
                        value: Some(ZclValue::Unsigned(currency)),
                        ..
                    },
                ] => Some(GasPayload::Currency {
                    trailing_digit: *digit as u8,
                    currency: *currency as u16,
                }),
                _ => settings(c, &attributes),
            });
        }
        (PREPAYMENT_CLUSTER, false, true, READ_ATTRIBUTES_RESPONSE) => {
            let attributes = read_attributes_response(payload)?;
            if let Some(values) = prepay_values(&attributes) {
                return Ok(Some(values));
            }
            return Ok(match attributes.as_slice() {
                [a] if a.id == CREDIT_REMAINING && a.data_type == Some(0x2B) => match a.value {
                    Some(ZclValue::Signed(v)) => i32::try_from(v)
                        .ok()
                        .map(|value| GasPayload::CreditRemaining { value }),
                    _ => None,
                },
                [a] if a.id == PAYMENT_CONTROL_CONFIGURATION && a.data_type == Some(0x19) => {
                    match a.value {
                        Some(ZclValue::Unsigned(v)) => u16::try_from(v)
                            .ok()
                            .map(|configuration| GasPayload::PaymentControl { configuration }),
                        _ => None,
                    }
                }
                _ => None,
            });
        }
        (METERING_CLUSTER, true, false, START_SAMPLING) => GasPayload::StartSampling {
            event: r.le32("issuer event id")?,
            start: r.le32("start sampling time")?,
            sample_type: r.u8("sample type")?,
            interval_s: r.le16("sample request interval")?,
            max_samples: r.le16("max number of samples")?,
        },
        (METERING_CLUSTER, true, true, START_SAMPLING_RESPONSE) => {
            GasPayload::StartSamplingResponse {
                sample_id: r.le16("sample id")?,
            }
        }
        (METERING_CLUSTER, true, false, GET_SAMPLED_DATA) => GasPayload::SampledDataRequest {
            sample_id: r.le16("sample id")?,
            start: r.le32("start time")?,
            sampling_type: r.u8("sample type")?,
            count: r.le16("number of samples")?,
        },
        (METERING_CLUSTER, true, true, GET_SAMPLED_DATA_RESPONSE) => {
            let sample_id = r.le16("sample id")?;
            let start = r.le32("start time")?;
            let sampling_type = r.u8("sampling type")?;
            let interval_s = r.le16("sampling interval")?;
            let count = usize::from(r.le16("number of samples")?);
            let mut samples = Vec::with_capacity(count);
            for _ in 0..count {
                let b = r.take(3, "sample")?;
                samples.push(u32::from_le_bytes([b[0], b[1], b[2], 0]));
            }
            GasPayload::SampledData {
                sample_id,
                start,
                sampling_type,
                interval_s,
                samples,
            }
        }
        (METERING_CLUSTER, true, false, GET_SNAPSHOT) => GasPayload::SnapshotRequest {
            earliest: r.le32("earliest start time")?,
            latest: r.le32("latest end time")?,
            offset: r.u8("snapshot offset")?,
            cause: r.le32("snapshot cause")?,
        },
        (METERING_CLUSTER, true, true, PUBLISH_SNAPSHOT) => {
            let SnapshotHead {
                id,
                time,
                found,
                command_index,
                commands,
                cause,
            } = SnapshotHead::read(&mut r)?;
            let registers = match r.u8("snapshot payload type")? {
                BLOCK_TIERS_NO_BILLING => {
                    let summation = r.le48("current summation delivered")?;
                    let n = usize::from(r.u8("number of tiers in use")?);
                    let tiers = r.le48s(n, "tier summation")?;
                    let tiers_and_blocks = r.u8("number of tiers and blocks in use")?;
                    let n = usize::from(tiers_and_blocks >> 4) * usize::from(tiers_and_blocks & 15);
                    let blocks = r.le48s(n, "block summation")?;
                    SnapshotRegisters::BlockTiers {
                        summation,
                        tiers,
                        tiers_and_blocks,
                        blocks,
                    }
                }
                code => SnapshotRegisters::Other {
                    code,
                    bytes: r.take(payload.len() - r.at, "snapshot payload")?.to_vec(),
                },
            };
            GasPayload::Snapshot {
                id,
                time,
                found,
                command_index,
                commands,
                cause,
                registers,
            }
        }
        (EVENTS_CLUSTER, true, false, GET_EVENT_LOG) => GasPayload::EventLogRequest {
            control: r.u8("event control and log id")?,
            event_id: r.le16("event id")?,
            start: r.le32("start time")?,
            end: r.le32("end time")?,
            count: r.u8("number of events")?,
            offset: r.le16("event offset")?,
        },
        (EVENTS_CLUSTER, true, true, PUBLISH_EVENT_LOG) => {
            let matching = r.le16("total number of matching events")?;
            let command_index = r.u8("command index")?;
            let commands = r.u8("total commands")?;
            let control = r.u8("log payload control")?;
            let mut entries = Vec::new();
            while r.at < payload.len() {
                let (log_id, event_id, time) =
                    (r.u8("log id")?, r.le16("event id")?, r.le32("event time")?);
                let length = r.u8("event data length")?;
                let data = r.take(usize::from(length), "event data")?.to_vec();
                entries.push(LoggedEvent {
                    log_id,
                    event_id,
                    time,
                    data,
                });
            }
            GasPayload::EventLog {
                matching,
                command_index,
                commands,
                control,
                entries,
            }
        }
        (EVENTS_CLUSTER, true, false, CLEAR_EVENT_LOG_REQUEST) => GasPayload::ClearEventLog {
            log_id: r.u8("log id")?,
        },
        (EVENTS_CLUSTER, true, true, CLEAR_EVENT_LOG_RESPONSE) => GasPayload::EventLogCleared {
            cleared: r.u8("cleared events logs")?,
        },
        (METERING_CLUSTER, true, false, SET_UNCONTROLLED_FLOW_THRESHOLD) => {
            GasPayload::UncontrolledFlowThreshold {
                provider: r.le32("provider id")?,
                event: r.le32("issuer event id")?,
                threshold: r.le16("uncontrolled flow threshold")?,
                unit: r.u8("unit of measure")?,
                multiplier: r.le16("multiplier")?,
                divisor: r.le16("divisor")?,
                stabilisation: r.u8("stabilisation period")?,
                measurement: r.le16("measurement period")?,
            }
        }
        (METERING_CLUSTER, true, false, SET_SUPPLY_STATUS) => GasPayload::SetSupplyStatus {
            event: r.le32("issuer event id")?,
            tamper: r.u8("supply tamper state")?,
            depletion: r.u8("supply depletion state")?,
            uncontrolled_flow: r.u8("supply uncontrolled flow state")?,
            load_limit: r.u8("load limit supply state")?,
        },
        (METERING_CLUSTER, true, false, CHANGE_SUPPLY) => GasPayload::ChangeSupply {
            provider: r.le32("provider id")?,
            event: r.le32("issuer event id")?,
            requested: r.le32("request date-time")?,
            implement_at: r.le32("implementation date-time")?,
            proposed: r.u8("proposed supply status")?,
            control: r.u8("supply control bits")?,
        },
        (METERING_CLUSTER, true, true, SUPPLY_STATUS_RESPONSE) => GasPayload::SupplyStatus {
            provider: r.le32("provider id")?,
            event: r.le32("issuer event id")?,
            implemented: r.le32("implementation date-time")?,
            status: r.u8("supply status")?,
        },
        (PREPAYMENT_CLUSTER, true, false, EMERGENCY_CREDIT_SETUP) => {
            GasPayload::EmergencyCreditSetup {
                event: r.le32("issuer event id")?,
                start: r.le32("start time")?,
                limit: r.le32("emergency credit limit")?,
                threshold: r.le32("emergency credit threshold")?,
            }
        }
        (PREPAYMENT_CLUSTER, true, false, CHANGE_DEBT) => GasPayload::ChangeDebt {
            event: r.le32("issuer event id")?,
            label: r.octets("debt label")?.to_vec(),
            amount: r.le32("debt amount")?,
            method: r.u8("debt recovery method")?,
            amount_type: r.u8("debt amount type")?,
            start: r.le32("debt recovery start time")?,
            collection_time: r.le16("debt recovery collection time")?,
            frequency: r.u8("debt recovery frequency")?,
            recovery_amount: r.le32("debt recovery amount")?,
            percentage: r.le16("debt recovery balance percentage")?,
        },
        (PREPAYMENT_CLUSTER, true, false, SET_OVERALL_DEBT_CAP) => GasPayload::OverallDebtCap {
            provider: r.le32("provider id")?,
            event: r.le32("issuer event id")?,
            implement_at: r.le32("implementation date-time")?,
            cap: r.le32("overall debt cap")?,
        },
        (PREPAYMENT_CLUSTER, true, false, SET_LOW_CREDIT_WARNING_LEVEL) => {
            GasPayload::LowCreditWarning {
                level: r.le32("low credit warning level")?,
                from: c.from,
            }
        }
        (PREPAYMENT_CLUSTER, true, false, SET_MAXIMUM_CREDIT_LIMIT) => GasPayload::MaximumCredit {
            provider: r.le32("provider id")?,
            event: r.le32("issuer event id")?,
            implement_at: r.le32("implementation date-time")?,
            max_credit: r.le32("maximum credit level")?,
            max_per_top_up: r.le32("maximum credit per top-up")?,
        },
        (PREPAYMENT_CLUSTER, true, false, SELECT_EMERGENCY_CREDIT) => {
            GasPayload::SelectEmergencyCredit {
                issued: r.le32("command issue date-time")?,
                origin: r.u8("originating device")?,
            }
        }
        (PREPAYMENT_CLUSTER, true, false, CREDIT_ADJUSTMENT) => GasPayload::CreditAdjustment {
            event: r.le32("issuer event id")?,
            start: r.le32("start time")?,
            adjustment: r.u8("credit adjustment type")?,
            value: r.le32("credit adjustment value")? as i32,
        },
        (PREPAYMENT_CLUSTER, true, false, CONSUMER_TOP_UP) => {
            let origin = r.u8("originating device")?;
            let n = usize::from(r.u8("top-up code length")?);
            let Ok(utrn) = std::str::from_utf8(r.take(n, "top-up code")?) else {
                return Ok(None);
            };
            GasPayload::TopUp {
                origin,
                utrn: utrn.to_string(),
            }
        }
        (PREPAYMENT_CLUSTER, true, false, GET_PREPAY_SNAPSHOT) => {
            GasPayload::PrepaySnapshotRequest {
                earliest: r.le32("earliest start time")?,
                latest: r.le32("latest end time")?,
                offset: r.u8("snapshot offset")?,
                cause: r.le32("snapshot cause")?,
            }
        }
        (PREPAYMENT_CLUSTER, true, true, PUBLISH_PREPAY_SNAPSHOT) => {
            let SnapshotHead {
                id,
                time,
                found,
                command_index,
                commands,
                cause,
            } = SnapshotHead::read(&mut r)?;
            let payload = match r.u8("snapshot payload type")? {
                DEBT_CREDIT_STATUS => PrepaySnapshotPayload::DebtCreditStatus {
                    accumulated_debt: r.le32("accumulated debt")? as i32,
                    debts: [
                        r.le32("type 1 debt remaining")?,
                        r.le32("type 2 debt remaining")?,
                        r.le32("type 3 debt remaining")?,
                    ],
                    emergency_credit: r.le32("emergency credit remaining")? as i32,
                    credit_remaining: r.le32("credit remaining")? as i32,
                },
                code => PrepaySnapshotPayload::Other {
                    code,
                    bytes: r.take(payload.len() - r.at, "snapshot payload")?.to_vec(),
                },
            };
            GasPayload::PrepaySnapshot {
                id,
                time,
                found,
                command_index,
                commands,
                cause,
                payload,
            }
        }
        (PRICE_CLUSTER, true, true, PUBLISH_CONVERSION_FACTOR) => GasPayload::ConversionFactor {
            event: r.le32("issuer event id")?,
            start: r.le32("start time")?,
            factor: r.le32("conversion factor")?,
            trailing_digit: r.u8("conversion factor trailing digit")?,
        },
        (PRICE_CLUSTER, true, true, PUBLISH_CALORIFIC_VALUE) => GasPayload::CalorificValue {
            event: r.le32("issuer event id")?,
            start: r.le32("start time")?,
            value: r.le32("calorific value")?,
            unit: r.u8("calorific value unit")?,
            trailing_digit: r.u8("calorific value trailing digit")?,
        },
        (PRICE_CLUSTER, true, false, GET_BILLING_PERIOD) => GasPayload::BillingPeriodRequest {
            earliest_start: r.le32("earliest start time")?,
            min_issuer_event_id: r.le32("min issuer event id")?,
            commands: r.u8("number of commands")?,
            tariff_type: r.u8("tariff type")?,
        },
        (PRICE_CLUSTER, true, true, PUBLISH_BILLING_PERIOD) => GasPayload::BillingPeriod {
            provider_id: r.le32("provider id")?,
            issuer_event_id: r.le32("issuer event id")?,
            start: r.le32("billing period start time")?,
            duration: {
                let b = r.take(3, "billing period duration")?;
                u32::from_le_bytes([b[0], b[1], b[2], 0])
            },
            duration_type: r.u8("billing period duration type")?,
            tariff_type: r.u8("tariff type")?,
        },
        (PRICE_CLUSTER, true, true, PUBLISH_BLOCK_PERIOD) => GasPayload::BlockPeriod {
            provider_id: r.le32("provider id")?,
            issuer_event_id: r.le32("issuer event id")?,
            start: r.le32("block period start time")?,
            duration: {
                let b = r.take(3, "block period duration")?;
                u32::from_le_bytes([b[0], b[1], b[2], 0])
            },
            control: r.u8("block period control")?,
            duration_type: r.u8("block period duration type")?,
            tariff_type: r.u8("tariff type")?,
            resolution: r.u8("tariff resolution period")?,
        },
        (PREPAYMENT_CLUSTER, true, false, GET_TOP_UP_LOG) => GasPayload::TopUpLogRequest {
            latest: r.le32("latest end time")?,
            count: r.u8("number of records")?,
        },
        (PREPAYMENT_CLUSTER, true, true, PUBLISH_TOP_UP_LOG) => {
            let command_index = r.u8("command index")?;
            let commands = r.u8("total number of commands")?;
            let mut entries = Vec::new();
            while r.at < payload.len() {
                let n = usize::from(r.u8("UTRN length")?);
                let Ok(utrn) = std::str::from_utf8(r.take(n, "UTRN")?) else {
                    return Ok(None);
                };
                entries.push(TopUpEntry {
                    utrn: utrn.to_string(),
                    amount: r.le32("top-up amount")? as i32,
                    time: r.le32("top-up time")?,
                });
            }
            GasPayload::TopUpLog {
                command_index,
                commands,
                entries,
            }
        }
        (PREPAYMENT_CLUSTER, true, false, GET_DEBT_REPAYMENT_LOG) => GasPayload::DebtLogRequest {
            latest: r.le32("latest end time")?,
            count: r.u8("number of debts")?,
            debt_type: r.u8("debt type")?,
        },
        (PREPAYMENT_CLUSTER, true, true, PUBLISH_DEBT_LOG) => {
            let command_index = r.u8("command index")?;
            let commands = r.u8("total number of commands")?;
            let mut entries = Vec::new();
            while r.at < payload.len() {
                entries.push(DebtEntry {
                    time: r.le32("collection time")?,
                    amount: r.le32("amount collected")?,
                    debt_type: r.u8("debt type")?,
                    outstanding: r.le32("outstanding debt")?,
                });
            }
            GasPayload::DebtLog {
                command_index,
                commands,
                entries,
            }
        }
        (PREPAYMENT_CLUSTER, true, false, CHANGE_PAYMENT_MODE) => GasPayload::ChangePaymentMode {
            provider: r.le32("provider id")?,
            event: r.le32("issuer event id")?,
            implement_at: r.le32("implementation date-time")?,
            configuration: r.le16("proposed payment control configuration")?,
            cut_off: r.le32("cut off value")? as i32,
        },
        (PREPAYMENT_CLUSTER, true, true, CHANGE_PAYMENT_MODE_RESPONSE) => {
            GasPayload::PaymentModeSettings {
                friendly_credit: r.u8("friendly credit")?,
                calendar: r.le32("friendly credit calendar id")?,
                emergency_limit: r.le32("emergency credit limit")?,
                emergency_threshold: r.le32("emergency credit threshold")?,
            }
        }
        (PREPAYMENT_CLUSTER, true, true, CONSUMER_TOP_UP_RESPONSE) => GasPayload::TopUpResult {
            result: r.u8("result type")?,
            value: r.le32("top-up value")? as i32,
            source: r.u8("source of top-up")?,
            credit: r.le32("credit remaining")? as i32,
        },
        // The tariff commands, after the Price cluster's others above.
        (CALENDAR_CLUSTER | PRICE_CLUSTER, true, from_server, command) => {
            match TariffPayload::decode(c.cluster, from_server, command, &mut r)? {
                Some(t) if c.frame_control & DISABLE_DEFAULT_RESPONSE != 0 => {
                    GasPayload::TariffAnswer(t)
                }
                Some(t) => GasPayload::Tariff(t),
                None => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    r.end()?;
    Ok(Some(meaning))
}

/// A Read Attributes Response that is one of [`crate::protocol::gbcs::gas_settings`]'s reads, named.
fn settings(c: &Component, attributes: &[Attribute]) -> Option<GasPayload> {
    Some(GasPayload::Settings {
        cluster: c.cluster,
        frame_control: c.frame_control,
        values: crate::protocol::gbcs::gas_settings::named(c.cluster, attributes)?,
    })
}

/// The meaning of a Read Attributes Response from the metering cluster: the firmware version
/// (GCS38) or the consumption register (GCS13a).
fn attributes_meaning(attributes: &[Attribute]) -> Option<GasPayload> {
    if let [attribute] = attributes
        && attribute.id == BILL_TO_DATE
        && attribute.data_type == Some(0x23)
        && let Some(ZclValue::Unsigned(value)) = attribute.value
    {
        return u32::try_from(value)
            .ok()
            .map(|value| GasPayload::BillToDate { value });
    }
    if let [attribute] = attributes
        && attribute.id == FIRMWARE_VERSION
        && let Some(ZclValue::Bytes(version)) = &attribute.value
        && attribute.data_type == Some(0x41)
    {
        return Some(GasPayload::FirmwareVersion {
            version: crate::protocol::gbcs::hex(version),
        });
    }
    if let [attribute] = attributes
        && attribute.id == SITE_ID
        && let Some(ZclValue::Bytes(mprn)) = &attribute.value
        && attribute.data_type == Some(0x41)
    {
        return Some(GasPayload::SiteId {
            mprn: String::from_utf8_lossy(mprn).into_owned(),
        });
    }
    let get = |id: u16| {
        attributes
            .iter()
            .find(|a| a.id == id)
            .and_then(|a| match a.value {
                Some(ZclValue::Unsigned(v)) => Some(v),
                _ => None,
            })
    };
    match (get(0x0000), get(0x0301), get(0x0302), get(0x0300)) {
        (Some(summation), Some(multiplier), Some(divisor), Some(unit)) if divisor > 0 => {
            Some(GasPayload::Registers {
                summation,
                multiplier,
                divisor,
                unit,
                value: decimal(u128::from(summation) * u128::from(multiplier), divisor),
            })
        }
        _ => None,
    }
}

/// GCS14's prepayment registers: the six attributes of [`PREPAY_VALUES`], in order, as their
/// types (int32, then uint32).
fn prepay_values(attributes: &[Attribute]) -> Option<GasPayload> {
    if attributes.len() != PREPAY_VALUES.len() {
        return None;
    }
    let mut signed = [0i32; 3];
    let mut unsigned = [0u32; 3];
    for (i, (a, id)) in attributes.iter().zip(PREPAY_VALUES).enumerate() {
        match (a.id == id, a.data_type, &a.value) {
            (true, Some(0x2B), Some(ZclValue::Signed(v))) if i < 3 => {
                signed[i] = i32::try_from(*v).ok()?
            }
            (true, Some(0x23), Some(ZclValue::Unsigned(v))) if i >= 3 => {
                unsigned[i - 3] = u32::try_from(*v).ok()?
            }
            _ => return None,
        }
    }
    Some(GasPayload::PrepayValues {
        accumulated_debt: signed[0],
        emergency_credit: signed[1],
        credit_remaining: signed[2],
        payment_debt: unsigned[0],
        time_debt: [unsigned[1], unsigned[2]],
    })
}

/// `n ÷ d` written exactly in decimal when `d` is a power of ten, else to six places. `n` is a
/// 48-bit register times a 24-bit multiplier, so it needs more than 64 bits.
fn decimal(n: u128, d: u64) -> String {
    let places = (d as f64).log10();
    if places.fract() == 0.0 && d == 10u64.pow(places as u32) {
        let p = places as usize;
        let d = u128::from(d);
        let (whole, frac) = (n / d, n % d);
        if p == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{frac:0p$}")
        }
    } else {
        format!("{:.6}", n as f64 / d as f64)
    }
}
