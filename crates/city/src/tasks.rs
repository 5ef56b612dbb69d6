//! Grid tasks: every alert becomes a task for the grid worker who can close it ("big data finds
//! the people; the grid guards the door").
//!
//! [`plan`] turns the live screening into tasks: one open task per subject, routed to the grid
//! the subject lives in, or for a subject of no registered residence (a visitor, a plate) to the
//! grid of the place it was last seen, or else to the command centre's unrouted queue; reasons
//! that appear later for a subject with an open task are merged into it. A subject whose
//! reasons were all handled by earlier tasks gets no new one.
//!
//! [`apply`] is a task's life as a state machine:
//!
//! ```text
//!   open ──accept──► accepted ──outcome──► closed   (confirmed, central isolation, hospital,
//!    │                  │                            wrong person, cleared)
//!    │                  ├──home isolation──► isolating ──end / hospital / cleared──► closed
//!    └──outcome─────────┘                       │
//!         unreachable: stays open, retried      └──fever or a missed check-in──► open
//! ```
//!
//! Overdue tasks escalate to the community, then to the command centre ([`escalate`]).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tracegrid_engine::ReasonCode;
use tracegrid_model::Millis;
use tracegrid_store::TaskRow;

use crate::city::City;
use crate::views::{self, Shown};

const HOUR: Millis = 3_600_000;

/// Where a task is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Open,
    Accepted,
    Isolating,
    Closed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Accepted => "accepted",
            State::Isolating => "isolating",
            State::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        [
            State::Open,
            State::Accepted,
            State::Isolating,
            State::Closed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// What the grid worker found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Reached, and the travel or contact confirmed.
    Confirmed,
    /// Home isolation started (needs its end date).
    HomeIsolation,
    CentralIsolation,
    /// Sent to hospital for testing.
    Hospital,
    /// Not reachable: the task stays open and is tried again.
    Unreachable,
    /// The data linked the wrong person: kept as feedback on the data source.
    WrongPerson,
    Cleared,
    /// Home isolation ran its course (set by the server).
    IsolationCompleted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Confirmed => "confirmed",
            Outcome::HomeIsolation => "home_isolation",
            Outcome::CentralIsolation => "central_isolation",
            Outcome::Hospital => "hospital",
            Outcome::Unreachable => "unreachable",
            Outcome::WrongPerson => "wrong_person",
            Outcome::Cleared => "cleared",
            Outcome::IsolationCompleted => "isolation_completed",
        }
    }
}

/// How urgent tasks are and what happens when they are late.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Hours to answer a task of priority 1, 2 and 3.
    pub due_hours: [i64; 3],
    /// Hours until an unreachable person is tried again.
    pub retry_hours: i64,
    /// Hours after the community was told of an overdue task until the command centre is.
    pub escalate_after_hours: i64,
    /// A check-in at or above this temperature (tenths of °C) reopens the task.
    pub fever_dc: i64,
    /// The zone of local days (check-ins are a day's) and of times written into reasons.
    pub zone: chrono_tz::Tz,
    /// The screening's fixed moment, when the server screens at one (`serve --as-of`): a home
    /// isolation's end is compared with it rather than with the wall clock, so that a replay of
    /// February 2020 takes an end date in February 2020 (and its isolations end by it).
    pub moment: Option<Millis>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            due_hours: [2, 12, 24],
            retry_hours: 1,
            escalate_after_hours: 4,
            fever_dc: 373,
            zone: chrono_tz::Asia::Shanghai,
            moment: None,
        }
    }
}

impl Policy {
    /// The moment an isolation's end is compared with: the screening's fixed moment, or `now`.
    pub fn isolation_clock(&self, now: Millis) -> Millis {
        self.moment.unwrap_or(now)
    }

    /// The local date of an instant, `YYYY-MM-DD`.
    pub fn day(&self, t: Millis) -> String {
        let mut s = tracegrid_model::format_time(t, self.zone);
        s.truncate(10);
        s
    }

    pub fn due(&self, priority: i64, now: Millis) -> Millis {
        let i = (priority.clamp(1, 3) - 1) as usize;
        now + self.due_hours[i] * HOUR
    }
}

