//! Vendor frames are outside input: any bytes decode to a message or an error under every
//! shipped protocol, never a panic, and a decoded message re-encodes to a frame that decodes to
//! it again. Run with `cargo +nightly fuzz run vendor_frame`.
#![no_main]

use dccsim::protocol::vendor::Protocol;
use libfuzzer_sys::fuzz_target;

fn protocols() -> &'static [Protocol] {
    static ALL: std::sync::OnceLock<Vec<Protocol>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        [
            (
                "acme-meterlink.toml",
                include_str!("../../protocols/acme-meterlink.toml"),
            ),
            (
                "zenith-hdlc.toml",
                include_str!("../../protocols/zenith-hdlc.toml"),
            ),
        ]
        .iter()
        .map(|(name, text)| Protocol::load(name, text).expect("shipped protocol"))
        .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    for p in protocols() {
        if let Ok(m) = p.decode(data) {
            let again = p.encode(&m).expect("a decoded message encodes");
            assert_eq!(p.decode(&again).expect("and decodes again"), m);
        }
    }
    // Protocol files themselves are outside input too.
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(e) = Protocol::load("fuzz.toml", text)
    {
        assert!(e.to_string().starts_with("fuzz.toml:"));
    }
});
