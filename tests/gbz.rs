//! GBZ (ZigBee) payloads of gas devices, over every RTDS 4.5.0 vector whose payload is GBZ: each
//! decodes, re-encodes to the same bytes, and its encrypted components open with the
//! recipient's key from the RTDS keystore; a payload cut short is an error that says where.

use std::path::{Path, PathBuf};

use dccsim::protocol::gbcs::gbz::{Gbz, GbzError, ZclValue, read_attributes_response};
use dccsim::protocol::gbcs::{Cra, GbcsMessage, KeyStore, parse_hex};

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/gbcs-rtds")
}

/// Every RTDS message whose payload starts with the Smart Energy profile id.
fn gbz_vectors() -> Vec<(String, GbcsMessage)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(reference().join("RTDS-4.5.0"))
        .unwrap()
        .map(|d| d.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        files.sort();
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(bytes) = parse_hex(&text) else {
                continue;
            };
            let Ok(m) = GbcsMessage::decode(&bytes) else {
                continue;
            };
            if m.signing.content.starts_with(&[0x01, 0x09]) {
                out.push((path.file_name().unwrap().to_string_lossy().into_owned(), m));
            }
        }
    }
    out
}

#[test]
fn every_rtds_gbz_payload_decodes_and_re_encodes_byte_exactly() {
    let all = gbz_vectors();
    assert!(all.len() >= 350, "only {} GBZ vectors", all.len());
    let (mut alerts, mut components) = (0, 0);
    for (name, m) in &all {
        let alert = m.signing.cra == Cra::Alert;
        let gbz = Gbz::decode(&m.signing.content, alert).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(gbz.encode(), m.signing.content, "{name}");
        match gbz {
            Gbz::Alert { .. } => alerts += 1,
            Gbz::Components { components: c } => components += c.len(),
        }
    }
    eprintln!(
        "{} GBZ payloads: {alerts} alerts, {components} components",
        all.len()
    );
    assert!(
        alerts > 10 && components > 150,
        "{alerts} alerts, {components} components"
    );
}

/// Every clear RTDS component the crate reads as a typed command or answer writes its bytes
/// back from that reading (a register read's decimal value aside, which is derived), and most
/// are read: the tariff, prepayment configuration and debt commands among them.
#[test]
fn every_typed_rtds_component_writes_back_its_bytes() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, encode_gas_payload, gas_payload};
    let (mut typed, mut clear) = (0, 0);
    for (name, m) in gbz_vectors() {
        let alert = m.signing.cra == Cra::Alert;
        let Ok(Gbz::Components { components }) = Gbz::decode(&m.signing.content, alert) else {
            continue;
        };
        for c in components.iter().filter(|c| !c.encrypted()) {
            clear += 1;
            let Some(p) = gas_payload(c, &c.payload).unwrap_or_else(|e| panic!("{name}: {e}"))
            else {
                continue;
            };
            typed += 1;
            if !matches!(p, GasPayload::Registers { .. }) {
                assert_eq!(encode_gas_payload(&p), c.payload, "{name}: {p:?}");
            }
        }
    }
    eprintln!("{typed} of {clear} clear components typed");
    assert!(typed * 10 > clear * 9, "{typed} of {clear}");
}

#[test]
fn encrypted_components_open_with_the_recipients_key_only() {
    let keys = KeyStore::load(&reference().join("keystore")).unwrap();
    let (mut opened, mut refused) = (0, 0);
    let mut failed = Vec::new();
    for (name, m) in gbz_vectors() {
        if m.signing.cra == Cra::Alert {
            continue;
        }
        let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
            unreachable!()
        };
        for c in components.iter().filter(|c| c.encrypted()) {
            let plain = match c.plaintext(&m, &keys) {
                Ok(p) => p,
                Err(e) => {
                    failed.push(format!("{name}: {e}"));
                    continue;
                }
            };
            assert_eq!(plain.len() + 5 + 12, c.payload.len(), "{name}");
            opened += 1;
            // Without the key store, nothing opens.
            assert!(c.plaintext(&m, &KeyStore::default()).is_err());
            // A changed byte of the ciphertext fails authentication.
            let mut bad = c.clone();
            bad.payload[6] ^= 1;
            assert!(bad.plaintext(&m, &keys).is_err());
            refused += 1;
        }
    }
    assert!(
        failed.is_empty(),
        "{opened} opened; {} failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    eprintln!("{opened} encrypted components opened");
    assert!(opened >= 20, "{opened} opened");
    assert_eq!(opened, refused);
}

#[test]
fn a_gas_register_read_reads_its_attributes() {
    // GCS13a (4.1.1): the GPF's answer carries the metering cluster's current summation
    // delivered (attribute 0x0000, unsigned 48-bit) among its attributes, sealed for the supplier.
    let keys = KeyStore::load(&reference().join("keystore")).unwrap();
    let text = std::fs::read_to_string(
        reference()
            .join("RTDS-4.5.0/4.1.1_GCS13a/GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_RESPONSE_GBCS.HEX"),
    )
    .unwrap();
    let m = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        unreachable!()
    };
    let metering = components
        .iter()
        .find(|c| c.cluster == 0x0702)
        .expect("a metering component");
    assert!(metering.from_server());
    assert_eq!(metering.command, 0x01, "Read Attributes Response");
    let attributes = read_attributes_response(&metering.plaintext(&m, &keys).unwrap()).unwrap();
    let summation = attributes
        .iter()
        .find(|a| a.id == 0x0000)
        .expect("current summation delivered");
    assert_eq!(summation.status, 0);
    assert_eq!(summation.data_type, Some(0x25));
    assert!(matches!(summation.value, Some(ZclValue::Unsigned(_))));
}

#[test]
fn a_short_or_wrong_payload_says_where() {
    let (_, m) = gbz_vectors()
        .into_iter()
        .find(|(n, _)| n.contains("GCS13a"))
        .unwrap();
    let content = &m.signing.content;
    for cut in 1..content.len() {
        match Gbz::decode(&content[..cut], false) {
            Err(GbzError::Short { offset, .. }) => assert!(offset <= cut),
            Err(other) => panic!("cut at {cut}: {other}"),
            Ok(_) => panic!("cut at {cut} decoded"),
        }
    }
    assert_eq!(
        Gbz::decode(&[0x01, 0x0A, 0], false),
        Err(GbzError::Profile(0x010A))
    );
    let mut longer = content.clone();
    longer.push(0);
    assert_eq!(Gbz::decode(&longer, false), Err(GbzError::Trailing(1)));
}

fn component(path: &str, response: bool) -> (GbcsMessage, dccsim::protocol::gbcs::gbz::Component) {
    let text = std::fs::read_to_string(reference().join("RTDS-4.5.0").join(path)).unwrap();
    let m = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        unreachable!()
    };
    let c = components
        .into_iter()
        .find(|c| c.from_server() == response)
        .unwrap();
    (m, c)
}

/// Every component of an RTDS message, each in clear, typed; and each typed payload writes the
/// device's (or the remote party's) bytes back.
fn typed_components(path: &str) -> Vec<dccsim::protocol::gbcs::gbz::GasPayload> {
    use dccsim::protocol::gbcs::gbz::{encode_gas_payload, gas_payload, zcl_header};
    let keys = KeyStore::load(&reference().join("keystore")).unwrap();
    let text = std::fs::read_to_string(reference().join("RTDS-4.5.0").join(path)).unwrap();
    let m = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        unreachable!()
    };
    components
        .iter()
        .map(|c| {
            let plain = c.plaintext(&m, &keys).unwrap();
            let p = gas_payload(c, &plain)
                .unwrap()
                .unwrap_or_else(|| panic!("{path}: {c:?}"));
            assert_eq!(encode_gas_payload(&p), plain, "{path}");
            let (cluster, _, command) = zcl_header(&p);
            assert_eq!((cluster, command), (c.cluster, c.command), "{path}");
            p
        })
        .collect()
}

