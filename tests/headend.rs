//! The head-end pipeline end to end in memory (sans-IO): RTDS DUIS templates go in as a supplier
//! sends them; access control, replay refusal and the critical-command flow (Transform, sign,
//! Send) behave as DUIS says; the virtual meter's answer comes back as an I0 response carrying
//! GBCS that the supplier's key opens; responses validate against the DUIS 5.4 schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use dccsim::device::{Consumer, CustomerType, Esme, Prepayment};
use dccsim::headend::{
    Change, Endpoint, HeadEnd, InventoryChange, Registry, Request, ResponseCode, ServiceMatrix,
    SmiStatus, SyncReply, User, WanLink,
};
use dccsim::model::{CspRegion, Eui64, Role};
use dccsim::protocol::dlms::Data;
use dccsim::protocol::gbcs::payload::{Reading, credit_charge_configuration, decode_dlms};
use dccsim::protocol::gbcs::{
    GbcsMessage, KeyStore, Verdict, sign_message, verify_mac, verify_signature,
};
use dccsim::wan::Latency;

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

fn eui(s: &str) -> Eui64 {
    s.parse().unwrap()
}

const SUPPLIER: &str = "90-B3-D5-1F-30-01-00-00";
const NETWORK: &str = "90-B3-D5-1F-30-02-00-00";
const METER: &str = "00-DB-12-34-56-78-90-A0";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 1, 1, 10, 0, 0).unwrap()
}

/// The RTDS keystore, with the RTDS meter's published keys replaced by its virtual twin's.
fn keys() -> KeyStore {
    let mut keys = KeyStore::load(&reference().join("gbcs-rtds/keystore")).unwrap();
    keys.forget(eui(METER));
    keys.derive_fleet(&eui(METER).0, [3; 32]);
    keys
}

fn head_end() -> HeadEnd {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("dccsim-headend-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let extract = dir.join("extract.csv");
    std::fs::write(
        &extract,
        format!(
            "mpxn,device_id,device_type,comms_hub_id,smi_status,supplier_id,supplier_from,supplier_to,network_operator_id,gsp_group,csp_region,protocol
1400000000001,{METER},ESME,00-DB-12-34-56-78-90-A3,Commissioned,{SUPPLIER},2014-01-01,,{NETWORK},_E,central,GBCS
,00-DB-12-34-56-78-90-A3,CHF,00-DB-12-34-56-78-90-A3,Commissioned,,,,{NETWORK},_E,central,GBCS
"
        ),
    )
    .unwrap();
    let registry = Registry::import(&extract).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let users = vec![
        User {
            eui: eui(SUPPLIER),
            name: "supplier".into(),
            roles: vec![Role::ImportSupplier, Role::GasSupplier],
        },
        User {
            eui: eui(NETWORK),
            name: "network operator".into(),
            roles: vec![Role::ElectricityDistributor],
        },
    ];
    let consumer = Consumer {
        kind: CustomerType::Domestic,
        annual_wh: 3_000_000,
        solar_peak_w: 0,
        seed: 5,
    };
    let meter = Esme::new(eui(METER), consumer, now() - Duration::days(400));
    let wan = BTreeMap::from([(
        CspRegion::Central,
        WanLink {
            latency: Latency::LogNormal {
                median: 2_000_000,
                p99: 8_000_000,
            },
            loss: 0.0,
            timeout: Duration::seconds(60),
        },
    )]);
    // The XML signature check belongs to the gateway (duis::xmldsig, tested there); here the
    // originator named in the request stands for its verified signer.
    let check = std::sync::Arc::new(|xml: &str| {
        Request::parse(xml)
            .map(|r| r.id.originator)
            .map_err(|e| e.to_string())
    });
    HeadEnd::new(
        ServiceMatrix::embedded(),
        registry,
        users,
        vec![meter],
        keys(),
        eui("90-B3-D5-1F-30-00-00-02"),
        wan,
        check,
        11,
    )
}

fn template(name: &str) -> String {
    std::fs::read_to_string(reference().join("duis/rtds-templates").join(name)).unwrap()
}

/// The RTDS 2.2 template with a £10 code made for the virtual RTDS meter in its place.
fn rtds_top_up(keys: &KeyStore) -> String {
    use dccsim::protocol::gbcs::{Utrn, ValueClass};
    let utrn = Utrn::make(
        keys,
        dccsim::gateway::defaults::SUPPLIER,
        dccsim::gateway::defaults::RTDS_ESME,
        9 << 32,
        1000,
        ValueClass::Pennies,
    )
    .unwrap()
    .digits();
    template("CS01a_2.2_SUCCESS_REQUEST_DUIS.XML").replace("73946144332040217315", &utrn)
}

/// A commissioned electricity meter of the head-end's registry other than the RTDS meter, with
/// `also` true of it.
fn another_meter(
    he: &HeadEnd,
    also: impl Fn(&dccsim::headend::DeviceRecord) -> bool,
) -> dccsim::headend::DeviceRecord {
    he.registry()
        .devices()
        .find(|d| {
            d.device != eui(METER)
                && d.device_type == dccsim::headend::DeviceType::Esme
                && d.status == SmiStatus::Commissioned
                && also(d)
        })
        .expect("another commissioned meter")
        .clone()
}

/// `xml` with its request id's counter set to `counter`.
fn with_counter(xml: &str, counter: u64) -> String {
    let end = xml.find("</sr:RequestID>").unwrap();
    let start = xml[..end].rfind(':').unwrap() + 1;
    format!("{}{counter}{}", &xml[..start], &xml[end..])
}

fn code_of(reply: &SyncReply) -> ResponseCode {
    match reply {
        SyncReply::Response { code, .. } => *code,
        SyncReply::Invalid(e) => panic!("invalid: {e}"),
    }
}

fn xml_of(reply: &SyncReply) -> &str {
    match reply {
        SyncReply::Response { xml, .. } => xml,
        SyncReply::Invalid(e) => panic!("invalid: {e}"),
    }
}

/// The base64 GBCS payload of a response.
fn gbcs_of(xml: &str) -> Vec<u8> {
    let start = xml.find("<sr:GBCSPayload>").unwrap() + "<sr:GBCSPayload>".len();
    let end = xml.find("</sr:GBCSPayload>").unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(&xml[start..end])
        .unwrap()
}

/// Checks `documents` (name, XML) against the DUIS 5.4 schema with one xmllint run.
fn schema_valid_all(documents: &[(String, String)]) {
    let dir = std::env::temp_dir().join(format!("dccsim-responses-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<PathBuf> = documents
        .iter()
        .enumerate()
        .map(|(i, (_, xml))| {
            let path = dir.join(format!("{i}.xml"));
            std::fs::write(&path, xml).unwrap();
            path
        })
        .collect();
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(reference().join("duis/duis-5.4.xsd"))
        .args(&paths)
        .output()
        .expect("xmllint (Debian libxml2-utils; scripts/test installs it)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failed: Vec<_> = stderr
        .lines()
        .filter(|l| l.ends_with("fails to validate"))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success() && failed.is_empty(), "{stderr}");
    let valid = stderr.lines().filter(|l| l.ends_with(" validates")).count();
    assert_eq!(valid, documents.len(), "{stderr}");
}

/// xmllint's verdict on a response against the DUIS 5.4 schema.
fn schema_valid(xml: &str) -> Result<(), String> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("dccsim-response-{}-{n}.xml", std::process::id()));
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(reference().join("duis/duis-5.4.xsd"))
        .arg(&path)
        .output()
        .expect("xmllint (Debian libxml2-utils; scripts/test installs it)");
    let _ = std::fs::remove_file(&path);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The embedded default's head-end (10 premises, seed 3) at 2026-11-23 10:00, with its keys;
/// signatures are taken as the RequestID's originator.
fn default_head_end() -> (HeadEnd, KeyStore, DateTime<Utc>) {
    use dccsim::gateway::defaults;
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let check = std::sync::Arc::new(|xml: &str| {
        Request::parse(xml)
            .map(|r| r.id.originator)
            .map_err(|e| e.to_string())
    });
    let keys = defaults::keys(3).unwrap();
    let he = defaults::head_end(10, 3, start, defaults::wan(), check).unwrap();
    (he, keys, start)
}

/// Sends `xml` as `user` at `at` and expects I99, then the one I0 response delivered within five
/// minutes (valid against the DUIS schema); returns the GBCS it carries.
fn acknowledged_then_answered(
    he: &mut HeadEnd,
    user: Eui64,
    xml: &str,
    at: DateTime<Utc>,
) -> GbcsMessage {
    let reply = he.handle_request(user, Endpoint::SendCommand, xml, at);
    assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
    let delivered = he.poll_deliveries(at + Duration::minutes(5));
    assert_eq!(delivered.len(), 1);
    let xml = &delivered[0].xml;
    assert!(
        xml.contains("<sr:ResponseCode>I0</sr:ResponseCode>"),
        "{xml}"
    );
    schema_valid(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    GbcsMessage::decode(&gbcs_of(xml)).unwrap()
}

/// A Send Command request (command variant 5) carrying `pre`, the pre-command the supplier got
/// from Transform, signed with its key.
fn signed_send(
    target: Eui64,
    counter: u64,
    service: &str,
    pre: GbcsMessage,
    keys: &KeyStore,
) -> String {
    signed_send_as(eui(SUPPLIER), target, counter, service, pre, keys)
}

/// [`signed_send`] as `user`.
fn signed_send_as(
    user: Eui64,
    target: Eui64,
    counter: u64,
    service: &str,
    mut pre: GbcsMessage,
    keys: &KeyStore,
) -> String {
    assert!(pre.signing.signature.is_none());
    assert!(sign_message(keys, &mut pre));
    let signed = base64::engine::general_purpose::STANDARD.encode(pre.to_bytes().unwrap());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Request xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\" schemaVersion=\"5.4\"><sr:Header><sr:RequestID>{user}:{target}:{counter}</sr:RequestID><sr:CommandVariant>5</sr:CommandVariant><sr:ServiceReference>{service}</sr:ServiceReference><sr:ServiceReferenceVariant>{service}</sr:ServiceReferenceVariant></sr:Header><sr:Body><sr:SignedPreCommand><sr:GBCSPayload>{signed}</sr:GBCSPayload></sr:SignedPreCommand></sr:Body></sr:Request>"
    )
}

/// A critical request (an RTDS template's text, its counter `counter`) through Transform, the
/// supplier's signature (its RTDS key) and Send at `at`: acknowledged `I99`, then the meter's
/// answer, delivered `I0` within five minutes and signed by the meter.
fn transform_sign_send(
    he: &mut HeadEnd,
    keys: &KeyStore,
    xml: &str,
    counter: u64,
    at: DateTime<Utc>,
) -> GbcsMessage {
    let transform = with_counter(xml, counter);
    let request = Request::parse(&transform).unwrap();
    let user = request.id.originator;
    let reply = he.handle_request(user, Endpoint::Transform, &transform, at);
    assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
    let pre = GbcsMessage::decode(&gbcs_of(xml_of(&reply))).unwrap();
    let service = request.service.to_string();
    let send = signed_send_as(user, request.id.target, counter + 1, &service, pre, keys);
    let reply = he.handle_request(user, Endpoint::SendCommand, &send, at);
    assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
    let delivered = he.poll_deliveries(at + Duration::minutes(5));
    assert_eq!(delivered.len(), 1, "{service}");
    let xml = &delivered[0].xml;
    assert!(
        xml.contains("<sr:ResponseCode>I0</sr:ResponseCode>"),
        "{xml}"
    );
    let answer = GbcsMessage::decode(&gbcs_of(xml)).unwrap();
    assert_eq!(verify_signature(keys, &answer), Verdict::Valid, "{service}");
    answer
}

/// The values of a settings read (an RTDS template, its counter `counter`) `user` sends at
/// `at`, as the meter answers it.
fn settings_read(
    he: &mut HeadEnd,
    user: Eui64,
    name: &str,
    counter: u64,
    at: DateTime<Utc>,
) -> Vec<dccsim::protocol::dlms::Data> {
    let xml = with_counter(&template(name), counter);
    let answer = acknowledged_then_answered(he, user, &xml, at);
    match decode_dlms(&answer, None).unwrap() {
        Reading::Settings { values } => values.into_iter().map(|v| v.value).collect(),
        other => panic!("{other:?}"),
    }
}

/// A request `user` sends to `endpoint` at `at` (an RTDS template's text, its counter
/// `counter`), refused `E11`; the reason given.
fn refused_e11(
    he: &mut HeadEnd,
    user: Eui64,
    endpoint: Endpoint,
    xml: &str,
    counter: u64,
    at: DateTime<Utc>,
) -> String {
    let reply = he.handle_request(user, endpoint, &with_counter(xml, counter), at);
    let SyncReply::Response { code, why, .. } = &reply else {
        panic!("{}", xml_of(&reply))
    };
    assert_eq!(*code, ResponseCode::E11, "{}", xml_of(&reply));
    why.clone().unwrap_or_default()
}

/// 1.5 Update Meter Balance, the RTDS templates through Transform, sign, Send: the electricity
/// meter's balance adjusted by £12 (ECS04a), then reset (ECS04b); the gas meter's adjusted by
/// £50 (GCS40c), then reset (GCS40b). Each meter answers, signed, and holds what the update
/// left.
#[test]
fn a_meter_balance_update_moves_the_balance() {
    let (mut he, keys, start) = default_head_end();
    let (esme, gsme) = (
        eui("00-DB-12-34-56-78-90-A0"),
        eui("00-DB-12-34-56-78-90-A1"),
    );
    let p = dccsim::device::period_of(start);
    let before = he.meter(esme).unwrap().credit_milli_pence(p);
    let name = "ECS04a_1.5_SUCCESS_REQUEST_DUIS.XML";
    transform_sign_send(&mut he, &keys, &template(name), 2000, start);
    let adjusted = he.meter(esme).unwrap().credit_milli_pence(p);
    assert_eq!(adjusted, before + 1_200_000);
    // Half an hour on, the meter has drawn on the adjusted balance.
    let later = start + Duration::minutes(30);
    assert!(he.meter(esme).unwrap().credit_milli_pence(p + 1) < adjusted);
    let name = "ECS04b_1.5_SUCCESS_REQUEST_DUIS.XML";
    transform_sign_send(&mut he, &keys, &template(name), 2010, later);
    assert_eq!(he.meter(esme).unwrap().credit_milli_pence(p + 1), 0);

    // The gas meter half an hour on (the head-end's clock only goes forward).
    let (start, later, p) = (
        later + Duration::minutes(30),
        later + Duration::hours(1),
        p + 2,
    );
    let before = he.gas_meter(gsme).unwrap().credit_milli_pence(p);
    let name = "GCS40c_1.5_SUCCESS_REQUEST_DUIS.XML";
    transform_sign_send(&mut he, &keys, &template(name), 2020, start);
    let adjusted = he.gas_meter(gsme).unwrap().credit_milli_pence(p);
    assert_eq!(adjusted, before + 5_000_000);
    let name = "GCS40b_1.5_SUCCESS_REQUEST_DUIS.XML";
    transform_sign_send(&mut he, &keys, &template(name), 2030, later);
    assert_eq!(he.gas_meter(gsme).unwrap().credit_milli_pence(p + 1), 0);
}

/// 6.11 to the RTDS electricity and gas meters through Transform, sign, Send: an interval
/// holding the head-end's time (the meters' clocks are the DCC's) synchronises the clock, and
/// the meter answers with its time; the RTDS template's own interval, in 2014, it refuses,
/// nothing adjusted.
#[test]
fn a_clock_synchronisation_is_answered_with_the_meters_time() {
    let (mut he, keys, start) = default_head_end();
    let template = template("ECS70_6.11_SUCCESS_REQUEST_DUIS.XML");
    let now = template.replace("2014-12-31T23:59:10.00Z", "2026-11-23T09:59:30Z");
    let answer = transform_sign_send(&mut he, &keys, &now, 2000, start);
    let Reading::Clock { time, status: 0 } = decode_dlms(&answer, None).unwrap() else {
        panic!("{:?}", decode_dlms(&answer, None))
    };
    assert!(
        time >= start && time - start < Duration::minutes(1),
        "{time}"
    );
    let answer = transform_sign_send(&mut he, &keys, &template, 2010, start);
    assert_eq!(
        decode_dlms(&answer, None).unwrap(),
        Reading::Outcome {
            success: false,
            code: 250
        }
    );
    // The gas meter likewise (GCS28, ASN.1): its time, status 0; outside, status 2.
    use dccsim::protocol::gbcs::asn1::AsnPayload;
    let template = self::template("GCS28_6.11_SUCCESS_REQUEST_DUIS.XML");
    let now = template.replace("2014-12-31T23:30:00.00Z", "2026-11-23T09:30:00Z");
    for (xml, counter, synchronised) in [(&now, 2020, 0), (&template, 2030, 2)] {
        let answer = transform_sign_send(&mut he, &keys, xml, counter, start);
        let Ok(Some(AsnPayload::Clock { time, status })) =
            AsnPayload::decode(&answer.signing.content, false)
        else {
            panic!("{answer:?}")
        };
        assert_eq!(status, synchronised);
        assert!(
            time >= start && time - start < Duration::minutes(1),
            "{time}"
        );
    }
}

/// 6.12 and 7.12 to the RTDS electricity meter, the RTDS templates: the power thresholds set
/// (non-critical: sent as it is) and the randomised offset limit set (critical: Transform,
/// sign, Send) are what 6.2.5 and 6.2.2 then read; a limit over the schema's 1,799 s is
/// refused at Transform, saying so.
#[test]
fn power_thresholds_and_randomised_offset_limit_set_are_read_back() {
    use dccsim::protocol::dlms::Data;
    let (mut he, keys, start) = default_head_end();
    let supplier = eui(SUPPLIER);
    let thresholds = template("ECS34_6.12_SUCCESS_REQUEST_DUIS.XML")
        .replace(">2300<", ">1800<")
        .replace(">4600<", ">5200<");
    let answer = acknowledged_then_answered(&mut he, supplier, &thresholds, start);
    assert_eq!(
        decode_dlms(&answer, None).unwrap(),
        Reading::Outcome {
            success: true,
            code: 0
        }
    );
    let limit = template("ECS38_7.12_SUCCESS_REQUEST_DUIS.XML");
    let answer = transform_sign_send(&mut he, &keys, &limit, 2000, start);
    assert_eq!(
        decode_dlms(&answer, None).unwrap(),
        Reading::Outcome {
            success: true,
            code: 0
        }
    );
    let read =
        |he: &mut HeadEnd, name: &str, counter| settings_read(he, supplier, name, counter, start);
    let powers = read(&mut he, "ECS26f_6.2.5_SUCCESS_REQUEST_DUIS.XML", 2010);
    let expected = [1800, 5200].map(Data::DoubleLongUnsigned).to_vec();
    assert_eq!(powers, [Data::Array(expected)]);
    let randomisation = read(&mut he, "ECS26c_6.2.2_SUCCESS_REQUEST_DUIS.XML", 2020);
    assert_eq!(randomisation[2], Data::LongUnsigned(900));
    let over = with_counter(&limit.replace(">900<", ">1800<"), 2030);
    let reply = he.handle_request(supplier, Endpoint::Transform, &over, start);
    let SyncReply::Response { code, why, .. } = &reply else {
        panic!("{}", xml_of(&reply))
    };
    assert_eq!(*code, ResponseCode::E11, "{}", xml_of(&reply));
    let why = why.as_deref().unwrap_or_default();
    assert!(
        why.contains("sr:RandomisedOffsetLimit \"1800\" is not a whole number from 0 to 1799"),
        "{why}"
    );
}

/// 3.1, 3.2 (to the gas proxy), 3.5 and 6.20.1 to the RTDS gas meter, the RTDS templates: each
/// is answered with a Default Response, SUCCESS, and the meter holds the message, gives no data
/// from before the change of tenancy, has privacy PIN protection off and reads back (6.2.7) the
/// MPRN set; 3.3 clears its event log, the meter answering that it did.
#[test]
fn rtds_gas_message_tenancy_privacy_pin_and_mprn_templates_change_the_gas_meter() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload};
    let (mut he, _, start) = default_head_end();
    let (supplier, gsme) = (eui(SUPPLIER), eui("00-DB-12-34-56-78-90-A1"));
    let answer_of = |m: &GbcsMessage| {
        let Ok(Gbz::Components { components }) = Gbz::decode(&m.signing.content, false) else {
            panic!("{m:?}")
        };
        gas_payload(&components[0], &components[0].payload)
            .unwrap()
            .unwrap()
    };
    for (name, counter, cluster, command) in [
        ("GCS07_3.1_SUCCESS_REQUEST_DUIS.XML", 3000, 0x0703, 0x00),
        ("GCS09_3.2_SUCCESS_REQUEST_DUIS.XML", 3005, 0x0708, 0x00),
        ("GCS11_3.5_SUCCESS_REQUEST_DUIS.XML", 3010, 0x0708, 0x02),
        ("GCS41_6.20.1_SUCCESS_REQUEST_DUIS.XML", 3020, 0x0708, 0x03),
    ] {
        let xml = with_counter(&template(name), counter);
        let answer = acknowledged_then_answered(&mut he, supplier, &xml, start);
        let success = GasPayload::DefaultResponse {
            cluster,
            command,
            status: 0,
        };
        assert_eq!(answer_of(&answer), success, "{name}");
    }
    let xml = with_counter(&template("CS11_3.3_SUCCESS_REQUEST_DUIS.XML"), 3025);
    let answer = acknowledged_then_answered(&mut he, supplier, &xml, start);
    let cleared = GasPayload::EventLogCleared { cleared: 0x08 };
    assert_eq!(answer_of(&answer), cleared);
    let gas = he.gas_meter(gsme).unwrap();
    let logged: Vec<_> = gas
        .events
        .between(start - Duration::days(400), start + Duration::days(1))
        .map(|e| e.what.as_str())
        .collect();
    assert_eq!(logged[0], "event log cleared");
    assert_eq!(gas.message(), Some("Reset"));
    assert!(gas.privacy_pin_disabled());
    let moved_in = Utc.with_ymd_and_hms(2015, 2, 1, 0, 0, 0).unwrap();
    assert_eq!(
        gas.restricted_from(),
        Some(dccsim::device::period_of(moved_in))
    );
    let xml = with_counter(&template("GCS46_6.2.7_SUCCESS_REQUEST_DUIS.XML"), 3030);
    let answer = acknowledged_then_answered(&mut he, supplier, &xml, start);
    let mprn = GasPayload::SiteId {
        mprn: "1234567890".into(),
    };
    assert_eq!(answer_of(&answer), mprn);
}

/// 6.22 then 6.2.10 to the RTDS gas meter, their templates unchanged: the configuration the
/// first sets is what the second reads (0x810E: a WAN alert only, as before; 0x81C6: logged
/// and an alarm, where the meter was installed logging it only).
#[test]
fn the_rtds_gas_alert_behaviour_templates_set_what_6_2_10_reads() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload};
    let (mut he, _, start) = default_head_end();
    let set = with_counter(&template("GCS20_6.22_SUCCESS_REQUEST_DUIS.XML"), 4200);
    acknowledged_then_answered(&mut he, eui(SUPPLIER), &set, start);
    let read = with_counter(&template("GCS20r_6.2.10_SUCCESS_REQUEST_DUIS.XML"), 4201);
    let m = acknowledged_then_answered(&mut he, eui(SUPPLIER), &read, start);
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!("{m:?}")
    };
    let Some(GasPayload::EventConfiguration { entries, .. }) =
        gas_payload(&components[0], &components[0].payload).unwrap()
    else {
        panic!("{components:?}")
    };
    assert!(entries.contains(&(0x810E, 0x08)), "{entries:?}");
    assert!(entries.contains(&(0x81C6, 0x43)), "{entries:?}");
    assert!(entries.contains(&(0x81AA, 0x5B)), "{entries:?}");
}

/// 6.22 and 6.2.10 to the RTDS electricity meter, the RTDS templates: what the supplier's
/// (ECS25a1, a2, a3) and the network operator's (ECS25b3) set is what each reads back
/// (ECS25r1, ECS25r2), the codes not named as the RTDS meter has them; ECS25a and ECS25b name
/// a poly-phase alert (81B7, 8003), which the single-phase meter refuses (1), changing nothing; with the logging of
/// commands disabled (ECS25a3), a command carried out leaves nothing in the event log. A
/// template naming the other party's alerts is refused `E2`, a gas meter's settings `E11`,
/// and neither reaches the meter.
#[test]
fn the_rtds_electricity_alert_behaviour_templates_set_what_6_2_10_reads() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::payload::AlertFilter;
    let (mut he, _, start) = default_head_end();
    let (supplier, network) = (eui(SUPPLIER), defaults::NETWORK_OPERATOR);
    let read = |he: &mut HeadEnd, user, name: &str, counter| -> Vec<AlertFilter> {
        settings_read(he, user, name, counter, start)
            .iter()
            .map(|v| AlertFilter::of(v).unwrap())
            .collect()
    };
    let before = read(
        &mut he,
        supplier,
        "ECS25r1_6.2.10_SUCCESS_REQUEST_DUIS.XML",
        7000,
    );
    for ((name, user, code), counter) in [
        ("ECS25a", supplier, 1),
        ("ECS25a1", supplier, 0),
        ("ECS25a2", supplier, 0),
        ("ECS25a3", supplier, 0),
        ("ECS25b", network, 1),
        ("ECS25b3", network, 0),
    ]
    .into_iter()
    .zip(7001..)
    {
        let xml = with_counter(
            &template(&format!("{name}_6.22_SUCCESS_REQUEST_DUIS.XML")),
            counter,
        );
        let answer = acknowledged_then_answered(&mut he, user, &xml, start);
        assert_eq!(
            decode_dlms(&answer, None).unwrap(),
            Reading::Outcome {
                success: code == 0,
                code
            },
            "{name}"
        );
    }
    let changed = |before: AlertFilter, on: &[u16], off: &[u16]| {
        let mut f = before;
        on.iter().for_each(|&c| f.set(c, true));
        off.iter().for_each(|&c| f.set(c, false));
        f
    };
    let after = read(
        &mut he,
        supplier,
        "ECS25r1_6.2.10_SUCCESS_REQUEST_DUIS.XML",
        7100,
    );
    assert_eq!(after[0], before[0]);
    assert_eq!(after[1], changed(before[1], &[0x810D], &[0x8119, 0x8168]));
    assert_eq!(
        after[2],
        AlertFilter::of_codes(&[0x8154, 0x8155, 0x8161, 0x8162])
    );
    assert_eq!(
        after[3],
        changed(
            before[3],
            &[0x8145, 0x8161, 0x8162, 0x81C6],
            &[0x8154, 0x8155]
        )
    );
    assert!(!after[3].has(0x8154) && before[3].has(0x8154));
    let no = read(
        &mut he,
        network,
        "ECS25r2_6.2.10_SUCCESS_REQUEST_DUIS.XML",
        7101,
    );
    assert_eq!(
        no,
        [
            AlertFilter::of_codes(&[0x8014, 0x8015]),
            AlertFilter::of_codes(&[0x8014])
        ]
    );
    // A command carried out now is not logged.
    let thresholds = with_counter(&template("ECS34_6.12_SUCCESS_REQUEST_DUIS.XML"), 7102);
    acknowledged_then_answered(&mut he, supplier, &thresholds, start);
    let stamp = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S.00Z").to_string();
    let log = with_counter(&template("ECS35a_6.13_SUCCESS_REQUEST_DUIS.XML"), 7103)
        .replace("2014-12-31T00:00:00.00Z", &stamp(start - Duration::days(1)))
        .replace(
            "2015-01-01T00:00:00.00Z",
            &stamp(start + Duration::hours(1)),
        );
    let m = acknowledged_then_answered(&mut he, supplier, &log, start);
    let Reading::EventLog { events } = decode_dlms(&m, None).unwrap() else {
        panic!()
    };
    let logged: Vec<(u16, Vec<u8>)> = events.iter().map(|e| (e.code, e.detail.clone())).collect();
    // The 6.22s before ECS25a3, which turned the logging of commands off as it took effect:
    // ECS25a refused (8155), then ECS25a1 and a2 carried out (8154).
    let expected = [(0x8155, 0x00AC), (0x8154, 0x00EA), (0x8154, 0x00EB)]
        .map(|(event, command): (u16, u16)| (event, command.to_be_bytes().to_vec()));
    assert_eq!(logged, expected);
    // The other party's alerts; a gas meter's settings.
    for ((name, user, code, says), counter) in [
        (
            "ECS25b_6.22",
            supplier,
            ResponseCode::E2,
            "only the network operator configures how 80xx alerts behave",
        ),
        (
            "ECS25a_6.22",
            network,
            ResponseCode::E2,
            "only the supplier configures how 81xx alerts behave",
        ),
        (
            "GCS20_6.22",
            supplier,
            ResponseCode::E11,
            "sr:GasSupplierAlertEventSettings in sr:ConfigureAlertBehaviour is a gas meter's",
        ),
    ]
    .into_iter()
    .zip(7200..)
    {
        let xml = with_counter(
            &template(&format!("{name}_SUCCESS_REQUEST_DUIS.XML")),
            counter,
        )
        .replace(&format!("{SUPPLIER}:"), &format!("{user}:"))
        .replace(&format!("{NETWORK}:"), &format!("{user}:"))
        .replace(":00-DB-12-34-56-78-90-A1:", &format!(":{METER}:"));
        let reply = he.handle_request(user, Endpoint::SendCommand, &xml, start);
        assert_eq!(code_of(&reply), code, "{name}: {}", xml_of(&reply));
        let SyncReply::Response { why, .. } = &reply else {
            panic!("{name}")
        };
        let why = why.clone().unwrap_or_default();
        assert!(why.contains(says), "{name}: {why}");
        assert!(he.poll_deliveries(start + Duration::minutes(5)).is_empty());
    }
}

