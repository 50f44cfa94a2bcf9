//! Enveloped XML signatures as DUIS uses them (DUIS §2.6, W3C XMLDSig with exclusive
//! canonicalization): a user signs each request, the DCC each response and alert.
//!
//! Profile (the only one accepted): `Reference URI=""` with the enveloped-signature transform
//! (and optionally exclusive C14N), `CanonicalizationMethod` exclusive C14N without comments,
//! `SignatureMethod` ECDSA P-256 with SHA-256 (signature value r ‖ s, 64 bytes, base64),
//! `DigestMethod` SHA-256, signer named by `KeyInfo/X509Data/X509IssuerSerial`.
//!
//! Canonicalization (W3C xml-exc-c14n, without comments) is done here over a tree read with
//! quick-xml: namespace declarations only where visibly utilized and not already in force on
//! an output ancestor, sorted by prefix; attributes sorted by namespace URI then local name;
//! text and attribute values escaped as the spec says; empty elements as start and end tags;
//! comments, processing instructions and the XML declaration dropped.

use std::collections::BTreeMap;

use base64::Engine;
use quick_xml::events::Event;

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// Why a signature does not verify or a document cannot be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlDsigError {
    #[error("not well-formed XML at byte {at}: {reason}")]
    Xml { at: usize, reason: String },
    #[error("no ds:Signature in the document")]
    NoSignature,
    #[error("more than one ds:Signature in the document")]
    ManySignatures,
    #[error("ds:Signature lacks {0}")]
    Missing(&'static str),
    #[error("{what} is {found:?}; DUIS uses {expected}")]
    Algorithm {
        what: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error(
        "the digest of the document does not match ds:DigestValue: the document was changed (or \
         never signed: an RTDS template carries a placeholder signature — sign it with \
         `dccsim duis sign`)"
    )]
    Digest,
    #[error(
        "ds:SignatureValue does not verify with the key of {0}: wrong key, or SignedInfo changed"
    )]
    Signature(String),
    #[error(
        "no signing certificate known for {0} (of the ZAZ1 test users, only those with an \
         XML-signing key in the keystore can sign DUIS)"
    )]
    UnknownSigner(String),
    #[error("{0} is not valid base64")]
    Base64(&'static str),
}

/// The signer as `KeyInfo` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IssuerSerial {
    pub issuer: String,
    pub serial: String,
}

impl std::fmt::Display for IssuerSerial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} serial {}", self.issuer, self.serial)
    }
}

/// A node of the document tree.
#[derive(Debug, Clone)]
enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Clone)]
struct Element {
    /// `prefix:local` as written.
    qname: String,
    /// Namespace declarations on this element: prefix ("" for the default) → URI.
    declared: BTreeMap<String, String>,
    /// Other attributes: qname → value (unescaped).
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
    /// Byte range of the element in the source (start of `<` to end of `>` of its end tag).
    span: (usize, usize),
}

impl Element {
    fn prefix(&self) -> &str {
        self.qname.split_once(':').map_or("", |(p, _)| p)
    }

    fn local(&self) -> &str {
        self.qname.split_once(':').map_or(&self.qname, |(_, l)| l)
    }

    fn child(&self, local: &str) -> Option<&Element> {
        self.children.iter().find_map(|n| match n {
            Node::Element(e) if e.local() == local => Some(e),
            _ => None,
        })
    }

    fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads the document element.
fn parse(xml: &str) -> Result<Element, XmlDsigError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let at = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| XmlDsigError::Xml {
            at: reader.error_position() as usize,
            reason: e.to_string(),
        })?;
        let fail = |reason: String| XmlDsigError::Xml { at, reason };
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() && stack.is_empty() => {
                let _ = e;
                return Err(fail("content after the document element".into()));
            }
            ev @ (Event::Start(_) | Event::Empty(_)) => {
                let (e, empty) = match ev {
                    Event::Start(e) => (e, false),
                    Event::Empty(e) => (e, true),
                    _ => unreachable!("matched Start or Empty"),
                };
                let name = e.name();
                let qname: &str = name.as_ref();
                let qname = qname.to_string();
                let mut element = Element {
                    qname,
                    declared: BTreeMap::new(),
                    attributes: Vec::new(),
                    children: Vec::new(),
                    span: (at, reader.buffer_position() as usize),
                };
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| fail(e.to_string()))?;
                    let key: &str = attr.key.as_ref();
                    let key = key.to_string();
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| fail(format!("attribute {key}: {e}")))?
                        .into_owned();
                    if key == "xmlns" {
                        element.declared.insert(String::new(), value);
                    } else if let Some(p) = key.strip_prefix("xmlns:") {
                        element.declared.insert(p.to_string(), value);
                    } else {
                        element.attributes.push((key, value));
                    }
                }
                if empty {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(element)),
                        None => root = Some(element),
                    }
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let mut element = stack
                    .pop()
                    .ok_or_else(|| fail("end tag without a start".into()))?;
                element.span.1 = reader.buffer_position() as usize;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(element)),
                    None => root = Some(element),
                }
            }
            Event::Text(t) => {
                if let Some(current) = stack.last_mut() {
                    let raw = t.into_inner();
                    push_text(current, &raw.replace("\r\n", "\n").replace('\r', "\n"));
                }
            }
            Event::CData(t) => {
                if let Some(current) = stack.last_mut() {
                    let raw = t.into_inner();
                    let text: &str = raw.as_ref();
                    push_text(current, text);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(current) = stack.last_mut() {
                    let name: String = r.into_inner().into_owned();
                    let text = resolve_entity(&name)
                        .ok_or_else(|| fail(format!("unknown entity &{name};")))?;
                    push_text(current, &text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlDsigError::Xml {
            at: xml.len(),
            reason: "unclosed element".into(),
        });
    }
    root.ok_or(XmlDsigError::Xml {
        at: 0,
        reason: "no document element".into(),
    })
}

fn push_text(e: &mut Element, text: &str) {
    if let Some(Node::Text(last)) = e.children.last_mut() {
        last.push_str(text);
    } else {
        e.children.push(Node::Text(text.to_string()));
    }
}

pub(crate) fn resolve_entity(name: &str) -> Option<String> {
    Some(match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                name.strip_prefix('#')?.parse().ok()?
            };
            char::from_u32(code)?.to_string()
        }
    })
}

/// Which canonical XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum C14n {
    /// Canonical XML 1.0 (the default for a reference's data when no transform names another):
    /// every namespace in scope is rendered where it first applies.
    Inclusive,
    /// Exclusive XML canonicalization: only visibly utilized namespaces.
    Exclusive,
}

/// Canonical form of `element`, whose ancestors declare `in_scope` (prefix → URI); `skip`
/// leaves out one element (the enveloped signature) by its span.
fn canonical(
    element: &Element,
    in_scope: &BTreeMap<String, String>,
    skip: Option<(usize, usize)>,
    mode: C14n,
) -> String {
    // About as long as the element's source text.
    let mut out = String::with_capacity(element.span.1.saturating_sub(element.span.0) + 64);
    write_element(element, in_scope, &BTreeMap::new(), skip, mode, &mut out);
    out
}

fn write_element(
    e: &Element,
    in_scope: &BTreeMap<String, String>,
    rendered: &BTreeMap<String, String>,
    skip: Option<(usize, usize)>,
    mode: C14n,
    out: &mut String,
) {
    // Most elements declare nothing and render no namespace: their parent's maps serve as is.
    let scope: std::borrow::Cow<BTreeMap<String, String>> = if e.declared.is_empty() {
        std::borrow::Cow::Borrowed(in_scope)
    } else {
        let mut scope = in_scope.clone();
        for (p, uri) in &e.declared {
            scope.insert(p.clone(), uri.clone());
        }
        std::borrow::Cow::Owned(scope)
    };
    // Exclusive: the visibly utilized prefixes (the element's own, its prefixed attributes');
    // inclusive: every prefix in scope.
    let mut used: Vec<&str> = match mode {
        C14n::Exclusive => vec![e.prefix()],
        C14n::Inclusive => scope.keys().map(String::as_str).collect(),
    };
    for (k, _) in &e.attributes {
        if let Some((p, _)) = k.split_once(':')
            && p != "xml"
            && mode == C14n::Exclusive
        {
            used.push(p);
        }
    }
    let mut to_render: BTreeMap<&str, &str> = BTreeMap::new();
    for p in used {
        let uri = scope.get(p).map_or("", String::as_str);
        let already = rendered.get(p).map_or("", String::as_str);
        if uri != already {
            to_render.insert(p, uri);
        }
    }
    out.push('<');
    out.push_str(&e.qname);
    for (p, uri) in &to_render {
        if p.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(p);
            out.push_str("=\"");
        }
        escape_attribute(uri, out);
        out.push('"');
    }
    let mut attributes: Vec<(String, &str, &str)> = e
        .attributes
        .iter()
        .map(|(k, _)| {
            let (uri, local) = match k.split_once(':') {
                Some(("xml", l)) => ("http://www.w3.org/XML/1998/namespace".to_string(), l),
                Some((p, l)) => (scope.get(p).cloned().unwrap_or_default(), l),
                None => (String::new(), k.as_str()),
            };
            (uri, local, k.as_str())
        })
        .map(|(uri, local, k)| {
            (
                format!("{uri}\u{0}{local}"),
                k,
                e.attribute(k).unwrap_or(""),
            )
        })
        .collect();
    attributes.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, k, v) in attributes {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape_attribute(v, out);
        out.push('"');
    }
    out.push('>');
    let now_rendered: std::borrow::Cow<BTreeMap<String, String>> = if to_render.is_empty() {
        std::borrow::Cow::Borrowed(rendered)
    } else {
        let mut now = rendered.clone();
        for (p, uri) in to_render {
            now.insert(p.to_string(), uri.to_string());
        }
        std::borrow::Cow::Owned(now)
    };
    for child in &e.children {
        match child {
            Node::Text(t) => escape_text(t, out),
            Node::Element(c) if Some(c.span) == skip => {}
            Node::Element(c) => write_element(c, &scope, &now_rendered, skip, mode, out),
        }
    }
    out.push_str("</");
    out.push_str(&e.qname);
    out.push('>');
}

