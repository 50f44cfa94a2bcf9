//! `dccsim load`: runs steps against a target and prints what happened — a quantile table on
//! stdout, progress on stderr, JSON on request — and, with `--find-max`, the rate curve and the
//! highest rate meeting the SLO.

use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

use super::driver::{Judge, RequestSource, Step, Target, run_step};
use super::plan::{Objective, breaches, next_rate};
use super::recorder::{ErrorCode, Outcome, Summary};

pub struct LoadOptions {
    pub url: String,
    pub rate: f64,
    pub duration: Duration,
    pub warmup: Duration,
    pub max_requests: Option<u64>,
    pub connections: Option<usize>,
    pub body: Bytes,
    /// PEM files: CA to trust, and the client certificate and key for mutual TLS.
    pub cacert: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    /// One lane per entry, each with its own client certificate and key (PEM files), request
    /// `i` going to lane `i % n`: the DUIS users of a run. Empty: one lane, `cert` and `key`.
    pub lanes: Vec<(String, String)>,
    /// Each lane's requests must arrive in order (DUIS counters): one connection per lane
    /// unless `connections` says otherwise.
    pub ordered: bool,
    pub slo: Option<Vec<Objective>>,
    pub find_max: bool,
    pub max_rate: f64,
    /// Listen here for the asynchronous responses (the head-end's Receive Response Service for
    /// this user) and time each from its request's intended send time.
    pub receive: Option<String>,
    /// How the RequestID counter of request `i` is made (`first + i`), to match responses.
    pub first_counter: u64,
    /// How long to wait for outstanding asynchronous responses after the last step.
    pub response_wait: Duration,
}

/// The asynchronous responses received, timed from their requests' intended send times.
#[derive(Debug, Clone, Serialize)]
pub struct AsyncSummary {
    pub expected: u64,
    pub received: u64,
    /// By DUIS response code (I0, E21…).
    pub codes: std::collections::BTreeMap<String, u64>,
    pub end_to_end: Option<super::recorder::Quantiles>,
}

/// One step's line of the curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub summary: Summary,
    pub breaches: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub target: String,
    pub curve: Vec<CurvePoint>,
    /// With `--find-max`: the highest rate meeting the SLO.
    pub sustainable_rate: Option<f64>,
    /// With `--receive`: the device answers, end to end.
    pub responses: Option<AsyncSummary>,
}

/// Parses `http(s)://host:port/path` into the lanes' targets (one, or one per client identity
/// in `lanes`) and the path.
pub fn target_of(options: &LoadOptions) -> Result<(Vec<Target>, String), String> {
    let (tls, rest) = if let Some(r) = options.url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = options.url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!(
            "{}: the target must be an http:// or https:// URL",
            options.url
        ));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(h, _)| h)
        .to_string();
    let with_port = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:{}", if tls { 443 } else { 80 })
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| format!("{authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority}: no address"))?;
    let target = |tls| Target {
        addr,
        host: host.clone(),
        tls,
    };
    if !tls {
        return Ok((vec![target(None); options.lanes.len().max(1)], path));
    }
    let identities: Vec<(Option<&str>, Option<&str>)> = if options.lanes.is_empty() {
        vec![(options.cert.as_deref(), options.key.as_deref())]
    } else {
        options
            .lanes
            .iter()
            .map(|(c, k)| (Some(c.as_str()), Some(k.as_str())))
            .collect()
    };
    let targets = identities
        .into_iter()
        .map(|(cert, key)| Ok(target(Some(client_tls(options, cert, key)?))))
        .collect::<Result<Vec<_>, String>>()?;
    Ok((targets, path))
}

fn client_tls(
    options: &LoadOptions,
    cert: Option<&str>,
    key: Option<&str>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let read = |p: &str| std::fs::read(p).map_err(|e| format!("{p}: {e}"));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca) = &options.cacert {
        for cert in CertificateDer::pem_slice_iter(&read(ca)?) {
            roots
                .add(cert.map_err(|e| format!("{ca}: {e}"))?)
                .map_err(|e| format!("{ca}: {e}"))?;
        }
    } else {
        return Err("an https:// target needs --cacert (the gateway's CA)".into());
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let config = match (cert, key) {
        (Some(cert), Some(key)) => {
            let certs = CertificateDer::pem_slice_iter(&read(cert)?)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{cert}: {e}"))?;
            let key =
                PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|e| format!("{key}: {e}"))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("client certificate: {e}"))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err("--cert and --key go together".into()),
    };
    Ok(Arc::new(config))
}

