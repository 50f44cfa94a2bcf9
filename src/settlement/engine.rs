//! One settlement day through the data service, the load shaping service and volume allocation,
//! for each settlement run.
//!
//! Points are processed in chunks on every core. The load shapes of a run need the whole day's
//! actual data before any estimate can be made, so the day is read twice: once for the shapes,
//! once to validate, estimate and aggregate. A source regenerates or re-reads a chunk rather than
//! holding the day in memory, which keeps a 30-million-point day within a few hundred megabytes.
//! Chunk results are merged in chunk order, so the sums — and the report — do not depend on the
//! number of threads.

use std::collections::BTreeMap;
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
    /// The first point's index in the standing data.
    pub first: usize,
    pub len: usize,
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
    /// Clears the chunk for `len` points of `periods` periods starting at `first`.
    pub fn reset(&mut self, first: usize, len: usize, periods: usize, truth: bool) {
        self.first = first;
        self.len = len;
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
    /// Fills a chunk already [`Chunk::reset`] for points `chunk.first ..`.
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

/// What one chunk contributes in the second pass.
struct ChunkOut {
    runs: Vec<(Aggregation, SdsStats, Vec<PointDay>)>,
    truth: BTreeMap<(GspGroup, u16), Vec<f64>>,
}

/// Settles one day from a source.
pub fn settle_day(source: &dyn Source, opts: &Options) -> DayResult {
    let date = source.date();
    let periods = usize::from(date.periods());
    let standing = source.standing();
    let n = standing.len();
    let chunks = n.div_ceil(opts.chunk.max(1));
    let cutoffs: Vec<u32> = opts.runs.iter().map(|r| r.calendar_days(date)).collect();
    let truth = source.knows_truth();
    let llfs: BTreeMap<u16, Vec<f64>> = standing
        .points
        .iter()
        .map(|p| p.llfc)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|c| (c, losses::day_factors(c, date)))
        .collect();

    // Pass 1: load shapes from the actual data each run has.
    let mut sums: Vec<ShapeSums> = vec![ShapeSums::default(); opts.runs.len()];
    let load = |c: usize, chunk: &mut Chunk| {
        let first = c * opts.chunk;
        chunk.reset(first, opts.chunk.min(n - first), periods, truth);
        source.fill(chunk);
    };
    parallel_ordered(
        chunks,
        opts.threads,
        |c| {
            let mut chunk = Chunk::default();
            load(c, &mut chunk);
            let mut out = vec![ShapeSums::default(); cutoffs.len()];
            for i in 0..chunk.len {
                let point = &standing.points[chunk.first + i];
                for (r, &cutoff) in cutoffs.iter().enumerate() {
                    if chunk.hh_day[i] < cutoff {
                        let max = point.max_kwh_per_period();
                        out[r].add(point.category(), chunk.values(i), |v| {
                            v.is_finite() && v >= 0.0 && v <= max
                        });
                    }
                }
            }
            out
        },
        |out| {
            for (acc, s) in sums.iter_mut().zip(out) {
                acc.merge(s);
            }
        },
    );
    let shapes: Vec<LoadShapes> = sums.iter().map(|s| LoadShapes::build(date, s)).collect();

    // Pass 2: validate, estimate, aggregate.
    let mut aggregations: Vec<(Aggregation, SdsStats, Vec<PointDay>)> =
        (0..opts.runs.len()).map(|_| Default::default()).collect();
    let mut truth_sums: BTreeMap<(GspGroup, u16), Vec<f64>> = BTreeMap::new();
    parallel_ordered(
        chunks,
        opts.threads,
        |c| {
            let mut chunk = Chunk::default();
            load(c, &mut chunk);
            let mut out = ChunkOut {
                runs: (0..cutoffs.len()).map(|_| Default::default()).collect(),
                truth: BTreeMap::new(),
            };
            let mut values = vec![0.0; periods];
            let mut quality = vec![Quality::Actual; periods];
            let mut like = vec![f64::NAN; periods];
            for i in 0..chunk.len {
                let index = chunk.first + i;
                let point = &standing.points[index];
                let llf = &llfs[&point.llfc];
                if truth {
                    let acc = out
                        .truth
                        .entry((point.gsp, point.supplier))
                        .or_insert_with(|| vec![0.0; periods]);
                    vas::at_gsp(
                        point,
                        &chunk.truth[i * periods..(i + 1) * periods],
                        llf,
                        acc,
                    );
                }
                let mut like_arrival: Option<Option<i64>> = None;
                for (r, &cutoff) in cutoffs.iter().enumerate() {
                    let has_hh = chunk.hh_day[i] < cutoff;
                    let complete = has_hh && chunk.values(i).iter().all(|v| v.is_finite());
                    let like_day = if complete {
                        None
                    } else {
                        let arrived =
                            *like_arrival.get_or_insert_with(|| source.like_day(index, &mut like));
                        arrived
                            .filter(|&d| d < i64::from(cutoff))
                            .map(|_| &like[..])
                    };
                    let input = Input {
                        hh: has_hh.then(|| chunk.values(i)),
                        day_advance: (has_hh && chunk.day_advance[i].is_finite())
                            .then_some(chunk.day_advance[i]),
                        register_day: (chunk.register_arrival[i] < cutoff)
                            .then_some(chunk.register_day[i])
                            .filter(|v| v.is_finite()),
                        like_day,
                    };
                    let (agg, stats, kept) = &mut out.runs[r];
                    let shape = shapes[r].get(point.category());
                    sds::process(
                        point,
                        &input,
                        shape,
                        &mut values,
                        &mut quality,
                        &mut stats.exceptions,
                    );
                    agg.add(point, &values, &quality, llf);
                    stats.points += 1;
                    let mut all_estimated = true;
                    for (v, q) in values.iter().zip(&quality) {
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
                }
            }
            out
        },
        |out| {
            for ((agg, stats, kept), (a, s, k)) in aggregations.iter_mut().zip(out.runs) {
                agg.merge(a);
                stats.merge(&s);
                kept.extend(k);
            }
            for (key, v) in out.truth {
                let acc = truth_sums.entry(key).or_insert_with(|| vec![0.0; periods]);
                for (a, b) in acc.iter_mut().zip(&v) {
                    *a += b;
                }
            }
        },
    );

    let take = match source.take() {
        Some(take) => take,
        None if truth => {
            let mut take: BTreeMap<GspGroup, Vec<f64>> = BTreeMap::new();
            for ((gsp, _), v) in &truth_sums {
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
        .zip(aggregations)
        .map(|(((&run, cutoff_days), shapes), (agg, stats, points))| {
            let uncorrected = agg.sorted();
            let (corrected, corrections) =
                vas::correct(&uncorrected, &take, &opts.weights, periods);
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
        })
        .collect();
    DayResult {
        date,
        periods,
        points: n,
        take,
        truth: truth_sums,
        runs,
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
