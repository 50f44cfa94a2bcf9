//! GBCS frames are outside input: any bytes decode to a message that re-encodes to the same
//! bytes, or give an error; never a panic. `cargo +nightly fuzz run gbcs_frame`.
#![no_main]

use dccsim::protocol::gbcs::GbcsMessage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = GbcsMessage::decode(data) {
        assert_eq!(m.to_bytes().expect("a decoded message encodes"), data);
    }
});
