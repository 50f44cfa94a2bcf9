//! The service catalogue: every traffic class of the DCC WAN traffic model, with its message
//! sizes and maximum response time, mapped to the DUIS service request and GBCS use case that
//! carry it today.
//!
//! Two sizes are kept side by side. The seed's "size bytes inc. padding" and "max response secs"
//! come from the 2010 DCC Scope & Services traffic model (shared/seeds/003); the wire sizes come
//! from the RTDS 4.5.0 GBCS test vectors (shared/reference/gbcs-rtds) where a use case exists,
//! and fall back to the seed's figure where it does not. The simulator carries the wire sizes.

use serde::Serialize;

use super::ServiceRef;

/// The seed's grouping of services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceGroup {
    ElectricityMeter,
    GasMeter,
    GeneralAndOperational,
    SmartGridElectricity,
    SmartGridGas,
    Microgeneration,
}

impl ServiceGroup {
    pub fn title(self) -> &'static str {
        match self {
            ServiceGroup::ElectricityMeter => "Electricity meter specific",
            ServiceGroup::GasMeter => "Gas meter specific",
            ServiceGroup::GeneralAndOperational => "General and operational services - G&E",
            ServiceGroup::SmartGridElectricity => "Smart Grid - electricity",
            ServiceGroup::SmartGridGas => "Smart Grid - gas",
            ServiceGroup::Microgeneration => "Microgen",
        }
    }
}

/// Which meters a service addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fuel {
    Electricity,
    Gas,
    /// Addressed to the comms hub or to either meter.
    Any,
}

/// How a service uses the WAN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A command down to the device and its response back up.
    RequestResponse,
    /// An alert raised by the device: uplink only.
    Alert,
}

/// One traffic class of the catalogue.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ServiceClass {
    /// Stable identifier used in scenario files and reports.
    pub id: &'static str,
    /// The seed's name for the service.
    pub name: &'static str,
    pub group: ServiceGroup,
    pub fuel: Fuel,
    pub kind: MessageKind,
    /// The seed's message size, bytes including padding.
    pub seed_bytes: u32,
    /// The seed's maximum response time, seconds.
    pub max_response_secs: u32,
    /// The DUIS service reference variant that carries the service today, if any.
    pub srv: Option<ServiceRef>,
    /// The DUIS service name, or why there is none.
    pub duis_name: &'static str,
    /// The GBCS use case (or alert) the service maps to, if any.
    pub gbcs: Option<&'static str>,
    /// GBCS command size in the RTDS 4.5.0 vectors (downlink), bytes.
    pub rtds_command_bytes: Option<u32>,
    /// GBCS response or alert size in the RTDS 4.5.0 vectors (uplink), bytes.
    pub rtds_response_bytes: Option<u32>,
}

impl ServiceClass {
    /// The seed's "kbps calc": the bit rate needed to move one message within its maximum
    /// response time, size × 8 / response time / 1000.
    pub fn kbps_calc(&self) -> f64 {
        f64::from(self.seed_bytes) * 8.0 / f64::from(self.max_response_secs) / 1000.0
    }

    /// Bytes carried downlink per attempt (zero for alerts).
    pub fn downlink_bytes(&self) -> u32 {
        match self.kind {
            MessageKind::Alert => 0,
            MessageKind::RequestResponse => self.rtds_command_bytes.unwrap_or(self.seed_bytes),
        }
    }

    /// Bytes carried uplink per attempt.
    pub fn uplink_bytes(&self) -> u32 {
        self.rtds_response_bytes.unwrap_or(self.seed_bytes)
    }
}

const fn srv(a: u8, b: u8, c: u8) -> Option<ServiceRef> {
    Some(ServiceRef::new(a, b, c))
}

