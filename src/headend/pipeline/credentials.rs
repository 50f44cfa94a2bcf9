//! The trust anchors the DCC installs meters with (GBCS CS02): each meter trusts its supplier,
//! an electricity meter its network operator, and every meter the DCC's own parties — the
//! Access Control Broker, the recovery party and the transitional change-of-supplier party.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{HeadEnd, Speaks, refuse};
use crate::device::credentials::Credentials;
use crate::headend::access::{Refusal, ResponseCode};
use crate::headend::request::{Originator, Request};
use crate::model::Eui64;
use crate::protocol::gbcs::credentials::{Cell, CredentialsPayload, KeyUsage, Role};
use crate::protocol::gbcs::payload::message_for;
use crate::protocol::gbcs::{Cra, GbcsMessage, sign_message};

/// The DCC's recovery party (ZAZ1 test PKI): it may replace any trust anchor but the root.
pub const RECOVERY: Eui64 = Eui64([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x00, 0x00, 0x01]);
/// The DCC's transitional change-of-supplier party (ZAZ1): it signs the credentials update
/// that hands a meter to its new supplier (6.23).
pub const TRANSITIONAL_COS: Eui64 = Eui64([0x90, 0xB3, 0xD5, 0x1F, 0x30, 0x00, 0x00, 0x04]);

impl HeadEnd {
    /// The parties a meter is installed trusting: its supplier (the latest the registry has
    /// for it; a gas proxy function its gas meter's), an electricity meter's network operator,
    /// and the DCC's parties.
    fn installed_parties(&self, eui: Eui64, gsme: Option<Eui64>) -> Vec<(Role, Eui64)> {
        let record = self.registry.device(gsme.unwrap_or(eui));
        let supplier = record.and_then(|r| r.supply.last()).map(|p| p.supplier);
        let mut parties: Vec<(Role, Eui64)> =
            supplier.map(|s| (Role::Supplier, s)).into_iter().collect();
        if let Some(r) = record.filter(|r| !r.device_type.is_gas()) {
            parties.push((Role::NetworkOperator, r.network_operator));
        }
        parties.extend([
            (Role::AccessControlBroker, self.acb),
            (Role::Recovery, RECOVERY),
            (Role::TransitionalCos, TRANSITIONAL_COS),
        ]);
        parties
    }

    /// Installs trust anchors in every virtual meter (and gas proxy function) that has none,
    /// from the registry and the key store. Meters installed alike share their anchors until
    /// one's change.
    pub(super) fn install_missing_credentials(&mut self) {
        let mut made: HashMap<Vec<(Role, Eui64)>, Credentials> = HashMap::new();
        let keys = std::sync::Arc::clone(&self.keys);
        let mut installed = |parties: Vec<(Role, Eui64)>| {
            made.entry(parties)
                .or_insert_with_key(|p| Credentials::installed(p, &keys))
                .clone()
        };
        let missing: Vec<Eui64> = self
            .meters
            .values()
            .filter(|m| m.credentials().is_empty())
            .map(|m| m.eui)
            .collect();
        for eui in missing {
            let credentials = installed(self.installed_parties(eui, None));
            if let Some(m) = self.meters.get_mut(&eui) {
                m.set_credentials(credentials);
            }
        }
        for i in 0..self.gas_meters.len() {
            let (gsme, gpf) = (self.gas_meters[i].gsme, self.gas_meters[i].gpf);
            for (device, of) in [(gsme, None), (gpf, Some(gsme))] {
                if self.gas_meters[i].credentials(device).is_empty() {
                    let credentials = installed(self.installed_parties(device, of));
                    self.gas_meters[i].set_credentials(device, credentials);
                }
            }
        }
    }

    /// Installs a device's trust anchors for `parties` (the RTDS's DCC-controlled gas proxy,
    /// whose supplier's cells hold the broker's keys, say).
    pub fn install_credentials(&mut self, eui: Eui64, parties: &[(Role, Eui64)]) {
        let credentials = Credentials::installed(parties, &self.keys);
        if let Some(m) = self.meters.get_mut(&eui) {
            m.set_credentials(credentials);
        } else if let Some(&i) = self.gas.get(&eui) {
            self.gas_meters[i].set_credentials(eui, credentials);
        }
    }
}

