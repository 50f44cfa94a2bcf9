//! A virtual gas meter (GSME) with the gas proxy function (GPF) of its comms hub, speaking GBZ
//! inside GBCS (sans-IO: bytes and `now` in, bytes out).
//!
//! A GSME sleeps on its battery; the GPF on the always-powered comms hub holds a copy of its data
//! and answers most reads for it (GBCS §10.4). This model answers at either EUI-64 from the same
//! state: the consumption register and the half-hourly and daily consumption logs, computed from
//! a seeded consumption model (gas energy ÷ 11.2 kWh/m³, counted in litres, the register's units
//! with divisor 1000 and unit m³). It checks the ACB's MAC and the originator counter like the
//! electricity meter, and answers sealed for the remote party that asked, MACed:
//!
//! - GCS13a (4.1.1): Read Attributes of the metering cluster → divisor, multiplier, unit and
//!   current summation delivered;
//! - GCS17 (4.8.1): GetSampledData, sample 0 → litres per half-hour from the start asked;
//! - GCS61 (4.17): GetSampledData, sample 1 → litres per day;
//! - GCS38 (11.2): Read Attributes of the firmware version → the meter's version, in clear (a
//!   firmware version is not sensitive, as in the RTDS answer).

use chrono::{DateTime, Utc};

use super::DeviceError;
use super::consumption::Consumer;
use super::period_of;
use crate::model::Eui64;
use crate::protocol::gbcs::gbz::{
    Component, FIRMWARE_VERSION, GET_SAMPLED_DATA_RESPONSE, GasReading, Gbz, METERING_CLUSTER,
    READ_ATTRIBUTES_RESPONSE, encode_gas_reading, gas_reading,
};
use crate::protocol::gbcs::payload::message_for;
use crate::protocol::gbcs::{Cra, KeyStore, Sealed, mac_message};

/// Message codes of the gas use cases answered.
pub const GCS13A: u16 = 0x0074;
pub const GCS17: u16 = 0x0078;
pub const GCS61: u16 = 0x00A0;
pub const GCS38: u16 = 0x0084;

/// The firmware version a new gas meter reports (the RTDS gas meter's).
const FIRMWARE: &str = "0123ABCD";

fn default_firmware() -> String {
    FIRMWARE.to_string()
}

/// Energy in a cubic metre of natural gas at the GB standard calorific value (39.5 MJ/m³ with the
/// 1.02264 volume correction), Wh.
const WH_PER_M3: f64 = 11_220.0;
/// Samples a GetSampledData answer carries at most (about two days of half-hours).
const MAX_SAMPLES: u16 = 1_000;
/// The interval a daily log sample carries (the field has 16 bits; RTDS daily logs show FFFF).
const DAILY_INTERVAL: u16 = 0xFFFF;

/// A gas meter and the proxy that answers for it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GasMeter {
    pub gsme: Eui64,
    pub gpf: Eui64,
    /// Gas demand, as energy (the model's import), from which volumes follow.
    pub consumer: Consumer,
    /// The first half-hour the meter recorded.
    pub commissioned: u32,
    /// Firmware version (hex), what GCS38 reports.
    #[serde(default = "default_firmware")]
    pub firmware: String,
    counters: super::Counters,
}

impl GasMeter {
    pub fn new(gsme: Eui64, gpf: Eui64, consumer: Consumer, commissioned: DateTime<Utc>) -> Self {
        GasMeter {
            gsme,
            gpf,
            consumer,
            commissioned: period_of(commissioned),
            firmware: default_firmware(),
            counters: super::Counters::default(),
        }
    }

    /// Gas used in `period`, litres.
    pub fn litres(&self, period: u32) -> u32 {
        if period < self.commissioned {
            return 0;
        }
        (f64::from(self.consumer.import_wh(period)) * 1000.0 / WH_PER_M3 + 0.5) as u32
    }

    /// The consumption register at the start of `period`, litres.
    pub fn register_litres(&self, period: u32) -> u64 {
        (self.commissioned..period)
            .map(|p| u64::from(self.litres(p)))
            .sum()
    }