#[test]
fn gas_daily_read_log_valve_and_top_up_vectors_decode_to_their_values() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, SnapshotRegisters};
    // 4.6.1 GCS16a: 31 GetSnapshot commands, offsets 0 to 30, for the daily snapshot.
    let asks = typed_components("4.6.1_GCS16a/GCS16a_4.6.1_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(asks.len(), 31);
    for (i, a) in asks.iter().enumerate() {
        let GasPayload::SnapshotRequest {
            offset,
            cause,
            earliest,
            latest,
        } = a
        else {
            panic!("{a:?}")
        };
        assert_eq!((usize::from(*offset), *cause), (i, 1));
        assert!(earliest < latest);
    }
    // The answer: two snapshots sealed for the supplier, 29 "not found".
    let answers = typed_components("4.6.1_GCS16a/GCS16a_4.6.1_SUCCESS_RESPONSE_GBCS.HEX");
    assert_eq!(answers.len(), 31);
    match &answers[0] {
        GasPayload::Snapshot {
            found,
            cause,
            registers:
                SnapshotRegisters::BlockTiers {
                    summation,
                    tiers,
                    tiers_and_blocks,
                    blocks,
                },
            ..
        } => {
            assert_eq!((*found, *cause, *summation), (31, 1, 0x20));
            assert_eq!(tiers, &[0xE3, 0xBD, 0xCD, 0x03]);
            assert_eq!(*tiers_and_blocks, 0x14);
            assert_eq!(blocks, &[0x2F, 0xEE, 0x0A, 0x44]);
        }
        other => panic!("{other:?}"),
    }
    let GasPayload::Snapshot { time: t0, .. } = answers[0] else {
        unreachable!()
    };
    let GasPayload::Snapshot { time: t1, .. } = answers[1] else {
        unreachable!()
    };
    assert_eq!(t1 - t0, 86_400);
    for a in &answers[2..] {
        assert_eq!(
            a,
            &GasPayload::DefaultResponse {
                cluster: 0x0702,
                command: 0x06,
                status: 0x8B
            }
        );
    }
    // 7.2 GCS32 and 7.3 GCS39: the valve off, then armed.
    for (dir, proposed) in [("7.2_GCS32/GCS32_7.2", 0), ("7.3_GCS39/GCS39_7.3", 1)] {
        let ask = typed_components(&format!("{dir}_SUCCESS_COMMAND_GBCS.HEX"));
        let [
            GasPayload::ChangeSupply {
                proposed: p,
                implement_at,
                control,
                ..
            },
        ] = ask.as_slice()
        else {
            panic!("{ask:?}")
        };
        assert_eq!((*p, *implement_at, *control), (proposed, 0, 1));
        let answer = typed_components(&format!("{dir}_SUCCESS_RESPONSE_GBCS.HEX"));
        let [GasPayload::SupplyStatus { status, .. }] = answer.as_slice() else {
            panic!("{answer:?}")
        };
        assert_eq!(*status, proposed);
    }
    // 2.2 CS01b: the UTRN, and the meter's answer: 1,250,000 (£12.50) credited.
    assert_eq!(
        typed_components("2.2_CS01b/CS01b_2.2_SUCCESS_COMMAND_GBCS.HEX"),
        [GasPayload::TopUp {
            origin: 0,
            utrn: "73950067887105178605".into()
        }]
    );
    let [
        GasPayload::TopUpResult {
            result,
            value,
            credit,
            ..
        },
    ] = typed_components("2.2_CS01b/CS01b_2.2_SUCCESS_RESPONSE_GBCS.HEX")[..]
    else {
        panic!()
    };
    assert_eq!((result, value), (0, 1_250_000));
    assert!(credit > value);
    let [GasPayload::TopUpResult { result, value, .. }] =
        typed_components("2.2_CS01b/CS01b_2.2_ERROR_RESPONSE_GBCS.HEX")[..]
    else {
        panic!()
    };
    assert_eq!((result, value), (1, -1));
}

/// 2.5's gas command (GCS06) decodes to a SelectAvailableEmergencyCredit, commanded now by the
/// DCC, and the meter's answer to a Default Response, SUCCESS; both re-encode to their bytes.
#[test]
fn gas_emergency_credit_vectors_decode() {
    use dccsim::protocol::gbcs::gbz::GasPayload;
    let ask = typed_components("2.5_GCS06/GCS06_2.5_SUCCESS_COMMAND_GBCS.HEX");
    let select = GasPayload::SelectEmergencyCredit {
        issued: 0,
        origin: 0,
    };
    assert_eq!(ask, [select]);
    let answer = typed_components("2.5_GCS06/GCS06_2.5_SUCCESS_RESPONSE_GBCS.HEX");
    let success = GasPayload::DefaultResponse {
        cluster: 0x0705,
        command: 0x00,
        status: 0,
    };
    assert_eq!(answer, [success]);
}

/// 3.4's gas command (GCS44) decodes to a PublishChangeOfSupplier naming no new provider and
/// carrying the DUIS template's name and number, and re-encodes to its bytes; the meter, the
/// Device Management cluster's client, answers with a Default Response, client to server.
#[test]
fn gas_supplier_name_vectors_decode() {
    use dccsim::protocol::gbcs::gbz::GasPayload;
    let ask = typed_components("3.4_GCS44/GCS44_3.4_SUCCESS_COMMAND_GBCS.HEX");
    let [
        GasPayload::ChangeOfSupplier {
            proposed_provider: 0,
            implement_at: 0,
            control: 0x1800,
            ref name,
            ref contact,
            ..
        },
    ] = ask[..]
    else {
        panic!("{ask:?}")
    };
    assert_eq!((name.as_str(), contact.as_str()), ("E-ON", "0333 202 4650"));
    let answer = typed_components("3.4_GCS44/GCS44_3.4_SUCCESS_RESPONSE_GBCS.HEX");
    let success = GasPayload::DefaultResponse {
        cluster: 0x0708,
        command: 0x01,
        status: 0,
    };
    assert_eq!(answer, [success]);
}

/// 3.1, 3.2, 3.5 and 6.20.1's gas commands decode — a Messaging cluster DisplayMessage of the
/// DUIS template's text, at once until replaced (GCS07); a PublishChangeOfTenancy from
/// 2016-11-22 02:46:56 (GCS09, to the GPF); an empty consumer password, privacy PIN protection
/// off (GCS11); an UpdateSiteID of the template's MPRN (GCS41) — and re-encode to their bytes;
/// the meter, each cluster's client, answers with a Default Response, client to server.
#[test]
fn gas_message_tenancy_password_and_site_id_vectors_decode() {
    use dccsim::protocol::gbcs::gbz::GasPayload;
    // The RTDS names each command with an issuer event id: 2015-01-01 in GBCS seconds.
    let event = 0x1C37_4A80;
    let cases = [
        (
            "3.1_GCS07/GCS07_3.1",
            GasPayload::DisplayMessage {
                id: event,
                control: 0,
                start: 0,
                minutes: 0xFFFF,
                message: "Reset".into(),
            },
            (0x0703, 0x00),
        ),
        (
            "3.2_GCS09/GCS09_3.2",
            GasPayload::ChangeOfTenancy {
                provider: 0,
                event,
                tariff_type: 0,
                implement_at: 0x1FC6_6E20,
                control: 0x0000_0200,
            },
            (0x0708, 0x00),
        ),
        (
            "3.5_GCS11/GCS11_3.5",
            GasPayload::NewPassword {
                event,
                implement_at: 0,
                minutes: 0,
                password_type: 2,
                password: Vec::new(),
            },
            (0x0708, 0x02),
        ),
        (
            "6.20.1_GCS41/GCS41_6.20.1",
            GasPayload::UpdateSiteId {
                event,
                at: 0,
                provider: 0,
                site_id: "1234567890".into(),
            },
            (0x0708, 0x03),
        ),
    ];
    for (path, command, (cluster, id)) in cases {
        let dir = path.split('/').next().unwrap();
        let name = path.split('/').nth(1).unwrap();
        let ask = typed_components(&format!("{dir}/{name}_SUCCESS_COMMAND_GBCS.HEX"));
        assert_eq!(ask, [command], "{path}");
        let answer = typed_components(&format!("{dir}/{name}_SUCCESS_RESPONSE_GBCS.HEX"));
        let success = GasPayload::DefaultResponse {
            cluster,
            command: id,
            status: 0,
        };
        assert_eq!(answer, [success], "{path}");
    }
}

/// 6.6's gas command (GCS23, critical) decodes to a PublishConversionFactor of 1.02264 and a
/// PublishCalorificValue of 40.0 MJ/m³ — the DUIS template's values, at once — and re-encodes
/// to its bytes; the meter, their client, answers each with a Default Response, client to
/// server.
#[test]
fn gas_conversion_vectors_decode() {
    use dccsim::protocol::gbcs::gbz::GasPayload;
    let event = 0x1C37_4A80;
    let ask = typed_components("6.6_GCS23/GCS23_6.6_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(
        ask,
        [
            GasPayload::ConversionFactor {
                event,
                start: 0,
                factor: 102_264,
                trailing_digit: 0x50,
            },
            GasPayload::CalorificValue {
                event,
                start: 0,
                value: 400,
                unit: 1,
                trailing_digit: 0x10,
            }
        ]
    );
    let answer = typed_components("6.6_GCS23/GCS23_6.6_SUCCESS_RESPONSE_GBCS.HEX");
    let done = |command| GasPayload::DefaultResponse {
        cluster: 0x0700,
        command,
        status: 0,
    };
    assert_eq!(answer, [done(0x02), done(0x03)]);
}

