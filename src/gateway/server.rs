//! The User Gateway on the network: HTTPS with mutual TLS (rustls), the client certificate
//! naming the user, DCC Boxed's paths (`POST /api/v1/serviceS`, `serviceT`, `serviceD`,
//! `Content-Type: application/xml`), an optional plain-HTTP listener for tools that expect DCC
//! Boxed's port 8079, and the task that delivers responses to users' Receive Response Services.
//! The decisions are the head-end's (`headend::HeadEnd`); this is the thin tokio driver.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use super::delivery::{DeliveryQueue, Outcome};
use super::journal::{Journal, Pending};
use super::pki::{Pki, pem_to_der};
use super::store::{LogEntry, LogKind, Write};
use crate::headend::{Checked, Endpoint, HeadEnd, SignatureCheck, SyncReply};
use crate::model::Eui64;

/// Responses POSTed together; after a crash, at most one batch can be delivered again.
pub const DELIVERY_BATCH: usize = 16;

/// Largest request body accepted: a DUIS request is a few kilobytes...
const MAX_BODY: usize = 1 << 20;
/// ...but 11.1 and 11.4, to the non-device service, carry a firmware image: up to 10,240,000
/// octets (the DUIS schema's limit), 13.7 MB in base64.
const MAX_NON_DEVICE_BODY: usize = 16 << 20;

/// Signs an outgoing DUIS response or alert (enveloped XML signature with the DSP key).
pub type ResponseSigner = Box<dyn Fn(&str) -> String + Send + Sync>;

/// Everything the gateway's tasks share.
pub struct Gateway {
    pub head_end: Mutex<HeadEnd>,
    /// The head-end's XML signature check, run outside its lock.
    pub check_signature: SignatureCheck,
    pub deliveries: Mutex<DeliveryQueue>,
    /// Users by the DER of their client certificate.
    pub clients: HashMap<Vec<u8>, Eui64>,
    /// Each user's Receive Response Service URL (`http://host:port/path`).
    pub receive_urls: HashMap<Eui64, String>,
    pub sign_response: Option<ResponseSigner>,
    /// Sign the synchronous acknowledgements and refusals too (DCC Boxed sends them unsigned).
    pub sign_acknowledgements: bool,
    pub clock: Box<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    /// Requests answered and responses delivered since the log was last saved.
    pub log: Mutex<Vec<super::store::LogEntry>>,
    /// Why requests were refused, printed (a few a second).
    pub refusals: RefusalLog,
    /// How to reach `https://` Receive Response Services (None: only `http://` ones).
    pub rrs_tls: Option<Arc<rustls::ClientConfig>>,
    /// Where durable state goes (None: nothing is saved).
    pub journal: Option<Journal>,
    /// Kept-alive connections to users' Receive Response Services.
    pub connections: Connections,
}

impl Gateway {
    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Why the gateway has stopped (its state database could not be written), if it has.
    pub fn failure(&self) -> Option<&str> {
        self.journal.as_ref().and_then(Journal::failure)
    }

    fn sign(&self, xml: String) -> String {
        match &self.sign_response {
            Some(sign) => sign(&xml),
            None => xml,
        }
    }

    /// Runs `f` on the head-end and queues the changes it journalled, in the order they were
    /// made (the queueing happens under the lock); the returned future resolves once they are
    /// committed.
    fn with_head_end<T>(&self, f: impl FnOnce(&mut HeadEnd) -> T) -> Option<(T, Pending)> {
        let mut he = self.head_end.lock().ok()?;
        let value = f(&mut he);
        for dropped in he.take_dropped() {
            self.refusals.note(self.now(), || dropped);
        }
        let changes = he.take_journal();
        let committed = match &self.journal {
            Some(j) => j.enqueue(changes.into_iter().map(Write::HeadEnd).collect()),
            None => Pending::none(),
        };
        drop(he);
        Some((value, committed))
    }
}

/// The rustls server configuration: the gateway's certificate, and client certificates
/// required and checked against the PKI's CA.
pub fn tls_config(pki: &Pki) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    let ca = CertificateDer::from_pem_slice(pki.ca.cert_pem.as_bytes())
        .map_err(|e| format!("CA certificate: {e}"))?;
    roots.add(ca).map_err(|e| format!("CA certificate: {e}"))?;
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| format!("client verifier: {e}"))?;
    let cert = CertificateDer::from_pem_slice(pki.server.cert_pem.as_bytes())
        .map_err(|e| format!("server certificate: {e}"))?;
    let key = PrivateKeyDer::from_pem_slice(pki.server.key_pem.as_bytes())
        .map_err(|e| format!("server key: {e}"))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![cert], key)
        .map_err(|e| format!("server certificate: {e}"))?;
    Ok(Arc::new(config))
}

