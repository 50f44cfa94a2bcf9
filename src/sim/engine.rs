//! The discrete-event model of one shard: a set of cells of one region, their traffic sources,
//! channels and availability, driven from one seeded generator in virtual time.
//!
//! Each request costs two events: its attempt (downlink queue, loss, device processing) and its
//! answer entering the uplink queue. Channels are FIFO servers updated by the Lindley recursion,
//! so queueing needs no events of its own. Sources (collections, Poisson traffic) schedule one
//! arrival at a time, so the pending set holds only what is in flight.

use std::sync::atomic::{AtomicU64, Ordering};

use hdrhistogram::Histogram;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp1};

use super::EventQueue;
use super::scenario::{Collection, Every, RateTraffic, Spreading, Storm, StormShape, meters_for};
use crate::model::{MessageKind, ServiceClass, SettlementDate};
use crate::wan::{
    Channel, DownInterval, HourlyLoad, MICROS_PER_HOUR, MICROS_PER_SEC, Micros, Technology,
    down_intervals, maintenance_windows,
};

/// Bucket width of the event queue: 2^20 µs ≈ 1.05 s; the ring covers ≈ 71 minutes.
const QUEUE_SHIFT: u32 = 20;
const QUEUE_RING_BITS: u32 = 12;
/// Hours after the run's end during which channel load is still recorded: traffic issued on the
/// last day drains into them (queues, retries) rather than piling into the last hour.
const TAIL_HOURS: usize = 6;

/// Hours of channel load recorded for a run of `horizon`.
pub fn load_hours(horizon: Micros) -> usize {
    horizon.div_ceil(MICROS_PER_HOUR) as usize + TAIL_HOURS
}

/// Latency histograms cover 1 ms to 8 days at three significant figures.
const HIST_MAX_MS: u64 = 8 * 86_400_000;

/// One cell as the plan gives it.
#[derive(Clone, Copy, Debug)]
pub struct CellPlan {
    /// Cell number within its region, for stable per-cell choices.
    pub id: u32,
    pub hubs: u32,
    pub electricity: u32,
    pub gas: u32,
}

/// What a shard is asked to simulate.
pub struct ShardInput<'a> {
    pub cells: Vec<CellPlan>,
    pub technology: &'a Technology,
    pub no_coverage_share: f64,
    /// Traffic classes in report order; events refer to them by index.
    pub classes: &'a [&'static ServiceClass],
    pub scheduled: &'a [Collection],
    pub on_demand: &'a [RateTraffic],
    pub alerts: &'a [RateTraffic],
    pub storm: Option<&'a Storm>,
    /// Target response time per class index.
    pub targets: &'a [Micros],
    /// Multiplies every traffic volume (capacity-knee search); 1 for the plain run.
    pub traffic_scale: f64,
    /// The simulated days in order.
    pub days: &'a [SettlementDate],
    pub rng: ChaCha8Rng,
    /// Advanced with the virtual time simulated, for the progress bar.
    pub progress: Option<&'a AtomicU64>,
}

/// Counters of one service class.
#[derive(Clone)]
pub struct ClassStats {
    pub requests: u64,
    pub no_coverage: u64,
    pub completed: u64,
    pub within_target: u64,
    pub failed_outage: u64,
    pub failed_retries: u64,
    pub attempts: u64,
    /// Sum of response times of completed requests, µs (for the exact mean).
    pub latency_sum_us: u128,
    pub max_us: u64,
    /// Response times of completed requests, ms.
    pub latency_ms: Histogram<u64>,
}

impl ClassStats {
    /// Zero counters and an empty histogram.
    pub fn empty() -> ClassStats {
        ClassStats {
            requests: 0,
            no_coverage: 0,
            completed: 0,
            within_target: 0,
            failed_outage: 0,
            failed_retries: 0,
            attempts: 0,
            latency_sum_us: 0,
            max_us: 0,
            latency_ms: Histogram::new_with_bounds(1, HIST_MAX_MS, 3).expect("valid bounds"),
        }
    }

