//! One guard at the door of every route. Before a handler runs, the guard has decided, from the
//! route's [`Rule`] in [`rule`]:
//!
//! 1. that a state-changing request comes from the server's own pages or from a machine, not
//!    from another site's page (`Origin`, `Sec-Fetch-Site`), and carries a content type the
//!    route documents;
//! 2. who is asking (session cookie or bearer token), and that their role may do this;
//! 3. that a read of people's data states its purpose, and that a reveal of full numbers is
//!    allowed;
//! 4. that the person, task, gate or grid named in the request is inside the user's scope —
//!    answered as "not found" otherwise, in the same words as for something that does not
//!    exist, so that no answer confirms who exists outside it;
//! 5. how much body it will read, and for how long — all after the checks above, so that no
//!    large body is read for someone not allowed to send it.
//!
//! After a successful answer it writes the audit entry, and the answer leaves only once the
//! entry is committed. Every refusal of a known user is audited too. A route with no rule is
//! refused: nothing is served that the table does not name, and `tests/api/routes.rs` calls
//! every route as every role against the table in docs/SERVER.md.

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracegrid_engine::SubjectId;
use tracegrid_store::{AuditEntry, TaskRow};

use crate::auth;
use crate::error::{AppError, AppResult, Key, Msg};
use crate::roles::{Action, Principal};
use crate::state::AppState;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// Anyone, logged in or not: the pages, logging in, health, the API document.
    Anyone,
    /// Any logged-in user.
    User,
    /// A user whose role may do this.
    Role(Action),
    /// A scraper on this machine (a loopback peer), or an administrator from anywhere.
    Metrics,
}

/// Whether a request must say why it reads people's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    None,
    /// `purpose=` in the query; 400 `purpose_required` without it.
    Required,
    /// A change, whose purpose the route itself names in the audit log.
    Fixed(&'static str),
}

/// What in the request must lie inside the user's scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    None,
    /// The `{subject}` of the path: a person (or unresolved subject) of the user's grids.
    Subject,
    /// The task `{id}` of the path: a task of the user's grids.
    Task,
    /// The gate `{place_id}` of the path: a gate the guard stands at.
    Gate,
    /// The `grid=` of the query (a grid worker's first grid when absent): one of the user's.
    Grid,
    /// The task lists: the unrouted queue only for those who see every grid.
    TaskList,
}

/// The body a route takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Takes {
    /// None (a JSON content type, or none, is tolerated).
    None,
    /// `application/json`, up to [`JSON_LIMIT`].
    Json,
    /// A data drop: a zip or multipart files, up to the configured `max_upload_mb`.
    Upload,
    /// A photo, up to [`PHOTO_LIMIT`]; its type is the handler's to check.
    Photo,
    /// A feed's message: NDJSON or CSV, up to the configured `max_feed_mb`.
    Feed,
}

/// What the audit log says of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audit {
    /// Written after a successful answer (`person.read`).
    pub action: &'static str,
    /// Written instead when full numbers were revealed (`person.reveal`).
    pub reveal: &'static str,
    /// Written when the scope check refuses (`person.denied`).
    pub denied: &'static str,
    /// The target when neither the request nor the handler names one (`alerts`).
    pub target: &'static str,
}

/// The guard's rule for one route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub who: Who,
    pub purpose: Purpose,
    pub scope: Scope,
    pub takes: Takes,
    pub audit: Option<Audit>,
}

/// The largest JSON body a route reads.
pub const JSON_LIMIT: usize = 1 << 20;
/// The largest photo kept.
pub const PHOTO_LIMIT: usize = 8 << 20;
/// The largest body of a route that reads none.
const EMPTY_LIMIT: usize = 64 << 10;

const fn rule(who: Who) -> Rule {
    Rule {
        who,
        purpose: Purpose::None,
        scope: Scope::None,
        takes: Takes::None,
        audit: None,
    }
}

const fn audit(action: &'static str, reveal: &'static str, target: &'static str) -> Audit {
    Audit {
        action,
        reveal,
        denied: "",
        target,
    }
}

