//! Epidemic areas and cases: listed, added, changed, ended; and the whole city screened again.
//! Each change is the city's workflow (kept in the store, taken into the screening at once);
//! the answer says what it changed.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tracegrid_city::Changed;
use tracegrid_city::city::City;
use tracegrid_city::live::Rescreened;
use tracegrid_model::mask;
use tracegrid_model::rows::{AreaRow, CaseRow};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult, ErrorBody, Key, Msg};
use crate::extract::{Json, Path};
use crate::guard::{Access, AuditNote, Why};
use crate::state::{AppState, blocking};

/// An epidemic area as the pages show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaView {
    pub area_id: String,
    pub name: Option<String>,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    /// The polygon of an area drawn on the map (GeoJSON), else `null`.
    #[schema(value_type = Option<super::alerts::Geometry>)]
    pub geometry: Option<Value>,
    pub from: String,
    pub to: Option<String>,
    /// high, medium or low.
    pub risk: &'static str,
    /// Whether the area is active at some time of the screening's window.
    pub in_window: bool,
}

fn area_view(city: &City, a: &AreaRow) -> AreaView {
    AreaView {
        area_id: a.area_id.clone(),
        name: a.name.clone(),
        region_code: a.region_code.clone(),
        region_name: a
            .region_code
            .as_deref()
            .and_then(|c| city.region_names.get(c).cloned()),
        geometry: a
            .geometry
            .as_deref()
            .and_then(|g| serde_json::from_str::<Value>(g).ok()),
        from: city.time(a.from),
        to: a.to.map(|t| city.time(t)),
        risk: a.risk.as_str(),
        in_window: city.in_window(a),
    }
}