/// Text as Canonical XML writes it (`&`, `<`, `>` and carriage return escaped).
pub(crate) fn escape_text(t: &str, out: &mut String) {
    escape(t, out, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    });
}

fn escape_attribute(t: &str, out: &mut String) {
    escape(t, out, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'"' => Some("&quot;"),
        b'\t' => Some("&#x9;"),
        b'\n' => Some("&#xA;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    });
}

/// `t` onto `out` with the bytes `reference` names replaced: the runs between them (most of a
/// text: base64, ids, times) go in whole. The bytes replaced are ASCII, so runs split on char
/// boundaries.
fn escape(t: &str, out: &mut String, reference: impl Fn(u8) -> Option<&'static str>) {
    let mut from = 0;
    for (i, b) in t.bytes().enumerate() {
        if let Some(r) = reference(b) {
            out.push_str(&t[from..i]);
            out.push_str(r);
            from = i + 1;
        }
    }
    out.push_str(&t[from..]);
}

/// The exclusive canonical form of a whole document (for tests and tools).
pub fn canonicalize(xml: &str) -> Result<String, XmlDsigError> {
    Ok(canonical(
        &parse(xml)?,
        &BTreeMap::new(),
        None,
        C14n::Exclusive,
    ))
}

fn sha256_b64(data: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

fn find_signature(root: &Element) -> Result<&Element, XmlDsigError> {
    let mut found = root.children.iter().filter_map(|n| match n {
        Node::Element(e) if e.local() == "Signature" => Some(e),
        _ => None,
    });
    match (found.next(), found.next()) {
        (None, _) => Err(XmlDsigError::NoSignature),
        (Some(_), Some(_)) => Err(XmlDsigError::ManySignatures),
        (Some(s), None) => Ok(s),
    }
}

/// The namespaces in scope at the signature's SignedInfo (root's and Signature's declarations).
fn scope_of(root: &Element, signature: &Element) -> BTreeMap<String, String> {
    let mut scope = root.declared.clone();
    for (p, u) in &signature.declared {
        scope.insert(p.clone(), u.clone());
    }
    scope
}

/// Checks the enveloped signature of `xml`; `key_of` gives the signer's public key (SEC1
/// uncompressed point) for the certificate `KeyInfo` names. Returns that name.
pub fn verify(
    xml: &str,
    key_of: impl Fn(&IssuerSerial) -> Option<Vec<u8>>,
) -> Result<IssuerSerial, XmlDsigError> {
    let root = parse(xml)?;
    let signature = find_signature(&root)?;
    let signed_info = signature
        .child("SignedInfo")
        .ok_or(XmlDsigError::Missing("ds:SignedInfo"))?;
    let algorithm = |e: Option<&Element>, what: &'static str, expected: &'static str| {
        let e = e.ok_or(XmlDsigError::Missing(what))?;
        let found = e.attribute("Algorithm").unwrap_or_default();
        if found == expected {
            Ok(())
        } else {
            Err(XmlDsigError::Algorithm {
                what,
                found: found.to_string(),
                expected,
            })
        }
    };
    algorithm(
        signed_info.child("CanonicalizationMethod"),
        "ds:CanonicalizationMethod",
        EXC_C14N,
    )?;
    algorithm(
        signed_info.child("SignatureMethod"),
        "ds:SignatureMethod",
        ECDSA_SHA256,
    )?;
    let references: Vec<&Element> = signed_info
        .children
        .iter()
        .filter_map(|n| match n {
            Node::Element(e) if e.local() == "Reference" => Some(e),
            _ => None,
        })
        .collect();
    let [reference] = references.as_slice() else {
        return Err(XmlDsigError::Missing("exactly one ds:Reference"));
    };
    if reference.attribute("URI") != Some("") {
        return Err(XmlDsigError::Algorithm {
            what: "ds:Reference URI",
            found: reference.attribute("URI").unwrap_or("(none)").to_string(),
            expected: "\"\" (the whole document)",
        });
    }
    let transforms = reference
        .child("Transforms")
        .ok_or(XmlDsigError::Missing("ds:Transforms"))?;
    let mut saw_enveloped = false;
    // XMLDSig §4.3.3.2: without a canonicalization transform the reference's node-set is
    // turned into octets by Canonical XML 1.0 (inclusive), as DCC's own tool signs.
    let mut data_c14n = C14n::Inclusive;
    for t in transforms.children.iter().filter_map(|n| match n {
        Node::Element(e) => Some(e),
        _ => None,
    }) {
        match t.attribute("Algorithm").unwrap_or_default() {
            ENVELOPED => saw_enveloped = true,
            EXC_C14N => data_c14n = C14n::Exclusive,
            other => {
                return Err(XmlDsigError::Algorithm {
                    what: "ds:Transform",
                    found: other.to_string(),
                    expected: "enveloped-signature, exclusive C14N",
                });
            }
        }
    }
    if !saw_enveloped {
        return Err(XmlDsigError::Missing("the enveloped-signature transform"));
    }
    algorithm(reference.child("DigestMethod"), "ds:DigestMethod", SHA256)?;
    let digest = reference
        .child("DigestValue")
        .ok_or(XmlDsigError::Missing("ds:DigestValue"))?
        .text();
    let document = canonical(&root, &BTreeMap::new(), Some(signature.span), data_c14n);
    if sha256_b64(document.as_bytes()) != digest.trim() {
        return Err(XmlDsigError::Digest);
    }
    let issuer_serial = signature
        .child("KeyInfo")
        .and_then(|k| k.child("X509Data"))
        .and_then(|d| d.child("X509IssuerSerial"))
        .ok_or(XmlDsigError::Missing(
            "ds:KeyInfo/ds:X509Data/ds:X509IssuerSerial",
        ))?;
    let signer = IssuerSerial {
        issuer: issuer_serial
            .child("X509IssuerName")
            .map(|e| e.text().trim().to_string())
            .ok_or(XmlDsigError::Missing("ds:X509IssuerName"))?,
        serial: issuer_serial
            .child("X509SerialNumber")
            .map(|e| e.text().trim().to_string())
            .ok_or(XmlDsigError::Missing("ds:X509SerialNumber"))?,
    };
    let key = key_of(&signer).ok_or_else(|| XmlDsigError::UnknownSigner(signer.to_string()))?;
    let value: String = signature
        .child("SignatureValue")
        .ok_or(XmlDsigError::Missing("ds:SignatureValue"))?
        .text()
        .split_whitespace()
        .collect();
    let value = base64::engine::general_purpose::STANDARD
        .decode(value)
        .map_err(|_| XmlDsigError::Base64("ds:SignatureValue"))?;
    let signed = canonical(
        signed_info,
        &scope_of(&root, signature),
        None,
        C14n::Exclusive,
    );
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &key)
        .verify(signed.as_bytes(), &value)
        .map_err(|_| XmlDsigError::Signature(signer.to_string()))?;
    Ok(signer)
}

/// Signs `xml` (which must not carry a signature yet): appends an enveloped `ds:Signature` as
/// the last child of the document element, adding no whitespace, so the bytes returned are the
/// bytes to send.
pub fn sign(xml: &str, key: &SigningKey, signer: &IssuerSerial) -> Result<String, XmlDsigError> {
    let root = parse(xml)?;
    if find_signature(&root).is_ok() {
        return Err(XmlDsigError::ManySignatures);
    }
    // As DCC's tool signs: the enveloped-signature transform alone, so the document is
    // digested in Canonical XML 1.0.
    let digest = sha256_b64(canonical(&root, &BTreeMap::new(), None, C14n::Inclusive).as_bytes());
    let declare_ds = root.declared.get("ds").map(String::as_str) != Some(DSIG);
    envelop(xml, root.span.1, &digest, declare_ds, key, signer)
}

/// [`sign`] for a document this program wrote already in canonical form — an `sr:Response`
/// of [`super::response`]: one XML declaration, then elements with end tags, attributes in
/// canonical order, no `ds` prefix, no whitespace, comments or references — whose bytes after
/// the declaration are its Canonical XML. The digest is taken of those bytes, without parsing
/// the document (the dearest part of signing a response). Debug builds (and so the tests)
/// check the bytes against the canonicalizer.
pub fn sign_canonical(
    xml: &str,
    key: &SigningKey,
    signer: &IssuerSerial,
) -> Result<String, XmlDsigError> {
    let body = match xml.strip_prefix("<?xml") {
        Some(rest) => rest
            .find("?>")
            .map(|i| &rest[i + 2..])
            .ok_or(XmlDsigError::Xml {
                at: 0,
                reason: "the XML declaration is not closed".into(),
            })?,
        None => xml,
    };
    // What canonicalization would rewrite (empty-element tags, carriage returns, comments,
    // processing instructions, character references) sends the document the general way.
    if ["/>", "\r", "<!", "<?", "&#"]
        .iter()
        .any(|p| body.contains(p))
    {
        return sign(xml, key, signer);
    }
    debug_assert_eq!(
        canonical(&parse(xml)?, &BTreeMap::new(), None, C14n::Inclusive),
        body,
        "a document signed as already canonical is not"
    );
    envelop(
        xml,
        xml.len(),
        &sha256_b64(body.as_bytes()),
        true,
        key,
        signer,
    )
}

/// The Canonical XML (exclusive) of the `SignedInfo` DCC's signatures carry, with `digest`:
/// exclusive C14N renders only the namespaces an element visibly uses, and `SignedInfo` uses
/// only `ds`, so this is byte for byte what it is in place, whatever document it signs (a test
/// checks it against the canonicalizer).
fn signed_info_c14n(digest: &str) -> String {
    format!(
        "<ds:SignedInfo xmlns:ds=\"{DSIG}\"><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"{ECDSA_SHA256}\"></ds:SignatureMethod><ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"{ENVELOPED}\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"{SHA256}\"></ds:DigestMethod><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"
    )
}

/// `xml` with an enveloped signature of the document whose digest is `digest`, placed before
/// the end tag of the document element (which ends at `end`).
fn envelop(
    xml: &str,
    end: usize,
    digest: &str,
    declare_ds: bool,
    key: &SigningKey,
    signer: &IssuerSerial,
) -> Result<String, XmlDsigError> {
    let declare_ds = if declare_ds {
        format!(" xmlns:ds=\"{DSIG}\"")
    } else {
        String::new()
    };
    let close = xml[..end].rfind("</").ok_or(XmlDsigError::Xml {
        at: end,
        reason: "the document element has no end tag to sign before".into(),
    })?;
    let value = base64::engine::general_purpose::STANDARD
        .encode(key.sign(signed_info_c14n(digest).as_bytes())?);
    let mut escaped_issuer = String::new();
    escape_text(&signer.issuer, &mut escaped_issuer);
    Ok(format!(
        "{}<ds:Signature{declare_ds}><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/><ds:SignatureMethod Algorithm=\"{ECDSA_SHA256}\"/><ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"{ENVELOPED}\"/></ds:Transforms><ds:DigestMethod Algorithm=\"{SHA256}\"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>{value}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>{escaped_issuer}</ds:X509IssuerName><ds:X509SerialNumber>{}</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></ds:KeyInfo></ds:Signature>{}",
        &xml[..close],
        signer.serial,
        &xml[close..]
    ))
}

/// The document without its `ds:Signature` (if it has one) and without whitespace between
/// elements — what DCC's signing tool does to a request before signing it.
pub fn prepare_for_signing(xml: &str) -> Result<String, XmlDsigError> {
    let root = parse(xml)?;
    let without = match find_signature(&root) {
        Ok(sig) => format!("{}{}", &xml[..sig.span.0], &xml[sig.span.1..]),
        Err(_) => xml.to_string(),
    };
    // Drop runs of whitespace that lie between a '>' and the next '<'.
    let mut out = String::with_capacity(without.len());
    let mut pending = String::new();
    let mut after_tag = false;
    for c in without.chars() {
        if after_tag && c.is_whitespace() {
            pending.push(c);
            continue;
        }
        if c != '<' {
            out.push_str(&pending);
        }
        pending.clear();
        after_tag = c == '>';
        out.push(c);
    }
    Ok(out)
}

/// The XML-signing keys of a ZAZ1 keystore (DCC Boxed's test PKI): each organisation's
/// certificate of role 135 (users' DUIS signing) or 137 (the DSP's response signing), by
/// serial number, with its owner and private key. The ZAZ1 CA is `CN=Z1,OU=07`.
pub struct XmlSigners {
    by_serial: std::collections::HashMap<String, XmlSigner>,
}

/// An ECDSA P-256 private key for XML signatures, held as ring's key pair: every response that
/// carries data and every alert the head-end sends is signed, and ring signs several times
/// faster than pure-Rust p256.
#[derive(Clone)]
pub struct SigningKey {
    pair: std::sync::Arc<ring::signature::EcdsaKeyPair>,
}

impl SigningKey {
    pub fn new(key: &p256::SecretKey) -> Result<SigningKey, String> {
        use p256::pkcs8::EncodePrivateKey;
        let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            der.as_bytes(),
            &ring::rand::SystemRandom::new(),
        )
        .map_err(|e| format!("P-256 key: {e}"))?;
        Ok(SigningKey {
            pair: std::sync::Arc::new(pair),
        })
    }

    /// The signature `r ‖ s` (64 bytes) over SHA-256 of `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, XmlDsigError> {
        let signature = self
            .pair
            .sign(&ring::rand::SystemRandom::new(), message)
            .map_err(|_| XmlDsigError::Signature("the signing key could not sign".into()))?;
        Ok(signature.as_ref().to_vec())
    }
}

