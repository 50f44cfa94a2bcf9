//! The simulator's report: built from the merged counters, written as text for people, JSON for
//! machines and a self-contained HTML page with plots. Nothing here depends on wall-clock time,
//! so the same seed gives the same bytes.

mod compare;
mod html;
mod text;

use serde::{Deserialize, Serialize};

pub use compare::compare;
pub(crate) use html::escape as html_escape;
pub use html::html;
pub use text::text;

use crate::model::ServiceClass;
use crate::sim::scenario::{Basis, Phase, Regime, Scenario};
use crate::sim::{ClassStats, RegionOutcome};
use crate::wan::{MICROS_PER_HOUR, Micros};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub dccsim_version: String,
    pub scenario: String,
    pub description: String,
    pub file: String,
    pub seed: u64,
    pub scale: f64,
    pub date: String,
    pub days: u32,
    pub phases: Vec<PhaseReport>,
}

impl Report {
    pub fn new(scenario: &Scenario, seed: u64, scale: f64, phases: Vec<PhaseReport>) -> Report {
        Report {
            dccsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            file: scenario.file.clone(),
            seed,
            scale,
            date: scenario.date.to_string(),
            days: scenario.days,
            phases,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PhaseReport {
    pub name: String,
    pub year: i32,
    pub meters: u64,
    pub hubs: u64,
    pub cells: u64,
    pub events: u64,
    pub services: Vec<ServiceReport>,
    pub regions: Vec<RegionReport>,
    pub verdict: Verdict,
    pub penalty: Option<PenaltyReport>,
    pub knee: Option<KneeReport>,
    /// The settled sample of the fleet (absent when `[settlement] premises = 0`).
    #[serde(default)]
    pub settlement: Option<SettlementReport>,
}

/// How the phase's WAN performance settles: a sample of the fleet, collected as the scenario
/// schedules it with each region's measured success, through the settlement pipeline.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SettlementReport {
    /// Premises in the sample (metering points include export MPANs).
    pub premises: u64,
    /// How smart electricity meters are collected, from the scenario's schedules.
    pub collection: String,
    pub regions: Vec<SettlementRegion>,
    pub day: crate::settlement::summary::DaySummary,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SettlementRegion {
    pub region: String,
    /// Share of the collection's requests to covered meters that completed.
    pub read_success: f64,
    pub no_coverage: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServiceReport {
    pub id: String,
    pub name: String,
    pub srv: Option<String>,
    pub gbcs: Option<String>,
    pub target_s: f64,
    pub target_share: f64,
    pub basis: Basis,
    pub requests: u64,
    /// Requests to meters without WAN coverage: reported, not judged.
    pub no_coverage: u64,
    pub completed: u64,
    pub within_target: u64,
    /// Within target over requests to covered meters (failures count as misses).
    pub share_within_target: f64,
    pub failed_outage: u64,
    pub failed_retries: u64,
    pub attempts_per_request: f64,
    pub latency_ms: LatencySummary,
    /// Points (ms, share completed within) of the response-time distribution, for plots.
    pub distribution: Vec<(f64, f64)>,
    pub met: bool,
    /// Percentage points below the target share (0 when met).
    pub shortfall_points: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LatencySummary {
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegionReport {
    pub region: String,
    pub technology: String,
    pub kind: String,
    pub meters: u64,
    pub hubs: u64,
    pub cells: u64,
    pub uplink: DirectionReport,
    pub downlink: DirectionReport,
    /// Share of cell-time the region's cells were down (outages and maintenance).
    pub down_share: f64,
    pub down_periods: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DirectionReport {
    pub capacity_kbps: f64,
    /// Busy time over available time, all cells, over the run (not the hours after it).
    pub mean_utilisation: f64,
    /// The highest hourly utilisation averaged over the region's cells.
    pub peak_hour_utilisation: f64,
    /// Hour of the run (0 = the first hour after midnight) with the most bytes.
    pub busiest_hour: usize,
    /// The highest utilisation of any one cell in any one hour.
    pub peak_cell_utilisation: f64,
    pub bytes: u64,
    /// Hours of traffic the most backlogged cell still had queued six hours after the run's
    /// end (0 unless the channel is overloaded).
    pub backlog_hours: f64,
    /// Mean utilisation over the region's cells, per hour of the run and then six hours after
    /// its end, while traffic still in flight drains.
    pub hourly_utilisation: Vec<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verdict {
    pub met: bool,
    /// Classes below their target share.
    pub missed: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PenaltyReport {
    pub regime: Regime,
    pub contract_years: u32,
    /// Service credits owed for a month that performs like the simulated days.
    pub monthly_credit_gbp: f64,
    /// True when the soft regime's cap cut the credit.
    pub capped: bool,
    pub contract_exposure_gbp: f64,
    /// A class fell below the hard regime's termination share.
    pub termination_right: bool,
    pub per_class_gbp: Vec<(String, f64)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KneeReport {
    /// Traffic multiple at which every class still meets its target.
    pub factor: f64,
    /// No miss up to the search ceiling: `factor` is a lower bound.
    pub ceiling_reached: bool,
    /// A class misses already at today's traffic (in the sample).
    pub already_missing: bool,
    /// The class that misses first beyond `factor`.
    pub first_miss: Option<String>,
    pub sample_cells: u64,
}

impl KneeReport {
    /// The finding in one sentence, for the text and HTML reports.
    pub fn sentence(&self) -> String {
        let class = self.first_miss.as_deref().unwrap_or("a class");
        if self.already_missing {
            format!("none — {class} already misses at today's traffic")
        } else if self.ceiling_reached {
            format!(
                "beyond ×{} — every class still meets its target at that traffic (sample of {} cells)",
                self.factor, self.sample_cells
            )
        } else {
            format!(
                "traffic can grow ×{} before {class} misses its target (sample of {} cells)",
                self.factor, self.sample_cells
            )
        }
    }
}

/// Share of requests to covered meters that completed within target (1 when there were none).
pub fn share_within_target(s: &ClassStats) -> f64 {
    let judged = s.requests - s.no_coverage;
    if judged == 0 {
        1.0
    } else {
        s.within_target as f64 / judged as f64
    }
}

/// Builds a phase's report from the merged region outcomes.
pub fn phase_report(
    scenario: &Scenario,
    phase: &Phase,
    classes: &[&'static ServiceClass],
    outcomes: &[RegionOutcome],
    horizon: Micros,
    events: u64,
    knee: Option<KneeReport>,
) -> PhaseReport {
    let services: Vec<ServiceReport> = classes
        .iter()
        .enumerate()
        .map(|(i, class)| {
            let mut stats = ClassStats::empty();
            for o in outcomes {
                stats.merge(&o.classes[i]);
            }
            service_report(class, &stats, &scenario.service_levels[class.id])
        })
        .collect();
    let regions = outcomes
        .iter()
        .map(|o| region_report(scenario, o, horizon))
        .collect();
    let missed: Vec<String> = services
        .iter()
        .filter(|s| !s.met)
        .map(|s| s.id.clone())
        .collect();
    let penalty = phase.commercials.as_ref().map(|c| {
        let per_class: Vec<(String, f64)> = services
            .iter()
            .filter(|s| !s.met)
            .map(|s| (s.id.clone(), s.shortfall_points * c.credit_per_point_gbp))
            .collect();
        let raw = per_class.iter().fold(0.0, |acc, (_, v)| acc + v);
        let cap = match (c.regime, c.cap_share) {
            (Regime::Soft, Some(share)) => Some(share * c.monthly_charge_gbp),
            _ => None,
        };
        let monthly = cap.map_or(raw, |cap| raw.min(cap));
        PenaltyReport {
            regime: c.regime,
            contract_years: c.contract_years,
            monthly_credit_gbp: round2(monthly),
            capped: cap.is_some_and(|cap| raw > cap),
            contract_exposure_gbp: round2(monthly * 12.0 * f64::from(c.contract_years)),
            termination_right: c.termination_share.is_some_and(|t| {
                services
                    .iter()
                    .any(|s| s.requests > s.no_coverage && s.share_within_target < t)
            }),
            per_class_gbp: per_class,
        }
    });
    PhaseReport {
        name: phase.name.clone(),
        year: phase.year,
        meters: outcomes.iter().map(|o| o.plan.meters).sum(),
        hubs: outcomes.iter().map(|o| o.plan.hubs).sum(),
        cells: outcomes.iter().map(|o| o.plan.cells.len() as u64).sum(),
        events,
        services,
        regions,
        verdict: Verdict {
            met: missed.is_empty(),
            missed,
        },
        penalty,
        knee,
        settlement: None,
    }
}

fn service_report(
    class: &ServiceClass,
    s: &ClassStats,
    level: &crate::sim::scenario::ServiceLevel,
) -> ServiceReport {
    let share = share_within_target(s);
    let met = share >= level.share;
    let h = &s.latency_ms;
    let latency = if s.completed == 0 {
        LatencySummary::default()
    } else {
        LatencySummary {
            mean: round2(s.latency_sum_us as f64 / s.completed as f64 / 1000.0),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: s.max_us.div_ceil(1000),
        }
    };
    // The response-time distribution at a few dozen quantiles, as share of all judged
    // requests, so that failures show as the curve never reaching 1.
    let judged = (s.requests - s.no_coverage).max(1) as f64;
    let distribution = if s.completed == 0 {
        Vec::new()
    } else {
        let mut points: Vec<(f64, f64)> = Vec::new();
        for q in QUANTILES {
            let ms = h.value_at_quantile(q) as f64;
            let share = h.count_between(0, ms as u64) as f64 / judged;
            if points.last().is_none_or(|&(last, _)| ms > last) {
                points.push((ms, round6(share)));
            }
        }
        points
    };
    ServiceReport {
        id: class.id.to_string(),
        name: class.name.to_string(),
        srv: class.srv.map(|s| s.to_string()),
        gbcs: class.gbcs.map(str::to_string),
        target_s: level.target_secs,
        target_share: level.share,
        basis: level.basis,
        requests: s.requests,
        no_coverage: s.no_coverage,
        completed: s.completed,
        within_target: s.within_target,
        share_within_target: round6(share),
        failed_outage: s.failed_outage,
        failed_retries: s.failed_retries,
        attempts_per_request: if s.requests > s.no_coverage {
            round6(s.attempts as f64 / (s.requests - s.no_coverage) as f64)
        } else {
            0.0
        },
        latency_ms: latency,
        distribution,
        met,
        shortfall_points: if met {
            0.0
        } else {
            round6((level.share - share) * 100.0)
        },
    }
}

const QUANTILES: [f64; 22] = [
    0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98,
    0.99, 0.995, 0.999, 0.9999, 1.0,
];

fn region_report(scenario: &Scenario, o: &RegionOutcome, horizon: Micros) -> RegionReport {
    let tech = scenario.technology(&o.plan.technology);
    let cells = o.plan.cells.len() as u64;
    let direction = |sum: &[u64], max: &[u64], bytes: &[u64], backlog: Micros, bps: f64| {
        let hours = sum.len();
        // Days are whole hours long (23, 24 or 25), and so is the tail after the run.
        let hour_len = MICROS_PER_HOUR as f64;
        let run_hours = horizon.div_ceil(MICROS_PER_HOUR) as usize;
        let hourly: Vec<f64> = (0..hours)
            .map(|h| round6(sum[h] as f64 / (cells.max(1) as f64 * hour_len)))
            .collect();
        let busiest_hour = (0..hours)
            .max_by_key(|&h| (bytes[h], std::cmp::Reverse(h)))
            .unwrap_or(0);
        DirectionReport {
            capacity_kbps: bps / 1000.0,
            // Over the run itself: the hours after it only hold what was still in flight.
            mean_utilisation: round6(
                sum.iter().take(run_hours).sum::<u64>() as f64
                    / (cells.max(1) as f64 * horizon.max(1) as f64),
            ),
            peak_hour_utilisation: hourly.iter().copied().fold(0.0, f64::max),
            busiest_hour,
            peak_cell_utilisation: round6(
                (0..hours)
                    .map(|h| max[h] as f64 / hour_len)
                    .fold(0.0, f64::max),
            ),
            bytes: bytes.iter().sum(),
            backlog_hours: round6(backlog as f64 / MICROS_PER_HOUR as f64),
            hourly_utilisation: hourly,
        }
    };
    let l = &o.load;
    RegionReport {
        region: o.plan.region.region.name().to_string(),
        technology: o.plan.technology.clone(),
        kind: tech.kind.label().to_string(),
        meters: o.plan.meters,
        hubs: o.plan.hubs,
        cells,
        uplink: direction(
            &l.up_busy_sum,
            &l.up_busy_max,
            &l.up_bytes,
            l.up_backlog_max,
            tech.uplink_bps,
        ),
        downlink: direction(
            &l.down_busy_sum,
            &l.down_busy_max,
            &l.down_bytes,
            l.down_backlog_max,
            tech.downlink_bps,
        ),
        down_share: round6(
            o.down_cell_micros as f64 / (cells.max(1) as f64 * horizon.max(1) as f64),
        ),
        down_periods: o.outages,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
