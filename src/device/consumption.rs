//! Seeded consumption: what a premises uses (and exports) in each half-hour, computed from a
//! handful of numbers so that a meter's thirteen months of profile need not be stored.
//!
//! The value of a period is `annual ÷ 17,520 × shape(time of day, weekday) × season(day of
//! year) ÷ mean × noise`, where the mean normalises shape × season over a year (so the year's
//! total is the annual consumption in expectation) and the noise is a hash of the consumer's
//! seed and the period, uniform on [0.55, 1.45]. Microgeneration subtracts a solar curve
//! (kWp × a clear-sky sine by day length × season × cloud from the same hash); what is left
//! over is exported. Periods are UTC half-hours since 2000-01-01, as GBCS time stamps count.

use std::sync::OnceLock;

use rand::{Rng, RngExt};
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

/// Half-hours in a (non-leap) year.
const PERIODS_PER_YEAR: u32 = 17_520;
/// Half-hours in a day.
const PERIODS_PER_DAY: u32 = 48;

/// The kind of premises, which fixes the daily shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerType {
    /// Morning and evening peaks, more at weekends in the day.
    Domestic,
    /// Domestic with night storage heating on an Economy 7 tariff.
    DomesticEconomy7,
    /// Office hours on weekdays, a base load otherwise.
    SmallBusiness,
    /// Unmetered street lighting: on from dusk to dawn, off in daylight.
    StreetLighting,
}

/// One premises' consumption model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Consumer {
    pub kind: CustomerType,
    /// Expected import over a year before microgeneration, Wh.
    pub annual_wh: u32,
    /// Peak output of a solar array, W (0 = none).
    pub solar_peak_w: u16,
    /// Seeds the period-by-period noise.
    pub seed: u64,
}

impl Consumer {
    /// A plausible GB premises: three in four domestic (one in eight of those on Economy 7),
    /// annual use log-normal around the Ofgem typical values (2,700 kWh domestic, 4,200 kWh
    /// Economy 7, 15,000 kWh small business), one domestic premises in twelve with 2–4 kWp of
    /// solar panels.
    pub fn generate<R: Rng + ?Sized>(rng: &mut R) -> Consumer {
        let roll: f64 = rng.random();
        let (kind, median_kwh) = if roll < 0.66 {
            (CustomerType::Domestic, 2_700.0_f64)
        } else if roll < 0.75 {
            (CustomerType::DomesticEconomy7, 4_200.0)
        } else {
            (CustomerType::SmallBusiness, 15_000.0)
        };
        let spread = LogNormal::new(0.0, 0.45).expect("valid log-normal");
        let annual_kwh: f64 = (median_kwh * spread.sample(rng)).clamp(300.0, 200_000.0);
        let solar = kind != CustomerType::SmallBusiness && rng.random_bool(1.0 / 12.0);
        Consumer {
            kind,
            annual_wh: (annual_kwh * 1000.0) as u32,
            solar_peak_w: if solar {
                rng.random_range(2_000..=4_000)
            } else {
                0
            },
            seed: rng.random(),
        }
    }

    /// Energy drawn from the grid in `period`, Wh.
    pub fn import_wh(&self, period: u32) -> u32 {
        let net = self.demand_wh(period) - self.solar_wh(period);
        whole_wh(net)
    }

    /// Energy exported to the grid in `period`, Wh.
    pub fn export_wh(&self, period: u32) -> u32 {
        let net = self.solar_wh(period) - self.demand_wh(period);
        whole_wh(net)
    }

    /// The average RMS voltage at the supply terminals over the hour from `period` (a
    /// half-hour index), whole volts: GB's declared 230 V sits in a band of +10 %/−6 %, and
    /// measured voltages run high (about 240 V); here 236–248 V, lower when the local demand is
    /// high, raised by the premises' own export. A model, not a network study.
    pub fn voltage_v(&self, period: u32) -> u32 {
        let load =
            self.demand_wh(period) / (f64::from(self.annual_wh) / f64::from(PERIODS_PER_YEAR));
        let export = self.solar_wh(period) / 1000.0;
        let v = 244.0 - 2.0 * load.min(3.0)
            + 2.0 * export.min(1.0)
            + 4.0 * (unit(self.seed, period, 2) - 0.5);
        v.round().clamp(216.0, 253.0) as u32
    }

    /// Consumption before microgeneration, Wh.
    fn demand_wh(&self, period: u32) -> f64 {
        self.demand_with(demand_factor(self.kind, &When::of(period)), period)
    }

    fn demand_with(&self, factor: f64, period: u32) -> f64 {
        let noise = 0.55 + 0.9 * unit(self.seed, period, 0);
        f64::from(self.annual_wh) / f64::from(PERIODS_PER_YEAR) * factor * noise
    }

    fn solar_wh(&self, period: u32) -> f64 {
        if self.solar_peak_w == 0 {
            return 0.0;
        }
        self.solar_with(clear_sky(&When::of(period)), period)
    }