/// The catalogue, in the seed's order.
pub const CATALOGUE: &[ServiceClass] = &[
    ServiceClass {
        id: "elec_read_simple",
        name: "Meter reading - simple",
        group: ServiceGroup::ElectricityMeter,
        fuel: Fuel::Electricity,
        kind: MessageKind::RequestResponse,
        seed_bytes: 102,
        max_response_secs: 60,
        srv: srv(4, 1, 1),
        duis_name: "Read Instantaneous Import Registers",
        gbcs: Some("ECS17b"),
        rtds_command_bytes: Some(158),
        rtds_response_bytes: Some(183),
    },
    ServiceClass {
        id: "elec_read_interval",
        name: "Meter reading - interval",
        group: ServiceGroup::ElectricityMeter,
        fuel: Fuel::Electricity,
        kind: MessageKind::RequestResponse,
        seed_bytes: 384,
        max_response_secs: 60,
        srv: srv(4, 8, 1),
        duis_name: "Read Active Import Profile Data",
        gbcs: Some("ECS22b"),
        rtds_command_bytes: Some(187),
        rtds_response_bytes: Some(552),
    },
    ServiceClass {
        id: "elec_tariff",
        name: "Tariff setting",
        group: ServiceGroup::ElectricityMeter,
        fuel: Fuel::Electricity,
        kind: MessageKind::RequestResponse,
        seed_bytes: 102,
        max_response_secs: 60,
        srv: srv(1, 1, 1),
        duis_name: "Update Import Tariff (Primary Element)",
        gbcs: Some("ECS01a"),
        rtds_command_bytes: Some(1271),
        rtds_response_bytes: Some(183),
    },
    ServiceClass {
        id: "elec_alert",
        name: "Meter alerts",
        group: ServiceGroup::ElectricityMeter,
        fuel: Fuel::Electricity,
        kind: MessageKind::Alert,
        seed_bytes: 102,
        max_response_secs: 8,
        srv: None,
        duis_name: "Device alert (DeviceAlertMessage), e.g. 8F36 supply restored",
        gbcs: Some("ECS80 8F36"),
        rtds_command_bytes: None,
        rtds_response_bytes: Some(152),
    },
    ServiceClass {
        id: "elec_topup",
        name: "PPM balance top-up",
        group: ServiceGroup::ElectricityMeter,
        fuel: Fuel::Electricity,
        kind: MessageKind::RequestResponse,
        seed_bytes: 102,
        max_response_secs: 8,
        srv: srv(2, 2, 0),
        duis_name: "Top Up Device",
        gbcs: Some("CS01a"),
        rtds_command_bytes: Some(100),
        rtds_response_bytes: Some(84),
    },
    ServiceClass {
        id: "gas_read_simple",
        name: "Meter reading - simple",
        group: ServiceGroup::GasMeter,
        fuel: Fuel::Gas,
        kind: MessageKind::RequestResponse,
        seed_bytes: 102,
        max_response_secs: 60,
        srv: srv(4, 1, 1),
        duis_name: "Read Instantaneous Import Registers",
        gbcs: Some("GCS13a"),
        rtds_command_bytes: Some(79),
        rtds_response_bytes: Some(133),
    },
    ServiceClass {
        id: "gas_read_interval",
        name: "Meter reading - interval",
        group: ServiceGroup::GasMeter,
        fuel: Fuel::Gas,
        kind: MessageKind::RequestResponse,
        seed_bytes: 384,
        max_response_secs: 60,
        srv: srv(4, 8, 1),
        duis_name: "Read Active Import Profile Data",
        gbcs: Some("GCS17"),
        rtds_command_bytes: Some(80),
        rtds_response_bytes: Some(398),
    },
    ServiceClass {
        id: "gas_tariff",
        name: "Tariff setting",
        group: ServiceGroup::GasMeter,
        fuel: Fuel::Gas,
        kind: MessageKind::RequestResponse,
        seed_bytes: 102,
        max_response_secs: 60,
        srv: srv(1, 1, 1),
        duis_name: "Update Import Tariff (Primary Element)",
        gbcs: Some("GCS01a"),
        rtds_command_bytes: Some(529),
        rtds_response_bytes: Some(194),
    },
    ServiceClass {
        id: "gas_alert",
        name: "Meter alerts",
        group: ServiceGroup::GasMeter,
        fuel: Fuel::Gas,
        kind: MessageKind::Alert,
        seed_bytes: 102,
        max_response_secs: 8,
        srv: None,
        duis_name: "Device alert (DeviceAlertMessage), e.g. 8F30 from the gas proxy",
        gbcs: Some("GCA-ZigBee 8F30"),
        rtds_command_bytes: None,
        rtds_response_bytes: Some(108),
    },
    ServiceClass {
        id: "gas_topup",
        name: "PPM balance top-up",
        group: ServiceGroup::GasMeter,
        fuel: Fuel::Gas,
        kind: MessageKind::RequestResponse,
        seed_bytes: 102,
        max_response_secs: 8,
        srv: srv(2, 2, 0),
        duis_name: "Top Up Device",
        gbcs: Some("CS01b"),
        rtds_command_bytes: Some(93),
        rtds_response_bytes: Some(93),
    },
    ServiceClass {
        id: "diagnostics",
        name: "Diagnostics",
        group: ServiceGroup::GeneralAndOperational,
        fuel: Fuel::Any,
        kind: MessageKind::RequestResponse,
        seed_bytes: 102,
        max_response_secs: 8,
        srv: srv(6, 13, 0),
        duis_name: "Read Event Or Security Log",
        gbcs: Some("ECS35a"),
        rtds_command_bytes: Some(112),
        rtds_response_bytes: Some(322),
    },
    ServiceClass {
        id: "ihd_message",
        name: "Message to IHD",
        group: ServiceGroup::GeneralAndOperational,
        fuel: Fuel::Any,
        kind: MessageKind::RequestResponse,
        seed_bytes: 256,
        max_response_secs: 8,
        srv: srv(3, 1, 0),
        duis_name: "Display Message",
        gbcs: Some("ECS10"),
        rtds_command_bytes: Some(85),
        rtds_response_bytes: Some(72),
    },
    ServiceClass {
        id: "firmware",
        name: "Firmware upgrade",
        group: ServiceGroup::GeneralAndOperational,
        fuel: Fuel::Any,
        kind: MessageKind::RequestResponse,
        seed_bytes: 400_096,
        max_response_secs: 60,
        srv: srv(11, 1, 0),
        duis_name: "Update Firmware (image distributed by the CSP; activated by 11.3, CS06)",
        gbcs: None,
        rtds_command_bytes: None,
        rtds_response_bytes: Some(138),
    },
    ServiceClass {
        id: "power_quality",
        name: "Electricity quality read",
        group: ServiceGroup::SmartGridElectricity,
        fuel: Fuel::Electricity,
        kind: MessageKind::RequestResponse,
        seed_bytes: 53_664,
        max_response_secs: 1,
        srv: srv(4, 10, 0),
        duis_name: "Read Network Data",
        gbcs: Some("ECS23"),
        rtds_command_bytes: Some(168),
        rtds_response_bytes: Some(524),
    },
    ServiceClass {
        id: "elec_load_control",
        name: "Appliance load management",
        group: ServiceGroup::SmartGridElectricity,
        fuel: Fuel::Electricity,
        kind: MessageKind::RequestResponse,
        seed_bytes: 96,
        max_response_secs: 8,
        srv: srv(7, 5, 0),
        duis_name: "Activate Auxiliary Load",
        gbcs: Some("ECS47"),
        rtds_command_bytes: Some(159),
        rtds_response_bytes: Some(114),
    },
    ServiceClass {
        id: "gas_load_control",
        name: "Appliance load management",
        group: ServiceGroup::SmartGridGas,
        fuel: Fuel::Gas,
        kind: MessageKind::RequestResponse,
        seed_bytes: 96,
        max_response_secs: 8,
        srv: None,
        duis_name: "none: SMETS2 gas meters have no load control",
        gbcs: None,
        rtds_command_bytes: None,
        rtds_response_bytes: None,
    },
    ServiceClass {
        id: "microgen_read",
        name: "Microgen read",
        group: ServiceGroup::Microgeneration,
        fuel: Fuel::Electricity,
        kind: MessageKind::RequestResponse,
        seed_bytes: 256,
        max_response_secs: 60,
        srv: srv(4, 2, 0),
        duis_name: "Read Instantaneous Export Registers",
        gbcs: Some("ECS17a"),
        rtds_command_bytes: Some(112),
        rtds_response_bytes: Some(111),
    },
    ServiceClass {
        id: "microgen_tariff",
        name: "Microgen tariff update",
        group: ServiceGroup::Microgeneration,
        fuel: Fuel::Electricity,
        kind: MessageKind::RequestResponse,
        seed_bytes: 102,
        max_response_secs: 60,
        srv: None,
        duis_name: "none: SMETS2 has no export tariff on the meter",
        gbcs: None,
        rtds_command_bytes: None,
        rtds_response_bytes: None,
    },
];

