//! Named scenarios: the simulator's parameters for one kind of outbreak, each with the number of
//! residents it is meant for. `default` is the city the demo has always simulated; `household`,
//! `transport` and `unobserved` move its transmission towards one route, for measuring a
//! ranking on outbreaks that differ from the one it was reasoned on; `quzhou-2020` is calibrated
//! to what Quzhou reported in February 2020 (docs/SIMULATOR.md gives the sources).
//!
//! A caller may change `persons`, `seed` and `days`: the infected returnees are given per
//! resident (`residents_per_seed`) and the returnees per infected one, so a smaller city gets
//! its share of them.

use crate::SimParams;

/// Residents of the real Quzhou, about (2,218,000 at the end of 2019 by the city's statistical
/// bulletin; 2,276,184 in the 2020 census).
pub const FULL_SCALE: usize = 2_200_000;

/// The scenarios' names, `default` first.
pub fn scenarios() -> &'static [&'static str] {
    &[
        "default",
        "household",
        "transport",
        "unobserved",
        "quzhou-2020",
    ]
}

/// A scenario's parameters, with `persons` at the scenario's own size; `None` for an unknown
/// name.
pub fn scenario(name: &str) -> Option<SimParams> {
    let today = SimParams::default();
    Some(match name {
        "default" => today,
        // Nearly four times the default's spread at home, half its spread elsewhere: 44% of the
        // infections are at home (50,000 residents, seed 2020), against 16% in the default.
        "household" => SimParams {
            p_household: 0.15,
            beta_general: 0.001,
            p_unobserved: 0.02,
            ..today
        },
        // Six times the default's hazard in buses, train cars and internet cafés, which then
        // carry 48% of the infections, against 10%.
        "transport" => SimParams {
            beta_close: 0.3,
            beta_general: 0.001,
            p_unobserved: 0.02,
            ..today
        },
        // Five times the default's spread where no data looks (39% of the infections, against
        // 10%): the alerts can reach it only through its cases.
        "unobserved" => SimParams {
            p_unobserved: 0.2,
            beta_general: 0.001,
            ..today
        },
        "quzhou-2020" => quzhou_2020(),
        _ => return None,
    })
}

