//! The synthetic city: its regions, places and residents, and what a day of a resident's life
//! leaves in the data.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use tracegrid_model::{IdNumber, PlaceKind, Tier};

use crate::land::{Point, Shape};
use crate::rng::Rng;
use crate::{
    CHECKPOINT, DAY, DELIVERIES, GATE, HOTEL, HOUR, MIN, NETCAFE, Out, PARKING, PHARMACY, Presence,
    SIGHTINGS, t,
};

/// Quzhou's six county-level divisions, with their seats (where the county's station is, and
/// around which its land is drawn).
const COUNTIES: &[(&str, &str, f64, f64)] = &[
    ("330802", "柯城区", 118.87, 28.94),
    ("330803", "衢江区", 118.96, 28.98),
    ("330822", "常山县", 118.51, 28.90),
    ("330824", "开化县", 118.41, 29.14),
    ("330825", "龙游县", 119.17, 29.03),
    ("330881", "江山市", 118.63, 28.74),
];
const TOWNS: &[&str] = &["街道", "镇", "乡"];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "郑", "叶", "余", "方", "汪", "徐",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "霞", "平", "刚", "英", "华", "建", "国", "红", "燕", "文", "辉",
];

/// `share` of the way from `a` to `b`.
fn towards(a: Point, b: Point, share: f64) -> Point {
    (a.0 + share * (b.0 - a.0), a.1 + share * (b.1 - a.1))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Child,
    Worker,
    Other,
    Retiree,
}

#[derive(Debug)]
pub struct PlaceDef {
    pub id: String,
    pub kind: PlaceKind,
    pub name: String,
    pub lonlat: Option<(f64, f64)>,
    pub region: String,
    pub grid: Option<String>,
}

#[derive(Debug)]
pub struct PersonDef {
    pub person_id: String,
    pub id_number: String,
    pub name: String,
    pub phone: String,
    pub household: usize,
    pub grid: usize,
    pub role: Role,
    pub young: bool,
    /// Workplace or school class.
    pub daytime: Option<usize>,
    /// The bus route (in the home town) ridden to work or school.
    pub bus: Option<usize>,
    pub plate: Option<String>,
}

#[derive(Debug)]
struct Grid {
    code: String,
    community: usize,
    gate: usize,
    shop: usize,
}

#[derive(Debug)]
struct Community {
    town: usize,
    restaurant: usize,
    market: usize,
    pharmacy: usize,
    clinic: usize,
    cafe: usize,
}

#[derive(Debug)]
struct Town {
    code: String,
    county: usize,
    hotel: usize,
    park: usize,
    /// Bus routes, each a list of its vehicles (a place each: the bus card names the vehicle).
    buses: Vec<Vec<usize>>,
}

