//! What the DCC answers from its own records, with no device traffic: 8.2 Read Inventory (the
//! Smart Metering Inventory's devices at a premises, from the mirrored registry), 12.1 Request
//! WAN Matrix (which CSP region serves a postcode, over what technology, and whether there is
//! coverage), and the supplier's changes to the inventory: 8.3 Decommission Device and 8.4
//! Update Inventory. All answer at once, in the synchronous response.
//!
//! The bodies are written in canonical form (escaped as Canonical XML escapes text, end tags
//! written out), as the head-end signs every response as written.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::access::{Refusal, ResponseCode, User};
use super::registry::{DeviceRecord, DeviceType, MeterPoint, Registry, SmiStatus};
use super::request::Element;
use super::xmldsig::escape_text;
use crate::model::{CspRegion, Eui64, GspGroup, Mpan};

/// DUIS caps an inventory answer at 17 devices (`DSPInventory`: `Device` maxOccurs 17).
const MAX_DEVICES: usize = 17;

/// What the inventory says of a device beyond the registry: its firmware, as the virtual
/// device reports it (hex, as 11.2 reads it).
pub type Firmware<'a> = &'a dyn Fn(Eui64) -> Option<String>;

/// 8.2 Read Inventory: the `sr:DSPInventory` for the premises a `DeviceID` or `MPxN` names —
/// the devices sharing its comms hub, the one asked for first, the rest in EUI-64 order. The
/// registry holds no UPRNs or addresses, so a `UPRN` or `PropertyFilter` finds nothing.
pub fn read_inventory(
    registry: &Registry,
    body: &Element,
    firmware: Firmware,
) -> Result<String, Refusal> {
    let not_found = |reason: String| Refusal {
        code: ResponseCode::E080201,
        reason,
    };
    let named: Vec<&DeviceRecord> = if let Some(id) = body.find("DeviceID") {
        let text = id.text.trim();
        let eui: Eui64 = text
            .parse()
            .map_err(|_| not_found(format!("DeviceID {text:?} is not an EUI-64")))?;
        let device = registry
            .device(eui)
            .ok_or_else(|| not_found(format!("device {eui} is not in the inventory")))?;
        vec![device]
    } else if let Some(mpxn) = body.find("MPxN") {
        let text = mpxn.text.trim();
        let at: Vec<&DeviceRecord> = registry.at_meter_point(text).collect();
        if at.is_empty() {
            return Err(not_found(format!("no device is registered to MPxN {text}")));
        }
        at
    } else {
        return Err(not_found(
            "the registry holds no UPRNs or addresses: ask by DeviceID or MPxN".into(),
        ));
    };
    // The premises: every device of the named devices' comms hubs, each once.
    let hubs: BTreeSet<Eui64> = named.iter().map(|d| d.comms_hub).collect();
    let mut seen: BTreeSet<Eui64> = named.iter().map(|d| d.device).collect();
    let others = hubs
        .into_iter()
        .flat_map(|hub| registry.at_hub(hub))
        .filter(|d| seen.insert(d.device));
    let mut out = String::from("<sr:DSPInventory>");
    for device in named.into_iter().chain(others).take(MAX_DEVICES) {
        write_device(device, firmware(device.device), &mut out);
    }
    out.push_str("</sr:DSPInventory>");
    Ok(out)
}

/// One `sr:Device`, its elements in the schema's order. The registry knows no manufacturer or
/// model: every device is dccsim's virtual one (a vendor-protocol meter names its protocol).
fn write_device(d: &DeviceRecord, firmware: Option<String>, out: &mut String) {
    let kind = d.device_type.name();
    let model = if d.protocol == "GBCS" {
        format!("virtual {kind}")
    } else {
        format!("virtual {kind} ({})", d.protocol)
    };
    out.push_str("<sr:Device>");
    let mut element = |name: &str, value: &str| {
        out.push_str("<sr:");
        out.push_str(name);
        out.push('>');
        escape_text(value, out);
        out.push_str("</sr:");
        out.push_str(name);
        out.push('>');
    };
    element("DeviceID", &d.device.to_string());
    element("DeviceType", kind);
    element("DeviceStatus", &format!("{:?}", d.status));
    element("DeviceManufacturer", "dccsim");
    element("DeviceModel", truncate(&model, 30));
    if let Some(version) = &firmware {
        element("DeviceFirmwareVersion", truncate(version, 8));
        element("DeviceFirmwareVersionStatus", "Active");
    }
    if let Some(point) = &d.meter_point {
        element("ImportMPxN", &point.to_string());
    }
    if d.device_type == DeviceType::Esme {
        // Single element: the only variant the virtual meter is.
        element("ESMEVariant", "A");
    }
    element("CSPRegion", csp_region(d.csp_region));
    if d.protocol == "GBCS" {
        element("DeviceGBCSVersion", "4.0");
    }
    out.push_str("</sr:Device>");
}

