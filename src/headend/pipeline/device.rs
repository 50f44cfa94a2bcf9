//! What the head-end sends a device and how: the GBCS command a request becomes, MACed by
//! the Access Control Broker, carried over the WAN, and the answer it brings back; the
//! virtual devices' state journalled for a restart.

use chrono::{DateTime, Duration, Utc};
use rand::RngExt;

use super::{Answer, Change, HeadEnd, Speaks, WanLink, refuse};
use crate::device::{CommsHub, Esme, GasMeter, HanDevice};
use crate::headend::access::{Refusal, ResponseCode};
use crate::headend::registry::{DeviceType, InventoryChange, SmiStatus};
use crate::headend::request::{HubCommand, Request};
use crate::headend::wan::Carried;
use crate::model::{CspRegion, Eui64, Role};
use crate::protocol::gbcs::asn1::Der;
use crate::protocol::gbcs::gbz::gas_command;
use crate::protocol::gbcs::join::{HanPayload, JoinMethod};
use crate::protocol::gbcs::payload::behaviours::{self, Party};
use crate::protocol::gbcs::payload::{
    CCS03, ECS25R1, ECS25R2, ECS35F, ECS35G, Reading, encode_command, message_for,
};
use crate::protocol::gbcs::{Cra, GbcsMessage, KeyUse, mac_message};
use crate::wan::Latency;

