//! The city as it is held in memory: the engine's index of every sighting, the screening kept up
//! to date as cases and areas change, and the registry records the pages show (names, phones,
//! coordinates, grid shapes). A new case or area updates the screening in place; an import
//! builds a new city beside the old one (see [`crate::LiveCity`]).

use std::collections::HashMap;

use serde_json::{Value, json};
use tracegrid_engine::{MultiPolygon, Rebuild, ScreenParams, Screening, SubjectId, World};
use tracegrid_model::rows::{
    AreaRow, CaseRow, EventBatch, PersonRow, PlaceRow, RegionRow, Registry, RegistryBatch,
};
use tracegrid_model::{Level, Millis};

use crate::error::CityResult;
use crate::settings::Settings;
use crate::views;

/// Loads the store into the engine, with the registries it read.
pub fn load_world(db: &str) -> CityResult<(World, Registry)> {
    let mut store = tracegrid_store::open(db)?;
    let reg = store.load_registry()?;
    let mut builder = World::builder(&reg);
    store.for_each_sighting(&mut |s| builder.add(s))?;
    builder.add_health_reports(&store.health_reports()?);
    let deliveries = store.deliveries()?;
    Ok((builder.finish(&deliveries), reg))
}

/// Alerted subjects by grid code, in the screening's order.
type GridIndex = HashMap<String, Vec<SubjectId>>;

/// A place as the pages show it.
#[derive(Clone, Debug)]
pub struct PlaceInfo {
    pub name: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub grid_code: Option<String>,
}

/// The world, its screening, and the registry records around them.
#[derive(Debug)]
pub struct City {
    pub world: World,
    pub screening: Screening,
    pub settings: Settings,
    /// Registered persons by person_id.
    pub persons: HashMap<String, PersonRow>,
    pub places: HashMap<String, PlaceInfo>,
    /// The engine's number of each place, by place_id.
    pub place_ix: HashMap<String, u32>,
    /// The regions with a shape, of every level, as a GeoJSON FeatureCollection for maps: each
    /// feature's properties are the region's `code`, `name`, `level` and `parent_code`, its
    /// coordinates rounded to [`MAP_DECIMALS`].
    pub grids: Value,
    /// Region names by code.
    pub region_names: HashMap<String, String>,
    /// Each region's parent, for "which grids lie under this community".
    region_parent: HashMap<String, String>,
    grid_codes: Vec<String>,
    /// The grids' shapes with their bounding boxes, to place a new place without a grid code.
    grid_shapes: Vec<(String, MultiPolygon, [f64; 4])>,
    pub areas: Vec<AreaRow>,
    pub cases: Vec<CaseRow>,
    /// Bumped by every change, so clients can tell their view is stale.
    pub generation: u64,
    /// Alerts by grid in the screening's order, built when a scoped list first asks and
    /// rebuilt after a change (it remembers the generation it was built at).
    by_grid: std::sync::Mutex<Option<(u64, std::sync::Arc<GridIndex>)>>,
}

/// What a change did to the alerts.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Changed {
    pub alerts_before: usize,
    pub alerts_after: usize,
    /// Subjects that now have an alert and had none.
    pub new_alerts: Vec<String>,
    /// Subjects that had an alert and now have none.
    pub cleared: Vec<String>,
    /// Subjects whose alert changed in any way (new, cleared, new reasons, new score).
    pub touched: usize,
    pub generation: u64,
    /// Grid tasks made for new alerts, and open tasks given new reasons.
    pub tasks_created: usize,
    pub tasks_updated: usize,
}

impl City {
    /// Loads the store and screens it at `now` (unless the settings fix the moment).
    pub fn load(db: &str, settings: Settings, now: Millis) -> CityResult<City> {
        let (world, reg) = load_world(db)?;
        City::build(settings, world, reg, now)
    }

