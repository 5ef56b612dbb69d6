//! Grid tasks: the lists (a grid worker's own, the command centre's boards and unrouted queue),
//! one task with its history, the changes a grid worker makes, statistics, and the stream of
//! changes that keeps open pages current.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tracegrid_city::City;
use tracegrid_city::tasks::{self, Outcome, State as TaskState, TaskReason};
use tracegrid_city::views::WITHHELD;
use tracegrid_model::TimeReader;
use tracegrid_model::mask;
use tracegrid_store::{TaskFilter, TaskRow};
use utoipa::{IntoParams, ToSchema};

use crate::auth::now_ms;
use crate::error::{AppError, AppResult, ErrorBody, Key, Msg};
use crate::extract::{Json, Path, Query};
use crate::guard::{Access, AuditNote, Why};
use crate::roles::Principal;
use crate::state::{AppState, blocking};
use crate::views::{PersonView, person};

const LEVELS: [&str; 3] = ["grid", "community", "command centre"];

fn is_active(t: &TaskRow) -> bool {
    t.state != TaskState::Closed.as_str()
}

fn is_overdue(t: &TaskRow, now: i64) -> bool {
    is_active(t) && t.state != TaskState::Isolating.as_str() && now > t.due
}

/// A task as the pages show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: i64,
    /// The person_id, or `TYPE:VALUE` (masked unless revealed) for an unresolved subject.
    pub subject: String,
    /// A reference to ask for a subject shown masked.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub subject_ref: Option<String>,
    pub person: Option<PersonView>,
    pub grid_code: Option<String>,
    pub grid_name: Option<String>,
    /// residence, last_seen, reassigned or unrouted.
    pub routed_by: String,
    /// open, accepted, isolating or closed.
    pub state: String,
    /// 1 (most urgent) to 3.
    pub priority: i64,
    pub score: f64,
    /// The reasons, as the screening gave them (cases withheld from a grid worker).
    pub reasons: Vec<TaskReason>,
    pub created: String,
    pub due: String,
    pub overdue: bool,
    /// grid, community or command centre.
    pub escalated_to: &'static str,
    pub outcome: Option<String>,
    pub isolation_from: Option<String>,
    pub isolation_until: Option<String>,
    pub attempts: i64,
    pub first_contact: Option<String>,
    /// The moment a home isolation's end must come after: the screening's fixed moment when the
    /// server screens at one (`serve --as-of`), else now.
    pub isolation_after: String,
}

