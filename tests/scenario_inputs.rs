//! Scenario files are outside input: whatever they hold, loading gives a value or an error, and
//! a scenario that loads simulates without panicking.

use dccsim::sim::scenario::Scenario;
use dccsim::sim::{RunOptions, simulate};
use proptest::prelude::*;

const BASE: &str = r#"
name = "inputs"
date = "2026-03-29"
[fleet]
electricity_share = 0.6
meters_per_hub = 1.5
hubs_per_cell = 50
no_coverage_share = 0.01
[regions.north]
meters = 300
technology = "radio"
[regions.south]
meters = 300
mix = { radio = 0.5, cell = 0.5 }
[technologies.radio]
kind = "long_range_radio"
uplink_kbps = 9.6
downlink_kbps = 4.8
overhead_bytes = 24
latency = { distribution = "lognormal", median_ms = 1500, p99_ms = 12000 }
processing = { distribution = "uniform", min_ms = 100, max_ms = 900 }
loss = 0.02
retry = { timeout_s = 45, attempts = 3, backoff_s = 10, backoff_factor = 2, jitter = 0.2 }
outages = { mtbf_hours = 20, mttr_hours = 2 }
maintenance = [{ start = "01:00", minutes = 60, share = 0.5 }]
[technologies.cell]
kind = "cellular_2g3g"
uplink_kbps = 40
downlink_kbps = 80
latency = { distribution = "exponential", min_ms = 100, mean_ms = 800 }
retry = { timeout_s = 30, attempts = 2 }
[[scheduled]]
service = "elec_read_interval"
every = "half_hourly"
start = "00:05"
window_minutes = 20
spreading = "even"
[[scheduled]]
service = "gas_read_simple"
every = "weekly"
start = "02:00"
window_minutes = 60
spreading = "at_once"
[[on_demand]]
service = "firmware"
per_meter_per_day = 0.01
profile = "overnight"
[[alerts]]
service = "elec_alert"
per_meter_per_day = 2
hourly = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
[reconnect_storm]
service = "elec_alert"
window_s = 60
shape = "uniform"
after_maintenance = true
[[service_levels]]
service = "elec_read_interval"
share = 0.99
basis = "assumption"
[[service_levels]]
service = "gas_read_simple"
share = 0.99
basis = "seed"
[[service_levels]]
service = "firmware"
target_s = 3600
share = 0.9
basis = "assumption"
[[service_levels]]
service = "elec_alert"
target_s = 60
share = 0.99
basis = "sec"
[commercials]
contract_years = 5
regime = "soft"
monthly_charge_gbp = 1000
credit_per_point_gbp = 10
cap_share = 0.1
[[phases]]
name = "rollout"
year = 2026
fleet_scale = 0.5
[[phases]]
name = "grown"
year = 2030
fleet_scale = 1.5
technologies = { south = "cell" }
"#;

/// Byte offsets of the numbers in `BASE`.
fn numbers() -> Vec<(usize, usize)> {
    let bytes = BASE.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit()
            && (i == 0
                || !bytes[i - 1].is_ascii_alphanumeric()
                    && bytes[i - 1] != b'_'
                    && bytes[i - 1] != b'.'
                    && bytes[i - 1] != b'-'
                    && bytes[i - 1] != b':');
        if starts {
            let mut j = i;
            while j < bytes.len()
                && (bytes[j].is_ascii_digit() || bytes[j] == b'.' || bytes[j] == b'_')
            {
                j += 1;
            }
            // Skip dates and clock times inside strings.
            if bytes[j] != b'-' && bytes[j] != b':' && bytes[j] != b'"' {
                out.push((i, j));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

fn run_small(scenario: &Scenario) {
    let opts = RunOptions {
        seed: 1,
        scale: 1.0,
        threads: 2,
        progress: false,
        knee: true,
    };
    let (report, _) = simulate(scenario, &opts);
    assert_eq!(report.phases.len(), scenario.phases.len());
}

#[test]
fn the_base_scenario_loads_and_runs() {
    let scenario = Scenario::parse("base.toml", BASE).unwrap();
    run_small(&scenario);
    assert!(numbers().len() > 40, "found {} numbers", numbers().len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// One number replaced by an extreme or odd value: the file loads or is refused with an
    /// error naming its line, and what loads simulates without panicking.
    #[test]
    fn extreme_numbers_are_refused_or_simulated(index in 0usize..1000, value in prop::sample::select(vec![
        "0", "-1", "0.0001", "1e-12", "1e9", "1e300", "nan", "inf", "-inf", "2.5", "24", "49", "10000", "4294967296"
    ])) {
        let spans = numbers();
        let (start, end) = spans[index % spans.len()];
        let src = format!("{}{}{}", &BASE[..start], value, &BASE[end..]);
        match Scenario::parse("edited.toml", &src) {
            Ok(scenario) => {
                let meters: u64 = scenario.regions.iter().map(|r| r.meters).sum();
                // Keep the run small whatever the edit did to the fleet.
                prop_assume!(meters <= 2_000);
                run_small(&scenario);
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.starts_with("edited.toml:"), "{}", message);
            }
        }
    }

    /// Arbitrary edits anywhere in the text never panic the loader.
    #[test]
    fn arbitrary_edits_never_panic(edits in prop::collection::vec((0usize..4000, any::<char>()), 1..10)) {
        let mut chars: Vec<char> = BASE.chars().collect();
        for (pos, c) in edits {
            let at = pos % chars.len();
            if c.is_ascii_digit() || c.is_alphabetic() {
                chars[at] = c;
            } else {
                chars.remove(at);
            }
        }
        let src: String = chars.into_iter().collect();
        if let Err(e) = Scenario::parse("edited.toml", &src) {
            prop_assert!(e.to_string().starts_with("edited.toml:"));
        }
    }
}
