//! A-XDR data values (the COSEM `Data` CHOICE) and the two value types GBCS leans on: OBIS codes
//! and COSEM date-times.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};

use super::reader::{DlmsError, Reader, put_len};

/// Nesting limit for arrays and structures: GBCS payloads nest four or five deep; the limit keeps
/// hostile input from exhausting the stack.
const MAX_DEPTH: usize = 16;

/// One DLMS data value (IEC 62056-6-2 §4.1.5, `Data ::= CHOICE`). The tag of each variant is
/// its A-XDR choice number. Floats are kept as their bits so values compare exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    Null,
    Array(Vec<Data>),
    Structure(Vec<Data>),
    /// Non-zero is true; the byte is kept as sent (GBCS sends `FF`).
    Boolean(u8),
    /// `bits` significant bits, most significant first, padded to whole bytes.
    BitString {
        bits: usize,
        bytes: Vec<u8>,
    },
    DoubleLong(i32),
    DoubleLongUnsigned(u32),
    OctetString(Vec<u8>),
    VisibleString(Vec<u8>),
    Utf8String(Vec<u8>),
    Bcd(i8),
    Integer(i8),
    Long(i16),
    Unsigned(u8),
    LongUnsigned(u16),
    Long64(i64),
    Long64Unsigned(u64),
    Enum(u8),
    Float32(u32),
    Float64(u64),
    DateTime([u8; 12]),
    Date([u8; 5]),
    Time([u8; 4]),
    /// An array whose elements share one type, sent once (`contents-description`), followed by
    /// the untagged values; GBCS profile and log responses use it.
    CompactArray {
        description: TypeDescription,
        elements: Vec<Data>,
    },
}

/// The type of a compact array's elements (IEC 62056-6-2 `TypeDescription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeDescription {
    /// A simple type, by its data tag.
    Simple(u8),
    Array {
        count: u16,
        element: Box<TypeDescription>,
    },
    Structure(Vec<TypeDescription>),
}

impl TypeDescription {
    fn read(r: &mut Reader<'_>, depth: usize) -> Result<TypeDescription, DlmsError> {
        let at = r.at;
        if depth > MAX_DEPTH {
            return Err(DlmsError::TooDeep {
                at,
                limit: MAX_DEPTH,
            });
        }
        Ok(match r.byte("type description")? {
            1 => {
                let count = u16::from_be_bytes(r.array("compact-array element count")?);
                TypeDescription::Array {
                    count,
                    element: Box::new(TypeDescription::read(r, depth + 1)?),
                }
            }
            2 => {
                let n = r.len("type description count")?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(TypeDescription::read(r, depth + 1)?);
                }
                TypeDescription::Structure(items)
            }
            tag @ (0 | 3..=18 | 20..=27) => TypeDescription::Simple(tag),
            other => {
                return Err(DlmsError::Unsupported {
                    at,
                    what: "type description",
                    found: other,
                });
            }
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TypeDescription::Simple(tag) => out.push(*tag),
            TypeDescription::Array { count, element } => {
                out.push(1);
                out.extend_from_slice(&count.to_be_bytes());
                element.encode(out);
            }
            TypeDescription::Structure(items) => {
                out.push(2);
                put_len(out, items.len());
                for item in items {
                    item.encode(out);
                }
            }
        }
    }

    /// Whether a value of this type takes at least one byte.
    fn takes_bytes(&self) -> bool {
        match self {
            TypeDescription::Simple(tag) => *tag != 0,
            TypeDescription::Array { count, element } => *count > 0 && element.takes_bytes(),
            TypeDescription::Structure(items) => items.iter().any(TypeDescription::takes_bytes),
        }
    }

