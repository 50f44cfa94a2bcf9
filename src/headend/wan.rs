//! The WAN between the head-end and its virtual fleet as the simulator models it, in real time:
//! each region's comms hubs are spread over its technologies (the scenario's mix) and cells
//! (`hubs_per_cell`); every cell has a downlink and an uplink of fixed bit rate, each a FIFO
//! server, so commands queue behind one another; a message takes the technology's latency, the
//! hub and meter their processing time; a transmission is lost with the technology's
//! probability, and the communications service provider retries by its policy (timeout, backoff);
//! cells go down at random (MTBF/MTTR) and carry nothing meanwhile; hubs without coverage cannot be
//! reached at all. Sans-IO: times in, times out; the gateway's clock drives it.
//!
//! Simplifications: messages are offered to a cell's channels when sent, not in time order, so a
//! retry or a slow answer can hold a channel a little early; planned maintenance windows are not
//! applied (they need the scenario's local clock); a meter answers a command once, and a retry
//! after a lost answer carries that same answer back.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::inventory::Coverage;
use super::registry::Registry;
use crate::model::{CspRegion, Eui64};
use crate::sim::scenario::Scenario;
use crate::wan::{Channel, DownInterval, Micros, Technology, down_intervals, maintenance_windows};

/// How far ahead cell outages and maintenance windows are drawn.
const OUTAGE_HORIZON: Duration = Duration::days(60);

struct Cell {
    downlink: Channel,
    uplink: Channel,
    down: Vec<DownInterval>,
}

impl Cell {
    fn is_down(&self, t: Micros) -> bool {
        self.down.iter().any(|iv| iv.start <= t && t < iv.end)
    }
}

/// One technology's cells in one region.
struct Network {
    technology: Technology,
    cells: Vec<Cell>,
}

struct RegionWan {
    /// Technologies with their cumulative share of the region's hubs.
    mix: Vec<(f64, Network)>,
    no_coverage_share: f64,
}

/// What became of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carried {
    /// The device's answer is back at the head-end at `at`.
    Answered { at: DateTime<Utc>, answer: Vec<u8> },
    /// Every attempt failed (loss, outage, timeout); the head-end gives up at `at`.
    NoAnswer { at: DateTime<Utc>, attempts: u8 },
    /// The hub has no WAN coverage: nothing can be sent.
    NoCoverage,
}

/// The real-time cellular WAN.
pub struct CellWan {
    regions: BTreeMap<CspRegion, RegionWan>,
    epoch: DateTime<Utc>,
    rng: ChaCha8Rng,
}

/// SplitMix64: a fixed, well-spread number from a hub's id (and a salt).
fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(hub: Eui64, salt: u64) -> f64 {
    unit_of(u64::from_be_bytes(hub.0), salt)
}

fn unit_of(key: u64, salt: u64) -> f64 {
    (mix64(key ^ salt) >> 11) as f64 / (1u64 << 53) as f64
}

