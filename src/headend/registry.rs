//! The mirrored registration registry: which devices exist, what they meter, their SMI status,
//! and who is registered for each meter point when — the supplier (with the dates of each
//! supply period, so a change of supply moves access on its effective date) and the network
//! operator.
//!
//! It is loaded from a registration extract and kept current with nightly delta files, both CSV
//! (documented in README.md). A file is applied whole or not at all: any bad row rejects it with
//! the file, line and reason, and the registry that was serving goes on serving.
//!
//! ```text
//! mpxn,device_id,device_type,comms_hub_id,smi_status,supplier_id,supplier_from,supplier_to,network_operator_id,gsp_group,csp_region,protocol[,export_supplier_id]
//! ```
//!
//! The last column is optional (a file has it in its header or not at all): the export supplier
//! registered for an electricity meter's export MPAN, empty where there is none.
//!
//! One row per device and supply period; a device's other fields must agree across its rows.
//! A delta file has an `action` column first: `upsert` rows replace everything known about
//! their device, `remove` rows (only `device_id` needed) delete it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{CspRegion, Eui64, GspGroup, Mpan};

const COLUMNS: [&str; 12] = [
    "mpxn",
    "device_id",
    "device_type",
    "comms_hub_id",
    "smi_status",
    "supplier_id",
    "supplier_from",
    "supplier_to",
    "network_operator_id",
    "gsp_group",
    "csp_region",
    "protocol",
];

/// The optional last column.
const EXPORT_SUPPLIER: &str = "export_supplier_id";

/// Device types (DUIS `DeviceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeviceType {
    Esme,
    Gsme,
    Gpf,
    Chf,
    Ppmid,
    Ihd,
    Cad,
    Hcalcs,
}

impl FromStr for DeviceType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        DeviceType::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                format!(
                    "device type {s:?} is not one of ESME, GSME, GPF, CHF, PPMID, IHD, CAD, HCALCS"
                )
            })
    }
}

impl DeviceType {
    pub const ALL: [DeviceType; 8] = [
        DeviceType::Esme,
        DeviceType::Gsme,
        DeviceType::Gpf,
        DeviceType::Chf,
        DeviceType::Ppmid,
        DeviceType::Ihd,
        DeviceType::Cad,
        DeviceType::Hcalcs,
    ];

    /// The DUIS name (`ESME`, `GSME`, `GPF`, `CHF`…), as the registry file and DUIS write it.
    pub fn name(self) -> &'static str {
        match self {
            DeviceType::Esme => "ESME",
            DeviceType::Gsme => "GSME",
            DeviceType::Gpf => "GPF",
            DeviceType::Chf => "CHF",
            DeviceType::Ppmid => "PPMID",
            DeviceType::Ihd => "IHD",
            DeviceType::Cad => "CAD",
            DeviceType::Hcalcs => "HCALCS",
        }
    }

    /// Whether the device meters gas (the meter point is an MPRN).
    pub fn is_gas(self) -> bool {
        matches!(self, DeviceType::Gsme | DeviceType::Gpf)
    }
}

/// SMI status (DUIS `DeviceStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmiStatus {
    Pending,
    Whitelisted,
    InstalledNotCommissioned,
    Commissioned,
    Decommissioned,
    Withdrawn,
    Suspended,
    Recovery,
    Recovered,
}

impl FromStr for SmiStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        use SmiStatus::*;
        Ok(match s {
            "Pending" => Pending,
            "Whitelisted" => Whitelisted,
            "InstalledNotCommissioned" => InstalledNotCommissioned,
            "Commissioned" => Commissioned,
            "Decommissioned" => Decommissioned,
            "Withdrawn" => Withdrawn,
            "Suspended" => Suspended,
            "Recovery" => Recovery,
            "Recovered" => Recovered,
            _ => return Err(format!("SMI status {s:?} is not a DUIS device status")),
        })
    }
}

