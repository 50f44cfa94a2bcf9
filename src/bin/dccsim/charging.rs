//! `dccsim charging report`: the transaction log users are charged on, summed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// The head-end's state folder.
    #[arg(long, default_value = "dccsim-state", global = true)]
    pub state: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
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

pub fn run(args: Args) -> Result<ExitCode> {
    let Command::Report { user, month } = args.command;
    report(&args.state, user.as_deref(), month.as_deref())
}

/// `dccsim charging report`: the state folder's transaction log, summed.
fn report(state: &Path, user: Option<&str>, month: Option<&str>) -> Result<ExitCode> {
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