/// The schema's `CSPRegion` names.
fn csp_region(r: CspRegion) -> &'static str {
    match r {
        CspRegion::North => "North",
        CspRegion::Central => "Central",
        CspRegion::South => "South",
    }
}

/// At most `max` bytes of ASCII-or-not text, cut on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// 8.3 Decommission Device and 8.4 Update Inventory: changes the registry's record of the
/// device the request names, for that device's registered supplier (import supplier for an
/// electricity device or a comms hub, gas supplier for a gas one; `E4` for anyone else), and
/// names the device changed, so the head-end can journal its new record. 8.3 decommissions a
/// device not already decommissioned or withdrawn (`E5`); 8.4 sets a status (`Pending` or
/// `InstalledNotCommissioned` for a device, `Commissioned`, `Withdrawn` or
/// `InstalledNotCommissioned` for a comms hub — each to its kind: `E11`), deletes a `Pending` or
/// `Whitelisted` device (`E5` otherwise), or sets its import MPxN (an MPAN with the right check
/// digit for an electricity device, an MPRN for a gas one: `E080405`). Details the registry does
/// not hold (manufacturer, model, firmware, secondary and export MPANs) change nothing.
pub fn update_inventory(
    registry: &mut Registry,
    user: &User,
    service: &str,
    body: &Element,
    day: NaiveDate,
) -> Result<Eui64, Refusal> {
    use ResponseCode::*;
    let refuse = |code, reason: String| Refusal { code, reason };
    let id = body
        .find("DeviceID")
        .map(|e| e.text.trim())
        .ok_or_else(|| refuse(E19, "no DeviceID".into()))?;
    let eui: Eui64 = id
        .parse()
        .map_err(|_| refuse(E19, format!("DeviceID {id:?} is not an EUI-64")))?;
    let device = registry
        .device(eui)
        .ok_or_else(|| refuse(E19, format!("device {eui} is not in the inventory")))?;
    if device.supplier_on(day) != Some(user.eui) {
        return Err(refuse(
            E4,
            format!(
                "{} is not the registered supplier of {eui} on {day}",
                user.eui
            ),
        ));
    }
    let (kind, status) = (device.device_type, device.status);
    let is_hub = kind == DeviceType::Chf;
    let new_status = |name: &str, allowed: &[SmiStatus]| {
        let wanted = body.find(name).map_or("", |e| e.text.trim());
        allowed
            .iter()
            .copied()
            .find(|s| format!("{s:?}") == wanted)
            .ok_or_else(|| refuse(E11, format!("status {wanted:?} is not one {name} sets")))
    };
    if service == "8.3" {
        if matches!(status, SmiStatus::Decommissioned | SmiStatus::Withdrawn) {
            return Err(refuse(E5, format!("device {eui} is already {status:?}")));
        }
        registry.set_status(eui, SmiStatus::Decommissioned);
        return Ok(eui);
    }
    let change = body
        .children
        .iter()
        .find(|c| c.name != "DeviceID")
        .map_or("", |c| c.name.as_str());
    match change {
        "UpdateDeviceStatusExceptCH" | "UpdateDeviceStatusCH" => {
            let for_hub = change == "UpdateDeviceStatusCH";
            if for_hub != is_hub {
                return Err(refuse(
                    E11,
                    format!("{change} does not apply to a {kind:?}"),
                ));
            }
            use SmiStatus::*;
            let allowed: &[SmiStatus] = if is_hub {
                &[Commissioned, Withdrawn, InstalledNotCommissioned]
            } else {
                &[Pending, InstalledNotCommissioned]
            };
            let next = new_status(change, allowed)?;
            registry.set_status(eui, next);
        }
        "DeleteDevice" => {
            if !matches!(status, SmiStatus::Pending | SmiStatus::Whitelisted) {
                return Err(refuse(
                    E5,
                    format!(
                        "device {eui} is {status:?}: only a Pending or Whitelisted device is deleted"
                    ),
                ));
            }
            registry.remove(eui);
        }
        "UpdateMPxN" => {
            if let Some(mpxn) = body.find("ImportMPxN") {
                let text = mpxn.text.trim();
                let point = if kind.is_gas() {
                    (text.len() >= 6
                        && text.len() <= 10
                        && text.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| MeterPoint::Mprn(text.to_string()))
                    .ok_or_else(|| format!("{text:?} is not an MPRN (6 to 10 digits)"))
                } else {
                    text.parse::<Mpan>()
                        .map(|m| MeterPoint::Mpan(m.to_string()))
                        .map_err(|e| e.to_string())
                };
                let point = point.map_err(|reason| refuse(E080405, reason))?;
                registry.set_meter_point(eui, point);
            }
        }
        // Manufacturer, model and firmware are not in the registry.
        "UpdateDeviceDetails" => {}
        other => {
            return Err(refuse(
                E11,
                format!("UpdateInventory holds {other:?}, not one of the schema's changes"),
            ));
        }
    }
    Ok(eui)
}

