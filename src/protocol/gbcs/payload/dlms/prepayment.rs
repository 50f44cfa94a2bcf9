//! Payment mode changes (ECS02, ECS03): the credit charge configuration, the account mode,
//! their activation time, and the outcomes a future-dated change reports.

use super::*;

/// An account's credit charge configuration (IC 111 attribute 11) for payment mode `mode`:
/// which credit pays which charge, and when, as a 1.6 command sets it and 4.13 reads it back.
pub fn credit_charge_configuration(mode: &NewPaymentMode, twin_element: bool) -> Data {
    Data::Array(
        credit_charges(mode, twin_element)
            .into_iter()
            .map(|(credit, charge, bits)| {
                Data::Structure(vec![
                    Data::OctetString(vec![0, 0, 19, 10, credit, 255]),
                    Data::OctetString(vec![0, 0, 19, 20, charge, 255]),
                    Data::BitString {
                        bits: 3,
                        bytes: vec![bits],
                    },
                ])
            })
            .collect(),
    )
}

/// The credits (`0-0:19.10.c.255`) and charges (`0-0:19.20.h.255`) a 1.6 command configures,
/// as (credit, charge, collection bits), in the order the RTDS commands list them — a rule
/// read off the RTDS's eight commands, not GBCS's tables. Credit mode: the meter balance pays
/// charges 0 and 4. Prepayment: the balance and credit 1 pay charges 0–4, charges 1 and 2 not
/// collected while suspended (bits 110) when `suspend_debt_disabled`; credit 2's three
/// entries when `suspend_debt_emergency`. A twin-element meter's commands also configure
/// charge 5 (its second element's), for each credit that pays.
fn credit_charges(mode: &NewPaymentMode, twin_element: bool) -> Vec<(u8, u8, u8)> {
    let mut entries = Vec::new();
    match *mode {
        NewPaymentMode::Credit => {
            entries.extend([(0, 0, COLLECTED_ALWAYS), (0, 4, COLLECTED_ALWAYS)]);
            if twin_element {
                entries.push((0, 5, COLLECTED_ALWAYS));
            }
        }
        NewPaymentMode::Prepayment {
            suspend_debt_disabled,
            suspend_debt_emergency,
            ..
        } => {
            let debt = if suspend_debt_disabled {
                COLLECTED_NOT_SUSPENDED
            } else {
                COLLECTED_ALWAYS
            };
            for (credit, charges) in [(0, [0, 4, 1, 2, 3]), (1, [3, 0, 4, 1, 2])] {
                entries.extend(charges.iter().map(|&charge| {
                    let bits = if matches!(charge, 1 | 2) {
                        debt
                    } else {
                        COLLECTED_ALWAYS
                    };
                    (credit, charge, bits)
                }));
            }
            if suspend_debt_emergency {
                entries.extend([4, 1, 2].map(|charge| (2, charge, COLLECTED_ALWAYS)));
            }
            if twin_element {
                entries.extend([(0, 5, COLLECTED_ALWAYS), (1, 5, COLLECTED_ALWAYS)]);
            }
        }
    }
    entries
}

/// A 1.6 command's activation time: all zeros for at once, unspecified (all 0xFF) to cancel.
pub(super) fn activation_time(activation: &Activation) -> Data {
    let marker = |b: u8| Data::OctetString([[b; 9].as_slice(), &[0x80, 0x00, 0xFF]].concat());
    match activation {
        Activation::Now => marker(0x00),
        Activation::Cancel => marker(0xFF),
        Activation::At(t) => command_date_time(*t),
    }
}

pub(super) fn activation_of(d: &Data) -> Option<Activation> {
    let bytes = d.as_octets()?;
    Some(match bytes.get(..2)? {
        [0x00, 0x00] => Activation::Now,
        [0xFF, 0xFF] => Activation::Cancel,
        _ => Activation::At(date_time(d)?),
    })
}

