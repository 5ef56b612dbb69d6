//! Grid tasks as stored: one row a task, an append-only log of what happened to it, and the
//! daily check-ins of people isolating at home. The rules of a task's life (which changes are
//! allowed) are the server's; the store keeps rows and refuses two open tasks for one subject
//! (a partial unique index) and a change made from a stale copy (`updated_ms` must match).

use tracegrid_model::Millis;

use crate::StoreError;
use crate::sql::{Cell, Param, SqlConn, connect};

/// A task as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRow {
    pub id: i64,
    /// The engine's name of the subject (a person_id, or TYPE:VALUE).
    pub subject: String,
    /// `None`: the command centre's unrouted queue.
    pub grid_code: Option<String>,
    /// `residence`, `last_seen` or `unrouted`.
    pub routed_by: String,
    /// `open`, `accepted`, `isolating` or `closed`.
    pub state: String,
    /// 1 most urgent, 3 least.
    pub priority: i64,
    pub score_milli: i64,
    /// The alert's reasons as a JSON array.
    pub reasons: String,
    pub created: Millis,
    pub due: Millis,
    pub updated: Millis,
    pub first_contact: Option<Millis>,
    pub closed: Option<Millis>,
    /// 0 the grid, 1 the community, 2 the command centre.
    pub escalation: i64,
    pub outcome: Option<String>,
    /// When home isolation began.
    pub isolation_from: Option<Millis>,
    pub isolation_until: Option<Millis>,
    pub attempts: i64,
}

/// One thing that happened to a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskEvent {
    pub id: i64,
    pub task_id: i64,
    pub at: Millis,
    pub username: String,
    /// `created`, `reasons_added`, `accepted`, `outcome`, `reassigned`, `escalated`, `checkin`, …
    pub kind: String,
    pub detail: String,
}

/// One day's check-in of a person isolating at home.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkin {
    pub task_id: i64,
    /// Local date, `YYYY-MM-DD`.
    pub day: String,
    pub at: Millis,
    /// Tenths of a degree Celsius.
    pub temperature_dc: i64,
    pub symptoms: String,
    pub username: String,
}

/// A photo attached to a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Photo {
    pub id: i64,
    pub task_id: i64,
    pub at: Millis,
    pub username: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// Which tasks [`Tasks::list`] reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct TaskFilter<'a> {
    /// Only these grids (`None`: every grid and the unrouted queue).
    pub grids: Option<&'a [String]>,
    /// Only the unrouted queue.
    pub unrouted: bool,
    /// Only tasks not closed.
    pub active: bool,
    /// Only tasks in this state.
    pub state: Option<&'a str>,
}

/// What to write about a change: who, what, and the detail.
#[derive(Clone, Debug)]
pub struct Happened<'a> {
    pub at: Millis,
    pub username: &'a str,
    pub kind: &'a str,
    pub detail: &'a str,
}

/// The tasks of one store.
#[derive(Debug)]
pub struct Tasks {
    conn: Box<dyn SqlConn>,
}

/// Opens the tasks of a store (a SQLite path or a postgres:// URL).
pub fn tasks(spec: &str) -> Result<Tasks, StoreError> {
    Ok(Tasks {
        conn: connect(spec)?,
    })
}

const COLUMNS: &str = "id, subject, grid_code, routed_by, state, priority, score_milli, reasons, \
     created_ms, due_ms, updated_ms, first_contact_ms, closed_ms, escalation, outcome, \
     isolation_from_ms, isolation_until_ms, attempts";

fn opt_text(c: &Cell) -> Result<Option<String>, StoreError> {
    match c {
        Cell::Null => Ok(None),
        c => c.text().map(Some),
    }
}

