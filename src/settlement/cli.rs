//! `dccsim settle`: one settlement day from the synthetic fleet, the head-end's scheduled reads
//! or CSV files, printed as a summary and optionally written as D0397 / D0399 CSV, IF-021 JSON
//! lines and a JSON summary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::engine::{Options, Source, settle_day};
use super::files::{self, MemorySource};
use super::synthetic::{FleetSpec, ReadMode, Retrieval, SyntheticFleet};
use super::{RunType, StandingData, headend, summary};
use crate::model::SettlementDate;

/// Where the day's data comes from.
pub enum Input {
    /// A generated national fleet.
    Synthetic {
        premises: usize,
        retrieval: Retrieval,
    },
    /// The DCC-scheduled 4.8.1 (import) and 4.8.3 (export) reads of `dccsim serve`'s default fleet.
    HeadEnd { premises: u32 },
    Files {
        standing: PathBuf,
        consumption: PathBuf,
        take: Option<PathBuf>,
    },
}

pub struct Args {
    pub input: Input,
    pub date: SettlementDate,
    pub seed: u64,
    pub runs: Vec<RunType>,
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub if021: bool,
    pub json: Option<PathBuf>,
}

/// A collection named on the command line: `daily` (half-hourly profile), `monthly` (register
/// reads every 30 days) or `none`.
pub fn parse_collection(s: &str) -> Result<ReadMode, String> {
    match s {
        "daily" => Ok(ReadMode::HalfHourly { every_days: 1 }),
        "monthly" => Ok(ReadMode::Register { every_days: 30 }),
        "none" => Ok(ReadMode::None),
        _ => Err(format!(
            "unknown collection {s:?}: expected daily, monthly or none"
        )),
    }
}

pub fn run(args: Args) -> Result<()> {
    if args.if021 && args.out.is_none() {
        bail!("--if021 needs --out DIR to write to");
    }
    let started = Instant::now();
    let mut opts = Options {
        runs: args.runs.clone(),
        keep_points: args.if021,
        ..Options::default()
    };
    if let Some(t) = args.threads {
        opts.threads = t.max(1);
    }
    let source: Box<dyn Source> = match args.input {
        Input::Synthetic {
            premises,
            retrieval,
        } => Box::new(SyntheticFleet::generate(FleetSpec::national(
            premises, args.seed, args.date, retrieval,
        ))),
        Input::HeadEnd { premises } => {
            let reads = headend::scheduled_reads(premises, args.seed, args.date)
                .map_err(anyhow::Error::msg)?;
            eprintln!(
                "head-end: {} metering points read by DCC-scheduled 4.8.1 and 4.8.3 commands: {} \
                 commands ({} sent again the next day after a loss on the WAN), {} answered and \
                 opened ({} points never answered)",
                reads.points,
                reads.commands,
                reads.commands.saturating_sub(reads.points),
                reads.answers,
                reads.points - reads.answers,
            );
            Box::new(reads.source)
        }
        Input::Files {
            standing,
            consumption,
            take,
        } => {
            let read = |p: &Path| {
                std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
            };
            let name = |p: &Path| p.display().to_string();
            let standing_data = StandingData::parse_csv(&name(&standing), &read(&standing)?)?;
            let take_text = take.as_deref().map(read).transpose()?;
            let take_name = take.as_deref().map(name).unwrap_or_default();
            Box::new(MemorySource::from_files(
                standing_data,
                args.date,
                (&name(&consumption), &read(&consumption)?),
                take_text.as_deref().map(|t| (take_name.as_str(), t)),
            )?)
        }
    };
    let generated = started.elapsed();
    let day = settle_day(source.as_ref(), &opts);
    let settled = started.elapsed() - generated;
    let standing = source.standing();
    let s = summary::summarise(&day, standing);
    print!("{}", summary::text(&s));
    eprintln!(
        "{} metering points × {} periods: data {:.2} s, settlement ({} runs) {:.2} s, peak memory {}",
        day.points,
        day.periods,
        generated.as_secs_f64(),
        day.runs.len(),
        settled.as_secs_f64(),
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let write = |name: String, text: String| -> Result<()> {
            let path = dir.join(name);
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
        };
        let stamp = day.date.date().format("%Y%m%d");
        for run in &day.runs {
            write(
                format!("D0397-{stamp}-{}.csv", run.run),
                files::d0397(&day, run, standing),
            )?;
            write(
                format!("D0399-{stamp}-{}.csv", run.run),
                files::d0399(&day, run),
            )?;
            write(
                format!("LSS-{stamp}-{}.csv", run.run),
                files::lss(&day, run),
            )?;
            if args.if021 {
                write(
                    format!("IF021-{stamp}-{}.jsonl", run.run),
                    files::if021(&day, run, standing),
                )?;
            }
        }
        eprintln!("reports written to {}", dir.display());
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&s)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The process's peak resident memory, from /proc (Linux).
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.2} GiB", kb / 1024.0 / 1024.0))
}
