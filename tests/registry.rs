//! The mirrored registry and access control: an extract imports, a delta applies whole or not
//! at all with file and line, and each access rule refuses with its DUIS code.

use std::path::Path;

use chrono::NaiveDate;
use dccsim::headend::{Registry, ResponseCode, ServiceMatrix, SmiStatus, User, authorise};
use dccsim::model::{Eui64, Role};

const HEADER: &str = "mpxn,device_id,device_type,comms_hub_id,smi_status,supplier_id,supplier_from,supplier_to,network_operator_id,gsp_group,csp_region,protocol";

/// The RTDS ESME, supplied by the RTDS test supplier until mid-2026 and by another supplier
/// from then (a change of supply), and a gas meter of the same premises.
fn extract() -> String {
    format!(
        "{HEADER}
1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,2026-06-01,90-B3-D5-1F-30-02-00-00,_E,central,GBCS
1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-08,2026-06-01,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS
1234567,00-DB-12-34-56-78-90-A1,GSME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-03-00-00,_E,central,GBCS
,00-DB-12-34-56-78-90-A3,CHF,00-DB-12-34-56-78-90-A3,Commissioned,,,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS
"
    )
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A fresh folder per call, removed when dropped: tests run in parallel and must not share
/// files, nor leave them behind.
fn tmp(name: &str) -> Scratch {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("dccsim-registry-{name}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

struct Scratch(std::path::PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn eui(s: &str) -> Eui64 {
    s.parse().unwrap()
}

fn registry() -> Registry {
    let dir = tmp("import");
    Registry::import(&write(&dir, "extract.csv", &extract())).unwrap()
}

#[test]
fn an_extract_imports_and_writes_back_the_same() {
    let r = registry();
    assert_eq!(r.len(), 3);
    let esme = r.device(eui("00-DB-12-34-56-78-90-A0")).unwrap();
    assert_eq!(esme.supply.len(), 2);
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert_eq!(
        esme.supplier_on(day("2026-05-31")),
        Some(eui("90-B3-D5-1F-30-01-00-00"))
    );
    assert_eq!(
        esme.supplier_on(day("2026-06-01")),
        Some(eui("90-B3-D5-1F-30-01-00-08"))
    );
    let dir = tmp("roundtrip");
    let again = Registry::import(&write(&dir, "again.csv", &r.to_csv())).unwrap();
    assert_eq!(again, r);
}

#[test]
fn a_bad_delta_is_rejected_whole_with_file_and_line() {
    let r = registry();
    let dir = tmp("delta");
    let delta = format!(
        "action,{HEADER}
upsert,1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Suspended,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS
remove,,00-DB-12-34-56-78-90-A1,,,,,,,,,,
upsert,1400000000002,00-DB-12-34-56-78-90-A5,ESME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS
"
    );
    let path = write(&dir, "delta-1.csv", &delta);
    let err = r.with_delta(&path).unwrap_err();
    assert_eq!(err.line, 4);
    assert!(err.reason.contains("check digit"), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}:4:", path.display()))
    );
    // The good part of the file was not applied either.
    assert_eq!(
        r.device(eui("00-DB-12-34-56-78-90-A0")).unwrap().status,
        SmiStatus::Commissioned
    );

    let good = delta.lines().take(3).collect::<Vec<_>>().join("\n");
    let next = r.with_delta(&write(&dir, "delta-2.csv", &good)).unwrap();
    assert_eq!(next.len(), 2);
    let esme = next.device(eui("00-DB-12-34-56-78-90-A0")).unwrap();
    assert_eq!(esme.status, SmiStatus::Suspended);
    assert_eq!(esme.supply.len(), 1);
}

/// The optional export supplier column: an exporting meter's export supplier is read, written
/// back, and holds the ES role for it; only an ESME may have one; a file with the column must
/// say so in its header.
#[test]
fn an_export_supplier_is_registered_for_an_exporting_meter() {
    let dir = tmp("export");
    let header = format!("{HEADER},export_supplier_id");
    let text = format!(
        "{header}
1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS,90-B3-D5-1F-30-03-00-00
1234567,00-DB-12-34-56-78-90-A1,GSME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-03-00-00,_E,central,GBCS,
"
    );
    let r = Registry::import(&write(&dir, "extract.csv", &text)).unwrap();
    let esme = eui("00-DB-12-34-56-78-90-A0");
    assert_eq!(
        r.device(esme).unwrap().export_supplier,
        Some(eui("90-B3-D5-1F-30-03-00-00"))
    );
    assert_eq!(
        r.device(eui("00-DB-12-34-56-78-90-A1"))
            .unwrap()
            .export_supplier,
        None
    );
    let again = Registry::import(&write(&dir, "again.csv", &r.to_csv())).unwrap();
    assert_eq!(again, r);
    // 4.8.3 (export profile) is the export supplier's, not the import supplier's.
    let matrix = ServiceMatrix::embedded();
    let user = |e: &str| User {
        eui: eui(e),
        name: e.into(),
        roles: vec![Role::ImportSupplier, Role::ExportSupplier],
    };
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let export = "4.8.3".parse().unwrap();
    assert!(
        authorise(
            &matrix,
            &r,
            &user("90-B3-D5-1F-30-03-00-00"),
            esme,
            export,
            1,
            day
        )
        .is_ok()
    );
    let refused = authorise(
        &matrix,
        &r,
        &user("90-B3-D5-1F-30-01-00-00"),
        esme,
        export,
        1,
        day,
    )
    .unwrap_err();
    assert_eq!(refused.code, ResponseCode::E4, "{refused}");
    // A gas meter does not export.
    let gas = text.replace("GBCS,\n", "GBCS,90-B3-D5-1F-30-03-00-00\n");
    let err = Registry::import(&write(&dir, "gas.csv", &gas)).unwrap_err();
    assert_eq!(err.line, 3, "{err}");
    assert!(err.reason.contains("export_supplier_id"), "{err}");
    // Thirteen fields under a twelve-column header.
    let extra = format!(
        "{HEADER}\n1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,,,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS,90-B3-D5-1F-30-03-00-00\n"
    );
    let err = Registry::import(&write(&dir, "extra.csv", &extra)).unwrap_err();
    assert_eq!(err.line, 2, "{err}");
    assert!(err.reason.contains("13 fields; expected 12"), "{err}");
}

#[test]
fn broken_files_say_where() {
    let dir = tmp("broken");
    let cases = [
        ("wrong,header\n", 1, "header"),
        (
            &*format!(
                "{HEADER}\n1400000000001,00-DB,ESME,00-DB-12-34-56-78-90-A3,Commissioned,,,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS\n"
            ),
            2,
            "device_id",
        ),
        (
            &*format!(
                "{HEADER}\n1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,,,,90-B3-D5-1F-30-02-00-00,_E,north,GBCS\n"
            ),
            2,
            "central region",
        ),
        (
            &*format!(
                "{HEADER}\n1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-00,2020-01-01,2019-01-01,90-B3-D5-1F-30-02-00-00,_E,central,GBCS\n"
            ),
            2,
            "after supplier_from",
        ),
        (
            &*format!(
                "{HEADER}\n1400000000001,00-DB-12-34-56-78-90-A0,METER,00-DB-12-34-56-78-90-A3,Commissioned,,,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS\n"
            ),
            2,
            "device type",
        ),
        (
            &*format!(
                "{HEADER}\n1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,,,,90-B3-D5-1F-30-02-00-00,_Z,central,GBCS\n"
            ),
            2,
            "GSP group",
        ),
    ];
    for (i, (text, line, words)) in cases.iter().enumerate() {
        let err = Registry::import(&write(&dir, &format!("bad-{i}.csv"), text)).unwrap_err();
        assert_eq!(err.line, *line, "{err}");
        assert!(err.reason.contains(words), "{err}");
    }
    let overlap = format!(
        "{HEADER}
1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,2026-06-01,90-B3-D5-1F-30-02-00-00,_E,central,GBCS
1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-08,2026-05-01,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS
"
    );
    let err = Registry::import(&write(&dir, "overlap.csv", &overlap)).unwrap_err();
    assert_eq!(err.line, 3);
    assert!(err.reason.contains("overlaps"), "{err}");
}

#[test]
fn access_control_refuses_with_the_duis_code() {
    let matrix = ServiceMatrix::embedded();
    let registry = registry();
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let supplier = User {
        eui: eui("90-B3-D5-1F-30-01-00-00"),
        name: "supplier".into(),
        roles: vec![Role::ImportSupplier, Role::GasSupplier],
    };
    let network = User {
        eui: eui("90-B3-D5-1F-30-02-00-00"),
        name: "electricity network operator".into(),
        roles: vec![Role::ElectricityDistributor],
    };
    let esme = eui("00-DB-12-34-56-78-90-A0");
    let gsme = eui("00-DB-12-34-56-78-90-A1");
    let srv = |s: &str| s.parse().unwrap();
    let code = |r: Result<dccsim::headend::Authorised<'_>, dccsim::headend::Refusal>| {
        r.map(|a| a.role).map_err(|e| e.code)
    };

    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &supplier,
            esme,
            srv("4.8.1"),
            1,
            day
        )),
        Ok(Role::ImportSupplier)
    );
    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &supplier,
            gsme,
            srv("4.8.1"),
            1,
            day
        )),
        Ok(Role::GasSupplier)
    );
    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &network,
            esme,
            srv("4.8.1"),
            1,
            day
        )),
        Ok(Role::ElectricityDistributor)
    );
    // After the change of supply the old supplier has lost the meter.
    let later = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &supplier,
            esme,
            srv("4.8.1"),
            1,
            later
        )),
        Err(ResponseCode::E4)
    );
    // A network operator may not top up credit (2.2 is for suppliers).
    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &network,
            esme,
            srv("2.2"),
            1,
            day
        )),
        Err(ResponseCode::E2)
    );
    // The electricity network operator is not the gas transporter.
    let transporter = User {
        roles: vec![Role::GasTransporter],
        ..network.clone()
    };
    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &transporter,
            gsme,
            srv("4.8.1"),
            1,
            day
        )),
        Err(ResponseCode::E4)
    );
    // No such device; the wrong kind of device; the wrong command variant.
    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &supplier,
            eui("00-DB-00-00-00-00-00-09"),
            srv("4.8.1"),
            1,
            day
        )),
        Err(ResponseCode::E19)
    );
    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &supplier,
            gsme,
            srv("7.1"),
            4,
            day
        )),
        Err(ResponseCode::E11)
    );
    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &supplier,
            esme,
            srv("7.1"),
            1,
            day
        )),
        Err(ResponseCode::E12)
    );
    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &supplier,
            esme,
            srv("7.1"),
            4,
            day
        )),
        Ok(Role::ImportSupplier)
    );
    // A user with no role.
    let nobody = User {
        roles: vec![],
        ..supplier.clone()
    };
    assert_eq!(
        code(authorise(
            &matrix,
            &registry,
            &nobody,
            esme,
            srv("4.8.1"),
            1,
            day
        )),
        Err(ResponseCode::E1)
    );
    // A suspended device.
    let dir = tmp("suspended");
    let suspended = extract()
        .replace(
            "Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,2026",
            "Suspended,90-B3-D5-1F-30-01-00-00,2014-01-01,2026",
        )
        .replace(
            ",Commissioned,90-B3-D5-1F-30-01-00-08",
            ",Suspended,90-B3-D5-1F-30-01-00-08",
        );
    let suspended = Registry::import(&write(&dir, "s.csv", &suspended)).unwrap();
    assert_eq!(
        code(authorise(
            &matrix,
            &suspended,
            &supplier,
            esme,
            srv("4.8.1"),
            1,
            day
        )),
        Err(ResponseCode::E5)
    );
}