/// A meter point: an electricity MPAN core (13 digits, check digit verified) or a gas MPRN
/// (6 to 10 digits).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MeterPoint {
    Mpan(String),
    Mprn(String),
}

impl MeterPoint {
    /// A gas device's MPRN or an electricity device's MPAN core (its check digit checked).
    pub fn parse(gas: bool, text: &str) -> Result<MeterPoint, String> {
        if gas {
            if !(6..=10).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{text:?} is not an MPRN (6 to 10 digits)"));
            }
            Ok(MeterPoint::Mprn(text.to_string()))
        } else {
            let mpan: Mpan = text
                .parse()
                .map_err(|e: crate::model::MpanError| e.to_string())?;
            Ok(MeterPoint::Mpan(mpan.to_string()))
        }
    }
}

impl fmt::Display for MeterPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeterPoint::Mpan(s) | MeterPoint::Mprn(s) => f.write_str(s),
        }
    }
}

/// A supplier's registration for a meter point: from `from` until the day before `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplyPeriod {
    pub supplier: Eui64,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl SupplyPeriod {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && self.to.is_none_or(|to| day < to)
    }
}

/// Everything the registry knows about one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceRecord {
    pub device: Eui64,
    pub device_type: DeviceType,
    pub meter_point: Option<MeterPoint>,
    pub comms_hub: Eui64,
    pub status: SmiStatus,
    pub network_operator: Eui64,
    pub gsp_group: GspGroup,
    pub csp_region: CspRegion,
    /// `GBCS`, or the name of a vendor protocol file in `protocols/`.
    pub protocol: String,
    /// Supply periods, oldest first, not overlapping.
    pub supply: Vec<SupplyPeriod>,
    /// The export supplier of an electricity meter that exports (its export MPAN's).
    pub export_supplier: Option<Eui64>,
}

impl DeviceRecord {
    /// The supplier registered on `day`, if any.
    pub fn supplier_on(&self, day: NaiveDate) -> Option<Eui64> {
        self.supply
            .iter()
            .find(|p| p.covers(day))
            .map(|p| p.supplier)
    }
}

/// A registry file that could not be applied: which file, which line (0: the file as a whole,
/// say one that cannot be read), why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {reason}", file.display(), at_line(*line))]
pub struct RegistryError {
    pub file: PathBuf,
    pub line: usize,
    pub reason: String,
}

fn at_line(line: usize) -> String {
    match line {
        0 => String::new(),
        n => format!(":{n}"),
    }
}

/// A change a user makes to the inventory (8.3 Decommission Device, 8.4 Update Inventory), as
/// the head-end journals it: what was done, so that replayed on a registry that has moved on
/// since (a delta applied meanwhile) it changes that field and no other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InventoryChange {
    Status { device: Eui64, status: SmiStatus },
    MeterPoint { device: Eui64, point: MeterPoint },
    Remove { device: Eui64 },
}

/// The registry, with the indexes the DCC's own answers look devices up by (8.2 Read Inventory:
/// a premises' devices by comms hub, a meter by its MPxN). Every change to a record's hub or
/// meter point goes through `insert` and `remove`, which keep them in step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    devices: BTreeMap<Eui64, DeviceRecord>,
    by_hub: BTreeMap<Eui64, BTreeSet<Eui64>>,
    by_meter_point: BTreeMap<String, BTreeSet<Eui64>>,
}

