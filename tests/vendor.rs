//! Vendor protocols as data: every shipped protocol file loads, its vectors (written out
//! independently of the codec) decode to what they mean and re-encode to the same bytes, any
//! flipped byte is refused, and bad protocol files are refused with file, line and reason.

use dccsim::protocol::vendor::{Direction, FrameError, Message, Protocol};
use proptest::prelude::*;

fn shipped() -> Vec<(String, Protocol)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/protocols");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.display().to_string();
            let p = Protocol::load(&name, &text).unwrap_or_else(|e| panic!("{e}"));
            out.push((name, p));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn at_least_two_vendors_that_differ_in_framing_and_checksum() {
    let all = shipped();
    assert!(all.len() >= 2);
    let (a, b) = (&all[0].1, &all[1].1);
    assert_ne!(a.fields, b.fields);
    let checksum = |p: &Protocol| {
        p.fields.iter().find_map(|f| match f {
            dccsim::protocol::vendor::Field::Checksum { algorithm, .. } => Some(*algorithm),
            _ => None,
        })
    };
    assert_ne!(checksum(a), checksum(b));
}

#[test]
fn every_vector_decodes_to_its_meaning_and_re_encodes_to_its_bytes() {
    let mut checked = 0;
    for (file, p) in shipped() {
        assert!(p.vectors.len() >= 3, "{file} ships too few vectors");
        for v in &p.vectors {
            let m = p
                .decode(&v.bytes)
                .unwrap_or_else(|e| panic!("{file}:{}: {e}", v.line));
            assert_eq!(m.address, v.message.address, "{file}:{}", v.line);
            assert_eq!(m.command, v.message.command);
            assert_eq!(m.direction, v.message.direction);
            assert_eq!(m.register, v.message.register);
            assert_eq!(m.error_code, v.message.error_code);
            match (m.value, v.message.value) {
                (Some(a), Some(b)) => {
                    assert!((a - b).abs() < 1e-9, "{file}:{}: {a} vs {b}", v.line)
                }
                (a, b) => assert_eq!(a, b),
            }
            assert_eq!(p.encode(&v.message).unwrap(), v.bytes, "{file}:{}", v.line);
            checked += 1;
        }
    }
    assert!(checked >= 8);
}

#[test]
fn a_flipped_byte_is_refused() {
    for (file, p) in shipped() {
        for v in &p.vectors {
            for i in 0..v.bytes.len() {
                let mut bad = v.bytes.clone();
                bad[i] ^= 0x01;
                assert!(
                    p.decode(&bad).is_err(),
                    "{file}:{}: byte {i} flipped still decodes",
                    v.line
                );
            }
        }
    }
    let (_, acme) = &shipped()[0];
    let mut bad = acme.vectors[1].bytes.clone();
    bad[12] ^= 0x10;
    assert!(matches!(
        acme.decode(&bad),
        Err(FrameError::Checksum { .. })
    ));
    assert!(matches!(
        acme.decode(&bad[..5]),
        Err(FrameError::TooShort(5, 12))
    ));
}

fn messages() -> impl Strategy<Value = (usize, Message)> {
    (
        0usize..2,
        any::<u64>(),
        0usize..3,
        0u8..4,
        any::<u32>(),
        any::<u8>(),
    )
        .prop_map(|(which, address, register, direction, raw, code)| {
            let all = shipped();
            let p = &all[which].1;
            let address_size = p
                .fields
                .iter()
                .find_map(|f| match f {
                    dccsim::protocol::vendor::Field::Address { size, .. } => Some(*size),
                    _ => None,
                })
                .unwrap();
            let digits = if which == 0 {
                10u64.pow(2 * address_size as u32)
            } else {
                1 << (8 * address_size)
            };
            let r = &p.registers[register % p.registers.len()];
            let max = if matches!(r.encoding, dccsim::protocol::vendor::Encoding::Uint) {
                (1u64 << (8 * r.size).min(32)) - 1
            } else {
                10u64.pow(2 * r.size as u32) - 1
            };
            let value = (u64::from(raw) % (max + 1)) as f64 * 10f64.powi(r.scale);
            let direction = match direction % 3 {
                0 => Direction::Request,
                1 => Direction::Response,
                _ => Direction::Error,
            };
            let m = Message {
                address: address % digits,
                command: "read_register".into(),
                direction,
                register: (direction != Direction::Error).then(|| r.name.clone()),
                value: (direction == Direction::Response).then_some(value),
                error_code: (direction == Direction::Error).then_some(code),
            };
            (which, m)
        })
}

proptest! {
    #[test]
    fn decode_of_encode_is_the_message((which, m) in messages()) {
        let all = shipped();
        let p = &all[which].1;
        let bytes = p.encode(&m).unwrap();
        let back = p.decode(&bytes).unwrap();
        prop_assert_eq!(back.address, m.address);
        prop_assert_eq!(&back.register, &m.register);
        prop_assert_eq!(back.error_code, m.error_code);
        match (back.value, m.value) {
            (Some(a), Some(b)) => prop_assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0)),
            (a, b) => prop_assert_eq!(a, b),
        }
        prop_assert_eq!(p.encode(&back).unwrap(), bytes);
    }

    #[test]
    fn no_bytes_make_the_decoder_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        for (_, p) in shipped() {
            let _ = p.decode(&bytes);
        }
    }
}

