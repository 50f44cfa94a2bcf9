//! Virtual SMETS2 devices (sans-IO: GBCS bytes and `now` in, GBCS bytes out; no sockets, no
//! clocks). Each device keeps the state a real one would answer from — registers, the profile
//! log, supply state, payment mode and credit, firmware version, an event log, the counters
//! that refuse replays and the top-ups already credited — and signs and MACs with its own keys.
//!
//! State is compact: consumption is a seeded function of the half-hour ([`consumption`]), so
//! the 19,056-entry profile log (13 months of half-hours) is computed when read, shaped by the
//! device's history (periods without supply read zero), instead of stored: 76 KB a meter would
//! be 76 GB for a million.
//!
//! - [`Esme`]: the electricity meter, speaking DLMS/COSEM inside GBCS.
//! - [`GasMeter`]: the gas meter and the gas proxy function answering for it, speaking GBZ.
//! - [`CommsHub`]: the comms hub function, its firmware and device log (ASN.1 and DLMS).
//! - [`VendorMeter`]: a SMETS1-style meter speaking a vendor protocol from `protocols/*.toml`.

mod configuration;
pub mod consumption;
pub mod credentials;
mod esme;
pub mod firmware;
mod gas;
mod han;
mod hub;
mod vendor;

pub use configuration::{
    AlertBehaviours, ESME_ALERT_BEHAVIOURS, ESME_DEBT, MANUFACTURER, MeterSettings, Prepayment,
    esme_settings,
};
pub use consumption::{Consumer, CustomerType};
pub use esme::Notice;
pub use esme::{
    DeviceError, Esme, MeterPoints, PROFILE_LOG_ENTRIES, SupplyState, Tariffs,
    supply_restored_alert,
};
pub use gas::{
    CS01B, CS10A, CS10B, CS11, GCS02, GCS03, GCS06, GCS07, GCS09, GCS11, GCS13A, GCS14, GCS15B,
    GCS15C, GCS15D, GCS15E, GCS16A, GCS16B, GCS17, GCS18, GCS20, GCS20R, GCS21D, GCS21J, GCS21K,
    GCS23, GCS24, GCS25, GCS25A, GCS28, GCS31, GCS32, GCS38, GCS39, GCS40A, GCS40B, GCS40C, GCS40D,
    GCS41, GCS44, GCS46, GCS60, GCS60A, GCS61, GasMeter, UncontrolledFlow, Valve,
};
pub use gas::{
    GCS01A, GCS01B, GCS04, GCS05, GCS21B, GCS21F, GasTariff, Prepay, TariffState, WH_PER_M3,
};
pub use han::{HanDevice, HanKind};
pub use hub::{CS08, CommsHub, LogEntry};
pub use vendor::{ERROR_UNKNOWN_REGISTER, ERROR_UNSUPPORTED, VendorDeviceError, VendorMeter};

use chrono::{DateTime, Utc};

/// The half-hour period (UTC half-hours since 2000-01-01, as GBCS time stamps count) that
/// contains `t`.
pub fn period_of(t: DateTime<Utc>) -> u32 {
    crate::protocol::gbcs::payload::to_gbcs_seconds(t).map_or(0, |s| s / 1800)
}

/// The start of `period`.
pub fn period_start(period: u32) -> DateTime<Utc> {
    crate::protocol::gbcs::payload::from_gbcs_seconds(period.saturating_mul(1800))
}

/// The highest originator counter accepted from each remote party: GBCS §4.3.3 has a device
/// refuse any command whose counter is not above the last it accepted from that party.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Counters(Vec<(crate::model::Eui64, u64)>);

impl Counters {
    /// The last counter accepted from `party` (0 before any).
    pub fn last(&self, party: crate::model::Eui64) -> u64 {
        self.0
            .iter()
            .find(|(p, _)| *p == party)
            .map_or(0, |(_, c)| *c)
    }

    /// Refuses a replayed or stale counter.
    pub fn check(&self, party: crate::model::Eui64, counter: u64) -> Result<(), DeviceError> {
        let last = self.last(party);
        if counter <= last {
            return Err(DeviceError::Replay {
                from: party,
                counter,
                last,
            });
        }
        Ok(())
    }

