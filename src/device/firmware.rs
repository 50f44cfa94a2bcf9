//! A meter's firmware upgrade (GBCS §11): the upgrade image the DCC distributed to it (11.1),
//! checked against its supplier's signing key when it arrives, and held until CS06 (11.3)
//! activates it, at once or at the time the command names.
//!
//! The meter keeps what it needs of the image, not the image: the hash of its Manufacturer
//! Image, the version it brings and who sent it (a meter's state is saved at every read).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Eui64;
use crate::protocol::gbcs::credentials::cancel_time;
use crate::protocol::gbcs::firmware::{
    ACTIVATED, FirmwarePayload, HASH_MISMATCH, NO_IMAGE_HELD, Outcome, UpgradeImage,
};
use crate::protocol::gbcs::gbz::FUTURE_DATED_SUCCESS;

/// An image distributed to the meter, from the time it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldImage {
    #[serde(with = "crate::protocol::gbcs::credentials::hex_bytes")]
    pub hash: Vec<u8>,
    pub version: [u8; 4],
    /// The user whose 11.1 distributed it: the meter's alerts about it go to them.
    pub from: Eui64,
    /// When the last of it reaches the meter over the home area network.
    pub arrives: DateTime<Utc>,
    /// Whether its signature is the supplier's (a meter discards an image that is not, and
    /// says so when it arrives).
    pub verified: bool,
    /// Whether the meter has told `from` (8F72, or 8F1C for an image it discarded).
    #[serde(default)]
    pub told: bool,
}

/// A future-dated activation the meter holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldActivation {
    pub at: DateTime<Utc>,
    pub from: Eui64,
    pub counter: u64,
    #[serde(with = "crate::protocol::gbcs::credentials::hex_bytes")]
    pub hash: Vec<u8>,
}

/// What the meter does about its firmware on its own when the time comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirmwareDue {
    /// An image arrived: tell `to` it holds it (8F72, with the hash) or discarded it (8F1C).
    Arrived {
        to: Eui64,
        at: DateTime<Utc>,
        hash: Vec<u8>,
        verified: bool,
    },
    /// A future-dated activation was carried out (or failed): its alert's payload, for `to`,
    /// and the version now running.
    Activated {
        to: Eui64,
        alert: FirmwarePayload,
        running: [u8; 4],
    },
}

/// A meter's firmware upgrade in progress: the image it holds and an activation it waits for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upgrade {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<HeldImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<HeldActivation>,
}

impl Upgrade {
    /// Takes in `image`, distributed by `from`'s 11.1, arriving at `arrives`; `supplier_key`
    /// is the signing key the meter trusts for its supplier. A later image replaces an
    /// earlier one not yet activated.
    pub fn receive(
        &mut self,
        image: &UpgradeImage,
        from: Eui64,
        arrives: DateTime<Utc>,
        supplier_key: Option<&[u8]>,
    ) {
        self.image = Some(HeldImage {
            hash: image.hash().to_vec(),
            version: image.version,
            from,
            arrives,
            verified: supplier_key.is_some_and(|k| image.signed_by(k)),
            told: false,
        });
    }

    /// When the meter next has something to do about its firmware.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        let arrival = self.image.as_ref().filter(|i| !i.told).map(|i| i.arrives);
        let activation = self.activation.as_ref().map(|a| a.at);
        arrival.into_iter().chain(activation).min()
    }

    /// The image it holds as of `now`, verified: one still on its way, or discarded, is not.
    fn held(&self, now: DateTime<Utc>) -> Option<&HeldImage> {
        self.image
            .as_ref()
            .filter(|i| i.verified && i.arrives <= now)
    }

    /// Activates the image held if `hash` is its hash: the outcome, with the version then
    /// running (`running` before, the image's after).
    fn activate(&mut self, hash: &[u8], running: [u8; 4], now: DateTime<Utc>) -> Outcome {
        let (status, version) = match self.held(now) {
            None => (NO_IMAGE_HELD, running),
            Some(image) if image.hash != hash => (HASH_MISMATCH, running),
            Some(image) => (ACTIVATED, image.version),
        };
        if status == ACTIVATED {
            self.image = None;
        }
        Outcome {
            status,
            version: version.to_vec(),
        }
    }

    /// Answers CS06 `ask` from `from` under `counter` at `now`, the meter running `running`:
    /// carried out at once (the outcome), held for its time, or a held one cancelled (both
    /// answered NULL).
    pub fn answer(
        &mut self,
        ask: &FirmwarePayload,
        from: Eui64,
        counter: u64,
        running: [u8; 4],
        now: DateTime<Utc>,
    ) -> Result<FirmwarePayload, String> {
        let FirmwarePayload::Activate { hash, at, .. } = ask else {
            return Err("CS06 sent to a meter is an activation".into());
        };
        Ok(match at {
            Some(t) if *t == cancel_time() => {
                self.activation = None;
                FirmwarePayload::Accepted
            }
            Some(t) if *t > now => {
                self.activation = Some(HeldActivation {
                    at: *t,
                    from,
                    counter,
                    hash: hash.clone(),
                });
                FirmwarePayload::Accepted
            }
            _ => FirmwarePayload::Outcome(self.activate(hash, running, now)),
        })
    }

    /// What is due by `now`, the earliest first; the meter runs `running`.
    pub fn take_due(&mut self, now: DateTime<Utc>, running: [u8; 4]) -> Option<FirmwareDue> {
        let arrival = self
            .image
            .as_ref()
            .filter(|i| !i.told && i.arrives <= now)
            .map(|i| i.arrives);
        let activation = self
            .activation
            .as_ref()
            .filter(|a| a.at <= now)
            .map(|a| a.at);
        match (arrival, activation) {
            (Some(a), b) if b.is_none_or(|b| a <= b) => {
                let image = self.image.as_mut()?;
                image.told = true;
                let image = image.clone();
                if !image.verified {
                    self.image = None;
                }
                Some(FirmwareDue::Arrived {
                    to: image.from,
                    at: image.arrives,
                    hash: image.hash,
                    verified: image.verified,
                })
            }
            (_, Some(_)) => {
                let held = self.activation.take()?;
                let outcome = self.activate(&held.hash, running, held.at);
                let code = if outcome.status == ACTIVATED {
                    FUTURE_DATED_SUCCESS
                } else {
                    crate::protocol::gbcs::asn1::FUTURE_DATED_FAILURE
                };
                let running = outcome.version.as_slice().try_into().unwrap_or(running);
                Some(FirmwareDue::Activated {
                    to: held.from,
                    alert: FirmwarePayload::Alert {
                        code,
                        at: held.at,
                        counter: held.counter,
                        outcome,
                    },
                    running,
                })
            }
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.image.is_none() && self.activation.is_none()
    }
}
