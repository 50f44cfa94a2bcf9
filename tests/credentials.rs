//! A device's security credentials (GBCS CS02) over the RTDS: every CS02 vector decodes as its
//! payload and re-encodes byte for byte; the certificates they carry give the subjects and key
//! identifiers the devices' answers report; bad payloads are an error naming what was expected.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use dccsim::device::credentials::Credentials;
use dccsim::device::{Consumer, CustomerType, DeviceError, Esme, GasMeter};
use dccsim::model::Eui64;
use dccsim::protocol::gbcs::credentials::{
    CS02A, CS02B_ALERT, CertificateFacts, CredentialsPayload, KeyUsage, Mode, Role, is_credentials,
};
use dccsim::protocol::gbcs::payload::message_for;
use dccsim::protocol::gbcs::{
    Cra, GbcsMessage, KeyStore, KeyUse, mac_message, parse_hex, sign_message,
};

fn rtds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/gbcs-rtds/RTDS-4.5.0")
}

fn message(path: &Path) -> GbcsMessage {
    let text = std::fs::read_to_string(path).unwrap();
    GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap()
}

fn rtds_file(path: &str) -> GbcsMessage {
    message(&rtds().join(path))
}

const fn eui(bytes: [u8; 8]) -> Eui64 {
    Eui64(bytes)
}

const RTDS_ESME: Eui64 = eui([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA0]);
const RTDS_GSME: Eui64 = eui([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA1]);
const RTDS_GPF: Eui64 = eui([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA3]);
const RECOVERY: Eui64 = eui([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x00, 0x00, 0x01]);
const ACB: Eui64 = eui([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x00, 0x00, 0x02]);
const TRANSITIONAL_COS: Eui64 = eui([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x00, 0x00, 0x04]);
const SUPPLIER: Eui64 = eui([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x01, 0x00, 0x00]);
const NETWORK_OPERATOR: Eui64 = eui([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x02, 0x00, 0x00]);
const SUPPLIER_2: Eui64 = eui([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x03, 0x00, 0x00]);

/// The RTDS keystore (its organisations' certificates kept, as the SMKI repository keeps
/// them), the RTDS meters' own keys derived (theirs are not published).
fn keys() -> KeyStore {
    let mut keys = KeyStore::load(&rtds().join("../keystore")).expect("the RTDS keystore loads");
    for device in [RTDS_ESME, RTDS_GSME, RTDS_GPF] {
        keys.forget(device);
        keys.derive_fleet(&device.0, [9; 32]);
    }
    keys
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap()
}

fn consumer() -> Consumer {
    Consumer {
        kind: CustomerType::Domestic,
        annual_wh: 12_000_000,
        solar_peak_w: 0,
        seed: 5,
    }
}

/// The RTDS electricity meter as the RTDS's CS02 vectors find it: trusting the supplier, the
/// network operator (whose sequence number is 1) and the DCC's parties.
fn rtds_meter(keys: &KeyStore) -> Esme {
    let mut meter = Esme::new(RTDS_ESME, consumer(), at() - Duration::days(30));
    let mut credentials = Credentials::installed(
        &[
            (Role::Supplier, SUPPLIER),
            (Role::NetworkOperator, NETWORK_OPERATOR),
            (Role::AccessControlBroker, ACB),
            (Role::Recovery, RECOVERY),
            (Role::TransitionalCos, TRANSITIONAL_COS),
        ],
        keys,
    );
    credentials.seq.insert(Role::NetworkOperator, 1);
    meter.set_credentials(credentials);
    meter
}

/// A device taking command bytes: its answer, or why it refused.
type Handle<'a> = dyn FnMut(&[u8]) -> Result<Vec<u8>, DeviceError> + 'a;

/// An RTDS command's payload sent by `from` (signed when critical, MACed) to `to`, at `now`:
/// the device's answer, or why it refused.
fn send(
    to: Eui64,
    from: Eui64,
    file: &str,
    counter: u64,
    keys: &KeyStore,
    handle: &mut Handle,
) -> Result<GbcsMessage, DeviceError> {
    let rtds = rtds_file(file);
    let code = rtds.message_code().unwrap();
    send_content(to, from, code, rtds.signing.content, counter, keys, handle)
}

/// A command of use case `code` carrying `content`, sent as [`send`] sends one.
fn send_content(
    to: Eui64,
    from: Eui64,
    code: u16,
    content: Vec<u8>,
    counter: u64,
    keys: &KeyStore,
    handle: &mut Handle,
) -> Result<GbcsMessage, DeviceError> {
    let mut m = message_for(Cra::Command, counter, from, to, code, content);
    if code != CS02A {
        assert!(sign_message(keys, &mut m), "{from} signs");
    }
    assert!(mac_message(keys, &mut m, ACB));
    Ok(GbcsMessage::decode(&handle(&m.to_bytes().unwrap())?).unwrap())
}

