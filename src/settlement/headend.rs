//! Settlement fed by the head-end: the DCC-scheduled 4.8.1 reads of `dccsim serve`'s virtual
//! fleet, made as real GBCS. For each electricity meter of the embedded default fleet, the day
//! after the settlement day, the head-end builds an ECS22b command for the day's profile on behalf
//! of the registered supplier, MACs it as the Access Control Broker, and hands the bytes to the
//! virtual meter; the meter's answer is checked (MAC) and opened with the supplier's key, and its
//! half-hourly values become the data service's input. A command or answer lost on the WAN (the
//! region's loss rate) is retried the next day. The meters' true consumption is known, so the
//! day settles against its truth as the simulator's does.

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
use crate::protocol::gbcs::payload::{ECS22B, Reading, decode_dlms, encode_command, message_for};
use crate::protocol::gbcs::{Cra, GbcsMessage, Verdict, mac_message, verify_mac};

/// Days the scheduler keeps asking for a day's profile.
const MAX_ATTEMPTS: u32 = 120;

/// What the scheduled reads brought back.
pub struct ScheduledReads {
    pub source: MemorySource,
    /// Read commands sent and answers received and opened.
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
    for (n, meter) in meters.iter_mut().enumerate() {
        let Some(record) = registry.device(meter.eui) else {
            continue;
        };
        let Some(MeterPoint::Mpan(mpan)) = &record.meter_point else {
            continue;
        };
        let Some(supplier) = record.supplier_on(date.date()) else {
            continue;
        };
        let mpan = mpan
            .parse()
            .map_err(|e| format!("registry MPAN {mpan}: {e}"))?;
        let mpid = mpid(supplier);
        let supplier_index = standing.supplier(&mpid);
        let bm_unit = standing.bm_unit(&base_bm_unit(record.gsp_group, &mpid));
        let consumer = meter.consumer;
        let domestic = consumer.kind != CustomerType::SmallBusiness;
        standing
            .push(Standing {
                mpan,
                gsp: record.gsp_group,
                segment: Segment::Smart,
                connection: Connection::WholeCurrent,
                domestic,
                direction: Direction::Import,
                energised: true,
                llfc: default_llfc(Direction::Import, domestic, false, false),
                supplier: supplier_index,
                bm_unit,
                capacity_kw: if domestic { 23.0 } else { 69.0 },
                annual_kwh: consumer.annual_wh as f32 / 1000.0,
            })
            .map_err(|e| format!("registry: {e}"))?;
        truth.extend(
            (0..periods as u32).map(|p| f64::from(meter.import_wh(first_period + p)) / 1000.0),
        );
        let loss = wan.get(&record.csp_region).map_or(0.0, |l| l.loss);
        let mut got = None;
        for attempt in 1..=MAX_ATTEMPTS {
            commands += 1;
            // The command, then the answer, each cross the WAN.
            if rng.random_bool(loss) || rng.random_bool(loss) {
                continue;
            }
            let now = end + Duration::days(i64::from(attempt) - 1) + Duration::hours(2);
            let counter = (now.timestamp() as u64) << 16 | n as u64 & 0xFFFF;
            let range = Reading::Range {
                from: Some(start),
                to: Some(end),
            };
            let content = encode_command(ECS22B, &range, counter, supplier, meter.eui)
                .ok_or("a 4.8.1 command could not be encoded")?;
            let mut m = message_for(Cra::Command, counter, supplier, meter.eui, ECS22B, content);
            mac_message(&keys, &mut m, defaults::ACB);
            let bytes = m.to_bytes().map_err(|e| format!("4.8.1 command: {e}"))?;
            let answer = meter
                .handle(&bytes, now, &keys, defaults::ACB)
                .map_err(|e| format!("meter {} refused a 4.8.1 read: {e}", meter.eui))?;
            let answer = GbcsMessage::decode(&answer).map_err(|e| format!("answer: {e}"))?;
            if verify_mac(&keys, &answer, defaults::ACB) != Verdict::Valid {
                return Err(format!("meter {}'s answer failed its MAC check", meter.eui));
            }
            let reading = decode_dlms(&answer, Some(&keys)).map_err(|e| format!("answer: {e}"))?;
            answers += 1;
            got = Some((attempt, reading));
            break;
        }
        let mut values = vec![f64::NAN; periods];
        match got {
            Some((attempt, Reading::ActiveImportProfile { intervals })) => {
                for interval in intervals {
                    let first = (interval.start - start).num_seconds().div_euclid(1800);
                    for (p, v) in (first..).zip(interval.values) {
                        if (0..periods as i64).contains(&p) {
                            values[p as usize] = f64::from(v) / 1000.0;
                        }
                    }
                }
                arrival.push(attempt);
            }
            Some((_, other)) => return Err(format!("a 4.8.1 read answered {other:?}")),
            None => arrival.push(NEVER),
        }
        day.extend(values);
    }
    Ok(ScheduledReads {
        source: MemorySource::from_reads(standing, date, day, arrival, Some(truth)),
        commands,
        answers,
    })
}

/// A four-character party id for a supplier's EUI-64 (its organisation bytes, in hex).
fn mpid(eui: Eui64) -> String {
    format!("{:02X}{:02X}", eui.0[5], eui.0[6])
}
