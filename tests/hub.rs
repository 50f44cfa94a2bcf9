//! The virtual comms hub: the RTDS's own CS08, CCS01, CCS02, ECS26i, ECS35c and ECS35d commands,
//! MACed by the ACB,
//! are answered with the very payloads the RTDS hub answers with; its device log follows
//! the commands; replays and other devices' commands are refused.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use dccsim::device::{CS08, CommsHub, DeviceError};
use dccsim::model::Eui64;
use dccsim::protocol::gbcs::payload::message_for;
use dccsim::protocol::gbcs::{
    Cra, GbcsMessage, KeyStore, Verdict, mac_message, parse_hex, verify_mac,
};

fn rtds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/gbcs-rtds")
}

const HUB: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA2]);
const METER: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA0]);

fn acb() -> Eui64 {
    "90-B3-D5-1F-30-00-00-02".parse().unwrap()
}

/// The RTDS keys (the ACB's among them), with the hub's replaced by its virtual twin's.
fn keys() -> KeyStore {
    let mut keys = KeyStore::load(&rtds().join("keystore")).unwrap();
    keys.forget(HUB);
    keys.derive_fleet(&HUB.0, [4; 32]);
    keys
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

fn rtds_message(path: &str) -> GbcsMessage {
    let text = std::fs::read_to_string(rtds().join("RTDS-4.5.0").join(path)).unwrap();
    GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap()
}

/// An RTDS command's payload, from the ACB to the virtual hub with `counter`, MACed.
fn command(path: &str, counter: u64, keys: &KeyStore) -> Vec<u8> {
    let rtds = rtds_message(path);
    let code = rtds.message_code().unwrap();
    let mut m = message_for(
        Cra::Command,
        counter,
        acb(),
        HUB,
        code,
        rtds.signing.content,
    );
    assert!(mac_message(keys, &mut m, acb()));
    m.to_bytes().unwrap()
}

/// The hub's answer, MAC checked, as its payload.
fn answer(bytes: &[u8], keys: &KeyStore) -> Vec<u8> {
    let m = GbcsMessage::decode(bytes).unwrap();
    assert_eq!(m.signing.cra, Cra::Response);
    assert_eq!((m.signing.originator, m.signing.recipient), (HUB, acb()));
    assert_eq!(verify_mac(keys, &m, acb()), Verdict::Valid);
    m.signing.content
}

/// The RTDS answer's payload with the invoke id a command of `counter` gets.
fn rtds_answer(path: &str, counter: u64) -> Vec<u8> {
    let mut content = rtds_message(path).signing.content;
    if content[0] == 0xDA {
        let id = dccsim::protocol::gbcs::payload::invoke_id(counter).to_be_bytes();
        content[1..5].copy_from_slice(&id);
    }
    content
}

#[test]
fn the_hub_answers_the_rtds_commands_as_the_rtds_hub_does() {
    let keys = keys();
    let mut hub = CommsHub::new(HUB, &[]);
    // CS08: the firmware version, in ASN.1.
    let got = hub.handle(
        &command("11.2_CS08/CS08_11.2_SUCCESS_COMMAND_GBCS.HEX", 1, &keys),
        now(),
        &keys,
        acb(),
    );
    assert_eq!(
        answer(&got.unwrap(), &keys),
        rtds_answer("11.2_CS08/CS08_11.2_SUCCESS_RESPONSE_GBCS.HEX", 1)
    );
    // CCS01: the meter joins, with its install code; joining opens for 90 s.
    let add = command("8.11_CCS01/CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX", 2, &keys);
    let got = hub.handle(&add, now(), &keys, acb()).unwrap();
    assert_eq!(
        answer(&got, &keys),
        rtds_answer("8.11_CCS01/CCS01_8.11_SUCCESS_RESPONSE_GBCS.HEX", 2)
    );
    assert_eq!(hub.device_log.len(), 1);
    assert_eq!(hub.device_log[0].device, METER);
    assert_eq!(
        hub.device_log[0].install_code,
        "30313233343536373839414243444546"
    );
    assert_eq!(hub.joining_until, Some(now() + Duration::seconds(90)));
    // CCS02: removed; removed again: not in the log, the RTDS hub's error answer.
    let remove = "8.11_CCS02/CCS02_8.11_SUCCESS_COMMAND_GBCS.HEX";
    let got = hub
        .handle(&command(remove, 3, &keys), now(), &keys, acb())
        .unwrap();
    assert_eq!(
        answer(&got, &keys),
        rtds_answer("8.11_CCS02/CCS02_8.11_SUCCESS_RESPONSE_GBCS.HEX", 3)
    );
    assert!(hub.device_log.is_empty());
    let got = hub
        .handle(&command(remove, 4, &keys), now(), &keys, acb())
        .unwrap();
    assert_eq!(
        answer(&got, &keys),
        rtds_answer("8.11_CCS02/CCS02_8.11_ERROR_RESPONSE_GBCS.HEX", 4)
    );
    assert_eq!(hub.events.len(), 2);
    // ECS26i (6.2.4): its identity — its EUI-64, and dccsim's model and manufacturer where the
    // RTDS hub says ATGTypeY by CSW: otherwise the RTDS answer's bytes.
    let got = hub.handle(
        &command(
            "6.2.4_ECS26i/ECS26i_6.2.4_SUCCESS_COMMAND_GBCS.HEX",
            5,
            &keys,
        ),
        now(),
        &keys,
        acb(),
    );
    let rtds = rtds_answer("6.2.4_ECS26i/ECS26i_6.2.4_SUCCESS_RESPONSE_GBCS.HEX", 5);
    let replace = |bytes: &[u8], from: &[u8], to: &[u8]| {
        let at = bytes.windows(from.len()).position(|w| w == from).unwrap();
        [&bytes[..at], to, &bytes[at + from.len()..]].concat()
    };
    let ours = replace(&rtds, b"\x08ATGTypeY", b"\x03CHF");
    let ours = replace(&ours, b"\x03CSW", b"\x06dccsim");
    assert_eq!(answer(&got.unwrap(), &keys), ours);
}

#[test]
fn replays_and_strangers_are_refused() {
    let keys = keys();
    let mut hub = CommsHub::new(HUB, &[METER]);
    let read = command("11.2_CS08/CS08_11.2_SUCCESS_COMMAND_GBCS.HEX", 5, &keys);
    hub.handle(&read, now(), &keys, acb()).unwrap();
    assert!(matches!(
        hub.handle(&read, now(), &keys, acb()),
        Err(DeviceError::Replay { counter: 5, .. })
    ));
    let mut tampered = command("11.2_CS08/CS08_11.2_SUCCESS_COMMAND_GBCS.HEX", 6, &keys);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(matches!(
        hub.handle(&tampered, now(), &keys, acb()),
        Err(DeviceError::Mac(_))
    ));
    // A meter's use case is not the hub's.
    let mut m = message_for(Cra::Command, 7, acb(), HUB, 0x0037, vec![0xD9]);
    assert!(mac_message(&keys, &mut m, acb()));
    assert!(matches!(
        hub.handle(&m.to_bytes().unwrap(), now(), &keys, acb()),
        Err(DeviceError::Unsupported(0x0037))
    ));
    // CS08 with a payload that is not NULL.
    let mut m = message_for(Cra::Command, 8, acb(), HUB, CS08, vec![0x30, 0x00]);
    assert!(mac_message(&keys, &mut m, acb()));
    assert!(matches!(
        hub.handle(&m.to_bytes().unwrap(), now(), &keys, acb()),
        Err(DeviceError::Payload(_))
    ));
    assert_eq!(hub.device_log.len(), 1, "refused commands change nothing");
}

/// 6.13 to the hub (ECS35c, ECS35d, the RTDS commands as the broker sends them for a user):
/// its event log holds the device log's changes, each a command carried out with its message
/// code, and its security log nothing; each answer names the user and the user's counter, as
/// the command did. The RTDS hub's answers decode to the same shapes.
#[test]
fn the_hub_answers_its_event_and_security_logs() {
    use dccsim::protocol::gbcs::payload::{LoggedEvent, Reading, decode_dlms};
    let keys = keys();
    let mut hub = CommsHub::new(HUB, &[METER]);
    let remove = "8.11_CCS02/CCS02_8.11_SUCCESS_COMMAND_GBCS.HEX";
    hub.handle(&command(remove, 1, &keys), now(), &keys, acb())
        .unwrap();
    // The RTDS command's period (2014), moved to today's: its content, other information and
    // all, but for the range's two times.
    let read = |path: &str, counter| {
        let rtds = rtds_message(path);
        let (old, new) = (
            [0x1C35_F900_u32.to_be_bytes(), 0x1C36_7790_u32.to_be_bytes()].concat(),
            [
                dccsim::protocol::gbcs::payload::to_gbcs_seconds(now() - Duration::hours(1)),
                dccsim::protocol::gbcs::payload::to_gbcs_seconds(now() + Duration::hours(1)),
            ]
            .map(|t| t.unwrap().to_be_bytes())
            .concat(),
        );
        let (code, named) = (rtds.message_code().unwrap(), rtds.signing.other_information);
        let mut content = rtds.signing.content;
        let at = content.windows(4).position(|w| w == &old[..4]).unwrap();
        assert_eq!(&content[at + 5..at + 9], &old[4..]);
        content[at..at + 4].copy_from_slice(&new[..4]);
        content[at + 5..at + 9].copy_from_slice(&new[4..]);
        let mut m = message_for(Cra::Command, counter, acb(), HUB, code, content);
        m.signing.other_information = named.clone();
        assert!(mac_message(&keys, &mut m, acb()));
        (m.to_bytes().unwrap(), named)
    };
    for (path, counter, security) in [
        ("6.13_ECS35c/ECS35c_6.13_SUCCESS_COMMAND_GBCS.HEX", 2, false),
        ("6.13_ECS35d/ECS35d_6.13_SUCCESS_COMMAND_GBCS.HEX", 3, true),
    ] {
        let (bytes, named) = read(path, counter);
        let got = hub.handle(&bytes, now(), &keys, acb()).unwrap();
        let m = GbcsMessage::decode(&got).unwrap();
        assert_eq!(verify_mac(&keys, &m, acb()), Verdict::Valid);
        // The user (the RTDS supplier) and its counter, 1002.
        assert_eq!(m.signing.other_information, named, "{path}");
        assert_eq!(
            &named[2..10],
            &[0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x01, 0x00, 0x00]
        );
        let reading = decode_dlms(&m, None).unwrap();
        if security {
            assert_eq!(reading, Reading::SecurityLog { events: vec![] }, "{path}");
        } else {
            let removed = LoggedEvent {
                at: now(),
                code: 0x8154,
                detail: vec![0x00, 0x02],
            };
            assert_eq!(
                reading,
                Reading::EventLog {
                    events: vec![removed]
                },
                "{path}"
            );
        }
    }
    // The RTDS hub's answers: an event log of commands and alerts, a security log.
    for (path, security) in [
        ("6.13_ECS35c/ECS35c_6.13_SUCCESS_RESPONSE_GBCS.HEX", false),
        ("6.13_ECS35d/ECS35d_6.13_SUCCESS_RESPONSE_GBCS.HEX", true),
    ] {
        let reading = decode_dlms(&rtds_message(path), None).unwrap();
        match reading {
            Reading::EventLog { events } if !security => {
                assert!(
                    events
                        .iter()
                        .any(|e| e.code == 0x8154 && e.detail == [0x00, 0x9B])
                )
            }
            Reading::SecurityLog { events } if security => assert!(!events.is_empty()),
            other => panic!("{path}: {other:?}"),
        }
    }
}

/// A million hubs in one process: the state stays small (what few hubs have — a sub-GHz
/// configuration, a channel log, a restored network's PAN ID — boxed).
#[test]
fn hub_and_gas_meter_state_is_compact() {
    let size = std::mem::size_of::<CommsHub>();
    assert!(size <= 136, "{size} bytes");
    let size = std::mem::size_of::<dccsim::device::GasMeter>();
    assert!(size <= 256, "{size} bytes");
}

/// A dual band hub's sub-GHz HAN, by the RTDS's own commands: 6.31 and 6.30 read the RTDS hub's
/// channel and configuration, byte for byte; a 6.28 is answered as the RTDS hub answers it and
/// 6.30 then reads what it set, the hub leaving the channel the new configuration no longer
/// allows for the first it does; a 6.29 scan settles there too; a configuration allowing no
/// channel is refused and changes nothing.
#[test]
fn the_sub_ghz_configuration_is_set_scanned_and_read_back() {
    use dccsim::protocol::gbcs::payload::{
        Reading, SubGhzConfiguration, channel_mask_data, decode_dlms,
    };
    let keys = keys();
    let mut hub = CommsHub::new(HUB, &[]);
    let counter = std::cell::Cell::new(0);
    let ask = |hub: &mut CommsHub, path: &str| {
        counter.set(counter.get() + 1);
        let got = hub.handle(&command(path, counter.get(), &keys), now(), &keys, acb());
        answer(&got.unwrap(), &keys)
    };
    let channel = "6.31_DBCH01/DBCH01_6.31_SUCCESS_COMMAND_GBCS.HEX";
    let configuration = "6.30_DBCH03/DBCH03_6.30_SUCCESS_COMMAND_GBCS.HEX";
    let set = "6.28_DBCH04/DBCH04_6.28_SUCCESS_COMMAND_GBCS.HEX";
    let scan = "6.29_DBCH05/DBCH05_6.29_SUCCESS_COMMAND_GBCS.HEX";
    for (path, rtds) in [
        (channel, "6.31_DBCH01/DBCH01_6.31_SUCCESS_RESPONSE_GBCS.HEX"),
        (
            configuration,
            "6.30_DBCH03/DBCH03_6.30_SUCCESS_RESPONSE_GBCS.HEX",
        ),
        (set, "6.28_DBCH04/DBCH04_6.28_SUCCESS_RESPONSE_GBCS.HEX"),
    ] {
        let got = ask(&mut hub, path);
        assert_eq!(got, rtds_answer(rtds, counter.get()), "{path}");
    }
    let value = |code: u16, content: Vec<u8>| {
        let m = message_for(Cra::Response, 1, HUB, acb(), code, content);
        match decode_dlms(&m, None).unwrap() {
            Reading::Settings { values } => values[0].value.clone(),
            other => panic!("{other:?}"),
        }
    };
    let Reading::SubGhzConfiguration(sent) = decode_dlms(&rtds_message(set), None).unwrap() else {
        panic!()
    };
    // Channels 1 and 2 of each page, the thresholds the DUIS template gives.
    assert_eq!(
        sent.channels,
        [0xE000_0006, 0xE800_0006, 0xF000_0006, 0xF800_0006]
    );
    assert_eq!(
        (
            sent.normal_limited_duty_cycle,
            sent.non_gsme_poor_comms_percentage
        ),
        (130, 6000)
    );
    assert_eq!(value(0x010C, ask(&mut hub, configuration)), sent.data());
    // The lower band's channel 0 is no longer allowed: channel 1 is the first that is.
    assert_eq!(
        value(0x010A, ask(&mut hub, channel)),
        channel_mask_data(0xE000_0002)
    );
    let got = ask(&mut hub, scan);
    assert_eq!(
        got,
        rtds_answer(
            "6.29_DBCH05/DBCH05_6.29_SUCCESS_RESPONSE_GBCS.HEX",
            counter.get()
        )
    );
    assert_eq!(
        value(0x010A, ask(&mut hub, channel)),
        channel_mask_data(0xE000_0002)
    );
    // No channel allowed: refused (result 250), nothing changed.
    let none = SubGhzConfiguration {
        channels: [0xE000_0000, 0xE800_0000, 0xF000_0000, 0xF800_0000],
        ..sent
    };
    let content = dccsim::protocol::gbcs::payload::encode_command(
        0x010D,
        &Reading::SubGhzConfiguration(none),
        100,
        acb(),
        HUB,
    )
    .unwrap();
    let mut m = message_for(Cra::Command, 100, acb(), HUB, 0x010D, content);
    assert!(mac_message(&keys, &mut m, acb()));
    let got = answer(
        &hub.handle(&m.to_bytes().unwrap(), now(), &keys, acb())
            .unwrap(),
        &keys,
    );
    let refused = message_for(Cra::Response, 100, HUB, acb(), 0x010D, got);
    assert_eq!(
        decode_dlms(&refused, None).unwrap(),
        Reading::Outcome {
            success: false,
            code: 250
        }
    );
    counter.set(100);
    assert_eq!(value(0x010C, ask(&mut hub, configuration)), sent.data());
}

/// 8.9 by the RTDS's own command: the hub's device log as the devices active on its HAN, each
/// named by its EUI-64 in the answer's shape the RTDS hub gives (IC 104's active devices), last
/// heard at the start of the half-hour; a device added by CCS01 is among them.
#[test]
fn the_device_log_is_read_as_the_active_devices() {
    use dccsim::protocol::dlms::{CosemDateTime, Data};
    use dccsim::protocol::gbcs::payload::{Reading, decode_dlms};
    let keys = keys();
    let mut hub = CommsHub::new(HUB, &[METER]);
    let read = "8.9_CCS05CCS04/CCS05CCS04_8.9_SUCCESS_COMMAND_GBCS.HEX";
    let got = hub
        .handle(&command(read, 1, &keys), now(), &keys, acb())
        .unwrap();
    let m = message_for(Cra::Response, 1, HUB, acb(), 0x0004, answer(&got, &keys));
    let Reading::Settings { values } = decode_dlms(&m, None).unwrap() else {
        panic!()
    };
    let Data::Array(devices) = &values[0].value else {
        panic!("{values:?}")
    };
    assert_eq!(devices.len(), 1);
    let fields = devices[0].items().unwrap();
    assert_eq!(fields.len(), 14);
    assert_eq!(fields[0], Data::OctetString(METER.0.to_vec()));
    let heard = CosemDateTime::from_naive(now().naive_utc());
    assert_eq!(fields[8], Data::OctetString(heard.0.to_vec()));
    let Data::Integer(rssi) = fields[3] else {
        panic!("{:?}", fields[3])
    };
    assert!((-69..=-40).contains(&rssi), "{rssi}");
    // Each field of the RTDS hub's type, in its order.
    let rtds = rtds_message("8.9_CCS05CCS04/CCS05CCS04_8.9_SUCCESS_RESPONSE_GBCS.HEX");
    let Reading::Settings { values: theirs } = decode_dlms(&rtds, None).unwrap() else {
        panic!()
    };
    let Data::Array(theirs) = &theirs[0].value else {
        panic!()
    };
    let tags = |d: &Data| d.items().unwrap().iter().map(Data::tag).collect::<Vec<_>>();
    assert_eq!(tags(&devices[0]), tags(&theirs[0]));
}

/// 6.32 by the RTDS's own command (its `0-0:94.44.10.3` log by the range it asks, byte for byte
/// as the head-end writes it): a hub whose channel never changed logs nothing; a 6.28 that moves
/// it, and a 6.29 scan that does not, log one change, 8F26 with the new channel in the RTDS
/// hub's layout; the RTDS hub's own entries written that way are its answer, byte for byte.
#[test]
fn the_sub_ghz_channel_log_records_each_change_of_channel() {
    use dccsim::protocol::gbcs::payload::{
        DBCH02, LoggedEvent, Reading, decode_dlms, encode_command, event_log_response,
    };
    let keys = keys();
    let rtds = rtds_message("6.32_DBCH02/DBCH02_6.32_SUCCESS_COMMAND_GBCS.HEX");
    let Reading::Range { from, to } = decode_dlms(&rtds, None).unwrap() else {
        panic!()
    };
    let (from, to) = (from.unwrap(), to.unwrap());
    assert_eq!(
        (from, to),
        (
            Utc.with_ymd_and_hms(2014, 12, 20, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2014, 12, 31, 9, 0, 0).unwrap()
        )
    );
    let range = Reading::Range {
        from: Some(from),
        to: Some(to),
    };
    let ours = encode_command(DBCH02, &range, 0x515, acb(), HUB).unwrap();
    assert_eq!(ours, rtds.signing.content);
    // The RTDS hub's entries, written as this hub writes its own, are the RTDS answer.
    let rtds_log = rtds_message("6.32_DBCH02/DBCH02_6.32_SUCCESS_RESPONSE_GBCS.HEX");
    let Some(dccsim::protocol::dlms::Data::CompactArray { elements, .. }) =
        dccsim::protocol::dlms::Apdu::decode(&rtds_log.signing.content)
            .ok()
            .and_then(|a| match a {
                dccsim::protocol::dlms::Apdu::AccessResponse(r) => r.data.into_iter().next(),
                _ => None,
            })
    else {
        panic!("not a compact array")
    };
    use dccsim::protocol::dlms::Data;
    let entries: Vec<LoggedEvent> = elements
        .iter()
        .map(|e| {
            let Data::Structure(f) = e else { panic!() };
            let (Data::DoubleLongUnsigned(t), Data::LongUnsigned(code), Data::OctetString(d)) =
                (&f[0], &f[1], &f[2])
            else {
                panic!()
            };
            let channel = u32::from_be_bytes(d[..4].try_into().unwrap());
            assert_eq!(
                d,
                &dccsim::protocol::gbcs::payload::channel_change_detail(channel)
            );
            LoggedEvent {
                at: dccsim::protocol::gbcs::payload::from_gbcs_seconds(*t),
                code: *code,
                detail: d.clone(),
            }
        })
        .collect();
    assert_eq!(entries.len(), 11);
    let written = event_log_response(0x515, &entries).unwrap().to_bytes();
    assert_eq!(
        written,
        rtds_answer("6.32_DBCH02/DBCH02_6.32_SUCCESS_RESPONSE_GBCS.HEX", 0x515)
    );

    // This hub: nothing logged until its channel changes.
    let mut hub = CommsHub::new(HUB, &[]);
    let read = |hub: &mut CommsHub, counter: u64, at: DateTime<Utc>| {
        let range = Reading::Range {
            from: Some(at - chrono::Duration::days(1)),
            to: Some(at + chrono::Duration::days(1)),
        };
        let content = encode_command(DBCH02, &range, counter, acb(), HUB).unwrap();
        let mut m = message_for(Cra::Command, counter, acb(), HUB, DBCH02, content);
        assert!(mac_message(&keys, &mut m, acb()));
        let got = answer(
            &hub.handle(&m.to_bytes().unwrap(), at, &keys, acb())
                .unwrap(),
            &keys,
        );
        let m = message_for(Cra::Response, counter, HUB, acb(), DBCH02, got);
        match decode_dlms(&m, None) {
            Ok(Reading::EventLog { events }) => events,
            other => panic!("{other:?}"),
        }
    };
    assert!(read(&mut hub, 1, now()).is_empty());
    // The RTDS 6.28 allows channels 1 and 2 of each page: the hub leaves channel 0 for 1.
    let set = "6.28_DBCH04/DBCH04_6.28_SUCCESS_COMMAND_GBCS.HEX";
    hub.handle(&command(set, 2, &keys), now(), &keys, acb())
        .unwrap();
    let scan = "6.29_DBCH05/DBCH05_6.29_SUCCESS_COMMAND_GBCS.HEX";
    hub.handle(&command(scan, 3, &keys), now(), &keys, acb())
        .unwrap();
    let logged = read(&mut hub, 4, now());
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].code, 0x8F26);
    assert_eq!(logged[0].detail, [0xE0, 0, 0, 0x02, 0x09, 0x01, 0x01]);
}

