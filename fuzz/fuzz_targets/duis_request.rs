//! DUIS requests are outside input: any text parses to a request or gives an error naming the
//! line; never a panic. The same for what a request carries: its device command, its gas
//! command, a DCC schedule (5.1) with its runs, and what the DCC answers from its records (8.2,
//! 8.3, 8.4, 12.1). `cargo +nightly fuzz run duis_request`.
#![no_main]

use chrono::{Duration, NaiveDate};
use dccsim::gateway::defaults;
use dccsim::headend::inventory::{self, Coverage};
use dccsim::headend::{Request, Schedule};
use libfuzzer_sys::fuzz_target;

/// The RTDS devices and a few premises, as the head-end's registry holds them: made once.
fn registry() -> &'static dccsim::headend::Registry {
    static REGISTRY: std::sync::OnceLock<dccsim::headend::Registry> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| defaults::fleet(2, 1, chrono::DateTime::UNIX_EPOCH).0)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(request) = Request::parse(text) {
            let _ = request.esme_command();
            let _ = request.gas_command(false);
            let _ = request.gas_command(true);
            let _ = request.gas_from();
            let _ = request.relay();
            let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
            let user = request.id.originator;
            let registry = registry();
            let _ = inventory::read_inventory(registry, &request.body, &|_| None);
            let _ = inventory::wan_matrix(&request.body, |_, _| Coverage {
                technology: "cellular".into(),
                available: true,
            });
            if let Some(supplier) = defaults::users().into_iter().find(|u| u.eui == user) {
                let _ = inventory::decommission(registry, &supplier, &request.body, today);
                let _ = inventory::update_inventory(registry, &supplier, &request.body, today);
            }
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
