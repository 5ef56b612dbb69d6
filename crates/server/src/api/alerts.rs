//! The overview, the grid map, the alert list and an alert's evidence.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracegrid_city::views::{self, AlertView, ReasonView, Shown, WindowView};
use tracegrid_engine::{Alert, ReasonCode, SubjectId, TraceStep};
use utoipa::{IntoParams, ToSchema};

use super::people::{PlaceNote, place_notes};
use crate::error::{AppError, AppResult, ErrorBody, Key, Msg};
use crate::extract::{Path, Query};
use crate::guard::{Access, AuditNote, Why};
use crate::state::AppState;
use crate::views::{PersonView, PlaceView, SightingView, person, place, sighting};

/// The city's counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Counts {
    pub alerts: usize,
    pub cases_active: usize,
    pub cases: usize,
    pub areas_open: usize,
    pub persons: usize,
    pub places: usize,
    pub sightings: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonCount {
    pub code: &'static str,
    /// Alerts with at least one reason of this code.
    pub alerts: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GridCount {
    pub grid_code: String,
    pub alerts: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DateCount {
    /// A local date, `YYYY-MM-DD`.
    pub date: String,
    /// Alerts whose earliest reason falls on it.
    pub alerts: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DateCases {
    pub date: String,
    /// Cases confirmed that day.
    pub cases: usize,
}

/// The city at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    pub as_of: String,
    pub window: WindowView,
    pub generation: u64,
    pub counts: Counts,
    pub by_reason: Vec<ReasonCount>,
    pub by_grid: Vec<GridCount>,
    /// Alerts of subjects with no grid of residence.
    pub unrouted: usize,
    pub over_time: Vec<DateCount>,
    pub cases_by_date: Vec<DateCases>,
    /// `city`, or `grids` when the alerts' figures (the count, by reason, by grid, over time)
    /// are of the reader's grids only, as a grid worker's alert list is; the rest stays the
    /// city's.
    pub scope: &'static str,
}

/// The city at a glance: counts, by reason, by grid, over time. Nothing about one person. A grid
/// worker's alert figures are of their own grids, so that they agree with their alert list.
#[utoipa::path(get, path = "/api/overview", tag = "screening",
    responses((status = 200, body = Overview), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn overview(State(state): State<AppState>, access: Access) -> axum::Json<Overview> {
    let p = &access.principal;
    let city = state.live();
    let w = &city.world;
    let mut by_reason: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut by_grid: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_date: BTreeMap<String, usize> = BTreeMap::new();
    let mut alerts = 0;
    let mut unrouted = 0;
    // A grid worker's alerts are those of their list (a cadre's community holds its grids).
    let mine: Option<std::collections::HashSet<_>> =
        (!p.sees_everyone()).then(|| city.alerted_in(&p.grids).into_iter().collect());
    for a in city.screening.alerts() {
        if mine.as_ref().is_some_and(|m| !m.contains(&a.subject)) {
            continue;
        }
        alerts += 1;
        let mut codes: Vec<&'static str> = a.reasons.iter().map(|r| r.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        for c in codes {
            *by_reason.entry(c).or_default() += 1;
        }
        match city.grid_of(a.subject) {
            Some(g) => *by_grid.entry(g).or_default() += 1,
            None => unrouted += 1,
        }
        if let Some(first) = a.reasons.iter().map(|r| r.at).min() {
            *by_date
                .entry(city.time(first)[..10].to_owned())
                .or_default() += 1;
        }
    }
    let mut cases_by_date: BTreeMap<String, usize> = BTreeMap::new();
    for c in &city.cases {
        *cases_by_date
            .entry(city.time(c.confirmed)[..10].to_owned())
            .or_default() += 1;
    }
    let (from, to) = city.params().window();
    axum::Json(Overview {
        as_of: city.time(city.params().as_of),
        window: WindowView {
            from: city.time(from),
            to: city.time(to),
        },
        generation: city.generation,
        counts: Counts {
            alerts,
            cases_active: w.active_cases().len(),
            cases: city.cases.len(),
            areas_open: city.areas.iter().filter(|a| city.in_window(a)).count(),
            persons: city.persons.len(),
            places: city.places.len(),
            sightings: w.sighting_count(),
        },
        by_reason: by_reason
            .into_iter()
            .map(|(code, alerts)| ReasonCount { code, alerts })
            .collect(),
        by_grid: by_grid
            .into_iter()
            .map(|(g, alerts)| GridCount {
                grid_code: g.to_owned(),
                alerts,
            })
            .collect(),
        unrouted,
        scope: if p.sees_everyone() { "city" } else { "grids" },
        over_time: by_date
            .into_iter()
            .map(|(date, alerts)| DateCount { date, alerts })
            .collect(),
        cases_by_date: cases_by_date
            .into_iter()
            .map(|(date, cases)| DateCases { date, cases })
            .collect(),
    })
}

/// A GeoJSON geometry (WGS84): a Polygon or MultiPolygon.
#[derive(Debug, Serialize, ToSchema)]
pub struct Geometry {
    /// `Polygon` or `MultiPolygon`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Rings of `[lon, lat]` positions, nested as GeoJSON nests them for the type.
    #[schema(value_type = Vec<Value>)]
    pub coordinates: Vec<Value>,
}

/// A region on the map, from the regions registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridProperties {
    /// The region code.
    pub code: String,
    /// The region's name.
    pub name: String,
    /// province, city, county, town, community, grid or other.
    pub level: String,
    /// The region above it, for building the tree (city → county → town → community → grid).
    pub parent_code: Option<String>,
}

/// One region's shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridFeature {
    /// `Feature`.
    #[serde(rename = "type")]
    pub kind: String,
    pub properties: GridProperties,
    pub geometry: Geometry,
}

