//! The head-end's request pipeline, sans-IO: a DUIS request (already received over mutual TLS,
//! its sender known from the client certificate) goes in with `now`; the synchronous reply comes
//! out at once, and the device's answer is queued for delivery to the user's Receive Response
//! Service when the WAN would bring it back (`poll_deliveries`). No socket, clock or global RNG
//! here: the gateway drives it.
//!
//! Order of checks, as the DCC applies them: the request parses; its XML signature verifies
//! with the sender's signing certificate; the sender is the RequestID's originator; the counter
//! is above the last one accepted from that user (replays refused); the URL fits the request;
//! then access control (`access`). Only then does a command reach a device.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::access::{Refusal, ResponseCode, User, authorise};
use super::matrix::ServiceMatrix;
use super::registry::{DeviceType, Registry};
use super::request::Request;
use super::response::{ResponseBody, response};
use crate::device::{Esme, GasMeter};
use crate::model::{CspRegion, Eui64};
use crate::protocol::gbcs::gbz::gas_command;
use crate::protocol::gbcs::payload::{encode_command, message_for};
use crate::protocol::gbcs::{Cra, GbcsMessage, KeyStore, mac_message};
use crate::wan::Latency;

/// Which User Gateway service a request came to (DCC Boxed paths `/api/v1/service{S,T,D}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Send Command: device requests.
    SendCommand,
    /// Transform: a critical request in, the pre-command to sign out.
    Transform,
    /// Non-Device: requests the DCC answers itself.
    NonDevice,
}

/// The synchronous answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncReply {
    /// A DUIS response (unsigned; the gateway signs it).
    Response { code: ResponseCode, xml: String },
    /// Not a DUIS request at all: the gateway answers HTTP 400 with this text.
    Invalid(String),
}

/// A response or alert due to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub user: Eui64,
    pub xml: String,
}

/// The WAN between the head-end and a region's devices, as the real-time head-end models it.
#[derive(Debug, Clone, PartialEq)]
pub struct WanLink {
    /// One-way latency of a message.
    pub latency: Latency,
    /// Probability a command or its response is lost.
    pub loss: f64,
    /// How long the head-end waits for a device's answer before answering E21.
    pub timeout: Duration,
}

/// Verifies a request's XML signature and names its signer. Injected, so the pipeline stays
/// free of key material and the gateway passes DCC's XML-DSig check (`duis::xmldsig`).
pub type SignatureCheck = Box<dyn Fn(&str) -> Result<Eui64, String> + Send + Sync>;

/// The head-end.
pub struct HeadEnd {
    matrix: ServiceMatrix,
    registry: Registry,
    users: HashMap<Eui64, User>,
    /// The last request counter accepted from each user.
    counters: HashMap<Eui64, u64>,
    /// The virtual electricity meters, by EUI-64.
    meters: HashMap<Eui64, Esme>,
    /// The virtual gas meters, answering at their GSME's and their GPF's EUI-64.
    gas_meters: Vec<GasMeter>,
    gas: HashMap<Eui64, usize>,
    /// Devices whose state changed since [`HeadEnd::take_device_states`] last ran.
    changed: std::collections::BTreeSet<Eui64>,
    keys: KeyStore,
    /// The Access Control Broker: MACs commands, as the DCC does for its users.
    acb: Eui64,
    wan: BTreeMap<CspRegion, WanLink>,
    check_signature: SignatureCheck,
    rng: ChaCha8Rng,
    /// Responses not yet due, by due time and arrival order.
    pending: BTreeMap<(DateTime<Utc>, u64), Delivery>,
    sequence: u64,
}

