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
//!   each with its message code) and its security log, over the period asked, as an ESME's;
//! - DBCH04 (6.28), DBCH03 (6.30): a dual band hub's sub-GHz configuration set and read (the
//!   RTDS hub's until set); DBCH05 (6.29): a channel scan; DBCH01 (6.31): the channel it is on.
//!   dccsim's hubs hear no interference: a scan, or a configuration that no longer allows the
//!   channel in use, settles on the first channel the configuration allows (lowest page, then
//!   lowest channel); a configuration allowing none is refused;
//! - CCS07 (8.9, security details): its network backed up — extended PAN ID, each device with
//!   its install code (or a key drawn from its EUI-64) — and the unused second network's;
//!   CCS03 (8.12.1): a network restored, the old hub's, taking its PAN ID and devices;
//! - CCS04, CCS06 (8.9): its device log as the devices active on its HAN. dccsim does not model
//!   the HAN's radio: each device's signal figures are made up from its EUI-64 (RSSI -40 to
//!   -69 dBm on average), each was last heard at the start of the half-hour, one hop away,
//!   with the RTDS hub's status, counts and versions.
//!
//! Each answer names the user the broker sent the command for, as the command did.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{DeviceError, EventLog};
use crate::model::Eui64;
use crate::protocol::dlms::Data;
use crate::protocol::gbcs::KeyStore;
use crate::protocol::gbcs::payload::{
    self, CCS01, CCS02, CCS03, CCS04, CCS06, CCS07, ChannelMask, DBCH01, DBCH02, DBCH03, DBCH04,
    DBCH05, ECS26I, ECS35C, ECS35D, PanBackup, PanDevice, RTDS_SUB_GHZ_CONFIGURATION, Reading,
    SubGhzConfiguration, channel_mask_data, device_log_add_response, outcome_response,
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
/// DLMS result "other reason": a sub-GHz configuration that allows no channel.
const NO_CHANNEL: u8 = 250;
/// A channel mask's channel bits, below its page.
const CHANNEL_BITS: ChannelMask = 0x07FF_FFFF;
/// The sub-GHz channel a new hub is on (the RTDS hub's): the lower band's channel 0.
const RTDS_SUB_GHZ_CHANNEL: ChannelMask = 0xE000_0001;

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
    /// Its sub-GHz configuration and channel, once a 6.28 or 6.29 changed them; none: the RTDS
    /// hub's. Boxed: few hubs have one, and a million hubs share a process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub_ghz: Option<Box<(SubGhzConfiguration, ChannelMask)>>,
    /// Its sub-GHz channel log (6.32): each change of channel, when and to which, oldest
    /// first, the last [`CHANNEL_LOG_LEN`]. Boxed, as the configuration is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel_log: Option<Box<[ChannelChange]>>,
    /// Its network's extended PAN ID, once set (a restored network keeps the old hub's);
    /// none: its own EUI-64. Boxed: few hubs have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_pan_id: Option<Box<[u8; 8]>>,
}

/// A change of sub-GHz channel: when, and to which.
type ChannelChange = (DateTime<Utc>, ChannelMask);

/// Channel changes a hub's sub-GHz channel log keeps.
const CHANNEL_LOG_LEN: usize = 100;

/// The 16-byte key `entry`'s device joins with: its install code's first 16 bytes (the code
/// without its CRC), or, with none registered (joined at installation), 16 bytes drawn from its
/// EUI-64.
fn install_key(entry: &LogEntry) -> [u8; 16] {
    let code = crate::protocol::gbcs::parse_hex(&entry.install_code).unwrap_or_default();
    if let Some(key) = code.get(..16).and_then(|k| <[u8; 16]>::try_from(k).ok()) {
        return key;
    }
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"dccsim install code");
    ctx.update(&entry.device.0);
    let mut key = [0; 16];
    key.copy_from_slice(&ctx.finish().as_ref()[..16]);
    key
}

