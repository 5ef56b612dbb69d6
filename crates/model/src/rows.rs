//! The rows of a city's data as the importer fills them, the store keeps them and the engine
//! reads them: already validated and normalised. Plain data, no I/O: the crates on either side of
//! the store share them without depending on it.

use crate::{
    CaseStatus, Level, Millis, PlaceKind, Reporter, Risk, SubjectType, Symptoms, Temperature,
};
use xxhash_rust::xxh3::Xxh3;

/// A row's 128-bit identity, split for storage as two signed 64-bit integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RowKey {
    pub k1: i64,
    pub k2: i64,
}

impl RowKey {
    pub fn from_u128(h: u128) -> RowKey {
        RowKey {
            k1: h as u64 as i64,
            k2: (h >> 64) as u64 as i64,
        }
    }
}

/// Hashes a registry row's fields, to tell "the same row again" from "a changed row".
pub fn content_hash(fields: &[&str]) -> u64 {
    let mut h = Xxh3::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update(&[0x1f]);
    }
    h.digest()
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("\u{0}")
}

fn opt_num<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "\u{0}".to_owned(), |v| v.to_string())
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: Level,
}

impl RegionRow {
    pub fn content_hash(&self) -> u64 {
        content_hash(&[
            &self.code,
            &self.name,
            opt(&self.parent_code),
            self.level.as_str(),
        ])
    }
}

/// A region's polygon (GeoJSON geometry text) from grids.geojson.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionShapeRow {
    pub code: String,
    pub geometry: String,
}