impl HeadEnd {
    /// The security credentials a virtual meter or gas proxy function holds.
    pub fn device_credentials(&self, eui: Eui64) -> Option<&Credentials> {
        match self.meters.get(&eui) {
            Some(m) => Some(m.credentials()),
            None => self
                .gas
                .get(&eui)
                .map(|&i| self.gas_meters[i].credentials(eui)),
        }
    }

    /// The GBCS command a security credentials request (6.15, 6.17, 6.21, 6.23, 6.24) becomes:
    /// in the user's name for the user to sign (the critical ones), or the DCC's — the broker
    /// reading anchors or handing over a device it controls, the transitional change-of-supplier
    /// party putting the new supplier's certificates on the meter — signed here. `None`: not one.
    pub(super) fn credentials_command(
        &mut self,
        request: &Request,
        kind: Speaks,
        now: DateTime<Utc>,
    ) -> Result<Option<GbcsMessage>, Refusal> {
        use ResponseCode::E11;
        let Some(ask) = request
            .credentials_command()
            .map_err(|e| refuse(E11, e.reason))?
        else {
            return Ok(None);
        };
        let id = request.id;
        if !matches!(kind, Speaks::Dlms | Speaks::Gbz) {
            return Err(refuse(
                E11,
                format!(
                    "{}: this head-end keeps the security credentials of meters and gas proxy                      functions, not of {}",
                    request.service, id.target
                ),
            ));
        }
        if let Some(role) = ask.handover {
            let cell = Cell::new(role, KeyUsage::DigitalSignature);
            let holder = self
                .device_credentials(id.target)
                .and_then(|c| c.holder(cell));
            if holder != Some(self.acb) {
                let whose = holder.map_or("no one's".to_string(), |h| format!("{h}'s"));
                return Err(refuse(
                    E11,
                    format!(
                        "6.21 hands over a device the DCC controls; {}'s {role:?} anchors are                          {whose}",
                        id.target
                    ),
                ));
            }
        }
        // 6.23 names the import meter point: one the registry holds must be the meter's (the
        // RTDS's templates name points of their own, which the registry does not hold).
        if let Some(mpxn) = &ask.import_mpxn {
            let other = self
                .registry
                .at_meter_point(mpxn)
                .find(|d| d.device != id.target && !d.device_type.is_gas());
            if let Some(other) = other {
                return Err(refuse(
                    E11,
                    format!(
                        "sr:ImportMPxN {mpxn} is {}'s meter point, not {}'s",
                        other.device, id.target
                    ),
                ));
            }
        }
        // A network operator's certificates handed over are its own, as the registry has it.
        if ask.handover == Some(Role::NetworkOperator)
            && let CredentialsPayload::Update(u) = &ask.payload
        {
            let operator = self.registry.device(id.target).map(|d| d.network_operator);
            let named = u.replacements.iter().find_map(|(c, _)| {
                crate::protocol::gbcs::credentials::CertificateFacts::of(&c.encode())
                    .map(|f| f.subject)
                    .filter(|s| Some(*s) != operator)
            });
            if let Some(named) = named {
                return Err(refuse(
                    E11,
                    format!(
                        "the certificates name {named}, not {}'s network operator{}",
                        id.target,
                        operator.map_or(String::new(), |o| format!(" {o}"))
                    ),
                ));
            }
        }
        let (originator, counter) = match ask.originator {
            Originator::User => (id.originator, id.counter),
            Originator::Broker => (self.acb, self.next_acb_counter(now)),
            Originator::TransitionalCos => (TRANSITIONAL_COS, self.next_acb_counter(now)),
        };
        let mut payload = ask.payload;
        let update = matches!(payload, CredentialsPayload::Update(_));
        if let CredentialsPayload::Update(u) = &mut payload {
            // The authorising party's sequence number: the command's counter.
            u.seq = counter;
        }
        let mut command = message_for(
            Cra::Command,
            counter,
            originator,
            id.target,
            ask.code,
            payload.encode(),
        );
        // The DCC signs the updates it authorises.
        if ask.originator != Originator::User && update && !sign_message(&self.keys, &mut command) {
            return Err(refuse(
                ResponseCode::E20,
                format!("no key to sign {} as {originator}", request.service),
            ));
        }
        Ok(Some(command))
    }
}
