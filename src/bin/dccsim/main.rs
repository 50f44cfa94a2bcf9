//! The `dccsim` command line: parses arguments, calls the library, prints, picks the exit code.
//! Each command's arguments and its running are in a module of their own.

mod charging;
mod duis;
mod gbcs;
mod load;
mod pki;
mod protocol;
mod receive;
mod registry;
mod serve;
mod settle;
mod simulate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: the head-end, the load generator and the receiver
/// allocate small buffers on many threads, where glibc's malloc spent about a sixth of the
/// head-end's CPU (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

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
    Simulate(simulate::Args),
    /// Set two JSON reports side by side.
    Compare { a: PathBuf, b: PathBuf },
    /// GBCS messages: decode and check them.
    Gbcs {
        #[command(subcommand)]
        command: gbcs::Command,
    },
    /// Vendor (SMETS1-style) protocols declared in protocols/*.toml: check a file, decode frames.
    Protocol {
        #[command(subcommand)]
        command: protocol::Command,
    },
    /// The test PKI for the User Gateway's mutual TLS.
    Pki {
        #[command(subcommand)]
        command: pki::Command,
    },
    /// A minimal Receive Response Service: stores and prints the responses and alerts a
    /// head-end POSTs to it.
    Receive(receive::Args),
    /// Drive a DUIS endpoint (or any HTTP one) at a fixed request rate, open loop, and report
    /// latency from intended send times; with --find-max, search for the highest rate meeting
    /// the SLO.
    Load(load::Args),
    /// A trivial endpoint answering 200 to everything (plain HTTP, or HTTPS with a PKI folder),
    /// for calibrating load generators; optionally stalling for a window.
    EchoServer(load::EchoArgs),
    /// Run the head-end: the DUIS User Gateway over mutual TLS in front of a virtual fleet.
    /// Without options, the embedded default (10,000 premises in three regions, the RTDS test
    /// meter, the ZAZ1 test organisations as users) with state in ./dccsim-state.
    Serve(serve::Args),
    /// DUIS XML signatures with the ZAZ1 test keys, as DCC's signing tool makes them.
    Duis {
        #[command(subcommand)]
        command: duis::Command,
    },
    /// The head-end's mirrored registry: import an extract, apply a delta, show it (in the
    /// state folder's database, which `dccsim serve` reads when it starts and again within
    /// about two seconds of each save).
    Registry(registry::Args),
    /// The transaction log users are charged on (kept by `dccsim serve` in its state folder):
    /// requests with their synchronous answers, and the responses and alerts delivered, with
    /// the bytes each way.
    Charging(charging::Args),
    /// Settle a day: validate and estimate half-hourly data, build load shapes, allocate volumes
    /// with line losses and GSP group correction, for the SF, R1 and RF runs, and measure the
    /// error against the truth where it is known. Data comes from a generated national fleet
    /// (default), the head-end's scheduled 4.8.1 and 4.8.3 reads (--headend) or CSV files (--standing).
    Settle(settle::Args),
}

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
        Command::Serve(_) | Command::Receive(_) | Command::Load(_) | Command::EchoServer(_)
    ) {
        end_quietly_on_a_closed_pipe();
    }
    match command {
        Command::Catalogue { json } => simulate::catalogue(json),
        Command::Simulate(args) => simulate::run(args),
        Command::Compare { a, b } => simulate::compare(&a, &b),
        Command::Gbcs { command } => gbcs::run(command),
        Command::Protocol { command } => protocol::run(command),
        Command::Pki { command } => pki::run(command),
        Command::Receive(args) => receive::run(args),
        Command::Load(args) => load::run(args),
        Command::EchoServer(args) => load::echo(args),
        Command::Serve(args) => serve::run(args),
        Command::Duis { command } => duis::run(command),
        Command::Registry(args) => registry::run(args),
        Command::Charging(args) => charging::run(args),
        Command::Settle(args) => settle::run(args),
    }
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
