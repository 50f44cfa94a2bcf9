//! `dccsim settle`: a settlement day, from a generated fleet, the head-end's reads or files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// Settlement day (Europe/London), YYYY-MM-DD.
    #[arg(long, default_value = "2026-11-18")]
    pub date: String,
    /// Premises in the generated fleet (default 100,000), or in the head-end's with --headend
    /// (default 2,000).
    #[arg(long)]
    pub premises: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Generated fleet: how smart meters are collected: daily (half-hourly profile),
    /// monthly (register reads every 30 days) or none.
    #[arg(long, default_value = "daily", value_parser = dccsim::settlement::cli::parse_collection)]
    pub collection: dccsim::settlement::synthetic::ReadMode,
    /// Generated fleet: chance that a day's scheduled read is answered.
    #[arg(long, default_value_t = 0.98)]
    pub success: f64,
    /// Generated fleet: share of meters without WAN coverage (never read).
    #[arg(long, default_value_t = 0.0075)]
    pub no_coverage: f64,
    /// Settle the DCC-scheduled 4.8.1 and 4.8.3 reads of `dccsim serve`'s default fleet, made as GBCS.
    #[arg(long, conflicts_with = "standing")]
    pub headend: bool,
    /// Standing data CSV (with --consumption): settle files instead of a generated fleet.
    #[arg(long, requires = "consumption")]
    pub standing: Option<PathBuf>,
    /// Half-hourly consumption CSV: mpan,settlement_date,period,kwh.
    #[arg(long, requires = "standing")]
    pub consumption: Option<PathBuf>,
    /// GSP group take CSV: gsp_group,settlement_date,period,kwh (without it, no correction).
    #[arg(long, requires = "standing")]
    pub take: Option<PathBuf>,
    /// Runs to make (default SF, R1 and RF).
    #[arg(long = "run", value_parser = |s: &str| s.parse::<dccsim::settlement::RunType>())]
    pub runs: Vec<dccsim::settlement::RunType>,
    /// Write D0397 and D0399 CSV, the load shapes (LSS), and IF-021 JSON lines with --if021,
    /// to this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write MPAN-level IF-021 JSON lines (one per metering point and run).
    #[arg(long)]
    pub if021: bool,
    /// Write the summary as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Worker threads (default: all cores). The result does not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
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
    } = args;
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
