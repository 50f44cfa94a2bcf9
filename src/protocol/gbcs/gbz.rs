//! GBZ: the ZigBee payloads of gas meters (GSME) and the gas proxy function (GPF) inside GBCS
//! (GBCS §7.5 "GBZ payload"). A payload is the profile id `0109`, a count of components, and the
//! components; each component has an extended header (control field, ZCL cluster, length and,
//! when the control field says so, a "from" date-time) and a ZCL frame (frame control, sequence
//! number, command id, payload). A component whose control field has bit 1 set is encrypted
//! for the remote party: after the ZCL header it carries the ciphered information (length,
//! security header, ciphertext, 12-byte tag), opened like a DLMS sealed payload.
//! An alert is the profile id, the count, the alert code, a time stamp and use-case-specific
//! bytes.
//!
//! Decoding keeps every byte, so a decoded payload re-encodes to exactly the bytes it came from.

use serde::Serialize;

use super::gas_settings::GasSettingValue;
use super::sealed::{SealError, Sealed};
use super::{GbcsMessage, KeyStore};

/// The Smart Energy profile id every GBZ payload starts with.
pub const PROFILE_ID: u16 = 0x0109;
/// Control-field bit: the component is encrypted.
const ENCRYPTED: u8 = 0x02;
/// Control-field bit: a "from" date-time follows the length.
const FROM_DATE_TIME: u8 = 0x10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GbzError {
    #[error("byte {offset}: {what} needs {need} more bytes, {left} left")]
    Short {
        offset: usize,
        what: &'static str,
        need: usize,
        left: usize,
    },
    #[error("profile id {0:#06x} is not the Smart Energy profile 0x0109")]
    Profile(u16),
    #[error("{0} bytes follow the last component")]
    Trailing(usize),
}

/// A decoded GBZ payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Gbz {
    Components {
        components: Vec<Component>,
    },
    Alert {
        /// Count of components as sent (1 for most alerts).
        count: u8,
        alert_code: u16,
        /// UTC seconds since 2000-01-01 (GBCS time).
        time: u32,
        #[serde(serialize_with = "hex")]
        rest: Vec<u8>,
    },
}

/// One ZCL command or response with its extended header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    pub control: u8,
    pub cluster: u16,
    /// From date-time (control bit 4), GBCS seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<u32>,
    /// Encrypted components: the additional header control and frame counter bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_header: Option<[u8; 2]>,
    pub frame_control: u8,
    pub sequence: u8,
    pub command: u8,
    /// The ZCL payload; for an encrypted component, the ciphered information without its
    /// two-byte length (security header ‖ ciphertext ‖ tag).
    #[serde(serialize_with = "hex")]
    pub payload: Vec<u8>,
}

impl Component {
    pub fn encrypted(&self) -> bool {
        self.control & ENCRYPTED != 0
    }

    /// ZCL direction bit: server to client (a response or a report).
    pub fn from_server(&self) -> bool {
        self.frame_control & 0x08 != 0
    }

    /// An encrypted component's payload, sealed for the remote party: the message's recipient,
    /// or — when the DCC relays for a user (the header's other information carries a
    /// supplementary remote party id, and perhaps its originator counter) — that user.
    pub fn sealed(&self, message: &GbcsMessage) -> Option<Result<Sealed, SealError>> {
        if !self.encrypted() {
            return None;
        }
        let s = &message.signing;
        let other = &s.other_information;
        let (recipient, counter) = super::sealed::relayed(other).unwrap_or((s.recipient, None));
        let counter = counter.unwrap_or_else(|| s.originator_counter.to_be_bytes());
        let mut tid = [0u8; 9];
        tid[0] = super::sealed::ENCRYPTION_MODE;
        tid[1..].copy_from_slice(&counter);
        Some(Sealed::from_parts(
            s.originator,
            recipient,
            tid,
            &self.payload,
        ))
    }

    /// The ZCL payload in clear: as sent, or opened with the recipient's key.
    pub fn plaintext(&self, message: &GbcsMessage, keys: &KeyStore) -> Result<Vec<u8>, SealError> {
        match self.sealed(message) {
            None => Ok(self.payload.clone()),
            Some(sealed) => sealed?.open(keys),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], GbzError> {
        let left = self.bytes.len() - self.at;
        if n > left {
            return Err(GbzError::Short {
                offset: self.at,
                what,
                need: n,
                left,
            });
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, GbzError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, GbzError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, GbzError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Gbz {
    /// Reads a GBZ payload; `alert` for a message whose CRA flag says alert.
    pub fn decode(bytes: &[u8], alert: bool) -> Result<Gbz, GbzError> {
        let mut r = Reader { bytes, at: 0 };
        let profile = r.u16("profile id")?;
        if profile != PROFILE_ID {
            return Err(GbzError::Profile(profile));
        }
        let count = r.u8("component count")?;
        if alert {
            let alert_code = r.u16("alert code")?;
            let time = r.u32("time stamp")?;
            return Ok(Gbz::Alert {
                count,
                alert_code,
                time,
                rest: bytes[r.at..].to_vec(),
            });
        }
        let mut components = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let control = r.u8("control field")?;
            let cluster = r.u16("cluster id")?;
            let len = usize::from(r.u16("component length")?);
            let body = r.take(len, "component")?;
            let mut c = Reader { bytes: body, at: 0 };
            let shift = |e: GbzError, base: usize| match e {
                GbzError::Short {
                    offset,
                    what,
                    need,
                    left,
                } => GbzError::Short {
                    offset: offset + base,
                    what,
                    need,
                    left,
                },
                other => other,
            };
            let base = r.at - len;
            let mut read = || -> Result<Component, GbzError> {
                let additional_header = if control & ENCRYPTED != 0 {
                    let h = c.take(2, "additional header")?;
                    Some([h[0], h[1]])
                } else {
                    None
                };
                let from = if control & ENCRYPTED == 0 && control & FROM_DATE_TIME != 0 {
                    Some(c.u32("from date-time")?)
                } else {
                    None
                };
                let frame_control = c.u8("ZCL frame control")?;
                let sequence = c.u8("ZCL sequence number")?;
                let command = c.u8("ZCL command id")?;
                let payload = if control & ENCRYPTED != 0 {
                    let n = usize::from(c.u16("ciphered information length")?);
                    c.take(n, "ciphered information")?.to_vec()
                } else {
                    body[c.at..].to_vec()
                };
                if control & ENCRYPTED == 0 {
                    c.at = body.len();
                }
                if c.at != body.len() {
                    return Err(GbzError::Trailing(body.len() - c.at));
                }
                Ok(Component {
                    control,
                    cluster,
                    from,
                    additional_header,
                    frame_control,
                    sequence,
                    command,
                    payload,
                })
            };
            components.push(read().map_err(|e| shift(e, base))?);
        }
        if r.at != bytes.len() {
            return Err(GbzError::Trailing(bytes.len() - r.at));
        }
        Ok(Gbz::Components { components })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = PROFILE_ID.to_be_bytes().to_vec();
        match self {
            Gbz::Alert {
                count,
                alert_code,
                time,
                rest,
            } => {
                out.push(*count);
                out.extend_from_slice(&alert_code.to_be_bytes());
                out.extend_from_slice(&time.to_be_bytes());
                out.extend_from_slice(rest);
            }
            Gbz::Components { components } => {
                out.push(components.len() as u8);
                for c in components {
                    let mut body = Vec::new();
                    if let Some(h) = c.additional_header {
                        body.extend_from_slice(&h);
                    }
                    if let Some(from) = c.from {
                        body.extend_from_slice(&from.to_be_bytes());
                    }
                    body.extend_from_slice(&[c.frame_control, c.sequence, c.command]);
                    if c.encrypted() {
                        body.extend_from_slice(&(c.payload.len() as u16).to_be_bytes());
                    }
                    body.extend_from_slice(&c.payload);
                    out.push(c.control);
                    out.extend_from_slice(&c.cluster.to_be_bytes());
                    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
                    out.extend(body);
                }
            }
        }
        out
    }
}

/// A ZCL attribute record of a Read Attributes Response (command 0x01).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    pub id: u16,
    pub status: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<ZclValue>,
}

/// A ZCL value, by the data type's family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ZclValue {
    Unsigned(u64),
    Signed(i64),
    #[serde(serialize_with = "hex")]
    Bytes(Vec<u8>),
}

/// Reads the records of a Read Attributes Response (ZCL §2.5.2): attribute id (LE), status, and
/// when the status is success the data type and value. ZCL integers are little-endian.
pub fn read_attributes_response(payload: &[u8]) -> Result<Vec<Attribute>, GbzError> {
    let mut r = Reader {
        bytes: payload,
        at: 0,
    };
    let mut out = Vec::new();
    while r.at < payload.len() {
        let id = r.take(2, "attribute id")?;
        let id = u16::from_le_bytes([id[0], id[1]]);
        let status = r.u8("attribute status")?;
        if status != 0 {
            out.push(Attribute {
                id,
                status,
                data_type: None,
                value: None,
            });
            continue;
        }
        let data_type = r.u8("attribute data type")?;
        let value = match data_type {
            // bool, bitmaps, unsigned, enums, UTC time and the other fixed-size unsigned kinds
            0x08..=0x0F | 0x10 | 0x18..=0x1F | 0x20..=0x27 | 0x30 | 0x31 | 0xE0..=0xE2 => {
                let n = fixed_size(data_type);
                let b = r.take(n, "attribute value")?;
                ZclValue::Unsigned(b.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x)))
            }
            0x28..=0x2F => {
                let n = usize::from(data_type - 0x27);
                let b = r.take(n, "attribute value")?;
                let raw = b.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x));
                let shift = 64 - 8 * n as u32;
                ZclValue::Signed(((raw << shift) as i64) >> shift)
            }
            0x41 | 0x42 => {
                let n = usize::from(r.u8("string length")?);
                ZclValue::Bytes(r.take(n, "string")?.to_vec())
            }
            0x43 | 0x44 => {
                let n = r.take(2, "long string length")?;
                let n = usize::from(u16::from_le_bytes([n[0], n[1]]));
                ZclValue::Bytes(r.take(n, "long string")?.to_vec())
            }
            _ => {
                // Unknown type: the rest of the payload, kept.
                ZclValue::Bytes(r.take(payload.len() - r.at, "attribute value")?.to_vec())
            }
        };
        out.push(Attribute {
            id,
            status,
            data_type: Some(data_type),
            value: Some(value),
        });
    }
    Ok(out)
}

