//! From half-hourly reads to settled volumes, the way Market-wide Half-Hourly Settlement does it:
//!
//! 1. **Smart Data Service** ([`sds`]): validates each MPAN's retrieved half-hourly data and
//!    estimates what is missing or invalid, flagging every period actual or estimated with its
//!    method; converts register reads into half-hourly values with load shapes.
//! 2. **Load Shaping Service** ([`lss`]): per category and day, the mean of the actual data.
//! 3. **Volume Allocation Service** ([`vas`]): line losses, aggregation by supplier × BM unit ×
//!    GSP group × consumption component class, the GSP group correction factor with per-class
//!    scaling weights (guarding the zero-weight case), corrected volumes.
//!
//! [`engine::settle_day`] runs the three for one settlement day and each settlement run (SF, R1,
//! RF), each run using the data retrieved by its date. Data comes from a [`engine::Source`]:
//! [`synthetic::SyntheticFleet`] (the simulator's fleet, whose true consumption is known, so
//! the error settlement makes can be measured) or [`files::MemorySource`] (CSV files, or the head-end's scheduled reads of its virtual fleet, [`headend`]). [`summary`]
//! turns a day into the figures the simulator report shows; [`files`] also writes the D0397 /
//! D0399-shaped CSV and the IF-021-shaped JSON lines.

pub mod calendar;
pub mod cli;
pub mod engine;
pub mod files;
pub mod headend;
pub mod losses;
pub mod lss;
pub mod sds;
pub mod standing;
pub mod summary;
pub mod synthetic;
pub mod vas;

use std::fmt;

use chrono::Duration;
use serde::Serialize;

use crate::model::SettlementDate;

pub use engine::{DayResult, RunResult, Source, settle_day};
pub use standing::{Category, Connection, Direction, Segment, Standing, StandingData};

/// A bad line in an input file: the file, the 1-based line and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct InputError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl InputError {
    pub fn new(file: &str, line: usize, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// How an estimated value was made, in the order the data service tries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Method {
    /// A de-energised point with no data: zero.
    Deenergised,
    /// A gap of one or two periods between actual values: a straight line between them.
    Interpolated,
    /// The same period of the same weekday a week earlier, from actual data.
    LikeDay,
    /// The day's share of a register advance, spread over the periods by the load shape.
    RegisterShaped,
    /// Annual consumption ÷ 365, spread over the periods by the load shape: the last resort.
    AnnualShaped,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Deenergised,
        Method::Interpolated,
        Method::LikeDay,
        Method::RegisterShaped,
        Method::AnnualShaped,
    ];

    /// The code written beside an estimated value (E0–E4).
    pub fn code(self) -> &'static str {
        match self {
            Method::Deenergised => "E0",
            Method::Interpolated => "E1",
            Method::LikeDay => "E2",
            Method::RegisterShaped => "E3",
            Method::AnnualShaped => "E4",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Deenergised => "de-energised",
            Method::Interpolated => "interpolated",
            Method::LikeDay => "like day",
            Method::RegisterShaped => "register advance × load shape",
            Method::AnnualShaped => "annual consumption × load shape",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Whether a period's value was measured or estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Quality {
    Actual,
    Estimated(Method),
}

impl Quality {
    pub fn is_actual(self) -> bool {
        self == Quality::Actual
    }

    /// `A`, or the estimation method's code.
    pub fn code(self) -> &'static str {
        match self {
            Quality::Actual => "A",
            Quality::Estimated(m) => m.code(),
        }
    }
}

/// The settlement runs modelled, with the MHHS timetable (working days after the settlement
/// day, MHHS-DEL1590): SF +7, R1 +30, RF +84.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RunType {
    SF,
    R1,
    RF,
}

impl RunType {
    pub const ALL: [RunType; 3] = [RunType::SF, RunType::R1, RunType::RF];

    pub fn working_days(self) -> u32 {
        match self {
            RunType::SF => 7,
            RunType::R1 => 30,
            RunType::RF => 84,
        }
    }