/// The users' client certificates, by DER, for [`Gateway::clients`].
pub fn client_map(pki: &Pki) -> HashMap<Vec<u8>, Eui64> {
    pki.users
        .iter()
        .filter_map(|(eui, id)| pem_to_der(&id.cert_pem).map(|der| (der, *eui)))
        .collect()
}

/// Accepts connections until `shutdown` completes, running `on_connection` on each in a task of
/// its own. Every listener of dccsim (the gateway, the receiver, the echo server) uses it.
pub async fn accept_until<F, Fut>(
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    mut on_connection: F,
) where
    F: FnMut(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(_) => continue,
            },
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(on_connection(stream));
    }
}

/// Serves HTTPS with mutual TLS until `shutdown` completes.
pub async fn serve_tls(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    accept_until(listener, shutdown, move |stream| {
        let acceptor = acceptor.clone();
        let gateway = gateway.clone();
        async move {
            let Ok(tls) = acceptor.accept(stream).await else {
                return; // failed handshake: no client certificate, wrong CA…
            };
            let sender = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .and_then(|der| gateway.clients.get(der.as_ref()).copied());
            serve_connection(gateway, TokioIo::new(tls), Some(sender)).await;
        }
    })
    .await;
}

/// Serves plain HTTP (DCC Boxed's port 8079 style) until `shutdown` completes: no client
/// certificate, so the sender is taken from the request's (signed) RequestID.
pub async fn serve_plain(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) {
    accept_until(listener, shutdown, move |stream| {
        serve_connection(gateway.clone(), TokioIo::new(stream), None)
    })
    .await;
}

/// `sender`: `None` on plain HTTP; `Some(None)` when a TLS client's certificate names no user.
async fn serve_connection<S>(gateway: Arc<Gateway>, io: TokioIo<S>, sender: Option<Option<Eui64>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let gateway = gateway.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(gateway, sender, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

/// The 503 body once the state database has failed.
fn stopped(why: &str) -> String {
    format!(
        "the head-end has stopped: its state database could not be written ({why}); the request \
         was not accepted, send it again once the head-end has been restarted\n"
    )
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.into())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        "text/plain; charset=utf-8".parse().expect("static header"),
    );
    r
}

async fn handle(
    gateway: Arc<Gateway>,
    sender: Option<Option<Eui64>>,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    let endpoint = [
        Endpoint::SendCommand,
        Endpoint::Transform,
        Endpoint::NonDevice,
    ]
    .into_iter()
    .find(|e| e.path() == path);
    let Some(endpoint) = endpoint else {
        return text(StatusCode::NOT_FOUND, format!("no service at {path}\n"));
    };
    if req.method() != Method::POST {
        return text(StatusCode::METHOD_NOT_ALLOWED, "POST a DUIS request\n");
    }
    if let Some(why) = gateway.failure() {
        return text(StatusCode::SERVICE_UNAVAILABLE, stopped(why));
    }
    let limit = match endpoint {
        Endpoint::NonDevice => MAX_NON_DEVICE_BODY,
        _ => MAX_BODY,
    };
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body: {e}\n"),
            );
        }
    };
    let Ok(xml) = std::str::from_utf8(&body) else {
        return text(StatusCode::BAD_REQUEST, "the request is not UTF-8\n");
    };
    // Parsing and the signature check need none of the head-end's state: they run here, in
    // parallel across connections, and only what follows takes the lock.
    let checked = match Checked::check(&gateway.check_signature, xml) {
        Ok(c) => c,
        Err(reason) => {
            let path = endpoint.path();
            gateway.refusals.note(gateway.now(), || {
                format!("HTTP 400 to a request to {path}: {reason}")
            });
            return text(StatusCode::BAD_REQUEST, reason + "\n");
        }
    };
    let sender = match sender {
        Some(Some(user)) => user,
        Some(None) => {
            return text(
                StatusCode::FORBIDDEN,
                "the client certificate names no DCC user\n",
            );
        }
        None => checked.request().id.originator,
    };
    let now = gateway.now();
    let Some((reply, committed)) =
        gateway.with_head_end(|he| he.handle_checked(sender, endpoint, &checked, now))
    else {
        return text(StatusCode::INTERNAL_SERVER_ERROR, "head-end unavailable\n");
    };
    // What was accepted is on disk before the user hears so. If it cannot be, the user hears
    // 503 and the gateway stops (the journal refuses everything after a failed write), so the
    // request, accepted in memory, never reaches a device or a user: on restart it is as if it
    // had not been sent, and the user may send it again.
    if let Err(e) = committed.wait().await {
        return text(StatusCode::SERVICE_UNAVAILABLE, stopped(&e));
    }
    let request = checked.request();
    let code = match &reply {
        SyncReply::Response { code, why, .. } => {
            if let Some(why) = why {
                gateway.refusals.note(now, || {
                    format!(
                        "{code} to {sender} for {} ({}): {why}",
                        request.id, request.service
                    )
                });
            }
            Some(*code)
        }
        SyncReply::Invalid(_) => None,
    };
    let response = signed_reply(&gateway, reply);
    if let (Some(code), Ok(mut log)) = (code, gateway.log.lock()) {
        use hyper::body::Body;
        log.push(LogEntry {
            at: now,
            user: sender,
            request_id: request.id.to_string(),
            service: request.service.to_string(),
            code: code.to_string(),
            kind: LogKind::Request,
            bytes_in: body.len() as u64,
            bytes_out: response.body().size_hint().exact().unwrap_or(0),
        });
    }
    response
}

