//! A meter's firmware upgrade (GBCS §11): the upgrade image the DCC distributed to it (11.1),
//! on its way until it arrives; then, if its signature is the supplier's the meter trusts at
//! that moment, held until CS06 (11.3) activates it, at once or at the time the command names.
//!
//! State and rules only, no I/O: the meters call these with the time and the key, and sign the
//! alerts themselves. A meter keeps what it needs of an image, not the image: the hash of its
//! Manufacturer Image, the version it brings, who sent it, and the key its signature verified
//! with when it was sent (a meter's state is saved at every read).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::credentials::Credentials;
use crate::model::Eui64;
use crate::protocol::gbcs::KeyStore;
use crate::protocol::gbcs::credentials::Role;
use crate::protocol::gbcs::credentials::cancel_time;
use crate::protocol::gbcs::firmware::{Activation, FirmwarePayload, Outcome, UpgradeImage};
use crate::protocol::gbcs::gbz::FUTURE_DATED_SUCCESS;

/// An image the meter holds, verified: what CS06 can activate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldImage {
    /// The SHA-256 of its Manufacturer Image.
    #[serde(with = "crate::protocol::gbcs::credentials::hex_bytes")]
    pub hash: Vec<u8>,
    /// The firmware version it brings.
    pub version: [u8; 4],
}

/// An image on its way to the meter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incoming {
    pub image: HeldImage,
    /// The user whose 11.1 distributed it: the meter's alert about it goes to them.
    pub from: Eui64,
    /// When the last of it reaches the meter over the home area network.
    pub arrives: DateTime<Utc>,
    /// The supplier's key its signature verified with when it was sent; none: it did not. On
    /// arrival the meter keeps it only if that is still the key it trusts for its supplier.
    #[serde(
        default,
        with = "super::credentials::opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub verified_with: Option<Vec<u8>>,
}

/// A future-dated activation the meter holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldActivation {
    /// When to activate.
    pub at: DateTime<Utc>,
    /// Who sent it, and under which counter: its alert names them.
    pub from: Eui64,
    pub counter: u64,
    /// The hash of the image to activate.
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
    /// and the version then running.
    Activated {
        to: Eui64,
        alert: FirmwarePayload,
        running: [u8; 4],
    },
}

/// A meter's firmware upgrade: the image it holds, one on its way, an activation it waits for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upgrade {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<HeldImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming: Option<Incoming>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<HeldActivation>,
}

/// An image offered to meters: its hash worked out once, its signature checked once per key
/// (an 11.1 may list thousands of meters, and an image be megabytes long).
pub struct Offer<'a> {
    image: &'a UpgradeImage<'a>,
    hash: [u8; 32],
    verdicts: std::cell::RefCell<Vec<(Vec<u8>, bool)>>,
}

impl<'a> Offer<'a> {
    pub fn new(image: &'a UpgradeImage<'a>) -> Offer<'a> {
        Offer {
            image,
            hash: image.hash(),
            verdicts: Default::default(),
        }
    }

    /// Whether its signature is `key`'s.
    fn signed_by(&self, key: &[u8]) -> bool {
        if let Some(&(_, verdict)) = self.verdicts.borrow().iter().find(|(k, _)| k == key) {
            return verdict;
        }
        let verdict = self.image.signed_by(key);
        self.verdicts.borrow_mut().push((key.to_vec(), verdict));
        verdict
    }
}

/// `upgrade` with the image `offer` taken in ([`Upgrade::receive`]), its signature checked
/// with the key `credentials` trust for the supplier.
pub fn with_image(
    upgrade: &Upgrade,
    credentials: &Credentials,
    keys: &KeyStore,
    (offer, from, arrives): (&Offer, Eui64, DateTime<Utc>),
) -> Upgrade {
    let key = credentials.signing_key(Role::Supplier, keys, from);
    let mut upgrade = upgrade.clone();
    upgrade.receive(offer, from, arrives, key.as_deref());
    upgrade
}

/// What is due by `now` of `upgrade` ([`Upgrade::take_due`]), the meter running `running` and
/// trusting the supplier key `credentials` give: the upgrade after, and what to tell.
pub fn due(
    upgrade: &Upgrade,
    credentials: &Credentials,
    keys: &KeyStore,
    now: DateTime<Utc>,
    running: [u8; 4],
) -> Option<(Upgrade, FirmwareDue)> {
    if upgrade.next_due().is_none_or(|t| t > now) {
        return None;
    }
    let mut after = upgrade.clone();
    let supplier_key = |from| credentials.signing_key(Role::Supplier, keys, from);
    let due = after.take_due(now, running, supplier_key)?;
    Some((after, due))
}

