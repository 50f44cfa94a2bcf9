//! The trust anchors the DCC installs meters with (GBCS CS02): each meter trusts its supplier,
//! an electricity meter its network operator, and every meter the DCC's own parties — the
//! Access Control Broker, the recovery party and the transitional change-of-supplier party.

use super::HeadEnd;
use crate::device::credentials::Credentials;
use crate::model::Eui64;
use crate::protocol::gbcs::credentials::Role;

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
    /// from the registry and the key store.
    pub(super) fn install_missing_credentials(&mut self) {
        let missing: Vec<Eui64> = self
            .meters
            .values()
            .filter(|m| m.credentials().is_empty())
            .map(|m| m.eui)
            .collect();
        for eui in missing {
            let parties = self.installed_parties(eui, None);
            let credentials = Credentials::installed(&parties, &self.keys);
            if let Some(m) = self.meters.get_mut(&eui) {
                m.set_credentials(credentials);
            }
        }
        for i in 0..self.gas_meters.len() {
            let (gsme, gpf) = (self.gas_meters[i].gsme, self.gas_meters[i].gpf);
            for (device, of) in [(gsme, None), (gpf, Some(gsme))] {
                if self.gas_meters[i].credentials(device).is_empty() {
                    let parties = self.installed_parties(device, of);
                    let credentials = Credentials::installed(&parties, &self.keys);
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
