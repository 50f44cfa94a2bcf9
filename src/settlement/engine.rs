//! One settlement day through the data service, the load shaping service and volume allocation,
//! for each settlement run.
//!
//! Points are processed in chunks on every core. The load shapes of a run need the whole day's
//! actual data before any estimate can be made, so the day is read twice: once for the shapes,
//! once to validate, estimate and aggregate. A source regenerates or re-reads a chunk rather than
//! holding the day in memory, which keeps a 30-million-point day within a few hundred megabytes.
//! Chunk results are merged in chunk order, so the sums — and the report — do not depend on the
//! number of threads.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use super::lss::{LoadShapes, ShapeSums};
use super::sds::{self, Exceptions, Input};
use super::vas::{self, AggKey, Aggregation, Correction};
use super::{Method, Quality, RunType, StandingData, Weights, losses};
use crate::model::{GspGroup, SettlementDate};

/// Data retrieved on no day at all.
pub const NEVER: u32 = u32::MAX;

/// What is known of a chunk of points for the settlement day.
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    pub periods: usize,
    /// The points' indices in the standing data.
    pub points: Vec<usize>,
    /// True values (kWh per period, points × periods) when the source knows them.
    pub truth: Vec<f64>,
    /// Retrieved half-hourly values (NaN: period missing), points × periods.
    pub hh: Vec<f64>,
    /// Days after the settlement day on which the half-hourly data arrived ([`NEVER`]).
    pub hh_day: Vec<u32>,
    /// The day's register advance read with the half-hourly data (NaN: none).
    pub day_advance: Vec<f64>,
    /// Register-only points: the day's share of the advance between two reads (NaN: none).
    pub register_day: Vec<f64>,
    /// Days after the settlement day on which the closing register read arrived ([`NEVER`]).
    pub register_arrival: Vec<u32>,
}

impl Chunk {
    /// Clears the chunk for `points` of `periods` periods.
    pub fn reset(&mut self, points: Vec<usize>, periods: usize, truth: bool) {
        let len = points.len();
        self.points = points;
        self.periods = periods;
        self.truth.clear();
        if truth {
            self.truth.resize(len * periods, 0.0);
        }
        self.hh.clear();
        self.hh.resize(len * periods, f64::NAN);
        for v in [&mut self.day_advance, &mut self.register_day] {
            v.clear();
            v.resize(len, f64::NAN);
        }
        for v in [&mut self.hh_day, &mut self.register_arrival] {
            v.clear();
            v.resize(len, NEVER);
        }
    }

    fn values(&self, i: usize) -> &[f64] {
        &self.hh[i * self.periods..(i + 1) * self.periods]
    }
}

/// Where a settlement day's data comes from.
pub trait Source: Sync {
    fn standing(&self) -> &StandingData;
    fn date(&self) -> SettlementDate;
    /// Whether chunks carry the true values (then the take and the error are computed from them).
    fn knows_truth(&self) -> bool;
    /// Fills a chunk already [`Chunk::reset`] for its points.
    fn fill(&self, chunk: &mut Chunk);
    /// The like day of a point (same weekday a week earlier) as retrieved, into `out`, and the
    /// day relative to the settlement day (negative: before it) on which it arrived.
    fn like_day(&self, point: usize, out: &mut [f64]) -> Option<i64>;
    /// The GSP group take, when the source gives it rather than the truth.
    fn take(&self) -> Option<BTreeMap<GspGroup, Vec<f64>>> {
        None
    }
}

/// How to settle a day.
#[derive(Clone, Debug)]
pub struct Options {
    pub runs: Vec<RunType>,
    pub weights: Weights,
    pub threads: usize,
    pub chunk: usize,
    /// Keep each point's processed values for IF-021 output (small runs only).
    pub keep_points: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            runs: RunType::ALL.to_vec(),
            weights: Weights::default(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            chunk: 16_384,
            keep_points: false,
        }
    }
}

