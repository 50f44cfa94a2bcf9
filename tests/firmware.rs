//! Firmware over the RTDS: the 11.1 template's upgrade image reads as a ZigBee OTA file whose
//! signature is the RTDS supplier's over its Manufacturer Image; every CS06 (11.3) vector decodes
//! and re-encodes byte for byte; the meter's distribution receipt alert is the RTDS's bytes;
//! and a meter takes an image, says so, and activates it only when CS06 names its hash.

use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use dccsim::device::credentials::Credentials;
use dccsim::device::firmware::Offer;
use dccsim::device::{Consumer, CustomerType, Esme};
use dccsim::model::Eui64;
use dccsim::protocol::gbcs::credentials::Role;
use dccsim::protocol::gbcs::firmware::{
    Activation, CS06, CS06_ALERT, FirmwarePayload, ImageError, Outcome, UpgradeImage, build_image,
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
        Err(ImageError::HeaderLength {
            said: 0xFF3C,
            needs: 60
        })
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
    // Every optional field said present: the 60-byte header is 9 bytes short of them.
    let mut bad = bytes.clone();
    bad[8] = 0x07;
    assert_eq!(
        UpgradeImage::parse(&bad),
        Err(ImageError::HeaderLength {
            said: 60,
            needs: 69
        })
    );
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
            status: Activation::Activated,
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
                status: Activation::Activated,
                version: vec![0x01, 0x23, 0xAB, 0xCF]
            }
        }
    );
    match decode("CS06_11.3_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX") {
        FirmwarePayload::Alert { code, outcome, .. } => {
            assert_eq!((code, outcome.status), (0x8F67, Activation::HashMismatch));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_bad_cs06_payload_is_an_error_naming_what_was_expected() {
    let e = FirmwarePayload::decode(CS06, &[0x30, 0x03, 0x02, 0x01, 0x05]).unwrap_err();
    assert!(e.to_string().contains("(a command)"), "{e}");
    let e = FirmwarePayload::decode(CS06_ALERT, &[0x05, 0x00]).unwrap_err();
    assert!(
        e.to_string().contains("a CS06 alert is not SEQUENCE"),
        "{e}"
    );
    assert!(FirmwarePayload::decode(CS06, &[0x30, 0x05, 0x04]).is_err());
    // A counter written in more octets than DER's shortest would not write back the same.
    let long_counter = [0x30, 0x07, 0x04, 0x01, 0xAA, 0x02, 0x02, 0x00, 0x05];
    let e = FirmwarePayload::decode(CS06, &long_counter).unwrap_err();
    assert!(
        e.to_string()
            .contains("the counter is not an INTEGER in DER's shortest form"),
        "{e}"
    );
    // A NULL with content, an outcome whose version is not an OCTET STRING.
    assert!(FirmwarePayload::decode(CS06, &[0x05, 0x01, 0x00]).is_err());
    let e = FirmwarePayload::decode(CS06, &[0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x07])
        .unwrap_err();
    assert!(
        e.to_string().contains("the version is not an OCTET STRING"),
        "{e}"
    );
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
        let outcome = Outcome { status: Activation::of(status), version };
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

/// The meter's answer to CS06 `payload` from `(from, counter)`, sent at `at`.
fn ask(
    esme: &mut Esme,
    keys: &KeyStore,
    (from, counter): (&str, u64),
    payload: &FirmwarePayload,
    at: DateTime<Utc>,
) -> FirmwarePayload {
    let command = cs06(keys, from, counter, payload);
    outcome(&esme.handle(&command, at, keys, eui(ACB)).unwrap())
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
    let answer = ask(
        &mut esme,
        &keys,
        (SUPPLIER, 10),
        &activate(&image.hash(), None),
        now,
    );
    assert_eq!(
        answer,
        FirmwarePayload::Outcome(Outcome {
            status: Activation::NoImageHeld,
            version: before.to_vec()
        })
    );
    // On its way: still none held until it arrives; then the meter says so, with its hash.
    let arrives = now + Duration::seconds(3);
    esme.receive_image(&Offer::new(&image), eui(SUPPLIER), arrives, &keys);
    assert_eq!(esme.next_due(), Some(arrives));
    let answer = ask(
        &mut esme,
        &keys,
        (SUPPLIER, 11),
        &activate(&image.hash(), None),
        now,
    );
    assert!(matches!(
        answer,
        FirmwarePayload::Outcome(Outcome {
            status: Activation::NoImageHeld,
            ..
        })
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
    let answer = ask(
        &mut esme,
        &keys,
        (SUPPLIER, 12),
        &activate(&[0; 32], None),
        later,
    );
    assert!(matches!(
        answer,
        FirmwarePayload::Outcome(Outcome {
            status: Activation::HashMismatch,
            ..
        })
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
    let answer = ask(
        &mut esme,
        &keys,
        (SUPPLIER, 14),
        &activate(&image.hash(), None),
        later,
    );
    assert_eq!(
        answer,
        FirmwarePayload::Outcome(Outcome {
            status: Activation::Activated,
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
    esme.receive_image(&Offer::new(&image), eui(SUPPLIER), now, &keys);
    esme.due(now, &keys).unwrap().unwrap();
    let in_an_hour = now + Duration::hours(1);
    let dated = |at| FirmwarePayload::Activate {
        hash: image.hash().to_vec(),
        counter: 0,
        at: Some(at),
    };
    let cancel = dccsim::protocol::gbcs::credentials::cancel_time();
    for (counter, at) in [(20, in_an_hour), (21, cancel), (22, in_an_hour)] {
        let answer = ask(&mut esme, &keys, (SUPPLIER, counter), &dated(at), now);
        assert_eq!(answer, FirmwarePayload::Accepted);
        // Cancelled: nothing held.
        let held = (at != cancel).then_some(in_an_hour);
        assert_eq!(esme.next_due(), held, "after {counter}");
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
                status: Activation::Activated,
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
    esme.receive_image(&Offer::new(&image), eui(SUPPLIER), now, &keys);
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
        FirmwarePayload::Outcome(Outcome {
            status: Activation::NoImageHeld,
            ..
        })
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
    gas.receive_image(&Offer::new(&image), eui(SUPPLIER), at, &keys);
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
            status: Activation::Activated,
            version: image.version.to_vec()
        })
    );
    assert_eq!(&*gas.firmware, "ACDCACDC");
}

/// An image on its way and an activation held are the meter's state: saved with it (as the
/// head-end journals it) and restored, the meter still tells of the image when it arrives and
/// activates it at the time held.
#[test]
fn an_upgrade_under_way_survives_the_meters_state_saved_and_restored() {
    let keys = keys();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let mut esme = meter(now);
    let bytes = rtds_image();
    let image = UpgradeImage::parse(&bytes).unwrap();
    let arrives = now + Duration::minutes(1);
    esme.receive_image(&Offer::new(&image), eui(SUPPLIER), arrives, &keys);
    let at = now + Duration::hours(1);
    let dated = FirmwarePayload::Activate {
        hash: image.hash().to_vec(),
        counter: 0,
        at: Some(at),
    };
    let answer = esme
        .handle(&cs06(&keys, SUPPLIER, 50, &dated), now, &keys, eui(ACB))
        .unwrap();
    assert_eq!(outcome(&answer), FirmwarePayload::Accepted);
    let restored = |esme: &Esme| {
        let mut back: Esme = serde_json::from_str(&serde_json::to_string(esme).unwrap()).unwrap();
        back.set_credentials(esme.credentials().clone());
        back
    };
    let mut back = restored(&esme);
    assert_eq!(back.next_due(), Some(arrives));
    let (_, alerts) = back.due(arrives, &keys).unwrap().unwrap();
    let alert = GbcsMessage::decode(&alerts[0]).unwrap();
    assert!(alert.signing.content.ends_with(&image.hash()));
    // Told once: restored again, what is left is the activation.
    let mut again = restored(&back);
    assert_eq!(again.next_due(), Some(at));
    let (_, alerts) = again.due(at, &keys).unwrap().unwrap();
    let alert = GbcsMessage::decode(&alerts[0]).unwrap();
    assert_eq!(alert.message_code(), Some(CS06_ALERT));
    assert_eq!(again.firmware, image.version);
    assert_eq!(restored(&again).next_due(), None);
}

/// A second image sent while one is held: the held one stays until the new one arrives
/// verified; one that is not the supplier's is discarded (8F1C) and the held one is still the
/// one CS06 activates. An image whose signature was the supplier's when sent, but whose
/// supplier the meter no longer trusts when it arrives (a change of supplier meanwhile), is
/// discarded too.
#[test]
fn a_later_image_replaces_the_held_one_only_when_it_arrives_verified() {
    use dccsim::protocol::gbcs::firmware::{
        FDRA_ESME, FIRMWARE_VERIFICATION_FAILED, GENERIC_CRITICAL_ALERT,
    };
    let keys = keys();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let mut esme = meter(now);
    let bytes = rtds_image();
    let first = UpgradeImage::parse(&bytes).unwrap();
    esme.receive_image(&Offer::new(&first), eui(SUPPLIER), now, &keys);
    esme.due(now, &keys).unwrap().unwrap();
    let alert_of = |alerts: Vec<Vec<u8>>| GbcsMessage::decode(&alerts[0]).unwrap();
    // Another supplier's image: discarded on arrival, the first still held.
    let body = b"another supplier's firmware".repeat(8);
    let theirs = build_image(0x121D, [9, 9, 9, 9], "theirs", &body, |m| {
        keys.sign(eui(SUPPLIER_2), m).unwrap()
    });
    let theirs = UpgradeImage::parse(&theirs).unwrap();
    let later = now + Duration::minutes(1);
    esme.receive_image(&Offer::new(&theirs), eui(SUPPLIER), later, &keys);
    let (_, alerts) = esme.due(later, &keys).unwrap().unwrap();
    let alert = alert_of(alerts);
    assert_eq!(alert.message_code(), Some(GENERIC_CRITICAL_ALERT));
    let code = FIRMWARE_VERIFICATION_FAILED.to_be_bytes();
    assert!(
        alert
            .signing
            .content
            .windows(3)
            .any(|w| w == [0x12, code[0], code[1]])
    );
    // The supplier's own second image, sent: until it arrives the first is the one held.
    let body = b"the supplier's next firmware".repeat(8);
    let next = build_image(0x121D, [2, 2, 2, 2], "next", &body, |m| {
        keys.sign(eui(SUPPLIER), m).unwrap()
    });
    let next = UpgradeImage::parse(&next).unwrap();
    let arrives = later + Duration::minutes(1);
    esme.receive_image(&Offer::new(&next), eui(SUPPLIER), arrives, &keys);
    let activate = |hash: &[u8]| FirmwarePayload::Activate {
        hash: hash.to_vec(),
        counter: 0,
        at: None,
    };
    let answer = ask(
        &mut esme,
        &keys,
        (SUPPLIER, 60),
        &activate(&next.hash()),
        later,
    );
    let mismatch = Outcome {
        status: Activation::HashMismatch,
        version: esme.firmware.to_vec(),
    };
    assert_eq!(answer, FirmwarePayload::Outcome(mismatch));
    let (_, alerts) = esme.due(arrives, &keys).unwrap().unwrap();
    assert_eq!(alert_of(alerts).message_code(), Some(FDRA_ESME));
    let answer = ask(
        &mut esme,
        &keys,
        (SUPPLIER, 61),
        &activate(&next.hash()),
        arrives,
    );
    let activated = Outcome {
        status: Activation::Activated,
        version: vec![2, 2, 2, 2],
    };
    assert_eq!(answer, FirmwarePayload::Outcome(activated));
    // Sent under supplier 1, arriving after the meter went to supplier 2: discarded.
    let last = arrives + Duration::minutes(5);
    esme.receive_image(&Offer::new(&first), eui(SUPPLIER), last, &keys);
    let parties = [
        (Role::Supplier, eui(SUPPLIER_2)),
        (Role::AccessControlBroker, eui(ACB)),
    ];
    esme.set_credentials(Credentials::installed(&parties, &keys));
    let (_, alerts) = esme.due(last, &keys).unwrap().unwrap();
    assert_eq!(
        alert_of(alerts).message_code(),
        Some(GENERIC_CRITICAL_ALERT)
    );
}

/// `dccsim gbcs decode` (the describer) reads CS06 payloads as their values.
#[test]
fn cs06_payloads_are_described_as_their_values() {
    let alert = rtds_file("11.3_CS06/CS06_11.3_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX");
    let described = dccsim::protocol::gbcs::describe(&alert, None, eui(ACB));
    let payload = &described["payload"];
    assert_eq!(payload["kind"], "Alert", "{payload}");
    assert_eq!(payload["counter"], 1001);
    assert_eq!(payload["outcome"]["status"], "Activated");
    assert_eq!(payload["outcome"]["version"], "0123ABCF");
    let command = rtds_file("11.3_CS06/CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX");
    let described = dccsim::protocol::gbcs::describe(&command, None, eui(ACB));
    assert_eq!(described["payload"]["at"], "2030-01-15T09:00:00Z");
}