    /// Answers one GBCS command addressed to the GSME or the GPF.
    pub fn handle(
        &mut self,
        bytes: &[u8],
        now: DateTime<Utc>,
        keys: &KeyStore,
        acb: Eui64,
    ) -> Result<Vec<u8>, DeviceError> {
        let command = super::receive_command(bytes, &[self.gpf, self.gsme], keys, acb)?;
        let s = &command.signing;
        let (me, from, counter) = (s.recipient, s.originator, s.originator_counter);
        self.counters.check(from, counter)?;
        let code = command.message_code().unwrap_or(0);
        if !matches!(code, GCS13A | GCS17 | GCS61 | GCS38) {
            return Err(DeviceError::Unsupported(code));
        }
        let payload = |e: String| DeviceError::Payload(e);
        let Gbz::Components { components } =
            Gbz::decode(&s.content, false).map_err(|e| payload(e.to_string()))?
        else {
            return Err(payload("an alert is not a command".into()));
        };
        let asked = components
            .iter()
            .find(|c| c.cluster == METERING_CLUSTER && !c.encrypted())
            .ok_or_else(|| payload("no metering cluster command in clear".into()))?;
        let reading = gas_reading(asked, &asked.payload)
            .map_err(|e| payload(e.to_string()))?
            .ok_or_else(|| payload("not a gas read this meter answers".into()))?;
        let now_period = period_of(now);
        if code == GCS38 {
            let GasReading::ReadAttributes { attributes } = &reading else {
                return Err(payload("GCS38 reads attributes".into()));
            };
            if attributes.as_slice() != [FIRMWARE_VERSION] {
                return Err(payload(format!("GCS38 asks for {attributes:04X?}")));
            }
            let version = GasReading::FirmwareVersion {
                version: self.firmware.clone(),
            };
            // In clear, the single component of the answer.
            let gbz = Gbz::Components {
                components: vec![Component {
                    control: 0x01,
                    cluster: METERING_CLUSTER,
                    from: None,
                    additional_header: None,
                    frame_control: 0x08,
                    sequence: asked.sequence,
                    command: READ_ATTRIBUTES_RESPONSE,
                    payload: encode_gas_reading(&version),
                }],
            };
            return self.respond(gbz, me, from, counter, code, keys, acb);
        }
        let (answer, command_id, frame_control) = match reading {
            GasReading::ReadAttributes { .. } => (
                GasReading::Registers {
                    summation: self.register_litres(now_period),
                    multiplier: 1,
                    divisor: 1000,
                    unit: 1,
                    value: String::new(),
                },
                READ_ATTRIBUTES_RESPONSE,
                0x18,
            ),
            GasReading::SampledDataRequest {
                sample_id,
                start,
                sampling_type,
                count,
            } => {
                let count = u32::from(count.min(MAX_SAMPLES));
                let (interval_s, samples) = match sample_id {
                    0 => {
                        let first = start / 1800;
                        let samples = (first..first.saturating_add(count))
                            .take_while(|p| *p < now_period)
                            .map(|p| self.litres(p))
                            .collect();
                        (1800, samples)
                    }
                    1 => {
                        let first_day = start / 86_400;
                        let samples = (first_day..first_day.saturating_add(count))
                            .take_while(|d| (d + 1) * 48 <= now_period)
                            .map(|d| (d * 48..(d + 1) * 48).map(|p| self.litres(p)).sum())
                            .collect();
                        (DAILY_INTERVAL, samples)
                    }
                    other => return Err(payload(format!("sample id {other} is not kept"))),
                };
                (
                    GasReading::SampledData {
                        sample_id,
                        start,
                        sampling_type,
                        interval_s,
                        samples,
                    },
                    GET_SAMPLED_DATA_RESPONSE,
                    0x19,
                )
            }
            _ => return Err(payload("not a gas read this meter answers".into())),
        };
        let sealed = Sealed::seal(keys, me, from, counter, &encode_gas_reading(&answer))
            .map_err(|_| DeviceError::NoKeys)?;
        let gbz = Gbz::Components {
            components: vec![Component {
                // Last component, encrypted.
                control: 0x03,
                cluster: METERING_CLUSTER,
                from: None,
                additional_header: Some([0, 0]),
                frame_control,
                sequence: asked.sequence,
                command: command_id,
                payload: sealed.protected_bytes(),
            }],
        };
        self.respond(gbz, me, from, counter, code, keys, acb)
    }

    /// Records the command's counter and sends `gbz` back to `from`, MACed.
    #[allow(clippy::too_many_arguments)]
    fn respond(
        &mut self,
        gbz: Gbz,
        me: Eui64,
        from: Eui64,
        counter: u64,
        code: u16,
        keys: &KeyStore,
        acb: Eui64,
    ) -> Result<Vec<u8>, DeviceError> {
        self.counters.accept(from, counter);
        let mut response = message_for(Cra::Response, counter, me, from, code, gbz.encode());
        if !mac_message(keys, &mut response, acb) {
            return Err(DeviceError::NoKeys);
        }
        Ok(response.to_bytes()?)
    }
}
