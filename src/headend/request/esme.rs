//! The DLMS readings the head-end builds from a DUIS request to an electricity meter.

use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};

use super::fields::{
    alert_code, billing_time, boolean, clock_time, cosem_date, cosem_time, mpan, number, one_of,
    utc_date_time, utc_time,
};
use super::{Element, Request, RequestError};
use crate::protocol::gbcs::payload::AlertFilter;
use crate::protocol::gbcs::payload::behaviours::{self, Behaviour, Party};
use crate::protocol::gbcs::payload::{
    AverageVoltage, BehaviourChange, BillingExecution, CS01A, Debt, DebtRecovery, ECS02, ECS03,
    ECS04A, ECS04B, ECS05, ECS07, ECS08A, ECS09, ECS10, ECS12, ECS14, ECS15A, ECS15C, ECS16,
    ECS17A, ECS17B, ECS17C, ECS17D, ECS17E, ECS18A, ECS18B, ECS19, ECS20A, ECS20B, ECS20C, ECS20D,
    ECS21A, ECS21B, ECS21C, ECS22A, ECS22B, ECS22C, ECS23, ECS24, ECS24B, ECS25R1, ECS26A, ECS26B,
    ECS26C, ECS26D, ECS26E, ECS26F, ECS26J, ECS27, ECS28A, ECS28B, ECS29E, ECS30, ECS30A, ECS34,
    ECS35A, ECS35B, ECS35E, ECS35F, ECS37, ECS38, ECS39A, ECS39B, ECS40, ECS42, ECS43, ECS44,
    ECS45, ECS48, ECS52, ECS57, ECS61A, ECS61C, ECS61D, ECS61E, ECS66, ECS70, ECS81, ECS82,
    LoadLimit, MaxDemandRegister, NewPaymentMode, NonDisablementEntry, PrepayConfiguration,
    Reading, VoltageSettings,
};

