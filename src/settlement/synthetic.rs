//! A synthetic fleet whose truth is known: standing data generated with the fleet, each point's
//! true consumption from the seeded consumption model, and retrieval — when each point's data
//! reached the data service — drawn from the WAN's measured success rate. Because the truth is
//! known, the take of every GSP group and the error of every supplier's settled volume can be
//! computed, which no real settlement system can do.
//!
//! Retrieval is modelled per point and calendar day: a point read half-hourly is asked daily for
//! its profile since the last successful read, and each day's request succeeds with the WAN's
//! probability, so a day's data arrives with the first successful request after it. A point read
//! by register every N days has one read per cycle, retried daily within the cycle. A point
//! without WAN coverage is never read. Advanced points come by their own line (the Advanced data
//! service) and unmetered supplies from their inventory, the next day.

use std::collections::BTreeMap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::engine::{Chunk, Source};
use super::losses::default_llfc;
use super::standing::base_bm_unit;
use super::{Connection, Direction, Segment, Standing, StandingData};
use crate::device::consumption::{Consumer, CustomerType, DayFactors};
use crate::model::{CspRegion, GspGroup, Mpan, SettlementDate};

/// Suppliers of the synthetic market with their shares of premises (fictional MPIDs).
pub const SUPPLIERS: [(&str, f64); 6] = [
    ("ALPH", 0.30),
    ("BRVO", 0.22),
    ("CHRL", 0.18),
    ("DELT", 0.14),
    ("ECHO", 0.10),
    ("FOXT", 0.06),
];

/// How a point's data is collected.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReadMode {
    /// A read of the half-hourly profile since the last read (4.8.1) with the register
    /// advance, every so many days (1: the MHHS daily collection), retried daily on failure.
    HalfHourly { every_days: u32 },
    /// A register read every so many days (e.g. monthly collection, 4.1.1).
    Register { every_days: u32 },
    /// Not collected: settled on estimates alone.
    None,
}

/// The collection of a CSP region's smart meters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retrieval {
    pub mode: ReadMode,
    /// Chance that one day's request is answered (the simulated completion share).
    pub success: f64,
    /// Share of points without WAN coverage, never read.
    pub no_coverage: f64,
}

