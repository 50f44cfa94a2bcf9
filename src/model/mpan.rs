//! The MPAN core: the 13-digit identifier of an electricity metering point.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::GspGroup;

/// Weights applied to the first twelve digits (MRA Data Transfer Catalogue, MPAN core check
/// digit: sum of digit × prime, modulo 11, modulo 10).
const CHECK_WEIGHTS: [u32; 12] = [3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43];

/// A 13-digit MPAN core whose check digit has been verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mpan(u64);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MpanError {
    #[error("MPAN core {0:?} must be 13 digits")]
    Length(String),
    #[error("MPAN core {0:?} contains a character that is not a digit")]
    NotDigit(String),
    #[error("MPAN core {value:?} has check digit {found}, expected {expected}")]
    CheckDigit {
        value: String,
        found: u8,
        expected: u8,
    },
}

impl Mpan {
    /// Builds an MPAN core from its first twelve digits, appending the check digit.
    pub fn from_prefix(prefix: u64) -> Option<Mpan> {
        if prefix >= 1_000_000_000_000 {
            return None;
        }
        let digits = digits_of(prefix);
        Some(Mpan(prefix * 10 + u64::from(check_digit(&digits))))
    }

    /// A second MPAN of the same distribution area for a premises' export supply (the
    /// generated fleet's: 5,000,000,000 above the import MPAN's core).
    pub fn export_twin(self) -> Mpan {
        let prefix = self.0 / 10;
        Mpan::from_prefix((prefix + 5_000_000_000) % 1_000_000_000_000).unwrap_or(self)
    }

    /// The two-digit distributor id (10–23 for the fourteen licensed distribution areas).
    pub fn distributor_id(self) -> u8 {
        (self.0 / 100_000_000_000) as u8
    }

    /// The GSP group of the distribution area the MPAN was issued in, where the distributor id
    /// is one of the fourteen area distributors (an independent network's MPAN has none).
    pub fn gsp_group(self) -> Option<GspGroup> {
        GspGroup::from_distributor_id(self.distributor_id())
    }

    pub fn as_u64(self) -> u64 {
        self.0
    }
}

fn digits_of(prefix: u64) -> [u8; 12] {
    let mut digits = [0u8; 12];
    let mut rest = prefix;
    for slot in digits.iter_mut().rev() {
        *slot = (rest % 10) as u8;
        rest /= 10;
    }
    digits
}

fn check_digit(digits: &[u8; 12]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(CHECK_WEIGHTS)
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    ((sum % 11) % 10) as u8
}

impl FromStr for Mpan {
    type Err = MpanError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let compact: String = s.chars().filter(|c| *c != ' ').collect();
        if compact.len() != 13 {
            return Err(MpanError::Length(s.to_string()));
        }
        if !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MpanError::NotDigit(s.to_string()));
        }
        let value: u64 = compact.parse().map_err(|_| MpanError::NotDigit(s.into()))?;
        let digits = digits_of(value / 10);
        let expected = check_digit(&digits);
        let found = (value % 10) as u8;
        if found != expected {
            return Err(MpanError::CheckDigit {
                value: s.to_string(),
                found,
                expected,
            });
        }
        Ok(Mpan(value))
    }
}

impl fmt::Display for Mpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013}", self.0)
    }
}

impl TryFrom<String> for Mpan {
    type Error = MpanError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Mpan> for String {
    fn from(value: Mpan) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_hand_checked_example() {
        // 1·3 + 2·5 + 2·19 + 3·23 + 3·29 + 5·37 + 9·41 + 6·43 = 1019; 1019 mod 11 = 7.
        let mpan: Mpan = "1200023305967".parse().unwrap();
        assert_eq!(mpan.distributor_id(), 12);
        assert_eq!(mpan.gsp_group(), Some(GspGroup::C));
    }

    #[test]
    fn rejects_wrong_check_digit_and_names_both_digits() {
        let err = "1200023305961".parse::<Mpan>().unwrap_err();
        assert_eq!(
            err,
            MpanError::CheckDigit {
                value: "1200023305961".into(),
                found: 1,
                expected: 7
            }
        );
    }

    #[test]
    fn rejects_bad_length_and_letters() {
        assert!(matches!("12".parse::<Mpan>(), Err(MpanError::Length(_))));
        assert!(matches!(
            "12000233059A7".parse::<Mpan>(),
            Err(MpanError::NotDigit(_))
        ));
    }

    proptest! {
        #[test]
        fn prefix_round_trips(prefix in 0u64..1_000_000_000_000) {
            let mpan = Mpan::from_prefix(prefix).unwrap();
            let parsed: Mpan = mpan.to_string().parse().unwrap();
            prop_assert_eq!(parsed, mpan);
        }

    }
}
