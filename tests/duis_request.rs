//! DUIS requests: all 297 RTDS templates parse, and for the services the head-end carries to
//! an electricity meter, the GBCS command it builds from the DUIS request is the RTDS command
//! for that same request, byte for byte.

use std::path::{Path, PathBuf};

use dccsim::headend::{Request, RequestId};
use dccsim::protocol::gbcs::payload::encode_command;
use dccsim::protocol::gbcs::{GbcsMessage, parse_hex};

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

fn template(name: &str) -> Request {
    let text = std::fs::read_to_string(reference().join("duis/rtds-templates").join(name)).unwrap();
    Request::parse(&text).unwrap()
}

#[test]
fn every_rtds_template_parses() {
    let mut n = 0;
    for entry in std::fs::read_dir(reference().join("duis/rtds-templates")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let request = Request::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!request.body.name.is_empty());
        n += 1;
    }
    assert_eq!(n, 297);
}

#[test]
fn the_command_built_from_a_duis_request_is_the_rtds_command() {
    let pairs = [
        (
            "ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML",
            "4.1.1_ECS17b/ECS17b_4.1.1_SINGLE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS21a_4.6.1_SINGLE_SUCCESS_REQUEST_DUIS.XML",
            "4.6.1_ECS21a/ECS21a_4.6.1_SINGLE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML",
            "4.8.1_ECS22b/ECS22b_4.8.1_SINGLE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS66_4.17_SUCCESS_REQUEST_DUIS.XML",
            "4.17_ECS66/ECS66_4.17_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS52_11.2_SUCCESS_REQUEST_DUIS.XML",
            "11.2_ECS52/ECS52_11.2_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "CS01a_2.2_SUCCESS_REQUEST_DUIS.XML",
            "2.2_CS01a/CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS42_7.1_SUCCESS_REQUEST_DUIS.XML",
            "7.1_ECS42/ECS42_7.1_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS43_7.2_SUCCESS_REQUEST_DUIS.XML",
            "7.2_ECS43/ECS43_7.2_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS17d_4.1.2_SINGLE_SUCCESS_REQUEST_DUIS.XML",
            "4.1.2_ECS17d/ECS17d_4.1.2_SINGLE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS17e_4.1.3_SUCCESS_REQUEST_DUIS.XML",
            "4.1.3_ECS17e/ECS17e_4.1.3_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS19_4.3_SUCCESS_REQUEST_DUIS.XML",
            "4.3_ECS19/ECS19_4.3_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS20a_4.4.4_SUCCESS_REQUEST_DUIS.XML",
            "4.4.4_ECS20a/ECS20a_4.4.4_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS20b_4.4.2_SINGLE_SUCCESS_REQUEST_DUIS.XML",
            "4.4.2_ECS20b/ECS20b_4.4.2_SINGLE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS20b_4.4.2_TWIN_SUCCESS_REQUEST_DUIS.XML",
            "4.4.2_ECS20b/ECS20b_4.4.2_TWIN_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS20c_4.4.3_SINGLE_SUCCESS_REQUEST_DUIS.XML",
            "4.4.3_ECS20c/ECS20c_4.4.3_SINGLE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS20c_4.4.3_TWIN_SUCCESS_REQUEST_DUIS.XML",
            "4.4.3_ECS20c/ECS20c_4.4.3_TWIN_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS20d_4.4.5_SUCCESS_REQUEST_DUIS.XML",
            "4.4.5_ECS20d/ECS20d_4.4.5_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS21b_4.14_KRP_SUCCESS_REQUEST_DUIS.XML",
            "4.14_ECS21b/ECS21b_4.14_KRP_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS26a_4.13_SINGLE_SUCCESS_REQUEST_DUIS.XML",
            "4.13_ECS26a/ECS26a_4.13_SINGLE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS26b_6.2.1_SUCCESS_REQUEST_DUIS.XML",
            "6.2.1_ECS26b/ECS26b_6.2.1_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS26c_6.2.2_SUCCESS_REQUEST_DUIS.XML",
            "6.2.2_ECS26c/ECS26c_6.2.2_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS26d_6.2.3_SUCCESS_REQUEST_DUIS.XML",
            "6.2.3_ECS26d/ECS26d_6.2.3_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS26e_6.2.4_SUCCESS_REQUEST_DUIS.XML",
            "6.2.4_ECS26e/ECS26e_6.2.4_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS26f_6.2.5_SUCCESS_REQUEST_DUIS.XML",
            "6.2.5_ECS26f/ECS26f_6.2.5_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS27_4.15_SUCCESS_REQUEST_DUIS.XML",
            "4.15_ECS27/ECS27_4.15_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS18b_4.12.1_SUCCESS_REQUEST_DUIS.XML",
            "4.12.1_ECS18b/ECS18b_4.12.1_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS18a_4.12.2_SUCCESS_REQUEST_DUIS.XML",
            "4.12.2_ECS18a/ECS18a_4.12.2_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS37_6.18.1_SUCCESS_REQUEST_DUIS.XML",
            "6.18.1_ECS37/ECS37_6.18.1_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS57_6.18.2_ALL_OPTIONALS_SUCCESS_REQUEST_DUIS.XML",
            "6.18.2_ECS57/ECS57_6.18.2_ALL_OPTIONALS_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS57_6.18.2_SOME_OPTIONALS_SUCCESS_REQUEST_DUIS.XML",
            "6.18.2_ECS57/ECS57_6.18.2_SOME_OPTIONALS_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS10_3.1_SUCCESS_REQUEST_DUIS.XML",
            "3.1_ECS10/ECS10_3.1_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS12_3.2_SUCCESS_REQUEST_DUIS.XML",
            "3.2_ECS12/ECS12_3.2_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS14_3.5_SUCCESS_REQUEST_DUIS.XML",
            "3.5_ECS14/ECS14_3.5_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS15a_3.3_SUCCESS_REQUEST_DUIS.XML",
            "3.3_ECS15a/ECS15a_3.3_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS39a_6.20.1_SINGLE_SUCCESS_REQUEST_DUIS.XML",
            "6.20.1_ECS39a/ECS39a_6.20.1_SINGLE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS39a_6.20.1_TWIN_SUCCESS_REQUEST_DUIS.XML",
            "6.20.1_ECS39a/ECS39a_6.20.1_TWIN_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS30_6.8_SUCCESS_REQUEST_DUIS.XML",
            "6.8_ECS30/ECS30_6.8_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS30a_6.8_SUCCESS_REQUEST_DUIS.XML",
            "6.8_ECS30a/ECS30a_6.8_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS44_7.3_SUCCESS_REQUEST_DUIS.XML",
            "7.3_ECS44/ECS44_7.3_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS45_7.4_SUCCESS_REQUEST_DUIS.XML",
            "7.4_ECS45/ECS45_7.4_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS09_2.5_SUCCESS_REQUEST_DUIS.XML",
            "2.5_ECS09/ECS09_2.5_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS70_6.11_SUCCESS_REQUEST_DUIS.XML",
            "6.11_ECS70/ECS70_6.11_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS70Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML",
            "8.1.1_ECS70Commission/ECS70Commission_8.1.1_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS16_3.4_SUCCESS_REQUEST_DUIS.XML",
            "3.4_ECS16/ECS16_3.4_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS04a_1.5_SUCCESS_REQUEST_DUIS.XML",
            "1.5_ECS04a/ECS04a_1.5_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS04b_1.5_SUCCESS_REQUEST_DUIS.XML",
            "1.5_ECS04b/ECS04b_1.5_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS08a_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML",
            "2.1_ECS08a/ECS08a_2.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS28a_6.4.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML",
            "6.4.1_ECS28a/ECS28a_6.4.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS08a_2.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML",
            "2.1_ECS08a/ECS08a_2.1_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS28a_6.4.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML",
            "6.4.1_ECS28a/ECS28a_6.4.1_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS08a_2.1_CANCELLATION_SUCCESS_REQUEST_DUIS.XML",
            "2.1_ECS08a/ECS08a_2.1_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS28a_6.4.1_CANCELLATION_SUCCESS_REQUEST_DUIS.XML",
            "6.4.1_ECS28a/ECS28a_6.4.1_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS28b_6.4.2_SUCCESS_REQUEST_DUIS.XML",
            "6.4.2_ECS28b/ECS28b_6.4.2_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS29a_6.5_SUCCESS_REQUEST_DUIS.XML",
            "6.5_ECS29a/ECS29a_6.5_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS29b_6.5_SUCCESS_REQUEST_DUIS.XML",
            "6.5_ECS29b/ECS29b_6.5_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS29c_6.5_SUCCESS_REQUEST_DUIS.XML",
            "6.5_ECS29c/ECS29c_6.5_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS29d_6.5_SUCCESS_REQUEST_DUIS.XML",
            "6.5_ECS29d/ECS29d_6.5_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS29e_6.27_SUCCESS_REQUEST_DUIS.XML",
            "6.27_ECS29e/ECS29e_6.27_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS81_6.25_SUCCESS_REQUEST_DUIS.XML",
            "6.25_ECS81/ECS81_6.25_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS48_6.26_SUCCESS_REQUEST_DUIS.XML",
            "6.26_ECS48/ECS48_6.26_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS07_2.3_SUCCESS_REQUEST_DUIS.XML",
            "2.3_ECS07/ECS07_2.3_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS24_4.11.1_SUCCESS_REQUEST_DUIS.XML",
            "4.11.1_ECS24/ECS24_4.11.1_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS24b_4.11.2_SUCCESS_REQUEST_DUIS.XML",
            "4.11.2_ECS24b/ECS24b_4.11.2_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS05_1.7_SUCCESS_REQUEST_DUIS.XML",
            "1.7_ECS05/ECS05_1.7_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01a_1.1.1_CANCELLATION_TOU_BLOCK_SUCCESS_REQUEST_DUIS.XML",
            "1.1.1_ECS01a/ECS01a_1.1.1_CANCELLATION_TOU_BLOCK_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01a_1.1.1_FUTURE_DATED_TOU_BLOCK_SUCCESS_REQUEST_DUIS.XML",
            "1.1.1_ECS01a/ECS01a_1.1.1_FUTURE_DATED_TOU_BLOCK_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01a_1.1.1_IMMEDIATE_BLOCK_SUCCESS_REQUEST_DUIS.XML",
            "1.1.1_ECS01a/ECS01a_1.1.1_IMMEDIATE_BLOCK_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML",
            "1.1.1_ECS01a/ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01b_1.2.1_CANCELLATION_TOU_BLOCK_SUCCESS_REQUEST_DUIS.XML",
            "1.2.1_ECS01b/ECS01b_1.2.1_CANCELLATION_TOU_BLOCK_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01b_1.2.1_FUTURE_DATED_TOU_BLOCK_SUCCESS_REQUEST_DUIS.XML",
            "1.2.1_ECS01b/ECS01b_1.2.1_FUTURE_DATED_TOU_BLOCK_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01b_1.2.1_IMMEDIATE_BLOCK_SUCCESS_REQUEST_DUIS.XML",
            "1.2.1_ECS01b/ECS01b_1.2.1_IMMEDIATE_BLOCK_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01b_1.2.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML",
            "1.2.1_ECS01b/ECS01b_1.2.1_IMMEDIATE_TOU_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01c_1.1.2_CANCELLATION_SUCCESS_REQUEST_DUIS.XML",
            "1.1.2_ECS01c/ECS01c_1.1.2_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01c_1.1.2_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML",
            "1.1.2_ECS01c/ECS01c_1.1.2_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01c_1.1.2_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML",
            "1.1.2_ECS01c/ECS01c_1.1.2_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01d_1.2.2_CANCELLATION_SUCCESS_REQUEST_DUIS.XML",
            "1.2.2_ECS01d/ECS01d_1.2.2_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01d_1.2.2_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML",
            "1.2.2_ECS01d/ECS01d_1.2.2_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS01d_1.2.2_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML",
            "1.2.2_ECS01d/ECS01d_1.2.2_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX",
        ),
    ];
    for (duis, gbcs) in pairs {
        let request = template(duis);
        let (code, reading) = request.esme_command().unwrap().unwrap();
        let text =
            std::fs::read_to_string(reference().join("gbcs-rtds/RTDS-4.5.0").join(gbcs)).unwrap();
        let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
        assert_eq!(rtds.message_code(), Some(code), "{duis}");
        let RequestId {
            originator,
            target,
            counter,
        } = request.id;
        let built = encode_command(code, &reading, counter, originator, target).unwrap();
        assert_eq!(built, rtds.signing.content, "{duis}");
    }
}

