//! An electricity meter's auxiliary loads: five switches or controllers (an ALCS wired to the
//! meter, an HCALCS on the HAN, an APC), what they are called (6.14.1), which of them the boost
//! button turns on (7.9, 7.10), and what the supplier last commanded of each: on or off for a
//! while (7.5, 7.6, until 7.8 hands it back), a level over a period (7.13), an APC's limit over a
//! period (7.16).
//!
//! A calendar (6.14.2, 6.14.3) is taken up at once or held until its time; from then each
//! switch or controller is as the calendar's last entry for it to run (within the last year)
//! left it, unless a command in force says otherwise.
//!
//! dccsim's meters are built as the RTDS meter is (switch 2 an HCALCS on the HAN, the others
//! ALCSs wired to the meter) and have no calendar until one is given: a switch nothing commands
//! is off. No one presses their boost buttons: 7.11 finds none boosting and no boosts logged.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Eui64;
use crate::protocol::dlms::Data;
use crate::protocol::gbcs::payload::{
    AUXILIARY_LOADS, AlcsEvent, AuxiliaryCalendar, CalendarEntry, ControllerLevel, ECS46A, ECS47,
    ECS47A, ECS47E, ECS61A, ECS61D, ECS61E, ECS62, Reading, Recurrence, ScheduledAction,
    SwitchCommand, auxiliary_schedule_data, special_days_data,
};

/// Entries the ALCS event log keeps: the last hundred (dccsim's choice).
const ALCS_LOG_LEN: usize = 100;

/// How long an HCALCS takes to answer a command over the HAN, as the RTDS meter's log has it.
const HCALCS_ANSWER_S: i64 = 5;

/// How far back a calendar's entries are looked for: a year and a day.
const CALENDAR_LOOKBACK_DAYS: u64 = 366;

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

/// An entry's time of day.
fn time_of(when: &Recurrence) -> chrono::NaiveTime {
    let [h, m, s, hundredths] = when.time.map(u32::from);
    chrono::NaiveTime::from_hms_milli_opt(h, m, s, hundredths * 10).unwrap_or_default()
}

/// Whether an entry runs on `day`: within its dates, and on a special day (`special`, its
/// number) only if it names it, else on its weekdays.
fn runs_on(when: &Recurrence, day: NaiveDate, special: Option<u8>) -> bool {
    let on_the_day = match special {
        Some(n) => when.special_days.contains(&n),
        None => when.weekdays & (0x40 >> day.weekday().num_days_from_monday()) != 0,
    };
    on_the_day && within(day, &when.from, &when.to)
}

/// A COSEM date's parts on `day`: its year, month and day of month, each the day's own where it
/// is unspecified (the last day of the month and the one before it as COSEM writes them, 0xFE
/// and 0xFD).
fn on_day(date: &[u8; 5], day: NaiveDate) -> (i32, u32, u32) {
    let year = match u16::from_be_bytes([date[0], date[1]]) {
        0xFFFF => day.year(),
        y => i32::from(y),
    };
    let month = match date[2] {
        0xFF => day.month(),
        m => u32::from(m),
    };
    let last = NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .and_then(|d| d.pred_opt())
        .map_or(31, |d| d.day());
    let dom = match date[3] {
        0xFF => day.day(),
        0xFE => last,
        0xFD => last - 1,
        d => u32::from(d),
    };
    (year, month, dom)
}

/// Whether COSEM date `date` (parts unspecified match any) is `day`.
fn date_matches(date: &[u8; 5], day: NaiveDate) -> bool {
    let weekday = date[4] == 0xFF || u32::from(date[4]) == day.weekday().number_from_monday();
    weekday && on_day(date, day) == (day.year(), day.month(), day.day())
}

