//! The task board: the store's grid tasks kept in step with the screening, changed by grid
//! workers through [`crate::tasks::apply`], moved on by time ([`Board::tick`]), and announced to
//! open pages as [`Notice`]s the moment they change.

use std::collections::HashSet;
use std::sync::Mutex;

use serde::Serialize;
use tokio::sync::broadcast;
use tracegrid_model::Millis;
use tracegrid_store::{Checkin, Happened, StoreError, TaskRow, Tasks};

use crate::city::City;
use crate::error::CityError;
use crate::tasks::{self, Action, Policy, State};

/// Tasks changed: which grids should look again.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    /// Grids whose tasks changed; `null` stands for the unrouted queue.
    pub grids: Vec<Option<String>>,
    pub created: usize,
    pub updated: usize,
    /// When the change was written (epoch milliseconds).
    pub at_ms: Millis,
}

/// The tasks of the store, and who listens for their changes.
#[derive(Debug)]
pub struct Board {
    tasks: Mutex<Tasks>,
    pub policy: Policy,
    notices: broadcast::Sender<Notice>,
}

/// The user the server acts as when screening makes or changes tasks.
pub const SCREENING: &str = "screening";

impl Board {
    pub fn open(db: &str, policy: Policy) -> Result<Board, StoreError> {
        Ok(Board {
            tasks: Mutex::new(tracegrid_store::tasks(db)?),
            policy,
            notices: broadcast::channel(256).0,
        })
    }

