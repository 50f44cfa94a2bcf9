//! The meanings of the GBZ commands and answers this crate interprets.

use super::*;

pub const SUPPLY_ON: u8 = 2;

/// The registers a snapshot carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "payload_type", rename_all = "snake_case")]
pub enum SnapshotRegisters {
    /// Type 6: the consumption register, the TOU tier registers and the block registers (the
    /// count byte has the tiers in its high nibble and the blocks in its low one).
    BlockTiers {
        summation: u64,
        tiers: Vec<u64>,
        tiers_and_blocks: u8,
        blocks: Vec<u64>,
    },
    /// Another payload type, kept as bytes.
    Other {
        code: u8,
        #[serde(serialize_with = "hex")]
        bytes: Vec<u8>,
    },
}

/// The typed meaning of a gas device's ZCL payload: the commands a remote party sends a gas
/// meter or its proxy, and the answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GasPayload {
    /// The attributes a register read asks for (GCS13a, GCS38).
    ReadAttributes { attributes: Vec<u16> },
    /// The consumption register (GCS13a): current summation delivered with its multiplier,
    /// divisor and unit of measure (0 kWh, 1 m³).
    Registers {
        summation: u64,
        multiplier: u64,
        divisor: u64,
        unit: u64,
        /// summation × multiplier ÷ divisor, in the unit.
        value: String,
    },
    /// A request for sampled data: from `start` (GBCS seconds), `count` samples.
    SampledDataRequest {
        sample_id: u16,
        start: u32,
        sampling_type: u8,
        count: u16,
    },
    /// The metering cluster's StartSampling (to the meter): record samples of `sample_type`
    /// (0: consumption delivered) every `interval_s` from `start` (0: now), keeping up to
    /// `max_samples` — 14.1 Record Network Data (GCS31), six-minute samples, 41 of them.
    StartSampling {
        event: u32,
        start: u32,
        sample_type: u8,
        interval_s: u16,
        max_samples: u16,
    },
    /// Its answer: the id the samples are kept under (2, the network data).
    StartSamplingResponse { sample_id: u16 },
    /// The meter's firmware version (GCS38: the metering cluster's attribute 0x0206, an
    /// octet string), as hex.
    FirmwareVersion { version: String },
    /// Sampled data (GCS17: half-hourly consumption; GCS61: daily consumption): samples of
    /// `interval_s` seconds from `start`, each a 24-bit count of the register's units.
    SampledData {
        sample_id: u16,
        start: u32,
        sampling_type: u8,
        interval_s: u16,
        samples: Vec<u32>,
    },
    /// A request for one snapshot (GCS16a: one per day asked): the `offset`-th most recent
    /// taken between `earliest` and `latest` (GBCS seconds) for `cause` (1: the daily one).
    SnapshotRequest {
        earliest: u32,
        latest: u32,
        offset: u8,
        cause: u32,
    },
    /// One snapshot (GCS16a's answer): taken at `time`, the `found` snapshots in the window.
    Snapshot {
        id: u32,
        time: u32,
        found: u8,
        command_index: u8,
        commands: u8,
        cause: u32,
        registers: SnapshotRegisters,
    },
    /// Change the valve (GCS32 to off, GCS39 to armed): at `implement_at` (0: now).
    ChangeSupply {
        provider: u32,
        event: u32,
        requested: u32,
        implement_at: u32,
        proposed: u8,
        control: u8,
    },
    /// The valve after a ChangeSupply.
    SupplyStatus {
        provider: u32,
        event: u32,
        implemented: u32,
        status: u8,
    },
    /// A top-up (CS01b): the UTRN's digits, from `origin` (0 the DCC, 1 the meter, 2 an IHD).
    TopUp { origin: u8, utrn: String },
    /// The supplier's name and contact details (GCS44, 3.4), for the meter to show: a
    /// PublishChangeOfSupplier naming no new provider, from `implement_at` (0: now).
    ChangeOfSupplier {
        current_provider: u32,
        event: u32,
        tariff_type: u8,
        proposed_provider: u32,
        implement_at: u32,
        control: u32,
        name: String,
        contact: String,
    },
    /// A change of tenancy (GCS09, 3.2, to the GPF): data from before `implement_at` (GBCS
    /// seconds) is the previous tenant's, given to no one; a PublishChangeOfTenancy whose
    /// control is [`TENANCY_CHANGE_CONTROL`].
    ChangeOfTenancy {
        provider: u32,
        event: u32,
        tariff_type: u8,
        implement_at: u32,
        control: u32,
    },
    /// The conversion factor (GCS23, 6.6), from `start` (0: now): `factor` in units its
    /// trailing digit (the high nibble) says, [`CONVERSION_FACTOR_DIGITS`] here.
    ConversionFactor {
        event: u32,
        start: u32,
        factor: u32,
        trailing_digit: u8,
    },
    /// The calorific value (GCS23, 6.6), from `start` (0: now), in `unit`
    /// ([`MEGAJOULES_PER_M3`]) with the decimal places its trailing digit says.
    CalorificValue {
        event: u32,
        start: u32,
        value: u32,
        unit: u8,
        trailing_digit: u8,
    },
    /// The uncontrolled gas flow settings (GCS24, 6.7): a flow above `threshold` ×
    /// `multiplier` ÷ `divisor` (in `unit`) for `stabilisation` seconds, measured over
    /// `measurement` seconds, is uncontrolled.
    UncontrolledFlowThreshold {
        provider: u32,
        event: u32,
        threshold: u16,
        unit: u8,
        multiplier: u16,
        divisor: u16,
        stabilisation: u8,
        measurement: u16,
    },
    /// What the supply does on a tamper, on depletion, on uncontrolled flow and at a load
    /// limit (GCS24, 6.7): [`SUPPLY_LOCKED`] or [`SUPPLY_UNCHANGED`].
    SetSupplyStatus {
        event: u32,
        tamper: u8,
        depletion: u8,
        uncontrolled_flow: u8,
        load_limit: u8,
    },
    /// Clear the event log `log_id` (CS11, 3.3: [`GENERAL_EVENT_LOG`]).
    ClearEventLog { log_id: u8 },
    /// An event log asked (CS10a and CS10b, 6.13: GetEventLog): the log in the low nibble of
    /// `control` ([`GENERAL_EVENT_LOG`], [`SECURITY_EVENT_LOG`]), the event control in its
    /// high one; the events `event_id` (0: all) from `start` to `end` (UTC times), `count` of
    /// them (0: all) after skipping `offset`.
    EventLogRequest {
        control: u8,
        event_id: u16,
        start: u32,
        end: u32,
        count: u8,
        offset: u16,
    },
    /// The events found (PublishEventLog), oldest first: `matching` in all, in command
    /// `command_index` of `commands`.
    EventLog {
        matching: u16,
        command_index: u8,
        commands: u8,
        control: u8,
        entries: Vec<LoggedEvent>,
    },
    /// The logs a ClearEventLog cleared, a bitmap ([`GENERAL_EVENT_LOG_CLEARED`]; 0: none).
    EventLogCleared { cleared: u8 },
    /// A message for the meter to display (GCS07, 3.1): `id` names it (an issuer event id);
    /// its message control; from `start` (GBCS seconds; 0: now) for `minutes`
    /// ([`UNTIL_REPLACED`]: until another replaces it).
    DisplayMessage {
        id: u32,
        control: u8,
        start: u32,
        minutes: u16,
        message: String,
    },
    /// A password for the meter (GCS11, 3.5: an empty consumer password, privacy PIN
    /// protection off), from `implement_at` (0: now) for `minutes` (0: for good).
    NewPassword {
        event: u32,
        implement_at: u32,
        minutes: u16,
        password_type: u8,
        #[serde(serialize_with = "hex")]
        password: Vec<u8>,
    },
    /// The meter's site id, its MPRN (GCS41, 6.20.1), from `at` (0: now), by `provider`.
    UpdateSiteId {
        event: u32,
        at: u32,
        provider: u32,
        site_id: String,
    },
    /// How the meter is to log and report `events` (GCS20, 6.22: SetEventConfiguration, listed
    /// — `control` [`CONFIGURE_BY_LIST`]), from `start` (0: now): `configuration` of
    /// [`EVENT_LOGGED`], [`EVENT_WAN_ALERT`], [`EVENT_HAN_ALERT`], [`EVENT_ALARM`].
    SetEventConfiguration {
        event: u32,
        start: u32,
        configuration: u8,
        control: u8,
        events: Vec<u16>,
    },
    /// How the meter logs and reports its events, asked (GCS20r, 6.2.10:
    /// GetEventConfiguration; the RTDS asks event 0x81FF).
    GetEventConfiguration { event_id: u16 },
    /// Each event's configuration (ReportEventConfiguration), in command `command_index` of
    /// `commands`.
    EventConfiguration {
        command_index: u8,
        commands: u8,
        entries: Vec<(u16, u8)>,
    },
    /// The Prepayment cluster's EmergencyCreditSetup (2.1, GCS05): from `start` (0: now), the
    /// emergency credit the meter offers and the balance below which it offers it (currency
    /// units, 1/100,000 of a pound).
    EmergencyCreditSetup {
        event: u32,
        start: u32,
        limit: u32,
        threshold: u32,
    },
    /// SetOverallDebtCap (2.1): from `implement_at`, the most debt recovery may take.
    OverallDebtCap {
        provider: u32,
        event: u32,
        implement_at: u32,
        cap: u32,
    },
    /// SetLowCreditWarningLevel (2.1): the balance below which the meter warns; it carries no
    /// time of its own, so when it takes effect travels as its component's From Date-Time.
    LowCreditWarning { level: u32, from: Option<u32> },
    /// SetMaximumCreditLimit (2.1): from `implement_at`, the most credit the meter may hold and
    /// the most one top-up may add.
    MaximumCredit {
        provider: u32,
        event: u32,
        implement_at: u32,
        max_credit: u32,
        max_per_top_up: u32,
    },
    /// The Prepayment cluster's ChangeDebt (2.3, GCS04): debt `amount_type` (type 1, 2 or 3,
    /// absolute or incremental: 0 to 5) by `amount`, recovered by time (`method` 0:
    /// `recovery_amount` each `frequency`, 0 hourly, 1 daily) or by payment (1: `percentage`
    /// hundredths of a percent of each top-up), from `start` (0: now).
    ChangeDebt {
        event: u32,
        #[serde(serialize_with = "hex")]
        label: Vec<u8>,
        amount: u32,
        method: u8,
        amount_type: u8,
        start: u32,
        collection_time: u16,
        frequency: u8,
        recovery_amount: u32,
        percentage: u16,
    },
    /// Take the emergency credit (GCS06), as commanded at `issued` (GBCS seconds; 0: now) from
    /// `origin` (0 the DCC).
    SelectEmergencyCredit { issued: u32, origin: u8 },
    /// Adjust the meter balance (GCS40a–d): by `value` or to it, as `adjustment` says (the
    /// `CREDIT_*` types), from `start` (GBCS seconds; 0: now); currency units, 1/100,000 of a
    /// pound.
    CreditAdjustment {
        event: u32,
        start: u32,
        adjustment: u8,
        value: i32,
    },
    /// A top-up's outcome (0 accepted, 1 invalid, 2 duplicate…); value and credit in the
    /// meter's currency units, 1/100,000 of a pound.
    TopUpResult {
        result: u8,
        value: i32,
        source: u8,
        credit: i32,
    },
    /// Change the payment mode (GCS02, GCS03): at `implement_at` (0: now; [`CANCEL`]: cancel
    /// a pending change), to `configuration` (bit 1: prepayment), cutting off supply below
    /// `cut_off` (-1: never).
    ChangePaymentMode {
        provider: u32,
        event: u32,
        implement_at: u32,
        configuration: u16,
        cut_off: i32,
    },
    /// The meter's answer to a ChangePaymentMode: its friendly credit and emergency credit
    /// settings.
    PaymentModeSettings {
        friendly_credit: u8,
        calendar: u32,
        emergency_limit: u32,
        emergency_threshold: u32,
    },
    /// The attributes a balance read asks of the prepayment cluster (GCS60: Credit Remaining).
    ReadPrepaymentAttributes { attributes: Vec<u16> },
    /// The attributes a read asks of the price cluster (GCS14: the price trailing digit and
    /// the currency).
    ReadPriceAttributes { attributes: Vec<u16> },
    /// The currency amounts are in (GCS14, from the price cluster): the price trailing digit
    /// (its top four bits: the decimal places of an amount, 5 for 1/100,000) and the ISO 4217
    /// currency (826, pounds sterling).
    Currency { trailing_digit: u8, currency: u16 },
    /// The prepayment registers (GCS14, from the prepayment cluster; sealed), in the currency
    /// unit: Accumulated Debt, Emergency Credit Remaining, Credit Remaining (SMETS's meter
    /// balance), and the Debt Amounts #3, #1 and #2 (SMETS's payment debt register and time
    /// debt registers 1 and 2), in the order the RTDS meter sends them.
    PrepayValues {
        accumulated_debt: i32,
        emergency_credit: i32,
        credit_remaining: i32,
        payment_debt: u32,
        time_debt: [u32; 2],
    },
    /// What the current billing period has cost so far (GCS60: the metering cluster's Bill to
    /// Date Delivered), in the meter's currency unit, 1/100,000 of a pound.
    BillToDate { value: u32 },
    /// The meter balance (GCS60: the prepayment cluster's Credit Remaining, which is SMETS's
    /// Meter Balance), in the currency unit; below zero when owed.
    CreditRemaining { value: i32 },
    /// The meter point the gas meter was configured with (GCS46: the metering cluster's Site
    /// ID, an octet string of the MPRN's digits).
    SiteId { mprn: String },
    /// The payment control configuration (GCS21j: the prepayment cluster's attribute 0x0000,
    /// a bitmap16; bit 1 set in prepayment mode).
    PaymentControl { configuration: u16 },
    /// The attributes a read asks of the basic cluster (GCS21e, GCS21m).
    ReadBasicAttributes { attributes: Vec<u16> },
    /// The values of one of [`crate::protocol::gbcs::gas_settings`]'s reads, named (GCS13b, GCS13c, GCS21a,
    /// GCS21e, GCS21m), from `cluster` with the ZCL frame control they came with.
    Settings {
        cluster: u16,
        frame_control: u8,
        values: Vec<GasSettingValue>,
    },
    /// The prepayment snapshot at `offset` (0: the most recent) of those taken for `cause`
    /// between `earliest` and `latest` (GCS15c, 4.4.3: GetPrepaySnapshot; fields as
    /// [`GasPayload::SnapshotRequest`]'s).
    PrepaySnapshotRequest {
        earliest: u32,
        latest: u32,
        offset: u8,
        cause: u32,
    },
    /// One prepayment snapshot (PublishPrepaySnapshot): the debts and credit at `time`.
    PrepaySnapshot {
        id: u32,
        time: u32,
        found: u8,
        command_index: u8,
        commands: u8,
        cause: u32,
        payload: PrepaySnapshotPayload,
    },
    /// The top-up log asked (GCS15e, 4.4.5: GetTopUpLog): the last `count` top-ups at or
    /// before `latest` (UTC time).
    TopUpLogRequest { latest: u32, count: u8 },
    /// The top-ups the meter credited (PublishTopUpLog), the most recent first.
    TopUpLog {
        command_index: u8,
        commands: u8,
        entries: Vec<TopUpEntry>,
    },
    /// The debt repayment log asked (GCS15d, 4.4.4: GetDebtRepaymentLog): the last `count`
    /// payments at or before `latest` of `debt_type`.
    DebtLogRequest {
        latest: u32,
        count: u8,
        debt_type: u8,
    },
    /// The debt repayments the meter collected (PublishDebtLog), the most recent first.
    DebtLog {
        command_index: u8,
        commands: u8,
        entries: Vec<DebtEntry>,
    },
    /// The billing calendar asked (GCS21d, 6.2.3: GetBillingPeriod): the periods from
    /// `earliest_start` (0: the one in force) of issuer events from `min_issuer_event_id`, at
    /// most `commands`, of tariff type `tariff_type`.
    BillingPeriodRequest {
        earliest_start: u32,
        min_issuer_event_id: u32,
        commands: u8,
        tariff_type: u8,
    },
    /// The billing calendar (PublishBillingPeriod): periods of `duration` units from `start`
    /// (UTC time); `duration_type`'s low nibble is the unit (0 minutes, 1 days, 2 weeks, 3
    /// months, 4 years, 5 decades), its high nibble where in the unit a period ends (0 its
    /// start, 1 its end, 2 not said).
    BillingPeriod {
        provider_id: u32,
        issuer_event_id: u32,
        start: u32,
        duration: u32,
        duration_type: u8,
        tariff_type: u8,
    },
    /// The Price cluster's PublishBlockPeriod (from the server): the block periods a billing
    /// calendar sets (6.8, GCS25/GCS25a, after its PublishBillingPeriod) — from `start` (UTC
    /// time), each `duration` of `duration_type`'s unit, `control` bit 1 repeating, the tariff
    /// resolution period `resolution` (1: the block period).
    BlockPeriod {
        provider_id: u32,
        issuer_event_id: u32,
        start: u32,
        duration: u32,
        control: u8,
        duration_type: u8,
        tariff_type: u8,
        resolution: u8,
    },
    /// ZCL Default Response from `cluster`: `status` for `command` (0x8B: not found).
    DefaultResponse {
        cluster: u16,
        command: u8,
        status: u8,
    },
    /// A Calendar or Price cluster tariff command from the remote party (1.1.1, 1.2.1,
    /// 4.11.1).
    Tariff(TariffPayload),
    /// A meter's answer to a tariff read: the same commands, default responses disabled.
    TariffAnswer(TariffPayload),
}

