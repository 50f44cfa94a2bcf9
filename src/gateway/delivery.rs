//! Delivering responses and alerts to users' Receive Response Services, sans-IO: each item is
//! tried at once, retried with backoff for 300 s, then kept in an undelivered queue for two days
//! and retried now and then (DUIS: "retried at least once within 300 s … failed alerts held for
//! 2 days"). The gateway does the HTTP; this decides what to send when.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::model::Eui64;

/// How long delivery is retried before an item moves to the undelivered queue.
pub const RETRY_WINDOW: Duration = Duration::seconds(300);
/// How long an undelivered item is kept.
pub const KEEP_UNDELIVERED: Duration = Duration::days(2);
/// How often undelivered items are tried again.
const UNDELIVERED_RETRY: Duration = Duration::seconds(60);

/// One response or alert on its way to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: u64,
    pub user: Eui64,
    pub xml: String,
    pub first_tried: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub undelivered: bool,
}

/// What the queue holds, by next attempt time.
#[derive(Debug, Default)]
pub struct DeliveryQueue {
    items: BTreeMap<u64, Item>,
    next_at: BTreeMap<(DateTime<Utc>, u64), ()>,
    delivered: u64,
    expired: u64,
}

/// What became of an attempt, for the state database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered: forget the item.
    Delivered,
    /// Not delivered: tried again later.
    Retry {
        first_tried: DateTime<Utc>,
        attempts: u32,
    },
    /// Not delivered in two days: dropped.
    Expired,
}

impl DeliveryQueue {
    /// Queues `xml` for `user` under `id` (the head-end's delivery id), first attempt at `at`.
    pub fn push(&mut self, id: u64, user: Eui64, xml: String, at: DateTime<Utc>) {
        self.items.insert(
            id,
            Item {
                id,
                user,
                xml,
                first_tried: None,
                attempts: 0,
                undelivered: false,
            },
        );
        self.next_at.insert((at, id), ());
    }

    /// Items whose attempt is due by `now`; the caller reports each with [`Self::handle_result`].
    pub fn poll_due(&mut self, now: DateTime<Utc>) -> Vec<Item> {
        let later = self.next_at.split_off(&(now, u64::MAX));
        let due = std::mem::replace(&mut self.next_at, later);
        due.into_keys()
            .filter_map(|(_, id)| self.items.get(&id).cloned())
            .collect()
    }

    /// When the next attempt falls due.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        self.next_at.keys().next().map(|(t, _)| *t)
    }

    /// Records an attempt's outcome and schedules what follows.
    pub fn handle_result(&mut self, id: u64, delivered: bool, now: DateTime<Utc>) -> Outcome {
        let Some(item) = self.items.get_mut(&id) else {
            return Outcome::Expired;
        };
        if delivered {
            self.items.remove(&id);
            self.delivered += 1;
            return Outcome::Delivered;
        }
        let first = *item.first_tried.get_or_insert(now);
        item.attempts += 1;
        let next = if now - first < RETRY_WINDOW {
            // 1, 2, 4 … 64 s apart, within the retry window.
            let wait = Duration::seconds(1 << item.attempts.min(6).saturating_sub(1));
            (now + wait).min(first + RETRY_WINDOW)
        } else {
            item.undelivered = true;
            now + UNDELIVERED_RETRY
        };
        if next - first > KEEP_UNDELIVERED {
            self.items.remove(&id);
            self.expired += 1;
            return Outcome::Expired;
        }
        let attempts = item.attempts;
        self.next_at.insert((next, id), ());
        Outcome::Retry {
            first_tried: first,
            attempts,
        }
    }

    /// Every item not yet delivered.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.values()
    }

    /// Items waiting after their retry window, oldest first.
    pub fn undelivered(&self) -> Vec<&Item> {
        self.items.values().filter(|i| i.undelivered).collect()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// (delivered, expired) so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.delivered, self.expired)
    }

    /// Restores an item (from persistent storage after a restart), due at `at`.
    pub fn restore(&mut self, item: Item, at: DateTime<Utc>) {
        self.next_at.insert((at, item.id), ());
        self.items.insert(item.id, item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retries_for_300_s_then_keeps_for_two_days() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let user = Eui64([1; 8]);
        let mut q = DeliveryQueue::default();
        let id = 1;
        q.push(id, user, "<x/>".into(), t0);
        let mut attempts = 0;
        while let Some(now) = q.poll_timeout() {
            for item in q.poll_due(now) {
                attempts += 1;
                q.handle_result(item.id, false, now);
            }
            if now - t0 > RETRY_WINDOW {
                break;
            }
        }
        assert!(q.undelivered().iter().any(|i| i.id == id));
        assert!(attempts >= 8, "{attempts} attempts in the window");
        // The user comes back an hour later: delivered.
        let later = q.poll_timeout().unwrap() + Duration::hours(1);
        for item in q.poll_due(later) {
            q.handle_result(item.id, true, later);
        }
        assert!(q.is_empty());
        assert_eq!(q.counts(), (1, 0));

        // Never delivered: dropped after two days.
        let id = 2;
        q.push(id, user, "<y/>".into(), t0);
        let mut now = t0;
        while let Some(next) = q.poll_timeout() {
            now = next;
            for item in q.poll_due(now) {
                q.handle_result(item.id, false, now);
            }
        }
        assert!(now - t0 <= KEEP_UNDELIVERED + Duration::seconds(60));
        assert!(now - t0 >= KEEP_UNDELIVERED - Duration::seconds(60));
        assert_eq!(q.counts(), (1, 1));
        let _ = id;
    }
}
