//! The head-end's side: the DLMS command (a get, a set, an action) each use case sends.

use super::*;

/// The long-invoke-id-and-priority GBCS puts in an APDU: bit 29 set and the low 24 bits of the
/// originator counter (as in every RTDS vector).
pub fn invoke_id(counter: u64) -> u32 {
    0x2000_0000 | (counter as u32 & 0x00FF_FFFF)
}

/// The access-response carrying a sealed payload, as a device answers a protected read of the
/// command with `counter` from `to`. Its protection parameters are the message's: the
/// transaction id of that counter, the device and `to` — the broker, for an answer sealed for
/// a user it relayed for (as the RTDS 4.14 URP answer's).
pub fn sealed_response(counter: u64, to: Eui64, sealed: &Sealed) -> Apdu {
    let octets = |b: &[u8]| Data::OctetString(b.to_vec());
    let mut transaction_id = sealed.transaction_id;
    transaction_id[1..].copy_from_slice(&counter.to_be_bytes());
    let parameters = Data::Structure(vec![
        Data::Enum(2),
        Data::Structure(vec![
            octets(&transaction_id),
            octets(&sealed.originator.0),
            octets(&to.0),
            octets(&[]),
            Data::Structure(vec![
                Data::Enum(2),
                Data::Structure(vec![octets(&[2]), octets(&[])]),
            ]),
        ]),
    ]);
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::Structure(vec![
            Data::Array(vec![parameters]),
            octets(&sealed.protected_bytes()),
        ])],
        results: vec![ResponseSpec::Action(0)],
    })
}

/// The message that carries `content` with the given header fields, unsigned and unMACed.
pub fn message_for(
    cra: Cra,
    counter: u64,
    originator: Eui64,
    recipient: Eui64,
    code: u16,
    content: Vec<u8>,
) -> GbcsMessage {
    GbcsMessage {
        ciphering: None,
        signing: crate::protocol::gbcs::frame::GeneralSigning {
            cra,
            originator_counter: counter,
            originator,
            recipient,
            date_time: Vec::new(),
            other_information: code.to_be_bytes().to_vec(),
            content,
            signature: Some(Vec::new()),
        },
    }
}

/// A date-time as GBCS commands send it: a 12-byte octet string with the day of week and
/// clock status unspecified and no deviation (UTC).
pub(super) fn command_date_time(t: DateTime<Utc>) -> Data {
    Data::OctetString(date_time_octets(t))
}

pub(in crate::protocol::gbcs::payload) fn date_time_octets(t: DateTime<Utc>) -> Vec<u8> {
    let mut octets = CosemDateTime::from_naive(t.naive_utc()).0;
    // The day of week unspecified, as GBCS sends it.
    octets[4] = 0xFF;
    octets.to_vec()
}

/// The protected-get request of a sensitive read: which objects to read (class, logical name),
/// each with the range or not, and the protection parameters naming who asks.
fn protected_get(
    protection_object: [u8; 6],
    objects: &[(u16, [u8; 6])],
    range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    counter: u64,
    originator: Eui64,
    recipient: Eui64,
) -> AccessRequest {
    let octets = |b: &[u8]| Data::OctetString(b.to_vec());
    let selection = match range {
        Some((from, to)) => Data::Structure(vec![
            Data::Enum(1),
            Data::Structure(vec![command_date_time(from), command_date_time(to)]),
        ]),
        None => Data::Structure(vec![Data::Enum(0), Data::Null]),
    };
    let mut tid = vec![crate::protocol::gbcs::sealed::ENCRYPTION_MODE];
    tid.extend_from_slice(&counter.to_be_bytes());
    let parameters = Data::Structure(vec![
        Data::Enum(2),
        Data::Structure(vec![
            octets(&tid),
            octets(&originator.0),
            octets(&recipient.0),
            octets(&[]),
            Data::Structure(vec![
                Data::Enum(2),
                Data::Structure(vec![octets(&[2]), octets(&[])]),
            ]),
        ]),
    ]);
    AccessRequest {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        specs: vec![RequestSpec::Action(
            crate::protocol::dlms::MethodDescriptor {
                class_id: DATA_PROTECTION,
                instance: crate::protocol::dlms::Obis(protection_object),
                method: 1,
            },
        )],
        data: vec![Data::Structure(vec![
            Data::Array(
                objects
                    .iter()
                    .map(|(class_id, object)| {
                        Data::Structure(vec![
                            Data::LongUnsigned(*class_id),
                            octets(object),
                            Data::Integer(2),
                            Data::LongUnsigned(0),
                            selection.clone(),
                        ])
                    })
                    .collect(),
            ),
            Data::Array(vec![parameters]),
        ])],
    }
}