fn content(file: &str) -> String {
    dccsim::protocol::gbcs::hex(&rtds_file(file).signing.content)
}

fn hex(m: &GbcsMessage) -> String {
    dccsim::protocol::gbcs::hex(&m.signing.content)
}

/// Every RTDS message of a CS02 use case (their folders name CS02), by file name.
fn credentials_vectors() -> Vec<(String, GbcsMessage)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(rtds()).unwrap() {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if !name.contains("_CS02") {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let path = f.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            out.push((name, message(&path)));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_rtds_credentials_payload_decodes_and_re_encodes_byte_exactly() {
    let vectors = credentials_vectors();
    assert_eq!(vectors.len(), 102);
    let mut kinds = std::collections::BTreeMap::new();
    for (name, m) in &vectors {
        let code = m.message_code().unwrap();
        assert!(is_credentials(code), "{name}: {code:#06X}");
        let command = m.signing.cra == Cra::Command;
        let payload = CredentialsPayload::decode(code, command, &m.signing.content)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            dccsim::protocol::gbcs::hex(&payload.encode()),
            dccsim::protocol::gbcs::hex(&m.signing.content),
            "{name}"
        );
        let kind = serde_json::to_value(&payload).unwrap()["kind"]
            .as_str()
            .unwrap()
            .to_string();
        *kinds.entry(kind).or_insert(0) += 1;
    }
    // Each kind of payload is among them.
    for kind in [
        "read_details",
        "details",
        "update",
        "updated",
        "update_alert",
        "issue",
        "certification_request",
        "install",
        "read_certificate",
        "certificate",
        "code",
    ] {
        assert!(kinds.contains_key(kind), "no {kind}: {kinds:?}");
    }
}

#[test]
fn a_supplier_update_reads_as_its_mode_cells_and_certificates() {
    let m = message(&rtds().join(
        "6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX",
    ));
    let CredentialsPayload::Update(update) =
        CredentialsPayload::decode(m.message_code().unwrap(), true, &m.signing.content).unwrap()
    else {
        panic!("not an update")
    };
    assert_eq!(update.mode, Mode::SupplierBySupplier);
    assert_eq!(update.seq, 1000);
    assert_eq!(update.floor, Some(0));
    assert_eq!(update.execute_at, None);
    let cells: Vec<_> = update
        .replacements
        .iter()
        .map(|(_, c)| (c.role, c.usage, c.top_up))
        .collect();
    assert_eq!(
        cells,
        [
            (Role::Supplier, KeyUsage::DigitalSignature, false),
            (Role::Supplier, KeyUsage::KeyAgreement, false),
            (Role::Supplier, KeyUsage::KeyAgreement, true),
        ]
    );
    // The certificates name the supplier, with the key identifiers the answer reports.
    let supplier: Eui64 = "90-B3-D5-1F-30-01-00-00".parse().unwrap();
    let facts: Vec<_> = update
        .replacements
        .iter()
        .map(|(c, _)| CertificateFacts::of(&c.encode()).unwrap())
        .collect();
    assert!(facts.iter().all(|f| f.subject == supplier));
    assert_eq!(
        dccsim::protocol::gbcs::hex(&facts[0].key_id),
        "43046B4FB7C4F11B"
    );
    assert_eq!(facts[0].usage, KeyUsage::DigitalSignature);
    assert_eq!(facts[1].usage, KeyUsage::KeyAgreement);
    // The path is the organisation CA's certificate.
    assert_eq!(update.path.len(), 1);
}

#[test]
fn a_device_certificate_names_the_device() {
    let m = message(&rtds().join("6.24.2_CS02e/CS02e_6.24.2_SUCCESS_RESPONSE_GBCS.HEX"));
    let facts = CertificateFacts::of(&m.signing.content).unwrap();
    assert_eq!(facts.subject, "00-DB-12-34-56-78-90-A0".parse().unwrap());
    assert_eq!(facts.usage, KeyUsage::DigitalSignature);
    assert_eq!(
        dccsim::protocol::gbcs::hex(&facts.key_id),
        "41978BA90C066FFA"
    );
}

#[test]
fn bad_credentials_payloads_say_what_was_expected() {
    // A read of details whose role list holds a string.
    let bad = parse_hex("300D3007020104030203083002 0C00").unwrap();
    let e = CredentialsPayload::decode(CS02A, true, &bad).unwrap_err();
    assert!(e.to_string().contains("CS02a command"), "{e}");
    // A CS02b whose mode is not its message code's.
    let m = message(&rtds().join(
        "6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX",
    ));
    let e = CredentialsPayload::decode(0x0103, true, &m.signing.content).unwrap_err();
    assert!(e.to_string().contains("replacement mode"), "{e}");
    // Not DER at all.
    assert!(CredentialsPayload::decode(CS02A, false, &[0x30, 0x05, 0x02]).is_err());
    // Not a CS02 use case.
    let e = CredentialsPayload::decode(0x0013, true, &[0x05, 0x00]).unwrap_err();
    assert!(e.to_string().contains("not a security credentials"), "{e}");
}

#[test]
fn the_rtds_meter_reports_and_replaces_its_supplier_anchors_as_the_rtds_meter_does() {
    let keys = keys();
    let mut meter = rtds_meter(&keys);
    let mut handle = |b: &[u8]| meter.handle(b, at(), &keys, ACB);
    let dir = "6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1";
    // The broker reads the supplier's and network operator's anchors.
    let details = send(
        RTDS_ESME,
        ACB,
        "6.24.1_CS02aMAC/CS02aMAC_6.24.1_SUCCESS_COMMAND_GBCS.HEX",
        1,
        &keys,
        &mut handle,
    )
    .unwrap();
    assert_eq!(
        hex(&details),
        content("6.24.1_CS02aMAC/CS02aMAC_6.24.1_SUCCESS_RESPONSE_GBCS.HEX")
    );
    // A new key-agreement certificate from another CA (Z2) does not chain to the root: status
    // 10 for it, its cell unchanged; the others replaced.
    let refused = send(
        RTDS_ESME,
        SUPPLIER,
        &format!("{dir}_IMMEDIATE_ERROR_COMMAND_GBCS.HEX"),
        1003,
        &keys,
        &mut handle,
    )
    .unwrap();
    assert_eq!(
        hex(&refused),
        content(&format!("{dir}_IMMEDIATE_ERROR_RESPONSE_GBCS.HEX"))
    );
    // The answer is signed by the meter, and dated.
    assert!(
        refused
            .signing
            .signature
            .as_ref()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(refused.signing.date_time.len(), 12);

    // A fresh meter takes the whole update as the RTDS meter does.
    let mut meter = rtds_meter(&keys);
    let mut handle = |b: &[u8]| meter.handle(b, at(), &keys, ACB);
    let done = send(
        RTDS_ESME,
        SUPPLIER,
        &format!("{dir}_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX"),
        1000,
        &keys,
        &mut handle,
    )
    .unwrap();
    assert_eq!(
        hex(&done),
        content(&format!("{dir}_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX"))
    );
    // Signed with the supplier's old key, the same again is refused: the meter now holds its
    // new key. Signed with that but under the same counter, it is refused as a replay.
    let again = send(
        RTDS_ESME,
        SUPPLIER,
        &format!("{dir}_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX"),
        1001,
        &keys,
        &mut handle,
    );
    assert!(matches!(again, Err(DeviceError::Signature(_))), "{again:?}");
    let mut rekeyed = self::keys();
    rekeyed.insert_private(SUPPLIER, KeyUse::Signing, zaz1_private("Z1b-supplier-ds"));
    let again = send(
        RTDS_ESME,
        SUPPLIER,
        &format!("{dir}_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX"),
        1000,
        &rekeyed,
        &mut handle,
    );
    assert!(
        matches!(again, Err(DeviceError::Replay { .. })),
        "{again:?}"
    );
    // The supplier's floor is the one the update set (0).
    assert_eq!(
        meter_seq(&mut handle, &keys),
        [(Role::Supplier, Some(0)), (Role::NetworkOperator, Some(1))]
    );
    // The supplier's signing anchor now holds its new (Z1b) key: a critical command signed
    // with the old key is refused, one with the new key taken.
    let anchor = meter
        .credentials()
        .anchors
        .iter()
        .find(|a| a.cell.role == Role::Supplier && a.cell.usage == KeyUsage::DigitalSignature)
        .unwrap()
        .clone();
    assert_eq!(
        dccsim::protocol::gbcs::hex(&anchor.key_id),
        "43046B4FB7C4F11B"
    );
    let old = critical_read(&keys, 2000);
    let err = meter.handle(&old, at(), &keys, ACB).unwrap_err();
    assert!(matches!(err, DeviceError::Signature(_)), "{err}");
    let new = critical_read(&rekeyed, 2001);
    meter
        .handle(&new, at(), &keys, ACB)
        .expect("the new key is trusted");
    // The anchors are the meter's state: saved and restored with it.
    let saved: Esme = serde_json::from_str(&serde_json::to_string(&meter).unwrap()).unwrap();
    assert_eq!(saved.credentials(), meter.credentials());
}

/// The sequence numbers the RTDS's CS02a read reports for the supplier and network operator.
fn meter_seq(handle: &mut Handle, keys: &KeyStore) -> Vec<(Role, Option<u64>)> {
    let answer = send(
        RTDS_ESME,
        ACB,
        "6.24.1_CS02aMAC/CS02aMAC_6.24.1_SUCCESS_COMMAND_GBCS.HEX",
        5000,
        keys,
        handle,
    )
    .unwrap();
    let CredentialsPayload::Details { parties } =
        CredentialsPayload::decode(CS02A, false, &answer.signing.content).unwrap()
    else {
        panic!("details")
    };
    parties.iter().map(|p| (p.role, p.seq)).collect()
}

/// A critical command from the supplier to the RTDS meter (the RTDS's 6.15.2 install command
/// will do: what matters is the signature), signed with the key `keys` holds for it.
fn critical_read(keys: &KeyStore, counter: u64) -> Vec<u8> {
    let rtds = rtds_file("6.24.2_CS02e/CS02e_6.24.2_SUCCESS_COMMAND_GBCS.HEX");
    let mut m = message_for(
        Cra::Command,
        counter,
        SUPPLIER,
        RTDS_ESME,
        rtds.message_code().unwrap(),
        rtds.signing.content,
    );
    assert!(sign_message(keys, &mut m));
    assert!(mac_message(keys, &mut m, ACB));
    m.to_bytes().unwrap()
}

/// A private key of the ZAZ1 test PKI's, by its name there.
fn zaz1_private(name: &str) -> p256::SecretKey {
    use p256::pkcs8::DecodePrivateKey;
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/zaz1-keystore.json"),
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    for org in doc.as_object().unwrap().values() {
        for entries in org.as_object().unwrap().values() {
            for entry in entries.as_object().into_iter().flat_map(|e| e.values()) {
                if entry["name"] == name {
                    let pem = entry["privateKey"].as_str().unwrap();
                    return p256::SecretKey::from_pkcs8_pem(pem).unwrap();
                }
            }
        }
    }
    panic!("no {name} in the ZAZ1 keystore")
}

#[test]
fn a_future_dated_update_is_accepted_then_carried_out_on_time_with_the_rtds_alert() {
    let keys = keys();
    let mut meter = rtds_meter(&keys);
    let dir = "6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1";
    let accepted = send(
        RTDS_ESME,
        SUPPLIER,
        &format!("{dir}_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX"),
        1001,
        &keys,
        &mut |b| meter.handle(b, at(), &keys, ACB),
    )
    .unwrap();
    assert_eq!(
        hex(&accepted),
        content(&format!("{dir}_FUTURE_DATED_SUCCESS_RESPONSE_GBCS.HEX"))
    );
    // Nothing replaced yet; held for 2030-01-15.
    let when = Utc.with_ymd_and_hms(2030, 1, 15, 0, 0, 0).unwrap();
    assert_eq!(meter.next_due(), Some(when));
    assert!(
        meter
            .due(when - Duration::seconds(1), &keys)
            .unwrap()
            .is_none()
    );
    let (to, alerts) = meter
        .due(when, &keys)
        .unwrap()
        .expect("carried out on time");
    assert_eq!(to, SUPPLIER);
    let alert = GbcsMessage::decode(&alerts[0]).unwrap();
    assert_eq!(alert.message_code(), Some(CS02B_ALERT));
    assert_eq!(
        hex(&alert),
        content(&format!("{dir}_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX"))
    );
    assert_eq!(meter.next_due(), None);
}

#[test]
fn a_change_of_supplier_hands_the_meter_to_the_new_supplier() {
    let keys = keys();
    let mut meter = rtds_meter(&keys);
    let dir = "6.23_CS02bSupplierByTransCoS/CS02bSupplierByTransCoS_6.23";
    // The old supplier may not make the change: the transitional CoS party authorises it.
    let err = send(
        RTDS_ESME,
        SUPPLIER,
        &format!("{dir}_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX"),
        6000,
        &keys,
        &mut |b| meter.handle(b, at(), &keys, ACB),
    )
    .unwrap_err();
    assert!(err.to_string().contains("TransitionalCos"), "{err}");
    let done = send(
        RTDS_ESME,
        TRANSITIONAL_COS,
        &format!("{dir}_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX"),
        6001,
        &keys,
        &mut |b| meter.handle(b, at(), &keys, ACB),
    )
    .unwrap();
    assert_eq!(
        hex(&done),
        content(&format!("{dir}_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX"))
    );
    // The old supplier's critical commands are refused; the new supplier's taken.
    let err = meter
        .handle(&critical_read(&keys, 7000), at(), &keys, ACB)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        DeviceError::Untrusted(SUPPLIER).to_string()
    );
    let rtds = rtds_file("6.24.2_CS02e/CS02e_6.24.2_SUCCESS_COMMAND_GBCS.HEX");
    let mut m = message_for(
        Cra::Command,
        7001,
        SUPPLIER_2,
        RTDS_ESME,
        rtds.message_code().unwrap(),
        rtds.signing.content,
    );
    assert!(sign_message(&keys, &mut m));
    assert!(mac_message(&keys, &mut m, ACB));
    meter
        .handle(&m.to_bytes().unwrap(), at(), &keys, ACB)
        .expect("the new supplier is trusted");
}

#[test]
fn the_dcc_hands_over_a_gas_proxy_it_controls_as_the_rtds_does() {
    let keys = keys();
    let mut gas = GasMeter::new(RTDS_GSME, RTDS_GPF, consumer(), at() - Duration::days(30));
    // The gas proxy is the DCC's: its supplier cells hold the broker's keys.
    gas.set_credentials(
        RTDS_GPF,
        Credentials::installed(
            &[
                (Role::Supplier, ACB),
                (Role::AccessControlBroker, ACB),
                (Role::Recovery, RECOVERY),
                (Role::TransitionalCos, TRANSITIONAL_COS),
            ],
            &keys,
        ),
    );
    gas.set_credentials(
        RTDS_GSME,
        Credentials::installed(&[(Role::AccessControlBroker, ACB)], &keys),
    );
    let dir = "6.21_CS02bSupplierBySupplierHandover/CS02bSupplierBySupplierHandover_6.21";
    let done = send(
        RTDS_GPF,
        ACB,
        &format!("{dir}_SUCCESS_COMMAND_GBCS.HEX"),
        1300,
        &keys,
        &mut |b| gas.handle(b, at(), &keys, ACB),
    )
    .unwrap();
    assert_eq!(
        hex(&done),
        content(&format!("{dir}_SUCCESS_RESPONSE_GBCS.HEX"))
    );
    assert_eq!(
        gas.credentials(RTDS_GPF)
            .holder(dccsim::protocol::gbcs::credentials::Cell::new(
                Role::Supplier,
                KeyUsage::DigitalSignature
            )),
        Some(SUPPLIER)
    );
    // The gas meter's own anchors, as the RTDS reads them: the broker's, and no network
    // operator (status 25).
    let details = send(
        RTDS_GSME,
        ACB,
        "6.24.1_CS02aMAC/CS02aMAC_6.24.1_ERROR_COMMAND_GBCS.HEX",
        1301,
        &keys,
        &mut |b| gas.handle(b, at(), &keys, ACB),
    );
    // The RTDS's error vector is to …A1; its answer is the gas meter's.
    assert_eq!(
        hex(&details.unwrap()),
        content("6.24.1_CS02aMAC/CS02aMAC_6.24.1_ERROR_RESPONSE_GBCS.HEX")
    );
}

#[test]
fn each_rtds_credentials_update_template_asks_what_the_rtds_command_carries() {
    use dccsim::headend::{Originator, Request};
    let templates =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/duis/rtds-templates");
    let cases = [
        (
            "CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS",
            "6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX",
            Originator::User,
        ),
        (
            "CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_SUCCESS",
            "6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX",
            Originator::User,
        ),
        (
            "CS02bSupplierBySupplier_6.15.1_CANCELLATION_SUCCESS",
            "6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX",
            Originator::User,
        ),
        (
            "CS02bNOByNO_6.15.1_SUCCESS",
            "6.15.1_CS02bNOByNO/CS02bNOByNO_6.15.1_SUCCESS_COMMAND_GBCS.HEX",
            Originator::User,
        ),
        (
            "CS02gLoadControllerBySupplier_6.15.1_IMMEDIATE_SUCCESS",
            "6.15.1_CS02gLoadControllerBySupplier/CS02gLoadControllerBySupplier_6.15.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX",
            Originator::User,
        ),
        (
            "CS02gLoadControllerBySupplier_6.15.1_FUTURE_DATED_SUCCESS",
            "6.15.1_CS02gLoadControllerBySupplier/CS02gLoadControllerBySupplier_6.15.1_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX",
            Originator::User,
        ),
        (
            "CS02bSupplierByTransCoS_6.23_IMMEDIATE_SUCCESS",
            "6.23_CS02bSupplierByTransCoS/CS02bSupplierByTransCoS_6.23_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX",
            Originator::TransitionalCos,
        ),
        (
            "CS02bSupplierByTransCoS_6.23_FUTURE_DATED_SUCCESS",
            "6.23_CS02bSupplierByTransCoS/CS02bSupplierByTransCoS_6.23_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX",
            Originator::TransitionalCos,
        ),
        (
            "CS02bSupplierBySupplierHandover_6.21_SUCCESS",
            "6.21_CS02bSupplierBySupplierHandover/CS02bSupplierBySupplierHandover_6.21_SUCCESS_COMMAND_GBCS.HEX",
            Originator::Broker,
        ),
    ];
    for (template, vector, originator) in cases {
        let xml = std::fs::read_to_string(templates.join(format!("{template}_REQUEST_DUIS.XML")))
            .unwrap();
        let request = Request::parse(&xml).unwrap();
        let ask = request.credentials_command().unwrap().unwrap();
        assert_eq!(ask.originator, originator, "{template}");
        let rtds = rtds_file(vector);
        assert_eq!(Some(ask.code), rtds.message_code(), "{template}");
        let (CredentialsPayload::Update(ours), Ok(CredentialsPayload::Update(theirs))) = (
            ask.payload,
            CredentialsPayload::decode(ask.code, true, &rtds.signing.content),
        ) else {
            panic!("{template}: an update")
        };
        // All but the certificates themselves (the templates carry reissued ones) and the
        // sequence number (the command's counter, given when it is sent).
        let cells = |u: &dccsim::protocol::gbcs::credentials::Update| {
            u.replacements.iter().map(|(_, c)| *c).collect::<Vec<_>>()
        };
        assert_eq!(cells(&ours), cells(&theirs), "{template}");
        assert_eq!(ours.path, theirs.path, "{template}");
        assert_eq!(
            (ours.mode, ours.time_checks, ours.authoriser, ours.floor),
            (
                theirs.mode,
                theirs.time_checks,
                theirs.authoriser,
                theirs.floor
            ),
            "{template}"
        );
        assert_eq!(
            ours.specialist_floors, theirs.specialist_floors,
            "{template}"
        );
        assert_eq!(ours.other_changes, theirs.other_changes, "{template}");
        assert_eq!(ours.execute_at, theirs.execute_at, "{template}");
    }
}

/// A key-only stand-in for rcgen: the device's new public key, which the test CA certifies.
struct DeviceKey(Vec<u8>);

impl rcgen::PublicKeyData for DeviceKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

/// A device certificate as SMKI issues one: no subject, the device's EUI-64 as the hardware
/// module name's serial number, a key identifier, one key usage; issued by a test CA.
fn device_certificate(device: Eui64, key: &[u8], key_id: [u8; 8]) -> Vec<u8> {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    // subjectAltName: otherName hardwareModuleName { hwType, hwSerialNum (the EUI-64) }.
    let mut module = vec![0x30, 0x19, 0x06, 0x0D];
    module.extend([
        0x2A, 0x86, 0x3A, 0x00, 0x01, 0x84, 0x8F, 0xB9, 0x0F, 0x01, 0x02, 0x02, 0x01,
    ]);
    module.extend([0x04, 0x08]);
    module.extend(device.0);
    let mut other_name = vec![
        0xA0, 0x27, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x04,
    ];
    other_name.extend([0xA0, 0x1B]);
    other_name.extend(module);
    let mut names = vec![0x30, other_name.len() as u8];
    names.extend(other_name);
    let mut san = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 17], names);
    san.set_criticality(true);
    let mut identifier = vec![0x04, 0x08];
    identifier.extend(key_id);
    let identifier = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 14], identifier);
    params.custom_extensions = vec![san, identifier];
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    params
        .signed_by(&DeviceKey(key.to_vec()), &issuer)
        .unwrap()
        .der()
        .to_vec()
}

