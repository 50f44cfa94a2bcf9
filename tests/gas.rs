//! The virtual gas meter and gas proxy function: they answer GBZ reads — the RTDS's own GCS13a
//! command payload among them — with the values of their consumption model, sealed for the
//! supplier who asked and MACed; Python's `cryptography` checks the MAC and opens the payload;
//! replays, a bad MAC and other devices' commands are refused.

mod common;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use dccsim::device::{
    CS01B, Consumer, CustomerType, DeviceError, GCS13A, GCS16A, GCS17, GCS32, GCS39, GCS61,
    GasMeter, Valve, period_of,
};
use dccsim::model::Eui64;
use dccsim::protocol::gbcs::gbz::{
    Component, GasPayload, Gbz, encode_gas_payload, gas_command, gas_payload,
};
use dccsim::protocol::gbcs::payload::{message_for, to_gbcs_seconds};
use dccsim::protocol::gbcs::{
    Cra, GbcsMessage, KeyStore, KeyUse, Utrn, ValueClass, Verdict, hex, mac_message, parse_hex,
    sign_message, verify_mac, verify_signature,
};

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/gbcs-rtds")
}

const PREFIX: [u8; 3] = [0x00, 0xDC, 0x5E];
const RTDS_GSME: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA1]);
const RTDS_GPF: Eui64 = Eui64([0x00, 0xDB, 0x12, 0x34, 0x56, 0x78, 0x90, 0xA3]);

fn keys() -> KeyStore {
    let mut keys = KeyStore::load(&reference().join("keystore")).unwrap();
    keys.derive_fleet(&PREFIX, [9; 32]);
    // The RTDS gas devices answer with derived keys (their private keys are not published).
    keys.forget(RTDS_GSME);
    keys.forget(RTDS_GPF);
    keys.derive_fleet(&RTDS_GSME.0, [9; 32]);
    keys.derive_fleet(&RTDS_GPF.0, [9; 32]);
    keys
}

fn acb() -> Eui64 {
    "90-B3-D5-1F-30-00-00-02".parse().unwrap()
}

fn supplier() -> Eui64 {
    "90-B3-D5-1F-30-01-00-00".parse().unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 15, 0).unwrap()
}

fn meter(gsme: Eui64, gpf: Eui64) -> GasMeter {
    meter_installed(gsme, gpf, Duration::days(40))
}

/// The test gas meter at `gsme` (its proxy at `gpf`), installed `ago` before [`now`].
fn meter_installed(gsme: Eui64, gpf: Eui64, ago: Duration) -> GasMeter {
    let consumer = Consumer {
        kind: CustomerType::Domestic,
        annual_wh: 12_000_000,
        solar_peak_w: 0,
        seed: 5,
    };
    GasMeter::new(gsme, gpf, consumer, now() - ago)
}

/// A supplier's gas read, MACed by the ACB.
fn command(to: Eui64, code: u16, reading: &GasPayload, counter: u64, keys: &KeyStore) -> Vec<u8> {
    let specific = matches!(reading, GasPayload::SampledDataRequest { .. });
    let gbz = Gbz::Components {
        components: vec![Component {
            control: 0x01,
            cluster: 0x0702,
            from: None,
            additional_header: None,
            frame_control: if specific { 0x01 } else { 0x00 },
            sequence: 7,
            command: if specific { 0x08 } else { 0x00 },
            payload: encode_gas_payload(reading),
        }],
    };
    let mut m = message_for(Cra::Command, counter, supplier(), to, code, gbz.encode());
    assert!(mac_message(keys, &mut m, acb()));
    m.to_bytes().unwrap()
}

/// The answer's gas reading, after checking its header and MAC and opening it.
fn open(answer: &[u8], keys: &KeyStore, counter: u64) -> GasPayload {
    let m = GbcsMessage::decode(answer).unwrap();
    assert_eq!(m.signing.cra, Cra::Response);
    assert_eq!(m.signing.recipient, supplier());
    assert_eq!(m.signing.originator_counter, counter);
    assert_eq!(verify_mac(keys, &m, acb()), Verdict::Valid);
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!("components")
    };
    let c = &components[0];
    assert!(c.encrypted(), "values travel sealed for the supplier");
    assert_eq!(c.sequence, 7);
    // Without the supplier's key, nothing.
    assert!(c.plaintext(&m, &KeyStore::default()).is_err());
    let plain = c.plaintext(&m, keys).unwrap();
    gas_payload(c, &plain).unwrap().unwrap()
}

#[test]
fn registers_and_profiles_are_the_meters_record() {
    let keys = keys();
    let gsme = Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 2]);
    let gpf = Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 4]);
    let mut gas = meter(gsme, gpf);
    let read = GasPayload::ReadAttributes {
        attributes: vec![0x0302, 0x0301, 0x0300, 0x0000],
    };
    // Answered at the GPF (the usual way) and at the GSME alike.
    for (to, counter) in [(gpf, 1), (gsme, 2)] {
        let answer = gas
            .handle(
                &command(to, GCS13A, &read, counter, &keys),
                now(),
                &keys,
                acb(),
            )
            .unwrap();
        match open(&answer, &keys, counter) {
            GasPayload::Registers {
                summation,
                divisor,
                unit,
                value,
                ..
            } => {
                assert_eq!(summation, gas.register_litres(period_of(now())));
                assert!(summation > 100_000, "40 autumn days of gas: {summation} l");
                assert_eq!((divisor, unit), (1000, 1));
                assert_eq!(
                    value,
                    format!("{}.{:03}", summation / 1000, summation % 1000)
                );
            }
            other => panic!("{other:?}"),
        }
    }
    // Yesterday's 48 half-hours (GCS17) and the last seven days (GCS61).
    let yesterday = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
    let start = to_gbcs_seconds(yesterday).unwrap();
    let profile = GasPayload::SampledDataRequest {
        sample_id: 0,
        start,
        sampling_type: 0,
        count: 48,
    };
    let answer = gas
        .handle(
            &command(gpf, GCS17, &profile, 3, &keys),
            now(),
            &keys,
            acb(),
        )
        .unwrap();
    match open(&answer, &keys, 3) {
        GasPayload::SampledData {
            interval_s,
            samples,
            start: s,
            ..
        } => {
            assert_eq!((interval_s, s), (1800, start));
            let first = period_of(yesterday);
            let expected: Vec<u32> = (first..first + 48).map(|p| gas.litres(p)).collect();
            assert_eq!(samples, expected);
        }
        other => panic!("{other:?}"),
    }
    let week = to_gbcs_seconds(yesterday - Duration::days(6)).unwrap();
    let daily = GasPayload::SampledDataRequest {
        sample_id: 1,
        start: week,
        sampling_type: 0,
        count: 10,
    };
    let answer = gas
        .handle(&command(gpf, GCS61, &daily, 4, &keys), now(), &keys, acb())
        .unwrap();
    match open(&answer, &keys, 4) {
        GasPayload::SampledData { samples, .. } => {
            // Seven whole days have ended by now; the three asked beyond are not there yet.
            assert_eq!(samples.len(), 7);
            let first = period_of(yesterday - Duration::days(6));
            assert_eq!(
                samples[6],
                (first + 6 * 48..first + 7 * 48)
                    .map(|p| gas.litres(p))
                    .sum::<u32>()
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_rtds_gcs13a_command_is_answered() {
    // The RTDS's own bytes: the supplier reads the register at the RTDS GPF.
    let keys = keys();
    let text = std::fs::read_to_string(
        reference()
            .join("RTDS-4.5.0/4.1.1_GCS13a/GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_COMMAND_GBCS.HEX"),
    )
    .unwrap();
    let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    let s = &rtds.signing;
    let counter = s.originator_counter;
    // The RTDS MAC was made with the real GPF's key, whose private half is not published: the
    // same header and GBZ payload are MACed again for the virtual GPF's derived keys.
    let mut m = message_for(
        Cra::Command,
        counter,
        s.originator,
        s.recipient,
        rtds.message_code().unwrap(),
        s.content.clone(),
    );
    assert!(mac_message(&keys, &mut m, acb()));
    let command = m.to_bytes().unwrap();
    let mut gas = meter(RTDS_GSME, RTDS_GPF);
    let answer = gas.handle(&command, now(), &keys, acb()).unwrap();
    let m = GbcsMessage::decode(&answer).unwrap();
    assert_eq!(m.signing.originator, RTDS_GPF);
    assert_eq!(m.message_code(), Some(GCS13A));
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!()
    };
    let reading = gas_payload(&components[0], &components[0].plaintext(&m, &keys).unwrap())
        .unwrap()
        .unwrap();
    assert!(
        matches!(
            reading,
            GasPayload::Registers {
                divisor: 1000,
                unit: 1,
                ..
            }
        ),
        "{reading:?}"
    );
    assert_eq!(m.signing.originator_counter, counter);
}

#[test]
fn replays_bad_macs_and_other_devices_are_refused() {
    let keys = keys();
    let gpf = Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 4]);
    let mut gas = meter(Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 2]), gpf);
    let read = GasPayload::ReadAttributes {
        attributes: vec![0x0000],
    };
    let bytes = command(gpf, GCS13A, &read, 10, &keys);
    gas.handle(&bytes, now(), &keys, acb()).unwrap();
    assert!(matches!(
        gas.handle(&bytes, now(), &keys, acb()),
        Err(DeviceError::Replay {
            counter: 10,
            last: 10,
            ..
        })
    ));
    let mut tampered = command(gpf, GCS13A, &read, 11, &keys);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(matches!(
        gas.handle(&tampered, now(), &keys, acb()),
        Err(DeviceError::Mac(_))
    ));
    let elsewhere = command(
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 9, 4]),
        GCS13A,
        &read,
        12,
        &keys,
    );
    assert!(matches!(
        gas.handle(&elsewhere, now(), &keys, acb()),
        Err(DeviceError::NotAddressed { .. })
    ));
    // The refused commands changed nothing: the next fresh counter is served.
    gas.handle(&command(gpf, GCS13A, &read, 11, &keys), now(), &keys, acb())
        .unwrap();
}

#[test]
fn python_cryptography_checks_the_gas_answer() {
    let keys = keys();
    let gpf = Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 4]);
    let mut gas = meter(Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 2]), gpf);
    let read = GasPayload::ReadAttributes {
        attributes: vec![0x0302, 0x0301, 0x0300, 0x0000],
    };
    let answer = gas
        .handle(&command(gpf, GCS13A, &read, 1, &keys), now(), &keys, acb())
        .unwrap();
    let m = GbcsMessage::decode(&answer).unwrap();
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!()
    };
    let sealed = components[0].sealed(&m).unwrap().unwrap();
    let supplier_ka = reference()
        .join("keystore/90b3d51f30010000-ka.key")
        .display()
        .to_string();
    let case = serde_json::json!({
        "name": "GCS13a response (GPF MAC, sealed registers)",
        "message": hex(&answer),
        "private_key": supplier_ka,
        "peer_public": hex(&keys.public_key(gpf, KeyUse::KeyAgreement).unwrap()),
        "signer_public": null,
        "sealed": {
            "tid": hex(&sealed.transaction_id),
            "protected": hex(&sealed.protected_bytes()),
            "plaintext": hex(&sealed.open(&keys).unwrap()),
        },
    });
    let (ok, stdout) = common::run_peer("gbcs_crypto_check.py", format!("{case}\n"));
    assert!(ok, "{stdout}");
    assert!(stdout.contains("checked 1"), "{stdout}");
}

/// A supplier's gas command of one or more components, MACed by the ACB and, for a critical
/// use case, signed by the supplier first.
fn send(
    to: Eui64,
    code: u16,
    payloads: &[GasPayload],
    counter: u64,
    signed: bool,
    keys: &KeyStore,
) -> Vec<u8> {
    send_from(to, code, payloads, None, counter, signed, keys)
}

/// [`send`], each component carrying the From Date-Time `from`.
fn send_from(
    to: Eui64,
    code: u16,
    payloads: &[GasPayload],
    from: Option<u32>,
    counter: u64,
    signed: bool,
    keys: &KeyStore,
) -> Vec<u8> {
    let content = gas_command(payloads, from, 0);
    let mut m = message_for(Cra::Command, counter, supplier(), to, code, content);
    if signed {
        assert!(sign_message(keys, &mut m));
    }
    assert!(mac_message(keys, &mut m, acb()));
    m.to_bytes().unwrap()
}

