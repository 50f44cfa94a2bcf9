use super::*;
use std::path::PathBuf;

fn reference() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/gbcs-rtds")
}

fn keys() -> KeyStore {
    KeyStore::load(&reference().join("keystore")).unwrap()
}

/// The Access Control Broker of the RTDS messages.
fn acb() -> Eui64 {
    "90-B3-D5-1F-30-00-00-02".parse().unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    crate::protocol::gbcs::parse_hex(s).unwrap()
}

fn vectors() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(reference().join("RTDS-4.5.0")).unwrap() {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "HEX") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                out.push((name, hex(&std::fs::read_to_string(&path).unwrap())));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_keystore_loads() {
    let keys = keys();
    let device: Eui64 = "00-DB-12-34-56-78-90-A0".parse().unwrap();
    assert!(keys.public_key(device, KeyUse::Signing).is_some());
    assert!(keys.public_key(device, KeyUse::KeyAgreement).is_some());
    assert!(keys.has_private(acb(), KeyUse::KeyAgreement));
}

/// Over every RTDS 4.5.0 vector: no MAC and no signature is ever invalid, and every one whose
/// keys the keystore holds verifies.
#[test]
fn every_rtds_mac_and_signature_verifies() {
    let keys = keys();
    let (mut macs, mut signatures, mut no_key) = (0, 0, 0);
    let mut invalid = Vec::new();
    for (name, bytes) in vectors() {
        let m = GbcsMessage::decode(&bytes).unwrap();
        match verify_mac(&keys, &m, acb()) {
            Verdict::Valid => macs += 1,
            Verdict::Absent => {}
            Verdict::NoKey => no_key += 1,
            Verdict::Invalid => invalid.push(format!("{name}: MAC")),
        }
        match verify_signature(&keys, &m) {
            Verdict::Valid => signatures += 1,
            Verdict::Absent => {}
            Verdict::NoKey => no_key += 1,
            Verdict::Invalid => invalid.push(format!("{name}: signature")),
        }
    }
    eprintln!("{macs} MACs and {signatures} signatures valid, {no_key} checks without keys");
    // PCS01 and PCS02 are commands a prepayment interface device (00-DB-12-34-56-78-90-A4)
    // sends to the meter over the HAN, MACed between the two devices; the RTDS keystore has
    // neither device's private KA key, and the ACB pairing used for remote parties' commands
    // does not apply to them. A brute force over every key pair of the keystore finds none
    // that produces their MACs.
    assert_eq!(
        invalid,
        vec![
            "PCS01_NA_SUCCESS_COMMAND_GBCS.HEX: MAC".to_string(),
            "PCS02_NA_SUCCESS_COMMAND_GBCS.HEX: MAC".to_string()
        ]
    );
    assert_eq!(macs, 811, "MACs verified (of 815 MACed vectors)");
    assert_eq!(signatures, 472, "signatures verified");
}

#[test]
fn a_flipped_byte_fails_verification() {
    let keys = keys();
    let mut checked = 0;
    for (name, bytes) in vectors().into_iter().step_by(7) {
        let m = GbcsMessage::decode(&bytes).unwrap();
        let mac_ok = verify_mac(&keys, &m, acb()) == Verdict::Valid;
        let sig_ok = verify_signature(&keys, &m) == Verdict::Valid;
        if !mac_ok && !sig_ok || m.signing.content.is_empty() {
            continue;
        }
        let mut changed = m.clone();
        changed.signing.content[0] ^= 0x01;
        if mac_ok {
            assert_eq!(
                verify_mac(&keys, &changed, acb()),
                Verdict::Invalid,
                "{name}"
            );
        }
        if sig_ok {
            assert_eq!(
                verify_signature(&keys, &changed),
                Verdict::Invalid,
                "{name}"
            );
        }
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn compute_mac_reproduces_the_vectors_tag() {
    let keys = keys();
    let bytes = hex(&std::fs::read_to_string(
        reference().join("RTDS-4.5.0/4.8.1_ECS22b/ECS22b_4.8.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX"),
    )
    .unwrap());
    let m = GbcsMessage::decode(&bytes).unwrap();
    let tag = compute_mac(&keys, &m, acb()).unwrap();
    assert_eq!(tag, m.ciphering.unwrap().mac);
}

#[test]
fn a_broken_key_file_is_named() {
    let dir = std::env::temp_dir().join(format!("dccsim-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("00db1234567890a0-ds.pem"), "not a certificate").unwrap();
    let err = KeyStore::load(&dir).err().unwrap().to_string();
    assert!(err.contains("00db1234567890a0-ds.pem"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The ZAZ1 keystore's Z1 keys are the RTDS keystore's: a store built from it checks RTDS
/// MACs of commands (ACB) and responses for the RTDS supplier.
#[test]
fn zaz1_keys_are_the_rtds_remote_parties_keys() {
    let json = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/zaz1-keystore.json"),
    )
    .unwrap();
    let mut zaz1 = KeyStore::default();
    zaz1.add_zaz1(&json).unwrap();
    let rtds = keys();
    for eui in ["90-B3-D5-1F-30-01-00-00", "90-B3-D5-1F-30-00-00-02"] {
        let eui: Eui64 = eui.parse().unwrap();
        assert_eq!(
            zaz1.public_key(eui, KeyUse::KeyAgreement),
            rtds.public_key(eui, KeyUse::KeyAgreement),
            "{eui}"
        );
    }
    assert!(zaz1.has_private(acb(), KeyUse::KeyAgreement));
}

#[test]
fn a_pairs_secret_is_agreed_once_from_either_side() {
    // Two fleet devices: both private keys derive from the seed, so either side can compute.
    let mut store = KeyStore::default();
    store.derive_fleet(&[0x00, 0xDC, 0x5E], [7; 32]);
    let a: Eui64 = "00-DC-5E-00-00-00-00-01".parse().unwrap();
    let b: Eui64 = "00-DC-5E-00-00-00-00-02".parse().unwrap();
    assert_eq!(store.warm([(a, b)]), 1);
    assert_eq!(store.shared.lock().unwrap().len(), 1);
    let from_a = store.agreed_secret(a, b).unwrap();
    let from_b = store.agreed_secret(b, a).unwrap();
    assert_eq!(from_a, from_b);
    assert_eq!(
        store.shared.lock().unwrap().len(),
        1,
        "cached once per pair"
    );
    // And it is the secret a fresh store computes from b's side alone.
    let fresh = {
        let mut s = KeyStore::default();
        s.derive_fleet(&[0x00, 0xDC, 0x5E], [7; 32]);
        s
    };
    assert_eq!(fresh.agreed_secret(b, a).unwrap(), from_a);
    // A pair with no private key on either side is not computed.
    let stranger: Eui64 = "11-22-33-44-55-66-77-88".parse().unwrap();
    assert_eq!(store.warm([(stranger, a)]), 0);
}
