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