/// The transaction log's line for a response or alert delivered to `user` at `at`.
fn delivered_entry(user: Eui64, xml: &str, at: DateTime<Utc>) -> LogEntry {
    let field = |name| super::receive::field(xml, name);
    let alert = field("AlertCode");
    LogEntry {
        at,
        user,
        request_id: field("RequestID")
            .or_else(|| field("ResponseID"))
            .unwrap_or_default()
            .to_string(),
        service: match alert {
            Some(code) => format!("alert {code}"),
            None => field("ServiceReferenceVariant")
                .unwrap_or_default()
                .to_string(),
        },
        code: field("ResponseCode").unwrap_or_default().to_string(),
        kind: if alert.is_some() {
            LogKind::Alert
        } else {
            LogKind::Response
        },
        bytes_in: 0,
        bytes_out: xml.len() as u64,
    }
}

/// Refusals a head-end prints with their reasons (DUIS gives the user only a code): at most
/// [`RefusalLog::PER_SECOND`] a second; beyond that they are counted, and
/// [`RefusalLog::flush`] (every second, and on the way out) says how many were held back, so
/// that a load test refused wholesale neither drowns the terminal nor slows the head-end.
#[derive(Default)]
pub struct RefusalLog(Mutex<RefusalWindow>);

#[derive(Default)]
struct RefusalWindow {
    /// The second (Unix time) whose lines are being counted.
    second: i64,
    printed: u32,
    /// Refusals not printed since the last summary, and the first one's time.
    held_back: u64,
    held_since: Option<DateTime<Utc>>,
}

impl RefusalLog {
    pub const PER_SECOND: u32 = 10;

    /// Prints `line()` unless this second's lines are used up. Times may come slightly out of
    /// order (requests finish in any order): the window only moves forward.
    pub fn note(&self, now: DateTime<Utc>, line: impl FnOnce() -> String) {
        let Ok(mut w) = self.0.lock() else {
            return;
        };
        if now.timestamp() > w.second {
            w.second = now.timestamp();
            w.printed = 0;
        }
        if w.printed < Self::PER_SECOND {
            w.printed += 1;
            print_line(&format!("refused: {}", line()));
        } else {
            w.held_back += 1;
            w.held_since.get_or_insert(now);
        }
    }

    /// Says how many refusals were held back since the last time, if any.
    pub fn flush(&self) {
        let Ok(mut w) = self.0.lock() else {
            return;
        };
        if let Some(since) = w.held_since.take() {
            print_line(&format!(
                "refused: {} more since {} not shown (at most {} a second are)",
                std::mem::take(&mut w.held_back),
                since.format("%H:%M:%S"),
                Self::PER_SECOND
            ));
        }
    }
}

