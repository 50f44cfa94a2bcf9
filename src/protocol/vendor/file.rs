//! Reading a protocol file: TOML into [`Protocol`], with every problem named by file, line and
//! column.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Algorithm, ByteOrder, Command, Direction, Encoding, Escape, Field, FieldKind, Message,
    MessageDef, Part, Protocol, Quantity, Register, Vector, parse_hex,
};

/// A protocol file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ProtocolError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProtocolFile {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    byte_order: Spanned<String>,
    escape: Option<Spanned<EscapeFile>>,
    frame: Vec<Spanned<FieldFile>>,
    register_id_size: Spanned<u8>,
    #[serde(default)]
    registers: Vec<Spanned<RegisterFile>>,
    #[serde(default)]
    commands: Vec<Spanned<CommandFile>>,
    #[serde(default)]
    vectors: Vec<Spanned<VectorFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EscapeFile {
    flag: u8,
    byte: u8,
    xor: u8,
}

/// One `[[frame]]` table. Read flat, so that every problem points at its own line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    kind: Spanned<String>,
    bytes: Option<Spanned<Vec<u8>>>,
    size: Option<Spanned<u8>>,
    from: Option<Spanned<String>>,
    to: Option<Spanned<String>>,
    adjust: Option<Spanned<i64>>,
    encoding: Option<Spanned<String>>,
    algorithm: Option<Spanned<String>>,
}

impl FieldFile {
    /// The keys given, with their spans, for "does not apply" errors.
    fn given(&self) -> Vec<(&'static str, Range<usize>)> {
        let mut out = Vec::new();
        if let Some(v) = &self.bytes {
            out.push(("bytes", v.span()));
        }
        if let Some(v) = &self.size {
            out.push(("size", v.span()));
        }
        if let Some(v) = &self.from {
            out.push(("from", v.span()));
        }
        if let Some(v) = &self.to {
            out.push(("to", v.span()));
        }
        if let Some(v) = &self.adjust {
            out.push(("adjust", v.span()));
        }
        if let Some(v) = &self.encoding {
            out.push(("encoding", v.span()));
        }
        if let Some(v) = &self.algorithm {
            out.push(("algorithm", v.span()));
        }
        out
    }
}

const KINDS: [(&str, Option<FieldKind>); 6] = [
    ("const", None),
    ("length", Some(FieldKind::Length)),
    ("address", Some(FieldKind::Address)),
    ("command", Some(FieldKind::Command)),
    ("payload", Some(FieldKind::Payload)),
    ("checksum", Some(FieldKind::Checksum)),
];

