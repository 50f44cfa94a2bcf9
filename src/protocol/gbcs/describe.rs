//! A GBCS message as JSON, for people who need to see what a meter sent: header fields, the use
//! case its message code belongs to, the MAC and signature verdicts, and the payload's values.

use serde_json::{Value, json};

use super::codes::use_case;
use super::crypto::{KeyStore, Verdict, verify_mac, verify_signature};
use super::frame::GbcsMessage;
use crate::model::Eui64;

/// Describes `message`; without keys the verdicts read "not checked".
pub fn describe(message: &GbcsMessage, keys: Option<&KeyStore>, acb: Eui64) -> Value {
    let s = &message.signing;
    let code = message.message_code();
    let (use_case, srv) = code.and_then(use_case).unzip();
    let verdict = |v: Option<Verdict>| match v {
        None => "not checked",
        Some(Verdict::Valid) => "valid",
        Some(Verdict::Invalid) => "INVALID",
        Some(Verdict::Absent) => "absent",
        Some(Verdict::NoKey) => "no key",
    };
    json!({
        "mac_header": message.ciphering.as_ref().map(|c| json!({
            "security_header": hex(&c.security_header),
            "mac": hex(&c.mac),
        })),
        "cra": s.cra.to_string(),
        "originator_counter": s.originator_counter,
        "originator": s.originator.to_string(),
        "recipient": s.recipient.to_string(),
        "date_time": hex(&s.date_time),
        "message_code": code.map(|c| format!("0x{c:04X}")),
        "use_case": use_case,
        "service_reference_variant": srv,
        "other_information": hex(&s.other_information),
        "content_length": s.content.len(),
        "content": hex(&s.content),
        "signature": s.signature.as_deref().map(hex),
        "mac_verdict": verdict(keys.map(|k| verify_mac(k, message, acb))),
        "signature_verdict": verdict(keys.map(|k| verify_signature(k, message))),
        "payload": payload(message, keys),
    })
}

/// The payload's typed values, for DLMS, GBZ and ASN.1 payloads; sealed values are opened
/// when the keys hold the recipient's private key-agreement key.
fn payload(message: &GbcsMessage, keys: Option<&KeyStore>) -> Value {
    let content = &message.signing.content;
    if let Some(code) = message.message_code().filter(|c| super::join::is_han(*c)) {
        let command = message.signing.cra == super::Cra::Command;
        return match super::join::HanPayload::decode(code, command, content) {
            Ok(p) => serde_json::to_value(p).unwrap_or(Value::Null),
            Err(e) => json!({ "kind": "error", "error": e.to_string() }),
        };
    }
    if let Some(code) = message
        .message_code()
        .filter(|c| super::credentials::is_credentials(*c))
    {
        let command = message.signing.cra == super::Cra::Command;
        return match super::credentials::CredentialsPayload::decode(code, command, content) {
            Ok(p) => serde_json::to_value(p).unwrap_or(Value::Null),
            Err(e) => json!({ "kind": "error", "error": e.to_string() }),
        };
    }
    if let Some(code) = message
        .message_code()
        .filter(|&c| c == super::firmware::CS06 || c == super::firmware::CS06_ALERT)
    {
        return match super::firmware::FirmwarePayload::decode(code, content) {
            Ok(p) => serde_json::to_value(p).unwrap_or(Value::Null),
            Err(e) => json!({ "kind": "error", "error": e.to_string() }),
        };
    }
    if content.starts_with(&[0x01, 0x09]) {
        return gbz(message, keys);
    }
    if matches!(content.first(), Some(0x30 | 0x05)) {
        use super::asn1::{AsnPayload, Der};
        let alert = message.signing.cra == super::Cra::Alert;
        return match (AsnPayload::decode(content, alert), Der::decode(content)) {
            (Ok(Some(p)), _) => serde_json::to_value(p).unwrap_or(Value::Null),
            (Ok(None), Ok(der)) => json!({ "kind": "asn1", "der": der }),
            (Err(e), _) | (_, Err(e)) => json!({ "kind": "error", "error": e.to_string() }),
        };
    }
    if !matches!(message.signing.content.first(), Some(0xD9 | 0xDA | 0x0F)) {
        return Value::Null;
    }
    match super::payload::decode_dlms(message, keys) {
        Ok(reading) => serde_json::to_value(reading).unwrap_or(Value::Null),
        // A command of a use case not interpreted here: what it asks, as DLMS types it.
        Err(e) => match crate::protocol::dlms::Apdu::decode(&message.signing.content) {
            Ok(crate::protocol::dlms::Apdu::AccessRequest(r)) => json!({
                "kind": "other",
                "reason": format!("command not interpreted here ({e})"),
                "requests": r.specs.iter().map(request_spec).collect::<Vec<_>>(),
                "values": r.data,
            }),
            _ => json!({ "kind": "error", "error": e.to_string() }),
        },
    }
}