mod properties {
    use chrono::NaiveDate;
    use dccsim::headend::{
        DeviceRecord, DeviceType, MeterPoint, Registry, SmiStatus, SupplyPeriod,
    };
    use dccsim::model::{Eui64, GspGroup, Mpan};
    use proptest::prelude::*;

    fn record() -> impl Strategy<Value = DeviceRecord> {
        (
            any::<[u8; 8]>(),
            any::<[u8; 8]>(),
            0usize..14,
            0u64..1_000_000_000,
            proptest::collection::vec((any::<[u8; 8]>(), 1u32..500), 0..4),
            any::<bool>(),
        )
            .prop_map(|(device, hub, g, serial, periods, gas)| {
                let gsp = GspGroup::ALL[g];
                let prefix = u64::from(gsp.distributor_id()) * 10_000_000_000 + serial;
                let mut from = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
                let mut supply = Vec::new();
                let n = periods.len();
                for (k, (supplier, days)) in periods.into_iter().enumerate() {
                    let to = from + chrono::Duration::days(i64::from(days));
                    supply.push(SupplyPeriod {
                        supplier: Eui64(supplier),
                        from,
                        to: (k + 1 < n).then_some(to),
                    });
                    from = to;
                }
                DeviceRecord {
                    device: Eui64(device),
                    device_type: if gas {
                        DeviceType::Gsme
                    } else {
                        DeviceType::Esme
                    },
                    meter_point: Some(if gas {
                        MeterPoint::Mprn(format!("{}", 100_000 + serial % 1_000_000))
                    } else {
                        MeterPoint::Mpan(Mpan::from_prefix(prefix).unwrap().to_string())
                    }),
                    comms_hub: Eui64(hub),
                    status: SmiStatus::Commissioned,
                    network_operator: Eui64([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x02, 0, 0]),
                    gsp_group: gsp,
                    csp_region: gsp.csp_region(),
                    protocol: "GBCS".into(),
                    supply,
                    // Some electricity meters export, to the first test supplier.
                    export_supplier: (!gas && serial % 3 == 0)
                        .then_some(Eui64([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x01, 0, 0])),
                }
            })
    }

