//! The three DLMS APDUs GBCS sends (IEC 62056-5-3 §9.3, ACCESS and DATA-NOTIFICATION).
//!
//! ```text
//! access-request       D9 invoke-id(4) date-time body: specs(count, …) list-of-data(count, …)
//! access-response      DA invoke-id(4) date-time 00 list-of-data(count, …) results(count, …)
//! data-notification    0F invoke-id(4) date-time notification-body(Data)
//! ```
//!
//! `date-time` is an A-XDR octet string, empty in GBCS; the `00` in the response is the absent
//! OPTIONAL echo of the request's specifications, which GBCS never sends.

use super::data::{Data, Obis};
use super::reader::{DlmsError, Reader, put_len};

const ACCESS_REQUEST: u8 = 0xD9;
const ACCESS_RESPONSE: u8 = 0xDA;
const DATA_NOTIFICATION: u8 = 0x0F;

/// A COSEM object attribute: interface class, logical name, attribute number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDescriptor {
    pub class_id: u16,
    pub instance: Obis,
    pub attribute: i8,
}

/// A COSEM object method: interface class, logical name, method number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodDescriptor {
    pub class_id: u16,
    pub instance: Obis,
    pub method: i8,
}

/// Selective access (e.g. a profile's entries between two times): selector and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectiveAccess {
    pub selector: u8,
    pub parameters: Data,
}

/// One element of an access-request; its data travels in the request's list of data, by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestSpec {
    Get(AttributeDescriptor),
    Set(AttributeDescriptor),
    Action(MethodDescriptor),
    GetWithSelection(AttributeDescriptor, SelectiveAccess),
    SetWithSelection(AttributeDescriptor, SelectiveAccess),
}

/// The outcome of one element of an access-response, as the raw result code (0 = success).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseSpec {
    /// Data-Access-Result of a get.
    Get(u8),
    /// Data-Access-Result of a set.
    Set(u8),
    /// Action-Result of an action.
    Action(u8),
}

impl ResponseSpec {
    pub fn code(self) -> u8 {
        match self {
            ResponseSpec::Get(c) | ResponseSpec::Set(c) | ResponseSpec::Action(c) => c,
        }
    }

