//! The electricity meter (ESME): answers the GBCS commands of the read and supply use cases.

mod act;
mod auxiliary;
mod demand;
mod read;
mod tariff;

pub use tariff::Tariffs;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::configuration::{
    AlertBehaviours, ESME_ALERT_BEHAVIOURS, ESME_DEBT, ESME_LOAD_LIMIT, ESME_VOLTAGE,
    MeterSettings, Prepayment, Voltage, esme_prepay_configuration,
};
use super::consumption::Consumer;
use super::{Balance, EventLog, PaymentMode, PendingChange, Tariff, period_of, period_start};
use crate::device::credentials::Credentials;
use crate::device::firmware::{self as firmware_state, FirmwareDue, Upgrade};
use crate::model::Eui64;
use crate::protocol::gbcs::credentials;
use crate::protocol::gbcs::firmware::{self, Activation, FirmwarePayload};
use crate::protocol::gbcs::join::{self, DeviceLog, HanType, JoinMethod};
use crate::protocol::gbcs::payload::behaviours::{Behaviour, Party};
use crate::protocol::gbcs::payload::{
    self, BillingExecution, DailyRead, Debt, ECS01A, ECS01B, ECS01C, ECS01D, ECS02, ECS03, ECS04A,
    ECS04B, ECS05, ECS07, ECS08, ECS08A, ECS09, ECS28A, ECS30, ECS30A, ECS38, ECS42, ECS43, ECS44,
    ECS46A, ECS46C, ECS46D, ECS47, ECS47A, ECS47E, ECS48, ECS70, ECS81, LoadLimit,
    PrepayConfiguration, PrepaymentEntry, Reading,
};
use crate::protocol::gbcs::{Cra, FrameError, KeyStore, Verdict, sign_message};

/// Entries of the half-hourly profile log: 397 days of 48 periods (GBCS ECS22b).
pub const PROFILE_LOG_ENTRIES: u32 = 19_056;
/// Whom an electricity meter joins on its home area network: a prepayment display or an
/// auxiliary load switch, by method A, the meter initiating.
const ESME_JOINS: &[(JoinMethod, &[HanType])] =
    &[(JoinMethod::AInitiator, &[HanType::Ppmid, HanType::Hcalcs])];
/// DLMS action result "other reason", the code a device gives a command it will not carry out.
const REFUSED: u8 = 250;
/// GBCS event "Supply interrupted", logged when the supply goes off.
const SUPPLY_INTERRUPTED: u16 = 0x8F57;
/// "Supply Outage Restored", and "… – outage >= 3 minutes".
const SUPPLY_RESTORED: u16 = 0x8F35;
const SUPPLY_RESTORED_LONG: u16 = 0x8F36;
/// The average RMS voltage log's capture period: an hour, as the RTDS meter has it.
const VOLTAGE_CAPTURE_PERIOD_S: u32 = 3600;
/// Reactive energy as a share of active: a quarter (a power factor of about 0.97), for the
/// reactive registers and profiles.
const REACTIVE_DIVISOR: u32 = 4;

/// The MPANs an electricity meter is configured with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterPoints {
    pub import: Option<MeterPoint>,
    pub export: Option<MeterPoint>,
}

/// An MPAN core as a meter holds it: thirteen digits, taken as they were set — a meter checks
/// no check digit (the RTDS's own MPANs have none that holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MeterPoint(u64);

impl MeterPoint {
    /// Thirteen ASCII digits, as a 6.20 command sets them; `None` for anything else.
    pub fn from_digits(digits: &[u8]) -> Option<MeterPoint> {
        if digits.len() != 13 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits)
            .ok()?
            .parse()
            .ok()
            .map(MeterPoint)
    }
}

impl From<crate::model::Mpan> for MeterPoint {
    fn from(m: crate::model::Mpan) -> MeterPoint {
        MeterPoint(m.as_u64())
    }
}

impl std::fmt::Display for MeterPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:013}", self.0)
    }
}

impl TryFrom<String> for MeterPoint {
    type Error = String;
    fn try_from(s: String) -> Result<MeterPoint, String> {
        MeterPoint::from_digits(s.as_bytes())
            .ok_or_else(|| format!("meter point {s:?} is not thirteen digits"))
    }
}

impl From<MeterPoint> for String {
    fn from(m: MeterPoint) -> String {
        m.to_string()
    }
}

/// The supply as the meter's disconnect control has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SupplyState {
    Enabled,
    Disabled,
    /// Disabled, and ready for the consumer to reconnect (7.3); dccsim's consumers never do,
    /// so the supply stays off until a 7.1.
    Armed,
}

impl SupplyState {
    /// The disconnect control's state (IC 70 attribute 3) for this: 0 disconnected, 1
    /// connected, 2 ready for reconnection.
    pub fn control_state(self) -> u8 {
        match self {
            SupplyState::Disabled => 0,
            SupplyState::Enabled => 1,
            SupplyState::Armed => 2,
        }
    }
}

/// Why a device did not act on bytes it was sent. A real device drops such a message (and may
/// log or alert); the error says why, for whoever drives the device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("not a GBCS message: {0}")]
    Frame(#[from] FrameError),
    #[error("addressed to {to}, not to this device {me}")]
    NotAddressed { to: Eui64, me: Eui64 },
    #[error("a {0} is not a command")]
    NotCommand(String),
    #[error("the command's MAC is {0:?}: refused")]
    Mac(Verdict),
    #[error("the critical command's signature is {0:?}: refused")]
    Signature(Verdict),
    #[error(
        "replayed or stale command: counter {counter} from {from} is not above {last}, the last accepted"
    )]
    Replay {
        from: Eui64,
        counter: u64,
        last: u64,
    },
    #[error("message code {0:#06X} is not a use case this device answers")]
    Unsupported(u16),
    #[error("the command's payload: {0}")]
    Payload(String),
    #[error("this device's keys are not in the key store")]
    NoKeys,
    #[error(
        "the critical command is from {0}, whom none of this device's trust anchors names: refused"
    )]
    Untrusted(Eui64),
    #[error("refused: {0}")]
    Refused(String),
}