impl Request {
    /// The GBCS use case (message code) and its meaning for the services the head-end carries
    /// to an electricity meter itself; `None` for the others.
    pub fn esme_command(&self) -> Result<Option<(u16, Reading)>, RequestError> {
        let text = |name: &str| self.required(name);
        let time = |name: &str| -> Result<DateTime<Utc>, RequestError> {
            utc_date_time(name, &text(name)?).map_err(|reason| RequestError { line: 0, reason })
        };
        let range = || -> Result<Reading, RequestError> {
            Ok(Reading::Range {
                from: Some(time("StartDateTime")?),
                to: Some(time("EndDateTime")?),
            })
        };
        let service = self.service.to_string();
        Ok(Some(match service.as_str() {
            "4.1.1" => (ECS17B, Reading::Read),
            "4.1.2" => (ECS17D, Reading::Read),
            "4.1.3" => (ECS17E, Reading::Read),
            "4.4.2" => (ECS20B, range()?),
            "4.4.3" => (ECS20C, range()?),
            "4.4.4" => (ECS20A, range()?),
            "4.4.5" => (ECS20D, range()?),
            "4.6.1" => (ECS21A, range()?),
            "4.14" => (ECS21B, range()?),
            "4.6.2" => (ECS21C, range()?),
            "4.8.1" => (ECS22B, range()?),
            "4.8.2" => (ECS22C, range()?),
            "4.8.3" => (ECS22A, range()?),
            "4.10" => (ECS23, range()?),
            "4.2" => (ECS17A, Reading::Read),
            "4.16" => (ECS17C, Reading::Read),
            "4.17" => (ECS66, range()?),
            "11.2" => (ECS52, Reading::Read),
            "4.18" => (ECS82, Reading::Read),
            "3.1" => (
                ECS10,
                Reading::DisplayMessage {
                    message: self.supplier_message()?,
                },
            ),
            "3.4" => {
                let (name, telephone) = self.supplier_name()?;
                (ECS16, Reading::SupplierName { name, telephone })
            }
            // 8.1.1 commissions the meter by synchronising its clock, as 6.11 does.
            "6.11" | "8.1.1" => {
                let (from, to) = self.clock_window()?;
                (ECS70, Reading::SynchroniseClock { from, to })
            }
            "2.5" => (ECS09, Reading::ActivateEmergencyCredit),
            // Each an xs:unsignedInt, W.
            "6.12" => {
                let threshold = |name: &str| number(name, &text(name)?, 0..=u32::MAX);
                let reading = Reading::PowerThresholds {
                    low_medium: threshold("LowMediumPowerThreshold")?,
                    medium_high: threshold("MediumHighPowerThreshold")?,
                };
                (ECS34, reading)
            }
            // The schema's 0 to 1,799 seconds.
            "7.12" => {
                let limit = text("RandomisedOffsetLimit")?;
                let seconds = number("RandomisedOffsetLimit", &limit, 0..=1799)?;
                (ECS38, Reading::RandomisedOffsetLimit { seconds })
            }
            "3.2" => (
                ECS12,
                Reading::RestrictData {
                    from: clock_time("RestrictionDateTime", &text("RestrictionDateTime")?)?,
                },
            ),
            // The ESME's own event log; the ALCS's, which dccsim's meters do not have, is not
            // carried.
            "3.3" => match self.body.find("ESMEEventLogType").map(|e| e.text.trim()) {
                Some("ESME") => (ECS15A, Reading::ClearEventLog),
                Some("ALCS") => (ECS15C, Reading::ClearEventLog),
                Some(_) => return Ok(None),
                None => {
                    return Err(RequestError {
                        line: 0,
                        reason: "ClearEventLog to an electricity meter needs sr:ESMEEventLogType"
                            .into(),
                    });
                }
            },
            "3.5" => (ECS14, Reading::DisablePrivacyPin),
            "6.8" => match self.billing_calendar()? {
                Some(executions) => {
                    let monthly = self.body.find("Monthly").is_some();
                    let code = if monthly { ECS30 } else { ECS30A };
                    (code, Reading::BillingCalendar { executions })
                }
                None => {
                    return Err(RequestError {
                        line: 0,
                        reason: "an electricity meter's billing calendar is an \
                                 sr:ElectricityBillingCalendar"
                            .into(),
                    });
                }
            },
            // The import MPAN, and a twin-element meter's second one after it.
            "6.20.1" => {
                let mut digits = mpan("ImportMPAN", text("ImportMPAN")?)?;
                if let Some(second) = self.body.find("SecondaryImportMPAN") {
                    digits.push_str(&mpan("SecondaryImportMPAN", second.text.trim().into())?);
                }
                let set = Reading::SetMeterPoint {
                    export: false,
                    digits,
                };
                (ECS39A, set)
            }
            "6.20.2" => {
                let set = Reading::SetMeterPoint {
                    export: true,
                    digits: mpan("ExportMPAN", text("ExportMPAN")?)?,
                };
                (ECS39B, set)
            }
            // The period's start and end, each an xs:time in UTC (an offset is converted).
            "6.18.1" => {
                let schedule = self.body.find("MaximumDemandTimePeriodSchedule");
                let time_of_day = |name: &str| -> Result<chrono::NaiveTime, RequestError> {
                    let e = schedule
                        .and_then(|s| s.find(name))
                        .ok_or_else(|| RequestError {
                            line: 0,
                            reason: format!(
                                "SetMaximumDemandConfigurableTimePeriod needs \
                             sr:MaximumDemandTimePeriodSchedule with sr:{name}"
                            ),
                        })?;
                    utc_time(name, e.text.trim()).map_err(|reason| RequestError { line: 0, reason })
                };
                let (start, end) = (time_of_day("StartTime")?, time_of_day("EndTime")?);
                (ECS37, Reading::MaxDemandPeriod { start, end })
            }
            // The registers the request names, each an empty element; none is refused.
            "6.18.2" => {
                let registers: Vec<MaxDemandRegister> = [
                    ("MaxDemandActivePowerImportValue", MaxDemandRegister::Import),
                    (
                        "MaxDemandConfigTimeActivePowerImportValue",
                        MaxDemandRegister::ConfigurableImport,
                    ),
                    ("MaxDemandActivePowerExportValue", MaxDemandRegister::Export),
                ]
                .into_iter()
                .filter(|(name, _)| self.body.find(name).is_some())
                .map(|(_, r)| r)
                .collect();
                if registers.is_empty() {
                    return Err(RequestError {
                        line: 0,
                        reason: "ResetMaximumDemandRegisters names no register to reset".into(),
                    });
                }
                (ECS57, Reading::ResetMaxDemand { registers })
            }
            "6.14.1" | "6.14.2" | "6.14.3" | "7.5" | "7.6" | "7.8" | "7.9" | "7.10" | "7.13"
            | "7.16" => {
                return self.auxiliary_command(&service);
            }
            "7.7" => (ECS61A, Reading::Read),
            "7.11" => (ECS61C, range()?),
            "7.14" => (ECS61D, Reading::Read),
            "7.15" => (ECS61E, Reading::Read),
            "4.3" => (ECS19, Reading::Read),
            "4.13" => (ECS26A, Reading::Read),
            "4.15" => (ECS27, Reading::Read),
            "4.11.1" => (ECS24, Reading::Read),
            "4.11.2" => (ECS24B, Reading::Read),
            "4.12.1" => (ECS18B, Reading::Read),
            "4.12.2" => (ECS18A, Reading::Read),
            "6.2.1" => (ECS26B, Reading::Read),
            "6.2.2" => (ECS26C, Reading::Read),
            "6.2.3" => (ECS26D, Reading::Read),
            "6.2.4" => (ECS26E, Reading::Read),
            "6.2.5" => (ECS26F, Reading::Read),
            "6.2.7" => (ECS40, Reading::Read),
            "6.2.9" => (ECS26J, Reading::Read),
            // The event log (ECS35a), the security log (ECS35b), the power event log (ECS35e).
            "6.13" => match self.body.find("LogToRead").map(|e| e.text.trim()) {
                Some("Event") => (ECS35A, range()?),
                Some("Security") => (ECS35B, range()?),
                Some("PowerEvent") => (ECS35E, range()?),
                // The supplier's; the network operator's is ECS35g, which the pipeline sends
                // for one.
                Some("ALCSEvent") => (ECS35F, range()?),
                _ => return Ok(None),
            },
            // GBCS's electricity commands carry no payment mode: an adjustment is ECS04a, a
            // reset ECS04b, whichever mode the request names.
            "1.5" => match self.update_meter_balance()?.1 {
                Some(amount) => (ECS04A, Reading::AdjustBalance { amount }),
                None => (ECS04B, Reading::ResetBalance),
            },
            "2.2" => {
                let utrn = self.body.find("UTRN").map(|e| e.text.trim().to_string());
                let utrn = utrn.ok_or_else(|| RequestError {
                    line: 0,
                    reason: "TopUpDevice needs sr:UTRN".into(),
                })?;
                (CS01A, Reading::TopUp { utrn })
            }
            "1.6" => {
                let (mode, activation) = self.update_payment_mode()?;
                let code = match mode {
                    NewPaymentMode::Credit => ECS02,
                    NewPaymentMode::Prepayment { .. } => ECS03,
                };
                // dccsim's virtual meters are single-element.
                let twin_element = false;
                (
                    code,
                    Reading::PaymentMode {
                        mode,
                        activation,
                        twin_element,
                    },
                )
            }
            "7.1" => (
                ECS42,
                Reading::Supply {
                    enable: true,
                    script: 51,
                },
            ),
            "7.2" => (
                ECS43,
                Reading::Supply {
                    enable: false,
                    script: 52,
                },
            ),
            "7.3" => (
                ECS44,
                Reading::Supply {
                    enable: false,
                    script: 54,
                },
            ),
            "7.4" => (ECS45, Reading::Read),
            // Each an xs:unsignedInt; the settings at once, at the ExecutionDateTime, or the
            // held ones cancelled.
            "6.4.1" => {
                let value = |name: &str| number(name, &text(name)?, 0..=u32::MAX);
                let disable_supply = one_of(
                    "LoadLimitSupplyState",
                    &text("LoadLimitSupplyState")?,
                    &[("Disable", true), ("Unchanged", false)],
                )?;
                let settings = LoadLimit {
                    threshold_w: value("LoadLimitPowerThreshold")?,
                    period_s: value("LoadLimitPeriod")?,
                    restoration_s: value("LoadLimitRestorationPeriod")?,
                    disable_supply,
                };
                let activation = self.activation()?;
                (
                    ECS28A,
                    Reading::LoadLimitSettings {
                        settings,
                        activation,
                    },
                )
            }
            "6.4.2" => (ECS28B, Reading::ResetLoadLimitCounter),
            "2.3" => match self.debt()? {
                Some(debt) => (ECS07, Reading::UpdateDebt(debt)),
                None => return Ok(None),
            },
            // ECS08a: every value taken up at its activation time (ECS08 would set the maximum
            // meter balance at once, even for a future-dated command).
            "2.1" => match self.prepay_configuration()? {
                Some(configuration) => {
                    let reading = Reading::PrepayConfiguration {
                        configuration: Box::new(configuration),
                        activation: self.activation()?,
                    };
                    (ECS08A, reading)
                }
                None => return Ok(None),
            },
            "6.5" => {
                let settings = self.voltage_settings()?;
                let code = settings.code().ok_or_else(|| RequestError {
                    line: 0,
                    reason: "UpdateDeviceConfigurationVoltage needs one \
                             sr:SinglePhaseVoltageSettings or three sr:PolyPhaseVoltageSettings"
                        .into(),
                })?;
                (code, Reading::VoltageSettings(settings))
            }
            // dccsim's meters are single-phase: ECS29e, the first phase's counters.
            "6.27" => (ECS29E, Reading::ResetVoltageCounters { phases: 1 }),
            "6.25" => {
                let locked = one_of(
                    "SupplyTamperState",
                    &text("SupplyTamperState")?,
                    &[("Locked", true), ("Unchanged", false)],
                )?;
                (ECS81, Reading::SupplyTamperState { locked })
            }
            "6.26" => {
                let name = "DailyTariffBlockCounterMatrixReset";
                let daily = boolean(name, &text(name)?)?;
                (ECS48, Reading::DailyBlockCounterReset { daily })
            }
            "6.22" => {
                let (code, change) = self.alert_behaviour()?;
                (code, Reading::AlertBehaviour(Box::new(change)))
            }
            // The supplier's filters; the network operator's are ECS25r2, chosen by the role.
            "6.2.10" => (ECS25R1, Reading::Read),
            "1.7" => (ECS05, Reading::ResetBlockCounters),
            "1.1.1" | "1.1.2" | "1.2.1" | "1.2.2" => match self.tariff_update()? {
                Some(update) => {
                    let code = update.code();
                    let reading = Reading::Tariff {
                        update: Box::new(update),
                        activation: self.activation()?,
                    };
                    (code, reading)
                }
                None => return Ok(None),
            },
            _ => return Ok(None),
        }))
    }