    /// Whether every non-empty array within takes bytes per element, so the values read are
    /// bounded by the bytes read.
    fn bounded(&self) -> bool {
        match self {
            TypeDescription::Simple(_) => true,
            TypeDescription::Array { count, element } => {
                (*count == 0 || element.takes_bytes()) && element.bounded()
            }
            TypeDescription::Structure(items) => items.iter().all(TypeDescription::bounded),
        }
    }

    fn first_tag(&self) -> u8 {
        match self {
            TypeDescription::Simple(tag) => *tag,
            TypeDescription::Array { .. } => 1,
            TypeDescription::Structure(_) => 2,
        }
    }

    /// One untagged value of this type.
    fn read_value(&self, r: &mut Reader<'_>, depth: usize) -> Result<Data, DlmsError> {
        let at = r.at;
        if depth > MAX_DEPTH {
            return Err(DlmsError::TooDeep {
                at,
                limit: MAX_DEPTH,
            });
        }
        match self {
            TypeDescription::Simple(tag) => Data::read_body(r, *tag, at, depth),
            TypeDescription::Array { count, element } => {
                let mut items = Vec::new();
                for _ in 0..*count {
                    items.push(element.read_value(r, depth + 1)?);
                }
                Ok(Data::Array(items))
            }
            TypeDescription::Structure(types) => {
                let mut items = Vec::with_capacity(types.len());
                for t in types {
                    items.push(t.read_value(r, depth + 1)?);
                }
                Ok(Data::Structure(items))
            }
        }
    }

    /// Writes a value of this type untagged; `false` when the value does not have this type.
    fn encode_value(&self, value: &Data, out: &mut Vec<u8>) -> bool {
        match (self, value) {
            (TypeDescription::Simple(tag), v) if v.tag() == *tag && v.items().is_none() => {
                let start = out.len();
                v.encode(out);
                out.remove(start);
                true
            }
            (TypeDescription::Simple(_), _) => false,
            (TypeDescription::Array { count, element }, Data::Array(items)) => {
                items.len() == usize::from(*count)
                    && items.iter().all(|i| element.encode_value(i, out))
            }
            (TypeDescription::Structure(types), Data::Structure(items)) => {
                types.len() == items.len()
                    && types.iter().zip(items).all(|(t, i)| t.encode_value(i, out))
            }
            _ => false,
        }
    }
}

impl Data {
    /// Reads one value from the start of `bytes`; returns it and the bytes it took.
    pub fn decode_prefix(bytes: &[u8]) -> Result<(Data, usize), DlmsError> {
        let mut r = Reader::new(bytes);
        let value = Data::read(&mut r, 0)?;
        Ok((value, r.at))
    }

    /// Reads exactly one value; every byte must belong to it.
    pub fn decode(bytes: &[u8]) -> Result<Data, DlmsError> {
        let mut r = Reader::new(bytes);
        let value = Data::read(&mut r, 0)?;
        r.finish()?;
        Ok(value)
    }

    pub(super) fn read(r: &mut Reader<'_>, depth: usize) -> Result<Data, DlmsError> {
        let at = r.at;
        if depth > MAX_DEPTH {
            return Err(DlmsError::TooDeep {
                at,
                limit: MAX_DEPTH,
            });
        }
        let tag = r.byte("data tag")?;
        Data::read_body(r, tag, at, depth)
    }

