//! `dccsim serve`: the head-end, its settings merged from flags, a configuration file and the
//! defaults.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::duis::zaz1_signers;

#[derive(clap::Args)]
pub struct Args {
    /// A TOML file of these settings, each named as its flag (`listen = "…"`,
    /// `schedule-spread = 600`…) with users' Receive Response Services in a `[receive]`
    /// table; flags given here win over the file (README: "A configuration file").
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// State folder: PKI, SQLite database (registry, counters, responses not yet delivered,
    /// DCC schedules, held future-dated requests, device state, transaction log).
    /// [default: dccsim-state]
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// HTTPS (mutual TLS) address. [default: 127.0.0.1:8443]
    #[arg(long)]
    pub listen: Option<String>,
    /// Also serve plain HTTP here (DCC Boxed's port 8079 style), e.g. 127.0.0.1:8079.
    #[arg(long)]
    pub plain: Option<String>,
    /// Generated premises (each an electricity meter and comms hub). [default: 10000]
    #[arg(long)]
    pub premises: Option<u32>,
    /// [default: 1]
    #[arg(long)]
    pub seed: Option<u64>,
    /// A user's Receive Response Service, EUI=URL (repeatable), http:// or https://; by
    /// default every user's is http://127.0.0.1:8090/<EUI>, where `dccsim receive` listens;
    /// `*=URL` moves that default: URL, then the user's EUI.
    #[arg(long = "receive")]
    pub receive: Vec<String>,
    /// PEM file of the CA(s) that https:// Receive Response Services' certificates chain to
    /// (the head-end's own test CA is always trusted).
    #[arg(long)]
    pub receive_ca: Option<PathBuf>,
    /// Seconds over which each DCC schedule's runs are spread after their start time (each
    /// schedule at a fixed offset within the window), so one schedule time does not flood
    /// the WAN. [default: 3600]
    #[arg(long)]
    pub schedule_spread: Option<f64>,
    /// The WAN at zero delay and without loss (to measure the head-end itself), instead of
    /// the default model (log-normal latency, median 0.9 s Central and South, 2.5 s North;
    /// 0.2 % loss each way; E21 after 60 s).
    #[arg(long)]
    pub zero_wan: bool,
    /// Probability a command or its answer is lost on the default WAN (default 0.002).
    #[arg(long, conflicts_with = "zero_wan")]
    pub wan_loss: Option<f64>,
    /// A simulator scenario (e.g. scenarios/gb-today.toml) whose regions and technologies
    /// make the WAN: hubs spread over technologies and cells, per-cell uplink and downlink
    /// queues, latency, loss with the CSP's retries, cell outages, hubs without coverage.
    #[arg(long, conflicts_with_all = ["zero_wan", "wan_loss"])]
    pub wan: Option<PathBuf>,
    /// Sign the synchronous acknowledgements (I99) and refusals too. By default only
    /// responses that carry data are signed, as DCC Boxed does: its synchronous
    /// acknowledgements and errors come unsigned.
    #[arg(long)]
    pub sign_acknowledgements: bool,
    /// Supply outages per premises per year (0: none). Faults take clusters of neighbouring
    /// premises off supply: their devices do not answer meanwhile, and each electricity
    /// meter alerts its network operator when supply comes back (8F36/8F35). Default 0.874,
    /// GB's customer interruptions per customer a year; raise it to see alerts in a trial.
    #[arg(long)]
    pub outages_per_year: Option<f64>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        config,
        state,
        listen,
        plain,
        premises,
        seed,
        receive,
        receive_ca,
        schedule_spread,
        zero_wan,
        wan_loss,
        wan: wan_scenario,
        sign_acknowledgements,
        outages_per_year,
    } = args;
    let file = config
        .map(|path| dccsim::gateway::config::ServeConfig::load(&path))
        .transpose()
        .map_err(anyhow::Error::msg)?
        .unwrap_or_default();
    // The file's receive table first, so a flag for the same user wins.
    let receive = [file.receive_flags(), receive].concat();
    let state = state
        .or(file.state)
        .unwrap_or_else(|| "dccsim-state".into());
    let listen = listen
        .or(file.listen)
        .unwrap_or_else(|| "127.0.0.1:8443".into());
    let plain = plain.or(file.plain);
    let premises = premises.or(file.premises).unwrap_or(10_000);
    let seed = seed.or(file.seed).unwrap_or(1);
    let receive_ca = receive_ca.or(file.receive_ca);
    let schedule_spread = schedule_spread.or(file.schedule_spread).unwrap_or(3600.0);
    let sign_acknowledgements =
        sign_acknowledgements || file.sign_acknowledgements.unwrap_or(false);
    let outages_per_year = outages_per_year
        .or(file.outages_per_year)
        .unwrap_or(dccsim::headend::outages::OutageModel::default().per_premises_per_year);
    if !(outages_per_year.is_finite() && outages_per_year >= 0.0) {
        anyhow::bail!("--outages-per-year {outages_per_year}: a rate, 0 or more");
    }
    // The WAN is chosen whole: by the flags if any is given, else by the file.
    let (zero_wan, wan_loss, wan_scenario) =
        if zero_wan || wan_loss.is_some() || wan_scenario.is_some() {
            (zero_wan, wan_loss, wan_scenario)
        } else {
            (file.zero_wan.unwrap_or(false), file.wan_loss, file.wan)
        };
    let cell_wan = wan_scenario
        .map(|p| dccsim::sim::scenario::Scenario::load(&p))
        .transpose()?;
    if let Some(p) = wan_loss
        && !(0.0..=1.0).contains(&p)
    {
        anyhow::bail!("--wan-loss {p}: a probability, 0 to 1");
    }
    let mut wan = if zero_wan {
        dccsim::gateway::defaults::zero_wan()
    } else {
        dccsim::gateway::defaults::wan()
    };
    for link in wan.values_mut() {
        link.loss = wan_loss.unwrap_or(link.loss);
    }
    if !(schedule_spread.is_finite() && schedule_spread >= 0.0) {
        anyhow::bail!("--schedule-spread {schedule_spread}: a number of seconds, 0 or more");
    }
    let spread = chrono::Duration::milliseconds((schedule_spread * 1000.0) as i64);
    let receive_ca = receive_ca
        .map(|p| {
            std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read --receive-ca {}", p.display()))
        })
        .transpose()?;
    serve(Serve {
        state,
        listen,
        plain,
        premises,
        seed,
        receive,
        receive_ca,
        schedule_spread: spread,
        wan,
        cell_wan,
        sign_acknowledgements,
        outages_per_year,
    })
}

