//! What a gas meter answers the commands that read it: its registers and logs, its
//! prepayment values, its billing calendar and the settings `gas_settings` lists.

use chrono::{DateTime, Utc};

use super::{
    BATTERY_LIFE_DAYS, CS10A, CS10B, DAILY_INTERVAL, DAILY_READS_KEPT, GCS13A, GCS14, GCS15B,
    GCS15C, GCS15D, GCS15E, GCS16A, GCS16B, GCS17, GCS18, GCS20R, GCS21D, GCS21J, GCS21K, GCS38,
    GCS46, GCS60, GCS60A, GCS61, GasMeter, MAX_SAMPLES, NETWORK_DATA_INTERVAL,
    NETWORK_DATA_SAMPLES, Reply, TOP_UP_LOG_LEN, Taken, Valve, not_found,
};
use crate::device::{DeviceError, is_security_event, period_of};
use crate::model::Eui64;
use crate::protocol::gbcs::gas_settings::{GasRead, GasSetting};
use crate::protocol::gbcs::gbz::{
    self, FIRMWARE_VERSION, GasPayload, LoggedEvent, PrepaySnapshotPayload, SnapshotRegisters,
    TopUpEntry, ZclValue,
};
use crate::protocol::gbcs::payload::{BillingExecution, from_gbcs_seconds, to_gbcs_seconds};