/// An electricity meter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Esme {
    pub eui: Eui64,
    pub consumer: Consumer,
    /// The first half-hour of the profile log (when the meter was installed).
    pub commissioned: u32,
    /// The import register when installed, Wh.
    pub register_base_wh: u64,
    pub supply: SupplyState,
    pub payment: PaymentMode,
    #[serde(default = "electricity_tariff")]
    pub tariff: Tariff,
    #[serde(default)]
    balance: Balance,
    /// The half-hour the balance was set up at ([`Esme::set_prepayment`]), or just after the
    /// latest top-up or balance update the meter no longer remembers: balances before it are
    /// not worked back past it.
    #[serde(default)]
    ledger_from: u32,
    pub firmware: [u8; 4],
    /// The meter points it is configured with (GBCS: set at installation), what 6.2.7 reads:
    /// the import MPAN and, for a meter with an export supply, the export MPAN.
    #[serde(default)]
    pub mpans: MeterPoints,
    /// Periods without supply, `[from, to)`, oldest first; `to` is `u32::MAX` while it lasts.
    off: Vec<(u32, u32)>,
    /// The highest originator counter accepted from each remote party.
    counters: super::Counters,
    /// This device's own counter, for the alerts it originates.
    alert_counter: u64,
    /// Top-up counters already credited (the last few).
    #[serde(default)]
    top_ups: super::TopUps,
    /// The event log (6.13 `Event`): commands actioned or not.
    pub events: EventLog,
    /// The security and power event logs and a payment mode change held for later, made when
    /// first needed (most meters have none of them, and a fleet's meters should stay small).
    #[serde(default, alias = "logs", skip_serializing_if = "Option::is_none")]
    extra: Option<Box<Extra>>,
    /// Its trust anchors and own keys (none: it takes the key store's keys for every party);
    /// saved once they are no longer as installed.
    #[serde(default, skip_serializing_if = "unsaved")]
    credentials: Option<Box<Credentials>>,
    /// The import recorded from commissioning to the start of a period, as last computed, so a
    /// register or balance read sums only the half-hours since the one before (a cache, not
    /// state: not saved, and dropped whenever the supply record changes). The period is never
    /// 0 (the niche keeps the cache 16 bytes).
    #[serde(skip)]
    imported: std::cell::Cell<Option<(std::num::NonZeroU32, u64)>>,
    /// How far each maximum demand register was last worked out (a cache, likewise).
    #[serde(skip)]
    demand: demand::DemandMemo,
}

impl Esme {
    pub fn new(eui: Eui64, consumer: Consumer, commissioned: DateTime<Utc>) -> Esme {
        Esme {
            eui,
            consumer,
            commissioned: period_of(commissioned),
            register_base_wh: 0,
            supply: SupplyState::Enabled,
            payment: PaymentMode::Credit,
            tariff: Tariff::ELECTRICITY,
            ledger_from: 0,
            balance: Balance {
                period: period_of(commissioned),
                milli_pence: 0,
            },
            firmware: [0x01, 0x00, 0x00, 0x00],
            mpans: MeterPoints::default(),
            off: Vec::new(),
            counters: super::Counters::default(),
            alert_counter: 0,
            top_ups: super::TopUps::default(),
            events: EventLog::default(),
            extra: None,
            credentials: None,
            imported: Default::default(),
            demand: Default::default(),
        }
    }

    /// Whether the meter recorded energy in `period`: installed by then, and the supply on.
    fn recording(&self, period: u32) -> bool {
        period >= self.commissioned
            && !self
                .off
                .iter()
                .any(|&(from, to)| (from..to).contains(&period))
    }

    /// Forgets what was worked out from the supply record (when it changes).
    fn supply_record_changed(&self) {
        self.imported.set(None);
        self.demand.forget();
    }

    /// Energy imported in `period` as the meter recorded it: nothing while the supply was off.
    pub fn import_wh(&self, period: u32) -> u32 {
        if self.recording(period) {
            self.consumer.import_wh(period)
        } else {
            0
        }
    }

    /// Energy exported in `period` as the meter recorded it (nothing while the supply was off).
    pub fn export_wh(&self, period: u32) -> u32 {
        if self.recording(period) {
            self.consumer.export_wh(period)
        } else {
            0
        }
    }

    /// The import register at the start of `period`, Wh.
    pub fn register_wh(&self, period: u32) -> u64 {
        self.register_base_wh + self.imported_before(period)
    }

    /// The energy imported from commissioning to the start of `period`, Wh: from the last such
    /// sum when it was for an earlier period (a 4.1.1 or 4.18 read of a meter installed a year
    /// ago then sums minutes, not 19,000 half-hours).
    fn imported_before(&self, period: u32) -> u64 {
        let (from, base) = match self.imported.get() {
            Some((at, wh)) if at.get() <= period => (at.get(), wh),
            _ => (self.commissioned, 0),
        };
        let wh = base
            + (from.max(self.commissioned)..period)
                .map(|p| u64::from(self.import_wh(p)))
                .sum::<u64>();
        let at = std::num::NonZeroU32::new(period.max(from));
        self.imported.set(at.map(|at| (at, wh)));
        wh
    }

    /// The export register at the start of `period`, Wh (zero when installed).
    pub fn export_register_wh(&self, period: u32) -> u64 {
        self.registers_at(&[period], |p| self.export_wh(p)).sum()
    }

