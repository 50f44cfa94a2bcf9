//! An electricity meter's auxiliary loads: five switches or controllers (an ALCS wired to the
//! meter, an HCALCS on the HAN, an APC), what they are called (6.14.1), which of them the boost
//! button turns on (7.9, 7.10), and what the supplier last commanded of each: on or off for a
//! while (7.5, 7.6, until 7.8 hands it back), a level over a period (7.13), an APC's limit over a
//! period (7.16).
//!
//! dccsim's meters are built as the RTDS meter is (switch 2 an HCALCS on the HAN, the others
//! ALCSs wired to the meter) but carry no auxiliary load calendar: a switch nothing commands is
//! off. No one presses their boost buttons: 7.11 finds none boosting and no boosts logged.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::protocol::dlms::Data;
use crate::protocol::gbcs::payload::{
    AUXILIARY_LOADS, ControllerLevel, ECS46A, ECS47, ECS47A, ECS47E, ECS61A, ECS61D, ECS61E, ECS62,
    Reading, SwitchCommand,
};

/// The meter's own descriptions, the RTDS meter's (7.7 reads them), until a 6.14.1 changes
/// them.
const OWN_DESCRIPTIONS: [&str; AUXILIARY_LOADS] = [
    "ALCS_1_Description",
    "HCALCS_2_Description",
    "ALCS_3_Description",
    "ALCS_4_Description",
    "ALCS_5_Description",
];

/// The switches' HAN ids, the RTDS meter's: switch 2 an HCALCS, the others (zeros) ALCSs.
const OWN_IDS: [[u8; 8]; AUXILIARY_LOADS] = [
    [0; 8],
    [0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0x97],
    [0; 8],
    [0; 8],
    [0; 8],
];

/// What a command asked of one switch or controller: `level` (0 to 100) from `from`, until
/// `until` (none: until it is handed back), of the energy taken from the load (`input`) or
/// given to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Commanded {
    level: u8,
    input: bool,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
}

impl Commanded {
    fn in_force(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && self.until.is_none_or(|u| at < u)
    }
}

/// The state of a meter's auxiliary loads that commands changed; a meter none changed has
/// none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct AuxiliaryLoads {
    /// Each one's description, once a 6.14.1 set it; none: the meter's own.
    #[serde(default)]
    descriptions: [Option<String>; AUXILIARY_LOADS],
    /// Whether the boost button turns each on, once a 7.9 or 7.10 said; none: all of them (as
    /// the RTDS meter's 7.11 answer has it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    boost: Option<[bool; AUXILIARY_LOADS]>,
    /// The last 7.5, 7.6 or 7.13 to each, until a 7.8 hands it back.
    #[serde(default)]
    commanded: [Option<Commanded>; AUXILIARY_LOADS],
    /// The last 7.16 limit on each APC.
    #[serde(default)]
    limits: [Option<Commanded>; AUXILIARY_LOADS],
}