impl Rule {
    const fn purpose(mut self, p: Purpose) -> Rule {
        self.purpose = p;
        self
    }
    const fn scope(mut self, s: Scope) -> Rule {
        self.scope = s;
        self
    }
    const fn takes(mut self, b: Takes) -> Rule {
        self.takes = b;
        self
    }
    const fn audit(mut self, a: Audit) -> Rule {
        self.audit = Some(a);
        self
    }
    /// Audited reads of people's data: a purpose, and the scope's refusals named `denied`.
    const fn read(self, mut a: Audit, denied: &'static str) -> Rule {
        a.denied = denied;
        self.purpose(Purpose::Required).audit(a)
    }
    /// A change: JSON in, and an audit entry with a fixed purpose.
    const fn change(self, action: &'static str, purpose: &'static str) -> Rule {
        self.takes(Takes::Json)
            .purpose(Purpose::Fixed(purpose))
            .audit(audit(action, action, ""))
    }
}

/// A change of a task, and its refusal outside the user's grids.
const TASK_CHANGE: Audit = Audit {
    action: "task.change",
    reveal: "task.change",
    denied: "task.denied",
    target: "",
};

/// The rule of a route (its method and pattern as the router matched it). `None`: the route is
/// not in the table, and is refused.
pub fn rule_for(method: &Method, route: &str) -> Option<Rule> {
    use Action::*;
    use Who::*;
    // HEAD is GET without the body: the same rule.
    let m = if *method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    Some(match (m, route) {
        ("GET", "/" | "/api/docs" | "/healthz" | "/api/openapi.json" | "/me" | "/visit") => {
            rule(Anyone)
        }
        ("GET", r) if r.starts_with("/assets/") => rule(Anyone),
        ("GET", "/metrics") => rule(Metrics),
        ("POST", "/api/session") => rule(Anyone).takes(Takes::Json),
        ("DELETE", "/api/session") => rule(Anyone),
        ("GET", "/api/me") => rule(User),

        ("GET", "/api/overview" | "/api/grids.geojson" | "/api/areas") => rule(Role(ViewOverview)),
        ("GET", "/api/places/{place_id}") => rule(Role(ViewOverview)),
        ("GET", "/api/alerts") => rule(Role(ReadAlerts)).read(
            audit("alerts.list", "alerts.reveal", "alerts"),
            "alerts.denied",
        ),
        ("GET", "/api/alerts/{subject}") => rule(Role(ReadPerson))
            .scope(Scope::Subject)
            .read(audit("alert.read", "alert.reveal", ""), "alert.denied"),
        ("GET", "/api/persons/{subject}") => rule(Role(ReadPerson))
            .scope(Scope::Subject)
            .read(audit("person.read", "person.reveal", ""), "person.denied"),
        ("GET", "/api/trace/{subject}") => rule(Role(Trace))
            .scope(Scope::Subject)
            .read(audit("trace", "trace.reveal", ""), "trace.denied"),
        ("GET", "/api/gates/{place_id}/check") => rule(Role(GateCheck))
            .scope(Scope::Gate)
            .purpose(Purpose::Fixed("gate check"))
            .audit(Audit {
                action: "gate.check",
                reveal: "gate.check",
                denied: "gate.denied",
                target: "",
            }),

        ("POST", "/api/areas") => rule(Role(ManageAreas)).change("area.save", "manage areas"),
        ("POST", "/api/areas/{area_id}/end") => {
            rule(Role(ManageAreas)).change("area.end", "manage areas")
        }
        ("GET", "/api/cases") => {
            rule(Role(ReadCases)).read(audit("cases.list", "cases.reveal", "cases"), "cases.denied")
        }
        ("POST", "/api/cases") => rule(Role(ManageCases)).change("case.save", "manage cases"),
        ("GET", "/api/found-first") => rule(Role(ReadCases)).read(
            audit("found_first.read", "found_first.reveal", "found first"),
            "found_first.denied",
        ),
        ("POST", "/api/screen") => rule(Role(ManageAreas)).change("screen", "re-screen"),

        ("POST", "/api/imports") => rule(Role(Import))
            .takes(Takes::Upload)
            .purpose(Purpose::Fixed("import a data drop"))
            .audit(audit("import", "import", "")),
        ("GET", "/api/imports" | "/api/imports/{id}") => rule(Role(Import)),
        ("GET", "/api/imports/{id}/rejects.csv") => rule(Role(Import))
            .purpose(Purpose::Fixed("fix rejected rows"))
            .audit(audit("import.rejects", "import.rejects", "")),

        // The machine interfaces of CONTRACT.md section 6. A feed writes rows, as an import
        // does, and reads no one's data: its rejects are kept, not audited.
        ("POST", "/api/v1/feeds/{kind}") => rule(Role(Feed)).takes(Takes::Feed),
        ("GET", "/api/v1/screen") => rule(Role(ReadScreen)).read(
            audit("screen.read", "screen.read", "screen"),
            "screen.denied",
        ),
        ("GET", "/api/feeds") => rule(Role(Import)),
        ("GET", "/api/feeds/rejects") => rule(Role(Import))
            .purpose(Purpose::Fixed("fix rejected rows"))
            .audit(audit("feed.rejects", "feed.rejects", "feed rejects")),
        ("GET", "/api/feeds/rejects.csv") => rule(Role(Import))
            .purpose(Purpose::Fixed("fix rejected rows"))
            .audit(audit("feed.rejects", "feed.rejects", "feed rejects")),

        ("GET", "/api/users") => rule(Role(ManageUsers)),
        ("POST", "/api/users") => rule(Role(ManageUsers)).change("user.add", "manage users"),
        ("POST", "/api/tokens") => rule(Role(ManageUsers)).change("token.add", "manage users"),
        ("GET", "/api/users/choices" | "/api/users/{id}/tokens") => rule(Role(ManageUsers)),
        ("POST", "/api/users/{id}") => {
            rule(Role(ManageUsers)).change("user.update", "manage users")
        }
        ("POST", "/api/users/{id}/disable") => {
            rule(Role(ManageUsers)).change("user.disable", "manage users")
        }
        ("POST", "/api/users/{id}/password") => {
            rule(Role(ManageUsers)).change("user.password", "manage users")
        }
        ("POST", "/api/users/{id}/tokens") => {
            rule(Role(ManageUsers)).change("token.add", "manage users")
        }
        ("POST", "/api/users/{id}/tokens/revoke") => {
            rule(Role(ManageUsers)).change("token.revoke", "manage users")
        }
        ("GET", "/api/audit") => rule(Role(ReadAudit)),

        ("GET", "/api/tasks") => rule(Role(ReadTasks))
            .scope(Scope::TaskList)
            .read(audit("tasks.list", "tasks.reveal", "tasks"), "tasks.denied"),
        ("GET", "/api/tasks/stats") => rule(Role(ViewOverview)),
        ("GET", "/api/tasks/{id}") => rule(Role(ReadTasks))
            .scope(Scope::Task)
            .read(audit("task.read", "task.reveal", ""), "task.denied"),
        // A change of a task answers with the task and its person: written like a read.
        ("POST", "/api/tasks/{id}/accept") => rule(Role(WorkTasks))
            .scope(Scope::Task)
            .purpose(Purpose::Fixed("work a task"))
            .audit(TASK_CHANGE),
        ("POST", "/api/tasks/{id}/outcome" | "/api/tasks/{id}/checkins") => rule(Role(WorkTasks))
            .scope(Scope::Task)
            .takes(Takes::Json)
            .purpose(Purpose::Fixed("work a task"))
            .audit(TASK_CHANGE),
        ("POST", "/api/tasks/{id}/reassign") => rule(Role(RouteTasks))
            .scope(Scope::Task)
            .takes(Takes::Json)
            .purpose(Purpose::Fixed("route a task"))
            .audit(TASK_CHANGE),
        ("POST", "/api/tasks/{id}/photos") => rule(Role(WorkTasks))
            .scope(Scope::Task)
            .takes(Takes::Photo)
            .purpose(Purpose::Fixed("work a task"))
            .audit(TASK_CHANGE),
        ("GET", "/api/tasks/{id}/photos/{photo}") => rule(Role(ReadTasks))
            .scope(Scope::Task)
            .read(audit("photo.read", "photo.read", ""), "photo.denied"),
        ("GET", "/api/v1/pass-keys") => rule(Anyone),
        ("GET", "/api/v1/passes/{subject}") => rule(Role(IssuePass))
            .scope(Scope::Subject)
            .read(audit("pass.issue", "pass.issue", ""), "pass.denied"),
        ("POST", "/api/v1/gate/scan") => rule(Role(GateCheck))
            .takes(Takes::Json)
            .purpose(Purpose::Fixed("gate scan"))
            .audit(audit("gate.scan", "gate.scan", "")),
        ("POST", "/api/pass-keys/rotate") => rule(Role(ManageUsers))
            .purpose(Purpose::Fixed("rotate the pass keys"))
            .audit(audit("pass_keys.rotate", "pass_keys.rotate", "")),
        ("GET", "/api/status/grids" | "/api/gates/day") => rule(Role(ViewOverview)),
        ("POST", "/api/resident/code" | "/api/resident/session" | "/api/visitors") => {
            rule(Anyone).takes(Takes::Json)
        }
        ("GET", "/api/gates/{place_id}/poster") => rule(Anyone),
        ("GET", "/api/resident/me") => rule(Role(SelfService)),
        ("GET", "/api/resident/members/{person_id}/pass") => rule(Role(SelfService))
            .purpose(Purpose::Fixed("show a family member's pass"))
            .audit(audit("pass.show", "pass.show", "")),
        ("POST", "/api/resident/health") => {
            rule(Role(SelfService)).change("resident.health", "daily health report")
        }
        ("POST", "/api/resident/appeal") => {
            rule(Role(SelfService)).change("resident.appeal", "appeal against a status")
        }
        ("POST", "/api/residents/{subject}/login-code") => rule(Role(WorkTasks))
            .scope(Scope::Subject)
            .purpose(Purpose::Fixed("hand over a sign-in code"))
            .audit(Audit {
                action: "resident.code",
                reveal: "resident.code",
                denied: "resident.denied",
                target: "",
            }),
        ("GET", "/api/gates/{place_id}/visitors") => rule(Role(GateCheck))
            .scope(Scope::Gate)
            .purpose(Purpose::Fixed("visitors at the gate"))
            .audit(audit("gate.visitors", "gate.visitors", "")),
        ("GET", "/api/events") => rule(Role(ReadTasks)),
        ("GET", "/api/residents") => rule(Role(ReadPerson)).scope(Scope::Grid).read(
            audit("residents.list", "residents.reveal", ""),
            "residents.denied",
        ),
        _ => return None,
    })
}

