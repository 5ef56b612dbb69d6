//! Passes and gates (CONTRACT.md section 7): the published keys, a pass for a resident without a
//! phone, a scan at a gate, the keys' rotation, and what the command centre sees of the gates —
//! the day's scans and everyone's status by grid.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracegrid_city::{Status, StatusNow};
use tracegrid_engine::{FEVER, SubjectId};
use tracegrid_model::Temperature;
use tracegrid_store::Scan;
use utoipa::ToSchema;

use crate::auth::now_ms;
use crate::error::{AppError, AppResult, ErrorBody, Key, Msg};
use crate::extract::Json;
use crate::guard::{Access, AuditNote, Why};
use crate::passes::{Claims, Keyring};
use crate::state::{AppState, blocking};

/// The person's status now, written down if it changed.
pub async fn status_now(state: &AppState, s: SubjectId) -> AppResult<StatusNow> {
    let st = state.clone();
    blocking(move || {
        let city = st.live();
        st.city.statuses.of(&city, &st.city.board, s, now_ms())
    })
    .await
}

/// A signed pass for person `s` with `status`, valid `hours`.
pub fn issue(state: &AppState, s: SubjectId, status: Status, hours: i64) -> (String, i64) {
    let city = state.live();
    let now_s = now_ms().div_euclid(1000);
    let claims = Claims {
        sub: city.world.subject_name(s).to_owned(),
        grid: city.grid_of(s).unwrap_or_default().to_owned(),
        status: status.as_str().into(),
        iat: now_s,
        exp: now_s + hours.max(1) * 3600,
    };
    drop(city);
    (state.keyring().sign(&claims), claims.exp)
}

/// The public keys passes are verified with, as a JWK Set (`kty` OKP, `crv` Ed25519): every key
/// that signs now or signed a pass that may still be valid. No login: a gate fetches them to
/// verify passes offline.
#[utoipa::path(get, path = "/api/v1/pass-keys", tag = "gates",
    responses((status = 200, description = "A JWK Set", body = Object)))]
pub async fn pass_keys(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(axum::http::header::CACHE_CONTROL, "max-age=300")],
        axum::Json(state.keyring().jwks(now_ms())),
    )
}

/// A pass as handed out.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassOut {
    /// The JWS (compact serialization).
    pub token: String,
    /// green, yellow or red: the person's status when the pass was issued.
    pub status: Status,
    /// When the pass expires (Unix seconds).
    pub exp: i64,
}

/// A pass for a resident without a phone, to print on paper (the person's grid worker, an
/// analyst, an admin). Valid `paper_pass_days`. The read is audited.
#[utoipa::path(get, path = "/api/v1/passes/{subject}", tag = "gates",
    params(("subject" = String, Path, description = "The person_id"), Why),
    responses((status = 200, body = PassOut), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "No such person among yours")))]
pub async fn pass(State(state): State<AppState>, access: Access) -> AppResult<impl IntoResponse> {
    let (s, name) = access
        .subject
        .clone()
        .ok_or_else(|| AppError::NotFound(Key::NoSuchPerson.into()))?;
    if state.live().world.person_of(s).is_none() {
        return Err(AppError::NotFound(
            Msg::new(Key::NotAResident).param("subject", name),
        ));
    }
    let now = status_now(&state, s).await?;
    let (token, exp) = issue(&state, s, now.status, state.config.paper_pass_days * 24);
    Ok((
        AuditNote::on(name, format!("paper pass, {}", now.status.as_str())),
        axum::Json(PassOut {
            token,
            status: now.status,
            exp,
        }),
    ))
}

/// A scan at a gate.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ScanIn {
    /// The gate's place_id.
    pub gate: String,
    /// The pass as read from the QR code.
    pub pass: String,
    /// in or out.
    #[serde(default)]
    pub direction: Option<String>,
    /// The temperature taken at the gate, °C (kept as a health report of the gate).
    #[serde(default)]
    pub temperature: Option<f64>,
}

/// The verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verdict {
    /// admit or refuse.
    pub verdict: &'static str,
    /// What to read out.
    pub reason: String,
    /// The pass's person, when it verified.
    pub subject: Option<String>,
    /// Their status now, when the pass verified.
    pub status: Option<Status>,
    /// A short code of the reason: green, yellow, red, fever, forged, expired, unknown_key,
    /// malformed.
    pub reason_code: &'static str,
    /// Whether the person lives in the gate's grid (a non-resident registers as a visitor).
    pub resident: Option<bool>,
    /// The first character of the name and a star: enough to greet, not to look up.
    pub name_hint: Option<String>,
    /// The status written in the pass.
    pub pass_status: Option<String>,
    /// Why the status is what it is.
    pub why: Option<tracegrid_city::status::Why>,
}

