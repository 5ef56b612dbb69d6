//! Epidemic areas and cases: listed, added, changed, ended. Each change is kept in the store
//! first, then taken into the live screening at once, and the answer says what it changed.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracegrid_model::rows::{AreaRow, CaseRow, RegistryBatch};
use tracegrid_model::{CaseStatus, IdNumber, Millis, Risk, TimeReader};
use utoipa::ToSchema;

use super::{Why, audit};
use crate::AppState;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::live::{Changed, Live, store_registry};
use crate::roles::{Action, Principal};
use crate::views::mask_id;

fn area_json(live: &Live, a: &AreaRow) -> Value {
    let (from, to) = live.params().window();
    json!({
        "area_id": a.area_id,
        "name": a.name,
        "region_code": a.region_code,
        "region_name": a.region_code.as_deref().and_then(|c| live.region_names.get(c)),
        "geometry": a.geometry.as_deref().and_then(|g| serde_json::from_str::<Value>(g).ok()),
        "from": live.time(a.from),
        "to": a.to.map(|t| live.time(t)),
        "risk": a.risk.as_str(),
        "in_window": a.to.is_none_or(|t| t >= from) && a.from <= to,
    })
}

/// The epidemic areas.
#[utoipa::path(get, path = "/api/areas", tag = "manage",
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody)))]
pub async fn areas(State(state): State<AppState>, p: Principal) -> AppResult<Json<Vec<Value>>> {
    p.may(Action::ViewOverview)?;
    let live = state.live();
    Ok(Json(
        live.areas.iter().map(|a| area_json(&live, a)).collect(),
    ))
}

/// A new or changed epidemic area: a region or a drawn polygon.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewArea {
    pub area_id: String,
    pub name: Option<String>,
    /// A region code; or give `geometry`.
    pub region_code: Option<String>,
    /// A GeoJSON Polygon or MultiPolygon (WGS84).
    #[schema(value_type = Object)]
    pub geometry: Option<Value>,
    /// RFC 3339, or a date (its first moment).
    pub from: String,
    /// RFC 3339, or a date (its last moment); absent: still open.
    pub to: Option<String>,
    /// high (default), medium or low.
    pub risk: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaChanged {
    #[schema(value_type = Object)]
    pub area: Value,
    pub changed: Changed,
}

fn times(tz: chrono_tz::Tz) -> TimeReader {
    TimeReader::new(tz)
}

fn area_row(live: &Live, a: NewArea) -> AppResult<AreaRow> {
    let bad = AppError::BadRequest;
    let area_id = a.area_id.trim();
    if area_id.is_empty() {
        return Err(bad("area_id is required".into()));
    }
    let geometry = match (&a.region_code, &a.geometry) {
        (Some(_), Some(_)) => return Err(bad("give region_code or geometry, not both".into())),
        (None, None) => return Err(bad("give region_code or geometry".into())),
        (Some(code), None) => {
            if live.world.region(code).is_none() {
                return Err(bad(format!("region_code {code} is not a known region")));
            }
            None
        }
        (None, Some(g)) => Some(
            tracegrid_ingest::geojson::check_geometry(Some(g))
                .map_err(|e| bad(format!("geometry: {e}")))?,
        ),
    };
    let mut tr = times(live.zone);
    let from = tr
        .time_or_date(&a.from, false)
        .map_err(|e| bad(format!("from {}: {e}", a.from)))?;
    let to = match a.to.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Some(
            tr.time_or_date(t, true)
                .map_err(|e| bad(format!("to {t}: {e}")))?,
        ),
        None => None,
    };
    if to.is_some_and(|t| t < from) {
        return Err(bad("to is before from".into()));
    }
    let risk = match a.risk.as_deref() {
        Some(r) => Risk::parse("risk", r).map_err(bad)?,
        None => Risk::High,
    };
    Ok(AreaRow {
        area_id: area_id.to_owned(),
        name: a.name.filter(|n| !n.trim().is_empty()),
        region_code: a.region_code,
        geometry,
        from,
        to,
        risk,
    })
}

/// Keeps `batch` in the store, then applies it to the live city.
async fn keep_and_apply(
    state: &AppState,
    batch: RegistryBatch,
    apply: impl FnOnce(&mut Live) -> Changed + Send + 'static,
) -> AppResult<Changed> {
    let state = state.clone();
    super::blocking(move || -> AppResult<Changed> {
        store_registry(&state.config.db, &batch)?;
        let mut changed = apply(&mut state.live_mut());
        // The new alerts become tasks at once: the grid workers' lists follow.
        let (created, updated) = state.board.sync(&state.live(), crate::auth::now_ms())?;
        changed.tasks_created = created;
        changed.tasks_updated = updated;
        Ok(changed)
    })
    .await
}

