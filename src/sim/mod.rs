//! The WAN service-level simulator: scenario loading, the discrete-event engine in virtual time,
//! and the runner that turns a scenario into a report.
//!
//! Cells are independent in the WAN model, so the fleet is cut into shards of cells, each with its
//! own generator seeded from the run seed and the shard's coordinates. Shards run on as many
//! threads as there are cores and are merged in a fixed order, so the report depends on the seed
//! alone, never on the thread count or timing.

mod engine;
mod queue;
pub mod scenario;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use engine::{
    CellPlan, ClassStats, LoadSummary, ShardInput, ShardResult, run_shard, stream_seed,
};
pub use queue::EventQueue;
use scenario::{Phase, Region, Scenario};

use crate::model::{CATALOGUE, ServiceClass, SettlementDate};
use crate::report::{self, PhaseReport, Report};
use crate::wan::Micros;

/// Cells per shard: small enough to balance two cores, large enough to keep shard overhead low.
const CELLS_PER_SHARD: usize = 256;
/// Cells per region sampled by the capacity-knee search.
const KNEE_CELLS: usize = 24;
/// A class is judged in a knee sample only with at least this many requests: fewer cannot tell a
/// 99 % share from noise.
const KNEE_MIN_REQUESTS: u64 = 500;
/// The knee search stops at this traffic multiple.
const KNEE_CEILING: f64 = 64.0;

/// How to run a scenario.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub seed: u64,
    /// Multiplies every region's meter count (0.01 runs a 1 % fleet).
    pub scale: f64,
    /// Worker threads; the report does not depend on it.
    pub threads: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Search for the capacity knee.
    pub knee: bool,
}

/// Figures about the run itself, which vary from machine to machine and so stay out of the report.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    /// Events of the simulation proper (not of the knee search's re-runs).
    pub events: u64,
    /// Wall time of the whole run, knee search included.
    pub wall: std::time::Duration,
    /// Wall time spent in the capacity-knee search.
    pub knee_wall: std::time::Duration,
}

/// Simulates every phase of a scenario.
pub fn simulate(scenario: &Scenario, opts: &RunOptions) -> (Report, RunStats) {
    let started = std::time::Instant::now();
    let days: Vec<SettlementDate> = std::iter::successors(Some(scenario.date), |d| Some(d.next()))
        .take(scenario.days as usize)
        .collect();
    let classes = traffic_classes(scenario);
    let targets: Vec<Micros> = classes
        .iter()
        .map(|c| scenario.service_levels[c.id].target())
        .collect();
    let mut phases = Vec::new();
    let mut events = 0;
    let mut knee_wall = std::time::Duration::ZERO;
    for (phase_no, phase) in scenario.phases.iter().enumerate() {
        let ctx = PhaseRun {
            scenario,
            phase,
            phase_no,
            opts,
            days: &days,
            classes: &classes,
            targets: &targets,
        };
        let (report, phase_events, phase_knee_wall) = ctx.run();
        events += phase_events;
        knee_wall += phase_knee_wall;
        phases.push(report);
    }
    let report = Report::new(scenario, opts.seed, opts.scale, phases);
    let stats = RunStats {
        events,
        wall: started.elapsed(),
        knee_wall,
    };
    (report, stats)
}

/// The classes that carry traffic in the scenario, in catalogue order.
fn traffic_classes(scenario: &Scenario) -> Vec<&'static ServiceClass> {
    CATALOGUE
        .iter()
        .filter(|c| scenario.service_levels.contains_key(c.id))
        .collect()
}

/// The cells of one region in one phase.
pub struct RegionPlan {
    pub region: Region,
    pub technology: String,
    pub meters: u64,
    pub hubs: u64,
    pub cells: Vec<CellPlan>,
}

/// Lays a region's fleet out in cells; totals are exact (cumulative rounding).
pub fn plan_region(
    region: &Region,
    technology: &str,
    meters: u64,
    meters_per_hub: f64,
    electricity_share: f64,
) -> RegionPlan {
    let hubs = (meters as f64 / meters_per_hub).ceil() as u64;
    let per_cell = u64::from(region.hubs_per_cell);
    let count = hubs.div_ceil(per_cell);
    let share_of = |total: u64, upto: u64| -> u64 {
        if hubs == 0 {
            0
        } else {
            ((total as f64) * (upto as f64) / (hubs as f64)).round() as u64
        }
    };
    let electricity_total = (meters as f64 * electricity_share).round() as u64;
    let mut cells = Vec::with_capacity(count as usize);
    for i in 0..count {
        let (lo, hi) = (i * per_cell, ((i + 1) * per_cell).min(hubs));
        let m = share_of(meters, hi) - share_of(meters, lo);
        let e = share_of(electricity_total, hi) - share_of(electricity_total, lo);
        cells.push(CellPlan {
            id: i as u32,
            hubs: (hi - lo) as u32,
            electricity: e as u32,
            gas: m.saturating_sub(e) as u32,
        });
    }
    RegionPlan {
        region: region.clone(),
        technology: technology.to_string(),
        meters,
        hubs,
        cells,
    }
}

