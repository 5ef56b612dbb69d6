//! `tracegrid sim`: a synthetic Quzhou — its six county-level divisions, towns, communities and
//! grids with polygons, residents in households with resident IDs, phones and cars, places of
//! every kind — living through an outbreak seeded by travellers from Wuhan. It writes a data drop
//! in the contract's files and `truth.json`, every infection with its time, route and course, so
//! that screening can be scored against what really happened. Deterministic for a seed.
//!
//! Transmission happens only where the simulation puts people together: co-presence in the
//! places it also writes to the drop (per hour of overlap, by the place's tier), within
//! households, and, to be honest about what data cannot see, through contacts it never writes.
//!
//! Health reports (CONTRACT.md section 9) are drawn from a random stream of their own, so that
//! adding them left every other file of a seed's drop, and its truth, as they were.

mod city;
mod land;
mod reference;
mod rng;
mod scenario;

pub use scenario::{FULL_SCALE, scenario, scenarios};

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::json;
use tracegrid_model::{Symptom, Tier};

use city::{City, Role};
use rng::Rng;

const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// Local time is China Standard Time throughout.
const OFFSET: i64 = 8 * HOUR;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimParams {
    pub persons: usize,
    pub days: i64,
    pub seed: u64,
    /// First simulated day (local midnight), as `YYYY-MM-DD`.
    pub start: String,
    /// Residents who come back infected from Wuhan; 0: one per `residents_per_seed` residents,
    /// at least `min_seeds`.
    pub seeds: usize,
    /// With `seeds` 0: residents for each infected returnee (today's default: 5,000).
    pub residents_per_seed: usize,
    /// With `seeds` 0: the fewest infected returnees, however small the city.
    pub min_seeds: usize,
    /// Residents coming back from Wuhan by train, infected or not, for each infected one: the
    /// returnees are `seeds` times this (today's default: 4).
    pub returnees_per_seed: usize,
    /// The returnees come back over the first this many days.
    pub return_days: i64,
    /// Returnees sharing a train car, about: a train has as many cars as that needs, at least
    /// three; 0: always three cars (today's default, whatever the number of returnees).
    pub returnees_per_car: usize,
    /// Transmission hazard per hour of co-presence at a tier-close place, and at a general one.
    pub beta_close: f64,
    pub beta_general: f64,
    /// Daily chance that an infectious person infects each household member.
    pub p_household: f64,
    /// Daily chance that an infectious person infects someone through a contact no data sees.
    pub p_unobserved: f64,
    /// Share of the parcels delivered that were shipped from Wuhan (today's default: a tenth).
    pub parcels_from_wuhan: f64,
    /// Share of asymptomatic infections (never confirmed in the simulated period).
    pub p_asymptomatic: f64,
    /// Share of extra malformed rows added to sightings.csv.
    pub bad_row_rate: f64,
}

impl Default for SimParams {
    fn default() -> SimParams {
        SimParams {
            persons: 50_000,
            days: 21,
            seed: 2020,
            start: "2020-01-20".into(),
            seeds: 0,
            residents_per_seed: 5_000,
            min_seeds: 4,
            returnees_per_seed: 4,
            return_days: 3,
            returnees_per_car: 0,
            beta_close: 0.05,
            beta_general: 0.002,
            p_household: 0.04,
            p_unobserved: 0.04,
            parcels_from_wuhan: 0.1,
            p_asymptomatic: 0.2,
            bad_row_rate: 0.0,
        }
    }
}

impl SimParams {
    /// The infected returnees in a city of `residents`.
    pub fn seeds_for(&self, residents: usize) -> usize {
        if self.seeds == 0 {
            (residents / self.residents_per_seed.max(1)).max(self.min_seeds)
        } else {
            self.seeds
        }
    }
}

