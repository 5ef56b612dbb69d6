//! Found by the data first: of the cases confirmed since a date, which the data had hit before
//! their confirmation — an alert, at what rank, how many hours before — and whether a grid task
//! had reached them; and the cases it missed, for review. Quzhou's headline figure of 2020
//! ("除特例外，其余全部由大数据靶向命中"), for the city that runs tracegrid, live.
//!
//! It rests on a record of each alert's first appearance ([`FirstAlertBook`]): the live city
//! writes it down whenever its screening changes (at start, after a feed, a case, an area, an
//! import or a re-screen, and as the clock moves it), once a subject, and never changes it.
//! The figure itself ([`figure`]) is a plain function of the cases, the record and the tasks.
//!
//! Times: an alert's first appearance and a case's confirmation are compared on the
//! screening's clock (the first appearance's `as_of`). Tasks keep wall-clock times; they are
//! placed on the screening's clock from the subject's first appearance (a task made ten minutes
//! after the alert was first seen counts ten minutes after that appearance's `as_of`). When the
//! screening moves with the clock the two clocks are one; in a replay of past data at a fixed
//! moment this keeps the order of events as the city lived them.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use serde::Serialize;
use tracegrid_model::{CaseStatus, Millis, mask};
use tracegrid_store::{FirstAlert, FirstAlerts, StoreError, TaskRow};

use crate::city::City;
use crate::views::{self, Shown};

const HOUR_MS: f64 = 3_600_000.0;

/// The lead times' buckets, in days: under 1, 1 to 3, 3 to 7, 7 and more.
pub const LEAD_DAYS: [i64; 3] = [1, 3, 7];

/// The record of each alert's first appearance, and the subjects in it (read once, at open:
/// a full screening checks 20,000 alerts against it without asking the store).
#[derive(Debug)]
pub struct FirstAlertBook {
    inner: Mutex<Record>,
}

#[derive(Debug)]
struct Record {
    store: FirstAlerts,
    known: HashSet<Box<str>>,
    /// When the record began (screening moment, wall clock), once it has.
    began: Option<(Millis, Millis)>,
}