impl Retrieval {
    pub const PERFECT: Retrieval = Retrieval {
        mode: ReadMode::HalfHourly { every_days: 1 },
        success: 1.0,
        no_coverage: 0.0,
    };
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct FleetSpec {
    pub premises: usize,
    pub seed: u64,
    pub date: SettlementDate,
    /// Regions and how each is read; premises are spread over the regions' GSP groups evenly.
    pub regions: BTreeMap<CspRegion, Retrieval>,
    /// Chance that a retrieved day has a gap of 1–4 periods in its profile.
    pub gap_share: f64,
    /// Chance that a retrieved day has one corrupt value (negative or beyond capacity).
    pub spike_share: f64,
    /// Share of premises that are unmetered supplies (street lighting).
    pub unmetered_share: f64,
}

impl FleetSpec {
    /// A fleet over all of GB with the same retrieval everywhere.
    pub fn national(premises: usize, seed: u64, date: SettlementDate, r: Retrieval) -> FleetSpec {
        FleetSpec {
            premises,
            seed,
            date,
            regions: CspRegion::ALL.into_iter().map(|c| (c, r)).collect(),
            gap_share: 0.02,
            spike_share: 0.002,
            unmetered_share: 0.01,
        }
    }
}

/// The generated fleet.
pub struct SyntheticFleet {
    spec: FleetSpec,
    standing: StandingData,
    consumers: Vec<Consumer>,
    retrieval: Vec<Retrieval>,
    /// Day factors by day number (days since 2000-01-01) around the settlement day.
    factors: BTreeMap<i64, (SettlementDate, DayFactors)>,
}

const STREAM_COVER: u64 = 1;
const STREAM_READ: u64 = 2;
const STREAM_GAP: u64 = 3;
const STREAM_SPIKE: u64 = 4;
const STREAM_CYCLE: u64 = 5;
/// Unix time of 2000-01-01, the origin of the consumption model's periods.
const EPOCH_2000: i64 = 946_684_800;
/// Days searched for a successful read.
const MAX_WAIT: i64 = 400;

impl SyntheticFleet {
    pub fn generate(spec: FleetSpec) -> SyntheticFleet {
        let groups: Vec<(GspGroup, Retrieval)> = GspGroup::ALL
            .into_iter()
            .filter_map(|g| spec.regions.get(&g.csp_region()).map(|r| (g, *r)))
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x005E_771E);
        let mut standing = StandingData::new();
        for (mpid, _) in SUPPLIERS {
            standing.supplier(mpid);
        }
        let mut points = Vec::with_capacity(spec.premises + spec.premises / 12);
        let mut consumers = Vec::with_capacity(points.capacity());
        let mut retrieval = Vec::with_capacity(points.capacity());
        let mut serial: u64 = 0;
        for _ in 0..spec.premises {
            if groups.is_empty() {
                break;
            }
            let (gsp, read) = groups[rng.random_range(0..groups.len())];
            let roll: f64 = rng.random();
            let mut cumulative = 0.0;
            let supplier = SUPPLIERS
                .iter()
                .position(|(_, share)| {
                    cumulative += share;
                    roll < cumulative
                })
                .unwrap_or(SUPPLIERS.len() - 1) as u16;
            let bm_unit = standing.bm_unit(&base_bm_unit(gsp, SUPPLIERS[usize::from(supplier)].0));
            let unmetered = rng.random_bool(spec.unmetered_share);
            let mut consumer = Consumer::generate(&mut rng);
            if unmetered {
                consumer.kind = CustomerType::StreetLighting;
                consumer.solar_peak_w = 0;
            }
            let domestic = matches!(
                consumer.kind,
                CustomerType::Domestic | CustomerType::DomesticEconomy7
            );
            let ct =
                consumer.kind == CustomerType::SmallBusiness && consumer.annual_wh > 40_000_000;
            let segment = match (unmetered, ct) {
                (true, _) => Segment::Unmetered,
                (_, true) => Segment::Advanced,
                _ => Segment::Smart,
            };
            let connection = if ct {
                Connection::CurrentTransformer
            } else {
                Connection::WholeCurrent
            };
            // The supplier's annual consumption is the true expectation, known to within 15 %.
            let eac_error = 1.0 + 0.15 * (rng.random::<f64>() * 2.0 - 1.0);
            let annual_kwh = (f64::from(consumer.annual_wh) / 1000.0 * eac_error) as f32;
            // A 100 A single-phase supply for a home, three-phase for a business, more for a
            // CT site, and always at least eight times the mean demand.
            let base_kw: f32 = match (segment, domestic) {
                (Segment::Unmetered, _) => 5.0,
                (Segment::Advanced, _) => 200.0,
                (_, true) => 23.0,
                _ => 69.0,
            };
            let capacity_kw = base_kw.max(consumer.annual_wh as f32 / 1000.0 / 8760.0 * 8.0);
            let mut push = |direction: Direction, annual_kwh: f32, capacity_kw: f32| {
                let prefix = u64::from(gsp.distributor_id()) * 10_000_000_000 + serial;
                serial += 1;
                points.push(Standing {
                    mpan: Mpan::from_prefix(prefix).expect("twelve digits"),
                    gsp,
                    segment,
                    connection,
                    domestic,
                    direction,
                    energised: true,
                    llfc: default_llfc(direction, domestic, ct, unmetered),
                    supplier,
                    bm_unit,
                    capacity_kw,
                    annual_kwh,
                });
                consumers.push(consumer);
                retrieval.push(read);
            };
            push(Direction::Import, annual_kwh, capacity_kw);
            if consumer.solar_peak_w > 0 {
                // About 850 kWh a year per kWp, half of it used on site.
                let peak_kw = f32::from(consumer.solar_peak_w) / 1000.0;
                push(Direction::Export, peak_kw * 425.0, peak_kw * 1.1);
            }
        }
        standing.extend_unique(points);
        let mut factors = BTreeMap::new();
        let register_every = groups
            .iter()
            .filter_map(|(_, r)| match r.mode {
                ReadMode::Register { every_days } => Some(i64::from(every_days)),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let day = day_number(spec.date);
        let reach = 3 * register_every + 7;
        for d in day - reach..=day + reach {
            let date = date_of(d);
            let (first, count) = span(date);
            factors.insert(d, (date, DayFactors::new(first, count)));
        }
        SyntheticFleet {
            spec,
            standing,
            consumers,
            retrieval,
            factors,
        }
    }

    pub fn spec(&self) -> &FleetSpec {
        &self.spec
    }

    /// The true kWh of point `i` on day `d` (day number), into `out`.
    fn truth(&self, i: usize, d: i64, out: &mut [f64]) {
        let (_, factors) = &self.factors[&d];
        let n = factors.len();
        let mut import = [0u32; 50];
        let mut export = [0u32; 50];
        self.consumers[i].day_wh(factors, &mut import[..n], &mut export[..n]);
        let wh = match self.standing.points[i].direction {
            Direction::Import => &import[..n],
            Direction::Export => &export[..n],
        };
        for (o, &w) in out.iter_mut().zip(wh) {
            *o = f64::from(w) / 1000.0;
        }
    }

    /// Day number (after the day `d`) on which day `d`'s data arrived, or None.
    fn arrival(&self, i: usize, d: i64) -> Option<i64> {
        let p = &self.standing.points[i];
        let mpan = p.mpan.as_u64();
        let seed = self.spec.seed;
        match p.segment {
            Segment::Unmetered => return Some(d + 1),
            Segment::Advanced => {
                return (d + 1..d + MAX_WAIT).find(|&x| unit(seed, mpan, x, STREAM_READ) < 0.99);
            }
            Segment::Smart => {}
        }
        let r = &self.retrieval[i];
        if unit(seed, mpan, 0, STREAM_COVER) < r.no_coverage {
            return None;
        }
        match r.mode {
            ReadMode::HalfHourly { every_days } => {
                // The first scheduled read after the day, then daily retries.
                let every = i64::from(every_days.max(1));
                let offset = (unit(seed, mpan, 0, STREAM_CYCLE) * every as f64) as i64;
                let first = d + 1 + (offset - (d + 1)).rem_euclid(every);
                (first..first + MAX_WAIT).find(|&x| unit(seed, mpan, x, STREAM_READ) < r.success)
            }
            _ => None,
        }
    }

    /// The day's values as retrieved: the truth with the meter's own faults.
    fn retrieved(&self, i: usize, d: i64, out: &mut [f64]) {
        self.truth(i, d, out);
        self.add_faults(i, d, out);
    }

    /// A retrieved day's gaps and corrupt values.
    fn add_faults(&self, i: usize, d: i64, out: &mut [f64]) {
        let p = &self.standing.points[i];
        if p.segment == Segment::Unmetered {
            return;
        }
        let (mpan, seed, n) = (p.mpan.as_u64(), self.spec.seed, out.len());
        let g = unit(seed, mpan, d, STREAM_GAP);
        if g < self.spec.gap_share {
            let u = g / self.spec.gap_share;
            let len = 1 + (u * 4.0) as usize;
            let start = (unit(seed, mpan, d, STREAM_GAP + 16) * (n - len) as f64) as usize;
            out[start..start + len].fill(f64::NAN);
        }
        let s = unit(seed, mpan, d, STREAM_SPIKE);
        if s < self.spec.spike_share {
            let at = (unit(seed, mpan, d, STREAM_SPIKE + 16) * n as f64) as usize;
            out[at] = if s < self.spec.spike_share / 2.0 {
                -out[at] - 0.1
            } else {
                p.max_kwh_per_period() * 10.0
            };
        }
    }

    /// The completion day of the register read of the cycle starting on day `c`.
    fn read_of_cycle(&self, i: usize, c: i64, every: i64, success: f64) -> Option<i64> {
        let mpan = self.standing.points[i].mpan.as_u64();
        (c..c + every).find(|&x| unit(self.spec.seed, mpan, x, STREAM_READ) < success)
    }

    /// For a register point: the day's share of the advance between the reads either side of
    /// day `d`, and the day the closing read arrived (relative to `d`).
    fn register(&self, i: usize, d: i64, every: u32, success: f64) -> Option<(f64, u32)> {
        let every = i64::from(every.max(1));
        let mpan = self.standing.points[i].mpan.as_u64();
        let offset = (unit(self.spec.seed, mpan, 0, STREAM_CYCLE) * every as f64) as i64;
        let c0 = d - (d - offset).rem_euclid(every);
        let reads: Vec<i64> = (-2..=2)
            .filter_map(|k| self.read_of_cycle(i, c0 + k * every, every, success))
            .collect();
        let prev = reads.iter().rev().find(|&&x| x <= d)?;
        let next = reads.iter().find(|&&x| x > d)?;
        let mut total = 0.0;
        let mut day = [0.0f64; 50];
        for x in *prev..*next {
            let n = self.factors.get(&x)?.1.len();
            self.truth(i, x, &mut day[..n]);
            total += day[..n].iter().sum::<f64>();
        }
        Some((total / (next - prev) as f64, (next - d) as u32))
    }
}

impl Source for SyntheticFleet {
    fn standing(&self) -> &StandingData {
        &self.standing
    }