/// Every component of an answer, opened with the supplier's key where sealed; the answer's
/// MAC (or, to a critical command, its signature) checked.
fn answers(answer: &[u8], keys: &KeyStore, signed: bool) -> Vec<GasPayload> {
    let m = GbcsMessage::decode(answer).unwrap();
    assert_eq!(m.signing.recipient, supplier());
    if signed {
        assert_eq!(verify_signature(keys, &m), Verdict::Valid);
        assert!(m.ciphering.is_none());
    } else {
        assert_eq!(verify_mac(keys, &m, acb()), Verdict::Valid);
    }
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!("components")
    };
    components
        .iter()
        .map(|c| {
            let plain = c.plaintext(&m, keys).unwrap();
            gas_payload(c, &plain).unwrap().unwrap()
        })
        .collect()
}

/// The GBZ content of an RTDS command (`<dir>/<name>_SUCCESS_COMMAND_GBCS.HEX`), sent by the
/// supplier to `to` as use case `code`, MACed by the ACB.
fn rtds_command(vector: &str, to: Eui64, code: u16, counter: u64, keys: &KeyStore) -> Vec<u8> {
    let path = format!("RTDS-4.5.0/{vector}_SUCCESS_COMMAND_GBCS.HEX");
    let text = std::fs::read_to_string(reference().join(path)).unwrap();
    let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    let mut m = message_for(
        Cra::Command,
        counter,
        supplier(),
        to,
        code,
        rtds.signing.content,
    );
    assert!(mac_message(keys, &mut m, acb()));
    m.to_bytes().unwrap()
}

fn fleet_meter() -> (GasMeter, Eui64) {
    let gpf = Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 4]);
    (meter(Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 2]), gpf), gpf)
}

#[test]
fn the_daily_read_log_holds_each_midnights_registers() {
    use dccsim::protocol::gbcs::gbz::SnapshotRegisters;
    let keys = keys();
    let (mut gas, gpf) = fleet_meter();
    // Five days, the most recent first: the last four midnights up to today's, and one
    // before the range's start is not there.
    let today = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let (from, to) = (today - Duration::days(3), now());
    let asks: Vec<GasPayload> = (0..5)
        .map(|offset| GasPayload::SnapshotRequest {
            earliest: to_gbcs_seconds(from).unwrap(),
            latest: to_gbcs_seconds(to).unwrap(),
            offset,
            cause: 1,
        })
        .collect();
    let bytes = send(gpf, GCS16A, &asks, 1, false, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    assert_eq!(got.len(), 5);
    for (k, answer) in got.iter().take(4).enumerate() {
        let midnight = today - Duration::days(k as i64);
        let GasPayload::Snapshot {
            time,
            found,
            registers:
                SnapshotRegisters::BlockTiers {
                    summation,
                    tiers,
                    blocks,
                    ..
                },
            ..
        } = answer
        else {
            panic!("{answer:?}")
        };
        assert_eq!(*time, to_gbcs_seconds(midnight).unwrap());
        assert_eq!(*found, 4);
        assert_eq!(*summation, gas.register_litres(period_of(midnight)));
        assert_eq!((tiers[0], blocks[0]), (*summation, *summation));
    }
    assert_eq!(
        got[4],
        GasPayload::DefaultResponse {
            cluster: 0x0702,
            command: 0x06,
            status: 0x8B
        }
    );
    // The RTDS command asks for days of 2015, before this meter: 31 answers, none found.
    let bytes = rtds_command("4.6.1_GCS16a/GCS16a_4.6.1", gpf, GCS16A, 2, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    assert_eq!(got.len(), 31);
    assert!(
        got.iter()
            .all(|a| matches!(a, GasPayload::DefaultResponse { status: 0x8B, .. }))
    );
}

#[test]
fn the_valve_closes_on_a_signed_command_and_opens_once_armed() {
    use dccsim::protocol::gbcs::gbz::{SUPPLY_ARMED, SUPPLY_OFF};
    let keys = keys();
    let (mut gas, gpf) = fleet_meter();
    let change = |proposed| GasPayload::ChangeSupply {
        provider: 0,
        event: 7,
        requested: 0,
        implement_at: 0,
        proposed,
        control: 1,
    };
    // Critical: unsigned, it is refused and the valve stays on.
    let unsigned = send(gpf, GCS32, &[change(SUPPLY_OFF)], 1, false, &keys);
    assert!(matches!(
        gas.handle(&unsigned, now(), &keys, acb()),
        Err(DeviceError::Signature(Verdict::Absent))
    ));
    assert_eq!(gas.valve, Valve::On);
    let p = period_of(now());
    assert!(gas.litres(p + 1) > 0);
    let off = send(gpf, GCS32, &[change(SUPPLY_OFF)], 2, true, &keys);
    let got = answers(&gas.handle(&off, now(), &keys, acb()).unwrap(), &keys, true);
    assert!(matches!(
        got[..],
        [GasPayload::SupplyStatus {
            status: SUPPLY_OFF,
            event: 7,
            ..
        }]
    ));
    assert_eq!(gas.valve, Valve::Off);
    assert_eq!(gas.litres(p + 1), 0);
    assert_eq!(gas.litres(p + 10), 0);
    // Armed two hours later: gas flows again from the half-hour after.
    let later = now() + Duration::hours(2);
    let arm = send(gpf, GCS39, &[change(SUPPLY_ARMED)], 3, true, &keys);
    let got = answers(&gas.handle(&arm, later, &keys, acb()).unwrap(), &keys, true);
    assert!(matches!(
        got[..],
        [GasPayload::SupplyStatus {
            status: SUPPLY_ARMED,
            ..
        }]
    ));
    assert_eq!(gas.valve, Valve::On);
    assert_eq!(gas.litres(p + 4), 0);
    assert!(gas.litres(p + 5) > 0);
    let what: Vec<&str> = gas.events.iter().map(|e| e.what.as_str()).collect();
    assert_eq!(what, ["valve closed: supply disabled", "supply armed"]);
}

/// 7.4 (GCS33): the supply status (ZSE: 0 off, 2 on) as the valve stands, and the battery's
/// remaining life in days, fifteen years from installation.
#[test]
fn the_supply_status_is_the_valves() {
    use dccsim::protocol::gbcs::gas_settings::GCS33;
    use dccsim::protocol::gbcs::gbz::{SUPPLY_OFF, ZclValue};
    let keys = keys();
    let (mut gas, gpf) = fleet_meter();
    let read = [GasPayload::ReadAttributes {
        attributes: vec![0x0205, 0x0014],
    }];
    let status = |gas: &mut GasMeter, counter| {
        let bytes = send(gpf, GCS33, &read, counter, false, &keys);
        match &answers(
            &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
            &keys,
            false,
        )[..]
        {
            [GasPayload::Settings { values, .. }] => {
                let names: Vec<_> = values.iter().map(|v| v.name).collect();
                assert_eq!(names, ["RemainingBatteryLifeInDays", "SupplyStatus"]);
                match (&values[0].value, &values[1].value) {
                    (ZclValue::Unsigned(days), ZclValue::Unsigned(status)) => (*days, *status),
                    other => panic!("{other:?}"),
                }
            }
            other => panic!("{other:?}"),
        }
    };
    let installed_days = u64::from(period_of(now()) - gas.commissioned) / 48;
    assert_eq!(status(&mut gas, 1), (15 * 365 - installed_days, 2));
    let off = GasPayload::ChangeSupply {
        provider: 0,
        event: 7,
        requested: 0,
        implement_at: 0,
        proposed: SUPPLY_OFF,
        control: 1,
    };
    let bytes = send(gpf, GCS32, &[off], 2, true, &keys);
    gas.handle(&bytes, now(), &keys, acb()).unwrap();
    assert_eq!(status(&mut gas, 3).1, 0);
}

#[test]
fn a_prepayment_gas_meter_credits_a_genuine_utrn_once() {
    let keys = keys();
    let (mut gas, gpf) = fleet_meter();
    let utrn = |n: u64, pounds| {
        Utrn::make(
            &keys,
            supplier(),
            gas.gsme,
            n << 32,
            pounds,
            ValueClass::Pounds,
        )
        .unwrap()
        .digits()
    };
    let top_up = |digits: String| GasPayload::TopUp {
        origin: 0,
        utrn: digits,
    };
    let first = top_up(utrn(1, 10));
    let result = |got: Vec<GasPayload>| match got[..] {
        [
            GasPayload::TopUpResult {
                result,
                value,
                credit,
                ..
            },
        ] => (result, value, credit),
        _ => panic!("{got:?}"),
    };
    // A credit meter takes no top-up.
    let bytes = send(gpf, CS01B, std::slice::from_ref(&first), 1, false, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    assert_eq!(result(got), (1, -1, -1));
    // In prepayment with £5 since yesterday, less what a day's gas cost.
    gas.set_prepayment(500, now() - Duration::days(1));
    let before = gas.credit_milli_pence(period_of(now()));
    assert!(before < 500_000 && before > 0, "{before}");
    let bytes = send(gpf, CS01B, std::slice::from_ref(&first), 2, false, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    assert_eq!(result(got), (0, 1_000_000, (before + 1_000_000) as i32));
    // The same code again: a duplicate; a code for another meter: invalid.
    let bytes = send(gpf, CS01B, &[first], 3, false, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    assert_eq!(result(got).0, 2);
    let other = Utrn::make(&keys, supplier(), gpf, 2 << 32, 10, ValueClass::Pounds).unwrap();
    let bytes = send(gpf, CS01B, &[top_up(other.digits())], 4, false, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    assert_eq!(result(got).0, 1);
    // Credit drains as gas is used.
    let after = gas.credit_milli_pence(period_of(now()));
    assert_eq!(after, before + 1_000_000);
    assert!(gas.credit_milli_pence(period_of(now()) + 48) < after);
}

/// A gas top-up over the maximum credit threshold (the RTDS meter's £50 until a 2.1 sets
/// another) is refused "top-up value too large" (6), one past the maximum meter balance (£100)
/// "maximum credit reached" (4): each logged 0x8F5B, and neither uses up its UTRN.
#[test]
fn gas_top_ups_past_the_maximum_credit_threshold_or_meter_balance_are_refused() {
    let keys = keys();
    let (mut gas, gpf) = fleet_meter();
    gas.set_prepayment(500, now() - Duration::days(1));
    let eui = gas.gsme;
    let top_up = |n: u64, pounds| GasPayload::TopUp {
        origin: 0,
        utrn: Utrn::make(&keys, supplier(), eui, n << 32, pounds, ValueClass::Pounds)
            .unwrap()
            .digits(),
    };
    let mut result = |ask: GasPayload, counter, at| {
        let bytes = send(gpf, CS01B, &[ask], counter, false, &keys);
        match answers(&gas.handle(&bytes, at, &keys, acb()).unwrap(), &keys, false)[..] {
            [GasPayload::TopUpResult { result, .. }] => result,
            ref other => panic!("{other:?}"),
        }
    };
    assert_eq!(result(top_up(1, 51), 1, now()), 6);
    assert_eq!(result(top_up(2, 50), 2, now()), 0);
    assert_eq!(result(top_up(3, 48), 3, now()), 4);
    // Three weeks on, the balance drawn down, the same code is credited.
    assert_eq!(result(top_up(3, 48), 4, now() + Duration::days(21)), 0);
    let refusals: Vec<u16> = gas
        .events
        .iter()
        .filter(|e| e.code == 0x8F5B)
        .map(|e| e.code)
        .collect();
    assert_eq!(refusals.len(), 2);
}

/// The billing data log of prepayment credits (4.4.5, GCS15e): the top-ups the meter
/// credited, each with its UTRN, amount and time, the most recent first, the last five kept;
/// none up to the time asked, NOT_FOUND. The debt payments log (4.4.4, GCS15d): none, as the
/// meter carries no debt.
#[test]
fn the_top_up_log_holds_the_last_five_credits() {
    use dccsim::device::{GCS15D, GCS15E};
    use dccsim::protocol::gbcs::gbz::{LATEST_TIME, TopUpEntry};
    let keys = keys();
    let (mut gas, gpf) = fleet_meter();
    gas.set_prepayment(500, now() - Duration::days(1));
    let log = |gas: &mut GasMeter, latest: u32, counter: u64| {
        let ask = GasPayload::TopUpLogRequest { latest, count: 5 };
        let bytes = send(gpf, GCS15E, &[ask], counter, false, &keys);
        answers(
            &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
            &keys,
            false,
        )
    };
    let not_found = GasPayload::DefaultResponse {
        cluster: 0x0705,
        command: 0x08,
        status: 0x8B,
    };
    assert_eq!(
        log(&mut gas, LATEST_TIME, 1),
        std::slice::from_ref(&not_found)
    );
    let mut made = Vec::new();
    for n in 1..=6u64 {
        let at = now() + Duration::minutes(n as i64);
        let digits = Utrn::make(
            &keys,
            supplier(),
            gas.gsme,
            n << 32,
            n as u32,
            ValueClass::Pounds,
        )
        .unwrap()
        .digits();
        let top_up = GasPayload::TopUp {
            origin: 0,
            utrn: digits.clone(),
        };
        let bytes = send(gpf, CS01B, &[top_up], 10 + n, false, &keys);
        gas.handle(&bytes, at, &keys, acb()).unwrap();
        made.push(TopUpEntry {
            utrn: digits,
            amount: n as i32 * 100_000,
            time: to_gbcs_seconds(at).unwrap(),
        });
    }
    let expected: Vec<TopUpEntry> = made.iter().rev().take(5).cloned().collect();
    assert_eq!(
        log(&mut gas, LATEST_TIME, 20),
        [GasPayload::TopUpLog {
            command_index: 0,
            commands: 1,
            entries: expected.clone()
        }]
    );
    // Up to the third top-up's time: the third and second (the first is no longer kept).
    let GasPayload::TopUpLog { entries, .. } = &log(&mut gas, made[2].time, 21)[0] else {
        panic!()
    };
    assert_eq!(entries, &expected[3..]);
    // Before any: none.
    assert_eq!(
        log(&mut gas, made[0].time - 1, 22),
        std::slice::from_ref(&not_found)
    );
    // From the fourth top-up's time (the command's From Date-Time): the fourth to the sixth;
    // from after the last, none.
    let since = |from: u32, counter| {
        let ask = GasPayload::TopUpLogRequest {
            latest: LATEST_TIME,
            count: 5,
        };
        let bytes = send_from(gpf, GCS15E, &[ask], Some(from), counter, false, &keys);
        answers(
            &gas.clone().handle(&bytes, now(), &keys, acb()).unwrap(),
            &keys,
            false,
        )
    };
    let GasPayload::TopUpLog { entries, .. } = &since(made[3].time, 24)[0] else {
        panic!()
    };
    assert_eq!(entries, &expected[..3]);
    assert_eq!(since(made[5].time + 1, 25), [not_found]);
    // No debt, so no debt payments.
    let ask = GasPayload::DebtLogRequest {
        latest: LATEST_TIME,
        count: 10,
        debt_type: 2,
    };
    let bytes = send(gpf, GCS15D, &[ask], 23, false, &keys);
    assert_eq!(
        answers(
            &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
            &keys,
            false
        ),
        [GasPayload::DefaultResponse {
            cluster: 0x0705,
            command: 0x0A,
            status: 0x8B,
        }]
    );
}

/// The billing calendar (6.2.3, GCS21d; GCS21k alike): monthly, from the first midnight on the
/// first of a month at or after installation, in clear.
#[test]
fn the_billing_calendar_is_monthly_from_installation() {
    use dccsim::device::{GCS21D, GCS21K};
    let keys = keys();
    let (gsme, gpf) = (
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 2]),
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 4]),
    );
    // Installed on 14 October 2026: billing from 1 November.
    let mut gas = meter_installed(gsme, gpf, Duration::days(40));
    let ask = GasPayload::BillingPeriodRequest {
        earliest_start: 0,
        min_issuer_event_id: u32::MAX,
        commands: 1,
        tariff_type: 0,
    };
    let november = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    for (counter, code) in [(1, GCS21D), (2, GCS21K)] {
        let bytes = send(
            gsme,
            code,
            std::slice::from_ref(&ask),
            counter,
            false,
            &keys,
        );
        let reply = gas.handle(&bytes, now(), &keys, acb()).unwrap();
        let got = answers(&reply, &keys, false);
        let [
            GasPayload::BillingPeriod {
                start,
                duration: 1,
                duration_type: 0x23,
                tariff_type: 0,
                ..
            },
        ] = got[..]
        else {
            panic!("{got:?}")
        };
        assert_eq!(start, to_gbcs_seconds(november).unwrap());
    }
    // Installed at midnight on 1 November itself: from then too.
    let mut gas = meter_installed(gsme, gpf, now() - november);
    let bytes = send(gsme, GCS21D, std::slice::from_ref(&ask), 1, false, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    let [GasPayload::BillingPeriod { start, .. }] = got[..] else {
        panic!("{got:?}")
    };
    assert_eq!(start, to_gbcs_seconds(november).unwrap());
}

/// The network data log (4.10, GCS18): the gas used in each of the 41 six minutes before the
/// current half-hour, sealed, default responses left enabled as the RTDS meter's answer has
/// them; a half-hour's five add up to its consumption; asked from a later start, from there.
#[test]
fn the_network_data_log_holds_41_six_minute_samples() {
    use dccsim::device::GCS18;
    let keys = keys();
    let (gsme, gpf) = (
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 2]),
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 4]),
    );
    let mut gas = meter_installed(gsme, gpf, Duration::days(30));
    let ask = GasPayload::SampledDataRequest {
        sample_id: 2,
        start: 1,
        sampling_type: 0,
        count: 41,
    };
    let bytes = send(gsme, GCS18, &[ask], 1, false, &keys);
    let reply = gas.handle(&bytes, now(), &keys, acb()).unwrap();
    let m = GbcsMessage::decode(&reply).unwrap();
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!()
    };
    assert!(components[0].encrypted());
    assert_eq!(components[0].frame_control, 0x09);
    let [
        GasPayload::SampledData {
            sample_id: 2,
            start,
            interval_s: 360,
            samples,
            ..
        },
    ] = &answers(&reply, &keys, false)[..]
    else {
        panic!()
    };
    // Now is 10:15: the log ends as the current half-hour starts, at 10:00, and starts 41 six
    // minutes before, at 05:54.
    let first = Utc.with_ymd_and_hms(2026, 11, 23, 5, 54, 0).unwrap();
    assert_eq!(*start, to_gbcs_seconds(first).unwrap());
    assert_eq!(samples.len(), 41);
    // 06:30 to 07:00 is samples 6 to 10.
    let half_hour = Utc.with_ymd_and_hms(2026, 11, 23, 6, 30, 0).unwrap();
    let litres = gas.litres(period_of(half_hour));
    assert!(litres > 0);
    assert_eq!(samples[6..11].iter().sum::<u32>(), litres);
    // Asked from 09:00: the ten samples from then.
    let later = GasPayload::SampledDataRequest {
        sample_id: 2,
        start: to_gbcs_seconds(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()).unwrap(),
        sampling_type: 0,
        count: 41,
    };
    let bytes = send(gsme, GCS18, &[later], 2, false, &keys);
    let reply = gas.handle(&bytes, now(), &keys, acb()).unwrap();
    let [GasPayload::SampledData { samples: tail, .. }] = &answers(&reply, &keys, false)[..] else {
        panic!()
    };
    assert_eq!(tail[..], samples[31..]);
}

