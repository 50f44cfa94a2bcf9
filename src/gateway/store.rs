//! What the head-end keeps across restarts, in an embedded SQLite database (`dccsim.sqlite` in
//! the state folder): the registry (with the inventory changes users make), each user's last
//! accepted request counter (so a replay is refused after a restart too), undelivered responses,
//! the premises off supply and the transaction log. Every change is one transaction.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::delivery::Item;
use crate::headend::outages::Off;
use crate::headend::{Change, Held, InventoryChange, Registry, Schedule};
use crate::model::Eui64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("state database holds a bad value: {0}")]
    Bad(String),
    #[error("state database: {0}")]
    Contended(String),
}

/// One line of the transaction log, what a user is charged on: a request and the synchronous
/// answer to it, or a response or alert delivered to the user's Receive Response Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub at: DateTime<Utc>,
    pub user: Eui64,
    /// The request's RequestID (for a scheduled read's answer or an alert, its ResponseID).
    pub request_id: String,
    /// The service reference variant; for a device alert, `alert` and its code.
    pub service: String,
    /// The DUIS response code: the synchronous one for a request, else the delivered one's.
    pub code: String,
    pub kind: LogKind,
    /// Bytes the user sent (a request's body).
    pub bytes_in: u64,
    /// Bytes sent to the user: the synchronous answer, or the response or alert delivered.
    pub bytes_out: u64,
}

/// What a transaction log line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Request,
    Response,
    Alert,
}

impl LogKind {
    pub fn name(self) -> &'static str {
        match self {
            LogKind::Request => "request",
            LogKind::Response => "response",
            LogKind::Alert => "alert",
        }
    }
}

/// One line of a charging report: a month's traffic of one user for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargingLine {
    /// `YYYY-MM`.
    pub month: String,
    pub user: String,
    pub service: String,
    pub requests: u64,
    /// Requests answered I0 or I99 (the others were refused).
    pub accepted: u64,
    /// Responses delivered (asynchronous: a device's answer, a scheduled read's).
    pub responses: u64,
    pub alerts: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// One change to the saved state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// A change the head-end journalled.
    HeadEnd(Change),
    /// An outbox item was delivered, or expired: forget it.
    Delivered(u64),
    /// An outbox item's failed attempts so far.
    Attempted {
        id: u64,
        first_tried: DateTime<Utc>,
        attempts: u32,
    },
    /// Devices' state (JSON) after commands.
    Devices(Vec<(Eui64, String)>),
    /// Transaction log entries.
    Log(Vec<LogEntry>),
}

/// Saves a device's state (JSON), replacing what was saved.
fn save_device(tx: &Connection, eui: Eui64, state: &str) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO devices (eui, state) VALUES (?1, ?2)
         ON CONFLICT(eui) DO UPDATE SET state = excluded.state",
    )?
    .execute(params![eui.to_string(), state])?;
    Ok(())
}

/// A response or alert not yet delivered, as saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub item: Item,
    pub due: DateTime<Utc>,
}