    fn solar_with(&self, clear: f64, period: u32) -> f64 {
        if clear == 0.0 {
            return 0.0;
        }
        let cloud = 0.2 + 0.8 * unit(self.seed, period, 1);
        f64::from(self.solar_peak_w) * 0.5 * clear * cloud
    }

    /// Import and export of each period of `day`, Wh, exactly as [`Consumer::import_wh`] and
    /// [`Consumer::export_wh`] give them, without recomputing the shapes for every consumer.
    pub fn day_wh(&self, day: &DayFactors, import: &mut [u32], export: &mut [u32]) {
        let demand = &day.demand[kind_index(self.kind)];
        for (i, (imp, exp)) in import.iter_mut().zip(export.iter_mut()).enumerate() {
            let period = day.first + i as u32;
            let solar = if self.solar_peak_w == 0 {
                0.0
            } else {
                self.solar_with(day.clear[i], period)
            };
            let net = self.demand_with(demand[i], period) - solar;
            *imp = whole_wh(net);
            *exp = whole_wh(-net);
        }
    }
}

/// Rounds energy to whole Wh, half up; nothing below zero. (`f64::round` is a library call on
/// baseline x86-64, and a national day calls this 1.4 billion times.)
fn whole_wh(wh: f64) -> u32 {
    (wh.max(0.0) + 0.5) as u32
}

/// What a run of half-hours looks like for every consumer at once: shape × season ÷ mean per
/// customer type, and the clear-sky solar curve. Computing these once per day lets a national
/// fleet's day be generated at a few nanoseconds a value.
#[derive(Debug, Clone)]
pub struct DayFactors {
    first: u32,
    demand: [Vec<f64>; 4],
    clear: Vec<f64>,
}

impl DayFactors {
    /// The factors of `count` periods from `first` (UTC half-hours since 2000-01-01).
    pub fn new(first: u32, count: u32) -> DayFactors {
        let whens: Vec<When> = (first..first + count).map(When::of).collect();
        let demand = KINDS.map(|kind| whens.iter().map(|t| demand_factor(kind, t)).collect());
        DayFactors {
            first,
            demand,
            clear: whens.iter().map(clear_sky).collect(),
        }
    }

    pub fn first(&self) -> u32 {
        self.first
    }

    pub fn len(&self) -> usize {
        self.clear.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clear.is_empty()
    }
}

const KINDS: [CustomerType; 4] = [
    CustomerType::Domestic,
    CustomerType::DomesticEconomy7,
    CustomerType::SmallBusiness,
    CustomerType::StreetLighting,
];

fn kind_index(kind: CustomerType) -> usize {
    match kind {
        CustomerType::Domestic => 0,
        CustomerType::DomesticEconomy7 => 1,
        CustomerType::SmallBusiness => 2,
        CustomerType::StreetLighting => 3,
    }
}

fn demand_factor(kind: CustomerType, t: &When) -> f64 {
    shape(kind, t) * season(kind, t) / mean_shape(kind)
}

/// Half the hours of daylight: from ~8 h of daylight in December to ~16.5 h in June, around solar
/// noon (12:00 UTC in GB, near enough).
fn half_daylight(t: &When) -> (f64, f64) {
    let summer = (std::f64::consts::TAU * (t.day_of_year - 172.0) / 365.25).cos();
    (6.15 + 2.15 * summer, summer)
}

/// Output of a clear-sky solar array as a share of its peak.
fn clear_sky(t: &When) -> f64 {
    let (half_day, summer) = half_daylight(t);
    let x = (t.hour - 12.0) / half_day;
    if x.abs() >= 1.0 {
        return 0.0;
    }
    (std::f64::consts::FRAC_PI_2 * x).cos().powf(1.5) * (0.55 + 0.45 * summer)
}

/// The calendar facts of a period that the shapes use.
struct When {
    /// Hours since midnight UTC at the middle of the period.
    hour: f64,
    /// 0 = Monday.
    weekday: u32,
    day_of_year: f64,
}

impl When {
    fn of(period: u32) -> When {
        let day = period / PERIODS_PER_DAY;
        // 2000-01-01 was a Saturday.
        let weekday = (day + 5) % 7;
        // Good enough for seasons: a 365.25-day year from 1 January 2000.
        let day_of_year = f64::from(day) % 365.25;
        When {
            hour: f64::from(period % PERIODS_PER_DAY) / 2.0 + 0.25,
            weekday,
            day_of_year,
        }
    }
}

fn bump(hour: f64, centre: f64, width: f64) -> f64 {
    let d = (hour - centre) / width;
    (-0.5 * d * d).exp()
}