    pub fn merge(&mut self, other: &ClassStats) {
        self.requests += other.requests;
        self.no_coverage += other.no_coverage;
        self.completed += other.completed;
        self.within_target += other.within_target;
        self.failed_outage += other.failed_outage;
        self.failed_retries += other.failed_retries;
        self.attempts += other.attempts;
        self.latency_sum_us += other.latency_sum_us;
        self.max_us = self.max_us.max(other.max_us);
        self.latency_ms.add(&other.latency_ms).expect("same bounds");
    }
}

/// Per-hour channel load of a shard's cells, summed and maximised over cells.
#[derive(Clone, Debug, Default)]
pub struct LoadSummary {
    pub up_busy_sum: Vec<u64>,
    pub up_busy_max: Vec<u64>,
    pub down_busy_sum: Vec<u64>,
    pub down_busy_max: Vec<u64>,
    pub up_bytes: Vec<u64>,
    pub down_bytes: Vec<u64>,
    /// The largest backlog any one cell still had queued when recording stopped.
    pub up_backlog_max: Micros,
    pub down_backlog_max: Micros,
}

impl LoadSummary {
    pub fn zeroed(hours: usize) -> LoadSummary {
        LoadSummary {
            up_busy_sum: vec![0; hours],
            up_busy_max: vec![0; hours],
            down_busy_sum: vec![0; hours],
            down_busy_max: vec![0; hours],
            up_bytes: vec![0; hours],
            down_bytes: vec![0; hours],
            up_backlog_max: 0,
            down_backlog_max: 0,
        }
    }

    fn add_cell(&mut self, up: &HourlyLoad, down: &HourlyLoad) {
        self.up_backlog_max = self.up_backlog_max.max(up.beyond);
        self.down_backlog_max = self.down_backlog_max.max(down.beyond);
        for h in 0..self.up_busy_sum.len() {
            self.up_busy_sum[h] += up.busy[h];
            self.up_busy_max[h] = self.up_busy_max[h].max(up.busy[h]);
            self.down_busy_sum[h] += down.busy[h];
            self.down_busy_max[h] = self.down_busy_max[h].max(down.busy[h]);
            self.up_bytes[h] += up.bytes[h];
            self.down_bytes[h] += down.bytes[h];
        }
    }

    pub fn merge(&mut self, other: &LoadSummary) {
        self.up_backlog_max = self.up_backlog_max.max(other.up_backlog_max);
        self.down_backlog_max = self.down_backlog_max.max(other.down_backlog_max);
        for h in 0..self.up_busy_sum.len() {
            self.up_busy_sum[h] += other.up_busy_sum[h];
            self.up_busy_max[h] = self.up_busy_max[h].max(other.up_busy_max[h]);
            self.down_busy_sum[h] += other.down_busy_sum[h];
            self.down_busy_max[h] = self.down_busy_max[h].max(other.down_busy_max[h]);
            self.up_bytes[h] += other.up_bytes[h];
            self.down_bytes[h] += other.down_bytes[h];
        }
    }
}

/// What a shard returns.
pub struct ShardResult {
    pub classes: Vec<ClassStats>,
    pub load: LoadSummary,
    pub events: u64,
    /// Cell-microseconds spent down, and how many down periods began.
    pub down_cell_micros: u64,
    pub outages: u64,
}