/// A task as the pages show it; a grid worker does not see which case a contact came from, and
/// an unresolved subject's number is masked unless revealed.
fn task_view(city: &City, t: &TaskRow, p: &Principal, reveal: bool, now: i64) -> TaskView {
    let mut reasons = tasks::reasons_of(t);
    for r in &mut reasons {
        for name in [&mut r.case, &mut r.via] {
            if let Some(n) = name.as_mut() {
                if !p.sees_everyone() {
                    *n = WITHHELD.to_owned();
                } else if !reveal {
                    *n = mask::subject(n);
                }
            }
        }
    }
    let s = city.find_subject(&t.subject);
    let shown = tracegrid_city::Shown {
        full_ids: reveal,
        links: true,
    };
    let (subject, subject_ref) = match s {
        Some(s) => {
            let (n, r) = tracegrid_city::views::subject_name(&city.world, s, shown);
            (n.into_owned(), r)
        }
        None if reveal => (t.subject.clone(), None),
        None => (mask::subject(&t.subject), None),
    };
    TaskView {
        id: t.id,
        subject,
        subject_ref,
        person: s.and_then(|s| person(city, s, reveal)),
        grid_code: t.grid_code.clone(),
        grid_name: t
            .grid_code
            .as_deref()
            .and_then(|g| city.region_names.get(g).cloned()),
        routed_by: t.routed_by.clone(),
        state: t.state.clone(),
        priority: t.priority,
        score: t.score_milli as f64 / 1000.0,
        reasons,
        created: city.time(t.created),
        due: city.time(t.due),
        overdue: is_overdue(t, now),
        escalated_to: LEVELS[t.escalation.clamp(0, 2) as usize],
        outcome: t.outcome.clone(),
        isolation_from: t.isolation_from.map(|u| city.time(u)),
        isolation_until: t.isolation_until.map(|u| city.time(u)),
        attempts: t.attempts,
        first_contact: t.first_contact.map(|u| city.time(u)),
        isolation_after: city.time(city.settings.as_of.unwrap_or(now)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// open, accepted, isolating, closed, active (default: all but closed) or all.
    pub state: Option<String>,
    pub grid: Option<String>,
    /// Only the unrouted queue (roles that route tasks).
    #[serde(default)]
    pub unrouted: bool,
    /// Only tasks past their due time.
    #[serde(default)]
    pub overdue: bool,
    /// Only tasks escalated at least this far (1 community, 2 command centre).
    pub escalation: Option<i64>,
    #[serde(default)]
    pub offset: usize,
    /// At most 500; default 100.
    pub limit: Option<usize>,
}

/// A page of tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPage {
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub tasks: Vec<TaskView>,
}

/// Tasks, most urgent first: priority, then due time. A grid worker gets their grids' only.
#[utoipa::path(get, path = "/api/tasks", tag = "tasks", params(TaskQuery, Why),
    responses((status = 200, body = TaskPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: Access,
    Query(q): Query<TaskQuery>,
) -> AppResult<Response> {
    let p = &access.principal;
    let wanted_state = q.state.clone().unwrap_or_else(|| "active".into());
    if !matches!(wanted_state.as_str(), "active" | "all")
        && TaskState::parse(&wanted_state).is_none()
    {
        return Err(AppError::BadRequest(
            Msg::new(Key::BadTaskState).param("state", wanted_state),
        ));
    }
    // The store selects by grid and state (a grid worker's list reads their grids' rows only);
    // the rest is filtered here.
    let grids: Option<Vec<String>> = match (p.sees_everyone(), &q.grid) {
        (true, None) => None,
        (true, Some(g)) => Some(vec![g.clone()]),
        (false, None) => Some(p.grids.clone()),
        (false, Some(g)) => Some(p.grids.iter().filter(|m| *m == g).cloned().collect()),
    };
    let (unrouted, wanted) = (q.unrouted, wanted_state);
    let st = state.clone();
    let mut all = blocking(move || {
        st.city.board.with(|t| {
            t.list(&TaskFilter {
                grids: grids.as_deref(),
                unrouted,
                active: wanted == "active",
                state: TaskState::parse(&wanted).map(TaskState::as_str),
            })
        })
    })
    .await?;
    let now = now_ms();
    // Scope, grid, queue and state were the store's to select.
    all.retain(|t| {
        (!q.overdue || is_overdue(t, now)) && q.escalation.is_none_or(|e| t.escalation >= e)
    });
    all.sort_by_key(|t| (!is_active(t), t.priority, t.due, t.id));
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let page = {
        let city = state.live();
        TaskPage {
            total: all.len(),
            offset: q.offset,
            limit,
            tasks: all
                .iter()
                .skip(q.offset)
                .take(limit)
                .map(|t| task_view(&city, t, p, access.reveal, now))
                .collect(),
        }
    };
    let note = AuditNote::detail(format!("{} tasks", all.len()));
    Ok((note, axum::Json(page)).into_response())
}

/// One entry of a task's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskEvent {
    pub at: String,
    pub user: String,
    /// created, reasons_added, accepted, outcome, reassigned, checked, reopened, escalated,
    /// photo.
    pub kind: String,
    pub detail: String,
}

/// A photo kept with a task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPhoto {
    pub id: i64,
    pub at: String,
    pub user: String,
    pub mime: String,
}

/// A day's check-in of a person isolating at home.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskCheckin {
    /// The local date.
    pub day: String,
    pub at: String,
    /// Degrees Celsius.
    pub temperature: f64,
    pub symptoms: String,
    pub user: String,
}

/// A task with its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: TaskView,
    pub events: Vec<TaskEvent>,
    pub photos: Vec<TaskPhoto>,
    pub checkins: Vec<TaskCheckin>,
}

fn task_of(access: &Access) -> AppResult<&TaskRow> {
    access
        .task
        .as_ref()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a task route without the task's scope")))
}

