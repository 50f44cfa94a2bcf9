//! Two reports side by side.

use std::fmt::Write;

use super::text::{ms, thousands};
use super::{Report, SettlementReport};
use crate::settlement::summary::RunSummary;

/// Renders reports `a` and `b` side by side, phase by phase (matched by position).
pub fn compare(a: &Report, b: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "A: {:?} ({}), seed {}, scale {}",
        a.scenario, a.file, a.seed, a.scale
    );
    let _ = writeln!(
        out,
        "B: {:?} ({}), seed {}, scale {}",
        b.scenario, b.file, b.seed, b.scale
    );
    let phases = a.phases.len().max(b.phases.len());
    for i in 0..phases {
        let (pa, pb) = (a.phases.get(i), b.phases.get(i));
        let name = |p: Option<&super::PhaseReport>| {
            p.map_or("-".to_string(), |p| format!("{} ({})", p.name, p.year))
        };
        let _ = writeln!(out, "\n== Phase {}: A {} | B {}", i + 1, name(pa), name(pb));
        let _ = writeln!(
            out,
            "{:<19} {:>12} {:>12} {:>10} {:>10} {:>9} {:>9} {:>8} {:>8}",
            "service",
            "A requests",
            "B requests",
            "A in tgt",
            "B in tgt",
            "A p99",
            "B p99",
            "A",
            "B"
        );
        let mut ids: Vec<&str> = Vec::new();
        for p in [pa, pb].into_iter().flatten() {
            for s in &p.services {
                if !ids.contains(&s.id.as_str()) {
                    ids.push(&s.id);
                }
            }
        }
        for id in ids {
            let sa = pa.and_then(|p| p.services.iter().find(|s| s.id == id));
            let sb = pb.and_then(|p| p.services.iter().find(|s| s.id == id));
            let req =
                |s: Option<&super::ServiceReport>| s.map_or("-".into(), |s| thousands(s.requests));
            let share = |s: Option<&super::ServiceReport>| {
                s.map_or("-".into(), |s| {
                    format!("{:.3}%", s.share_within_target * 100.0)
                })
            };
            let p99 =
                |s: Option<&super::ServiceReport>| s.map_or("-".into(), |s| ms(s.latency_ms.p99));
            let verdict = |s: Option<&super::ServiceReport>| {
                s.map_or("-", |s| if s.met { "met" } else { "MISSED" })
            };
            let _ = writeln!(
                out,
                "{:<19} {:>12} {:>12} {:>10} {:>10} {:>9} {:>9} {:>8} {:>8}",
                id,
                req(sa),
                req(sb),
                share(sa),
                share(sb),
                p99(sa),
                p99(sb),
                verdict(sa),
                verdict(sb)
            );
        }
        let util = |p: Option<&super::PhaseReport>| {
            p.map_or("-".into(), |p| {
                p.regions
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {:.1}%",
                            r.region,
                            r.uplink.peak_hour_utilisation * 100.0
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        };
        let _ = writeln!(
            out,
            "peak-hour uplink utilisation: A {} | B {}",
            util(pa),
            util(pb)
        );
        let verdict = |p: Option<&super::PhaseReport>| {
            p.map_or("-".into(), |p| {
                if p.verdict.met {
                    "met".to_string()
                } else {
                    format!("missed ({})", p.verdict.missed.join(", "))
                }
            })
        };
        let _ = writeln!(out, "SLA verdict: A {} | B {}", verdict(pa), verdict(pb));
        let penalty = |p: Option<&super::PhaseReport>| {
            p.and_then(|p| p.penalty.as_ref()).map_or("-".into(), |x| {
                format!(
                    "£{}/month, £{} contract",
                    thousands(x.monthly_credit_gbp.round() as u64),
                    thousands(x.contract_exposure_gbp.round() as u64)
                )
            })
        };
        let _ = writeln!(
            out,
            "penalty exposure: A {} | B {}",
            penalty(pa),
            penalty(pb)
        );
        let knee = |p: Option<&super::PhaseReport>| {
            p.and_then(|p| p.knee.as_ref()).map_or("-".into(), |k| {
                if k.already_missing {
                    "already missing".to_string()
                } else if k.ceiling_reached {
                    format!(">= x{}", k.factor)
                } else {
                    format!("x{} ({})", k.factor, k.first_miss.as_deref().unwrap_or("?"))
                }
            })
        };
        let _ = writeln!(out, "capacity knee: A {} | B {}", knee(pa), knee(pb));
        settlement(
            &mut out,
            pa.and_then(|p| p.settlement.as_ref()),
            pb.and_then(|p| p.settlement.as_ref()),
        );
    }
    out
}

/// The two settled samples run by run, and how much larger one's error is.
fn settlement(out: &mut String, a: Option<&SettlementReport>, b: Option<&SettlementReport>) {
    if a.is_none() && b.is_none() {
        return;
    }
    let collection = |s: Option<&SettlementReport>| s.map_or("-".into(), |s| s.collection.clone());
    let _ = writeln!(
        out,
        "settlement collection: A {} | B {}",
        collection(a),
        collection(b)
    );
    let _ = writeln!(
        out,
        "{:<4} {:>12} {:>12} {:>14} {:>14} {:>10} {:>10}",
        "run", "A actuals", "B actuals", "A GGCF out", "B GGCF out", "A |error|", "B |error|"
    );
    fn runs(s: Option<&SettlementReport>) -> &[RunSummary] {
        s.map_or(&[][..], |s| &s.day.runs[..])
    }
    let (ra, rb) = (runs(a), runs(b));
    for i in 0..ra.len().max(rb.len()) {
        let (x, y) = (ra.get(i), rb.get(i));
        let actual = |r: Option<&RunSummary>| {
            r.map_or("-".into(), |r| {
                format!("{:.2}%", r.actual_energy_share * 100.0)
            })
        };
        let outside = |r: Option<&RunSummary>, s: Option<&SettlementReport>| {
            r.map_or("-".into(), |r| {
                let out: u32 = r.gsp_groups.iter().map(|g| g.outside_band).sum();
                let all = r.gsp_groups.len() * s.map_or(48, |s| s.day.periods);
                format!("{out}/{all}")
            })
        };
        let error = |r: Option<&RunSummary>| {
            r.and_then(|r| r.abs_error_share)
                .map_or("-".into(), |e| format!("{:.3}%", e * 100.0))
        };
        let name = x.or(y).map_or("?", |r| r.run.as_str());
        let _ = writeln!(
            out,
            "{:<4} {:>12} {:>12} {:>14} {:>14} {:>10} {:>10}",
            name,
            actual(x),
            actual(y),
            outside(x, a),
            outside(y, b),
            error(x),
            error(y)
        );
    }
    // The final run's error, the one that stays.
    let last = |r: &[RunSummary]| {
        r.last()
            .and_then(|r| r.abs_error_share.map(|e| (r.run.clone(), e)))
    };
    if let (Some((run, ea)), Some((_, eb))) = (last(ra), last(rb)) {
        let sentence = if ea == eb {
            format!("at {run}, A and B settle with the same error")
        } else if ea > eb && eb > 0.0 {
            format!(
                "at {run}, A's settlement error is {:.1}× B's ({:.3} % against {:.3} %)",
                ea / eb,
                ea * 100.0,
                eb * 100.0
            )
        } else if eb > ea && ea > 0.0 {
            format!(
                "at {run}, B's settlement error is {:.1}× A's ({:.3} % against {:.3} %)",
                eb / ea,
                eb * 100.0,
                ea * 100.0
            )
        } else {
            format!("at {run}, A {:.3} %, B {:.3} %", ea * 100.0, eb * 100.0)
        };
        let _ = writeln!(out, "settlement: {sentence}.");
    }
}
