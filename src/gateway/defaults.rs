//! The embedded default of `dccsim serve`: a generated fleet of premises in the three CSP
//! regions, the RTDS test meter, the ZAZ1 test organisations as users, and regional WAN links.
//! Everything follows from the seed.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::device::{Consumer, Esme, HanDevice, HanKind};
use crate::headend::{
    DeviceRecord, DeviceType, MeterPoint, Registry, SmiStatus, SupplyPeriod, User, WanLink,
};
use crate::model::{CspRegion, Eui64, GspGroup, Mpan, Role};
use crate::wan::Latency;

/// EUI-64 prefix of the generated fleet's devices (their keys derive from the seed).
pub const FLEET_PREFIX: [u8; 3] = [0x00, 0xDC, 0x5E];
/// The RTDS test electricity meter, which every RTDS DUIS template addresses.
pub const RTDS_ESME: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA0]);
/// The RTDS test comms hub (the dual-band CH use cases address it).
const RTDS_HUB: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA2]);
/// The comms hub the RTDS hub replaced (8.12.1's `OldCHFID`): withdrawn, its network what the
/// RTDS's restore gives the new hub.
const RTDS_OLD_HUB: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0x95]);
/// The RTDS test gas meter and its hub's gas proxy function, which the RTDS gas templates address.
pub const RTDS_GSME: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA1]);
pub const RTDS_GPF: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA3]);
/// The RTDS prepayment display (PPMID).
pub const RTDS_PPMID: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA4]);
/// The RTDS auxiliary load control switch (HCALCS).
pub const RTDS_HCALCS: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA5]);
/// The Access Control Broker / DSP of the ZAZ1 test PKI.
pub const ACB: Eui64 = Eui64([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x00, 0x00, 0x02]);
pub const SUPPLIER: Eui64 = Eui64([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x01, 0x00, 0x00]);
pub const SUPPLIER_2: Eui64 = Eui64([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x03, 0x00, 0x00]);
pub const NETWORK_OPERATOR: Eui64 = Eui64([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x02, 0x00, 0x00]);
pub const OTHER_USER: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x00, 0x04]);
pub const METER_DATA_RETRIEVER: Eui64 = Eui64([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x01, 0x00, 0x09]);

/// Device kind byte of a premises' electricity meter in the generated fleet's EUI-64s.
pub const ESME_KIND: u8 = 0x01;
/// Device kind byte of a premises' comms hub.
pub const CHF_KIND: u8 = 0x03;
/// Device kind bytes of a premises' gas meter and its hub's gas proxy function.
pub const GSME_KIND: u8 = 0x02;
pub const GPF_KIND: u8 = 0x04;

/// The EUI-64 of premises `i`'s device of `kind`: the fleet prefix, `i`, the kind byte.
pub fn premises_device(i: u32, kind: u8) -> Eui64 {
    let id = i.to_be_bytes();
    Eui64([
        FLEET_PREFIX[0],
        FLEET_PREFIX[1],
        FLEET_PREFIX[2],
        id[0],
        id[1],
        id[2],
        id[3],
        kind,
    ])
}

/// The keys `dccsim serve` runs with: the ZAZ1 test PKI's GBCS keys (users, the ACB) and the
/// virtual fleet's, derived from the seed (the generated premises and the RTDS meter).
pub fn keys(seed: u64) -> Result<crate::protocol::gbcs::KeyStore, crate::protocol::gbcs::KeyError> {
    let mut keys = crate::protocol::gbcs::KeyStore::default();
    keys.add_zaz1(super::run::ZAZ1_KEYSTORE)?;
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_be_bytes());
    keys.derive_fleet(&FLEET_PREFIX, bytes);
    keys.derive_fleet(&RTDS_ESME.0, bytes);
    keys.derive_fleet(&RTDS_GSME.0, bytes);
    keys.derive_fleet(&RTDS_GPF.0, bytes);
    keys.derive_fleet(&RTDS_HUB.0, bytes);
    keys.derive_fleet(&RTDS_PPMID.0, bytes);
    keys.derive_fleet(&RTDS_HCALCS.0, bytes);
    // The key-agreement certificates the RTDS's method C joins (CS03C) carry: the PPMID
    // `…90-98`'s, given the gas meter it joins, and the gas meter `…90-94`'s, given the PPMID.
    let rtds = |last: u8| Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, last]);
    for (eui, file, pem) in [
        (
            rtds(0x98),
            "data/rtds-certificates/00db123456789098-ka.pem",
            include_str!("../../data/rtds-certificates/00db123456789098-ka.pem"),
        ),
        (
            rtds(0x94),
            "data/rtds-certificates/00db123456789094-ka.pem",
            include_str!("../../data/rtds-certificates/00db123456789094-ka.pem"),
        ),
    ] {
        use crate::protocol::gbcs::{KeyError, KeyUse};
        keys.insert_certificate(eui, KeyUse::KeyAgreement, pem)
            .map_err(|reason| KeyError::File {
                path: file.into(),
                reason,
            })?;
    }
    Ok(keys)
}