/// A daily billing calendar is the RTDS's (its ECS30a error vector carries one): every field
/// of the date unspecified.
#[test]
fn a_daily_billing_calendar_is_the_rtds_command() {
    let path = "duis/rtds-templates/ECS30a_6.8_SUCCESS_REQUEST_DUIS.XML";
    let text = std::fs::read_to_string(reference().join(path)).unwrap();
    let start = text.find("<sr:Quarterly>").unwrap();
    let end = text.find("</sr:Quarterly>").unwrap() + "</sr:Quarterly>".len();
    let daily = format!("{}<sr:Daily/>{}", &text[..start], &text[end..]);
    let request = Request::parse(&daily.replace(":1003<", ":1006<")).unwrap();
    let (code, reading) = request.esme_command().unwrap().unwrap();
    let vector = std::fs::read_to_string(
        reference().join("gbcs-rtds/RTDS-4.5.0/6.8_ECS30a/ECS30a_6.8_ERROR_COMMAND_GBCS.HEX"),
    )
    .unwrap();
    let rtds = GbcsMessage::decode(&parse_hex(&vector).unwrap()).unwrap();
    assert_eq!(rtds.message_code(), Some(code));
    let id = request.id;
    let built = encode_command(code, &reading, id.counter, id.originator, id.target).unwrap();
    assert_eq!(built, rtds.signing.content);
}

/// 6.11: the interval runs from CurrentDateTime for TolerancePeriod seconds (0 to 86,400).
#[test]
fn clock_synchronisations_are_checked() {
    use dccsim::protocol::gbcs::payload::Reading;
    let sync = std::fs::read_to_string(
        reference().join("duis/rtds-templates/ECS70_6.11_SUCCESS_REQUEST_DUIS.XML"),
    )
    .unwrap();
    let esme = |xml: &str| Request::parse(xml).unwrap().esme_command();
    let (_, reading) = esme(&sync).unwrap().unwrap();
    let Reading::SynchroniseClock { from, to } = reading else {
        panic!("{reading:?}")
    };
    assert_eq!(from.to_rfc3339(), "2014-12-31T23:59:10+00:00");
    assert_eq!((to - from).num_seconds(), 60);
    let err = esme(&sync.replace(">60<", ">90000<")).unwrap_err();
    assert!(
        err.to_string()
            .contains("sr:TolerancePeriod \"90000\" is not 0 to 86400 seconds"),
        "{err}"
    );
}

/// 3.4: the name is 1 to 15 printable characters and the number 1 to 18 digits and spaces,
/// as the schema has them; otherwise the request is refused saying which.
#[test]
fn supplier_names_are_checked() {
    let named = std::fs::read_to_string(
        reference().join("duis/rtds-templates/ECS16_3.4_SUCCESS_REQUEST_DUIS.XML"),
    )
    .unwrap();
    let esme = |xml: &str| Request::parse(xml).unwrap().esme_command();
    for (from, to, says) in [
        (
            ">E-ON<",
            ">Energy Supplier Ltd<",
            "sr:SupplierName \"Energy Supplier Ltd\" is not 1 to 15 printable ASCII characters",
        ),
        (
            ">0333 202 4650<",
            ">0333-202-4650<",
            "sr:SupplierTelephoneNumber \"0333-202-4650\" is not 1 to 18 digits and spaces",
        ),
    ] {
        let err = esme(&named.replace(from, to)).unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
    }
}