/// 3.3's gas command (CS11) decodes to an Events cluster ClearEventLogRequest of the general
/// event log and re-encodes to its bytes; the meter answers with a ClearEventLogResponse naming
/// that log cleared — in the error vector, none.
#[test]
fn gas_clear_event_log_vectors_decode() {
    use dccsim::protocol::gbcs::gbz::GasPayload;
    let ask = typed_components("3.3_CS11/CS11_3.3_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(ask, [GasPayload::ClearEventLog { log_id: 3 }]);
    for (outcome, cleared) in [("SUCCESS", 0x08), ("ERROR", 0x00)] {
        let answer = typed_components(&format!("3.3_CS11/CS11_3.3_{outcome}_RESPONSE_GBCS.HEX"));
        assert_eq!(
            answer,
            [GasPayload::EventLogCleared { cleared }],
            "{outcome}"
        );
    }
}

/// 6.13's gas commands (CS10a, CS10b) decode to GetEventLogs of the general event log and the
/// security log, every event in the DUIS template's period, and re-encode to their bytes; the
/// meter's PublishEventLogs hold 32 events each, oldest first, each a command's with its
/// message code (or none); an empty period, a Default Response NOT_FOUND.
#[test]
fn gas_event_log_vectors_decode() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, LoggedEvent};
    let request = |control, end| GasPayload::EventLogRequest {
        control,
        event_id: 0,
        start: 0x1C35_F900,
        end,
        count: 0,
        offset: 0,
    };
    let ask = typed_components("6.13_CS10a/CS10a_6.13_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(ask, [request(0x13, 0x386E_9500)]);
    let ask = typed_components("6.13_CS10b/CS10b_6.13_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(ask, [request(0x04, 0x1C37_4A80)]);
    for (vector, log_id) in [("CS10a", 3), ("CS10b", 4)] {
        let answer = typed_components(&format!(
            "6.13_{vector}/{vector}_6.13_SUCCESS_RESPONSE_GBCS.HEX"
        ));
        let [
            GasPayload::EventLog {
                matching: 32,
                command_index: 0,
                commands: 1,
                control: 0,
                entries,
            },
        ] = &answer[..]
        else {
            panic!("{vector}: {answer:?}")
        };
        assert_eq!(entries.len(), 32, "{vector}");
        assert!(entries.iter().all(|e| e.log_id == log_id), "{vector}");
        assert!(entries.is_sorted_by_key(|e| e.time), "{vector}");
        let first = (
            log_id,
            if log_id == 3 { 0x8F1F } else { 0x8F0C },
            0x1C35_F900,
        );
        let e = &entries[0];
        assert_eq!((e.log_id, e.event_id, e.time), first, "{vector}");
        assert!(e.data.is_empty(), "{vector}");
    }
    // The general event log's third entry: a command carried out, with its message code.
    let answer = typed_components("6.13_CS10a/CS10a_6.13_SUCCESS_RESPONSE_GBCS.HEX");
    let GasPayload::EventLog { entries, .. } = &answer[0] else {
        panic!("{answer:?}")
    };
    assert_eq!(
        entries[2],
        LoggedEvent {
            log_id: 3,
            event_id: 0x8154,
            time: 0x1C36_09D1,
            data: vec![0x00, 0x9B],
        }
    );
    let answer = typed_components("6.13_CS10a/CS10a_6.13_NOT_FOUND_RESPONSE_GBCS.HEX");
    assert_eq!(
        answer,
        [GasPayload::DefaultResponse {
            cluster: 0x0709,
            command: 0x00,
            status: 0x8B,
        }]
    );
}

/// 6.22's gas command (GCS20) decodes to four SetEventConfigurations, each a configuration and
/// the events listed, and re-encodes to its bytes, answered with a Default Response each;
/// 6.2.10's (GCS20r) to a GetEventConfiguration, answered with the 44 events' configurations.
#[test]
fn gas_event_configuration_vectors_decode() {
    use dccsim::protocol::gbcs::gbz::GasPayload;
    let set = |configuration, events: &[u16]| GasPayload::SetEventConfiguration {
        event: 0x1C37_4A80,
        start: 0,
        configuration,
        control: 0,
        events: events.to_vec(),
    };
    let ask = typed_components("6.22_GCS20/GCS20_6.22_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(
        ask,
        [
            set(0x5B, &[0x81AA, 0x81AB, 0x81C4]),
            set(0x08, &[0x810E]),
            set(0x4B, &[0x81BD, 0x81BE, 0x81BF, 0x81C0]),
            set(0x43, &[0x8161, 0x8162, 0x81C6]),
        ]
    );
    let answer = typed_components("6.22_GCS20/GCS20_6.22_SUCCESS_RESPONSE_GBCS.HEX");
    let done = GasPayload::DefaultResponse {
        cluster: 0x0708,
        command: 0x04,
        status: 0,
    };
    assert_eq!(answer, vec![done; 4]);
    let ask = typed_components("6.2.10_GCS20r/GCS20r_6.2.10_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(
        ask,
        [GasPayload::GetEventConfiguration { event_id: 0x81FF }]
    );
    let answer = typed_components("6.2.10_GCS20r/GCS20r_6.2.10_SUCCESS_RESPONSE_GBCS.HEX");
    let [
        GasPayload::EventConfiguration {
            command_index: 0,
            commands: 1,
            entries,
        },
    ] = &answer[..]
    else {
        panic!("{answer:?}")
    };
    assert_eq!(entries.len(), 44);
    assert_eq!(entries[..2], [(0x810D, 0x18), (0x810E, 0x08)]);
}

/// 6.7's gas command (GCS24, critical) decodes to a SetUncontrolledFlowThreshold of the DUIS
/// template's values (61,680 m³/h, 60 s, 300 s) and a SetSupplyStatus (tamper and depletion
/// unchanged, uncontrolled flow off) and re-encodes to its bytes; the meter, the metering
/// cluster's server, answers each with a Default Response.
#[test]
fn gas_flow_vectors_decode() {
    use dccsim::protocol::gbcs::gbz::GasPayload;
    let event = 0x1C37_4A80;
    let ask = typed_components("6.7_GCS24/GCS24_6.7_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(
        ask,
        [
            GasPayload::UncontrolledFlowThreshold {
                provider: 0,
                event,
                threshold: 61_680,
                unit: 1,
                multiplier: 1,
                divisor: 1,
                stabilisation: 60,
                measurement: 300,
            },
            GasPayload::SetSupplyStatus {
                event,
                tamper: 3,
                depletion: 3,
                uncontrolled_flow: 0,
                load_limit: 3,
            }
        ]
    );
    let answer = typed_components("6.7_GCS24/GCS24_6.7_SUCCESS_RESPONSE_GBCS.HEX");
    let done = |command| GasPayload::DefaultResponse {
        cluster: 0x0702,
        command,
        status: 0,
    };
    assert_eq!(answer, [done(0x0E), done(0x0D)]);
}

/// 1.5's four gas commands (GCS40a–d) decode to a CreditAdjustment — at once, its type the use
/// case's (prepayment mode: by the value, to it; credit mode: by it, to it) and the DUIS
/// template's value — and re-encode to their bytes; the meter answers each with a Default
/// Response, SUCCESS.
#[test]
fn gas_meter_balance_update_vectors_decode() {
    use dccsim::protocol::gbcs::gbz::GasPayload;
    for (dir, kind, amount) in [
        ("1.5_GCS40a/GCS40a", 0, 23_130),
        ("1.5_GCS40b/GCS40b", 1, 0),
        ("1.5_GCS40c/GCS40c", 3, 5_000_000),
        ("1.5_GCS40d/GCS40d", 2, 0),
    ] {
        let ask = typed_components(&format!("{dir}_1.5_SUCCESS_COMMAND_GBCS.HEX"));
        assert!(
            matches!(
                ask[..],
                [GasPayload::CreditAdjustment {
                    start: 0,
                    adjustment,
                    value,
                    ..
                }] if adjustment == kind && value == amount
            ),
            "{dir}: {ask:?}"
        );
        let answer = typed_components(&format!("{dir}_1.5_SUCCESS_RESPONSE_GBCS.HEX"));
        let success = GasPayload::DefaultResponse {
            cluster: 0x0705,
            command: 0x05,
            status: 0,
        };
        assert_eq!(answer, [success], "{dir}");
    }
}

#[test]
fn gas_payment_mode_vectors_and_their_future_dated_alerts_decode() {
    use dccsim::protocol::gbcs::gbz::{FutureDated, GasPayload};
    // The configurations follow the DUIS templates' debt suspension flags: bit 10 set when debt
    // collection is suspended while disabled, bit 11 clear when suspended in emergency credit.
    for (dir, code, configurations) in [
        ("1.6_GCS02/GCS02", 0x006C, [0x0C94; 3]),
        ("1.6_GCS03/GCS03", 0x006D, [0x0897, 0x0097, 0x0C97]),
    ] {
        for ((kind, at), configuration) in [
            ("IMMEDIATE", Some(0)),
            ("FUTURE_DATED", None),
            ("CANCELLATION", Some(0xFFFF_FFFF)),
        ]
        .into_iter()
        .zip(configurations)
        {
            let ask = typed_components(&format!("{dir}_1.6_{kind}_SUCCESS_COMMAND_GBCS.HEX"));
            let [
                GasPayload::ChangePaymentMode {
                    implement_at,
                    configuration: c,
                    ..
                },
            ] = ask[..]
            else {
                panic!("{ask:?}")
            };
            assert_eq!(c, configuration, "{dir} {kind}");
            match at {
                Some(at) => assert_eq!(implement_at, at, "{dir} {kind}"),
                None => assert!(implement_at > 0 && implement_at < 0xFFFF_FFFF),
            }
            let answer = typed_components(&format!("{dir}_1.6_{kind}_SUCCESS_RESPONSE_GBCS.HEX"));
            assert!(
                matches!(
                    answer[..],
                    [GasPayload::PaymentModeSettings {
                        emergency_limit: 1_000_000,
                        ..
                    }]
                ),
                "{answer:?}"
            );
        }
        // The alert when the future-dated change was carried out names the command.
        let text = std::fs::read_to_string(reference().join("RTDS-4.5.0").join(format!(
            "{dir}_1.6_8F66_FUTURE_DATED_SUCCESS_ALERT_CHANGE_PAYMENT_MODE_GBCS.HEX"
        )))
        .unwrap();
        let m = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
        let Gbz::Alert {
            alert_code, rest, ..
        } = Gbz::decode(&m.signing.content, true).unwrap()
        else {
            panic!()
        };
        assert_eq!(alert_code, 0x8F66);
        let fd = FutureDated::decode(&rest).unwrap();
        assert_eq!(
            (fd.message_code, fd.cluster, fd.command),
            (code, 0x0705, 0x06)
        );
        assert_eq!(fd.encode(), rest);
    }
}

#[test]
fn gas_readings_decode_to_their_values_and_encode_back_to_the_devices_bytes() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, encode_gas_payload, gas_payload};
    let keys = KeyStore::load(&reference().join("keystore")).unwrap();
    let read = |path: &str, response: bool| {
        let (m, c) = component(path, response);
        let plain = c.plaintext(&m, &keys).unwrap();
        let reading = gas_payload(&c, &plain).unwrap().expect("a gas reading");
        // Both directions: the typed reading writes the same ZCL payload back.
        assert_eq!(encode_gas_payload(&reading), plain, "{path}");
        reading
    };
    // 4.1.1 GCS13a: the command asks for divisor, multiplier, unit and summation; the GSME
    // answers 12345 × 1 ÷ 1000 m³.
    assert_eq!(
        read(
            "4.1.1_GCS13a/GCS13a_4.1.1_SUCCESS_RELIABLE_GSME_COMMAND_GBCS.HEX",
            false
        ),
        GasPayload::ReadAttributes {
            attributes: vec![0x0302, 0x0301, 0x0300, 0x0000]
        }
    );
    match read(
        "4.1.1_GCS13a/GCS13a_4.1.1_SUCCESS_RELIABLE_GSME_RESPONSE_GBCS.HEX",
        true,
    ) {
        GasPayload::Registers {
            summation,
            divisor,
            unit,
            value,
            ..
        } => {
            assert_eq!((summation, divisor, unit), (12345, 1000, 1));
            assert_eq!(value, "12.345");
        }
        other => panic!("{other:?}"),
    }
    // 4.8.1 GCS17: 97 half-hourly samples asked and answered.
    match read("4.8.1_GCS17/GCS17_4.8.1_SUCCESS_COMMAND_GBCS.HEX", false) {
        GasPayload::SampledDataRequest {
            sample_id, count, ..
        } => assert_eq!((sample_id, count), (0, 97)),
        other => panic!("{other:?}"),
    }
    match read("4.8.1_GCS17/GCS17_4.8.1_SUCCESS_RESPONSE_GBCS.HEX", true) {
        GasPayload::SampledData {
            interval_s,
            samples,
            ..
        } => {
            assert_eq!(interval_s, 1800);
            assert_eq!(samples.len(), 97);
        }
        other => panic!("{other:?}"),
    }
    // 4.17 GCS61: the daily consumption log, eleven days.
    match read("4.17_GCS61/GCS61_4.17_SUCCESS_RESPONSE_GBCS.HEX", true) {
        GasPayload::SampledData {
            sample_id, samples, ..
        } => {
            assert_eq!(sample_id, 1);
            assert_eq!(samples.len(), 11);
            assert_eq!(samples[0], 0x00BE4A);
        }
        other => panic!("{other:?}"),
    }
    // 4.18 GCS60 (to the GSME) and GCS60a (to the GPF): bill to date (£35) from the metering
    // cluster and the meter balance (£25) from the prepayment cluster, in clear.
    for (command, response) in [
        (
            "4.18_GCS60/GCS60_4.18_SUCCESS_COMMAND_GBCS.HEX",
            "4.18_GCS60/GCS60_4.18_SUCCESS_RESPONSE_GBCS.HEX",
        ),
        (
            "4.18_GCS60a/GCS60a_4.18_SUCCESS_RELIABLE_GPF_COMMAND_GBCS.HEX",
            "4.18_GCS60a/GCS60a_4.18_SUCCESS_RELIABLE_GPF_RESPONSE_GBCS.HEX",
        ),
    ] {
        assert_eq!(
            typed_components(command),
            [
                GasPayload::ReadAttributes {
                    attributes: vec![0x0A00]
                },
                GasPayload::ReadPrepaymentAttributes {
                    attributes: vec![0x0001]
                }
            ]
        );
        assert_eq!(
            typed_components(response),
            [
                GasPayload::BillToDate { value: 3_500_000 },
                GasPayload::CreditRemaining { value: 2_500_000 }
            ]
        );
    }
    // 4.3 GCS14 (to the GSME, and to the GPF with the same code): the currency from the price
    // cluster in clear (five decimal places of pounds sterling), the prepayment registers
    // sealed.
    for (command, response) in [
        (
            "4.3_GCS14/GCS14_4.3_SUCCESS_RELIABLE_GSME_COMMAND_GBCS.HEX",
            "4.3_GCS14/GCS14_4.3_SUCCESS_RELIABLE_GSME_RESPONSE_GBCS.HEX",
        ),
        (
            "4.3_GCS14/GCS14_4.3_SUCCESS_RELIABLE_GPF_COMMAND_GBCS.HEX",
            "4.3_GCS14/GCS14_4.3_SUCCESS_RELIABLE_GPF_RESPONSE_GBCS.HEX",
        ),
    ] {
        assert_eq!(
            typed_components(command),
            [
                GasPayload::ReadPriceAttributes {
                    attributes: vec![0x0617, 0x0616]
                },
                GasPayload::ReadPrepaymentAttributes {
                    attributes: vec![0x0005, 0x0002, 0x0001, 0x0231, 0x0211, 0x0221]
                }
            ]
        );
        assert_eq!(
            typed_components(response),
            [
                GasPayload::Currency {
                    trailing_digit: 0x50,
                    currency: 826
                },
                GasPayload::PrepayValues {
                    accumulated_debt: 2_500_000,
                    emergency_credit: 500_000,
                    credit_remaining: 2_500_000,
                    payment_debt: 5000,
                    time_debt: [5000, 5000],
                }
            ]
        );
    }
    // 6.2.7 GCS46: the site id (the MPRN) asked of the metering cluster, and answered in clear.
    assert_eq!(
        typed_components("6.2.7_GCS46/GCS46_6.2.7_SUCCESS_COMMAND_GBCS.HEX"),
        [GasPayload::ReadAttributes {
            attributes: vec![0x0307]
        }]
    );
    assert_eq!(
        typed_components("6.2.7_GCS46/GCS46_6.2.7_SUCCESS_RESPONSE_GBCS.HEX"),
        [GasPayload::SiteId {
            mprn: "1000999888".into()
        }]
    );
    // 6.2.9 GCS21j: the payment control configuration asked of the prepayment cluster, and
    // answered in clear (bit 1: prepayment).
    assert_eq!(
        typed_components("6.2.9_GCS21j/GCS21j_6.2.9_SUCCESS_COMMAND_GBCS.HEX"),
        [GasPayload::ReadPrepaymentAttributes {
            attributes: vec![0x0000]
        }]
    );
    assert_eq!(
        typed_components("6.2.9_GCS21j/GCS21j_6.2.9_SUCCESS_RESPONSE_GBCS.HEX"),
        [GasPayload::PaymentControl {
            configuration: 0x0C97
        }]
    );
    // 11.2 GCS38: the firmware version attribute asked, and answered in clear.
    assert_eq!(
        read("11.2_GCS38/GCS38_11.2_SUCCESS_COMMAND_GBCS.HEX", false),
        GasPayload::ReadAttributes {
            attributes: vec![0x0206]
        }
    );
    assert_eq!(
        read("11.2_GCS38/GCS38_11.2_SUCCESS_RESPONSE_GBCS.HEX", true),
        GasPayload::FirmwareVersion {
            version: "0123ABCD".into()
        }
    );
}

