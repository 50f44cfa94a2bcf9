//! What the head-end keeps across restarts, in an embedded SQLite database (`dccsim.sqlite` in
//! the state folder): the registry, each user's last accepted request counter (so a replay is
//! refused after a restart too), undelivered responses and the transaction log. Every change is
//! one transaction.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::delivery::Item;
use crate::headend::Registry;
use crate::model::Eui64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("state database holds a bad value: {0}")]
    Bad(String),
}

/// One line of the transaction log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub at: DateTime<Utc>,
    pub user: Eui64,
    pub request_id: String,
    pub service: String,
    pub code: String,
}

pub struct Store {
    db: Connection,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Connection::open(path)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS registry (id INTEGER PRIMARY KEY CHECK (id = 1), extract TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS counters (user TEXT PRIMARY KEY, counter INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS devices (eui TEXT PRIMARY KEY, state TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS undelivered (id INTEGER PRIMARY KEY, user TEXT NOT NULL, xml TEXT NOT NULL,
                 first_tried TEXT, attempts INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT NOT NULL,
                 request_id TEXT NOT NULL, service TEXT NOT NULL, code TEXT NOT NULL);",
        )?;
        Ok(Store { db })
    }

    /// The registry as last saved, if any.
    pub fn registry(&self, scratch: &Path) -> Result<Option<Registry>, StoreError> {
        let text: Option<String> = self
            .db
            .query_row("SELECT extract FROM registry WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(text) = text else {
            return Ok(None);
        };
        // The registry reads its CSV form; a scratch file keeps one parser for both.
        std::fs::write(scratch, text).map_err(|e| StoreError::Bad(e.to_string()))?;
        let registry = Registry::import(scratch).map_err(|e| StoreError::Bad(e.to_string()))?;
        let _ = std::fs::remove_file(scratch);
        Ok(Some(registry))
    }

    pub fn save_registry(&mut self, registry: &Registry) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT INTO registry (id, extract) VALUES (1, ?1)
             ON CONFLICT(id) DO UPDATE SET extract = excluded.extract",
            params![registry.to_csv()],
        )?;
        Ok(())
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
        let tx = self.db.transaction()?;
        for (user, counter) in counters {
            tx.execute(
                "INSERT INTO counters (user, counter) VALUES (?1, ?2)
                 ON CONFLICT(user) DO UPDATE SET counter = MAX(counter, excluded.counter)",
                params![user.to_string(), *counter as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
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
        let tx = self.db.transaction()?;
        for (eui, state) in devices {
            tx.execute(
                "INSERT INTO devices (eui, state) VALUES (?1, ?2)
                 ON CONFLICT(eui) DO UPDATE SET state = excluded.state",
                params![eui.to_string(), state],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces the saved delivery queue with `items`.
    pub fn save_undelivered(&mut self, items: &[Item]) -> Result<(), StoreError> {
        let tx = self.db.transaction()?;
        tx.execute("DELETE FROM undelivered", [])?;
        for i in items {
            tx.execute(
                "INSERT INTO undelivered (id, user, xml, first_tried, attempts) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    i.id as i64,
                    i.user.to_string(),
                    i.xml,
                    i.first_tried.map(|t| t.to_rfc3339()),
                    i.attempts
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn undelivered(&self) -> Result<Vec<Item>, StoreError> {
        let mut stmt = self
            .db
            .prepare("SELECT id, user, xml, first_tried, attempts FROM undelivered ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, u32>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, user, xml, first, attempts) = row?;
            let first_tried = first
                .map(|t| DateTime::parse_from_rfc3339(&t).map(|t| t.with_timezone(&Utc)))
                .transpose()
                .map_err(|e| StoreError::Bad(e.to_string()))?;
            out.push(Item {
                id: id as u64,
                user: user
                    .parse()
                    .map_err(|e| StoreError::Bad(format!("{user}: {e}")))?,
                xml,
                first_tried,
                attempts,
                undelivered: first_tried.is_some(),
            });
        }
        Ok(out)
    }

    pub fn log(&mut self, entries: &[LogEntry]) -> Result<(), StoreError> {
        let tx = self.db.transaction()?;
        for e in entries {
            tx.execute(
                "INSERT INTO log (at, user, request_id, service, code) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    e.at.to_rfc3339(),
                    e.user.to_string(),
                    e.request_id,
                    e.service,
                    e.code
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn log_len(&self) -> Result<u64, StoreError> {
        Ok(self
            .db
            .query_row("SELECT COUNT(*) FROM log", [], |r| r.get::<_, i64>(0))? as u64)
    }
}
