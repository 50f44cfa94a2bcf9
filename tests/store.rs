//! The head-end's SQLite state survives a restart: registry, counters (so a replay is refused
//! after a restart), the outbox of responses not yet delivered, schedules, held requests and the
//! transaction log.

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use dccsim::gateway::defaults;
use dccsim::gateway::store::{ChargingLine, LogEntry, LogKind, Store, Write};
use dccsim::headend::{Change, Delivery, Held};
use dccsim::model::Eui64;

/// An empty folder for one test's database, the database's path, and the test's "now".
fn fresh(name: &str) -> (PathBuf, PathBuf, DateTime<Utc>) {
    let dir = std::env::temp_dir().join(format!("dccsim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dccsim.sqlite");
    (
        dir,
        path,
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap(),
    )
}

#[test]
fn state_survives_reopening_the_database() {
    let (dir, path, now) = fresh("store");
    // The whole default fleet, gas included: what `dccsim serve` saves, it must read back.
    let (registry, _, _) = defaults::full_fleet(20, 1, now);
    let user = defaults::SUPPLIER;
    {
        let mut store = Store::open(&path).unwrap();
        assert!(store.registry().unwrap().is_none());
        store.save_registry(&registry).unwrap();
        store
            .save_counters(&[(user, 1_000), (defaults::NETWORK_OPERATOR, 7)])
            .unwrap();
        // A lower counter never overwrites a higher one.
        store.save_counters(&[(user, 10)]).unwrap();
        let queued = |id: u64| {
            Write::HeadEnd(Change::Queued(Delivery {
                id,
                user,
                due: now,
                xml: format!("<sr:Response>{id}</sr:Response>"),
            }))
        };
        let held = Held {
            id: 9,
            sender: user,
            at: now,
            xml: "<sr:Request/>".into(),
        };
        store
            .write([
                [queued(3), queued(4), queued(5)].as_slice(),
                &[
                    Write::HeadEnd(Change::Held(held.clone())),
                    Write::HeadEnd(Change::Held(Held { id: 10, ..held })),
                    Write::HeadEnd(Change::Released(10)),
                ],
                &[
                    Write::Delivered(4),
                    Write::Attempted {
                        id: 5,
                        first_tried: now,
                        attempts: 1,
                    },
                    Write::Log(vec![LogEntry {
                        at: now,
                        user,
                        request_id: format!("{user}:{}:1000", defaults::RTDS_ESME),
                        service: "4.8.1".into(),
                        code: "I99".into(),
                        kind: LogKind::Request,
                        bytes_in: 2_000,
                        bytes_out: 500,
                    }]),
                ],
            ])
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.registry().unwrap(), Some(registry));
    let mut counters = store.counters().unwrap();
    counters.sort();
    let other: Eui64 = defaults::NETWORK_OPERATOR;
    assert!(counters.contains(&(user, 1_000)));
    assert!(counters.contains(&(other, 7)));
    let outbox = store.outbox().unwrap();
    let ids: Vec<u64> = outbox.iter().map(|o| o.item.id).collect();
    assert_eq!(ids, [3, 5], "4 was delivered");
    assert_eq!(outbox[1].item.attempts, 1);
    assert_eq!(outbox[0].due, now);
    assert_eq!(
        store
            .held()
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect::<Vec<_>>(),
        [9]
    );
    // Ids are never given twice, even when their rows are gone.
    assert_eq!(store.sequence().unwrap(), 10);
    assert_eq!(store.log_len().unwrap(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A virtual meter's state survives a restart: after a read, the head-end hands over the meter's
/// state, the store keeps it, and a fresh head-end given it has the same meter — whose counters
/// still refuse the command it already carried out.
#[test]
fn device_state_survives_a_restart() {
    use dccsim::headend::{Endpoint, Request};
    let (dir, path, now) = fresh("devices");
    let head_end = || {
        let check = std::sync::Arc::new(|xml: &str| {
            Request::parse(xml)
                .map(|r| r.id.originator)
                .map_err(|e| e.to_string())
        });
        defaults::head_end(4, 2, now, defaults::wan(), check).unwrap()
    };
    let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/duis/rtds-templates");
    let mut first = head_end();
    for name in [
        "ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML",
        "GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML",
    ] {
        let xml = std::fs::read_to_string(templates.join(name)).unwrap();
        first.handle_request(defaults::SUPPLIER, Endpoint::SendCommand, &xml, now);
    }
    let states = first.take_device_states();
    assert_eq!(
        states.iter().map(|(e, _)| *e).collect::<Vec<_>>(),
        [defaults::RTDS_ESME, defaults::RTDS_GSME],
        "the two meters that answered"
    );
    assert!(first.take_device_states().is_empty(), "handed over once");
    {
        let mut store = Store::open(&path).unwrap();
        store.save_devices(&states).unwrap();
    }
    let store = Store::open(&path).unwrap();
    let saved = store.devices().unwrap();
    assert_eq!(saved, states);
    let mut second = head_end();
    let esme_before = serde_json::to_string(second.meter(defaults::RTDS_ESME).unwrap()).unwrap();
    for (eui, state) in &saved {
        second.restore_device_state(*eui, state).unwrap();
    }
    let esme_after = serde_json::to_string(second.meter(defaults::RTDS_ESME).unwrap()).unwrap();
    assert_ne!(
        esme_before, esme_after,
        "the fresh meter had not seen the command"
    );
    assert_eq!(esme_after, states[0].1);
    // A saved state that is another device's is refused, and changes nothing.
    let err = second
        .restore_device_state(defaults::RTDS_GSME, &states[0].1)
        .unwrap_err();
    assert!(err.contains(&defaults::RTDS_GSME.to_string()), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Users' inventory changes (8.3, 8.4) are kept as what was done, in order, on top of the saved
/// registry: a decommissioned meter is still decommissioned after a restart, a deleted device
/// still gone — and a registry delta applied meanwhile keeps its own changes to the same device
/// (only the field the user changed is changed). Folding them in empties the table; a whole
/// registry saved (an import) replaces them.
#[test]
fn inventory_changes_survive_a_restart() {
    use dccsim::headend::{InventoryChange, SmiStatus};
    let (dir, path, now) = fresh("store-inv");
    let (registry, _, _) = defaults::full_fleet(5, 1, now);
    let gone = registry
        .devices()
        .map(|d| d.device)
        .find(|d| *d != defaults::RTDS_ESME)
        .unwrap();
    let decommissioned = InventoryChange::Status {
        device: defaults::RTDS_ESME,
        status: SmiStatus::Decommissioned,
    };
    let removed = InventoryChange::Remove { device: gone };
    let mut expected = registry.clone();
    expected.apply(&decommissioned);
    expected.apply(&removed);
    {
        let mut store = Store::open(&path).unwrap();
        store.save_registry(&registry).unwrap();
        let write = |c: &InventoryChange| Write::HeadEnd(Change::Inventory(c.clone()));
        store
            .write([[write(&decommissioned)].as_slice(), &[write(&removed)]])
            .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.registry().unwrap().unwrap(), expected);
    assert_eq!(store.inventory_changes().unwrap(), 2);

    // A delta that moves the RTDS meter to another supplier, applied as `dccsim registry apply`
    // does: its record is the newer, whole (status included), and the changes it was made from
    // are taken in.
    let mut record = registry.device(defaults::RTDS_ESME).unwrap().clone();
    record.supply.truncate(1);
    record.supply[0].supplier = defaults::SUPPLIER_2;
    let mut moved = dccsim::headend::Registry::default();
    moved.insert(record);
    let delta = moved
        .to_csv()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("action,{l}")
            } else {
                format!("upsert,{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let delta_file = dir.join("delta.csv");
    std::fs::write(&delta_file, delta).unwrap();
    store
        .update_registry(|current| -> Result<_, Box<dyn std::error::Error>> {
            Ok(current.unwrap().with_delta(&delta_file)?)
        })
        .unwrap();
    assert_eq!(store.inventory_changes().unwrap(), 0, "taken in");
    // Each save moves the generation a running head-end watches (the first save was 1).
    assert_eq!(store.registry_generation().unwrap(), 2);
    let after = store.registry().unwrap().unwrap();
    let meter = after.device(defaults::RTDS_ESME).unwrap();
    assert_eq!(
        (meter.status, meter.supply[0].supplier),
        (SmiStatus::Commissioned, defaults::SUPPLIER_2)
    );
    assert!(after.device(gone).is_none());

    // A head-end still running on the registry it started with decommissions the meter: the
    // change is replayed on the new registry and changes the status only, not the supplier the
    // delta gave it. Folding it in empties the table.
    store
        .write([[Write::HeadEnd(Change::Inventory(decommissioned.clone()))].as_slice()])
        .unwrap();
    store.fold_inventory().unwrap();
    assert_eq!(store.inventory_changes().unwrap(), 0);
    let folded = store.registry().unwrap().unwrap();
    let meter = folded.device(defaults::RTDS_ESME).unwrap();
    assert_eq!(
        (meter.status, meter.supply[0].supplier),
        (SmiStatus::Decommissioned, defaults::SUPPLIER_2)
    );

    // An import replaces it all.
    store.save_registry(&registry).unwrap();
    assert_eq!(store.registry().unwrap().unwrap(), registry);
    assert_eq!(
        store.registry_snapshot().unwrap(),
        (4, Some(registry.clone()))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database with a small fleet's registry saved, two connections to it (as `registry apply`
/// and a running head-end have), and the RTDS meter's decommissioning to commit on the second.
fn two_connections(
    name: &str,
) -> (
    PathBuf,
    dccsim::headend::Registry,
    Store,
    Store,
    dccsim::headend::InventoryChange,
) {
    let (dir, path, now) = fresh(name);
    let (registry, _, _) = defaults::full_fleet(5, 1, now);
    let mut store = Store::open(&path).unwrap();
    store.save_registry(&registry).unwrap();
    let other = Store::open(&path).unwrap();
    let decommissioned = dccsim::headend::InventoryChange::Status {
        device: defaults::RTDS_ESME,
        status: dccsim::headend::SmiStatus::Decommissioned,
    };
    (dir, registry, store, other, decommissioned)
}

/// `update_registry` makes the new registry outside the write lock: a save by another
/// connection in between (another `registry apply`) is not overwritten — the change is made
/// again from the registry that save left, which has the inventory change a head-end committed
/// meanwhile.
#[test]
fn a_registry_saved_meanwhile_is_built_on_not_overwritten() {
    use dccsim::headend::{InventoryChange, SmiStatus};
    let (dir, registry, mut store, mut other, decommissioned) = two_connections("store-race");
    let mut devices = registry
        .devices()
        .map(|d| d.device)
        .filter(|d| *d != defaults::RTDS_ESME);
    let (first, second) = (devices.next().unwrap(), devices.next().unwrap());
    let mut calls = 0;
    store
        .update_registry(|current| -> Result<_, dccsim::gateway::store::StoreError> {
            calls += 1;
            if calls == 1 {
                // Another apply removes `first`; a head-end decommissions the RTDS meter.
                other
                    .update_registry(|r| {
                        let mut r = r.unwrap();
                        r.apply(&InventoryChange::Remove { device: first });
                        Ok::<_, dccsim::gateway::store::StoreError>(r)
                    })
                    .unwrap();
                other
                    .write([[Write::HeadEnd(Change::Inventory(decommissioned.clone()))].as_slice()])
                    .unwrap();
            }
            let mut r = current.unwrap();
            r.apply(&InventoryChange::Remove { device: second });
            Ok(r)
        })
        .unwrap();
    assert_eq!(calls, 2, "made again after the other save");
    let after = store.registry().unwrap().unwrap();
    assert!(after.device(first).is_none(), "the other save kept");
    assert!(after.device(second).is_none(), "this one made");
    assert_eq!(
        after.device(defaults::RTDS_ESME).unwrap().status,
        SmiStatus::Decommissioned
    );
    assert_eq!(store.registry_generation().unwrap(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An inventory change a running head-end commits between `update_registry`'s snapshot and its
/// write (no other save) stays beside the new registry and is replayed on it.
#[test]
fn a_change_committed_while_a_registry_is_made_is_kept() {
    use dccsim::headend::SmiStatus;
    let (dir, _, mut store, mut head_end, decommissioned) = two_connections("store-between");
    let mut calls = 0;
    store
        .update_registry(|current| -> Result<_, dccsim::gateway::store::StoreError> {
            calls += 1;
            head_end
                .write([[Write::HeadEnd(Change::Inventory(decommissioned.clone()))].as_slice()])
                .unwrap();
            Ok(current.unwrap())
        })
        .unwrap();
    assert_eq!(calls, 1, "no other save: made once");
    assert_eq!(store.inventory_changes().unwrap(), 1, "kept beside it");
    let meter = store.registry().unwrap().unwrap();
    assert_eq!(
        meter.device(defaults::RTDS_ESME).unwrap().status,
        SmiStatus::Decommissioned
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The charging report sums the log by month, user and service; a log saved before bytes were
/// counted (an older dccsim's database) is read as requests of no bytes.
#[test]
fn the_log_sums_by_month_user_and_service_and_older_logs_are_read() {
    let (dir, path, now) = fresh("charging");
    {
        // The log table as an older dccsim made it, with one request in it.
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE log (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT NOT NULL,
                 request_id TEXT NOT NULL, service TEXT NOT NULL, code TEXT NOT NULL);
             INSERT INTO log (at, user, request_id, service, code)
                 VALUES ('2026-10-31T23:59:59+00:00', '90-B3-D5-1F-30-01-00-00', 'x', '4.8.1', 'I99');",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    let (supplier, network) = (defaults::SUPPLIER, defaults::NETWORK_OPERATOR);
    let entry = |user, service: &str, code: &str, kind, bytes_in, bytes_out| LogEntry {
        at: now,
        user,
        request_id: String::new(),
        service: service.into(),
        code: code.into(),
        kind,
        bytes_in,
        bytes_out,
    };
    store
        .log(&[
            entry(supplier, "4.8.1", "I99", LogKind::Request, 2_000, 400),
            entry(supplier, "4.8.1", "E1", LogKind::Request, 2_000, 300),
            entry(supplier, "4.8.1", "I0", LogKind::Response, 0, 5_000),
            entry(network, "alert 8F36", "I0", LogKind::Alert, 0, 1_500),
        ])
        .unwrap();
    let line = |month: &str, user: Eui64, service: &str, n: [u64; 6]| ChargingLine {
        month: month.into(),
        user: user.to_string(),
        service: service.into(),
        requests: n[0],
        accepted: n[1],
        responses: n[2],
        alerts: n[3],
        bytes_in: n[4],
        bytes_out: n[5],
    };
    let november = [
        line("2026-11", supplier, "4.8.1", [2, 1, 1, 0, 4_000, 5_700]),
        line("2026-11", network, "alert 8F36", [0, 0, 0, 1, 0, 1_500]),
    ];
    assert_eq!(store.charging(None, Some("2026-11")).unwrap(), november);
    assert_eq!(
        store.charging(Some(supplier), None).unwrap(),
        [
            line("2026-10", supplier, "4.8.1", [1, 1, 0, 0, 0, 0]),
            november[0].clone(),
        ]
    );
    assert!(store.charging(None, Some("2026-12")).unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
