//! GBCS frames: decode an ECS22b (4.8.1) response and check its MAC, per message, with the ECDH
//! secret of the device–user pair cached as a head-end would cache it. Payload decryption is not
//! implemented yet, so this is the framing and MAC part of the figure only.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dccsim::model::Eui64;
use dccsim::protocol::gbcs::{GbcsMessage, KeyStore, Verdict, parse_hex, verify_mac};

fn gbcs(c: &mut Criterion) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference/gbcs-rtds");
    let keys = KeyStore::load(std::path::Path::new(&format!("{root}/keystore"))).expect("keystore");
    let text = std::fs::read_to_string(format!(
        "{root}/RTDS-4.5.0/4.8.1_ECS22b/ECS22b_4.8.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX"
    ))
    .expect("vector");
    let bytes = parse_hex(&text).expect("hex");
    let acb: Eui64 = "90-B3-D5-1F-30-00-00-02".parse().unwrap();
    // Warm the ECDH cache.
    assert_eq!(
        verify_mac(&keys, &GbcsMessage::decode(&bytes).unwrap(), acb),
        Verdict::Valid
    );

    let mut group = c.benchmark_group("ecs22b_response");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode", |b| {
        b.iter(|| GbcsMessage::decode(&bytes).unwrap())
    });
    group.bench_function("decode_and_verify_mac", |b| {
        b.iter(|| {
            let m = GbcsMessage::decode(&bytes).unwrap();
            assert_eq!(verify_mac(&keys, &m, acb), Verdict::Valid);
        })
    });
    group.finish();
}

criterion_group!(benches, gbcs);
criterion_main!(benches);
