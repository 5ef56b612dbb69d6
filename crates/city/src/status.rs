//! A person's status — the "health code" of CONTRACT.md section 7 — from the screening and the
//! grid tasks:
//!
//! - **red**: a case; a subject with a CLOSE_CONTACT reason no grid worker has cleared (a task
//!   closed as `cleared` or `wrong_person` clears the reasons it held); anyone whose home
//!   isolation is running (a task isolating) or whose central isolation has not ended;
//! - **yellow**: any other subject with an alert holding a reason not cleared;
//! - **green**: everyone else.
//!
//! The status is computed when asked, from the city and the subject's tasks as they are at that
//! moment; [`StatusBook`] keeps each person's last known status so that a change can be written
//! down with its reason.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use tracegrid_engine::{ReasonCode, SubjectId};
use tracegrid_model::Millis;
use tracegrid_store::TaskRow;

use crate::city::City;
use crate::tasks::{Outcome, State, reasons_of};

/// How long a central isolation without an end date counts as running, from when it began.
pub const CENTRAL_ISOLATION_DAYS: i64 = 14;

/// The three colours of section 7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Green,
    Yellow,
    Red,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Green => "green",
            Status::Yellow => "yellow",
            Status::Red => "red",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Green, Status::Yellow, Status::Red]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Why a person has their status: the weightiest cause, in names a page can put into words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Why {
    /// `case`, `close_contact`, `isolation`, `alert` or `none`.
    pub kind: String,
    /// The reason code behind it (`CLOSE_CONTACT`, `EPI_AREA`, …), or the isolation's outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place_id: Option<String>,
    /// When the evidence happened (the contract's time format).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// When an isolation ends (epoch milliseconds), if it has an end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<Millis>,
    /// How many reasons stand uncleared.
    pub reasons: usize,
}

impl Why {
    fn none() -> Why {
        Why {
            kind: "none".into(),
            ..Why::default()
        }
    }
}

/// A subject's status and its cause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusNow {
    pub status: Status,
    pub why: Why,
}

/// The reason keys (code, case or area) a grid worker cleared, by closing a task as cleared or
/// wrong person.
fn cleared_keys(tasks: &[&TaskRow]) -> HashSet<(String, Option<String>, Option<String>)> {
    tasks
        .iter()
        .filter(|t| {
            t.state == State::Closed.as_str()
                && matches!(
                    t.outcome.as_deref(),
                    Some(o) if o == Outcome::Cleared.as_str() || o == Outcome::WrongPerson.as_str()
                )
        })
        .flat_map(|t| reasons_of(t))
        .map(|r| (r.code.as_str().to_owned(), r.case, r.area_id))
        .collect()
}

/// The isolation running for a subject at `now` (wall clock, as tasks keep their times): its
/// outcome and end.
fn isolation(tasks: &[&TaskRow], now: Millis) -> Option<(&'static str, Option<Millis>)> {
    for t in tasks {
        if t.state == State::Isolating.as_str() {
            return Some((Outcome::HomeIsolation.as_str(), t.isolation_until));
        }
        if t.outcome.as_deref() == Some(Outcome::CentralIsolation.as_str()) {
            let began = t.closed.unwrap_or(t.updated);
            let until = t
                .isolation_until
                .unwrap_or(began + CENTRAL_ISOLATION_DAYS * 86_400_000);
            if until > now {
                return Some((Outcome::CentralIsolation.as_str(), Some(until)));
            }
        }
    }
    None
}