impl GasMeter {
    /// The answer to one component of a read of use case `code`, `since` the From Date-Time it
    /// carried; `None` when `code` and `ask` are not a read.
    pub(super) fn read(
        &self,
        code: u16,
        ask: &GasPayload,
        since: Option<u32>,
        now: DateTime<Utc>,
        registers: &mut Registers,
    ) -> Result<Option<Reply>, DeviceError> {
        let now_period = period_of(now);
        Ok(Some(match (code, ask) {
            (GCS38, GasPayload::ReadAttributes { attributes }) => {
                if attributes.as_slice() != [FIRMWARE_VERSION] {
                    let asked = format!("GCS38 asks for {attributes:04X?}");
                    return Err(DeviceError::Payload(asked));
                }
                Reply::Clear(GasPayload::FirmwareVersion {
                    version: self.firmware.to_string(),
                })
            }
            (GCS60 | GCS60A, GasPayload::ReadAttributes { attributes })
                if attributes.as_slice() == [gbz::BILL_TO_DATE] =>
            {
                let cost = self.bill_to_date_milli_pence(now);
                Reply::Clear(GasPayload::BillToDate {
                    value: u32::try_from(cost).unwrap_or(u32::MAX),
                })
            }
            (GCS60 | GCS60A, GasPayload::ReadPrepaymentAttributes { attributes })
                if attributes.as_slice() == [gbz::CREDIT_REMAINING] =>
            {
                let credit = self.credit_milli_pence(now_period);
                Reply::Clear(GasPayload::CreditRemaining {
                    value: credit.clamp(i32::MIN.into(), i32::MAX.into()) as i32,
                })
            }
            (GCS14, GasPayload::ReadPriceAttributes { attributes })
                if attributes.as_slice() == [gbz::PRICE_TRAILING_DIGIT, gbz::CURRENCY] =>
            {
                // Amounts to five decimal places of a pound.
                Reply::Clear(GasPayload::Currency {
                    trailing_digit: 0x50,
                    currency: gbz::POUNDS_STERLING,
                })
            }
            // The meter balance, the emergency credit left, and the debts a 2.3 recorded (not
            // recovered from the balance here).
            (GCS14, GasPayload::ReadPrepaymentAttributes { attributes })
                if attributes.as_slice() == gbz::PREPAY_VALUES =>
            {
                let credit = self.credit_milli_pence(now_period);
                let [time_1, time_2, payment] = self.debts_owed();
                let total = u64::from(time_1) + u64::from(time_2) + u64::from(payment);
                Reply::Sealed(GasPayload::PrepayValues {
                    accumulated_debt: i32::try_from(total).unwrap_or(i32::MAX),
                    emergency_credit: self.emergency_credit_at(now_period, credit, false),
                    credit_remaining: credit.clamp(i32::MIN.into(), i32::MAX.into()) as i32,
                    payment_debt: payment,
                    time_debt: [time_1, time_2],
                })
            }
            (GCS46, GasPayload::ReadAttributes { attributes })
                if attributes.as_slice() == [gbz::SITE_ID] =>
            {
                // None configured: an empty site id.
                Reply::Clear(GasPayload::SiteId {
                    mprn: self.mprn.as_deref().unwrap_or_default().to_string(),
                })
            }
            // The billing calendar the last 6.8 set.
            (GCS21D | GCS21K, GasPayload::BillingPeriodRequest { tariff_type, .. })
                if let Some((start, duration, duration_type)) = self.set_billing_calendar() =>
            {
                Reply::Clear(GasPayload::BillingPeriod {
                    provider_id: 0,
                    issuer_event_id: start,
                    start,
                    duration,
                    duration_type,
                    tariff_type: *tariff_type,
                })
            }
            // Else the meter's own: monthly, each period from midnight UTC on the first, since
            // the first such midnight at or after installation.
            (GCS21D | GCS21K, GasPayload::BillingPeriodRequest { tariff_type, .. }) => {
                use chrono::Datelike;
                let installed = crate::device::period_start(self.commissioned);
                let first = if installed.day() == 1 && self.commissioned.is_multiple_of(48) {
                    Some(installed)
                } else {
                    installed
                        .date_naive()
                        .with_day(1)
                        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .map(|t| t.and_utc())
                };
                let start = first.and_then(to_gbcs_seconds).unwrap_or(0);
                Reply::Clear(GasPayload::BillingPeriod {
                    provider_id: 0,
                    issuer_event_id: start,
                    start,
                    duration: 1,
                    duration_type: gbz::MONTHLY_UNSPECIFIED,
                    tariff_type: *tariff_type,
                })
            }
            (GCS21J, GasPayload::ReadPrepaymentAttributes { attributes })
                if attributes.as_slice() == [gbz::PAYMENT_CONTROL_CONFIGURATION] =>
            {
                Reply::Clear(GasPayload::PaymentControl {
                    configuration: self.payment_configuration(),
                })
            }
            (GCS13A, GasPayload::ReadAttributes { .. }) => Reply::Sealed(GasPayload::Registers {
                summation: self.register_litres(now_period),
                multiplier: 1,
                divisor: 1000,
                unit: 1,
                value: String::new(),
            }),
            // The network data log holds the 41 six-minute samples before the current
            // half-hour (whose gas, like the register, is not counted until it ends), since
            // installation or the last 14.1; each half-hour's gas is spread over its five. The answer starts at
            // the first held at or after the start asked (the RTDS asks from 1).
            (
                GCS18,
                &GasPayload::SampledDataRequest {
                    sample_id: sample_id @ 2,
                    start,
                    sampling_type,
                    count,
                },
            ) => {
                let interval = u32::from(NETWORK_DATA_INTERVAL);
                let slots = 1800 / interval;
                let last = now_period.saturating_mul(slots);
                let recorded = self.history.as_ref().and_then(|h| h.network_data_from);
                let first = last
                    .saturating_sub(NETWORK_DATA_SAMPLES)
                    .max(self.first_given().saturating_mul(slots))
                    .max(recorded.unwrap_or(0))
                    .max(start.div_ceil(interval));
                if first >= last || count == 0 {
                    return Ok(Some(not_found(
                        gbz::METERING_CLUSTER,
                        gbz::GET_SAMPLED_DATA,
                    )));
                }
                let samples: Vec<u32> = (first..last)
                    .take(usize::from(count))
                    .map(|slot| {
                        let litres = self.litres(slot / slots);
                        let k = slot % slots;
                        litres * (k + 1) / slots - litres * k / slots
                    })
                    .collect();
                Reply::Sealed(GasPayload::SampledData {
                    sample_id,
                    start: first * interval,
                    sampling_type,
                    interval_s: NETWORK_DATA_INTERVAL,
                    samples,
                })
            }
            (
                GCS17 | GCS61,
                &GasPayload::SampledDataRequest {
                    sample_id,
                    start,
                    sampling_type,
                    count,
                },
            ) => {
                let count = u32::from(count.min(MAX_SAMPLES));
                // After a change of tenancy, nothing from before it (3.2): the answer starts
                // at the first sample after it.
                let restricted = self.restricted_from().unwrap_or(0);
                let (interval_s, start, samples) = match (code, sample_id) {
                    (GCS17, 0) => {
                        let first = (start / 1800).max(restricted);
                        let samples = (first..first.saturating_add(count))
                            .take_while(|p| *p < now_period)
                            .map(|p| self.litres(p))
                            .collect();
                        (1800, start.max(restricted.saturating_mul(1800)), samples)
                    }
                    (GCS61, 1) => {
                        let first_day = (start / 86_400).max(restricted.div_ceil(48));
                        let samples = (first_day..first_day.saturating_add(count))
                            .take_while(|d| (d + 1) * 48 <= now_period)
                            .map(|d| (d * 48..(d + 1) * 48).map(|p| self.litres(p)).sum())
                            .collect();
                        let from = restricted.div_ceil(48).saturating_mul(86_400);
                        (DAILY_INTERVAL, start.max(from), samples)
                    }
                    (_, other) => {
                        let why = format!("sample id {other} is not kept for {code:#06X}");
                        return Err(DeviceError::Payload(why));
                    }
                };
                Reply::Sealed(GasPayload::SampledData {
                    sample_id,
                    start,
                    sampling_type,
                    interval_s,
                    samples,
                })
            }
            // The top-ups from the From Date-Time to the latest time asked, the most recent
            // first, at most the five the log holds.
            (GCS15E, &GasPayload::TopUpLogRequest { latest, count }) => {
                let entries: Vec<TopUpEntry> = self
                    .top_up_log
                    .iter()
                    .rev()
                    .take(TOP_UP_LOG_LEN)
                    .filter(|e| e.time <= latest && e.time >= since.unwrap_or(0))
                    .take(usize::from(count))
                    .cloned()
                    .collect();
                if entries.is_empty() {
                    not_found(gbz::PREPAYMENT_CLUSTER, gbz::GET_TOP_UP_LOG)
                } else {
                    Reply::Clear(GasPayload::TopUpLog {
                        command_index: 0,
                        commands: 1,
                        entries,
                    })
                }
            }
            // The general event log (CS10a) or the security log (CS10b; the top-ups refused):
            // the events in the period asked, oldest first, `count` of them (0: all) after
            // skipping `offset`; none is a Default Response, NOT_FOUND, as the RTDS meter
            // answers.
            (
                CS10A | CS10B,
                &GasPayload::EventLogRequest {
                    control,
                    event_id,
                    start,
                    end,
                    count,
                    offset,
                },
            ) => {
                let log_id = control & 0x0F;
                let security = match (code, log_id) {
                    (CS10A, gbz::GENERAL_EVENT_LOG) => false,
                    (CS10B, gbz::SECURITY_EVENT_LOG) => true,
                    _ => {
                        let why = format!("log {log_id} is not the one {code:#06X} reads");
                        return Err(DeviceError::Payload(why));
                    }
                };
                let (from, to) = (from_gbcs_seconds(start), from_gbcs_seconds(end));
                let found: Vec<LoggedEvent> = self
                    .events
                    .between(from, to)
                    .filter(|e| is_security_event(e.code) == security)
                    .map(|e| e.logged())
                    .filter(|e| event_id == 0 || e.code == event_id)
                    .map(|e| LoggedEvent {
                        log_id,
                        event_id: e.code,
                        time: to_gbcs_seconds(e.at).unwrap_or(0),
                        data: e.detail,
                    })
                    .collect();
                let matching = u16::try_from(found.len()).unwrap_or(u16::MAX);
                let wanted = if count == 0 { usize::MAX } else { count.into() };
                let entries: Vec<LoggedEvent> =
                    found.into_iter().skip(offset.into()).take(wanted).collect();
                if entries.is_empty() {
                    not_found(gbz::EVENTS_CLUSTER, gbz::GET_EVENT_LOG)
                } else {
                    // Log payload control 0, as the RTDS answer has it.
                    Reply::Clear(GasPayload::EventLog {
                        matching,
                        command_index: 0,
                        commands: 1,
                        control: 0,
                        entries,
                    })
                }
            }
            // Every event's configuration, whichever is asked (the RTDS asks 0x81FF).
            (GCS20R, GasPayload::GetEventConfiguration { .. }) => {
                Reply::Clear(GasPayload::EventConfiguration {
                    command_index: 0,
                    commands: 1,
                    entries: self.event_configuration().to_vec(),
                })
            }
            // The repayments top-ups made to debts recovered by payment, the most recent
            // first: those at or before `latest` of the debt asked (0xFF: any).
            (
                GCS15D,
                &GasPayload::DebtLogRequest {
                    latest,
                    count,
                    debt_type,
                },
            ) => {
                let entries: Vec<gbz::DebtEntry> = self
                    .history
                    .iter()
                    .flat_map(|h| h.repayments.iter().rev())
                    .filter(|e| e.time <= latest && (debt_type == 0xFF || e.debt_type == debt_type))
                    .take(usize::from(count))
                    .cloned()
                    .collect();
                if entries.is_empty() {
                    not_found(gbz::PREPAYMENT_CLUSTER, gbz::GET_DEBT_REPAYMENT_LOG)
                } else {
                    Reply::Clear(GasPayload::DebtLog {
                        command_index: 0,
                        commands: 1,
                        entries,
                    })
                }
            }
            (
                GCS15B | GCS15C,
                &GasPayload::SnapshotRequest {
                    earliest,
                    latest,
                    offset,
                    cause,
                },
            ) if matches!(
                (code, cause),
                (GCS15B, gbz::CHANGE_SNAPSHOTS) | (GCS15C, gbz::BILLING_SNAPSHOT)
            ) =>
            {
                match self.snapshot(earliest, latest, offset, cause, now_period, registers) {
                    Some(snapshot) => Reply::Sealed(snapshot),
                    None => not_found(gbz::METERING_CLUSTER, gbz::GET_SNAPSHOT),
                }
            }
            // The debts (none) and the meter balance at each change of mode (4.4.2), each
            // billing period's end (4.4.3) or each midnight (4.14).
            (
                GCS15B | GCS15C | GCS16B,
                &GasPayload::PrepaySnapshotRequest {
                    earliest,
                    latest,
                    offset,
                    cause,
                },
            ) if matches!(
                (code, cause),
                (GCS15B, gbz::CHANGE_SNAPSHOTS)
                    | (GCS15C, gbz::BILLING_SNAPSHOT)
                    | (GCS16B, gbz::DAILY_SNAPSHOT)
            ) =>
            {
                let taken = self.snapshots(earliest, latest, cause, now_period);
                match taken.iter().rev().nth(usize::from(offset)) {
                    Some(t) => Reply::Sealed(GasPayload::PrepaySnapshot {
                        id: t.id,
                        time: t.time,
                        found: taken.len().min(255) as u8,
                        command_index: 0,
                        commands: 1,
                        cause: t.cause,
                        payload: {
                            let credit = self.credit_at(t.period);
                            PrepaySnapshotPayload::DebtCreditStatus {
                                accumulated_debt: 0,
                                debts: [0; 3],
                                emergency_credit: self.emergency_credit_at(t.period, credit, true),
                                credit_remaining: credit.clamp(i32::MIN.into(), i32::MAX.into())
                                    as i32,
                            }
                        },
                    }),
                    None => not_found(gbz::PREPAYMENT_CLUSTER, gbz::GET_PREPAY_SNAPSHOT),
                }
            }
            (
                GCS16A,
                &GasPayload::SnapshotRequest {
                    earliest,
                    latest,
                    offset,
                    cause,
                },
            ) => match self.snapshot(earliest, latest, offset, cause, now_period, registers) {
                Some(snapshot) => Reply::Sealed(snapshot),
                None => not_found(gbz::METERING_CLUSTER, gbz::GET_SNAPSHOT),
            },
            _ => return Ok(None),
        }))
    }

