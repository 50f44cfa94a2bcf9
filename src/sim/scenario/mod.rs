//! Scenario files: loading, strict parsing and validation.
//!
//! A scenario describes a fleet, the WAN technology of each CSP region, the traffic (scheduled
//! collections, on-demand requests, alerts, reconnect storms), the service levels and the
//! commercials. `scenarios/README.md` documents every field. Every error names the file, the
//! line and the field or value that is wrong.

mod file;
mod profiles;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Serialize;
use toml::Spanned;

use crate::model::{CspRegion, Fuel, MessageKind, ServiceClass, SettlementDate, service_class};
use crate::wan::{
    Latency, Maintenance, Micros, OutageModel, RetryPolicy, Technology, secs_to_micros,
};
pub use file::{Basis, Every, Regime, Spreading, StormShape};
use file::{CommercialsFile, LatencyFile, ScenarioFile};

/// Bounds that keep every simulated time and size within integer range: a day of latency, a
/// billion meters per region.
const MAX_LATENCY_MS: f64 = 86_400_000.0;
const MAX_REGION_METERS: u64 = 1_000_000_000;

/// A scenario that could not be loaded, with where the problem is.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {file}: {cause}")]
    Read { file: String, cause: std::io::Error },
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
}

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The file it was read from, as given.
    pub file: String,
    pub date: SettlementDate,
    pub days: u32,
    /// Default seed; the command line may override it.
    pub seed: u64,
    pub fleet: Fleet,
    pub regions: Vec<Region>,
    pub technologies: BTreeMap<String, Technology>,
    pub traffic: Traffic,
    /// Service level per class id, for every class that carries traffic.
    pub service_levels: BTreeMap<&'static str, ServiceLevel>,
    /// At least one; a file without `[[phases]]` has one phase made from its top level.
    pub phases: Vec<Phase>,
    pub settlement: SettlementSample,
}

/// How much of the fleet is settled after the simulation, and its meters' own faults.
#[derive(Clone, Debug)]
pub struct SettlementSample {
    /// Premises sampled (0: no settlement section).
    pub premises: u64,
    /// Chance that a retrieved day has a gap of 1–4 periods.
    pub gap_share: f64,
    /// Chance that a retrieved day has one corrupt value.
    pub spike_share: f64,
}

