//! DUIS XML signatures against DCC's own signing and validation tool (the Java tool bundled in
//! npm `@smartdcc/duis-sign-wrap`, which `scripts/test` installs and names in DCCSIM_DUIS_TOOL):
//! what DCC's tool signs, dccsim verifies; what dccsim signs, DCC's tool validates. And dccsim
//! signs and verifies every one of the 297 RTDS templates with its originator's ZAZ1 key.

use std::path::{Path, PathBuf};

use dccsim::headend::Request;
use dccsim::headend::xmldsig::{XmlDsigError, XmlSigners};

mod common;
use common::dcc_tool;

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

fn signers() -> XmlSigners {
    let json = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/zaz1-keystore.json"),
    )
    .unwrap();
    XmlSigners::from_zaz1(&json).unwrap()
}

/// A template without its placeholder signature.
fn unsigned(name: &str) -> String {
    let text = std::fs::read_to_string(reference().join("duis/rtds-templates").join(name)).unwrap();
    let start = text.find("<ds:Signature").unwrap();
    let end = text.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    // Whitespace between elements goes too, as DCC's tool removes it before signing.
    let without = format!("{}{}", &text[..start], &text[end..]);
    let mut compact = String::new();
    for line in without.lines() {
        compact.push_str(line.trim());
    }
    compact
}

const SAMPLE: [&str; 5] = [
    "ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML",
    "ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML",
    "CS01a_2.2_SUCCESS_REQUEST_DUIS.XML",
    "ECS42_7.1_SUCCESS_REQUEST_DUIS.XML",
    "GCS17_4.8.1_SUCCESS_REQUEST_DUIS.XML",
];

#[test]
fn what_dccs_tool_signs_dccsim_verifies() {
    let signers = signers();
    for name in SAMPLE {
        let (ok, signed, err) = dcc_tool("Sign", &unsigned(name));
        assert!(ok, "{name}: DCC's tool could not sign: {err}");
        let originator = Request::parse(&signed).unwrap().id.originator;
        assert_eq!(signers.verify(&signed), Ok(originator), "{name}");
        // One character of the body changed: the digest no longer matches.
        let changed = signed.replacen("<sr:CommandVariant>", "<sr:CommandVariant> ", 1);
        assert_eq!(
            signers.verify(&changed),
            Err(XmlDsigError::Digest),
            "{name}"
        );
    }
}

#[test]
fn what_dccsim_signs_dccs_tool_validates() {
    let signers = signers();
    for name in SAMPLE {
        let xml = unsigned(name);
        let originator = Request::parse(&xml).unwrap().id.originator;
        let signed = signers.sign(&xml, originator, false).unwrap();
        let (ok, out, err) = dcc_tool("Validate", &signed);
        assert!(
            ok,
            "{name}: DCC's tool refused dccsim's signature:\n{err}\n{out}"
        );
        // DCC's tool refuses one whose RequestID was altered (it ignores whitespace changes:
        // it strips whitespace between elements before checking).
        let changed = signed.replacen("</sr:RequestID>", "9</sr:RequestID>", 1);
        let (ok, _, _) = dcc_tool("Validate", &changed);
        assert!(!ok, "{name}: DCC's tool accepted a changed document");
    }
}

#[test]
fn every_rtds_template_signs_and_verifies_with_its_originators_key() {
    let signers = signers();
    let mut signed_count = 0;
    let mut no_key = Vec::new();
    for entry in std::fs::read_dir(reference().join("duis/rtds-templates")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let xml = unsigned(&name);
        let originator = Request::parse(&xml).unwrap().id.originator;
        match signers.sign(&xml, originator, false) {
            Ok(signed) => {
                assert_eq!(signers.verify(&signed), Ok(originator), "{name}");
                signed_count += 1;
            }
            Err(XmlDsigError::UnknownSigner(_)) => no_key.push(originator.to_string()),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    no_key.sort();
    no_key.dedup();
    // Only organisations without a ZAZ1 XML-signing key are left out.
    assert!(signed_count > 250, "{signed_count}; no key for {no_key:?}");
}
