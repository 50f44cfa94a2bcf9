//! Auxiliary load control on an electricity meter: its five auxiliary load control switches
//! (an ALCS wired to the meter, an HCALCS on the HAN) and auxiliary proportional controllers
//! (APC), as GBCS and the RTDS 4.5.0 vectors carry them.
//!
//! - 7.5 and 7.6 switch one on or off for a while, 7.8 hands it back to its calendar (ECS47);
//! - 7.9 and 7.10 say which of them the boost button turns on (ECS62);
//! - 6.14.1 names them (ECS46a);
//! - 7.13 sets an auxiliary controller's level over a period (ECS47a), 7.16 an APC's limit
//!   (ECS47e);
//! - 7.11 reads the boost button: whether it is boosting, its boosts over a period, and which
//!   switches it turns on (ECS61c);
//! - 6.14.2 gives the switches a calendar and says which are on the HAN (ECS46c), 6.14.3 gives
//!   the controllers one (ECS46d): special days and up to 48 or 120 entries, each switching one
//!   on or off, or setting one's level, taken up at once or at a time (the meter's two 8F66
//!   alerts then say so).
//!
//! - 6.13 reads the ALCS event log (ECS35f for the supplier, ECS35g for the network operator),
//!   3.3 clears it (ECS15c).
//!
//! Each command is a list of sets and at most one script run, built once ([`steps`]) for the
//! head-end's command, the meter's reading of it and its answer.

use serde::{Deserialize, Serialize};

use super::command::{attribute, by_range};
use super::configuration::{Step, call, set, set_value};
use super::prepayment::{activation_of, activation_time};
use super::schedule::{
    Recurrence, schedule_entry, schedule_entry_of, special_days_data, special_days_of,
};
use super::*;

/// 6.14.1 to an ESME (critical): the auxiliary load switches' descriptions.
pub const ECS46A: u16 = 0x0053;
/// 7.5, 7.6 and 7.8 to an ESME (critical): one switch on or off for a while, or back to its
/// calendar.
pub const ECS47: u16 = 0x0055;
/// 7.9 and 7.10 to an ESME: which switches the boost button turns on.
pub const ECS62: u16 = 0x005F;
/// 7.13 to an ESME (critical): an auxiliary controller's level over a period.
pub const ECS47A: u16 = 0x011E;
/// 7.16 to an ESME (critical): an APC's limit over a period.
pub const ECS47E: u16 = 0x011F;

/// 6.14.2 to an ESME (critical): the auxiliary load switches' calendar and HAN ids.
pub const ECS46C: u16 = 0x0054;
/// 6.14.3 to an ESME (critical): the auxiliary controllers' calendar.
pub const ECS46D: u16 = 0x011A;
/// 3.3 to an ESME: clear its ALCS event log.
pub const ECS15C: u16 = 0x00C1;
/// 6.13 to an ESME: its ALCS event log over a period, for the supplier (ECS35f) or the network
/// operator (ECS35g).
pub const ECS35F: u16 = 0x00BA;
pub const ECS35G: u16 = 0x00FD;
/// 7.11 to an ESME: the boost button's details.
pub const ECS61C: u16 = 0x005E;

/// The ALCS event log (a profile, `0-17:99.98.2.255` as the RTDS vectors name it).
pub(super) const ALCS_EVENT_LOG: [u8; 6] = [0, 17, 99, 98, 2, 255];

/// One entry of the ALCS event log, as the RTDS meter's read: when; what — the switch's number
/// in the high byte and, in the low, the command's kind as its script has it (0x11 on, 0x12
/// off, 0x20 back to the calendar) or 0x00 for an HCALCS's answer; its status (0 sent to the
/// HCALCS and not yet answered, 1 done, 2 failed); and for an HCALCS's entries the time of the
/// command they concern, Unix seconds (0 for an ALCS's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlcsEvent {
    pub at: DateTime<Utc>,
    pub code: u16,
    pub status: u8,
    pub reference: u32,
}

