//! What a gas meter does with the commands that change it: its valve, payment mode and
//! balance, top-ups, messages, supplier, tenancy, conversion settings, event log and clock.

use chrono::{DateTime, Utc};

use super::{
    Asked, CS01B, CS11, GCS02, GCS03, GCS04, GCS06, GCS07, GCS09, GCS11, GCS20, GCS23, GCS24,
    GCS25, GCS25A, GCS28, GCS31, GCS32, GCS39, GCS40A, GCS40B, GCS40C, GCS40D, GCS41, GCS44,
    GasMeter, MODE_CHANGE_LOG_LEN, PAYMENT_MODE_SETTINGS, Reply, TOP_UP_LEDGER_LEN,
    UncontrolledFlow, Valve,
};
use crate::device::{
    Balance, BalanceUpdate, DeviceError, PaymentMode, PendingChange, TopUpRefusal,
    is_security_event, period_of,
};
use crate::protocol::gbcs::KeyStore;
use crate::protocol::gbcs::gbz::{self, GasPayload, TopUpEntry};
use crate::protocol::gbcs::payload::to_gbcs_seconds;

impl GasMeter {
    /// What the meter did with a component of a command of use case `code` that changes it,
    /// `asked` as it was; `None` when `code` and `ask` are not one.
    pub(super) fn act(
        &mut self,
        code: u16,
        ask: &GasPayload,
        asked: Asked,
        now: DateTime<Utc>,
        keys: &KeyStore,
    ) -> Result<Option<Reply>, DeviceError> {
        let Asked { from, counter, .. } = asked;
        let now_period = period_of(now);
        let wrong = || DeviceError::Payload(format!("{ask:?} is not a command of {code:#06X}"));
        Ok(Some(match (code, ask) {
            // Recorded; dccsim's meters do not recover debt from the balance.
            (GCS04, GasPayload::ChangeDebt { .. }) => {
                self.change_debt(ask)?;
                self.log_command(now, code, true, "debt updated");
                Reply::Clear(GasPayload::DefaultResponse {
                    cluster: gbz::PREPAYMENT_CLUSTER,
                    command: gbz::CHANGE_DEBT,
                    status: gbz::SUCCESS,
                })
            }
            (
                GCS32 | GCS39,
                &GasPayload::ChangeSupply {
                    event, proposed, ..
                },
            ) => {
                let p = now_period;
                let status = match (code, proposed) {
                    (GCS32, gbz::SUPPLY_OFF) => {
                        if self.valve == Valve::On {
                            self.off.push((p, u32::MAX));
                            self.valve = Valve::Off;
                            self.log_command(now, code, true, "valve closed: supply disabled");
                        }
                        gbz::SUPPLY_OFF
                    }
                    (GCS39, gbz::SUPPLY_ARMED) => {
                        if self.valve == Valve::Off {
                            // Armed: the customer opens the valve at the meter, here from the
                            // next half-hour.
                            if let Some(open) = self.off.iter_mut().find(|(_, to)| *to == u32::MAX)
                            {
                                open.1 = p + 1;
                            }
                            self.valve = Valve::On;
                            self.log_command(now, code, true, "supply armed");
                        }
                        gbz::SUPPLY_ARMED
                    }
                    _ => return Err(wrong()),
                };
                Reply::Clear(GasPayload::SupplyStatus {
                    provider: 0,
                    event,
                    implemented: crate::protocol::gbcs::payload::to_gbcs_seconds(now).unwrap_or(0),
                    status,
                })
            }
            (
                GCS02 | GCS03,
                &GasPayload::ChangePaymentMode {
                    implement_at,
                    configuration,
                    ..
                },
            ) => {
                let mode = if configuration & gbz::PREPAYMENT_ENABLED != 0 {
                    PaymentMode::Prepayment
                } else {
                    PaymentMode::Credit
                };
                if (code == GCS03) != (mode == PaymentMode::Prepayment) {
                    return Err(wrong());
                }
                let now_s = crate::protocol::gbcs::payload::to_gbcs_seconds(now).unwrap_or(0);
                // The meter holds one change: a new command replaces it.
                if self.pending.take().is_some() {
                    let what = if implement_at == gbz::CANCEL {
                        "future-dated payment mode change cancelled"
                    } else {
                        "future-dated payment mode change superseded"
                    };
                    self.log_command(now, code, true, what);
                }
                match implement_at {
                    gbz::CANCEL => {}
                    at if at > now_s => {
                        self.pending = Some(Box::new(PendingChange {
                            at,
                            mode,
                            code,
                            from,
                            counter,
                            configuration: Some(configuration),
                        }));
                    }
                    _ => self.change_mode(mode, Some(configuration), code, now),
                }
                Reply::Clear(PAYMENT_MODE_SETTINGS)
            }
            // Offered below its threshold to a meter in prepayment mode not already using it;
            // refused with a Default Response, FAILURE.
            (GCS06, GasPayload::SelectEmergencyCredit { .. }) => {
                let p = now_period.max(self.balance.period);
                let (limit, threshold) = self.emergency_credit_settings();
                let balance = self.credit_milli_pence(p);
                // One run out counts as ended.
                let emergency = self.history.as_ref().and_then(|h| h.emergency);
                let active = emergency.is_some_and(|e| e.left(balance) > 0);
                let refusal = crate::device::emergency_credit_refusal(
                    self.payment,
                    balance,
                    active,
                    (limit.into(), threshold.into()),
                );
                let status = match refusal {
                    None => {
                        self.history_mut().emergency = Some(crate::device::EmergencyCredit {
                            from: p,
                            limit: limit.into(),
                        });
                        self.log_command(now, code, true, "emergency credit activated");
                        gbz::SUCCESS
                    }
                    Some(why) => {
                        self.log_command(now, code, false, why);
                        gbz::FAILURE
                    }
                };
                Reply::Clear(GasPayload::DefaultResponse {
                    cluster: gbz::PREPAYMENT_CLUSTER,
                    command: gbz::SELECT_EMERGENCY_CREDIT,
                    status,
                })
            }
            // The name and contact details, at once (a 3.4 is future-dated by the DCC, not the
            // meter); a change of provider the meter does not take.
            (
                GCS44,
                GasPayload::ChangeOfSupplier {
                    proposed_provider: 0,
                    implement_at: 0,
                    name,
                    contact,
                    ..
                },
            ) => {
                self.history_mut().supplier = Some((name.clone(), contact.clone()));
                self.carried_out(
                    now,
                    code,
                    "supplier name updated",
                    gbz::DEVICE_MANAGEMENT_CLUSTER,
                    gbz::PUBLISH_CHANGE_OF_SUPPLIER,
                )
            }
            // At once (a 3.1 is future-dated by the DCC, not the meter), until replaced.
            (
                GCS07,
                GasPayload::DisplayMessage {
                    start: 0, message, ..
                },
            ) => {
                self.history_mut().message = Some(message.clone());
                self.carried_out(
                    now,
                    code,
                    "supplier message displayed",
                    gbz::MESSAGING_CLUSTER,
                    gbz::DISPLAY_MESSAGE,
                )
            }
            // Data recorded before the change of tenancy (the previous tenant's) is given to no
            // one; the half-hour under way then, whole. 0: now.
            (
                GCS09,
                &GasPayload::ChangeOfTenancy {
                    tariff_type: 0,
                    implement_at,
                    control: gbz::TENANCY_CHANGE_CONTROL,
                    ..
                },
            ) => {
                let from = if implement_at == 0 {
                    now_period
                } else {
                    implement_at / 1800
                };
                self.history_mut().restricted_from = Some(from);
                self.carried_out(
                    now,
                    code,
                    "data restricted for change of tenancy",
                    gbz::DEVICE_MANAGEMENT_CLUSTER,
                    gbz::PUBLISH_CHANGE_OF_TENANCY,
                )
            }
            // The conversion factor and the calorific value, each at once (a 6.6 is future-dated
            // by the DCC, not the meter), for 6.2.8 to read. The meter's own reckoning of energy
            // keeps GB's standard ones.
            (
                GCS23,
                &GasPayload::ConversionFactor {
                    start: 0,
                    factor,
                    trailing_digit,
                    ..
                },
            ) => {
                self.history_mut().conversion_factor = Some((factor, trailing_digit));
                self.carried_out(
                    now,
                    code,
                    "conversion factor updated",
                    gbz::PRICE_CLUSTER,
                    gbz::PUBLISH_CONVERSION_FACTOR,
                )
            }
            (
                GCS23,
                &GasPayload::CalorificValue {
                    start: 0,
                    value,
                    unit,
                    trailing_digit,
                    ..
                },
            ) => {
                self.history_mut().calorific_value = Some((value, unit, trailing_digit));
                self.carried_out(
                    now,
                    code,
                    "calorific value updated",
                    gbz::PRICE_CLUSTER,
                    gbz::PUBLISH_CALORIFIC_VALUE,
                )
            }
            // The billing calendar, at once, for 6.2.3 to read and the billing data log (4.4.3)
            // to take its snapshots by: the billing period's start, length and unit; the block
            // period, which dccsim's meters (of one block) take as said, acknowledged.
            (
                GCS25 | GCS25A,
                &GasPayload::BillingPeriod {
                    start,
                    duration,
                    duration_type,
                    ..
                },
            ) => {
                self.history_mut().billing_calendar = Some((start, duration, duration_type));
                self.carried_out(
                    now,
                    code,
                    "billing calendar updated",
                    gbz::PRICE_CLUSTER,
                    gbz::PUBLISH_BILLING_PERIOD,
                )
            }
            (GCS25 | GCS25A, GasPayload::BlockPeriod { .. }) => self.carried_out(
                now,
                code,
                "block period updated",
                gbz::PRICE_CLUSTER,
                gbz::PUBLISH_BLOCK_PERIOD,
            ),
            // Recording of the network data starts again from now (or the time asked, if
            // later): 4.10 gives no sample from before it. dccsim's meters record one kind,
            // the network data's (gas delivered, every six minutes, the last 41); another is
            // refused as an invalid value.
            (
                GCS31,
                &GasPayload::StartSampling {
                    start,
                    sample_type,
                    interval_s,
                    max_samples,
                    ..
                },
            ) => {
                let interval = u32::from(gbz::NETWORK_DATA_INTERVAL_S);
                let network = (0, gbz::NETWORK_DATA_INTERVAL_S, gbz::NETWORK_DATA_SAMPLES);
                if (sample_type, interval_s, max_samples) != network {
                    let why = "sampling not started: only the network data's is kept";
                    self.log_command(now, code, false, why);
                    return Ok(Some(Reply::Clear(GasPayload::DefaultResponse {
                        cluster: gbz::METERING_CLUSTER,
                        command: gbz::START_SAMPLING,
                        status: gbz::INVALID_VALUE,
                    })));
                }
                let now_slot = to_gbcs_seconds(now).unwrap_or(0).div_ceil(interval);
                self.history_mut().network_data_from = Some(now_slot.max(start.div_ceil(interval)));
                self.log_command(now, code, true, "network data recording started");
                Reply::Clear(GasPayload::StartSamplingResponse {
                    sample_id: gbz::NETWORK_DATA_SAMPLE_ID,
                })
            }
            // The uncontrolled gas flow settings, and the supply states, each at once, for 6.2.8
            // (and 6.2.4's states) to read; the uncontrolled flow and load limit states GBCS
            // fixes for a gas meter.
            (
                GCS24,
                &GasPayload::UncontrolledFlowThreshold {
                    threshold,
                    unit,
                    multiplier,
                    divisor,
                    stabilisation,
                    measurement,
                    ..
                },
            ) if divisor > 0 => {
                self.history_mut().uncontrolled_flow = Some(UncontrolledFlow {
                    threshold,
                    unit,
                    multiplier,
                    divisor,
                    stabilisation,
                    measurement,
                });
                self.carried_out(
                    now,
                    code,
                    "uncontrolled flow settings updated",
                    gbz::METERING_CLUSTER,
                    gbz::SET_UNCONTROLLED_FLOW_THRESHOLD,
                )
            }
            (
                GCS24,
                &GasPayload::SetSupplyStatus {
                    tamper: tamper @ (gbz::SUPPLY_LOCKED | gbz::SUPPLY_UNCHANGED),
                    depletion: depletion @ (gbz::SUPPLY_LOCKED | gbz::SUPPLY_UNCHANGED),
                    uncontrolled_flow: gbz::SUPPLY_LOCKED,
                    load_limit: gbz::SUPPLY_UNCHANGED,
                    ..
                },
            ) => {
                self.history_mut().supply_states = Some((tamper, depletion));
                self.log_command(
                    now,
                    code,
                    true,
                    "supply tamper and depletion states updated",
                );
                Reply::Clear(GasPayload::DefaultResponse {
                    cluster: gbz::METERING_CLUSTER,
                    command: gbz::SET_SUPPLY_STATUS,
                    status: gbz::SUCCESS,
                })
            }
            // The general event log (the security log is not cleared: 3.3 does not ask it);
            // another it does not hold, so clears none.
            (CS11, &GasPayload::ClearEventLog { log_id }) => {
                let cleared = if log_id == gbz::GENERAL_EVENT_LOG {
                    self.events.take_where(|code| !is_security_event(code));
                    self.log_command(now, code, true, "event log cleared");
                    gbz::GENERAL_EVENT_LOG_CLEARED
                } else {
                    self.log_command(now, code, false, "event log not cleared: no such log");
                    0
                };
                Reply::Clear(GasPayload::EventLogCleared { cleared })
            }
            // The events listed, at once (a 6.22 is future-dated by the DCC, not the meter); an
            // event the meter does not configure refuses the command.
            (
                GCS20,
                GasPayload::SetEventConfiguration {
                    start: 0,
                    configuration,
                    control: gbz::CONFIGURE_BY_LIST,
                    events,
                    ..
                },
            ) => {
                let mut table = self.event_configuration().to_vec();
                for id in events {
                    let Some(entry) = table.iter_mut().find(|(e, _)| e == id) else {
                        let why = format!("event {id:#06X} is not one the meter configures");
                        return Err(DeviceError::Payload(why));
                    };
                    entry.1 = *configuration;
                }
                self.history_mut().event_configuration = Some(table);
                self.carried_out(
                    now,
                    code,
                    "event configuration updated",
                    gbz::DEVICE_MANAGEMENT_CLUSTER,
                    gbz::SET_EVENT_CONFIGURATION,
                )
            }
            // An empty consumer password at once: privacy PIN protection off.
            (
                GCS11,
                GasPayload::NewPassword {
                    implement_at: 0,
                    password_type: gbz::CONSUMER_PASSWORD,
                    password,
                    ..
                },
            ) if password.is_empty() => {
                self.history_mut().privacy_pin_disabled = true;
                self.carried_out(
                    now,
                    code,
                    "privacy PIN protection disabled",
                    gbz::DEVICE_MANAGEMENT_CLUSTER,
                    gbz::REQUEST_NEW_PASSWORD_RESPONSE,
                )
            }
            // The MPRN at once; 6.2.7 (GCS46) reads it from then on.
            (GCS41, GasPayload::UpdateSiteId { at: 0, site_id, .. }) => {
                self.mprn = Some(site_id.as_str().into());
                self.carried_out(
                    now,
                    code,
                    "MPRN set",
                    gbz::DEVICE_MANAGEMENT_CLUSTER,
                    gbz::UPDATE_SITE_ID,
                )
            }
            // The type must be the use case's; the meter takes it in either payment mode (it
            // has one balance).
            (
                GCS40A | GCS40B | GCS40C | GCS40D,
                &GasPayload::CreditAdjustment {
                    adjustment,
                    value,
                    start,
                    ..
                },
            ) => {
                // GBCS GCS40a–d: carried out at once (the DCC sends no start time).
                if start != 0 {
                    return Err(DeviceError::Payload(format!(
                        "a credit adjustment's start time must be 0 (now), not {start}"
                    )));
                }
                let (update, expected) = match code {
                    GCS40A => (BalanceUpdate::Adjust(value.into()), gbz::CREDIT_INCREMENTAL),
                    GCS40B => (BalanceUpdate::Set(value.into()), gbz::CREDIT_ABSOLUTE),
                    GCS40C => (
                        BalanceUpdate::Adjust(value.into()),
                        gbz::CREDIT_MODE_INCREMENTAL,
                    ),
                    _ => (BalanceUpdate::Set(value.into()), gbz::CREDIT_MODE_ABSOLUTE),
                };
                if adjustment != expected {
                    return Err(DeviceError::Payload(format!(
                        "credit adjustment type {adjustment} is not {code:#06X}'s ({expected})"
                    )));
                }
                self.update_balance(update, code, now);
                Reply::Clear(GasPayload::DefaultResponse {
                    cluster: gbz::PREPAYMENT_CLUSTER,
                    command: gbz::CREDIT_ADJUSTMENT,
                    status: gbz::SUCCESS,
                })
            }
            (CS01B, GasPayload::TopUp { utrn, .. }) => {
                let credited = match self.payment {
                    PaymentMode::Prepayment => {
                        let c = self.prepay_configuration();
                        let limits = (c.max_per_top_up.into(), c.max_credit.into());
                        let balance = self.credit_milli_pence(now_period);
                        let fits = |pence: u32| {
                            let value = i64::from(pence) * 1000;
                            crate::device::check_top_up(value, balance, limits.0, limits.1)
                        };
                        self.top_ups.credit(utrn, from, self.gsme, keys, fits)
                    }
                    PaymentMode::Credit => Err(TopUpRefusal::Invalid(
                        "the meter is in credit mode".to_string(),
                    )),
                };
                let (result, value) = match &credited {
                    Ok(pence) => {
                        let time = to_gbcs_seconds(now).unwrap_or(0);
                        let value = i64::from(*pence) * 1000;
                        // The debts recovered by payment take their share first.
                        let repaid = self.repay_from_top_up(value, time);
                        let taken: i64 = repaid.iter().map(|r| i64::from(r.amount)).sum();
                        let b = self.credit_milli_pence(now_period) + value - taken;
                        self.balance = Balance {
                            period: now_period,
                            milli_pence: b,
                        };
                        self.log_command(now, code, true, "credit added");
                        if !repaid.is_empty() {
                            let repayments = &mut self.history_mut().repayments;
                            let forgotten =
                                crate::device::make_room(repayments, TOP_UP_LEDGER_LEN, |e| {
                                    e.time / 1800
                                });
                            repayments.extend(repaid);
                            if let Some(f) = forgotten {
                                self.ledger_from = self.ledger_from.max(f + 1);
                            }
                        }
                        self.settle_emergency_credit();
                        let amount = (*pence as i32).saturating_mul(1000);
                        let forgotten = crate::device::make_room(
                            &mut self.top_up_log,
                            TOP_UP_LEDGER_LEN,
                            |e| e.time / 1800,
                        );
                        if let Some(f) = forgotten {
                            self.ledger_from = self.ledger_from.max(f + 1);
                        }
                        self.top_up_log.push(TopUpEntry {
                            utrn: utrn.clone(),
                            amount,
                            time,
                        });
                        (TOP_UP_ACCEPTED, amount)
                    }
                    Err(why) => {
                        self.events.push(
                            now,
                            crate::device::top_up_refused_event(why),
                            format!("top-up refused: {why}"),
                        );
                        let result = match why {
                            TopUpRefusal::Invalid(_) => TOP_UP_INVALID,
                            TopUpRefusal::Duplicate(_) => TOP_UP_DUPLICATE,
                            TopUpRefusal::MaximumBalance(_) => TOP_UP_MAX_CREDIT_REACHED,
                            TopUpRefusal::TooLarge(_) => TOP_UP_TOO_LARGE,
                        };
                        // As the RTDS meter answers a refused code.
                        (result, -1)
                    }
                };
                let credit = if credited.is_ok() {
                    i32::try_from(self.credit_milli_pence(now_period)).unwrap_or(i32::MIN)
                } else {
                    -1
                };
                Reply::Clear(GasPayload::TopUpResult {
                    result,
                    value,
                    source: 0,
                    credit,
                })
            }
            _ => return Ok(None),
        }))
    }