/// What the guard established, for the handler: who asks, why, and what in the request it
/// resolved.
#[derive(Clone, Debug)]
pub struct Access {
    pub principal: Principal,
    /// The stated purpose (or the route's own, for a change).
    pub purpose: String,
    /// Full numbers asked for, and allowed.
    pub reveal: bool,
    /// The `{subject}` of the path, resolved, and its name.
    pub subject: Option<(SubjectId, String)>,
    /// The task `{id}` of the path, as stored when the guard read it.
    pub task: Option<TaskRow>,
    /// The grid of a grid-scoped request.
    pub grid: Option<String>,
}

impl FromRequestParts<AppState> for Access {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        parts.extensions.get::<Access>().cloned().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "a handler asked for access its route does not check"
            ))
        })
    }
}

/// What a handler adds to its route's audit entry: the target when the request does not name
/// it (an area saved, an import), and a detail.
#[derive(Clone, Debug, Default)]
pub struct AuditNote {
    pub target: Option<String>,
    pub detail: String,
}

impl AuditNote {
    pub fn detail(detail: impl Into<String>) -> axum::Extension<AuditNote> {
        axum::Extension(AuditNote {
            target: None,
            detail: detail.into(),
        })
    }

    pub fn on(target: impl Into<String>, detail: impl Into<String>) -> axum::Extension<AuditNote> {
        axum::Extension(AuditNote {
            target: Some(target.into()),
            detail: detail.into(),
        })
    }
}