#[test]
fn a_new_key_pair_is_certified_installed_and_read_back() {
    use dccsim::protocol::gbcs::credentials::{CS02C, CS02D, CS02E};
    let keys = keys();
    let mut meter = rtds_meter(&keys);
    let mut handle = |b: &[u8]| meter.handle(b, at(), &keys, ACB);
    let mut counter = 1000;
    let mut ask = |code: u16, content: Vec<u8>, handle: &mut Handle| {
        counter += 1;
        let answer = send_content(RTDS_ESME, SUPPLIER, code, content, counter, &keys, handle)
            .expect("answered");
        CredentialsPayload::decode(code, false, &answer.signing.content).unwrap()
    };
    let read = || CredentialsPayload::ReadCertificate {
        usage: KeyUsage::DigitalSignature,
    };
    // No certificate of its own yet (this meter's were not loaded): 2.
    assert_eq!(
        ask(CS02E, read().encode(), &mut handle),
        CredentialsPayload::Code { code: 2 }
    );
    // CS02c: a new signing key pair, and a certification request for it.
    let issue = CredentialsPayload::Issue {
        usage: KeyUsage::DigitalSignature,
    };
    let CredentialsPayload::CertificationRequest { request } =
        ask(CS02C, issue.encode(), &mut handle)
    else {
        panic!("a certification request")
    };
    // Signed with the new key (checked with ring, not the p256 code that signed it), naming
    // the meter as its hardware module.
    let der = request.encode();
    let key = dccsim::protocol::gbcs::public_key_of_der(&der).unwrap();
    let [info, _, signature] = request.items().unwrap() else {
        panic!("a PKCS #10 request")
    };
    let signature = &signature.bytes().unwrap()[1..];
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, key)
        .verify(&info.encode(), signature)
        .expect("the request is signed with its key");
    let mut serial = vec![0x04, 0x08];
    serial.extend(RTDS_ESME.0);
    assert!(der.windows(10).any(|w| w == serial));
    // A certificate for another device, or for another key: refused (2, 5).
    let other = device_certificate(RTDS_GSME, &key, [1; 8]);
    let wrong_key = keys.public_key(SUPPLIER, KeyUse::Signing).unwrap();
    let wrong = device_certificate(RTDS_ESME, &wrong_key, [2; 8]);
    for (certificate, code) in [(other, 2), (wrong, 5)] {
        let install = CredentialsPayload::Install {
            certificate: dccsim::protocol::gbcs::asn1::Der::decode(&certificate).unwrap(),
        };
        assert_eq!(
            ask(CS02D, install.encode(), &mut handle),
            CredentialsPayload::Code { code }
        );
    }
    // Its own certificate installed (0), then read back (CS02e); another install finds no key
    // pair waiting (4).
    let certificate = device_certificate(RTDS_ESME, &key, [3; 8]);
    let install = CredentialsPayload::Install {
        certificate: dccsim::protocol::gbcs::asn1::Der::decode(&certificate).unwrap(),
    };
    assert_eq!(
        ask(CS02D, install.encode(), &mut handle),
        CredentialsPayload::Code { code: 0 }
    );
    let CredentialsPayload::Certificate { certificate: back } =
        ask(CS02E, read().encode(), &mut handle)
    else {
        panic!("the certificate")
    };
    assert_eq!(back.encode(), certificate);
    assert_eq!(
        ask(CS02D, install.encode(), &mut handle),
        CredentialsPayload::Code { code: 4 }
    );
}