/// The ZAZ1 test organisations as DCC users.
pub fn users() -> Vec<User> {
    let user = |eui, name: &str, roles: Vec<Role>| User {
        eui,
        name: name.to_string(),
        roles,
    };
    vec![
        user(
            SUPPLIER,
            "supplier",
            vec![
                Role::ImportSupplier,
                Role::ExportSupplier,
                Role::GasSupplier,
            ],
        ),
        user(
            SUPPLIER_2,
            "supplier 2",
            vec![
                Role::ImportSupplier,
                Role::ExportSupplier,
                Role::GasSupplier,
            ],
        ),
        user(
            NETWORK_OPERATOR,
            "network operator",
            vec![Role::ElectricityDistributor, Role::GasTransporter],
        ),
        user(OTHER_USER, "other user", vec![Role::OtherUser]),
        user(
            METER_DATA_RETRIEVER,
            "meter data retriever",
            vec![Role::MeterDataRetriever],
        ),
    ]
}

/// Up to `count` electricity meters of a default fleet of `premises` premises that `user` may
/// read: a supplier's (the RTDS supplier holds the even premises, supplier 2 the odd ones), or,
/// for the network operator, any premises'. `None` for a user who is neither.
pub fn meters_read_by(user: Eui64, count: u32, premises: u32) -> Option<Vec<Eui64>> {
    let (held, premises_of): (u32, Box<dyn Fn(u32) -> u32>) = match user {
        SUPPLIER => (premises.div_ceil(2), Box::new(|i| i * 2)),
        SUPPLIER_2 => (premises / 2, Box::new(|i| i * 2 + 1)),
        NETWORK_OPERATOR => (premises, Box::new(|i| i)),
        _ => return None,
    };
    Some(
        (0..count.min(held))
            .map(|i| premises_device(premises_of(i), ESME_KIND))
            .collect(),
    )
}

/// The WAN links by region: long-range radio in the North, cellular in Central and South.
pub fn wan() -> BTreeMap<CspRegion, WanLink> {
    let link = |median, p99| WanLink {
        latency: Latency::LogNormal { median, p99 },
        loss: 0.002,
        timeout: Duration::seconds(60),
    };
    BTreeMap::from([
        (CspRegion::North, link(2_500_000, 12_000_000)),
        (CspRegion::Central, link(900_000, 4_000_000)),
        (CspRegion::South, link(900_000, 4_000_000)),
    ])
}

/// The WAN at zero delay, without loss: the head-end's own capacity shows.
pub fn zero_wan() -> BTreeMap<CspRegion, WanLink> {
    let link = WanLink {
        latency: Latency::Fixed(0),
        loss: 0.0,
        timeout: Duration::seconds(60),
    };
    [CspRegion::North, CspRegion::Central, CspRegion::South]
        .into_iter()
        .map(|r| (r, link.clone()))
        .collect()
}

/// Credit a prepayment meter of the generated fleet starts with.
const PREPAYMENT_CREDIT_PENCE: i64 = 500;

/// Whether premises `i` pays in advance: one in seven, about GB's share of prepayment meters.
fn prepaid(i: u32) -> bool {
    i % 7 == 3
}

