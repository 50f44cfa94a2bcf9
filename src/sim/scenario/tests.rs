use super::*;

/// A small valid scenario; tests change one thing in it at a time.
pub(crate) const MINIMAL: &str = r#"
name = "minimal"
date = "2026-06-01"

[fleet]
electricity_share = 0.5
meters_per_hub = 2.0
hubs_per_cell = 100

[regions.north]
meters = 2000
technology = "radio"

[technologies.radio]
kind = "long_range_radio"
uplink_kbps = 10.0
downlink_kbps = 20.0
latency = { distribution = "lognormal", median_ms = 800, p99_ms = 5000 }
loss = 0.01
retry = { timeout_s = 30, attempts = 3, backoff_s = 5 }

[[scheduled]]
service = "elec_read_interval"
every = "daily"
start = "01:00"
window_minutes = 240
spreading = "even"

[[service_levels]]
service = "elec_read_interval"
share = 0.99
basis = "assumption"
"#;

fn error_of(src: &str) -> (usize, String) {
    match Scenario::parse("test.toml", src) {
        Err(ScenarioError::Invalid {
            line,
            message,
            file,
            ..
        }) => {
            assert_eq!(file, "test.toml");
            (line, message)
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("scenario was accepted"),
    }
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines()
        .position(|l| l.contains(needle))
        .expect("needle present")
        + 1
}

#[test]
fn minimal_scenario_loads_with_defaults() {
    let s = Scenario::parse("test.toml", MINIMAL).unwrap();
    assert_eq!(s.days, 1);
    assert_eq!(s.regions.len(), 1);
    assert_eq!(s.phases.len(), 1);
    assert_eq!(s.phases[0].year, 2026);
    let tech = s.technology("radio");
    assert_eq!(tech.retry.attempts, 3);
    assert_eq!(tech.retry.timeout, 30_000_000);
    let level = &s.service_levels["elec_read_interval"];
    assert_eq!(
        level.target_secs, 60.0,
        "defaults to the catalogue's maximum response"
    );
}

#[test]
fn unknown_field_names_file_line_and_field() {
    let src = MINIMAL.replace("loss = 0.01", "los = 0.01");
    let (line, message) = error_of(&src);
    assert_eq!(line, line_of(&src, "los = 0.01"));
    assert!(message.contains("unknown field `los`"), "{message}");
}

#[test]
fn mistyped_value_is_an_error_at_its_line_naming_its_field() {
    let src = MINIMAL.replace("meters = 2000", "meters = \"many\"");
    let (line, message) = error_of(&src);
    assert_eq!(line, line_of(&src, "meters = \"many\""));
    assert!(message.starts_with("meters: invalid type"), "{message}");
}

#[test]
fn unknown_service_lists_the_catalogue() {
    let src = MINIMAL.replacen(
        "service = \"elec_read_interval\"",
        "service = \"elec_read_intervl\"",
        1,
    );
    let (line, message) = error_of(&src);
    assert_eq!(line, line_of(&src, "elec_read_intervl"));
    assert!(
        message.contains("unknown service \"elec_read_intervl\""),
        "{message}"
    );
    assert!(message.contains("elec_read_interval"), "{message}");
}

#[test]
fn out_of_range_share_is_refused() {
    let src = MINIMAL.replace("share = 0.99", "share = 1.5");
    let (line, message) = error_of(&src);
    assert_eq!(line, line_of(&src, "share = 1.5"));
    assert!(message.contains("share = 1.5 is out of range"), "{message}");
}

#[test]
fn unknown_technology_and_region_are_refused() {
    let src = MINIMAL.replace("technology = \"radio\"", "technology = \"raido\"");
    let (line, message) = error_of(&src);
    assert_eq!(line, line_of(&src, "raido"));
    assert!(
        message.contains("unknown technology \"raido\""),
        "{message}"
    );

    let src = MINIMAL.replace("[regions.north]", "[regions.midlands]");
    let (_, message) = error_of(&src);
    assert!(message.contains("unknown region \"midlands\""), "{message}");
}

#[test]
fn traffic_without_a_service_level_is_refused() {
    let src = MINIMAL.replace("[[service_levels]]\nservice = \"elec_read_interval\"\nshare = 0.99\nbasis = \"assumption\"\n", "");
    let (_, message) = error_of(&src);
    assert!(
        message.contains("has no [[service_levels]] entry"),
        "{message}"
    );
}

#[test]
fn latency_fields_must_match_the_distribution() {
    let src = MINIMAL.replace("median_ms = 800, p99_ms = 5000", "ms = 800");
    let (line, message) = error_of(&src);
    assert_eq!(line, line_of(&src, "ms = 800"));
    assert!(
        message.contains("ms does not apply to a lognormal latency"),
        "{message}"
    );
}

#[test]
fn bad_clock_time_and_date_are_refused() {
    let (_, message) = error_of(&MINIMAL.replace("\"01:00\"", "\"25:00\""));
    assert!(message.contains("not a clock time"), "{message}");
    let (line, message) = error_of(&MINIMAL.replace("2026-06-01", "2026-02-30"));
    assert_eq!(line, 3);
    assert!(message.contains("date"), "{message}");
}

#[test]
fn alerts_cannot_be_scheduled() {
    let src = MINIMAL.replacen(
        "service = \"elec_read_interval\"",
        "service = \"elec_alert\"",
        1,
    );
    let (_, message) = error_of(&src);
    assert!(message.contains("cannot be scheduled"), "{message}");
}

#[test]
fn broken_toml_syntax_names_the_line() {
    let src = MINIMAL.replace("[fleet]", "[fleet");
    let (line, _) = error_of(&src);
    assert_eq!(line, line_of(&src, "[fleet"));
}