/// A change asked of a task.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Accept,
    Record {
        outcome: Outcome,
        /// The end of home isolation.
        isolation_until: Option<Millis>,
        note: Option<String>,
    },
    /// To another grid, or to the unrouted queue.
    Reassign {
        grid: Option<String>,
    },
    /// A check-in of a person isolating at home.
    Checkin {
        temperature_dc: i64,
        symptoms: String,
    },
}

/// Why a change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("a {state} task cannot {what}")]
    NotNow {
        state: &'static str,
        what: &'static str,
    },
    #[error("home isolation needs its end date (isolation_until), after now")]
    IsolationNeedsEnd,
    #[error("this outcome is the server's to record")]
    ServerOnly,
    #[error("the task's state {0} is not known")]
    Corrupt(String),
}

/// A task after a change, and what to write about it.
#[derive(Clone, Debug)]
pub struct Changed {
    pub task: TaskRow,
    pub kind: &'static str,
    pub detail: String,
}

/// Why a task exists: a screening reason, or what happened during a home isolation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskCode {
    Screen(ReasonCode),
    /// A check-in with a fever or symptoms.
    FeverCheckin,
    /// A day of home isolation without a check-in.
    MissedCheckin,
    /// The resident appealed against their status.
    Appeal,
}

impl TaskCode {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskCode::Screen(c) => c.as_str(),
            TaskCode::FeverCheckin => "FEVER_CHECKIN",
            TaskCode::MissedCheckin => "MISSED_CHECKIN",
            TaskCode::Appeal => "APPEAL",
        }
    }

    pub fn parse(s: &str) -> Option<TaskCode> {
        match s {
            "FEVER_CHECKIN" => Some(TaskCode::FeverCheckin),
            "MISSED_CHECKIN" => Some(TaskCode::MissedCheckin),
            "APPEAL" => Some(TaskCode::Appeal),
            _ => ReasonCode::ALL
                .into_iter()
                .find(|c| c.as_str() == s)
                .map(TaskCode::Screen),
        }
    }
}

impl Serialize for TaskCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TaskCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TaskCode, D::Error> {
        let s = String::deserialize(d)?;
        TaskCode::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s} is not a reason code")))
    }
}

/// One reason of a task, as the task keeps it: the contract's reason, written out in full when
/// the task was made (names, not the engine's numbers, so that it outlives a reload).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskReason {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_id: Option<String>,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: TaskCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degree: Option<u8>,
    #[serde(default)]
    pub place_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

impl TaskReason {
    /// A reason of the task's own (a check-in, an appeal), not of screening.
    pub fn of(code: TaskCode, at: String) -> TaskReason {
        TaskReason {
            area_id: None,
            at,
            case: None,
            code,
            degree: None,
            place_id: None,
            via: None,
        }
    }
}

/// Adds a reason to a task's reasons.
pub fn add_reason(n: &mut TaskRow, r: TaskReason) {
    let mut reasons = reasons_of(n);
    reasons.push(r);
    n.reasons = reasons_text(&reasons);
}

/// What makes two reasons the same reason: the contract's (code, case or area).
type ReasonKey = (TaskCode, Option<String>, Option<String>);

impl TaskReason {
    fn key(&self) -> ReasonKey {
        (self.code, self.case.clone(), self.area_id.clone())
    }
}

/// A task's reasons as the store keeps them (JSON text).
pub fn reasons_of(t: &TaskRow) -> Vec<TaskReason> {
    serde_json::from_str(&t.reasons).unwrap_or_else(|e| {
        tracing::error!(
            task = t.id,
            error = e.to_string(),
            "a task's reasons cannot be read"
        );
        Vec::new()
    })
}

fn reasons_text(reasons: &[TaskReason]) -> String {
    serde_json::to_string(reasons).unwrap_or_else(|_| "[]".to_owned())
}

/// The chance of infection (an alert's score) from which a task has priority 1, and 2
/// (docs/SCREENING.md, "Priority"): one in twenty is reached within the first policy's hours,
/// one in a hundred the same day.
pub const PRIORITY_1_FROM: f64 = 0.05;
pub const PRIORITY_2_FROM: f64 = 0.01;

/// The priority of an alert from its chance of infection: 1 from [`PRIORITY_1_FROM`], 2 from
/// [`PRIORITY_2_FROM`], else 3. A task made by a check-in's fever is priority 1 on its own.
pub fn priority(score: f64) -> i64 {
    if score >= PRIORITY_1_FROM {
        1
    } else if score >= PRIORITY_2_FROM {
        2
    } else {
        3
    }
}

