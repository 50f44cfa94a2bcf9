//! The figures a settlement analyst reads off a settled day: per run, the share of energy
//! settled on actual data and how the rest was estimated, the GSP group correction factors
//! against the 0.9–1.1 band, and — where the truth is known — each supplier's settlement error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::engine::DayResult;
use super::sds::Exceptions;
use super::{Method, StandingData};
use crate::model::GspGroup;

/// The band Elexon's trading operations reports treat as reasonable for a correction factor.
pub const GGCF_BAND: (f64, f64) = (0.9, 1.1);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DaySummary {
    pub date: String,
    pub periods: usize,
    /// Metering points settled.
    pub points: usize,
    pub runs: Vec<RunSummary>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunSummary {
    pub run: String,
    /// Calendar days after the settlement day.
    pub cutoff_days: u32,
    /// Share of settled energy (|kWh|) that came from actual half-hourly values.
    pub actual_energy_share: f64,
    /// Share of point-days estimated in every period.
    pub estimated_day_share: f64,
    /// Estimated periods by method (name → count).
    pub estimated_periods: BTreeMap<String, u64>,
    pub exceptions: Exceptions,
    pub gsp_groups: Vec<GgcfSummary>,
    /// Per supplier, against the truth (empty when the truth is not known).
    pub suppliers: Vec<SupplierError>,
    /// Σ |settled − true| over suppliers, GSP groups and periods ÷ Σ |true|.
    pub abs_error_share: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GgcfSummary {
    pub gsp: String,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
    /// Periods whose factor is outside 0.9–1.1.
    pub outside_band: u32,
    /// Periods with no factor: no take, or no correctable energy.
    pub uncorrectable: u32,
    /// The factor of every period (null where it could not be computed).
    pub factors: Vec<Option<f64>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SupplierError {
    pub supplier: String,
    pub true_mwh: f64,
    pub settled_mwh: f64,
    /// (settled − true) ÷ |true|.
    pub error_share: f64,
    /// Σ over GSP groups and periods of |settled − true| ÷ Σ |true|.
    pub abs_period_error_share: f64,
}

pub fn summarise(day: &DayResult, standing: &StandingData) -> DaySummary {
    let runs = day
        .runs
        .iter()
        .map(|run| {
            let stats = &run.stats;
            let estimated_periods = Method::ALL
                .iter()
                .filter(|m| stats.estimated_periods[m.position()] > 0)
                .map(|m| (m.name().to_string(), stats.estimated_periods[m.position()]))
                .collect();
            let gsp_groups = run
                .corrections
                .iter()
                .map(|c| {
                    let factors: Vec<f64> = c.ggcf.iter().flatten().copied().collect();
                    let n = factors.len();
                    GgcfSummary {
                        gsp: c.gsp.to_string(),
                        min: factors.iter().copied().reduce(f64::min),
                        mean: (n > 0).then(|| factors.iter().sum::<f64>() / n as f64),
                        max: factors.iter().copied().reduce(f64::max),
                        outside_band: factors
                            .iter()
                            .filter(|f| **f < GGCF_BAND.0 || **f > GGCF_BAND.1)
                            .count() as u32,
                        uncorrectable: (c.ggcf.len() - n) as u32,
                        factors: c.ggcf.clone(),
                    }
                })
                .collect();
            let (suppliers, abs_error_share) = supplier_errors(day, run, standing);
            RunSummary {
                run: run.run.to_string(),
                cutoff_days: run.cutoff_days,
                actual_energy_share: ratio(stats.actual_kwh, stats.total_kwh),
                estimated_day_share: ratio(stats.estimated_days as f64, stats.points as f64),
                estimated_periods,
                exceptions: stats.exceptions.clone(),
                gsp_groups,
                suppliers,
                abs_error_share,
            }
        })
        .collect();
    DaySummary {
        date: day.date.to_string(),
        periods: day.periods,
        points: day.points,
        runs,
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

/// Each supplier's settled volume against its true volume, and the overall absolute error.
fn supplier_errors(
    day: &DayResult,
    run: &super::RunResult,
    standing: &StandingData,
) -> (Vec<SupplierError>, Option<f64>) {
    if day.truth.is_empty() {
        return (Vec::new(), None);
    }
    let mut settled: BTreeMap<(GspGroup, u16), Vec<f64>> = BTreeMap::new();
    for (key, v) in &run.corrected {
        let acc = settled
            .entry((key.gsp, key.supplier))
            .or_insert_with(|| vec![0.0; day.periods]);
        for (a, b) in acc.iter_mut().zip(v) {
            *a += b;
        }
    }
    let mut per_supplier: BTreeMap<u16, (f64, f64, f64, f64)> = BTreeMap::new();
    for ((gsp, supplier), truth) in &day.truth {
        let s = settled.get(&(*gsp, *supplier));
        let acc = per_supplier.entry(*supplier).or_default();
        for (j, t) in truth.iter().enumerate() {
            let v = s.map_or(0.0, |s| s[j]);
            acc.0 += t;
            acc.1 += v;
            acc.2 += (v - t).abs();
            acc.3 += t.abs();
        }
    }
    let (abs, base) = per_supplier
        .values()
        .fold((0.0, 0.0), |(a, b), s| (a + s.2, b + s.3));
    let suppliers = per_supplier
        .into_iter()
        .map(|(supplier, (t, v, abs, base))| SupplierError {
            supplier: standing.suppliers[usize::from(supplier)].clone(),
            true_mwh: t / 1000.0,
            settled_mwh: v / 1000.0,
            error_share: ratio(v - t, base),
            abs_period_error_share: ratio(abs, base),
        })
        .collect();
    (suppliers, Some(ratio(abs, base)))
}

/// The summary as text: one table of the runs, then each run's correction factors and supplier
/// errors.
pub fn text(s: &DaySummary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Settlement of {} ({} periods, {} metering points)",
        s.date, s.periods, s.points
    );
    let _ = writeln!(
        out,
        "  run  day  on actuals  days estimated  GGCF min–max     outside 0.9–1.1  uncorrectable  |error|"
    );
    for r in &s.runs {
        let min = r.gsp_groups.iter().filter_map(|g| g.min).reduce(f64::min);
        let max = r.gsp_groups.iter().filter_map(|g| g.max).reduce(f64::max);
        let range = match (min, max) {
            (Some(a), Some(b)) => format!("{a:.4}–{b:.4}"),
            _ => "–".into(),
        };
        let outside: u32 = r.gsp_groups.iter().map(|g| g.outside_band).sum();
        let uncorrectable: u32 = r.gsp_groups.iter().map(|g| g.uncorrectable).sum();
        let error = r
            .abs_error_share
            .map_or("–".into(), |e| format!("{:.3} %", e * 100.0));
        let _ = writeln!(
            out,
            "  {:<3} {:>4}  {:>9.2} %  {:>12.2} %  {:<16} {:>15}  {:>13}  {error}",
            r.run,
            format!("+{}", r.cutoff_days),
            r.actual_energy_share * 100.0,
            r.estimated_day_share * 100.0,
            range,
            outside,
            uncorrectable,
        );
    }
    // Each run's estimates and validation findings, where they differ from the run before.
    let mut previous: Option<(&BTreeMap<String, u64>, &Exceptions)> = None;
    for r in &s.runs {
        if previous == Some((&r.estimated_periods, &r.exceptions)) {
            let _ = writeln!(
                out,
                "  {}: estimates and validation as the run before",
                r.run
            );
            continue;
        }
        previous = Some((&r.estimated_periods, &r.exceptions));
        if !r.estimated_periods.is_empty() {
            let methods: Vec<String> = r
                .estimated_periods
                .iter()
                .map(|(m, n)| format!("{m} {n}"))
                .collect();
            let _ = writeln!(out, "  {} estimated periods: {}", r.run, methods.join(", "));
        }
        let e = &r.exceptions;
        let _ = writeln!(
            out,
            "  {} validation: {} missing periods, {} negative, {} above capacity, {} zero days, {} register mismatches, {} days on a fallback shape",
            r.run,
            e.missing_periods,
            e.negative,
            e.over_capacity,
            e.zero_days,
            e.register_mismatch,
            e.fallback_shape
        );
    }
    if s.runs.iter().any(|r| !r.suppliers.is_empty()) {
        let _ = writeln!(
            out,
            "  Settlement error against the truth, by supplier (settled − true):"
        );
        let _ = writeln!(
            out,
            "    {:<6} {:>12}  {}",
            "",
            "true MWh",
            s.runs
                .iter()
                .map(|r| format!("{:>9} {:>8}", format!("{} day", r.run), "|period|"))
                .collect::<Vec<_>>()
                .join("  ")
        );
        let first = &s.runs[0].suppliers;
        for (i, sup) in first.iter().enumerate() {
            let cells: Vec<String> = s
                .runs
                .iter()
                .map(|r| {
                    let x = &r.suppliers[i];
                    format!(
                        "{:>+8.3}% {:>7.3}%",
                        x.error_share * 100.0,
                        x.abs_period_error_share * 100.0
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "    {:<6} {:>12.3}  {}",
                sup.supplier,
                sup.true_mwh,
                cells.join("  ")
            );
        }
    }
    out
}
