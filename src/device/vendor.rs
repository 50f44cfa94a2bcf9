//! A virtual SMETS1-style meter that speaks a vendor protocol declared in `protocols/*.toml`:
//! frames in, frames out (sans-IO). It answers register reads from its seeded consumption
//! model — the import and export registers since commissioning, the demand of the current
//! half-hour — in the register's own encoding and scale, rolling a register over as a real one
//! does when it runs out of digits. Frames for another address are ignored, as on a shared bus.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::consumption::Consumer;
use super::period_of;
use crate::protocol::vendor::{Direction, Encoding, FrameError, Message, Protocol, Quantity};

/// Error codes the meter answers with (in the command's error message).
pub const ERROR_UNKNOWN_REGISTER: u8 = 0x01;
pub const ERROR_UNSUPPORTED: u8 = 0x02;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VendorDeviceError {
    #[error("not a frame of {protocol}: {cause}")]
    Frame { protocol: String, cause: FrameError },
    #[error("a {0} frame, not a request")]
    NotARequest(Direction),
}

/// A meter on a vendor protocol.
#[derive(Debug, Clone)]
pub struct VendorMeter {
    pub protocol: Arc<Protocol>,
    pub address: u64,
    pub consumer: Consumer,
    /// The half-hour the meter was installed (its registers count from zero there).
    pub commissioned: u32,
}

impl VendorMeter {
    /// Answers one frame: `Ok(None)` when it is addressed to another meter.
    pub fn handle(
        &self,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, VendorDeviceError> {
        let p = &self.protocol;
        let frame_error = |source| VendorDeviceError::Frame {
            protocol: p.name.clone(),
            cause: source,
        };
        let request = match p.decode(bytes) {
            Ok(m) => m,
            // A register this meter's protocol does not define: answer with an error.
            Err(FrameError::UnknownRegister(_)) => {
                let frame = p.decode_frame(bytes).map_err(frame_error)?;
                let command = p
                    .commands
                    .iter()
                    .find(|c| c.request.code == frame.command)
                    .ok_or(frame_error(FrameError::UnknownCommand(frame.command)))?;
                if frame.address != self.address {
                    return Ok(None);
                }
                return self.refuse(&command.name, ERROR_UNKNOWN_REGISTER);
            }
            Err(e) => return Err(frame_error(e)),
        };
        if request.address != self.address {
            return Ok(None);
        }
        if request.direction != Direction::Request {
            return Err(VendorDeviceError::NotARequest(request.direction));
        }
        let command = p
            .command(&request.command)
            .expect("decoded from the protocol");
        let reads = command
            .response
            .payload
            .contains(&crate::protocol::vendor::Part::Value);
        let Some(register) = request.register.as_deref().and_then(|r| p.register(r)) else {
            return self.refuse(&request.command, ERROR_UNSUPPORTED);
        };
        if !reads {
            return self.refuse(&request.command, ERROR_UNSUPPORTED);
        }
        let end = period_of(now);
        let value = match register.quantity {
            Quantity::ImportEnergy => self.total(end, |c, p| c.import_wh(p)) / 1000.0,
            Quantity::ExportEnergy => self.total(end, |c, p| c.export_wh(p)) / 1000.0,
            Quantity::ActivePower => f64::from(self.consumer.import_wh(end)) * 2.0,
        };
        // In the register's units and digits: scale, and roll over past the last digit.
        let step = 10f64.powi(register.scale);
        let capacity = match register.encoding {
            Encoding::Uint => 2f64.powi(8 * register.size as i32),
            Encoding::Bcd | Encoding::BcdLe => 10f64.powi(2 * register.size as i32),
        };
        let raw = (value / step).floor() % capacity;
        let answer = Message {
            address: self.address,
            command: request.command.clone(),
            direction: Direction::Response,
            register: Some(register.name.clone()),
            value: Some(raw * step),
            error_code: None,
        };
        p.encode(&answer).map(Some).map_err(frame_error)
    }

    fn refuse(&self, command: &str, code: u8) -> Result<Option<Vec<u8>>, VendorDeviceError> {
        let m = Message {
            address: self.address,
            command: command.to_string(),
            direction: Direction::Error,
            register: None,
            value: None,
            error_code: Some(code),
        };
        self.protocol
            .encode(&m)
            .map(Some)
            .map_err(|source| VendorDeviceError::Frame {
                protocol: self.protocol.name.clone(),
                cause: source,
            })
    }

    /// Wh over the periods from commissioning to `end`.
    fn total(&self, end: u32, per: impl Fn(&Consumer, u32) -> u32) -> f64 {
        (self.commissioned..end)
            .map(|p| f64::from(per(&self.consumer, p)))
            .sum()
    }
}