/// What the simulation wrote.
#[derive(Clone, Debug)]
pub struct SimSummary {
    pub persons: usize,
    /// Residents who came back from Wuhan by train, and how many of them were infected there.
    pub returnees: usize,
    pub seeds: usize,
    pub event_rows: u64,
    pub bad_rows: u64,
    pub infections: usize,
    pub confirmed: usize,
    /// The start of the simulated period (its first local midnight), epoch ms.
    pub start: i64,
    /// The end of the simulated period: the moment the drop describes.
    pub end: i64,
}

#[derive(Clone, Debug)]
struct Infection {
    at: i64,
    by: Option<usize>,
    route: &'static str,
    place: Option<usize>,
    onset: i64,
    asymptomatic: bool,
    confirmed: Option<i64>,
    isolated: Option<i64>,
}

impl Infection {
    fn infectious(&self, from: i64, to: i64) -> bool {
        let start = self.onset - 2 * DAY;
        let end = self.isolated.unwrap_or(self.onset + 8 * DAY);
        start <= to && from <= end
    }
}

/// The drop's files, written as the days go by.
struct Out {
    files: Vec<(&'static str, BufWriter<File>)>,
    rows: u64,
    bad: u64,
}

impl Out {
    fn open(dir: &Path) -> std::io::Result<Out> {
        let headers: &[(&'static str, &str)] = &[
            (
                "sightings.csv",
                "source,subject_type,subject,place_id,start,end,record_id",
            ),
            (
                "gate_access.csv",
                "subject_type,subject,place_id,time,direction,record_id",
            ),
            (
                "netcafe_sessions.csv",
                "id_number,place_id,start,end,record_id",
            ),
            (
                "hotel_stays.csv",
                "id_number,place_id,checkin,checkout,record_id",
            ),
            ("parking.csv", "plate,place_id,enter,exit,record_id"),
            (
                "checkpoint_passes.csv",
                "plate,place_id,time,direction,record_id",
            ),
            (
                "pharmacy_sales.csv",
                "id_number,place_id,time,category,record_id",
            ),
            (
                "rail_tickets.csv",
                "id_number,train,car,seat,from_station,to_station,depart,arrive,record_id",
            ),
            (
                "deliveries.csv",
                "recipient_phone,origin_region_code,shipped,delivered,record_id",
            ),
            (
                "health_reports.csv",
                "id_number,time,temperature,symptoms,place_id,reporter,record_id",
            ),
        ];
        let mut files = Vec::new();
        for (name, header) in headers {
            let mut w = BufWriter::with_capacity(1 << 20, File::create(dir.join(name))?);
            writeln!(w, "{header}")?;
            files.push((*name, w));
        }
        Ok(Out {
            files,
            rows: 0,
            bad: 0,
        })
    }

    fn row(&mut self, file: usize, line: std::fmt::Arguments<'_>) -> std::io::Result<()> {
        self.rows += 1;
        let w = &mut self.files[file].1;
        w.write_fmt(line)?;
        w.write_all(b"\n")
    }

    fn finish(self) -> std::io::Result<()> {
        for (_, mut w) in self.files {
            w.flush()?;
        }
        Ok(())
    }
}

const SIGHTINGS: usize = 0;
const GATE: usize = 1;
const NETCAFE: usize = 2;
const HOTEL: usize = 3;
const PARKING: usize = 4;
const CHECKPOINT: usize = 5;
const PHARMACY: usize = 6;
const RAIL: usize = 7;
const DELIVERIES: usize = 8;
const HEALTH: usize = 9;

/// Local `YYYY-MM-DD HH:MM:SS` of an instant.
fn t(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + OFFSET)
        .map(|d| d.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A stay at a place, for transmission.
#[derive(Clone, Copy)]
struct Presence {
    place: usize,
    start: i64,
    end: i64,
    person: usize,
}

/// Runs the simulation and writes the drop into `dir`.
pub fn simulate(p: &SimParams, dir: &Path) -> std::io::Result<SimSummary> {
    run(p, dir, false)
}

/// [`simulate`], and also writes into `truth.json` the reference ranking ([`reference`]): each
/// resident's chance of being an unconfirmed infection at the end given the known cases, as the
/// simulation transmits. It keeps every co-presence of the period in memory (about 100 bytes a
/// resident a day).
pub fn simulate_with_reference(p: &SimParams, dir: &Path) -> std::io::Result<SimSummary> {
    run(p, dir, true)
}

fn run(p: &SimParams, dir: &Path, with_reference: bool) -> std::io::Result<SimSummary> {
    std::fs::create_dir_all(dir)?;
    let start = chrono::NaiveDate::parse_from_str(&p.start, "%Y-%m-%d")
        .map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("--start {}: {e}", p.start),
            )
        })?
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_millis()
        - OFFSET;
    let end = start + p.days * DAY;
    let mut rng = Rng::new(p.seed);
    let mut health_rng = Rng::new(p.seed ^ HEALTH_STREAM);
    let city = City::build(p.persons, &mut rng);
    city.write_registries(dir, start)?;
    let mut out = Out::open(dir)?;
    let n = city.persons.len();
    let mut infections: Vec<Option<Infection>> = vec![None; n];