/// A request in flight.
#[derive(Clone, Copy, Debug)]
struct Req {
    /// When the request was first issued (response times count from here).
    start: Micros,
    /// When the current attempt was sent.
    sent: Micros,
    cell: u32,
    class: u8,
    attempt: u8,
    /// The sender has already timed this attempt out; its answer only occupies the channel.
    stale: bool,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    /// A traffic source produces its next request.
    Generate(u32),
    /// An attempt of a request leaves the sender.
    Attempt(Req),
    /// A device's answer (or alert) reaches the cell's uplink.
    Uplink(Req),
    /// A cell comes back after being down.
    Restored { cell: u32, planned: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    Outage,
    Retries,
}

/// A traffic source of one cell.
enum Source {
    Collection {
        cell: u32,
        index: u16,
        class: u8,
        /// Position within the current window.
        next: u32,
        count: u32,
        window_start: Micros,
        window_end: Micros,
        last: Micros,
        /// Windows of the whole run, consumed in order.
        window_no: u32,
    },
    Rate {
        cell: u32,
        class: u8,
        /// Requests per µs in each hour of the run.
        per_hour: Vec<f64>,
    },
}

struct Cell {
    plan: CellPlan,
    down: Vec<DownInterval>,
    up: Channel,
    downlink: Channel,
    up_load: HourlyLoad,
    down_load: HourlyLoad,
}

impl Cell {
    fn is_down(&self, t: Micros) -> bool {
        // Few intervals per cell: a linear scan beats anything cleverer.
        self.down.iter().any(|iv| iv.start <= t && t < iv.end)
    }
}

/// A scheduled window, in elapsed time from the start of the run.
#[derive(Clone, Copy)]
struct Window {
    start: Micros,
    end: Micros,
    /// Meters due in this window.
    due: u32,
}

struct Shard<'a> {
    input: ShardInput<'a>,
    queue: EventQueue<Event>,
    cells: Vec<Cell>,
    sources: Vec<Source>,
    /// Per collection, per cell: the windows of the run.
    windows: Vec<Vec<Vec<Window>>>,
    stats: Vec<ClassStats>,
    horizon: Micros,
    day_starts: Vec<Micros>,
    /// Per class: how long the sender waits for an answer, counted from sending an attempt —
    /// the technology's timeout plus the time to transmit the command and the answer on idle
    /// channels, so a large transfer is not timed out while it is still being sent.
    patience: Vec<Micros>,
    rng: ChaCha8Rng,
    events: u64,
}

/// Runs one shard to completion.
pub fn run_shard(input: ShardInput<'_>) -> ShardResult {
    let mut shard = Shard::new(input);
    shard.run();
    shard.finish()
}

