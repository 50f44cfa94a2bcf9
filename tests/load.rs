//! The load generator against real sockets: a server that stalls for a known second shows the
//! stall in corrected latency (from intended send times) and hides it in uncorrected latency.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dccsim::load::echo::{Stall, serve};
use dccsim::load::{Outcome, Step, Target, run_step};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_server_shows_in_corrected_latency_not_uncorrected() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stall = Stall {
        from: Duration::from_millis(1000),
        until: Duration::from_millis(2000),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, None, Some(stall), async {
        let _ = stopped.await;
    }));
    let target = Target {
        addr,
        host: "localhost".into(),
        tls: None,
    };
    // Few connections, as a closed-loop tool would have: during the stall they all wait.
    let step = Step {
        rate: 200.0,
        duration: Duration::from_secs(3),
        max_requests: None,
        connections: 4,
        timeout: Duration::from_secs(5),
    };
    let source = Arc::new(|_| ("/".to_string(), Bytes::from_static(b"<x/>")));
    let judge = Arc::new(|status: u16, _: &[u8]| {
        if status == 200 {
            Outcome::Ok
        } else {
            Outcome::Error(dccsim::load::ErrorCode::new(&format!("HTTP {status}")))
        }
    });
    let (recorder, elapsed, sent) = run_step(&[target], &step, source, judge, 0, None).await;
    assert_eq!(sent, recorder.requests());
    let s = recorder.summary(step.rate, elapsed.as_secs_f64());
    let _ = stop.send(());
    assert!(s.requests >= 550, "{s:?}");
    assert_eq!(s.errors + s.failed, 0, "{s:?}");
    // About a third of the requests were due during the one-second stall: the corrected p90
    // is hundreds of milliseconds; uncorrected, only the few in flight when it began waited.
    assert!(s.corrected.p90 > 300.0, "corrected {:?}", s.corrected);
    assert!(s.uncorrected.p90 < 50.0, "uncorrected {:?}", s.uncorrected);
    assert!(s.corrected.max > 900.0, "corrected {:?}", s.corrected);
    assert!(s.sent_late > 150, "{}", s.sent_late);
}
