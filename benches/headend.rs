//! The head-end's work on one signed 4.8.1 read, stage by stage, in process (no sockets): what
//! `dccsim serve` spends per request besides TLS, HTTP and SQLite.
//!
//! - `check`: parse the DUIS request and verify its XML signature (outside the head-end's lock);
//! - `decide`: counter, access control, the GBCS command and its MAC, the virtual meter's answer
//!   (MAC check, 49 periods, sealed for the supplier, MACed), the I0 built and queued — the part
//!   that runs under the lock;
//! - `sign_response`: the DSP's XML signature on a response (each read's I0; its I99 too with
//!   `dccsim serve --sign-acknowledgements`).
//!
//! The P-256 ECDSA every read needs — the user's signature verified, the DSP's made —
//! with ring (what the head-end uses) beside pure-Rust p256, on a SHA-256 digest.
//!
//! And the DCC's own answer to 8.2 Read Inventory (the premises' devices, from the registry),
//! by device and by MPxN, in registries of the default fleet's size and ten times it; and the
//! virtual devices an imported extract of the default fleet's size gets
//! (`adopt_registry_devices`, which a registry reload runs under the head-end's lock); and an
//! 11.1 Update Firmware of a 1 MB image to 1,000 meters, which also runs under the lock (the
//! image decoded, hashed once, its signature checked once, each meter's state journalled).

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dccsim::gateway::defaults::{self, ESME_KIND, premises_device};
use dccsim::headend::xmldsig::XmlSigners;
use dccsim::headend::{Checked, Endpoint, SignatureCheck, SyncReply};

const READS: usize = 4000;

fn headend(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    let signers = Arc::new(XmlSigners::from_zaz1(dccsim::gateway::run::ZAZ1_KEYSTORE).unwrap());
    let verifier = signers.clone();
    let check: SignatureCheck =
        Arc::new(move |xml| verifier.verify(xml).map_err(|e| e.to_string()));
    let devices: Vec<_> = (0..1000u32)
        .map(|i| premises_device(i * 2, ESME_KIND))
        .collect();
    // A head-end whose ECDH secrets with the devices read are cached (as `dccsim serve` warms
    // them at start), and which has answered one request (the first pays for lazily built
    // state); a new one for each batch, since a user's counters only rise.
    let fresh = |first: &Checked| {
        let mut head_end =
            defaults::head_end(2000, 1, now, defaults::zero_wan(), check.clone()).unwrap();
        let pairs = devices
            .iter()
            .flat_map(|&d| [(d, defaults::ACB), (d, defaults::SUPPLIER)]);
        head_end.keys().warm(pairs);
        head_end.handle_checked(defaults::SUPPLIER, Endpoint::SendCommand, first, now);
        head_end
    };
    let mix =
        dccsim::load::mix::Mix::parse("4.8.1", "[[request]]\nservice = \"4.8.1\"\nweight = 1")
            .unwrap();
    let yesterday = now.date_naive().pred_opt().unwrap();
    let users = [(defaults::SUPPLIER, devices.clone())];
    let bodies = dccsim::load::cli::signed_duis_bodies(&mix, &users, 1, READS, yesterday).unwrap();
    let xml = |i: usize| std::str::from_utf8(&bodies[i % READS].1).unwrap();
    let checked: Vec<Checked> = (0..READS)
        .map(|i| Checked::check(&check, xml(i)).unwrap())
        .collect();

    let mut group = c.benchmark_group("headend_481");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("check", |b| {
        b.iter(|| {
            i += 1;
            Checked::check(&check, xml(i)).unwrap()
        })
    });
    let mut sample = String::new();
    group.bench_function("decide", |b| {
        b.iter_custom(|iters| {
            let mut spent = std::time::Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let mut head_end = fresh(&checked[0]);
                let batch = (iters - done).min(READS as u64 - 1) as usize;
                let start = std::time::Instant::now();
                for c in &checked[1..=batch] {
                    let reply =
                        head_end.handle_checked(defaults::SUPPLIER, Endpoint::SendCommand, c, now);
                    assert!(
                        matches!(&reply, SyncReply::Response { code, .. } if code.to_string() == "I99"),
                        "{reply:?}"
                    );
                }
                spent += start.elapsed();
                done += batch as u64;
                let delivered = head_end.poll_deliveries(now);
                if let Some(d) = delivered.last() {
                    sample = d.xml.clone();
                }
                head_end.take_journal();
            }
            spent
        })
    });
    // The general path (parse, canonicalize, digest, sign) beside the one `dccsim serve` takes
    // for the responses it writes already canonical (digest the bytes, sign).
    group.bench_function("sign_response", |b| {
        b.iter(|| signers.sign(&sample, defaults::ACB, true).unwrap())
    });
    group.bench_function("sign_response_canonical", |b| {
        b.iter(|| {
            signers
                .sign_canonical(&sample, defaults::ACB, true)
                .unwrap()
        })
    });
    group.finish();
}

fn inventory(c: &mut Criterion) {
    use dccsim::headend::inventory::read_inventory;
    use dccsim::headend::{Element, Request};
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    let template = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/reference/duis/rtds-templates/8.2_READ_INVENTORY_REQUEST_DUIS.XML"),
    )
    .unwrap();
    let body = |by: &str| -> Element {
        let xml = template.replace("<sr:DeviceID>00-DB-12-34-56-78-90-A2</sr:DeviceID>", by);
        Request::parse(&xml).unwrap().body
    };
    let firmware = |_| Some("01000000".to_string());
    let mut group = c.benchmark_group("read_inventory");
    for premises in [10_000, 100_000] {
        let (registry, _, _) = defaults::full_fleet(premises, 1, now);
        let meter = registry
            .device(premises_device(premises / 2, ESME_KIND))
            .unwrap();
        let by_device = body(&format!("<sr:DeviceID>{}</sr:DeviceID>", meter.device));
        let by_mpxn = body(&format!(
            "<sr:MPxN>{}</sr:MPxN>",
            meter.meter_point.as_ref().unwrap()
        ));
        group.bench_function(format!("by_device/{premises}"), |b| {
            b.iter(|| read_inventory(&registry, &by_device, &firmware).unwrap())
        });
        group.bench_function(format!("by_mpxn/{premises}"), |b| {
            b.iter(|| read_inventory(&registry, &by_mpxn, &firmware).unwrap())
        });
    }
    group.finish();
}

