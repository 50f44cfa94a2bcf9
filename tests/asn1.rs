//! ASN.1 (DER) payloads over the RTDS: every message whose payload is DER decodes and
//! re-encodes to its bytes; the comms hub's firmware read (CS08) and the ASN.1 alerts (the
//! future-dated failure 8F67, the firmware alert 8F8A) read as their values; bad bytes are an
//! error that says where, never a panic.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use dccsim::protocol::gbcs::asn1::{Asn1Error, AsnPayload, Der, DerValue};
use dccsim::protocol::gbcs::{Cra, GbcsMessage, parse_hex};

fn rtds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/gbcs-rtds/RTDS-4.5.0")
}

fn message(path: &str) -> GbcsMessage {
    let text = std::fs::read_to_string(rtds().join(path)).unwrap();
    GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap()
}

/// Every RTDS message whose payload starts as DER does (a SEQUENCE or NULL).
fn der_vectors() -> Vec<(String, GbcsMessage)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(rtds()).unwrap() {
        let dir = dir.unwrap().path();
        for f in std::fs::read_dir(&dir).unwrap() {
            let path = f.unwrap().path();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(bytes) = parse_hex(&text) else {
                continue;
            };
            let Ok(m) = GbcsMessage::decode(&bytes) else {
                continue;
            };
            if matches!(m.signing.content.first(), Some(0x30 | 0x05)) {
                out.push((path.display().to_string(), m));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_rtds_der_payload_decodes_and_re_encodes_byte_exactly() {
    let vectors = der_vectors();
    assert!(vectors.len() >= 60, "{}", vectors.len());
    let mut alerts = 0;
    for (path, m) in &vectors {
        let content = &m.signing.content;
        let der = Der::decode(content).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(&der.encode(), content, "{path}");
        let alert = m.signing.cra == Cra::Alert;
        if alert {
            // Every ASN.1 alert is its code, a time and its details.
            match AsnPayload::decode(content, true).unwrap() {
                Some(AsnPayload::Alert { code, .. }) => {
                    assert!(code >= 0x8000, "{path}: {code:#06X}");
                    alerts += 1;
                }
                other => panic!("{path}: {other:?}"),
            }
        }
    }
    assert!(alerts >= 5, "{alerts}");
}

#[test]
fn the_comms_hubs_firmware_read_and_its_answers() {
    let m = message("11.2_CS08/CS08_11.2_SUCCESS_COMMAND_GBCS.HEX");
    let read = AsnPayload::decode(&m.signing.content, false).unwrap();
    assert_eq!(read, Some(AsnPayload::ReadFirmware));
    assert_eq!(AsnPayload::ReadFirmware.encode(), m.signing.content);
    for (file, version, status) in [
        ("CS08_11.2_SUCCESS_RESPONSE_GBCS.HEX", "0123ABCD", 0),
        ("CS08_11.2_ERROR_RESPONSE_GBCS.HEX", "00000000", 1),
    ] {
        let m = message(&format!("11.2_CS08/{file}"));
        let p = AsnPayload::decode(&m.signing.content, false)
            .unwrap()
            .unwrap();
        assert_eq!(
            p,
            AsnPayload::Firmware {
                version: version.into(),
                status
            },
            "{file}"
        );
        assert_eq!(p.encode(), m.signing.content, "{file}");
    }
}

/// 6.11 to a gas meter (GCS28): the command is the validity interval, the answer the meter's
/// time and a status; both decode and re-encode to their bytes.
#[test]
fn a_gas_clock_synchronisation_and_its_answer() {
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let m = message("6.11_GCS28/GCS28_6.11_SUCCESS_COMMAND_GBCS.HEX");
    let sync = AsnPayload::ClockSync {
        from: at("2014-12-31T23:30:00Z"),
        to: at("2015-01-01T00:30:00Z"),
    };
    assert_eq!(
        AsnPayload::decode(&m.signing.content, false).unwrap(),
        Some(sync.clone())
    );
    assert_eq!(sync.encode(), m.signing.content);
    let m = message("6.11_GCS28/GCS28_6.11_SUCCESS_RESPONSE_GBCS.HEX");
    let clock = AsnPayload::Clock {
        time: at("2014-12-31T23:30:00Z"),
        status: 0,
    };
    assert_eq!(
        AsnPayload::decode(&m.signing.content, false).unwrap(),
        Some(clock.clone())
    );
    assert_eq!(clock.encode(), m.signing.content);
    // Outside the interval (01:00–02:00, the meter at midnight): status 2.
    let m = message("6.11_GCS28/GCS28_6.11_ERROR_RESPONSE_GBCS.HEX");
    let refused = AsnPayload::Clock {
        time: at("2015-01-01T00:00:00Z"),
        status: 2,
    };
    assert_eq!(
        AsnPayload::decode(&m.signing.content, false).unwrap(),
        Some(refused.clone())
    );
    assert_eq!(refused.encode(), m.signing.content);
}

#[test]
fn future_dated_failures_name_the_command_and_when() {
    for path in [
        "11.3_CS06/CS06_11.3_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX",
        "6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX",
        "6.15.1_CS02gLoadControllerBySupplier/CS02gLoadControllerBySupplier_6.15.1_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX",
    ] {
        let m = message(path);
        let Some(AsnPayload::Alert {
            code, at, counter, ..
        }) = AsnPayload::decode(&m.signing.content, true).unwrap()
        else {
            panic!("{path}")
        };
        assert_eq!(code, 0x8F67);
        assert_eq!(counter, Some(1004), "{path}");
        assert!(
            at >= Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
            "{path}"
        );
    }
    // The short ones re-encode from their values alone.
    for path in [
        "11.3_CS06/CS06_11.3_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX",
        "NA_CCS08/CCS08_NA_NA_ALERT_GBCS.HEX",
    ] {
        let m = message(path);
        let p = AsnPayload::decode(&m.signing.content, true)
            .unwrap()
            .unwrap();
        assert_eq!(p.encode(), m.signing.content, "{path}");
    }
}

#[test]
fn bad_der_says_where() {
    let m = message("11.3_CS06/CS06_11.3_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX");
    let content = m.signing.content;
    for cut in 0..content.len() {
        assert!(Der::decode(&content[..cut]).is_err(), "cut at {cut}");
    }
    assert_eq!(
        Der::decode(&content[..10]),
        Err(Asn1Error::Short {
            offset: 2,
            what: "contents",
            need: 37,
            left: 8
        })
    );
    let mut longer = content.clone();
    longer.push(0);
    assert_eq!(Der::decode(&longer), Err(Asn1Error::Trailing(1)));
    assert!(matches!(
        Der::decode(&[0x1F, 0x01, 0x00]),
        Err(Asn1Error::LongTag { .. })
    ));
    assert!(matches!(
        Der::decode(&[0x30, 0x85, 1, 1, 1, 1, 1]),
        Err(Asn1Error::Length { .. })
    ));
    // Deep nesting is refused, not followed.
    let mut nested = vec![0x05, 0x00];
    for _ in 0..40 {
        let mut outer = vec![0x30, nested.len() as u8];
        outer.extend_from_slice(&nested);
        nested = outer;
        if nested.len() > 120 {
            break;
        }
    }
    assert_eq!(Der::decode(&nested), Err(Asn1Error::Deep));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn der() -> impl Strategy<Value = Der> {
        let leaf = (
            prop_oneof![Just(0x02u8), Just(0x04), Just(0x05), Just(0x18), Just(0x80)],
            0u8..3,
            proptest::collection::vec(any::<u8>(), 0..200),
        )
            .prop_map(|(tag, length_octets, bytes)| Der {
                tag,
                length_octets,
                value: DerValue::Bytes(bytes),
            });
        leaf.prop_recursive(4, 40, 6, |inner| {
            (0u8..3, proptest::collection::vec(inner, 0..6)).prop_map(|(length_octets, items)| {
                Der {
                    tag: 0x30,
                    length_octets,
                    value: DerValue::Items(items),
                }
            })
        })
    }

    proptest! {
        #[test]
        fn encoded_der_decodes_to_what_writes_the_same_bytes(x in der()) {
            let bytes = x.encode();
            let y = Der::decode(&bytes).unwrap();
            prop_assert_eq!(y.encode(), bytes);
        }

        /// A clock synchronisation and its answer round-trip, to the second.
        #[test]
        fn clock_payloads_round_trip(
            from in 0i64..253_402_300_799,
            to in 0i64..253_402_300_799,
            status in 0u64..1 << 40,
        ) {
            use chrono::TimeZone;
            let at = |s| chrono::Utc.timestamp_opt(s, 0).unwrap();
            for p in [
                AsnPayload::ClockSync { from: at(from), to: at(to) },
                AsnPayload::Clock { time: at(from), status },
            ] {
                prop_assert_eq!(AsnPayload::decode(&p.encode(), false).unwrap(), Some(p));
            }
        }

        #[test]
        fn any_bytes_decode_or_fail_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(d) = Der::decode(&bytes) {
                prop_assert_eq!(d.encode(), bytes.clone());
            }
            let _ = AsnPayload::decode(&bytes, true);
            let _ = AsnPayload::decode(&bytes, false);
        }
    }
}
