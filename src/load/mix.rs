//! What `dccsim load` sends: a weighted mix of DUIS reads (`--mix FILE`, TOML), by default the
//! MHHS collection mix — mostly 4.8.1 half-hourly profile reads of yesterday, with some daily read
//! logs (4.6.1) and register reads (4.1.1) beside them — and the DCC's own 8.2 Read Inventory. Each service's request is its RTDS
//! template with its log period moved to the day being read. A mix file may also carry the
//! thresholds a run must meet (`slo`), so a pipeline gates on the file alone:
//!
//! ```toml
//! slo = "p99<25ms,errors<0.1%"
//!
//! [[request]]
//! service = "4.8.1"
//! weight = 90
//!
//! [[request]]
//! service = "4.6.1"
//! weight = 10
//! ```

use chrono::NaiveDate;
use serde::Deserialize;

/// A read the mix can send: its service reference variant, RTDS template, and the template's
/// log period (start, end) with how many days before the read day each moves to.
struct Read {
    service: &'static str,
    template: &'static str,
    period: Option<(&'static str, &'static str)>,
    /// The period runs from this many days before the read day to the day after it.
    days_back: u64,
    /// A non-device request (to `serviceD`), naming its meter in `sr:DeviceID`.
    non_device: bool,
}

const READS: [Read; 9] = [
    Read {
        service: "4.8.1",
        template: include_str!("../../data/ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML"),
        period: Some(("2014-12-31T00:00:00.00Z", "2015-01-01T00:00:00.00Z")),
        days_back: 0,
        non_device: false,
    },
    Read {
        service: "4.6.1",
        template: include_str!("../../data/ECS21a_4.6.1_SINGLE_SUCCESS_REQUEST_DUIS.XML"),
        period: Some(("2014-03-09T00:00:00.00Z", "2014-03-11T00:00:00.00Z")),
        days_back: 1,
        non_device: false,
    },
    Read {
        service: "4.17",
        template: include_str!("../../data/ECS66_4.17_SUCCESS_REQUEST_DUIS.XML"),
        period: Some(("2014-12-01T09:00:00.00Z", "2014-12-05T11:05:00.00Z")),
        days_back: 6,
        non_device: false,
    },
    Read {
        service: "4.1.1",
        template: include_str!("../../data/ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML"),
        period: None,
        days_back: 0,
        non_device: false,
    },
    // A network operator's reads (an import supplier is refused 4.8.3 for a meter whose export
    // it does not hold, as DCC refuses it).
    Read {
        service: "4.8.3",
        template: include_str!("../../data/ECS22a_4.8.3_SUCCESS_REQUEST_DUIS.XML"),
        period: Some(("2014-10-01T09:30:00.00Z", "2014-10-02T09:30:00.00Z")),
        days_back: 0,
        non_device: false,
    },
    Read {
        service: "4.10",
        template: include_str!("../../data/ECS23_4.10_SUCCESS_REQUEST_DUIS.XML"),
        period: Some(("2014-12-29T23:59:00.00Z", "2015-01-01T00:00:00.00Z")),
        days_back: 0,
        non_device: false,
    },
    Read {
        service: "4.16",
        template: include_str!("../../data/ECS17c_4.16_SUCCESS_REQUEST_DUIS.XML"),
        period: None,
        days_back: 0,
        non_device: false,
    },
    // A prepayment supplier's: the meter balance.
    Read {
        service: "4.18",
        template: include_str!("../../data/ECS82_4.18_SUCCESS_REQUEST_DUIS.XML"),
        period: None,
        days_back: 0,
        non_device: false,
    },
    // The DCC's own answer: the inventory of the meter's premises, from any user.
    Read {
        service: "8.2",
        template: include_str!("../../data/8.2_READ_INVENTORY_REQUEST_DUIS.XML"),
        period: None,
        days_back: 0,
        non_device: true,
    },
];

