//! The routes. Every endpoint is a handler with `#[utoipa::path]`, gathered here into one
//! router so that the OpenAPI document at `/api/openapi.json` lists exactly what is served.
//! Handlers check their role first ([`Principal::may`]), then scope, then write the audit entry
//! of a read before answering.

mod admin;
mod alerts;
mod manage;
mod people;
mod session;
mod tasks;
mod uploads;

use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use serde::Deserialize;
use tracegrid_store::AuditEntry;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{AppError, AppResult};
use crate::roles::Principal;
use crate::{AppState, auth};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tracegrid",
        description = "The command centre's API: screening, traces, areas, cases, imports, accounts and audit. \
Authenticate with the session cookie from POST /api/session, or with `Authorization: Bearer <token>`. \
Reads of a person's data need `purpose`, which is written to the audit log. \
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

/// Why a person's data is read, and whether full numbers are wanted.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Why {
    /// Why you are looking (written to the audit log). Required for reads of persons' data.
    pub purpose: Option<String>,
    /// Show full ID numbers and phones (roles that may; the showing is audited).
    #[serde(default)]
    pub reveal: bool,
}

impl Why {
    /// The stated purpose, or an error saying to state one.
    pub fn purpose(&self) -> AppResult<String> {
        let p = self.purpose.as_deref().map(str::trim).unwrap_or("");
        if p.is_empty() {
            return Err(AppError::PurposeRequired);
        }
        Ok(p.chars().take(200).collect())
    }

    /// Whether full numbers are shown: asked for and allowed.
    pub fn reveal(&self, p: &Principal) -> AppResult<bool> {
        if self.reveal && !p.may_reveal() {
            return Err(AppError::Forbidden(format!(
                "a {} may not see full ID numbers",
                p.role.as_str()
            )));
        }
        Ok(self.reveal)
    }
}

/// Runs blocking work (the store, files) on the blocking threads and waits for its answer.
pub async fn blocking<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> AppResult<T>
where
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(Into::into)
}

/// Writes one audit entry; returns once it is committed.
pub async fn audit(
    state: &AppState,
    p: &Principal,
    action: &str,
    target: &str,
    purpose: &str,
    detail: String,
) -> AppResult<()> {
    state
        .audit
        .write(AuditEntry {
            at: auth::now_ms(),
            user_id: Some(p.user_id),
            username: p.username.clone(),
            action: action.into(),
            target: target.into(),
            purpose: purpose.into(),
            detail,
        })
        .await
}

/// Fails when `subject` is outside the reader's grids, and writes the refused attempt to the
/// audit log (`<action>.denied`): who tried to look at whom is itself worth answering for.
pub async fn check_scope(
    state: &AppState,
    p: &Principal,
    subject: &str,
    action: &str,
    purpose: &str,
) -> AppResult<()> {
    let scope = {
        let live = state.live();
        alerts::visible_subject(&live, p, subject).map(|_| ())
    };
    if let Err(AppError::OutOfScope(_)) = &scope {
        audit(
            state,
            p,
            &format!("{action}.denied"),
            subject,
            purpose,
            String::new(),
        )
        .await?;
    }
    scope
}

/// The whole service: API, pages, health, metrics.
pub fn router(state: AppState) -> axum::Router {
    let upload_limit = state.config.max_upload_mb.saturating_mul(1 << 20);
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
            async move { Json(doc.as_ref().clone()) }
        }),
    )
    .route("/metrics", get(metrics_text))
    .merge(crate::pages::router())
    .fallback(not_found)
    .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
    .layer(axum::middleware::from_fn(crate::metrics::track))
    .layer(DefaultBodyLimit::max(upload_limit))
    .with_state(state)
}

/// Health: the server answers and its city is loaded.
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses((status = 200, description = "Serving", body = Object)))]
async fn system_health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Json<serde_json::Value> {
    let live = state.live();
    Json(serde_json::json!({
        "status": "ok",
        "generation": live.generation,
        "sightings": live.world.sighting_count(),
    }))
}

async fn metrics_text(axum::extract::State(state): axum::extract::State<AppState>) -> String {
    state.metrics.render()
}

async fn not_found(uri: axum::http::Uri) -> AppError {
    AppError::NotFound(format!("nothing is served at {}", uri.path()))
}
