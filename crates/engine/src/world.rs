//! The in-memory index: everything screening and tracing read, laid out for lookups.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;
use tracegrid_model::rows::{
    AreaRow, CaseRow, DeliveryRow, HealthReportRow, PlaceRow, Registry, SightingRow,
};
use tracegrid_model::{CaseStatus, PlaceKind, Resolver, Risk, Subject, SubjectType, Tier};

use crate::Millis;
use crate::geo::{MultiPolygon, PointTree};

/// A subject's number in the world: a person or an unresolved `TYPE:VALUE`.
pub type SubjectId = u32;
pub(crate) type PlaceIx = u32;
pub(crate) type RegionIx = u32;

/// One sighting as the index keeps it: 24 bytes. Its place is where it lies: sightings are
/// stored in runs, one run a place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stored {
    pub start: Millis,
    pub end: Millis,
    pub subject: SubjectId,
    pub source: u16,
    /// Direction or pharmacy category code, as stored.
    pub tag: u8,
}

/// A sighting as the rules read it, with its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sighting {
    pub start: Millis,
    pub end: Millis,
    pub subject: SubjectId,
    pub place: PlaceIx,
    pub source: u16,
    pub tag: u8,
}

impl Stored {
    pub(crate) fn at(&self, place: PlaceIx) -> Sighting {
        Sighting {
            start: self.start,
            end: self.end,
            subject: self.subject,
            place,
            source: self.source,
            tag: self.tag,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Place {
    pub id: String,
    pub kind: PlaceKind,
    pub region: Option<RegionIx>,
    pub lonlat: Option<(f64, f64)>,
}

#[derive(Debug)]
pub(crate) struct Region {
    pub code: String,
    /// Euler-tour numbers: `r` is inside `a` when `a.enter <= r.enter && r.exit <= a.exit`.
    pub enter: u32,
    pub exit: u32,
}

#[derive(Debug)]
pub(crate) struct SubjectInfo {
    /// The contract's name: a person_id or `TYPE:VALUE`. Shared with the screening's order of
    /// alerts, whose ties it breaks.
    pub name: Arc<str>,
    pub person: Option<u32>,
}

#[derive(Debug)]
pub(crate) struct Person {
    pub id_number: String,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub grid_code: Option<String>,
    /// Index into `World::households`.
    pub household: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Case {
    pub subject: SubjectId,
    pub status: CaseStatus,
    pub onset: Option<Millis>,
    pub confirmed: Millis,
    pub isolated: Option<Millis>,
}

#[derive(Debug)]
pub(crate) struct Area {
    pub id: String,
    pub region: Option<RegionIx>,
    /// For a polygon area: the places (by index, sorted) that lie inside it.
    pub places_inside: Option<Vec<PlaceIx>>,
    /// For a polygon area: the polygon, for places added later.
    pub polygon: Option<MultiPolygon>,
    /// A region area whose region is not known covers nothing.
    pub from: Millis,
    pub to: Option<Millis>,
    pub risk: Risk,
}

/// A sighting clipped to a window, with its place's kind and contact tolerance τ.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clipped {
    pub place: PlaceIx,
    pub start: Millis,
    pub end: Millis,
    pub kind: PlaceKind,
    pub tau: Millis,
}

#[derive(Debug)]
pub(crate) struct Delivery {
    pub recipient: SubjectId,
    pub origin: Option<RegionIx>,
    pub shipped: Millis,
    pub delivered: Option<Millis>,
}

/// A health report that raises FEVER_REPORTED (a fever or a symptom): the world keeps no
/// other, since no other rule reads them (a city's daily reports are mostly unremarkable).
#[derive(Debug)]
pub(crate) struct HealthReport {
    pub subject: SubjectId,
    pub at: Millis,
    pub place: Option<PlaceIx>,
}

/// A world being built: registries read, sightings arriving.
#[derive(Debug)]
pub struct WorldBuilder<'r> {
    w: World,
    reg: &'r Registry,
    places: Lookup<PlaceIx>,
    sources: Lookup<u16>,
    /// Sightings as they arrive, with their place, until they are laid out in runs: one part
    /// for those added one by one, one for each core's share of those added at once.
    arriving: Vec<Vec<(PlaceIx, Stored)>>,
    /// Subjects already resolved, by a 128-bit hash of type and value as stored: most rows
    /// name a subject seen before, and this spares them the resolution.
    seen: HashMap<u128, SubjectId>,
}

/// A store's row ids (place pids, source ids) to the world's numbers: a table when the ids are
/// dense, as a database's are, else a hash map.
#[derive(Debug)]
struct Lookup<T> {
    dense: Vec<Option<T>>,
    sparse: HashMap<i64, T>,
}

impl<T: Copy> Lookup<T> {
    fn new(pairs: impl IntoIterator<Item = (i64, T)>) -> Lookup<T> {
        let pairs: Vec<(i64, T)> = pairs.into_iter().collect();
        let max = pairs.iter().map(|p| p.0).max().unwrap_or(0);
        let min = pairs.iter().map(|p| p.0).min().unwrap_or(0);
        if min >= 0 && (max as usize) < 4 * pairs.len() + 1024 {
            let mut dense = vec![None; max as usize + 1];
            for (k, v) in pairs {
                dense[k as usize] = Some(v);
            }
            Lookup {
                dense,
                sparse: HashMap::default(),
            }
        } else {
            Lookup {
                dense: Vec::new(),
                sparse: pairs.into_iter().collect(),
            }
        }
    }

    fn get(&self, k: i64) -> Option<T> {
        match usize::try_from(k).ok().and_then(|k| self.dense.get(k)) {
            Some(v) => *v,
            None => self.sparse.get(&k).copied(),
        }
    }
}

fn subject_key(s: &SightingRow) -> u128 {
    xxhash_rust::xxh3::xxh3_128_with_seed(s.subject.as_bytes(), s.subject_type.code() as u64)
}

/// What one core makes of its share of rows: their distinct subjects (hash, and the subject
/// the registry resolves it to), and the sightings with the subject as its number among those.
#[derive(Debug, Default)]
struct Share {
    distinct: Vec<(u128, Subject)>,
    sightings: Vec<(PlaceIx, Stored)>,
}

impl WorldBuilder<'_> {
    /// Adds one stored sighting, resolving its subject by the current registry.
    pub fn add(&mut self, s: &SightingRow) {
        let (Some(place), Some(source)) = (self.places.get(s.pid), self.sources.get(s.source_id))
        else {
            return;
        };
        let subject = match self.seen.get(&subject_key(s)) {
            Some(&id) => id,
            None => {
                let id = self.w.resolve(s.subject_type, &s.subject);
                self.seen.insert(subject_key(s), id);
                id
            }
        };
        if self.arriving.is_empty() {
            self.arriving.push(Vec::new());
        }
        if let Some(part) = self.arriving.first_mut() {
            part.push((place, stored(s, subject, source)));
        }
    }

    /// Adds many sightings at once, on every core: each core hashes its share's subjects and
    /// keeps their distinct ones, then the distinct ones are resolved in order.
    pub fn add_all(&mut self, rows: &[SightingRow]) {
        let chunks: Vec<&[SightingRow]> = rows
            .chunks(rows.len().div_ceil(crate::cores()).max(1))
            .collect();
        let shares = crate::parallel(&chunks, |_: &mut (), chunk| {
            let mut share = Share::default();
            let mut local: HashMap<u128, u32> = HashMap::default();
            share.sightings.reserve(chunk.len());
            for s in *chunk {
                let (Some(place), Some(source)) =
                    (self.places.get(s.pid), self.sources.get(s.source_id))
                else {
                    continue;
                };
                let next = local.len() as u32;
                let n = *local.entry(subject_key(s)).or_insert_with(|| {
                    let resolved = self.w.resolver.resolve(s.subject_type, &s.subject);
                    share.distinct.push((subject_key(s), resolved));
                    next
                });
                share.sightings.push((place, stored(s, n, source)));
            }
            share
        });
        for mut share in shares {
            let ids: Vec<SubjectId> = share
                .distinct
                .iter()
                .map(|(key, subject)| match self.seen.get(key) {
                    Some(&id) => id,
                    None => {
                        let id = self.w.intern_resolved(subject);
                        self.seen.insert(*key, id);
                        id
                    }
                })
                .collect();
            for (_, s) in &mut share.sightings {
                s.subject = ids[s.subject as usize];
            }
            self.arriving.push(share.sightings);
        }
    }

    /// Adds health reports (those that raise FEVER_REPORTED are kept), resolving their
    /// subjects by the current registry. A report's sighting, if it has a place, is one of the
    /// sightings.
    pub fn add_health_reports(&mut self, rows: &[HealthReportRow]) {
        self.w.add_reports(rows);
    }

    /// Lays the sightings out and adds cases, areas and deliveries.
    pub fn finish(self, deliveries: &[DeliveryRow]) -> World {
        let WorldBuilder {
            mut w,
            reg,
            arriving,
            ..
        } = self;
        w.lay_out(arriving);
        for c in &reg.cases {
            let subject = w.resolve(SubjectType::IdNumber, &c.subject);
            if c.status.is_active() {
                w.active_case.insert(subject, w.cases.len() as u32);
            }
            w.cases.push(Case {
                subject,
                status: c.status,
                onset: c.onset,
                confirmed: c.confirmed,
                isolated: c.isolated,
            });
        }
        for a in &reg.areas {
            w.add_area(a);
        }
        w.add_deliveries(deliveries);
        w
    }
}

/// Everything the rules look at, indexed.
#[derive(Debug, Default)]
pub struct World {
    pub(crate) places: Vec<Place>,
    pub(crate) regions: Vec<Region>,
    pub(crate) region_ix: HashMap<String, RegionIx>,
    pub(crate) subjects: Vec<SubjectInfo>,
    pub(crate) subject_ix: HashMap<String, SubjectId>,
    pub(crate) persons: Vec<Person>,
    pub(crate) households: Vec<Vec<SubjectId>>,
    /// Ordered by (place's slot, start): a place's sightings are a contiguous, time-ordered run.
    pub(crate) sightings: Vec<Stored>,
    /// `sightings[place_start[k]..place_start[k + 1]]` are those of the place in slot k.
    pub(crate) place_start: Vec<u32>,
    /// Each place's slot in the layout, and the place in each slot. Slots run closest tier
    /// first, so that a sighting's index alone tells its place's tier; a place added while the
    /// world serves takes the next slot (its run is empty until the next layout).
    pub(crate) slot_of: Vec<u32>,
    pub(crate) slot_place: Vec<PlaceIx>,
    /// The longest sighting at each place (by place), which bounds how far back a search must
    /// look.
    pub(crate) place_longest: Vec<Millis>,
    /// Sightings `..tier_end[0]` are at close-tier places, `..tier_end[1]` at contact places
    /// (close or general).
    pub(crate) tier_end: [u32; 3],
    /// Sighting indices grouped by subject, each group in time order.
    pub(crate) by_subject: Vec<u32>,
    pub(crate) subject_start: Vec<u32>,
    /// Sightings added while the world serves, beside the laid-out ones until the next layout.
    pub(crate) delta: crate::delta::Delta,
    pub(crate) sources: Vec<String>,
    pub(crate) cases: Vec<Case>,
    /// Active cases (suspected, confirmed, asymptomatic) by subject.
    pub(crate) active_case: HashMap<SubjectId, u32>,
    pub(crate) areas: Vec<Area>,
    pub(crate) deliveries: Vec<Delivery>,
    /// Health reports that raise FEVER_REPORTED, in the order they came.
    pub(crate) health_reports: Vec<HealthReport>,
    /// The places with coordinates, for polygon areas.
    place_tree: PointTree,
    /// Places with coordinates added while the world serves, beside the tree.
    pub(crate) places_added: Vec<PlaceIx>,
    pub(crate) resolver: Resolver,
    /// The store's numbers of places and sources, to the world's.
    pub(crate) pid_ix: HashMap<i64, PlaceIx>,
    pub(crate) source_ix: HashMap<i64, u16>,
    /// Registered persons by person_id.
    pub(crate) person_ix: HashMap<String, u32>,
    /// Households by household_id.
    pub(crate) household_ix: HashMap<String, u32>,
    /// Deliveries by recipient.
    pub(crate) deliveries_to: HashMap<SubjectId, Vec<u32>>,
    /// Health reports (of `health_reports`) by subject.
    pub(crate) reports_of: HashMap<SubjectId, Vec<u32>>,
}

impl World {
    /// Builds the world from the store's rows.
    pub fn build(reg: &Registry, sightings: &[SightingRow], deliveries: &[DeliveryRow]) -> World {
        let mut b = World::builder(reg);
        b.add_all(sightings);
        b.finish(deliveries)
    }

