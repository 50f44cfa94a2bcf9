//! The one writer of the state database: a thread that owns the [`Store`] and commits what the
//! gateway's tasks send it, batching whatever has arrived into one transaction (group commit).
//! A request handler waits for its batch to be committed before it answers, so an acknowledged
//! request, its counter and its pending response are on disk before the user hears I99.
//!
//! A write that fails (disk full, an I/O error, the database locked by another process for longer
//! than SQLite's busy timeout) stops the journal for good — fail-stop: that batch and every later
//! one is refused without being written, so what is on disk stays a state the head-end really
//! had, and the gateway stops accepting requests and delivering responses (see
//! [`Journal::failure`]); a restart resumes from the disk.

use std::sync::{Arc, OnceLock, mpsc};
use std::thread::JoinHandle;

use super::store::{Store, Write};

/// Most batches committed in one transaction.
const MAX_GROUP: usize = 1024;

struct Batch {
    writes: Vec<Write>,
    done: Option<tokio::sync::oneshot::Sender<Result<(), String>>>,
}

/// Writes queued for commit; `Ok(None)` when there were none, `Err` when the writer has stopped.
pub struct Pending(Result<Option<tokio::sync::oneshot::Receiver<Result<(), String>>>, ()>);

impl Pending {
    /// Nothing to wait for.
    pub fn none() -> Pending {
        Pending(Ok(None))
    }

    /// Waits until the writes are committed.
    pub async fn wait(self) -> Result<(), String> {
        let stopped = || "the state database writer has stopped".to_string();
        match self.0 {
            Ok(None) => Ok(()),
            Err(()) => Err(stopped()),
            Ok(Some(wait)) => wait.await.map_err(|_| stopped())?,
        }
    }
}

/// A handle on the writer thread.
pub struct Journal {
    tx: mpsc::Sender<Batch>,
    thread: Option<JoinHandle<()>>,
    /// Why the journal stopped, once a write has failed.
    failed: Arc<OnceLock<String>>,
}

impl Journal {
    /// Starts the writer thread on `store`.
    pub fn start(mut store: Store) -> Journal {
        let (tx, rx) = mpsc::channel::<Batch>();
        let failed = Arc::new(OnceLock::<String>::new());
        let stopped = failed.clone();
        let thread = std::thread::Builder::new()
            .name("dccsim-journal".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match rx.try_recv() {
                            Ok(b) => group.push(b),
                            Err(_) => break,
                        }
                    }
                    let outcome = match stopped.get() {
                        Some(why) => Err(format!("not saved: the state database failed ({why})")),
                        // Barriers alone: everything before them is already committed.
                        None if group.iter().all(|b| b.writes.is_empty()) => Ok(()),
                        None => store
                            .write(group.iter().map(|b| b.writes.as_slice()))
                            .map_err(|e| e.to_string()),
                    };
                    if let Err(e) = &outcome
                        && stopped.set(e.clone()).is_ok()
                    {
                        eprintln!(
                            "error: the state database could not be written ({e}): the head-end \
                             stops accepting requests and delivering responses; restart it once \
                             the database is writable"
                        );
                    }
                    for b in group {
                        if let Some(done) = b.done {
                            let _ = done.send(outcome.clone());
                        }
                    }
                }
            })
            .expect("spawn the journal thread");
        Journal {
            tx,
            thread: Some(thread),
            failed,
        }
    }

    /// Why the journal stopped, if a write has failed: nothing is written after that.
    pub fn failure(&self) -> Option<&str> {
        self.failed.get().map(String::as_str)
    }

    /// Commits `writes` and waits until they are in the database.
    pub async fn commit(&self, writes: Vec<Write>) -> Result<(), String> {
        self.enqueue(writes).wait().await
    }

    /// Queues `writes` now (batches commit in the order queued); [`Pending::wait`] returns
    /// once they are in the database.
    pub fn enqueue(&self, writes: Vec<Write>) -> Pending {
        if writes.is_empty() {
            return Pending(Ok(None));
        }
        let (done, wait) = tokio::sync::oneshot::channel();
        let batch = Batch {
            writes,
            done: Some(done),
        };
        Pending(self.tx.send(batch).map(|()| Some(wait)).map_err(|_| ()))
    }

    /// A point in the queue: [`Pending::wait`] returns once everything queued before it is
    /// committed, or with the error that stopped the journal.
    pub fn barrier(&self) -> Pending {
        let (done, wait) = tokio::sync::oneshot::channel();
        let batch = Batch {
            writes: Vec::new(),
            done: Some(done),
        };
        Pending(self.tx.send(batch).map(|()| Some(wait)).map_err(|_| ()))
    }

    /// Queues `writes` without waiting (state that may lag a moment: attempts, device state, log).
    pub fn send(&self, writes: Vec<Write>) {
        if !writes.is_empty() {
            let _ = self.tx.send(Batch { writes, done: None });
        }
    }

    /// Commits everything sent so far and stops the writer.
    pub fn close(mut self) {
        let (tx, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
