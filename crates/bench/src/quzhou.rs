//! `tracegrid demo --scenario quzhou-2020`: the period re-enacted day by day, and the seed
//! report's figures beside tracegrid's on the same simulated city.
//!
//! The replay screens the city at the end of each simulated day knowing only the cases confirmed
//! by then: the index is built once, and the cases not yet confirmed are set aside (marked
//! excluded, which makes them no case at all to the rules) before each day's screening. For
//! every case confirmed in the period it notes the first daily moment before its confirmation
//! at which it was on the list, and its rank there: whether the data found it first, and how
//! early.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use tracegrid_engine::{DAY_MS, Millis, ReasonCode, ScreenParams, Screening, SubjectId, World};
use tracegrid_model::CaseStatus;
use tracegrid_model::rows::CaseRow;

use crate::human::group;
use crate::out;

/// What the seed report (Guangming Daily, February 2020, "衢州：大数据'找到人' 大网格'守好门'")
/// says, each figure with where it says it. The numbers are the report's; the report is not
/// copied here.
#[derive(Clone, Copy, Debug)]
pub struct Reported {
    /// Part 1, the paragraph on the epidemic-area early-warning platform: records obtained by
    /// 7 February, "24万多条" (more than 240,000).
    pub records: u64,
    /// The same sentence: people the grids were directed to check, "2万余名" (more than 20,000).
    pub persons: u64,
    /// The same sentence: vehicles, "1000余辆" (more than 1,000).
    pub vehicles: u64,
    /// The next sentence: the city's confirmed cases, 15, "all but special cases" of them
    /// hit by the data first (特例: how many is not said).
    pub cases: u64,
    /// Part 1's first story: Mr Luo, back from Wuhan by rail on 23 January, called by his grid
    /// worker on the afternoon of the 25th on the data's lead, confirmed on the 29th: found
    /// 4 days before his confirmation.
    pub luo_days_early: u64,
    /// Part 3's last paragraph: by 24:00 on 9 February, 6 days in a row without a new case,
    /// so the last case was confirmed on 3 February or before.
    pub days_without_new_case: u64,
    /// Part 1's second story: Mr Zhang, a close contact found by trajectory analysis on the
    /// morning of 1 February, collected by an ambulance 15 minutes later.
    pub minutes_to_ambulance: u64,
}

/// The report's figures.
pub const REPORTED: Reported = Reported {
    records: 240_000,
    persons: 20_000,
    vehicles: 1_000,
    cases: 15,
    luo_days_early: 4,
    days_without_new_case: 6,
    minutes_to_ambulance: 15,
};

/// A case's first appearance on the daily list before its confirmation.
#[derive(Clone, Debug, PartialEq)]
pub struct FirstSeen {
    /// The daily moment.
    pub at: Millis,
    /// 1 is the top of the list.
    pub rank: usize,
    /// Alerts on the list at that moment.
    pub of: usize,
    /// Its reasons then.
    pub codes: Vec<&'static str>,
}

/// One case confirmed in the period.
#[derive(Clone, Debug)]
pub struct CaseSeen {
    /// The case's subject (a person_id).
    pub subject: String,
    pub confirmed: Millis,
    /// `None`: the data did not find it before its confirmation.
    pub first: Option<FirstSeen>,
}

impl CaseSeen {
    /// Days from the first alert to the confirmation.
    pub fn days_early(&self) -> Option<f64> {
        self.first
            .as_ref()
            .map(|f| (self.confirmed - f.at) as f64 / DAY_MS as f64)
    }
}

/// The period screened day by day.
#[derive(Clone, Debug)]
pub struct Replay {
    /// Each daily moment and the alerts on the list then.
    pub days: Vec<(Millis, usize)>,
    /// The cases confirmed up to the last moment, by confirmation.
    pub cases: Vec<CaseSeen>,
    /// Every subject on some day's list, with the reasons it was listed for on any day (bit
    /// `k` for `ReasonCode::ALL[k]`): whom the period handed to the grids.
    pub listed: HashMap<SubjectId, u16>,
    /// Every subject on some day's list, with its highest chance of infection on any day.
    pub highest: HashMap<SubjectId, f64>,
    /// The subjects on the last day's list.
    pub last: Vec<SubjectId>,
}

/// The end of each of `days` days from `start` (a local midnight): the daily moments.
pub fn day_ends(start: Millis, days: i64) -> Vec<Millis> {
    (1..=days).map(|d| start + d * DAY_MS).collect()
}