/// A generated fleet: `premises` electricity meters with their comms hubs across the fourteen
/// GSP groups (so all three regions), supplied by the two test suppliers in turn, plus the RTDS
/// test meter supplied by the RTDS supplier. Meters were installed 30 to 400 days before `now`.
/// One premises in seven, and the RTDS meters, are in prepayment mode with £5 of credit.
pub fn fleet(premises: u32, seed: u64, now: DateTime<Utc>) -> (Registry, Vec<Esme>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut registry = Registry::default();
    let mut meters = Vec::with_capacity(premises as usize + 1);
    let add = |registry: &mut Registry,
               meters: &mut Vec<Esme>,
               rng: &mut ChaCha8Rng,
               esme: Eui64,
               hub: Eui64,
               mpan: Mpan,
               gsp: GspGroup,
               supplier: Eui64,
               prepayment: bool| {
        let installed = now - Duration::days(rng.random_range(30..=400));
        let mut consumer = Consumer::generate(rng);
        if esme == RTDS_ESME {
            // The RTDS meter exports, so the RTDS export templates (4.6.2, 4.8.3) read values.
            consumer.solar_peak_w = 3_000;
        }
        for (device, device_type) in [(esme, DeviceType::Esme), (hub, DeviceType::Chf)] {
            let mut r = record(device, device_type, None, hub, gsp, supplier);
            if device_type == DeviceType::Esme {
                r.meter_point = Some(MeterPoint::Mpan(mpan.to_string()));
                // A meter with microgeneration has an export MPAN, here with the same supplier.
                r.export_supplier = (consumer.solar_peak_w > 0).then_some(supplier);
            }
            registry.insert(r);
        }
        let mut meter = Esme::new(esme, consumer, installed);
        // Configured at installation with its MPANs; an export one beside the import, in the
        // same distribution area.
        meter.mpans.import = Some(mpan.into());
        if meter.consumer.solar_peak_w > 0 {
            meter.mpans.export = Some(mpan.export_twin().into());
        }
        if prepayment {
            meter.set_prepayment(PREPAYMENT_CREDIT_PENCE, now);
        }
        meters.push(meter);
    };
    let rtds_mpan = Mpan::from_prefix(140_000_000_000).expect("12-digit prefix");
    add(
        &mut registry,
        &mut meters,
        &mut rng,
        RTDS_ESME,
        RTDS_HUB,
        rtds_mpan,
        GspGroup::E,
        SUPPLIER,
        true,
    );
    for i in 0..premises {
        let gsp = GspGroup::ALL[i as usize % GspGroup::ALL.len()];
        let eui = |kind: u8| premises_device(i, kind);
        let prefix = u64::from(gsp.distributor_id()) * 10_000_000_000 + u64::from(i);
        let mpan = Mpan::from_prefix(prefix).expect("12-digit prefix");
        let supplier = if i % 2 == 0 { SUPPLIER } else { SUPPLIER_2 };
        add(
            &mut registry,
            &mut meters,
            &mut rng,
            eui(ESME_KIND),
            eui(CHF_KIND),
            mpan,
            gsp,
            supplier,
            prepaid(i),
        );
    }
    (registry, meters)
}

/// A commissioned device of the generated fleet, registered since 2020 to `supplier`.
fn record(
    device: Eui64,
    device_type: DeviceType,
    meter_point: Option<MeterPoint>,
    comms_hub: Eui64,
    gsp: GspGroup,
    supplier: Eui64,
) -> DeviceRecord {
    DeviceRecord {
        device,
        device_type,
        meter_point,
        comms_hub,
        status: SmiStatus::Commissioned,
        network_operator: NETWORK_OPERATOR,
        gsp_group: gsp,
        csp_region: gsp.csp_region(),
        protocol: "GBCS".into(),
        supply: vec![SupplyPeriod {
            supplier,
            from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date"),
            to: None,
        }],
        export_supplier: None,
    }
}