/// Applies `action` to `t` at `now`.
pub fn apply(
    t: &TaskRow,
    action: &Action,
    now: Millis,
    policy: &Policy,
) -> Result<Changed, TaskError> {
    let state = State::parse(&t.state).ok_or_else(|| TaskError::Corrupt(t.state.clone()))?;
    let mut n = t.clone();
    n.updated = now.max(t.updated + 1);
    let refuse = |what| {
        Err(TaskError::NotNow {
            state: state.as_str(),
            what,
        })
    };
    match action {
        Action::Accept => {
            if state != State::Open {
                return refuse("be accepted");
            }
            n.state = State::Accepted.as_str().into();
            Ok(Changed {
                task: n,
                kind: "accepted",
                detail: String::new(),
            })
        }
        Action::Record {
            outcome,
            isolation_until,
            note,
        } => {
            let allowed = match state {
                State::Open | State::Accepted => true,
                // Once isolating, only what ends or changes the isolation.
                State::Isolating => matches!(
                    outcome,
                    Outcome::Hospital | Outcome::CentralIsolation | Outcome::Cleared
                ),
                State::Closed => false,
            };
            if !allowed {
                return refuse("take that outcome");
            }
            if *outcome == Outcome::IsolationCompleted {
                return Err(TaskError::ServerOnly);
            }
            n.attempts += 1;
            n.outcome = Some(outcome.as_str().into());
            if *outcome != Outcome::Unreachable && n.first_contact.is_none() {
                n.first_contact = Some(now);
            }
            match outcome {
                Outcome::Unreachable => {
                    n.state = State::Open.as_str().into();
                    n.due = now + policy.retry_hours * HOUR;
                }
                Outcome::HomeIsolation => {
                    let until = isolation_until
                        .filter(|&u| u > policy.isolation_clock(now))
                        .ok_or(TaskError::IsolationNeedsEnd)?;
                    n.state = State::Isolating.as_str().into();
                    n.isolation_from = Some(now);
                    n.isolation_until = Some(until);
                    n.escalation = 0;
                }
                _ => {
                    n.state = State::Closed.as_str().into();
                    n.closed = Some(now);
                }
            }
            let mut detail = outcome.as_str().to_owned();
            if let Some(note) = note.as_deref().filter(|s| !s.trim().is_empty()) {
                detail.push_str(": ");
                detail.push_str(note.trim());
            }
            Ok(Changed {
                task: n,
                kind: "outcome",
                detail,
            })
        }
        Action::Reassign { grid } => {
            if state == State::Closed {
                return refuse("be reassigned");
            }
            let from = t.grid_code.clone().unwrap_or_else(|| "(unrouted)".into());
            n.grid_code = grid.clone();
            n.routed_by = if grid.is_some() {
                "reassigned"
            } else {
                "unrouted"
            }
            .into();
            n.escalation = 0;
            Ok(Changed {
                task: n,
                kind: "reassigned",
                detail: format!("{from} → {}", grid.as_deref().unwrap_or("(unrouted)")),
            })
        }
        Action::Checkin {
            temperature_dc,
            symptoms,
        } => {
            if state != State::Isolating {
                return refuse("take a check-in");
            }
            let fever = *temperature_dc >= policy.fever_dc;
            if fever || !symptoms.trim().is_empty() {
                // Fever or symptoms: the grid worker must act again, at once.
                let at = tracegrid_model::format_time(now, policy.zone);
                reopen(&mut n, TaskCode::FeverCheckin, at, policy, now);
                return Ok(Changed {
                    task: n,
                    kind: "reopened",
                    detail: format!("{:.1}°C {}", *temperature_dc as f64 / 10.0, symptoms.trim()),
                });
            }
            Ok(Changed {
                task: n,
                kind: "checked",
                detail: format!("{:.1}°C", *temperature_dc as f64 / 10.0),
            })
        }
    }
}

/// Puts an isolating task back in the grid worker's list, most urgent, with a new reason.
fn reopen(n: &mut TaskRow, code: TaskCode, at: String, policy: &Policy, now: Millis) {
    add_reason(n, TaskReason::of(code, at));
    n.state = State::Open.as_str().into();
    // The isolation is no longer running: its end date no longer says anything.
    n.isolation_until = None;
    n.priority = 1;
    n.due = policy.due(1, now);
    n.escalation = 0;
}