/// One task with its history and check-ins.
#[utoipa::path(get, path = "/api/tasks/{id}", tag = "tasks", params(("id" = i64, Path), Why),
    responses((status = 200, body = TaskDetail), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let task = task_of(&access)?.clone();
    let st = state.clone();
    let (events, checkins, photos) = blocking(move || {
        st.city
            .board
            .with(|t| -> Result<_, tracegrid_store::StoreError> {
                Ok((t.events(id)?, t.checkins(id)?, t.photos(id)?))
            })
    })
    .await?;
    let city = state.live();
    let detail = TaskDetail {
        task: task_view(&city, &task, &access.principal, access.reveal, now_ms()),
        events: events
            .iter()
            .map(|e| TaskEvent {
                at: city.time(e.at),
                user: e.username.clone(),
                kind: e.kind.clone(),
                detail: e.detail.clone(),
            })
            .collect(),
        photos: photos
            .iter()
            .map(|(pid, at, user, mime)| TaskPhoto {
                id: *pid,
                at: city.time(*at),
                user: user.clone(),
                mime: mime.clone(),
            })
            .collect(),
        checkins: checkins
            .iter()
            .map(|c| TaskCheckin {
                day: c.day.clone(),
                at: city.time(c.at),
                temperature: c.temperature_dc as f64 / 10.0,
                symptoms: c.symptoms.clone(),
                user: c.username.clone(),
            })
            .collect(),
    };
    Ok((AuditNote::detail(format!("task {id}")), axum::Json(detail)).into_response())
}

/// A grid worker's report on a task.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Report {
    pub outcome: Outcome,
    /// The end of home isolation (RFC 3339 or a date's last moment); required for
    /// home_isolation.
    pub isolation_until: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Reassign {
    /// The grid to send the task to; `null` for the unrouted queue.
    pub grid_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCheckin {
    /// Degrees Celsius.
    pub temperature: f64,
    #[serde(default)]
    pub symptoms: String,
}

async fn change(state: &AppState, access: &Access, action: tasks::Action) -> AppResult<Response> {
    let id = task_of(access)?.id;
    let st = state.clone();
    let who = access.principal.clone();
    let task = blocking(move || {
        st.city
            .board
            .change(id, &action, &who.username, now_ms(), |g| who.sees_grid(g))
    })
    .await?;
    let city = state.live();
    let view = task_view(&city, &task, &access.principal, false, now_ms());
    Ok(axum::Json(view).into_response())
}

/// Accepts a task: the grid worker is on it.
#[utoipa::path(post, path = "/api/tasks/{id}/accept", tag = "tasks", params(("id" = i64, Path)),
    responses((status = 200, body = TaskView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 415, body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    access: Access,
    Path(_id): Path<i64>,
) -> AppResult<Response> {
    change(&state, &access, tasks::Action::Accept).await
}

/// Records what the call or visit found.
#[utoipa::path(post, path = "/api/tasks/{id}/outcome", tag = "tasks", params(("id" = i64, Path)), request_body = Report,
    responses((status = 200, body = TaskView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 415, body = ErrorBody)))]
pub async fn outcome(
    State(state): State<AppState>,
    access: Access,
    Path(_id): Path<i64>,
    Json(r): Json<Report>,
) -> AppResult<Response> {
    let isolation_until = match r.isolation_until.as_deref().filter(|s| !s.is_empty()) {
        Some(t) => Some(
            TimeReader::new(state.city.board.policy.zone)
                .time_or_date(t, true)
                .map_err(|e| {
                    AppError::BadRequest(
                        Msg::new(Key::BadIsolationUntil)
                            .param("value", t)
                            .param("detail", e),
                    )
                })?,
        ),
        None => None,
    };
    let action = tasks::Action::Record {
        outcome: r.outcome,
        isolation_until,
        note: r.note,
    };
    change(&state, &access, action).await
}

/// Sends a task to another grid (logged).
#[utoipa::path(post, path = "/api/tasks/{id}/reassign", tag = "tasks", params(("id" = i64, Path)), request_body = Reassign,
    responses((status = 200, body = TaskView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 415, body = ErrorBody)))]
pub async fn reassign(
    State(state): State<AppState>,
    access: Access,
    Path(_id): Path<i64>,
    Json(r): Json<Reassign>,
) -> AppResult<Response> {
    if let Some(g) = &r.grid_code
        && !state.live().region_names.contains_key(g)
    {
        return Err(AppError::BadRequest(
            Msg::new(Key::UnknownGridCode).param("grid", g),
        ));
    }
    change(
        &state,
        &access,
        tasks::Action::Reassign { grid: r.grid_code },
    )
    .await
}