/// 8.12.1 and 8.9 `ReadSecurityDetails`, the RTDS templates, to the RTDS comms hub: the
/// restore gives it the network of the hub it replaced (the withdrawn `…90-95`, its extended
/// PAN ID and the RTDS meters with their install codes), which its backup then shows; a hub
/// not in the inventory is refused `E19`, the hub itself `E11`, neither reaching the hub.
#[test]
fn a_replacement_hub_takes_over_the_old_hubs_network() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::payload::PanDevice;
    let (mut he, keys, start) = default_head_end();
    let hub = eui("00-DB-12-34-56-78-90-A2");
    let answered = |he: &mut HeadEnd, xml: &str| -> Reading {
        let m = acknowledged_then_answered(he, defaults::SUPPLIER, xml, start);
        assert_eq!(verify_mac(&keys, &m, defaults::ACB), Verdict::Valid);
        decode_dlms(&m, None).unwrap()
    };
    let backup = |he: &mut HeadEnd, counter: u64| {
        let xml = with_counter(&template("CCS07_8.9_SUCCESS_REQUEST_DUIS.XML"), counter);
        let Reading::PanBackups { backups } = answered(he, &xml) else {
            panic!()
        };
        backups
    };
    let before = backup(&mut he, 8000);
    assert_eq!(before[0].extended_pan_id, hub.0);
    assert_eq!(before[0].devices.len(), 3, "the meters and the gas proxy");
    let restore = with_counter(&template("CCS03_8.12.1_SUCCESS_REQUEST_DUIS.XML"), 8001);
    assert_eq!(
        answered(&mut he, &restore),
        Reading::Outcome {
            success: true,
            code: 0
        }
    );
    let after = backup(&mut he, 8002);
    assert_eq!(after[0].extended_pan_id, [0, 0, 0, 0, 0, 0, 1, 0x40]);
    let key = |last: &str| -> [u8; 16] {
        dccsim::protocol::gbcs::parse_hex(&format!("83FED3407A939723A5C639B26916D5{last}"))
            .unwrap()
            .try_into()
            .unwrap()
    };
    assert_eq!(
        after[0].devices,
        [
            PanDevice {
                device: eui(METER),
                key: key("06")
            },
            PanDevice {
                device: eui("00-DB-12-34-56-78-90-A1"),
                key: key("05")
            }
        ]
    );
    for ((old, code, says), counter) in [
        (
            "00-DB-12-34-56-78-90-96",
            ResponseCode::E19,
            "sr:OldCHFID 00-DB-12-34-56-78-90-96: no comms hub of that id in the inventory",
        ),
        (
            "00-DB-12-34-56-78-90-A2",
            ResponseCode::E11,
            "sr:OldCHFID 00-DB-12-34-56-78-90-A2 is the hub the request is for",
        ),
        (
            METER,
            ResponseCode::E19,
            "sr:OldCHFID 00-DB-12-34-56-78-90-A0: no comms hub of that id in the inventory",
        ),
    ]
    .into_iter()
    .zip(8003..)
    {
        let xml = with_counter(&template("CCS03_8.12.1_SUCCESS_REQUEST_DUIS.XML"), counter)
            .replace("00-DB-12-34-56-78-90-95", old);
        let reply = he.handle_request(defaults::SUPPLIER, Endpoint::SendCommand, &xml, start);
        assert_eq!(code_of(&reply), code, "{}", xml_of(&reply));
        let SyncReply::Response { why, .. } = &reply else {
            panic!()
        };
        assert_eq!(why.as_deref(), Some(says));
        assert!(he.poll_deliveries(start + Duration::minutes(5)).is_empty());
    }
}

/// 8.1.1 through Transform, sign, Send: a meter installed but not commissioned whose clock the
/// command synchronises is commissioned in the registry (electricity: ECS70; gas: GCS28); one
/// whose clock it does not (the templates' own time, years before the head-end's) stays as it
/// was, the meter answering that it did not synchronise.
#[test]
fn commissioning_synchronises_the_clock_and_commissions_the_device() {
    let (mut he, keys, start) = default_head_end();
    for (name, device, counter) in [
        (
            "ECS70Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML",
            METER,
            4300,
        ),
        (
            "GCS28Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML",
            "00-DB-12-34-56-78-90-A1",
            4310,
        ),
    ] {
        let device = eui(device);
        let mut registry = he.registry().clone();
        registry.apply(&InventoryChange::Status {
            device,
            status: SmiStatus::InstalledNotCommissioned,
        });
        he.set_registry(registry);
        let status = |he: &HeadEnd| he.registry().device(device).unwrap().status;
        let xml = template(name);
        transform_sign_send(&mut he, &keys, &xml, counter, start);
        assert_eq!(status(&he), SmiStatus::InstalledNotCommissioned, "{name}");
        let at = field(&xml, "CurrentDateTime");
        let now = xml.replace(at, "2026-11-23T10:00:00Z");
        transform_sign_send(&mut he, &keys, &now, counter + 2, start);
        assert_eq!(status(&he), SmiStatus::Commissioned, "{name}");
        let journalled = he.take_journal().into_iter().any(|c| {
            matches!(
                c,
                Change::Inventory(InventoryChange::Status {
                    device: d,
                    status: SmiStatus::Commissioned,
                }) if d == device
            )
        });
        assert!(journalled, "{name}");
    }
}

/// 6.13 to the RTDS gas meter (CS10a, its template unchanged): after a 3.1 carried through
/// the head-end, the meter's general event log holds that command, carried out, with its
/// message code (GCS07, 0x0071).
#[test]
fn the_rtds_gas_event_log_template_reads_the_commands_carried_out() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload};
    let (mut he, _, start) = default_head_end();
    let message = with_counter(&template("GCS07_3.1_SUCCESS_REQUEST_DUIS.XML"), 4100);
    acknowledged_then_answered(&mut he, eui(SUPPLIER), &message, start);
    let read = with_counter(&template("CS10a_6.13_SUCCESS_REQUEST_DUIS.XML"), 4101);
    let m = acknowledged_then_answered(&mut he, eui(SUPPLIER), &read, start);
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!("{m:?}")
    };
    let Some(GasPayload::EventLog { entries, .. }) =
        gas_payload(&components[0], &components[0].payload).unwrap()
    else {
        panic!("{components:?}")
    };
    assert!(
        entries
            .iter()
            .any(|e| e.event_id == 0x8154 && e.data == [0x00, 0x71]),
        "{entries:?}"
    );
}

/// 6.8 to the RTDS gas meter, the RTDS templates (GCS25 monthly, GCS25a six-monthly) through
/// Transform, sign, Send: the meter answers the billing period and the block period each with a
/// Default Response, SUCCESS, as the RTDS meter does, and 6.2.3 reads the calendar back; a
/// periodicity the schema does not have is refused at Transform.
#[test]
fn a_gas_billing_calendar_is_set_and_read_back() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload};
    let (mut he, keys, start) = default_head_end();
    let components = |m: &GbcsMessage| {
        let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
            panic!("{m:?}")
        };
        components
            .iter()
            .map(|c| gas_payload(c, &c.payload).unwrap().unwrap())
            .collect::<Vec<_>>()
    };
    let rtds = {
        let path = "gbcs-rtds/RTDS-4.5.0/6.8_GCS25/GCS25_6.8_SUCCESS_RESPONSE_GBCS.HEX";
        let text = std::fs::read_to_string(reference().join(path)).unwrap();
        GbcsMessage::decode(&dccsim::protocol::gbcs::parse_hex(&text).unwrap()).unwrap()
    };
    for (name, counter, duration) in [
        ("GCS25_6.8_SUCCESS_REQUEST_DUIS.XML", 4000, 1),
        ("GCS25a_6.8_SUCCESS_REQUEST_DUIS.XML", 4010, 6),
    ] {
        let answer = transform_sign_send(&mut he, &keys, &template(name), counter, start);
        assert_eq!(components(&answer), components(&rtds), "{name}");
        let read = with_counter(
            &template("GCS21d_6.2.3_SUCCESS_REQUEST_DUIS.XML"),
            counter + 5,
        );
        let m = acknowledged_then_answered(&mut he, eui(SUPPLIER), &read, start);
        let [
            GasPayload::BillingPeriod {
                start: from,
                duration: d,
                duration_type,
                ..
            },
        ] = components(&m)[..]
        else {
            panic!("{m:?}")
        };
        let first = if duration == 1 { (2015, 2) } else { (2015, 1) };
        let first = Utc.with_ymd_and_hms(first.0, first.1, 1, 0, 0, 0).unwrap();
        let seconds = dccsim::protocol::gbcs::payload::to_gbcs_seconds(first);
        assert_eq!(Some(from), seconds, "{name}");
        assert_eq!((d, duration_type), (duration, 0x23), "{name}");
    }
    let xml = template("GCS25_6.8_SUCCESS_REQUEST_DUIS.XML").replace(">Monthly<", ">Fortnightly<");
    let reason = refused_e11(
        &mut he,
        eui(SUPPLIER),
        Endpoint::Transform,
        &xml,
        4100,
        start,
    );
    assert!(
        reason.contains("sr:Periodicity \"Fortnightly\" is not Daily or Weekly"),
        "{reason}"
    );
}

/// 14.1 from the network operator to the RTDS gas meter, the RTDS template: the meter starts
/// recording network data again, answering with the RTDS meter's StartSamplingResponse (sample
/// id 2), and 4.10 then gives no six minutes from before it — none until the half-hour under
/// way ends, then those from the first six minutes to start after the command arrived.
#[test]
fn recording_network_data_starts_again_at_a_14_1() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload};
    let (mut he, keys, start) = default_head_end();
    let answer = |m: &GbcsMessage| {
        let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
            panic!("{m:?}")
        };
        let c = &components[0];
        gas_payload(c, &c.plaintext(m, &keys).unwrap())
            .unwrap()
            .unwrap()
    };
    let network_data = |he: &mut HeadEnd, counter: u64, at| {
        let read = with_counter(&template("GCS18_4.10_SUCCESS_REQUEST_DUIS.XML"), counter);
        answer(&acknowledged_then_answered(
            he,
            defaults::SUPPLIER,
            &read,
            at,
        ))
    };
    let GasPayload::SampledData { samples, .. } = network_data(&mut he, 2000, start) else {
        panic!()
    };
    assert_eq!(samples.len(), 41, "since installation");
    let record = template("GCS31_14.1_SUCCESS_REQUEST_DUIS.XML");
    let m = acknowledged_then_answered(&mut he, defaults::NETWORK_OPERATOR, &record, start);
    let rtds = {
        let path = "gbcs-rtds/RTDS-4.5.0/14.1_GCS31/GCS31_14.1_SUCCESS_RESPONSE_GBCS.HEX";
        let text = std::fs::read_to_string(reference().join(path)).unwrap();
        GbcsMessage::decode(&dccsim::protocol::gbcs::parse_hex(&text).unwrap()).unwrap()
    };
    assert_eq!(answer(&m), answer(&rtds));
    assert_eq!(
        answer(&m),
        GasPayload::StartSamplingResponse { sample_id: 2 }
    );
    let none = network_data(&mut he, 2010, start + Duration::minutes(10));
    assert!(
        matches!(none, GasPayload::DefaultResponse { status: 0x8B, .. }),
        "{none:?}"
    );
    let an_hour = start + Duration::hours(1);
    let GasPayload::SampledData {
        start: from,
        samples,
        ..
    } = network_data(&mut he, 2020, an_hour)
    else {
        panic!()
    };
    // The command reached the meter just after 10:00 (over the WAN): recording starts with
    // the next six minutes, 10:06, nine of them to 11:00.
    assert_eq!(samples.len(), 9);
    let seconds = dccsim::protocol::gbcs::payload::to_gbcs_seconds(start + Duration::minutes(6));
    assert_eq!(Some(from), seconds);
}

/// 6.6 and 6.7 to the RTDS gas meter, the RTDS templates through Transform, sign, Send: the
/// meter answers each command's two components with Default Responses, SUCCESS, and 6.2.8
/// reads back the templates' values (40.0 MJ/m³, 1.02264; 61,680 m³/h, 60 s, 300 s — to four
/// decimal places, 6.1680, a divisor of 10,000).
#[test]
fn the_rtds_gas_conversion_and_flow_templates_set_what_6_2_8_reads() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, ZclValue, gas_payload};
    let (mut he, keys, start) = default_head_end();
    let gsme = eui("00-DB-12-34-56-78-90-A1");
    let set = template("GCS23_6.6_SUCCESS_REQUEST_DUIS.XML");
    // Values the schema does not allow Transform refuses, saying which.
    let refuse = |he: &mut HeadEnd, xml: &str, counter, why: &str| {
        let xml = with_counter(xml, counter);
        let reply = he.handle_request(eui(SUPPLIER), Endpoint::Transform, &xml, start);
        let SyncReply::Response {
            code, why: reason, ..
        } = &reply
        else {
            panic!("{}", xml_of(&reply))
        };
        assert_eq!(*code, ResponseCode::E11, "{}", xml_of(&reply));
        let reason = reason.as_deref().unwrap_or_default();
        assert!(reason.contains(why), "{reason}");
    };
    for (counter, from, to, why) in [
        (
            3990,
            ">40.0<",
            ">40.05<",
            "sr:CalorificValue \"40.05\" is not a decimal from 0 to 429496729.5 with at most 1 \
             decimal places",
        ),
        (
            3991,
            ">1.02264<",
            ">42949.67296<",
            "is not a decimal from 0 to 42949.67295",
        ),
    ] {
        refuse(&mut he, &set.replace(from, to), counter, why);
    }
    let flow = template("GCS24_6.7_SUCCESS_REQUEST_DUIS.XML");
    let decimal = template("GCS24a_6.7_SUCCESS_REQUEST_DUIS.XML");
    for (counter, xml, why) in [
        (
            3992,
            flow.replace(
                ">Unchanged</sr:SupplyTamperState>",
                ">Open</sr:SupplyTamperState>",
            ),
            "sr:SupplyTamperState \"Open\" is not Locked or Unchanged",
        ),
        (
            3993,
            flow.replace(">61680<", ">65536<"),
            "sr:UncontrolledGasFlowRate \"65536\" is not a whole number from 0 to 65535",
        ),
        (
            3994,
            decimal.replace(">6.1680<", ">6.5536<"),
            "sr:UncontrolledGasFlowRateDecimal \"6.5536\" is over 6.5535",
        ),
        (
            3995,
            flow.replace(">300<", ">0<"),
            "sr:MeasurementPeriod \"0\" is not a whole number from 1 to 65535",
        ),
    ] {
        refuse(&mut he, &xml, counter, why);
    }
    // The meter's answers, in clear, to a command through Transform, sign, Send.
    let carried = |he: &mut HeadEnd, xml: &str, counter| {
        let answer = transform_sign_send(he, &keys, xml, counter, start);
        let Gbz::Components { components } = Gbz::decode(&answer.signing.content, false).unwrap()
        else {
            panic!("{answer:?}")
        };
        components
            .iter()
            .map(|c| gas_payload(c, &c.payload).unwrap().unwrap())
            .collect::<Vec<_>>()
    };
    let done = |cluster, command| GasPayload::DefaultResponse {
        cluster,
        command,
        status: 0,
    };
    let answers = carried(&mut he, &set, 4000);
    assert_eq!(answers, [done(0x0700, 0x02), done(0x0700, 0x03)]);
    let gas = he.gas_meter(gsme).unwrap();
    assert_eq!(gas.calorific_value(), (400, 0x01, 0x10));
    assert_eq!(gas.conversion_factor(), (102_264, 0x50));
    for (name, counter, divisor) in [
        ("GCS24a_6.7_SUCCESS_REQUEST_DUIS.XML", 4020, 10_000),
        ("GCS24_6.7_SUCCESS_REQUEST_DUIS.XML", 4030, 1),
    ] {
        let answers = carried(&mut he, &template(name), counter);
        let flow_done = [done(0x0702, 0x0E), done(0x0702, 0x0D)];
        assert_eq!(answers, flow_done, "{name}");
        let flow = he.gas_meter(gsme).unwrap().uncontrolled_flow();
        assert_eq!((flow.threshold, flow.divisor), (61_680, divisor), "{name}");
    }
    let read = with_counter(&template("GCS21a_6.2.8_SUCCESS_REQUEST_DUIS.XML"), 4040);
    let m = acknowledged_then_answered(&mut he, eui(SUPPLIER), &read, start);
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!("{m:?}")
    };
    let Some(GasPayload::Settings { values, .. }) =
        gas_payload(&components[0], &components[0].payload).unwrap()
    else {
        panic!("{components:?}")
    };
    let calorific = values.iter().find(|v| v.name == "CalorificValue").unwrap();
    assert_eq!(calorific.value, ZclValue::Unsigned(400));
    let Some(GasPayload::Settings { values, .. }) =
        gas_payload(&components[1], &components[1].payload).unwrap()
    else {
        panic!("{components:?}")
    };
    let values: Vec<_> = values.iter().map(|v| (v.name, v.value.clone())).collect();
    let u = ZclValue::Unsigned;
    assert_eq!(
        values,
        [
            ("UncontrolledFlowDivisor", u(1)),
            ("UncontrolledFlowMultiplier", u(1)),
            ("UncontrolledFlowThresholdUnitOfMeasure", u(1)),
            ("UncontrolledFlowThreshold", u(61_680)),
            ("FlowStabilisationPeriod", u(60)),
            ("FlowMeasurementPeriod", u(300)),
        ]
    );
}

/// 6.5 and 6.25 to the RTDS electricity meter, the RTDS templates: the network operator's
/// voltage settings (poly-phase, to this single-phase meter: its phase taken, the other two's
/// objects answered undefined) are what the supplier's 6.2.1 then reads; the supplier's supply
/// tamper state (critical: Transform, sign, Send) is what 6.2.4 reads; phases out of order and
/// a tamper state the schema does not have are refused saying so.
#[test]
fn voltage_settings_and_tamper_state_set_are_read_back() {
    use dccsim::protocol::dlms::Data;
    let (mut he, keys, start) = default_head_end();
    let (supplier, network) = (eui(SUPPLIER), eui(NETWORK));
    let poly = template("ECS29b_6.5_SUCCESS_REQUEST_DUIS.XML").replace(">287<", ">281<");
    let answer = acknowledged_then_answered(&mut he, network, &poly, start);
    assert_eq!(
        decode_dlms(&answer, None).unwrap(),
        Reading::Outcome {
            success: false,
            code: 4
        }
    );
    let read =
        |he: &mut HeadEnd, name: &str, counter| settings_read(he, supplier, name, counter, start);
    let voltage = read(&mut he, "ECS26b_6.2.1_SUCCESS_REQUEST_DUIS.XML", 2010);
    let expected = [281, 30, 180, 30, 216, 30, 253, 30, 264, 200];
    assert_eq!(voltage, expected.map(Data::DoubleLongUnsigned).to_vec());
    let unlocked =
        template("ECS81_6.25_SUCCESS_REQUEST_DUIS.XML").replace(">Locked<", ">Unchanged<");
    let answer = transform_sign_send(&mut he, &keys, &unlocked, 2020, start);
    assert_eq!(
        decode_dlms(&answer, None).unwrap(),
        Reading::Outcome {
            success: true,
            code: 0
        }
    );
    let identity = read(&mut he, "ECS26e_6.2.4_SUCCESS_REQUEST_DUIS.XML", 2030);
    assert_eq!(identity[4], Data::Boolean(0));
    let refused = |he: &mut HeadEnd, user, endpoint, xml: String, counter, why: &str| {
        let reason = refused_e11(he, user, endpoint, &xml, counter, start);
        assert!(reason.contains(why), "{reason}");
    };
    let swapped = poly
        .replacen("<sr:Phase>2</sr:Phase>", "<sr:Phase>X</sr:Phase>", 1)
        .replacen("<sr:Phase>3</sr:Phase>", "<sr:Phase>2</sr:Phase>", 1)
        .replacen("<sr:Phase>X</sr:Phase>", "<sr:Phase>3</sr:Phase>", 1);
    refused(
        &mut he,
        network,
        Endpoint::SendCommand,
        swapped,
        2040,
        "sr:PolyPhaseVoltageSettings number 2 is for sr:Phase 3",
    );
    let open = unlocked.replace(">Unchanged<", ">Open<");
    refused(
        &mut he,
        supplier,
        Endpoint::Transform,
        open,
        2050,
        "sr:SupplyTamperState \"Open\" is not Locked or Unchanged",
    );
    assert!(he.poll_deliveries(start + Duration::minutes(5)).is_empty());
}

/// 6.4.1 and 6.4.2 to the RTDS electricity meter, the RTDS templates: load limiting settings
/// set at once are what 4.15 reads, whose count (half-hours above the threshold) a 6.4.2 resets;
/// settings for an hour ahead are held — 4.15 reads the old ones until then — and taken up on
/// time, the meter's four 8F66 alerts telling the supplier; held ones a cancellation
/// (3000-12-31) removes send none.
#[test]
fn load_limiting_settings_are_taken_up_at_once_on_time_or_not_at_all() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::dlms::Data;
    let (mut he, keys, start) = default_head_end();
    let supplier = eui(SUPPLIER);
    let read = |he: &mut HeadEnd, counter, at| {
        settings_read(
            he,
            supplier,
            "ECS27_4.15_SUCCESS_REQUEST_DUIS.XML",
            counter,
            at,
        )
    };
    let done = Reading::Outcome {
        success: true,
        code: 0,
    };
    let low =
        template("ECS28a_6.4.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML").replace(">6900<", ">250<");
    let answer = transform_sign_send(&mut he, &keys, &low, 2000, start);
    assert_eq!(decode_dlms(&answer, None).unwrap(), done);
    let values = read(&mut he, 2010, start);
    assert_eq!(values[0], Data::Boolean(0xFF), "Disable");
    let Data::DoubleLongUnsigned(count) = values[1] else {
        panic!("{values:?}")
    };
    assert!(count > 0, "half-hours above 250 W since installation");
    assert_eq!(values[3..], [250, 300, 30].map(Data::DoubleLongUnsigned));
    let reset = with_counter(&template("ECS28b_6.4.2_SUCCESS_REQUEST_DUIS.XML"), 2020);
    let answer = acknowledged_then_answered(&mut he, supplier, &reset, start);
    assert_eq!(decode_dlms(&answer, None).unwrap(), done);
    assert_eq!(read(&mut he, 2030, start)[1], Data::DoubleLongUnsigned(0));
    // For an hour ahead: held, then taken up.
    let in_an_hour = |name: &str| {
        template(name)
            .replace("2030-01-15T09:00:00.00Z", "2026-11-23T11:00:00Z")
            .replace(">6900<", ">7200<")
    };
    let held = in_an_hour("ECS28a_6.4.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML");
    transform_sign_send(&mut he, &keys, &held, 2040, start);
    assert_eq!(read(&mut he, 2050, start)[3], Data::DoubleLongUnsigned(250));
    // A payment mode change held for half an hour later too: the meter holds both.
    let credit = template("ECS02_1.6_FUTURE_DATED_TWIN_SUCCESS_REQUEST_DUIS.XML")
        .replace("2030-01-15T09:00:00.00Z", "2026-11-23T11:30:00Z");
    transform_sign_send(&mut he, &keys, &credit, 2055, start);
    assert!(he.poll_deliveries(start + Duration::minutes(59)).is_empty());
    let alerts = he.poll_deliveries(start + Duration::minutes(61));
    assert_eq!(alerts.len(), 4);
    let mut named = Vec::new();
    for alert in &alerts {
        assert_eq!(alert.user, defaults::SUPPLIER);
        schema_valid(&alert.xml).unwrap();
        let gbcs = GbcsMessage::decode(&gbcs_of(&alert.xml)).unwrap();
        assert_eq!(verify_signature(&keys, &gbcs), Verdict::Valid);
        let Reading::Alert {
            code: 0x8F66,
            at,
            future_dated: Some(f),
            ..
        } = decode_dlms(&gbcs, None).unwrap()
        else {
            panic!("{}", alert.xml)
        };
        assert_eq!(at, Some(start + Duration::hours(1)));
        assert_eq!((f.message_code, f.originator_counter), (0x0043, 2040));
        named.push(f.instance.to_string());
    }
    named.sort();
    assert_eq!(
        named,
        [
            "0-0:94.44.0.3",
            "0-0:94.44.128.6",
            "0-0:94.44.128.7",
            "0-0:94.44.128.8"
        ]
    );
    let mode = he.poll_deliveries(start + Duration::minutes(91));
    assert_eq!(
        mode.len(),
        1,
        "the payment mode change's 8F66, on its own time"
    );
    assert!(mode[0].xml.contains("<sr:AlertCode>8F66</sr:AlertCode>"));
    assert_eq!(
        he.meter(eui("00-DB-12-34-56-78-90-A0")).unwrap().payment,
        dccsim::device::PaymentMode::Credit
    );
    let later = start + Duration::minutes(92);
    let values = read(&mut he, 2060, later);
    assert_eq!(values[0], Data::Boolean(0), "Unchanged");
    assert_eq!(values[3..], [7200, 300, 30].map(Data::DoubleLongUnsigned));
    // Held again, then cancelled: nothing taken up, no alert.
    let again = in_an_hour("ECS28a_6.4.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML")
        .replace("2026-11-23T11:00:00Z", "2026-11-23T12:00:00Z")
        .replace(">7200<", ">9000<");
    transform_sign_send(&mut he, &keys, &again, 2070, later);
    let cancel = template("ECS28a_6.4.1_CANCELLATION_SUCCESS_REQUEST_DUIS.XML");
    transform_sign_send(&mut he, &keys, &cancel, 2080, later);
    assert!(he.poll_deliveries(start + Duration::hours(3)).is_empty());
    let values = read(&mut he, 2090, start + Duration::hours(3));
    assert_eq!(values[3], Data::DoubleLongUnsigned(7200));
    // Values the schema or the meter's clock do not have are refused at Transform, saying so.
    for (counter, from, to, why) in [
        (
            3000,
            ">Unchanged<",
            ">Off<",
            "sr:LoadLimitSupplyState \"Off\" is not Disable or Unchanged",
        ),
        (
            3010,
            ">300<",
            ">-300<",
            "sr:LoadLimitPeriod \"-300\" is not a whole number from 0 to 4294967295",
        ),
        (
            3020,
            "2030-01-15T09:00:00.00Z",
            "2200-01-01T00:00:00Z",
            "is outside the meters' clock",
        ),
    ] {
        let xml = template("ECS28a_6.4.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML").replace(from, to);
        let transform = Endpoint::Transform;
        let reason = refused_e11(&mut he, supplier, transform, &xml, counter, start);
        assert!(reason.contains(why), "{reason}");
    }
}