/// Quzhou from 20 January to the end of 9 February 2020 (the report's "截至2020年2月9日24时"),
/// at a tenth of its size by default (`persons` 2200000 for the whole city).
fn quzhou_2020() -> SimParams {
    SimParams {
        persons: FULL_SCALE / 10,
        days: 21,
        start: "2020-01-20".into(),
        // About 1,000 returnees from Wuhan in the whole city (9 × 111; an estimate, see
        // docs/SIMULATOR.md), 9 of them infected: one infected returnee per 244,444 residents,
        // at least one however small the city.
        seeds: 0,
        residents_per_seed: FULL_SCALE / 9,
        min_seeds: 1,
        returnees_per_seed: 111,
        // Back between 20 January and the closing of Wuhan on the 23rd.
        return_days: 4,
        // Few of a city's returnees share a car: they came on many trains.
        returnees_per_car: 3,
        // Transmission after Zhejiang's first-level response of 23 January: 22% of the default
        // city's on every route, calibrated so that the whole city has about 15 confirmed
        // cases by the end (docs/SIMULATOR.md).
        beta_close: 0.011,
        beta_general: 0.00044,
        p_household: 0.0088,
        p_unobserved: 0.0088,
        // Wuhan is one city of hundreds that ship parcels to Quzhou, and closed on the 23rd: one
        // parcel in a hundred (an assumption) rather than the default's tenth, which is there
        // to make the rule visible in a small city.
        parcels_from_wuhan: 0.01,
        ..SimParams::default()
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::{SimSummary, simulate};

    /// A directory of its own for one simulated drop, removed when dropped.
    struct Dir(PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            Dir(std::env::temp_dir()
                .join(format!("tracegrid_scenario_{name}_{}", std::process::id())))
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn run(p: &SimParams, dir: &Dir) -> SimSummary {
        let _ = std::fs::remove_dir_all(&dir.0);
        simulate(p, &dir.0).unwrap()
    }

    /// FNV-1a over every file of a drop but truth.json (names and bytes, by name): what an
    /// importer reads.
    fn drop_hash(dir: &Path) -> u64 {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != "truth.json")
            .collect();
        names.sort();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for n in names {
            for b in n.bytes().chain(std::fs::read(dir.join(&n)).unwrap()) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    }

    #[test]
    fn every_named_scenario_is_known_and_no_other() {
        for name in scenarios() {
            assert!(scenario(name).is_some(), "{name}");
        }
        assert!(scenario("nope").is_none());
        assert!(scenario("").is_none());
    }

    /// Guards today's city: the default scenario's drop is, byte for byte, the one the
    /// simulator wrote before scenarios existed (hash taken from that code, commit 3b5e2f2).
    #[test]
    fn the_default_scenario_writes_todays_drop() {
        let dir = Dir::new("golden");
        let p = SimParams {
            persons: 2000,
            days: 6,
            ..scenario("default").unwrap()
        };
        let s = run(&p, &dir);
        assert_eq!((s.infections, s.confirmed, s.seeds), (30, 2, 4));
        assert_eq!(drop_hash(&dir.0), 0xba92_2637_ebfa_3cfa);
    }

    #[test]
    fn each_scenario_runs_at_small_scale_and_the_same_seed_gives_the_same_drop() {
        for name in scenarios() {
            let p = SimParams {
                persons: 1500,
                days: 5,
                ..scenario(name).unwrap()
            };
            let (a, b) = (
                Dir::new(&format!("{name}_a")),
                Dir::new(&format!("{name}_b")),
            );
            let (sa, sb) = (run(&p, &a), run(&p, &b));
            assert!(sa.persons.abs_diff(1500) <= 5, "{name}: {sa:?}");
            assert!(sa.seeds >= 1 && sa.returnees >= sa.seeds, "{name}: {sa:?}");
            assert_eq!(drop_hash(&a.0), drop_hash(&b.0), "{name}");
            assert_eq!(
                std::fs::read(a.0.join("truth.json")).unwrap(),
                std::fs::read(b.0.join("truth.json")).unwrap(),
                "{name}"
            );
            assert_eq!(
                (sa.infections, sa.event_rows),
                (sb.infections, sb.event_rows)
            );
        }
    }

    #[test]
    fn the_scenarios_move_the_spread_towards_their_route() {
        let route_share = |name: &str, route: &str| {
            let dir = Dir::new(&format!("route_{name}"));
            let p = SimParams {
                persons: 20_000,
                days: 14,
                ..scenario(name).unwrap()
            };
            run(&p, &dir);
            let truth: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.0.join("truth.json")).unwrap()).unwrap();
            let all = truth["infections"].as_array().unwrap();
            let of_route = all.iter().filter(|i| i["route"] == route).count();
            of_route as f64 / all.len() as f64
        };
        for (name, route) in [
            ("household", "household"),
            ("transport", "close"),
            ("unobserved", "unobserved"),
        ] {
            let (theirs, today) = (route_share(name, route), route_share("default", route));
            assert!(
                theirs > 2.0 * today,
                "{name}: {theirs:.2} against {today:.2}"
            );
        }
    }

    /// Quzhou's returnees and seeds are per resident: nine infected of about a thousand back
    /// in the whole city, a tenth of that (but at least one infected) in a tenth of it.
    #[test]
    fn quzhou_scales_its_returnees_with_the_city() {
        let q = scenario("quzhou-2020").unwrap();
        assert_eq!(q.seeds_for(FULL_SCALE), 9);
        assert_eq!(q.seeds_for(FULL_SCALE) * q.returnees_per_seed, 999);
        assert_eq!(q.seeds_for(FULL_SCALE / 10), 1);
        assert_eq!(q.seeds_for(3000), 1);
        assert_eq!(q.persons, FULL_SCALE / 10);
        let today = SimParams::default();
        assert_eq!(today.seeds_for(50_000), 10);
        assert_eq!(today.seeds_for(3000), 4);
    }

    /// Quzhou 2020 at small scale: a small outbreak, its returnees back from Wuhan between 20
    /// and 23 January, the period ending at 24:00 on 9 February.
    #[test]
    fn quzhou_is_small_and_keeps_the_reported_dates() {
        let moment = |s: &str| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .unwrap()
                .and_utc()
                .timestamp_millis()
                - crate::OFFSET
        };
        let p = SimParams {
            persons: 20_000,
            ..scenario("quzhou-2020").unwrap()
        };
        let dir = Dir::new("quzhou");
        let q = run(&p, &dir);
        assert_eq!(q.start, moment("2020-01-20 00:00:00"));
        assert_eq!(q.end, moment("2020-02-10 00:00:00"));
        assert_eq!(q.seeds, 1);
        assert!((100..=111).contains(&q.returnees), "{q:?}");
        let tickets = std::fs::read_to_string(dir.0.join("rail_tickets.csv")).unwrap();
        let mut days = std::collections::BTreeSet::new();
        for line in tickets.lines().skip(1) {
            let depart = line.split(',').nth(6).unwrap();
            assert!(
                ("2020-01-20".."2020-01-24").contains(&depart),
                "a train from Wuhan on {depart}"
            );
            days.insert(depart[..10].to_owned());
        }
        assert_eq!(days.len(), 4, "back on each of 20–23 January: {days:?}");
        let d = Dir::new("quzhou_default");
        let today = run(
            &SimParams {
                persons: 20_000,
                ..SimParams::default()
            },
            &d,
        );
        assert!(
            q.infections <= 15 && today.infections > 10 * q.infections,
            "quzhou {} infections, today's city {}",
            q.infections,
            today.infections
        );
        assert!(q.infections >= q.seeds, "{q:?}");
    }
}
