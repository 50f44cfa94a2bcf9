//! GBCS time stamps in profiles and logs: UTC seconds since 2000-01-01 00:00:00 (the ZigBee
//! epoch, used by DLMS GBCS payloads too).

use chrono::{DateTime, TimeZone, Utc};

const EPOCH_2000: i64 = 946_684_800;

pub fn from_gbcs_seconds(s: u32) -> DateTime<Utc> {
    // Every u32 of seconds after 2000 is a valid chrono instant.
    Utc.timestamp_opt(EPOCH_2000 + i64::from(s), 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// `None` before 2000 or after 2136, which a u32 cannot hold.
pub fn to_gbcs_seconds(t: DateTime<Utc>) -> Option<u32> {
    u32::try_from(t.timestamp() - EPOCH_2000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtds_profile_stamp_is_new_years_eve_2014() {
        let t = from_gbcs_seconds(473_299_200);
        assert_eq!(t.to_rfc3339(), "2014-12-31T00:00:00+00:00");
        assert_eq!(to_gbcs_seconds(t), Some(473_299_200));
    }
}
