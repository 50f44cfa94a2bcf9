//! The auxiliary load control requests to an electricity meter: 6.14.1 (ECS46a), 6.14.2
//! (ECS46c), 6.14.3 (ECS46d), 7.5, 7.6 and 7.8 (ECS47), 7.9 and 7.10 (ECS62), 7.13 (ECS47a) and
//! 7.16 (ECS47e).

use super::esme::{child, weekday_mask, wildcard_date};
use super::fields::{boolean, cosem_time, number, utc_date_time};
use super::{Element, Request, RequestError};
use crate::protocol::gbcs::payload::{
    AUXILIARY_LOADS, AuxiliaryCalendar, CalendarEntry, ControllerLevel, ECS46A, ECS46C, ECS46D,
    ECS47, ECS47A, ECS47E, ECS62, LevelAction, Reading, Recurrence, ScheduledAction, SwitchCommand,
};

/// The switches and controllers are numbered 1 to 5.
const NUMBERS: std::ops::RangeInclusive<u8> = 1..=AUXILIARY_LOADS as u8;

fn refused(reason: String) -> RequestError {
    RequestError { line: 0, reason }
}

impl Request {
    /// The use case and meaning of an auxiliary load control request (`service` one of those
    /// above); `None` for another service.
    pub(super) fn auxiliary_command(
        &self,
        service: &str,
    ) -> Result<Option<(u16, Reading)>, RequestError> {
        // The body's one element, or one inside it.
        let body = |name: &str| {
            Some(&self.body)
                .filter(|b| b.name == name)
                .or_else(|| self.body.find(name))
                .ok_or_else(|| refused(format!("service {service} needs sr:{name}")))
        };
        Ok(Some(match service {
            "7.5" | "7.6" => {
                let (name, activate) = if service == "7.5" {
                    ("ActivateALCSHCALCS", true)
                } else {
                    ("DeactivateALCSHCALCS", false)
                };
                let switch = body(name)?;
                let duration = child(switch, "Duration")?.text.trim();
                let minutes = number("Duration", duration, 0..=u16::MAX)?;
                let command = if activate {
                    SwitchCommand::Activate { minutes }
                } else {
                    SwitchCommand::Deactivate { minutes }
                };
                let switch = switch.index_in(NUMBERS)?;
                (ECS47, Reading::AuxiliaryLoad { switch, command })
            }
            "7.8" => {
                let switch = body("ResetALCSHCALCS")?.index_in(NUMBERS)?;
                let command = SwitchCommand::Reset;
                (ECS47, Reading::AuxiliaryLoad { switch, command })
            }
            // GBCS sets all five: each switch the request adds is on the boost button, each it
            // removes is off it; one it says false of, the opposite.
            "7.9" | "7.10" => {
                let (list, name, adds) = if service == "7.9" {
                    ("AddAuxiliaryLoadToBoostButton", "AddToBoostButton", true)
                } else {
                    (
                        "RemoveAuxiliaryLoadFromBoostButton",
                        "RemoveFromBoostButton",
                        false,
                    )
                };
                let (mut on_boost, mut given) =
                    ([false; AUXILIARY_LOADS], [false; AUXILIARY_LOADS]);
                for e in body(list)?.children.iter().filter(|c| c.name == name) {
                    let i = usize::from(e.index_in(NUMBERS)?) - 1;
                    if std::mem::replace(&mut given[i], true) {
                        return Err(refused(format!("sr:{name} index {} is given twice", i + 1)));
                    }
                    on_boost[i] = boolean(name, e.text.trim())? == adds;
                }
                if given.contains(&false) {
                    return Err(refused(format!(
                        "sr:{list} needs sr:{name} for each index from 1 to 5"
                    )));
                }
                (ECS62, Reading::BoostLoads { on_boost })
            }
            "6.14.1" => {
                let list = body("UpdateDeviceConfigurationALCDescriptions")?;
                let mut descriptions: [Option<String>; AUXILIARY_LOADS] = Default::default();
                for e in list
                    .children
                    .iter()
                    .filter(|c| c.name == "ALCSHCALCSDescription")
                {
                    let n = e.index_in(NUMBERS)?;
                    let text = description(child(e, "SwitchDescription")?)?;
                    if descriptions[usize::from(n) - 1].replace(text).is_some() {
                        return Err(refused(format!(
                            "sr:ALCSHCALCSDescription index {n} is given twice"
                        )));
                    }
                }
                if descriptions.iter().all(Option::is_none) {
                    return Err(refused(
                        "sr:UpdateDeviceConfigurationALCDescriptions names no switch".into(),
                    ));
                }
                let descriptions = Box::new(descriptions);
                (ECS46A, Reading::SwitchDescriptions { descriptions })
            }
            "6.14.2" | "6.14.3" => {
                let calendar = self.auxiliary_calendar(service == "6.14.2")?;
                let code = if service == "6.14.2" { ECS46C } else { ECS46D };
                let activation = self.activation()?;
                let calendar = Box::new(calendar);
                (
                    code,
                    Reading::AuxiliaryCalendar {
                        calendar,
                        activation,
                    },
                )
            }
            "7.13" | "7.16" => {
                let (name, code) = if service == "7.13" {
                    ("SetAuxiliaryControllerState", ECS47A)
                } else {
                    ("LimitAPCLevel", ECS47E)
                };
                let e = body(name)?;
                let time = |name: &str| {
                    let text = child(e, name)?.text.trim();
                    utc_date_time(name, text).map_err(refused)
                };
                let (from, to) = (time("StartDateTime")?, time("EndDateTime")?);
                if to <= from {
                    return Err(refused(format!(
                        "sr:{name}'s sr:EndDateTime {to} is not after its sr:StartDateTime {from}"
                    )));
                }
                let level = child(e, "CommandedStateLevel")?.text.trim();
                let level = ControllerLevel {
                    controller: e.index_in(NUMBERS)?,
                    from,
                    to,
                    level: number("CommandedStateLevel", level, 0..=100)?,
                    input: e.find("InputFromControlledLoad").is_some(),
                };
                (code, Reading::ControllerLevel(level))
            }
            _ => return Ok(None),
        }))
    }
}