    pub fn succeeded(self) -> bool {
        self.code() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRequest {
    /// Long-invoke-id-and-priority; GBCS puts the low bits of the originator counter here.
    pub invoke_id: u32,
    pub date_time: Vec<u8>,
    pub specs: Vec<RequestSpec>,
    pub data: Vec<Data>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessResponse {
    pub invoke_id: u32,
    pub date_time: Vec<u8>,
    pub data: Vec<Data>,
    pub results: Vec<ResponseSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataNotification {
    pub invoke_id: u32,
    pub date_time: Vec<u8>,
    pub body: Data,
}

/// A DLMS APDU as GBCS carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Apdu {
    AccessRequest(AccessRequest),
    AccessResponse(AccessResponse),
    DataNotification(DataNotification),
}

impl Apdu {
    /// Reads one whole APDU; every byte must belong to it.
    pub fn decode(bytes: &[u8]) -> Result<Apdu, DlmsError> {
        let mut r = Reader::new(bytes);
        let tag = *bytes.first().ok_or(DlmsError::Empty)?;
        r.at = 1;
        let invoke_id = u32::from_be_bytes(r.array("long-invoke-id-and-priority")?);
        let n = r.len("date-time length")?;
        let date_time = r.take(n, "date-time")?.to_vec();
        let apdu = match tag {
            ACCESS_REQUEST => {
                let count = r.len("access-request-specification count")?;
                let mut specs = Vec::with_capacity(count);
                for _ in 0..count {
                    specs.push(read_request_spec(&mut r)?);
                }
                Apdu::AccessRequest(AccessRequest {
                    invoke_id,
                    date_time,
                    specs,
                    data: read_list(&mut r)?,
                })
            }
            ACCESS_RESPONSE => {
                let at = r.at;
                let echo = r.byte("access-request-specification echo")?;
                if echo != 0 {
                    return Err(DlmsError::Unsupported {
                        at,
                        what: "echoed access-request-specification",
                        found: echo,
                    });
                }
                let data = read_list(&mut r)?;
                let count = r.len("access-response-specification count")?;
                let mut results = Vec::with_capacity(count);
                for _ in 0..count {
                    let at = r.at;
                    let choice = r.byte("access-response-specification")?;
                    let code = r.byte("result")?;
                    results.push(match choice {
                        1 => ResponseSpec::Get(code),
                        2 => ResponseSpec::Set(code),
                        3 => ResponseSpec::Action(code),
                        other => {
                            return Err(DlmsError::Unsupported {
                                at,
                                what: "access-response-specification",
                                found: other,
                            });
                        }
                    });
                }
                Apdu::AccessResponse(AccessResponse {
                    invoke_id,
                    date_time,
                    data,
                    results,
                })
            }
            DATA_NOTIFICATION => Apdu::DataNotification(DataNotification {
                invoke_id,
                date_time,
                body: Data::read(&mut r, 0)?,
            }),
            other => {
                return Err(DlmsError::Unsupported {
                    at: 0,
                    what: "APDU tag",
                    found: other,
                });
            }
        };
        r.finish()?;
        Ok(apdu)
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        let (tag, invoke_id, date_time) = match self {
            Apdu::AccessRequest(a) => (ACCESS_REQUEST, a.invoke_id, &a.date_time),
            Apdu::AccessResponse(a) => (ACCESS_RESPONSE, a.invoke_id, &a.date_time),
            Apdu::DataNotification(a) => (DATA_NOTIFICATION, a.invoke_id, &a.date_time),
        };
        out.push(tag);
        out.extend_from_slice(&invoke_id.to_be_bytes());
        put_len(out, date_time.len());
        out.extend_from_slice(date_time);
        match self {
            Apdu::AccessRequest(a) => {
                put_len(out, a.specs.len());
                for spec in &a.specs {
                    write_request_spec(out, spec);
                }
                write_list(out, &a.data);
            }
            Apdu::AccessResponse(a) => {
                out.push(0);
                write_list(out, &a.data);
                put_len(out, a.results.len());
                for result in &a.results {
                    let choice = match result {
                        ResponseSpec::Get(_) => 1,
                        ResponseSpec::Set(_) => 2,
                        ResponseSpec::Action(_) => 3,
                    };
                    out.extend_from_slice(&[choice, result.code()]);
                }
            }
            Apdu::DataNotification(a) => a.body.encode(out),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

fn read_list(r: &mut Reader<'_>) -> Result<Vec<Data>, DlmsError> {
    let count = r.len("list-of-data count")?;
    let mut data = Vec::with_capacity(count);
    for _ in 0..count {
        data.push(Data::read(r, 0)?);
    }
    Ok(data)
}

fn write_list(out: &mut Vec<u8>, data: &[Data]) {
    put_len(out, data.len());
    for d in data {
        d.encode(out);
    }
}

fn read_descriptor(r: &mut Reader<'_>) -> Result<(u16, Obis, i8), DlmsError> {
    let class_id = u16::from_be_bytes(r.array("class-id")?);
    let instance = Obis(r.array("instance-id")?);
    let id = r.byte("attribute or method id")? as i8;
    Ok((class_id, instance, id))
}

fn read_request_spec(r: &mut Reader<'_>) -> Result<RequestSpec, DlmsError> {
    let at = r.at;
    let choice = r.byte("access-request-specification")?;
    let (class_id, instance, id) = read_descriptor(r)?;
    let attribute = AttributeDescriptor {
        class_id,
        instance,
        attribute: id,
    };
    let selection = |r: &mut Reader<'_>| -> Result<SelectiveAccess, DlmsError> {
        Ok(SelectiveAccess {
            selector: r.byte("access-selector")?,
            parameters: Data::read(r, 0)?,
        })
    };
    Ok(match choice {
        1 => RequestSpec::Get(attribute),
        2 => RequestSpec::Set(attribute),
        3 => RequestSpec::Action(MethodDescriptor {
            class_id,
            instance,
            method: id,
        }),
        4 => RequestSpec::GetWithSelection(attribute, selection(r)?),
        5 => RequestSpec::SetWithSelection(attribute, selection(r)?),
        other => {
            return Err(DlmsError::Unsupported {
                at,
                what: "access-request-specification",
                found: other,
            });
        }
    })
}

fn write_request_spec(out: &mut Vec<u8>, spec: &RequestSpec) {
    let (choice, class_id, instance, id, selection) = match spec {
        RequestSpec::Get(a) => (1, a.class_id, a.instance, a.attribute, None),
        RequestSpec::Set(a) => (2, a.class_id, a.instance, a.attribute, None),
        RequestSpec::Action(m) => (3, m.class_id, m.instance, m.method, None),
        RequestSpec::GetWithSelection(a, s) => (4, a.class_id, a.instance, a.attribute, Some(s)),
        RequestSpec::SetWithSelection(a, s) => (5, a.class_id, a.instance, a.attribute, Some(s)),
    };
    out.push(choice);
    out.extend_from_slice(&class_id.to_be_bytes());
    out.extend_from_slice(&instance.0);
    out.push(id as u8);
    if let Some(s) = selection {
        out.push(s.selector);
        s.parameters.encode(out);
    }
}