/// The DLMS payload of a command from `originator` (a remote party) to ESME `recipient`, as
/// GBCS lays out use case `code`: `Read` for ECS17b and ECS52, `Range` for ECS21a, ECS22b and
/// ECS66, `Supply` for ECS42/ECS43, `TopUp` for CS01a. `None` for other pairs.
pub fn encode_command(
    code: u16,
    reading: &Reading,
    counter: u64,
    originator: Eui64,
    recipient: Eui64,
) -> Option<Vec<u8>> {
    let range = |reading: &Reading| match reading {
        Reading::Range {
            from: Some(from),
            to: Some(to),
        } => Some((*from, *to)),
        _ => None,
    };
    // Gets of attributes, each with no data of its own.
    let gets = |specs: Vec<RequestSpec>| AccessRequest {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::Null; specs.len()],
        specs,
    };
    let get = |class_id, instance, selection| {
        let attribute = crate::protocol::dlms::AttributeDescriptor {
            class_id,
            instance: crate::protocol::dlms::Obis(instance),
            attribute: 2,
        };
        gets(vec![match selection {
            Some(s) => RequestSpec::GetWithSelection(attribute, s),
            None => RequestSpec::Get(attribute),
        }])
    };
    // A set of one attribute to `data`.
    let set = |class_id, instance, attribute, data| AccessRequest {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        specs: vec![RequestSpec::Set(
            crate::protocol::dlms::AttributeDescriptor {
                class_id,
                instance: crate::protocol::dlms::Obis(instance),
                attribute,
            },
        )],
        data: vec![data],
    };
    let action = |class_id, instance, data| AccessRequest {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        specs: vec![RequestSpec::Action(
            crate::protocol::dlms::MethodDescriptor {
                class_id,
                instance: crate::protocol::dlms::Obis(instance),
                method: 1,
            },
        )],
        data: vec![data],
    };
    if let Some(steps) = configuration::steps(code, reading) {
        return Some(Apdu::AccessRequest(configuration::request_of(counter, steps)).to_bytes());
    }
    let request = match (code, reading) {
        (ECS17B, Reading::Read) => protected_get(
            [0, 0, 43, 2, 8, 255],
            &[(1, [0, 0, 94, 44, 34, 10])],
            None,
            counter,
            originator,
            recipient,
        ),
        (ECS17D | ECS17E, Reading::Read) => {
            let (protection, object) = if code == ECS17D {
                ([0, 0, 43, 2, 9, 255], [0, 0, 94, 44, 34, 1])
            } else {
                ([0, 0, 43, 2, 10, 255], [0, 0, 94, 44, 34, 2])
            };
            protected_get(
                protection,
                &[(DATA, object)],
                None,
                counter,
                originator,
                recipient,
            )
        }
        (ECS19, Reading::Read) => protected_get(
            [0, 0, 43, 2, 1, 255],
            &[(DATA, [0, 0, 94, 44, 34, 30])],
            None,
            counter,
            originator,
            recipient,
        ),
        (code, Reading::Read) if let Some(list) = settings(code) => gets(
            list.iter()
                .map(|s| attribute(s.class_id, s.object.0, s.attribute))
                .collect(),
        ),
        // The change of mode billing data log over the range.
        (ECS20B, r) => protected_get(
            [0, 0, 43, 2, 3, 255],
            &[(7, [0, 0, 98, 1, 2, 255])],
            Some(range(r)?),
            counter,
            originator,
            recipient,
        ),
        // The billing data log and the prepayment billing data log, each over the range.
        (ECS20C, r) => protected_get(
            [0, 0, 43, 2, 2, 255],
            &[(7, [0, 0, 98, 1, 0, 255]), (7, [0, 0, 98, 1, 1, 255])],
            Some(range(r)?),
            counter,
            originator,
            recipient,
        ),
        (ECS21A | ECS21B | ECS22B | ECS66, r) => {
            let (protection, object) = match code {
                ECS21A => ([0, 0, 43, 2, 5, 255], [0, 0, 98, 1, 9, 255]),
                ECS21B => ([0, 0, 43, 2, 6, 255], [0, 0, 98, 1, 8, 255]),
                ECS22B => ([0, 0, 43, 2, 7, 255], [0, 0, 99, 1, 0, 255]),
                _ => ([0, 0, 43, 2, 4, 255], [0, 0, 99, 1, 3, 255]),
            };
            protected_get(
                protection,
                &[(7, object)],
                Some(range(r)?),
                counter,
                originator,
                recipient,
            )
        }
        (ECS52, Reading::Read) => get(DATA, [0, 0, 0, 2, 1, 255], None),
        (ECS61C, r) => {
            let (from, to) = range(r)?;
            gets(auxiliary::boost_read(from, to)?)
        }
        (ECS82, Reading::Read) => get(CREDIT, METER_BALANCE, None),
        (ECS26J, Reading::Read) => get(ACCOUNT, ACTIVE_ACCOUNT_OBIS, None),
        (ECS40, Reading::Read) => gets(vec![
            attribute(DATA, IMPORT_MPAN, 2),
            attribute(DATA, EXPORT_MPAN, 2),
        ]),
        (ECS35A | ECS35B | ECS35C | ECS35D | ECS35E, r) => {
            let (from, to) = range(r)?;
            let log = match code {
                ECS35A | ECS35C => EVENT_LOG,
                ECS35B | ECS35D => SECURITY_LOG,
                _ => POWER_EVENT_LOG,
            };
            gets(vec![by_range(PROFILE_GENERIC, log, from, to)?])
        }
        (DBCH02, r) => {
            let (from, to) = range(r)?;
            gets(vec![by_range(
                PROFILE_GENERIC,
                sub_ghz::CHANNEL_LOG,
                from,
                to,
            )?])
        }
        (ECS17C, Reading::Read) => get(DATA, [0, 0, 94, 44, 34, 20], None),
        (ECS17A, Reading::Read) => gets(vec![
            attribute(REGISTER, ACTIVE_EXPORT_REGISTER, 2),
            attribute(REGISTER, ACTIVE_EXPORT_REGISTER, 3),
            attribute(REGISTER, REACTIVE_EXPORT_REGISTER, 2),
            attribute(REGISTER, REACTIVE_EXPORT_REGISTER, 3),
        ]),
        (ECS23, r) => {
            let (from, to) = range(r)?;
            let log = by_range(PROFILE_GENERIC, AVERAGE_VOLTAGE_LOG, from, to)?;
            gets(vec![
                attribute(REGISTER, VOLTAGE_SAGS, 2),
                attribute(REGISTER, VOLTAGE_SAGS, 3),
                attribute(REGISTER, VOLTAGE_SWELLS, 2),
                attribute(REGISTER, VOLTAGE_SWELLS, 3),
                log,
                // The log's capture period.
                attribute(PROFILE_GENERIC, AVERAGE_VOLTAGE_LOG, 4),
            ])
        }
        (ECS20A | ECS20D | ECS21C | ECS22A | ECS22C, r) => {
            let (from, to) = range(r)?;
            let object = match code {
                ECS20A => [0, 0, 98, 1, 4, 255],
                ECS20D => [0, 0, 98, 1, 5, 255],
                ECS21C => [0, 0, 98, 1, 10, 255],
                ECS22A => [0, 0, 99, 1, 1, 255],
                _ => [0, 0, 99, 1, 2, 255],
            };
            gets(vec![by_range(PROFILE_GENERIC, object, from, to)?])
        }
        (ECS10 | ECS12 | ECS14 | ECS39A | ECS39B, r) => {
            let (object, value) = match r {
                Reading::SetMeterPoint { export, digits } if *export == (code == ECS39B) => {
                    let object = if *export { EXPORT_MPAN } else { IMPORT_MPAN };
                    (object, digits.as_bytes().to_vec())
                }
                Reading::DisplayMessage { message } if code == ECS10 => {
                    (SUPPLIER_MESSAGE, message.as_bytes().to_vec())
                }
                Reading::RestrictData { from } if code == ECS12 => {
                    (RESTRICT_DATA, date_time_octets(*from))
                }
                Reading::DisablePrivacyPin if code == ECS14 => (PRIVACY_PIN, Vec::new()),
                _ => return None,
            };
            set(DATA, object, 2, Data::OctetString(value))
        }
        // The clock base set, the validity interval preset (the preset time left to the
        // meter), the clock adjusted to it, and its time and status read back.
        (ECS70, &Reading::SynchroniseClock { from, to }) => {
            let method = |method| {
                RequestSpec::Action(crate::protocol::dlms::MethodDescriptor {
                    class_id: CLOCK,
                    instance: crate::protocol::dlms::Obis(CLOCK_OBIS),
                    method,
                })
            };
            let base = crate::protocol::dlms::AttributeDescriptor {
                class_id: CLOCK,
                instance: crate::protocol::dlms::Obis(CLOCK_OBIS),
                attribute: CLOCK_BASE,
            };
            let window = Data::Structure(vec![
                Data::OctetString(UNSPECIFIED_TIME.to_vec()),
                Data::OctetString(date_time_octets(from)),
                Data::OctetString(date_time_octets(to)),
            ]);
            AccessRequest {
                invoke_id: invoke_id(counter),
                date_time: Vec::new(),
                specs: vec![
                    RequestSpec::Set(base),
                    method(PRESET_ADJUSTING_TIME),
                    method(ADJUST_TO_PRESET_TIME),
                    attribute(CLOCK, CLOCK_OBIS, CLOCK_TIME),
                    attribute(CLOCK, CLOCK_OBIS, CLOCK_STATUS),
                ],
                data: vec![
                    Data::Enum(RADIO_CONTROLLED),
                    window,
                    Data::Integer(0),
                    Data::Null,
                    Data::Null,
                ],
            }
        }
        (
            ECS34,
            &Reading::PowerThresholds {
                low_medium,
                medium_high,
            },
        ) => set(
            REGISTER_MONITOR,
            POWER_THRESHOLDS,
            2,
            Data::Array(vec![
                Data::DoubleLongUnsigned(low_medium),
                Data::DoubleLongUnsigned(medium_high),
            ]),
        ),
        (ECS38, &Reading::RandomisedOffsetLimit { seconds }) => set(
            DATA,
            RANDOMISED_OFFSET_LIMIT,
            2,
            Data::LongUnsigned(seconds),
        ),
        // The telephone number, then the name.
        (ECS16, Reading::SupplierName { name, telephone }) => AccessRequest {
            invoke_id: invoke_id(counter),
            date_time: Vec::new(),
            specs: [SUPPLIER_TELEPHONE, SUPPLIER_NAME]
                .into_iter()
                .map(|object| {
                    RequestSpec::Set(crate::protocol::dlms::AttributeDescriptor {
                        class_id: SUPPLIER_CONTACT_CLASS,
                        instance: crate::protocol::dlms::Obis(object),
                        attribute: 2,
                    })
                })
                .collect(),
            data: vec![
                Data::OctetString(telephone.as_bytes().to_vec()),
                Data::OctetString(name.as_bytes().to_vec()),
            ],
        },
        (ECS15A, Reading::ClearEventLog) => action(PROFILE_GENERIC, EVENT_LOG, Data::Integer(0)),
        (ECS15C, Reading::ClearEventLog) => {
            action(PROFILE_GENERIC, auxiliary::ALCS_EVENT_LOG, Data::Integer(0))
        }
        (ECS35F | ECS35G, r) => {
            let (from, to) = range(r)?;
            let log = auxiliary::ALCS_EVENT_LOG;
            gets(vec![by_range(PROFILE_GENERIC, log, from, to)?])
        }
        // The meter balance's update_amount (method 1), with the adjustment.
        (ECS04A, &Reading::AdjustBalance { amount }) => {
            action(CREDIT, METER_BALANCE, Data::DoubleLong(amount))
        }
        // The emergency credit's invoke_credit, with the integer 0.
        (ECS09, Reading::ActivateEmergencyCredit) => AccessRequest {
            invoke_id: invoke_id(counter),
            date_time: Vec::new(),
            specs: vec![RequestSpec::Action(
                crate::protocol::dlms::MethodDescriptor {
                    class_id: CREDIT,
                    instance: crate::protocol::dlms::Obis(EMERGENCY_CREDIT),
                    method: INVOKE_CREDIT,
                },
            )],
            data: vec![Data::Integer(0)],
        },
        // Each credit's set_amount_to_value, with nought.
        (ECS04B, Reading::ResetBalance) => AccessRequest {
            invoke_id: invoke_id(counter),
            date_time: Vec::new(),
            specs: RESET_CREDITS
                .iter()
                .map(|&credit| {
                    RequestSpec::Action(crate::protocol::dlms::MethodDescriptor {
                        class_id: CREDIT,
                        instance: crate::protocol::dlms::Obis(credit),
                        method: SET_AMOUNT_TO_VALUE,
                    })
                })
                .collect(),
            data: vec![Data::DoubleLong(0); RESET_CREDITS.len()],
        },
        // The schedule's two entries numbered from 0, as the RTDS sets them.
        (ECS37, Reading::MaxDemandPeriod { start, end }) => set(
            SCHEDULE,
            MAX_DEMAND_PERIOD,
            2,
            max_demand_period(*start, *end, 0),
        ),
        // Each register's reset method, in GBCS's order, with the integer 0 it takes.
        (ECS57, Reading::ResetMaxDemand { registers }) if !registers.is_empty() => {
            let registers = MaxDemandRegister::ALL
                .into_iter()
                .filter(|r| registers.contains(r));
            let specs: Vec<RequestSpec> = registers
                .map(|r| {
                    RequestSpec::Action(crate::protocol::dlms::MethodDescriptor {
                        class_id: EXTENDED_REGISTER,
                        instance: crate::protocol::dlms::Obis(r.object()),
                        method: 1,
                    })
                })
                .collect();
            AccessRequest {
                invoke_id: invoke_id(counter),
                date_time: Vec::new(),
                data: vec![Data::Integer(0); specs.len()],
                specs,
            }
        }
        (ECS30 | ECS30A, Reading::BillingCalendar { executions }) => set(
            SINGLE_ACTION_SCHEDULE,
            BILLING_CALENDAR,
            4,
            Data::Array(executions.iter().map(|e| e.to_data()).collect()),
        ),
        (ECS45, Reading::Read) => gets(vec![attribute(
            DISCONNECT_CONTROL,
            DISCONNECT_CONTROL_OBIS,
            CONTROL_STATE,
        )]),
        (ECS42 | ECS43 | ECS44, Reading::Supply { script, .. }) => action(
            SCRIPT_TABLE,
            [0, 0, 10, 0, 106, 255],
            Data::LongUnsigned(*script),
        ),
        (
            ECS02,
            Reading::PaymentMode {
                mode,
                activation,
                twin_element,
            },
        ) if *mode == NewPaymentMode::Credit => {
            payment_mode_command(counter, mode, activation, *twin_element)
        }
        (
            ECS03,
            Reading::PaymentMode {
                mode: mode @ NewPaymentMode::Prepayment { .. },
                activation,
                twin_element,
            },
        ) => payment_mode_command(counter, mode, activation, *twin_element),
        (CS01A, Reading::TopUp { utrn }) => action(
            TOKEN_GATEWAY,
            [0, 0, 19, 40, 0, 255],
            Data::OctetString(utrn.as_bytes().to_vec()),
        ),
        (
            CCS01,
            Reading::DeviceLogAdd {
                device,
                key_type,
                install_code,
                device_type,
                join_timeout_s,
            },
        ) => {
            let attribute = |attribute| {
                RequestSpec::Set(crate::protocol::dlms::AttributeDescriptor {
                    class_id: ZIGBEE_NETWORK_CONTROL,
                    instance: crate::protocol::dlms::Obis(ZIGBEE_NETWORK_CONTROL_OBIS),
                    attribute,
                })
            };
            let mut request = action(
                ZIGBEE_NETWORK_CONTROL,
                ZIGBEE_NETWORK_CONTROL_OBIS,
                Data::Structure(vec![
                    Data::OctetString(device.0.to_vec()),
                    Data::Enum(*key_type),
                    Data::OctetString(crate::protocol::gbcs::parse_hex(install_code).ok()?),
                    Data::Enum(*device_type),
                ]),
            );
            // Then the join timeout, and joining enabled.
            request.specs.extend([attribute(3), attribute(2)]);
            request
                .data
                .extend([Data::LongUnsigned(*join_timeout_s), Data::Boolean(0xFF)]);
            request
        }
        (CCS02, Reading::DeviceLogRemove { device }) => {
            let mut request = action(
                ZIGBEE_NETWORK_CONTROL,
                ZIGBEE_NETWORK_CONTROL_OBIS,
                Data::OctetString(device.0.to_vec()),
            );
            if let Some(RequestSpec::Action(m)) = request.specs.first_mut() {
                m.method = 2;
            }
            request
        }
        _ => return None,
    };
    Some(Apdu::AccessRequest(request).to_bytes())
}