    proptest! {
        #[test]
        fn an_extract_written_then_read_is_the_same_registry(records in proptest::collection::vec(record(), 0..20)) {
            let mut registry = Registry::default();
            // A meter point has one commissioned meter of a kind, as an import checks: a
            // second the strategy happens to draw for one is left out.
            let mut held = std::collections::HashSet::new();
            for r in records {
                if held.insert(format!("{:?} {:?}", r.device_type, r.meter_point)) {
                    registry.insert(r);
                }
            }
            let dir = super::tmp("prop");
            let path = super::write(&dir, "extract.csv", &registry.to_csv());
            prop_assert_eq!(Registry::import(&path).unwrap(), registry);
        }

        /// The lookups by comms hub and by meter point find what a search of every record
        /// finds, whatever was inserted, removed and re-pointed.
        #[test]
        fn the_indexes_agree_with_a_search(
            records in proptest::collection::vec(record(), 1..12),
            removed in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
            moved in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        ) {
            let mut registry = Registry::default();
            for r in records {
                registry.insert(r);
            }
            let euis: Vec<_> = registry.devices().map(|d| d.device).collect();
            for i in removed {
                registry.remove(euis[i.index(euis.len())]);
            }
            let points: Vec<_> = registry.devices().filter_map(|d| d.meter_point.clone()).collect();
            for (n, i) in moved.iter().enumerate() {
                if let Some(point) = points.get(n % points.len().max(1)) {
                    let device = euis[i.index(euis.len())];
                    registry.apply(&dccsim::headend::InventoryChange::MeterPoint { device, point: point.clone() });
                }
            }
            let all: Vec<_> = registry.devices().cloned().collect();
            for d in &all {
                let hub: Vec<_> = registry.at_hub(d.comms_hub).map(|r| r.device).collect();
                let searched: Vec<_> = all
                    .iter()
                    .filter(|r| {
                        r.comms_hub == d.comms_hub
                            || (r.device == d.comms_hub && r.device_type == dccsim::headend::DeviceType::Chf)
                    })
                    .map(|r| r.device)
                    .collect();
                prop_assert_eq!(hub, searched);
                if let Some(point) = &d.meter_point {
                    let found: Vec<_> = registry.at_meter_point(&point.to_string()).map(|r| r.device).collect();
                    let searched: Vec<_> = all
                        .iter()
                        .filter(|r| r.meter_point.as_ref() == Some(point))
                        .map(|r| r.device)
                        .collect();
                    prop_assert_eq!(found, searched);
                }
            }
        }

        #[test]
        fn arbitrary_delta_text_is_applied_whole_or_refused(text in ".{0,400}") {
            let registry = super::registry();
            let dir = super::tmp("fuzzish");
            let path = super::write(&dir, "delta.csv", &text);
            if let Err(e) = registry.with_delta(&path) {
                prop_assert!(e.line <= text.lines().count().max(1));
            }
        }
    }
}