#[derive(Debug)]
pub struct City {
    pub persons: Vec<PersonDef>,
    pub households: Vec<Vec<usize>>,
    pub places: Vec<PlaceDef>,
    regions: Vec<(String, String, Option<String>, &'static str)>,
    grids: Vec<Grid>,
    communities: Vec<Community>,
    towns: Vec<Town>,
    stations: Vec<usize>,
    checkpoints: Vec<usize>,
    by_county: Vec<Vec<usize>>,
    /// The land of the city and of each county, town, community and grid, by region code.
    shapes: HashMap<String, Shape>,
}

/// Decimals of a degree written to grids.geojson (about 0.1 m).
const DECIMALS: i32 = 6;
/// Vehicles on a bus route, and how often one comes.
const BUSES_PER_ROUTE: usize = 6;
const BUS_HEADWAY: i64 = 10 * MIN;

impl City {
    pub fn build(target: usize, rng: &mut Rng) -> City {
        let mut c = City {
            persons: vec![],
            households: vec![],
            places: vec![],
            regions: vec![],
            grids: vec![],
            communities: vec![],
            towns: vec![],
            stations: vec![],
            checkpoints: vec![],
            by_county: vec![vec![]; COUNTIES.len()],
            shapes: HashMap::new(),
        };
        let region =
            |c: &mut City, code: &str, name: &str, parent: Option<&str>, level: &'static str| {
                c.regions
                    .push((code.into(), name.into(), parent.map(Into::into), level));
            };
        region(&mut c, "330000", "浙江省", None, "province");
        region(&mut c, "330800", "衢州市", Some("330000"), "city");
        region(&mut c, "330100", "杭州市", Some("330000"), "city");
        region(&mut c, "330700", "金华市", Some("330000"), "city");
        region(&mut c, "420000", "湖北省", None, "province");
        region(&mut c, "420100", "武汉市", Some("420000"), "city");
        region(&mut c, "310000", "上海市", None, "province");
        region(&mut c, "310100", "上海市市辖区", Some("310000"), "city");
        for (id, name, region_code, lon, lat) in [
            ("ST-WUHAN", "武汉站", "420100", 114.42, 30.61),
            ("ST-HANGZHOU", "杭州东站", "330100", 120.21, 30.29),
            ("ST-JINHUA", "金华站", "330700", 119.62, 29.08),
            ("ST-SHANGHAI", "上海虹桥站", "310100", 121.32, 31.19),
        ] {
            c.place(
                id.into(),
                PlaceKind::RailStation,
                name.into(),
                Some((lon, lat)),
                region_code,
                None,
            );
        }
        // Neighbourhoods scale with the population (about 900 residents a community, 300 a
        // grid), so that a resident meets as many people in a big city as in a small one.
        let communities_per_town = target.div_ceil(900 * COUNTIES.len() * 3).max(1);
        let grids_per_community = 3;
        // The land: the outline cut into the seats' cells, each cell into its towns (the one
        // holding the seat first), each town into communities, each community into grids.
        let outline = Shape::outline();
        let seats: Vec<Point> = COUNTIES.iter().map(|&(_, _, x, y)| (x, y)).collect();
        let cells = outline.voronoi(&seats);
        c.shapes.insert("330800".into(), outline);
        for (ci, (code, name, lon, lat)) in COUNTIES.iter().enumerate() {
            region(&mut c, code, name, Some("330800"), "county");
            let cell = cells[ci].clone();
            let mut town_shapes = cell.split(3, code);
            if let Some(first) = town_shapes.iter().position(|s| s.contains((*lon, *lat))) {
                town_shapes.swap(0, first);
            }
            let st = c.place(
                format!("ST-{code}"),
                PlaceKind::RailStation,
                format!("{name}站"),
                Some((*lon, *lat)),
                code,
                None,
            );
            c.stations.push(st);
            let chk = c.place(
                format!("CHK-{code}"),
                PlaceKind::Checkpoint,
                format!("{name}高速卡口"),
                Some(cell.spot(0, 0.8)),
                code,
                None,
            );
            c.checkpoints.push(chk);
            c.place(
                format!("HOSP-{code}"),
                PlaceKind::Hospital,
                format!("{name}人民医院"),
                // Between the seat and the middle of its town: inside both.
                Some(towards((*lon, *lat), town_shapes[0].centroid(), 0.25)),
                code,
                None,
            );
            c.shapes.insert((*code).into(), cell);
            for (ti, town_shape) in town_shapes.into_iter().enumerate() {
                let tcode = format!("{code}{:03}", ti + 1);
                let tname = format!("{name}{}{}", ["城关", "新城", "东港"][ti], TOWNS[ti]);
                region(&mut c, &tcode, &tname, Some(code), "town");
                let community_shapes = town_shape.split(communities_per_town, &tcode);
                let hotel = c.place(
                    format!("HOTEL-{tcode}"),
                    PlaceKind::Hotel,
                    format!("{tname}宾馆"),
                    Some(town_shape.spot(0, 0.3)),
                    &tcode,
                    None,
                );
                let park = c.place(
                    format!("PARK-{tcode}"),
                    PlaceKind::Parking,
                    format!("{tname}停车场"),
                    Some(town_shape.spot(1, 0.3)),
                    &tcode,
                    None,
                );
                c.place(
                    format!("EXP-{tcode}"),
                    PlaceKind::ExpressPoint,
                    format!("{tname}快递点"),
                    Some(town_shape.spot(2, 0.3)),
                    &tcode,
                    None,
                );
                let buses = (0..(2 * communities_per_town).max(6))
                    .map(|b| {
                        (0..BUSES_PER_ROUTE)
                            .map(|v| {
                                c.place(
                                    format!("BUS-{tcode}-{}-{}", b + 1, v + 1),
                                    PlaceKind::Bus,
                                    format!("{tname}{}路公交{}号车", b + 1, v + 1),
                                    None,
                                    &tcode,
                                    None,
                                )
                            })
                            .collect()
                    })
                    .collect();
                c.towns.push(Town {
                    code: tcode.clone(),
                    county: ci,
                    hotel,
                    park,
                    buses,
                });
                let town = c.towns.len() - 1;
                c.shapes.insert(tcode.clone(), town_shape);
                for (mi, community_shape) in community_shapes.into_iter().enumerate() {
                    let mcode = format!("{tcode}{:03}", mi + 1);
                    let mname = format!("{tname}第{}社区", mi + 1);
                    region(&mut c, &mcode, &mname, Some(&tcode), "community");
                    let grid_shapes = community_shape.split(grids_per_community, &mcode);
                    // Five spots round the middle (two corners of a triangle visited twice, at
                    // different depths).
                    let at =
                        |k: usize| Some(community_shape.spot(k, if k < 3 { 0.5 } else { 0.25 }));
                    let restaurant = c.place(
                        format!("REST-{mcode}"),
                        PlaceKind::Restaurant,
                        format!("{mname}饭店"),
                        at(0),
                        &mcode,
                        None,
                    );
                    let market = c.place(
                        format!("MKT-{mcode}"),
                        PlaceKind::Market,
                        format!("{mname}菜场"),
                        at(1),
                        &mcode,
                        None,
                    );
                    let pharmacy = c.place(
                        format!("PHARM-{mcode}"),
                        PlaceKind::Pharmacy,
                        format!("{mname}药店"),
                        at(2),
                        &mcode,
                        None,
                    );
                    let clinic = c.place(
                        format!("CLINIC-{mcode}"),
                        PlaceKind::Clinic,
                        format!("{mname}卫生服务站"),
                        at(3),
                        &mcode,
                        None,
                    );
                    let cafe = c.place(
                        format!("CAFE-{mcode}"),
                        PlaceKind::InternetCafe,
                        format!("{mname}网吧"),
                        at(4),
                        &mcode,
                        None,
                    );
                    c.communities.push(Community {
                        town,
                        restaurant,
                        market,
                        pharmacy,
                        clinic,
                        cafe,
                    });
                    let community = c.communities.len() - 1;
                    c.shapes.insert(mcode.clone(), community_shape);
                    for (gi, grid_shape) in grid_shapes.into_iter().enumerate() {
                        let gcode = format!("{mcode}{:03}", gi + 1);
                        region(
                            &mut c,
                            &gcode,
                            &format!("{mname}第{}网格", gi + 1),
                            Some(&mcode),
                            "grid",
                        );
                        let gate = c.place(
                            format!("GATE-{gcode}"),
                            PlaceKind::Gate,
                            format!("{mname}{}号小区门", gi + 1),
                            Some(grid_shape.spot(0, 0.4)),
                            &mcode,
                            Some(&gcode),
                        );
                        let shop = c.place(
                            format!("SHOP-{gcode}"),
                            PlaceKind::Shop,
                            format!("{mname}{}号便利店", gi + 1),
                            Some(grid_shape.spot(1, 0.4)),
                            &mcode,
                            Some(&gcode),
                        );
                        c.shapes.insert(gcode.clone(), grid_shape);
                        c.grids.push(Grid {
                            code: gcode,
                            community,
                            gate,
                            shop,
                        });
                    }
                }
            }
        }
        c.people(target, rng);
        c
    }