/// 6.13's answer for the ALCS event log: the entries within the period asked for. `None` if a
/// time is out of GBCS's range.
pub fn alcs_event_log_response(counter: u64, events: &[AlcsEvent]) -> Option<Apdu> {
    let entries = events.iter().map(|e| {
        Some(vec![
            Data::DoubleLongUnsigned(to_gbcs_seconds(e.at)?),
            Data::LongUnsigned(e.code),
            Data::Enum(e.status),
            Data::DoubleLongUnsigned(e.reference),
        ])
    });
    super::respond::meter_log_response(counter, &[6, 18, 22, 6], entries)
}

/// The ALCS event log's entries read back; `None` when one is not of their shape.
pub(super) fn alcs_events_of(elements: &[Data]) -> Option<Vec<AlcsEvent>> {
    elements
        .iter()
        .map(|e| match *e.items()? {
            [
                Data::DoubleLongUnsigned(at),
                Data::LongUnsigned(code),
                Data::Enum(status),
                Data::DoubleLongUnsigned(reference),
            ] => Some(AlcsEvent {
                at: from_gbcs_seconds(at),
                code,
                status,
                reference,
            }),
            _ => None,
        })
        .collect()
}

/// How many auxiliary load switches or controllers an ESME addresses (DUIS's `range_1_5`).
pub const AUXILIARY_LOADS: usize = 5;

/// What a 7.5, 7.6 or 7.8 does to one switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SwitchCommand {
    /// 7.5: on for `minutes` (DUIS's Duration).
    Activate { minutes: u16 },
    /// 7.6: off for `minutes`.
    Deactivate { minutes: u16 },
    /// 7.8: back to what its calendar says.
    Reset,
}

/// What a 7.13 or 7.16 commands of one auxiliary controller (DUIS's SetAuxiliaryControllerState
/// and LimitAPCLevel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerLevel {
    /// Which controller, 1 to 5 (DUIS's auxiliaryControllerN).
    pub controller: u8,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// 0 to 100: the per cent of its greatest energy flow an APC lets through; an ALCS or
    /// HCALCS is on at 100 and off below.
    pub level: u8,
    /// The level is of energy taken from the controlled load (DUIS's InputFromControlledLoad),
    /// not given to it.
    pub input: bool,
}

/// What a calendar entry does when it runs: switch one on or off (6.14.2), or set one
/// controller's level (6.14.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScheduledAction {
    Switch { switch: u8, on: bool },
    Level(LevelAction),
}

/// A 6.14.3 entry's action (DUIS's AuxiliaryControllerAction): controller 1 to 5 to `level`
/// per cent of the energy given to its load or, `input`, taken from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelAction {
    pub controller: u8,
    pub level: u8,
    pub input: bool,
}

impl ScheduledAction {
    /// The switch or controller it acts on, 1 to 5.
    pub fn number(&self) -> u8 {
        match *self {
            ScheduledAction::Switch { switch, .. } => switch,
            ScheduledAction::Level(l) => l.controller,
        }
    }

    /// Its script of the auxiliary load control script table: the switch in the high byte
    /// and 1 (on) or 2 (off) in the low; or the controller with 0x10 (given to the load) or
    /// 0x20 (taken from it) high, and the level with 0x80 low.
    fn script(&self) -> u16 {
        match *self {
            ScheduledAction::Switch { switch, on } => {
                u16::from_be_bytes([switch, if on { 1 } else { 2 }])
            }
            ScheduledAction::Level(l) => {
                let direction = if l.input { INPUT } else { OUTPUT };
                u16::from_be_bytes([direction | l.controller, SCHEDULED | l.level])
            }
        }
    }

    /// The action a script of use case `code`'s calendar runs; `None` for none.
    fn of_script(code: u16, script: u16) -> Option<ScheduledAction> {
        let [high, low] = script.to_be_bytes();
        let action = match code {
            ECS46C => ScheduledAction::Switch {
                switch: high,
                on: match low {
                    1 => true,
                    2 => false,
                    _ => return None,
                },
            },
            _ if high & !(INPUT | OUTPUT) != 0 && low & SCHEDULED != 0 => {
                ScheduledAction::Level(LevelAction {
                    controller: high & 0x0F,
                    level: low & !SCHEDULED,
                    input: high & INPUT != 0,
                })
            }
            _ => return None,
        };
        Some(action)
    }

