//! The resident's side: sign-in by phone with a one-time code, their pass and its status, the
//! household members without phones, the daily health report, and an appeal to the grid worker.
//!
//! A code goes out through the configured SMS webhook; without one, the resident's grid worker
//! hands it over (`POST /api/residents/{subject}/login-code`). Codes live
//! [`crate::codes::Sender::minutes`], are used once, are limited per number and per address,
//! are kept only as hashes and never written to a log.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracegrid_engine::SubjectId;
use tracegrid_model::{Phone, Symptoms, mask};
use tracegrid_store::{AuditEntry, NewUser};
use utoipa::ToSchema;

use super::gates::{cause_zh, issue, status_now};
use crate::auth::{self, now_ms};
use crate::codes::{code_hash, new_code};
use crate::error::{AppError, AppResult, ErrorBody, Key, Msg};
use crate::extract::{Json, Path};
use crate::guard::{Access, AuditNote};
use crate::passes::qr_svg;
use crate::state::{AppState, blocking};

/// Codes one number may be sent in an hour.
pub const CODES_PER_PHONE_HOUR: i64 = 5;
/// Codes one address may ask for in an hour, whatever the numbers.
pub const CODES_PER_PEER_HOUR: i64 = 20;
/// Wrong tries a code takes before it is spent.
pub const CODE_TRIES: i64 = 5;
/// The prefix of a resident's account name, before the person_id.
pub const RESIDENT_PREFIX: &str = "resident:";

#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeAsk {
    /// The mobile number in the registry.
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    /// `sms` (sent to the number, if it is registered) or `grid_worker` (ask your grid worker).
    pub delivery: &'static str,
    /// What to tell the resident.
    pub message: String,
    /// Minutes a code lives.
    pub minutes: i64,
}

fn peer_of(
    peer: &Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
) -> String {
    peer.as_ref()
        .map(|p| p.0.0.ip().to_string())
        .unwrap_or_default()
}

fn parse_phone(text: &str) -> AppResult<String> {
    Phone::parse(text.trim())
        .map(|p| p.as_str().to_owned())
        .map_err(|_| AppError::BadRequest(Key::ResidentBadPhone.into()))
}

/// Keeps a new code for `phone` if the limits allow; returns the code.
async fn make_code(state: &AppState, phone: &str, peer: &str, minutes: i64) -> AppResult<String> {
    let code = new_code().map_err(AppError::Internal)?;
    let (st, phone, peer, hash) = (
        state.clone(),
        phone.to_owned(),
        peer.to_owned(),
        code_hash(phone, &code),
    );
    blocking(move || -> AppResult<()> {
        let now = now_ms();
        st.city.statuses.with_gates(|g| {
            let (by_phone, by_peer) = g.codes_since(&phone, &peer, now - 3_600_000)?;
            if by_phone >= CODES_PER_PHONE_HOUR || by_peer >= CODES_PER_PEER_HOUR {
                return Err(AppError::Busy(Key::CodesTooFrequent.into()));
            }
            g.add_code(&phone, &hash, &peer, now, now + minutes * 60_000)?;
            Ok(())
        })
    })
    .await?;
    Ok(code)
}

/// The one registered person with this phone.
fn person_by_phone(state: &AppState, phone: &str) -> AppResult<Option<String>> {
    let city = state.live();
    let mut found = city
        .persons
        .values()
        .filter(|p| p.phone.as_deref() == Some(phone));
    let first = found.next().map(|p| p.person_id.clone());
    if found.next().is_some() {
        return Err(AppError::Conflict(Key::PhoneShared.into()));
    }
    Ok(first)
}

