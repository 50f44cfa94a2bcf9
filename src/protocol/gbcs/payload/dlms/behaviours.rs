//! How an electricity meter deals with its events and alerts, as GBCS and the RTDS 4.5.0
//! vectors carry it: 6.22 Configure Alert Behaviour sets it, 6.2.10 reads it back.
//!
//! A meter keeps one 256-bit filter per party and behaviour: the supplier's (`0-30:97.98.x`)
//! for its WAN alerts, HAN alerts, audible alarm and logging; the network operator's
//! (`0-33:97.98.x`) for its WAN alerts and logging. Bit `n` of a filter, counted from the last
//! bit of the bit string, is the party's alert code whose low byte is `n`: 0x81nn for the
//! supplier, 0x80nn for the network operator (810D is bit 13 of the supplier's filters).
//!
//! A 6.22 sets one filter (`0-b:97.98.11`–`14`, attribute 2) with a 512-bit string: the bits it
//! changes, then the value of each (1 enabled), so the codes it does not name keep their
//! behaviour. 6.2.10 gets the party's filters as they stand (`0-b:97.98.15`–`18`).

use serde::{Deserialize, Serialize};

use super::configuration::{Step, set, set_value};
use super::*;

/// 6.22 to an ESME: the supplier's WAN alerts (ECS25a), HAN alerts (ECS25a1), audible alarm
/// (ECS25a2), logging (ECS25a3); the network operator's WAN alerts (ECS25b) and logging
/// (ECS25b3).
pub const ECS25A: u16 = 0x00AC;
pub const ECS25A1: u16 = 0x00EA;
pub const ECS25A2: u16 = 0x00EB;
pub const ECS25A3: u16 = 0x00EC;
pub const ECS25B: u16 = 0x00B0;
pub const ECS25B3: u16 = 0x00ED;

/// Whose alerts a filter is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Party {
    Supplier,
    NetworkOperator,
}

impl Party {
    /// The high byte of the party's alert codes.
    pub const fn code_page(self) -> u8 {
        match self {
            Party::Supplier => 0x81,
            Party::NetworkOperator => 0x80,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Party::Supplier => "supplier",
            Party::NetworkOperator => "network operator",
        }
    }

    /// The B field of its filters' logical names.
    const fn channel(self) -> u8 {
        match self {
            Party::Supplier => 30,
            Party::NetworkOperator => 33,
        }
    }

    /// What the party may configure, in the order its read (ECS25r1, ECS25r2) gives them.
    pub const fn behaviours(self) -> &'static [Behaviour] {
        match self {
            Party::Supplier => &[
                Behaviour::Alert,
                Behaviour::HanAlert,
                Behaviour::AudibleAlarm,
                Behaviour::Logging,
            ],
            Party::NetworkOperator => &[Behaviour::Alert, Behaviour::Logging],
        }
    }
}

/// What a filter decides of an event: whether it is sent as an alert over the WAN, sent over
/// the HAN, sounds the meter's alarm, or is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Behaviour {
    Alert,
    HanAlert,
    AudibleAlarm,
    Logging,
}

impl Behaviour {
    /// Its place among a party's filters (group E of the logical names: 11 + this to set,
    /// 15 + this to read).
    const fn index(self) -> u8 {
        match self {
            Behaviour::Alert => 0,
            Behaviour::HanAlert => 1,
            Behaviour::AudibleAlarm => 2,
            Behaviour::Logging => 3,
        }
    }
}

/// The object a 6.22 sets for `party`'s `behaviour`.
pub const fn set_object(party: Party, behaviour: Behaviour) -> [u8; 6] {
    [0, party.channel(), 97, 98, 11 + behaviour.index(), 255]
}

/// The 6.22 use case that sets `party`'s `behaviour`; `None` for one GBCS gives no party (the
/// network operator's HAN alerts and audible alarm).
pub const fn use_case(party: Party, behaviour: Behaviour) -> Option<u16> {
    Some(match (party, behaviour) {
        (Party::Supplier, Behaviour::Alert) => ECS25A,
        (Party::Supplier, Behaviour::HanAlert) => ECS25A1,
        (Party::Supplier, Behaviour::AudibleAlarm) => ECS25A2,
        (Party::Supplier, Behaviour::Logging) => ECS25A3,
        (Party::NetworkOperator, Behaviour::Alert) => ECS25B,
        (Party::NetworkOperator, Behaviour::Logging) => ECS25B3,
        _ => return None,
    })
}