    /// The answer to one component of a settings read (`gas_settings`): the values of the
    /// attributes it asks of its cluster, when they are those `reads` lists. `me` is the meter
    /// or its proxy, whichever was addressed.
    pub(super) fn settings(
        &self,
        code: u16,
        reads: &[GasRead],
        ask: &GasPayload,
        me: Eui64,
        now: DateTime<Utc>,
    ) -> Result<Reply, DeviceError> {
        let Some((cluster, asked)) = ask.attributes_read() else {
            let what = format!("{ask:?} is not a command of {code:#06X}");
            return Err(DeviceError::Payload(what));
        };
        let read = reads.iter().find(|r| r.is(cluster, asked)).ok_or_else(|| {
            DeviceError::Payload(format!(
                "{code:#06X} asks cluster {cluster:04X} for {asked:04X?}, not what it reads"
            ))
        })?;
        let period = period_of(now);
        let values = read.values(|s| self.setting(cluster, s, me == self.gpf, period));
        let payload = GasPayload::Settings {
            cluster,
            frame_control: read.answer_frame_control(),
            values,
        };
        Ok(if read.sealed {
            Reply::Sealed(payload)
        } else {
            Reply::Clear(payload)
        })
    }

    /// The meter's (or, `proxy`, its proxy's) value of a `cluster` attribute a settings read
    /// asks for. A single-rate tariff without blocks: everything registers in the first tier
    /// and the first block. The calorific value and conversion factor are GB's standard ones
    /// (39.5 MJ/m³, 1.02264) until a 6.6 sets others; the uncontrolled flow settings and the
    /// supply tamper and depletion states the RTDS gas meter's until a 6.7 sets others.
    fn setting(&self, cluster: u16, s: &GasSetting, proxy: bool, period: u32) -> ZclValue {
        use ZclValue::{Bytes, Unsigned};
        match (cluster, s.id) {
            (gbz::METERING_CLUSTER, 0x0100 | 0x0700) => Unsigned(self.register_litres(period)),
            (gbz::METERING_CLUSTER, 0x0302) => Unsigned(1000),
            (gbz::METERING_CLUSTER, 0x0300 | 0x0301) => Unsigned(1),
            (gbz::PRICE_CLUSTER, 0x0302..=0x0306) => {
                let (factor, factor_digit) = self.conversion_factor();
                let (value, unit, value_digit) = self.calorific_value();
                Unsigned(match s.id {
                    0x0302 => factor.into(),
                    0x0303 => factor_digit.into(),
                    0x0304 => value.into(),
                    0x0305 => unit.into(),
                    _ => value_digit.into(),
                })
            }
            (gbz::METERING_CLUSTER, 0x0B10..=0x0B15) => {
                let flow = self.uncontrolled_flow();
                Unsigned(match s.id {
                    0x0B10 => flow.threshold.into(),
                    0x0B11 => flow.unit.into(),
                    0x0B12 => flow.multiplier.into(),
                    0x0B13 => flow.divisor.into(),
                    0x0B14 => flow.stabilisation.into(),
                    _ => flow.measurement.into(),
                })
            }
            (gbz::METERING_CLUSTER, 0x0607) => Unsigned(self.supply_states().0.into()),
            (gbz::METERING_CLUSTER, 0x0608) => Unsigned(self.supply_states().1.into()),
            // ZSE supply status: 0 off, 2 on (an armed valve is opened at once here).
            (gbz::METERING_CLUSTER, 0x0014) => Unsigned(match self.valve {
                Valve::On => 2,
                Valve::Off => 0,
            }),
            // A battery lasting fifteen years from installation (an assumption: the RTDS meter
            // says 100 days, its own).
            (gbz::METERING_CLUSTER, 0x0205) => {
                let used = u64::from(period.saturating_sub(self.commissioned) / 48);
                Unsigned(BATTERY_LIFE_DAYS.saturating_sub(used))
            }
            (gbz::BASIC_CLUSTER, 0x0004) => Bytes(crate::device::MANUFACTURER.to_vec()),
            // The model, eight characters, and for the meter its EUI-64, as the RTDS devices
            // give theirs.
            (gbz::BASIC_CLUSTER, 0x0005) => {
                let (model, eui): (&[u8], _) = if proxy {
                    (crate::device::configuration::MODEL_GPF, None)
                } else {
                    (crate::device::configuration::MODEL_GSME, Some(self.gsme))
                };
                let mut bytes = format!("{:<8}", String::from_utf8_lossy(model)).into_bytes();
                bytes.extend(eui.iter().flat_map(|e| e.0));
                Bytes(bytes)
            }
            (gbz::BASIC_CLUSTER, 0x0003) => Unsigned(1),
            // An attribute the table lists that the meter holds nothing for: empty.
            _ if matches!(s.data_type, 0x41..=0x44) => Bytes(Vec::new()),
            // Tiers 2–4, blocks 2–4.
            _ => Unsigned(0),
        }
    }

