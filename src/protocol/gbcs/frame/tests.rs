use super::*;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    crate::protocol::gbcs::parse_hex(s).unwrap()
}

/// RTDS 4.5.0 `ECS80_NA_8F36_ALERT_GBCS.HEX`: a signed alert (supply restored after an outage
/// of three minutes or more) from ESME 00-DB-12-34-56-78-90-A0.
const ECS80_8F36: &str = "DF090300000000000007D30800DB1234567890A00890B3D51F3002000000020067350F200007D3000204128F36090C07DF0101FF000000008000FF090C07DE0C1FFF173200008000FF090C07DE0C1FFF173B00008000FF40C9D61E2D2782648D32895150B819B6E22B172FC1A311133754C0AD9756096AD2A085CC11F50A2BC006C2CD4D23C13554236D7E347F6536A10BB142E94BCF360B";

#[test]
fn decodes_a_signed_alert_field_by_field() {
    let bytes = hex(ECS80_8F36);
    let m = GbcsMessage::decode(&bytes).unwrap();
    assert!(m.ciphering.is_none());
    let s = &m.signing;
    assert_eq!(s.cra, Cra::Alert);
    assert_eq!(s.originator_counter, 0x07D3);
    assert_eq!(s.originator.to_string(), "00-DB-12-34-56-78-90-A0");
    assert_eq!(s.recipient.to_string(), "90-B3-D5-1F-30-02-00-00");
    assert!(s.date_time.is_empty());
    assert_eq!(m.message_code(), Some(0x0067));
    assert_eq!(s.content.len(), 0x35);
    assert_eq!(s.signature.as_ref().map(Vec::len), Some(64));
    assert_eq!(m.to_bytes().unwrap(), bytes);
}

/// RTDS 4.5.0 `ECS22b_4.8.1_SINGLE_SUCCESS_COMMAND_GBCS.HEX`: a MACed command.
const ECS22B_COMMAND: &str = "DD00000000000081B21100000000DF090100000000000003EA0890B3D51F300100000800DB1234567890A0000200377ED9200003EA000103001E00002B0207FF010102020101020512000709060000630100FF0F02120000020216010202090C07DE0C1FFF000000008000FF090C07DF0101FF000000008000FF010102021602020509090400000000000003EA090890B3D51F30010000090800DB1234567890A00900020216020202090102090000EF6CFEEE42E25A7FAEA6E0D2";

#[test]
fn decodes_a_maced_command() {
    let bytes = hex(ECS22B_COMMAND);
    let m = GbcsMessage::decode(&bytes).unwrap();
    let c = m.ciphering.as_ref().unwrap();
    assert_eq!(c.security_header, [0x11, 0, 0, 0, 0]);
    assert_eq!(c.mac, hex("EF6CFEEE42E25A7FAEA6E0D2").as_slice());
    assert_eq!(m.signing.cra, Cra::Command);
    assert_eq!(m.message_code(), Some(0x0037));
    assert_eq!(m.signing.content.len(), 0x7E);
    assert_eq!(m.signing.signature, Some(Vec::new()));
    assert_eq!(m.to_bytes().unwrap(), bytes);
}

#[test]
fn errors_name_what_and_where() {
    let bytes = hex(ECS22B_COMMAND);
    assert_eq!(GbcsMessage::decode(&[]), Err(FrameError::Empty));
    assert_eq!(
        GbcsMessage::decode(&bytes[..bytes.len() - 3]),
        Err(FrameError::Truncated {
            at: bytes.len() - 12,
            what: "MAC",
            needed: 3
        })
    );
    let mut gbt = bytes.clone();
    gbt[1] = 0x41;
    assert_eq!(
        GbcsMessage::decode(&gbt),
        Err(FrameError::BlockTransfer {
            at: 1,
            second: 0x41
        })
    );
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        GbcsMessage::decode(&longer),
        Err(FrameError::Trailing {
            at: bytes.len(),
            count: 1
        })
    );
    let mut wrong_tag = bytes.clone();
    wrong_tag[14] = 0xDE;
    assert!(matches!(
        GbcsMessage::decode(&wrong_tag),
        Err(FrameError::Tag {
            at: 14,
            tag: 0xDF,
            found: 0xDE,
            ..
        })
    ));
    // A declared ciphered length that disagrees with what follows.
    let mut bad_len = bytes.clone();
    bad_len[8] = 0xB1;
    assert!(matches!(
        GbcsMessage::decode(&bad_len),
        Err(FrameError::Truncated { .. }
            | FrameError::CipheredLength { .. }
            | FrameError::Trailing { .. })
    ));
}