fn fixed_size(data_type: u8) -> usize {
    match data_type {
        0x08..=0x0F => usize::from(data_type - 0x07),
        0x10 => 1,
        0x18..=0x1F => usize::from(data_type - 0x17),
        0x20..=0x27 => usize::from(data_type - 0x1F),
        0x30 => 1,
        0x31 => 2,
        _ => 4, // time of day, date, UTC time
    }
}

fn hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::describe::hex(bytes))
}

/// The Metering cluster, which carries gas readings.
pub const METERING_CLUSTER: u16 = 0x0702;
/// The Basic cluster: who made a device and what it is (GCS21e, GCS21m; 6.2.4).
pub const BASIC_CLUSTER: u16 = 0x0000;
/// ZCL Read Attributes (general command).
pub const READ_ATTRIBUTES: u8 = 0x00;
/// ZCL Read Attributes Response (general command).
pub const READ_ATTRIBUTES_RESPONSE: u8 = 0x01;
/// Metering cluster: GetSampledData (client to server) and GetSampledDataResponse (server to
/// client) — the gas half-hourly profile (GCS17, 4.8.1) and daily log (GCS61, 4.17).
pub const GET_SAMPLED_DATA: u8 = 0x08;
pub const GET_SAMPLED_DATA_RESPONSE: u8 = 0x07;
/// Metering cluster: GetSnapshot (client to server) and PublishSnapshot (server to client),
/// the same id both ways — the gas daily read log (GCS16a, 4.6.1).
pub const GET_SNAPSHOT: u8 = 0x06;
pub const PUBLISH_SNAPSHOT: u8 = 0x06;
/// Metering cluster: ChangeSupply (client to server) and SupplyStatusResponse — the gas
/// valve (GCS32, 7.2 disable; GCS39, 7.3 arm).
pub const CHANGE_SUPPLY: u8 = 0x0B;
pub const SUPPLY_STATUS_RESPONSE: u8 = 0x0C;
/// The Price cluster: the currency a meter's amounts are in (GCS14, 4.3).
pub const PRICE_CLUSTER: u16 = 0x0700;
/// The Price cluster: GetBillingPeriod (client to server) and PublishBillingPeriod — the
/// billing calendar (GCS21d, 6.2.3).
pub const GET_BILLING_PERIOD: u8 = 0x0B;
pub const PUBLISH_BILLING_PERIOD: u8 = 0x09;
/// A billing period duration type: months, ending where not said (as the RTDS meter's
/// six-monthly calendar, GCS21k, gives its unit).
pub const MONTHLY_UNSPECIFIED: u8 = 0x23;
/// The prepayment cluster: ConsumerTopUp (client to server) and its response (CS01b, 2.2).
pub const PREPAYMENT_CLUSTER: u16 = 0x0705;
pub const CONSUMER_TOP_UP: u8 = 0x04;
pub const CONSUMER_TOP_UP_RESPONSE: u8 = 0x03;
/// The Device Management cluster, whose server is the supplier's side and the meter its
/// client: PublishChangeOfSupplier (GCS44, 3.4), answered by the meter's Default Response
/// (client to server).
pub const DEVICE_MANAGEMENT_CLUSTER: u16 = 0x0708;
pub const PUBLISH_CHANGE_OF_SUPPLIER: u8 = 0x01;
/// The provider change control a 3.4 carries, as the RTDS command does (bits 11 and 12).
pub const SUPPLIER_NAME_CONTROL: u32 = 0x0000_1800;
/// The prepayment cluster: SelectAvailableEmergencyCredit (GCS06, 2.5), answered by a Default
/// Response.
pub const SELECT_EMERGENCY_CREDIT: u8 = 0x00;
/// ZCL status FAILURE (a command the meter will not carry out).
pub const FAILURE: u8 = 0x01;
/// The prepayment cluster: CreditAdjustment (GCS40a–d, 1.5), answered by a Default Response.
pub const CREDIT_ADJUSTMENT: u8 = 0x05;
/// Credit adjustment types, as the RTDS's four commands carry them: the balance of a meter in
/// prepayment mode adjusted by the value (GCS40a) or set to it (GCS40b, a reset: nought); of
/// one in credit mode set to it (GCS40d, a reset) or adjusted by it (GCS40c).
pub const CREDIT_INCREMENTAL: u8 = 0x00;
pub const CREDIT_ABSOLUTE: u8 = 0x01;
pub const CREDIT_MODE_ABSOLUTE: u8 = 0x02;
pub const CREDIT_MODE_INCREMENTAL: u8 = 0x03;
/// The prepayment cluster: GetTopUpLog and PublishTopUpLog (GCS15e, 4.4.5), GetDebtRepaymentLog
/// and PublishDebtLog (GCS15d, 4.4.4).
pub const GET_TOP_UP_LOG: u8 = 0x08;
pub const PUBLISH_TOP_UP_LOG: u8 = 0x05;
pub const GET_DEBT_REPAYMENT_LOG: u8 = 0x0A;
pub const PUBLISH_DEBT_LOG: u8 = 0x06;
/// The latest end time a log read asks for when the DUIS period ends past GBCS's clock (the
/// RTDS sends DUIS's 3000-12-31 so).
pub const LATEST_TIME: u32 = 0xFFFF_FFFE;
/// Snapshot cause: the billing period's end (the billing calendar's snapshot).
pub const BILLING_SNAPSHOT: u32 = 2;
/// Snapshot cause: a change of meter (payment) mode.
pub const CHANGE_OF_MODE_SNAPSHOT: u32 = 0x4000;
/// The snapshot causes 4.4.2 (GCS15b) asks for: a change of tariff information (bit 3), of
/// supplier (13) or of meter mode (14).
pub const CHANGE_SNAPSHOTS: u32 = 0x6008;
/// The prepayment cluster: ChangePaymentMode (client to server) and its response (GCS02 to
/// credit, GCS03 to prepayment; 1.6).
pub const CHANGE_PAYMENT_MODE: u8 = 0x06;
pub const CHANGE_PAYMENT_MODE_RESPONSE: u8 = 0x02;
/// Payment control configuration bit: prepayment enabled.
pub const PREPAYMENT_ENABLED: u16 = 0x0002;
/// The payment control configurations GB gas meters are sent: credit mode, and prepayment
/// mode (as in the RTDS commands).
pub const CREDIT_CONFIGURATION: u16 = 0x0C94;
pub const PREPAYMENT_CONFIGURATION: u16 = 0x0897;
/// An implementation date-time that cancels a pending future-dated change.
pub const CANCEL: u32 = 0xFFFF_FFFF;
/// The future-dated command carried out (8F66) or not (8F67).
pub const FUTURE_DATED_SUCCESS: u16 = 0x8F66;
/// ZCL Default Response (general command): the answer to a command that has no other, or
/// that failed (e.g. a snapshot not held).
pub const DEFAULT_RESPONSE: u8 = 0x0B;
/// ZCL status SUCCESS.
pub const SUCCESS: u8 = 0x00;
/// ZCL status NOT_FOUND.
pub const NOT_FOUND: u8 = 0x8B;
/// Snapshot cause: the general (daily) snapshot.
pub const DAILY_SNAPSHOT: u32 = 1;
/// The snapshot payload type of GB gas daily reads: block tier information set, delivered,
/// no billing.
pub const BLOCK_TIERS_NO_BILLING: u8 = 6;