impl CellWan {
    /// Builds the WAN of `scenario`'s regions and technologies for the hubs in `registry`,
    /// from `epoch` (outages are drawn from there for 60 days, with `seed`).
    pub fn new(
        scenario: &Scenario,
        registry: &Registry,
        epoch: DateTime<Utc>,
        seed: u64,
    ) -> CellWan {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x57A2);
        let horizon = OUTAGE_HORIZON.num_microseconds().unwrap_or(i64::MAX) as Micros;
        // The local days the horizon spans, each with its midnight relative to the epoch, for
        // the daily maintenance windows (set in local clock time).
        let first = crate::model::SettlementDate::new(epoch.date_naive() - Duration::days(1));
        let days: Vec<_> = std::iter::successors(Some(first), |d| Some(d.next()))
            .take(OUTAGE_HORIZON.num_days() as usize + 2)
            .map(|d| (d, (d.start_unix() - epoch.timestamp()) * 1_000_000))
            .collect();
        let mut regions = BTreeMap::new();
        for region in &scenario.regions {
            let mut hubs: Vec<Eui64> = registry
                .devices()
                .filter(|d| d.csp_region == region.region)
                .map(|d| d.comms_hub)
                .collect();
            hubs.sort();
            hubs.dedup();
            let mut mix = Vec::new();
            let mut cumulative = 0.0;
            for (name, share) in &region.mix {
                let lower = cumulative;
                cumulative += share;
                let technology = scenario.technology(name).clone();
                let served = hubs
                    .iter()
                    .filter(|h| (lower..cumulative).contains(&unit(**h, 1)))
                    .count();
                let count = served.div_ceil(region.hubs_per_cell.max(1) as usize).max(1);
                let cells = (0..count)
                    .map(|id| {
                        let windows =
                            maintenance_windows(&technology.maintenance, id as u32, &days);
                        Cell {
                            downlink: Channel::new(technology.downlink_bps),
                            uplink: Channel::new(technology.uplink_bps),
                            down: down_intervals(
                                technology.outages.as_ref(),
                                &windows,
                                horizon,
                                &mut rng,
                            ),
                        }
                    })
                    .collect();
                mix.push((cumulative, Network { technology, cells }));
            }
            regions.insert(
                region.region,
                RegionWan {
                    mix,
                    no_coverage_share: region.no_coverage_share,
                },
            );
        }
        CellWan {
            regions,
            epoch,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0xCE11),
        }
    }

    /// Cells in each region, for the head-end's banner.
    pub fn cells(&self) -> BTreeMap<CspRegion, usize> {
        self.regions
            .iter()
            .map(|(r, w)| (*r, w.mix.iter().map(|(_, n)| n.cells.len()).sum()))
            .collect()
    }

    /// What a comms hub at a place `key` identifies would get in `region`: the technology the
    /// region's mix gives it and whether it has coverage, drawn as the hubs' are (`None`: the
    /// scenario does not serve the region).
    pub fn coverage(&self, region: CspRegion, key: u64) -> Option<Coverage> {
        let wan = self.regions.get(&region)?;
        let pick = unit_of(key, 1);
        let (_, network) = wan
            .mix
            .iter()
            .find(|(upto, _)| pick < *upto)
            .or(wan.mix.last())?;
        Some(Coverage {
            technology: network.technology.name.replace('_', " "),
            available: unit_of(key, 2) >= wan.no_coverage_share,
        })
    }

    fn micros(&self, t: DateTime<Utc>) -> Micros {
        (t - self.epoch).num_microseconds().unwrap_or(0).max(0) as Micros
    }

    /// Carries `bytes` sent at `now` to the meter behind `hub` in `region`; `answer` is the
    /// meter handling the command when it arrives (called at most once).
    pub fn carry(
        &mut self,
        region: CspRegion,
        hub: Eui64,
        bytes: usize,
        now: DateTime<Utc>,
        answer: &mut dyn FnMut(DateTime<Utc>) -> Option<Vec<u8>>,
    ) -> Carried {
        let start = self.micros(now);
        let epoch = self.epoch;
        let at =
            move |m: Micros| epoch + Duration::microseconds(i64::try_from(m).unwrap_or(i64::MAX));
        let Some(wan) = self.regions.get_mut(&region) else {
            return Carried::NoCoverage;
        };
        if unit(hub, 2) < wan.no_coverage_share {
            return Carried::NoCoverage;
        }
        let pick = unit(hub, 1);
        let Some(i) = wan.mix.iter().position(|(upto, _)| pick < *upto) else {
            return Carried::NoCoverage;
        };
        let network = &mut wan.mix[i].1;
        let cell_count = network.cells.len() as u64;
        let cell = &mut network.cells[(mix64(u64::from_be_bytes(hub.0)) % cell_count) as usize];
        let tech = &network.technology;
        let rng = &mut self.rng;
        let size = |n: usize| {
            u32::try_from(n)
                .unwrap_or(u32::MAX)
                .saturating_add(tech.overhead_bytes)
        };
        let mut reply: Option<Option<Vec<u8>>> = None;
        let mut t = start;
        let attempts = tech.retry.attempts.max(1);
        for attempt in 1..=attempts {
            let sent = t;
            let back = try_once(cell, tech, rng, sent, size(bytes), &mut |arrived| {
                reply
                    .get_or_insert_with(|| answer(at(arrived)))
                    .as_ref()
                    .map(|a| size(a.len()))
            });
            if let Some(back) = back {
                return Carried::Answered {
                    at: at(back),
                    answer: reply.flatten().unwrap_or_default(),
                };
            }
            if reply.as_ref().is_some_and(Option::is_none) {
                // The meter refused the command: a retry would be refused too.
                return Carried::NoAnswer {
                    at: at(sent + tech.retry.timeout),
                    attempts: attempt,
                };
            }
            t = sent + tech.retry.timeout;
            if attempt < attempts {
                t += tech.retry.backoff_after(attempt, rng);
            }
        }
        Carried::NoAnswer {
            at: at(t),
            attempts,
        }
    }
}

