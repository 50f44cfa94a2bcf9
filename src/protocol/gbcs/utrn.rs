//! Top-up codes (UTRNs, GBCS §14): the 20 digits a prepayment customer types or a supplier
//! sends with a top-up (CS01a to an electricity meter, CS01b to a gas meter).
//!
//! A UTRN carries a 64-bit prepayment top-up token (PTUT). Its high 32 bits are seven zero bits,
//! the top-up counter's bits 32–41 (10 bits), a value class (2 bits: `00` pennies, `01` pounds)
//! and the value (13 bits, 0–8191). Its low 32 bits are the last four bytes of a 16-byte GMAC
//! (AES-128-GCM over no plaintext): the key comes from the GBCS KDF (CRA flag "command", the full
//! counter, supplier to device) over the ECDH secret of the supplier's *prepayment*
//! key-agreement key and the device's key-agreement key; the IV is the supplier's EUI-64 and
//! four zero bytes; the additional data is `11 00 00 00 00 00` ‖ supplier ‖ device ‖ `01` ‖
//! counter (8 bytes) ‖ the PTUT's high 32 bits.
//!
//! The digits are the decimal of PTUT + 7,394,156,990,786,306,048 (19 digits) followed by a
//! Verhoeff check digit computed with GBCS's own tables (14.8a–c; the inverse table differs
//! from the textbook one).
//!
//! Only the counter's bits 32–41 travel, so a device rebuilds the counter from the ones it has
//! accepted: the candidate nearest the highest it has seen (see [`Utrn::counter_near`]).

use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use super::crypto::{KeyStore, derive_key};
use super::frame::Cra;
use crate::model::Eui64;

/// What the 19-digit number is offset by (GBCS §14).
const OFFSET: u64 = 7_394_156_990_786_306_048;
/// The largest value a UTRN carries, in its class.
pub const MAX_VALUE: u16 = 8191;
/// Bits of the counter a UTRN carries (bits 32 to 41).
const COUNTER_BITS: u32 = 10;

/// GBCS table 14.8a: the permutation applied to a digit, by position.
const PERMUTE: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
/// GBCS table 14.8b: multiplication in the dihedral group D5.
const MULTIPLY: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
/// GBCS table 14.8c: the check digit for the running product.
const CHECK: [u8; 10] = [1, 2, 6, 7, 5, 8, 3, 0, 9, 4];

/// How a UTRN's value is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueClass {
    Pennies,
    Pounds,
}

/// Why a UTRN was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UtrnError {
    #[error("a UTRN is 20 digits; this has {0} characters")]
    Length(usize),
    #[error("character {position} ({found:?}) is not a digit")]
    NotDigit { position: usize, found: char },
    #[error("check digit is {found}, the other 19 digits give {expected}: mistyped")]
    CheckDigit { expected: u8, found: u8 },
    #[error("not a top-up token: {0}")]
    NotToken(&'static str),
    #[error("a UTRN carries 0 to 8191 in its class; {0} does not fit")]
    Value(u32),
    #[error("a UTRN's counter has its low 32 bits zero; {0:#x} does not")]
    Counter(u64),
    #[error("no prepayment key pair for supplier {supplier} and device {device}")]
    NoKeys { supplier: Eui64, device: Eui64 },
    #[error("the UTRN's MAC does not verify for supplier {supplier} and device {device}")]
    Mac { supplier: Eui64, device: Eui64 },
}

/// A decoded UTRN: the fields of its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Utrn {
    /// The top-up counter's bits 32–41.
    pub counter_bits: u16,
    pub class: ValueClass,
    pub value: u16,
    /// The last four bytes of the token's GMAC.
    pub mac: u32,
}

impl Utrn {
    /// Makes the UTRN `supplier` sends `device` for its top-up number `counter` (whose low 32
    /// bits are zero). Needs the supplier's private prepayment key or the device's private
    /// key-agreement key.
    pub fn make(
        keys: &KeyStore,
        supplier: Eui64,
        device: Eui64,
        counter: u64,
        value: u32,
        class: ValueClass,
    ) -> Result<Utrn, UtrnError> {
        let value = u16::try_from(value)
            .ok()
            .filter(|v| *v <= MAX_VALUE)
            .ok_or(UtrnError::Value(value))?;
        if counter & 0xFFFF_FFFF != 0 {
            return Err(UtrnError::Counter(counter));
        }
        let mut utrn = Utrn {
            counter_bits: ((counter >> 32) & ((1 << COUNTER_BITS) - 1)) as u16,
            class,
            value,
            mac: 0,
        };
        utrn.mac = utrn
            .compute_mac(keys, supplier, device, counter)
            .ok_or(UtrnError::NoKeys { supplier, device })?;
        Ok(utrn)
    }

