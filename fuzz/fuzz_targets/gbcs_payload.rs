//! The typed reading of GBCS payloads: the first two bytes are a message code, the rest the
//! payload (or a sealed payload's plaintext). Any input gives a reading or an error, never a
//! panic; a reading re-encodes to bytes that read back as the same reading (the RTDS tests show
//! the bytes themselves come back for what devices send). `cargo +nightly fuzz run gbcs_payload`.
#![no_main]

use dccsim::model::Eui64;
use dccsim::protocol::gbcs::Cra;
use dccsim::protocol::gbcs::payload::{decode_dlms, decode_plaintext, encode_dlms, message_for};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [a, b, rest @ ..] = data else { return };
    let code = u16::from_be_bytes([*a, *b]);
    for cra in [Cra::Command, Cra::Response, Cra::Alert] {
        let m = message_for(cra, 1, Eui64([0; 8]), Eui64([1; 8]), code, rest.to_vec());
        let _ = decode_dlms(&m, None);
    }
    if let Ok(reading) = decode_plaintext(code, rest) {
        if let Some(bytes) = encode_dlms(&reading) {
            assert_eq!(decode_plaintext(code, &bytes).ok(), Some(reading));
        }
    }
});