mod round_trips {
    use dccsim::protocol::gbcs::gas_settings::{self, GasSettingValue};
    use dccsim::protocol::gbcs::gbz::{
        Component, DebtEntry, GasPayload, LoggedEvent, PrepaySnapshotPayload, SnapshotRegisters,
        TopUpEntry, ZclValue, encode_gas_payload, gas_payload, zcl_header,
    };
    use proptest::prelude::*;

    /// A value of ZCL data type `data_type` as `gas_settings` lists them.
    fn zcl_value(data_type: u8) -> BoxedStrategy<ZclValue> {
        match data_type {
            0x42 => proptest::collection::vec(any::<u8>(), 0..24)
                .prop_map(ZclValue::Bytes)
                .boxed(),
            0x20..=0x27 => (0u64..1 << (8 * (data_type - 0x1F)).min(63))
                .prop_map(ZclValue::Unsigned)
                .boxed(),
            _ => (0u64..256).prop_map(ZclValue::Unsigned).boxed(),
        }
    }

    /// The answer to one of `gas_settings`'s reads, with any values of the listed types.
    fn settings() -> impl Strategy<Value = GasPayload> {
        let reads: Vec<_> = gas_settings::GAS_READS
            .iter()
            .flat_map(|(_, _, reads)| reads.iter())
            .collect();
        proptest::sample::select(reads).prop_flat_map(|read| {
            let values: Vec<_> = read
                .settings
                .iter()
                .map(|s| {
                    zcl_value(s.data_type).prop_map(move |value| GasSettingValue {
                        name: s.name,
                        id: s.id,
                        data_type: s.data_type,
                        value,
                    })
                })
                .collect();
            values.prop_map(move |values| GasPayload::Settings {
                cluster: read.cluster,
                frame_control: read.answer_frame_control(),
                values,
            })
        })
    }

