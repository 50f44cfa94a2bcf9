//! Firmware upgrades: 11.1, a supplier's upgrade image the DCC distributes to the electricity
//! and gas meters it lists (the comms hub passes it on over the home area network), and what the meters say
//! when it arrives. 11.3 (CS06) activates it: a critical command the user signs, built with
//! the others in [`HeadEnd::command`].

use chrono::{DateTime, Duration, Utc};

use super::{HeadEnd, SyncReply, refuse};
use crate::headend::access::{Refusal, ResponseCode, User};
use crate::headend::registry::{DeviceType, SmiStatus};
use crate::headend::request::Request;
use crate::headend::response::ResponseBody;
use crate::model::Eui64;
use crate::protocol::dlms::{Apdu, Data};
use crate::protocol::gbcs::firmware::{
    CS06_ALERT, FDRA_ESME, FDRA_GSME, FIRMWARE_VERIFIED, FirmwarePayload, GENERIC_CRITICAL_ALERT,
    UpgradeImage,
};
use crate::protocol::gbcs::gbz::Gbz;

/// How fast an image crosses the home area network from the comms hub to a meter: ZigBee OTA
/// moves it in blocks of a few dozen bytes, each asked for and acknowledged (an assumption:
/// GBCS sets no rate; this makes a 200 kB image take under two minutes).
const HAN_OTA_BYTES_PER_SECOND: i64 = 2_000;

/// The lists DUIS's `DSPUpdateFirmwareWarning` gives of the devices an 11.1 will not reach.
#[derive(Debug, Default)]
struct Warning {
    invalid: Vec<Eui64>,
    not_commissioned: Vec<Eui64>,
    not_applicable: Vec<Eui64>,
    in_progress: Vec<Eui64>,
}

impl Warning {
    fn is_empty(&self) -> bool {
        self.invalid.is_empty()
            && self.not_commissioned.is_empty()
            && self.not_applicable.is_empty()
            && self.in_progress.is_empty()
    }

    /// The `DSPUpdateFirmwareWarning` element, its lists in the schema's order.
    fn xml(&self) -> String {
        let mut out = String::from("<sr:DSPUpdateFirmwareWarning>");
        for (name, list) in [
            ("InvalidDeviceIDList", &self.invalid),
            ("NotCommissionedDeviceIDList", &self.not_commissioned),
            ("NotApplicableFirmwareDeviceIDList", &self.not_applicable),
            ("OtherRequestInProgressList", &self.in_progress),
        ] {
            if !list.is_empty() {
                let ids: Vec<String> = list.iter().map(Eui64::to_string).collect();
                out.push_str(&format!("<sr:{name}>{}</sr:{name}>", ids.join(",")));
            }
        }
        out.push_str("</sr:DSPUpdateFirmwareWarning>");
        out
    }
}

impl HeadEnd {
    /// 11.1 Update Firmware: the image goes to each listed meter the user supplies that is
    /// commissioned and not already receiving one; each arrives after the WAN's latency and
    /// its transfer over the home area network, and the meter then alerts the user (8F72 with
    /// the image's hash, or 8F1C if the image is not signed by the supplier it trusts). I99 if
    /// every device listed gets it, else W110101 with the lists of those that do not.
    pub(super) fn update_firmware(
        &mut self,
        user: &User,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<SyncReply, Refusal> {
        let e11 = |reason: String| refuse(ResponseCode::E11, reason);
        let (bytes, devices) = request.update_firmware().map_err(|e| e11(e.reason))?;
        let image = UpgradeImage::parse(&bytes)
            .map_err(|e| e11(format!("sr:FirmwareImage is not an upgrade image: {e}")))?;
        let offer = crate::device::firmware::Offer::new(&image);
        let day = now.date_naive();
        let transfer = Duration::milliseconds(
            i64::try_from(bytes.len()).unwrap_or(i64::MAX) * 1000 / HAN_OTA_BYTES_PER_SECOND,
        );
        let mut warning = Warning::default();
        for eui in devices {
            let Some(record) = self.registry.device(eui) else {
                warning.invalid.push(eui);
                continue;
            };
            if record.supplier_on(day) != Some(user.eui) {
                warning.invalid.push(eui);
                continue;
            }
            if record.status != SmiStatus::Commissioned {
                warning.not_commissioned.push(eui);
                continue;
            }
            // The meters this head-end carries an upgrade to; a comms hub's (and its gas proxy
            // function's) is the CSP's, a PPMID's 11.4's.
            let (region, kind) = (record.csp_region, record.device_type);
            let upgrade = match kind {
                DeviceType::Esme => self.meters.get(&eui).map(|m| m.firmware_upgrade()),
                DeviceType::Gsme => self.gas_meter(eui).map(|g| g.firmware_upgrade()),
                _ => None,
            };
            let Some(upgrade) = upgrade else {
                warning.not_applicable.push(eui);
                continue;
            };
            // One on its way, or arrived and not yet told of (its alert held up by an outage).
            if upgrade.incoming.is_some() {
                warning.in_progress.push(eui);
                continue;
            }
            let latency = self
                .wan
                .get(&region)
                .map_or(0, |link| link.latency.sample(&mut self.rng));
            let arrives =
                now + Duration::microseconds(i64::try_from(latency).unwrap_or(i64::MAX)) + transfer;
            if let Some(meter) = self.meters.get_mut(&eui) {
                meter.receive_image(&offer, user.eui, arrives, &self.keys);
            } else if let Some(&i) = self.gas.get(&eui) {
                self.gas_meters[i].receive_image(&offer, user.eui, arrives, &self.keys);
            }
            self.journal_device_state(eui);
            self.book_device(eui);
        }
        if warning.is_empty() {
            return Ok(self.reply(request, ResponseCode::I99, now, ResponseBody::Status));
        }
        let body = ResponseBody::Dsp(warning.xml());
        Ok(self.reply(request, ResponseCode::W110101, now, body))
    }
}

/// The alert code a meter's firmware alert carries, by its use case and payload: 8F72 for a
/// distribution receipt, the code in a generic critical alert (8F1C), 8F66 or 8F67 for a
/// future-dated activation; `None` for other use cases.
pub(super) fn firmware_alert_code(use_case: u16, content: &[u8]) -> Option<u16> {
    match use_case {
        FDRA_ESME | FDRA_GSME => Some(FIRMWARE_VERIFIED),
        CS06_ALERT => match FirmwarePayload::decode(use_case, content) {
            Ok(FirmwarePayload::Alert { code, .. }) => Some(code),
            _ => None,
        },
        // A gas meter's in GBZ, an electricity meter's a DLMS data-notification.
        GENERIC_CRITICAL_ALERT => match Gbz::decode(content, true) {
            Ok(Gbz::Alert { alert_code, .. }) => Some(alert_code),
            _ => match Apdu::decode(content) {
                Ok(Apdu::DataNotification(n)) => match n.body {
                    Data::Structure(items) => match items.first() {
                        Some(Data::LongUnsigned(code)) => Some(*code),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            },
        },
        _ => None,
    }
}