    /// Screens a loaded world.
    pub fn build(settings: Settings, world: World, reg: Registry, now: Millis) -> CityResult<City> {
        let params = settings.params(&world, now)?;
        let screening = Screening::new(&world, &params);
        let grid_codes: std::collections::HashSet<&str> = reg
            .regions
            .iter()
            .filter(|r| r.level == Level::Grid)
            .map(|r| r.code.as_str())
            .collect();
        let regions: HashMap<&str, &RegionRow> =
            reg.regions.iter().map(|r| (r.code.as_str(), r)).collect();
        let mut features: Vec<Value> = reg
            .region_shapes
            .iter()
            .filter_map(|s| {
                let r = regions.get(s.code.as_str())?;
                let mut geometry: Value = serde_json::from_str(&s.geometry).ok()?;
                round_coordinates(&mut geometry["coordinates"]);
                Some(json!({"type": "Feature",
                    "properties": {"code": r.code, "name": r.name, "level": r.level.as_str(),
                                   "parent_code": r.parent_code},
                    "geometry": geometry}))
            })
            .collect();
        if features.is_empty() {
            // A city without grids.geojson still gets a map to place its places on: the box
            // around them (a map with no shape at all cannot be drawn).
            features.push(extent(&reg.places));
        }
        // A place without a grid code is in the grid whose polygon holds its coordinates: only
        // grid-level shapes place a point (its county's shape holds it too).
        let grid_shapes: Vec<(String, MultiPolygon, [f64; 4])> = reg
            .region_shapes
            .iter()
            .filter(|s| grid_codes.contains(s.code.as_str()))
            .filter_map(|s| {
                let poly = MultiPolygon::from_geojson(&s.geometry);
                let bbox = poly.bbox()?;
                Some((s.code.clone(), poly, bbox))
            })
            .collect();
        let places: HashMap<String, PlaceInfo> = reg
            .places
            .iter()
            .map(|p| place_entry(p, &grid_shapes))
            .collect();
        Ok(City {
            settings,
            persons: reg
                .persons
                .iter()
                .map(|p| (p.person_id.clone(), p.clone()))
                .collect(),
            places,
            place_ix: (0..world.place_count())
                .map(|i| (world.place_id(i).to_owned(), i))
                .collect(),
            grids: json!({"type": "FeatureCollection", "features": features}),
            region_names: reg
                .regions
                .iter()
                .map(|r| (r.code.clone(), r.name.clone()))
                .collect(),
            region_parent: reg
                .regions
                .iter()
                .filter_map(|r| Some((r.code.clone(), r.parent_code.clone()?)))
                .collect(),
            grid_codes: {
                let mut g: Vec<String> = grid_codes.iter().map(|c| (*c).to_owned()).collect();
                g.sort();
                g
            },
            grid_shapes,
            areas: reg.areas.clone(),
            cases: reg.cases.clone(),
            world,
            screening,
            generation: 0,
            by_grid: Default::default(),
        })
    }

    pub fn params(&self) -> &ScreenParams {
        self.screening.params()
    }

