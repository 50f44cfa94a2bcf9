//! DCC-scheduled reads (DUIS 5.1 Create Schedule, 5.2 Read Schedule, 5.3 Delete Schedule), sans-IO.
//!
//! A schedule asks the DCC to send one read service request (4.6.1, 4.8.1, 4.17…) to one device
//! on a fixed frequency — daily, weekly, monthly, quarterly, half-yearly or yearly from its start
//! date until its end date — over a log period given relative to each run (`StartDateOffset`
//! days before the run at `StartTime` to `EndDateOffset` days at `EndTime`). Each run's answer
//! goes to the user as a `DSPScheduledMessage` carrying the schedule's id.
//!
//! Runs are spread: a schedule without `ScheduleExecutionStartTime` runs after midnight UTC, one
//! with it after that time, each at an offset within the head-end's spread window taken from a
//! hash of the schedule id, so a supplier scheduling a whole patch at 01:00 does not send every
//! read into the same cells in the same second.

use chrono::{DateTime, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::request::Element;
use crate::model::{Eui64, ServiceRef};

/// How often a schedule runs (XSD `ScheduleFrequency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    HalfYearly,
    Yearly,
}

impl Frequency {
    fn parse(text: &str) -> Option<Frequency> {
        Some(match text {
            "Daily" => Frequency::Daily,
            "Weekly" => Frequency::Weekly,
            "Monthly" => Frequency::Monthly,
            "Quarterly" => Frequency::Quarterly,
            "Half-Yearly" => Frequency::HalfYearly,
            "Yearly" => Frequency::Yearly,
            _ => return None,
        })
    }

    fn label(self) -> &'static str {
        match self {
            Frequency::Daily => "Daily",
            Frequency::Weekly => "Weekly",
            Frequency::Monthly => "Monthly",
            Frequency::Quarterly => "Quarterly",
            Frequency::HalfYearly => "Half-Yearly",
            Frequency::Yearly => "Yearly",
        }
    }

    /// The date of run `n` of a schedule starting on `start`.
    fn date(self, start: NaiveDate, n: u32) -> Option<NaiveDate> {
        let months = |m: u32| start.checked_add_months(Months::new(m.checked_mul(n)?));
        match self {
            Frequency::Daily => start.checked_add_days(chrono::Days::new(u64::from(n))),
            Frequency::Weekly => start.checked_add_days(chrono::Days::new(7 * u64::from(n))),
            Frequency::Monthly => months(1),
            Frequency::Quarterly => months(3),
            Frequency::HalfYearly => months(6),
            Frequency::Yearly => months(12),
        }
    }
}

/// A log period relative to a run (XSD `ReadLogPeriodOffset`); offsets are days, 0 to −400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPeriod {
    pub start_offset: i32,
    pub start_time: NaiveTime,
    pub end_offset: i32,
    pub end_time: NaiveTime,
}

impl LogPeriod {
    /// The period a run on `date` reads (`None` only at the ends of the calendar).
    pub fn on(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let at = |offset: i32, time: NaiveTime| {
            let day = date.checked_add_signed(Duration::days(i64::from(offset)))?;
            Some(Utc.from_utc_datetime(&day.and_time(time)))
        };
        Some((
            at(self.start_offset, self.start_time)?,
            at(self.end_offset, self.end_time)?,
        ))
    }
}

/// The read a schedule makes: the body element of the scheduled service (e.g.
/// `DSPReadActiveImportProfileData` for 4.8.1) and its log period, if the service reads a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledRead {
    pub element: String,
    pub period: Option<LogPeriod>,
}

/// A DCC schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub id: u64,
    /// The user who created it, to whom its results go.
    pub user: Eui64,
    pub device: Eui64,
    pub service: ServiceRef,
    pub frequency: Frequency,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub execution_time: Option<NaiveTime>,
    pub read: ScheduledRead,
    /// The index of the next run (0 before the first).
    pub next: u32,
}