    /// The energy `wh` counts from commissioning to each of `periods` (ascending), summed once:
    /// the first from commissioning, each next from the one before (a 31-day daily read log
    /// costs one sum over the meter's life, not 31).
    fn registers_at<'a>(
        &self,
        periods: &'a [u32],
        wh: impl Fn(u32) -> u32 + 'a,
    ) -> impl Iterator<Item = u64> + 'a {
        let mut register = 0u64;
        let mut last = self.commissioned;
        periods.iter().map(move |&p| {
            let p = p.max(last);
            register += (last..p).map(|q| u64::from(wh(q))).sum::<u64>();
            last = p;
            register
        })
    }

    /// Puts the meter in prepayment mode with `pence` of credit at `now`.
    pub fn set_prepayment(&mut self, pence: i64, now: DateTime<Utc>) {
        self.payment = PaymentMode::Prepayment;
        self.balance = Balance {
            period: period_of(now),
            milli_pence: pence * 1000,
        };
        self.ledger_from = period_of(now);
    }

    /// Prepayment credit at the start of `period`, thousandths of a penny: the balance at the
    /// last top-up less the electricity imported since at the tariff's rate and its standing
    /// charge. For a `period` at or after the balance was last struck (a top-up, an update, a
    /// mode change); the logs work earlier ones back.
    pub fn credit_milli_pence(&self, period: u32) -> i64 {
        // A meter never topped up or switched holds its balance from commissioning.
        let mut b = self.balance;
        b.period = b.period.max(self.commissioned);
        if self.priced_tariffs().is_some() {
            return b.milli_pence - self.cost(b.period..period);
        }
        let wh: u64 = if b.period == self.commissioned {
            self.imported_before(period)
        } else {
            (b.period..period)
                .map(|p| u64::from(self.import_wh(p)))
                .sum()
        };
        b.at(period, wh, self.tariff)
    }

    /// What the import over `periods` (half-hours) costs with the standing charge, thousandths
    /// of a penny: at the flat [`Tariff`](crate::device::Tariff) the meter was installed with,
    /// or, once a primary element update has been taken up, by its switching table.
    pub fn cost(&self, periods: std::ops::Range<u32>) -> i64 {
        if let Some(t) = self.priced_tariffs() {
            return priced_cost(t, periods, |p| self.import_wh(p));
        }
        let n = periods.len() as u32;
        let wh = periods.map(|p| u64::from(self.import_wh(p))).sum();
        self.tariff.cost(wh, n)
    }

    /// The periods the profile log holds at `now`: the last 19,056 complete ones since
    /// commissioning.
    fn log_window(&self, now: DateTime<Utc>) -> std::ops::Range<u32> {
        let end = period_of(now);
        let restricted = self.extra.as_ref().and_then(|e| e.restricted_from);
        end.saturating_sub(PROFILE_LOG_ENTRIES)
            .max(self.commissioned)
            .max(restricted.unwrap_or(0))..end
    }

    /// Handles one GBCS command; returns the response to send back. `acb` is the Access
    /// Control Broker whose MAC commands carry.
    pub fn handle(
        &mut self,
        bytes: &[u8],
        now: DateTime<Utc>,
        keys: &KeyStore,
        acb: Eui64,
    ) -> Result<Vec<u8>, DeviceError> {
        // GBCS §4.3.3: commands to a device carry the ACB's MAC; critical ones are also signed
        // by the remote party that sent them.
        let command = super::receive_command(bytes, &[self.eui], keys, acb)?;
        let s = &command.signing;
        let code = command.message_code().unwrap_or(0);
        let critical = matches!(
            code,
            ECS42
                | ECS43
                | ECS44
                | ECS02
                | ECS03
                | ECS30
                | ECS30A
                | ECS04A
                | ECS04B
                | ECS70
                | ECS09
                | ECS38
                | ECS81
                | ECS48
                | ECS05
                | ECS28A
                | ECS08
                | ECS08A
                | ECS07
                | ECS01A
                | ECS01B
                | ECS01C
                | ECS01D
                | ECS46A
                | ECS46C
                | ECS46D
                | ECS47
                | ECS47A
                | ECS47E
                | join::CS03A1
                | join::CS04AC
        ) || credentials::is_critical(code)
            || code == firmware::CS06;
        if critical {
            self.credentials().check(keys, &command)?;
        }
        // GBCS §4.3.3: an originator counter must be above the last one accepted from that
        // party, so a replayed command is refused.
        let (from, counter) = (s.originator, s.originator_counter);
        self.counters.check(from, counter)?;
        let (seal_for, relay) = super::SealFor::of(&command, acb)?;
        let content = if credentials::is_credentials(code) {
            let (answer, changed) = self
                .credentials()
                .respond(self.eui, code, from, counter, &s.content, now)?;
            if let Some(changed) = changed {
                self.set_credentials(changed);
            }
            answer
        } else if code == firmware::CS06 {
            let ask = FirmwarePayload::decode(code, &s.content)
                .map_err(|e| DeviceError::Payload(e.to_string()))?;
            let FirmwarePayload::Activate { hash, at, .. } = ask else {
                return Err(DeviceError::Payload(
                    "CS06 to a meter is an activation".into(),
                ));
            };
            let mut upgrade = self.firmware_upgrade().clone();
            let answer = upgrade.answer(&hash, at, (from, counter), self.firmware, now);
            if let FirmwarePayload::Outcome(o) = &answer
                && o.status == Activation::Activated
                && let Ok(running) = o.version.as_slice().try_into()
            {
                self.firmware = running;
            }
            self.set_firmware_upgrade(upgrade);
            answer.encode()
        } else if join::is_han(code) {
            // Joining the home area network: ASN.1, not DLMS.
            let ask = join::HanPayload::decode(code, true, &s.content)
                .map_err(|e| DeviceError::Payload(e.to_string()))?;
            let mut log = self.device_log().clone();
            let answer = log.answer(code, ESME_JOINS, &ask);
            if log != *self.device_log() {
                self.extra_mut().device_log = log;
            }
            answer.encode()
        } else {
            let reading = payload::decode_dlms(&command, None)
                .map_err(|e| DeviceError::Payload(e.to_string()))?;
            self.answer(code, &reading, counter, &seal_for, now, keys)?
        };
        self.counters.accept(from, counter);
        let answer = super::Answer {
            me: self.eui,
            to: from,
            counter,
            code,
            critical,
            at: now,
            relay,
            on_behalf: None,
        };
        answer.bytes(content, keys, acb)
    }

    /// The payload of the response to a verified command: a read's values, or what a command
    /// that changes the meter did.
    fn answer(
        &mut self,
        code: u16,
        reading: &Reading,
        counter: u64,
        seal_for: &super::SealFor,
        now: DateTime<Utc>,
        keys: &KeyStore,
    ) -> Result<Vec<u8>, DeviceError> {
        let reply = Reply {
            me: self.eui,
            counter,
            seal_for,
            keys,
        };
        if let Some(content) = self.read(code, reading, &reply, now)? {
            return Ok(content);
        }
        self.act(code, reading, &reply, now)?
            .ok_or(DeviceError::Unsupported(code))
    }

    /// Files events an older dccsim kept in the event log into the security and power event
    /// logs they belong to (a state saved before the meter kept three logs).
    pub fn file_logs(&mut self) {
        for e in self.events.take_where(super::is_security_event) {
            self.extra_mut().security.adopt(e);
        }
        for e in self.events.take_where(is_power_event) {
            self.extra_mut().power.adopt(e);
        }
    }

    /// The active import register at the start of period `p` as GBCS's 32-bit register sends
    /// it: Wh, rolling over past 999,999,999 as a nine-digit display would.
    fn import_register(&self, p: u32) -> u32 {
        (self.register_wh(p) % 1_000_000_000) as u32
    }

    /// The message the supplier last sent for the meter to display (3.1), if any.
    pub fn supplier_message(&self) -> Option<&str> {
        self.extra.as_ref()?.message.as_deref()
    }

    /// The supplier's name and telephone number the meter shows, as the last 3.4 set them.
    pub fn supplier_contact(&self) -> Option<(&str, &str)> {
        let (name, telephone) = self.extra.as_ref()?.supplier.as_ref()?;
        Some((name, telephone))
    }

    /// The meter balance at the start of period `p`, in the meter's currency unit (1/100,000
    /// of a pound), as GBCS's 32-bit registers hold it.
    fn meter_balance(&self, p: u32) -> i32 {
        let balance = self.credit_milli_pence(p);
        balance.clamp(i32::MIN.into(), i32::MAX.into()) as i32
    }

    /// The security log (6.13 `Security`): UTRNs refused.
    pub fn security(&self) -> &EventLog {
        self.extra.as_ref().map_or(&NO_EVENTS, |l| &l.security)
    }

    /// The power event log (6.13 `PowerEvent`): supply interrupted and restored.
    pub fn power(&self) -> &EventLog {
        self.extra.as_ref().map_or(&NO_EVENTS, |l| &l.power)
    }

    /// Its auxiliary loads: as commands left them, or the meter's own.
    fn auxiliary(&self) -> std::borrow::Cow<'_, auxiliary::AuxiliaryLoads> {
        match self.extra.as_ref().and_then(|e| e.auxiliary.as_deref()) {
            Some(loads) => std::borrow::Cow::Borrowed(loads),
            None => std::borrow::Cow::Owned(auxiliary::AuxiliaryLoads::default()),
        }
    }

    /// The meter's device log (8.9 reads it with CS07): the prepayment displays and load
    /// switches joined to it.
    pub fn device_log(&self) -> &DeviceLog {
        static EMPTY: DeviceLog = DeviceLog {
            entries: Vec::new(),
        };
        self.extra.as_ref().map_or(&EMPTY, |e| &e.device_log)
    }

    /// The meter's security credentials: its trust anchors and own keys.
    pub fn credentials(&self) -> &Credentials {
        static NONE: std::sync::LazyLock<Credentials> =
            std::sync::LazyLock::new(Credentials::default);
        self.credentials.as_deref().unwrap_or(&NONE)
    }

    /// Installs the meter's security credentials.
    pub fn set_credentials(&mut self, credentials: Credentials) {
        self.credentials = Some(Box::new(credentials)).filter(|c| **c != Credentials::default());
    }

    /// Sets the meter's device log (the RTDS meter's, as its vectors show it).
    pub fn set_device_log(&mut self, log: DeviceLog) {
        self.extra_mut().device_log = log;
    }

    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_default()
    }

    /// The payment mode change the meter holds for later, if any (1.6 with an execution time).
    pub fn pending(&self) -> Option<PendingChange> {
        self.extra.as_ref()?.pending
    }

    /// Changes the payment mode at `now`, keeping the credit there is; to prepayment, with
    /// the `settings` the command set.
    fn change_mode(
        &mut self,
        mode: PaymentMode,
        settings: Option<Prepayment>,
        code: u16,
        now: DateTime<Utc>,
    ) {
        let struck = super::strike(self.balance, now, |p| self.credit_milli_pence(p));
        let changed = self.payment != mode;
        let what = super::switch_mode(&mut self.payment, &mut self.balance, struck, mode);
        self.log_command(now, code, true, what);
        self.settle_emergency_credit();
        // The change of mode billing data log (4.4.2) takes its snapshot (a command to the mode
        // the meter is in changes none).
        if changed {
            self.extra_mut().billing_snapshot(now);
        }
        if let Some(settings) = settings {
            self.extra_mut().prepayment = Some(settings);
        }
    }

    /// The import registers at the start of each of `periods` (ascending), as the daily read
    /// and billing data logs give them: a single-rate meter's import on its first TOU
    /// register, no block registers.
    fn registers_then(&self, periods: &[u32]) -> Vec<DailyRead> {
        self.registers_at(periods, |p| self.import_wh(p))
            .zip(periods)
            .map(|(wh, m)| {
                let total = ((self.register_base_wh + wh) % 1_000_000_000) as u32;
                let mut tou = vec![0; 48];
                tou[0] = total;
                DailyRead {
                    at: period_start(*m),
                    totals: vec![total],
                    registers: std::iter::once(tou)
                        .chain(std::iter::repeat_n(vec![0; 8], 4))
                        .collect(),
                }
            })
            .collect()
    }

    /// The ends of billing periods the meter has reached by `now_period`, the last twelve:
    /// each stretch of time under the calendar then in force — its own until a 6.8 set
    /// another, each one since from the half-hour it was set.
    fn billing_ends(&self, now_period: u32) -> Vec<u32> {
        let own: &[BillingExecution] = &super::configuration::ESME_BILLING_CALENDAR;
        let mut stretches: Vec<(u32, &[BillingExecution])> = vec![(self.commissioned, own)];
        if let Some(extra) = &self.extra {
            for (from, calendar) in &extra.earlier_calendars {
                stretches.push((*from, calendar));
            }
            if let Some(calendar) = &extra.billing_calendar {
                stretches.push((extra.billing_calendar_from, calendar));
            }
        }
        let mut ends = Vec::new();
        for (i, (from, calendar)) in stretches.iter().enumerate() {
            let until = stretches
                .get(i + 1)
                .map_or(now_period, |(next, _)| next.saturating_sub(1));
            let from = (*from).max(self.commissioned);
            ends.extend(super::billing_ends(calendar, from, until, BILLING_LOG_LEN));
        }
        ends.sort_unstable();
        ends.dedup();
        ends[ends.len().saturating_sub(BILLING_LOG_LEN)..].to_vec()
    }

    /// When the payment mode changed, oldest first (the last twelve).
    fn mode_changes(&self) -> &[DateTime<Utc>] {
        self.extra.as_ref().map_or(&[], |e| &e.mode_changes)
    }

    /// The prepayment registers at the start of `period`, as the billing and daily read logs
    /// hold them: the meter balance and the emergency credit left; dccsim's meters carry no
    /// debt.
    fn prepayment_entry(&self, period: u32) -> PrepaymentEntry {
        let balance = self.balance_at(period);
        PrepaymentEntry {
            at: period_start(period),
            meter_balance: balance.clamp(i32::MIN.into(), i32::MAX.into()) as i32,
            emergency_credit: self.emergency_credit_at(period, balance, true),
            accumulated_debt: 0,
            payment_debt: 0,
            time_debt: [0, 0],
        }
    }

    /// [`EmergencyCredit::left_at`](super::EmergencyCredit::left_at) of the meter's.
    fn emergency_credit_at(&self, period: u32, balance: i64, snapshot: bool) -> i32 {
        let held = self.extra.as_ref().and_then(|e| e.emergency);
        super::EmergencyCredit::left_at(held, period, balance, snapshot)
    }

    /// Ends the emergency credit when it [ends](super::EmergencyCredit::ends).
    fn settle_emergency_credit(&mut self) {
        let over = super::EmergencyCredit::ends(self.balance, self.payment);
        if let Some(e) = self.extra.as_mut().filter(|_| over) {
            e.emergency = None;
        }
    }

    /// The meter balance at the start of `period`. Before the balance was last struck (at a
    /// top-up, a balance update or a payment mode change) it is worked back from then: the
    /// energy used since added back, the top-ups and updates since (at or after `period`: a
    /// snapshot is taken at its half-hour's start) taken off — of the last
    /// [`CREDIT_LEDGER_LEN`] top-ups and [`ADJUSTMENTS_KEPT`](crate::device::ADJUSTMENTS_KEPT)
    /// updates it remembers.
    fn balance_at(&self, period: u32) -> i64 {
        let struck = self.balance.period.max(self.commissioned);
        if period > struck {
            return self.credit_milli_pence(period);
        }
        let (credits, adjustments) = self
            .extra
            .as_ref()
            .map_or((&[][..], &[][..]), |e| (&e.credits[..], &e.adjustments[..]));
        super::worked_back(
            self.balance,
            struck,
            self.ledger_from,
            period,
            |r| self.cost(r),
            credits
                .iter()
                .map(|(at, amount)| (period_of(*at), i64::from(*amount)))
                .chain(adjustments.iter().copied()),
        )
    }

    /// The settings the meter answers its settings reads with, as the commands it took left
    /// them.
    fn settings(&self) -> MeterSettings<'_> {
        MeterSettings {
            prepayment: self.payment == PaymentMode::Prepayment,
            account: self.prepayment_settings(),
            billing_calendar: self
                .extra
                .as_ref()
                .and_then(|e| e.billing_calendar.as_deref()),
            power_thresholds: self.extra.as_ref().and_then(|e| e.power_thresholds),
            randomised_offset_limit: self.extra.as_ref().and_then(|e| e.randomised_offset_limit),
            voltage: self.extra.as_ref().and_then(|e| e.voltage.as_ref()),
            tamper_locked: self.extra.as_ref().and_then(|e| e.tamper_locked),
            load_limit: self.extra.as_ref().and_then(|e| e.load_limit.as_ref()),
            prepay: self.extra.as_ref().and_then(|e| e.prepay.as_deref()),
            debt: self.debt(),
            load_limit_count: 0,
            alert_behaviours: self.alert_behaviours(),
        }
    }

    /// How the meter deals with its events and alerts: as 6.22s left it, else as the RTDS
    /// meter does.
    pub fn alert_behaviours(&self) -> &AlertBehaviours {
        self.extra
            .as_ref()
            .and_then(|e| e.alert_behaviours.as_deref())
            .unwrap_or(&ESME_ALERT_BEHAVIOURS)
    }

    /// Logs command `code`, received at `now`, as actioned or not — unless the supplier's
    /// logging filter (6.22, ECS25a3) leaves that event (8154, 8155) out.
    pub(super) fn log_command(
        &mut self,
        now: DateTime<Utc>,
        code: u16,
        actioned: bool,
        what: impl Into<String>,
    ) {
        let event = if actioned {
            crate::device::COMMAND_ACTIONED
        } else {
            crate::device::COMMAND_NOT_ACTIONED
        };
        let logging = self
            .alert_behaviours()
            .filter(Party::Supplier, Behaviour::Logging);
        if logging.is_none_or(|f| f.has(event)) {
            self.events.command(now, code, actioned, what);
        }
    }

    /// The RMS voltage sags and swells counted since the counters were last reset (6.5,
    /// 6.27) or the meter installed: the whole half-hours before `now_period` whose voltage was
    /// below the sag threshold, above the swell threshold. (The meter knows its voltage by the
    /// half-hour: one that passes a threshold counts once.)
    fn voltage_sags_and_swells(&self, now_period: u32) -> (u32, u32) {
        let voltage = self.settings().voltage.copied().unwrap_or(ESME_VOLTAGE);
        let (sag, swell) = (voltage.limits[2].0, voltage.limits[3].0);
        let reset = self.extra.as_ref().map_or(0, |e| e.voltage_counters_from);
        let tally = |p| {
            let v = self.consumer.voltage_v(p);
            (v < sag, v > swell)
        };
        let from = reset.max(self.commissioned);
        self.demand.count(
            demand::Count::Voltage,
            from,
            now_period,
            (sag, swell),
            tally,
        )
    }

    /// The debts and their recovery the last 2.3 set, else the meter's own: no debt, recovered
    /// (were there any) at 5,000 and 6,000 currency units a day and half of each payment.
    pub fn debt(&self) -> Debt {
        self.extra
            .as_ref()
            .and_then(|e| e.debt)
            .unwrap_or(ESME_DEBT)
    }

    /// The prepayment configuration in force: what the last 2.1 set, else the meter's own.
    pub fn prepay_configuration(&self) -> std::borrow::Cow<'_, PrepayConfiguration> {
        match self.extra.as_ref().and_then(|e| e.prepay.as_deref()) {
            Some(c) => std::borrow::Cow::Borrowed(c),
            None => std::borrow::Cow::Owned(esme_prepay_configuration()),
        }
    }

    /// How many times the load limit was exceeded since its counter was reset (6.4.2) or the
    /// meter installed: the whole half-hours before `now_period` whose average import power was
    /// above the threshold in force (as with voltage, the meter knows its load by the
    /// half-hour).
    fn load_limit_count(&self, now_period: u32) -> u32 {
        let limit = self
            .settings()
            .load_limit
            .copied()
            .unwrap_or(ESME_LOAD_LIMIT);
        let reset = self.extra.as_ref().map_or(0, |e| e.load_limit_counter_from);
        let threshold = limit.threshold_w;
        let tally = |p| {
            (
                u64::from(self.import_wh(p)) * 2 > u64::from(threshold),
                false,
            )
        };
        let from = reset.max(self.commissioned);
        let thresholds = (threshold, 0);
        self.demand
            .count(
                demand::Count::LoadLimit,
                from,
                now_period,
                thresholds,
                tally,
            )
            .0
    }

    /// The prepayment settings the last 1.6 to prepayment set (the RTDS meter's if none did).
    pub fn prepayment_settings(&self) -> Prepayment {
        self.extra
            .as_ref()
            .and_then(|e| e.prepayment)
            .unwrap_or_default()
    }

    /// When the meter next has something to do on its own (a future-dated change, an image
    /// arriving).
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        let held = self.held().map(|(at, _)| at).min();
        let held = held.map(payload::from_gbcs_seconds);
        held.into_iter()
            .chain(self.credentials().next_due())
            .chain(self.firmware_upgrade().next_due())
            .min()
    }

    /// The firmware upgrade under way, if one is.
    pub fn firmware_upgrade(&self) -> &Upgrade {
        self.extra
            .as_ref()
            .and_then(|e| e.firmware_upgrade.as_ref())
            .unwrap_or(&Upgrade::NONE)
    }

    fn set_firmware_upgrade(&mut self, upgrade: Upgrade) {
        if upgrade != *self.firmware_upgrade() {
            self.extra_mut().firmware_upgrade = Some(upgrade).filter(|u| !u.is_empty());
        }
    }

    /// Takes in an upgrade image the DCC distributed for `from` (11.1), arriving at
    /// `arrives`, its signature checked with the key the meter trusts for its supplier.
    pub fn receive_image(
        &mut self,
        offer: &firmware_state::Offer,
        from: Eui64,
        arrives: DateTime<Utc>,
        keys: &KeyStore,
    ) {
        let upgrade = self.firmware_upgrade();
        let received = (offer, from, arrives);
        let upgrade = firmware_state::with_image(upgrade, self.credentials(), keys, received);
        self.set_firmware_upgrade(upgrade);
    }

    /// What is due about the meter's firmware by `now`: an image's arrival told (8F72 with its
    /// hash, or 8F1C: discarded, its signature not the supplier's the meter trusts now), or a
    /// future-dated activation carried out (its CS06 alert). The meter's state changes only
    /// once the alert is signed.
    fn firmware_due(
        &mut self,
        now: DateTime<Utc>,
        keys: &KeyStore,
    ) -> Result<Option<Notice>, DeviceError> {
        let (upgrade, credentials) = (self.firmware_upgrade(), self.credentials());
        let Some((upgrade, due)) =
            firmware_state::due(upgrade, credentials, keys, now, self.firmware)
        else {
            return Ok(None);
        };
        let counter = self.alert_counter + 1;
        let (to, code, content, running) = match due {
            FirmwareDue::Arrived {
                to,
                at,
                hash,
                verified: true,
            } => {
                let content = payload::firmware_receipt_notification(counter, at, &hash);
                (to, firmware::FDRA_ESME, content.to_bytes(), self.firmware)
            }
            FirmwareDue::Arrived { to, at, .. } => {
                let code = firmware::FIRMWARE_VERIFICATION_FAILED;
                let content = payload::alert_notification(counter, code, at, None);
                let gca = firmware::GENERIC_CRITICAL_ALERT;
                (to, gca, content.to_bytes(), self.firmware)
            }
            FirmwareDue::Activated { to, alert, running } => {
                (to, firmware::CS06_ALERT, alert.encode(), running)
            }
        };
        self.alert_counter = counter;
        let alert = match self.signed_alert(to, code, content, keys) {
            Ok(alert) => alert,
            Err(e) => {
                self.alert_counter -= 1;
                return Err(e);
            }
        };
        self.set_firmware_upgrade(upgrade);
        self.firmware = running;
        Ok(Some((to, vec![alert])))
    }

    /// Carries out a future-dated credentials update (CS02b) due by `now`: the party told and
    /// its signed alert (8F66 done, 8F67 not).
    fn credentials_due(
        &mut self,
        now: DateTime<Utc>,
        keys: &KeyStore,
    ) -> Result<Option<Notice>, DeviceError> {
        if self.credentials().next_due().is_none_or(|t| t > now) {
            return Ok(None);
        }
        let mut held = self.credentials().clone();
        let Some((update, alert)) = held.take_due(now) else {
            return Ok(None);
        };
        self.set_credentials(held);
        self.alert_counter += 1;
        let code = credentials::alert_code(update.code);
        let alert = self.signed_alert(update.from, code, alert.encode(), keys)?;
        Ok(Some((update.from, vec![alert])))
    }

    /// The changes the meter holds for later: when each is due (GBCS seconds), and what it is.
    fn held(&self) -> impl Iterator<Item = (u32, Held)> + '_ {
        let extra = self.extra.as_ref();
        let mode = extra
            .and_then(|e| e.pending)
            .map(|p| (p.at, Held::PaymentMode));
        let load_limit = extra
            .and_then(|e| e.pending_load_limit)
            .map(|h| (h.at, Held::LoadLimit));
        let prepay = extra
            .and_then(|e| e.pending_prepay.as_ref())
            .map(|h| (h.at, Held::Prepay));
        let tariffs = self
            .held_tariffs()
            .map(|(at, secondary)| (at, Held::Tariff { secondary }));
        let auxiliary = extra
            .and_then(|e| e.auxiliary.as_ref()?.pending.as_ref())
            .map(|h| (h.at, Held::AuxiliaryCalendar));
        [mode, load_limit, prepay, auxiliary]
            .into_iter()
            .flatten()
            .chain(tariffs)
    }

    /// Carries out the earliest change it holds (a payment mode change, load limiting settings, a
    /// prepayment configuration) if it is due by `now`; returns the remote party that sent it and
    /// the signed 8F66 alerts telling it so (ECS03's two: the disablement threshold's, then the
    /// account's; one per setting of the others), stamped with the time the change took effect.
    pub fn due(
        &mut self,
        now: DateTime<Utc>,
        keys: &KeyStore,
    ) -> Result<Option<Notice>, DeviceError> {
        if let Some(notice) = self.credentials_due(now, keys)? {
            return Ok(Some(notice));
        }
        if let Some(notice) = self.firmware_due(now, keys)? {
            return Ok(Some(notice));
        }
        // The earliest held change, if it is due.
        let Some((at, which)) = self.held().min_by_key(|&(at, _)| at) else {
            return Ok(None);
        };
        let at = payload::from_gbcs_seconds(at);
        if at > now {
            return Ok(None);
        }
        let extra = self.extra_mut();
        let (from, outcomes) = match which {
            Held::PaymentMode => {
                let Some(p) = extra.pending.take() else {
                    return Ok(None);
                };
                let settings = extra.pending_prepayment.take();
                self.change_mode(p.mode, settings, p.code, at);
                (p.from, payload::payment_mode_outcomes(p.code, p.counter))
            }
            Held::LoadLimit => {
                let Some(h) = extra.pending_load_limit.take() else {
                    return Ok(None);
                };
                extra.load_limit = Some(h.settings);
                let what = "load limiting settings updated (future-dated)";
                self.log_command(at, ECS28A, true, what);
                (h.from, payload::load_limit_outcomes(h.counter))
            }
            Held::Prepay => {
                let Some(h) = extra.pending_prepay.take() else {
                    return Ok(None);
                };
                let outcomes = payload::prepay_configuration_outcomes(h.code, h.counter);
                extra.prepay = Some(Box::new(h.configuration));
                let what = "prepayment configuration updated (future-dated)";
                self.log_command(at, h.code, true, what);
                (h.from, outcomes)
            }
            Held::AuxiliaryCalendar => {
                let loads = extra.auxiliary_mut();
                let Some(h) = loads.pending.take() else {
                    return Ok(None);
                };
                let (code, from) = (h.code, h.from);
                let outcomes = payload::auxiliary_calendar_outcomes(code, h.counter);
                loads.take_up_held(h);
                let what = "auxiliary load calendar updated (future-dated)";
                self.log_command(at, code, true, what);
                (from, outcomes)
            }
            Held::Tariff { secondary } => match self.take_up_tariff(secondary, at) {
                Some(taken) => taken,
                None => return Ok(None),
            },
        };
        let mut alerts = Vec::new();
        for outcome in outcomes {
            self.alert_counter += 1;
            let content = payload::future_dated_alert(self.alert_counter, at, &outcome).to_bytes();
            alerts.push(self.signed_alert(
                from,
                payload::ESME_FUTURE_DATED_ALERT,
                content,
                keys,
            )?);
        }
        Ok(Some((from, alerts)))
    }

    /// The meter's alert of use case `code` to `to`, signed with its key.
    fn signed_alert(
        &self,
        to: Eui64,
        code: u16,
        content: Vec<u8>,
        keys: &KeyStore,
    ) -> Result<Vec<u8>, DeviceError> {
        let mut alert =
            payload::message_for(Cra::Alert, self.alert_counter, self.eui, to, code, content);
        if !sign_message(keys, &mut alert) {
            return Err(DeviceError::NoKeys);
        }
        Ok(alert.to_bytes()?)
    }

    /// Records a supply outage from `from` to `to` and returns the signed alert the meter
    /// sends when the supply comes back: 8F36 for three minutes or more, 8F35 otherwise.
    pub fn outage(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        alert_to: Eui64,
        keys: &KeyStore,
    ) -> Result<Vec<u8>, DeviceError> {
        let code = supply_restored_alert(to - from);
        let (start, end) = (period_of(from), period_of(to));
        if end > start {
            self.supply_record_changed();
            self.off.push((start, end));
        }
        let power = &mut self.extra_mut().power;
        power.push(from, SUPPLY_INTERRUPTED, "supply interrupted");
        power.push(to, code, "supply restored after an outage");
        self.alert_counter += 1;
        let content =
            payload::alert_notification(self.alert_counter, code, to, Some((from, to))).to_bytes();
        // Alerts carry the alert code's use case: ECS80's message code for outage alerts.
        self.signed_alert(alert_to, 0x0067, content, keys)
    }
}