    // Travellers back from Wuhan by rail in the first days; the seeds were infected there.
    // Train cars are not in places.csv (the importer creates them from the tickets); for
    // transmission they are numbered after the city's places.
    let seeds = p.seeds_for(n);
    let returnees = seeds * p.returnees_per_seed;
    // Three trains a day; as many cars as keep about `returnees_per_car` returnees in each.
    let cars_per_train = match p.returnees_per_car {
        0 => 3,
        per_car => (returnees as i64 / (p.return_days.max(1) * 3 * per_car as i64)).max(3),
    };
    let workers: Vec<usize> = (0..n)
        .filter(|&i| city.persons[i].role == Role::Worker)
        .collect();
    let mut back_on: Vec<i64> = vec![i64::MIN; n];
    let mut cars: Vec<String> = Vec::new();
    let mut trips: Vec<Presence> = Vec::new();
    let mut ticket = 0;
    let mut infected_seeds = 0;
    for _ in 0..returnees.min(workers.len()) {
        let who = workers[rng.below(workers.len() as u64) as usize];
        if back_on[who] != i64::MIN {
            continue;
        }
        let day = rng.range(0, p.return_days.max(1) - 1);
        let hour = rng.range(0, 2);
        let depart = start + day * DAY + (8 + 3 * hour) * HOUR;
        let arrive = depart + 5 * HOUR + 30 * MIN;
        back_on[who] = arrive;
        let train = format!("G{}", 1300 + day * 3 + hour);
        let car = format!("{:02}", rng.range(1, cars_per_train));
        let car_id = format!("{train}@{}#{car}", &t(depart)[..10]);
        let car_ix = match cars.iter().position(|c| *c == car_id) {
            Some(k) => k,
            None => {
                cars.push(car_id);
                cars.len() - 1
            }
        };
        trips.push(Presence {
            place: city.places.len() + car_ix,
            start: depart,
            end: arrive,
            person: who,
        });
        ticket += 1;
        out.row(
            RAIL,
            format_args!(
                "{},{train},{car},{}A,ST-WUHAN,{},{},{},T{ticket:07}",
                city.persons[who].id_number,
                ticket % 20 + 1,
                city.places[city.station_of(who)].id,
                t(depart),
                t(arrive)
            ),
        )?;
        if infected_seeds < seeds {
            infected_seeds += 1;
            let at = start - rng.range(2, 6) * DAY - rng.range(0, 23) * HOUR;
            infections[who] = Some(course(&mut rng, p, at, None, "travel", None));
        }
    }
    let place_name = |pl: usize| -> String {
        match city.places.get(pl) {
            Some(place) => place.id.clone(),
            None => cars[pl - city.places.len()].clone(),
        }
    };
    let tier_of = |pl: usize| {
        city.places
            .get(pl)
            .map_or(Tier::Close, |place| place.kind.tier())
    };