    /// The value after its tag; `at` is where the tag was.
    fn read_body(r: &mut Reader<'_>, tag: u8, at: usize, depth: usize) -> Result<Data, DlmsError> {
        Ok(match tag {
            0 => Data::Null,
            1 | 2 => {
                let n = r.len("element count")?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(Data::read(r, depth + 1)?);
                }
                if tag == 1 {
                    Data::Array(items)
                } else {
                    Data::Structure(items)
                }
            }
            3 => Data::Boolean(r.byte("boolean")?),
            4 => {
                let bits = r.len_unchecked("bit-string length")?;
                let bytes = r.take(bits.div_ceil(8), "bit-string")?.to_vec();
                Data::BitString { bits, bytes }
            }
            5 => Data::DoubleLong(i32::from_be_bytes(r.array("double-long")?)),
            6 => Data::DoubleLongUnsigned(u32::from_be_bytes(r.array("double-long-unsigned")?)),
            9 | 10 | 12 => {
                let n = r.len("string length")?;
                let bytes = r.take(n, "string")?.to_vec();
                match tag {
                    9 => Data::OctetString(bytes),
                    10 => Data::VisibleString(bytes),
                    _ => Data::Utf8String(bytes),
                }
            }
            13 => Data::Bcd(r.byte("bcd")? as i8),
            15 => Data::Integer(r.byte("integer")? as i8),
            16 => Data::Long(i16::from_be_bytes(r.array("long")?)),
            17 => Data::Unsigned(r.byte("unsigned")?),
            18 => Data::LongUnsigned(u16::from_be_bytes(r.array("long-unsigned")?)),
            20 => Data::Long64(i64::from_be_bytes(r.array("long64")?)),
            21 => Data::Long64Unsigned(u64::from_be_bytes(r.array("long64-unsigned")?)),
            22 => Data::Enum(r.byte("enum")?),
            23 => Data::Float32(u32::from_be_bytes(r.array("float32")?)),
            24 => Data::Float64(u64::from_be_bytes(r.array("float64")?)),
            25 => Data::DateTime(r.array("date-time")?),
            26 => Data::Date(r.array("date")?),
            27 => Data::Time(r.array("time")?),
            19 => {
                let description = TypeDescription::read(r, depth + 1)?;
                let n = r.len("compact-array contents length")?;
                let contents = r.take(n, "compact-array contents")?;
                let mut inner = Reader::new(contents);
                let mut elements = Vec::new();
                let base = r.at - n;
                // Element types that take no bytes would repeat without end (or multiply
                // without bound inside nested arrays) over the contents.
                if !(description.takes_bytes() && description.bounded()) {
                    return Err(DlmsError::Unsupported {
                        at: at + 1,
                        what: "compact-array element type taking no bytes; type",
                        found: description.first_tag(),
                    });
                }
                while inner.at < contents.len() {
                    elements.push(
                        description
                            .read_value(&mut inner, depth + 1)
                            .map_err(|e| e.shifted(base))?,
                    );
                }
                Data::CompactArray {
                    description,
                    elements,
                }
            }
            other => {
                return Err(DlmsError::Unsupported {
                    at,
                    what: "data tag",
                    found: other,
                });
            }
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Data::Null => out.push(0),
            Data::Array(items) | Data::Structure(items) => {
                out.push(if matches!(self, Data::Array(_)) { 1 } else { 2 });
                put_len(out, items.len());
                for item in items {
                    item.encode(out);
                }
            }
            Data::Boolean(b) => out.extend_from_slice(&[3, *b]),
            Data::BitString { bits, bytes } => {
                out.push(4);
                put_len(out, *bits);
                out.extend_from_slice(bytes);
            }
            Data::DoubleLong(v) => put_tagged(out, 5, &v.to_be_bytes()),
            Data::DoubleLongUnsigned(v) => put_tagged(out, 6, &v.to_be_bytes()),
            Data::OctetString(b) | Data::VisibleString(b) | Data::Utf8String(b) => {
                out.push(match self {
                    Data::OctetString(_) => 9,
                    Data::VisibleString(_) => 10,
                    _ => 12,
                });
                put_len(out, b.len());
                out.extend_from_slice(b);
            }
            Data::Bcd(v) => out.extend_from_slice(&[13, *v as u8]),
            Data::Integer(v) => out.extend_from_slice(&[15, *v as u8]),
            Data::Long(v) => put_tagged(out, 16, &v.to_be_bytes()),
            Data::Unsigned(v) => out.extend_from_slice(&[17, *v]),
            Data::LongUnsigned(v) => put_tagged(out, 18, &v.to_be_bytes()),
            Data::Long64(v) => put_tagged(out, 20, &v.to_be_bytes()),
            Data::Long64Unsigned(v) => put_tagged(out, 21, &v.to_be_bytes()),
            Data::Enum(v) => out.extend_from_slice(&[22, *v]),
            Data::Float32(v) => put_tagged(out, 23, &v.to_be_bytes()),
            Data::Float64(v) => put_tagged(out, 24, &v.to_be_bytes()),
            Data::DateTime(b) => put_tagged(out, 25, b),
            Data::Date(b) => put_tagged(out, 26, b),
            Data::Time(b) => put_tagged(out, 27, b),
            Data::CompactArray {
                description,
                elements,
            } => {
                out.push(19);
                description.encode(out);
                let mut contents = Vec::new();
                for e in elements {
                    // A value that does not match the description is written tagged, which a
                    // reader then refuses: construct compact arrays from matching values.
                    if !description.encode_value(e, &mut contents) {
                        e.encode(&mut contents);
                    }
                }
                put_len(out, contents.len());
                out.extend_from_slice(&contents);
            }
        }
    }