/// Screens `world` at each of `moments` (ascending) with `template`'s lookback and home region,
/// knowing at each only the cases of `cases` confirmed by then. `world` ends as it began: every
/// case of `cases` in it as given.
pub fn replay(
    world: &mut World,
    cases: &[CaseRow],
    template: &ScreenParams,
    moments: &[Millis],
) -> Replay {
    let mut known: Vec<&CaseRow> = cases.iter().filter(|c| c.status.is_active()).collect();
    known.sort_by(|a, b| (a.confirmed, &a.subject).cmp(&(b.confirmed, &b.subject)));
    let subjects: Vec<SubjectId> = known.iter().map(|c| world.add_case(c)).collect();
    let mut seen: Vec<CaseSeen> = known
        .iter()
        .zip(&subjects)
        .map(|(c, &s)| CaseSeen {
            subject: world.subject_name(s).to_owned(),
            confirmed: c.confirmed,
            first: None,
        })
        .collect();
    let mut days = Vec::with_capacity(moments.len());
    let mut listed: HashMap<SubjectId, u16> = HashMap::new();
    let mut highest: HashMap<SubjectId, f64> = HashMap::new();
    let mut last = Vec::new();
    for &at in moments {
        // The cases known at `at`; the others set aside. A full screen of the city is cheaper
        // here than rolling one forward, which re-reads every subject a day's data touches.
        let next = known.partition_point(|c| c.confirmed <= at);
        for (k, c) in known.iter().enumerate() {
            let status = if k < next {
                c.status
            } else {
                CaseStatus::Excluded
            };
            world.add_case(&CaseRow {
                status,
                ..(*c).clone()
            });
        }
        let screening = Screening::new(
            world,
            &ScreenParams {
                as_of: at,
                ..template.clone()
            },
        );
        // Where each case still to be confirmed stands on this list.
        let pending: HashMap<SubjectId, usize> = (next..known.len())
            .filter(|&k| seen[k].first.is_none())
            .map(|k| (subjects[k], k))
            .collect();
        if !pending.is_empty() {
            let of = screening.len();
            for (rank, alert) in screening.alerts().enumerate() {
                if let Some(&k) = pending.get(&alert.subject) {
                    seen[k].first = Some(FirstSeen {
                        at,
                        rank: rank + 1,
                        of,
                        codes: alert.reasons.iter().map(|r| r.code.as_str()).collect(),
                    });
                }
            }
        }
        last.clear();
        for alert in screening.alerts() {
            let codes = listed.entry(alert.subject).or_default();
            for r in &alert.reasons {
                *codes |= code_bit(r.code);
            }
            let h = highest.entry(alert.subject).or_default();
            *h = h.max(alert.score);
            last.push(alert.subject);
        }
        days.push((at, screening.len()));
    }
    for c in &known {
        world.add_case(c);
    }
    // The period's cases: those confirmed by its last moment.
    let end = moments.last().copied().unwrap_or(Millis::MIN);
    seen.retain(|c| c.confirmed <= end);
    Replay {
        days,
        cases: seen,
        listed,
        highest,
        last,
    }
}

/// A reason code's bit in [`Replay::listed`].
fn code_bit(code: ReasonCode) -> u16 {
    let k = ReasonCode::ALL
        .iter()
        .position(|&c| c == code)
        .unwrap_or(15);
    1 << k
}

/// tracegrid's side of the comparison, at the end of the period.
#[derive(Clone, Debug, Default)]
pub struct Ours {
    /// Residents simulated.
    pub persons: usize,
    pub rows_imported: u64,
    pub sightings: usize,
    /// Registered persons with a residence grid on some day's list: handed to their grid.
    pub to_grids: usize,
    /// … of them listed only for a fever medicine bought or a fever reported.
    pub fever_only: usize,
    /// … of them whose chance of infection reached a task of priority 1 or 2 on some day.
    pub urgent: usize,
    /// … of them listed for presence in an epidemic area.
    pub epi_area: usize,
    /// … of them listed as a contact of a case (close, general or secondary).
    pub contacts: usize,
    /// … of them on the last day's list.
    pub to_grids_last: usize,
    /// Subjects on some day's list that are plates no vehicle registry resolves.
    pub plates: usize,
    /// The others: registered persons without a grid, unresolved ID numbers and phones.
    pub unrouted: usize,
}

