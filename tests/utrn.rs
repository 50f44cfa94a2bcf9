//! Top-up codes (UTRNs, GBCS §14) against the RTDS: the codes in its CS01a and CS01b commands
//! decode to their value and counter, their MACs verify with the supplier's prepayment key from
//! the RTDS keystore, and making a code from the same value and counter gives the RTDS digits.

use std::path::{Path, PathBuf};

use dccsim::model::Eui64;
use dccsim::protocol::gbcs::{KeyStore, Utrn, UtrnError, ValueClass};

fn keystore() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/gbcs-rtds/keystore")
}

fn eui(s: &str) -> Eui64 {
    s.parse().unwrap()
}

const SUPPLIER: &str = "90-B3-D5-1F-30-01-00-00";

/// The RTDS top-ups: (UTRN, device, the command's originator counter, value in pence).
const RTDS: [(&str, &str, u64, u32); 2] = [
    // 2.2_CS01a/CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX, to the electricity meter: £10.
    (
        "73946144332040217315",
        "00-DB-12-34-56-78-90-A0",
        12_884_901_888,
        1000,
    ),
    // 2.2_CS01b/CS01b_2.2_SUCCESS_COMMAND_GBCS.HEX, to the gas meter: 1,250p, what the meter's
    // RTDS answer says it credited (1,250,000 in the prepayment cluster's units of 1/1000 p).
    (
        "73950067887105178605",
        "00-DB-12-34-56-78-90-A1",
        25_769_803_776,
        1250,
    ),
];

#[test]
fn rtds_top_ups_decode_and_verify() {
    let keys = KeyStore::load(&keystore()).unwrap();
    for (digits, device, counter, pence) in RTDS {
        let utrn = Utrn::parse(digits).unwrap();
        assert_eq!(u64::from(utrn.counter_bits) << 32, counter, "{digits}");
        assert_eq!(utrn.pence(), pence, "{digits}");
        assert_eq!(utrn.counter_near(0), counter);
        utrn.verify(&keys, eui(SUPPLIER), eui(device), counter)
            .unwrap_or_else(|e| panic!("{digits}: {e}"));
        // The same code is not valid for another device, nor for another counter.
        let other = if device.ends_with("A0") {
            RTDS[1].1
        } else {
            RTDS[0].1
        };
        assert!(matches!(
            utrn.verify(&keys, eui(SUPPLIER), eui(other), counter),
            Err(UtrnError::Mac { .. })
        ));
        assert!(
            utrn.verify(&keys, eui(SUPPLIER), eui(device), counter + (1 << 32))
                .is_err()
        );
    }
}

#[test]
fn made_codes_are_the_rtds_digits() {
    let keys = KeyStore::load(&keystore()).unwrap();
    for (digits, device, counter, _) in RTDS {
        let rtds = Utrn::parse(digits).unwrap();
        let made = Utrn::make(
            &keys,
            eui(SUPPLIER),
            eui(device),
            counter,
            u32::from(rtds.value),
            rtds.class,
        )
        .unwrap();
        assert_eq!(made.digits(), digits);
    }
}

#[test]
fn the_zaz1_keystore_holds_the_same_prepayment_keys() {
    let json = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/zaz1-keystore.json"),
    )
    .unwrap();
    let mut keys = KeyStore::load(&keystore()).unwrap();
    // Only the device's public key from the RTDS folder; the supplier's keys from ZAZ1.
    keys.forget(eui(SUPPLIER));
    keys.add_zaz1(&json).unwrap();
    let (digits, device, counter, _) = RTDS[0];
    Utrn::parse(digits)
        .unwrap()
        .verify(&keys, eui(SUPPLIER), eui(device), counter)
        .unwrap();
}

#[test]
fn mistyped_and_malformed_codes_say_what_is_wrong() {
    let good = RTDS[0].0;
    // Any single mistyped digit is caught by the check digit.
    for i in 0..20 {
        for d in b'0'..=b'9' {
            let mut typo = good.as_bytes().to_vec();
            if typo[i] == d {
                continue;
            }
            typo[i] = d;
            let typo = String::from_utf8(typo).unwrap();
            assert!(
                matches!(Utrn::parse(&typo), Err(UtrnError::CheckDigit { .. })),
                "{typo}"
            );
        }
    }
    // Two neighbours swapped.
    let mut swapped = good.as_bytes().to_vec();
    swapped.swap(3, 4);
    assert!(Utrn::parse(std::str::from_utf8(&swapped).unwrap()).is_err());
    assert_eq!(Utrn::parse("1234"), Err(UtrnError::Length(4)));
    assert_eq!(
        Utrn::parse("7394614433204021731x"),
        Err(UtrnError::NotDigit {
            position: 20,
            found: 'x'
        })
    );
    // The RTDS error case's code: a well-formed number that is no token.
    let error = Utrn::parse("12345678910121314156");
    assert!(error.is_err(), "{error:?}");
    let e = error.unwrap_err().to_string();
    assert!(!e.is_empty());
}

#[test]
fn values_and_counters_out_of_range_are_refused() {
    let keys = KeyStore::load(&keystore()).unwrap();
    let (s, d) = (eui(SUPPLIER), eui(RTDS[0].1));
    assert_eq!(
        Utrn::make(&keys, s, d, 1 << 32, 8192, ValueClass::Pennies),
        Err(UtrnError::Value(8192))
    );
    assert_eq!(
        Utrn::make(&keys, s, d, (1 << 32) + 1, 5, ValueClass::Pennies),
        Err(UtrnError::Counter((1 << 32) + 1))
    );
    // A supplier without a prepayment key (the network operator).
    assert!(matches!(
        Utrn::make(
            &keys,
            eui("90-B3-D5-1F-30-02-00-00"),
            d,
            1 << 32,
            5,
            ValueClass::Pounds
        ),
        Err(UtrnError::NoKeys { .. })
    ));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn digits_round_trip(counter_bits in 0u16..1024, pounds: bool, value in 0u16..=8191, mac: u32) {
            let class = if pounds { ValueClass::Pounds } else { ValueClass::Pennies };
            let utrn = Utrn { counter_bits, class, value, mac };
            let digits = utrn.digits();
            prop_assert_eq!(digits.len(), 20);
            prop_assert_eq!(Utrn::parse(&digits), Ok(utrn));
        }

        #[test]
        fn any_text_is_read_or_refused_without_panic(text in "\\PC{0,24}") {
            let _ = Utrn::parse(&text);
        }

        #[test]
        fn any_twenty_digits_are_read_or_refused(digits in "[0-9]{20}") {
            if let Ok(u) = Utrn::parse(&digits) {
                prop_assert_eq!(u.digits(), digits);
            }
        }
    }
}
