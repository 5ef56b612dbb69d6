//! Users, machine tokens and the audit log: the administrator's.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tracegrid_store::AuditQuery;
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Json as Body, Query};
use crate::guard::{Access, AuditNote};
use crate::roles::Role;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub grids: Vec<String>,
    pub gates: Vec<String>,
    pub disabled: bool,
}

async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut tracegrid_store::Accounts) -> Result<T, tracegrid_store::StoreError>
    + Send
    + 'static,
) -> AppResult<T> {
    let accounts = state.accounts.clone();
    crate::state::blocking(move || f(&mut accounts.lock().unwrap_or_else(|e| e.into_inner()))).await
}

/// Every user.
#[utoipa::path(get, path = "/api/users", tag = "admin",
    responses((status = 200, body = Vec<UserView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn users(State(state): State<AppState>, _: Access) -> AppResult<Json<Vec<UserView>>> {
    let users = blocking(&state, |a| a.users()).await?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| UserView {
                id: u.id,
                username: u.username,
                role: u.role,
                grids: u.grids,
                gates: u.gates,
                disabled: u.disabled,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserBody {
    pub username: String,
    pub password: String,
    /// admin, analyst, epidemiologist, grid_worker, gate_guard, viewer or feeder.
    pub role: String,
    #[serde(default)]
    pub grids: Vec<String>,
    #[serde(default)]
    pub gates: Vec<String>,
}

/// A user added.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserAdded {
    pub id: i64,
    pub username: String,
}

/// Adds a user.
#[utoipa::path(post, path = "/api/users", tag = "admin", request_body = NewUserBody,
    responses((status = 201, body = UserAdded), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn add_user(
    State(state): State<AppState>,
    _: Access,
    Body(b): Body<NewUserBody>,
) -> AppResult<Response> {
    let role = Role::parse(&b.role)
        .ok_or_else(|| AppError::BadRequest(format!("role {}: not a role", b.role)))?;
    let db = state.config.db.clone();
    let name = b.username.clone();
    let id = tokio::task::spawn_blocking(move || {
        crate::auth::add_user(&db, &b.username, &b.password, role, &b.grids, &b.gates)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| match e.downcast::<tracegrid_store::StoreError>() {
        Ok(e) => AppError::from(e),
        Err(e) => AppError::BadRequest(e.to_string()),
    })?;
    Ok((
        StatusCode::CREATED,
        AuditNote::on(&name, role.as_str()),
        Json(UserAdded { id, username: name }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    /// What the token is for (a feed, a gate device).
    pub name: String,
    /// The user it acts as.
    pub username: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenIssued {
    /// Shown this once; only its hash is kept.
    pub token: String,
}

/// Issues a machine token acting as a user.
#[utoipa::path(post, path = "/api/tokens", tag = "admin", request_body = NewToken,
    responses((status = 201, body = TokenIssued), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn add_token(
    State(state): State<AppState>,
    _: Access,
    Body(b): Body<NewToken>,
) -> AppResult<Response> {
    let token = crate::auth::new_token("tgt_")?;
    let hash = crate::auth::token_hash(&token);
    let (user, name) = (b.username.clone(), b.name.clone());
    let issued = blocking(&state, move |a| {
        let Some(u) = a.user_by_name(&user)? else {
            return Ok(false);
        };
        a.create_token(&hash, &name, u.id, crate::auth::now_ms())?;
        Ok(true)
    })
    .await?;
    if !issued {
        return Err(AppError::NotFound(format!(
            "there is no user {}",
            b.username
        )));
    }
    Ok((
        StatusCode::CREATED,
        AuditNote::on(&b.username, b.name),
        Json(TokenIssued { token }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Entries older than this id (paging).
    pub before: Option<i64>,
    pub username: Option<String>,
    /// A subject, area or import id.
    pub target: Option<String>,
    /// At most 1000; default 100.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub username: String,
    pub action: String,
    pub target: String,
    pub purpose: String,
    pub detail: String,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/audit", tag = "admin", params(AuditParams),
    responses((status = 200, body = Vec<AuditView>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn audit_log(
    State(state): State<AppState>,
    _: Access,
    Query(q): Query<AuditParams>,
) -> AppResult<Json<Vec<AuditView>>> {
    let query = AuditQuery {
        before: q.before,
        username: q.username,
        target: q.target,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
    };
    let rows = blocking(&state, move |a| a.audit(&query)).await?;
    let live = state.live();
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditView {
                id: r.id,
                at: live.time(r.entry.at),
                username: r.entry.username,
                action: r.entry.action,
                target: r.entry.target,
                purpose: r.entry.purpose,
                detail: r.entry.detail,
            })
            .collect(),
    ))
}
