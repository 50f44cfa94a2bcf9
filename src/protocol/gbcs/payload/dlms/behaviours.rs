//! How an electricity meter deals with its events and alerts, as GBCS and the RTDS 4.5.0
//! vectors carry it: 6.22 Configure Alert Behaviour sets it, 6.2.10 reads it back.
//!
//! A meter keeps one 256-bit filter per party and behaviour: the supplier's four
//! (`0-30:97.98.x`) of its WAN alerts, HAN alerts, audible alarm and logging; the network
//! operator's two (`0-33:97.98.x`) of its WAN alerts and logging. Bit `n` of a filter, counted from the last
//! bit of the bit string, is the party's alert code whose low byte is `n`: 0x81nn for the
//! supplier, 0x80nn for the network operator (810D is bit 13 of the supplier's filters).
//!
//! A 6.22 sets one filter (attribute 2 of `0-b:97.98.e`, e 11 + the behaviour's place: 11 to 14
//! for the supplier's, 11 and 14 for the network operator's) with a 512-bit string: the bits it
//! changes, then the value of each (1 enabled), so the codes it does not name keep their
//! behaviour. 6.2.10 gets the party's filters as they stand (e 15 + the place: 15 to 18, or 15
//! and 18).

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

/// The codes each group of DUIS's `ConfigureAlertBehaviour` may name (the DUIS 5.4 schema's
/// `SupplierESMECommon`, `…PolyPhase`, `NetworkOperatorESMECommon`, `…SinglePhase`,
/// `…PolyPhase`), by the group's element name, with whose they are and whether a poly-phase
/// meter's only.
pub const GROUPS: [(&str, Party, bool, &[u16]); 5] = [
    (
        "SupplierESMECommon",
        Party::Supplier,
        false,
        &[
            0x810D, 0x810E, 0x8119, 0x8145, 0x8154, 0x8155, 0x8161, 0x8162, 0x8168, 0x8183, 0x81A0,
            0x81A1, 0x81A2, 0x81A3, 0x81A4, 0x81A5, 0x81A6, 0x81A7, 0x81A8, 0x81A9, 0x81AA, 0x81AB,
            0x81AC, 0x81AD, 0x81AE, 0x81AF, 0x81B0, 0x81B1, 0x81B2, 0x81B3, 0x81B8, 0x81B9, 0x81BA,
            0x81BB, 0x81BC, 0x81BD, 0x81BE, 0x81C0, 0x81C1, 0x81C4, 0x81C5, 0x81C6,
        ],
    ),
    ("SupplierESMEPolyPhase", Party::Supplier, true, &[0x81B7]),
    (
        "NetworkOperatorESMECommon",
        Party::NetworkOperator,
        false,
        &[0x8014, 0x8015],
    ),
    (
        "NetworkOperatorESMESinglePhase",
        Party::NetworkOperator,
        false,
        &[
            0x8002, 0x8006, 0x8020, 0x8024, 0x8028, 0x802C, 0x8085, 0x8089, 0x808D, 0x8091, 0x8095,
            0x8099, 0x8010,
        ],
    ),
    (
        "NetworkOperatorESMEPolyPhase",
        Party::NetworkOperator,
        true,
        &[
            0x8003, 0x8004, 0x8005, 0x8007, 0x8008, 0x8009, 0x8021, 0x8022, 0x8023, 0x8025, 0x8026,
            0x8027, 0x8029, 0x802A, 0x802B, 0x802D, 0x802E, 0x802F, 0x8086, 0x8087, 0x8088, 0x808A,
            0x808B, 0x808C, 0x808E, 0x808F, 0x8090, 0x8092, 0x8093, 0x8094, 0x8096, 0x8097, 0x8098,
            0x809A, 0x809B, 0x809C, 0x8011, 0x8016, 0x8013,
        ],
    ),
];

/// Whether a single-phase meter has alert `code` to configure: a code of a group DUIS gives
/// every meter, or single-phase ones. (A poly-phase meter's own it refuses, as the RTDS vectors
/// leave them out of the commands that succeed.)
pub fn single_phase_has(code: u16) -> bool {
    GROUPS
        .iter()
        .any(|(_, _, poly, codes)| !poly && codes.contains(&code))
}

/// Whose alerts a filter is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// The 6.22 use case that sets `party`'s `behaviour`; `None` for the two filters the network
/// operator does not have (HAN alerts, audible alarm).
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