/// 1.1 and 1.2 to the RTDS electricity meter, the RTDS templates (ECS01a–d): a TOU tariff
/// taken up at once is the meter's; a hybrid one for an hour ahead is held and taken up on
/// time with the meter's six 8F66 alerts, while a secondary element price update held with it
/// waits for its own time; 4.11.1 and 4.11.2 read back what the meter runs; a held update a cancellation removes sends none; values the schema
/// or the request itself do not allow are refused at Transform, naming them.
#[test]
fn tariffs_are_taken_up_at_once_on_time_or_not_at_all() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::payload::{ECS24, ECS24B, TariffAction};
    let (mut he, keys, start) = default_head_end();
    let supplier = eui(SUPPLIER);
    let meter = eui("00-DB-12-34-56-78-90-A0");
    let done = Reading::Outcome {
        success: true,
        code: 0,
    };
    let tou = template("ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML");
    let answer = transform_sign_send(&mut he, &keys, &tou, 2000, start);
    assert_eq!(decode_dlms(&answer, None).unwrap(), done);
    let tariffs = he.meter(meter).unwrap().tariffs();
    let prices = &tariffs.primary_prices;
    assert_eq!(prices.tou[..4], [2121, 3127, 4744, 0]);
    assert_eq!((prices.standing_charge, prices.price_scale), (20000, -5));
    let switching = &tariffs.primary;
    assert!(tariffs.gbp);
    assert_eq!(tariffs.thresholds, vec![vec![u32::MAX]; 8]);
    assert_eq!(switching.seasons[1].name, "summer");
    assert_eq!(switching.weeks[0].days, [1, 1, 1, 1, 1, 3, 3]);
    assert_eq!(
        switching.days[1].switches,
        [
            ([6, 0, 0, 0], TariffAction::Tou(3)),
            ([23, 0, 0, 0], TariffAction::Tou(2))
        ]
    );
    assert_eq!(switching.special_days[1], ([0xFF, 0xFF, 12, 25, 0xFF], 3));
    // 4.11.1 reads back what the meter runs.
    let name = "ECS24_4.11.1_SUCCESS_REQUEST_DUIS.XML";
    let values = settings_read(&mut he, supplier, name, 2005, start);
    assert_eq!(Some(values), tariffs.read(ECS24));
    // For an hour ahead (the hybrid tariff), and the secondary element's prices for two.
    let ahead = |name: &str, at: &str| template(name).replace("2030-01-15T09:00:00.00Z", at);
    let hybrid = ahead(
        "ECS01a_1.1.1_FUTURE_DATED_TOU_BLOCK_SUCCESS_REQUEST_DUIS.XML",
        "2026-11-23T11:00:00Z",
    );
    transform_sign_send(&mut he, &keys, &hybrid, 2010, start);
    let secondary = ahead(
        "ECS01d_1.2.2_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML",
        "2026-11-23T12:00:00Z",
    );
    transform_sign_send(&mut he, &keys, &secondary, 2020, start);
    assert_eq!(
        he.meter(meter).unwrap().tariffs(),
        tariffs,
        "held, not taken up"
    );
    assert!(he.poll_deliveries(start + Duration::minutes(59)).is_empty());
    let alerts = he.poll_deliveries(start + Duration::minutes(61));
    let mut named = Vec::new();
    for alert in &alerts {
        assert_eq!(alert.user, defaults::SUPPLIER);
        schema_valid(&alert.xml).unwrap();
        let gbcs = GbcsMessage::decode(&gbcs_of(&alert.xml)).unwrap();
        assert_eq!(verify_signature(&keys, &gbcs), Verdict::Valid);
        let Reading::Alert {
            code: 0x8F66,
            at,
            future_dated: Some(f),
            ..
        } = decode_dlms(&gbcs, None).unwrap()
        else {
            panic!("{}", alert.xml)
        };
        assert_eq!(at, Some(start + Duration::hours(1)));
        assert_eq!((f.message_code, f.originator_counter), (0x0019, 2010));
        named.push(format!("{} {}", f.instance, f.attribute));
    }
    named.sort();
    assert_eq!(
        named,
        [
            "0-0:13.0.0.255 10",
            "0-0:19.20.0.255 7",
            "0-0:19.20.4.255 7",
            "0-0:63.1.1.255 6",
            "0-0:94.44.128.29 6",
            "0-0:94.44.2.0 6",
        ]
    );
    let taken = he.meter(meter).unwrap().tariffs();
    let prices = &taken.primary_prices;
    assert_eq!(prices.blocks[0], [2289, 3546, 0, 0]);
    assert_eq!(prices.blocks[1], [4002, 6969, 0, 0]);
    assert_eq!(taken.thresholds[1], [40000, u32::MAX]);
    assert_eq!(
        taken.secondary_prices, tariffs.secondary_prices,
        "the secondary's time is not yet"
    );
    let secondary_alerts = he.poll_deliveries(start + Duration::minutes(121));
    assert_eq!(secondary_alerts.len(), 1);
    let secondary = he.meter(meter).unwrap().tariffs().secondary_prices;
    assert_eq!(secondary.tou, [1010, 1120, 1230, 1340]);
    let name = "ECS24b_4.11.2_SUCCESS_REQUEST_DUIS.XML";
    let values = settings_read(
        &mut he,
        supplier,
        name,
        2025,
        start + Duration::minutes(121),
    );
    let tariffs = he.meter(meter).unwrap().tariffs();
    assert_eq!(Some(values), tariffs.read(ECS24B));
    // Held again, then cancelled: nothing taken up, no alert.
    let later = start + Duration::hours(3);
    let again = ahead(
        "ECS01b_1.2.1_FUTURE_DATED_TOU_BLOCK_SUCCESS_REQUEST_DUIS.XML",
        "2026-11-23T14:00:00Z",
    )
    .replace(">2121<", ">9999<");
    transform_sign_send(&mut he, &keys, &again, 2030, later);
    let cancel = template("ECS01b_1.2.1_CANCELLATION_TOU_BLOCK_SUCCESS_REQUEST_DUIS.XML");
    transform_sign_send(&mut he, &keys, &cancel, 2040, later);
    assert!(he.poll_deliveries(start + Duration::hours(5)).is_empty());
    let prices = he.meter(meter).unwrap().tariffs().primary_prices;
    assert_eq!(prices.tou[0], 2121);
    // What the schema or the request itself does not allow is refused at Transform.
    let name = "ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML";
    for (counter, from, to, why) in [
        (
            3000,
            "<sr:TOUTariffAction>3</sr:TOUTariffAction>",
            "<sr:TOUTariffAction>49</sr:TOUTariffAction>",
            "sr:TOUTariffAction \"49\" is not a whole number from 1 to 48",
        ),
        (
            3010,
            "<sr:ReferencedDayName index=\"7\">3</sr:ReferencedDayName>",
            "<sr:ReferencedDayName index=\"7\">9</sr:ReferencedDayName>",
            "sr:ReferencedDayName 9 names no sr:DayProfile",
        ),
        (
            3020,
            "<sr:TOUPrice index=\"2\">",
            "<sr:TOUPrice index=\"1\">",
            "sr:TOUTariff has two sr:TOUPrice with index 1",
        ),
        (
            3030,
            "<sr:TOUPrice index=\"3\">",
            "<sr:TOUPrice>",
            "sr:TOUPrice needs an index attribute from 1 to 48",
        ),
        (
            3040,
            ">4744<",
            ">40000<",
            "sr:TOUPrice \"40000\" is not a whole number from -32768 to 32767",
        ),
        (
            3050,
            ">GBP<",
            ">USD<",
            "sr:CurrencyUnits \"USD\" is not GBP or ECB",
        ),
    ] {
        let xml = template(name);
        assert!(xml.contains(from), "{from}");
        let xml = xml.replacen(from, to, 1);
        let transform = Endpoint::Transform;
        let reason = refused_e11(&mut he, supplier, transform, &xml, counter, start);
        assert!(reason.contains(why), "{reason}");
    }
}

/// 2.1 to the RTDS electricity meter, the RTDS templates (ECS08a): a configuration for an hour
/// ahead is held — 4.13 reads the meter's own until then — and taken up on time with the
/// meter's nine 8F66 alerts; one set at once is what 4.13 then reads, non-disablement calendar
/// and special days included, and its emergency credit threshold is the one a 2.5 (ECS09) is
/// then offered below; values the schema does not have are refused at Transform.
#[test]
fn a_prepayment_configuration_is_taken_up_and_read_back() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::dlms::Data;
    let (mut he, keys, start) = default_head_end();
    let supplier = eui(SUPPLIER);
    let read = |he: &mut HeadEnd, counter, at| {
        let name = "ECS26a_4.13_SINGLE_SUCCESS_REQUEST_DUIS.XML";
        let xml = with_counter(&template(name), counter);
        let answer = acknowledged_then_answered(he, supplier, &xml, at);
        let Reading::Settings { values } = decode_dlms(&answer, None).unwrap() else {
            panic!()
        };
        values
    };
    let value = |values: &[dccsim::protocol::gbcs::payload::SettingValue], name: &str| {
        values
            .iter()
            .find(|v| v.name.starts_with(name))
            .unwrap_or_else(|| panic!("{name}"))
            .value
            .clone()
    };
    let done = Reading::Outcome {
        success: true,
        code: 0,
    };
    let held = template("ECS08a_2.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML")
        .replace("2030-01-15T09:00:00.00Z", "2026-11-23T11:00:00Z");
    let answer = transform_sign_send(&mut he, &keys, &held, 2000, start);
    assert_eq!(decode_dlms(&answer, None).unwrap(), done);
    let own = read(&mut he, 2010, start);
    assert_eq!(
        value(&own, "EmergencyCreditLimit"),
        Data::DoubleLong(2_500_000)
    );
    assert!(he.poll_deliveries(start + Duration::minutes(59)).is_empty());
    let alerts = he.poll_deliveries(start + Duration::minutes(61));
    assert_eq!(alerts.len(), 9);
    for alert in &alerts {
        assert_eq!(alert.user, defaults::SUPPLIER);
        assert!(alert.xml.contains("<sr:AlertCode>8F66</sr:AlertCode>"));
        schema_valid(&alert.xml).unwrap();
    }
    let later = start + Duration::minutes(62);
    let taken = read(&mut he, 2020, later);
    // The template's: £3 of emergency credit below £1, a £2 low credit threshold, £50 and £10
    // maximum balance and credit threshold, a cap of 30, its five special days.
    for (name, expected) in [
        ("EmergencyCreditLimit", Data::DoubleLong(300_000)),
        ("EmergencyCreditThreshold", Data::DoubleLong(100_000)),
        ("LowCreditThreshold", Data::DoubleLong(200_000)),
        ("MaxCreditMaxMeterBalance", Data::DoubleLong(5_000_000)),
        ("CreditMaxCreditThreshold", Data::DoubleLong(1_000_000)),
        ("DebtRecoveryRateCap amount", Data::LongUnsigned(30)),
    ] {
        assert_eq!(value(&taken, name), expected, "{name}");
    }
    let Data::Array(days) = value(&taken, "NonDisablementCalendar special days") else {
        panic!()
    };
    assert_eq!(days.len(), 5);
    let Data::Array(entries) = value(&taken, "NonDisablementCalendar schedule") else {
        panic!()
    };
    assert_eq!(entries.len(), 16);
    // Above the £1 threshold, emergency credit is refused.
    let emergency = template("ECS09_2.5_SUCCESS_REQUEST_DUIS.XML");
    let answer = transform_sign_send(&mut he, &keys, &emergency, 2025, later);
    let Reading::Outcome { success: false, .. } = decode_dlms(&answer, None).unwrap() else {
        panic!("refused above the threshold")
    };
    // At once: a £40 emergency credit threshold, then offered to the meter (£40 below it).
    let now = template("ECS08a_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML").replace(
        ">100000</sr:EmergencyCreditThreshold>",
        ">4000000</sr:EmergencyCreditThreshold>",
    );
    transform_sign_send(&mut he, &keys, &now, 2030, later);
    let values = read(&mut he, 2040, later);
    assert_eq!(
        value(&values, "EmergencyCreditThreshold"),
        Data::DoubleLong(4_000_000)
    );
    let balance = he
        .meter(eui("00-DB-12-34-56-78-90-A0"))
        .unwrap()
        .credit_milli_pence(dccsim::device::period_of(later));
    assert!((100_000..4_000_000).contains(&balance), "{balance}");
    let answer = transform_sign_send(
        &mut he,
        &keys,
        &template("ECS09_2.5_SUCCESS_REQUEST_DUIS.XML"),
        2050,
        later,
    );
    assert_eq!(
        decode_dlms(&answer, None).unwrap(),
        done,
        "offered below £40"
    );
    // Refused at Transform, saying what.
    for (counter, from, to, why) in [
        (
            3000,
            "<sr:NonDisablementScript>START<",
            "<sr:NonDisablementScript>GO<",
            "sr:NonDisablementScript \"GO\" is not START or STOP",
        ),
        (
            3010,
            "<sr:SpecialDayID>5<",
            "<sr:SpecialDayID>6<",
            "sr:SpecialDayID \"6\" names none of the 5 special days",
        ),
        (
            3020,
            "<sr:StartDate>2014-10-27Z<",
            "<sr:StartDate>2014-13-27Z<",
            "sr:StartDate \"2014-13-27Z\" is not an xs:date",
        ),
        (
            3030,
            "<sr:EmergencyCreditLimit>300000<",
            "<sr:EmergencyCreditLimit>3000000000<",
            "sr:EmergencyCreditLimit \"3000000000\" is not a whole number",
        ),
    ] {
        let xml = template("ECS08a_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML").replacen(from, to, 1);
        assert!(xml.contains(to), "{from}");
        let transform = Endpoint::Transform;
        let reason = refused_e11(&mut he, supplier, transform, &xml, counter, later);
        assert!(reason.contains(why), "{reason}");
    }
}

/// 2.3 to the RTDS electricity meter, the RTDS template (critical: Transform, sign, Send): the
/// meter takes the debts; a period or rate the schema does not have is refused saying so.
#[test]
fn a_debt_update_is_carried_and_bad_values_refused() {
    let (mut he, keys, start) = default_head_end();
    let supplier = eui(SUPPLIER);
    let debt = template("ECS07_2.3_SUCCESS_REQUEST_DUIS.XML");
    let answer = transform_sign_send(&mut he, &keys, &debt, 2000, start);
    assert_eq!(
        decode_dlms(&answer, None).unwrap(),
        Reading::Outcome {
            success: true,
            code: 0
        }
    );
    let meter = he.meter(eui("00-DB-12-34-56-78-90-A0")).unwrap();
    assert_eq!(meter.debt().time_debts, [30_000, 15_000]);
    assert_eq!(meter.debt().payment_debt, 50_000);
    for (counter, from, to, why) in [
        (
            3000,
            ">DAILY<",
            ">WEEKLY<",
            "sr:DebtRecoveryRatePeriod \"WEEKLY\" is not HOURLY or DAILY",
        ),
        (
            3010,
            "<sr:DebtRecoveryRate>3<",
            "<sr:DebtRecoveryRate>40000<",
            "sr:DebtRecoveryRate \"40000\" is not a whole number from -32768 to 32767",
        ),
    ] {
        let xml = debt.replacen(from, to, 1);
        let transform = Endpoint::Transform;
        let reason = refused_e11(&mut he, supplier, transform, &xml, counter, start);
        assert!(reason.contains(why), "{reason}");
    }
}

/// The auxiliary loads of the RTDS electricity meter, by the RTDS templates: 7.5 (critical:
/// Transform, sign, Send) turns switch 1 on, which 7.7 and 7.15 then read; 6.14.1's labels are
/// what 7.14 reads; 7.10 takes every load off the boost button, as 7.11 reads. Values the
/// schema refuses are refused at once, saying why, and nothing is sent.
#[test]
fn auxiliary_loads_are_commanded_and_read_back() {
    use dccsim::protocol::dlms::Data;
    let (mut he, keys, start) = default_head_end();
    let supplier = eui(SUPPLIER);
    let done = Reading::Outcome {
        success: true,
        code: 0,
    };
    let activate = template("ECS47Activate_7.5_SUCCESS_REQUEST_DUIS.XML");
    let answer = transform_sign_send(&mut he, &keys, &activate, 3000, start);
    assert_eq!(decode_dlms(&answer, None).unwrap(), done);
    let switches = settings_read(
        &mut he,
        supplier,
        "ECS61a_7.7_ALL_OPTIONALS_SUCCESS_REQUEST_DUIS.XML",
        3010,
        start,
    );
    let on = Data::Boolean(0xFF);
    let off = Data::Boolean(0);
    assert_eq!(
        switches[12..],
        [on, off.clone(), off.clone(), off.clone(), off]
    );
    let operation = settings_read(
        &mut he,
        supplier,
        "ECS61e_7.15_SUCCESS_REQUEST_DUIS.XML",
        3020,
        start,
    );
    let state = br#"{"outputState": 100, "inputState": 0}"#.to_vec();
    assert_eq!(operation[5], Data::Utf8String(state));
    let labels = template("ECS46a_6.14.1_SOME_OPTIONALS_SUCCESS_REQUEST_DUIS.XML");
    let answer = transform_sign_send(&mut he, &keys, &labels, 3030, start);
    assert_eq!(decode_dlms(&answer, None).unwrap(), done);
    let configuration = settings_read(
        &mut he,
        supplier,
        "ECS61d_7.14_SUCCESS_REQUEST_DUIS.XML",
        3040,
        start,
    );
    let text = |s: &str| Data::VisibleString(s.as_bytes().to_vec());
    assert_eq!(
        configuration[..5],
        [
            text("ALCS_1_Description"),
            text("Label2"),
            text("Label3"),
            text("Label4"),
            text("ALCS_5_Description")
        ]
    );
    let remove = with_counter(&template("ECS62Remove_7.10_SUCCESS_REQUEST_DUIS.XML"), 3050);
    let answer = acknowledged_then_answered(&mut he, supplier, &remove, start);
    assert_eq!(decode_dlms(&answer, None).unwrap(), done);
    let details = with_counter(&template("ECS61c_7.11_SUCCESS_REQUEST_DUIS.XML"), 3060);
    let answer = acknowledged_then_answered(&mut he, supplier, &details, start);
    let Reading::BoostButton { on_boost, .. } = decode_dlms(&answer, None).unwrap() else {
        panic!()
    };
    assert_eq!(on_boost, [false; 5]);
    // Refused at Transform (the critical ones) or at once, nothing sent.
    let mut counter = 3100;
    let mut refused = |name: &str, from: &str, to: &str, endpoint, why: &str| {
        counter += 10;
        let xml = template(name).replace(from, to);
        assert!(xml.contains(to), "{name}: {from:?} not in the template");
        let reason = refused_e11(&mut he, supplier, endpoint, &xml, counter, start);
        assert!(reason.contains(why), "{name}: {reason}");
        assert!(he.poll_deliveries(start + Duration::minutes(5)).is_empty());
    };
    refused(
        "ECS47Activate_7.5_SUCCESS_REQUEST_DUIS.XML",
        "index=\"1\"",
        "index=\"6\"",
        Endpoint::Transform,
        "sr:ActivateALCSHCALCS needs an index attribute from 1 to 5, not \"6\"",
    );
    refused(
        "ECS47a_7.13_APC_INPUT_SUCCESS_REQUEST_DUIS.XML",
        "<sr:EndDateTime>2015-01-03T01:00:00.00Z",
        "<sr:EndDateTime>2015-01-02T01:00:00.00Z",
        Endpoint::Transform,
        "sr:EndDateTime 2015-01-02 01:00:00 UTC is not after its sr:StartDateTime",
    );
    refused(
        "ECS47a_7.13_APC_INPUT_SUCCESS_REQUEST_DUIS.XML",
        "auxiliaryControllerN=\"3\"",
        "auxiliaryControllerN=\"0\"",
        Endpoint::Transform,
        "needs an auxiliaryControllerN attribute from 1 to 5",
    );
    refused(
        "ECS47a_7.13_APC_INPUT_SUCCESS_REQUEST_DUIS.XML",
        ">50<",
        ">101<",
        Endpoint::Transform,
        "sr:CommandedStateLevel \"101\" is not a whole number from 0 to 100",
    );
    refused(
        "ECS46a_6.14.1_SOME_OPTIONALS_SUCCESS_REQUEST_DUIS.XML",
        ">Label2<",
        ">Label two is far too long<",
        Endpoint::Transform,
        "is not 1 to 22 printable ASCII characters",
    );
    refused(
        "ECS62Add_7.9_SUCCESS_REQUEST_DUIS.XML",
        "index=\"5\"",
        "index=\"4\"",
        Endpoint::SendCommand,
        "sr:AddToBoostButton index 4 is given twice",
    );
}

/// The ALCS event log by the RTDS templates: the supplier's 6.13 goes to the meter as ECS35f,
/// the network operator's as ECS35g, and each reads the 7.5 logged; 3.3 (`ALCS`) clears it.
#[test]
fn the_alcs_event_log_is_read_by_supplier_and_network_operator_and_cleared() {
    let (mut he, keys, start) = default_head_end();
    let activate = template("ECS47Activate_7.5_SUCCESS_REQUEST_DUIS.XML");
    transform_sign_send(&mut he, &keys, &activate, 6000, start);
    // The templates' period is 2014's: the log is read from the start of today.
    let today = |xml: &str| {
        xml.replace("2014-12-15T00:00:00.00Z", "2026-11-23T00:00:00.00Z")
            .replace("2015-01-01T00:00:00.00Z", "2026-11-24T00:00:00.00Z")
    };
    for (name, counter, code) in [
        ("ECS35f_6.13_SUCCESS_REQUEST_DUIS.XML", 6010, 0x00BA),
        ("ECS35g_6.13_SUCCESS_REQUEST_DUIS.XML", 6020, 0x00FD),
    ] {
        let xml = with_counter(&today(&template(name)), counter);
        assert!(xml.contains("2026-11-23T00:00:00.00Z"), "{name}");
        let user = Request::parse(&xml).unwrap().id.originator;
        let answer = acknowledged_then_answered(&mut he, user, &xml, start);
        assert_eq!(answer.message_code(), Some(code), "{name}");
        let Reading::AlcsEventLog { events } = decode_dlms(&answer, None).unwrap() else {
            panic!("{name}")
        };
        assert_eq!(events.len(), 1, "{name}: {events:?}");
        assert_eq!((events[0].code, events[0].status), (0x0111, 1));
    }
    let clear = with_counter(&template("ECS15c_3.3_SUCCESS_REQUEST_DUIS.XML"), 6030);
    let answer = acknowledged_then_answered(&mut he, eui(SUPPLIER), &clear, start);
    assert_eq!(
        decode_dlms(&answer, None).unwrap(),
        Reading::Outcome {
            success: true,
            code: 0
        }
    );
}

/// 6.14.2 and 6.14.3 to the RTDS electricity meter, the RTDS templates (critical: Transform,
/// sign, Send): the calendar and HAN ids taken up at once are what 7.7 reads; a special day an
/// entry names that the request does not give, an HCALCS id that is not an EUI-64 or more
/// entries than the schema allows are refused at Transform, saying why.
#[test]
fn auxiliary_load_calendars_are_taken_up_and_read_back() {
    use dccsim::protocol::dlms::Data;
    use dccsim::protocol::gbcs::payload::{auxiliary_schedule_data, special_days_data};
    let (mut he, keys, start) = default_head_end();
    let supplier = eui(SUPPLIER);
    let switches = template("ECS46c_6.14.2_IMMEDIATE_SOME_OPTIONALS_SUCCESS_REQUEST_DUIS.XML");
    let answer = transform_sign_send(&mut he, &keys, &switches, 4000, start);
    let done = Reading::Outcome {
        success: true,
        code: 0,
    };
    assert_eq!(decode_dlms(&answer, None).unwrap(), done);
    // What the command carried, as the meter decoded it.
    let sent = Request::parse(&with_counter(&switches, 4000)).unwrap();
    let Some((_, Reading::AuxiliaryCalendar { calendar, .. })) = sent.esme_command().unwrap()
    else {
        panic!()
    };
    let read = settings_read(
        &mut he,
        supplier,
        "ECS61a_7.7_ALL_OPTIONALS_SUCCESS_REQUEST_DUIS.XML",
        4010,
        start,
    );
    assert_eq!(
        read[6],
        Data::OctetString(vec![0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0x97])
    );
    assert_eq!(read[10], special_days_data(&calendar.special_days));
    assert_eq!(read[11], auxiliary_schedule_data(&calendar.entries, 4));
    assert_eq!(calendar.entries.len(), 6);
    let controllers = template("ECS46d_6.14.3_IMMEDIATE_APC_INPUT_SUCCESS_REQUEST_DUIS.XML");
    let answer = transform_sign_send(&mut he, &keys, &controllers, 4020, start);
    assert_eq!(decode_dlms(&answer, None).unwrap(), done);
    let read = settings_read(
        &mut he,
        supplier,
        "ECS61d_7.14_SUCCESS_REQUEST_DUIS.XML",
        4030,
        start,
    );
    let Data::Array(entries) = &read[6] else {
        panic!("{:?}", read[6])
    };
    assert_eq!(entries.len(), 10);
    let mut counter = 4100;
    let mut refused = |name: &str, from: &str, to: &str, why: &str| {
        counter += 10;
        let xml = template(name).replacen(from, to, 1);
        assert!(xml.contains(to), "{name}: {from:?} not in the template");
        let reason = refused_e11(&mut he, supplier, Endpoint::Transform, &xml, counter, start);
        assert!(reason.contains(why), "{name}: {reason}");
        assert!(he.poll_deliveries(start + Duration::minutes(5)).is_empty());
    };
    refused(
        "ECS46d_6.14.3_IMMEDIATE_APC_INPUT_SUCCESS_REQUEST_DUIS.XML",
        "<sr:SpecialDaysApplicability identifier=\"2\"/>",
        "<sr:SpecialDaysApplicability identifier=\"9\"/>",
        "sr:SpecialDaysApplicability 9 names none of the special days given",
    );
    refused(
        "ECS46c_6.14.2_IMMEDIATE_SOME_OPTIONALS_SUCCESS_REQUEST_DUIS.XML",
        "00-DB-12-34-56-78-90-97",
        "00-DB-12-34-56-78-90",
        "sr:HCALCS \"00-DB-12-34-56-78-90\"",
    );
    let entry_start = "<sr:ALCSHCALCSConnectionSchedule>";
    let xml = template("ECS46c_6.14.2_IMMEDIATE_SOME_OPTIONALS_SUCCESS_REQUEST_DUIS.XML");
    let first = &xml[xml.find(entry_start).unwrap()..];
    let entry = &first[..first.find("</sr:ALCSHCALCSConnectionSchedule>").unwrap() + 35];
    refused(
        "ECS46c_6.14.2_IMMEDIATE_SOME_OPTIONALS_SUCCESS_REQUEST_DUIS.XML",
        entry,
        &entry.repeat(49),
        "has 54 sr:ALCSHCALCSConnectionSchedule, more than 48",
    );
}