/// How a meter answers one command: under the command's counter, sealed for the party it is
/// for.
struct Reply<'a> {
    me: Eui64,
    counter: u64,
    seal_for: &'a super::SealFor,
    keys: &'a KeyStore,
}

impl Reply<'_> {
    /// `reading` encoded and sealed, as a sensitive answer goes.
    fn seal(&self, reading: Reading) -> Result<Vec<u8>, DeviceError> {
        let plaintext = payload::encode_dlms(&reading)
            .ok_or_else(|| DeviceError::Payload("values do not fit their encoding".into()))?;
        let sealed = self
            .seal_for
            .seal(self.keys, self.me, self.counter, &plaintext)?;
        Ok(payload::sealed_response(self.counter, self.seal_for.reply_to, &sealed).to_bytes())
    }
}

/// An answer sent in the clear, or why its values could not be.
fn plain(apdu: Option<crate::protocol::dlms::Apdu>) -> Result<Vec<u8>, DeviceError> {
    apdu.map(|a| a.to_bytes())
        .ok_or_else(|| DeviceError::Payload("values do not fit their encoding".into()))
}

/// The period a log read asks for.
fn range(reading: &Reading) -> Result<(DateTime<Utc>, DateTime<Utc>), DeviceError> {
    match reading {
        Reading::Range {
            from: Some(from),
            to: Some(to),
        } => Ok((*from, *to)),
        _ => Err(DeviceError::Payload("a log read needs a range".into())),
    }
}