/// Supply status of the metering cluster (the gas valve): off, off and armed (the customer
/// may turn it on at the meter), on.
pub const SUPPLY_OFF: u8 = 0;
pub const SUPPLY_ARMED: u8 = 1;
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
    /// The values of one of [`super::gas_settings`]'s reads, named (GCS13b, GCS13c, GCS21a,
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
    /// ZCL Default Response from `cluster`: `status` for `command` (0x8B: not found).
    DefaultResponse {
        cluster: u16,
        command: u8,
        status: u8,
    },
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The metering cluster's firmware version attribute (GCS38), an octet string.
pub const FIRMWARE_VERSION: u16 = 0x0206;
/// The metering cluster's Bill to Date Delivered (GCS60), a uint32.
pub const BILL_TO_DATE: u16 = 0x0A00;
/// The prepayment cluster's Credit Remaining (GCS60), an int32.
pub const CREDIT_REMAINING: u16 = 0x0001;
/// The metering cluster's Site ID (GCS46): the MPRN, an octet string.
pub const SITE_ID: u16 = 0x0307;
/// The prepayment cluster's Payment Control Configuration (GCS21j), a bitmap16.
pub const PAYMENT_CONTROL_CONFIGURATION: u16 = 0x0000;
/// The price cluster's Price Trailing Digit (a bitmap8) and Currency (a uint16).
pub const PRICE_TRAILING_DIGIT: u16 = 0x0617;
pub const CURRENCY: u16 = 0x0616;
/// The prepayment cluster attributes GCS14 reads, in its order: Accumulated Debt, Emergency
/// Credit Remaining, Credit Remaining (int32s), Debt Amount #3, #1, #2 (uint32s).
pub const PREPAY_VALUES: [u16; 6] = [0x0005, 0x0002, 0x0001, 0x0231, 0x0211, 0x0221];
/// Pounds sterling (ISO 4217 numeric).
pub const POUNDS_STERLING: u16 = 826;

/// Little-endian ZCL fields.
impl Reader<'_> {
    fn le16(&mut self, what: &'static str) -> Result<u16, GbzError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn le32(&mut self, what: &'static str) -> Result<u32, GbzError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn le48(&mut self, what: &'static str) -> Result<u64, GbzError> {
        let b = self.take(6, what)?;
        let mut v = [0u8; 8];
        v[..6].copy_from_slice(b);
        Ok(u64::from_le_bytes(v))
    }

    fn le48s(&mut self, n: usize, what: &'static str) -> Result<Vec<u64>, GbzError> {
        (0..n).map(|_| self.le48(what)).collect()
    }

    /// A Read Attributes command's list: attribute ids to the end.
    fn attribute_ids(&mut self) -> Result<Vec<u16>, GbzError> {
        let mut ids = Vec::new();
        while self.at < self.bytes.len() {
            ids.push(self.le16("attribute id")?);
        }
        Ok(ids)
    }

    fn end(&self) -> Result<(), GbzError> {
        match self.bytes.len() - self.at {
            0 => Ok(()),
            n => Err(GbzError::Trailing(n)),
        }
    }
}