/// 6.28's DUIS template becomes the RTDS's own sub-GHz configuration (channels 1 and 2 of each
/// page; thresholds in hundredths), and the hub reads it back (6.30); a threshold past the
/// schema's bounds is refused at once, saying why, and nothing is sent.
#[test]
fn a_sub_ghz_configuration_is_the_rtds_command_and_read_back() {
    let (mut he, _keys, start) = default_head_end();
    let supplier = eui(SUPPLIER);
    let xml = with_counter(&template("DBCH04_6.28_SUCCESS_REQUEST_DUIS.XML"), 5000);
    let request = Request::parse(&xml).unwrap();
    let Some((code, dccsim::headend::HubCommand::Dlms(reading))) = request.hub_command().unwrap()
    else {
        panic!()
    };
    let rtds = std::fs::read_to_string(
        reference().join("gbcs-rtds/RTDS-4.5.0/6.28_DBCH04/DBCH04_6.28_SUCCESS_COMMAND_GBCS.HEX"),
    )
    .unwrap();
    let rtds = GbcsMessage::decode(&dccsim::protocol::gbcs::parse_hex(&rtds).unwrap()).unwrap();
    assert_eq!(code, 0x010D);
    assert_eq!(reading, decode_dlms(&rtds, None).unwrap());
    let answer = acknowledged_then_answered(&mut he, supplier, &xml, start);
    assert_eq!(
        decode_dlms(&answer, None).unwrap(),
        Reading::Outcome {
            success: true,
            code: 0
        }
    );
    let read = settings_read(
        &mut he,
        supplier,
        "DBCH03_6.30_SUCCESS_REQUEST_DUIS.XML",
        5010,
        start,
    );
    let Reading::SubGhzConfiguration(set) = reading else {
        panic!()
    };
    assert_eq!(read, [set.data()]);
    let over = template("DBCH04_6.28_SUCCESS_REQUEST_DUIS.XML").replace(">2.2<", ">2.5<");
    let reason = refused_e11(&mut he, supplier, Endpoint::SendCommand, &over, 5020, start);
    assert!(
        reason.contains("sr:LimitedCriticalDutyCycleThreshold \"2.5\" is not from 1.60 to 2.40"),
        "{reason}"
    );
    assert!(he.poll_deliveries(start + Duration::minutes(5)).is_empty());
}

#[test]
fn a_profile_read_is_acknowledged_then_answered_with_the_meters_gbcs() {
    let mut he = head_end();
    let reply = he.handle_request(
        eui(SUPPLIER),
        Endpoint::SendCommand,
        &template("ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML"),
        now(),
    );
    assert_eq!(code_of(&reply), ResponseCode::I99);
    schema_valid(xml_of(&reply)).unwrap();
    assert!(he.poll_deliveries(now()).is_empty());
    let due = he.poll_timeout().unwrap();
    assert!(due > now() && due < now() + Duration::seconds(60));
    let delivered = he.poll_deliveries(due);
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].user, eui(SUPPLIER));
    let xml = &delivered[0].xml;
    assert!(
        xml.contains("<sr:ResponseCode>I0</sr:ResponseCode>"),
        "{xml}"
    );
    schema_valid(xml).unwrap();
    let gbcs = GbcsMessage::decode(&gbcs_of(xml)).unwrap();
    let keys = keys();
    assert_eq!(
        verify_mac(&keys, &gbcs, eui("90-B3-D5-1F-30-00-00-02")),
        Verdict::Valid
    );
    let Reading::ActiveImportProfile { intervals } = decode_dlms(&gbcs, Some(&keys)).unwrap()
    else {
        panic!()
    };
    assert_eq!(intervals.len(), 49);
    assert_eq!(intervals[0].start.to_rfc3339(), "2014-12-31T00:00:00+00:00");
}

#[test]
fn replays_wrong_roles_and_wrong_urls_are_refused_without_device_traffic() {
    let mut he = head_end();
    let read = template("ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML");
    assert_eq!(
        code_of(&he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &read, now())),
        ResponseCode::I99
    );
    let replay = he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &read, now());
    assert_eq!(code_of(&replay), ResponseCode::E1);
    schema_valid(xml_of(&replay)).unwrap();
    // Sent over the network operator's connection: not its request.
    let other = read.replace(":1002<", ":1003<");
    assert_eq!(
        code_of(&he.handle_request(eui(NETWORK), Endpoint::SendCommand, &other, now())),
        ResponseCode::E1
    );
    // A network operator may not top up a meter.
    let top_up = template("CS01a_2.2_SUCCESS_REQUEST_DUIS.XML").replace(SUPPLIER, NETWORK);
    assert_eq!(
        code_of(&he.handle_request(eui(NETWORK), Endpoint::SendCommand, &top_up, now())),
        ResponseCode::E2
    );
    // A critical request sent straight to Send Command: command variant 4 is for Transform.
    let enable = template("ECS42_7.1_SUCCESS_REQUEST_DUIS.XML").replace(":1000<", ":2000<");
    assert_eq!(
        code_of(&he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &enable, now())),
        ResponseCode::E13
    );
    // Only the one accepted read reached the meter.
    assert_eq!(he.poll_deliveries(now() + Duration::hours(1)).len(), 1);
    // Not DUIS at all.
    assert!(matches!(
        he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, "<nope", now()),
        SyncReply::Invalid(_)
    ));
}

#[test]
fn a_critical_command_goes_transform_sign_send() {
    let mut he = head_end();
    let keys = keys();
    let transform = template("ECS43_7.2_SUCCESS_REQUEST_DUIS.XML").replace(":1000<", ":3000<");
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::Transform, &transform, now());
    assert_eq!(code_of(&reply), ResponseCode::I0);
    schema_valid(xml_of(&reply)).unwrap();
    // The user signs the pre-command with its own signing key (in the RTDS keystore).
    let pre = GbcsMessage::decode(&gbcs_of(xml_of(&reply))).unwrap();
    let send = signed_send(eui(METER), 3001, "7.2", pre.clone(), &keys);
    assert_eq!(
        code_of(&he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &send, now())),
        ResponseCode::I99
    );
    let delivered = he.poll_deliveries(now() + Duration::minutes(5));
    assert_eq!(delivered.len(), 1);
    let answer = GbcsMessage::decode(&gbcs_of(&delivered[0].xml)).unwrap();
    assert_eq!(verify_signature(&keys, &answer), Verdict::Valid);
    assert_eq!(
        he.meter(eui(METER)).unwrap().supply,
        dccsim::device::SupplyState::Disabled
    );
    assert!(he.take_dropped().is_empty());
    // The same pre-command sent again (a new request, the old GBCS counter): the meter drops
    // it as a replay, the user gets E21 at the WAN timeout, and the head-end says why.
    let again = signed_send(eui(METER), 3002, "7.2", pre, &keys);
    let at = now() + Duration::minutes(6);
    assert_eq!(
        code_of(&he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &again, at)),
        ResponseCode::I99
    );
    let dropped = he.take_dropped();
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert!(
        dropped[0].contains(&format!("device {METER} dropped {SUPPLIER}'s 7.2 command"))
            && dropped[0].contains("replayed or stale command: counter 3000"),
        "{dropped:?}"
    );
    let delivered = he.poll_deliveries(at + Duration::minutes(5));
    assert_eq!(delivered.len(), 1);
    assert!(
        delivered[0]
            .xml
            .contains("<sr:ResponseCode>E21</sr:ResponseCode>")
    );
}

/// A Send (command variant 5) carries the command its request names: a signed pre-command for
/// another device, from another user or of another service is refused `E12`, and nothing
/// reaches a meter.
#[test]
fn a_signed_pre_command_must_be_the_one_its_request_names() {
    let (mut he, keys, start) = default_head_end();
    let now = || start;
    let transform = template("ECS43_7.2_SUCCESS_REQUEST_DUIS.XML").replace(":1000<", ":4000<");
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::Transform, &transform, now());
    let pre = GbcsMessage::decode(&gbcs_of(xml_of(&reply))).unwrap();
    let why = |reply: &SyncReply| match reply {
        SyncReply::Response { code, why, .. } => (*code, why.clone().unwrap_or_default()),
        SyncReply::Invalid(e) => panic!("{e}"),
    };
    // Sent under a request for another of the supplier's meters.
    let day = start.date_naive();
    let another = another_meter(&he, |d| d.supplier_on(day) == Some(eui(SUPPLIER))).device;
    let send = signed_send(another, 4001, "7.2", pre.clone(), &keys);
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &send, now());
    let (code, reason) = why(&reply);
    assert_eq!(code, ResponseCode::E12, "{reason}");
    assert!(reason.contains(&format!("is for {METER}")), "{reason}");
    // Under another service.
    let send = signed_send(eui(METER), 4002, "7.1", pre.clone(), &keys);
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &send, now());
    let (code, reason) = why(&reply);
    assert_eq!(code, ResponseCode::E12, "{reason}");
    assert!(reason.contains("not one of service 7.1"), "{reason}");
    // The network operator's command, in the supplier's request.
    let mut other = pre.clone();
    other.signing.originator = eui(NETWORK);
    let send = signed_send(eui(METER), 4003, "7.2", other, &keys);
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &send, now());
    let (code, reason) = why(&reply);
    assert_eq!(code, ResponseCode::E12, "{reason}");
    assert!(reason.contains(&format!("is from {NETWORK}")), "{reason}");
    // Nothing reached a meter: their supplies are as they were, and no answer came.
    for meter in [eui(METER), another] {
        let supply = he.meter(meter).unwrap().supply;
        assert_eq!(supply, dccsim::device::SupplyState::Enabled);
    }
    let delivered = he.poll_deliveries(now() + Duration::minutes(5));
    assert!(
        delivered
            .iter()
            .all(|d| !d.xml.contains("<sr:ResponseCode>I0<"))
    );
}

/// The RTDS 4.14 URP template — the supplier's prepayment daily read log, with its key-agreement
/// certificate — is relayed: the Access Control Broker sends it, the meter answers the broker,
/// naming the supplier, and the certificate's private key (the RTDS keystore's) opens the week
/// of midnights it holds; without it the values stay sealed.
#[test]
fn a_read_with_the_users_certificate_is_relayed_and_sealed_for_that_key() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::KeyUse;
    use p256::pkcs8::DecodePrivateKey;
    let (mut he, mut keys, start) = default_head_end();
    let week = template("ECS21b_4.14_URP_SUCCESS_REQUEST_DUIS.XML")
        .replace("2014-12-25T23:30:00.00Z", "2026-11-16T00:00:00.00Z")
        .replace("2015-01-01T00:00:00.00Z", "2026-11-23T00:00:00.00Z");
    let m = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &week, start);
    assert_eq!(m.signing.recipient, defaults::ACB);
    assert_eq!(m.signing.other_information.len(), 26);
    assert_eq!(m.signing.other_information[2..10], defaults::SUPPLIER.0);
    keys.forget(defaults::SUPPLIER);
    assert!(matches!(
        decode_dlms(&m, Some(&keys)),
        Ok(Reading::Sealed { .. })
    ));
    let pem =
        std::fs::read_to_string(reference().join("gbcs-rtds/keystore/90b3d51f30010000-ka.key"))
            .unwrap();
    let mut users_keys = defaults::keys(3).unwrap();
    users_keys.insert_private(
        defaults::SUPPLIER,
        KeyUse::KeyAgreement,
        p256::SecretKey::from_pkcs8_pem(&pem).unwrap(),
    );
    let Reading::PrepaymentDailyReadLog { days } = decode_dlms(&m, Some(&users_keys)).unwrap()
    else {
        panic!()
    };
    assert_eq!(days.len(), 8, "{days:?}");
}

/// The RTDS gas templates run unchanged against the embedded default's gas meter: the head-end
/// turns each into its GBZ command (GCS13a, GCS17, GCS61), the virtual gas meter or its proxy
/// answers sealed for the supplier (4.17's relayed, for the certificate it carries), and the
/// response carries that GBCS.
#[test]
fn rtds_gas_templates_are_answered_by_the_virtual_gas_meter() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload};
    let (mut he, keys, start) = default_head_end();
    let mut readings = Vec::new();
    for name in [
        "GCS13a_4.1.1_SUCCESS_RELIABLE_GSME_REQUEST_DUIS.XML",
        "GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML",
        "GCS17_4.8.1_SUCCESS_REQUEST_DUIS.XML",
        "GCS61_4.17_SUCCESS_REQUEST_DUIS.XML",
    ] {
        let m = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &template(name), start);
        // 4.17's template carries the supplier's key-agreement certificate: the DCC relays it
        // (the Access Control Broker sends it) and the meter's answer names the supplier.
        if name.starts_with("GCS61") {
            assert_eq!(m.signing.recipient, defaults::ACB);
            assert_eq!(m.signing.other_information[2..10], defaults::SUPPLIER.0);
        }
        let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
            panic!("{name}")
        };
        let c = &components[0];
        let reading = gas_payload(c, &c.plaintext(&m, &keys).unwrap())
            .unwrap()
            .unwrap();
        readings.push(reading);
    }
    assert!(matches!(
        readings[0],
        GasPayload::Registers {
            divisor: 1000,
            unit: 1,
            ..
        }
    ));
    assert_eq!(
        readings[0], readings[1],
        "the GSME and its GPF answer from one state"
    );
    match &readings[2] {
        // 30 December 2014 to 1 January 2015: 96 half-hours.
        GasPayload::SampledData {
            interval_s: 1800,
            samples,
            ..
        } => assert_eq!(samples.len(), 96),
        other => panic!("{other:?}"),
    }
    match &readings[3] {
        // 10 to 20 December 2014: ten days.
        GasPayload::SampledData {
            sample_id: 1,
            samples,
            ..
        } => assert_eq!(samples.len(), 10),
        other => panic!("{other:?}"),
    }
    // 11.2 to the gas meter (GCS38): its firmware version, in clear, the very payload the RTDS
    // gas meter answers with.
    let read = template("GCS38_11.2_SUCCESS_REQUEST_DUIS.XML").replace(":1000<", ":1004<");
    let reply = he.handle_request(defaults::SUPPLIER, Endpoint::SendCommand, &read, start);
    assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
    let delivered = he.poll_deliveries(start + Duration::minutes(5));
    let xml = &delivered[0].xml;
    assert!(
        xml.contains("<sr:ResponseCode>I0</sr:ResponseCode>"),
        "{xml}"
    );
    schema_valid(xml).unwrap();
    let m = GbcsMessage::decode(&gbcs_of(xml)).unwrap();
    let rtds = std::fs::read_to_string(
        reference().join("gbcs-rtds/RTDS-4.5.0/11.2_GCS38/GCS38_11.2_SUCCESS_RESPONSE_GBCS.HEX"),
    )
    .unwrap();
    let rtds = GbcsMessage::decode(&dccsim::protocol::gbcs::parse_hex(&rtds).unwrap()).unwrap();
    // Byte for byte but the ZCL sequence number, which echoes the command's (the head-end
    // numbers commands by their counter: 1004 → 0xEC; the RTDS command had 0).
    let mut expected = rtds.signing.content.clone();
    expected[9] = (1004u16 & 0xFF) as u8;
    assert_eq!(m.signing.content, expected);
    assert_eq!(verify_mac(&keys, &m, defaults::ACB), Verdict::Valid);
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!()
    };
    assert_eq!(
        gas_payload(&components[0], &components[0].payload).unwrap(),
        Some(GasPayload::FirmwareVersion {
            version: "0123ABCD".into()
        })
    );
}

/// 4.18 to the gas meter (GCS60) and to its proxy (GCS60a), the RTDS templates unchanged: the
/// GBZ commands are the RTDS's but for the ZCL sequence numbers; the answers carry what this
/// month's gas has cost so far and the meter balance, in clear, and a top-up raises the balance.
#[test]
fn rtds_gas_meter_balance_templates_read_the_virtual_gas_meter() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload};
    let (mut he, keys, start) = default_head_end();
    let (gsme, gpf) = (
        eui("00-DB-12-34-56-78-90-A1"),
        eui("00-DB-12-34-56-78-90-A3"),
    );
    let meter = he.gas_meter(gsme).unwrap().clone();
    let period = dccsim::device::period_of;
    let expected = [
        GasPayload::BillToDate {
            value: meter.bill_to_date_milli_pence(start) as u32,
        },
        GasPayload::CreditRemaining {
            value: meter.credit_milli_pence(period(start)) as i32,
        },
    ];
    assert!(matches!(expected[0], GasPayload::BillToDate { value } if value > 0));
    for (name, to, code) in [
        ("GCS60_4.18_SUCCESS_REQUEST_DUIS.XML", gsme, 0x008D),
        (
            "GCS60a_4.18_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML",
            gpf,
            0x012A,
        ),
    ] {
        let m = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &template(name), start);
        assert_eq!(
            (m.signing.originator, m.message_code()),
            (to, Some(code)),
            "{name}"
        );
        assert_eq!(verify_mac(&keys, &m, defaults::ACB), Verdict::Valid);
        let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
            panic!("{name}")
        };
        let answers: Vec<_> = components
            .iter()
            .map(|c| {
                assert!(!c.encrypted(), "{name}: the balance is not sensitive");
                gas_payload(c, &c.payload).unwrap().unwrap()
            })
            .collect();
        assert_eq!(answers, expected, "{name}");
    }
    // 4.3 (GCS14, whether to the meter or its proxy): the currency in clear, then the
    // prepayment registers sealed for the supplier — the same balance, no debt.
    for (name, to, counter) in [
        ("GCS14_4.3_SUCCESS_UNRELIABLE_REQUEST_DUIS.XML", gsme, 5000),
        ("GCS14_4.3_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML", gpf, 5001),
    ] {
        let request = with_counter(&template(name), counter);
        let m = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &request, start);
        assert_eq!(
            (m.signing.originator, m.message_code()),
            (to, Some(0x0075)),
            "{name}"
        );
        let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
            panic!("{name}")
        };
        let encrypted: Vec<bool> = components.iter().map(|c| c.encrypted()).collect();
        assert_eq!(encrypted, [false, true], "{name}");
        let answers: Vec<_> = components
            .iter()
            .map(|c| {
                gas_payload(c, &c.plaintext(&m, &keys).unwrap())
                    .unwrap()
                    .unwrap()
            })
            .collect();
        assert_eq!(
            answers,
            [
                GasPayload::Currency {
                    trailing_digit: 0x50,
                    currency: 826
                },
                GasPayload::PrepayValues {
                    accumulated_debt: 0,
                    emergency_credit: 0,
                    credit_remaining: meter.credit_milli_pence(period(start)) as i32,
                    payment_debt: 0,
                    time_debt: [0, 0],
                }
            ],
            "{name}"
        );
    }
}

/// The RTDS templates of the gas meter's fixed attribute reads against the embedded default:
/// 4.1.4 and 4.1.2 (the block and TOU registers, sealed: a single-rate meter's consumption on
/// its first block and first tier), 6.2.8 (calorific value, conversion factor and uncontrolled
/// flow settings) and 6.2.4 (who made it and what it is; the head-end sends GCS21e for the
/// RTDS's GCS21m template too, which is the same request), in clear — each answered by the
/// device addressed with its use case's code.
#[test]
fn rtds_gas_settings_templates_read_the_virtual_gas_meter() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::gas_settings::GasSettingValue;
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, ZclValue, gas_payload};
    let (mut he, keys, start) = default_head_end();
    let (gsme, gpf) = (
        eui("00-DB-12-34-56-78-90-A1"),
        eui("00-DB-12-34-56-78-90-A3"),
    );
    let litres = he
        .gas_meter(gsme)
        .unwrap()
        .register_litres(dccsim::device::period_of(start));
    assert!(litres > 0);
    let mut answered = |name: &str, counter: u64| {
        let request = with_counter(&template(name), counter);
        let m = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &request, start);
        let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
            panic!("{name}")
        };
        let answers: Vec<(bool, Vec<(&'static str, ZclValue)>)> = components
            .iter()
            .map(|c| {
                let p = gas_payload(c, &c.plaintext(&m, &keys).unwrap())
                    .unwrap()
                    .unwrap();
                let GasPayload::Settings { values, .. } = p else {
                    panic!("{name}: {p:?}")
                };
                let values = values
                    .into_iter()
                    .map(|GasSettingValue { name, value, .. }| (name, value))
                    .collect();
                (c.encrypted(), values)
            })
            .collect();
        (m.signing.originator, m.message_code().unwrap(), answers)
    };
    let u = ZclValue::Unsigned;
    let (from, code, answers) =
        answered("GCS13b_4.1.4_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML", 6000);
    assert_eq!((from, code), (gpf, 0x00B8));
    assert_eq!(
        answers,
        [(
            true,
            vec![
                ("CurrentNoTierBlock1SummationDelivered", u(litres)),
                ("CurrentNoTierBlock2SummationDelivered", u(0)),
                ("CurrentNoTierBlock3SummationDelivered", u(0)),
                ("CurrentNoTierBlock4SummationDelivered", u(0)),
                ("Divisor", u(1000)),
                ("Multiplier", u(1)),
                ("UnitOfMeasure", u(1)),
            ]
        )]
    );
    let (from, code, answers) = answered("GCS13c_4.1.2_SUCCESS_UNRELIABLE_REQUEST_DUIS.XML", 6001);
    assert_eq!((from, code), (gsme, 0x00B6));
    assert!(answers[0].0, "sealed");
    assert_eq!(
        answers[0].1[3],
        ("CurrentTier1SummationDelivered", u(litres))
    );
    let (from, code, answers) = answered("GCS21a_6.2.8_SUCCESS_REQUEST_DUIS.XML", 6002);
    assert_eq!((from, code), (gsme, 0x007B));
    assert_eq!(
        answers,
        [
            (
                false,
                vec![
                    ("CalorificValueTrailingDigit", u(0x10)),
                    ("CalorificValueUnit", u(1)),
                    ("CalorificValue", u(395)),
                    ("ConversionFactorTrailingDigit", u(0x50)),
                    ("ConversionFactor", u(102_264)),
                ]
            ),
            (
                false,
                vec![
                    ("UncontrolledFlowDivisor", u(1)),
                    ("UncontrolledFlowMultiplier", u(1)),
                    ("UncontrolledFlowThresholdUnitOfMeasure", u(1)),
                    ("UncontrolledFlowThreshold", u(200)),
                    ("FlowStabilisationPeriod", u(10)),
                    ("FlowMeasurementPeriod", u(3600)),
                ]
            )
        ]
    );
    let mut model = b"GSME    ".to_vec();
    model.extend_from_slice(&gsme.0);
    let (from, code, answers) = answered("GCS21e_6.2.4_SUCCESS_REQUEST_DUIS.XML", 6003);
    assert_eq!((from, code), (gsme, 0x009E));
    assert_eq!(
        answers[0].1,
        [
            ("ManufacturerName", ZclValue::Bytes(b"dccsim".to_vec())),
            ("ModelIdentifier", ZclValue::Bytes(model)),
            ("HWVersion", u(1)),
        ]
    );
    assert_eq!(
        answers[1].1,
        [("SupplyDepletionState", u(3)), ("SupplyTamperState", u(3))]
    );
    let (from, code, answers) = answered("GCS21m_6.2.4_SUCCESS_REQUEST_DUIS.XML", 6004);
    assert_eq!((from, code), (gsme, 0x009E));
    assert_eq!(answers[0].1.len(), 3);
    // To the proxy: its own model, without an EUI-64.
    let request = with_counter(&template("GCS21e_6.2.4_SUCCESS_REQUEST_DUIS.XML"), 6005)
        .replace("00-DB-12-34-56-78-90-A1", "00-DB-12-34-56-78-90-A3");
    let m = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &request, start);
    assert_eq!(
        (m.signing.originator, m.message_code()),
        (gpf, Some(0x009E))
    );
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!()
    };
    let Some(GasPayload::Settings { values, .. }) =
        gas_payload(&components[0], &components[0].payload).unwrap()
    else {
        panic!("{components:?}")
    };
    assert_eq!(values[1].value, ZclValue::Bytes(b"GPF     ".to_vec()));
    let Some(GasPayload::Settings { values, .. }) =
        gas_payload(&components[1], &components[1].payload).unwrap()
    else {
        panic!("{components:?}")
    };
    let states: Vec<_> = values.iter().map(|v| (v.name, v.value.clone())).collect();
    assert_eq!(
        states,
        [("SupplyDepletionState", u(3)), ("SupplyTamperState", u(3))]
    );
}

/// The rest of the RTDS gas templates against the embedded default: the daily read log (GCS16a,
/// one GetSnapshot a day), a top-up (CS01b) with a UTRN made for the virtual gas meter, and the
/// valve (GCS32 off, GCS39 armed) through Transform, the supplier's signature and Send.
#[test]
fn rtds_gas_top_up_valve_and_daily_read_log_templates_reach_the_gas_meter() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload};
    use dccsim::protocol::gbcs::{Utrn, ValueClass};
    let (mut he, keys, start) = default_head_end();
    let gsme = eui("00-DB-12-34-56-78-90-A1");
    let answered = |he: &mut HeadEnd, xml: &str, endpoint, at| -> (String, Vec<GasPayload>) {
        let reply = he.handle_request(defaults::SUPPLIER, endpoint, xml, at);
        if endpoint == Endpoint::Transform {
            assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
            return (xml_of(&reply).to_string(), Vec::new());
        }
        assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
        let delivered = he.poll_deliveries(at + Duration::minutes(5));
        assert_eq!(delivered.len(), 1);
        let xml = delivered[0].xml.clone();
        assert!(
            xml.contains("<sr:ResponseCode>I0</sr:ResponseCode>"),
            "{xml}"
        );
        schema_valid(&xml).unwrap();
        let m = GbcsMessage::decode(&gbcs_of(&xml)).unwrap();
        let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
            panic!()
        };
        let payloads = components
            .iter()
            .map(|c| {
                gas_payload(c, &c.plaintext(&m, &keys).unwrap())
                    .unwrap()
                    .unwrap()
            })
            .collect();
        (xml, payloads)
    };
    // 4.6.1: the template asks for 2015, long before this meter: 31 days asked, none held.
    let (_, log) = answered(
        &mut he,
        &template("GCS16a_4.6.1_SUCCESS_REQUEST_DUIS.XML"),
        Endpoint::SendCommand,
        start,
    );
    assert_eq!(log.len(), 31);
    assert!(
        log.iter()
            .all(|p| matches!(p, GasPayload::DefaultResponse { status: 0x8B, .. }))
    );
    // The same for the last three days: three midnights' registers.
    let recent = template("GCS16a_4.6.1_SUCCESS_REQUEST_DUIS.XML")
        .replace(":1004<", ":1005<")
        .replace("2014-12-30T00:00:04.00Z", "2026-11-20T12:00:00Z")
        .replace("2016-01-01T00:00:03.00Z", "2026-11-23T09:00:00Z");
    let (_, log) = answered(&mut he, &recent, Endpoint::SendCommand, start);
    assert_eq!(log.len(), 3);
    assert!(
        log.iter()
            .all(|p| matches!(p, GasPayload::Snapshot { found: 3, .. })),
        "{log:?}"
    );
    // 2.2: the RTDS code was made for the RTDS meter's keys, not its virtual twin's: refused.
    let top_up = template("CS01b_2.2_SUCCESS_REQUEST_DUIS.XML");
    let (_, result) = answered(&mut he, &top_up, Endpoint::SendCommand, start);
    assert!(
        matches!(result[..], [GasPayload::TopUpResult { result: 1, .. }]),
        "{result:?}"
    );
    // A code made for the virtual meter: £12.50 credited.
    let utrn = Utrn::make(
        &keys,
        defaults::SUPPLIER,
        gsme,
        7 << 32,
        1250,
        ValueClass::Pennies,
    )
    .unwrap()
    .digits();
    let top_up = top_up
        .replace(":25769803776<", ":30064771072<")
        .replace("73950067887105178605", &utrn);
    let (_, result) = answered(&mut he, &top_up, Endpoint::SendCommand, start);
    assert!(
        matches!(
            result[..],
            [GasPayload::TopUpResult {
                result: 0,
                value: 1_250_000,
                ..
            }]
        ),
        "{result:?}"
    );
    // 4.4.5 (GCS15e), the RTDS template unchanged (from 2014 to DUIS's 3000-12-31): the
    // top-up just credited, with its code; 4.4.4 (GCS15d): no debt repaid.
    let credits = with_counter(
        &template("GCS15e_4.4.5_SUCCESS_REQUEST_DUIS.XML"),
        30064771073,
    );
    let (_, log) = answered(&mut he, &credits, Endpoint::SendCommand, start);
    let [GasPayload::TopUpLog { entries, .. }] = &log[..] else {
        panic!("{log:?}")
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].utrn.as_str(), entries[0].amount),
        (utrn.as_str(), 1_250_000)
    );
    let debts = with_counter(
        &template("GCS15d_4.4.4_SUCCESS_REQUEST_DUIS.XML"),
        30064771074,
    );
    let (_, log) = answered(&mut he, &debts, Endpoint::SendCommand, start);
    assert!(
        matches!(log[..], [GasPayload::DefaultResponse { status: 0x8B, .. }]),
        "{log:?}"
    );
    // 7.2 then 7.3: Transform, the supplier signs the pre-command, Send.
    for (name, counter, valve) in [
        (
            "GCS32_7.2_SUCCESS_REQUEST_DUIS.XML",
            30064771080u64,
            dccsim::device::Valve::Off,
        ),
        (
            "GCS39_7.3_SUCCESS_REQUEST_DUIS.XML",
            30064771090,
            dccsim::device::Valve::On,
        ),
    ] {
        let transform = template(name).replace(":1000<", &format!(":{counter}<"));
        let (reply, _) = answered(&mut he, &transform, Endpoint::Transform, start);
        let pre = GbcsMessage::decode(&gbcs_of(&reply)).unwrap();
        let service = if name.contains("7.2") { "7.2" } else { "7.3" };
        let send = signed_send(gsme, counter + 1, service, pre, &keys);
        let (_, status) = answered(&mut he, &send, Endpoint::SendCommand, start);
        assert!(
            matches!(status[..], [GasPayload::SupplyStatus { .. }]),
            "{status:?}"
        );
        assert_eq!(he.gas_meter(gsme).unwrap().valve, valve, "{name}");
    }
}

