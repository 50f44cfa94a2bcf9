//! Every kind of response the head-end sends — acknowledgements, refusals, device answers with
//! GBCS (electricity and gas), pre-commands, DCC schedule answers and scheduled reads, the
//! inventory and the WAN matrix, an Update Firmware's warning and the meter's receipt alert, a
//! meter's alert after a supply outage — as `dccsim serve` sends them (signed with the DSP's
//! XML-signing key, except the synchronous acknowledgements and refusals, which DCC Boxed sends
//! unsigned), passes DCC's own validation tool, is valid against the DUIS 5.4 schema (checked by
//! Python's `xmlschema`: xmllint cannot read the 39-digit serial number of the DSP certificate
//! that a signature's KeyInfo carries) and parses with Smart DCC's own DUIS parser
//! (`@smartdcc/duis-parser`) to the same response code and service reference variant.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Duration, TimeZone, Utc};
use dccsim::gateway::defaults;
use dccsim::headend::xmldsig::XmlSigners;
use dccsim::headend::{Endpoint, HeadEnd, Request, SyncReply};

mod common;

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

fn template(name: &str) -> String {
    std::fs::read_to_string(reference().join("duis/rtds-templates").join(name)).unwrap()
}

fn field<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    dccsim::gateway::receive::field(xml, name)
}