/// A device in the log as 8.9 reports it active on the HAN, last heard at `heard`: its signal
/// figures made up from its EUI-64; status, counts and versions the RTDS hub's.
fn active_device(device: Eui64, heard: DateTime<Utc>) -> Data {
    let h = device
        .0
        .iter()
        .fold(0u32, |a, &b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    let rssi = -40 - (h % 30) as i8;
    let lqi = 160 + (h % 60) as u8;
    let heard = crate::protocol::dlms::CosemDateTime::from_naive(heard.naive_utc());
    let heard = Data::OctetString(heard.0.to_vec());
    Data::Structure(vec![
        Data::OctetString(device.0.to_vec()),
        Data::BitString {
            bits: 8,
            bytes: vec![0b1100_1000],
        },
        Data::Integer(rssi + 5),
        Data::Integer(rssi),
        Data::Integer(rssi - 25),
        Data::Unsigned(lqi + 30),
        Data::Unsigned(lqi),
        Data::Unsigned(lqi - 60),
        heard,
        Data::Unsigned(1),
        Data::Unsigned(0),
        Data::Unsigned(100),
        Data::Unsigned(1),
        Data::Unsigned(1),
    ])
}

/// The first channel `configuration` allows, as a mask of that one channel; `None` if none.
fn first_channel(configuration: &SubGhzConfiguration) -> Option<ChannelMask> {
    configuration.channels.iter().find_map(|&mask| {
        let channels = mask & CHANNEL_BITS;
        (channels != 0).then(|| (mask & !CHANNEL_BITS) | (1 << channels.trailing_zeros()))
    })
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
            sub_ghz: None,
            channel_log: None,
            extended_pan_id: None,
        }
    }

    /// Its network's backup at `at` (8.9's security details; what 8.12.1 gives its
    /// replacement): the extended PAN ID and each device in its log with the key it joins with
    /// — its install code as registered (the first 16 bytes), or, for a device joined at
    /// installation, one drawn from its EUI-64.
    pub fn backup(&self, at: Option<DateTime<Utc>>) -> PanBackup {
        let devices = self.device_log.iter().map(|e| PanDevice {
            device: e.device,
            key: install_key(e),
        });
        PanBackup {
            at,
            extended_pan_id: self
                .extended_pan_id
                .as_deref()
                .copied()
                .unwrap_or(self.eui.0),
            devices: devices.collect(),
        }
    }

    /// Takes over the network of `backup`: its extended PAN ID and its devices, each with its
    /// key as install code (a device already in the log keeps its type). Refused
    /// ([`LOG_FULL`]) past what a log holds.
    fn restore(&mut self, backup: &PanBackup) -> u8 {
        if backup.devices.len() > DEVICE_LOG_LEN {
            return LOG_FULL;
        }
        let device_type = |device| {
            self.device_log
                .iter()
                .find(|e| e.device == device)
                .map_or(0, |e| e.device_type)
        };
        self.device_log = backup
            .devices
            .iter()
            .map(|d| LogEntry {
                device: d.device,
                install_code: crate::protocol::gbcs::hex(&d.key),
                device_type: device_type(d.device),
            })
            .collect();
        self.extended_pan_id = Some(Box::new(backup.extended_pan_id));
        0
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
            CS08 => super::firmware_answer(&s.content, &self.firmware)?,
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
            // Its channel log over the period: each change, 8F26 with the new channel.
            DBCH02 => {
                let reading =
                    payload::decode_dlms(&command, None).map_err(|e| bad(e.to_string()))?;
                let Reading::Range { from, to } = reading else {
                    return Err(bad(format!("{reading:?} is not a log read over a period")));
                };
                let (from, to) = (from.unwrap_or(DateTime::<Utc>::MIN_UTC), to.unwrap_or(now));
                let changes = self.channel_log.as_deref().unwrap_or_default();
                let events: Vec<_> = changes
                    .iter()
                    .filter(|(at, _)| (from..=to).contains(at))
                    .map(|&(at, channel)| payload::LoggedEvent {
                        at,
                        code: payload::CHANNEL_CHANGED,
                        detail: payload::channel_change_detail(channel),
                    })
                    .collect();
                payload::event_log_response(counter, &events)
                    .ok_or_else(|| bad("a change's time is outside GBCS's clock".into()))?
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
            CCS04 | CCS06 => {
                let heard = super::period_start(super::period_of(now));
                let devices = self
                    .device_log
                    .iter()
                    .map(|e| active_device(e.device, heard));
                settings_response(counter, vec![Data::Array(devices.collect())]).to_bytes()
            }
            // Its network's backup, and the second network control's, which dccsim's hubs do
            // not use (no devices, no PAN ID).
            CCS07 => {
                let second = PanBackup {
                    at: Some(now),
                    extended_pan_id: [0; 8],
                    devices: Vec::new(),
                };
                payload::backup_response(counter, &[self.backup(Some(now)), second])
                    .ok_or_else(|| bad("not two backups".into()))?
                    .to_bytes()
            }
            CCS03 => {
                let reading =
                    payload::decode_dlms(&command, None).map_err(|e| bad(e.to_string()))?;
                let Reading::RestorePan(backup) = reading else {
                    return Err(bad(format!("{reading:?} is not a network to restore")));
                };
                let result = self.restore(&backup);
                if result == 0 {
                    let what = format!("device log restored: {} devices", backup.devices.len());
                    self.events.command(now, code, true, what);
                }
                outcome_response(counter, false, result).to_bytes()
            }
            DBCH01 | DBCH03 => {
                let (configuration, channel) = self.sub_ghz();
                let value = if code == DBCH01 {
                    channel_mask_data(channel)
                } else {
                    configuration.data()
                };
                settings_response(counter, vec![value]).to_bytes()
            }
            DBCH04 | DBCH05 => {
                let reading =
                    payload::decode_dlms(&command, None).map_err(|e| bad(e.to_string()))?;
                let (mut configuration, channel) = self.sub_ghz();
                if let Reading::SubGhzConfiguration(c) = &reading {
                    configuration = *c;
                }
                let allowed = |c: &SubGhzConfiguration, channel: ChannelMask| {
                    let page = channel & !CHANNEL_BITS;
                    let same_page = |m: &ChannelMask| m & !CHANNEL_BITS == page;
                    c.channels
                        .iter()
                        .any(|m| same_page(m) && m & channel & CHANNEL_BITS != 0)
                };
                let result = match first_channel(&configuration) {
                    None => NO_CHANNEL,
                    Some(first) => {
                        let stays = code == DBCH04 && allowed(&configuration, channel);
                        let new = if stays { channel } else { first };
                        self.sub_ghz = Some(Box::new((configuration, new)));
                        if new != channel {
                            let mut log = self.channel_log.take().map_or(Vec::new(), Vec::from);
                            log.push((now, new));
                            let excess = log.len().saturating_sub(CHANNEL_LOG_LEN);
                            log.drain(..excess);
                            self.channel_log = Some(log.into_boxed_slice());
                        }
                        let what = if code == DBCH04 {
                            "sub-GHz configuration set"
                        } else {
                            "sub-GHz channel scanned"
                        };
                        self.events.command(now, code, true, what);
                        0
                    }
                };
                let answer = payload::configuration_response(counter, code, &reading, |_| result);
                answer
                    .ok_or_else(|| bad("not a sub-GHz command".into()))?
                    .to_bytes()
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

    /// Its sub-GHz configuration and the channel it is on.
    fn sub_ghz(&self) -> (SubGhzConfiguration, ChannelMask) {
        self.sub_ghz
            .as_deref()
            .copied()
            .unwrap_or((RTDS_SUB_GHZ_CONFIGURATION, RTDS_SUB_GHZ_CHANNEL))
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