/// 1.6 to a gas meter, whose future-dated pattern is the device's: the RTDS templates go
/// Transform, sign, Send; the immediate change to prepayment happens at once, the change to
/// credit dated an hour ahead is held by the meter, and at its time the meter's signed 8F66
/// alert reaches the supplier as a DeviceAlertMessage.
#[test]
fn a_gas_payment_mode_change_dated_ahead_is_carried_out_by_the_meter_and_alerted() {
    use dccsim::device::PaymentMode;
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::gbz::{FutureDated, Gbz};
    let (mut he, keys, start) = default_head_end();
    let gsme = eui("00-DB-12-34-56-78-90-A1");
    let critical = |he: &mut HeadEnd, name: &str, counter: u64, edit: &dyn Fn(String) -> String| {
        let mut transform = edit(template(name));
        for n in [":1000<", ":1001<", ":1005<"] {
            transform = transform.replace(n, &format!(":{counter}<"));
        }
        let reply = he.handle_request(defaults::SUPPLIER, Endpoint::Transform, &transform, start);
        assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
        let pre = GbcsMessage::decode(&gbcs_of(xml_of(&reply))).unwrap();
        let send = signed_send(gsme, counter + 1, "1.6", pre, &keys);
        let reply = he.handle_request(defaults::SUPPLIER, Endpoint::SendCommand, &send, start);
        assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
    };
    // To credit first (the RTDS gas meter pays in advance in the default fleet).
    critical(
        &mut he,
        "GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML",
        2000,
        &|t| t,
    );
    let delivered = he.poll_deliveries(start + Duration::minutes(5));
    assert_eq!(delivered.len(), 1);
    assert!(
        delivered[0]
            .xml
            .contains("<sr:ResponseCode>I0</sr:ResponseCode>")
    );
    assert_eq!(he.gas_meter(gsme).unwrap().payment, PaymentMode::Credit);
    // To prepayment in an hour.
    let in_an_hour = |t: String| t.replace("2030-01-15T00:00:00.00Z", "2026-11-23T11:00:00Z");
    critical(
        &mut he,
        "GCS03_1.6_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML",
        2010,
        &in_an_hour,
    );
    let delivered = he.poll_deliveries(start + Duration::minutes(5));
    assert_eq!(delivered.len(), 1, "the meter's immediate answer");
    assert_eq!(he.gas_meter(gsme).unwrap().payment, PaymentMode::Credit);
    assert!(he.poll_deliveries(start + Duration::minutes(59)).is_empty());
    let alerts = he.poll_deliveries(start + Duration::minutes(61));
    assert_eq!(alerts.len(), 1);
    let xml = &alerts[0].xml;
    assert!(xml.contains("<sr:AlertCode>8F66</sr:AlertCode>"), "{xml}");
    schema_valid(xml).unwrap();
    assert_eq!(he.gas_meter(gsme).unwrap().payment, PaymentMode::Prepayment);
    let alert = GbcsMessage::decode(&gbcs_of(xml)).unwrap();
    assert_eq!(verify_signature(&keys, &alert), Verdict::Valid);
    let Gbz::Alert { rest, .. } = Gbz::decode(&alert.signing.content, true).unwrap() else {
        panic!()
    };
    let fd = FutureDated::decode(&rest).unwrap();
    // The command is the pre-command as the supplier signed it: the Transform request's counter.
    assert_eq!((fd.message_code, fd.counter), (0x006D, 2010));
    // 6.2.9 (GCS21j) reads back the payment control configuration the change set: prepayment
    // (bit 1), debt recovery suspended neither when disabled nor on emergency credit.
    use dccsim::protocol::gbcs::gbz::{GasPayload, gas_payload};
    let read = with_counter(&template("GCS21j_6.2.9_SUCCESS_REQUEST_DUIS.XML"), 2100);
    let at = start + Duration::minutes(62);
    let m = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &read, at);
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!()
    };
    assert_eq!(
        gas_payload(&components[0], &components[0].payload).unwrap(),
        Some(GasPayload::PaymentControl {
            configuration: 0x0097
        })
    );
    // 6.2.7 (GCS46) reads the MPRN the meter was installed with: the registry's.
    let read = with_counter(&template("GCS46_6.2.7_SUCCESS_REQUEST_DUIS.XML"), 2110);
    let m = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &read, at);
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!()
    };
    let registered = he.registry().device(gsme).unwrap().meter_point.clone();
    assert_eq!(
        gas_payload(&components[0], &components[0].payload).unwrap(),
        Some(GasPayload::SiteId {
            mprn: registered.unwrap().to_string()
        })
    );
}

/// 1.6 to the RTDS electricity meter (prepayment in the default fleet), the RTDS templates
/// through Transform, sign, Send: to credit at once; to prepayment dated an hour ahead, held
/// by the meter (a second held change cancelled and made again), and at its time the meter's
/// two signed 8F66 alerts — the disablement threshold's, then the account's — reach the
/// supplier, the meter in prepayment with the credit it had.
#[test]
fn an_electricity_payment_mode_change_dated_ahead_is_carried_out_by_the_meter_and_alerted() {
    use dccsim::device::PaymentMode;
    use dccsim::gateway::defaults;
    let (mut he, keys, start) = default_head_end();
    let esme = defaults::RTDS_ESME;
    // The head-end's clock, which the test moves on as a head-end's only does.
    let clock = std::cell::Cell::new(start);
    let critical = |he: &mut HeadEnd, name: &str, counter: u64, edit: &dyn Fn(String) -> String| {
        let start = clock.get();
        let transform = with_counter(&edit(template(name)), counter);
        let reply = he.handle_request(defaults::SUPPLIER, Endpoint::Transform, &transform, start);
        assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
        schema_valid(xml_of(&reply)).unwrap();
        let pre = GbcsMessage::decode(&gbcs_of(xml_of(&reply))).unwrap();
        let send = signed_send(esme, counter + 1, "1.6", pre, &keys);
        let reply = he.handle_request(defaults::SUPPLIER, Endpoint::SendCommand, &send, start);
        assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
        let delivered = he.poll_deliveries(start + Duration::minutes(5));
        assert_eq!(delivered.len(), 1, "{name}: the meter's answer");
        let xml = &delivered[0].xml;
        assert!(
            xml.contains("<sr:ResponseCode>I0</sr:ResponseCode>"),
            "{xml}"
        );
        schema_valid(xml).unwrap();
        let answer = GbcsMessage::decode(&gbcs_of(xml)).unwrap();
        assert_eq!(verify_signature(&keys, &answer), Verdict::Valid);
        assert_eq!(
            decode_dlms(&answer, None).unwrap(),
            Reading::Outcome {
                success: true,
                code: 0
            },
            "{name}"
        );
        // Dated by the meter's clock, as GBCS dates answers to commands that may be held.
        let year_2026 = [0x07, 0xEA, 11, 23];
        assert_eq!(answer.signing.date_time.get(..4), Some(&year_2026[..]));
    };
    assert_eq!(he.meter(esme).unwrap().payment, PaymentMode::Prepayment);
    let balance = |he: &HeadEnd| {
        let meter = he.meter(esme).unwrap();
        meter.credit_milli_pence(dccsim::device::period_of(start))
    };
    let before = balance(&he);
    critical(
        &mut he,
        "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML",
        2000,
        &|t| t,
    );
    assert_eq!(he.meter(esme).unwrap().payment, PaymentMode::Credit);
    assert_eq!(balance(&he), before, "the credit stays with the account");
    let in_an_hour = |t: String| t.replace("2030-01-15T09:00:00.00Z", "2026-11-23T11:00:00Z");
    critical(
        &mut he,
        "ECS03_1.6_FUTURE_DATED_TWIN_SUCCESS_REQUEST_DUIS.XML",
        2010,
        &in_an_hour,
    );
    assert_eq!(he.meter(esme).unwrap().payment, PaymentMode::Credit);
    assert!(he.meter(esme).unwrap().pending().is_some());
    // Cancelled (the RTDS's 3000-12-31), then asked again.
    critical(
        &mut he,
        "ECS03_1.6_CANCELLATION_TWIN_SUCCESS_REQUEST_DUIS.XML",
        2020,
        &|t| t,
    );
    assert_eq!(he.meter(esme).unwrap().pending(), None);
    critical(
        &mut he,
        "ECS03_1.6_FUTURE_DATED_TWIN_SUCCESS_REQUEST_DUIS.XML",
        2030,
        &in_an_hour,
    );
    assert!(he.poll_deliveries(start + Duration::minutes(59)).is_empty());
    assert_eq!(he.meter(esme).unwrap().payment, PaymentMode::Credit);
    // A head-end restarted now with the meters' saved states holds the change too.
    let (mut restarted, _, _) = default_head_end();
    for (eui, state) in he.take_device_states() {
        restarted.restore_device_state(eui, &state).unwrap();
    }
    let alerts = restarted.poll_deliveries(start + Duration::minutes(61));
    assert_eq!(alerts.len(), 2, "after a restart");
    let alerts = he.poll_deliveries(start + Duration::minutes(61));
    assert_eq!(alerts.len(), 2);
    let mut named = Vec::new();
    for alert in &alerts {
        let xml = &alert.xml;
        assert_eq!(alert.user, defaults::SUPPLIER);
        assert!(xml.contains("<sr:AlertCode>8F66</sr:AlertCode>"), "{xml}");
        schema_valid(xml).unwrap();
        let gbcs = GbcsMessage::decode(&gbcs_of(xml)).unwrap();
        assert_eq!(verify_signature(&keys, &gbcs), Verdict::Valid);
        let Reading::Alert {
            at,
            future_dated: Some(f),
            ..
        } = decode_dlms(&gbcs, None).unwrap()
        else {
            panic!("{xml}")
        };
        assert_eq!(at, Some(start + Duration::hours(1)));
        // The command is the pre-command as the supplier signed it: the Transform's counter.
        assert_eq!((f.message_code, f.originator_counter), (0x001B, 2030));
        named.push((f.class_id, f.instance.to_string(), f.attribute));
    }
    assert_eq!(
        named,
        [
            (9000, "0-0:94.44.128.22".to_string(), 6),
            (111, "0-1:19.0.0.255".to_string(), 13)
        ]
    );
    assert_eq!(he.meter(esme).unwrap().payment, PaymentMode::Prepayment);
    assert_eq!(he.meter(esme).unwrap().pending(), None);
    // 6.2.9 (ECS26j) reads the mode in force.
    let read = with_counter(&template("ECS26j_6.2.9_SUCCESS_REQUEST_DUIS.XML"), 2035);
    let at = start + Duration::minutes(62);
    let m = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &read, at);
    assert_eq!(
        decode_dlms(&m, None).unwrap(),
        Reading::AccountMode {
            prepayment: true,
            status: 2
        }
    );
    // 4.13 (ECS26a) reads the prepayment settings the change set — the threshold, debt
    // collected on emergency credit but not while disabled — on the restarted head-end too.
    let settings = Prepayment {
        suspend_debt_disabled: true,
        suspend_debt_emergency: false,
        disablement_threshold: 556_677,
    };
    for (he, counter) in [(&mut he, 2036), (&mut restarted, 2037)] {
        let read = with_counter(
            &template("ECS26a_4.13_SINGLE_SUCCESS_REQUEST_DUIS.XML"),
            counter,
        );
        let m = acknowledged_then_answered(he, defaults::SUPPLIER, &read, at);
        let Reading::Settings { values } = decode_dlms(&m, None).unwrap() else {
            panic!()
        };
        let value = |name: &str| {
            &values
                .iter()
                .find(|v| v.name.starts_with(name))
                .unwrap()
                .value
        };
        assert_eq!(
            *value("DisablementThreshold"),
            Data::Array(vec![Data::DoubleLong(556_677)])
        );
        assert_eq!(
            *value("credit charge configuration"),
            credit_charge_configuration(&settings.mode(true), false)
        );
    }
    clock.set(at);
    // Refused at Transform, saying why: a time past the meters' clock (2136), a time with no
    // time zone, a flag that is not an xs:boolean.
    let refused = |he: &mut HeadEnd, counter: u64, from: &str, to: &str, why: &str| {
        let transform = with_counter(
            &template("ECS03_1.6_FUTURE_DATED_TWIN_SUCCESS_REQUEST_DUIS.XML").replace(from, to),
            counter,
        );
        let reply = he.handle_request(defaults::SUPPLIER, Endpoint::Transform, &transform, start);
        let SyncReply::Response {
            code, why: reason, ..
        } = &reply
        else {
            panic!()
        };
        assert_eq!(*code, ResponseCode::E11);
        assert!(reason.as_deref().unwrap().contains(why), "{reason:?}");
    };
    let when = "2030-01-15T09:00:00.00Z";
    refused(
        &mut he,
        2040,
        when,
        "2200-01-01T00:00:00Z",
        "outside the meters' clock",
    );
    refused(
        &mut he,
        2041,
        when,
        "2030-01-15T09:00:00",
        "has no time zone",
    );
    let flag = "<sr:SuspendDebtDisabled>true<";
    refused(
        &mut he,
        2042,
        flag,
        "<sr:SuspendDebtDisabled>yes<",
        "is not an xs:boolean",
    );
    let threshold = "<sr:DisablementThreshold>556677</sr:DisablementThreshold>";
    let big = "<sr:DisablementThreshold>2147483648</sr:DisablementThreshold>";
    refused(&mut he, 2043, threshold, big, "is not an xs:int");
    refused(
        &mut he,
        2044,
        threshold,
        "",
        "needs sr:DisablementThreshold",
    );
    // DUIS's cancellation date written with an offset cancels too.
    critical(
        &mut he,
        "ECS03_1.6_CANCELLATION_TWIN_SUCCESS_REQUEST_DUIS.XML",
        2045,
        &|t| t.replace("3000-12-31T00:00:00.00Z", "3000-12-31T00:00:00+05:00"),
    );
    // A change held, then one carried out at once: the held one is superseded, and never
    // happens.
    critical(
        &mut he,
        "ECS03_1.6_FUTURE_DATED_TWIN_SUCCESS_REQUEST_DUIS.XML",
        2050,
        &|t| t.replace(when, "2026-11-23T13:00:00Z"),
    );
    assert!(he.meter(esme).unwrap().pending().is_some());
    critical(
        &mut he,
        "ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML",
        2060,
        &|t| t,
    );
    assert_eq!(he.meter(esme).unwrap().pending(), None);
    assert!(he.poll_deliveries(start + Duration::hours(4)).is_empty());
    assert_eq!(he.meter(esme).unwrap().payment, PaymentMode::Credit);
}

/// The RTDS export, reactive, power and network data templates run unchanged (but for a recent
/// log period) against the default fleet's RTDS meter, which exports: the export supplier reads
/// the export daily read log (4.6.2), the network operator the export profile (4.8.3) and the
/// power now (4.16), the supplier the reactive import profile (4.8.2) and the voltage log
/// (4.10); each I0 carries the meter's own values, in clear as GBCS sends these reads.
#[test]
fn rtds_export_reactive_and_power_templates_read_the_virtual_meter() {
    use dccsim::gateway::defaults;
    let (mut he, keys, start) = default_head_end();
    let meter = he.meter(defaults::RTDS_ESME).unwrap().clone();
    assert!(meter.consumer.solar_peak_w > 0);
    // Yesterday, whole: 48 periods from midnight to midnight (49 entries, both ends included).
    let midnight = start.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let (from, to) = (midnight - Duration::days(1), midnight);
    let period = dccsim::device::period_of;
    let recent = |xml: String| {
        let stamp = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S.00Z").to_string();
        let cut = |xml: &str, tag: &str, value: String| {
            let open = format!("<sr:{tag}>");
            let a = xml.find(&open).unwrap() + open.len();
            let b = a + xml[a..].find('<').unwrap();
            format!("{}{value}{}", &xml[..a], &xml[b..])
        };
        cut(
            &cut(&xml, "StartDateTime", stamp(from)),
            "EndDateTime",
            stamp(to),
        )
    };
    let mut delivered_so_far = 0;
    let mut run = |user: Eui64, name: &str| {
        // Each request a new counter (two templates share theirs).
        let mut xml = template(name);
        let end = xml.find("</sr:RequestID>").unwrap();
        let colon = xml[..end].rfind(':').unwrap() + 1;
        let counter = 5000 + delivered_so_far;
        delivered_so_far += 1;
        xml = format!("{}{counter}{}", &xml[..colon], &xml[end..]);
        // Sent by `user`, whoever the template's sender is.
        let id = xml.find("<sr:RequestID>").unwrap() + "<sr:RequestID>".len();
        xml.replace_range(id..id + 23, &user.to_string());
        if xml.contains("StartDateTime") {
            xml = recent(xml);
        }
        let m = acknowledged_then_answered(&mut he, user, &xml, start);
        assert_eq!(
            verify_mac(&keys, &m, defaults::ACB),
            Verdict::Valid,
            "{name}"
        );
        // Not sealed: anyone holding the response reads it, without a key.
        decode_dlms(&m, None).unwrap()
    };
    let Reading::ExportProfile { intervals } = run(
        defaults::NETWORK_OPERATOR,
        "ECS22a_4.8.3_SUCCESS_REQUEST_DUIS.XML",
    ) else {
        panic!()
    };
    assert_eq!(intervals.len(), 49);
    for i in &intervals {
        let wh = meter.export_wh(period(i.start));
        assert_eq!(i.values, [wh, wh / 4]);
    }
    assert!(
        intervals.iter().map(|i| i.values[0]).sum::<u32>() > 0,
        "a day without export"
    );
    let Reading::ReactiveImportProfile { intervals } =
        run(defaults::SUPPLIER, "ECS22c_4.8.2_SUCCESS_REQUEST_DUIS.XML")
    else {
        panic!()
    };
    assert_eq!(intervals.len(), 49);
    assert_eq!(
        intervals[5].values,
        [meter.import_wh(period(intervals[5].start)) / 4]
    );
    let Reading::ExportDailyReadLog { days } =
        run(defaults::SUPPLIER, "ECS21c_4.6.2_SUCCESS_REQUEST_DUIS.XML")
    else {
        panic!()
    };
    // The register at both midnights; between them, yesterday's export.
    assert_eq!(days.len(), 2);
    assert_eq!((days[0].start, days[1].start), (from, to));
    for d in &days {
        assert_eq!(
            u64::from(d.values[0]),
            meter.export_register_wh(period(d.start))
        );
    }
    let yesterday: u32 = (period(from)..period(to)).map(|p| meter.export_wh(p)).sum();
    assert_eq!(days[1].values[0] - days[0].values[0], yesterday);
    let Reading::ActivePowerImport { watts, second } = run(
        defaults::NETWORK_OPERATOR,
        "ECS17c_4.16_SUCCESS_REQUEST_DUIS.XML",
    ) else {
        panic!()
    };
    assert_eq!(watts, meter.import_wh(period(start)) * 2);
    assert_eq!(second, watts);
    // 4.2 (ECS17a): the export registers now, to the network operator (the RTDS template's
    // sender) and to the export supplier (the RTDS meter's is its import supplier).
    for user in [defaults::NETWORK_OPERATOR, defaults::SUPPLIER] {
        let Reading::ExportRegisters {
            active_wh,
            reactive_varh,
        } = run(user, "ECS17a_4.2_SUCCESS_REQUEST_DUIS.XML")
        else {
            panic!()
        };
        assert_eq!(
            u64::from(active_wh),
            meter.export_register_wh(period(start))
        );
        assert!(active_wh > 0 && reactive_varh > 0 && reactive_varh <= active_wh / 4);
    }
    // 4.10 (ECS23): the hourly average RMS voltage over the day, and no sags or swells.
    let Reading::NetworkData {
        sags,
        swells,
        voltages,
        capture_period_s,
    } = run(defaults::SUPPLIER, "ECS23_4.10_SUCCESS_REQUEST_DUIS.XML")
    else {
        panic!()
    };
    assert_eq!((sags, swells, capture_period_s), (0, 0, 3600));
    assert_eq!(voltages.len(), 25);
    assert_eq!((voltages[0].start, voltages[24].start), (from, to));
    for v in &voltages {
        assert_eq!(v.values, [meter.consumer.voltage_v(period(v.start))]);
        assert!((216..=253).contains(&v.values[0]), "{v:?}");
    }
    // The export log is the export supplier's: another supplier is refused (E4), as the
    // network operator is by the matrix (E2).
    let other = template("ECS21c_4.6.2_SUCCESS_REQUEST_DUIS.XML")
        .replace("90-B3-D5-1F-30-01-00-00:", "90-B3-D5-1F-30-03-00-00:");
    let reply = he.handle_request(
        defaults::SUPPLIER_2,
        Endpoint::SendCommand,
        &recent(other),
        start,
    );
    assert_eq!(code_of(&reply), ResponseCode::E4, "{}", xml_of(&reply));
    // A DCC schedule of export profiles: the network operator's daily 4.8.3 of yesterday, made
    // from the RTDS 5.1 template; its first run delivers the meter's export profile.
    let create = template("ECS21a_5.1._DCC_SCHEDULED_REQUEST_DUIS.XML")
        .replace(SUPPLIER, NETWORK)
        .replace(":1000<", ":9000<")
        .replace("2015-01-02", &start.date_naive().to_string())
        .replace(">4.6<", ">4.8<")
        .replace(">4.6.1<", ">4.8.3<")
        .replace("DSPRetrieveImportDailyReadLog", "DSPReadExportProfileData");
    let reply = he.handle_request(
        defaults::NETWORK_OPERATOR,
        Endpoint::NonDevice,
        &create,
        start,
    );
    assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
    let run = he.poll_timeout().unwrap();
    assert!(
        run < start + Duration::days(1) + Duration::hours(2),
        "{run}"
    );
    // The run sends the read; the answer is delivered when it is back.
    assert!(he.poll_deliveries(run).is_empty());
    let back = he.poll_timeout().unwrap();
    let delivered = he.poll_deliveries(back);
    assert_eq!(delivered.len(), 1);
    let xml = &delivered[0].xml;
    schema_valid(xml).unwrap();
    assert_eq!(field(xml, "ServiceReferenceVariant"), "4.8.3", "{xml}");
    let m = GbcsMessage::decode(&gbcs_of(xml)).unwrap();
    let Reading::ExportProfile { intervals } = decode_dlms(&m, None).unwrap() else {
        panic!("{xml}")
    };
    // Yesterday's 48 periods (today's first is still under way at the run, within the spread
    // after midnight).
    let today = run.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    assert_eq!(intervals.len(), 48);
    assert_eq!(intervals[0].start, today - Duration::days(1));
    assert_eq!(intervals[47].start, today - Duration::minutes(30));
}

/// 4.18 reads the meter balance and 6.13 the meter's logs (the RTDS templates, unchanged but
/// for their dates): a top-up raises the balance by its value, and each log holds what the
/// meter did, with GBCS's event codes — the event log the top-up actioned (with CS01a's
/// message code), the security log a repeated code refused as a duplicate, the power event log
/// an outage (supply interrupted, restored), numbered.
#[test]
fn rtds_meter_balance_and_event_log_templates_read_the_virtual_meter() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::payload::PowerEvent;
    let (mut he, keys, start) = default_head_end();
    let period = dccsim::device::period_of;
    let balance = |he: &mut HeadEnd, counter: u64| {
        let xml = template("ECS82_4.18_SUCCESS_REQUEST_DUIS.XML")
            .replace(":1000<", &format!(":{counter}<"));
        let m = acknowledged_then_answered(he, defaults::SUPPLIER, &xml, start);
        assert_eq!(verify_mac(&keys, &m, defaults::ACB), Verdict::Valid);
        match decode_dlms(&m, None).unwrap() {
            Reading::MeterBalance { balance } => balance,
            other => panic!("{other:?}"),
        }
    };
    let meter = he.meter(defaults::RTDS_ESME).unwrap().clone();
    let before = balance(&mut he, 1000);
    assert_eq!(i64::from(before), meter.credit_milli_pence(period(start)));
    assert!(before > 0, "the RTDS meter is in prepayment with credit");
    // An outage of an hour this morning.
    let (off, on) = (start - Duration::hours(3), start - Duration::hours(2));
    he.meter_mut(defaults::RTDS_ESME)
        .unwrap()
        .outage(off, on, defaults::NETWORK_OPERATOR, &keys)
        .unwrap();
    // A £10 code made for the virtual meter, entered twice.
    let top_up = rtds_top_up(&keys);
    for (minute, counter, result) in [(1, 12884901888u64, 0), (2, 12884901889, 250)] {
        let xml = top_up.replace(":12884901888<", &format!(":{counter}<"));
        let at = start + Duration::minutes(minute);
        let m = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &xml, at);
        assert_eq!(
            decode_dlms(&m, None).unwrap(),
            Reading::Outcome {
                success: result == 0,
                code: result
            }
        );
    }
    assert_eq!(balance(&mut he, 12884901890), before + 1_000_000);
    // The network operator reads the event log (6.13 is open to it); it may not read the
    // balance (4.18 is the suppliers').
    let stamp = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S.00Z").to_string();
    let log = template("ECS35a_6.13_SUCCESS_REQUEST_DUIS.XML")
        .replace(SUPPLIER, NETWORK)
        .replace("2014-12-31T00:00:00.00Z", &stamp(start - Duration::days(1)))
        .replace(
            "2015-01-01T00:00:00.00Z",
            &stamp(start + Duration::hours(1)),
        );
    let m = acknowledged_then_answered(&mut he, defaults::NETWORK_OPERATOR, &log, start);
    let Reading::EventLog { events } = decode_dlms(&m, None).unwrap() else {
        panic!()
    };
    // The top-up as the meter got it, a moment after it was sent; the refused one is in the
    // security log, a moment after the second.
    let actioned: Vec<_> = events.iter().map(|e| (e.code, &e.detail[..])).collect();
    assert_eq!(actioned, [(0x8154, &[0x00, 0x07][..])]);
    let sent = start + Duration::minutes(1);
    assert!(events[0].at >= sent && events[0].at < sent + Duration::seconds(30));
    let dated = |name: &str, counter: u64| {
        template(name)
            .replace(SUPPLIER, NETWORK)
            .replace(":1000<", &format!(":{counter}<"))
            .replace("2014-12-31T00:00:00.00Z", &stamp(start - Duration::days(1)))
            .replace(
                "2015-01-01T00:00:00.00Z",
                &stamp(start + Duration::hours(1)),
            )
    };
    let security = dated("ECS35b_6.13_SUCCESS_REQUEST_DUIS.XML", 1001);
    let m = acknowledged_then_answered(&mut he, defaults::NETWORK_OPERATOR, &security, start);
    let Reading::SecurityLog { events } = decode_dlms(&m, None).unwrap() else {
        panic!()
    };
    let sent = start + Duration::minutes(2);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!((events[0].code, &events[0].detail[..]), (0x8F51, &[][..]));
    assert!(events[0].at >= sent && events[0].at < sent + Duration::seconds(30));
    let power = dated("ECS35e_6.13_SUCCESS_REQUEST_DUIS.XML", 1002);
    let m = acknowledged_then_answered(&mut he, defaults::NETWORK_OPERATOR, &power, start);
    let Reading::PowerEventLog { events } = decode_dlms(&m, None).unwrap() else {
        panic!()
    };
    let event = |at, code, number| PowerEvent { at, code, number };
    assert_eq!(events, [event(off, 0x8F57, 1), event(on, 0x8F36, 2)]);
    // A period before any of it: nothing.
    let empty = log.replace(":1000<", ":1003<").replace(
        &stamp(start + Duration::hours(1)),
        &stamp(off - Duration::hours(1)),
    );
    let m = acknowledged_then_answered(&mut he, defaults::NETWORK_OPERATOR, &empty, start);
    assert_eq!(
        decode_dlms(&m, None).unwrap(),
        Reading::EventLog { events: vec![] }
    );
    // 6.2.7: the MPANs the meter was configured with at installation — the registry's import
    // MPAN, and the export MPAN of its microgeneration — for the supplier and the network
    // operator alike.
    let registry_mpan = match &he
        .registry()
        .device(defaults::RTDS_ESME)
        .unwrap()
        .meter_point
    {
        Some(dccsim::headend::MeterPoint::Mpan(m)) => m.clone(),
        other => panic!("{other:?}"),
    };
    for (user, counter) in [
        (defaults::SUPPLIER, 12884901891u64),
        (defaults::NETWORK_OPERATOR, 1500),
    ] {
        let xml = template("ECS40_6.2.7_SINGLE_SUCCESS_REQUEST_DUIS.XML")
            .replace(SUPPLIER, &user.to_string())
            .replace(":1002<", &format!(":{counter}<"));
        let m = acknowledged_then_answered(&mut he, user, &xml, start);
        let Reading::MeterPoints { import, export } = decode_dlms(&m, None).unwrap() else {
            panic!()
        };
        assert_eq!(import, registry_mpan);
        assert_eq!(export.len(), 13);
        assert_ne!(export, import);
    }
    let refused = template("ECS82_4.18_SUCCESS_REQUEST_DUIS.XML")
        .replace(SUPPLIER, NETWORK)
        .replace(":1000<", ":2000<");
    let reply = he.handle_request(
        defaults::NETWORK_OPERATOR,
        Endpoint::SendCommand,
        &refused,
        start,
    );
    assert_eq!(code_of(&reply), ResponseCode::E2, "{}", xml_of(&reply));
    // The auxiliary load control switches' log is kept too (read in full by
    // the_alcs_event_log_is_read_by_supplier_and_network_operator_and_cleared).
    let alcs = log
        .replace(":1000<", ":3000<")
        .replace(">Event<", ">ALCSEvent<");
    let reply = he.handle_request(
        defaults::NETWORK_OPERATOR,
        Endpoint::SendCommand,
        &alcs,
        start,
    );
    assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
}