/// Reads a gas component's payload (`payload` in clear) as one of the commands or answers this
/// crate interprets; `None` for others.
pub fn gas_payload(c: &Component, payload: &[u8]) -> Result<Option<GasPayload>, GbzError> {
    let mut r = Reader {
        bytes: payload,
        at: 0,
    };
    let specific = c.frame_control & 0x03 == 1;
    let meaning = match (c.cluster, specific, c.from_server(), c.command) {
        (cluster, false, true, DEFAULT_RESPONSE)
        | (cluster @ DEVICE_MANAGEMENT_CLUSTER, false, false, DEFAULT_RESPONSE) => {
            GasPayload::DefaultResponse {
                cluster,
                command: r.u8("command id")?,
                status: r.u8("status")?,
            }
        }
        (DEVICE_MANAGEMENT_CLUSTER, true, true, PUBLISH_CHANGE_OF_SUPPLIER) => {
            let current_provider = r.le32("current provider id")?;
            let event = r.le32("issuer event id")?;
            let tariff_type = r.u8("tariff type")?;
            let proposed_provider = r.le32("proposed provider id")?;
            let implement_at = r.le32("provider change implementation time")?;
            let control = r.le32("provider change control")?;
            let mut text = |what: &'static str| -> Result<Option<String>, GbzError> {
                let n = usize::from(r.u8(what)?);
                Ok(std::str::from_utf8(r.take(n, what)?)
                    .ok()
                    .map(str::to_string))
            };
            let (Some(name), Some(contact)) = (
                text("proposed provider name")?,
                text("proposed provider contact details")?,
            ) else {
                return Ok(None);
            };
            GasPayload::ChangeOfSupplier {
                current_provider,
                event,
                tariff_type,
                proposed_provider,
                implement_at,
                control,
                name,
                contact,
            }
        }
        (METERING_CLUSTER, false, false, READ_ATTRIBUTES) => GasPayload::ReadAttributes {
            attributes: r.attribute_ids()?,
        },
        (METERING_CLUSTER, false, true, READ_ATTRIBUTES_RESPONSE) => {
            let attributes = read_attributes_response(payload)?;
            return Ok(attributes_meaning(&attributes).or_else(|| settings(c, &attributes)));
        }
        (BASIC_CLUSTER, false, false, READ_ATTRIBUTES) => GasPayload::ReadBasicAttributes {
            attributes: r.attribute_ids()?,
        },
        (BASIC_CLUSTER, false, true, READ_ATTRIBUTES_RESPONSE) => {
            return Ok(settings(c, &read_attributes_response(payload)?));
        }
        (PREPAYMENT_CLUSTER, false, false, READ_ATTRIBUTES) => {
            GasPayload::ReadPrepaymentAttributes {
                attributes: r.attribute_ids()?,
            }
        }
        (PRICE_CLUSTER, false, false, READ_ATTRIBUTES) => GasPayload::ReadPriceAttributes {
            attributes: r.attribute_ids()?,
        },
        (PRICE_CLUSTER, false, true, READ_ATTRIBUTES_RESPONSE) => {
            let attributes = read_attributes_response(payload)?;
            return Ok(match attributes.as_slice() {
                [
                    Attribute {
                        id: PRICE_TRAILING_DIGIT,
                        data_type: Some(0x18),
                        value: Some(ZclValue::Unsigned(digit)),
                        ..
                    },
                    Attribute {
                        id: CURRENCY,
                        data_type: Some(0x21),
                        value: Some(ZclValue::Unsigned(currency)),
                        ..
                    },
                ] => Some(GasPayload::Currency {
                    trailing_digit: *digit as u8,
                    currency: *currency as u16,
                }),
                _ => settings(c, &attributes),
            });
        }
        (PREPAYMENT_CLUSTER, false, true, READ_ATTRIBUTES_RESPONSE) => {
            let attributes = read_attributes_response(payload)?;
            if let Some(values) = prepay_values(&attributes) {
                return Ok(Some(values));
            }
            return Ok(match attributes.as_slice() {
                [a] if a.id == CREDIT_REMAINING && a.data_type == Some(0x2B) => match a.value {
                    Some(ZclValue::Signed(v)) => i32::try_from(v)
                        .ok()
                        .map(|value| GasPayload::CreditRemaining { value }),
                    _ => None,
                },
                [a] if a.id == PAYMENT_CONTROL_CONFIGURATION && a.data_type == Some(0x19) => {
                    match a.value {
                        Some(ZclValue::Unsigned(v)) => u16::try_from(v)
                            .ok()
                            .map(|configuration| GasPayload::PaymentControl { configuration }),
                        _ => None,
                    }
                }
                _ => None,
            });
        }
        (METERING_CLUSTER, true, false, GET_SAMPLED_DATA) => GasPayload::SampledDataRequest {
            sample_id: r.le16("sample id")?,
            start: r.le32("start time")?,
            sampling_type: r.u8("sample type")?,
            count: r.le16("number of samples")?,
        },
        (METERING_CLUSTER, true, true, GET_SAMPLED_DATA_RESPONSE) => {
            let sample_id = r.le16("sample id")?;
            let start = r.le32("start time")?;
            let sampling_type = r.u8("sampling type")?;
            let interval_s = r.le16("sampling interval")?;
            let count = usize::from(r.le16("number of samples")?);
            let mut samples = Vec::with_capacity(count);
            for _ in 0..count {
                let b = r.take(3, "sample")?;
                samples.push(u32::from_le_bytes([b[0], b[1], b[2], 0]));
            }
            GasPayload::SampledData {
                sample_id,
                start,
                sampling_type,
                interval_s,
                samples,
            }
        }
        (METERING_CLUSTER, true, false, GET_SNAPSHOT) => GasPayload::SnapshotRequest {
            earliest: r.le32("earliest start time")?,
            latest: r.le32("latest end time")?,
            offset: r.u8("snapshot offset")?,
            cause: r.le32("snapshot cause")?,
        },
        (METERING_CLUSTER, true, true, PUBLISH_SNAPSHOT) => {
            let SnapshotHead {
                id,
                time,
                found,
                command_index,
                commands,
                cause,
            } = SnapshotHead::read(&mut r)?;
            let registers = match r.u8("snapshot payload type")? {
                BLOCK_TIERS_NO_BILLING => {
                    let summation = r.le48("current summation delivered")?;
                    let n = usize::from(r.u8("number of tiers in use")?);
                    let tiers = r.le48s(n, "tier summation")?;
                    let tiers_and_blocks = r.u8("number of tiers and blocks in use")?;
                    let n = usize::from(tiers_and_blocks >> 4) * usize::from(tiers_and_blocks & 15);
                    let blocks = r.le48s(n, "block summation")?;
                    SnapshotRegisters::BlockTiers {
                        summation,
                        tiers,
                        tiers_and_blocks,
                        blocks,
                    }
                }
                code => SnapshotRegisters::Other {
                    code,
                    bytes: r.take(payload.len() - r.at, "snapshot payload")?.to_vec(),
                },
            };
            GasPayload::Snapshot {
                id,
                time,
                found,
                command_index,
                commands,
                cause,
                registers,
            }
        }
        (METERING_CLUSTER, true, false, CHANGE_SUPPLY) => GasPayload::ChangeSupply {
            provider: r.le32("provider id")?,
            event: r.le32("issuer event id")?,
            requested: r.le32("request date-time")?,
            implement_at: r.le32("implementation date-time")?,
            proposed: r.u8("proposed supply status")?,
            control: r.u8("supply control bits")?,
        },
        (METERING_CLUSTER, true, true, SUPPLY_STATUS_RESPONSE) => GasPayload::SupplyStatus {
            provider: r.le32("provider id")?,
            event: r.le32("issuer event id")?,
            implemented: r.le32("implementation date-time")?,
            status: r.u8("supply status")?,
        },
        (PREPAYMENT_CLUSTER, true, false, SELECT_EMERGENCY_CREDIT) => {
            GasPayload::SelectEmergencyCredit {
                issued: r.le32("command issue date-time")?,
                origin: r.u8("originating device")?,
            }
        }
        (PREPAYMENT_CLUSTER, true, false, CREDIT_ADJUSTMENT) => GasPayload::CreditAdjustment {
            event: r.le32("issuer event id")?,
            start: r.le32("start time")?,
            adjustment: r.u8("credit adjustment type")?,
            value: r.le32("credit adjustment value")? as i32,
        },
        (PREPAYMENT_CLUSTER, true, false, CONSUMER_TOP_UP) => {
            let origin = r.u8("originating device")?;
            let n = usize::from(r.u8("top-up code length")?);
            let Ok(utrn) = std::str::from_utf8(r.take(n, "top-up code")?) else {
                return Ok(None);
            };
            GasPayload::TopUp {
                origin,
                utrn: utrn.to_string(),
            }
        }
        (PREPAYMENT_CLUSTER, true, false, GET_PREPAY_SNAPSHOT) => {
            GasPayload::PrepaySnapshotRequest {
                earliest: r.le32("earliest start time")?,
                latest: r.le32("latest end time")?,
                offset: r.u8("snapshot offset")?,
                cause: r.le32("snapshot cause")?,
            }
        }
        (PREPAYMENT_CLUSTER, true, true, PUBLISH_PREPAY_SNAPSHOT) => {
            let SnapshotHead {
                id,
                time,
                found,
                command_index,
                commands,
                cause,
            } = SnapshotHead::read(&mut r)?;
            let payload = match r.u8("snapshot payload type")? {
                DEBT_CREDIT_STATUS => PrepaySnapshotPayload::DebtCreditStatus {
                    accumulated_debt: r.le32("accumulated debt")? as i32,
                    debts: [
                        r.le32("type 1 debt remaining")?,
                        r.le32("type 2 debt remaining")?,
                        r.le32("type 3 debt remaining")?,
                    ],
                    emergency_credit: r.le32("emergency credit remaining")? as i32,
                    credit_remaining: r.le32("credit remaining")? as i32,
                },
                code => PrepaySnapshotPayload::Other {
                    code,
                    bytes: r.take(payload.len() - r.at, "snapshot payload")?.to_vec(),
                },
            };
            GasPayload::PrepaySnapshot {
                id,
                time,
                found,
                command_index,
                commands,
                cause,
                payload,
            }
        }
        (PRICE_CLUSTER, true, false, GET_BILLING_PERIOD) => GasPayload::BillingPeriodRequest {
            earliest_start: r.le32("earliest start time")?,
            min_issuer_event_id: r.le32("min issuer event id")?,
            commands: r.u8("number of commands")?,
            tariff_type: r.u8("tariff type")?,
        },
        (PRICE_CLUSTER, true, true, PUBLISH_BILLING_PERIOD) => GasPayload::BillingPeriod {
            provider_id: r.le32("provider id")?,
            issuer_event_id: r.le32("issuer event id")?,
            start: r.le32("billing period start time")?,
            duration: {
                let b = r.take(3, "billing period duration")?;
                u32::from_le_bytes([b[0], b[1], b[2], 0])
            },
            duration_type: r.u8("billing period duration type")?,
            tariff_type: r.u8("tariff type")?,
        },
        (PREPAYMENT_CLUSTER, true, false, GET_TOP_UP_LOG) => GasPayload::TopUpLogRequest {
            latest: r.le32("latest end time")?,
            count: r.u8("number of records")?,
        },
        (PREPAYMENT_CLUSTER, true, true, PUBLISH_TOP_UP_LOG) => {
            let command_index = r.u8("command index")?;
            let commands = r.u8("total number of commands")?;
            let mut entries = Vec::new();
            while r.at < payload.len() {
                let n = usize::from(r.u8("UTRN length")?);
                let Ok(utrn) = std::str::from_utf8(r.take(n, "UTRN")?) else {
                    return Ok(None);
                };
                entries.push(TopUpEntry {
                    utrn: utrn.to_string(),
                    amount: r.le32("top-up amount")? as i32,
                    time: r.le32("top-up time")?,
                });
            }
            GasPayload::TopUpLog {
                command_index,
                commands,
                entries,
            }
        }
        (PREPAYMENT_CLUSTER, true, false, GET_DEBT_REPAYMENT_LOG) => GasPayload::DebtLogRequest {
            latest: r.le32("latest end time")?,
            count: r.u8("number of debts")?,
            debt_type: r.u8("debt type")?,
        },
        (PREPAYMENT_CLUSTER, true, true, PUBLISH_DEBT_LOG) => {
            let command_index = r.u8("command index")?;
            let commands = r.u8("total number of commands")?;
            let mut entries = Vec::new();
            while r.at < payload.len() {
                entries.push(DebtEntry {
                    time: r.le32("collection time")?,
                    amount: r.le32("amount collected")?,
                    debt_type: r.u8("debt type")?,
                    outstanding: r.le32("outstanding debt")?,
                });
            }
            GasPayload::DebtLog {
                command_index,
                commands,
                entries,
            }
        }
        (PREPAYMENT_CLUSTER, true, false, CHANGE_PAYMENT_MODE) => GasPayload::ChangePaymentMode {
            provider: r.le32("provider id")?,
            event: r.le32("issuer event id")?,
            implement_at: r.le32("implementation date-time")?,
            configuration: r.le16("proposed payment control configuration")?,
            cut_off: r.le32("cut off value")? as i32,
        },
        (PREPAYMENT_CLUSTER, true, true, CHANGE_PAYMENT_MODE_RESPONSE) => {
            GasPayload::PaymentModeSettings {
                friendly_credit: r.u8("friendly credit")?,
                calendar: r.le32("friendly credit calendar id")?,
                emergency_limit: r.le32("emergency credit limit")?,
                emergency_threshold: r.le32("emergency credit threshold")?,
            }
        }
        (PREPAYMENT_CLUSTER, true, true, CONSUMER_TOP_UP_RESPONSE) => GasPayload::TopUpResult {
            result: r.u8("result type")?,
            value: r.le32("top-up value")? as i32,
            source: r.u8("source of top-up")?,
            credit: r.le32("credit remaining")? as i32,
        },
        _ => return Ok(None),
    };
    r.end()?;
    Ok(Some(meaning))
}

