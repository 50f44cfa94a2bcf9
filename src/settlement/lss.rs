//! The Load Shaping Service: for each category and settlement day, the simple mean of the actual
//! half-hourly data of that category's metering points (the LSS Method Statement's definition),
//! and the totals used to scale shapes (IF-022 period values, IF-023 day, peak and off-peak
//! totals). A category with too thin a sample falls back to the same category across GB, and
//! then to a default shape for its kind (domestic, non-domestic, lighting, export), flagged as
//! such (the IF-022 `defaultLoadShapeFlag`).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::losses::clock_half_hour;
use super::{Category, Connection, Direction, Segment};
use crate::model::SettlementDate;

/// Fewer metering points with actual data than this and a category's mean is not trusted.
pub const MIN_SAMPLE: u32 = 10;

/// Running sums of actual data per category and period.
#[derive(Clone, Debug, Default)]
pub struct ShapeSums {
    sums: BTreeMap<Category, Sums>,
}

#[derive(Clone, Debug)]
struct Sums {
    total: Vec<f64>,
    count: Vec<u32>,
    points: u32,
}

impl ShapeSums {
    /// Adds one point's day; only the periods `valid` accepts count.
    pub fn add(&mut self, category: Category, values: &[f64], valid: impl Fn(f64) -> bool) {
        let s = self.sums.entry(category).or_insert_with(|| Sums {
            total: vec![0.0; values.len()],
            count: vec![0; values.len()],
            points: 0,
        });
        s.points += 1;
        for ((t, c), &v) in s.total.iter_mut().zip(&mut s.count).zip(values) {
            if valid(v) {
                *t += v;
                *c += 1;
            }
        }
    }

    pub fn merge(&mut self, other: ShapeSums) {
        for (category, o) in other.sums {
            match self.sums.get_mut(&category) {
                None => {
                    self.sums.insert(category, o);
                }
                Some(s) => {
                    s.points += o.points;
                    for (a, b) in s.total.iter_mut().zip(&o.total) {
                        *a += b;
                    }
                    for (a, b) in s.count.iter_mut().zip(&o.count) {
                        *a += b;
                    }
                }
            }
        }
    }
}

/// Where a shape came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ShapeSource {
    /// The category's own actual data.
    Category,
    /// Too few points in the category: the same category over all GSP groups.
    National,
    /// No usable actual data at all: flat.
    Default,
}

/// One category's shape for the day.
#[derive(Clone, Debug, Serialize)]
pub struct Shape {
    /// Mean kWh per metering point in each period (IF-022 `loadShapePeriodValue`).
    pub mean: Vec<f64>,
    /// Each period's share of the day, summing to 1.
    pub fraction: Vec<f64>,
    /// Metering points with actual data behind it.
    pub sample: u32,
    pub source: ShapeSource,
    /// IF-023 `loadShapeDayTotal`, `…DayPeakTotal` (16:00–19:00 clock time), `…OffPeakTotal`.
    pub day_total: f64,
    pub peak_total: f64,
    pub off_peak_total: f64,
}

impl Shape {
    fn from_sums(date: SettlementDate, s: &Sums, source: ShapeSource) -> Shape {
        let mean: Vec<f64> = s
            .total
            .iter()
            .zip(&s.count)
            .map(|(&t, &c)| if c == 0 { 0.0 } else { t / f64::from(c) })
            .collect();
        Shape::from_mean(date, mean, s.points, source)
    }

    fn from_mean(date: SettlementDate, mean: Vec<f64>, sample: u32, source: ShapeSource) -> Shape {
        let day_total: f64 = mean.iter().sum();
        let n = mean.len();
        let fraction = if day_total > 0.0 {
            mean.iter().map(|m| m / day_total).collect()
        } else {
            vec![1.0 / n as f64; n]
        };
        let peak_total = mean
            .iter()
            .enumerate()
            .filter(|(i, _)| (32..38).contains(&clock_half_hour(date, *i as u8 + 1)))
            .map(|(_, m)| m)
            .sum();
        Shape {
            mean,
            fraction,
            sample,
            source,
            day_total,
            peak_total,
            off_peak_total: day_total - peak_total,
        }
    }

    /// The default shape of a kind of point, by clock time: a generic profile (not fitted to
    /// any data set) standing in when no actual data exists, as legacy profile classes did.
    fn default_for(date: SettlementDate, kind: DefaultKind) -> Shape {
        use chrono::Datelike;
        let day_of_year = f64::from(date.date().ordinal());
        let summer = (std::f64::consts::TAU * (day_of_year - 172.0) / 365.25).cos();
        let half_daylight = 6.15 + 2.15 * summer;
        let bump = |h: f64, centre: f64, width: f64| (-0.5 * ((h - centre) / width).powi(2)).exp();
        let mean = (1..=date.periods())
            .map(|p| {
                let h = f64::from(clock_half_hour(date, p)) / 2.0 + 0.25;
                let daylight = (h - 12.5).abs() < half_daylight;
                match kind {
                    DefaultKind::Export if daylight => {
                        (std::f64::consts::FRAC_PI_2 * (h - 12.5) / half_daylight).cos()
                    }
                    DefaultKind::Export => 0.0,
                    DefaultKind::Lighting => f64::from(u8::from(!daylight)),
                    DefaultKind::Domestic => {
                        0.45 + 0.6 * bump(h, 7.5, 1.2) + 1.2 * bump(h, 18.5, 2.0)
                    }
                    DefaultKind::NonDomestic if (8.0..18.0).contains(&h) => 1.4,
                    DefaultKind::NonDomestic => 0.4,
                }
            })
            .collect();
        Shape::from_mean(date, mean, 0, ShapeSource::Default)
    }
}