/// The RTDS 8.11 templates update the comms hub's device log (CCS01 adds the meter with its
/// install code, CCS02 removes it), 6.13 reads them from its event log (ECS35c), and 11.2 to
/// the hub reads its firmware (CS08); the DCC's
/// Access Control Broker originates these commands, and the answers come back as I0.
#[test]
fn rtds_hub_templates_reach_the_virtual_comms_hub() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::asn1::AsnPayload;
    let (mut he, keys, start) = default_head_end();
    let hub = eui("00-DB-12-34-56-78-90-A2");
    assert_eq!(he.hub(hub).unwrap().device_log.len(), 3);
    let answered = |he: &mut HeadEnd, xml: &str| -> GbcsMessage {
        let m = acknowledged_then_answered(he, defaults::SUPPLIER, xml, start);
        assert_eq!(
            (m.signing.originator, m.signing.recipient),
            (hub, defaults::ACB)
        );
        assert_eq!(verify_mac(&keys, &m, defaults::ACB), Verdict::Valid);
        m
    };
    // Remove the RTDS meter, then add it back with the template's install code.
    let remove = answered(&mut he, &template("CCS02_8.11_SUCCESS_REQUEST_DUIS.XML"));
    assert!(matches!(
        decode_dlms(&remove, None).unwrap(),
        Reading::Outcome { success: true, .. }
    ));
    let log = &he.hub(hub).unwrap().device_log;
    assert!(log.iter().all(|e| e.device != eui(METER)), "{log:?}");
    let add = template("CCS01_8.11_SUCCESS_REQUEST_DUIS.XML").replace(":1002<", ":1003<");
    let added = answered(&mut he, &add);
    assert!(matches!(
        decode_dlms(&added, None).unwrap(),
        Reading::Outcome { success: true, .. }
    ));
    let entry = he
        .hub(hub)
        .unwrap()
        .device_log
        .iter()
        .find(|e| e.device == eui(METER));
    assert_eq!(
        entry.unwrap().install_code,
        "30313233343536373839414243444546"
    );
    // 6.13 to the hub (ECS35c), over today: its event log holds the removal and the addition
    // (CCS02, CCS01), and the answer names the supplier it was read for, and its counter.
    let events = template("ECS35c_6.13_SUCCESS_REQUEST_DUIS.XML")
        .replace("2014-12-31T00:00:00.00Z", "2026-11-23T00:00:00Z")
        .replace("2014-12-31T09:00:00.00Z", "2026-11-24T00:00:00Z")
        .replace(":1002<", ":1004<");
    let read = answered(&mut he, &events);
    let named = [&[0x00, 0x93][..], &eui(SUPPLIER).0, &1004u64.to_be_bytes()].concat();
    assert_eq!(read.signing.other_information, named);
    let Reading::EventLog { events } = decode_dlms(&read, None).unwrap() else {
        panic!("{read:?}")
    };
    let commands: Vec<_> = events.iter().map(|e| (e.code, e.detail.clone())).collect();
    assert_eq!(commands, [(0x8154, vec![0, 2]), (0x8154, vec![0, 1])]);
    // The firmware read, sent by the supplier instead of the template's DCC.
    let read = template("CS08_11.2_SUCCESS_REQUEST_DUIS.XML").replace(
        "90-B3-D5-1F-30-00-00-02:00-DB-12-34-56-78-90-A4:1000",
        &format!("{SUPPLIER}:{hub}:1005"),
    );
    let firmware = answered(&mut he, &read);
    assert_eq!(
        AsnPayload::decode(&firmware.signing.content, false).unwrap(),
        Some(AsnPayload::Firmware {
            version: "0123ABCD".into(),
            status: 0
        })
    );
}

/// The text of the first `<sr:{name}>` element of a response.
fn field<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<sr:{name}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {name}: {xml}"))
        + open.len();
    let end = start + xml[start..].find('<').unwrap();
    &xml[start..end]
}

/// The RTDS 5.1 template (a daily 4.6.1 daily read log schedule for yesterday) runs unchanged:
/// I0 with the schedule's id at once; then every day one DSPScheduledMessage carrying the meter's
/// ECS21a answer for the day before; 5.2 reads it back, 5.3 deletes it and the runs stop.
#[test]
fn an_rtds_schedule_reads_the_daily_log_every_day_until_deleted() {
    let mut he = head_end();
    he.set_schedule_spread(Duration::minutes(30));
    let keys = keys();
    // Created on the schedule's start date, 2015-01-02, in the morning.
    let created = Utc.with_ymd_and_hms(2015, 1, 2, 9, 0, 0).unwrap();
    let create = template("ECS21a_5.1._DCC_SCHEDULED_REQUEST_DUIS.XML");
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &create, created);
    assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
    schema_valid(xml_of(&reply)).unwrap();
    let id: u64 = field(xml_of(&reply), "DSPScheduleID").parse().unwrap();
    // Today's run time (after midnight) has passed: the first run is tomorrow's, within the
    // spread window.
    let first = he.poll_timeout().unwrap();
    assert!(
        first
            >= created
                .date_naive()
                .succ_opt()
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
    );
    assert!(first < created + Duration::hours(15) + Duration::minutes(30));
    let mut days = Vec::new();
    let mut t = created;
    let end = created + Duration::days(3);
    while let Some(next) = he.poll_timeout().filter(|next| *next < end) {
        t = next;
        for d in he.poll_deliveries(t) {
            assert_eq!(d.user, eui(SUPPLIER));
            schema_valid(&d.xml).unwrap();
            assert_eq!(field(&d.xml, "ResponseCode"), "I0", "{}", d.xml);
            assert_eq!(field(&d.xml, "DSPScheduleID"), id.to_string());
            assert_eq!(field(&d.xml, "ServiceReferenceVariant"), "4.6.1");
            assert!(!d.xml.contains("<sr:RequestID>"), "no request: {}", d.xml);
            assert!(field(&d.xml, "ResponseID").starts_with(&format!("{METER}:{SUPPLIER}:")));
            let gbcs = GbcsMessage::decode(&gbcs_of(&d.xml)).unwrap();
            assert_eq!(
                verify_mac(&keys, &gbcs, eui("90-B3-D5-1F-30-00-00-02")),
                Verdict::Valid
            );
            let Reading::DailyReadLog { days: log } = decode_dlms(&gbcs, Some(&keys)).unwrap()
            else {
                panic!("{}", d.xml)
            };
            days.push((
                d.due.date_naive(),
                log.iter().map(|r| r.at.date_naive()).collect::<Vec<_>>(),
            ));
        }
    }
    // Three runs (3rd, 4th, 5th January), each with the snapshot at the end of the day before
    // (midnight of the run's day).
    assert_eq!(days.len(), 3, "{days:?}");
    for (run, snapshots) in &days {
        assert!(snapshots.contains(run), "{run}: {snapshots:?}");
    }
    // 5.2 reads the schedule back as it was made.
    let read = template("5.2_READ_SCHEDULE_REQUEST_DUIS.XML")
        .replace(":1000<", ":1001<")
        .replace(">123<", &format!(">{id}<"));
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &read, t);
    assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
    schema_valid(xml_of(&reply)).unwrap();
    assert!(xml_of(&reply).contains("<sr:DSPRetrieveImportDailyReadLog><sr:StartDateOffset>-1</sr:StartDateOffset><sr:StartTime>00:00:00Z</sr:StartTime>"));
    // Another user cannot see or delete it.
    let delete =
        template("5.3_DELETE_SCHEDULE_REQUEST_DUIS.XML").replace(">123<", &format!(">{id}<"));
    let theirs = delete.replace(SUPPLIER, NETWORK).replace(":1000<", ":5<");
    assert_eq!(
        code_of(&he.handle_request(eui(NETWORK), Endpoint::NonDevice, &theirs, t)),
        ResponseCode::E050301
    );
    let reply = he.handle_request(
        eui(SUPPLIER),
        Endpoint::NonDevice,
        &delete.replace(":1000<", ":1002<"),
        t,
    );
    assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
    assert!(he.schedules().is_empty());
    assert!(he.poll_deliveries(t + Duration::days(5)).is_empty());
    assert_eq!(he.poll_timeout(), None);
    let again = read.replace(":1001<", ":1003<");
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &again, t);
    assert_eq!(code_of(&reply), ResponseCode::E050201);
    schema_valid(xml_of(&reply)).unwrap();
}

/// Schedules are checked as their reads would be: a user without the role for the device, an
/// unknown device, and a service that cannot be scheduled are refused with their codes.
#[test]
fn schedules_are_refused_as_their_reads_would_be() {
    let mut he = head_end();
    let at = Utc.with_ymd_and_hms(2015, 1, 2, 9, 0, 0).unwrap();
    let create = template("ECS21a_5.1._DCC_SCHEDULED_REQUEST_DUIS.XML");
    let cases = [
        (create.replace(METER, "00-DB-12-34-56-78-90-FF"), ResponseCode::E19),
        (
            create
                .replace("<sr:ScheduleStartDate>2015-01-02</sr:ScheduleStartDate>", "<sr:ScheduleStartDate>2015-01-02</sr:ScheduleStartDate><sr:ScheduleEndDate>2014-12-01</sr:ScheduleEndDate>"),
            ResponseCode::E050102,
        ),
        (create.replace(">Daily<", ">Fortnightly<"), ResponseCode::E050112),
    ];
    for (n, (xml, code)) in cases.into_iter().enumerate() {
        let xml = xml.replace(":1000<", &format!(":{}<", 1000 + n));
        let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &xml, at);
        assert_eq!(code_of(&reply), code, "{}", xml_of(&reply));
        schema_valid(xml_of(&reply)).unwrap();
    }
    // The network operator may schedule, but not a supplier's daily read log.
    let theirs = create.replace(SUPPLIER, NETWORK).replace(":1000<", ":7<");
    assert_eq!(
        code_of(&he.handle_request(eui(NETWORK), Endpoint::NonDevice, &theirs, at)),
        ResponseCode::E2
    );
    assert!(he.schedules().is_empty());
    assert_eq!(he.poll_timeout(), None);
}

/// A DSP future-dated read is acknowledged at once, held, and carried out at its
/// ExecutionDateTime; nothing reaches the meter before.
#[test]
fn a_future_dated_read_waits_for_its_execution_time() {
    let mut he = head_end();
    let at = now() + Duration::hours(6);
    let xml = template("ECS17b_4.1.1_DSP_FUTURE_DATED_REQUEST_DUIS.XML")
        .replace("2015-01-15T09:00:00.00Z", &at.to_rfc3339());
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &xml, now());
    assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
    assert_eq!(he.poll_timeout(), Some(at));
    assert!(he.poll_deliveries(at - Duration::seconds(1)).is_empty());
    let _ = he.poll_deliveries(at);
    let due = he.poll_timeout().unwrap();
    assert!(due > at && due < at + Duration::seconds(60));
    let delivered = he.poll_deliveries(due);
    assert_eq!(delivered.len(), 1);
    assert_eq!(field(&delivered[0].xml, "ResponseCode"), "I0");
    assert_eq!(
        field(&delivered[0].xml, "RequestID"),
        format!("{SUPPLIER}:{METER}:1000")
    );
    let gbcs = GbcsMessage::decode(&gbcs_of(&delivered[0].xml)).unwrap();
    let Reading::ImportRegisters { .. } = decode_dlms(&gbcs, Some(&keys())).unwrap() else {
        panic!()
    };
    // The journal holds the request while it waits, then its release and response.
    let journal = he.take_journal();
    assert!(matches!(
        journal[0],
        dccsim::headend::Change::Counter { counter: 1000, .. }
    ));
    assert!(matches!(journal[1], dccsim::headend::Change::Held(_)));
    assert!(matches!(journal[2], dccsim::headend::Change::Released(_)));
    assert!(matches!(journal[3], dccsim::headend::Change::Queued(_)));
}

/// With a simulator scenario's WAN, the read crosses a cell of the meter's region's technology
/// (queues, latency, the CSP's retries) and comes back as I0; a hub without coverage gets E20.
#[test]
fn reads_cross_the_scenarios_cellular_wan() {
    use dccsim::headend::wan::CellWan;
    use dccsim::sim::scenario::Scenario;
    let mut scenario =
        Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/gb-today.toml"))
            .unwrap();
    let read = template("ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML");
    let mut he = head_end();
    let wan = CellWan::new(&scenario, he.registry(), now(), 1);
    he.set_cell_wan(wan);
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &read, now());
    assert_eq!(code_of(&reply), ResponseCode::I99);
    let due = he.poll_timeout().unwrap();
    assert!(due > now() && due < now() + Duration::minutes(2), "{due}");
    let delivered = he.poll_deliveries(due);
    assert_eq!(
        field(&delivered[0].xml, "ResponseCode"),
        "I0",
        "{}",
        delivered[0].xml
    );
    schema_valid(&delivered[0].xml).unwrap();

    // Every cell in a maintenance window from 09:30 for two hours (local clock; 2015-01-01 is
    // GMT): the read at 10:00 gets no answer, one at 12:00 does.
    let mut maintained = scenario.clone();
    for technology in maintained.technologies.values_mut() {
        technology.maintenance = vec![dccsim::wan::Maintenance {
            start_clock_secs: 9 * 3600 + 1800,
            duration: 2 * 3600 * 1_000_000,
            share: 1.0,
        }];
        technology.outages = None;
    }
    let mut he = head_end();
    he.set_cell_wan(CellWan::new(&maintained, he.registry(), now(), 1));
    he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &read, now());
    let delivered = he.poll_deliveries(now() + Duration::hours(1));
    assert_eq!(
        field(&delivered[0].xml, "ResponseCode"),
        "E21",
        "{}",
        delivered[0].xml
    );
    let noon = now() + Duration::hours(2);
    let later = read.replace(":1002<", ":1003<");
    he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &later, noon);
    let delivered = he.poll_deliveries(noon + Duration::minutes(5));
    assert_eq!(
        field(&delivered[0].xml, "ResponseCode"),
        "I0",
        "{}",
        delivered[0].xml
    );

    for region in &mut scenario.regions {
        region.no_coverage_share = 1.0;
    }
    let mut he = head_end();
    let wan = CellWan::new(&scenario, he.registry(), now(), 1);
    he.set_cell_wan(wan);
    he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &read, now());
    let delivered = he.poll_deliveries(now());
    assert_eq!(
        field(&delivered[0].xml, "ResponseCode"),
        "E20",
        "{}",
        delivered[0].xml
    );
    schema_valid(&delivered[0].xml).unwrap();
}

/// The field's every value in a response, in order.
fn fields<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<sr:{name}>");
    xml.match_indices(&open)
        .map(|(i, _)| {
            let start = i + open.len();
            &xml[start..start + xml[start..].find('<').unwrap()]
        })
        .collect()
}

/// 8.2 Read Inventory, the RTDS template unchanged: I0 at once, with the inventory of the RTDS
/// premises — the comms hub asked for first, then the electricity meter, the gas meter and its
/// proxy — as the registry and the virtual devices have them; by MPxN likewise, the meter first;
/// any user may ask; an unknown device, MPxN or a UPRN finds nothing (E080201).
#[test]
fn read_inventory_lists_the_premises_devices_from_the_registry() {
    let (mut he, _, at) = default_head_end();
    let reply = he.handle_request(
        eui(SUPPLIER),
        Endpoint::NonDevice,
        &template("8.2_READ_INVENTORY_REQUEST_DUIS.XML"),
        at,
    );
    assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
    let xml = xml_of(&reply);
    schema_valid(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    // The hub first, then its devices: the meters being installed and the display and load
    // switch the RTDS join templates name, the RTDS meters, display and load switch.
    assert_eq!(
        fields(xml, "DeviceID"),
        [
            "00-DB-12-34-56-78-90-A2",
            "00-DB-12-34-56-78-90-93",
            "00-DB-12-34-56-78-90-94",
            "00-DB-12-34-56-78-90-98",
            "00-DB-12-34-56-78-90-9A",
            "00-DB-12-34-56-78-90-9C",
            "00-DB-12-34-56-78-90-A0",
            "00-DB-12-34-56-78-90-A1",
            "00-DB-12-34-56-78-90-A3",
            "00-DB-12-34-56-78-90-A4",
            "00-DB-12-34-56-78-90-A5"
        ]
    );
    assert_eq!(
        fields(xml, "DeviceType"),
        [
            "CHF", "ESME", "GSME", "PPMID", "HCALCS", "GPF", "ESME", "GSME", "GPF", "PPMID",
            "HCALCS"
        ]
    );
    let mut status = ["Commissioned"; 11];
    for installing in [1, 2, 5] {
        status[installing] = "InstalledNotCommissioned";
    }
    assert_eq!(fields(xml, "DeviceStatus"), status);
    // The versions the devices with a virtual device report to 11.2.
    assert_eq!(
        fields(xml, "DeviceFirmwareVersion"),
        [
            "0123ABCD", "01000000", "0123ABCD", "0123ABCD", "0123ABCD", "0123ABCD"
        ]
    );
    let esme = he.registry().device(eui(METER)).unwrap();
    let mpan = esme.meter_point.as_ref().unwrap().to_string();
    assert_eq!(
        fields(xml, "ImportMPxN"),
        [
            mpan.as_str(),
            "1234567",
            "1234567",
            mpan.as_str(),
            "1234567",
            "1234567"
        ]
    );
    assert_eq!(fields(xml, "ServiceReferenceVariant"), ["8.2"]);

    // By MPxN, from the network operator.
    let by_mpan = template("8.2_READ_INVENTORY_REQUEST_DUIS.XML")
        .replace(SUPPLIER, NETWORK)
        .replace(
            "<sr:DeviceID>00-DB-12-34-56-78-90-A2</sr:DeviceID>",
            &format!("<sr:MPxN>{mpan}</sr:MPxN>"),
        );
    let reply = he.handle_request(eui(NETWORK), Endpoint::NonDevice, &by_mpan, at);
    assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
    assert_eq!(
        fields(xml_of(&reply), "DeviceID"),
        [
            "00-DB-12-34-56-78-90-93",
            METER,
            "00-DB-12-34-56-78-90-94",
            "00-DB-12-34-56-78-90-98",
            "00-DB-12-34-56-78-90-9A",
            "00-DB-12-34-56-78-90-9C",
            "00-DB-12-34-56-78-90-A1",
            "00-DB-12-34-56-78-90-A2",
            "00-DB-12-34-56-78-90-A3",
            "00-DB-12-34-56-78-90-A4",
            "00-DB-12-34-56-78-90-A5"
        ]
    );

    let mut counter = 1000;
    for (what, body) in [
        (
            "unknown device",
            "<sr:DeviceID>00-DB-12-34-56-78-90-FF</sr:DeviceID>",
        ),
        ("unknown MPxN", "<sr:MPxN>9999999999</sr:MPxN>"),
        ("a UPRN", "<sr:UPRN>100023336956</sr:UPRN>"),
    ] {
        counter += 1;
        let request = template("8.2_READ_INVENTORY_REQUEST_DUIS.XML")
            .replace(":1000<", &format!(":{counter}<"))
            .replace("<sr:DeviceID>00-DB-12-34-56-78-90-A2</sr:DeviceID>", body);
        let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &request, at);
        assert_eq!(code_of(&reply), ResponseCode::E080201, "{what}");
        schema_valid(xml_of(&reply)).unwrap();
    }
}

/// 12.1 Request WAN Matrix, the RTDS template unchanged (a Manchester postcode): I0 with the
/// North region, its long-range radio, coverage; an Edinburgh postcode is North too, a London
/// one South and a Cardiff one Central (cellular); Belfast is outside the DCC's regions.
#[test]
fn the_wan_matrix_names_the_region_and_technology_of_a_postcode() {
    let (mut he, _, at) = default_head_end();
    let template = template("12.1_REQUEST_WAN_MATRIX_ADDRESS_REQUEST_DUIS.XML");
    let mut counter = 1000;
    for (postcode, region, technology, code) in [
        ("M22 0RR", "North", Some("long range radio"), "I0"),
        ("EH1 1YZ", "North", Some("long range radio"), "I0"),
        ("sw1a 1aa", "South", Some("cellular"), "I0"),
        ("CF10 1EP", "Central", Some("cellular"), "I0"),
        ("BT1 5GS", "Unknown", None, "E120101"),
        ("ABCDEF", "Unknown", None, "E120101"),
    ] {
        counter += 1;
        let request = template
            .replace(":1000<", &format!(":{counter}<"))
            .replace(">M22 0RR<", &format!(">{postcode}<"));
        let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &request, at);
        assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
        let xml = xml_of(&reply);
        schema_valid(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
        assert_eq!(fields(xml, "PostCode"), [postcode]);
        assert_eq!(fields(xml, "CSPRegion"), [region], "{postcode}");
        assert_eq!(fields(xml, "CSPRegionResponseCode"), [code], "{postcode}");
        assert_eq!(
            fields(xml, "WANTechnology"),
            Vec::from_iter(technology),
            "{postcode}"
        );
        if technology.is_some() {
            assert_eq!(fields(xml, "CoverageAvailability"), ["true"]);
        }
    }
    // The answer echoes the request, so what the schema would refuse is refused (E120102);
    // spaces around a postcode are not part of it; a UPRN names no region here.
    for (body, code, echoed) in [
        (
            "<sr:PostCode> M22 0RR </sr:PostCode>",
            ResponseCode::I0,
            Some("M22 0RR"),
        ),
        ("<sr:PostCode>M2</sr:PostCode>", ResponseCode::E120102, None),
        (
            "<sr:PostCode>M22 0RR</sr:PostCode><sr:AddressIdentifier>a street name far longer than thirty</sr:AddressIdentifier>",
            ResponseCode::E120102,
            None,
        ),
    ] {
        counter += 1;
        let request = template
            .replace(":1000<", &format!(":{counter}<"))
            .replace("<sr:PostCode>M22 0RR</sr:PostCode>", body);
        let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &request, at);
        assert_eq!(code_of(&reply), code, "{body}: {}", xml_of(&reply));
        schema_valid(xml_of(&reply)).unwrap();
        if let Some(echoed) = echoed {
            assert_eq!(fields(xml_of(&reply), "PostCode"), [echoed]);
        }
    }
    for (uprn, code) in [
        ("100023336956", ResponseCode::I0),
        ("abc", ResponseCode::E120102),
        ("0", ResponseCode::E120102),
        ("1234567890123", ResponseCode::E120102),
    ] {
        counter += 1;
        let start = template.find("<sr:PartialAddress>").unwrap();
        let end = template.find("</sr:PartialAddress>").unwrap() + "</sr:PartialAddress>".len();
        let request = format!(
            "{}<sr:UPRN>{uprn}</sr:UPRN>{}",
            &template[..start],
            &template[end..]
        )
        .replace(":1000<", &format!(":{counter}<"));
        let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &request, at);
        assert_eq!(code_of(&reply), code, "{uprn}: {}", xml_of(&reply));
        schema_valid(xml_of(&reply)).unwrap();
        if code == ResponseCode::I0 {
            assert_eq!(fields(xml_of(&reply), "CSPRegion"), ["Unknown"]);
        }
    }
}

/// With the simulator's WAN, the matrix answers from the scenario: the technology of the
/// region's mix a hub there would get, and no coverage where the scenario leaves it out.
#[test]
fn the_wan_matrix_follows_the_scenarios_wan() {
    use dccsim::headend::wan::CellWan;
    use dccsim::sim::scenario::Scenario;
    let mut scenario =
        Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/gb-today.toml"))
            .unwrap();
    let ask = |scenario: &Scenario, postcode: &str| {
        let mut he = head_end();
        he.set_cell_wan(CellWan::new(scenario, he.registry(), now(), 1));
        let request = template("12.1_REQUEST_WAN_MATRIX_ADDRESS_REQUEST_DUIS.XML")
            .replace(">M22 0RR<", &format!(">{postcode}<"));
        let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &request, now());
        schema_valid(xml_of(&reply)).unwrap();
        let xml = xml_of(&reply).to_string();
        let one = |name| fields(&xml, name).concat();
        (
            one("WANTechnology"),
            one("CoverageAvailability"),
            one("ConnectivityLikelihood"),
        )
    };
    let (technology, covered, _) = ask(&scenario, "CF10 1EP");
    assert!(
        ["cellular", "mesh", "lte"].contains(&technology.as_str()),
        "{technology}"
    );
    assert_eq!(covered, "true");
    assert_eq!(ask(&scenario, "M22 0RR").0, "long range radio");
    for region in &mut scenario.regions {
        region.no_coverage_share = 1.0;
    }
    let (technology, covered, likelihood) = ask(&scenario, "M22 0RR");
    assert_eq!(
        (technology.as_str(), covered.as_str(), likelihood.as_str()),
        ("long range radio", "false", "Low")
    );
}

