//! UTRNs are typed by people and sent by suppliers: any text gives a token or an error saying
//! what is wrong, never a panic; a token read back writes the same digits. Run with
//! `cargo +nightly fuzz run utrn`.
#![no_main]

use dccsim::protocol::gbcs::Utrn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(utrn) = Utrn::parse(text) {
        assert_eq!(utrn.digits(), text);
    }
});
