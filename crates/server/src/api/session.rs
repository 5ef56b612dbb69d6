//! Logging in and out, and who is logged in.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use serde::{Deserialize, Serialize};
use tracegrid_store::AuditEntry;
use utoipa::ToSchema;

use crate::auth::{self, SESSION_COOKIE};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::Json;
use crate::guard::Access;
use crate::roles::Principal;
use crate::state::{AppState, blocking};

#[derive(Debug, Deserialize, ToSchema)]
pub struct Login {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedIn {
    pub user: Principal,
    /// When the session ends (epoch milliseconds).
    pub expires_ms: i64,
}

pub(crate) fn cookie(state: &AppState, value: &str, max_age_s: i64) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{}",
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}

/// A refused login, for the audit log: who was tried (the name as typed, cut short), and why.
async fn refused(state: &AppState, username: &str, action: &str) -> AppResult<()> {
    let name: String = username.trim().chars().take(64).collect();
    state
        .audit
        .write(AuditEntry {
            at: auth::now_ms(),
            user_id: None,
            username: name.clone(),
            action: action.into(),
            target: name,
            purpose: String::new(),
            detail: String::new(),
        })
        .await
}

/// Logs in: sets the session cookie. A failed or refused attempt is written to the audit log.
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = Login,
    responses((status = 200, body = LoggedIn), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Json(login): Json<Login>,
) -> AppResult<impl IntoResponse> {
    let peer = peer.map(|p| p.0.0.ip());
    if let Err(e) = state.logins.check(&login.username, peer, auth::now_ms()) {
        refused(&state, &login.username, "login.refused").await?;
        return Err(e);
    }
    let name = login.username.clone();
    let accounts = state.accounts.clone();
    let hours = state.config.session_hours.max(1);
    // Password hashes are checked a core at a time at most: a flood of logins waits its turn
    // rather than take the memory of hundreds of hashes at once.
    let _turn = state
        .password_checks
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let result = blocking(move || -> AppResult<_> {
        let user = accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .user_by_name(&login.username)?;
        // The hash is checked even for an unknown name, so that timing does not tell which
        // names exist.
        let stored = user
            .as_ref()
            .map_or(auth::dummy_hash(), |u| u.password_hash.as_str());
        let ok = auth::verify_password(&login.password, stored);
        let user = user
            .filter(|u| ok && !u.disabled)
            .ok_or(AppError::Unauthenticated)?;
        let token = auth::new_token("tgs_")?;
        let now = auth::now_ms();
        let expires = now + hours * 3_600_000;
        let mut a = accounts.lock().unwrap_or_else(|e| e.into_inner());
        a.create_session(&auth::token_hash(&token), user.id, now, expires)?;
        // Expired sessions go when someone logs in: no timer, and the table stays small.
        a.purge_sessions(now)?;
        Ok((user, token, expires))
    })
    .await;
    let (user, token, expires) = match result {
        Ok(r) => r,
        Err(AppError::Unauthenticated) => {
            state.logins.failed(&name, peer, auth::now_ms());
            tracing::warn!("a login failed");
            refused(&state, &name, "login.failed").await?;
            return Err(AppError::Unauthenticated);
        }
        Err(e) => return Err(e),
    };
    state.logins.succeeded(&name);
    let principal = auth::principal(&user, &state.live())?;
    tracing::info!(user_id = user.id, "logged in");
    Ok((
        AppendHeaders([(SET_COOKIE, cookie(&state, &token, hours * 3600))]),
        axum::Json(LoggedIn {
            user: principal,
            expires_ms: expires,
        }),
    ))
}

/// Logs out: ends the session.
#[utoipa::path(delete, path = "/api/session", tag = "session",
    responses((status = 204, description = "Logged out"), (status = 403, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> AppResult<impl IntoResponse> {
    if let Some(token) = auth::request_token(&headers) {
        let hash = auth::token_hash(&token);
        state.sessions.forget(&hash);
        let accounts = state.accounts.clone();
        blocking(move || {
            accounts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .delete_session(&hash)
        })
        .await?;
    }
    Ok((
        axum::http::StatusCode::NO_CONTENT,
        AppendHeaders([(SET_COOKIE, cookie(&state, "", 0))]),
    ))
}

/// Who is logged in.
#[utoipa::path(get, path = "/api/me", tag = "session",
    responses((status = 200, body = Principal), (status = 401, body = ErrorBody)))]
pub async fn me(access: Access) -> axum::Json<Principal> {
    axum::Json(access.principal)
}