#[test]
fn every_kind_of_response_validates_with_dccs_tool_and_parses_with_dccs_parser() {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    let check = std::sync::Arc::new(|xml: &str| {
        Request::parse(xml)
            .map(|r| r.id.originator)
            .map_err(|e| e.to_string())
    });
    let mut he = defaults::head_end(10, 3, now, defaults::wan(), check).unwrap();
    he.set_schedule_spread(Duration::zero());
    let supplier = defaults::SUPPLIER;
    // (what, whether `dccsim serve` signs it, the response)
    let mut responses: Vec<(String, bool, String)> = Vec::new();
    let send = |he: &mut HeadEnd,
                responses: &mut Vec<(String, bool, String)>,
                endpoint,
                xml: String,
                what: &str| {
        match he.handle_request(supplier, endpoint, &xml, now) {
            SyncReply::Response { xml, code, .. } => {
                responses.push((what.to_string(), code.signed_when_synchronous(), xml))
            }
            SyncReply::Invalid(e) => panic!("{what}: {e}"),
        }
    };
    let read = template("ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML");
    send(
        &mut he,
        &mut responses,
        Endpoint::SendCommand,
        read.clone(),
        "I99",
    );
    send(
        &mut he,
        &mut responses,
        Endpoint::SendCommand,
        read,
        "E1 replay",
    );
    send(
        &mut he,
        &mut responses,
        Endpoint::SendCommand,
        template("GCS17_4.8.1_SUCCESS_REQUEST_DUIS.XML").replace(":1002<", ":2000<"),
        "gas I99",
    );
    send(
        &mut he,
        &mut responses,
        Endpoint::Transform,
        template("ECS43_7.2_SUCCESS_REQUEST_DUIS.XML").replace(":1000<", ":3000<"),
        "pre-command",
    );
    let schedule = template("ECS21a_5.1._DCC_SCHEDULED_REQUEST_DUIS.XML")
        .replace(":1000<", ":4000<")
        .replace("2015-01-02", &now.date_naive().to_string());
    send(
        &mut he,
        &mut responses,
        Endpoint::NonDevice,
        schedule,
        "5.1",
    );
    let id = field(&responses.last().unwrap().2, "DSPScheduleID")
        .expect("a schedule id")
        .to_string();
    send(
        &mut he,
        &mut responses,
        Endpoint::NonDevice,
        template("5.2_READ_SCHEDULE_REQUEST_DUIS.XML")
            .replace(":1000<", ":4001<")
            .replace(">123<", &format!(">{id}<")),
        "5.2",
    );
    send(
        &mut he,
        &mut responses,
        Endpoint::NonDevice,
        template("5.3_DELETE_SCHEDULE_REQUEST_DUIS.XML").replace(":1000<", ":4002<"),
        "E050301",
    );
    // The DCC's own answers: the inventory of the RTDS premises and a postcode's WAN matrix.
    send(
        &mut he,
        &mut responses,
        Endpoint::NonDevice,
        template("8.2_READ_INVENTORY_REQUEST_DUIS.XML").replace(":1000<", ":4003<"),
        "8.2",
    );
    send(
        &mut he,
        &mut responses,
        Endpoint::NonDevice,
        template("12.1_REQUEST_WAN_MATRIX_ADDRESS_REQUEST_DUIS.XML").replace(":1000<", ":4004<"),
        "12.1",
    );
    // 11.1 to the RTDS meter and to a device the registry lacks: W110101 with the DSP's
    // warning; the meter's 8F72 alert comes with the deliveries below.
    send(
        &mut he,
        &mut responses,
        Endpoint::NonDevice,
        template("11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML")
            .replace(":1000<", ":4005<")
            .replace(
                ">00-DB-12-34-56-78-90-A0<",
                ">00-DB-12-34-56-78-90-A0,00-DB-12-34-56-78-90-FF<",
            ),
        "W110101",
    );
    // The answers, and the schedule's first run (at midnight) with its answer.
    let tomorrow = now + Duration::days(1);
    for at in [tomorrow, tomorrow + Duration::minutes(5)] {
        for d in he.poll_deliveries(at) {
            responses.push(("delivered".into(), true, d.xml));
        }
    }
    assert!(
        responses
            .iter()
            .any(|(_, _, xml)| xml.contains("<sr:DSPScheduledMessage>")),
        "a scheduled read was delivered: {:?}",
        responses
            .iter()
            .map(|(w, _, x)| (
                w,
                field(x, "ResponseCode"),
                field(x, "ServiceReferenceVariant")
            ))
            .collect::<Vec<_>>()
    );
    assert!(responses.len() >= 10, "{} responses", responses.len());

    // A meter's alert to its network operator after a supply outage.
    use dccsim::headend::outages::{OutageModel, Outages};
    let model = OutageModel {
        per_premises_per_year: 50_000.0,
        median: Duration::minutes(5),
        sigma: 0.5,
        mean_premises: 2.0,
    };
    let from = tomorrow + Duration::hours(1);
    he.set_outages(Outages::new(model, he.registry(), from, 1));
    let mut t = from;
    let alert = loop {
        t += Duration::minutes(1);
        assert!(t < from + Duration::days(1), "no outage alert");
        if let Some(d) = he
            .poll_deliveries(t)
            .into_iter()
            .find(|d| d.xml.contains("<sr:DeviceAlertMessage>"))
        {
            break d.xml;
        }
    };
    responses.push(("outage alert".into(), true, alert));

    let signers = XmlSigners::from_zaz1(dccsim::gateway::run::ZAZ1_KEYSTORE).unwrap();
    let dir = std::env::temp_dir().join(format!("dccsim-responses-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (n, (what, signed, xml)) in responses.iter().enumerate() {
        // As `dccsim serve` signs them: written canonical, digested without a parse.
        let sent = match signed {
            true => signers.sign_canonical(xml, defaults::ACB, true).unwrap(),
            false => xml.clone(),
        };
        let path = dir.join(format!("{n:02}.xml"));
        std::fs::write(&path, &sent).unwrap();
        files.push((what.clone(), path, sent));
    }
    let unsigned: Vec<&str> = files
        .iter()
        .filter(|(_, _, xml)| !xml.contains("<ds:Signature"))
        .map(|(what, _, _)| what.as_str())
        .collect();
    assert_eq!(
        unsigned,
        ["I99", "E1 replay", "gas I99", "E050301", "W110101"]
    );
    assert!(
        files
            .iter()
            .any(|(_, _, xml)| xml.contains("<sr:AlertCode>8F72</sr:AlertCode>")),
        "the meter's distribution receipt alert is among them"
    );

    // DCC's own validation tool: each signature checks out against the DSP certificate it
    // names; an unsigned response passes as "response without signature". (The tool bundled in
    // npm `@smartdcc/duis-sign-wrap` 0.1.2, the only release, checks documents against DUIS
    // 5.1, whose WAN matrix answer has no `Request` echo: the 5.4 one is checked by the schema
    // below, and its signature is made as the inventory's is.)
    for (what, _, sent) in files.iter().filter(|(what, _, _)| what != "12.1") {
        let (ok, _, err) = common::dcc_tool("Validate", sent);
        assert!(ok, "{what}: DCC's tool refused it:\n{err}\n{sent}");
        let verdict = match sent.contains("<ds:Signature") {
            true => "passed signature check",
            false => "response without signature",
        };
        assert!(err.contains(verdict), "{what}: {err}");
    }
    // A signed answer changed after signing is refused.
    let (_, _, signed_one) = files.iter().find(|(what, _, _)| what == "8.2").unwrap();
    let changed = signed_one.replacen("<sr:DeviceID>00-DB", "<sr:DeviceID>01-DB", 1);
    assert_ne!(&changed, signed_one);
    let (ok, _, err) = common::dcc_tool("Validate", &changed);
    assert!(
        !ok && err.contains("failed signature check"),
        "a changed answer: {err}"
    );

    // The schema.
    let mut input = reference().join("duis/duis-5.4.xsd").display().to_string();
    for (_, path, _) in &files {
        input += &format!("\n{}", path.display());
    }
    let (ok, out) = common::run_peer("xsd_check.py", input);
    assert!(ok, "not valid against the DUIS schema:\n{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("valid ")).count(),
        files.len()
    );

    // Smart DCC's parser.
    let parser = std::env::var("DCCSIM_DUIS_PARSER").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".npm-peers/node_modules/@smartdcc/duis-parser")
            .display()
            .to_string()
    });
    let out = Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/duis_parse.js"))
        .arg(&parser)
        .args(files.iter().map(|(_, p, _)| p))
        .output()
        .expect("node (scripts/test installs @smartdcc/duis-parser)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "duis-parser refused a response:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed.len(), files.len());
    for ((what, _, signed), p) in files.iter().zip(&parsed) {
        assert_eq!(
            p["responseCode"].as_str(),
            field(signed, "ResponseCode"),
            "{what}: {p}"
        );
        assert_eq!(
            p["serviceReferenceVariant"].as_str(),
            field(signed, "ServiceReferenceVariant"),
            "{what}: {p}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
