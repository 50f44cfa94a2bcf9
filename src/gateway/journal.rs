//! The one writer of the state database: a thread that owns the [`Store`] and commits what the
//! gateway's tasks send it, batching whatever has arrived into one transaction (group commit).
//! A request handler waits for its batch to be committed before it answers, so an acknowledged
//! request, its counter and its pending response are on disk before the user hears I99.

use std::sync::mpsc;
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
}

impl Journal {
    /// Starts the writer thread on `store`.
    pub fn start(mut store: Store) -> Journal {
        let (tx, rx) = mpsc::channel::<Batch>();
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
                    let outcome = store
                        .write(group.iter().map(|b| b.writes.as_slice()))
                        .map_err(|e| e.to_string());
                    if let Err(e) = &outcome {
                        eprintln!("warning: state not saved: {e}");
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
        }
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