    /// Starts a world from the registries; sightings are then added one by one, so that a store
    /// streams into the index without holding its rows.
    pub fn builder(reg: &Registry) -> WorldBuilder<'_> {
        let mut w = World {
            resolver: reg.resolver(),
            ..World::default()
        };
        w.build_regions(reg);
        // Places numbered by tier, closest first, so that a sighting's index alone tells its
        // place's tier: a search that wants only contact places skips the others unread.
        let mut by_tier: Vec<&PlaceRow> = reg.places.iter().collect();
        by_tier.sort_by_key(|p| p.kind.tier());
        for p in by_tier {
            w.pid_ix.insert(p.pid, w.places.len() as PlaceIx);
            w.places.push(Place {
                id: p.place_id.clone(),
                kind: p.kind,
                region: p
                    .region_code
                    .as_ref()
                    .and_then(|c| w.region_ix.get(c).copied()),
                lonlat: p.lon.zip(p.lat),
            });
        }
        w.place_tree = PointTree::new(
            w.places
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.lonlat.map(|(lon, lat)| (lon, lat, i as PlaceIx)))
                .collect(),
        );
        for p in &reg.persons {
            w.add_person_row(p);
        }
        for s in &reg.sources {
            w.source_ix.insert(s.id, w.sources.len() as u16);
            w.sources.push(s.name.clone());
        }
        WorldBuilder {
            places: Lookup::new(w.pid_ix.iter().map(|(&k, &v)| (k, v))),
            sources: Lookup::new(w.source_ix.iter().map(|(&k, &v)| (k, v))),
            w,
            reg,
            arriving: Vec::new(),
            seen: Default::default(),
        }
    }

    /// Registers one person (a new one: the registry keeps person_ids unique), with its
    /// subject and household.
    pub(crate) fn add_person_row(&mut self, p: &tracegrid_model::rows::PersonRow) -> SubjectId {
        let household = p.household_id.as_deref().map(|h| self.household(h));
        let ix = self.persons.len() as u32;
        self.person_ix.insert(p.person_id.clone(), ix);
        self.persons.push(Person {
            id_number: p.id_number.clone(),
            phone: p.phone.clone(),
            name: p.name.clone(),
            grid_code: p.grid_code.clone(),
            household,
        });
        let s = self.intern(&Subject::Person(p.person_id.clone()), Some(ix));
        if let Some(h) = household {
            self.households[h as usize].push(s);
        }
        s
    }

    /// A household's number, made on first use.
    pub(crate) fn household(&mut self, h: &str) -> u32 {
        if let Some(&i) = self.household_ix.get(h) {
            return i;
        }
        self.households.push(Vec::new());
        let i = (self.households.len() - 1) as u32;
        self.household_ix.insert(h.to_owned(), i);
        i
    }

    fn build_regions(&mut self, reg: &Registry) {
        for r in &reg.regions {
            self.region_ix
                .insert(r.code.clone(), self.regions.len() as RegionIx);
            self.regions.push(Region {
                code: r.code.clone(),
                enter: 0,
                exit: 0,
            });
        }
        let mut children: Vec<Vec<RegionIx>> = vec![Vec::new(); self.regions.len()];
        let mut roots = Vec::new();
        for (i, r) in reg.regions.iter().enumerate() {
            match r.parent_code.as_ref().and_then(|p| self.region_ix.get(p)) {
                Some(&p) => children[p as usize].push(i as RegionIx),
                None => roots.push(i as RegionIx),
            }
        }
        // Iterative depth-first walk numbering entry and exit; the importer refuses cycles, so
        // every region is reached from a root.
        let mut clock = 0u32;
        let mut stack: Vec<(RegionIx, bool)> =
            roots.into_iter().rev().map(|r| (r, false)).collect();
        while let Some((r, done)) = stack.pop() {
            if done {
                self.regions[r as usize].exit = clock;
                continue;
            }
            clock += 1;
            self.regions[r as usize].enter = clock;
            stack.push((r, true));
            for &c in children[r as usize].iter().rev() {
                stack.push((c, false));
            }
        }
    }

    /// Lays sightings out: a counting sort by slot (closest tier first), each place's run
    /// sorted by time on every core, and each subject's list of them.
    pub(crate) fn lay_out(&mut self, arriving: Vec<Vec<(PlaceIx, Stored)>>) {
        let n = self.places.len();
        let mut order: Vec<PlaceIx> = (0..n as PlaceIx).collect();
        order.sort_by_key(|&p| (self.places[p as usize].kind.tier(), p));
        self.slot_place = order;
        self.slot_of = vec![0; n];
        for (k, &p) in self.slot_place.iter().enumerate() {
            self.slot_of[p as usize] = k as u32;
        }
        self.place_start = vec![0; n + 1];
        self.place_longest = vec![0; n];
        for (p, s) in arriving.iter().flatten() {
            self.place_start[self.slot_of[*p as usize] as usize + 1] += 1;
            let longest = &mut self.place_longest[*p as usize];
            *longest = (*longest).max(s.end - s.start);
        }
        for k in 0..n {
            self.place_start[k + 1] += self.place_start[k];
        }
        let mut fill = self.place_start.clone();
        let mut sightings = vec![
            Stored {
                start: 0,
                end: 0,
                subject: 0,
                source: 0,
                tag: 0
            };
            arriving.iter().map(Vec::len).sum()
        ];
        for (p, s) in arriving.into_iter().flatten() {
            let slot = &mut fill[self.slot_of[p as usize] as usize];
            sightings[*slot as usize] = s;
            *slot += 1;
        }
        crate::sort_groups(&mut sightings, &self.place_start, |run| {
            run.sort_unstable_by_key(|s| (s.start, s.end, s.subject, s.source, s.tag))
        });
        self.sightings = sightings;
        for (t, tier) in [Tier::Close, Tier::General, Tier::None]
            .into_iter()
            .enumerate()
        {
            let slots = self
                .slot_place
                .partition_point(|&p| self.places[p as usize].kind.tier() <= tier);
            self.tier_end[t] = self.place_start[slots];
        }
        self.index_subjects();
    }

    fn index_subjects(&mut self) {
        let n = self.subjects.len();
        self.subject_start = vec![0; n + 1];
        for s in &self.sightings {
            self.subject_start[s.subject as usize + 1] += 1;
        }
        for i in 0..n {
            self.subject_start[i + 1] += self.subject_start[i];
        }
        let mut fill = self.subject_start.clone();
        let mut by_subject = vec![0; self.sightings.len()];
        for (i, s) in self.sightings.iter().enumerate() {
            let slot = &mut fill[s.subject as usize];
            by_subject[*slot as usize] = i as u32;
            *slot += 1;
        }
        let sightings = &self.sightings;
        crate::sort_groups(&mut by_subject, &self.subject_start, |list| {
            list.sort_unstable_by_key(|&k| (sightings[k as usize].start, sightings[k as usize].end))
        });
        self.by_subject = by_subject;
    }

    pub(crate) fn resolve(&mut self, ty: SubjectType, value: &str) -> SubjectId {
        let subject = self.resolver.resolve(ty, value);
        self.intern_resolved(&subject)
    }

    fn intern_resolved(&mut self, subject: &Subject) -> SubjectId {
        let person = match subject {
            Subject::Person(p) => self.person_ix.get(p.as_str()).copied(),
            Subject::Unresolved(_) => None,
        };
        self.intern(subject, person)
    }

    fn intern(&mut self, subject: &Subject, person: Option<u32>) -> SubjectId {
        if let Some(&id) = self.subject_ix.get(subject.name()) {
            return id;
        }
        let id = self.subjects.len() as SubjectId;
        self.subjects.push(SubjectInfo {
            name: Arc::from(subject.name()),
            person,
        });
        self.subject_ix.insert(subject.name().to_owned(), id);
        // Subjects interned after the index was built have no sightings.
        if !self.subject_start.is_empty() {
            let last = *self.subject_start.last().unwrap_or(&0);
            self.subject_start.push(last);
        }
        id
    }

    /// Adds a case (or replaces the one of the same subject). Screening reads cases afresh each
    /// time, so the next screen takes it into account with no rebuild of the index.
    pub fn add_case(&mut self, c: &CaseRow) -> SubjectId {
        let name = self.resolver.resolve(SubjectType::IdNumber, &c.subject);
        let subject = match self.subject_ix.get(name.name()) {
            Some(&s) => s,
            None => self.intern(&name, None),
        };
        let case = Case {
            subject,
            status: c.status,
            onset: c.onset,
            confirmed: c.confirmed,
            isolated: c.isolated,
        };
        match self.cases.iter().position(|k| k.subject == subject) {
            Some(i) => self.cases[i] = case,
            None => self.cases.push(case),
        }
        let i = self
            .cases
            .iter()
            .position(|k| k.subject == subject)
            .expect("just added") as u32;
        if c.status.is_active() {
            self.active_case.insert(subject, i);
        } else {
            self.active_case.remove(&subject);
        }
        subject
    }

    /// Adds an area, or replaces the one of the same area_id; returns its number for
    /// [`crate::Screening::update_area`]. A polygon's places are found through the R-tree.
    pub fn add_area(&mut self, a: &AreaRow) -> u32 {
        let area = self.area_of(a);
        match self.areas.iter().position(|x| x.id == area.id) {
            Some(i) => {
                self.areas[i] = area;
                i as u32
            }
            None => {
                self.areas.push(area);
                (self.areas.len() - 1) as u32
            }
        }
    }

    /// An area row as the index holds it: a polygon's places found through the R-tree.
    fn area_of(&self, a: &AreaRow) -> Area {
        let polygon = a.geometry.as_deref().map(MultiPolygon::from_geojson);
        let places_inside = polygon.as_ref().map(|poly| {
            let mut inside = self.place_tree.inside(poly);
            inside.extend(self.places_added.iter().copied().filter(|&p| {
                self.places[p as usize]
                    .lonlat
                    .is_some_and(|(lon, lat)| poly.contains(lon, lat))
            }));
            inside.sort_unstable();
            inside.dedup();
            inside
        });
        Area {
            id: a.area_id.clone(),
            region: a
                .region_code
                .as_ref()
                .and_then(|c| self.region_ix.get(c).copied()),
            places_inside,
            polygon,
            from: a.from,
            to: a.to,
            risk: a.risk,
        }
    }

    /// Who was in an area during its time and the window, each with the earliest such time:
    /// the EPI_AREA rule for one area that is not stored (an analyst's "who was here then").
    /// Sorted by subject.
    pub fn present_in(&self, a: &AreaRow, p: &crate::ScreenParams) -> Vec<(SubjectId, Millis)> {
        let (lo, hi) = p.window();
        let area = self.area_of(a);
        let in_region: Vec<PlaceIx>;
        let places: &[PlaceIx] = match &area.places_inside {
            Some(inside) => inside,
            None => {
                in_region = (0..self.places.len() as PlaceIx)
                    .filter(|&pl| self.holds(&area, pl))
                    .collect();
                &in_region
            }
        };
        let mut first: HashMap<SubjectId, Millis> = HashMap::default();
        let to = area.to.unwrap_or(Millis::MAX);
        for &pl in places {
            for s in self.run(pl) {
                if s.start <= hi.min(to) && s.end >= lo.max(area.from) {
                    let at = s.start.max(area.from).max(lo);
                    let e = first.entry(s.subject).or_insert(at);
                    *e = (*e).min(at);
                }
            }
        }
        let mut out: Vec<(SubjectId, Millis)> = first.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// Whether area `ai` covers place `pl`.
    pub(crate) fn area_holds(&self, ai: usize, pl: PlaceIx) -> bool {
        self.holds(&self.areas[ai], pl)
    }

    fn holds(&self, area: &Area, pl: PlaceIx) -> bool {
        match (
            &area.places_inside,
            area.region,
            self.places[pl as usize].region,
        ) {
            (Some(inside), _, _) => inside.binary_search(&pl).is_ok(),
            (None, Some(ar), Some(pr)) => self.inside(pr, ar),
            _ => false,
        }
    }

    /// Place `pl`'s sightings in two runs, each in time order: the laid-out ones and those
    /// added since.
    pub(crate) fn runs(&self, pl: PlaceIx) -> [&[Stored]; 2] {
        let k = self.slot_of[pl as usize] as usize;
        [
            &self.sightings[self.place_start[k] as usize..self.place_start[k + 1] as usize],
            self.delta.run(pl),
        ]
    }

    /// Place `pl`'s sightings, laid-out and added alike (in time order within each).
    pub(crate) fn run(&self, pl: PlaceIx) -> impl Iterator<Item = &Stored> + '_ {
        self.runs(pl).into_iter().flatten()
    }

    /// A subject's name, shared: it breaks ties between equal scores in the alerts' order.
    pub(crate) fn name_key(&self, s: SubjectId) -> Arc<str> {
        self.subjects[s as usize].name.clone()
    }

    /// The active cases' subjects.
    pub fn active_cases(&self) -> Vec<SubjectId> {
        let mut v: Vec<SubjectId> = self.active_case.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Bytes the index spends per sighting: the sighting itself and its entry in the
    /// by-subject list.
    pub fn bytes_per_sighting() -> usize {
        std::mem::size_of::<Stored>() + std::mem::size_of::<u32>()
    }

    /// Finds a subject by person_id, id_number, or `TYPE:VALUE`.
    pub fn find_subject(&self, text: &str) -> Option<SubjectId> {
        if let Some(&id) = self.subject_ix.get(text) {
            return Some(id);
        }
        if let Some((ty, value)) = text.split_once(':') {
            let ty = SubjectType::parse("subject type", ty).ok()?;
            let normal = match ty {
                SubjectType::IdNumber => tracegrid_model::IdNumber::parse(value)
                    .ok()?
                    .as_str()
                    .to_owned(),
                SubjectType::Phone => tracegrid_model::Phone::parse(value)
                    .ok()?
                    .as_str()
                    .to_owned(),
                SubjectType::Plate => tracegrid_model::Plate::parse(value)
                    .ok()?
                    .as_str()
                    .to_owned(),
                SubjectType::PersonId => value.to_owned(),
            };
            let s = self.resolver.resolve(ty, &normal);
            return self.subject_ix.get(s.name()).copied();
        }
        let id = tracegrid_model::IdNumber::parse(text).ok()?;
        let s = self.resolver.resolve(SubjectType::IdNumber, id.as_str());
        self.subject_ix.get(s.name()).copied()
    }

    /// How many subjects the world numbers (`0..subject_count()`).
    pub fn subject_count(&self) -> u32 {
        self.subjects.len() as u32
    }

    /// The contract's name of a subject.
    pub fn subject_name(&self, s: SubjectId) -> &str {
        &self.subjects[s as usize].name
    }

    /// (id_number, name, grid_code) of a subject that is a registered person.
    pub fn person_of(&self, s: SubjectId) -> Option<(&str, Option<&str>, Option<&str>)> {
        let p = &self.persons[self.subjects[s as usize].person? as usize];
        Some((&p.id_number, p.name.as_deref(), p.grid_code.as_deref()))
    }

    /// How many places the world numbers (`0..place_count()`).
    pub fn place_count(&self) -> u32 {
        self.places.len() as u32
    }

    /// The place the store numbers `pid`.
    pub fn place_of_pid(&self, pid: i64) -> Option<u32> {
        self.pid_ix.get(&pid).copied()
    }

    pub fn place_id(&self, p: u32) -> &str {
        &self.places[p as usize].id
    }

    pub fn place_kind(&self, p: u32) -> PlaceKind {
        self.places[p as usize].kind
    }

    pub fn place_region(&self, p: u32) -> Option<&str> {
        self.places[p as usize]
            .region
            .map(|r| self.regions[r as usize].code.as_str())
    }

    pub fn source_name(&self, s: u16) -> &str {
        &self.sources[s as usize]
    }

    pub fn area_id(&self, a: u32) -> &str {
        &self.areas[a as usize].id
    }

    pub fn sighting_count(&self) -> usize {
        self.sightings.len() + self.delta.len()
    }

    pub fn is_active_case(&self, s: SubjectId) -> bool {
        self.active_case.contains_key(&s)
    }

    pub fn region(&self, code: &str) -> Option<u32> {
        self.region_ix.get(code).copied()
    }

    /// Whether region `r` is `ancestor` or lies below it.
    pub(crate) fn inside(&self, r: RegionIx, ancestor: RegionIx) -> bool {
        let (r, a) = (&self.regions[r as usize], &self.regions[ancestor as usize]);
        a.enter <= r.enter && r.exit <= a.exit
    }

    /// A subject's sightings at places of tier `upto` or closer, in time order. The laid-out
    /// others are skipped by their index, without reading them.
    pub(crate) fn sightings_upto(
        &self,
        s: SubjectId,
        upto: Tier,
    ) -> impl Iterator<Item = Sighting> + '_ {
        let end = self.tier_end[upto as usize];
        let (a, b) = match (
            self.subject_start.get(s as usize),
            self.subject_start.get(s as usize + 1),
        ) {
            (Some(&a), Some(&b)) => (a as usize, b as usize),
            _ => (0, 0),
        };
        let laid = self.by_subject[a..b]
            .iter()
            .filter(move |&&i| i < end)
            .map(|&i| self.sightings[i as usize].at(self.place_of(i)));
        let added = self
            .delta
            .of(s)
            .iter()
            .filter(move |(p, _)| self.places[*p as usize].kind.tier() <= upto)
            .map(|(p, x)| x.at(*p));
        InTimeOrder {
            a: laid.peekable(),
            b: added.peekable(),
        }
    }
    /// A subject's sightings at places where contact counts (tier close or general), clipped to
    /// `[from, to]`; those that miss it are left out. In time order.
    pub(crate) fn clipped_contact_sightings(
        &self,
        s: SubjectId,
        (from, to): (Millis, Millis),
    ) -> impl Iterator<Item = Clipped> + '_ {
        self.sightings_upto(s, Tier::General).filter_map(move |a| {
            let (start, end) = (a.start.max(from), a.end.min(to));
            let kind = self.places[a.place as usize].kind;
            let tau = kind.tolerance_ms()?;
            (start <= end).then_some(Clipped {
                place: a.place,
                start,
                end,
                kind,
                tau,
            })
        })
    }

    /// A subject's sightings, in time order.
    pub(crate) fn sightings_of(&self, s: SubjectId) -> impl Iterator<Item = Sighting> + '_ {
        self.sightings_upto(s, Tier::None)
    }

    /// The place of the sighting stored at `i`: the run it lies in.
    fn place_of(&self, i: u32) -> PlaceIx {
        self.slot_place[self.place_start.partition_point(|&start| start <= i) - 1]
    }

    /// The other members of a subject's household.
    pub(crate) fn household_of(&self, s: SubjectId) -> &[SubjectId] {
        self.subjects[s as usize]
            .person
            .and_then(|p| self.persons[p as usize].household)
            .map_or(&[], |h| &self.households[h as usize])
    }

    /// Calls `f(b, t)` for every sighting `b` at `place` co-present with `[start, end]` under
    /// tolerance `tau`, with the contact time `t = max(start, b.start)`.
    pub(crate) fn co_present(
        &self,
        place: PlaceIx,
        start: Millis,
        end: Millis,
        tau: Millis,
        mut f: impl FnMut(&Sighting, Millis),
    ) {
        let longest = [
            self.place_longest[place as usize],
            self.delta.longest(place),
        ];
        for (run, longest) in self.runs(place).into_iter().zip(longest) {
            // b.start <= end + tau, and b.end >= start - tau; b.end <= b.start + longest
            // bounds the first candidate.
            let from = start - tau - longest;
            let lo = run.partition_point(|b| b.start < from);
            for b in &run[lo..] {
                if b.start > end + tau {
                    break;
                }
                if b.end + tau >= start {
                    f(&b.at(place), start.max(b.start));
                }
            }
        }
    }
}

/// Two iterators of sightings, each in time order, as one in time order.
struct InTimeOrder<A: Iterator<Item = Sighting>, B: Iterator<Item = Sighting>> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
}

impl<A: Iterator<Item = Sighting>, B: Iterator<Item = Sighting>> Iterator for InTimeOrder<A, B> {
    type Item = Sighting;

    fn next(&mut self) -> Option<Sighting> {
        match (self.a.peek(), self.b.peek()) {
            (Some(x), Some(y)) if (y.start, y.end) < (x.start, x.end) => self.b.next(),
            (Some(_), _) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}

fn stored(s: &SightingRow, subject: SubjectId, source: u16) -> Stored {
    Stored {
        start: s.start,
        end: s.end,
        subject,
        source,
        tag: s.tag as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sighting_takes_28_bytes_in_the_index() {
        assert_eq!(std::mem::size_of::<Stored>(), 24);
        assert_eq!(World::bytes_per_sighting(), 28);
    }
}
