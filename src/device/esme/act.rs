//! What an electricity meter does with the commands that change it: supply, payment mode,
//! top-ups, its billing calendar, its MPANs, its maximum demand period and registers, its
//! messages and restrictions.

use chrono::{DateTime, Utc};

use super::{CALENDARS_KEPT, CREDIT_LEDGER_LEN, Esme, MeterPoint, REFUSED, Reply, SupplyState};
use crate::device::configuration::{Prepayment, Voltage};
use crate::device::{
    ADJUSTMENTS_KEPT, Balance, BalanceUpdate, PaymentMode, PendingChange, period_of,
};
use crate::protocol::gbcs::payload::behaviours::single_phase_has;
use crate::protocol::gbcs::payload::{
    self, Activation, CS01A, ECS01A, ECS01B, ECS01C, ECS01D, ECS02, ECS03, ECS04A, ECS04B, ECS05,
    ECS07, ECS08, ECS08A, ECS09, ECS10, ECS12, ECS14, ECS15A, ECS15C, ECS16, ECS28A, ECS28B,
    ECS29A, ECS29B, ECS29C, ECS29D, ECS29E, ECS29F, ECS30, ECS30A, ECS34, ECS37, ECS38, ECS39A,
    ECS39B, ECS42, ECS43, ECS44, ECS46A, ECS46C, ECS46D, ECS47, ECS47A, ECS47E, ECS48, ECS57,
    ECS62, ECS70, ECS81, NewPaymentMode, Reading,
};

/// DLMS result the RTDS meter answers a 6.22 it does not take with (1, hardware fault).
const NOT_CONFIGURABLE: u8 = 1;

