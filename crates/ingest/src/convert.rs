//! Turns a row of a drop into store rows, applying every rule of CONTRACT.md section 1 against
//! what is already known (the store's registries plus what this import accepted so far). A row
//! either becomes rows, is a duplicate of what is known, or is rejected with every reason found,
//! each naming the field and the rule so that a clerk can fix it.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// Registry lookups happen several times a row; FxHash hashes short keys far faster than
/// SipHash, and the keys are the drop's own values, not an attacker's choice of collisions.
type HashMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// Row identities are already uniform 128-bit hashes: their low half is the bucket hash.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

use tracegrid_model::rows::*;
use tracegrid_model::{
    CaseStatus, Direction, IdNumber, Level, Millis, PharmacyCategory, Phone, PlaceKind, Plate,
    Reporter, Risk, SubjectType, Symptoms, Temperature, TimeError, TimeReader,
};
use xxhash_rust::xxh3::xxh3_128;

use crate::drop::FileKind;
use crate::read::Row;

/// What became of a row.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// New or changed: it goes to the store.
    Accepted,
    /// Already in the store, or earlier in this import.
    Duplicate,
}

/// A region as the importer needs it: its parent, and a hash of the whole row.
#[derive(Clone, Debug)]
struct RegionInfo {
    parent: Option<String>,
    hash: u64,
}

/// The registries as they stand: the store's, updated by every row accepted in this import.
#[derive(Debug, Default)]
pub struct Known {
    regions: HashMap<String, RegionInfo>,
    shapes: HashMap<String, u64>,
    places: HashMap<String, (i64, u64)>,
    next_pid: i64,
    persons: HashMap<String, (String, u64)>,
    /// id_number → person_id, to keep id_number unique across persons.
    id_numbers: HashMap<String, String>,
    vehicles: HashMap<String, u64>,
    areas: HashMap<String, u64>,
    cases: HashMap<String, u64>,
    sources: HashMap<String, i64>,
    next_source: i64,
}

impl Known {
    pub fn new(reg: &Registry) -> Known {
        let mut k = Known::default();
        for r in &reg.regions {
            k.regions.insert(
                r.code.clone(),
                RegionInfo {
                    parent: r.parent_code.clone(),
                    hash: r.content_hash(),
                },
            );
        }
        for r in &reg.region_shapes {
            k.shapes.insert(r.code.clone(), r.content_hash());
        }
        for p in &reg.places {
            k.places
                .insert(p.place_id.clone(), (p.pid, p.content_hash()));
            k.next_pid = k.next_pid.max(p.pid + 1);
        }
        for p in &reg.persons {
            k.persons
                .insert(p.person_id.clone(), (p.id_number.clone(), p.content_hash()));
            k.id_numbers
                .insert(p.id_number.clone(), p.person_id.clone());
        }
        for v in &reg.vehicles {
            k.vehicles.insert(v.plate.clone(), v.content_hash());
        }
        for a in &reg.areas {
            k.areas.insert(a.area_id.clone(), a.content_hash());
        }
        for c in &reg.cases {
            k.cases.insert(c.subject.clone(), c.content_hash());
        }
        for s in &reg.sources {
            k.sources.insert(s.name.clone(), s.id);
            k.next_source = k.next_source.max(s.id + 1);
        }
        k.next_pid = k.next_pid.max(1);
        k.next_source = k.next_source.max(1);
        k
    }

    pub fn has_region(&self, code: &str) -> bool {
        self.regions.contains_key(code)
    }

    /// Notes areas and cases kept by another way in (the server's own forms), so that the same
    /// row arriving later counts as a duplicate.
    pub fn remember(&mut self, b: &RegistryBatch) {
        for a in &b.areas {
            self.areas.insert(a.area_id.clone(), a.content_hash());
        }
        for c in &b.cases {
            self.cases.insert(c.subject.clone(), c.content_hash());
        }
    }

    fn source_id(&mut self, name: &str, batch: &mut EventBatch) -> i64 {
        if let Some(id) = self.sources.get(name) {
            return *id;
        }
        let id = self.next_source;
        self.next_source += 1;
        self.sources.insert(name.to_owned(), id);
        batch.sources.push(SourceRow {
            id,
            name: name.to_owned(),
        });
        id
    }
}

/// What a row's region codes are checked against: the registries of an import ([`Known`]), or
/// a loaded city's.
pub trait Regions {
    fn has_region(&self, code: &str) -> bool;
}

impl Regions for Known {
    fn has_region(&self, code: &str) -> bool {
        Known::has_region(self, code)
    }
}

/// Reads a row's fields by name and gathers what is wrong with them.
struct Check<'r> {
    row: &'r Row,
    names: &'static [&'static str],
    errs: Vec<String>,
}

impl<'r> Check<'r> {
    fn new(row: &'r Row, kind: FileKind) -> Check<'r> {
        Check {
            row,
            names: kind.fields(),
            errs: Vec::new(),
        }
    }

    fn raw(&self, name: &str) -> Option<&'r str> {
        let slot = self
            .names
            .iter()
            .position(|n| *n == name)
            .expect("field of this kind");
        self.row.get(slot)
    }

    /// An optional field: `None` when absent or empty.
    fn opt(&self, name: &str) -> Option<&'r str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    fn req(&mut self, name: &str) -> Option<&'r str> {
        match self.raw(name) {
            None => {
                self.errs.push(format!("required field {name} is missing"));
                None
            }
            Some("") => {
                self.errs.push(format!("required field {name} is empty"));
                None
            }
            Some(v) => Some(v),
        }
    }

    fn fail(&mut self, reason: String) {
        self.errs.push(reason);
    }

    fn check<T>(&mut self, r: Result<T, String>) -> Option<T> {
        r.map_err(|e| self.errs.push(e)).ok()
    }