    /// Runs `f` on the store's tasks.
    pub fn with<T>(&self, f: impl FnOnce(&mut Tasks) -> T) -> T {
        f(&mut self.tasks.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    fn announce(&self, changed: &[&TaskRow], created: usize, now: Millis) {
        if changed.is_empty() {
            return;
        }
        let mut grids: Vec<Option<String>> = changed.iter().map(|t| t.grid_code.clone()).collect();
        grids.sort();
        grids.dedup();
        // No one listening is not an error.
        let _ = self.notices.send(Notice {
            grids,
            created,
            updated: changed.len() - created,
            at_ms: now,
        });
    }

    /// Makes tasks of new alerts and adds new reasons to open tasks. Returns (created, updated).
    pub fn sync(&self, city: &City, now: Millis) -> Result<(usize, usize), StoreError> {
        self.with(|store| {
            let existing = store.all()?;
            let plan = tasks::plan(city, &existing, now, &self.policy);
            self.carry_out(store, &plan, now)
        })
    }

    /// [`Board::sync`] for the alerts of some subjects only (by name): what a feed's rows
    /// touched. Reads only those subjects' tasks.
    pub fn sync_subjects(
        &self,
        city: &City,
        subjects: &[&str],
        now: Millis,
    ) -> Result<(usize, usize), StoreError> {
        let alerts: Vec<&tracegrid_engine::Alert> = subjects
            .iter()
            .filter_map(|name| city.world.find_subject(name))
            .filter_map(|s| city.screening.alert(s))
            .collect();
        if alerts.is_empty() {
            return Ok((0, 0));
        }
        let names: Vec<&str> = alerts
            .iter()
            .map(|a| city.world.subject_name(a.subject))
            .collect();
        self.with(|store| {
            let existing = store.of_subjects(&names)?;
            let plan = tasks::plan_for(city, alerts, &existing, now, &self.policy);
            self.carry_out(store, &plan, now)
        })
    }

    /// Writes a plan's new tasks and new reasons, and announces them.
    fn carry_out(
        &self,
        store: &mut Tasks,
        plan: &tasks::Plan,
        now: Millis,
    ) -> Result<(usize, usize), StoreError> {
        if !plan.create.is_empty() {
            let made = Happened {
                at: now,
                username: SCREENING,
                kind: "created",
                detail: "",
            };
            store.create(&plan.create, &made)?;
        }
        if !plan.update.is_empty() {
            let changes: Vec<(Millis, TaskRow, Happened<'_>)> = plan
                .update
                .iter()
                .map(|(was, t, added)| {
                    (
                        *was,
                        t.clone(),
                        Happened {
                            at: now,
                            username: SCREENING,
                            kind: "reasons_added",
                            detail: added,
                        },
                    )
                })
                .collect();
            store.update(&changes)?;
        }
        let changed: Vec<&TaskRow> = plan
            .create
            .iter()
            .chain(plan.update.iter().map(|(_, t, _)| t))
            .collect();
        self.announce(&changed, plan.create.len(), now);
        if !changed.is_empty() {
            tracing::info!(
                created = plan.create.len(),
                updated = plan.update.len(),
                "tasks follow the screening"
            );
        }
        Ok((plan.create.len(), plan.update.len()))
    }

    /// Applies a grid worker's `action` to task `id`; `sees` decides whether the user may touch
    /// it (given its grid). A task the user may not touch is answered as one that does not
    /// exist, in the same words.
    pub fn change(
        &self,
        id: i64,
        action: &Action,
        username: &str,
        now: Millis,
        sees: impl Fn(Option<&str>) -> bool,
    ) -> Result<TaskRow, CityError> {
        self.with(|store| {
            let t = store
                .get(id)?
                .filter(|t| sees(t.grid_code.as_deref()))
                .ok_or_else(|| no_task(id))?;
            let changed = tasks::apply(&t, action, now, &self.policy)
                .map_err(|e| CityError::Conflict(e.to_string()))?;
            if let Action::Checkin {
                temperature_dc,
                symptoms,
            } = action
            {
                store.add_checkin(&Checkin {
                    task_id: id,
                    day: self.policy.day(now),
                    at: now,
                    temperature_dc: *temperature_dc,
                    symptoms: symptoms.clone(),
                    username: username.to_owned(),
                })?;
            }
            let happened = Happened {
                at: now,
                username,
                kind: changed.kind,
                detail: &changed.detail,
            };
            store.update(&[(t.updated, changed.task.clone(), happened)])?;
            // A reassigned task leaves one grid for another: both should look again.
            let before = t.clone();
            let mut touched = vec![&changed.task];
            if before.grid_code != changed.task.grid_code {
                touched.push(&before);
            }
            self.announce(&touched, 0, now);
            Ok(changed.task)
        })
    }

    /// Moves tasks on with time: escalations, isolations ended or missed. Returns how many
    /// changed.
    pub fn tick(&self, now: Millis) -> Result<usize, StoreError> {
        self.with(|store| {
            let yesterday = self.policy.day(now - 86_400_000);
            let mut changes = Vec::new();
            for t in store.all()? {
                if t.state == State::Closed.as_str() {
                    continue;
                }
                let days: HashSet<String> = if t.state == State::Isolating.as_str() {
                    store.checkins(t.id)?.into_iter().map(|c| c.day).collect()
                } else {
                    HashSet::new()
                };
                if let Some(c) = tasks::tick(&t, now, &self.policy, &days, &yesterday) {
                    changes.push((t.updated, c));
                }
            }
            if changes.is_empty() {
                return Ok(0);
            }
            let writes: Vec<(Millis, TaskRow, Happened<'_>)> = changes
                .iter()
                .map(|(was, c)| {
                    (
                        *was,
                        c.task.clone(),
                        Happened {
                            at: now,
                            username: SCREENING,
                            kind: c.kind,
                            detail: &c.detail,
                        },
                    )
                })
                .collect();
            store.update(&writes)?;
            let touched: Vec<&TaskRow> = changes.iter().map(|(_, c)| &c.task).collect();
            self.announce(&touched, 0, now);
            Ok(changes.len())
        })
    }
}

impl Board {
    /// A resident's appeal against their status: a new reason (and an `appeal` event with the
    /// resident's words) on their open task, or a new task for their grid worker. Returns the
    /// task.
    pub fn appeal(
        &self,
        city: &City,
        s: tracegrid_engine::SubjectId,
        text: &str,
        now: Millis,
    ) -> Result<TaskRow, CityError> {
        let subject = city.world.subject_name(s).to_owned();
        let reason = tasks::TaskReason {
            area_id: None,
            at: city.time(now),
            case: None,
            code: tasks::TaskCode::Appeal,
            degree: None,
            place_id: None,
            via: None,
        };
        self.with(|store| {
            let open = store
                .of_subjects(&[subject.as_str()])?
                .into_iter()
                .find(|t| t.state != State::Closed.as_str());
            let happened = Happened {
                at: now,
                username: &subject,
                kind: "appeal",
                detail: text,
            };
            let task = match open {
                Some(t) => {
                    let mut n = t.clone();
                    let mut reasons = tasks::reasons_of(&n);
                    reasons.push(reason);
                    n.reasons = tasks::reasons_text(&reasons);
                    n.updated = now.max(t.updated + 1);
                    if n.state == State::Isolating.as_str() {
                        n.due = n.due.min(self.policy.due(2, now));
                    }
                    store.update(&[(t.updated, n.clone(), happened)])?;
                    n
                }
                None => {
                    let (grid, routed_by) = city.route(s);
                    let t = TaskRow {
                        id: 0,
                        subject: subject.clone(),
                        grid_code: grid,
                        routed_by: routed_by.into(),
                        state: State::Open.as_str().into(),
                        priority: 2,
                        score_milli: 0,
                        reasons: tasks::reasons_text(&[reason]),
                        created: now,
                        due: self.policy.due(2, now),
                        updated: now,
                        first_contact: None,
                        closed: None,
                        escalation: 0,
                        outcome: None,
                        isolation_from: None,
                        isolation_until: None,
                        attempts: 0,
                    };
                    store.create(std::slice::from_ref(&t), &happened)?;
                    store
                        .of_subjects(&[subject.as_str()])?
                        .into_iter()
                        .find(|t| t.state != State::Closed.as_str())
                        .unwrap_or(t)
                }
            };
            self.announce(&[&task], 0, now);
            Ok(task)
        })
    }
}

/// The answer for a task that does not exist, or that the reader may not see: the same words
/// for both, so that the answer does not tell which.
pub fn no_task(id: i64) -> CityError {
    CityError::NotFound(format!("there is no task {id} among yours"))
}