impl GasPayload {
    /// A Read Attributes command's cluster and the attributes it asks for.
    pub fn attributes_read(&self) -> Option<(u16, &[u16])> {
        Some(match self {
            GasPayload::ReadAttributes { attributes } => (METERING_CLUSTER, attributes),
            GasPayload::ReadPriceAttributes { attributes } => (PRICE_CLUSTER, attributes),
            GasPayload::ReadBasicAttributes { attributes } => (BASIC_CLUSTER, attributes),
            GasPayload::ReadPrepaymentAttributes { attributes } => (PREPAYMENT_CLUSTER, attributes),
            _ => return None,
        })
    }
}

/// What a prepayment snapshot carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "payload_type", rename_all = "snake_case")]
pub enum PrepaySnapshotPayload {
    /// Type 0, debt and credit status (the currency unit, 1/100,000 £): the accumulated debt,
    /// what is left of debts 1, 2 and 3, the emergency credit and the credit remaining (the
    /// meter balance).
    DebtCreditStatus {
        accumulated_debt: i32,
        debts: [u32; 3],
        emergency_credit: i32,
        credit_remaining: i32,
    },
    /// Another payload type, kept as bytes.
    Other {
        code: u8,
        #[serde(serialize_with = "hex")]
        bytes: Vec<u8>,
    },
}