    fn date(&self) -> SettlementDate {
        self.spec.date
    }

    fn knows_truth(&self) -> bool {
        true
    }

    fn fill(&self, chunk: &mut Chunk) {
        let d = day_number(self.spec.date);
        let n = chunk.periods;
        for k in 0..chunk.points.len() {
            let i = chunk.points[k];
            let truth = &mut chunk.truth[k * n..(k + 1) * n];
            self.truth(i, d, truth);
            let p = &self.standing.points[i];
            let r = self.retrieval[i];
            if let (Segment::Smart, ReadMode::Register { every_days }) = (p.segment, r.mode) {
                let covered =
                    unit(self.spec.seed, p.mpan.as_u64(), 0, STREAM_COVER) >= r.no_coverage;
                if let Some((day, arrival)) = covered
                    .then(|| self.register(i, d, every_days, r.success))
                    .flatten()
                {
                    chunk.register_day[k] = day;
                    chunk.register_arrival[k] = arrival;
                }
                continue;
            }
            if let Some(at) = self.arrival(i, d) {
                chunk.hh_day[k] = (at - d) as u32;
                chunk.day_advance[k] = truth.iter().sum();
                let hh = &mut chunk.hh[k * n..(k + 1) * n];
                hh.copy_from_slice(truth);
                self.add_faults(i, d, hh);
            }
        }
    }