impl Default for SettlementSample {
    fn default() -> SettlementSample {
        SettlementSample {
            premises: 20_000,
            gap_share: 0.02,
            spike_share: 0.002,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Fleet {
    /// Share of meters that are electricity meters; the rest are gas.
    pub electricity_share: f64,
    /// Meters behind one comms hub.
    pub meters_per_hub: f64,
}

#[derive(Clone, Debug)]
pub struct Region {
    pub region: CspRegion,
    pub meters: u64,
    /// Technology names (keys of `Scenario::technologies`) with the share of the region's
    /// meters each serves; the shares sum to 1.
    pub mix: Vec<(String, f64)>,
    pub hubs_per_cell: u32,
    pub no_coverage_share: f64,
}

#[derive(Clone, Debug, Default)]
pub struct Traffic {
    pub scheduled: Vec<Collection>,
    pub on_demand: Vec<RateTraffic>,
    pub alerts: Vec<RateTraffic>,
    pub storm: Option<Storm>,
}

/// A DCC-scheduled collection, e.g. a daily 4.8.1 read of every electricity meter.
#[derive(Clone, Debug)]
pub struct Collection {
    pub class: &'static ServiceClass,
    pub every: Every,
    /// Share of the meters of the class's fuel that the schedule covers.
    pub share: f64,
    /// Clock time the first window of the day opens, seconds after midnight.
    pub start_clock_secs: i64,
    pub window: Micros,
    pub spreading: Spreading,
}

/// Requests or alerts arriving at random (Poisson) at a rate that varies by hour of day.
#[derive(Clone, Debug)]
pub struct RateTraffic {
    pub class: &'static ServiceClass,
    pub per_meter_per_day: f64,
    /// Share of the day's traffic in each clock hour; sums to 1.
    pub hourly: [f64; 24],
}

/// Messages every comms hub of a cell sends when the cell comes back after being down.
#[derive(Clone, Debug)]
pub struct Storm {
    pub class: &'static ServiceClass,
    pub messages_per_hub: f64,
    pub window: Micros,
    pub shape: StormShape,
    pub after_maintenance: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceLevel {
    pub target_secs: f64,
    /// Share of requests that must complete within the target.
    pub share: f64,
    pub basis: Basis,
    pub note: String,
}

impl ServiceLevel {
    pub fn target(&self) -> Micros {
        secs_to_micros(self.target_secs)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Commercials {
    pub contract_years: u32,
    pub regime: Regime,
    pub monthly_charge_gbp: f64,
    /// Service credit per percentage point a class falls below its target share, per month.
    pub credit_per_point_gbp: f64,
    /// Credits in a month are capped at this share of the monthly charge (soft regimes).
    pub cap_share: Option<f64>,
    /// A class below this share gives the buyer a termination right (hard regimes).
    pub termination_share: Option<f64>,
}

/// A period of the network's life simulated as its own day(s): a year, the fleet size then, the
/// technology each region uses and the contract in force.
#[derive(Clone, Debug)]
pub struct Phase {
    pub name: String,
    pub year: i32,
    pub fleet_scale: f64,
    /// Technology mix per region for this phase.
    pub technologies: BTreeMap<CspRegion, Vec<(String, f64)>>,
    pub commercials: Option<Commercials>,
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            file: file.clone(),
            cause: source,
        })?;
        Scenario::parse(&file, &src)
    }

    /// Parses and validates scenario text; `file` names it in errors.
    pub fn parse(file: &str, src: &str) -> Result<Scenario, ScenarioError> {
        let ck = Check { file, src };
        let raw: ScenarioFile = toml::from_str(src).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim_end();
            // A value of the wrong type: name its key (`hubs_per_cell: invalid type…`).
            let message = match key_before(src, span.start) {
                Some(key) if !message.contains(key) => format!("{key}: {message}"),
                _ => message.to_string(),
            };
            ck.error(span, message)
        })?;
        ck.scenario(raw)
    }

    pub fn technology(&self, name: &str) -> &Technology {
        &self.technologies[name]
    }
}

/// The key of a `key = value` line whose value starts at `at`, if that is what is there.
fn key_before(src: &str, at: usize) -> Option<&str> {
    let before = src.get(..at)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let key = line.trim_end().strip_suffix('=')?.trim();
    let bare = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
    (!key.is_empty() && key.chars().all(bare)).then_some(key)
}

/// Turns spans into file:line:column errors while converting.
struct Check<'a> {
    file: &'a str,
    src: &'a str,
}