/// What the WAN offers at a place: the technology a comms hub there would use, and whether it
/// would be reached at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub technology: String,
    pub available: bool,
}

/// 12.1 Request WAN Matrix: the `sr:DSPWANMatrix` for a `PartialAddress` (by its postcode's
/// area, which places it in a distribution area and so a CSP region) or a `UPRN` (the registry
/// holds none: region Unknown). `coverage` is the head-end's WAN model at that place, asked with
/// the region and a number fixed by the postcode.
pub fn wan_matrix(body: &Element, coverage: impl Fn(CspRegion, u64) -> Coverage) -> String {
    let mut out = String::from("<sr:DSPWANMatrix><sr:Request>");
    let region = match (body.find("UPRN"), body.find("PostCode")) {
        (Some(uprn), _) => {
            out.push_str("<sr:UPRN>");
            escape_text(uprn.text.trim(), &mut out);
            out.push_str("</sr:UPRN>");
            None
        }
        (None, Some(postcode)) => {
            let address = body
                .find("AddressIdentifier")
                .map_or("", |a| a.text.as_str());
            out.push_str("<sr:PartialAddress><sr:PostCode>");
            escape_text(&postcode.text, &mut out);
            out.push_str("</sr:PostCode><sr:AddressIdentifier>");
            escape_text(address, &mut out);
            out.push_str("</sr:AddressIdentifier></sr:PartialAddress>");
            postcode_area(&postcode.text)
                .map(|(area, g)| (g.csp_region(), place_key(area, &postcode.text)))
        }
        (None, None) => None,
    };
    out.push_str("</sr:Request><sr:DSPWANMatrixResponse>");
    match region {
        Some((region, key)) => {
            let Coverage {
                technology,
                available,
            } = coverage(region, key);
            out.push_str("<sr:CSPRegion>");
            out.push_str(csp_region(region));
            out.push_str("</sr:CSPRegion><sr:CSPRegionResponseCode>I0</sr:CSPRegionResponseCode><sr:CoverageAvailability>");
            out.push_str(if available { "true" } else { "false" });
            out.push_str("</sr:CoverageAvailability><sr:WANTechnology>");
            escape_text(truncate(&technology, 30), &mut out);
            out.push_str("</sr:WANTechnology><sr:ConnectivityLikelihood>");
            out.push_str(if available { "High" } else { "Low" });
            out.push_str("</sr:ConnectivityLikelihood>");
        }
        // Not a GB postcode the table knows (or a UPRN): no region, and no coverage facts.
        None => out.push_str(
            "<sr:CSPRegion>Unknown</sr:CSPRegion><sr:CSPRegionResponseCode>E120101</sr:CSPRegionResponseCode>",
        ),
    }
    out.push_str("</sr:DSPWANMatrixResponse></sr:DSPWANMatrix>");
    out
}

