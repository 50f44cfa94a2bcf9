//! DUIS requests are outside input: any text parses to a request or gives an error naming the
//! line; never a panic. `cargo +nightly fuzz run duis_request`.
#![no_main]

use dccsim::headend::Request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(request) = Request::parse(text) {
            let _ = request.esme_command();
        }
    }
});