/// The epidemic areas.
#[utoipa::path(get, path = "/api/areas", tag = "manage",
    responses((status = 200, body = Vec<AreaView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn areas(State(state): State<AppState>, _: Access) -> axum::Json<Vec<AreaView>> {
    let city = state.live();
    axum::Json(city.areas.iter().map(|a| area_view(&city, a)).collect())
}

/// A new or changed epidemic area: a region or a drawn polygon. The fields and their rules are
/// those of the `areas` file (CONTRACT.md section 1), or of `areas.geojson` with `geometry`:
/// the handler hands the object to the importer's rules, and this type documents it.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct NewArea {
    pub area_id: String,
    pub name: Option<String>,
    /// A region code; or give `geometry`.
    pub region_code: Option<String>,
    /// A GeoJSON Polygon or MultiPolygon (WGS84); or give `region_code`.
    #[schema(value_type = Option<super::alerts::Geometry>)]
    pub geometry: Option<Value>,
    /// RFC 3339, `YYYY-MM-DD HH:MM[:SS]`, or a date (its first moment).
    pub from: String,
    /// The same, or a date (its last moment); absent: still open.
    pub to: Option<String>,
    /// high (default), medium or low.
    pub risk: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaChanged {
    pub area: Option<AreaView>,
    pub changed: Changed,
}

/// What changed, with the numbers of unresolved subjects masked unless revealed, as every
/// other answer shows them.
fn shown_changed(access: &Access, mut changed: Changed) -> Changed {
    if !access.reveal {
        for list in [&mut changed.new_alerts, &mut changed.cleared] {
            for name in list.iter_mut() {
                *name = mask::subject(name);
            }
        }
    }
    changed
}

/// The answer to a change of area: the area as now kept, and what changed.
fn area_changed(state: &AppState, access: &Access, id: &str, changed: Changed) -> Response {
    let changed = shown_changed(access, changed);
    let city = state.live();
    let area = city
        .areas
        .iter()
        .find(|a| a.area_id == id)
        .map(|a| area_view(&city, a));
    let note = AuditNote::on(id, format!("{} new alerts", changed.new_alerts.len()));
    (note, axum::Json(AreaChanged { area, changed })).into_response()
}

/// Adds an epidemic area, or replaces the one with the same id; screens it at once.
#[utoipa::path(post, path = "/api/areas", tag = "manage", request_body = NewArea,
    responses((status = 200, body = AreaChanged), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn add_area(
    State(state): State<AppState>,
    access: Access,
    Json(fields): Json<Map<String, Value>>,
) -> AppResult<Response> {
    check_corners(&fields)?;
    let st = state.clone();
    let (id, changed) = blocking(move || st.city.save_area(&fields)).await?;
    Ok(area_changed(&state, &access, &id, changed))
}

/// Refuses a drawn polygon of fewer than three corners. The importer's own check counts
/// positions (a ring needs four, the first repeated last), which says nothing useful to someone
/// who clicked twice on the map: this one counts the distinct corners and says what to do.
fn check_corners(fields: &Map<String, Value>) -> AppResult<()> {
    let Some(geometry) = fields.get("geometry").filter(|g| !g.is_null()) else {
        return Ok(());
    };
    let polygons: Vec<&Value> = match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => geometry.get("coordinates").into_iter().collect(),
        Some("MultiPolygon") => geometry
            .get("coordinates")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().collect())
            .unwrap_or_default(),
        // Any other shape is the importer's to refuse, with its own reason.
        _ => return Ok(()),
    };
    for rings in polygons.iter().filter_map(|p| p.as_array()) {
        for ring in rings.iter().filter_map(Value::as_array) {
            let mut corners: Vec<(f64, f64)> = Vec::new();
            for p in ring.iter().filter_map(Value::as_array) {
                if let (Some(lon), Some(lat)) = (
                    p.first().and_then(Value::as_f64),
                    p.get(1).and_then(Value::as_f64),
                ) && !corners.contains(&(lon, lat))
                {
                    corners.push((lon, lat));
                }
            }
            if corners.len() < 3 {
                return Err(AppError::BadRequest(
                    Msg::new(Key::AreaTooFewCorners).param("corners", corners.len()),
                ));
            }
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EndArea {
    /// When it ended (RFC 3339 or a date's last moment); absent: the screening's as-of.
    pub at: Option<String>,
}

/// Ends an epidemic area.
#[utoipa::path(post, path = "/api/areas/{area_id}/end", tag = "manage", request_body = EndArea,
    params(("area_id" = String, Path)),
    responses((status = 200, body = AreaChanged), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn end_area(
    State(state): State<AppState>,
    access: Access,
    Path(area_id): Path<String>,
    Json(body): Json<EndArea>,
) -> AppResult<Response> {
    let st = state.clone();
    let id = area_id.clone();
    let changed = blocking(move || st.city.end_area(&id, body.at.as_deref())).await?;
    Ok(area_changed(&state, &access, &area_id, changed))
}

/// A case as the command centre lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    /// The subject as the engine names it (`null` if the case was never sighted nor registered).
    pub subject: Option<String>,
    pub id_number: String,
    pub name: Option<String>,
    pub grid_code: Option<String>,
    /// suspected, confirmed, asymptomatic, recovered or excluded.
    pub status: &'static str,
    pub onset: Option<String>,
    pub confirmed: String,
    pub isolated: Option<String>,
}

/// The cases, with their persons (ID numbers masked unless revealed).
#[utoipa::path(get, path = "/api/cases", tag = "manage", params(Why),
    responses((status = 200, body = Vec<CaseView>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn cases(State(state): State<AppState>, access: Access) -> Response {
    let city = state.live();
    let mut cases: Vec<&CaseRow> = city.cases.iter().collect();
    cases.sort_by_key(|c| std::cmp::Reverse(c.confirmed));
    let list: Vec<CaseView> = cases
        .into_iter()
        .map(|c| {
            let s = city.find_subject(&c.subject);
            let person = s.and_then(|s| city.world.person_of(s));
            CaseView {
                subject: s.map(|s| {
                    let shown = tracegrid_city::Shown {
                        full_ids: access.reveal,
                        links: true,
                    };
                    tracegrid_city::views::subject_name(&city.world, s, shown)
                        .0
                        .into_owned()
                }),
                id_number: if access.reveal {
                    c.subject.clone()
                } else {
                    mask::id_number(&c.subject)
                },
                name: person.and_then(|x| x.1).map(str::to_owned),
                grid_code: person.and_then(|x| x.2).map(str::to_owned),
                status: c.status.as_str(),
                onset: c.onset.map(|t| city.time(t)),
                confirmed: city.time(c.confirmed),
                isolated: c.isolated.map(|t| city.time(t)),
            }
        })
        .collect();
    let note = AuditNote::detail(format!("{} cases", list.len()));
    (note, axum::Json(list)).into_response()
}

/// A new or changed case: the fields of the `cases` file (CONTRACT.md section 1), checked by
/// the importer's rules; this type documents them. The person may also be named by person_id,
/// as the case list names them.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct NewCase {
    /// The case's resident ID number, or a person as the case list names them (person_id);
    /// or give `person_id`.
    pub subject: Option<String>,
    /// A registered person's person_id; or give `subject`.
    pub person_id: Option<String>,
    /// suspected, confirmed, asymptomatic, recovered or excluded.
    pub status: String,
    /// Symptom onset: a time, or a date (its first moment).
    pub onset: Option<String>,
    /// Diagnosis: a time, or a date (its first moment); not later than the moment the server
    /// screens at.
    pub confirmed: String,
    /// Isolation: a time, or a date (its last moment).
    pub isolated: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseChanged {
    /// The case's subject as the engine names it.
    pub subject: String,
    pub changed: Changed,
}

/// Adds a case, or changes the one of the same person; screens it at once.
#[utoipa::path(post, path = "/api/cases", tag = "manage", request_body = NewCase,
    responses((status = 200, body = CaseChanged), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 415, body = ErrorBody)))]
pub async fn add_case(
    State(state): State<AppState>,
    access: Access,
    Json(fields): Json<Map<String, Value>>,
) -> AppResult<Response> {
    let fields = {
        let city = state.live();
        let fields = case_fields(&city, fields)?;
        check_confirmed(&city, &fields)?;
        fields
    };
    let st = state.clone();
    let (subject, changed) = blocking(move || st.city.save_case(&fields)).await?;
    let note = AuditNote::on(&subject, format!("{} new alerts", changed.new_alerts.len()));
    let subject = if access.reveal {
        subject
    } else {
        mask::subject(&subject)
    };
    let changed = shown_changed(&access, changed);
    Ok((note, axum::Json(CaseChanged { subject, changed })).into_response())
}

/// The fields of a case with its subject as the `cases` file has it: a resident ID number. A
/// person named otherwise (`person_id`, or `subject` as the case list shows it) is resolved to
/// theirs; a subject that is neither a valid ID number nor a known person is refused by name.
fn case_fields(city: &City, mut fields: Map<String, Value>) -> AppResult<Map<String, Value>> {
    let text = |v: Option<Value>| match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    };
    let person_id = text(fields.remove("person_id"));
    let subject = text(fields.remove("subject"));
    let id_number = match (subject, person_id) {
        (Some(_), Some(_)) => {
            return Err(AppError::BadRequest(Key::CaseSubjectAndPersonId.into()));
        }
        (None, None) => {
            return Err(AppError::BadRequest(Key::CaseSubjectOrPersonId.into()));
        }
        (None, Some(p)) => city
            .persons
            .get(&p)
            .map(|row| row.id_number.clone())
            .ok_or_else(|| {
                AppError::BadRequest(Msg::new(Key::CaseUnknownPerson).param("person_id", &p))
            })?,
        (Some(s), None) => {
            let person = city
                .find_subject(&s)
                .and_then(|x| city.world.person_of(x))
                .map(|(id_number, ..)| id_number.to_owned());
            match (person, tracegrid_model::IdNumber::parse(&s)) {
                (Some(id_number), _) => id_number,
                (None, Ok(id_number)) => id_number.as_str().to_owned(),
                (None, Err(e)) => {
                    return Err(AppError::BadRequest(
                        Msg::new(Key::CaseUnknownSubject)
                            .param("subject", &s)
                            .param("detail", e),
                    ));
                }
            }
        }
    };
    fields.insert("subject".into(), Value::String(id_number));
    Ok(fields)
}

/// Refuses a case confirmed after the moment the server screens at: the fixed `--as-of`, or,
/// with the clock, now. A diagnosis in the future is a typing slip, and would alert contacts
/// for a case that does not exist yet.
fn check_confirmed(city: &City, fields: &Map<String, Value>) -> AppResult<()> {
    let row = tracegrid_city::input::case(city, fields)?;
    let moment = city
        .settings
        .as_of
        .unwrap_or_else(|| tracegrid_city::now_ms().max(city.params().as_of));
    if row.confirmed > moment {
        return Err(AppError::BadRequest(
            Msg::new(Key::CaseConfirmedFuture)
                .param("confirmed", city.time(row.confirmed))
                .param("as_of", city.time(moment)),
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Rescreen {
    /// The moment to screen at from now on (RFC 3339, or a date: its 00:00, as CONTRACT.md
    /// section 5 reads a moment); absent: the current time, moving with the clock.
    pub as_of: Option<String>,
    pub lookback_days: Option<i64>,
}

/// Screens the whole city again, at a new moment.
#[utoipa::path(post, path = "/api/screen", tag = "manage", request_body = Rescreen,
    responses((status = 200, body = Rescreened), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 415, body = ErrorBody)))]
pub async fn rescreen(
    State(state): State<AppState>,
    _: Access,
    Json(body): Json<Rescreen>,
) -> AppResult<Response> {
    let st = state.clone();
    let done =
        blocking(move || st.city.rescreen(body.as_of.as_deref(), body.lookback_days)).await?;
    let note = AuditNote::on("city", done.as_of.clone());
    Ok((note, axum::Json(done)).into_response())
}
