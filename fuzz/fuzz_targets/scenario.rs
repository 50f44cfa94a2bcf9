//! Scenario files are outside input: any bytes give a scenario or an error naming the place,
//! never a panic. Run with `cargo +nightly fuzz run scenario` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(e) = dccsim::sim::scenario::Scenario::parse("fuzz.toml", text)
    {
        assert!(e.to_string().starts_with("fuzz.toml:"));
    }
});