    fn id_number(&mut self, name: &str, required: bool) -> Option<String> {
        let v = if required {
            self.req(name)?
        } else {
            self.opt(name)?
        };
        let r = IdNumber::parse(v).map_err(|e| rename(e, "id_number", name));
        self.check(r).map(|i| i.as_str().to_owned())
    }

    fn phone(&mut self, name: &str, required: bool) -> Option<String> {
        let v = if required {
            self.req(name)?
        } else {
            self.opt(name)?
        };
        let r = Phone::parse(v).map_err(|e| rename(e, "phone", name));
        self.check(r).map(|p| p.as_str().to_owned())
    }

    fn plate(&mut self, name: &str) -> Option<String> {
        let v = self.req(name)?;
        let r = Plate::parse(v).map_err(|e| rename(e, "plate", name));
        self.check(r).map(|p| p.as_str().to_owned())
    }

    fn time(&mut self, name: &str, required: bool, tr: &mut TimeReader) -> Option<Millis> {
        let v = if required {
            self.req(name)?
        } else {
            self.opt(name)?
        };
        let r = tr.timestamp(v).map_err(|e| time_reason(name, v, e));
        self.check(r)
    }

    fn time_or_date(
        &mut self,
        name: &str,
        required: bool,
        end_of_day: bool,
        tr: &mut TimeReader,
    ) -> Option<Millis> {
        let v = if required {
            self.req(name)?
        } else {
            self.opt(name)?
        };
        let r = tr
            .time_or_date(v, end_of_day)
            .map_err(|e| time_reason(name, v, e));
        self.check(r)
    }

    /// `end` must not be before `start`.
    fn order(&mut self, start: (&str, Option<Millis>), end: (&str, Option<Millis>)) {
        if let ((s_name, Some(s)), (e_name, Some(e))) = (start, end)
            && e < s
        {
            let (sv, ev) = (
                self.opt(s_name).unwrap_or(""),
                self.opt(e_name).unwrap_or(""),
            );
            self.fail(format!("{e_name} {ev} is before {s_name} {sv}"));
        }
    }

    fn region(&mut self, name: &str, required: bool, known: &dyn Regions) -> Option<String> {
        let v = if required {
            self.req(name)?
        } else {
            self.opt(name)?
        };
        if known.has_region(v) {
            Some(v.to_owned())
        } else {
            self.fail(format!("{name} {v} is not a known region"));
            None
        }
    }

    fn place(&mut self, name: &str, known: &Known) -> Option<i64> {
        let v = self.req(name)?;
        match known.places.get(v) {
            Some((pid, _)) => Some(*pid),
            None => {
                self.fail(format!("{name} {v} is not a known place"));
                None
            }
        }
    }

    /// An optional place: `None` when empty, else a known place's number (a reject if unknown).
    fn opt_place(&mut self, name: &str, known: &Known) -> Result<Option<i64>, ()> {
        let Some(v) = self.opt(name) else {
            return Ok(None);
        };
        match known.places.get(v) {
            Some((pid, _)) => Ok(Some(*pid)),
            None => {
                self.fail(format!("{name} {v} is not a known place"));
                Err(())
            }
        }
    }

    fn coordinate(&mut self, name: &str, limit: f64) -> Option<f64> {
        let v = self.opt(name)?;
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && (-limit..=limit).contains(&x) => Some(x),
            Ok(_) => {
                self.fail(format!("{name} {v} is out of range [-{limit}, {limit}]"));
                None
            }
            Err(_) => {
                self.fail(format!("{name} {v} is not a number"));
                None
            }
        }
    }

    fn done(&self) -> Result<(), String> {
        if self.errs.is_empty() {
            Ok(())
        } else {
            Err(self.errs.join("; "))
        }
    }
}

/// The model's reasons name the value by its kind ("phone …"); a field may be called otherwise
/// ("recipient_phone …"), and one whose name does not say what it holds is named with its kind
/// ("subject (id_number) …").
fn rename(reason: String, kind: &str, field: &str) -> String {
    match reason.strip_prefix(kind) {
        Some(rest) if kind != field && field.contains(kind) => format!("{field}{rest}"),
        Some(rest) if kind != field => format!("{field} ({kind}){rest}"),
        _ => reason,
    }
}

fn time_reason(field: &str, value: &str, e: TimeError) -> String {
    format!("{field} {value}: {e}")
}

fn owned(v: Option<&str>) -> Option<String> {
    v.map(str::to_owned)
}

// ---------------------------------------------------------------- registries

/// Regions are checked together, after every regions file is read, because a parent may come
/// later in the drop than its children.
#[derive(Debug)]
pub struct PendingRegion {
    pub file: usize,
    pub line: u64,
    pub record: String,
    pub row: RegionRow,
}

/// Parses a regions row without looking at its parent.
pub fn region_row(row: &Row) -> Result<RegionRow, String> {
    let mut c = Check::new(row, FileKind::Regions);
    let code = c.req("code");
    let name = c.req("name");
    let parent = c.opt("parent_code");
    let level = c.req("level").and_then(|v| {
        let r = Level::parse("level", v);
        c.check(r)
    });
    c.done()?;
    if parent == code {
        return Err(format!(
            "parent_code {} is the region itself",
            parent.unwrap_or("")
        ));
    }
    Ok(RegionRow {
        code: code.unwrap().to_owned(),
        name: name.unwrap().to_owned(),
        parent_code: owned(parent),
        level: level.unwrap(),
    })
}