/// The remote party a meter tells what it did on its own, and the signed alerts telling it.
pub type Notice = (Eui64, Vec<Vec<u8>>);

/// What `wh` (each half-hour's import) over `periods` costs with the standing charge at the
/// primary element of `tariffs`, thousandths of a penny: each half-hour at the price its
/// switching table has in force then, the day's switches found once a day.
fn priced_cost(tariffs: &Tariffs, periods: std::ops::Range<u32>, wh: impl Fn(u32) -> u32) -> i64 {
    let n = i64::from(periods.end.saturating_sub(periods.start));
    let mut today = (u32::MAX, &[][..]);
    let energy: i128 = periods
        .map(|p| {
            if today.0 != p / 48 {
                let date = super::period_start(p).date_naive();
                today = (p / 48, tariffs.primary.switches_on(date));
            }
            let action = tariff::action_at(today.1, (p % 48 * 30) as u16);
            i128::from(wh(p)) * i128::from(tariffs.price_of(action))
        })
        .sum();
    (energy / 1000) as i64 + n * tariffs.standing_charge() / 48
}

/// What few ESMEs have: logs besides the event log, a change held for later.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Extra {
    /// The devices joined to the meter on its home area network.
    #[serde(default, skip_serializing_if = "DeviceLog::is_empty")]
    device_log: DeviceLog,
    security: EventLog,
    power: EventLog,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending: Option<PendingChange>,
    /// Each top-up's time and amount (currency units), oldest first, the last
    /// [`CREDIT_LEDGER_LEN`]: the billing data log of prepayment credits (4.4.5) gives the
    /// last [`CREDIT_LOG_LEN`]; past balances are worked back with them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    credits: Vec<(DateTime<Utc>, u32)>,
    /// The message the supplier last sent for display (3.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// The supplier's name and telephone number the last 3.4 set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    supplier: Option<(String, String)>,
    /// The first half-hour whose data the meter gives (3.2, change of tenancy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    restricted_from: Option<u32>,
    /// The billing calendar the last 6.8 set; none: the meter's own (the RTDS meter's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    billing_calendar: Option<Vec<BillingExecution>>,
    /// The half-hour the last 6.8's calendar took effect (0: a state saved before this was
    /// kept, taken as always).
    #[serde(default)]
    billing_calendar_from: u32,
    /// The calendars 6.8s set before it, each with the half-hour it took effect, the last
    /// [`CALENDARS_KEPT`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    earlier_calendars: Vec<(u32, Vec<BillingExecution>)>,
    /// Whether privacy PIN protection was disabled (3.5).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    privacy_pin_disabled: bool,
    /// The prepayment settings the held change takes up with prepayment mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_prepayment: Option<Prepayment>,
    /// The prepayment settings the last 1.6 to prepayment set; none: the meter's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prepayment: Option<Prepayment>,
    /// The emergency credit the meter gave (2.5), while it lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    emergency: Option<crate::device::EmergencyCredit>,
    /// The balance updates (1.5) the meter remembers, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    adjustments: crate::device::Adjustments,
    /// The maximum demand registers' resets and configurable time period, once a 6.18 changed
    /// them; none: the meter's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_demand: Option<demand::MaxDemand>,
    /// When the payment mode or a tariff changed, oldest first, the last [`MODE_CHANGE_LOG_LEN`]: the
    /// change of mode billing data log (4.4.2) has a snapshot at each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    mode_changes: Vec<DateTime<Utc>>,
    /// The instantaneous power thresholds the last 6.12 set, low to medium and medium to
    /// high (W); none: the meter's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    power_thresholds: Option<[u32; 2]>,
    /// The randomised offset limit the last 7.12 set (s); none: the meter's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    randomised_offset_limit: Option<u16>,
    /// The voltage settings the last 6.5 set; none: the meter's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    voltage: Option<Voltage>,
    /// The half-hour from which the RMS voltage sag and swell counters count, since a 6.5 or
    /// 6.27 reset them; 0: since installation.
    #[serde(default)]
    voltage_counters_from: u32,
    /// Its auxiliary loads, once a command changed them; none: the meter's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auxiliary: Option<Box<auxiliary::AuxiliaryLoads>>,
    /// Whether the supply locks when tampered with, as the last 6.25 set; none: the meter's
    /// own (locked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tamper_locked: Option<bool>,
    /// Whether the tariff block counter matrix is reset every midnight (6.26).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    daily_block_reset: bool,
    /// When a 1.7 last reset the tariff block counter matrix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    block_counters_reset: Option<DateTime<Utc>>,
    /// A firmware upgrade under way: the image distributed to it, an activation held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    firmware_upgrade: Option<Upgrade>,
    /// How it deals with its events and alerts, once a 6.22 changed that; none: the RTDS
    /// meter's ([`ESME_ALERT_BEHAVIOURS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alert_behaviours: Option<Box<AlertBehaviours>>,
    /// The load limiting settings the last 6.4.1 set (taken up); none: the meter's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    load_limit: Option<LoadLimit>,
    /// Load limiting settings a 6.4.1 set for later: taken up at their time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_load_limit: Option<HeldLoadLimit>,
    /// The half-hour from which the load limit counter counts, since a 6.4.2 reset it; 0:
    /// since installation.
    #[serde(default)]
    load_limit_counter_from: u32,
    /// The prepayment configuration the last 2.1 set (taken up); none: the meter's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prepay: Option<Box<PrepayConfiguration>>,
    /// The debts and their recovery the last 2.3 set; none: the meter's own (no debt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    debt: Option<Debt>,
    /// A prepayment configuration a 2.1 set for later: taken up at its time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_prepay: Option<Box<HeldPrepay>>,
    /// The tariffs the 1.1s and 1.2s set (taken up); none: the meter's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tariffs: Option<Box<Tariffs>>,
    /// An update of the primary element's tariff or prices held for its time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_primary_tariff: Option<Box<tariff::HeldTariff>>,
    /// An update of the secondary element's held for its time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_secondary_tariff: Option<Box<tariff::HeldTariff>>,
}