/// The status of subject `s` given its tasks (any state), at wall-clock `now` for isolations.
pub fn status_of(city: &City, s: SubjectId, tasks: &[&TaskRow], now: Millis) -> StatusNow {
    if city.world.is_active_case(s) {
        return StatusNow {
            status: Status::Red,
            why: Why {
                kind: "case".into(),
                ..Why::default()
            },
        };
    }
    let cleared = cleared_keys(tasks);
    let t = |ms| city.time(ms);
    let standing: Vec<&tracegrid_engine::Reason> = city
        .screening
        .alert(s)
        .map(|a| {
            a.reasons
                .iter()
                .filter(|r| {
                    let v = crate::views::reason_view(&city.world, r, crate::Shown::ALL, &t);
                    let key = (
                        r.code.as_str().to_owned(),
                        v.case.map(|c| c.into_owned()),
                        v.area_id.map(str::to_owned),
                    );
                    !cleared.contains(&key)
                })
                .collect()
        })
        .unwrap_or_default();
    let why_of = |kind: &str, r: &tracegrid_engine::Reason| {
        let v = crate::views::reason_view(&city.world, r, crate::Shown::ALL, &t);
        Why {
            kind: kind.into(),
            code: Some(r.code.as_str().into()),
            case: v.case.map(|c| c.into_owned()),
            area_id: v.area_id.map(str::to_owned),
            place_id: v.place_id.map(str::to_owned),
            at: Some(v.at),
            until_ms: None,
            reasons: standing.len(),
        }
    };
    if let Some(r) = standing
        .iter()
        .filter(|r| r.code == ReasonCode::CloseContact)
        .min_by_key(|r| r.at)
    {
        return StatusNow {
            status: Status::Red,
            why: why_of("close_contact", r),
        };
    }
    if let Some((outcome, until)) = isolation(tasks, now) {
        return StatusNow {
            status: Status::Red,
            why: Why {
                kind: "isolation".into(),
                code: Some(outcome.into()),
                until_ms: until,
                reasons: standing.len(),
                ..Why::default()
            },
        };
    }
    // The weightiest standing reason: contacts first, then the rest in the contract's order.
    let rank = |c: ReasonCode| match c {
        ReasonCode::CloseContact => 0,
        ReasonCode::SecondaryContact => 1,
        ReasonCode::GeneralContact => 2,
        _ => 3,
    };
    match standing.iter().min_by_key(|r| (rank(r.code), r.at)) {
        Some(r) => StatusNow {
            status: Status::Yellow,
            why: why_of("alert", r),
        },
        None => StatusNow {
            status: Status::Green,
            why: Why::none(),
        },
    }
}

/// Tasks grouped by subject, borrowed.
pub fn by_subject(tasks: &[TaskRow]) -> HashMap<&str, Vec<&TaskRow>> {
    let mut m: HashMap<&str, Vec<&TaskRow>> = HashMap::new();
    for t in tasks {
        m.entry(t.subject.as_str()).or_default().push(t);
    }
    m
}

/// Every registered person who is not green, by person_id, given every task.
pub fn not_green(city: &City, tasks: &[TaskRow], now: Millis) -> HashMap<String, StatusNow> {
    let by = by_subject(tasks);
    let mut subjects: HashSet<SubjectId> = city.screening.alerts().map(|a| a.subject).collect();
    subjects.extend(city.world.active_cases());
    for name in by.keys() {
        if let Some(s) = city.world.find_subject(name) {
            subjects.insert(s);
        }
    }
    subjects
        .into_iter()
        .filter(|&s| city.world.person_of(s).is_some())
        .filter_map(|s| {
            let name = city.world.subject_name(s);
            let mine = by.get(name).map(Vec::as_slice).unwrap_or(&[]);
            let now_status = status_of(city, s, mine, now);
            (now_status.status != Status::Green).then(|| (name.to_owned(), now_status))
        })
        .collect()
}

/// Each person's last known status, and the store's record of every change: a resident can be
/// told why and when their colour changed.
#[derive(Debug)]
pub struct StatusBook {
    last: std::sync::Mutex<(tracegrid_store::Gates, HashMap<String, Status>)>,
}