    fn place(
        &mut self,
        id: String,
        kind: PlaceKind,
        name: String,
        lonlat: Option<(f64, f64)>,
        region: &str,
        grid: Option<&str>,
    ) -> usize {
        self.places.push(PlaceDef {
            id,
            kind,
            name,
            lonlat,
            region: region.into(),
            grid: grid.map(Into::into),
        });
        self.places.len() - 1
    }

    fn people(&mut self, target: usize, rng: &mut Rng) {
        let mut seq: HashMap<(usize, i64, i64, i64), u32> = HashMap::new();
        let mut g = 0;
        while self.persons.len() < target {
            let grid = g % self.grids.len();
            g += 1;
            let community = self.grids[grid].community;
            let town = self.communities[community].town;
            let county = self.towns[town].county;
            let size = *rng.pick(&[1, 2, 2, 3, 3, 3, 4, 4, 5]);
            let household = self.households.len();
            self.households.push(vec![]);
            let head_age = rng.range(25, 70);
            let has_car = rng.chance(0.3);
            for m in 0..size {
                let age = match m {
                    0 => head_age,
                    1 => (head_age + rng.range(-4, 4)).max(20),
                    4 => rng.range(62, 88),
                    _ => (head_age - rng.range(22, 32)).max(0),
                };
                let (y, mo, d) = (2020 - age, rng.range(1, 12), rng.range(1, 28));
                let n = seq.entry((county, y, mo, d)).or_insert(0);
                *n += 1;
                let body = format!("{}{y:04}{mo:02}{d:02}{:03}", COUNTIES[county].0, *n % 1000);
                let id_number = IdNumber::complete(&body);
                let i = self.persons.len();
                let role = match age {
                    6..=17 => Role::Child,
                    18..=59 if rng.chance(0.75) => Role::Worker,
                    60.. => Role::Retiree,
                    _ => Role::Other,
                };
                let bus = (matches!(role, Role::Worker | Role::Child) && rng.chance(0.35))
                    .then(|| rng.below(self.towns[town].buses.len() as u64) as usize);
                self.persons.push(PersonDef {
                    person_id: format!("P{i:07}"),
                    id_number,
                    name: format!(
                        "{}{}{}",
                        rng.pick(SURNAMES),
                        rng.pick(GIVEN),
                        if rng.chance(0.5) {
                            *rng.pick(GIVEN)
                        } else {
                            ""
                        }
                    ),
                    phone: format!("13{:09}", 100_000_000 + i),
                    household,
                    grid,
                    role,
                    young: (18..=30).contains(&age),
                    daytime: None,
                    bus,
                    plate: (m == 0 && has_car).then(|| format!("浙H{:05}", i % 100_000)),
                });
                self.households[household].push(i);
                self.by_county[county].push(i);
            }
        }
        // Workplaces of about 40 people, school classes of about 40, in the resident's town
        // (a fifth of workers work in another town of the county).
        let mut work_count: HashMap<(usize, bool), usize> = HashMap::new();
        for i in 0..self.persons.len() {
            let child = match self.persons[i].role {
                Role::Worker => false,
                Role::Child => true,
                _ => continue,
            };
            let home_town = self.communities[self.grids[self.persons[i].grid].community].town;
            let town = if !child && rng.chance(0.2) {
                let county = self.towns[home_town].county;
                county * 3 + rng.below(3) as usize
            } else {
                home_town
            };
            let k = work_count.entry((town, child)).or_insert(0);
            let unit = *k / 40;
            *k += 1;
            let tcode = self.towns[town].code.clone();
            let id = if child {
                format!("SCHOOL-{tcode}-{:02}", unit + 1)
            } else {
                format!("WORK-{tcode}-{:03}", unit + 1)
            };
            let place = match self.places.iter().rposition(|p| p.id == id) {
                Some(p) if *k % 40 != 1 => p,
                _ => {
                    let (kind, name) = if child {
                        (PlaceKind::School, format!("{tcode}小学{}班", unit + 1))
                    } else {
                        (PlaceKind::Workplace, format!("{tcode}企业{}", unit + 1))
                    };
                    // Spread over the town: round its corners, at depths that do not repeat.
                    let depth = 0.15 + 0.6 * (unit as f64 * 0.618_034).fract();
                    let lonlat = Some(self.shapes[&tcode].spot(unit + usize::from(child), depth));
                    self.place(id, kind, name, lonlat, &tcode, None)
                }
            };
            self.persons[i].daytime = Some(place);
        }
    }

