//! GBZ payloads are outside input: any bytes give a payload or an error saying where, never a
//! panic; a decoded payload re-encodes to the same bytes; each component's ZCL payload reads
//! as one of the commands or answers interpreted (the tariff, prepayment and debt commands
//! among them) or not, never a panic, and one read writes back its bytes; attribute records
//! decode or fail cleanly. Run with `cargo +nightly fuzz run gbz_payload`.
#![no_main]

use dccsim::protocol::gbcs::gbz::{
    GasPayload, Gbz, encode_gas_payload, gas_payload, read_attributes_response,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for alert in [false, true] {
        if let Ok(g) = Gbz::decode(data, alert) {
            assert_eq!(g.encode(), data);
            if let Gbz::Components { components } = g {
                for c in &components {
                    // A register read's value is derived, not written: compared by bytes it is.
                    if let Ok(Some(p)) = gas_payload(c, &c.payload)
                        && !matches!(p, GasPayload::Registers { .. })
                    {
                        assert_eq!(encode_gas_payload(&p), c.payload, "{p:?}");
                    }
                }
            }
        }
    }
    let _ = read_attributes_response(data);
});
