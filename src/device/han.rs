//! A Type 1 home area network device: a prepayment meter interface device (PPMID), which shows
//! the meters' balances and takes top-ups in the home, or a HAN-connected auxiliary load
//! control switch (HCALCS). It holds a device log of the meters it talks to and its firmware
//! version; commands reach it from the DCC over the comms hub, and it answers (ASN.1):
//!
//! - CS03A2 (8.7.1 to an HCALCS, critical; 8.7.2 to a PPMID): join an electricity meter, method
//!   A, responding;
//! - CS03C (8.7.2 to a PPMID): join a gas meter, method C, with the meter's certificate;
//! - CS04AC (8.8.2): unjoin a device; CS07 (8.9): read the device log;
//! - CS08 (11.2): read its firmware version.
//!
//! Non-critical commands come from the Access Control Broker on a user's behalf (their header
//! names the user and the user's counter, and the answer names them back); a critical one
//! comes from the user, signed. dccsim models what the device logs and answers, not its
//! display or load switching.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::DeviceError;
use crate::model::Eui64;
use crate::protocol::gbcs::join::{self, DeviceLog, HanPayload, HanType, JoinMethod};
use crate::protocol::gbcs::{KeyStore, Verdict, verify_signature};

/// The firmware version a new PPMID or HCALCS reports (the RTDS PPMID's).
const FIRMWARE: [u8; 4] = [0x01, 0x23, 0xAB, 0xCD];

/// Whom a PPMID joins: electricity meters by method A, gas meters by method C.
const PPMID_JOINS: &[(JoinMethod, &[HanType])] = &[
    (JoinMethod::AResponder, &[HanType::Esme]),
    (JoinMethod::C, &[HanType::Gsme]),
];
/// Whom an HCALCS joins: the electricity meter whose auxiliary load it switches.
const HCALCS_JOINS: &[(JoinMethod, &[HanType])] = &[(JoinMethod::AResponder, &[HanType::Esme])];

/// Which Type 1 device it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HanKind {
    Ppmid,
    Hcalcs,
}

/// A PPMID or HCALCS.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HanDevice {
    pub eui: Eui64,
    pub kind: HanKind,
    pub firmware: [u8; 4],
    pub device_log: DeviceLog,
    counters: super::Counters,
}

impl HanDevice {
    /// A device with an empty device log and the RTDS PPMID's firmware version.
    pub fn new(eui: Eui64, kind: HanKind) -> HanDevice {
        HanDevice {
            eui,
            kind,
            firmware: FIRMWARE,
            device_log: DeviceLog::default(),
            counters: super::Counters::default(),
        }
    }

    /// Answers a command (MACed by the Access Control Broker, and signed by the user where
    /// critical).
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
        let code = command.message_code().unwrap_or(0);
        // GBCS §4.3.3: joining a load switch to a meter is critical, so signed by the supplier.
        let critical = self.kind == HanKind::Hcalcs && code == join::CS03A2;
        if critical {
            match verify_signature(keys, &command) {
                Verdict::Valid => {}
                other => return Err(DeviceError::Signature(other)),
            }
        }
        self.counters.check(from, counter)?;
        let bad = |e: String| DeviceError::Payload(e);
        let content = match code {
            super::CS08 => super::firmware_answer(&s.content, &self.firmware)?,
            join::CS03A2 | join::CS03C | join::CS04AC | join::CS07 => {
                let ask =
                    HanPayload::decode(code, true, &s.content).map_err(|e| bad(e.to_string()))?;
                let accepts = match self.kind {
                    HanKind::Ppmid => PPMID_JOINS,
                    HanKind::Hcalcs => HCALCS_JOINS,
                };
                self.device_log.answer(code, accepts, &ask).encode()
            }
            _ => return Err(DeviceError::Unsupported(code)),
        };
        self.counters.accept(from, counter);
        let answer = super::Answer {
            me: self.eui,
            to: from,
            counter,
            code,
            critical,
            at: now,
            relay: None,
            on_behalf: crate::protocol::gbcs::OnBehalf::of(&s.other_information),
        };
        answer.bytes(content, keys, acb)
    }
}
