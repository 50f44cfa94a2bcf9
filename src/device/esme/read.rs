//! What an electricity meter answers its reads with: its registers, its logs, its settings.
//! A read changes nothing in the meter.

use chrono::{DateTime, Utc};

use super::{
    CREDIT_LOG_LEN, Esme, MeterPoint, PREPAYMENT_DAILY_LOG_LEN, REACTIVE_DIVISOR, Reply,
    VOLTAGE_CAPTURE_PERIOD_S, plain, range,
};
use crate::device::configuration::esme_settings;
use crate::device::{PaymentMode, period_of, period_start};
use crate::protocol::gbcs::payload::{
    self, ECS17A, ECS17B, ECS17C, ECS17D, ECS17E, ECS18A, ECS18B, ECS19, ECS20A, ECS20B, ECS20C,
    ECS20D, ECS21A, ECS21B, ECS21C, ECS22A, ECS22B, ECS22C, ECS23, ECS24, ECS24B, ECS26J, ECS27,
    ECS35A, ECS35B, ECS35E, ECS35F, ECS35G, ECS40, ECS45, ECS52, ECS61A, ECS61C, ECS61D, ECS61E,
    ECS66, ECS82, Interval, LoggedEvent, PowerEvent, PrepaymentEntry, Reading, Register, Unit,
};