/// Accepts pending regions whose parent exists and would not make a cycle, repeating until no
/// more can be accepted, in file order. Returns, for each pending region, its outcome.
pub fn settle_regions(
    known: &mut Known,
    pending: &[PendingRegion],
) -> Vec<Result<Outcome, String>> {
    let mut result: Vec<Option<Result<Outcome, String>>> =
        (0..pending.len()).map(|_| None).collect();
    loop {
        let mut progress = false;
        for (i, p) in pending.iter().enumerate() {
            if result[i].is_some() {
                continue;
            }
            let r = &p.row;
            if let Some(parent) = &r.parent_code
                && (!known.regions.contains_key(parent) || makes_cycle(known, &r.code, parent))
            {
                continue;
            }
            let hash = r.content_hash();
            let outcome = match known.regions.get(&r.code) {
                Some(info) if info.hash == hash => Outcome::Duplicate,
                _ => Outcome::Accepted,
            };
            known.regions.insert(
                r.code.clone(),
                RegionInfo {
                    parent: r.parent_code.clone(),
                    hash,
                },
            );
            result[i] = Some(Ok(outcome));
            progress = true;
        }
        if !progress {
            break;
        }
    }
    result
        .into_iter()
        .zip(pending)
        .map(|(r, p)| {
            r.unwrap_or_else(|| {
                let parent = p.row.parent_code.as_deref().unwrap_or("");
                Err(if known.regions.contains_key(parent) {
                    format!(
                        "parent_code {parent} would make region {} its own ancestor",
                        p.row.code
                    )
                } else {
                    format!("parent_code {parent} is not a known region")
                })
            })
        })
        .collect()
}

fn makes_cycle(known: &Known, code: &str, parent: &str) -> bool {
    let mut at = Some(parent);
    let mut steps = 0;
    while let Some(c) = at {
        if c == code || steps > known.regions.len() {
            return true;
        }
        at = known.regions.get(c).and_then(|i| i.parent.as_deref());
        steps += 1;
    }
    false
}

/// Records a keyed registry row as known; if it is new or changed, queues it for the store.
fn settle<T>(
    map: &mut HashMap<String, u64>,
    key: &str,
    hash: u64,
    row: T,
    out: &mut Vec<T>,
) -> Outcome {
    match map.insert(key.to_owned(), hash) {
        Some(h) if h == hash => Outcome::Duplicate,
        _ => {
            out.push(row);
            Outcome::Accepted
        }
    }
}

/// Checks and applies one registry row (other than a region).
pub fn registry_row(
    kind: FileKind,
    row: &Row,
    geometry: Option<String>,
    known: &mut Known,
    tr: &mut TimeReader,
    out: &mut RegistryBatch,
) -> Result<Outcome, String> {
    let mut c = Check::new(row, kind);
    match kind {
        FileKind::Grids => {
            let code = c.region("code", true, known);
            c.done()?;
            let r = RegionShapeRow {
                code: code.unwrap(),
                geometry: geometry.unwrap_or_default(),
            };
            let (key, hash) = (r.code.clone(), r.content_hash());
            Ok(settle(
                &mut known.shapes,
                &key,
                hash,
                r,
                &mut out.region_shapes,
            ))
        }
        FileKind::Places => {
            let place_id = c.req("place_id");
            let kind = c.req("kind").and_then(|v| {
                let r = PlaceKind::parse("kind", v);
                c.check(r)
            });
            let lat = c.coordinate("lat", 90.0);
            let lon = c.coordinate("lon", 180.0);
            if c.opt("lat").is_some() != c.opt("lon").is_some() {
                c.fail("lat and lon must be given together".into());
            }
            let region_code = c.region("region_code", true, known);
            let grid_code = c.region("grid_code", false, known);
            c.done()?;
            let place_id = place_id.unwrap().to_owned();
            let mut p = PlaceRow {
                pid: 0,
                kind: kind.unwrap(),
                name: owned(c.opt("name")),
                lat,
                lon,
                region_code,
                grid_code,
                place_id,
            };
            let hash = p.content_hash();
            match known.places.get(&p.place_id) {
                Some((_, h)) if *h == hash => Ok(Outcome::Duplicate),
                Some((pid, _)) => {
                    p.pid = *pid;
                    known.places.insert(p.place_id.clone(), (p.pid, hash));
                    out.places.push(p);
                    Ok(Outcome::Accepted)
                }
                None => {
                    p.pid = known.next_pid;
                    known.next_pid += 1;
                    known.places.insert(p.place_id.clone(), (p.pid, hash));
                    out.places.push(p);
                    Ok(Outcome::Accepted)
                }
            }
        }
        FileKind::Persons => {
            let person_id = c.req("person_id");
            let id_number = c.id_number("id_number", true);
            let phone = c.phone("phone", false);
            let grid_code = c.region("grid_code", false, known);
            if let (Some(pid), Some(id)) = (person_id, &id_number)
                && let Some(owner) = known.id_numbers.get(id).filter(|o| o.as_str() != pid)
            {
                c.fail(format!("id_number {id} already belongs to person {owner}"));
            }
            c.done()?;
            let p = PersonRow {
                person_id: person_id.unwrap().to_owned(),
                id_number: id_number.unwrap(),
                name: owned(c.opt("name")),
                phone,
                household_id: owned(c.opt("household_id")),
                address: owned(c.opt("address")),
                grid_code,
            };
            let hash = p.content_hash();
            if let Some((old_id, h)) = known.persons.get(&p.person_id) {
                if *h == hash {
                    return Ok(Outcome::Duplicate);
                }
                if *old_id != p.id_number {
                    known.id_numbers.remove(old_id);
                }
            }
            known
                .persons
                .insert(p.person_id.clone(), (p.id_number.clone(), hash));
            known
                .id_numbers
                .insert(p.id_number.clone(), p.person_id.clone());
            out.persons.push(p);
            Ok(Outcome::Accepted)
        }
        FileKind::Vehicles => {
            let plate = c.plate("plate");
            let owner = c.id_number("owner_id_number", true);
            c.done()?;
            let v = VehicleRow {
                plate: plate.unwrap(),
                owner_id_number: owner.unwrap(),
            };
            let (key, hash) = (v.plate.clone(), v.content_hash());
            Ok(settle(
                &mut known.vehicles,
                &key,
                hash,
                v,
                &mut out.vehicles,
            ))
        }
        FileKind::Areas | FileKind::AreasGeo => {
            let a = area_row(kind, row, geometry, known, tr)?;
            let (key, hash) = (a.area_id.clone(), a.content_hash());
            Ok(settle(&mut known.areas, &key, hash, a, &mut out.areas))
        }
        FileKind::Cases => {
            let k = case_row(row, tr)?;
            let (key, hash) = (k.subject.clone(), k.content_hash());
            Ok(settle(&mut known.cases, &key, hash, k, &mut out.cases))
        }
        _ => unreachable!("{kind:?} is not a registry handled here"),
    }
}