/// One XML-signing certificate of the ZAZ1 keystore.
#[derive(Clone)]
pub struct XmlSigner {
    pub owner: crate::model::Eui64,
    pub name: String,
    pub id: IssuerSerial,
    pub public: Vec<u8>,
    pub private: Option<SigningKey>,
}

/// The issuer of every ZAZ1 organisation certificate.
pub const ZAZ1_ISSUER: &str = "CN=Z1,OU=07";

impl XmlSigners {
    pub fn from_zaz1(json: &str) -> Result<XmlSigners, String> {
        use p256::pkcs8::DecodePrivateKey;
        let doc: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut by_serial = std::collections::HashMap::new();
        for (eui, uses) in doc.as_object().ok_or("not an object")? {
            let owner: crate::model::Eui64 = eui.parse().map_err(|e| format!("{eui}: {e}"))?;
            let Some(certs) = uses.get("digitalSignature").and_then(|v| v.as_object()) else {
                continue;
            };
            for (serial, entry) in certs {
                if !matches!(entry["role"].as_u64(), Some(135 | 137)) {
                    continue;
                }
                let cert = entry["certificate"].as_str().ok_or("no certificate")?;
                let public = crate::protocol::gbcs::public_key_of_pem(cert)
                    .map_err(|e| format!("{eui} {serial}: {e}"))?;
                let private = entry["privateKey"]
                    .as_str()
                    .map(|pem| {
                        p256::SecretKey::from_pkcs8_pem(pem)
                            .map_err(|e| e.to_string())
                            .and_then(|k| SigningKey::new(&k))
                    })
                    .transpose()
                    .map_err(|e| format!("{eui} {serial}: {e}"))?;
                by_serial.insert(
                    serial.clone(),
                    XmlSigner {
                        owner,
                        name: entry["name"].as_str().unwrap_or_default().to_string(),
                        id: IssuerSerial {
                            issuer: ZAZ1_ISSUER.into(),
                            serial: serial.clone(),
                        },
                        public: public.to_vec(),
                        private,
                    },
                );
            }
        }
        Ok(XmlSigners { by_serial })
    }