#[test]
fn a_maced_message_without_its_signature_field_is_refused_on_encode() {
    let mut m = GbcsMessage::decode(&hex(ECS22B_COMMAND)).unwrap();
    m.signing.signature = None;
    assert_eq!(m.to_bytes(), Err(FrameError::MissingSignatureField));
}

/// Every GBCS vector of RTDS 4.5.0 decodes, and re-encodes to the same bytes.
#[test]
fn every_rtds_vector_round_trips() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/gbcs-rtds/RTDS-4.5.0");
    let mut count = 0;
    let mut maced = 0;
    for dir in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_none_or(|e| e != "HEX") {
                continue;
            }
            let bytes = hex(&std::fs::read_to_string(&path).unwrap());
            let m =
                GbcsMessage::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(m.to_bytes().unwrap(), bytes, "{}", path.display());
            maced += usize::from(m.ciphering.is_some());
            let name = path.file_name().unwrap().to_string_lossy();
            // Pre-commands, and only they, carry no signature field.
            assert_eq!(
                m.signing.signature.is_none(),
                name.contains("PRECOMMAND"),
                "{name}"
            );
            count += 1;
        }
    }
    assert_eq!(count, 1275);
    assert_eq!(maced, 815);
}

fn eui() -> impl Strategy<Value = Eui64> {
    any::<[u8; 8]>().prop_map(Eui64)
}

fn message() -> impl Strategy<Value = GbcsMessage> {
    let signing = (
        any::<u8>(),
        any::<u64>(),
        eui(),
        eui(),
        proptest::collection::vec(any::<u8>(), 0..20),
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(any::<u8>(), 0..600),
        prop_oneof![
            Just(None),
            Just(Some(Vec::new())),
            proptest::collection::vec(any::<u8>(), 64).prop_map(Some)
        ],
    )
        .prop_map(
            |(cra, counter, o, r, date_time, other, content, signature)| GeneralSigning {
                cra: Cra::from_byte(cra),
                originator_counter: counter,
                originator: o,
                recipient: r,
                date_time,
                other_information: other,
                content,
                signature,
            },
        );
    let ciphering = proptest::option::of((any::<[u8; 5]>(), any::<[u8; 12]>()).prop_map(
        |(security_header, mac)| GeneralCiphering {
            security_header,
            mac,
        },
    ));
    (ciphering, signing).prop_map(|(ciphering, mut signing)| {
        // Inside general-ciphering the signature field is always present.
        if ciphering.is_some() && signing.signature.is_none() {
            signing.signature = Some(Vec::new());
        }
        GbcsMessage { ciphering, signing }
    })
}

proptest! {
    #[test]
    fn decode_inverts_encode(m in message()) {
        let bytes = m.to_bytes().unwrap();
        prop_assert_eq!(GbcsMessage::decode(&bytes).unwrap(), m);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(m) = GbcsMessage::decode(&bytes) {
            prop_assert_eq!(m.to_bytes().unwrap(), bytes);
        }
    }

    #[test]
    fn any_single_byte_change_of_a_vector_fails_cleanly_or_round_trips(pos in 0usize..200, value in any::<u8>()) {
        let mut bytes = hex(ECS22B_COMMAND);
        let at = pos % bytes.len();
        bytes[at] = value;
        if let Ok(m) = GbcsMessage::decode(&bytes) {
            prop_assert_eq!(m.to_bytes().unwrap(), bytes);
        }
    }
}