impl Esme {
    /// The answer to a read of use case `code`; `None` when `code` is not one.
    pub(super) fn read(
        &self,
        code: u16,
        reading: &Reading,
        reply: &Reply,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, super::DeviceError> {
        let counter = reply.counter;
        let window = self.log_window(now);
        let now_period = period_of(now);
        Ok(Some(match (code, reading) {
            (ECS61A | ECS61D | ECS61E, Reading::Read) => {
                let values = self.auxiliary().values(code, now);
                plain(values.map(|v| payload::settings_response(counter, v)))?
            }
            // The period is the log's to select from; no boosts are logged.
            (ECS61C, r) => {
                range(r)?;
                let on_boost = self.auxiliary().boost();
                plain(payload::boost_response(counter, false, &[], on_boost))?
            }
            (ECS17B, Reading::Read) => {
                let active = self.import_register(now_period);
                reply.seal(Reading::ImportRegisters {
                    registers: vec![
                        Register {
                            raw: active,
                            scaler: 0,
                            unit: Unit::WattHour,
                            own_scale: true,
                        },
                        Register {
                            raw: active / 4,
                            scaler: 0,
                            unit: Unit::VarHour,
                            own_scale: true,
                        },
                    ],
                })?
            }
            // A single-rate meter's import is all on the first TOU register (and, with no
            // block thresholds, its first block).
            (ECS17D | ECS17E, Reading::Read) => {
                let mut registers = vec![0; if code == ECS17D { 48 } else { 64 }];
                registers[0] = self.import_register(now_period);
                reply.seal(Reading::TouRegisters {
                    matrices: vec![registers],
                })?
            }
            (ECS22B | ECS22A | ECS22C, r) => {
                let (from, to) = range(r)?;
                let periods = period_of(from).max(window.start)..=period_of(to).min(window.end);
                let entries = periods.filter(|p| window.contains(p)).map(|p| Interval {
                    start: period_start(p),
                    values: match code {
                        ECS22B => vec![self.import_wh(p)],
                        ECS22A => {
                            let wh = self.export_wh(p);
                            vec![wh, wh / REACTIVE_DIVISOR]
                        }
                        _ => vec![self.import_wh(p) / REACTIVE_DIVISOR],
                    },
                });
                if code == ECS22B {
                    reply.seal(Reading::ActiveImportProfile {
                        intervals: entries.collect(),
                    })?
                } else {
                    // The export and reactive profiles are not sensitive: sent in the clear.
                    plain(payload::log_response(counter, &entries.collect::<Vec<_>>()))?
                }
            }
            (ECS21A | ECS21B | ECS21C | ECS66, r) => {
                let (from, to) = range(r)?;
                // Midnights within the range whose day (the one ending there) is in the log.
                let first = period_of(from).div_ceil(48) * 48;
                let midnights = (first..=period_of(to))
                    .step_by(48)
                    .filter(|m| *m > window.start && *m <= window.end);
                match code {
                    ECS66 => {
                        let days = midnights
                            .map(|m| Interval {
                                start: period_start(m),
                                values: vec![(m - 48..m).map(|p| self.import_wh(p)).sum()],
                            })
                            .collect();
                        reply.seal(Reading::DailyConsumptionLog { days })?
                    }
                    // The prepayment daily read log holds the last 31 midnights.
                    ECS21B => {
                        let held = now_period.saturating_sub(PREPAYMENT_DAILY_LOG_LEN * 48);
                        let days = midnights
                            .filter(|m| *m > held)
                            .map(|m| self.prepayment_entry(m))
                            .collect();
                        reply.seal(Reading::PrepaymentDailyReadLog { days })?
                    }
                    ECS21C => {
                        let midnights: Vec<u32> = midnights.collect();
                        let days: Vec<Interval> = self
                            .registers_at(&midnights, |p| self.export_wh(p))
                            .zip(&midnights)
                            .map(|(wh, m)| Interval {
                                start: period_start(*m),
                                values: vec![(wh % 1_000_000_000) as u32],
                            })
                            .collect();
                        plain(payload::log_response(counter, &days))?
                    }
                    _ => {
                        let midnights: Vec<u32> = midnights.collect();
                        let days = self.registers_then(&midnights);
                        reply.seal(Reading::DailyReadLog { days })?
                    }
                }
            }
            // The billing data log: the registers and the prepayment registers at each end of
            // a billing period the billing calendar set (the last twelve) in the range.
            (ECS20C, r) => {
                let (from, to) = range(r)?;
                // After a change of tenancy, nothing from before it (3.2).
                let restricted = window.start.max(self.commissioned);
                let ends: Vec<u32> = self
                    .billing_ends(now_period)
                    .into_iter()
                    .filter(|p| (from..=to).contains(&period_start(*p)) && *p >= restricted)
                    .collect();
                let prepayment = ends.iter().map(|&p| self.prepayment_entry(p)).collect();
                reply.seal(Reading::BillingCalendarLog {
                    entries: self.registers_then(&ends),
                    prepayment,
                })?
            }
            // The change of mode billing data log: the registers and the prepayment registers
            // at each change of payment mode in the range (the last twelve), as the half-hour
            // under way had them; none from before a 3.2 restriction.
            (ECS20B, r) => {
                let (from, to) = range(r)?;
                let restricted = window.start.max(self.commissioned);
                let changes: Vec<DateTime<Utc>> = self
                    .mode_changes()
                    .iter()
                    .copied()
                    .filter(|t| (from..=to).contains(t) && period_of(*t) >= restricted)
                    .collect();
                let periods: Vec<u32> = changes.iter().map(|t| period_of(*t)).collect();
                let mut entries = self.registers_then(&periods);
                let mut prepayment = Vec::with_capacity(periods.len());
                for ((entry, p), at) in entries.iter_mut().zip(&periods).zip(&changes) {
                    entry.at = *at;
                    prepayment.push(PrepaymentEntry {
                        at: *at,
                        ..self.prepayment_entry(*p)
                    });
                }
                reply.seal(Reading::ChangeOfModeLog {
                    entries,
                    prepayment,
                })?
            }
            (ECS23, r) => {
                // The average RMS voltage log, hourly as the RTDS meter keeps it: the hours
                // starting within the range whose both half-hours are in the log.
                let (from, to) = range(r)?;
                let first = period_of(from).div_ceil(2) * 2;
                let voltages: Vec<Interval> = (first..=period_of(to))
                    .step_by(2)
                    .filter(|h| window.contains(h) && window.contains(&(h + 1)))
                    .map(|h| Interval {
                        start: period_start(h),
                        values: vec![self.consumer.voltage_v(h)],
                    })
                    .collect();
                let (sags, swells) = self.voltage_sags_and_swells(now_period);
                plain(payload::network_data_response(
                    counter,
                    sags,
                    swells,
                    &voltages,
                    VOLTAGE_CAPTURE_PERIOD_S,
                ))?
            }
            (ECS17A, Reading::Read) => {
                // The registers now: all recorded before the half-hour under way; reactive as
                // the export profile has it, a share of each half-hour's active export.
                let active = self.export_register_wh(now_period);
                let reactive: u64 = self
                    .registers_at(&[now_period], |p| self.export_wh(p) / REACTIVE_DIVISOR)
                    .sum();
                let u32_of = |wh: u64| u32::try_from(wh).unwrap_or(u32::MAX);
                payload::export_registers_response(counter, u32_of(active), u32_of(reactive))
                    .to_bytes()
            }
            (ECS17C, Reading::Read) => {
                // The average power of the half-hour under way, W.
                let watts = self.import_wh(now_period).saturating_mul(2);
                payload::active_power_response(counter, watts, watts).to_bytes()
            }
            (ECS52, Reading::Read) => {
                payload::firmware_response(counter, &self.firmware).to_bytes()
            }
            (ECS40, Reading::Read) => {
                // Each as its digits; an MPAN not set, as none.
                let digits = |m: Option<MeterPoint>| m.map(|m| m.to_string()).unwrap_or_default();
                let (import, export) = (digits(self.mpans.import), digits(self.mpans.export));
                payload::meter_points_response(counter, import.as_bytes(), export.as_bytes())
                    .to_bytes()
            }
            (ECS26J, Reading::Read) => {
                // The account is active (status 2), as on the RTDS meter.
                let prepayment = self.payment == PaymentMode::Prepayment;
                payload::account_mode_response(counter, prepayment, 2).to_bytes()
            }
            (ECS45, Reading::Read) => {
                let state = crate::protocol::dlms::Data::Enum(self.supply.control_state());
                payload::settings_response(counter, vec![state]).to_bytes()
            }
            (ECS82, Reading::Read) => {
                payload::meter_balance_response(counter, self.meter_balance(now_period)).to_bytes()
            }
            // The meter balance, the emergency credit left, and the debts as the last 2.3 set
            // them (dccsim's meters recover none: nothing has accumulated).
            (ECS19, Reading::Read) => reply.seal(Reading::PrepayValues {
                meter_balance: self.meter_balance(now_period),
                emergency_credit: self.emergency_credit_at(
                    now_period,
                    self.credit_milli_pence(now_period),
                    false,
                ),
                accumulated_debt: 0,
                payment_debt: self.debt().payment_debt,
                time_debt: self.debt().time_debts,
            })?,
            (ECS18A | ECS18B, Reading::Read) => {
                payload::settings_response(counter, self.max_demand_values(code, now_period))
                    .to_bytes()
            }
            (ECS24 | ECS24B, Reading::Read) => {
                let values = self.tariffs().read(code).unwrap_or_default();
                payload::settings_response(counter, values).to_bytes()
            }
            (ECS27, Reading::Read) => {
                let mut settings = self.settings();
                settings.load_limit_count = self.load_limit_count(now_period);
                let values = esme_settings(code, self.eui, &settings);
                plain(values.map(|v| payload::settings_response(counter, v)))?
            }
            (code, Reading::Read)
                if let Some(values) = esme_settings(code, self.eui, &self.settings()) =>
            {
                payload::settings_response(counter, values).to_bytes()
            }
            // Top-ups credited, and the debt payments there are none of.
            (ECS20A | ECS20D, r) => {
                let (from, to) = range(r)?;
                let credits = self.extra.as_ref().map_or(&[][..], |e| &e.credits[..]);
                // The log's last five.
                let entries: Vec<Interval> = credits
                    [credits.len().saturating_sub(CREDIT_LOG_LEN)..]
                    .iter()
                    .filter(|(at, _)| code == ECS20D && (from..=to).contains(at))
                    .map(|&(at, amount)| Interval {
                        start: at,
                        values: vec![amount],
                    })
                    .collect();
                plain(payload::log_response(counter, &entries))?
            }
            (ECS35A, r) => {
                let (from, to) = range(r)?;
                let events: Vec<_> = self
                    .events
                    .between(from, to)
                    .map(crate::device::Event::logged)
                    .collect();
                plain(payload::event_log_response(counter, &events))?
            }
            (ECS35B, r) => {
                let (from, to) = range(r)?;
                let events: Vec<_> = self
                    .security()
                    .between(from, to)
                    .map(|e| LoggedEvent {
                        at: e.at,
                        code: e.code,
                        detail: Vec::new(),
                    })
                    .collect();
                plain(payload::security_log_response(counter, &events))?
            }
            (ECS35F | ECS35G, r) => {
                let (from, to) = range(r)?;
                let events = self.auxiliary().events_between(from, to);
                plain(payload::alcs_event_log_response(counter, &events))?
            }
            (ECS35E, r) => {
                let (from, to) = range(r)?;
                let events: Vec<_> = self
                    .power()
                    .between(from, to)
                    .map(|e| PowerEvent {
                        at: e.at,
                        code: e.code,
                        number: e.number,
                    })
                    .collect();
                plain(payload::power_event_log_response(counter, &events))?
            }
            _ => return Ok(None),
        }))
    }
}