    /// Reads 20 digits: checks the check digit and the token's shape (not its MAC: see
    /// [`Utrn::verify`]).
    pub fn parse(text: &str) -> Result<Utrn, UtrnError> {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() != 20 {
            return Err(UtrnError::Length(chars.len()));
        }
        let mut digits = [0u8; 20];
        for (position, (d, c)) in digits.iter_mut().zip(&chars).enumerate() {
            *d = c.to_digit(10).ok_or(UtrnError::NotDigit {
                position: position + 1,
                found: *c,
            })? as u8;
        }
        let expected = check_digit(&digits[..19]);
        if expected != digits[19] {
            return Err(UtrnError::CheckDigit {
                expected,
                found: digits[19],
            });
        }
        let number = digits[..19]
            .iter()
            .try_fold(0u64, |n, d| n.checked_mul(10)?.checked_add(u64::from(*d)))
            .ok_or(UtrnError::NotToken("the number is out of range"))?;
        let token = number
            .checked_sub(OFFSET)
            .ok_or(UtrnError::NotToken("the number is below the token offset"))?;
        let high = (token >> 32) as u32;
        if high >> (COUNTER_BITS + 15) != 0 {
            return Err(UtrnError::NotToken(
                "the token's top seven bits are not zero",
            ));
        }
        let class = match (high >> 13) & 3 {
            0 => ValueClass::Pennies,
            1 => ValueClass::Pounds,
            _ => return Err(UtrnError::NotToken("the value class is reserved")),
        };
        Ok(Utrn {
            counter_bits: (high >> 15) as u16,
            class,
            value: (high & 0x1FFF) as u16,
            mac: token as u32,
        })
    }

    /// The 20 digits.
    pub fn digits(&self) -> String {
        let number = OFFSET + self.token();
        let mut text = number.to_string();
        let digits: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
        text.push(char::from(b'0' + check_digit(&digits)));
        text
    }

    /// The credit this UTRN adds, in pence.
    pub fn pence(&self) -> u32 {
        match self.class {
            ValueClass::Pennies => u32::from(self.value),
            ValueClass::Pounds => u32::from(self.value) * 100,
        }
    }

    /// The full counter this UTRN's 10 bits stand for, taken as near as they allow to
    /// `highest`, the highest counter the device has accepted (an earlier one to catch a
    /// delayed code, a later one once the bits have wrapped).
    pub fn counter_near(&self, highest: u64) -> u64 {
        let span = 1u64 << (32 + COUNTER_BITS);
        let bits = u64::from(self.counter_bits) << 32;
        let base = highest & !(span - 1);
        [base.checked_sub(span), Some(base), base.checked_add(span)]
            .into_iter()
            .flatten()
            .map(|b| b | bits)
            .min_by_key(|c| c.abs_diff(highest))
            .unwrap_or(bits)
    }

    /// Checks the MAC for the top-up number `counter`, as the device does.
    pub fn verify(
        &self,
        keys: &KeyStore,
        supplier: Eui64,
        device: Eui64,
        counter: u64,
    ) -> Result<(), UtrnError> {
        let mac = self
            .compute_mac(keys, supplier, device, counter)
            .ok_or(UtrnError::NoKeys { supplier, device })?;
        if mac == self.mac {
            Ok(())
        } else {
            Err(UtrnError::Mac { supplier, device })
        }
    }

    fn high(&self) -> u32 {
        let class = match self.class {
            ValueClass::Pennies => 0,
            ValueClass::Pounds => 1,
        };
        (u32::from(self.counter_bits) << 15) | (class << 13) | u32::from(self.value)
    }

    fn token(&self) -> u64 {
        (u64::from(self.high()) << 32) | u64::from(self.mac)
    }

    fn compute_mac(
        &self,
        keys: &KeyStore,
        supplier: Eui64,
        device: Eui64,
        counter: u64,
    ) -> Option<u32> {
        let z = keys.prepayment_secret(supplier, device)?;
        let key = derive_key(&z, supplier, Cra::Command, counter, device);
        let mut aad = Vec::with_capacity(35);
        aad.extend_from_slice(&[0x11, 0, 0, 0, 0, 0]);
        aad.extend_from_slice(&supplier.0);
        aad.extend_from_slice(&device.0);
        aad.push(Cra::Command.byte());
        aad.extend_from_slice(&counter.to_be_bytes());
        aad.extend_from_slice(&self.high().to_be_bytes());
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&supplier.0);
        let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).ok()?);
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut [],
            )
            .ok()?;
        let t = tag.as_ref();
        Some(u32::from_be_bytes([t[12], t[13], t[14], t[15]]))
    }
}

/// GBCS's Verhoeff check digit of `digits` (each 0–9), read left to right.
fn check_digit(digits: &[u8]) -> u8 {
    let product = digits.iter().enumerate().fold(0u8, |c, (i, &d)| {
        let permuted = PERMUTE[(i + 4) % 8][usize::from(d)];
        MULTIPLY[usize::from(c)][usize::from(permuted)]
    });
    CHECK[usize::from(product)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_single_digit_error_changes_the_check_digit() {
        let digits: Vec<u8> = "7395006788710517860".bytes().map(|b| b - b'0').collect();
        let check = check_digit(&digits);
        for i in 0..digits.len() {
            for d in 0..10 {
                if d == digits[i] {
                    continue;
                }
                let mut typo = digits.clone();
                typo[i] = d;
                assert_ne!(check_digit(&typo), check, "digit {i} → {d}");
            }
        }
    }

    #[test]
    fn the_counter_is_rebuilt_nearest_the_highest_accepted() {
        let u = |bits| Utrn {
            counter_bits: bits,
            class: ValueClass::Pennies,
            value: 1,
            mac: 0,
        };
        assert_eq!(u(6).counter_near(0), 6 << 32);
        assert_eq!(u(7).counter_near(6 << 32), 7 << 32);
        // After 1,024 top-ups the bits wrap: 1023 → 0 is the next counter, not the first.
        assert_eq!(u(0).counter_near(1023 << 32), 1024 << 32);
        // A late code from before the wrap.
        assert_eq!(u(1023).counter_near(1025 << 32), 1023 << 32);
    }
}