impl Esme {
    /// What the meter did with a command of use case `code` that changes it; `None` when
    /// `code` is not one.
    pub(super) fn act(
        &mut self,
        code: u16,
        reading: &Reading,
        reply: &Reply,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, super::DeviceError> {
        let (counter, to, keys) = (reply.counter, reply.seal_for.to, reply.keys);
        let now_period = period_of(now);
        Ok(Some(match (code, reading) {
            (ECS10, Reading::DisplayMessage { message }) => {
                self.extra_mut().message = Some(message.clone());
                self.log_command(now, code, true, "supplier message displayed");
                payload::set_results_response(counter, &[0]).to_bytes()
            }
            // The meter's clock is the DCC's: within the interval it is synchronised (and
            // stays as it was); outside, the meter does not adjust it.
            (ECS70, &Reading::SynchroniseClock { from, to }) => {
                let result = if (from..=to).contains(&now) {
                    self.log_command(now, code, true, "clock synchronised");
                    0
                } else {
                    let why = "clock not synchronised: its time is outside the validity interval";
                    self.log_command(now, code, false, why);
                    REFUSED
                };
                payload::clock_response(counter, now, result).to_bytes()
            }
            // Thresholds out of order would leave no medium band, or a negative one.
            (
                ECS34,
                &Reading::PowerThresholds {
                    low_medium,
                    medium_high,
                },
            ) => {
                let result = if low_medium <= medium_high {
                    self.extra_mut().power_thresholds = Some([low_medium, medium_high]);
                    self.log_command(now, code, true, "instantaneous power thresholds set");
                    0
                } else {
                    let why = "power thresholds not set: low to medium is above medium to high";
                    self.log_command(now, code, false, why);
                    REFUSED
                };
                payload::set_results_response(counter, &[result]).to_bytes()
            }
            (ECS38, &Reading::RandomisedOffsetLimit { seconds }) => {
                self.extra_mut().randomised_offset_limit = Some(seconds);
                self.log_command(now, code, true, "randomised offset limit set");
                payload::set_results_response(counter, &[0]).to_bytes()
            }
            // Each at once, held for later or cancelled ([`Esme::at_its_time`]); one result per
            // set: eight, eighteen.
            (
                ECS28A,
                Reading::LoadLimitSettings {
                    settings,
                    activation,
                },
            ) => {
                let held = |at| super::HeldLoadLimit {
                    at,
                    settings: *settings,
                    from: to,
                    counter,
                };
                let command = Timed {
                    code,
                    activation,
                    now,
                    what: "load limiting settings",
                };
                let result = self.at_its_time(
                    command,
                    |e| &mut e.pending_load_limit,
                    held,
                    |e| e.load_limit = Some(*settings),
                );
                payload::set_results_response(counter, &[result; 8]).to_bytes()
            }
            (
                ECS08 | ECS08A,
                Reading::PrepayConfiguration {
                    configuration,
                    activation,
                },
            ) => {
                let held = |at| {
                    Box::new(super::HeldPrepay {
                        at,
                        configuration: (**configuration).clone(),
                        code,
                        from: to,
                        counter,
                    })
                };
                let command = Timed {
                    code,
                    activation,
                    now,
                    what: "prepayment configuration",
                };
                let result = self.at_its_time(
                    command,
                    |e| &mut e.pending_prepay,
                    held,
                    |e| e.prepay = Some(configuration.clone()),
                );
                payload::set_results_response(counter, &[result; 18]).to_bytes()
            }
            (ECS01A | ECS01B | ECS01C | ECS01D, Reading::Tariff { update, activation }) => {
                let result = self.update_tariff(update, activation, (to, counter), now);
                super::plain(payload::configuration_response(
                    counter,
                    code,
                    reading,
                    |_| result,
                ))?
            }
            // Recorded as set; dccsim's meters do not recover debt from the balance.
            (ECS07, Reading::UpdateDebt(debt)) => {
                self.extra_mut().debt = Some(*debt);
                self.log_command(now, code, true, "debt updated");
                let results = |_: &[u8; 6]| 0;
                super::plain(payload::configuration_response(
                    counter, code, reading, results,
                ))?
            }
            (ECS28B, Reading::ResetLoadLimitCounter) => {
                self.extra_mut().load_limit_counter_from = now_period;
                self.log_command(now, code, true, "load limit counter reset");
                payload::action_results_response(counter, &[0]).to_bytes()
            }
            // A single-phase meter: the settings of phases 2 and 3 it does not have (object
            // undefined), the rest it takes.
            (ECS29A | ECS29B | ECS29C | ECS29D, Reading::VoltageSettings(v)) => {
                let extra = self.extra_mut();
                extra.voltage = Some(Voltage {
                    limits: v.limits,
                    average: v.phases[0],
                });
                if v.reset_counters {
                    extra.voltage_counters_from = now_period;
                }
                let what = if v.reset_counters {
                    "voltage settings updated, sag and swell counters reset"
                } else {
                    "voltage settings updated"
                };
                self.log_command(now, code, true, what);
                single_phase_results(counter, code, reading)?
            }
            (ECS29E | ECS29F, Reading::ResetVoltageCounters { .. }) => {
                self.extra_mut().voltage_counters_from = now_period;
                self.log_command(now, code, true, "sag and swell counters reset");
                single_phase_results(counter, code, reading)?
            }
            (ECS81, &Reading::SupplyTamperState { locked }) => {
                self.extra_mut().tamper_locked = Some(locked);
                let what = if locked {
                    "supply tamper state set: locked"
                } else {
                    "supply tamper state set: unchanged on tamper"
                };
                self.log_command(now, code, true, what);
                payload::set_results_response(counter, &[0]).to_bytes()
            }
            // The filter the use case names takes the change: the codes named, enabled or
            // disabled; the rest as they were. A single-phase meter has no poly-phase alerts to
            // configure: a change naming one it refuses whole (1, as the RTDS meter answers).
            (code, Reading::AlertBehaviour(change))
                if let Some((party, behaviour)) = payload::behaviours::configured_by(code) =>
            {
                let mut behaviours = *self.alert_behaviours();
                let (on, off) = change.codes();
                let foreign = on.iter().chain(&off).find(|&&c| !single_phase_has(c));
                let filter = behaviours.filter_mut(party, behaviour);
                let result = match (foreign, filter) {
                    (None, Some(filter)) => {
                        *filter = change.apply(*filter);
                        self.extra_mut().alert_behaviours = Some(Box::new(behaviours));
                        self.log_command(now, code, true, "event and alert behaviours set");
                        0
                    }
                    (Some(c), _) => {
                        let why = format!(
                            "event and alert behaviours not set: {c:04X} is a poly-phase \
                             meter's alert"
                        );
                        self.log_command(now, code, false, why);
                        NOT_CONFIGURABLE
                    }
                    (None, None) => REFUSED,
                };
                payload::set_results_response(counter, &[result]).to_bytes()
            }
            // dccsim's meters are single-rate with no block thresholds: the counters are kept
            // as the commands leave them, but no read shows them.
            (ECS48, &Reading::DailyBlockCounterReset { daily }) => {
                self.extra_mut().daily_block_reset = daily;
                let what = if daily {
                    "tariff block counter matrix reset daily"
                } else {
                    "tariff block counter matrix not reset daily"
                };
                self.log_command(now, code, true, what);
                payload::set_results_response(counter, &[0]).to_bytes()
            }
            // The HAN ids at once; the calendar at its time.
            (
                ECS46C | ECS46D,
                Reading::AuxiliaryCalendar {
                    calendar,
                    activation,
                },
            ) => {
                let loads = super::Extra::auxiliary_mut;
                loads(self.extra_mut()).set_switch_ids(&calendar.switch_ids);
                let held =
                    |at| super::auxiliary::HeldCalendar::new(at, code, calendar, to, counter);
                let command = Timed {
                    code,
                    activation,
                    now,
                    what: "auxiliary load calendar",
                };
                let result = self.at_its_time(
                    command,
                    |e| &mut loads(e).pending,
                    held,
                    |e| loads(e).take_up(calendar),
                );
                let answer = payload::configuration_response(counter, code, reading, |_| result);
                super::plain(answer)?
            }
            (ECS46A | ECS47 | ECS62 | ECS47A | ECS47E, _) => {
                let Some(what) = self.extra_mut().auxiliary_mut().apply(code, reading, now) else {
                    return Ok(None);
                };
                self.log_command(now, code, true, what);
                let answer = payload::configuration_response(counter, code, reading, |_| 0);
                super::plain(answer)?
            }
            (ECS05, Reading::ResetBlockCounters) => {
                self.extra_mut().block_counters_reset = Some(now);
                self.log_command(now, code, true, "tariff block counter matrix reset");
                payload::action_results_response(counter, &[0]).to_bytes()
            }
            (ECS16, Reading::SupplierName { name, telephone }) => {
                self.extra_mut().supplier = Some((name.clone(), telephone.clone()));
                self.log_command(now, code, true, "supplier name updated");
                payload::set_results_response(counter, &[0, 0]).to_bytes()
            }
            // Data recorded before the restriction (the previous tenant's) is given to no one;
            // the half-hour under way when it was set, whole.
            // A time its clock cannot hold it refuses: taken as period 0, it would lift the
            // restriction asked for.
            (ECS12, Reading::RestrictData { from }) => {
                let result = if payload::to_gbcs_seconds(*from).is_some() {
                    self.extra_mut().restricted_from = Some(period_of(*from));
                    self.log_command(now, code, true, "data restricted for change of tenancy");
                    0
                } else {
                    let why = "data not restricted: a time outside the meter's clock";
                    self.log_command(now, code, false, why);
                    REFUSED
                };
                payload::set_results_response(counter, &[result]).to_bytes()
            }
            (ECS30 | ECS30A, Reading::BillingCalendar { executions }) => {
                let extra = self.extra_mut();
                if let Some(old) = extra.billing_calendar.take() {
                    extra
                        .earlier_calendars
                        .push((extra.billing_calendar_from, old));
                    let over = extra.earlier_calendars.len().saturating_sub(CALENDARS_KEPT);
                    extra.earlier_calendars.drain(..over);
                }
                extra.billing_calendar = Some(executions.clone());
                extra.billing_calendar_from = now_period;
                self.log_command(now, code, true, "billing calendar updated");
                payload::set_results_response(counter, &[0]).to_bytes()
            }
            (ECS37, Reading::MaxDemandPeriod { start, end }) => {
                self.set_max_demand_period(*start, *end, now);
                self.log_command(
                    now,
                    code,
                    true,
                    "maximum demand configurable time period set",
                );
                payload::set_results_response(counter, &[0]).to_bytes()
            }
            (ECS57, Reading::ResetMaxDemand { registers }) => {
                self.reset_max_demand(registers, now);
                self.log_command(now, code, true, "maximum demand registers reset");
                payload::action_results_response(counter, &vec![0; registers.len()]).to_bytes()
            }
            (ECS14, Reading::DisablePrivacyPin) => {
                self.extra_mut().privacy_pin_disabled = true;
                self.log_command(now, code, true, "privacy PIN protection disabled");
                payload::set_results_response(counter, &[0]).to_bytes()
            }
            // The log starts again from the command that cleared it.
            (ECS15C, Reading::ClearEventLog) => {
                self.extra_mut().auxiliary_mut().clear_log();
                self.log_command(now, code, true, "ALCS event log cleared");
                payload::outcome_response(counter, false, 0).to_bytes()
            }
            (ECS15A, Reading::ClearEventLog) => {
                self.events.clear();
                self.log_command(now, code, true, "event log cleared");
                payload::outcome_response(counter, false, 0).to_bytes()
            }
            (ECS42 | ECS43, Reading::Supply { enable, .. }) => {
                let p = now_period;
                if *enable {
                    self.supply_record_changed();
                    if let Some(open) = self.off.iter_mut().find(|(_, to)| *to == u32::MAX) {
                        open.1 = p;
                    }
                    self.supply = SupplyState::Enabled;
                    self.log_command(now, code, true, "supply enabled");
                } else if self.supply != SupplyState::Disabled {
                    self.supply_record_changed();
                    self.off.push((p, u32::MAX));
                    self.supply = SupplyState::Disabled;
                    self.log_command(now, code, true, "supply disabled");
                }
                payload::outcome_response(counter, false, 0).to_bytes()
            }
            // A disabled supply made ready for the consumer to reconnect; an enabled one is left
            // as it is.
            (ECS44, Reading::Supply { .. }) => {
                let what = if self.supply == SupplyState::Disabled {
                    self.supply = SupplyState::Armed;
                    "supply armed"
                } else {
                    "supply arm: not disabled, left as it was"
                };
                self.log_command(now, code, true, what);
                payload::outcome_response(counter, false, 0).to_bytes()
            }
            (
                ECS02 | ECS03,
                Reading::PaymentMode {
                    mode, activation, ..
                },
            ) => {
                let sets = if code == ECS03 { 5 } else { 3 };
                let settings = Prepayment::of(mode);
                let mode = match mode {
                    NewPaymentMode::Credit => PaymentMode::Credit,
                    NewPaymentMode::Prepayment { .. } => PaymentMode::Prepayment,
                };
                // Held until a time the meter's clock can hold, or carried out now.
                let held = match activation {
                    Activation::At(t) if *t > now => Some(payload::to_gbcs_seconds(*t)),
                    _ => None,
                };
                let result =
                    if (code == ECS03) != (mode == PaymentMode::Prepayment) || held == Some(None) {
                        REFUSED
                    } else {
                        // The meter holds one change: a new command replaces it.
                        let held_before = self.extra.as_mut().and_then(|e| {
                            e.pending_prepayment = None;
                            e.pending.take()
                        });
                        if held_before.is_some() {
                            let what = if *activation == Activation::Cancel {
                                "future-dated payment mode change cancelled"
                            } else {
                                "future-dated payment mode change superseded"
                            };
                            self.log_command(now, code, true, what);
                        }
                        match (activation, held.flatten()) {
                            (Activation::Cancel, _) => {}
                            (_, Some(at)) => {
                                let extra = self.extra_mut();
                                extra.pending = Some(PendingChange {
                                    at,
                                    mode,
                                    code,
                                    from: to,
                                    counter,
                                    configuration: None,
                                });
                                extra.pending_prepayment = settings;
                            }
                            _ => self.change_mode(mode, settings, code, now),
                        }
                        0
                    };
                payload::set_results_response(counter, &vec![result; sets]).to_bytes()
            }
            (ECS04A, &Reading::AdjustBalance { amount }) => {
                self.update_balance(BalanceUpdate::Adjust(amount.into()), code, now);
                payload::outcome_response(counter, false, 0).to_bytes()
            }
            // One result per credit set to nought.
            (ECS04B, Reading::ResetBalance) => {
                self.update_balance(BalanceUpdate::Set(0), code, now);
                payload::action_results_response(counter, &[0; 3]).to_bytes()
            }
            // Offered below its threshold to a meter in prepayment mode not already using it.
            (ECS09, Reading::ActivateEmergencyCredit) => {
                let p = period_of(now).max(self.balance.period);
                let configuration = self.prepay_configuration();
                let (limit, threshold) = (
                    configuration.emergency_credit_limit,
                    configuration.emergency_credit_threshold,
                );
                let balance = self.credit_milli_pence(p);
                // One run out counts as ended.
                let emergency = self.extra.as_ref().and_then(|e| e.emergency);
                let active = emergency.is_some_and(|e| e.left(balance) > 0);
                let refusal = crate::device::emergency_credit_refusal(
                    self.payment,
                    balance,
                    active,
                    (limit.into(), threshold.into()),
                );
                let result = match refusal {
                    None => {
                        self.extra_mut().emergency = Some(crate::device::EmergencyCredit {
                            from: p,
                            limit: limit.into(),
                        });
                        self.log_command(now, code, true, "emergency credit activated");
                        0
                    }
                    Some(why) => {
                        self.log_command(now, code, false, why);
                        REFUSED
                    }
                };
                payload::outcome_response(counter, false, result).to_bytes()
            }
            (CS01A, Reading::TopUp { utrn }) => {
                let credited = match self.payment {
                    PaymentMode::Prepayment => {
                        let c = self.prepay_configuration();
                        let limits = (c.max_credit_threshold.into(), c.max_meter_balance.into());
                        let balance = self.credit_milli_pence(period_of(now));
                        let fits = |pence: u32| {
                            let value = i64::from(pence) * 1000;
                            crate::device::check_top_up(value, balance, limits.0, limits.1)
                        };
                        self.top_ups
                            .credit(utrn, to, self.eui, keys, fits)
                            .map_err(Some)
                    }
                    PaymentMode::Credit => Err(None),
                };
                let result = match credited {
                    Ok(pence) => {
                        let p = period_of(now);
                        self.balance = Balance {
                            period: p,
                            milli_pence: self.credit_milli_pence(p) + i64::from(pence) * 1000,
                        };
                        self.log_command(now, code, true, "credit added");
                        self.settle_emergency_credit();
                        let credits = &mut self.extra_mut().credits;
                        let forgotten =
                            crate::device::make_room(credits, CREDIT_LEDGER_LEN, |&(at, _)| {
                                period_of(at)
                            });
                        credits.push((now, pence.saturating_mul(1000)));
                        if let Some(f) = forgotten {
                            self.ledger_from = self.ledger_from.max(f + 1);
                        }
                        0
                    }
                    Err(Some(why)) => {
                        self.extra_mut().security.push(
                            now,
                            crate::device::top_up_refused_event(&why),
                            format!("top-up refused: {why}"),
                        );
                        REFUSED
                    }
                    Err(None) => {
                        let why = "top-up refused: the meter is in credit mode";
                        self.log_command(now, code, false, why);
                        REFUSED
                    }
                };
                payload::outcome_response(counter, false, result).to_bytes()
            }
            // A single-element meter takes one import MPAN (a twin-element one's two, 26
            // digits, it refuses), or its export MPAN.
            (ECS39A | ECS39B, Reading::SetMeterPoint { digits, .. }) => {
                let result = match MeterPoint::from_digits(digits.as_bytes()) {
                    Some(m) => {
                        let (slot, which) = if code == ECS39A {
                            (&mut self.mpans.import, "import")
                        } else {
                            (&mut self.mpans.export, "export")
                        };
                        *slot = Some(m);
                        self.log_command(now, code, true, format!("{which} MPAN set"));
                        0
                    }
                    None => {
                        self.log_command(now, code, false, "MPAN not set: not 13 digits");
                        REFUSED
                    }
                };
                payload::set_results_response(counter, &[result]).to_bytes()
            }
            _ => return Ok(None),
        }))
    }

    /// Carries out a 1.5 balance update at `now`: the balance struck where the update leaves
    /// it, the change remembered for working earlier balances back, the command logged. In
    /// either payment mode (GBCS's ECS04a and ECS04b carry none).
    fn update_balance(&mut self, update: BalanceUpdate, code: u16, now: DateTime<Utc>) {
        let struck = crate::device::strike(self.balance, now, |p| self.credit_milli_pence(p));
        let (p, current) = (struck.period, struck.milli_pence);
        let updated = update.applied_to(current);
        self.balance = Balance {
            period: p,
            milli_pence: updated,
        };
        let adjustments = &mut self.extra_mut().adjustments;
        let forgotten = crate::device::make_room(adjustments, ADJUSTMENTS_KEPT, |&(p, _)| p);
        adjustments.push((p, updated - current));
        // Balances from before an update it no longer remembers are not worked back past it.
        if let Some(f) = forgotten {
            self.ledger_from = self.ledger_from.max(f + 1);
        }
        self.log_command(now, code, true, update.describe());
        self.settle_emergency_credit();
    }
}

/// A command whose settings take effect at a time: its use case, when (at once, at a time, or
/// cancelling those held), when it arrived, and what its settings are called in the log.
pub(super) struct Timed<'a> {
    pub(super) code: u16,
    pub(super) activation: &'a Activation,
    pub(super) now: DateTime<Utc>,
    pub(super) what: &'static str,
}