/// The keys each kind of field takes.
fn keys_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "const" => &["bytes"],
        "length" => &["size", "from", "to", "adjust"],
        "address" => &["size", "encoding"],
        "command" => &["size"],
        "checksum" => &["algorithm", "from", "to"],
        _ => &[],
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterFile {
    name: String,
    id: u32,
    size: u8,
    encoding: Encoding,
    #[serde(default)]
    scale: i32,
    unit: String,
    quantity: Quantity,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageFile {
    code: u32,
    #[serde(default)]
    payload: Vec<Part>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandFile {
    name: String,
    request: MessageFile,
    response: MessageFile,
    error: Option<MessageFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VectorFile {
    hex: String,
    address: u64,
    command: String,
    direction: Direction,
    register: Option<String>,
    value: Option<f64>,
    error_code: Option<u8>,
}

struct Check<'a> {
    file: &'a str,
    text: &'a str,
}

impl Check<'_> {
    fn error(&self, span: Range<usize>, message: impl Into<String>) -> ProtocolError {
        let upto = &self.text[..span.start.min(self.text.len())];
        ProtocolError {
            file: self.file.to_string(),
            line: upto.matches('\n').count() + 1,
            column: upto.len() - upto.rfind('\n').map_or(0, |i| i + 1) + 1,
            message: message.into(),
        }
    }
}

pub(super) fn load(file: &str, text: &str) -> Result<Protocol, ProtocolError> {
    let ck = Check { file, text };
    let raw: ProtocolFile = toml::from_str(text)
        .map_err(|e| ck.error(e.span().unwrap_or(0..0), e.message().trim_end().to_string()))?;
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ck.error(
            raw.name.span(),
            format!("name {name:?} must be letters, digits, '-' or '_'"),
        ));
    }
    let byte_order = match raw.byte_order.get_ref().as_str() {
        "big" => ByteOrder::Big,
        "little" => ByteOrder::Little,
        other => {
            return Err(ck.error(
                raw.byte_order.span(),
                format!("byte_order {other:?}: expected \"big\" or \"little\""),
            ));
        }
    };

    // The frame: one address, command and payload; at most one length and checksum.
    let mut kinds: Vec<Option<FieldKind>> = Vec::with_capacity(raw.frame.len());
    for f in &raw.frame {
        let f = f.get_ref();
        let kind = f.kind.get_ref().as_str();
        let Some((_, k)) = KINDS.iter().find(|(name, _)| *name == kind) else {
            return Err(ck.error(
                f.kind.span(),
                format!("unknown field kind {kind:?}: expected const, length, address, command, payload or checksum"),
            ));
        };
        for (key, span) in f.given() {
            if !keys_of(kind).contains(&key) {
                let takes = keys_of(kind);
                return Err(ck.error(
                    span,
                    format!(
                        "{key} does not apply to a {kind} field (it takes {})",
                        if takes.is_empty() {
                            "nothing else".to_string()
                        } else {
                            takes.join(", ")
                        }
                    ),
                ));
            }
        }
        kinds.push(*k);
    }
    let frame_span = raw.frame.first().map_or(0..0, |f| f.span());
    for (kind, needed) in [
        (FieldKind::Address, true),
        (FieldKind::Command, true),
        (FieldKind::Payload, true),
        (FieldKind::Length, false),
        (FieldKind::Checksum, false),
    ] {
        let count = kinds.iter().filter(|k| **k == Some(kind)).count();
        if count > 1 || (needed && count == 0) {
            let what = if count > 1 { "more than one" } else { "no" };
            return Err(ck.error(
                frame_span.clone(),
                format!("the frame has {what} {kind:?} field; it needs exactly one address, command and payload, and at most one length and checksum").to_lowercase(),
            ));
        }
    }
    let position = |k: FieldKind, span: Range<usize>| -> Result<usize, ProtocolError> {
        kinds
            .iter()
            .position(|x| *x == Some(k))
            .ok_or_else(|| ck.error(span, format!("the frame has no {k:?} field").to_lowercase()))
    };
    let mut fields = Vec::with_capacity(raw.frame.len());
    for f in &raw.frame {
        let span = f.span();
        let f = f.get_ref();
        let kind = f.kind.get_ref().as_str();
        let missing = |key: &str| ck.error(f.kind.span(), format!("a {kind} field needs {key}"));
        let size = |max: u8| -> Result<usize, ProtocolError> {
            let s = f.size.as_ref().ok_or_else(|| missing("size"))?;
            let v = *s.get_ref();
            if v == 0 || v > max {
                Err(ck.error(s.span(), format!("size {v} must be 1 to {max}")))
            } else {
                Ok(usize::from(v))
            }
        };
        let kind_at = |key: &str,
                       v: &Option<Spanned<String>>|
         -> Result<(usize, Range<usize>), ProtocolError> {
            let v = v.as_ref().ok_or_else(|| missing(key))?;
            let name = v.get_ref().as_str();
            let k = KINDS
                .iter()
                .find(|(n, k)| *n == name && k.is_some())
                .and_then(|(_, k)| *k)
                .ok_or_else(|| {
                    ck.error(
                        v.span(),
                        format!("{key} = {name:?}: expected length, address, command, payload or checksum"),
                    )
                })?;
            Ok((position(k, v.span())?, v.span()))
        };
        let range = || -> Result<(usize, usize), ProtocolError> {
            let (a, _) = kind_at("from", &f.from)?;
            let (b, span) = kind_at("to", &f.to)?;
            if a > b {
                return Err(ck.error(span, "to names a field that comes before from"));
            }
            Ok((a, b))
        };
        fields.push(match kind {
            "const" => {
                let b = f.bytes.as_ref().ok_or_else(|| missing("bytes"))?;
                if b.get_ref().is_empty() {
                    return Err(ck.error(b.span(), "a const field needs at least one byte"));
                }
                Field::Const(b.get_ref().clone())
            }
            "length" => {
                let (from, to) = range()?;
                Field::Length {
                    size: size(4)?,
                    from,
                    to,
                    adjust: f.adjust.as_ref().map_or(0, |a| *a.get_ref()),
                }
            }
            "address" => {
                let e = f.encoding.as_ref().ok_or_else(|| missing("encoding"))?;
                let encoding = match e.get_ref().as_str() {
                    "uint" => Encoding::Uint,
                    "bcd" => Encoding::Bcd,
                    "bcd_le" => Encoding::BcdLe,
                    other => {
                        return Err(ck.error(
                            e.span(),
                            format!("encoding {other:?}: expected uint, bcd or bcd_le"),
                        ));
                    }
                };
                Field::Address {
                    size: size(8)?,
                    encoding,
                }
            }
            "command" => Field::Command { size: size(4)? },
            "payload" => Field::Payload,
            _ => {
                let a = f.algorithm.as_ref().ok_or_else(|| missing("algorithm"))?;
                let algorithm = Algorithm::from_name(a.get_ref()).ok_or_else(|| {
                    ck.error(
                        a.span(),
                        format!(
                            "unknown checksum algorithm {:?}: expected sum8, xor8, crc16-modbus, crc16-x25 or crc16-ccitt-false",
                            a.get_ref()
                        ),
                    )
                })?;
                let (from, to) = range()?;
                let me = position(FieldKind::Checksum, span.clone())?;
                if (from..=to).contains(&me) {
                    return Err(ck.error(span, "a checksum cannot cover itself"));
                }
                Field::Checksum {
                    algorithm,
                    from,
                    to,
                }
            }
        });
    }
    let escape = match &raw.escape {
        None => None,
        Some(e) => {
            let x = e.get_ref();
            let flagged = |f: Option<&Field>| f == Some(&Field::Const(vec![x.flag]));
            if !flagged(fields.first()) || !flagged(fields.last()) {
                return Err(ck.error(
                    e.span(),
                    format!(
                        "escaping needs the frame to open and close with a const field of the flag byte {:#04x}",
                        x.flag
                    ),
                ));
            }
            if x.xor == 0 || x.flag == x.byte {
                return Err(ck.error(
                    e.span(),
                    "escape: xor must not be 0 and byte must differ from flag",
                ));
            }
            Some(Escape {
                flag: x.flag,
                byte: x.byte,
                xor: x.xor,
            })
        }
    };
    let register_id_size = usize::from(*raw.register_id_size.get_ref());
    if !(1..=4).contains(&register_id_size) {
        return Err(ck.error(
            raw.register_id_size.span(),
            "register_id_size must be 1 to 4",
        ));
    }

    let mut registers: Vec<Register> = Vec::new();
    for r in &raw.registers {
        let x = r.get_ref();
        if registers.iter().any(|o| o.name == x.name || o.id == x.id) {
            return Err(ck.error(
                r.span(),
                format!(
                    "register {:?} (id {:#x}) repeats a name or id",
                    x.name, x.id
                ),
            ));
        }
        if register_id_size < 4 && x.id >> (8 * register_id_size) != 0 {
            return Err(ck.error(
                r.span(),
                format!(
                    "register id {:#x} does not fit register_id_size {register_id_size}",
                    x.id
                ),
            ));
        }
        if x.size == 0 || x.size > 8 {
            return Err(ck.error(
                r.span(),
                format!("register {:?}: size {} must be 1 to 8", x.name, x.size),
            ));
        }
        if !(-9..=9).contains(&x.scale) {
            return Err(ck.error(
                r.span(),
                format!("register {:?}: scale {} must be -9 to 9", x.name, x.scale),
            ));
        }
        registers.push(Register {
            name: x.name.clone(),
            id: x.id,
            size: usize::from(x.size),
            encoding: x.encoding,
            scale: x.scale,
            unit: x.unit.clone(),
            quantity: x.quantity,
        });
    }

    let command_size = fields
        .iter()
        .find_map(|f| match f {
            Field::Command { size } => Some(*size),
            _ => None,
        })
        .unwrap_or(1);
    let mut commands: Vec<Command> = Vec::new();
    let mut codes: Vec<u32> = Vec::new();
    for c in &raw.commands {
        let x = c.get_ref();
        if commands.iter().any(|o| o.name == x.name) {
            return Err(ck.error(c.span(), format!("command {:?} appears twice", x.name)));
        }
        let mut def = |m: &MessageFile| -> Result<MessageDef, ProtocolError> {
            if codes.contains(&m.code) {
                return Err(ck.error(
                    c.span(),
                    format!("command code {:#x} is used twice", m.code),
                ));
            }
            if command_size < 4 && m.code >> (8 * command_size) != 0 {
                return Err(ck.error(
                    c.span(),
                    format!(
                        "code {:#x} does not fit the {command_size}-byte command field",
                        m.code
                    ),
                ));
            }
            let at = |p: Part| m.payload.iter().position(|x| *x == p);
            if let Some(v) = at(Part::Value)
                && at(Part::RegisterId).is_none_or(|r| r > v)
            {
                return Err(ck.error(
                    c.span(),
                    format!("in {:?}, a value needs a register_id before it", x.name),
                ));
            }
            codes.push(m.code);
            Ok(MessageDef {
                code: m.code,
                payload: m.payload.clone(),
            })
        };
        let request = def(&x.request)?;
        let response = def(&x.response)?;
        let error = x.error.as_ref().map(&mut def).transpose()?;
        commands.push(Command {
            name: x.name.clone(),
            request,
            response,
            error,
        });
    }

    let mut protocol = Protocol {
        name,
        description: raw.description.clone(),
        byte_order,
        escape,
        fields,
        register_id_size,
        registers,
        commands,
        vectors: Vec::new(),
    };
    for v in &raw.vectors {
        let x = v.get_ref();
        let line = ck.error(v.span(), "").line;
        let bytes = parse_hex(&x.hex).map_err(|e| ck.error(v.span(), format!("hex: {e}")))?;
        let message = Message {
            address: x.address,
            command: x.command.clone(),
            direction: x.direction,
            register: x.register.clone(),
            value: x.value,
            error_code: x.error_code,
        };
        protocol.vectors.push(Vector {
            line,
            bytes,
            message,
        });
    }
    Ok(protocol)
}
