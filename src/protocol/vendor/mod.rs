//! Proprietary (SMETS1-style) meter protocols as data: a protocol is a TOML file in
//! `protocols/` that declares its frame layout, checksum, register map and request/response
//! pairs, and one generic codec reads and writes the frames of any such file. A new vendor
//! protocol is a new file, not new code.
//!
//! A file declares, in order:
//!
//! - `name`, `description`, `byte_order` (`big` or `little`, for multi-byte integers and the
//!   checksum), optionally `escape = { flag, byte, xor }` (HDLC-style byte stuffing between the
//!   opening and closing flag);
//! - `[[frame]]`: the fields in wire order, each with a `kind`: `const` (fixed `bytes`),
//!   `length` (`size` bytes counting the fields `from` … `to`, plus `adjust`), `address` (`size`
//!   bytes, `encoding` `uint`, `bcd` or `bcd_le`), `command` (`size` bytes), `payload` (the rest),
//!   `checksum` (`algorithm` over the fields `from` … `to`);
//! - `register_id_size` and `[[registers]]`: `name`, `id`, `size`, `encoding`, `scale` (the value
//!   is the raw number × 10^scale), `unit` and the `quantity` a meter reports in it;
//! - `[[commands]]`: a `name` and its `request`, `response` and optional `error` messages, each a
//!   `code` and the `payload` parts (`register_id`, `value`, `error_code`) in order;
//! - `[[vectors]]`: frames in hex with what they mean, checked by the tests.
//!
//! `scripts`-free checking: `dccsim protocol check FILE` loads a file and checks its vectors;
//! a bad file is refused with `file:line:column: reason`.

mod checksum;
mod file;

use std::fmt;

use serde::Serialize;

pub use checksum::Algorithm;
pub use file::ProtocolError;

/// How an integer is laid out in its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// Unsigned binary in the protocol's byte order.
    Uint,
    /// Binary-coded decimal, most significant digits first.
    Bcd,
    /// Binary-coded decimal, least significant byte first.
    BcdLe,
}

/// What a meter reports in a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// The cumulative import register.
    ImportEnergy,
    /// The cumulative export register.
    ExportEnergy,
    /// Demand in the current half-hour.
    ActivePower,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOrder {
    Big,
    Little,
}

/// Which field of the frame, for the ranges a length or checksum covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Length,
    Address,
    Command,
    Payload,
    Checksum,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    Const(Vec<u8>),
    Length {
        size: usize,
        /// Indices of the first and last field counted.
        from: usize,
        to: usize,
        adjust: i64,
    },
    Address {
        size: usize,
        encoding: Encoding,
    },
    Command {
        size: usize,
    },
    Payload,
    Checksum {
        algorithm: Algorithm,
        from: usize,
        to: usize,
    },
}

impl Field {
    /// Bytes on the wire before escaping; None for the payload.
    fn size(&self) -> Option<usize> {
        match self {
            Field::Const(b) => Some(b.len()),
            Field::Length { size, .. } | Field::Address { size, .. } | Field::Command { size } => {
                Some(*size)
            }
            Field::Payload => None,
            Field::Checksum { algorithm, .. } => Some(algorithm.size()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Escape {
    pub flag: u8,
    pub byte: u8,
    pub xor: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Register {
    pub name: String,
    pub id: u32,
    pub size: usize,
    pub encoding: Encoding,
    pub scale: i32,
    pub unit: String,
    pub quantity: Quantity,
}

/// A part of a message's payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    RegisterId,
    Value,
    ErrorCode,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageDef {
    pub code: u32,
    pub payload: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    pub name: String,
    pub request: MessageDef,
    pub response: MessageDef,
    pub error: Option<MessageDef>,
}

/// Which of a command's messages a frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Request,
    Response,
    Error,
}

/// A test vector from the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Vector {
    pub line: usize,
    pub bytes: Vec<u8>,
    pub message: Message,
}

/// A loaded protocol.
#[derive(Clone, Debug, PartialEq)]
pub struct Protocol {
    pub name: String,
    pub description: String,
    pub byte_order: ByteOrder,
    pub escape: Option<Escape>,
    pub fields: Vec<Field>,
    pub register_id_size: usize,
    pub registers: Vec<Register>,
    pub commands: Vec<Command>,
    pub vectors: Vec<Vector>,
}

/// A frame's meaning.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Message {
    pub address: u64,
    pub command: String,
    pub direction: Direction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u8>,
}

/// Why bytes are not a frame of the protocol (offsets count from the first byte received).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("{0} bytes are too few for a frame (at least {1})")]
    TooShort(usize, usize),
    #[error("byte {offset}: expected {expected}, found {found}")]
    Delimiter {
        offset: usize,
        expected: String,
        found: String,
    },
    #[error("byte {0}: an escape byte ends the frame")]
    Escape(usize),
    #[error("byte {offset}: a flag byte inside the frame")]
    Flag { offset: usize },
    #[error("checksum {found:#06x}, computed {computed:#06x}")]
    Checksum { found: u16, computed: u16 },
    #[error("length field says {field}, the frame has {actual}")]
    Length { field: u64, actual: u64 },
    #[error("byte {0}: not binary-coded decimal")]
    Bcd(usize),
    #[error("unknown command code {0:#x}")]
    UnknownCommand(u32),
    #[error("unknown register id {0:#x}")]
    UnknownRegister(u32),
    #[error("payload of {found} bytes, expected {expected} for {what}")]
    Payload {
        found: usize,
        expected: usize,
        what: String,
    },
    #[error("{0}")]
    Encode(String),
}

/// A frame's fields as read from the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub address: u64,
    pub command: u32,
    pub payload: Vec<u8>,
}