    /// The A-XDR tag of the value's type.
    pub fn tag(&self) -> u8 {
        match self {
            Data::Null => 0,
            Data::Array(_) => 1,
            Data::Structure(_) => 2,
            Data::Boolean(_) => 3,
            Data::BitString { .. } => 4,
            Data::DoubleLong(_) => 5,
            Data::DoubleLongUnsigned(_) => 6,
            Data::OctetString(_) => 9,
            Data::VisibleString(_) => 10,
            Data::Utf8String(_) => 12,
            Data::Bcd(_) => 13,
            Data::Integer(_) => 15,
            Data::Long(_) => 16,
            Data::Unsigned(_) => 17,
            Data::LongUnsigned(_) => 18,
            Data::CompactArray { .. } => 19,
            Data::Long64(_) => 20,
            Data::Long64Unsigned(_) => 21,
            Data::Enum(_) => 22,
            Data::Float32(_) => 23,
            Data::Float64(_) => 24,
            Data::DateTime(_) => 25,
            Data::Date(_) => 26,
            Data::Time(_) => 27,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// The value as a signed integer, for any integer type.
    pub fn as_i64(&self) -> Option<i64> {
        Some(match *self {
            Data::DoubleLong(v) => i64::from(v),
            Data::DoubleLongUnsigned(v) => i64::from(v),
            Data::Integer(v) => i64::from(v),
            Data::Long(v) => i64::from(v),
            Data::Unsigned(v) => i64::from(v),
            Data::LongUnsigned(v) => i64::from(v),
            Data::Long64(v) => v,
            Data::Long64Unsigned(v) => i64::try_from(v).ok()?,
            Data::Enum(v) => i64::from(v),
            _ => return None,
        })
    }

    pub fn as_octets(&self) -> Option<&[u8]> {
        match self {
            Data::OctetString(b) | Data::VisibleString(b) | Data::Utf8String(b) => Some(b),
            _ => None,
        }
    }

    /// The items of an array, structure or compact array.
    pub fn items(&self) -> Option<&[Data]> {
        match self {
            Data::Array(items)
            | Data::Structure(items)
            | Data::CompactArray {
                elements: items, ..
            } => Some(items),
            _ => None,
        }
    }

    /// The DLMS UA name of the value's type, as gurux-dlms and the Green Book write it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Data::Null => "null-data",
            Data::Array(_) => "array",
            Data::Structure(_) => "structure",
            Data::Boolean(_) => "boolean",
            Data::BitString { .. } => "bit-string",
            Data::DoubleLong(_) => "double-long",
            Data::DoubleLongUnsigned(_) => "double-long-unsigned",
            Data::OctetString(_) => "octet-string",
            Data::VisibleString(_) => "visible-string",
            Data::Utf8String(_) => "utf8-string",
            Data::Bcd(_) => "bcd",
            Data::Integer(_) => "integer",
            Data::Long(_) => "long",
            Data::Unsigned(_) => "unsigned",
            Data::LongUnsigned(_) => "long-unsigned",
            Data::Long64(_) => "long64",
            Data::Long64Unsigned(_) => "long64-unsigned",
            Data::Enum(_) => "enum",
            Data::Float32(_) => "float32",
            Data::Float64(_) => "float64",
            Data::DateTime(_) => "date-time",
            Data::Date(_) => "date",
            Data::Time(_) => "time",
            Data::CompactArray { .. } => "compact-array",
        }
    }
}

