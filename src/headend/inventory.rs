//! What the DCC answers from its own records, with no device traffic: 8.2 Read Inventory (the
//! Smart Metering Inventory's devices at a premises, from the mirrored registry), 12.1 Request
//! WAN Matrix (which CSP region serves a postcode, over what technology, and whether there is
//! coverage), and the supplier's changes to the inventory: 8.3 Decommission Device and 8.4
//! Update Inventory. All answer at once, in the synchronous response.
//!
//! The bodies are written in canonical form (escaped as Canonical XML escapes text, end tags
//! written out), as the head-end signs the answers that carry data as written.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::access::{Refusal, ResponseCode, User};
use super::registry::{DeviceRecord, DeviceType, InventoryChange, MeterPoint, Registry, SmiStatus};
use super::request::Element;
use super::xmldsig::escape_text;
use crate::model::{CspRegion, Eui64, GspGroup};

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
/// model: every device is dccsim's virtual one, its model its type, as the devices say in 6.2.4
/// (a vendor-protocol meter names its protocol).
fn write_device(d: &DeviceRecord, firmware: Option<String>, out: &mut String) {
    let kind = d.device_type.name();
    let model = if d.protocol == "GBCS" {
        kind.to_string()
    } else {
        format!("{kind} ({})", d.protocol)
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
    element(
        "DeviceManufacturer",
        &String::from_utf8_lossy(crate::device::MANUFACTURER),
    );
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
    element("CSPRegion", d.csp_region.duis_name());
    if d.protocol == "GBCS" {
        element("DeviceGBCSVersion", "4.0");
    }
    out.push_str("</sr:Device>");
}

/// At most `max` bytes of ASCII-or-not text, cut on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The device a request's `DeviceID` names, when `user` is its registered supplier on `day`
/// (import supplier of an electricity device or a comms hub, gas supplier of a gas one).
fn supplied_device<'r>(
    registry: &'r Registry,
    user: &User,
    body: &Element,
    day: NaiveDate,
) -> Result<&'r DeviceRecord, Refusal> {
    let id = body.find("DeviceID").map_or("", |e| e.text.trim());
    let eui: Eui64 = id.parse().map_err(|_| {
        refusal(
            ResponseCode::E19,
            format!("DeviceID {id:?} is not an EUI-64"),
        )
    })?;
    let device = registry.device(eui).ok_or_else(|| {
        refusal(
            ResponseCode::E19,
            format!("device {eui} is not in the inventory"),
        )
    })?;
    if device.supplier_on(day) != Some(user.eui) {
        return Err(refusal(
            ResponseCode::E4,
            format!(
                "{} is not the registered supplier of {eui} on {day}",
                user.eui
            ),
        ));
    }
    Ok(device)
}

fn refusal(code: ResponseCode, reason: String) -> Refusal {
    Refusal { code, reason }
}

/// 8.3 Decommission Device, for the device's registered supplier (`E4` for anyone else): the
/// change to make, or `E5` when it is already decommissioned or withdrawn.
pub fn decommission(
    registry: &Registry,
    user: &User,
    body: &Element,
    day: NaiveDate,
) -> Result<InventoryChange, Refusal> {
    let device = supplied_device(registry, user, body, day)?;
    if matches!(
        device.status,
        SmiStatus::Decommissioned | SmiStatus::Withdrawn
    ) {
        return Err(refusal(
            ResponseCode::E5,
            format!("device {} is already {:?}", device.device, device.status),
        ));
    }
    Ok(InventoryChange::Status {
        device: device.device,
        status: SmiStatus::Decommissioned,
    })
}

