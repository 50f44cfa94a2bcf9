//! The `dccsim` command line: parses arguments, calls the library, prints, picks the exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: the head-end, the load generator and the receiver
/// allocate small buffers on many threads, where glibc's malloc spent about a sixth of the
/// head-end's CPU (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use dccsim::model::CATALOGUE;
use dccsim::report::{self, Report};
use dccsim::sim::scenario::Scenario;
use dccsim::sim::{RunOptions, simulate};

#[derive(Parser)]
#[command(
    name = "dccsim",
    version,
    about = "A DCC-style smart meter head-end and WAN simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the service catalogue: every traffic class with its sizes, response time and the
    /// DUIS service and GBCS use case that carry it.
    Catalogue {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Simulate a scenario in virtual time and print its service-level report.
    Simulate {
        /// Scenario file (TOML); see scenarios/README.md. Without one, the embedded GB-today
        /// scenario (scenarios/gb-today.toml) runs.
        file: Option<PathBuf>,
        /// Seed of the run's random generator (defaults to the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Multiply every region's meter count, e.g. 0.01 for a 1 % fleet.
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        scale: f64,
        /// Write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the report as a self-contained HTML page to this file.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Skip the capacity-knee search.
        #[arg(long)]
        no_knee: bool,
        /// Worker threads (default: all cores). The report does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Exit with status 3 when any service class misses its target.
        #[arg(long)]
        fail_on_miss: bool,
    },
    /// Set two JSON reports side by side.
    Compare { a: PathBuf, b: PathBuf },
    /// GBCS messages: decode and check them.
    Gbcs {
        #[command(subcommand)]
        command: GbcsCommand,
    },
    /// Vendor (SMETS1-style) protocols declared in protocols/*.toml: check a file, decode frames.
    Protocol {
        #[command(subcommand)]
        command: ProtocolCommand,
    },
    /// The test PKI for the User Gateway's mutual TLS.
    Pki {
        #[command(subcommand)]
        command: PkiCommand,
    },
    /// A minimal Receive Response Service: stores and prints the responses and alerts a
    /// head-end POSTs to it.
    Receive {
        /// Address to listen on (plain HTTP, or HTTPS with --tls).
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
        /// Folder to store each message in (as 000001.xml, …).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Serve HTTPS with this PKI folder's server certificate (`dccsim pki init`, or a
        /// head-end's `STATE/pki`) and require a client certificate from its CA, as the
        /// head-end's DSP certificate is.
        #[arg(long)]
        tls: Option<PathBuf>,
    },
    /// Drive a DUIS endpoint (or any HTTP one) at a fixed request rate, open loop, and report
    /// latency from intended send times; with --find-max, search for the highest rate meeting
    /// the SLO.
    Load {
        /// The endpoint, e.g. https://localhost:8443/api/v1/serviceS.
        #[arg(long)]
        target: String,
        /// Requests per second (the first rate tried with --find-max).
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
        /// Seconds each measured step lasts.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Seconds of warm-up before each step, not measured.
        #[arg(long, default_value_t = 0.0)]
        warmup: f64,
        /// Stop each step after this many requests.
        #[arg(long)]
        requests: Option<u64>,
        /// Connections per user (default: one for DUIS requests, so each user's counters
        /// arrive in order; with --body, enough for rate × 50 ms, at least 4, at most 128).
        #[arg(long)]
        connections: Option<usize>,
        /// The DCC users sending the DUIS reads, comma-separated EUI-64s, requests dealt to them
        /// in turn, each user its own connection: of the default fleet, the RTDS supplier
        /// 90-B3-D5-1F-30-01-00-00 (even premises) and the network operator
        /// 90-B3-D5-1F-30-02-00-00 (any premises; the reads its role may send: 4.8.1, 4.8.3,
        /// 4.10, 4.16, 4.17, 4.1.1, 8.2), the two ZAZ1 users with XML-signing keys who hold
        /// meters. More than one needs --pki.
        #[arg(long, value_delimiter = ',', default_value = "90-B3-D5-1F-30-01-00-00")]
        users: Vec<dccsim::model::Eui64>,
        /// The head-end's test PKI folder (e.g. dccsim-state/pki): its ca.pem, and each user's
        /// <EUI>.pem and <EUI>.key as client certificate — instead of --cacert, --cert, --key.
        #[arg(long, conflicts_with_all = ["cert", "key"])]
        pki: Option<PathBuf>,
        /// File whose contents every request carries; by default the requests are DUIS reads of
        /// yesterday in the --mix's proportions (RTDS templates), to the default fleet's meters
        /// the RTDS supplier holds, signed with its ZAZ1 key, with increasing counters.
        #[arg(long, conflicts_with = "mix")]
        body: Option<PathBuf>,
        /// The mix of reads to send (TOML: [[request]] service = "4.8.1", weight = 90 …; and
        /// optionally slo = "p99<25ms,errors<0.1%"); default: the MHHS collection mix, 4.8.1
        /// × 90, 4.6.1 × 5, 4.1.1 × 5. Services: 4.8.1, 4.6.1, 4.17, 4.1.1, 4.18 (suppliers),
        /// 4.8.3, 4.10, 4.16 (network operators, and export suppliers for 4.8.3), 8.2 (the DCC's
        /// Read Inventory, to serviceD).
        #[arg(long)]
        mix: Option<PathBuf>,
        /// Signed requests to make before the first step. Each is used once (a user's counters
        /// must rise: a request sent twice is a replay); whatever a step needs beyond these is
        /// signed before that step starts, so signing is never timed.
        #[arg(long, default_value_t = 0)]
        signed: usize,
        /// The premises of the head-end's fleet (`dccsim serve --premises`), so reads go to
        /// meters it has: each user's first 1,000 of them at most.
        #[arg(long, default_value_t = 10_000)]
        premises: u32,
        /// Listen here as the user's Receive Response Service and time each asynchronous
        /// response from its request's intended send time (start the head-end with
        /// `--receive 90-B3-D5-1F-30-01-00-00=http://THIS/`).
        #[arg(long)]
        receive_listen: Option<String>,
        /// Seconds to wait for outstanding asynchronous responses after the last step.
        #[arg(long, default_value_t = 15.0)]
        response_wait: f64,
        /// CA certificate to trust (PEM), for https:// targets.
        #[arg(long)]
        cacert: Option<String>,
        /// Client certificate and key (PEM) for mutual TLS.
        #[arg(long)]
        cert: Option<String>,
        #[arg(long)]
        key: Option<String>,
        /// Service-level objective, e.g. 'p99<25ms,errors<0.1%'; exit status 3 on a breach.
        /// Overrides the mix file's.
        #[arg(long)]
        slo: Option<String>,
        /// Search for the highest rate meeting the SLO (doubling, then bisection).
        #[arg(long)]
        find_max: bool,
        /// Highest rate --find-max tries.
        #[arg(long, default_value_t = 200_000.0)]
        max_rate: f64,
        /// Write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the report as an HTML page (latency against rate, distributions) to this file.
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// A trivial endpoint answering 200 to everything (plain HTTP, or HTTPS with a PKI folder),
    /// for calibrating load generators; optionally stalling for a window.
    EchoServer {
        #[arg(long, default_value = "127.0.0.1:8099")]
        listen: String,
        /// PKI folder (from `dccsim pki init`) to serve HTTPS with its server certificate.
        #[arg(long)]
        tls: Option<PathBuf>,
        /// Stall every answer from this many seconds after start…
        #[arg(long, requires = "stall_until")]
        stall_from: Option<f64>,
        /// …until this many.
        #[arg(long)]
        stall_until: Option<f64>,
    },
    /// Run the head-end: the DUIS User Gateway over mutual TLS in front of a virtual fleet.
    /// Without options, the embedded default (10,000 premises in three regions, the RTDS test
    /// meter, the ZAZ1 test organisations as users) with state in ./dccsim-state.
    Serve {
        /// A TOML file of these settings, each named as its flag (`listen = "…"`,
        /// `schedule-spread = 600`…) with users' Receive Response Services in a `[receive]`
        /// table; flags given here win over the file (README: "A configuration file").
        #[arg(long)]
        config: Option<PathBuf>,
        /// State folder: PKI, SQLite database (registry, counters, responses not yet delivered,
        /// DCC schedules, held future-dated requests, device state, transaction log).
        /// [default: dccsim-state]
        #[arg(long)]
        state: Option<PathBuf>,
        /// HTTPS (mutual TLS) address. [default: 127.0.0.1:8443]
        #[arg(long)]
        listen: Option<String>,
        /// Also serve plain HTTP here (DCC Boxed's port 8079 style), e.g. 127.0.0.1:8079.
        #[arg(long)]
        plain: Option<String>,
        /// Generated premises (each an electricity meter and comms hub). [default: 10000]
        #[arg(long)]
        premises: Option<u32>,
        /// [default: 1]
        #[arg(long)]
        seed: Option<u64>,
        /// A user's Receive Response Service, EUI=URL (repeatable), http:// or https://; by
        /// default every user's is http://127.0.0.1:8090/<EUI>, where `dccsim receive` listens;
        /// `*=URL` moves that default: URL, then the user's EUI.
        #[arg(long = "receive")]
        receive: Vec<String>,
        /// PEM file of the CA(s) that https:// Receive Response Services' certificates chain to
        /// (the head-end's own test CA is always trusted).
        #[arg(long)]
        receive_ca: Option<PathBuf>,
        /// Seconds over which each DCC schedule's runs are spread after their start time (each
        /// schedule at a fixed offset within the window), so one schedule time does not flood
        /// the WAN. [default: 3600]
        #[arg(long)]
        schedule_spread: Option<f64>,
        /// The WAN at zero delay and without loss (to measure the head-end itself), instead of
        /// the default model (log-normal latency, median 0.9 s Central and South, 2.5 s North;
        /// 0.2 % loss each way; E21 after 60 s).
        #[arg(long)]
        zero_wan: bool,
        /// Probability a command or its answer is lost on the default WAN (default 0.002).
        #[arg(long, conflicts_with = "zero_wan")]
        wan_loss: Option<f64>,
        /// A simulator scenario (e.g. scenarios/gb-today.toml) whose regions and technologies
        /// make the WAN: hubs spread over technologies and cells, per-cell uplink and downlink
        /// queues, latency, loss with the CSP's retries, cell outages, hubs without coverage.
        #[arg(long, conflicts_with_all = ["zero_wan", "wan_loss"])]
        wan: Option<PathBuf>,
        /// Sign the synchronous acknowledgements (I99) and refusals too. By default only
        /// responses that carry data are signed, as DCC Boxed does: its synchronous
        /// acknowledgements and errors come unsigned.
        #[arg(long)]
        sign_acknowledgements: bool,
        /// Supply outages per premises per year (0: none). Faults take clusters of neighbouring
        /// premises off supply: their devices do not answer meanwhile, and each electricity
        /// meter alerts its network operator when supply comes back (8F36/8F35). Default 0.874,
        /// GB's customer interruptions per customer a year; raise it to see alerts in a trial.
        #[arg(long)]
        outages_per_year: Option<f64>,
    },
    /// DUIS XML signatures with the ZAZ1 test keys, as DCC's signing tool makes them.
    Duis {
        #[command(subcommand)]
        command: DuisCommand,
    },
    /// The head-end's mirrored registry: import an extract, apply a delta, show it (in the
    /// state folder's database, which `dccsim serve` reads when it starts and again within
    /// about two seconds of each save).
    Registry {
        /// The head-end's state folder.
        #[arg(long, default_value = "dccsim-state", global = true)]
        state: PathBuf,
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// The transaction log users are charged on (kept by `dccsim serve` in its state folder):
    /// requests with their synchronous answers, and the responses and alerts delivered, with
    /// the bytes each way.
    Charging {
        /// The head-end's state folder.
        #[arg(long, default_value = "dccsim-state", global = true)]
        state: PathBuf,
        #[command(subcommand)]
        command: ChargingCommand,
    },
    /// Settle a day: validate and estimate half-hourly data, build load shapes, allocate volumes
    /// with line losses and GSP group correction, for the SF, R1 and RF runs, and measure the
    /// error against the truth where it is known. Data comes from a generated national fleet
    /// (default), the head-end's scheduled 4.8.1 and 4.8.3 reads (--headend) or CSV files (--standing).
    Settle {
        /// Settlement day (Europe/London), YYYY-MM-DD.
        #[arg(long, default_value = "2026-11-18")]
        date: String,
        /// Premises in the generated fleet (default 100,000), or in the head-end's with --headend
        /// (default 2,000).
        #[arg(long)]
        premises: Option<usize>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Generated fleet: how smart meters are collected: daily (half-hourly profile),
        /// monthly (register reads every 30 days) or none.
        #[arg(long, default_value = "daily", value_parser = dccsim::settlement::cli::parse_collection)]
        collection: dccsim::settlement::synthetic::ReadMode,
        /// Generated fleet: chance that a day's scheduled read is answered.
        #[arg(long, default_value_t = 0.98)]
        success: f64,
        /// Generated fleet: share of meters without WAN coverage (never read).
        #[arg(long, default_value_t = 0.0075)]
        no_coverage: f64,
        /// Settle the DCC-scheduled 4.8.1 and 4.8.3 reads of `dccsim serve`'s default fleet, made as GBCS.
        #[arg(long, conflicts_with = "standing")]
        headend: bool,
        /// Standing data CSV (with --consumption): settle files instead of a generated fleet.
        #[arg(long, requires = "consumption")]
        standing: Option<PathBuf>,
        /// Half-hourly consumption CSV: mpan,settlement_date,period,kwh.
        #[arg(long, requires = "standing")]
        consumption: Option<PathBuf>,
        /// GSP group take CSV: gsp_group,settlement_date,period,kwh (without it, no correction).
        #[arg(long, requires = "standing")]
        take: Option<PathBuf>,
        /// Runs to make (default SF, R1 and RF).
        #[arg(long = "run", value_parser = |s: &str| s.parse::<dccsim::settlement::RunType>())]
        runs: Vec<dccsim::settlement::RunType>,
        /// Write D0397 and D0399 CSV, the load shapes (LSS), and IF-021 JSON lines with --if021,
        /// to this folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write MPAN-level IF-021 JSON lines (one per metering point and run).
        #[arg(long)]
        if021: bool,
        /// Write the summary as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Worker threads (default: all cores). The result does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
}

#[derive(Subcommand)]
enum PkiCommand {
    /// Make a CA, the gateway's server certificate and one client certificate per test user
    /// (the ZAZ1 organisations) in DIR.
    Init {
        dir: PathBuf,
        /// Names the server certificate is valid for.
        #[arg(long, default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
        host: Vec<String>,
    },
}

#[derive(Subcommand)]
enum DuisCommand {
    /// Sign a DUIS request with its originator's ZAZ1 XML-signing key (a placeholder signature
    /// and whitespace between elements are removed first, as DCC's tool does) and print it.
    Sign {
        file: PathBuf,
        /// Keep the RequestID's counter; by default it becomes the current time in
        /// microseconds, so each signed request is new (and above `dccsim load`'s counters).
        #[arg(long)]
        preserve_counter: bool,
        /// Move the request's log period (StartDateTime to EndDateTime) to end at today's
        /// midnight (UTC), keeping its length: the RTDS templates read days of 2014 and 2015,
        /// before any virtual meter was installed.
        #[arg(long)]
        recent: bool,
    },
    /// Check a signed DUIS document's signature against the ZAZ1 keys; prints the signer.
    Verify { file: PathBuf },
    /// The second step of a critical command: from the I0 a Transform request (command variant
    /// 4, to serviceT) got back, sign its GBCS pre-command with the user's ZAZ1 digital-signing
    /// key and print the command variant 5 request that sends it (XML-signed, a new counter),
    /// ready for serviceS.
    SignPreCommand {
        /// The Transform response (as curl saved it).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Replace the registry with a registration extract (CSV; see README.md).
    Import { file: PathBuf },
    /// Apply a nightly delta file whole, or reject it with file, line and reason.
    Apply { file: PathBuf },
    /// Print the registry as an extract (CSV), or one device's rows of it.
    Show { device: Option<String> },
}

#[derive(Subcommand)]
enum ChargingCommand {
    /// Sum the log by month, user and service: requests (and how many were accepted),
    /// responses and alerts delivered, bytes in and out.
    Report {
        /// Only this user (EUI-64).
        #[arg(long)]
        user: Option<String>,
        /// Only this month, YYYY-MM (UTC).
        #[arg(long)]
        month: Option<String>,
    },
}

#[derive(Subcommand)]
enum ProtocolCommand {
    /// Load protocol files and check their test vectors (decode, re-encode); a bad file is
    /// refused with file:line:column and the reason.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print frames of a protocol as JSON: address, command, register and value.
    Decode {
        /// The protocol file.
        file: PathBuf,
        /// Frames in hex (spaces allowed).
        #[arg(required = true)]
        frames: Vec<String>,
    },
}

#[derive(Subcommand)]
enum GbcsCommand {
    /// Print GBCS messages as JSON: header fields, use case, MAC and signature verdicts.
    Decode {
        /// Key folder in the RTDS layout (<eui>-ds.pem, <eui>-ka.pem, .key private keys);
        /// without it MACs and signatures are not checked.
        #[arg(long)]
        keys: Option<PathBuf>,
        /// The Access Control Broker that MACs commands on remote parties' behalf.
        #[arg(long, default_value = "90-B3-D5-1F-30-00-00-02")]
        acb: String,
        /// Use the keys a `dccsim serve --seed N` head-end runs with (the ZAZ1 test PKI and the
        /// virtual fleet's derived keys), to check and open what its meters send.
        #[arg(long, conflicts_with = "keys")]
        fleet_seed: Option<u64>,
        /// Messages: hex strings, or files holding hex (or raw bytes).
        #[arg(required = true)]
        messages: Vec<String>,
    },
    /// Make a top-up code (UTRN, GBCS §14) for a meter, or check one (--check): the 20 digits
    /// carry the value and the top-up counter under a MAC from the supplier's prepayment key.
    Utrn {
        /// The meter the code is for (its key-agreement key is one half of the MAC's key).
        #[arg(long)]
        device: String,
        /// The supplier making the code (its prepayment key is the other half).
        #[arg(long, default_value = "90-B3-D5-1F-30-01-00-00")]
        supplier: String,
        /// The top-up's number, 1 upwards: each code a meter credits needs a new one (the
        /// counter GBCS puts in bits 32 and up).
        #[arg(long, default_value_t = 1)]
        number: u64,
        /// Value, 0 to 8191, in pence (or pounds with --pounds).
        #[arg(long, default_value_t = 10)]
        value: u32,
        #[arg(long)]
        pounds: bool,
        /// Check these 20 digits instead of making a code: print what they carry and whether
        /// their MAC verifies for this device and supplier.
        #[arg(long)]
        check: Option<String>,
        /// Key folder in the RTDS layout (with the supplier's `-pp-ka` key); by default the
        /// keys of `dccsim serve --seed N` (the ZAZ1 test PKI and the virtual fleet).
        #[arg(long)]
        keys: Option<PathBuf>,
        /// The `dccsim serve --seed` whose virtual fleet the device is in.
        #[arg(long, default_value_t = 1, conflicts_with = "keys")]
        fleet_seed: u64,
    },
}

/// The default scenario, built into the binary so that `dccsim simulate` runs anywhere.
const GB_TODAY: &str = include_str!("../scenarios/gb-today.toml");

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let command = Cli::parse().command;
    if !matches!(
        command,
        Command::Serve { .. }
            | Command::Receive { .. }
            | Command::Load { .. }
            | Command::EchoServer { .. }
    ) {
        end_quietly_on_a_closed_pipe();
    }
    match command {
        Command::Catalogue { json } => {
            if json {
                println!("{}", serde_json::to_string_pretty(CATALOGUE)?);
            } else {
                print!("{}", catalogue_table());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate {
            file,
            seed,
            scale,
            json,
            html,
            no_knee,
            threads,
            fail_on_miss,
        } => {
            anyhow::ensure!(
                scale.is_finite() && scale > 0.0,
                "--scale must be greater than zero, got {scale}"
            );
            anyhow::ensure!(threads != Some(0), "--threads must be at least 1");
            let scenario = match &file {
                Some(path) => Scenario::load(path)?,
                None => Scenario::parse("gb-today.toml (embedded)", GB_TODAY)?,
            };
            let scaled: u64 = scenario
                .regions
                .iter()
                .map(|r| (r.meters as f64 * scale).round() as u64)
                .sum();
            if scaled == 0 {
                let largest = scenario.regions.iter().map(|r| r.meters).max().unwrap_or(0);
                anyhow::bail!(
                    "--scale {scale} leaves the scenario no meters (its largest region has {largest}): a scale of at least {:.2e} keeps one",
                    0.5 / largest.max(1) as f64
                );
            }
            let opts = RunOptions {
                seed: seed.unwrap_or(scenario.seed),
                scale,
                threads: threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
                progress: true,
                knee: !no_knee,
            };
            let (report, stats) = simulate(&scenario, &opts);
            print!("{}", report::text(&report));
            let sim_secs = (stats.wall - stats.knee_wall).as_secs_f64();
            eprintln!(
                "simulated {} events in {:.2} s wall ({:.2} M events/s, {} threads); capacity-knee search {:.2} s",
                stats.events,
                sim_secs,
                stats.events as f64 / sim_secs.max(1e-9) / 1e6,
                opts.threads,
                stats.knee_wall.as_secs_f64()
            );
            if let Some(path) = json {
                write(&path, &(serde_json::to_string_pretty(&report)? + "\n"))?;
            }
            if let Some(path) = html {
                write(&path, &report::html(&report))?;
            }
            let missed = report.phases.iter().any(|p| !p.verdict.met);
            Ok(if fail_on_miss && missed {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Protocol { command } => protocol(command),
        Command::Gbcs {
            command:
                GbcsCommand::Decode {
                    keys,
                    acb,
                    fleet_seed,
                    messages,
                },
        } => gbcs_decode(keys.as_deref(), fleet_seed, &acb, &messages),
        Command::Gbcs {
            command:
                GbcsCommand::Utrn {
                    device,
                    supplier,
                    number,
                    value,
                    pounds,
                    check,
                    keys,
                    fleet_seed,
                },
        } => {
            use dccsim::protocol::gbcs::{KeyStore, Utrn, ValueClass};
            let device: dccsim::model::Eui64 = device.parse().context("--device")?;
            let supplier: dccsim::model::Eui64 = supplier.parse().context("--supplier")?;
            let keys = match keys {
                Some(dir) => KeyStore::load(&dir)?,
                None => dccsim::gateway::defaults::keys(fleet_seed)?,
            };
            let Some(digits) = check else {
                let class = if pounds {
                    ValueClass::Pounds
                } else {
                    ValueClass::Pennies
                };
                if number == 0 {
                    anyhow::bail!("--number counts from 1: a meter credits no top-up numbered 0");
                }
                let counter = number.checked_shl(32).filter(|c| c >> 32 == number);
                let counter = counter.context("--number is too large")?;
                let utrn = Utrn::make(&keys, supplier, device, counter, value, class)?;
                println!("{}", utrn.digits());
                return Ok(ExitCode::SUCCESS);
            };
            let utrn = Utrn::parse(digits.trim()).with_context(|| format!("UTRN {digits}"))?;
            let counter = utrn.counter_near(0);
            let verdict = utrn.verify(&keys, supplier, device, counter);
            let doc = serde_json::json!({
                "utrn": digits.trim(),
                "value_class": utrn.class,
                "value": utrn.value,
                "pence": utrn.pence(),
                "counter_bits": utrn.counter_bits,
                "mac": format!("{:08X}", utrn.mac),
                "mac_verdict": match &verdict {
                    Ok(()) => "valid".to_string(),
                    Err(e) => e.to_string(),
                },
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(if verdict.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Pki {
            command: PkiCommand::Init { dir, host },
        } => {
            let users: Vec<_> = dccsim::gateway::defaults::users()
                .iter()
                .map(|u| u.eui)
                .collect();
            let hosts: Vec<&str> = host.iter().map(String::as_str).collect();
            let pki = dccsim::gateway::Pki::generate(&hosts, &users)?;
            pki.write(&dir)?;
            println!(
                "wrote ca.pem, server.pem/.key and a client certificate per user to {}",
                dir.display()
            );
            for u in dccsim::gateway::defaults::users() {
                println!(
                    "  {}.pem/.key  {} ({})",
                    u.eui,
                    u.name,
                    role_codes(&u.roles)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Receive { listen, dir, tls } => receive(&listen, dir, tls.as_deref()),
        Command::Load {
            target,
            rate,
            duration,
            warmup,
            requests,
            connections,
            body,
            mix,
            signed,
            premises,
            receive_listen,
            response_wait,
            cacert,
            cert,
            key,
            users,
            pki,
            slo,
            find_max,
            max_rate,
            json,
            html,
        } => {
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
                    std::fs::read(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
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
        Command::EchoServer {
            listen,
            tls,
            stall_from,
            stall_until,
        } => {
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
        Command::Registry { state, command } => registry(&state, command),
        Command::Charging {
            state,
            command: ChargingCommand::Report { user, month },
        } => charging_report(&state, user.as_deref(), month.as_deref()),
        Command::Serve {
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
        } => {
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
                anyhow::bail!(
                    "--schedule-spread {schedule_spread}: a number of seconds, 0 or more"
                );
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
        Command::Duis { command } => duis(command),
        Command::Settle {
            date,
            premises,
            seed,
            collection,
            success,
            no_coverage,
            headend,
            standing,
            consumption,
            take,
            runs,
            out,
            if021,
            json,
            threads,
        } => {
            use dccsim::settlement::cli::{self, Input};
            anyhow::ensure!(threads != Some(0), "--threads must be at least 1");
            let date = date.parse().map_err(anyhow::Error::msg)?;
            for (name, share) in [("--success", success), ("--no-coverage", no_coverage)] {
                if !(0.0..=1.0).contains(&share) {
                    anyhow::bail!("{name} {share} is out of range: expected 0 to 1");
                }
            }
            let input = match (standing, consumption) {
                (Some(standing), Some(consumption)) => Input::Files {
                    standing,
                    consumption,
                    take,
                },
                _ if headend => Input::HeadEnd {
                    premises: premises.unwrap_or(2_000) as u32,
                },
                _ => Input::Synthetic {
                    premises: premises.unwrap_or(100_000),
                    retrieval: dccsim::settlement::synthetic::Retrieval {
                        mode: collection,
                        success,
                        no_coverage,
                    },
                },
            };
            cli::run(cli::Args {
                input,
                date,
                seed,
                runs: if runs.is_empty() {
                    dccsim::settlement::RunType::ALL.to_vec()
                } else {
                    runs
                },
                threads,
                out,
                if021,
                json,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare { a, b } => {
            let (ra, rb) = (read_report(&a)?, read_report(&b)?);
            print!("{}", report::compare(&ra, &rb));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Decodes each message, printing one JSON document per message; a message that does not decode
/// is reported on stderr and the others still print. Exit status 1 if any failed.
fn gbcs_decode(
    keys: Option<&Path>,
    fleet_seed: Option<u64>,
    acb: &str,
    messages: &[String],
) -> Result<ExitCode> {
    use dccsim::protocol::gbcs::{GbcsMessage, KeyStore, describe, parse_hex};
    let acb: dccsim::model::Eui64 = acb.parse().context("--acb")?;
    let keys = match fleet_seed {
        Some(seed) => Some(dccsim::gateway::defaults::keys(seed)?),
        None => keys.map(KeyStore::load).transpose()?,
    };
    let mut failed = false;
    for input in messages {
        let path = Path::new(input);
        let (name, bytes) = if path.is_file() {
            let raw = std::fs::read(path).with_context(|| format!("cannot read {input}"))?;
            let bytes = match std::str::from_utf8(&raw) {
                // A DUIS response or alert: the GBCS message is its base64 GBCSPayload.
                Ok(text) if text.contains("<sr:GBCSPayload>") => {
                    use base64::Engine;
                    let payload = dccsim::gateway::receive::field(text, "GBCSPayload")
                        .with_context(|| format!("{input}: no GBCSPayload"))?;
                    base64::engine::general_purpose::STANDARD
                        .decode(payload.trim())
                        .map_err(|e| anyhow::anyhow!("{input}: GBCSPayload is not base64: {e}"))?
                }
                Ok(text)
                    if text
                        .trim()
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || c.is_whitespace()) =>
                {
                    parse_hex(text).map_err(|e| anyhow::anyhow!("{input}: {e}"))?
                }
                // A DUIS response without a device's answer (an E21, an acknowledgement…).
                Ok(text) if text.contains("<sr:Response") => {
                    let code = dccsim::gateway::receive::field(text, "ResponseCode").unwrap_or("?");
                    anyhow::bail!(
                        "{input}: a DUIS response ({code}) that carries no GBCSPayload: nothing to decode"
                    )
                }
                _ => raw,
            };
            (input.clone(), bytes)
        } else {
            match parse_hex(input) {
                Ok(bytes) => ("argument".to_string(), bytes),
                Err(e) => {
                    eprintln!("error: {input:.40}: not a file, and not hex: {e}");
                    failed = true;
                    continue;
                }
            }
        };
        match GbcsMessage::decode(&bytes) {
            Ok(message) => {
                if let (Some(keys), Some(_)) = (&keys, fleet_seed) {
                    // A device of an imported registry has keys derived as the fleet's do
                    // (`defaults::adopt_registry_devices`); the users' are the ZAZ1 ones.
                    let users: Vec<_> = dccsim::gateway::defaults::users()
                        .iter()
                        .map(|u| u.eui)
                        .chain([acb])
                        .collect();
                    let ends = [message.signing.originator, message.signing.recipient];
                    keys.join_fleet(ends.into_iter().filter(|e| !users.contains(e)));
                }
                let mut doc = describe(&message, keys.as_ref(), acb);
                doc["source"] = serde_json::Value::String(name);
                println!("{}", serde_json::to_string_pretty(&doc)?);
            }
            Err(e) => {
                eprintln!("error: {name}: not a GBCS message: {e}");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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

fn zaz1_signers() -> Result<std::sync::Arc<dccsim::headend::xmldsig::XmlSigners>> {
    let signers =
        dccsim::headend::xmldsig::XmlSigners::from_zaz1(dccsim::gateway::run::ZAZ1_KEYSTORE)
            .map_err(anyhow::Error::msg)?;
    Ok(std::sync::Arc::new(signers))
}

/// `xml` with its log period (`sr:StartDateTime` to `sr:EndDateTime`) moved to end at the
/// midnight (UTC) before `now`, keeping its length.
fn log_period_to_yesterday(xml: &str, now: chrono::DateTime<chrono::Utc>) -> Result<String> {
    use chrono::{DateTime, Utc};
    let span = |tag: &str| -> Result<(std::ops::Range<usize>, DateTime<Utc>)> {
        let open = format!("<sr:{tag}>");
        let start = xml
            .find(&open)
            .map(|i| i + open.len())
            .ok_or_else(|| anyhow::anyhow!("the request has no sr:{tag}"))?;
        let end = start + xml[start..].find('<').unwrap_or(0);
        let text = xml[start..end].trim();
        let t = DateTime::parse_from_rfc3339(text)
            .map_err(|_| anyhow::anyhow!("sr:{tag} {text:?} is not an xs:dateTime"))?;
        Ok((start..end, t.with_timezone(&Utc)))
    };
    let (from_at, from) = span("StartDateTime")?;
    let (to_at, to) = span("EndDateTime")?;
    let midnight = now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
    let shift = midnight - to;
    let stamp = |t: DateTime<Utc>| (t + shift).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let mut out = xml.to_string();
    // The later span first, so the earlier one's offsets still hold.
    let mut spans = [(from_at, stamp(from)), (to_at, stamp(to))];
    spans.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    for (range, value) in spans {
        out.replace_range(range, &value);
    }
    Ok(out)
}

/// The command variant 5 request (unsigned XML) that sends the pre-command of Transform
/// response `response`, its GBCS signed with the user's ZAZ1 key, numbered by `now`.
fn send_pre_command(response: &str, now: chrono::DateTime<chrono::Utc>) -> Result<String> {
    use base64::Engine;
    use dccsim::gateway::receive::field;
    use dccsim::protocol::gbcs::{GbcsMessage, KeyStore, sign_message};
    let Some(code) = field(response, "ResponseCode") else {
        let what = if response.contains("<sr:Request") {
            "a request, not the Transform response to it: send the request to /api/v1/serviceT and give its response"
        } else {
            "not a DUIS response: no sr:ResponseCode"
        };
        anyhow::bail!("{what}");
    };
    if code != "I0" || !response.contains("<sr:PreCommand>") {
        anyhow::bail!("not a Transform response with a pre-command (response code {code})");
    }
    let request_id = field(response, "RequestID").context("no sr:RequestID")?;
    let mut id: dccsim::headend::RequestId = request_id
        .parse()
        .map_err(|e| anyhow::anyhow!("sr:RequestID {request_id:?}: {e}"))?;
    let service = field(response, "ServiceReference").context("no sr:ServiceReference")?;
    let variant =
        field(response, "ServiceReferenceVariant").context("no sr:ServiceReferenceVariant")?;
    let payload = field(response, "GBCSPayload").context("no sr:GBCSPayload")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|e| anyhow::anyhow!("sr:GBCSPayload is not base64: {e}"))?;
    let mut pre = GbcsMessage::decode(&bytes)
        .map_err(|e| anyhow::anyhow!("sr:GBCSPayload is not a GBCS message: {e}"))?;
    let mut keys = KeyStore::default();
    keys.add_zaz1(dccsim::gateway::run::ZAZ1_KEYSTORE)?;
    if !sign_message(&keys, &mut pre) {
        anyhow::bail!(
            "no GBCS signing key for {} in the ZAZ1 keystore",
            id.originator
        );
    }
    let signed = base64::engine::general_purpose::STANDARD.encode(pre.to_bytes()?);
    id.counter = now.timestamp_micros() as u64;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Request xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\" schemaVersion=\"5.4\"><sr:Header><sr:RequestID>{id}</sr:RequestID><sr:CommandVariant>5</sr:CommandVariant><sr:ServiceReference>{service}</sr:ServiceReference><sr:ServiceReferenceVariant>{variant}</sr:ServiceReferenceVariant></sr:Header><sr:Body><sr:SignedPreCommand><sr:GBCSPayload>{signed}</sr:GBCSPayload></sr:SignedPreCommand></sr:Body></sr:Request>"
    ))
}

fn duis(command: DuisCommand) -> Result<ExitCode> {
    use dccsim::headend::xmldsig::prepare_for_signing;
    let signers = zaz1_signers()?;
    let read = |file: &Path| {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
    };
    match command {
        DuisCommand::Sign {
            file,
            preserve_counter,
            recent,
        } => {
            let mut text = read(&file)?;
            if recent {
                text = log_period_to_yesterday(&text, chrono::Utc::now())
                    .map_err(|e| anyhow::anyhow!("--recent: {}: {e}", file.display()))?;
            }
            let mut xml = prepare_for_signing(&text)?;
            let request = dccsim::headend::Request::parse(&xml)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            if !preserve_counter {
                let micros = chrono::Utc::now().timestamp_micros();
                let old = format!(">{}<", request.id);
                let mut id = request.id;
                id.counter = micros as u64;
                xml = xml.replacen(&old, &format!(">{id}<"), 1);
            }
            let signed = signers.sign(&xml, request.id.originator, false)?;
            print!("{signed}");
        }
        DuisCommand::SignPreCommand { file } => {
            let response = read(&file)?;
            let send = send_pre_command(&response, chrono::Utc::now())
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let user = dccsim::headend::Request::parse(&send)
                .map_err(|e| anyhow::anyhow!("the request made: {e}"))?
                .id
                .originator;
            print!("{}", signers.sign(&send, user, false)?);
        }
        DuisCommand::Verify { file } => {
            let signer = signers.verify(&read(&file)?)?;
            println!("valid: signed by {signer}");
        }
    }
    Ok(ExitCode::SUCCESS)
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

fn role_codes(roles: &[dccsim::model::Role]) -> String {
    roles
        .iter()
        .map(|r| r.code())
        .collect::<Vec<_>>()
        .join(", ")
}

fn receive(listen: &str, dir: Option<PathBuf>, tls: Option<&Path>) -> Result<ExitCode> {
    use dccsim::gateway::receive::{Receiver, field, serve, serve_tls};
    if let Some(dir) = &dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tls = match tls {
        Some(pki) => {
            let pki = dccsim::gateway::Pki::read(pki, &[])?;
            Some(dccsim::gateway::tls_config(&pki).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        println!(
            "receiving on {}://{}/ (Ctrl-C to stop){}",
            if tls.is_some() { "https" } else { "http" },
            listener.local_addr()?,
            if tls.is_some() {
                "; client certificates required"
            } else {
                ""
            }
        );
        let seen = std::sync::Mutex::new(dccsim::gateway::receive::RecentIds::default());
        let receiver = std::sync::Arc::new(Receiver {
            dir,
            count: Default::default(),
            on_message: Box::new(move |n, xml| {
                let show = |name| field(xml, name).unwrap_or("-").to_string();
                let alert = field(xml, "AlertCode").map(|c| format!(" alert {c}"));
                let schedule = field(xml, "DSPScheduleID").map(|id| format!(" schedule {id}"));
                // A head-end may send a response again (it cannot know a POST arrived if it
                // stopped at that instant); the same ResponseID marks a repeat.
                let again = field(xml, "ResponseID")
                    .is_some_and(|id| seen.lock().is_ok_and(|mut s| !s.insert(id)));
                println!(
                    "{n:>6} {} {} {}{}{} ({} bytes){}",
                    show("ResponseCode"),
                    show("ServiceReferenceVariant"),
                    field(xml, "RequestID")
                        .unwrap_or_else(|| field(xml, "ResponseID").unwrap_or("-")),
                    schedule.unwrap_or_default(),
                    alert.unwrap_or_default(),
                    xml.len(),
                    if again {
                        " again (same ResponseID)"
                    } else {
                        ""
                    }
                );
            }),
        });
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match tls {
            Some(tls) => serve_tls(receiver, listener, tls, stop).await,
            None => serve(receiver, listener, stop).await,
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `dccsim charging report`: the state folder's transaction log, summed.
fn charging_report(state: &Path, user: Option<&str>, month: Option<&str>) -> Result<ExitCode> {
    use dccsim::gateway::store::Store;
    let user = user
        .map(|u| {
            u.parse::<dccsim::model::Eui64>()
                .map_err(|e| anyhow::anyhow!("--user {u:?}: {e}"))
        })
        .transpose()?;
    if let Some(m) = month
        && (m.len() != 7
            || chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_err())
    {
        anyhow::bail!("--month {m:?} is not a month as YYYY-MM");
    }
    let db = state.join("dccsim.sqlite");
    if !db.exists() {
        anyhow::bail!(
            "no head-end state at {} (run `dccsim serve --state {}` first)",
            db.display(),
            state.display()
        );
    }
    let lines = Store::open(&db)?.charging(user, month)?;
    println!(
        "charging report of {}: {}, {}",
        db.display(),
        month.unwrap_or("every month"),
        user.map_or("every user".to_string(), |u| u.to_string())
    );
    println!(
        "{:<8} {:<23} {:<12} {:>9} {:>9} {:>9} {:>7} {:>13} {:>13}",
        "month",
        "user",
        "service",
        "requests",
        "accepted",
        "responses",
        "alerts",
        "bytes in",
        "bytes out"
    );
    let mut total = [0u64; 6];
    for l in &lines {
        println!(
            "{:<8} {:<23} {:<12} {:>9} {:>9} {:>9} {:>7} {:>13} {:>13}",
            l.month,
            l.user,
            l.service,
            l.requests,
            l.accepted,
            l.responses,
            l.alerts,
            l.bytes_in,
            l.bytes_out
        );
        for (t, v) in total.iter_mut().zip([
            l.requests,
            l.accepted,
            l.responses,
            l.alerts,
            l.bytes_in,
            l.bytes_out,
        ]) {
            *t += v;
        }
    }
    let [requests, accepted, responses, alerts, bytes_in, bytes_out] = total;
    println!(
        "{:<8} {:<23} {:<12} {requests:>9} {accepted:>9} {responses:>9} {alerts:>7} {bytes_in:>13} {bytes_out:>13}",
        "total", "", ""
    );
    Ok(ExitCode::SUCCESS)
}

/// The registry as `dccsim serve` keeps it: in the state folder's SQLite database.
fn registry(state: &Path, command: RegistryCommand) -> Result<ExitCode> {
    use dccsim::gateway::store::Store;
    use dccsim::headend::Registry;
    std::fs::create_dir_all(state).with_context(|| format!("cannot create {}", state.display()))?;
    let db = state.join("dccsim.sqlite");
    let mut store = Store::open(&db)?;
    let no_registry = || anyhow::anyhow!("no registry in {} (import one first)", db.display());
    let current = |store: &Store| -> Result<Registry> { store.registry()?.ok_or_else(no_registry) };
    match command {
        RegistryCommand::Import { file } => {
            let registry = Registry::import(&file)?;
            store.save_registry(&registry)?;
            println!(
                "imported {} devices from {} into {}",
                registry.len(),
                file.display(),
                db.display()
            );
        }
        RegistryCommand::Apply { file } => {
            // Applied whole or not at all: the stored registry changes only on success, made
            // from a snapshot and written in a short transaction (a running head-end's commits
            // wait only for that), and a running head-end takes it up.
            let (mut before, mut after) = (0, 0);
            store.update_registry(|current| -> Result<Registry> {
                let current = current.ok_or_else(no_registry)?;
                let next = current.with_delta(&file)?;
                (before, after) = (current.len(), next.len());
                Ok(next)
            })?;
            println!("applied {}: {after} devices (was {before})", file.display());
        }
        RegistryCommand::Show { device } => {
            let registry = current(&store)?;
            match device {
                None => {
                    // A reader that stops early (`| head`) ends the output, not an error.
                    use std::io::Write;
                    match std::io::stdout()
                        .lock()
                        .write_all(registry.to_csv().as_bytes())
                    {
                        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                            return Err(e).context("cannot write the registry");
                        }
                        _ => {}
                    }
                }
                Some(eui) => {
                    let eui: dccsim::model::Eui64 = eui.parse().context("device")?;
                    let record = registry
                        .device(eui)
                        .with_context(|| format!("{eui} is not in the registry"))?;
                    print!("{}", Registry::csv_of([record]));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A report piped to a reader that stops early (`| head`) ends there, quietly, as other Unix
/// tools do, instead of panicking on the next print. Not for the commands that serve or load
/// over sockets: a peer that goes away must not end them.
fn end_quietly_on_a_closed_pipe() {
    // SAFETY: called before any thread is started; SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

fn read_report(path: &Path) -> Result<Report> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a dccsim JSON report", path.display()))
}

fn catalogue_table() -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut group = None;
    for c in CATALOGUE {
        if group != Some(c.group) {
            group = Some(c.group);
            let _ = writeln!(out, "\n{}", c.group.title());
            let _ = writeln!(
                out,
                "  {:<18} {:<26} {:>9} {:>9} {:>9}  {:>7} {:<40} {:<16} {:>8} {:>8}",
                "id",
                "seed name",
                "size B",
                "max resp",
                "kbps calc",
                "SRV",
                "DUIS service",
                "GBCS",
                "cmd B",
                "resp B"
            );
        }
        let _ = writeln!(
            out,
            "  {:<18} {:<26} {:>9} {:>8}s {:>9.1}  {:>7} {:<40} {:<16} {:>8} {:>8}",
            c.id,
            c.name,
            c.seed_bytes,
            c.max_response_secs,
            c.kbps_calc(),
            c.srv.map_or("-".to_string(), |s| s.to_string()),
            truncate(c.duis_name, 40),
            c.gbcs.unwrap_or("-"),
            c.rtds_command_bytes
                .map_or("-".to_string(), |b| b.to_string()),
            c.rtds_response_bytes
                .map_or("-".to_string(), |b| b.to_string()),
        );
    }
    let _ = writeln!(
        out,
        "\nsize B and max resp: the 2010 DCC traffic model; kbps calc = size × 8 / max resp / 1000.\ncmd B and resp B: GBCS sizes in the RTDS 4.5.0 vectors (alerts: resp B is the alert); the simulator\ncarries these, and the seed size where there are none."
    );
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

/// `dccsim protocol check|decode`.
fn protocol(command: ProtocolCommand) -> Result<ExitCode> {
    use dccsim::protocol::vendor::{Protocol, parse_hex};
    let load = |path: &Path| -> Result<Protocol> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read protocol file {}", path.display()))?;
        Ok(Protocol::load(&path.display().to_string(), &text)?)
    };
    match command {
        ProtocolCommand::Check { files } => {
            let mut failed = false;
            for path in &files {
                let p = load(path)?;
                let mut bad = 0;
                for v in &p.vectors {
                    let ok = p.decode(&v.bytes).is_ok_and(|m| {
                        m.address == v.message.address
                            && m.command == v.message.command
                            && m.direction == v.message.direction
                            && m.register == v.message.register
                            && m.error_code == v.message.error_code
                            && match (m.value, v.message.value) {
                                (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                                (a, b) => a == b,
                            }
                    }) && p.encode(&v.message).is_ok_and(|b| b == v.bytes);
                    if !ok {
                        bad += 1;
                        eprintln!(
                            "{}:{}: vector does not decode to what it says, or re-encode to its bytes",
                            path.display(),
                            v.line
                        );
                    }
                }
                failed |= bad > 0;
                println!(
                    "{}: {} ({}): {} fields, {} registers, {} commands, {}/{} vectors pass",
                    path.display(),
                    p.name,
                    p.description,
                    p.fields.len(),
                    p.registers.len(),
                    p.commands.len(),
                    p.vectors.len() - bad,
                    p.vectors.len()
                );
            }
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        ProtocolCommand::Decode { file, frames } => {
            let p = load(&file)?;
            let mut failed = false;
            for hex in &frames {
                let result = parse_hex(hex)
                    .map_err(|e| e.to_string())
                    .and_then(|b| p.decode(&b).map_err(|e| e.to_string()));
                match result {
                    Ok(m) => println!("{}", serde_json::to_string(&m)?),
                    Err(e) => {
                        failed = true;
                        println!("{}", serde_json::json!({ "error": e, "frame": hex }));
                    }
                }
            }
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
