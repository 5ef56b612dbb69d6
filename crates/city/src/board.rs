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
    /// The screening's fixed moment as it is now (a re-screen moves it), or `NO_MOMENT`:
    /// what an isolation's end is compared with (`Policy::moment`).
    moment: std::sync::atomic::AtomicI64,
    notices: broadcast::Sender<Notice>,
}

const NO_MOMENT: i64 = i64::MIN;

/// The user the server acts as when screening makes or changes tasks.
pub const SCREENING: &str = "screening";

impl Board {
    /// Follows the screening to a new fixed moment (`None`: the clock), as a re-screen does.
    pub fn set_moment(&self, moment: Option<Millis>) {
        self.moment.store(
            moment.unwrap_or(NO_MOMENT),
            std::sync::atomic::Ordering::SeqCst,
        );
    }

    /// The policy with the screening's moment as it is now.
    fn policy_now(&self) -> Policy {
        let m = self.moment.load(std::sync::atomic::Ordering::SeqCst);
        Policy {
            moment: (m != NO_MOMENT).then_some(m),
            ..self.policy.clone()
        }
    }

    pub fn open(db: &str, policy: Policy) -> Result<Board, StoreError> {
        Ok(Board {
            tasks: Mutex::new(tracegrid_store::tasks(db)?),
            moment: std::sync::atomic::AtomicI64::new(policy.moment.unwrap_or(NO_MOMENT)),
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
        self.sync_tasks(city, now).map(|(c, u, _)| (c, u))
    }

    /// [`Board::sync`], also giving every task as it stands after (the statuses follow them).
    pub fn sync_tasks(
        &self,
        city: &City,
        now: Millis,
    ) -> Result<(usize, usize, Vec<TaskRow>), StoreError> {
        self.with(|store| {
            let existing = store.all()?;
            let plan = tasks::plan(city, &existing, now, &self.policy);
            let (created, updated) = self.carry_out(store, &plan, now)?;
            Ok((created, updated, after(existing, plan)))
        })
    }

    /// [`Board::sync`] for the alerts of some subjects only (by name): what a feed's rows
    /// touched. Reads only those subjects' tasks, and gives them as they stand after.
    pub fn sync_subjects(
        &self,
        city: &City,
        subjects: &[&str],
        now: Millis,
    ) -> Result<(usize, usize, Vec<TaskRow>), StoreError> {
        let alerts: Vec<&tracegrid_engine::Alert> = subjects
            .iter()
            .filter_map(|name| city.world.find_subject(name))
            .filter_map(|s| city.screening.alert(s))
            .collect();
        self.with(|store| {
            let existing = store.of_subjects(subjects)?;
            if alerts.is_empty() {
                return Ok((0, 0, existing));
            }
            let plan = tasks::plan_for(city, alerts, &existing, now, &self.policy);
            let (created, updated) = self.carry_out(store, &plan, now)?;
            Ok((created, updated, after(existing, plan)))
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
            let changed = tasks::apply(&t, action, now, &self.policy_now())
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

    /// A resident's appeal against their status: a new reason (and an `appeal` event with the
    /// resident's words) on their open task, or a new task of priority 2 for their grid worker.
    /// Returns the task.
    pub fn appeal(
        &self,
        city: &City,
        s: tracegrid_engine::SubjectId,
        text: &str,
        now: Millis,
    ) -> Result<TaskRow, CityError> {
        let subject = city.world.subject_name(s);
        let reason = tasks::TaskReason::of(tasks::TaskCode::Appeal, city.time(now));
        let happened = Happened {
            at: now,
            username: subject,
            kind: "appeal",
            detail: text,
        };
        let open_task = |store: &mut Tasks| -> Result<Option<TaskRow>, StoreError> {
            Ok(store
                .of_subjects(&[subject])?
                .into_iter()
                .find(|t| t.state != State::Closed.as_str()))
        };
        self.with(|store| {
            let task = match open_task(store)? {
                Some(t) => {
                    let mut n = t.clone();
                    tasks::add_reason(&mut n, reason);
                    n.updated = now.max(t.updated + 1);
                    if n.state == State::Isolating.as_str() {
                        n.due = n.due.min(self.policy.due(2, now));
                    }
                    store.update(&[(t.updated, n.clone(), happened)])?;
                    n
                }
                None => {
                    let t = tasks::new_task(city, s, 2, 0, &[reason], now, &self.policy);
                    store.create(std::slice::from_ref(&t), &happened)?;
                    open_task(store)?.unwrap_or(t)
                }
            };
            self.announce(&[&task], 0, now);
            Ok(task)
        })
    }

    /// Moves tasks on with time: escalations, isolations ended or missed. Returns how many
    /// changed.
    pub fn tick(&self, now: Millis) -> Result<usize, StoreError> {
        let policy = self.policy_now();
        self.with(|store| {
            let yesterday = policy.day(now - 86_400_000);
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
                if let Some(c) = tasks::tick(&t, now, &policy, &days, &yesterday) {
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

/// The tasks after a plan was carried out: the updated ones in place of what they were, the
/// new ones added (without their ids, which nothing after needs).
fn after(mut existing: Vec<TaskRow>, plan: tasks::Plan) -> Vec<TaskRow> {
    let updated: std::collections::HashMap<i64, TaskRow> =
        plan.update.into_iter().map(|(_, t, _)| (t.id, t)).collect();
    for t in &mut existing {
        if let Some(n) = updated.get(&t.id) {
            *t = n.clone();
        }
    }
    existing.extend(plan.create);
    existing
}

/// The answer for a task that does not exist, or that the reader may not see: the same words
/// for both, so that the answer does not tell which.
pub fn no_task(id: i64) -> CityError {
    CityError::NotFound(format!("there is no task {id} among yours"))
}
