//! Supply outages in the head-end's virtual fleet, as the distribution network has them: a fault
//! takes a cluster of neighbouring premises (one GSP group's) off supply for a while. While off,
//! a premises' comms hub cannot answer (commands to its devices time out: `E21`); when supply
//! comes back each electricity meter sends its supply-outage-restored alert — 8F36 for three
//! minutes or more, 8F35 for less (GBCS use case ECS80) — to its network operator, as the RTDS
//! 8F36 vector is addressed.
//!
//! Sans-IO and seeded: [`Outages::advance`] draws the faults up to a time and says which premises
//! got their supply back.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Geometric, LogNormal};

use super::registry::{DeviceType, Registry};
use crate::model::Eui64;

/// How often and for how long premises lose supply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutageModel {
    /// Interruptions per premises per year. GB distribution networks averaged 87.4 customer
    /// interruptions per 100 customers a year, 83.7 customer minutes lost (2001-02, UK
    /// Parliament Trade and Industry Committee, HC 89 2004-05, §74): the default.
    pub per_premises_per_year: f64,
    /// Median length of an outage; lengths are log-normal with [`OutageModel::sigma`]. The
    /// default (30 min, σ 1.5) has a mean of 92 min, near the 96 min per interruption of the
    /// figures above, and 6% of outages under three minutes (an assumed shape).
    pub median: Duration,
    pub sigma: f64,
    /// Mean premises one fault takes off supply (geometric; assumed: an LV feeder's worth).
    pub mean_premises: f64,
}

impl Default for OutageModel {
    fn default() -> OutageModel {
        OutageModel {
            per_premises_per_year: 0.874,
            median: Duration::minutes(30),
            sigma: 1.5,
            mean_premises: 20.0,
        }
    }
}

/// The premises with an electricity meter (whose supply can fail, and which alerts): their comms
/// hubs by GSP group then EUI-64 (so that a fault's cluster is neighbours), where each group's
/// run ends, and each hub's meters.
fn premises(registry: &Registry) -> (Vec<Eui64>, Vec<usize>, HashMap<Eui64, Vec<Eui64>>) {
    let mut by_group: BTreeMap<(String, Eui64), ()> = BTreeMap::new();
    let mut meters: HashMap<Eui64, Vec<Eui64>> = HashMap::new();
    for d in registry.devices() {
        if d.device_type == DeviceType::Esme {
            by_group.insert((d.gsp_group.to_string(), d.comms_hub), ());
            meters.entry(d.comms_hub).or_default().push(d.device);
        }
    }
    let mut hubs = Vec::with_capacity(by_group.len());
    let mut group_end = Vec::new();
    let mut last_group: Option<String> = None;
    for (group, hub) in by_group.into_keys() {
        if last_group.as_ref().is_some_and(|g| *g != group) {
            group_end.push(hubs.len());
        }
        last_group = Some(group);
        hubs.push(hub);
    }
    group_end.push(hubs.len());
    for list in meters.values_mut() {
        list.sort();
    }
    (hubs, group_end, meters)
}

/// A premises whose supply came back: its comms hub, its electricity meters and when the
/// supply went and came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub hub: Eui64,
    pub meters: Vec<Eui64>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The fleet's outages from a start time on.
pub struct Outages {
    model: OutageModel,
    rng: ChaCha8Rng,
    /// Comms hubs by GSP group then EUI-64, so that a fault's cluster is neighbours.
    hubs: Vec<Eui64>,
    /// Where each GSP group's run of `hubs` ends.
    group_end: Vec<usize>,
    /// Each hub's electricity meters.
    meters: HashMap<Eui64, Vec<Eui64>>,
    next_fault: Option<DateTime<Utc>>,
    /// Hubs off supply: since when, and when it comes back.
    off: HashMap<Eui64, (DateTime<Utc>, DateTime<Utc>)>,
    ends: BTreeSet<(DateTime<Utc>, Eui64)>,
    /// Premises gone off supply (or whose outage got longer) since the last
    /// [`Outages::take_changed`]: what the head-end saves, so a restart keeps them off.
    changed: Vec<Off>,
}

/// A premises off supply: its comms hub, since when, and when supply comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Off {
    /// The premises' comms hub.
    pub hub: Eui64,
    /// When the supply went.
    pub from: DateTime<Utc>,
    /// When it comes back.
    pub to: DateTime<Utc>,
}