/// The schema's most entries: 48 in a switch calendar, 120 in a controller one; 20 special days.
const MOST_SWITCH_ENTRIES: usize = 48;
const MOST_CONTROLLER_ENTRIES: usize = 120;
const MOST_SPECIAL_DAYS: usize = 20;

impl Request {
    /// A 6.14.2's (`switches`) or 6.14.3's calendar. The special days are numbered from 1 in
    /// the order given; an entry names them by their `index` (6.14.2) or `identifier`
    /// (6.14.3), which must be one given.
    fn auxiliary_calendar(&self, switches: bool) -> Result<AuxiliaryCalendar, RequestError> {
        let (entry_name, days_name, day_name, when_name, most) = if switches {
            (
                "ALCSHCALCSConnectionSchedule",
                "ALCSHCALCSSpecialDays",
                "ALCSHCALCSSpecialDay",
                "ALCSScheduleDatesAndTime",
                MOST_SWITCH_ENTRIES,
            )
        } else {
            (
                "AuxiliaryControllerSchedule",
                "AuxiliaryControllerSpecialDayDefinitions",
                "AuxiliaryControllerSpecialDayDefinition",
                "AuxiliaryControllerSchedulePeriodAndTime",
                MOST_CONTROLLER_ENTRIES,
            )
        };
        let body = &self.body;
        let days = child(body, days_name)?;
        let mut numbers = Vec::new();
        let mut special_days = Vec::new();
        for day in days.children.iter().filter(|c| c.name == day_name) {
            let n = day.index_in(1..=MOST_SPECIAL_DAYS as u8)?;
            if numbers.contains(&n) {
                return Err(refused(format!("sr:{day_name} {n} is given twice")));
            }
            numbers.push(n);
            special_days.push(wildcard_date(day)?);
        }
        let mut entries = Vec::new();
        for e in body.children.iter().filter(|c| c.name == entry_name) {
            let action = if switches {
                let switch = child(e, "ActivateDeactivateSwitch")?;
                let on = match switch.children.first().map(|c| c.name.as_str()) {
                    Some("ActivateSwitch") => true,
                    Some("DeactivateSwitch") => false,
                    _ => {
                        return Err(refused(
                            "sr:ActivateDeactivateSwitch needs sr:ActivateSwitch or \
                             sr:DeactivateSwitch"
                                .into(),
                        ));
                    }
                };
                let switch = switch.index_in(NUMBERS)?;
                ScheduledAction::Switch { switch, on }
            } else {
                let action = child(e, "AuxiliaryControllerAction")?;
                let level = child(action, "CommandedStateLevel")?.text.trim();
                ScheduledAction::Level(LevelAction {
                    controller: action.index_in(NUMBERS)?,
                    level: number("CommandedStateLevel", level, 0..=100)?,
                    input: action.find("InputFromControlledLoad").is_some(),
                })
            };
            let mut days = Vec::new();
            for d in e
                .children
                .iter()
                .filter(|c| c.name == "SpecialDaysApplicability")
            {
                let n = d.index_in(1..=MOST_SPECIAL_DAYS as u8)?;
                let position = numbers.iter().position(|&m| m == n).ok_or_else(|| {
                    refused(format!(
                        "sr:SpecialDaysApplicability {n} names none of the special days given"
                    ))
                })?;
                days.push(position as u8 + 1);
            }
            days.sort_unstable();
            days.dedup();
            let weekdays = match e
                .children
                .iter()
                .find(|c| c.name == "DaysOfWeekApplicability")
            {
                Some(d) => weekday_mask(d)?,
                None => 0,
            };
            let when = child(e, when_name)?;
            let time = child(when, "SwitchTime")?.text.trim();
            entries.push(CalendarEntry {
                action,
                when: Recurrence {
                    time: cosem_time("SwitchTime", time).map_err(refused)?,
                    weekdays,
                    special_days: days,
                    from: wildcard_date(child(when, "StartDate")?)?,
                    to: wildcard_date(child(when, "EndDate")?)?,
                },
            });
        }
        if entries.len() > most {
            return Err(refused(format!(
                "sr:{} has {} sr:{entry_name}, more than {most}",
                body.name,
                entries.len()
            )));
        }
        let mut switch_ids = [None; AUXILIARY_LOADS];
        for s in body.children.iter().filter(|c| c.name == "SwitchTypeAndId") {
            let n = usize::from(s.index_in(NUMBERS)?);
            let id = match s.children.first().map(|c| (c.name.as_str(), c.text.trim())) {
                Some(("ALCS", _)) => [0; 8],
                Some(("HCALCS", eui)) => {
                    eui.parse::<crate::model::Eui64>()
                        .map_err(|e| refused(format!("sr:HCALCS {eui:?}: {e}")))?
                        .0
                }
                _ => {
                    return Err(refused(
                        "sr:SwitchTypeAndId needs sr:ALCS or sr:HCALCS".into(),
                    ));
                }
            };
            if switch_ids[n - 1].replace(id).is_some() {
                return Err(refused(format!("sr:SwitchTypeAndId {n} is given twice")));
            }
        }
        Ok(AuxiliaryCalendar {
            switch_ids,
            special_days,
            entries,
        })
    }
}

/// A switch's description: 1 to 22 printable ASCII characters, as the schema has it.
fn description(e: &Element) -> Result<String, RequestError> {
    let text = &e.text;
    let printable = text.bytes().all(|b| (b' '..=b'~').contains(&b));
    if text.is_empty() || text.len() > 22 || !printable {
        return Err(refused(format!(
            "sr:SwitchDescription {text:?} is not 1 to 22 printable ASCII characters"
        )));
    }
    Ok(text.clone())
}
