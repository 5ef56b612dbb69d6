//! Visitors and vehicles, "one card, one code": a gate's poster opens a form where a visitor
//! registers themselves; the registration is a sighting at the gate (source `visitor`),
//! screened at once, and the verdict — refused when they came from an epidemic area in the
//! lookback or their status is not green — goes to them with a short code and to the guard.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracegrid_city::Status;
use tracegrid_model::{IdNumber, Phone, Plate, mask};
use tracegrid_store::Visitor;
use utoipa::ToSchema;

use super::gates::{cause_zh, status_now};
use crate::auth::now_ms;
use crate::error::{AppError, AppResult, ErrorBody, Key, Msg};
use crate::extract::{Json, Path};
use crate::guard::{Access, AuditNote};
use crate::passes::qr_svg;
use crate::state::{AppState, blocking};

/// Hours a visitor's code is shown to guards.
pub const VISITOR_CODE_HOURS: i64 = 4;

#[derive(Debug, Deserialize, ToSchema)]
pub struct VisitIn {
    pub gate: String,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    #[serde(default)]
    pub plate: Option<String>,
    /// Where the visitor comes from: a region's code or name, or free text.
    #[serde(default)]
    pub came_from: Option<String>,
    #[serde(default)]
    pub visiting: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitOut {
    /// Show this to the guard.
    pub code: String,
    /// admit or refuse.
    pub verdict: String,
    pub reason: String,
    pub expires_ms: i64,
}

fn bad(key: Key) -> AppError {
    AppError::BadRequest(key.into())
}

fn short(s: Option<&str>, max: usize) -> String {
    s.unwrap_or("").trim().chars().take(max).collect()
}

/// A visitor's code: six letters and digits a guard cannot misread.
fn visitor_code() -> AppResult<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 6];
    getrandom::fill(&mut b)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(b.iter()
        .map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char)
        .collect())
}

/// A visitor registers at a gate (no login: the gate's poster opens the form). The fields are
/// checked by the contract's rules; the visit becomes a sighting at the gate (and one of the
/// plate, if given), screened at once; the verdict comes back with a code to show the guard.
#[utoipa::path(post, path = "/api/visitors", tag = "gates", request_body = VisitIn,
    responses((status = 200, body = VisitOut), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Json(v): Json<VisitIn>,
) -> AppResult<axum::Json<VisitOut>> {
    let peer_key = peer.map_or(0, |p| match p.0.0.ip() {
        std::net::IpAddr::V4(a) => i64::from(u32::from(a)),
        std::net::IpAddr::V6(a) => (u128::from(a) >> 64) as i64,
    });
    if !state.visits.take(peer_key, now_ms()) {
        return Err(AppError::Busy(Key::VisitorsTooFrequent.into()));
    }
    let name = short(Some(&v.name), 32);
    if name.is_empty() {
        return Err(bad(Key::VisitorNameRequired));
    }
    let id = IdNumber::parse(v.id_number.trim()).map_err(|_| bad(Key::VisitorBadIdNumber))?;
    let phone = Phone::parse(v.phone.trim()).map_err(|_| bad(Key::VisitorBadPhone))?;
    let plate = match v.plate.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(
            Plate::parse(p)
                .map_err(|_| bad(Key::VisitorBadPlate))?
                .as_str()
                .to_owned(),
        ),
    };
    let came_from = short(v.came_from.as_deref(), 64);
    let (at_text, area) = {
        let city = state.live();
        if !city.places.contains_key(&v.gate) {
            return Err(AppError::NotFound(
                Msg::new(Key::NoSuchGate).param("gate", &v.gate),
            ));
        }
        let now = now_ms();
        let at = super::gates::event_moment(&city, now);
        let window = (at - city.settings.lookback_days * 86_400_000, at);
        let area = city
            .region_by_text(&came_from)
            .and_then(|code| city.area_over(&code, window.0, window.1))
            .map(|a| a.name.clone().unwrap_or_else(|| a.area_id.clone()));
        (city.time(at), area)
    };
    let code = visitor_code()?;
    let mut rows = vec![json!({"source": "visitor", "subject_type": "id_number",
        "subject": id.as_str(), "place_id": v.gate, "start": at_text,
        "record_id": format!("visit-{code}")})];
    if let Some(p) = &plate {
        rows.push(
            json!({"source": "visitor", "subject_type": "plate", "subject": p,
            "place_id": v.gate, "start": at_text, "record_id": format!("visit-{code}-plate")}),
        );
    }
    let answer =
        super::v1::feed_rows(&state, "sightings", &rows, format!("visitor:{}", v.gate)).await?;
    if let Some(r) = answer.rejects.first() {
        return Err(AppError::BadRequest(
            Msg::new(Key::RowRejected).param("reason", &r.reason),
        ));
    }
    let subject = state.live().world.find_subject(id.as_str());
    let status = match subject {
        Some(s) => Some(status_now(&state, s).await?),
        None => None,
    };
    let (verdict, why) = match (&area, &status) {
        (Some(a), _) => (
            "refuse",
            format!("14天内来自疫区（{a}）：禁止进入，请联系社区登记并居家观察"),
        ),
        (None, Some(s)) if s.status != Status::Green => (
            "refuse",
            format!(
                "{}：{}，禁止进入",
                if s.status == Status::Red {
                    "红码"
                } else {
                    "黄码"
                },
                cause_zh(&s.why)
            ),
        ),
        _ => ("admit", "可以进入：请向门卫出示访客码".to_owned()),
    };
    let now = now_ms();
    let row = Visitor {
        code: code.clone(),
        gate: v.gate.clone(),
        id_number: id.as_str().to_owned(),
        name,
        phone: phone.as_str().to_owned(),
        plate: plate.unwrap_or_default(),
        came_from,
        visiting: short(v.visiting.as_deref(), 64),
        reason: short(v.reason.as_deref(), 200),
        at: now,
        expires: now + VISITOR_CODE_HOURS * 3_600_000,
        verdict: verdict.into(),
        why: why.clone(),
    };
    let st = state.clone();
    let kept = row.clone();
    blocking(move || st.city.statuses.with_gates(|g| g.add_visitor(&kept))).await?;
    state
        .audit
        .write(tracegrid_store::AuditEntry {
            at: now,
            user_id: None,
            username: format!("visitor:{code}"),
            action: "visitor.register".into(),
            target: id.as_str().to_owned(),
            purpose: "gate registration".into(),
            detail: format!("{} {verdict}", v.gate),
        })
        .await?;
    Ok(axum::Json(VisitOut {
        code,
        verdict: verdict.into(),
        reason: why,
        expires_ms: row.expires,
    }))
}

