//! The maximum demand registers (4.12): the highest average power of a half-hour since each
//! register was last reset — imported at any time, imported within a configurable time of day,
//! and exported — each with when its half-hour ended.

use std::cell::Cell;

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::Esme;
use crate::device::{period_of, period_start};
use crate::protocol::dlms::Data;
use crate::protocol::gbcs::payload::{self, ECS18A, MaxDemandRegister as Register};

/// DLMS unit code of the watt.
const WATT: u8 = 27;

/// The hour (UTC) the configurable time period a meter starts with begins: 16:00 to 19:00, the
/// evening peak a distribution network's charges are highest in.
const PEAK_START_HOUR: u32 = 16;
/// The hour (UTC) that period ends.
const PEAK_END_HOUR: u32 = 19;

/// What a meter keeps of its maximum demand registers: when each was last reset, and the
/// configurable time period. Their values are worked out from the half-hours recorded since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxDemand {
    /// When each register was last reset, by [`Register`]; `None`: not since installation.
    pub reset: [Option<DateTime<Utc>>; 3],
    /// When the configurable time period starts each day (UTC).
    pub start: NaiveTime,
    /// When it ends (UTC): before it starts, it runs over midnight; as it starts, it is empty
    /// and the register counts nothing.
    pub end: NaiveTime,
    /// When the period was last set (6.18.1), and what the configurable time register held
    /// then (W, and when): the half-hours before count under the period then in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_set: Option<PeriodSet>,
}

/// The configurable time register as it stood when a 6.18.1 set a new period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodSet {
    /// The first half-hour counted under the new period: the one under way when it was set
    /// (which the old period no longer counts).
    pub from: u32,
    /// What the register held then.
    pub held: Highest,
}

/// A maximum demand register's value: the highest average power of a half-hour, and when that
/// half-hour ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Highest {
    /// W: twice the half-hour's Wh.
    pub watts: u32,
    /// When the half-hour ended; none counted: when the register was last reset.
    pub ended: DateTime<Utc>,
}

/// How far each register was last worked out, so the next read goes on from there rather than
/// over the meter's whole life — and likewise the counts of half-hours past a threshold (4.10's
/// voltage sags and swells, 4.15's load limit exceedances). A cache, not state: not saved, not
/// cloned, and forgotten whenever what it was worked out from changes — a reset, a new period,
/// the supply record.
#[derive(Default)]
pub(super) struct DemandMemo(Cell<Option<Box<Memo>>>);

#[derive(Default)]
struct Memo {
    registers: [Option<Worked>; 3],
    counts: [Option<Counted>; 2],
}

/// A register worked out from its last reset (`since`) to the start of half-hour `until`.
#[derive(Clone, Copy)]
struct Worked {
    since: DateTime<Utc>,
    until: u32,
    highest: Highest,
}

/// What a count is of: the voltage's sags and swells, or the load limit's exceedances.
#[derive(Clone, Copy)]
pub(super) enum Count {
    Voltage = 0,
    LoadLimit = 1,
}

/// Two counts of half-hours from `from` to the start of half-hour `until`, against
/// `thresholds`.
#[derive(Clone, Copy)]
struct Counted {
    from: u32,
    until: u32,
    thresholds: (u32, u32),
    counts: (u32, u32),
}

impl DemandMemo {
    fn with<T>(&self, f: impl FnOnce(&mut Memo) -> T) -> T {
        let mut memo = self.0.take().unwrap_or_default();
        let out = f(&mut memo);
        self.0.set(Some(memo));
        out
    }

    fn get(&self, register: Register) -> Option<Worked> {
        self.with(|m| m.registers[register as usize])
    }

    fn put(&self, register: Register, worked: Worked) {
        self.with(|m| m.registers[register as usize] = Some(worked));
    }

    /// Count `count` of the half-hours from `from` to the start of `until`: two tallies, each
    /// half-hour adding what `tally` gives it against `thresholds` — going on from where the
    /// last count of the same half-hours and thresholds left off.
    pub(super) fn count(
        &self,
        count: Count,
        from: u32,
        until: u32,
        thresholds: (u32, u32),
        tally: impl Fn(u32) -> (bool, bool),
    ) -> (u32, u32) {
        let known = self
            .with(|m| m.counts[count as usize])
            .filter(|c| c.from == from && c.thresholds == thresholds && c.until <= until);
        let (start, mut counts) = known.map_or((from, (0, 0)), |c| (c.until, c.counts));
        for p in start..until {
            let (a, b) = tally(p);
            counts.0 += u32::from(a);
            counts.1 += u32::from(b);
        }
        let counted = Counted {
            from,
            until: until.max(from),
            thresholds,
            counts,
        };
        self.with(|m| m.counts[count as usize] = Some(counted));
        counts
    }

    pub(super) fn forget(&self) {
        self.0.set(None);
    }
}

impl Clone for DemandMemo {
    fn clone(&self) -> DemandMemo {
        DemandMemo::default()
    }
}

impl std::fmt::Debug for DemandMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemandMemo")
    }
}

