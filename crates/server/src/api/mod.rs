//! The routes. Every endpoint is a handler with `#[utoipa::path]`, gathered here into one
//! router so that the OpenAPI document at `/api/openapi.json` lists exactly what is served, and
//! every route passes the guard ([`crate::guard`]) before its handler runs. Handlers extract,
//! call the city, and answer; they neither check roles nor write the audit log themselves.

mod admin;
mod alerts;
mod feeds;
mod found;
mod gates;
mod manage;
mod people;
mod resident;
mod session;
mod tasks;
mod uploads;
mod v1;
mod visitors;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth;
use crate::error::{AppError, Key, Msg};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tracegrid",
        description = "The command centre's API: screening, traces, areas, cases, imports, accounts and audit. \
Authenticate with the session cookie from POST /api/session, or with `Authorization: Bearer <token>`. \
Reads of a person's data need `purpose`, which is written to the audit log. \
A change sent by a browser must come from the server's own pages (its Origin is checked). \
Errors have the shape {\"error\": {\"code\", \"message\"}}."
    ),
    tags(
        (name = "session", description = "Log in and out"),
        (name = "screening", description = "Alerts, their evidence, the overview"),
        (name = "people", description = "Persons, places, traces, gates"),
        (name = "manage", description = "Areas, cases, re-screening"),
        (name = "imports", description = "Data drops"),
        (name = "feeds", description = "Live feeds and the screen for machines (CONTRACT.md section 6), and the feeds' state"),
        (name = "admin", description = "Users, tokens, the audit log"),
        (name = "tasks", description = "Grid tasks: lists, outcomes, check-ins, statistics, live changes"),
        (name = "gates", description = "Passes, gates and visitors (CONTRACT.md section 7)"),
        (name = "residents", description = "Residents: sign-in by phone, their pass, health reports, appeals"),
        (name = "system", description = "Health and metrics"),
    )
)]
struct ApiDoc;

/// The documented API: every handler, and the document that describes them.
fn documented() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (api, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(session::login, session::logout))
        .routes(routes!(session::me))
        .routes(routes!(system_health))
        .routes(routes!(alerts::overview))
        .routes(routes!(alerts::grids))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::evidence))
        .routes(routes!(people::person))
        .routes(routes!(people::place))
        .routes(routes!(people::trace))
        .routes(routes!(people::gate_check))
        .routes(routes!(manage::areas, manage::add_area))
        .routes(routes!(manage::end_area))
        .routes(routes!(manage::cases, manage::add_case))
        .routes(routes!(found::found_first))
        .routes(routes!(manage::rescreen))
        .routes(routes!(uploads::upload, uploads::list))
        .routes(routes!(uploads::status))
        .routes(routes!(uploads::rejects))
        .routes(routes!(v1::feed))
        .routes(routes!(v1::screen))
        .routes(routes!(feeds::status))
        .routes(routes!(feeds::rejects))
        .routes(routes!(feeds::rejects_csv))
        .routes(routes!(admin::users, admin::add_user))
        .routes(routes!(admin::add_token))
        .routes(routes!(admin::choices))
        .routes(routes!(admin::change_user))
        .routes(routes!(admin::disable_user))
        .routes(routes!(admin::set_password))
        .routes(routes!(admin::tokens, admin::add_user_token))
        .routes(routes!(admin::revoke_token))
        .routes(routes!(admin::audit_log))
        .routes(routes!(tasks::list))
        .routes(routes!(tasks::stats))
        .routes(routes!(tasks::get))
        .routes(routes!(tasks::accept))
        .routes(routes!(tasks::outcome))
        .routes(routes!(tasks::reassign))
        .routes(routes!(tasks::checkin))
        .routes(routes!(tasks::events))
        .routes(routes!(tasks::residents))
        .routes(routes!(tasks::add_photo))
        .routes(routes!(tasks::photo))
        .routes(routes!(gates::pass_keys))
        .routes(routes!(gates::pass))
        .routes(routes!(gates::scan))
        .routes(routes!(gates::rotate))
        .routes(routes!(gates::status_grids))
        .routes(routes!(gates::gate_day))
        .routes(routes!(resident::ask_code))
        .routes(routes!(resident::issue_code))
        .routes(routes!(resident::login))
        .routes(routes!(resident::me))
        .routes(routes!(resident::member_pass))
        .routes(routes!(resident::health))
        .routes(routes!(resident::appeal))
        .routes(routes!(visitors::register))
        .routes(routes!(visitors::at_gate))
        .routes(routes!(visitors::poster))
        .split_for_parts();
    declare_refusals(&mut doc);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
    );
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    (api, doc)
}

/// The routes beside the documented API: the document itself, the metrics, the pages.
fn undocumented(doc: utoipa::openapi::OpenApi) -> Vec<(String, MethodRouter<AppState>)> {
    let doc = std::sync::Arc::new(doc);
    let mut own: Vec<(String, MethodRouter<AppState>)> = vec![
        (
            "/api/openapi.json".into(),
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        ),
        ("/metrics".into(), get(metrics_text)),
    ];
    own.extend(crate::pages::routes());
    own
}

/// Every route the router serves, as `METHOD /pattern`: the documented API's and the others.
/// The every-route test calls each of them as every role.
pub fn route_list() -> Vec<String> {
    let (_, doc) = documented();
    let mut list: Vec<String> = doc
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("DELETE", item.delete.is_some()),
            ]
            .into_iter()
            .filter(|(_, served)| *served)
            .map(move |(m, _)| format!("{m} {path}"))
        })
        .collect();
    list.extend(
        undocumented(doc)
            .into_iter()
            .map(|(path, _)| format!("GET {path}")),
    );
    list.sort();
    list
}

