//! GBCS messages: decode an ECS22b (4.8.1) response and check its MAC, then all the way to its
//! half-hourly values (open the payload sealed for the user, read the DLMS values), per message,
//! with the ECDH secret of the device–user pair cached as a head-end or user would cache it;
//! and a virtual ESME answering a one-day 4.8.1 read (MAC check, replay check, 49 values from
//! its consumption model, seal, MAC); a virtual gas meter answering reads, and top-up codes
//! checked.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dccsim::model::Eui64;
use dccsim::protocol::gbcs::payload::{Reading, decode_dlms};
use dccsim::protocol::gbcs::{GbcsMessage, KeyStore, Verdict, parse_hex, verify_mac};

fn gbcs(c: &mut Criterion) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference/gbcs-rtds");
    let keys = KeyStore::load(std::path::Path::new(&format!("{root}/keystore"))).expect("keystore");
    let text = std::fs::read_to_string(format!(
        "{root}/RTDS-4.5.0/4.8.1_ECS22b/ECS22b_4.8.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX"
    ))
    .expect("vector");
    let bytes = parse_hex(&text).expect("hex");
    let acb: Eui64 = "90-B3-D5-1F-30-00-00-02".parse().unwrap();
    // Warm the ECDH cache.
    assert_eq!(
        verify_mac(&keys, &GbcsMessage::decode(&bytes).unwrap(), acb),
        Verdict::Valid
    );

    let mut group = c.benchmark_group("ecs22b_response");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode", |b| {
        b.iter(|| GbcsMessage::decode(&bytes).unwrap())
    });
    group.bench_function("decode_and_verify_mac", |b| {
        b.iter(|| {
            let m = GbcsMessage::decode(&bytes).unwrap();
            assert_eq!(verify_mac(&keys, &m, acb), Verdict::Valid);
        })
    });
    group.bench_function("decode_verify_mac_open_and_read_values", |b| {
        b.iter(|| {
            let m = GbcsMessage::decode(&bytes).unwrap();
            assert_eq!(verify_mac(&keys, &m, acb), Verdict::Valid);
            match decode_dlms(&m, Some(&keys)).unwrap() {
                Reading::ActiveImportProfile { intervals } => intervals.len(),
                other => panic!("{other:?}"),
            }
        })
    });
    group.finish();
}

/// The RTDS keystore with a generated fleet's keys (prefix 00-DC-5E), the Access Control Broker
/// and the RTDS supplier.
fn fleet_keys() -> (KeyStore, Eui64, Eui64) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference/gbcs-rtds");
    let mut keys =
        KeyStore::load(std::path::Path::new(&format!("{root}/keystore"))).expect("keystore");
    keys.derive_fleet(&[0x00, 0xDC, 0x5E], [7; 32]);
    let acb: Eui64 = "90-B3-D5-1F-30-00-00-02".parse().unwrap();
    let supplier: Eui64 = "90-B3-D5-1F-30-01-00-00".parse().unwrap();
    (keys, acb, supplier)
}