    /// The billing data logs' commands and answers (GCS15c, GCS15d, GCS15e).
    fn billing_logs() -> impl Strategy<Value = GasPayload> {
        let top_up = ("[0-9]{20}", any::<i32>(), any::<u32>())
            .prop_map(|(utrn, amount, time)| TopUpEntry { utrn, amount, time });
        let debt = (any::<u32>(), any::<u32>(), any::<u8>(), any::<u32>()).prop_map(
            |(time, amount, debt_type, outstanding)| DebtEntry {
                time,
                amount,
                debt_type,
                outstanding,
            },
        );
        let status = (any::<i32>(), any::<[u32; 3]>(), any::<i32>(), any::<i32>()).prop_map(
            |(accumulated_debt, debts, emergency_credit, credit_remaining)| {
                PrepaySnapshotPayload::DebtCreditStatus {
                    accumulated_debt,
                    debts,
                    emergency_credit,
                    credit_remaining,
                }
            },
        );
        let other = (1u8.., proptest::collection::vec(any::<u8>(), 0..30))
            .prop_map(|(code, bytes)| PrepaySnapshotPayload::Other { code, bytes });
        prop_oneof![
            (any::<u32>(), any::<u8>())
                .prop_map(|(latest, count)| GasPayload::TopUpLogRequest { latest, count }),
            (
                any::<u8>(),
                any::<u8>(),
                proptest::collection::vec(top_up, 0..6)
            )
                .prop_map(|(command_index, commands, entries)| GasPayload::TopUpLog {
                    command_index,
                    commands,
                    entries
                }),
            (any::<u32>(), any::<u8>(), any::<u8>()).prop_map(|(latest, count, debt_type)| {
                GasPayload::DebtLogRequest {
                    latest,
                    count,
                    debt_type,
                }
            }),
            (
                any::<u8>(),
                any::<u8>(),
                proptest::collection::vec(debt, 0..11)
            )
                .prop_map(|(command_index, commands, entries)| GasPayload::DebtLog {
                    command_index,
                    commands,
                    entries
                }),
            (any::<u32>(), any::<u32>(), any::<u8>(), any::<u32>()).prop_map(
                |(earliest, latest, offset, cause)| GasPayload::PrepaySnapshotRequest {
                    earliest,
                    latest,
                    offset,
                    cause
                }
            ),
            (
                any::<[u32; 2]>(),
                any::<[u8; 3]>(),
                any::<u32>(),
                prop_oneof![status, other]
            )
                .prop_map(|(t, n, cause, payload)| GasPayload::PrepaySnapshot {
                    id: t[0],
                    time: t[1],
                    found: n[0],
                    command_index: n[1],
                    commands: n[2],
                    cause,
                    payload,
                }),
        ]
    }

    /// The billing calendar read (GCS21d) and its answer.
    fn billing_calendar() -> impl Strategy<Value = GasPayload> {
        prop_oneof![
            (any::<[u32; 2]>(), any::<[u8; 2]>()).prop_map(|(t, n)| {
                GasPayload::BillingPeriodRequest {
                    earliest_start: t[0],
                    min_issuer_event_id: t[1],
                    commands: n[0],
                    tariff_type: n[1],
                }
            }),
            (any::<[u32; 3]>(), 0u32..1 << 24, any::<[u8; 2]>()).prop_map(|(t, duration, n)| {
                GasPayload::BillingPeriod {
                    provider_id: t[0],
                    issuer_event_id: t[1],
                    start: t[2],
                    duration,
                    duration_type: n[0],
                    tariff_type: n[1],
                }
            }),
            (any::<[u32; 2]>(), any::<u8>(), any::<[u16; 2]>()).prop_map(|(t, kind, n)| {
                GasPayload::StartSampling {
                    event: t[0],
                    start: t[1],
                    sample_type: kind,
                    interval_s: n[0],
                    max_samples: n[1],
                }
            }),
            any::<u16>().prop_map(|sample_id| GasPayload::StartSamplingResponse { sample_id }),
            (any::<[u32; 3]>(), 0u32..1 << 24, any::<[u8; 4]>()).prop_map(|(t, duration, n)| {
                GasPayload::BlockPeriod {
                    provider_id: t[0],
                    issuer_event_id: t[1],
                    start: t[2],
                    duration,
                    control: n[0],
                    duration_type: n[1],
                    tariff_type: n[2],
                    resolution: n[3],
                }
            }),
        ]
    }