/// 8.4 Update Inventory, for the device's registered supplier (`E4` for anyone else): the
/// change to make — a status (`Pending` or `InstalledNotCommissioned` for a device,
/// `Commissioned`, `Withdrawn` or `InstalledNotCommissioned` for a comms hub, each element to
/// its kind: `E11`), the deletion of a `Pending` or `Whitelisted` device (`E5` otherwise), or a
/// meter's import MPxN (an MPAN with the right check digit for an electricity meter, an MPRN
/// for a gas one, not another commissioned meter's: `E080405`). `None` for what the registry does not hold (manufacturer, model,
/// firmware, secondary and export MPANs): accepted, nothing to change.
pub fn update_inventory(
    registry: &Registry,
    user: &User,
    body: &Element,
    day: NaiveDate,
) -> Result<Option<InventoryChange>, Refusal> {
    use ResponseCode::*;
    let device = supplied_device(registry, user, body, day)?;
    let (eui, kind, status) = (device.device, device.device_type, device.status);
    let is_hub = kind == DeviceType::Chf;
    let change = body
        .children
        .iter()
        .find(|c| c.name != "DeviceID")
        .map_or("", |c| c.name.as_str());
    Ok(Some(match change {
        "UpdateDeviceStatusExceptCH" | "UpdateDeviceStatusCH" => {
            if (change == "UpdateDeviceStatusCH") != is_hub {
                return Err(refusal(
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
            let wanted = body.find(change).map_or("", |e| e.text.trim());
            let status = wanted
                .parse::<SmiStatus>()
                .ok()
                .filter(|s| allowed.contains(s))
                .ok_or_else(|| refusal(E11, format!("{change} does not set {wanted:?}")))?;
            InventoryChange::Status {
                device: eui,
                status,
            }
        }
        "DeleteDevice" => {
            if !matches!(status, SmiStatus::Pending | SmiStatus::Whitelisted) {
                return Err(refusal(
                    E5,
                    format!(
                        "device {eui} is {status:?}: only a Pending or Whitelisted device is deleted"
                    ),
                ));
            }
            InventoryChange::Remove { device: eui }
        }
        "UpdateMPxN" => {
            let Some(mpxn) = body.find("ImportMPxN") else {
                return Ok(None);
            };
            if !matches!(kind, DeviceType::Esme | DeviceType::Gsme | DeviceType::Gpf) {
                return Err(refusal(E11, format!("a {kind:?} has no MPxN")));
            }
            let point = MeterPoint::parse(kind.is_gas(), mpxn.text.trim())
                .map_err(|reason| refusal(E080405, reason))?;
            if status == SmiStatus::Commissioned
                && let Some(other) = registry.other_commissioned_at(&point, kind, eui)
            {
                return Err(refusal(
                    E080405,
                    format!(
                        "{point} is the MPxN of commissioned {} {}",
                        kind.name(),
                        other.device
                    ),
                ));
            }
            InventoryChange::MeterPoint { device: eui, point }
        }
        "UpdateDeviceDetails" => return Ok(None),
        other => {
            return Err(refusal(
                E11,
                format!("UpdateInventory holds {other:?}, not one of the schema's changes"),
            ));
        }
    }))
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
/// the region and a number fixed by the postcode. A postcode, address or UPRN the schema would
/// refuse is `E120102` (an assumed meaning): the answer echoes the request, so it must fit.
pub fn wan_matrix(
    body: &Element,
    coverage: impl Fn(CspRegion, u64) -> Coverage,
) -> Result<String, Refusal> {
    let invalid = |reason: String| refusal(ResponseCode::E120102, reason);
    let mut out = String::from("<sr:DSPWANMatrix><sr:Request>");
    let place = match (body.find("UPRN"), body.find("PostCode")) {
        (Some(uprn), _) => {
            let uprn = uprn.text.trim();
            // xs:positiveInteger of at most 12 digits.
            let digits = uprn.trim_start_matches('0');
            if digits.is_empty() || digits.len() > 12 || !uprn.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(format!(
                    "UPRN {uprn:?} is not a number of 1 to 12 digits"
                )));
            }
            out.push_str("<sr:UPRN>");
            out.push_str(uprn);
            out.push_str("</sr:UPRN>");
            None
        }
        (None, Some(postcode)) => {
            let postcode = postcode.text.trim();
            let address = body
                .find("AddressIdentifier")
                .map_or("", |a| a.text.as_str());
            if !(6..=8).contains(&postcode.chars().count()) || address.chars().count() > 30 {
                return Err(invalid(format!(
                    "postcode {postcode:?} (6 to 8 characters) or address identifier {address:?} (at most 30) does not fit the schema"
                )));
            }
            out.push_str("<sr:PartialAddress><sr:PostCode>");
            escape_text(postcode, &mut out);
            out.push_str("</sr:PostCode><sr:AddressIdentifier>");
            escape_text(address, &mut out);
            out.push_str("</sr:AddressIdentifier></sr:PartialAddress>");
            postcode_place(postcode)
        }
        (None, None) => return Err(invalid("neither a UPRN nor a PartialAddress".into())),
    };
    out.push_str("</sr:Request><sr:DSPWANMatrixResponse>");
    match place {
        Some(place) => {
            let region = place.group.csp_region();
            let Coverage {
                technology,
                available,
            } = coverage(region, place.key);
            out.push_str("<sr:CSPRegion>");
            out.push_str(region.duis_name());
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
    Ok(out)
}

/// Where a postcode is: its area (its leading letters), the distribution area that lies in,
/// and a number fixed by the postcode (spaces and case aside), so the same postcode always gets
/// the same answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub area: &'static str,
    pub group: GspGroup,
    pub key: u64,
}

/// The place of a postcode shaped like a GB postcode (`M22 0RR`, `EH1 1YZ`, `SW1A 1AA`) in an
/// area the table knows.
pub fn postcode_place(postcode: &str) -> Option<Place> {
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
    let (area, group) = POSTCODE_AREAS
        .iter()
        .find_map(|(areas, group)| areas.split(' ').find(|a| *a == area).map(|a| (a, *group)))?;
    // FNV-1a of the compact postcode.
    let key = compact.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Some(Place { area, group, key })
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
            let place = postcode_place(postcode).map(|p| (p.area, p.group));
            assert_eq!(place, Some((area, group)), "{postcode}");
        }
        // Northern Ireland and the Isle of Man are not the DCC's; malformed is nothing.
        for postcode in [
            "BT1 5GS", "IM1 1AA", "ABCDEF", "M22", "1M2 0RR", "MMM1 1AA", "M22 0R1", "",
        ] {
            assert_eq!(postcode_place(postcode), None, "{postcode}");
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
            let _ = postcode_place(&text);
        }
    }
}