/// A GeoJSON FeatureCollection of the regions' shapes, every level that grids.geojson gave.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridShapes {
    /// `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    pub features: Vec<GridFeature>,
}

/// The regions' shapes as GeoJSON, every level grids.geojson gave (a map draws the grids, and
/// the counties, towns and communities around them); coordinates rounded to about a metre.
#[utoipa::path(get, path = "/api/grids.geojson", tag = "screening",
    responses((status = 200, body = GridShapes), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn grids(State(state): State<AppState>, _: Access) -> axum::Json<Value> {
    axum::Json(state.live().grids.clone())
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
}

/// A page of alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage<'a> {
    /// Each as `tracegrid screen --json` writes it; ID numbers, phones and plates masked unless
    /// revealed.
    pub alerts: Vec<AlertView<'a>>,
    pub as_of: String,
    pub generation: u64,
    pub limit: usize,
    pub offset: usize,
    /// Alerts matching the filters, before paging.
    pub total: usize,
}

/// What a reader may see of alerts.
fn shown(access: &Access) -> Shown {
    Shown {
        full_ids: access.reveal,
        links: access.principal.sees_everyone(),
    }
}

fn first_at(a: &Alert) -> i64 {
    a.reasons.iter().map(|r| r.at).min().unwrap_or(0)
}