fn refused(reason: String, code: &'static str) -> Verdict {
    Verdict {
        verdict: "refuse",
        reason,
        subject: None,
        status: None,
        reason_code: code,
        resident: None,
        name_hint: None,
        pass_status: None,
        why: None,
    }
}

/// What the verdict of a status says.
fn verdict_reason(status: Status, why: &tracegrid_city::status::Why) -> String {
    match status {
        Status::Green => "绿码：可以通行".into(),
        Status::Yellow => format!("黄码：{}，请勿放行，请联系网格员核实", cause_zh(why)),
        Status::Red => format!("红码：{}，禁止通行，请立即报告网格员", cause_zh(why)),
    }
}

/// A status's cause in a few words.
pub fn cause_zh(why: &tracegrid_city::status::Why) -> String {
    let code = why.code.as_deref().unwrap_or("");
    match why.kind.as_str() {
        "case" => "本人为病例".into(),
        "close_contact" => "确诊病例的密切接触者".into(),
        "isolation" if code == "central_isolation" => "正在集中隔离".into(),
        "isolation" => "正在居家隔离".into(),
        _ => match code {
            "EPI_AREA" => "14天内到过疫区".into(),
            "GENERAL_CONTACT" => "与病例有一般接触".into(),
            "SECONDARY_CONTACT" => "密切接触者的密切接触者".into(),
            "OUTSIDE_ARRIVAL" => "近期从外地来".into(),
            "FEVER_MEDICINE" => "近期购买退烧或止咳药".into(),
            "FEVER_REPORTED" => "近期报告发热或症状".into(),
            "DELIVERY_FROM_AREA" => "收到疫区寄出的快递".into(),
            _ => "有待核实的记录".into(),
        },
    }
}

/// A scan at a gate (a guard standing at it, or an admin): the pass is verified, and the
/// verdict follows the person's status now — admit only a person green now. A pass that does
/// not verify is refused with a reason to read out and names no one. Each scan of a valid pass
/// is kept as a gate sighting (source `gate`) at the gate and screened at once; a temperature
/// given is kept as a health report of the gate, and a fever is refused.
#[utoipa::path(post, path = "/api/v1/gate/scan", tag = "gates", request_body = ScanIn,
    responses((status = 200, body = Verdict), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "Not a gate you stand at"),
              (status = 404, body = ErrorBody, description = "No such gate")))]