/// The gas side of the generated fleet: every even-numbered premises of [`fleet`] also has a gas
/// meter and its hub's gas proxy function (supplied by the premises' supplier), and the RTDS test
/// gas meter and GPF are there, supplied by the RTDS supplier. Returns the registry records to add
/// and the virtual gas meters.
pub fn gas_fleet(
    premises: u32,
    seed: u64,
    now: DateTime<Utc>,
) -> (Vec<DeviceRecord>, Vec<crate::device::GasMeter>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6A5);
    let mut records = Vec::new();
    let mut meters = Vec::new();
    let mut add = |gsme: Eui64,
                   gpf: Eui64,
                   hub: Eui64,
                   mprn: String,
                   gsp: GspGroup,
                   supplier,
                   prepayment: bool| {
        // The gas proxy function serves the same meter point as its gas meter (the registry
        // requires both to name it).
        for (device, device_type) in [(gsme, DeviceType::Gsme), (gpf, DeviceType::Gpf)] {
            let point = Some(MeterPoint::Mprn(mprn.clone()));
            records.push(record(device, device_type, point, hub, gsp, supplier));
        }
        // Gas demand for heating and hot water: about 11,500 kWh a year, domestic in shape.
        let mut consumer = Consumer::generate(&mut rng);
        consumer.kind = crate::device::CustomerType::Domestic;
        consumer.solar_peak_w = 0;
        consumer.annual_wh = rng.random_range(6_000_000..=18_000_000);
        let installed = now - Duration::days(rng.random_range(30..=400));
        let mut meter = crate::device::GasMeter::new(gsme, gpf, consumer, installed);
        meter.mprn = Some(mprn.into());
        if prepayment {
            meter.set_prepayment(PREPAYMENT_CREDIT_PENCE, now);
        }
        meters.push(meter);
    };
    add(
        RTDS_GSME,
        RTDS_GPF,
        RTDS_HUB,
        "1234567".into(),
        GspGroup::E,
        SUPPLIER,
        true,
    );
    for i in (0..premises).step_by(2) {
        // Even-numbered premises are the test supplier's (see `fleet`).
        let gsp = GspGroup::ALL[i as usize % GspGroup::ALL.len()];
        let supplier = SUPPLIER;
        add(
            premises_device(i, GSME_KIND),
            premises_device(i, GPF_KIND),
            premises_device(i, CHF_KIND),
            format!("{}", 70_000_000 + u64::from(i)),
            gsp,
            supplier,
            prepaid(i),
        );
    }
    (records, meters)
}

/// The whole default fleet: [`fleet`]'s electricity side and [`gas_fleet`]'s gas side in one
/// registry, with the virtual meters of each.
pub fn full_fleet(
    premises: u32,
    seed: u64,
    now: DateTime<Utc>,
) -> (Registry, Vec<Esme>, Vec<crate::device::GasMeter>) {
    let (mut registry, mut meters) = fleet(premises, seed, now);
    let (records, mut gas) = gas_fleet(premises, seed, now);
    for record in records {
        registry.insert(record);
    }
    rtds_home_area_network(&mut registry, &mut meters, &mut gas);
    (registry, meters, gas)
}

/// The RTDS premises' home area network, as the RTDS join vectors (8.7, 8.8, 8.9) show it: its
/// prepayment display (`…90-A4`) and auxiliary load switch (`…90-A5`); the devices they and
/// the meters are asked to join, in the inventory — a load switch (`…90-9A`), a display
/// (`…90-98`), and an electricity meter (`…90-93`), a gas meter (`…90-94`) and a gas proxy
/// function (`…90-9C`) being installed — and the meters' device logs holding what the RTDS
/// unjoins and reads back: the gas meter's the proxy functions `01-02-…-08` and `…90-99` and
/// the display `…90-97`, the electricity meter's `…90-99` (the display's is
/// [`rtds_han_devices`]'); and the withdrawn comms hub the RTDS hub replaced (`…90-95`, 8.12.1).
fn rtds_home_area_network(
    registry: &mut Registry,
    meters: &mut [Esme],
    gas: &mut [crate::device::GasMeter],
) {
    use crate::protocol::gbcs::join::{DeviceLog, HanType, LogEntry};
    let rtds = |last: u8| Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, last]);
    let mprn = || Some(MeterPoint::Mprn("1234567".into()));
    let mpan = registry
        .device(RTDS_ESME)
        .and_then(|d| d.meter_point.clone());
    let installing = SmiStatus::InstalledNotCommissioned;
    for (device, device_type, meter_point, status) in [
        (RTDS_OLD_HUB, DeviceType::Chf, None, SmiStatus::Withdrawn),
        (RTDS_PPMID, DeviceType::Ppmid, None, SmiStatus::Commissioned),
        (
            RTDS_HCALCS,
            DeviceType::Hcalcs,
            None,
            SmiStatus::Commissioned,
        ),
        (
            rtds(0x9A),
            DeviceType::Hcalcs,
            None,
            SmiStatus::Commissioned,
        ),
        (rtds(0x98), DeviceType::Ppmid, None, SmiStatus::Commissioned),
        (rtds(0x93), DeviceType::Esme, mpan, installing),
        (rtds(0x94), DeviceType::Gsme, mprn(), installing),
        (rtds(0x9C), DeviceType::Gpf, mprn(), installing),
    ] {
        // A hub is its own comms hub; the others are the RTDS hub's.
        let hub = if device_type == DeviceType::Chf {
            device
        } else {
            RTDS_HUB
        };
        let mut r = record(device, device_type, meter_point, hub, GspGroup::E, SUPPLIER);
        r.status = status;
        registry.insert(r);
    }
    let entry = |device, device_type| LogEntry {
        device,
        device_type,
    };
    let spare_proxy = entry(rtds(0x99), HanType::Gpf);
    if let Some(esme) = meters.iter_mut().find(|m| m.eui == RTDS_ESME) {
        esme.set_device_log(DeviceLog::new([spare_proxy]));
    }
    if let Some(gsme) = gas.iter_mut().find(|m| m.gsme == RTDS_GSME) {
        gsme.set_device_log(DeviceLog::new([
            entry(Eui64([1, 2, 3, 4, 5, 6, 7, 8]), HanType::Gpf),
            spare_proxy,
            entry(rtds(0x97), HanType::Ppmid),
        ]));
    }
}