fn ecdsa(c: &mut Criterion) {
    use ring::rand::SystemRandom;
    use ring::signature::{
        ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
        UnparsedPublicKey,
    };
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let message = b"<ds:SignedInfo>a SignedInfo's canonical bytes stand in here</ds:SignedInfo>";
    let signature = pair.sign(&rng, message).unwrap();
    let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref());
    public.verify(message, signature.as_ref()).unwrap();

    use p256::ecdsa::signature::{Signer, Verifier};
    // A fixed scalar: the cost does not depend on which key.
    let signing = p256::ecdsa::SigningKey::from(p256::SecretKey::from_slice(&[7; 32]).unwrap());
    let verifying = p256::ecdsa::VerifyingKey::from(&signing);
    let p256_signature: p256::ecdsa::Signature = signing.sign(message);
    verifying.verify(message, &p256_signature).unwrap();

    let mut group = c.benchmark_group("ecdsa_p256");
    group.throughput(Throughput::Elements(1));
    group.bench_function("ring_verify", |b| {
        b.iter(|| public.verify(message, signature.as_ref()).unwrap())
    });
    group.bench_function("ring_sign", |b| {
        b.iter(|| pair.sign(&rng, message).unwrap())
    });
    group.bench_function("p256_verify", |b| {
        b.iter(|| verifying.verify(message, &p256_signature).unwrap())
    });
    group.bench_function("p256_sign", |b| {
        b.iter(|| -> p256::ecdsa::Signature { signing.sign(message) })
    });
    group.finish();
}

/// Virtual devices for an imported registry whose devices the generated fleet does not have:
/// the default fleet's size (10,000 premises, 30,004 devices) under other EUI-64s.
fn adopt(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    let (fleet, _, _) = defaults::full_fleet(10_000, 9, now);
    let mut foreign = dccsim::headend::Registry::default();
    for d in fleet.devices() {
        let mut d = d.clone();
        d.device.0[0] = 0x11;
        d.comms_hub.0[0] = 0x11;
        foreign.insert(d);
    }
    let check: SignatureCheck = Arc::new(|_: &str| Err("unchecked".to_string()));
    let mut group = c.benchmark_group("adopt_registry_devices");
    group.sample_size(10);
    group.bench_function("30004_devices", |b| {
        b.iter_batched(
            || {
                let mut he = defaults::head_end(0, 1, now, defaults::wan(), check.clone()).unwrap();
                he.set_registry(foreign.clone());
                he
            },
            |mut he| defaults::adopt_registry_devices(&mut he, 1, now),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn update_firmware(c: &mut Criterion) {
    use base64::Engine;
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    let check: SignatureCheck = Arc::new(|xml: &str| {
        dccsim::headend::Request::parse(xml)
            .map(|r| r.id.originator)
            .map_err(|e| e.to_string())
    });
    let keys = defaults::keys(1).unwrap();
    let body: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let image =
        dccsim::protocol::gbcs::firmware::build_image(0x121D, [1, 0, 0, 2], "bench", &body, |m| {
            keys.sign(defaults::SUPPLIER, m).unwrap()
        });
    let devices: Vec<String> = (0..1000u32)
        .map(|i| premises_device(i * 2, ESME_KIND).to_string())
        .collect();
    let xml = |devices: &[String]| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Request xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\" schemaVersion=\"5.4\"><sr:Header><sr:RequestID>{}:{}:1000</sr:RequestID><sr:CommandVariant>8</sr:CommandVariant><sr:ServiceReference>11.1</sr:ServiceReference><sr:ServiceReferenceVariant>11.1</sr:ServiceReferenceVariant></sr:Header><sr:Body><sr:UpdateFirmware><sr:FirmwareImage>{}</sr:FirmwareImage><sr:FirmwareVersion>01000002</sr:FirmwareVersion><sr:DeviceIDList>{}</sr:DeviceIDList></sr:UpdateFirmware></sr:Body></sr:Request>",
            defaults::SUPPLIER,
            defaults::ACB,
            base64::engine::general_purpose::STANDARD.encode(&image),
            devices.join(",")
        )
    };
    let mut group = c.benchmark_group("update_firmware");
    group.sample_size(10);
    // The cost of the image (decode, hash, signature) alone, then with a thousand meters.
    for (name, listed) in [
        ("1MB_to_1_meter", &devices[..1]),
        ("1MB_to_1000_meters", &devices[..]),
    ] {
        let checked = Checked::check(&check, &xml(listed)).unwrap();
        group.bench_function(name, |b| {
            b.iter_batched(
                || defaults::head_end(2000, 1, now, defaults::zero_wan(), check.clone()).unwrap(),
                |mut head_end| {
                    let reply = head_end.handle_checked(
                        defaults::SUPPLIER,
                        Endpoint::NonDevice,
                        &checked,
                        now,
                    );
                    assert!(matches!(
                        reply,
                        SyncReply::Response {
                            code: dccsim::headend::ResponseCode::I99,
                            ..
                        }
                    ));
                    head_end
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, headend, inventory, ecdsa, adopt, update_firmware);
criterion_main!(benches);
