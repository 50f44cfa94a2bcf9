//! The load driver (tokio, hyper): a dispatcher releases requests at their intended times on a
//! fixed-rate schedule into queues that pools of keep-alive connections drain. When every
//! connection is busy, requests wait in the queue and are sent late — and their latency still
//! counts from the intended time. The run stops at its duration or request count, and goes only
//! to the one target given.
//!
//! Requests are dealt round-robin to lanes, each with its own queue, connections and client
//! identity: a DUIS user is a lane, and on one connection its requests arrive in the order of
//! their counters, which must strictly increase.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::sync::{Mutex, mpsc};

use super::recorder::{Outcome, Recorder, Schedule};

/// Where requests go.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// `Host` header and TLS server name.
    pub host: String,
    /// TLS client configuration (with the client certificate for mutual TLS), or plain HTTP.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

/// Builds request number `i`: its path and body.
pub type RequestSource = Arc<dyn Fn(u64) -> (String, Bytes) + Send + Sync>;
/// Told of each request as it is sent: its index and the instant it was due (so the
/// asynchronous response that arrives later can be timed from the same point).
pub type OnSend = Arc<dyn Fn(u64, Instant) + Send + Sync>;
/// Judges an answer: HTTP status and body.
pub type Judge = Arc<dyn Fn(u16, &[u8]) -> Outcome + Send + Sync>;

/// One fixed-rate step.
pub struct Step {
    pub rate: f64,
    pub duration: Duration,
    /// Stop after this many requests, whichever comes first.
    pub max_requests: Option<u64>,
    /// Connections per lane.
    pub connections: usize,
    /// Requests with no answer after this count as failed.
    pub timeout: Duration,
}

struct Job {
    intended: u64,
    index: u64,
}

/// Runs one step against the target, request `i` going to lane `i % lanes.len()` (each lane the
/// same address with its own client identity); returns its recorder, how long it ran and how
/// many requests it handed out (the next step's first index follows them, recorded or not).
pub async fn run_step(
    lanes: &[Target],
    step: &Step,
    source: RequestSource,
    judge: Judge,
    start_index: u64,
    on_send: Option<OnSend>,
) -> (Recorder, Duration, u64) {
    // Connections open before the clock starts, so the first requests do not pay for them.
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let (go_tx, go_rx) = tokio::sync::watch::channel(None::<Instant>);
    let mut workers = Vec::new();
    let mut queues = Vec::new();
    let per_lane = step.connections.max(1);
    for target in lanes {
        let (tx, rx) = mpsc::unbounded_channel::<Job>();
        queues.push(tx);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..per_lane {
            workers.push(worker(
                target.clone(),
                rx.clone(),
                ready_tx.clone(),
                go_rx.clone(),
                (source.clone(), judge.clone(), on_send.clone()),
                step.timeout,
            ));
        }
    }
    drop(ready_tx);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    for _ in 0..workers.len() {
        match tokio::time::timeout_at(deadline, ready_rx.recv()).await {
            Ok(Some(())) => {}
            _ => break,
        }
    }
    let start = Instant::now();
    let _ = go_tx.send(Some(start));
    let schedule = Schedule { rate: step.rate };
    let limit = step.max_requests.unwrap_or(u64::MAX);
    let end = step.duration.as_micros() as u64;
    let mut next = 0u64;
    while next < limit {
        let now = start.elapsed().as_micros() as u64;
        if now >= end {
            break;
        }
        let due = schedule.count_by(now).min(limit);
        while next < due {
            let intended = schedule.due(next);
            if intended >= end {
                break;
            }
            let index = start_index + next;
            let _ = queues[(index % queues.len() as u64) as usize].send(Job { intended, index });
            next += 1;
        }
        let wait = schedule
            .due(next)
            .saturating_sub(start.elapsed().as_micros() as u64);
        tokio::time::sleep(Duration::from_micros(wait.max(200))).await;
    }
    drop(queues);
    let mut total = Recorder::default();
    for w in workers {
        if let Ok(r) = w.await {
            total.merge(&r);
        }
    }
    (total, start.elapsed(), next)
}

/// One connection's task: connects, says it is ready, waits for the start, then sends what its
/// lane's queue gives it until the queue closes.
fn worker(
    target: Target,
    rx: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>,
    ready_tx: mpsc::UnboundedSender<()>,
    mut go_rx: tokio::sync::watch::Receiver<Option<Instant>>,
    (source, judge, on_send): (RequestSource, Judge, Option<OnSend>),
    timeout: Duration,
) -> tokio::task::JoinHandle<Recorder> {
    tokio::spawn(async move {
        let mut recorder = Recorder::default();
        let mut conn: Option<SendRequest<Full<Bytes>>> = connect(&target).await.ok();
        let _ = ready_tx.send(());
        let start = loop {
            if let Some(start) = *go_rx.borrow_and_update() {
                break start;
            }
            if go_rx.changed().await.is_err() {
                return recorder;
            }
        };
        loop {
            let job = { rx.lock().await.recv().await };
            let Some(job) = job else { break };
            let sent = start.elapsed().as_micros() as u64;
            let (path, body) = source(job.index);
            if let Some(tell) = &on_send {
                tell(job.index, start + Duration::from_micros(job.intended));
            }
            let outcome =
                match tokio::time::timeout(timeout, send(&target, &mut conn, &path, body, &judge))
                    .await
                {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        conn = None;
                        Outcome::Failed
                    }
                };
            let done = start.elapsed().as_micros() as u64;
            recorder.record(job.intended, sent, done, outcome);
        }
        recorder
    })
}

async fn connect(target: &Target) -> Result<SendRequest<Full<Bytes>>, String> {
    let tcp = tokio::net::TcpStream::connect(target.addr)
        .await
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    match &target.tls {
        Some(config) => {
            let name = rustls::pki_types::ServerName::try_from(target.host.clone())
                .map_err(|e| e.to_string())?;
            let tls = tokio_rustls::TlsConnector::from(config.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| e.to_string())?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            Ok(sender)
        }
        None => {
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            Ok(sender)
        }
    }
}

async fn send(
    target: &Target,
    conn: &mut Option<SendRequest<Full<Bytes>>>,
    path: &str,
    body: Bytes,
    judge: &Judge,
) -> Outcome {
    if conn.as_ref().is_none_or(|c| c.is_closed()) {
        match connect(target).await {
            Ok(c) => *conn = Some(c),
            Err(_) => return Outcome::Failed,
        }
    }
    let Some(sender) = conn.as_mut() else {
        return Outcome::Failed;
    };
    if sender.ready().await.is_err() {
        *conn = None;
        return Outcome::Failed;
    }
    let req = match hyper::Request::post(path)
        .header("host", &target.host)
        .header("content-type", "application/xml")
        .body(Full::new(body))
    {
        Ok(r) => r,
        Err(_) => return Outcome::Failed,
    };
    match sender.send_request(req).await {
        Ok(res) => {
            let status = res.status().as_u16();
            match res.into_body().collect().await {
                Ok(b) => judge(status, &b.to_bytes()),
                Err(_) => {
                    *conn = None;
                    Outcome::Failed
                }
            }
        }
        Err(_) => {
            *conn = None;
            Outcome::Failed
        }
    }
}
