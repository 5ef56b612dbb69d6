//! Grid tasks: the lists (a grid worker's own, the command centre's boards and unrouted queue),
//! one task with its history, the changes a grid worker makes, statistics, and the stream of
//! changes that keeps open pages current.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use serde::Deserialize;
use serde_json::{Value, json};
use tracegrid_model::TimeReader;
use tracegrid_store::{TaskFilter, TaskRow};
use utoipa::{IntoParams, ToSchema};

use super::{Why, audit};
use crate::AppState;
use crate::auth::now_ms;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::live::Live;
use crate::roles::{Action, Principal};
use crate::tasks::{self, Outcome, State as TaskState};
use crate::views::WITHHELD;

const LEVELS: [&str; 3] = ["grid", "community", "command centre"];

fn is_active(t: &TaskRow) -> bool {
    t.state != TaskState::Closed.as_str()
}

/// A task as the pages show it; a grid worker does not see which case a contact came from.
fn task_json(live: &Live, t: &TaskRow, p: &Principal, reveal: bool, now: i64) -> Value {
    let mut reasons: Vec<Value> = serde_json::from_str(&t.reasons).unwrap_or_default();
    if !p.sees_everyone() {
        for r in &mut reasons {
            for k in ["case", "via"] {
                if r.get(k).is_some_and(|v| !v.is_null()) {
                    r[k] = WITHHELD.into();
                }
            }
        }
    }
    let person = live
        .world
        .find_subject(&t.subject)
        .map_or(Value::Null, |s| super::people::person_json(live, s, reveal));
    json!({
        "id": t.id,
        "subject": t.subject,
        "person": person,
        "grid_code": t.grid_code,
        "grid_name": t.grid_code.as_deref().and_then(|g| live.region_names.get(g)),
        "routed_by": t.routed_by,
        "state": t.state,
        "priority": t.priority,
        "score": t.score_milli as f64 / 1000.0,
        "reasons": reasons,
        "created": live.time(t.created),
        "due": live.time(t.due),
        "overdue": is_active(t) && t.state != TaskState::Isolating.as_str() && now > t.due,
        "escalated_to": LEVELS[t.escalation.clamp(0, 2) as usize],
        "outcome": t.outcome,
        "isolation_from": t.isolation_from.map(|u| live.time(u)),
        "isolation_until": t.isolation_until.map(|u| live.time(u)),
        "attempts": t.attempts,
        "first_contact": t.first_contact.map(|u| live.time(u)),
    })
}

/// The scope check of a task of some grid (a grid worker: their grids only, never the unrouted
/// queue), as [`crate::board::Board::change`] takes it.
fn scope(p: &Principal) -> impl Fn(Option<&str>) -> Result<(), AppError> + '_ {
    move |grid| p.must_see_grid(grid, "the task")
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// open, accepted, isolating, closed, active (default: all but closed) or all.
    pub state: Option<String>,
    pub grid: Option<String>,
    /// Only the unrouted queue.
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
    pub purpose: Option<String>,
    #[serde(default)]
    pub reveal: bool,
}

