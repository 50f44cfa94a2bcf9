//! Settlement from files, and the files settlement writes.
//!
//! Inputs (CSV, one header line; any bad row rejects the file with file, line and reason):
//!
//! - standing data: see [`super::standing`];
//! - half-hourly consumption as retrieved, `mpan,settlement_date,period,kwh` — rows of the
//!   settlement day and, for like-day estimation, of the same weekday a week before; a point
//!   without rows for the day was not retrieved; an empty `kwh` is a missing period;
//! - the GSP group take, `gsp_group,settlement_date,period,kwh` (optional: without it the day
//!   is aggregated but not corrected).
//!
//! Outputs: the supplier half-hourly demand report (D0397-shaped), the GSP group consumption
//! totals (D0399-shaped) and MPAN-level consumption in the DIP envelope (IF-021-shaped JSON lines).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use serde_json::json;

use super::engine::{Chunk, DayResult, NEVER, RunResult, Source};
use super::{InputError, StandingData};
use crate::model::{GspGroup, SettlementDate, SettlementPeriod};

pub const CONSUMPTION_HEADER: &str = "mpan,settlement_date,period,kwh";
pub const TAKE_HEADER: &str = "gsp_group,settlement_date,period,kwh";

/// A settlement day held in memory: read from files, or from the head-end's scheduled reads.
pub struct MemorySource {
    standing: StandingData,
    date: SettlementDate,
    /// points × periods of the day; NaN where missing.
    day: Vec<f64>,
    /// Days after the settlement day each point's data arrived ([`NEVER`]: it did not).
    arrival: Vec<u32>,
    like: HashMap<usize, Vec<f64>>,
    take: Option<BTreeMap<GspGroup, Vec<f64>>>,
    /// points × periods of true values, when known.
    truth: Option<Vec<f64>>,
}

impl MemorySource {
    /// A day whose reads are known: `day` and `truth` hold points × periods values (NaN where a
    /// period is missing), `arrival` the day after the settlement day each point's data came.
    pub fn from_reads(
        standing: StandingData,
        date: SettlementDate,
        day: Vec<f64>,
        arrival: Vec<u32>,
        truth: Option<Vec<f64>>,
    ) -> MemorySource {
        MemorySource {
            standing,
            date,
            day,
            arrival,
            like: HashMap::new(),
            take: None,
            truth,
        }
    }

    /// Reads the day from CSV files (name, text). Every row given counts as retrieved the day
    /// after the settlement day, before any run.
    pub fn from_files(
        standing: StandingData,
        date: SettlementDate,
        consumption: (&str, &str),
        take: Option<(&str, &str)>,
    ) -> Result<MemorySource, InputError> {
        let periods = usize::from(date.periods());
        let like_date = SettlementDate::new(date.date() - chrono::Duration::days(7));
        let mut day = vec![f64::NAN; standing.len() * periods];
        let mut arrival = vec![NEVER; standing.len()];
        let mut like: HashMap<usize, Vec<f64>> = HashMap::new();
        let mut seen: HashMap<(usize, SettlementDate, u8), usize> = HashMap::new();
        // The days the file holds, to say so if the day asked for is not one of them.
        let mut days = std::collections::BTreeSet::new();
        let mut first_row = 0;
        let (file, text) = consumption;
        for (line_no, fields) in rows(file, text, CONSUMPTION_HEADER, 4)? {
            let err = |m: String| InputError::new(file, line_no, m);
            let mpan = fields[0].parse().map_err(|e| err(format!("mpan: {e}")))?;
            let point = standing
                .position(mpan)
                .ok_or_else(|| err(format!("MPAN {mpan} is not in the standing data")))?;
            let (d, period) = date_period(fields[1], fields[2]).map_err(err)?;
            if let Some(first) = seen.insert((point, d, period.number()), line_no) {
                return Err(err(format!(
                    "MPAN {mpan} period {} of {d} appears twice (first on line {first})",
                    period.number()
                )));
            }
            let kwh = kwh(fields[3]).map_err(err)?;
            let p = usize::from(period.number()) - 1;
            days.insert(d.date());
            if first_row == 0 {
                first_row = line_no;
            }
            if d == date {
                day[point * periods + p] = kwh;
                arrival[point] = 1;
            } else if d == like_date {
                like.entry(point)
                    .or_insert_with(|| vec![f64::NAN; usize::from(like_date.periods())])[p] = kwh;
            }
        }
        // (Last week's data alone is a day to estimate from its like day: not refused.)
        if !days.is_empty() && !days.contains(&date.date()) && !days.contains(&like_date.date()) {
            let held = match (days.first(), days.last()) {
                (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
                (Some(a), _) => a.to_string(),
                _ => String::new(),
            };
            return Err(InputError::new(
                file,
                first_row,
                format!(
                    "no consumption for the settlement day {date} (the file holds {held}): \
                     give the day to settle with --date"
                ),
            ));
        }
        let take = match take {
            None => None,
            Some((file, text)) => {
                let mut take: BTreeMap<GspGroup, Vec<f64>> = BTreeMap::new();
                let mut seen: HashMap<(GspGroup, u8), usize> = HashMap::new();
                for (line_no, fields) in rows(file, text, TAKE_HEADER, 4)? {
                    let err = |m: String| InputError::new(file, line_no, m);
                    let gsp: GspGroup = fields[0]
                        .parse()
                        .map_err(|e| err(format!("gsp_group: {e}")))?;
                    let (d, period) = date_period(fields[1], fields[2]).map_err(err)?;
                    if d != date {
                        continue;
                    }
                    if let Some(first) = seen.insert((gsp, period.number()), line_no) {
                        return Err(err(format!(
                            "{gsp} period {} appears twice (first on line {first})",
                            period.number()
                        )));
                    }
                    let v = kwh(fields[3]).map_err(err)?;
                    if v.is_nan() {
                        return Err(err("the take needs a value".into()));
                    }
                    take.entry(gsp).or_insert_with(|| vec![f64::NAN; periods])
                        [usize::from(period.number()) - 1] = v;
                }
                let last = text.lines().count();
                for (gsp, v) in &take {
                    if let Some(p) = v.iter().position(|x| x.is_nan()) {
                        return Err(InputError::new(
                            file,
                            last,
                            format!("{gsp} has no take for period {} of {date}", p + 1),
                        ));
                    }
                }
                Some(take)
            }
        };
        Ok(MemorySource {
            standing,
            date,
            day,
            arrival,
            like,
            take,
            truth: None,
        })
    }
}

impl Source for MemorySource {
    fn standing(&self) -> &StandingData {
        &self.standing
    }