    let mut next_visitor = 0u64;
    let mut all_presences: Vec<Presence> = Vec::new();
    for d in 0..p.days {
        let day = start + d * DAY;
        let mut presences: Vec<Presence> = Vec::with_capacity(n * 4);
        presences.extend(
            trips
                .iter()
                .filter(|x| x.start >= day && x.start < day + DAY),
        );
        for i in 0..n {
            if back_on[i] != i64::MIN && back_on[i] > day + 20 * HOUR {
                continue; // still away
            }
            if let Some(inf) = &infections[i]
                && inf.isolated.is_some_and(|iso| iso <= day + 7 * HOUR)
            {
                continue; // isolated: no more movement
            }
            city.day_of(
                i,
                day,
                &mut rng,
                &infections[i].as_ref().map(|x| (x.onset, x.asymptomatic)),
                &mut out,
                &mut presences,
            )?;
        }
        city.visitors(
            day,
            &mut rng,
            &mut next_visitor,
            (n / 2000).max(2),
            &mut out,
        )?;
        city.deliveries(
            day,
            &mut rng,
            (n / 50).max(5),
            p.parcels_from_wuhan,
            &mut out,
        )?;
        health_reports(&city, day, &mut health_rng, &infections, &back_on, &mut out)?;

        // Transmission among people who were together today.
        presences.sort_unstable_by_key(|x| (x.place, x.start));
        if with_reference {
            all_presences.extend_from_slice(&presences);
        }
        let mut new: Vec<(usize, Infection)> = Vec::new();
        let mut i = 0;
        while i < presences.len() {
            let mut j = i;
            while j < presences.len() && presences[j].place == presences[i].place {
                j += 1;
            }
            let group = &presences[i..j];
            let tier = tier_of(group[0].place);
            let beta = if tier == Tier::Close {
                p.beta_close
            } else {
                p.beta_general
            };
            for a in group {
                let Some(src) = &infections[a.person] else {
                    continue;
                };
                if !src.infectious(a.start, a.end) {
                    continue;
                }
                for b in group {
                    if b.person == a.person
                        || infections[b.person].is_some()
                        || b.start > a.end
                        || a.start > b.end
                    {
                        continue;
                    }
                    let hours = ((a.end.min(b.end) - a.start.max(b.start)).max(5 * MIN)) as f64
                        / HOUR as f64;
                    if rng.chance(1.0 - (-beta * hours).exp()) {
                        let at = a.start.max(b.start);
                        let route = if tier == Tier::Close {
                            "close"
                        } else {
                            "general"
                        };
                        new.push((
                            b.person,
                            course(&mut rng, p, at, Some(a.person), route, Some(a.place)),
                        ));
                    }
                }
            }
            i = j;
        }
        for src in 0..n {
            let Some(inf) = &infections[src] else {
                continue;
            };
            if !inf.infectious(day, day + DAY - 1) {
                continue;
            }
            for &m in &city.households[city.persons[src].household] {
                if m != src && infections[m].is_none() && rng.chance(p.p_household) {
                    new.push((
                        m,
                        course(&mut rng, p, day + 20 * HOUR, Some(src), "household", None),
                    ));
                }
            }
            if rng.chance(p.p_unobserved) {
                let m = city.someone_near(src, &mut rng);
                if m != src && infections[m].is_none() {
                    new.push((
                        m,
                        course(&mut rng, p, day + 15 * HOUR, Some(src), "unobserved", None),
                    ));
                }
            }
        }
        for (who, inf) in new {
            if infections[who].is_none() {
                infections[who] = Some(inf);
            }
        }
    }
    // Bad rows for the importer to catch: malformed copies appended to sightings.csv.
    let bad = (out.rows as f64 * p.bad_row_rate) as u64;
    for k in 0..bad {
        let line = match k % 4 {
            0 => format!(
                "wifi,id_number,33080219900101000{},SHOP-0,{},,",
                k % 10,
                t(start)
            ),
            1 => format!("wifi,phone,1380000,SHOP-0,{},,", t(start)),
            2 => format!("wifi,person_id,P0000001,NO-SUCH-PLACE,{},,", t(start)),
            _ => format!(
                "wifi,person_id,P0000001,SHOP-0,{},{},",
                t(start + HOUR),
                t(start)
            ),
        };
        out.row(SIGHTINGS, format_args!("{line}"))?;
        out.bad += 1;
    }
    let (rows, bad_rows) = (out.rows, out.bad);
    out.finish()?;

