//! Found by the data first: of the cases confirmed since a date, how many the data had alerted
//! before their confirmation, how long before, at what rank, whether a grid task had reached
//! them, and the ones it missed (`tracegrid_city::found`).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracegrid_city::FoundFirstView;
use utoipa::IntoParams;

use crate::error::{AppError, AppResult, ErrorBody, Key, Msg};
use crate::extract::Query;
use crate::guard::{Access, AuditNote, Why};
use crate::state::{AppState, blocking};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FoundQuery {
    /// The first day counted: a date (`YYYY-MM-DD`, from its 00:00 in the server's zone) or a
    /// moment; absent: every case.
    pub since: Option<String>,
}

/// Of the diagnosed cases confirmed since `since`, those the data found first (an alert
/// strictly before the confirmation: how many hours before, at what rank and score, whether a
/// grid task had been made or had reached the person) and those it missed, with the record's
/// start (cases confirmed before it are not judged).
#[utoipa::path(get, path = "/api/found-first", tag = "screening", params(FoundQuery, Why),
    responses((status = 200, body = FoundFirstView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn found_first(
    State(state): State<AppState>,
    access: Access,
    Query(q): Query<FoundQuery>,
) -> AppResult<Response> {
    let since = match q.since.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => {
            let zone = state.live().settings.zone;
            Some(tracegrid_model::read_moment(text, zone).map_err(|e| {
                AppError::BadRequest(
                    Msg::new(Key::BadSince)
                        .param("since", text)
                        .param("detail", e),
                )
            })?)
        }
        None => None,
    };
    let shown = tracegrid_city::Shown {
        full_ids: access.reveal,
        links: true,
    };
    let st = state.clone();
    let view: FoundFirstView = blocking(move || st.city.found_first(since, shown)).await?;
    let note = AuditNote::detail(format!("{} cases", view.judged));
    Ok((note, axum::Json(view)).into_response())
}