impl Extra {
    /// Its auxiliary loads, the meter's own until a command changes them.
    fn auxiliary_mut(&mut self) -> &mut auxiliary::AuxiliaryLoads {
        self.auxiliary.get_or_insert_default()
    }

    /// The change of mode or tariff billing data log (4.4.2) takes a snapshot at `at`.
    fn billing_snapshot(&mut self, at: DateTime<Utc>) {
        let changes = &mut self.mode_changes;
        let over = (changes.len() + 1).saturating_sub(MODE_CHANGE_LOG_LEN);
        changes.drain(..over);
        changes.push(at);
    }
}

/// A prepayment configuration held for later (2.1 with an execution time): when (GBCS
/// seconds), and the command's use case, originator (who is told when it is taken up) and
/// counter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct HeldPrepay {
    pub(super) at: u32,
    pub(super) configuration: PrepayConfiguration,
    pub(super) code: u16,
    pub(super) from: Eui64,
    pub(super) counter: u64,
}

/// Which kind of change a meter holds for later.
#[derive(Debug, Clone, Copy)]
enum Held {
    PaymentMode,
    LoadLimit,
    Prepay,
    /// A tariff update: the secondary element's, or the primary's.
    Tariff {
        secondary: bool,
    },
    AuxiliaryCalendar,
}

