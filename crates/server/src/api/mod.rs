//! The routes. Every endpoint is a handler with `#[utoipa::path]`, gathered here into one
//! router so that the OpenAPI document at `/api/openapi.json` lists exactly what is served, and
//! every route passes the guard ([`crate::guard`]) before its handler runs. Handlers extract,
//! call the city, and answer; they neither check roles nor write the audit log themselves.

mod admin;
mod alerts;
mod manage;
mod people;
mod session;
mod tasks;
mod uploads;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth;
use crate::error::AppError;
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
        (name = "admin", description = "Users, tokens, the audit log"),
        (name = "tasks", description = "Grid tasks: lists, outcomes, check-ins, statistics, live changes"),
        (name = "system", description = "Health and metrics"),
    )
)]
struct ApiDoc;

/// The whole service: API, pages, health, metrics.
pub fn router(state: AppState) -> axum::Router {
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
        .routes(routes!(manage::rescreen))
        .routes(routes!(uploads::upload, uploads::list))
        .routes(routes!(uploads::status))
        .routes(routes!(uploads::rejects))
        .routes(routes!(admin::users, admin::add_user))
        .routes(routes!(admin::add_token))
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
        .split_for_parts();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
    );
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    let doc = std::sync::Arc::new(doc);
    api.route(
        "/api/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc.as_ref().clone()) }
        }),
    )
    .route("/metrics", get(metrics_text))
    .merge(crate::pages::router())
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
    if api && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Whether the server answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// Bumped by every change of the city.
    pub generation: u64,
    pub sightings: usize,
}

/// Health: the server answers and its city is loaded.
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses((status = 200, description = "Serving", body = Health)))]
async fn system_health(State(state): State<AppState>) -> axum::Json<Health> {
    let city = state.live();
    axum::Json(Health {
        status: "ok",
        generation: city.generation,
        sightings: city.world.sighting_count(),
    })
}

async fn metrics_text(State(state): State<AppState>) -> String {
    state.metrics.render()
}

async fn not_found(uri: axum::http::Uri) -> AppError {
    AppError::NotFound(format!("nothing is served at {}", uri.path()))
}