/// Whose filter, of what, 6.22 use case `code` sets; `None` if it is not one.
pub const fn configured_by(code: u16) -> Option<(Party, Behaviour)> {
    Some(match code {
        ECS25A => (Party::Supplier, Behaviour::Alert),
        ECS25A1 => (Party::Supplier, Behaviour::HanAlert),
        ECS25A2 => (Party::Supplier, Behaviour::AudibleAlarm),
        ECS25A3 => (Party::Supplier, Behaviour::Logging),
        ECS25B => (Party::NetworkOperator, Behaviour::Alert),
        ECS25B3 => (Party::NetworkOperator, Behaviour::Logging),
        _ => return None,
    })
}

/// 256 bits, one per alert code of a party: bit `n` (from the last) for code `page·256 + n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct AlertFilter(pub [u8; 32]);

impl AlertFilter {
    pub const NONE: AlertFilter = AlertFilter([0; 32]);

    /// The filter with the bits of `codes` set (their low bytes).
    pub const fn of_codes(codes: &[u16]) -> AlertFilter {
        let mut bytes = [0; 32];
        let mut i = 0;
        while i < codes.len() {
            let n = (codes[i] & 0xFF) as usize;
            bytes[31 - n / 8] |= 1 << (n % 8);
            i += 1;
        }
        AlertFilter(bytes)
    }

    fn place(code: u16) -> (usize, u8) {
        let n = usize::from(code as u8);
        (31 - n / 8, 1 << (n % 8))
    }

    /// Whether the bit of `code` (its low byte) is set.
    pub fn has(&self, code: u16) -> bool {
        let (byte, bit) = Self::place(code);
        self.0[byte] & bit != 0
    }

    pub fn set(&mut self, code: u16, on: bool) {
        let (byte, bit) = Self::place(code);
        if on {
            self.0[byte] |= bit;
        } else {
            self.0[byte] &= !bit;
        }
    }

    /// The codes of `party` whose bits are set, lowest first.
    pub fn codes(&self, party: Party) -> impl Iterator<Item = u16> + '_ {
        let page = u16::from(party.code_page()) << 8;
        (0..=255u16).map(move |n| page | n).filter(|&c| self.has(c))
    }

    /// As GBCS carries it: a 256-bit string.
    pub fn data(&self) -> Data {
        Data::BitString {
            bits: 256,
            bytes: self.0.to_vec(),
        }
    }

    /// Read back from [`AlertFilter::data`]'s shape; `None` for another.
    pub fn of(d: &Data) -> Option<AlertFilter> {
        match d {
            Data::BitString { bits: 256, bytes } => {
                Some(AlertFilter(bytes.as_slice().try_into().ok()?))
            }
            _ => None,
        }
    }
}

/// What a 6.22 asks of one of `party`'s filters: the codes whose behaviour it changes, and
/// which of those it enables (the others it disables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BehaviourChange {
    pub party: Party,
    pub changed: AlertFilter,
    pub enabled: AlertFilter,
}

impl BehaviourChange {
    /// A change of none of `party`'s codes.
    pub fn new(party: Party) -> BehaviourChange {
        BehaviourChange {
            party,
            changed: AlertFilter::NONE,
            enabled: AlertFilter::NONE,
        }
    }

    /// Enables or disables `code`; false, changing nothing, if it is not one of the party's
    /// codes.
    pub fn put(&mut self, code: u16, enable: bool) -> bool {
        if code >> 8 != u16::from(self.party.code_page()) {
            return false;
        }
        self.changed.set(code, true);
        self.enabled.set(code, enable);
        true
    }

    /// `filter` with this change made: the codes named take their new value, the rest stay.
    pub fn apply(&self, filter: AlertFilter) -> AlertFilter {
        let mut out = filter;
        for ((o, c), e) in out.0.iter_mut().zip(self.changed.0).zip(self.enabled.0) {
            *o = (*o & !c) | (e & c);
        }
        out
    }

    /// The codes it enables, then those it disables, lowest first.
    pub fn codes(&self) -> (Vec<u16>, Vec<u16>) {
        self.changed
            .codes(self.party)
            .partition(|&c| self.enabled.has(c))
    }

    /// As GBCS carries it: a 512-bit string, the changed bits then their values. A value bit
    /// outside the changed ones is dropped.
    pub fn data(&self) -> Data {
        let mut bytes = self.changed.0.to_vec();
        bytes.extend(
            self.enabled
                .0
                .iter()
                .zip(self.changed.0)
                .map(|(e, c)| e & c),
        );
        Data::BitString { bits: 512, bytes }
    }

