//! The Smart Data Service's processing: validation of one metering point's retrieved day and
//! estimation of whatever failed, every period flagged actual or estimated with its method.
//!
//! Validation (per period): a value must be present, not negative, and no more than the point's
//! capacity for half an hour. Per day: the period count is checked where data is read (46/48/50),
//! a day of zeros on an energised import point is reported (and accepted: a vacant premises is
//! possible), and the half-hourly total is compared with the day's register advance when one was
//! read (±1 kWh or ±1 %).
//!
//! Estimation, first that applies: a gap of at most two periods between actual values is
//! interpolated; otherwise the like day (same weekday a week earlier, actual data); a register
//! point's day is its share of the register advance shaped by the load shape; the last resort is
//! annual consumption ÷ 365 shaped by the load shape. Where a register advance for the day is
//! known, the estimates are scaled so the day adds up to it.

use serde::{Deserialize, Serialize};

use super::lss::{Shape, ShapeSource};
use super::{Direction, Method, Quality, Standing};

/// A gap this long or shorter, with actual values either side, is interpolated.
pub const MAX_INTERPOLATED: usize = 2;

/// What the data service holds for one point's day at the time of a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Input<'a> {
    /// The half-hourly values retrieved (kWh; NaN where a period is missing), if any were.
    pub hh: Option<&'a [f64]>,
    /// The day's register advance read with the half-hourly data (check V6), kWh.
    pub day_advance: Option<f64>,
    /// For a point read by register only: the day's share of the advance between two reads, kWh.
    pub register_day: Option<f64>,
    /// The same weekday a week earlier, as retrieved (NaN where missing), if it was by then.
    pub like_day: Option<&'a [f64]>,
}

/// Counts of what validation found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Exceptions {
    /// Periods with no value in a retrieved day.
    pub missing_periods: u64,
    pub negative: u64,
    pub over_capacity: u64,
    /// Energised import days with nothing but zeros.
    pub zero_days: u64,
    /// Actual days whose total disagrees with the register advance.
    pub register_mismatch: u64,
    /// Days shaped with a national or flat shape because the category's sample was thin.
    pub fallback_shape: u64,
}

impl Exceptions {
    pub fn merge(&mut self, o: &Exceptions) {
        self.missing_periods += o.missing_periods;
        self.negative += o.negative;
        self.over_capacity += o.over_capacity;
        self.zero_days += o.zero_days;
        self.register_mismatch += o.register_mismatch;
        self.fallback_shape += o.fallback_shape;
    }
}

/// Validates and estimates one point's day into `out` and `quality` (one entry per period).
pub fn process(
    point: &Standing,
    input: &Input,
    shape: &Shape,
    out: &mut [f64],
    quality: &mut [Quality],
    ex: &mut Exceptions,
) {
    let n = out.len();
    let max = point.max_kwh_per_period();
    let valid = |v: f64| v.is_finite() && v >= 0.0 && v <= max;
    let mut shaped = false;
    if let Some(hh) = input.hh {
        for i in 0..n {
            let v = hh[i];
            if valid(v) {
                out[i] = v;
                quality[i] = Quality::Actual;
                continue;
            }
            if v.is_nan() {
                ex.missing_periods += 1;
            } else if v < 0.0 {
                ex.negative += 1;
            } else {
                ex.over_capacity += 1;
            }
            quality[i] = Quality::Estimated(Method::AnnualShaped);
        }
        let all_actual = quality.iter().all(|q| q.is_actual());
        if all_actual
            && point.energised
            && point.direction == Direction::Import
            && out.iter().all(|&v| v == 0.0)
        {
            ex.zero_days += 1;
        }
        if !all_actual {
            shaped |= fill_gaps(point, input, shape, out, quality, valid);
        }
        if let Some(advance) = input.day_advance {
            if all_actual {
                let total: f64 = out.iter().sum();
                if (total - advance).abs() > (0.01 * advance).max(1.0) {
                    ex.register_mismatch += 1;
                }
            } else {
                fit_to_advance(advance, out, quality);
            }
        }
    } else if let Some(day) = input.register_day {
        for i in 0..n {
            out[i] = day * shape.fraction[i];
            quality[i] = Quality::Estimated(Method::RegisterShaped);
        }
        shaped = true;
    } else if !point.energised {
        out.fill(0.0);
        quality.fill(Quality::Estimated(Method::Deenergised));
    } else {
        quality.fill(Quality::Estimated(Method::AnnualShaped));
        shaped |= fill_gaps(point, input, shape, out, quality, valid);
    }
    if shaped && shape.source != ShapeSource::Category {
        ex.fallback_shape += 1;
    }
}