    /// The snapshots the meter took for `cause` between `earliest` and `latest` (GBCS
    /// seconds), oldest first: each midnight of its daily read log (the last 31 days), each
    /// billing period's end of its billing data log (the last twelve), or, asked for changes,
    /// each change of payment mode (the last twelve; dccsim's tariffs and suppliers never
    /// change the meter's), holding the registers as the half-hour under way had them.
    fn snapshots(&self, earliest: u32, latest: u32, cause: u32, now_period: u32) -> Vec<Taken> {
        let first = earliest.div_ceil(1800).max(self.first_given());
        let last = (latest / 1800).min(now_period);
        let at_period = |m: u32| Taken {
            period: m,
            time: m * 1800,
            id: m / 48,
            cause,
        };
        if cause == gbz::CHANGE_SNAPSHOTS {
            return self
                .mode_changes()
                .iter()
                .filter(|&&t| (earliest..=latest).contains(&t) && t / 1800 >= self.first_given())
                .map(|&t| Taken {
                    period: t / 1800,
                    time: t,
                    id: t / 1800,
                    cause: gbz::CHANGE_OF_MODE_SNAPSHOT,
                })
                .collect();
        }
        if cause == gbz::BILLING_SNAPSHOT {
            // The last twelve the meter took, of those in the period asked.
            let mut ends = crate::device::billing_ends(
                &self.billing_calendar(),
                self.commissioned,
                now_period,
                BILLING_LOG_LEN,
            );
            ends.retain(|m| (first..=last).contains(m));
            return ends.into_iter().map(at_period).collect();
        }
        let first_held = (now_period / 48).saturating_sub(DAILY_READS_KEPT - 1) * 48;
        let first = first.div_ceil(48).max(first_held.div_ceil(48)) * 48;
        (first..=last / 48 * 48)
            .step_by(48)
            .map(at_period)
            .collect()
    }