/// 1.5: the amount must be an xs:int (a negative one takes off); the request names one mode
/// and either an adjustment or a reset.
#[test]
fn meter_balance_updates_are_checked() {
    use dccsim::protocol::gbcs::payload::Reading;
    let adjust = std::fs::read_to_string(
        reference().join("duis/rtds-templates/ECS04a_1.5_SUCCESS_REQUEST_DUIS.XML"),
    )
    .unwrap();
    let esme = |xml: &str| Request::parse(xml).unwrap().esme_command();
    let taken_off = adjust.replace(">1200000<", ">-250000<");
    let (_, reading) = esme(&taken_off).unwrap().unwrap();
    assert_eq!(reading, Reading::AdjustBalance { amount: -250_000 });
    for (bad, says) in [
        (
            ">12.50<",
            "sr:AdjustMeterBalance \"12.50\" is not an xs:int",
        ),
        (
            ">3000000000<",
            "sr:AdjustMeterBalance \"3000000000\" is not an xs:int",
        ),
    ] {
        let err = esme(&adjust.replace(">1200000<", bad)).unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
    }
    let neither = adjust.replace("<sr:AdjustMeterBalance>1200000</sr:AdjustMeterBalance>", "");
    let err = esme(&neither).unwrap_err();
    assert!(
        err.to_string()
            .contains("sr:PrepaymentMode needs exactly one of sr:AdjustMeterBalance"),
        "{err}"
    );
    let both = adjust.replace(
        "</sr:PrepaymentMode>",
        "</sr:PrepaymentMode><sr:CreditMode><sr:ResetMeterBalance/></sr:CreditMode>",
    );
    let err = esme(&both).unwrap_err();
    assert!(
        err.to_string().contains(
            "sr:UpdateMeterBalance needs exactly one of sr:PrepaymentMode and sr:CreditMode"
        ),
        "{err}"
    );
}

/// 6.18: a period's times are UTC (an offset converted, none refused), and a reset must name a
/// register.
#[test]
fn maximum_demand_requests_are_checked() {
    let period = std::fs::read_to_string(
        reference().join("duis/rtds-templates/ECS37_6.18.1_SUCCESS_REQUEST_DUIS.XML"),
    )
    .unwrap();
    let shifted = period.replace("17:00:00.00Z", "18:30:00+01:00");
    let (_, reading) = Request::parse(&shifted)
        .unwrap()
        .esme_command()
        .unwrap()
        .unwrap();
    let dccsim::protocol::gbcs::payload::Reading::MaxDemandPeriod { start, end } = reading else {
        panic!("{reading:?}")
    };
    assert_eq!(
        (start.to_string(), end.to_string()),
        ("17:30:00".into(), "22:00:00".into())
    );
    let zoneless = period.replace("22:00:00.00Z", "22:00:00");
    let err = Request::parse(&zoneless)
        .unwrap()
        .esme_command()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("sr:EndTime \"22:00:00\" is not an xs:time with a time zone"),
        "{err}"
    );
    let missing = period.replace("<sr:EndTime>22:00:00.00Z</sr:EndTime>", "");
    let err = Request::parse(&missing)
        .unwrap()
        .esme_command()
        .unwrap_err();
    assert!(err.to_string().contains("with sr:EndTime"), "{err}");

    let reset = std::fs::read_to_string(
        reference()
            .join("duis/rtds-templates/ECS57_6.18.2_SOME_OPTIONALS_SUCCESS_REQUEST_DUIS.XML"),
    )
    .unwrap();
    let none = reset.replace("<sr:MaxDemandConfigTimeActivePowerImportValue/>", "");
    let err = Request::parse(&none).unwrap().esme_command().unwrap_err();
    assert!(
        err.to_string().contains("names no register to reset"),
        "{err}"
    );
}

#[test]
fn malformed_requests_say_what_and_where() {
    let cases = [
        ("<sr:Request><sr:Header>", "not closed"),
        ("<a><b></a>", "line 1"),
        ("<sr:Response/>", "not sr:Request"),
        (
            "<sr:Request><sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0</sr:RequestID></sr:Header></sr:Request>",
            "originator:target:counter",
        ),
        (
            "<sr:Request><sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1</sr:RequestID><sr:CommandVariant>9</sr:CommandVariant></sr:Header></sr:Request>",
            "command variant",
        ),
        (
            "<sr:Request>\n<sr:Header>\n<sr:RequestID>x</sr:RequestID>\n</sr:Header>\n</sr:Request>\n<extra/>",
            "line 6",
        ),
    ];
    for (xml, words) in cases {
        let err = Request::parse(xml).unwrap_err();
        assert!(err.to_string().contains(words), "{xml}: {err}");
        // A problem not at one place names no line (never "line 0").
        assert!(!err.to_string().contains("line 0"), "{xml}: {err}");
    }
}

/// Found by fuzzing: a byte-order mark before an error made the line count slice inside it.
#[test]
fn an_error_after_a_byte_order_mark_does_not_panic() {
    let err = Request::parse("\u{feff}\u{2}&").unwrap_err();
    assert_eq!(err.line, 1);
}

mod properties {
    use dccsim::headend::Request;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            let _ = Request::parse(&text);
        }

        #[test]
        fn any_request_id_round_trips(o in any::<[u8; 8]>(), t in any::<[u8; 8]>(), counter in any::<u64>()) {
            let id = dccsim::headend::RequestId {
                originator: dccsim::model::Eui64(o),
                target: dccsim::model::Eui64(t),
                counter,
            };
            prop_assert_eq!(id.to_string().parse::<dccsim::headend::RequestId>(), Ok(id));
        }
    }
}

/// A read carrying the user's key-agreement certificate is relayed by the DCC: built from the
/// RTDS 4.14 URP template, the command's content is the RTDS command's (under the Access Control
/// Broker's counter, the user named in it), and its other information names the user and its
/// counter, then carries a certificate of the same key (the template's is a later issue of it).
#[test]
fn a_read_with_the_users_certificate_is_relayed_as_the_rtds_relays_it() {
    use dccsim::protocol::gbcs::public_key_of_der;
    let request = template("ECS21b_4.14_URP_SUCCESS_REQUEST_DUIS.XML");
    let relay = request.relay().unwrap().unwrap();
    assert_eq!((relay.user, relay.counter), (request.id.originator, 1004));
    let text = std::fs::read_to_string(
        reference()
            .join("gbcs-rtds/RTDS-4.5.0/4.14_ECS21b/ECS21b_4.14_URP_SUCCESS_COMMAND_GBCS.HEX"),
    )
    .unwrap();
    let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    let (code, reading) = request.esme_command().unwrap().unwrap();
    let acb_counter = rtds.signing.originator_counter;
    let content = encode_command(code, &reading, acb_counter, relay.user, request.id.target);
    assert_eq!(content.unwrap(), rtds.signing.content);
    let other = relay.command_information(code);
    assert_eq!(other[..18], rtds.signing.other_information[..18]);
    assert_eq!(
        public_key_of_der(&other[18..]).unwrap(),
        public_key_of_der(&rtds.signing.other_information[18..]).unwrap()
    );
    // The template without a key is read as the user's own (KRP) request.
    assert_eq!(
        template("ECS21b_4.14_KRP_SUCCESS_REQUEST_DUIS.XML").relay(),
        Ok(None)
    );
}