/// Signed DUIS requests of `mix` (each its RTDS template, reading `day`), dealt to `users` in
/// turn — request `i` from user `i % n` to that user's meters in turn — with counters
/// `first_counter + i`: the first `count` of [`SignedRequests`], signed before the clock starts
/// so signing does not slow the generator, each with the User Gateway service it goes to.
pub fn signed_duis_bodies(
    mix: &super::mix::Mix,
    users: &[(crate::model::Eui64, Vec<crate::model::Eui64>)],
    first_counter: u64,
    count: usize,
    day: chrono::NaiveDate,
) -> Result<Vec<(crate::headend::Endpoint, Bytes)>, String> {
    let mut requests = SignedRequests::new(mix, users, first_counter, day, "/api/v1/serviceS")?;
    requests.prepare(0, count as u64)?;
    Ok(requests.signed.into())
}

/// A load test's signed DUIS requests, made a step at a time: before each step the test asks
/// for what the step will send ([`SignedRequests::prepare`]), so signing is never timed and
/// every request is new — a counter is used once, as the head-end requires (a request sent
/// twice is refused as a replay). Request `i` is from user `i % n` to that user's meters in
/// turn, with counter `first_counter + i`, the mix's services dealt in its proportions (a
/// non-device request names its meter in `sr:DeviceID` and is addressed to the DCC).
pub struct SignedRequests {
    mix: super::mix::Mix,
    deal: super::mix::Deal,
    users: Vec<(crate::model::Eui64, Vec<crate::model::Eui64>)>,
    first_counter: u64,
    day: chrono::NaiveDate,
    signers: crate::headend::xmldsig::XmlSigners,
    /// Each mix entry's request, prepared for signing, and its template's RequestID.
    bases: std::collections::HashMap<usize, (String, crate::headend::RequestId)>,
    /// Requests `from..from + signed.len()`.
    from: u64,
    signed: std::collections::VecDeque<(crate::headend::Endpoint, Bytes)>,
    /// Where device requests go (the target's path), and non-device ones (`serviceD` beside it).
    path: String,
    non_device_path: String,
}

impl SignedRequests {
    /// Requests of `mix` from `users` (each with the meters it reads), reading `day`, numbered
    /// from `first_counter`, for the User Gateway whose send-command path is `path`.
    pub fn new(
        mix: &super::mix::Mix,
        users: &[(crate::model::Eui64, Vec<crate::model::Eui64>)],
        first_counter: u64,
        day: chrono::NaiveDate,
        path: &str,
    ) -> Result<SignedRequests, String> {
        if users.is_empty() || users.iter().any(|(_, meters)| meters.is_empty()) {
            return Err("signed requests need users, each with meters".into());
        }
        Ok(SignedRequests {
            mix: mix.clone(),
            deal: mix.deal(),
            users: users.to_vec(),
            first_counter,
            day,
            signers: crate::headend::xmldsig::XmlSigners::from_zaz1(
                crate::gateway::run::ZAZ1_KEYSTORE,
            )?,
            bases: Default::default(),
            from: 0,
            signed: Default::default(),
            path: path.to_string(),
            non_device_path: match path.rsplit_once('/') {
                Some((base, _)) => format!("{base}/serviceD"),
                None => "/api/v1/serviceD".into(),
            },
        })
    }

    /// Signs requests up to (not including) `to`, and forgets those before `from` (sent);
    /// returns how many it signed.
    pub fn prepare(&mut self, from: u64, to: u64) -> Result<usize, String> {
        let drop = from.saturating_sub(self.from).min(self.signed.len() as u64);
        self.signed.drain(..drop as usize);
        self.from += drop;
        let mut made = 0;
        while self.from + (self.signed.len() as u64) < to {
            let next = self.sign_next()?;
            self.signed.push_back(next);
            made += 1;
        }
        Ok(made)
    }

