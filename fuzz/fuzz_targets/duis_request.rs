//! DUIS requests are outside input: any text parses to a request or gives an error naming the
//! line; never a panic. The same for what a request carries: its device command, its gas
//! command, and a DCC schedule (5.1) with its runs. `cargo +nightly fuzz run duis_request`.
#![no_main]

use chrono::{Duration, NaiveDate};
use dccsim::headend::{Request, Schedule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(request) = Request::parse(text) {
            let _ = request.esme_command();
            let _ = request.gas_command();
            let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
            let user = request.id.originator;
            if let Ok(schedule) = Schedule::from_request(1, user, &request.body, today) {
                for n in [0, 1, 400, u32::MAX] {
                    if let Some((date, _)) = schedule.run_time(n, Duration::hours(1)) {
                        let _ = schedule.read.period.and_then(|p| p.on(date));
                    }
                }
                let _ = schedule.details_xml();
            }
        }
    }
});
