//! 8.7 Join Service, 8.8 Unjoin Service and 8.9 Read Device Log to a meter, a PPMID or an
//! HCALCS, as GBCS CS03, CS04 and CS07 (ASN.1). Which join a request becomes follows from the
//! two devices, as the DCC decides it from its inventory: an electricity meter joins a
//! prepayment display (PPMID) or an auxiliary load switch (HCALCS) by method A (CS03A1,
//! critical), and they join it back (CS03A2: critical to an HCALCS, not to a PPMID); a gas
//! meter joins its gas proxy function by method B (CS03B, non-critical); a gas meter and a
//! PPMID join each other by method C (CS03C: critical to the meter, not to the PPMID), each
//! given the other's key-agreement certificate, which the head-end adds from its SMKI
//! repository (the command built here has none). An unjoin is CS04AC (8.8.1 to a meter,
//! 8.8.2 to a PPMID or HCALCS), or CS04B when a gas meter drops its gas proxy function (8.8.2).

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

    /// The GBCS use case and ASN.1 command an 8.7, 8.8 or 8.9 request to a meter, PPMID or
    /// HCALCS of `target` type becomes, `other` being the type the inventory gives the device it joins; `None`
    /// for other services.
    pub fn join_command(
        &self,
        target: DeviceType,
        other: Option<DeviceType>,
    ) -> Result<Option<(u16, HanPayload)>, RequestError> {
        let service = self.service.to_string();
        if target == DeviceType::Gpf && service != "8.9" && self.other_device()?.is_some() {
            return Err(refused(format!(
                "a GPF joins and unjoins through its gas meter (8.7.2 and 8.8.2 to the GSME), \
                 not {service}"
            )));
        }
        match service.as_str() {
            "8.9" if self.body.find("ReadSecurityDetails").is_some() => Err(refused(
                "8.9 ReadSecurityDetails reads a comms hub's device log, not a meter's, PPMID's or HCALCS's".into(),
            )),
            "8.9" => Ok(Some((CS07, HanPayload::ReadLog))),
            "8.8.1" | "8.8.2" => {
                let Some(other) = self.other_device()? else {
                    return Ok(None);
                };
                let type1 = matches!(target, DeviceType::Ppmid | DeviceType::Hcalcs);
                let code = match (service.as_str(), target) {
                    ("8.8.1", DeviceType::Esme | DeviceType::Gsme) => CS04AC,
                    ("8.8.2", DeviceType::Gsme) => CS04B,
                    ("8.8.2", _) if type1 => CS04AC,
                    _ => {
                        let by = if type1 { "8.8.2" } else { "8.8.1" };
                        return Err(refused(format!(
                            "{} unjoins by {by}, not {service}",
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
                use DeviceType::{Esme, Gpf, Gsme, Hcalcs, Ppmid};
                // Each pair's method and whether the join is critical (8.7.1).
                let (method, critical) = match (target, other_type) {
                    (Esme, Ppmid | Hcalcs) => (JoinMethod::AInitiator, true),
                    (Hcalcs, Esme) => (JoinMethod::AResponder, true),
                    (Ppmid, Esme) => (JoinMethod::AResponder, false),
                    (Gsme, Gpf) => (JoinMethod::B, false),
                    // Each given the other's certificate, which the head-end adds.
                    (Gsme, Ppmid) => (JoinMethod::C, true),
                    (Ppmid, Gsme) => (JoinMethod::C, false),
                    _ => {
                        return Err(refused(format!(
                            "{} does not join {} ({device})",
                            a(target),
                            a(other_type)
                        )));
                    }
                };
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