/// A GBZ payload: its components, each with its ZCL header and — when in clear or opened — its
/// payload, read as attribute records where it is a Read Attributes Response.
fn gbz(message: &GbcsMessage, keys: Option<&KeyStore>) -> Value {
    use super::gbz::{Gbz, gas_payload, read_attributes_response};
    let alert = message.signing.cra == super::Cra::Alert;
    let decoded = match Gbz::decode(&message.signing.content, alert) {
        Ok(g) => g,
        Err(e) => return json!({ "kind": "error", "error": e.to_string() }),
    };
    let components = match &decoded {
        Gbz::Components { components } => components,
        Gbz::Alert {
            alert_code,
            time,
            rest,
            ..
        } => {
            // As the electricity alerts read: the code in hex with its name, the time in UTC,
            // and for a future-dated command's alert, the command it was.
            let mut v = serde_json::to_value(&decoded).unwrap_or(Value::Null);
            v["alert_code"] = json!(format!("{alert_code:04X}"));
            v["name"] = json!(super::payload::alert_name(*alert_code));
            v["at"] = json!(super::payload::from_gbcs_seconds(*time));
            if matches!(alert_code, 0x8F66 | 0x8F67)
                && let Some(command) = super::gbz::FutureDated::decode(rest)
            {
                v["future_dated"] = serde_json::to_value(command).unwrap_or(Value::Null);
            }
            return v;
        }
    };
    let parts: Vec<Value> = components
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
            let plain = match (c.encrypted(), keys) {
                (false, _) => Some(Ok(c.payload.clone())),
                (true, Some(k)) => Some(c.plaintext(message, k)),
                (true, None) => None,
            };
            match plain {
                None => v["sealed"] = json!(true),
                Some(Err(e)) => v["sealed"] = json!(e.to_string()),
                Some(Ok(p)) => {
                    v["plaintext"] = json!(hex(&p));
                    if let Ok(Some(reading)) = gas_payload(c, &p) {
                        v["reading"] = serde_json::to_value(reading).unwrap_or(Value::Null);
                    }
                    if c.command == 0x01
                        && c.from_server()
                        && c.frame_control & 0x03 == 0
                        && let Ok(attributes) = read_attributes_response(&p)
                    {
                        v["attributes"] = serde_json::to_value(attributes).unwrap_or(Value::Null);
                    }
                }
            }
            v
        })
        .collect();
    json!({ "kind": "gbz", "components": parts })
}

/// One element of an access-request as a person reads it: `get 3 1-0:2.8.0.255 attribute 2`.
fn request_spec(spec: &crate::protocol::dlms::RequestSpec) -> String {
    use crate::protocol::dlms::RequestSpec::*;
    let attribute = |verb: &str, a: &crate::protocol::dlms::AttributeDescriptor| {
        format!(
            "{verb} {} {} attribute {}",
            a.class_id, a.instance, a.attribute
        )
    };
    match spec {
        Get(a) => attribute("get", a),
        Set(a) => attribute("set", a),
        GetWithSelection(a, s) => attribute("get", a) + &format!(" selector {}", s.selector),
        SetWithSelection(a, s) => attribute("set", a) + &format!(" selector {}", s.selector),
        Action(m) => format!("action {} {} method {}", m.class_id, m.instance, m.method),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Parses hex digits, ignoring whitespace; the error names the first offending character.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .collect();
    if let Some((at, c)) = digits.iter().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(format!("character {c:?} at offset {at} is not a hex digit"));
    }
    if !digits.len().is_multiple_of(2) {
        return Err(format!(
            "{} hex digits: an odd number cannot make whole bytes",
            digits.len()
        ));
    }
    Ok(digits
        .chunks(2)
        .map(|p| {
            let hi = p[0].1.to_digit(16).unwrap_or(0);
            let lo = p[1].1.to_digit(16).unwrap_or(0);
            (hi * 16 + lo) as u8
        })
        .collect())
}