/// 8.3 and 8.4 change the inventory for the device's supplier, and access control follows:
/// the RTDS 8.3 template decommissions the RTDS meter (I99), the inventory then says so, reads
/// of it are refused E5 and the change is journalled; the network operator may not decommission
/// (E2), another supplier may not update (E4); the RTDS 8.4 template (delete a commissioned
/// meter) is refused E5; a comms hub's status, a device made Pending then deleted, and an import
/// MPxN (check digit checked: E080405) each change what 8.2 answers.
#[test]
fn decommission_and_update_inventory_change_what_the_registry_says() {
    let (mut he, _, at) = default_head_end();
    let mut counter = 2000;
    let mut send = |he: &mut HeadEnd, user: &str, xml: &str| {
        counter += 1;
        let xml = xml.replace(":1000<", &format!(":{counter}<"));
        let reply = he.handle_request(eui(user), Endpoint::NonDevice, &xml, at);
        schema_valid(xml_of(&reply)).unwrap();
        reply
    };
    let inventory =
        |he: &mut HeadEnd, send: &mut dyn FnMut(&mut HeadEnd, &str, &str) -> SyncReply| {
            let reply = send(
                he,
                SUPPLIER,
                &template("8.2_READ_INVENTORY_REQUEST_DUIS.XML"),
            );
            let xml = xml_of(&reply).to_string();
            let ids = fields(&xml, "DeviceID").into_iter().map(String::from);
            let statuses = fields(&xml, "DeviceStatus").into_iter().map(String::from);
            ids.zip(statuses).collect::<Vec<_>>()
        };
    let hub = "00-DB-12-34-56-78-90-A2";
    let gas = "00-DB-12-34-56-78-90-A1";
    let decommission = template("8.3_DECOMMISSION_DEVICE_REQUEST_DUIS.XML");
    let code = |r: SyncReply| code_of(&r);
    assert_eq!(
        code(send(
            &mut he,
            NETWORK,
            &decommission.replace(SUPPLIER, NETWORK)
        )),
        ResponseCode::E2
    );
    he.take_journal();
    assert_eq!(
        code(send(&mut he, SUPPLIER, &decommission)),
        ResponseCode::I99
    );
    let journal = he.take_journal();
    assert!(
        journal.contains(&Change::Inventory(InventoryChange::Status {
            device: eui(METER),
            status: SmiStatus::Decommissioned
        })),
        "{journal:?}"
    );
    let listed = inventory(&mut he, &mut send);
    assert!(
        listed.contains(&(METER.to_string(), "Decommissioned".to_string())),
        "{listed:?}"
    );
    assert_eq!(
        code(send(&mut he, SUPPLIER, &decommission)),
        ResponseCode::E5,
        "already"
    );
    let read = template("ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML").replace(":1002<", ":3000<");
    assert_eq!(
        code_of(&he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &read, at)),
        ResponseCode::E5
    );
    assert!(
        he.poll_deliveries(at + Duration::hours(1)).is_empty(),
        "no device traffic"
    );

    // 8.4: the RTDS template deletes a commissioned meter: refused.
    let update = template("8.4_UPDATE_INVENTORY_REQUEST_DUIS.XML");
    let other_supplier = "90-B3-D5-1F-30-03-00-00";
    assert_eq!(
        code(send(
            &mut he,
            other_supplier,
            &update.replace(SUPPLIER, other_supplier)
        )),
        ResponseCode::E4
    );
    let on = |device: &str, change: &str| {
        update
            .replace(METER, device)
            .replace("<sr:DeleteDevice/>", change)
    };
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(gas, "<sr:DeleteDevice/>"))),
        ResponseCode::E5
    );
    // No change named, or one the schema does not have: refused, nothing changed.
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(gas, ""))),
        ResponseCode::E11
    );
    let unknown = on(gas, "<sr:Repaint/>");
    assert_eq!(code(send(&mut he, SUPPLIER, &unknown)), ResponseCode::E11);
    // A hub's status is set by the hub's own element.
    let except_ch =
        |s: &str| format!("<sr:UpdateDeviceStatusExceptCH>{s}</sr:UpdateDeviceStatusExceptCH>");
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(hub, &except_ch("Pending")))),
        ResponseCode::E11
    );
    let ch = "<sr:UpdateDeviceStatusCH>Withdrawn</sr:UpdateDeviceStatusCH>";
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(hub, ch))),
        ResponseCode::I99
    );
    // The gas meter made Pending, then deleted.
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(gas, &except_ch("Pending")))),
        ResponseCode::I99
    );
    let listed = inventory(&mut he, &mut send);
    assert!(
        listed.contains(&(hub.to_string(), "Withdrawn".to_string())),
        "{listed:?}"
    );
    assert!(
        listed.contains(&(gas.to_string(), "Pending".to_string())),
        "{listed:?}"
    );
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(gas, "<sr:DeleteDevice/>"))),
        ResponseCode::I99
    );
    assert!(he.registry().device(eui(gas)).is_none());
    let listed = inventory(&mut he, &mut send);
    assert!(!listed.iter().any(|(d, _)| d == gas), "{listed:?}");

    // A new import MPAN: its check digit is checked; then the meter is found by it.
    let mpan =
        |m: &str| format!("<sr:UpdateMPxN><sr:ImportMPxN>{m}</sr:ImportMPxN></sr:UpdateMPxN>");
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(METER, &mpan("1400000000002")))),
        ResponseCode::E080405
    );
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(METER, &mpan("1400000000001")))),
        ResponseCode::I99
    );
    let by_mpan = template("8.2_READ_INVENTORY_REQUEST_DUIS.XML").replace(
        "<sr:DeviceID>00-DB-12-34-56-78-90-A2</sr:DeviceID>",
        "<sr:MPxN>1400000000001</sr:MPxN>",
    );
    let reply = send(&mut he, SUPPLIER, &by_mpan);
    assert!(fields(xml_of(&reply), "DeviceID").contains(&METER));
    // A comms hub has no MPxN.
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(hub, &mpan("1400000000001")))),
        ResponseCode::E11
    );
    // What the registry does not hold is accepted and changes nothing, so nothing is journalled.
    he.take_journal();
    let details =
        "<sr:UpdateDeviceDetails><sr:DeviceModel>X1</sr:DeviceModel></sr:UpdateDeviceDetails>";
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(METER, details))),
        ResponseCode::I99
    );
    let export = "<sr:UpdateMPxN><sr:ExportMPAN>1400000000001</sr:ExportMPAN></sr:UpdateMPxN>";
    assert_eq!(
        code(send(&mut he, SUPPLIER, &on(METER, export))),
        ResponseCode::I99
    );
    assert!(
        !he.take_journal()
            .iter()
            .any(|c| matches!(c, Change::Inventory(_)))
    );
}

/// A registry reloaded while serving keeps the users' changes made as it was read: one made
/// after the reload began is made again on the reloaded registry (which was read without it),
/// and one the reloaded registry already has is the same made twice.
#[test]
fn a_reloaded_registry_keeps_the_inventory_changes_made_while_it_was_read() {
    let (mut he, _, at) = default_head_end();
    let before = he.registry().clone();
    let decommission = template("8.3_DECOMMISSION_DEVICE_REQUEST_DUIS.XML");
    let status = |he: &HeadEnd, eui_: &str| he.registry().device(eui(eui_)).unwrap().status;

    he.begin_registry_reload();
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &decommission, at);
    assert_eq!(code_of(&reply), ResponseCode::I99);
    // The registry as read from the database before the change was committed.
    he.finish_registry_reload(before.clone(), at);
    assert_eq!(status(&he, METER), SmiStatus::Decommissioned);

    // The next reload reads it with the change: made twice, the same.
    he.begin_registry_reload();
    let mut with_change = before;
    with_change.apply(&InventoryChange::Status {
        device: eui(METER),
        status: SmiStatus::Decommissioned,
    });
    he.finish_registry_reload(with_change.clone(), at);
    assert_eq!(status(&he, METER), SmiStatus::Decommissioned);
    // Outside a reload nothing is noted: the gas meter made Pending before the next reload
    // begins is not made again on it (the database would have it by then).
    let gas = "00-DB-12-34-56-78-90-A1";
    let pending = template("8.4_UPDATE_INVENTORY_REQUEST_DUIS.XML")
        .replace(":1000<", ":1001<")
        .replace(METER, gas)
        .replace(
            "<sr:DeleteDevice/>",
            "<sr:UpdateDeviceStatusExceptCH>Pending</sr:UpdateDeviceStatusExceptCH>",
        );
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &pending, at);
    assert_eq!(code_of(&reply), ResponseCode::I99);
    assert_eq!(status(&he, gas), SmiStatus::Pending);
    he.begin_registry_reload();
    he.finish_registry_reload(with_change, at);
    assert_eq!(status(&he, gas), SmiStatus::Commissioned);
    assert_eq!(status(&he, METER), SmiStatus::Decommissioned);
}

/// A user's change that the head-end's registry already has, made after a delta was saved
/// and before the head-end took it up, is journalled all the same, so it wins over the delta
/// when the delta is taken up: the supplier sets the meter's MPAN back to what it was.
#[test]
fn a_change_made_before_a_delta_is_taken_up_wins_over_it() {
    use dccsim::headend::MeterPoint;
    let (mut he, _, at) = default_head_end();
    let point = |he: &HeadEnd| {
        he.registry()
            .device(eui(METER))
            .unwrap()
            .meter_point
            .clone()
    };
    let old = point(&he).unwrap();
    // The delta, saved in the database: another MPAN.
    let other = (0..10)
        .find_map(|d| MeterPoint::parse(false, &format!("140000000010{d}")).ok())
        .unwrap();
    assert_ne!(old, other);
    let mut saved = he.registry().clone();
    saved.apply(&InventoryChange::MeterPoint {
        device: eui(METER),
        point: other,
    });
    // Before the head-end notices, the supplier sets the MPAN it had.
    let update = template("8.4_UPDATE_INVENTORY_REQUEST_DUIS.XML").replace(
        "<sr:DeleteDevice/>",
        &format!("<sr:UpdateMPxN><sr:ImportMPxN>{old}</sr:ImportMPxN></sr:UpdateMPxN>"),
    );
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &update, at);
    assert_eq!(code_of(&reply), ResponseCode::I99);
    let journal = he.take_journal();
    let change = journal
        .iter()
        .find_map(|c| match c {
            Change::Inventory(change) => Some(change.clone()),
            _ => None,
        })
        .expect("journalled");
    // The database replays it on the delta (as `Store::registry` does); the head-end reloads.
    saved.apply(&change);
    he.begin_registry_reload();
    he.finish_registry_reload(saved, at);
    assert_eq!(point(&he), Some(old));
}

/// Supply outages in the fleet: while a premises is off supply its meter does not answer (the
/// read times out, E21); when supply comes back the meter alerts its network operator with a
/// signed ECS80 alert (8F36 for three minutes or more, else 8F35) carrying the outage's times,
/// valid against the DUIS schema; the meter's profile shows nothing used meanwhile.
#[test]
fn premises_off_supply_do_not_answer_and_alert_their_network_operator_when_restored() {
    use dccsim::headend::outages::{OutageModel, Outages};
    let (mut he, keys, start) = default_head_end();
    let model = OutageModel {
        per_premises_per_year: 20_000.0,
        median: Duration::minutes(10),
        sigma: 0.8,
        mean_premises: 3.0,
    };
    let probe = Outages::new(model, he.registry(), start, 5);
    he.set_outages(Outages::new(model, he.registry(), start, 5));
    let first_fault = probe.next_event().expect("faults happen");

    // Step through four hours; note a premises off supply and read its meter while it is off.
    let mut alerts = Vec::new();
    let mut refused_read = None;
    let mut t = start;
    let mut counter = 4000;
    while t < start + Duration::hours(4) {
        t += Duration::seconds(30);
        for d in he.poll_deliveries(t) {
            if d.xml.contains("<sr:DeviceAlertMessage>") {
                alerts.push(d);
            } else if refused_read.is_none() {
                refused_read = Some(d.xml);
            }
        }
        if t > first_fault && counter == 4000 {
            // The first fault's premises: read one of its meters now, while it is off.
            let off_meter = he
                .registry()
                .devices()
                .filter(|d| d.device_type == dccsim::headend::DeviceType::Esme)
                .find(|d| {
                    d.supplier_on(t.date_naive()) == Some(eui(SUPPLIER))
                        && he.supply_off(d.comms_hub, t)
                });
            if let Some(meter) = off_meter.map(|d| d.device) {
                counter += 1;
                let read = template("ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML")
                    .replace(":1002<", &format!(":{counter}<"))
                    .replace(METER, &meter.to_string());
                let reply = he.handle_request(eui(SUPPLIER), Endpoint::SendCommand, &read, t);
                assert_eq!(code_of(&reply), ResponseCode::I99);
            }
        }
    }
    assert!(
        counter > 4000,
        "a supplier's meter was off supply and was read"
    );
    let refused = refused_read.expect("the read was answered");
    assert!(
        refused.contains("<sr:ResponseCode>E21</sr:ResponseCode>"),
        "{refused}"
    );
    assert!(!alerts.is_empty(), "no alert in four hours");
    for a in &alerts {
        assert_eq!(a.user, eui(NETWORK));
        schema_valid(&a.xml).unwrap();
        let code = field(&a.xml, "AlertCode");
        let alert = GbcsMessage::decode(&gbcs_of(&a.xml)).unwrap();
        assert_eq!(verify_signature(&keys, &alert), Verdict::Valid);
        assert_eq!(alert.signing.recipient, eui(NETWORK));
        let Reading::Alert {
            code: gbcs_code,
            outage: Some((from, to)),
            ..
        } = decode_dlms(&alert, None).unwrap()
        else {
            panic!("{:?}", decode_dlms(&alert, None))
        };
        assert_eq!(format!("{gbcs_code:04X}"), code);
        assert_eq!(code == "8F36", to - from >= Duration::minutes(3));
        // Nothing used while off (the half-hours wholly inside the outage).
        let meter = alert.signing.originator;
        let esme = he.meter(meter).unwrap();
        let period = dccsim::device::period_of;
        for p in (period(from) + 1)..period(to) {
            assert_eq!(esme.import_wh(p), 0);
        }
    }
}

/// A command that changes a meter (a top-up) journals the meter's state before the response it
/// answered with, so the two are committed together; a read journals no state (its counters are
/// saved once a second).
#[test]
fn a_meters_new_state_is_journalled_with_its_answer() {
    use dccsim::gateway::defaults;
    let (mut he, keys, start) = default_head_end();
    let top_up = rtds_top_up(&keys);
    he.take_journal();
    acknowledged_then_answered(&mut he, defaults::SUPPLIER, &top_up, start);
    let journal = he.take_journal();
    let state = journal.iter().position(|c| {
        matches!(c, Change::DeviceState { eui, state } if *eui == defaults::RTDS_ESME && state.contains("credit added"))
    });
    let queued = journal.iter().position(|c| matches!(c, Change::Queued(_)));
    assert!(
        state.is_some() && state < queued,
        "state {state:?}, response {queued:?}"
    );
    let read =
        template("ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML").replace(":1002<", ":12884901889<");
    acknowledged_then_answered(&mut he, defaults::SUPPLIER, &read, start);
    let journal = he.take_journal();
    assert!(
        !journal
            .iter()
            .any(|c| matches!(c, Change::DeviceState { .. })),
        "{journal:?}"
    );
}

/// Every RTDS template, sent unchanged (but for its counter) by its originator to the embedded
/// default head-end on the endpoint its command variant and the service matrix give (those
/// that decommission or delete the RTDS meter last): each gets a DUIS response, schema-valid,
/// a refusal saying why; what comes back later is schema-valid too. Which code each gets is
/// `tests/peers/rtds-answers.txt` (run with `DCCSIM_BLESS=1` to write it after a deliberate
/// change): a service newly carried, or one no longer, shows there.
#[test]
fn every_rtds_template_gets_a_duis_answer() {
    let (mut he, _keys, start) = default_head_end();
    let matrix = ServiceMatrix::embedded();
    let mut names: Vec<String> = std::fs::read_dir(reference().join("duis/rtds-templates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort_by_key(|n| (n.starts_with("8.3_") || n.starts_with("8.4_"), n.clone()));
    assert_eq!(names.len(), 297);
    let mut answers = String::new();
    let mut documents = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let xml = with_counter(&template(name), 100_000 + i as u64);
        let request = Request::parse(&xml).unwrap();
        let endpoint = if matrix.get(request.service).unwrap().non_device {
            Endpoint::NonDevice
        } else if request.command_variant == 4 {
            Endpoint::Transform
        } else {
            Endpoint::SendCommand
        };
        let at = start + Duration::seconds(i as i64);
        let SyncReply::Response { code, xml, why } =
            he.handle_request(request.id.originator, endpoint, &xml, at)
        else {
            panic!("{name}: not read as DUIS")
        };
        if !matches!(code, ResponseCode::I0 | ResponseCode::I99) {
            assert!(
                why.is_some_and(|w| !w.is_empty()),
                "{name}: {code:?} without a reason"
            );
        }
        answers.push_str(&format!("{name} {code:?}\n"));
        documents.push((name.clone(), xml));
    }
    // What arrives later, each by the request it answers (or the alert it is) and its code.
    let later = he.poll_deliveries(start + Duration::hours(2));
    let mut arrivals: Vec<String> = later
        .iter()
        .map(|d| {
            let has = |name: &str| d.xml.contains(&format!("<sr:{name}>"));
            let id = if has("RequestID") {
                field(&d.xml, "RequestID")
            } else {
                "-"
            };
            // An alert by its alert code, a response by its response code.
            let code = if has("AlertCode") {
                field(&d.xml, "AlertCode")
            } else {
                field(&d.xml, "ResponseCode")
            };
            format!("later {id} {code}\n")
        })
        .collect();
    arrivals.sort();
    answers.extend(arrivals);
    documents.extend(
        later
            .into_iter()
            .map(|d| (format!("delivery to {}", d.user), d.xml)),
    );
    schema_valid_all(&documents);
    let expected_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/rtds-answers.txt");
    if std::env::var_os("DCCSIM_BLESS").is_some() {
        std::fs::write(&expected_path, &answers).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    // Each line of either that the other lacks.
    let (want, got): (Vec<&str>, Vec<&str>) =
        (expected.lines().collect(), answers.lines().collect());
    let mut differ: Vec<String> = want
        .iter()
        .filter(|l| !got.contains(l))
        .map(|l| format!("expected {l}"))
        .collect();
    differ.extend(
        got.iter()
            .filter(|l| !want.contains(l))
            .map(|l| format!("got {l}")),
    );
    assert!(differ.is_empty() && want == got, "{}", differ.join("\n"));
}

/// 8.4 may not give a commissioned meter the MPAN another commissioned meter has (`E080405`,
/// nothing changed); its own again is accepted.
#[test]
fn update_inventory_keeps_one_commissioned_meter_per_mpan() {
    use dccsim::headend::MeterPoint;
    let (mut he, _, at) = default_head_end();
    let other = another_meter(&he, |d| d.meter_point.is_some());
    let Some(MeterPoint::Mpan(taken)) = other.meter_point.clone() else {
        panic!()
    };
    let own = he
        .registry()
        .device(eui(METER))
        .unwrap()
        .meter_point
        .clone();
    let update = |counter: u64, mpan: &str| {
        with_counter(
            &template("8.4_UPDATE_INVENTORY_REQUEST_DUIS.XML").replace(
                "<sr:DeleteDevice/>",
                &format!("<sr:UpdateMPxN><sr:ImportMPxN>{mpan}</sr:ImportMPxN></sr:UpdateMPxN>"),
            ),
            counter,
        )
    };
    let reply = he.handle_request(
        eui(SUPPLIER),
        Endpoint::NonDevice,
        &update(3000, &taken),
        at,
    );
    assert_eq!(code_of(&reply), ResponseCode::E080405, "{}", xml_of(&reply));
    let SyncReply::Response { why, .. } = &reply else {
        panic!()
    };
    assert!(
        why.as_deref().unwrap().contains(&other.device.to_string()),
        "{why:?}"
    );
    assert_eq!(he.registry().device(eui(METER)).unwrap().meter_point, own);
    let Some(MeterPoint::Mpan(mine)) = own else {
        panic!()
    };
    let reply = he.handle_request(eui(SUPPLIER), Endpoint::NonDevice, &update(3001, &mine), at);
    assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
}

/// Requests whose values DUIS's schema or the meters' clock do not allow are refused at once,
/// saying why, and reach no device: a supplier message not 1 to 116 printable ASCII characters,
/// a change of tenancy outside GBCS's clock (one in 2200 would lift the restriction), an MPAN
/// that is not thirteen digits. A service for electricity meters only, sent to a gas meter,
/// says so.
#[test]
fn values_the_schema_or_the_clock_refuse_are_refused_saying_why() {
    use dccsim::gateway::defaults;
    let (mut he, _, start) = default_head_end();
    let mut counter = 7000;
    let mut refused = |name: &str, from: &str, to: &str, why: &str| {
        counter += 1;
        let xml = with_counter(&template(name).replace(from, to), counter);
        assert!(xml.contains(to), "{name}: {from:?} not in the template");
        let reply = he.handle_request(defaults::SUPPLIER, Endpoint::SendCommand, &xml, start);
        let SyncReply::Response {
            code, why: reason, ..
        } = &reply
        else {
            panic!("{name}")
        };
        assert_eq!(*code, ResponseCode::E11, "{name}: {}", xml_of(&reply));
        let reason = reason.as_deref().unwrap_or_default();
        assert!(reason.contains(why), "{name}: {reason}");
        assert!(he.poll_deliveries(start + Duration::minutes(5)).is_empty());
    };
    let message = "<sr:SupplierMessage>Reset</sr:SupplierMessage>";
    let long = format!(
        "<sr:SupplierMessage>{}</sr:SupplierMessage>",
        "x".repeat(117)
    );
    let pound = "<sr:SupplierMessage>£5 left</sr:SupplierMessage>";
    for bad in [
        long.as_str(),
        pound,
        "<sr:SupplierMessage></sr:SupplierMessage>",
    ] {
        refused(
            "ECS10_3.1_SUCCESS_REQUEST_DUIS.XML",
            message,
            bad,
            "is not 1 to 116 printable ASCII characters",
        );
    }
    refused(
        "ECS12_3.2_SUCCESS_REQUEST_DUIS.XML",
        "2014-03-27T15:45:32.00Z",
        "2200-01-01T00:00:00Z",
        "outside the meters' clock",
    );
    refused(
        "ECS39a_6.20.1_SINGLE_SUCCESS_REQUEST_DUIS.XML",
        "<sr:ImportMPAN>1312345678333</sr:ImportMPAN>",
        "<sr:ImportMPAN>131234567833</sr:ImportMPAN>",
        "is not thirteen digits",
    );
    refused(
        "ECS34_6.12_SUCCESS_REQUEST_DUIS.XML",
        "<sr:LowMediumPowerThreshold>2300<",
        "<sr:LowMediumPowerThreshold>-1<",
        "sr:LowMediumPowerThreshold \"-1\" is not a whole number from 0 to 4294967295",
    );
    refused(
        "GCS41_6.20.1_SUCCESS_REQUEST_DUIS.XML",
        "<sr:ImportMPRN>1234567890<",
        "<sr:ImportMPRN>12345-7890<",
        "sr:ImportMPRN \"12345-7890\" is not 1 to 10 digits",
    );
    refused(
        "GCS07_3.1_SUCCESS_REQUEST_DUIS.XML",
        "<sr:SupplierMessage>Reset</sr:SupplierMessage>",
        "<sr:SupplierMessage></sr:SupplierMessage>",
        "is not 1 to 116 printable ASCII characters",
    );
    refused(
        "GCS09_3.2_SUCCESS_REQUEST_DUIS.XML",
        "2015-02-01T00:00:00.00Z",
        "1999-12-31T23:59:59Z",
        "is outside the meters' clock",
    );
    // 4.11.2 (the secondary element's tariff) to a gas meter: electricity meters only.
    refused(
        "ECS24b_4.11.2_SUCCESS_REQUEST_DUIS.XML",
        "00-DB-12-34-56-78-90-A0:",
        "00-DB-12-34-56-78-90-A1:",
        "4.11.2 does not apply to a Gsme",
    );
}

/// Commands sent back to back reach the meter in order, and its clock runs forward whatever
/// latency the WAN draws for each: the times the meter dates its answers with never go back, and
/// none is later than the response that carries it.
#[test]
fn a_meters_clock_runs_forward_through_back_to_back_commands() {
    use dccsim::gateway::defaults;
    let (mut he, _, start) = default_head_end();
    for counter in 8000..8024 {
        let xml = with_counter(
            &template("ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML"),
            counter,
        );
        let reply = he.handle_request(defaults::SUPPLIER, Endpoint::SendCommand, &xml, start);
        assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
    }
    let mut answered: Vec<(u64, Vec<u8>)> = he
        .poll_deliveries(start + Duration::minutes(5))
        .iter()
        .map(|d| {
            let m = GbcsMessage::decode(&gbcs_of(&d.xml)).unwrap();
            // Answered before the response carrying it is due.
            let dated = dccsim::protocol::dlms::CosemDateTime::from_octets(&m.signing.date_time)
                .and_then(|t| t.naive())
                .unwrap()
                .and_utc();
            assert!(
                dated <= d.due,
                "answered at {dated}, delivered at {}",
                d.due
            );
            (m.signing.originator_counter, m.signing.date_time)
        })
        .collect();
    assert_eq!(answered.len(), 24);
    answered.sort();
    let times: Vec<_> = answered.iter().map(|(_, t)| t.clone()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:02X?}");
}

/// 1.1.1 and 4.11.1 to the RTDS gas meter through the head-end (GCS01a, GCS21f): a TOU tariff
/// taken up at once is the meter's, and 4.11.1 reads it back (its special days, the price in
/// force); a block tariff for an hour ahead is held and taken up on time with the meter's five
/// 8F66 alerts, each delivered as a DeviceAlertMessage valid against the schema; held again and
/// cancelled, nothing is taken up and no alert comes.
#[test]
fn gas_tariffs_are_taken_up_at_once_on_time_or_not_at_all() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, TariffPayload, gas_payload};
    let (mut he, keys, start) = default_head_end();
    let gsme = eui("00-DB-12-34-56-78-90-A1");
    let components = |m: &GbcsMessage| -> Vec<GasPayload> {
        let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
            panic!("components")
        };
        components
            .iter()
            .map(|c| gas_payload(c, &c.payload).unwrap().unwrap())
            .collect()
    };
    let tou = template("GCS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML");
    let answer = transform_sign_send(&mut he, &keys, &tou, 3000, start);
    let answers = components(&answer);
    assert_eq!(answers.len(), 11);
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, GasPayload::DefaultResponse { status: 0, .. }))
    );
    let tariff = he.gas_meter(gsme).unwrap().gas_tariff();
    assert_eq!(tariff.special_days.len(), 10);
    assert_eq!(tariff.tier_prices, [9_600, 10_200, 10_750, 11_000]);
    assert_eq!(tariff.information.standing_charge, 22_465);
    // 4.11.1 reads back what the meter runs: 2026-11-23, a Monday in the season from
    // 21 June, week 2: tier 3.
    let read = with_counter(&template("GCS21f_4.11.1_SUCCESS_REQUEST_DUIS.XML"), 3005);
    let answer = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &read, start);
    let answers = components(&answer);
    let special = answers.iter().find_map(|a| match a {
        GasPayload::TariffAnswer(TariffPayload::PublishSpecialDays { days, .. }) => Some(days),
        _ => None,
    });
    assert_eq!(special.map(Vec::len), Some(10));
    let price = answers.iter().find_map(|a| match a {
        GasPayload::TariffAnswer(TariffPayload::PublishPrice { price, .. }) => Some(*price),
        _ => None,
    });
    assert_eq!(price, Some(10_750));
    // A block tariff an hour ahead: held, then taken up with five alerts.
    let ahead =
        |name: &str| template(name).replace("2030-01-15T09:00:00.00Z", "2026-11-23T11:00:00Z");
    let block = ahead("GCS01a_1.1.1_FUTURE_DATED_BLOCK_SUCCESS_REQUEST_DUIS.XML");
    transform_sign_send(&mut he, &keys, &block, 3010, start);
    assert_eq!(he.gas_meter(gsme).unwrap().gas_tariff(), tariff, "held");
    assert!(he.poll_deliveries(start + Duration::minutes(59)).is_empty());
    let alerts = he.poll_deliveries(start + Duration::minutes(61));
    assert_eq!(alerts.len(), 5);
    for alert in &alerts {
        assert_eq!(alert.user, defaults::SUPPLIER);
        assert!(alert.xml.contains("DeviceAlertMessage"), "{}", alert.xml);
        schema_valid(&alert.xml).unwrap();
        let gbcs = GbcsMessage::decode(&gbcs_of(&alert.xml)).unwrap();
        assert_eq!(verify_signature(&keys, &gbcs), Verdict::Valid);
        let Gbz::Alert { alert_code, .. } = Gbz::decode(&gbcs.signing.content, true).unwrap()
        else {
            panic!("{}", alert.xml)
        };
        assert_eq!(alert_code, 0x8F66);
    }
    let taken = he.gas_meter(gsme).unwrap().gas_tariff();
    assert!(taken.information.block);
    assert_eq!(taken.thresholds, [1_000_000, 2_000_000, 3_000_000]);
    // Held again, then cancelled: nothing taken up, no alert.
    let later = start + Duration::hours(2);
    let again = template("GCS01a_1.1.1_FUTURE_DATED_BLOCK_SUCCESS_REQUEST_DUIS.XML")
        .replace("2030-01-15T09:00:00.00Z", "2026-11-23T14:00:00Z")
        .replace(">54794<", ">11111<");
    transform_sign_send(&mut he, &keys, &again, 3020, later);
    let cancel = template("GCS01a_1.1.1_CANCELLATION_BLOCK_SUCCESS_REQUEST_DUIS.XML");
    transform_sign_send(&mut he, &keys, &cancel, 3030, later);
    assert!(he.poll_deliveries(start + Duration::hours(5)).is_empty());
    assert_eq!(he.gas_meter(gsme).unwrap().gas_tariff(), taken);
}