    fn reading() -> impl Strategy<Value = GasPayload> {
        prop_oneof![
            settings(),
            billing_logs(),
            billing_calendar(),
            proptest::collection::vec(any::<u16>(), 0..8)
                .prop_map(|attributes| GasPayload::ReadBasicAttributes { attributes }),
            proptest::collection::vec(any::<u16>(), 0..8)
                .prop_map(|attributes| GasPayload::ReadAttributes { attributes }),
            proptest::collection::vec(any::<u16>(), 0..8)
                .prop_map(|attributes| GasPayload::ReadPrepaymentAttributes { attributes }),
            any::<u32>().prop_map(|value| GasPayload::BillToDate { value }),
            any::<i32>().prop_map(|value| GasPayload::CreditRemaining { value }),
            proptest::collection::vec(any::<u16>(), 0..8)
                .prop_map(|attributes| GasPayload::ReadPriceAttributes { attributes }),
            (any::<u8>(), any::<u16>()).prop_map(|(trailing_digit, currency)| {
                GasPayload::Currency {
                    trailing_digit,
                    currency,
                }
            }),
            (any::<[i32; 3]>(), any::<[u32; 3]>()).prop_map(|(s, u)| GasPayload::PrepayValues {
                accumulated_debt: s[0],
                emergency_credit: s[1],
                credit_remaining: s[2],
                payment_debt: u[0],
                time_debt: [u[1], u[2]],
            }),
            any::<u16>().prop_map(|configuration| GasPayload::PaymentControl { configuration }),
            (
                any::<[u32; 5]>(),
                any::<u8>(),
                "[ -~]{0,15}",
                "[0-9 ]{0,18}"
            )
                .prop_map(|(n, tariff_type, name, contact)| {
                    GasPayload::ChangeOfSupplier {
                        current_provider: n[0],
                        event: n[1],
                        tariff_type,
                        proposed_provider: n[2],
                        implement_at: n[3],
                        control: n[4],
                        name,
                        contact,
                    }
                }),
            (any::<u32>(), any::<u8>())
                .prop_map(|(issued, origin)| GasPayload::SelectEmergencyCredit { issued, origin }),
            (any::<[u32; 2]>(), any::<u8>(), any::<i32>()).prop_map(|(t, adjustment, value)| {
                GasPayload::CreditAdjustment {
                    event: t[0],
                    start: t[1],
                    adjustment,
                    value,
                }
            }),
            "[0-9]{0,12}".prop_map(|mprn| GasPayload::SiteId { mprn }),
            (any::<[u32; 2]>(), any::<u8>(), any::<u16>(), "[ -~]{0,116}").prop_map(
                |(t, control, minutes, message)| GasPayload::DisplayMessage {
                    id: t[0],
                    control,
                    start: t[1],
                    minutes,
                    message,
                }
            ),
            (
                any::<[u32; 2]>(),
                any::<u16>(),
                any::<u8>(),
                proptest::collection::vec(any::<u8>(), 0..12)
            )
                .prop_map(|(t, minutes, password_type, password)| {
                    GasPayload::NewPassword {
                        event: t[0],
                        implement_at: t[1],
                        minutes,
                        password_type,
                        password,
                    }
                }),
            (any::<[u32; 2]>(), any::<[u16; 4]>(), any::<[u8; 2]>()).prop_map(|(n, w, b)| {
                GasPayload::UncontrolledFlowThreshold {
                    provider: n[0],
                    event: n[1],
                    threshold: w[0],
                    unit: b[0],
                    multiplier: w[1],
                    divisor: w[2],
                    stabilisation: b[1],
                    measurement: w[3],
                }
            }),
            any::<u8>().prop_map(|log_id| GasPayload::ClearEventLog { log_id }),
            any::<u8>().prop_map(|cleared| GasPayload::EventLogCleared { cleared }),
            (
                any::<[u32; 2]>(),
                any::<u8>(),
                proptest::collection::vec(any::<u16>(), 0..8)
            )
                .prop_map(|(t, configuration, events)| {
                    GasPayload::SetEventConfiguration {
                        event: t[0],
                        start: t[1],
                        configuration,
                        control: 0,
                        events,
                    }
                }),
            any::<u16>().prop_map(|event_id| GasPayload::GetEventConfiguration { event_id }),
            (
                any::<[u8; 2]>(),
                proptest::collection::vec(any::<(u16, u8)>(), 0..8)
            )
                .prop_map(|(n, entries)| GasPayload::EventConfiguration {
                    command_index: n[0],
                    commands: n[1],
                    entries,
                }),
            (any::<[u32; 2]>(), any::<[u16; 2]>(), any::<[u8; 2]>()).prop_map(|(t, w, b)| {
                GasPayload::EventLogRequest {
                    control: b[0],
                    event_id: w[0],
                    start: t[0],
                    end: t[1],
                    count: b[1],
                    offset: w[1],
                }
            }),
            (
                any::<u16>(),
                any::<[u8; 3]>(),
                proptest::collection::vec(
                    (
                        any::<u8>(),
                        any::<u16>(),
                        any::<u32>(),
                        proptest::collection::vec(any::<u8>(), 0..8)
                    ),
                    0..6
                )
            )
                .prop_map(|(matching, b, entries)| GasPayload::EventLog {
                    matching,
                    command_index: b[0],
                    commands: b[1],
                    control: b[2],
                    entries: entries
                        .into_iter()
                        .map(|(log_id, event_id, time, data)| LoggedEvent {
                            log_id,
                            event_id,
                            time,
                            data,
                        })
                        .collect(),
                }),
            (any::<u32>(), any::<[u8; 4]>()).prop_map(|(event, b)| {
                GasPayload::SetSupplyStatus {
                    event,
                    tamper: b[0],
                    depletion: b[1],
                    uncontrolled_flow: b[2],
                    load_limit: b[3],
                }
            }),
            (any::<[u32; 3]>(), any::<u8>()).prop_map(|(n, trailing_digit)| {
                GasPayload::ConversionFactor {
                    event: n[0],
                    start: n[1],
                    factor: n[2],
                    trailing_digit,
                }
            }),
            (any::<[u32; 3]>(), any::<[u8; 2]>()).prop_map(|(n, b)| {
                GasPayload::CalorificValue {
                    event: n[0],
                    start: n[1],
                    value: n[2],
                    unit: b[0],
                    trailing_digit: b[1],
                }
            }),
            (any::<[u32; 4]>(), any::<u8>()).prop_map(|(n, tariff_type)| {
                GasPayload::ChangeOfTenancy {
                    provider: n[0],
                    event: n[1],
                    tariff_type,
                    implement_at: n[2],
                    control: n[3],
                }
            }),
            (any::<[u32; 3]>(), "[0-9]{1,10}").prop_map(|(n, site_id)| {
                GasPayload::UpdateSiteId {
                    event: n[0],
                    at: n[1],
                    provider: n[2],
                    site_id,
                }
            }),
            (0u64..1 << 48, 0u64..1 << 24, 1u64..1 << 24, 0u64..256).prop_map(
                |(summation, multiplier, divisor, unit)| GasPayload::Registers {
                    summation,
                    multiplier,
                    divisor,
                    unit,
                    value: String::new(),
                }
            ),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(|v| {
                GasPayload::FirmwareVersion {
                    version: dccsim::protocol::gbcs::hex(&v),
                }
            }),
            (any::<u16>(), any::<u32>(), any::<u8>(), any::<u16>()).prop_map(
                |(sample_id, start, sampling_type, count)| GasPayload::SampledDataRequest {
                    sample_id,
                    start,
                    sampling_type,
                    count,
                }
            ),
            (
                any::<u16>(),
                any::<u32>(),
                any::<u8>(),
                any::<u16>(),
                proptest::collection::vec(0u32..1 << 24, 0..60)
            )
                .prop_map(|(sample_id, start, sampling_type, interval_s, samples)| {
                    GasPayload::SampledData {
                        sample_id,
                        start,
                        sampling_type,
                        interval_s,
                        samples,
                    }
                }),
            (any::<u32>(), any::<u32>(), any::<u8>(), any::<u32>()).prop_map(
                |(earliest, latest, offset, cause)| GasPayload::SnapshotRequest {
                    earliest,
                    latest,
                    offset,
                    cause,
                }
            ),
            (
                (
                    any::<u32>(),
                    any::<u32>(),
                    any::<u8>(),
                    any::<u8>(),
                    any::<u8>(),
                    any::<u32>()
                ),
                snapshot_registers()
            )
                .prop_map(
                    |((id, time, found, command_index, commands, cause), registers)| {
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
                ),
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                any::<u8>(),
                any::<u8>()
            )
                .prop_map(
                    |(provider, event, requested, implement_at, proposed, control)| {
                        GasPayload::ChangeSupply {
                            provider,
                            event,
                            requested,
                            implement_at,
                            proposed,
                            control,
                        }
                    }
                ),
            (any::<u32>(), any::<u32>(), any::<u32>(), any::<u8>()).prop_map(
                |(provider, event, implemented, status)| GasPayload::SupplyStatus {
                    provider,
                    event,
                    implemented,
                    status,
                }
            ),
            (any::<u8>(), "[0-9]{0,40}")
                .prop_map(|(origin, utrn)| GasPayload::TopUp { origin, utrn }),
            (any::<u8>(), any::<i32>(), any::<u8>(), any::<i32>()).prop_map(
                |(result, value, source, credit)| GasPayload::TopUpResult {
                    result,
                    value,
                    source,
                    credit,
                }
            ),
            (any::<u16>(), any::<u8>(), any::<u8>()).prop_map(|(cluster, command, status)| {
                GasPayload::DefaultResponse {
                    cluster,
                    command,
                    status,
                }
            }),
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                any::<u16>(),
                any::<i32>()
            )
                .prop_map(|(provider, event, implement_at, configuration, cut_off)| {
                    GasPayload::ChangePaymentMode {
                        provider,
                        event,
                        implement_at,
                        configuration,
                        cut_off,
                    }
                }),
            (any::<u8>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
                |(friendly_credit, calendar, emergency_limit, emergency_threshold)| {
                    GasPayload::PaymentModeSettings {
                        friendly_credit,
                        calendar,
                        emergency_limit,
                        emergency_threshold,
                    }
                }
            ),
        ]
    }

    fn snapshot_registers() -> impl Strategy<Value = SnapshotRegisters> {
        let le48 = || 0u64..1 << 48;
        prop_oneof![
            (
                le48(),
                proptest::collection::vec(le48(), 0..6),
                0u8..4,
                0u8..5
            )
                .prop_flat_map(move |(summation, tiers, t, b)| {
                    proptest::collection::vec(0u64..1 << 48, usize::from(t * b)).prop_map(
                        move |blocks| SnapshotRegisters::BlockTiers {
                            summation,
                            tiers: tiers.clone(),
                            tiers_and_blocks: (t << 4) | b,
                            blocks,
                        },
                    )
                }),
            (
                any::<u8>().prop_filter("not type 6", |c| *c != 6),
                proptest::collection::vec(any::<u8>(), 0..30)
            )
                .prop_map(|(code, bytes)| SnapshotRegisters::Other { code, bytes }),
        ]
    }

    /// The ZCL header a reading travels under.
    fn component(reading: &GasPayload) -> Component {
        let (cluster, frame_control, command) = zcl_header(reading);
        Component {
            control: 0x01,
            cluster,
            from: None,
            additional_header: None,
            frame_control,
            sequence: 0,
            command,
            payload: encode_gas_payload(reading),
        }
    }

    /// The tariff commands (1.1.1, 1.2.1, 4.11.1) and the meter's answers: any field values
    /// the encodings can hold (24-bit multipliers, at most 15 thresholds of 48 bits per tier).
    fn tariff() -> impl Strategy<Value = GasPayload> {
        use dccsim::protocol::gbcs::gbz::{Switch, TariffPayload::*};
        let bytes = || proptest::collection::vec(any::<u8>(), 0..12);
        let dated = || proptest::collection::vec(any::<([u8; 4], u8)>(), 0..6);
        let commands = prop_oneof![
            (any::<[u32; 4]>(), any::<[u8; 5]>(), bytes()).prop_map(|(n, b, name)| {
                PublishCalendar {
                    provider: n[0],
                    event: n[1],
                    calendar: n[2],
                    start: n[3],
                    calendar_type: b[0],
                    time_reference: b[1],
                    name,
                    seasons: b[2],
                    weeks: b[3],
                    days: b[4],
                }
            }),
            (
                any::<[u32; 3]>(),
                any::<[u8; 5]>(),
                proptest::collection::vec(any::<(u16, u8)>(), 0..6)
            )
                .prop_map(|(n, b, s)| PublishDayProfile {
                    provider: n[0],
                    event: n[1],
                    calendar: n[2],
                    day: b[0],
                    entries: b[1],
                    command_index: b[2],
                    commands: b[3],
                    calendar_type: b[4],
                    switches: s
                        .into_iter()
                        .map(|(minute, tier)| Switch { minute, tier })
                        .collect(),
                }),
            (any::<[u32; 3]>(), any::<u8>(), any::<[u8; 7]>()).prop_map(|(n, week, days)| {
                PublishWeekProfile {
                    provider: n[0],
                    event: n[1],
                    calendar: n[2],
                    week,
                    days,
                }
            }),
            (any::<[u32; 3]>(), any::<[u8; 2]>(), dated()).prop_map(|(n, b, seasons)| {
                PublishSeasons {
                    provider: n[0],
                    event: n[1],
                    calendar: n[2],
                    command_index: b[0],
                    commands: b[1],
                    seasons,
                }
            }),
            (any::<[u32; 4]>(), any::<[u8; 4]>(), dated()).prop_map(|(n, b, days)| {
                PublishSpecialDays {
                    provider: n[0],
                    event: n[1],
                    calendar: n[2],
                    start: n[3],
                    calendar_type: b[0],
                    total: b[1],
                    command_index: b[2],
                    commands: b[3],
                    days,
                }
            }),
            (any::<[u32; 2]>(), any::<[u8; 2]>()).prop_map(|(n, b)| GetDayProfiles {
                provider: n[0],
                calendar: n[1],
                start_day: b[0],
                days: b[1],
            }),
            (any::<[u32; 2]>(), any::<[u8; 2]>()).prop_map(|(n, b)| GetWeekProfiles {
                provider: n[0],
                calendar: n[1],
                start_week: b[0],
                weeks: b[1],
            }),
            any::<[u32; 2]>().prop_map(|n| GetSeasons {
                provider: n[0],
                calendar: n[1],
            }),
            (any::<[u32; 3]>(), any::<[u8; 2]>()).prop_map(|(n, b)| GetSpecialDays {
                start: n[0],
                events: b[0],
                calendar_type: b[1],
                provider: n[1],
                calendar: n[2],
            }),
            (
                any::<[u32; 5]>(),
                any::<[u8; 6]>(),
                any::<u16>(),
                bytes(),
                0u32..1 << 24,
                0u32..1 << 24
            )
                .prop_map(|(n, b, currency, label, m, d)| TariffInformation {
                    provider: n[0],
                    event: n[1],
                    tariff: n[2],
                    start: n[3],
                    tariff_type: b[0],
                    label,
                    tiers: b[1],
                    block_thresholds: b[2],
                    unit: b[3],
                    currency,
                    trailing_digit: b[4],
                    standing_charge: n[4],
                    tier_block_mode: b[5],
                    block_multiplier: m,
                    block_divisor: d,
                }),
            (
                any::<[u32; 4]>(),
                any::<[u8; 3]>(),
                proptest::collection::vec(any::<(u8, u32)>(), 0..6)
            )
                .prop_map(|(n, b, prices)| PriceMatrix {
                    provider: n[0],
                    event: n[1],
                    start: n[2],
                    tariff: n[3],
                    command_index: b[0],
                    commands: b[1],
                    control: b[2],
                    prices,
                }),
            (
                any::<[u32; 4]>(),
                any::<[u8; 3]>(),
                proptest::collection::vec(
                    (0u8..16, proptest::collection::vec(0u64..1 << 48, 0..16)),
                    0..4
                )
            )
                .prop_map(|(n, b, thresholds)| BlockThresholds {
                    provider: n[0],
                    event: n[1],
                    start: n[2],
                    tariff: n[3],
                    command_index: b[0],
                    commands: b[1],
                    control: b[2],
                    thresholds,
                }),
            any::<u8>().prop_map(|options| GetCurrentPrice { options }),
            (
                any::<[u32; 5]>(),
                any::<[u8; 3]>(),
                any::<[u16; 2]>(),
                bytes()
            )
                .prop_map(|(n, b, w, label)| PublishPrice {
                    provider: n[0],
                    label,
                    event: n[1],
                    current_time: n[2],
                    unit: b[0],
                    currency: w[0],
                    trailing_digit_and_tier: b[1],
                    tiers_and_register: b[2],
                    start: n[3],
                    minutes: w[1],
                    price: n[4],
                }),
        ];
        (commands, any::<bool>()).prop_map(|(t, answer)| {
            if answer {
                GasPayload::TariffAnswer(t)
            } else {
                GasPayload::Tariff(t)
            }
        })
    }

    /// The prepayment configuration commands (2.1).
    fn prepay_configuration() -> impl Strategy<Value = GasPayload> {
        prop_oneof![
            any::<[u32; 4]>().prop_map(|n| GasPayload::EmergencyCreditSetup {
                event: n[0],
                start: n[1],
                limit: n[2],
                threshold: n[3],
            }),
            any::<[u32; 4]>().prop_map(|n| GasPayload::OverallDebtCap {
                provider: n[0],
                event: n[1],
                implement_at: n[2],
                cap: n[3],
            }),
            (any::<u32>(), any::<Option<u32>>())
                .prop_map(|(level, from)| GasPayload::LowCreditWarning { level, from }),
            (
                any::<[u32; 4]>(),
                any::<[u8; 3]>(),
                any::<[u16; 2]>(),
                proptest::collection::vec(any::<u8>(), 0..12)
            )
                .prop_map(|(n, b, w, label)| GasPayload::ChangeDebt {
                    event: n[0],
                    label,
                    amount: n[1],
                    method: b[0],
                    amount_type: b[1],
                    start: n[2],
                    collection_time: w[0],
                    frequency: b[2],
                    recovery_amount: n[3],
                    percentage: w[1],
                }),
            any::<[u32; 5]>().prop_map(|n| GasPayload::MaximumCredit {
                provider: n[0],
                event: n[1],
                implement_at: n[2],
                max_credit: n[3],
                max_per_top_up: n[4],
            }),
        ]
    }

    proptest! {
        /// decode(encode(x)) == x for the prepayment configuration commands, whose From
        /// Date-Time (SetLowCreditWarningLevel's start) travels in the component header.
        #[test]
        fn gas_prepay_configuration_round_trips(x in prepay_configuration()) {
            let bytes = dccsim::protocol::gbcs::gbz::gas_command(std::slice::from_ref(&x), None, 0);
            let dccsim::protocol::gbcs::gbz::Gbz::Components { components } =
                dccsim::protocol::gbcs::gbz::Gbz::decode(&bytes, false).unwrap()
            else {
                panic!("components")
            };
            let c = &components[0];
            let y = gas_payload(c, &c.payload).unwrap().expect("a prepayment command");
            prop_assert_eq!(y, x);
        }

        /// decode(encode(x)) == x for every tariff command and answer.
        #[test]
        fn gas_tariff_commands_round_trip(x in tariff()) {
            let c = component(&x);
            let y = gas_payload(&c, &c.payload).unwrap().expect("a tariff command");
            prop_assert_eq!(y, x);
        }

        /// decode(encode(x)) == x for every gas reading (a register's decimal value is derived,
        /// so it is compared through the bytes).
        #[test]
        fn gas_readings_round_trip(x in reading()) {
            let c = component(&x);
            let y = gas_payload(&c, &c.payload).unwrap().expect("a gas reading");
            prop_assert_eq!(encode_gas_payload(&y), c.payload.clone());
            match (&x, &y) {
                (GasPayload::Registers { summation, divisor, .. },
                 GasPayload::Registers { summation: s, divisor: d, .. }) => {
                    prop_assert_eq!((summation, divisor), (s, d));
                }
                _ => prop_assert_eq!(x, y),
            }
        }
    }
}