    /// A 6.22's `ConfigureAlertBehaviour` to an electricity meter: the use case setting the
    /// filter its choice names, and each alert code it lists (`x810D`…) enabled or disabled,
    /// in whichever of the choice's groups (common, single or poly-phase) it is.
    fn alert_behaviour(&self) -> Result<(u16, BehaviourChange), RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        let (choice, (party, behaviour)) = alert_behaviour_choice(self)?;
        let mut change = BehaviourChange::new(party);
        let mut phases = None;
        for group in &choice.children {
            let in_choice =
                |(name, of, ..): &&(&str, Party, bool, &[u16])| *name == group.name && *of == party;
            let Some(&(.., codes)) = behaviours::GROUPS.iter().find(in_choice) else {
                return Err(fail(format!(
                    "sr:{} in sr:{} is not one of its groups of alerts",
                    group.name, choice.name
                )));
            };
            // The network operator's: single or poly-phase, not both.
            let phase = [
                "NetworkOperatorESMESinglePhase",
                "NetworkOperatorESMEPolyPhase",
            ];
            if phase.contains(&group.name.as_str())
                && let Some(other) = phases.replace(&group.name)
            {
                return Err(fail(format!(
                    "sr:{} names both sr:{other} and sr:{}",
                    choice.name, group.name
                )));
            }
            for e in &group.children {
                let code = alert_code(&e.name)?;
                if !codes.contains(&code) {
                    return Err(fail(format!(
                        "sr:{} in sr:{} is not one of that group's alerts",
                        e.name, group.name
                    )));
                }
                let enable = match e.text.trim() {
                    "Enable" => true,
                    "Disable" => false,
                    other => {
                        return Err(fail(format!(
                            "sr:{} is {other:?}, not Enable or Disable",
                            e.name
                        )));
                    }
                };
                if change.changed.has(code) {
                    return Err(fail(format!("sr:{} is named twice", e.name)));
                }
                change.put(code, enable);
            }
        }
        if change.changed == AlertFilter::NONE {
            return Err(fail(format!(
                "sr:{} names no alert to enable or disable",
                choice.name
            )));
        }
        let code = behaviours::use_case(party, behaviour).ok_or_else(|| {
            fail(format!(
                "sr:{} is not the {}'s to set",
                choice.name,
                party.name()
            ))
        })?;
        Ok((code, change))
    }

    /// A 2.1's electricity prepayment configuration (`UpdatePrepayConfigElectricity`); `None`
    /// for a gas one. Amounts are xs:ints of the meter's currency unit, the cap an
    /// xs:unsignedShort; special days (up to 20) are numbered 1, 2, 3… in the order given (the
    /// schema's `index` attributes are not read); each calendar entry names special days among
    /// them.
    fn prepay_configuration(&self) -> Result<Option<PrepayConfiguration>, RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        let Some(elec) = self.body.find("UpdatePrepayConfigElectricity") else {
            return Ok(None);
        };
        let int = |name: &str| -> Result<i32, RequestError> {
            number(name, child(elec, name)?.text.trim(), i32::MIN..=i32::MAX)
        };
        let calendar = child(elec, "ElectricityNonDisablementCalendar")?;
        let mut special_days = Vec::new();
        let days = child(calendar, "ElectricitySpecialDays")?;
        for day in days.children.iter().filter(|c| c.name == "SpecialDay") {
            special_days.push(wildcard_date(child(day, "Date")?)?);
        }
        let mut entries = Vec::new();
        let schedules = calendar
            .children
            .iter()
            .filter(|c| c.name == "ElectricityNonDisablementSchedule");
        for schedule in schedules {
            let script = child(schedule, "NonDisablementScript")?.text.trim();
            let start = one_of(
                "NonDisablementScript",
                script,
                &[("START", true), ("STOP", false)],
            )?;
            let mut days = Vec::new();
            for id in child(schedule, "SpecialDaysApplicability")?.children.iter() {
                let id = id
                    .find("SpecialDayID")
                    .map_or(id.text.trim(), |e| e.text.trim());
                let n = special_days.len() as u8;
                days.push(number("SpecialDayID", id, 1..=n.max(1)).map_err(|_| {
                    fail(format!(
                        "sr:SpecialDayID {id:?} names none of the {n} special days"
                    ))
                })?);
            }
            days.sort_unstable();
            days.dedup();
            let mask = weekday_mask(child(schedule, "DaysOfWeekApplicability")?)?;
            let when = child(schedule, "ScheduleDatesAndTime")?;
            let text = |name: &str| child(when, name).map(|e| e.text.trim().to_string());
            entries.push(NonDisablementEntry {
                start,
                time: cosem_time("SwitchTime", &text("SwitchTime")?).map_err(fail)?,
                weekdays: mask,
                special_days: days,
                from: cosem_date("StartDate", &text("StartDate")?)?,
                to: cosem_date("EndDate", &text("EndDate")?)?,
            });
        }
        let cap = child(elec, "DebtRecoveryRateCap")?.text.trim().to_string();
        Ok(Some(PrepayConfiguration {
            debt_recovery_rate_cap: number("DebtRecoveryRateCap", &cap, 0..=u16::MAX)?,
            emergency_credit_limit: int("EmergencyCreditLimit")?,
            emergency_credit_threshold: int("EmergencyCreditThreshold")?,
            low_credit_threshold: int("LowCreditThreshold")?,
            special_days,
            calendar: entries,
            max_meter_balance: int("MaxMeterBalance")?,
            max_credit_threshold: int("MaxCreditThreshold")?,
        }))
    }

    /// A 2.3's electricity debts (`UpdateDebt` with `ElecDebtRecovery1` and `2`); `None` for a
    /// gas one. The debts are xs:ints of the meter's currency unit, the share per payment an
    /// xs:unsignedShort, each rate an xs:short at its price scale (−128 to 127), hourly or
    /// daily.
    fn debt(&self) -> Result<Option<Debt>, RequestError> {
        let Some(first) = self.body.find("ElecDebtRecovery1") else {
            return Ok(None);
        };
        let second = child(&self.body, "ElecDebtRecovery2")?;
        let value = |e: &Element, name: &str| child(e, name).map(|c| c.text.trim().to_string());
        let int = |name: &str| number(name, &value(&self.body, name)?, i32::MIN..=i32::MAX);
        let recovery = |e: &Element| -> Result<DebtRecovery, RequestError> {
            let period = value(e, "DebtRecoveryRatePeriod")?;
            Ok(DebtRecovery {
                rate: number(
                    "DebtRecoveryRate",
                    &value(e, "DebtRecoveryRate")?,
                    i16::MIN..=i16::MAX,
                )?,
                scale: number(
                    "DebtRecoveryRatePriceScale",
                    &value(e, "DebtRecoveryRatePriceScale")?,
                    i8::MIN..=i8::MAX,
                )?,
                period_s: one_of(
                    "DebtRecoveryRatePeriod",
                    &period,
                    &[("HOURLY", 3600), ("DAILY", 86_400)],
                )?,
            })
        };
        let per_payment = value(&self.body, "DebtRecoveryPerPayment")?;
        Ok(Some(Debt {
            time_debts: [int("TimeDebtRegister1")?, int("TimeDebtRegister2")?],
            payment_debt: int("PaymentDebtRegister")?,
            recovery_per_payment: number("DebtRecoveryPerPayment", &per_payment, 0..=u16::MAX)?,
            recovery: [recovery(first)?, recovery(second)?],
        }))
    }

    /// A 6.5's voltage settings: the four RMS limits, each phase's average RMS settings (one
    /// sr:SinglePhaseVoltageSettings, or three sr:PolyPhaseVoltageSettings taken in the order
    /// of their sr:Phase, which must be 1, 2 and 3), and whether the counters are reset (unless
    /// sr:RMSVoltageCountersNotReset). Each value an xs:unsignedInt.
    fn voltage_settings(&self) -> Result<VoltageSettings, RequestError> {
        let value = |e: &Element, name: &str| -> Result<u32, RequestError> {
            let text = e
                .find(name)
                .map(|v| v.text.trim())
                .ok_or_else(|| RequestError {
                    line: 0,
                    reason: format!("sr:{} needs sr:{name}", e.name),
                })?;
            number(name, text, 0..=u32::MAX)
        };
        let rms = self
            .body
            .find("RMSVoltageSettings")
            .ok_or_else(|| RequestError {
                line: 0,
                reason: "UpdateDeviceConfigurationVoltage needs sr:RMSVoltageSettings".into(),
            })?;
        let mut limits = [(0, 0); 4];
        for (limit, kind) in limits.iter_mut().zip([
            "RMSExtremeOverVoltage",
            "RMSExtremeUnderVoltage",
            "RMSVoltageSag",
            "RMSVoltageSwell",
        ]) {
            *limit = (
                value(rms, &format!("{kind}Threshold"))?,
                value(rms, &format!("{kind}MeasurementPeriod"))?,
            );
        }
        let average = |e: &Element| -> Result<AverageVoltage, RequestError> {
            Ok(AverageVoltage {
                over: value(e, "AverageRMSOverVoltageThreshold")?,
                under: value(e, "AverageRMSUnderVoltageThreshold")?,
                period_s: value(e, "AverageRMSVoltageMeasurementPeriod")?,
            })
        };
        let mut phases = Vec::new();
        if let Some(single) = self.body.find("SinglePhaseVoltageSettings") {
            phases.push(average(single)?);
        }
        let poly = self
            .body
            .children
            .iter()
            .filter(|c| c.name == "PolyPhaseVoltageSettings");
        for (expected, e) in (1u8..).zip(poly) {
            let phase = number("Phase", &value(e, "Phase")?.to_string(), 1..=3)?;
            if phase != expected {
                return Err(RequestError {
                    line: 0,
                    reason: format!(
                        "sr:PolyPhaseVoltageSettings number {expected} is for sr:Phase {phase}: \
                         phases 1, 2 and 3 are given in order"
                    ),
                });
            }
            let settings = e.find("PhaseVoltageSettings").ok_or_else(|| RequestError {
                line: 0,
                reason: "sr:PolyPhaseVoltageSettings needs sr:PhaseVoltageSettings".into(),
            })?;
            phases.push(average(settings)?);
        }
        Ok(VoltageSettings {
            limits,
            phases,
            reset_counters: self.body.find("RMSVoltageCountersNotReset").is_none(),
        })
    }

    /// An electricity billing calendar (6.8) as the execution times a meter's single action
    /// schedule holds: the `BillingTime` each day, week (`Weekly`: the weekday, 1 Monday), month
    /// (`Monthly`: the day), quarter, half-year or year (`DayOfMonth` of the months from
    /// `BillingPeriodStartMonth`); `None` for a gas meter's calendar.
    fn billing_calendar(&self) -> Result<Option<Vec<BillingExecution>>, RequestError> {
        let fail = |reason: String| RequestError { line: 0, reason };
        let Some(calendar) = self.body.find("ElectricityBillingCalendar") else {
            return Ok(None);
        };
        let time = calendar
            .find("BillingTime")
            .ok_or_else(|| fail("ElectricityBillingCalendar needs sr:BillingTime".into()))?;
        let time = billing_time(time.text.trim()).map_err(fail)?;
        let number = |e: &Element, name: &str, range: RangeInclusive<u8>| {
            number(
                name,
                e.find(name).map_or(e.text.trim(), |v| v.text.trim()),
                range,
            )
        };
        let every = |months: u8, e: &Element| -> Result<Vec<BillingExecution>, RequestError> {
            let day = number(e, "DayOfMonth", 1..=28)?;
            let start = number(e, "BillingPeriodStartMonth", 1..=12)?;
            Ok((0..12 / months)
                .map(|i| BillingExecution {
                    time,
                    date: [0xFF, 0xFF, (start - 1 + i * months) % 12 + 1, day, 0xFF],
                })
                .collect())
        };
        let on = |date| Ok(vec![BillingExecution { time, date }]);
        let periodicity = |name: &str| calendar.find(name);
        if periodicity("Daily").is_some() {
            on([0xFF; 5])
        } else if let Some(e) = periodicity("Weekly") {
            on([0xFF, 0xFF, 0xFF, 0xFF, number(e, "Weekly", 1..=7)?])
        } else if let Some(e) = periodicity("Monthly") {
            on([0xFF, 0xFF, 0xFF, number(e, "Monthly", 1..=28)?, 0xFF])
        } else if let Some(e) = periodicity("Quarterly") {
            every(3, e)
        } else if let Some(e) = periodicity("SixMonthly") {
            every(6, e)
        } else if let Some(e) = periodicity("Yearly") {
            every(12, e)
        } else {
            Err(fail(
                "ElectricityBillingCalendar names no periodicity".into(),
            ))
        }
        .map(Some)
    }
}