impl Upgrade {
    /// No upgrade under way: what a meter without one answers with.
    pub const NONE: Upgrade = Upgrade {
        held: None,
        incoming: None,
        activation: None,
    };

    /// Takes in `image`, distributed by `from`'s 11.1, arriving at `arrives`; `supplier_key`
    /// is the signing key the meter trusts for its supplier now. It replaces one still on its
    /// way; the image held stays until this one arrives verified.
    pub fn receive(
        &mut self,
        offer: &Offer,
        from: Eui64,
        arrives: DateTime<Utc>,
        supplier_key: Option<&[u8]>,
    ) {
        self.incoming = Some(Incoming {
            image: HeldImage {
                hash: offer.hash.to_vec(),
                version: offer.image.version,
            },
            from,
            arrives,
            verified_with: supplier_key
                .filter(|k| offer.signed_by(k))
                .map(<[u8]>::to_vec),
        });
    }

    /// When the meter next has something to do about its firmware.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        let arrival = self.incoming.as_ref().map(|i| i.arrives);
        let activation = self.activation.as_ref().map(|a| a.at);
        arrival.into_iter().chain(activation).min()
    }

    /// Activates the image held if `hash` is its hash: the outcome, with the version then
    /// running (`running` before, the image's after).
    fn activate(&mut self, hash: &[u8], running: [u8; 4]) -> Outcome {
        let (status, version) = match &self.held {
            None => (Activation::NoImageHeld, running),
            Some(image) if image.hash != hash => (Activation::HashMismatch, running),
            Some(image) => (Activation::Activated, image.version),
        };
        if status == Activation::Activated {
            self.held = None;
        }
        Outcome {
            status,
            version: version.to_vec(),
        }
    }

    /// Answers a CS06 for the image `hash` from `from` under `counter`, `at` its execution
    /// time if it has one, the meter running `running` at `now`: carried out at once (the
    /// outcome), held for its time, or a held one cancelled (both answered NULL).
    pub fn answer(
        &mut self,
        hash: &[u8],
        at: Option<DateTime<Utc>>,
        (from, counter): (Eui64, u64),
        running: [u8; 4],
        now: DateTime<Utc>,
    ) -> FirmwarePayload {
        match at {
            Some(t) if t == cancel_time() => {
                self.activation = None;
                FirmwarePayload::Accepted
            }
            Some(t) if t > now => {
                self.activation = Some(HeldActivation {
                    at: t,
                    from,
                    counter,
                    hash: hash.to_vec(),
                });
                FirmwarePayload::Accepted
            }
            _ => FirmwarePayload::Outcome(self.activate(hash, running)),
        }
    }

    /// The earliest thing due by `now`, if any: an image arriving (kept if its signature
    /// verified with the key `supplier_key` gives for its sender's meter now) or a held
    /// activation; the meter runs `running`.
    pub fn take_due(
        &mut self,
        now: DateTime<Utc>,
        running: [u8; 4],
        supplier_key: impl FnOnce(Eui64) -> Option<Vec<u8>>,
    ) -> Option<FirmwareDue> {
        let arrival = self
            .incoming
            .as_ref()
            .map(|i| i.arrives)
            .filter(|&t| t <= now);
        let activation = self.activation.as_ref().map(|a| a.at).filter(|&t| t <= now);
        match (arrival, activation) {
            (Some(a), b) if b.is_none_or(|b| a <= b) => {
                let incoming = self.incoming.take()?;
                let verified = incoming.verified_with.is_some()
                    && incoming.verified_with == supplier_key(incoming.from);
                let hash = incoming.image.hash.clone();
                if verified {
                    self.held = Some(incoming.image);
                }
                Some(FirmwareDue::Arrived {
                    to: incoming.from,
                    at: incoming.arrives,
                    hash,
                    verified,
                })
            }
            (_, Some(_)) => {
                let held = self.activation.take()?;
                let outcome = self.activate(&held.hash, running);
                let code = if outcome.status == Activation::Activated {
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

    /// Whether nothing is under way (nothing to save).
    pub fn is_empty(&self) -> bool {
        *self == Upgrade::NONE
    }
}
