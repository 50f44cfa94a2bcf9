//! Firmware over the RTDS: the 11.1 template's upgrade image reads as a ZigBee OTA file whose
//! signature is the RTDS supplier's over its Manufacturer Image; every CS06 (11.3) vector decodes
//! and re-encodes byte for byte; the meter's distribution receipt alert is the RTDS's bytes;
//! and a meter takes an image, says so, and activates it only when CS06 names its hash.

use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use dccsim::device::credentials::Credentials;
use dccsim::device::{Consumer, CustomerType, Esme};
use dccsim::model::Eui64;
use dccsim::protocol::gbcs::credentials::Role;
use dccsim::protocol::gbcs::firmware::{
    CS06, CS06_ALERT, FirmwarePayload, ImageError, Outcome, UpgradeImage, build_image,
};
use dccsim::protocol::gbcs::payload::{firmware_receipt_notification, message_for};
use dccsim::protocol::gbcs::{Cra, GbcsMessage, KeyStore, mac_message, parse_hex, sign_message};
use proptest::prelude::*;

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

fn rtds_file(path: &str) -> GbcsMessage {
    let path = reference().join("gbcs-rtds/RTDS-4.5.0").join(path);
    let text = std::fs::read_to_string(&path).unwrap();
    GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap()
}

/// The upgrade image the RTDS 11.1 template carries.
fn rtds_image() -> Vec<u8> {
    let xml = std::fs::read_to_string(
        reference().join("duis/rtds-templates/11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML"),
    )
    .unwrap();
    let text = xml
        .split("<sr:FirmwareImage>")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn eui(s: &str) -> Eui64 {
    s.parse().unwrap()
}

const SUPPLIER: &str = "90-B3-D5-1F-30-01-00-00";
const SUPPLIER_2: &str = "90-B3-D5-1F-30-03-00-00";
const ACB: &str = "90-B3-D5-1F-30-00-00-02";
const METER: &str = "00-DB-12-34-56-78-90-A0";

fn keys() -> KeyStore {
    let mut keys = KeyStore::load(&reference().join("gbcs-rtds/keystore")).unwrap();
    keys.forget(eui(METER));
    keys.derive_fleet(&eui(METER).0, [4; 32]);
    keys
}

fn public(keys: &KeyStore, who: &str) -> Vec<u8> {
    keys.public_key(eui(who), dccsim::protocol::gbcs::KeyUse::Signing)
        .unwrap()
        .to_vec()
}

#[test]
fn the_rtds_image_is_an_ota_file_signed_by_its_supplier() {
    let bytes = rtds_image();
    let image = UpgradeImage::parse(&bytes).unwrap();
    assert_eq!(image.manufacturer, 0x121D);
    assert_eq!(image.image_type, 0);
    assert_eq!(image.version, [0xAC, 0xDC, 0xAC, 0xDC]);
    assert_eq!(image.hardware, Some((0x1111, 0x1211)));
    assert_eq!(image.manufacturer_image.len(), 235);
    assert!(
        image
            .manufacturer_image
            .starts_with(b"CriticalSoftware sample firmware image_")
    );
    let keys = keys();
    assert!(image.signed_by(&public(&keys, SUPPLIER)));
    assert!(!image.signed_by(&public(&keys, SUPPLIER_2)));
    // One byte of the Manufacturer Image changed and the signature no longer holds.
    let mut tampered = bytes.clone();
    tampered[100] ^= 1;
    assert!(
        !UpgradeImage::parse(&tampered)
            .unwrap()
            .signed_by(&public(&keys, SUPPLIER))
    );
}

#[test]
fn an_image_built_here_reads_back_and_verifies() {
    let keys = keys();
    let body = b"dccsim test firmware".repeat(50);
    let bytes = build_image(0x1234, [1, 2, 3, 4], "dccsim", &body, |m| {
        keys.sign(eui(SUPPLIER_2), m).unwrap()
    });
    let image = UpgradeImage::parse(&bytes).unwrap();
    assert_eq!(image.version, [1, 2, 3, 4]);
    assert_eq!(image.manufacturer_image, body.as_slice());
    assert!(image.signed_by(&public(&keys, SUPPLIER_2)));
    assert!(!image.signed_by(&public(&keys, SUPPLIER)));
}

#[test]
fn a_broken_image_says_what_is_wrong_where() {
    let bytes = rtds_image();
    assert_eq!(
        UpgradeImage::parse(&bytes[..200]),
        Err(ImageError::TotalSize {
            said: 361,
            actual: 200
        })
    );
    assert_eq!(
        UpgradeImage::parse(&bytes[..20]),
        Err(ImageError::Short(20))
    );
    let mut bad = bytes.clone();
    bad[0] = 0;
    assert_eq!(
        UpgradeImage::parse(&bad),
        Err(ImageError::Magic("00F1EE0B".into()))
    );
    let mut bad = bytes.clone();
    bad[7] = 0xFF;
    assert_eq!(
        UpgradeImage::parse(&bad),
        Err(ImageError::HeaderLength(0xFF3C))
    );
    let mut bad = bytes.clone();
    bad[361 - 65] = 0x41;
    assert_eq!(
        UpgradeImage::parse(&bad),
        Err(ImageError::SignatureLength {
            at: 361 - 66,
            said: 0x41
        })
    );
    let e = UpgradeImage::parse(&bad).unwrap_err().to_string();
    assert!(e.contains("byte 295") && e.contains("65"), "{e}");
}

/// The RTDS's placeholder hash in its CS06 templates and vectors.
fn rtds_hash() -> Vec<u8> {
    parse_hex("AA758690730934FF0685AA758690730934FF0685657788990011223344556677").unwrap()
}

#[test]
fn every_rtds_cs06_vector_reads_and_writes_back_byte_for_byte() {
    let dir = reference().join("gbcs-rtds/RTDS-4.5.0/11.3_CS06");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let message = rtds_file(&format!("11.3_CS06/{name}"));
        let code = message.message_code().unwrap();
        assert!(code == CS06 || code == CS06_ALERT, "{name}: {code:#06X}");
        let content = &message.signing.content;
        let payload =
            FirmwarePayload::decode(code, content).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&payload.encode(), content, "{name}");
        seen += 1;
    }
    assert_eq!(seen, 17);
}

