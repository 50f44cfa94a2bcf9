//! Settlement fed by the head-end: the DCC-scheduled 4.8.1 and 4.8.3 reads of `dccsim serve`'s
//! virtual fleet, made as real GBCS. For each electricity meter of the embedded default fleet, the
//! day after the settlement day, the head-end builds an ECS22b command for the day's profile on
//! behalf of the registered supplier, MACs it as the Access Control Broker, and hands the bytes to
//! the virtual meter; the meter's answer is checked (MAC) and opened with the supplier's key, and
//! its half-hourly values become the data service's input. A meter with an export supplier in the
//! registry also has its export MPAN read, by an ECS22a command on the export supplier's behalf
//! (its answer is in the clear). A command or answer lost on the WAN (the region's loss rate) is
//! retried the next day. The meters' true consumption and export are known, so the day settles
//! against its truth as the simulator's does.

use chrono::{Duration, TimeZone, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::engine::NEVER;
use super::files::MemorySource;
use super::losses::default_llfc;
use super::standing::base_bm_unit;
use super::{Connection, Direction, Segment, Standing, StandingData};
use crate::device::consumption::CustomerType;
use crate::gateway::defaults;
use crate::headend::MeterPoint;
use crate::model::{Eui64, SettlementDate};
use crate::protocol::gbcs::payload::{
    ECS22A, ECS22B, Reading, decode_dlms, encode_command, message_for,
};
use crate::protocol::gbcs::{Cra, GbcsMessage, Verdict, mac_message, verify_mac};

/// Days the scheduler keeps asking for a day's profile.
const MAX_ATTEMPTS: u32 = 120;

/// What the scheduled reads brought back.
pub struct ScheduledReads {
    pub source: MemorySource,
    /// Metering points read (import, and export where a meter has an export supplier).
    pub points: u64,
    /// Read commands sent (a command or answer lost on the WAN is sent again the next day) and
    /// answers received and opened.
    pub commands: u64,
    pub answers: u64,
}

/// Reads `date` from every electricity meter of the default fleet (`premises` premises, `seed`).
pub fn scheduled_reads(
    premises: u32,
    seed: u64,
    date: SettlementDate,
) -> Result<ScheduledReads, String> {
    let keys = defaults::keys(seed).map_err(|e| format!("keys: {e}"))?;
    let start = Utc
        .timestamp_opt(date.start_unix(), 0)
        .single()
        .ok_or("settlement date out of range")?;
    let end = start + Duration::seconds(date.length_secs());
    let (registry, mut meters) = defaults::fleet(premises, seed, end + Duration::hours(2));
    let wan = defaults::wan();
    let periods = usize::from(date.periods());
    let first_period = crate::device::period_of(start);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4_8_1);
    let mut standing = StandingData::new();
    let mut day = Vec::new();
    let mut truth = Vec::new();
    let mut arrival = Vec::new();
    let (mut commands, mut answers) = (0, 0);
    // The commands' originator counters: rising with each command sent, from a time-based start.
    let mut counter = (end.timestamp() as u64) << 16;
    for meter in meters.iter_mut() {
        let Some(record) = registry.device(meter.eui) else {
            continue;
        };
        let Some(MeterPoint::Mpan(mpan)) = &record.meter_point else {
            continue;
        };
        let Some(supplier) = record.supplier_on(date.date()) else {
            continue;
        };
        let mpan: crate::model::Mpan = mpan
            .parse()
            .map_err(|e| format!("registry MPAN {mpan}: {e}"))?;
        let consumer = meter.consumer;
        let domestic = consumer.kind != CustomerType::SmallBusiness;
        // The import MPAN, then the export one if the meter has an export supplier.
        let mut points = vec![(Direction::Import, supplier, mpan)];
        if let Some(exporter) = record.export_supplier {
            points.push((Direction::Export, exporter, export_mpan(mpan)?));
        }
        for (direction, user, mpan) in points {
            let mpid = mpid(user);
            let supplier_index = standing.supplier(&mpid);
            let bm_unit = standing.bm_unit(&base_bm_unit(record.gsp_group, &mpid));
            // An export MPAN as the generated national fleet has one: about 850 kWh a year per
            // kWp, half of it used on site.
            let peak_kw = f32::from(consumer.solar_peak_w) / 1000.0;
            let (capacity_kw, annual_kwh) = match direction {
                Direction::Import => (
                    if domestic { 23.0 } else { 69.0 },
                    consumer.annual_wh as f32 / 1000.0,
                ),
                Direction::Export => (peak_kw * 1.1, peak_kw * 425.0),
            };
            standing
                .push(Standing {
                    mpan,
                    gsp: record.gsp_group,
                    segment: Segment::Smart,
                    connection: Connection::WholeCurrent,
                    domestic,
                    direction,
                    energised: true,
                    llfc: default_llfc(direction, domestic, false, false),
                    supplier: supplier_index,
                    bm_unit,
                    capacity_kw,
                    annual_kwh,
                })
                .map_err(|e| format!("registry: {e}"))?;
            let (code, use_case) = match direction {
                Direction::Import => (ECS22B, "4.8.1"),
                Direction::Export => (ECS22A, "4.8.3"),
            };
            truth.extend((0..periods as u32).map(|p| {
                let p = first_period + p;
                f64::from(match direction {
                    Direction::Import => meter.import_wh(p),
                    Direction::Export => meter.export_wh(p),
                }) / 1000.0
            }));
            let loss = wan.get(&record.csp_region).map_or(0.0, |l| l.loss);
            let mut got = None;
            for attempt in 1..=MAX_ATTEMPTS {
                commands += 1;
                // The command, then the answer, each cross the WAN.
                if rng.random_bool(loss) || rng.random_bool(loss) {
                    continue;
                }
                let now = end + Duration::days(i64::from(attempt) - 1) + Duration::hours(2);
                counter += 1;
                let range = Reading::Range {
                    from: Some(start),
                    to: Some(end),
                };
                let content = encode_command(code, &range, counter, user, meter.eui)
                    .ok_or_else(|| format!("a {use_case} command could not be encoded"))?;
                let mut m = message_for(Cra::Command, counter, user, meter.eui, code, content);
                mac_message(&keys, &mut m, defaults::ACB);
                let bytes = m
                    .to_bytes()
                    .map_err(|e| format!("{use_case} command: {e}"))?;
                let answer = meter
                    .handle(&bytes, now, &keys, defaults::ACB)
                    .map_err(|e| format!("meter {} refused a {use_case} read: {e}", meter.eui))?;
                let answer = GbcsMessage::decode(&answer).map_err(|e| format!("answer: {e}"))?;
                if verify_mac(&keys, &answer, defaults::ACB) != Verdict::Valid {
                    return Err(format!("meter {}'s answer failed its MAC check", meter.eui));
                }
                let reading =
                    decode_dlms(&answer, Some(&keys)).map_err(|e| format!("answer: {e}"))?;
                answers += 1;
                got = Some((attempt, reading));
                break;
            }
            let mut values = vec![f64::NAN; periods];
            match got {
                Some((
                    attempt,
                    Reading::ActiveImportProfile { intervals }
                    | Reading::ExportProfile { intervals },
                )) => {
                    for interval in intervals {
                        let first = (interval.start - start).num_seconds().div_euclid(1800);
                        // The first value: active energy (an export profile then has reactive).
                        if let Some(&v) = interval.values.first()
                            && (0..periods as i64).contains(&first)
                        {
                            values[first as usize] = f64::from(v) / 1000.0;
                        }
                    }
                    arrival.push(attempt);
                }
                Some((_, other)) => return Err(format!("a {use_case} read answered {other:?}")),
                None => arrival.push(NEVER),
            }
            day.extend(values);
        }
    }
    Ok(ScheduledReads {
        points: arrival.len() as u64,
        source: MemorySource::from_reads(standing, date, day, arrival, Some(truth)),
        commands,
        answers,
    })
}

/// The export MPAN of a premises whose import MPAN is `import`: the same distributor's, 9,000,000,000
/// further on in its numbering (the default fleet's import MPANs are numbered from 0).
fn export_mpan(import: crate::model::Mpan) -> Result<crate::model::Mpan, String> {
    let prefix = import.to_string()[..12]
        .parse::<u64>()
        .map_err(|e| format!("MPAN {import}: {e}"))?;
    crate::model::Mpan::from_prefix(prefix + 9_000_000_000)
        .ok_or_else(|| format!("MPAN {import} has no export MPAN in the numbering"))
}

/// A four-character party id for a supplier's EUI-64 (its organisation bytes, in hex).
fn mpid(eui: Eui64) -> String {
    format!("{:02X}{:02X}", eui.0[5], eui.0[6])
}