    /// The certificate `KeyInfo` names (by serial number).
    pub fn by_id(&self, id: &IssuerSerial) -> Option<&XmlSigner> {
        self.by_serial.get(&id.serial)
    }

    /// An organisation's XML-signing certificate of the given role (135 user, 137 DSP).
    pub fn of(&self, owner: crate::model::Eui64, dsp: bool) -> Option<&XmlSigner> {
        let mut found: Vec<&XmlSigner> = self
            .by_serial
            .values()
            .filter(|s| s.owner == owner && s.name.starts_with("dsp-") == dsp)
            .collect();
        found.sort_by(|a, b| a.id.serial.cmp(&b.id.serial));
        found.first().copied()
    }

    /// Verifies a signed DUIS document and names the organisation that signed it.
    pub fn verify(&self, xml: &str) -> Result<crate::model::Eui64, XmlDsigError> {
        let id = verify(xml, |id| self.by_id(id).map(|s| s.public.clone()))?;
        self.by_id(&id)
            .map(|s| s.owner)
            .ok_or_else(|| XmlDsigError::UnknownSigner(id.to_string()))
    }

    /// Signs with `owner`'s XML-signing key (the DSP's when `dsp`).
    pub fn sign(
        &self,
        xml: &str,
        owner: crate::model::Eui64,
        dsp: bool,
    ) -> Result<String, XmlDsigError> {
        let (key, id) = self.private(owner, dsp)?;
        sign(xml, key, id)
    }

