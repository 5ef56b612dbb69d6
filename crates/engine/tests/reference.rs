//! The engine checked against a plain reading of CONTRACT.md sections 2 and 3: every rule
//! written as the contract words it, by brute force over all pairs of sightings, on random small
//! worlds. Alerts — every (subject, code, case or area) with its earliest time — and trace
//! contacts must be equal.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tracegrid_engine::{Alert, ScreenParams, Screening, World};
use tracegrid_model::rows::*;
use tracegrid_model::{
    CaseStatus, IdNumber, Level, PlaceKind, Reporter, Resolver, Risk, SubjectType, Symptom,
    Symptoms, Temperature, Tier,
};

const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn id_number(n: u32) -> String {
    let body = format!("3308021990{n:07}");
    IdNumber::complete(&body)
}

/// A random world, as the store would hand it over.
#[derive(Clone, Debug)]
struct Case {
    reg: Registry,
    sightings: Vec<SightingRow>,
    deliveries: Vec<DeliveryRow>,
    /// Health reports; those with a place are among `sightings` too (source 3, `health`), as
    /// the importer makes them.
    health_reports: Vec<HealthReportRow>,
    as_of: i64,
    lookback_days: i64,
    home: Option<String>,
    traced: String,
    /// Polygon areas: area_id → the square's lower corner (it spans 4 units from there).
    squares: BTreeMap<String, f64>,
}

const REGIONS: &[(&str, Option<&str>)] = &[
    ("R", None),
    ("A", Some("R")),
    ("B", Some("R")),
    ("A1", Some("A")),
    ("A2", Some("A")),
    ("X", None),
];