/// What time passing does to a task: an overdue one escalates (to the community at its due time,
/// to the command centre `escalate_after_hours` later); an isolation that has ended closes; an
/// isolation without yesterday's check-in reopens. `checked_days` are the local days with a
/// check-in; `yesterday` is the local date before `now`'s.
pub fn tick(
    t: &TaskRow,
    now: Millis,
    policy: &Policy,
    checked_days: &HashSet<String>,
    yesterday: &str,
) -> Option<Changed> {
    let state = State::parse(&t.state)?;
    let mut n = t.clone();
    n.updated = now.max(t.updated + 1);
    match state {
        State::Isolating => {
            if t.isolation_until
                .is_some_and(|u| u <= policy.isolation_clock(now))
            {
                n.state = State::Closed.as_str().into();
                n.closed = Some(now);
                n.outcome = Some(Outcome::IsolationCompleted.as_str().into());
                return Some(Changed {
                    task: n,
                    kind: "outcome",
                    detail: Outcome::IsolationCompleted.as_str().into(),
                });
            }
            // A day missed: only a whole day after this isolation began (a task reopened and
            // isolated again starts counting afresh).
            let began = t.isolation_from.unwrap_or(t.created);
            let began_day = policy.day(began);
            if began_day.as_str() < yesterday && !checked_days.contains(yesterday) {
                reopen(
                    &mut n,
                    TaskCode::MissedCheckin,
                    yesterday.to_owned(),
                    policy,
                    now,
                );
                return Some(Changed {
                    task: n,
                    kind: "reopened",
                    detail: format!("no check-in on {yesterday}"),
                });
            }
            None
        }
        State::Open | State::Accepted => {
            let level = if now > t.due + policy.escalate_after_hours * HOUR {
                2
            } else if now > t.due {
                1
            } else {
                0
            };
            if level <= t.escalation {
                return None;
            }
            n.escalation = level;
            Some(Changed {
                task: n,
                kind: "escalated",
                detail: if level == 1 {
                    "community"
                } else {
                    "command centre"
                }
                .into(),
            })
        }
        State::Closed => None,
    }
}

/// What screening asks of the task list.
#[derive(Debug, Default)]
pub struct Plan {
    pub create: Vec<TaskRow>,
    /// (the stored `updated_ms`, the task with new reasons, what was added)
    pub update: Vec<(Millis, TaskRow, String)>,
}

/// Turns the city's alerts into new tasks and new reasons for open ones, given every stored task.
pub fn plan(city: &City, existing: &[TaskRow], now: Millis, policy: &Policy) -> Plan {
    plan_for(city, city.screening.alerts(), existing, now, policy)
}

/// [`plan`] for some alerts only, given every stored task of their subjects.
pub fn plan_for<'a>(
    city: &City,
    alerts: impl IntoIterator<Item = &'a tracegrid_engine::Alert>,
    existing: &[TaskRow],
    now: Millis,
    policy: &Policy,
) -> Plan {
    let mut open: HashMap<&str, &TaskRow> = HashMap::new();
    let mut handled: HashMap<&str, HashSet<ReasonKey>> = HashMap::new();
    for t in existing {
        if t.state != State::Closed.as_str() {
            open.insert(t.subject.as_str(), t);
        }
        handled
            .entry(t.subject.as_str())
            .or_default()
            .extend(reasons_of(t).iter().map(TaskReason::key));
    }
    let t = |ms| city.time(ms);
    let mut plan = Plan::default();
    for a in alerts {
        let subject = city.world.subject_name(a.subject);
        let reasons: Vec<TaskReason> = a
            .reasons
            .iter()
            .map(|r| task_reason(r, &views::reason_view(&city.world, r, Shown::ALL, &t)))
            .collect();
        let known = handled.get(subject);
        let fresh: Vec<&TaskReason> = reasons
            .iter()
            .filter(|r| known.is_none_or(|k| !k.contains(&r.key())))
            .collect();
        if fresh.is_empty() {
            continue;
        }
        let score_milli = (a.score * 1000.0).round() as i64;
        let prio = priority(a.score);
        match open.get(subject) {
            Some(task) => {
                let mut n = (*task).clone();
                let mut merged = reasons_of(&n);
                merged.extend(fresh.iter().map(|r| (*r).clone()));
                n.reasons = reasons_text(&merged);
                n.score_milli = n.score_milli.max(score_milli);
                if prio < n.priority {
                    n.priority = prio;
                    n.due = n.due.min(policy.due(prio, now));
                }
                n.updated = now.max(task.updated + 1);
                let codes: Vec<&str> = fresh.iter().map(|r| r.code.as_str()).collect();
                plan.update.push((task.updated, n, codes.join(",")));
            }
            None => {
                plan.create.push(new_task(
                    city,
                    a.subject,
                    prio,
                    score_milli,
                    &reasons,
                    now,
                    policy,
                ));
            }
        }
    }
    plan
}