/// Keeps an area and screens it.
async fn save_area(state: &AppState, row: AreaRow) -> AppResult<Changed> {
    let batch = RegistryBatch {
        areas: vec![row.clone()],
        ..Default::default()
    };
    keep_and_apply(state, batch, move |live| live.apply_area(row)).await
}

/// The answer to a change of area: the area as now kept, and what changed.
fn area_changed(state: &AppState, id: &str, changed: Changed) -> AreaChanged {
    let live = state.live();
    let area = live.areas.iter().find(|a| a.area_id == id);
    AreaChanged {
        area: area.map_or(Value::Null, |a| area_json(&live, a)),
        changed,
    }
}

/// Adds an epidemic area, or replaces the one with the same id; screens it at once.
#[utoipa::path(post, path = "/api/areas", tag = "manage", request_body = NewArea,
    responses((status = 200, body = AreaChanged), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_area(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<NewArea>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<AreaChanged>> {
    let Json(body) = body?;
    p.may(Action::ManageAreas)?;
    let row = area_row(&state.live(), body)?;
    let id = row.area_id.clone();
    let changed = save_area(&state, row).await?;
    audit(
        &state,
        &p,
        "area.save",
        &id,
        "manage areas",
        format!("{} new alerts", changed.new_alerts.len()),
    )
    .await?;
    Ok(Json(area_changed(&state, &id, changed)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EndArea {
    /// When it ended (RFC 3339 or a date's last moment); absent: the screening's as-of.
    pub at: Option<String>,
}

/// Ends an epidemic area.
#[utoipa::path(post, path = "/api/areas/{area_id}/end", tag = "manage", request_body = EndArea,
    params(("area_id" = String, Path)),
    responses((status = 200, body = AreaChanged), (status = 404, body = ErrorBody)))]
pub async fn end_area(
    State(state): State<AppState>,
    p: Principal,
    Path(area_id): Path<String>,
    body: Result<Json<EndArea>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<AreaChanged>> {
    let Json(body) = body?;
    p.may(Action::ManageAreas)?;
    let row = {
        let live = state.live();
        let mut row = live
            .areas
            .iter()
            .find(|a| a.area_id == area_id)
            .cloned()
            .ok_or_else(|| AppError::NotFound(format!("there is no area {area_id}")))?;
        let at = match body.at.as_deref() {
            Some(t) => times(live.zone)
                .time_or_date(t, true)
                .map_err(|e| AppError::BadRequest(format!("at {t}: {e}")))?,
            None => live.params().as_of,
        };
        if at < row.from {
            return Err(AppError::BadRequest(
                "an area cannot end before it began".into(),
            ));
        }
        row.to = Some(at);
        row
    };
    let changed = save_area(&state, row).await?;
    audit(
        &state,
        &p,
        "area.end",
        &area_id,
        "manage areas",
        String::new(),
    )
    .await?;
    Ok(Json(area_changed(&state, &area_id, changed)))
}

/// The cases, with their persons (ID numbers masked unless revealed).
#[utoipa::path(get, path = "/api/cases", tag = "manage", params(Why),
    responses((status = 200, body = Vec<Object>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn cases(
    State(state): State<AppState>,
    p: Principal,
    why: Result<Query<Why>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<Vec<Value>>> {
    let Query(why) = why?;
    p.may(Action::ReadCases)?;
    let purpose = why.purpose()?;
    let reveal = why.reveal(&p)?;
    let list: Vec<Value> = {
        let live = state.live();
        let mut cases: Vec<&CaseRow> = live.cases.iter().collect();
        cases.sort_by_key(|c| std::cmp::Reverse(c.confirmed));
        cases
            .into_iter()
            .map(|c| {
                let s = live.world.find_subject(&c.subject);
                let person = s.and_then(|s| live.world.person_of(s));
                json!({
                    "subject": s.map(|s| live.world.subject_name(s)),
                    "id_number": if reveal { c.subject.clone() } else { mask_id(&c.subject) },
                    "name": person.and_then(|x| x.1),
                    "grid_code": person.and_then(|x| x.2),
                    "status": c.status.as_str(),
                    "onset": c.onset.map(|t| live.time(t)),
                    "confirmed": live.time(c.confirmed),
                    "isolated": c.isolated.map(|t| live.time(t)),
                })
            })
            .collect()
    };
    let action = if reveal { "cases.reveal" } else { "cases.list" };
    audit(
        &state,
        &p,
        action,
        "cases",
        &purpose,
        format!("{} cases", list.len()),
    )
    .await?;
    Ok(Json(list))
}

/// A new or changed case.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCase {
    /// The case's resident ID number.
    pub subject: String,
    /// suspected, confirmed, asymptomatic, recovered or dead.
    pub status: String,
    pub onset: Option<String>,
    pub confirmed: String,
    pub isolated: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseChanged {
    /// The case's subject as the engine names it.
    pub subject: String,
    pub changed: Changed,
}

fn case_row(live: &Live, c: NewCase) -> AppResult<CaseRow> {
    let bad = AppError::BadRequest;
    let id = IdNumber::parse(c.subject.trim()).map_err(bad)?;
    let status = CaseStatus::parse("status", &c.status).map_err(bad)?;
    let mut tr = times(live.zone);
    let mut time = |field: &str, v: &str, end: bool| -> AppResult<Millis> {
        tr.time_or_date(v, end)
            .map_err(|e| bad(format!("{field} {v}: {e}")))
    };
    let onset = match c.onset.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => Some(time("onset", v, false)?),
        None => None,
    };
    let confirmed = time("confirmed", &c.confirmed, false)?;
    let isolated = match c.isolated.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => Some(time("isolated", v, true)?),
        None => None,
    };
    Ok(CaseRow {
        subject: id.as_str().to_owned(),
        status,
        onset,
        confirmed,
        isolated,
    })
}

/// Adds a case, or changes the one of the same person; screens it at once.
#[utoipa::path(post, path = "/api/cases", tag = "manage", request_body = NewCase,
    responses((status = 200, body = CaseChanged), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_case(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<NewCase>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<CaseChanged>> {
    let Json(body) = body?;
    p.may(Action::ManageCases)?;
    let row = case_row(&state.live(), body)?;
    let id_number = row.subject.clone();
    let batch = RegistryBatch {
        cases: vec![row.clone()],
        ..Default::default()
    };
    let changed = keep_and_apply(&state, batch, move |live| live.apply_case(row)).await?;
    let subject = {
        let live = state.live();
        live.world
            .find_subject(&id_number)
            .map_or(id_number.clone(), |s| live.world.subject_name(s).to_owned())
    };
    audit(
        &state,
        &p,
        "case.save",
        &subject,
        "manage cases",
        format!("{} new alerts", changed.new_alerts.len()),
    )
    .await?;
    Ok(Json(CaseChanged { subject, changed }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Rescreen {
    /// The moment to screen at (RFC 3339 or a date's last moment); absent: now.
    pub as_of: Option<String>,
    pub lookback_days: Option<i64>,
}

/// Screens the whole city again, at a new moment.
#[utoipa::path(post, path = "/api/screen", tag = "manage", request_body = Rescreen,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn rescreen(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<Rescreen>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<Value>> {
    let Json(body) = body?;
    p.may(Action::ManageAreas)?;
    let lookback = body.lookback_days.unwrap_or(state.config.lookback_days);
    if lookback < 0 {
        return Err(AppError::BadRequest(
            "lookback_days must not be negative".into(),
        ));
    }
    let st = state.clone();
    let result = super::blocking(move || -> AppResult<Value> {
        let mut params = st.live().params().clone();
        params.as_of = match body.as_of.as_deref() {
            Some(t) => times(st.live().zone)
                .time_or_date(t, true)
                .map_err(|e| AppError::BadRequest(format!("as_of {t}: {e}")))?,
            None => crate::auth::now_ms(),
        };
        params.lookback_days = lookback;
        let started = std::time::Instant::now();
        let mut live = st.live_mut();
        live.rescreen(&params);
        drop(live);
        let (tasks_created, tasks_updated) = st.board.sync(&st.live(), crate::auth::now_ms())?;
        let live = st.live();
        Ok(json!({
            "tasks_created": tasks_created,
            "tasks_updated": tasks_updated,
            "as_of": live.time(params.as_of),
            "alerts": live.screening.len(),
            "elapsed_ms": started.elapsed().as_millis() as u64,
            "generation": live.generation,
        }))
    })
    .await?;
    audit(
        &state,
        &p,
        "screen",
        "city",
        "re-screen",
        result["as_of"].to_string(),
    )
    .await?;
    Ok(Json(result))
}