/// The fixed attribute reads (`gas_settings`): 4.1.4 block registers (GCS13b) and 4.1.2 TOU
/// registers (GCS13c), sealed; 6.2.8 gas configuration (GCS21a) and 6.2.4 identity of the
/// meter (GCS21e) and of its proxy (GCS21m), in clear. Each RTDS command reads the table's
/// attributes of each cluster, and each answer is named, value by value, and writes the
/// device's bytes back.
#[test]
fn gas_settings_vectors_read_their_tables_attributes_and_name_the_values() {
    use dccsim::protocol::gbcs::gas_settings::{self, GasSettingValue};
    use dccsim::protocol::gbcs::gbz::GasPayload;
    let named = |p: &GasPayload| -> Vec<(&'static str, ZclValue)> {
        match p {
            GasPayload::Settings { values, .. } => values
                .iter()
                .map(|GasSettingValue { name, value, .. }| (*name, value.clone()))
                .collect(),
            other => panic!("{other:?}"),
        }
    };
    let u = ZclValue::Unsigned;
    for (dir, code, variants) in [
        (
            "4.1.4_GCS13b/GCS13b_4.1.4",
            gas_settings::GCS13B,
            &["RELIABLE_GSME", "RELIABLE_GPF", "UNRELIABLE"][..],
        ),
        (
            "4.1.2_GCS13c/GCS13c_4.1.2",
            gas_settings::GCS13C,
            &["RELIABLE_GSME", "RELIABLE_GPF", "UNRELIABLE"],
        ),
        ("6.2.8_GCS21a/GCS21a_6.2.8", gas_settings::GCS21A, &[""]),
        ("6.2.4_GCS21e/GCS21e_6.2.4", gas_settings::GCS21E, &[""]),
        ("6.2.4_GCS21m/GCS21m_6.2.4", gas_settings::GCS21M, &[""]),
    ] {
        let reads = gas_settings::reads(code).unwrap();
        for variant in variants {
            let file = |kind: &str| match *variant {
                "" => format!("{dir}_SUCCESS_{kind}_GBCS.HEX"),
                v => format!("{dir}_SUCCESS_{v}_{kind}_GBCS.HEX"),
            };
            let commands = typed_components(&file("COMMAND"));
            let answers = typed_components(&file("RESPONSE"));
            assert_eq!((commands.len(), answers.len()), (reads.len(), reads.len()));
            for ((ask, answer), read) in commands.iter().zip(&answers).zip(reads) {
                let asked = match ask {
                    GasPayload::ReadAttributes { attributes }
                    | GasPayload::ReadPriceAttributes { attributes }
                    | GasPayload::ReadBasicAttributes { attributes } => attributes.clone(),
                    other => panic!("{dir}: {other:?}"),
                };
                let ids: Vec<u16> = read.settings.iter().map(|s| s.id).collect();
                assert_eq!(asked, ids, "{dir}");
                let GasPayload::Settings { frame_control, .. } = answer else {
                    panic!("{dir}: {answer:?}")
                };
                assert_eq!(*frame_control, read.answer_frame_control(), "{dir}");
            }
        }
    }
    // The RTDS meter's values, by name.
    let answers =
        typed_components("4.1.2_GCS13c/GCS13c_4.1.2_SUCCESS_RELIABLE_GSME_RESPONSE_GBCS.HEX");
    assert_eq!(
        named(&answers[0]),
        [
            ("Divisor", u(1000)),
            ("Multiplier", u(1)),
            ("UnitOfMeasure", u(1)),
            ("CurrentTier1SummationDelivered", u(1000)),
            ("CurrentTier2SummationDelivered", u(2000)),
            ("CurrentTier3SummationDelivered", u(3000)),
            ("CurrentTier4SummationDelivered", u(4000)),
        ]
    );
    let answers = typed_components("6.2.8_GCS21a/GCS21a_6.2.8_SUCCESS_RESPONSE_GBCS.HEX");
    assert_eq!(named(&answers[0])[2], ("CalorificValue", u(567)));
    assert_eq!(named(&answers[1])[5], ("FlowMeasurementPeriod", u(3600)));
    let answers = typed_components("6.2.4_GCS21e/GCS21e_6.2.4_SUCCESS_RESPONSE_GBCS.HEX");
    assert_eq!(
        named(&answers[0])[0],
        (
            "ManufacturerName",
            ZclValue::Bytes(b"Critical Software".to_vec())
        )
    );
}

