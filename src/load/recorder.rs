//! Latency accounting for an open-loop load test (sans-IO): every request has an intended send
//! time on a fixed-rate schedule, and its latency counts from that time (corrected for
//! coordinated omission, as wrk2 does) as well as from when it was actually sent (the
//! uncorrected figure a closed-loop tool reports). A stalled server therefore shows up as
//! latency, not as a lower rate.

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency recorded, in microseconds (an hour); longer ones are clamped.
const MAX_MICROS: u64 = 3_600_000_000;
/// A request sent later than this after its intended time counts as "not sent on time". The
/// dispatcher wakes on tokio's millisecond timer, so up to a millisecond of lag is the
/// schedule's own granularity, not the generator falling behind.
pub const LATE_MICROS: u64 = 2_000;

/// The fixed-rate schedule: request `i` is due `i / rate` seconds after the start.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub rate: f64,
}

impl Schedule {
    /// Microseconds from the start at which request `i` is due.
    pub fn due(&self, i: u64) -> u64 {
        (i as f64 * 1e6 / self.rate).round() as u64
    }

    /// How many requests are due by `elapsed` microseconds.
    pub fn count_by(&self, elapsed: u64) -> u64 {
        (elapsed as f64 * self.rate / 1e6).floor() as u64 + 1
    }
}

/// Outcome of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The answer met the test's idea of success (HTTP 2xx and, for DUIS, I99/I0).
    Ok,
    /// An answer that is an error (HTTP status or DUIS code).
    Error,
    /// No answer: connection failure or timeout.
    Failed,
}

/// Histograms and counts of a load step.
pub struct Recorder {
    corrected: Histogram<u64>,
    uncorrected: Histogram<u64>,
    lag: Histogram<u64>,
    pub ok: u64,
    pub errors: u64,
    pub failed: u64,
    pub late: u64,
}

impl Default for Recorder {
    fn default() -> Recorder {
        let h = || Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds");
        Recorder {
            corrected: h(),
            uncorrected: h(),
            lag: h(),
            ok: 0,
            errors: 0,
            failed: 0,
            late: 0,
        }
    }
}

/// Quantiles of one histogram, in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Quantiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

/// A step's summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub target_rate: f64,
    pub achieved_rate: f64,
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub failed: u64,
    pub error_share: f64,
    /// Requests the generator sent more than 1 ms after their intended time.
    pub sent_late: u64,
    pub corrected: Quantiles,
    pub uncorrected: Quantiles,
    /// How late the generator sent requests (its own scheduling lag).
    pub scheduling_lag: Quantiles,
}

impl Recorder {
    /// Records a request due at `intended`, sent at `sent`, answered (or given up) at `done`,
    /// all in microseconds from the start.
    pub fn record(&mut self, intended: u64, sent: u64, done: u64, outcome: Outcome) {
        let clamp = |v: u64| v.clamp(1, MAX_MICROS);
        let _ = self.corrected.record(clamp(done.saturating_sub(intended)));
        let _ = self.uncorrected.record(clamp(done.saturating_sub(sent)));
        let lag = sent.saturating_sub(intended);
        let _ = self.lag.record(clamp(lag));
        if lag > LATE_MICROS {
            self.late += 1;
        }
        match outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Error => self.errors += 1,
            Outcome::Failed => self.failed += 1,
        }
    }

    /// Adds another recorder's requests (one per connection, merged at the end).
    pub fn merge(&mut self, other: &Recorder) {
        let _ = self.corrected.add(&other.corrected);
        let _ = self.uncorrected.add(&other.uncorrected);
        let _ = self.lag.add(&other.lag);
        self.ok += other.ok;
        self.errors += other.errors;
        self.failed += other.failed;
        self.late += other.late;
    }

    pub fn requests(&self) -> u64 {
        self.ok + self.errors + self.failed
    }

    pub fn summary(&self, target_rate: f64, seconds: f64) -> Summary {
        let q = |h: &Histogram<u64>| {
            let ms = |v: u64| v as f64 / 1000.0;
            Quantiles {
                p50: ms(h.value_at_quantile(0.5)),
                p90: ms(h.value_at_quantile(0.9)),
                p99: ms(h.value_at_quantile(0.99)),
                p999: ms(h.value_at_quantile(0.999)),
                max: ms(h.max()),
                mean: h.mean() / 1000.0,
            }
        };
        let n = self.requests();
        Summary {
            target_rate,
            achieved_rate: n as f64 / seconds.max(1e-9),
            requests: n,
            ok: self.ok,
            errors: self.errors,
            failed: self.failed,
            error_share: if n == 0 {
                0.0
            } else {
                (self.errors + self.failed) as f64 / n as f64
            },
            sent_late: self.late,
            corrected: q(&self.corrected),
            uncorrected: q(&self.uncorrected),
            scheduling_lag: q(&self.lag),
        }
    }

    /// The corrected histogram's value at each of `quantiles`, ms (for the percentile plot).
    pub fn distribution(&self, quantiles: &[f64]) -> Vec<(f64, f64)> {
        quantiles
            .iter()
            .map(|q| (*q, self.corrected.value_at_quantile(*q) as f64 / 1000.0))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that stalls: requests due during the stall wait for it to end. Counting from
    /// their intended times shows the stall; counting from when a closed-loop client could
    /// send them does not.
    #[test]
    fn a_stall_shows_in_corrected_latency_only() {
        let schedule = Schedule { rate: 1000.0 };
        let mut r = Recorder::default();
        let (stall_from, stall_to) = (1_000_000, 2_000_000);
        for i in 0..3000 {
            let intended = schedule.due(i);
            // Served in 1 ms, except that nothing is served during the stall.
            let (sent, done) = if (stall_from..stall_to).contains(&intended) {
                (stall_to, stall_to + 1_000)
            } else {
                (intended, intended + 1_000)
            };
            r.record(intended, sent, done, Outcome::Ok);
        }
        let s = r.summary(1000.0, 3.0);
        assert!(s.corrected.p99 > 900.0, "{:?}", s.corrected);
        assert!(s.uncorrected.p99 < 2.0, "{:?}", s.uncorrected);
        assert_eq!(s.sent_late, 998);
    }
}
