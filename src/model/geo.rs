//! Where a meter is: its GSP group (one of the fourteen distribution areas that settlement
//! aggregates over) and its DCC Communications Service Provider region.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The fourteen GSP groups of Great Britain, by their settlement ids `_A` … `_P`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum GspGroup {
    A,
    B,
    C,
    D,
    E,
    F,
    G,
    H,
    J,
    K,
    L,
    M,
    N,
    P,
}

impl GspGroup {
    pub const ALL: [GspGroup; 14] = [
        GspGroup::A,
        GspGroup::B,
        GspGroup::C,
        GspGroup::D,
        GspGroup::E,
        GspGroup::F,
        GspGroup::G,
        GspGroup::H,
        GspGroup::J,
        GspGroup::K,
        GspGroup::L,
        GspGroup::M,
        GspGroup::N,
        GspGroup::P,
    ];

    /// The settlement id, e.g. `_C`.
    pub fn id(self) -> &'static str {
        match self {
            GspGroup::A => "_A",
            GspGroup::B => "_B",
            GspGroup::C => "_C",
            GspGroup::D => "_D",
            GspGroup::E => "_E",
            GspGroup::F => "_F",
            GspGroup::G => "_G",
            GspGroup::H => "_H",
            GspGroup::J => "_J",
            GspGroup::K => "_K",
            GspGroup::L => "_L",
            GspGroup::M => "_M",
            GspGroup::N => "_N",
            GspGroup::P => "_P",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            GspGroup::A => "Eastern",
            GspGroup::B => "East Midlands",
            GspGroup::C => "London",
            GspGroup::D => "Merseyside and North Wales",
            GspGroup::E => "Midlands",
            GspGroup::F => "Northern",
            GspGroup::G => "North Western",
            GspGroup::H => "Southern",
            GspGroup::J => "South Eastern",
            GspGroup::K => "South Wales",
            GspGroup::L => "South Western",
            GspGroup::M => "Yorkshire",
            GspGroup::N => "South Scotland",
            GspGroup::P => "North Scotland",
        }
    }

    /// The distribution area's MPAN distributor id (10 Eastern … 23 Yorkshire).
    pub fn distributor_id(self) -> u8 {
        match self {
            GspGroup::A => 10,
            GspGroup::B => 11,
            GspGroup::C => 12,
            GspGroup::D => 13,
            GspGroup::E => 14,
            GspGroup::F => 15,
            GspGroup::G => 16,
            GspGroup::P => 17,
            GspGroup::N => 18,
            GspGroup::J => 19,
            GspGroup::H => 20,
            GspGroup::K => 21,
            GspGroup::L => 22,
            GspGroup::M => 23,
        }
    }

    pub fn from_distributor_id(id: u8) -> Option<GspGroup> {
        GspGroup::ALL.into_iter().find(|g| g.distributor_id() == id)
    }

    /// The CSP region serving the area. North is Scotland and the north of England; Central is
    /// the Midlands, East Anglia and Wales; South is London and the south. The boundary follows
    /// GSP groups here, an approximation of the CSP contracts' own postcode-level boundary.
    pub fn csp_region(self) -> CspRegion {
        match self {
            GspGroup::F | GspGroup::G | GspGroup::M | GspGroup::N | GspGroup::P => CspRegion::North,
            GspGroup::A | GspGroup::B | GspGroup::D | GspGroup::E | GspGroup::K => {
                CspRegion::Central
            }
            GspGroup::C | GspGroup::H | GspGroup::J | GspGroup::L => CspRegion::South,
        }
    }
}

impl FromStr for GspGroup {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GspGroup::ALL
            .into_iter()
            .find(|g| g.id() == s || &g.id()[1..] == s)
            .ok_or_else(|| format!("unknown GSP group {s:?} (expected _A … _P, without _I and _O)"))
    }
}

impl fmt::Display for GspGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl TryFrom<String> for GspGroup {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<GspGroup> for String {
    fn from(value: GspGroup) -> Self {
        value.id().to_string()
    }
}

/// The DCC Communications Service Provider regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CspRegion {
    North,
    Central,
    South,
}

impl CspRegion {
    pub const ALL: [CspRegion; 3] = [CspRegion::North, CspRegion::Central, CspRegion::South];

    /// The DUIS schema's name (`CSPRegion`): `North`, `Central`, `South`.
    pub fn duis_name(self) -> &'static str {
        match self {
            CspRegion::North => "North",
            CspRegion::Central => "Central",
            CspRegion::South => "South",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CspRegion::North => "north",
            CspRegion::Central => "central",
            CspRegion::South => "south",
        }
    }
}

impl fmt::Display for CspRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourteen_groups_with_unique_distributor_ids() {
        let mut ids: Vec<u8> = GspGroup::ALL.iter().map(|g| g.distributor_id()).collect();
        ids.sort();
        assert_eq!(ids, (10..=23).collect::<Vec<_>>());
        for g in GspGroup::ALL {
            assert_eq!(GspGroup::from_distributor_id(g.distributor_id()), Some(g));
            assert_eq!(g.id().parse::<GspGroup>().unwrap(), g);
        }
        assert!("_I".parse::<GspGroup>().is_err());
    }

    #[test]
    fn every_region_has_groups() {
        for region in CspRegion::ALL {
            assert!(GspGroup::ALL.iter().any(|g| g.csp_region() == region));
        }
    }
}