/// `dccsim serve`'s settings once the flags, the configuration file and the defaults are merged.
struct Serve {
    state: PathBuf,
    listen: String,
    plain: Option<String>,
    premises: u32,
    seed: u64,
    /// `EUI=URL` Receive Response Services, in order (a later one for the same user wins).
    receive: Vec<String>,
    receive_ca: Option<String>,
    schedule_spread: chrono::Duration,
    wan: std::collections::BTreeMap<dccsim::model::CspRegion, dccsim::headend::WanLink>,
    cell_wan: Option<dccsim::sim::scenario::Scenario>,
    sign_acknowledgements: bool,
    outages_per_year: f64,
}

fn serve(settings: Serve) -> Result<ExitCode> {
    let Serve {
        state,
        listen,
        plain,
        premises,
        seed,
        receive,
        receive_ca,
        schedule_spread,
        wan,
        cell_wan,
        sign_acknowledgements,
        outages_per_year,
    } = settings;
    use dccsim::gateway::defaults;
    use dccsim::gateway::run::{ServeOptions, serve};
    // `*=URL`: every user's Receive Response Service is URL/<EUI> unless named on its own.
    let mut base = "http://127.0.0.1:8090/".to_string();
    for url in receive.iter().filter_map(|r| r.strip_prefix("*=")) {
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "--receive *={url}: not an http:// or https:// URL"
        );
        base = format!("{}/", url.trim_end_matches('/'));
    }
    let mut receive_urls: std::collections::HashMap<dccsim::model::Eui64, String> =
        defaults::users()
            .iter()
            .map(|u| (u.eui, format!("{base}{}", u.eui)))
            .collect();
    let mut overridden = std::collections::BTreeSet::new();
    for r in receive.iter().filter(|r| !r.starts_with("*=")) {
        let (eui, url) = r
            .split_once('=')
            .with_context(|| format!("--receive {r:?}: expected EUI=URL"))?;
        let eui: dccsim::model::Eui64 = eui.parse().with_context(|| format!("--receive {r:?}"))?;
        receive_urls.insert(eui, url.to_string());
        overridden.insert(eui);
    }
    let overridden: Vec<String> = overridden
        .iter()
        .map(|eui| format!("{eui} → {}", receive_urls[eui]))
        .collect();
    let signers = zaz1_signers()?;
    let verifier = signers.clone();
    let options = ServeOptions {
        state: state.clone(),
        listen,
        plain,
        premises,
        seed,
        receive_urls,
        receive_ca,
        check_signature: std::sync::Arc::new(move |xml| {
            verifier.verify(xml).map_err(|e| e.to_string())
        }),
        // DCC signs what it sends with its DSP XML-signing key, as DCC Boxed does.
        sign_response: Some(Box::new(move |xml| {
            signers
                .sign_canonical(xml, defaults::ACB, true)
                .unwrap_or_else(|_| xml.to_string())
        })),
        sign_acknowledgements,
        schedule_spread,
        wan,
        cell_wan,
        outages: dccsim::headend::outages::OutageModel {
            per_premises_per_year: outages_per_year,
            ..Default::default()
        },
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(serve(
        options,
        |s| {
            let pki = s.pki_dir.display();
            let supplier = defaults::SUPPLIER;
            println!("dccsim head-end: {} devices in the registry, users from the ZAZ1 test PKI", s.devices);
            println!("  HTTPS with mutual TLS on https://{} (paths /api/v1/serviceS, serviceT, serviceD)", s.https);
            if let Some(p) = s.plain {
                println!("  plain HTTP on http://{p}");
            }
            if let Some(cells) = &s.cells {
                let cells: Vec<String> = cells.iter().map(|(r, n)| format!("{n} in {r}")).collect();
                println!("  WAN: the scenario's technologies, cells {}", cells.join(", "));
            }
            println!("  client certificates: {pki}/<EUI>.pem and .key; CA: {pki}/ca.pem");
            if outages_per_year > 0.0 {
                println!(
                    "  supply outages: {outages_per_year} per premises a year (about {} premises a day), each meter alerting its network operator when supply returns",
                    about(outages_per_year * f64::from(premises) / 365.25)
                );
            }
            println!(
                "  responses signed with the DSP's ZAZ1 XML-signing key ({})",
                match sign_acknowledgements {
                    true => "acknowledgements and refusals too",
                    false => "not acknowledgements and refusals, as DCC Boxed's",
                }
            );
            println!(
                "  state: {} (restored {} counters, {} responses not yet delivered, {} schedules, {} held requests, {} premises off supply)",
                state.display(), s.restored_counters, s.restored_undelivered, s.restored_schedules, s.restored_held, s.restored_off
            );
            if overridden.is_empty() {
                println!("  responses go to {base}<EUI> unless --receive says otherwise: run `dccsim receive`");
            } else {
                println!("  responses go to {}; other users' to {base}<EUI>", overridden.join(", "));
            }
            println!();
            println!("send a first request (the RTDS 4.8.1 template, signed with the supplier's ZAZ1 key):");
            println!("  dccsim duis sign --recent ../shared/reference/duis/rtds-templates/ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML > request.xml");
            println!("  curl --cacert {pki}/ca.pem --cert {pki}/{supplier}.pem --key {pki}/{supplier}.key -H 'Content-Type: application/xml' --data-binary @request.xml https://localhost:{}/api/v1/serviceS", s.https.port());
        },
        shutdown_signal(),
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// A rate for people: one decimal below ten, whole numbers above.
fn about(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

/// Ctrl-C, or SIGTERM (a service manager stopping the head-end): both shut down cleanly.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