impl Registry {
    pub fn device(&self, eui: Eui64) -> Option<&DeviceRecord> {
        self.devices.get(&eui)
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    pub fn devices(&self) -> impl Iterator<Item = &DeviceRecord> {
        self.devices.values()
    }

    /// The devices a comms hub serves (its own record included), in EUI-64 order.
    pub fn at_hub(&self, hub: Eui64) -> impl Iterator<Item = &DeviceRecord> {
        self.indexed(self.by_hub.get(&hub))
    }

    /// The devices registered to a meter point (an MPAN core or MPRN, as written), in EUI-64
    /// order.
    pub fn at_meter_point(&self, mpxn: &str) -> impl Iterator<Item = &DeviceRecord> {
        self.indexed(self.by_meter_point.get(mpxn))
    }

    fn indexed<'a>(
        &'a self,
        euis: Option<&'a BTreeSet<Eui64>>,
    ) -> impl Iterator<Item = &'a DeviceRecord> {
        euis.into_iter()
            .flatten()
            .filter_map(|eui| self.devices.get(eui))
    }

    /// Another commissioned device of `device_type` that `point` belongs to, besides `device`:
    /// a meter point has one commissioned meter of each kind (its ESME; its GSME and the hub's
    /// GPF, which share the MPRN), while a replaced one, decommissioned or not yet
    /// commissioned, may keep it too.
    pub fn other_commissioned_at(
        &self,
        point: &MeterPoint,
        device_type: DeviceType,
        device: Eui64,
    ) -> Option<&DeviceRecord> {
        self.at_meter_point(&point.to_string()).find(|o| {
            o.device != device
                && o.device_type == device_type
                && o.status == SmiStatus::Commissioned
        })
    }

    /// Adds or replaces a device's record.
    pub fn insert(&mut self, record: DeviceRecord) {
        self.remove(record.device);
        self.by_hub
            .entry(record.comms_hub)
            .or_default()
            .insert(record.device);
        if record.device_type == DeviceType::Chf {
            self.by_hub
                .entry(record.device)
                .or_default()
                .insert(record.device);
        }
        if let Some(point) = &record.meter_point {
            self.by_meter_point
                .entry(point.to_string())
                .or_default()
                .insert(record.device);
        }
        self.devices.insert(record.device, record);
    }

    /// Removes a device's record.
    pub fn remove(&mut self, device: Eui64) -> Option<DeviceRecord> {
        let record = self.devices.remove(&device)?;
        unindex(&mut self.by_hub, &record.comms_hub, device);
        unindex(&mut self.by_hub, &record.device, device);
        if let Some(point) = &record.meter_point {
            unindex(&mut self.by_meter_point, &point.to_string(), device);
        }
        Some(record)
    }

    /// Reads a registration extract into a new registry.
    pub fn import(path: &Path) -> Result<Registry, RegistryError> {
        Registry::import_text(path, &read(path)?)
    }

    /// Reads an extract's text; `path` names it in errors.
    pub fn import_text(path: &Path, text: &str) -> Result<Registry, RegistryError> {
        let (registry, lines) = Registry::read_extract(path, text)?;
        registry.check_devices(path, &lines)?;
        Ok(registry)
    }

    /// Reads a registry the state database saved: as an extract, without the checks a file
    /// from outside gets on import (what was saved was checked then, by the rules of its day).
    pub fn from_saved(path: &Path, text: &str) -> Result<Registry, RegistryError> {
        Ok(Registry::read_extract(path, text)?.0)
    }

    fn read_extract(
        path: &Path,
        text: &str,
    ) -> Result<(Registry, BTreeMap<Eui64, usize>), RegistryError> {
        let mut registry = Registry::default();
        let (rows, lines) = parse_rows(path, text, false)?;
        // An extract has no removals: every row is a record.
        for record in rows.into_values().flatten() {
            registry.insert(record);
        }
        Ok((registry, lines))
    }

    /// Each device of the file (first seen at `lines`) hangs off a comms hub: its
    /// `comms_hub_id` does not name a registered device of another type (a hub names itself),
    /// and no device still registered hangs off one the file made something else; and a
    /// commissioned meter's meter point is no other commissioned meter's of its kind.
    fn check_devices(
        &self,
        path: &Path,
        lines: &BTreeMap<Eui64, usize>,
    ) -> Result<(), RegistryError> {
        for (device, line) in lines {
            let Some(d) = self.device(*device) else {
                continue;
            };
            let fail = |reason| {
                Err(RegistryError {
                    file: path.to_path_buf(),
                    line: *line,
                    reason,
                })
            };
            // Reported at the later of two rows of the file.
            let before = |other: &DeviceRecord| lines.get(&other.device).is_none_or(|l| l < line);
            if d.status == SmiStatus::Commissioned
                && let Some(point) = &d.meter_point
                && let Some(other) = self
                    .other_commissioned_at(point, d.device_type, d.device)
                    .filter(|o| before(o))
            {
                let at = lines
                    .get(&other.device)
                    .map_or("in the registry".to_string(), |l| format!("line {l}"));
                return fail(format!(
                    "mpxn: {point} is already the meter point of commissioned {} {} ({at}); \
                     a meter point has one commissioned {}",
                    other.device_type.name(),
                    other.device,
                    other.device_type.name()
                ));
            }
            if d.device_type != DeviceType::Chf
                && let Some(other) = self.at_hub(d.device).find(|o| o.device != d.device)
            {
                return fail(format!(
                    "device_type: {} is the comms hub of {}, so must stay a CHF",
                    d.device, other.device
                ));
            }
            let reason = match self.device(d.comms_hub) {
                _ if d.device_type == DeviceType::Chf && d.comms_hub == d.device => continue,
                Some(hub) if hub.device_type == DeviceType::Chf => continue,
                Some(hub) => format!(
                    "comms_hub_id: {} is registered as {}, not as a comms hub (CHF)",
                    hub.device,
                    hub.device_type.name()
                ),
                // A hub an extract leaves out is taken on trust.
                None => continue,
            };
            return fail(reason);
        }
        Ok(())
    }

    /// A registry with a delta file applied, or the reason it cannot be: `self` is untouched
    /// either way, so the caller swaps only on success.
    pub fn with_delta(&self, path: &Path) -> Result<Registry, RegistryError> {
        let text = read(path)?;
        self.with_delta_text(path, &text)
    }

    pub fn with_delta_text(&self, path: &Path, text: &str) -> Result<Registry, RegistryError> {
        let mut next = self.clone();
        let (rows, lines) = parse_rows(path, text, true)?;
        for (device, record) in rows {
            match record {
                Some(r) => next.insert(r),
                None => {
                    next.remove(device);
                }
            }
        }
        next.check_devices(path, &lines)?;
        Ok(next)
    }

    /// Writes the registry as an extract (the import format), one row per supply period.
    pub fn to_csv(&self) -> String {
        Self::csv_of(self.devices.values())
    }

    /// `devices` in the extract's CSV (a header, then a row per supply period).
    pub fn csv_of<'a>(devices: impl IntoIterator<Item = &'a DeviceRecord>) -> String {
        let mut out = COLUMNS.join(",");
        out.push(',');
        out.push_str(EXPORT_SUPPLIER);
        out.push('\n');
        for d in devices {
            write_rows(d, &mut out);
        }
        out
    }

    /// Applies a change a user made to the inventory (8.3, 8.4), in place; a change to a device
    /// no longer registered does nothing. `false` when nothing changed.
    pub fn apply(&mut self, change: &InventoryChange) -> bool {
        match change {
            InventoryChange::Status { device, status } => match self.devices.get_mut(device) {
                // The status is not indexed: changed in place.
                Some(d) if d.status != *status => {
                    d.status = *status;
                    true
                }
                _ => false,
            },
            InventoryChange::MeterPoint { device, point } => match self.remove(*device) {
                Some(mut record) => {
                    let changed = record.meter_point.as_ref() != Some(point);
                    record.meter_point = Some(point.clone());
                    self.insert(record);
                    changed
                }
                None => false,
            },
            InventoryChange::Remove { device } => self.remove(*device).is_some(),
        }
    }
}