    fn valid(&self, code: u16) -> bool {
        let numbered = (1..=AUXILIARY_LOADS as u8).contains(&self.number());
        numbered
            && match self {
                ScheduledAction::Switch { .. } => code == ECS46C,
                ScheduledAction::Level(l) => code == ECS46D && l.level <= 100,
            }
    }
}

/// One calendar entry: what it does and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarEntry {
    pub action: ScheduledAction,
    pub when: Recurrence,
}

/// What a 6.14.2 or 6.14.3 sets (DUIS's UpdateDeviceConfigurationALCScheduler and
/// UpdateDeviceConfigurationAuxiliaryControllerScheduler).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuxiliaryCalendar {
    /// 6.14.2's SwitchTypeAndId: the HAN id of each switch it names (an HCALCS's EUI-64,
    /// zeros for an ALCS); `None` leaves one as it is. 6.14.3 names none.
    pub switch_ids: [Option<[u8; 8]>; AUXILIARY_LOADS],
    /// The special days' dates, numbered from 1.
    pub special_days: Vec<[u8; 5]>,
    pub entries: Vec<CalendarEntry>,
}

/// The auxiliary load calendar's special days (IC 11) and schedule (IC 10), and their
/// activation times (class 9000 attribute 6), each named as the RTDS 8F66 alerts name them.
const CALENDAR_SPECIAL_DAYS: [u8; 6] = [0, 1, 11, 0, 3, 255];
const CALENDAR_SCHEDULE: [u8; 6] = [0, 1, 12, 0, 2, 255];
const CALENDAR_ACTIVATION: [u8; 6] = [0, 0, 94, 44, 128, 26];
const SPECIAL_DAYS_ACTIVATION: [u8; 6] = [0, 0, 94, 44, 128, 35];
const SPECIAL_DAYS_TABLE: u16 = 11;
const SCHEDULE: u16 = 10;
const EXTENDED_DATA: u16 = 9000;

/// The flag of a scheduled level's low byte.
const SCHEDULED: u8 = 0x80;

/// Switch `n`'s HAN id (`0-0:94.44.0.(20+n)`), which 6.14.2 sets.
fn switch_id_object(n: u8) -> [u8; 6] {
    [0, 0, 94, 44, 0, 20 + n]
}

/// A calendar's schedule (IC 10) as GBCS fills it: its entries numbered from 1, each running
/// its action's script of the auxiliary load control script table, with one special day bit
/// for each of the calendar's `special_days`.
pub fn auxiliary_schedule_data(entries: &[CalendarEntry], special_days: usize) -> Data {
    Data::Array(
        entries
            .iter()
            .zip(1u16..)
            .map(|(e, i)| {
                schedule_entry(i, CONTROL_SCRIPTS, e.action.script(), &e.when, special_days)
            })
            .collect(),
    )
}

/// The 8F66 outcomes of a 6.14.2 or 6.14.3 a meter held and has taken up: the calendar's,
/// then its special days'.
pub fn auxiliary_calendar_outcomes(code: u16, counter: u64) -> Vec<FutureDatedOutcome> {
    let objects = [CALENDAR_ACTIVATION, SPECIAL_DAYS_ACTIVATION];
    super::configuration::activation_outcomes(code, counter, objects)
}

/// The auxiliary load control script table (`0-0:10.0.103.255`), whose scripts 7.5–7.8 and
/// 7.13 run; the APC limit script table (`0-0:10.0.107.255`), 7.16's.
const CONTROL_SCRIPTS: [u8; 6] = [0, 0, 10, 0, 103, 255];
const LIMIT_SCRIPTS: [u8; 6] = [0, 0, 10, 0, 107, 255];

