//! DLMS APDUs are outside input: any bytes decode to an APDU that re-encodes to the same bytes,
//! or give an error; never a panic. `cargo +nightly fuzz run dlms_apdu`.
#![no_main]

use dccsim::protocol::dlms::Apdu;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(apdu) = Apdu::decode(data) {
        assert_eq!(apdu.to_bytes(), data);
    }
});
