//! `dccsim receive`: a minimal Receive Response Service. It accepts the responses and alerts a
//! head-end POSTs, over HTTP or HTTPS (requiring the head-end's client certificate), stores each
//! as a file and prints one line per message.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Called with each message's number and text.
pub type OnMessage = Box<dyn Fn(u64, &str) + Send + Sync>;

/// Where received messages go, and how many have come.
pub struct Receiver {
    pub dir: Option<PathBuf>,
    pub count: AtomicU64,
    /// Called with each message (the CLI prints a line).
    pub on_message: OnMessage,
}

/// Serves plain HTTP until `shutdown` completes.
pub async fn serve(
    receiver: Arc<Receiver>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) {
    super::server::accept_until(listener, shutdown, move |stream| {
        connection(receiver.clone(), stream)
    })
    .await;
}

/// Serves HTTPS until `shutdown` completes: `tls` decides the certificate shown and which
/// client certificates are required (see [`super::server::tls_config`]: the head-end's, made by
/// its test CA). A connection whose handshake fails is dropped before any request.
pub async fn serve_tls(
    receiver: Arc<Receiver>,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    super::server::accept_until(listener, shutdown, move |stream| {
        let (receiver, acceptor) = (receiver.clone(), acceptor.clone());
        async move {
            if let Ok(tls) = acceptor.accept(stream).await {
                connection(receiver, tls).await;
            }
        }
    })
    .await;
}

/// One connection: each POST's body is stored and announced.
async fn connection<S>(receiver: Arc<Receiver>, stream: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let receiver = receiver.clone();
        async move {
            let status = match Limited::new(req.into_body(), 4 << 20).collect().await {
                Ok(body) => {
                    let body = body.to_bytes();
                    let text = String::from_utf8_lossy(&body);
                    let n = receiver.count.fetch_add(1, Ordering::SeqCst) + 1;
                    if let Some(dir) = &receiver.dir {
                        let _ = std::fs::write(dir.join(format!("{n:06}.xml")), &body);
                    }
                    (receiver.on_message)(n, &text);
                    StatusCode::OK
                }
                Err(_) => StatusCode::PAYLOAD_TOO_LARGE,
            };
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = status;
            Ok::<_, std::convert::Infallible>(r)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// The ResponseIDs of the latest messages, to mark a repeat (a head-end sends a response again
/// when it cannot know its first POST arrived) without a receiver that runs for days growing
/// without bound: the oldest are forgotten past `capacity`.
pub struct RecentIds {
    capacity: usize,
    set: std::collections::HashSet<Arc<str>>,
    order: std::collections::VecDeque<Arc<str>>,
}

impl Default for RecentIds {
    /// The last 262,144: at 1,600 responses a second, the latest 2¾ minutes.
    fn default() -> RecentIds {
        RecentIds::with_capacity(1 << 18)
    }
}

impl RecentIds {
    pub fn with_capacity(capacity: usize) -> RecentIds {
        RecentIds {
            capacity: capacity.max(1),
            set: Default::default(),
            order: Default::default(),
        }
    }

    /// Whether `id` is new among the latest; remembers it.
    pub fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        let id: Arc<str> = id.into();
        self.set.insert(id.clone());
        self.order.push_back(id);
        true
    }
}

/// The text of the first `<sr:NAME>` element of a message, for one-line summaries.
pub fn field<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<sr:{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find("</")? + start;
    Some(&xml[start..end])
}

#[cfg(test)]
mod tests {
    use super::RecentIds;

    #[test]
    fn repeats_are_marked_among_the_latest_only() {
        let mut seen = RecentIds::with_capacity(2);
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"), "a repeat");
        assert!(seen.insert("b"));
        assert!(seen.insert("c"), "a is forgotten now");
        assert!(!seen.insert("b") && !seen.insert("c"));
        assert!(seen.insert("a"));
    }
}