/// Counts of what the data service did in a run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SdsStats {
    pub points: u64,
    pub actual_periods: u64,
    /// Estimated periods by method, in [`Method::ALL`] order.
    pub estimated_periods: [u64; 5],
    /// |kWh| settled on actual values, and in all.
    pub actual_kwh: f64,
    pub total_kwh: f64,
    /// Points whose whole day was estimated.
    pub estimated_days: u64,
    pub exceptions: Exceptions,
}

impl SdsStats {
    fn merge(&mut self, o: &SdsStats) {
        self.points += o.points;
        self.actual_periods += o.actual_periods;
        for (a, b) in self.estimated_periods.iter_mut().zip(&o.estimated_periods) {
            *a += b;
        }
        self.actual_kwh += o.actual_kwh;
        self.total_kwh += o.total_kwh;
        self.estimated_days += o.estimated_days;
        self.exceptions.merge(&o.exceptions);
    }
}

/// One point's processed day in one run.
#[derive(Clone, Debug)]
pub struct PointDay {
    pub point: usize,
    pub values: Vec<f64>,
    pub quality: Vec<Quality>,
}

/// One settlement run's results.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub run: RunType,
    /// Calendar days after the settlement day the run takes place.
    pub cutoff_days: u32,
    pub shapes: LoadShapes,
    pub uncorrected: BTreeMap<AggKey, Vec<f64>>,
    pub corrected: BTreeMap<AggKey, Vec<f64>>,
    pub corrections: Vec<Correction>,
    pub stats: SdsStats,
    /// Per point, when [`Options::keep_points`].
    pub points: Vec<PointDay>,
}

/// A settled day.
#[derive(Clone, Debug)]
pub struct DayResult {
    pub date: SettlementDate,
    pub periods: usize,
    pub points: usize,
    pub take: BTreeMap<GspGroup, Vec<f64>>,
    /// True loss-adjusted volume per (GSP group, supplier) and period, when the source knows it.
    pub truth: BTreeMap<(GspGroup, u16), Vec<f64>>,
    pub runs: Vec<RunResult>,
}

/// What one chunk contributes.
#[derive(Default)]
struct ChunkOut {
    sums: Vec<ShapeSums>,
    runs: Vec<(Aggregation, SdsStats, Vec<PointDay>)>,
    truth: BTreeMap<(GspGroup, u16), Vec<f64>>,
    /// Points that need estimates in some run (they wait for the day's load shapes), with the
    /// runs (bit mask) they are still to be settled in.
    deferred: Vec<(usize, u32)>,
}