impl Protocol {
    /// Loads a protocol file; `file` names it in errors.
    pub fn load(file: &str, text: &str) -> Result<Protocol, ProtocolError> {
        file::load(file, text)
    }

    pub fn register(&self, name: &str) -> Option<&Register> {
        self.registers.iter().find(|r| r.name == name)
    }

    pub fn command(&self, name: &str) -> Option<&Command> {
        self.commands.iter().find(|c| c.name == name)
    }

    /// The smallest frame: every fixed field, an empty payload.
    fn fixed_size(&self) -> usize {
        self.fields.iter().filter_map(Field::size).sum()
    }

    /// Writes a frame.
    pub fn encode_frame(&self, frame: &Frame) -> Result<Vec<u8>, FrameError> {
        // Lay the fields out with placeholders, then fill lengths and checksums.
        let mut spans = Vec::with_capacity(self.fields.len());
        let mut out = Vec::new();
        for f in &self.fields {
            let start = out.len();
            match f {
                Field::Const(b) => out.extend_from_slice(b),
                Field::Address { size, encoding } => {
                    out.extend(self.int_bytes(frame.address, *size, *encoding)?);
                }
                Field::Command { size } => {
                    out.extend(self.int_bytes(u64::from(frame.command), *size, Encoding::Uint)?);
                }
                Field::Payload => out.extend_from_slice(&frame.payload),
                Field::Length { size, .. } => out.extend(std::iter::repeat_n(0, *size)),
                Field::Checksum { algorithm, .. } => {
                    out.extend(std::iter::repeat_n(0, algorithm.size()));
                }
            }
            spans.push(start..out.len());
        }
        for (i, f) in self.fields.iter().enumerate() {
            if let Field::Length {
                size,
                from,
                to,
                adjust,
            } = f
            {
                let counted = (spans[*to].end - spans[*from].start) as i64 + adjust;
                let bytes = self.int_bytes(counted.max(0) as u64, *size, Encoding::Uint)?;
                out[spans[i].clone()].copy_from_slice(&bytes);
            }
        }
        for (i, f) in self.fields.iter().enumerate() {
            if let Field::Checksum {
                algorithm,
                from,
                to,
            } = f
            {
                let sum = algorithm.compute(&out[spans[*from].start..spans[*to].end]);
                let bytes = self.int_bytes(u64::from(sum), algorithm.size(), Encoding::Uint)?;
                out[spans[i].clone()].copy_from_slice(&bytes);
            }
        }
        Ok(match self.escape {
            Some(e) => escape(&out, e),
            None => out,
        })
    }