    /// Logs command `code` as carried out (`what`) and answers it as the client of `cluster`'s
    /// `command` does: a Default Response, SUCCESS.
    fn carried_out(
        &mut self,
        now: DateTime<Utc>,
        code: u16,
        what: &str,
        cluster: u16,
        command: u8,
    ) -> Reply {
        self.log_command(now, code, true, what);
        Reply::Clear(GasPayload::DefaultResponse {
            cluster,
            command,
            status: gbz::SUCCESS,
        })
    }

    /// Changes the payment mode (with its payment control `configuration`) at `now`, keeping
    /// the credit there is.
    pub(super) fn change_mode(
        &mut self,
        mode: PaymentMode,
        configuration: Option<u16>,
        code: u16,
        now: DateTime<Utc>,
    ) {
        self.configuration = configuration;
        let struck = crate::device::strike(self.balance, now, |p| self.credit_milli_pence(p));
        let changed = self.payment != mode;
        let what = crate::device::switch_mode(&mut self.payment, &mut self.balance, struck, mode);
        self.log_command(now, code, true, what);
        self.settle_emergency_credit();
        // The change of mode billing data log (4.4.2) takes its snapshot (a command to the mode
        // the meter is in changes none).
        if changed && let Some(at) = crate::protocol::gbcs::payload::to_gbcs_seconds(now) {
            let changes = &mut self.history_mut().mode_changes;
            let over = (changes.len() + 1).saturating_sub(MODE_CHANGE_LOG_LEN);
            changes.drain(..over);
            changes.push(at);
        }
    }