    /// A change of `party`'s filter read back from [`BehaviourChange::data`]'s shape; `None`
    /// for another, or for a value set for a code the change does not name.
    pub fn of(party: Party, d: &Data) -> Option<BehaviourChange> {
        let Data::BitString { bits: 512, bytes } = d else {
            return None;
        };
        let (changed, enabled) = bytes.split_at_checked(32)?;
        let change = BehaviourChange {
            party,
            changed: AlertFilter(changed.try_into().ok()?),
            enabled: AlertFilter(enabled.try_into().ok()?),
        };
        let stray = change
            .enabled
            .0
            .iter()
            .zip(change.changed.0)
            .any(|(e, c)| e & !c != 0);
        (!stray).then_some(change)
    }
}

/// Shown as the codes it enables and disables, in hex as DUIS names them (`810D`).
impl Serialize for BehaviourChange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let hex = |codes: Vec<u16>| -> Vec<String> {
            codes.into_iter().map(|c| format!("{c:04X}")).collect()
        };
        let (enable, disable) = self.codes();
        let mut s = serializer.serialize_struct("BehaviourChange", 3)?;
        s.serialize_field("party", &self.party)?;
        s.serialize_field("enable", &hex(enable))?;
        s.serialize_field("disable", &hex(disable))?;
        s.end()
    }
}

/// The steps of a 6.22 of use case `code`: one set of its filter.
pub(super) fn steps(code: u16, reading: &Reading) -> Option<Vec<Step>> {
    let Reading::AlertBehaviour(change) = reading else {
        return None;
    };
    let (party, behaviour) = configured_by(code)?;
    if change.party != party {
        return None;
    }
    Some(vec![set(
        DATA,
        set_object(party, behaviour),
        2,
        change.data(),
    )])
}

/// What 6.22 command `r` of use case `code` asks; `None` when it is not exactly that.
pub(super) fn behaviour_of(code: u16, r: &AccessRequest) -> Option<Reading> {
    let (party, behaviour) = configured_by(code)?;
    let change = BehaviourChange::of(party, set_value(r, set_object(party, behaviour), 2)?)?;
    let reading = Reading::AlertBehaviour(Box::new(change));
    let (specs, data): (Vec<_>, Vec<_>) = steps(code, &reading)?.into_iter().unzip();
    (specs == r.specs && data == r.data).then_some(reading)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::protocol::dlms::Apdu;

    fn party() -> impl Strategy<Value = Party> {
        prop_oneof![Just(Party::Supplier), Just(Party::NetworkOperator)]
    }

    proptest! {
        /// A change of any of a party's codes goes out as its use case's command and reads
        /// back as the same change under that use case only; made to a filter, it sets the
        /// codes named and leaves the others.
        #[test]
        fn a_change_round_trips_and_touches_only_its_codes(
            party in party(),
            asks in proptest::collection::vec((any::<u8>(), any::<bool>()), 0..40),
            before in any::<[u8; 32]>(),
            counter in 1u64..1 << 40,
        ) {
            let mut change = BehaviourChange::new(party);
            for &(n, enable) in &asks {
                let code = u16::from(party.code_page()) << 8 | u16::from(n);
                prop_assert!(change.put(code, enable));
            }
            let other_page = u16::from(party.code_page() ^ 1) << 8;
            prop_assert!(!change.put(other_page, true));
            prop_assert_eq!(BehaviourChange::of(party, &change.data()), Some(change));
            let reading = Reading::AlertBehaviour(Box::new(change));
            for behaviour in party.behaviours() {
                let code = use_case(party, *behaviour).unwrap();
                let eui = crate::model::Eui64([1; 8]);
                let bytes = encode_command(code, &reading, counter, eui, eui).unwrap();
                let Ok(Apdu::AccessRequest(r)) = Apdu::decode(&bytes) else {
                    panic!("not an access request")
                };
                prop_assert_eq!(behaviour_of(code, &r), Some(reading.clone()));
                for other in [ECS25A, ECS25A1, ECS25A2, ECS25A3, ECS25B, ECS25B3] {
                    if other != code {
                        prop_assert_eq!(behaviour_of(other, &r), None);
                    }
                }
            }
            let after = change.apply(AlertFilter(before));
            let before = AlertFilter(before);
            for n in 0..=255u8 {
                let code = u16::from(party.code_page()) << 8 | u16::from(n);
                let asked = asks.iter().rev().find(|(m, _)| *m == n).map(|&(_, e)| e);
                prop_assert_eq!(after.has(code), asked.unwrap_or(before.has(code)));
            }
        }

        /// A 512-bit string with a value for a code it does not change is not a change.
        #[test]
        fn a_value_without_its_change_bit_is_refused(party in party(), n in any::<u8>()) {
            let mut bytes = vec![0; 64];
            bytes[32 + 31 - usize::from(n) / 8] = 1 << (n % 8);
            prop_assert_eq!(BehaviourChange::of(party, &Data::BitString { bits: 512, bytes }), None);
        }
    }
}