mod round_trips {
    use chrono::{DateTime, TimeZone, Utc};
    use dccsim::protocol::gbcs::asn1::Der;
    use dccsim::protocol::gbcs::credentials::{
        CS02A, CS02B_ALERT, Cell, CellContents, CredentialsPayload, KeyUsage, Mode, Outcome,
        PartyDetails, Replaced, Role, SeqChange, Specialist, Update, update_code,
    };
    use proptest::prelude::*;

    fn role() -> impl Strategy<Value = Role> {
        prop::sample::select(Role::ALL.to_vec())
    }

    fn usage() -> impl Strategy<Value = KeyUsage> {
        prop::sample::select(vec![
            KeyUsage::DigitalSignature,
            KeyUsage::KeyAgreement,
            KeyUsage::KeyCertSign,
        ])
    }

    fn cell() -> impl Strategy<Value = Cell> {
        (role(), usage(), any::<bool>()).prop_map(|(role, usage, top_up)| Cell {
            role,
            usage,
            top_up,
        })
    }

    fn specialist() -> impl Strategy<Value = Specialist> {
        (0u8..3, any::<u64>()).prop_map(|(usage, seq)| Specialist { usage, seq })
    }

    fn change() -> impl Strategy<Value = SeqChange> {
        (
            role(),
            any::<u64>(),
            prop::option::of(prop::collection::vec(specialist(), 0..3)),
        )
            .prop_map(|(role, floor, specialist)| SeqChange {
                role,
                floor,
                specialist,
            })
    }