impl StatusBook {
    /// Opens the record of store `db` and reads each person's last written status.
    pub fn open(db: &str) -> Result<StatusBook, tracegrid_store::StoreError> {
        let mut gates = tracegrid_store::gates(db)?;
        let last = gates
            .last_statuses()?
            .into_iter()
            .filter_map(|(p, s)| Some((p, Status::parse(&s)?)))
            .collect();
        Ok(StatusBook {
            last: std::sync::Mutex::new((gates, last)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (tracegrid_store::Gates, HashMap<String, Status>)> {
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes down the statuses in `now_statuses` that differ from the last known ones; with
    /// `all`, every person known not green and absent from `now_statuses` has turned green.
    fn note(
        &self,
        now_statuses: &HashMap<String, StatusNow>,
        all: bool,
        at: Millis,
    ) -> Result<usize, tracegrid_store::StoreError> {
        let mut guard = self.lock();
        let (gates, last) = &mut *guard;
        let green = StatusNow {
            status: Status::Green,
            why: Why::none(),
        };
        let mut changes: Vec<(String, &StatusNow)> = now_statuses
            .iter()
            .filter(|(p, s)| last.get(*p).copied().unwrap_or(Status::Green) != s.status)
            .map(|(p, s)| (p.clone(), s))
            .collect();
        if all {
            changes.extend(
                last.iter()
                    .filter(|(p, s)| **s != Status::Green && !now_statuses.contains_key(*p))
                    .map(|(p, _)| (p.clone(), &green)),
            );
        }
        if changes.is_empty() {
            return Ok(0);
        }
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        let rows: Vec<tracegrid_store::StatusChange> = changes
            .iter()
            .map(|(p, s)| tracegrid_store::StatusChange {
                person_id: p.clone(),
                at,
                status: s.status.as_str().into(),
                why: serde_json::to_string(&s.why).unwrap_or_default(),
            })
            .collect();
        gates.add_status_changes(&rows)?;
        for (p, s) in changes {
            last.insert(p, s.status);
        }
        Ok(rows.len())
    }

    /// Brings the record in step with the city and every task.
    pub fn follow_all(
        &self,
        city: &City,
        tasks: &[TaskRow],
        now: Millis,
    ) -> Result<usize, tracegrid_store::StoreError> {
        self.note(&not_green(city, tasks, now), true, now)
    }

    /// Brings the record in step for some subjects (by name) only, given their tasks.
    pub fn follow(
        &self,
        city: &City,
        subjects: &[&str],
        tasks: &[TaskRow],
        now: Millis,
    ) -> Result<usize, tracegrid_store::StoreError> {
        let by = by_subject(tasks);
        let statuses: HashMap<String, StatusNow> = subjects
            .iter()
            .filter_map(|n| city.world.find_subject(n))
            .filter(|&s| city.world.person_of(s).is_some())
            .map(|s| {
                let name = city.world.subject_name(s);
                let mine = by.get(name).map(Vec::as_slice).unwrap_or(&[]);
                (name.to_owned(), status_of(city, s, mine, now))
            })
            .collect();
        self.note(&statuses, false, now)
    }

    /// One person's status now, written down if it changed.
    pub fn of(
        &self,
        city: &City,
        board: &crate::Board,
        s: SubjectId,
        now: Millis,
    ) -> Result<StatusNow, tracegrid_store::StoreError> {
        let name = city.world.subject_name(s);
        let tasks = board.with(|t| t.of_subjects(&[name]))?;
        let mine: Vec<&TaskRow> = tasks.iter().collect();
        let st = status_of(city, s, &mine, now);
        if city.world.person_of(s).is_some() {
            let one = HashMap::from([(name.to_owned(), st.clone())]);
            self.note(&one, false, now)?;
        }
        Ok(st)
    }

    /// A person's status changes, newest first.
    pub fn history(
        &self,
        person_id: &str,
        limit: i64,
    ) -> Result<Vec<tracegrid_store::StatusChange>, tracegrid_store::StoreError> {
        self.lock().0.status_history(person_id, limit)
    }

    /// Runs `f` on the store's gate tables (keys, codes, visitors, scans).
    pub fn with_gates<T>(&self, f: impl FnOnce(&mut tracegrid_store::Gates) -> T) -> T {
        f(&mut self.lock().0)
    }
}
