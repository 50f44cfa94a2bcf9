//! Standing data: what the Registration Service says about each metering point, as settlement
//! needs it — GSP group, market segment, connection type, domestic flag, energy direction,
//! energisation, line loss factor class, supplier and Supplier BM Unit — plus the two figures the
//! data service validates and estimates with (capacity and annual consumption).
//!
//! The CSV form (one header line, then one row per MPAN):
//!
//! ```text
//! mpan,gsp_group,segment,connection,domestic,direction,energised,llfc,supplier,bm_unit,capacity_kw,annual_kwh
//! 1012345678907,_A,S,W,Y,I,E,100,ALPH,2__AALPH000,23,2700
//! ```
//!
//! `segment` S/A/U (Smart, Advanced, Unmetered), `connection` W/C (whole current, current
//! transformer), `domestic` Y/N, `direction` I/E (import, export), `energised` E/D.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use super::InputError;
use crate::model::{GspGroup, Mpan};

/// The three MHHS market segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Segment {
    Smart,
    Advanced,
    Unmetered,
}

impl Segment {
    pub const ALL: [Segment; 3] = [Segment::Smart, Segment::Advanced, Segment::Unmetered];

    pub fn code(self) -> char {
        match self {
            Segment::Smart => 'S',
            Segment::Advanced => 'A',
            Segment::Unmetered => 'U',
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Connection {
    WholeCurrent,
    CurrentTransformer,
}

impl Connection {
    pub fn code(self) -> char {
        match self {
            Connection::WholeCurrent => 'W',
            Connection::CurrentTransformer => 'C',
        }
    }
}

/// Import (AI) or export (AE) metering point. In GB a premises with microgeneration has a
/// second, export MPAN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Direction {
    Import,
    Export,
}

impl Direction {
    pub fn code(self) -> char {
        match self {
            Direction::Import => 'I',
            Direction::Export => 'E',
        }
    }

    /// The measurement quantity id of the load shape categories and the IF-021 flow.
    pub fn quantity(self) -> &'static str {
        match self {
            Direction::Import => "AI",
            Direction::Export => "AE",
        }
    }

    /// +1 for import, −1 for export: settlement nets export off import.
    pub fn sign(self) -> f64 {
        match self {
            Direction::Import => 1.0,
            Direction::Export => -1.0,
        }
    }
}

/// One metering point's standing data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Standing {
    pub mpan: Mpan,
    pub gsp: GspGroup,
    pub segment: Segment,
    pub connection: Connection,
    pub domestic: bool,
    pub direction: Direction,
    pub energised: bool,
    /// Line loss factor class, as the distributor publishes them (see [`super::losses`]).
    pub llfc: u16,
    /// Index into [`StandingData::suppliers`].
    pub supplier: u16,
    /// Index into [`StandingData::bm_units`].
    pub bm_unit: u16,
    /// The most the point can take in an hour, kW (validation V4).
    pub capacity_kw: f32,
    /// Annual consumption (an EAC or SNAC), kWh: the base of the last-resort estimate.
    pub annual_kwh: f32,
}

impl Standing {
    /// The load shape category the point belongs to.
    pub fn category(&self) -> Category {
        Category {
            gsp: self.gsp,
            segment: self.segment,
            connection: self.connection,
            domestic: self.domestic,
            direction: self.direction,
        }
    }

    /// The most that can pass in one half-hour, kWh.
    pub fn max_kwh_per_period(&self) -> f64 {
        f64::from(self.capacity_kw) * 0.5
    }
}

/// A Load Shaping Service category: GSP group × market segment × connection type × domestic
/// premises indicator × measurement quantity, the keys of the LSS's IF-022 data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Category {
    pub gsp: GspGroup,
    pub segment: Segment,
    pub connection: Connection,
    pub domestic: bool,
    pub direction: Direction,
}

impl Category {
    /// The same category without the GSP group: the national fallback when a group's own
    /// sample is too thin.
    pub fn national(self) -> (Segment, Connection, bool, Direction) {
        (self.segment, self.connection, self.domestic, self.direction)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.gsp,
            self.segment.code(),
            self.connection.code(),
            if self.domestic { 'D' } else { 'N' },
            self.direction.quantity()
        )
    }
}

/// The standing data of a set of metering points, with the parties they name.
#[derive(Clone, Debug, Default)]
pub struct StandingData {
    pub points: Vec<Standing>,
    pub suppliers: Vec<String>,
    pub bm_units: Vec<String>,
    index: HashMap<Mpan, u32>,
}