/// The kinds of point that have a default shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum DefaultKind {
    Domestic,
    NonDomestic,
    Lighting,
    Export,
}

impl DefaultKind {
    const ALL: [DefaultKind; 4] = [
        DefaultKind::Domestic,
        DefaultKind::NonDomestic,
        DefaultKind::Lighting,
        DefaultKind::Export,
    ];

    fn of(category: Category) -> DefaultKind {
        match (category.direction, category.segment, category.domestic) {
            (Direction::Export, ..) => DefaultKind::Export,
            (_, Segment::Unmetered, _) => DefaultKind::Lighting,
            (_, _, true) => DefaultKind::Domestic,
            _ => DefaultKind::NonDomestic,
        }
    }
}

type NationalKey = (Segment, Connection, bool, Direction);

/// The day's shapes for every category seen.
#[derive(Clone, Debug)]
pub struct LoadShapes {
    pub date: SettlementDate,
    own: HashMap<Category, Shape>,
    national: HashMap<NationalKey, Shape>,
    defaults: HashMap<DefaultKind, Shape>,
}

impl LoadShapes {
    pub fn build(date: SettlementDate, sums: &ShapeSums) -> LoadShapes {
        let mut national_sums: BTreeMap<NationalKey, Sums> = BTreeMap::new();
        for (category, s) in &sums.sums {
            let acc = national_sums
                .entry(category.national())
                .or_insert_with(|| Sums {
                    total: vec![0.0; s.total.len()],
                    count: vec![0; s.total.len()],
                    points: 0,
                });
            acc.points += s.points;
            for (a, b) in acc.total.iter_mut().zip(&s.total) {
                *a += b;
            }
            for (a, b) in acc.count.iter_mut().zip(&s.count) {
                *a += b;
            }
        }
        let trusted = |s: &Sums| s.count.iter().all(|&c| c >= MIN_SAMPLE);
        LoadShapes {
            date,
            own: sums
                .sums
                .iter()
                .filter(|(_, s)| trusted(s))
                .map(|(c, s)| (*c, Shape::from_sums(date, s, ShapeSource::Category)))
                .collect(),
            national: national_sums
                .iter()
                .filter(|(_, s)| trusted(s))
                .map(|(k, s)| (*k, Shape::from_sums(date, s, ShapeSource::National)))
                .collect(),
            defaults: DefaultKind::ALL
                .into_iter()
                .map(|k| (k, Shape::default_for(date, k)))
                .collect(),
        }
    }

    /// The shape to use for a category: its own, else the national one, else the default.
    pub fn get(&self, category: Category) -> &Shape {
        self.own
            .get(&category)
            .or_else(|| self.national.get(&category.national()))
            .unwrap_or_else(|| &self.defaults[&DefaultKind::of(category)])
    }

    /// The categories with their own shape, in order (for IF-022-style output).
    pub fn categories(&self) -> Vec<(Category, &Shape)> {
        let mut all: Vec<(Category, &Shape)> = self.own.iter().map(|(c, s)| (*c, s)).collect();
        all.sort_by_key(|(c, _)| *c);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GspGroup;

    fn category(gsp: GspGroup) -> Category {
        Category {
            gsp,
            segment: Segment::Smart,
            connection: Connection::WholeCurrent,
            domestic: true,
            direction: Direction::Import,
        }
    }

    #[test]
    fn a_shape_is_the_mean_of_actuals() {
        let date: SettlementDate = "2026-06-01".parse().unwrap();
        let mut sums = ShapeSums::default();
        for i in 0..MIN_SAMPLE {
            let mut day = vec![0.1; 48];
            day[36] = 0.5 + f64::from(i % 2) * 0.2; // 18:00: a mean of 0.6
            sums.add(category(GspGroup::A), &day, |v| v.is_finite());
        }
        let shapes = LoadShapes::build(date, &sums);
        let s = shapes.get(category(GspGroup::A));
        assert_eq!(s.source, ShapeSource::Category);
        assert!((s.mean[36] - 0.6).abs() < 1e-12);
        assert!((s.fraction.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // One more point with period 1 missing leaves it at ten actual values; one fewer
        // anywhere and the sample is too thin: the default shape stands in.
        let mut thin = ShapeSums::default();
        for i in 0..MIN_SAMPLE {
            let mut day = vec![0.1; 48];
            day[0] = if i == 0 { f64::NAN } else { 0.1 };
            thin.add(category(GspGroup::A), &day, |v| v.is_finite());
        }
        let shapes = LoadShapes::build(date, &thin);
        assert_eq!(
            shapes.get(category(GspGroup::A)).source,
            ShapeSource::Default
        );
        // Period 1 had only 9 actual values: the category is thin there and the group's own
        // shape is not trusted, so another group falls back the same way.
        let mut sums = ShapeSums::default();
        for _ in 0..MIN_SAMPLE {
            sums.add(category(GspGroup::B), &[0.2; 48], |v| v.is_finite());
        }
        let shapes = LoadShapes::build(date, &sums);
        assert_eq!(
            shapes.get(category(GspGroup::C)).source,
            ShapeSource::National
        );
        let export = Category {
            direction: Direction::Export,
            ..category(GspGroup::B)
        };
        let default = shapes.get(export);
        assert_eq!(default.source, ShapeSource::Default);
        // Export by day only.
        assert_eq!(default.fraction[0], 0.0);
        assert!(default.fraction[25] > 0.04);
        // 16:00–19:00 is six periods of 0.2.
        let s = shapes.get(category(GspGroup::B));
        assert!((s.peak_total - 1.2).abs() < 1e-9 && (s.day_total - 9.6).abs() < 1e-9);
    }
}