/// A read of a profile's entries (attribute 2) from `from` to `to` by their time stamp column,
/// GBCS's UTC clock (0-0:94.44.100.255, attribute 2), every column. `None` for times before
/// 2000.
pub(super) fn by_range(
    class_id: u16,
    instance: [u8; 6],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<RequestSpec> {
    Some(RequestSpec::GetWithSelection(
        crate::protocol::dlms::AttributeDescriptor {
            class_id,
            instance: crate::protocol::dlms::Obis(instance),
            attribute: 2,
        },
        crate::protocol::dlms::SelectiveAccess {
            selector: 1,
            parameters: Data::Structure(vec![
                Data::Structure(vec![
                    Data::LongUnsigned(DATA),
                    Data::OctetString(vec![0, 0, 94, 44, 100, 255]),
                    Data::Integer(2),
                    Data::LongUnsigned(0),
                ]),
                Data::DoubleLongUnsigned(to_gbcs_seconds(from)?),
                Data::DoubleLongUnsigned(to_gbcs_seconds(to)?),
                Data::Array(Vec::new()),
            ]),
        },
    ))
}

/// A plain get of one attribute of an object.
pub(super) fn attribute(class_id: u16, instance: [u8; 6], attribute: i8) -> RequestSpec {
    RequestSpec::Get(crate::protocol::dlms::AttributeDescriptor {
        class_id,
        instance: crate::protocol::dlms::Obis(instance),
        attribute,
    })
}