/// The script kinds of a switch command: its number is the switch's in the high byte and this
/// in the low.
const ACTIVATE: u8 = 0x11;
const DEACTIVATE: u8 = 0x12;
const RESET: u8 = 0x20;

/// A controller level's script: the high byte the controller's number with 0x10 (energy given
/// to the load) or 0x20 (taken from it), the low byte the level.
const OUTPUT: u8 = 0x10;
const INPUT: u8 = 0x20;

/// Switch or controller `n`'s timing object `f` (`0-0:94.44.(116+n).f`): 1 and 2 the activation
/// and deactivation durations of a 7.5 and 7.6 (long-unsigned), or the start and end of a
/// 7.13 (date-times); 3 and 4 the start and end of a 7.16.
fn timing(n: u8, f: u8) -> [u8; 6] {
    [0, 0, 94, 44, 116 + n, f]
}

/// Switch `n`'s description (`0-0:94.44.0.(10+n)`, a visible-string), which 6.14.1 sets and
/// 7.7 and 7.14 read.
pub(super) fn description_object(n: u8) -> [u8; 6] {
    [0, 0, 94, 44, 0, 10 + n]
}

/// Whether the boost button turns switch `n` on (`0-0:94.44.6.n`, a boolean), which 7.9 and
/// 7.10 set and 7.11 reads.
pub(super) fn boost_object(n: u8) -> [u8; 6] {
    [0, 0, 94, 44, 6, n]
}

/// Whether the boost button is boosting now (`0-0:94.44.7.255`, a boolean); its log of
/// boosts (`0-0:99.98.20.255`), each a start and an end.
const BOOST_STATE: [u8; 6] = [0, 0, 94, 44, 7, 255];
pub(super) const BOOST_LOG: [u8; 6] = [0, 0, 99, 98, 20, 255];