/// Checks an epidemic area: a row of `areas` (by region) or the properties of an
/// `areas.geojson` feature with its checked `geometry`. The importer and the server's API both
/// come here, so an area is held to one set of rules however it arrives.
pub fn area_row(
    kind: FileKind,
    row: &Row,
    geometry: Option<String>,
    regions: &dyn Regions,
    tr: &mut TimeReader,
) -> Result<AreaRow, String> {
    let mut c = Check::new(row, kind);
    let area_id = c.req("area_id");
    let region_code = if kind == FileKind::Areas {
        c.region("region_code", true, regions)
    } else {
        None
    };
    let from = c.time_or_date("from", true, false, tr);
    let to = c.time_or_date("to", false, true, tr);
    c.order(("from", from), ("to", to));
    let risk = match c.opt("risk") {
        Some(v) => {
            let r = Risk::parse("risk", v);
            c.check(r)
        }
        None => Some(Risk::High),
    };
    c.done()?;
    Ok(AreaRow {
        area_id: area_id.unwrap().to_owned(),
        name: owned(c.opt("name")),
        region_code,
        geometry,
        from: from.unwrap(),
        to,
        risk: risk.unwrap(),
    })
}

/// Checks a case: a row of `cases`, from a file or the server's API alike.
pub fn case_row(row: &Row, tr: &mut TimeReader) -> Result<CaseRow, String> {
    let mut c = Check::new(row, FileKind::Cases);
    let subject = c.id_number("subject", true);
    let status = c.req("status").and_then(|v| {
        let r = CaseStatus::parse("status", v);
        c.check(r)
    });
    let onset = c.time_or_date("onset", false, false, tr);
    let confirmed = c.time_or_date("confirmed", true, false, tr);
    let isolated = c.time_or_date("isolated", false, true, tr);
    c.done()?;
    Ok(CaseRow {
        subject: subject.unwrap(),
        status: status.unwrap(),
        onset,
        confirmed: confirmed.unwrap(),
        isolated,
    })
}

// ---------------------------------------------------------------- events

/// Gathers one file's event rows into batches, refusing a row whose identity is already in the
/// batch (the store refuses those already stored).
#[derive(Debug, Default)]
pub struct EventOut {
    pub batch: EventBatch,
    keys: HashSet<u128, BuildHasherDefault<IdentityHasher>>,
    key_buf: Vec<u8>,
}

impl EventOut {
    pub fn clear(&mut self) {
        self.batch.clear();
        self.keys.clear();
    }

    /// The row's identity: `(source, record_id)` when the row has a record_id, else its content.
    fn identity(
        &mut self,
        kind: FileKind,
        source: &str,
        record_id: Option<&str>,
        content: &[&[u8]],
    ) -> u128 {
        let b = &mut self.key_buf;
        b.clear();
        let mut push = |s: &[u8]| {
            b.extend_from_slice(s);
            b.push(0x1f);
        };
        match record_id {
            Some(rid) => {
                push(b"record");
                push(source.as_bytes());
                push(rid.as_bytes());
            }
            None => {
                push(b"content");
                push(kind.label().as_bytes());
                content.iter().for_each(|c| push(c));
            }
        }
        xxh3_128(b)
    }

    /// Claims an identity in this batch; false if it was claimed already.
    fn claim(&mut self, id: u128) -> bool {
        self.keys.insert(id)
    }
}

fn part_key(id: u128, part: u8) -> RowKey {
    if part == 0 {
        return RowKey::from_u128(id);
    }
    let mut b = [0u8; 17];
    b[..16].copy_from_slice(&id.to_le_bytes());
    b[16] = part;
    RowKey::from_u128(xxh3_128(&b))
}

/// How many sightings a row of this kind becomes. Deliveries and health reports are counted by
/// their own rows instead (a delivery is no sighting; a health report is one with a place).
pub fn rows_per_record(kind: FileKind) -> u64 {
    if kind == FileKind::RailTickets { 3 } else { 1 }
}

fn source_of(kind: FileKind) -> &'static str {
    match kind {
        FileKind::RailTickets => "rail",
        FileKind::HotelStays => "hotel",
        FileKind::NetcafeSessions => "netcafe",
        FileKind::CheckpointPasses => "checkpoint",
        FileKind::Parking => "parking",
        FileKind::GateAccess => "gate",
        FileKind::PharmacySales => "pharmacy",
        FileKind::Deliveries => "delivery",
        FileKind::HealthReports => "health",
        _ => "",
    }
}

/// A subject checked by its type's rule; person_ids must be known persons.
fn subject(c: &mut Check<'_>, known: &Known) -> Option<(SubjectType, String)> {
    let st = c.req("subject_type").and_then(|v| {
        let r = SubjectType::parse("subject_type", v);
        c.check(r)
    });
    let value = c.req("subject")?;
    let st = st?;
    let r = match st {
        SubjectType::IdNumber => IdNumber::parse(value).map(|v| v.as_str().to_owned()),
        SubjectType::Phone => Phone::parse(value).map(|v| v.as_str().to_owned()),
        SubjectType::Plate => Plate::parse(value).map(|v| v.as_str().to_owned()),
        SubjectType::PersonId => {
            if known.persons.contains_key(value) {
                Ok(value.to_owned())
            } else {
                Err(format!("person_id {value} is not a known person"))
            }
        }
    };
    let r = r.map_err(|e| format!("subject {e}"));
    c.check(r).map(|v| (st, v))
}

