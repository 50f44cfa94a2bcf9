//! The DUIS service matrix: for each of the 129 Service Reference Variants, whether it is
//! critical, future-datable, DCC-schedulable or non-device, and which user roles may send it
//! (DUIS §3.2, as extracted into `data/duis-request-matrix.json` from DCC's duis-parser).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{Role, ServiceRef};

const MATRIX_JSON: &str = include_str!("../../data/duis-request-matrix.json");

/// One Service Reference Variant's row of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEntry {
    pub name: String,
    pub variant: ServiceRef,
    pub critical: bool,
    pub on_demand: bool,
    pub dcc_scheduled: bool,
    pub non_device: bool,
    /// Who executes a future-dated request: `No`, `DSP`, `Device` or `DSP & Device`.
    pub future_dated: String,
    pub roles: Vec<Role>,
}

#[derive(Deserialize)]
struct Row {
    #[serde(rename = "Service Request Name")]
    name: String,
    #[serde(rename = "Service Reference Variant")]
    variant: String,
    #[serde(rename = "Critical")]
    critical: String,
    #[serde(rename = "On Demand")]
    on_demand: String,
    #[serde(rename = "Future Dated Response Pattern")]
    future_dated: String,
    #[serde(rename = "DCC Scheduled")]
    dcc_scheduled: String,
    #[serde(rename = "Non-Device Request")]
    non_device: String,
    #[serde(rename = "Eligible User Roles")]
    roles: Vec<String>,
}

/// The matrix, by Service Reference Variant.
#[derive(Debug, Clone)]
pub struct ServiceMatrix {
    entries: BTreeMap<ServiceRef, ServiceEntry>,
}

impl ServiceMatrix {
    /// The matrix shipped with dccsim. The file is part of the crate, so a failure to read it is
    /// a build defect, caught by the tests.
    pub fn embedded() -> ServiceMatrix {
        ServiceMatrix::from_json(MATRIX_JSON).expect("data/duis-request-matrix.json is valid")
    }

    pub fn from_json(text: &str) -> Result<ServiceMatrix, String> {
        let rows: Vec<Row> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let yes = |s: &str| s == "Yes";
        let mut entries = BTreeMap::new();
        for row in rows {
            let variant: ServiceRef = row
                .variant
                .parse()
                .map_err(|e| format!("{}: {e}", row.variant))?;
            let roles = row
                .roles
                .iter()
                .map(|r| {
                    r.parse::<Role>()
                        .map_err(|e| format!("{}: {e}", row.variant))
                })
                .collect::<Result<_, _>>()?;
            entries.insert(
                variant,
                ServiceEntry {
                    name: row.name,
                    variant,
                    critical: yes(&row.critical),
                    on_demand: yes(&row.on_demand),
                    dcc_scheduled: yes(&row.dcc_scheduled),
                    non_device: yes(&row.non_device),
                    future_dated: row.future_dated,
                    roles,
                },
            );
        }
        Ok(ServiceMatrix { entries })
    }

    pub fn get(&self, variant: ServiceRef) -> Option<&ServiceEntry> {
        self.entries.get(&variant)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_matrix_has_all_129_variants() {
        let m = ServiceMatrix::embedded();
        assert_eq!(m.len(), 129);
        let read = m.get("4.8.1".parse().unwrap()).unwrap();
        assert_eq!(read.name, "Read Active Import Profile Data");
        assert!(read.dcc_scheduled && !read.critical && !read.non_device);
        assert!(read.roles.contains(&Role::ImportSupplier));
        assert!(!read.roles.contains(&Role::ExportSupplier));
        let disable = m.get("7.2".parse().unwrap()).unwrap();
        assert!(disable.critical);
    }
}