impl HeadEnd {
    /// The GBCS command a device request becomes (not yet MACed), from a user acting in
    /// `role`. Commands to a comms hub are the DCC's own: the Access Control Broker originates
    /// them, with its own counter.
    pub(super) fn command(
        &mut self,
        request: &Request,
        kind: Speaks,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<GbcsMessage, Refusal> {
        use ResponseCode::E11;
        let id = request.id;
        // A command in the user's name, for the user to sign (a critical one).
        let in_users_name = |code, content| {
            message_for(
                Cra::Command,
                id.counter,
                id.originator,
                id.target,
                code,
                content,
            )
        };
        // Said for the kind of device: a service carried to one kind may not be to another.
        let not_carried = || {
            let to = match kind {
                Speaks::Dlms => "an electricity meter",
                Speaks::Gbz => "a gas meter",
                Speaks::Hub => "a comms hub",
                Speaks::Han => "a PPMID or HCALCS",
            };
            refuse(
                E11,
                format!(
                    "{} ({}) is not carried to {to} by this head-end yet",
                    request.service, request.body.name
                ),
            )
        };
        if request.service.is_security_credentials() {
            return self
                .credentials_command(request, kind, now)?
                .ok_or_else(not_carried);
        }
        // 11.3: CS06 in the user's name, for the user to sign.
        if request.service.to_string() == "11.3" {
            let meter = self
                .registry
                .device(id.target)
                .is_some_and(|d| matches!(d.device_type, DeviceType::Esme | DeviceType::Gsme));
            if !meter {
                return Err(not_carried());
            }
            let payload = request
                .activate_firmware()
                .map_err(|e| refuse(E11, e.reason))?;
            let code = crate::protocol::gbcs::firmware::CS06;
            return Ok(in_users_name(code, payload.encode()));
        }
        if kind == Speaks::Han {
            let (code, content) = if request.service.to_string() == "11.2" {
                let read = crate::protocol::gbcs::asn1::AsnPayload::ReadFirmware;
                (crate::device::CS08, read.encode())
            } else {
                self.join_command(request)?.ok_or_else(not_carried)?
            };
            // A critical join (8.7.1, a load switch to its meter) goes in the user's name, for
            // the user to sign; the others from the broker on the user's behalf, as a hub's.
            if request.service.to_string() == "8.7.1" {
                return Ok(in_users_name(code, content));
            }
            let (counter, acb) = (self.next_acb_counter(now), self.acb);
            let mut command = message_for(Cra::Command, counter, acb, id.target, code, content);
            command.signing.other_information =
                crate::protocol::gbcs::OnBehalf::new(id.originator, id.counter).information(code);
            return Ok(command);
        }
        if kind == Speaks::Hub {
            let (code, content) = if request.service.to_string() == "8.12.1" {
                (CCS03, HubCommand::Dlms(self.restored_network(request)?))
            } else {
                request
                    .hub_command()
                    .map_err(|e| refuse(E11, e.reason))?
                    .ok_or_else(not_carried)?
            };
            let (counter, acb) = (self.next_acb_counter(now), self.acb);
            let content = match content {
                HubCommand::Dlms(reading) => {
                    encode_command(code, &reading, counter, acb, id.target)
                        .ok_or_else(|| refuse(E11, "the request does not fit its command".into()))?
                }
                HubCommand::Asn1(bytes) => bytes,
            };
            let mut command = message_for(Cra::Command, counter, acb, id.target, code, content);
            // The header names the user the broker sends it for, and the user's counter, as
            // the RTDS hub commands do (the hub's answer names them back).
            command.signing.other_information =
                crate::protocol::gbcs::OnBehalf::new(id.originator, id.counter).information(code);
            return Ok(command);
        }
        // A user the device does not know sends its key-agreement certificate: the DCC relays
        // the request, the Access Control Broker sending it under a counter of its own and
        // naming the user, and the device seals its answer for the certificate's key.
        let relay = request.relay().map_err(|e| refuse(E11, e.reason))?;
        let (originator, counter) = match relay {
            Some(_) => (self.acb, self.next_acb_counter(now)),
            None => (id.originator, id.counter),
        };
        let asn1 = match kind {
            Speaks::Gbz => request
                .gas_asn1_command()
                .map_err(|e| refuse(E11, e.reason))?,
            _ => None,
        };
        let asn1 = match asn1 {
            Some((code, payload)) => Some((code, payload.encode())),
            None => self.join_command(request)?,
        };
        let (code, content) = if let Some(asn1) = asn1 {
            asn1
        } else if kind == Speaks::Gbz {
            let to_proxy = self
                .registry
                .device(id.target)
                .is_some_and(|d| d.device_type == DeviceType::Gpf);
            let (code, reading) = request
                .gas_command(to_proxy)
                .map_err(|e| refuse(E11, e.reason))?
                .ok_or_else(not_carried)?;
            let from = request.gas_from().map_err(|e| refuse(E11, e.reason))?;
            (code, gas_command(&reading, from, (id.counter & 0xFF) as u8))
        } else {
            let (mut code, reading) = request
                .esme_command()
                .map_err(|e| refuse(E11, e.reason))?
                .ok_or_else(not_carried)?;
            // GBCS gives the network operator use cases of its own for the ALCS event log and
            // for reading its event and alert behaviours.
            if role == Role::ElectricityDistributor {
                match code {
                    ECS35F => code = ECS35G,
                    ECS25R1 => code = ECS25R2,
                    _ => {}
                }
            }
            // Each party configures the behaviour of its own alerts only.
            if let Some((party, _)) = behaviours::configured_by(code) {
                let own = match party {
                    Party::Supplier => role == Role::ImportSupplier,
                    Party::NetworkOperator => role == Role::ElectricityDistributor,
                };
                if !own {
                    return Err(refuse(
                        ResponseCode::E2,
                        format!(
                            "only the {} configures how {:02X}xx alerts behave; this user acts \
                             as {role:?}",
                            party.name(),
                            party.code_page()
                        ),
                    ));
                }
            }
            let content = encode_command(code, &reading, counter, id.originator, id.target)
                .ok_or_else(|| refuse(E11, "the request's values do not fit its command".into()))?;
            (code, content)
        };
        let mut command = message_for(Cra::Command, counter, originator, id.target, code, content);
        if let Some(relay) = relay {
            command.signing.other_information = relay.command_information(code);
        }
        Ok(command)
    }

    /// 8.12.1's command to a replacement comms hub: the network of the hub it replaces (its
    /// `OldCHFID`), as that hub holds it — its extended PAN ID, its devices and their keys.
    /// The old hub must be a comms hub of the inventory (`E19` otherwise), not the hub itself.
    fn restored_network(&self, request: &Request) -> Result<Reading, Refusal> {
        let old = request
            .old_hub()
            .map_err(|e| refuse(ResponseCode::E11, e.reason))?;
        if old == request.id.target {
            return Err(refuse(
                ResponseCode::E11,
                format!("sr:OldCHFID {old} is the hub the request is for"),
            ));
        }
        let in_inventory = self
            .registry
            .device(old)
            .is_some_and(|d| d.device_type == DeviceType::Chf);
        let hub = self
            .hubs
            .get(&old)
            .filter(|_| in_inventory)
            .ok_or_else(|| {
                refuse(
                    ResponseCode::E19,
                    format!("sr:OldCHFID {old}: no comms hub of that id in the inventory"),
                )
            })?;
        Ok(Reading::RestorePan(Box::new(hub.backup(None))))
    }

    /// An 8.7 join, 8.8 unjoin or 8.9 device log read to a meter, gas proxy, PPMID or HCALCS as
    /// its GBCS use case and ASN.1 command, the devices' types from the inventory; `None` for
    /// other services.
    fn join_command(&self, request: &Request) -> Result<Option<(u16, Vec<u8>)>, Refusal> {
        if !request.service.is_device_log() {
            return Ok(None);
        }
        let target = self
            .registry
            .device(request.id.target)
            .map(|d| d.device_type);
        let Some(
            target @ (DeviceType::Esme
            | DeviceType::Gsme
            | DeviceType::Gpf
            | DeviceType::Ppmid
            | DeviceType::Hcalcs),
        ) = target
        else {
            return Ok(None);
        };
        let other = request
            .other_device()
            .map_err(|e| refuse(ResponseCode::E11, e.reason))?;
        let other = other
            .and_then(|o| self.registry.device(o))
            .map(|d| d.device_type);
        let command = request
            .join_command(target, other)
            .map_err(|e| refuse(ResponseCode::E11, e.reason))?;
        let Some((code, mut payload)) = command else {
            return Ok(None);
        };
        // Method C gives the device the other's key-agreement certificate, from the SMKI
        // repository (the key store's certificates).
        if let HanPayload::Join {
            method: JoinMethod::C,
            other,
            certificate,
            ..
        } = &mut payload
        {
            let der = self.keys.certificate(*other, KeyUse::KeyAgreement);
            let der = der.and_then(|d| Der::decode(d).ok()).ok_or_else(|| {
                refuse(
                    ResponseCode::E11,
                    format!(
                        "a method C join gives each device the other's key-agreement \
                         certificate, and this head-end's SMKI repository holds none for {other}"
                    ),
                )
            })?;
            *certificate = Some(der);
        }
        Ok(Some((code, payload.encode())))
    }

    /// The Access Control Broker's next counter: time-based, so it keeps rising across restarts.
    pub(super) fn next_acb_counter(&mut self, now: DateTime<Utc>) -> u64 {
        let micros = u64::try_from(now.timestamp_micros()).unwrap_or(0);
        self.acb_counter = (self.acb_counter + 1).max(micros);
        self.acb_counter
    }

    /// MACs a command as the Access Control Broker and carries it to its device.
    pub(super) fn carry(
        &mut self,
        mut command: GbcsMessage,
        region: CspRegion,
        answer: Answer,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        let target = command.signing.recipient;
        if !mac_message(&self.keys, &mut command, self.acb) {
            return Err(refuse(
                ResponseCode::E20,
                format!("no key to MAC commands for {target}"),
            ));
        }
        let bytes = command
            .to_bytes()
            .map_err(|e| refuse(ResponseCode::E11, e.to_string()))?;
        // A change the meter held for a time now past is carried out before it sees this.
        if let Some((at, _)) = self.next_due(target).filter(|(at, _)| *at <= now) {
            self.device_due(target, at);
        }
        self.send(target, region, &bytes, answer, now);
        self.book_device(target);
        Ok(())
    }

    /// Carries command bytes over the WAN to their device and queues what comes back.
    fn send(
        &mut self,
        target: Eui64,
        region: CspRegion,
        bytes: &[u8],
        answer: Answer,
        now: DateTime<Utc>,
    ) {
        let (keys, acb) = (&self.keys, self.acb);
        let (meters, gas, gas_meters) = (&mut self.meters, &self.gas, &mut self.gas_meters);
        let (hubs, changed) = (&mut self.hubs, &mut self.changed);
        let han_devices = &mut self.han_devices;
        let hub = self.registry.device(target).map_or(target, |d| d.comms_hub);
        let outages = &self.outages;
        let clock = &mut self.device_clock;
        let mut refused = None;
        // How much later than the WAN delivered it the device took the command (its clock
        // having run past that), which its answer is the later for.
        let mut waited = Duration::zero();
        let mut device = |at: DateTime<Utc>| {
            // A premises off supply: its comms hub is down, nothing answers.
            if outages.as_ref().is_some_and(|o| o.is_off(hub, at)) {
                return None;
            }
            // One clock for a gas meter, whether its GSME or its proxy is addressed.
            let state = gas.get(&target).map_or(target, |&i| gas_meters[i].gsme);
            let last = clock.entry(state).or_insert(at);
            *last = at.max(*last);
            waited = *last - at;
            let at = *last;
            changed.insert(target);
            let answer = if let Some(meter) = meters.get_mut(&target) {
                meter.handle(bytes, at, keys, acb)
            } else if let Some(hub) = hubs.get_mut(&target) {
                hub.handle(bytes, at, keys, acb)
            } else if let Some(han) = han_devices.get_mut(&target) {
                han.handle(bytes, at, keys, acb)
            } else {
                let &i = gas.get(&target)?;
                gas_meters[i].handle(bytes, at, keys, acb)
            };
            answer.map_err(|e| refused = Some(e)).ok()
        };
        let (mut due, code, gbcs) = if let Some(wan) = &mut self.cells {
            match wan.carry(region, hub, bytes.len(), now, &mut device) {
                Carried::Answered { at, answer } => (at, ResponseCode::I0, Some(answer)),
                Carried::NoAnswer { at, .. } => (at, ResponseCode::E21, None),
                Carried::NoCoverage => (now, ResponseCode::E20, None),
            }
        } else {
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
            let reply = if lost { None } else { device(at_device) };
            match reply {
                Some(gbcs) if down + up <= link.timeout => {
                    (at_device + up, ResponseCode::I0, Some(gbcs))
                }
                Some(_) | None => (now + link.timeout, ResponseCode::E21, None),
            }
        };
        if gbcs.is_some() {
            due += waited;
        }
        if let Some(why) = refused {
            self.dropped.push(format!(
                "device {target} dropped {}'s {} command: {why} (E21 at the WAN timeout)",
                answer.user(),
                answer.service()
            ));
        }
        if gbcs.is_some() && !answer.service().reads_only() {
            self.journal_device_state(target);
        }
        // 8.1.1: a device installed but not commissioned whose clock its answer says is
        // synchronised is commissioned.
        if answer.service().to_string() == "8.1.1"
            && gbcs.as_deref().is_some_and(clock_synchronised)
            && self
                .registry
                .device(target)
                .is_some_and(|d| d.status == SmiStatus::InstalledNotCommissioned)
        {
            self.record_inventory(InventoryChange::Status {
                device: target,
                status: SmiStatus::Commissioned,
            });
        }
        self.queue(answer.user(), due, answer.xml(code, due, gbcs));
    }

    /// A device's state (JSON) as saved, under the EUI-64 it is saved by (a gas meter's, its
    /// GSME's).
    pub(super) fn device_state(&self, eui: Eui64) -> Option<(Eui64, String)> {
        let json = if let Some(m) = self.meters.get(&eui) {
            serde_json::to_string(m)
        } else if let Some(h) = self.hubs.get(&eui) {
            serde_json::to_string(h)
        } else if let Some(h) = self.han_devices.get(&eui) {
            serde_json::to_string(h)
        } else {
            let gas = &self.gas_meters[*self.gas.get(&eui)?];
            return serde_json::to_string(gas).ok().map(|j| (gas.gsme, j));
        };
        json.ok().map(|j| (eui, j))
    }

    /// Journals `eui`'s state now, to be committed with what comes after it in the journal.
    pub(super) fn journal_device_state(&mut self, eui: Eui64) {
        if let Some((eui, state)) = self.device_state(eui) {
            self.journal.push(Change::DeviceState { eui, state });
        }
    }

    /// Puts back a device's saved state (from [`HeadEnd::take_device_states`]).
    pub fn restore_device_state(&mut self, eui: Eui64, json: &str) -> Result<(), String> {
        if let Some(m) = self.meters.get_mut(&eui) {
            let mut saved: Esme = serde_json::from_str(json).map_err(|e| format!("{eui}: {e}"))?;
            if saved.eui != eui {
                return Err(format!("{eui}: the saved state is {}'s", saved.eui));
            }
            // Saved before meters held their MPANs: they keep the ones they were made with.
            if saved.mpans == crate::device::MeterPoints::default() {
                saved.mpans = m.mpans;
            }
            saved.file_logs();
            // Saved before meters held trust anchors: they keep the ones installed.
            if saved.credentials().is_empty() && !m.credentials().is_empty() {
                saved.set_credentials(m.credentials().clone());
            }
            *m = saved;
            self.book_device(eui);
            return Ok(());
        }
        if let Some(h) = self.hubs.get_mut(&eui) {
            let saved: CommsHub = serde_json::from_str(json).map_err(|e| format!("{eui}: {e}"))?;
            if saved.eui != eui {
                return Err(format!("{eui}: the saved state is {}'s", saved.eui));
            }
            *h = saved;
            return Ok(());
        }
        if let Some(h) = self.han_devices.get_mut(&eui) {
            let saved: HanDevice = serde_json::from_str(json).map_err(|e| format!("{eui}: {e}"))?;
            if saved.eui != eui {
                return Err(format!("{eui}: the saved state is {}'s", saved.eui));
            }
            *h = saved;
            return Ok(());
        }
        let &i = self
            .gas
            .get(&eui)
            .ok_or_else(|| format!("{eui} is not a virtual device of this head-end"))?;
        let mut saved: GasMeter = serde_json::from_str(json).map_err(|e| format!("{eui}: {e}"))?;
        if saved.gsme != self.gas_meters[i].gsme || saved.gpf != self.gas_meters[i].gpf {
            return Err(format!("{eui}: the saved state is another gas meter's"));
        }
        // Saved before gas meters held their MPRN: it keeps the one it was made with.
        if saved.mprn.is_none() {
            saved.mprn = self.gas_meters[i].mprn.clone();
        }
        // Saved before gas meters held trust anchors: they keep the ones installed.
        let current = &self.gas_meters[i];
        for device in [current.gsme, current.gpf] {
            if saved.credentials(device).is_empty() && !current.credentials(device).is_empty() {
                saved.set_credentials(device, current.credentials(device).clone());
            }
        }
        self.gas_meters[i] = saved;
        self.book_device(eui);
        Ok(())
    }
}

/// Whether a device's answer to a clock synchronisation (6.11, 8.1.1) says its clock was
/// synchronised: status 0, an electricity meter's in DLMS, a gas meter's in ASN.1.
fn clock_synchronised(gbcs: &[u8]) -> bool {
    use crate::protocol::gbcs::asn1::AsnPayload;
    use crate::protocol::gbcs::payload::{Reading, decode_dlms};
    let Ok(m) = GbcsMessage::decode(gbcs) else {
        return false;
    };
    if let Ok(Reading::Clock { status, .. }) = decode_dlms(&m, None) {
        return status == 0;
    }
    matches!(
        AsnPayload::decode(&m.signing.content, false),
        Ok(Some(AsnPayload::Clock { status: 0, .. }))
    )
}
