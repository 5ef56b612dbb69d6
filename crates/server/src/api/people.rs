//! One person, one place, one trace, one check at a gate.

use std::collections::BTreeMap;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tracegrid_city::City;
use tracegrid_city::views::{self, AlertView, Shown, TraceView};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult, ErrorBody, Key, Msg};
use crate::extract::{Path, Query};
use crate::guard::{Access, AuditNote, Why};
use crate::state::AppState;
use crate::views::{
    PersonView, PlaceView, SightingView, person as person_view, place as place_view, sighting,
};

/// A person: their record, whether they are a case, their alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonPage<'a> {
    /// The contract's name of the subject (masked for an unresolved one unless revealed).
    pub subject: String,
    /// `null` for a subject that is no registered person (a plate, a phone).
    pub person: Option<PersonView>,
    pub is_case: bool,
    pub alert: Option<AlertView<'a>>,
}

fn subject_of(access: &Access, subject: &str) -> AppResult<tracegrid_engine::SubjectId> {
    access
        .subject
        .as_ref()
        .map(|(s, _)| *s)
        .ok_or_else(|| AppError::NotFound(Msg::new(Key::UnknownSubject).param("subject", subject)))
}

/// A person: their record, whether they are a case, their alert.
#[utoipa::path(get, path = "/api/persons/{subject}", tag = "people",
    params(("subject" = String, Path, description = "person_id, id_number, TYPE:VALUE or the ref of a masked subject"), Why),
    responses((status = 200, body = PersonPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn person(
    State(state): State<AppState>,
    access: Access,
    Path(subject): Path<String>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let s = subject_of(&access, &subject)?;
    let city = state.live();
    let shown = Shown {
        full_ids: access.reveal,
        links: access.principal.sees_everyone(),
    };
    let t = |ms| city.time(ms);
    let page = PersonPage {
        subject: views::subject_name(&city.world, s, shown).0.into_owned(),
        person: person_view(&city, s, access.reveal),
        is_case: city.world.is_active_case(s),
        alert: city
            .screening
            .alert(s)
            .map(|a| views::alert_view(&city.world, a, shown, &t)),
    };
    Ok(axum::Json(page).into_response())
}

/// A place: where it is and what it is.
#[utoipa::path(get, path = "/api/places/{place_id}", tag = "people",
    params(("place_id" = String, Path)),
    responses((status = 200, body = PlaceView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    _: Access,
    Path(place_id): Path<String>,
) -> AppResult<axum::Json<PlaceView>> {
    let city = state.live();
    let ix = *city
        .place_ix
        .get(&place_id)
        .ok_or_else(|| AppError::NotFound(Msg::new(Key::UnknownPlace).param("place", &place_id)))?;
    Ok(axum::Json(place_view(&city, ix)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TraceQuery {
    /// 1: direct contacts; 2: and their contacts (default).
    pub degree: Option<u8>,
}

/// A transmission link: a case met by a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseLink {
    pub from: String,
    pub to: String,
    pub first_at: String,
    pub degree: u8,
}

/// A trace as `tracegrid trace --json` writes it, with the trajectory's places and the links
/// among the cases met.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraceAnswer<'a> {
    #[serde(flatten)]
    pub trace: TraceView<'a>,
    /// The trajectory with each place's coordinates.
    pub steps: Vec<SightingView>,
    pub person: Option<PersonView>,
    pub case_links: Vec<CaseLink>,
    /// What names the trajectory's places apart, by place_id.
    pub places: BTreeMap<String, PlaceNote>,
    /// The registered names of the contacts who are residents, by the subject as shown.
    pub names: BTreeMap<String, String>,
}

/// What a page needs to name a place in words and tell it from another of the same name: the
/// region it lies in and its grid, by name, and for a train car its train and car.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct PlaceNote {
    /// The name of the region the place lies in (a community, a town, a county, a city).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid_name: Option<String>,
    /// A train car's train (`G1234`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train: Option<String>,
    /// A train car's car (`05`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub car: Option<String>,
}

/// The notes on `places`, by place_id.
pub fn place_notes<'p>(
    city: &City,
    places: impl IntoIterator<Item = &'p PlaceView>,
) -> BTreeMap<String, PlaceNote> {
    let name = |code: &Option<String>| {
        code.as_deref()
            .and_then(|c| city.region_names.get(c))
            .cloned()
    };
    let mut notes = BTreeMap::new();
    for p in places {
        if notes.contains_key(&p.place_id) {
            continue;
        }
        // A rail ticket's car is the place `TRAIN@DATE#CAR` (docs/IMPORT.md).
        let (train, car) = match (p.kind, p.place_id.split_once('@')) {
            ("train_car", Some((train, rest))) => match rest.rsplit_once('#') {
                Some((_, car)) => (Some(train.to_owned()), Some(car.to_owned())),
                None => (Some(train.to_owned()), None),
            },
            _ => (None, None),
        };
        let note = PlaceNote {
            region_name: name(&p.region_code),
            grid_name: name(&p.grid_code),
            train,
            car,
        };
        notes.insert(p.place_id.clone(), note);
    }
    notes
}

/// A subject's trajectory (with coordinates) and contacts at one or two degrees, as
/// `tracegrid trace --json` writes them, and the transmission links among the cases met.
#[utoipa::path(get, path = "/api/trace/{subject}", tag = "people",
    params(("subject" = String, Path), TraceQuery, Why),
    responses((status = 200, body = TraceAnswer), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn trace(
    State(state): State<AppState>,
    access: Access,
    Path(subject): Path<String>,
    Query(q): Query<TraceQuery>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let degree = q.degree.unwrap_or(2);
    if !(1..=2).contains(&degree) {
        return Err(AppError::BadRequest(Key::BadDegree.into()));
    }
    let s = subject_of(&access, &subject)?;
    let city = state.live();
    let tr = city.world.trace(s, city.params(), degree);
    let t = |ms| city.time(ms);
    let shown = Shown {
        full_ids: access.reveal,
        links: true,
    };
    let name = |x| views::subject_name(&city.world, x, shown).0.into_owned();
    let steps: Vec<SightingView> = tr.trajectory.iter().map(|x| sighting(&city, x)).collect();
    let answer = TraceAnswer {
        trace: views::trace_view(&city.world, s, &tr, shown, &t),
        places: place_notes(&city, steps.iter().map(|x| &x.place)),
        steps,
        person: person_view(&city, s, false),
        names: tr
            .contacts
            .iter()
            .filter_map(|c| {
                let (_, n, _) = city.world.person_of(c.subject)?;
                Some((name(c.subject), n?.to_owned()))
            })
            .collect(),
        // Who infected whom, as far as the contacts show: a case met by a case.
        case_links: tr
            .contacts
            .iter()
            .filter(|c| c.is_case)
            .map(|c| CaseLink {
                from: name(c.via.unwrap_or(s)),
                to: name(c.subject),
                first_at: city.time(c.first_at),
                degree: c.degree,
            })
            .collect(),
    };
    // The contacts' names are read with the trace: the entry says how many.
    let detail = format!("degree {degree}, {} names", answer.names.len());
    Ok((AuditNote::detail(detail), axum::Json(answer)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GateQuery {
    /// The person at the gate: person_id, id_number or TYPE:VALUE.
    pub subject: String,
}

/// What a guard learns at the gate.
#[derive(Debug, Serialize, ToSchema)]
pub struct GateCheck {
    pub known: bool,
    /// green, amber (an alert: send to the grid worker), red (an active case) or unknown.
    pub status: &'static str,
    /// Whether the person lives in the gate's grid.
    pub resident: bool,
    /// The name's first character: enough to greet, not to look up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_hint: Option<String>,
}

/// A check at a gate: is this person a resident here, and may they pass? Green: no alert;
/// amber: an alert (send to the grid worker); red: an active case.
#[utoipa::path(get, path = "/api/gates/{place_id}/check", tag = "people",
    params(("place_id" = String, Path), GateQuery),
    responses((status = 200, body = GateCheck), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn gate_check(
    State(state): State<AppState>,
    access: Access,
    Path(place_id): Path<String>,
    Query(q): Query<GateQuery>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    // A guard checks the people at the gate, not the registry: a sweep waits.
    if !state
        .gate_checks
        .take(access.principal.user_id, crate::auth::now_ms())
    {
        return Err(AppError::Busy(Key::GateChecksTooFast.into()));
    }
    let city = state.live();
    let gate_grid = city
        .places
        .get(&place_id)
        .ok_or_else(|| AppError::NotFound(Msg::new(Key::UnknownPlace).param("place", &place_id)))?
        .grid_code
        .clone();
    let Some(s) = city.find_subject(&q.subject) else {
        let answer = GateCheck {
            known: false,
            status: "unknown",
            resident: false,
            name_hint: None,
        };
        return Ok((AuditNote::on(&q.subject, place_id), axum::Json(answer)).into_response());
    };
    let status = if city.world.is_active_case(s) {
        "red"
    } else if city.screening.alert(s).is_some() {
        "amber"
    } else {
        "green"
    };
    let answer = GateCheck {
        known: true,
        status,
        resident: gate_grid.is_some() && city.grid_of(s) == gate_grid.as_deref(),
        name_hint: city
            .person(s)
            .and_then(|x| x.name.as_deref())
            .map(tracegrid_model::mask::name),
    };
    let name = city.world.subject_name(s).to_owned();
    Ok((AuditNote::on(name, place_id), axum::Json(answer)).into_response())
}
