//! A trivial endpoint for calibrating the generator (and for the stall test): answers every
//! request with `200 OK` and a short body, over plain HTTP or TLS, optionally stalling every
//! answer during a window of its run — the known hiccup that open-loop measurement must show.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// A window, from the server's start, in which answers wait until the window ends.
#[derive(Debug, Clone, Copy)]
pub struct Stall {
    pub from: Duration,
    pub until: Duration,
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    stall: Option<Stall>,
    shutdown: impl Future<Output = ()>,
) {
    let start = Instant::now();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    crate::gateway::server::accept_until(listener, shutdown, move |stream| {
        let acceptor = acceptor.clone();
        async move {
            let service = hyper::service::service_fn(
                move |req: hyper::Request<hyper::body::Incoming>| async move {
                    let _ = req.into_body().collect().await;
                    if let Some(s) = stall {
                        let now = start.elapsed();
                        if now >= s.from && now < s.until {
                            tokio::time::sleep(s.until - now).await;
                        }
                    }
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                        Bytes::from_static(b"ok\n"),
                    )))
                },
            );
            let builder = hyper::server::conn::http1::Builder::new();
            match acceptor {
                Some(acceptor) => {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                    }
                }
                None => {
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
            }
        }
    })
    .await;
}