impl Ours {
    /// Counts whom the replay's lists handed to the grids in `world`.
    pub fn count(world: &World, replay: &Replay, persons: usize, rows_imported: u64) -> Ours {
        let mut o = Ours {
            persons,
            rows_imported,
            sightings: world.sighting_count(),
            ..Ours::default()
        };
        let has_grid = |s: SubjectId| world.person_of(s).is_some_and(|p| p.2.is_some());
        let fever = code_bit(ReasonCode::FeverMedicine) | code_bit(ReasonCode::FeverReported);
        let contact = code_bit(ReasonCode::CloseContact)
            | code_bit(ReasonCode::GeneralContact)
            | code_bit(ReasonCode::SecondaryContact);
        for (&s, &codes) in &replay.listed {
            if has_grid(s) {
                o.to_grids += 1;
                o.fever_only += usize::from(codes & !fever == 0);
                o.urgent += usize::from(
                    replay.highest.get(&s).copied().unwrap_or(0.0)
                        >= tracegrid_city::tasks::PRIORITY_2_FROM,
                );
                o.epi_area += usize::from(codes & code_bit(ReasonCode::EpiArea) != 0);
                o.contacts += usize::from(codes & contact != 0);
            } else if world.subject_name(s).starts_with("plate:") {
                o.plates += 1;
            } else {
                o.unrouted += 1;
            }
        }
        o.to_grids_last = replay.last.iter().filter(|&&s| has_grid(s)).count();
        o
    }
}

/// The median of some values, `None` when there are none.
fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Each infection's route in `truth.json`, by person_id.
pub fn routes(truth: &Path) -> Result<HashMap<String, String>> {
    let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(truth)?)?;
    Ok(truth["infections"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| {
            Some((
                i["person_id"].as_str()?.to_owned(),
                i["route"].as_str()?.to_owned(),
            ))
        })
        .collect())
}