pub struct Store {
    db: Connection,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Connection::open(path)?;
        // WAL with synchronous = NORMAL: a committed batch survives the process being killed
        // (the operating system holds it); only a power cut may lose the last batches.
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS registry (id INTEGER PRIMARY KEY CHECK (id = 1), extract TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS inventory (seq INTEGER PRIMARY KEY AUTOINCREMENT, change TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS counters (user TEXT PRIMARY KEY, counter INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS devices (eui TEXT PRIMARY KEY, state TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, user TEXT NOT NULL, xml TEXT NOT NULL,
                 due TEXT NOT NULL, first_tried TEXT, attempts INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS schedules (id INTEGER PRIMARY KEY, state TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS held (id INTEGER PRIMARY KEY, state TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS outages (hub TEXT PRIMARY KEY, state TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT NOT NULL,
                 request_id TEXT NOT NULL, service TEXT NOT NULL, code TEXT NOT NULL,
                 kind TEXT NOT NULL DEFAULT 'request', bytes_in INTEGER NOT NULL DEFAULT 0,
                 bytes_out INTEGER NOT NULL DEFAULT 0);",
        )?;
        add_log_columns(&db)?;
        Ok(Store { db })
    }

    /// Applies batches of writes in one transaction, in order.
    pub fn write<'a>(
        &mut self,
        batches: impl IntoIterator<Item = &'a [Write]>,
    ) -> Result<(), StoreError> {
        // BEGIN and COMMIT as cached statements: a transaction per group commit, thousands a
        // second, should not parse its SQL each time (rusqlite's `transaction()` does).
        self.db.prepare_cached("BEGIN")?.execute([])?;
        let committed = self.apply(batches).and_then(|()| {
            self.db.prepare_cached("COMMIT")?.execute([])?;
            Ok(())
        });
        if committed.is_err() {
            // Nothing of a failed batch stays (and the connection is ready for the next).
            let _ = self.db.execute_batch("ROLLBACK");
        }
        committed
    }

    fn apply<'a>(&self, batches: impl IntoIterator<Item = &'a [Write]>) -> Result<(), StoreError> {
        let tx = &self.db;
        let json = |e: serde_json::Error| StoreError::Bad(e.to_string());
        for write in batches.into_iter().flatten() {
            match write {
                Write::HeadEnd(Change::Counter { user, counter }) => {
                    tx.prepare_cached(
                        "INSERT INTO counters (user, counter) VALUES (?1, ?2)
                         ON CONFLICT(user) DO UPDATE SET counter = MAX(counter, excluded.counter)",
                    )?
                    .execute(params![user.to_string(), *counter as i64])?;
                }
                Write::HeadEnd(Change::Queued(d)) => {
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO outbox (id, user, xml, due, first_tried, attempts)
                         VALUES (?1, ?2, ?3, ?4, NULL, 0)",
                    )?
                    .execute(params![
                        d.id as i64,
                        d.user.to_string(),
                        d.xml,
                        d.due.to_rfc3339()
                    ])?;
                    bump_sequence(tx, d.id)?;
                }
                Write::HeadEnd(Change::Schedule(s)) => {
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO schedules (id, state) VALUES (?1, ?2)",
                    )?
                    .execute(params![
                        s.id as i64,
                        serde_json::to_string(s).map_err(json)?
                    ])?;
                }
                Write::HeadEnd(Change::ScheduleRemoved(id)) => {
                    tx.prepare_cached("DELETE FROM schedules WHERE id = ?1")?
                        .execute(params![*id as i64])?;
                }
                Write::HeadEnd(Change::Held(h)) => {
                    tx.prepare_cached("INSERT OR REPLACE INTO held (id, state) VALUES (?1, ?2)")?
                        .execute(params![
                            h.id as i64,
                            serde_json::to_string(h).map_err(json)?
                        ])?;
                    bump_sequence(tx, h.id)?;
                }
                Write::HeadEnd(Change::Inventory(change)) => {
                    tx.prepare_cached("INSERT INTO inventory (change) VALUES (?1)")?
                        .execute(params![serde_json::to_string(change).map_err(json)?])?;
                }
                Write::HeadEnd(Change::Released(id)) => {
                    tx.prepare_cached("DELETE FROM held WHERE id = ?1")?
                        .execute(params![*id as i64])?;
                }
                Write::HeadEnd(Change::SupplyOff(off)) => {
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO outages (hub, state) VALUES (?1, ?2)",
                    )?
                    .execute(params![
                        off.hub.to_string(),
                        serde_json::to_string(off).map_err(json)?
                    ])?;
                }
                Write::HeadEnd(Change::DeviceState { eui, state }) => {
                    save_device(tx, *eui, state)?;
                }
                Write::HeadEnd(Change::SupplyBack(hub)) => {
                    tx.prepare_cached("DELETE FROM outages WHERE hub = ?1")?
                        .execute(params![hub.to_string()])?;
                }
                Write::Delivered(id) => {
                    tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?
                        .execute(params![*id as i64])?;
                }
                Write::Attempted {
                    id,
                    first_tried,
                    attempts,
                } => {
                    tx.prepare_cached(
                        "UPDATE outbox SET first_tried = ?2, attempts = ?3 WHERE id = ?1",
                    )?
                    .execute(params![
                        *id as i64,
                        first_tried.to_rfc3339(),
                        attempts
                    ])?;
                }
                Write::Devices(devices) => {
                    for (eui, state) in devices {
                        save_device(tx, *eui, state)?;
                    }
                }
                Write::Log(entries) => {
                    for e in entries {
                        tx.prepare_cached(
                            "INSERT INTO log (at, user, request_id, service, code, kind, bytes_in, bytes_out)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        )?
                        .execute(params![
                            e.at.to_rfc3339(),
                            e.user.to_string(),
                            e.request_id,
                            e.service,
                            e.code,
                            e.kind.name(),
                            e.bytes_in as i64,
                            e.bytes_out as i64,
                        ])?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The highest delivery or held-request id ever given (ids are never reused).
    pub fn sequence(&self) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .db
            .query_row("SELECT value FROM meta WHERE key = 'sequence'", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(v.unwrap_or(0) as u64)
    }

    /// The responses and alerts not yet delivered, oldest first.
    pub fn outbox(&self) -> Result<Vec<Outgoing>, StoreError> {
        let mut stmt = self
            .db
            .prepare("SELECT id, user, xml, due, first_tried, attempts FROM outbox ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, u32>(5)?,
            ))
        })?;
        let time = |t: &str| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| StoreError::Bad(format!("{t}: {e}")))
        };
        let mut out = Vec::new();
        for row in rows {
            let (id, user, xml, due, first, attempts) = row?;
            let first_tried = first.as_deref().map(time).transpose()?;
            out.push(Outgoing {
                item: Item {
                    id: id as u64,
                    user: user
                        .parse()
                        .map_err(|e| StoreError::Bad(format!("{user}: {e}")))?,
                    xml,
                    first_tried,
                    attempts,
                    undelivered: first_tried
                        .is_some_and(|f| Utc::now() - f >= super::delivery::RETRY_WINDOW),
                },
                due: time(&due)?,
            });
        }
        Ok(out)
    }