/// Settles one day from a source.
///
/// A point whose retrieved day is complete and valid is settled as it is read. A point that
/// needs estimates waits until the load shapes of the whole day are known, and is then read
/// again: with daily collection that is a few per cent of the points, so the day is read about
/// once.
pub fn settle_day(source: &dyn Source, opts: &Options) -> DayResult {
    let date = source.date();
    let periods = usize::from(date.periods());
    let standing = source.standing();
    let n = standing.len();
    let size = opts.chunk.max(1);
    let cutoffs: Vec<u32> = opts.runs.iter().map(|r| r.calendar_days(date)).collect();
    let truth = source.knows_truth();
    let llfs: HashMap<u16, Vec<f64>> = standing
        .points
        .iter()
        .map(|p| p.llfc)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|c| (c, losses::day_factors(c, date)))
        .collect();
    let placeholder = LoadShapes::build(date, &ShapeSums::default());
    let settle = |chunk: &Chunk,
                  k: usize,
                  r: usize,
                  shapes: &LoadShapes,
                  out: &mut ChunkOut,
                  scratch: &mut Scratch| {
        let index = chunk.points[k];
        let point = &standing.points[index];
        let cutoff = cutoffs[r];
        let has_hh = chunk.hh_day[k] < cutoff;
        let complete = has_hh && chunk.values(k).iter().all(|v| v.is_finite());
        let like_day = if complete {
            None
        } else {
            let arrived = *scratch
                .like_arrival
                .get_or_insert_with(|| source.like_day(index, &mut scratch.like));
            arrived
                .filter(|&d| d < i64::from(cutoff))
                .map(|_| &scratch.like[..])
        };
        let input = Input {
            hh: has_hh.then(|| chunk.values(k)),
            day_advance: (has_hh && chunk.day_advance[k].is_finite())
                .then_some(chunk.day_advance[k]),
            register_day: (chunk.register_arrival[k] < cutoff)
                .then_some(chunk.register_day[k])
                .filter(|v| v.is_finite()),
            like_day,
        };
        let (agg, stats, kept) = &mut out.runs[r];
        let shape = shapes.get(point.category());
        let (values, quality) = (&mut scratch.values, &mut scratch.quality);
        sds::process(point, &input, shape, values, quality, &mut stats.exceptions);
        agg.add(point, values, quality, &llfs[&point.llfc]);
        stats.points += 1;
        let mut all_estimated = true;
        for (v, q) in values.iter().zip(quality.iter()) {
            stats.total_kwh += v.abs();
            match q {
                Quality::Actual => {
                    stats.actual_periods += 1;
                    stats.actual_kwh += v.abs();
                    all_estimated = false;
                }
                Quality::Estimated(m) => stats.estimated_periods[m.index()] += 1,
            }
        }
        stats.estimated_days += u64::from(all_estimated);
        if opts.keep_points {
            kept.push(PointDay {
                point: index,
                values: values.clone(),
                quality: quality.clone(),
            });
        }
    };
    let fresh = || ChunkOut {
        sums: vec![ShapeSums::default(); cutoffs.len()],
        runs: (0..cutoffs.len()).map(|_| Default::default()).collect(),
        ..ChunkOut::default()
    };

    // Pass 1: every point; shapes from the actual data; complete days settled at once.
    let mut total = fresh();
    parallel_ordered(
        n.div_ceil(size),
        opts.threads,
        |c| {
            let mut chunk = Chunk::default();
            chunk.reset(
                (c * size..((c + 1) * size).min(n)).collect(),
                periods,
                truth,
            );
            source.fill(&mut chunk);
            let mut out = fresh();
            let mut scratch = Scratch::new(periods);
            for k in 0..chunk.points.len() {
                let index = chunk.points[k];
                let point = &standing.points[index];
                if truth {
                    let acc = out
                        .truth
                        .entry((point.gsp, point.supplier))
                        .or_insert_with(|| vec![0.0; periods]);
                    vas::at_gsp(
                        point,
                        &chunk.truth[k * periods..(k + 1) * periods],
                        &llfs[&point.llfc],
                        acc,
                    );
                }
                let max = point.max_kwh_per_period();
                let valid = |v: f64| v.is_finite() && v >= 0.0 && v <= max;
                let all_valid = chunk.values(k).iter().all(|&v| valid(v));
                scratch.like_arrival = None;
                let mut waiting = 0u32;
                for (r, &cutoff) in cutoffs.iter().enumerate() {
                    let has_hh = chunk.hh_day[k] < cutoff;
                    if has_hh {
                        out.sums[r].add(point.category(), chunk.values(k), valid);
                    }
                    if has_hh && all_valid {
                        settle(&chunk, k, r, &placeholder, &mut out, &mut scratch);
                    } else {
                        waiting |= 1 << r;
                    }
                }
                if waiting != 0 {
                    out.deferred.push((index, waiting));
                }
            }
            out
        },
        |out| total.merge(out),
    );
    let shapes: Vec<LoadShapes> = total
        .sums
        .iter()
        .map(|s| LoadShapes::build(date, s))
        .collect();

    // Pass 2: the points that needed estimates, now that the shapes are known.
    let deferred = std::mem::take(&mut total.deferred);
    parallel_ordered(
        deferred.len().div_ceil(size),
        opts.threads,
        |c| {
            let part = &deferred[c * size..((c + 1) * size).min(deferred.len())];
            let mut chunk = Chunk::default();
            chunk.reset(part.iter().map(|(i, _)| *i).collect(), periods, truth);
            source.fill(&mut chunk);
            let mut out = fresh();
            let mut scratch = Scratch::new(periods);
            for (k, (_, waiting)) in part.iter().enumerate() {
                scratch.like_arrival = None;
                for (r, shapes) in shapes.iter().enumerate() {
                    if waiting & (1 << r) != 0 {
                        settle(&chunk, k, r, shapes, &mut out, &mut scratch);
                    }
                }
            }
            out
        },
        |out| total.merge(out),
    );

    let take = match source.take() {
        Some(take) => take,
        None if truth => {
            let mut take: BTreeMap<GspGroup, Vec<f64>> = BTreeMap::new();
            for ((gsp, _), v) in &total.truth {
                let acc = take.entry(*gsp).or_insert_with(|| vec![0.0; periods]);
                for (a, b) in acc.iter_mut().zip(v) {
                    *a += b;
                }
            }
            take
        }
        None => BTreeMap::new(),
    };
    let runs = opts
        .runs
        .iter()
        .zip(cutoffs)
        .zip(shapes)
        .zip(total.runs)
        .map(
            |(((&run, cutoff_days), shapes), (agg, stats, mut points))| {
                let uncorrected = agg.sorted();
                let (corrected, corrections) =
                    vas::correct(&uncorrected, &take, &opts.weights, periods);
                points.sort_by_key(|p| p.point);
                RunResult {
                    run,
                    cutoff_days,
                    shapes,
                    uncorrected,
                    corrected,
                    corrections,
                    stats,
                    points,
                }
            },
        )
        .collect();
    DayResult {
        date,
        periods,
        points: n,
        take,
        truth: total.truth,
        runs,
    }
}