    /// Records a counter once its command has been carried out.
    pub fn accept(&mut self, party: crate::model::Eui64, counter: u64) {
        match self.0.iter_mut().find(|(p, _)| *p == party) {
            Some(entry) => entry.1 = counter,
            None => self.0.push((party, counter)),
        }
    }
}

/// How a meter's customer pays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PaymentMode {
    #[default]
    Credit,
    Prepayment,
}

/// A future-dated payment mode change a meter holds until its time (GCS02, GCS03, ECS02,
/// ECS03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingChange {
    /// GBCS seconds.
    pub at: u32,
    pub mode: PaymentMode,
    /// The command it came in: use case, originator (who is told when it is done), counter.
    pub code: u16,
    pub from: crate::model::Eui64,
    pub counter: u64,
    /// A gas meter's payment control configuration to take up with the mode (GCS02, GCS03).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<u16>,
}

/// An entry of a device's event log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    /// The event code (GBCS's event and alert code table: 0x8154 a command actioned, 0x8155
    /// one not, 0x8F36 supply restored…).
    pub code: u16,
    /// For a command received, its message code.
    #[serde(default)]
    pub command: Option<u16>,
    pub what: String,
    /// The entry's number in its log's running count (the power event log sends it).
    #[serde(default)]
    pub number: u32,
}

/// GBCS event codes a device logs for a command it received over its HAN interface: "Immediate
/// HAN Interface Command Received and Successfully Actioned", and "… but not Successfully
/// Actioned".
pub const COMMAND_ACTIONED: u16 = 0x8154;
pub const COMMAND_NOT_ACTIONED: u16 = 0x8155;

impl Event {
    /// The entry as the device's event log holds it (ECS35a): code, and for a command its
    /// message code as details.
    pub fn logged(&self) -> crate::protocol::gbcs::payload::LoggedEvent {
        let (code, command) = match (self.code, self.command) {
            // Saved by an older dccsim, which logged a command's message code as the event.
            (code, None) if code < 0x8000 => {
                let refused = self.what.starts_with("top-up refused");
                let event = if refused {
                    COMMAND_NOT_ACTIONED
                } else {
                    COMMAND_ACTIONED
                };
                (event, Some(code))
            }
            other => other,
        };
        crate::protocol::gbcs::payload::LoggedEvent {
            at: self.at,
            code,
            detail: command
                .map(|c| c.to_be_bytes().to_vec())
                .unwrap_or_default(),
        }
    }
}

/// Events kept in an event log; older ones fall off.
const EVENT_LOG_LEN: usize = 100;

/// A device's event log: the last [`EVENT_LOG_LEN`] events, oldest first.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct EventLog(std::collections::VecDeque<Event>);

impl EventLog {
    pub const fn new() -> EventLog {
        EventLog(std::collections::VecDeque::new())
    }

    /// Empties the log (3.3 Clear Event Log).
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Logs event `code` (an alert or event code) at `at`.
    pub fn push(&mut self, at: DateTime<Utc>, code: u16, what: impl Into<String>) {
        self.log(Event {
            at,
            code,
            command: None,
            what: what.into(),
            number: 0,
        });
    }

    /// Logs command `message_code`, received at `at`, as actioned or not.
    pub fn command(
        &mut self,
        at: DateTime<Utc>,
        message_code: u16,
        actioned: bool,
        what: impl Into<String>,
    ) {
        self.log(Event {
            at,
            code: if actioned {
                COMMAND_ACTIONED
            } else {
                COMMAND_NOT_ACTIONED
            },
            command: Some(message_code),
            what: what.into(),
            number: 0,
        });
    }

    /// Keeps the log in time order (an outage's start is logged when the supply returns,
    /// after whatever came between), dropping the oldest when full; numbers the entry next in
    /// the log's running count.
    fn log(&mut self, mut event: Event) {
        event.number = self.0.iter().map(|e| e.number).max().unwrap_or(0) + 1;
        if self.0.len() == EVENT_LOG_LEN {
            if self.0.front().is_some_and(|oldest| event.at < oldest.at) {
                return;
            }
            self.0.pop_front();
        }
        let at = self.0.partition_point(|e| e.at <= event.at);
        self.0.insert(at, event);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.0.iter()
    }

