//! One person, one place, one trace, one check at a gate.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use tracegrid_engine::SubjectId;
use utoipa::IntoParams;

use super::alerts::{place_json, step_json, visible_subject};
use super::{Why, audit};
use crate::AppState;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::live::Live;
use crate::roles::{Action, Principal};
use crate::views::{self, Shown, mask_id, mask_phone};

/// A registered person's record, numbers masked unless revealed; `null` for a subject that is
/// no registered person (a plate, a phone).
pub fn person_json(live: &Live, s: SubjectId, reveal: bool) -> Value {
    let Some(p) = live.person(s) else {
        return Value::Null;
    };
    let id = |v: &str| if reveal { v.to_owned() } else { mask_id(v) };
    let phone = |v: &str| if reveal { v.to_owned() } else { mask_phone(v) };
    json!({
        "person_id": p.person_id,
        "id_number": id(&p.id_number),
        "name": p.name,
        "phone": p.phone.as_deref().map(phone),
        "household_id": p.household_id,
        "address": p.address,
        "grid_code": p.grid_code,
        "grid_name": p.grid_code.as_deref().and_then(|g| live.region_names.get(g)),
    })
}

/// A person: their record, whether they are a case, their alert.
#[utoipa::path(get, path = "/api/persons/{subject}", tag = "people",
    params(("subject" = String, Path, description = "person_id, id_number or TYPE:VALUE"), Why),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn person(
    State(state): State<AppState>,
    p: Principal,
    Path(subject): Path<String>,
    why: Result<Query<Why>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<Value>> {
    let Query(why) = why?;
    p.may(Action::ReadPerson)?;
    let purpose = why.purpose()?;
    let reveal = why.reveal(&p)?;
    super::check_scope(&state, &p, &subject, "person", &purpose).await?;
    let (body, name) = {
        let live = state.live();
        let s = visible_subject(&live, &p, &subject)?;
        let shown = Shown {
            full_ids: reveal,
            links: p.sees_everyone(),
        };
        let t = |ms| live.time(ms);
        (
            json!({
                "subject": live.world.subject_name(s),
                "person": person_json(&live, s, reveal),
                "is_case": live.world.is_active_case(s),
                "alert": live.screening.alert(s).map(|a| views::alert_json(&live.world, a, shown, &t)),
            }),
            live.world.subject_name(s).to_owned(),
        )
    };
    let action = if reveal {
        "person.reveal"
    } else {
        "person.read"
    };
    audit(&state, &p, action, &name, &purpose, String::new()).await?;
    Ok(Json(body))
}

/// A place: where it is and what it is.
#[utoipa::path(get, path = "/api/places/{place_id}", tag = "people",
    params(("place_id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    p: Principal,
    Path(place_id): Path<String>,
) -> AppResult<Json<Value>> {
    p.may(Action::ViewOverview)?;
    let live = state.live();
    let ix = *live
        .place_ix
        .get(&place_id)
        .ok_or_else(|| AppError::NotFound(format!("{place_id} is not a known place")))?;
    Ok(Json(place_json(&live, ix)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TraceQuery {
    /// 1: direct contacts; 2: and their contacts.
    pub degree: Option<u8>,
    pub purpose: Option<String>,
}

/// A subject's trajectory (with coordinates) and contacts at one or two degrees, as
/// `tracegrid trace --json` writes them, and the transmission links among the cases met.
#[utoipa::path(get, path = "/api/trace/{subject}", tag = "people",
    params(("subject" = String, Path), TraceQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn trace(
    State(state): State<AppState>,
    p: Principal,
    Path(subject): Path<String>,
    q: Result<Query<TraceQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<Value>> {
    let Query(q) = q?;
    p.may(Action::Trace)?;
    let purpose = Why {
        purpose: q.purpose.clone(),
        reveal: false,
    }
    .purpose()?;
    let degree = q.degree.unwrap_or(2);
    if !(1..=2).contains(&degree) {
        return Err(AppError::BadRequest("degree is 1 or 2".into()));
    }
    let (body, name) = {
        let live = state.live();
        let s = visible_subject(&live, &p, &subject)?;
        let tr = live.world.trace(s, live.params(), degree);
        let t = |ms| live.time(ms);
        let mut body = views::trace_json(&live.world, s, &tr, &t);
        body["steps"] = tr.trajectory.iter().map(|x| step_json(&live, x)).collect();
        body["person"] = person_json(&live, s, false);
        // Who infected whom, as far as the contacts show: a case met by a case.
        let links: Vec<Value> = tr
            .contacts
            .iter()
            .filter(|c| c.is_case)
            .map(|c| {
                let from = c.via.unwrap_or(s);
                json!({"from": live.world.subject_name(from), "to": live.world.subject_name(c.subject),
                       "first_at": live.time(c.first_at), "degree": c.degree})
            })
            .collect();
        body["case_links"] = links.into();
        (body, live.world.subject_name(s).to_owned())
    };
    audit(
        &state,
        &p,
        "trace",
        &name,
        &purpose,
        format!("degree {degree}"),
    )
    .await?;
    Ok(Json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GateQuery {
    /// The person at the gate: person_id, id_number or TYPE:VALUE.
    pub subject: String,
}

/// A check at a gate: is this person a resident here, and may they pass? Green: no alert;
/// amber: an alert (send to the grid worker); red: an active case.
#[utoipa::path(get, path = "/api/gates/{place_id}/check", tag = "people",
    params(("place_id" = String, Path), GateQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn gate_check(
    State(state): State<AppState>,
    p: Principal,
    Path(place_id): Path<String>,
    q: Result<Query<GateQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<Value>> {
    let Query(q) = q?;
    p.may(Action::GateCheck)?;
    if !p.stands_at(&place_id) {
        return Err(AppError::Forbidden(format!(
            "you do not stand at {place_id}"
        )));
    }
    let (body, name) = {
        let live = state.live();
        let gate_grid = live
            .places
            .get(&place_id)
            .ok_or_else(|| AppError::NotFound(format!("{place_id} is not a known place")))?
            .grid_code
            .clone();
        let Some(s) = live.world.find_subject(&q.subject) else {
            return Ok(Json(
                json!({"known": false, "status": "unknown", "resident": false}),
            ));
        };
        let status = if live.world.is_active_case(s) {
            "red"
        } else if live.screening.alert(s).is_some() {
            "amber"
        } else {
            "green"
        };
        let person = live.person(s);
        // A guard sees a name's first character only: enough to greet, not to look up.
        let name_hint = person
            .and_then(|x| x.name.as_deref())
            .and_then(|n| n.chars().next())
            .map(|c| format!("{c}*"));
        (
            json!({
                "known": true,
                "status": status,
                "resident": gate_grid.is_some() && live.grid_of(s) == gate_grid.as_deref(),
                "name_hint": name_hint,
            }),
            live.world.subject_name(s).to_owned(),
        )
    };
    audit(&state, &p, "gate.check", &name, "gate check", place_id).await?;
    Ok(Json(body))
}
