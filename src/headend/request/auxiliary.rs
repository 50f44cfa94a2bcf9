//! The auxiliary load control requests to an electricity meter: 6.14.1 (ECS46a), 7.5, 7.6 and
//! 7.8 (ECS47), 7.9 and 7.10 (ECS62), 7.13 (ECS47a) and 7.16 (ECS47e).

use super::esme::child;
use super::fields::{boolean, number, utc_date_time};
use super::{Element, Request, RequestError};
use crate::protocol::gbcs::payload::{
    AUXILIARY_LOADS, ControllerLevel, ECS46A, ECS47, ECS47A, ECS47E, ECS62, Reading, SwitchCommand,
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
                (ECS46A, Reading::SwitchDescriptions { descriptions })
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
