//! The report as one self-contained HTML page with inline SVG plots: the response-time
//! distribution of each class against its target, and cell utilisation over the day per region.

use std::fmt::Write;

use super::text::{ms, thousands};
use super::{PhaseReport, Report, ServiceReport};

const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];

/// Renders the report as HTML.
pub fn html(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>dccsim — {}</title><style>{}</style></head><body>",
        escape(&report.scenario),
        STYLE
    );
    let _ = write!(
        out,
        "<h1>{}</h1><p>{}</p><p class=\"meta\">{} · seed {} · scale {} · {} day(s) from {} · dccsim {}</p>",
        escape(&report.scenario),
        escape(report.description.trim()),
        escape(&report.file),
        report.seed,
        report.scale,
        report.days,
        report.date,
        report.dccsim_version
    );
    for phase in &report.phases {
        phase_html(&mut out, phase);
    }
    out.push_str("</body></html>\n");
    out
}

fn phase_html(out: &mut String, p: &PhaseReport) {
    let verdict = if p.verdict.met {
        "<span class=\"ok\">all service levels met</span>".to_string()
    } else {
        format!(
            "<span class=\"bad\">missed: {}</span>",
            escape(&p.verdict.missed.join(", "))
        )
    };
    let _ = write!(
        out,
        "<h2>Phase {} ({})</h2><p>{} meters · {} comms hubs · {} cells · {}</p>",
        escape(&p.name),
        p.year,
        thousands(p.meters),
        thousands(p.hubs),
        thousands(p.cells),
        verdict
    );
    if let Some(pen) = &p.penalty {
        let _ = write!(
            out,
            "<p>Penalty exposure ({:?}, {} years): £{} per month, £{} over the contract.</p>",
            pen.regime,
            pen.contract_years,
            thousands(pen.monthly_credit_gbp.round() as u64),
            thousands(pen.contract_exposure_gbp.round() as u64)
        );
    }
    if let Some(k) = &p.knee {
        let _ = write!(out, "<p>Capacity knee: {}.</p>", escape(&k.sentence()));
    }
    if let Some(s) = &p.settlement {
        let _ = write!(
            out,
            "<h3>Settlement</h3><pre>{}</pre>",
            escape(&super::text::settlement_text(s))
        );
    }
    out.push_str("<table><tr><th>service</th><th>SRV</th><th>requests</th><th>target</th><th>within</th><th>goal</th><th>p50</th><th>p99</th><th>p99.9</th><th>verdict</th></tr>");
    for s in &p.services {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} s</td><td>{:.3}%</td><td>{:.2}%</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&s.id),
            escape(s.srv.as_deref().unwrap_or("-")),
            thousands(s.requests),
            s.target_s,
            s.share_within_target * 100.0,
            s.target_share * 100.0,
            ms(s.latency_ms.p50),
            ms(s.latency_ms.p99),
            ms(s.latency_ms.p999),
            if s.met { "ok" } else { "bad" },
            if s.met { "met" } else { "missed" }
        );
    }
    out.push_str("</table><h3>Response times against target</h3><div class=\"grid\">");
    for s in &p.services {
        distribution_svg(out, s);
    }
    out.push_str("</div><h3>Cell utilisation over the day</h3>");
    utilisation_svg(out, p);
}