impl RegionPlan {
    /// Scales every cell's hubs and meters by `share` (a fleet part-way through its rollout, or
    /// grown beyond the plan), keeping the cells.
    pub fn fill(&mut self, share: f64) {
        if share == 1.0 {
            return;
        }
        let scale = |n: u32| (f64::from(n) * share).round() as u32;
        for cell in &mut self.cells {
            cell.hubs = scale(cell.hubs);
            cell.electricity = scale(cell.electricity);
            cell.gas = scale(cell.gas);
        }
        self.hubs = self.cells.iter().map(|c| u64::from(c.hubs)).sum();
        self.meters = self
            .cells
            .iter()
            .map(|c| u64::from(c.electricity + c.gas))
            .sum();
    }
}

struct PhaseRun<'a> {
    scenario: &'a Scenario,
    phase: &'a Phase,
    phase_no: usize,
    opts: &'a RunOptions,
    days: &'a [SettlementDate],
    classes: &'a [&'static ServiceClass],
    targets: &'a [Micros],
}

/// What one region contributed: its shards' merged results.
pub struct RegionOutcome {
    pub plan: RegionPlan,
    pub classes: Vec<ClassStats>,
    pub load: LoadSummary,
    pub down_cell_micros: u64,
    pub outages: u64,
}

impl PhaseRun<'_> {
    fn run(&self) -> (PhaseReport, u64, std::time::Duration) {
        let mut plans: Vec<RegionPlan> = Vec::new();
        for r in &self.scenario.regions {
            // The network is built for the full fleet; the phase's fleet_scale fills its cells.
            let meters = (r.meters as f64 * self.opts.scale).round() as u64;
            // Split the region's meters between its technologies, exactly (cumulative rounding).
            let mut before = 0.0;
            for (technology, share) in &self.phase.technologies[&r.region] {
                let lo = (meters as f64 * before).round() as u64;
                before += share;
                let hi = (meters as f64 * before.min(1.0)).round() as u64;
                let mut plan = plan_region(
                    r,
                    technology,
                    hi - lo,
                    self.scenario.fleet.meters_per_hub,
                    self.scenario.fleet.electricity_share,
                );
                plan.fill(self.phase.fleet_scale);
                plans.push(plan);
            }
        }
        let progress = AtomicU64::new(0);
        let horizon = self.horizon();
        let mut inputs = Vec::new();
        let mut owners = Vec::new();
        for (r, plan) in plans.iter().enumerate() {
            for (s, chunk) in plan.cells.chunks(CELLS_PER_SHARD).enumerate() {
                let seed = stream_seed(
                    self.opts.seed,
                    &[self.phase_no as u64, r as u64, s as u64, 0],
                );
                inputs.push(self.shard_input(plan, chunk.to_vec(), seed, 1.0, Some(&progress)));
                owners.push(r);
            }
        }
        let bar = self
            .opts
            .progress
            .then(|| progress_bar(inputs.len() as u64 * horizon, &self.phase.name));
        let results = run_parallel(inputs, self.opts.threads, || {
            if let Some(bar) = &bar {
                bar.set_position(progress.load(Ordering::Relaxed));
            }
        });
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let events = results.iter().map(|r| r.events).sum();
        let hours = engine::load_hours(horizon);
        let mut outcomes: Vec<RegionOutcome> = plans
            .into_iter()
            .map(|plan| RegionOutcome {
                plan,
                classes: self.classes.iter().map(|_| ClassStats::empty()).collect(),
                load: LoadSummary::zeroed(hours),
                down_cell_micros: 0,
                outages: 0,
            })
            .collect();
        for (result, r) in results.iter().zip(owners) {
            let out = &mut outcomes[r];
            for (acc, s) in out.classes.iter_mut().zip(&result.classes) {
                acc.merge(s);
            }
            out.load.merge(&result.load);
            out.down_cell_micros += result.down_cell_micros;
            out.outages += result.outages;
        }
        let knee_started = std::time::Instant::now();
        let knee = self.opts.knee.then(|| self.knee(&outcomes));
        let knee_wall = knee_started.elapsed();
        let mut report = report::phase_report(
            self.scenario,
            self.phase,
            self.classes,
            &outcomes,
            horizon,
            events,
            knee,
        );
        report.settlement = self.settle(&outcomes);
        (report, events, knee_wall)
    }

    /// Settles a sample of the fleet for the first simulated day: its smart electricity meters
    /// are collected as the scenario schedules them, each request answered with the share of
    /// the class's requests that completed in the meter's region.
    fn settle(&self, outcomes: &[RegionOutcome]) -> Option<report::SettlementReport> {
        use crate::settlement::synthetic::{FleetSpec, ReadMode, Retrieval, SyntheticFleet};
        use scenario::Every;
        let sample = &self.scenario.settlement;
        if sample.premises == 0 {
            return None;
        }
        let every_days = |e: Every| match e {
            Every::HalfHourly | Every::Hourly | Every::Daily => 1,
            Every::Weekly => 7,
            Every::Monthly => 30,
        };
        let scheduled = &self.scenario.traffic.scheduled;
        let find = |id: &str| scheduled.iter().find(|c| c.class.id == id);
        let (class, mode, collection) = if let Some(c) = find("elec_read_interval") {
            let days = every_days(c.every);
            let what = format!(
                "half-hourly profile reads ({}) every {} day(s)",
                c.class.id, days
            );
            (
                Some(c.class.id),
                ReadMode::HalfHourly { every_days: days },
                what,
            )
        } else if let Some(c) = find("elec_read_simple") {
            let days = every_days(c.every);
            let what = format!("register reads ({}) every {} day(s)", c.class.id, days);
            (
                Some(c.class.id),
                ReadMode::Register { every_days: days },
                what,
            )
        } else {
            (
                None,
                ReadMode::None,
                "no scheduled electricity reads".to_string(),
            )
        };
        let position = class.and_then(|id| self.classes.iter().position(|c| c.id == id));
        let mut regions = std::collections::BTreeMap::new();
        let mut summary = Vec::new();
        for r in &self.scenario.regions {
            let (mut asked, mut completed) = (0u64, 0u64);
            for o in outcomes.iter().filter(|o| o.plan.region.region == r.region) {
                if let Some(i) = position {
                    let s = &o.classes[i];
                    asked += s.requests - s.no_coverage;
                    completed += s.completed;
                }
            }
            let success = if asked == 0 {
                1.0
            } else {
                completed as f64 / asked as f64
            };
            regions.insert(
                r.region,
                Retrieval {
                    mode,
                    success,
                    no_coverage: r.no_coverage_share,
                },
            );
            summary.push(report::SettlementRegion {
                region: r.region.to_string(),
                read_success: success,
                no_coverage: r.no_coverage_share,
            });
        }
        let spec = FleetSpec {
            premises: sample.premises as usize,
            seed: stream_seed(self.opts.seed, &[self.phase_no as u64, u64::MAX, 0, 0]),
            date: self.days[0],
            regions,
            gap_share: sample.gap_share,
            spike_share: sample.spike_share,
            unmetered_share: 0.01,
        };
        let fleet = SyntheticFleet::generate(spec);
        let opts = crate::settlement::engine::Options {
            threads: self.opts.threads.max(1),
            ..Default::default()
        };
        let day = crate::settlement::settle_day(&fleet, &opts);
        let standing = crate::settlement::Source::standing(&fleet);
        Some(report::SettlementReport {
            premises: sample.premises,
            collection,
            regions: summary,
            day: crate::settlement::summary::summarise(&day, standing),
        })
    }

    fn horizon(&self) -> Micros {
        self.days
            .iter()
            .map(|d| d.length_secs() as Micros * 1_000_000)
            .sum()
    }

    fn shard_input<'b>(
        &'b self,
        plan: &RegionPlan,
        cells: Vec<CellPlan>,
        seed: u64,
        traffic_scale: f64,
        progress: Option<&'b AtomicU64>,
    ) -> ShardInput<'b> {
        let traffic = &self.scenario.traffic;
        ShardInput {
            cells,
            technology: self.scenario.technology(&plan.technology),
            no_coverage_share: plan.region.no_coverage_share,
            classes: self.classes,
            scheduled: &traffic.scheduled,
            on_demand: &traffic.on_demand,
            alerts: &traffic.alerts,
            storm: traffic.storm.as_ref(),
            targets: self.targets,
            traffic_scale,
            days: self.days,
            rng: ChaCha8Rng::seed_from_u64(seed),
            progress,
        }
    }

    /// Finds how far every traffic volume can grow before some class misses its target share,
    /// by re-simulating a sample of each region's cells at growing multiples (same random
    /// streams at every multiple) and bisecting between the last pass and the first miss.
    fn knee(&self, outcomes: &[RegionOutcome]) -> report::KneeReport {
        let samples: Vec<(usize, Vec<CellPlan>)> = outcomes
            .iter()
            .enumerate()
            .map(|(r, o)| {
                let cells = &o.plan.cells;
                let n = cells.len().min(KNEE_CELLS);
                (r, (0..n).map(|i| cells[i * cells.len() / n]).collect())
            })
            .collect();
        let sample_cells = samples.iter().map(|(_, c)| c.len() as u64).sum();
        let evaluate = |factor: f64| -> Option<&'static str> {
            let inputs = samples
                .iter()
                .map(|(r, cells)| {
                    let seed =
                        stream_seed(self.opts.seed, &[self.phase_no as u64, *r as u64, 0, 1]);
                    self.shard_input(&outcomes[*r].plan, cells.clone(), seed, factor, None)
                })
                .collect();
            let results = run_parallel(inputs, self.opts.threads, || {});
            let mut merged: Vec<ClassStats> =
                self.classes.iter().map(|_| ClassStats::empty()).collect();
            for result in &results {
                for (acc, s) in merged.iter_mut().zip(&result.classes) {
                    acc.merge(s);
                }
            }
            self.classes.iter().zip(&merged).find_map(|(class, s)| {
                let level = &self.scenario.service_levels[class.id];
                let judged = s.requests - s.no_coverage;
                (judged >= KNEE_MIN_REQUESTS && report::share_within_target(s) < level.share)
                    .then_some(class.id)
            })
        };
        // Today's traffic is judged on the whole fleet, not the sample.
        let missing_now = self.classes.iter().enumerate().find_map(|(i, class)| {
            let mut s = ClassStats::empty();
            for o in outcomes {
                s.merge(&o.classes[i]);
            }
            let level = &self.scenario.service_levels[class.id];
            (report::share_within_target(&s) < level.share).then_some(class.id)
        });
        if let Some(class) = missing_now {
            return report::KneeReport {
                factor: 1.0,
                ceiling_reached: false,
                already_missing: true,
                first_miss: Some(class.to_string()),
                sample_cells,
            };
        }
        let (mut pass, mut fail) = (1.0f64, None);
        let mut first_miss = None;
        let mut f = 2.0;
        while f <= KNEE_CEILING {
            match evaluate(f) {
                None => pass = f,
                Some(class) => {
                    fail = Some(f);
                    first_miss = Some(class);
                    break;
                }
            }
            f *= 2.0;
        }
        if let Some(mut hi) = fail {
            // Bisect on a log scale to within 5 %.
            while hi / pass > 1.05 {
                let mid = (pass * hi).sqrt();
                match evaluate(mid) {
                    None => pass = mid,
                    Some(class) => {
                        hi = mid;
                        first_miss = Some(class);
                    }
                }
            }
        }
        report::KneeReport {
            factor: (pass * 100.0).round() / 100.0,
            ceiling_reached: fail.is_none(),
            already_missing: false,
            first_miss: first_miss.map(str::to_string),
            sample_cells,
        }
    }
}

fn progress_bar(total: u64, phase: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{msg} [{elapsed_precise}] {wide_bar} {percent}% (eta {eta})",
    )
    .expect("valid template");
    bar.set_style(style);
    bar.set_message(format!("simulating {phase}"));
    bar
}

/// Runs shards on `threads` workers and returns their results in input order. `tick` is called
/// from the coordinating thread about ten times a second while work remains.
fn run_parallel(inputs: Vec<ShardInput<'_>>, threads: usize, tick: impl Fn()) -> Vec<ShardResult> {
    let n = inputs.len();
    let slots: Vec<Mutex<Option<ShardInput<'_>>>> =
        inputs.into_iter().map(|i| Mutex::new(Some(i))).collect();
    let results: Vec<Mutex<Option<ShardResult>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, n.max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let input = slots[i]
                        .lock()
                        .expect("not poisoned")
                        .take()
                        .expect("taken once");
                    let result = run_shard(input);
                    *results[i].lock().expect("not poisoned") = Some(result);
                    done.fetch_add(1, Ordering::Release);
                }
            });
        }
        while done.load(Ordering::Acquire) < n {
            tick();
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .expect("not poisoned")
                .expect("every shard ran")
        })
        .collect()
}