    /// Requests `from..to` as a step sends them (path and body), made by [`Self::prepare`]
    /// first: a fixed list, read without a lock. Outside it, an empty body, which the target
    /// refuses and the step counts as an error.
    pub fn source(&mut self, from: u64, to: u64) -> Result<RequestSource, String> {
        self.prepare(from, to)?;
        let skip = (from - self.from) as usize;
        let requests: Vec<(String, Bytes)> = self
            .signed
            .iter()
            .skip(skip)
            .take((to - from) as usize)
            .map(|(endpoint, body)| {
                let path = match endpoint {
                    crate::headend::Endpoint::NonDevice => &self.non_device_path,
                    _ => &self.path,
                };
                (path.clone(), body.clone())
            })
            .collect();
        let path = self.path.clone();
        Ok(Arc::new(move |i| {
            i.checked_sub(from)
                .and_then(|k| requests.get(k as usize))
                .cloned()
                .unwrap_or_else(|| (path.clone(), Bytes::new()))
        }))
    }

    /// The next request in order.
    fn sign_next(&mut self) -> Result<(crate::headend::Endpoint, Bytes), String> {
        use crate::headend::xmldsig::prepare_for_signing;
        let i = self.from + self.signed.len() as u64;
        let entry = self.deal.next().unwrap_or(0);
        let (base, template_id) = match self.bases.entry(entry) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let base = prepare_for_signing(&self.mix.request(entry, self.day))
                    .map_err(|e| e.to_string())?;
                let id = crate::headend::Request::parse(&base)
                    .map_err(|e| e.to_string())?
                    .id;
                slot.insert((base, id))
            }
        };
        let n = self.users.len() as u64;
        let (user, meters) = &self.users[(i % n) as usize];
        let meter = meters[((i / n) % meters.len() as u64) as usize];
        let mut id = *template_id;
        id.originator = *user;
        id.counter = self.first_counter + i;
        let non_device = self.mix.non_device(entry);
        let mut xml = base.clone();
        if non_device {
            let (open, close) = ("<sr:DeviceID>", "</sr:DeviceID>");
            if let (Some(a), Some(b)) = (xml.find(open), xml.find(close)) {
                xml.replace_range(a + open.len()..b, &meter.to_string());
            }
        } else {
            id.target = meter;
        }
        let xml = xml.replacen(&template_id.to_string(), &id.to_string(), 1);
        let signed = self
            .signers
            .sign(&xml, *user, false)
            .map_err(|e| e.to_string())?;
        let endpoint = if non_device {
            crate::headend::Endpoint::NonDevice
        } else {
            crate::headend::Endpoint::SendCommand
        };
        Ok((endpoint, Bytes::from(signed)))
    }
}

/// How many requests a step of `rate` for `duration` sends at most (a little over, for the
/// scheduler's rounding), capped by `max_requests`.
pub fn requests_in_step(rate: f64, duration: Duration, max_requests: Option<u64>) -> u64 {
    let n = (rate * duration.as_secs_f64() * 1.01).ceil() as u64 + 16;
    max_requests.map_or(n, |cap| n.min(cap))
}

/// Makes a step's requests before it starts: called with the first request's index and the
/// index after the last the step may send; gives the step's requests and how many it signed.
pub type Prepare = Arc<dyn Fn(u64, u64) -> Result<(RequestSource, usize), String> + Send + Sync>;

/// The most requests signed for one step (with its warm-up): about 3 GB of signed DUIS.
const MAX_STEP_REQUESTS: u64 = 1_000_000;

impl SignedRequests {
    /// Makes `self` what [`run`] asks for each step's requests.
    pub fn into_prepare(self) -> Prepare {
        let requests = std::sync::Mutex::new(self);
        Arc::new(move |from, to| {
            if to - from > MAX_STEP_REQUESTS {
                return Err(format!(
                    "a step of {} requests is more than dccsim load signs ahead ({MAX_STEP_REQUESTS}): \
                     shorten --duration or lower --max-rate",
                    to - from
                ));
            }
            let mut requests = requests.lock().map_err(|_| "signing failed".to_string())?;
            let before = requests.from + requests.signed.len() as u64;
            let source = requests.source(from, to)?;
            let made = (requests.from + requests.signed.len() as u64).saturating_sub(before);
            Ok((source, made as usize))
        })
    }
}

