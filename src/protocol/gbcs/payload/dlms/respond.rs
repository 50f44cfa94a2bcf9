//! The device's side: the DLMS answers and alerts a virtual electricity meter sends.

use super::*;

/// A comms hub's answer to CCS01: the register_device action and the two attribute sets,
/// each succeeded (0) or failed with `code`.
pub fn device_log_add_response(counter: u64, code: u8) -> Apdu {
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::Null; 3],
        results: vec![
            ResponseSpec::Action(code),
            ResponseSpec::Set(code),
            ResponseSpec::Set(code),
        ],
    })
}

/// The access-response of a command that returns no values: success or the failure code, as
/// the result of an action (`get` for reads).
pub fn outcome_response(counter: u64, get: bool, code: u8) -> Apdu {
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::Null],
        results: vec![if get {
            ResponseSpec::Get(code)
        } else {
            ResponseSpec::Action(code)
        }],
    })
}

/// ECS23's answer: the sag and swell counts (each with a count's scaler-unit), the average RMS
/// voltage log, and its capture period. `None` if a time stamp is out of GBCS's range.
pub fn network_data_response(
    counter: u64,
    sags: u32,
    swells: u32,
    voltages: &[Interval],
    capture_period_s: u32,
) -> Option<Apdu> {
    let Apdu::AccessResponse(mut log) = log_response(counter, voltages)? else {
        return None;
    };
    let count = || Data::Structure(vec![Data::Integer(0), Data::Enum(Unit::Count.dlms_code())]);
    let entries = log.data.pop()?;
    log.data = vec![
        Data::DoubleLongUnsigned(sags),
        count(),
        Data::DoubleLongUnsigned(swells),
        count(),
        entries,
        Data::DoubleLongUnsigned(capture_period_s),
    ];
    log.results = vec![ResponseSpec::Get(0); 6];
    Some(Apdu::AccessResponse(log))
}

/// The answer to a plain (unsealed) log read — ECS21c, ECS22a, ECS22c: a compact array of
/// entries, each a time stamp and the entry's values, all double-long-unsigned. `None` if the
/// entries are not all as wide or a time stamp is out of GBCS's range.
pub fn log_response(counter: u64, entries: &[Interval]) -> Option<Apdu> {
    let width = entries.first().map_or(1, |i| i.values.len());
    let mut elements = Vec::with_capacity(entries.len());
    for e in entries {
        if e.values.len() != width {
            return None;
        }
        let mut items = Vec::with_capacity(1 + width);
        items.push(Data::DoubleLongUnsigned(to_gbcs_seconds(e.start)?));
        items.extend(e.values.iter().map(|v| Data::DoubleLongUnsigned(*v)));
        elements.push(Data::Structure(items));
    }
    Some(Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::CompactArray {
            description: TypeDescription::Structure(vec![TypeDescription::Simple(6); 1 + width]),
            elements,
        }],
        results: vec![ResponseSpec::Get(0)],
    }))
}

/// ECS40's answer: the import and export MPANs the meter holds, as their digits.
pub fn meter_points_response(counter: u64, import: &[u8], export: &[u8]) -> Apdu {
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![
            Data::OctetString(import.to_vec()),
            Data::OctetString(export.to_vec()),
        ],
        results: vec![ResponseSpec::Get(0), ResponseSpec::Get(0)],
    })
}

/// A settings read's answer (ECS26b–f, ECS27): the values, in the order the read lists its
/// attributes.
pub fn settings_response(counter: u64, values: Vec<Data>) -> Apdu {
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        results: vec![ResponseSpec::Get(0); values.len()],
        data: values,
    })
}

/// ECS82's answer: the meter balance, in the meter's currency unit (1/100,000 of a pound).
pub fn meter_balance_response(counter: u64, balance: i32) -> Apdu {
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::DoubleLong(balance)],
        results: vec![ResponseSpec::Get(0)],
    })
}

/// ECS35a's answer: the events logged within the period asked for, each its time stamp, event
/// code and details. `None` if a time stamp is out of GBCS's range.
pub fn event_log_response(counter: u64, events: &[LoggedEvent]) -> Option<Apdu> {
    let entries = events.iter().map(|e| {
        Some(vec![
            Data::DoubleLongUnsigned(to_gbcs_seconds(e.at)?),
            Data::LongUnsigned(e.code),
            Data::OctetString(e.detail.clone()),
        ])
    });
    meter_log_response(counter, &[6, 18, 9], entries)
}

/// ECS35b's answer: the security events logged within the period, each its time stamp and
/// event code (an entry's details are not sent). `None` if a time stamp is out of range.
pub fn security_log_response(counter: u64, events: &[LoggedEvent]) -> Option<Apdu> {
    let entries = events.iter().map(|e| {
        Some(vec![
            Data::DoubleLongUnsigned(to_gbcs_seconds(e.at)?),
            Data::LongUnsigned(e.code),
        ])
    });
    meter_log_response(counter, &[6, 18], entries)
}

/// ECS35e's answer: the power events logged within the period, each its time stamp, event
/// code and number. `None` if a time stamp is out of range.
pub fn power_event_log_response(counter: u64, events: &[PowerEvent]) -> Option<Apdu> {
    let entries = events.iter().map(|e| {
        Some(vec![
            Data::DoubleLongUnsigned(to_gbcs_seconds(e.at)?),
            Data::LongUnsigned(e.code),
            Data::DoubleLongUnsigned(e.number),
        ])
    });
    meter_log_response(counter, &[6, 18, 6], entries)
}