/// Share of requests answered within x ms (log scale), with the target as a vertical line.
fn distribution_svg(out: &mut String, s: &ServiceReport) {
    let (w, h, left, bottom) = (320.0, 180.0, 40.0, 30.0);
    let max_ms = s
        .distribution
        .last()
        .map_or(1000.0, |p| p.0)
        .max(s.target_s * 1000.0 * 2.0);
    let (lo, hi) = (1.0f64.log10(), max_ms.max(10.0).log10());
    let x = |ms: f64| left + (ms.max(1.0).log10() - lo) / (hi - lo) * (w - left - 25.0);
    let y = |share: f64| (h - bottom) - share * (h - bottom - 10.0);
    let _ = write!(
        out,
        "<figure><svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">"
    );
    axes(out, w, h, left, bottom);
    for decade in 0..=(hi.ceil() as i32) {
        let v = 10f64.powi(decade);
        if v > max_ms * 1.01 {
            break;
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" class=\"tick\">{}</text>",
            x(v),
            h - bottom + 14.0,
            ms(v as u64)
        );
    }
    let tx = x(s.target_s * 1000.0);
    let _ = write!(
        out,
        "<line x1=\"{tx:.1}\" y1=\"10\" x2=\"{tx:.1}\" y2=\"{}\" class=\"target\"/><line x1=\"{left}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\" class=\"goal\"/>",
        h - bottom,
        y(s.target_share),
        w - 10.0,
        y(s.target_share)
    );
    if !s.distribution.is_empty() {
        let points: Vec<String> = s
            .distribution
            .iter()
            .map(|&(ms, share)| format!("{:.1},{:.1}", x(ms), y(share)))
            .collect();
        let _ = write!(
            out,
            "<polyline points=\"{}\" class=\"curve\"/>",
            points.join(" ")
        );
    }
    let _ = write!(
        out,
        "<text x=\"{left}\" y=\"{}\" class=\"tick\">0</text><text x=\"{}\" y=\"16\" class=\"tick\">1</text></svg><figcaption>{} — {:.3}% within {} s (goal {:.2}%)</figcaption></figure>",
        h - bottom,
        left - 10.0,
        escape(&s.id),
        s.share_within_target * 100.0,
        s.target_s,
        s.target_share * 100.0
    );
}

fn utilisation_svg(out: &mut String, p: &PhaseReport) {
    let (w, h, left, bottom) = (640.0, 240.0, 45.0, 30.0);
    let hours = p
        .regions
        .first()
        .map_or(24, |r| r.uplink.hourly_utilisation.len())
        .max(1);
    let peak = p
        .regions
        .iter()
        .flat_map(|r| {
            r.uplink
                .hourly_utilisation
                .iter()
                .chain(&r.downlink.hourly_utilisation)
        })
        .copied()
        .fold(0.0f64, f64::max)
        .max(0.01);
    let top = (peak * 1.1).min(1.0).max(peak);
    let x = |hour: f64| left + hour / hours as f64 * (w - left - 10.0);
    let y = |u: f64| (h - bottom) - u / top * (h - bottom - 10.0);
    let _ = write!(
        out,
        "<figure><svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">"
    );
    axes(out, w, h, left, bottom);
    for hour in (0..=hours).step_by(3) {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" class=\"tick\">{:02}h</text>",
            x(hour as f64),
            h - bottom + 14.0,
            hour % 24
        );
    }
    let _ = write!(
        out,
        "<text x=\"2\" y=\"16\" class=\"tick\" style=\"text-anchor:start\">{:.1}%</text>",
        top * 100.0
    );
    let mut legend = String::new();
    for (i, r) in p.regions.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        for (series, dash) in [
            (&r.uplink.hourly_utilisation, ""),
            (&r.downlink.hourly_utilisation, " stroke-dasharray=\"4 3\""),
        ] {
            let points: Vec<String> = series
                .iter()
                .enumerate()
                .map(|(hour, &u)| format!("{:.1},{:.1}", x(hour as f64 + 0.5), y(u)))
                .collect();
            let _ = write!(
                out,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\"{dash}/>",
                points.join(" ")
            );
        }
        let _ = write!(
            legend,
            "<span style=\"color:{colour}\">■ {} ({})</span> ",
            escape(&r.region),
            escape(&r.kind)
        );
    }
    let _ = write!(
        out,
        "</svg><figcaption>{legend}— solid uplink, dashed downlink; mean over each region's cells</figcaption></figure>"
    );
}

fn axes(out: &mut String, w: f64, h: f64, left: f64, bottom: f64) {
    let _ = write!(
        out,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/><line x1=\"{left}\" y1=\"10\" x2=\"{left}\" y2=\"{}\" class=\"axis\"/>",
        h - bottom,
        w - 10.0,
        h - bottom,
        h - bottom
    );
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}\
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}\
td:first-child,th:first-child{text-align:left}.ok{color:#1a7f37}.bad{color:#c62828;font-weight:bold}\
.meta{color:#666}.grid{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0}figcaption{font-size:12px;color:#444}\
.axis{stroke:#888}.tick{font-size:10px;fill:#555;text-anchor:middle}.target{stroke:#c62828;stroke-dasharray:4 3}\
.goal{stroke:#aaa;stroke-dasharray:2 2}.curve{fill:none;stroke:#1f77b4;stroke-width:2}";