/// What the errors said, for the progress line: ` (E19 × 1500, E1 × 3)`, or nothing.
fn error_codes(summary: &Summary) -> String {
    if summary.errors_by_code.is_empty() {
        return String::new();
    }
    let codes: Vec<String> = summary
        .errors_by_code
        .iter()
        .map(|(code, n)| format!("{code} × {n}"))
        .collect();
    format!(" ({})", codes.join(", "))
}

/// HTTP 2xx is success; a DUIS answer with an E-code is an error.
pub fn duis_judge() -> Judge {
    Arc::new(|status: u16, body: &[u8]| {
        if !(200..300).contains(&status) {
            return Outcome::Error(ErrorCode::new(&format!("HTTP {status}")));
        }
        let text = String::from_utf8_lossy(body);
        match crate::gateway::receive::field(&text, "ResponseCode") {
            Some(code) if code.starts_with('E') => Outcome::Error(ErrorCode::new(code)),
            _ => Outcome::Ok,
        }
    })
}

/// Runs the load test, printing progress to `progress` (stderr in the CLI).
pub async fn run(
    options: &LoadOptions,
    source: Option<RequestSource>,
    prepare: Option<Prepare>,
    mut progress: impl FnMut(&str),
) -> Result<LoadReport, String> {
    let (target, path) = target_of(options)?;
    let tracker = match &options.receive {
        Some(addr) => Some(ResponseTracker::start(addr, options.first_counter).await?),
        None => None,
    };
    let on_send = tracker.as_ref().map(|t| t.on_send());
    let body = options.body.clone();
    let source = source.unwrap_or_else(|| Arc::new(move |_| (path.clone(), body.clone())));
    let step_at = |rate: f64, duration: Duration| Step {
        rate,
        duration,
        max_requests: options.max_requests,
        // In order: one connection per lane. Otherwise enough connections for rate × a
        // generous latency, so the pool is not the bottleneck — up to 128: more only add
        // wake-ups and TLS sessions (measured: 512 connections sustained 36,250/s over HTTPS
        // where 64 or 200 sustained 52,500/s). A slower target needs `--connections`; requests
        // that found every connection busy show as late.
        connections: options.connections.unwrap_or_else(|| {
            if options.ordered {
                1
            } else {
                ((rate * 0.05).ceil() as usize).clamp(4, 128)
            }
        }),
        timeout: Duration::from_secs(10),
    };
    let mut index = 0u64;
    let mut curve = Vec::new();
    let measure = |rate: f64| {
        let step = step_at(rate, options.duration);
        let warm = step_at(rate, options.warmup);
        (step, warm)
    };
    let mut passed: Option<f64> = None;
    let mut failed: Option<f64> = None;
    let mut rate = options.rate;
    loop {
        let (step, warm) = measure(rate);
        // The requests of the warm-up and the step, made before either starts (signing is
        // not timed, and does not cool the target between the two).
        let source = match &prepare {
            None => source.clone(),
            Some(prepare) => {
                let started = std::time::Instant::now();
                let warm_n = match options.warmup.is_zero() {
                    true => 0,
                    false => requests_in_step(warm.rate, warm.duration, warm.max_requests),
                };
                let n = warm_n + requests_in_step(step.rate, step.duration, step.max_requests);
                let (source, made) = prepare(index, index + n)?;
                if made > 0 {
                    progress(&format!(
                        "signed {made} requests in {:.1} s",
                        started.elapsed().as_secs_f64()
                    ));
                }
                source
            }
        };
        if !options.warmup.is_zero() {
            progress(&format!(
                "warming up at {rate:.0}/s for {:?}",
                options.warmup
            ));
            let (_, _, sent) = run_step(
                &target,
                &warm,
                source.clone(),
                duis_judge(),
                index,
                on_send.clone(),
            )
            .await;
            index += sent;
        }
        progress(&format!(
            "measuring {rate:.0}/s for {:?} on {} connections",
            step.duration,
            step.connections * target.len()
        ));
        let (recorder, elapsed, sent) = run_step(
            &target,
            &step,
            source.clone(),
            duis_judge(),
            index,
            on_send.clone(),
        )
        .await;
        index += sent;
        let summary = recorder.summary(rate, elapsed.as_secs_f64());
        let broken = options
            .slo
            .as_ref()
            .map(|slo| breaches(&summary, slo))
            .unwrap_or_default();
        progress(&format!(
            "  {:.0}/s: p50 {:.2} ms, p99 {:.2} ms, errors {:.3}%{}{}",
            summary.achieved_rate,
            summary.corrected.p50,
            summary.corrected.p99,
            summary.error_share * 100.0,
            error_codes(&summary),
            if broken.is_empty() {
                String::new()
            } else {
                format!(" — misses: {}", broken.join("; "))
            }
        ));
        let ok = broken.is_empty();
        curve.push(CurvePoint {
            summary,
            breaches: broken,
        });
        if !options.find_max {
            break;
        }
        if ok {
            passed = Some(passed.map_or(rate, |p: f64| p.max(rate)));
        } else {
            failed = Some(failed.map_or(rate, |f: f64| f.min(rate)));
        }
        match next_rate(passed, failed, options.max_rate) {
            Some(r) => rate = r,
            None => break,
        }
    }
    let responses = match tracker {
        Some(t) => {
            progress(&format!(
                "waiting up to {:?} for outstanding responses",
                options.response_wait
            ));
            Some(t.finish(options.response_wait).await)
        }
        None => None,
    };
    Ok(LoadReport {
        target: options.url.clone(),
        curve,
        sustainable_rate: if options.find_max { passed } else { None },
        responses,
    })
}