fn shape(kind: CustomerType, t: &When) -> f64 {
    let weekend = t.weekday >= 5;
    let h = t.hour;
    match kind {
        CustomerType::Domestic | CustomerType::DomesticEconomy7 => {
            let mut s = 0.45 + 0.7 * bump(h, 7.5, 1.0) + 1.5 * bump(h, 18.5, 1.8);
            if weekend {
                s += 0.45 * bump(h, 13.0, 3.0);
            }
            if kind == CustomerType::DomesticEconomy7 && !(7.0..24.0).contains(&h) {
                s += 2.2;
            }
            s
        }
        CustomerType::SmallBusiness => {
            if !weekend && (8.0..18.0).contains(&h) {
                1.6
            } else {
                0.3
            }
        }
        CustomerType::StreetLighting => {
            // Lamps switch on half an hour after sunset and off half an hour before sunrise.
            let (half_day, _) = half_daylight(t);
            if (h - 12.0).abs() > half_day + 0.5 {
                1.0
            } else {
                0.0
            }
        }
    }
}

/// Winter beats summer; lighting follows the length of the night in its shape instead.
fn season(kind: CustomerType, t: &When) -> f64 {
    if kind == CustomerType::StreetLighting {
        return 1.0;
    }
    1.0 + 0.3 * (std::f64::consts::TAU * (t.day_of_year - 15.0) / 365.25).cos()
}

/// The mean of shape × season over a year, by customer type (computed once).
fn mean_shape(kind: CustomerType) -> f64 {
    static MEANS: OnceLock<[f64; 4]> = OnceLock::new();
    let means = MEANS.get_or_init(|| {
        KINDS.map(|kind| {
            // A year starting on a Monday (2001-01-01 is period 17,568).
            let start = 366 * PERIODS_PER_DAY;
            (start..start + PERIODS_PER_YEAR)
                .map(|p| {
                    let t = When::of(p);
                    shape(kind, &t) * season(kind, &t)
                })
                .sum::<f64>()
                / f64::from(PERIODS_PER_YEAR)
        })
    });
    means[kind_index(kind)]
}

/// A uniform number in [0, 1) from the seed, period and stream (SplitMix64 finaliser).
fn unit(seed: u64, period: u32, stream: u64) -> f64 {
    let mut z = seed
        ^ (u64::from(period).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn consumer(kind: CustomerType, solar_peak_w: u16) -> Consumer {
        Consumer {
            kind,
            annual_wh: 2_700_000,
            solar_peak_w,
            seed: 7,
        }
    }

    #[test]
    fn a_year_adds_up_to_the_annual_consumption() {
        for kind in [
            CustomerType::Domestic,
            CustomerType::DomesticEconomy7,
            CustomerType::SmallBusiness,
        ] {
            let c = consumer(kind, 0);
            let start = 366 * PERIODS_PER_DAY;
            let total: u64 = (start..start + PERIODS_PER_YEAR)
                .map(|p| u64::from(c.import_wh(p)))
                .sum();
            let error = (total as f64 / 2_700_000.0 - 1.0).abs();
            assert!(error < 0.01, "{kind:?}: {total} Wh, {error:.4} off");
        }
    }

    #[test]
    fn evenings_beat_nights_and_winter_beats_summer() {
        let c = consumer(CustomerType::Domestic, 0);
        // Mean over many days to average the noise out.
        let mean_at = |first_day: u32, slot: u32| {
            (0..60)
                .map(|d| f64::from(c.import_wh((first_day + d) * 48 + slot)))
                .sum::<f64>()
                / 60.0
        };
        let winter = 5_479; // 2015-01-01
        let summer = winter + 181;
        assert!(mean_at(winter, 37) > 2.5 * mean_at(winter, 6));
        assert!(mean_at(winter, 37) > 1.3 * mean_at(summer, 37));
    }

    #[test]
    fn solar_exports_at_summer_noon_and_not_at_night() {
        let c = consumer(CustomerType::Domestic, 4_000);
        let june_noon = (5_479 + 170) * 48 + 24;
        let exported: u32 = (0..30).map(|d| c.export_wh(june_noon + d * 48)).sum();
        assert!(exported > 0);
        assert_eq!(c.export_wh((5_479 + 170) * 48 + 2), 0);
    }

    #[test]
    fn a_day_at_once_matches_period_by_period() {
        let first = (5_479 + 170) * 48 - 2;
        let day = DayFactors::new(first, 50);
        for kind in KINDS {
            let c = consumer(
                kind,
                if kind == CustomerType::Domestic {
                    3_500
                } else {
                    0
                },
            );
            let (mut import, mut export) = (vec![0; 50], vec![0; 50]);
            c.day_wh(&day, &mut import, &mut export);
            for (i, p) in (first..first + 50).enumerate() {
                assert_eq!(import[i], c.import_wh(p), "{kind:?} import at {p}");
                assert_eq!(export[i], c.export_wh(p), "{kind:?} export at {p}");
            }
        }
    }

    #[test]
    fn street_lights_burn_at_night_only() {
        let c = consumer(CustomerType::StreetLighting, 0);
        let december = 5_479 + 340;
        assert!(c.import_wh(december * 48 + 2) > 0);
        assert_eq!(c.import_wh(december * 48 + 24), 0);
    }

    #[test]
    fn generation_is_seeded() {
        let mut a = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut b = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        assert_eq!(Consumer::generate(&mut a), Consumer::generate(&mut b));
    }
}
