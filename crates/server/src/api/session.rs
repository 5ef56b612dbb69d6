//! Logging in and out.

use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{self, SESSION_COOKIE};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::roles::Principal;

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

fn cookie(state: &AppState, value: &str, max_age_s: i64) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{}",
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}

/// Logs in: sets the session cookie.
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = Login,
    responses((status = 200, body = LoggedIn), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> AppResult<impl IntoResponse> {
    let Json(login) = body?;
    state.logins.check(&login.username, auth::now_ms())?;
    let name = login.username.clone();
    let accounts = state.accounts.clone();
    let hours = state.config.session_hours.max(1);
    let (user, token, expires) = super::blocking(move || -> AppResult<_> {
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
    .await
    .inspect_err(|e| {
        if matches!(e, AppError::Unauthenticated) {
            state.logins.failed(&name, auth::now_ms());
            tracing::warn!("a login failed");
        }
    })?;
    state.logins.succeeded(&name);
    let principal = auth::principal(&user, &state.live())?;
    tracing::info!(user_id = user.id, "logged in");
    Ok((
        AppendHeaders([(SET_COOKIE, cookie(&state, &token, hours * 3600))]),
        Json(LoggedIn {
            user: principal,
            expires_ms: expires,
        }),
    ))
}

/// Logs out: ends the session.
#[utoipa::path(delete, path = "/api/session", tag = "session",
    responses((status = 204, description = "Logged out")))]
pub async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> AppResult<impl IntoResponse> {
    if let Some(token) = auth::request_token(&headers) {
        let hash = auth::token_hash(&token);
        state.sessions.forget(&hash);
        let accounts = state.accounts.clone();
        super::blocking(move || {
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
pub async fn me(p: Principal) -> Json<Principal> {
    Json(p)
}
