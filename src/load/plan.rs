//! Service-level objectives and the search for the highest rate that meets them.

use super::recorder::Summary;

/// One objective: a corrected latency quantile under a bound, or the error share under a bound.
#[derive(Debug, Clone, PartialEq)]
pub enum Objective {
    /// `p50`, `p90`, `p99`, `p999` or `max` of corrected latency below this many ms.
    Latency { quantile: String, below_ms: f64 },
    /// Share of requests that were errors or failed below this fraction.
    Errors { below: f64 },
}

/// Parses `p99<25ms,errors<0.1%` (also `p99.9`, `max`, seconds as `s`, errors as a fraction).
pub fn parse_slo(text: &str) -> Result<Vec<Objective>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, bound) = part
            .split_once('<')
            .ok_or_else(|| format!("SLO term {part:?}: expected NAME<BOUND, e.g. p99<25ms"))?;
        let (name, bound) = (name.trim(), bound.trim());
        if name == "errors" {
            let below = match bound.strip_suffix('%') {
                Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
                None => bound.parse::<f64>(),
            }
            .map_err(|_| format!("SLO term {part:?}: {bound:?} is not a share (0.1% or 0.001)"))?;
            out.push(Objective::Errors { below });
            continue;
        }
        let quantile = match name {
            "p50" | "p90" | "p99" | "max" => name.to_string(),
            "p99.9" | "p999" => "p999".to_string(),
            _ => {
                return Err(format!(
                    "SLO term {part:?}: {name:?} is not p50, p90, p99, p99.9, max or errors"
                ));
            }
        };
        let below_ms = if let Some(ms) = bound.strip_suffix("ms") {
            ms.trim().parse::<f64>()
        } else if let Some(s) = bound.strip_suffix('s') {
            s.trim().parse::<f64>().map(|v| v * 1000.0)
        } else {
            return Err(format!("SLO term {part:?}: give a unit, e.g. 25ms or 2s"));
        }
        .map_err(|_| format!("SLO term {part:?}: {bound:?} is not a number"))?;
        out.push(Objective::Latency { quantile, below_ms });
    }
    if out.is_empty() {
        return Err("empty SLO".into());
    }
    Ok(out)
}

/// The objectives a step's summary breaks, as sentences (empty when all are met). A step whose
/// generator could not keep up (achieved rate well under target) breaks too.
pub fn breaches(summary: &Summary, slo: &[Objective]) -> Vec<String> {
    let mut out = Vec::new();
    for o in slo {
        match o {
            Objective::Latency { quantile, below_ms } => {
                let q = &summary.corrected;
                let v = match quantile.as_str() {
                    "p50" => q.p50,
                    "p90" => q.p90,
                    "p99" => q.p99,
                    "p999" => q.p999,
                    _ => q.max,
                };
                if v >= *below_ms {
                    out.push(format!("{quantile} {v:.2} ms ≥ {below_ms} ms"));
                }
            }
            Objective::Errors { below } => {
                if summary.error_share >= *below {
                    out.push(format!(
                        "errors {:.3}% ≥ {:.3}%",
                        summary.error_share * 100.0,
                        below * 100.0
                    ));
                }
            }
        }
    }
    if summary.achieved_rate < 0.9 * summary.target_rate {
        out.push(format!(
            "achieved {:.0}/s of {:.0}/s",
            summary.achieved_rate, summary.target_rate
        ));
    }
    out
}

/// The next rate to try in the search for the highest passing rate: double until a step
/// fails, then bisect between the highest pass and lowest fail until they are within 5 %.
pub fn next_rate(passed: Option<f64>, failed: Option<f64>, ceiling: f64) -> Option<f64> {
    match (passed, failed) {
        (None, None) => Some(ceiling.min(100.0)),
        (Some(p), None) => (p < ceiling).then(|| (p * 2.0).min(ceiling)),
        (None, Some(f)) => (f > 1.0).then(|| f / 2.0),
        (Some(p), Some(f)) => (f / p > 1.05).then(|| (p + f) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slo_text_reads_and_refuses_typos() {
        let slo = parse_slo("p99<25ms, errors<0.1%, p99.9<2s").unwrap();
        assert_eq!(
            slo,
            vec![
                Objective::Latency {
                    quantile: "p99".into(),
                    below_ms: 25.0
                },
                Objective::Errors { below: 0.001 },
                Objective::Latency {
                    quantile: "p999".into(),
                    below_ms: 2000.0
                },
            ]
        );
        assert!(parse_slo("p98<25ms").unwrap_err().contains("p98"));
        assert!(parse_slo("p99<25").unwrap_err().contains("unit"));
        assert!(parse_slo("p99=25ms").unwrap_err().contains("NAME<BOUND"));
    }

    #[test]
    fn the_search_doubles_then_bisects() {
        assert_eq!(next_rate(None, None, 1e6), Some(100.0));
        assert_eq!(next_rate(Some(100.0), None, 1e6), Some(200.0));
        assert_eq!(next_rate(Some(800.0), Some(1600.0), 1e6), Some(1200.0));
        assert_eq!(next_rate(Some(1000.0), Some(1040.0), 1e6), None);
        assert_eq!(next_rate(Some(1e6), None, 1e6), None);
    }
}