impl HeadEnd {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        matrix: ServiceMatrix,
        registry: Registry,
        users: Vec<User>,
        meters: Vec<Esme>,
        keys: KeyStore,
        acb: Eui64,
        wan: BTreeMap<CspRegion, WanLink>,
        check_signature: SignatureCheck,
        seed: u64,
    ) -> HeadEnd {
        HeadEnd {
            matrix,
            registry,
            users: users.into_iter().map(|u| (u.eui, u)).collect(),
            counters: HashMap::new(),
            meters: meters.into_iter().map(|m| (m.eui, m)).collect(),
            gas_meters: Vec::new(),
            gas: HashMap::new(),
            changed: std::collections::BTreeSet::new(),
            keys,
            acb,
            wan,
            check_signature,
            rng: ChaCha8Rng::seed_from_u64(seed),
            pending: BTreeMap::new(),
            sequence: 0,
        }
    }

    /// Adds virtual gas meters (each answers at its GSME and its gas proxy function).
    pub fn add_gas_meters(&mut self, meters: Vec<GasMeter>) {
        for m in meters {
            let i = self.gas_meters.len();
            self.gas.insert(m.gsme, i);
            self.gas.insert(m.gpf, i);
            self.gas_meters.push(m);
        }
    }

    /// The state (JSON) of every device that handled a command since the last call, to persist.
    pub fn take_device_states(&mut self) -> Vec<(Eui64, String)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .filter_map(|eui| {
                let json = if let Some(m) = self.meters.get(&eui) {
                    serde_json::to_string(m)
                } else {
                    let gas = &self.gas_meters[*self.gas.get(&eui)?];
                    return serde_json::to_string(gas).ok().map(|j| (gas.gsme, j));
                };
                json.ok().map(|j| (eui, j))
            })
            .collect()
    }

    /// Puts back a device's saved state (from [`HeadEnd::take_device_states`]).
    pub fn restore_device_state(&mut self, eui: Eui64, json: &str) -> Result<(), String> {
        if let Some(m) = self.meters.get_mut(&eui) {
            let saved: Esme = serde_json::from_str(json).map_err(|e| format!("{eui}: {e}"))?;
            if saved.eui != eui {
                return Err(format!("{eui}: the saved state is {}'s", saved.eui));
            }
            *m = saved;
            return Ok(());
        }
        let &i = self
            .gas
            .get(&eui)
            .ok_or_else(|| format!("{eui} is not a virtual device of this head-end"))?;
        let saved: GasMeter = serde_json::from_str(json).map_err(|e| format!("{eui}: {e}"))?;
        if saved.gsme != self.gas_meters[i].gsme || saved.gpf != self.gas_meters[i].gpf {
            return Err(format!("{eui}: the saved state is another gas meter's"));
        }
        self.gas_meters[i] = saved;
        Ok(())
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Replaces the registry (after a delta file applied cleanly).
    pub fn set_registry(&mut self, registry: Registry) {
        self.registry = registry;
    }

    pub fn meter(&self, eui: Eui64) -> Option<&Esme> {
        self.meters.get(&eui)
    }

    pub fn meter_mut(&mut self, eui: Eui64) -> Option<&mut Esme> {
        self.meters.get_mut(&eui)
    }

    /// The last counter accepted from each user (to persist across restarts).
    pub fn counters(&self) -> &HashMap<Eui64, u64> {
        &self.counters
    }

    pub fn restore_counter(&mut self, user: Eui64, counter: u64) {
        let c = self.counters.entry(user).or_insert(0);
        *c = (*c).max(counter);
    }

    /// Handles a request that `sender` (the client certificate's user) sent to `endpoint`.
    pub fn handle_request(
        &mut self,
        sender: Eui64,
        endpoint: Endpoint,
        xml: &str,
        now: DateTime<Utc>,
    ) -> SyncReply {
        let request = match Request::parse(xml) {
            Ok(r) => r,
            Err(e) => return SyncReply::Invalid(format!("not a DUIS request: {e}")),
        };
        match self.accept(sender, endpoint, xml, &request, now) {
            Ok(reply) => reply,
            Err(refusal) => SyncReply::Response {
                code: refusal.code,
                xml: response(
                    request.id,
                    request.service,
                    refusal.code,
                    now,
                    &ResponseBody::Status,
                ),
            },
        }
    }

    fn accept(
        &mut self,
        sender: Eui64,
        endpoint: Endpoint,
        xml: &str,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<SyncReply, Refusal> {
        use ResponseCode::*;
        let refuse = |code, reason: String| Refusal { code, reason };
        let id = request.id;
        let signer =
            (self.check_signature)(xml).map_err(|e| refuse(E1, format!("XML signature: {e}")))?;
        if signer != id.originator || sender != id.originator {
            return Err(refuse(
                E1,
                format!(
                    "request {id} is signed by {signer} and sent by {sender}: all three must be the originator"
                ),
            ));
        }
        let user = self
            .users
            .get(&sender)
            .cloned()
            .ok_or_else(|| refuse(E1, format!("{sender} is not a DCC user here")))?;
        // DUIS §2.4.1: the counter strictly increases per user, so a replay is refused.
        let last = self.counters.get(&sender).copied().unwrap_or(0);
        if id.counter <= last {
            return Err(refuse(
                E1,
                format!(
                    "counter {} is not above {last}, the last accepted: a replay",
                    id.counter
                ),
            ));
        }
        let authorised = authorise(
            &self.matrix,
            &self.registry,
            &user,
            id.target,
            request.service,
            request.command_variant,
            now.date_naive(),
        )?;
        let fits = match endpoint {
            Endpoint::NonDevice => authorised.service.non_device,
            Endpoint::Transform => request.command_variant == 4,
            Endpoint::SendCommand => !authorised.service.non_device && request.command_variant != 4,
        };
        if !fits {
            return Err(refuse(
                E13,
                format!(
                    "{} with command variant {} does not go to {endpoint:?}",
                    request.service, request.command_variant
                ),
            ));
        }
        self.counters.insert(sender, id.counter);
        let region = authorised.device.map(|d| d.csp_region);
        let Some(region) = region else {
            // Non-device services are not carried out yet: acknowledged.
            return Ok(self.reply(request, I99, now, ResponseBody::Status));
        };
        let gas = authorised
            .device
            .is_some_and(|d| matches!(d.device_type, DeviceType::Gsme | DeviceType::Gpf));
        let not_carried = || {
            refuse(
                E11,
                format!(
                    "{} is not carried to devices by this head-end yet",
                    request.service
                ),
            )
        };
        let (code, content) = if gas {
            let (code, reading) = request
                .gas_command()
                .map_err(|e| refuse(E11, e.reason))?
                .ok_or_else(not_carried)?;
            (code, gas_command(&reading, (id.counter & 0xFF) as u8))
        } else {
            let (code, reading) = request
                .esme_command()
                .map_err(|e| refuse(E11, e.reason))?
                .ok_or_else(not_carried)?;
            let content = encode_command(code, &reading, id.counter, id.originator, id.target)
                .ok_or_else(|| refuse(E11, "the request's values do not fit its command".into()))?;
            (code, content)
        };
        let mut command = message_for(
            Cra::Command,
            id.counter,
            id.originator,
            id.target,
            code,
            content,
        );
        if request.command_variant == 4 {
            // The pre-command: the command without its signature field, for the user to sign.
            command.signing.signature = None;
            let bytes = command.to_bytes().map_err(|e| refuse(E11, e.to_string()))?;
            return Ok(self.reply(request, I0, now, ResponseBody::PreCommand(bytes)));
        }
        if request.command_variant == 5 {
            let signed = request
                .body
                .find("GBCSPayload")
                .map(|e| e.text.trim().to_string())
                .ok_or_else(|| {
                    refuse(E12, "command variant 5 needs the signed pre-command".into())
                })?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(signed)
                .map_err(|e| refuse(E12, format!("GBCSPayload is not base64: {e}")))?;
            command = GbcsMessage::decode(&bytes)
                .map_err(|e| refuse(E12, format!("signed pre-command: {e}")))?;
        }
        if !mac_message(&self.keys, &mut command, self.acb) {
            return Err(refuse(
                E20,
                format!("no key to MAC commands for {}", id.target),
            ));
        }
        let bytes = command.to_bytes().map_err(|e| refuse(E11, e.to_string()))?;
        self.send(request, region, &bytes, now);
        Ok(self.reply(request, I99, now, ResponseBody::Status))
    }

    fn reply(
        &self,
        request: &Request,
        code: ResponseCode,
        now: DateTime<Utc>,
        body: ResponseBody,
    ) -> SyncReply {
        SyncReply::Response {
            code,
            xml: response(request.id, request.service, code, now, &body),
        }
    }

    /// Carries a command over the WAN to its meter and queues what comes back.
    fn send(&mut self, request: &Request, region: CspRegion, bytes: &[u8], now: DateTime<Utc>) {
        let id = request.id;
        let link = self.wan.get(&region).cloned().unwrap_or(WanLink {
            latency: Latency::Fixed(500_000),
            loss: 0.0,
            timeout: Duration::seconds(60),
        });
        let micros = |m: u64| Duration::microseconds(i64::try_from(m).unwrap_or(i64::MAX));
        let down = micros(link.latency.sample(&mut self.rng));
        let up = micros(link.latency.sample(&mut self.rng));
        let lost = self.rng.random_bool(link.loss.clamp(0.0, 1.0))
            || self.rng.random_bool(link.loss.clamp(0.0, 1.0));
        let at_device = now + down;
        if !lost {
            self.changed.insert(id.target);
        }
        let answer = if lost {
            None
        } else if let Some(meter) = self.meters.get_mut(&id.target) {
            meter.handle(bytes, at_device, &self.keys, self.acb).ok()
        } else if let Some(&i) = self.gas.get(&id.target) {
            self.gas_meters[i]
                .handle(bytes, at_device, &self.keys, self.acb)
                .ok()
        } else {
            None
        };
        let (due, xml) = match answer {
            Some(gbcs) if down + up <= link.timeout => (
                at_device + up,
                response(
                    id,
                    request.service,
                    ResponseCode::I0,
                    at_device + up,
                    &ResponseBody::Gbcs(gbcs),
                ),
            ),
            Some(_) | None => (
                now + link.timeout,
                response(
                    id,
                    request.service,
                    ResponseCode::E21,
                    now + link.timeout,
                    &ResponseBody::Status,
                ),
            ),
        };
        self.sequence += 1;
        self.pending.insert(
            (due, self.sequence),
            Delivery {
                user: id.originator,
                xml,
            },
        );
    }

    /// Responses and alerts due by `now`, in due order.
    pub fn poll_deliveries(&mut self, now: DateTime<Utc>) -> Vec<Delivery> {
        let later = self.pending.split_off(&(now, u64::MAX));
        std::mem::replace(&mut self.pending, later)
            .into_values()
            .collect()
    }

    /// When the next delivery falls due.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        self.pending.keys().next().map(|(t, _)| *t)
    }

    /// Queues a device alert for `user` at `due` (the gateway signs and delivers it).
    pub fn queue_alert(&mut self, user: Eui64, due: DateTime<Utc>, xml: String) {
        self.sequence += 1;
        self.pending
            .insert((due, self.sequence), Delivery { user, xml });
    }
}