/// Gives a virtual device to every device in the head-end's registry that has none — an
/// imported extract's, a delta's new installations — so that they answer as the generated
/// fleet's do: electricity meters, gas meters with their hub's gas proxy function, and comms
/// hubs (their device log the premises' devices). Each is drawn from `seed` and its own EUI-64,
/// so the same registry always gets the same devices, whatever order they come in; meters were
/// installed 30 to 400 days before `now`, in credit mode. Returns how many were added.
pub fn adopt_registry_devices(
    head_end: &mut crate::headend::HeadEnd,
    seed: u64,
    now: DateTime<Utc>,
) -> usize {
    let draw = |eui: Eui64| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ u64::from_be_bytes(eui.0) ^ 0xAD0B7);
        let installed = now - Duration::days(rng.random_range(30..=400));
        (Consumer::generate(&mut rng), installed)
    };
    let registry = head_end.registry();
    let missing = |d: &&DeviceRecord| !head_end.has_virtual_device(d.device);
    let mut meters = Vec::new();
    let mut gas = Vec::new();
    let mut hubs = Vec::new();
    let mut han = Vec::new();
    for d in registry.devices().filter(missing) {
        match d.device_type {
            DeviceType::Esme => {
                let (consumer, installed) = draw(d.device);
                let mut meter = Esme::new(d.device, consumer, installed);
                // Configured with the MPAN the registry has for it, and an export MPAN beside
                // it if it exports.
                if let Some(MeterPoint::Mpan(mpan)) = &d.meter_point
                    && let Ok(import) = mpan.parse::<Mpan>()
                {
                    meter.mpans.import = Some(import.into());
                    if d.export_supplier.is_some() {
                        meter.mpans.export = Some(import.export_twin().into());
                    }
                }
                meters.push(meter);
            }
            DeviceType::Gsme => {
                // A gas meter answers through its hub's gas proxy function.
                let gpf = registry
                    .at_hub(d.comms_hub)
                    .find(|g| {
                        g.device_type == DeviceType::Gpf && !head_end.has_virtual_device(g.device)
                    })
                    .map(|g| g.device);
                if let Some(gpf) = gpf {
                    let (mut consumer, installed) = draw(d.device);
                    consumer.kind = crate::device::CustomerType::Domestic;
                    consumer.solar_peak_w = 0;
                    let mut meter =
                        crate::device::GasMeter::new(d.device, gpf, consumer, installed);
                    meter.mprn = d.meter_point.as_ref().map(|p| p.to_string().into());
                    gas.push(meter);
                }
            }
            DeviceType::Chf => {
                let devices: Vec<Eui64> = registry
                    .at_hub(d.device)
                    .filter(|o| o.device != d.device)
                    .map(|o| o.device)
                    .collect();
                hubs.push(crate::device::CommsHub::new(d.device, &devices));
            }
            DeviceType::Ppmid => han.push(HanDevice::new(d.device, HanKind::Ppmid)),
            DeviceType::Hcalcs => han.push(HanDevice::new(d.device, HanKind::Hcalcs)),
            _ => {}
        }
    }
    let added = meters.len() + gas.len() + hubs.len() + han.len();
    // Their keys derive from the fleet seed, as the generated devices' do.
    let joined = meters
        .iter()
        .map(|m| m.eui)
        .chain(hubs.iter().map(|h| h.eui))
        .chain(han.iter().map(|h| h.eui));
    let joined: Vec<Eui64> = joined
        .chain(gas.iter().flat_map(|g| [g.gsme, g.gpf]))
        .collect();
    head_end.keys().join_fleet(joined);
    head_end.add_meters(meters);
    head_end.add_gas_meters(gas);
    head_end.add_hubs(hubs);
    head_end.add_han_devices(han);
    added
}