/// ECS02 (`mode` credit) or ECS03 (prepayment): sets of the account's mode, its credit charge
/// configuration and activation time, and for prepayment the disablement threshold and its
/// activation time.
pub(super) fn payment_mode_command(
    counter: u64,
    mode: &NewPaymentMode,
    activation: &Activation,
    twin_element: bool,
) -> AccessRequest {
    let set = |class_id, instance, attribute| {
        RequestSpec::Set(crate::protocol::dlms::AttributeDescriptor {
            class_id,
            instance: crate::protocol::dlms::Obis(instance),
            attribute,
        })
    };
    let account = |attribute| set(ACCOUNT, ACCOUNT_OBIS, attribute);
    let threshold = |attribute| set(DISABLEMENT_THRESHOLD, DISABLEMENT_THRESHOLD_OBIS, attribute);
    let charges = credit_charge_configuration(mode, twin_element);
    // Mode (1 credit, 2 prepayment) and account status 1, as the RTDS commands set them.
    let status = |mode| Data::Structure(vec![Data::Enum(mode), Data::Enum(1)]);
    let (specs, data) = match *mode {
        NewPaymentMode::Credit => (
            vec![
                account(ACCOUNT_MODE),
                account(CREDIT_CHARGES),
                account(ACCOUNT_ACTIVATION),
            ],
            vec![status(1), charges, activation_time(activation)],
        ),
        NewPaymentMode::Prepayment {
            disablement_threshold,
            ..
        } => (
            vec![
                account(ACCOUNT_MODE),
                threshold(THRESHOLD),
                account(CREDIT_CHARGES),
                threshold(THRESHOLD_ACTIVATION),
                account(ACCOUNT_ACTIVATION),
            ],
            vec![
                status(2),
                Data::DoubleLong(disablement_threshold),
                charges,
                activation_time(activation),
                activation_time(activation),
            ],
        ),
    };
    AccessRequest {
        invoke_id: invoke_id(counter),
        date_time: Vec::new(),
        specs,
        data,
    }
}

/// The meaning of an ECS02 or ECS03 command: each set read by the attribute it names.
pub(super) fn payment_mode_of(r: &AccessRequest) -> Option<Reading> {
    let (mut prepayment, mut threshold, mut charges, mut activation) = (None, None, None, None);
    for (spec, data) in r.specs.iter().zip(&r.data) {
        let RequestSpec::Set(a) = spec else {
            return None;
        };
        match (a.class_id, a.attribute) {
            (ACCOUNT, ACCOUNT_MODE) => match data.items()?.first()? {
                Data::Enum(1) => prepayment = Some(false),
                Data::Enum(2) => prepayment = Some(true),
                _ => return None,
            },
            (ACCOUNT, CREDIT_CHARGES) => charges = Some(data.items()?),
            (ACCOUNT, ACCOUNT_ACTIVATION) => activation = Some(activation_of(data)?),
            (DISABLEMENT_THRESHOLD, THRESHOLD) => match data {
                Data::DoubleLong(t) => threshold = Some(*t),
                _ => return None,
            },
            (DISABLEMENT_THRESHOLD, THRESHOLD_ACTIVATION) => {}
            _ => return None,
        }
    }
    // (credit, charge, bits) of each configured entry.
    let entries = charges?
        .iter()
        .map(|e| match e.items()? {
            [credit, charge, Data::BitString { bytes, .. }] => Some((
                *credit.as_octets()?.get(4)?,
                *charge.as_octets()?.get(4)?,
                *bytes.first()?,
            )),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let mode = if prepayment? {
        NewPaymentMode::Prepayment {
            disablement_threshold: threshold?,
            suspend_debt_disabled: entries.contains(&(0, 1, COLLECTED_NOT_SUSPENDED)),
            suspend_debt_emergency: entries.iter().any(|&(credit, _, _)| credit == 2),
        }
    } else {
        NewPaymentMode::Credit
    };
    Some(Reading::PaymentMode {
        mode,
        activation: activation?,
        twin_element: entries.iter().any(|&(_, charge, _)| charge == 5),
    })
}

/// What a held ECS02 or ECS03 command (use case `code`, originator counter `counter`) names in
/// the 8F66 alerts the meter sends when it carries it out, one per activation time it set: the
/// disablement threshold's first (ECS03), then the account's.
pub fn payment_mode_outcomes(code: u16, counter: u64) -> Vec<FutureDatedOutcome> {
    let outcome = |class_id, instance, attribute| FutureDatedOutcome {
        message_code: code,
        originator_counter: counter,
        class_id,
        instance: crate::protocol::dlms::Obis(instance),
        attribute,
    };
    let account = outcome(ACCOUNT, ACCOUNT_OBIS, ACCOUNT_ACTIVATION);
    if code == ECS03 {
        let threshold = outcome(
            DISABLEMENT_THRESHOLD,
            DISABLEMENT_THRESHOLD_OBIS,
            THRESHOLD_ACTIVATION,
        );
        vec![threshold, account]
    } else {
        vec![account]
    }
}