impl Esme {
    /// Settings a command gives with an activation time (6.4.1, 2.1): taken up now (`apply`),
    /// held until a time the meter's clock can hold (in the `slot` of what it holds, one at a
    /// time: a new command replaces the one held), or — DUIS's cancellation — the one held
    /// dropped; each logged as `what`. A time the clock cannot hold is refused, changing
    /// nothing. The result of each of the command's sets.
    pub(super) fn at_its_time<T>(
        &mut self,
        command: Timed,
        slot: impl Fn(&mut super::Extra) -> &mut Option<T>,
        held: impl FnOnce(u32) -> T,
        apply: impl FnOnce(&mut super::Extra),
    ) -> u8 {
        let Timed {
            code,
            activation,
            now,
            what,
        } = command;
        let at = match activation {
            Activation::At(t) if *t > now => Some(payload::to_gbcs_seconds(*t)),
            _ => None,
        };
        if at == Some(None) {
            let why = format!("{what} not set: a time outside the meter's clock");
            self.log_command(now, code, false, why);
            return REFUSED;
        }
        if slot(self.extra_mut()).take().is_some() {
            let done = if *activation == Activation::Cancel {
                "cancelled"
            } else {
                "superseded"
            };
            let logged = format!("future-dated {what} {done}");
            self.log_command(now, code, true, logged);
        }
        match (activation, at.flatten()) {
            (Activation::Cancel, _) => {}
            (_, Some(at)) => *slot(self.extra_mut()) = Some(held(at)),
            _ => {
                apply(self.extra_mut());
                self.log_command(now, code, true, format!("{what} updated"));
            }
        }
        0
    }
}

/// A single-phase meter's answer to a voltage command: each step done, but those on the
/// second and third phases' objects, which it does not have (object undefined).
fn single_phase_results(
    counter: u64,
    code: u16,
    reading: &Reading,
) -> Result<Vec<u8>, super::DeviceError> {
    const OBJECT_UNDEFINED: u8 = 4;
    let result = |object: &[u8; 6]| match payload::phase_of_object(object) {
        Some(phase) if phase > 0 => OBJECT_UNDEFINED,
        _ => 0,
    };
    super::plain(payload::configuration_response(
        counter, code, reading, result,
    ))
}
