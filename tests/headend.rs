//! The head-end pipeline end to end in memory (sans-IO): RTDS DUIS templates go in as a supplier
//! sends them; access control, replay refusal and the critical-command flow (Transform, sign,
//! Send) behave as DUIS says; the virtual meter's answer comes back as an I0 response carrying
//! GBCS that the supplier's key opens; responses validate against the DUIS 5.4 schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use dccsim::device::{Consumer, CustomerType, Esme};
use dccsim::headend::{
    Endpoint, HeadEnd, Registry, Request, ResponseCode, ServiceMatrix, SyncReply, User, WanLink,
};
use dccsim::model::{CspRegion, Eui64, Role};
use dccsim::protocol::gbcs::payload::{Reading, decode_dlms};
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
"
        ),
    )
    .unwrap();
    let registry = Registry::import(&extract).unwrap();
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
    let check = Box::new(|xml: &str| {
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
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
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
    let mut pre = GbcsMessage::decode(&gbcs_of(xml_of(&reply))).unwrap();
    assert!(pre.signing.signature.is_none());
    assert!(sign_message(&keys, &mut pre));
    let signed = base64::engine::general_purpose::STANDARD.encode(pre.to_bytes().unwrap());
    let send = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Request xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\" schemaVersion=\"5.4\"><sr:Header><sr:RequestID>{SUPPLIER}:{METER}:3001</sr:RequestID><sr:CommandVariant>5</sr:CommandVariant><sr:ServiceReference>7.2</sr:ServiceReference><sr:ServiceReferenceVariant>7.2</sr:ServiceReferenceVariant></sr:Header><sr:Body><sr:SignedPreCommand><sr:GBCSPayload>{signed}</sr:GBCSPayload></sr:SignedPreCommand></sr:Body></sr:Request>"
    );
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
}

/// The RTDS gas templates run unchanged against the embedded default's gas meter: the head-end
/// turns each into its GBZ command (GCS13a, GCS17, GCS61), the virtual gas meter or its proxy
/// answers sealed for the supplier, and the response carries that GBCS.
#[test]
fn rtds_gas_templates_are_answered_by_the_virtual_gas_meter() {
    use dccsim::gateway::defaults;
    use dccsim::protocol::gbcs::gbz::{GasReading, Gbz, gas_reading};
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let (registry, meters, gas) = defaults::full_fleet(10, 3, start);
    let check = Box::new(|xml: &str| {
        Request::parse(xml)
            .map(|r| r.id.originator)
            .map_err(|e| e.to_string())
    });
    let keys = defaults::keys(3).unwrap();
    let mut he = HeadEnd::new(
        ServiceMatrix::embedded(),
        registry,
        defaults::users(),
        meters,
        defaults::keys(3).unwrap(),
        defaults::ACB,
        defaults::wan(),
        check,
        3,
    );
    he.add_gas_meters(gas);
    let mut readings = Vec::new();
    for name in [
        "GCS13a_4.1.1_SUCCESS_RELIABLE_GSME_REQUEST_DUIS.XML",
        "GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML",
        "GCS17_4.8.1_SUCCESS_REQUEST_DUIS.XML",
        "GCS61_4.17_SUCCESS_REQUEST_DUIS.XML",
    ] {
        let reply = he.handle_request(
            defaults::SUPPLIER,
            Endpoint::SendCommand,
            &template(name),
            start,
        );
        assert_eq!(
            code_of(&reply),
            ResponseCode::I99,
            "{name}: {}",
            xml_of(&reply)
        );
        let delivered = he.poll_deliveries(start + Duration::minutes(5));
        assert_eq!(delivered.len(), 1, "{name}");
        let xml = &delivered[0].xml;
        assert!(
            xml.contains("<sr:ResponseCode>I0</sr:ResponseCode>"),
            "{name}: {xml}"
        );
        schema_valid(xml).unwrap_or_else(|e| panic!("{name}: {e}"));
        let m = GbcsMessage::decode(&gbcs_of(xml)).unwrap();
        let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
            panic!("{name}")
        };
        let c = &components[0];
        let reading = gas_reading(c, &c.plaintext(&m, &keys).unwrap())
            .unwrap()
            .unwrap();
        readings.push(reading);
    }
    assert!(matches!(
        readings[0],
        GasReading::Registers {
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
        GasReading::SampledData {
            interval_s: 1800,
            samples,
            ..
        } => assert_eq!(samples.len(), 96),
        other => panic!("{other:?}"),
    }
    match &readings[3] {
        // 10 to 20 December 2014: ten days.
        GasReading::SampledData {
            sample_id: 1,
            samples,
            ..
        } => assert_eq!(samples.len(), 10),
        other => panic!("{other:?}"),
    }
}