/// Tasks, most urgent first: priority, then due time. A grid worker gets their grids' only.
#[utoipa::path(get, path = "/api/tasks", tag = "tasks", params(TaskQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    q: Result<Query<TaskQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<Value>> {
    let Query(q) = q?;
    p.may(Action::ReadTasks)?;
    let why = Why {
        purpose: q.purpose.clone(),
        reveal: q.reveal,
    };
    let purpose = why.purpose()?;
    let reveal = why.reveal(&p)?;
    if q.unrouted {
        p.may(Action::RouteTasks)?;
    }
    let wanted_state = q.state.clone().unwrap_or_else(|| "active".into());
    if !matches!(wanted_state.as_str(), "active" | "all")
        && TaskState::parse(&wanted_state).is_none()
    {
        return Err(AppError::BadRequest(format!(
            "state {wanted_state}: use open, accepted, isolating, closed, active or all"
        )));
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
    let mut all = super::blocking(move || {
        st.board.with(|t| {
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
        (!q.overdue || (is_active(t) && t.state != "isolating" && now > t.due))
            && q.escalation.is_none_or(|e| t.escalation >= e)
    });
    all.sort_by_key(|t| (!is_active(t), t.priority, t.due, t.id));
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let body = {
        let live = state.live();
        json!({
            "total": all.len(),
            "offset": q.offset,
            "limit": limit,
            "tasks": all.iter().skip(q.offset).take(limit)
                .map(|t| task_json(&live, t, &p, reveal, now)).collect::<Vec<_>>(),
        })
    };
    let action = if reveal { "tasks.reveal" } else { "tasks.list" };
    audit(
        &state,
        &p,
        action,
        "tasks",
        &purpose,
        format!("{} tasks", all.len()),
    )
    .await?;
    Ok(Json(body))
}

/// One task with its history and check-ins.
#[utoipa::path(get, path = "/api/tasks/{id}", tag = "tasks", params(("id" = i64, Path), Why),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    why: Result<Query<Why>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<Value>> {
    let Query(why) = why?;
    p.may(Action::ReadTasks)?;
    let purpose = why.purpose()?;
    let reveal = why.reveal(&p)?;
    let st = state.clone();
    let (task, events, checkins, photos) = super::blocking(move || {
        st.board
            .with(|t| -> Result<_, tracegrid_store::StoreError> {
                let Some(task) = t.get(id)? else {
                    return Ok(None);
                };
                Ok(Some((task, t.events(id)?, t.checkins(id)?, t.photos(id)?)))
            })
    })
    .await?
    .ok_or_else(|| AppError::NotFound(format!("there is no task {id}")))?;
    if let Err(e) = scope(&p)(task.grid_code.as_deref()) {
        audit(
            &state,
            &p,
            "task.denied",
            &task.subject,
            &purpose,
            format!("task {id}"),
        )
        .await?;
        return Err(e);
    }
    let body = {
        let live = state.live();
        let mut body = task_json(&live, &task, &p, reveal, now_ms());
        body["events"] = events
            .iter()
            .map(|e| json!({"at": live.time(e.at), "user": e.username, "kind": e.kind, "detail": e.detail}))
            .collect();
        body["photos"] = photos
            .iter()
            .map(|(pid, at, user, mime)| json!({"id": pid, "at": live.time(*at), "user": user, "mime": mime}))
            .collect();
        body["checkins"] = checkins
            .iter()
            .map(|c| json!({"day": c.day, "at": live.time(c.at), "temperature": c.temperature_dc as f64 / 10.0,
                            "symptoms": c.symptoms, "user": c.username}))
            .collect();
        body
    };
    let action = if reveal { "task.reveal" } else { "task.read" };
    audit(
        &state,
        &p,
        action,
        &task.subject,
        &purpose,
        format!("task {id}"),
    )
    .await?;
    Ok(Json(body))
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

async fn change(
    state: &AppState,
    p: &Principal,
    id: i64,
    action: tasks::Action,
) -> AppResult<Json<Value>> {
    let st = state.clone();
    let who = p.clone();
    let task = super::blocking(move || {
        st.board
            .change(id, &action, &who.username, now_ms(), scope(&who))
    })
    .await?;
    let live = state.live();
    Ok(Json(task_json(&live, &task, p, false, now_ms())))
}

/// Accepts a task: the grid worker is on it.
#[utoipa::path(post, path = "/api/tasks/{id}/accept", tag = "tasks", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    p.may(Action::WorkTasks)?;
    change(&state, &p, id, tasks::Action::Accept).await
}

/// Records what the call or visit found.
#[utoipa::path(post, path = "/api/tasks/{id}/outcome", tag = "tasks", params(("id" = i64, Path)), request_body = Report,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn outcome(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<Report>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<Value>> {
    let Json(r) = body?;
    p.may(Action::WorkTasks)?;
    let isolation_until = match r.isolation_until.as_deref().filter(|s| !s.is_empty()) {
        Some(t) => Some(
            TimeReader::new(state.board.policy.zone)
                .time_or_date(t, true)
                .map_err(|e| AppError::BadRequest(format!("isolation_until {t}: {e}")))?,
        ),
        None => None,
    };
    let action = tasks::Action::Record {
        outcome: r.outcome,
        isolation_until,
        note: r.note,
    };
    change(&state, &p, id, action).await
}

/// Sends a task to another grid (logged).
#[utoipa::path(post, path = "/api/tasks/{id}/reassign", tag = "tasks", params(("id" = i64, Path)), request_body = Reassign,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn reassign(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<Reassign>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<Value>> {
    let Json(r) = body?;
    p.may(Action::RouteTasks)?;
    if let Some(g) = &r.grid_code
        && !state.live().region_names.contains_key(g)
    {
        return Err(AppError::BadRequest(format!(
            "grid_code {g} is not a known region"
        )));
    }
    change(
        &state,
        &p,
        id,
        tasks::Action::Reassign { grid: r.grid_code },
    )
    .await
}

