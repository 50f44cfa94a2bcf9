//! A dual band comms hub's sub-GHz HAN, as GBCS and the RTDS 4.5.0 vectors carry it: 6.28 sets
//! its configuration (DBCH04: `0-0:94.44.10.0`, one structure), 6.29 asks it to scan for a
//! channel (DBCH05: `0-0:94.44.10.1`), 6.30 and 6.31 read the configuration and the channel in
//! use (DBCH03, DBCH01, [`super::settings`]); 6.32 reads its channel log over a period (DBCH02:
//! `0-0:94.44.10.3`, a profile of events, each its time, event code and details — for a channel
//! change, 8F26, the new channel's mask and its number). The commands are the DCC's own, as every
//! hub command is.

use serde::{Deserialize, Serialize};

use super::configuration::{Step, set, set_value};
use super::*;

/// 6.28: set its sub-GHz configuration.
pub const DBCH04: u16 = 0x010D;
/// 6.29: ask it to scan for a sub-GHz channel.
pub const DBCH05: u16 = 0x010E;
/// 6.32: read its sub-GHz channel log.
pub const DBCH02: u16 = 0x010B;
/// Event 8F26: the sub-GHz channel changed.
pub const CHANNEL_CHANGED: u16 = 0x8F26;
/// The sub-GHz channel log (a profile generic).
pub(super) const CHANNEL_LOG: [u8; 6] = [0, 0, 94, 44, 10, 3];

const CONFIGURATION: [u8; 6] = [0, 0, 94, 44, 10, 0];
const SCAN: [u8; 6] = [0, 0, 94, 44, 10, 1];

/// The details a channel log entry gives of a change to `channel`: its mask, then its number
/// on its page as a one-byte octet string, as the RTDS hub's log has them (`E8000002 09 01 01`:
/// page 29, channel 1).
pub fn channel_change_detail(channel: ChannelMask) -> Vec<u8> {
    let number = (channel & 0x07FF_FFFF).trailing_zeros().min(26) as u8;
    let mut detail = channel.to_be_bytes().to_vec();
    detail.extend_from_slice(&[0x09, 0x01, number]);
    detail
}

/// A 32-bit sub-GHz channel mask as ZigBee writes one: the channel page in the top five bits
/// (28: the lower band's channels 0 to 26, 29: 27 to 34, 30: 35 to 61, 31: the upper band's 0
/// to 26), a bit per channel of the page below, the page's first channel the least significant.
pub type ChannelMask = u32;

/// The pages of the four masks a configuration carries, in its order.
pub const CHANNEL_PAGES: [u8; 4] = [28, 29, 30, 31];

/// What a 6.28 sets (DUIS's SubGHzConfiguration), percentages in hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubGhzConfiguration {
    /// The channels it may use, one mask per page of [`CHANNEL_PAGES`].
    pub channels: [ChannelMask; 4],
    /// The duty cycle thresholds from normal to limited and limited to critical, hundredths of
    /// a per cent.
    pub normal_limited_duty_cycle: u16,
    pub limited_critical_duty_cycle: u16,
    pub max_channel_changes_per_week: u8,
    pub gsme_curfew: u16,
    pub channel_quieter_threshold: u8,
    pub channel_noisier_threshold: u8,
    pub non_gsme_poor_comms_percentage: u16,
    pub non_gsme_poor_comms_periods: u8,
    pub local_noise_measurement_period: u16,
    pub local_failure_percentage: u16,
    pub local_retry_percentage: u16,
}

/// The configuration the RTDS hub reads back (6.30) before any 6.28.
pub const RTDS_SUB_GHZ_CONFIGURATION: SubGhzConfiguration = SubGhzConfiguration {
    channels: [0xE000_0003, 0xE800_0003, 0xF000_0003, 0xF800_0003],
    normal_limited_duty_cycle: 125,
    limited_critical_duty_cycle: 200,
    max_channel_changes_per_week: 4,
    gsme_curfew: 6,
    channel_quieter_threshold: 6,
    channel_noisier_threshold: 10,
    non_gsme_poor_comms_percentage: 5050,
    non_gsme_poor_comms_periods: 125,
    local_noise_measurement_period: 90,
    local_failure_percentage: 5000,
    local_retry_percentage: 3000,
};