    /// The entries logged from `from` to `to`, both included.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> impl Iterator<Item = &Event> {
        self.0.iter().filter(move |e| (from..=to).contains(&e.at))
    }

    /// Takes out the entries whose code `belongs` elsewhere, oldest first.
    pub fn take_where(&mut self, belongs: impl Fn(u16) -> bool) -> Vec<Event> {
        let (out, keep): (std::collections::VecDeque<Event>, _) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|e| belongs(e.code));
        self.0 = keep;
        out.into()
    }

    /// Logs an entry taken from another log (keeping its time and details).
    pub fn adopt(&mut self, event: Event) {
        self.log(event);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A single-rate tariff: a unit rate per kWh and a standing charge per day, in thousandths of
/// a penny (a meter's currency unit, 1/100,000 of a pound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tariff {
    pub unit_rate: u32,
    pub standing_charge: u32,
}

impl Tariff {
    /// About the GB price cap of 2026.
    pub const GAS: Tariff = Tariff {
        unit_rate: 6_300,
        standing_charge: 31_700,
    };
    pub const ELECTRICITY: Tariff = Tariff {
        unit_rate: 24_500,
        standing_charge: 53_000,
    };

    /// What `wh` used over `periods` half-hours costs.
    pub fn cost(&self, wh: u64, periods: u32) -> i64 {
        let energy = wh * u64::from(self.unit_rate) / 1000;
        let standing = u64::from(periods) * u64::from(self.standing_charge) / 48;
        (energy + standing) as i64
    }
}

/// Prepayment credit as of the start of a half-hour, thousandths of a penny: what the meter
/// had at its last top-up or change of mode, from which use is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Balance {
    pub period: u32,
    pub milli_pence: i64,
}

impl Balance {
    /// The credit at `period` after `wh` were used since the balance was struck (it may go
    /// below zero: the meters here do not cut off the supply).
    pub fn at(self, period: u32, wh: u64, tariff: Tariff) -> i64 {
        self.milli_pence - tariff.cost(wh, period.saturating_sub(self.period))
    }
}

/// Emergency credit (2.5) a meter gave: from half-hour `from`, `limit` of it (currency units),
/// what the balance may fall below nought by. A top-up, update or change of mode that leaves
/// the balance at nought or more ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EmergencyCredit {
    pub from: u32,
    pub limit: i64,
}

impl EmergencyCredit {
    /// What is left of it when the meter balance is `balance`: all of it at nought or more,
    /// less what the balance is below nought, none once that is the limit.
    pub fn left(self, balance: i64) -> i64 {
        (self.limit + balance.min(0)).clamp(0, self.limit)
    }

    /// What is left of the emergency credit a meter holds (`held`) at `period` when the
    /// balance is `balance`: none before it was given, nor of one that has ended (a meter keeps
    /// only the one in use). A `snapshot` at the start of `period` comes before an activation
    /// within it.
    pub(crate) fn left_at(held: Option<Self>, period: u32, balance: i64, snapshot: bool) -> i32 {
        held.filter(|e| period > e.from || (!snapshot && period == e.from))
            .map_or(0, |e| e.left(balance) as i32)
    }

    /// Whether emergency credit in use ends with the balance struck at `struck`: at nought or
    /// more, or the meter in credit mode.
    pub(crate) fn ends(struck: Balance, payment: PaymentMode) -> bool {
        struck.milli_pence >= 0 || payment == PaymentMode::Credit
    }
}

/// Whether a meter in `payment` mode, with `balance` and emergency credit `active` (some of
/// it left), takes `limit` of emergency credit offered below `threshold` (2.5), or why not.
pub(crate) fn emergency_credit_refusal(
    payment: PaymentMode,
    balance: i64,
    active: bool,
    (limit, threshold): (i64, i64),
) -> Option<&'static str> {
    if payment != PaymentMode::Prepayment {
        Some("emergency credit not activated: the meter is in credit mode")
    } else if active {
        Some("emergency credit not activated: it is already in use")
    } else if balance >= threshold {
        Some("emergency credit not activated: the balance is not below its threshold")
    } else if balance <= -limit {
        Some("emergency credit not activated: the balance is below nought by its limit or more")
    } else {
        None
    }
}

