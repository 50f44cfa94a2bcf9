//! Settlement input files are outside input: any standing data, consumption or take file gives
//! data or an error naming the file and line, never a panic; standing data that parses writes
//! back to CSV that parses to the same points. Run with `cargo +nightly fuzz run settlement_csv`.
#![no_main]

use dccsim::settlement::StandingData;
use dccsim::settlement::files::MemorySource;
use libfuzzer_sys::fuzz_target;

const STANDING: &str = "mpan,gsp_group,segment,connection,domestic,direction,energised,llfc,supplier,bm_unit,capacity_kw,annual_kwh
1000000000003,_A,S,W,Y,I,E,100,ALPH,2__AALPH000,23,2700
";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match StandingData::parse_csv("s.csv", text) {
        Ok(s) => {
            let again = StandingData::parse_csv("s.csv", &s.to_csv()).expect("own CSV parses");
            assert_eq!(again.points, s.points);
        }
        Err(e) => assert!(e.to_string().starts_with("s.csv:")),
    }
    let standing = StandingData::parse_csv("s.csv", STANDING).unwrap();
    let date = "2026-03-29".parse().unwrap();
    let consumption = MemorySource::from_files(standing.clone(), date, ("c.csv", text), None);
    if let Err(e) = consumption {
        assert!(e.to_string().starts_with("c.csv:"));
    }
    let header = "mpan,settlement_date,period,kwh\n";
    let take = MemorySource::from_files(standing, date, ("c.csv", header), Some(("t.csv", text)));
    if let Err(e) = take {
        assert!(e.to_string().starts_with("t.csv:"));
    }
});