fn task(r: &[Cell]) -> Result<TaskRow, StoreError> {
    Ok(TaskRow {
        id: r[0].int()?,
        subject: r[1].text()?,
        grid_code: opt_text(&r[2])?,
        routed_by: r[3].text()?,
        state: r[4].text()?,
        priority: r[5].int()?,
        score_milli: r[6].int()?,
        reasons: r[7].text()?,
        created: r[8].int()?,
        due: r[9].int()?,
        updated: r[10].int()?,
        first_contact: r[11].opt_int()?,
        closed: r[12].opt_int()?,
        escalation: r[13].int()?,
        outcome: opt_text(&r[14])?,
        isolation_from: r[15].opt_int()?,
        isolation_until: r[16].opt_int()?,
        attempts: r[17].int()?,
    })
}

fn opt(v: &Option<String>) -> Param<'_> {
    match v {
        Some(s) => Param::Text(s),
        None => Param::OptText(None),
    }
}

const EVENT_FOR_OPEN_TASK: &str = "INSERT INTO task_events (task_id, at_ms, username, kind, detail)
     SELECT id, $1, $2, $3, $4 FROM tasks WHERE subject = $5 AND state <> 'closed'";

impl Tasks {
    /// Adds tasks (each with a `created` event), all in one transaction. Fails with
    /// [`StoreError::Conflict`] if a subject has an open task already.
    pub fn create(&mut self, new: &[TaskRow], happened: &Happened<'_>) -> Result<(), StoreError> {
        let mut stmts = Vec::with_capacity(new.len() * 2);
        for t in new {
            stmts.push((
                "INSERT INTO tasks (subject, grid_code, routed_by, state, priority, score_milli,
                    reasons, created_ms, due_ms, updated_ms, escalation, attempts)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                vec![
                    Param::Text(&t.subject),
                    opt(&t.grid_code),
                    Param::Text(&t.routed_by),
                    Param::Text(&t.state),
                    Param::Int(t.priority),
                    Param::Int(t.score_milli),
                    Param::Text(&t.reasons),
                    Param::Int(t.created),
                    Param::Int(t.due),
                    Param::Int(t.updated),
                    Param::Int(t.escalation),
                    Param::Int(t.attempts),
                ],
            ));
            stmts.push((
                EVENT_FOR_OPEN_TASK,
                vec![
                    Param::Int(happened.at),
                    Param::Text(happened.username),
                    Param::Text(happened.kind),
                    Param::Text(happened.detail),
                    Param::Text(&t.subject),
                ],
            ));
        }
        self.conn.exec_many(&stmts).map(|_| ()).map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Conflict("a subject has an open task already".into())
            } else {
                e
            }
        })
    }

    /// Writes changed tasks with an event each, in one transaction. A task whose stored
    /// `updated_ms` is not `was_updated` was changed by someone else meanwhile: that task and
    /// its event are not written, and the answer is [`StoreError::Conflict`]. The new
    /// `updated` must differ from `was_updated`.
    pub fn update(&mut self, changes: &[(i64, TaskRow, Happened<'_>)]) -> Result<(), StoreError> {
        let mut stmts = Vec::with_capacity(changes.len() * 2);
        for (was_updated, t, h) in changes {
            stmts.push((
                "UPDATE tasks SET grid_code = $1, routed_by = $2, state = $3, priority = $4,
                    score_milli = $5, reasons = $6, due_ms = $7, updated_ms = $8,
                    first_contact_ms = $9, closed_ms = $10, escalation = $11, outcome = $12,
                    isolation_from_ms = $13, isolation_until_ms = $14, attempts = $15
                 WHERE id = $16 AND updated_ms = $17",
                vec![
                    opt(&t.grid_code),
                    Param::Text(&t.routed_by),
                    Param::Text(&t.state),
                    Param::Int(t.priority),
                    Param::Int(t.score_milli),
                    Param::Text(&t.reasons),
                    Param::Int(t.due),
                    Param::Int(t.updated),
                    Param::OptInt(t.first_contact),
                    Param::OptInt(t.closed),
                    Param::Int(t.escalation),
                    opt(&t.outcome),
                    Param::OptInt(t.isolation_from),
                    Param::OptInt(t.isolation_until),
                    Param::Int(t.attempts),
                    Param::Int(t.id),
                    Param::Int(*was_updated),
                ],
            ));
            // The event is kept only if the update above took (the row carries the new stamp).
            stmts.push((
                "INSERT INTO task_events (task_id, at_ms, username, kind, detail)
                 SELECT $1, $2, $3, $4, $5 WHERE EXISTS
                   (SELECT 1 FROM tasks WHERE id = $6 AND updated_ms = $7)",
                vec![
                    Param::Int(t.id),
                    Param::Int(h.at),
                    Param::Text(h.username),
                    Param::Text(h.kind),
                    Param::Text(h.detail),
                    Param::Int(t.id),
                    Param::Int(t.updated),
                ],
            ));
        }
        let changed = self.conn.exec_many(&stmts)?;
        if changed.iter().step_by(2).all(|&n| n == 1) {
            return Ok(());
        }
        Err(StoreError::Conflict(
            "the task was changed meanwhile; load it again".into(),
        ))
    }

    pub fn get(&mut self, id: i64) -> Result<Option<TaskRow>, StoreError> {
        let rows = self.conn.rows(
            &format!("SELECT {COLUMNS} FROM tasks WHERE id = $1"),
            &[Param::Int(id)],
        )?;
        rows.first().map(|r| task(r)).transpose()
    }

    /// Every task, oldest first (statistics and the routing of new alerts read them all).
    pub fn all(&mut self) -> Result<Vec<TaskRow>, StoreError> {
        let rows = self
            .conn
            .rows(&format!("SELECT {COLUMNS} FROM tasks ORDER BY id"), &[])?;
        rows.iter().map(|r| task(r)).collect()
    }

    /// Every task of the given subjects, oldest first.
    pub fn of_subjects(&mut self, subjects: &[&str]) -> Result<Vec<TaskRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let params: Vec<Param<'_>> = chunk.iter().map(|s| Param::Text(s)).collect();
            let rows = self.conn.rows(
                &format!(
                    "SELECT {COLUMNS} FROM tasks WHERE subject IN ({}) ORDER BY id",
                    marks.join(", ")
                ),
                &params,
            )?;
            for r in &rows {
                out.push(task(r)?);
            }
        }
        out.sort_by_key(|t| t.id);
        Ok(out)
    }

    /// The tasks `f` selects, oldest first; the grid index answers a grid worker's list.
    pub fn list(&mut self, f: &TaskFilter<'_>) -> Result<Vec<TaskRow>, StoreError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut params: Vec<Param<'_>> = Vec::new();
        let next = |params: &mut Vec<Param<'_>>| format!("${}", params.len() + 1);
        if let Some(grids) = f.grids {
            if grids.is_empty() {
                return Ok(Vec::new());
            }
            let mut marks = Vec::with_capacity(grids.len());
            for g in grids {
                marks.push(next(&mut params));
                params.push(Param::Text(g));
            }
            conditions.push(format!("grid_code IN ({})", marks.join(", ")));
        }
        if f.unrouted {
            conditions.push("grid_code IS NULL".into());
        }
        if f.active {
            conditions.push("state <> 'closed'".into());
        }
        if let Some(state) = f.state {
            conditions.push(format!("state = {}", next(&mut params)));
            params.push(Param::Text(state));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        let rows = self.conn.rows(
            &format!("SELECT {COLUMNS} FROM tasks{filter} ORDER BY id"),
            &params,
        )?;
        rows.iter().map(|r| task(r)).collect()
    }

    pub fn events(&mut self, task_id: i64) -> Result<Vec<TaskEvent>, StoreError> {
        let rows = self.conn.rows(
            "SELECT id, task_id, at_ms, username, kind, detail FROM task_events
             WHERE task_id = $1 ORDER BY id",
            &[Param::Int(task_id)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(TaskEvent {
                    id: r[0].int()?,
                    task_id: r[1].int()?,
                    at: r[2].int()?,
                    username: r[3].text()?,
                    kind: r[4].text()?,
                    detail: r[5].text()?,
                })
            })
            .collect()
    }

    /// Keeps a day's check-in; a second one for the same day replaces nothing and fails.
    pub fn add_checkin(&mut self, c: &Checkin) -> Result<(), StoreError> {
        let detail = format!(
            "{} {:.1}°C {}",
            c.day,
            c.temperature_dc as f64 / 10.0,
            c.symptoms
        );
        self.conn
            .exec_many(&[
                (
                    "INSERT INTO checkins (task_id, day, at_ms, temperature_dc, symptoms, username)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    vec![
                        Param::Int(c.task_id),
                        Param::Text(&c.day),
                        Param::Int(c.at),
                        Param::Int(c.temperature_dc),
                        Param::Text(&c.symptoms),
                        Param::Text(&c.username),
                    ],
                ),
                (
                    "INSERT INTO task_events (task_id, at_ms, username, kind, detail)
                     VALUES ($1, $2, $3, 'checkin', $4)",
                    vec![
                        Param::Int(c.task_id),
                        Param::Int(c.at),
                        Param::Text(&c.username),
                        Param::Text(&detail),
                    ],
                ),
            ])
            .map(|_| ())
            .map_err(|e| {
                if e.is_unique_violation() {
                    StoreError::Conflict(format!("{} has a check-in already", c.day))
                } else {
                    e
                }
            })
    }

    pub fn checkins(&mut self, task_id: i64) -> Result<Vec<Checkin>, StoreError> {
        let rows = self.conn.rows(
            "SELECT task_id, day, at_ms, temperature_dc, symptoms, username FROM checkins
             WHERE task_id = $1 ORDER BY day",
            &[Param::Int(task_id)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Checkin {
                    task_id: r[0].int()?,
                    day: r[1].text()?,
                    at: r[2].int()?,
                    temperature_dc: r[3].int()?,
                    symptoms: r[4].text()?,
                    username: r[5].text()?,
                })
            })
            .collect()
    }

    /// Attaches a photo to a task, with an event; returns the photo's number.
    pub fn add_photo(
        &mut self,
        task_id: i64,
        at: Millis,
        username: &str,
        mime: &str,
        bytes: &[u8],
    ) -> Result<i64, StoreError> {
        let detail = format!("{mime}, {} KB", bytes.len().div_ceil(1024));
        self.conn.exec_many(&[
            (
                "INSERT INTO task_photos (task_id, at_ms, username, mime, bytes) VALUES ($1, $2, $3, $4, $5)",
                vec![Param::Int(task_id), Param::Int(at), Param::Text(username), Param::Text(mime), Param::Bytes(bytes)],
            ),
            (
                "INSERT INTO task_events (task_id, at_ms, username, kind, detail) VALUES ($1, $2, $3, 'photo', $4)",
                vec![Param::Int(task_id), Param::Int(at), Param::Text(username), Param::Text(&detail)],
            ),
        ])?;
        let rows = self.conn.rows(
            "SELECT max(id) FROM task_photos WHERE task_id = $1",
            &[Param::Int(task_id)],
        )?;
        rows.first()
            .ok_or_else(|| StoreError::Corrupt("a photo went missing".into()))?[0]
            .int()
    }

    /// A task's photos without their bytes: (id, at, username, mime).
    pub fn photos(
        &mut self,
        task_id: i64,
    ) -> Result<Vec<(i64, Millis, String, String)>, StoreError> {
        let rows = self.conn.rows(
            "SELECT id, at_ms, username, mime FROM task_photos WHERE task_id = $1 ORDER BY id",
            &[Param::Int(task_id)],
        )?;
        rows.iter()
            .map(|r| Ok((r[0].int()?, r[1].int()?, r[2].text()?, r[3].text()?)))
            .collect()
    }

    pub fn photo(&mut self, id: i64) -> Result<Option<Photo>, StoreError> {
        let rows = self.conn.rows(
            "SELECT id, task_id, at_ms, username, mime, bytes FROM task_photos WHERE id = $1",
            &[Param::Int(id)],
        )?;
        rows.first()
            .map(|r| {
                Ok(Photo {
                    id: r[0].int()?,
                    task_id: r[1].int()?,
                    at: r[2].int()?,
                    username: r[3].text()?,
                    mime: r[4].text()?,
                    bytes: r[5].bytes()?,
                })
            })
            .transpose()
    }
}