/// Today's check-in of a person isolating at home; a fever or symptoms reopen the task.
#[utoipa::path(post, path = "/api/tasks/{id}/checkins", tag = "tasks", params(("id" = i64, Path)), request_body = NewCheckin,
    responses((status = 200, body = TaskView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 415, body = ErrorBody)))]
pub async fn checkin(
    State(state): State<AppState>,
    access: Access,
    Path(_id): Path<i64>,
    Json(c): Json<NewCheckin>,
) -> AppResult<Response> {
    if !(30.0..=45.0).contains(&c.temperature) {
        return Err(AppError::BadRequest(
            Msg::new(Key::BadCheckinTemperature).param("temperature", c.temperature),
        ));
    }
    let action = tasks::Action::Checkin {
        temperature_dc: (c.temperature * 10.0).round() as i64,
        symptoms: c.symptoms,
    };
    change(&state, &access, action).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GridStates {
    pub grid_code: Option<String>,
    /// Tasks by state, and `overdue`.
    pub states: BTreeMap<String, usize>,
    /// The infections to expect among the grid's tasks still to do (open and accepted): the
    /// sum of their subjects' chances of infection (docs/SCREENING.md, "The model"), as the
    /// screening gives them now.
    pub expected_infections: f64,
}

/// What the command centre watches about tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskStats {
    pub total: usize,
    pub by_state: BTreeMap<String, usize>,
    pub by_grid: Vec<GridStates>,
    pub median_minutes_to_first_contact: Option<f64>,
    pub answered: usize,
    pub answered_in_time: usize,
    pub share_answered_in_time: Option<f64>,
    /// The infections to expect among all the tasks still to do.
    pub expected_infections: f64,
    /// Outcomes by reason code: which rules find real exposures.
    pub outcomes_by_reason: BTreeMap<String, BTreeMap<String, usize>>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// What the command centre watches: tasks by state and grid, time to first contact, the share
/// answered in time, and outcomes by reason (which rules find real exposures).
#[utoipa::path(get, path = "/api/tasks/stats", tag = "tasks",
    responses((status = 200, body = TaskStats), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    access: Access,
) -> AppResult<axum::Json<TaskStats>> {
    let p = &access.principal;
    let st = state.clone();
    let grids = (!p.sees_everyone()).then(|| p.grids.clone());
    let all = blocking(move || {
        st.city.board.with(|t| {
            t.list(&TaskFilter {
                grids: grids.as_deref(),
                ..Default::default()
            })
        })
    })
    .await?;
    let now = now_ms();
    let mut by_state: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_grid: BTreeMap<Option<String>, BTreeMap<String, usize>> = BTreeMap::new();
    let mut expected: BTreeMap<Option<String>, f64> = BTreeMap::new();
    {
        let city = state.live();
        for t in all
            .iter()
            .filter(|t| t.state == "open" || t.state == "accepted")
        {
            let chance = city
                .find_subject(&t.subject)
                .and_then(|s| city.screening.alert(s))
                .map_or(t.score_milli as f64 / 1000.0, |a| a.score);
            *expected.entry(t.grid_code.clone()).or_default() += chance;
        }
    }
    let mut minutes: Vec<f64> = Vec::new();
    let (mut answered, mut in_time) = (0, 0);
    let mut outcomes: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for t in &all {
        *by_state.entry(t.state.clone()).or_default() += 1;
        let g = by_grid.entry(t.grid_code.clone()).or_default();
        *g.entry(t.state.clone()).or_default() += 1;
        if is_overdue(t, now) {
            *g.entry("overdue".into()).or_default() += 1;
        }
        if let Some(fc) = t.first_contact {
            minutes.push((fc - t.created) as f64 / 60_000.0);
            answered += 1;
            in_time += usize::from(fc <= t.due);
        }
        if let Some(o) = &t.outcome {
            let mut codes: Vec<&'static str> = tasks::reasons_of(t)
                .iter()
                .map(|r| r.code.as_str())
                .collect();
            codes.sort_unstable();
            codes.dedup();
            for c in codes {
                *outcomes
                    .entry(c.to_owned())
                    .or_default()
                    .entry(o.clone())
                    .or_default() += 1;
            }
        }
    }
    minutes.sort_by(f64::total_cmp);
    Ok(axum::Json(TaskStats {
        total: all.len(),
        by_state,
        expected_infections: round2(expected.values().sum()),
        by_grid: by_grid
            .into_iter()
            .map(|(grid_code, states)| GridStates {
                expected_infections: round2(expected.get(&grid_code).copied().unwrap_or(0.0)),
                grid_code,
                states,
            })
            .collect(),
        median_minutes_to_first_contact: minutes.get(minutes.len() / 2).copied(),
        answered,
        answered_in_time: in_time,
        share_answered_in_time: (answered > 0).then(|| in_time as f64 / answered as f64),
        outcomes_by_reason: outcomes,
    }))
}

/// Server-sent events: `tasks` whenever tasks change in grids the user may see (a grid
/// worker's own), so that lists follow without a reload.
#[utoipa::path(get, path = "/api/events", tag = "tasks",
    responses((status = 200, content_type = "text/event-stream", body = String,
               description = "`event: tasks` with a `Notice` as data; `event: resync` to reload"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    access: Access,
) -> AppResult<Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>>> {
    let p = access.principal;
    let slot = state.streams.open(p.user_id).ok_or_else(|| {
        AppError::Busy(
            Msg::new(Key::TooManyStreams).param("max", crate::auth::MAX_STREAMS_PER_USER),
        )
    })?;
    let rx = state.city.board.subscribe();
    let stop = state.stopping.subscribe();
    let stream = futures_util::stream::unfold(
        (rx, stop, p, slot),
        |(mut rx, mut stop, p, slot)| async move {
            loop {
                let next = tokio::select! {
                    n = rx.recv() => n,
                    // The server is stopping: end the stream so the stop need not wait for it.
                    _ = stop.wait_for(|s| *s) => return None,
                };
                match next {
                    Ok(n) => {
                        if n.grids.iter().any(|g| p.sees_grid(g.as_deref())) {
                            let event = Event::default()
                                .event("tasks")
                                .json_data(&n)
                                .unwrap_or_else(|_| Event::default().event("tasks"));
                            return Some((Ok(event), (rx, stop, p, slot)));
                        }
                    }
                    // Fell behind: tell the page to load its list again.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        return Some((
                            Ok(Event::default().event("resync").data("{}")),
                            (rx, stop, p, slot),
                        ));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ResidentsQuery {
    /// The grid; a grid worker's own first grid if absent.
    pub grid: Option<String>,
}

/// A task of a resident, in brief.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskBrief {
    pub id: i64,
    pub state: String,
}

/// A resident of a grid.
#[derive(Debug, Serialize, ToSchema)]
pub struct Resident {
    pub subject: String,
    pub person: Option<PersonView>,
    pub is_case: bool,
    pub alert_score: Option<f64>,
    pub task: Option<TaskBrief>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Household {
    pub household_id: String,
    pub address: Option<String>,
    pub members: Vec<Resident>,
}

/// A grid's households.
#[derive(Debug, Serialize, ToSchema)]
pub struct Residents {
    pub grid_code: String,
    pub grid_name: Option<String>,
    pub residents: usize,
    pub households: Vec<Household>,
}

/// A grid's households and residents from the registry, each with whether they are a case,
/// alerted, or have a task: the grid worker's door-to-door list.
#[utoipa::path(get, path = "/api/residents", tag = "tasks", params(ResidentsQuery, Why),
    responses((status = 200, body = Residents), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn residents(State(state): State<AppState>, access: Access) -> AppResult<Response> {
    let grid = access
        .grid
        .clone()
        .ok_or_else(|| AppError::BadRequest(Key::GridRequired.into()))?;
    let st = state.clone();
    let one = vec![grid.clone()];
    let open: HashMap<String, (i64, String)> = blocking(move || {
        st.city.board.with(|t| {
            t.list(&TaskFilter {
                grids: Some(&one),
                active: true,
                ..Default::default()
            })
        })
    })
    .await?
    .into_iter()
    .map(|t| (t.subject, (t.id, t.state)))
    .collect();
    let city = state.live();
    if !city.region_names.contains_key(&grid) {
        return Err(AppError::NotFound(
            Msg::new(Key::UnknownRegion).param("grid", grid),
        ));
    }
    let mut households: BTreeMap<&str, Vec<Resident>> = BTreeMap::new();
    let mut address: HashMap<&str, &str> = HashMap::new();
    let mut people = 0;
    for p in city
        .persons
        .values()
        .filter(|x| x.grid_code.as_deref() == Some(grid.as_str()))
    {
        let Some(s) = city.find_subject(&p.person_id) else {
            continue;
        };
        people += 1;
        let h = p.household_id.as_deref().unwrap_or(p.person_id.as_str());
        if let Some(a) = p.address.as_deref() {
            address.entry(h).or_insert(a);
        }
        households.entry(h).or_default().push(Resident {
            subject: p.person_id.clone(),
            person: person(&city, s, access.reveal),
            is_case: city.world.is_active_case(s),
            alert_score: city.screening.alert(s).map(|a| a.score),
            task: open.get(&p.person_id).map(|(id, state)| TaskBrief {
                id: *id,
                state: state.clone(),
            }),
        });
    }
    let list: Vec<Household> = households
        .into_iter()
        .map(|(h, mut members)| {
            members.sort_by(|a, b| a.subject.cmp(&b.subject));
            Household {
                household_id: h.to_owned(),
                address: address.get(h).map(|a| (*a).to_owned()),
                members,
            }
        })
        .collect();
    let answer = Residents {
        grid_name: city.region_names.get(&grid).cloned(),
        grid_code: grid,
        residents: people,
        households: list,
    };
    Ok((
        AuditNote::detail(format!("{people} residents")),
        axum::Json(answer),
    )
        .into_response())
}

/// What an image's first bytes say it is, if it is one of the kinds kept.
fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A photo kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoAdded {
    pub id: i64,
    pub task_id: i64,
}

/// Attaches a photo of a document to a task (`image/jpeg`, `image/png` or `image/webp`, up to
/// 8 MB, sent as the body; the bytes must be an image of the type named).
#[utoipa::path(post, path = "/api/tasks/{id}/photos", tag = "tasks", params(("id" = i64, Path)),
    request_body(description = "The photo, as the body", content(
        (crate::views::Binary = "image/jpeg"), (crate::views::Binary = "image/png"), (crate::views::Binary = "image/webp"))),
    responses((status = 201, body = PhotoAdded), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn add_photo(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    crate::extract::Bytes(body): crate::extract::Bytes,
) -> AppResult<(axum::http::StatusCode, axum::Json<PhotoAdded>)> {
    let mime = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if !matches!(mime.as_str(), "image/jpeg" | "image/png" | "image/webp") {
        return Err(AppError::BadRequest(
            Msg::new(Key::BadPhotoType).param("mime", format!("{mime:?}")),
        ));
    }
    if body.is_empty() || body.len() > crate::guard::PHOTO_LIMIT {
        return Err(AppError::BadRequest(
            Msg::new(Key::BadPhotoSize).param("bytes", body.len()),
        ));
    }
    if image_kind(&body) != Some(mime.as_str()) {
        return Err(AppError::BadRequest(
            Msg::new(Key::PhotoNotImage).param("mime", mime),
        ));
    }
    let st = state.clone();
    let who = access.principal.username.clone();
    let photo = blocking(move || {
        st.city
            .board
            .with(|t| t.add_photo(id, now_ms(), &who, &mime, &body))
    })
    .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        axum::Json(PhotoAdded {
            id: photo,
            task_id: id,
        }),
    ))
}

/// One photo of a task (audited: it is a person's document).
#[utoipa::path(get, path = "/api/tasks/{id}/photos/{photo}", tag = "tasks",
    params(("id" = i64, Path), ("photo" = i64, Path), Why),
    responses((status = 200, description = "The photo, of the type it was kept as", content(
                  (crate::views::Binary = "image/jpeg"), (crate::views::Binary = "image/png"), (crate::views::Binary = "image/webp"))),
              (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn photo(
    State(state): State<AppState>,
    _: Access,
    Path((id, photo)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let st = state.clone();
    let found = blocking(move || st.city.board.with(|t| t.photo(photo)))
        .await?
        .filter(|ph| ph.task_id == id)
        .ok_or_else(|| {
            AppError::NotFound(Msg::new(Key::NoPhoto).param("id", id).param("photo", photo))
        })?;
    Ok((
        AuditNote::detail(format!("task {id} photo {photo}")),
        [
            (axum::http::header::CONTENT_TYPE, found.mime),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_owned(),
            ),
        ],
        found.bytes,
    )
        .into_response())
}