impl<'a> Shard<'a> {
    fn new(mut input: ShardInput<'a>) -> Shard<'a> {
        let mut rng = input.rng.clone();
        let mut day_starts = Vec::with_capacity(input.days.len());
        let mut t: Micros = 0;
        for day in input.days {
            day_starts.push(t);
            t += day.length_secs() as Micros * MICROS_PER_SEC;
        }
        let horizon = t;
        let hours = load_hours(horizon);
        let tech = input.technology;
        let cells: Vec<Cell> = std::mem::take(&mut input.cells)
            .into_iter()
            .map(|plan| {
                let days: Vec<(SettlementDate, i64)> = input
                    .days
                    .iter()
                    .zip(&day_starts)
                    .map(|(d, s)| (*d, *s as i64))
                    .collect();
                let windows = maintenance_windows(&tech.maintenance, plan.id, &days);
                let down = down_intervals(tech.outages.as_ref(), &windows, horizon, &mut rng);
                Cell {
                    plan,
                    down,
                    up: Channel::new(tech.uplink_bps),
                    downlink: Channel::new(tech.downlink_bps),
                    up_load: HourlyLoad::new(hours),
                    down_load: HourlyLoad::new(hours),
                }
            })
            .collect();
        let stats = input.classes.iter().map(|_| ClassStats::empty()).collect();
        let patience = input
            .classes
            .iter()
            .map(|c| {
                let up = Channel::new(tech.uplink_bps)
                    .service_time(c.uplink_bytes() + tech.overhead_bytes);
                let down = match c.kind {
                    MessageKind::Alert => 0,
                    MessageKind::RequestResponse => Channel::new(tech.downlink_bps)
                        .service_time(c.downlink_bytes() + tech.overhead_bytes),
                };
                tech.retry.timeout + up + down
            })
            .collect();
        let mut shard = Shard {
            queue: EventQueue::new(QUEUE_SHIFT, QUEUE_RING_BITS),
            cells,
            sources: Vec::new(),
            windows: Vec::new(),
            stats,
            horizon,
            day_starts,
            patience,
            rng,
            events: 0,
            input,
        };
        shard.plan_sources();
        shard
    }

    fn class_index(&self, class: &ServiceClass) -> u8 {
        self.input
            .classes
            .iter()
            .position(|c| c.id == class.id)
            .expect("every traffic class is in the class table") as u8
    }

    /// Creates every source and schedules its first arrival; schedules cell restorations.
    fn plan_sources(&mut self) {
        let scale = self.input.traffic_scale;
        for (ci, cell) in self.cells.iter().enumerate() {
            for iv in &cell.down {
                if iv.end < self.horizon {
                    self.queue.push(
                        iv.end,
                        Event::Restored {
                            cell: ci as u32,
                            planned: iv.planned,
                        },
                    );
                }
            }
        }
        let scheduled = self.input.scheduled;
        for (index, collection) in scheduled.iter().enumerate() {
            let class = self.class_index(collection.class);
            let mut per_cell = Vec::with_capacity(self.cells.len());
            for ci in 0..self.cells.len() {
                let plan = self.cells[ci].plan;
                let meters = meters_for(collection.class.fuel, plan.electricity, plan.gas);
                let covered = (f64::from(meters) * collection.share * scale).round() as u32;
                let windows = collection_windows(
                    collection,
                    covered,
                    plan.id,
                    self.input.days,
                    &self.day_starts,
                );
                per_cell.push(windows);
                let source = Source::Collection {
                    cell: ci as u32,
                    index: index as u16,
                    class,
                    next: 0,
                    count: 0,
                    window_start: 0,
                    window_end: 0,
                    last: 0,
                    window_no: 0,
                };
                self.sources.push(source);
            }
            // `windows` is indexed by collection, then cell.
            self.windows.push(per_cell);
        }
        // Every source so far is a collection: open its first window with meters due.
        for id in 0..self.sources.len() as u32 {
            self.open_next_window(id);
        }
        let hours = self.horizon.div_ceil(MICROS_PER_HOUR) as usize;
        let rate_sources: Vec<&RateTraffic> = self
            .input
            .on_demand
            .iter()
            .chain(self.input.alerts)
            .collect();
        for traffic in rate_sources {
            let class = self.class_index(traffic.class);
            for ci in 0..self.cells.len() {
                let plan = self.cells[ci].plan;
                let meters = meters_for(traffic.class.fuel, plan.electricity, plan.gas);
                let per_day = f64::from(meters) * traffic.per_meter_per_day * scale;
                if per_day <= 0.0 {
                    continue;
                }
                let per_hour = (0..hours)
                    .map(|h| per_day * traffic.hourly[h % 24] / MICROS_PER_HOUR as f64)
                    .collect();
                let id = self.sources.len() as u32;
                self.sources.push(Source::Rate {
                    cell: ci as u32,
                    class,
                    per_hour,
                });
                self.schedule_next_arrival(id, 0);
            }
        }
    }

    fn run(&mut self) {
        let mut reported: Micros = 0;
        while let Some((now, event)) = self.queue.pop() {
            self.events += 1;
            match event {
                Event::Generate(id) => self.generate(now, id),
                Event::Attempt(req) => self.attempt(now, req),
                Event::Uplink(req) => self.uplink(now, req),
                Event::Restored { cell, planned } => self.restored(now, cell, planned),
            }
            if self.events & 0xFFFF == 0
                && let Some(progress) = self.input.progress
            {
                let t = now.min(self.horizon);
                if t > reported {
                    progress.fetch_add(t - reported, Ordering::Relaxed);
                    reported = t;
                }
            }
        }
        if let Some(progress) = self.input.progress {
            progress.fetch_add(self.horizon.saturating_sub(reported), Ordering::Relaxed);
        }
    }

    fn finish(self) -> ShardResult {
        let mut load = LoadSummary::zeroed(load_hours(self.horizon));
        let (mut down_cell_micros, mut outages) = (0, 0);
        for cell in &self.cells {
            load.add_cell(&cell.up_load, &cell.down_load);
            for iv in &cell.down {
                down_cell_micros += iv.end - iv.start;
                outages += 1;
            }
        }
        ShardResult {
            classes: self.stats,
            load,
            events: self.events,
            down_cell_micros,
            outages,
        }
    }

    // ---- sources -------------------------------------------------------------------------

    fn generate(&mut self, now: Micros, id: u32) {
        let (cell, class) = match &self.sources[id as usize] {
            Source::Collection { cell, class, .. } | Source::Rate { cell, class, .. } => {
                (*cell, *class)
            }
        };
        self.issue(now, cell, class);
        match self.sources[id as usize] {
            Source::Collection { .. } => self.next_in_window(id),
            Source::Rate { .. } => self.schedule_next_arrival(id, now),
        }
    }

    /// A new request enters the network, unless its meter has no WAN coverage.
    fn issue(&mut self, now: Micros, cell: u32, class: u8) {
        let stats = &mut self.stats[usize::from(class)];
        stats.requests += 1;
        if self.input.no_coverage_share > 0.0 && self.rng.random_bool(self.input.no_coverage_share)
        {
            stats.no_coverage += 1;
            return;
        }
        let req = Req {
            start: now,
            sent: now,
            cell,
            class,
            attempt: 1,
            stale: false,
        };
        self.attempt(now, req);
    }

    /// Next arrival of a Poisson source whose rate is constant within each hour: the
    /// unit-exponential draw is spent across hours at their rates (exact inversion).
    fn schedule_next_arrival(&mut self, id: u32, now: Micros) {
        let Source::Rate { per_hour, .. } = &self.sources[id as usize] else {
            return;
        };
        let mut budget: f64 = Exp1.sample(&mut self.rng);
        let mut t = now;
        while t < self.horizon {
            let hour = (t / MICROS_PER_HOUR) as usize;
            let boundary = ((hour as u64 + 1) * MICROS_PER_HOUR).min(self.horizon);
            let rate = per_hour[hour.min(per_hour.len() - 1)];
            let span = (boundary - t) as f64;
            if rate > 0.0 && budget <= rate * span {
                let at = t + (budget / rate).ceil() as Micros;
                if at < self.horizon {
                    self.queue.push(at, Event::Generate(id));
                }
                return;
            }
            budget -= rate * span;
            t = boundary;
        }
    }

    /// Moves a collection source to its next non-empty window and schedules its first meter.
    fn open_next_window(&mut self, id: u32) {
        let Source::Collection {
            cell,
            index,
            window_no,
            ..
        } = self.sources[id as usize]
        else {
            return;
        };
        let windows = &self.windows[usize::from(index)][cell as usize];
        let mut no = window_no as usize;
        while no < windows.len() && windows[no].due == 0 {
            no += 1;
        }
        let Some(&w) = windows.get(no) else {
            return;
        };
        if let Source::Collection {
            next,
            count,
            window_start,
            window_end,
            last,
            window_no,
            ..
        } = &mut self.sources[id as usize]
        {
            *next = 0;
            *count = w.due;
            *window_start = w.start;
            *window_end = w.end;
            *last = w.start;
            *window_no = no as u32 + 1;
        }
        self.next_in_window(id);
    }

    /// Schedules the next meter of the current window, or opens the next window.
    fn next_in_window(&mut self, id: u32) {
        let spreading = match &self.sources[id as usize] {
            Source::Collection { index, .. } => self.input.scheduled[usize::from(*index)].spreading,
            Source::Rate { .. } => return,
        };
        let u: f64 = self.rng.random();
        let Source::Collection {
            next,
            count,
            window_start,
            window_end,
            last,
            ..
        } = &mut self.sources[id as usize]
        else {
            return;
        };
        if *next >= *count {
            self.open_next_window(id);
            return;
        }
        let width = window_end.saturating_sub(*window_start);
        let at = match spreading {
            Spreading::AtOnce => *window_start,
            Spreading::Even => *window_start + width * u64::from(*next) / u64::from(*count),
            Spreading::Random => {
                // The next order statistic of the remaining uniform draws.
                let remaining = f64::from(*count - *next);
                let gap = 1.0 - u.powf(1.0 / remaining);
                *last + ((*window_end - *last) as f64 * gap) as Micros
            }
        };
        *last = at;
        *next += 1;
        self.queue.push(at, Event::Generate(id));
    }

    // ---- the network -----------------------------------------------------------------------

    fn attempt(&mut self, now: Micros, req: Req) {
        let tech = self.input.technology;
        let class = self.input.classes[usize::from(req.class)];
        self.stats[usize::from(req.class)].attempts += 1;
        let cell = &mut self.cells[req.cell as usize];
        let deadline = now + self.patience[usize::from(req.class)];
        if cell.is_down(now) {
            self.retry_or_fail(req, deadline, Failure::Outage);
            return;
        }
        if class.kind == MessageKind::Alert {
            self.uplink(now, Req { sent: now, ..req });
            return;
        }
        let bytes = class.downlink_bytes() + tech.overhead_bytes;
        let service = cell.downlink.service_time(bytes);
        let (start, end) = cell.downlink.offer(now, service);
        cell.down_load.record(start, end, bytes);
        let sent = Req { sent: now, ..req };
        if tech.loss > 0.0 && self.rng.random_bool(tech.loss) {
            self.retry_or_fail(sent, now + tech.retry.timeout, Failure::Retries);
            return;
        }
        let ready =
            end + tech.latency.sample(&mut self.rng) + tech.processing.sample(&mut self.rng);
        let deadline = now + tech.retry.timeout;
        if ready > deadline {
            // The sender gives up before the device even answers; the answer still goes up.
            self.retry_or_fail(sent, deadline, Failure::Retries);
            self.queue.push(
                ready,
                Event::Uplink(Req {
                    stale: true,
                    ..sent
                }),
            );
        } else {
            self.queue.push(ready, Event::Uplink(sent));
        }
    }

    fn uplink(&mut self, now: Micros, req: Req) {
        let tech = self.input.technology;
        let class = self.input.classes[usize::from(req.class)];
        let deadline = req.sent + self.patience[usize::from(req.class)];
        let cell = &mut self.cells[req.cell as usize];
        if cell.is_down(now) {
            if !req.stale {
                self.retry_or_fail(req, deadline.max(now), Failure::Outage);
            }
            return;
        }
        let bytes = class.uplink_bytes() + tech.overhead_bytes;
        let service = cell.up.service_time(bytes);
        let (start, end) = cell.up.offer(now, service);
        cell.up_load.record(start, end, bytes);
        if req.stale {
            return;
        }
        if tech.loss > 0.0 && self.rng.random_bool(tech.loss) {
            self.retry_or_fail(req, deadline, Failure::Retries);
            return;
        }
        let arrival = end + tech.latency.sample(&mut self.rng);
        if arrival > deadline {
            self.retry_or_fail(req, deadline, Failure::Retries);
            return;
        }
        let latency = arrival - req.start;
        let target = self.input.targets[usize::from(req.class)];
        let stats = &mut self.stats[usize::from(req.class)];
        stats.completed += 1;
        stats.within_target += u64::from(latency <= target);
        stats.latency_sum_us += u128::from(latency);
        stats.max_us = stats.max_us.max(latency);
        let ms = (latency / 1000).clamp(1, HIST_MAX_MS);
        stats.latency_ms.record(ms).expect("clamped into range");
    }

    /// The sender concluded at `gave_up` that the attempt failed: retry after the backoff, or
    /// record the failure once attempts run out.
    fn retry_or_fail(&mut self, req: Req, gave_up: Micros, cause: Failure) {
        let policy = &self.input.technology.retry;
        if req.attempt < policy.attempts {
            let wait = policy.backoff_after(req.attempt, &mut self.rng);
            let next = Req {
                attempt: req.attempt + 1,
                stale: false,
                ..req
            };
            self.queue.push(gave_up + wait, Event::Attempt(next));
        } else {
            let stats = &mut self.stats[usize::from(req.class)];
            match cause {
                Failure::Outage => stats.failed_outage += 1,
                Failure::Retries => stats.failed_retries += 1,
            }
        }
    }

    /// A cell is back: its hubs reattach and send the storm's messages.
    fn restored(&mut self, now: Micros, cell: u32, planned: bool) {
        let Some(storm) = self.input.storm else {
            return;
        };
        if planned && !storm.after_maintenance {
            return;
        }
        let class = self.class_index(storm.class);
        let hubs = f64::from(self.cells[cell as usize].plan.hubs);
        let messages = (hubs * storm.messages_per_hub * self.input.traffic_scale).round() as u64;
        let beta = Beta::new(3.0, 4.0).expect("valid shape");
        for _ in 0..messages {
            let x: f64 = match storm.shape {
                StormShape::Beta34 => beta.sample(&mut self.rng),
                StormShape::Uniform => self.rng.random(),
            };
            let at = now + (storm.window as f64 * x) as Micros;
            let stats = &mut self.stats[usize::from(class)];
            stats.requests += 1;
            let req = Req {
                start: at,
                sent: at,
                cell,
                class,
                attempt: 1,
                stale: false,
            };
            self.queue.push(at, Event::Attempt(req));
        }
    }
}

/// The windows of a collection for one cell over the run.
fn collection_windows(
    c: &Collection,
    covered: u32,
    cell_id: u32,
    days: &[SettlementDate],
    day_starts: &[Micros],
) -> Vec<Window> {
    let mut out = Vec::new();
    for (d, day) in days.iter().enumerate() {
        let day_start = day_starts[d];
        let day_len = day.length_secs() as Micros * MICROS_PER_SEC;
        let cycle_days: u64 = match c.every {
            Every::Weekly => 7,
            Every::Monthly => u64::from(days_in_month(*day)),
            _ => 1,
        };
        // Spread the covered meters over the cycle's days: each meter once per cycle.
        let k = (day_index(*day) + u64::from(cell_id)) % cycle_days;
        let due_today = (u64::from(covered) * (k + 1) / cycle_days
            - u64::from(covered) * k / cycle_days) as u32;
        match c.every {
            Every::HalfHourly | Every::Hourly => {
                let period = if c.every == Every::HalfHourly {
                    1800
                } else {
                    3600
                } * MICROS_PER_SEC;
                let offset = c.start_clock_secs as Micros * MICROS_PER_SEC;
                let mut t = day_start + offset;
                while t < day_start + day_len {
                    out.push(Window {
                        start: t,
                        end: t + c.window,
                        due: due_today,
                    });
                    t += period;
                }
            }
            Every::Daily | Every::Weekly | Every::Monthly => {
                let start =
                    day_start + day.elapsed_at_clock(c.start_clock_secs) as Micros * MICROS_PER_SEC;
                out.push(Window {
                    start,
                    end: start + c.window,
                    due: due_today,
                });
            }
        }
    }
    out
}

fn day_index(day: SettlementDate) -> u64 {
    use chrono::Datelike;
    day.date().num_days_from_ce().max(0) as u64
}

fn days_in_month(day: SettlementDate) -> u32 {
    use chrono::Datelike;
    let d = day.date();
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    let first_next = chrono::NaiveDate::from_ymd_opt(y, m, 1).expect("valid month");
    (first_next - chrono::Duration::days(1)).day()
}

/// Mixes a run seed with a stream's coordinates into an independent seed.
pub fn stream_seed(seed: u64, parts: &[u64]) -> u64 {
    parts.iter().fold(seed ^ 0x5DEE_CE66_D1CE_4E5B, |acc, &p| {
        let mut z = acc.wrapping_add(p).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}