    /// The grids under any of `codes`: a grid stands for itself, a community (or any larger
    /// region) for every grid inside it. Codes that are no region are kept as given.
    pub fn grids_under(&self, codes: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for code in codes {
            if !self.region_names.contains_key(code) || self.grid_codes.binary_search(code).is_ok()
            {
                out.push(code.clone());
                continue;
            }
            for g in &self.grid_codes {
                let mut at = self.region_parent.get(g);
                let mut hops = 0;
                while let Some(p) = at {
                    if p == code {
                        out.push(g.clone());
                        break;
                    }
                    hops += 1;
                    if hops > 32 {
                        break; // a cycle in a broken registry
                    }
                    at = self.region_parent.get(p);
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The registered person behind a subject, if it is one.
    pub fn person(&self, s: SubjectId) -> Option<&PersonRow> {
        self.persons.get(self.world.subject_name(s))
    }

    /// The grid a subject lives in, if it is a registered person.
    pub fn grid_of(&self, s: SubjectId) -> Option<&str> {
        self.world.person_of(s).and_then(|p| p.2)
    }

    /// The alerted subjects living in `grids`, in the screening's order.
    pub fn alerted_in(&self, grids: &[String]) -> Vec<SubjectId> {
        let index = {
            let mut cache = self.by_grid.lock().unwrap_or_else(|e| e.into_inner());
            match &*cache {
                Some((generation, index)) if *generation == self.generation => index.clone(),
                _ => {
                    let mut index = GridIndex::new();
                    for a in self.screening.alerts() {
                        if let Some(g) = self.grid_of(a.subject) {
                            index.entry(g.to_owned()).or_default().push(a.subject);
                        }
                    }
                    let index = std::sync::Arc::new(index);
                    *cache = Some((self.generation, index.clone()));
                    index
                }
            }
        };
        match grids {
            [one] => index.get(one).cloned().unwrap_or_default(),
            _ => {
                // Several grids: merged back into the screening's order.
                let mut all: Vec<SubjectId> = grids
                    .iter()
                    .filter_map(|g| index.get(g))
                    .flatten()
                    .copied()
                    .collect();
                let rank: HashMap<SubjectId, usize> = self
                    .screening
                    .alerts()
                    .enumerate()
                    .filter(|(_, a)| all.contains(&a.subject))
                    .map(|(i, a)| (a.subject, i))
                    .collect();
                all.sort_by_key(|s| rank.get(s).copied().unwrap_or(usize::MAX));
                all
            }
        }
    }

    fn snapshot(&self) -> HashMap<SubjectId, (u16, usize)> {
        self.screening
            .alerts()
            .map(|a| ((a.subject), ((a.score * 1000.0) as u16, a.reasons.len())))
            .collect()
    }

    fn changed(&self, before: HashMap<SubjectId, (u16, usize)>, touched: &[SubjectId]) -> Changed {
        let after = self.snapshot();
        let name = |s: &SubjectId| self.world.subject_name(*s).to_owned();
        let mut new_alerts: Vec<String> = after
            .keys()
            .filter(|s| !before.contains_key(s))
            .map(name)
            .collect();
        let mut cleared: Vec<String> = before
            .keys()
            .filter(|s| !after.contains_key(s))
            .map(name)
            .collect();
        new_alerts.sort();
        cleared.sort();
        Changed {
            alerts_before: before.len(),
            alerts_after: after.len(),
            new_alerts,
            cleared,
            touched: touched
                .iter()
                .filter(|s| before.get(s) != after.get(s))
                .count(),
            generation: self.generation,
            tasks_created: 0,
            tasks_updated: 0,
        }
    }

    /// Takes a case that the store has already kept into the screening.
    pub fn apply_case(&mut self, row: CaseRow) -> Changed {
        let before = self.snapshot();
        let subject = self.world.add_case(&row);
        let touched = self.screening.update_case(&self.world, subject);
        match self.cases.iter_mut().find(|c| c.subject == row.subject) {
            Some(c) => *c = row,
            None => self.cases.push(row),
        }
        self.generation += 1;
        self.changed(before, &touched)
    }

    /// Takes an area that the store has already kept into the screening.
    pub fn apply_area(&mut self, row: AreaRow) -> Changed {
        let before = self.snapshot();
        let ix = self.world.add_area(&row);
        let touched = self.screening.update_area(&self.world, ix);
        match self.areas.iter_mut().find(|a| a.area_id == row.area_id) {
            Some(a) => *a = row,
            None => self.areas.push(row),
        }
        self.generation += 1;
        self.changed(before, &touched)
    }

    /// Takes in what a group of feed messages brought, once the store has kept it: registry rows
    /// that were new or changed, and the event rows that were new (`events`). The world takes
    /// them in place and the screening follows; without a fixed moment, the screening first
    /// moves to `now` when a row is later than its moment. Returns the subjects whose alert
    /// may have changed, or [`Rebuild`] when a row changes who earlier sightings are (the
    /// caller loads the city again; the store has everything).
    pub fn apply_feed(
        &mut self,
        registry: &RegistryBatch,
        events: &EventBatch,
        now: Millis,
    ) -> Result<Vec<SubjectId>, Rebuild> {
        if let Some(r) = registry.regions.first() {
            return Err(Rebuild(format!("region {} is new or changed", r.code)));
        }
        let places: Vec<PlaceRow> = registry
            .places
            .iter()
            .chain(&events.places)
            .cloned()
            .collect();
        self.world.add_places(&places)?;
        for p in &places {
            let (id, info) = place_entry(p, &self.grid_shapes);
            self.places.insert(id, info);
            if let Some(ix) = self.world.place_of_pid(p.pid) {
                self.place_ix.insert(p.place_id.clone(), ix);
            }
        }
        self.world.add_sources(&events.sources);
        let mut fresh = self.world.add_persons(&registry.persons)?;
        for p in &registry.persons {
            self.persons.insert(p.person_id.clone(), p.clone());
        }
        self.world.add_vehicles(&registry.vehicles)?;
        let mut touched = Vec::new();
        let as_of = self.screening.params().as_of;
        let later = events.sightings.iter().any(|s| s.start > as_of)
            || events
                .deliveries
                .iter()
                .any(|d| d.delivered.unwrap_or(d.shipped) > as_of)
            || events.health_reports.iter().any(|h| h.time > as_of)
            || registry.cases.iter().any(|c| {
                [c.onset, Some(c.confirmed), c.isolated]
                    .into_iter()
                    .flatten()
                    .any(|t| t > as_of)
            })
            || registry.areas.iter().any(|a| a.from > as_of);
        if self.settings.as_of.is_none() && now > as_of && later {
            touched.extend(self.screening.roll(&self.world, now));
        }
        fresh.extend(self.world.add_events(&events.sightings, &events.deliveries));
        fresh.extend(self.world.add_health_reports(&events.health_reports));
        touched.extend(self.screening.update(&self.world, &fresh));
        for row in &registry.areas {
            let ix = self.world.add_area(row);
            touched.extend(self.screening.update_area(&self.world, ix));
            match self.areas.iter_mut().find(|a| a.area_id == row.area_id) {
                Some(a) => *a = row.clone(),
                None => self.areas.push(row.clone()),
            }
        }
        for row in &registry.cases {
            let s = self.world.add_case(row);
            touched.extend(self.screening.update_case(&self.world, s));
            match self.cases.iter_mut().find(|c| c.subject == row.subject) {
                Some(c) => *c = row.clone(),
                None => self.cases.push(row.clone()),
            }
        }
        touched.sort_unstable();
        touched.dedup();
        self.generation += 1;
        Ok(touched)
    }

    /// Moves a screening without a fixed moment to `now`; the subjects whose alert may have
    /// changed. A fixed moment stays where it is.
    pub fn roll(&mut self, now: Millis) -> Vec<SubjectId> {
        if self.settings.as_of.is_some() || now <= self.screening.params().as_of {
            return Vec::new();
        }
        let touched = self.screening.roll(&self.world, now);
        self.generation += 1;
        touched
    }

    /// Screens the whole world again at `params`.
    pub fn rescreen(&mut self, params: &ScreenParams) {
        self.screening = Screening::new(&self.world, params);
        self.generation += 1;
    }

    /// Formats a time in the city's zone, as the contract prints times.
    /// The contract's screen object (`screen --json`, `GET /api/v1/screen`) of `alerts`, at the
    /// city's moment.
    pub fn screen_view<'a>(
        &'a self,
        alerts: impl IntoIterator<Item = &'a tracegrid_engine::Alert>,
    ) -> views::ScreenView<'a> {
        let p = self.screening.params();
        views::screen_view(
            &self.world,
            alerts,
            (p.as_of, p.window()),
            views::Shown::ALL,
            &|ms| self.time(ms),
        )
    }

    pub fn time(&self, t: Millis) -> String {
        self.settings.time(t)
    }

    /// A subject by any of its names: person_id, id_number, `TYPE:VALUE`, or the ref of a
    /// subject shown masked.
    pub fn find_subject(&self, text: &str) -> Option<SubjectId> {
        if text.starts_with('~') {
            return views::resolve_ref(&self.world, text);
        }
        self.world.find_subject(text)
    }

    /// Where a task for `s` goes: the grid the person lives in, else the grid of the place last
    /// seen in the window, else nowhere (the unrouted queue).
    pub fn route(&self, s: SubjectId) -> (Option<String>, &'static str) {
        if let Some(g) = self.grid_of(s) {
            return (Some(g.to_owned()), "residence");
        }
        let window = self.params().window();
        let last_grid = self
            .world
            .trajectory(s, window)
            .iter()
            .rev()
            .find_map(|step| {
                self.places
                    .get(self.world.place_id(step.place))
                    .and_then(|p| p.grid_code.clone())
            });
        match last_grid {
            Some(g) => (Some(g), "last_seen"),
            None => (None, "unrouted"),
        }
    }

    /// A region by its code or its exact name.
    pub fn region_by_text(&self, text: &str) -> Option<String> {
        let text = text.trim();
        if self.region_names.contains_key(text) {
            return Some(text.to_owned());
        }
        let mut named: Vec<&String> = self
            .region_names
            .iter()
            .filter(|(_, n)| n.as_str() == text)
            .map(|(c, _)| c)
            .collect();
        named.sort();
        named.first().map(|c| (*c).clone())
    }

    /// An epidemic area over region `code` (the region itself or an ancestor) active at some
    /// time of `[from, to]`.
    pub fn area_over(&self, code: &str, from: Millis, to: Millis) -> Option<&AreaRow> {
        let mut chain = vec![code.to_owned()];
        while let Some(p) = self.region_parent.get(chain.last()?.as_str()) {
            if chain.contains(p) || chain.len() > 32 {
                break;
            }
            chain.push(p.clone());
        }
        self.areas.iter().find(|a| {
            a.region_code.as_ref().is_some_and(|r| chain.contains(r))
                && a.from <= to
                && a.to.is_none_or(|t| t >= from)
        })
    }

    /// Whether an area is active at some time of the window.
    pub fn in_window(&self, a: &AreaRow) -> bool {
        let (from, to) = self.params().window();
        a.to.is_none_or(|t| t >= from) && a.from <= to
    }
}

/// Decimals of a degree the map's shapes keep (about 1 m): enough for a grid a few hundred
/// metres across, and a city's map a fraction of the size.
pub const MAP_DECIMALS: i32 = 5;

/// Rounds every number of GeoJSON coordinates (of any depth) to [`MAP_DECIMALS`].
fn round_coordinates(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(round_coordinates),
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                let f = 10f64.powi(MAP_DECIMALS);
                if let Some(r) = serde_json::Number::from_f64((x * f).round() / f) {
                    *n = r;
                }
            }
        }
        _ => {}
    }
}

