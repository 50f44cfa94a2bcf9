//! The head-end's SQLite state survives a restart: registry, counters (so a replay is refused
//! after a restart), undelivered responses and the transaction log.

use chrono::{TimeZone, Utc};
use dccsim::gateway::defaults;
use dccsim::gateway::store::{LogEntry, Store};
use dccsim::gateway::{DeliveryQueue, Item};
use dccsim::model::Eui64;

#[test]
fn state_survives_reopening_the_database() {
    let dir = std::env::temp_dir().join(format!("dccsim-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dccsim.sqlite");
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
    let (registry, _) = defaults::fleet(20, 1, now);
    let user = defaults::SUPPLIER;
    {
        let mut store = Store::open(&path).unwrap();
        assert!(store.registry(&dir.join("scratch.csv")).unwrap().is_none());
        store.save_registry(&registry).unwrap();
        store
            .save_counters(&[(user, 1_000), (defaults::NETWORK_OPERATOR, 7)])
            .unwrap();
        // A lower counter never overwrites a higher one.
        store.save_counters(&[(user, 10)]).unwrap();
        let mut q = DeliveryQueue::default();
        let id = q.push(user, "<sr:Response/>".into(), now);
        for item in q.poll_due(now) {
            q.handle_result(item.id, false, now);
        }
        let items: Vec<Item> = q.items().cloned().collect();
        assert_eq!(items[0].id, id);
        store.save_undelivered(&items).unwrap();
        store
            .log(&[LogEntry {
                at: now,
                user,
                request_id: format!("{user}:{}:1000", defaults::RTDS_ESME),
                service: "4.8.1".into(),
                code: "I99".into(),
            }])
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.registry(&dir.join("scratch.csv")).unwrap(),
        Some(registry)
    );
    let mut counters = store.counters().unwrap();
    counters.sort();
    let other: Eui64 = defaults::NETWORK_OPERATOR;
    assert!(counters.contains(&(user, 1_000)));
    assert!(counters.contains(&(other, 7)));
    let undelivered = store.undelivered().unwrap();
    assert_eq!(undelivered.len(), 1);
    assert_eq!(undelivered[0].attempts, 1);
    assert_eq!(store.log_len().unwrap(), 1);
}