pub async fn scan(
    State(state): State<AppState>,
    access: Access,
    Json(scan): Json<ScanIn>,
) -> AppResult<impl IntoResponse> {
    if !access.principal.stands_at(&scan.gate) {
        return Err(AppError::Forbidden(
            Msg::new(Key::NotYourGateScan).param("gate", &scan.gate),
        ));
    }
    let direction = scan.direction.clone().unwrap_or_default();
    if !matches!(direction.as_str(), "" | "in" | "out") {
        return Err(AppError::BadRequest(Key::BadDirection.into()));
    }
    let temperature = scan.temperature.map(body_temperature).transpose()?;
    let temperature_dc = temperature.map(Temperature::tenths);
    let gate_grid = {
        let city = state.live();
        let place = city.places.get(&scan.gate).ok_or_else(|| {
            AppError::NotFound(Msg::new(Key::UnknownPlace).param("place", &scan.gate))
        })?;
        place.grid_code.clone()
    };
    let now = now_ms();
    let verified = state.keyring().verify(&scan.pass, now);
    let claims = match verified {
        Ok(c) => c,
        Err(refusal) => {
            let v = refused(refusal.to_string(), refusal.code());
            keep_scan(&state, &scan, now, None, &v, temperature_dc).await?;
            return Ok((
                AuditNote::on(
                    "(unverified pass)",
                    format!("{} refused: {}", scan.gate, refusal.code()),
                ),
                axum::Json(v),
            ));
        }
    };
    let found = {
        let city = state.live();
        city.world.find_subject(&claims.sub).map(|s| {
            let hint = city
                .person(s)
                .and_then(|p| p.name.as_deref())
                .map(tracegrid_model::mask::name);
            let id_number = city.world.person_of(s).map(|p| p.0.to_owned());
            let resident = gate_grid.is_some() && city.grid_of(s) == gate_grid.as_deref();
            (s, hint, id_number, resident)
        })
    };
    let Some((s, name_hint, id_number, resident)) = found else {
        // Signed by us for someone the registry no longer holds.
        let v = refused(
            "通行码的持有人不在登记名单中，请联系网格员".into(),
            "unknown_person",
        );
        keep_scan(&state, &scan, now, None, &v, temperature_dc).await?;
        return Ok((AuditNote::on(claims.sub, "unknown person"), axum::Json(v)));
    };
    let status = status_now(&state, s).await?;
    let (verdict, reason, code) = if let Some(t) = temperature.filter(|&t| t >= FEVER) {
        (
            "refuse",
            format!("体温 {t}℃，发热：禁止通行，请引导至发热门诊并报告网格员"),
            "fever",
        )
    } else {
        (
            if status.status == Status::Green {
                "admit"
            } else {
                "refuse"
            },
            verdict_reason(status.status, &status.why),
            status.status.as_str(),
        )
    };
    let mut v = Verdict {
        verdict,
        reason,
        subject: Some(claims.sub.clone()),
        status: Some(status.status),
        reason_code: code,
        resident: Some(resident),
        name_hint,
        pass_status: Some(claims.status.clone()),
        why: Some(status.why.clone()),
    };
    if verdict == "admit" && !resident {
        v.reason = "绿码：可以通行（非本小区住户，请登记来访信息）".into();
    }
    // The scan is a gate sighting, and a temperature a health report of the gate: both fed,
    // kept and screened before the answer leaves.
    let at = event_time(&state, now);
    let record = format!("scan-{}-{}-{}", scan.gate, claims.sub, now);
    feed_scan(
        &state,
        &access,
        &scan.gate,
        &claims.sub,
        &at,
        &direction,
        &record,
    )
    .await?;
    if let (Some(t), Some(id)) = (temperature, id_number) {
        let row = json!({"id_number": id, "time": at, "temperature": t.to_string(),
                         "place_id": scan.gate, "reporter": "gate", "record_id": record});
        super::v1::feed_rows(
            &state,
            "health_reports",
            &[row],
            format!("gate:{}", access.principal.username),
        )
        .await?;
    }
    keep_scan(
        &state,
        &scan,
        now,
        Some(claims.sub.clone()),
        &v,
        temperature_dc,
    )
    .await?;
    Ok((
        AuditNote::on(
            claims.sub,
            format!("{} {} {}", scan.gate, v.verdict, v.reason_code),
        ),
        axum::Json(v),
    ))
}

/// A temperature taken at a gate or reported by a resident, checked by section 9's rule (34.0
/// to 43.0 °C, to a tenth) as a fed row's would be, with the reason in words read out.
pub fn body_temperature(t: f64) -> AppResult<Temperature> {
    Temperature::parse("temperature", &format!("{t:.1}")).map_err(|e| {
        AppError::BadRequest(
            Msg::new(Key::TemperatureOutOfRange)
                .param("temperature", t)
                .param("detail", e),
        )
    })
}

/// When something the server records itself happens (a scan, a resident's report, a visit), as
/// screening sees it: now, or the server's fixed moment when it screens at one (a replay's
/// scans then fall inside its window).
pub fn event_moment(city: &tracegrid_city::City, now: i64) -> i64 {
    city.settings.as_of.unwrap_or(now)
}

/// [`event_moment`] in the contract's time format.
pub fn event_time(state: &AppState, now: i64) -> String {
    let city = state.live();
    city.time(event_moment(&city, now))
}

async fn feed_scan(
    state: &AppState,
    access: &Access,
    gate: &str,
    person: &str,
    at: &str,
    direction: &str,
    record: &str,
) -> AppResult<()> {
    let row = json!({"subject_type": "person_id", "subject": person, "place_id": gate,
                     "time": at, "direction": direction, "record_id": record});
    let answer = super::v1::feed_rows(
        state,
        "gate_access",
        &[row],
        format!("gate:{}", access.principal.username),
    )
    .await?;
    if let Some(r) = answer.rejects.first() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "a scan could not be kept: {}",
            r.reason
        )));
    }
    Ok(())
}

/// Keeps a scan, verified or not, for the gate's day.
async fn keep_scan(
    state: &AppState,
    scan: &ScanIn,
    at: i64,
    person: Option<String>,
    v: &Verdict,
    temperature_dc: Option<i64>,
) -> AppResult<()> {
    let st = state.clone();
    let row = Scan {
        gate: scan.gate.clone(),
        at,
        person_id: person,
        verdict: v.verdict.into(),
        reason: v.reason_code.into(),
        direction: scan.direction.clone().unwrap_or_default(),
        temperature_dc,
    };
    blocking(move || st.city.statuses.with_gates(|g| g.add_scan(&row))).await
}

