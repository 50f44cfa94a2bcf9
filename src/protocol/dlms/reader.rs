//! A cursor over DLMS bytes that says where it failed, and the A-XDR length form.

/// Why bytes are not the DLMS APDU expected; `at` is the byte offset where the problem starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DlmsError {
    #[error("DLMS APDU is empty")]
    Empty,
    #[error("truncated at byte {at}: {what} needs {needed} more byte(s)")]
    Truncated {
        at: usize,
        what: &'static str,
        needed: usize,
    },
    #[error("byte {at}: {what} {found:#04X} is not supported")]
    Unsupported {
        at: usize,
        what: &'static str,
        found: u8,
    },
    #[error("byte {at}: length form {first:#04X} is not minimal or not supported")]
    LengthForm { at: usize, first: u8 },
    #[error("byte {at}: values nested deeper than {limit}")]
    TooDeep { at: usize, limit: usize },
    #[error("byte {at}: {count} byte(s) left over after the APDU")]
    Trailing { at: usize, count: usize },
}

impl DlmsError {
    /// The same error for bytes that start `offset` bytes into a larger APDU.
    pub(super) fn shifted(self, offset: usize) -> DlmsError {
        match self {
            DlmsError::Truncated { at, what, needed } => DlmsError::Truncated {
                at: at + offset,
                what,
                needed,
            },
            DlmsError::Unsupported { at, what, found } => DlmsError::Unsupported {
                at: at + offset,
                what,
                found,
            },
            DlmsError::LengthForm { at, first } => DlmsError::LengthForm {
                at: at + offset,
                first,
            },
            DlmsError::TooDeep { at, limit } => DlmsError::TooDeep {
                at: at + offset,
                limit,
            },
            DlmsError::Trailing { at, count } => DlmsError::Trailing {
                at: at + offset,
                count,
            },
            DlmsError::Empty => DlmsError::Empty,
        }
    }
}

pub(super) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DlmsError> {
        let rest = self.bytes.len() - self.at;
        if rest < n {
            return Err(DlmsError::Truncated {
                at: self.at,
                what,
                needed: n - rest,
            });
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    pub fn byte(&mut self, what: &'static str) -> Result<u8, DlmsError> {
        Ok(self.take(1, what)?[0])
    }

    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DlmsError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// An A-XDR length that counts something other than bytes or elements (a bit-string's bits).
    pub fn len_unchecked(&mut self, what: &'static str) -> Result<usize, DlmsError> {
        self.len_form(what)
    }

    /// An A-XDR length (IEC 61334-6): one byte below 0x80, else `0x80 + n` followed by n bytes.
    /// Only the minimal form is accepted, so a decoded value re-encodes to the same bytes.
    pub fn len(&mut self, what: &'static str) -> Result<usize, DlmsError> {
        let n = self.len_form(what)?;
        // A count or length can never exceed what is left; refusing it here keeps a forged
        // count from reserving memory.
        if n > self.bytes.len() - self.at {
            return Err(DlmsError::Truncated {
                at: self.at,
                what,
                needed: n - (self.bytes.len() - self.at),
            });
        }
        Ok(n)
    }

    fn len_form(&mut self, what: &'static str) -> Result<usize, DlmsError> {
        let at = self.at;
        let first = self.byte(what)?;
        if first < 0x80 {
            return Ok(usize::from(first));
        }
        let width = usize::from(first - 0x80);
        if !(1..=3).contains(&width) {
            return Err(DlmsError::LengthForm { at, first });
        }
        let n = self
            .take(width, what)?
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        if n < 0x80 || n >> (8 * (width - 1)) == 0 {
            return Err(DlmsError::LengthForm { at, first });
        }
        Ok(n)
    }

    pub fn finish(&self) -> Result<(), DlmsError> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(DlmsError::Trailing {
                at: self.at,
                count: self.bytes.len() - self.at,
            })
        }
    }
}

/// Writes an A-XDR length in its minimal form.
pub(super) fn put_len(out: &mut Vec<u8>, n: usize) {
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = (n as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 + (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}
