//! Signed DUIS documents are outside input: verification of any text ends in a verdict, never a
//! panic; preparing any text for signing likewise. `cargo +nightly fuzz run xmldsig_verify`.
#![no_main]

use dccsim::headend::xmldsig::{prepare_for_signing, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = verify(text, |_| Some(vec![4u8; 65]));
        let _ = prepare_for_signing(text);
        let _ = dccsim::headend::xmldsig::canonicalize(text);
    }
});