/// A new open task for subject `s`, routed as [`City::route`] says.
pub fn new_task(
    city: &City,
    s: tracegrid_engine::SubjectId,
    priority: i64,
    score_milli: i64,
    reasons: &[TaskReason],
    now: Millis,
    policy: &Policy,
) -> TaskRow {
    let (grid, routed_by) = city.route(s);
    TaskRow {
        id: 0,
        subject: city.world.subject_name(s).to_owned(),
        grid_code: grid,
        routed_by: routed_by.into(),
        state: State::Open.as_str().into(),
        priority,
        score_milli,
        reasons: reasons_text(reasons),
        created: now,
        due: policy.due(priority, now),
        updated: now,
        first_contact: None,
        closed: None,
        escalation: 0,
        outcome: None,
        isolation_from: None,
        isolation_until: None,
        attempts: 0,
    }
}

/// A screening reason as a task keeps it: its code as the engine gave it, its names and times
/// as the contract writes them.
fn task_reason(r: &tracegrid_engine::Reason, shown: &views::ReasonView<'_>) -> TaskReason {
    TaskReason {
        area_id: shown.area_id.map(str::to_owned),
        at: shown.at.clone(),
        case: shown.case.as_deref().map(str::to_owned),
        code: TaskCode::Screen(r.code),
        degree: r.degree,
        place_id: shown.place_id.map(str::to_owned),
        via: shown.via.as_deref().map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(state: State) -> TaskRow {
        TaskRow {
            id: 1,
            subject: "P1".into(),
            grid_code: Some("G1".into()),
            routed_by: "residence".into(),
            state: state.as_str().into(),
            priority: 1,
            score_milli: 900,
            reasons: r#"[{"code":"CLOSE_CONTACT","case":"P9","at":"2020-01-20T10:00:00+08:00","place_id":null}]"#.into(),
            created: 0,
            due: 2 * HOUR,
            updated: 0,
            first_contact: None,
            closed: None,
            escalation: 0,
            outcome: None,
            isolation_from: None,
            isolation_until: None,
            attempts: 0,
        }
    }

    fn record(outcome: Outcome) -> Action {
        Action::Record {
            outcome,
            isolation_until: None,
            note: None,
        }
    }

    const P: Policy = Policy {
        due_hours: [2, 12, 24],
        retry_hours: 1,
        escalate_after_hours: 4,
        fever_dc: 373,
        zone: chrono_tz::Asia::Shanghai,
        moment: None,
    };

    #[test]
    fn a_task_is_accepted_then_closed_by_its_outcome() {
        let t = task(State::Open);
        let a = apply(&t, &Action::Accept, 10, &P).unwrap();
        assert_eq!((a.task.state.as_str(), a.kind), ("accepted", "accepted"));
        assert!(a.task.updated > t.updated);
        let c = apply(&a.task, &record(Outcome::Cleared), 20, &P).unwrap();
        assert_eq!(c.task.state, "closed");
        assert_eq!(c.task.closed, Some(20));
        assert_eq!(c.task.first_contact, Some(20));
        assert_eq!(c.task.outcome.as_deref(), Some("cleared"));
        // Nothing more happens to a closed task.
        for action in [
            Action::Accept,
            record(Outcome::Hospital),
            Action::Reassign { grid: None },
        ] {
            assert!(
                matches!(
                    apply(&c.task, &action, 30, &P),
                    Err(TaskError::NotNow { .. })
                ),
                "{action:?}"
            );
        }
        assert!(matches!(
            apply(&a.task, &Action::Accept, 30, &P),
            Err(TaskError::NotNow { .. })
        ));
    }

    #[test]
    fn an_unreachable_person_is_tried_again() {
        let t = task(State::Accepted);
        let u = apply(&t, &record(Outcome::Unreachable), 5 * HOUR, &P).unwrap();
        assert_eq!(u.task.state, "open");
        assert_eq!(u.task.due, 6 * HOUR);
        assert_eq!(u.task.attempts, 1);
        assert_eq!(u.task.first_contact, None, "no one was reached");
        let w = apply(&u.task, &record(Outcome::WrongPerson), 6 * HOUR, &P).unwrap();
        assert_eq!((w.task.state.as_str(), w.task.attempts), ("closed", 2));
        assert_eq!(w.detail, "wrong_person");
    }

    #[test]
    fn home_isolation_needs_an_end_and_takes_check_ins() {
        let t = task(State::Accepted);
        assert_eq!(
            apply(&t, &record(Outcome::HomeIsolation), 10, &P).unwrap_err(),
            TaskError::IsolationNeedsEnd
        );
        let iso = Action::Record {
            outcome: Outcome::HomeIsolation,
            isolation_until: Some(14 * 24 * HOUR),
            note: Some("  family informed ".into()),
        };
        let i = apply(&t, &iso, 10, &P).unwrap();
        assert_eq!(i.task.state, "isolating");
        assert_eq!(i.detail, "home_isolation: family informed");
        assert!(matches!(
            apply(&i.task, &record(Outcome::Confirmed), 20, &P),
            Err(TaskError::NotNow { .. })
        ));

        let ok = apply(
            &i.task,
            &Action::Checkin {
                temperature_dc: 366,
                symptoms: String::new(),
            },
            30,
            &P,
        )
        .unwrap();
        assert_eq!((ok.task.state.as_str(), ok.kind), ("isolating", "checked"));
        let fever = apply(
            &i.task,
            &Action::Checkin {
                temperature_dc: 381,
                symptoms: String::new(),
            },
            40,
            &P,
        )
        .unwrap();
        assert_eq!(
            (fever.task.state.as_str(), fever.kind, fever.task.priority),
            ("open", "reopened", 1)
        );
        assert!(fever.task.reasons.contains("FEVER_CHECKIN"));
        assert_eq!(fever.task.due, 40 + 2 * HOUR);
        assert!(matches!(
            apply(
                &t,
                &Action::Checkin {
                    temperature_dc: 366,
                    symptoms: String::new()
                },
                30,
                &P
            ),
            Err(TaskError::NotNow { .. })
        ));
    }

    #[test]
    fn overdue_tasks_escalate_once_a_level() {
        let t = task(State::Open);
        let days = HashSet::new();
        assert!(tick(&t, HOUR, &P, &days, "").is_none(), "not due yet");
        let c = tick(&t, 3 * HOUR, &P, &days, "").unwrap();
        assert_eq!((c.task.escalation, c.detail.as_str()), (1, "community"));
        assert!(
            tick(&c.task, 4 * HOUR, &P, &days, "").is_none(),
            "told once"
        );
        let cc = tick(&c.task, 7 * HOUR, &P, &days, "").unwrap();
        assert_eq!(
            (cc.task.escalation, cc.detail.as_str()),
            (2, "command centre")
        );
        // Reassigning starts the ladder again.
        let r = apply(
            &cc.task,
            &Action::Reassign {
                grid: Some("G2".into()),
            },
            8 * HOUR,
            &P,
        )
        .unwrap();
        assert_eq!(
            (
                r.task.escalation,
                r.task.grid_code.as_deref(),
                r.detail.as_str()
            ),
            (0, Some("G2"), "G1 → G2")
        );
    }

    #[test]
    fn isolation_ends_or_reopens_on_a_missed_day() {
        let mut t = task(State::Isolating);
        t.isolation_from = Some(0); // 1970-01-01 local
        t.isolation_until = Some(10 * 24 * HOUR);
        let mut days = HashSet::new();
        days.insert("1970-01-02".to_owned());
        assert!(
            tick(&t, 2 * 24 * HOUR + HOUR, &P, &days, "1970-01-02").is_none(),
            "checked in"
        );
        let missed = tick(&t, 3 * 24 * HOUR + HOUR, &P, &days, "1970-01-03").unwrap();
        assert_eq!(
            (missed.kind, missed.task.state.as_str()),
            ("reopened", "open")
        );
        assert!(missed.task.reasons.contains("MISSED_CHECKIN"));
        // Isolated again after the reopening: the count starts afresh.
        let again = Action::Record {
            outcome: Outcome::HomeIsolation,
            isolation_until: Some(10 * 24 * HOUR),
            note: None,
        };
        let re = apply(&missed.task, &again, 3 * 24 * HOUR + 2 * HOUR, &P).unwrap();
        assert!(tick(&re.task, 3 * 24 * HOUR + 3 * HOUR, &P, &days, "1970-01-03").is_none());
        let done = tick(&t, 10 * 24 * HOUR, &P, &days, "1970-01-10").unwrap();
        assert_eq!(done.task.outcome.as_deref(), Some("isolation_completed"));
        assert_eq!(done.task.state, "closed");
    }

    #[test]
    fn an_isolation_end_is_compared_with_the_screening_moment() {
        // A replay screening at day 40 while the wall clock reads day 2000.
        let replay = Policy {
            moment: Some(40 * 24 * HOUR),
            ..P
        };
        let wall = 2000 * 24 * HOUR;
        let isolate = |until| Action::Record {
            outcome: Outcome::HomeIsolation,
            isolation_until: Some(until),
            note: None,
        };
        let t = task(State::Accepted);
        let ok = apply(&t, &isolate(54 * 24 * HOUR), wall, &replay).unwrap();
        assert_eq!(ok.task.state, "isolating");
        assert!(matches!(
            apply(&t, &isolate(39 * 24 * HOUR), wall, &replay),
            Err(TaskError::IsolationNeedsEnd)
        ));
        // Without a fixed moment the wall clock decides.
        assert!(matches!(
            apply(&t, &isolate(54 * 24 * HOUR), wall, &P),
            Err(TaskError::IsolationNeedsEnd)
        ));
        // It runs until the moment passes its end, not the wall clock.
        let mut days = HashSet::new();
        days.insert(replay.day(wall - 24 * HOUR));
        let yesterday = replay.day(wall - 24 * HOUR);
        assert!(tick(&ok.task, wall, &replay, &days, &yesterday).is_none());
    }

    #[test]
    fn a_fever_at_check_in_reopens_without_the_old_isolation_end() {
        let mut t = task(State::Isolating);
        t.isolation_from = Some(0);
        t.isolation_until = Some(10 * 24 * HOUR);
        let fever = Action::Checkin {
            temperature_dc: 384,
            symptoms: String::new(),
        };
        let r = apply(&t, &fever, 2 * 24 * HOUR, &P).unwrap();
        assert_eq!((r.kind, r.task.state.as_str()), ("reopened", "open"));
        assert_eq!(r.task.isolation_until, None);
        assert!(r.task.reasons.contains("FEVER_CHECKIN"));
    }

    #[test]
    fn priority_follows_the_chance_of_infection() {
        assert_eq!(priority(0.75), 1);
        assert_eq!(priority(PRIORITY_1_FROM), 1);
        assert_eq!(priority(0.049), 2);
        assert_eq!(priority(PRIORITY_2_FROM), 2);
        assert_eq!(priority(0.0099), 3);
        assert_eq!(priority(0.0), 3);
    }

    #[test]
    fn reasons_are_kept_in_the_contracts_words() {
        let t = task(State::Open);
        let reasons = reasons_of(&t);
        assert_eq!(reasons[0].code, TaskCode::Screen(ReasonCode::CloseContact));
        assert_eq!(reasons[0].case.as_deref(), Some("P9"));
        // Written back as the contract writes a reason: place_id always, the rest when set.
        assert_eq!(
            reasons_text(&reasons),
            r#"[{"at":"2020-01-20T10:00:00+08:00","case":"P9","code":"CLOSE_CONTACT","place_id":null}]"#
        );
        let mut n = t.clone();
        reopen(&mut n, TaskCode::FeverCheckin, "2020-01-21".into(), &P, 0);
        assert_eq!(reasons_of(&n)[1].code.as_str(), "FEVER_CHECKIN");
        assert_eq!(TaskCode::parse("NO_SUCH"), None);
    }
}