/// 6.2.3 (GCS21d, GCS21k): the billing calendar asked and answered — the RTDS meter's weekly
/// (1, weeks) or six-monthly (6, months) from 1 January 2014.
#[test]
fn the_gas_billing_calendar_vectors_decode_to_their_values() {
    use chrono::{TimeZone, Utc};
    use dccsim::protocol::gbcs::gbz::GasPayload;
    use dccsim::protocol::gbcs::payload::to_gbcs_seconds;
    for (code, duration, duration_type) in [("GCS21d", 1, 0x22), ("GCS21k", 6, 0x23)] {
        let asks = typed_components(&format!(
            "6.2.3_{code}/{code}_6.2.3_SUCCESS_COMMAND_GBCS.HEX"
        ));
        assert_eq!(
            asks,
            [GasPayload::BillingPeriodRequest {
                earliest_start: 0,
                min_issuer_event_id: u32::MAX,
                commands: 1,
                tariff_type: 0,
            }]
        );
        let answers = typed_components(&format!(
            "6.2.3_{code}/{code}_6.2.3_SUCCESS_RESPONSE_GBCS.HEX"
        ));
        let [
            GasPayload::BillingPeriod {
                start,
                duration: d,
                duration_type: t,
                ..
            },
        ] = answers[..]
        else {
            panic!("{answers:?}")
        };
        let january = Utc.with_ymd_and_hms(2014, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(start, to_gbcs_seconds(january).unwrap(), "{code}");
        assert_eq!((d, t), (duration, duration_type), "{code}");
    }
}

/// The gas billing data logs: 4.4.5 (GCS15e) asks for the last five top-ups and is answered
/// with each one's UTRN, amount and time, the most recent first; 4.4.4 (GCS15d) asks for the
/// payment-based debt's repayments; 4.4.3 (GCS15c) for the billing calendar's snapshots — and
/// nothing found is a Default Response NOT_FOUND from the cluster asked.
#[test]
fn gas_billing_data_log_vectors_decode_to_their_values() {
    use dccsim::protocol::gbcs::gbz::{DebtEntry, GasPayload, PrepaySnapshotPayload, TopUpEntry};
    assert_eq!(
        typed_components("4.4.5_GCS15e/GCS15e_4.4.5_SUCCESS_COMMAND_GBCS.HEX"),
        [GasPayload::TopUpLogRequest {
            latest: 0xFFFF_FFFE,
            count: 5
        }]
    );
    let [GasPayload::TopUpLog { entries, .. }] =
        &typed_components("4.4.5_GCS15e/GCS15e_4.4.5_SUCCESS_RESPONSE_GBCS.HEX")[..]
    else {
        panic!()
    };
    assert_eq!(entries.len(), 5);
    assert_eq!(
        entries[0],
        TopUpEntry {
            utrn: "73942316567647575864".into(),
            amount: 1_000_000,
            // 2014-12-25T19:12:00Z
            time: 472_849_920,
        }
    );
    assert!(entries.windows(2).all(|w| w[0].time > w[1].time));
    assert_eq!(
        typed_components("4.4.5_GCS15e/GCS15e_4.4.5_NOT_FOUND_RESPONSE_GBCS.HEX"),
        [GasPayload::DefaultResponse {
            cluster: 0x0705,
            command: 0x08,
            status: 0x8B
        }]
    );
    assert_eq!(
        typed_components("4.4.4_GCS15d/GCS15d_4.4.4_SUCCESS_COMMAND_GBCS.HEX"),
        [GasPayload::DebtLogRequest {
            // 2020-12-31T00:00:00Z
            latest: 662_688_000,
            count: 10,
            debt_type: 2
        }]
    );
    let [GasPayload::DebtLog { entries, .. }] =
        &typed_components("4.4.4_GCS15d/GCS15d_4.4.4_SUCCESS_RESPONSE_GBCS.HEX")[..]
    else {
        panic!()
    };
    assert_eq!(entries.len(), 10);
    assert_eq!(
        entries[0],
        DebtEntry {
            time: 0x1C0E_6C00,
            amount: 0x0002_7CB8,
            debt_type: 2,
            outstanding: 0,
        }
    );
    assert_eq!(
        typed_components("4.4.4_GCS15d/GCS15d_4.4.4_NOT_FOUND_RESPONSE_GBCS.HEX"),
        [GasPayload::DefaultResponse {
            cluster: 0x0705,
            command: 0x0A,
            status: 0x8B
        }]
    );
    // 4.4.3: twelve register snapshots, then twelve prepayment snapshots, of cause 2 (billing).
    let asks = typed_components("4.4.3_GCS15c/GCS15c_4.4.3_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(asks.len(), 24);
    for (i, ask) in asks.iter().enumerate() {
        let offset = (i % 12) as u8;
        match ask {
            &GasPayload::SnapshotRequest {
                offset: o, cause, ..
            } if i < 12 => {
                assert_eq!((o, cause), (offset, 2))
            }
            &GasPayload::PrepaySnapshotRequest {
                offset: o, cause, ..
            } if i >= 12 => {
                assert_eq!((o, cause), (offset, 2))
            }
            other => panic!("{i}: {other:?}"),
        }
    }
    // 4.4.2: twelve prepayment snapshots, then twelve register snapshots, of the causes a
    // change of tariff, supplier or meter mode gives; the RTDS meter answers two of each, a
    // change of tariff (0x0008) and of supplier (0x2000).
    use dccsim::protocol::gbcs::gbz::CHANGE_SNAPSHOTS;
    let asks = typed_components("4.4.2_GCS15b/GCS15b_4.4.2_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(asks.len(), 24);
    for (i, ask) in asks.iter().enumerate() {
        let offset = (i % 12) as u8;
        match ask {
            &GasPayload::PrepaySnapshotRequest {
                offset: o, cause, ..
            } if i < 12 => assert_eq!((o, cause), (offset, CHANGE_SNAPSHOTS)),
            &GasPayload::SnapshotRequest {
                offset: o, cause, ..
            } if i >= 12 => assert_eq!((o, cause), (offset, CHANGE_SNAPSHOTS)),
            other => panic!("{i}: {other:?}"),
        }
    }
    let answers = typed_components("4.4.2_GCS15b/GCS15b_4.4.2_SUCCESS_RESPONSE_GBCS.HEX");
    let causes: Vec<u32> = answers
        .iter()
        .filter_map(|a| match a {
            GasPayload::PrepaySnapshot { cause, .. } | GasPayload::Snapshot { cause, .. } => {
                Some(*cause)
            }
            _ => None,
        })
        .collect();
    assert_eq!(causes, [0x0008, 0x2000, 0x0008, 0x2000]);

    let answers = typed_components("4.4.3_GCS15c/GCS15c_4.4.3_SUCCESS_RESPONSE_GBCS.HEX");
    assert!(matches!(
        answers[0],
        GasPayload::Snapshot {
            cause: 2,
            found: 2,
            ..
        }
    ));
    assert_eq!(
        answers[12],
        GasPayload::PrepaySnapshot {
            id: 0,
            // 2015-02-01T00:00:00Z
            time: 476_064_000,
            found: 2,
            command_index: 0,
            commands: 1,
            cause: 2,
            payload: PrepaySnapshotPayload::DebtCreditStatus {
                accumulated_debt: 0x23,
                debts: [0xB1, 0x30, 0x4A],
                emergency_credit: 0,
                credit_remaining: -126,
            }
        }
    );
    assert!(matches!(
        answers[14],
        GasPayload::DefaultResponse {
            cluster: 0x0705,
            command: 0x07,
            status: 0x8B
        }
    ));
}