/// Estimates every period not flagged actual; true when a load shape was used.
fn fill_gaps(
    point: &Standing,
    input: &Input,
    shape: &Shape,
    out: &mut [f64],
    quality: &mut [Quality],
    valid: impl Fn(f64) -> bool,
) -> bool {
    let n = out.len();
    let day_energy = f64::from(point.annual_kwh) / 365.0 * n as f64 / 48.0;
    let mut shaped = false;
    let mut i = 0;
    while i < n {
        if quality[i].is_actual() {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && !quality[i].is_actual() {
            i += 1;
        }
        let end = i;
        let len = end - start;
        if len <= MAX_INTERPOLATED && start > 0 && end < n {
            let (left, right) = (out[start - 1], out[end]);
            for (k, p) in (start..end).enumerate() {
                let t = (k + 1) as f64 / (len + 1) as f64;
                out[p] = left + (right - left) * t;
                quality[p] = Quality::Estimated(Method::Interpolated);
            }
            continue;
        }
        for p in start..end {
            match input.like_day.map(|d| d[p]) {
                Some(v) if valid(v) => {
                    out[p] = v;
                    quality[p] = Quality::Estimated(Method::LikeDay);
                }
                _ => {
                    out[p] = day_energy * shape.fraction[p];
                    quality[p] = Quality::Estimated(Method::AnnualShaped);
                    shaped = true;
                }
            }
        }
    }
    shaped
}

/// Scales the estimated periods so that the day adds up to the register advance (never below
/// zero: if the actual periods already exceed the advance, the estimates become zero).
fn fit_to_advance(advance: f64, out: &mut [f64], quality: &[Quality]) {
    let (mut actual, mut estimated, mut count) = (0.0, 0.0, 0usize);
    for (v, q) in out.iter().zip(quality) {
        if q.is_actual() {
            actual += v;
        } else {
            estimated += v;
            count += 1;
        }
    }
    let target = (advance - actual).max(0.0);
    for (v, q) in out.iter_mut().zip(quality) {
        if !q.is_actual() {
            *v = if estimated > 0.0 {
                *v * target / estimated
            } else {
                target / count as f64
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GspGroup, Mpan};
    use crate::settlement::lss::{LoadShapes, ShapeSums};
    use crate::settlement::{Connection, Segment};

    fn point() -> Standing {
        Standing {
            mpan: Mpan::from_prefix(100_000_000_001).unwrap(),
            gsp: GspGroup::A,
            segment: Segment::Smart,
            connection: Connection::WholeCurrent,
            domestic: true,
            direction: Direction::Import,
            energised: true,
            llfc: 100,
            supplier: 0,
            bm_unit: 0,
            capacity_kw: 20.0,
            annual_kwh: 3650.0,
        }
    }

    /// A flat shape: the category's actual data is the same in every period, so the annual
    /// estimate is 10 kWh ÷ periods each.
    fn flat(periods: u8) -> LoadShapes {
        let date = match periods {
            46 => "2026-03-29",
            50 => "2026-10-25",
            _ => "2026-06-01",
        };
        let mut sums = ShapeSums::default();
        for _ in 0..crate::settlement::lss::MIN_SAMPLE {
            sums.add(point().category(), &vec![1.0; usize::from(periods)], |_| {
                true
            });
        }
        LoadShapes::build(date.parse().unwrap(), &sums)
    }

    fn run(input: Input, periods: usize) -> (Vec<f64>, Vec<Quality>, Exceptions) {
        let shapes = flat(periods as u8);
        let shape = shapes.get(point().category());
        let mut out = vec![0.0; periods];
        let mut quality = vec![Quality::Actual; periods];
        let mut ex = Exceptions::default();
        process(&point(), &input, shape, &mut out, &mut quality, &mut ex);
        (out, quality, ex)
    }

    #[test]
    fn short_gaps_are_interpolated_and_long_ones_taken_from_the_like_day() {
        let mut hh = vec![1.0; 48];
        hh[10] = f64::NAN; // between 1.0 and 2.5: 1.75
        hh[11] = 2.5;
        hh[20..25].fill(f64::NAN); // five missing
        hh[30] = -0.2; // reverse running
        hh[31] = 50.0; // above 20 kW × 0.5 h
        let like = vec![0.4; 48];
        let input = Input {
            hh: Some(&hh),
            like_day: Some(&like),
            ..Input::default()
        };
        let (out, q, ex) = run(input, 48);
        assert_eq!(out[10], 1.75);
        assert_eq!(q[10], Quality::Estimated(Method::Interpolated));
        assert_eq!(&out[20..25], &[0.4; 5]);
        assert!(
            q[20..25]
                .iter()
                .all(|&q| q == Quality::Estimated(Method::LikeDay))
        );
        // Two invalid values side by side with actuals around them: interpolated.
        assert_eq!((out[30], out[31]), (1.0, 1.0));
        assert_eq!(
            ex,
            Exceptions {
                missing_periods: 6,
                negative: 1,
                over_capacity: 1,
                ..Exceptions::default()
            }
        );
        assert!(
            q.iter()
                .all(|q| !matches!(q, Quality::Estimated(Method::AnnualShaped)))
        );
    }

    #[test]
    fn a_day_never_retrieved_is_estimated_in_every_period_on_clock_change_days() {
        for periods in [46usize, 48, 50] {
            let (out, q, _) = run(Input::default(), periods);
            assert_eq!(out.len(), periods);
            assert!(
                q.iter()
                    .all(|&q| q == Quality::Estimated(Method::AnnualShaped))
            );
            // 3,650 kWh a year is 10 kWh a 48-period day, pro rata for 23 and 25 hours.
            let total: f64 = out.iter().sum();
            assert!(
                (total - 10.0 * periods as f64 / 48.0).abs() < 1e-9,
                "{periods}: {total}"
            );
        }
    }

    #[test]
    fn estimates_are_fitted_to_the_register_advance() {
        let mut hh = vec![0.5; 48];
        hh[0..8].fill(f64::NAN);
        let input = Input {
            hh: Some(&hh),
            day_advance: Some(28.0), // 40 × 0.5 = 20 actual, so the 8 estimates share 8 kWh
            ..Input::default()
        };
        let (out, q, ex) = run(input, 48);
        assert!(out[0..8].iter().all(|&v| (v - 1.0).abs() < 1e-12));
        assert_eq!(q[0], Quality::Estimated(Method::AnnualShaped));
        assert_eq!(ex.fallback_shape, 0);
        // All actual but 2 kWh short of the register: reported.
        let hh = vec![0.5; 48];
        let input = Input {
            hh: Some(&hh),
            day_advance: Some(26.0),
            ..Input::default()
        };
        assert_eq!(run(input, 48).2.register_mismatch, 1);
    }

    #[test]
    fn register_points_are_shaped_and_deenergised_points_are_zero() {
        let input = Input {
            register_day: Some(9.6),
            ..Input::default()
        };
        let (out, q, _) = run(input, 48);
        assert!(out.iter().all(|&v| (v - 0.2).abs() < 1e-12));
        assert!(
            q.iter()
                .all(|&q| q == Quality::Estimated(Method::RegisterShaped))
        );
        let shapes = flat(48);
        let p = Standing {
            energised: false,
            ..point()
        };
        let (mut out, mut q, mut ex) = (
            vec![9.0; 48],
            vec![Quality::Actual; 48],
            Exceptions::default(),
        );
        process(
            &p,
            &Input::default(),
            shapes.get(p.category()),
            &mut out,
            &mut q,
            &mut ex,
        );
        assert!(out.iter().all(|&v| v == 0.0));
        assert_eq!(q[0], Quality::Estimated(Method::Deenergised));
    }
}
