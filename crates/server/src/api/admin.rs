//! Users, machine tokens and the audit log: the administrator's.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tracegrid_store::AuditQuery;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::roles::{Action, Principal, Role};

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
    super::blocking(move || f(&mut accounts.lock().unwrap_or_else(|e| e.into_inner()))).await
}

/// Every user.
#[utoipa::path(get, path = "/api/users", tag = "admin",
    responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)))]
pub async fn users(State(state): State<AppState>, p: Principal) -> AppResult<Json<Vec<UserView>>> {
    p.may(Action::ManageUsers)?;
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
    /// admin, analyst, epidemiologist, grid_worker, gate_guard or viewer.
    pub role: String,
    #[serde(default)]
    pub grids: Vec<String>,
    #[serde(default)]
    pub gates: Vec<String>,
}

/// Adds a user.
#[utoipa::path(post, path = "/api/users", tag = "admin", request_body = NewUserBody,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_user(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<NewUserBody>, axum::extract::rejection::JsonRejection>,
) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    let Json(b) = body?;
    p.may(Action::ManageUsers)?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| AppError::BadRequest(format!("role {}: not a role", b.role)))?;
    let db = state.config.db.clone();
    let name = b.username.clone();
    let id = tokio::task::spawn_blocking(move || {
        crate::add_user(&db, &b.username, &b.password, role, &b.grids, &b.gates)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| match e.downcast::<tracegrid_store::StoreError>() {
        Ok(e) => AppError::from(e),
        Err(e) => AppError::BadRequest(e.to_string()),
    })?;
    super::audit(
        &state,
        &p,
        "user.add",
        &name,
        "manage users",
        role.as_str().into(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"id": id, "username": name})),
    ))
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
    responses((status = 201, body = TokenIssued), (status = 404, body = ErrorBody)))]
pub async fn add_token(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<NewToken>, axum::extract::rejection::JsonRejection>,
) -> AppResult<(StatusCode, Json<TokenIssued>)> {
    let Json(b) = body?;
    p.may(Action::ManageUsers)?;
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
    super::audit(&state, &p, "token.add", &b.username, "manage users", b.name).await?;
    Ok((StatusCode::CREATED, Json(TokenIssued { token })))
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
    responses((status = 200, body = Vec<AuditView>), (status = 403, body = ErrorBody)))]
pub async fn audit_log(
    State(state): State<AppState>,
    p: Principal,
    q: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<Vec<AuditView>>> {
    let Query(q) = q?;
    p.may(Action::ReadAudit)?;
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