/// Makes a new pass-signing key (admin). The old key keeps verifying until every pass it
/// signed has expired.
#[utoipa::path(post, path = "/api/pass-keys/rotate", tag = "gates",
    responses((status = 200, description = "The JWK Set now", body = Object)))]
pub async fn rotate(State(state): State<AppState>, _: Access) -> AppResult<impl IntoResponse> {
    let st = state.clone();
    let keep = state
        .config
        .pass_hours
        .max(state.config.paper_pass_days * 24)
        * 3_600_000;
    let ring = blocking(move || {
        st.city
            .statuses
            .with_gates(|g| Keyring::rotate(g, now_ms(), keep))
            .map_err(AppError::Internal)
    })
    .await?;
    let kid = ring.signing_kid().to_owned();
    let set = ring.jwks(now_ms());
    state.set_keyring(ring);
    Ok((AuditNote::on(kid, "pass key rotated"), axum::Json(set)))
}

/// Everyone's status by grid.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusCounts {
    /// Per grid code (`""`: no grid): red, yellow, and everyone registered there.
    pub grids: BTreeMap<String, GridStatus>,
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct GridStatus {
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
}

/// How many registered persons are red, yellow and green, in all and by residence grid.
#[utoipa::path(get, path = "/api/status/grids", tag = "gates",
    responses((status = 200, body = StatusCounts)))]
pub async fn status_grids(
    State(state): State<AppState>,
    _: Access,
) -> AppResult<impl IntoResponse> {
    let st = state.clone();
    let counts = blocking(move || -> AppResult<StatusCounts> {
        let tasks = st.city.board.with(|t| t.all())?;
        let city = st.live();
        let not_green = tracegrid_city::status::not_green(&city, &tasks, now_ms());
        let mut grids: BTreeMap<String, GridStatus> = BTreeMap::new();
        for p in city.persons.values() {
            let g = grids
                .entry(p.grid_code.clone().unwrap_or_default())
                .or_default();
            match not_green.get(&p.person_id).map(|s| s.status) {
                Some(Status::Red) => g.red += 1,
                Some(Status::Yellow) => g.yellow += 1,
                _ => g.green += 1,
            }
        }
        let total = |f: fn(&GridStatus) -> usize| grids.values().map(f).sum();
        Ok(StatusCounts {
            red: total(|g| g.red),
            yellow: total(|g| g.yellow),
            green: total(|g| g.green),
            grids,
        })
    })
    .await?;
    Ok(axum::Json(counts))
}

/// The gates' last 24 hours: scans an hour by gate, refusals by reason, fevers.
#[utoipa::path(get, path = "/api/gates/day", tag = "gates",
    responses((status = 200, description = "Scans by hour and gate, refusals by reason", body = Object)))]
pub async fn gate_day(State(state): State<AppState>, _: Access) -> AppResult<impl IntoResponse> {
    let st = state.clone();
    let now = now_ms();
    let scans = blocking(move || {
        st.city
            .statuses
            .with_gates(|g| g.scans_since(now - 24 * 3_600_000))
    })
    .await?;
    let zone = state.live().settings.zone;
    let hour = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.with_timezone(&zone).format("%Y-%m-%d %H:00").to_string())
            .unwrap_or_default()
    };
    let mut by_hour: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
    let mut gates: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut fevers = 0usize;
    for s in &scans {
        *by_hour
            .entry(hour(s.at))
            .or_default()
            .entry(s.gate.clone())
            .or_default() += 1;
        let g = gates.entry(s.gate.clone()).or_default();
        g.0 += 1;
        if s.verdict == "refuse" {
            g.1 += 1;
            *refusals.entry(s.reason.clone()).or_default() += 1;
        }
        if s.temperature_dc.is_some_and(|t| t >= FEVER.tenths()) {
            fevers += 1;
        }
    }
    let places = state.live();
    let gates: Vec<Value> = gates
        .into_iter()
        .map(|(g, (n, r))| {
            let name = places.places.get(&g).and_then(|p| p.name.clone());
            json!({"gate": g, "name": name, "scans": n, "refused": r})
        })
        .collect();
    Ok(axum::Json(json!({
        "scans": scans.len(), "fevers": fevers, "by_hour": by_hour,
        "refusals": refusals, "gates": gates,
    })))
}

/// Resolves a path's person for the resident pages' members (used by [`super::resident`]).
pub fn person_subject(state: &AppState, person_id: &str) -> Option<SubjectId> {
    let city = state.live();
    city.world
        .find_subject(person_id)
        .filter(|&s| city.world.person_of(s).is_some())
}