/// The element chosen inside a 6.22's `ConfigureAlertBehaviour` to an electricity meter, and
/// whose filter it sets, of what.
fn alert_behaviour_choice(
    request: &Request,
) -> Result<(&Element, (Party, Behaviour)), RequestError> {
    let fail = |reason: String| RequestError { line: 0, reason };
    let configure = &request.body;
    if configure.name != "ConfigureAlertBehaviour" {
        return Err(fail(format!(
            "6.22 takes sr:ConfigureAlertBehaviour, not sr:{}",
            configure.name
        )));
    }
    let [choice] = configure.children.as_slice() else {
        return Err(fail(
            "sr:ConfigureAlertBehaviour holds exactly one of its settings".into(),
        ));
    };
    let kind = match choice.name.as_str() {
        "ElectricitySupplierAlerts" => (Party::Supplier, Behaviour::Alert),
        "ElectricitySupplierHANAlertSettings" => (Party::Supplier, Behaviour::HanAlert),
        "ElectricitySupplierAlarmSettings" => (Party::Supplier, Behaviour::AudibleAlarm),
        "ElectricitySupplierLoggingSettings" => (Party::Supplier, Behaviour::Logging),
        "ElectricityNetworkOperatorAlerts" => (Party::NetworkOperator, Behaviour::Alert),
        "ElectricityNetworkOperatorLoggingSettings" => (Party::NetworkOperator, Behaviour::Logging),
        gas @ ("GasSupplierAlerts" | "GasSupplierAlertEventSettings") => {
            return Err(fail(format!(
                "sr:{gas} in sr:ConfigureAlertBehaviour is a gas meter's; an electricity \
                 meter takes the ElectricitySupplier… and ElectricityNetworkOperator… settings"
            )));
        }
        other => {
            return Err(fail(format!(
                "sr:{other} is not one of sr:ConfigureAlertBehaviour's settings"
            )));
        }
    };
    Ok((choice, kind))
}

