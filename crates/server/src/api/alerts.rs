//! The overview, the grid map, the alert list and an alert's evidence.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracegrid_engine::{Alert, ReasonCode, SubjectId, TraceStep};
use utoipa::{IntoParams, ToSchema};

use super::{Why, audit};
use crate::AppState;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::live::Live;
use crate::roles::{Action, Principal};
use crate::views::{self, Shown};

/// The city at a glance: counts, by reason, by grid, over time. Nothing about one person.
#[utoipa::path(get, path = "/api/overview", tag = "screening",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn overview(State(state): State<AppState>, p: Principal) -> AppResult<Json<Value>> {
    p.may(Action::ViewOverview)?;
    let live = state.live();
    let w = &live.world;
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_grid: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_date: BTreeMap<String, usize> = BTreeMap::new();
    let mut alerts = 0;
    for a in live.screening.alerts() {
        alerts += 1;
        let mut codes: Vec<&str> = a.reasons.iter().map(|r| r.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        for c in codes {
            *by_reason.entry(c).or_default() += 1;
        }
        *by_grid
            .entry(live.grid_of(a.subject).unwrap_or(""))
            .or_default() += 1;
        if let Some(first) = a.reasons.iter().map(|r| r.at).min() {
            *by_date
                .entry(live.time(first)[..10].to_owned())
                .or_default() += 1;
        }
    }
    let mut cases_by_date: BTreeMap<String, usize> = BTreeMap::new();
    for c in &live.cases {
        *cases_by_date
            .entry(live.time(c.confirmed)[..10].to_owned())
            .or_default() += 1;
    }
    let (from, to) = live.params().window();
    let areas_open = live
        .areas
        .iter()
        .filter(|a| a.to.is_none_or(|t| t >= from) && a.from <= to)
        .count();
    Ok(Json(json!({
        "as_of": live.time(live.params().as_of),
        "window": {"from": live.time(from), "to": live.time(to)},
        "generation": live.generation,
        "counts": {
            "alerts": alerts,
            "cases_active": w.active_cases().len(),
            "cases": live.cases.len(),
            "areas_open": areas_open,
            "persons": live.persons.len(),
            "places": live.places.len(),
            "sightings": w.sighting_count(),
        },
        "by_reason": by_reason.into_iter().map(|(code, n)| json!({"code": code, "alerts": n})).collect::<Vec<_>>(),
        "by_grid": by_grid.into_iter().filter(|(g, _)| !g.is_empty())
            .map(|(g, n)| json!({"grid_code": g, "alerts": n})).collect::<Vec<_>>(),
        "unrouted": live.screening.alerts().filter(|a| live.grid_of(a.subject).is_none()).count(),
        "over_time": by_date.into_iter().map(|(d, n)| json!({"date": d, "alerts": n})).collect::<Vec<_>>(),
        "cases_by_date": cases_by_date.into_iter().map(|(d, n)| json!({"date": d, "cases": n})).collect::<Vec<_>>(),
    })))
}

/// The grids' shapes as GeoJSON (`properties.name` is the grid code).
#[utoipa::path(get, path = "/api/grids.geojson", tag = "screening",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
pub async fn grids(State(state): State<AppState>, p: Principal) -> AppResult<Json<Value>> {
    p.may(Action::ViewOverview)?;
    Ok(Json(state.live().grids.clone()))
}

/// How the list is ordered.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// The contract's order: score, then subject.
    #[default]
    Score,
    /// Earliest reason first.
    FirstAt,
    Subject,
    Grid,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// Only alerts with a reason of this code (CLOSE_CONTACT, EPI_AREA, …).
    pub reason: Option<String>,
    /// Only residents of this grid.
    pub grid: Option<String>,
    /// Only alerts scoring at least this.
    pub min_score: Option<f64>,
    /// Subject or name contains this.
    pub q: Option<String>,
    pub sort: Option<Sort>,
    /// Reverse the order.
    #[serde(default)]
    pub desc: bool,
    #[serde(default)]
    pub offset: usize,
    /// At most 500; default 50.
    pub limit: Option<usize>,
    pub purpose: Option<String>,
    #[serde(default)]
    pub reveal: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage {
    pub as_of: String,
    /// Alerts matching the filters, before paging.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub generation: u64,
    /// Each as `tracegrid screen --json` writes it; ID numbers masked unless revealed.
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<Value>,
}

/// What a reader may see of alerts.
fn shown(p: &Principal, reveal: bool) -> Shown {
    Shown {
        full_ids: reveal,
        links: p.sees_everyone(),
    }
}

fn first_at(a: &Alert) -> i64 {
    a.reasons.iter().map(|r| r.at).min().unwrap_or(0)
}