/// A line on standard output; one that cannot be written (a closed pipe) is dropped.
fn print_line(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// The HTTP answer to a request: its DUIS response (signed if it carries an answer, see
/// [`crate::headend::ResponseCode::signed_when_synchronous`]), or 400 with the reason.
fn signed_reply(gateway: &Gateway, reply: SyncReply) -> Response<Full<Bytes>> {
    match reply {
        SyncReply::Response { xml, code, .. } => {
            let body = if code.signed_when_synchronous() || gateway.sign_acknowledgements {
                gateway.sign(xml)
            } else {
                xml
            };
            let mut r = Response::new(Full::new(Bytes::from(body)));
            r.headers_mut().insert(
                "content-type",
                "application/xml".parse().expect("static header"),
            );
            r
        }
        SyncReply::Invalid(reason) => text(StatusCode::BAD_REQUEST, reason + "\n"),
    }
}

/// Moves due responses from the head-end to the delivery queue and POSTs them to users'
/// Receive Response Services, until `shutdown` completes. Schedules and held requests run here
/// too (the head-end runs them when polled). Deliveries go in batches of [`DELIVERY_BATCH`]
/// concurrent POSTs; a batch's delivered items are forgotten in the database before the next
/// batch goes, so a crash can repeat at most the batch in flight.
pub async fn run_deliveries(gateway: Arc<Gateway>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let now = gateway.now();
        let Some((due, committed)) = gateway.with_head_end(|he| he.poll_deliveries(now)) else {
            return;
        };
        // A response goes out only once the request it answers is committed (a read accepted
        // a moment ago may still be on its way to the disk: its answer waits for it). If that
        // commit failed, the gateway stops, and a restart goes on from what is on disk.
        let saved = match &gateway.journal {
            Some(journal) => journal.barrier(),
            None => Pending::none(),
        };
        if committed.wait().await.is_err() || saved.wait().await.is_err() {
            return;
        }
        let attempts = match gateway.deliveries.lock() {
            Ok(mut q) => {
                for d in due {
                    q.push(d.id, d.user, d.xml, d.due.min(now));
                }
                q.poll_due(now)
            }
            Err(_) => return,
        };
        for batch in attempts.chunks(DELIVERY_BATCH) {
            // A batch's POSTs go out together; once all are answered, the delivered ones are
            // struck off in one commit before the next batch.
            let mut posts = tokio::task::JoinSet::new();
            for item in batch {
                let url = gateway.receive_urls.get(&item.user).cloned();
                let xml = gateway.sign(item.xml.clone());
                let id = item.id;
                let user = item.user;
                let gateway = gateway.clone();
                posts.spawn(async move {
                    let delivered = match url {
                        Some(url) => gateway
                            .connections
                            .exchange(&url, &xml, gateway.rrs_tls.as_ref())
                            .await
                            .is_ok_and(|(status, _)| (200..300).contains(&status)),
                        None => false,
                    };
                    (id, delivered.then_some((user, xml)))
                });
            }
            let results = posts.join_all().await;
            let now = gateway.now();
            // Charged in the same commit that strikes them off: never lost, never twice.
            let charged: Vec<LogEntry> = results
                .iter()
                .filter_map(|(_, sent)| sent.as_ref())
                .map(|(user, xml)| delivered_entry(*user, xml, now))
                .collect();
            let mut writes = vec![Write::Log(charged)];
            if let Ok(mut q) = gateway.deliveries.lock() {
                for (id, sent) in results {
                    let delivered = sent.is_some();
                    writes.push(match q.handle_result(id, delivered, now) {
                        Outcome::Delivered | Outcome::Expired => Write::Delivered(id),
                        Outcome::Retry {
                            first_tried,
                            attempts,
                        } => Write::Attempted {
                            id,
                            first_tried,
                            attempts,
                        },
                    });
                }
            } else {
                return;
            }
            if let Some(journal) = &gateway.journal
                && journal.commit(writes).await.is_err()
            {
                // Stopped (the journal said why): a restart resends this batch.
                return;
            }
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
        }
    }
}