impl FirstAlertBook {
    /// Opens the record of store `db` and reads which subjects it holds.
    pub fn open(db: &str) -> Result<FirstAlertBook, StoreError> {
        let mut store = tracegrid_store::first_alerts(db)?;
        let known = store.subjects()?.into_iter().map(Into::into).collect();
        let began = store.began()?;
        Ok(FirstAlertBook {
            inner: Mutex::new(Record {
                store,
                known,
                began,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes down the first appearance of every alert of the city's screening that the record
    /// does not hold yet (seen at wall-clock `now`). Returns how many were new. The first call
    /// on a store begins the record, alerts or none.
    pub fn note_all(&self, city: &City, now: Millis) -> Result<usize, StoreError> {
        let mut r = self.lock();
        let as_of = city.screening.params().as_of;
        if r.began.is_none() {
            r.began = Some(r.store.begin(as_of, now)?);
        }
        let new: Vec<FirstAlert> = city
            .screening
            .alerts()
            .enumerate()
            .filter(|(_, a)| !r.known.contains(city.world.subject_name(a.subject)))
            .map(|(i, a)| first_alert(city, a, i, now))
            .collect();
        r.keep(new)
    }

    /// [`FirstAlertBook::note_all`] for the alerts of some subjects (by name) only: what a
    /// feed's rows, or the clock, touched. Costs a look-up a name unless one is new.
    pub fn note(&self, city: &City, names: &[&str], now: Millis) -> Result<usize, StoreError> {
        let mut r = self.lock();
        let wanted: HashSet<tracegrid_engine::SubjectId> = names
            .iter()
            .filter(|n| !r.known.contains(**n))
            .filter_map(|n| city.world.find_subject(n))
            .filter(|&s| city.screening.alert(s).is_some())
            .collect();
        if wanted.is_empty() {
            return Ok(0);
        }
        if r.began.is_none() {
            let as_of = city.screening.params().as_of;
            r.began = Some(r.store.begin(as_of, now)?);
        }
        // Their ranks are their places in the whole screening's order.
        let new: Vec<FirstAlert> = city
            .screening
            .alerts()
            .enumerate()
            .filter(|(_, a)| wanted.contains(&a.subject))
            .take(wanted.len())
            .map(|(i, a)| first_alert(city, a, i, now))
            .collect();
        r.keep(new)
    }

    /// The first appearances of these subjects (by name), as recorded.
    pub fn of_subjects(&self, names: &[&str]) -> Result<Vec<FirstAlert>, StoreError> {
        self.lock().store.of_subjects(names)
    }

    /// When the record began: the first screening's moment and the wall-clock time.
    pub fn began(&self) -> Option<(Millis, Millis)> {
        self.lock().began
    }

    /// How many subjects the record holds.
    pub fn len(&self) -> usize {
        self.lock().known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Record {
    fn keep(&mut self, new: Vec<FirstAlert>) -> Result<usize, StoreError> {
        if new.is_empty() {
            return Ok(0);
        }
        self.store.record(&new)?;
        let n = new.len();
        self.known
            .extend(new.into_iter().map(|f| f.subject.into_boxed_str()));
        Ok(n)
    }
}

/// The record's row for alert `a`, `i`-th in the screening's order, seen at `now`.
fn first_alert(city: &City, a: &tracegrid_engine::Alert, i: usize, now: Millis) -> FirstAlert {
    let mut reasons: Vec<String> = Vec::new();
    for r in &a.reasons {
        let code = r.code.as_str();
        if !reasons.iter().any(|c| c == code) {
            reasons.push(code.to_owned());
        }
    }
    FirstAlert {
        subject: city.world.subject_name(a.subject).to_owned(),
        as_of: city.screening.params().as_of,
        seen: now,
        score: a.score,
        rank: i as i64 + 1,
        reasons,
    }
}

// ------------------------------------------------------------------ the figure

/// A diagnosed case as the figure reads it: its subject (the engine's name) and when it was
/// confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Diagnosed<'a> {
    pub subject: &'a str,
    pub confirmed: Millis,
}

/// A case the data found first.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundCase {
    /// Its index among the cases given.
    pub case: usize,
    pub first: FirstAlert,
    /// From the first appearance's moment to the confirmation.
    pub lead_hours: f64,
    /// The earliest grid task of the subject made before the confirmation.
    pub task: Option<i64>,
    /// Whether a grid worker had reached the subject (a task's first contact) before it.
    pub reached: bool,
}

/// A case the data did not find first.
#[derive(Clone, Debug, PartialEq)]
pub struct MissedCase {
    pub case: usize,
    /// Its first appearance, if it had one, at or after the confirmation.
    pub later: Option<FirstAlert>,
}

/// The figure: of the cases confirmed at or after `since`, those the record could judge
/// (confirmed once it had begun), found first or missed.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub since: Millis,
    /// When the record began (the first screening's moment).
    pub began: Option<Millis>,
    /// Cases confirmed at or after `since`.
    pub cases: usize,
    /// Of those, confirmed before the record began: nothing was watching for them.
    pub before_record: usize,
    /// Latest confirmed first.
    pub found: Vec<FoundCase>,
    /// Latest confirmed first.
    pub missed: Vec<MissedCase>,
    pub median_lead_hours: Option<f64>,
    pub median_rank: Option<f64>,
    /// Found cases by lead time: under [`LEAD_DAYS`]`[0]` days, …, from the last on.
    pub leads: [usize; 4],
    /// Found cases a grid task had been made for before their confirmation.
    pub tasks_before: usize,
    /// Found cases a grid worker had reached before their confirmation.
    pub reached_before: usize,
}

impl Figure {
    /// The cases judged: confirmed once the record had begun.
    pub fn judged(&self) -> usize {
        self.found.len() + self.missed.len()
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// Which cases the data found first. `first` holds the record's first appearances (of these
/// cases' subjects, or more), `tasks` the grid tasks (of these subjects, or more), `began`
/// when the record began.
pub fn figure(
    cases: &[Diagnosed<'_>],
    first: &[FirstAlert],
    tasks: &[TaskRow],
    since: Millis,
    began: Option<Millis>,
) -> Figure {
    let first: HashMap<&str, &FirstAlert> = first.iter().map(|f| (f.subject.as_str(), f)).collect();
    let mut tasks_of: HashMap<&str, Vec<&TaskRow>> = HashMap::new();
    for t in tasks {
        tasks_of.entry(t.subject.as_str()).or_default().push(t);
    }
    let mut order: Vec<usize> = (0..cases.len())
        .filter(|&i| cases[i].confirmed >= since)
        .collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(cases[i].confirmed), cases[i].subject));
    let mut fig = Figure {
        since,
        began,
        cases: order.len(),
        before_record: 0,
        found: Vec::new(),
        missed: Vec::new(),
        median_lead_hours: None,
        median_rank: None,
        leads: [0; 4],
        tasks_before: 0,
        reached_before: 0,
    };
    for i in order {
        let c = cases[i];
        if began.is_none_or(|b| c.confirmed < b) {
            fig.before_record += 1;
            continue;
        }
        match first.get(c.subject) {
            Some(f) if f.as_of < c.confirmed => {
                // The subject's tasks on the screening's clock: moved by how far the wall
                // clock was from the screening's moment when the alert was first seen.
                let offset = f.seen - f.as_of;
                let mine = tasks_of.get(c.subject).map(Vec::as_slice).unwrap_or(&[]);
                let before: Vec<&&TaskRow> = mine
                    .iter()
                    .filter(|t| t.created - offset < c.confirmed)
                    .collect();
                let task = before
                    .iter()
                    .min_by_key(|t| (t.created, t.id))
                    .map(|t| t.id);
                let reached = before
                    .iter()
                    .any(|t| t.first_contact.is_some_and(|fc| fc - offset < c.confirmed));
                fig.found.push(FoundCase {
                    case: i,
                    first: (*f).clone(),
                    lead_hours: (c.confirmed - f.as_of) as f64 / HOUR_MS,
                    task,
                    reached,
                });
            }
            later => fig.missed.push(MissedCase {
                case: i,
                later: later.map(|f| (*f).clone()),
            }),
        }
    }
    for f in &fig.found {
        let days = f.lead_hours / 24.0;
        let b = LEAD_DAYS.iter().take_while(|&&d| days >= d as f64).count();
        fig.leads[b] += 1;
    }
    fig.tasks_before = fig.found.iter().filter(|f| f.task.is_some()).count();
    fig.reached_before = fig.found.iter().filter(|f| f.reached).count();
    fig.median_lead_hours = median(fig.found.iter().map(|f| f.lead_hours).collect());
    fig.median_rank = median(fig.found.iter().map(|f| f.first.rank as f64).collect());
    fig
}

/// Whether a case's diagnosis stands: confirmed, asymptomatic (a positive test without
/// symptoms) or recovered. Suspected cases are not diagnosed yet; excluded ones were ruled out.
pub fn is_diagnosed(status: CaseStatus) -> bool {
    matches!(
        status,
        CaseStatus::Confirmed | CaseStatus::Asymptomatic | CaseStatus::Recovered
    )
}

// ------------------------------------------------------------------ the view

/// A case as the figure's lists show it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseShown {
    /// The subject as the engine names it (masked unless revealed, for one not registered).
    pub subject: String,
    /// A reference to ask for a subject shown masked.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub subject_ref: Option<String>,
    /// The case's ID number (masked unless revealed).
    pub id_number: String,
    pub name: Option<String>,
    pub grid_code: Option<String>,
    /// confirmed, asymptomatic or recovered.
    pub status: &'static str,
    pub confirmed: String,
}

/// A case the data found first, as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FoundView {
    #[serde(flatten)]
    pub case: CaseShown,
    /// The moment of the screening that first showed its alert.
    pub first_alert: String,
    /// When that was, by the wall clock.
    pub first_seen: String,
    /// Hours from the first alert's moment to the confirmation.
    pub lead_hours: f64,
    /// The alert's place in the screening's order then (1 first).
    pub rank: i64,
    /// Its score then.
    pub score: f64,
    /// Its reason codes then.
    pub reasons: Vec<String>,
    /// The earliest grid task made for the subject before the confirmation.
    pub task_id: Option<i64>,
    /// Whether a grid worker had reached the subject (a task's first contact) before it.
    pub task_reached: bool,
}

/// A case the data missed, as shown for review.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MissedView {
    #[serde(flatten)]
    pub case: CaseShown,
    /// Whether the subject had an alert at all, at or after its confirmation.
    pub alerted_later: bool,
    /// The moment of that alert's first appearance.
    pub first_alert: Option<String>,
}

/// One bucket of lead times.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadBucket {
    pub from_days: i64,
    /// `null`: no upper end.
    pub to_days: Option<i64>,
    pub cases: usize,
}

/// The figure as the command centre shows it (`GET /api/found-first`).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FoundFirstView {
    /// The first moment counted (`null`: every case).
    pub since: Option<String>,
    /// The screening's moment now.
    pub as_of: String,
    /// When the record of first appearances began: the moment of the first screening it
    /// followed. A case confirmed before it was not watched for (`before_record`).
    pub record_from: Option<String>,
    /// The same, by the wall clock.
    pub record_seen_from: Option<String>,
    /// Diagnosed cases (confirmed, asymptomatic, recovered) confirmed since `since`.
    pub cases: usize,
    /// Of those, confirmed before the record began: not judged.
    pub before_record: usize,
    /// Confirmed once the record had begun: found first or missed.
    pub judged: usize,
    /// Had an alert strictly before their confirmation.
    pub found_first: usize,
    /// found_first ÷ judged (`null` when none could be judged).
    pub share: Option<f64>,
    pub median_lead_hours: Option<f64>,
    /// The median rank of the found cases' alerts when they first appeared.
    pub median_rank: Option<f64>,
    /// The found cases by lead time.
    pub lead_days: Vec<LeadBucket>,
    /// Found cases a grid task had been made for before their confirmation.
    pub tasks_before: usize,
    /// Found cases a grid worker had reached before their confirmation.
    pub reached_before: usize,
    /// Latest confirmed first.
    pub found: Vec<FoundView>,
    /// Latest confirmed first.
    pub missed: Vec<MissedView>,
}