#[test]
fn bad_protocol_files_name_file_line_and_reason() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/protocols/zenith-hdlc.toml"
    ))
    .unwrap();
    let check = |bad: String, needle: &str| {
        let err = Protocol::load("bad.toml", &bad).expect_err("refused");
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("bad.toml:{}:", err.line)),
            "{shown}"
        );
        assert!(shown.contains(needle), "{shown}");
        err.line
    };
    // A checksum algorithm that does not exist: the line of the value.
    let line = check(
        text.replace("\"crc16-x25\"", "\"crc17\""),
        "unknown checksum algorithm \"crc17\"",
    );
    assert_eq!(
        line,
        text.lines().position(|l| l.contains("crc16-x25")).unwrap() + 1
    );
    // A typo in a field name.
    check(
        text.replace("register_id_size", "register_size"),
        "unknown field `register_size`",
    );
    // A checksum over a field the frame does not have.
    check(
        text.replace(
            "kind = \"length\"\nsize = 2\nfrom = \"payload\"\nto = \"payload\"\n",
            "kind = \"const\"\nbytes = [0]\n",
        )
        .replace("from = \"address\"", "from = \"length\""),
        "the frame has no length field",
    );
    // A key that belongs to another kind of field, on its own line.
    let line = check(
        text.replace(
            "algorithm = \"crc16-x25\"",
            "algorithm = \"crc16-x25\"\nencoding = \"bcd\"",
        ),
        "encoding does not apply to a checksum field",
    );
    assert_eq!(
        line,
        text.lines().position(|l| l.contains("crc16-x25")).unwrap() + 2
    );
    // Two registers with the same id.
    check(
        text.replace("id = 0x02", "id = 0x01"),
        "repeats a name or id",
    );
    // Escaping without flags at both ends.
    check(
        text.replacen("bytes = [0x7E]", "bytes = [0x7F]", 1),
        "open and close with a const field of the flag byte",
    );
    // A vector that is not hex.
    check(
        text.replace("7E 7D 5E 5E DC 00 01 01 01 00 01 9A 93 7E", "7E ZZ"),
        "hex: \"ZZ\" is not a hex byte",
    );
}

#[test]
fn a_virtual_meter_answers_in_its_vendors_protocol() {
    use chrono::{TimeZone, Utc};
    use dccsim::device::{Consumer, CustomerType, ERROR_UNKNOWN_REGISTER, VendorMeter, period_of};
    use dccsim::protocol::vendor::Frame;
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 15, 0).unwrap();
    let consumer = Consumer {
        kind: CustomerType::Domestic,
        annual_wh: 3_300_000,
        solar_peak_w: 3_000,
        seed: 11,
    };
    let end = period_of(now);
    let commissioned = end - 48 * 200;
    let import_kwh: f64 = (commissioned..end)
        .map(|p| f64::from(consumer.import_wh(p)))
        .sum::<f64>()
        / 1000.0;
    let export_kwh: f64 = (commissioned..end)
        .map(|p| f64::from(consumer.export_wh(p)))
        .sum::<f64>()
        / 1000.0;
    for (file, p) in shipped() {
        let address = p.vectors[0].message.address;
        let meter = VendorMeter {
            protocol: std::sync::Arc::new(p.clone()),
            address,
            consumer,
            commissioned,
        };
        let ask = |register: &str, to: u64| {
            let m = Message {
                address: to,
                command: "read_register".into(),
                direction: Direction::Request,
                register: Some(register.into()),
                value: None,
                error_code: None,
            };
            meter.handle(&p.encode(&m).unwrap(), now).unwrap()
        };
        let answer = p.decode(&ask("import_total", address).unwrap()).unwrap();
        assert_eq!(answer.direction, Direction::Response, "{file}");
        let step = 10f64.powi(p.register("import_total").unwrap().scale);
        let got = answer.value.unwrap();
        assert!(
            got <= import_kwh && import_kwh - got < step,
            "{file}: {got} vs {import_kwh}"
        );
        if p.register("export_total").is_some() {
            let got = p
                .decode(&ask("export_total", address).unwrap())
                .unwrap()
                .value
                .unwrap();
            assert!(
                export_kwh > 0.0 && (export_kwh - got).abs() < 0.001,
                "{file}: {got} vs {export_kwh}"
            );
        }
        // Another meter's frame: no answer.
        assert_eq!(ask("import_total", address ^ 1), None);
        // A register id the protocol does not define: the error message.
        let request = p.command("read_register").unwrap().request.code;
        let bytes = p
            .encode_frame(&Frame {
                address,
                command: request,
                payload: vec![0x7F; p.register_id_size],
            })
            .unwrap();
        let refusal = p
            .decode(&meter.handle(&bytes, now).unwrap().unwrap())
            .unwrap();
        assert_eq!(refusal.direction, Direction::Error);
        assert_eq!(refusal.error_code, Some(ERROR_UNKNOWN_REGISTER));
        // Garbage is an error, not an answer.
        assert!(meter.handle(&[0x00, 0x01], now).is_err());
    }
}
