//! `dccsim simulate`, `compare` and `catalogue`: the simulator's reports and the service catalogue.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use dccsim::model::CATALOGUE;
use dccsim::report::{self, Report};
use dccsim::sim::scenario::Scenario;
use dccsim::sim::{RunOptions, simulate};

use crate::write;

/// The default scenario, built into the binary so that `dccsim simulate` runs anywhere.
const GB_TODAY: &str = include_str!("../../../scenarios/gb-today.toml");

#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML); see scenarios/README.md. Without one, the embedded GB-today
    /// scenario (scenarios/gb-today.toml) runs.
    pub file: Option<PathBuf>,
    /// Seed of the run's random generator (defaults to the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Multiply every region's meter count, e.g. 0.01 for a 1 % fleet.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub scale: f64,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the report as a self-contained HTML page to this file.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Skip the capacity-knee search.
    #[arg(long)]
    pub no_knee: bool,
    /// Worker threads (default: all cores). The report does not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Exit with status 3 when any service class misses its target.
    #[arg(long)]
    pub fail_on_miss: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        file,
        seed,
        scale,
        json,
        html,
        no_knee,
        threads,
        fail_on_miss,
    } = args;
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

/// `dccsim compare`: two JSON reports side by side.
pub fn compare(a: &Path, b: &Path) -> Result<ExitCode> {
    let (ra, rb) = (read_report(a)?, read_report(b)?);
    print!("{}", report::compare(&ra, &rb));
    Ok(ExitCode::SUCCESS)
}

/// `dccsim catalogue`: the table, or JSON.
pub fn catalogue(json: bool) -> Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(CATALOGUE)?);
    } else {
        print!("{}", catalogue_table());
    }
    Ok(ExitCode::SUCCESS)
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