impl Check<'_> {
    fn error(&self, span: Range<usize>, message: String) -> ScenarioError {
        let upto = &self.src[..span.start.min(self.src.len())];
        let line = upto.matches('\n').count() + 1;
        let column = upto.len() - upto.rfind('\n').map_or(0, |i| i + 1) + 1;
        ScenarioError::Invalid {
            file: self.file.to_string(),
            line,
            column,
            message,
        }
    }

    fn fail<T>(&self, span: Range<usize>, message: String) -> Result<T, ScenarioError> {
        Err(self.error(span, message))
    }

    /// A value in `[lo, hi]`.
    fn within(
        &self,
        v: &Spanned<f64>,
        field: &str,
        lo: f64,
        hi: f64,
    ) -> Result<f64, ScenarioError> {
        let x = *v.get_ref();
        if x.is_finite() && x >= lo && x <= hi {
            Ok(x)
        } else {
            self.fail(
                v.span(),
                format!("{field} = {x} is out of range: expected {lo} to {hi}"),
            )
        }
    }

    fn meters(&self, v: &Spanned<u64>) -> Result<u64, ScenarioError> {
        let n = *v.get_ref();
        if n <= MAX_REGION_METERS {
            Ok(n)
        } else {
            self.fail(
                v.span(),
                format!("meters = {n} is more than {MAX_REGION_METERS} in one region"),
            )
        }
    }

    fn class(&self, name: &Spanned<String>) -> Result<&'static ServiceClass, ScenarioError> {
        service_class(name.get_ref()).ok_or_else(|| {
            let known: Vec<&str> = crate::model::CATALOGUE.iter().map(|c| c.id).collect();
            self.error(
                name.span(),
                format!(
                    "unknown service {:?}; the catalogue has: {}",
                    name.get_ref(),
                    known.join(", ")
                ),
            )
        })
    }

    fn clock(&self, v: &Spanned<String>, field: &str) -> Result<i64, ScenarioError> {
        parse_clock(v.get_ref()).ok_or_else(|| {
            self.error(
                v.span(),
                format!("{field} = {:?} is not a clock time HH:MM", v.get_ref()),
            )
        })
    }

    fn scenario(&self, raw: ScenarioFile) -> Result<Scenario, ScenarioError> {
        let date: SettlementDate = raw
            .date
            .get_ref()
            .parse()
            .map_err(|e| self.error(raw.date.span(), format!("date: {e}")))?;
        let days = *raw.days.get_ref();
        if !(1..=366).contains(&days) {
            return self.fail(raw.days.span(), format!("days = {days} must be 1 to 366"));
        }
        let fleet = Fleet {
            electricity_share: self.within(
                &raw.fleet.electricity_share,
                "electricity_share",
                0.0,
                1.0,
            )?,
            meters_per_hub: self.within(&raw.fleet.meters_per_hub, "meters_per_hub", 1.0, 16.0)?,
        };
        let default_hubs = *raw.fleet.hubs_per_cell.get_ref();
        if default_hubs == 0 {
            return self.fail(
                raw.fleet.hubs_per_cell.span(),
                "hubs_per_cell must be at least 1".into(),
            );
        }
        let default_uncovered =
            self.within(&raw.fleet.no_coverage_share, "no_coverage_share", 0.0, 1.0)?;

        let mut technologies = BTreeMap::new();
        for (name, t) in &raw.technologies {
            technologies.insert(name.clone(), self.technology(name, t)?);
        }

        let mut regions = Vec::new();
        for (key, r) in &raw.regions {
            let region = match key.get_ref().as_str() {
                "north" => CspRegion::North,
                "central" => CspRegion::Central,
                "south" => CspRegion::South,
                other => {
                    return self.fail(
                        key.span(),
                        format!("unknown region {other:?}: expected north, central or south"),
                    );
                }
            };
            let mix = self.mix(key, r, &technologies)?;
            let hubs_per_cell = match &r.hubs_per_cell {
                Some(h) if *h.get_ref() == 0 => {
                    return self.fail(h.span(), "hubs_per_cell must be at least 1".into());
                }
                Some(h) => *h.get_ref(),
                None => default_hubs,
            };
            let no_coverage_share = match &r.no_coverage_share {
                Some(s) => self.within(s, "no_coverage_share", 0.0, 1.0)?,
                None => default_uncovered,
            };
            regions.push(Region {
                region,
                meters: self.meters(&r.meters)?,
                mix,
                hubs_per_cell,
                no_coverage_share,
            });
        }
        if regions.is_empty() {
            return self.fail(0..0, "the scenario has no [regions.*] table".into());
        }
        regions.sort_by_key(|r| r.region);

        let traffic = self.traffic(&raw)?;
        let service_levels = self.service_levels(&raw)?;
        let commercials = raw
            .commercials
            .as_ref()
            .map(|c| self.commercials(c))
            .transpose()?;
        let phases = self.phases(&raw, &regions, &technologies, date, commercials)?;

        let mut settlement = SettlementSample::default();
        if let Some(f) = &raw.settlement {
            if let Some(p) = &f.premises {
                if *p.get_ref() > 10_000_000 {
                    return self.fail(
                        p.span(),
                        format!("premises = {} must be at most 10,000,000", p.get_ref()),
                    );
                }
                settlement.premises = *p.get_ref();
            }
            if let Some(v) = &f.gap_share {
                settlement.gap_share = self.within(v, "gap_share", 0.0, 1.0)?;
            }
            if let Some(v) = &f.spike_share {
                settlement.spike_share = self.within(v, "spike_share", 0.0, 1.0)?;
            }
        }
        Ok(Scenario {
            name: raw.name.clone(),
            description: raw.description.clone(),
            file: self.file.to_string(),
            date,
            days,
            seed: raw.seed,
            fleet,
            regions,
            technologies,
            traffic,
            service_levels,
            phases,
            settlement,
        })
    }

    /// The region's technology mix: `technology = "name"` or `mix = { name = share, … }`.
    fn mix(
        &self,
        key: &Spanned<String>,
        r: &file::RegionFile,
        known: &BTreeMap<String, Technology>,
    ) -> Result<Vec<(String, f64)>, ScenarioError> {
        let check = |name: &str, span: Range<usize>| -> Result<(), ScenarioError> {
            if known.contains_key(name) {
                Ok(())
            } else {
                self.fail(span, self.unknown_technology(name, known))
            }
        };
        match (&r.technology, &r.mix) {
            (Some(t), None) => {
                check(t.get_ref(), t.span())?;
                Ok(vec![(t.get_ref().clone(), 1.0)])
            }
            (None, Some(m)) => {
                let mut mix = Vec::new();
                for (name, &share) in m.get_ref() {
                    check(name, m.span())?;
                    if !(share.is_finite() && share > 0.0) {
                        return self.fail(m.span(), format!("mix share of {name:?} = {share} must be greater than zero"));
                    }
                    mix.push((name.clone(), share));
                }
                let total: f64 = mix.iter().map(|(_, s)| s).sum();
                if (total - 1.0).abs() > 1e-6 {
                    return self.fail(m.span(), format!("mix shares sum to {total}, not 1"));
                }
                Ok(mix)
            }
            _ => self.fail(
                key.span(),
                format!("region {:?} needs exactly one of technology = \"name\" or mix = {{ name = share, … }}", key.get_ref()),
            ),
        }
    }

    fn unknown_technology(&self, name: &str, known: &BTreeMap<String, Technology>) -> String {
        let names: Vec<&str> = known.keys().map(String::as_str).collect();
        format!(
            "unknown technology {name:?}; the file defines: {}",
            names.join(", ")
        )
    }

    fn technology(
        &self,
        name: &str,
        t: &file::TechnologyFile,
    ) -> Result<Technology, ScenarioError> {
        let uplink_bps = self.within(&t.uplink_kbps, "uplink_kbps", 0.01, 1e7)? * 1000.0;
        let downlink_bps = self.within(&t.downlink_kbps, "downlink_kbps", 0.01, 1e7)? * 1000.0;
        let latency = self.latency(&t.latency)?;
        let processing = match &t.processing {
            Some(p) => self.latency(p)?,
            None => Latency::Fixed(0),
        };
        let loss = self.within(&t.loss, "loss", 0.0, 0.99)?;
        let r = &t.retry;
        let attempts = *r.attempts.get_ref();
        if !(1..=20).contains(&attempts) {
            return self.fail(
                r.attempts.span(),
                format!("attempts = {attempts} must be 1 to 20"),
            );
        }
        let timeout = secs_to_micros(self.within(&r.timeout_s, "timeout_s", 0.001, 86_400.0)?);
        let backoff = secs_to_micros(self.within(&r.backoff_s, "backoff_s", 0.0, 86_400.0)?);
        let backoff_factor = self.within(&r.backoff_factor, "backoff_factor", 1.0, 10.0)?;
        let max_backoff = match &r.max_backoff_s {
            Some(m) => secs_to_micros(self.within(m, "max_backoff_s", 0.0, 86_400.0)?),
            None => secs_to_micros(3600.0),
        };
        let jitter = self.within(&r.jitter, "jitter", 0.0, 1.0)?;
        let outages = match &t.outages {
            Some(o) => Some(OutageModel {
                mtbf: secs_to_micros(self.within(&o.mtbf_hours, "mtbf_hours", 0.01, 1e6)? * 3600.0),
                mttr: secs_to_micros(
                    self.within(&o.mttr_hours, "mttr_hours", 0.001, 1e4)? * 3600.0,
                ),
            }),
            None => None,
        };
        let mut maintenance = Vec::new();
        for m in &t.maintenance {
            maintenance.push(Maintenance {
                start_clock_secs: self.clock(&m.start, "start")?,
                duration: secs_to_micros(self.within(&m.minutes, "minutes", 0.0, 1440.0)? * 60.0),
                share: self.within(&m.share, "share", 0.0, 1.0)?,
            });
        }
        Ok(Technology {
            name: name.to_string(),
            kind: t.kind,
            uplink_bps,
            downlink_bps,
            overhead_bytes: t.overhead_bytes,
            latency,
            processing,
            loss,
            retry: RetryPolicy {
                timeout,
                attempts: attempts as u8,
                backoff,
                backoff_factor,
                max_backoff,
                jitter,
            },
            outages,
            maintenance,
        })
    }

    fn latency(&self, l: &Spanned<LatencyFile>) -> Result<Latency, ScenarioError> {
        use file::DistributionName as D;
        let span = l.span();
        let f = l.get_ref();
        let need = |v: Option<f64>, field: &str| -> Result<Micros, ScenarioError> {
            match v {
                Some(x) if x.is_finite() && (0.0..=MAX_LATENCY_MS).contains(&x) => {
                    Ok(secs_to_micros(x / 1000.0))
                }
                Some(x) => self.fail(
                    span.clone(),
                    format!("{field} = {x} is out of range: expected 0 to {MAX_LATENCY_MS}"),
                ),
                None => self.fail(
                    span.clone(),
                    format!("a {:?} latency needs {field}", f.distribution).to_lowercase(),
                ),
            }
        };
        let given = [
            ("ms", f.ms),
            ("min_ms", f.min_ms),
            ("max_ms", f.max_ms),
            ("mean_ms", f.mean_ms),
            ("median_ms", f.median_ms),
            ("p99_ms", f.p99_ms),
        ];
        let allowed: &[&str] = match f.distribution {
            D::Fixed => &["ms"],
            D::Uniform => &["min_ms", "max_ms"],
            D::Exponential => &["min_ms", "mean_ms"],
            D::Lognormal => &["median_ms", "p99_ms"],
        };
        if let Some((field, _)) = given
            .iter()
            .find(|(n, v)| v.is_some() && !allowed.contains(n))
        {
            return self.fail(
                span,
                format!(
                    "{field} does not apply to a {:?} latency (it takes {})",
                    f.distribution,
                    allowed.join(", ")
                )
                .to_lowercase(),
            );
        }
        Ok(match f.distribution {
            D::Fixed => Latency::Fixed(need(f.ms, "ms")?),
            D::Uniform => {
                let (min, max) = (need(f.min_ms, "min_ms")?, need(f.max_ms, "max_ms")?);
                if max < min {
                    return self.fail(span, "max_ms must not be below min_ms".into());
                }
                Latency::Uniform { min, max }
            }
            D::Exponential => {
                let min = f.min_ms.map_or(Ok(0), |v| need(Some(v), "min_ms"))?;
                let mean = need(f.mean_ms, "mean_ms")?;
                if mean < min {
                    return self.fail(span, "mean_ms must not be below min_ms".into());
                }
                Latency::Exponential { min, mean }
            }
            D::Lognormal => {
                let (median, p99) = (need(f.median_ms, "median_ms")?, need(f.p99_ms, "p99_ms")?);
                if median == 0 || p99 < median {
                    return self.fail(
                        span,
                        "a lognormal latency needs 0 < median_ms <= p99_ms".into(),
                    );
                }
                Latency::LogNormal { median, p99 }
            }
        })
    }

    fn traffic(&self, raw: &ScenarioFile) -> Result<Traffic, ScenarioError> {
        let mut traffic = Traffic::default();
        for s in &raw.scheduled {
            let class = self.class(&s.service)?;
            self.request_response(class, &s.service)?;
            let start = self.clock(&s.start, "start")?;
            let period_min = match s.every {
                Every::HalfHourly => 30.0,
                Every::Hourly => 60.0,
                _ => 1440.0,
            };
            if period_min < 1440.0 && start >= (period_min as i64) * 60 {
                return self.fail(
                    s.start.span(),
                    format!(
                        "start = {:?} must fall within the first {period_min} minutes for a {:?} schedule",
                        s.start.get_ref(),
                        s.every
                    ),
                );
            }
            let window = self.within(&s.window_minutes, "window_minutes", 0.0, period_min)?;
            traffic.scheduled.push(Collection {
                class,
                every: s.every,
                share: self.within(&s.share, "share", 0.0, 1.0)?,
                start_clock_secs: start,
                window: secs_to_micros(window * 60.0),
                spreading: s.spreading,
            });
        }
        for (list, out, kind) in [
            (
                &raw.on_demand,
                &mut traffic.on_demand,
                MessageKind::RequestResponse,
            ),
            (&raw.alerts, &mut traffic.alerts, MessageKind::Alert),
        ] {
            for r in list {
                let class = self.class(&r.service)?;
                if class.kind != kind {
                    let table = if kind == MessageKind::Alert {
                        "[[alerts]]"
                    } else {
                        "[[on_demand]]"
                    };
                    return self.fail(
                        r.service.span(),
                        format!(
                            "service {:?} is {:?}, which does not belong in {table}",
                            class.id, class.kind
                        )
                        .to_lowercase()
                        .replace("requestresponse", "a request-response service")
                        .replace("alert,", "an alert,"),
                    );
                }
                out.push(RateTraffic {
                    class,
                    per_meter_per_day: self.within(
                        &r.per_meter_per_day,
                        "per_meter_per_day",
                        0.0,
                        10_000.0,
                    )?,
                    hourly: self.hourly(r)?,
                });
            }
        }
        if let Some(s) = &raw.reconnect_storm {
            traffic.storm = Some(Storm {
                class: self.class(&s.service)?,
                messages_per_hub: self.within(
                    &s.messages_per_hub,
                    "messages_per_hub",
                    0.0,
                    1000.0,
                )?,
                window: secs_to_micros(self.within(&s.window_s, "window_s", 0.001, 86_400.0)?),
                shape: s.shape,
                after_maintenance: s.after_maintenance,
            });
        }
        Ok(traffic)
    }

    fn request_response(
        &self,
        class: &ServiceClass,
        at: &Spanned<String>,
    ) -> Result<(), ScenarioError> {
        if class.kind == MessageKind::Alert {
            return self.fail(
                at.span(),
                format!("{:?} is an alert and cannot be scheduled", class.id),
            );
        }
        Ok(())
    }

    fn hourly(&self, r: &file::RateFile) -> Result<[f64; 24], ScenarioError> {
        let weights: Vec<f64> = match (&r.profile, &r.hourly) {
            (Some(p), Some(_)) => {
                return self.fail(p.span(), "give either profile or hourly, not both".into());
            }
            (Some(p), None) => profiles::named(p.get_ref())
                .ok_or_else(|| {
                    self.error(
                        p.span(),
                        format!(
                            "unknown profile {:?}; known profiles: {}",
                            p.get_ref(),
                            profiles::NAMES.join(", ")
                        ),
                    )
                })?
                .to_vec(),
            (None, Some(h)) => h.get_ref().clone(),
            (None, None) => vec![1.0; 24],
        };
        let span = r.hourly.as_ref().map_or(r.service.span(), |h| h.span());
        if weights.len() != 24 || weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return self.fail(span, "hourly needs 24 weights, each zero or more".into());
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return self.fail(span, "hourly weights must not all be zero".into());
        }
        let mut out = [0.0; 24];
        for (o, w) in out.iter_mut().zip(&weights) {
            *o = w / total;
        }
        Ok(out)
    }

    fn service_levels(
        &self,
        raw: &ScenarioFile,
    ) -> Result<BTreeMap<&'static str, ServiceLevel>, ScenarioError> {
        let mut levels = BTreeMap::new();
        for s in &raw.service_levels {
            let class = self.class(&s.service)?;
            let target_secs = match &s.target_s {
                Some(t) => self.within(t, "target_s", 0.001, 30.0 * 86_400.0)?,
                None => f64::from(class.max_response_secs),
            };
            let level = ServiceLevel {
                target_secs,
                share: self.within(&s.share, "share", 0.0, 1.0)?,
                basis: s.basis,
                note: s.note.clone(),
            };
            if levels.insert(class.id, level).is_some() {
                return self.fail(
                    s.service.span(),
                    format!("a second service level for {:?}", class.id),
                );
            }
        }
        // Every class that carries traffic needs a service level, so nothing goes unjudged.
        let used = raw
            .scheduled
            .iter()
            .map(|s| &s.service)
            .chain(raw.on_demand.iter().map(|r| &r.service))
            .chain(raw.alerts.iter().map(|r| &r.service))
            .chain(raw.reconnect_storm.iter().map(|s| &s.service));
        for name in used {
            if !levels.contains_key(name.get_ref().as_str()) {
                return self.fail(
                    name.span(),
                    format!(
                        "service {:?} carries traffic but has no [[service_levels]] entry",
                        name.get_ref()
                    ),
                );
            }
        }
        Ok(levels)
    }

    fn commercials(&self, c: &CommercialsFile) -> Result<Commercials, ScenarioError> {
        let years = *c.contract_years.get_ref();
        if !(1..=30).contains(&years) {
            return self.fail(
                c.contract_years.span(),
                format!("contract_years = {years} must be 1 to 30"),
            );
        }
        Ok(Commercials {
            contract_years: years,
            regime: c.regime,
            monthly_charge_gbp: self.within(
                &c.monthly_charge_gbp,
                "monthly_charge_gbp",
                0.0,
                1e12,
            )?,
            credit_per_point_gbp: self.within(
                &c.credit_per_point_gbp,
                "credit_per_point_gbp",
                0.0,
                1e12,
            )?,
            cap_share: c
                .cap_share
                .as_ref()
                .map(|v| self.within(v, "cap_share", 0.0, 1.0))
                .transpose()?,
            termination_share: c
                .termination_share
                .as_ref()
                .map(|v| self.within(v, "termination_share", 0.0, 1.0))
                .transpose()?,
        })
    }

    fn phases(
        &self,
        raw: &ScenarioFile,
        regions: &[Region],
        technologies: &BTreeMap<String, Technology>,
        date: SettlementDate,
        commercials: Option<Commercials>,
    ) -> Result<Vec<Phase>, ScenarioError> {
        let base: BTreeMap<CspRegion, Vec<(String, f64)>> =
            regions.iter().map(|r| (r.region, r.mix.clone())).collect();
        if raw.phases.is_empty() {
            return Ok(vec![Phase {
                name: "base".into(),
                year: chrono::Datelike::year(&date.date()),
                fleet_scale: 1.0,
                technologies: base,
                commercials,
            }]);
        }
        let mut phases = Vec::new();
        for p in &raw.phases {
            let mut techs = base.clone();
            for (region, tech) in &p.technologies {
                let r = regions
                    .iter()
                    .find(|r| r.region.name() == region.get_ref())
                    .ok_or_else(|| {
                        self.error(
                            region.span(),
                            format!(
                                "phase {:?} names region {:?}, which has no [regions.*] table",
                                p.name,
                                region.get_ref()
                            ),
                        )
                    })?;
                if !technologies.contains_key(tech.get_ref()) {
                    return self.fail(
                        tech.span(),
                        self.unknown_technology(tech.get_ref(), technologies),
                    );
                }
                techs.insert(r.region, vec![(tech.get_ref().clone(), 1.0)]);
            }
            phases.push(Phase {
                name: p.name.clone(),
                year: p.year,
                fleet_scale: self.within(&p.fleet_scale, "fleet_scale", 0.0, 100.0)?,
                technologies: techs,
                commercials: match &p.commercials {
                    Some(c) => Some(self.commercials(c)?),
                    None => commercials.clone(),
                },
            });
        }
        Ok(phases)
    }
}

/// Parses `HH:MM` into seconds after midnight.
fn parse_clock(s: &str) -> Option<i64> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 3600 + m * 60)
}

/// Meters of the fuel a class addresses, out of a cell's electricity and gas meters.
pub fn meters_for(fuel: Fuel, electricity: u32, gas: u32) -> u32 {
    match fuel {
        Fuel::Electricity => electricity,
        Fuel::Gas => gas,
        Fuel::Any => electricity + gas,
    }
}

#[cfg(test)]
mod tests;