/// Load limiting settings held for later (6.4.1 with an execution time): when (GBCS seconds),
/// and the command's originator (who is told when they are taken up) and counter.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct HeldLoadLimit {
    at: u32,
    settings: LoadLimit,
    from: Eui64,
    counter: u64,
}

static NO_EVENTS: EventLog = EventLog::new();

/// Billing periods the billing data log (4.4.3) keeps: twelve, as DCC's response schema gives.
const BILLING_LOG_LEN: usize = 12;

/// Top-ups a meter's billing data log of prepayment credits keeps: five, as many as DCC's
/// response schema gives its answer (`mmc-5.4.xsd`, `PrepaymentCreditsType`).
const CREDIT_LOG_LEN: usize = 5;

/// Days the prepayment daily read log holds (4.14): 31, as many as DCC's response schema gives
/// its answer (`mmc-5.4.xsd`, `ReadPrepaymentDailyReadLogRsp`).
const PREPAYMENT_DAILY_LOG_LEN: u32 = 31;

/// Snapshots the change of mode billing data log (4.4.2) keeps: twelve, as many as DCC's
/// response schema gives its answer (`mmc-5.4.xsd`, `RetrieveCoMOrTariffTriggeredBillingDataLogRsp`).
const MODE_CHANGE_LOG_LEN: usize = 12;

