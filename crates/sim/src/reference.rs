//! The reference ranking: what a perfect model of this simulated city would make of the data.
//!
//! For every resident who is not a known case at the end, the chance of being infected and not
//! yet confirmed, given the known cases (those confirmed by the end) and every co-presence the
//! simulation recorded, computed with the simulation's own transmission model: the same hazard
//! per hour together by tier, the same household chance per day, the same infectious period
//! (known exactly for a known case from its onset and isolation; for a person its known cases
//! may have infected, from the distribution of the course [`crate::course`] draws), and the same
//! chance that an infection is still unconfirmed at the end. Degree 2 is the chain: a person
//! the known cases may have infected, infectious at the moment of a later co-presence with the
//! chance its course gives.
//!
//! What it leaves out, as a model given only the known cases must: spread through contacts no
//! data records, and chains from infections nothing connects to a known case. Health reports
//! and pharmacy sales are not evidence here (the reference knows transmission, not symptoms).

use std::collections::HashMap;

use crate::rng::Rng;
use crate::{DAY, HOUR, Infection, MIN, Presence, SimParams};

/// Hourly steps of the course tables (30 days).
const STEPS: usize = 30 * 24;
/// Draws of the course behind the tables.
const DRAWS: usize = 200_000;

/// `unconfirmed[h]`: the chance an infection `h` hours old is not yet confirmed;
/// `infectious[h]`: the chance it is infectious (and free to move) `h` hours after infection.
struct Course {
    unconfirmed: Vec<f64>,
    infectious: Vec<f64>,
}

impl Course {
    /// The tables, from draws of [`crate::course`] itself on a stream of their own.
    fn new(p: &SimParams) -> Course {
        let mut rng = Rng::new(0x5245_4645_5245_4E43);
        let mut confirmed_by = vec![0u32; STEPS + 1];
        let mut from = vec![0i64; STEPS + 2];
        for _ in 0..DRAWS {
            let inf = crate::course(&mut rng, p, 0, None, "reference", None);
            let start = (inf.onset - 2 * DAY).max(0);
            let end = inf.isolated.unwrap_or(inf.onset + 8 * DAY);
            let h = |t: i64| ((t + HOUR - 1) / HOUR).clamp(0, STEPS as i64 + 1) as usize;
            from[h(start)] += 1;
            from[h(end + 1)] -= 1;
            if let Some(c) = inf.confirmed {
                confirmed_by[h(c).min(STEPS)] += 1;
            }
        }
        let mut unconfirmed = Vec::with_capacity(STEPS + 1);
        let mut infectious = Vec::with_capacity(STEPS + 1);
        let (mut confirmed, mut now) = (0u32, 0i64);
        for h in 0..=STEPS {
            confirmed += confirmed_by[h];
            now += from[h];
            unconfirmed.push(1.0 - f64::from(confirmed) / DRAWS as f64);
            infectious.push(now as f64 / DRAWS as f64);
        }
        Course {
            unconfirmed,
            infectious,
        }
    }

    fn at(table: &[f64], age: i64) -> f64 {
        if age < 0 {
            return 0.0;
        }
        table[((age / HOUR) as usize).min(STEPS)]
    }
}

/// One exposure: when, and its hazard (the −ln of the chance of escaping it).
#[derive(Clone, Copy)]
struct Exposure {
    at: i64,
    hazard: f64,
}