/// What has come back: timings, counts by response code, and how many.
type Received = (
    super::recorder::Recorder,
    std::collections::BTreeMap<String, u64>,
    u64,
);

/// The generator's own Receive Response Service: matches each response to its request by the
/// RequestID counter and times it from that request's intended send time.
struct ResponseTracker {
    first_counter: u64,
    due: Arc<std::sync::Mutex<std::collections::HashMap<u64, std::time::Instant>>>,
    state: Arc<std::sync::Mutex<Received>>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl ResponseTracker {
    async fn start(addr: &str, first_counter: u64) -> Result<ResponseTracker, String> {
        use crate::gateway::receive::{Receiver, field, serve};
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let due: Arc<std::sync::Mutex<std::collections::HashMap<u64, std::time::Instant>>> =
            Arc::default();
        let state: Arc<std::sync::Mutex<Received>> =
            Arc::new(std::sync::Mutex::new(Default::default()));
        let (d, st) = (due.clone(), state.clone());
        let receiver = Arc::new(Receiver {
            dir: None,
            count: Default::default(),
            on_message: Box::new(move |_, xml| {
                let now = std::time::Instant::now();
                let counter = field(xml, "RequestID")
                    .and_then(|id| id.rsplit(':').next())
                    .and_then(|c| c.parse::<u64>().ok());
                let code = field(xml, "ResponseCode").unwrap_or("-").to_string();
                let intended = counter.and_then(|c| d.lock().ok()?.remove(&c));
                if let Ok(mut s) = st.lock() {
                    *s.1.entry(code.clone()).or_insert(0) += 1;
                    s.2 += 1;
                    if let Some(t) = intended {
                        let micros = now.saturating_duration_since(t).as_micros() as u64;
                        let outcome = if code == "I0" {
                            Outcome::Ok
                        } else {
                            Outcome::Error(ErrorCode::new(&code))
                        };
                        s.0.record(0, 0, micros, outcome);
                    }
                }
            }),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(receiver, listener, async {
            let _ = stopped.await;
        }));
        Ok(ResponseTracker {
            first_counter,
            due,
            state,
            stop,
        })
    }

    fn on_send(&self) -> super::driver::OnSend {
        let due = self.due.clone();
        let first = self.first_counter;
        Arc::new(move |index, intended| {
            if let Ok(mut d) = due.lock() {
                d.insert(first + index, intended);
            }
        })
    }

    async fn finish(self, wait: Duration) -> AsyncSummary {
        let deadline = std::time::Instant::now() + wait;
        while std::time::Instant::now() < deadline
            && self.due.lock().map(|d| !d.is_empty()).unwrap_or(false)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.stop.send(());
        let outstanding = self.due.lock().map(|d| d.len() as u64).unwrap_or(0);
        let (recorder, codes, received) = match self.state.lock() {
            Ok(s) => (s.0.summary(1.0, 1.0), s.1.clone(), s.2),
            Err(_) => {
                return AsyncSummary {
                    expected: 0,
                    received: 0,
                    codes: Default::default(),
                    end_to_end: None,
                };
            }
        };
        AsyncSummary {
            expected: received + outstanding,
            received,
            codes,
            end_to_end: (recorder.requests > 0).then_some(recorder.corrected),
        }
    }
}

/// The quantile table of a report.
pub fn table(report: &LoadReport) -> String {
    let mut out = format!("target {}\n", report.target);
    out.push_str(&format!(
        "{:>10} {:>10} {:>9} | corrected ms: {:>8} {:>8} {:>8} {:>8} {:>8} | uncorrected ms: {:>8} {:>8} | {:>6} {:>8}\n",
        "rate/s", "achieved", "requests", "p50", "p90", "p99", "p99.9", "max", "p50", "p99", "errors", "late"
    ));
    for p in &report.curve {
        let s = &p.summary;
        out.push_str(&format!(
            "{:>10.0} {:>10.0} {:>9} | {:>22.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} | {:>24.2} {:>8.2} | {:>5.2}% {:>8}{}\n",
            s.target_rate,
            s.achieved_rate,
            s.requests,
            s.corrected.p50,
            s.corrected.p90,
            s.corrected.p99,
            s.corrected.p999,
            s.corrected.max,
            s.uncorrected.p50,
            s.uncorrected.p99,
            s.error_share * 100.0,
            s.sent_late,
            if p.breaches.is_empty() { String::new() } else { format!("  misses: {}", p.breaches.join("; ")) }
        ));
    }
    if let Some(r) = report.sustainable_rate {
        out.push_str(&format!("highest rate meeting the SLO: {r:.0}/s\n"));
    }
    if let Some(a) = &report.responses {
        let codes: Vec<String> = a.codes.iter().map(|(c, n)| format!("{c} {n}")).collect();
        out.push_str(&format!(
            "asynchronous responses: {} of {} received ({})\n",
            a.received,
            a.expected,
            codes.join(", ")
        ));
        if let Some(q) = &a.end_to_end {
            out.push_str(&format!(
                "end to end, from intended send to response received, ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}\n",
                q.p50, q.p90, q.p99, q.p999, q.max
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests are made in order, each with its own counter, as far as a step asks; a step
    /// gets exactly its own (those of earlier steps are not sent again).
    #[test]
    fn each_request_is_signed_once_with_its_own_counter() {
        let supplier = crate::gateway::defaults::SUPPLIER;
        let meters = crate::gateway::defaults::meters_read_by(supplier, 10, 200).unwrap();
        let users = [(supplier, meters)];
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let mix = super::super::mix::Mix::mhhs();
        let requests = SignedRequests::new(&mix, &users, 500, day, "/api/v1/serviceS").unwrap();
        let prepare = requests.into_prepare();
        let (_, made) = prepare(0, 10).unwrap();
        assert_eq!(made, 10);
        let (step, made) = prepare(5, 31).unwrap();
        assert_eq!(made, 21);
        let counter = |i: u64| {
            let (path, body) = step(i);
            assert_eq!(path, "/api/v1/serviceS");
            crate::headend::Request::parse(std::str::from_utf8(&body).unwrap())
                .unwrap()
                .id
                .counter
        };
        assert_eq!(counter(5), 505);
        assert_eq!(counter(30), 530);
        assert!(step(4).1.is_empty(), "an earlier step's: not sent again");
        assert!(step(31).1.is_empty(), "beyond the step");
        // The same request as signed in one go (up to the signature value: ECDSA's is random).
        let all = signed_duis_bodies(&mix, &users, 500, 31, day).unwrap();
        let signed = |body: &Bytes| {
            let text = String::from_utf8(body.to_vec()).unwrap();
            text[..text.find("<ds:SignatureValue>").unwrap()].to_string()
        };
        assert_eq!(signed(&step(30).1), signed(&all[30].1));
        // A step too large to sign ahead is refused, saying what to change.
        let err = prepare(31, 31 + MAX_STEP_REQUESTS + 1).err().unwrap();
        assert!(err.contains("shorten --duration"), "{err}");
    }
}