/// A rectangle around the places with coordinates (or around 0°, 0° if none has any), as a
/// GeoJSON feature marked `extent`.
fn extent(places: &[PlaceRow]) -> Value {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in places {
        if let (Some(lat), Some(lon)) = (p.lat, p.lon) {
            b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
        }
    }
    if b[0] > b[2] {
        b = [-0.5, -0.5, 0.5, 0.5];
    }
    let pad = ((b[2] - b[0]).max(b[3] - b[1]) * 0.05).max(0.005);
    let [w, s, e, n] = [b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad];
    json!({"type": "Feature", "properties": {"code": "", "name": "", "level": "other", "parent_code": null, "extent": true},
           "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}})
}

/// A place as the pages show it; one without a grid code is in the grid whose polygon holds
/// its coordinates.
fn place_entry(p: &PlaceRow, shapes: &[(String, MultiPolygon, [f64; 4])]) -> (String, PlaceInfo) {
    let grid_code = p.grid_code.clone().or_else(|| {
        let (lat, lon) = (p.lat?, p.lon?);
        shapes
            .iter()
            .find(|(_, poly, b)| {
                b[0] <= lon && lon <= b[2] && b[1] <= lat && lat <= b[3] && poly.contains(lon, lat)
            })
            .map(|(code, _, _)| code.clone())
    });
    (
        p.place_id.clone(),
        PlaceInfo {
            name: p.name.clone(),
            lat: p.lat,
            lon: p.lon,
            grid_code,
        },
    )
}

#[cfg(test)]
mod tests {
    use tracegrid_model::rows::{PlaceRow, RegionRow, RegionShapeRow};
    use tracegrid_model::{Level, PlaceKind};

    use super::*;

    fn region(code: &str, parent: Option<&str>, level: Level) -> RegionRow {
        RegionRow {
            code: code.into(),
            name: code.into(),
            parent_code: parent.map(str::to_owned),
            level,
        }
    }

    fn place(id: &str, lat: f64, lon: f64, grid: Option<&str>) -> PlaceRow {
        PlaceRow {
            pid: 0,
            place_id: id.into(),
            kind: PlaceKind::Shop,
            name: None,
            lat: Some(lat),
            lon: Some(lon),
            region_code: Some("330802001001".into()),
            grid_code: grid.map(str::to_owned),
        }
    }

    // Guards placing a point: grids.geojson holds every level's shapes, and the county's shape
    // (listed first here) holds every point of its grids; only a grid's shape may place one.
    #[test]
    fn a_place_without_a_grid_code_takes_the_grid_its_coordinates_fall_in() {
        let reg = Registry {
            regions: vec![
                region("330802", None, Level::County),
                region("330802001001", Some("330802"), Level::Community),
                region("330802001001001", Some("330802001001"), Level::Grid),
            ],
            region_shapes: vec![
                RegionShapeRow {
                    code: "330802".into(),
                    geometry: r#"{"type":"Polygon","coordinates":[[[118.8,28.9],[119.0,28.9],[119.0,29.0],[118.8,29.0],[118.8,28.9]]]}"#.into(),
                },
                RegionShapeRow {
                    code: "330802001001001".into(),
                    geometry: r#"{"type":"Polygon","coordinates":[[[118.87,28.94],[118.875,28.94],[118.875,28.945],[118.87,28.945],[118.87,28.94]]]}"#.into(),
                },
            ],
            places: vec![
                place("INSIDE", 28.942, 118.872, None),
                place("OUTSIDE", 28.95, 118.872, None),
                place("GIVEN", 28.95, 118.872, Some("330802001001002")),
            ],
            ..Default::default()
        };
        let world = World::build(&reg, &[], &[]);
        let settings = Settings::read(Some("2020-02-01"), 14, None, "Asia/Shanghai").unwrap();
        let live = City::build(settings, world, reg, 0).unwrap();
        let grid = |id: &str| live.places[id].grid_code.clone();
        assert_eq!(grid("INSIDE").as_deref(), Some("330802001001001"));
        assert_eq!(grid("OUTSIDE"), None, "the county's shape places no point");
        assert_eq!(
            grid("GIVEN").as_deref(),
            Some("330802001001002"),
            "a given code stands"
        );
        // The map has both shapes, named from the registry.
        let features = live.grids["features"].as_array().unwrap();
        assert_eq!(features.len(), 2);
        let county = &features[0]["properties"];
        assert_eq!(
            (county["code"].as_str(), county["level"].as_str()),
            (Some("330802"), Some("county"))
        );
        assert_eq!(
            features[1]["properties"]["parent_code"].as_str(),
            Some("330802001001")
        );
        // A cadre of the community covers its grid.
        let codes = |v: &[&str]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(
            live.grids_under(&codes(&["330802001001"])),
            codes(&["330802001001001"])
        );
        assert_eq!(
            live.grids_under(&codes(&["330802001001001"])),
            codes(&["330802001001001"])
        );
        assert_eq!(live.grids_under(&codes(&["999"])), codes(&["999"]));
    }
}