/// A value as JSON for people reading a payload dccsim does not interpret: `{type name: value}`,
/// octet strings and date-times in hex, a bit string as its bits (`"110"`), a boolean as
/// sent (`true` for any non-zero byte), a float that is not a number as its bits in hex, a
/// 64-bit integer as a string (JSON readers lose precision past 2^53), arrays and structures as
/// lists of such values.
impl serde::Serialize for Data {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = ser.serialize_map(Some(1))?;
        let name = self.type_name();
        match self {
            Data::Null => map.serialize_entry(name, &())?,
            Data::Array(items) | Data::Structure(items) => map.serialize_entry(name, items)?,
            Data::CompactArray { elements, .. } => map.serialize_entry(name, elements)?,
            Data::Boolean(b) => map.serialize_entry(name, &(*b != 0))?,
            Data::BitString { bits, bytes } => {
                let text: String = (0..*bits)
                    .map(|i| {
                        let byte = bytes.get(i / 8).copied().unwrap_or(0);
                        if byte & (0x80 >> (i % 8)) != 0 {
                            '1'
                        } else {
                            '0'
                        }
                    })
                    .collect();
                map.serialize_entry(name, &text)?
            }
            Data::DoubleLong(v) => map.serialize_entry(name, v)?,
            Data::DoubleLongUnsigned(v) => map.serialize_entry(name, v)?,
            Data::OctetString(b) => map.serialize_entry(name, &hex(b))?,
            Data::VisibleString(b) | Data::Utf8String(b) => {
                map.serialize_entry(name, &String::from_utf8_lossy(b))?
            }
            Data::Bcd(v) | Data::Integer(v) => map.serialize_entry(name, v)?,
            Data::Long(v) => map.serialize_entry(name, v)?,
            Data::Unsigned(v) | Data::Enum(v) => map.serialize_entry(name, v)?,
            Data::LongUnsigned(v) => map.serialize_entry(name, v)?,
            Data::Long64(v) => map.serialize_entry(name, &v.to_string())?,
            Data::Long64Unsigned(v) => map.serialize_entry(name, &v.to_string())?,
            Data::Float32(bits) => match f32::from_bits(*bits) {
                v if v.is_finite() => map.serialize_entry(name, &v)?,
                _ => map.serialize_entry(name, &format!("{bits:08X}"))?,
            },
            Data::Float64(bits) => match f64::from_bits(*bits) {
                v if v.is_finite() => map.serialize_entry(name, &v)?,
                _ => map.serialize_entry(name, &format!("{bits:016X}"))?,
            },
            Data::DateTime(b) => map.serialize_entry(name, &hex(b))?,
            Data::Date(b) => map.serialize_entry(name, &hex(b))?,
            Data::Time(b) => map.serialize_entry(name, &hex(b))?,
        }
        map.end()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn put_tagged(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    out.extend_from_slice(bytes);
}

/// A COSEM logical name (OBIS code, IEC 62056-6-1): six bytes, written `A-B:C.D.E.F`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Obis(pub [u8; 6]);

impl fmt::Display for Obis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a}-{b}:{c}.{d}.{e}.{g}")
    }
}