/// A delta may not make a comms hub something else while devices still hang off it; a
/// registry the state database saved loads whatever rules a file from outside is held to now.
#[test]
fn a_hub_stays_a_hub_while_devices_hang_off_it() {
    let dir = tmp("hub-stays");
    let text = extract();
    let r = Registry::import(&write(&dir, "extract.csv", &text)).unwrap();
    let hub_row = text
        .lines()
        .find(|l| l.contains(",CHF,"))
        .expect("the extract has a hub");
    let delta = format!(
        "action,{HEADER}\nupsert,{}\n",
        hub_row.replacen(",CHF,", ",IHD,", 1)
    );
    let err = r
        .with_delta(&write(&dir, "delta.csv", &delta))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("delta.csv:2: device_type:") && err.contains("so must stay a CHF"),
        "{err}"
    );
    // A meter saved hanging off its gas proxy (the old README's example) still loads.
    let saved = format!(
        "{HEADER}\n1400000000001,00-DB-12-34-56-78-90-A0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS\n\
1234567,00-DB-12-34-56-78-90-A3,GPF,00-DB-12-34-56-78-90-A2,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-03-00-00,_E,central,GBCS\n"
    );
    assert!(Registry::import_text(std::path::Path::new("x.csv"), &saved).is_err());
    assert_eq!(
        Registry::from_saved(std::path::Path::new("saved"), &saved)
            .unwrap()
            .len(),
        2
    );
}