/// A certificate that is not base64, holds no P-256 key or names another user is refused,
/// saying which.
#[test]
fn a_bad_user_certificate_is_refused_saying_why() {
    let text = std::fs::read_to_string(
        reference().join("duis/rtds-templates/ECS21b_4.14_URP_SUCCESS_REQUEST_DUIS.XML"),
    )
    .unwrap();
    let start = text.find("<sr:KAPublicSecurityCredentials>").unwrap() + 32;
    let end = text.find("</sr:KAPublicSecurityCredentials>").unwrap();
    let with = |credentials: &str| {
        let xml = format!("{}{credentials}{}", &text[..start], &text[end..]);
        Request::parse(&xml).unwrap().relay().unwrap_err().reason
    };
    assert!(
        with("not*base64").contains("is not base64"),
        "{}",
        with("not*base64")
    );
    assert!(with("AAAA").contains("is not a key-agreement certificate"));
    // The supplier's certificate sent by another user.
    let other = Request::parse(&text.replace(
        "90-B3-D5-1F-30-01-00-00:00-DB",
        "90-B3-D5-1F-30-03-00-00:00-DB",
    ))
    .unwrap();
    let why = other.relay().unwrap_err().reason;
    assert!(
        why.contains("does not name 90-B3-D5-1F-30-03-00-00"),
        "{why}"
    );
    // A read DUIS does not let a user have relayed.
    let profile = Request::parse(
        &text
            .replace(">4.14<", ">4.6.2<")
            .replace("ReadPrepaymentDailyReadLog>", "RetrieveExportDailyReadLog>"),
    )
    .unwrap();
    let why = profile.relay().unwrap_err().reason;
    assert!(why.contains("on 4.6.2: only the log reads"), "{why}");
}

/// 1.5 to a gas meter: each of the RTDS's four templates builds its command's CreditAdjustment
/// — use case, start, type and value — but for the issuer event id, which dccsim takes from the
/// request's counter (the RTDS's commands all carry 2015-01-01's time there).
#[test]
fn a_gas_meter_balance_update_is_the_rtds_command() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload, zcl_header};
    for variant in ["a", "b", "c", "d"] {
        let duis = format!("GCS40{variant}_1.5_SUCCESS_REQUEST_DUIS.XML");
        let gbcs = format!("1.5_GCS40{variant}/GCS40{variant}_1.5_SUCCESS_COMMAND_GBCS.HEX");
        let request = template(&duis);
        let (code, payloads) = request.gas_command(false).unwrap().unwrap();
        let text =
            std::fs::read_to_string(reference().join("gbcs-rtds/RTDS-4.5.0").join(&gbcs)).unwrap();
        let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
        assert_eq!(rtds.message_code(), Some(code), "{duis}");
        let Gbz::Components { components } = Gbz::decode(&rtds.signing.content, false).unwrap()
        else {
            panic!("{gbcs}")
        };
        let [c] = &components[..] else {
            panic!("{gbcs}")
        };
        let Some(GasPayload::CreditAdjustment {
            start,
            adjustment,
            value,
            ..
        }) = gas_payload(c, &c.payload).unwrap()
        else {
            panic!("{gbcs}")
        };
        let expected = GasPayload::CreditAdjustment {
            event: request.id.counter as u32,
            start,
            adjustment,
            value,
        };
        assert_eq!(payloads, [expected], "{duis}");
        let (cluster, _, command) = zcl_header(&payloads[0]);
        assert_eq!((cluster, command), (c.cluster, c.command), "{duis}");
    }
}

/// 6.8 to a gas meter: each RTDS template (monthly, GCS25; six-monthly, GCS25a) builds its
/// command's PublishBillingPeriod and PublishBlockPeriod byte for byte but for the issuer event
/// id, which dccsim takes from the request's counter (the RTDS's, 2015-01-01's time).
#[test]
fn a_gas_billing_calendar_is_the_rtds_command() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, encode_gas_payload, gas_payload};
    for (duis, gbcs) in [
        (
            "GCS25_6.8_SUCCESS_REQUEST_DUIS.XML",
            "6.8_GCS25/GCS25_6.8_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "GCS25a_6.8_SUCCESS_REQUEST_DUIS.XML",
            "6.8_GCS25a/GCS25a_6.8_SUCCESS_COMMAND_GBCS.HEX",
        ),
    ] {
        let request = template(duis);
        let (code, payloads) = request.gas_command(false).unwrap().unwrap();
        let text =
            std::fs::read_to_string(reference().join("gbcs-rtds/RTDS-4.5.0").join(gbcs)).unwrap();
        let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
        assert_eq!(rtds.message_code(), Some(code), "{duis}");
        let Gbz::Components { components } = Gbz::decode(&rtds.signing.content, false).unwrap()
        else {
            panic!("{gbcs}")
        };
        let event = request.id.counter as u32;
        let expected: Vec<Vec<u8>> = components
            .iter()
            .map(|c| match gas_payload(c, &c.payload).unwrap().unwrap() {
                GasPayload::BillingPeriod {
                    provider_id,
                    start,
                    duration,
                    duration_type,
                    tariff_type,
                    ..
                } => GasPayload::BillingPeriod {
                    provider_id,
                    issuer_event_id: event,
                    start,
                    duration,
                    duration_type,
                    tariff_type,
                },
                GasPayload::BlockPeriod {
                    provider_id,
                    start,
                    duration,
                    control,
                    duration_type,
                    tariff_type,
                    resolution,
                    ..
                } => GasPayload::BlockPeriod {
                    provider_id,
                    issuer_event_id: event,
                    start,
                    duration,
                    control,
                    duration_type,
                    tariff_type,
                    resolution,
                },
                other => panic!("{other:?}"),
            })
            .map(|p| encode_gas_payload(&p))
            .collect();
        let built: Vec<Vec<u8>> = payloads.iter().map(encode_gas_payload).collect();
        assert_eq!(built, expected, "{duis}");
    }
}

/// 14.1 to a gas meter: the RTDS template builds its command's StartSampling (the network
/// data: six-minute samples of gas delivered, 41 of them, from now) byte for byte but for the
/// issuer event id, which dccsim takes from the request's counter.
#[test]
fn a_gas_network_data_recording_is_the_rtds_command() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, encode_gas_payload, gas_payload};
    let request = template("GCS31_14.1_SUCCESS_REQUEST_DUIS.XML");
    let (code, payloads) = request.gas_command(false).unwrap().unwrap();
    let path = "gbcs-rtds/RTDS-4.5.0/14.1_GCS31/GCS31_14.1_SUCCESS_COMMAND_GBCS.HEX";
    let text = std::fs::read_to_string(reference().join(path)).unwrap();
    let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    assert_eq!(rtds.message_code(), Some(code));
    let Gbz::Components { components } = Gbz::decode(&rtds.signing.content, false).unwrap() else {
        panic!()
    };
    let [c] = &components[..] else { panic!() };
    let Some(GasPayload::StartSampling {
        start,
        sample_type,
        interval_s,
        max_samples,
        ..
    }) = gas_payload(c, &c.payload).unwrap()
    else {
        panic!()
    };
    let expected = GasPayload::StartSampling {
        event: request.id.counter as u32,
        start,
        sample_type,
        interval_s,
        max_samples,
    };
    assert_eq!(payloads, [expected]);
    assert_eq!((start, interval_s, max_samples), (0, 360, 41));
    let rebuilt = GasPayload::StartSampling {
        event: 0x1C37_4A80,
        start,
        sample_type,
        interval_s,
        max_samples,
    };
    assert_eq!(encode_gas_payload(&rebuilt), c.payload);
}