/// Whether `day` falls between two COSEM dates, inclusive; where the years are unspecified and
/// `from` comes after `to` in the year, the window wraps over the new year.
fn within(day: NaiveDate, from: &[u8; 5], to: &[u8; 5]) -> bool {
    let today = (day.year(), day.month(), day.day());
    let (start, end) = (on_day(from, day), on_day(to, day));
    if start <= end {
        start <= today && today <= end
    } else {
        today >= start || today <= end
    }
}

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
    /// Each switch's HAN id, once a 6.14.2 set it; none: the meter's own.
    #[serde(default)]
    switch_ids: [Option<[u8; 8]>; AUXILIARY_LOADS],
    /// The calendar the meter runs, once a 6.14.2 or 6.14.3 was taken up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calendar: Option<Calendar>,
    /// A calendar held for later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) pending: Option<HeldCalendar>,
    /// The ALCS event log, oldest first: each 7.5, 7.6 and 7.8, and each HCALCS's answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    log: Vec<AlcsEvent>,
}

/// The calendar's special days and entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Calendar {
    special_days: Vec<[u8; 5]>,
    entries: Vec<CalendarEntry>,
}

/// A calendar held for later (6.14.2 or 6.14.3, use case `code`, with an execution time): when
/// (GBCS seconds), and the command's originator (who is told when it is taken up) and counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct HeldCalendar {
    pub(super) at: u32,
    pub(super) code: u16,
    special_days: Vec<[u8; 5]>,
    entries: Vec<CalendarEntry>,
    pub(super) from: Eui64,
    pub(super) counter: u64,
}