#[test]
fn the_rtds_cs06_vectors_say_what_the_rtds_says() {
    let decode = |name: &str| {
        let m = rtds_file(&format!("11.3_CS06/{name}"));
        FirmwarePayload::decode(m.message_code().unwrap(), &m.signing.content).unwrap()
    };
    assert_eq!(
        decode("CS06_11.3_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX"),
        FirmwarePayload::Activate {
            hash: rtds_hash(),
            counter: 1000,
            at: None
        }
    );
    assert_eq!(
        decode("CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX"),
        FirmwarePayload::Activate {
            hash: rtds_hash(),
            counter: 1001,
            at: Some(Utc.with_ymd_and_hms(2030, 1, 15, 9, 0, 0).unwrap())
        }
    );
    assert_eq!(
        decode("CS06_11.3_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX"),
        FirmwarePayload::Activate {
            hash: rtds_hash(),
            counter: 1002,
            at: Some(dccsim::protocol::gbcs::credentials::cancel_time())
        }
    );
    assert_eq!(
        decode("CS06_11.3_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX"),
        FirmwarePayload::Outcome(Outcome {
            status: 0,
            version: vec![0x01, 0x23, 0xAB, 0xCE]
        })
    );
    assert_eq!(
        decode("CS06_11.3_FUTURE_DATED_SUCCESS_RESPONSE_GBCS.HEX"),
        FirmwarePayload::Accepted
    );
    assert_eq!(
        decode("CS06_11.3_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX"),
        FirmwarePayload::Alert {
            code: 0x8F66,
            at: Utc.with_ymd_and_hms(2030, 1, 15, 9, 0, 0).unwrap(),
            counter: 1001,
            outcome: Outcome {
                status: 0,
                version: vec![0x01, 0x23, 0xAB, 0xCF]
            }
        }
    );
    match decode("CS06_11.3_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX") {
        FirmwarePayload::Alert { code, outcome, .. } => {
            assert_eq!((code, outcome.status), (0x8F67, 2));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_bad_cs06_payload_is_an_error_naming_what_was_expected() {
    let e = FirmwarePayload::decode(CS06, &[0x30, 0x03, 0x02, 0x01, 0x05]).unwrap_err();
    assert!(e.to_string().contains("CS06 command"), "{e}");
    let e = FirmwarePayload::decode(CS06_ALERT, &[0x05, 0x00]).unwrap_err();
    assert!(e.to_string().contains("CS06 alert"), "{e}");
    assert!(FirmwarePayload::decode(CS06, &[0x30, 0x05, 0x04]).is_err());
}

#[test]
fn the_distribution_receipt_alert_is_the_rtds_one() {
    let rtds = rtds_file("NA_FDRA-DLMS/FDRA-DLMS_NA_8F72_ALERT_GBCS.HEX");
    let at = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap();
    let ours = firmware_receipt_notification(2000, at, &[1; 32]).to_bytes();
    assert_eq!(ours, rtds.signing.content);
}

proptest! {
    #[test]
    fn cs06_payloads_round_trip(
        hash in proptest::collection::vec(any::<u8>(), 32),
        counter in any::<u64>(),
        seconds in 0i64..4_000_000_000,
        status in 0u64..4,
        version in proptest::collection::vec(any::<u8>(), 4),
        dated in any::<bool>(),
    ) {
        let at = Utc.timestamp_opt(seconds, 0).unwrap();
        let outcome = Outcome { status, version };
        for (code, payload) in [
            (CS06, FirmwarePayload::Activate { hash: hash.clone(), counter, at: dated.then_some(at) }),
            (CS06, FirmwarePayload::Outcome(outcome.clone())),
            (CS06, FirmwarePayload::Accepted),
            (CS06_ALERT, FirmwarePayload::Alert { code: 0x8F66, at, counter, outcome: outcome.clone() }),
        ] {
            prop_assert_eq!(FirmwarePayload::decode(code, &payload.encode()).unwrap(), payload);
        }
    }

    #[test]
    fn images_round_trip(body in proptest::collection::vec(any::<u8>(), 0..2000), version in any::<[u8; 4]>()) {
        let bytes = build_image(0x121D, version, "round trip", &body, |_| [7; 64]);
        let image = UpgradeImage::parse(&bytes).unwrap();
        prop_assert_eq!(image.version, version);
        prop_assert_eq!(image.manufacturer_image, body.as_slice());
        prop_assert_eq!(image.signature, &[7u8; 64][..]);
    }
}

/// A CS06 to the meter from `from`, signed with its key and MACed by the broker.
fn cs06(keys: &KeyStore, from: &str, counter: u64, payload: &FirmwarePayload) -> Vec<u8> {
    let mut m = message_for(
        Cra::Command,
        counter,
        eui(from),
        eui(METER),
        CS06,
        payload.encode(),
    );
    assert!(sign_message(keys, &mut m));
    assert!(mac_message(keys, &mut m, eui(ACB)));
    m.to_bytes().unwrap()
}

fn meter(at: DateTime<Utc>) -> Esme {
    let consumer = Consumer {
        kind: CustomerType::Domestic,
        annual_wh: 3_000_000,
        solar_peak_w: 0,
        seed: 1,
    };
    let mut esme = Esme::new(eui(METER), consumer, at - Duration::days(30));
    // Its supplier's trust anchors, as the head-end installs them.
    let parties = [
        (Role::Supplier, eui(SUPPLIER)),
        (Role::AccessControlBroker, eui(ACB)),
    ];
    esme.set_credentials(Credentials::installed(&parties, &keys()));
    esme
}

fn outcome(answer: &[u8]) -> FirmwarePayload {
    let m = GbcsMessage::decode(answer).unwrap();
    FirmwarePayload::decode(CS06, &m.signing.content).unwrap()
}

#[test]
fn a_meter_activates_the_image_it_holds_only_when_cs06_names_its_hash() {
    let keys = keys();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let mut esme = meter(now);
    let before = esme.firmware;
    let bytes = rtds_image();
    let image = UpgradeImage::parse(&bytes).unwrap();
    let activate = |hash: &[u8], at| FirmwarePayload::Activate {
        hash: hash.to_vec(),
        counter: 0,
        at,
    };
    // Nothing held yet: 1.
    let answer = esme
        .handle(
            &cs06(&keys, SUPPLIER, 10, &activate(&image.hash(), None)),
            now,
            &keys,
            eui(ACB),
        )
        .unwrap();
    assert_eq!(
        outcome(&answer),
        FirmwarePayload::Outcome(Outcome {
            status: 1,
            version: before.to_vec()
        })
    );
    // On its way: still none held until it arrives; then the meter says so, with its hash.
    let arrives = now + Duration::seconds(3);
    esme.receive_image(&image, eui(SUPPLIER), arrives, &keys);
    assert_eq!(esme.next_due(), Some(arrives));
    let answer = esme
        .handle(
            &cs06(&keys, SUPPLIER, 11, &activate(&image.hash(), None)),
            now,
            &keys,
            eui(ACB),
        )
        .unwrap();
    assert!(matches!(
        outcome(&answer),
        FirmwarePayload::Outcome(Outcome { status: 1, .. })
    ));
    let (to, alerts) = esme.due(arrives, &keys).unwrap().unwrap();
    assert_eq!(to, eui(SUPPLIER));
    let alert = GbcsMessage::decode(&alerts[0]).unwrap();
    assert_eq!(
        alert.message_code(),
        Some(dccsim::protocol::gbcs::firmware::FDRA_ESME)
    );
    assert!(alert.signing.content.ends_with(&image.hash()));
    assert_eq!(esme.next_due(), None);
    // The wrong hash: 2, and the image stays.
    let later = arrives + Duration::seconds(1);
    let answer = esme
        .handle(
            &cs06(&keys, SUPPLIER, 12, &activate(&[0; 32], None)),
            later,
            &keys,
            eui(ACB),
        )
        .unwrap();
    assert!(matches!(
        outcome(&answer),
        FirmwarePayload::Outcome(Outcome { status: 2, .. })
    ));
    // Another party's CS06 is refused before its hash is looked at.
    assert!(
        esme.handle(
            &cs06(&keys, SUPPLIER_2, 13, &activate(&image.hash(), None)),
            later,
            &keys,
            eui(ACB)
        )
        .is_err()
    );
    // Its hash: the image's version runs.
    let answer = esme
        .handle(
            &cs06(&keys, SUPPLIER, 14, &activate(&image.hash(), None)),
            later,
            &keys,
            eui(ACB),
        )
        .unwrap();
    assert_eq!(
        outcome(&answer),
        FirmwarePayload::Outcome(Outcome {
            status: 0,
            version: image.version.to_vec()
        })
    );
    assert_eq!(esme.firmware, image.version);
}

#[test]
fn an_activation_dated_ahead_is_held_cancelled_or_carried_out_with_its_alert() {
    let keys = keys();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let mut esme = meter(now);
    let bytes = rtds_image();
    let image = UpgradeImage::parse(&bytes).unwrap();
    esme.receive_image(&image, eui(SUPPLIER), now, &keys);
    esme.due(now, &keys).unwrap().unwrap();
    let in_an_hour = now + Duration::hours(1);
    let dated = |at| FirmwarePayload::Activate {
        hash: image.hash().to_vec(),
        counter: 0,
        at: Some(at),
    };
    let cancel = dccsim::protocol::gbcs::credentials::cancel_time();
    for (counter, at) in [(20, in_an_hour), (21, cancel), (22, in_an_hour)] {
        let answer = esme
            .handle(
                &cs06(&keys, SUPPLIER, counter, &dated(at)),
                now,
                &keys,
                eui(ACB),
            )
            .unwrap();
        assert_eq!(outcome(&answer), FirmwarePayload::Accepted);
    }
    assert_eq!(esme.next_due(), Some(in_an_hour));
    assert!(
        esme.due(in_an_hour - Duration::seconds(1), &keys)
            .unwrap()
            .is_none()
    );
    let (to, alerts) = esme.due(in_an_hour, &keys).unwrap().unwrap();
    assert_eq!(to, eui(SUPPLIER));
    let alert = GbcsMessage::decode(&alerts[0]).unwrap();
    assert_eq!(alert.message_code(), Some(CS06_ALERT));
    assert_eq!(
        FirmwarePayload::decode(CS06_ALERT, &alert.signing.content).unwrap(),
        FirmwarePayload::Alert {
            code: 0x8F66,
            at: in_an_hour,
            counter: 22,
            outcome: Outcome {
                status: 0,
                version: image.version.to_vec()
            }
        }
    );
    assert_eq!(esme.firmware, image.version);
}

#[test]
fn an_image_not_signed_by_the_meters_supplier_is_discarded_and_said_so() {
    let keys = keys();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let mut esme = meter(now);
    let body = b"not the supplier's".repeat(10);
    let bytes = build_image(0x121D, [9, 9, 9, 9], "other", &body, |m| {
        keys.sign(eui(SUPPLIER_2), m).unwrap()
    });
    let image = UpgradeImage::parse(&bytes).unwrap();
    esme.receive_image(&image, eui(SUPPLIER), now, &keys);
    let (_, alerts) = esme.due(now, &keys).unwrap().unwrap();
    let alert = GbcsMessage::decode(&alerts[0]).unwrap();
    assert_eq!(
        alert.message_code(),
        Some(dccsim::protocol::gbcs::firmware::GENERIC_CRITICAL_ALERT)
    );
    // 8F1C in the data-notification.
    assert!(
        alert
            .signing
            .content
            .windows(3)
            .any(|w| w == [0x12, 0x8F, 0x1C])
    );
    let answer = esme
        .handle(
            &cs06(
                &keys,
                SUPPLIER,
                30,
                &FirmwarePayload::Activate {
                    hash: image.hash().to_vec(),
                    counter: 0,
                    at: None,
                },
            ),
            now,
            &keys,
            eui(ACB),
        )
        .unwrap();
    assert!(matches!(
        outcome(&answer),
        FirmwarePayload::Outcome(Outcome { status: 1, .. })
    ));
}

/// The gas meter's distribution receipt alert is laid out as the RTDS's (GBZ: the alert code,
/// its time, the hash as an octet string), and CS06 to it activates the image as an electricity
/// meter's does; CS06 to the gas proxy function is not taken (its firmware is the hub's).
#[test]
fn a_gas_meter_takes_an_image_says_so_as_the_rtds_and_activates_it() {
    use dccsim::device::GasMeter;
    let gsme = eui("00-DB-12-34-56-78-90-A1");
    let gpf = eui("00-DB-12-34-56-78-90-A3");
    let mut keys = keys();
    for device in [gsme, gpf] {
        keys.forget(device);
        keys.derive_fleet(&device.0, [4; 32]);
    }
    let at = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap();
    let consumer = Consumer {
        kind: CustomerType::Domestic,
        annual_wh: 12_000_000,
        solar_peak_w: 0,
        seed: 2,
    };
    let mut gas = GasMeter::new(gsme, gpf, consumer, at - Duration::days(30));
    let parties = [
        (Role::Supplier, eui(SUPPLIER)),
        (Role::AccessControlBroker, eui(ACB)),
    ];
    gas.set_credentials(gsme, Credentials::installed(&parties, &keys));
    let bytes = rtds_image();
    let image = UpgradeImage::parse(&bytes).unwrap();
    gas.receive_image(&image, eui(SUPPLIER), at, &keys);
    let (to, alerts) = gas.due(at, &keys).unwrap().unwrap();
    assert_eq!(to, eui(SUPPLIER));
    let ours = GbcsMessage::decode(&alerts[0]).unwrap();
    let rtds = rtds_file("NA_FDRA-ZigBee/FDRA-ZigBee_NA_8F72_ALERT_GBCS.HEX");
    assert_eq!(ours.message_code(), rtds.message_code());
    let (ours, rtds) = (&ours.signing.content, &rtds.signing.content);
    // All but the hash: the RTDS's is a placeholder.
    assert_eq!(ours.len(), rtds.len());
    assert_eq!(ours[..ours.len() - 32], rtds[..rtds.len() - 32]);
    assert!(ours.ends_with(&image.hash()));
    let command = |to: Eui64, counter| {
        let activate = FirmwarePayload::Activate {
            hash: image.hash().to_vec(),
            counter,
            at: None,
        };
        let mut m = message_for(
            Cra::Command,
            counter,
            eui(SUPPLIER),
            to,
            CS06,
            activate.encode(),
        );
        assert!(sign_message(&keys, &mut m));
        assert!(mac_message(&keys, &mut m, eui(ACB)));
        m.to_bytes().unwrap()
    };
    assert!(gas.handle(&command(gpf, 40), at, &keys, eui(ACB)).is_err());
    let answer = gas.handle(&command(gsme, 41), at, &keys, eui(ACB)).unwrap();
    assert_eq!(
        outcome(&answer),
        FirmwarePayload::Outcome(Outcome {
            status: 0,
            version: image.version.to_vec()
        })
    );
    assert_eq!(&*gas.firmware, "ACDCACDC");
}

/// An image on its way and an activation held are the meter's state: saved with it (as the
/// head-end journals it) and restored, the meter still tells of the image when it arrives.
#[test]
fn an_upgrade_under_way_survives_the_meters_state_saved_and_restored() {
    let keys = keys();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let mut esme = meter(now);
    let bytes = rtds_image();
    let image = UpgradeImage::parse(&bytes).unwrap();
    let arrives = now + Duration::minutes(1);
    esme.receive_image(&image, eui(SUPPLIER), arrives, &keys);
    let saved = serde_json::to_string(&esme).unwrap();
    let mut back: Esme = serde_json::from_str(&saved).unwrap();
    back.set_credentials(esme.credentials().clone());
    assert_eq!(back.next_due(), Some(arrives));
    let (_, alerts) = back.due(arrives, &keys).unwrap().unwrap();
    let alert = GbcsMessage::decode(&alerts[0]).unwrap();
    assert!(alert.signing.content.ends_with(&image.hash()));
    // Told once: saved again, it has nothing more to say.
    let again: Esme = serde_json::from_str(&serde_json::to_string(&back).unwrap()).unwrap();
    assert_eq!(again.next_due(), None);
}