/// The prepayment daily read log (4.14, GCS16b): a prepayment snapshot at each of the last 31
/// midnights in the period asked, the most recent first, sealed for the supplier; beyond them,
/// NOT_FOUND.
#[test]
fn the_prepayment_daily_read_log_holds_the_last_31_midnights() {
    use dccsim::device::GCS16B;
    use dccsim::protocol::gbcs::gbz::{DAILY_SNAPSHOT, PrepaySnapshotPayload};
    let keys = keys();
    let (gsme, gpf) = (
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 2]),
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 4]),
    );
    let mut gas = meter_installed(gsme, gpf, Duration::days(365));
    gas.set_prepayment(500, now() - Duration::days(40));
    let asks: Vec<GasPayload> = (0..32)
        .map(|offset| GasPayload::PrepaySnapshotRequest {
            earliest: to_gbcs_seconds(now() - Duration::days(60)).unwrap(),
            latest: to_gbcs_seconds(now()).unwrap(),
            offset,
            cause: DAILY_SNAPSHOT,
        })
        .collect();
    let bytes = send(gsme, GCS16B, &asks, 1, false, &keys);
    let m = GbcsMessage::decode(&gas.handle(&bytes, now(), &keys, acb()).unwrap()).unwrap();
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!()
    };
    assert!(components[..31].iter().all(|c| c.encrypted()));
    let got = answers(&m.to_bytes().unwrap(), &keys, false);
    let today = now().date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    for (k, answer) in got[..31].iter().enumerate() {
        let midnight = today - Duration::days(k as i64);
        let GasPayload::PrepaySnapshot {
            time,
            found,
            cause,
            payload:
                PrepaySnapshotPayload::DebtCreditStatus {
                    credit_remaining, ..
                },
            ..
        } = answer
        else {
            panic!("{answer:?}")
        };
        assert_eq!(
            (*time, *found, *cause),
            (to_gbcs_seconds(midnight).unwrap(), 31, 1)
        );
        let credit = gas.credit_milli_pence(period_of(midnight));
        assert!(
            (i64::from(*credit_remaining) - credit).abs() < 10,
            "{answer:?}"
        );
    }
    assert!(
        matches!(got[31], GasPayload::DefaultResponse { status: 0x8B, .. }),
        "{:?}",
        got[31]
    );
}

/// The billing data log the billing calendar triggers (4.4.3, GCS15c): a snapshot of the
/// registers at each billing period's end (midnight UTC on the first of the month, the monthly
/// calendar 6.2.3 reads) in the period asked, the most recent first, the last twelve kept,
/// sealed for the supplier.
#[test]
fn the_billing_data_log_holds_each_months_registers() {
    use dccsim::device::GCS15C;
    use dccsim::protocol::gbcs::gbz::{PrepaySnapshotPayload, SnapshotRegisters};
    let keys = keys();
    let (gsme, gpf) = (
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 2]),
        Eui64([0x00, 0xDC, 0x5E, 0, 0, 0, 0, 4]),
    );
    // Commissioned two years ago: 24 month ends since, twelve kept. In prepayment since 40
    // days ago with £5, and topped up £20 now.
    let mut gas = meter_installed(gsme, gpf, Duration::days(730));
    gas.set_prepayment(500, now() - Duration::days(40));
    let november = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let credit_on_1_november = gas.credit_milli_pence(period_of(november));
    let digits = Utrn::make(&keys, supplier(), gsme, 1 << 32, 20, ValueClass::Pounds)
        .unwrap()
        .digits();
    let top_up = GasPayload::TopUp {
        origin: 0,
        utrn: digits,
    };
    let bytes = send(gpf, CS01B, &[top_up], 1, false, &keys);
    gas.handle(&bytes, now(), &keys, acb()).unwrap();
    let period = |offset| {
        (
            0,
            to_gbcs_seconds(now()).unwrap(),
            offset,
            dccsim::protocol::gbcs::gbz::BILLING_SNAPSHOT,
        )
    };
    let asks: Vec<GasPayload> = (0..13)
        .map(|offset| {
            let (earliest, latest, offset, cause) = period(offset);
            GasPayload::SnapshotRequest {
                earliest,
                latest,
                offset,
                cause,
            }
        })
        .chain((0..2).map(|offset| {
            let (earliest, latest, offset, cause) = period(offset);
            GasPayload::PrepaySnapshotRequest {
                earliest,
                latest,
                offset,
                cause,
            }
        }))
        .collect();
    let bytes = send(gpf, GCS15C, &asks, 2, false, &keys);
    let m = GbcsMessage::decode(&gas.handle(&bytes, now(), &keys, acb()).unwrap()).unwrap();
    let Gbz::Components { components } = Gbz::decode(&m.signing.content, false).unwrap() else {
        panic!()
    };
    assert!(components[..12].iter().all(|c| c.encrypted()));
    assert!(components[13..].iter().all(|c| c.encrypted()));
    let got = answers(&m.to_bytes().unwrap(), &keys, false);
    // The balance on 1 November, before the top-up, worked back from now; on 1 October,
    // before the meter's balance was set up (£5, on 14 October), that balance.
    let credit = |answer: &GasPayload| match answer {
        GasPayload::PrepaySnapshot {
            payload:
                PrepaySnapshotPayload::DebtCreditStatus {
                    credit_remaining, ..
                },
            ..
        } => i64::from(*credit_remaining),
        other => panic!("{other:?}"),
    };
    assert!(
        (credit(&got[13]) - credit_on_1_november).abs() < 10,
        "{:?}",
        got[13]
    );
    assert_eq!(credit(&got[14]), 500_000);
    // A period more than twelve billing periods back: the meter no longer holds those.
    let old = GasPayload::SnapshotRequest {
        earliest: 0,
        latest: to_gbcs_seconds(now() - Duration::days(400)).unwrap(),
        offset: 0,
        cause: dccsim::protocol::gbcs::gbz::BILLING_SNAPSHOT,
    };
    let bytes = send(gpf, GCS15C, &[old], 3, false, &keys);
    let gone = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    assert!(
        matches!(gone[..], [GasPayload::DefaultResponse { status: 0x8B, .. }]),
        "{gone:?}"
    );
    for (k, answer) in got.iter().take(12).enumerate() {
        let end =
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() - chrono::Months::new(k as u32);
        let GasPayload::Snapshot {
            time,
            found,
            cause,
            registers: SnapshotRegisters::BlockTiers { summation, .. },
            ..
        } = answer
        else {
            panic!("{answer:?}")
        };
        assert_eq!(
            (*time, *found, *cause),
            (to_gbcs_seconds(end).unwrap(), 12, 2)
        );
        assert_eq!(*summation, gas.register_litres(period_of(end)));
    }
    assert!(matches!(
        got[12],
        GasPayload::DefaultResponse {
            command: 0x06,
            status: 0x8B,
            ..
        }
    ));
}

