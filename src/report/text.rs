//! The report as text for a terminal.

use std::fmt::Write;

use super::{PhaseReport, Report};

/// Renders the report as plain text.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "dccsim {} — scenario {:?} ({}), seed {}, scale {}, {} day(s) from {}",
        report.dccsim_version,
        report.scenario,
        report.file,
        report.seed,
        report.scale,
        report.days,
        report.date
    );
    if !report.description.is_empty() {
        let _ = writeln!(out, "{}", report.description.trim());
    }
    for phase in &report.phases {
        phase_text(&mut out, phase);
    }
    out
}

fn phase_text(out: &mut String, p: &PhaseReport) {
    let _ = writeln!(
        out,
        "\n== Phase {:?} ({}): {} meters, {} comms hubs, {} cells, {} events",
        p.name,
        p.year,
        thousands(p.meters),
        thousands(p.hubs),
        thousands(p.cells),
        thousands(p.events)
    );
    let _ = writeln!(
        out,
        "\nService levels (response time from request to answer; failures count as misses)"
    );
    let _ = writeln!(
        out,
        "{:<19} {:>6} {:>12} {:>8} {:>9} {:>8} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8}  verdict",
        "service",
        "srv",
        "requests",
        "target",
        "in target",
        "goal",
        "no cover",
        "outage",
        "retries",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "max"
    );
    for s in &p.services {
        let verdict = if s.met {
            "met".to_string()
        } else {
            format!("MISSED by {:.2} pt", s.shortfall_points)
        };
        let _ = writeln!(
            out,
            "{:<19} {:>6} {:>12} {:>8} {:>8.3}% {:>7.2}% {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8}  {}{}",
            s.id,
            s.srv.as_deref().unwrap_or("-"),
            thousands(s.requests),
            secs(s.target_s),
            s.share_within_target * 100.0,
            s.target_share * 100.0,
            thousands(s.no_coverage),
            thousands(s.failed_outage),
            thousands(s.failed_retries),
            ms(s.latency_ms.p50),
            ms(s.latency_ms.p90),
            ms(s.latency_ms.p99),
            ms(s.latency_ms.p999),
            ms(s.latency_ms.max),
            verdict,
            if format!("{:?}", s.basis) == "Assumption" {
                " (target assumed)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        out,
        "\nCells by region (utilisation = busy time / time; hour 0 starts at local midnight)"
    );
    let _ = writeln!(
        out,
        "{:<8} {:<18} {:>7} {:>6} {:>10} {:>10} {:>10} {:>6} {:>12} {:>10} {:>8}",
        "region",
        "technology",
        "cells",
        "link",
        "mean util",
        "peak hour",
        "peak cell",
        "hour",
        "bytes",
        "capacity",
        "down"
    );
    for r in &p.regions {
        for (link, d) in [("up", &r.uplink), ("down", &r.downlink)] {
            let _ = writeln!(
                out,
                "{:<8} {:<18} {:>7} {:>6} {:>9.2}% {:>9.2}% {:>9.2}% {:>6} {:>12} {:>6.1}kb/s {:>7.3}%",
                r.region,
                r.technology,
                thousands(r.cells),
                link,
                d.mean_utilisation * 100.0,
                d.peak_hour_utilisation * 100.0,
                d.peak_cell_utilisation * 100.0,
                format!("{:02}:00", d.busiest_hour % 24),
                bytes(d.bytes),
                d.capacity_kbps,
                r.down_share * 100.0
            );
        }
    }
    for r in &p.regions {
        for (link, d) in [("uplink", &r.uplink), ("downlink", &r.downlink)] {
            if d.backlog_hours > 0.0 {
                let _ = writeln!(
                    out,
                    "OVERLOAD: {} {} {}: the busiest cell still had {:.1} h of traffic queued 6 h after the run ended.",
                    r.region, r.technology, link, d.backlog_hours
                );
            }
        }
    }
    let _ = writeln!(out);
    if p.verdict.met {
        let _ = writeln!(out, "SLA verdict: every service class met its target.");
    } else {
        let _ = writeln!(
            out,
            "SLA verdict: MISSED for {}.",
            p.verdict.missed.join(", ")
        );
    }
    match &p.penalty {
        Some(pen) => {
            let _ = writeln!(
                out,
                "Penalty exposure ({:?} regime, {}-year contract): £{} per month{}, £{} over the contract if every month performs like this.{}",
                pen.regime,
                pen.contract_years,
                thousands(pen.monthly_credit_gbp.round() as u64),
                if pen.capped { " (capped)" } else { "" },
                thousands(pen.contract_exposure_gbp.round() as u64),
                if pen.termination_right {
                    " Termination right triggered."
                } else {
                    ""
                }
            );
        }
        None => {
            let _ = writeln!(out, "Penalty exposure: no [commercials] in the scenario.");
        }
    }
    if let Some(k) = &p.knee {
        let _ = writeln!(out, "Capacity knee: {}.", k.sentence());
    }
    if let Some(s) = &p.settlement {
        let _ = writeln!(out);
        out.push_str(&settlement_text(s));
    }
}

/// The settlement section: how the sample was collected, then the settled day.
pub(crate) fn settlement_text(s: &super::SettlementReport) -> String {
    let mut out = String::new();
    let regions: Vec<String> = s
        .regions
        .iter()
        .map(|r| {
            format!(
                "{} {:.2} % answered, {:.2} % without coverage",
                r.region,
                r.read_success * 100.0,
                r.no_coverage * 100.0
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "Settlement: {} premises sampled; {}; {}.",
        thousands(s.premises),
        s.collection,
        regions.join("; ")
    );
    out.push_str(&crate::settlement::summary::text(&s.day));
    out
}

fn secs(s: f64) -> String {
    if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{}h", s / 3600.0)
    } else {
        format!("{s}s")
    }
}

/// Milliseconds as a short human figure.
pub(super) fn ms(v: u64) -> String {
    if v >= 3_600_000 {
        format!("{:.1}h", v as f64 / 3_600_000.0)
    } else if v >= 10_000 {
        format!("{:.1}s", v as f64 / 1000.0)
    } else if v >= 1000 {
        format!("{:.2}s", v as f64 / 1000.0)
    } else {
        format!("{v}ms")
    }
}

pub(super) fn bytes(v: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut x = v as f64;
    let mut u = 0;
    while x >= 1000.0 && u + 1 < units.len() {
        x /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v} B")
    } else {
        format!("{x:.1} {}", units[u])
    }
}

pub(super) fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
