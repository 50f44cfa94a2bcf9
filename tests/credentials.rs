//! A device's security credentials (GBCS CS02) over the RTDS: every CS02 vector decodes as its
//! payload and re-encodes byte for byte; the certificates they carry give the subjects and key
//! identifiers the devices' answers report; bad payloads are an error naming what was expected.

use std::path::{Path, PathBuf};

use dccsim::model::Eui64;
use dccsim::protocol::gbcs::credentials::{
    CS02A, CertificateFacts, CredentialsPayload, KeyUsage, Mode, Role, is_credentials,
};
use dccsim::protocol::gbcs::{Cra, GbcsMessage, parse_hex};

fn rtds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/gbcs-rtds/RTDS-4.5.0")
}

fn message(path: &Path) -> GbcsMessage {
    let text = std::fs::read_to_string(path).unwrap();
    GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap()
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
    assert!(vectors.len() >= 90, "{}", vectors.len());
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