fn world() -> impl Strategy<Value = Case> {
    let place = (
        0..PlaceKind::ALL.len(),
        0..REGIONS.len() + 1,
        0..10i32,
        0..10i32,
    );
    let subject = 0..12usize;
    // Dense on purpose: a few places, a few hours a day, five-minute steps, so that touching
    // intervals and gaps of exactly τ come up often.
    let sighting = (
        subject.clone(),
        0..5usize,
        (0..7i64, 0..36i64),
        0..12i64,
        0..2usize,
        0..5i64,
        any::<bool>(),
    );
    let case = (
        0..9u32,
        0..5usize,
        proptest::option::of(0..6i64),
        0..7i64,
        proptest::option::of(0..8i64),
    );
    let area = (
        0..REGIONS.len(),
        0..6i64,
        proptest::option::of(0..8i64),
        any::<bool>(),
    );
    let delivery = (
        0..8usize,
        0..REGIONS.len(),
        0..7i64,
        proptest::option::of(0..3i64),
    );
    // Temperatures around 37.3; reports at five-minute steps or at a day's first instant, where
    // windows start and end.
    let report = (
        0..10u32,
        (0..7i64, proptest::option::of(0..36i64)),
        proptest::option::of(368..378i64),
        prop_oneof![3 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        proptest::option::of(0..5usize),
    );
    (
        proptest::collection::vec(place, 10),
        proptest::collection::vec((proptest::option::of(0..3u32), 0..4u32), 6),
        proptest::collection::vec(sighting, 0..40),
        proptest::collection::vec(case, 0..3),
        proptest::collection::vec(area, 0..3),
        proptest::collection::vec(delivery, 0..3),
        proptest::collection::vec(report, 0..6),
        (2..8i64, 1..9i64, proptest::option::of(0..REGIONS.len()), 0..12usize),
    )
        .prop_map(|(places, persons, sightings, cases, areas, deliveries, reports, (as_of_day, lookback_days, home, traced))| {
            let t0 = 1_579_000_000_000i64;
            let regions = REGIONS
                .iter()
                .map(|(c, p)| RegionRow { code: c.to_string(), name: c.to_string(), parent_code: p.map(str::to_owned), level: Level::Other })
                .collect();
            let places: Vec<PlaceRow> = places
                .into_iter()
                .enumerate()
                .map(|(i, (k, r, x, y))| {
                    let kind = PlaceKind::ALL[k];
                    PlaceRow {
                        pid: i as i64 + 1,
                        place_id: format!("L{i}"),
                        kind,
                        name: None,
                        lat: Some(f64::from(y)),
                        lon: Some(f64::from(x)),
                        region_code: REGIONS.get(r).filter(|_| kind != PlaceKind::TrainCar).map(|r| r.0.to_owned()),
                        grid_code: None,
                    }
                })
                .collect();
            // Phones 13800000000..3: several persons may share one, which then resolves to no one.
            let persons: Vec<PersonRow> = persons
                .into_iter()
                .enumerate()
                .map(|(i, (h, phone))| PersonRow {
                    person_id: format!("P{i}"),
                    id_number: id_number(i as u32),
                    name: None,
                    phone: Some(format!("1380000000{phone}")),
                    household_id: h.map(|h| format!("H{h}")),
                    address: None,
                    grid_code: None,
                })
                .collect();
            let vehicles = vec![
                VehicleRow { plate: "浙H00001".into(), owner_id_number: id_number(1) },
                VehicleRow { plate: "浙H00002".into(), owner_id_number: id_number(77) },
            ];
            let subject = |n: usize| -> (SubjectType, String) {
                match n {
                    0..=5 => (SubjectType::PersonId, format!("P{n}")),
                    6 => (SubjectType::IdNumber, id_number(2)),
                    7 => (SubjectType::IdNumber, id_number(8)),
                    8 => (SubjectType::Phone, "13800000001".into()),
                    9 => (SubjectType::Phone, "13900000000".into()),
                    10 => (SubjectType::Plate, "浙H00001".into()),
                    _ => (SubjectType::Plate, "浙H00002".into()),
                }
            };
            let mut sightings: Vec<SightingRow> = sightings
                .into_iter()
                .enumerate()
                .map(|(i, (s, p, (day, slot), dur5, src, tag, point))| {
                    let (subject_type, subject) = subject(s);
                    let start = t0 + day * DAY + 9 * 3_600_000 + slot * 5 * MIN;
                    SightingRow {
                        key: RowKey { k1: i as i64, k2: 0 },
                        source_id: src as i64 + 1,
                        subject_type,
                        subject,
                        pid: p as i64 + 1,
                        start,
                        end: if point { start } else { start + dur5 * 5 * MIN },
                        tag,
                        record_id: None,
                    }
                })
                .collect();
            let statuses = [CaseStatus::Suspected, CaseStatus::Confirmed, CaseStatus::Asymptomatic, CaseStatus::Recovered, CaseStatus::Excluded];
            let mut seen = BTreeSet::new();
            let cases = cases
                .into_iter()
                .filter(|c| seen.insert(c.0))
                .map(|(who, st, onset, confirmed, isolated)| CaseRow {
                    subject: id_number(who),
                    status: statuses[st],
                    onset: onset.map(|d| t0 + d * DAY),
                    confirmed: t0 + confirmed * DAY + 12 * 3_600_000,
                    isolated: isolated.map(|d| t0 + d * DAY + 6 * 3_600_000),
                })
                .collect();
            let areas: Vec<AreaRow> = areas
                .into_iter()
                .enumerate()
                .map(|(i, (r, from, to, polygon))| AreaRow {
                    area_id: format!("AR{i}"),
                    // The generator keeps which region index made the square here.
                    name: polygon.then(|| REGIONS[r].0.to_owned()),
                    region_code: (!polygon).then(|| REGIONS[r].0.to_owned()),
                    // Corners at .5: no place lies on an edge.
                    geometry: polygon.then(|| {
                        let (a, b) = (r as f64 + 0.5, r as f64 + 4.5);
                        format!(r#"{{"type":"Polygon","coordinates":[[[{a},{a}],[{b},{a}],[{b},{b}],[{a},{b}],[{a},{a}]]]}}"#)
                    }),
                    from: t0 + from * DAY,
                    to: to.map(|d| t0 + d * DAY),
                    risk: Risk::High,
                })
                .collect();
            let deliveries = deliveries
                .into_iter()
                .enumerate()
                .map(|(i, (phone, r, shipped, delay))| DeliveryRow {
                    key: RowKey { k1: i as i64, k2: 0 },
                    recipient_phone: format!("1380000000{}", phone % 5),
                    origin_region_code: REGIONS[r].0.to_owned(),
                    shipped: t0 + shipped * DAY,
                    delivered: delay.map(|d| t0 + (shipped + d) * DAY),
                    record_id: None,
                })
                .collect();
            let health_reports: Vec<HealthReportRow> = reports
                .into_iter()
                .enumerate()
                .map(|(i, (who, (day, slot), temperature, symptoms, place))| HealthReportRow {
                    key: RowKey { k1: i as i64, k2: 0 },
                    id_number: id_number(who),
                    time: t0 + day * DAY + slot.map_or(0, |s| 9 * 3_600_000 + s * 5 * MIN),
                    temperature: temperature.map(Temperature::from_tenths),
                    symptoms: match symptoms {
                        0 => Symptoms::NONE,
                        1 => [Symptom::Fever].into_iter().collect(),
                        _ => [Symptom::Cough, Symptom::Diarrhea].into_iter().collect(),
                    },
                    pid: place.map(|p| p as i64 + 1),
                    reporter: Some(Reporter::Gate),
                    record_id: None,
                })
                .collect();
            sightings.extend(health_reports.iter().filter_map(|h| {
                Some(SightingRow {
                    key: RowKey { k1: 1000 + h.key.k1, k2: 0 },
                    source_id: 3,
                    subject_type: SubjectType::IdNumber,
                    subject: h.id_number.clone(),
                    pid: h.pid?,
                    start: h.time,
                    end: h.time,
                    tag: 0,
                    record_id: None,
                })
            }));
            let squares = areas
                .iter()
                .filter(|a: &&AreaRow| a.geometry.is_some())
                .map(|a| (a.area_id.clone(), REGIONS.iter().position(|r| Some(r.0) == a.name.as_deref()).unwrap() as f64 + 0.5))
                .collect();
            let traced = match traced {
                0..=5 => format!("P{traced}"),
                6 => id_number(2),
                7 => id_number(8),
                8 => "phone:13900000000".into(),
                _ => "plate:浙H00002".into(),
            };
            Case {
                reg: Registry {
                    regions,
                    places,
                    persons,
                    vehicles,
                    cases,
                    areas,
                    sources: vec![
                        SourceRow { id: 1, name: "wifi".into() },
                        SourceRow { id: 2, name: "pharmacy".into() },
                        SourceRow { id: 3, name: "health".into() },
                    ],
                    ..Registry::default()
                },
                sightings,
                deliveries,
                health_reports,
                as_of: t0 + as_of_day * DAY,
                lookback_days,
                home: home.and_then(|h| REGIONS.get(h)).map(|r| r.0.to_owned()),
                traced,
                squares,
            }
        })
}

/// CONTRACT.md section 2, read plainly.
struct Reference<'a> {
    c: &'a Case,
    resolver: Resolver,
    lo: i64,
    hi: i64,
}

/// A sighting with its subject resolved.
#[derive(Clone, Debug)]
struct S {
    who: String,
    place: usize,
    start: i64,
    end: i64,
    source: i64,
    tag: i64,
}

impl<'a> Reference<'a> {
    fn new(c: &'a Case) -> Reference<'a> {
        let resolver = c.reg.resolver();
        Reference {
            c,
            resolver,
            lo: c.as_of - c.lookback_days * DAY,
            hi: c.as_of,
        }
    }

    fn sightings(&self) -> Vec<S> {
        self.c
            .sightings
            .iter()
            .map(|s| S {
                who: self
                    .resolver
                    .resolve(s.subject_type, &s.subject)
                    .name()
                    .to_owned(),
                place: (s.pid - 1) as usize,
                start: s.start,
                end: s.end,
                source: s.source_id,
                tag: s.tag,
            })
            .collect()
    }

    fn visible(&self, s: &S) -> bool {
        s.start <= self.hi && s.end >= self.lo
    }

    fn kind(&self, place: usize) -> PlaceKind {
        self.c.reg.places[place].kind
    }

    fn inside(&self, code: &str, ancestor: &str) -> bool {
        let mut at = Some(code);
        while let Some(c) = at {
            if c == ancestor {
                return true;
            }
            at = REGIONS.iter().find(|r| r.0 == c).and_then(|r| r.1);
        }
        false
    }

    /// Active cases: name → exposure window within the lookback (None if empty).
    fn cases(&self) -> BTreeMap<String, Option<(i64, i64)>> {
        self.c
            .reg
            .cases
            .iter()
            .filter(|k| k.status.is_active())
            .map(|k| {
                let who = self
                    .resolver
                    .resolve(SubjectType::IdNumber, &k.subject)
                    .name()
                    .to_owned();
                let s = (k.onset.unwrap_or(k.confirmed) - 2 * DAY).max(self.lo);
                let e = k.isolated.unwrap_or(k.confirmed).min(self.hi);
                (who, (s <= e).then_some((s, e)))
            })
            .collect()
    }

    fn household(&self, who: &str) -> Vec<String> {
        let Some(h) = self
            .c
            .reg
            .persons
            .iter()
            .find(|p| p.person_id == who)
            .and_then(|p| p.household_id.clone())
        else {
            return vec![];
        };
        self.c
            .reg
            .persons
            .iter()
            .filter(|p| p.household_id.as_ref() == Some(&h) && p.person_id != who)
            .map(|p| p.person_id.clone())
            .collect()
    }

    fn co_present(a: (i64, i64), b: (i64, i64), tau: i64) -> Option<i64> {
        (a.0.max(b.0) <= a.1.min(b.1) + tau).then_some(a.0.max(b.0))
    }

    /// (subject, code, case or area) → earliest time.
    fn screen(&self) -> BTreeMap<(String, &'static str, String), i64> {
        let mut out: BTreeMap<(String, &'static str, String), i64> = BTreeMap::new();
        let add =
            |out: &mut BTreeMap<_, i64>, who: &str, code: &'static str, key: String, t: i64| {
                let e = out.entry((who.to_owned(), code, key)).or_insert(t);
                *e = (*e).min(t);
            };
        let all = self.sightings();
        let cases = self.cases();
        let is_case = |w: &str| cases.contains_key(w);
        // (close contact) → (e, case)
        let mut close: BTreeMap<String, (i64, String)> = BTreeMap::new();
        let note = |close: &mut BTreeMap<String, (i64, String)>, who: &str, t: i64, case: &str| {
            let e = close.entry(who.to_owned()).or_insert((t, case.to_owned()));
            if (t, case) < (e.0, e.1.as_str()) {
                *e = (t, case.to_owned());
            }
        };
        for (case, w) in &cases {
            let Some((ws, we)) = *w else { continue };
            for a in all.iter().filter(|a| &a.who == case) {
                let clip = (a.start.max(ws), a.end.min(we));
                if clip.0 > clip.1 {
                    continue;
                }
                let kind = self.kind(a.place);
                let Some(tau) = kind.tolerance_ms() else {
                    continue;
                };
                for b in all.iter().filter(|b| {
                    b.place == a.place && &b.who != case && self.visible(b) && !is_case(&b.who)
                }) {
                    if let Some(t) = Self::co_present(clip, (b.start, b.end), tau) {
                        if kind.tier() == Tier::Close {
                            add(&mut out, &b.who, "CLOSE_CONTACT", case.clone(), t);
                            note(&mut close, &b.who, t, case);
                        } else {
                            add(&mut out, &b.who, "GENERAL_CONTACT", case.clone(), t);
                        }
                    }
                }
            }
            for m in self.household(case) {
                if !is_case(&m) {
                    add(&mut out, &m, "CLOSE_CONTACT", case.clone(), ws);
                    note(&mut close, &m, ws, case);
                }
            }
        }
        for (c, (e, case)) in &close {
            for a in all.iter().filter(|a| {
                &a.who == c && self.visible(a) && self.kind(a.place).tier() == Tier::Close
            }) {
                let clip = (a.start.max(*e), a.end.min(self.hi));
                if clip.0 > clip.1 {
                    continue;
                }
                for b in all
                    .iter()
                    .filter(|b| b.place == a.place && &b.who != c && self.visible(b))
                {
                    if close.contains_key(&b.who) || is_case(&b.who) {
                        continue;
                    }
                    if let Some(t) = Self::co_present(clip, (b.start, b.end), 0) {
                        add(&mut out, &b.who, "SECONDARY_CONTACT", case.clone(), t);
                    }
                }
            }
            for m in self.household(c) {
                if !close.contains_key(&m) && !is_case(&m) {
                    add(&mut out, &m, "SECONDARY_CONTACT", case.clone(), *e);
                }
            }
        }
        for s in all.iter().filter(|s| self.visible(s)) {
            let place = &self.c.reg.places[s.place];
            for a in &self.c.reg.areas {
                let inside = match (&a.geometry, &a.region_code, &place.region_code) {
                    (Some(_), _, _) => {
                        let r = self.c.squares[&a.area_id];
                        let (x, y) = (place.lon.unwrap(), place.lat.unwrap());
                        x > r && x < r + 4.0 && y > r && y < r + 4.0
                    }
                    (None, Some(ar), Some(pr)) => self.inside(pr, ar),
                    _ => false,
                };
                if inside && s.start <= a.to.unwrap_or(i64::MAX) && s.end >= a.from {
                    add(
                        &mut out,
                        &s.who,
                        "EPI_AREA",
                        a.area_id.clone(),
                        s.start.max(a.from).max(self.lo),
                    );
                }
            }
            if s.source == 2 && (1..=3).contains(&s.tag) {
                add(
                    &mut out,
                    &s.who,
                    "FEVER_MEDICINE",
                    String::new(),
                    s.start.max(self.lo),
                );
            }
        }
        if let Some(h) = &self.c.home {
            for x in all.iter().filter(|s| self.visible(s)) {
                for y in all
                    .iter()
                    .filter(|s| self.visible(s) && s.who == x.who && s.start > x.start)
                {
                    let (Some(xr), Some(yr)) = (
                        &self.c.reg.places[x.place].region_code,
                        &self.c.reg.places[y.place].region_code,
                    ) else {
                        continue;
                    };
                    if !self.inside(xr, h) && self.inside(yr, h) {
                        add(&mut out, &x.who, "OUTSIDE_ARRIVAL", String::new(), y.start);
                    }
                }
            }
        }
        for d in &self.c.deliveries {
            let at = d.delivered.unwrap_or(d.shipped);
            if at < self.lo || at > self.hi {
                continue;
            }
            let who = self
                .resolver
                .resolve(SubjectType::Phone, &d.recipient_phone)
                .name()
                .to_owned();
            for a in self.c.reg.areas.iter().filter(|a| a.geometry.is_none()) {
                let active = a.from <= d.shipped && d.shipped <= a.to.unwrap_or(i64::MAX);
                if active && self.inside(&d.origin_region_code, a.region_code.as_ref().unwrap()) {
                    add(&mut out, &who, "DELIVERY_FROM_AREA", a.area_id.clone(), at);
                }
            }
        }
        // FEVER_REPORTED (section 9): a report in the window of 37.3 °C or more, or naming a
        // symptom; the earliest.
        for h in &self.c.health_reports {
            let fever = h.temperature.is_some_and(|t| t.tenths() >= 373) || !h.symptoms.is_empty();
            if fever && self.lo <= h.time && h.time <= self.hi {
                let who = self
                    .resolver
                    .resolve(SubjectType::IdNumber, &h.id_number)
                    .name()
                    .to_owned();
                add(&mut out, &who, "FEVER_REPORTED", String::new(), h.time);
            }
        }
        out.retain(|(who, _, _), _| !is_case(who));
        out
    }

    /// Trace contacts: subject → (degree, tier, first_at).
    fn trace(&self, traced: &str, degree: u8) -> BTreeMap<String, (u8, &'static str, i64)> {
        let all = self.sightings();
        let cases = self.cases();
        let window = match cases.get(traced) {
            Some(w) => *w,
            None => Some((self.lo, self.hi)),
        };
        let mut first: BTreeMap<String, (Tier, i64, Option<i64>)> = BTreeMap::new();
        let Some((ws, we)) = window else {
            return BTreeMap::new();
        };
        let meet = |first: &mut BTreeMap<String, (Tier, i64, Option<i64>)>,
                    who: &str,
                    tier: Tier,
                    t: i64| {
            let e = first.entry(who.to_owned()).or_insert((tier, t, None));
            e.0 = e.0.min(tier);
            e.1 = e.1.min(t);
            if tier == Tier::Close {
                e.2 = Some(e.2.map_or(t, |x: i64| x.min(t)));
            }
        };
        for a in all.iter().filter(|a| a.who == traced) {
            let clip = (a.start.max(ws), a.end.min(we));
            let kind = self.kind(a.place);
            let Some(tau) = kind.tolerance_ms() else {
                continue;
            };
            if clip.0 > clip.1 {
                continue;
            }
            for b in all
                .iter()
                .filter(|b| b.place == a.place && b.who != traced && self.visible(b))
            {
                if let Some(t) = Self::co_present(clip, (b.start, b.end), tau) {
                    meet(&mut first, &b.who, kind.tier(), t);
                }
            }
        }
        for m in self.household(traced) {
            meet(&mut first, &m, Tier::Close, ws);
        }
        let mut out: BTreeMap<String, (u8, &'static str, i64)> = first
            .iter()
            .map(|(k, v)| (k.clone(), (1, v.0.as_str(), v.1)))
            .collect();
        if degree == 2 {
            let mut second: BTreeMap<String, i64> = BTreeMap::new();
            for (c, (_, _, e)) in &first {
                let Some(e) = *e else { continue };
                let mut reach = |who: &str, t: i64| {
                    if who != traced && !first.contains_key(who) {
                        let x = second.entry(who.to_owned()).or_insert(t);
                        *x = (*x).min(t);
                    }
                };
                for a in all.iter().filter(|a| {
                    &a.who == c && self.visible(a) && self.kind(a.place).tier() == Tier::Close
                }) {
                    let clip = (a.start.max(e), a.end.min(self.hi));
                    if clip.0 > clip.1 {
                        continue;
                    }
                    for b in all
                        .iter()
                        .filter(|b| b.place == a.place && &b.who != c && self.visible(b))
                    {
                        if let Some(t) = Self::co_present(clip, (b.start, b.end), 0) {
                            reach(&b.who, t);
                        }
                    }
                }
                for m in self.household(c) {
                    reach(&m, e);
                }
            }
            for (k, t) in second {
                out.insert(k, (2, "close", t));
            }
        }
        out
    }
}

/// The world of a case's rows, as a store hands them over.
fn build(c: &Case) -> World {
    build_rows(&c.reg, &c.sightings, &c.deliveries, &c.health_reports)
}

fn build_rows(
    reg: &Registry,
    sightings: &[SightingRow],
    deliveries: &[DeliveryRow],
    health_reports: &[HealthReportRow],
) -> World {
    let mut b = World::builder(reg);
    b.add_all(sightings);
    b.add_health_reports(health_reports);
    b.finish(deliveries)
}

fn params(c: &Case, w: &World) -> ScreenParams {
    ScreenParams {
        as_of: c.as_of,
        lookback_days: c.lookback_days,
        home_region: c.home.as_ref().and_then(|h| w.region(h)),
    }
}

fn engine_screen(c: &Case, w: &World) -> BTreeMap<(String, &'static str, String), i64> {
    alerts(w, &w.screen(&params(c, w)).alerts)
}

/// Alerts as (subject, code, case or area) → earliest time, checking that each appears once
/// and that they come in the contract's order.
fn alerts<'a>(
    w: &World,
    alerts: impl IntoIterator<Item = &'a Alert>,
) -> BTreeMap<(String, &'static str, String), i64> {
    let mut out = BTreeMap::new();
    // Score down; among equal scores the most urgent reason, its earliest evidence, then name.
    let mut last: Option<(f64, (u8, i64), String)> = None;
    for a in alerts {
        let name = w.subject_name(a.subject).to_owned();
        let first = a
            .reasons
            .iter()
            .map(|r| (r.code.urgency(), r.at))
            .min()
            .unwrap();
        if let Some((score, prev_first, prev)) = &last {
            assert!(
                *score > a.score
                    || (*score == a.score
                        && (*prev_first < first || (*prev_first == first && *prev < name))),
                "alerts by score, then the most urgent reason and its earliest evidence, then name"
            );
        }
        last = Some((a.score, first, name));
        for r in &a.reasons {
            let key = match (r.case, r.area) {
                (Some(k), _) => w.subject_name(k).to_owned(),
                (None, Some(ar)) => w.area_id(ar).to_owned(),
                _ => String::new(),
            };
            let prev = out.insert(
                (w.subject_name(a.subject).to_owned(), r.code.as_str(), key),
                r.at,
            );
            assert!(
                prev.is_none(),
                "one reason per (subject, code, case or area)"
            );
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn screen_equals_the_reference(c in world()) {
        let w = build(&c);
        prop_assert_eq!(engine_screen(&c, &w), Reference::new(&c).screen());
        // Row by row, as a store streams them, builds the same world.
        let mut b = World::builder(&c.reg);
        for s in &c.sightings {
            b.add(s);
        }
        b.add_health_reports(&c.health_reports);
        let streamed = b.finish(&c.deliveries);
        prop_assert_eq!(engine_screen(&c, &streamed), engine_screen(&c, &w));
    }

    /// The incremental path: cases added, changed or ended one after another in a live
    /// screening give the same alerts as a world built with them, and as the reference.
    #[test]
    fn adding_cases_equals_building_with_them(
        c in world(),
        changes in proptest::collection::vec((0..9u32, 0..6i64, 0..4usize, proptest::option::of(0..8i64)), 1..4),
    ) {
        let mut w = build(&c);
        let mut live = Screening::new(&w, &params(&c, &w));
        let mut with = c.clone();
        for (who, onset, status, isolated) in changes {
            let case = CaseRow {
                subject: id_number(who),
                status: [CaseStatus::Confirmed, CaseStatus::Suspected, CaseStatus::Recovered, CaseStatus::Asymptomatic][status],
                onset: Some(1_579_000_000_000 + onset * DAY),
                confirmed: 1_579_000_000_000 + (onset + 2) * DAY,
                isolated: isolated.map(|d| 1_579_000_000_000 + d * DAY),
            };
            let s = w.add_case(&case);
            live.update_case(&w, s);
            with.reg.cases.retain(|k| k.subject != case.subject);
            with.reg.cases.push(case);
        }
        let fresh = build(&with);
        let reference = Reference::new(&with).screen();
        prop_assert_eq!(&alerts(&w, live.alerts()), &reference);
        prop_assert_eq!(&engine_screen(&with, &w), &reference);
        prop_assert_eq!(&engine_screen(&with, &fresh), &reference);
        // Scores too: the incremental alerts equal the fresh ones in full.
        let fresh_alerts: Vec<(String, f64)> = fresh.screen(&params(&with, &fresh)).alerts.iter().map(|a| (fresh.subject_name(a.subject).to_owned(), a.score)).collect();
        let live_alerts: Vec<(String, f64)> = live.alerts().map(|a| (w.subject_name(a.subject).to_owned(), a.score)).collect();
        prop_assert_eq!(live_alerts, fresh_alerts);
    }

    /// An area added to a live screening (by region or by polygon, through the R-tree) gives
    /// the alerts of a world built with it.
    #[test]
    fn adding_an_area_equals_building_with_it(c in world()) {
        let mut without = c.clone();
        let Some(area) = without.reg.areas.pop() else {
            return Ok(());
        };
        let mut w = build(&without);
        let mut live = Screening::new(&w, &params(&c, &w));
        let ai = w.add_area(&area);
        live.update_area(&w, ai);
        prop_assert_eq!(alerts(&w, live.alerts()), Reference::new(&c).screen());
    }

    /// Live feeds: the world's sightings and deliveries fed in random batches into a screening
    /// that serves, interleaved with cases and layouts, screen exactly as the same world built
    /// at once — alerts, reasons, times, scores and order.
    #[test]
    fn feeding_rows_in_batches_equals_building_at_once(
        c in world(),
        first in 0..40usize,
        cuts in proptest::collection::vec((1..12usize, any::<bool>(), proptest::option::of((0..9u32, 0..6i64))), 1..6),
    ) {
        let first = first.min(c.sightings.len());
        let mut w = build_rows(&c.reg, &c.sightings[..first], &[], &[]);
        let mut live = Screening::new(&w, &params(&c, &w));
        let mut with = c.clone();
        let (mut at, mut delivered, mut reported) = (first, 0, 0);
        let mut cuts = cuts.into_iter();
        while at < c.sightings.len() || delivered < c.deliveries.len() || reported < c.health_reports.len() {
            let (n, lay_out, case) = cuts.next().unwrap_or((usize::MAX, false, None));
            let to = at.saturating_add(n).min(c.sightings.len());
            let d_to = (delivered + 1).min(c.deliveries.len());
            let r_to = (reported + 2).min(c.health_reports.len());
            let mut fresh = w.add_events(&c.sightings[at..to], &c.deliveries[delivered..d_to]);
            fresh.extend(w.add_health_reports(&c.health_reports[reported..r_to]));
            live.update(&w, &fresh);
            (at, delivered, reported) = (to, d_to, r_to);
            if lay_out {
                w.lay_out_again();
            }
            if let Some((who, onset)) = case {
                let case = CaseRow {
                    subject: id_number(who),
                    status: CaseStatus::Confirmed,
                    onset: Some(1_579_000_000_000 + onset * DAY),
                    confirmed: 1_579_000_000_000 + (onset + 2) * DAY,
                    isolated: None,
                };
                let s = w.add_case(&case);
                live.update_case(&w, s);
                with.reg.cases.retain(|k| k.subject != case.subject);
                with.reg.cases.push(case);
            }
        }
        let fresh = build(&with);
        prop_assert_eq!(&alerts(&w, live.alerts()), &Reference::new(&with).screen());
        let want: Vec<(String, f64, usize)> = fresh.screen(&params(&with, &fresh)).alerts.iter()
            .map(|a| (fresh.subject_name(a.subject).to_owned(), a.score, a.reasons.len())).collect();
        let got: Vec<(String, f64, usize)> = live.alerts()
            .map(|a| (w.subject_name(a.subject).to_owned(), a.score, a.reasons.len())).collect();
        prop_assert_eq!(got, want);
        // The world fed row by row traces as the one built at once.
        if let (Some(a), Some(b)) = (w.find_subject(&with.traced), fresh.find_subject(&with.traced)) {
            let p = ScreenParams { as_of: with.as_of, lookback_days: with.lookback_days, home_region: None };
            let names = |w: &World, t: tracegrid_engine::Trace| -> Vec<(String, u8, i64)> {
                let mut v: Vec<_> = t.contacts.iter().map(|k| (w.subject_name(k.subject).to_owned(), k.degree, k.first_at)).collect();
                v.sort();
                v
            };
            prop_assert_eq!(names(&w, w.trace(a, &p, 2)), names(&fresh, fresh.trace(b, &p, 2)));
            prop_assert_eq!(w.trajectory(a, p.window()).len(), fresh.trajectory(b, p.window()).len());
        }
    }

    /// Rolling: a screening moved to a later moment (or an earlier one) equals a screening made
    /// at that moment.
    #[test]
    fn rolling_the_moment_equals_screening_at_it(
        c in world(),
        steps in proptest::collection::vec(-144..480i64, 1..5),
    ) {
        let w = build(&c);
        let mut p = params(&c, &w);
        let mut live = Screening::new(&w, &p);
        for step in steps {
            // Five-minute steps, as the sightings are, up to 40 hours: the window's start often
            // falls inside a sighting.
            p.as_of += step * 300_000;
            live.roll(&w, p.as_of);
            let want: Vec<(String, f64, usize)> = w.screen(&p).alerts.iter()
                .map(|a| (w.subject_name(a.subject).to_owned(), a.score, a.reasons.len())).collect();
            let got: Vec<(String, f64, usize)> = live.alerts()
                .map(|a| (w.subject_name(a.subject).to_owned(), a.score, a.reasons.len())).collect();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(alerts(&w, live.alerts()), alerts(&w, &w.screen(&p).alerts));
        }
    }

    /// A person registered while the world serves, whose ID number was seen before: the
    /// subject is renamed (or the world asks to be built again), and screens as a world built
    /// with the person.
    #[test]
    fn a_person_arriving_equals_building_with_them(c in world(), late in 0..6usize) {
        let mut without = c.clone();
        let person = without.reg.persons.remove(late);
        // A person_id no registry holds is refused at import: those sightings never arrive.
        without.sightings.retain(|s| !(s.subject_type == SubjectType::PersonId && s.subject == person.person_id));
        let mut with = without.clone();
        with.reg.persons.push(person.clone());
        let mut w = build(&without);
        let mut live = Screening::new(&w, &params(&without, &w));
        match w.add_persons(std::slice::from_ref(&person)) {
            Ok(fresh) => {
                live.update(&w, &fresh);
            }
            Err(_) => {
                // Built again, as the server does.
                w = build(&with);
                live = Screening::new(&w, &params(&with, &w));
            }
        }
        let fresh = build(&with);
        prop_assert_eq!(alerts(&w, live.alerts()), alerts(&fresh, &fresh.screen(&params(&with, &fresh)).alerts));
        let got: Vec<(String, f64)> = live.alerts().map(|a| (w.subject_name(a.subject).to_owned(), a.score)).collect();
        let want: Vec<(String, f64)> = fresh.screen(&params(&with, &fresh)).alerts.iter().map(|a| (fresh.subject_name(a.subject).to_owned(), a.score)).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn trace_equals_the_reference(c in world(), degree in 1..=2u8) {
        let w = build(&c);
        let reference = Reference::new(&c);
        let Some(s) = w.find_subject(&c.traced) else {
            // A subject the world never met: nothing to compare.
            return Ok(());
        };
        let p = ScreenParams { as_of: c.as_of, lookback_days: c.lookback_days, home_region: None };
        let t = w.trace(s, &p, degree);
        let got: BTreeMap<String, (u8, &'static str, i64)> = t
            .contacts
            .iter()
            .map(|k| (w.subject_name(k.subject).to_owned(), (k.degree, k.tier.as_str(), k.first_at)))
            .collect();
        prop_assert_eq!(got, reference.trace(w.subject_name(s), degree));
    }
}

/// A case whose status changes re-scores the secondary contacts it is behind, though no
/// contact moved: X (suspected) shares a bus with C, C later shares one with D.
#[test]
fn a_case_confirmed_rescores_its_secondary_contacts() {
    let t0 = 1_579_000_000_000i64;
    let person = |i: u32| PersonRow {
        person_id: format!("P{i}"),
        id_number: id_number(i),
        name: None,
        phone: None,
        household_id: None,
        address: None,
        grid_code: None,
    };
    let bus = |pid: i64| PlaceRow {
        pid,
        place_id: format!("BUS{pid}"),
        kind: PlaceKind::Bus,
        name: None,
        lat: None,
        lon: None,
        region_code: None,
        grid_code: None,
    };
    let ride = |who: u32, pid: i64, hour: i64| SightingRow {
        key: RowKey {
            k1: i64::from(who) * 100 + hour,
            k2: 0,
        },
        source_id: 1,
        subject_type: SubjectType::PersonId,
        subject: format!("P{who}"),
        pid,
        start: t0 + hour * 3_600_000,
        end: t0 + (hour + 1) * 3_600_000,
        tag: 0,
        record_id: None,
    };
    let case = |status| CaseRow {
        subject: id_number(0),
        status,
        onset: Some(t0),
        confirmed: t0 + DAY,
        isolated: None,
    };
    let mut reg = Registry {
        persons: (0..3).map(person).collect(),
        places: vec![bus(1), bus(2)],
        sources: vec![SourceRow {
            id: 1,
            name: "bus".into(),
        }],
        cases: vec![case(CaseStatus::Suspected)],
        ..Registry::default()
    };
    let sightings = vec![ride(0, 1, 2), ride(1, 1, 2), ride(1, 2, 5), ride(2, 2, 5)];
    let p = ScreenParams {
        as_of: t0 + 2 * DAY,
        lookback_days: 14,
        home_region: None,
    };
    let mut w = World::build(&reg, &sightings, &[]);
    let mut live = Screening::new(&w, &p);
    let d = w.find_subject("P2").unwrap();
    let before = live.alert(d).unwrap().score;
    let x = w.add_case(&case(CaseStatus::Confirmed));
    live.update_case(&w, x);
    reg.cases = vec![case(CaseStatus::Confirmed)];
    let fresh = World::build(&reg, &sightings, &[]);
    let after = fresh
        .screen(&p)
        .alerts
        .iter()
        .find(|a| a.subject == d)
        .unwrap()
        .score;
    assert!(
        after > before,
        "confirming the case raises its secondary contact's score"
    );
    assert_eq!(live.alert(d).unwrap().score, after);
}

/// FEVER_REPORTED's world: a gate and a clinic, persons P0–P3, P3 a confirmed case who was at
/// the clinic; the moment T is day 10, the lookback a week, so the window is days 3 to 10.
mod fever_reported {
    use super::*;

    pub const T0: i64 = 1_579_000_000_000;
    pub const T: i64 = T0 + 10 * DAY;
    pub const FROM: i64 = T - 7 * DAY;

    pub fn registry() -> Registry {
        let place = |pid: i64, id: &str, kind| PlaceRow {
            pid,
            place_id: id.into(),
            kind,
            name: None,
            lat: None,
            lon: None,
            region_code: Some("R".into()),
            grid_code: None,
        };
        Registry {
            regions: vec![RegionRow {
                code: "R".into(),
                name: "R".into(),
                parent_code: None,
                level: Level::City,
            }],
            places: vec![
                place(1, "GATE", PlaceKind::Gate),
                place(2, "CLINIC", PlaceKind::Clinic),
            ],
            persons: (0..4)
                .map(|i| PersonRow {
                    person_id: format!("P{i}"),
                    id_number: id_number(i),
                    name: None,
                    phone: None,
                    household_id: None,
                    address: None,
                    grid_code: None,
                })
                .collect(),
            cases: vec![CaseRow {
                subject: id_number(3),
                status: CaseStatus::Confirmed,
                onset: Some(T0 + 5 * DAY),
                confirmed: T0 + 6 * DAY,
                isolated: Some(T0 + 7 * DAY),
            }],
            sources: vec![SourceRow {
                id: 1,
                name: "health".into(),
            }],
            ..Registry::default()
        }
    }

    /// A report of `who` at `time`: `dc` tenths of a degree, `symptoms`, at place `pid`.
    pub fn report(
        k: i64,
        who: u32,
        time: i64,
        dc: Option<i64>,
        symptoms: &[Symptom],
        pid: Option<i64>,
    ) -> HealthReportRow {
        HealthReportRow {
            key: RowKey { k1: k, k2: 0 },
            id_number: id_number(who),
            time,
            temperature: dc.map(Temperature::from_tenths),
            symptoms: symptoms.iter().copied().collect(),
            pid,
            reporter: None,
            record_id: None,
        }
    }

    /// The sightings the importer makes of reports with a place, and the case's hour at the
    /// clinic around day 4.
    pub fn sightings(reports: &[HealthReportRow]) -> Vec<SightingRow> {
        let mut v: Vec<SightingRow> = reports
            .iter()
            .filter_map(|h| {
                Some(SightingRow {
                    key: h.key,
                    source_id: 1,
                    subject_type: SubjectType::IdNumber,
                    subject: h.id_number.clone(),
                    pid: h.pid?,
                    start: h.time,
                    end: h.time,
                    tag: 0,
                    record_id: None,
                })
            })
            .collect();
        v.push(SightingRow {
            key: RowKey { k1: 999, k2: 0 },
            source_id: 1,
            subject_type: SubjectType::PersonId,
            subject: "P3".into(),
            pid: 2,
            start: T0 + 4 * DAY - 3_600_000,
            end: T0 + 4 * DAY + 3_600_000,
            tag: 0,
            record_id: None,
        });
        v
    }

    pub fn reports() -> Vec<HealthReportRow> {
        let (gate, clinic) = (Some(1), Some(2));
        vec![
            // 37.2 °C and nothing named: no reason.
            report(1, 0, T0 + 5 * DAY, Some(372), &[], gate),
            // 37.3 °C at the gate; earlier, 38.5 °C at the clinic: that is the evidence.
            report(2, 1, T0 + 5 * DAY, Some(373), &[], gate),
            report(3, 1, T0 + 4 * DAY, Some(385), &[], clinic),
            // A fever before the window and after T: not seen.
            report(4, 1, FROM - 1, Some(390), &[], None),
            report(5, 1, T + 1, Some(390), &[], None),
            // A symptom alone, no temperature, no place.
            report(6, 2, T0 + 6 * DAY, None, &[Symptom::Cough], None),
            // The case's own fever: a case gets no alert.
            report(7, 3, T0 + 5 * DAY, Some(391), &[Symptom::Fever], gate),
            // Unregistered ID numbers at the window's edges, inclusive.
            report(8, 5, FROM, Some(380), &[], None),
            report(9, 6, T, None, &[Symptom::LossOfSmellOrTaste], gate),
            report(10, 7, T + 1, Some(380), &[], None),
            report(11, 8, FROM - 1, Some(380), &[], None),
        ]
    }

    pub fn params() -> ScreenParams {
        ScreenParams {
            as_of: T,
            lookback_days: 7,
            home_region: None,
        }
    }

    /// Every alert as (subject, score, [(code, case, at, place)]).
    pub type Seen = Vec<(
        String,
        f64,
        Vec<(&'static str, Option<String>, i64, Option<String>)>,
    )>;

    pub fn seen<'a>(w: &World, alerts: impl IntoIterator<Item = &'a Alert>) -> Seen {
        alerts
            .into_iter()
            .map(|a| {
                let reasons = a
                    .reasons
                    .iter()
                    .map(|r| {
                        (
                            r.code.as_str(),
                            r.case.map(|c| w.subject_name(c).to_owned()),
                            r.at,
                            r.place.map(|p| w.place_id(p).to_owned()),
                        )
                    })
                    .collect();
                (w.subject_name(a.subject).to_owned(), a.score, reasons)
            })
            .collect()
    }
}

/// Guards FEVER_REPORTED's boundaries: 37.2 no, 37.3 yes, a symptom alone yes, the window
/// inclusive at both ends and nothing outside it, no alert for a case, the earliest report as
/// evidence with its place (or null), and unregistered ID numbers named `id_number:…`.
#[test]
fn fever_reported_follows_section_9() {
    use fever_reported::*;
    let reports = reports();
    let w = build_rows(&registry(), &sightings(&reports), &[], &reports);
    let got = seen(&w, &w.screen(&params()).alerts);
    let named = |who: &str| got.iter().find(|a| a.0 == who).map(|a| a.2.clone());
    let fever =
        |at: i64, place: Option<&str>| ("FEVER_REPORTED", None, at, place.map(str::to_owned));
    assert_eq!(named("P0"), None, "37.2 °C is no fever");
    assert_eq!(
        named("P1").unwrap(),
        [
            // The report at the clinic is a sighting: co-present with the case there.
            (
                "GENERAL_CONTACT",
                Some("P3".to_owned()),
                T0 + 4 * DAY,
                Some("CLINIC".to_owned())
            ),
            fever(T0 + 4 * DAY, Some("CLINIC")),
        ]
    );
    assert_eq!(named("P2").unwrap(), [fever(T0 + 6 * DAY, None)]);
    assert_eq!(named("P3"), None, "a case gets no alert");
    assert_eq!(
        named(&format!("id_number:{}", id_number(5))).unwrap(),
        [fever(FROM, None)]
    );
    assert_eq!(
        named(&format!("id_number:{}", id_number(6))).unwrap(),
        [fever(T, Some("GATE"))]
    );
    assert_eq!(got.len(), 4, "{got:?}");
    // A report alone raises the background by the fever's likelihood ratio.
    let at_t = got
        .iter()
        .find(|a| a.0 == format!("id_number:{}", id_number(6)))
        .unwrap();
    let (b, lr) = (
        tracegrid_engine::model::BACKGROUND,
        tracegrid_engine::model::FEVER_REPORTED_LR,
    );
    let odds = lr * b / (1.0 - b);
    assert_eq!(at_t.1, (odds / (1.0 + odds) * 1e6).round() / 1e6);
    // And the reference agrees.
    let c = Case {
        reg: registry(),
        sightings: sightings(&reports),
        deliveries: vec![],
        health_reports: reports.clone(),
        as_of: T,
        lookback_days: 7,
        home: None,
        traced: "P1".into(),
        squares: BTreeMap::new(),
    };
    assert_eq!(engine_screen(&c, &w), Reference::new(&c).screen());
}

/// Guards the live path: health reports fed one by one (each with its sighting) into a
/// screening that serves keep FEVER_REPORTED — reasons, evidence, places and scores — exactly
/// as a full screen of the rows so far, including a later report that must not move the
/// evidence and an earlier one that must.
#[test]
fn fed_health_reports_screen_as_a_full_screen() {
    use fever_reported::*;
    let mut reports = reports();
    // P2 again: a later symptom (the evidence stays), then an earlier fever (it moves).
    reports.push(report(12, 2, T0 + 8 * DAY, Some(380), &[], Some(1)));
    reports.push(report(13, 2, T0 + 3 * DAY + 1, Some(374), &[], Some(2)));
    let reg = registry();
    let all = sightings(&reports);
    let case_hour = &all[all.len() - 1..];
    let mut w = build_rows(&reg, case_hour, &[], &[]);
    let mut live = Screening::new(&w, &params());
    for n in 1..=reports.len() {
        let r = &reports[n - 1..n];
        let mut fresh = w.add_events(&sightings(r)[..sightings(r).len() - 1], &[]);
        fresh.extend(w.add_health_reports(r));
        live.update(&w, &fresh);
        let mut so_far = sightings(&reports[..n]);
        so_far.rotate_right(1);
        let full = build_rows(&reg, &so_far, &[], &reports[..n]);
        assert_eq!(
            seen(&w, live.alerts()),
            seen(&full, &full.screen(&params()).alerts),
            "after {n} reports"
        );
    }
    let p2 = w.find_subject("P2").unwrap();
    let r = &live.alert(p2).unwrap().reasons;
    assert_eq!(
        (r[0].at, r[0].place.map(|p| w.place_id(p))),
        (T0 + 3 * DAY + 1, Some("CLINIC"))
    );
    // Rolled a day on, the window starts after that fever: the evidence moves to the cough.
    live.roll(&w, T + DAY);
    let r = &live.alert(p2).unwrap().reasons;
    assert_eq!(
        (r[0].code.as_str(), r[0].at, r[0].place),
        ("FEVER_REPORTED", T0 + 6 * DAY, None)
    );
    let p = ScreenParams {
        as_of: T + DAY,
        ..params()
    };
    assert_eq!(seen(&w, live.alerts()), seen(&w, &w.screen(&p).alerts));
}