/// A 1.5 Update Meter Balance, as a meter carries it out: the meter balance adjusted by an
/// amount, or set to one (a reset sets nought); currency units, 1/100,000 of a pound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceUpdate {
    Adjust(i64),
    Set(i64),
}

impl BalanceUpdate {
    /// The balance `current` becomes.
    pub fn applied_to(self, current: i64) -> i64 {
        match self {
            BalanceUpdate::Adjust(amount) => current.saturating_add(amount),
            BalanceUpdate::Set(value) => value,
        }
    }

    /// What the event log says of it.
    pub fn describe(self) -> &'static str {
        match self {
            BalanceUpdate::Adjust(_) => "meter balance adjusted",
            BalanceUpdate::Set(0) => "meter balance reset",
            BalanceUpdate::Set(_) => "meter balance set",
        }
    }
}

/// The balance a meter strikes at `now`, whose credit at a half-hour is `credit`: the credit at
/// `now`'s half-hour, or at the last strike's if later (a held change carried out late).
pub(crate) fn strike(last: Balance, now: DateTime<Utc>, credit: impl Fn(u32) -> i64) -> Balance {
    let period = period_of(now).max(last.period);
    Balance {
        period,
        milli_pence: credit(period),
    }
}

/// The balance updates (1.5) a meter remembers, as (half-hour, change): the last
/// [`ADJUSTMENTS_KEPT`], so balances before them are worked back past them.
pub type Adjustments = Vec<(u32, i64)>;

/// Balance updates a meter remembers (as many as the change of mode log's snapshots).
pub const ADJUSTMENTS_KEPT: usize = 12;

/// Makes room in `ledger` (oldest first) for one more entry, keeping the last `kept`; the
/// half-hour (`period` of an entry) of the latest entry forgotten, if any: a balance before
/// it can no longer be worked back.
pub(crate) fn make_room<T>(
    ledger: &mut Vec<T>,
    kept: usize,
    period: impl Fn(&T) -> u32,
) -> Option<u32> {
    let over = (ledger.len() + 1).saturating_sub(kept);
    ledger.drain(..over).map(|e| period(&e)).max()
}

/// A meter's balance at the start of `period`, worked back from `balance` struck at `struck`
/// (its period, or commissioning if later): what was used since (`wh` over half-hours) added
/// back at `tariff`, the top-ups and balance adjustments made since (`credits`: half-hour and
/// amount; one in `period` itself came after the snapshot taken at its start) taken off. Not before `from`,
/// the balance the meter was set up with. A `period` after the strike needs nothing worked
/// back: the caller's own balance then.
pub(crate) fn worked_back(
    balance: Balance,
    struck: u32,
    from: u32,
    period: u32,
    cost: impl FnOnce(std::ops::Range<u32>) -> i64,
    credits: impl Iterator<Item = (u32, i64)>,
) -> i64 {
    let period = period.max(from).min(struck);
    let credited: i64 = credits
        .filter(|(p, _)| (period..=struck).contains(p))
        .map(|(_, amount)| amount)
        .sum();
    balance.milli_pence + cost(period..struck) - credited
}

/// Sets a meter's account to `mode` from `struck`, its balance at the change (so no credit is
/// lost); returns what the meter logs of the command. It is logged as actioned whether or not
/// the mode changes: the command's settings (a threshold, the debt suspension flags) are taken
/// up either way.
pub(crate) fn switch_mode(
    payment: &mut PaymentMode,
    balance: &mut Balance,
    struck: Balance,
    mode: PaymentMode,
) -> &'static str {
    *balance = struck;
    let what = match (mode, *payment == mode) {
        (PaymentMode::Credit, false) => "payment mode: credit",
        (PaymentMode::Prepayment, false) => "payment mode: prepayment",
        (PaymentMode::Credit, true) => "payment mode: credit (unchanged)",
        (PaymentMode::Prepayment, true) => "payment mode: prepayment (unchanged)",
    };
    *payment = mode;
    what
}