/// 2.5 (GCS06): a gas meter in prepayment mode whose balance is below £2 takes the emergency
/// credit (£10), answering with a Default Response, SUCCESS, and its prepay values (4.3) give
/// what is left; asked again while it is in use, FAILURE; a reset of the balance to nought
/// (1.5) ends it.
#[test]
fn emergency_credit_is_given_below_its_threshold() {
    use dccsim::device::{GCS06, GCS14, GCS40B};
    use dccsim::protocol::gbcs::gbz::{
        CREDIT_ABSOLUTE, CURRENCY, PREPAY_VALUES, PRICE_TRAILING_DIGIT,
    };
    let keys = keys();
    let (mut gas, _) = fleet_meter();
    let gsme = gas.gsme;
    gas.set_prepayment(100, now() - Duration::hours(1));
    let select = GasPayload::SelectEmergencyCredit {
        issued: 0,
        origin: 0,
    };
    let status = |gas: &mut GasMeter, counter| {
        let bytes = send(
            gsme,
            GCS06,
            std::slice::from_ref(&select),
            counter,
            true,
            &keys,
        );
        match &answers(
            &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
            &keys,
            true,
        )[..]
        {
            [
                GasPayload::DefaultResponse {
                    cluster: 0x0705,
                    command: 0x00,
                    status,
                },
            ] => *status,
            other => panic!("{other:?}"),
        }
    };
    let values = |gas: &mut GasMeter, counter| {
        let asks = [
            GasPayload::ReadPriceAttributes {
                attributes: vec![PRICE_TRAILING_DIGIT, CURRENCY],
            },
            GasPayload::ReadPrepaymentAttributes {
                attributes: PREPAY_VALUES.to_vec(),
            },
        ];
        let bytes = send(gsme, GCS14, &asks, counter, false, &keys);
        match &answers(
            &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
            &keys,
            false,
        )[..]
        {
            [
                _,
                GasPayload::PrepayValues {
                    emergency_credit,
                    credit_remaining,
                    ..
                },
            ] => (*credit_remaining, *emergency_credit),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(values(&mut gas, 1).1, 0);
    assert_eq!(status(&mut gas, 2), 0);
    let (credit, emergency) = values(&mut gas, 3);
    assert!(credit < 200_000, "{credit}");
    assert_eq!(i64::from(emergency), 1_000_000 + i64::from(credit).min(0));
    assert_eq!(status(&mut gas, 4), 1, "already in use");
    let reset = GasPayload::CreditAdjustment {
        event: 1,
        start: 0,
        adjustment: CREDIT_ABSOLUTE,
        value: 0,
    };
    let bytes = send(gsme, GCS40B, &[reset], 5, true, &keys);
    gas.handle(&bytes, now(), &keys, acb()).unwrap();
    assert_eq!(values(&mut gas, 6), (0, 0));
}

/// 3.4 (GCS44): the meter shows the supplier's name and contact details the command set and
/// answers with a Default Response; one naming a new provider it does not take.
#[test]
fn the_supplier_name_is_set() {
    use dccsim::device::GCS44;
    let keys = keys();
    let (mut gas, _) = fleet_meter();
    let gsme = gas.gsme;
    let publish = |proposed_provider| GasPayload::ChangeOfSupplier {
        current_provider: 0,
        event: 1,
        tariff_type: 0,
        proposed_provider,
        implement_at: 0,
        control: 0x1800,
        name: "E-ON".into(),
        contact: "0333 202 4650".into(),
    };
    let bytes = send(gsme, GCS44, &[publish(7)], 1, false, &keys);
    assert!(gas.handle(&bytes, now(), &keys, acb()).is_err());
    assert_eq!(gas.supplier_contact(), None);
    let bytes = send(gsme, GCS44, &[publish(0)], 2, false, &keys);
    let answer = gas.handle(&bytes, now(), &keys, acb()).unwrap();
    let success = GasPayload::DefaultResponse {
        cluster: 0x0708,
        command: 0x01,
        status: 0,
    };
    assert_eq!(answers(&answer, &keys, false), [success]);
    assert_eq!(gas.supplier_contact(), Some(("E-ON", "0333 202 4650")));
}

/// 3.1 (GCS07), 3.5 (GCS11) and 6.20.1 (GCS41): the meter keeps the message to display, turns
/// privacy PIN protection off and takes the MPRN, which 6.2.7 (GCS46) then reads, each
/// answered with a Default Response and logged; a message from later, a password that is not
/// an empty consumer one or a site id from later it does not take, nothing changed.
#[test]
fn a_message_the_privacy_pin_and_the_mprn_are_set() {
    use dccsim::device::{GCS07, GCS11, GCS41, GCS46};
    let keys = keys();
    let (mut gas, _) = fleet_meter();
    let gsme = gas.gsme;
    let before = gas.mprn.clone();
    let mut counter = 0;
    let mut ask = |gas: &mut GasMeter, code, payload: GasPayload| {
        counter += 1;
        let bytes = send(gsme, code, &[payload], counter, false, &keys);
        gas.handle(&bytes, now(), &keys, acb())
            .map(|answer| answers(&answer, &keys, false))
    };
    let done = |cluster, command| {
        vec![GasPayload::DefaultResponse {
            cluster,
            command,
            status: 0,
        }]
    };
    let display = |start| GasPayload::DisplayMessage {
        id: 1,
        control: 0,
        start,
        minutes: 0xFFFF,
        message: "Reset".into(),
    };
    assert!(ask(&mut gas, GCS07, display(100)).is_err());
    assert_eq!(gas.message(), None);
    assert_eq!(
        ask(&mut gas, GCS07, display(0)).unwrap(),
        done(0x0703, 0x00)
    );
    assert_eq!(gas.message(), Some("Reset"));
    let password = |password: &[u8]| GasPayload::NewPassword {
        event: 2,
        implement_at: 0,
        minutes: 0,
        password_type: 2,
        password: password.to_vec(),
    };
    assert!(ask(&mut gas, GCS11, password(b"1234")).is_err());
    assert!(!gas.privacy_pin_disabled());
    assert_eq!(
        ask(&mut gas, GCS11, password(b"")).unwrap(),
        done(0x0708, 0x02)
    );
    assert!(gas.privacy_pin_disabled());
    let site = |at| GasPayload::UpdateSiteId {
        event: 3,
        at,
        provider: 0,
        site_id: "1234567890".into(),
    };
    assert!(ask(&mut gas, GCS41, site(100)).is_err());
    assert_eq!(gas.mprn, before);
    assert_eq!(ask(&mut gas, GCS41, site(0)).unwrap(), done(0x0708, 0x03));
    let read = GasPayload::ReadAttributes {
        attributes: vec![dccsim::protocol::gbcs::gbz::SITE_ID],
    };
    let mprn = GasPayload::SiteId {
        mprn: "1234567890".into(),
    };
    assert_eq!(ask(&mut gas, GCS46, read).unwrap(), [mprn]);
    let logged: Vec<_> = gas
        .events
        .between(now(), now())
        .map(|e| e.what.as_str())
        .collect();
    assert_eq!(
        logged[logged.len() - 3..],
        [
            "supplier message displayed",
            "privacy PIN protection disabled",
            "MPRN set"
        ]
    );
}

/// 3.2 (GCS09, to the GPF): after a change of tenancy the meter gives no data from before it —
/// the profile (GCS17) starts at the half-hour it took effect, the daily consumption (GCS61)
/// and the daily read log (GCS16a) at the first midnight after — answered with a Default
/// Response and logged; a tenancy change control other than GBCS's it does not take, nothing
/// changed.
#[test]
fn a_change_of_tenancy_hides_the_previous_tenants_data() {
    use dccsim::device::GCS09;
    let keys = keys();
    let (mut gas, gpf) = fleet_meter();
    let mut counter = 0;
    let mut ask = |gas: &mut GasMeter, code, payload: GasPayload| {
        counter += 1;
        let bytes = send(gpf, code, &[payload], counter, false, &keys);
        gas.handle(&bytes, now(), &keys, acb())
            .map(|answer| answers(&answer, &keys, false))
    };
    let today = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let moved_in = today - Duration::hours(12);
    let tenancy = |control| GasPayload::ChangeOfTenancy {
        provider: 0,
        event: 1,
        tariff_type: 0,
        implement_at: to_gbcs_seconds(moved_in).unwrap(),
        control,
    };
    assert!(ask(&mut gas, GCS09, tenancy(0x0000_0001)).is_err());
    assert_eq!(gas.restricted_from(), None);
    let done = GasPayload::DefaultResponse {
        cluster: 0x0708,
        command: 0x00,
        status: 0,
    };
    assert_eq!(ask(&mut gas, GCS09, tenancy(0x0000_0200)).unwrap(), [done]);
    assert_eq!(gas.restricted_from(), Some(period_of(moved_in)));
    // Yesterday from midnight: from noon, the half-hours ended before now's (10:00).
    let sampled = |sample_id, start: DateTime<Utc>, count| GasPayload::SampledDataRequest {
        sample_id,
        start: to_gbcs_seconds(start).unwrap(),
        sampling_type: 0,
        count,
    };
    let profile = ask(&mut gas, GCS17, sampled(0, today - Duration::days(1), 48)).unwrap();
    let GasPayload::SampledData { start, samples, .. } = &profile[0] else {
        panic!("{profile:?}")
    };
    assert_eq!(*start, to_gbcs_seconds(moved_in).unwrap());
    let first = period_of(moved_in);
    let expected: Vec<u32> = (first..first + 44).map(|p| gas.litres(p)).collect();
    assert_eq!(*samples, expected);
    // The last week's days: none whole since the change.
    let daily = ask(&mut gas, GCS61, sampled(1, today - Duration::days(7), 7)).unwrap();
    let GasPayload::SampledData { start, samples, .. } = &daily[0] else {
        panic!("{daily:?}")
    };
    assert_eq!(
        (*start, samples.len()),
        (to_gbcs_seconds(today).unwrap(), 0)
    );
    // The daily read log of the last three days: today's midnight alone.
    let log = GasPayload::SnapshotRequest {
        earliest: to_gbcs_seconds(today - Duration::days(3)).unwrap(),
        latest: to_gbcs_seconds(now()).unwrap(),
        offset: 0,
        cause: 1,
    };
    let log = ask(&mut gas, GCS16A, log).unwrap();
    let GasPayload::Snapshot { time, found, .. } = &log[0] else {
        panic!("{log:?}")
    };
    assert_eq!((*time, *found), (to_gbcs_seconds(today).unwrap(), 1));
    let logged = gas.events.between(now(), now()).last().unwrap();
    assert_eq!(logged.what, "data restricted for change of tenancy");
}

/// 6.6 (GCS23, critical): the meter takes the conversion factor and calorific value, answering
/// each with a Default Response, and 6.2.8 (GCS21a) reads them back; unsigned it refuses the
/// command, and one dated ahead it does not take, nothing changed.
#[test]
fn the_conversion_factor_and_calorific_value_are_set() {
    use dccsim::device::GCS23;
    use dccsim::protocol::gbcs::gas_settings::GCS21A;
    use dccsim::protocol::gbcs::gas_settings::GasSettingValue;
    use dccsim::protocol::gbcs::gbz::ZclValue;
    let keys = keys();
    let (mut gas, _) = fleet_meter();
    let gsme = gas.gsme;
    let publish = |start| {
        [
            GasPayload::ConversionFactor {
                event: 1,
                start,
                factor: 102_000,
                trailing_digit: 0x50,
            },
            GasPayload::CalorificValue {
                event: 1,
                start,
                value: 388,
                unit: 1,
                trailing_digit: 0x10,
            },
        ]
    };
    let standard = ((102_264, 0x50), (395, 1, 0x10));
    let unsigned = send(gsme, GCS23, &publish(0), 1, false, &keys);
    assert!(gas.handle(&unsigned, now(), &keys, acb()).is_err());
    let ahead = send(gsme, GCS23, &publish(100), 2, true, &keys);
    assert!(gas.handle(&ahead, now(), &keys, acb()).is_err());
    assert_eq!((gas.conversion_factor(), gas.calorific_value()), standard);
    let bytes = send(gsme, GCS23, &publish(0), 3, true, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        true,
    );
    let done = |command| GasPayload::DefaultResponse {
        cluster: 0x0700,
        command,
        status: 0,
    };
    assert_eq!(got, [done(0x02), done(0x03)]);
    assert_eq!(gas.conversion_factor(), (102_000, 0x50));
    assert_eq!(gas.calorific_value(), (388, 1, 0x10));
    let read = GasPayload::ReadPriceAttributes {
        attributes: vec![0x0306, 0x0305, 0x0304, 0x0303, 0x0302],
    };
    let bytes = send(gsme, GCS21A, &[read], 4, false, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    let [GasPayload::Settings { values, .. }] = &got[..] else {
        panic!("{got:?}")
    };
    let values: Vec<_> = values
        .iter()
        .map(|GasSettingValue { value, .. }| value.clone())
        .collect();
    let u = ZclValue::Unsigned;
    assert_eq!(values, [u(0x10), u(1), u(388), u(0x50), u(102_000)]);
}

/// 6.7 (GCS24, critical): the meter takes the uncontrolled flow settings and the supply
/// tamper and depletion states, answering each with a Default Response; an uncontrolled flow
/// state other than GBCS's (supply off) it refuses, the command's other component with it:
/// nothing changed.
#[test]
fn the_uncontrolled_flow_settings_and_supply_states_are_set() {
    use dccsim::device::{GCS24, UncontrolledFlow};
    let keys = keys();
    let (mut gas, _) = fleet_meter();
    let gsme = gas.gsme;
    let settings = |uncontrolled_flow| {
        [
            GasPayload::UncontrolledFlowThreshold {
                provider: 0,
                event: 1,
                threshold: 61_680,
                unit: 1,
                multiplier: 1,
                divisor: 10_000,
                stabilisation: 60,
                measurement: 300,
            },
            GasPayload::SetSupplyStatus {
                event: 1,
                tamper: 0,
                depletion: 3,
                uncontrolled_flow,
                load_limit: 3,
            },
        ]
    };
    let before = (gas.uncontrolled_flow(), gas.supply_states());
    assert_eq!(before.1, (3, 3));
    // Uncontrolled flow leaving the supply on: refused, the flow settings before it too.
    let bytes = send(gsme, GCS24, &settings(3), 1, true, &keys);
    assert!(gas.handle(&bytes, now(), &keys, acb()).is_err());
    assert_eq!((gas.uncontrolled_flow(), gas.supply_states()), before);
    let bytes = send(gsme, GCS24, &settings(0), 2, true, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        true,
    );
    let done = |command| GasPayload::DefaultResponse {
        cluster: 0x0702,
        command,
        status: 0,
    };
    assert_eq!(got, [done(0x0E), done(0x0D)]);
    let flow = UncontrolledFlow {
        threshold: 61_680,
        unit: 1,
        multiplier: 1,
        divisor: 10_000,
        stabilisation: 60,
        measurement: 300,
    };
    assert_eq!(
        (gas.uncontrolled_flow(), gas.supply_states()),
        (flow, (0, 3))
    );
}

/// 3.3 (CS11): the meter clears its general event log, answering that it did, and logs the
/// clearing; a log it does not hold it clears none of, saying so.
#[test]
fn the_event_log_is_cleared() {
    use dccsim::device::CS11;
    let keys = keys();
    let (mut gas, _) = fleet_meter();
    let gsme = gas.gsme;
    let ask = |gas: &mut GasMeter, log_id, counter| {
        let clear = GasPayload::ClearEventLog { log_id };
        let bytes = send(gsme, CS11, &[clear], counter, false, &keys);
        answers(
            &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
            &keys,
            false,
        )
    };
    // A log the meter does not hold (the tamper log): none cleared, the refusal logged.
    assert_eq!(
        ask(&mut gas, 1, 1),
        [GasPayload::EventLogCleared { cleared: 0 }]
    );
    assert!(gas.events.between(now(), now()).count() >= 1);
    assert_eq!(
        ask(&mut gas, 3, 2),
        [GasPayload::EventLogCleared { cleared: 0x08 }]
    );
    let logged: Vec<_> = gas
        .events
        .between(now() - Duration::days(400), now())
        .map(|e| e.what.as_str())
        .collect();
    assert_eq!(logged, ["event log cleared"]);
}

/// 1.5: a balance update (GCS40a–d, critical, answered with a Default Response) moves the
/// balance from then on, by the value or to it as its type says; the prepayment daily read
/// log's midnights before it keep the balance they had. A type that is not the use case's is
/// refused, nothing changed.
#[test]
fn a_meter_balance_update_changes_the_balance_from_then_on() {
    use dccsim::device::{GCS16B, GCS40A, GCS40B};
    use dccsim::protocol::gbcs::gbz::{
        CREDIT_ABSOLUTE, CREDIT_INCREMENTAL, DAILY_SNAPSHOT, PrepaySnapshotPayload,
    };
    let keys = keys();
    let (mut gas, _) = fleet_meter();
    let gsme = gas.gsme;
    gas.set_prepayment(500, now() - Duration::days(20));
    let today = now().date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let midnights: Vec<_> = (0..10).map(|d| today - Duration::days(d)).collect();
    let before: Vec<i64> = midnights
        .iter()
        .map(|m| gas.credit_milli_pence(period_of(*m)))
        .collect();
    let adjust = |adjustment, value| GasPayload::CreditAdjustment {
        event: 1,
        start: 0,
        adjustment,
        value,
    };
    let success = GasPayload::DefaultResponse {
        cluster: 0x0705,
        command: 0x05,
        status: 0,
    };
    // £2.50 taken off three days ago.
    let adjusted = today - Duration::days(3) + Duration::hours(9);
    let bytes = send(
        gsme,
        GCS40A,
        &[adjust(CREDIT_INCREMENTAL, -250_000)],
        1,
        true,
        &keys,
    );
    let answer = gas.handle(&bytes, adjusted, &keys, acb()).unwrap();
    assert_eq!(
        answers(&answer, &keys, true),
        std::slice::from_ref(&success)
    );
    let asks: Vec<GasPayload> = (0..10)
        .map(|offset| GasPayload::PrepaySnapshotRequest {
            earliest: to_gbcs_seconds(now() - Duration::days(20)).unwrap(),
            latest: to_gbcs_seconds(now()).unwrap(),
            offset,
            cause: DAILY_SNAPSHOT,
        })
        .collect();
    let bytes = send(gsme, GCS16B, &asks, 2, false, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    for ((midnight, answer), b) in midnights.iter().zip(&got).zip(&before) {
        let GasPayload::PrepaySnapshot {
            payload:
                PrepaySnapshotPayload::DebtCreditStatus {
                    credit_remaining, ..
                },
            ..
        } = answer
        else {
            panic!("{answer:?}")
        };
        // (Worked back over other spans, the standing charge's rounding may differ by a unit.)
        let expected = if *midnight > adjusted {
            b - 250_000
        } else {
            *b
        };
        let credit = i64::from(*credit_remaining);
        assert!(
            (credit - expected).abs() < 10,
            "{midnight}: {credit} not {expected}"
        );
    }
    // A reset sent as an adjustment's use case: refused, the balance as it was.
    let now_period = period_of(now());
    let credit = gas.credit_milli_pence(now_period);
    let bytes = send(gsme, GCS40A, &[adjust(CREDIT_ABSOLUTE, 0)], 3, true, &keys);
    assert!(gas.handle(&bytes, now(), &keys, acb()).is_err());
    assert_eq!(gas.credit_milli_pence(now_period), credit);
    let bytes = send(gsme, GCS40B, &[adjust(CREDIT_ABSOLUTE, 0)], 4, true, &keys);
    let answer = gas.handle(&bytes, now(), &keys, acb()).unwrap();
    assert_eq!(answers(&answer, &keys, true), [success]);
    assert_eq!(gas.credit_milli_pence(now_period), 0);
}

/// The billing data log a change of mode triggers (4.4.2, GCS15b): a snapshot of the balance
/// and the registers at each change of payment mode in the period, the most recent first,
/// sealed for the supplier, its cause a change of meter mode; a command to the mode the meter
/// is in takes none.
#[test]
fn a_change_of_payment_mode_leaves_a_billing_data_snapshot() {
    use dccsim::device::{GCS03, GCS15B};
    use dccsim::protocol::gbcs::gbz::{
        CHANGE_OF_MODE_SNAPSHOT, CHANGE_SNAPSHOTS, PREPAYMENT_CONFIGURATION, PrepaySnapshotPayload,
        SnapshotRegisters,
    };
    let keys = keys();
    let (mut gas, gpf) = fleet_meter();
    let to_prepayment = GasPayload::ChangePaymentMode {
        provider: 0,
        event: 1,
        implement_at: 0,
        configuration: PREPAYMENT_CONFIGURATION,
        cut_off: 0,
    };
    let changed_at = now() - Duration::days(2);
    let register_then = gas.register_litres(period_of(changed_at));
    let credit_then = gas.credit_milli_pence(period_of(changed_at));
    for (counter, at) in [(1, changed_at), (2, now() - Duration::days(1))] {
        let change = send(
            gpf,
            GCS03,
            std::slice::from_ref(&to_prepayment),
            counter,
            true,
            &keys,
        );
        gas.handle(&change, at, &keys, acb()).unwrap();
    }
    let now_s = to_gbcs_seconds(now()).unwrap();
    let asks: Vec<GasPayload> = (0..2)
        .map(|offset| GasPayload::PrepaySnapshotRequest {
            earliest: 0,
            latest: now_s,
            offset,
            cause: CHANGE_SNAPSHOTS,
        })
        .chain((0..2).map(|offset| GasPayload::SnapshotRequest {
            earliest: 0,
            latest: now_s,
            offset,
            cause: CHANGE_SNAPSHOTS,
        }))
        .collect();
    let bytes = send(gpf, GCS15B, &asks, 3, false, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    let changed_s = to_gbcs_seconds(changed_at).unwrap();
    let GasPayload::PrepaySnapshot {
        time,
        found: 1,
        cause: CHANGE_OF_MODE_SNAPSHOT,
        payload:
            PrepaySnapshotPayload::DebtCreditStatus {
                credit_remaining, ..
            },
        ..
    } = got[0]
    else {
        panic!("{:?}", got[0])
    };
    assert_eq!(time, changed_s);
    assert_eq!(i64::from(credit_remaining), credit_then);
    assert!(
        matches!(got[1], GasPayload::DefaultResponse { status: 0x8B, .. }),
        "{:?}",
        got[1]
    );
    let GasPayload::Snapshot {
        time,
        cause: CHANGE_OF_MODE_SNAPSHOT,
        registers: SnapshotRegisters::BlockTiers { summation, .. },
        ..
    } = &got[2]
    else {
        panic!("{:?}", got[2])
    };
    assert_eq!(*time, changed_s);
    // The register, litres, as the half-hour under way at the change had it.
    assert_eq!(*summation, register_then);
    assert!(matches!(
        got[3],
        GasPayload::DefaultResponse { status: 0x8B, .. }
    ));
}

#[test]
fn a_future_dated_payment_mode_change_waits_for_its_time_then_alerts() {
    use dccsim::device::{GCS02, GCS03, PaymentMode};
    use dccsim::protocol::gbcs::gbz::{FutureDated, PREPAYMENT_CONFIGURATION};
    let keys = keys();
    let (mut gas, gpf) = fleet_meter();
    let change = |implement_at, configuration| GasPayload::ChangePaymentMode {
        provider: 0,
        event: 1,
        implement_at,
        configuration,
        cut_off: 0,
    };
    // Critical: unsigned, refused.
    let now_s = to_gbcs_seconds(now()).unwrap();
    let unsigned = send(
        gpf,
        GCS03,
        &[change(0, PREPAYMENT_CONFIGURATION)],
        1,
        false,
        &keys,
    );
    assert!(matches!(
        gas.handle(&unsigned, now(), &keys, acb()),
        Err(DeviceError::Signature(_))
    ));
    // At once.
    let now_cmd = send(
        gpf,
        GCS03,
        &[change(0, PREPAYMENT_CONFIGURATION)],
        2,
        true,
        &keys,
    );
    let got = answers(
        &gas.handle(&now_cmd, now(), &keys, acb()).unwrap(),
        &keys,
        true,
    );
    assert!(
        matches!(got[..], [GasPayload::PaymentModeSettings { .. }]),
        "{got:?}"
    );
    assert_eq!(gas.payment, PaymentMode::Prepayment);
    // Back to credit in an hour: held, nothing due before then.
    let later = send(gpf, GCS02, &[change(now_s + 3600, 0x0C94)], 3, true, &keys);
    gas.handle(&later, now(), &keys, acb()).unwrap();
    assert_eq!(gas.payment, PaymentMode::Prepayment);
    assert_eq!(gas.next_due(), Some(now() + Duration::hours(1)));
    assert_eq!(gas.due(now() + Duration::minutes(59), &keys).unwrap(), None);
    let (to, alerts) = gas.due(now() + Duration::hours(1), &keys).unwrap().unwrap();
    let [alert] = &alerts[..] else {
        panic!("one alert: {alerts:?}")
    };
    assert_eq!(to, supplier());
    assert_eq!(gas.payment, PaymentMode::Credit);
    assert_eq!(gas.next_due(), None);
    // The alert: signed by the gas meter, naming the command it carried out.
    let m = GbcsMessage::decode(alert).unwrap();
    assert_eq!(
        (m.signing.cra, m.signing.originator),
        (Cra::Alert, gas.gsme)
    );
    assert_eq!(verify_signature(&keys, &m), Verdict::Valid);
    let Gbz::Alert {
        alert_code, rest, ..
    } = Gbz::decode(&m.signing.content, true).unwrap()
    else {
        panic!()
    };
    assert_eq!(alert_code, 0x8F66);
    let fd = FutureDated::decode(&rest).unwrap();
    assert_eq!(
        (fd.message_code, fd.counter, fd.cluster),
        (GCS02, 3, 0x0705)
    );
    // A held change can be cancelled: nothing happens at its time.
    let held = send(
        gpf,
        GCS03,
        &[change(now_s + 7200, PREPAYMENT_CONFIGURATION)],
        4,
        true,
        &keys,
    );
    gas.handle(&held, now() + Duration::hours(1), &keys, acb())
        .unwrap();
    assert!(gas.next_due().is_some());
    let cancel = send(
        gpf,
        GCS03,
        &[change(0xFFFF_FFFF, PREPAYMENT_CONFIGURATION)],
        5,
        true,
        &keys,
    );
    gas.handle(&cancel, now() + Duration::hours(1), &keys, acb())
        .unwrap();
    assert_eq!(gas.next_due(), None);
    assert_eq!(gas.due(now() + Duration::hours(3), &keys).unwrap(), None);
    assert_eq!(gas.payment, PaymentMode::Credit);
}

/// 6.2.4 as a meter of a later GBCS version is asked it (GCS21m, the RTDS's own command): the
/// meter's manufacturer and model, then its supply depletion and tamper states, in clear.
#[test]
fn the_meter_answers_the_later_identity_read_too() {
    use dccsim::protocol::gbcs::gas_settings::GCS21M;
    use dccsim::protocol::gbcs::gbz::ZclValue;
    let keys = keys();
    let (mut gas, _) = fleet_meter();
    let bytes = rtds_command("6.2.4_GCS21m/GCS21m_6.2.4", gas.gsme, GCS21M, 1, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    let named: Vec<Vec<(&str, ZclValue)>> = got
        .iter()
        .map(|p| match p {
            GasPayload::Settings { values, .. } => {
                values.iter().map(|v| (v.name, v.value.clone())).collect()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    let mut model = b"GSME    ".to_vec();
    model.extend_from_slice(&gas.gsme.0);
    assert_eq!(
        named,
        [
            vec![
                ("ManufacturerName", ZclValue::Bytes(b"dccsim".to_vec())),
                ("ModelIdentifier", ZclValue::Bytes(model)),
            ],
            vec![
                ("SupplyDepletionState", ZclValue::Unsigned(3)),
                ("SupplyTamperState", ZclValue::Unsigned(3)),
            ],
        ]
    );
}

/// 6.13 (CS10a, CS10b): the general event log holds the commands the meter carried out, each
/// with its message code; the security log the top-ups it refused. Each read gives the events
/// of the period asked, oldest first; an empty period is NOT_FOUND. 3.3 (CS11) clears the
/// general event log and leaves the security log.
#[test]
fn the_event_and_security_logs_are_read() {
    use dccsim::device::{CS10A, CS10B, CS11, GCS07};
    use dccsim::protocol::gbcs::gbz::{LATEST_TIME, LoggedEvent};
    let keys = keys();
    let (mut gas, gpf) = fleet_meter();
    let gsme = gas.gsme;
    let at = to_gbcs_seconds(now()).unwrap();
    // One supplier's commands, each with the next counter.
    let counter = std::cell::Cell::new(0);
    let next = || {
        counter.set(counter.get() + 1);
        counter.get()
    };
    let ask = |gas: &mut GasMeter, code, payload: GasPayload| {
        let bytes = send(gsme, code, &[payload], next(), false, &keys);
        answers(
            &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
            &keys,
            false,
        )
    };
    let read = |control, start, end| GasPayload::EventLogRequest {
        control,
        event_id: 0,
        start,
        end,
        count: 0,
        offset: 0,
    };
    let not_found = GasPayload::DefaultResponse {
        cluster: 0x0709,
        command: 0x00,
        status: 0x8B,
    };
    // Nothing logged yet.
    assert_eq!(
        ask(&mut gas, CS10A, read(0x13, 0, LATEST_TIME)),
        std::slice::from_ref(&not_found)
    );
    // A message displayed, and a top-up refused (the meter is in credit mode).
    let message = GasPayload::DisplayMessage {
        id: 1,
        control: 0,
        start: 0,
        minutes: 0xFFFF,
        message: "hello".into(),
    };
    ask(&mut gas, GCS07, message);
    let utrn = Utrn::make(&keys, supplier(), gsme, 1 << 32, 10, ValueClass::Pounds).unwrap();
    let top_up = GasPayload::TopUp {
        origin: 0,
        utrn: utrn.digits(),
    };
    let bytes = send(gpf, CS01B, &[top_up], next(), false, &keys);
    gas.handle(&bytes, now(), &keys, acb()).unwrap();
    let logged = |log_id, event_id, data: &[u8]| LoggedEvent {
        log_id,
        event_id,
        time: at,
        data: data.to_vec(),
    };
    let published = |entries: Vec<LoggedEvent>| GasPayload::EventLog {
        matching: entries.len() as u16,
        command_index: 0,
        commands: 1,
        control: 0,
        entries,
    };
    // GCS07's message code, 0x0071, with the "command actioned" event.
    assert_eq!(
        ask(&mut gas, CS10A, read(0x13, at - 60, at + 60)),
        [published(vec![logged(3, 0x8154, &[0x00, 0x71])])]
    );
    // The meter refused the top-up as not for credit mode: "UTRN not authentic or not for
    // this meter", in the security log only.
    assert_eq!(
        ask(&mut gas, CS10B, read(0x04, at - 60, at + 60)),
        [published(vec![logged(4, 0x8F63, &[])])]
    );
    // A period before: nothing.
    assert_eq!(
        ask(&mut gas, CS10B, read(0x04, 0, at - 60)),
        std::slice::from_ref(&not_found)
    );
    // The other log's id is not the use case's.
    let other_log = read(0x04, 0, LATEST_TIME);
    let bytes = send(gsme, CS10A, &[other_log], next(), false, &keys);
    assert!(gas.handle(&bytes, now(), &keys, acb()).is_err());
    // 3.3 clears the general event log (then logs its own clearing); the security log stays.
    let clear = GasPayload::ClearEventLog { log_id: 3 };
    assert_eq!(
        ask(&mut gas, CS11, clear),
        [GasPayload::EventLogCleared { cleared: 0x08 }]
    );
    assert_eq!(
        ask(&mut gas, CS10A, read(0x13, 0, LATEST_TIME)),
        [published(vec![logged(3, 0x8154, &[0x00, 0x15])])]
    );
    assert_eq!(
        ask(&mut gas, CS10B, read(0x04, 0, LATEST_TIME)),
        [published(vec![logged(4, 0x8F63, &[])])]
    );
}

/// 6.22 (GCS20) sets how the events listed are logged and reported, each component its
/// configuration; 6.2.10 (GCS20r) reads every event's back — the RTDS meter's until then. A
/// command naming an event the meter does not configure is refused whole: none of its
/// components is kept. A command carried out is not logged once 6.22 says so.
#[test]
fn the_event_configuration_is_set_and_read_back() {
    use dccsim::device::{GCS07, GCS20, GCS20R};
    let keys = keys();
    let (mut gas, _) = fleet_meter();
    let gsme = gas.gsme;
    let read = |gas: &mut GasMeter, counter| {
        let ask = GasPayload::GetEventConfiguration { event_id: 0x81FF };
        let bytes = send(gsme, GCS20R, &[ask], counter, false, &keys);
        let got = answers(
            &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
            &keys,
            false,
        );
        let [GasPayload::EventConfiguration { entries, .. }] = &got[..] else {
            panic!("{got:?}")
        };
        entries.clone()
    };
    let before = read(&mut gas, 1);
    assert_eq!(before.len(), 44);
    assert!(before.contains(&(0x810E, 0x08)) && before.contains(&(0x81C6, 0x03)));
    let set = |configuration, events: &[u16]| GasPayload::SetEventConfiguration {
        event: 1,
        start: 0,
        configuration,
        control: 0,
        events: events.to_vec(),
    };
    let done = GasPayload::DefaultResponse {
        cluster: 0x0708,
        command: 0x04,
        status: 0,
    };
    let asks = [set(0x5B, &[0x810E]), set(0x00, &[0x81C6, 0x8161])];
    let bytes = send(gsme, GCS20, &asks, 2, false, &keys);
    let got = answers(
        &gas.handle(&bytes, now(), &keys, acb()).unwrap(),
        &keys,
        false,
    );
    assert_eq!(got, [done.clone(), done]);
    let after = read(&mut gas, 3);
    let changed: Vec<_> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(_, a)| *a)
        .collect();
    assert_eq!(changed, [(0x810E, 0x5B), (0x8161, 0x00), (0x81C6, 0x00)]);
    // 0x1234 is no event of the meter's: refused, and the first component not kept either.
    let asks = [set(0x08, &[0x8161]), set(0x08, &[0x1234])];
    let bytes = send(gsme, GCS20, &asks, 4, false, &keys);
    assert!(gas.handle(&bytes, now(), &keys, acb()).is_err());
    assert_eq!(read(&mut gas, 5), after);
    // 0x8154 (a command carried out) a WAN alert only, not logged: a 3.1 then displays its
    // message and leaves the event log as it was.
    let bytes = send(gsme, GCS20, &[set(0x08, &[0x8154])], 6, false, &keys);
    gas.handle(&bytes, now(), &keys, acb()).unwrap();
    let logged = gas.events.len();
    let message = GasPayload::DisplayMessage {
        id: 1,
        control: 0,
        start: 0,
        minutes: 0xFFFF,
        message: "hi".into(),
    };
    let bytes = send(gsme, GCS07, &[message], 7, false, &keys);
    gas.handle(&bytes, now(), &keys, acb()).unwrap();
    assert_eq!(gas.message(), Some("hi"));
    assert_eq!(gas.events.len(), logged);
}

/// An RTDS command's GBZ content, as the supplier sends it to `to` as use case `code`: signed
/// (the tariff commands are critical), then MACed by the ACB.
fn rtds_signed(file: &str, to: Eui64, code: u16, counter: u64, keys: &KeyStore) -> Vec<u8> {
    let text = std::fs::read_to_string(reference().join("RTDS-4.5.0").join(file)).unwrap();
    let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    let mut m = message_for(
        Cra::Command,
        counter,
        supplier(),
        to,
        code,
        rtds.signing.content,
    );
    assert!(sign_message(keys, &mut m));
    assert!(mac_message(keys, &mut m, acb()));
    m.to_bytes().unwrap()
}

/// An RTDS answer's or alert's GBZ components (cluster, frame control, sequence, command,
/// payload), or an alert's content.
fn rtds_content(file: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(reference().join("RTDS-4.5.0").join(file)).unwrap();
    GbcsMessage::decode(&parse_hex(&text).unwrap())
        .unwrap()
        .signing
        .content
}

/// The RTDS read command `file` sent (MACed) to the RTDS gas meter `gas` as use case `code` at
/// `at`: the answer's GBZ content.
fn rtds_read(
    gas: &mut GasMeter,
    file: &str,
    code: u16,
    counter: u64,
    at: DateTime<Utc>,
    keys: &KeyStore,
) -> Vec<u8> {
    let content = rtds_content(file);
    let mut m = message_for(Cra::Command, counter, supplier(), RTDS_GSME, code, content);
    assert!(mac_message(keys, &mut m, acb()));
    let answer = gas.handle(&m.to_bytes().unwrap(), at, keys, acb()).unwrap();
    GbcsMessage::decode(&answer).unwrap().signing.content
}

/// The RTDS gas meter (and its proxy), installed 30 days before `at`.
fn rtds_meter(at: DateTime<Utc>) -> GasMeter {
    let consumer = Consumer {
        kind: CustomerType::Domestic,
        annual_wh: 12_000_000,
        solar_peak_w: 0,
        seed: 5,
    };
    GasMeter::new(RTDS_GSME, RTDS_GPF, consumer, at - Duration::days(30))
}

fn headers(content: &[u8]) -> Vec<(u16, u8, u8, u8, Vec<u8>)> {
    let Gbz::Components { components } = Gbz::decode(content, false).unwrap() else {
        panic!("components")
    };
    components
        .into_iter()
        .map(|c| (c.cluster, c.frame_control, c.sequence, c.command, c.payload))
        .collect()
}

/// 1.1.1 and 4.11.1 to the RTDS gas meter at the RTDS's time: a tariff read answers as the RTDS
/// meter does, component for component and byte for byte; a TOU tariff published at once is
/// answered with the RTDS's Default Responses and read back; a block tariff future-dated is
/// held, then taken up at its time with the RTDS's five 8F66 alerts, byte for byte; its prices
/// then set the meter's charges; a cancellation withdraws what is held.
#[test]
fn a_gas_tariff_is_published_held_taken_up_and_read_back_as_the_rtds_meter_does() {
    use dccsim::device::{GCS01A, GCS21F};
    use dccsim::protocol::gbcs::gbz::TariffPayload;
    let keys = keys();
    let at = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap();
    let mut gas = rtds_meter(at);
    let read = |gas: &mut GasMeter, counter| {
        let file = "4.11.1_GCS21f/GCS21f_4.11.1_SUCCESS_COMMAND_GBCS.HEX";
        rtds_read(gas, file, GCS21F, counter, at, &keys)
    };
    // The meter as installed: the RTDS meter's tariff.
    assert_eq!(
        headers(&read(&mut gas, 1001)),
        headers(&rtds_content(
            "4.11.1_GCS21f/GCS21f_4.11.1_SUCCESS_RESPONSE_GBCS.HEX"
        ))
    );
    // A block tariff for 2030-01-15 09:00, sent with the RTDS's counter: held.
    let file = "1.1.1_GCS01a/GCS01a_1.1.1_FUTURE_DATED_BLOCK_SUCCESS";
    let command = rtds_signed(
        &format!("{file}_COMMAND_GBCS.HEX"),
        RTDS_GSME,
        GCS01A,
        1005,
        &keys,
    );
    let answer = gas.handle(&command, at, &keys, acb()).unwrap();
    let m = GbcsMessage::decode(&answer).unwrap();
    assert_eq!(verify_signature(&keys, &m), Verdict::Valid);
    assert_eq!(
        headers(&m.signing.content),
        headers(&rtds_content(&format!("{file}_RESPONSE_GBCS.HEX")))
    );
    assert_eq!(gas.gas_tariff(), dccsim::device::GasTariff::default());
    let due = Utc.with_ymd_and_hms(2030, 1, 15, 9, 0, 0).unwrap();
    assert_eq!(gas.next_due(), Some(due));
    assert!(
        gas.due(due - Duration::seconds(1), &keys)
            .unwrap()
            .is_none()
    );
    let (to, alerts) = gas.due(due, &keys).unwrap().unwrap();
    assert_eq!(to, supplier());
    let expected: Vec<Vec<u8>> = [
        "TARIFF_INFORMATION",
        "CALENDAR",
        "SPECIAL_DAYS",
        "BLOCK_THRESHOLDS",
        "PRICE_MATRIX",
    ]
    .iter()
    .map(|what| {
        rtds_content(&format!(
            "1.1.1_GCS01a/GCS01a_1.1.1_8F66_FUTURE_DATED_BLOCK_SUCCESS_ALERT_PUBLISH_{what}_GBCS.HEX"
        ))
    })
    .collect();
    let mut sent: Vec<Vec<u8>> = alerts
        .iter()
        .map(|a| {
            let m = GbcsMessage::decode(a).unwrap();
            assert_eq!(verify_signature(&keys, &m), Verdict::Valid);
            m.signing.content
        })
        .collect();
    sent.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(sent, expected);
    assert_eq!(gas.next_due(), None);
    let tariff = gas.gas_tariff();
    assert!(tariff.information.block);
    assert_eq!(tariff.thresholds, [1_000_000, 2_000_000, 3_000_000]);
    assert_eq!(tariff.block_prices, [9_600, 10_200, 10_750, 11_000]);
    assert_eq!(tariff.calendar.days, [(1, vec![gbz_switch(0, 0)])]);
    assert!(tariff.special_days.is_empty());
    // The meter now charges the first block's price and the new standing charge, each
    // half-hour.
    let day = period_of(due)..period_of(due) + 48;
    let wh: u64 = day
        .clone()
        .map(|p| u64::from(gas.litres(p)) * dccsim::device::WH_PER_M3 / 1000)
        .sum();
    assert!(wh > 0);
    let block = dccsim::device::Tariff {
        unit_rate: 9_600,
        standing_charge: 54_794,
    };
    assert_eq!(gas.cost(day.clone()), block.cost(wh, 48));

    // A TOU tariff at once: the RTDS's answer, and the calendar read back.
    let file = "1.1.1_GCS01a/GCS01a_1.1.1_IMMEDIATE_TOU_SUCCESS";
    let command = rtds_signed(
        &format!("{file}_COMMAND_GBCS.HEX"),
        RTDS_GSME,
        GCS01A,
        1007,
        &keys,
    );
    let answer = gas.handle(&command, at, &keys, acb()).unwrap();
    assert_eq!(
        headers(&GbcsMessage::decode(&answer).unwrap().signing.content),
        headers(&rtds_content(&format!("{file}_RESPONSE_GBCS.HEX")))
    );
    let sent = headers(&rtds_content(&format!("{file}_COMMAND_GBCS.HEX")));
    let answers: Vec<GasPayload> = headers(&read(&mut gas, 1008))
        .into_iter()
        .map(|(cluster, frame_control, sequence, command, payload)| {
            let c = Component {
                control: 0,
                cluster,
                from: None,
                additional_header: None,
                frame_control,
                sequence,
                command,
                payload: payload.clone(),
            };
            gas_payload(&c, &payload).unwrap().unwrap()
        })
        .collect();
    let special = answers
        .iter()
        .find_map(|a| match a {
            GasPayload::TariffAnswer(TariffPayload::PublishSpecialDays { days, .. }) => Some(days),
            _ => None,
        })
        .unwrap();
    assert_eq!(special.len(), 10);
    let (_, _, _, _, published) = &sent[8];
    assert!(published.ends_with(&[0x73, 0x05, 0x19, 0xFF, 0x02]));
    // 2015-01-01 is a special day of day profile 2: tier 2's price.
    let price = answers
        .iter()
        .find_map(|a| match a {
            GasPayload::TariffAnswer(TariffPayload::PublishPrice { price, .. }) => Some(*price),
            _ => None,
        })
        .unwrap();
    assert_eq!(price, 10_200);
    // Charged by the calendar: in the season from 20 March, tier 1 (9,600) on weekdays and
    // tier 2 (10,200) at the weekend; from 21 June, tiers 3 and 4 (10,750, 11,000); the
    // standing charge 22,465 a day.
    let monday = period_of(Utc.with_ymd_and_hms(2031, 4, 7, 0, 0, 0).unwrap());
    let summer = period_of(Utc.with_ymd_and_hms(2031, 6, 23, 0, 0, 0).unwrap());
    for (first, price) in [
        (monday, 9_600),
        (monday + 5 * 48, 10_200),
        (summer, 10_750),
        (summer + 6 * 48, 11_000),
    ] {
        let day = first..first + 48;
        let wh: u64 = day
            .clone()
            .map(|p| u64::from(gas.litres(p)) * dccsim::device::WH_PER_M3 / 1000)
            .sum();
        let flat = dccsim::device::Tariff {
            unit_rate: price,
            standing_charge: 22_465,
        };
        assert_eq!(gas.cost(day), flat.cost(wh, 48), "{price}");
    }

    // Future-dated, then cancelled: nothing held, nothing changed.
    let before = gas.gas_tariff();
    let file = "1.1.1_GCS01a/GCS01a_1.1.1_FUTURE_DATED_BLOCK_SUCCESS_COMMAND_GBCS.HEX";
    gas.handle(
        &rtds_signed(file, RTDS_GSME, GCS01A, 1010, &keys),
        at,
        &keys,
        acb(),
    )
    .unwrap();
    assert_eq!(gas.next_due(), Some(due));
    let file = "1.1.1_GCS01a/GCS01a_1.1.1_CANCELLATION_BLOCK_SUCCESS_COMMAND_GBCS.HEX";
    gas.handle(
        &rtds_signed(file, RTDS_GSME, GCS01A, 1011, &keys),
        at,
        &keys,
        acb(),
    )
    .unwrap();
    assert_eq!(gas.next_due(), None);
    assert_eq!(gas.gas_tariff(), before);
    // Unsigned, a tariff is refused.
    let file = "1.1.1_GCS01a/GCS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_COMMAND_GBCS.HEX";
    let unsigned = rtds_command(
        &file.replace("_SUCCESS_COMMAND_GBCS.HEX", ""),
        RTDS_GSME,
        GCS01A,
        1012,
        &keys,
    );
    assert!(matches!(
        gas.handle(&unsigned, at, &keys, acb()),
        Err(DeviceError::Signature(_))
    ));
}

fn gbz_switch(minute: u16, tier: u8) -> dccsim::protocol::gbcs::gbz::Switch {
    dccsim::protocol::gbcs::gbz::Switch { minute, tier }
}

/// 2.1 and 4.13 to the RTDS gas meter at the RTDS's time: the prepayment configuration read
/// answers as the RTDS meter does, byte for byte; a configuration published at once is answered
/// with the RTDS's Default Responses and read back; one future-dated is held, then taken up at
/// its time with the RTDS's six 8F66 alerts, byte for byte; a cancellation withdraws what is
/// held.
#[test]
fn a_gas_prepay_configuration_is_published_held_taken_up_and_read_back() {
    use dccsim::device::{GCS05, GCS21B};
    let keys = keys();
    let at = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap();
    let mut gas = rtds_meter(at);
    let read = "4.13_GCS21b/GCS21b_4.13_SUCCESS_COMMAND_GBCS.HEX";
    assert_eq!(
        headers(&rtds_read(&mut gas, read, GCS21B, 999, at, &keys)),
        headers(&rtds_content(
            "4.13_GCS21b/GCS21b_4.13_SUCCESS_RESPONSE_GBCS.HEX"
        ))
    );
    let installed = gas.prepay_configuration();
    // At once.
    let file = "2.1_GCS05/GCS05_2.1_IMMEDIATE_SUCCESS";
    let command = rtds_signed(
        &format!("{file}_COMMAND_GBCS.HEX"),
        RTDS_GSME,
        GCS05,
        1000,
        &keys,
    );
    let answer = gas.handle(&command, at, &keys, acb()).unwrap();
    assert_eq!(
        headers(&GbcsMessage::decode(&answer).unwrap().signing.content),
        headers(&rtds_content(&format!("{file}_RESPONSE_GBCS.HEX")))
    );
    let set = gas.prepay_configuration();
    assert_eq!(
        (
            set.emergency_limit,
            set.emergency_threshold,
            set.debt_cap,
            set.low_credit,
            set.max_credit,
            set.max_per_top_up
        ),
        (
            10_000_000, 100_000, 100_000, 5_000_000, 25_000_000, 25_000_000
        )
    );
    assert_eq!(set.friendly.days.len(), 3);
    assert_eq!(
        set.friendly.days[0].1,
        [gbz_switch(0, 1), gbz_switch(480, 0), gbz_switch(1080, 1)]
    );
    assert_eq!(set.friendly_special_days.len(), 4);
    // Read back: the new values and calendar.
    let content = rtds_read(&mut gas, read, GCS21B, 1001, at, &keys);
    let answers = headers(&content);
    assert_eq!(answers.len(), 2 + 3 + 2 + 1 + 1);
    let (_, _, _, _, days) = &answers[2];
    assert!(days.ends_with(&[0x00, 0x00, 0x01, 0xE0, 0x01, 0x00, 0x38, 0x04, 0x01]));
    // Future-dated, with the RTDS's counter: held until 2030-01-15 09:00.
    let file = "2.1_GCS05/GCS05_2.1_FUTURE_DATED_SUCCESS";
    let mut gas = rtds_meter(at);
    let command = rtds_signed(
        &format!("{file}_COMMAND_GBCS.HEX"),
        RTDS_GSME,
        GCS05,
        1001,
        &keys,
    );
    let answer = gas.handle(&command, at, &keys, acb()).unwrap();
    assert_eq!(
        headers(&GbcsMessage::decode(&answer).unwrap().signing.content),
        headers(&rtds_content(&format!("{file}_RESPONSE_GBCS.HEX")))
    );
    assert_eq!(gas.prepay_configuration(), installed);
    let due = Utc.with_ymd_and_hms(2030, 1, 15, 9, 0, 0).unwrap();
    assert_eq!(gas.next_due(), Some(due));
    let (to, alerts) = gas.due(due, &keys).unwrap().unwrap();
    assert_eq!(to, supplier());
    let mut sent: Vec<Vec<u8>> = alerts
        .iter()
        .map(|a| GbcsMessage::decode(a).unwrap().signing.content)
        .collect();
    let mut expected: Vec<Vec<u8>> = [
        "EMERGENCY_CREDIT_SETUP",
        "PUBLISH_CALENDAR",
        "PUBLISH_SPECIAL_DAYS",
        "SET_LOW_CREDIT_WARNING_LEVEL",
        "SET_MAXIMUM_CREDIT_LIMIT",
        "SET_OVERALL_DEBT_CAP",
    ]
    .iter()
    .map(|what| {
        rtds_content(&format!(
            "2.1_GCS05/GCS05_2.1_8F66_FUTURE_DATED_SUCCESS_ALERT_{what}_GBCS.HEX"
        ))
    })
    .collect();
    sent.sort();
    expected.sort();
    assert_eq!(sent, expected);
    assert_eq!(gas.prepay_configuration(), set);
    // Held, then cancelled: nothing changes.
    let future = format!("{file}_COMMAND_GBCS.HEX");
    gas.handle(
        &rtds_signed(&future, RTDS_GSME, GCS05, 1002, &keys),
        at,
        &keys,
        acb(),
    )
    .unwrap();
    assert_eq!(gas.next_due(), Some(due));
    let cancel = "2.1_GCS05/GCS05_2.1_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX";
    gas.handle(
        &rtds_signed(cancel, RTDS_GSME, GCS05, 1003, &keys),
        at,
        &keys,
        acb(),
    )
    .unwrap();
    assert_eq!(gas.next_due(), None);
    assert_eq!(gas.prepay_configuration(), set);
}

/// 2.3 to the RTDS gas meter: the RTDS's three ChangeDebts (time debts 1 and 2, the payment
/// debt, each added to what is owed) are answered as the RTDS meter answers them; 4.3 then
/// reports the debts and 4.13 their recovery settings.
#[test]
fn a_gas_debt_update_is_recorded_and_reported() {
    use dccsim::device::{GCS04, GCS14, GCS21B};
    let keys = keys();
    let at = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap();
    let mut gas = rtds_meter(at);
    let file = "2.3_GCS04/GCS04_2.3_SUCCESS";
    let command = rtds_signed(
        &format!("{file}_COMMAND_GBCS.HEX"),
        RTDS_GSME,
        GCS04,
        1000,
        &keys,
    );
    let answer = gas.handle(&command, at, &keys, acb()).unwrap();
    assert_eq!(
        headers(&GbcsMessage::decode(&answer).unwrap().signing.content),
        headers(&rtds_content(&format!("{file}_RESPONSE_GBCS.HEX")))
    );
    // Twice: incremental, so owed twice over.
    let again = rtds_signed(
        &format!("{file}_COMMAND_GBCS.HEX"),
        RTDS_GSME,
        GCS04,
        1001,
        &keys,
    );
    gas.handle(&again, at, &keys, acb()).unwrap();
    let ask = GasPayload::ReadPrepaymentAttributes {
        attributes: dccsim::protocol::gbcs::gbz::PREPAY_VALUES.to_vec(),
    };
    let got = answers(
        &gas.handle(
            &send(RTDS_GSME, GCS14, &[ask], 1002, false, &keys),
            at,
            &keys,
            acb(),
        )
        .unwrap(),
        &keys,
        false,
    );
    let [
        GasPayload::PrepayValues {
            accumulated_debt,
            payment_debt,
            time_debt,
            ..
        },
    ] = &got[..]
    else {
        panic!("{got:?}")
    };
    assert_eq!(
        (*accumulated_debt, *payment_debt, *time_debt),
        (5_000_000, 2_000_000, [2_000_000, 1_000_000])
    );
    // 4.13: debt 1 recovered at 50,000 a day, debt 2 at 50,000 an hour, debt 3 at 1.00 % of
    // each top-up.
    let read = "4.13_GCS21b/GCS21b_4.13_SUCCESS_COMMAND_GBCS.HEX";
    let content = rtds_read(&mut gas, read, GCS21B, 1003, at, &keys);
    let (_, _, _, _, attributes) = &headers(&content)[0];
    let records = dccsim::protocol::gbcs::gbz::read_attributes_response(attributes).unwrap();
    let value = |id: u16| {
        records
            .iter()
            .find(|a| a.id == id)
            .and_then(|a| a.value.clone())
            .unwrap()
    };
    use dccsim::protocol::gbcs::gbz::ZclValue::Unsigned;
    assert_eq!(value(0x0216), Unsigned(1));
    assert_eq!(value(0x0226), Unsigned(0));
    assert_eq!(value(0x0217), Unsigned(50_000));
    assert_eq!(value(0x0227), Unsigned(50_000));
    assert_eq!(value(0x0239), Unsigned(100));
}

/// The payment debt a 2.3 set (the RTDS's: £20 owed twice over… here once, at 1.00 % of each
/// top-up) takes its share of a top-up: a £50 top-up repays £0.50 and credits £49.50; 4.3 then
/// reports £19.50 owed, 4.4.4 the repayment, and the balance worked back to before the top-up
/// is what it was.
#[test]
fn a_top_up_repays_the_payment_debt_its_share() {
    use dccsim::device::{GCS04, GCS14, GCS15D};
    use dccsim::protocol::gbcs::gbz::DebtEntry;
    let keys = keys();
    let at = Utc.with_ymd_and_hms(2015, 1, 1, 12, 0, 0).unwrap();
    let mut gas = rtds_meter(at);
    gas.set_prepayment(500, at - Duration::days(1));
    let file = "2.3_GCS04/GCS04_2.3_SUCCESS_COMMAND_GBCS.HEX";
    let command = rtds_signed(file, RTDS_GSME, GCS04, 1000, &keys);
    gas.handle(&command, at, &keys, acb()).unwrap();
    let before = gas.credit_milli_pence(period_of(at));
    // The credit the daily snapshot gives at midnight, before the top-up at noon.
    let midnight = |gas: &mut GasMeter, counter| {
        use dccsim::protocol::gbcs::gbz::{DAILY_SNAPSHOT, PrepaySnapshotPayload};
        let ask = GasPayload::PrepaySnapshotRequest {
            earliest: to_gbcs_seconds(at - Duration::days(1)).unwrap(),
            latest: to_gbcs_seconds(at).unwrap(),
            offset: 0,
            cause: DAILY_SNAPSHOT,
        };
        let bytes = send(
            RTDS_GSME,
            dccsim::device::GCS16B,
            &[ask],
            counter,
            false,
            &keys,
        );
        let got = answers(&gas.handle(&bytes, at, &keys, acb()).unwrap(), &keys, false);
        match &got[..] {
            [
                GasPayload::PrepaySnapshot {
                    payload:
                        PrepaySnapshotPayload::DebtCreditStatus {
                            credit_remaining, ..
                        },
                    ..
                },
            ] => *credit_remaining,
            other => panic!("{other:?}"),
        }
    };
    let worked_back = midnight(&mut gas, 1100);
    let utrn = Utrn::make(
        &keys,
        supplier(),
        RTDS_GSME,
        1 << 32,
        50,
        ValueClass::Pounds,
    )
    .unwrap();
    let top_up = GasPayload::TopUp {
        origin: 0,
        utrn: utrn.digits(),
    };
    gas.handle(
        &send(RTDS_GPF, CS01B, &[top_up], 1200, false, &keys),
        at,
        &keys,
        acb(),
    )
    .unwrap();
    assert_eq!(gas.credit_milli_pence(period_of(at)), before + 4_950_000);
    // Worked back past the top-up and its repayment, midnight's credit is what it was.
    assert_eq!(midnight(&mut gas, 1201), worked_back);
    let ask = GasPayload::ReadPrepaymentAttributes {
        attributes: dccsim::protocol::gbcs::gbz::PREPAY_VALUES.to_vec(),
    };
    let bytes = send(RTDS_GSME, GCS14, &[ask], 1202, false, &keys);
    let got = answers(&gas.handle(&bytes, at, &keys, acb()).unwrap(), &keys, false);
    let [GasPayload::PrepayValues { payment_debt, .. }] = &got[..] else {
        panic!("{got:?}")
    };
    assert_eq!(*payment_debt, 950_000);
    let ask = GasPayload::DebtLogRequest {
        latest: u32::MAX,
        count: 10,
        debt_type: 2,
    };
    let bytes = send(RTDS_GSME, GCS15D, &[ask], 1203, false, &keys);
    let got = answers(&gas.handle(&bytes, at, &keys, acb()).unwrap(), &keys, false);
    let [GasPayload::DebtLog { entries, .. }] = &got[..] else {
        panic!("{got:?}")
    };
    let time = dccsim::protocol::gbcs::payload::to_gbcs_seconds(at).unwrap();
    assert_eq!(
        entries,
        &[DebtEntry {
            time,
            amount: 50_000,
            debt_type: 2,
            outstanding: 950_000
        }]
    );
    // Debt 1 (by time) has had no repayment from the top-up.
    let ask = GasPayload::DebtLogRequest {
        latest: u32::MAX,
        count: 10,
        debt_type: 0,
    };
    let bytes = send(RTDS_GSME, GCS15D, &[ask], 1204, false, &keys);
    let got = answers(&gas.handle(&bytes, at, &keys, acb()).unwrap(), &keys, false);
    assert!(
        matches!(got[..], [GasPayload::DefaultResponse { .. }]),
        "{got:?}"
    );
}