/// Checks one event row and adds what it becomes to `out`.
pub fn event_row(
    kind: FileKind,
    row: &Row,
    known: &mut Known,
    tr: &mut TimeReader,
    out: &mut EventOut,
) -> Result<Outcome, String> {
    let mut c = Check::new(row, kind);
    let record_id = c.opt("record_id");
    if kind == FileKind::Deliveries {
        let phone = c.phone("recipient_phone", true);
        let origin = c.region("origin_region_code", true, known);
        let shipped = c.time("shipped", true, tr);
        let delivered = c.time("delivered", false, tr);
        c.order(("shipped", shipped), ("delivered", delivered));
        c.done()?;
        let (phone, origin, shipped) = (phone.unwrap(), origin.unwrap(), shipped.unwrap());
        let id = out.identity(
            kind,
            "delivery",
            record_id,
            &[
                phone.as_bytes(),
                origin.as_bytes(),
                &shipped.to_le_bytes(),
                &delivered.map_or([0xff; 8], i64::to_le_bytes),
            ],
        );
        if !out.claim(id) {
            return Ok(Outcome::Duplicate);
        }
        out.batch.deliveries.push(DeliveryRow {
            key: RowKey::from_u128(id),
            recipient_phone: phone,
            origin_region_code: origin,
            shipped,
            delivered,
            record_id: owned(record_id),
        });
        return Ok(Outcome::Accepted);
    }

    if kind == FileKind::HealthReports {
        return health_report(c, known, tr, out, record_id);
    }

    if kind == FileKind::RailTickets {
        let id_number = c.id_number("id_number", true);
        let train = c.req("train");
        let car = c.req("car");
        let from = c.place("from_station", known);
        let to = c.place("to_station", known);
        let depart = c.time("depart", true, tr);
        let arrive = c.time("arrive", true, tr);
        c.order(("depart", depart), ("arrive", arrive));
        c.done()?;
        let (id_number, train, car) = (id_number.unwrap(), train.unwrap(), car.unwrap());
        let (depart, arrive) = (depart.unwrap(), arrive.unwrap());
        let content: [&[u8]; 8] = [
            id_number.as_bytes(),
            train.as_bytes(),
            car.as_bytes(),
            c.opt("seat").unwrap_or("").as_bytes(),
            c.opt("from_station").unwrap_or("").as_bytes(),
            c.opt("to_station").unwrap_or("").as_bytes(),
            &depart.to_le_bytes(),
            &arrive.to_le_bytes(),
        ];
        let id = out.identity(kind, "rail", record_id, &content);
        if !out.claim(id) {
            return Ok(Outcome::Duplicate);
        }
        let car_place = format!("{train}@{}#{car}", tr.local_date(depart));
        let car_pid = match known.places.get(&car_place) {
            Some((pid, _)) => *pid,
            None => {
                let p = PlaceRow {
                    pid: known.next_pid,
                    place_id: car_place.clone(),
                    kind: PlaceKind::TrainCar,
                    name: None,
                    lat: None,
                    lon: None,
                    region_code: None,
                    grid_code: None,
                };
                known.next_pid += 1;
                known.places.insert(car_place, (p.pid, p.content_hash()));
                let pid = p.pid;
                out.batch.places.push(p);
                pid
            }
        };
        let source_id = known.source_id("rail", &mut out.batch);
        let legs = [
            (from.unwrap(), depart, depart),
            (car_pid, depart, arrive),
            (to.unwrap(), arrive, arrive),
        ];
        for (part, (pid, start, end)) in legs.into_iter().enumerate() {
            out.batch.sightings.push(SightingRow {
                key: part_key(id, part as u8),
                source_id,
                subject_type: SubjectType::IdNumber,
                subject: id_number.clone(),
                pid,
                start,
                end,
                tag: 0,
                record_id: owned(record_id),
            });
        }
        return Ok(Outcome::Accepted);
    }

    // Every other event kind is one sighting: who, where, from when to when, and a tag.
    let (source, subject) = match kind {
        FileKind::Sightings => (c.req("source"), subject(&mut c, known)),
        FileKind::GateAccess => (Some("gate"), subject(&mut c, known)),
        FileKind::CheckpointPasses | FileKind::Parking => (
            Some(source_of(kind)),
            c.plate("plate").map(|p| (SubjectType::Plate, p)),
        ),
        _ => (
            Some(source_of(kind)),
            c.id_number("id_number", true)
                .map(|i| (SubjectType::IdNumber, i)),
        ),
    };
    let pid = c.place("place_id", known);
    let (start_name, end_name) = match kind {
        FileKind::Sightings | FileKind::NetcafeSessions => ("start", Some("end")),
        FileKind::HotelStays => ("checkin", Some("checkout")),
        FileKind::Parking => ("enter", Some("exit")),
        _ => ("time", None),
    };
    let start = c.time(start_name, true, tr);
    let end = end_name.and_then(|n| c.time(n, kind == FileKind::NetcafeSessions, tr));
    if let Some(n) = end_name {
        c.order((start_name, start), (n, end));
    }
    let tag = match kind {
        FileKind::CheckpointPasses | FileKind::GateAccess => match c.opt("direction") {
            Some(v) => {
                let r = Direction::parse("direction", v).map_err(|_| {
                    format!("direction {v:?} is not a direction (use in, out, or leave it empty)")
                });
                c.check(r).map_or(0, Direction::code)
            }
            None => 0,
        },
        FileKind::PharmacySales => c
            .req("category")
            .and_then(|v| {
                let r = PharmacyCategory::parse("category", v);
                c.check(r)
            })
            .map_or(0, PharmacyCategory::code),
        _ => 0,
    };
    c.done()?;
    let (source, (subject_type, subject), pid, start) = (
        source.unwrap(),
        subject.unwrap(),
        pid.unwrap(),
        start.unwrap(),
    );
    let end = end.unwrap_or(start);
    let place = c.opt("place_id").unwrap_or("");
    let id = out.identity(
        kind,
        source,
        record_id,
        &[
            source.as_bytes(),
            &[subject_type.code() as u8],
            subject.as_bytes(),
            place.as_bytes(),
            &start.to_le_bytes(),
            &end.to_le_bytes(),
            &[tag as u8],
        ],
    );
    if !out.claim(id) {
        return Ok(Outcome::Duplicate);
    }
    let source_id = known.source_id(source, &mut out.batch);
    out.batch.sightings.push(SightingRow {
        key: RowKey::from_u128(id),
        source_id,
        subject_type,
        subject,
        pid,
        start,
        end,
        tag,
        record_id: owned(record_id),
    });
    Ok(Outcome::Accepted)
}