/// Why a person's data is read, and whether full numbers are wanted: the query fields the guard
/// reads, documented once for every route that takes them.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct Why {
    /// Why you are looking (written to the audit log).
    #[param(required = true)]
    pub purpose: Option<String>,
    /// Show full ID numbers, phones and plates (roles that may; the showing is audited).
    #[serde(default)]
    pub reveal: bool,
}

/// What the guard reads of a query: leniently, since the handler reads the query again with
/// its own type and answers for what it does not understand. Only `reveal=true` reveals.
#[derive(Debug, Default)]
struct Asked {
    purpose: Option<String>,
    reveal: bool,
    grid: Option<String>,
    unrouted: bool,
}

/// The guard itself: a middleware on every route.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let Some(route) = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        return AppError::NotFound(Msg::new(Key::NothingHere).param("path", parts.uri.path()))
            .into_response();
    };
    let Some(rule) = rule_for(&parts.method, &route) else {
        tracing::error!(route = route.as_str(), "a route has no access rule");
        return AppError::Forbidden(Key::RouteClosed.into()).into_response();
    };
    let access = match admit(&state, &mut parts, &rule).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let body = match limit_body(&state, &parts.headers, &rule, body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    if let Some(a) = &access {
        parts.extensions.insert(a.clone());
    }
    let res = next.run(Request::from_parts(parts, body)).await;
    let (Some(access), Some(audit)) = (access, rule.audit) else {
        return res;
    };
    if audit.action.is_empty() || !res.status().is_success() {
        return res;
    }
    let note = res
        .extensions()
        .get::<AuditNote>()
        .cloned()
        .unwrap_or_default();
    let target = note
        .target
        .or_else(|| access.subject.as_ref().map(|(_, n)| n.clone()))
        .or_else(|| access.task.as_ref().map(|t| t.subject.clone()))
        .or_else(|| access.grid.clone())
        .unwrap_or_else(|| audit.target.to_owned());
    let action = if access.reveal {
        audit.reveal
    } else {
        audit.action
    };
    match write(
        &state,
        &access.principal,
        action,
        &target,
        &access.purpose,
        note.detail,
    )
    .await
    {
        Ok(()) => res,
        Err(e) => e.into_response(),
    }
}