    /// The gate of resident `who`'s grid.
    pub fn gate_of(&self, who: usize) -> usize {
        self.grids[self.persons[who].grid].gate
    }

    pub fn station_of(&self, who: usize) -> usize {
        let town = self.communities[self.grids[self.persons[who].grid].community].town;
        self.stations[self.towns[town].county]
    }

    /// Someone living in the same county, met where no data records it.
    pub fn someone_near(&self, who: usize, rng: &mut Rng) -> usize {
        let town = self.communities[self.grids[self.persons[who].grid].community].town;
        let people = &self.by_county[self.towns[town].county];
        *rng.pick(people)
    }

    /// One resident's day: the rows it leaves in the drop, and where they were with others.
    pub fn day_of(
        &self,
        i: usize,
        day: i64,
        rng: &mut Rng,
        infection: &Option<(i64, bool)>,
        out: &mut Out,
        presences: &mut Vec<Presence>,
    ) -> std::io::Result<()> {
        let p = &self.persons[i];
        let grid = &self.grids[p.grid];
        let community = &self.communities[grid.community];
        let town = &self.towns[community.town];
        let sick = infection.is_some_and(|(onset, asym)| !asym && day + DAY > onset);
        let mut at = |out: &mut Out,
                      place: usize,
                      start: i64,
                      end: i64,
                      source: &str,
                      who: (&str, &str)|
         -> std::io::Result<()> {
            out.row(
                SIGHTINGS,
                format_args!(
                    "{source},{},{},{},{},{},",
                    who.0,
                    who.1,
                    self.places[place].id,
                    t(start),
                    t(end)
                ),
            )?;
            if self.places[place].kind.tier() != Tier::None {
                presences.push(Presence {
                    place,
                    start,
                    end,
                    person: i,
                });
            }
            Ok(())
        };
        let phone = ("phone", p.phone.as_str());
        let id = ("id_number", p.id_number.as_str());
        // Sick people stay home more.
        if sick && rng.chance(0.5) {
            if rng.chance(0.6) {
                let s = day + rng.range(9 * 60, 19 * 60) * MIN;
                let cat = *rng.pick(&["antipyretic", "cough", "antiviral", "antipyretic"]);
                self.sale(out, i, community, s, cat)?;
            }
            return Ok(());
        }
        let leave = day + 7 * HOUR + rng.range(0, 90) * MIN;
        if rng.chance(0.85) {
            out.row(
                GATE,
                format_args!(
                    "person_id,{},{},{},out,",
                    p.person_id,
                    self.places[grid.gate].id,
                    t(leave)
                ),
            )?;
        }
        let mut home = day + 17 * HOUR + rng.range(30, 120) * MIN;
        match (p.role, p.daytime) {
            (Role::Worker | Role::Child, Some(daytime)) => {
                if let Some(route) = p.bus {
                    // The vehicle that comes: one every BUS_HEADWAY, in turn.
                    let s = leave + rng.range(3, 12) * MIN;
                    let vehicles = &town.buses[route];
                    let bus = vehicles[(s / BUS_HEADWAY) as usize % vehicles.len()];
                    at(out, bus, s, s + rng.range(15, 35) * MIN, "bus_card", id)?;
                } else if let Some(plate) = &p.plate {
                    let s = leave + rng.range(10, 25) * MIN;
                    out.row(
                        PARKING,
                        format_args!(
                            "{plate},{},{},{},",
                            self.places[town.park].id,
                            t(s),
                            t(day + 17 * HOUR + rng.range(0, 40) * MIN)
                        ),
                    )?;
                    if rng.chance(0.05) {
                        let chk = self.checkpoints[town.county];
                        out.row(
                            CHECKPOINT,
                            format_args!(
                                "{plate},{},{},out,",
                                self.places[chk].id,
                                t(s + 2 * HOUR)
                            ),
                        )?;
                    }
                }
                let who = if p.role == Role::Child {
                    ("person_id", p.person_id.as_str())
                } else {
                    phone
                };
                let source = if p.role == Role::Child {
                    "school_roster"
                } else {
                    "wifi"
                };
                at(
                    out,
                    daytime,
                    day + 8 * HOUR + rng.range(30, 60) * MIN,
                    day + 17 * HOUR - rng.range(0, 30) * MIN,
                    source,
                    who,
                )?;
                if p.role == Role::Worker && rng.chance(0.25) {
                    let s = day + 12 * HOUR + rng.range(0, 20) * MIN;
                    at(
                        out,
                        community.restaurant,
                        s,
                        s + rng.range(20, 45) * MIN,
                        "wifi",
                        phone,
                    )?;
                }
            }
            _ => {
                if rng.chance(0.6) {
                    let s = leave + rng.range(0, 30) * MIN;
                    at(
                        out,
                        community.market,
                        s,
                        s + rng.range(20, 50) * MIN,
                        "market_pay",
                        id,
                    )?;
                }
                if rng.chance(if sick { 0.3 } else { 0.03 }) {
                    let s = day + 9 * HOUR + rng.range(0, 120) * MIN;
                    at(
                        out,
                        community.clinic,
                        s,
                        s + rng.range(20, 60) * MIN,
                        "clinic_register",
                        id,
                    )?;
                }
                home = day + rng.range(10, 18) * HOUR;
            }
        }
        if rng.chance(0.3) {
            let s = home + rng.range(5, 40) * MIN;
            at(out, grid.shop, s, s + rng.range(5, 20) * MIN, "wifi", phone)?;
        }
        if rng.chance(0.08) {
            let s = day + 18 * HOUR + rng.range(0, 45) * MIN;
            at(
                out,
                community.restaurant,
                s,
                s + rng.range(45, 90) * MIN,
                "wifi",
                phone,
            )?;
        }
        if p.young && rng.chance(0.08) {
            let s = day + 20 * HOUR + rng.range(0, 60) * MIN;
            let e = s + rng.range(90, 180) * MIN;
            out.row(
                NETCAFE,
                format_args!(
                    "{},{},{},{},N{}-{i}",
                    p.id_number,
                    self.places[community.cafe].id,
                    t(s),
                    t(e),
                    day / DAY
                ),
            )?;
            presences.push(Presence {
                place: community.cafe,
                start: s,
                end: e,
                person: i,
            });
            home = e + 10 * MIN;
        }
        if rng.chance(if sick { 0.35 } else { 0.004 }) {
            let s = day + rng.range(9 * 60, 20 * 60) * MIN;
            let cat = if sick {
                *rng.pick(&["antipyretic", "cough", "antiviral"])
            } else {
                *rng.pick(&["other", "other", "cough", "antipyretic"])
            };
            self.sale(out, i, community, s, cat)?;
        }
        if rng.chance(0.85) {
            out.row(
                GATE,
                format_args!(
                    "person_id,{},{},{},in,",
                    p.person_id,
                    self.places[grid.gate].id,
                    t(home)
                ),
            )?;
        }
        Ok(())
    }

