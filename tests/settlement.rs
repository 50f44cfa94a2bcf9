//! Settlement worked by hand on a small GSP group, clock-change days, bad inputs, and the
//! synthetic fleet against its own truth.

use dccsim::model::{Mpan, SettlementDate};
use dccsim::settlement::engine::{Options, settle_day};
use dccsim::settlement::files::{self, MemorySource};
use dccsim::settlement::synthetic::{FleetSpec, ReadMode, Retrieval, SyntheticFleet};
use dccsim::settlement::{Method, Quality, RunType, StandingData, Weights, summary};

fn mpan(n: u64) -> Mpan {
    Mpan::from_prefix(10_000_000_000 + n).unwrap() // distributor 10: Eastern, _A
}

/// Three points in _A: ALPH's import (read), BRVO's import (not read) and BRVO's export (read).
fn standing() -> StandingData {
    let text = format!(
        "{}\n\
         {},_A,S,W,Y,I,E,100,ALPH,2__AALPH000,23,2700\n\
         {},_A,S,W,Y,I,E,100,BRVO,2__ABRVO000,23,4380\n\
         {},_A,S,W,Y,E,E,900,BRVO,2__ABRVO000,4,400\n",
        dccsim::settlement::standing::CSV_HEADER,
        mpan(1),
        mpan(2),
        mpan(3)
    );
    StandingData::parse_csv("standing.csv", &text).unwrap()
}

fn consumption(date: &str, periods: u8, rows: &[(u64, f64)]) -> String {
    let mut out = format!("{}\n", files::CONSUMPTION_HEADER);
    for &(point, kwh) in rows {
        for p in 1..=periods {
            out.push_str(&format!("{},{date},{p},{kwh}\n", mpan(point)));
        }
    }
    out
}

fn take(date: &str, periods: u8, kwh: f64) -> String {
    let mut out = format!("{}\n", files::TAKE_HEADER);
    for p in 1..=periods {
        out.push_str(&format!("_A,{date},{p},{kwh}\n"));
    }
    out
}

fn one_run() -> Options {
    Options {
        runs: vec![RunType::SF],
        keep_points: true,
        ..Options::default()
    }
}

#[test]
fn a_small_gsp_group_is_corrected_as_worked_by_hand() {
    let date: SettlementDate = "2026-06-01".parse().unwrap();
    // BRVO's import was not read on the day; a week before it was, 0.25 kWh a period.
    let rows = consumption("2026-06-01", 48, &[(1, 1.0), (3, 0.5)])
        + consumption("2026-05-25", 48, &[(2, 0.25)])
            .split_once('\n')
            .unwrap()
            .1;
    let source = MemorySource::from_files(
        standing(),
        date,
        ("c.csv", &rows),
        Some(("t.csv", &take("2026-06-01", 48, 0.9))),
    )
    .unwrap();
    let day = settle_day(&source, &one_run());
    let run = &day.runs[0];

    // So its day is the like day's.
    let brvo = &run.points.iter().find(|p| p.point == 1).unwrap();
    assert!(brvo.values.iter().all(|v| (v - 0.25).abs() < 1e-12));
    assert!(
        brvo.quality
            .iter()
            .all(|q| *q == Quality::Estimated(Method::LikeDay))
    );

    // Period 1 (00:00–00:30, night): loss factors 1.048 (class 100) and 1.020 (class 900).
    //   ALPH import, actual:     C = 1.0,  losses 0.048   weight 0.1
    //   BRVO import, estimated:  C = 0.25, losses 0.012   weight 1.0
    //   BRVO export, actual:     C = −0.5, losses −0.010  weight 0
    //   U = 1.048 + 0.262 − 0.510 = 0.800
    //   S = 0.1 × 1.048 + 1.0 × 0.262 = 0.3668
    //   GGCF = 1 + (0.9 − 0.8) ÷ 0.3668 = 1.27262813…
    let a = &run.corrections[0];
    assert!((a.uncorrected[0] - 0.800).abs() < 1e-12);
    assert!((a.correctable[0] - 0.3668).abs() < 1e-12);
    let ggcf = 1.0 + 0.1 / 0.3668;
    assert!((a.ggcf[0].unwrap() - ggcf).abs() < 1e-12);
    let by_label = |supplier: &str, label: &str| -> f64 {
        let (_, v) = run
            .corrected
            .iter()
            .find(|(k, _)| k.ccc.label() == label && day_supplier(&source, k.supplier) == supplier)
            .unwrap();
        v[0]
    };
    //   ALPH consumption: 1.0 × (1 + 0.27262813 × 0.1) = 1.027262813
    assert!((by_label("ALPH", "S-D-AI-A-C") - (1.0 + (ggcf - 1.0) * 0.1)).abs() < 1e-12);
    //   BRVO estimated consumption: 0.25 × 1.27262813 = 0.318157
    assert!((by_label("BRVO", "S-D-AI-E-C") - 0.25 * ggcf).abs() < 1e-12);
    //   Export is not corrected.
    assert!((by_label("BRVO", "S-D-AE-A-C") + 0.5).abs() < 1e-12);
    // Corrected volumes add up to the take in every period.
    for j in 0..48 {
        let total: f64 = run.corrected.values().map(|v| v[j]).sum();
        assert!((total - 0.9).abs() < 1e-9, "period {}: {total}", j + 1);
    }

    // The reports carry the same numbers.
    let d0399 = files::d0399(&day, run);
    assert!(
        d0399.contains("2026-06-01,SF,_A,1,0.900,0.800,0.367,1.272628135,0.900"),
        "{d0399}"
    );
    let d0397 = files::d0397(&day, run, source_standing(&source));
    assert!(
        d0397.contains("2026-06-01,SF,_A,BRVO,2__ABRVO000,S-D-AI-E-C,1,0.250,0.318"),
        "{d0397}"
    );
    let if021 = files::if021(&day, run, source_standing(&source));
    let first: serde_json::Value = serde_json::from_str(if021.lines().next().unwrap()).unwrap();
    assert_eq!(first["CommonBlock"]["S0"]["interfaceID"], "IF-021");
    assert_eq!(first["CustomBlock"]["periods"][0]["qualityFlag"], "A");
    assert_eq!(if021.lines().count(), 3);
}

