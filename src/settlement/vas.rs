//! The Volume Allocation Service: line losses, aggregation, GSP group correction.
//!
//! Every point's processed day is split into consumption and line losses
//! (`losses = C × (LLF − 1)`), signed (+ import, − export) and added to its supplier × BM unit ×
//! GSP group × consumption component class. Per GSP group and period, with the group take T,
//! the uncorrected total U = Σ C and the correctable energy S = Σ W·C over the classes' scaling
//! weights W:
//!
//! ```text
//! GGCF = 1 + (T − U) / S          corrected C' = C × (1 + (GGCF − 1) × W)
//! ```
//!
//! so that Σ C' = T in every period. When S is (nearly) zero — every volume in zero-weight
//! classes, the export case the MHHS design groups raised — the factor is not computed: the
//! period is reported uncorrectable and its volumes are left as they are.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{Ccc, Direction, Quality, Standing, Weights};
use crate::model::GspGroup;

/// Supplier × BM unit × GSP group × class, the key of every aggregated volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AggKey {
    pub gsp: GspGroup,
    pub supplier: u16,
    pub bm_unit: u16,
    pub ccc: Ccc,
}

/// Signed, line-loss-split volumes per key and period, kWh.
#[derive(Clone, Debug, Default)]
pub struct Aggregation {
    volumes: HashMap<AggKey, Vec<f64>>,
}

impl Aggregation {
    /// Adds one point's processed day with the loss factors of its class for each period.
    pub fn add(&mut self, point: &Standing, values: &[f64], quality: &[Quality], llf: &[f64]) {
        let n = values.len();
        let sign = point.direction.sign();
        let key = |actual: bool, losses: bool| AggKey {
            gsp: point.gsp,
            supplier: point.supplier,
            bm_unit: point.bm_unit,
            ccc: Ccc {
                segment: point.segment,
                domestic: point.domestic,
                direction: point.direction,
                actual,
                losses,
            },
        };
        let any_actual = quality.iter().any(|q| q.is_actual());
        let any_estimated = quality.iter().any(|q| !q.is_actual());
        for actual in [true, false] {
            if (actual && !any_actual) || (!actual && !any_estimated) {
                continue;
            }
            let consumption = self
                .volumes
                .entry(key(actual, false))
                .or_insert_with(|| vec![0.0; n]);
            for i in 0..n {
                if quality[i].is_actual() == actual {
                    consumption[i] += sign * values[i];
                }
            }
            let losses = self
                .volumes
                .entry(key(actual, true))
                .or_insert_with(|| vec![0.0; n]);
            for i in 0..n {
                if quality[i].is_actual() == actual {
                    losses[i] += sign * values[i] * (llf[i] - 1.0);
                }
            }
        }
    }

    pub fn merge(&mut self, other: Aggregation) {
        for (key, v) in other.volumes {
            match self.volumes.get_mut(&key) {
                None => {
                    self.volumes.insert(key, v);
                }
                Some(acc) => {
                    for (a, b) in acc.iter_mut().zip(&v) {
                        *a += b;
                    }
                }
            }
        }
    }

    /// Every key's volumes, in key order.
    pub fn sorted(&self) -> BTreeMap<AggKey, Vec<f64>> {
        self.volumes.iter().map(|(k, v)| (*k, v.clone())).collect()
    }
}

/// The correction of one GSP group.
#[derive(Clone, Debug, Serialize)]
pub struct Correction {
    pub gsp: GspGroup,
    /// GSP group take per period, kWh (None: not known, so not corrected).
    pub take: Option<Vec<f64>>,
    /// Σ C per period.
    pub uncorrected: Vec<f64>,
    /// Σ W·C per period.
    pub correctable: Vec<f64>,
    /// The factor per period; None where it could not be computed.
    pub ggcf: Vec<Option<f64>>,
}

/// Below this share of the uncorrected volume (or 1 Wh), correctable energy counts as zero.
const ZERO_WEIGHT: f64 = 1e-9;

/// Computes the correction factors and the corrected volumes.
pub fn correct(
    volumes: &BTreeMap<AggKey, Vec<f64>>,
    take: &BTreeMap<GspGroup, Vec<f64>>,
    weights: &Weights,
    periods: usize,
) -> (BTreeMap<AggKey, Vec<f64>>, Vec<Correction>) {
    let mut groups: BTreeMap<GspGroup, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for (key, v) in volumes {
        let (u, s) = groups
            .entry(key.gsp)
            .or_insert_with(|| (vec![0.0; periods], vec![0.0; periods]));
        let w = weights.of(key.ccc);
        for i in 0..periods {
            u[i] += v[i];
            s[i] += w * v[i];
        }
    }
    for gsp in take.keys() {
        groups
            .entry(*gsp)
            .or_insert_with(|| (vec![0.0; periods], vec![0.0; periods]));
    }
    let corrections: Vec<Correction> = groups
        .into_iter()
        .map(|(gsp, (uncorrected, correctable))| {
            let t = take.get(&gsp);
            let ggcf = (0..periods)
                .map(|i| {
                    let t = t?[i];
                    let s = correctable[i];
                    if s.abs() <= (ZERO_WEIGHT * uncorrected[i].abs()).max(1e-3) {
                        return None;
                    }
                    Some(1.0 + (t - uncorrected[i]) / s)
                })
                .collect();
            Correction {
                gsp,
                take: t.cloned(),
                uncorrected,
                correctable,
                ggcf,
            }
        })
        .collect();
    let by_gsp: HashMap<GspGroup, &Correction> = corrections.iter().map(|c| (c.gsp, c)).collect();
    let corrected = volumes
        .iter()
        .map(|(key, v)| {
            let w = weights.of(key.ccc);
            let c = by_gsp[&key.gsp];
            let out = v
                .iter()
                .zip(&c.ggcf)
                .map(|(&x, f)| match f {
                    Some(f) => x * (1.0 + (f - 1.0) * w),
                    None => x,
                })
                .collect();
            (*key, out)
        })
        .collect();
    (corrected, corrections)
}

/// The signed, loss-adjusted volume of a day of true values: what reaches the GSP.
pub fn at_gsp(point: &Standing, values: &[f64], llf: &[f64], out: &mut [f64]) {
    let sign = match point.direction {
        Direction::Import => 1.0,
        Direction::Export => -1.0,
    };
    for ((o, v), f) in out.iter_mut().zip(values).zip(llf) {
        *o += sign * v * f;
    }
}