    fn like_day(&self, point: usize, out: &mut [f64]) -> Option<i64> {
        let d = day_number(self.spec.date) - 7;
        let (_, factors) = self.factors.get(&d)?;
        if factors.len() != out.len() {
            // A clock-change week: the like day has a different number of periods.
            return None;
        }
        let at = self.arrival(point, d)?;
        self.retrieved(point, d, out);
        Some(at - (d + 7))
    }
}

impl StandingData {
    /// Appends points whose MPANs are known to be new (generated ones), without indexing them:
    /// [`StandingData::position`] does not find them.
    pub fn extend_unique(&mut self, points: Vec<Standing>) {
        self.points.extend(points);
    }
}

fn day_number(date: SettlementDate) -> i64 {
    (date.date() - chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date")).num_days()
}

fn date_of(day: i64) -> SettlementDate {
    SettlementDate::new(
        chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date") + chrono::Duration::days(day),
    )
}

/// The consumption model's first period and count for a local settlement day.
fn span(date: SettlementDate) -> (u32, u32) {
    let first = (date.start_unix() - EPOCH_2000) / 1800;
    (first as u32, u32::from(date.periods()))
}

/// A uniform number in [0, 1) from the seed, point, day and stream (SplitMix64 finaliser).
fn unit(seed: u64, mpan: u64, day: i64, stream: u64) -> f64 {
    let mut z = seed
        ^ mpan.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (day as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)
        ^ stream.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}
