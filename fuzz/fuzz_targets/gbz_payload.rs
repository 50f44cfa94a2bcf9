//! GBZ payloads are outside input: any bytes give a payload or an error saying where, never a
//! panic; a decoded payload re-encodes to the same bytes; attribute records decode or fail
//! cleanly. Run with `cargo +nightly fuzz run gbz_payload`.
#![no_main]

use dccsim::protocol::gbcs::gbz::{Gbz, read_attributes_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for alert in [false, true] {
        if let Ok(g) = Gbz::decode(data, alert) {
            assert_eq!(g.encode(), data);
        }
    }
    let _ = read_attributes_response(data);
});