    /// The meter balance at the start of `period`. Before the balance was last struck (at the
    /// last top-up, balance update or payment mode change) it is worked back from then: the
    /// gas used since added back, the top-ups and updates since taken off (of the last
    /// [`TOP_UP_LEDGER_LEN`] top-ups and [`ADJUSTMENTS_KEPT`](crate::device::ADJUSTMENTS_KEPT)
    /// updates it remembers).
    fn credit_at(&self, period: u32) -> i64 {
        let struck = self.balance.period.max(self.commissioned);
        if period > struck {
            return self.credit_milli_pence(period);
        }
        crate::device::worked_back(
            self.balance,
            struck,
            self.ledger_from,
            period,
            |r| self.cost(r),
            self.top_up_log
                .iter()
                .map(|e| (e.time / 1800, i64::from(e.amount)))
                .chain(
                    self.history
                        .iter()
                        .flat_map(|h| h.adjustments.iter().copied()),
                )
                // A repayment took its share of the top-up it came with.
                .chain(self.history.iter().flat_map(|h| {
                    h.repayments
                        .iter()
                        .map(|r| (r.time / 1800, -i64::from(r.amount)))
                })),
        )
    }

    /// The `offset`-th most recent daily snapshot (taken at midnight, UTC) between `earliest`
    /// and `latest` (GBCS seconds), of those the meter still holds at `now_period`.
    fn snapshot(
        &self,
        earliest: u32,
        latest: u32,
        offset: u8,
        cause: u32,
        now_period: u32,
        registers: &mut Registers,
    ) -> Option<GasPayload> {
        let taken = self.snapshots(earliest, latest, cause, now_period);
        let found = taken.len();
        let t = *taken.iter().rev().nth(usize::from(offset))?;
        let summation = registers.at(self, t.period);
        // A single-rate tariff without blocks: everything registers in tier 1 and block 1.
        Some(GasPayload::Snapshot {
            id: t.id,
            time: t.time,
            found: found.min(255) as u8,
            command_index: 0,
            commands: 1,
            cause: t.cause,
            registers: SnapshotRegisters::BlockTiers {
                summation,
                tiers: vec![summation, 0, 0, 0],
                tiers_and_blocks: 0x14,
                blocks: vec![summation, 0, 0, 0],
            },
        })
    }
}