    fn date(&self) -> SettlementDate {
        self.date
    }

    fn knows_truth(&self) -> bool {
        self.truth.is_some()
    }

    fn fill(&self, chunk: &mut Chunk) {
        let n = chunk.periods;
        for k in 0..chunk.points.len() {
            let i = chunk.points[k];
            let span = i * n..(i + 1) * n;
            if let Some(truth) = &self.truth {
                chunk.truth[k * n..(k + 1) * n].copy_from_slice(&truth[span.clone()]);
            }
            if self.arrival[i] != NEVER {
                chunk.hh_day[k] = self.arrival[i];
                chunk.hh[k * n..(k + 1) * n].copy_from_slice(&self.day[span]);
            }
        }
    }

    fn like_day(&self, point: usize, out: &mut [f64]) -> Option<i64> {
        let v = self.like.get(&point)?;
        if v.len() != out.len() {
            return None;
        }
        out.copy_from_slice(v);
        Some(-6)
    }

    fn take(&self) -> Option<BTreeMap<GspGroup, Vec<f64>>> {
        self.take.clone()
    }
}

/// The data rows of a CSV file with its 1-based line numbers, after checking the header.
fn rows<'a>(
    file: &str,
    text: &'a str,
    header: &str,
    fields: usize,
) -> Result<Vec<(usize, Vec<&'a str>)>, InputError> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == header => {}
        _ => {
            return Err(InputError::new(
                file,
                1,
                format!("the first line must be the header {header}"),
            ));
        }
    }
    let mut out = Vec::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != fields {
            return Err(InputError::new(
                file,
                n + 1,
                format!("expected {fields} fields, found {}", f.len()),
            ));
        }
        out.push((n + 1, f));
    }
    Ok(out)
}

fn date_period(date: &str, period: &str) -> Result<(SettlementDate, SettlementPeriod), String> {
    let d: SettlementDate = date.parse().map_err(|e| format!("settlement_date: {e}"))?;
    let number: u8 = period
        .parse()
        .map_err(|_| format!("period {period:?} is not a number from 1 to 50"))?;
    let p = SettlementPeriod::new(d, number).map_err(|e| e.to_string())?;
    Ok((d, p))
}

fn kwh(field: &str) -> Result<f64, String> {
    if field.is_empty() {
        return Ok(f64::NAN);
    }
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("kwh {field:?} is not a number")),
    }
}

/// The supplier half-hourly demand report of a run: every supplier × BM unit × GSP group ×
/// class × period, before and after GSP group correction (kWh, + import, − export).
pub fn d0397(day: &DayResult, run: &RunResult, standing: &StandingData) -> String {
    let mut out = String::from(
        "settlement_date,run,gsp_group,supplier,bm_unit,ccc,period,uncorrected_kwh,corrected_kwh\n",
    );
    for (key, v) in &run.uncorrected {
        let c = &run.corrected[key];
        for (j, (u, c)) in v.iter().zip(c).enumerate() {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{:.3},{:.3}",
                day.date,
                run.run,
                key.gsp,
                standing.suppliers[usize::from(key.supplier)],
                standing.bm_units[usize::from(key.bm_unit)],
                key.ccc.label(),
                j + 1,
                u,
                c
            );
        }
    }
    out
}

