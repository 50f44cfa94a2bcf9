//! ASN.1 payloads (the comms hub's answers, ASN.1 alerts) are outside input: any bytes give a
//! value or an error saying where, never a panic; a decoded value re-encodes to the same bytes.
//! Run with `cargo +nightly fuzz run asn1`.
#![no_main]

use dccsim::protocol::gbcs::asn1::{AsnPayload, Der};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = Der::decode(data) {
        assert_eq!(d.encode(), data);
    }
    let _ = AsnPayload::decode(data, true);
    let _ = AsnPayload::decode(data, false);
});
