//! Users, machine tokens and the audit log: the administrator's. Every change is audited by the
//! guard (the route's rule names its action); a change of a user's role, grids, gates or state
//! holds from their next request, since the session cache forgets them at once.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tracegrid_model::PlaceKind;
use tracegrid_store::{AuditQuery, NewUser, TokenRow, UserRow};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult, ErrorBody, Key, Msg};
use crate::extract::{Json as Body, Path, Query};
use crate::guard::{Access, AuditNote};
use crate::roles::Role;
use crate::state::AppState;

/// The shortest password a user may be given.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest user name.
pub const MAX_USERNAME_CHARS: usize = 32;
/// How many characters of a token's hash name it (the token itself is never kept).
const TOKEN_ID_CHARS: usize = 16;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub grids: Vec<String>,
    pub gates: Vec<String>,
    pub disabled: bool,
    /// When the user was added (the city's local time).
    pub created: String,
    /// Machine tokens acting as this user.
    pub tokens: usize,
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

/// Every user (residents signed in by phone too, with the role `resident`).
#[utoipa::path(get, path = "/api/users", tag = "admin",
    responses((status = 200, body = Vec<UserView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn users(State(state): State<AppState>, _: Access) -> AppResult<Json<Vec<UserView>>> {
    let (users, tokens) = blocking(&state, |a| Ok((a.users()?, a.tokens()?))).await?;
    let live = state.live();
    Ok(Json(
        users
            .into_iter()
            .map(|u| UserView {
                tokens: tokens.iter().filter(|t| t.user_id == u.id).count(),
                created: live.time(u.created),
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

/// A grid or a gate a user can be given.
#[derive(Debug, Serialize, ToSchema)]
pub struct Choice {
    /// The grid code or the gate's place_id.
    pub id: String,
    pub name: Option<String>,
    /// A gate's grid.
    pub grid: Option<String>,
}

/// What a user can be given: the roles, the city's grids and its gates.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserChoices {
    pub roles: Vec<&'static str>,
    pub grids: Vec<Choice>,
    pub gates: Vec<Choice>,
}

/// The roles, grids and gates a user can be given.
#[utoipa::path(get, path = "/api/users/choices", tag = "admin",
    responses((status = 200, body = UserChoices), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn choices(State(state): State<AppState>, _: Access) -> Json<UserChoices> {
    let city = state.live();
    let regions: Vec<String> = city.region_names.keys().cloned().collect();
    let grids = city
        .grids_under(&regions)
        .into_iter()
        .map(|code| Choice {
            name: city.region_names.get(&code).cloned(),
            id: code,
            grid: None,
        })
        .collect();
    let mut gates: Vec<Choice> = city
        .place_ix
        .iter()
        .filter(|&(_, &ix)| city.world.place_kind(ix) == PlaceKind::Gate)
        .map(|(id, _)| {
            let place = city.places.get(id);
            Choice {
                id: id.clone(),
                name: place.and_then(|p| p.name.clone()),
                grid: place.and_then(|p| p.grid_code.clone()),
            }
        })
        .collect();
    gates.sort_by(|a, b| a.id.cmp(&b.id));
    Json(UserChoices {
        roles: Role::ALL
            .iter()
            .filter(|r| **r != Role::Resident)
            .map(|r| r.as_str())
            .collect(),
        grids,
        gates,
    })
}

/// A role and what it covers, checked against the city: a grid worker has at least one grid
/// (or community) of this city, a gate guard at least one gate; residents sign in by phone and
/// are not made here. Returns the role, grids and gates to keep.
fn assignment(
    state: &AppState,
    role: &str,
    grids: &[String],
    gates: &[String],
) -> AppResult<(Role, Vec<String>, Vec<String>)> {
    let parsed = Role::parse(role)
        .filter(|r| *r != Role::Resident)
        .ok_or_else(|| AppError::BadRequest(Msg::new(Key::NotARole).param("role", role)))?;
    let clean = |list: &[String]| {
        let mut out: Vec<String> = list
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        out.sort();
        out.dedup();
        out
    };
    let (grids, gates) = (clean(grids), clean(gates));
    if parsed == Role::GridWorker && grids.is_empty() {
        return Err(AppError::BadRequest(Key::GridWorkerNeedsGrid.into()));
    }
    if parsed == Role::GateGuard && gates.is_empty() {
        return Err(AppError::BadRequest(Key::GateGuardNeedsGate.into()));
    }
    let city = state.live();
    if let Some(g) = grids.iter().find(|g| {
        !city.region_names.contains_key(*g) || city.grids_under(std::slice::from_ref(*g)).is_empty()
    }) {
        return Err(AppError::BadRequest(
            Msg::new(Key::NotAGrid).param("grid", g),
        ));
    }
    if let Some(g) = gates.iter().find(|g| {
        city.place_ix
            .get(*g)
            .is_none_or(|&ix| city.world.place_kind(ix) != PlaceKind::Gate)
    }) {
        return Err(AppError::BadRequest(
            Msg::new(Key::NotAGate).param("gate", g),
        ));
    }
    Ok((parsed, grids, gates))
}

/// A user name is one word of letters, digits, `.`, `_` or `-`.
fn check_username(name: &str) -> AppResult<()> {
    if name.chars().count() > MAX_USERNAME_CHARS {
        return Err(AppError::BadRequest(
            Msg::new(Key::UsernameTooLong).param("max", MAX_USERNAME_CHARS),
        ));
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(AppError::BadRequest(Key::BadUsername.into()));
    }
    Ok(())
}

fn check_password(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::BadRequest(
            Msg::new(Key::ShortPassword).param("min", MIN_PASSWORD_CHARS),
        ));
    }
    Ok(())
}

async fn hash(password: String) -> AppResult<String> {
    crate::state::blocking(move || crate::auth::hash_password(&password)).await
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
    let name = b.username.trim().to_owned();
    check_username(&name)?;
    let (role, grids, gates) = assignment(&state, &b.role, &b.grids, &b.gates)?;
    check_password(&b.password)?;
    let password_hash = hash(b.password).await?;
    let n = name.clone();
    let id = blocking(&state, move |a| {
        a.add_user(&NewUser {
            username: &n,
            role: role.as_str(),
            password_hash: &password_hash,
            grids: &grids,
            gates: &gates,
            created: crate::auth::now_ms(),
        })
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        AuditNote::on(&name, role.as_str()),
        Json(UserAdded { id, username: name }),
    )
        .into_response())
}

/// The user of a path, or 404.
async fn user_of(state: &AppState, id: i64) -> AppResult<UserRow> {
    blocking(state, move |a| a.user_by_id(id))
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new(Key::NoUser).param("username", id)))
}

/// A user's new role and what it covers.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserChange {
    pub role: String,
    #[serde(default)]
    pub grids: Vec<String>,
    #[serde(default)]
    pub gates: Vec<String>,
}

/// Gives a user another role, grids or gates; holds from their next request. An administrator
/// cannot change their own role.
#[utoipa::path(post, path = "/api/users/{id}", tag = "admin", request_body = UserChange,
    params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn change_user(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Body(b): Body<UserChange>,
) -> AppResult<Response> {
    let user = user_of(&state, id).await?;
    not_a_resident(&user)?;
    let (role, grids, gates) = assignment(&state, &b.role, &b.grids, &b.gates)?;
    if id == access.principal.user_id && role != access.principal.role {
        return Err(AppError::BadRequest(Key::NotYourself.into()));
    }
    let detail = format!(
        "{} grids={} gates={}",
        role.as_str(),
        grids.join(","),
        gates.join(",")
    );
    let (g, t) = (grids.clone(), gates.clone());
    blocking(&state, move |a| a.set_role(id, role.as_str(), &g, &t)).await?;
    state.sessions.forget_user(id);
    let view = view_of(&state, id).await?;
    Ok((AuditNote::on(&user.username, detail), Json(view)).into_response())
}

/// One user as the list shows them.
async fn view_of(state: &AppState, id: i64) -> AppResult<UserView> {
    let (u, tokens) = blocking(state, move |a| Ok((a.user_by_id(id)?, a.tokens()?))).await?;
    let u = u.ok_or_else(|| AppError::NotFound(Msg::new(Key::NoUser).param("username", id)))?;
    Ok(UserView {
        tokens: tokens.iter().filter(|t| t.user_id == u.id).count(),
        created: state.live().time(u.created),
        id: u.id,
        username: u.username,
        role: u.role,
        grids: u.grids,
        gates: u.gates,
        disabled: u.disabled,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Disable {
    /// true disables the user, false enables them again.
    pub disabled: bool,
}

/// Disables a user (their sessions end, their tokens stop working at once) or enables them
/// again. An administrator cannot disable themselves.
#[utoipa::path(post, path = "/api/users/{id}/disable", tag = "admin", request_body = Disable,
    params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn disable_user(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Body(b): Body<Disable>,
) -> AppResult<Response> {
    let user = user_of(&state, id).await?;
    if id == access.principal.user_id && b.disabled {
        return Err(AppError::BadRequest(Key::NotYourself.into()));
    }
    let disabled = b.disabled;
    blocking(&state, move |a| {
        a.set_disabled(id, disabled)?;
        if disabled {
            a.delete_sessions_of(id)?;
        }
        Ok(())
    })
    .await?;
    state.sessions.forget_user(id);
    let view = view_of(&state, id).await?;
    let detail = if disabled { "disabled" } else { "enabled" };
    Ok((AuditNote::on(&user.username, detail), Json(view)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPassword {
    pub password: String,
}

/// Sets a user's password; their sessions end, so that whoever held the old one is out.
#[utoipa::path(post, path = "/api/users/{id}/password", tag = "admin", request_body = NewPassword,
    params(("id" = i64, Path)),
    responses((status = 204, description = "The password is set"), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn set_password(
    State(state): State<AppState>,
    _: Access,
    Path(id): Path<i64>,
    Body(b): Body<NewPassword>,
) -> AppResult<Response> {
    let user = user_of(&state, id).await?;
    not_a_resident(&user)?;
    check_password(&b.password)?;
    let password_hash = hash(b.password).await?;
    blocking(&state, move |a| {
        a.set_password_of(id, &password_hash)?;
        a.delete_sessions_of(id)
    })
    .await?;
    state.sessions.forget_user(id);
    Ok((
        StatusCode::NO_CONTENT,
        AuditNote::on(&user.username, "password set"),
    )
        .into_response())
}

/// A machine token as the list shows it: never the token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// The start of the token's hash: what names it to revoke it.
    pub id: String,
    pub name: String,
    /// When it was issued (the city's local time).
    pub created: String,
}

fn token_id(t: &TokenRow) -> String {
    t.token_hash.chars().take(TOKEN_ID_CHARS).collect()
}

/// A user's machine tokens, oldest first.
#[utoipa::path(get, path = "/api/users/{id}/tokens", tag = "admin", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TokenView>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn tokens(
    State(state): State<AppState>,
    _: Access,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<TokenView>>> {
    user_of(&state, id).await?;
    let all = blocking(&state, |a| a.tokens()).await?;
    let live = state.live();
    Ok(Json(
        all.iter()
            .filter(|t| t.user_id == id)
            .map(|t| TokenView {
                id: token_id(t),
                name: t.name.clone(),
                created: live.time(t.created),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenName {
    /// What the token is for (a feed, a gate device).
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenIssued {
    /// Shown this once; only its hash is kept.
    pub token: String,
    /// What names it in the list of the user's tokens.
    pub id: String,
}

/// Issues a token and keeps its hash.
async fn issue(state: &AppState, user_id: i64, name: String) -> AppResult<TokenIssued> {
    let token = crate::auth::new_token("tgt_")?;
    let row = TokenRow {
        token_hash: crate::auth::token_hash(&token),
        name,
        user_id,
        created: crate::auth::now_ms(),
    };
    let id = token_id(&row);
    blocking(state, move |a| {
        a.create_token(&row.token_hash, &row.name, row.user_id, row.created)
    })
    .await?;
    Ok(TokenIssued { token, id })
}

fn token_name(name: &str) -> AppResult<String> {
    let name: String = name.trim().chars().take(64).collect();
    if name.is_empty() {
        return Err(AppError::BadRequest(Key::TokenNameRequired.into()));
    }
    Ok(name)
}

/// A resident signs in by a code on their own phone: no administrator changes their account,
/// and no token acts as one (it would hold the resident's self-service rights, which no
/// administrator has).
fn not_a_resident(user: &UserRow) -> AppResult<()> {
    if user.role == Role::Resident.as_str() {
        return Err(AppError::BadRequest(
            Msg::new(Key::ResidentAccount).param("username", &user.username),
        ));
    }
    Ok(())
}

/// Issues a machine token acting as the user: shown once.
#[utoipa::path(post, path = "/api/users/{id}/tokens", tag = "admin", request_body = TokenName,
    params(("id" = i64, Path)),
    responses((status = 201, body = TokenIssued), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn add_user_token(
    State(state): State<AppState>,
    _: Access,
    Path(id): Path<i64>,
    Body(b): Body<TokenName>,
) -> AppResult<Response> {
    let name = token_name(&b.name)?;
    let user = user_of(&state, id).await?;
    not_a_resident(&user)?;
    let issued = issue(&state, user.id, name.clone()).await?;
    Ok((
        StatusCode::CREATED,
        AuditNote::on(&user.username, format!("{name} {}", issued.id)),
        Json(issued),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeToken {
    /// The token's `id` in the list.
    pub token_id: String,
}

/// Revokes one of a user's machine tokens: it stops working at once.
#[utoipa::path(post, path = "/api/users/{id}/tokens/revoke", tag = "admin", request_body = RevokeToken,
    params(("id" = i64, Path)),
    responses((status = 204, description = "Revoked"), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    _: Access,
    Path(id): Path<i64>,
    Body(b): Body<RevokeToken>,
) -> AppResult<Response> {
    let user = user_of(&state, id).await?;
    let wanted = b.token_id.trim().to_owned();
    let all = blocking(&state, |a| a.tokens()).await?;
    let found = all
        .into_iter()
        .find(|t| t.user_id == id && wanted.len() == TOKEN_ID_CHARS && token_id(t) == wanted)
        .ok_or_else(|| {
            AppError::NotFound(
                Msg::new(Key::NoToken)
                    .param("username", &user.username)
                    .param("token", &wanted),
            )
        })?;
    let hash = found.token_hash.clone();
    blocking(&state, move |a| a.delete_token(&hash)).await?;
    state.sessions.forget(&found.token_hash);
    Ok((
        StatusCode::NO_CONTENT,
        AuditNote::on(&user.username, format!("{} {wanted}", found.name)),
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

/// Issues a machine token acting as a user, named by user name.
#[utoipa::path(post, path = "/api/tokens", tag = "admin", request_body = NewToken,
    responses((status = 201, body = TokenIssued), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn add_token(
    State(state): State<AppState>,
    _: Access,
    Body(b): Body<NewToken>,
) -> AppResult<Response> {
    let name = token_name(&b.name)?;
    let username = b.username.clone();
    let user = blocking(&state, move |a| a.user_by_name(&username))
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new(Key::NoUser).param("username", &b.username)))?;
    not_a_resident(&user)?;
    let issued = issue(&state, user.id, name.clone()).await?;
    Ok((
        StatusCode::CREATED,
        AuditNote::on(&b.username, name),
        Json(issued),
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