    /// A pharmacy sale to resident `i` in their community.
    fn sale(
        &self,
        out: &mut Out,
        i: usize,
        community: &Community,
        at: i64,
        category: &str,
    ) -> std::io::Result<()> {
        let (who, shop) = (
            &self.persons[i].id_number,
            &self.places[community.pharmacy].id,
        );
        out.row(PHARMACY, format_args!("{who},{shop},{},{category},", t(at)))
    }

    /// Visitors from outside the city: hotel stays and a dinner out. They are in no registry.
    pub fn visitors(
        &self,
        day: i64,
        rng: &mut Rng,
        next: &mut u64,
        count: usize,
        out: &mut Out,
    ) -> std::io::Result<()> {
        for _ in 0..count {
            *next += 1;
            let prefix = *rng.pick(&["420102", "330106", "310101", "330702"]);
            let body = format!(
                "{prefix}1985{:02}{:02}{:03}",
                rng.range(1, 12),
                rng.range(1, 28),
                *next % 1000
            );
            let id = IdNumber::complete(&body);
            let town = rng.pick(&self.towns);
            let checkin = day + 19 * HOUR + rng.range(0, 120) * MIN;
            let checkout = day + rng.range(1, 3) * DAY + 8 * HOUR;
            out.row(
                HOTEL,
                format_args!(
                    "{id},{},{},{},V{next:07}",
                    self.places[town.hotel].id,
                    t(checkin),
                    t(checkout)
                ),
            )?;
            let c = rng.pick(&self.communities);
            let s = day + 18 * HOUR;
            out.row(
                SIGHTINGS,
                format_args!(
                    "wifi,id_number,{id},{},{},{},",
                    self.places[c.restaurant].id,
                    t(s),
                    t(s + HOUR)
                ),
            )?;
        }
        Ok(())
    }

