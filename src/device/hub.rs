//! The comms hub function (CHF): the premises' gateway between the WAN and its home area
//! network. Its own state is its firmware version and its device log — the devices allowed to
//! join its ZigBee network, each with its install code. It takes commands from the DCC (the
//! Access Control Broker originates them, MACed), checks the MAC and the counter as a meter
//! does, and answers MACed:
//!
//! - CS08 (11.2): read firmware version (ASN.1) → the version and a status;
//! - CCS01 (8.11, add): register a device with its install code and open joining (DLMS, IC 104)
//!   → three results;
//! - CCS02 (8.11, remove): unregister a device → success, or 1 if it is not in the log;
//! - ECS26i (6.2.4): its identity → its EUI-64, model and manufacturer (dccsim's, as the
//!   DCC's inventory names them);
//! - ECS35c, ECS35d (6.13): its event log (the devices added to and removed from its log,
//!   each with its message code) and its security log, over the period asked, as an ESME's.
//!
//! Each answer names the user the broker sent the command for, as the command did.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{DeviceError, EventLog};
use crate::model::Eui64;
use crate::protocol::dlms::Data;
use crate::protocol::gbcs::KeyStore;
use crate::protocol::gbcs::asn1::AsnPayload;
use crate::protocol::gbcs::payload::{
    self, CCS01, CCS02, ECS26I, ECS35C, ECS35D, Reading, device_log_add_response, outcome_response,
    settings_response,
};

/// CS08: read the comms hub's firmware version.
pub const CS08: u16 = 0x0129;
/// Devices a device log holds: the premises' meters, their gas proxy, displays and others.
const DEVICE_LOG_LEN: usize = 16;
/// The firmware version a new comms hub reports (the RTDS hub's).
const FIRMWARE: [u8; 4] = [0x01, 0x23, 0xAB, 0xCD];
/// DLMS action result: not in the device log (the RTDS hub's answer to removing a stranger).
const NOT_IN_LOG: u8 = 1;
/// DLMS action result "other reason": the log is full.
const LOG_FULL: u8 = 250;

/// A device the comms hub lets join its network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub device: Eui64,
    /// Hex; empty for devices joined at installation.
    pub install_code: String,
    pub device_type: u8,
}

/// A comms hub function.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommsHub {
    pub eui: Eui64,
    pub firmware: [u8; 4],
    pub device_log: Vec<LogEntry>,
    /// Joining is open until then, after a CCS01.
    #[serde(default)]
    pub joining_until: Option<DateTime<Utc>>,
    counters: super::Counters,
    #[serde(default)]
    pub events: EventLog,
}

impl CommsHub {
    /// A hub with `devices` (the premises' meters) in its log.
    pub fn new(eui: Eui64, devices: &[Eui64]) -> CommsHub {
        CommsHub {
            eui,
            firmware: FIRMWARE,
            device_log: devices
                .iter()
                .map(|&device| LogEntry {
                    device,
                    install_code: String::new(),
                    device_type: 0,
                })
                .collect(),
            joining_until: None,
            counters: super::Counters::default(),
            events: EventLog::default(),
        }
    }

    /// Answers one GBCS command from the DCC.
    pub fn handle(
        &mut self,
        bytes: &[u8],
        now: DateTime<Utc>,
        keys: &KeyStore,
        acb: Eui64,
    ) -> Result<Vec<u8>, DeviceError> {
        let command = super::receive_command(bytes, &[self.eui], keys, acb)?;
        let s = &command.signing;
        let (from, counter) = (s.originator, s.originator_counter);
        self.counters.check(from, counter)?;
        let code = command.message_code().unwrap_or(0);
        let on_behalf = crate::protocol::gbcs::OnBehalf::of(&s.other_information);
        let bad = |e: String| DeviceError::Payload(e);
        let content = match code {
            CS08 => match AsnPayload::decode(&s.content, false) {
                Ok(Some(AsnPayload::ReadFirmware)) => AsnPayload::Firmware {
                    version: crate::protocol::gbcs::hex(&self.firmware),
                    status: 0,
                }
                .encode(),
                Ok(_) => return Err(bad("CS08 reads the firmware version (NULL)".into())),
                Err(e) => return Err(bad(e.to_string())),
            },
            CCS01 | CCS02 => {
                let reading =
                    payload::decode_dlms(&command, None).map_err(|e| bad(e.to_string()))?;
                match reading {
                    Reading::DeviceLogAdd {
                        device,
                        install_code,
                        device_type,
                        join_timeout_s,
                        ..
                    } => {
                        let result = self.add(device, install_code, device_type);
                        if result == 0 {
                            let open = Duration::seconds(i64::from(join_timeout_s));
                            self.joining_until = Some(now + open);
                            self.events.command(
                                now,
                                code,
                                true,
                                format!("{device} added to the log"),
                            );
                        }
                        device_log_add_response(counter, result).to_bytes()
                    }
                    Reading::DeviceLogRemove { device } => {
                        let before = self.device_log.len();
                        self.device_log.retain(|e| e.device != device);
                        let result = if self.device_log.len() < before {
                            self.events.command(
                                now,
                                code,
                                true,
                                format!("{device} removed from the log"),
                            );
                            0
                        } else {
                            NOT_IN_LOG
                        };
                        outcome_response(counter, false, result).to_bytes()
                    }
                    other => return Err(bad(format!("{other:?} is not a device log command"))),
                }
            }
            // Its event log (the device log's changes) and its security log, as an ESME's.
            ECS35C | ECS35D => {
                let reading =
                    payload::decode_dlms(&command, None).map_err(|e| bad(e.to_string()))?;
                let Reading::Range { from, to } = reading else {
                    return Err(bad(format!("{reading:?} is not a log read over a period")));
                };
                let (from, to) = (from.unwrap_or(DateTime::<Utc>::MIN_UTC), to.unwrap_or(now));
                let security = code == ECS35D;
                let events: Vec<_> = self
                    .events
                    .between(from, to)
                    .filter(|e| super::is_security_event(e.code) == security)
                    .map(super::Event::logged)
                    .collect();
                let response = if security {
                    payload::security_log_response(counter, &events)
                } else {
                    payload::event_log_response(counter, &events)
                };
                response
                    .ok_or_else(|| bad("an event's time is outside GBCS's clock".into()))?
                    .to_bytes()
            }
            ECS26I => {
                let identity = vec![
                    Data::OctetString(self.eui.0.to_vec()),
                    Data::OctetString(super::configuration::MODEL_CHF.to_vec()),
                    Data::OctetString(super::configuration::MANUFACTURER.to_vec()),
                ];
                settings_response(counter, identity).to_bytes()
            }
            _ => return Err(DeviceError::Unsupported(code)),
        };
        self.counters.accept(from, counter);
        let answer = super::Answer {
            me: self.eui,
            to: from,
            counter,
            code,
            critical: false,
            at: now,
            relay: None,
            on_behalf,
        };
        answer.bytes(content, keys, acb)
    }

    /// Adds (or updates) a device log entry; the DLMS result.
    fn add(&mut self, device: Eui64, install_code: String, device_type: u8) -> u8 {
        let entry = LogEntry {
            device,
            install_code,
            device_type,
        };
        let full = self.device_log.len() == DEVICE_LOG_LEN;
        match self.device_log.iter_mut().find(|e| e.device == device) {
            Some(e) => *e = entry,
            None if full => return LOG_FULL,
            None => self.device_log.push(entry),
        }
        0
    }
}