/// Today's check-in of a person isolating at home; a fever or symptoms reopen the task.
#[utoipa::path(post, path = "/api/tasks/{id}/checkins", tag = "tasks", params(("id" = i64, Path)), request_body = NewCheckin,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn checkin(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<NewCheckin>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<Value>> {
    let Json(c) = body?;
    p.may(Action::WorkTasks)?;
    if !(30.0..=45.0).contains(&c.temperature) {
        return Err(AppError::BadRequest(format!(
            "temperature {}: give degrees Celsius, between 30 and 45",
            c.temperature
        )));
    }
    let action = tasks::Action::Checkin {
        temperature_dc: (c.temperature * 10.0).round() as i64,
        symptoms: c.symptoms,
    };
    change(&state, &p, id, action).await
}

/// What the command centre watches: tasks by state and grid, time to first contact, the share
/// answered in time, and outcomes by reason (which rules find real exposures).
#[utoipa::path(get, path = "/api/tasks/stats", tag = "tasks",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn stats(State(state): State<AppState>, p: Principal) -> AppResult<Json<Value>> {
    p.may(Action::ViewOverview)?;
    let st = state.clone();
    let grids = (!p.sees_everyone()).then(|| p.grids.clone());
    let all = super::blocking(move || {
        st.board.with(|t| {
            t.list(&TaskFilter {
                grids: grids.as_deref(),
                ..Default::default()
            })
        })
    })
    .await?;
    let now = now_ms();
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_grid: BTreeMap<Option<&str>, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut minutes: Vec<f64> = Vec::new();
    let (mut answered, mut in_time) = (0, 0);
    let mut outcomes: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for t in &all {
        *by_state.entry(t.state.as_str()).or_default() += 1;
        let g = by_grid.entry(t.grid_code.as_deref()).or_default();
        *g.entry(t.state.as_str()).or_default() += 1;
        if is_active(t) && t.state != "isolating" && now > t.due {
            *g.entry("overdue").or_default() += 1;
        }
        if let Some(fc) = t.first_contact {
            minutes.push((fc - t.created) as f64 / 60_000.0);
            answered += 1;
            in_time += usize::from(fc <= t.due);
        }
        if let Some(o) = &t.outcome {
            let reasons: Vec<Value> = serde_json::from_str(&t.reasons).unwrap_or_default();
            let mut codes: Vec<&str> = reasons.iter().filter_map(|r| r["code"].as_str()).collect();
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
    Ok(Json(json!({
        "total": all.len(),
        "by_state": by_state,
        "by_grid": by_grid.iter().map(|(g, s)| json!({"grid_code": g, "states": s})).collect::<Vec<_>>(),
        "median_minutes_to_first_contact": minutes.get(minutes.len() / 2),
        "answered": answered,
        "answered_in_time": in_time,
        "share_answered_in_time": if answered == 0 { Value::Null } else { (in_time as f64 / answered as f64).into() },
        "outcomes_by_reason": outcomes,
    })))
}

/// Server-sent events: `tasks` whenever tasks change in grids the user may see (a grid
/// worker's own), so that lists follow without a reload.
#[utoipa::path(get, path = "/api/events", tag = "tasks",
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 401, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    p: Principal,
) -> AppResult<Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>>> {
    p.may(Action::ReadTasks)?;
    let rx = state.board.subscribe();
    let stop = state.stopping.subscribe();
    let stream = futures_util::stream::unfold((rx, stop, p), |(mut rx, mut stop, p)| async move {
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
                        return Some((Ok(event), (rx, stop, p)));
                    }
                }
                // Fell behind: tell the page to load its list again.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    return Some((
                        Ok(Event::default().event("resync").data("{}")),
                        (rx, stop, p),
                    ));
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResidentsQuery {
    /// The grid; a grid worker's own first grid if absent.
    pub grid: Option<String>,
    pub purpose: Option<String>,
    #[serde(default)]
    pub reveal: bool,
}