fn source_standing(source: &MemorySource) -> &StandingData {
    use dccsim::settlement::Source;
    source.standing()
}

fn day_supplier(source: &MemorySource, i: u16) -> String {
    source_standing(source).suppliers[usize::from(i)].clone()
}

#[test]
fn with_nothing_correctable_the_factor_is_not_computed() {
    // Every volume actual and actual data given no weight: nothing can absorb the error.
    let date: SettlementDate = "2026-06-01".parse().unwrap();
    let source = MemorySource::from_files(
        standing(),
        date,
        (
            "c.csv",
            &consumption("2026-06-01", 48, &[(1, 1.0), (2, 0.3), (3, 0.5)]),
        ),
        Some(("t.csv", &take("2026-06-01", 48, 2.0))),
    )
    .unwrap();
    let opts = Options {
        weights: Weights {
            smart_actual: 0.0,
            ..Weights::default()
        },
        ..one_run()
    };
    let day = settle_day(&source, &opts);
    let run = &day.runs[0];
    assert!(run.corrections[0].ggcf.iter().all(Option::is_none));
    assert_eq!(run.corrected, run.uncorrected);
    let s = summary::summarise(&day, source_standing(&source));
    assert_eq!(s.runs[0].gsp_groups[0].uncorrectable, 48);
}

#[test]
fn clock_change_days_settle_46_and_50_periods() {
    for (date, periods) in [("2026-03-29", 46u8), ("2026-10-25", 50)] {
        let d: SettlementDate = date.parse().unwrap();
        let source = MemorySource::from_files(
            standing(),
            d,
            ("c.csv", &consumption(date, periods, &[(1, 1.0), (3, 0.5)])),
            Some(("t.csv", &take(date, periods, 0.9))),
        )
        .unwrap();
        let day = settle_day(&source, &one_run());
        assert_eq!(day.periods, usize::from(periods));
        let run = &day.runs[0];
        for p in &run.points {
            assert_eq!(p.values.len(), usize::from(periods));
        }
        // The unread import is 4,380 kWh ÷ 365 = 12 kWh for 24 hours, pro rata for 23 or 25,
        // spread by the default domestic shape (one point is too thin a sample for a shape).
        let brvo: f64 = run
            .points
            .iter()
            .find(|p| p.point == 1)
            .unwrap()
            .values
            .iter()
            .sum();
        assert!((brvo - 12.0 * f64::from(periods) / 48.0).abs() < 1e-9);
        for j in 0..usize::from(periods) {
            let total: f64 = run.corrected.values().map(|v| v[j]).sum();
            assert!((total - 0.9).abs() < 1e-9);
        }
    }
}