/// A weighted mix of reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    /// Indexes into the known reads with their weights (positive).
    entries: Vec<(usize, f64)>,
    /// Thresholds from the file (`--slo` overrides them).
    pub slo: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MixFile {
    slo: Option<String>,
    request: Vec<RequestFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFile {
    service: String,
    weight: f64,
}

impl Mix {
    /// The MHHS collection mix: 90 % 4.8.1 profile reads, 5 % 4.6.1 daily read logs, 5 % 4.1.1
    /// register reads (an assumption: settlement needs the profile, validation the registers).
    pub fn mhhs() -> Mix {
        Mix {
            entries: vec![(0, 90.0), (1, 5.0), (3, 5.0)],
            slo: None,
        }
    }

    /// Reads a mix file; errors name the file, line and column.
    pub fn parse(file: &str, text: &str) -> Result<Mix, String> {
        let at = |span: Option<std::ops::Range<usize>>| {
            let offset = span.map_or(0, |s| s.start).min(text.len());
            let line = text[..offset].matches('\n').count() + 1;
            let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("{file}:{line}:{column}")
        };
        let raw: MixFile = toml::from_str(text)
            .map_err(|e| format!("{}: {}", at(e.span()), e.message().trim_end()))?;
        if raw.request.is_empty() {
            return Err(format!("{file}: a mix needs at least one [[request]]"));
        }
        let mut entries = Vec::new();
        for r in &raw.request {
            let i = READS
                .iter()
                .position(|k| k.service == r.service)
                .ok_or_else(|| {
                    let known: Vec<_> = READS.iter().map(|k| k.service).collect();
                    format!(
                        "{file}: service {:?} is not one the load generator sends ({})",
                        r.service,
                        known.join(", ")
                    )
                })?;
            if !(r.weight.is_finite() && r.weight > 0.0) {
                return Err(format!(
                    "{file}: service {}: weight {} is not a positive number",
                    r.service, r.weight
                ));
            }
            entries.push((i, r.weight));
        }
        if let Some(slo) = &raw.slo {
            super::plan::parse_slo(slo).map_err(|e| format!("{file}: slo: {e}"))?;
        }
        Ok(Mix {
            entries,
            slo: raw.slo,
        })
    }

    /// The service of each of `count` requests, in order: smooth weighted round robin, so every
    /// stretch of the run follows the weights, not just the whole.
    pub fn sequence(&self, count: usize) -> Vec<usize> {
        self.deal().take(count).collect()
    }

    /// [`Mix::sequence`] without end: each next entry as it is needed.
    pub fn deal(&self) -> Deal {
        Deal {
            weights: self.entries.iter().map(|(_, w)| *w).collect(),
            credit: vec![0.0; self.entries.len()],
        }
    }

    /// Whether entry `i` is a non-device request (the User Gateway's `serviceD`), which names
    /// its meter in `sr:DeviceID` and is addressed to the DCC.
    pub fn non_device(&self, i: usize) -> bool {
        READS[self.entries[i].0].non_device
    }

    /// The service reference variant of entry `i` of [`Mix::sequence`].
    pub fn service(&self, i: usize) -> &'static str {
        READS[self.entries[i].0].service
    }

    /// Entry `i`'s request for a read of `day` (before signing; the RequestID is the template's).
    pub fn request(&self, i: usize, day: NaiveDate) -> String {
        let read = &READS[self.entries[i].0];
        let Some((from, to)) = read.period else {
            return read.template.to_string();
        };
        let start = day
            .checked_sub_days(chrono::Days::new(read.days_back))
            .unwrap_or(day);
        let end = day.succ_opt().unwrap_or(day);
        read.template
            .replacen(from, &format!("{start}T00:00:00.00Z"), 1)
            .replacen(to, &format!("{end}T00:00:00.00Z"), 1)
    }

    /// "4.8.1 × 90, 4.6.1 × 5…" for progress lines.
    pub fn describe(&self) -> String {
        self.entries
            .iter()
            .map(|(i, w)| format!("{} × {w}", READS[*i].service))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A mix's entries in turn, each as often as its weight asks (smooth weighted round robin).
#[derive(Debug, Clone)]
pub struct Deal {
    weights: Vec<f64>,
    credit: Vec<f64>,
}

impl Iterator for Deal {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let total: f64 = self.weights.iter().sum();
        for (c, w) in self.credit.iter_mut().zip(&self.weights) {
            *c += w;
        }
        let best = (0..self.credit.len())
            .max_by(|a, b| self.credit[*a].total_cmp(&self.credit[*b]).then(b.cmp(a)))
            .unwrap_or(0);
        if let Some(c) = self.credit.get_mut(best) {
            *c -= total;
        }
        Some(best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_follows_the_weights_in_every_stretch() {
        let mix = Mix::mhhs();
        let seq = mix.sequence(2000);
        for window in seq.chunks(100) {
            let profile = window.iter().filter(|i| **i == 0).count();
            assert!((89..=91).contains(&profile), "{profile} of 100");
        }
        assert_eq!(mix.service(seq[0]), "4.8.1");
    }

    #[test]
    fn requests_read_the_day_asked_for() {
        let mix = Mix::mhhs();
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let profile = mix.request(0, day);
        assert!(profile.contains("<sr:StartDateTime>2026-11-23T00:00:00.00Z<"));
        assert!(profile.contains("<sr:EndDateTime>2026-11-24T00:00:00.00Z<"));
        let log = mix.request(1, day);
        assert!(log.contains("<sr:ServiceReferenceVariant>4.6.1<"));
        assert!(log.contains("<sr:StartDateTime>2026-11-22T00:00:00.00Z<"));
        assert!(
            mix.request(2, day)
                .contains("<sr:ReadInstantaneousImportRegisters/>")
        );
        // Every read the generator knows moves to the day asked for.
        let all = Mix::parse(
            "all.toml",
            &READS
                .iter()
                .map(|r| format!("[[request]]\nservice = \"{}\"\nweight = 1\n", r.service))
                .collect::<String>(),
        )
        .unwrap();
        for (i, read) in READS.iter().enumerate() {
            let xml = all.request(i, day);
            let variant = format!("<sr:ServiceReferenceVariant>{}<", read.service);
            assert!(xml.contains(&variant), "{xml}");
            if read.period.is_some() {
                assert!(
                    xml.contains("<sr:EndDateTime>2026-11-24T00:00:00.00Z<"),
                    "{xml}"
                );
                assert!(!xml.contains(">2014-") && !xml.contains(">2015-"), "{xml}");
            }
        }
    }

    #[test]
    fn bad_mix_files_name_the_place_and_the_reason() {
        let bad = |text: &str| Mix::parse("mix.toml", text).unwrap_err();
        let e = bad("[[request]]\nservice = \"4.8.1\"\nweight = \"lots\"\n");
        assert!(e.starts_with("mix.toml:3:"), "{e}");
        let e = bad("[[request]]\nservice = \"9.9\"\nweight = 1\n");
        assert!(e.contains("\"9.9\"") && e.contains("4.8.1"), "{e}");
        let e = bad("[[request]]\nservice = \"4.8.1\"\nweight = 0\n");
        assert!(e.contains("weight 0"), "{e}");
        let e = bad("slo = \"p99<fast\"\n[[request]]\nservice = \"4.8.1\"\nweight = 1\n");
        assert!(e.contains("slo"), "{e}");
        let e = bad("[[request]]\nservice = \"4.8.1\"\nweight = 1\nwieght = 2\n");
        assert!(e.starts_with("mix.toml:4:"), "{e}");
        let good = Mix::parse(
            "mix.toml",
            "slo = \"p99<25ms\"\n[[request]]\nservice = \"4.17\"\nweight = 1\n",
        )
        .unwrap();
        assert_eq!(good.slo.as_deref(), Some("p99<25ms"));
        assert_eq!(good.sequence(3), vec![0, 0, 0]);
    }
}