/// Prints the report's figures beside tracegrid's, then each case of the period.
pub fn print(
    ours: &Ours,
    replay: &Replay,
    routes: &HashMap<String, String>,
    zone: chrono_tz::Tz,
) -> Result<()> {
    let r = REPORTED;
    let full = tracegrid_sim::FULL_SCALE;
    let scale = ours.persons as f64 / full as f64;
    // A city within 1% of the real one is the real one (households make the count inexact).
    let scaled = ((scale - 1.0).abs() > 0.01).then_some(scale);
    let day = |t: Millis| {
        chrono::DateTime::from_timestamp_millis(t)
            .map(|d| d.with_timezone(&zone).format("%-d %b").to_string())
            .unwrap_or_default()
    };
    // The end of a local day, named by that day (24:00 of 9 Feb, not 00:00 of 10 Feb).
    let day_end = |t: Millis| day(t - 1);
    let cases = replay.cases.len();
    let found: Vec<&CaseSeen> = replay.cases.iter().filter(|c| c.first.is_some()).collect();
    let early = median(found.iter().filter_map(|c| c.days_early()).collect());
    let (least, most) = found
        .iter()
        .filter_map(|c| c.days_early())
        .fold((f64::MAX, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
    let rank = median(
        found
            .iter()
            .filter_map(|c| c.first.as_ref().map(|f| f.rank as f64))
            .collect(),
    );
    let last = replay.cases.iter().map(|c| c.confirmed).max();
    let end = replay
        .days
        .last()
        .map_or(String::new(), |&(at, _)| day_end(at));
    let per_case = |n: f64| {
        if cases == 0 {
            "-".to_owned()
        } else {
            group((n / cases as f64).round() as u64)
        }
    };

    out!(
        "\nQuzhou 2020 re-enacted: the report's figures beside tracegrid's on this city ({} of \
         Quzhou's {} residents{})",
        group(ours.persons as u64),
        group(full as u64),
        scaled.map_or(String::new(), |s| format!(
            "; \"scaled\" is the report's figure × {s:.3}"
        ))
    );
    let head = scaled.map_or("", |_| "     scaled");
    out!(
        "  {:<34} {:>14}{head} {:>12}  note",
        "",
        "Quzhou, report",
        "tracegrid"
    );
    let row = |what: &str, theirs: String, n: Option<f64>, ours: String, note: &str| {
        let s = match (scaled, n) {
            (Some(s), Some(n)) => format!(" {:>10}", group((n * s).round() as u64)),
            (Some(_), None) => format!(" {:>10}", "-"),
            _ => String::new(),
        };
        format!("  {what:<34} {theirs:>14}{s} {ours:>12}  {note}")
    };
    out!(
        "{}",
        row(
            "records screened",
            format!("{}+", group(r.records)),
            Some(r.records as f64),
            group(ours.rows_imported),
            "rows imported: every record of every source, not only those on people of interest"
        )
    );
    out!(
        "{}",
        row(
            "  … sightings in the index",
            "-".into(),
            None,
            group(ours.sightings as u64),
            ""
        )
    );
    out!(
        "{}",
        row(
            "people handed to grids",
            format!("{}+", group(r.persons)),
            Some(r.persons as f64),
            group(ours.to_grids as u64),
            &format!(
                "residents with a grid on some day's list to 24:00 {end} (the report's: to 7 Feb)"
            )
        )
    );
    let part =
        |what: &str, n: usize, note: &str| row(what, "-".into(), None, group(n as u64), note);
    out!(
        "{}",
        part(
            "  … only for a fever medicine/fever",
            ours.fever_only,
            &format!(
                "FEVER_MEDICINE, FEVER_REPORTED and nothing else; without them {}",
                group((ours.to_grids - ours.fever_only) as u64)
            )
        )
    );
    out!(
        "{}",
        part(
            "  … with a chance of infection ≥ 1%",
            ours.urgent,
            "tasks of priority 1 or 2 on some day: the calls to make first"
        )
    );
    out!(
        "{}",
        part("  … back from an epidemic area", ours.epi_area, "EPI_AREA")
    );
    out!(
        "{}",
        part(
            "  … contacts of a case",
            ours.contacts,
            "close, general or secondary contacts"
        )
    );
    out!(
        "{}",
        part(
            "  … on the last day's list",
            ours.to_grids_last,
            "within its lookback only: early returnees may have left it"
        )
    );
    out!(
        "{}",
        row(
            "vehicles handed to grids",
            format!("{}+", group(r.vehicles)),
            Some(r.vehicles as f64),
            group(ours.plates as u64),
            "plates no registry resolves: every simulated car is a resident's, counted above"
        )
    );
    out!(
        "{}",
        part(
            "other subjects listed, no grid",
            ours.unrouted,
            "visitors' ID numbers, unknown phones: the unrouted queue"
        )
    );
    out!(
        "{}",
        row(
            "cases confirmed",
            r.cases.to_string(),
            Some(r.cases as f64),
            cases.to_string(),
            if scaled.is_some_and(|s| s < 1.0) {
                "a few cases at this scale: counts are small and vary with --seed"
            } else {
                ""
            }
        )
    );
    out!(
        "{}",
        row(
            "last new case",
            "≤ 3 Feb".to_owned(),
            None,
            last.map_or("-".into(), day),
            &format!(
                "the report: {} days without a new case to 9 Feb; here no one is isolated on \
                 being found",
                r.days_without_new_case
            )
        )
    );
    out!(
        "{}",
        row(
            "cases found by the data first",
            "all but special".into(),
            None,
            format!("{} of {cases}", found.len()),
            "ours: on the list at a day's end before its confirmation"
        )
    );
    out!(
        "{}",
        row(
            "  … how early, days",
            format!("{} (Luo)", r.luo_days_early),
            None,
            early.map_or("-".into(), |m| format!("{m:.1}")),
            &if found.is_empty() {
                String::new()
            } else {
                format!("median, {least:.1}–{most:.1}; the report gives one case's")
            }
        )
    );
    out!(
        "{}",
        row(
            "  … rank on the list then",
            "-".into(),
            None,
            rank.map_or("-".into(), |m| format!("{m:.0}")),
            "median rank when first listed"
        )
    );
    out!(
        "{}",
        row(
            "checks per case",
            per_case_reported(),
            None,
            per_case((ours.to_grids + ours.plates) as f64),
            "people and vehicles handed to grids / cases confirmed"
        )
    );
    out!(
        "{}",
        row(
            "finding to ambulance, minutes",
            r.minutes_to_ambulance.to_string(),
            None,
            "-".into(),
            "not simulated: nobody is collected or isolated on being found"
        )
    );
    if !replay.days.is_empty() {
        let first = replay.days[0];
        let last = replay.days[replay.days.len() - 1];
        out!(
            "\n  Screened at the end of each of {} days ({} – {}), knowing only the cases \
             confirmed by then: {} alerts on the first list, {} on the last.",
            replay.days.len(),
            day_end(first.0),
            day_end(last.0),
            group(first.1 as u64),
            group(last.1 as u64)
        );
    }
    for c in &replay.cases {
        let route = routes.get(&c.subject).map_or("?", String::as_str);
        let when = match &c.first {
            Some(f) => format!(
                "first listed {} ({:.1} days before), rank {} of {}: {}",
                day_end(f.at),
                (c.confirmed - f.at) as f64 / DAY_MS as f64,
                group(f.rank as u64),
                group(f.of as u64),
                f.codes.join(", ")
            ),
            None if replay
                .days
                .first()
                .is_some_and(|&(at, _)| c.confirmed <= at) =>
            {
                "confirmed before the first day's list".to_owned()
            }
            None => "not on the list before its confirmation".to_owned(),
        };
        out!(
            "    {} confirmed {}, infected by {route}: {when}",
            c.subject,
            day(c.confirmed)
        );
    }
    Ok(())
}

/// The report's checks per case: its people and vehicles over its cases.
fn per_case_reported() -> String {
    let r = REPORTED;
    group(((r.persons + r.vehicles) as f64 / r.cases as f64).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the replay's honesty: setting the later cases aside in one world finds, at each
    /// day's end, exactly the cases-to-be that a world built with only the case rows confirmed
    /// by then finds; and the world is left with all its cases.
    #[test]
    fn each_day_is_screened_with_only_the_cases_confirmed_by_then() {
        let dir = tempfile::tempdir().unwrap();
        let drop = dir.path().join("drop");
        let params = tracegrid_sim::SimParams {
            persons: 3000,
            days: 12,
            seeds: 6,
            ..tracegrid_sim::SimParams::default()
        };
        let sim = tracegrid_sim::simulate(&params, &drop).unwrap();
        let db = dir.path().join("t.db").to_string_lossy().into_owned();
        let opts = tracegrid_ingest::Options {
            tz: chrono_tz::Asia::Shanghai,
            encoding: tracegrid_ingest::Encoding::Utf8,
            rejects: tracegrid_ingest::RejectsTarget::IfAny(dir.path().join("r.csv")),
            batch_rows: None,
        };
        tracegrid_ingest::import(&drop, tracegrid_store::open(&db).unwrap(), &opts, &mut ())
            .unwrap();
        let (mut world, registry) = tracegrid_city::load_world(&db).unwrap();
        let template = ScreenParams {
            as_of: sim.end,
            lookback_days: 14,
            home_region: world.region("330800"),
        };
        let moments = day_ends(sim.start, params.days);
        let active = world.active_cases();
        let full = world.screen(&template).alerts.len();

        let r = replay(&mut world, &registry.cases, &template, &moments);

        assert_eq!(world.active_cases(), active, "every case is back");
        assert_eq!(r.days.len(), moments.len());
        assert_eq!(
            r.days.last().unwrap().1,
            full,
            "the last day is the full screen"
        );
        assert_eq!(r.cases.len(), registry.cases.len());
        // The same, the plain way: each day a world built from the store with only the case
        // rows confirmed by then.
        let mut first: HashMap<String, Millis> = HashMap::new();
        for &at in &moments {
            let mut store = tracegrid_store::open(&db).unwrap();
            let mut reg = store.load_registry().unwrap();
            let later: Vec<CaseRow> = reg
                .cases
                .iter()
                .filter(|c| c.confirmed > at)
                .cloned()
                .collect();
            reg.cases.retain(|c| c.confirmed <= at);
            let mut builder = World::builder(&reg);
            store.for_each_sighting(&mut |s| builder.add(s)).unwrap();
            builder.add_health_reports(&store.health_reports().unwrap());
            let day = builder.finish(&store.deliveries().unwrap());
            let screen = day.screen(&ScreenParams {
                as_of: at,
                ..template.clone()
            });
            for a in &screen.alerts {
                let pending = later
                    .iter()
                    .any(|c| day.find_subject(&c.subject) == Some(a.subject));
                if pending {
                    first
                        .entry(day.subject_name(a.subject).to_owned())
                        .or_insert(at);
                }
            }
        }
        let found: HashMap<String, Millis> = r
            .cases
            .iter()
            .filter_map(|c| Some((c.subject.clone(), c.first.as_ref()?.at)))
            .collect();
        assert_eq!(found, first);
        assert!(
            !found.is_empty(),
            "some case was on a list before it was confirmed"
        );
        for c in &r.cases {
            if let Some(f) = &c.first {
                assert!(f.at < c.confirmed && f.rank >= 1 && f.rank <= f.of, "{c:?}");
                assert!(c.days_early().unwrap() > 0.0);
            }
        }
    }

    #[test]
    fn the_median_of_an_even_count_is_the_middle_pair_s_mean() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