/// A visitor as the guard sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorView {
    pub code: String,
    /// The name's first character and a star.
    pub name: String,
    /// The ID number masked but for its region and its last four.
    pub id_number: String,
    pub plate: String,
    pub came_from: String,
    pub visiting: String,
    pub reason: String,
    pub at_ms: i64,
    pub expires_ms: i64,
    pub verdict: String,
    pub why: String,
}

fn view(v: Visitor) -> VisitorView {
    VisitorView {
        code: v.code,
        name: mask::name(&v.name),
        id_number: mask::id_number(&v.id_number),
        plate: v.plate,
        came_from: v.came_from,
        visiting: v.visiting,
        reason: v.reason,
        at_ms: v.at,
        expires_ms: v.expires,
        verdict: v.verdict,
        why: v.why,
    }
}

/// The visitors registered at this gate in the last twelve hours, newest first (the guard of
/// the gate).
#[utoipa::path(get, path = "/api/gates/{place_id}/visitors", tag = "gates",
    params(("place_id" = String, Path)),
    responses((status = 200, body = [VisitorView]), (status = 404, body = ErrorBody)))]
pub async fn at_gate(
    State(state): State<AppState>,
    _: Access,
    Path(gate): Path<String>,
) -> AppResult<impl IntoResponse> {
    let st = state.clone();
    let g = gate.clone();
    let list = blocking(move || {
        st.city
            .statuses
            .with_gates(|x| x.visitors_at(&g, now_ms() - 12 * 3_600_000, 200))
    })
    .await?;
    Ok((
        AuditNote::on(gate, "visitors"),
        axum::Json(list.into_iter().map(view).collect::<Vec<_>>()),
    ))
}

/// The gate's poster: its name and a QR code of the registration form's address.
#[utoipa::path(get, path = "/api/gates/{place_id}/poster", tag = "gates",
    params(("place_id" = String, Path)),
    responses((status = 200, description = "The gate's name and the form's QR code", body = Object),
              (status = 404, body = ErrorBody)))]
pub async fn poster(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(gate): Path<String>,
) -> AppResult<impl IntoResponse> {
    let name = {
        let city = state.live();
        let p = city
            .places
            .get(&gate)
            .ok_or_else(|| AppError::NotFound(Msg::new(Key::NoSuchGate).param("gate", &gate)))?;
        p.name.clone()
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    let url = format!(
        "{scheme}://{host}/visit?gate={}",
        percent_encoding::utf8_percent_encode(&gate, percent_encoding::NON_ALPHANUMERIC)
    );
    Ok(axum::Json(
        json!({"gate": gate, "name": name, "url": url, "qr_svg": qr_svg(&url)}),
    ))
}