/// The billing calendar dccsim's gas meters keep: monthly, each period ending at midnight UTC on
/// the first (the RTDS gas meter's is weekly, by its GCS21d answer, or six-monthly, by GCS21k's;
/// 6.2.3 reads this one).
impl GasMeter {
    /// The billing calendar the last 6.8 set: start (GBCS seconds), duration, duration type.
    fn set_billing_calendar(&self) -> Option<(u32, u32, u8)> {
        self.history.as_ref().and_then(|h| h.billing_calendar)
    }

    /// The billing calendar's execution times: those of the calendar the last 6.8 set — the
    /// time of day its first period started, and every day, the same weekday, the same day of
    /// the month, or that day every three, six or twelve months — or the meter's own.
    fn billing_calendar(&self) -> Vec<BillingExecution> {
        use chrono::{Datelike, Timelike};
        let Some((start, duration, duration_type)) = self.set_billing_calendar() else {
            return GAS_BILLING_CALENDAR.to_vec();
        };
        let t = crate::protocol::gbcs::payload::from_gbcs_seconds(start);
        let time = [t.hour() as u8, t.minute() as u8, t.second() as u8, 0];
        let on = |date| BillingExecution { time, date };
        let day = t.day() as u8;
        match (duration_type & 0x0F, duration) {
            (1, _) => vec![on([0xFF; 5])],
            (2, _) => vec![on([
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                t.weekday().number_from_monday() as u8,
            ])],
            (3, months @ 2..=12) if 12 % months == 0 => (0..12 / months)
                .map(|i| {
                    on([
                        0xFF,
                        0xFF,
                        ((t.month0() + i * months) % 12 + 1) as u8,
                        day,
                        0xFF,
                    ])
                })
                .collect(),
            _ => vec![on([0xFF, 0xFF, 0xFF, day, 0xFF])],
        }
    }
}