/// Prepayment snapshot payload type: debt and credit status.
pub const DEBT_CREDIT_STATUS: u8 = 0;
/// The prepayment cluster: GetPrepaySnapshot and PublishPrepaySnapshot (GCS15c, 4.4.3).
pub const GET_PREPAY_SNAPSHOT: u8 = 0x07;
pub const PUBLISH_PREPAY_SNAPSHOT: u8 = 0x01;

/// One event of a PublishEventLog: the log it is in, its code, when (UTC time) and its data
/// (a command's message code, for the commands a meter logs; at most 255 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedEvent {
    pub log_id: u8,
    pub event_id: u16,
    pub time: u32,
    pub data: Vec<u8>,
}

/// One top-up of a PublishTopUpLog: its UTRN, its amount (the currency unit, 1/100,000 £) and
/// when it was credited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TopUpEntry {
    pub utrn: String,
    pub amount: i32,
    pub time: u32,
}

/// One debt repayment of a PublishDebtLog: when it was collected, the amount (the currency
/// unit), the debt it paid and what was left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DebtEntry {
    pub time: u32,
    pub amount: u32,
    pub debt_type: u8,
    pub outstanding: u32,
}

/// What a GBZ future-dated alert (8F66, 8F67) points back to: the command's use case,
/// originator counter and ZCL header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FutureDated {
    pub message_code: u16,
    pub counter: u64,
    pub cluster: u16,
    pub frame_control: u8,
    pub command: u8,
}

