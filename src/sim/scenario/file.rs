//! The scenario file as written: serde structs that mirror the TOML, field for field, with
//! `deny_unknown_fields` so a typo is an error. Defaults live here and in scenarios/README.md.
//! `super::Scenario::from_file` turns this into validated types.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::wan::TechnologyKind;

fn one_u32() -> Spanned<u32> {
    Spanned::new(0..0, 1)
}
fn one_f64() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}
fn zero_f64() -> Spanned<f64> {
    Spanned::new(0..0, 0.0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// First settlement day simulated, YYYY-MM-DD.
    pub date: Spanned<String>,
    #[serde(default = "one_u32")]
    pub days: Spanned<u32>,
    #[serde(default)]
    pub seed: u64,
    pub fleet: FleetFile,
    pub regions: BTreeMap<Spanned<String>, RegionFile>,
    pub technologies: BTreeMap<String, TechnologyFile>,
    #[serde(default)]
    pub scheduled: Vec<ScheduledFile>,
    #[serde(default)]
    pub on_demand: Vec<RateFile>,
    #[serde(default)]
    pub alerts: Vec<RateFile>,
    pub reconnect_storm: Option<StormFile>,
    #[serde(default)]
    pub service_levels: Vec<ServiceLevelFile>,
    pub commercials: Option<CommercialsFile>,
    #[serde(default)]
    pub phases: Vec<PhaseFile>,
    pub settlement: Option<SettlementFile>,
}

/// `[settlement]`: the sample of the fleet settled after the simulation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementFile {
    pub premises: Option<Spanned<u64>>,
    pub gap_share: Option<Spanned<f64>>,
    pub spike_share: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetFile {
    pub electricity_share: Spanned<f64>,
    pub meters_per_hub: Spanned<f64>,
    pub hubs_per_cell: Spanned<u32>,
    #[serde(default = "zero_f64")]
    pub no_coverage_share: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionFile {
    pub meters: Spanned<u64>,
    /// One technology for the whole region…
    pub technology: Option<Spanned<String>>,
    /// …or a mix: technology name to share of the region's meters.
    pub mix: Option<Spanned<BTreeMap<String, f64>>>,
    pub hubs_per_cell: Option<Spanned<u32>>,
    pub no_coverage_share: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechnologyFile {
    pub kind: TechnologyKind,
    pub uplink_kbps: Spanned<f64>,
    pub downlink_kbps: Spanned<f64>,
    #[serde(default)]
    pub overhead_bytes: u32,
    pub latency: Spanned<LatencyFile>,
    pub processing: Option<Spanned<LatencyFile>>,
    #[serde(default = "zero_f64")]
    pub loss: Spanned<f64>,
    pub retry: RetryFile,
    pub outages: Option<OutagesFile>,
    #[serde(default)]
    pub maintenance: Vec<MaintenanceFile>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum DistributionName {
    Fixed,
    Uniform,
    Exponential,
    Lognormal,
}

/// One flat table for every distribution, so that spans and unknown-field errors work; which
/// fields are required depends on `distribution`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyFile {
    pub distribution: DistributionName,
    pub ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub mean_ms: Option<f64>,
    pub median_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryFile {
    pub timeout_s: Spanned<f64>,
    #[serde(default = "one_u32")]
    pub attempts: Spanned<u32>,
    #[serde(default = "zero_f64")]
    pub backoff_s: Spanned<f64>,
    #[serde(default = "one_f64")]
    pub backoff_factor: Spanned<f64>,
    pub max_backoff_s: Option<Spanned<f64>>,
    #[serde(default = "zero_f64")]
    pub jitter: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutagesFile {
    pub mtbf_hours: Spanned<f64>,
    pub mttr_hours: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceFile {
    pub start: Spanned<String>,
    pub minutes: Spanned<f64>,
    pub share: Spanned<f64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    HalfHourly,
    Hourly,
    Daily,
    Weekly,
    Monthly,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Spreading {
    AtOnce,
    Even,
    Random,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledFile {
    pub service: Spanned<String>,
    pub every: Every,
    #[serde(default = "one_f64")]
    pub share: Spanned<f64>,
    /// Clock time the first window opens, HH:MM.
    pub start: Spanned<String>,
    pub window_minutes: Spanned<f64>,
    pub spreading: Spreading,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateFile {
    pub service: Spanned<String>,
    pub per_meter_per_day: Spanned<f64>,
    pub profile: Option<Spanned<String>>,
    pub hourly: Option<Spanned<Vec<f64>>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum StormShape {
    Beta34,
    Uniform,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StormFile {
    pub service: Spanned<String>,
    #[serde(default = "one_f64")]
    pub messages_per_hub: Spanned<f64>,
    pub window_s: Spanned<f64>,
    pub shape: StormShape,
    #[serde(default)]
    pub after_maintenance: bool,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// From the seed's traffic model.
    Seed,
    /// From the SEC or DCC's published service levels.
    Sec,
    /// No public figure: an assumption of the scenario's author.
    Assumption,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceLevelFile {
    pub service: Spanned<String>,
    pub target_s: Option<Spanned<f64>>,
    pub share: Spanned<f64>,
    pub basis: Basis,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    Soft,
    Hard,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommercialsFile {
    pub contract_years: Spanned<u32>,
    pub regime: Regime,
    pub monthly_charge_gbp: Spanned<f64>,
    pub credit_per_point_gbp: Spanned<f64>,
    pub cap_share: Option<Spanned<f64>>,
    pub termination_share: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseFile {
    pub name: String,
    pub year: i32,
    #[serde(default = "one_f64")]
    pub fleet_scale: Spanned<f64>,
    /// Region name to the single technology it uses in this phase.
    #[serde(default)]
    pub technologies: BTreeMap<Spanned<String>, Spanned<String>>,
    pub commercials: Option<CommercialsFile>,
}