/// A Read Attributes Response that is one of [`super::gas_settings`]'s reads, named.
fn settings(c: &Component, attributes: &[Attribute]) -> Option<GasPayload> {
    Some(GasPayload::Settings {
        cluster: c.cluster,
        frame_control: c.frame_control,
        values: super::gas_settings::named(c.cluster, attributes)?,
    })
}

/// A ZCL value as `data_type` writes it: integers little-endian in the type's size, strings
/// after their length.
fn zcl_value_bytes(data_type: u8, value: &ZclValue, out: &mut Vec<u8>) {
    match (data_type, value) {
        (0x41 | 0x42, ZclValue::Bytes(b)) => {
            let b = &b[..b.len().min(255)];
            out.push(b.len() as u8);
            out.extend_from_slice(b);
        }
        (0x43 | 0x44, ZclValue::Bytes(b)) => {
            let b = &b[..b.len().min(0xFFFF)];
            out.extend_from_slice(&(b.len() as u16).to_le_bytes());
            out.extend_from_slice(b);
        }
        (0x28..=0x2F, &ZclValue::Signed(v)) => {
            out.extend_from_slice(&v.to_le_bytes()[..usize::from(data_type - 0x27)]);
        }
        (_, &ZclValue::Unsigned(v)) => {
            out.extend_from_slice(&v.to_le_bytes()[..fixed_size(data_type).min(8)]);
        }
        (_, &ZclValue::Signed(v)) => {
            out.extend_from_slice(&v.to_le_bytes()[..fixed_size(data_type).min(8)]);
        }
        (_, ZclValue::Bytes(b)) => out.extend_from_slice(b),
    }
}

/// What a PublishSnapshot and a PublishPrepaySnapshot start with: the snapshot's id and time,
/// how many snapshots were found, this command's index among the answer's commands, how many
/// commands, and the snapshot's cause.
struct SnapshotHead {
    id: u32,
    time: u32,
    found: u8,
    command_index: u8,
    commands: u8,
    cause: u32,
}