    // Cases: what the health authority knows at the end, and the truth.
    let mut cases = BufWriter::new(File::create(dir.join("cases.csv"))?);
    writeln!(cases, "subject,status,onset,confirmed,isolated")?;
    let mut truth = Vec::new();
    let mut confirmed = 0;
    for (i, inf) in infections.iter().enumerate() {
        let Some(inf) = inf else { continue };
        let known = inf.confirmed.filter(|&c| c <= end);
        if let Some(c) = known {
            confirmed += 1;
            writeln!(
                cases,
                "{},confirmed,{},{},{}",
                city.persons[i].id_number,
                t(inf.onset),
                t(c),
                inf.isolated.map(t).unwrap_or_default()
            )?;
        }
        truth.push(json!({
            "person_id": city.persons[i].person_id,
            "id_number": city.persons[i].id_number,
            "infected_at": inf.at,
            "by": inf.by.map(|b| city.persons[b].person_id.clone()),
            "route": inf.route,
            "place_id": inf.place.map(place_name),
            "onset": inf.onset,
            "asymptomatic": inf.asymptomatic,
            "confirmed": inf.confirmed,
            "isolated": inf.isolated,
        }));
    }
    cases.flush()?;
    let reference: serde_json::Map<String, serde_json::Value> = if with_reference {
        let ranked = reference::reference(
            p,
            &mut all_presences,
            |pl| tier_of(pl) == Tier::Close,
            &city.households,
            |i| city.persons[i].household,
            &infections,
            (start, end),
        );
        let mut ranked: Vec<(usize, f64)> = ranked.into_iter().collect();
        ranked.sort_unstable_by_key(|&(i, _)| i);
        ranked
            .into_iter()
            .map(|(i, q)| {
                (
                    city.persons[i].person_id.clone(),
                    json!((q * 1e6).round() / 1e6),
                )
            })
            .collect()
    } else {
        serde_json::Map::new()
    };
    let truth_doc = json!({
        "start": start, "end": end, "seed": p.seed, "persons": n,
        "home_region": "330800", "bad_rows": bad_rows,
        "note": "times are epoch milliseconds; 'confirmed' may lie after 'end': such an infection is hidden at the end",
        "infections": truth,
        "reference": reference,
    });
    std::fs::write(dir.join("truth.json"), serde_json::to_vec(&truth_doc)?)?;
    Ok(SimSummary {
        persons: n,
        returnees: trips.len(),
        seeds: infected_seeds,
        event_rows: rows,
        bad_rows,
        infections: infections.iter().flatten().count(),
        confirmed,
        start,
        end,
    })
}

/// Seeds the health reports' own random stream ("HEALTH").
const HEALTH_STREAM: u64 = 0x4845_414C_5448;

/// Residents who report their health every day (one in this many), and workers whose employer
/// does (one in this many of the workers not reporting themselves).
const DAILY_SELF: usize = 40;
const DAILY_ENTERPRISE: usize = 40;
/// Residents whose temperature a gate takes on a day (one in this many, at random).
const GATE_CHECKS: usize = 200;

