//! GBCS frames are outside input: any bytes decode to a message that re-encodes to the same
//! bytes, or give an error; never a panic. So does what a header's other information says of a
//! relayed request (the user, its counter, its certificate and that certificate's key and
//! subject). `cargo +nightly fuzz run gbcs_frame`.
#![no_main]

use dccsim::protocol::gbcs::{GbcsMessage, Relay, certificate_names, public_key_of_der};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = GbcsMessage::decode(data) {
        assert_eq!(m.to_bytes().expect("a decoded message encodes"), data);
        let code = m.message_code().unwrap_or(0);
        if let Some(relay) = Relay::of_command(&m.signing.other_information) {
            assert_eq!(relay.command_information(code), m.signing.other_information);
            let _ = relay.public_key();
            let _ = certificate_names(&relay.certificate, relay.user);
        }
    }
    let _ = public_key_of_der(data);
});