/// The GSP group consumption totals of a run: per group and period, the take, the uncorrected
/// and correctable totals, the correction factor and the corrected total.
pub fn d0399(day: &DayResult, run: &RunResult) -> String {
    let mut out = String::from(
        "settlement_date,run,gsp_group,period,take_kwh,uncorrected_kwh,correctable_kwh,ggcf,corrected_kwh\n",
    );
    let mut corrected: BTreeMap<GspGroup, Vec<f64>> = BTreeMap::new();
    for (key, v) in &run.corrected {
        let acc = corrected
            .entry(key.gsp)
            .or_insert_with(|| vec![0.0; day.periods]);
        for (a, b) in acc.iter_mut().zip(v) {
            *a += b;
        }
    }
    for c in &run.corrections {
        for j in 0..day.periods {
            let take = c
                .take
                .as_ref()
                .map_or(String::new(), |t| format!("{:.3}", t[j]));
            let ggcf = c.ggcf[j].map_or(String::new(), |f| format!("{f:.9}"));
            let corr = corrected.get(&c.gsp).map_or(0.0, |v| v[j]);
            let _ = writeln!(
                out,
                "{},{},{},{},{},{:.3},{:.3},{},{:.3}",
                day.date,
                run.run,
                c.gsp,
                j + 1,
                take,
                c.uncorrected[j],
                c.correctable[j],
                ggcf,
                corr
            );
        }
    }
    out
}

/// MPAN-level half-hourly consumption as the data service sends it to settlement: one JSON
/// object per line in the DIP envelope (`CommonBlock` S0/S1/M0/A0/D0, `CustomBlock` with the
/// periods), needing [`super::engine::Options::keep_points`].
pub fn if021(day: &DayResult, run: &RunResult, standing: &StandingData) -> String {
    let mut out = String::new();
    let stamp = day.date.date().format("%Y%m%d");
    for (n, p) in run.points.iter().enumerate() {
        let point = &standing.points[p.point];
        let periods: Vec<serde_json::Value> = p
            .values
            .iter()
            .zip(&p.quality)
            .enumerate()
            .map(|(j, (v, q))| {
                json!({
                    "settlementPeriod": j + 1,
                    "consumption": format!("{v:.3}"),
                    "qualityFlag": if q.is_actual() { "A" } else { "E" },
                    "estimationMethod": if q.is_actual() { None } else { Some(q.code()) },
                })
            })
            .collect();
        let line = json!({
            "CommonBlock": {
                "S0": { "interfaceID": "IF-021", "schemaVersion": "001", "eventCode": ["MPANConsumption"] },
                "S1": {
                    "environmentTag": "SIM",
                    "senderUniqueReference": format!("S-IF-021-DCCSIM-SDS-{stamp}-{n:08}"),
                    "senderDIPID": "DCCSIM",
                    "senderRoleID": "SDS",
                },
                "M0": { "MPANCore": point.mpan.to_string(), "GSPGroupID": point.gsp.to_string() },
                "A0": { "primaryRecipients": ["VAS"], "secondaryRecipients": [], "always": [] },
                "D0": {
                    "transactionID": format!("T-IF-021-{stamp}-{}-{n:08}", run.run),
                    "publicationID": "IF-021",
                    "replayIndicator": false,
                },
            },
            "CustomBlock": {
                "settlementDate": day.date.to_string(),
                "settlementRun": run.run.to_string(),
                "measurementQuantityId": point.direction.quantity(),
                "supplierMPID": standing.suppliers[usize::from(point.supplier)],
                "periods": periods,
            },
        });
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The day's load shapes of a run, IF-022-shaped: per category and period the mean kWh per
/// metering point, with the sample size and whether a fallback stood in (categories with their
/// own shape only).
pub fn lss(day: &DayResult, run: &RunResult) -> String {
    let mut out = String::from(
        "settlementDate,runType,gspGroupId,marketSegmentIndicator,connectionTypeIndicator,domesticPremiseIndicator,measurementQuantityId,settlementPeriod,loadShapePeriodValue,sample,loadShapeDayTotal,loadShapeDayPeakTotal,loadShapeDayOffPeakTotal\n",
    );
    for (c, shape) in run.shapes.categories() {
        for (j, v) in shape.mean.iter().enumerate() {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{:.6},{},{:.6},{:.6},{:.6}",
                day.date,
                run.run,
                c.gsp,
                c.segment.code(),
                c.connection.code(),
                if c.domestic { 'D' } else { 'N' },
                c.direction.quantity(),
                j + 1,
                v,
                shape.sample,
                shape.day_total,
                shape.peak_total,
                shape.off_peak_total
            );
        }
    }
    out
}