/// A grid's households and residents from the registry, each with whether they are a case,
/// alerted, or have a task: the grid worker's door-to-door list.
#[utoipa::path(get, path = "/api/residents", tag = "tasks", params(ResidentsQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn residents(
    State(state): State<AppState>,
    p: Principal,
    q: Result<Query<ResidentsQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<Value>> {
    let Query(q) = q?;
    p.may(Action::ReadPerson)?;
    let why = Why {
        purpose: q.purpose.clone(),
        reveal: q.reveal,
    };
    let purpose = why.purpose()?;
    let reveal = why.reveal(&p)?;
    let grid = q
        .grid
        .clone()
        .or_else(|| p.grids.first().cloned())
        .ok_or_else(|| AppError::BadRequest("name the grid: grid=…".into()))?;
    if !p.sees_grid(Some(&grid)) {
        audit(
            &state,
            &p,
            "residents.denied",
            &grid,
            &purpose,
            String::new(),
        )
        .await?;
        return Err(AppError::OutOfScope(format!(
            "{grid} is not one of your grids"
        )));
    }
    let st = state.clone();
    let one = vec![grid.clone()];
    let open: std::collections::HashMap<String, (i64, String)> = super::blocking(move || {
        st.board.with(|t| {
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
    let (body, people) = {
        let live = state.live();
        if !live.region_names.contains_key(&grid) {
            return Err(AppError::NotFound(format!("{grid} is not a known region")));
        }
        let mut households: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        let mut address: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        let mut people = 0;
        for person in live
            .persons
            .values()
            .filter(|x| x.grid_code.as_deref() == Some(grid.as_str()))
        {
            let Some(s) = live.world.find_subject(&person.person_id) else {
                continue;
            };
            people += 1;
            let h = person
                .household_id
                .as_deref()
                .unwrap_or(person.person_id.as_str());
            if let Some(a) = person.address.as_deref() {
                address.entry(h).or_insert(a);
            }
            let task = open.get(&person.person_id);
            households.entry(h).or_default().push(json!({
                "subject": person.person_id,
                "person": super::people::person_json(&live, s, reveal),
                "is_case": live.world.is_active_case(s),
                "alert_score": live.screening.alert(s).map(|a| a.score),
                "task": task.map(|(id, state)| json!({"id": id, "state": state})),
            }));
        }
        let list: Vec<Value> = households
            .into_iter()
            .map(|(h, mut members)| {
                members.sort_by(|a, b| a["subject"].as_str().cmp(&b["subject"].as_str()));
                json!({"household_id": h, "address": address.get(h), "members": members})
            })
            .collect();
        (
            json!({
                "grid_code": grid,
                "grid_name": live.region_names.get(&grid),
                "residents": people,
                "households": list,
            }),
            people,
        )
    };
    let action = if reveal {
        "residents.reveal"
    } else {
        "residents.list"
    };
    audit(
        &state,
        &p,
        action,
        &grid,
        &purpose,
        format!("{people} residents"),
    )
    .await?;
    Ok(Json(body))
}

/// The largest photo kept.
const PHOTO_MAX_BYTES: usize = 8 << 20;

/// Attaches a photo of a document to a task (`image/jpeg`, `image/png` or `image/webp`, up to
/// 8 MB, sent as the body).
#[utoipa::path(post, path = "/api/tasks/{id}/photos", tag = "tasks", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "The photo; image/png and image/webp too"),
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_photo(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<(axum::http::StatusCode, Json<Value>)> {
    p.may(Action::WorkTasks)?;
    let mime = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if !matches!(mime.as_str(), "image/jpeg" | "image/png" | "image/webp") {
        return Err(AppError::BadRequest(format!(
            "a photo is image/jpeg, image/png or image/webp, not {mime:?}"
        )));
    }
    if body.is_empty() || body.len() > PHOTO_MAX_BYTES {
        return Err(AppError::BadRequest(format!(
            "a photo has 1 byte to 8 MB, this one {} bytes",
            body.len()
        )));
    }
    let st = state.clone();
    let who = p.clone();
    let photo = super::blocking(move || {
        st.board.with(|t| -> AppResult<i64> {
            let task = t
                .get(id)?
                .ok_or_else(|| AppError::NotFound(format!("there is no task {id}")))?;
            scope(&who)(task.grid_code.as_deref())?;
            Ok(t.add_photo(id, now_ms(), &who.username, &mime, &body)?)
        })
    })
    .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({"id": photo, "task_id": id})),
    ))
}

/// One photo of a task (audited: it is a person's document).
#[utoipa::path(get, path = "/api/tasks/{id}/photos/{photo}", tag = "tasks",
    params(("id" = i64, Path), ("photo" = i64, Path), Why),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn photo(
    State(state): State<AppState>,
    p: Principal,
    Path((id, photo)): Path<(i64, i64)>,
    why: Result<Query<Why>, axum::extract::rejection::QueryRejection>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let Query(why) = why?;
    p.may(Action::ReadTasks)?;
    let purpose = why.purpose()?;
    let st = state.clone();
    let who = p.clone();
    let (subject, found) = super::blocking(move || {
        st.board.with(|t| -> AppResult<_> {
            let task = t
                .get(id)?
                .ok_or_else(|| AppError::NotFound(format!("there is no task {id}")))?;
            scope(&who)(task.grid_code.as_deref())?;
            let found = t.photo(photo)?.filter(|ph| ph.task_id == id);
            Ok((task.subject, found))
        })
    })
    .await?;
    let found =
        found.ok_or_else(|| AppError::NotFound(format!("task {id} has no photo {photo}")))?;
    audit(
        &state,
        &p,
        "photo.read",
        &subject,
        &purpose,
        format!("task {id} photo {photo}"),
    )
    .await?;
    Ok((
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