/// Looks a class up by its id.
pub fn service_class(id: &str) -> Option<&'static ServiceClass> {
    CATALOGUE.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique() {
        for (i, a) in CATALOGUE.iter().enumerate() {
            for b in &CATALOGUE[i + 1..] {
                assert_ne!(a.id, b.id);
            }
        }
    }

    #[test]
    fn kbps_calc_matches_the_seed_table() {
        // The seed prints one decimal: 0.0, 0.1, 0.3, 53.3 …
        let rounded = |id: &str| (service_class(id).unwrap().kbps_calc() * 10.0).round() / 10.0;
        assert_eq!(rounded("elec_read_simple"), 0.0);
        assert_eq!(rounded("elec_read_interval"), 0.1);
        assert_eq!(rounded("elec_alert"), 0.1);
        assert_eq!(rounded("ihd_message"), 0.3);
        assert_eq!(rounded("firmware"), 53.3);
        // The seed prints 423.3 for the power-quality read; 53,664 B in 1 s is 429.3 kbit/s.
        assert_eq!(rounded("power_quality"), 429.3);
    }

    #[test]
    fn every_seed_class_is_present() {
        let count = |g| CATALOGUE.iter().filter(|c| c.group == g).count();
        assert_eq!(count(ServiceGroup::ElectricityMeter), 5);
        assert_eq!(count(ServiceGroup::GasMeter), 5);
        assert_eq!(count(ServiceGroup::GeneralAndOperational), 3);
        assert_eq!(count(ServiceGroup::SmartGridElectricity), 2);
        assert_eq!(count(ServiceGroup::SmartGridGas), 1);
        assert_eq!(count(ServiceGroup::Microgeneration), 2);
    }
}