    /// Reads a frame, checking delimiters, length and checksum.
    pub fn decode_frame(&self, wire: &[u8]) -> Result<Frame, FrameError> {
        // Offsets in errors are wire offsets; `map` takes an unescaped offset back.
        let (bytes, map) = match self.escape {
            Some(e) => unescape(wire, e)?,
            None => (wire.to_vec(), (0..wire.len()).collect()),
        };
        let at = |i: usize| map.get(i).copied().unwrap_or(wire.len());
        let fixed = self.fixed_size();
        if bytes.len() < fixed {
            return Err(FrameError::TooShort(wire.len(), fixed));
        }
        let payload_len = bytes.len() - fixed;
        let mut spans = Vec::with_capacity(self.fields.len());
        let mut pos = 0;
        for f in &self.fields {
            let size = f.size().unwrap_or(payload_len);
            spans.push(pos..pos + size);
            pos += size;
        }
        let mut frame = Frame {
            address: 0,
            command: 0,
            payload: Vec::new(),
        };
        for (i, f) in self.fields.iter().enumerate() {
            let span = spans[i].clone();
            let field = &bytes[span.clone()];
            match f {
                Field::Const(expected) => {
                    if field != expected.as_slice() {
                        return Err(FrameError::Delimiter {
                            offset: at(span.start),
                            expected: hex(expected),
                            found: hex(field),
                        });
                    }
                }
                Field::Address { encoding, .. } => {
                    frame.address = self
                        .read_int(field, *encoding)
                        .map_err(|k| FrameError::Bcd(at(span.start + k)))?;
                }
                Field::Command { .. } => {
                    frame.command = self.read_int(field, Encoding::Uint).unwrap_or(0) as u32;
                }
                Field::Payload => frame.payload = field.to_vec(),
                Field::Length {
                    from, to, adjust, ..
                } => {
                    let value = self.read_int(field, Encoding::Uint).unwrap_or(0);
                    let actual = (spans[*to].end - spans[*from].start) as i64 + adjust;
                    if value as i64 != actual {
                        return Err(FrameError::Length {
                            field: value,
                            actual: actual.max(0) as u64,
                        });
                    }
                }
                Field::Checksum {
                    algorithm,
                    from,
                    to,
                } => {
                    let found = self.read_int(field, Encoding::Uint).unwrap_or(0) as u16;
                    let computed = algorithm.compute(&bytes[spans[*from].start..spans[*to].end]);
                    if found != computed {
                        return Err(FrameError::Checksum { found, computed });
                    }
                }
            }
        }
        Ok(frame)
    }

    /// Writes a message.
    pub fn encode(&self, m: &Message) -> Result<Vec<u8>, FrameError> {
        let command = self
            .command(&m.command)
            .ok_or_else(|| FrameError::Encode(format!("no command {:?}", m.command)))?;
        let def = match m.direction {
            Direction::Request => &command.request,
            Direction::Response => &command.response,
            Direction::Error => command
                .error
                .as_ref()
                .ok_or_else(|| FrameError::Encode(format!("{} has no error message", m.command)))?,
        };
        let register = match &m.register {
            Some(name) => Some(
                self.register(name)
                    .ok_or_else(|| FrameError::Encode(format!("no register {name:?}")))?,
            ),
            None => None,
        };
        let mut payload = Vec::new();
        for part in &def.payload {
            match part {
                Part::RegisterId => {
                    let r = register.ok_or_else(|| FrameError::Encode("no register".into()))?;
                    payload.extend(self.int_bytes(
                        u64::from(r.id),
                        self.register_id_size,
                        Encoding::Uint,
                    )?);
                }
                Part::Value => {
                    let r = register.ok_or_else(|| FrameError::Encode("no register".into()))?;
                    let v = m
                        .value
                        .ok_or_else(|| FrameError::Encode("no value".into()))?;
                    let raw = (v / 10f64.powi(r.scale)).round();
                    if !(0.0..=u64::MAX as f64).contains(&raw) {
                        return Err(FrameError::Encode(format!("{v} does not fit {}", r.name)));
                    }
                    payload.extend(self.int_bytes(raw as u64, r.size, r.encoding)?);
                }
                Part::ErrorCode => payload.push(m.error_code.unwrap_or(0)),
            }
        }
        self.encode_frame(&Frame {
            address: m.address,
            command: def.code,
            payload,
        })
    }

    /// Reads a message: the frame, then its command and payload parts.
    pub fn decode(&self, wire: &[u8]) -> Result<Message, FrameError> {
        let frame = self.decode_frame(wire)?;
        let (command, direction, def) = self
            .commands
            .iter()
            .find_map(|c| {
                [
                    (Direction::Request, Some(&c.request)),
                    (Direction::Response, Some(&c.response)),
                    (Direction::Error, c.error.as_ref()),
                ]
                .into_iter()
                .find_map(|(d, def)| {
                    def.filter(|def| def.code == frame.command)
                        .map(|def| (c, d, def))
                })
            })
            .ok_or(FrameError::UnknownCommand(frame.command))?;
        let mut m = Message {
            address: frame.address,
            command: command.name.clone(),
            direction,
            register: None,
            value: None,
            error_code: None,
        };
        let mut rest = &frame.payload[..];
        let mut register: Option<&Register> = None;
        let short = |expected: usize| FrameError::Payload {
            found: frame.payload.len(),
            expected,
            what: format!("{} {:?}", command.name, direction),
        };
        let mut expected = 0;
        for part in &def.payload {
            let size = match part {
                Part::RegisterId => self.register_id_size,
                Part::Value => register.map_or(0, |r| r.size),
                Part::ErrorCode => 1,
            };
            expected += size;
            if rest.len() < size {
                return Err(short(expected));
            }
            let (head, tail) = rest.split_at(size);
            rest = tail;
            match part {
                Part::RegisterId => {
                    let id = self.read_int(head, Encoding::Uint).unwrap_or(0) as u32;
                    let r = self
                        .registers
                        .iter()
                        .find(|r| r.id == id)
                        .ok_or(FrameError::UnknownRegister(id))?;
                    m.register = Some(r.name.clone());
                    register = Some(r);
                }
                Part::Value => {
                    if let Some(r) = register {
                        let raw = self.read_int(head, r.encoding).map_err(|_| {
                            FrameError::Bcd(wire.len().saturating_sub(rest.len() + size))
                        })?;
                        m.value = Some(raw as f64 * 10f64.powi(r.scale));
                    }
                }
                Part::ErrorCode => m.error_code = Some(head[0]),
            }
        }
        if !rest.is_empty() {
            return Err(short(expected));
        }
        Ok(m)
    }

