//! Reading GBCS electricity payloads: commands, responses and alerts to typed readings.

use super::*;

/// Reads the meaning of a DLMS payload. Sealed values are opened when `keys` holds the
/// recipient's private key-agreement key; otherwise they stay [`Reading::Sealed`].
pub fn decode_dlms(
    message: &GbcsMessage,
    keys: Option<&KeyStore>,
) -> Result<Reading, PayloadError> {
    let code = message.message_code().unwrap_or(0);
    Ok(match Apdu::decode(&message.signing.content)? {
        Apdu::DataNotification(n) => alert(&n).ok_or_else(|| shape(code, "alert body"))?,
        Apdu::AccessRequest(r) => command(code, &r).ok_or_else(|| shape(code, "command"))?,
        Apdu::AccessResponse(r) => response(code, &r, keys, &message.signing.other_information)?,
    })
}

fn alert(n: &DataNotification) -> Option<Reading> {
    let items = n.body.items()?;
    let code = u16::try_from(items.first()?.as_i64()?).ok()?;
    let at = items.get(1).and_then(date_time);
    let outage = match (code, items.get(2), items.get(3)) {
        (0x8F35..=0x8F3C, Some(from), Some(to)) => Some((date_time(from)?, date_time(to)?)),
        _ => None,
    };
    let future_dated = match (code, items.get(2)) {
        (0x8F66 | 0x8F67, Some(Data::OctetString(b))) if b.len() == 19 => {
            Some(FutureDatedOutcome {
                message_code: u16::from_be_bytes([b[0], b[1]]),
                originator_counter: u64::from_be_bytes(b[2..10].try_into().ok()?),
                class_id: u16::from_be_bytes([b[10], b[11]]),
                instance: crate::protocol::dlms::Obis(b[12..18].try_into().ok()?),
                attribute: b[18] as i8,
            })
        }
        _ => None,
    };
    Some(Reading::Alert {
        code,
        name: alert_name(code),
        at,
        outage,
        future_dated,
    })
}

pub(super) fn date_time(d: &Data) -> Option<DateTime<Utc>> {
    let t = CosemDateTime::from_octets(d.as_octets()?)?;
    Some(t.naive()?.and_utc())
}