    /// `owner`'s XML-signing key (the DSP's when `dsp`) and the certificate it signs as.
    fn private(
        &self,
        owner: crate::model::Eui64,
        dsp: bool,
    ) -> Result<(&SigningKey, &IssuerSerial), XmlDsigError> {
        let signer = self
            .of(owner, dsp)
            .ok_or_else(|| XmlDsigError::UnknownSigner(owner.to_string()))?;
        let key = signer
            .private
            .as_ref()
            .ok_or_else(|| XmlDsigError::UnknownSigner(format!("{owner} (no private key)")))?;
        Ok((key, &signer.id))
    }

    /// [`sign_canonical`] with `owner`'s key: for the responses the head-end writes.
    pub fn sign_canonical(
        &self,
        xml: &str,
        owner: crate::model::Eui64,
        dsp: bool,
    ) -> Result<String, XmlDsigError> {
        let (key, id) = self.private(owner, dsp)?;
        sign_canonical(xml, key, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_c14n_of_small_documents() {
        // Namespaces declared above but used below render where used; unused ones vanish;
        // attributes sort by namespace URI then name; empty elements get end tags.
        let xml = r#"<?xml version="1.0"?><a:r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:u="urn:unused"><b:c z="1" a="2" b:y="3"/><!-- x --><d>x &amp; &lt;y&gt;</d></a:r>"#;
        assert_eq!(
            canonicalize(xml).unwrap(),
            r#"<a:r xmlns:a="urn:a"><b:c xmlns:b="urn:b" a="2" z="1" b:y="3"></b:c><d>x &amp; &lt;y&gt;</d></a:r>"#
        );
        // A default namespace in force is rendered once; attribute escapes (a literal tab is
        // normalized to a space by the parser; a character reference survives as &#x9;).
        let xml = "<r xmlns=\"urn:d\"><s q=\"a&quot;b&#9;c\" t=\"x\ty\">\r\n</s></r>";
        assert_eq!(
            canonicalize(xml).unwrap(),
            "<r xmlns=\"urn:d\"><s q=\"a&quot;b&#x9;c\" t=\"x y\">\n</s></r>"
        );
    }

    #[test]
    fn sign_then_verify_and_tampering_fails() {
        let key = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let public = key.public_key().to_sec1_bytes().to_vec();
        let who = IssuerSerial {
            issuer: "CN=U1, OU=07".into(),
            serial: "42".into(),
        };
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Request xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\" schemaVersion=\"5.4\"><sr:Header><sr:RequestID>1</sr:RequestID></sr:Header></sr:Request>";
        let signed = sign(xml, &SigningKey::new(&key).unwrap(), &who).unwrap();
        assert!(signed.ends_with("</ds:Signature></sr:Request>"));
        let lookup = |s: &IssuerSerial| (s == &who).then(|| public.clone());
        assert_eq!(verify(&signed, lookup).unwrap(), who);
        let changed = signed.replace("<sr:RequestID>1<", "<sr:RequestID>2<");
        assert_eq!(verify(&changed, lookup), Err(XmlDsigError::Digest));
        let other = p256::SecretKey::from_slice(&[9u8; 32]).unwrap();
        let forged = sign(xml, &SigningKey::new(&other).unwrap(), &who).unwrap();
        assert!(matches!(
            verify(&forged, lookup),
            Err(XmlDsigError::Signature(_))
        ));
        assert_eq!(verify(xml, lookup), Err(XmlDsigError::NoSignature));
        assert!(matches!(
            verify(&signed, |_| None),
            Err(XmlDsigError::UnknownSigner(_))
        ));
    }

    proptest::proptest! {
        /// Escaping by runs gives what escaping character by character gives, for any text.
        #[test]
        fn escaping_by_runs_is_escaping_by_characters(t in "(?s).{0,40}") {
            let by_char = |t: &str, attribute: bool| {
                t.chars()
                    .map(|c| match (c, attribute) {
                        ('&', _) => "&amp;".to_string(),
                        ('<', _) => "&lt;".to_string(),
                        ('>', false) => "&gt;".to_string(),
                        ('"', true) => "&quot;".to_string(),
                        ('\t', true) => "&#x9;".to_string(),
                        ('\n', true) => "&#xA;".to_string(),
                        ('\r', _) => "&#xD;".to_string(),
                        (c, _) => c.to_string(),
                    })
                    .collect::<String>()
            };
            let (mut text, mut attribute) = (String::new(), String::new());
            escape_text(&t, &mut text);
            escape_attribute(&t, &mut attribute);
            proptest::prop_assert_eq!(text, by_char(&t, false));
            proptest::prop_assert_eq!(attribute, by_char(&t, true));
        }
    }

    /// The SignedInfo written in canonical form is what the canonicalizer makes of it.
    #[test]
    fn signed_info_is_written_canonical() {
        for digest in ["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "", "x"] {
            let draft = format!(
                "<ds:SignedInfo xmlns:ds=\"{DSIG}\"><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/><ds:SignatureMethod Algorithm=\"{ECDSA_SHA256}\"/><ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"{ENVELOPED}\"/></ds:Transforms><ds:DigestMethod Algorithm=\"{SHA256}\"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"
            );
            assert_eq!(canonicalize(&draft).unwrap(), signed_info_c14n(digest));
        }
    }

    /// A response signed as already canonical carries the digest and signature the general
    /// path gives it, and verifies; a document that is not canonical is caught (debug builds).
    #[test]
    fn responses_sign_without_being_parsed() {
        use crate::headend::{ResponseCode, response::response};
        let key = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let public = key.public_key().to_sec1_bytes().to_vec();
        let key = SigningKey::new(&key).unwrap();
        let who = IssuerSerial {
            issuer: ZAZ1_ISSUER.into(),
            serial: "42".into(),
        };
        let at = chrono::DateTime::from_timestamp(1_764_500_000, 0).unwrap();
        let id: crate::headend::RequestId = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:7"
            .parse()
            .unwrap();
        let xml = response(
            id,
            "4.8.1".parse().unwrap(),
            ResponseCode::I0,
            at,
            &crate::headend::response::ResponseBody::Gbcs(vec![0xDD, 0x00, 0x01]),
        );
        let fast = sign_canonical(&xml, &key, &who).unwrap();
        let slow = sign(&xml, &key, &who).unwrap();
        let digest = |s: &str| {
            let a = s.find("<ds:DigestValue>").unwrap();
            s[a..a + s[a..].find("</").unwrap()].to_string()
        };
        assert_eq!(digest(&fast), digest(&slow));
        let without = |s: &str| {
            let a = s.find("<ds:SignatureValue>").unwrap();
            let b = s.find("</ds:SignatureValue>").unwrap();
            format!("{}{}", &s[..a], &s[b..])
        };
        assert_eq!(without(&fast), without(&slow));
        let lookup = |s: &IssuerSerial| (s == &who).then(|| public.clone());
        assert_eq!(verify(&fast, lookup).unwrap(), who);
        if cfg!(debug_assertions) {
            // Attributes out of canonical order (namespace declarations come first).
            let loose = xml.replace(
                &format!(
                    "xmlns:sr=\"{}\" schemaVersion=\"5.4\"",
                    crate::headend::response::NAMESPACE
                ),
                &format!(
                    "schemaVersion=\"5.4\" xmlns:sr=\"{}\"",
                    crate::headend::response::NAMESPACE
                ),
            );
            assert_ne!(loose, xml);
            let caught = std::panic::catch_unwind(|| sign_canonical(&loose, &key, &who));
            assert!(
                caught.is_err(),
                "a non-canonical document was signed as canonical"
            );
        }
    }
}