/// A row of `health_reports` (CONTRACT.md section 9): a health report, and with a place also a
/// point sighting of source `health` at that place and time. Both carry the row's identity, each
/// in its own table; a `sightings` row of source `health` with the same record_id is the same
/// sighting, as `(source, record_id)` says.
fn health_report(
    mut c: Check<'_>,
    known: &mut Known,
    tr: &mut TimeReader,
    out: &mut EventOut,
    record_id: Option<&str>,
) -> Result<Outcome, String> {
    let kind = FileKind::HealthReports;
    let id_number = c.id_number("id_number", true);
    let time = c.time("time", true, tr);
    let temperature = match c.opt("temperature") {
        Some(v) => {
            let r = Temperature::parse("temperature", v);
            c.check(r).map(Some)
        }
        None => Some(None),
    };
    let symptoms = match c.opt("symptoms") {
        Some(v) => {
            let r = Symptoms::parse("symptoms", v);
            c.check(r)
        }
        None => Some(Symptoms::NONE),
    };
    let pid = c.opt_place("place_id", known);
    let reporter = match c.opt("reporter") {
        Some(v) => {
            let r = Reporter::parse("reporter", v).map_err(|_| {
                format!(
                    "reporter {v:?} is not a reporter (use self, enterprise, gate, grid_worker, \
                     clinic, or leave it empty)"
                )
            });
            c.check(r).map(Some)
        }
        None => Some(None),
    };
    c.done()?;
    let (id_number, time) = (id_number.unwrap(), time.unwrap());
    let (temperature, symptoms, reporter) =
        (temperature.unwrap(), symptoms.unwrap(), reporter.unwrap());
    let pid = pid.unwrap_or(None);
    let place = c.opt("place_id").unwrap_or("");
    let source = source_of(kind);
    let id = out.identity(
        kind,
        source,
        record_id,
        &[
            id_number.as_bytes(),
            &time.to_le_bytes(),
            &temperature.map_or([0xff; 8], |t| t.tenths().to_le_bytes()),
            &[symptoms.bits() as u8],
            place.as_bytes(),
            &[reporter.map_or(0, Reporter::code) as u8],
        ],
    );
    if !out.claim(id) {
        return Ok(Outcome::Duplicate);
    }
    if let Some(pid) = pid {
        let source_id = known.source_id(source, &mut out.batch);
        out.batch.sightings.push(SightingRow {
            key: RowKey::from_u128(id),
            source_id,
            subject_type: SubjectType::IdNumber,
            subject: id_number.clone(),
            pid,
            start: time,
            end: time,
            tag: 0,
            record_id: owned(record_id),
        });
    }
    out.batch.health_reports.push(HealthReportRow {
        key: RowKey::from_u128(id),
        id_number,
        time,
        temperature,
        symptoms,
        pid,
        reporter,
        record_id: owned(record_id),
    });
    Ok(Outcome::Accepted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drop::Format;
    use crate::read::{Encoding, Next, RecordReader};

    /// Reads one CSV line as a row of `kind` (header: the kind's fields in order).
    fn row(kind: FileKind, line: &str) -> Row {
        let text = format!("{}\n{line}\n", kind.fields().join(","));
        let input = Box::new(std::io::Cursor::new(text.into_bytes()));
        let mut r = RecordReader::new(input, Format::Csv, Encoding::Utf8, kind.fields()).unwrap();
        let mut row = Row::default();
        assert!(matches!(r.next(&mut row).unwrap(), Next::Row));
        row
    }

    fn known() -> Known {
        Known::new(&Registry {
            regions: vec![RegionRow {
                code: "R".into(),
                name: "X".into(),
                parent_code: None,
                level: Level::City,
            }],
            places: vec![PlaceRow {
                pid: 1,
                place_id: "S".into(),
                kind: PlaceKind::Bus,
                name: None,
                lat: None,
                lon: None,
                region_code: Some("R".into()),
                grid_code: None,
            }],
            persons: vec![PersonRow {
                person_id: "P1".into(),
                id_number: "11010519491231002X".into(),
                name: None,
                phone: None,
                household_id: None,
                address: None,
                grid_code: None,
            }],
            ..Registry::default()
        })
    }

    fn event(
        k: &mut Known,
        out: &mut EventOut,
        kind: FileKind,
        line: &str,
    ) -> Result<Outcome, String> {
        let mut tr = TimeReader::new(chrono_tz::Asia::Shanghai);
        event_row(kind, &row(kind, line), k, &mut tr, out)
    }

    #[test]
    fn content_identity_is_of_normalised_values() {
        let (mut k, mut out) = (known(), EventOut::default());
        let kind = FileKind::Sightings;
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "cam,plate,浙H·12345,S,2020-01-23 14:05,,"
            ),
            Ok(Outcome::Accepted)
        );
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "cam,plate,浙h12345,S,2020-01-23T06:05:00Z,2020-01-23 14:05,"
            ),
            Ok(Outcome::Duplicate)
        );
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "cam,plate,浙H12345,S,2020-01-23 14:06,,"
            ),
            Ok(Outcome::Accepted)
        );
        assert_eq!(out.batch.sightings[0].subject, "浙H12345");
        assert_eq!(out.batch.sightings.len(), 2);
    }

    #[test]
    fn record_ids_are_per_source() {
        let (mut k, mut out) = (known(), EventOut::default());
        let kind = FileKind::Sightings;
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "a,person_id,P1,S,2020-01-23 14:05,,7"
            ),
            Ok(Outcome::Accepted)
        );
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "a,person_id,P1,S,2020-01-24 14:05,,7"
            ),
            Ok(Outcome::Duplicate)
        );
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "b,person_id,P1,S,2020-01-23 14:05,,7"
            ),
            Ok(Outcome::Accepted)
        );
        // A hotel stay's source is `hotel`, whatever the file.
        let hotel = FileKind::HotelStays;
        assert_eq!(
            event(
                &mut k,
                &mut out,
                hotel,
                "11010519491231002X,S,2020-01-23 14:05,,7"
            ),
            Ok(Outcome::Accepted)
        );
        assert_eq!(
            event(
                &mut k,
                &mut out,
                FileKind::Sightings,
                "hotel,id_number,11010519491231002X,S,2020-01-25 14:05,,7"
            ),
            Ok(Outcome::Duplicate)
        );
    }

    #[test]
    fn subjects_follow_their_type_rule() {
        let (mut k, mut out) = (known(), EventOut::default());
        let kind = FileKind::GateAccess;
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "phone,+86 13800000000,S,2020-01-23 14:05,,"
            ),
            Ok(Outcome::Accepted)
        );
        assert_eq!(out.batch.sightings[0].subject, "13800000000");
        let err = event(
            &mut k,
            &mut out,
            kind,
            "id_number,110105194912310021,S,2020-01-23 14:05,in,",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "subject id_number 110105194912310021: check digit should be X"
        );
        let err = event(
            &mut k,
            &mut out,
            kind,
            "plate,浙H1234,S,2020-01-23 14:05,out,",
        )
        .unwrap_err();
        assert!(err.starts_with("subject plate 浙H1234:"), "{err}");
        // Every problem of a row is named at once.
        let err = event(&mut k, &mut out, kind, "person_id,P9,NOWHERE,later,up,").unwrap_err();
        assert_eq!(err.split("; ").count(), 4, "{err}");
    }

    #[test]
    fn deliveries_need_order_and_a_known_origin() {
        let (mut k, mut out) = (known(), EventOut::default());
        let kind = FileKind::Deliveries;
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "13800000000,R,2020-01-20 10:00,2020-01-21 10:00,"
            ),
            Ok(Outcome::Accepted)
        );
        let err = event(
            &mut k,
            &mut out,
            kind,
            "13800000000,R,2020-01-20 10:00,2020-01-19 10:00,",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "delivered 2020-01-19 10:00 is before shipped 2020-01-20 10:00"
        );
        let err = event(&mut k, &mut out, kind, "1380000000,Q,2020-01-20 10:00,,").unwrap_err();
        assert!(
            err.contains("recipient_phone 1380000000: must be 11 digits")
                && err.contains("origin_region_code Q is not a known region"),
            "{err}"
        );
        assert_eq!(out.batch.deliveries.len(), 1);
    }

    #[test]
    fn health_reports_check_each_field_and_say_which_rule() {
        let (mut k, mut out) = (known(), EventOut::default());
        let kind = FileKind::HealthReports;
        let mut reject = |line: &str| event(&mut k, &mut out, kind, line).unwrap_err();
        assert_eq!(
            reject("11010519491231002X,2020-01-23 08:00,37.25,,,,"),
            "temperature 37.25 has more than one decimal: give it to a tenth of a degree, such as 37.3"
        );
        assert_eq!(
            reject("11010519491231002X,2020-01-23 08:00,43.5,,,,"),
            "temperature 43.5 is out of range: degrees Celsius from 34.0 to 43.0"
        );
        assert!(reject("11010519491231002X,2020-01-23 08:00,high,,,,").contains("is not a number"));
        let err = reject("11010519491231002X,2020-01-23 08:00,,cough;headache,,,");
        assert!(
            err.starts_with("symptoms \"headache\" is not a symptom")
                && err.contains("fever, cough, fatigue, sore_throat, shortness_of_breath, diarrhea, loss_of_smell_or_taste joined by ;"),
            "{err}"
        );
        assert_eq!(
            reject("11010519491231002X,2020-01-23 08:00,,,NOWHERE,,"),
            "place_id NOWHERE is not a known place"
        );
        assert_eq!(
            reject("11010519491231002X,2020-01-23 08:00,,,,doctor,"),
            "reporter \"doctor\" is not a reporter (use self, enterprise, gate, grid_worker, clinic, or leave it empty)"
        );
        let err = reject("110105194912310021,2020-01-23,,,,,");
        assert!(
            err.starts_with(
                "id_number 110105194912310021: check digit should be X; time 2020-01-23: a date alone is not enough"
            ),
            "{err}"
        );
        assert_eq!(
            reject(",,,,,,"),
            "required field id_number is empty; required field time is empty"
        );
        assert!(out.batch.is_empty(), "a rejected row leaves nothing");
    }

    #[test]
    fn a_health_report_with_a_place_is_also_a_point_sighting_of_source_health() {
        let (mut k, mut out) = (known(), EventOut::default());
        let kind = FileKind::HealthReports;
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "11010519491231002x,2020-01-23 08:00,37.3,Fever;COUGH,S,Gate,G-1"
            ),
            Ok(Outcome::Accepted)
        );
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "11010519491231002X,2020-01-24 08:00,36.5,,,self,"
            ),
            Ok(Outcome::Accepted)
        );
        let [with_place, without] = &out.batch.health_reports[..] else {
            panic!("two reports: {:?}", out.batch.health_reports);
        };
        assert_eq!(with_place.id_number, "11010519491231002X");
        assert_eq!(with_place.temperature, Some(Temperature::from_tenths(373)));
        assert_eq!(with_place.symptoms.to_string(), "fever;cough");
        assert_eq!(
            (with_place.pid, with_place.reporter),
            (Some(1), Some(Reporter::Gate))
        );
        assert_eq!(
            (without.pid, without.reporter, without.symptoms),
            (None, Some(Reporter::SelfReport), Symptoms::NONE)
        );
        // Only the report with a place is a sighting: a point at its place and time.
        let [sighting] = &out.batch.sightings[..] else {
            panic!("one sighting: {:?}", out.batch.sightings);
        };
        assert_eq!(
            (sighting.pid, sighting.start, sighting.end),
            (1, with_place.time, with_place.time)
        );
        assert_eq!(
            (sighting.subject_type, sighting.subject.as_str()),
            (SubjectType::IdNumber, "11010519491231002X")
        );
        assert_eq!(sighting.key, with_place.key);
        assert_eq!(
            out.batch
                .sources
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["health"]
        );
        // Empty optional fields are no temperature, no symptom, no reporter.
        assert_eq!(
            event(
                &mut k,
                &mut out,
                kind,
                "11010519491231002X,2020-01-25 08:00,,,,,"
            ),
            Ok(Outcome::Accepted)
        );
        let bare = out.batch.health_reports.last().unwrap();
        assert_eq!(
            (bare.temperature, bare.symptoms, bare.pid, bare.reporter),
            (None, Symptoms::NONE, None, None)
        );
    }

    #[test]
    fn health_reports_are_the_same_row_by_record_id_or_by_content() {
        let (mut k, mut out) = (known(), EventOut::default());
        let kind = FileKind::HealthReports;
        let mut row = |line: &str| event(&mut k, &mut out, kind, line);
        assert_eq!(
            row("11010519491231002X,2020-01-23 08:00,37.3,cough,S,,R1"),
            Ok(Outcome::Accepted)
        );
        // (source, record_id): the same report however its fields read now.
        assert_eq!(
            row("11010519491231002X,2020-01-23 09:00,36.6,,,,R1"),
            Ok(Outcome::Duplicate)
        );
        // Content: the same values, however written.
        assert_eq!(
            row("11010519491231002X,2020-01-23 08:00,37.30,COUGH;,S,,"),
            Ok(Outcome::Accepted)
        );
        assert_eq!(
            row("11010519491231002x,2020-01-23T00:00:00Z,37.3,cough,S,,"),
            Ok(Outcome::Duplicate)
        );
        assert_eq!(
            row("11010519491231002X,2020-01-23 08:00,37.3,cough,S,self,"),
            Ok(Outcome::Accepted)
        );
        assert_eq!(out.batch.health_reports.len(), 3);
        assert_eq!(out.batch.sightings.len(), 3);
        // A sightings row of source health with the report's record_id is its sighting.
        assert_eq!(
            event(
                &mut k,
                &mut out,
                FileKind::Sightings,
                "health,id_number,11010519491231002X,S,2020-01-23 08:00,,R1"
            ),
            Ok(Outcome::Duplicate)
        );
    }

    #[test]
    fn an_id_number_can_move_between_persons_in_file_order() {
        let mut k = known();
        let mut tr = TimeReader::new(chrono_tz::Asia::Shanghai);
        let mut out = RegistryBatch::default();
        let mut person = |line: &str, k: &mut Known| {
            registry_row(
                FileKind::Persons,
                &row(FileKind::Persons, line),
                None,
                k,
                &mut tr,
                &mut out,
            )
        };
        // P2 cannot take P1's number while P1 holds it …
        let err = person("P2,11010519491231002X,,,,,", &mut k).unwrap_err();
        assert_eq!(
            err,
            "id_number 11010519491231002X already belongs to person P1"
        );
        // … but can once P1 has another.
        assert_eq!(
            person("P1,330802198001100003,,,,,", &mut k),
            Ok(Outcome::Accepted)
        );
        assert_eq!(
            person("P2,11010519491231002X,,,,,", &mut k),
            Ok(Outcome::Accepted)
        );
        assert_eq!(
            person("P2,11010519491231002X,,,,,", &mut k),
            Ok(Outcome::Duplicate)
        );
    }

    #[test]
    fn netcafe_sessions_need_an_end_and_pharmacy_sales_a_category() {
        let (mut k, mut out) = (known(), EventOut::default());
        let err = event(
            &mut k,
            &mut out,
            FileKind::NetcafeSessions,
            "11010519491231002X,S,2020-01-23 14:05,,",
        )
        .unwrap_err();
        assert_eq!(err, "required field end is empty");
        let err = event(
            &mut k,
            &mut out,
            FileKind::PharmacySales,
            "11010519491231002X,S,2020-01-23 14:05,,",
        )
        .unwrap_err();
        assert_eq!(err, "required field category is empty");
        assert_eq!(
            event(
                &mut k,
                &mut out,
                FileKind::PharmacySales,
                "11010519491231002X,S,2020-01-23 14:05,Antipyretic,"
            ),
            Ok(Outcome::Accepted)
        );
        assert_eq!(
            out.batch.sightings[0].tag,
            PharmacyCategory::Antipyretic.code()
        );
    }
}