/// One day's health reports: daily reports of some residents and employers, temperature checks
/// at some gates, and the sick who report their illness. Infected people report a fever or
/// symptoms only after their onset, and never once isolated (their grid worker knows); a few
/// healthy people report a slight temperature too.
fn health_reports(
    city: &City,
    day: i64,
    rng: &mut Rng,
    infections: &[Option<Infection>],
    back_on: &[i64],
    out: &mut Out,
) -> std::io::Result<()> {
    let d = day / DAY;
    let sick_at = |i: usize, at: i64| {
        infections[i]
            .as_ref()
            .is_some_and(|inf| !inf.asymptomatic && inf.onset <= at)
    };
    let isolated_at = |i: usize, at: i64| {
        infections[i]
            .as_ref()
            .and_then(|inf| inf.isolated)
            .is_some_and(|iso| iso <= at)
    };
    // (temperature in tenths, symptoms) of a report by a sick or a healthy resident.
    let reading = |rng: &mut Rng, sick: bool| -> (i64, String) {
        if !sick {
            let slight = rng.chance(0.002);
            let dc = if slight {
                rng.range(373, 376)
            } else {
                rng.range(360, 371)
            };
            return (dc, String::new());
        }
        let dc = if rng.chance(0.7) {
            rng.range(375, 392)
        } else {
            rng.range(365, 372)
        };
        let mut named: Vec<&str> = Vec::new();
        if rng.chance(0.6) {
            for _ in 0..rng.range(1, 2) {
                let s = rng.pick(Symptom::ALL).as_str();
                if !named.contains(&s) {
                    named.push(s);
                }
            }
        }
        (dc, named.join(";"))
    };
    let temperature = |dc: i64| format!("{}.{}", dc / 10, dc % 10);
    for (i, p) in city.persons.iter().enumerate() {
        let away = back_on[i] != i64::MIN && back_on[i] > day + 20 * HOUR;
        let at = day + 8 * HOUR + rng.range(0, 119) * MIN;
        if away || isolated_at(i, at) {
            continue;
        }
        let reporter = if i.is_multiple_of(DAILY_SELF) {
            Some("self")
        } else if p.role == Role::Worker && (i / DAILY_SELF).is_multiple_of(DAILY_ENTERPRISE) {
            Some("enterprise")
        } else if sick_at(i, at) && rng.chance(0.3) {
            // Unwell, and says so on the community's reporting app.
            Some("self")
        } else {
            None
        };
        if let Some(reporter) = reporter {
            let (dc, symptoms) = reading(rng, sick_at(i, at));
            out.row(
                HEALTH,
                format_args!(
                    "{},{},{},{symptoms},,{reporter},R{d}-{i}",
                    p.id_number,
                    t(at),
                    temperature(dc)
                ),
            )?;
        }
    }
    for k in 0..(city.persons.len() / GATE_CHECKS).max(1) {
        let i = rng.below(city.persons.len() as u64) as usize;
        let at = day + 7 * HOUR + rng.range(0, 90) * MIN;
        let away = back_on[i] != i64::MIN && back_on[i] > day + 20 * HOUR;
        if away || isolated_at(i, at) {
            continue;
        }
        let (dc, _) = reading(rng, sick_at(i, at));
        out.row(
            HEALTH,
            format_args!(
                "{},{},{},,{},gate,G{d}-{k}",
                city.persons[i].id_number,
                t(at),
                temperature(dc),
                city.places[city.gate_of(i)].id
            ),
        )?;
    }
    Ok(())
}

