//! WAN technology profiles: latency, capacity, loss and the retry policy.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp, LogNormal, StandardNormal};

use super::Micros;
use crate::wan::OutageModel;

/// Which kind of network a profile describes; used for labels and grouping in reports.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TechnologyKind {
    LongRangeRadio,
    #[serde(rename = "cellular_2g3g")]
    Cellular2g3g,
    Mesh,
    #[serde(rename = "cellular_4g")]
    Cellular4g,
}

impl TechnologyKind {
    pub fn label(self) -> &'static str {
        match self {
            TechnologyKind::LongRangeRadio => "long-range radio",
            TechnologyKind::Cellular2g3g => "2G/3G cellular",
            TechnologyKind::Mesh => "mesh",
            TechnologyKind::Cellular4g => "4G cellular",
        }
    }
}

/// A one-way latency distribution (propagation, scheduling and radio access, not queueing).
#[derive(Clone, Debug, PartialEq)]
pub enum Latency {
    Fixed(Micros),
    Uniform {
        min: Micros,
        max: Micros,
    },
    /// Shifted exponential: `min` plus an exponential with mean `mean - min`.
    Exponential {
        min: Micros,
        mean: Micros,
    },
    /// Log-normal given by its median and 99th percentile.
    LogNormal {
        median: Micros,
        p99: Micros,
    },
}

/// The standard normal's 99th percentile.
const Z99: f64 = 2.326_347_874_040_841;

impl Latency {
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Micros {
        match *self {
            Latency::Fixed(t) => t,
            Latency::Uniform { min, max } => rng.random_range(min..=max),
            Latency::Exponential { min, mean } => {
                let extra = mean.saturating_sub(min) as f64;
                if extra == 0.0 {
                    return min;
                }
                let e: f64 = Exp::new(1.0).expect("rate 1 is valid").sample(rng);
                min + (e * extra).round() as Micros
            }
            Latency::LogNormal { median, p99 } => {
                let mu = (median as f64).ln();
                let sigma = ((p99 as f64) / (median as f64)).ln() / Z99;
                match LogNormal::new(mu, sigma) {
                    Ok(d) => d.sample(rng).round() as Micros,
                    Err(_) => {
                        let z: f64 = StandardNormal.sample(rng);
                        (mu + sigma * z).exp().round() as Micros
                    }
                }
            }
        }
    }

    /// The distribution's mean, for reports and closed-form checks.
    pub fn mean(&self) -> f64 {
        match *self {
            Latency::Fixed(t) => t as f64,
            Latency::Uniform { min, max } => (min + max) as f64 / 2.0,
            Latency::Exponential { min, mean } => mean.max(min) as f64,
            Latency::LogNormal { median, p99 } => {
                let sigma = ((p99 as f64) / (median as f64)).ln() / Z99;
                median as f64 * (sigma * sigma / 2.0).exp()
            }
        }
    }
}

/// What the sender does when an attempt gets no answer.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// How long the sender waits for the answer to one attempt.
    pub timeout: Micros,
    /// Attempts in all, the first included (at least 1).
    pub attempts: u8,
    /// Wait after a timeout before the second attempt.
    pub backoff: Micros,
    /// Each further backoff is the previous times this factor.
    pub backoff_factor: f64,
    /// Upper bound on one backoff.
    pub max_backoff: Micros,
    /// Each backoff is scaled by a uniform factor in `[1 - jitter, 1 + jitter]`.
    pub jitter: f64,
}

impl RetryPolicy {
    /// The wait after attempt `attempt` (1-based) timed out.
    pub fn backoff_after<R: Rng + ?Sized>(&self, attempt: u8, rng: &mut R) -> Micros {
        let exp = i32::from(attempt.saturating_sub(1));
        let base =
            (self.backoff as f64 * self.backoff_factor.powi(exp)).min(self.max_backoff as f64);
        let scale = if self.jitter > 0.0 {
            1.0 + self.jitter * rng.random_range(-1.0..=1.0)
        } else {
            1.0
        };
        (base * scale).round().max(0.0) as Micros
    }
}

/// A validated WAN technology profile.
#[derive(Clone, Debug)]
pub struct Technology {
    pub name: String,
    pub kind: TechnologyKind,
    /// Per-cell uplink (meter to head-end) capacity, bits per second.
    pub uplink_bps: f64,
    /// Per-cell downlink capacity, bits per second.
    pub downlink_bps: f64,
    /// Bytes every message carries on top of its payload (transport and link headers).
    pub overhead_bytes: u32,
    pub latency: Latency,
    /// Time the comms hub and meter take between receiving a command and sending its response.
    pub processing: Latency,
    /// Probability that one transmission in one direction is lost.
    pub loss: f64,
    pub retry: RetryPolicy,
    pub outages: Option<OutageModel>,
    pub maintenance: Vec<super::Maintenance>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn lognormal_hits_its_median_and_p99() {
        let lat = Latency::LogNormal {
            median: 1_000_000,
            p99: 8_000_000,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut xs: Vec<Micros> = (0..200_000).map(|_| lat.sample(&mut rng)).collect();
        xs.sort();
        let median = xs[xs.len() / 2] as f64;
        let p99 = xs[xs.len() * 99 / 100] as f64;
        assert!((median / 1e6 - 1.0).abs() < 0.02, "median {median}");
        assert!((p99 / 8e6 - 1.0).abs() < 0.04, "p99 {p99}");
        let mean = xs.iter().sum::<u64>() as f64 / xs.len() as f64;
        assert!((mean / lat.mean() - 1.0).abs() < 0.02, "mean {mean}");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            timeout: 30_000_000,
            attempts: 5,
            backoff: 1_000_000,
            backoff_factor: 2.0,
            max_backoff: 3_000_000,
            jitter: 0.0,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let waits: Vec<_> = (1..=4).map(|a| policy.backoff_after(a, &mut rng)).collect();
        assert_eq!(waits, vec![1_000_000, 2_000_000, 3_000_000, 3_000_000]);
    }
}