#[test]
fn bad_files_are_refused_with_file_line_and_reason() {
    let date: SettlementDate = "2026-03-29".parse().unwrap();
    let check = |text: String, line: usize, needle: &str| {
        let err = MemorySource::from_files(standing(), date, ("c.csv", &text), None)
            .err()
            .expect("refused");
        assert_eq!(err.line, line, "{err}");
        assert!(
            err.to_string().starts_with(&format!("c.csv:{line}: ")),
            "{err}"
        );
        assert!(err.to_string().contains(needle), "{err}");
    };
    let header = files::CONSUMPTION_HEADER;
    check(
        format!(
            "{header}\n{m},2026-03-29,3,0.1\n{m},2026-03-29,3,0.2\n",
            m = mpan(1)
        ),
        3,
        "appears twice (first on line 2)",
    );
    check(
        format!("{header}\n{},2026-03-29,47,0.1\n", mpan(1)),
        2,
        "period 47 does not exist on 2026-03-29, which has 46 periods",
    );
    check(
        format!("{header}\n{},2026-03-29,1,0.1\n", mpan(9)),
        2,
        "is not in the standing data",
    );
    check(
        format!("{header}\n{},2026-03-29,1,lots\n", mpan(1)),
        2,
        "kwh \"lots\"",
    );
    check("mpan,kwh\n".into(), 1, "header");
    // Data for another day only: settling the day asked for would estimate everything.
    check(
        format!(
            "{header}\n{m},2026-03-30,1,0.1\n{m},2026-04-02,1,0.1\n",
            m = mpan(1)
        ),
        2,
        "no consumption for the settlement day 2026-03-29 (the file holds 2026-03-30 to 2026-04-02): give the day to settle with --date",
    );
    // A take naming a group that does not exist.
    let err = MemorySource::from_files(
        standing(),
        date,
        ("c.csv", &format!("{header}\n")),
        Some((
            "t.csv",
            &format!("{}\n_Z,2026-03-29,1,5\n", files::TAKE_HEADER),
        )),
    )
    .err()
    .unwrap();
    assert!(
        err.to_string()
            .starts_with("t.csv:2: gsp_group: unknown GSP group \"_Z\""),
        "{err}"
    );
}

#[test]
fn unknown_gsp_group_in_standing_data_names_the_line() {
    let text = format!(
        "{}\n{},_Q,S,W,Y,I,E,100,ALPH,X,23,2700\n",
        dccsim::settlement::standing::CSV_HEADER,
        mpan(1)
    );
    let err = StandingData::parse_csv("standing.csv", &text).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("standing.csv:2: gsp_group: unknown GSP group \"_Q\"")
    );
}

fn fleet(retrieval: Retrieval, faults: bool) -> SyntheticFleet {
    let mut spec = FleetSpec::national(3_000, 7, "2026-01-14".parse().unwrap(), retrieval);
    if !faults {
        spec.gap_share = 0.0;
        spec.spike_share = 0.0;
    }
    SyntheticFleet::generate(spec)
}

#[test]
fn with_perfect_retrieval_settlement_is_the_truth_plus_losses() {
    let f = fleet(Retrieval::PERFECT, false);
    let day = settle_day(&f, &Options::default());
    for run in &day.runs {
        assert_eq!(run.stats.actual_periods, run.stats.points * 48);
        for c in &run.corrections {
            for g in c.ggcf.iter() {
                assert!((g.unwrap() - 1.0).abs() < 1e-9, "{}: {g:?}", c.gsp);
            }
        }
    }
    let s = summary::summarise(&day, dccsim::settlement::Source::standing(&f));
    for run in &s.runs {
        assert_eq!(run.actual_energy_share, 1.0);
        for sup in &run.suppliers {
            assert!(sup.error_share.abs() < 1e-9, "{sup:?}");
            assert!(sup.abs_period_error_share < 1e-9, "{sup:?}");
        }
    }
}