/// Who a request is: its session or token, looked up (and cached for [`auth::CACHE_SECONDS`]).
async fn authenticate(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Principal, AppError> {
    let token = auth::request_token(headers).ok_or(AppError::Unauthenticated)?;
    let hash = auth::token_hash(&token);
    if let Some(p) = state.sessions.get(&hash) {
        return Ok(p);
    }
    let generation = state.sessions.generation();
    let accounts = state.accounts.clone();
    let h = hash.clone();
    let user = crate::state::blocking(move || {
        let mut a = accounts.lock().unwrap_or_else(|e| e.into_inner());
        match a.session(&h, auth::now_ms())? {
            Some((u, _)) => Ok(Some(u)),
            None => a.token_user(&h),
        }
    })
    .await?;
    let user = user.ok_or(AppError::Unauthenticated)?;
    let p = auth::principal(&user, &state.live())?;
    state.sessions.put_if(generation, hash, p.clone());
    Ok(p)
}

/// Writes one audit entry of `p`; returns once it is committed.
pub async fn write(
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

/// Steps 1 to 4; the access of a logged-in user (`None` for a public route).
async fn admit(state: &AppState, parts: &mut Parts, rule: &Rule) -> AppResult<Option<Access>> {
    if let Err(e) = known_host(state, &parts.headers)
        .and_then(|()| same_site(state, &parts.method, &parts.headers))
        .and_then(|()| content_type(&parts.method, &parts.headers, rule.takes))
    {
        // A request that must log in and has not is told that first.
        let must_log_in = matches!(rule.who, Who::User | Who::Role(_));
        if must_log_in
            && matches!(e, AppError::UnsupportedMediaType(_))
            && authenticate(state, &parts.headers).await.is_err()
        {
            return Err(AppError::Unauthenticated);
        }
        // A refusal of someone who is logged in is written down, like every other.
        if auth::request_token(&parts.headers).is_some()
            && let Ok(p) = authenticate(state, &parts.headers).await
        {
            let request = format!("{} {}", parts.method, parts.uri.path());
            let action = if matches!(e, AppError::UnsupportedMediaType(_)) {
                "unsupported_media_type"
            } else {
                "cross_site"
            };
            write(state, &p, action, &request, "", e.to_string()).await?;
        }
        return Err(e);
    }
    let why = parts.uri.query().map(read_query).unwrap_or_default();
    let needed = match rule.who {
        Who::Anyone => return Ok(None),
        Who::Metrics => {
            if state.config.metrics_from_loopback && local(parts) {
                return Ok(None);
            }
            Some(Action::ManageUsers)
        }
        Who::User => None,
        Who::Role(a) => Some(a),
    };
    let p = authenticate(state, &parts.headers).await?;
    // A refusal by role is written against the request itself: the guard looks nothing up
    // for someone who may not ask.
    let request = format!("{} {}", parts.method, parts.uri.path());
    if let Some(a) = needed
        && !p.role.may(a)
    {
        write(
            state,
            &p,
            "forbidden",
            &request,
            why.purpose.as_deref().unwrap_or(""),
            p.role.as_str().into(),
        )
        .await?;
        return Err(AppError::Forbidden(
            Msg::new(Key::RoleMayNot).param("role", p.role.as_str()),
        ));
    }
    // Only a route that shows people's numbers has anything to reveal.
    let reveal = why.reveal && rule.audit.is_some();
    if reveal && !p.role.may(Action::Reveal) {
        write(
            state,
            &p,
            "reveal.forbidden",
            &request,
            why.purpose.as_deref().unwrap_or(""),
            p.role.as_str().into(),
        )
        .await?;
        return Err(AppError::Forbidden(
            Msg::new(Key::RoleMayNotReveal).param("role", p.role.as_str()),
        ));
    }
    let purpose = match rule.purpose {
        Purpose::None => String::new(),
        Purpose::Fixed(text) => text.to_owned(),
        Purpose::Required => {
            let given = why.purpose.as_deref().map(str::trim).unwrap_or("");
            if given.is_empty() {
                return Err(AppError::PurposeRequired);
            }
            given.chars().take(200).collect()
        }
    };
    let mut access = Access {
        principal: p,
        purpose,
        reveal,
        subject: None,
        task: None,
        grid: None,
    };
    let denied = rule.audit.map_or("", |a| a.denied);
    let params = match rule.scope {
        Scope::Subject | Scope::Task | Scope::Gate => {
            RawPathParams::from_request_parts(parts, state)
                .await
                .map_err(|e| {
                    AppError::BadRequest(Msg::new(Key::BadPath).param("detail", e.body_text()))
                })?
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        }
        _ => Vec::new(),
    };
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let p = &access.principal;
    match rule.scope {
        Scope::None => {}
        Scope::Subject => {
            let text = param("subject");
            let found = {
                let city = state.live();
                city.find_subject(&text).map(|s| {
                    (
                        s,
                        city.world.subject_name(s).to_owned(),
                        city.grid_of(s).map(str::to_owned),
                    )
                })
            };
            let unknown = || {
                let key = if p.sees_everyone() {
                    Key::UnknownSubject
                } else {
                    Key::NotInYourGrids
                };
                AppError::NotFound(Msg::new(key).param("subject", &text))
            };
            match found {
                // Written for a grid worker as a look outside their grids is, so that neither
                // the answer nor the time it takes tells whether the person exists.
                None if !p.sees_everyone() => {
                    write(state, p, denied, &text, &access.purpose, "not known".into()).await?;
                    return Err(unknown());
                }
                None => return Err(unknown()),
                Some((_, name, grid)) if !p.sees_grid(grid.as_deref()) => {
                    write(state, p, denied, &name, &access.purpose, String::new()).await?;
                    return Err(unknown());
                }
                Some((s, name, _)) => access.subject = Some((s, name)),
            }
        }
        Scope::Task => {
            let text = param("id");
            let id: i64 = text.parse().map_err(|_| {
                AppError::BadRequest(Msg::new(Key::NotATaskNumber).param("id", &text))
            })?;
            let st = state.clone();
            let task = crate::state::blocking(move || st.city.board.with(|t| t.get(id))).await?;
            match task {
                None if !p.sees_everyone() => {
                    let target = format!("task {id}");
                    write(
                        state,
                        p,
                        denied,
                        &target,
                        &access.purpose,
                        "not known".into(),
                    )
                    .await?;
                    return Err(tracegrid_city::board::no_task(id).into());
                }
                None => return Err(tracegrid_city::board::no_task(id).into()),
                Some(t) if !p.sees_grid(t.grid_code.as_deref()) => {
                    write(
                        state,
                        p,
                        denied,
                        &t.subject,
                        &access.purpose,
                        format!("task {id}"),
                    )
                    .await?;
                    return Err(tracegrid_city::board::no_task(id).into());
                }
                Some(t) => access.task = Some(t),
            }
        }
        Scope::Gate => {
            let gate = param("place_id");
            if !p.stands_at(&gate) {
                write(state, p, denied, &gate, &access.purpose, String::new()).await?;
                return Err(AppError::Forbidden(
                    Msg::new(Key::NotYourGate).param("gate", gate),
                ));
            }
        }
        Scope::Grid => {
            let grid = why
                .grid
                .clone()
                .or_else(|| p.grids.first().cloned())
                .ok_or_else(|| AppError::BadRequest(Key::GridRequired.into()))?;
            if !p.sees_grid(Some(&grid)) {
                write(state, p, denied, &grid, &access.purpose, String::new()).await?;
                return Err(AppError::NotFound(
                    Msg::new(Key::NotYourGrid).param("grid", grid),
                ));
            }
            access.grid = Some(grid);
        }
        Scope::TaskList => {
            // The unrouted queue is no grid's: outside every grid worker's scope.
            if why.unrouted && !p.sees_everyone() {
                write(
                    state,
                    p,
                    "forbidden",
                    &format!("{request}?unrouted=true"),
                    &access.purpose,
                    p.role.as_str().into(),
                )
                .await?;
                return Err(AppError::Forbidden(
                    Msg::new(Key::RoleMayNotUnrouted).param("role", p.role.as_str()),
                ));
            }
        }
    }
    Ok(Some(access))
}

fn read_query(q: &str) -> Asked {
    let uri: Option<axum::http::Uri> = format!("/?{q}").parse().ok();
    let pairs = uri
        .and_then(|u| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&u).ok())
        .map(|q| q.0)
        .unwrap_or_default();
    let mut asked = Asked::default();
    for (k, v) in pairs {
        match k.as_str() {
            "purpose" => asked.purpose = Some(v),
            "reveal" => asked.reveal = v == "true",
            "grid" => asked.grid = Some(v),
            "unrouted" => asked.unrouted = v == "true",
            _ => {}
        }
    }
    asked
}

/// Refuses a request that a page of another site (another host, or another port of this one)
/// sent: browsers name the page's origin in `Origin` and say whether it is this site in
/// `Sec-Fetch-Site`. Every change is checked, and every request that rides on the session cookie
/// (an `<img>` on another port would otherwise read, and be audited, in the user's name). A
/// machine (a feed, a script with a bearer token) sends neither header.
fn same_site(state: &AppState, method: &Method, headers: &HeaderMap) -> AppResult<()> {
    let change = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !change && !auth::has_session_cookie(headers) {
        return Ok(());
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(AppError::CrossSite(
            Msg::new(Key::CrossSitePage).param("site", site),
        ));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for origin in headers.get_all(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .map_or("", |rest| rest.trim_end_matches('/'));
        let allowed = (!host.is_empty() && authority.eq_ignore_ascii_case(host))
            || state
                .config
                .allowed_origins
                .iter()
                .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin));
        if !allowed {
            return Err(AppError::CrossSite(
                Msg::new(Key::CrossSiteOrigin).param("origin", origin),
            ));
        }
    }
    Ok(())
}