/// One attempt: the command down the cell, the meter's answer (its size from `answer`, called
/// with the arrival time) up it. The answer's arrival time, if it comes within the attempt's
/// timeout.
fn try_once(
    cell: &mut Cell,
    tech: &Technology,
    rng: &mut ChaCha8Rng,
    sent: Micros,
    command_bytes: u32,
    answer: &mut dyn FnMut(Micros) -> Option<u32>,
) -> Option<Micros> {
    if cell.is_down(sent) {
        return None;
    }
    let (_, on_air) = cell
        .downlink
        .offer(sent, cell.downlink.service_time(command_bytes));
    let arrived = on_air + tech.latency.sample(rng);
    if rng.random_bool(tech.loss.clamp(0.0, 1.0)) {
        return None;
    }
    let answer_bytes = answer(arrived)?;
    let ready = arrived + tech.processing.sample(rng);
    if cell.is_down(ready) {
        return None;
    }
    let (_, on_air) = cell
        .uplink
        .offer(ready, cell.uplink.service_time(answer_bytes));
    let back = on_air + tech.latency.sample(rng);
    if rng.random_bool(tech.loss.clamp(0.0, 1.0)) || back - sent > tech.retry.timeout {
        return None;
    }
    Some(back)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::defaults;
    use chrono::TimeZone;

    fn scenario() -> Scenario {
        Scenario::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/gb-today.toml"),
        )
        .unwrap()
    }

    fn epoch() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 1, 0, 0).unwrap()
    }

    /// The WAN of gb-today over a 200-premises fleet, and a hub in Central (cellular mostly).
    fn central_hub() -> (CellWan, Eui64) {
        let (registry, _) = defaults::fleet(200, 1, epoch());
        let wan = CellWan::new(&scenario(), &registry, epoch(), 7);
        let hub = registry
            .devices()
            .find(|d| d.csp_region == CspRegion::Central)
            .unwrap()
            .comms_hub;
        (wan, hub)
    }

    #[test]
    fn a_burst_queues_on_its_cell_and_answers_come_back_later() {
        let (mut wan, hub) = central_hub();
        // 30 answers of 1.5 kB take about 10 s on a 40 kbit/s cellular uplink: within the
        // 15 s attempt timeout, but queued.
        let mut times = Vec::new();
        for _ in 0..30 {
            let mut device = |_| Some(vec![0u8; 1500]);
            match wan.carry(CspRegion::Central, hub, 120, epoch(), &mut device) {
                Carried::Answered { at, .. } => times.push((at - epoch()).num_milliseconds()),
                Carried::NoAnswer { .. } => {}
                Carried::NoCoverage => panic!("covered hub"),
            }
        }
        assert!(times.len() >= 27, "{} of 30 answered", times.len());
        times.sort();
        // The first answers take the latency; the last wait behind the others on the uplink.
        let first = times[0];
        let last = *times.last().unwrap();
        assert!(first < 10_000, "first {first} ms");
        assert!(last > 5 * first, "first {first} ms, last {last} ms");
    }

    #[test]
    fn a_burst_beyond_the_cells_capacity_times_out() {
        let (mut wan, hub) = central_hub();
        let mut answered = 0;
        for _ in 0..200 {
            let mut device = |_| Some(vec![0u8; 1500]);
            if let Carried::Answered { .. } =
                wan.carry(CspRegion::Central, hub, 120, epoch(), &mut device)
            {
                answered += 1;
            }
        }
        // About a minute of answers queued for one uplink: later answers miss the CSP's
        // timeout, and its retries only add to the queue.
        assert!(answered < 100, "{answered} of 200 answered");
    }

    #[test]
    fn a_meter_that_refuses_is_not_retried() {
        let (registry, _) = defaults::fleet(20, 1, epoch());
        let mut wan = CellWan::new(&scenario(), &registry, epoch(), 7);
        let hub = registry.devices().next().unwrap().comms_hub;
        let region = registry.devices().next().unwrap().csp_region;
        let mut calls = 0;
        let mut device = |_| {
            calls += 1;
            None
        };
        let carried = wan.carry(region, hub, 100, epoch(), &mut device);
        assert!(
            matches!(
                carried,
                Carried::NoAnswer { attempts: 1, .. } | Carried::NoCoverage
            ),
            "{carried:?}"
        );
        assert!(calls <= 1);
    }
}