pub const CSV_HEADER: &str = "mpan,gsp_group,segment,connection,domestic,direction,energised,llfc,supplier,bm_unit,capacity_kw,annual_kwh";

impl StandingData {
    pub fn new() -> StandingData {
        StandingData::default()
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The position of an MPAN's row.
    pub fn position(&self, mpan: Mpan) -> Option<usize> {
        self.index.get(&mpan).map(|&i| i as usize)
    }

    /// Interns a supplier MPID, returning its index.
    pub fn supplier(&mut self, mpid: &str) -> u16 {
        intern(&mut self.suppliers, mpid)
    }

    /// Interns a BM unit id, returning its index.
    pub fn bm_unit(&mut self, id: &str) -> u16 {
        intern(&mut self.bm_units, id)
    }

    /// Adds a point; an MPAN already present is refused.
    pub fn push(&mut self, point: Standing) -> Result<(), String> {
        if self.index.contains_key(&point.mpan) {
            return Err(format!("MPAN {} appears twice", point.mpan));
        }
        self.index.insert(point.mpan, self.points.len() as u32);
        self.points.push(point);
        Ok(())
    }

    /// Reads the CSV form. Any bad row rejects the whole file, naming file, line and reason.
    pub fn parse_csv(file: &str, text: &str) -> Result<StandingData, InputError> {
        let mut data = StandingData::new();
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, header)) if header.trim() == CSV_HEADER => {}
            _ => {
                return Err(InputError::new(
                    file,
                    1,
                    format!("the first line must be the header {CSV_HEADER}"),
                ));
            }
        }
        for (n, line) in lines {
            let line_no = n + 1;
            if line.trim().is_empty() {
                continue;
            }
            let row = data
                .parse_row(line)
                .map_err(|e| InputError::new(file, line_no, e))?;
            data.push(row)
                .map_err(|e| InputError::new(file, line_no, e))?;
        }
        Ok(data)
    }

    fn parse_row(&mut self, line: &str) -> Result<Standing, String> {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != 12 {
            return Err(format!("expected 12 fields, found {}", fields.len()));
        }
        let mpan: Mpan = fields[0].parse().map_err(|e| format!("mpan: {e}"))?;
        let gsp: GspGroup = fields[1].parse().map_err(|e| format!("gsp_group: {e}"))?;
        let segment = match fields[2] {
            "S" => Segment::Smart,
            "A" => Segment::Advanced,
            "U" => Segment::Unmetered,
            other => return Err(format!("segment {other:?}: expected S, A or U")),
        };
        let connection = match fields[3] {
            "W" => Connection::WholeCurrent,
            "C" => Connection::CurrentTransformer,
            other => return Err(format!("connection {other:?}: expected W or C")),
        };
        let domestic = yes_no(fields[4], "domestic", ("Y", "N"))?;
        let direction = match fields[5] {
            "I" => Direction::Import,
            "E" => Direction::Export,
            other => return Err(format!("direction {other:?}: expected I or E")),
        };
        let energised = yes_no(fields[6], "energised", ("E", "D"))?;
        let llfc: u16 = fields[7]
            .parse()
            .map_err(|_| format!("llfc {:?} is not a number from 0 to 65535", fields[7]))?;
        super::losses::check_llfc(llfc)?;
        if fields[8].len() != 4 || !fields[8].chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!(
                "supplier {:?} is not a four-character MPID",
                fields[8]
            ));
        }
        if fields[9].is_empty() {
            return Err("bm_unit is empty".into());
        }
        let positive = |i: usize, name: &str| -> Result<f32, String> {
            match fields[i].parse::<f32>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(format!(
                    "{name} {:?} is not a number of zero or more",
                    fields[i]
                )),
            }
        };
        let capacity_kw = positive(10, "capacity_kw")?;
        let annual_kwh = positive(11, "annual_kwh")?;
        Ok(Standing {
            mpan,
            gsp,
            segment,
            connection,
            domestic,
            direction,
            energised,
            llfc,
            supplier: self.supplier(fields[8]),
            bm_unit: self.bm_unit(fields[9]),
            capacity_kw,
            annual_kwh,
        })
    }

    /// The CSV form, header included.
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(80 * (self.points.len() + 1));
        out.push_str(CSV_HEADER);
        out.push('\n');
        for p in &self.points {
            use std::fmt::Write;
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{}",
                p.mpan,
                p.gsp,
                p.segment.code(),
                p.connection.code(),
                if p.domestic { 'Y' } else { 'N' },
                p.direction.code(),
                if p.energised { 'E' } else { 'D' },
                p.llfc,
                self.suppliers[usize::from(p.supplier)],
                self.bm_units[usize::from(p.bm_unit)],
                p.capacity_kw,
                p.annual_kwh
            );
        }
        out
    }
}

