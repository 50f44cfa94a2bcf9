//! The command line as a user meets it: a real process, real files, exit codes.

use std::process::Command;

fn dccsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("dccsim runs")
}

#[test]
fn catalogue_prints_every_class_with_kbps_calc() {
    let out = dccsim(&["catalogue"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for id in [
        "elec_read_interval",
        "firmware",
        "power_quality",
        "microgen_tariff",
    ] {
        assert!(text.contains(id), "{id} missing");
    }
    assert!(text.contains("53.3"), "firmware kbps calc missing");
}

#[test]
fn smoke_scenario_runs_and_writes_json_and_html() {
    let dir = std::env::temp_dir().join(format!("dccsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("r.json");
    let html = dir.join("r.html");
    let out = dccsim(&[
        "simulate",
        "scenarios/smoke.toml",
        "--json",
        json.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("SLA verdict"));
    assert!(text.contains("Capacity knee"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("polyline"));
    let compared = dccsim(&["compare", json.to_str().unwrap(), json.to_str().unwrap()]);
    assert!(compared.status.success());
    assert!(
        String::from_utf8(compared.stdout)
            .unwrap()
            .contains("SLA verdict: A")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_typo_in_a_scenario_names_file_line_and_field_and_exits_non_zero() {
    let dir = std::env::temp_dir().join(format!("dccsim-typo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("typo.toml");
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/smoke.toml"))
        .unwrap()
        .replace("window_minutes = 240", "window_minuts = 240");
    std::fs::write(&path, &src).unwrap();
    let line = src
        .lines()
        .position(|l| l.contains("window_minuts"))
        .unwrap()
        + 1;
    let out = dccsim(&["simulate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("typo.toml:{line}:")), "{err}");
    assert!(err.contains("unknown field `window_minuts`"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn missing_file_and_bad_report_are_clear_errors() {
    let out = dccsim(&["simulate", "scenarios/no-such.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("cannot read scenario scenarios/no-such.toml")
    );
    let out = dccsim(&["compare", "Cargo.toml", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("is not a dccsim JSON report")
    );
}

const RTDS: &str = "../shared/reference/gbcs-rtds";

#[test]
fn gbcs_decode_prints_header_use_case_and_verdicts() {
    let vector =
        format!("{RTDS}/RTDS-4.5.0/4.8.1_ECS22b/ECS22b_4.8.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX");
    let keys = format!("{RTDS}/keystore");
    let out = dccsim(&["gbcs", "decode", "--keys", &keys, &vector]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["use_case"], "ECS22b");
    assert_eq!(doc["service_reference_variant"], "4.8.1");
    assert_eq!(doc["cra"], "response");
    assert_eq!(doc["originator"], "00-DB-12-34-56-78-90-A0");
    assert_eq!(doc["mac_verdict"], "valid");
    // The supplier's key in the keystore opens the half-hourly values sealed for it.
    assert_eq!(doc["payload"]["kind"], "active_import_profile");
    assert_eq!(doc["payload"]["intervals"][0]["values"][0], 95);
    assert_eq!(doc["payload"]["intervals"].as_array().unwrap().len(), 49);

    // The same message with one byte of the sealed payload's tag changed: neither the MAC nor
    // the payload's own authentication holds.
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&vector))
            .unwrap();
    let mut hex: Vec<char> = text.trim().chars().collect();
    let at = hex.len() - 40;
    hex[at] = if hex[at] == '0' { '1' } else { '0' };
    let changed: String = hex.into_iter().collect();
    let out = dccsim(&["gbcs", "decode", "--keys", &keys, &changed]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["mac_verdict"], "INVALID");
    let error = doc["payload"]["error"].as_str().unwrap();
    assert!(error.contains("fails authentication"), "{error}");
}

/// A use case dccsim does not interpret still shows its values, as DLMS types them; a sealed
/// one it does is opened with the keystore and read.
#[test]
fn gbcs_decode_shows_the_values_of_a_use_case_it_does_not_interpret() {
    let keys = format!("{RTDS}/keystore");
    let decode = |vector: &str| -> serde_json::Value {
        let out = dccsim(&[
            "gbcs",
            "decode",
            "--keys",
            &keys,
            &format!("{RTDS}/RTDS-4.5.0/{vector}"),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["payload"].clone()
    };
    // 6.2.1 Read Device Configuration (voltage) of a poly-phase meter (ECS26k): the thresholds
    // as DLMS types them.
    let voltage = decode("6.2.1_ECS26k/ECS26k_6.2.1_SUCCESS_RESPONSE_GBCS.HEX");
    assert_eq!(voltage["kind"], "other");
    assert_eq!(voltage["values"][0]["double-long-unsigned"], 287);
    // 6.2.10 Read Alert Behaviours, which it does: each filter named by what 6.22 sets it with.
    let behaviours = decode("6.2.10_ECS25r1/ECS25r1_6.2.10_SUCCESS_RESPONSE_GBCS.HEX");
    assert_eq!(behaviours["kind"], "settings");
    assert_eq!(behaviours["values"][0]["name"], "ElectricitySupplierAlerts");
    let filter = behaviours["values"][0]["value"]["bit-string"]
        .as_str()
        .unwrap();
    assert!(filter.starts_with("00000000000000000000000000000000000000000000000000000000001100"));
    // 4.11.1 Read Tariff, which it does: each table named, the season's name in it.
    let tariff = decode("4.11.1_ECS24/ECS24_4.11.1_SUCCESS_RESPONSE_GBCS.HEX");
    assert_eq!(tariff["kind"], "settings");
    assert_eq!(tariff["values"][2]["name"], "Seasons");
    assert_eq!(
        tariff["values"][2]["value"]["array"][0]["structure"][0]["octet-string"],
        "616C6C"
    );
    // A command it does not interpret: what it sets, and to what (9.1 to an ESME, ECS50: an
    // octet string).
    let command = decode("9.1_ECS50/ECS50_9.1_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(command["kind"], "other");
    assert_eq!(command["requests"][0], "set 1 0-3:96.13.1.255 attribute 2");
    assert_eq!(command["values"][0]["octet-string"], "31323334");
    // One it does: 6.22 Set Alert Behaviours, the codes enabled and disabled.
    let command = decode("6.22_ECS25a/ECS25a_6.22_SUCCESS_COMMAND_GBCS.HEX");
    assert_eq!(command["kind"], "alert_behaviour");
    assert_eq!(command["party"], "supplier");
    assert_eq!(command["enable"], serde_json::json!(["810D"]));
    assert_eq!(
        command["disable"],
        serde_json::json!(["810E", "81C4", "81C5"])
    );
    // A gas meter's future-dated alert reads as an electricity meter's does: code, name,
    // time, and the command it carried out (GCS03, the supplier's counter 1005).
    let alert =
        decode("1.6_GCS03/GCS03_1.6_8F66_FUTURE_DATED_SUCCESS_ALERT_CHANGE_PAYMENT_MODE_GBCS.HEX");
    assert_eq!(alert["alert_code"], "8F66");
    assert_eq!(alert["at"], "2030-01-15T00:00:00Z");
    assert_eq!(alert["future_dated"]["message_code"], 0x006D);
    assert_eq!(alert["future_dated"]["counter"], 1005);
    // 4.4.2 Retrieve Billing Data Log (change of mode or tariff triggered): sealed for the
    // supplier; the first snapshot's time, total and meter balance.
    let log = decode("4.4.2_ECS20b/ECS20b_4.4.2_SINGLE_SUCCESS_RESPONSE_GBCS.HEX");
    assert_eq!(log["kind"], "change_of_mode_log");
    assert_eq!(log["entries"][0]["at"], "2014-11-01T00:00:00Z");
    assert_eq!(log["entries"][0]["totals"][0], 10_435_000);
    assert_eq!(log["prepayment"][0]["meter_balance"], 95_000);
}

#[test]
fn gbcs_decode_reports_bad_input_and_goes_on() {
    let alert = "DF090300000000000007D30800DB1234567890A00890B3D51F3002000000020067350F200007D3000204128F36090C07DF0101FF000000008000FF090C07DE0C1FFF173200008000FF090C07DE0C1FFF173B00008000FF40C9D61E2D2782648D32895150B819B6E22B172FC1A311133754C0AD9756096AD2A085CC11F50A2BC006C2CD4D23C13554236D7E347F6536A10BB142E94BCF360B";
    let out = dccsim(&["gbcs", "decode", "DD00ZZ", "DD0000", alert]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("not a hex digit"), "{err}");
    assert!(
        err.contains("not a GBCS message: truncated at byte 3"),
        "{err}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["use_case"], "ECS80");
    assert_eq!(doc["mac_verdict"], "not checked");
}

/// `dccsim registry`: an extract imports into the state database; a delta with a bad row is
/// rejected with its file and line, and the registry is as it was; a good one applies.
#[test]
fn registry_commands_apply_deltas_whole_or_not_at_all() {
    let dir = std::env::temp_dir().join(format!("dccsim-cli-registry-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let header = "mpxn,device_id,device_type,comms_hub_id,smi_status,supplier_id,supplier_from,supplier_to,network_operator_id,gsp_group,csp_region,protocol";
    let row = "1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A2,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS";
    let hub = ",00-DB-12-34-56-78-90-A2,CHF,00-DB-12-34-56-78-90-A2,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS";
    std::fs::write(dir.join("extract.csv"), format!("{header}\n{row}\n{hub}\n")).unwrap();
    std::fs::write(
        dir.join("bad.csv"),
        format!(
            "action,{header}\nremove,,00-DB-12-34-56-78-90-A0,,,,,,,,,,\nupsert,{}\n",
            row.replace("_E,central", "_E,north")
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("good.csv"),
        format!(
            "action,{header}\nupsert,{}\n",
            row.replace("Commissioned", "Suspended")
        ),
    )
    .unwrap();
    let state = dir.join("state");
    let state = state.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["registry", "--state", state];
        all.extend_from_slice(args);
        dccsim(&all)
    };
    let extract = dir.join("extract.csv");
    assert!(run(&["import", extract.to_str().unwrap()]).status.success());
    let bad = dir.join("bad.csv");
    let out = run(&["apply", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.csv:3:") && err.contains("central region"),
        "{err}"
    );
    // The remove on line 2 was not applied either.
    let shown = run(&["show", "00-DB-12-34-56-78-90-A0"]);
    assert!(shown.status.success());
    assert!(
        String::from_utf8(shown.stdout)
            .unwrap()
            .contains("Commissioned")
    );
    let good = dir.join("good.csv");
    assert!(run(&["apply", good.to_str().unwrap()]).status.success());
    let shown = String::from_utf8(run(&["show", "00-DB-12-34-56-78-90-A0"]).stdout).unwrap();
    assert!(shown.contains("Suspended"), "{shown}");
    // As the extract has it: its header, then the device's row.
    assert!(shown.starts_with("mpxn,device_id,device_type,"), "{shown}");
    assert!(
        shown
            .lines()
            .nth(1)
            .unwrap()
            .contains(",00-DB-12-34-56-78-90-A0,ESME,"),
        "{shown}"
    );
    // A meter hung off something that is not a comms hub: itself, here, a meter.
    let stray = dir.join("stray.csv");
    std::fs::write(
        &stray,
        format!(
            "action,{header}\nupsert,{}\n",
            row.replace("90-A2,Commissioned", "90-A0,Commissioned")
        ),
    )
    .unwrap();
    let out = run(&["apply", stray.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(
            "stray.csv:2: comms_hub_id: 00-DB-12-34-56-78-90-A0 is registered as ESME, not as a comms hub (CHF)"
        ),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A DUIS response as a Receive Response Service stores it: `gbcs decode` reads the GBCS in its
/// GBCSPayload.
#[test]
fn gbcs_decode_reads_the_payload_of_a_duis_response() {
    use base64::Engine;
    let vector = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(RTDS)
        .join("RTDS-4.5.0/4.17_ECS66/ECS66_4.17_SUCCESS_RESPONSE_GBCS.HEX");
    let bytes =
        dccsim::protocol::gbcs::parse_hex(&std::fs::read_to_string(vector).unwrap()).unwrap();
    let xml = format!(
        "<sr:Response xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\" schemaVersion=\"5.4\"><sr:Header><sr:ResponseCode>I0</sr:ResponseCode></sr:Header><sr:Body><sr:ResponseMessage><sr:GBCSPayload>{}</sr:GBCSPayload></sr:ResponseMessage></sr:Body></sr:Response>",
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    );
    let path =
        std::env::temp_dir().join(format!("dccsim-duis-response-{}.xml", std::process::id()));
    std::fs::write(&path, xml).unwrap();
    let keys = format!("{RTDS}/keystore");
    let out = dccsim(&["gbcs", "decode", "--keys", &keys, path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["use_case"], "ECS66");
    assert_eq!(doc["payload"]["kind"], "daily_consumption_log");
}

#[test]
fn settle_writes_d0397_d0399_and_if021_and_refuses_bad_files() {
    let dir = std::env::temp_dir().join(format!("dccsim-settle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dccsim(&[
        "settle",
        "--premises",
        "300",
        "--run",
        "SF",
        "--out",
        dir.to_str().unwrap(),
        "--if021",
        "--json",
        dir.join("summary.json").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Settlement of 2026-11-18 (48 periods"),
        "{text}"
    );
    assert!(
        text.contains("Settlement error against the truth, by supplier"),
        "{text}"
    );
    let d0399 = std::fs::read_to_string(dir.join("D0399-20261118-SF.csv")).unwrap();
    assert!(d0399.starts_with("settlement_date,run,gsp_group,period,take_kwh"));
    assert!(d0399.lines().count() > 48);
    let d0397 = std::fs::read_to_string(dir.join("D0397-20261118-SF.csv")).unwrap();
    assert!(d0397.contains(",S-D-AI-A-C,"));
    let lss = std::fs::read_to_string(dir.join("LSS-20261118-SF.csv")).unwrap();
    assert!(lss.contains(",S,W,D,AI,1,"), "{lss}");
    let if021 = std::fs::read_to_string(dir.join("IF021-20261118-SF.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(if021.lines().next().unwrap()).unwrap();
    assert_eq!(first["CommonBlock"]["S0"]["interfaceID"], "IF-021");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["runs"][0]["run"], "SF");

    // A consumption file naming a period the day does not have: refused with file and line.
    std::fs::write(
        dir.join("standing.csv"),
        "mpan,gsp_group,segment,connection,domestic,direction,energised,llfc,supplier,bm_unit,capacity_kw,annual_kwh\n\
         1000000000003,_A,S,W,Y,I,E,100,ALPH,2__AALPH000,23,2700\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("consumption.csv"),
        "mpan,settlement_date,period,kwh\n1000000000003,2026-03-29,1,0.2\n1000000000003,2026-03-29,47,0.2\n",
    )
    .unwrap();
    let out = dccsim(&[
        "settle",
        "--date",
        "2026-03-29",
        "--standing",
        dir.join("standing.csv").to_str().unwrap(),
        "--consumption",
        dir.join("consumption.csv").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("consumption.csv:3: settlement period 47 does not exist on 2026-03-29, which has 46 periods"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn monthly_register_collection_settles_worse_than_daily_and_compare_says_by_how_much() {
    let dir = std::env::temp_dir().join(format!("dccsim-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut reports = Vec::new();
    for seed in ["seed-1-low-service", "seed-2-strategic"] {
        let json = dir.join(format!("{seed}.json"));
        let out = dccsim(&[
            "simulate",
            &format!("{root}/scenarios/{seed}.toml"),
            "--scale",
            "0.002",
            "--no-knee",
            "--json",
            json.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            text.contains("Settlement: 20,000 premises sampled"),
            "{text}"
        );
        reports.push(json);
    }
    let out = dccsim(&[
        "compare",
        reports[0].to_str().unwrap(),
        reports[1].to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("settlement collection: A register reads (elec_read_simple) every 30 day(s) | B half-hourly profile reads"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("settlement: at RF, A's settlement error is "))
        .unwrap_or_else(|| panic!("{text}"));
    let times: f64 = line
        .trim_start_matches("settlement: at RF, A's settlement error is ")
        .split('×')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(times > 3.0, "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh scratch folder for test `name`, and a free port on loopback.
fn scratch_and_port(name: &str) -> (std::path::PathBuf, u16) {
    let dir = std::env::temp_dir().join(format!("dccsim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    (dir, port)
}

/// `dccsim load --mix`: a mix file's services are what is sent, its thresholds gate the exit
/// status, and a bad file names its line.
#[test]
fn load_sends_the_mix_and_gates_on_its_thresholds() {
    let (dir, port) = scratch_and_port("mix");
    // A trivial endpoint on that port.
    let mut echo = std::process::Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["echo-server", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let target = format!("http://127.0.0.1:{port}/api/v1/serviceS");
    let mix = dir.join("mix.toml");
    // An SLO nothing can meet: the run must exit 3.
    std::fs::write(
        &mix,
        "slo = \"p50<0.001ms\"\n[[request]]\nservice = \"4.8.1\"\nweight = 3\n[[request]]\nservice = \"4.17\"\nweight = 1\n",
    )
    .unwrap();
    let mix_arg = mix.display().to_string();
    let args = [
        "load",
        "--target",
        &target,
        "--mix",
        &mix_arg,
        "--rate",
        "200",
        "--duration",
        "1",
        "--signed",
        "400",
    ];
    let out = dccsim(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(4.8.1 × 3, 4.17 × 1)"), "{stderr}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    // Met: exit 0.
    std::fs::write(
        &mix,
        "slo = \"errors<50%\"\n[[request]]\nservice = \"4.1.1\"\nweight = 1\n",
    )
    .unwrap();
    let out = dccsim(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A typo.
    std::fs::write(&mix, "[[request]]\nservice = \"4.8.1\"\nwieght = 1\n").unwrap();
    let out = dccsim(&["load", "--target", &target, "--mix", &mix_arg]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("mix.toml:3:"), "{stderr}");
    let _ = echo.kill();
    let _ = echo.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `dccsim load --users A,B --pki DIR` against `dccsim serve`: each user signs its own reads to
/// its own meters and sends them on its own connection, so every counter arrives in order and
/// every request is accepted (an E1 would count as an error and breach the SLO) — in a
/// `--find-max` search too, whose steps send twice the 300 requests signed up front: each step's
/// are signed before it, none sent twice.
#[test]
fn load_deals_reads_to_several_users_each_in_counter_order() {
    let (dir, port) = scratch_and_port("users");
    let state = dir.join("state");
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["serve", "--premises", "2000", "--zero-wan", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--state")
        .arg(&state)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let up = (0..600).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "dccsim serve did not start");
    let mix = dir.join("mix.toml");
    // A profile read to each meter, and the DCC's inventory of its premises (to serviceD).
    std::fs::write(
        &mix,
        "[[request]]\nservice = \"4.8.1\"\nweight = 1\n[[request]]\nservice = \"8.2\"\nweight = 1\n",
    )
    .unwrap();
    let pki = state.join("pki").display().to_string();
    let out = dccsim(&[
        "load",
        "--target",
        &format!("https://localhost:{port}/api/v1/serviceS"),
        "--pki",
        &pki,
        "--users",
        "90-B3-D5-1F-30-01-00-00,90-B3-D5-1F-30-02-00-00",
        "--mix",
        &mix.display().to_string(),
        "--rate",
        "100",
        "--duration",
        "2",
        "--signed",
        "300",
        "--find-max",
        "--max-rate",
        "200",
        "--slo",
        "errors<0.01%",
    ]);
    let _ = serve.kill();
    let _ = serve.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("on 2 connections"), "{stderr}");
    assert!(stderr.contains("4.8.1 × 1, 8.2 × 1"), "{stderr}");
    assert!(stderr.contains("300 signed up front"), "{stderr}");
    assert!(stderr.contains("measuring 200/s"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("highest rate meeting the SLO: 200/s"),
        "{stdout}\n{stderr}"
    );
    // More than one user without their certificates is refused with the reason.
    let out = dccsim(&[
        "load",
        "--target",
        &format!("https://localhost:{port}/api/v1/serviceS"),
        "--users",
        "90-B3-D5-1F-30-01-00-00,90-B3-D5-1F-30-02-00-00",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --pki"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `dccsim serve --config FILE`: the file's settings are used (its paths from its own folder),
/// a flag wins over the file, and a typo in the file is an error naming its line and key.
#[test]
fn serve_takes_its_settings_from_a_config_file_and_flags_win() {
    let (dir, port) = scratch_and_port("config");
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\npremises = 7\nstate = \"st\"\nzero-wan = true\n\
             [receive]\n\"90-B3-D5-1F-30-01-00-00\" = \"http://127.0.0.1:9/from-file\"\n\
             \"90-B3-D5-1F-30-02-00-00\" = \"http://127.0.0.1:9/network\"\n"
        ),
    )
    .unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--premises", "20"])
        .args([
            "--receive",
            "90-B3-D5-1F-30-01-00-00=http://127.0.0.1:9/from-flag",
            "--receive",
            "*=http://127.0.0.1:9/all/",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = serve.stdout.take().unwrap();
    let banner: Vec<String> = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    let _ = serve.kill();
    let _ = serve.wait();
    let banner = banner.join("\n");
    assert!(
        banner.contains(&format!("https://127.0.0.1:{port}")),
        "{banner}"
    );
    // 20 premises (the flag), not 7 (the file): 20 meters and hubs, 10 gas meters and
    // proxies, the four RTDS devices, the seven more of the RTDS home area network (its
    // display and load switch, and the devices the RTDS join templates name) and the hub the
    // RTDS hub replaced.
    assert!(banner.contains(" 72 devices"), "{banner}");
    assert!(
        banner.contains("90-B3-D5-1F-30-01-00-00 → http://127.0.0.1:9/from-flag, 90-B3-D5-1F-30-02-00-00 → http://127.0.0.1:9/network; other users' to http://127.0.0.1:9/all/<EUI>"),
        "{banner}"
    );
    assert!(
        dir.join("st/dccsim.sqlite").exists(),
        "state beside the file"
    );

    std::fs::write(&config, "premises = 7\npremisses = 8\n").unwrap();
    let out = dccsim(&["serve", "--config", &config.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("serve.toml") && stderr.contains("line 2") && stderr.contains("premisses"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A rate of supply outages that is not one is refused before the head-end starts, naming the
/// flag and the value.
#[test]
fn serve_refuses_an_outage_rate_that_is_not_one() {
    for value in ["-1", "NaN", "inf"] {
        let out = dccsim(&[
            "serve",
            &format!("--outages-per-year={value}"),
            "--state",
            "/nonexistent/never-created",
        ]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("--outages-per-year {value}: a rate, 0 or more")),
            "{err}"
        );
    }
}

/// `dccsim duis sign` numbers a request by the clock in microseconds and signs it with its
/// originator's ZAZ1 key (`duis verify` says whose); `--recent` moves its log period to end at
/// today's midnight, keeping its length; a request without a log period says so.
#[test]
fn duis_sign_numbers_signs_and_moves_the_log_period() {
    let template =
        "../shared/reference/duis/rtds-templates/ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML";
    let before = chrono::Utc::now().timestamp_micros() as u64;
    let out = dccsim(&["duis", "sign", "--recent", template]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed = String::from_utf8(out.stdout).unwrap();
    let today = chrono::Utc::now().date_naive();
    let yesterday = today - chrono::Duration::days(1);
    assert!(
        signed.contains(&format!(
            "<sr:StartDateTime>{yesterday}T00:00:00.000Z</sr:StartDateTime>"
        )),
        "{signed}"
    );
    assert!(
        signed.contains(&format!(
            "<sr:EndDateTime>{today}T00:00:00.000Z</sr:EndDateTime>"
        )),
        "{signed}"
    );
    let id = signed.split("<sr:RequestID>").nth(1).unwrap();
    let counter: u64 = id[..id.find('<').unwrap()]
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        counter >= before && counter <= before + 60_000_000,
        "{counter}"
    );
    let file = std::env::temp_dir().join(format!("dccsim-signed-{}.xml", std::process::id()));
    std::fs::write(&file, &signed).unwrap();
    let out = dccsim(&["duis", "verify", &file.display().to_string()]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "valid: signed by 90-B3-D5-1F-30-01-00-00"
    );
    let out = dccsim(&[
        "duis",
        "sign",
        "--recent",
        "../shared/reference/duis/rtds-templates/8.2_READ_INVENTORY_REQUEST_DUIS.XML",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--recent")
            && err.contains("8.2_READ_INVENTORY")
            && err.contains("no sr:StartDateTime"),
        "{err}"
    );
}

/// A report piped to a reader that stops at once (`dccsim catalogue | true`) ends quietly, as
/// a Unix tool does: ended by SIGPIPE, no panic, no "failed printing to stdout".
#[test]
fn a_report_to_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    // The reader is gone before the report starts: its first write meets a closed pipe (a
    // reader dropped after spawning races a fast child, which may fill the pipe and exit 0).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .arg("catalogue")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("dccsim runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(13), "{:?}: {stderr}", out.status);
}

/// Flag values that cannot make a run say what is wrong: a negative scale (not taken for a
/// flag), a scale that leaves no meter, no threads.
#[test]
fn simulate_refuses_a_scale_or_thread_count_that_cannot_run() {
    for (flags, needle) in [
        (
            ["--scale", "-1"],
            "--scale must be greater than zero, got -1",
        ),
        (
            ["--scale", "0.00001"],
            "--scale 0.00001 leaves the scenario no meters",
        ),
        (["--threads", "0"], "--threads must be at least 1"),
    ] {
        let mut args = vec!["simulate", "scenarios/smoke.toml"];
        args.extend(flags);
        let out = dccsim(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(needle), "{flags:?}: {stderr}");
    }
}

/// `gbcs decode` of a DUIS response that carries no device answer (an E21) says so, rather than
/// failing to read XML as GBCS.
#[test]
fn decoding_a_response_without_gbcs_says_so() {
    let file = std::env::temp_dir().join(format!("dccsim-e21-{}.xml", std::process::id()));
    std::fs::write(
        &file,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Response xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\"><sr:Header><sr:ResponseCode>E21</sr:ResponseCode></sr:Header></sr:Response>",
    )
    .unwrap();
    let out = dccsim(&["gbcs", "decode", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("a DUIS response (E21) that carries no GBCSPayload"),
        "{stderr}"
    );
    let _ = std::fs::remove_file(&file);
}

/// `gbcs utrn` makes a code the check reads back as valid; a top-up numbered 0, which no meter
/// credits, is refused saying so.
#[test]
fn gbcs_utrn_makes_codes_that_check_and_refuses_number_zero() {
    let device = "00-DB-12-34-56-78-90-A1";
    let made = dccsim(&[
        "gbcs", "utrn", "--device", device, "--value", "20", "--pounds", "--number", "1",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let digits = String::from_utf8(made.stdout).unwrap().trim().to_string();
    assert!(
        digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()),
        "{digits}"
    );
    let checked = dccsim(&["gbcs", "utrn", "--device", device, "--check", &digits]);
    let doc: serde_json::Value = serde_json::from_slice(&checked.stdout).unwrap();
    assert_eq!(doc["mac_verdict"], "valid");
    let zero = dccsim(&["gbcs", "utrn", "--device", device, "--number", "0"]);
    assert!(!zero.status.success());
    let err = String::from_utf8_lossy(&zero.stderr);
    assert!(err.contains("--number counts from 1"), "{err}");
}

/// `gbcs image` reads the RTDS 11.1 template's image (the hash 11.3 must name, its supplier's
/// signature on it, another supplier's not), makes one signed by another supplier that reads
/// back with its version, and says what is wrong with a file that is not an image.
#[test]
fn gbcs_image_reads_checks_and_makes_upgrade_images() {
    let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/duis/rtds-templates/11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML");
    let template = template.to_str().unwrap();
    let read = dccsim(&[
        "gbcs",
        "image",
        template,
        "--signer",
        "90-B3-D5-1F-30-01-00-00",
    ]);
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&read.stdout).unwrap();
    assert_eq!(
        doc["firmware_hash"],
        "7542F475E3F12EAE887D81E32C46D313741D67076B13CAEC2F82E00BA5E1BB36"
    );
    assert_eq!(
        (doc["version"].as_str(), doc["signed_by_signer"].as_bool()),
        (Some("ACDCACDC"), Some(true))
    );
    let other = dccsim(&[
        "gbcs",
        "image",
        template,
        "--signer",
        "90-B3-D5-1F-30-03-00-00",
    ]);
    assert_eq!(other.status.code(), Some(1));
    let dir = std::env::temp_dir().join(format!("dccsim-cli-image-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (body, image) = (dir.join("firmware.bin"), dir.join("image.ota"));
    std::fs::write(&body, b"firmware".repeat(100)).unwrap();
    let (body, image) = (body.to_str().unwrap(), image.to_str().unwrap());
    let made = dccsim(&[
        "gbcs",
        "image",
        body,
        "--make",
        image,
        "--signer",
        "90-B3-D5-1F-30-03-00-00",
        "--version",
        "0A0B0C0D",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    assert_eq!(
        (doc["version"].as_str(), doc["signed_by_signer"].as_bool()),
        (Some("0A0B0C0D"), Some(true))
    );
    let again = dccsim(&[
        "gbcs",
        "image",
        image,
        "--signer",
        "90-B3-D5-1F-30-03-00-00",
    ]);
    assert!(again.status.success());
    let not_one = dccsim(&["gbcs", "image", body]);
    assert!(!not_one.status.success());
    let err = String::from_utf8_lossy(&not_one.stderr);
    assert!(
        err.contains("is not an upgrade image") && err.contains("bytes 0-3"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