    fn int_bytes(
        &self,
        value: u64,
        size: usize,
        encoding: Encoding,
    ) -> Result<Vec<u8>, FrameError> {
        let too_big =
            || FrameError::Encode(format!("{value} does not fit {size} bytes as {encoding:?}"));
        match encoding {
            Encoding::Uint => {
                if size < 8 && value >> (8 * size) != 0 {
                    return Err(too_big());
                }
                let be = value.to_be_bytes();
                let mut out = be[8usize.saturating_sub(size)..].to_vec();
                while out.len() < size {
                    out.insert(0, 0);
                }
                if self.byte_order == ByteOrder::Little {
                    out.reverse();
                }
                Ok(out)
            }
            Encoding::Bcd | Encoding::BcdLe => {
                let mut out = vec![0u8; size];
                let mut v = value;
                for b in out.iter_mut().rev() {
                    *b = ((v / 10 % 10) as u8) << 4 | (v % 10) as u8;
                    v /= 100;
                }
                if v != 0 {
                    return Err(too_big());
                }
                if encoding == Encoding::BcdLe {
                    out.reverse();
                }
                Ok(out)
            }
        }
    }

    /// An integer from its bytes; on a bad BCD digit, the index of the byte.
    fn read_int(&self, bytes: &[u8], encoding: Encoding) -> Result<u64, usize> {
        match encoding {
            Encoding::Uint => {
                let mut v: u64 = 0;
                let ordered: Vec<u8> = match self.byte_order {
                    ByteOrder::Big => bytes.to_vec(),
                    ByteOrder::Little => bytes.iter().rev().copied().collect(),
                };
                for b in ordered {
                    v = v.wrapping_shl(8) | u64::from(b);
                }
                Ok(v)
            }
            Encoding::Bcd | Encoding::BcdLe => {
                let n = bytes.len();
                let mut v: u64 = 0;
                for k in 0..n {
                    let i = if encoding == Encoding::Bcd {
                        k
                    } else {
                        n - 1 - k
                    };
                    let b = bytes[i];
                    let (hi, lo) = (b >> 4, b & 0x0F);
                    if hi > 9 || lo > 9 {
                        return Err(i);
                    }
                    v = v.wrapping_mul(100).wrapping_add(u64::from(hi * 10 + lo));
                }
                Ok(v)
            }
        }
    }
}

fn escape(frame: &[u8], e: Escape) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.len() + 4);
    let last = frame.len().saturating_sub(1);
    for (i, &b) in frame.iter().enumerate() {
        if i != 0 && i != last && (b == e.flag || b == e.byte) {
            out.push(e.byte);
            out.push(b ^ e.xor);
        } else {
            out.push(b);
        }
    }
    out
}

/// Removes byte stuffing, returning the bytes and each one's offset on the wire.
fn unescape(wire: &[u8], e: Escape) -> Result<(Vec<u8>, Vec<usize>), FrameError> {
    let mut out = Vec::with_capacity(wire.len());
    let mut map = Vec::with_capacity(wire.len());
    let last = wire.len().saturating_sub(1);
    let mut i = 0;
    while i < wire.len() {
        let b = wire[i];
        if i != 0 && i != last && b == e.flag {
            return Err(FrameError::Flag { offset: i });
        }
        if i != 0 && i != last && b == e.byte {
            if i + 1 >= last {
                return Err(FrameError::Escape(i));
            }
            out.push(wire[i + 1] ^ e.xor);
            map.push(i);
            i += 2;
        } else {
            out.push(b);
            map.push(i);
            i += 1;
        }
    }
    Ok((out, map))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// Parses hex with optional spaces.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err("an odd number of hex digits".into());
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&digits[i..i + 2], 16)
                .map_err(|_| format!("{:?} is not a hex byte", &digits[i..i + 2]))
        })
        .collect()
}