/// Why a meter did not credit a top-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopUpRefusal {
    /// Mistyped, not a token, or its MAC fails: not a code for this meter.
    #[error("{0}")]
    Invalid(String),
    /// Its counter was credited before (or is older than all those held).
    #[error("{0}")]
    Duplicate(String),
    /// More than the maximum credit threshold (2.1 sets it): too large for one top-up.
    #[error("{0}")]
    TooLarge(String),
    /// It would take the balance past the maximum meter balance (2.1 sets it).
    #[error("{0}")]
    MaximumBalance(String),
}

/// Refuses a top-up of `value` onto `balance` (milli-pence) past a meter's maximum credit
/// threshold (the most one top-up may add) or its maximum meter balance.
pub fn check_top_up(
    value: i64,
    balance: i64,
    max_per_top_up: i64,
    max_balance: i64,
) -> Result<(), TopUpRefusal> {
    let pounds = |m: i64| format!("£{:.2}", m as f64 / 100_000.0);
    if value > max_per_top_up {
        return Err(TopUpRefusal::TooLarge(format!(
            "a top-up of {} exceeds the maximum credit threshold, {}",
            pounds(value),
            pounds(max_per_top_up)
        )));
    }
    if balance.saturating_add(value) > max_balance {
        return Err(TopUpRefusal::MaximumBalance(format!(
            "a top-up of {} would take the balance, {}, past the maximum meter balance, {}",
            pounds(value),
            pounds(balance),
            pounds(max_balance)
        )));
    }
    Ok(())
}

/// The event a meter logs, in its security log, for a UTRN it refuses: "Duplicate UTRN
/// entered" (0x8F51), "UTRN not Authentic" (0x8F63), or "UTRN exceeds Maximum Credit
/// Threshold" (0x8F5B) — GBCS's alert list has no other for a top-up past the maximum meter
/// balance, so dccsim logs that one for it too.
pub fn top_up_refused_event(why: &TopUpRefusal) -> u16 {
    match why {
        TopUpRefusal::Duplicate(_) => DUPLICATE_UTRN,
        TopUpRefusal::Invalid(_) => UTRN_NOT_AUTHENTIC,
        TopUpRefusal::TooLarge(_) | TopUpRefusal::MaximumBalance(_) => UTRN_EXCEEDS_MAXIMUM,
    }
}

pub const DUPLICATE_UTRN: u16 = 0x8F51;
pub const UTRN_NOT_AUTHENTIC: u16 = 0x8F63;
pub const UTRN_EXCEEDS_MAXIMUM: u16 = 0x8F5B;

/// Whether an ESME logs event `code` in its security log (as the RTDS security log holds the
/// UTRN events), not its event log.
pub fn is_security_event(code: u16) -> bool {
    matches!(
        code,
        DUPLICATE_UTRN | UTRN_NOT_AUTHENTIC | UTRN_EXCEEDS_MAXIMUM
    )
}