    /// A certificate's stand-in: any SEQUENCE (the payloads carry certificates opaquely).
    fn certificate() -> impl Strategy<Value = Der> {
        prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| {
            // As read from bytes: its length in the form it was written.
            Der::decode(&Der::sequence(vec![Der::primitive(0x04, b)]).encode()).unwrap()
        })
    }

    fn time() -> impl Strategy<Value = DateTime<Utc>> {
        (946_684_800i64..4_102_444_800).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
    }

    fn update() -> impl Strategy<Value = Update> {
        (
            (
                prop::sample::select(Mode::ALL.to_vec()),
                prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
                prop::option::of(0u8..2),
                prop::option::of(cell()),
                any::<u64>(),
                prop::option::of(any::<u64>()),
            ),
            (
                prop::option::of(prop::collection::vec(specialist(), 0..3)),
                prop::option::of(prop::collection::vec(change(), 0..3)),
                prop::collection::vec((certificate(), cell()), 0..4),
                prop::collection::vec(certificate(), 0..3),
                prop::option::of(time()),
            ),
        )
            .prop_map(
                |(
                    (mode, symmetric_key, time_checks, authoriser, seq, floor),
                    (specialist_floors, other_changes, replacements, path, execute_at),
                )| Update {
                    mode,
                    symmetric_key,
                    time_checks,
                    authoriser,
                    seq,
                    floor,
                    specialist_floors,
                    other_changes,
                    replacements,
                    path,
                    execute_at,
                },
            )
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(any::<u8>(), 0..10)
    }

    fn outcome() -> impl Strategy<Value = Outcome> {
        let replaced = (cell(), 0u8..128, bytes(), bytes(), bytes(), bytes()).prop_map(
            |(cell, status, es, ek, rs, rk)| Replaced {
                cell,
                status,
                existing_subject: es,
                existing_key_id: ek,
                replacing_subject: rs,
                replacing_key_id: rk,
            },
        );
        (
            any::<u64>(),
            prop::sample::select(Mode::ALL.to_vec()),
            prop::collection::vec(change(), 0..3),
            prop::collection::vec(replaced, 0..4),
        )
            .prop_map(|(seq, mode, changes, replaced)| Outcome {
                seq,
                mode,
                changes,
                replaced,
            })
    }

    fn party() -> impl Strategy<Value = PartyDetails> {
        let contents = (usage(), any::<bool>(), bytes(), bytes()).prop_map(
            |(usage, top_up, subject, key_id)| CellContents {
                usage,
                top_up,
                subject,
                key_id,
            },
        );
        (
            role(),
            0u8..128,
            prop::option::of((any::<u64>(), prop::collection::vec(contents, 0..4))),
        )
            .prop_map(|(role, status, found)| {
                let (seq, cells) = match found {
                    Some((seq, cells)) => (Some(seq), cells),
                    None => (None, Vec::new()),
                };
                PartyDetails {
                    role,
                    status,
                    seq,
                    cells,
                }
            })
    }

    fn again(code: u16, command: bool, p: &CredentialsPayload) -> CredentialsPayload {
        CredentialsPayload::decode(code, command, &p.encode()).unwrap()
    }

    proptest! {
        #[test]
        fn an_update_round_trips(u in update()) {
            let code = update_code(u.mode);
            let p = CredentialsPayload::Update(Box::new(u));
            prop_assert_eq!(again(code, true, &p), p);
        }

        #[test]
        fn an_answer_and_an_alert_round_trip(o in prop::option::of(outcome()), at in time(), alert in 0x8F66u16..0x8F68) {
            let code = update_code(Mode::SupplierBySupplier);
            let p = CredentialsPayload::Updated { outcome: o.clone() };
            prop_assert_eq!(again(code, false, &p), p);
            if let Some(outcome) = o {
                let p = CredentialsPayload::UpdateAlert { code: alert, at, outcome };
                prop_assert_eq!(again(CS02B_ALERT, false, &p), p);
            }
        }

        #[test]
        fn a_details_read_and_answer_round_trip(authoriser in cell(), roles in prop::collection::vec(role(), 0..8), parties in prop::collection::vec(party(), 0..4)) {
            let p = CredentialsPayload::ReadDetails { authoriser, roles };
            prop_assert_eq!(again(CS02A, true, &p), p);
            let p = CredentialsPayload::Details { parties };
            prop_assert_eq!(again(CS02A, false, &p), p);
        }
    }
}