/// Top-ups a meter remembers, for working its balance at past billing period ends back: more
/// than a year's of weekly top-ups.
const CREDIT_LEDGER_LEN: usize = 64;

/// Earlier billing calendars a meter remembers, for the billing data log's ends under them.
const CALENDARS_KEPT: usize = 12;

/// Whether an ESME logs event `code` in its power event log: supply interrupted, restored.
fn is_power_event(code: u16) -> bool {
    matches!(
        code,
        SUPPLY_INTERRUPTED | SUPPLY_RESTORED | SUPPLY_RESTORED_LONG
    )
}

/// The alert a meter sends when its supply comes back after an outage of `length`: 8F36 for
/// three minutes or more, 8F35 for less.
pub fn supply_restored_alert(length: chrono::Duration) -> u16 {
    if length >= chrono::Duration::minutes(3) {
        SUPPLY_RESTORED_LONG
    } else {
        SUPPLY_RESTORED
    }
}

fn unsaved(c: &Option<Box<Credentials>>) -> bool {
    c.as_ref().is_none_or(|c| c.unsaved())
}

fn electricity_tariff() -> Tariff {
    Tariff::ELECTRICITY
}

#[cfg(test)]
mod tests {
    /// A million devices in one process: the state must stay small (the log is derived; the
    /// rarely used parts are boxed; trust anchors, which every installed meter has, are one
    /// pointer to anchors shared by the meters installed alike).
    #[test]
    fn device_state_is_compact() {
        let size = std::mem::size_of::<super::Esme>();
        assert!(size <= 264, "{size} bytes");
    }
}