    /// Calendar days from the settlement day to the run (weekends and England and Wales bank
    /// holidays skipped: [`calendar`]). Data retrieved on an earlier day is used by the run.
    pub fn calendar_days(self, date: SettlementDate) -> u32 {
        let mut day = date.date();
        let mut left = self.working_days();
        let mut days = 0;
        while left > 0 {
            day += Duration::days(1);
            days += 1;
            if calendar::is_working_day(day) {
                left -= 1;
            }
        }
        days
    }
}

impl fmt::Display for RunType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::str::FromStr for RunType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "SF" => Ok(RunType::SF),
            "R1" => Ok(RunType::R1),
            "RF" => Ok(RunType::RF),
            _ => Err(format!(
                "unknown settlement run {s:?}: expected SF, R1 or RF"
            )),
        }
    }
}

/// A consumption component class: the dimensions MHHS keeps (market segment, domestic or not,
/// import or export, actual or estimated, consumption or line losses). The label, e.g.
/// `S-D-AI-A-C`, is dccsim's own: the MHHS CCC ids are not public in this project's sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Ccc {
    pub segment: Segment,
    pub domestic: bool,
    pub direction: Direction,
    pub actual: bool,
    pub losses: bool,
}

impl Ccc {
    pub fn label(self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.segment.code(),
            if self.domestic { 'D' } else { 'N' },
            self.direction.quantity(),
            if self.actual { 'A' } else { 'E' },
            if self.losses { 'L' } else { 'C' }
        )
    }
}

/// GSP group correction scaling weights: how much of the group's error each class absorbs.
/// Export classes carry none, as in the BSC; actual data carries little, estimates the most.
/// Losses take the weight of the consumption they belong to. The values are assumptions
/// (the MHHS weights are set in the market domain data and under review).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Weights {
    pub smart_actual: f64,
    pub advanced_actual: f64,
    pub unmetered: f64,
    pub estimated: f64,
    pub export: f64,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights {
            smart_actual: 0.1,
            advanced_actual: 0.1,
            unmetered: 0.5,
            estimated: 1.0,
            export: 0.0,
        }
    }
}

impl Weights {
    pub fn of(&self, ccc: Ccc) -> f64 {
        if ccc.direction == Direction::Export {
            return self.export;
        }
        if ccc.segment == Segment::Unmetered {
            return self.unmetered;
        }
        if !ccc.actual {
            return self.estimated;
        }
        match ccc.segment {
            Segment::Smart => self.smart_actual,
            _ => self.advanced_actual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_fall_on_working_days() {
        // Monday 2026-06-01: SF is 7 working days later, Wednesday 10 June (9 calendar days).
        let d: SettlementDate = "2026-06-01".parse().unwrap();
        assert_eq!(RunType::SF.calendar_days(d), 9);
        // Saturday: the first working day is Monday.
        let sat: SettlementDate = "2026-06-06".parse().unwrap();
        assert_eq!(RunType::SF.calendar_days(sat), 10);
        assert_eq!(RunType::R1.calendar_days(d), 42);
        // RF crosses the summer bank holiday (31 August): Monday 28 September, not Friday 25th.
        assert_eq!(RunType::RF.calendar_days(d), 119);
        // R1 of 18 November 2026 crosses Christmas, Boxing Day's substitute and New Year's Day:
        // Monday 4 January 2027.
        let november: SettlementDate = "2026-11-18".parse().unwrap();
        assert_eq!(RunType::R1.calendar_days(november), 47);
        assert_eq!("rf".parse::<RunType>(), Ok(RunType::RF));
    }

    #[test]
    fn export_absorbs_no_correction() {
        let w = Weights::default();
        let ccc = Ccc {
            segment: Segment::Smart,
            domestic: true,
            direction: Direction::Export,
            actual: false,
            losses: false,
        };
        assert_eq!(w.of(ccc), 0.0);
        assert_eq!(ccc.label(), "S-D-AE-E-C");
    }
}
