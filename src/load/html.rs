//! The load test as one self-contained HTML page: the curve of latency against rate (corrected
//! p50, p99, p99.9 and the uncorrected p99 beside them) and each step's latency distribution
//! by percentile, both as inline SVG.

use std::fmt::Write;

use super::cli::LoadReport;

const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];
const W: f64 = 640.0;
const H: f64 = 320.0;
const LEFT: f64 = 60.0;
const BOTTOM: f64 = 40.0;

/// Picks one latency of a step's summary, ms.
type Pick = fn(&super::recorder::Summary) -> f64;

/// Renders the report.
pub fn html(report: &LoadReport) -> String {
    let escape = crate::report::html_escape;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>dccsim load — {0}</title><style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}td,th{{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}}</style></head><body><h1>Load test of {0}</h1>",
        escape(&report.target)
    );
    if let Some(r) = report.sustainable_rate {
        let _ = write!(out, "<p>Highest rate meeting the SLO: <b>{r:.0}/s</b></p>");
    }
    out.push_str("<table><tr><th>rate/s</th><th>achieved</th><th>requests</th><th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>uncorrected p99 ms</th><th>errors</th><th>misses</th></tr>");
    for p in &report.curve {
        let s = &p.summary;
        let _ = write!(
            out,
            "<tr><td>{:.0}</td><td>{:.0}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}%</td><td>{}</td></tr>",
            s.target_rate,
            s.achieved_rate,
            s.requests,
            s.corrected.p50,
            s.corrected.p99,
            s.corrected.p999,
            s.corrected.max,
            s.uncorrected.p99,
            s.error_share * 100.0,
            escape(&p.breaches.join("; "))
        );
    }
    out.push_str("</table>");
    // Latency against rate, steps in rate order, log latency axis.
    let mut points: Vec<_> = report.curve.iter().map(|p| &p.summary).collect();
    points.sort_by(|a, b| a.target_rate.total_cmp(&b.target_rate));
    let max_rate = points.iter().map(|s| s.target_rate).fold(1.0, f64::max);
    let max_ms = points
        .iter()
        .map(|s| s.corrected.p999.max(s.uncorrected.p99))
        .fold(1.0, f64::max);
    let x = |rate: f64| LEFT + rate / max_rate * (W - LEFT - 10.0);
    let y = |ms: f64| {
        let (lo, hi) = (0.1f64.ln(), (max_ms * 2.0).ln());
        H - BOTTOM - (ms.max(0.1).ln() - lo) / (hi - lo) * (H - BOTTOM - 10.0)
    };
    out.push_str("<h2>Latency against rate</h2>");
    let _ = write!(
        out,
        "<svg width=\"{W}\" height=\"{H}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    axes(&mut out, "requests/s", "ms (log)");
    let series: [(&str, Pick); 4] = [
        ("p50", |s| s.corrected.p50),
        ("p99", |s| s.corrected.p99),
        ("p99.9", |s| s.corrected.p999),
        ("uncorrected p99", |s| s.uncorrected.p99),
    ];
    for (i, (name, value)) in series.iter().enumerate() {
        let path: Vec<String> = points
            .iter()
            .map(|s| format!("{:.1},{:.1}", x(s.target_rate), y(value(s))))
            .collect();
        let _ = write!(
            out,
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\">{}</text>",
            COLOURS[i % COLOURS.len()],
            path.join(" "),
            LEFT + 8.0,
            20.0 + 14.0 * i as f64,
            COLOURS[i % COLOURS.len()],
            name
        );
    }
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\">{max_rate:.0}/s</text><text x=\"4\" y=\"{}\" font-size=\"11\">{:.0} ms</text></svg>",
        W - 60.0,
        H - 8.0,
        y(max_ms) + 4.0,
        max_ms
    );
    // Each step's distribution: latency at p50, p90, p99, p99.9 and the maximum.
    out.push_str("<h2>Latency distribution of each step</h2>");
    let _ = write!(
        out,
        "<svg width=\"{W}\" height=\"{H}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    axes(&mut out, "percentile: 50, 90, 99, 99.9, max", "ms (log)");
    let px = |k: usize| LEFT + k as f64 / 4.0 * (W - LEFT - 10.0);
    for (i, s) in points.iter().enumerate() {
        let q = &s.corrected;
        let path: Vec<String> = [q.p50, q.p90, q.p99, q.p999, q.max]
            .iter()
            .enumerate()
            .map(|(k, v)| format!("{:.1},{:.1}", px(k), y(*v)))
            .collect();
        let _ = write!(
            out,
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\">{:.0}/s</text>",
            COLOURS[i % COLOURS.len()],
            path.join(" "),
            W - 70.0,
            20.0 + 14.0 * i as f64,
            COLOURS[i % COLOURS.len()],
            s.target_rate
        );
    }
    out.push_str("</svg></body></html>\n");
    out
}

fn axes(out: &mut String, x_label: &str, y_label: &str) {
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#333\"/><line x1=\"{LEFT}\" y1=\"10\" x2=\"{LEFT}\" y2=\"{0}\" stroke=\"#333\"/><text x=\"{2}\" y=\"{3}\" font-size=\"11\">{x_label}</text><text x=\"4\" y=\"12\" font-size=\"11\">{y_label}</text>",
        H - BOTTOM,
        W - 10.0,
        LEFT + 100.0,
        H - 12.0,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::cli::{CurvePoint, LoadReport};
    use crate::load::recorder::{Outcome, Recorder};

    #[test]
    fn the_page_has_both_plots_and_every_step() {
        let mut curve = Vec::new();
        for rate in [100.0, 200.0] {
            let mut r = Recorder::default();
            r.record(0, 0, 2_000, Outcome::Ok);
            curve.push(CurvePoint {
                summary: r.summary(rate, 1.0),
                breaches: Vec::new(),
            });
        }
        let page = html(&LoadReport {
            target: "https://localhost:8443/<x>".into(),
            curve,
            sustainable_rate: Some(200.0),
            responses: None,
        });
        assert_eq!(page.matches("<svg").count(), 2);
        assert!(page.contains("&lt;x&gt;"));
        assert!(page.contains("<td>200</td>"));
    }
}