/// The alerts, filtered, ordered and paged. Grid workers get their own grids' only.
#[utoipa::path(get, path = "/api/alerts", tag = "screening", params(AlertQuery),
    responses((status = 200, body = AlertPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    q: Result<Query<AlertQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Response> {
    let Query(q) = q?;
    p.may(Action::ReadAlerts)?;
    let why = Why {
        purpose: q.purpose.clone(),
        reveal: q.reveal,
    };
    let purpose = why.purpose()?;
    let reveal = why.reveal(&p)?;
    let reason = match &q.reason {
        Some(r) => Some(
            ReasonCode::ALL
                .into_iter()
                .find(|c| c.as_str() == r)
                .ok_or_else(|| AppError::BadRequest(format!("reason {r} is not a reason code")))?,
        ),
        None => None,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let (body, shown_n, total) = {
        let live = state.live();
        let needle = q.q.as_deref().map(str::to_lowercase);
        let wanted = |a: &&Alert| {
            let grid = live.grid_of(a.subject);
            p.sees_grid(grid)
                && q.grid.as_deref().is_none_or(|g| grid == Some(g))
                && q.min_score.is_none_or(|m| a.score >= m)
                && reason.is_none_or(|c| a.reasons.iter().any(|r| r.code == c))
                && needle.as_deref().is_none_or(|n| {
                    live.world
                        .subject_name(a.subject)
                        .to_lowercase()
                        .contains(n)
                        || live
                            .world
                            .person_of(a.subject)
                            .and_then(|x| x.1)
                            .is_some_and(|name| name.contains(n))
                })
        };
        let sort = q.sort.unwrap_or_default();
        // In the screening's own order only the page is gathered; any other order sorts all.
        // A grid worker's list starts from their grids' alerts, not from the whole city's.
        let scoped: Option<Vec<&Alert>> = (!p.sees_everyone()).then(|| {
            live.alerted_in(&p.grids)
                .into_iter()
                .filter_map(|s| live.screening.alert(s))
                .collect()
        });
        let candidates = || -> Box<dyn Iterator<Item = &Alert> + '_> {
            match &scoped {
                Some(list) => Box::new(list.iter().copied()),
                None => Box::new(live.screening.alerts()),
            }
        };
        let unfiltered =
            q.grid.is_none() && q.min_score.is_none() && reason.is_none() && needle.is_none();
        let (total, page): (usize, Vec<&Alert>) =
            if matches!(sort, Sort::Score) && !q.desc && unfiltered {
                // The commonest page, the first of the list, touches only its own alerts.
                let total = scoped.as_ref().map_or(live.screening.len(), Vec::len);
                (total, candidates().skip(q.offset).take(limit).collect())
            } else if matches!(sort, Sort::Score) && !q.desc {
                let mut total = 0;
                let mut page = Vec::with_capacity(limit);
                for a in candidates().filter(wanted) {
                    if total >= q.offset && page.len() < limit {
                        page.push(a);
                    }
                    total += 1;
                }
                (total, page)
            } else {
                let mut hits: Vec<&Alert> = candidates().filter(wanted).collect();
                match sort {
                    Sort::Score => {}
                    Sort::FirstAt => hits.sort_by_key(|a| first_at(a)),
                    Sort::Subject => hits.sort_by_key(|a| live.world.subject_name(a.subject)),
                    Sort::Grid => hits.sort_by_key(|a| live.grid_of(a.subject).unwrap_or("")),
                }
                if q.desc {
                    hits.reverse();
                }
                let total = hits.len();
                (total, hits.into_iter().skip(q.offset).take(limit).collect())
            };
        let t = |ms| live.time(ms);
        let alerts: Vec<views::AlertView<'_>> = page
            .iter()
            .map(|a| views::alert_view(&live.world, a, shown(&p, reveal), &t))
            .collect();
        let out = AlertPageOut {
            alerts,
            as_of: live.time(live.params().as_of),
            generation: live.generation,
            limit,
            offset: q.offset,
            total,
        };
        let body = serde_json::to_vec(&out).map_err(|e| AppError::Internal(e.into()))?;
        (body, out.alerts.len(), total)
    };
    let detail = format!(
        "{shown_n} of {total} from {}{}",
        q.offset,
        if reveal { ", revealed" } else { "" }
    );
    let action = if reveal {
        "alerts.reveal"
    } else {
        "alerts.list"
    };
    audit(&state, &p, action, "alerts", &purpose, detail).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// [`AlertPage`] as it is written, borrowing from the world.
#[derive(Serialize)]
struct AlertPageOut<'a> {
    alerts: Vec<views::AlertView<'a>>,
    as_of: String,
    generation: u64,
    limit: usize,
    offset: usize,
    total: usize,
}

/// A subject in the world that the reader may see, by name.
pub fn visible_subject(live: &Live, p: &Principal, subject: &str) -> AppResult<SubjectId> {
    let s = live
        .world
        .find_subject(subject)
        .ok_or_else(|| AppError::NotFound(format!("{subject} is not known")))?;
    p.must_see_grid(live.grid_of(s), subject)?;
    Ok(s)
}

/// A place as the pages show it.
pub fn place_json(live: &Live, place: u32) -> Value {
    let id = live.world.place_id(place);
    let info = live.places.get(id);
    json!({
        "place_id": id,
        "kind": live.world.place_kind(place).as_str(),
        "name": info.and_then(|i| i.name.as_deref()),
        "lat": info.and_then(|i| i.lat),
        "lon": info.and_then(|i| i.lon),
        "region_code": live.world.place_region(place),
        "grid_code": info.and_then(|i| i.grid_code.as_deref()),
    })
}

/// A stretch of a trajectory, with its place.
pub fn step_json(live: &Live, s: &TraceStep) -> Value {
    json!({
        "place": place_json(live, s.place),
        "start": live.time(s.start),
        "end": live.time(s.end),
        "source": live.world.source_name(s.source),
    })
}

/// The stretches of two trajectories at one place that overlap (within `slack`): the
/// co-presence behind a contact, not every visit.
fn co_present<'a>(
    a: &[&'a TraceStep],
    b: &[&'a TraceStep],
    slack: i64,
) -> (Vec<&'a TraceStep>, Vec<&'a TraceStep>) {
    let meets = |x: &TraceStep, y: &TraceStep| x.start <= y.end + slack && y.start <= x.end + slack;
    let keep_a: Vec<&TraceStep> = a
        .iter()
        .copied()
        .filter(|x| b.iter().any(|y| meets(x, y)))
        .collect();
    let keep_b: Vec<&TraceStep> = b
        .iter()
        .copied()
        .filter(|y| a.iter().any(|x| meets(x, y)))
        .collect();
    (keep_a, keep_b)
}

/// The stretch at `at`, or failing that the one nearest to it.
fn around<'a>(steps: &[&'a TraceStep], at: i64) -> Vec<&'a TraceStep> {
    let during: Vec<&TraceStep> = steps
        .iter()
        .copied()
        .filter(|x| x.start <= at && at <= x.end)
        .collect();
    if !during.is_empty() {
        return during;
    }
    steps
        .iter()
        .copied()
        .min_by_key(|x| (x.start - at).abs().min((x.end - at).abs()))
        .into_iter()
        .collect()
}