/// Why a `CreateSchedule` body was refused: the DUIS code (`E050101`…) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    pub code: &'static str,
    pub reason: String,
}

/// The body element each schedulable service reference variant takes (XSD `DSPSchedule`).
pub const SCHEDULED_READS: [(&str, &str); 14] = [
    ("4.2", "DSPReadInstantaneousExportRegisters"),
    ("4.6.1", "DSPRetrieveImportDailyReadLog"),
    ("4.6.2", "DSPRetrieveExportDailyReadLog"),
    ("4.8.1", "DSPReadActiveImportProfileData"),
    ("4.8.2", "DSPReadReactiveImportProfileData"),
    ("4.8.3", "DSPReadExportProfileData"),
    ("4.10", "DSPReadNetworkData"),
    ("4.12.1", "DSPReadMaximumDemandImportRegisters"),
    ("4.12.2", "DSPReadMaximumDemandExportRegisters"),
    ("4.14", "DSPReadPrepaymentDailyReadLog"),
    ("4.15", "DSPReadLoadLimitData"),
    ("4.16", "DSPReadActivePowerImport"),
    ("4.17", "DSPRetrieveDailyConsumptionLog"),
    ("14.1", "DSPRecordNetworkDataGAS"),
];

/// An `xs:time` (`hh:mm:ss[.fff][Z|±hh:mm]`) as a UTC time of day.
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    let (clock, shift) = if let Some(c) = text.strip_suffix('Z') {
        (c, 0)
    } else if text.len() > 6 && matches!(text.as_bytes()[text.len() - 6], b'+' | b'-') {
        let (c, zone) = text.split_at(text.len() - 6);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let h: i64 = zone.get(1..3)?.parse().ok()?;
        let m: i64 = zone.get(4..6)?.parse().ok()?;
        (c, sign * (h * 60 + m))
    } else {
        (text, 0)
    };
    let time = NaiveTime::parse_from_str(clock, "%H:%M:%S%.f").ok()?;
    // 10:00+01:00 is 09:00 UTC.
    Some(time - Duration::minutes(shift))
}

impl Schedule {
    /// Reads a `CreateSchedule` body sent by `user` on `today`, giving it `id`.
    pub fn from_request(
        id: u64,
        user: Eui64,
        body: &Element,
        today: NaiveDate,
    ) -> Result<Schedule, ScheduleError> {
        let bad = |code, reason: String| ScheduleError { code, reason };
        let text = |name: &str| body.find(name).map(|e| e.text.trim().to_string());
        let need = |name: &str| {
            text(name).ok_or_else(|| bad("E050112", format!("CreateSchedule needs sr:{name}")))
        };
        let date = |name: &str, value: String| {
            NaiveDate::parse_from_str(value.trim_end_matches('Z'), "%Y-%m-%d")
                .map_err(|_| bad("E050112", format!("sr:{name} {value:?} is not an xs:date")))
        };
        let frequency = need("ScheduleFrequency")?;
        let frequency = Frequency::parse(&frequency).ok_or_else(|| {
            bad(
                "E050112",
                format!("ScheduleFrequency {frequency:?} is not Daily, Weekly, Monthly, Quarterly, Half-Yearly or Yearly"),
            )
        })?;
        let start = date("ScheduleStartDate", need("ScheduleStartDate")?)?;
        let end = text("ScheduleEndDate")
            .map(|v| date("ScheduleEndDate", v))
            .transpose()?;
        if end.is_some_and(|end| end < start) {
            return Err(bad(
                "E050102",
                format!(
                    "ScheduleEndDate {} is before ScheduleStartDate {start}",
                    end.unwrap_or(start)
                ),
            ));
        }
        if end.is_some_and(|end| end < today) {
            return Err(bad(
                "E050101",
                format!("the schedule ended before today ({today})"),
            ));
        }
        let execution_time = text("ScheduleExecutionStartTime")
            .map(|t| {
                parse_time(&t).ok_or_else(|| {
                    bad(
                        "E050112",
                        format!("ScheduleExecutionStartTime {t:?} is not an xs:time"),
                    )
                })
            })
            .transpose()?;
        let variant = need("DSPScheduledServiceReferenceVariant")?;
        let service: ServiceRef = variant.parse().map_err(|e| {
            bad(
                "E050105",
                format!("DSPScheduledServiceReferenceVariant: {e}"),
            )
        })?;
        let element = SCHEDULED_READS
            .iter()
            .find(|(srv, _)| *srv == variant)
            .map(|(_, element)| *element)
            .ok_or_else(|| bad("E050105", format!("{variant} cannot be DCC-scheduled")))?;
        let read = body.find(element).ok_or_else(|| {
            bad(
                "E050105",
                format!("a {variant} schedule carries sr:{element}"),
            )
        })?;
        let device = need("DeviceID")?;
        let device: Eui64 = device
            .parse()
            .map_err(|e| bad("E050112", format!("DeviceID: {e}")))?;
        let period = match read.find("StartDateOffset") {
            None => None,
            Some(_) => Some(log_period(read)?),
        };
        Ok(Schedule {
            id,
            user,
            device,
            service,
            frequency,
            start,
            end,
            execution_time,
            read: ScheduledRead {
                element: element.to_string(),
                period,
            },
            next: 0,
        })
    }