/// Refuses a request for a host name this server does not answer to (`allowed_hosts`, when
/// set): a page that rebinds its own name to this server's address (DNS rebinding) gets no
/// answer.
fn known_host(state: &AppState, headers: &HeaderMap) -> AppResult<()> {
    let hosts = &state.config.allowed_hosts;
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    if hosts.is_empty()
        || hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host_name(host)) || h.eq_ignore_ascii_case(host))
    {
        Ok(())
    } else {
        Err(AppError::CrossSite(
            Msg::new(Key::UnknownHost).param("host", host),
        ))
    }
}

/// A `Host` header's name, without its port: `127.0.0.1:8080` → `127.0.0.1`,
/// `[::1]:8080` → `::1`.
fn host_name(host: &str) -> &str {
    let name = match host.rsplit_once(':') {
        Some((n, port)) if port.chars().all(|c| c.is_ascii_digit()) && !n.contains(':') => n,
        Some((n, port)) if port.chars().all(|c| c.is_ascii_digit()) && n.ends_with(']') => n,
        _ => host,
    };
    name.trim_start_matches('[').trim_end_matches(']')
}

/// Whether a request comes from this machine to this machine by a loopback name: a page
/// elsewhere that rebinds its name to 127.0.0.1 sends its own name.
fn local(parts: &Parts) -> bool {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback());
    let named = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|h| {
            let n = host_name(h);
            n == "localhost"
                || n.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
    peer && named
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// The format a feed's content type names: NDJSON (`application/x-ndjson`, and the other names
/// it goes by) or CSV (`text/csv`).
pub fn feed_format(media_type: &str) -> Option<tracegrid_ingest::Format> {
    use tracegrid_ingest::Format;
    match media_type {
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "application/json" => Some(Format::Ndjson),
        "text/csv" => Some(Format::Csv),
        _ => None,
    }
}

/// The media type of a request, without its parameters.
pub fn request_media_type(headers: &HeaderMap) -> Option<String> {
    media_type(headers)
}

/// Refuses a body of a type the route does not document (an HTML form's, say).
fn content_type(method: &Method, headers: &HeaderMap, body: Takes) -> AppResult<()> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(()); // no body to read
    }
    let ty = media_type(headers);
    let ok = match body {
        Takes::None | Takes::Json => ty.as_deref().is_none_or(|t| t == "application/json"),
        Takes::Upload => ty.as_deref().is_some_and(|t| {
            matches!(
                t,
                "application/zip" | "application/x-zip-compressed" | "multipart/form-data"
            )
        }),
        Takes::Photo => true,
        Takes::Feed => ty.as_deref().is_some_and(|t| feed_format(t).is_some()),
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType(
            Msg::new(Key::UnsupportedBody).param("media_type", ty.unwrap_or_default()),
        ))
    }
}

