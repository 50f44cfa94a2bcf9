//! ASN.1 payloads (the comms hub's answers, ASN.1 alerts, HAN joins, unjoins and device logs,
//! security credentials, firmware activation; and upgrade images)
//! are outside input: any bytes give a value or an error saying what, never a panic; a decoded
//! value re-encodes to the same bytes, and a decoded join or credentials payload to bytes that
//! decode to the same payload. Run with `cargo +nightly fuzz run asn1`.
#![no_main]

use dccsim::protocol::gbcs::asn1::{AsnPayload, Der};
use dccsim::protocol::gbcs::credentials::{CS02A, CS02B_ALERT, CS02C, CS02D, CS02E, CredentialsPayload};
use dccsim::protocol::gbcs::firmware::{CS06, CS06_ALERT, FirmwarePayload, UpgradeImage};
use dccsim::protocol::gbcs::join::{
    CS03A1, CS03A2, CS03B, CS03C, CS04AC, CS04B, CS07, HanPayload,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = Der::decode(data) {
        assert_eq!(d.encode(), data);
    }
    let _ = AsnPayload::decode(data, true);
    let _ = AsnPayload::decode(data, false);
    for code in [CS03A1, CS03A2, CS03B, CS03C, CS04AC, CS04B, CS07] {
        for command in [true, false] {
            if let Ok(p) = HanPayload::decode(code, command, data) {
                let again = HanPayload::decode(code, command, &p.encode());
                assert_eq!(again.as_ref().ok(), Some(&p));
            }
        }
    }
    for code in [CS02A, CS02C, CS02D, CS02E, CS02B_ALERT, 0x0102, 0x0107, 0x0126] {
        for command in [true, false] {
            if let Ok(p) = CredentialsPayload::decode(code, command, data) {
                let again = CredentialsPayload::decode(code, command, &p.encode());
                assert_eq!(again.as_ref().ok(), Some(&p));
            }
        }
    }
    for code in [CS06, CS06_ALERT] {
        if let Ok(p) = FirmwarePayload::decode(code, data) {
            assert_eq!(FirmwarePayload::decode(code, &p.encode()).as_ref().ok(), Some(&p));
        }
    }
    if let Ok(image) = UpgradeImage::parse(data) {
        // Its parts are the image's bytes: the Manufacturer Image, then the signature's length
        // and the signature, at the end.
        assert_eq!(image.signature.len(), 64);
        assert!(data.ends_with(image.signature));
        let end = data.len() - 66;
        assert!(data[..end].ends_with(image.manufacturer_image));
        let _ = image.hash();
    }
});