#[test]
fn estimation_fills_every_period_and_later_runs_settle_more_on_actuals() {
    let poor = Retrieval {
        mode: ReadMode::HalfHourly { every_days: 1 },
        success: 0.6,
        no_coverage: 0.02,
    };
    let f = fleet(poor, true);
    let day = settle_day(&f, &Options::default());
    let s = summary::summarise(&day, dccsim::settlement::Source::standing(&f));
    for run in &day.runs {
        let estimated: u64 = run.stats.estimated_periods.iter().sum();
        assert_eq!(run.stats.actual_periods + estimated, run.stats.points * 48);
    }
    let sf = &s.runs[0];
    let rf = &s.runs[2];
    assert!(sf.actual_energy_share > 0.9 && sf.actual_energy_share < rf.actual_energy_share);
    // No coverage: about 2 % of points never read, estimated even at RF.
    assert!(
        rf.estimated_day_share > 0.01 && rf.estimated_day_share < 0.04,
        "{rf:?}"
    );
    assert!(sf.estimated_periods.contains_key("interpolated"));
    assert!(sf.estimated_periods.contains_key("like day"));
    assert!(
        sf.estimated_periods
            .contains_key("annual consumption × load shape")
    );
    assert!(sf.exceptions.missing_periods > 0 && sf.exceptions.over_capacity > 0);
}

#[test]
fn monthly_register_reads_settle_worse_than_daily_half_hourly_reads() {
    let daily = fleet(
        Retrieval {
            mode: ReadMode::HalfHourly { every_days: 1 },
            success: 0.97,
            no_coverage: 0.0075,
        },
        true,
    );
    let monthly = fleet(
        Retrieval {
            mode: ReadMode::Register { every_days: 30 },
            success: 0.97,
            no_coverage: 0.0075,
        },
        true,
    );
    let error = |f: &SyntheticFleet| {
        let day = settle_day(f, &Options::default());
        let s = summary::summarise(&day, dccsim::settlement::Source::standing(f));
        s.runs
            .iter()
            .map(|r| r.abs_error_share.unwrap())
            .collect::<Vec<f64>>()
    };
    let (d, m) = (error(&daily), error(&monthly));
    for r in 0..3 {
        assert!(
            m[r] > 3.0 * d[r],
            "run {r}: monthly {} vs daily {}",
            m[r],
            d[r]
        );
    }
    // Monthly reads settle no period on actual data, and at R1 most days on a register advance.
    let day = settle_day(&monthly, &Options::default());
    assert_eq!(
        day.runs[1].stats.actual_periods,
        day.runs[1].stats.points * 48 - {
            let e: u64 = day.runs[1].stats.estimated_periods.iter().sum();
            e
        }
    );
    let shaped = day.runs[1].stats.estimated_periods[Method::RegisterShaped.position()];
    assert!(shaped > day.runs[0].stats.estimated_periods[Method::RegisterShaped.position()]);
}

#[test]
fn the_same_seed_gives_the_same_settlement_whatever_the_threads() {
    let f = fleet(
        Retrieval {
            mode: ReadMode::HalfHourly { every_days: 1 },
            success: 0.9,
            no_coverage: 0.01,
        },
        true,
    );
    let run = |threads| {
        let opts = Options {
            threads,
            chunk: 257,
            ..Options::default()
        };
        let day = settle_day(&f, &opts);
        serde_json::to_string(&summary::summarise(
            &day,
            dccsim::settlement::Source::standing(&f),
        ))
        .unwrap()
    };
    assert_eq!(run(1), run(3));
}

#[test]
fn the_head_ends_scheduled_reads_settle_on_the_meters_truth() {
    // Real GBCS: each virtual meter answers an ECS22b read, MACed and sealed for its supplier.
    let date: SettlementDate = "2026-11-18".parse().unwrap();
    let reads = dccsim::settlement::headend::scheduled_reads(40, 3, date).unwrap();
    // 40 premises and the RTDS meter, and the export MPANs of those with an export supplier
    // (read by ECS22a on the export supplier's behalf).
    let (registry, _) = dccsim::gateway::defaults::fleet(40, 3, chrono::Utc::now());
    let exporters = registry
        .devices()
        .filter(|d| d.export_supplier.is_some())
        .count();
    assert!(exporters >= 2, "{exporters}");
    assert_eq!(reads.answers, 41 + exporters as u64);
    let standing = dccsim::settlement::Source::standing(&reads.source);
    let exports = standing
        .points
        .iter()
        .filter(|p| p.direction == dccsim::settlement::Direction::Export)
        .count();
    assert_eq!(exports, exporters);
    let day = settle_day(&reads.source, &Options::default());
    let s = summary::summarise(&day, standing);
    for run in &s.runs {
        assert_eq!(run.actual_energy_share, 1.0);
        assert!(run.abs_error_share.unwrap() < 1e-12, "{run:?}");
    }
    assert_eq!(s.runs[0].suppliers.len(), 2);
}