    /// When run `n` is due: its date at the execution time (midnight if none), plus this
    /// schedule's place in the spread window. `None` once past the end date.
    pub fn run_time(&self, n: u32, spread: Duration) -> Option<(NaiveDate, DateTime<Utc>)> {
        let date = self.frequency.date(self.start, n)?;
        if self.end.is_some_and(|end| date > end) {
            return None;
        }
        let base = Utc.from_utc_datetime(&date.and_time(self.execution_time.unwrap_or_default()));
        Some((date, base.checked_add_signed(self.spread_offset(spread))?))
    }

    /// Skips the runs due before `now` (a schedule created today for a start in the past
    /// starts with its next run, not a backlog).
    pub fn skip_past(&mut self, now: DateTime<Utc>, spread: Duration) {
        while self
            .run_time(self.next, spread)
            .is_some_and(|(_, at)| at < now)
        {
            self.next += 1;
        }
    }

    fn spread_offset(&self, spread: Duration) -> Duration {
        let ms = spread.num_milliseconds();
        if ms <= 0 {
            return Duration::zero();
        }
        // SplitMix64 of the id: a fixed, evenly spread place for each schedule.
        let mut z = self.id.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Duration::milliseconds((z % ms as u64) as i64)
    }

    /// The schedule as `DSPScheduleDetails` (XSD `DSPSchedule`), elements in schema order.
    pub fn details_xml(&self) -> String {
        let mut out = format!(
            "<sr:ScheduleFrequency>{}</sr:ScheduleFrequency><sr:ScheduleStartDate>{}</sr:ScheduleStartDate>",
            self.frequency.label(),
            self.start
        );
        if let Some(end) = self.end {
            out += &format!("<sr:ScheduleEndDate>{end}</sr:ScheduleEndDate>");
        }
        if let Some(t) = self.execution_time {
            out += &format!(
                "<sr:ScheduleExecutionStartTime>{}</sr:ScheduleExecutionStartTime>",
                xs_time(t)
            );
        }
        let element = &self.read.element;
        let read = match &self.read.period {
            Some(p) => format!(
                "<sr:{element}><sr:StartDateOffset>{}</sr:StartDateOffset><sr:StartTime>{}</sr:StartTime><sr:EndDateOffset>{}</sr:EndDateOffset><sr:EndTime>{}</sr:EndTime></sr:{element}>",
                p.start_offset,
                xs_time(p.start_time),
                p.end_offset,
                xs_time(p.end_time)
            ),
            // With its end tag, as Canonical XML writes it: responses are signed as written.
            None => format!("<sr:{element}></sr:{element}>"),
        };
        out + &format!(
            "<sr:DSPScheduledServiceReference>{}</sr:DSPScheduledServiceReference><sr:DSPScheduledServiceReferenceVariant>{}</sr:DSPScheduledServiceReferenceVariant><sr:DeviceID>{}</sr:DeviceID>{read}",
            self.service.service_reference(),
            self.service,
            self.device
        )
    }
}

