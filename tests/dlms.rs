//! DLMS/COSEM payloads of the RTDS 4.5.0 vectors: every one decodes and re-encodes to the same
//! bytes, and (where Python and gurux-dlms are installed, as `scripts/test` does) an independent
//! implementation reads the same values from them.

use std::path::{Path, PathBuf};

mod common;

use dccsim::protocol::dlms::{Apdu, Data};
use dccsim::protocol::gbcs::{GbcsMessage, parse_hex};

fn rtds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/gbcs-rtds/RTDS-4.5.0")
}

/// (file name, DLMS payload) for every RTDS message whose content is a DLMS APDU.
fn dlms_payloads() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(rtds())
        .expect("../shared/reference/gbcs-rtds/RTDS-4.5.0 is beside the repository")
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let message = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
            let content = message.signing.content;
            if matches!(content.first(), Some(0xD9 | 0xDA | 0x0F)) {
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                out.push((name, content));
            }
        }
    }
    out
}

#[test]
fn every_rtds_dlms_payload_decodes_and_round_trips() {
    let payloads = dlms_payloads();
    assert!(payloads.len() > 400, "found only {}", payloads.len());
    let mut failures = Vec::new();
    for (name, bytes) in &payloads {
        match Apdu::decode(bytes) {
            Ok(apdu) if apdu.to_bytes() == *bytes => {}
            Ok(_) => failures.push(format!("{name}: re-encodes differently")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn arbitrary_changes_never_panic() {
    // Every single-byte truncation of every payload fails cleanly.
    for (_, bytes) in dlms_payloads().iter().take(200) {
        for cut in 0..bytes.len() {
            let _ = Apdu::decode(&bytes[..cut]);
        }
        let _ = Data::decode(bytes);
    }
}

/// dccsim's reading of a value in the shape the peer script gives gurux's.
fn canon(d: &Data) -> serde_json::Value {
    use serde_json::{Value, json};
    let hex = |b: &[u8]| Value::String(dccsim::protocol::gbcs::hex(b));
    match d {
        Data::Null => Value::Null,
        Data::Boolean(b) => json!(*b != 0),
        Data::BitString { bits, bytes } => Value::String(
            (0..*bits)
                .map(|i| {
                    if bytes[i / 8] & (0x80 >> (i % 8)) != 0 {
                        '1'
                    } else {
                        '0'
                    }
                })
                .collect(),
        ),
        Data::OctetString(b) | Data::VisibleString(b) | Data::Utf8String(b) => hex(b),
        Data::DateTime(b) => hex(b),
        Data::Date(b) => hex(b),
        Data::Time(b) => hex(b),
        Data::Float32(bits) => json!(f32::from_bits(*bits)),
        Data::Float64(bits) => json!(f64::from_bits(*bits)),
        Data::Long64Unsigned(v) => json!(v),
        other => match other.items() {
            Some(items) => Value::Array(items.iter().map(canon).collect()),
            None => json!(other.as_i64()),
        },
    }
}

fn descriptors(apdu: &Apdu) -> Vec<serde_json::Value> {
    use dccsim::protocol::dlms::RequestSpec;
    let Apdu::AccessRequest(a) = apdu else {
        return Vec::new();
    };
    a.specs
        .iter()
        .map(|s| {
            let (class, instance, id) = match s {
                RequestSpec::Get(a)
                | RequestSpec::Set(a)
                | RequestSpec::GetWithSelection(a, _)
                | RequestSpec::SetWithSelection(a, _) => (a.class_id, a.instance, a.attribute),
                RequestSpec::Action(m) => (m.class_id, m.instance, m.method),
            };
            serde_json::json!([class, dccsim::protocol::gbcs::hex(&instance.0), id])
        })
        .collect()
}

/// gurux-dlms (PyPI), an independent DLMS/COSEM implementation, reads every RTDS DLMS payload:
/// the object descriptors from its PDU translator and each data value from its A-XDR reader must
/// match dccsim's. `scripts/test` installs gurux-dlms and points `DCCSIM_PYTHON` at it.
#[test]
fn gurux_dlms_reads_the_same_values() {
    let payloads = dlms_payloads();
    let mut input = String::new();
    for (name, bytes) in &payloads {
        let apdu = Apdu::decode(bytes).unwrap();
        let values: Vec<&Data> = match &apdu {
            Apdu::AccessRequest(a) => a.data.iter().collect(),
            Apdu::AccessResponse(a) => a.data.iter().collect(),
            Apdu::DataNotification(n) => vec![&n.body],
        };
        let values: Vec<_> = values
            .into_iter()
            .map(|v| serde_json::json!({"hex": dccsim::protocol::gbcs::hex(&v.to_bytes()), "canon": canon(v)}))
            .collect();
        let case = serde_json::json!({
            "name": name,
            "apdu": dccsim::protocol::gbcs::hex(bytes),
            "descriptors": descriptors(&apdu),
            "values": values,
        });
        input.push_str(&case.to_string());
        input.push('\n');
    }
    let (ok, stdout) = common::run_peer("gurux_dlms_check.py", input);
    eprintln!("{stdout}");
    assert!(ok, "gurux-dlms disagrees:\n{stdout}");
    assert!(
        stdout.contains(&format!("checked {} APDUs", payloads.len())),
        "{stdout}"
    );
}

mod properties {
    use dccsim::protocol::dlms::{
        AccessRequest, AccessResponse, Apdu, AttributeDescriptor, Data, DataNotification,
        MethodDescriptor, Obis, RequestSpec, ResponseSpec, SelectiveAccess,
    };
    use proptest::prelude::*;

    fn leaf() -> impl Strategy<Value = Data> {
        prop_oneof![
            Just(Data::Null),
            any::<u8>().prop_map(Data::Boolean),
            (0usize..40)
                .prop_flat_map(|bits| (
                    Just(bits),
                    proptest::collection::vec(any::<u8>(), bits.div_ceil(8))
                ))
                .prop_map(|(bits, bytes)| Data::BitString { bits, bytes }),
            any::<i32>().prop_map(Data::DoubleLong),
            any::<u32>().prop_map(Data::DoubleLongUnsigned),
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(Data::OctetString),
            proptest::collection::vec(any::<u8>(), 0..20).prop_map(Data::VisibleString),
            any::<i8>().prop_map(Data::Integer),
            any::<i16>().prop_map(Data::Long),
            any::<u8>().prop_map(Data::Unsigned),
            any::<u16>().prop_map(Data::LongUnsigned),
            any::<i64>().prop_map(Data::Long64),
            any::<u64>().prop_map(Data::Long64Unsigned),
            any::<u8>().prop_map(Data::Enum),
            any::<u32>().prop_map(Data::Float32),
            any::<[u8; 12]>().prop_map(Data::DateTime),
        ]
    }

    fn data() -> impl Strategy<Value = Data> {
        leaf().prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Data::Array),
                proptest::collection::vec(inner, 0..8).prop_map(Data::Structure),
            ]
        })
    }

    fn attribute() -> impl Strategy<Value = AttributeDescriptor> {
        (any::<u16>(), any::<[u8; 6]>(), any::<i8>()).prop_map(|(class_id, o, attribute)| {
            AttributeDescriptor {
                class_id,
                instance: Obis(o),
                attribute,
            }
        })
    }

    fn apdu() -> impl Strategy<Value = Apdu> {
        let spec = prop_oneof![
            attribute().prop_map(RequestSpec::Get),
            attribute().prop_map(RequestSpec::Set),
            attribute().prop_map(|a| RequestSpec::Action(MethodDescriptor {
                class_id: a.class_id,
                instance: a.instance,
                method: a.attribute
            })),
            (attribute(), any::<u8>(), data()).prop_map(|(a, selector, parameters)| {
                RequestSpec::GetWithSelection(
                    a,
                    SelectiveAccess {
                        selector,
                        parameters,
                    },
                )
            }),
        ];
        let result = prop_oneof![
            any::<u8>().prop_map(ResponseSpec::Get),
            any::<u8>().prop_map(ResponseSpec::Set),
            any::<u8>().prop_map(ResponseSpec::Action),
        ];
        prop_oneof![
            (
                any::<u32>(),
                proptest::collection::vec(spec, 0..4),
                proptest::collection::vec(data(), 0..4)
            )
                .prop_map(|(invoke_id, specs, data)| Apdu::AccessRequest(
                    AccessRequest {
                        invoke_id,
                        date_time: Vec::new(),
                        specs,
                        data
                    }
                )),
            (
                any::<u32>(),
                proptest::collection::vec(data(), 0..4),
                proptest::collection::vec(result, 0..4)
            )
                .prop_map(|(invoke_id, data, results)| Apdu::AccessResponse(
                    AccessResponse {
                        invoke_id,
                        date_time: Vec::new(),
                        data,
                        results
                    }
                )),
            (any::<u32>(), any::<[u8; 12]>(), data()).prop_map(|(invoke_id, dt, body)| {
                Apdu::DataNotification(DataNotification {
                    invoke_id,
                    date_time: dt.to_vec(),
                    body,
                })
            }),
        ]
    }

    proptest! {
        #[test]
        fn data_decode_inverts_encode(d in data()) {
            prop_assert_eq!(Data::decode(&d.to_bytes()).unwrap(), d);
        }

        #[test]
        fn apdu_decode_inverts_encode(a in apdu()) {
            prop_assert_eq!(Apdu::decode(&a.to_bytes()).unwrap(), a);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Apdu::decode(&bytes);
            let _ = Data::decode(&bytes);
        }
    }
}
