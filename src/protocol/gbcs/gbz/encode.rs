//! Writing gas commands and answers: their ZCL payloads, headers and whole GBZ commands.

use super::*;

/// The ZCL payload of a gas command or answer, as a remote party or a device writes it.
pub fn encode_gas_payload(p: &GasPayload) -> Vec<u8> {
    let mut out = Vec::new();
    let le48 = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes()[..6]);
    // One attribute record of a Read Attributes Response: id, success, type, value.
    let record = |out: &mut Vec<u8>, id: u16, data_type: u8, value: &[u8]| {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&[0, data_type]);
        out.extend_from_slice(value);
    };
    match p {
        GasPayload::ReadAttributes { attributes }
        | GasPayload::ReadPrepaymentAttributes { attributes }
        | GasPayload::ReadPriceAttributes { attributes }
        | GasPayload::ReadBasicAttributes { attributes } => {
            for a in attributes {
                out.extend_from_slice(&a.to_le_bytes());
            }
        }
        GasPayload::BillToDate { value } => {
            out.extend_from_slice(&BILL_TO_DATE.to_le_bytes());
            out.extend_from_slice(&[0, 0x23]);
            out.extend_from_slice(&value.to_le_bytes());
        }
        GasPayload::Currency {
            trailing_digit,
            currency,
        } => {
            record(&mut out, PRICE_TRAILING_DIGIT, 0x18, &[*trailing_digit]);
            record(&mut out, CURRENCY, 0x21, &currency.to_le_bytes());
        }
        GasPayload::PrepayValues {
            accumulated_debt,
            emergency_credit,
            credit_remaining,
            payment_debt,
            time_debt,
        } => {
            let [a, e, c, p, t1, t2] = PREPAY_VALUES;
            record(&mut out, a, 0x2B, &accumulated_debt.to_le_bytes());
            record(&mut out, e, 0x2B, &emergency_credit.to_le_bytes());
            record(&mut out, c, 0x2B, &credit_remaining.to_le_bytes());
            record(&mut out, p, 0x23, &payment_debt.to_le_bytes());
            record(&mut out, t1, 0x23, &time_debt[0].to_le_bytes());
            record(&mut out, t2, 0x23, &time_debt[1].to_le_bytes());
        }
        GasPayload::CreditRemaining { value } => {
            out.extend_from_slice(&CREDIT_REMAINING.to_le_bytes());
            out.extend_from_slice(&[0, 0x2B]);
            out.extend_from_slice(&value.to_le_bytes());
        }
        GasPayload::PaymentControl { configuration } => {
            out.extend_from_slice(&PAYMENT_CONTROL_CONFIGURATION.to_le_bytes());
            out.extend_from_slice(&[0, 0x19]);
            out.extend_from_slice(&configuration.to_le_bytes());
        }
        GasPayload::Registers {
            summation,
            multiplier,
            divisor,
            unit,
            ..
        } => {
            // In the order devices answer GCS13a: divisor, multiplier, unit, summation.
            let mut put = |id: u16, data_type: u8, value: u64, size: usize| {
                out.extend_from_slice(&id.to_le_bytes());
                out.push(0);
                out.push(data_type);
                out.extend_from_slice(&value.to_le_bytes()[..size]);
            };
            put(0x0302, 0x22, *divisor, 3);
            put(0x0301, 0x22, *multiplier, 3);
            put(0x0300, 0x30, *unit, 1);
            put(0x0000, 0x25, *summation, 6);
        }
        GasPayload::FirmwareVersion { version } => {
            let bytes = crate::protocol::gbcs::parse_hex(version).unwrap_or_default();
            out.extend_from_slice(&FIRMWARE_VERSION.to_le_bytes());
            out.extend_from_slice(&[0, 0x41, bytes.len().min(255) as u8]);
            out.extend_from_slice(&bytes[..bytes.len().min(255)]);
        }
        GasPayload::SiteId { mprn } => {
            let bytes = &mprn.as_bytes()[..mprn.len().min(255)];
            out.extend_from_slice(&SITE_ID.to_le_bytes());
            out.extend_from_slice(&[0, 0x41, bytes.len() as u8]);
            out.extend_from_slice(bytes);
        }
        GasPayload::StartSampling {
            event,
            start,
            sample_type,
            interval_s,
            max_samples,
        } => {
            out.extend_from_slice(&event.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*sample_type);
            out.extend_from_slice(&interval_s.to_le_bytes());
            out.extend_from_slice(&max_samples.to_le_bytes());
        }
        GasPayload::StartSamplingResponse { sample_id } => {
            out.extend_from_slice(&sample_id.to_le_bytes());
        }
        GasPayload::SampledDataRequest {
            sample_id,
            start,
            sampling_type,
            count,
        } => {
            out.extend_from_slice(&sample_id.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*sampling_type);
            out.extend_from_slice(&count.to_le_bytes());
        }
        GasPayload::SampledData {
            sample_id,
            start,
            sampling_type,
            interval_s,
            samples,
        } => {
            out.extend_from_slice(&sample_id.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*sampling_type);
            out.extend_from_slice(&interval_s.to_le_bytes());
            out.extend_from_slice(&(samples.len() as u16).to_le_bytes());
            for s in samples {
                out.extend_from_slice(&s.to_le_bytes()[..3]);
            }
        }
        GasPayload::SnapshotRequest {
            earliest,
            latest,
            offset,
            cause,
        }
        | GasPayload::PrepaySnapshotRequest {
            earliest,
            latest,
            offset,
            cause,
        } => {
            out.extend_from_slice(&earliest.to_le_bytes());
            out.extend_from_slice(&latest.to_le_bytes());
            out.push(*offset);
            out.extend_from_slice(&cause.to_le_bytes());
        }
        GasPayload::Snapshot {
            id,
            time,
            found,
            command_index,
            commands,
            cause,
            registers,
        } => {
            SnapshotHead {
                id: *id,
                time: *time,
                found: *found,
                command_index: *command_index,
                commands: *commands,
                cause: *cause,
            }
            .write(&mut out);
            match registers {
                SnapshotRegisters::BlockTiers {
                    summation,
                    tiers,
                    tiers_and_blocks,
                    blocks,
                } => {
                    out.push(BLOCK_TIERS_NO_BILLING);
                    le48(&mut out, *summation);
                    out.push(tiers.len() as u8);
                    tiers.iter().for_each(|t| le48(&mut out, *t));
                    out.push(*tiers_and_blocks);
                    blocks.iter().for_each(|b| le48(&mut out, *b));
                }
                SnapshotRegisters::Other { code, bytes } => {
                    out.push(*code);
                    out.extend_from_slice(bytes);
                }
            }
        }
        GasPayload::ChangeSupply {
            provider,
            event,
            requested,
            implement_at,
            proposed,
            control,
        } => {
            for v in [provider, event, requested, implement_at] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&[*proposed, *control]);
        }
        GasPayload::SupplyStatus {
            provider,
            event,
            implemented,
            status,
        } => {
            for v in [provider, event, implemented] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.push(*status);
        }
        GasPayload::ChangeOfSupplier {
            current_provider,
            event,
            tariff_type,
            proposed_provider,
            implement_at,
            control,
            name,
            contact,
        } => {
            out.extend_from_slice(&current_provider.to_le_bytes());
            out.extend_from_slice(&event.to_le_bytes());
            out.push(*tariff_type);
            for v in [proposed_provider, implement_at, control] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for text in [name, contact] {
                octets(&mut out, text.as_bytes());
            }
        }
        GasPayload::ChangeOfTenancy {
            provider,
            event,
            tariff_type,
            implement_at,
            control,
        } => {
            out.extend_from_slice(&provider.to_le_bytes());
            out.extend_from_slice(&event.to_le_bytes());
            out.push(*tariff_type);
            out.extend_from_slice(&implement_at.to_le_bytes());
            out.extend_from_slice(&control.to_le_bytes());
        }
        GasPayload::ConversionFactor {
            event,
            start,
            factor,
            trailing_digit,
        } => {
            for v in [event, start, factor] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.push(*trailing_digit);
        }
        GasPayload::CalorificValue {
            event,
            start,
            value,
            unit,
            trailing_digit,
        } => {
            for v in [event, start, value] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.push(*unit);
            out.push(*trailing_digit);
        }
        GasPayload::UncontrolledFlowThreshold {
            provider,
            event,
            threshold,
            unit,
            multiplier,
            divisor,
            stabilisation,
            measurement,
        } => {
            out.extend_from_slice(&provider.to_le_bytes());
            out.extend_from_slice(&event.to_le_bytes());
            out.extend_from_slice(&threshold.to_le_bytes());
            out.push(*unit);
            out.extend_from_slice(&multiplier.to_le_bytes());
            out.extend_from_slice(&divisor.to_le_bytes());
            out.push(*stabilisation);
            out.extend_from_slice(&measurement.to_le_bytes());
        }
        GasPayload::SetSupplyStatus {
            event,
            tamper,
            depletion,
            uncontrolled_flow,
            load_limit,
        } => {
            out.extend_from_slice(&event.to_le_bytes());
            out.extend_from_slice(&[*tamper, *depletion, *uncontrolled_flow, *load_limit]);
        }
        GasPayload::ClearEventLog { log_id } => out.push(*log_id),
        GasPayload::SetEventConfiguration {
            event,
            start,
            configuration,
            control,
            events,
        } => {
            out.extend_from_slice(&event.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            let events = &events[..events.len().min(255)];
            out.extend_from_slice(&[*configuration, *control, events.len() as u8]);
            for e in events {
                out.extend_from_slice(&e.to_le_bytes());
            }
        }
        GasPayload::GetEventConfiguration { event_id } => {
            out.extend_from_slice(&event_id.to_le_bytes())
        }
        GasPayload::EventConfiguration {
            command_index,
            commands,
            entries,
        } => {
            out.extend_from_slice(&[*command_index, *commands]);
            for (event_id, configuration) in entries {
                out.extend_from_slice(&event_id.to_le_bytes());
                out.push(*configuration);
            }
        }
        GasPayload::EventLogRequest {
            control,
            event_id,
            start,
            end,
            count,
            offset,
        } => {
            out.push(*control);
            out.extend_from_slice(&event_id.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.extend_from_slice(&end.to_le_bytes());
            out.push(*count);
            out.extend_from_slice(&offset.to_le_bytes());
        }
        GasPayload::EventLog {
            matching,
            command_index,
            commands,
            control,
            entries,
        } => {
            out.extend_from_slice(&matching.to_le_bytes());
            out.extend_from_slice(&[*command_index, *commands, *control]);
            for e in entries {
                out.push(e.log_id);
                out.extend_from_slice(&e.event_id.to_le_bytes());
                out.extend_from_slice(&e.time.to_le_bytes());
                let data = &e.data[..e.data.len().min(255)];
                out.push(data.len() as u8);
                out.extend_from_slice(data);
            }
        }
        GasPayload::EventLogCleared { cleared } => out.push(*cleared),
        GasPayload::DisplayMessage {
            id,
            control,
            start,
            minutes,
            message,
        } => {
            out.extend_from_slice(&id.to_le_bytes());
            out.push(*control);
            out.extend_from_slice(&start.to_le_bytes());
            out.extend_from_slice(&minutes.to_le_bytes());
            octets(&mut out, message.as_bytes());
        }
        GasPayload::NewPassword {
            event,
            implement_at,
            minutes,
            password_type,
            password,
        } => {
            out.extend_from_slice(&event.to_le_bytes());
            out.extend_from_slice(&implement_at.to_le_bytes());
            out.extend_from_slice(&minutes.to_le_bytes());
            out.push(*password_type);
            octets(&mut out, password);
        }
        GasPayload::UpdateSiteId {
            event,
            at,
            provider,
            site_id,
        } => {
            for v in [event, at, provider] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            octets(&mut out, site_id.as_bytes());
        }
        GasPayload::EmergencyCreditSetup {
            event,
            start,
            limit,
            threshold,
        } => {
            for v in [event, start, limit, threshold] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        GasPayload::OverallDebtCap {
            provider,
            event,
            implement_at,
            cap,
        } => {
            for v in [provider, event, implement_at, cap] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        GasPayload::LowCreditWarning { level, .. } => out.extend_from_slice(&level.to_le_bytes()),
        GasPayload::ChangeDebt {
            event,
            label,
            amount,
            method,
            amount_type,
            start,
            collection_time,
            frequency,
            recovery_amount,
            percentage,
        } => {
            out.extend_from_slice(&event.to_le_bytes());
            octets(&mut out, label);
            out.extend_from_slice(&amount.to_le_bytes());
            out.extend_from_slice(&[*method, *amount_type]);
            out.extend_from_slice(&start.to_le_bytes());
            out.extend_from_slice(&collection_time.to_le_bytes());
            out.push(*frequency);
            out.extend_from_slice(&recovery_amount.to_le_bytes());
            out.extend_from_slice(&percentage.to_le_bytes());
        }
        GasPayload::MaximumCredit {
            provider,
            event,
            implement_at,
            max_credit,
            max_per_top_up,
        } => {
            for v in [provider, event, implement_at, max_credit, max_per_top_up] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        GasPayload::SelectEmergencyCredit { issued, origin } => {
            out.extend_from_slice(&issued.to_le_bytes());
            out.push(*origin);
        }
        GasPayload::CreditAdjustment {
            event,
            start,
            adjustment,
            value,
        } => {
            out.extend_from_slice(&event.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*adjustment);
            out.extend_from_slice(&value.to_le_bytes());
        }
        GasPayload::TopUp { origin, utrn } => {
            let code = &utrn.as_bytes()[..utrn.len().min(255)];
            out.extend_from_slice(&[*origin, code.len() as u8]);
            out.extend_from_slice(code);
        }
        GasPayload::TopUpResult {
            result,
            value,
            source,
            credit,
        } => {
            out.push(*result);
            out.extend_from_slice(&value.to_le_bytes());
            out.push(*source);
            out.extend_from_slice(&credit.to_le_bytes());
        }
        GasPayload::ChangePaymentMode {
            provider,
            event,
            implement_at,
            configuration,
            cut_off,
        } => {
            for v in [provider, event, implement_at] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&configuration.to_le_bytes());
            out.extend_from_slice(&cut_off.to_le_bytes());
        }
        GasPayload::PaymentModeSettings {
            friendly_credit,
            calendar,
            emergency_limit,
            emergency_threshold,
        } => {
            out.push(*friendly_credit);
            for v in [calendar, emergency_limit, emergency_threshold] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        GasPayload::Settings { values, .. } => {
            for v in values {
                out.extend_from_slice(&v.id.to_le_bytes());
                out.extend_from_slice(&[0, v.data_type]);
                zcl_value_bytes(v.data_type, &v.value, &mut out);
            }
        }
        GasPayload::PrepaySnapshot {
            id,
            time,
            found,
            command_index,
            commands,
            cause,
            payload,
        } => {
            SnapshotHead {
                id: *id,
                time: *time,
                found: *found,
                command_index: *command_index,
                commands: *commands,
                cause: *cause,
            }
            .write(&mut out);
            match payload {
                PrepaySnapshotPayload::DebtCreditStatus {
                    accumulated_debt,
                    debts,
                    emergency_credit,
                    credit_remaining,
                } => {
                    out.push(DEBT_CREDIT_STATUS);
                    out.extend_from_slice(&accumulated_debt.to_le_bytes());
                    debts
                        .iter()
                        .for_each(|d| out.extend_from_slice(&d.to_le_bytes()));
                    out.extend_from_slice(&emergency_credit.to_le_bytes());
                    out.extend_from_slice(&credit_remaining.to_le_bytes());
                }
                PrepaySnapshotPayload::Other { code, bytes } => {
                    out.push(*code);
                    out.extend_from_slice(bytes);
                }
            }
        }
        GasPayload::TopUpLogRequest { latest, count } => {
            out.extend_from_slice(&latest.to_le_bytes());
            out.push(*count);
        }
        GasPayload::BillingPeriodRequest {
            earliest_start,
            min_issuer_event_id,
            commands,
            tariff_type,
        } => {
            out.extend_from_slice(&earliest_start.to_le_bytes());
            out.extend_from_slice(&min_issuer_event_id.to_le_bytes());
            out.extend_from_slice(&[*commands, *tariff_type]);
        }
        GasPayload::BillingPeriod {
            provider_id,
            issuer_event_id,
            start,
            duration,
            duration_type,
            tariff_type,
        } => {
            out.extend_from_slice(&provider_id.to_le_bytes());
            out.extend_from_slice(&issuer_event_id.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            // 24 bits on the wire: a longer duration is sent as the longest.
            out.extend_from_slice(&duration.min(&0xFF_FFFF).to_le_bytes()[..3]);
            out.extend_from_slice(&[*duration_type, *tariff_type]);
        }
        GasPayload::BlockPeriod {
            provider_id,
            issuer_event_id,
            start,
            duration,
            control,
            duration_type,
            tariff_type,
            resolution,
        } => {
            out.extend_from_slice(&provider_id.to_le_bytes());
            out.extend_from_slice(&issuer_event_id.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.extend_from_slice(&duration.min(&0xFF_FFFF).to_le_bytes()[..3]);
            out.extend_from_slice(&[*control, *duration_type, *tariff_type, *resolution]);
        }
        GasPayload::TopUpLog {
            command_index,
            commands,
            entries,
        } => {
            out.extend_from_slice(&[*command_index, *commands]);
            for e in entries {
                let utrn = &e.utrn.as_bytes()[..e.utrn.len().min(255)];
                out.push(utrn.len() as u8);
                out.extend_from_slice(utrn);
                out.extend_from_slice(&e.amount.to_le_bytes());
                out.extend_from_slice(&e.time.to_le_bytes());
            }
        }
        GasPayload::DebtLogRequest {
            latest,
            count,
            debt_type,
        } => {
            out.extend_from_slice(&latest.to_le_bytes());
            out.extend_from_slice(&[*count, *debt_type]);
        }
        GasPayload::DebtLog {
            command_index,
            commands,
            entries,
        } => {
            out.extend_from_slice(&[*command_index, *commands]);
            for e in entries {
                out.extend_from_slice(&e.time.to_le_bytes());
                out.extend_from_slice(&e.amount.to_le_bytes());
                out.push(e.debt_type);
                out.extend_from_slice(&e.outstanding.to_le_bytes());
            }
        }
        GasPayload::DefaultResponse {
            command, status, ..
        } => {
            out.extend_from_slice(&[*command, *status]);
        }
        GasPayload::Tariff(t) | GasPayload::TariffAnswer(t) => t.encode(&mut out),
    }
    out
}

/// The cluster, ZCL frame control and command id a payload travels with: commands from the
/// remote party (client to server), answers from the device (server to client; snapshots
/// and sampled data with default responses disabled, as the RTDS devices send them).
pub fn zcl_header(p: &GasPayload) -> (u16, u8, u8) {
    use GasPayload::*;
    match p {
        ReadAttributes { .. } => (METERING_CLUSTER, 0x00, READ_ATTRIBUTES),
        Registers { .. } => (METERING_CLUSTER, 0x18, READ_ATTRIBUTES_RESPONSE),
        FirmwareVersion { .. } | SiteId { .. } => {
            (METERING_CLUSTER, 0x08, READ_ATTRIBUTES_RESPONSE)
        }
        SampledDataRequest { .. } => (METERING_CLUSTER, 0x01, GET_SAMPLED_DATA),
        StartSampling { .. } => (METERING_CLUSTER, 0x01, START_SAMPLING),
        StartSamplingResponse { .. } => (METERING_CLUSTER, 0x09, START_SAMPLING_RESPONSE),
        // The network data log's answer (sample 2, GCS18) leaves default responses enabled,
        // as the RTDS meter's does; the consumption logs' disable them.
        SampledData { sample_id: 2, .. } => (METERING_CLUSTER, 0x09, GET_SAMPLED_DATA_RESPONSE),
        SampledData { .. } => (METERING_CLUSTER, 0x19, GET_SAMPLED_DATA_RESPONSE),
        SnapshotRequest { .. } => (METERING_CLUSTER, 0x01, GET_SNAPSHOT),
        Snapshot { .. } => (METERING_CLUSTER, 0x19, PUBLISH_SNAPSHOT),
        ChangeSupply { .. } => (METERING_CLUSTER, 0x01, CHANGE_SUPPLY),
        SupplyStatus { .. } => (METERING_CLUSTER, 0x09, SUPPLY_STATUS_RESPONSE),
        TopUp { .. } => (PREPAYMENT_CLUSTER, 0x01, CONSUMER_TOP_UP),
        CreditAdjustment { .. } => (PREPAYMENT_CLUSTER, 0x01, CREDIT_ADJUSTMENT),
        SelectEmergencyCredit { .. } => (PREPAYMENT_CLUSTER, 0x01, SELECT_EMERGENCY_CREDIT),
        EmergencyCreditSetup { .. } => (PREPAYMENT_CLUSTER, 0x01, EMERGENCY_CREDIT_SETUP),
        OverallDebtCap { .. } => (PREPAYMENT_CLUSTER, 0x01, SET_OVERALL_DEBT_CAP),
        ChangeDebt { .. } => (PREPAYMENT_CLUSTER, 0x01, CHANGE_DEBT),
        LowCreditWarning { .. } => (PREPAYMENT_CLUSTER, 0x01, SET_LOW_CREDIT_WARNING_LEVEL),
        MaximumCredit { .. } => (PREPAYMENT_CLUSTER, 0x01, SET_MAXIMUM_CREDIT_LIMIT),
        ChangeOfSupplier { .. } => (DEVICE_MANAGEMENT_CLUSTER, 0x09, PUBLISH_CHANGE_OF_SUPPLIER),
        ChangeOfTenancy { .. } => (DEVICE_MANAGEMENT_CLUSTER, 0x09, PUBLISH_CHANGE_OF_TENANCY),
        ConversionFactor { .. } => (PRICE_CLUSTER, 0x09, PUBLISH_CONVERSION_FACTOR),
        CalorificValue { .. } => (PRICE_CLUSTER, 0x09, PUBLISH_CALORIFIC_VALUE),
        UncontrolledFlowThreshold { .. } => {
            (METERING_CLUSTER, 0x01, SET_UNCONTROLLED_FLOW_THRESHOLD)
        }
        SetSupplyStatus { .. } => (METERING_CLUSTER, 0x01, SET_SUPPLY_STATUS),
        EventLogRequest { .. } => (EVENTS_CLUSTER, 0x01, GET_EVENT_LOG),
        EventLog { .. } => (EVENTS_CLUSTER, 0x19, PUBLISH_EVENT_LOG),
        ClearEventLog { .. } => (EVENTS_CLUSTER, 0x01, CLEAR_EVENT_LOG_REQUEST),
        EventLogCleared { .. } => (EVENTS_CLUSTER, 0x09, CLEAR_EVENT_LOG_RESPONSE),
        NewPassword { .. } => (
            DEVICE_MANAGEMENT_CLUSTER,
            0x09,
            REQUEST_NEW_PASSWORD_RESPONSE,
        ),
        UpdateSiteId { .. } => (DEVICE_MANAGEMENT_CLUSTER, 0x09, UPDATE_SITE_ID),
        SetEventConfiguration { .. } => (DEVICE_MANAGEMENT_CLUSTER, 0x09, SET_EVENT_CONFIGURATION),
        GetEventConfiguration { .. } => (DEVICE_MANAGEMENT_CLUSTER, 0x09, GET_EVENT_CONFIGURATION),
        EventConfiguration { .. } => (DEVICE_MANAGEMENT_CLUSTER, 0x01, REPORT_EVENT_CONFIGURATION),
        DisplayMessage { .. } => (MESSAGING_CLUSTER, 0x09, DISPLAY_MESSAGE),
        TopUpResult { .. } => (PREPAYMENT_CLUSTER, 0x09, CONSUMER_TOP_UP_RESPONSE),
        ChangePaymentMode { .. } => (PREPAYMENT_CLUSTER, 0x01, CHANGE_PAYMENT_MODE),
        PaymentModeSettings { .. } => (PREPAYMENT_CLUSTER, 0x19, CHANGE_PAYMENT_MODE_RESPONSE),
        ReadPrepaymentAttributes { .. } => (PREPAYMENT_CLUSTER, 0x00, READ_ATTRIBUTES),
        ReadPriceAttributes { .. } => (PRICE_CLUSTER, 0x00, READ_ATTRIBUTES),
        ReadBasicAttributes { .. } => (BASIC_CLUSTER, 0x00, READ_ATTRIBUTES),
        &Settings {
            cluster,
            frame_control,
            ..
        } => (cluster, frame_control, READ_ATTRIBUTES_RESPONSE),
        Currency { .. } => (PRICE_CLUSTER, 0x08, READ_ATTRIBUTES_RESPONSE),
        PrepayValues { .. } => (PREPAYMENT_CLUSTER, 0x08, READ_ATTRIBUTES_RESPONSE),
        BillToDate { .. } => (METERING_CLUSTER, 0x08, READ_ATTRIBUTES_RESPONSE),
        CreditRemaining { .. } | PaymentControl { .. } => {
            (PREPAYMENT_CLUSTER, 0x08, READ_ATTRIBUTES_RESPONSE)
        }
        PrepaySnapshotRequest { .. } => (PREPAYMENT_CLUSTER, 0x01, GET_PREPAY_SNAPSHOT),
        PrepaySnapshot { .. } => (PREPAYMENT_CLUSTER, 0x19, PUBLISH_PREPAY_SNAPSHOT),
        TopUpLogRequest { .. } => (PREPAYMENT_CLUSTER, 0x01, GET_TOP_UP_LOG),
        BillingPeriodRequest { .. } => (PRICE_CLUSTER, 0x01, GET_BILLING_PERIOD),
        BillingPeriod { .. } => (PRICE_CLUSTER, 0x09, PUBLISH_BILLING_PERIOD),
        BlockPeriod { .. } => (PRICE_CLUSTER, 0x09, PUBLISH_BLOCK_PERIOD),
        TopUpLog { .. } => (PREPAYMENT_CLUSTER, 0x19, PUBLISH_TOP_UP_LOG),
        DebtLogRequest { .. } => (PREPAYMENT_CLUSTER, 0x01, GET_DEBT_REPAYMENT_LOG),
        DebtLog { .. } => (PREPAYMENT_CLUSTER, 0x19, PUBLISH_DEBT_LOG),
        // The meter is the Device Management and Messaging clusters' client, and the Price
        // cluster's for what it publishes to the meter: its answer goes client to server.
        Tariff(t) => t.header(),
        TariffAnswer(t) => {
            let (cluster, frame_control, command) = t.header();
            (cluster, frame_control | DISABLE_DEFAULT_RESPONSE, command)
        }
        // What a meter answers a calendar or tariff published to it (to a Get it answers the
        // calendar, or NOT_FOUND from the server, below).
        &DefaultResponse {
            cluster: CALENDAR_CLUSTER,
            command:
                PUBLISH_CALENDAR | PUBLISH_DAY_PROFILE | PUBLISH_WEEK_PROFILE | PUBLISH_SEASONS
                | PUBLISH_SPECIAL_DAYS,
            status,
        } if status != NOT_FOUND => (CALENDAR_CLUSTER, 0x00, DEFAULT_RESPONSE),
        &DefaultResponse {
            cluster: cluster @ (DEVICE_MANAGEMENT_CLUSTER | MESSAGING_CLUSTER),
            ..
        }
        | &DefaultResponse {
            cluster: cluster @ PRICE_CLUSTER,
            command:
                PUBLISH_CONVERSION_FACTOR
                | PUBLISH_CALORIFIC_VALUE
                | PUBLISH_BILLING_PERIOD
                | PUBLISH_BLOCK_PERIOD
                | PUBLISH_TARIFF_INFORMATION
                | PUBLISH_PRICE_MATRIX
                | PUBLISH_BLOCK_THRESHOLDS,
            ..
        } => (cluster, 0x00, DEFAULT_RESPONSE),
        &DefaultResponse { cluster, .. } => (cluster, 0x08, DEFAULT_RESPONSE),
    }
}

/// The GBZ payload of a remote party's gas command: one component per payload, in clear, the
/// last marked so, as the RTDS commands carry them (GCS16a asks for each day's snapshot in a
/// component of its own), each with the From Date-Time `from` (GBCS seconds) when given (a log
/// read's start: GCS15d, GCS15e) or the payload carries one of its own (a future-dated
/// SetLowCreditWarningLevel), ZCL sequence numbers counting from `sequence`.
pub fn gas_command(payloads: &[GasPayload], from: Option<u32>, sequence: u8) -> Vec<u8> {
    let n = payloads.len();
    Gbz::Components {
        components: payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (cluster, frame_control, command) = zcl_header(p);
                let from = match p {
                    GasPayload::LowCreditWarning { from: own, .. } => own.or(from),
                    _ => from,
                };
                Component {
                    control: u8::from(i + 1 == n) | if from.is_some() { FROM_DATE_TIME } else { 0 },
                    cluster,
                    from,
                    additional_header: None,
                    frame_control,
                    sequence: sequence.wrapping_add(i as u8),
                    command,
                    payload: encode_gas_payload(p),
                }
            })
            .collect(),
    }
    .encode()
}

/// A ZCL value as `data_type` writes it: integers little-endian in the type's size, strings
/// after their length.
fn zcl_value_bytes(data_type: u8, value: &ZclValue, out: &mut Vec<u8>) {
    match (data_type, value) {
        (0x41 | 0x42, ZclValue::Bytes(b)) => {
            let b = &b[..b.len().min(255)];
            out.push(b.len() as u8);
            out.extend_from_slice(b);
        }
        (0x43 | 0x44, ZclValue::Bytes(b)) => {
            let b = &b[..b.len().min(0xFFFF)];
            out.extend_from_slice(&(b.len() as u16).to_le_bytes());
            out.extend_from_slice(b);
        }
        (0x28..=0x2F, &ZclValue::Signed(v)) => {
            out.extend_from_slice(&v.to_le_bytes()[..usize::from(data_type - 0x27)]);
        }
        (_, &ZclValue::Unsigned(v)) => {
            out.extend_from_slice(&v.to_le_bytes()[..fixed_size(data_type).min(8)]);
        }
        (_, &ZclValue::Signed(v)) => {
            out.extend_from_slice(&v.to_le_bytes()[..fixed_size(data_type).min(8)]);
        }
        (_, ZclValue::Bytes(b)) => out.extend_from_slice(b),
    }
}

/// A ZCL octet string: its length, then at most 255 of `bytes`.
fn octets(out: &mut Vec<u8>, bytes: &[u8]) {
    let bytes = &bytes[..bytes.len().min(255)];
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}
