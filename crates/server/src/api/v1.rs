//! The machine interfaces of CONTRACT.md section 6, to the letter: rows fed over HTTP
//! (`POST /api/v1/feeds/{kind}`) and the screen as `tracegrid screen --json` prints it
//! (`GET /api/v1/screen`). The MQTT and JetStream routes to the same feeds are in
//! [`crate::brokers`].

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use tracegrid_city::views;
use tracegrid_city::{Route, Submission};
use tracegrid_ingest::feed::Answer;
use utoipa::IntoParams;

use crate::error::{AppError, AppResult, ErrorBody, Key};
use crate::extract::{Bytes, Path, Query};
use crate::guard::{Access, feed_format, request_media_type};
use crate::state::{AppState, blocking};

/// Sends rows of one kind of section 1 (e.g. `sightings`, `gate_access`, `rail_tickets`,
/// `persons`, `cases`; not the GeoJSON files): NDJSON (`application/x-ndjson`) or CSV with a
/// header row (`text/csv`). The answer comes once every accepted row is durably kept and in
/// the screening; it counts the rows and gives each rejected one with its line and reason. A
/// row sent twice, by any route or also in a file, is kept once (counted as a duplicate).
/// `429` with `Retry-After` when the server cannot keep up: send the same rows again then.
#[utoipa::path(post, path = "/api/v1/feeds/{kind}", tag = "feeds",
    params(("kind" = String, Path, description = "A stem of CONTRACT.md section 1")),
    request_body(description = "Rows: NDJSON, one JSON object a line, or CSV with a header row", content(
        (String = "application/x-ndjson"), (String = "text/csv"))),
    responses((status = 200, body = Answer, description = "The rows are kept: what became of each"),
              (status = 400, body = ErrorBody, description = "The body cannot be read at all"),
              (status = 404, body = ErrorBody, description = "There is no feed of this kind"),
              (status = 429, body = ErrorBody, description = "The server is behind: send again after Retry-After seconds"),
              (status = 503, body = ErrorBody, description = "The store could not keep the rows, or the server is stopping: send again")))]
pub async fn feed(
    State(state): State<AppState>,
    access: Access,
    Path(kind): Path<String>,
    headers: HeaderMap,
    Bytes(body): Bytes,
) -> AppResult<axum::Json<Answer>> {
    let format = request_media_type(&headers)
        .as_deref()
        .and_then(feed_format)
        .ok_or_else(|| AppError::UnsupportedMediaType(Key::FeedMediaType.into()))?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    state.city.submit(
        Submission {
            kind,
            body: body.to_vec(),
            format,
            route: Route::Http,
            source: access.principal.username.clone(),
        },
        Box::new(move |outcome| {
            // A client that went away no longer waits for its answer.
            let _ = tx.send(outcome);
        }),
    )?;
    let outcome = rx
        .await
        .map_err(|_| AppError::Unavailable(Key::StoppingResend.into()))?;
    Ok(axum::Json(outcome?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ScreenQuery {
    /// Why you are looking (written to the audit log).
    #[param(required = true)]
    pub purpose: Option<String>,
    /// One subject (person_id, id_number or `TYPE:VALUE`): `alerts` holds its alert alone, or
    /// nothing.
    pub subject: Option<String>,
}

/// The screen at the server's moment, lookback and home region, over everything in the store:
/// the object `tracegrid screen --json` prints (CONTRACT.md section 3), with full ID numbers.
/// Every row whose feed was answered before this request, and every case or area added before
/// it, is in it.
#[utoipa::path(get, path = "/api/v1/screen", tag = "feeds", params(ScreenQuery),
    responses((status = 200, body = views::ScreenView, description = "The alerts, as `screen --json`")))]
pub async fn screen(
    State(state): State<AppState>,
    _: Access,
    Query(q): Query<ScreenQuery>,
) -> AppResult<impl IntoResponse> {
    let st = state.clone();
    let json = blocking(move || {
        let city = st.live();
        let one;
        let alerts: Vec<&tracegrid_engine::Alert> = match &q.subject {
            Some(s) => {
                one = city.find_subject(s).and_then(|s| city.screening.alert(s));
                one.into_iter().collect()
            }
            None => city.screening.alerts().collect(),
        };
        serde_json::to_vec(&city.screen_view(alerts)).map_err(|e| AppError::Internal(e.into()))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json))
}

/// Sends rows the server makes itself (a scan at a gate, a resident's report) through the
/// feeds, as NDJSON of `kind`: kept, screened and answered like any fed row.
pub async fn feed_rows(
    state: &AppState,
    kind: &str,
    rows: &[serde_json::Value],
    source: String,
) -> AppResult<Answer> {
    let mut body = Vec::new();
    for r in rows {
        serde_json::to_writer(&mut body, r).map_err(|e| AppError::Internal(e.into()))?;
        body.push(b'\n');
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    state.city.submit(
        Submission {
            kind: kind.into(),
            body,
            format: tracegrid_ingest::Format::Ndjson,
            route: Route::Http,
            source,
        },
        Box::new(move |outcome| {
            let _ = tx.send(outcome);
        }),
    )?;
    let outcome = rx
        .await
        .map_err(|_| AppError::Unavailable(Key::Stopping.into()))?;
    Ok(outcome?)
}