/// 8.7 Join, 8.8 Unjoin and 8.9 Read Device Log to the RTDS meters, from the RTDS templates: the
/// electricity meter joins the RTDS's load switch (CS03A1, critical: transform, sign, send) and
/// unjoins `…90-99` (CS04AC); the gas meter joins its new gas proxy function (CS03B), unjoins
/// `01-02-…-08` (CS04B), reads its log back (CS07) as the RTDS meter's vectors show it, and
/// joins a PPMID by method C (CS03C), given its certificate. A PPMID whose certificate the
/// head-end does not hold, a join naming a device the inventory does not have and a join by the
/// wrong variant are refused, naming why.
#[test]
fn rtds_join_templates_change_and_read_the_meters_device_logs() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::join::{HanPayload, HanType, LogEntry};
    let (mut he, keys, start) = default_head_end();
    let han = |m: &GbcsMessage| {
        let code = m.message_code().unwrap();
        HanPayload::decode(code, false, &m.signing.content).unwrap()
    };
    let joined = transform_sign_send(
        &mut he,
        &keys,
        &template("CS03A1_8.7.1_SUCCESS_REQUEST_DUIS.XML"),
        2000,
        start,
    );
    assert_eq!(han(&joined), HanPayload::Outcome { code: 0 });
    let unjoined = transform_sign_send(
        &mut he,
        &keys,
        &template("CS04ACCritical_8.8.1_SUCCESS_REQUEST_DUIS.XML"),
        2002,
        start,
    );
    assert_eq!(han(&unjoined), HanPayload::Outcome { code: 0 });
    let esme = he.meter(defaults::RTDS_ESME).unwrap();
    assert_eq!(
        esme.device_log().entries,
        [LogEntry {
            device: eui("00-DB-12-34-56-78-90-9A"),
            device_type: HanType::Hcalcs
        }]
    );
    let supplier = defaults::SUPPLIER;
    let send = |he: &mut HeadEnd, name: &str, counter| {
        let xml = with_counter(&template(name), counter);
        let answer = acknowledged_then_answered(he, supplier, &xml, start);
        assert_eq!(answer.signing.originator, defaults::RTDS_GSME);
        han(&answer)
    };
    let outcome = send(&mut he, "CS03B_8.7.2_SUCCESS_REQUEST_DUIS.XML", 2010);
    assert_eq!(outcome, HanPayload::Outcome { code: 0 });
    let outcome = send(&mut he, "CS04B_8.8.2_SUCCESS_REQUEST_DUIS.XML", 2011);
    assert_eq!(outcome, HanPayload::Outcome { code: 0 });
    let HanPayload::Log { code: 0, entries } =
        send(&mut he, "CS07_8.9_SUCCESS_REQUEST_DUIS.XML", 2012)
    else {
        panic!("a device log")
    };
    let devices: Vec<String> = entries.iter().map(|e| e.device.to_string()).collect();
    assert_eq!(
        devices,
        [
            "00-DB-12-34-56-78-90-99",
            "00-DB-12-34-56-78-90-97",
            "00-DB-12-34-56-78-90-9C"
        ]
    );
    // A PPMID joined by method C, with its certificate from the SMKI repository.
    let critical = template("CS03CCritical_8.7.1_SUCCESS_REQUEST_DUIS.XML");
    let joined = transform_sign_send(&mut he, &keys, &critical, 2013, start);
    assert_eq!(han(&joined), HanPayload::Outcome { code: 0 });
    let ppmid = eui("00-DB-12-34-56-78-90-98");
    let gas = he.gas_meter(defaults::RTDS_GSME).unwrap();
    let entry = gas
        .device_log()
        .entries
        .into_iter()
        .find(|e| e.device == ppmid);
    assert_eq!(entry.map(|e| e.device_type), Some(HanType::Ppmid));
    // Refused before any device traffic, each naming why: a PPMID whose certificate the
    // repository does not hold, a device the inventory does not, a join by the wrong variant.
    let uncertified = critical.replace(
        "<sr:OtherDeviceID>00-DB-12-34-56-78-90-98<",
        "<sr:OtherDeviceID>00-DB-12-34-56-78-90-A4<",
    );
    let why = refused_e11(
        &mut he,
        supplier,
        Endpoint::Transform,
        &uncertified,
        2020,
        start,
    );
    assert!(
        why.contains("holds none for 00-DB-12-34-56-78-90-A4"),
        "{why}"
    );
    let stranger = critical.replace(
        "<sr:OtherDeviceID>00-DB-12-34-56-78-90-98<",
        "<sr:OtherDeviceID>00-DB-12-34-56-78-90-0F<",
    );
    let why = refused_e11(
        &mut he,
        supplier,
        Endpoint::Transform,
        &stranger,
        2021,
        start,
    );
    assert!(why.contains("not in the inventory"), "{why}");
    let critical_proxy = template("CS03B_8.7.2_SUCCESS_REQUEST_DUIS.XML")
        .replace("JoinServiceNonCritical>", "JoinServiceCritical>")
        .replace("<sr:CommandVariant>1<", "<sr:CommandVariant>4<")
        .replace(
            ">8.7.2</sr:ServiceReferenceVariant>",
            ">8.7.1</sr:ServiceReferenceVariant>",
        );
    let why = refused_e11(
        &mut he,
        supplier,
        Endpoint::Transform,
        &critical_proxy,
        2022,
        start,
    );
    assert!(why.contains("by 8.7.2, not 8.7.1"), "{why}");
    assert!(he.poll_deliveries(start + Duration::minutes(10)).is_empty());
    // The gas proxy function's own log: its gas meter.
    let proxy_log = with_counter(&template("CS07_8.9_SUCCESS_REQUEST_DUIS.XML"), 2030)
        .replace(":00-DB-12-34-56-78-90-A1:", ":00-DB-12-34-56-78-90-A3:");
    let answer = acknowledged_then_answered(&mut he, supplier, &proxy_log, start);
    assert_eq!(answer.signing.originator, defaults::RTDS_GPF);
    assert_eq!(
        han(&answer),
        HanPayload::Log {
            code: 0,
            entries: vec![LogEntry {
                device: defaults::RTDS_GSME,
                device_type: HanType::Gsme
            }]
        }
    );
}

/// The RTDS prepayment display (`…90-A4`) and load switch (`…90-A5`) from the RTDS templates:
/// the display joins the installing electricity meter (8.7.2, CS03A2 from the broker on the
/// supplier's behalf) and gas meter (CS03C, method C, given the meter's certificate) and
/// unjoins `01-02-…-08` (8.8.2, CS04AC); the load switch joins the electricity meter by the
/// critical 8.7.1 (transform, sign, send); the display reports its firmware (11.2, CS08). Each
/// answer comes from the device, named for the supplier; the logs survive a restart.
#[test]
fn rtds_ppmid_and_hcalcs_templates_join_their_meters() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::asn1::AsnPayload;
    use dccsim::protocol::gbcs::join::{HanPayload, LogEntry};
    let (mut he, keys, start) = default_head_end();
    let supplier = defaults::SUPPLIER;
    let outcome = |m: &GbcsMessage| {
        HanPayload::decode(m.message_code().unwrap(), false, &m.signing.content).unwrap()
    };
    let from_display = |he: &mut HeadEnd, xml: &str| {
        let answer = acknowledged_then_answered(he, supplier, xml, start);
        assert_eq!(answer.signing.originator, defaults::RTDS_PPMID);
        assert_eq!(verify_mac(&keys, &answer, defaults::ACB), Verdict::Valid);
        answer
    };
    let joined = from_display(
        &mut he,
        &template("CS03A2NonCritical_8.7.2_SUCCESS_REQUEST_DUIS.XML"),
    );
    assert_eq!(outcome(&joined), HanPayload::Outcome { code: 0 });
    // Named for the supplier and its counter, as the broker sent it.
    let named = [
        &[0x00, 0xAB][..],
        &SUPPLIER.parse::<Eui64>().unwrap().0,
        &1000u64.to_be_bytes(),
    ]
    .concat();
    assert_eq!(joined.signing.other_information, named);
    let unjoined = from_display(
        &mut he,
        &with_counter(
            &template("CS04ACNonCritical_8.8.2_SUCCESS_REQUEST_DUIS.XML"),
            1001,
        ),
    );
    assert_eq!(outcome(&unjoined), HanPayload::Outcome { code: 0 });
    let firmware = template("CS08_11.2_SUCCESS_REQUEST_DUIS.XML").replace(
        "90-B3-D5-1F-30-00-00-02:00-DB-12-34-56-78-90-A4:1000",
        &format!("{SUPPLIER}:00-DB-12-34-56-78-90-A4:1002"),
    );
    let firmware = from_display(&mut he, &firmware);
    assert_eq!(
        AsnPayload::decode(&firmware.signing.content, false).unwrap(),
        Some(AsnPayload::Firmware {
            version: "0123ABCD".into(),
            status: 0
        })
    );
    let switched = transform_sign_send(
        &mut he,
        &keys,
        &template("CS03A2Critical_8.7.1_SUCCESS_REQUEST_DUIS.XML"),
        1003,
        start,
    );
    assert_eq!(switched.signing.originator, defaults::RTDS_HCALCS);
    assert_eq!(outcome(&switched), HanPayload::Outcome { code: 0 });
    let meter = eui("00-DB-12-34-56-78-90-93");
    let logged = |he: &HeadEnd, device| -> Vec<Eui64> {
        let log = &he.han_device(device).unwrap().device_log.entries;
        log.iter().map(|e: &LogEntry| e.device).collect()
    };
    assert_eq!(logged(&he, defaults::RTDS_HCALCS), [meter]);
    // The display joins the installing gas meter by method C, given its certificate.
    let gas_meter = from_display(
        &mut he,
        &with_counter(
            &template("CS03CNonCritical_8.7.2_SUCCESS_REQUEST_DUIS.XML"),
            1010,
        ),
    );
    assert_eq!(outcome(&gas_meter), HanPayload::Outcome { code: 0 });
    assert_eq!(
        logged(&he, defaults::RTDS_PPMID),
        [meter, eui("00-DB-12-34-56-78-90-94")]
    );
    // What the devices hold is saved with them and put back on a restart.
    let (mut restarted, _, _) = default_head_end();
    let display = logged(&he, defaults::RTDS_PPMID);
    assert!(logged(&restarted, defaults::RTDS_PPMID) != display);
    for (eui, state) in he.take_device_states() {
        restarted.restore_device_state(eui, &state).unwrap();
    }
    assert_eq!(logged(&restarted, defaults::RTDS_PPMID), display);
    assert_eq!(logged(&restarted, defaults::RTDS_HCALCS), [meter]);
}

#[test]
fn a_change_of_supplier_hands_the_meter_to_the_new_supplier_by_6_23() {
    use dccsim::gateway::defaults;
    use dccsim::headend::SupplyPeriod;
    use dccsim::protocol::gbcs::credentials::{Cell, CredentialsPayload, KeyUsage, Role as Party};
    let (mut he, keys, start) = default_head_end();
    let meter = eui("00-DB-12-34-56-78-90-A0");
    let supplier_cell = Cell::new(Party::Supplier, KeyUsage::DigitalSignature);
    let holder = |he: &HeadEnd| {
        he.device_credentials(meter)
            .and_then(|c| c.holder(supplier_cell))
    };
    assert_eq!(holder(&he), Some(eui(SUPPLIER)));
    // The broker reads the meter's supplier and network operator anchors for the supplier.
    let read = with_counter(&template("CS02aMAC_6.24.1_SUCCESS_REQUEST_DUIS.XML"), 4000);
    let details = acknowledged_then_answered(&mut he, eui(SUPPLIER), &read, start);
    let Ok(CredentialsPayload::Details { parties }) =
        CredentialsPayload::decode(0x0008, false, &details.signing.content)
    else {
        panic!("CS02a details")
    };
    assert_eq!(parties.len(), 2);
    assert!(parties.iter().all(|p| p.status == 0 && !p.cells.is_empty()));
    // Supplier 2 gains the meter's supply today; the old supplier is refused from now (E4).
    let mut registry = he.registry().clone();
    let mut record = registry.device(meter).unwrap().clone();
    let today = start.date_naive();
    record.supply.last_mut().unwrap().to = Some(today);
    record.supply.push(SupplyPeriod {
        supplier: defaults::SUPPLIER_2,
        from: today,
        to: None,
    });
    registry.insert(record);
    he.set_registry(registry);
    let cos = template("CS02bSupplierByTransCoS_6.23_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML");
    let old = he.handle_request(
        eui(SUPPLIER),
        Endpoint::SendCommand,
        &with_counter(&cos, 4001),
        start,
    );
    assert_eq!(code_of(&old), ResponseCode::E4, "{}", xml_of(&old));
    // Its 6.23, with its own certificates, goes to the meter signed by the DCC's transitional
    // change-of-supplier party; the meter answers with what it replaced.
    let cos = cos.replace("90-B3-D5-1F-30-01-00-00:", "90-B3-D5-1F-30-03-00-00:");
    let answer = acknowledged_then_answered(
        &mut he,
        defaults::SUPPLIER_2,
        &with_counter(&cos, 4002),
        start,
    );
    assert_eq!(answer.signing.recipient, dccsim::headend::TRANSITIONAL_COS);
    let Ok(CredentialsPayload::Updated {
        outcome: Some(outcome),
    }) = CredentialsPayload::decode(0x0107, false, &answer.signing.content)
    else {
        panic!("a CS02b answer")
    };
    assert_eq!(outcome.replaced.len(), 3);
    for r in &outcome.replaced {
        assert_eq!(r.status, 0, "{r:?}");
        assert_eq!(r.existing_subject, eui(SUPPLIER).0);
        assert_eq!(r.replacing_subject, defaults::SUPPLIER_2.0);
    }
    assert_eq!(holder(&he), Some(defaults::SUPPLIER_2));
    // The new supplier's critical commands now reach the meter and are carried out: a device
    // certificate read (6.24.2) through Transform, its signature, Send.
    let critical = template("CS02e_6.24.2_SUCCESS_REQUEST_DUIS.XML")
        .replace("90-B3-D5-1F-30-01-00-00:", "90-B3-D5-1F-30-03-00-00:");
    let answer = transform_sign_send(&mut he, &keys, &critical, 4003, start);
    assert_eq!(answer.signing.recipient, defaults::SUPPLIER_2);
    // A handover carries the user's own certificates (these are supplier 1's).
    let handover = template("CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML")
        .replace(
            "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A3",
            "90-B3-D5-1F-30-03-00-00:00-DB-12-34-56-78-90-A0",
        );
    let reply = he.handle_request(
        defaults::SUPPLIER_2,
        Endpoint::SendCommand,
        &with_counter(&handover, 4010),
        start,
    );
    assert_eq!(code_of(&reply), ResponseCode::E11, "{}", xml_of(&reply));
    let SyncReply::Response { why, .. } = reply else {
        panic!()
    };
    assert!(why.unwrap().contains("a user replaces its own anchors"));
    // The anchors are the meter's state: journalled with its answer, restored after a restart.
    let saved: Vec<(Eui64, String)> = he
        .take_journal()
        .into_iter()
        .filter_map(|c| match c {
            Change::DeviceState { eui, state } if eui == meter => Some((eui, state)),
            _ => None,
        })
        .collect();
    let (mut fresh, _, _) = default_head_end();
    fresh
        .restore_device_state(meter, &saved.last().unwrap().1)
        .unwrap();
    assert_eq!(holder(&fresh), Some(defaults::SUPPLIER_2));
}

#[test]
fn the_dcc_hands_over_the_gas_proxy_it_controls_to_the_supplier() {
    use dccsim::protocol::gbcs::credentials::{Cell, CredentialsPayload, KeyUsage, Role as Party};
    let (mut he, _keys, start) = default_head_end();
    let proxy = eui("00-DB-12-34-56-78-90-A3");
    let cell = Cell::new(Party::Supplier, KeyUsage::DigitalSignature);
    let holder = |he: &HeadEnd| he.device_credentials(proxy).and_then(|c| c.holder(cell));
    assert_eq!(holder(&he), Some(eui("90-B3-D5-1F-30-00-00-02")));
    let handover = template("CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML");
    let answer = acknowledged_then_answered(
        &mut he,
        eui(SUPPLIER),
        &with_counter(&handover, 4100),
        start,
    );
    let Ok(CredentialsPayload::Updated {
        outcome: Some(outcome),
    }) = CredentialsPayload::decode(0x0102, false, &answer.signing.content)
    else {
        panic!("a CS02b answer")
    };
    assert!(
        outcome.replaced.iter().all(|r| r.status == 0),
        "{outcome:?}"
    );
    assert_eq!(holder(&he), Some(eui(SUPPLIER)));
    // Once handed over, it is not the DCC's to hand over again.
    let again = he.handle_request(
        eui(SUPPLIER),
        Endpoint::SendCommand,
        &with_counter(&handover, 4101),
        start,
    );
    let SyncReply::Response { code, why, .. } = again else {
        panic!()
    };
    assert_eq!(code, ResponseCode::E11);
    assert!(why.unwrap().contains("a device the DCC controls"));
}

/// 11.1 sends the RTDS template's image to the RTDS meter (and is warned of a device it does
/// not supply), the meter alerts 8F72 with the image's hash once it holds it, 11.3 with another
/// hash leaves it running what it ran (2), 11.3 with the image's activates it, and both 11.2 and
/// the inventory then give the image's version.
#[test]
fn a_firmware_upgrade_is_distributed_alerted_activated_and_read_back() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::firmware::{FirmwarePayload, Outcome, UpgradeImage};
    let (mut he, keys, start) = default_head_end();
    let esme = defaults::RTDS_ESME;
    let before = he.meter(esme).unwrap().firmware;
    let template_11_1 = template("11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML");
    let image_text = field(&template_11_1, "FirmwareImage");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(image_text)
        .unwrap();
    let image = UpgradeImage::parse(&bytes).unwrap();
    let stranger = "00-DB-12-34-56-78-90-FF";
    let update = with_counter(&template_11_1, 3000)
        .replace(&format!(">{esme}<"), &format!(">{esme},{stranger}<"));
    let reply = he.handle_request(defaults::SUPPLIER, Endpoint::NonDevice, &update, start);
    assert_eq!(code_of(&reply), ResponseCode::W110101, "{}", xml_of(&reply));
    let xml = xml_of(&reply);
    schema_valid(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert_eq!(field(xml, "InvalidDeviceIDList"), stranger);
    // Another supplier's image for the same meter: not theirs to upgrade.
    let theirs = with_counter(&template_11_1, 1).replace(
        "<sr:RequestID>90-B3-D5-1F-30-01-00-00",
        "<sr:RequestID>90-B3-D5-1F-30-03-00-00",
    );
    let reply = he.handle_request(defaults::SUPPLIER_2, Endpoint::NonDevice, &theirs, start);
    assert_eq!(code_of(&reply), ResponseCode::W110101, "{}", xml_of(&reply));
    assert_eq!(
        field(xml_of(&reply), "InvalidDeviceIDList"),
        esme.to_string()
    );
    // Not an image at all: refused, naming what is wrong.
    let broken = with_counter(&template_11_1, 3001).replace(image_text, "AAAA");
    let reply = he.handle_request(defaults::SUPPLIER, Endpoint::NonDevice, &broken, start);
    let SyncReply::Response { code, why, .. } = reply else {
        panic!("not a DUIS answer")
    };
    assert_eq!(code, ResponseCode::E11);
    assert!(
        why.as_deref().is_some_and(|w| w.contains("too short")),
        "{why:?}"
    );
    // The meter holds it within the minute and says so, signed.
    let delivered = he.poll_deliveries(start + Duration::minutes(1));
    assert_eq!(delivered.len(), 1, "the meter's 8F72");
    let xml = &delivered[0].xml;
    schema_valid(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert_eq!(field(xml, "AlertCode"), "8F72");
    let alert = GbcsMessage::decode(&gbcs_of(xml)).unwrap();
    assert_eq!(verify_signature(&keys, &alert), Verdict::Valid);
    assert!(alert.signing.content.ends_with(&image.hash()));
    let outcome = |answer: &GbcsMessage| {
        let code = dccsim::protocol::gbcs::firmware::CS06;
        FirmwarePayload::decode(code, &answer.signing.content).unwrap()
    };
    // The RTDS template's placeholder hash is not the image's.
    let activate = template("CS06_11.3_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML");
    let answer = transform_sign_send(
        &mut he,
        &keys,
        &activate,
        3010,
        start + Duration::minutes(2),
    );
    let unchanged = Outcome {
        status: dccsim::protocol::gbcs::firmware::Activation::HashMismatch,
        version: before.to_vec(),
    };
    assert_eq!(outcome(&answer), FirmwarePayload::Outcome(unchanged));
    let hash = dccsim::protocol::gbcs::hex(&image.hash());
    let activate = activate.replace(field(&activate, "FirmwareHash"), &hash);
    let at = start + Duration::minutes(10);
    let answer = transform_sign_send(&mut he, &keys, &activate, 3020, at);
    let activated = Outcome {
        status: dccsim::protocol::gbcs::firmware::Activation::Activated,
        version: image.version.to_vec(),
    };
    assert_eq!(outcome(&answer), FirmwarePayload::Outcome(activated));
    let read = with_counter(&template("ECS52_11.2_SUCCESS_REQUEST_DUIS.XML"), 3030);
    let answer = acknowledged_then_answered(&mut he, defaults::SUPPLIER, &read, at);
    assert_eq!(
        decode_dlms(&answer, None).unwrap(),
        Reading::FirmwareVersion {
            version: "ACDCACDC".into()
        }
    );
    let inventory = with_counter(&template("8.2_READ_INVENTORY_REQUEST_DUIS.XML"), 3040);
    let reply = he.handle_request(defaults::SUPPLIER, Endpoint::NonDevice, &inventory, at);
    assert_eq!(code_of(&reply), ResponseCode::I0, "{}", xml_of(&reply));
    let xml = xml_of(&reply);
    // The RTDS meter's, second of the devices with a virtual device (as the inventory test
    // has them), was 01000000.
    assert_eq!(
        fields(xml, "DeviceFirmwareVersion"),
        [
            "0123ABCD", "ACDCACDC", "0123ABCD", "0123ABCD", "0123ABCD", "0123ABCD"
        ]
    );
}

/// One 11.1 for the RTDS electricity and gas meters: both get the image and each alerts 8F72;
/// 11.3 to the gas meter activates it there (CS06 in ASN.1, as to any meter); the gas proxy
/// function is not a meter this head-end upgrades (`NotApplicableFirmwareDeviceIDList`).
#[test]
fn one_firmware_update_reaches_the_electricity_and_gas_meters() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::firmware::{FirmwarePayload, Outcome, UpgradeImage};
    let (mut he, keys, start) = default_head_end();
    let (esme, gsme, gpf) = (defaults::RTDS_ESME, defaults::RTDS_GSME, defaults::RTDS_GPF);
    let template_11_1 = template("11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(field(&template_11_1, "FirmwareImage"))
        .unwrap();
    let image = UpgradeImage::parse(&bytes).unwrap();
    let update = with_counter(&template_11_1, 3000)
        .replace(&format!(">{esme}<"), &format!(">{esme},{gsme},{gpf}<"));
    let reply = he.handle_request(defaults::SUPPLIER, Endpoint::NonDevice, &update, start);
    assert_eq!(code_of(&reply), ResponseCode::W110101, "{}", xml_of(&reply));
    assert_eq!(
        field(xml_of(&reply), "NotApplicableFirmwareDeviceIDList"),
        gpf.to_string()
    );
    let delivered = he.poll_deliveries(start + Duration::minutes(1));
    let mut from: Vec<String> = delivered
        .iter()
        .map(|d| {
            assert_eq!(field(&d.xml, "AlertCode"), "8F72");
            schema_valid(&d.xml).unwrap_or_else(|e| panic!("{e}: {}", d.xml));
            let alert = GbcsMessage::decode(&gbcs_of(&d.xml)).unwrap();
            assert!(alert.signing.content.ends_with(&image.hash()));
            alert.signing.originator.to_string()
        })
        .collect();
    from.sort();
    assert_eq!(from, [esme.to_string(), gsme.to_string()]);
    let hash = dccsim::protocol::gbcs::hex(&image.hash());
    let activate = template("CS06_11.3_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML");
    let activate = activate
        .replace(field(&activate, "FirmwareHash"), &hash)
        .replace(&format!(":{esme}:"), &format!(":{gsme}:"));
    let answer = transform_sign_send(
        &mut he,
        &keys,
        &activate,
        3010,
        start + Duration::minutes(2),
    );
    let code = dccsim::protocol::gbcs::firmware::CS06;
    assert_eq!(
        FirmwarePayload::decode(code, &answer.signing.content).unwrap(),
        FirmwarePayload::Outcome(Outcome {
            status: dccsim::protocol::gbcs::firmware::Activation::Activated,
            version: image.version.to_vec()
        })
    );
    assert_eq!(&*he.gas_meter(gsme).unwrap().firmware, "ACDCACDC");
    // The electricity meter still holds its image, not yet activated.
    assert_eq!(he.meter(esme).unwrap().firmware, [1, 0, 0, 0]);
    // An image another supplier signed: the gas meter discards it and says so, 8F1C (its
    // alert in GBZ).
    let body = b"not this supplier's".repeat(10);
    let theirs = dccsim::protocol::gbcs::firmware::build_image(0x121D, [9; 4], "x", &body, |m| {
        keys.sign(defaults::SUPPLIER_2, m).unwrap()
    });
    let encoded = base64::engine::general_purpose::STANDARD.encode(&theirs);
    let update = with_counter(&template_11_1, 3020)
        .replace(field(&template_11_1, "FirmwareImage"), &encoded)
        .replace(&format!(">{esme}<"), &format!(">{gsme}<"));
    let at = start + Duration::minutes(3);
    let reply = he.handle_request(defaults::SUPPLIER, Endpoint::NonDevice, &update, at);
    assert_eq!(code_of(&reply), ResponseCode::I99, "{}", xml_of(&reply));
    let delivered = he.poll_deliveries(at + Duration::minutes(1));
    assert_eq!(delivered.len(), 1);
    schema_valid(&delivered[0].xml).unwrap();
    assert_eq!(field(&delivered[0].xml, "AlertCode"), "8F1C");
    assert_eq!(&*he.gas_meter(gsme).unwrap().firmware, "ACDCACDC");
}