/// The alerts, filtered, ordered and paged. Grid workers get their own grids' only.
#[utoipa::path(get, path = "/api/alerts", tag = "screening", params(AlertQuery, Why),
    responses((status = 200, body = AlertPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    access: Access,
    Query(q): Query<AlertQuery>,
) -> AppResult<Response> {
    let p = &access.principal;
    let reason = match &q.reason {
        Some(r) => Some(
            ReasonCode::ALL
                .into_iter()
                .find(|c| c.as_str() == r)
                .ok_or_else(|| {
                    AppError::BadRequest(Msg::new(Key::UnknownReason).param("reason", r))
                })?,
        ),
        None => None,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let city = state.live();
    let needle = q.q.as_deref().map(str::to_lowercase);
    let wanted = |a: &&Alert| {
        let grid = city.grid_of(a.subject);
        p.sees_grid(grid)
            && q.grid.as_deref().is_none_or(|g| grid == Some(g))
            && q.min_score.is_none_or(|m| a.score >= m)
            && reason.is_none_or(|c| a.reasons.iter().any(|r| r.code == c))
            // Matched against what the reader sees: a search on hidden digits would show them.
            && needle.as_deref().is_none_or(|n| {
                views::subject_name(&city.world, a.subject, shown(&access))
                    .0
                    .to_lowercase()
                    .contains(n)
                    || city
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
        city.alerted_in(&p.grids)
            .into_iter()
            .filter_map(|s| city.screening.alert(s))
            .collect()
    });
    let candidates = || -> Box<dyn Iterator<Item = &Alert> + '_> {
        match &scoped {
            Some(list) => Box::new(list.iter().copied()),
            None => Box::new(city.screening.alerts()),
        }
    };
    let unfiltered =
        q.grid.is_none() && q.min_score.is_none() && reason.is_none() && needle.is_none();
    let (total, page): (usize, Vec<&Alert>) =
        if matches!(sort, Sort::Score) && !q.desc && unfiltered {
            // The commonest page, the first of the list, touches only its own alerts.
            let total = scoped.as_ref().map_or(city.screening.len(), Vec::len);
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
                // By the name as the reader sees it: an order by hidden digits would show them.
                Sort::Subject => hits.sort_by_cached_key(|a| {
                    views::subject_name(&city.world, a.subject, shown(&access)).0
                }),
                Sort::Grid => hits.sort_by_key(|a| city.grid_of(a.subject).unwrap_or("")),
            }
            if q.desc {
                hits.reverse();
            }
            let total = hits.len();
            (total, hits.into_iter().skip(q.offset).take(limit).collect())
        };
    let t = |ms| city.time(ms);
    let out = AlertPage {
        alerts: page
            .iter()
            .map(|a| views::alert_view(&city.world, a, shown(&access), &t))
            .collect(),
        as_of: city.time(city.params().as_of),
        generation: city.generation,
        limit,
        offset: q.offset,
        total,
    };
    let body = serde_json::to_vec(&out).map_err(|e| AppError::Internal(e.into()))?;
    let detail = format!(
        "{} of {total} from {}{}",
        out.alerts.len(),
        q.offset,
        if access.reveal { ", revealed" } else { "" }
    );
    Ok((
        AuditNote::detail(detail),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// One reason of an alert with the sightings behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Evidence<'a> {
    pub reason: ReasonView<'a>,
    /// Where (absent for a household contact or a delivery).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<PlaceView>,
    /// The subject's stretches at the place: those overlapping the case's, for a contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_sightings: Option<Vec<SightingView>>,
    /// The case's stretches at the place (not shown to a grid worker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_sightings: Option<Vec<SightingView>>,
    /// For a secondary contact at a place: the stretches there of the close contact it came
    /// through (not shown to a grid worker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_sightings: Option<Vec<SightingView>>,
    /// The status of the case behind a contact reason: suspected, confirmed or asymptomatic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_status: Option<&'static str>,
    /// For a contact at a place: when the two were there together at the reason's time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub together: Option<Together>,
    /// The epidemic area of an EPI_AREA or DELIVERY_FROM_AREA reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<AreaNote>,
    /// For an OUTSIDE_ARRIVAL: the subject's last stretch with a region before arriving, which
    /// lies outside the home region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrived_from: Option<SightingView>,
}

/// Two stretches at one place that make a contact: from the later arrival to the earlier
/// departure.
#[derive(Debug, Serialize, ToSchema)]
pub struct Together {
    /// The contact time: the later of the two arrivals.
    pub from: String,
    /// The earlier of the two departures: before `from` when they missed each other by less
    /// than the place's tolerance (15 minutes at a shop).
    pub to: String,
    /// Whole minutes both were there (0 when they missed each other).
    pub minutes: i64,
    /// Whole minutes between one leaving and the other arriving, when they missed each other.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apart_minutes: Option<i64>,
}

/// An epidemic area as a reason names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaNote {
    pub area_id: String,
    pub name: Option<String>,
    /// high, medium or low.
    pub risk: &'static str,
    /// The name of the area's region, for an area drawn over one.
    pub region_name: Option<String>,
}

/// An alert with its evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertEvidence<'a> {
    pub alert: AlertView<'a>,
    pub person: Option<PersonView>,
    pub evidence: Vec<Evidence<'a>>,
    /// The subject's trajectory over the window.
    pub trajectory: Vec<SightingView>,
    /// What names the places of the evidence and the trajectory apart, by place_id.
    pub places: BTreeMap<String, PlaceNote>,
}

/// When the two were together at the reason's time `at`: of the pairs of stretches that meet,
/// the one whose contact time is nearest to it (the case's stretches here are not cut to its
/// exposure window, so an earlier pair may be one the rules did not count).
fn together(
    a: &[&TraceStep],
    b: &[&TraceStep],
    slack: i64,
    at: i64,
    t: &dyn Fn(i64) -> String,
) -> Option<Together> {
    let (x, y) = a
        .iter()
        .flat_map(|x| b.iter().map(move |y| (*x, *y)))
        .filter(|(x, y)| x.start <= y.end + slack && y.start <= x.end + slack)
        .min_by_key(|(x, y)| (x.start.max(y.start) - at).abs())?;
    let (from, to) = (x.start.max(y.start), x.end.min(y.end));
    const MINUTE: i64 = 60_000;
    Some(Together {
        from: t(from),
        to: t(to),
        minutes: (to - from).max(0) / MINUTE,
        apart_minutes: (to < from).then(|| (from - to + MINUTE - 1) / MINUTE),
    })
}

/// The status of case `s` as the cases list holds it last.
fn case_status(city: &tracegrid_city::City, s: SubjectId) -> Option<&'static str> {
    city.cases
        .iter()
        .rev()
        .find(|c| city.find_subject(&c.subject) == Some(s))
        .map(|c| c.status.as_str())
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
#[utoipa::path(get, path = "/api/alerts/{subject}", tag = "screening",
    params(("subject" = String, Path, description = "person_id, id_number, TYPE:VALUE or the ref of a masked subject"), Why),
    responses((status = 200, body = AlertEvidence), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn evidence(
    State(state): State<AppState>,
    access: Access,
    Path(subject): Path<String>,
) -> AppResult<Response> {
    let Some((s, _)) = access.subject.clone() else {
        return Err(AppError::NotFound(
            Msg::new(Key::UnknownSubject).param("subject", &subject),
        ));
    };
    let city = state.live();
    let a = city
        .screening
        .alert(s)
        .ok_or_else(|| AppError::NotFound(Msg::new(Key::NoAlert).param("subject", &subject)))?;
    let shown = shown(&access);
    let t = |ms| city.time(ms);
    let window = city.params().window();
    let trajectory = city.world.trajectory(s, window);
    let mut case_steps: HashMap<SubjectId, Vec<TraceStep>> = HashMap::new();
    let evidence: Vec<Evidence<'_>> = a
        .reasons
        .iter()
        .map(|r| {
            let mut e = Evidence {
                reason: views::reason_view(&city.world, r, shown, &t),
                place: None,
                subject_sightings: None,
                case_sightings: None,
                via_sightings: None,
                case_status: r.case.and_then(|c| case_status(&city, c)),
                together: None,
                area: r.area.and_then(|ar| {
                    let id = city.world.area_id(ar);
                    let row = city.areas.iter().find(|x| x.area_id == id)?;
                    Some(AreaNote {
                        area_id: id.to_owned(),
                        name: row.name.clone(),
                        risk: row.risk.as_str(),
                        region_name: row
                            .region_code
                            .as_deref()
                            .and_then(|c| city.region_names.get(c))
                            .cloned(),
                    })
                }),
                arrived_from: None,
            };
            if let Some(pl) = r.place {
                e.place = Some(place(&city, pl));
                let mine: Vec<&TraceStep> = trajectory.iter().filter(|x| x.place == pl).collect();
                // A secondary contact met the close contact it came through, not the case.
                let met = match r.code {
                    ReasonCode::SecondaryContact => r.via,
                    _ => r.case,
                };
                let (mine, theirs) = match met {
                    Some(c) => {
                        let steps = case_steps
                            .entry(c)
                            .or_insert_with(|| city.world.trajectory(c, window));
                        let theirs: Vec<&TraceStep> =
                            steps.iter().filter(|x| x.place == pl).collect();
                        let slack = city.world.place_kind(pl).tolerance_ms().unwrap_or(0);
                        e.together = together(&mine, &theirs, slack, r.at, &t);
                        co_present(&mine, &theirs, slack)
                    }
                    None => (around(&mine, r.at), Vec::new()),
                };
                e.subject_sightings = Some(mine.iter().map(|x| sighting(&city, x)).collect());
                let theirs = || Some(theirs.iter().map(|x| sighting(&city, x)).collect());
                match r.code {
                    _ if !shown.links || met.is_none() => {}
                    ReasonCode::SecondaryContact => e.via_sightings = theirs(),
                    _ => e.case_sightings = theirs(),
                }
                if r.code == ReasonCode::OutsideArrival {
                    // Between the stretch outside and this first one inside, every stretch with
                    // a region lies outside: the last before it is where the subject came from.
                    e.arrived_from = trajectory
                        .iter()
                        .filter(|x| x.start < r.at && city.world.place_region(x.place).is_some())
                        .max_by_key(|x| x.start)
                        .map(|x| sighting(&city, x));
                }
            }
            e
        })
        .collect();
    let trajectory: Vec<SightingView> = trajectory.iter().map(|x| sighting(&city, x)).collect();
    let places = place_notes(
        &city,
        trajectory
            .iter()
            .map(|x| &x.place)
            .chain(evidence.iter().flat_map(|e| {
                e.place
                    .iter()
                    .chain(e.arrived_from.iter().map(|x| &x.place))
            })),
    );
    let out = AlertEvidence {
        alert: views::alert_view(&city.world, a, shown, &t),
        person: person(&city, s, access.reveal),
        evidence,
        trajectory,
        places,
    };
    Ok(axum::Json(out).into_response())
}
