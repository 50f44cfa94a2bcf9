//! The simulator end to end, through the library: closed-form queueing and retry results,
//! determinism, and the shipped scenarios.

use dccsim::report::Report;
use dccsim::sim::scenario::Scenario;
use dccsim::sim::{RunOptions, simulate};

fn run(src: &str, seed: u64, threads: usize, knee: bool) -> Report {
    let scenario = Scenario::parse("test.toml", src).expect("valid scenario");
    let opts = RunOptions {
        seed,
        scale: 1.0,
        threads,
        progress: false,
        knee,
    };
    simulate(&scenario, &opts).0
}

/// One cell, alerts only (uplink only), no latency, no loss: the uplink is an M/D/1 queue.
/// 152-byte alerts on a 12.16 kbit/s channel take exactly 100 ms; 432 alerts a day from each
/// of 1,000 meters is 5 a second, so ρ = 0.5.
const MD1: &str = r#"
name = "M/D/1"
date = "2026-06-01"
[fleet]
electricity_share = 1.0
meters_per_hub = 1.0
hubs_per_cell = 1000
[regions.north]
meters = 1000
technology = "t"
[technologies.t]
kind = "mesh"
uplink_kbps = 12.16
downlink_kbps = 12.16
latency = { distribution = "fixed", ms = 0 }
retry = { timeout_s = 3600 }
[[alerts]]
service = "elec_alert"
per_meter_per_day = 432
[[service_levels]]
service = "elec_alert"
target_s = 60
share = 0.99
basis = "assumption"
"#;

#[test]
fn md1_cell_waits_as_pollaczek_khinchine_says() {
    let report = run(MD1, 1, 2, false);
    let alerts = &report.phases[0].services[0];
    assert!(alerts.completed > 400_000, "{} alerts", alerts.completed);
    let service_ms = 100.0;
    let rho: f64 = 0.5;
    // P-K for deterministic service: Wq = ρ S / (2 (1 − ρ)).
    let expected_wait = rho * service_ms / (2.0 * (1.0 - rho));
    let simulated_wait = alerts.latency_ms.mean - service_ms;
    let err = (simulated_wait - expected_wait).abs() / expected_wait;
    assert!(
        err < 0.02,
        "mean wait {simulated_wait:.2} ms vs P-K {expected_wait:.2} ms ({:.2} %)",
        err * 100.0
    );
}

/// Plenty of capacity, fixed latency, 10 % loss in each direction, three attempts: each attempt
/// fails with q = 1 − 0.9², a request fails with q³, and takes 1 + q + q² attempts on average.
const RETRY: &str = r#"
name = "loss and retry"
date = "2026-06-01"
[fleet]
electricity_share = 1.0
meters_per_hub = 1.0
hubs_per_cell = 1000
[regions.south]
meters = 1000
technology = "t"
[technologies.t]
kind = "cellular_4g"
uplink_kbps = 100000
downlink_kbps = 100000
latency = { distribution = "fixed", ms = 100 }
loss = 0.1
retry = { timeout_s = 10, attempts = 3, backoff_s = 1 }
[[on_demand]]
service = "elec_read_simple"
per_meter_per_day = 300
[[service_levels]]
service = "elec_read_simple"
share = 0.99
basis = "assumption"
"#;

#[test]
fn loss_and_retries_match_their_closed_form() {
    let report = run(RETRY, 7, 2, false);
    let s = &report.phases[0].services[0];
    let n = s.requests as f64;
    let q = 1.0 - 0.9f64 * 0.9;
    let p_fail = q.powi(3);
    let expected_failures = n * p_fail;
    let sd = (n * p_fail * (1.0 - p_fail)).sqrt();
    let failures = s.failed_retries as f64;
    assert!(
        (failures - expected_failures).abs() < 4.0 * sd,
        "{failures} failures vs {expected_failures:.0} ± {sd:.0}"
    );
    assert_eq!(s.failed_outage, 0);
    let expected_attempts = 1.0 + q + q * q;
    assert!(
        (s.attempts_per_request - expected_attempts).abs() / expected_attempts < 0.005,
        "{} attempts per request vs {expected_attempts:.4}",
        s.attempts_per_request
    );
    // Every completion on the first attempt takes exactly 2 × 100 ms (plus microseconds of
    // transmission), so the median sits there.
    assert_eq!(s.latency_ms.p50, 200);
}

fn smoke() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/smoke.toml")).unwrap()
}

#[test]
fn same_seed_same_report_byte_for_byte_whatever_the_threads() {
    let src = smoke();
    let a = serde_json::to_string(&run(&src, 42, 1, true)).unwrap();
    let b = serde_json::to_string(&run(&src, 42, 2, true)).unwrap();
    assert!(a == b, "same seed gave different JSON");
    let c = serde_json::to_string(&run(&src, 43, 2, true)).unwrap();
    assert!(a != c, "another seed gave the same JSON");
}

#[test]
fn every_shipped_scenario_loads() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            count += 1;
        }
    }
    assert!(count >= 5, "only {count} scenarios shipped");
}

#[test]
fn seed_scenarios_differ_as_a_planner_expects() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let load = |name: &str| Scenario::load(std::path::Path::new(&format!("{dir}/{name}"))).unwrap();
    let opts = RunOptions {
        seed: 1,
        scale: 0.02,
        threads: 2,
        progress: false,
        knee: false,
    };
    let low = simulate(&load("seed-1-low-service.toml"), &opts).0;
    let strategic = simulate(&load("seed-2-strategic.toml"), &opts).0;
    let phased = simulate(&load("seed-3-tactical-then-strategic.toml"), &opts).0;
    // The low network misses, the strategic one meets, and scenario 3 goes from one to the other.
    assert!(!low.phases[0].verdict.met);
    assert!(
        strategic.phases[0].verdict.met,
        "{:?}",
        strategic.phases[0].verdict
    );
    assert_eq!(phased.phases.len(), 2);
    assert!(!phased.phases[0].verdict.met);
    assert!(
        phased.phases[1].verdict.met,
        "{:?}",
        phased.phases[1].verdict
    );
    // A phase's fleet_scale fills the same cells: a quarter of the meters, all of the cells
    // (regression: it was once applied twice).
    let (tactical, strategic_phase) = (&phased.phases[0], &phased.phases[1]);
    assert_eq!(tactical.cells, strategic_phase.cells);
    let ratio = tactical.meters as f64 / strategic_phase.meters as f64;
    assert!((ratio - 0.25 / 0.8).abs() < 0.01, "meter ratio {ratio}");
    // Daily half-hourly collection carries far more reads than monthly register reads.
    let reads = |r: &Report| -> u64 {
        r.phases[0]
            .services
            .iter()
            .filter(|s| s.id.contains("read"))
            .map(|s| s.requests)
            .sum()
    };
    assert!(reads(&strategic) > 10 * reads(&low));
    // The soft regime's credits are capped; the hard regime has none here because it met.
    let pen = low.phases[0].penalty.as_ref().unwrap();
    assert!(pen.monthly_credit_gbp > 0.0);
    assert_eq!(
        strategic.phases[0]
            .penalty
            .as_ref()
            .unwrap()
            .monthly_credit_gbp,
        0.0
    );
}