/// An alert with its evidence: each reason with the sightings behind it (the subject's, and
/// the case's at the same place), and the subject's trajectory over the window.
#[utoipa::path(get, path = "/api/alerts/{subject}", tag = "screening", params(("subject" = String, Path), Why),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn evidence(
    State(state): State<AppState>,
    p: Principal,
    Path(subject): Path<String>,
    why: Result<Query<Why>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<Value>> {
    let Query(why) = why?;
    p.may(Action::ReadAlerts)?;
    let purpose = why.purpose()?;
    let reveal = why.reveal(&p)?;
    super::check_scope(&state, &p, &subject, "alert", &purpose).await?;
    let body = {
        let live = state.live();
        let s = visible_subject(&live, &p, &subject)?;
        let a = live
            .screening
            .alert(s)
            .ok_or_else(|| AppError::NotFound(format!("{subject} has no alert")))?;
        let shown = shown(&p, reveal);
        let t = |ms| live.time(ms);
        let window = live.params().window();
        let trajectory = live.world.trajectory(s, window);
        let mut case_steps: HashMap<SubjectId, Vec<TraceStep>> = HashMap::new();
        let evidence: Vec<Value> = a
            .reasons
            .iter()
            .map(|r| {
                let mut e = json!({"reason": views::reason_json(&live.world, r, shown, &t)});
                if let Some(pl) = r.place {
                    e["place"] = place_json(&live, pl);
                    let mine: Vec<&TraceStep> =
                        trajectory.iter().filter(|x| x.place == pl).collect();
                    let (mine, theirs) = match r.case {
                        Some(c) => {
                            let steps = case_steps
                                .entry(c)
                                .or_insert_with(|| live.world.trajectory(c, window));
                            let theirs: Vec<&TraceStep> =
                                steps.iter().filter(|x| x.place == pl).collect();
                            let slack = live.world.place_kind(pl).tolerance_ms().unwrap_or(0);
                            co_present(&mine, &theirs, slack)
                        }
                        None => (around(&mine, r.at), Vec::new()),
                    };
                    e["subject_sightings"] = mine.iter().map(|x| step_json(&live, x)).collect();
                    if shown.links && r.case.is_some() {
                        e["case_sightings"] = theirs.iter().map(|x| step_json(&live, x)).collect();
                    }
                }
                e
            })
            .collect();
        json!({
            "alert": views::alert_json(&live.world, a, shown, &t),
            "person": super::people::person_json(&live, s, reveal),
            "evidence": evidence,
            "trajectory": trajectory.iter().map(|x| step_json(&live, x)).collect::<Vec<_>>(),
        })
    };
    let action = if reveal { "alert.reveal" } else { "alert.read" };
    audit(&state, &p, action, &subject, &purpose, String::new()).await?;
    Ok(Json(body))
}
