//! The checksums vendor frames use. The CRCs follow the parameters of the CRC catalogue
//! (width, polynomial, initial value, reflection, final XOR) and are tested against its check
//! values (the CRC of the ASCII bytes `123456789`).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// Sum of the bytes, modulo 256.
    Sum8,
    /// XOR of the bytes.
    Xor8,
    /// CRC-16/MODBUS: poly 0x8005 reflected, init 0xFFFF.
    Crc16Modbus,
    /// CRC-16/IBM-SDLC (X.25, HDLC FCS): poly 0x1021 reflected, init 0xFFFF, xorout 0xFFFF.
    Crc16X25,
    /// CRC-16/IBM-3740 (often called CCITT-FALSE): poly 0x1021, init 0xFFFF, not reflected.
    Crc16CcittFalse,
}

impl Algorithm {
    /// The algorithm named as protocol files name it.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Some(match name {
            "sum8" => Algorithm::Sum8,
            "xor8" => Algorithm::Xor8,
            "crc16-modbus" => Algorithm::Crc16Modbus,
            "crc16-x25" => Algorithm::Crc16X25,
            "crc16-ccitt-false" => Algorithm::Crc16CcittFalse,
            _ => return None,
        })
    }

    /// Bytes the checksum takes on the wire.
    pub fn size(self) -> usize {
        match self {
            Algorithm::Sum8 | Algorithm::Xor8 => 1,
            _ => 2,
        }
    }

    pub fn compute(self, bytes: &[u8]) -> u16 {
        match self {
            Algorithm::Sum8 => u16::from(bytes.iter().fold(0u8, |a, &b| a.wrapping_add(b))),
            Algorithm::Xor8 => u16::from(bytes.iter().fold(0u8, |a, &b| a ^ b)),
            Algorithm::Crc16Modbus => reflected(bytes, 0xA001, 0xFFFF, 0),
            Algorithm::Crc16X25 => reflected(bytes, 0x8408, 0xFFFF, 0xFFFF),
            Algorithm::Crc16CcittFalse => {
                let mut crc: u16 = 0xFFFF;
                for &b in bytes {
                    crc ^= u16::from(b) << 8;
                    for _ in 0..8 {
                        crc = if crc & 0x8000 != 0 {
                            (crc << 1) ^ 0x1021
                        } else {
                            crc << 1
                        };
                    }
                }
                crc
            }
        }
    }
}

/// A reflected CRC-16, bit by bit (`poly` is the reversed polynomial).
fn reflected(bytes: &[u8], poly: u16, init: u16, xorout: u16) -> u16 {
    let mut crc = init;
    for &b in bytes {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
        }
    }
    crc ^ xorout
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_catalogue_check_values() {
        let check = b"123456789";
        assert_eq!(Algorithm::Crc16Modbus.compute(check), 0x4B37);
        assert_eq!(Algorithm::Crc16X25.compute(check), 0x906E);
        assert_eq!(Algorithm::Crc16CcittFalse.compute(check), 0x29B1);
        // 0x31 + … + 0x39 = 477 = 0x1DD; 0x31 ^ … ^ 0x39 = 0x31.
        assert_eq!(Algorithm::Sum8.compute(check), 0xDD);
        assert_eq!(Algorithm::Xor8.compute(check), 0x31);
    }
}