/// 8.9 `ReadSecurityDetails` (CCS07) and 8.12.1 (CCS03): the RTDS commands are IC 104's
/// backup_PAN of both network controls and restore_PAN of the first, byte for byte; the RTDS
/// hub's backups, written as this hub writes its own, are the RTDS answer. A hub backs up its
/// device log — each device with its install code, or a key drawn from its EUI-64 — and, told to
/// restore a network, takes its extended PAN ID and devices, which its next backup and its
/// active devices (CCS04) then show; a network larger than a log is refused.
#[test]
fn the_hub_backs_up_and_restores_its_network() {
    use dccsim::protocol::gbcs::payload::{
        CCS03, CCS04, CCS07, PanBackup, PanDevice, Reading, backup_response, decode_dlms,
        encode_command,
    };
    let keys = keys();
    let read = rtds_message("8.9_CCS07/CCS07_8.9_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(decode_dlms(&read, None).unwrap(), Reading::Read);
    let ours = encode_command(CCS07, &Reading::Read, 0x514, acb(), HUB).unwrap();
    assert_eq!(ours, read.signing.content);
    let rtds_backups = rtds_message("8.9_CCS07/CCS07_8.9_SUCCESS_RESPONSE_GBCS.HEX");
    let Reading::PanBackups { backups } = decode_dlms(&rtds_backups, None).unwrap() else {
        panic!()
    };
    let key = |last: u8| {
        let mut k: [u8; 16] = parse_hex("83FED3407A939723A5C639B26916D500")
            .unwrap()
            .try_into()
            .unwrap();
        k[15] = last;
        k
    };
    let rtds_device = |last: u8| Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, last]);
    assert_eq!(
        backups[0].devices,
        [
            PanDevice {
                device: METER,
                key: key(6)
            },
            PanDevice {
                device: rtds_device(0xA1),
                key: key(5)
            }
        ]
    );
    assert_eq!(
        backups[0].at,
        Some(Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap())
    );
    assert_eq!(
        backup_response(0x514, &backups).unwrap().to_bytes(),
        rtds_answer("8.9_CCS07/CCS07_8.9_SUCCESS_RESPONSE_GBCS.HEX", 0x514)
    );
    let restore = rtds_message("8.12.1_CCS03/CCS03_8.12.1_SUCCESS_COMMAND_GBCS.HEX");
    let Reading::RestorePan(network) = decode_dlms(&restore, None).unwrap() else {
        panic!()
    };
    assert_eq!(network.at, None);
    assert_eq!(network.extended_pan_id, [0, 0, 0, 0, 0, 0, 1, 0x40]);
    assert_eq!(network.devices, backups[0].devices);
    let ours = encode_command(
        CCS03,
        &Reading::RestorePan(network.clone()),
        0x516,
        acb(),
        HUB,
    );
    assert_eq!(ours.unwrap(), restore.signing.content);

    // A hub with one device registered with an install code (18 bytes with its CRC) and one
    // joined at installation.
    let mut hub = CommsHub::new(HUB, &[METER]);
    let joined = rtds_device(0x97);
    hub.device_log.push(dccsim::device::LogEntry {
        device: joined,
        install_code: "83FED3407A939723A5C639B26916D505C3B5".into(),
        device_type: 2,
    });
    let backup = |hub: &mut CommsHub, counter: u64| {
        let m = message_for(
            Cra::Command,
            counter,
            acb(),
            HUB,
            CCS07,
            read.signing.content.clone(),
        );
        let mut m = m;
        assert!(mac_message(&keys, &mut m, acb()));
        let bytes = hub
            .handle(&m.to_bytes().unwrap(), now(), &keys, acb())
            .unwrap();
        let answer = GbcsMessage::decode(&bytes).unwrap();
        assert_eq!(verify_mac(&keys, &answer, acb()), Verdict::Valid);
        let Reading::PanBackups { backups } = decode_dlms(&answer, None).unwrap() else {
            panic!()
        };
        backups
    };
    let ours = backup(&mut hub, 1);
    assert_eq!(ours.len(), 2);
    let first: &PanBackup = &ours[0];
    assert_eq!(first.extended_pan_id, HUB.0);
    assert_eq!(first.at, Some(now()));
    assert_eq!(
        first.devices[1],
        PanDevice {
            device: joined,
            key: key(5)
        }
    );
    assert_eq!(first.devices[0].device, METER);
    assert_ne!(first.devices[0].key, [0; 16]);
    assert!(ours[1].devices.is_empty());
    // The same key on the next backup: drawn, not random.
    assert_eq!(
        backup(&mut hub, 2)[0],
        PanBackup {
            at: Some(now()),
            ..first.clone()
        }
    );

    // Restored: the RTDS network replaces the log.
    let restore_cmd = |hub: &mut CommsHub, counter: u64, network: &PanBackup| {
        let content = encode_command(
            CCS03,
            &Reading::RestorePan(Box::new(network.clone())),
            counter,
            acb(),
            HUB,
        )
        .unwrap();
        let mut m = message_for(Cra::Command, counter, acb(), HUB, CCS03, content);
        assert!(mac_message(&keys, &mut m, acb()));
        let bytes = hub
            .handle(&m.to_bytes().unwrap(), now(), &keys, acb())
            .unwrap();
        decode_dlms(&GbcsMessage::decode(&bytes).unwrap(), None).unwrap()
    };
    assert_eq!(
        restore_cmd(&mut hub, 3, &network),
        Reading::Outcome {
            success: true,
            code: 0
        }
    );
    let after = backup(&mut hub, 4);
    assert_eq!(after[0].extended_pan_id, network.extended_pan_id);
    assert_eq!(after[0].devices, network.devices);
    let active = command(
        "8.9_CCS05CCS04/CCS05CCS04_8.9_SUCCESS_COMMAND_GBCS.HEX",
        5,
        &keys,
    );
    let answer = GbcsMessage::decode(&hub.handle(&active, now(), &keys, acb()).unwrap()).unwrap();
    assert_eq!(answer.message_code(), Some(CCS04));
    let Reading::Settings { values } = decode_dlms(&answer, None).unwrap() else {
        panic!()
    };
    let dccsim::protocol::dlms::Data::Array(devices) = &values[0].value else {
        panic!()
    };
    assert_eq!(devices.len(), 2);
    // Seventeen devices do not fit a log: refused, the log as it was.
    let crowd = PanBackup {
        at: None,
        extended_pan_id: [9; 8],
        devices: (0..17u8)
            .map(|i| PanDevice {
                device: Eui64([1, 2, 3, 4, 5, 6, 7, i]),
                key: [i; 16],
            })
            .collect(),
    };
    let Reading::Outcome { success: false, .. } = restore_cmd(&mut hub, 6, &crowd) else {
        panic!("a network larger than a log taken")
    };
    assert_eq!(backup(&mut hub, 7)[0].devices, network.devices);
}