/// Asks for a sign-in code. With an SMS gateway configured the code is sent to the number if
/// it is registered (the answer is the same either way, so that it tells no one who is
/// registered); without one, the resident's grid worker hands it over.
#[utoipa::path(post, path = "/api/resident/code", tag = "residents", request_body = CodeAsk,
    responses((status = 200, body = CodeSent), (status = 400, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn ask_code(
    State(state): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Json(ask): Json<CodeAsk>,
) -> AppResult<axum::Json<CodeSent>> {
    let phone = parse_phone(&ask.phone)?;
    let sender = state.codes.clone();
    let minutes = sender.minutes();
    if !sender.sends() {
        return Ok(axum::Json(CodeSent {
            delivery: "grid_worker",
            message: "请联系您的网格员领取验证码".into(),
            minutes: state.config.printed_code_hours * 60,
        }));
    }
    let known = person_by_phone(&state, &phone).unwrap_or(None).is_some();
    let code = make_code(&state, &phone, &peer_of(&peer), minutes).await?;
    if known {
        sender.send(&phone, &code).await.map_err(|e| {
            tracing::warn!(error = e.to_string(), "the SMS gateway did not take a code");
            AppError::Unavailable(Key::SmsFailed.into())
        })?;
    }
    Ok(axum::Json(CodeSent {
        delivery: "sms",
        message: format!("如果该号码已登记，验证码已发送，{minutes} 分钟内有效"),
        minutes,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeIssued {
    pub code: String,
    pub phone: String,
    /// When the code stops working (epoch milliseconds).
    pub expires_ms: i64,
}

/// A sign-in code for a resident of your grids, to hand over on paper (grid worker): for a
/// deployment without an SMS gateway, or a resident whose texts do not arrive. Shown once.
#[utoipa::path(post, path = "/api/residents/{subject}/login-code", tag = "residents",
    params(("subject" = String, Path)),
    responses((status = 200, body = CodeIssued), (status = 404, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn issue_code(
    State(state): State<AppState>,
    access: Access,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
) -> AppResult<impl IntoResponse> {
    let (s, name) = access
        .subject
        .clone()
        .ok_or_else(|| AppError::NotFound(Key::NoSuchPerson.into()))?;
    let phone = state
        .live()
        .person(s)
        .and_then(|p| p.phone.clone())
        .ok_or_else(|| AppError::Conflict(Key::NoPhoneRegistered.into()))?;
    let hours = state.config.printed_code_hours.max(1);
    let code = make_code(&state, &phone, &peer_of(&peer), hours * 60).await?;
    Ok((
        AuditNote::on(name, "sign-in code handed over"),
        axum::Json(CodeIssued {
            code,
            phone,
            expires_ms: now_ms() + hours * 3_600_000,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeLogin {
    pub phone: String,
    pub code: String,
}

async fn audit_resident(state: &AppState, who: &str, action: &str, detail: &str) -> AppResult<()> {
    state
        .audit
        .write(AuditEntry {
            at: now_ms(),
            user_id: None,
            username: who.into(),
            action: action.into(),
            target: who.into(),
            purpose: String::new(),
            detail: detail.into(),
        })
        .await
}

/// Signs a resident in with their number and code: sets the session cookie.
#[utoipa::path(post, path = "/api/resident/session", tag = "residents", request_body = CodeLogin,
    responses((status = 200, description = "Signed in", body = Object), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    Json(login): Json<CodeLogin>,
) -> AppResult<impl IntoResponse> {
    let phone = parse_phone(&login.phone)?;
    let code = login.code.trim().to_owned();
    let st = state.clone();
    let p = phone.clone();
    let checked = blocking(move || -> AppResult<Result<(), Key>> {
        st.city.statuses.with_gates(|g| {
            let Some(c) = g.latest_code(&p)? else {
                return Ok(Err(Key::CodeNone));
            };
            let now = now_ms();
            if c.used.is_some() {
                return Ok(Err(Key::CodeUsed));
            }
            if c.expires <= now {
                return Ok(Err(Key::CodeExpired));
            }
            if c.attempts >= CODE_TRIES {
                return Ok(Err(Key::CodeTooManyTries));
            }
            if c.code_hash != code_hash(&p, &code) {
                g.code_tried(c.id)?;
                return Ok(Err(Key::CodeWrong));
            }
            if !g.use_code(c.id, now)? {
                return Ok(Err(Key::CodeUsed));
            }
            Ok(Ok(()))
        })
    })
    .await?;
    if let Err(why) = checked {
        audit_resident(
            &state,
            &format!("phone:{}", mask::phone(&phone)),
            "resident.login.failed",
            why.template(),
        )
        .await?;
        return Err(AppError::BadRequest(why.into()));
    }
    let person = person_by_phone(&state, &phone)?
        .ok_or_else(|| AppError::BadRequest(Key::PhoneNotRegistered.into()))?;
    let username = format!("{RESIDENT_PREFIX}{person}");
    let hours = state.config.session_hours.max(1);
    let accounts = state.accounts.clone();
    let name = username.clone();
    let token = blocking(move || -> AppResult<String> {
        let mut a = accounts.lock().unwrap_or_else(|e| e.into_inner());
        let user = match a.user_by_name(&name)? {
            Some(u) => u,
            None => {
                // A resident has no password: "!" is no hash any password matches.
                a.add_user(&NewUser {
                    username: &name,
                    role: "resident",
                    password_hash: "!",
                    grids: &[],
                    gates: &[],
                    created: now_ms(),
                })?;
                a.user_by_name(&name)?.ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("a resident account vanished"))
                })?
            }
        };
        if user.disabled {
            return Err(AppError::Forbidden(Key::ResidentDisabled.into()));
        }
        let token = auth::new_token("tgs_")?;
        let now = now_ms();
        a.create_session(
            &auth::token_hash(&token),
            user.id,
            now,
            now + hours * 3_600_000,
        )?;
        Ok(token)
    })
    .await?;
    audit_resident(&state, &username, "resident.login", "").await?;
    Ok((
        AppendHeaders([(
            SET_COOKIE,
            super::session::cookie(&state, &token, hours * 3600),
        )]),
        axum::Json(json!({"person_id": person})),
    ))
}

/// The resident the session is, or 403.
fn me_of(state: &AppState, access: &Access) -> AppResult<(SubjectId, String)> {
    let person = access
        .principal
        .person
        .clone()
        .ok_or_else(|| AppError::Forbidden(Key::ResidentsOnly.into()))?;
    let s = super::gates::person_subject(state, &person)
        .ok_or_else(|| AppError::NotFound(Key::ResidentNotListed.into()))?;
    Ok((s, person))
}

/// A pass with its QR code.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyPass {
    pub person_id: String,
    /// The name's first character and stars.
    pub name: String,
    pub grid_code: Option<String>,
    pub grid_name: Option<String>,
    pub status: tracegrid_city::Status,
    /// The cause, structured, and in a sentence.
    pub why: tracegrid_city::status::Why,
    pub why_text: String,
    pub token: String,
    pub exp: i64,
    /// The pass as an SVG QR code.
    pub qr_svg: String,
}

async fn pass_of(state: &AppState, s: SubjectId, person: &str) -> AppResult<MyPass> {
    let now = status_now(state, s).await?;
    let (token, exp) = issue(state, s, now.status, state.config.pass_hours);
    let city = state.live();
    let p = city.person(s);
    let grid = p.and_then(|p| p.grid_code.clone());
    Ok(MyPass {
        person_id: person.to_owned(),
        name: p
            .and_then(|p| p.name.as_deref())
            .map(mask::name)
            .unwrap_or_default(),
        grid_name: grid
            .as_ref()
            .and_then(|g| city.region_names.get(g).cloned()),
        grid_code: grid,
        status: now.status,
        why_text: why_text(&city, &now),
        why: now.why,
        qr_svg: qr_svg(&token),
        token,
        exp,
    })
}

/// The sentence a resident reads under their colour.
fn why_text(city: &tracegrid_city::City, now: &tracegrid_city::StatusNow) -> String {
    use tracegrid_city::Status;
    let w = &now.why;
    let place = w
        .place_id
        .as_deref()
        .map(|p| {
            city.places
                .get(p)
                .and_then(|i| i.name.clone())
                .unwrap_or_else(|| p.to_owned())
        })
        .unwrap_or_default();
    let at =
        w.at.as_deref()
            .map(|a| a.get(5..16).unwrap_or(a).replace('T', " "))
            .unwrap_or_default();
    let until = w
        .until_ms
        .map(|u| city.time(u).get(..10).unwrap_or_default().to_owned());
    match now.status {
        Status::Green => "没有发现风险，请继续做好个人防护".into(),
        Status::Red if w.kind == "case" => "您是登记的病例，请配合医疗机构治疗和隔离".into(),
        Status::Red if w.kind == "close_contact" => format!(
            "14天内与确诊病例{}在{}有密切接触（{}）— 请居家隔离，等待网格员联系",
            w.case.as_deref().unwrap_or(""),
            place,
            at
        ),
        Status::Red => match until {
            Some(u) => format!("{}，至 {u} — 请勿外出", cause_zh(w)),
            None => format!("{} — 请勿外出", cause_zh(w)),
        },
        Status::Yellow => {
            let mut s = cause_zh(w);
            if !place.is_empty() {
                s.push_str(&format!("（{place}"));
                if !at.is_empty() {
                    s.push_str(&format!("，{at}"));
                }
                s.push('）');
            }
            s + " — 网格员将与您联系核实，核实前请减少外出"
        }
    }
}

/// The signed-in resident: their pass, status and why, its history, their household members
/// without phones, and whether they have reported today.
#[utoipa::path(get, path = "/api/resident/me", tag = "residents",
    responses((status = 200, description = "The resident's page", body = Object),
              (status = 403, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, access: Access) -> AppResult<impl IntoResponse> {
    let (s, person) = me_of(&state, &access)?;
    let pass = pass_of(&state, s, &person).await?;
    let st = state.clone();
    let p2 = person.clone();
    let history = blocking(move || st.city.statuses.history(&p2, 20)).await?;
    let city = state.live();
    let me = city.person(s).cloned();
    let household: Vec<Value> = me
        .as_ref()
        .and_then(|m| m.household_id.clone())
        .map(|h| {
            let mut v: Vec<Value> = city
                .persons
                .values()
                .filter(|p| p.household_id.as_deref() == Some(h.as_str()) && p.person_id != person)
                .map(|p| {
                    json!({"person_id": p.person_id,
                           "name": p.name.as_deref().map(mask::name),
                           "has_phone": p.phone.is_some()})
                })
                .collect();
            v.sort_by(|a, b| a["person_id"].as_str().cmp(&b["person_id"].as_str()));
            v
        })
        .unwrap_or_default();
    let history: Vec<Value> = history
        .into_iter()
        .map(|c| {
            json!({"at": city.time(c.at), "status": c.status,
                   "why": serde_json::from_str::<Value>(&c.why).unwrap_or(Value::Null)})
        })
        .collect();
    let today = state.config.day_of(now_ms());
    Ok(axum::Json(json!({
        "pass": pass, "history": history, "household": household,
        "valid_hours": state.config.pass_hours, "today": today,
    })))
}

/// The pass of a household member without a phone, shown on the resident's phone.
#[utoipa::path(get, path = "/api/resident/members/{person_id}/pass", tag = "residents",
    params(("person_id" = String, Path)),
    responses((status = 200, body = MyPass), (status = 404, body = ErrorBody)))]
pub async fn member_pass(
    State(state): State<AppState>,
    access: Access,
    Path(member): Path<String>,
) -> AppResult<impl IntoResponse> {
    let (s, person) = me_of(&state, &access)?;
    let ms = {
        let city = state.live();
        let home = city.person(s).and_then(|p| p.household_id.clone());
        city.persons
            .get(&member)
            .filter(|m| m.person_id != person)
            .filter(|m| home.is_some() && m.household_id == home && m.phone.is_none())
            .and_then(|m| city.world.find_subject(&m.person_id))
    };
    let ms = ms.ok_or_else(|| AppError::NotFound(Key::MemberPassOnly.into()))?;
    Ok((
        AuditNote::on(member.clone(), format!("shown by {person}")),
        axum::Json(pass_of(&state, ms, &member).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HealthIn {
    /// °C, 34.0 to 43.0.
    pub temperature: f64,
    #[serde(default)]
    pub symptoms: Vec<String>,
}

/// The resident's daily health report (a section 9 report, reporter `self`): once a day; a
/// fever or a symptom reaches screening as FEVER_REPORTED and the grid worker as a task.
#[utoipa::path(post, path = "/api/resident/health", tag = "residents", request_body = HealthIn,
    responses((status = 200, description = "Kept, or already reported today", body = Object),
              (status = 400, body = ErrorBody)))]
pub async fn health(
    State(state): State<AppState>,
    access: Access,
    Json(h): Json<HealthIn>,
) -> AppResult<impl IntoResponse> {
    let (s, person) = me_of(&state, &access)?;
    let temperature = super::gates::body_temperature(h.temperature)?;
    let symptoms = Symptoms::parse("symptoms", &h.symptoms.join(";"))
        .map_err(|e| AppError::BadRequest(Msg::new(Key::UnknownSymptom).param("detail", e)))?;
    let id_number = state
        .live()
        .world
        .person_of(s)
        .map(|p| p.0.to_owned())
        .ok_or_else(|| AppError::NotFound(Key::ResidentGone.into()))?;
    let now = now_ms();
    let day = state.config.day_of(now);
    let at = super::gates::event_time(&state, now);
    let row = json!({"id_number": id_number, "time": at,
                     "temperature": temperature.to_string(),
                     "symptoms": symptoms.to_string(), "reporter": "self",
                     "record_id": format!("self-{person}-{day}")});
    let answer = super::v1::feed_rows(
        &state,
        "health_reports",
        &[row],
        format!("resident:{person}"),
    )
    .await?;
    if let Some(r) = answer.rejects.first() {
        return Err(AppError::BadRequest(
            Msg::new(Key::RowRejected).param("reason", &r.reason),
        ));
    }
    let fever = temperature >= tracegrid_engine::FEVER || !symptoms.is_empty();
    Ok((
        AuditNote::on(person, "health report"),
        axum::Json(
            json!({"kept": answer.accepted == 1, "already": answer.duplicates == 1,
                          "fever": fever, "day": day}),
        ),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AppealIn {
    /// What the resident says is wrong.
    pub text: String,
}

/// An appeal against the status: it becomes a task (or a new reason of the open one) for the
/// resident's grid worker.
#[utoipa::path(post, path = "/api/resident/appeal", tag = "residents", request_body = AppealIn,
    responses((status = 200, description = "The task the appeal went to", body = Object),
              (status = 400, body = ErrorBody)))]
pub async fn appeal(
    State(state): State<AppState>,
    access: Access,
    Json(a): Json<AppealIn>,
) -> AppResult<impl IntoResponse> {
    let (s, person) = me_of(&state, &access)?;
    let text: String = a.text.trim().chars().take(500).collect();
    if text.is_empty() {
        return Err(AppError::BadRequest(Key::AppealReasonRequired.into()));
    }
    let st = state.clone();
    let t = text.clone();
    let task = blocking(move || {
        let city = st.live();
        st.city.board.appeal(&city, s, &t, now_ms())
    })
    .await?;
    Ok((
        AuditNote::on(person, "appeal"),
        axum::Json(json!({"task": task.id, "grid_code": task.grid_code,
                          "message": "申诉已提交，网格员会尽快与您联系"})),
    ))
}