/// The weekdays a `DaysOfWeekApplicability` names, Monday first: bit 6 Monday … bit 0 Sunday.
pub(super) fn weekday_mask(days: &Element) -> Result<u8, RequestError> {
    const WEEKDAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let mut mask = 0u8;
    for day in &days.children {
        let name = day
            .find("DayOfWeekID")
            .map_or(day.text.trim(), |e| e.text.trim());
        let i = one_of("DayOfWeekID", name, &WEEKDAYS.map(|d| (d, d)))
            .map(|d| WEEKDAYS.iter().position(|w| *w == d).unwrap_or(0))?;
        mask |= 0x40 >> i;
    }
    Ok(mask)
}

/// A DUIS `Date` with wildcards (sr:Year, sr:Month, sr:DayOfMonth, sr:DayOfWeek, each specified
/// or not; the last day of the month and the one before it as COSEM writes them, 0xFE and
/// 0xFD) as a COSEM date.
pub(super) fn wildcard_date(date: &Element) -> Result<[u8; 5], RequestError> {
    let part = |name: &str, range: RangeInclusive<u16>| -> Result<u16, RequestError> {
        let Some(e) = date.children.iter().find(|c| c.name == name) else {
            return Err(RequestError {
                line: 0,
                reason: format!("sr:Date needs sr:{name}"),
            });
        };
        let chosen = e.children.first();
        Ok(match chosen.map(|c| c.name.as_str()) {
            Some(n) if n.starts_with("Specified") => {
                let value = chosen.map_or("", |c| c.text.trim());
                number(n, value, range)?
            }
            Some("LastDayOfMonth") => 0xFE,
            Some("SecondLastDayOfMonth") => 0xFD,
            _ => u16::MAX,
        })
    };
    let [year_hi, year_lo] = part("Year", 2000..=9999)?.to_be_bytes();
    let byte = |v: u16| if v == u16::MAX { 0xFF } else { v as u8 };
    Ok([
        year_hi,
        year_lo,
        byte(part("Month", 1..=12)?),
        byte(part("DayOfMonth", 1..=31)?),
        byte(part("DayOfWeek", 1..=7)?),
    ])
}

/// The child `name` of `e`, which the schema requires.
pub(super) fn child<'a>(e: &'a Element, name: &str) -> Result<&'a Element, RequestError> {
    e.children
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| RequestError {
            line: 0,
            reason: format!("sr:{} needs sr:{name}", e.name),
        })
}