/// A meter point has one commissioned meter of each kind: a second commissioned ESME on an MPAN
/// is refused, naming both rows, in an extract and in a delta (the other then in the
/// registry); a replaced meter, decommissioned, keeps its MPAN beside its successor's; a gas
/// meter and its hub's gas proxy share their MPRN. The embedded default fleet, written as an
/// extract, imports.
#[test]
fn a_meter_point_has_one_commissioned_meter_of_each_kind() {
    let dir = tmp("one-meter");
    let second = "1400000000001,00-DB-12-34-56-78-90-B0,ESME,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-02-00-00,_E,central,GBCS";
    let text = format!("{}{second}\n", extract());
    let err = Registry::import(&write(&dir, "extract.csv", &text))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("extract.csv:6: mpxn: 1400000000001 is already the meter point of commissioned ESME 00-DB-12-34-56-78-90-A0 (line 2)"),
        "{err}"
    );
    // Its predecessor decommissioned: both kept.
    let replaced = text.replace(
        "ESME,00-DB-12-34-56-78-90-A3,Commissioned",
        "ESME,00-DB-12-34-56-78-90-A3,Decommissioned",
    );
    let replaced = replaced.replace(
        "B0,ESME,00-DB-12-34-56-78-90-A3,Decommissioned",
        "B0,ESME,00-DB-12-34-56-78-90-A3,Commissioned",
    );
    let r = Registry::import(&write(&dir, "replaced.csv", &replaced)).unwrap();
    assert_eq!(r.at_meter_point("1400000000001").count(), 2);
    // A delta bringing in a second commissioned meter is refused whole.
    let delta = format!("action,{HEADER}\nupsert,{second}\n");
    let err = registry()
        .with_delta(&write(&dir, "delta.csv", &delta))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("delta.csv:2: mpxn: 1400000000001 is already the meter point of commissioned ESME 00-DB-12-34-56-78-90-A0 (in the registry)"),
        "{err}"
    );
    // A gas meter and its proxy share the MPRN.
    let gpf = "1234567,00-DB-12-34-56-78-90-A2,GPF,00-DB-12-34-56-78-90-A3,Commissioned,90-B3-D5-1F-30-01-00-00,2014-01-01,,90-B3-D5-1F-30-03-00-00,_E,central,GBCS";
    let with_gpf = format!("{}{gpf}\n", extract());
    assert!(Registry::import(&write(&dir, "gpf.csv", &with_gpf)).is_ok());
    let now = chrono::Utc::now();
    let (fleet, _, _) = dccsim::gateway::defaults::full_fleet(2000, 7, now);
    let csv = fleet.to_csv();
    assert_eq!(
        Registry::import(&write(&dir, "default.csv", &csv))
            .unwrap()
            .len(),
        fleet.len()
    );
}