impl SnapshotHead {
    fn read(r: &mut Reader) -> Result<SnapshotHead, GbzError> {
        Ok(SnapshotHead {
            id: r.le32("snapshot id")?,
            time: r.le32("snapshot time")?,
            found: r.u8("total snapshots found")?,
            command_index: r.u8("command index")?,
            commands: r.u8("total number of commands")?,
            cause: r.le32("snapshot cause")?,
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.time.to_le_bytes());
        out.extend_from_slice(&[self.found, self.command_index, self.commands]);
        out.extend_from_slice(&self.cause.to_le_bytes());
    }
}

/// The meaning of a Read Attributes Response from the metering cluster: the firmware version
/// (GCS38) or the consumption register (GCS13a).
fn attributes_meaning(attributes: &[Attribute]) -> Option<GasPayload> {
    if let [attribute] = attributes
        && attribute.id == BILL_TO_DATE
        && attribute.data_type == Some(0x23)
        && let Some(ZclValue::Unsigned(value)) = attribute.value
    {
        return u32::try_from(value)
            .ok()
            .map(|value| GasPayload::BillToDate { value });
    }
    if let [attribute] = attributes
        && attribute.id == FIRMWARE_VERSION
        && let Some(ZclValue::Bytes(version)) = &attribute.value
        && attribute.data_type == Some(0x41)
    {
        return Some(GasPayload::FirmwareVersion {
            version: crate::protocol::gbcs::hex(version),
        });
    }
    if let [attribute] = attributes
        && attribute.id == SITE_ID
        && let Some(ZclValue::Bytes(mprn)) = &attribute.value
        && attribute.data_type == Some(0x41)
    {
        return Some(GasPayload::SiteId {
            mprn: String::from_utf8_lossy(mprn).into_owned(),
        });
    }
    let get = |id: u16| {
        attributes
            .iter()
            .find(|a| a.id == id)
            .and_then(|a| match a.value {
                Some(ZclValue::Unsigned(v)) => Some(v),
                _ => None,
            })
    };
    match (get(0x0000), get(0x0301), get(0x0302), get(0x0300)) {
        (Some(summation), Some(multiplier), Some(divisor), Some(unit)) if divisor > 0 => {
            Some(GasPayload::Registers {
                summation,
                multiplier,
                divisor,
                unit,
                value: decimal(u128::from(summation) * u128::from(multiplier), divisor),
            })
        }
        _ => None,
    }
}

/// GCS14's prepayment registers: the six attributes of [`PREPAY_VALUES`], in order, as their
/// types (int32, then uint32).
fn prepay_values(attributes: &[Attribute]) -> Option<GasPayload> {
    if attributes.len() != PREPAY_VALUES.len() {
        return None;
    }
    let mut signed = [0i32; 3];
    let mut unsigned = [0u32; 3];
    for (i, (a, id)) in attributes.iter().zip(PREPAY_VALUES).enumerate() {
        match (a.id == id, a.data_type, &a.value) {
            (true, Some(0x2B), Some(ZclValue::Signed(v))) if i < 3 => {
                signed[i] = i32::try_from(*v).ok()?
            }
            (true, Some(0x23), Some(ZclValue::Unsigned(v))) if i >= 3 => {
                unsigned[i - 3] = u32::try_from(*v).ok()?
            }
            _ => return None,
        }
    }
    Some(GasPayload::PrepayValues {
        accumulated_debt: signed[0],
        emergency_credit: signed[1],
        credit_remaining: signed[2],
        payment_debt: unsigned[0],
        time_debt: [unsigned[1], unsigned[2]],
    })
}

/// The ZCL payload of a gas command or answer, as a remote party or a device writes it.
pub fn encode_gas_payload(p: &GasPayload) -> Vec<u8> {
    let mut out = Vec::new();
    let le48 = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes()[..6]);
    // One attribute record of a Read Attributes Response: id, success, type, value.
    let record = |out: &mut Vec<u8>, id: u16, data_type: u8, value: &[u8]| {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&[0, data_type]);
        out.extend_from_slice(value);
    };
    match p {
        GasPayload::ReadAttributes { attributes }
        | GasPayload::ReadPrepaymentAttributes { attributes }
        | GasPayload::ReadPriceAttributes { attributes }
        | GasPayload::ReadBasicAttributes { attributes } => {
            for a in attributes {
                out.extend_from_slice(&a.to_le_bytes());
            }
        }
        GasPayload::BillToDate { value } => {
            out.extend_from_slice(&BILL_TO_DATE.to_le_bytes());
            out.extend_from_slice(&[0, 0x23]);
            out.extend_from_slice(&value.to_le_bytes());
        }
        GasPayload::Currency {
            trailing_digit,
            currency,
        } => {
            record(&mut out, PRICE_TRAILING_DIGIT, 0x18, &[*trailing_digit]);
            record(&mut out, CURRENCY, 0x21, &currency.to_le_bytes());
        }
        GasPayload::PrepayValues {
            accumulated_debt,
            emergency_credit,
            credit_remaining,
            payment_debt,
            time_debt,
        } => {
            let [a, e, c, p, t1, t2] = PREPAY_VALUES;
            record(&mut out, a, 0x2B, &accumulated_debt.to_le_bytes());
            record(&mut out, e, 0x2B, &emergency_credit.to_le_bytes());
            record(&mut out, c, 0x2B, &credit_remaining.to_le_bytes());
            record(&mut out, p, 0x23, &payment_debt.to_le_bytes());
            record(&mut out, t1, 0x23, &time_debt[0].to_le_bytes());
            record(&mut out, t2, 0x23, &time_debt[1].to_le_bytes());
        }
        GasPayload::CreditRemaining { value } => {
            out.extend_from_slice(&CREDIT_REMAINING.to_le_bytes());
            out.extend_from_slice(&[0, 0x2B]);
            out.extend_from_slice(&value.to_le_bytes());
        }
        GasPayload::PaymentControl { configuration } => {
            out.extend_from_slice(&PAYMENT_CONTROL_CONFIGURATION.to_le_bytes());
            out.extend_from_slice(&[0, 0x19]);
            out.extend_from_slice(&configuration.to_le_bytes());
        }
        GasPayload::Registers {
            summation,
            multiplier,
            divisor,
            unit,
            ..
        } => {
            // In the order devices answer GCS13a: divisor, multiplier, unit, summation.
            let mut put = |id: u16, data_type: u8, value: u64, size: usize| {
                out.extend_from_slice(&id.to_le_bytes());
                out.push(0);
                out.push(data_type);
                out.extend_from_slice(&value.to_le_bytes()[..size]);
            };
            put(0x0302, 0x22, *divisor, 3);
            put(0x0301, 0x22, *multiplier, 3);
            put(0x0300, 0x30, *unit, 1);
            put(0x0000, 0x25, *summation, 6);
        }
        GasPayload::FirmwareVersion { version } => {
            let bytes = crate::protocol::gbcs::parse_hex(version).unwrap_or_default();
            out.extend_from_slice(&FIRMWARE_VERSION.to_le_bytes());
            out.extend_from_slice(&[0, 0x41, bytes.len().min(255) as u8]);
            out.extend_from_slice(&bytes[..bytes.len().min(255)]);
        }
        GasPayload::SiteId { mprn } => {
            let bytes = &mprn.as_bytes()[..mprn.len().min(255)];
            out.extend_from_slice(&SITE_ID.to_le_bytes());
            out.extend_from_slice(&[0, 0x41, bytes.len() as u8]);
            out.extend_from_slice(bytes);
        }
        GasPayload::SampledDataRequest {
            sample_id,
            start,
            sampling_type,
            count,
        } => {
            out.extend_from_slice(&sample_id.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*sampling_type);
            out.extend_from_slice(&count.to_le_bytes());
        }
        GasPayload::SampledData {
            sample_id,
            start,
            sampling_type,
            interval_s,
            samples,
        } => {
            out.extend_from_slice(&sample_id.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*sampling_type);
            out.extend_from_slice(&interval_s.to_le_bytes());
            out.extend_from_slice(&(samples.len() as u16).to_le_bytes());
            for s in samples {
                out.extend_from_slice(&s.to_le_bytes()[..3]);
            }
        }
        GasPayload::SnapshotRequest {
            earliest,
            latest,
            offset,
            cause,
        }
        | GasPayload::PrepaySnapshotRequest {
            earliest,
            latest,
            offset,
            cause,
        } => {
            out.extend_from_slice(&earliest.to_le_bytes());
            out.extend_from_slice(&latest.to_le_bytes());
            out.push(*offset);
            out.extend_from_slice(&cause.to_le_bytes());
        }
        GasPayload::Snapshot {
            id,
            time,
            found,
            command_index,
            commands,
            cause,
            registers,
        } => {
            SnapshotHead {
                id: *id,
                time: *time,
                found: *found,
                command_index: *command_index,
                commands: *commands,
                cause: *cause,
            }
            .write(&mut out);
            match registers {
                SnapshotRegisters::BlockTiers {
                    summation,
                    tiers,
                    tiers_and_blocks,
                    blocks,
                } => {
                    out.push(BLOCK_TIERS_NO_BILLING);
                    le48(&mut out, *summation);
                    out.push(tiers.len() as u8);
                    tiers.iter().for_each(|t| le48(&mut out, *t));
                    out.push(*tiers_and_blocks);
                    blocks.iter().for_each(|b| le48(&mut out, *b));
                }
                SnapshotRegisters::Other { code, bytes } => {
                    out.push(*code);
                    out.extend_from_slice(bytes);
                }
            }
        }
        GasPayload::ChangeSupply {
            provider,
            event,
            requested,
            implement_at,
            proposed,
            control,
        } => {
            for v in [provider, event, requested, implement_at] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&[*proposed, *control]);
        }
        GasPayload::SupplyStatus {
            provider,
            event,
            implemented,
            status,
        } => {
            for v in [provider, event, implemented] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.push(*status);
        }
        GasPayload::ChangeOfSupplier {
            current_provider,
            event,
            tariff_type,
            proposed_provider,
            implement_at,
            control,
            name,
            contact,
        } => {
            out.extend_from_slice(&current_provider.to_le_bytes());
            out.extend_from_slice(&event.to_le_bytes());
            out.push(*tariff_type);
            for v in [proposed_provider, implement_at, control] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for text in [name, contact] {
                let bytes = &text.as_bytes()[..text.len().min(255)];
                out.push(bytes.len() as u8);
                out.extend_from_slice(bytes);
            }
        }
        GasPayload::SelectEmergencyCredit { issued, origin } => {
            out.extend_from_slice(&issued.to_le_bytes());
            out.push(*origin);
        }
        GasPayload::CreditAdjustment {
            event,
            start,
            adjustment,
            value,
        } => {
            out.extend_from_slice(&event.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*adjustment);
            out.extend_from_slice(&value.to_le_bytes());
        }
        GasPayload::TopUp { origin, utrn } => {
            let code = &utrn.as_bytes()[..utrn.len().min(255)];
            out.extend_from_slice(&[*origin, code.len() as u8]);
            out.extend_from_slice(code);
        }
        GasPayload::TopUpResult {
            result,
            value,
            source,
            credit,
        } => {
            out.push(*result);
            out.extend_from_slice(&value.to_le_bytes());
            out.push(*source);
            out.extend_from_slice(&credit.to_le_bytes());
        }
        GasPayload::ChangePaymentMode {
            provider,
            event,
            implement_at,
            configuration,
            cut_off,
        } => {
            for v in [provider, event, implement_at] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&configuration.to_le_bytes());
            out.extend_from_slice(&cut_off.to_le_bytes());
        }
        GasPayload::PaymentModeSettings {
            friendly_credit,
            calendar,
            emergency_limit,
            emergency_threshold,
        } => {
            out.push(*friendly_credit);
            for v in [calendar, emergency_limit, emergency_threshold] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        GasPayload::Settings { values, .. } => {
            for v in values {
                out.extend_from_slice(&v.id.to_le_bytes());
                out.extend_from_slice(&[0, v.data_type]);
                zcl_value_bytes(v.data_type, &v.value, &mut out);
            }
        }
        GasPayload::PrepaySnapshot {
            id,
            time,
            found,
            command_index,
            commands,
            cause,
            payload,
        } => {
            SnapshotHead {
                id: *id,
                time: *time,
                found: *found,
                command_index: *command_index,
                commands: *commands,
                cause: *cause,
            }
            .write(&mut out);
            match payload {
                PrepaySnapshotPayload::DebtCreditStatus {
                    accumulated_debt,
                    debts,
                    emergency_credit,
                    credit_remaining,
                } => {
                    out.push(DEBT_CREDIT_STATUS);
                    out.extend_from_slice(&accumulated_debt.to_le_bytes());
                    debts
                        .iter()
                        .for_each(|d| out.extend_from_slice(&d.to_le_bytes()));
                    out.extend_from_slice(&emergency_credit.to_le_bytes());
                    out.extend_from_slice(&credit_remaining.to_le_bytes());
                }
                PrepaySnapshotPayload::Other { code, bytes } => {
                    out.push(*code);
                    out.extend_from_slice(bytes);
                }
            }
        }
        GasPayload::TopUpLogRequest { latest, count } => {
            out.extend_from_slice(&latest.to_le_bytes());
            out.push(*count);
        }
        GasPayload::BillingPeriodRequest {
            earliest_start,
            min_issuer_event_id,
            commands,
            tariff_type,
        } => {
            out.extend_from_slice(&earliest_start.to_le_bytes());
            out.extend_from_slice(&min_issuer_event_id.to_le_bytes());
            out.extend_from_slice(&[*commands, *tariff_type]);
        }
        GasPayload::BillingPeriod {
            provider_id,
            issuer_event_id,
            start,
            duration,
            duration_type,
            tariff_type,
        } => {
            out.extend_from_slice(&provider_id.to_le_bytes());
            out.extend_from_slice(&issuer_event_id.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            // 24 bits on the wire: a longer duration is sent as the longest.
            out.extend_from_slice(&duration.min(&0xFF_FFFF).to_le_bytes()[..3]);
            out.extend_from_slice(&[*duration_type, *tariff_type]);
        }
        GasPayload::TopUpLog {
            command_index,
            commands,
            entries,
        } => {
            out.extend_from_slice(&[*command_index, *commands]);
            for e in entries {
                let utrn = &e.utrn.as_bytes()[..e.utrn.len().min(255)];
                out.push(utrn.len() as u8);
                out.extend_from_slice(utrn);
                out.extend_from_slice(&e.amount.to_le_bytes());
                out.extend_from_slice(&e.time.to_le_bytes());
            }
        }
        GasPayload::DebtLogRequest {
            latest,
            count,
            debt_type,
        } => {
            out.extend_from_slice(&latest.to_le_bytes());
            out.extend_from_slice(&[*count, *debt_type]);
        }
        GasPayload::DebtLog {
            command_index,
            commands,
            entries,
        } => {
            out.extend_from_slice(&[*command_index, *commands]);
            for e in entries {
                out.extend_from_slice(&e.time.to_le_bytes());
                out.extend_from_slice(&e.amount.to_le_bytes());
                out.push(e.debt_type);
                out.extend_from_slice(&e.outstanding.to_le_bytes());
            }
        }
        GasPayload::DefaultResponse {
            command, status, ..
        } => {
            out.extend_from_slice(&[*command, *status]);
        }
    }
    out
}

