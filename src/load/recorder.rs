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
    /// An answer that is an error: its DUIS response code (`E19`) or HTTP status (`HTTP 503`).
    Error(ErrorCode),
    /// No answer: connection failure or timeout.
    Failed,
}

/// What an error answer said, in a few characters: a DUIS response code (`E19`, `E080201`) or
/// an HTTP status (`HTTP 503`). Longer text is cut.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ErrorCode {
    text: [u8; 12],
    len: u8,
}

impl ErrorCode {
    pub fn new(code: &str) -> ErrorCode {
        let mut text = [0; 12];
        // Cut at a character boundary.
        let mut len = code.len().min(text.len());
        while !code.is_char_boundary(len) {
            len -= 1;
        }
        text[..len].copy_from_slice(&code.as_bytes()[..len]);
        ErrorCode {
            text,
            len: len as u8,
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text[..usize::from(self.len)]).unwrap_or("?")
    }
}

impl std::fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Histograms and counts of a load step.
pub struct Recorder {
    corrected: Histogram<u64>,
    uncorrected: Histogram<u64>,
    lag: Histogram<u64>,
    pub ok: u64,
    pub errors: u64,
    /// The errors by what they said.
    pub error_codes: std::collections::BTreeMap<ErrorCode, u64>,
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
            error_codes: Default::default(),
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
    /// The errors by DUIS response code or HTTP status, most frequent first.
    pub errors_by_code: Vec<(String, u64)>,
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
            Outcome::Error(code) => {
                self.errors += 1;
                *self.error_codes.entry(code).or_insert(0) += 1;
            }
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
        for (code, n) in &other.error_codes {
            *self.error_codes.entry(*code).or_insert(0) += n;
        }
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
            errors_by_code: {
                let mut codes: Vec<(String, u64)> = self
                    .error_codes
                    .iter()
                    .map(|(c, n)| (c.as_str().to_string(), *n))
                    .collect();
                codes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                codes
            },
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

    /// Errors are counted by what they said, across connections, most frequent first.
    #[test]
    fn errors_are_counted_by_their_code() {
        let (mut a, mut b) = (Recorder::default(), Recorder::default());
        let e = |code| Outcome::Error(ErrorCode::new(code));
        a.record(0, 0, 10, e("E19"));
        a.record(0, 0, 10, e("E1"));
        b.record(0, 0, 10, e("E19"));
        b.record(0, 0, 10, e("HTTP 503"));
        b.record(0, 0, 10, Outcome::Ok);
        a.merge(&b);
        let s = a.summary(1.0, 1.0);
        assert_eq!(s.errors, 4);
        let codes: Vec<(&str, u64)> = s
            .errors_by_code
            .iter()
            .map(|(c, n)| (c.as_str(), *n))
            .collect();
        assert_eq!(codes, [("E19", 2), ("E1", 1), ("HTTP 503", 1)]);
        assert_eq!(ErrorCode::new("E0123456789ABCDEF").as_str(), "E0123456789A");
    }

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