/// 2.5 to a gas meter: the RTDS template builds its command's SelectAvailableEmergencyCredit,
/// byte for byte.
#[test]
fn a_gas_emergency_credit_activation_is_the_rtds_command() {
    use dccsim::protocol::gbcs::gbz::{Gbz, encode_gas_payload};
    let request = template("GCS06_2.5_SUCCESS_REQUEST_DUIS.XML");
    let (code, payloads) = request.gas_command(false).unwrap().unwrap();
    let path = "gbcs-rtds/RTDS-4.5.0/2.5_GCS06/GCS06_2.5_SUCCESS_COMMAND_GBCS.HEX";
    let text = std::fs::read_to_string(reference().join(path)).unwrap();
    let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    assert_eq!(rtds.message_code(), Some(code));
    let Gbz::Components { components } = Gbz::decode(&rtds.signing.content, false).unwrap() else {
        panic!()
    };
    let built: Vec<Vec<u8>> = payloads.iter().map(encode_gas_payload).collect();
    let expected: Vec<Vec<u8>> = components.iter().map(|c| c.payload.clone()).collect();
    assert_eq!(built, expected);
}

/// 6.11 to a gas meter: the RTDS template builds its command (GCS28), the ASN.1 validity
/// interval, byte for byte.
#[test]
fn a_gas_clock_synchronisation_is_the_rtds_command() {
    for (duis, gbcs) in [
        (
            "GCS28_6.11_SUCCESS_REQUEST_DUIS.XML",
            "6.11_GCS28/GCS28_6.11",
        ),
        (
            "GCS28Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML",
            "8.1.1_GCS28Commission/GCS28Commission_8.1.1",
        ),
    ] {
        let request = template(duis);
        let (code, payload) = request.gas_asn1_command().unwrap().unwrap();
        let path = format!("gbcs-rtds/RTDS-4.5.0/{gbcs}_SUCCESS_COMMAND_GBCS.HEX");
        let text = std::fs::read_to_string(reference().join(path)).unwrap();
        let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
        assert_eq!(rtds.message_code(), Some(code), "{duis}");
        assert_eq!(payload.encode(), rtds.signing.content, "{duis}");
    }
}

/// 3.4 to a gas meter: the RTDS template builds its command's PublishChangeOfSupplier — the
/// name, the telephone number, no new provider, at once — but for the issuer event id, which
/// dccsim takes from the request's counter.
#[test]
fn a_gas_supplier_name_is_the_rtds_command() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload};
    let request = template("GCS44_3.4_SUCCESS_REQUEST_DUIS.XML");
    let (code, payloads) = request.gas_command(false).unwrap().unwrap();
    let path = "gbcs-rtds/RTDS-4.5.0/3.4_GCS44/GCS44_3.4_SUCCESS_COMMAND_GBCS.HEX";
    let text = std::fs::read_to_string(reference().join(path)).unwrap();
    let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    assert_eq!(rtds.message_code(), Some(code));
    let Gbz::Components { components } = Gbz::decode(&rtds.signing.content, false).unwrap() else {
        panic!()
    };
    let Some(GasPayload::ChangeOfSupplier {
        current_provider,
        tariff_type,
        proposed_provider,
        implement_at,
        control,
        name,
        contact,
        ..
    }) = gas_payload(&components[0], &components[0].payload).unwrap()
    else {
        panic!("{components:?}")
    };
    assert_eq!((name.as_str(), contact.as_str()), ("E-ON", "0333 202 4650"));
    let expected = GasPayload::ChangeOfSupplier {
        current_provider,
        event: request.id.counter as u32,
        tariff_type,
        proposed_provider,
        implement_at,
        control,
        name,
        contact,
    };
    assert_eq!(payloads, [expected]);
}

/// 6.22's gas command (GCS20) built from the RTDS template is the RTDS command's four
/// SetEventConfigurations — each configuration with its events, listed in the template's order
/// — but for their order (dccsim sends each configuration where it first appears in the
/// request, the RTDS in an order of its own) and the issuer event id, dccsim's the request's
/// counter.
#[test]
fn a_gas_event_configuration_is_the_rtds_commands_components() {
    use dccsim::protocol::gbcs::gbz::{GasPayload, Gbz, gas_payload};
    let request = template("GCS20_6.22_SUCCESS_REQUEST_DUIS.XML");
    let (code, payloads) = request.gas_command(false).unwrap().unwrap();
    let path = "gbcs-rtds/RTDS-4.5.0/6.22_GCS20/GCS20_6.22_SUCCESS_COMMAND_GBCS.HEX";
    let text = std::fs::read_to_string(reference().join(path)).unwrap();
    let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
    assert_eq!(rtds.message_code(), Some(code));
    let Gbz::Components { components } = Gbz::decode(&rtds.signing.content, false).unwrap() else {
        panic!()
    };
    let mut expected: Vec<GasPayload> = components
        .iter()
        .map(|c| match gas_payload(c, &c.payload).unwrap() {
            Some(GasPayload::SetEventConfiguration {
                start,
                configuration,
                control,
                events,
                ..
            }) => GasPayload::SetEventConfiguration {
                event: request.id.counter as u32,
                start,
                configuration,
                control,
                events,
            },
            other => panic!("{other:?}"),
        })
        .collect();
    let key = |p: &GasPayload| format!("{p:?}");
    expected.sort_by_key(key);
    let mut built = payloads;
    built.sort_by_key(key);
    assert_eq!(built, expected);
}