/// An infection's course: incubation, symptoms or not, confirmation and isolation.
fn course(
    rng: &mut Rng,
    p: &SimParams,
    at: i64,
    by: Option<usize>,
    route: &'static str,
    place: Option<usize>,
) -> Infection {
    let incubation = (2.0 + rng.exp(3.5)).min(14.0);
    let onset = at + (incubation * DAY as f64) as i64;
    let asymptomatic = rng.chance(p.p_asymptomatic);
    let (confirmed, isolated) = if asymptomatic {
        (None, None)
    } else {
        let c = onset + ((1.0 + rng.exp(2.0)).min(8.0) * DAY as f64) as i64;
        (Some(c), Some(c - rng.range(0, 18) * HOUR))
    };
    Infection {
        at,
        by,
        route,
        place,
        onset,
        asymptomatic,
        confirmed,
        isolated,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use tracegrid_model::{IdNumber, Symptoms, Temperature};

    use super::*;

    /// A small city's drop in a directory of its own, removed when dropped.
    struct Drop(std::path::PathBuf);

    impl std::ops::Drop for Drop {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn simulated() -> (Drop, SimSummary) {
        let dir = std::env::temp_dir().join(format!("tracegrid_sim_health_{}", std::process::id()));
        let p = SimParams {
            persons: 2000,
            days: 14,
            seeds: 8,
            ..SimParams::default()
        };
        let summary = simulate(&p, &dir).unwrap();
        (Drop(dir), summary)
    }

    fn csv(dir: &Path, name: &str) -> Vec<Vec<String>> {
        std::fs::read_to_string(dir.join(name))
            .unwrap()
            .lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    }

    fn instant(local: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_millis()
            - OFFSET
    }

    /// Guards the drop's health reports: valid by section 9's rules, a modest number of them,
    /// gate checks at the resident's own gate, and fevers and symptoms only where the truth has
    /// an illness (bar a few slight temperatures of healthy people).
    #[test]
    fn health_reports_follow_section_9_and_the_truth() {
        let (drop, summary) = simulated();
        let dir = &drop.0;
        let rows = csv(dir, "health_reports.csv");
        assert_eq!(
            rows[0].join(","),
            "id_number,time,temperature,symptoms,place_id,reporter,record_id"
        );
        let reports = &rows[1..];
        let persons: HashSet<String> = csv(dir, "persons.csv")[1..]
            .iter()
            .map(|r| r[1].clone())
            .collect();
        let gates: HashSet<String> = csv(dir, "places.csv")[1..]
            .iter()
            .filter(|r| r[1] == "gate")
            .map(|r| r[0].clone())
            .collect();
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
        // id_number → (onset, isolated) of a symptomatic infection.
        let ill: HashMap<String, (i64, Option<i64>)> = truth["infections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["asymptomatic"] == false)
            .map(|i| {
                (
                    i["id_number"].as_str().unwrap().to_owned(),
                    (i["onset"].as_i64().unwrap(), i["isolated"].as_i64()),
                )
            })
            .collect();
        // Modest: a few reports a resident over the whole period, far fewer than sightings.
        assert!(reports.len() > 1000, "{}", reports.len());
        assert!(
            (reports.len() as u64) < summary.event_rows / 10,
            "{}",
            reports.len()
        );
        let mut record_ids = HashSet::new();
        let (mut fevers_of_the_ill, mut slight, mut at_gates) = (0, 0, 0);
        for r in reports {
            assert_eq!(r.len(), 7, "{r:?}");
            let id = IdNumber::parse(&r[0]).unwrap();
            assert!(persons.contains(id.as_str()));
            let at = instant(&r[1]);
            let t = Temperature::parse("temperature", &r[2]).unwrap();
            let symptoms = Symptoms::parse("symptoms", &r[3]).unwrap();
            assert!(record_ids.insert(r[6].clone()), "record_id {} twice", r[6]);
            match r[5].as_str() {
                "gate" => {
                    assert!(gates.contains(&r[4]), "{r:?}");
                    at_gates += 1;
                }
                "self" | "enterprise" => assert_eq!(r[4], ""),
                other => panic!("reporter {other}"),
            }
            let fever = t.tenths() >= 373 || !symptoms.is_empty();
            match ill.get(id.as_str()) {
                Some(&(onset, isolated)) if at >= onset => {
                    assert!(
                        isolated.is_none_or(|iso| at < iso),
                        "a report once isolated: {r:?}"
                    );
                    fevers_of_the_ill += usize::from(fever);
                }
                _ if fever => {
                    assert!(symptoms.is_empty() && t.tenths() <= 376, "{r:?}");
                    slight += 1;
                }
                _ => {}
            }
        }
        assert!(at_gates > 100, "{at_gates}");
        assert!(fevers_of_the_ill > 5, "{fevers_of_the_ill}");
        assert!(
            slight < fevers_of_the_ill * 5,
            "{slight} {fevers_of_the_ill}"
        );
    }
}