/// Per-thread buffers for one point's day.
struct Scratch {
    values: Vec<f64>,
    quality: Vec<Quality>,
    like: Vec<f64>,
    like_arrival: Option<Option<i64>>,
}

impl Scratch {
    fn new(periods: usize) -> Scratch {
        Scratch {
            values: vec![0.0; periods],
            quality: vec![Quality::Actual; periods],
            like: vec![f64::NAN; periods],
            like_arrival: None,
        }
    }
}

impl ChunkOut {
    /// Adds a later chunk's results (chunks are merged in order).
    fn merge(&mut self, other: ChunkOut) {
        for (acc, s) in self.sums.iter_mut().zip(other.sums) {
            acc.merge(s);
        }
        for ((agg, stats, kept), (a, s, k)) in self.runs.iter_mut().zip(other.runs) {
            agg.merge(a);
            stats.merge(&s);
            kept.extend(k);
        }
        for (key, v) in other.truth {
            let acc = self.truth.entry(key).or_insert_with(|| vec![0.0; v.len()]);
            for (a, b) in acc.iter_mut().zip(&v) {
                *a += b;
            }
        }
        self.deferred.extend(other.deferred);
    }
}

/// Runs `work` on every index on `threads` threads, handing the results to `merge` in index order.
fn parallel_ordered<T: Send>(
    count: usize,
    threads: usize,
    work: impl Fn(usize) -> T + Sync,
    mut merge: impl FnMut(T),
) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<(usize, T)>(threads.max(1) * 2);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1).min(count.max(1)) {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    if tx.send((i, work(i))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        for (i, value) in rx {
            pending.insert(i, value);
            while let Some(v) = pending.remove(&want) {
                merge(v);
                want += 1;
            }
        }
    });
}

impl Method {
    /// The position of the method in [`SdsStats::estimated_periods`].
    pub fn position(self) -> usize {
        self.index()
    }
}