/// 7.11's command: the boost state, the boosts from `from` to `to`, which switches it turns
/// on. `None` for a time before 2000.
pub(super) fn boost_read(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Vec<RequestSpec>> {
    let mut specs = vec![attribute(DATA, BOOST_STATE, 2)];
    specs.push(by_range(PROFILE_GENERIC, BOOST_LOG, from, to)?);
    specs.extend(switch_numbers().map(|n| attribute(DATA, boost_object(n), 2)));
    Some(specs)
}

/// 7.11's answer: whether the button is boosting, its boosts within the period asked for
/// (each its start and end), and which switches it turns on. `None` if a time is out of
/// GBCS's range.
pub fn boost_response(
    counter: u64,
    boosting: bool,
    boosts: &[(DateTime<Utc>, DateTime<Utc>)],
    on_boost: [bool; AUXILIARY_LOADS],
) -> Option<Apdu> {
    let entries = boosts
        .iter()
        .map(|&(start, end)| {
            Some(Interval {
                start,
                values: vec![to_gbcs_seconds(end)?],
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let Apdu::AccessResponse(mut answer) = log_response(counter, &entries)? else {
        return None;
    };
    let log = answer.data.pop()?;
    answer.data = vec![Data::Boolean(boolean(boosting)), log];
    answer
        .data
        .extend(on_boost.map(|on| Data::Boolean(boolean(on))));
    answer.results = vec![ResponseSpec::Get(0); answer.data.len()];
    Some(Apdu::AccessResponse(answer))
}

/// 7.11's answer read back; `None` when it is not of that shape.
pub(super) fn boost_of(data: &[Data]) -> Option<Reading> {
    let flag = |d: &Data| match d {
        &Data::Boolean(b) => Some(b != 0),
        _ => None,
    };
    let [boosting, Data::CompactArray { elements, .. }, rest @ ..] = data else {
        return None;
    };
    let on_boost: Vec<bool> = rest.iter().map(flag).collect::<Option<_>>()?;
    let stamp = |d: &Data| match d {
        &Data::DoubleLongUnsigned(s) => Some(from_gbcs_seconds(s)),
        _ => None,
    };
    let boosts = elements
        .iter()
        .map(|e| match e.items()? {
            [start, end] => Some((stamp(start)?, stamp(end)?)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some(Reading::BoostButton {
        boosting: flag(boosting)?,
        boosts,
        on_boost: on_boost.try_into().ok()?,
    })
}

fn switch_numbers() -> impl Iterator<Item = u8> {
    1..=AUXILIARY_LOADS as u8
}

/// The steps of `reading` as use case `code` lays them out, in the RTDS command's order;
/// `None` when the reading is not what `code` carries (or names a switch not 1 to 5).
pub(super) fn steps(code: u16, reading: &Reading) -> Option<Vec<Step>> {
    let run = |table, script: u16| call(SCRIPT_TABLE, table, 1, Data::LongUnsigned(script));
    Some(match (code, reading) {
        (ECS47, &Reading::AuxiliaryLoad { switch, command })
            if (1..=AUXILIARY_LOADS as u8).contains(&switch) =>
        {
            let script = |kind: u8| run(CONTROL_SCRIPTS, u16::from_be_bytes([switch, kind]));
            let duration =
                |f, minutes| set(DATA, timing(switch, f), 2, Data::LongUnsigned(minutes));
            match command {
                SwitchCommand::Activate { minutes } => {
                    vec![duration(1, minutes), script(ACTIVATE)]
                }
                SwitchCommand::Deactivate { minutes } => {
                    vec![duration(2, minutes), script(DEACTIVATE)]
                }
                SwitchCommand::Reset => vec![script(RESET)],
            }
        }
        (ECS62, Reading::BoostLoads { on_boost }) => switch_numbers()
            .zip(on_boost)
            .map(|(n, &on)| set(DATA, boost_object(n), 2, Data::Boolean(boolean(on))))
            .collect(),
        (ECS46A, Reading::SwitchDescriptions { descriptions }) => {
            let steps: Vec<_> = switch_numbers()
                .zip(descriptions.iter())
                .filter_map(|(n, d)| {
                    let text = Data::VisibleString(d.as_ref()?.as_bytes().to_vec());
                    Some(set(DATA, description_object(n), 2, text))
                })
                .collect();
            if steps.is_empty() {
                return None;
            }
            steps
        }
        (
            ECS46C | ECS46D,
            Reading::AuxiliaryCalendar {
                calendar,
                activation,
            },
        ) => {
            let n = calendar.special_days.len();
            if calendar.entries.iter().any(|e| !e.action.valid(code))
                || calendar.entries.iter().any(|e| {
                    e.when
                        .special_days
                        .iter()
                        .any(|&d| d == 0 || usize::from(d) > n)
                })
                || (code == ECS46D && calendar.switch_ids.iter().any(Option::is_some))
            {
                return None;
            }
            let ids = switch_numbers()
                .zip(&calendar.switch_ids)
                .filter_map(|(s, id)| {
                    Some(set(
                        DATA,
                        switch_id_object(s),
                        2,
                        Data::OctetString(id.as_ref()?.to_vec()),
                    ))
                });
            let entries = auxiliary_schedule_data(&calendar.entries, n);
            let when = activation_time(activation);
            ids.chain([
                set(
                    SPECIAL_DAYS_TABLE,
                    CALENDAR_SPECIAL_DAYS,
                    2,
                    special_days_data(&calendar.special_days),
                ),
                set(SCHEDULE, CALENDAR_SCHEDULE, 2, entries),
                set(EXTENDED_DATA, CALENDAR_ACTIVATION, 6, when.clone()),
                set(EXTENDED_DATA, SPECIAL_DAYS_ACTIVATION, 6, when),
            ])
            .collect()
        }
        (ECS47A | ECS47E, Reading::ControllerLevel(c))
            if (1..=AUXILIARY_LOADS as u8).contains(&c.controller) && c.level <= 100 =>
        {
            let (first, table) = if code == ECS47A {
                (1, CONTROL_SCRIPTS)
            } else {
                (3, LIMIT_SCRIPTS)
            };
            let direction = if c.input { INPUT } else { OUTPUT };
            let script = u16::from_be_bytes([direction | c.controller, c.level]);
            let n = c.controller;
            vec![
                set(DATA, timing(n, first), 2, command_date_time(c.from)),
                set(DATA, timing(n, first + 1), 2, command_date_time(c.to)),
                run(table, script),
            ]
        }
        _ => return None,
    })
}

fn boolean(b: bool) -> u8 {
    if b { 0xFF } else { 0 }
}

/// What command `r` of use case `code` asks; `None` when it is not exactly what `code` carries
/// (the reading is rebuilt and its steps compared with `r`'s).
pub(super) fn auxiliary_of(code: u16, r: &AccessRequest) -> Option<Reading> {
    let script = || {
        r.specs.iter().zip(&r.data).find_map(|(s, d)| match (s, d) {
            (RequestSpec::Action(m), &Data::LongUnsigned(id)) if m.class_id == SCRIPT_TABLE => {
                Some(id.to_be_bytes())
            }
            _ => None,
        })
    };
    let minutes = |object| match set_value(r, object, 2)? {
        &Data::LongUnsigned(m) => Some(m),
        _ => None,
    };
    let reading = match code {
        ECS47 => {
            let [switch, kind] = script()?;
            if !(1..=AUXILIARY_LOADS as u8).contains(&switch) {
                return None;
            }
            let command = match kind {
                ACTIVATE => SwitchCommand::Activate {
                    minutes: minutes(timing(switch, 1))?,
                },
                DEACTIVATE => SwitchCommand::Deactivate {
                    minutes: minutes(timing(switch, 2))?,
                },
                RESET => SwitchCommand::Reset,
                _ => return None,
            };
            Reading::AuxiliaryLoad { switch, command }
        }
        ECS62 => {
            let on = |n| match set_value(r, boost_object(n), 2)? {
                &Data::Boolean(b) => Some(b != 0),
                _ => None,
            };
            Reading::BoostLoads {
                on_boost: [on(1)?, on(2)?, on(3)?, on(4)?, on(5)?],
            }
        }
        ECS46A => {
            let text = |n| match set_value(r, description_object(n), 2)? {
                Data::VisibleString(b) => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            };
            Reading::SwitchDescriptions {
                descriptions: Box::new([text(1), text(2), text(3), text(4), text(5)]),
            }
        }
        ECS46C | ECS46D => {
            let switch_ids =
                std::array::from_fn(|i| match set_value(r, switch_id_object(i as u8 + 1), 2)? {
                    Data::OctetString(id) => id.as_slice().try_into().ok(),
                    _ => None,
                });
            let entries = match set_value(r, CALENDAR_SCHEDULE, 2)? {
                Data::Array(entries) => entries
                    .iter()
                    .map(|e| {
                        let (script, when) = schedule_entry_of(e)?;
                        let action = ScheduledAction::of_script(code, script)?;
                        Some(CalendarEntry { action, when })
                    })
                    .collect::<Option<_>>()?,
                _ => return None,
            };
            Reading::AuxiliaryCalendar {
                calendar: Box::new(AuxiliaryCalendar {
                    switch_ids,
                    special_days: special_days_of(set_value(r, CALENDAR_SPECIAL_DAYS, 2)?)?,
                    entries,
                }),
                activation: activation_of(set_value(r, CALENDAR_ACTIVATION, 6)?)?,
            }
        }
        ECS47A | ECS47E => {
            let [high, level] = script()?;
            let controller = high & 0x0F;
            if !(1..=AUXILIARY_LOADS as u8).contains(&controller) {
                return None;
            }
            let first = if code == ECS47A { 1 } else { 3 };
            let at = |f| decode::date_time(set_value(r, timing(controller, f), 2)?);
            Reading::ControllerLevel(ControllerLevel {
                controller,
                from: at(first)?,
                to: at(first + 1)?,
                level,
                input: high & INPUT != 0,
            })
        }
        _ => return None,
    };
    let (specs, data): (Vec<_>, Vec<_>) = steps(code, &reading)?.into_iter().unzip();
    (specs == r.specs && data == r.data).then_some(reading)
}