/// The TLS client configuration for `https://` Receive Response Services: their certificates
/// must chain to the head-end's own test CA or to one of `extra_ca_pem`'s certificates, and the
/// head-end shows its DSP client certificate (when the PKI has one), as the DCC does.
pub fn rrs_client_config(
    pki: &Pki,
    extra_ca_pem: Option<&str>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for pem in std::iter::once(pki.ca.cert_pem.as_str()).chain(extra_ca_pem) {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| format!("CA certificate: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("CA certificate: {e}"))?;
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let config = match &pki.dsp {
        Some(dsp) => {
            use rustls::pki_types::PrivateKeyDer;
            let cert = CertificateDer::from_pem_slice(dsp.cert_pem.as_bytes())
                .map_err(|e| format!("DSP client certificate: {e}"))?;
            let key = PrivateKeyDer::from_pem_slice(dsp.key_pem.as_bytes())
                .map_err(|e| format!("DSP client key: {e}"))?;
            builder
                .with_client_auth_cert(vec![cert], key)
                .map_err(|e| format!("DSP client certificate: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// POSTs `xml` to a Receive Response Service, `http://` or (given `tls`) `https://`; `Ok` on a
/// 2xx answer.
pub async fn post(
    url: &str,
    xml: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<(), String> {
    let (status, _) = exchange(url, xml, tls).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("{url}: HTTP {status}"))
    }
}

/// POSTs `xml` (as `application/xml`) to `url` and returns the answer's status and body, on a
/// connection of its own.
pub async fn exchange(
    url: &str,
    xml: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<(u16, String), String> {
    Connections::default().exchange(url, xml, tls).await
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Kept-alive HTTP/1.1 connections to Receive Response Services, by scheme and authority, so
/// delivering a response costs a request, not a TCP (and TLS) handshake.
#[derive(Default)]
pub struct Connections {
    idle: Mutex<HashMap<String, Vec<Sender>>>,
}

/// Most idle connections kept per service.
const MAX_IDLE: usize = 32;

impl Connections {
    /// POSTs `xml` to `url` on an idle connection to its service, or a new one; returns the
    /// answer's status and body.
    pub async fn exchange(
        &self,
        url: &str,
        xml: &str,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<(u16, String), String> {
        let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(format!(
                "{url}: a Receive Response Service URL is http:// or https://"
            ));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let key = format!("{}://{authority}", if secure { "https" } else { "http" });
        let mut sender = loop {
            let idle = self
                .idle
                .lock()
                .ok()
                .and_then(|mut m| m.get_mut(&key)?.pop());
            match idle {
                Some(mut s) => {
                    if s.ready().await.is_ok() {
                        break s;
                    }
                }
                None => break connect(url, secure, authority, tls).await?,
            }
        };
        let req = Request::post(path)
            .header("host", authority)
            .header("content-type", "application/xml")
            .body(Full::new(Bytes::from(xml.to_string())))
            .map_err(|e| e.to_string())?;
        let res =
            tokio::time::timeout(std::time::Duration::from_secs(10), sender.send_request(req))
                .await
                .map_err(|_| format!("{url}: no answer in 10 s"))?
                .map_err(|e| format!("{url}: {e}"))?;
        let status = res.status().as_u16();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{url}: {e}"))?
            .to_bytes();
        if let Ok(mut idle) = self.idle.lock() {
            let list = idle.entry(key).or_default();
            if list.len() < MAX_IDLE {
                list.push(sender);
            }
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// A new HTTP/1.1 connection to `authority`, over TLS when `secure`.
async fn connect(
    url: &str,
    secure: bool,
    authority: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<Sender, String> {
    let config = match (secure, tls) {
        (true, None) => return Err(format!("{url}: no TLS configuration for https://")),
        (true, Some(config)) => Some(config),
        (false, _) => None,
    };
    let stream = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        TcpStream::connect(authority),
    )
    .await
    .map_err(|_| format!("{url}: connect timed out"))?
    .map_err(|e| format!("{url}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let Some(config) = config else {
        return handshake(stream, url).await;
    };
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("{url}: {e}"))?;
    let stream = tokio_rustls::TlsConnector::from(config.clone())
        .connect(name, stream)
        .await
        .map_err(|e| format!("{url}: TLS: {e}"))?;
    handshake(stream, url).await
}

async fn handshake<S>(stream: S, url: &str) -> Result<Sender, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    tokio::spawn(conn);
    Ok(sender)
}

/// A listening address, resolved.
pub async fn bind(addr: &str) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

#[cfg(test)]
mod tests {
    use super::RefusalLog;
    use chrono::{TimeZone, Utc};

    /// Ten lines a second are printed; more are counted for the summary, which `flush` gives
    /// once; a time from an earlier second (a request that finished late) does not reopen it.
    #[test]
    fn refusals_are_printed_ten_a_second_and_the_rest_counted() {
        let log = RefusalLog::default();
        let at = |ms: i64| Utc.timestamp_millis_opt(1_796_000_000_000 + ms).unwrap();
        let mut printed = 0;
        for i in 0..15 {
            log.note(at(i * 10), || {
                printed += 1;
                String::new()
            });
        }
        // An earlier second: still the later window's, whose lines are used up.
        log.note(at(-500), || {
            printed += 1;
            String::new()
        });
        assert_eq!(printed, RefusalLog::PER_SECOND);
        let held = |log: &RefusalLog| log.0.lock().unwrap().held_back;
        assert_eq!(held(&log), 6);
        log.flush();
        assert_eq!(held(&log), 0);
        assert!(log.0.lock().unwrap().held_since.is_none());
        // The next second prints again.
        log.note(at(1_000), || {
            printed += 1;
            String::new()
        });
        assert_eq!(printed, RefusalLog::PER_SECOND + 1);
    }
}