impl AuxiliaryLoads {
    /// Takes up command `reading` of use case `code` at `now`; says what it did, for the
    /// meter's event log. `None`: not an auxiliary load command.
    pub(super) fn apply(
        &mut self,
        code: u16,
        reading: &Reading,
        now: DateTime<Utc>,
    ) -> Option<String> {
        Some(match (code, reading) {
            (ECS47, &Reading::AuxiliaryLoad { switch, command }) => {
                let slot = self
                    .commanded
                    .get_mut(usize::from(switch).checked_sub(1)?)?;
                let (level, minutes, what) = match command {
                    SwitchCommand::Activate { minutes } => (100, minutes, "activated"),
                    SwitchCommand::Deactivate { minutes } => (0, minutes, "deactivated"),
                    SwitchCommand::Reset => {
                        *slot = None;
                        return Some(format!("auxiliary load {switch} reset to its calendar"));
                    }
                };
                let until = now + Duration::minutes(i64::from(minutes));
                *slot = Some(Commanded {
                    level,
                    input: false,
                    from: now,
                    until: Some(until),
                });
                format!("auxiliary load {switch} {what} for {minutes} min")
            }
            (ECS62, Reading::BoostLoads { on_boost }) => {
                self.boost = Some(*on_boost);
                "boost button's auxiliary loads set".into()
            }
            (ECS46A, Reading::SwitchDescriptions { descriptions }) => {
                for (mine, new) in self.descriptions.iter_mut().zip(descriptions) {
                    if new.is_some() {
                        mine.clone_from(new);
                    }
                }
                "auxiliary load descriptions set".into()
            }
            (ECS47A | ECS47E, Reading::ControllerLevel(c)) => {
                let ControllerLevel {
                    controller,
                    from,
                    to,
                    level,
                    input,
                } = *c;
                let slots = if code == ECS47A {
                    &mut self.commanded
                } else {
                    &mut self.limits
                };
                let slot = slots.get_mut(usize::from(controller).checked_sub(1)?)?;
                *slot = Some(Commanded {
                    level,
                    input,
                    from,
                    until: Some(to),
                });
                let what = if code == ECS47A {
                    "set to"
                } else {
                    "limited to"
                };
                format!("auxiliary controller {controller} {what} {level}% from {from} to {to}")
            }
            _ => return None,
        })
    }

    /// The values a 7.7 (ECS61a), 7.14 (ECS61d) or 7.15 (ECS61e) reads at `at`, in the read's
    /// order; `None` for another use case.
    pub(super) fn values(&self, code: u16, at: DateTime<Utc>) -> Option<Vec<Data>> {
        let descriptions = self
            .descriptions()
            .map(|d| Data::VisibleString(d.into_bytes()));
        let ids = OWN_IDS.map(|id| Data::OctetString(id.to_vec()));
        // No calendar: no special days, nothing scheduled.
        let calendar = [Data::Array(Vec::new()), Data::Array(Vec::new())];
        let levels = self.levels(at);
        Some(match code {
            // An ALCS or HCALCS is on at 100.
            ECS61A => {
                let on =
                    levels.map(|(output, _)| Data::Boolean(if output == 100 { 0xFF } else { 0 }));
                [descriptions.as_slice(), &ids, &calendar, &on].concat()
            }
            ECS61D => [descriptions.as_slice(), &calendar].concat(),
            // As the RTDS meter words it.
            ECS61E => {
                let states = levels.map(|(output, input)| {
                    let json = format!("{{\"outputState\": {output}, \"inputState\": {input}}}");
                    Data::Utf8String(json.into_bytes())
                });
                [ids.as_slice(), &states].concat()
            }
            _ => return None,
        })
    }

    /// Each one's description.
    pub(super) fn descriptions(&self) -> [String; AUXILIARY_LOADS] {
        std::array::from_fn(|i| {
            self.descriptions[i]
                .clone()
                .unwrap_or_else(|| OWN_DESCRIPTIONS[i].to_string())
        })
    }

    /// Whether the boost button turns each on.
    pub(super) fn boost(&self) -> [bool; AUXILIARY_LOADS] {
        self.boost.unwrap_or([true; AUXILIARY_LOADS])
    }

    /// Each one's level at `at`, of the energy given to its load (output) and taken from it
    /// (input), 0 to 100: what a command in force asks, within any limit in force; 0 where
    /// nothing is.
    pub(super) fn levels(&self, at: DateTime<Utc>) -> [(u8, u8); AUXILIARY_LOADS] {
        std::array::from_fn(|i| {
            let of = |c: &Option<Commanded>, input: bool| {
                c.filter(|c| c.input == input && c.in_force(at))
                    .map(|c| c.level)
            };
            let level = |input| {
                let asked = of(&self.commanded[i], input).unwrap_or(0);
                of(&self.limits[i], input).map_or(asked, |limit| asked.min(limit))
            };
            (level(false), level(true))
        })
    }
}