fn yes_no(value: &str, name: &str, (yes, no): (&str, &str)) -> Result<bool, String> {
    if value == yes {
        Ok(true)
    } else if value == no {
        Ok(false)
    } else {
        Err(format!("{name} {value:?}: expected {yes} or {no}"))
    }
}

fn intern(names: &mut Vec<String>, name: &str) -> u16 {
    if let Some(i) = names.iter().position(|n| n == name) {
        return i as u16;
    }
    names.push(name.to_string());
    (names.len() - 1) as u16
}

/// The base Supplier BM Unit of a supplier in a GSP group, `2__<G><MPID>000`.
pub fn base_bm_unit(gsp: GspGroup, supplier: &str) -> String {
    format!("2__{}{}000", &gsp.id()[1..], supplier)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "mpan,gsp_group,segment,connection,domestic,direction,energised,llfc,supplier,bm_unit,capacity_kw,annual_kwh
1000000000003,_A,S,W,Y,I,E,100,ALPH,2__AALPH000,23,2700
";

    #[test]
    fn csv_round_trips() {
        let data = StandingData::parse_csv("s.csv", GOOD).unwrap();
        assert_eq!(data.len(), 1);
        assert_eq!(data.to_csv(), GOOD);
        let p = data.points[0];
        assert_eq!(p.gsp, GspGroup::A);
        assert_eq!(p.max_kwh_per_period(), 11.5);
    }

    #[test]
    fn an_unknown_gsp_group_names_file_and_line() {
        let bad = GOOD.replace(",_A,", ",_I,");
        let err = StandingData::parse_csv("standing.csv", &bad).unwrap_err();
        assert_eq!(err.line, 2);
        let text = err.to_string();
        assert!(
            text.starts_with("standing.csv:2: gsp_group: unknown GSP group \"_I\""),
            "{text}"
        );
    }

    #[test]
    fn duplicates_and_bad_fields_are_refused() {
        let twice = format!("{GOOD}{}", GOOD.lines().nth(1).unwrap());
        let err = StandingData::parse_csv("s.csv", &twice).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.to_string().contains("appears twice"));
        let err =
            StandingData::parse_csv("s.csv", &GOOD.replace(",Y,I,", ",maybe,I,")).unwrap_err();
        assert!(err.to_string().contains("domestic \"maybe\""), "{err}");
        let err = StandingData::parse_csv("s.csv", &GOOD.replace(",23,", ",-4,")).unwrap_err();
        assert!(err.to_string().contains("capacity_kw"), "{err}");
        let err = StandingData::parse_csv("s.csv", "mpan\n").unwrap_err();
        assert_eq!(err.line, 1);
    }

    proptest::proptest! {
        #[test]
        fn any_standing_data_round_trips_through_csv(
            rows in proptest::collection::vec(
                (0u64..1_000_000, 0usize..14, 0usize..3, proptest::bool::ANY, proptest::bool::ANY,
                 proptest::bool::ANY, proptest::bool::ANY, 0usize..5, "[A-Z0-9]{4}", 0f32..1e6, 0f32..1e7),
                0..20,
            )
        ) {
            let mut data = StandingData::new();
            for (n, gsp, seg, ct, dom, exp, en, llfc, supplier, cap, annual) in rows {
                let gsp = GspGroup::ALL[gsp];
                let mpan = Mpan::from_prefix(u64::from(gsp.distributor_id()) * 10_000_000_000 + n).unwrap();
                if data.position(mpan).is_some() {
                    continue;
                }
                let point = Standing {
                    mpan,
                    gsp,
                    segment: Segment::ALL[seg],
                    connection: if ct { Connection::CurrentTransformer } else { Connection::WholeCurrent },
                    domestic: dom,
                    direction: if exp { Direction::Export } else { Direction::Import },
                    energised: en,
                    llfc: [100, 200, 300, 400, 900][llfc],
                    supplier: data.supplier(&supplier),
                    bm_unit: data.bm_unit(&base_bm_unit(gsp, &supplier)),
                    capacity_kw: cap,
                    annual_kwh: annual,
                };
                data.push(point).unwrap();
            }
            let text = data.to_csv();
            let again = StandingData::parse_csv("p.csv", &text).unwrap();
            proptest::prop_assert_eq!(&again.points, &data.points);
            proptest::prop_assert_eq!(again.to_csv(), text);
        }
    }
}