/// A COSEM date-time (IEC 62056-6-2 §4.1.6.1): year (2 bytes), month, day of month, day of week,
/// hour, minute, second, hundredths, deviation from UTC in minutes (2 bytes, signed; `8000` =
/// not specified) and clock status. `FF` (or `FFFF`) in a field means "not specified".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CosemDateTime(pub [u8; 12]);

impl CosemDateTime {
    /// The octet string form GBCS uses (it sends date-times as 12-byte octet strings).
    pub fn from_octets(bytes: &[u8]) -> Option<CosemDateTime> {
        bytes.try_into().ok().map(CosemDateTime)
    }

    /// The local wall-clock time, if every field from year to second is specified.
    pub fn naive(&self) -> Option<NaiveDateTime> {
        let b = self.0;
        let year = u16::from_be_bytes([b[0], b[1]]);
        if year == 0xFFFF || b[2..4].contains(&0xFF) || b[5..8].contains(&0xFF) {
            return None;
        }
        let hundredths = if b[8] == 0xFF { 0 } else { u32::from(b[8]) };
        NaiveDate::from_ymd_opt(i32::from(year), u32::from(b[2]), u32::from(b[3]))?
            .and_hms_milli_opt(
                u32::from(b[5]),
                u32::from(b[6]),
                u32::from(b[7]),
                hundredths * 10,
            )
    }

    /// The deviation field in minutes, as the meter sends it; `None` when not specified (GBCS
    /// meters send UTC and leave it unspecified).
    pub fn deviation_minutes(&self) -> Option<i16> {
        let d = i16::from_be_bytes([self.0[9], self.0[10]]);
        (d != i16::MIN).then_some(d)
    }

    pub fn from_naive(t: NaiveDateTime) -> CosemDateTime {
        use chrono::{Datelike, Timelike};
        let year = (t.year() as u16).to_be_bytes();
        let weekday = t.weekday().number_from_monday() as u8;
        CosemDateTime([
            year[0],
            year[1],
            t.month() as u8,
            t.day() as u8,
            weekday,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            0x00,
            0x80,
            0x00,
            0xFF,
        ])
    }
}

