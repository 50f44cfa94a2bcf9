//! A comms hub's ZigBee networks backed up and restored (IC 104, ZigBee network control), as
//! GBCS and the RTDS 4.5.0 vectors carry them: 8.9 with `ReadSecurityDetails` reads each
//! network's backup (CCS07: `backup_PAN`, method 4, of `0-0:30.3.0` and `0-0:30.3.1`); 8.12.1
//! Restore HAN Device Log gives a replacement hub the old hub's network (CCS03: `restore_PAN`,
//! method 5, of `0-0:30.3.0`). A backup is when it was taken, the network's extended PAN ID
//! and, for each device, its EUI-64 and the 16-byte key it joins with (the RTDS's are ZigBee
//! install codes without their CRC); a restore takes the same without the time.

use serde::Serialize;

use super::configuration::{Step, call};
use super::*;

/// 8.9 (`ReadSecurityDetails`): back up the hub's networks.
pub const CCS07: u16 = 0x00FE;
/// 8.12.1: restore a network to the hub.
pub const CCS03: u16 = 0x0003;

/// The hub's two ZigBee network controls: the network its devices join, then the second one
/// GBCS gives it (the RTDS hub backs up both).
pub const NETWORKS: [[u8; 6]; 2] = [[0, 0, 30, 3, 0, 255], [0, 0, 30, 3, 1, 255]];
const BACKUP_PAN: i8 = 4;
const RESTORE_PAN: i8 = 5;

/// One ZigBee network's backup: when taken (`None` in a restore), its extended PAN ID, and its
/// devices each with its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PanBackup {
    pub at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "hex_of")]
    pub extended_pan_id: [u8; 8],
    pub devices: Vec<PanDevice>,
}

/// A device of a backed-up network and the key it joins with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PanDevice {
    pub device: Eui64,
    #[serde(serialize_with = "hex_of")]
    pub key: [u8; 16],
}

fn hex_of<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::protocol::gbcs::hex(bytes))
}

impl PanBackup {
    /// As IC 104 carries it: a structure of the time (a backup's), the extended PAN ID and the
    /// devices, each a structure of its EUI-64 and key.
    pub fn data(&self) -> Data {
        let mut items = Vec::with_capacity(3);
        if let Some(at) = self.at {
            // The day of the week not given, as the RTDS hub's backups have it.
            let mut at = CosemDateTime::from_naive(at.naive_utc()).0;
            at[4] = 0xFF;
            items.push(Data::OctetString(at.to_vec()));
        }
        items.push(Data::OctetString(self.extended_pan_id.to_vec()));
        let devices = self.devices.iter().map(|d| {
            Data::Structure(vec![
                Data::OctetString(d.device.0.to_vec()),
                Data::OctetString(d.key.to_vec()),
            ])
        });
        items.push(Data::Array(devices.collect()));
        Data::Structure(items)
    }

    /// Read back from [`PanBackup::data`]'s shape, with its time (`timed`) or without; `None`
    /// for another.
    pub fn of(d: &Data, timed: bool) -> Option<PanBackup> {
        let items = d.items()?;
        let (at, rest) = if timed {
            let (first, rest) = items.split_first()?;
            (Some(super::decode::date_time(first)?), rest)
        } else {
            (None, items)
        };
        let [Data::OctetString(pan), Data::Array(devices)] = rest else {
            return None;
        };
        let devices = devices
            .iter()
            .map(|d| match d.items()? {
                [Data::OctetString(device), Data::OctetString(key)] => Some(PanDevice {
                    device: Eui64(device.as_slice().try_into().ok()?),
                    key: key.as_slice().try_into().ok()?,
                }),
                _ => None,
            })
            .collect::<Option<_>>()?;
        Some(PanBackup {
            at,
            extended_pan_id: pan.as_slice().try_into().ok()?,
            devices,
        })
    }
}

/// The steps of a CCS07 (two backups) or a CCS03 (one restore).
pub(super) fn steps(code: u16, reading: &Reading) -> Option<Vec<Step>> {
    Some(match (code, reading) {
        (CCS07, Reading::Read) => NETWORKS
            .iter()
            .map(|&n| call(ZIGBEE_NETWORK_CONTROL, n, BACKUP_PAN, Data::Null))
            .collect(),
        (CCS03, Reading::RestorePan(backup)) if backup.at.is_none() => vec![call(
            ZIGBEE_NETWORK_CONTROL,
            NETWORKS[0],
            RESTORE_PAN,
            backup.data(),
        )],
        _ => return None,
    })
}

/// What command `r` of use case `code` asks; `None` when it is not exactly that.
pub(super) fn pan_of(code: u16, r: &AccessRequest) -> Option<Reading> {
    let reading = match code {
        CCS07 => Reading::Read,
        CCS03 => {
            let [_] = r.data.as_slice() else {
                return None;
            };
            Reading::RestorePan(Box::new(PanBackup::of(&r.data[0], false)?))
        }
        _ => return None,
    };
    let (specs, data): (Vec<_>, Vec<_>) = steps(code, &reading)?.into_iter().unzip();
    (specs == r.specs && data == r.data).then_some(reading)
}

/// A hub's answer to CCS07: each network's backup, each action a success. `None` for other
/// than two backups, each with its time.
pub fn backup_response(counter: u64, backups: &[PanBackup]) -> Option<Apdu> {
    if backups.len() != NETWORKS.len() || backups.iter().any(|b| b.at.is_none()) {
        return None;
    }
    Some(Apdu::AccessResponse(AccessResponse {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        data: backups.iter().map(PanBackup::data).collect(),
        results: vec![ResponseSpec::Action(0); backups.len()],
    }))
}

/// The backups a CCS07 answer gives; `None` if it is not one.
pub(super) fn backups_of(r: &AccessResponse) -> Option<Reading> {
    if r.data.len() != NETWORKS.len() || !r.results.iter().all(|s| s.succeeded()) {
        return None;
    }
    let backups = r
        .data
        .iter()
        .map(|d| PanBackup::of(d, true))
        .collect::<Option<_>>()?;
    Some(Reading::PanBackups { backups })
}