/// The whole service: API, pages, health, metrics.
pub fn router(state: AppState) -> axum::Router {
    let (api, doc) = documented();
    undocumented(doc)
        .into_iter()
        .fold(api, |r, (path, answer)| r.route(&path, answer))
        // After every route: the guard wraps each of them, and only them.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::guard::guard,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(axum::middleware::from_fn(security_headers))
        // The guard limits each route's body itself.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}

/// The statuses the guard itself answers on a route, from its rule: declared in the document
/// beside each handler's own, so that every error an endpoint can give is there.
fn guard_statuses(rule: &crate::guard::Rule, method: &str) -> Vec<(u16, &'static str)> {
    use crate::guard::{Purpose, Scope, Takes, Who};
    let mut out = vec![
        (
            403,
            "Refused: a role or scope the route does not admit, or a page of another site",
        ),
        (413, "The body is larger than the route takes"),
        (
            500,
            "Internal error (its cause is in the server's log only)",
        ),
    ];
    if rule.who != Who::Anyone {
        out.push((401, "Log in first: no session or token, or an expired one"));
    }
    let body = method != "get";
    if body {
        out.push((415, "A body of a type the route does not read"));
    }
    if rule.purpose == Purpose::Required
        || rule.scope == Scope::Task
        || (body && rule.takes != Takes::None)
    {
        out.push((400, "A bad request: a missing purpose, a bad id or body"));
    }
    if matches!(rule.scope, Scope::Subject | Scope::Task | Scope::Grid) {
        out.push((
            404,
            "Not known, or outside the user's grids (the same answer for both)",
        ));
    }
    out
}

/// Adds to each operation of `doc` the refusals its guard rule can answer.
fn declare_refusals(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Ref, RefOr, ResponseBuilder};
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("delete", item.delete.as_mut()),
            ("put", item.put.as_mut()),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let Some(rule) =
                crate::guard::rule_for(&method.to_uppercase().parse().unwrap_or_default(), path)
            else {
                continue;
            };
            for (status, why) in guard_statuses(&rule, method) {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(why)
                                .content(
                                    "application/json",
                                    utoipa::openapi::Content::new(Some(Ref::from_schema_name(
                                        "ErrorBody",
                                    ))),
                                )
                                .build(),
                        )
                    });
            }
        }
    }
}

/// Headers every answer carries: no sniffing of content types, no referrer leaving the page
/// (paths name people), and no caching of the API's answers.
async fn security_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let api = path.starts_with("/api/") || path == "/healthz" || path == "/metrics";
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let stored = h
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    if api && !stored {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Whether the server answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` while a feed the server was asked to consume is down (it serves,
    /// and takes that feed again once its broker is back).
    pub status: &'static str,
    /// Bumped by every change of the city.
    pub generation: u64,
    pub sightings: usize,
    /// The feed routes the server consumes, and whether each is connected.
    pub feeds: Vec<FeedHealth>,
}

/// One feed route's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedHealth {
    /// http, mqtt or nats.
    pub route: &'static str,
    pub connected: bool,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Health: the server answers and its city is loaded; which feeds are up.
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses((status = 200, description = "Serving", body = Health)))]
async fn system_health(State(state): State<AppState>) -> axum::Json<Health> {
    let feeds: Vec<FeedHealth> = state
        .city
        .feed_status()
        .routes
        .into_iter()
        .filter(|r| r.configured)
        .map(|r| FeedHealth {
            route: r.route.as_str(),
            connected: r.connected,
            detail: (!r.connected).then_some(r.detail).flatten(),
        })
        .collect();
    let city = state.live();
    axum::Json(Health {
        status: if feeds.iter().all(|f| f.connected) {
            "ok"
        } else {
            "degraded"
        },
        generation: city.generation,
        sightings: city.world.sighting_count(),
        feeds,
    })
}

async fn metrics_text(State(state): State<AppState>) -> String {
    // What is measured by looking, not by counting: the feeds' queue and routes.
    let feeds = state.city.feed_status();
    metrics::gauge!("tracegrid_feed_queue_messages").set(feeds.queued_messages as f64);
    metrics::gauge!("tracegrid_feed_queue_bytes").set(feeds.queued_bytes as f64);
    metrics::gauge!("tracegrid_feed_oldest_wait_seconds").set(feeds.oldest_wait_ms as f64 / 1000.0);
    for r in feeds.routes.iter().filter(|r| r.configured) {
        metrics::gauge!("tracegrid_feed_up", "route" => r.route.as_str()).set(if r.connected {
            1.0
        } else {
            0.0
        });
    }
    // Several sources may feed one kind by one route: the newest message of any of them.
    let mut newest = std::collections::BTreeMap::<(&str, &str), i64>::new();
    for f in &feeds.feeds {
        let last = newest
            .entry((f.route.as_str(), &f.kind))
            .or_insert(i64::MIN);
        *last = (*last).max(f.last_received_ms);
    }
    for ((route, kind), last) in newest {
        let age = (tracegrid_city::now_ms() - last).max(0) as f64 / 1000.0;
        metrics::gauge!("tracegrid_feed_last_message_age_seconds", "route" => route, "kind" => kind.to_owned())
            .set(age);
    }
    state.metrics.render()
}

async fn not_found(uri: axum::http::Uri) -> AppError {
    AppError::NotFound(Msg::new(Key::NothingHere).param("path", uri.path()))
}