/// The figure for `city`: its diagnosed cases confirmed at or after `since` (`None`: all),
/// against the record `book` and the grid tasks `board` keeps, shown as `shown` allows.
pub fn found_first(
    city: &City,
    book: &FirstAlertBook,
    board: &crate::Board,
    since: Option<Millis>,
    shown: Shown,
) -> Result<FoundFirstView, StoreError> {
    let rows: Vec<&tracegrid_model::rows::CaseRow> = city
        .cases
        .iter()
        .filter(|c| is_diagnosed(c.status))
        .collect();
    let subjects: Vec<Option<tracegrid_engine::SubjectId>> =
        rows.iter().map(|c| city.find_subject(&c.subject)).collect();
    // A case the world has never met is named as an unresolved subject would be.
    let names: Vec<String> = rows
        .iter()
        .zip(&subjects)
        .map(|(c, s)| match s {
            Some(s) => city.world.subject_name(*s).to_owned(),
            None => format!("id_number:{}", c.subject),
        })
        .collect();
    let diagnosed: Vec<Diagnosed<'_>> = rows
        .iter()
        .zip(&names)
        .map(|(c, n)| Diagnosed {
            subject: n,
            confirmed: c.confirmed,
        })
        .collect();
    let wanted: Vec<&str> = names.iter().map(String::as_str).collect();
    let first = book.of_subjects(&wanted)?;
    let tasks = board.with(|t| t.of_subjects(&wanted))?;
    let began = book.began();
    let fig = figure(
        &diagnosed,
        &first,
        &tasks,
        since.unwrap_or(Millis::MIN),
        began.map(|b| b.0),
    );
    let case = |i: usize| {
        let c = rows[i];
        let person = subjects[i].and_then(|s| city.world.person_of(s));
        let (subject, subject_ref) = match subjects[i] {
            Some(s) => {
                let (n, r) = views::subject_name(&city.world, s, shown);
                (n.into_owned(), r)
            }
            None if shown.full_ids => (names[i].clone(), None),
            None => (mask::subject(&names[i]), None),
        };
        CaseShown {
            subject,
            subject_ref,
            id_number: if shown.full_ids {
                c.subject.clone()
            } else {
                mask::id_number(&c.subject)
            },
            name: person.and_then(|p| p.1).map(str::to_owned),
            grid_code: person.and_then(|p| p.2).map(str::to_owned),
            status: c.status.as_str(),
            confirmed: city.time(c.confirmed),
        }
    };
    let lower = std::iter::once(0).chain(LEAD_DAYS);
    let upper = LEAD_DAYS.into_iter().map(Some).chain([None]);
    Ok(FoundFirstView {
        since: since.map(|t| city.time(t)),
        as_of: city.time(city.screening.params().as_of),
        record_from: began.map(|b| city.time(b.0)),
        record_seen_from: began.map(|b| city.time(b.1)),
        cases: fig.cases,
        before_record: fig.before_record,
        judged: fig.judged(),
        found_first: fig.found.len(),
        share: (fig.judged() > 0).then(|| fig.found.len() as f64 / fig.judged() as f64),
        median_lead_hours: fig.median_lead_hours,
        median_rank: fig.median_rank,
        lead_days: lower
            .zip(upper)
            .zip(fig.leads)
            .map(|((from_days, to_days), cases)| LeadBucket {
                from_days,
                to_days,
                cases,
            })
            .collect(),
        tasks_before: fig.tasks_before,
        reached_before: fig.reached_before,
        found: fig
            .found
            .iter()
            .map(|f| FoundView {
                case: case(f.case),
                first_alert: city.time(f.first.as_of),
                first_seen: city.time(f.first.seen),
                lead_hours: f.lead_hours,
                rank: f.first.rank,
                score: f.first.score,
                reasons: f.first.reasons.clone(),
                task_id: f.task,
                task_reached: f.reached,
            })
            .collect(),
        missed: fig
            .missed
            .iter()
            .map(|m| MissedView {
                case: case(m.case),
                alerted_later: m.later.is_some(),
                first_alert: m.later.as_ref().map(|f| city.time(f.as_of)),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Millis = 3_600_000;
    const DAY: Millis = 24 * H;

    fn first(subject: &str, as_of: Millis, rank: i64) -> FirstAlert {
        FirstAlert {
            subject: subject.into(),
            as_of,
            seen: as_of,
            score: 0.5,
            rank,
            reasons: vec!["CLOSE_CONTACT".into()],
        }
    }

    fn task(id: i64, subject: &str, created: Millis, first_contact: Option<Millis>) -> TaskRow {
        TaskRow {
            id,
            subject: subject.into(),
            grid_code: Some("G1".into()),
            routed_by: "residence".into(),
            state: "open".into(),
            priority: 1,
            score_milli: 500,
            reasons: "[]".into(),
            created,
            due: created + 2 * H,
            updated: created,
            first_contact,
            closed: None,
            escalation: 0,
            outcome: None,
            isolation_from: None,
            isolation_until: None,
            attempts: 0,
        }
    }

    fn case(subject: &str, confirmed: Millis) -> Diagnosed<'_> {
        Diagnosed { subject, confirmed }
    }

    #[test]
    fn a_case_alerted_before_its_confirmation_is_found_first_with_its_lead_and_rank() {
        let t0 = 100 * DAY;
        let cases = [case("P1", t0 + 30 * H), case("P2", t0 + 5 * DAY)];
        let record = [first("P1", t0, 7), first("P2", t0 + 2 * DAY, 1)];
        let fig = figure(&cases, &record, &[], Millis::MIN, Some(t0));
        assert_eq!((fig.cases, fig.before_record, fig.judged()), (2, 0, 2));
        // Latest confirmed first.
        let got: Vec<(&str, f64, i64)> = fig
            .found
            .iter()
            .map(|f| (cases[f.case].subject, f.lead_hours, f.first.rank))
            .collect();
        assert_eq!(got, [("P2", 72.0, 1), ("P1", 30.0, 7)]);
        assert_eq!(fig.median_lead_hours, Some(51.0));
        assert_eq!(fig.median_rank, Some(4.0));
        assert_eq!(fig.leads, [0, 1, 1, 0], "30 h is 1 to 3 days; 72 h, 3 to 7");
        assert!(fig.missed.is_empty());
    }

    #[test]
    fn an_alert_at_or_after_the_confirmation_is_missed_and_said_to_have_come_later() {
        let t0 = 100 * DAY;
        let cases = [
            case("LATE", t0 + DAY),
            case("SAME", t0 + 2 * DAY),
            case("NEVER", t0 + 3 * DAY),
        ];
        let record = [
            first("LATE", t0 + 2 * DAY, 3),
            first("SAME", t0 + 2 * DAY, 4),
        ];
        let fig = figure(&cases, &record, &[], Millis::MIN, Some(t0));
        assert!(fig.found.is_empty(), "strictly before, or not found first");
        let missed: Vec<(&str, bool)> = fig
            .missed
            .iter()
            .map(|m| (cases[m.case].subject, m.later.is_some()))
            .collect();
        assert_eq!(missed, [("NEVER", false), ("SAME", true), ("LATE", true)]);
        assert_eq!(fig.median_lead_hours, None);
    }

    #[test]
    fn cases_before_since_are_left_out_and_before_the_record_are_not_judged() {
        let t0 = 100 * DAY;
        let cases = [
            case("OLD", t0 - 5 * DAY),
            case("EARLY", t0 - DAY),
            case("P1", t0 + DAY),
        ];
        // EARLY had an alert before its confirmation, by a re-screen at an earlier moment:
        // the record had not begun when it was confirmed, so it is not judged.
        let record = [first("EARLY", t0 - 2 * DAY, 1), first("P1", t0, 2)];
        let fig = figure(&cases, &record, &[], t0 - 3 * DAY, Some(t0));
        assert_eq!((fig.cases, fig.before_record, fig.judged()), (2, 1, 1));
        assert_eq!(fig.found.len(), 1);
        assert_eq!(cases[fig.found[0].case].subject, "P1");
        // A record not begun judges nothing.
        let none = figure(&cases, &record, &[], Millis::MIN, None);
        assert_eq!((none.cases, none.before_record, none.judged()), (3, 3, 0));
    }

    #[test]
    fn lead_times_fall_into_their_day_buckets_at_the_edges() {
        let t0 = 100 * DAY;
        let leads = [1, 24, 72, 167, 168, 400];
        let names: Vec<String> = (0..leads.len()).map(|i| format!("P{i}")).collect();
        let cases: Vec<Diagnosed<'_>> = names
            .iter()
            .zip(leads)
            .map(|(n, h)| case(n, t0 + h * H))
            .collect();
        let record: Vec<FirstAlert> = names.iter().map(|n| first(n, t0, 1)).collect();
        let fig = figure(&cases, &record, &[], Millis::MIN, Some(t0));
        assert_eq!(fig.leads, [1, 1, 2, 2]);
        assert_eq!(fig.median_lead_hours, Some((72.0 + 167.0) / 2.0));
    }

    #[test]
    fn tasks_count_when_made_or_reached_before_the_confirmation_on_the_screening_clock() {
        // A replay: the screening's moment is day 100, the wall clock a year on. The alert was
        // seen at wall time W; a case confirmed 30 h after the moment.
        let t0 = 100 * DAY;
        let w = 465 * DAY;
        let mut f = first("P1", t0, 5);
        f.seen = w;
        let mut g = first("P2", t0, 6);
        g.seen = w;
        let mut h = first("P3", t0, 7);
        h.seen = w;
        let cases = [
            case("P1", t0 + 30 * H),
            case("P2", t0 + 30 * H),
            case("P3", t0 + 30 * H),
        ];
        let tasks = [
            // P1: made a second after the alert, reached 2 h later: both before.
            task(10, "P1", w + 1_000, Some(w + 2 * H)),
            // P2: made at once but reached only 31 h later; a second task made after.
            task(11, "P2", w + 1_000, Some(w + 31 * H)),
            task(12, "P2", w + 40 * H, Some(w + 41 * H)),
            // P3: its only task made after the confirmation.
            task(13, "P3", w + 35 * H, None),
        ];
        let fig = figure(&cases, &[f, g, h], &tasks, Millis::MIN, Some(t0));
        let got: Vec<(&str, Option<i64>, bool)> = fig
            .found
            .iter()
            .map(|x| (cases[x.case].subject, x.task, x.reached))
            .collect();
        assert_eq!(
            got,
            [
                ("P1", Some(10), true),
                ("P2", Some(11), false),
                ("P3", None, false)
            ]
        );
        assert_eq!((fig.tasks_before, fig.reached_before), (2, 1));
    }
}