/// The gas reads of fixed attributes (`gas_settings`), of the billing data logs of debt
/// payments and prepayment credits, of the prepayment daily read log and of the event and
/// security logs, built from their DUIS
/// requests are the RTDS commands'
/// components: the same clusters, commands and payloads. (The RTDS's 4.4.3 command asks for
/// another period than its DUIS template's, so `tests/gbz.rs` compares it by shape.)
#[test]
fn the_gas_reads_built_from_duis_requests_are_the_rtds_commands() {
    use dccsim::protocol::gbcs::gbz::{Gbz, encode_gas_payload, zcl_header};
    for (duis, gbcs, to_proxy) in [
        (
            "GCS13b_4.1.4_SUCCESS_RELIABLE_GSME_REQUEST_DUIS.XML",
            "4.1.4_GCS13b/GCS13b_4.1.4_SUCCESS_RELIABLE_GSME_COMMAND_GBCS.HEX",
            false,
        ),
        (
            "GCS13c_4.1.2_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML",
            "4.1.2_GCS13c/GCS13c_4.1.2_SUCCESS_RELIABLE_GPF_COMMAND_GBCS.HEX",
            true,
        ),
        (
            "GCS21a_6.2.8_SUCCESS_REQUEST_DUIS.XML",
            "6.2.8_GCS21a/GCS21a_6.2.8_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        (
            "GCS21e_6.2.4_SUCCESS_REQUEST_DUIS.XML",
            "6.2.4_GCS21e/GCS21e_6.2.4_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        (
            "GCS33_7.4_SUCCESS_REQUEST_DUIS.XML",
            "7.4_GCS33/GCS33_7.4_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        // The billing data logs of debt payments and of prepayment credits: the period's end
        // (past GBCS's clock for the latter: its latest time).
        (
            "GCS15d_4.4.4_SUCCESS_REQUEST_DUIS.XML",
            "4.4.4_GCS15d/GCS15d_4.4.4_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        (
            "GCS15e_4.4.5_SUCCESS_REQUEST_DUIS.XML",
            "4.4.5_GCS15e/GCS15e_4.4.5_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        // The billing calendar in force.
        (
            "GCS21d_6.2.3_SUCCESS_REQUEST_DUIS.XML",
            "6.2.3_GCS21d/GCS21d_6.2.3_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        // The network data log's 41 samples, from time 1 as the RTDS asks.
        (
            "GCS18_4.10_SUCCESS_REQUEST_DUIS.XML",
            "4.10_GCS18/GCS18_4.10_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        // The change of mode / tariff billing data log: twelve prepayment snapshots, then
        // twelve of the registers.
        (
            "GCS15b_4.4.2_SUCCESS_REQUEST_DUIS.XML",
            "4.4.2_GCS15b/GCS15b_4.4.2_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        // Every event's configuration.
        (
            "GCS20r_6.2.10_SUCCESS_REQUEST_DUIS.XML",
            "6.2.10_GCS20r/GCS20r_6.2.10_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        // The general event log and the security log, every event in the period.
        (
            "CS10a_6.13_SUCCESS_REQUEST_DUIS.XML",
            "6.13_CS10a/CS10a_6.13_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        (
            "CS10b_6.13_SUCCESS_REQUEST_DUIS.XML",
            "6.13_CS10b/CS10b_6.13_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
        // The prepayment daily read log: 31 daily prepayment snapshots.
        (
            "GCS16b_4.14_KRP_SUCCESS_REQUEST_DUIS.XML",
            "4.14_GCS16b/GCS16b_4.14_KRP_SUCCESS_COMMAND_GBCS.HEX",
            false,
        ),
    ] {
        let request = template(duis);
        let (code, payloads) = request.gas_command(to_proxy).unwrap().unwrap();
        let from = request.gas_from().unwrap();
        let text =
            std::fs::read_to_string(reference().join("gbcs-rtds/RTDS-4.5.0").join(gbcs)).unwrap();
        let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
        assert_eq!(rtds.message_code(), Some(code), "{duis}");
        let Gbz::Components { components } = Gbz::decode(&rtds.signing.content, false).unwrap()
        else {
            panic!("{gbcs}")
        };
        let built: Vec<_> = payloads
            .iter()
            .map(|p| {
                let (cluster, _, command) = zcl_header(p);
                (cluster, command, from, encode_gas_payload(p))
            })
            .collect();
        let expected: Vec<_> = components
            .iter()
            .map(|c| (c.cluster, c.command, c.from, c.payload.clone()))
            .collect();
        assert_eq!(built, expected, "{duis}");
    }
}

/// A 6.22 or 6.13 to a gas meter, or a 6.13 to a comms hub, with a value the schema does not
/// allow is refused, naming the element and the value.
#[test]
fn bad_alert_settings_and_log_names_are_refused_by_name() {
    let text = |name: &str| {
        std::fs::read_to_string(reference().join("duis/rtds-templates").join(name)).unwrap()
    };
    let alerts = text("GCS20_6.22_SUCCESS_REQUEST_DUIS.XML");
    let not_a_switch = alerts.replacen(">Enable</sr:WANAlert>", ">On</sr:WANAlert>", 1);
    let not_an_event = alerts.replace("sr:x810E>", "sr:xZZZZ>");
    let gas_log = text("CS10a_6.13_SUCCESS_REQUEST_DUIS.XML").replace(">Event<", ">Power<");
    for (xml, why) in [
        (
            not_a_switch,
            "sr:x810E needs sr:WANAlert Enable or Disable, not Some(\"On\")",
        ),
        (
            not_an_event,
            "sr:xZZZZ is not an alert code (x and its four hex digits)",
        ),
        (
            gas_log,
            "sr:LogToRead \"Power\": a gas meter keeps an Event and a Security log",
        ),
    ] {
        let request = Request::parse(&xml).unwrap();
        let refused = request.gas_command(false).unwrap_err();
        assert_eq!(refused.reason, why);
    }
    let hub_log = text("ECS35c_6.13_SUCCESS_REQUEST_DUIS.XML").replace(">Event<", ">Power<");
    let refused = Request::parse(&hub_log).unwrap().hub_command().unwrap_err();
    assert_eq!(
        refused.reason,
        "sr:LogToRead \"Power\": a comms hub keeps an Event and a Security log"
    );
}

/// The tariff ids a gas tariff command carries, set to 0: dccsim names a calendar and a tariff
/// by the request's counter, the RTDS by the time it was made (and its tariff 1).
fn without_tariff_ids(
    p: dccsim::protocol::gbcs::gbz::GasPayload,
) -> dccsim::protocol::gbcs::gbz::GasPayload {
    use dccsim::protocol::gbcs::gbz::{GasPayload, TariffPayload::*};
    let mut t = match p {
        GasPayload::Tariff(t) => t,
        GasPayload::ChangeDebt {
            label,
            amount,
            method,
            amount_type,
            start,
            collection_time,
            frequency,
            recovery_amount,
            percentage,
            ..
        } => {
            return GasPayload::ChangeDebt {
                event: 0,
                label,
                amount,
                method,
                amount_type,
                start,
                collection_time,
                frequency,
                recovery_amount,
                percentage,
            };
        }
        GasPayload::EmergencyCreditSetup {
            start,
            limit,
            threshold,
            ..
        } => {
            return GasPayload::EmergencyCreditSetup {
                event: 0,
                start,
                limit,
                threshold,
            };
        }
        GasPayload::OverallDebtCap {
            provider,
            implement_at,
            cap,
            ..
        } => {
            return GasPayload::OverallDebtCap {
                provider,
                event: 0,
                implement_at,
                cap,
            };
        }
        GasPayload::MaximumCredit {
            provider,
            implement_at,
            max_credit,
            max_per_top_up,
            ..
        } => {
            return GasPayload::MaximumCredit {
                provider,
                event: 0,
                implement_at,
                max_credit,
                max_per_top_up,
            };
        }
        other => return other,
    };
    match &mut t {
        PublishCalendar {
            event, calendar, ..
        }
        | PublishDayProfile {
            event, calendar, ..
        }
        | PublishWeekProfile {
            event, calendar, ..
        }
        | PublishSeasons {
            event, calendar, ..
        }
        | PublishSpecialDays {
            event, calendar, ..
        } => (*event, *calendar) = (0, 0),
        TariffInformation { event, tariff, .. }
        | PriceMatrix { event, tariff, .. }
        | BlockThresholds { event, tariff, .. } => (*event, *tariff) = (0, 0),
        _ => {}
    }
    GasPayload::Tariff(t)
}

/// 1.1.1 and 1.2.1 to a gas meter (GCS01a, GCS01b) — TOU at once, block future-dated, block
/// cancelled, in pounds and euros — and 4.11.1 (GCS21f): each RTDS template builds its
/// command's components, field for field, but for the ids that name the calendar and tariff.
#[test]
fn gas_tariffs_are_the_rtds_commands() {
    use dccsim::protocol::gbcs::gbz::{Gbz, gas_payload};
    for (duis, gbcs) in [
        (
            "GCS01a_1.1.1_IMMEDIATE_TOU",
            "1.1.1_GCS01a/GCS01a_1.1.1_IMMEDIATE_TOU",
        ),
        (
            "GCS01a_1.1.1_FUTURE_DATED_BLOCK",
            "1.1.1_GCS01a/GCS01a_1.1.1_FUTURE_DATED_BLOCK",
        ),
        (
            "GCS01a_1.1.1_CANCELLATION_BLOCK",
            "1.1.1_GCS01a/GCS01a_1.1.1_CANCELLATION_BLOCK",
        ),
        (
            "GCS01b_1.2.1_IMMEDIATE_TOU",
            "1.2.1_GCS01b/GCS01b_1.2.1_IMMEDIATE_TOU",
        ),
        (
            "GCS01b_1.2.1_FUTURE_DATED_BLOCK",
            "1.2.1_GCS01b/GCS01b_1.2.1_FUTURE_DATED_BLOCK",
        ),
        (
            "GCS01b_1.2.1_CANCELLATION_BLOCK",
            "1.2.1_GCS01b/GCS01b_1.2.1_CANCELLATION_BLOCK",
        ),
        ("GCS21f_4.11.1", "4.11.1_GCS21f/GCS21f_4.11.1"),
        ("GCS05_2.1_IMMEDIATE", "2.1_GCS05/GCS05_2.1_IMMEDIATE"),
        ("GCS05_2.1_FUTURE_DATED", "2.1_GCS05/GCS05_2.1_FUTURE_DATED"),
        ("GCS05_2.1_CANCELLATION", "2.1_GCS05/GCS05_2.1_CANCELLATION"),
        ("GCS21b_4.13", "4.13_GCS21b/GCS21b_4.13"),
        ("GCS04_2.3", "2.3_GCS04/GCS04_2.3"),
    ] {
        let request = template(&format!("{duis}_SUCCESS_REQUEST_DUIS.XML"));
        let (code, payloads) = request.gas_command(false).unwrap().unwrap();
        let path = format!("gbcs-rtds/RTDS-4.5.0/{gbcs}_SUCCESS_COMMAND_GBCS.HEX");
        let text = std::fs::read_to_string(reference().join(path)).unwrap();
        let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
        assert_eq!(rtds.message_code(), Some(code), "{duis}");
        let Gbz::Components { components } = Gbz::decode(&rtds.signing.content, false).unwrap()
        else {
            panic!("{duis}")
        };
        let expected: Vec<_> = components
            .iter()
            .map(|c| without_tariff_ids(gas_payload(c, &c.payload).unwrap().unwrap()))
            .collect();
        let built: Vec<_> = payloads.into_iter().map(without_tariff_ids).collect();
        assert_eq!(built, expected, "{duis}");
        // The same clusters, headers and bytes, the ids aside.
        let built_bytes = dccsim::protocol::gbcs::gbz::gas_command(&built, None, 0);
        let expected_bytes = dccsim::protocol::gbcs::gbz::gas_command(&expected, None, 0);
        assert_eq!(built_bytes, expected_bytes, "{duis}");
    }
}

/// A gas tariff the meter could not follow is refused, naming what is wrong.
#[test]
fn a_bad_gas_tariff_is_refused_naming_the_element() {
    let xml = |from: &str, to: &str| {
        let path = reference()
            .join("duis/rtds-templates/GCS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML");
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains(from), "{from}");
        Request::parse(&text.replacen(from, to, 1)).unwrap()
    };
    for (from, to, says) in [
        (
            "<sr:ReferencedWeekName>2</sr:ReferencedWeekName>",
            "<sr:ReferencedWeekName>3</sr:ReferencedWeekName>",
            "ReferencedWeekName",
        ),
        (
            "<sr:TOUTariffAction>4</sr:TOUTariffAction>",
            "<sr:BlockTariff/>",
            "sr:DayProfile 4 has no sr:TOUTariffAction",
        ),
        (
            "<sr:CurrencyUnits>GBP</sr:CurrencyUnits>",
            "<sr:CurrencyUnits>USD</sr:CurrencyUnits>",
            "CurrencyUnits",
        ),
        (
            "<sr:DayName>4</sr:DayName>",
            "<sr:DayName>3</sr:DayName>",
            "sr:DayName 3 is defined twice",
        ),
    ] {
        let err = xml(from, to).gas_command(false).unwrap_err();
        assert!(err.reason.contains(says), "{to}: {}", err.reason);
    }
}

/// 8.7.1 (CS03A1, CS03A2), 8.7.2 (CS03A2, CS03B), 8.8.1 (CS04AC), 8.8.2 (CS04AC, CS04B) and 8.9
/// (CS07) to a meter, PPMID or HCALCS: each
/// RTDS template, given the device types the inventory holds, builds the RTDS command byte for
/// byte; a join the inventory cannot place, or by the wrong variant, is refused saying why.
#[test]
fn joins_unjoins_and_device_log_reads_are_the_rtds_commands() {
    use dccsim::headend::DeviceType::{self, Esme, Gpf, Gsme, Hcalcs, Ppmid};
    let cases: [(&str, DeviceType, Option<DeviceType>, &str); 8] = [
        (
            "CS03A2Critical_8.7.1",
            Hcalcs,
            Some(Esme),
            "8.7.1_CS03A2Critical/CS03A2Critical_8.7.1",
        ),
        (
            "CS03A2NonCritical_8.7.2",
            Ppmid,
            Some(Esme),
            "8.7.2_CS03A2NonCritical/CS03A2NonCritical_8.7.2",
        ),
        (
            "CS04ACNonCritical_8.8.2",
            Ppmid,
            None,
            "8.8.2_CS04ACNonCritical/CS04ACNonCritical_8.8.2",
        ),
        (
            "CS03A1_8.7.1",
            Esme,
            Some(Hcalcs),
            "8.7.1_CS03A1/CS03A1_8.7.1",
        ),
        ("CS03B_8.7.2", Gsme, Some(Gpf), "8.7.2_CS03B/CS03B_8.7.2"),
        (
            "CS04ACCritical_8.8.1",
            Esme,
            None,
            "8.8.1_CS04ACCritical/CS04ACCritical_8.8.1",
        ),
        ("CS04B_8.8.2", Gsme, None, "8.8.2_CS04B/CS04B_8.8.2"),
        ("CS07_8.9", Gsme, None, "8.9_CS07/CS07_8.9"),
    ];
    for (duis, target, other, gbcs) in cases {
        let request = template(&format!("{duis}_SUCCESS_REQUEST_DUIS.XML"));
        let (code, payload) = request.join_command(target, other).unwrap().unwrap();
        let path = format!("gbcs-rtds/RTDS-4.5.0/{gbcs}_SUCCESS_COMMAND_GBCS.HEX");
        let text = std::fs::read_to_string(reference().join(path)).unwrap();
        let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
        assert_eq!(Some(code), rtds.message_code(), "{duis}");
        assert_eq!(payload.encode(), rtds.signing.content, "{duis}");
    }
    // Method C: the command as built carries no certificate; with the other device's (the
    // head-end adds it from its SMKI repository), it is the RTDS's.
    for (duis, target, other, gbcs, certificate) in [
        (
            "CS03CCritical_8.7.1",
            Gsme,
            Ppmid,
            "8.7.1_CS03CCritical/CS03CCritical_8.7.1",
            "00db123456789098-ka.pem",
        ),
        (
            "CS03CNonCritical_8.7.2",
            Ppmid,
            Gsme,
            "8.7.2_CS03CNonCritical/CS03CNonCritical_8.7.2",
            "00db123456789094-ka.pem",
        ),
    ] {
        use dccsim::protocol::gbcs::asn1::Der;
        use dccsim::protocol::gbcs::join::HanPayload;
        let request = template(&format!("{duis}_SUCCESS_REQUEST_DUIS.XML"));
        let (code, mut payload) = request.join_command(target, Some(other)).unwrap().unwrap();
        let HanPayload::Join { certificate: c, .. } = &mut payload else {
            panic!("a join")
        };
        assert!(c.is_none());
        let pem = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data/rtds-certificates")
                .join(certificate),
        )
        .unwrap();
        let mut keys = dccsim::protocol::gbcs::KeyStore::default();
        let other_device = request.other_device().unwrap().unwrap();
        let usage = dccsim::protocol::gbcs::KeyUse::KeyAgreement;
        keys.insert_certificate(other_device, usage, &pem).unwrap();
        *c = Some(Der::decode(keys.certificate(other_device, usage).unwrap()).unwrap());
        let path = format!("gbcs-rtds/RTDS-4.5.0/{gbcs}_SUCCESS_COMMAND_GBCS.HEX");
        let text = std::fs::read_to_string(reference().join(path)).unwrap();
        let rtds = GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap();
        assert_eq!(Some(code), rtds.message_code(), "{duis}");
        assert_eq!(payload.encode(), rtds.signing.content, "{duis}");
    }
    let refusal = |name: &str, target, other| {
        template(name)
            .join_command(target, other)
            .unwrap_err()
            .reason
    };
    let join = "CS03A1_8.7.1_SUCCESS_REQUEST_DUIS.XML";
    let why = refusal(join, Esme, None);
    assert!(
        why.contains("00-DB-12-34-56-78-90-9A, is not in the inventory"),
        "{why}"
    );
    let why = refusal(join, Esme, Some(Gpf));
    assert!(why.contains("an ESME does not join a GPF"), "{why}");
    let why = refusal("CS03B_8.7.2_SUCCESS_REQUEST_DUIS.XML", Esme, Some(Ppmid));
    assert!(why.contains("by 8.7.1, not 8.7.2"), "{why}");
    let why = refusal("CS04B_8.8.2_SUCCESS_REQUEST_DUIS.XML", Esme, None);
    assert!(why.contains("an ESME unjoins by 8.8.1"), "{why}");
    let why = refusal("CCS07_8.9_SUCCESS_REQUEST_DUIS.XML", Gsme, None);
    assert!(why.contains("comms hub"), "{why}");
}

/// 6.22 and 6.2.10 to an electricity meter are the RTDS commands byte for byte: each
/// `ConfigureAlertBehaviour` choice its use case and filter, the changed codes then their
/// values. (The RTDS pairs ECS25a's template with its error vector, sent under the next
/// counter; ECS25b's template, which also names 8003, has no vector of its own.)
#[test]
fn alert_behaviours_are_the_rtds_commands() {
    use dccsim::protocol::gbcs::payload::{ECS25B, ECS25R2, Reading};
    let vectors = "gbcs-rtds/RTDS-4.5.0";
    let rtds = |path: &str| {
        let text = std::fs::read_to_string(reference().join(vectors).join(path)).unwrap();
        GbcsMessage::decode(&parse_hex(&text).unwrap()).unwrap()
    };
    for (duis, gbcs) in [
        ("ECS25a", "6.22_ECS25a/ECS25a_6.22_ERROR_COMMAND_GBCS.HEX"),
        (
            "ECS25a1",
            "6.22_ECS25a1/ECS25a1_6.22_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS25a2",
            "6.22_ECS25a2/ECS25a2_6.22_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS25a3",
            "6.22_ECS25a3/ECS25a3_6.22_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS25b3",
            "6.22_ECS25b3/ECS25b3_6.22_SUCCESS_COMMAND_GBCS.HEX",
        ),
        (
            "ECS25r1",
            "6.2.10_ECS25r1/ECS25r1_6.2.10_SUCCESS_COMMAND_GBCS.HEX",
        ),
    ] {
        let service = if duis.starts_with("ECS25r") {
            "6.2.10"
        } else {
            "6.22"
        };
        let request = template(&format!("{duis}_{service}_SUCCESS_REQUEST_DUIS.XML"));
        let (code, reading) = request.esme_command().unwrap().unwrap();
        let rtds = rtds(gbcs);
        assert_eq!(rtds.message_code(), Some(code), "{duis}");
        let RequestId {
            originator, target, ..
        } = request.id;
        let counter = rtds.signing.originator_counter;
        let built = encode_command(code, &reading, counter, originator, target).unwrap();
        assert_eq!(built, rtds.signing.content, "{duis}");
    }
    // The network operator's read: its two filters.
    let request = template("ECS25r2_6.2.10_SUCCESS_REQUEST_DUIS.XML");
    let rtds = rtds("6.2.10_ECS25r2/ECS25r2_6.2.10_SUCCESS_COMMAND_GBCS.HEX");
    let RequestId {
        originator,
        target,
        counter,
    } = request.id;
    let built = encode_command(ECS25R2, &Reading::Read, counter, originator, target).unwrap();
    assert_eq!(built, rtds.signing.content);
    // ECS25b: the network operator's alerts, 8003 and 8014 enabled, 8015 disabled.
    let request = template("ECS25b_6.22_SUCCESS_REQUEST_DUIS.XML");
    let (code, reading) = request.esme_command().unwrap().unwrap();
    assert_eq!(code, ECS25B);
    let Reading::AlertBehaviour(change) = reading else {
        panic!("{reading:?}")
    };
    assert_eq!(change.codes(), (vec![0x8003, 0x8014], vec![0x8015]));
}

/// A 6.22 naming what is not an alert of its group (the DUIS schema's lists), or neither
/// Enable nor Disable, an alert twice, an alert outside a group, both the single and the
/// poly-phase group, no alert at all, or a gas meter's settings, is refused saying which
/// element is wrong.
#[test]
fn alert_behaviours_are_checked() {
    let text = std::fs::read_to_string(
        reference().join("duis/rtds-templates/ECS25a1_6.22_SUCCESS_REQUEST_DUIS.XML"),
    )
    .unwrap();
    let common = "<sr:SupplierESMECommon>";
    let network = "<sr:ElectricityNetworkOperatorAlerts><sr:NetworkOperatorESMESinglePhase>\
                   <sr:x8002>Enable</sr:x8002></sr:NetworkOperatorESMESinglePhase>\
                   <sr:NetworkOperatorESMEPolyPhase><sr:x8003>Enable</sr:x8003>\
                   </sr:NetworkOperatorESMEPolyPhase></sr:ElectricityNetworkOperatorAlerts>";
    for (from, to, says) in [
        (
            "x8119>Disable</sr:x8119",
            "x8019>Disable</sr:x8019",
            "sr:x8019 in sr:SupplierESMECommon is not one of that group's alerts",
        ),
        (
            "x8119>Disable</sr:x8119",
            "x81FF>Disable</sr:x81FF",
            "sr:x81FF in sr:SupplierESMECommon is not one of that group's alerts",
        ),
        (
            ">Disable</sr:x8119",
            ">Off</sr:x8119",
            "sr:x8119 is \"Off\", not Enable or Disable",
        ),
        (
            "x8119>Disable</sr:x8119",
            "xZZ>Disable</sr:xZZ",
            "sr:xZZ is not an alert code",
        ),
        (
            "x8119>Disable</sr:x8119",
            "x810D>Disable</sr:x810D",
            "sr:x810D is named twice",
        ),
        (
            common,
            "<sr:x810D>Enable</sr:x810D><sr:SupplierESMECommon>",
            "sr:x810D in sr:ElectricitySupplierHANAlertSettings is not one of its groups",
        ),
        (
            "SupplierESMECommon>",
            "NetworkOperatorESMECommon>",
            "sr:NetworkOperatorESMECommon in sr:ElectricitySupplierHANAlertSettings is not one \
             of its groups",
        ),
        (
            "ElectricitySupplierHANAlertSettings>",
            "GasSupplierAlerts>",
            "sr:GasSupplierAlerts in sr:ConfigureAlertBehaviour is a gas meter's",
        ),
        (
            "ElectricitySupplierHANAlertSettings>",
            "ElectricitySupplierHANAlerts>",
            "sr:ElectricitySupplierHANAlerts is not one of sr:ConfigureAlertBehaviour's settings",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        let request = Request::parse(&text.replace(from, to)).unwrap();
        let e = request.esme_command().unwrap_err();
        assert!(e.reason.contains(says), "{}", e.reason);
    }
    let start = text
        .find("<sr:ElectricitySupplierHANAlertSettings>")
        .unwrap();
    let end = text.find("</sr:ConfigureAlertBehaviour>").unwrap();
    for (body, says) in [
        (
            network,
            "sr:ElectricityNetworkOperatorAlerts names both \
             sr:NetworkOperatorESMESinglePhase and sr:NetworkOperatorESMEPolyPhase",
        ),
        (
            "<sr:ElectricitySupplierAlarmSettings><sr:SupplierESMECommon/>\
             </sr:ElectricitySupplierAlarmSettings>",
            "sr:ElectricitySupplierAlarmSettings names no alert to enable or disable",
        ),
    ] {
        let xml = format!("{}{body}{}", &text[..start], &text[end..]);
        let request = Request::parse(&xml).unwrap();
        let e = request.esme_command().unwrap_err();
        assert!(e.reason.contains(says), "{}", e.reason);
    }
}
