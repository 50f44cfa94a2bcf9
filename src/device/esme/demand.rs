//! The maximum demand registers (4.12): the highest average power of a half-hour since each
//! register was last reset — imported at any time, imported within a configurable time of day,
//! and exported — each with when its half-hour ended.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::Esme;
use crate::device::{period_of, period_start};
use crate::protocol::dlms::Data;
use crate::protocol::gbcs::payload::{self, ECS18A};

/// DLMS unit code of the watt.
const WATT: u8 = 27;

/// The configurable time period a meter starts with: 16:00 to 19:00, the evening peak a
/// distribution network's charges are highest in.
const PEAK_START_HOUR: u32 = 16;
const PEAK_END_HOUR: u32 = 19;

/// What a meter keeps of its maximum demand registers: when each was last reset, and the
/// configurable time period. Their values are worked out from the half-hours recorded since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxDemand {
    /// When each register was last reset, by [`Register`]; `None`: not since installation.
    pub reset: [Option<DateTime<Utc>>; 3],
    /// When the configurable time period starts and ends each day (UTC); when it ends before
    /// it starts, it runs over midnight.
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for MaxDemand {
    fn default() -> MaxDemand {
        let hour = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
        MaxDemand {
            reset: [None; 3],
            start: hour(PEAK_START_HOUR),
            end: hour(PEAK_END_HOUR),
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

/// One maximum demand register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Register {
    /// Active power import, at any time (`1-0:1.6.0`).
    Import = 0,
    /// Active power import within the configurable time period (`1-0:1.6.1`).
    ConfigurableImport = 1,
    /// Active power export (`1-0:2.6.0`).
    Export = 2,
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
        let last_reset = |r: Register| {
            settings.reset[r as usize].unwrap_or_else(|| period_start(self.commissioned))
        };
        let at = |t: DateTime<Utc>| Data::OctetString(payload::date_time_octets(t));
        let register = |r: Register| {
            let (watts, captured) = self.highest_demand(r, last_reset(r), now_period, &settings);
            [
                Data::DoubleLongUnsigned(watts),
                Data::Structure(vec![Data::Integer(0), Data::Enum(WATT)]),
                at(captured),
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

    /// The highest average power of a half-hour `register` counts, from the one under way at
    /// `since` to the last before `until`, W, and when that half-hour ended. The first highest
    /// stands (a register is overwritten only by more); none recorded: nought, at `since`.
    fn highest_demand(
        &self,
        register: Register,
        since: DateTime<Utc>,
        until: u32,
        settings: &MaxDemand,
    ) -> (u32, DateTime<Utc>) {
        let from = period_of(since).max(self.commissioned);
        let mut highest = (0, since);
        for p in from..until {
            let wh = match register {
                Register::Import => self.import_wh(p),
                Register::ConfigurableImport if settings.within(p) => self.import_wh(p),
                Register::ConfigurableImport => continue,
                Register::Export => self.export_wh(p),
            };
            let watts = wh.saturating_mul(2);
            if watts > highest.0 {
                highest = (watts, period_start(p + 1));
            }
        }
        highest
    }
}