impl HeldCalendar {
    pub(super) fn new(
        at: u32,
        code: u16,
        calendar: &AuxiliaryCalendar,
        from: Eui64,
        counter: u64,
    ) -> HeldCalendar {
        HeldCalendar {
            at,
            code,
            special_days: calendar.special_days.clone(),
            entries: calendar.entries.clone(),
            from,
            counter,
        }
    }
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
                let i = usize::from(switch).checked_sub(1)?;
                self.log_command(i, command, now);
                let slot = self.commanded.get_mut(i)?;
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
                for (mine, new) in self.descriptions.iter_mut().zip(descriptions.iter()) {
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

    /// Logs a 7.5, 7.6 or 7.8 to switch `i` (from 0) in the ALCS event log: done, for an ALCS
    /// wired to the meter; for an HCALCS, sent, then its answer a few seconds later, each naming
    /// the command's time.
    fn log_command(&mut self, i: usize, command: SwitchCommand, now: DateTime<Utc>) {
        let Some(&id) = self
            .switch_ids
            .get(i)
            .map(|id| id.as_ref().unwrap_or(&OWN_IDS[i]))
        else {
            return;
        };
        let kind = match command {
            SwitchCommand::Activate { .. } => 0x11,
            SwitchCommand::Deactivate { .. } => 0x12,
            SwitchCommand::Reset => 0x20,
        };
        let switch = (i + 1) as u8;
        let event = |at, kind, status, reference| AlcsEvent {
            at,
            code: u16::from_be_bytes([switch, kind]),
            status,
            reference,
        };
        if id == [0; 8] {
            self.log.push(event(now, kind, 1, 0));
        } else {
            let reference = u32::try_from(now.timestamp()).unwrap_or(0);
            let answered = now + Duration::seconds(HCALCS_ANSWER_S);
            self.log.push(event(now, kind, 0, reference));
            self.log.push(event(answered, 0x00, 1, reference));
        }
        let excess = self.log.len().saturating_sub(ALCS_LOG_LEN);
        self.log.drain(..excess);
    }

    /// The ALCS events logged from `from` to `to`.
    pub(super) fn events_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<AlcsEvent> {
        self.log
            .iter()
            .filter(|e| (from..=to).contains(&e.at))
            .copied()
            .collect()
    }

    /// Empties the ALCS event log (3.3).
    pub(super) fn clear_log(&mut self) {
        self.log.clear();
    }

    /// Sets the HAN ids a 6.14.2 names (at once: its calendar may wait for its time).
    pub(super) fn set_switch_ids(&mut self, ids: &[Option<[u8; 8]>; AUXILIARY_LOADS]) {
        for (mine, new) in self.switch_ids.iter_mut().zip(ids) {
            if new.is_some() {
                *mine = *new;
            }
        }
    }

    /// Runs `calendar` from now on, in place of any it ran.
    pub(super) fn take_up(&mut self, calendar: &AuxiliaryCalendar) {
        self.calendar = Some(Calendar {
            special_days: calendar.special_days.clone(),
            entries: calendar.entries.clone(),
        });
    }

    /// Runs the held calendar from now on.
    pub(super) fn take_up_held(&mut self, held: HeldCalendar) {
        self.calendar = Some(Calendar {
            special_days: held.special_days,
            entries: held.entries,
        });
    }

    /// The values a 7.7 (ECS61a), 7.14 (ECS61d) or 7.15 (ECS61e) reads at `at`, in the read's
    /// order; `None` for another use case.
    pub(super) fn values(&self, code: u16, at: DateTime<Utc>) -> Option<Vec<Data>> {
        let descriptions = self
            .descriptions()
            .map(|d| Data::VisibleString(d.into_bytes()));
        let ids = std::array::from_fn::<_, AUXILIARY_LOADS, _>(|i| {
            Data::OctetString(self.switch_ids[i].unwrap_or(OWN_IDS[i]).to_vec())
        });
        // The calendar it runs: its special days and its schedule (none before one is given).
        let (days, entries) = match &self.calendar {
            Some(c) => (c.special_days.as_slice(), c.entries.as_slice()),
            None => (&[][..], &[][..]),
        };
        let calendar = [
            special_days_data(days),
            auxiliary_schedule_data(entries, days.len()),
        ];
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
    /// (input), 0 to 100: what a command in force asks, else what the calendar last set,
    /// within any limit in force; 0 where nothing is.
    pub(super) fn levels(&self, at: DateTime<Utc>) -> [(u8, u8); AUXILIARY_LOADS] {
        let scheduled = self.scheduled(at);
        std::array::from_fn(|i| {
            let of = |c: &Option<Commanded>, input: bool| {
                c.filter(|c| c.input == input && c.in_force(at))
                    .map(|c| c.level)
            };
            let level = |input: bool| {
                let calendar = scheduled[i][usize::from(input)];
                let asked = of(&self.commanded[i], input).or(calendar).unwrap_or(0);
                of(&self.limits[i], input).map_or(asked, |limit| asked.min(limit))
            };
            (level(false), level(true))
        })
    }

    /// What the calendar's last entry to run by `at` for each switch or controller set it to,
    /// output level then input level; `None` where none ran in the last year. A switch is
    /// output level 100 on, 0 off.
    fn scheduled(&self, at: DateTime<Utc>) -> [[Option<u8>; 2]; AUXILIARY_LOADS] {
        let mut found = [[None; 2]; AUXILIARY_LOADS];
        let Some(calendar) = &self.calendar else {
            return found;
        };
        let now = at.time();
        for back in 0..=CALENDAR_LOOKBACK_DAYS {
            let Some(day) = at.date_naive().checked_sub_days(chrono::Days::new(back)) else {
                break;
            };
            // A special day runs the entries that name it, and no others.
            let special = calendar
                .special_days
                .iter()
                .position(|d| date_matches(d, day))
                .map(|i| i as u8 + 1);
            let mut ran: Vec<&CalendarEntry> = calendar
                .entries
                .iter()
                .filter(|e| runs_on(&e.when, day, special))
                .filter(|e| back > 0 || time_of(&e.when) <= now)
                .collect();
            ran.sort_by_key(|e| std::cmp::Reverse(e.when.time));
            for e in ran {
                let (input, level) = match e.action {
                    ScheduledAction::Switch { on, .. } => (false, if on { 100 } else { 0 }),
                    ScheduledAction::Level(l) => (l.input, l.level),
                };
                let i = usize::from(e.action.number()).saturating_sub(1);
                if let Some(slot) = found.get_mut(i) {
                    slot[usize::from(input)].get_or_insert(level);
                }
            }
        }
        found
    }
}