const GAS_BILLING_CALENDAR: [BillingExecution; 1] = [BillingExecution {
    time: [0, 0, 0, 0],
    date: [0xFF, 0xFF, 0xFF, 1, 0xFF],
}];

/// Billing periods a gas meter's billing data log keeps: twelve.
const BILLING_LOG_LEN: usize = 12;

/// Consumption registers already worked out, by period: the register at another period is
/// reached from the nearest one known by adding (or taking off) the litres between, instead of
/// summing from commissioning each time.
#[derive(Default)]
pub(super) struct Registers(std::collections::BTreeMap<u32, u64>);

impl Registers {
    fn at(&mut self, meter: &GasMeter, period: u32) -> u64 {
        let below = self.0.range(..=period).next_back().map(|(p, r)| (*p, *r));
        let above = self.0.range(period..).next().map(|(p, r)| (*p, *r));
        let litres =
            |range: std::ops::Range<u32>| range.map(|p| u64::from(meter.litres(p))).sum::<u64>();
        let register = match (below, above) {
            (Some((p, r)), Some((q, _))) if period - p <= q - period => r + litres(p..period),
            (_, Some((q, r))) => r - litres(period..q),
            (Some((p, r)), None) => r + litres(p..period),
            (None, None) => meter.register_litres(period),
        };
        self.0.insert(period, register);
        register
    }
}