/// A virtual ESME answering one-day 4.8.1 reads, each with a fresh counter.
fn esme(c: &mut Criterion) {
    use chrono::{Duration, TimeZone, Utc};
    use dccsim::device::{Consumer, CustomerType, Esme};
    use dccsim::protocol::gbcs::payload::{
        ECS17B, ECS18B, ECS21A, ECS22A, ECS22B, ECS23, ECS27, ECS28B, ECS29E, ECS82,
        encode_command, message_for,
    };
    use dccsim::protocol::gbcs::{Cra, mac_message};
    let (keys, acb, supplier) = fleet_keys();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let consumer = Consumer {
        kind: CustomerType::Domestic,
        annual_wh: 3_100_000,
        solar_peak_w: 0,
        seed: 1,
    };
    let mut esme = Esme::new(
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 1]),
        consumer,
        now - Duration::days(400),
    );
    let day = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
    let range = Reading::Range {
        from: Some(day),
        to: Some(day + Duration::days(1)),
    };
    // Commands made up front, so only the device's work is timed.
    let month = Reading::Range {
        from: Some(day - Duration::days(30)),
        to: Some(day + Duration::days(1)),
    };
    let commands = |code, to: Eui64, range: &Reading| -> Vec<Vec<u8>> {
        (1..=20_000u64)
            .map(|counter| {
                let content = encode_command(code, range, counter, supplier, to).unwrap();
                let mut m = message_for(Cra::Command, counter, supplier, to, code, content);
                mac_message(&keys, &mut m, acb);
                m.to_bytes().unwrap()
            })
            .collect()
    };
    // The same read of the export profile (ECS22a, in clear) from a meter with solar panels.
    let mut exporter = Esme::new(
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 2]),
        Consumer {
            solar_peak_w: 3_000,
            ..consumer
        },
        now - Duration::days(400),
    );
    // And a third meter like the first for the month of daily reads.
    let mut logger = Esme::new(
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 3]),
        consumer,
        now - Duration::days(400),
    );
    // And one in credit mode since its installation 400 days ago, for the meter balance (4.18):
    // the cost of its 19,200 half-hours since.
    let mut balance = Esme::new(
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 4]),
        consumer,
        now - Duration::days(400),
    );
    // And another for the import registers (4.1.1).
    let mut registers = Esme::new(
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 5]),
        consumer,
        now - Duration::days(400),
    );
    // And another for the maximum demand registers (4.12.1): the highest half-hour since.
    let mut demand = Esme::new(
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 6]),
        consumer,
        now - Duration::days(400),
    );
    let mut group = c.benchmark_group("esme");
    group.throughput(Throughput::Elements(1));
    for (name, code, meter, range) in [
        ("answer_one_day_profile_read", ECS22B, &mut esme, &range),
        (
            "answer_one_day_export_profile_read",
            ECS22A,
            &mut exporter,
            &range,
        ),
        ("answer_31_day_daily_read_log", ECS21A, &mut logger, &month),
        (
            "answer_register_read_400_days",
            ECS17B,
            &mut registers,
            &Reading::Read,
        ),
        (
            "answer_meter_balance_credit_mode_400_days",
            ECS82,
            &mut balance,
            &Reading::Read,
        ),
        (
            "answer_max_demand_read_400_days",
            ECS18B,
            &mut demand,
            &Reading::Read,
        ),
    ] {
        let commands = commands(code, meter.eui, range);
        let mut next = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                // Counters must rise: start over on a fresh device when the commands run out.
                if next == commands.len() {
                    next = 0;
                    *meter = Esme::new(meter.eui, meter.consumer, now - Duration::days(400));
                }
                let out = meter.handle(&commands[next], now, &keys, acb).unwrap();
                next += 1;
                out
            })
        });
    }
    // The first maximum demand read of a meter (none worked out yet: its whole life).
    let first = commands(ECS18B, demand.eui, &Reading::Read);
    group.bench_function("answer_max_demand_read_400_days_first", |b| {
        b.iter_batched(
            || Esme::new(demand.eui, consumer, now - Duration::days(400)),
            |mut meter| meter.handle(&first[0], now, &keys, acb).unwrap(),
            criterion::BatchSize::SmallInput,
        )
    });
    // What the daily read log cost when each midnight's register was summed from commissioning.
    group.bench_function("registers_of_31_midnights_each_from_commissioning", |b| {
        let last = dccsim::device::period_of(day + Duration::days(1));
        b.iter(|| {
            (0..31)
                .map(|d| esme.register_wh(last - 48 * d))
                .sum::<u64>()
        })
    });
    // The balance 30 days after it was struck (a prepayment meter set up then): at the meter's
    // flat tariff, and after a 1.2.1 taken up then, priced half-hour by half-hour by its
    // switching table.
    {
        use dccsim::protocol::gbcs::payload::{Activation, ECS01B, TariffUpdate};
        let struck = now - Duration::days(30);
        let fresh = || {
            let mut m = Esme::new(esme.eui, consumer, now - Duration::days(400));
            m.set_prepayment(0, struck);
            m
        };
        let flat = fresh();
        let mut priced = fresh();
        let update = Reading::Tariff {
            update: Box::new(TariffUpdate::PrimaryPrice(
                priced.tariffs().primary_prices.clone(),
            )),
            activation: Activation::Now,
        };
        let content = encode_command(ECS01B, &update, 1, supplier, priced.eui).unwrap();
        let mut m = message_for(Cra::Command, 1, supplier, priced.eui, ECS01B, content);
        assert!(dccsim::protocol::gbcs::sign_message(&keys, &mut m));
        mac_message(&keys, &mut m, acb);
        priced
            .handle(&m.to_bytes().unwrap(), struck, &keys, acb)
            .unwrap();
        let period = dccsim::device::period_of(now);
        for (name, meter) in [("flat", &flat), ("published", &priced)] {
            group.bench_function(format!("balance_over_30_days_{name}_tariff"), |b| {
                b.iter(|| meter.credit_milli_pence(period))
            });
        }
    }
    // 4.10 (ECS23, a day's voltage log) and 4.15 (ECS27) on a meter installed 400 days ago:
    // the sags and swells, and the load limit's exceedances, counted over the 397 days of its
    // log; beside the same reads of a meter whose counters a 6.27 (ECS29e) and a 6.4.2 (ECS28b)
    // reset at the time of the read, so nothing is counted.
    let operator = Eui64([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x02, 0x00, 0x00]);
    let reset = |code, counter| {
        let reading = match code {
            ECS29E => Reading::ResetVoltageCounters { phases: 1 },
            _ => Reading::ResetLoadLimitCounter,
        };
        let to = Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 7]);
        let content = encode_command(code, &reading, counter, operator, to).unwrap();
        let mut m = message_for(Cra::Command, counter, operator, to, code, content);
        mac_message(&keys, &mut m, acb);
        m.to_bytes().unwrap()
    };
    let resets = [reset(ECS29E, 1), reset(ECS28B, 2)];
    let fresh = |counters_reset: bool| {
        let mut meter = Esme::new(
            Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 7]),
            consumer,
            now - Duration::days(400),
        );
        if counters_reset {
            for r in &resets {
                meter.handle(r, now, &keys, acb).unwrap();
            }
        }
        meter
    };
    for (name, code, counters_reset, reading) in [
        ("answer_network_data_read_400_days", ECS23, false, &range),
        (
            "answer_network_data_read_counters_reset",
            ECS23,
            true,
            &range,
        ),
        (
            "answer_load_limit_read_400_days",
            ECS27,
            false,
            &Reading::Read,
        ),
        (
            "answer_load_limit_read_counter_reset",
            ECS27,
            true,
            &Reading::Read,
        ),
    ] {
        let mut meter = fresh(counters_reset);
        let commands = commands(code, meter.eui, reading);
        let mut next = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                if next == commands.len() {
                    next = 0;
                    meter = fresh(counters_reset);
                }
                let out = meter.handle(&commands[next], now, &keys, acb).unwrap();
                next += 1;
                out
            })
        });
    }
    group.bench_function("thirteen_month_profile_log", |b| {
        let end = dccsim::device::period_of(now);
        b.iter(|| {
            (end - dccsim::device::PROFILE_LOG_ENTRIES..end)
                .map(|p| u64::from(esme.import_wh(p)))
                .sum::<u64>()
        })
    });
    group.finish();
}

