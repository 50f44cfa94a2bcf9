//! 8.7 Join Service, 8.8 Unjoin Service and 8.9 Read Device Log to a meter, as GBCS CS03, CS04
//! and CS07 (ASN.1). Which join a request becomes follows from the two devices, as the DCC
//! decides it from its inventory: an electricity meter joins a prepayment display (PPMID) or
//! an auxiliary load switch (HCALCS) by method A (CS03A1, critical); a gas meter joins its gas
//! proxy function by method B (CS03B, non-critical) and a PPMID by method C (CS03C, critical,
//! with the PPMID's certificate — not carried: dccsim's inventory holds no device
//! certificates). An unjoin to a meter is CS04AC (critical), or CS04B when a gas meter drops its
//! gas proxy function (8.8.2).

use super::{Request, RequestError};
use crate::headend::DeviceType;
use crate::model::Eui64;
use crate::protocol::gbcs::join::{CS04AC, CS04B, CS07, HanPayload, HanType, JoinMethod};

fn refused(reason: String) -> RequestError {
    RequestError { line: 0, reason }
}

/// A device type's name with its article, as said aloud: an ESME, a GSME, an HCALCS.
fn a(t: DeviceType) -> String {
    let name = t.name();
    let article = if name.starts_with(['E', 'H', 'I']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// A registry device type as a device log records it.
fn han_type(t: DeviceType) -> HanType {
    match t {
        DeviceType::Esme => HanType::Esme,
        DeviceType::Gsme => HanType::Gsme,
        DeviceType::Gpf => HanType::Gpf,
        DeviceType::Chf => HanType::Chf,
        DeviceType::Ppmid => HanType::Ppmid,
        DeviceType::Hcalcs => HanType::Hcalcs,
        DeviceType::Ihd | DeviceType::Cad => HanType::Type2,
    }
}

impl Request {
    /// The device an 8.7 or 8.8 request joins or unjoins (`sr:OtherDeviceID`); `None` for
    /// other services.
    pub fn other_device(&self) -> Result<Option<Eui64>, RequestError> {
        if !matches!(
            self.service.to_string().as_str(),
            "8.7.1" | "8.7.2" | "8.8.1" | "8.8.2"
        ) {
            return Ok(None);
        }
        let text = self
            .body
            .find("OtherDeviceID")
            .map(|e| e.text.trim())
            .ok_or_else(|| refused(format!("{} needs sr:OtherDeviceID", self.body.name)))?;
        text.parse()
            .map(Some)
            .map_err(|e| refused(format!("sr:OtherDeviceID {text:?}: {e}")))
    }

    /// The GBCS use case and ASN.1 command an 8.7, 8.8 or 8.9 request to a meter of `target`
    /// type becomes, `other` being the type the inventory gives the device it joins; `None`
    /// for other services.
    pub fn join_command(
        &self,
        target: DeviceType,
        other: Option<DeviceType>,
    ) -> Result<Option<(u16, HanPayload)>, RequestError> {
        let service = self.service.to_string();
        match service.as_str() {
            "8.9" if self.body.find("ReadSecurityDetails").is_some() => Err(refused(
                "8.9 ReadSecurityDetails reads a comms hub's device log, not a meter's".into(),
            )),
            "8.9" => Ok(Some((CS07, HanPayload::ReadLog))),
            "8.8.1" | "8.8.2" => {
                let Some(other) = self.other_device()? else {
                    return Ok(None);
                };
                let code = match (service.as_str(), target) {
                    ("8.8.1", _) => CS04AC,
                    ("8.8.2", DeviceType::Gsme) => CS04B,
                    _ => {
                        return Err(refused(format!(
                            "8.8.2 unjoins a gas proxy function from a gas meter; {} \
                             unjoins by 8.8.1",
                            a(target)
                        )));
                    }
                };
                Ok(Some((code, HanPayload::Unjoin { other })))
            }
            "8.7.1" | "8.7.2" => {
                let Some(device) = self.other_device()? else {
                    return Ok(None);
                };
                let Some(other_type) = other else {
                    return Err(refused(format!(
                        "the device to join, {device}, is not in the inventory"
                    )));
                };
                let method = match (target, other_type) {
                    (DeviceType::Esme, DeviceType::Ppmid | DeviceType::Hcalcs) => {
                        JoinMethod::AInitiator
                    }
                    (DeviceType::Gsme, DeviceType::Gpf) => JoinMethod::B,
                    (DeviceType::Gsme, DeviceType::Ppmid) => {
                        return Err(refused(format!(
                            "a gas meter joins a PPMID by method C (CS03C), with the PPMID's \
                             certificate, which this head-end does not carry: it holds no \
                             device certificates for {device}"
                        )));
                    }
                    _ => {
                        return Err(refused(format!(
                            "{} does not join {} ({device})",
                            a(target),
                            a(other_type)
                        )));
                    }
                };
                let critical = method != JoinMethod::B;
                if critical != (service == "8.7.1") {
                    return Err(refused(format!(
                        "{} joins {} by {}, not {service}",
                        a(target),
                        a(other_type),
                        if critical { "8.7.1" } else { "8.7.2" }
                    )));
                }
                let join = HanPayload::Join {
                    method,
                    other: device,
                    device_type: han_type(other_type),
                    certificate: None,
                };
                Ok(Some((method.message_code(), join)))
            }
            _ => Ok(None),
        }
    }
}
