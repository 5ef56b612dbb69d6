//! The feeds as the command centre watches them: each feed's counts, each route's state, and
//! the rows the feeds rejected — to read, and to download for the sender to fix, as an
//! import's rejects are.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tracegrid_city::FeedStatus;
use tracegrid_store::RejectFilter;
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppResult, ErrorBody};
use crate::extract::Query;
use crate::guard::Access;
use crate::state::{AppState, blocking};

/// Each feed (route, sender, kind) with its counts since the server started, each route's
/// state (a broker down says so), and what waits to be kept.
#[utoipa::path(get, path = "/api/feeds", tag = "feeds",
    responses((status = 200, body = FeedStatus)))]
pub async fn status(State(state): State<AppState>, _: Access) -> Json<FeedStatus> {
    Json(state.city.feed_status())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RejectQuery {
    /// http, mqtt or nats.
    pub route: Option<String>,
    /// The sender: a user, a topic or subject.
    pub source: Option<String>,
    /// The kind of section 1.
    pub kind: Option<String>,
    /// Only rejects older than this one (its `id`), for the next page.
    pub before: Option<i64>,
    /// How many (default 100, at most 1000; the CSV: at most 100,000).
    pub limit: Option<usize>,
}

impl RejectQuery {
    fn filter(&self, most: usize) -> RejectFilter<'_> {
        RejectFilter {
            route: self.route.as_deref(),
            source: self.source.as_deref(),
            kind: self.kind.as_deref(),
            before_id: self.before,
            limit: self.limit.unwrap_or(100).clamp(1, most),
        }
    }
}

/// A row a feed rejected.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectView {
    pub id: i64,
    pub received: String,
    pub route: String,
    pub source: String,
    pub kind: String,
    /// The line in its message (a CSV header is line 1); 0: the whole message.
    pub line: u64,
    pub reason: String,
    pub record: String,
}

/// The rows the feeds rejected, newest first.
#[utoipa::path(get, path = "/api/feeds/rejects", tag = "feeds", params(RejectQuery),
    responses((status = 200, body = Vec<RejectView>), (status = 503, body = ErrorBody)))]
pub async fn rejects(
    State(state): State<AppState>,
    _: Access,
    Query(q): Query<RejectQuery>,
) -> AppResult<Json<Vec<RejectView>>> {
    let st = state.clone();
    let rows = blocking(move || st.city.feed_rejects(&q.filter(1000))).await?;
    let zone = state.live().settings.clone();
    Ok(Json(
        rows.into_iter()
            .map(|r| RejectView {
                id: r.id,
                received: zone.time(r.row.received),
                route: r.row.route,
                source: r.row.source,
                kind: r.row.kind,
                line: r.row.line,
                reason: r.row.reason,
                record: r.row.record,
            })
            .collect(),
    ))
}

/// The same as CSV, `received,route,source,kind,line,reason,record`: the sender fixes the rows
/// and sends them again.
#[utoipa::path(get, path = "/api/feeds/rejects.csv", tag = "feeds", params(RejectQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 503, body = ErrorBody)))]
pub async fn rejects_csv(
    State(state): State<AppState>,
    _: Access,
    Query(q): Query<RejectQuery>,
) -> AppResult<impl IntoResponse> {
    let st = state.clone();
    let rows = blocking(move || st.city.feed_rejects(&q.filter(100_000))).await?;
    let settings = state.live().settings.clone();
    let mut out = String::from("received,route,source,kind,line,reason,record\n");
    for r in rows {
        let fields = [
            settings.time(r.row.received),
            r.row.route,
            r.row.source,
            r.row.kind,
            r.row.line.to_string(),
            r.row.reason,
            r.row.record,
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"feed-rejects.csv\"",
            ),
        ],
        out,
    ))
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}