/// The half-hours from `first` to `last` (both included) at which a billing calendar ends a
/// billing period, the last `keep` of them. Each entry is a COSEM time and date whose `FF`
/// fields repeat (a year of `FFFF`, a month, day or weekday of `FF`; an hour or minute of `FF`
/// is taken as 0); COSEM's other special values (a day of `FD` or `FE`, the month's last days;
/// a month of `FD` or `FE`, daylight saving's) are not followed: they never match. A time
/// within a half-hour ends the period at that half-hour; one past GBCS's clock never does.
pub(crate) fn billing_ends(
    calendar: &[crate::protocol::gbcs::payload::BillingExecution],
    first: u32,
    last: u32,
    keep: usize,
) -> Vec<u32> {
    use chrono::{Datelike, Duration};
    if first > last {
        return Vec::new();
    }
    let matches = |field: u8, value: u32| field == 0xFF || u32::from(field) == value;
    let mut ends = std::collections::BTreeSet::new();
    // Day by day over the last `keep` years' worth at most (a calendar of whole years ends a
    // period at least yearly; one of particular years or 29 February may end fewer).
    let years = u32::try_from(keep.max(1)).unwrap_or(u32::MAX);
    let from = first.max(last.saturating_sub(years.saturating_mul(48 * 366)));
    let mut day = period_start(from).date_naive();
    let end_day = period_start(last).date_naive();
    while day <= end_day {
        for e in calendar {
            let [y1, y2, month, dom, weekday] = e.date;
            let year = u16::from_be_bytes([y1, y2]);
            let hits = (year == 0xFFFF || i32::from(year) == day.year())
                && matches(month, day.month())
                && matches(dom, day.day())
                && matches(weekday, day.weekday().number_from_monday());
            if !hits {
                continue;
            }
            let field = |v: u8| if v == 0xFF { 0 } else { i64::from(v) };
            let at = day.and_hms_opt(0, 0, 0).map(|t| {
                t.and_utc()
                    + Duration::hours(field(e.time[0]))
                    + Duration::minutes(field(e.time[1]))
            });
            let seconds = at.and_then(crate::protocol::gbcs::payload::to_gbcs_seconds);
            if let Some(p) = seconds.map(|s| s / 1800)
                && (first..=last).contains(&p)
            {
                ends.insert(p);
            }
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    let ends: Vec<u32> = ends.into_iter().collect();
    ends[ends.len().saturating_sub(keep)..].to_vec()
}

/// Top-up counters a prepayment meter keeps (GBCS §14), so each UTRN credits once.
const TOP_UP_CACHE: usize = 10;

/// The top-ups a prepayment meter has credited: the counters of the last few UTRNs.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TopUps(std::collections::VecDeque<u64>);

impl TopUps {
    /// Credits a UTRN `supplier` made for `device`: checks its digits, that its counter is new
    /// (not among those held, and not older than all of them once the cache is full), its MAC,
    /// and then that `fits` takes its value in pence (a refused value leaves the UTRN unused).
    /// The credit in pence, or why not.
    pub fn credit(
        &mut self,
        digits: &str,
        supplier: crate::model::Eui64,
        device: crate::model::Eui64,
        keys: &crate::protocol::gbcs::KeyStore,
        fits: impl FnOnce(u32) -> Result<(), TopUpRefusal>,
    ) -> Result<u32, TopUpRefusal> {
        let invalid = |e: crate::protocol::gbcs::UtrnError| TopUpRefusal::Invalid(e.to_string());
        let utrn = crate::protocol::gbcs::Utrn::parse(digits).map_err(invalid)?;
        let highest = self.0.iter().max().copied().unwrap_or(0);
        let counter = utrn.counter_near(highest);
        if self.0.contains(&counter) {
            let n = counter >> 32;
            return Err(TopUpRefusal::Duplicate(format!(
                "top-up {n} was already credited"
            )));
        }
        let lowest = self.0.iter().min().copied().unwrap_or(0);
        if self.0.len() == TOP_UP_CACHE && counter < lowest {
            let n = counter >> 32;
            return Err(TopUpRefusal::Duplicate(format!(
                "top-up {n} is older than those held"
            )));
        }
        utrn.verify(keys, supplier, device, counter)
            .map_err(invalid)?;
        fits(utrn.pence())?;
        if self.0.len() == TOP_UP_CACHE {
            self.0.retain(|c| *c != lowest);
        }
        self.0.push_back(counter);
        Ok(utrn.pence())
    }
}

/// What a command is answered with, as its header will say.
pub(crate) struct Answer {
    /// The device answering (the GPF or the GSME of a gas meter).
    pub me: crate::model::Eui64,
    /// The remote party that sent the command, and its counter and use case.
    pub to: crate::model::Eui64,
    pub counter: u64,
    pub code: u16,
    /// A critical command's response is signed by the device; others are MACed (GBCS §4.3.3).
    pub critical: bool,
    /// The device's clock as it answers, in the header of the use cases that carry it.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The user the DCC relayed the command for, whom the header names.
    pub relay: Option<crate::protocol::gbcs::Relay>,
    /// The user the Access Control Broker sent a comms hub its command for, whom the header
    /// names.
    pub on_behalf: Option<crate::protocol::gbcs::OnBehalf>,
}

impl Answer {
    /// The response message around `content`, signed or MACed.
    pub fn bytes(
        &self,
        content: Vec<u8>,
        keys: &crate::protocol::gbcs::KeyStore,
        acb: crate::model::Eui64,
    ) -> Result<Vec<u8>, DeviceError> {
        use crate::protocol::gbcs::{Cra, mac_message, sign_message};
        let mut response = crate::protocol::gbcs::payload::message_for(
            Cra::Response,
            self.counter,
            self.me,
            self.to,
            self.code,
            content,
        );
        // A relayed answer is sealed under the broker's counter, which rises for each command
        // to this device as a device's own would.
        if let Some(relay) = &self.relay {
            response.signing.other_information =
                relay.response_information(self.code, self.counter);
        } else if let Some(on_behalf) = self.on_behalf {
            response.signing.other_information = on_behalf.information(self.code);
        }
        if crate::protocol::gbcs::payload::response_is_dated(self.code) {
            response.signing.date_time = crate::protocol::gbcs::payload::date_time_octets(self.at);
        }
        let done = if self.critical {
            sign_message(keys, &mut response)
        } else {
            mac_message(keys, &mut response, acb)
        };
        if !done {
            return Err(DeviceError::NoKeys);
        }
        Ok(response.to_bytes()?)
    }
}

/// Whom a device seals its answer for: the remote party that sent the command or, when the DCC
/// relays a request for a user (GBCS's supplementary remote party), that user, by the key in
/// the certificate the command carries.
pub(crate) struct SealFor {
    /// The party the answer is sealed for.
    pub to: crate::model::Eui64,
    /// The party that sent the command, whom the answer goes to.
    pub reply_to: crate::model::Eui64,
    key: Option<[u8; 65]>,
}

impl SealFor {
    /// For `command`, and the relay it carries if any: only the Access Control Broker `acb`
    /// relays, so a user's own command naming another party is answered to that user.
    pub fn of(
        command: &crate::protocol::gbcs::GbcsMessage,
        acb: crate::model::Eui64,
    ) -> Result<(SealFor, Option<crate::protocol::gbcs::Relay>), DeviceError> {
        let s = &command.signing;
        let reply_to = s.originator;
        let relay = crate::protocol::gbcs::Relay::of_command(&s.other_information)
            .filter(|_| s.originator == acb);
        let Some(relay) = relay else {
            let to = s.originator;
            return Ok((
                SealFor {
                    to,
                    reply_to,
                    key: None,
                },
                None,
            ));
        };
        let key = relay
            .public_key()
            .map_err(|e| DeviceError::Payload(format!("the certificate of {}: {e}", relay.user)))?;
        let to = relay.user;
        Ok((
            SealFor {
                to,
                reply_to,
                key: Some(key),
            },
            Some(relay),
        ))
    }

    /// `plaintext` sealed by `me` for the party, answering the command with `counter`.
    pub fn seal(
        &self,
        keys: &crate::protocol::gbcs::KeyStore,
        me: crate::model::Eui64,
        counter: u64,
        plaintext: &[u8],
    ) -> Result<crate::protocol::gbcs::Sealed, DeviceError> {
        use crate::protocol::gbcs::Sealed;
        match &self.key {
            None => Sealed::seal(keys, me, self.to, counter, plaintext),
            Some(key) => Sealed::seal_for(keys, me, self.to, key, counter, plaintext),
        }
        .map_err(|_| DeviceError::NoKeys)
    }
}

/// The first checks every device makes (GBCS §4.3.3): the message decodes, is addressed to one
/// of `me`, is a command, and carries a valid MAC from the Access Control Broker.
pub(crate) fn receive_command(
    bytes: &[u8],
    me: &[crate::model::Eui64],
    keys: &crate::protocol::gbcs::KeyStore,
    acb: crate::model::Eui64,
) -> Result<crate::protocol::gbcs::GbcsMessage, DeviceError> {
    use crate::protocol::gbcs::{Cra, GbcsMessage, Verdict, verify_mac};
    let command = GbcsMessage::decode(bytes)?;
    let s = &command.signing;
    if !me.contains(&s.recipient) {
        return Err(DeviceError::NotAddressed {
            to: s.recipient,
            me: me[0],
        });
    }
    if s.cra != Cra::Command {
        return Err(DeviceError::NotCommand(s.cra.to_string()));
    }
    match verify_mac(keys, &command, acb) {
        Verdict::Valid => Ok(command),
        other => Err(DeviceError::Mac(other)),
    }
}

/// The answer to CS08 (11.2, read firmware version, an ASN.1 NULL) of a device running
/// `firmware`: the version and status 0, as a comms hub, a PPMID and an HCALCS answer it.
fn firmware_answer(content: &[u8], firmware: &[u8]) -> Result<Vec<u8>, DeviceError> {
    use crate::protocol::gbcs::asn1::AsnPayload;
    let bad = |e: String| DeviceError::Payload(e);
    match AsnPayload::decode(content, false) {
        Ok(Some(AsnPayload::ReadFirmware)) => Ok(AsnPayload::Firmware {
            version: crate::protocol::gbcs::hex(firmware),
            status: 0,
        }
        .encode()),
        Ok(_) => Err(bad("CS08 reads the firmware version (NULL)".into())),
        Err(e) => Err(bad(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::{Balance, EVENT_LOG_LEN, EventLog, PaymentMode, make_room, switch_mode};
    use chrono::{TimeZone, Utc};

    /// A full ledger forgets its oldest entries and says the latest half-hour it forgot, below
    /// which balances cannot be worked back; one with room forgets nothing.
    #[test]
    fn a_full_ledger_says_what_it_forgot() {
        let mut ledger: Vec<(u32, i64)> = (0..4).map(|i| (100 + i, 1)).collect();
        assert_eq!(make_room(&mut ledger, 5, |&(p, _)| p), None);
        assert_eq!(ledger.len(), 4);
        assert_eq!(make_room(&mut ledger, 3, |&(p, _)| p), Some(101));
        assert_eq!(ledger, [(102, 1), (103, 1)]);
    }

    /// A payment mode command is logged as actioned whether or not it changes the mode, saying
    /// which.
    #[test]
    fn a_payment_mode_command_is_logged_even_to_the_mode_in_force() {
        let (mut payment, mut balance) = (PaymentMode::Prepayment, Balance::default());
        let struck = Balance::default();
        let what = [PaymentMode::Prepayment, PaymentMode::Credit]
            .map(|mode| switch_mode(&mut payment, &mut balance, struck, mode));
        assert_eq!(
            what,
            [
                "payment mode: prepayment (unchanged)",
                "payment mode: credit"
            ]
        );
        assert_eq!(payment, PaymentMode::Credit);
    }

    /// An event logged late (an outage's start, logged when the supply returns) takes its place
    /// in time; a full log drops the oldest, and an event older than all it holds.
    #[test]
    fn the_event_log_keeps_time_order() {
        let t = |minute: u32| Utc.with_ymd_and_hms(2026, 11, 30, 10, minute, 0).unwrap();
        let mut log = EventLog::default();
        log.push(t(5), 0x8154, "b");
        log.push(t(9), 0x8F36, "c");
        log.push(t(1), 0x8F57, "a");
        let order: Vec<_> = log.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(order, ["a", "b", "c"]);
        for i in 0..EVENT_LOG_LEN {
            log.push(t(10) + chrono::Duration::seconds(i as i64), 0x8154, "later");
        }
        assert_eq!(log.len(), EVENT_LOG_LEN);
        assert!(log.iter().all(|e| e.what == "later"));
        log.push(t(0), 0x8F57, "too old to keep");
        assert!(log.iter().all(|e| e.what == "later"));
    }

    /// Entries are numbered in the order they were logged, whatever their times; entries taken
    /// into another log are numbered there.
    #[test]
    fn entries_are_numbered_as_logged() {
        let t = |minute: u32| Utc.with_ymd_and_hms(2026, 11, 30, 10, minute, 0).unwrap();
        let mut log = EventLog::default();
        log.push(t(5), 0x8154, "b");
        log.push(t(1), 0x8F57, "a");
        log.push(t(9), 0x8F36, "c");
        let numbers: Vec<_> = log.iter().map(|e| (e.what.as_str(), e.number)).collect();
        assert_eq!(numbers, [("a", 2), ("b", 1), ("c", 3)]);
        let taken = log.take_where(|code| code != 0x8154);
        assert_eq!(log.iter().map(|e| e.code).collect::<Vec<_>>(), [0x8154]);
        let mut other = EventLog::default();
        for e in taken {
            other.adopt(e);
        }
        let moved: Vec<_> = other.iter().map(|e| (e.code, e.number)).collect();
        assert_eq!(moved, [(0x8F57, 1), (0x8F36, 2)]);
        assert_eq!(other.between(t(2), t(9)).count(), 1);
    }
}
