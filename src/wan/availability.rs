//! Cell availability: random outages (alternating up and down periods drawn from the mean time
//! between failures and the mean time to repair) and planned maintenance windows.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp};

use super::Micros;

/// Random cell outages as an alternating renewal process with exponential up and down times.
#[derive(Clone, Debug, PartialEq)]
pub struct OutageModel {
    pub mtbf: Micros,
    pub mttr: Micros,
}

/// A daily planned maintenance window taking a share of cells off air.
#[derive(Clone, Debug, PartialEq)]
pub struct Maintenance {
    /// Start, microseconds after local midnight (already mapped to elapsed time for the day).
    pub start_clock_secs: i64,
    pub duration: Micros,
    /// Share of cells in the window, chosen by cell (the same cells every day).
    pub share: f64,
}

/// A period during which a cell carries no traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DownInterval {
    pub start: Micros,
    pub end: Micros,
    /// True for planned maintenance, false for a random outage.
    pub planned: bool,
}

/// The maintenance windows cell `cell_id` takes part in over `days` (each with the elapsed
/// time, in microseconds, its local midnight falls at; negative before the start), as
/// (elapsed start, duration), cut at zero. A fixed hash of cell and
/// window picks a window's `share` of cells, the same cells every day; the clock time maps
/// through the day's clock change.
pub fn maintenance_windows(
    maintenance: &[Maintenance],
    cell_id: u32,
    days: &[(crate::model::SettlementDate, i64)],
) -> Vec<(Micros, Micros)> {
    let mut out = Vec::new();
    for (i, m) in maintenance.iter().enumerate() {
        if unit_hash(u64::from(cell_id), i as u64) >= m.share {
            continue;
        }
        for &(day, midnight) in days {
            let start = midnight + day.elapsed_at_clock(m.start_clock_secs) * 1_000_000;
            let end = start.saturating_add(i64::try_from(m.duration).unwrap_or(i64::MAX));
            // A window under way at zero counts from there.
            if end > 0 {
                let from = start.max(0);
                out.push((from as Micros, (end - from) as Micros));
            }
        }
    }
    out
}

/// A number in [0, 1) fixed by its inputs (SplitMix64 finaliser).
fn unit_hash(a: u64, b: u64) -> f64 {
    let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The down intervals of one cell over `[0, horizon)`, sorted and non-overlapping.
///
/// `maintenance_starts` gives, for each day, the elapsed start of each window the cell takes
/// part in (the caller maps clock times through the day's clock changes); `rng` draws outages.
pub fn down_intervals<R: Rng + ?Sized>(
    outages: Option<&OutageModel>,
    maintenance: &[(Micros, Micros)],
    horizon: Micros,
    rng: &mut R,
) -> Vec<DownInterval> {
    let mut out: Vec<DownInterval> = maintenance
        .iter()
        .filter(|(s, _)| *s < horizon)
        .map(|&(start, duration)| DownInterval {
            start,
            end: (start + duration).min(horizon),
            planned: true,
        })
        .collect();
    if let Some(model) = outages {
        let up = Exp::new(1.0 / model.mtbf as f64).expect("mtbf is positive");
        let down = Exp::new(1.0 / model.mttr as f64).expect("mttr is positive");
        // Start in the stationary state: down with probability MTTR / (MTBF + MTTR).
        let p_down = model.mttr as f64 / (model.mtbf + model.mttr) as f64;
        let mut t = 0.0f64;
        let mut is_down = rng.random_bool(p_down.clamp(0.0, 1.0));
        while t < horizon as f64 {
            let len = if is_down {
                down.sample(rng)
            } else {
                up.sample(rng)
            };
            if is_down {
                out.push(DownInterval {
                    start: t as Micros,
                    end: ((t + len) as Micros).min(horizon),
                    planned: false,
                });
            }
            t += len;
            is_down = !is_down;
        }
    }
    out.sort();
    // Merge overlaps so that lookups see one interval at a time.
    let mut merged: Vec<DownInterval> = Vec::with_capacity(out.len());
    for iv in out {
        match merged.last_mut() {
            Some(last) if iv.start <= last.end => {
                last.end = last.end.max(iv.end);
                last.planned &= iv.planned;
            }
            _ => merged.push(iv),
        }
    }
    merged.retain(|iv| iv.end > iv.start);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn long_run_unavailability_matches_mttr_share() {
        let model = OutageModel {
            mtbf: 10 * 3_600_000_000,
            mttr: 3_600_000_000,
        };
        let horizon = 20_000 * 3_600_000_000u64;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let ivs = down_intervals(Some(&model), &[], horizon, &mut rng);
        let down: u64 = ivs.iter().map(|iv| iv.end - iv.start).sum();
        let share = down as f64 / horizon as f64;
        let expected = 1.0 / 11.0;
        assert!((share - expected).abs() < 0.01, "down share {share}");
    }

    #[test]
    fn maintenance_and_outages_merge() {
        let ivs = down_intervals(
            None,
            &[(10, 20), (25, 5)],
            100,
            &mut ChaCha8Rng::seed_from_u64(1),
        );
        assert_eq!(
            ivs,
            vec![DownInterval {
                start: 10,
                end: 30,
                planned: true
            }]
        );
    }
}