/// The cluster, ZCL frame control and command id a payload travels with: commands from the
/// remote party (client to server), answers from the device (server to client; snapshots
/// and sampled data with default responses disabled, as the RTDS devices send them).
pub fn zcl_header(p: &GasPayload) -> (u16, u8, u8) {
    use GasPayload::*;
    match p {
        ReadAttributes { .. } => (METERING_CLUSTER, 0x00, READ_ATTRIBUTES),
        Registers { .. } => (METERING_CLUSTER, 0x18, READ_ATTRIBUTES_RESPONSE),
        FirmwareVersion { .. } | SiteId { .. } => {
            (METERING_CLUSTER, 0x08, READ_ATTRIBUTES_RESPONSE)
        }
        SampledDataRequest { .. } => (METERING_CLUSTER, 0x01, GET_SAMPLED_DATA),
        // The network data log's answer (sample 2, GCS18) leaves default responses enabled,
        // as the RTDS meter's does; the consumption logs' disable them.
        SampledData { sample_id: 2, .. } => (METERING_CLUSTER, 0x09, GET_SAMPLED_DATA_RESPONSE),
        SampledData { .. } => (METERING_CLUSTER, 0x19, GET_SAMPLED_DATA_RESPONSE),
        SnapshotRequest { .. } => (METERING_CLUSTER, 0x01, GET_SNAPSHOT),
        Snapshot { .. } => (METERING_CLUSTER, 0x19, PUBLISH_SNAPSHOT),
        ChangeSupply { .. } => (METERING_CLUSTER, 0x01, CHANGE_SUPPLY),
        SupplyStatus { .. } => (METERING_CLUSTER, 0x09, SUPPLY_STATUS_RESPONSE),
        TopUp { .. } => (PREPAYMENT_CLUSTER, 0x01, CONSUMER_TOP_UP),
        CreditAdjustment { .. } => (PREPAYMENT_CLUSTER, 0x01, CREDIT_ADJUSTMENT),
        SelectEmergencyCredit { .. } => (PREPAYMENT_CLUSTER, 0x01, SELECT_EMERGENCY_CREDIT),
        ChangeOfSupplier { .. } => (DEVICE_MANAGEMENT_CLUSTER, 0x09, PUBLISH_CHANGE_OF_SUPPLIER),
        TopUpResult { .. } => (PREPAYMENT_CLUSTER, 0x09, CONSUMER_TOP_UP_RESPONSE),
        ChangePaymentMode { .. } => (PREPAYMENT_CLUSTER, 0x01, CHANGE_PAYMENT_MODE),
        PaymentModeSettings { .. } => (PREPAYMENT_CLUSTER, 0x19, CHANGE_PAYMENT_MODE_RESPONSE),
        ReadPrepaymentAttributes { .. } => (PREPAYMENT_CLUSTER, 0x00, READ_ATTRIBUTES),
        ReadPriceAttributes { .. } => (PRICE_CLUSTER, 0x00, READ_ATTRIBUTES),
        ReadBasicAttributes { .. } => (BASIC_CLUSTER, 0x00, READ_ATTRIBUTES),
        &Settings {
            cluster,
            frame_control,
            ..
        } => (cluster, frame_control, READ_ATTRIBUTES_RESPONSE),
        Currency { .. } => (PRICE_CLUSTER, 0x08, READ_ATTRIBUTES_RESPONSE),
        PrepayValues { .. } => (PREPAYMENT_CLUSTER, 0x08, READ_ATTRIBUTES_RESPONSE),
        BillToDate { .. } => (METERING_CLUSTER, 0x08, READ_ATTRIBUTES_RESPONSE),
        CreditRemaining { .. } | PaymentControl { .. } => {
            (PREPAYMENT_CLUSTER, 0x08, READ_ATTRIBUTES_RESPONSE)
        }
        PrepaySnapshotRequest { .. } => (PREPAYMENT_CLUSTER, 0x01, GET_PREPAY_SNAPSHOT),
        PrepaySnapshot { .. } => (PREPAYMENT_CLUSTER, 0x19, PUBLISH_PREPAY_SNAPSHOT),
        TopUpLogRequest { .. } => (PREPAYMENT_CLUSTER, 0x01, GET_TOP_UP_LOG),
        BillingPeriodRequest { .. } => (PRICE_CLUSTER, 0x01, GET_BILLING_PERIOD),
        BillingPeriod { .. } => (PRICE_CLUSTER, 0x09, PUBLISH_BILLING_PERIOD),
        TopUpLog { .. } => (PREPAYMENT_CLUSTER, 0x19, PUBLISH_TOP_UP_LOG),
        DebtLogRequest { .. } => (PREPAYMENT_CLUSTER, 0x01, GET_DEBT_REPAYMENT_LOG),
        DebtLog { .. } => (PREPAYMENT_CLUSTER, 0x19, PUBLISH_DEBT_LOG),
        // The meter is the Device Management cluster's client: its answer goes client to server.
        &DefaultResponse {
            cluster: DEVICE_MANAGEMENT_CLUSTER,
            ..
        } => (DEVICE_MANAGEMENT_CLUSTER, 0x00, DEFAULT_RESPONSE),
        &DefaultResponse { cluster, .. } => (cluster, 0x08, DEFAULT_RESPONSE),
    }
}