impl fmt::Display for CosemDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.naive() {
            Some(t) => write!(f, "{}", t.format("%Y-%m-%dT%H:%M:%S")),
            None => {
                for b in self.0 {
                    write!(f, "{b:02X}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rtds_protection_structure() {
        // From ECS17b's command: structure(2){ enum 0, null }.
        let bytes = [0x02, 0x02, 0x16, 0x00, 0x00];
        let v = Data::decode(&bytes).unwrap();
        assert_eq!(v, Data::Structure(vec![Data::Enum(0), Data::Null]));
        assert_eq!(v.to_bytes(), bytes);
    }

    /// Values read as JSON: type-tagged, nested, nothing JSON cannot hold turned into `null`.
    #[test]
    fn values_read_as_json() {
        let json = |d: &Data| serde_json::to_string(d).unwrap();
        assert_eq!(json(&Data::Null), r#"{"null-data":null}"#);
        assert_eq!(
            json(&Data::Structure(vec![Data::Integer(-5), Data::Enum(27)])),
            r#"{"structure":[{"integer":-5},{"enum":27}]}"#
        );
        assert_eq!(
            json(&Data::OctetString(vec![0x07, 0xDF, 0xFF])),
            r#"{"octet-string":"07DFFF"}"#
        );
        assert_eq!(
            json(&Data::VisibleString(b"CSW".to_vec())),
            r#"{"visible-string":"CSW"}"#
        );
        assert_eq!(json(&Data::Boolean(0xFF)), r#"{"boolean":true}"#);
        let bits = |bits, bytes: &[u8]| Data::BitString {
            bits,
            bytes: bytes.to_vec(),
        };
        assert_eq!(json(&bits(3, &[0xC0])), r#"{"bit-string":"110"}"#);
        assert_eq!(json(&bits(0, &[])), r#"{"bit-string":""}"#);
        assert_eq!(
            json(&bits(10, &[0xFF, 0x40])),
            r#"{"bit-string":"1111111101"}"#
        );
        assert_eq!(json(&Data::Float32(1.5f32.to_bits())), r#"{"float32":1.5}"#);
        assert_eq!(
            json(&Data::Float32(0x7FC0_0000)),
            r#"{"float32":"7FC00000"}"#
        );
        assert_eq!(
            json(&Data::Float64(f64::INFINITY.to_bits())),
            r#"{"float64":"7FF0000000000000"}"#
        );
        assert_eq!(
            json(&Data::Long64Unsigned(u64::MAX)),
            r#"{"long64-unsigned":"18446744073709551615"}"#
        );
        assert_eq!(
            json(&Data::CompactArray {
                description: TypeDescription::Simple(6),
                elements: vec![Data::DoubleLongUnsigned(95)],
            }),
            r#"{"compact-array":[{"double-long-unsigned":95}]}"#
        );
    }

    #[test]
    fn long_lengths_are_minimal() {
        let v = Data::OctetString(vec![7; 300]);
        let bytes = v.to_bytes();
        assert_eq!(&bytes[..4], &[0x09, 0x82, 0x01, 0x2C]);
        assert_eq!(Data::decode(&bytes).unwrap(), v);
        // 0x81 0x05 is a non-minimal form of 5.
        let err = Data::decode(&[0x09, 0x81, 0x05, 1, 2, 3, 4, 5]).unwrap_err();
        assert_eq!(err, DlmsError::LengthForm { at: 1, first: 0x81 });
    }

    #[test]
    fn forged_counts_and_depth_are_refused() {
        assert!(matches!(
            Data::decode(&[0x01, 0x82, 0xFF, 0xFF]),
            Err(DlmsError::Truncated { .. })
        ));
        let deep: Vec<u8> = std::iter::repeat_n([0x02, 0x01], 40).flatten().collect();
        assert!(matches!(
            Data::decode(&deep),
            Err(DlmsError::TooDeep { .. })
        ));
        assert_eq!(
            Data::decode(&[0x1C, 0x00]),
            Err(DlmsError::Unsupported {
                at: 0,
                what: "data tag",
                found: 0x1C
            })
        );
    }

    #[test]
    fn compact_arrays_read_untagged_values_and_refuse_empty_element_types() {
        // compact-array of structure{long-unsigned, double-long-unsigned}, two elements.
        let bytes = [
            0x13, 0x02, 0x02, 0x12, 0x06, 0x0C, 0x00, 0x01, 0, 0, 0, 5, 0x00, 0x02, 0, 0, 0, 9,
        ];
        let v = Data::decode(&bytes).unwrap();
        assert_eq!(
            v.items().unwrap()[1],
            Data::Structure(vec![Data::LongUnsigned(2), Data::DoubleLongUnsigned(9)])
        );
        assert_eq!(v.to_bytes(), bytes);
        // Elements of type null over one byte of contents.
        assert!(matches!(
            Data::decode(&[0x13, 0x00, 0x01, 0xAA]),
            Err(DlmsError::Unsupported { .. })
        ));
    }

    #[test]
    fn cosem_date_time_reads_rtds_timestamps() {
        let t = CosemDateTime([
            0x07, 0xDE, 0x0C, 0x1F, 0xFF, 0x17, 0x32, 0x00, 0x00, 0x80, 0x00, 0xFF,
        ]);
        assert_eq!(t.to_string(), "2014-12-31T23:50:00");
        assert_eq!(t.deviation_minutes(), None);
        let back = CosemDateTime::from_naive(t.naive().unwrap());
        assert_eq!(back.naive(), t.naive());
        assert_eq!(Obis([1, 0, 1, 8, 0, 255]).to_string(), "1-0:1.8.0.255");
    }
}