impl RegionShapeRow {
    pub fn content_hash(&self) -> u64 {
        content_hash(&[&self.code, &self.geometry])
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlaceRow {
    /// The store's number for the place; sightings refer to it.
    pub pid: i64,
    pub place_id: String,
    pub kind: PlaceKind,
    pub name: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// `None` only for train cars, which belong to no region.
    pub region_code: Option<String>,
    pub grid_code: Option<String>,
}

impl PlaceRow {
    /// The hash leaves out `pid`, which the store assigns.
    pub fn content_hash(&self) -> u64 {
        content_hash(&[
            &self.place_id,
            self.kind.as_str(),
            opt(&self.name),
            &opt_num(self.lat),
            &opt_num(self.lon),
            opt(&self.region_code),
            opt(&self.grid_code),
        ])
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PersonRow {
    pub person_id: String,
    pub id_number: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub household_id: Option<String>,
    pub address: Option<String>,
    pub grid_code: Option<String>,
}

impl PersonRow {
    pub fn content_hash(&self) -> u64 {
        content_hash(&[
            &self.person_id,
            &self.id_number,
            opt(&self.name),
            opt(&self.phone),
            opt(&self.household_id),
            opt(&self.address),
            opt(&self.grid_code),
        ])
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct VehicleRow {
    pub plate: String,
    pub owner_id_number: String,
}

impl VehicleRow {
    pub fn content_hash(&self) -> u64 {
        content_hash(&[&self.plate, &self.owner_id_number])
    }
}

/// An epidemic area: by region (areas) or by polygon (areas.geojson).
#[derive(Clone, Debug, PartialEq)]
pub struct AreaRow {
    pub area_id: String,
    pub name: Option<String>,
    pub region_code: Option<String>,
    /// GeoJSON geometry text.
    pub geometry: Option<String>,
    pub from: Millis,
    pub to: Option<Millis>,
    pub risk: Risk,
}

impl AreaRow {
    pub fn content_hash(&self) -> u64 {
        content_hash(&[
            &self.area_id,
            opt(&self.name),
            opt(&self.region_code),
            opt(&self.geometry),
            &self.from.to_string(),
            &opt_num(self.to),
            self.risk.as_str(),
        ])
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseRow {
    /// The case's resident ID number.
    pub subject: String,
    pub status: CaseStatus,
    pub onset: Option<Millis>,
    pub confirmed: Millis,
    pub isolated: Option<Millis>,
}

impl CaseRow {
    pub fn content_hash(&self) -> u64 {
        content_hash(&[
            &self.subject,
            self.status.as_str(),
            &opt_num(self.onset),
            &self.confirmed.to_string(),
            &opt_num(self.isolated),
        ])
    }
}

/// A sighting's `source` (rail, hotel, or whatever a sightings file names), numbered by the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRow {
    pub id: i64,
    pub name: String,
}

/// One sighting: a subject at a place over a closed interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SightingRow {
    pub key: RowKey,
    pub source_id: i64,
    pub subject_type: SubjectType,
    /// The normalised value: an ID number, a phone without +86, a plate, or a person_id.
    pub subject: String,
    pub pid: i64,
    pub start: Millis,
    pub end: Millis,
    /// Direction code for gates and checkpoints, category code for pharmacy sales, else 0.
    pub tag: i64,
    pub record_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    pub key: RowKey,
    pub recipient_phone: String,
    pub origin_region_code: String,
    pub shipped: Millis,
    pub delivered: Option<Millis>,
    pub record_id: Option<String>,
}

/// A health report (CONTRACT.md section 9): a resident's or an employee's daily report, or a
/// temperature check at a gate or checkpoint. One with a place is also a sighting, source
/// `health`, which the importer adds beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthReportRow {
    pub key: RowKey,
    /// Whom it is about; resolved to a person when read, as a sighting's subject is.
    pub id_number: String,
    pub time: Millis,
    pub temperature: Option<Temperature>,
    pub symptoms: Symptoms,
    /// The store's number of the place, when the report names one.
    pub pid: Option<i64>,
    pub reporter: Option<Reporter>,
    pub record_id: Option<String>,
}

/// Every registry row in the store.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    pub regions: Vec<RegionRow>,
    pub region_shapes: Vec<RegionShapeRow>,
    pub places: Vec<PlaceRow>,
    pub persons: Vec<PersonRow>,
    pub vehicles: Vec<VehicleRow>,
    pub areas: Vec<AreaRow>,
    pub cases: Vec<CaseRow>,
    pub sources: Vec<SourceRow>,
}

impl Registry {
    /// Resolves subjects against these persons and vehicles (CONTRACT.md, "Who a sighting is").
    pub fn resolver(&self) -> crate::Resolver {
        crate::Resolver::new(
            self.persons.iter().map(|p| {
                (
                    p.person_id.as_str(),
                    p.id_number.as_str(),
                    p.phone.as_deref(),
                )
            }),
            self.vehicles
                .iter()
                .map(|v| (v.plate.as_str(), v.owner_id_number.as_str())),
        )
    }
}

/// Registry rows to insert or replace, one transaction.
#[derive(Clone, Debug, Default)]
pub struct RegistryBatch {
    pub regions: Vec<RegionRow>,
    pub region_shapes: Vec<RegionShapeRow>,
    pub places: Vec<PlaceRow>,
    pub persons: Vec<PersonRow>,
    pub vehicles: Vec<VehicleRow>,
    pub areas: Vec<AreaRow>,
    pub cases: Vec<CaseRow>,
}

impl RegistryBatch {
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
            && self.region_shapes.is_empty()
            && self.places.is_empty()
            && self.persons.is_empty()
            && self.vehicles.is_empty()
            && self.areas.is_empty()
            && self.cases.is_empty()
    }
}

/// Event rows, one transaction: places and sources first (train cars met for the first time),
/// then sightings, deliveries and health reports.
#[derive(Clone, Debug, Default)]
pub struct EventBatch {
    pub places: Vec<PlaceRow>,
    pub sources: Vec<SourceRow>,
    pub sightings: Vec<SightingRow>,
    pub deliveries: Vec<DeliveryRow>,
    pub health_reports: Vec<HealthReportRow>,
}

impl EventBatch {
    pub fn len(&self) -> usize {
        self.sightings.len() + self.deliveries.len() + self.health_reports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.places.is_empty() && self.sources.is_empty()
    }

    pub fn clear(&mut self) {
        self.places.clear();
        self.sources.clear();
        self.sightings.clear();
        self.deliveries.clear();
        self.health_reports.clear();
    }
}

/// A row a live feed rejected (or a message it could not read at all, `line` 0), kept for the
/// command centre.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedRejectRow {
    /// When the message arrived (epoch milliseconds).
    pub received: Millis,
    /// `http`, `mqtt` or `nats`.
    pub route: String,
    /// The user of an HTTP feed, the topic or subject of a broker's message.
    pub source: String,
    /// The kind the sender named.
    pub kind: String,
    pub line: u64,
    pub reason: String,
    pub record: String,
}