    /// The DCC schedules, by id.
    pub fn schedules(&self) -> Result<Vec<Schedule>, StoreError> {
        self.json_rows("SELECT state FROM schedules ORDER BY id")
    }

    /// The future-dated requests held.
    pub fn held(&self) -> Result<Vec<Held>, StoreError> {
        self.json_rows("SELECT state FROM held ORDER BY id")
    }

    /// The premises off supply when the head-end stopped.
    pub fn outages(&self) -> Result<Vec<Off>, StoreError> {
        self.json_rows("SELECT state FROM outages ORDER BY hub")
    }

    fn json_rows<T: serde::de::DeserializeOwned>(&self, sql: &str) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.db.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|row| json_value(&row?)).collect()
    }

    /// Rows of (number, JSON value).
    fn json_rows_numbered<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
    ) -> Result<Vec<(i64, T)>, StoreError> {
        let mut stmt = self.db.prepare(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (n, text) = row?;
            Ok((n, json_value(&text)?))
        })
        .collect()
    }

    /// The registry as last saved, with the inventory changes users made since (8.3, 8.4)
    /// applied in order (both read in one transaction); `None` before the first save.
    pub fn registry(&self) -> Result<Option<Registry>, StoreError> {
        Ok(self.registry_snapshot()?.1)
    }

    /// How many times the registry has been saved (an import, a delta, a fold): a running
    /// head-end reloads it when this moves.
    pub fn registry_generation(&self) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .db
            .query_row(
                "SELECT value FROM meta WHERE key = 'registry_generation'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.unwrap_or(0) as u64)
    }

    /// [`Store::registry`] and [`Store::registry_generation`] read together, in one read
    /// transaction.
    pub fn registry_snapshot(&self) -> Result<(u64, Option<Registry>), StoreError> {
        let (generation, registry) = self.snapshot()?;
        Ok((generation, registry.map(|(r, _)| r)))
    }

    /// The generation and [`Store::registry_with_changes`], in one read transaction.
    fn snapshot(&self) -> Result<(u64, Option<(Registry, i64)>), StoreError> {
        // Rolled back when dropped: the connection never stays inside a read transaction.
        let tx = self.db.unchecked_transaction()?;
        let read = (|| Ok((self.registry_generation()?, self.registry_with_changes()?)))();
        drop(tx);
        read
    }

    /// The saved registry with its changes applied, and the last change's number.
    fn registry_with_changes(&self) -> Result<Option<(Registry, i64)>, StoreError> {
        let text: Option<String> = self
            .db
            .query_row("SELECT extract FROM registry WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(text) = text else {
            return Ok(None);
        };
        let mut registry = Registry::from_saved(Path::new("saved registry"), &text)
            .map_err(|e| StoreError::Bad(e.to_string()))?;
        let mut last = 0;
        for (seq, change) in self.json_rows_numbered::<InventoryChange>(
            "SELECT seq, change FROM inventory ORDER BY seq",
        )? {
            registry.apply(&change);
            last = seq;
        }
        Ok(Some((registry, last)))
    }

    /// How many inventory changes are kept beside the saved registry.
    pub fn inventory_changes(&self) -> Result<u64, StoreError> {
        Ok(self
            .db
            .query_row("SELECT COUNT(*) FROM inventory", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// Writes the registry with its inventory changes applied as the saved one, so they are not
    /// replayed at every start.
    pub fn fold_inventory(&mut self) -> Result<(), StoreError> {
        self.update_registry(|current| {
            current.ok_or_else(|| StoreError::Bad("inventory changes without a registry".into()))
        })
    }

    /// Saves a whole registry (an import, the first start's): the inventory changes kept so
    /// far are then forgotten.
    pub fn save_registry(&mut self, registry: &Registry) -> Result<(), StoreError> {
        self.update_registry(|_| Ok::<_, StoreError>(registry.clone()))
    }

    /// Replaces the registry with `next` of the current one (its inventory changes applied).
    /// The new registry is made from a snapshot, outside the write lock — a running head-end's
    /// commits wait while it is held — and written in a short write transaction that forgets
    /// only the changes it was made from: a change a running head-end commits meanwhile is kept
    /// and replayed on it. If another save came in between, it is made again from the new one.
    pub fn update_registry<E: From<StoreError>>(
        &mut self,
        mut next: impl FnMut(Option<Registry>) -> Result<Registry, E>,
    ) -> Result<(), E> {
        const ATTEMPTS: usize = 5;
        for _ in 0..ATTEMPTS {
            let (generation, current) = self.snapshot()?;
            let last = current.as_ref().map_or(0, |(_, last)| *last);
            let csv = next(current.map(|(r, _)| r))?.to_csv();
            self.db
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(StoreError::from)?;
            let written = (|| {
                if self.registry_generation()? != generation {
                    return Ok(false);
                }
                self.db.execute(
                    "INSERT INTO registry (id, extract) VALUES (1, ?1)
                     ON CONFLICT(id) DO UPDATE SET extract = excluded.extract",
                    params![csv],
                )?;
                self.db
                    .execute("DELETE FROM inventory WHERE seq <= ?1", params![last])?;
                self.db.execute(
                    "INSERT INTO meta (key, value) VALUES ('registry_generation', 1)
                     ON CONFLICT(key) DO UPDATE SET value = value + 1",
                    [],
                )?;
                self.db.execute_batch("COMMIT")?;
                Ok::<_, StoreError>(true)
            })();
            match written {
                Ok(true) => return Ok(()),
                Ok(false) => {
                    let _ = self.db.execute_batch("ROLLBACK");
                }
                Err(e) => {
                    let _ = self.db.execute_batch("ROLLBACK");
                    return Err(e.into());
                }
            }
        }
        Err(StoreError::Contended(format!(
            "the registry was saved by someone else {ATTEMPTS} times while this change was made; try again"
        ))
        .into())
    }

    pub fn counters(&self) -> Result<Vec<(Eui64, u64)>, StoreError> {
        let mut stmt = self.db.prepare("SELECT user, counter FROM counters")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (user, counter) = row?;
            let user = user
                .parse()
                .map_err(|e| StoreError::Bad(format!("{user}: {e}")))?;
            out.push((user, counter as u64));
        }
        Ok(out)
    }

    /// Saves every user's counter (stored as the bits of a signed 64-bit integer).
    pub fn save_counters(&mut self, counters: &[(Eui64, u64)]) -> Result<(), StoreError> {
        let writes: Vec<Write> = counters
            .iter()
            .map(|&(user, counter)| Write::HeadEnd(Change::Counter { user, counter }))
            .collect();
        self.write([writes.as_slice()])
    }

    /// The saved state of the virtual devices (JSON), by EUI-64.
    pub fn devices(&self) -> Result<Vec<(Eui64, String)>, StoreError> {
        let mut stmt = self
            .db
            .prepare("SELECT eui, state FROM devices ORDER BY eui")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (eui, state) = row?;
            let eui = eui
                .parse()
                .map_err(|e| StoreError::Bad(format!("{eui}: {e}")))?;
            out.push((eui, state));
        }
        Ok(out)
    }

    /// Saves the state of the devices given (others keep theirs).
    pub fn save_devices(&mut self, devices: &[(Eui64, String)]) -> Result<(), StoreError> {
        self.write([[Write::Devices(devices.to_vec())].as_slice()])
    }

    pub fn log(&mut self, entries: &[LogEntry]) -> Result<(), StoreError> {
        self.write([[Write::Log(entries.to_vec())].as_slice()])
    }

    pub fn log_len(&self) -> Result<u64, StoreError> {
        Ok(self
            .db
            .query_row("SELECT COUNT(*) FROM log", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// The transaction log summed by month, user and service, in that order: all of it, or
    /// one user's, or one month's (`YYYY-MM`).
    pub fn charging(
        &self,
        user: Option<Eui64>,
        month: Option<&str>,
    ) -> Result<Vec<ChargingLine>, StoreError> {
        // Times are saved in RFC 3339 UTC, so a month is their first seven characters.
        let mut statement = self.db.prepare(
            "SELECT substr(at, 1, 7) AS month, user, service,
                    SUM(kind = 'request'),
                    SUM(kind = 'request' AND code IN ('I0', 'I99')),
                    SUM(kind = 'response'),
                    SUM(kind = 'alert'),
                    SUM(bytes_in), SUM(bytes_out)
             FROM log
             WHERE (?1 IS NULL OR user = ?1) AND (?2 IS NULL OR substr(at, 1, 7) = ?2)
             GROUP BY month, user, service
             ORDER BY month, user, service",
        )?;
        let n = |r: &rusqlite::Row, i| r.get::<_, i64>(i).map(|v| v as u64);
        let lines = statement
            .query_map(params![user.map(|u| u.to_string()), month], |r| {
                Ok(ChargingLine {
                    month: r.get(0)?,
                    user: r.get(1)?,
                    service: r.get(2)?,
                    requests: n(r, 3)?,
                    accepted: n(r, 4)?,
                    responses: n(r, 5)?,
                    alerts: n(r, 6)?,
                    bytes_in: n(r, 7)?,
                    bytes_out: n(r, 8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(lines)
    }
}

/// A log written before it counted bytes gets the columns, its lines counting as requests of
/// no bytes: in one write transaction, each column checked inside it, so two processes opening
/// an old database together (a head-end and `charging report`), or one killed halfway, leave it
/// whole.
fn add_log_columns(db: &Connection) -> Result<(), StoreError> {
    const COLUMNS: [(&str, &str); 3] = [
        ("kind", "TEXT NOT NULL DEFAULT 'request'"),
        ("bytes_in", "INTEGER NOT NULL DEFAULT 0"),
        ("bytes_out", "INTEGER NOT NULL DEFAULT 0"),
    ];
    let missing = |db: &Connection| -> Result<Vec<(&str, &str)>, StoreError> {
        let mut out = Vec::new();
        for (name, definition) in COLUMNS {
            let n: i64 = db.query_row(
                "SELECT COUNT(*) FROM pragma_table_info('log') WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )?;
            if n == 0 {
                out.push((name, definition));
            }
        }
        Ok(out)
    };
    if missing(db)?.is_empty() {
        return Ok(());
    }
    let tx = rusqlite::Transaction::new_unchecked(db, rusqlite::TransactionBehavior::Immediate)?;
    for (name, definition) in missing(&tx)? {
        tx.execute_batch(&format!("ALTER TABLE log ADD COLUMN {name} {definition}"))?;
    }
    tx.commit()?;
    Ok(())
}

fn json_value<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Bad(format!("{e}: {text}")))
}

fn bump_sequence(db: &Connection, id: u64) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('sequence', ?1)
         ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)",
    )?
    .execute(params![id as i64])?;
    Ok(())
}