/// Takes `device` out of the index entry at `key`, and the entry out when it empties.
fn unindex<K: Ord>(index: &mut BTreeMap<K, BTreeSet<Eui64>>, key: &K, device: Eui64) {
    if let Some(set) = index.get_mut(key) {
        set.remove(&device);
        if set.is_empty() {
            index.remove(key);
        }
    }
}

/// A device's rows, one per supply period.
fn write_rows(d: &DeviceRecord, out: &mut String) {
    let periods: Vec<Option<&SupplyPeriod>> = if d.supply.is_empty() {
        vec![None]
    } else {
        d.supply.iter().map(Some).collect()
    };
    for p in periods {
        let fields = [
            d.meter_point
                .as_ref()
                .map_or(String::new(), |m| m.to_string()),
            d.device.to_string(),
            d.device_type.name().to_string(),
            d.comms_hub.to_string(),
            format!("{:?}", d.status),
            p.map_or(String::new(), |p| p.supplier.to_string()),
            p.map_or(String::new(), |p| p.from.to_string()),
            p.and_then(|p| p.to)
                .map_or(String::new(), |t| t.to_string()),
            d.network_operator.to_string(),
            d.gsp_group.to_string(),
            d.csp_region.to_string(),
            d.protocol.clone(),
            d.export_supplier.map_or(String::new(), |e| e.to_string()),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
}

fn read(path: &Path) -> Result<String, RegistryError> {
    std::fs::read_to_string(path).map_err(|e| RegistryError {
        file: path.to_path_buf(),
        line: 0,
        reason: format!("cannot read: {e}"),
    })
}

/// The records of a file by device (`None` = remove), and the line each device is first on.
type Rows = (
    BTreeMap<Eui64, Option<DeviceRecord>>,
    BTreeMap<Eui64, usize>,
);

/// Parses every row; returns the records by device and their lines, or the first error.
fn parse_rows(path: &Path, text: &str, delta: bool) -> Result<Rows, RegistryError> {
    let fail = |line: usize, reason: String| RegistryError {
        file: path.to_path_buf(),
        line,
        reason,
    };
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let mut expected: Vec<&str> = if delta {
        std::iter::once("action").chain(COLUMNS).collect()
    } else {
        COLUMNS.to_vec()
    };
    let with_export = {
        let mut e = expected.clone();
        e.push(EXPORT_SUPPLIER);
        e
    };
    match lines.next() {
        Some((_, header)) if header.trim_end_matches('\r') == expected.join(",") => {}
        Some((_, header)) if header.trim_end_matches('\r') == with_export.join(",") => {
            expected = with_export;
        }
        Some((n, header)) => {
            return Err(fail(
                n,
                format!(
                    "header is {header:?}; expected {:?} (with or without a last column {EXPORT_SUPPLIER})",
                    expected.join(",")
                ),
            ));
        }
        None => return Err(fail(1, "the file is empty: expected a header row".into())),
    }
    let mut out: BTreeMap<Eui64, Option<DeviceRecord>> = BTreeMap::new();
    let mut first_lines = BTreeMap::new();
    for (n, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if line.contains('"') {
            return Err(fail(n, "quoted fields are not supported".into()));
        }
        let mut fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != expected.len() {
            return Err(fail(
                n,
                format!("{} fields; expected {}", fields.len(), expected.len()),
            ));
        }
        let action = if delta { fields.remove(0) } else { "upsert" };
        let device: Eui64 = fields[1]
            .parse()
            .map_err(|e| fail(n, format!("device_id: {e}")))?;
        first_lines.entry(device).or_insert(n);
        match action {
            "remove" => {
                out.insert(device, None);
            }
            "upsert" => {
                let row = parse_row(&fields).map_err(|reason| fail(n, reason))?;
                match out.get_mut(&device) {
                    Some(Some(existing)) => merge(existing, row).map_err(|r| fail(n, r))?,
                    _ => {
                        out.insert(device, Some(row));
                    }
                }
            }
            other => {
                return Err(fail(n, format!("action {other:?} is not upsert or remove")));
            }
        }
    }
    Ok((out, first_lines))
}

fn parse_row(f: &[&str]) -> Result<DeviceRecord, String> {
    let eui = |i: usize| -> Result<Eui64, String> {
        f[i].parse().map_err(|e| format!("{}: {e}", COLUMNS[i]))
    };
    let date = |i: usize| -> Result<Option<NaiveDate>, String> {
        if f[i].is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(f[i], "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("{}: {:?} is not a date YYYY-MM-DD", COLUMNS[i], f[i]))
    };
    let device_type: DeviceType = f[2].parse()?;
    let meter_point = match (f[0], device_type) {
        ("", DeviceType::Esme | DeviceType::Gsme | DeviceType::Gpf) => {
            return Err(format!("mpxn: a {} must have a meter point", f[2]));
        }
        ("", _) => None,
        (m, t) => Some(MeterPoint::parse(t.is_gas(), m).map_err(|e| format!("mpxn: {e}"))?),
    };
    let gsp_group: GspGroup = f[9].parse().map_err(|e| format!("gsp_group: {e}"))?;
    let csp_region = CspRegion::ALL
        .into_iter()
        .find(|r| r.name().eq_ignore_ascii_case(f[10]))
        .ok_or_else(|| format!("csp_region: {:?} is not north, central or south", f[10]))?;
    if csp_region != gsp_group.csp_region() {
        return Err(format!(
            "csp_region: GSP group {gsp_group} is in the {} region, not {csp_region}",
            gsp_group.csp_region()
        ));
    }
    let supply = match (f[5], date(6)?, date(7)?) {
        ("", None, None) => Vec::new(),
        ("", _, _) => return Err("supplier_id: dates given without a supplier".into()),
        (_, None, _) => return Err("supplier_from: a supplier needs a start date".into()),
        (_, Some(from), to) => {
            if to.is_some_and(|t| t <= from) {
                return Err("supplier_to: must be after supplier_from".into());
            }
            vec![SupplyPeriod {
                supplier: eui(5)?,
                from,
                to,
            }]
        }
    };
    if f[11].is_empty() {
        return Err("protocol: empty (GBCS, or a vendor protocol name)".into());
    }
    let export_supplier = match f.get(12).copied().unwrap_or("") {
        "" => None,
        _ if device_type != DeviceType::Esme => {
            return Err(format!(
                "{EXPORT_SUPPLIER}: only an electricity meter (ESME) exports, not a {}",
                f[2]
            ));
        }
        e => Some(
            e.parse()
                .map_err(|err| format!("{EXPORT_SUPPLIER}: {err}"))?,
        ),
    };
    Ok(DeviceRecord {
        device: eui(1)?,
        device_type,
        meter_point,
        comms_hub: eui(3)?,
        status: f[4].parse()?,
        network_operator: eui(8)?,
        gsp_group,
        csp_region,
        protocol: f[11].to_string(),
        supply,
        export_supplier,
    })
}

/// Adds a further supply period of the same device to `existing`.
fn merge(existing: &mut DeviceRecord, row: DeviceRecord) -> Result<(), String> {
    let mut a = existing.clone();
    a.supply.clear();
    let mut b = row.clone();
    b.supply.clear();
    if a != b {
        return Err(format!(
            "device {} is described differently on an earlier row (only supply periods may differ)",
            row.device
        ));
    }
    for p in row.supply {
        if let Some(q) = existing.supply.iter().find(|q| overlap(q, &p)) {
            return Err(format!(
                "supply period from {} overlaps the one from {} on an earlier row",
                p.from, q.from
            ));
        }
        existing.supply.push(p);
    }
    existing.supply.sort_by_key(|p| p.from);
    Ok(())
}

fn overlap(a: &SupplyPeriod, b: &SupplyPeriod) -> bool {
    let before = |x: &SupplyPeriod, y: &SupplyPeriod| x.to.is_some_and(|t| t <= y.from);
    !(before(a, b) || before(b, a))
}