/// A channel mask as a 32-bit bit string.
pub fn channel_mask_data(mask: ChannelMask) -> Data {
    Data::BitString {
        bits: 32,
        bytes: mask.to_be_bytes().to_vec(),
    }
}

fn channel_mask_of(d: &Data) -> Option<ChannelMask> {
    match d {
        Data::BitString { bits: 32, bytes } => {
            Some(u32::from_be_bytes(bytes.as_slice().try_into().ok()?))
        }
        _ => None,
    }
}

impl SubGhzConfiguration {
    /// As GBCS carries it: the four masks, then the thresholds in DUIS's order.
    pub fn data(&self) -> Data {
        let u16 = Data::LongUnsigned;
        let u8 = Data::Unsigned;
        let mut items: Vec<Data> = self
            .channels
            .iter()
            .map(|&m| channel_mask_data(m))
            .collect();
        items.extend([
            u16(self.normal_limited_duty_cycle),
            u16(self.limited_critical_duty_cycle),
            u8(self.max_channel_changes_per_week),
            u16(self.gsme_curfew),
            u8(self.channel_quieter_threshold),
            u8(self.channel_noisier_threshold),
            u16(self.non_gsme_poor_comms_percentage),
            u8(self.non_gsme_poor_comms_periods),
            u16(self.local_noise_measurement_period),
            u16(self.local_failure_percentage),
            u16(self.local_retry_percentage),
        ]);
        Data::Structure(items)
    }

    /// Read back from [`SubGhzConfiguration::data`]'s shape; `None` for another.
    pub fn of(d: &Data) -> Option<SubGhzConfiguration> {
        use Data::{LongUnsigned as W, Unsigned as B};
        let [a, b, c, e, rest @ ..] = d.items()? else {
            return None;
        };
        let channels = [
            channel_mask_of(a)?,
            channel_mask_of(b)?,
            channel_mask_of(c)?,
            channel_mask_of(e)?,
        ];
        let &[
            W(normal_limited_duty_cycle),
            W(limited_critical_duty_cycle),
            B(max_channel_changes_per_week),
            W(gsme_curfew),
            B(channel_quieter_threshold),
            B(channel_noisier_threshold),
            W(non_gsme_poor_comms_percentage),
            B(non_gsme_poor_comms_periods),
            W(local_noise_measurement_period),
            W(local_failure_percentage),
            W(local_retry_percentage),
        ] = rest
        else {
            return None;
        };
        Some(SubGhzConfiguration {
            channels,
            normal_limited_duty_cycle,
            limited_critical_duty_cycle,
            max_channel_changes_per_week,
            gsme_curfew,
            channel_quieter_threshold,
            channel_noisier_threshold,
            non_gsme_poor_comms_percentage,
            non_gsme_poor_comms_periods,
            local_noise_measurement_period,
            local_failure_percentage,
            local_retry_percentage,
        })
    }
}

/// The steps of a 6.28 or 6.29; `None` when the reading is not what `code` carries.
pub(super) fn steps(code: u16, reading: &Reading) -> Option<Vec<Step>> {
    Some(match (code, reading) {
        (DBCH04, Reading::SubGhzConfiguration(c)) => vec![set(DATA, CONFIGURATION, 2, c.data())],
        (DBCH05, Reading::ChannelScan) => vec![set(DATA, SCAN, 2, Data::Unsigned(0))],
        _ => return None,
    })
}

/// What a 6.28 or 6.29 command asks; `None` when it is not exactly what `code` carries.
pub(super) fn sub_ghz_of(code: u16, r: &AccessRequest) -> Option<Reading> {
    let reading = match code {
        DBCH04 => {
            Reading::SubGhzConfiguration(SubGhzConfiguration::of(set_value(r, CONFIGURATION, 2)?)?)
        }
        DBCH05 => Reading::ChannelScan,
        _ => return None,
    };
    let (specs, data): (Vec<_>, Vec<_>) = steps(code, &reading)?.into_iter().unzip();
    (specs == r.specs && data == r.data).then_some(reading)
}