impl FutureDated {
    /// Reads a future-dated alert's use-case-specific bytes (after code and time).
    pub fn decode(rest: &[u8]) -> Option<FutureDated> {
        let [14, c0, c1, counter @ .., k0, k1, frame_control, command] = rest else {
            return None;
        };
        Some(FutureDated {
            message_code: u16::from_be_bytes([*c0, *c1]),
            counter: u64::from_be_bytes(counter.try_into().ok()?),
            cluster: u16::from_be_bytes([*k0, *k1]),
            frame_control: *frame_control,
            command: *command,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![14];
        out.extend_from_slice(&self.message_code.to_be_bytes());
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend_from_slice(&self.cluster.to_be_bytes());
        out.extend_from_slice(&[self.frame_control, self.command]);
        out
    }
}

/// What a PublishSnapshot and a PublishPrepaySnapshot start with: the snapshot's id and time,
/// how many snapshots were found, this command's index among the answer's commands, how many
/// commands, and the snapshot's cause.
pub(super) struct SnapshotHead {
    pub(super) id: u32,
    pub(super) time: u32,
    pub(super) found: u8,
    pub(super) command_index: u8,
    pub(super) commands: u8,
    pub(super) cause: u32,
}

impl SnapshotHead {
    pub(super) fn read(r: &mut Reader) -> Result<SnapshotHead, GbzError> {
        Ok(SnapshotHead {
            id: r.le32("snapshot id")?,
            time: r.le32("snapshot time")?,
            found: r.u8("total snapshots found")?,
            command_index: r.u8("command index")?,
            commands: r.u8("total number of commands")?,
            cause: r.le32("snapshot cause")?,
        })
    }

    pub(super) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.time.to_le_bytes());
        out.extend_from_slice(&[self.found, self.command_index, self.commands]);
        out.extend_from_slice(&self.cause.to_le_bytes());
    }
}