fn command(code: u16, r: &AccessRequest) -> Option<Reading> {
    if matches!(code, ECS02 | ECS03) {
        return payment_mode_of(r);
    }
    if matches!(
        code,
        ECS01A
            | ECS01B
            | ECS01C
            | ECS01D
            | ECS07
            | ECS08
            | ECS08A
            | ECS28A
            | ECS28B
            | ECS29A
            | ECS29B
            | ECS29C
            | ECS29D
            | ECS29E
            | ECS29F
            | ECS81
            | ECS48
            | ECS05
            | ECS46A
            | ECS46C
            | ECS46D
            | ECS47
            | ECS62
            | ECS47A
            | ECS47E
            | DBCH04
            | DBCH05
            | CCS07
            | CCS03
    ) || super::behaviours::configured_by(code).is_some()
    {
        return configuration::configuration_of(code, r);
    }
    if code == ECS23 || code == ECS61C {
        // Registers first, then the voltage log (or the boost log) with its range.
        return r.specs.iter().find_map(|s| match s {
            RequestSpec::GetWithSelection(_, s) if s.selector == 1 => range_of(s),
            _ => None,
        });
    }
    if code == ECS57 {
        // GBCS ECS57: each spec the reset of a maximum demand register (method 1 of its
        // extended register), each with the integer 0 as its parameter.
        let registers = r
            .specs
            .iter()
            .zip(&r.data)
            .map(|(spec, data)| match (spec, data) {
                (RequestSpec::Action(m), Data::Integer(0))
                    if m.class_id == EXTENDED_REGISTER && m.method == 1 =>
                {
                    MaxDemandRegister::of_object(m.instance.0)
                }
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        let whole = registers.len() == r.specs.len() && r.data.len() == r.specs.len();
        return (!registers.is_empty() && whole).then_some(Reading::ResetMaxDemand { registers });
    }
    if code == ECS70 {
        // GBCS ECS70: the clock base set, preset_adjusting_time with the validity interval,
        // adjust_to_preset_time, then gets of the time and the status.
        let clock = |spec: &RequestSpec| match spec {
            RequestSpec::Set(a) => (a.class_id, a.instance.0, a.attribute, 's'),
            RequestSpec::Action(m) => (m.class_id, m.instance.0, m.method, 'a'),
            RequestSpec::Get(a) => (a.class_id, a.instance.0, a.attribute, 'g'),
            _ => (0, [0; 6], 0, '?'),
        };
        let shape: Vec<_> = r.specs.iter().map(clock).collect();
        let expected = [
            (CLOCK, CLOCK_OBIS, CLOCK_BASE, 's'),
            (CLOCK, CLOCK_OBIS, PRESET_ADJUSTING_TIME, 'a'),
            (CLOCK, CLOCK_OBIS, ADJUST_TO_PRESET_TIME, 'a'),
            (CLOCK, CLOCK_OBIS, CLOCK_TIME, 'g'),
            (CLOCK, CLOCK_OBIS, CLOCK_STATUS, 'g'),
        ];
        if shape != expected {
            return None;
        }
        let window = r.data.get(1)?.items()?;
        let [_, from, to] = window else {
            return None;
        };
        return Some(Reading::SynchroniseClock {
            from: date_time(from)?,
            to: date_time(to)?,
        });
    }
    if code == ECS16 {
        // GBCS ECS16: the supplier's telephone number, then its name, each set as an octet
        // string.
        let set = |i: usize, object: [u8; 6]| match (r.specs.get(i)?, r.data.get(i)?) {
            (RequestSpec::Set(a), Data::OctetString(v))
                if a.class_id == SUPPLIER_CONTACT_CLASS
                    && a.instance.0 == object
                    && a.attribute == 2 =>
            {
                Some(String::from_utf8_lossy(v).into_owned())
            }
            _ => None,
        };
        let (telephone, name) = (set(0, SUPPLIER_TELEPHONE)?, set(1, SUPPLIER_NAME)?);
        return (r.specs.len() == 2).then_some(Reading::SupplierName { name, telephone });
    }
    if code == ECS04B {
        // GBCS ECS04b: set_amount_to_value(0) on the meter balance and the two other credits,
        // in that order.
        let credits: Vec<[u8; 6]> = r
            .specs
            .iter()
            .zip(&r.data)
            .map(|(spec, data)| match (spec, data) {
                (RequestSpec::Action(m), Data::DoubleLong(0))
                    if m.class_id == CREDIT && m.method == SET_AMOUNT_TO_VALUE =>
                {
                    Some(m.instance.0)
                }
                _ => None,
            })
            .collect::<Option<_>>()?;
        return (credits == RESET_CREDITS && r.data.len() == r.specs.len())
            .then_some(Reading::ResetBalance);
    }
    match (r.specs.first()?, r.data.first()?) {
        // GBCS ECS09: invoke_credit on the emergency credit, with the integer 0.
        (RequestSpec::Action(m), Data::Integer(0))
            if code == ECS09
                && r.specs.len() == 1
                && r.data.len() == 1
                && m.class_id == CREDIT
                && m.instance.0 == EMERGENCY_CREDIT
                && m.method == INVOKE_CREDIT =>
        {
            Some(Reading::ActivateEmergencyCredit)
        }
        // GBCS ECS04a: update_amount on the meter balance, the adjustment its parameter.
        (RequestSpec::Action(m), &Data::DoubleLong(amount))
            if code == ECS04A
                && r.specs.len() == 1
                && r.data.len() == 1
                && m.class_id == CREDIT
                && m.instance.0 == METER_BALANCE
                && m.method == UPDATE_AMOUNT =>
        {
            Some(Reading::AdjustBalance { amount })
        }
        // GBCS ECS34: the register monitor's thresholds, two double-long-unsigned.
        (RequestSpec::Set(a), Data::Array(thresholds))
            if code == ECS34
                && r.specs.len() == 1
                && a.class_id == REGISTER_MONITOR
                && a.instance.0 == POWER_THRESHOLDS
                && a.attribute == 2 =>
        {
            match thresholds.as_slice() {
                &[
                    Data::DoubleLongUnsigned(low_medium),
                    Data::DoubleLongUnsigned(medium_high),
                ] => Some(Reading::PowerThresholds {
                    low_medium,
                    medium_high,
                }),
                _ => None,
            }
        }
        // GBCS ECS38: the randomised offset limit, a long-unsigned.
        (RequestSpec::Set(a), &Data::LongUnsigned(seconds))
            if code == ECS38
                && r.specs.len() == 1
                && a.class_id == DATA
                && a.instance.0 == RANDOMISED_OFFSET_LIMIT
                && a.attribute == 2 =>
        {
            Some(Reading::RandomisedOffsetLimit { seconds })
        }
        (RequestSpec::Set(a), schedule)
            if code == ECS37
                && a.class_id == SCHEDULE
                && a.instance.0 == MAX_DEMAND_PERIOD
                && a.attribute == 2 =>
        {
            let (start, end) = max_demand_period_of(schedule)?;
            Some(Reading::MaxDemandPeriod { start, end })
        }
        (RequestSpec::Set(a), Data::OctetString(v)) if a.class_id == DATA && a.attribute == 2 => {
            match (code, a.instance.0) {
                (ECS10, SUPPLIER_MESSAGE) => Some(Reading::DisplayMessage {
                    message: String::from_utf8_lossy(v).into_owned(),
                }),
                (ECS12, RESTRICT_DATA) => Some(Reading::RestrictData {
                    from: date_time(&r.data[0])?,
                }),
                (ECS14, PRIVACY_PIN) if v.is_empty() => Some(Reading::DisablePrivacyPin),
                (ECS39A, IMPORT_MPAN) | (ECS39B, EXPORT_MPAN) => Some(Reading::SetMeterPoint {
                    export: code == ECS39B,
                    digits: String::from_utf8_lossy(v).into_owned(),
                }),
                _ => None,
            }
        }
        (RequestSpec::Set(a), Data::Array(entries))
            if matches!(code, ECS30 | ECS30A)
                && a.class_id == SINGLE_ACTION_SCHEDULE
                && a.attribute == 4 =>
        {
            let executions = entries
                .iter()
                .map(|e| match e.items()? {
                    [Data::OctetString(t), Data::OctetString(d)] => Some(BillingExecution {
                        time: t.as_slice().try_into().ok()?,
                        date: d.as_slice().try_into().ok()?,
                    }),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            Some(Reading::BillingCalendar { executions })
        }
        (RequestSpec::Action(m), Data::Integer(0))
            if code == ECS15A && m.class_id == PROFILE_GENERIC && m.instance.0 == EVENT_LOG =>
        {
            Some(Reading::ClearEventLog)
        }
        (RequestSpec::Action(m), Data::Integer(0))
            if code == ECS15C
                && m.class_id == PROFILE_GENERIC
                && m.instance.0 == auxiliary::ALCS_EVENT_LOG =>
        {
            Some(Reading::ClearEventLog)
        }
        (RequestSpec::Action(m), params) if m.class_id == DATA_PROTECTION => {
            // get_protected_attributes: [[class, name, attribute, index, [selector, params]]]
            let request = params.items()?.first()?.items()?.first()?.items()?;
            let access = request.get(4)?.items()?;
            match (access.first()?, access.get(1)?) {
                (Data::Enum(1), Data::Structure(range)) => Some(Reading::Range {
                    from: range.first().and_then(date_time),
                    to: range.get(1).and_then(date_time),
                }),
                _ => Some(Reading::Read),
            }
        }
        (RequestSpec::GetWithSelection(_, s), _) if s.selector == 1 => range_of(s),
        (RequestSpec::Get(_), _) => Some(Reading::Read),
        (RequestSpec::Action(m), Data::OctetString(utrn)) if m.class_id == TOKEN_GATEWAY => {
            Some(Reading::TopUp {
                utrn: String::from_utf8_lossy(utrn).into_owned(),
            })
        }
        (RequestSpec::Action(m), params)
            if m.class_id == ZIGBEE_NETWORK_CONTROL && code == CCS01 =>
        {
            let [
                Data::OctetString(device),
                Data::Enum(key_type),
                Data::OctetString(key),
                Data::Enum(device_type),
            ] = params.items()?
            else {
                return None;
            };
            let join_timeout_s = match r.data.get(1)? {
                Data::LongUnsigned(t) => *t,
                _ => return None,
            };
            matches!(r.data.get(2)?, Data::Boolean(b) if *b != 0).then_some(())?;
            Some(Reading::DeviceLogAdd {
                device: Eui64(device.as_slice().try_into().ok()?),
                key_type: *key_type,
                install_code: crate::protocol::gbcs::hex(key),
                device_type: *device_type,
                join_timeout_s,
            })
        }
        (RequestSpec::Action(m), Data::OctetString(device))
            if m.class_id == ZIGBEE_NETWORK_CONTROL && code == CCS02 =>
        {
            Some(Reading::DeviceLogRemove {
                device: Eui64(device.as_slice().try_into().ok()?),
            })
        }
        (RequestSpec::Action(m), Data::LongUnsigned(script)) if m.class_id == SCRIPT_TABLE => {
            match code {
                ECS42 | ECS43 | ECS44 => Some(Reading::Supply {
                    enable: code == ECS42,
                    script: *script,
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The range of a by-range selective access: entries stamped from `from` to `to`.
fn range_of(s: &crate::protocol::dlms::SelectiveAccess) -> Option<Reading> {
    let p = s.parameters.items()?;
    let stamp = |d: Option<&Data>| {
        d.and_then(Data::as_i64)
            .and_then(|s| u32::try_from(s).ok())
            .map(from_gbcs_seconds)
    };
    Some(Reading::Range {
        from: stamp(p.get(1)),
        to: stamp(p.get(2)),
    })
}

fn response(
    code: u16,
    r: &AccessResponse,
    keys: Option<&KeyStore>,
    other_information: &[u8],
) -> Result<Reading, PayloadError> {
    let first = r.data.first();
    if code == ECS23
        && let [
            Data::DoubleLongUnsigned(sags),
            _,
            Data::DoubleLongUnsigned(swells),
            _,
            Data::CompactArray { elements, .. },
            Data::DoubleLongUnsigned(capture_period_s),
        ] = r.data.as_slice()
    {
        return Ok(Reading::NetworkData {
            sags: *sags,
            swells: *swells,
            voltages: intervals(code, elements)?,
            capture_period_s: *capture_period_s,
        });
    }
    if code == ECS61C
        && let Some(reading) = auxiliary::boost_of(&r.data)
    {
        return Ok(reading);
    }
    if code == ECS17A
        && let [
            Data::DoubleLongUnsigned(active_wh),
            active_unit,
            Data::DoubleLongUnsigned(reactive_varh),
            reactive_unit,
        ] = r.data.as_slice()
    {
        if scale(active_unit) != Some((0, Unit::WattHour))
            || scale(reactive_unit) != Some((0, Unit::VarHour))
        {
            return Err(shape(
                code,
                "export registers are not {Wh, scaler-unit, varh, scaler-unit}",
            ));
        }
        return Ok(Reading::ExportRegisters {
            active_wh: *active_wh,
            reactive_varh: *reactive_varh,
        });
    }
    if code == ECS45
        && let ([Data::Enum(state)], [s]) = (r.data.as_slice(), r.results.as_slice())
        && s.succeeded()
    {
        return Ok(Reading::SupplyStatus { state: *state });
    }
    if code == ECS70
        && r.results.iter().all(|s| s.succeeded())
        && let [_, _, _, time, Data::Unsigned(status)] = r.data.as_slice()
        && let Some(time) = date_time(time)
    {
        return Ok(Reading::Clock {
            time,
            status: *status,
        });
    }
    if code == ECS40
        && let [Data::OctetString(import), Data::OctetString(export)] = r.data.as_slice()
    {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        return Ok(Reading::MeterPoints {
            import: text(import),
            export: text(export),
        });
    }
    if code == CCS07
        && let Some(reading) = super::pan::backups_of(r)
    {
        return Ok(reading);
    }
    if r.results.iter().all(|s| s.succeeded())
        && let Some(values) = name_values(code, &r.data)
    {
        return Ok(Reading::Settings { values });
    }
    if let Some(sealed) = first.and_then(|d| sealed_of(d, other_information)) {
        let sealed = sealed?;
        return match keys.map(|k| sealed.open(k)) {
            Some(Ok(plaintext)) => plaintext_reading(code, &plaintext),
            Some(Err(SealError::NoPrivateKey(_) | SealError::NoPublicKey(_))) | None => {
                Ok(Reading::Sealed { sealed })
            }
            Some(Err(e)) => Err(e.into()),
        };
    }
    Ok(match (code, first) {
        (ECS22A, Some(Data::CompactArray { elements, .. })) => Reading::ExportProfile {
            intervals: intervals(code, elements)?,
        },
        (ECS22C, Some(Data::CompactArray { elements, .. })) => Reading::ReactiveImportProfile {
            intervals: intervals(code, elements)?,
        },
        (ECS21C, Some(Data::CompactArray { elements, .. })) => Reading::ExportDailyReadLog {
            days: intervals(code, elements)?,
        },
        (ECS20A | ECS20D, Some(Data::CompactArray { elements, .. })) => Reading::BillingDataLog {
            entries: intervals(code, elements)?,
        },
        (ECS17C, Some(Data::Structure(items))) => match items.as_slice() {
            [
                Data::DoubleLongUnsigned(watts),
                unit,
                Data::DoubleLongUnsigned(second),
            ] if scale(unit) == Some((0, Unit::Watt)) => Reading::ActivePowerImport {
                watts: *watts,
                second: *second,
            },
            _ => return Err(shape(code, "active power is not {W, scaler-unit, W}")),
        },
        (ECS52, Some(Data::OctetString(v))) => Reading::FirmwareVersion {
            version: crate::protocol::gbcs::hex(v),
        },
        (ECS82, Some(Data::DoubleLong(balance))) => Reading::MeterBalance { balance: *balance },
        (ECS26J, Some(Data::Structure(items))) => match items.as_slice() {
            [Data::Enum(mode @ 1..=2), Data::Enum(status)] => Reading::AccountMode {
                prepayment: *mode == 2,
                status: *status,
            },
            _ => return Err(shape(code, "account mode is not {enum 1 or 2, enum}")),
        },
        (ECS35A | ECS35C | DBCH02, Some(Data::CompactArray { elements, .. })) => {
            Reading::EventLog {
                events: elements
                    .iter()
                    .map(|e| match e.items()? {
                        [
                            Data::DoubleLongUnsigned(at),
                            Data::LongUnsigned(code),
                            Data::OctetString(detail),
                        ] => Some(LoggedEvent {
                            at: from_gbcs_seconds(*at),
                            code: *code,
                            detail: detail.clone(),
                        }),
                        _ => None,
                    })
                    .collect::<Option<_>>()
                    .ok_or_else(|| shape(code, "event is not {time stamp, event code, details}"))?,
            }
        }
        (ECS35B | ECS35D, Some(Data::CompactArray { elements, .. })) => Reading::SecurityLog {
            events: elements
                .iter()
                .map(|e| match e.items()? {
                    [Data::DoubleLongUnsigned(at), Data::LongUnsigned(code)] => Some(LoggedEvent {
                        at: from_gbcs_seconds(*at),
                        code: *code,
                        detail: Vec::new(),
                    }),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or_else(|| shape(code, "event is not {time stamp, event code}"))?,
        },
        (ECS35F | ECS35G, Some(Data::CompactArray { elements, .. })) => Reading::AlcsEventLog {
            events: auxiliary::alcs_events_of(elements).ok_or_else(|| {
                shape(
                    code,
                    "event is not {time stamp, event code, status, reference}",
                )
            })?,
        },
        (ECS35E, Some(Data::CompactArray { elements, .. })) => Reading::PowerEventLog {
            events: elements
                .iter()
                .map(|e| match e.items()? {
                    [
                        Data::DoubleLongUnsigned(at),
                        Data::LongUnsigned(code),
                        Data::DoubleLongUnsigned(number),
                    ] => Some(PowerEvent {
                        at: from_gbcs_seconds(*at),
                        code: *code,
                        number: *number,
                    }),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or_else(|| shape(code, "event is not {time stamp, event code, number}"))?,
        },
        // No values, or some of them refused (ECS23's voltage log, say): the outcome.
        _ if r.data.iter().all(|d| *d == Data::Null)
            || r.results.iter().any(|s| !s.succeeded()) =>
        {
            let failed = r.results.iter().find(|s| !s.succeeded());
            Reading::Outcome {
                success: failed.is_none(),
                code: failed.map_or(0, |s| s.code()),
            }
        }
        _ => Reading::Other {
            reason: "response values of a use case not interpreted here".into(),
            values: r.data.clone(),
        },
    })
}

/// The sealed payload of a protected-attributes response, if this is one. The protection
/// parameters name its parties and the transaction id; the answer to a relayed request is
/// sealed for the user and under the counter its other information names instead.
fn sealed_of(d: &Data, other_information: &[u8]) -> Option<Result<Sealed, PayloadError>> {
    let [Data::Array(params), Data::OctetString(protected)] = d.items()? else {
        return None;
    };
    let p = params.first()?.items()?;
    let fields = p.get(1)?.items()?;
    let mut tid: [u8; 9] = fields.first()?.as_octets()?.try_into().ok()?;
    let originator = Eui64(fields.get(1)?.as_octets()?.try_into().ok()?);
    let mut recipient = Eui64(fields.get(2)?.as_octets()?.try_into().ok()?);
    if let Some((user, counter)) = crate::protocol::gbcs::sealed::relayed(other_information) {
        recipient = user;
        if let Some(counter) = counter {
            tid[1..].copy_from_slice(&counter);
        }
    }
    Some(Sealed::from_parts(originator, recipient, tid, protected).map_err(Into::into))
}

/// The values of a sealed payload's plaintext, as use case `code` lays them out.
pub fn decode_plaintext(code: u16, plaintext: &[u8]) -> Result<Reading, PayloadError> {
    plaintext_reading(code, plaintext)
}

fn plaintext_reading(code: u16, plaintext: &[u8]) -> Result<Reading, PayloadError> {
    if matches!(code, ECS22B | ECS66)
        && let Some(entries) = u32_entries(plaintext)
    {
        return Ok(match code {
            ECS22B => Reading::ActiveImportProfile { intervals: entries },
            _ => Reading::DailyConsumptionLog { days: entries },
        });
    }
    let value = Data::decode(plaintext)?;
    let attributes = value
        .items()
        .ok_or_else(|| shape(code, "plaintext is not a structure of attribute values"))?;
    let entries = || match attributes.first() {
        Some(Data::CompactArray { elements, .. }) => Ok(elements.as_slice()),
        _ => Err(shape(code, "plaintext holds no compact array of entries")),
    };
    Ok(match code {
        ECS17B => {
            let mut registers: Vec<Register> = Vec::new();
            for attribute in attributes {
                let items = attribute
                    .items()
                    .ok_or_else(|| shape(code, "register values are not a structure"))?;
                let mut items = items.iter().peekable();
                while let Some(value) = items.next() {
                    let raw = u32_of(value).ok_or_else(|| shape(code, "register value"))?;
                    let own = items.next_if(|d| scale(d).is_some()).and_then(scale);
                    let (scaler, unit) = own
                        .or_else(|| registers.last().map(|r| (r.scaler, r.unit)))
                        .ok_or_else(|| shape(code, "register without scaler and unit"))?;
                    registers.push(Register {
                        raw,
                        scaler,
                        unit,
                        own_scale: own.is_some(),
                    });
                }
            }
            Reading::ImportRegisters { registers }
        }
        ECS21B => Reading::PrepaymentDailyReadLog {
            days: entries()?
                .iter()
                .map(prepayment_entry)
                .collect::<Option<_>>()
                .ok_or_else(|| shape(code, "prepayment daily read log entry"))?,
        },
        ECS21A => Reading::DailyReadLog {
            days: entries()?
                .iter()
                .map(daily_read)
                .collect::<Option<_>>()
                .ok_or_else(|| shape(code, "daily read log entry"))?,
        },
        ECS20B => {
            let (entries, prepayment) = entries()?
                .iter()
                .map(change_of_mode_entry)
                .collect::<Option<_>>()
                .ok_or_else(|| shape(code, "change of mode billing data log entry"))?;
            Reading::ChangeOfModeLog {
                entries,
                prepayment,
            }
        }
        ECS20C => {
            let [
                Data::CompactArray {
                    elements: billing, ..
                },
                Data::CompactArray {
                    elements: prepayment,
                    ..
                },
            ] = attributes
            else {
                return Err(shape(code, "plaintext is not the two logs' compact arrays"));
            };
            Reading::BillingCalendarLog {
                entries: billing
                    .iter()
                    .map(daily_read)
                    .collect::<Option<_>>()
                    .ok_or_else(|| shape(code, "billing data log entry"))?,
                prepayment: prepayment
                    .iter()
                    .map(prepayment_entry)
                    .collect::<Option<_>>()
                    .ok_or_else(|| shape(code, "prepayment billing data log entry"))?,
            }
        }
        ECS22B => Reading::ActiveImportProfile {
            intervals: intervals(code, entries()?)?,
        },
        ECS66 => Reading::DailyConsumptionLog {
            days: intervals(code, entries()?)?,
        },
        ECS17D | ECS17E => {
            let arrays = attributes
                .first()
                .and_then(Data::items)
                .ok_or_else(|| shape(code, "TOU registers are not a structure of arrays"))?;
            let matrices = arrays
                .iter()
                .map(|a| match a {
                    Data::Array(values) => values.iter().map(u32_of).collect::<Option<Vec<_>>>(),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or_else(|| shape(code, "a TOU register is not a double-long-unsigned"))?;
            Reading::TouRegisters { matrices }
        }
        ECS19 => match attributes.first().and_then(Data::items) {
            Some(
                &[
                    Data::DoubleLong(meter_balance),
                    Data::DoubleLong(emergency_credit),
                    Data::DoubleLong(accumulated_debt),
                    Data::DoubleLong(payment_debt),
                    Data::DoubleLong(time_debt_1),
                    Data::DoubleLong(time_debt_2),
                ],
            ) => Reading::PrepayValues {
                meter_balance,
                emergency_credit,
                accumulated_debt,
                payment_debt,
                time_debt: [time_debt_1, time_debt_2],
            },
            _ => return Err(shape(code, "prepayment registers are not six double-longs")),
        },
        _ => Reading::Other {
            reason: "sealed values of a use case not interpreted here".into(),
            values: attributes.to_vec(),
        },
    })
}

/// A scaler-unit structure: `{integer scaler, enum unit}`.
fn scale(d: &Data) -> Option<(i8, Unit)> {
    match d.items()? {
        [Data::Integer(scaler), Data::Enum(unit)] => Some((*scaler, Unit::from_dlms(*unit))),
        _ => None,
    }
}

fn u32_of(d: &Data) -> Option<u32> {
    match d {
        Data::DoubleLongUnsigned(v) => Some(*v),
        _ => None,
    }
}

fn intervals(code: u16, entries: &[Data]) -> Result<Vec<Interval>, PayloadError> {
    entries
        .iter()
        .map(|e| {
            let items = e.items()?;
            let start = from_gbcs_seconds(u32_of(items.first()?)?);
            let values = items[1..].iter().map(u32_of).collect::<Option<_>>()?;
            Some(Interval { start, values })
        })
        .collect::<Option<_>>()
        .ok_or_else(|| shape(code, "profile entry is not a time stamp and values"))
}

/// The fast path for profile and consumption logs, which are most of what a head-end reads: a
/// plaintext that is exactly `structure { compact-array of structure { double-long-unsigned × n }
/// }` is read straight from its bytes, without building the value tree (same result as
/// [`intervals`] over the tree; anything else returns `None` and takes the general path).
fn u32_entries(plaintext: &[u8]) -> Option<Vec<Interval>> {
    // A DLMS length: one byte below 0x80, or 0x81–0x84 and that many bytes.
    fn length(bytes: &[u8], at: &mut usize) -> Option<usize> {
        let first = *bytes.get(*at)?;
        *at += 1;
        if first < 0x80 {
            return Some(usize::from(first));
        }
        let n = usize::from(first & 0x7F);
        if !(1..=4).contains(&n) {
            return None;
        }
        let mut value = 0usize;
        for _ in 0..n {
            value = value << 8 | usize::from(*bytes.get(*at)?);
            *at += 1;
        }
        Some(value)
    }
    let b = plaintext;
    let mut at = 0;
    // structure of one attribute: a compact array whose type is a structure of n u32s.
    if b.get(at) != Some(&0x02) {
        return None;
    }
    at += 1;
    if length(b, &mut at)? != 1 || b.get(at) != Some(&0x13) || b.get(at + 1) != Some(&0x02) {
        return None;
    }
    at += 2;
    let fields = length(b, &mut at)?;
    if fields == 0 || b.get(at..at + fields)?.iter().any(|t| *t != 0x06) {
        return None;
    }
    at += fields;
    let size = length(b, &mut at)?;
    let contents = b.get(at..)?;
    if contents.len() != size || size % (4 * fields) != 0 {
        return None;
    }
    let u32_at = |chunk: &[u8], i: usize| {
        u32::from_be_bytes([chunk[i], chunk[i + 1], chunk[i + 2], chunk[i + 3]])
    };
    // Entries of one day share their date: it is worked out once a day, not once an entry.
    let mut day: Option<(u32, chrono::NaiveDate)> = None;
    let mut stamp = |secs: u32| {
        let (n, of_day) = (secs / 86_400, secs % 86_400);
        let date = match day {
            Some((d, date)) if d == n => date,
            _ => {
                let date = from_gbcs_seconds(n * 86_400).date_naive();
                day = Some((n, date));
                date
            }
        };
        chrono::NaiveTime::from_num_seconds_from_midnight_opt(of_day, 0)
            .map(|t| date.and_time(t).and_utc())
            .unwrap_or_else(|| from_gbcs_seconds(secs))
    };
    Some(
        contents
            .chunks_exact(4 * fields)
            .map(|entry| Interval {
                start: stamp(u32_at(entry, 0)),
                values: (1..fields).map(|f| u32_at(entry, 4 * f)).collect(),
            })
            .collect(),
    )
}

fn daily_read(entry: &Data) -> Option<DailyRead> {
    daily_read_of(entry.items()?)
}

/// One entry of the change of mode log: the registers, laid out as the daily read log's, then
/// the six prepayment registers.
fn change_of_mode_entry(entry: &Data) -> Option<(DailyRead, PrepaymentEntry)> {
    let items = entry.items()?;
    let (registers, prepayment) = items.split_at(items.len().checked_sub(6)?);
    let read = daily_read_of(registers)?;
    let prepayment = prepayment_registers(read.at, prepayment)?;
    Some((read, prepayment))
}

/// A time stamp, then totals, then register arrays.
fn daily_read_of(items: &[Data]) -> Option<DailyRead> {
    let at = from_gbcs_seconds(u32_of(items.first()?)?);
    let mut totals = Vec::new();
    let mut registers = Vec::new();
    for item in &items[1..] {
        match item {
            Data::Array(values) => {
                registers.push(values.iter().map(u32_of).collect::<Option<Vec<_>>>()?)
            }
            other if registers.is_empty() => totals.push(u32_of(other)?),
            _ => return None,
        }
    }
    Some(DailyRead {
        at,
        totals,
        registers,
    })
}

/// One entry of the prepayment billing data log: its time stamp, then the six prepayment
/// registers as ECS19 reads them.
fn prepayment_entry(entry: &Data) -> Option<PrepaymentEntry> {
    let [at, values @ ..] = entry.items()? else {
        return None;
    };
    prepayment_registers(from_gbcs_seconds(u32_of(at)?), values)
}

/// The six prepayment registers (double-longs) as an entry at `at`.
fn prepayment_registers(at: DateTime<Utc>, values: &[Data]) -> Option<PrepaymentEntry> {
    let v: Vec<i32> = values
        .iter()
        .map(|d| match d {
            Data::DoubleLong(v) => Some(*v),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some(PrepaymentEntry::of_registers(at, v.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the general path (the value tree) makes of a profile plaintext.
    fn general(plaintext: &[u8]) -> Option<Vec<Interval>> {
        let value = Data::decode(plaintext).ok()?;
        match value.items()?.first()? {
            Data::CompactArray { elements, .. } => intervals(ECS22B, elements).ok(),
            _ => None,
        }
    }

    proptest! {
        /// The fast path reads what the general path reads, for any profile a device sends,
        /// and declines (or agrees) on any byte changed.
        #[test]
        fn profile_fast_path_agrees_with_the_value_tree(
            entries in proptest::collection::vec((0u32..=u32::MAX, proptest::collection::vec(any::<u32>(), 0..3)), 0..60),
            width in 1usize..3,
            flip in any::<(usize, u8)>(),
        ) {
            let intervals: Vec<Interval> = entries
                .into_iter()
                .map(|(s, mut v)| {
                    v.resize(width, 7);
                    Interval { start: from_gbcs_seconds(s), values: v }
                })
                .collect();
            let plaintext = encode_dlms(&Reading::ActiveImportProfile { intervals: intervals.clone() }).unwrap();
            prop_assert_eq!(u32_entries(&plaintext), Some(intervals.clone()));
            prop_assert_eq!(general(&plaintext), Some(intervals));
            let mut bent = plaintext.clone();
            let i = flip.0 % bent.len();
            bent[i] ^= flip.1.max(1);
            if let Some(fast) = u32_entries(&bent) {
                prop_assert_eq!(Some(fast), general(&bent));
            }
        }

        /// Any configuration command (2.3, 6.4.1, 6.4.2, 6.5, 6.27, 6.25, 6.26, 1.7) reads back as it
        /// was built,
        /// and under any other of their use cases' codes reads as nothing.
        #[test]
        fn configuration_commands_round_trip(
            limits in any::<[(u32, u32); 4]>(),
            phases in proptest::collection::vec(any::<(u32, u32, u32)>(), 1..4),
            flag in any::<bool>(),
            which in 0u8..8,
            other in 0usize..12,
            load in any::<(u32, u32, u32)>(),
            when in 0u8..3,
            at in 0u32..=u32::MAX,
            counter in 0u64..1 << 40,
        ) {
            let phases: Vec<AverageVoltage> = phases
                .into_iter()
                .map(|(over, under, period_s)| AverageVoltage { over, under, period_s })
                .collect();
            let count = phases.len() as u8;
            let reading = match which {
                0 => Reading::VoltageSettings(VoltageSettings { limits, phases, reset_counters: flag }),
                1 => Reading::ResetVoltageCounters { phases: count },
                2 => Reading::SupplyTamperState { locked: flag },
                3 => Reading::DailyBlockCounterReset { daily: flag },
                4 => Reading::ResetBlockCounters,
                5 => Reading::LoadLimitSettings {
                    settings: LoadLimit {
                        threshold_w: load.0,
                        period_s: load.1,
                        restoration_s: load.2,
                        disable_supply: flag,
                    },
                    activation: match when {
                        0 => Activation::Now,
                        1 => Activation::Cancel,
                        _ => Activation::At(from_gbcs_seconds(at)),
                    },
                },
                6 => Reading::ResetLoadLimitCounter,
                _ => Reading::UpdateDebt(Debt {
                    time_debts: [load.0 as i32, load.1 as i32],
                    payment_debt: load.2 as i32,
                    recovery_per_payment: load.0 as u16,
                    recovery: [
                        DebtRecovery { rate: load.1 as i16, scale: load.2 as i8, period_s: if flag { 3600 } else { 86_400 } },
                        DebtRecovery { rate: load.2 as i16, scale: load.0 as i8, period_s: at },
                    ],
                }),
            };
            let code = match &reading {
                Reading::VoltageSettings(v) => v.code(),
                Reading::ResetVoltageCounters { phases: 1 } => Some(ECS29E),
                Reading::ResetVoltageCounters { phases: 3 } => Some(ECS29F),
                Reading::ResetVoltageCounters { .. } => None,
                Reading::SupplyTamperState { .. } => Some(ECS81),
                Reading::DailyBlockCounterReset { .. } => Some(ECS48),
                Reading::LoadLimitSettings { .. } => Some(ECS28A),
                Reading::ResetLoadLimitCounter => Some(ECS28B),
                Reading::UpdateDebt(_) => Some(ECS07),
                _ => Some(ECS05),
            };
            let codes = [
                ECS29A, ECS29B, ECS29C, ECS29D, ECS29E, ECS29F, ECS81, ECS48, ECS05, ECS28A, ECS28B,
                ECS07,
            ];
            let Some(code) = code else {
                // Two phases: no use case carries them.
                for c in codes {
                    prop_assert_eq!(encode_command(c, &reading, counter, Eui64([1; 8]), Eui64([2; 8])), None);
                }
                return Ok(());
            };
            let bytes = encode_command(code, &reading, counter, Eui64([1; 8]), Eui64([2; 8])).unwrap();
            let Apdu::AccessRequest(r) = Apdu::decode(&bytes).unwrap() else { panic!() };
            prop_assert_eq!(command(code, &r), Some(reading));
            let other = codes[other];
            if other != code {
                prop_assert_eq!(command(other, &r), None);
            }
        }

        /// Any prepayment configuration (2.1) reads back as it was built, under ECS08 and
        /// ECS08a alike, and not under the other's code.
        #[test]
        fn prepay_configurations_round_trip(
            amounts in any::<(u16, i32, i32, i32, i32, i32)>(),
            special_days in proptest::collection::vec(any::<[u8; 5]>(), 0..21),
            entries in proptest::collection::vec(
                (any::<bool>(), any::<[u8; 4]>(), 0u8..0x80, any::<u32>(), any::<[u8; 5]>(), any::<[u8; 5]>()),
                1..23,
            ),
            when in 0u8..3,
            at in 0u32..=u32::MAX,
            ecs08 in any::<bool>(),
            counter in 0u64..1 << 40,
        ) {
            let n = special_days.len();
            let calendar = entries
                .into_iter()
                .map(|(start, time, weekdays, days, from, to)| NonDisablementEntry {
                    start,
                    time,
                    weekdays,
                    special_days: (0..n).filter(|d| days & (1 << d) != 0).map(|d| d as u8 + 1).collect(),
                    from,
                    to,
                })
                .collect();
            let configuration = PrepayConfiguration {
                debt_recovery_rate_cap: amounts.0,
                emergency_credit_limit: amounts.1,
                emergency_credit_threshold: amounts.2,
                low_credit_threshold: amounts.3,
                special_days,
                calendar,
                max_meter_balance: amounts.4,
                max_credit_threshold: amounts.5,
            };
            let activation = match when {
                0 => Activation::Now,
                1 => Activation::Cancel,
                _ => Activation::At(from_gbcs_seconds(at)),
            };
            let reading = Reading::PrepayConfiguration { configuration: Box::new(configuration), activation };
            let (code, other) = if ecs08 { (ECS08, ECS08A) } else { (ECS08A, ECS08) };
            let bytes = encode_command(code, &reading, counter, Eui64([1; 8]), Eui64([2; 8])).unwrap();
            let Apdu::AccessRequest(r) = Apdu::decode(&bytes).unwrap() else { panic!() };
            prop_assert_eq!(command(code, &r), Some(reading));
            prop_assert_eq!(command(other, &r), None);
        }

        /// Any tariff update (1.1, 1.2, either element) reads back as it was built, and not
        /// under the code of the update of the same element with more or less in it.
        #[test]
        fn tariff_updates_round_trip(
            seasons in proptest::collection::vec(("[a-z]{0,8}", any::<[u8; 5]>(), any::<u8>()), 0..5),
            weeks in proptest::collection::vec((any::<u8>(), any::<[u8; 7]>()), 0..5),
            days in proptest::collection::vec(
                (any::<u8>(), proptest::collection::vec((any::<[u8; 4]>(), 1u8..=48, 0u8..=8), 1..6)),
                0..5,
            ),
            special_days in proptest::collection::vec((any::<[u8; 5]>(), any::<u8>()), 0..8),
            thresholds in proptest::collection::vec(proptest::collection::vec(any::<u32>(), 1..4), 8),
            prices in proptest::collection::vec(any::<i16>(), PRIMARY_TOU_RATES + 4 * BLOCK_TARIFFS + 1),
            scales in any::<(i8, i8)>(),
            which in 0u8..4,
            gbp in any::<bool>(),
            when in 0u8..3,
            at in 0u32..=u32::MAX,
            counter in 0u64..1 << 40,
        ) {
            let secondary = which >= 2;
            let switching = SwitchingTable {
                seasons: seasons.into_iter().map(|(name, start, week)| Season { name, start, week }).collect(),
                weeks: weeks.into_iter().map(|(id, days)| WeekProfile { id, days }).collect(),
                days: days
                    .into_iter()
                    .map(|(id, switches)| DayProfile {
                        id,
                        switches: switches
                            .into_iter()
                            .map(|(time, tou, block)| {
                                let action = match (secondary, block) {
                                    (true, _) => TariffAction::Tou(1 + tou % 4),
                                    (false, 0) => TariffAction::Tou(tou),
                                    (false, b) => TariffAction::Block(b),
                                };
                                (time, action)
                            })
                            .collect(),
                    })
                    .collect(),
                special_days,
            };
            let primary = PrimaryPrices {
                standing_charge: prices[0],
                standing_charge_scale: scales.0,
                price_scale: scales.1,
                tou: prices[1..=PRIMARY_TOU_RATES].to_vec(),
                blocks: prices[PRIMARY_TOU_RATES + 1..]
                    .chunks(4)
                    .map(|b| [b[0], b[1], b[2], b[3]])
                    .collect(),
            };
            let secondary_prices = SecondaryPrices {
                price_scale: scales.1,
                tou: [prices[1], prices[2], prices[3], prices[4]],
            };
            let (update, other) = match which {
                0 => (
                    TariffUpdate::PrimaryTariff { gbp, switching, thresholds, prices: primary },
                    ECS01B,
                ),
                1 => (TariffUpdate::PrimaryPrice(primary), ECS01A),
                2 => (TariffUpdate::SecondaryTariff { switching, prices: secondary_prices }, ECS01D),
                _ => (TariffUpdate::SecondaryPrice(secondary_prices), ECS01C),
            };
            let activation = match when {
                0 => Activation::Now,
                1 => Activation::Cancel,
                _ => Activation::At(from_gbcs_seconds(at)),
            };
            let code = update.code();
            let reading = Reading::Tariff { update: Box::new(update), activation };
            let bytes = encode_command(code, &reading, counter, Eui64([1; 8]), Eui64([2; 8])).unwrap();
            let Apdu::AccessRequest(r) = Apdu::decode(&bytes).unwrap() else { panic!() };
            prop_assert_eq!(command(code, &r), Some(reading));
            prop_assert_eq!(command(other, &r), None);
        }

        /// Any payment mode change reads back as it was built, each at the minute (the
        /// command carries no seconds' fractions) or at once, or cancelling.
        #[test]
        fn payment_mode_commands_round_trip(
            prepayment in any::<bool>(),
            disablement_threshold in any::<i32>(),
            suspend_debt_disabled in any::<bool>(),
            suspend_debt_emergency in any::<bool>(),
            when in 0u8..3,
            twin_element in any::<bool>(),
            at in 0u32..=u32::MAX,
            counter in 0u64..1 << 40,
        ) {
            let mode = if prepayment {
                NewPaymentMode::Prepayment { disablement_threshold, suspend_debt_disabled, suspend_debt_emergency }
            } else {
                NewPaymentMode::Credit
            };
            let activation = match when {
                0 => Activation::Now,
                1 => Activation::Cancel,
                _ => Activation::At(from_gbcs_seconds(at)),
            };
            let code = if prepayment { ECS03 } else { ECS02 };
            let reading = Reading::PaymentMode { mode, activation, twin_element };
            let bytes = encode_command(code, &reading, counter, Eui64([1; 8]), Eui64([2; 8])).unwrap();
            let Apdu::AccessRequest(r) = Apdu::decode(&bytes).unwrap() else { panic!() };
            prop_assert_eq!(command(code, &r), Some(reading));
            // The other use case's code does not carry this mode.
            let other = if prepayment { ECS02 } else { ECS03 };
            prop_assert_eq!(encode_command(other, &Reading::PaymentMode { mode, activation, twin_element }, counter, Eui64([1; 8]), Eui64([2; 8])), None);
        }
    }
}