/// Step 5: the body, limited in size and in the time it may take to arrive.
fn limit_body(state: &AppState, headers: &HeaderMap, rule: &Rule, body: Body) -> AppResult<Body> {
    let limit = match rule.takes {
        Takes::None => EMPTY_LIMIT,
        Takes::Json => JSON_LIMIT,
        Takes::Upload => state.config.max_upload_mb.saturating_mul(1 << 20),
        Takes::Photo => PHOTO_LIMIT + (64 << 10),
        Takes::Feed => state.config.max_feed_mb.saturating_mul(1 << 20),
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(AppError::TooLarge);
    }
    let timeout = match rule.takes {
        Takes::Upload | Takes::Photo | Takes::Feed => state.config.body_timeout_seconds.max(1),
        Takes::None | Takes::Json => state.config.small_body_timeout_seconds.max(1),
    };
    let timeout = Duration::from_secs(timeout);
    Ok(Body::new(http_body_util::Limited::new(
        Timed {
            inner: body,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        },
        limit,
    )))
}

/// A request body that fails once its deadline passes: a client sending a body slowly holds a
/// connection no longer than that.
struct Timed {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimeout;

impl http_body::Body for Timed {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        Pin::new(&mut self.inner)
            .poll_frame(cx)
            .map_err(axum::BoxError::from)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audited_read_names_its_denial() {
        for (m, r) in [
            ("GET", "/api/alerts/{subject}"),
            ("GET", "/api/persons/{subject}"),
            ("GET", "/api/tasks/{id}"),
            ("GET", "/api/residents"),
            ("GET", "/api/tasks/{id}/photos/{photo}"),
        ] {
            let rule = rule_for(&m.parse().unwrap(), r).unwrap();
            assert_eq!(rule.purpose, Purpose::Required, "{r}");
            assert!(
                rule.audit.is_some_and(|a| a.denied.ends_with(".denied")),
                "{r}"
            );
        }
        assert_eq!(rule_for(&Method::GET, "/api/nothing"), None);
    }

    #[test]
    fn host_names_lose_their_ports() {
        assert_eq!(host_name("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_name("localhost"), "localhost");
        assert_eq!(host_name("[::1]:8080"), "::1");
        assert_eq!(host_name("[::1]"), "::1");
        assert_eq!(host_name("evil.example:80"), "evil.example");
    }

    #[test]
    fn only_the_roles_table_admits() {
        use crate::roles::Role;
        let r = rule_for(&Method::GET, "/api/alerts/{subject}").unwrap();
        assert_eq!(r.who, Who::Role(Action::ReadPerson));
        assert!(!Role::Viewer.may(Action::ReadPerson));
    }
}