    /// GCS28: the meter's clock is the DCC's, so within the interval the command gives it is
    /// synchronised (status 0) and outside it is not adjusted (status 2, as the RTDS error
    /// answer has it); either way the meter answers with its time.
    pub(super) fn synchronise_clock(
        &mut self,
        content: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, DeviceError> {
        use crate::protocol::gbcs::asn1::AsnPayload;
        let Ok(Some(AsnPayload::ClockSync { from, to })) = AsnPayload::decode(content, false)
        else {
            return Err(DeviceError::Payload(
                "GCS28 needs a SEQUENCE of two GeneralizedTimes, the validity interval".into(),
            ));
        };
        let status = if (from..=to).contains(&now) {
            self.log_command(now, GCS28, true, "clock synchronised");
            0
        } else {
            let why = "clock not synchronised: its time is outside the validity interval";
            self.log_command(now, GCS28, false, why);
            2
        };
        Ok(AsnPayload::Clock { time: now, status }.encode())
    }

    /// Carries out a 1.5 balance update at `now`: the balance struck where the update leaves
    /// it, the change remembered for working earlier balances back, the command logged.
    fn update_balance(&mut self, update: BalanceUpdate, code: u16, now: DateTime<Utc>) {
        let struck = crate::device::strike(self.balance, now, |p| self.credit_milli_pence(p));
        let (p, current) = (struck.period, struck.milli_pence);
        let updated = update.applied_to(current);
        self.balance = Balance {
            period: p,
            milli_pence: updated,
        };
        let adjustments = &mut self.history_mut().adjustments;
        let forgotten =
            crate::device::make_room(adjustments, crate::device::ADJUSTMENTS_KEPT, |&(p, _)| p);
        adjustments.push((p, updated - current));
        // Balances from before an update it no longer remembers are not worked back past it.
        if let Some(f) = forgotten {
            self.ledger_from = self.ledger_from.max(f + 1);
        }
        self.log_command(now, code, true, update.describe());
        self.settle_emergency_credit();
    }
}

/// ConsumerTopUpResponse result types.
const TOP_UP_ACCEPTED: u8 = 0x00;
const TOP_UP_INVALID: u8 = 0x01;
const TOP_UP_DUPLICATE: u8 = 0x02;
const TOP_UP_MAX_CREDIT_REACHED: u8 = 0x04;
const TOP_UP_TOO_LARGE: u8 = 0x06;
