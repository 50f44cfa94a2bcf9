//! One direction of a cell: a single FIFO server of fixed bit rate.

use super::{MICROS_PER_HOUR, Micros};

/// A first-come first-served channel. Messages offered in non-decreasing time order leave at
/// `max(arrival, free_at) + service` (the Lindley recursion), which is exact for a FIFO single
/// server and needs no events of its own.
#[derive(Clone, Debug)]
pub struct Channel {
    /// Bits per second.
    rate_bps: f64,
    /// When the channel finishes the last message it accepted.
    free_at: Micros,
}

impl Channel {
    pub fn new(rate_bps: f64) -> Channel {
        Channel {
            rate_bps,
            free_at: 0,
        }
    }

    /// Time to put `bytes` on the channel.
    pub fn service_time(&self, bytes: u32) -> Micros {
        (f64::from(bytes) * 8.0 * 1e6 / self.rate_bps).ceil() as Micros
    }

    /// Offers a message arriving at `now` that takes `service` to send. Returns when it starts
    /// and when it has been sent.
    pub fn offer(&mut self, now: Micros, service: Micros) -> (Micros, Micros) {
        let start = now.max(self.free_at);
        self.free_at = start + service;
        (start, self.free_at)
    }
}

/// Busy time and bytes of a channel per hour of the simulated period.
#[derive(Clone, Debug, Default)]
pub struct HourlyLoad {
    pub busy: Vec<Micros>,
    pub bytes: Vec<u64>,
    /// Busy time past the last hour: traffic still queued when recording stops. An hour cannot
    /// be more than fully busy, so an overloaded channel's backlog is kept here, not piled
    /// into the last hour.
    pub beyond: Micros,
}

impl HourlyLoad {
    pub fn new(hours: usize) -> HourlyLoad {
        HourlyLoad {
            busy: vec![0; hours],
            bytes: vec![0; hours],
            beyond: 0,
        }
    }

    /// Records a transmission busy from `start` to `end`, split across hour boundaries.
    /// Bytes of a transmission starting past the last hour count in the last hour.
    pub fn record(&mut self, start: Micros, end: Micros, bytes: u32) {
        let hours = self.busy.len();
        let limit = hours as u64 * MICROS_PER_HOUR;
        let start_hour = ((start / MICROS_PER_HOUR) as usize).min(hours.saturating_sub(1));
        if let Some(b) = self.bytes.get_mut(start_hour) {
            *b += u64::from(bytes);
        }
        let mut t = start;
        while t < end.min(limit) {
            let hour = (t / MICROS_PER_HOUR) as usize;
            let until = end.min((hour as u64 + 1) * MICROS_PER_HOUR);
            self.busy[hour] += until - t;
            t = until;
        }
        self.beyond += end.saturating_sub(start.max(limit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::EventQueue;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Exp};

    #[test]
    fn lindley_queue_by_hand() {
        let mut ch = Channel::new(8_000.0); // 1 byte per ms
        assert_eq!(ch.service_time(100), 100_000);
        assert_eq!(ch.offer(0, 100_000), (0, 100_000));
        assert_eq!(ch.offer(50_000, 100_000), (100_000, 200_000));
        assert_eq!(ch.offer(500_000, 100_000), (500_000, 600_000));
    }

    #[test]
    fn hourly_load_splits_at_boundaries() {
        let mut load = HourlyLoad::new(2);
        load.record(MICROS_PER_HOUR - 10, MICROS_PER_HOUR + 5, 7);
        assert_eq!(load.busy, vec![10, 5]);
        assert_eq!(load.bytes, vec![7, 0]);
        // Past the last hour: kept as backlog, bytes in the last hour.
        load.record(2 * MICROS_PER_HOUR - 2, 2 * MICROS_PER_HOUR + 4, 1);
        assert_eq!(load.busy, vec![10, 7]);
        assert_eq!(load.beyond, 4);
        assert_eq!(load.bytes, vec![7, 1]);
    }

    /// Drives Poisson arrivals through the engine's event queue into a channel and returns the
    /// mean wait in the queue, in seconds.
    fn simulated_mean_wait(
        rho: f64,
        service: impl Fn(&mut ChaCha8Rng) -> Micros,
        mean_service_s: f64,
    ) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let lambda = rho / mean_service_s; // arrivals per second
        let gap = Exp::new(lambda).unwrap();
        let mut queue = EventQueue::new(10, 12);
        let mut channel = Channel::new(1.0);
        let customers = 2_000_000u64;
        let mut t = 0.0f64;
        for i in 0..customers {
            t += gap.sample(&mut rng);
            queue.push((t * 1e6) as Micros, i);
        }
        let (mut total_wait, mut n) = (0u128, 0u64);
        let warmup = customers / 20;
        while let Some((now, i)) = queue.pop() {
            let s = service(&mut rng);
            let (start, _) = channel.offer(now, s);
            if i >= warmup {
                total_wait += u128::from(start - now);
                n += 1;
            }
        }
        total_wait as f64 / n as f64 / 1e6
    }

    #[test]
    fn md1_mean_wait_matches_pollaczek_khinchine() {
        // M/D/1: Wq = ρ S / (2 (1 - ρ)).
        let (rho, s) = (0.7, 0.05);
        let expected = rho * s / (2.0 * (1.0 - rho));
        let got = simulated_mean_wait(rho, |_| 50_000, s);
        let err = (got - expected).abs() / expected;
        assert!(
            err < 0.02,
            "M/D/1 wait {got:.5} s vs {expected:.5} s ({:.2} %)",
            err * 100.0
        );
    }

    #[test]
    fn mm1_mean_wait_matches_pollaczek_khinchine() {
        // M/M/1: E[S²] = 2 S², so Wq = ρ S / (1 - ρ).
        let (rho, s) = (0.6, 0.05);
        let expected = rho * s / (1.0 - rho);
        let exp = Exp::new(1.0 / s).unwrap();
        let got = simulated_mean_wait(rho, |r| (exp.sample(r) * 1e6).round() as Micros, s);
        let err = (got - expected).abs() / expected;
        assert!(
            err < 0.02,
            "M/M/1 wait {got:.5} s vs {expected:.5} s ({:.2} %)",
            err * 100.0
        );
    }
}