/// The postcode's area (its leading letters) and the distribution area it lies in, when it is
/// shaped like a GB postcode (`M22 0RR`, `EH1 1YZ`, `SW1A 1AA`) of an area the table knows.
pub fn postcode_area(postcode: &str) -> Option<(&'static str, GspGroup)> {
    let compact: String = postcode
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !compact.is_ascii() {
        return None;
    }
    let letters = compact
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .count();
    let inward = compact.len().checked_sub(3)?;
    let shaped = (1..=2).contains(&letters)
        && (letters + 1..=letters + 3).contains(&inward)
        && compact[letters..].starts_with(|c: char| c.is_ascii_digit())
        && compact[letters..inward]
            .chars()
            .all(|c| c.is_ascii_alphanumeric())
        && compact[inward..].starts_with(|c: char| c.is_ascii_digit())
        && compact[inward + 1..]
            .chars()
            .all(|c| c.is_ascii_alphabetic());
    if !shaped {
        return None;
    }
    let area = &compact[..letters];
    POSTCODE_AREAS
        .iter()
        .find_map(|(areas, group)| areas.split(' ').find(|a| *a == area).map(|a| (a, *group)))
}

/// A number fixed by the place (its postcode, spaces and case aside), so the same postcode
/// always gets the same answer.
fn place_key(area: &str, postcode: &str) -> u64 {
    // FNV-1a over the compact postcode.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = postcode
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| b.to_ascii_uppercase());
    for b in area.bytes().chain(bytes) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// GB postcode areas by the distribution area (GSP group) most of each lies in: an
/// approximation at area level (areas that straddle a boundary go to the larger part; Northern
/// Ireland, the Isle of Man and the Channel Islands are outside the DCC's service).
const POSTCODE_AREAS: [(&str, GspGroup); 14] = [
    ("AL CB CM CO EN HP IP LU NR PE SG SS WD", GspGroup::A),
    ("DE LE LN MK NG NN", GspGroup::B),
    (
        "BR CR E EC HA IG KT N NW RM SE SM SW TW UB W WC",
        GspGroup::C,
    ),
    ("CH CW L LL SY WA", GspGroup::D),
    ("B CV DY GL HR ST TF WR WS WV", GspGroup::E),
    ("DH DL NE SR TS", GspGroup::F),
    ("BB BL CA FY LA M OL PR SK WN", GspGroup::G),
    ("BH GU OX PO RG SL SN SO SP", GspGroup::H),
    ("BN CT DA ME RH TN", GspGroup::J),
    ("CF LD NP SA", GspGroup::K),
    ("BA BS DT EX PL TA TQ TR", GspGroup::L),
    ("BD DN HD HG HU HX LS S WF YO", GspGroup::M),
    ("DG EH FK G KA KY ML PA TD", GspGroup::N),
    ("AB DD HS IV KW PH ZE", GspGroup::P),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn postcodes_are_placed_by_their_area() {
        for (postcode, area, group) in [
            ("M22 0RR", "M", GspGroup::G),
            ("m220rr", "M", GspGroup::G),
            ("SW1A 1AA", "SW", GspGroup::C),
            ("EH1 1YZ", "EH", GspGroup::N),
            ("AB10 1XG", "AB", GspGroup::P),
            ("CF10 1EP", "CF", GspGroup::K),
            ("B1 1BB", "B", GspGroup::E),
            ("LS1 4DY", "LS", GspGroup::M),
            ("PL1 1EA", "PL", GspGroup::L),
        ] {
            assert_eq!(postcode_area(postcode), Some((area, group)), "{postcode}");
        }
        // Northern Ireland and the Isle of Man are not the DCC's; malformed is nothing.
        for postcode in [
            "BT1 5GS", "IM1 1AA", "ABCDEF", "M22", "1M2 0RR", "MMM1 1AA", "M22 0R1", "",
        ] {
            assert_eq!(postcode_area(postcode), None, "{postcode}");
        }
    }

    #[test]
    fn every_area_is_in_one_distribution_area() {
        let mut seen = BTreeSet::new();
        for (areas, _) in POSTCODE_AREAS {
            for area in areas.split(' ') {
                assert!(seen.insert(area), "{area} twice");
            }
        }
        assert!(seen.len() > 115, "{} areas", seen.len());
    }

    proptest! {
        /// Whatever a user puts in a postcode, placing it answers and does not panic.
        #[test]
        fn any_text_is_placed_or_not(text in "\\PC{0,12}") {
            let _ = postcode_area(&text);
        }
    }
}
