//! 6.28's sub-GHz configuration for a dual band comms hub (DUIS's SubGHzConfiguration).

use super::esme::child;
use super::fields::{decimal, number};
use super::{Request, RequestError};
use crate::protocol::gbcs::payload::{CHANNEL_PAGES, SubGhzConfiguration};

/// The channel lists, each with the first channel its page's mask counts from and its last.
const CHANNEL_LISTS: [(&str, u8, u8); 4] = [
    ("LowerBandSubGHzChannels0To26", 0, 26),
    ("LowerBandSubGHzChannels27To34", 27, 34),
    ("LowerBandSubGHzChannels35To61", 35, 61),
    ("UpperBandSubGHzChannels0To26", 0, 26),
];

fn refused(reason: String) -> RequestError {
    RequestError { line: 0, reason }
}

impl Request {
    /// What a 6.28 sets: each list's channels as its page's mask; the duty cycle thresholds
    /// (per cent, one decimal place) and percentages (two) in hundredths, each within the
    /// schema's bounds.
    pub(super) fn sub_ghz_configuration(&self) -> Result<SubGhzConfiguration, RequestError> {
        let body = &self.body;
        let mut channels = [0u32; 4];
        for ((mask, (name, first, last)), page) in
            channels.iter_mut().zip(CHANNEL_LISTS).zip(CHANNEL_PAGES)
        {
            *mask = u32::from(page) << 27;
            for channel in &child(body, name)?.children {
                let n = channel
                    .name
                    .strip_prefix("Channel")
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (first..=last).contains(n))
                    .ok_or_else(|| {
                        refused(format!(
                            "sr:{name} lists sr:{}, not a channel from {first} to {last}",
                            channel.name
                        ))
                    })?;
                *mask |= 1 << (n - first);
            }
        }
        let text = |name: &str| child(body, name).map(|e| e.text.trim());
        // A decimal in hundredths within [low, high] hundredths.
        let hundredths = |name: &str, places: u32, low: u32, high: u32| {
            let text = text(name)?;
            let v = decimal(name, text, places)? * 10u32.pow(2 - places);
            if !(low..=high).contains(&v) {
                return Err(refused(format!(
                    "sr:{name} {text:?} is not from {}.{:02} to {}.{:02}",
                    low / 100,
                    low % 100,
                    high / 100,
                    high % 100
                )));
            }
            Ok(v as u16)
        };
        let whole = |name: &str, low: u16, high: u16| number(name, text(name)?, low..=high);
        Ok(SubGhzConfiguration {
            channels,
            normal_limited_duty_cycle: hundredths("NormalLimitedDutyCycleThreshold", 1, 50, 200)?,
            // The schema's bounds are exclusive: 1.5 < t < 2.5.
            limited_critical_duty_cycle: hundredths(
                "LimitedCriticalDutyCycleThreshold",
                1,
                160,
                240,
            )?,
            max_channel_changes_per_week: whole("MaximumSubGHzChannelChangesPerWeek", 1, 7)? as u8,
            gsme_curfew: whole("GSMECurfew", 2, u16::MAX)?,
            channel_quieter_threshold: whole("ChannelQuieterThreshold", 1, 255)? as u8,
            channel_noisier_threshold: whole("ChannelNoisierThreshold", 0, 20)? as u8,
            non_gsme_poor_comms_percentage: hundredths(
                "NonGSMEPoorCommsPercentageThreshold",
                2,
                100,
                10_000,
            )?,
            non_gsme_poor_comms_periods: whole("NonGSMEPoorCommsMeasurementPeriods", 50, 150)?
                as u8,
            local_noise_measurement_period: whole("LocalCHNoiseMeasurementPeriod", 61, u16::MAX)?,
            local_failure_percentage: hundredths("LocalCHFailurePercentage", 2, 100, 10_000)?,
            local_retry_percentage: hundredths("LocalCHRetryPercentage", 2, 100, 10_000)?,
        })
    }
}
