//! `dccsim load` and `echo-server`: the open-loop load generator and its calibration target.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::write;

#[derive(clap::Args)]
pub struct Args {
    /// The endpoint, e.g. https://localhost:8443/api/v1/serviceS.
    #[arg(long)]
    pub target: String,
    /// Requests per second (the first rate tried with --find-max).
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Seconds each measured step lasts.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of warm-up before each step, not measured.
    #[arg(long, default_value_t = 0.0)]
    pub warmup: f64,
    /// Stop each step after this many requests.
    #[arg(long)]
    pub requests: Option<u64>,
    /// Connections per user (default: one for DUIS requests, so each user's counters
    /// arrive in order; with --body, enough for rate × 50 ms, at least 4, at most 128).
    #[arg(long)]
    pub connections: Option<usize>,
    /// The DCC users sending the DUIS reads, comma-separated EUI-64s, requests dealt to them
    /// in turn, each user its own connection: of the default fleet, the RTDS supplier
    /// 90-B3-D5-1F-30-01-00-00 (even premises) and the network operator
    /// 90-B3-D5-1F-30-02-00-00 (any premises; the reads its role may send: 4.8.1, 4.8.3,
    /// 4.10, 4.16, 4.17, 4.1.1, 8.2), the two ZAZ1 users with XML-signing keys who hold
    /// meters. More than one needs --pki.
    #[arg(long, value_delimiter = ',', default_value = "90-B3-D5-1F-30-01-00-00")]
    pub users: Vec<dccsim::model::Eui64>,
    /// The head-end's test PKI folder (e.g. dccsim-state/pki): its ca.pem, and each user's
    /// <EUI>.pem and <EUI>.key as client certificate — instead of --cacert, --cert, --key.
    #[arg(long, conflicts_with_all = ["cert", "key"])]
    pub pki: Option<PathBuf>,
    /// File whose contents every request carries; by default the requests are DUIS reads of
    /// yesterday in the --mix's proportions (RTDS templates), to the default fleet's meters
    /// the RTDS supplier holds, signed with its ZAZ1 key, with increasing counters.
    #[arg(long, conflicts_with = "mix")]
    pub body: Option<PathBuf>,
    /// The mix of reads to send (TOML: [[request]] service = "4.8.1", weight = 90 …; and
    /// optionally slo = "p99<25ms,errors<0.1%"); default: the MHHS collection mix, 4.8.1
    /// × 90, 4.6.1 × 5, 4.1.1 × 5. Services: 4.8.1, 4.6.1, 4.17, 4.1.1, 4.18 (suppliers),
    /// 4.8.3, 4.10, 4.16 (network operators, and export suppliers for 4.8.3), 8.2 (the DCC's
    /// Read Inventory, to serviceD).
    #[arg(long)]
    pub mix: Option<PathBuf>,
    /// Signed requests to make before the first step. Each is used once (a user's counters
    /// must rise: a request sent twice is a replay); whatever a step needs beyond these is
    /// signed before that step starts, so signing is never timed.
    #[arg(long, default_value_t = 0)]
    pub signed: usize,
    /// The premises of the head-end's fleet (`dccsim serve --premises`), so reads go to
    /// meters it has: each user's first 1,000 of them at most.
    #[arg(long, default_value_t = 10_000)]
    pub premises: u32,
    /// Listen here as the user's Receive Response Service and time each asynchronous
    /// response from its request's intended send time (start the head-end with
    /// `--receive 90-B3-D5-1F-30-01-00-00=http://THIS/`).
    #[arg(long)]
    pub receive_listen: Option<String>,
    /// Seconds to wait for outstanding asynchronous responses after the last step.
    #[arg(long, default_value_t = 15.0)]
    pub response_wait: f64,
    /// CA certificate to trust (PEM), for https:// targets.
    #[arg(long)]
    pub cacert: Option<String>,
    /// Client certificate and key (PEM) for mutual TLS.
    #[arg(long)]
    pub cert: Option<String>,
    #[arg(long)]
    pub key: Option<String>,
    /// Service-level objective, e.g. 'p99<25ms,errors<0.1%'; exit status 3 on a breach.
    /// Overrides the mix file's.
    #[arg(long)]
    pub slo: Option<String>,
    /// Search for the highest rate meeting the SLO (doubling, then bisection).
    #[arg(long)]
    pub find_max: bool,
    /// Highest rate --find-max tries.
    #[arg(long, default_value_t = 200_000.0)]
    pub max_rate: f64,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the report as an HTML page (latency against rate, distributions) to this file.
    #[arg(long)]
    pub html: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        target,
        rate,
        duration,
        warmup,
        requests,
        connections,
        users,
        pki,
        body,
        mix,
        signed,
        premises,
        receive_listen,
        response_wait,
        cacert,
        cert,
        key,
        slo,
        find_max,
        max_rate,
        json,
        html,
    } = args;
    use dccsim::load::cli::{LoadOptions, run, table};
    // Microseconds, as `dccsim duis sign` numbers requests: room for a million
    // requests a second without running ahead of the clock.
    let first_counter = chrono::Utc::now().timestamp_micros() as u64;
    let mix = match &mix {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            dccsim::load::mix::Mix::parse(&path.display().to_string(), &text)
                .map_err(anyhow::Error::msg)?
        }
        None => dccsim::load::mix::Mix::mhhs(),
    };
    let slo = slo.or_else(|| mix.slo.clone());
    anyhow::ensure!(
        !find_max || slo.is_some(),
        "--find-max needs an SLO: --slo, or slo = \"…\" in the --mix file"
    );
    let ordered = body.is_none();
    anyhow::ensure!(
        users.len() == 1 || pki.is_some() || body.is_some(),
        "--users with more than one user needs --pki (each user's client certificate)"
    );
    let lanes: Vec<(String, String)> = match (&pki, ordered) {
        (Some(dir), true) => users
            .iter()
            .map(|u| {
                let file = |ext: &str| dir.join(format!("{u}.{ext}")).display().to_string();
                (file("pem"), file("key"))
            })
            .collect(),
        _ => Vec::new(),
    };
    let (body, prepare) = match body {
        Some(path) => (
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?,
            None,
        ),
        None => {
            // Each user's meters in the default fleet.
            let users = users
                .iter()
                .map(|&user| {
                    dccsim::gateway::defaults::meters_read_by(user, 1000, premises)
                        .filter(|meters| !meters.is_empty())
                        .map(|meters| (user, meters))
                        .with_context(|| {
                            format!(
                                "--users: {user} holds no meters of the default fleet of {premises} premises"
                            )
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            let yesterday = chrono::Utc::now().date_naive().pred_opt().context("date")?;
            let path = target
                .rsplit_once("://")
                .and_then(|(_, r)| r.find('/').map(|i| r[i..].to_string()))
                .unwrap_or_else(|| "/api/v1/serviceS".into());
            let mut requests = dccsim::load::cli::SignedRequests::new(
                &mix,
                &users,
                first_counter,
                yesterday,
                &path,
            )
            .map_err(anyhow::Error::msg)?;
            // The first `--signed` up front; each step's before it starts.
            let started = std::time::Instant::now();
            let count = signed.div_ceil(users.len()) * users.len();
            requests
                .prepare(0, count as u64)
                .map_err(anyhow::Error::msg)?;
            eprintln!(
                "DUIS requests ({}), signed before each step (not timed){}",
                mix.describe(),
                match count {
                    0 => String::new(),
                    _ => format!(
                        "; {count} signed up front in {:.1} s",
                        started.elapsed().as_secs_f64()
                    ),
                }
            );
            (Vec::new(), Some(requests.into_prepare()))
        }
    };
    let positive = |v: f64, what: &str| {
        anyhow::ensure!(
            v.is_finite() && v > 0.0,
            "--{what} must be a positive number"
        );
        Ok(v)
    };
    let options = LoadOptions {
        url: target,
        rate: positive(rate, "rate")?,
        duration: std::time::Duration::from_secs_f64(positive(duration, "duration")?),
        warmup: std::time::Duration::from_secs_f64(warmup.max(0.0)),
        max_requests: requests,
        connections,
        body: body.into(),
        cacert: cacert.or_else(|| {
            pki.as_ref()
                .map(|dir| dir.join("ca.pem").display().to_string())
        }),
        cert,
        key,
        lanes,
        ordered,
        slo: slo
            .as_deref()
            .map(dccsim::load::plan::parse_slo)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        find_max,
        max_rate,
        receive: receive_listen,
        first_counter,
        response_wait: std::time::Duration::from_secs_f64(response_wait.max(0.0)),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime
        .block_on(run(&options, None, prepare, |line| eprintln!("{line}")))
        .map_err(anyhow::Error::msg)?;
    print!("{}", table(&report));
    if let Some(path) = json {
        write(&path, &serde_json::to_string_pretty(&report)?)?;
    }
    if let Some(path) = html {
        write(&path, &dccsim::load::html::html(&report))?;
    }
    let breached = report.curve.last().is_some_and(|p| !p.breaches.is_empty()) && !find_max;
    Ok(
        if breached || (find_max && report.sustainable_rate.is_none()) {
            ExitCode::from(3)
        } else {
            ExitCode::SUCCESS
        },
    )
}

#[derive(clap::Args)]
pub struct EchoArgs {
    #[arg(long, default_value = "127.0.0.1:8099")]
    pub listen: String,
    /// PKI folder (from `dccsim pki init`) to serve HTTPS with its server certificate.
    #[arg(long)]
    pub tls: Option<PathBuf>,
    /// Stall every answer from this many seconds after start…
    #[arg(long, requires = "stall_until")]
    pub stall_from: Option<f64>,
    /// …until this many.
    #[arg(long)]
    pub stall_until: Option<f64>,
}

/// `dccsim echo-server`.
pub fn echo(args: EchoArgs) -> Result<ExitCode> {
    let EchoArgs {
        listen,
        tls,
        stall_from,
        stall_until,
    } = args;
    let tls = match tls {
        Some(dir) => {
            let pki = dccsim::gateway::Pki::read(&dir, &[])?;
            Some(server_only_tls(&pki)?)
        }
        None => None,
    };
    let stall = stall_from
        .zip(stall_until)
        .map(|(a, b)| dccsim::load::echo::Stall {
            from: std::time::Duration::from_secs_f64(a.max(0.0)),
            until: std::time::Duration::from_secs_f64(b.max(0.0)),
        });
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        eprintln!("echo server on {} (Ctrl-C to stop)", listener.local_addr()?);
        dccsim::load::echo::serve(listener, tls, stall, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// A TLS server configuration from a PKI folder's server certificate, with no client
/// certificates asked for (the echo server is a calibration target, not a gateway).
fn server_only_tls(pki: &dccsim::gateway::Pki) -> Result<std::sync::Arc<rustls::ServerConfig>> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cert = CertificateDer::from_pem_slice(pki.server.cert_pem.as_bytes())?;
    let key = PrivateKeyDer::from_pem_slice(pki.server.key_pem.as_bytes())?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)?;
    Ok(std::sync::Arc::new(config))
}