/// The default head-end over the whole default fleet (`premises`, `seed`, meters installed
/// before `now`) and `wan` (e.g. [`wan`]), its requests' signatures checked by
/// `check_signature`; what `dccsim serve` runs before any saved state is restored.
pub fn head_end(
    premises: u32,
    seed: u64,
    now: DateTime<Utc>,
    wan: BTreeMap<CspRegion, WanLink>,
    check_signature: crate::headend::SignatureCheck,
) -> Result<crate::headend::HeadEnd, crate::protocol::gbcs::KeyError> {
    let (registry, meters, gas) = full_fleet(premises, seed, now);
    let mut head_end = crate::headend::HeadEnd::new(
        crate::headend::ServiceMatrix::embedded(),
        registry,
        users(),
        meters,
        keys(seed)?,
        ACB,
        wan,
        check_signature,
        seed,
    );
    head_end.add_gas_meters(gas);
    head_end.add_hubs(hubs(premises));
    head_end.add_han_devices(rtds_han_devices());
    // The RTDS gas proxy is the DCC's, as its 6.21 vectors have it: its supplier's and network
    // operator's anchors hold the broker's keys until the supplier asks for them (6.21).
    {
        use crate::headend::{RECOVERY, TRANSITIONAL_COS};
        use crate::protocol::gbcs::credentials::Role;
        head_end.install_credentials(
            RTDS_GPF,
            &[
                (Role::Supplier, ACB),
                (Role::NetworkOperator, ACB),
                (Role::AccessControlBroker, ACB),
                (Role::Recovery, RECOVERY),
                (Role::TransitionalCos, TRANSITIONAL_COS),
            ],
        );
    }
    Ok(head_end)
}

/// The RTDS premises' prepayment display and load switch, the display's device log holding
/// the gas proxy `01-02-…-08` the RTDS unjoins from it.
pub fn rtds_han_devices() -> Vec<HanDevice> {
    use crate::protocol::gbcs::join::{DeviceLog, HanType, LogEntry};
    let mut display = HanDevice::new(RTDS_PPMID, HanKind::Ppmid);
    display.device_log = DeviceLog::new([LogEntry {
        device: Eui64([1, 2, 3, 4, 5, 6, 7, 8]),
        device_type: HanType::Gpf,
    }]);
    vec![display, HanDevice::new(RTDS_HCALCS, HanKind::Hcalcs)]
}