/// A virtual gas meter answering a 31-day daily read log (GCS16a: 31 GetSnapshot components,
/// each sealed PublishSnapshot) and a one-day half-hourly read (GCS17), each with a fresh
/// counter; and checking a top-up code (UTRN: digits, then its MAC, with the ECDH of the
/// supplier's prepayment key and the meter's worked out every time, as a meter does).
fn gas(c: &mut Criterion) {
    use chrono::{Duration, TimeZone, Utc};
    use dccsim::device::{Consumer, CustomerType, GCS16A, GCS17, GasMeter};
    use dccsim::protocol::gbcs::gbz::{GasPayload, gas_command};
    use dccsim::protocol::gbcs::payload::{message_for, to_gbcs_seconds};
    use dccsim::protocol::gbcs::{Cra, Utrn, ValueClass, mac_message};
    let (keys, acb, supplier) = fleet_keys();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let consumer = Consumer {
        kind: CustomerType::Domestic,
        annual_wh: 12_000_000,
        solar_peak_w: 0,
        seed: 1,
    };
    let (gsme, gpf) = (
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 2]),
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 4]),
    );
    let fresh = || GasMeter::new(gsme, gpf, consumer, now - Duration::days(400));
    let commands = |code: u16, asks: &[GasPayload]| -> Vec<Vec<u8>> {
        (1..=5_000u64)
            .map(|counter| {
                let mut m = message_for(
                    Cra::Command,
                    counter,
                    supplier,
                    gpf,
                    code,
                    gas_command(asks, None, 0),
                );
                mac_message(&keys, &mut m, acb);
                m.to_bytes().unwrap()
            })
            .collect()
    };
    let day = to_gbcs_seconds(now - Duration::days(1)).unwrap() / 86_400 * 86_400;
    let log: Vec<GasPayload> = (0..31)
        .map(|offset| GasPayload::SnapshotRequest {
            earliest: day - 31 * 86_400,
            latest: day + 86_400,
            offset,
            cause: 1,
        })
        .collect();
    let profile = [GasPayload::SampledDataRequest {
        sample_id: 0,
        start: day,
        sampling_type: 0,
        count: 48,
    }];
    let mut group = c.benchmark_group("gas");
    group.throughput(Throughput::Elements(1));
    for (name, code, asks) in [
        ("answer_31_day_daily_read_log", GCS16A, &log[..]),
        ("answer_one_day_profile_read", GCS17, &profile[..]),
    ] {
        let commands = commands(code, asks);
        let (mut meter, mut next) = (fresh(), 0);
        group.bench_function(name, |b| {
            b.iter(|| {
                if next == commands.len() {
                    (meter, next) = (fresh(), 0);
                }
                next += 1;
                meter.handle(&commands[next - 1], now, &keys, acb).unwrap()
            })
        });
    }
    // What one register at a midnight costs summed from commissioning (each of the 31 days
    // would, without the registers worked out once).
    let meter = fresh();
    let midnight = day / 1800;
    group.bench_function("register_summed_from_commissioning", |b| {
        b.iter(|| meter.register_litres(midnight))
    });
    // The bill to date (23 days of this month) and the balance (struck 40 days ago): at the flat
    // tariff a meter is installed with, and after a TOU tariff published 40 days ago (the RTDS
    // 1.1.1 template), priced half-hour by half-hour by its calendar.
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/duis/rtds-templates/GCS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML"
    ))
    .expect("the RTDS 1.1.1 template");
    let request = dccsim::headend::Request::parse(&template).unwrap();
    let (code, payloads) = request.gas_command(false).unwrap().unwrap();
    let mut m = message_for(
        Cra::Command,
        1,
        supplier,
        gsme,
        code,
        gas_command(&payloads, None, 0),
    );
    assert!(dccsim::protocol::gbcs::sign_message(&keys, &mut m));
    mac_message(&keys, &mut m, acb);
    let published = now - Duration::days(40);
    let mut priced = fresh();
    priced.set_prepayment(0, published);
    priced
        .handle(&m.to_bytes().unwrap(), published, &keys, acb)
        .unwrap();
    let mut flat = fresh();
    flat.set_prepayment(0, published);
    let period = dccsim::device::period_of(now);
    for (name, meter) in [("flat", &flat), ("published_tou", &priced)] {
        group.bench_function(format!("bill_to_date_{name}_tariff"), |b| {
            b.iter(|| meter.bill_to_date_milli_pence(now))
        });
        group.bench_function(format!("balance_over_40_days_{name}_tariff"), |b| {
            b.iter(|| meter.credit_milli_pence(period))
        });
    }
    let utrn = Utrn::make(&keys, supplier, gsme, 1 << 32, 10, ValueClass::Pounds).unwrap();
    let digits = utrn.digits();
    group.bench_function("utrn_parse", |b| b.iter(|| Utrn::parse(&digits).unwrap()));
    group.bench_function("utrn_parse_and_verify_mac", |b| {
        b.iter(|| {
            Utrn::parse(&digits)
                .unwrap()
                .verify(&keys, supplier, gsme, 1 << 32)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, gbcs, esme, gas);
criterion_main!(benches);