fn xs_time(t: NaiveTime) -> String {
    format!("{}Z", t.format("%H:%M:%S"))
}

fn log_period(read: &Element) -> Result<LogPeriod, ScheduleError> {
    let bad = |reason: String| ScheduleError {
        code: "E050103",
        reason,
    };
    let text = |name: &str| {
        read.find(name)
            .map(|e| e.text.trim().to_string())
            .ok_or_else(|| bad(format!("sr:{} needs sr:{name}", read.name)))
    };
    let offset = |name: &str| -> Result<i32, ScheduleError> {
        let t = text(name)?;
        t.parse()
            .ok()
            .filter(|d| (-400..=0).contains(d))
            .ok_or_else(|| {
                bad(format!(
                    "sr:{name} {t:?} is not a whole number of days, 0 to -400"
                ))
            })
    };
    let time = |name: &str| -> Result<NaiveTime, ScheduleError> {
        let t = text(name)?;
        parse_time(&t).ok_or_else(|| bad(format!("sr:{name} {t:?} is not an xs:time")))
    };
    let period = LogPeriod {
        start_offset: offset("StartDateOffset")?,
        start_time: time("StartTime")?,
        end_offset: offset("EndDateOffset")?,
        end_time: time("EndTime")?,
    };
    let day = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    let (from, to) = period
        .on(day)
        .ok_or_else(|| bad("the log period is out of range".into()))?;
    if from >= to {
        return Err(bad(format!(
            "the log period starts ({}, {}) at or after it ends ({}, {})",
            period.start_offset, period.start_time, period.end_offset, period.end_time
        )));
    }
    Ok(period)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(xml: &str) -> Element {
        let request = format!(
            "<sr:Request xmlns:sr=\"x\"><sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1</sr:RequestID><sr:CommandVariant>8</sr:CommandVariant><sr:ServiceReference>5.1</sr:ServiceReference><sr:ServiceReferenceVariant>5.1</sr:ServiceReferenceVariant></sr:Header><sr:Body><sr:CreateSchedule>{xml}</sr:CreateSchedule></sr:Body></sr:Request>"
        );
        super::super::Request::parse(&request).unwrap().body
    }

    const DAILY: &str = "<sr:ScheduleFrequency>Daily</sr:ScheduleFrequency><sr:ScheduleStartDate>2026-03-30</sr:ScheduleStartDate><sr:DSPScheduledServiceReference>4.8</sr:DSPScheduledServiceReference><sr:DSPScheduledServiceReferenceVariant>4.8.1</sr:DSPScheduledServiceReferenceVariant><sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID><sr:DSPReadActiveImportProfileData><sr:StartDateOffset>-1</sr:StartDateOffset><sr:StartTime>00:00:00.00Z</sr:StartTime><sr:EndDateOffset>0</sr:EndDateOffset><sr:EndTime>00:00:00.00Z</sr:EndTime></sr:DSPReadActiveImportProfileData>";

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_daily_profile_schedule_reads_yesterday_every_day() {
        let user = "90-B3-D5-1F-30-01-00-00".parse().unwrap();
        let s = Schedule::from_request(7, user, &body(DAILY), day(2026, 3, 1)).unwrap();
        assert_eq!(s.frequency, Frequency::Daily);
        let (date, at) = s.run_time(2, Duration::zero()).unwrap();
        assert_eq!(date, day(2026, 4, 1));
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap());
        let (from, to) = s.read.period.unwrap().on(date).unwrap();
        assert_eq!(from, Utc.with_ymd_and_hms(2026, 3, 31, 0, 0, 0).unwrap());
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap());
        // Spread: within the window, fixed for the schedule.
        let (_, spread) = s.run_time(2, Duration::hours(1)).unwrap();
        assert!(spread >= at && spread < at + Duration::hours(1));
        assert_eq!(s.run_time(2, Duration::hours(1)).unwrap().1, spread);
    }

    #[test]
    fn monthly_runs_keep_to_the_month_and_stop_after_the_end_date() {
        let user = "90-B3-D5-1F-30-01-00-00".parse().unwrap();
        let xml = DAILY
            .replace(">Daily<", ">Monthly<")
            .replace("2026-03-30", "2026-01-31")
            .replace(
                "</sr:ScheduleStartDate>",
                "</sr:ScheduleStartDate><sr:ScheduleEndDate>2026-04-30</sr:ScheduleEndDate><sr:ScheduleExecutionStartTime>02:30:00+01:00</sr:ScheduleExecutionStartTime>",
            );
        let s = Schedule::from_request(1, user, &body(&xml), day(2026, 1, 1)).unwrap();
        let dates: Vec<_> = (0..5)
            .map_while(|n| s.run_time(n, Duration::zero()))
            .map(|(d, at)| (d, at.time()))
            .collect();
        let t = NaiveTime::from_hms_opt(1, 30, 0).unwrap();
        assert_eq!(
            dates,
            vec![
                (day(2026, 1, 31), t),
                (day(2026, 2, 28), t),
                (day(2026, 3, 31), t),
                (day(2026, 4, 30), t)
            ]
        );
        // Details go back out in schema order.
        assert!(s.details_xml().starts_with("<sr:ScheduleFrequency>Monthly</sr:ScheduleFrequency><sr:ScheduleStartDate>2026-01-31</sr:ScheduleStartDate><sr:ScheduleEndDate>2026-04-30</sr:ScheduleEndDate><sr:ScheduleExecutionStartTime>01:30:00Z</sr:ScheduleExecutionStartTime><sr:DSPScheduledServiceReference>"));
    }

    #[test]
    fn bad_schedules_name_what_is_wrong() {
        let user = "90-B3-D5-1F-30-01-00-00".parse().unwrap();
        let today = day(2026, 3, 1);
        let cases = [
            (DAILY.replace(">Daily<", ">Hourly<"), "E050112", "Hourly"),
            (
                DAILY.replace(
                    "</sr:ScheduleStartDate>",
                    "</sr:ScheduleStartDate><sr:ScheduleEndDate>2026-03-01</sr:ScheduleEndDate>",
                ),
                "E050102",
                "before ScheduleStartDate",
            ),
            (
                DAILY.replace(">-1<", ">-401<"),
                "E050103",
                "StartDateOffset",
            ),
            (
                DAILY.replace(">-1<", ">0<"),
                "E050103",
                "at or after it ends",
            ),
            (
                DAILY.replace("ReferenceVariant>4.8.1<", "ReferenceVariant>4.1.1<"),
                "E050105",
                "cannot be DCC-scheduled",
            ),
            (
                DAILY.replace("ReferenceVariant>4.8.1<", "ReferenceVariant>4.17<"),
                "E050105",
                "DSPRetrieveDailyConsumptionLog",
            ),
        ];
        for (xml, code, words) in cases {
            let e = Schedule::from_request(1, user, &body(&xml), today).unwrap_err();
            assert_eq!(e.code, code, "{}", e.reason);
            assert!(e.reason.contains(words), "{}", e.reason);
        }
    }

    #[test]
    fn times_with_zones_become_utc() {
        assert_eq!(parse_time("00:00:00.00Z"), NaiveTime::from_hms_opt(0, 0, 0));
        assert_eq!(
            parse_time("10:15:00-02:00"),
            NaiveTime::from_hms_opt(12, 15, 0)
        );
        assert_eq!(
            parse_time("00:30:00+01:00"),
            NaiveTime::from_hms_opt(23, 30, 0)
        );
        assert_eq!(parse_time("25:00:00"), None);
    }
}