impl Default for MaxDemand {
    fn default() -> MaxDemand {
        let hour = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
        MaxDemand {
            reset: [None; 3],
            start: hour(PEAK_START_HOUR),
            end: hour(PEAK_END_HOUR),
            period_set: None,
        }
    }
}

impl MaxDemand {
    /// Whether half-hour `period` starts within the configurable time period.
    fn within(&self, period: u32) -> bool {
        let at = period_start(period).time();
        if self.start <= self.end {
            (self.start..self.end).contains(&at)
        } else {
            at >= self.start || at < self.end
        }
    }
}

impl Esme {
    /// The maximum demand settings the meter holds (its own until a 6.18 changed them).
    pub(super) fn max_demand(&self) -> MaxDemand {
        self.extra
            .as_ref()
            .and_then(|e| e.max_demand)
            .unwrap_or_default()
    }

    /// The values 4.12.2 (ECS18a) or 4.12.1 (ECS18b) reads, as the half-hours before
    /// `now_period` leave them, in the order the read lists them.
    pub(super) fn max_demand_values(&self, code: u16, now_period: u32) -> Vec<Data> {
        let settings = self.max_demand();
        let last_reset = |r: Register| self.last_reset(&settings, r);
        let at = |t: DateTime<Utc>| Data::OctetString(payload::date_time_octets(t));
        let register = |r: Register| {
            let highest = self.highest_demand(r, last_reset(r), now_period, &settings);
            [
                Data::DoubleLongUnsigned(highest.watts),
                Data::Structure(vec![Data::Integer(0), Data::Enum(WATT)]),
                at(highest.ended),
            ]
        };
        if code == ECS18A {
            let mut values = vec![at(last_reset(Register::Export))];
            values.extend(register(Register::Export));
            return values;
        }
        let mut values = vec![
            at(last_reset(Register::Import)),
            at(last_reset(Register::ConfigurableImport)),
        ];
        values.extend(register(Register::Import));
        values.extend(register(Register::ConfigurableImport));
        values.push(payload::max_demand_period(settings.start, settings.end, 1));
        values
    }

    /// Sets the configurable time period from `now`, the register keeping what it held; the
    /// half-hour under way counts only under the new period.
    pub(super) fn set_max_demand_period(
        &mut self,
        start: NaiveTime,
        end: NaiveTime,
        now: DateTime<Utc>,
    ) {
        let mut settings = self.max_demand();
        let since = self.last_reset(&settings, Register::ConfigurableImport);
        let from = period_of(now);
        let held = self.highest_demand(Register::ConfigurableImport, since, from, &settings);
        settings.period_set = Some(PeriodSet { from, held });
        (settings.start, settings.end) = (start, end);
        self.extra_mut().max_demand = Some(settings);
        self.demand.forget();
    }

    /// Resets `registers` at `now`: each counts again from the half-hour under way.
    pub(super) fn reset_max_demand(&mut self, registers: &[Register], now: DateTime<Utc>) {
        let mut settings = self.max_demand();
        for &r in registers {
            settings.reset[r as usize] = Some(now);
            if r == Register::ConfigurableImport {
                settings.period_set = None;
            }
        }
        self.extra_mut().max_demand = Some(settings);
        self.demand.forget();
    }

    /// When `register` was last reset: installation, if never.
    fn last_reset(&self, settings: &MaxDemand, register: Register) -> DateTime<Utc> {
        settings.reset[register as usize].unwrap_or_else(|| period_start(self.commissioned))
    }

    /// The highest average power of a half-hour `register` counts, from the one under way at
    /// `since` to the last before `until`. The first highest stands (a register is overwritten
    /// only by more); none recorded: nought, at `since`. The configurable time register starts
    /// from what it held when its period was last set. Goes on from the last time it was
    /// worked out, when that was from the same reset and not later.
    fn highest_demand(
        &self,
        register: Register,
        since: DateTime<Utc>,
        until: u32,
        settings: &MaxDemand,
    ) -> Highest {
        let mut from = period_of(since).max(self.commissioned);
        let mut highest = Highest {
            watts: 0,
            ended: since,
        };
        if let (Register::ConfigurableImport, Some(set)) = (register, settings.period_set) {
            (from, highest) = (from.max(set.from), set.held);
        }
        let worked = self.demand.get(register);
        if let Some(w) = worked.filter(|w| w.since == since && (from..=until).contains(&w.until)) {
            (from, highest) = (w.until, w.highest);
        }
        for p in from..until {
            let wh = match register {
                Register::Import => self.import_wh(p),
                Register::ConfigurableImport if settings.within(p) => self.import_wh(p),
                Register::ConfigurableImport => continue,
                Register::Export => self.export_wh(p),
            };
            let watts = wh.saturating_mul(2);
            if watts > highest.watts {
                highest = Highest {
                    watts,
                    ended: period_start(p + 1),
                };
            }
        }
        let until = until.max(from);
        self.demand.put(
            register,
            Worked {
                since,
                until,
                highest,
            },
        );
        highest
    }
}