/// The comms hubs of the default fleet, each with its premises' meters in its device log (the
/// gas meter and its proxy at even-numbered premises, see [`gas_fleet`]), and the RTDS hub.
pub fn hubs(premises: u32) -> Vec<crate::device::CommsHub> {
    use crate::device::CommsHub;
    // The RTDS meters' install codes, as the RTDS's 8.9 security details and 8.12.1 restore
    // give them (the ZigBee specification's example code, its last byte varied); the old hub's
    // network its extended PAN ID as the restore has it.
    let rtds_codes = |hub: &mut CommsHub| {
        for e in &mut hub.device_log {
            let last = match e.device {
                RTDS_ESME => "06",
                RTDS_GSME => "05",
                _ => continue,
            };
            e.install_code = format!("83FED3407A939723A5C639B26916D5{last}");
        }
    };
    let mut rtds = CommsHub::new(RTDS_HUB, &[RTDS_ESME, RTDS_GSME, RTDS_GPF]);
    rtds_codes(&mut rtds);
    let mut old = CommsHub::new(RTDS_OLD_HUB, &[RTDS_ESME, RTDS_GSME]);
    rtds_codes(&mut old);
    old.extended_pan_id = Some(Box::new([0, 0, 0, 0, 0, 0, 0x01, 0x40]));
    let mut hubs = vec![rtds, old];
    hubs.extend((0..premises).map(|i| {
        let mut devices = vec![premises_device(i, ESME_KIND)];
        if i % 2 == 0 {
            devices.extend([premises_device(i, GSME_KIND), premises_device(i, GPF_KIND)]);
        }
        CommsHub::new(premises_device(i, CHF_KIND), &devices)
    }));
    hubs
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_default_fleet_covers_three_regions_and_is_seeded() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        let (registry, meters) = fleet(100, 1, now);
        assert_eq!(meters.len(), 101);
        assert_eq!(registry.len(), 202);
        for region in CspRegion::ALL {
            assert!(registry.devices().any(|d| d.csp_region == region));
        }
        let (again, _) = fleet(100, 1, now);
        assert_eq!(again, registry);
        assert_eq!(
            registry
                .device(RTDS_ESME)
                .unwrap()
                .supplier_on(now.date_naive()),
            Some(SUPPLIER)
        );
    }

    /// An imported registry's devices get virtual devices once, drawn from the seed and each
    /// EUI-64 (the same whatever else the registry holds), with keys derived as the fleet's.
    #[test]
    fn an_imported_registrys_devices_get_seeded_virtual_devices() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        let check = std::sync::Arc::new(|_: &str| Err("unchecked".to_string()));
        let imported = |premises: u32| {
            let mut he = head_end(0, 1, now, wan(), check.clone()).unwrap();
            // Another fleet's devices, as an extract would name them.
            let (other, _, _) = full_fleet(premises, 9, now);
            let mut registry = Registry::default();
            for d in other.devices() {
                let mut d = d.clone();
                d.device.0[0] = 0x11;
                d.comms_hub.0[0] = 0x11;
                registry.insert(d);
            }
            he.set_registry(registry);
            he
        };
        let mut he = imported(4);
        let eui = |i: u32, kind: u8| {
            let mut e = premises_device(i, kind);
            e.0[0] = 0x11;
            e
        };
        assert!(!he.has_virtual_device(eui(2, ESME_KIND)));
        // 6 electricity meters (the RTDS premises' two), 6 hubs (the RTDS premises' and the one
        // it replaced), 4 gas meters (the RTDS premises' two and two generated ones), and the
        // RTDS premises' 2 PPMIDs and 2 HCALCSs.
        assert_eq!(adopt_registry_devices(&mut he, 1, now), 20);
        assert_eq!(adopt_registry_devices(&mut he, 1, now), 0, "once");
        for kind in [ESME_KIND, CHF_KIND, GSME_KIND, GPF_KIND] {
            assert!(he.has_virtual_device(eui(2, kind)));
        }
        let keys = he.keys();
        assert!(
            keys.public_key(eui(2, ESME_KIND), crate::protocol::gbcs::KeyUse::Signing)
                .is_some()
        );
        // The same device whatever else was imported with it.
        let mut bigger = imported(6);
        adopt_registry_devices(&mut bigger, 1, now);
        let state = |he: &crate::headend::HeadEnd| {
            serde_json::to_string(he.meter(eui(2, ESME_KIND)).unwrap()).unwrap()
        };
        assert_eq!(state(&he), state(&bigger));
    }
}

#[cfg(test)]
mod load_targets {
    use super::{NETWORK_OPERATOR, SUPPLIER, SUPPLIER_2, fleet, meters_read_by};

    /// The meters `dccsim load` reads are ones a fleet of that many premises has, and the
    /// user's.
    #[test]
    fn a_users_meters_are_in_a_fleet_of_that_size() {
        let now = chrono::Utc::now();
        let (registry, _) = fleet(201, 1, now);
        for (user, n) in [(SUPPLIER, 101), (SUPPLIER_2, 100), (NETWORK_OPERATOR, 201)] {
            let meters = meters_read_by(user, 1000, 201).unwrap();
            assert_eq!(meters.len(), n);
            for m in meters {
                let d = registry.device(m).unwrap_or_else(|| panic!("{m}"));
                if user != NETWORK_OPERATOR {
                    assert_eq!(d.supplier_on(now.date_naive()), Some(user));
                }
            }
        }
        assert_eq!(meters_read_by(SUPPLIER, 10, 201).unwrap().len(), 10);
    }
}