/// A meter log's answer: a compact array of structures of the simple types `columns`.
pub(super) fn meter_log_response(
    counter: u64,
    columns: &[u8],
    entries: impl Iterator<Item = Option<Vec<Data>>>,
) -> Option<Apdu> {
    let elements = entries
        .map(|e| e.map(Data::Structure))
        .collect::<Option<_>>()?;
    Some(Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::CompactArray {
            description: TypeDescription::Structure(
                columns
                    .iter()
                    .map(|&t| TypeDescription::Simple(t))
                    .collect(),
            ),
            elements,
        }],
        results: vec![ResponseSpec::Get(0)],
    }))
}

/// ECS26j's answer: the account's payment mode (1 credit, 2 prepayment) and its status.
pub fn account_mode_response(counter: u64, prepayment: bool, status: u8) -> Apdu {
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::Structure(vec![
            Data::Enum(if prepayment { 2 } else { 1 }),
            Data::Enum(status),
        ])],
        results: vec![ResponseSpec::Get(0)],
    })
}

/// ECS70's answer: the clock base set, the validity interval preset, the clock adjusted to it
/// (`adjusted`: its action result, 0 for success), then the clock's time and status (0: good).
pub fn clock_response(counter: u64, time: DateTime<Utc>, adjusted: u8) -> Apdu {
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![
            Data::Null,
            Data::Null,
            Data::Null,
            Data::OctetString(date_time_octets(time)),
            Data::Unsigned(0),
        ],
        results: vec![
            ResponseSpec::Set(0),
            ResponseSpec::Action(0),
            ResponseSpec::Action(adjusted),
            ResponseSpec::Get(0),
            ResponseSpec::Get(0),
        ],
    })
}

/// The access-response of a command of sets only (ECS02, ECS03): one result per set.
pub fn set_results_response(counter: u64, results: &[u8]) -> Apdu {
    results_response(counter, results, ResponseSpec::Set)
}

/// The answer to actions (ECS57's resets): each one's result, 0 for success.
pub fn action_results_response(counter: u64, results: &[u8]) -> Apdu {
    results_response(counter, results, ResponseSpec::Action)
}

fn results_response(counter: u64, results: &[u8], spec: fn(u8) -> ResponseSpec) -> Apdu {
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::Null; results.len()],
        results: results.iter().map(|&r| spec(r)).collect(),
    })
}

/// A meter's 8F66 alert: the future-dated command `outcome` names was carried out at `at`.
pub fn future_dated_alert(counter: u64, at: DateTime<Utc>, outcome: &FutureDatedOutcome) -> Apdu {
    let mut named = Vec::with_capacity(19);
    named.extend(outcome.message_code.to_be_bytes());
    named.extend(outcome.originator_counter.to_be_bytes());
    named.extend(outcome.class_id.to_be_bytes());
    named.extend(outcome.instance.0);
    named.push(outcome.attribute as u8);
    Apdu::DataNotification(DataNotification {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        body: Data::Structure(vec![
            Data::LongUnsigned(0x8F66),
            command_date_time(at),
            Data::OctetString(named),
        ]),
    })
}

/// ECS17a's answer: the active export register (Wh) and the reactive export register (varh),
/// each with its scaler-unit.
pub fn export_registers_response(counter: u64, active_wh: u32, reactive_varh: u32) -> Apdu {
    let unit = |u: Unit| Data::Structure(vec![Data::Integer(0), Data::Enum(u.dlms_code())]);
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![
            Data::DoubleLongUnsigned(active_wh),
            unit(Unit::WattHour),
            Data::DoubleLongUnsigned(reactive_varh),
            unit(Unit::VarHour),
        ],
        results: vec![ResponseSpec::Get(0); 4],
    })
}

/// ECS17c's answer: active power import, W, with its scaler-unit, then the second value.
pub fn active_power_response(counter: u64, watts: u32, second: u32) -> Apdu {
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::Structure(vec![
            Data::DoubleLongUnsigned(watts),
            Data::Structure(vec![Data::Integer(0), Data::Enum(Unit::Watt.dlms_code())]),
            Data::DoubleLongUnsigned(second),
        ])],
        results: vec![ResponseSpec::Get(0)],
    })
}

/// ECS52's answer: the firmware version as an octet string.
pub fn firmware_response(counter: u64, version: &[u8]) -> Apdu {
    Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: vec![Data::OctetString(version.to_vec())],
        results: vec![ResponseSpec::Get(0)],
    })
}

/// The Firmware Distribution Receipt Alert (8F72) as a DLMS data-notification: alert code,
/// time stamp and the hash of the Manufacturer Image the meter now holds.
pub fn firmware_receipt_notification(counter: u64, at: DateTime<Utc>, hash: &[u8]) -> Apdu {
    Apdu::DataNotification(DataNotification {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        body: Data::Structure(vec![
            Data::LongUnsigned(crate::protocol::gbcs::firmware::FIRMWARE_VERIFIED),
            command_date_time(at),
            Data::OctetString(hash.to_vec()),
        ]),
    })
}

/// A device alert as a DLMS data-notification: alert code, time stamp, and for
/// supply-restored alerts when the outage began and ended.
pub fn alert_notification(
    counter: u64,
    code: u16,
    at: DateTime<Utc>,
    outage: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Apdu {
    let stamp = command_date_time;
    let mut body = vec![Data::LongUnsigned(code), stamp(at)];
    if let Some((from, to)) = outage {
        body.push(stamp(from));
        body.push(stamp(to));
    }
    Apdu::DataNotification(DataNotification {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        body: Data::Structure(body),
    })
}