/// `n ÷ d` written exactly in decimal when `d` is a power of ten, else to six places. `n` is a
/// 48-bit register times a 24-bit multiplier, so it needs more than 64 bits.
fn decimal(n: u128, d: u64) -> String {
    let places = (d as f64).log10();
    if places.fract() == 0.0 && d == 10u64.pow(places as u32) {
        let p = places as usize;
        let d = u128::from(d);
        let (whole, frac) = (n / d, n % d);
        if p == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{frac:0p$}")
        }
    } else {
        format!("{:.6}", n as f64 / d as f64)
    }
}

/// The GBZ payload of a remote party's gas command: one component per payload, in clear, the
/// last marked so, as the RTDS commands carry them (GCS16a asks for each day's snapshot in a
/// component of its own), each with the From Date-Time `from` (GBCS seconds) when given (a log
/// read's start: GCS15d, GCS15e), ZCL sequence numbers counting from `sequence`.
pub fn gas_command(payloads: &[GasPayload], from: Option<u32>, sequence: u8) -> Vec<u8> {
    let n = payloads.len();
    Gbz::Components {
        components: payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (cluster, frame_control, command) = zcl_header(p);
                Component {
                    control: u8::from(i + 1 == n) | if from.is_some() { FROM_DATE_TIME } else { 0 },
                    cluster,
                    from,
                    additional_header: None,
                    frame_control,
                    sequence: sequence.wrapping_add(i as u8),
                    command,
                    payload: encode_gas_payload(p),
                }
            })
            .collect(),
    }
    .encode()
}