    /// Parcels delivered today, the share `from_wuhan` of them shipped from Wuhan.
    pub fn deliveries(
        &self,
        day: i64,
        rng: &mut Rng,
        count: usize,
        from_wuhan: f64,
        out: &mut Out,
    ) -> std::io::Result<()> {
        for k in 0..count {
            let phone = if rng.chance(0.95) {
                self.persons[rng.below(self.persons.len() as u64) as usize]
                    .phone
                    .clone()
            } else {
                format!("15{:09}", rng.below(1_000_000_000))
            };
            let origin = if rng.chance(from_wuhan) {
                "420100"
            } else {
                *rng.pick(&["330100", "310100", "330700", "330100"])
            };
            let shipped = day - 2 * DAY + rng.range(8, 20) * HOUR;
            let delivered = day + rng.range(10, 18) * HOUR;
            out.row(
                DELIVERIES,
                format_args!(
                    "{phone},{origin},{},{},D{}-{k}",
                    t(shipped),
                    t(delivered),
                    day / DAY
                ),
            )?;
        }
        Ok(())
    }

    /// regions.csv, grids.geojson, places.csv, persons.csv, vehicles.csv and areas.csv.
    pub fn write_registries(&self, dir: &Path, start: i64) -> std::io::Result<()> {
        let file = |name: &str| -> std::io::Result<BufWriter<File>> {
            Ok(BufWriter::new(File::create(dir.join(name))?))
        };
        let mut w = file("regions.csv")?;
        writeln!(w, "code,name,parent_code,level")?;
        for (code, name, parent, level) in &self.regions {
            writeln!(
                w,
                "{code},{name},{},{level}",
                parent.as_deref().unwrap_or("")
            )?;
        }
        w.flush()?;
        // Every level's land, the city's first and the grids' last.
        let features: Vec<serde_json::Value> = self
            .regions
            .iter()
            .filter_map(|(code, name, _, level)| {
                let shape = self.shapes.get(code)?;
                Some(serde_json::json!({"type": "Feature",
                    "properties": {"code": code, "name": name, "level": level},
                    "geometry": {"type": "Polygon", "coordinates": [shape.ring(DECIMALS)]}}))
            })
            .collect();
        std::fs::write(
            dir.join("grids.geojson"),
            serde_json::to_vec(
                &serde_json::json!({"type": "FeatureCollection", "features": features}),
            )?,
        )?;
        let mut w = file("places.csv")?;
        writeln!(w, "place_id,kind,name,lat,lon,region_code,grid_code")?;
        for p in &self.places {
            let (lat, lon) = p.lonlat.map_or((String::new(), String::new()), |(x, y)| {
                (format!("{y:.6}"), format!("{x:.6}"))
            });
            writeln!(
                w,
                "{},{},{},{lat},{lon},{},{}",
                p.id,
                p.kind.as_str(),
                p.name,
                p.region,
                p.grid.as_deref().unwrap_or("")
            )?;
        }
        w.flush()?;
        let mut w = file("persons.csv")?;
        writeln!(
            w,
            "person_id,id_number,name,phone,household_id,address,grid_code"
        )?;
        let mut v = file("vehicles.csv")?;
        writeln!(v, "plate,owner_id_number")?;
        for p in &self.persons {
            writeln!(
                w,
                "{},{},{},{},H{:07},{}号楼,{}",
                p.person_id,
                p.id_number,
                p.name,
                p.phone,
                p.household,
                p.household % 40 + 1,
                self.grids[p.grid].code
            )?;
            if let Some(plate) = &p.plate {
                writeln!(v, "{plate},{}", p.id_number)?;
            }
        }
        w.flush()?;
        v.flush()?;
        let mut w = file("areas.csv")?;
        writeln!(w, "area_id,name,region_code,from,to,risk")?;
        writeln!(w, "A-WUHAN,武汉市,420100,{},,high", t(start - 30 * DAY))?;
        w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the map: every level's land tiles its parent's, and every place lies in the land
    /// of its own region (and of its grid), for a village-sized city and a large one.
    #[test]
    fn places_lie_in_their_regions_and_regions_tile_their_parents() {
        for persons in [300, 60_000] {
            let c = City::build(persons, &mut Rng::new(7));
            let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
            for (code, _, parent, _) in &c.regions {
                if let (Some(parent), true) = (parent, c.shapes.contains_key(code)) {
                    children.entry(parent.as_str()).or_default().push(code);
                }
            }
            for (code, _, _, level) in &c.regions {
                let Some(shape) = c.shapes.get(code) else {
                    assert!(matches!(*level, "province" | "city"), "{code} has no land");
                    continue;
                };
                if *level == "grid" {
                    continue;
                }
                let kids = &children[code.as_str()];
                let sum: f64 = kids.iter().map(|k| c.shapes[*k].area()).sum();
                assert!(
                    (sum - shape.area()).abs() < shape.area() * 1e-9,
                    "{code}: its {} parts cover {sum} of {}",
                    kids.len(),
                    shape.area()
                );
                for k in kids {
                    let centre = c.shapes[*k].centroid();
                    assert!(shape.contains(centre), "{k} outside {code}");
                    for other in kids.iter().filter(|o| *o != k) {
                        assert!(
                            !c.shapes[*other].contains(centre),
                            "{k} and {other} overlap"
                        );
                    }
                }
            }
            let seats = c.places.iter().filter(|p| p.id.starts_with("ST-33"));
            for (p, (_, _, x, y)) in seats.zip(COUNTIES) {
                assert_eq!(p.lonlat, Some((*x, *y)), "{} at its seat", p.id);
            }
            for p in c.places.iter().filter(|p| p.region.starts_with("3308")) {
                let Some(at) = p.lonlat else { continue };
                assert!(
                    c.shapes[&p.region].contains(at),
                    "{} outside {}",
                    p.id,
                    p.region
                );
                if let Some(g) = &p.grid {
                    assert!(c.shapes[g].contains(at), "{} outside grid {g}", p.id);
                }
            }
        }
    }
}