/// Each person's chance of being an unconfirmed infection at `end`, given the known cases.
/// `presences` holds every co-presence the simulation used, all days; `tier_close[place]` says
/// which hazard applies. Persons with no exposure to the known cases are left out (chance 0).
pub(crate) fn reference(
    p: &SimParams,
    presences: &mut [Presence],
    close: impl Fn(usize) -> bool,
    households: &[Vec<usize>],
    household_of: impl Fn(usize) -> usize,
    infections: &[Option<Infection>],
    (start, end): (i64, i64),
) -> HashMap<usize, f64> {
    let course = Course::new(p);
    let known = |i: usize| -> Option<(i64, i64)> {
        let inf = infections[i].as_ref()?;
        inf.confirmed.filter(|&c| c <= end)?;
        Some((
            inf.onset - 2 * DAY,
            inf.isolated.unwrap_or(inf.onset + 8 * DAY),
        ))
    };
    let is_known = |i: usize| known(i).is_some();
    let beta = |place: usize| {
        if close(place) {
            p.beta_close
        } else {
            p.beta_general
        }
    };
    let hours = |a: &Presence, b: &Presence| {
        (a.end.min(b.end) - a.start.max(b.start)).max(5 * MIN) as f64 / HOUR as f64
    };
    presences.sort_unstable_by_key(|x| (x.place, x.start));
    // Every presence at the same place overlapping `a`, `a` itself excluded.
    let longest = presences.iter().map(|x| x.end - x.start).max().unwrap_or(0);
    let overlapping = |a: &Presence, f: &mut dyn FnMut(&Presence)| {
        let from = presences.partition_point(|x| (x.place, x.start) < (a.place, a.start - longest));
        for b in &presences[from..] {
            if b.place != a.place || b.start > a.end {
                break;
            }
            if b.end >= a.start && b.person != a.person {
                f(b);
            }
        }
    };
    let household_hazard = -(1.0 - p.p_household).ln();

    // Degree 1: exposures to the known cases while they were infectious.
    let mut direct: HashMap<usize, Vec<Exposure>> = HashMap::new();
    for a in presences.iter() {
        let Some((from, to)) = known(a.person) else {
            continue;
        };
        if a.start > to || a.end < from {
            continue;
        }
        overlapping(a, &mut |b| {
            if !is_known(b.person) {
                direct.entry(b.person).or_default().push(Exposure {
                    at: a.start.max(b.start),
                    hazard: beta(a.place) * hours(a, b),
                });
            }
        });
    }
    let days = |from: i64, to: i64| {
        let first = from.div_euclid(DAY);
        let last = to.div_euclid(DAY);
        (first..=last).map(|d| d * DAY + 20 * HOUR - crate::OFFSET)
    };
    for (c, inf) in infections.iter().enumerate() {
        let (Some(_), Some((from, to))) = (inf, known(c)) else {
            continue;
        };
        for &m in &households[household_of(c)] {
            if m != c && !is_known(m) {
                for at in days(from + crate::OFFSET, to.min(end) + crate::OFFSET) {
                    direct.entry(m).or_default().push(Exposure {
                        at,
                        hazard: household_hazard,
                    });
                }
            }
        }
    }

    // Degree 2: exposures to those the known cases may have infected, weighted by the chance
    // each was infected then and is infectious at the moment.
    let infectious_at = |exposures: &[Exposure], t: i64| -> f64 {
        exposures
            .iter()
            .map(|e| (1.0 - (-e.hazard).exp()) * Course::at(&course.infectious, t - e.at))
            .sum::<f64>()
            .min(1.0)
    };
    let mut chained: HashMap<usize, Vec<Exposure>> = HashMap::new();
    let mut by_person: HashMap<usize, Vec<usize>> = HashMap::new();
    for (ix, x) in presences.iter().enumerate() {
        if direct.contains_key(&x.person) {
            by_person.entry(x.person).or_default().push(ix);
        }
    }
    for (&k, exposures) in &direct {
        for &ix in by_person.get(&k).into_iter().flatten() {
            let a = &presences[ix];
            let q = infectious_at(exposures, a.start);
            if q <= 0.0 {
                continue;
            }
            overlapping(a, &mut |b| {
                if !is_known(b.person) {
                    chained.entry(b.person).or_default().push(Exposure {
                        at: a.start.max(b.start),
                        hazard: q * beta(a.place) * hours(a, b),
                    });
                }
            });
        }
        let first = exposures.iter().map(|e| e.at).min().unwrap_or(end);
        for &m in &households[household_of(k)] {
            if m == k || is_known(m) {
                continue;
            }
            for at in days(first + crate::OFFSET, end + crate::OFFSET) {
                let q = infectious_at(exposures, at);
                if q > 0.0 && at <= end {
                    chained.entry(m).or_default().push(Exposure {
                        at,
                        hazard: q * household_hazard,
                    });
                }
            }
        }
    }

    // The chance of an unconfirmed infection by the end, given that the person is no known case.
    let mut out = HashMap::new();
    for (person, exposures) in direct.into_iter().chain(chained) {
        let e = out.entry(person).or_insert((0.0f64, 0.0f64));
        for x in exposures.iter().filter(|x| start <= x.at && x.at <= end) {
            e.0 += x.hazard;
            e.1 += x.hazard * Course::at(&course.unconfirmed, end - x.at);
        }
    }
    out.into_iter()
        .filter(|(_, (total, _))| *total > 0.0)
        .map(|(person, (total, unconfirmed))| {
            let infected = 1.0 - (-total).exp();
            let hidden = unconfirmed / total * infected;
            (person, hidden / (1.0 - infected + hidden))
        })
        .collect()
}