impl Outages {
    /// The outages of `registry`'s premises from `start`, drawn with `seed`.
    pub fn new(model: OutageModel, registry: &Registry, start: DateTime<Utc>, seed: u64) -> Self {
        let (hubs, group_end, meters) = premises(registry);
        let mut outages = Outages {
            model,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x0074_A6E5),
            hubs,
            group_end,
            meters,
            next_fault: None,
            off: HashMap::new(),
            ends: BTreeSet::new(),
            changed: Vec::new(),
        };
        outages.next_fault = outages.draw_gap().map(|gap| start + gap);
        outages
    }

    /// Puts back a premises that was off supply when the head-end stopped (as saved from
    /// [`Outages::take_changed`]): it stays off until `to`, then comes back and alerts as drawn —
    /// at the first [`Outages::advance`] if `to` passed while the head-end was down.
    pub fn restore(&mut self, off: Off) {
        if let Some(&(_, old)) = self.off.get(&off.hub) {
            self.ends.remove(&(old, off.hub));
        }
        self.off.insert(off.hub, (off.from, off.to));
        self.ends.insert((off.to, off.hub));
    }

    /// The premises gone off supply, or kept off longer, since last asked.
    pub fn take_changed(&mut self) -> Vec<Off> {
        std::mem::take(&mut self.changed)
    }

    /// Takes up a new registry (a delta's new installations, removals) at `now`: faults fall
    /// on its premises from now on; premises off supply now still come back and alert as drawn.
    pub fn set_registry(&mut self, registry: &Registry, now: DateTime<Utc>) {
        let (hubs, group_end, meters) = premises(registry);
        self.hubs = hubs;
        self.group_end = group_end;
        // A premises off supply keeps its meters until it comes back.
        let mut meters = meters;
        for hub in self.off.keys() {
            if let Some(old) = self.meters.get(hub) {
                meters.entry(*hub).or_insert_with(|| old.clone());
            }
        }
        self.meters = meters;
        if self.next_fault.is_none() {
            self.next_fault = self.draw_gap().map(|gap| now + gap);
        }
    }

    /// Faults a day across the fleet.
    fn faults_per_day(&self) -> f64 {
        self.hubs.len() as f64 * self.model.per_premises_per_year
            / 365.25
            / self.model.mean_premises.max(1.0)
    }

    /// The time to the next fault (none if faults never happen).
    fn draw_gap(&mut self) -> Option<Duration> {
        let rate = self.faults_per_day();
        if !(rate.is_finite() && rate > 0.0) || self.hubs.is_empty() {
            return None;
        }
        let days = Exp::new(rate).ok()?.sample(&mut self.rng);
        Some(Duration::milliseconds(
            (days * 86_400_000.0).min(1e15) as i64
        ))
    }

    /// Whether `hub`'s premises is off supply at `at`.
    pub fn is_off(&self, hub: Eui64, at: DateTime<Utc>) -> bool {
        self.back_at(hub, at).is_some()
    }

    /// When `hub`'s premises, off supply at `at`, has it back; `None` if it is on supply.
    pub fn back_at(&self, hub: Eui64, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.off
            .get(&hub)
            .filter(|&&(from, to)| from <= at && at < to)
            .map(|&(_, to)| to)
    }

    /// When something next happens (a fault, or a supply back), if ever.
    pub fn next_event(&self) -> Option<DateTime<Utc>> {
        let end = self.ends.first().map(|(t, _)| *t);
        self.next_fault.into_iter().chain(end).min()
    }

    /// Draws the faults that begin by `now` and returns the premises whose supply is back by
    /// `now`, in time order.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Vec<Restored> {
        while let Some(at) = self.next_fault.filter(|&at| at <= now) {
            self.fault(at);
            self.next_fault = self.draw_gap().map(|gap| at + gap);
        }
        let mut restored = Vec::new();
        while let Some(&(to, hub)) = self.ends.first() {
            if to > now {
                break;
            }
            self.ends.pop_first();
            if let Some((from, _)) = self.off.remove(&hub) {
                restored.push(Restored {
                    hub,
                    meters: self.meters.get(&hub).cloned().unwrap_or_default(),
                    from,
                    to,
                });
            }
        }
        restored
    }

    /// A fault at `at`: a run of neighbouring premises in one GSP group off supply for a drawn
    /// length (a premises already off stays off until the later of its two ends).
    fn fault(&mut self, at: DateTime<Utc>) {
        use rand::RngExt;
        if self.hubs.is_empty() {
            return;
        }
        let first = self.rng.random_range(0..self.hubs.len());
        let group_end = self
            .group_end
            .iter()
            .copied()
            .find(|&end| end > first)
            .unwrap_or(self.hubs.len());
        let p = 1.0 / self.model.mean_premises.max(1.0);
        let extra = Geometric::new(p).map_or(0, |g| g.sample(&mut self.rng));
        let count = usize::try_from(extra.saturating_add(1)).unwrap_or(usize::MAX);
        let minutes = LogNormal::new(
            (self.model.median.num_milliseconds().max(1) as f64 / 60_000.0).ln(),
            self.model.sigma.max(0.0),
        )
        .map_or(30.0, |d| d.sample(&mut self.rng));
        let length = Duration::milliseconds((minutes * 60_000.0).clamp(1_000.0, 1e12) as i64);
        let to = at + length;
        for &hub in &self.hubs[first..group_end.min(first.saturating_add(count))] {
            let (from, end) = match self.off.get(&hub) {
                Some(&(from, end)) => (from, end.max(to)),
                None => (at, to),
            };
            if let Some(&(_, old)) = self.off.get(&hub) {
                self.ends.remove(&(old, hub));
            }
            self.off.insert(hub, (from, end));
            self.ends.insert((end, hub));
            self.changed.push(Off { hub, from, to: end });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fleet() -> Registry {
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        crate::gateway::defaults::full_fleet(2000, 3, now).0
    }

    /// Over a simulated year the fleet sees about the model's interruptions per premises, each
    /// premises' outage ends after it began, and the same seed gives the same outages.
    #[test]
    fn a_year_of_outages_matches_the_model() {
        let registry = fleet();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let run = || {
            let mut o = Outages::new(OutageModel::default(), &registry, start, 9);
            let mut all = Vec::new();
            let mut t = start;
            while t < start + Duration::days(365) {
                t += Duration::hours(1);
                all.extend(o.advance(t));
            }
            (o.hubs.len(), all)
        };
        let (premises, all) = run();
        assert_eq!(run().1, all, "seeded");
        let per_premises = all.len() as f64 / premises as f64;
        assert!((0.6..1.2).contains(&per_premises), "{per_premises}");
        assert!(all.iter().all(|r| r.from < r.to && !r.meters.is_empty()));
        let short = all
            .iter()
            .filter(|r| r.to - r.from < Duration::minutes(3))
            .count();
        assert!(
            short > 0 && short < all.len() / 4,
            "{short} of {}",
            all.len()
        );
    }

    /// The fleet with frequent outages from 2026-01-01, and when its first fault falls.
    fn first_fault() -> (Registry, Outages, DateTime<Utc>) {
        let registry = fleet();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let model = OutageModel {
            per_premises_per_year: 2000.0,
            ..OutageModel::default()
        };
        let o = Outages::new(model, &registry, start, 1);
        let first = o.next_event().unwrap();
        (registry, o, first)
    }

    /// A fault takes neighbours in one GSP group, and they are off (unreachable) until restored.
    #[test]
    fn a_fault_takes_neighbours_off_until_restored() {
        let (registry, mut o, first) = first_fault();
        assert!(o.advance(first).is_empty(), "nothing restored yet");
        let off: Vec<Eui64> = o.off.keys().copied().collect();
        assert!(!off.is_empty());
        assert!(off.iter().all(|h| o.is_off(*h, first)));
        let group = |hub: &Eui64| {
            registry
                .devices()
                .find(|d| d.comms_hub == *hub)
                .unwrap()
                .gsp_group
        };
        assert!(off.iter().all(|h| group(h) == group(&off[0])));
        let (_, back) = o.off[&off[0]];
        let restored = o.advance(back);
        assert!(restored.iter().any(|r| r.hub == off[0] && r.to == back));
        assert!(!o.is_off(off[0], back));
    }

    /// What went off supply is reported once, and a premises put back from it (as after a
    /// restart) comes back and alerts at its time, with its outage's start.
    #[test]
    fn a_premises_put_back_off_supply_comes_back_at_its_time() {
        let (registry, mut o, first) = first_fault();
        o.advance(first);
        let changed = o.take_changed();
        assert!(!changed.is_empty());
        assert!(o.take_changed().is_empty(), "reported once");
        let calm = OutageModel {
            per_premises_per_year: 0.0,
            ..OutageModel::default()
        };
        let mut after = Outages::new(calm, &registry, first, 2);
        for off in &changed {
            after.restore(*off);
        }
        let off = changed[0];
        assert!(after.is_off(off.hub, first));
        assert!(
            after
                .advance(off.to - Duration::seconds(1))
                .iter()
                .all(|r| r.hub != off.hub)
        );
        let back = after.advance(off.to);
        let r = back.iter().find(|r| r.hub == off.hub).expect("restored");
        assert_eq!((r.from, r.to), (off.from, off.to));
        assert!(!r.meters.is_empty() && !after.is_off(off.hub, off.to));
    }

    #[test]
    fn no_outages_when_the_rate_is_zero() {
        let model = OutageModel {
            per_premises_per_year: 0.0,
            ..OutageModel::default()
        };
        let o = Outages::new(model, &fleet(), Utc::now(), 1);
        assert_eq!(o.next_event(), None);
    }

    /// A new registry: faults fall on its premises (a new one included), a premises off supply
    /// still comes back and alerts, and an empty registry has no faults (and no panic).
    #[test]
    fn a_new_registry_is_taken_up_without_losing_an_outage() {
        let (registry, mut o, first) = first_fault();
        o.advance(first);
        let (&hub, &(_, back)) = o.off.iter().next().unwrap();
        // The new registry has none of the old premises but one new one.
        let mut other = Registry::default();
        let mut record = registry
            .devices()
            .find(|d| d.device_type == DeviceType::Esme)
            .unwrap()
            .clone();
        record.device = Eui64([0x11; 8]);
        record.comms_hub = Eui64([0x12; 8]);
        other.insert(record);
        o.set_registry(&other, first);
        assert_eq!(o.hubs, [Eui64([0x12; 8])]);
        let restored = o.advance(back);
        assert!(
            restored
                .iter()
                .any(|r| r.hub == hub && !r.meters.is_empty())
        );
        o.set_registry(&Registry::default(), back);
        assert!(
            o.advance(back + Duration::days(365))
                .iter()
                .all(|r| r.to <= back + Duration::days(365))
        );
    }
}
